//! The safety net: a change is applied only when it accounts for every
//! content word of the request. Each word must be consumed by a step the
//! change touches or names (or a step it affects), a value it writes or
//! replaces, a word of the vocabulary for the kind of change made
//! ([`crate::core::vocabulary`]), or a filler. The words left over are what
//! the planner did not understand, and it asks about them instead of
//! applying a change that may not be the one asked for.
//!
//! The check looks only at the request and the modifications, never at
//! how the parser read the request, so a parser that skips a word it does
//! not know cannot hide it.

use serde_json::Value;

use crate::core::model::{Step, StepKind, Strategy};
use crate::core::skill::Skill;
use crate::core::vocabulary as vocab;
use crate::core::{Modification, Workflow, tree};

use super::fit;
use super::refs::word_names_step;
use super::text::{Tok, durations, is_stopword, number, same_stem, stem, unit_ms};

/// What a change accounts for.
#[derive(Default)]
struct Grounds {
    /// Vocabulary words of the kinds of change made.
    words: Vec<&'static str>,
    /// Values written or replaced, lowercase: whole, and split into words.
    values: Vec<String>,
    numbers: Vec<f64>,
    /// Durations written, in ms (a timeout in whole seconds counts for any
    /// duration that rounds up to it).
    durations_ms: Vec<u64>,
    timeouts_secs: Vec<u64>,
    /// Steps the change touches, names as anchors, or affects.
    steps: Vec<Step>,
    /// Words of new steps' clauses, accounted for by the step built.
    clauses: Vec<String>,
    /// A number is written to the context: its unit may be said in words
    /// ("90 days instead of a month").
    number_written: bool,
}

impl Grounds {
    fn vocabulary(&mut self, list: &'static [&'static str]) {
        self.words.extend_from_slice(list);
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::String(text) => self.text(text),
            Value::Number(number) => {
                if let Some(number) = number.as_f64() {
                    self.numbers.push(number);
                }
            }
            Value::Bool(flag) => self.values.push(flag.to_string()),
            Value::Array(items) => items.iter().for_each(|item| self.value(item)),
            Value::Object(map) => map.values().for_each(|item| self.value(item)),
            Value::Null => {}
        }
    }

    fn text(&mut self, text: &str) {
        let lower = text.to_lowercase();
        for piece in lower.split_whitespace() {
            self.values.push(piece.to_string());
        }
        if let Some(number) = number(&lower) {
            self.numbers.push(number);
        }
        for part in lower.split(|c: char| !c.is_alphanumeric()) {
            if part.is_empty() {
                continue;
            }
            if let Some(number) = number(part) {
                self.numbers.push(number);
            }
            self.values.push(part.to_string());
        }
        self.values.push(lower);
    }

    fn step(&mut self, workflow: &Workflow, id: &str) {
        if let Some(step) = tree::find(&workflow.steps, id)
            && !self.steps.iter().any(|known| known.id == step.id)
        {
            self.steps.push(step.clone());
        }
    }
}

/// Whether a word is one the skill's name or description says (or a
/// form of one).
fn skill_says(skill: &Skill, word: &str) -> bool {
    let stemmed = stem(word);
    skill
        .name
        .split(['-', '_'])
        .chain(skill.description.split(|c: char| !c.is_alphanumeric()))
        .filter(|part| part.len() >= 3 && !is_stopword(&part.to_lowercase()))
        .any(|part| same_stem(&stem(&part.to_lowercase()), &stemmed))
}

/// The steps reading `context.KEY`, and every step downstream of them (its
/// outputs read, or a conditional reading them and what it guards): a
/// value is often named by what it affects ("alert at 90%").
pub(super) fn affected_by_key(workflow: &Workflow, key: &str) -> Vec<String> {
    let reference = format!("context.{key}");
    let mut affected: Vec<String> = tree::walk(workflow)
        .into_iter()
        .filter(|visited| reads(visited.step, &[reference.as_str()]))
        .map(|visited| visited.step.id.clone())
        .collect();
    let mut index = 0;
    while index < affected.len() {
        let prefix = format!("{}.", affected[index]);
        for visited in tree::walk(workflow) {
            let id = &visited.step.id;
            if !affected.contains(id) && reads(visited.step, &[prefix.as_str()]) {
                affected.push(id.clone());
                for (_, children) in visited.step.child_lists() {
                    for child in children {
                        if !affected.contains(&child.id) {
                            affected.push(child.id.clone());
                        }
                    }
                }
            }
        }
        index += 1;
    }
    affected
}

/// Whether a word names an output the step reads, or one its producer
/// reads in turn ("the days left" for the check reading the soonest
/// expiry, computed from each certificate's `days_left`).
fn reads_output_named(workflow: &Workflow, step: &Step, word: &str) -> bool {
    let stemmed = stem(word);
    let mut producers: Vec<&Step> = vec![step];
    for _depth in 0..2 {
        let mut next = Vec::new();
        for reader in producers {
            let mut texts: Vec<&str> = reader.inputs.values().filter_map(Value::as_str).collect();
            if let StepKind::Conditional { condition, .. } = &reader.kind {
                texts.push(condition);
            }
            for text in texts {
                for reference in text.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
                    let Some((source, output)) = reference.split_once('.') else {
                        continue;
                    };
                    if source == "context" {
                        // "the summary email" for a step whose subject
                        // is "Monthly invoice summary".
                        if workflow
                            .context
                            .readonly
                            .get(output)
                            .and_then(Value::as_str)
                            .is_some_and(|text| {
                                text.split(|c: char| !c.is_alphanumeric())
                                    .filter(|part| part.len() >= 3)
                                    .any(|part| same_stem(&stem(&part.to_lowercase()), &stemmed))
                            })
                        {
                            return true;
                        }
                        continue;
                    }
                    if output
                        .split(['_', '-'])
                        .filter(|part| part.len() >= 3)
                        .any(|part| same_stem(&stem(&part.to_lowercase()), &stemmed))
                    {
                        return true;
                    }
                    if let Some(producer) = tree::find(&workflow.steps, source) {
                        next.push(producer);
                    }
                }
            }
        }
        producers = next;
    }
    false
}

/// Whether a step's inputs or condition mention any of the references.
fn reads(step: &Step, references: &[&str]) -> bool {
    let mentions = |text: &str| references.iter().any(|reference| text.contains(reference));
    step.inputs
        .values()
        .any(|value| value.as_str().is_some_and(mentions))
        || matches!(&step.kind, StepKind::Conditional { condition, .. } if mentions(condition))
}

/// What the modifications account for.
fn grounds(
    workflow: &Workflow,
    skills: &[Skill],
    new_skill: Option<&Skill>,
    modifications: &[Modification],
) -> Grounds {
    let mut grounds = Grounds::default();
    grounds.vocabulary(vocab::CHANGE);
    let find = |id: &str| tree::find(&workflow.steps, id);
    for modification in modifications {
        match modification {
            Modification::AddStep {
                step,
                after,
                before,
                parent,
                ..
            } => {
                grounds.vocabulary(vocab::ADD_STEP);
                for anchor in [after, before, parent].into_iter().flatten() {
                    grounds.step(workflow, anchor);
                }
                // "between A and B": the step on the other side too.
                for (anchor, offset) in [(after, 1isize), (before, -1)] {
                    if let Some(anchor) = anchor
                        && let Some(neighbour) = neighbour(workflow, anchor, offset)
                    {
                        grounds.step(workflow, &neighbour);
                    }
                }
                add_new_step(&mut grounds, workflow, step, skills, new_skill);
            }
            Modification::RemoveStep { id } => {
                // A step removed and added again inside a new step moves.
                let moved = modifications.iter().any(|other| {
                    matches!(other, Modification::AddStep { step, .. }
                        if tree::walk_step(step).iter().any(|inner| inner.id == *id))
                });
                if !moved {
                    grounds.vocabulary(vocab::REMOVE_STEP);
                }
                grounds.step(workflow, id);
            }
            Modification::ModifyStep { id, changes } => {
                grounds.step(workflow, id);
                let old = find(id);
                let Some(changes) = changes.as_object() else {
                    continue;
                };
                for (field, value) in changes {
                    match field.as_str() {
                        "timeout_secs" => {
                            grounds.vocabulary(vocab::TIMEOUT);
                            if value.is_null() {
                                grounds.vocabulary(vocab::NO_RETRY);
                            }
                            for secs in value
                                .as_u64()
                                .into_iter()
                                .chain(old.and_then(|step| step.timeout_secs))
                            {
                                grounds.timeouts_secs.push(secs);
                                grounds.numbers.push(secs as f64);
                            }
                        }
                        "error_handling" if value.is_null() => {
                            grounds.vocabulary(vocab::RETRY);
                            grounds.vocabulary(vocab::NO_RETRY);
                        }
                        "skill" => {
                            grounds.vocabulary(vocab::SKILL);
                            grounds.value(value);
                            if let Some(old) = old.and_then(Step::skill_name) {
                                grounds.text(old);
                            }
                            if let Some(skill) = value
                                .as_str()
                                .and_then(|name| skills.iter().find(|skill| skill.name == name))
                            {
                                grounds.text(&skill.description);
                            }
                        }
                        "inputs" => {
                            grounds.vocabulary(vocab::VALUE);
                            grounds.vocabulary(vocab::INPUT);
                            grounds.value(value);
                            for source in value
                                .as_object()
                                .into_iter()
                                .flat_map(|map| map.values())
                                .filter_map(Value::as_str)
                                .filter_map(|text| text.split_once('.'))
                            {
                                grounds.step(workflow, source.0);
                            }
                            if let (Some(map), Some(old)) = (value.as_object(), old) {
                                for name in map.keys() {
                                    grounds.text(name);
                                    if let Some(previous) = old.inputs.get(name) {
                                        grounds.value(previous);
                                    }
                                }
                            }
                        }
                        _ => {
                            grounds.text(field);
                            grounds.value(value);
                        }
                    }
                }
            }
            Modification::AddErrorHandling {
                step_id,
                error_handling,
            } => {
                grounds.step(workflow, step_id);
                match error_handling.strategy {
                    Strategy::Retry => {
                        grounds.vocabulary(vocab::RETRY);
                        let old = find(step_id).and_then(|step| step.error_handling.as_ref());
                        for attempts in error_handling
                            .max_attempts
                            .into_iter()
                            .chain(old.and_then(|old| old.max_attempts))
                        {
                            // "retry 3 times" is 4 attempts.
                            grounds.numbers.push(attempts as f64);
                            grounds.numbers.push(attempts.saturating_sub(1) as f64);
                        }
                        for ms in [
                            error_handling.initial_interval_ms,
                            error_handling.max_interval_ms,
                        ]
                        .into_iter()
                        .flatten()
                        {
                            grounds.durations_ms.push(ms);
                        }
                        // "don't retry it when it exits with code 4".
                        let newly: Vec<&String> = error_handling
                            .non_retryable
                            .iter()
                            .flatten()
                            .filter(|kind| {
                                !old.and_then(|old| old.non_retryable.as_ref())
                                    .is_some_and(|listed| listed.contains(kind))
                            })
                            .collect();
                        if !newly.is_empty() {
                            grounds.vocabulary(vocab::NO_RETRY);
                            grounds.vocabulary(vocab::ERROR_KINDS);
                        }
                        for kind in newly {
                            if let Some(code) = kind
                                .strip_prefix("exit_code:")
                                .and_then(|code| code.parse::<f64>().ok())
                            {
                                grounds.numbers.push(code);
                            }
                        }
                    }
                    Strategy::Continue => {
                        grounds.vocabulary(vocab::CONTINUE);
                        // "don't retry, just continue": no retry is part of it.
                        grounds.vocabulary(vocab::NO_RETRY);
                        grounds.vocabulary(&["retry", "retries", "retried", "retrying"]);
                    }
                    Strategy::Fallback => {
                        grounds.vocabulary(vocab::FALLBACK);
                        grounds.vocabulary(vocab::CONTINUE);
                        if let Some(backup) = &error_handling.fallback {
                            grounds.step(workflow, backup);
                        }
                    }
                    _ => grounds.vocabulary(vocab::STOP),
                }
            }
            Modification::MakeParallel { step_ids, .. } => {
                grounds.vocabulary(vocab::PARALLEL);
                for id in step_ids {
                    grounds.step(workflow, id);
                }
            }
            Modification::ReorderSteps { order } => {
                grounds.vocabulary(vocab::REORDER);
                // The steps that move are named, and the place they go to
                // by the steps beside it ("after the shrink").
                let before: Vec<&str> = sibling_order(workflow, order);
                for (index, id) in order.iter().enumerate() {
                    if before.get(index) != Some(&id.as_str()) {
                        grounds.step(workflow, id);
                        for neighbour in [index.checked_sub(1), Some(index + 1)]
                            .into_iter()
                            .flatten()
                            .filter_map(|at| order.get(at))
                        {
                            grounds.step(workflow, neighbour);
                        }
                    }
                }
            }
            Modification::RenameStep { id, new_id } => {
                grounds.vocabulary(vocab::RENAME);
                grounds.step(workflow, id);
                grounds.text(new_id);
            }
            Modification::SetContext { key, value } => {
                grounds.vocabulary(vocab::VALUE);
                grounds.text(key);
                for part in key.to_lowercase().split(['_', '-']) {
                    grounds.vocabulary(vocab::key_meanings(part));
                    // "the line limit" for `max_lines`: one of the things.
                    if let Some(one) = part.strip_suffix('s').filter(|one| one.len() >= 3) {
                        grounds.text(one);
                    }
                }
                grounds.value(value);
                if value.is_number() {
                    grounds.words.extend_from_slice(&["percent", "%", "pct"]);
                    grounds.number_written = true;
                }
                // The names of the inputs reading it ("keep" for keep_days).
                let reference = format!("context.{key}");
                for visited in tree::walk(workflow) {
                    for (input, source) in &visited.step.inputs {
                        if source.as_str() == Some(reference.as_str()) {
                            grounds.text(&input.replace(['_', '-'], " "));
                        }
                    }
                }
                // A threshold is named by its comparison ("less than 30"),
                // and as a threshold or limit when its name says so.
                let reference = format!("context.{key}");
                let bound = key.to_lowercase().split(['_', '-']).any(|part| {
                    matches!(
                        part,
                        "min" | "max" | "minimum" | "maximum" | "limit" | "threshold" | "cap"
                    )
                });
                if bound {
                    grounds.words.extend_from_slice(&[
                        "threshold",
                        "limit",
                        "minimum",
                        "maximum",
                        "min",
                        "max",
                        "cap",
                    ]);
                    for (phrase, _) in super::condition::COMPARATORS {
                        grounds.words.extend(phrase.split(' '));
                    }
                }
                if tree::walk(workflow).iter().any(|visited| {
                    matches!(&visited.step.kind, StepKind::Conditional { condition, .. }
                        if condition.contains(&reference))
                }) {
                    for (phrase, _) in super::condition::COMPARATORS {
                        grounds.words.extend(phrase.split(' '));
                    }
                }
                // "over 1.2 seconds instead of 800ms" for `max_latency_ms`:
                // the durations said are the values in the key's unit.
                if let Some(unit_ms) = super::text::name_unit_ms(key).map(|unit| unit as f64) {
                    for held in std::iter::once(value).chain(workflow.context.readonly.get(key)) {
                        if let Some(number) = held.as_f64() {
                            grounds.durations_ms.push((number * unit_ms).round() as u64);
                        }
                    }
                }
                if let Some(old) = workflow.context.readonly.get(key) {
                    grounds.value(old);
                    // "lower it by 50": the difference is a value too.
                    if let (Some(new), Some(old)) = (value.as_f64(), old.as_f64()) {
                        grounds.numbers.push((new - old).abs());
                    }
                }
                for id in affected_by_key(workflow, key) {
                    grounds.step(workflow, &id);
                }
            }
            Modification::RemoveContext { key } => {
                grounds.vocabulary(vocab::REMOVE_STEP);
                grounds.vocabulary(vocab::VALUE);
                grounds.text(key);
            }
            Modification::SetDescription { description } => {
                grounds.vocabulary(vocab::DESCRIPTION);
                grounds.text(description);
            }
        }
    }
    grounds
}

/// The ids of the list `order` rearranges, in their order before.
fn sibling_order<'w>(workflow: &'w Workflow, order: &[String]) -> Vec<&'w str> {
    let Some(first) = order.first() else {
        return Vec::new();
    };
    let siblings = match tree::locate(workflow, first) {
        Some((container, _)) => tree::list(workflow, &container),
        None => None,
    };
    siblings
        .unwrap_or(&workflow.steps)
        .iter()
        .map(|step| step.id.as_str())
        .collect()
}

/// A new step accounts for the words of its clause when its skill fits
/// the clause's action; its anchors and skill are named like any step.
fn add_new_step(
    grounds: &mut Grounds,
    workflow: &Workflow,
    step: &Step,
    skills: &[Skill],
    new_skill: Option<&Skill>,
) {
    if let StepKind::Conditional {
        condition,
        then,
        otherwise,
    } = &step.kind
    {
        // A condition put around steps: its words, the step it reads, and
        // the steps it guards.
        grounds.vocabulary(vocab::CONDITION);
        grounds.text(condition);
        for reference in condition.split_whitespace() {
            if let Some((id, _)) = reference.split_once('.') {
                grounds.step(workflow, id);
            }
        }
        for inner in then.iter().chain(otherwise) {
            if tree::find(&workflow.steps, &inner.id).is_some() {
                grounds.step(workflow, &inner.id);
            } else {
                add_new_step(grounds, workflow, inner, skills, new_skill);
            }
        }
        return;
    }
    let skill = step.skill_name().and_then(|name| {
        skills
            .iter()
            .chain(new_skill)
            .find(|skill| skill.name == name)
    });
    // The step as its skill describes it, not as the request did.
    let mut named = step.clone();
    named.description = skill.map(|skill| skill.description.clone());
    // A time limit said in the clause counts only where the step has it
    // ("(give it a minute and a half)" on a step with no timeout is not
    // done).
    let said = super::text::tokenize(step.description.as_deref().unwrap_or_default());
    let timed: Vec<String> = super::build::modifier_phrases(&said)
        .into_iter()
        .filter(|(_, secs)| secs.is_some() && step.timeout_secs != *secs)
        .flat_map(|(range, _)| said[range].iter())
        .filter(|tok| !is_stopword(&tok.word))
        .map(|tok| tok.word.clone())
        .collect();
    let clause: Vec<String> = step
        .description
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(|word| {
            word.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|word| !word.is_empty() && !timed.contains(word))
        // A value in the clause counts only where a step reads it (see
        // `unaccounted_creation`), not because the clause said it.
        .filter(|word| {
            !super::build::is_url(word) && !super::build::is_path(word) && !word.contains('@')
        })
        .collect();
    let action = clause
        .iter()
        .find(|word| !is_stopword(word))
        .map(|word| Tok {
            word: word.clone(),
            raw: word.clone(),
            start: 0,
            end: 0,
        });
    // A skill made for this step fits it by construction.
    let fits = new_skill.is_some_and(|new| step.skill_name() == Some(new.name.as_str()))
        || action
            .as_ref()
            .is_some_and(|action| word_names_step(action, &named) > 0);
    if fits {
        grounds.clauses.extend(clause);
    }
    for value in step.inputs.values() {
        grounds.value(value);
    }
    if let Some(secs) = step.timeout_secs {
        grounds.vocabulary(vocab::TIMEOUT);
        grounds.timeouts_secs.push(secs);
    }
    if let Some(handling) = &step.error_handling {
        grounds.vocabulary(vocab::RETRY);
        if let Some(attempts) = handling.max_attempts {
            grounds.numbers.push(attempts as f64);
            grounds.numbers.push(attempts.saturating_sub(1) as f64);
        }
    }
    if !grounds.steps.iter().any(|known| known.id == named.id) {
        grounds.steps.push(named);
    }
}

fn in_list(word: &str, list: &[&str]) -> bool {
    let stemmed = stem(word);
    list.iter()
        .any(|known| *known == word || same_stem(&stem(known), &stemmed))
}

/// The id of the step `offset` places from `id` in its list.
fn neighbour(workflow: &Workflow, id: &str, offset: isize) -> Option<String> {
    let (container, index) = tree::locate(workflow, id)?;
    let list = tree::list(workflow, &container)?;
    let at = index.checked_add_signed(offset)?;
    list.get(at).map(|step| step.id.clone())
}

/// Where a step stands: its 0-based place and the length of its list.
fn place(workflow: &Workflow, id: &str) -> Option<(usize, usize)> {
    let (container, index) = tree::locate(workflow, id)?;
    let list = tree::list(workflow, &container)?;
    Some((index, list.len()))
}

/// Whether a word picks one of the steps by position ("the first step",
/// "step #3", "the second-to-last one", "the only step of the branch").
fn names_a_position(word: &str, workflow: &Workflow, steps: &[Step]) -> bool {
    let places: Vec<(usize, usize)> = steps
        .iter()
        .filter_map(|step| place(workflow, &step.id))
        .collect();
    let wanted = |test: &dyn Fn(usize, usize) -> bool| {
        places.iter().any(|(index, length)| test(*index, *length))
    };
    match word {
        "last" | "final" => wanted(&|index, length| index + 1 == length),
        "penultimate" | "second-to-last" | "next-to-last" => {
            wanted(&|index, length| index + 2 == length)
        }
        "only" => wanted(&|_, length| length == 1),
        _ => {
            let digits = word.trim_start_matches('#');
            let n = super::text::ordinal(digits)
                .or_else(|| super::text::count(digits).map(|n| n as usize));
            n.is_some_and(|n| wanted(&|index, _| index + 1 == n))
        }
    }
}

/// Whether one of the steps sits in a container, or is one.
fn in_a_container(workflow: &Workflow, steps: &[Step]) -> Vec<String> {
    let mut containers = Vec::new();
    for step in steps {
        if !step.child_lists().is_empty() {
            containers.push(step.id.clone());
        }
        if let Some((container, _)) = tree::locate(workflow, &step.id)
            && let Some(owner) = container.owner()
        {
            containers.push(owner.to_string());
        }
    }
    containers
}

/// Per token, whether it belongs to one of the vocabulary's filler
/// phrases ("in summary", "at your earliest convenience"), wherever it
/// stands.
pub(super) fn in_filler_phrases(toks: &[Tok]) -> Vec<bool> {
    let mut inside = super::text::speaker_clauses(toks);
    for phrase in vocab::FILLER_PHRASES {
        let words: Vec<&str> = phrase.split(' ').collect();
        for at in 0..toks.len() {
            if toks.len() - at >= words.len()
                && words
                    .iter()
                    .enumerate()
                    .all(|(offset, word)| toks[at + offset].word == *word)
            {
                inside[at..at + words.len()].fill(true);
            }
        }
    }
    inside
}

/// The request's words that the change does not account for, as the user
/// wrote them (in order, each once).
pub(super) fn unaccounted(
    toks: &[Tok],
    workflow: &Workflow,
    skills: &[Skill],
    new_skill: Option<&Skill>,
    modifications: &[Modification],
) -> Vec<String> {
    let grounds = grounds(workflow, skills, new_skill, modifications);
    // Filler phrases, wherever they stand.
    let mut accounted = in_filler_phrases(toks);
    // Values written in several tokens ("+1 555 0100") that the change
    // writes whole.
    for (indices, literal) in super::build::literals(toks) {
        if grounds.values.contains(&literal.text().to_lowercase()) {
            for index in indices {
                accounted[index] = true;
            }
        }
    }
    // Durations the change writes.
    let has_duration = !grounds.durations_ms.is_empty() || !grounds.timeouts_secs.is_empty();
    for duration in durations(toks) {
        let written = grounds.durations_ms.contains(&duration.ms)
            || grounds.timeouts_secs.contains(&duration.secs());
        if written {
            accounted[duration.start..duration.end].fill(true);
        }
    }
    let touched: Vec<&Step> = grounds
        .steps
        .iter()
        .filter(|step| tree::find(&workflow.steps, &step.id).is_some())
        .collect();
    let several = touched.len() >= 2;
    let containers = in_a_container(
        workflow,
        &touched
            .iter()
            .map(|step| (*step).clone())
            .collect::<Vec<_>>(),
    );
    let all_steps: Vec<&Step> = tree::walk(workflow)
        .into_iter()
        .map(|visited| visited.step)
        .collect();
    // Words after a relation name other steps: the producers a touched
    // step reads ("the step that reads the users"), or steps left out
    // ("every step except save").
    let mut relation: Option<&str> = None;
    let workflow_words: Vec<String> = workflow
        .name
        .split(['-', '_'])
        .map(str::to_lowercase)
        .collect();
    let mut left: Vec<String> = Vec::new();
    for (index, tok) in toks.iter().enumerate() {
        if tok.is_punctuation() {
            relation = None;
            continue;
        }
        if vocab::RELATIONS.contains(&tok.word.as_str()) || tok.is("not") {
            relation = Some(tok.word.as_str());
        }
        if accounted[index] {
            continue;
        }
        let word = tok.word.as_str();
        let raw_lower = tok.raw.to_lowercase();
        let numeric = number(word.trim_end_matches('%'));
        let positional = names_a_position(word, workflow, &grounds.steps);
        let filler = is_stopword(word) || vocab::FILLERS.contains(&word);
        // "three weeks" written as 21 days.
        let in_other_units = |value: f64| {
            let Some(given) = toks
                .get(index + 1)
                .and_then(|next| super::edit::values::unit_secs(&next.word))
            else {
                return false;
            };
            grounds.number_written
                && [1u64, 60, 3_600, 86_400, 7 * 86_400].iter().any(|kept| {
                    let converted = value * given as f64 / *kept as f64;
                    grounds
                        .numbers
                        .iter()
                        .any(|known| (known - converted).abs() < 1e-9)
                })
        };
        let fine = if let Some(value) = numeric {
            // "the one that …" is no number.
            in_other_units(value)
                || (filler && !word.starts_with(|c: char| c.is_ascii_digit()))
                || positional
                || grounds
                    .numbers
                    .iter()
                    .any(|known| (known - value).abs() < 1e-9)
                || grounds.values.contains(&raw_lower)
        } else {
            filler
                || vocab::PAYLOAD.contains(&word)
                || positional
                || in_list(word, &grounds.words)
                || (has_duration && unit_ms(word).is_some())
                || (grounds.number_written
                    && (vocab::UNITS.contains(&word) || vocab::CALENDAR_UNITS.contains(&word)))
                // "report the depth": what a touched step reads, by name.
                || touched.iter().any(|step| reads_output_named(workflow, step, word))
                || grounds
                    .values
                    .iter()
                    .any(|value| *value == raw_lower || *value == word || *value == word.replace('/', ""))
                // "the tagger-v4 model at models/tagger-v4.onnx"
                || (raw_lower.len() >= 4
                    && raw_lower.contains(|c: char| !c.is_alphabetic())
                    && grounds.values.iter().any(|value| value.contains(&raw_lower)))
                || grounds.clauses.iter().any(|clause| clause == word)
                || workflow_words
                    .iter()
                    .any(|part| same_stem(&stem(part), &stem(word)))
                || (several && vocab::EVERY.contains(&word))
                || (relation.is_some() && vocab::RELATIONS.contains(&word))
                || (!containers.is_empty()
                    && (vocab::CONTAINERS.contains(&word)
                        || containers.iter().any(|id| {
                            id.replace('-', "") == word.replace('-', "")
                                || id.split('-').any(|part| part == word)
                        })))
                || (vocab::POSITIONS.contains(&word) && positional)
                || containers.iter().any(|id| {
                    tree::find(&workflow.steps, id).is_some_and(|container| {
                        word_names_step(tok, container) > 0
                            || matches!(&container.kind, StepKind::Conditional { condition, .. }
                                if condition.to_lowercase().contains(word))
                    })
                })
                || names_as_related(tok, relation, &touched, &all_steps)
                // A step is also named by what its skill says it does
                // ("the slack post" for a step running slack-notify).
                || touched.iter().any(|step| {
                    step.skill_name()
                        .and_then(|name| skills.iter().find(|skill| skill.name == name))
                        .is_some_and(|skill| skill_says(skill, word))
                })
                || names_a_touched_step(tok, &grounds.steps, &all_steps)
                // "the summary email": a word before one naming the touched
                // step says which of its kind.
                || toks.get(index + 1).is_some_and(|next| {
                    names_a_touched_step(next, &grounds.steps, &all_steps)
                        && grounds.steps.iter().any(|step| word_names_step(tok, step) > 0)
                })
        };
        if !fine && !left.contains(&tok.raw) {
            left.push(tok.raw.clone());
        }
    }
    left
}

/// A word after a relation word names a step related to the touched ones:
/// one they read from ("reads", "uses", "takes"), or one left out
/// ("except", "but", "not").
fn names_as_related(
    tok: &Tok,
    relation: Option<&str>,
    touched: &[&Step],
    all_steps: &[&Step],
) -> bool {
    let Some(relation) = relation else {
        return false;
    };
    let excluding = matches!(relation, "except" | "excluding" | "besides" | "but" | "not");
    let producing = matches!(
        relation,
        "produces"
            | "producing"
            | "output"
            | "outputs"
            | "returns"
            | "makes"
            | "creates"
            | "writes"
    );
    if producing {
        return touched.iter().any(|step| {
            step.outputs
                .iter()
                .any(|output| output.eq_ignore_ascii_case(&tok.word))
                || word_names_step(tok, step) > 0
        });
    }
    all_steps.iter().any(|step| {
        let read_by_touched = touched.iter().any(|reader| {
            reader.inputs.values().any(|value| {
                value
                    .as_str()
                    .and_then(|text| text.split_once('.'))
                    .is_some_and(|(source, _)| source == step.id)
            })
        });
        let is_touched = touched.iter().any(|known| known.id == step.id);
        ((excluding && !is_touched) || (!excluding && read_by_touched))
            && word_names_step(tok, step) > 0
    })
}

/// A word names one of the steps the change touches, and no other step
/// better: "the postgres insert" must not retry the step that dedupes.
fn names_a_touched_step(tok: &Tok, steps: &[Step], all_steps: &[&Step]) -> bool {
    let best_touched = steps
        .iter()
        .map(|step| word_names_step(tok, step))
        .max()
        .unwrap_or(0);
    if best_touched == 0 {
        return false;
    }
    !all_steps.iter().any(|other| {
        !steps.iter().any(|step| step.id == other.id) && word_names_step(tok, other) > best_touched
    })
}

/// Whether a condition reads a value that exists: `step.output` where the
/// step's skill declares the output, and `context.KEY` only on the right
/// (a threshold), never as the flag tested.
pub(super) fn reads_a_declared_value(
    condition: &str,
    workflow: &Workflow,
    skills: &[Skill],
    new_skills: &[Skill],
) -> bool {
    let Some(subject) = condition.split_whitespace().next() else {
        return false;
    };
    let Some((id, output)) = subject.split_once('.') else {
        return false;
    };
    if id == "context" {
        return false;
    }
    let Some(step) = tree::find(&workflow.steps, id) else {
        return false;
    };
    match step.skill_name() {
        Some(name) => {
            if let Some(installed) = skills.iter().find(|skill| skill.name == name) {
                // A skill that declares no outputs is taken at its word
                // (validation warns about it).
                match installed.declared().1 {
                    Some(declared) => declared.iter().any(|port| port.name == output),
                    None => true,
                }
            } else {
                new_skills.iter().any(|new| new.name == name)
            }
        }
        None => step.outputs.iter().any(|declared| declared == output),
    }
}

/// Whether a step built from a clause does what the clause says: its skill
/// fits the clause; a new skill only when no installed one fits, and only
/// for a task the clause names ("do the thing" names none); and no second
/// action hides in the clause ("get the forecast and slack it").
fn step_does_its_clause(
    step: &Step,
    skill: Option<&Skill>,
    clause: &[Tok],
    heard: &fit::ClauseWords,
    skills: &[Skill],
    new_skills: &[Skill],
    named_by_user: bool,
) -> bool {
    let Some(skill) = skill else {
        return false;
    };
    let is_new = new_skills.iter().any(|new| new.name == skill.name);
    // "there isn't a skill for logging yet, name it signup-logger": the
    // user said the installed one is not it.
    if is_new && named_by_user {
        return step.description.is_some();
    }
    if step.description.is_none()
        || !(fit::fits(skill, heard) || (is_new && fit::concept_fits(skill, heard)))
    {
        return false;
    }
    if is_new {
        if skills.iter().any(|installed| fit::fits(installed, heard)) {
            return false;
        }
        // A new skill is made for a task the clause names: a known verb
        // ("chek" is none), not a vague one ("do the thing", "take the
        // file"), and after a generic verb an object.
        let verb = heard.verb.as_deref().unwrap_or_default();
        let has_value = !super::build::literals(clause).is_empty();
        let vague = !super::concepts::is_verb(verb)
            || vocab::VAGUE_VERBS.contains(&verb)
            || (vocab::GENERIC_VERBS.contains(&verb) && heard.object.is_empty() && !has_value);
        if vague {
            return false;
        }
    }
    for (at, tok) in clause.iter().enumerate() {
        if tok.is_any(&["and", "then", ","])
            && at + 1 < clause.len()
            && super::build::starts_action(&clause[at + 1..])
            && !super::clauses::plural_noun(&clause[at + 1..])
        {
            let second = fit::clause_words(&clause[at + 1..], &heard.object);
            if !fit::fits(skill, &second) {
                return false;
            }
        }
    }
    true
}

/// The words of a description that the workflow built from it does not
/// account for: a clause that made no step, a step whose skill does not
/// do what its clause says, a value that went nowhere.
pub(super) fn unaccounted_creation(
    body: &[Tok],
    workflow: &Workflow,
    skills: &[Skill],
    new_skills: &[Skill],
    named_by_user: &[String],
) -> Vec<String> {
    let mut grounds = Grounds::default();
    grounds.vocabulary(vocab::CREATE);
    grounds.vocabulary(vocab::SCHEDULE);
    // A value counts only when a step reads it: two addresses given to a
    // step that takes one leave the second unread, not done.
    let read_keys: Vec<String> = tree::walk(workflow)
        .iter()
        .flat_map(|visited| {
            let mut texts: Vec<String> = visited
                .step
                .inputs
                .values()
                .filter_map(|value| value.as_str().map(str::to_string))
                .collect();
            if let StepKind::Conditional { condition, .. } = &visited.step.kind {
                texts.push(condition.clone());
            }
            texts
        })
        .collect();
    let read_values: Vec<&serde_json::Value> = workflow
        .context
        .readonly
        .iter()
        .filter(|(key, _)| {
            let reference = format!("context.{key}");
            read_keys.iter().any(|text| {
                text == &reference || text.split_whitespace().any(|part| part == reference)
            })
        })
        .map(|(_, value)| value)
        .collect();
    for value in &read_values {
        grounds.value(value);
    }
    let mut antecedent: Vec<String> = Vec::new();
    let mut done_clauses: Vec<(Vec<Tok>, Skill)> = Vec::new();
    for visited in tree::walk(workflow) {
        let step = visited.step;
        match &step.kind {
            StepKind::Conditional {
                condition,
                otherwise,
                ..
            } => {
                // A condition counts only when it reads what a step
                // declares: an installed skill's output, a new skill's, or
                // a threshold the request gave.
                if reads_a_declared_value(condition, workflow, skills, new_skills) {
                    grounds.vocabulary(vocab::CONDITION);
                    // "…, otherwise write a line to the log": its branch.
                    if !otherwise.is_empty() {
                        grounds.vocabulary(&["else", "otherwise"]);
                    }
                    grounds.text(condition);
                    if let Some(description) = &step.description {
                        grounds.text(description);
                    }
                }
            }
            StepKind::Parallel { .. } => {
                grounds.vocabulary(vocab::PARALLEL);
                grounds.vocabulary(vocab::EVERY);
                if let Some(description) = &step.description {
                    grounds.text(description);
                }
            }
            _ => {
                // The step's clause, as its description keeps it.
                let clause = super::text::tokenize(step.description.as_deref().unwrap_or_default());
                let heard = fit::clause_words(&clause, &antecedent);
                let skill = step.skill_name().and_then(|name| {
                    skills
                        .iter()
                        .chain(new_skills)
                        .find(|skill| skill.name == name)
                });
                let named_by_user = skill.is_some_and(|skill| named_by_user.contains(&skill.name));
                if step_does_its_clause(
                    step,
                    skill,
                    &clause,
                    &heard,
                    skills,
                    new_skills,
                    named_by_user,
                ) {
                    if let Some(skill) = skill {
                        done_clauses.push((clause.clone(), skill.clone()));
                    }
                    add_new_step(&mut grounds, workflow, step, skills, skill);
                    // "turn them into html": a verb read as another
                    // ("convert") is the word the request wrote.
                    if let Some(first) = clause.first()
                        && heard.verb.as_deref().is_some_and(|verb| verb != first.word)
                    {
                        grounds.text(&first.word);
                    }
                    // A step given the whole list does each of them.
                    if step
                        .description
                        .as_deref()
                        .is_some_and(|text| text.contains("(each "))
                    {
                        grounds.vocabulary(vocab::PARALLEL);
                        grounds.vocabulary(vocab::EVERY);
                    }
                } else {
                    // Its values still count; its words do not.
                    for value in step.inputs.values() {
                        grounds.value(value);
                    }
                }
                if !heard.object.is_empty() {
                    antecedent = heard.object.clone();
                }
                // "it" is also what an installed skill made, as the
                // builder read it.
                if let Some(skill) = skill.filter(|skill| skills.contains(skill)) {
                    for output in skill.output_names() {
                        let output = output.to_lowercase();
                        if !antecedent.contains(&output) {
                            antecedent.push(output);
                        }
                    }
                }
                // An installed skill named in the request ("using
                // pg-loader"); a new skill's name comes from the request.
                if let Some(skill) = skill.filter(|skill| skills.contains(skill)) {
                    grounds.text(&skill.name);
                }
                if let Some(secs) = step.timeout_secs {
                    grounds.numbers.push(secs as f64);
                }
            }
        }
    }
    // "export the segment …, drop duplicate contacts": a clause that
    // swallowed another holds words only an installed skill the workflow
    // does not run speaks of. Its step does not account for them.
    let used: Vec<&str> = tree::walk(workflow)
        .iter()
        .filter_map(|visited| visited.step.skill_name())
        .collect();
    let unused: Vec<&Skill> = skills
        .iter()
        .filter(|skill| !used.contains(&skill.name.as_str()))
        .collect();
    let running: Vec<&Skill> = skills
        .iter()
        .chain(new_skills)
        .filter(|skill| used.contains(&skill.name.as_str()))
        .collect();
    for (clause, skill) in &done_clauses {
        let values: Vec<usize> = super::build::literals(clause)
            .into_iter()
            .flat_map(|(tokens, _)| tokens)
            .collect();
        // Only words past a value or a joining word ("… at
        // https://…/contacts drop duplicate contacts"), or after the last
        // word the step's skill says ("export the product feed weed out
        // duplicate prices"), can be another clause.
        let tail = clause
            .iter()
            .enumerate()
            .position(|(at, tok)| values.contains(&at) || tok.is_any(&["and", "then"]))
            .map_or(clause.len(), |at| at + 1);
        let unsaid_from = clause
            .iter()
            .enumerate()
            .rposition(|(at, tok)| values.contains(&at) || skill_says(skill, &tok.word))
            .map_or(clause.len(), |at| at + 1);
        for (at, tok) in clause.iter().enumerate().skip(tail.min(unsaid_from).max(1)) {
            let word = tok.word.as_str();
            let swallowed = !values.contains(&at)
                && word.len() >= 4
                && word.chars().all(|c| c.is_ascii_alphabetic())
                && !is_stopword(word)
                && !vocab::PAYLOAD.contains(&word)
                && !vocab::FILLERS.contains(&word)
                // "before it runs out": a verb that names no task.
                && !vocab::GENERIC_VERBS
                    .iter()
                    .chain(vocab::WEAK_VERBS)
                    .any(|verb| same_stem(&stem(verb), &stem(word)))
                // A skill qwf makes is described by its clause, so its
                // description says every word: only its name counts here.
                && !(if new_skills.iter().any(|new| new.name == skill.name) {
                    skill
                        .name
                        .split(['-', '_'])
                        .any(|part| same_stem(&stem(part), &stem(word)))
                } else {
                    skill_says(skill, word)
                })
                && !running.iter().any(|other| skill_says(other, word))
                && unused.iter().any(|other| skill_says(other, word));
            if swallowed {
                grounds.clauses.retain(|known| known != word);
            }
        }
    }
    let durations_written: Vec<u64> = grounds.timeouts_secs.clone();
    let mut accounted = in_filler_phrases(body);
    for duration in durations(body) {
        if durations_written.contains(&duration.secs()) {
            accounted[duration.start..duration.end].fill(true);
        }
    }
    // "+44 7700 900123": a value written in several words, lifted whole.
    for (tokens, literal) in super::build::literals(body) {
        let value = literal.text();
        let lifted = read_values.iter().any(|held| held.as_str() == Some(value));
        if lifted {
            for at in tokens {
                if let Some(done) = accounted.get_mut(at) {
                    *done = true;
                }
            }
        }
    }
    // "a workflow named nightly-sync": the name given.
    for (index, tok) in body.iter().enumerate() {
        if tok.is_any(&["named", "called"])
            && body
                .get(index + 1)
                .is_some_and(|next| next.word == workflow.name)
        {
            accounted[index + 1] = true;
        }
    }
    let mut left: Vec<String> = Vec::new();
    for (index, tok) in body.iter().enumerate() {
        if accounted[index] || tok.is_punctuation() {
            continue;
        }
        let word = tok.word.as_str();
        let raw_lower = tok.raw.to_lowercase();
        let filler = is_stopword(word) || vocab::FILLERS.contains(&word);
        let fine = filler
            || vocab::PAYLOAD.contains(&word)
            || in_list(word, &grounds.words)
            || grounds.values.iter().any(|value| {
                *value == raw_lower || *value == word || *value == word.replace('/', "")
            })
            || number(word.trim_end_matches('%')).is_some_and(|value| {
                grounds
                    .numbers
                    .iter()
                    .any(|known| (known - value).abs() < 1e-9)
            })
            || grounds.clauses.iter().any(|clause| clause == word)
            || grounds
                .steps
                .iter()
                .any(|step| word_names_step(tok, step) > 0);
        if !fine && !left.contains(&tok.raw) {
            left.push(tok.raw.clone());
        }
    }
    left
}

/// The words of a request to undo or roll back that the history intent
/// does not account for ("undo the timeout change but keep the new
/// table": keeping something is not undoing the last change). `numbers`
/// are the versions or counts read; `named` the words that found a
/// version by what it changed.
pub(super) fn unaccounted_history(
    toks: &[Tok],
    workflow: &str,
    numbers: &[u64],
    named: &[String],
) -> Vec<String> {
    let accounted = in_filler_phrases(toks);
    let workflow_words: Vec<&str> = workflow.split(['-', '_']).collect();
    let mut left = Vec::new();
    for (index, tok) in toks.iter().enumerate() {
        if accounted[index] || tok.is_punctuation() {
            continue;
        }
        let word = tok.word.as_str();
        let version = word
            .strip_prefix('v')
            .and_then(|digits| digits.parse::<u64>().ok());
        let fine = is_stopword(word)
            || vocab::FILLERS.contains(&word)
            || in_list(word, vocab::HISTORY)
            || in_list(word, vocab::CHANGE)
            || vocab::POSITIONS.contains(&word)
            || matches!(
                word,
                "everything"
                    | "mistake"
                    | "wrong"
                    | "way"
                    | "was"
                    | "it"
                    | "how"
                    | "bring"
                    | "put"
                    | "couple"
            )
            || version.is_some_and(|version| numbers.contains(&version))
            || super::text::count(word).is_some_and(|value| numbers.contains(&value))
            || named.iter().any(|known| known == word)
            || workflow_words.contains(&word)
            || workflow == word;
        if !fine && !left.contains(&tok.raw) {
            left.push(tok.raw.clone());
        }
    }
    left
}

/// Whether a word speaks of a change as its description tells it: a word
/// of the description, or a step it touches or affects ("that threshold
/// change" for "set context max_percent = 95", which the threshold check
/// reads).
pub(super) fn describes_change(word: &str, description: &str, workflow: Option<&Workflow>) -> bool {
    let lower = description.to_lowercase();
    if lower.contains(word) || lower.contains(&stem(word)) {
        return true;
    }
    // "the cloud limit" is `max_cloud`, "the retention" is `keep_days`: a
    // word for a part of a name the change set.
    let said_for_part = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .any(|part| {
            vocab::stands_for_part(word, part) || vocab::key_meanings(word).contains(&part)
        });
    if said_for_part {
        return true;
    }
    let Some(workflow) = workflow else {
        return false;
    };
    let tok = Tok {
        word: word.to_string(),
        raw: word.to_string(),
        start: 0,
        end: 0,
    };
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .filter(|part| !part.is_empty())
        .any(|part| {
            let mut steps: Vec<String> = Vec::new();
            if workflow.context.readonly.contains_key(part) {
                steps.extend(affected_by_key(workflow, part));
            }
            if tree::find(&workflow.steps, part).is_some() {
                steps.push(part.to_string());
            }
            steps.iter().any(|id| {
                tree::find(&workflow.steps, id).is_some_and(|step| word_names_step(&tok, step) > 0)
            })
        })
}
