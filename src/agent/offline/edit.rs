//! Edits of an existing workflow: a request is read into one or more
//! [`Edit`]s (text only), then each is resolved against the workflow into
//! modifications, a question, or an explanation. Nothing is guessed: a
//! reference that fits two steps equally becomes a question, and a request
//! that fits no pattern is left alone.

mod structure;

use serde_json::{Value, json};

use crate::core::model::{Backoff, ErrorHandling, Step, StepKind, Strategy};
use crate::core::modification::read_steps;
use crate::core::names::step_id_problem;
use crate::core::skill::Skill;
use crate::core::{Container, Modification, Workflow, tree};

use super::read::parse_all;
use super::read::{Edit, TimeoutChange};
use super::refs::{Found, content, resolve, resolve_among};
use super::text::{Tok, count, durations, quoted_list, tokenize};

/// What the edit is resolved against.
pub(super) struct EditContext<'a> {
    pub text: &'a str,
    pub workflow: &'a Workflow,
    pub name: &'a str,
    pub skills: &'a [Skill],
    /// The user's answers to this planner's questions, oldest first.
    pub answers: &'a [String],
    /// `qwf edit --step ID`: the step meant when none is named.
    pub scope_step: Option<&'a str>,
}

/// What to do about an edit request.
#[derive(Debug)]
pub(super) enum Plan {
    Propose {
        modifications: Vec<Modification>,
        summary: String,
        new_skill: Option<Box<Skill>>,
    },
    Ask(String),
    Say(String),
    NotUnderstood,
}

// ---------------------------------------------------------------------------
// Resolving against the workflow

struct Resolved {
    modifications: Vec<Modification>,
    summary: String,
    new_skill: Option<Box<Skill>>,
    steps: Vec<String>,
}

impl Resolved {
    fn new(modifications: Vec<Modification>, summary: String, steps: Vec<String>) -> Self {
        Resolved {
            modifications,
            summary,
            new_skill: None,
            steps,
        }
    }
}

fn attempts_text(handling: &ErrorHandling) -> String {
    let attempts = handling.max_attempts.unwrap_or(3);
    let mut text = format!("{attempts} attempt{}", if attempts == 1 { "" } else { "s" });
    if let Some(backoff) = handling.backoff {
        text.push_str(&format!(", {backoff} backoff"));
    }
    if let Some(initial) = handling.initial_interval_ms {
        text.push_str(&format!(", starting at {}", show_ms(initial)));
    }
    if let Some(max) = handling.max_interval_ms {
        text.push_str(&format!(", at most {} apart", show_ms(max)));
    }
    text
}

fn show_ms(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

fn typed(value: &str) -> Value {
    if let Ok(number) = value.parse::<i64>() {
        return json!(number);
    }
    // "1,000" and "10_000" are numbers written for people.
    let grouped = value.replace([',', '_'], "");
    if grouped != value
        && value.starts_with(|c: char| c.is_ascii_digit())
        && let Ok(number) = grouped.parse::<i64>()
    {
        return json!(number);
    }
    if let Ok(number) = value.parse::<f64>()
        && value.chars().any(|c| c.is_ascii_digit())
        && !value.ends_with('.')
    {
        return json!(number);
    }
    match value {
        "true" | "yes" | "on" => json!(true),
        "false" | "no" | "off" => json!(false),
        _ => json!(value),
    }
}

impl EditContext<'_> {
    fn step(&self, id: &str) -> Option<&Step> {
        tree::find(&self.workflow.steps, id)
    }

    /// An input the step neither has nor its skill declares is a guess
    /// about what the user meant: ask instead of adding it.
    fn check_input(&self, id: &str, input: &str) -> Result<(), Plan> {
        let Some(step) = self.step(id) else {
            return Ok(());
        };
        let mut known: Vec<String> = step.inputs.keys().cloned().collect();
        if let StepKind::Skill { skill } = &step.kind
            && let Some(skill) = self.skills.iter().find(|known| &known.name == skill)
        {
            for declared in &skill.inputs {
                if !known.contains(declared) {
                    known.push(declared.clone());
                }
            }
        }
        if known.is_empty() || known.iter().any(|name| name == input) {
            return Ok(());
        }
        Err(Plan::Ask(format!(
            "'{id}' has no input '{input}'; its inputs are {}. Which one do you mean?",
            quoted_list(&known, "and")
        )))
    }

    /// The id of the existing step whose every word the phrase says
    /// ("fetch users" → fetch-users).
    fn existing_named(&self, phrase: &[Tok]) -> Option<String> {
        let words: Vec<&str> = phrase.iter().map(|tok| tok.word.as_str()).collect();
        let matching: Vec<String> = self
            .all_ids()
            .into_iter()
            .filter(|id| id.split(['-', '_']).all(|part| words.contains(&part)))
            .collect();
        match matching.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        }
    }

    fn all_ids(&self) -> Vec<String> {
        tree::walk(self.workflow)
            .into_iter()
            .map(|visited| visited.step.id.clone())
            .collect()
    }

    fn step_list(&self) -> String {
        let ids = self.all_ids();
        quoted_list(&ids, "and")
    }

    fn last_answer(&self) -> Option<Vec<Tok>> {
        self.answers.last().map(|answer| tokenize(answer))
    }

    /// The steps a phrase names (several when joined by "and").
    /// The steps that run something (not the containers around them).
    fn runnable_ids(&self) -> Vec<String> {
        tree::walk(self.workflow)
            .into_iter()
            .filter(|visited| {
                matches!(
                    visited.step.kind,
                    StepKind::Skill { .. } | StepKind::Agent { .. }
                )
            })
            .map(|visited| visited.step.id.clone())
            .collect()
    }

    fn steps(&self, phrase: &[Tok], last: &[String], purpose: &str) -> Result<Vec<String>, Plan> {
        // "every step except save", "the fetch step, not the save step".
        if let Some(at) = phrase.iter().position(|tok| {
            tok.is_any(&["except", "excluding", "but", "besides"])
                || (tok.is("not")
                    && phrase
                        .iter()
                        .any(|other| other.is(",") && other.start < tok.start))
        }) {
            let excluded_phrase: Vec<Tok> = phrase[at + 1..]
                .iter()
                .filter(|tok| !tok.is_any(&["for", "the", "not"]))
                .cloned()
                .collect();
            let excluded = self.steps(&excluded_phrase, &[], "should be left out")?;
            let included = self.steps(&phrase[..at], last, purpose)?;
            let kept: Vec<String> = included
                .into_iter()
                .filter(|id| !excluded.contains(id))
                .collect();
            if kept.is_empty() {
                return Err(Plan::Say(format!(
                    "Leaving out {} leaves no step to change; nothing changed.",
                    quoted_list(&excluded, "and")
                )));
            }
            return Ok(kept);
        }
        if let Some(readers) = self.readers_named(phrase)? {
            return Ok(readers);
        }
        // "in the then branch, … the only step": one phrase, commas or not.
        if super::refs::container_named(phrase, self.workflow).is_some() {
            let joined: Vec<Tok> = phrase
                .iter()
                .filter(|tok| !tok.is_any(&[",", "and"]))
                .cloned()
                .collect();
            if let Found::One(id) = resolve(&joined, self.workflow) {
                return Ok(vec![id]);
            }
        }
        // "everything in the fan-out", "all steps of the else branch".
        let positioned = phrase.iter().any(|tok| {
            tok.is_any(&["first", "last", "final", "only", "penultimate"])
                || super::text::ordinal(&tok.word).is_some()
        });
        if let Some((_, list)) = super::refs::container_named(phrase, self.workflow)
            && !positioned
            && (phrase
                .iter()
                .any(|tok| tok.is_any(&["everything", "all", "every", "each"]))
                || super::refs::content(phrase)
                    .iter()
                    .all(|tok| tok.is_any(super::refs::CONTAINER_WORDS) || list.is_empty()))
        {
            let ids: Vec<String> = list
                .iter()
                .filter(|step| matches!(step.kind, StepKind::Skill { .. } | StepKind::Agent { .. }))
                .map(|step| step.id.clone())
                .collect();
            if !ids.is_empty() {
                return Ok(ids);
            }
        }
        let mut found: Vec<String> = Vec::new();
        let mut unmatched: Vec<String> = Vec::new();
        if phrase
            .iter()
            .any(|tok| tok.is_any(&["everything", "everywhere"]))
            || (phrase
                .iter()
                .any(|tok| tok.is_any(&["all", "every", "each"]))
                && phrase.iter().any(|tok| tok.is_any(&["step", "steps"])))
        {
            return Ok(self.runnable_ids());
        }
        for group in phrase.split(|tok| tok.is_any(&["and", ",", "&", "plus"])) {
            if content(group).is_empty()
                && !group
                    .iter()
                    .any(|tok| tok.is_any(&["first", "last", "final", "second", "third"]))
            {
                continue;
            }
            match resolve(group, self.workflow) {
                Found::One(id) => found.push(id),
                // "both fetches", "all the fetch steps": every match.
                Found::Many(candidates)
                    if (group.iter().any(|tok| tok.is("both")) && candidates.len() == 2)
                        || group.iter().any(|tok| tok.is_any(&["all", "every", "each"]))
                        // "the fetches": a plural naming every candidate.
                        || group.iter().any(|tok| {
                            let singular = super::text::lemma(&tok.word);
                            singular != tok.word
                                && candidates.iter().all(|id| id.contains(singular.as_str()))
                        }) =>
                {
                    found.extend(candidates)
                }
                Found::Many(candidates) => match self
                    .last_answer()
                    .map(|answer| resolve_among(&answer, self.workflow, Some(&candidates)))
                {
                    Some(Found::One(id)) => found.push(id),
                    _ => {
                        return Err(Plan::Ask(format!(
                            "Which step do you mean: {}?",
                            quoted_list(&candidates, "or")
                        )));
                    }
                },
                Found::Nothing => unmatched.push(
                    content(group)
                        .iter()
                        .map(|tok| tok.raw.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            }
        }
        found.dedup();
        if !found.is_empty() {
            return Ok(found);
        }
        if let Some(answer) = self.last_answer()
            && let Found::One(id) = resolve(&answer, self.workflow)
        {
            return Ok(vec![id]);
        }
        if !unmatched.is_empty() {
            return Err(Plan::Say(format!(
                "I could not find a step matching '{}' in '{}', so I changed nothing. Its steps are {}.",
                unmatched.join(" "),
                self.name,
                self.step_list()
            )));
        }
        if !last.is_empty() {
            return Ok(last.to_vec());
        }
        if let Some(scope) = self.scope_step {
            return Ok(vec![scope.to_string()]);
        }
        let ids = self.all_ids();
        if ids.len() == 1 {
            return Ok(ids);
        }
        Err(Plan::Ask(format!(
            "Which step {purpose}? The steps are {}.",
            quoted_list(&ids, "and")
        )))
    }

    /// "the step that reads the users", "the steps using fetch's data":
    /// the readers of what follows. `None` when the phrase says no such
    /// thing; a question when several steps read it.
    fn readers_named(&self, phrase: &[Tok]) -> Result<Option<Vec<String>>, Plan> {
        let Some(verb) = phrase.iter().position(|tok| {
            tok.is_any(&[
                "reads",
                "reading",
                "read",
                "consumes",
                "consuming",
                "consume",
                "uses",
                "using",
                "takes",
                "taking",
                "gets",
                "receives",
                "receiving",
            ])
        }) else {
            return Ok(None);
        };
        let introduced = verb > 0
            && (phrase[verb - 1].is_any(&["that", "which", "who", "step", "steps"])
                || phrase[verb].word.ends_with("ing"));
        if !introduced {
            return Ok(None);
        }
        let object = &phrase[verb + 1..];
        let producer = match resolve(object, self.workflow) {
            Found::One(id) => id,
            _ => return Ok(None),
        };
        let output = self.step(&producer).and_then(|step| {
            step.outputs
                .iter()
                .find(|output| object.iter().any(|tok| tok.word == output.to_lowercase()))
                .cloned()
        });
        let readers: Vec<String> = tree::walk(self.workflow)
            .into_iter()
            .filter(|visited| {
                visited.step.inputs.values().any(|value| {
                    value
                        .as_str()
                        .and_then(|text| text.split_once('.'))
                        .is_some_and(|(step, read)| {
                            step == producer
                                && output.as_deref().is_none_or(|output| output == read)
                        })
                })
            })
            .map(|visited| visited.step.id.clone())
            .collect();
        match readers.len() {
            0 => Err(Plan::Say(format!(
                "No step reads {}; nothing changed. The steps are {}.",
                match &output {
                    Some(output) => format!("'{producer}.{output}'"),
                    None => format!("the output of '{producer}'"),
                },
                self.step_list()
            ))),
            1 => Ok(Some(readers)),
            _ => Err(Plan::Ask(format!(
                "Several steps read it: {}. Which one do you mean?",
                quoted_list(&readers, "or")
            ))),
        }
    }

    fn one_step(&self, phrase: &[Tok], last: &[String], purpose: &str) -> Result<String, Plan> {
        let steps = self.steps(phrase, last, purpose)?;
        match steps.as_slice() {
            [one] => Ok(one.clone()),
            several => Err(Plan::Ask(format!(
                "Which one step {purpose}: {}?",
                quoted_list(several, "or")
            ))),
        }
    }

    fn resolve(&self, edit: &Edit, last: &[String]) -> Result<Resolved, Plan> {
        match edit {
            Edit::Retry {
                phrase,
                attempts,
                backoff,
                initial_ms,
                max_ms,
                remove,
            } => {
                let ids = self.steps(phrase, last, "should retry when it fails")?;
                let mut modifications = Vec::new();
                let mut parts = Vec::new();
                for id in &ids {
                    let current = self.step(id).and_then(|step| step.error_handling.clone());
                    if *remove {
                        match &current {
                            Some(handling) if handling.strategy == Strategy::Retry => {
                                modifications.push(Modification::ModifyStep {
                                    id: id.clone(),
                                    changes: json!({ "error_handling": null }),
                                });
                                parts.push(format!("Removed the retry of '{id}'"));
                            }
                            _ => {
                                return Err(Plan::Say(format!(
                                    "'{id}' does not retry, so there is no retry to remove; nothing changed."
                                )));
                            }
                        }
                        continue;
                    }
                    let mut handling = match &current {
                        Some(handling) if handling.strategy == Strategy::Retry => handling.clone(),
                        _ => ErrorHandling::with_strategy(Strategy::Retry),
                    };
                    handling.max_attempts = attempts.or(handling.max_attempts).or(Some(3));
                    handling.backoff = backoff.or(handling.backoff).or(Some(Backoff::Exponential));
                    if initial_ms.is_some() {
                        handling.initial_interval_ms = *initial_ms;
                    }
                    if max_ms.is_some() {
                        handling.max_interval_ms = *max_ms;
                    }
                    if current.as_ref() == Some(&handling) {
                        return Err(Plan::Say(format!(
                            "'{id}' already retries ({}); nothing changed.",
                            attempts_text(&handling)
                        )));
                    }
                    let verb = if current
                        .as_ref()
                        .is_some_and(|current| current.strategy == Strategy::Retry)
                    {
                        "Changed the retry of"
                    } else {
                        "Added retry to"
                    };
                    parts.push(format!("{verb} '{id}' ({})", attempts_text(&handling)));
                    modifications.push(Modification::AddErrorHandling {
                        step_id: id.clone(),
                        error_handling: handling,
                    });
                }
                let same = modifications
                    .windows(2)
                    .all(|pair| match (&pair[0], &pair[1]) {
                        (
                            Modification::AddErrorHandling {
                                error_handling: left,
                                ..
                            },
                            Modification::AddErrorHandling {
                                error_handling: right,
                                ..
                            },
                        ) => left == right,
                        _ => false,
                    });
                let summary = if parts.len() > 1
                    && same
                    && parts.iter().all(|part| part.starts_with("Added"))
                {
                    let Modification::AddErrorHandling { error_handling, .. } = &modifications[0]
                    else {
                        unreachable!("a retry")
                    };
                    format!(
                        "Added retry ({}) to {}",
                        attempts_text(error_handling),
                        quoted_list(&ids, "and")
                    )
                } else if parts.len() == 1 && !*remove {
                    let handling = match &modifications[0] {
                        Modification::AddErrorHandling { error_handling, .. } => {
                            error_handling.clone()
                        }
                        _ => unreachable!("a retry"),
                    };
                    let changed = parts[0].starts_with("Changed");
                    if changed {
                        format!(
                            "Changed the retry of '{}' to {}",
                            ids[0],
                            attempts_text(&handling)
                        )
                    } else {
                        format!("Added retry ({}) to '{}'", attempts_text(&handling), ids[0])
                    }
                } else {
                    parts.join("; ")
                };
                Ok(Resolved::new(modifications, summary, ids))
            }
            Edit::Timeout { phrase, change } => {
                if let TimeoutChange::Negative(written) = change {
                    return Err(Plan::Say(format!(
                        "A timeout of {written} is not possible: a timeout is a positive number of seconds (for example: 30 seconds). Nothing changed."
                    )));
                }
                let ids = self.steps(phrase, last, "should get the timeout")?;
                let mut change = change.clone();
                if change == TimeoutChange::Unspecified
                    && let Some(answer) = self.last_answer()
                    && let Some(duration) = durations(&answer)
                        .first()
                        .map(|d| d.secs())
                        .or_else(|| answer.iter().find_map(|tok| count(&tok.word)))
                {
                    change = TimeoutChange::Set(duration);
                }
                let mut modifications = Vec::new();
                let mut parts = Vec::new();
                for id in &ids {
                    let current = self.step(id).and_then(|step| step.timeout_secs);
                    let new = match (&change, current) {
                        (TimeoutChange::Set(secs), _) => Some(*secs),
                        (TimeoutChange::SetMs(ms), _) => Some(ms.div_ceil(1000)),
                        (TimeoutChange::Negative(_), _) => None,
                        (TimeoutChange::Remove, Some(_)) => None,
                        (TimeoutChange::Remove, None) => {
                            return Err(Plan::Say(format!(
                                "'{id}' has no timeout to remove; nothing changed."
                            )));
                        }
                        (TimeoutChange::Add(delta), Some(current)) => {
                            Some((current as i64 + delta).max(1) as u64)
                        }
                        (TimeoutChange::Scale(factor), Some(current)) => {
                            Some(((current as f64 * factor).ceil() as u64).max(1))
                        }
                        (TimeoutChange::Unspecified, _)
                        | (TimeoutChange::Add(_) | TimeoutChange::Scale(_), None) => {
                            let now = current.map_or_else(
                                || "it has none yet".to_string(),
                                |secs| format!("it is {secs} s now"),
                            );
                            return Err(Plan::Ask(format!(
                                "What should the timeout of '{id}' be ({now})? For example: 30 seconds."
                            )));
                        }
                    };
                    if new == current {
                        return Err(Plan::Say(format!(
                            "The timeout of '{id}' is already {} s; nothing changed.",
                            new.unwrap_or_default()
                        )));
                    }
                    if new == Some(0) {
                        return Err(Plan::Say("A timeout of 0 seconds would stop the step at once; give a positive duration.".into()));
                    }
                    modifications.push(Modification::ModifyStep {
                        id: id.clone(),
                        changes: json!({ "timeout_secs": new }),
                    });
                    parts.push(match (current, new) {
                        (_, None) => format!("Removed the timeout of '{id}'"),
                        (Some(old), Some(new)) => {
                            format!("Changed the timeout of '{id}' from {old} s to {new} s")
                        }
                        (None, Some(new)) => format!("Set the timeout of '{id}' to {new} s"),
                    });
                }
                let mut summary = parts.join("; ");
                if let TimeoutChange::SetMs(ms) = change {
                    summary.push_str(&format!(
                        " (timeouts are whole seconds: {ms} ms rounds up to {} s)",
                        ms.div_ceil(1000)
                    ));
                }
                Ok(Resolved::new(modifications, summary, ids))
            }
            Edit::Strategy { phrase, strategy } => {
                let purpose = match strategy {
                    Strategy::Continue => "should let the workflow continue when it fails",
                    _ => "should stop the workflow when it fails",
                };
                let ids = self.steps(phrase, last, purpose)?;
                let mut modifications = Vec::new();
                for id in &ids {
                    if self
                        .step(id)
                        .and_then(|step| step.error_handling.as_ref())
                        .is_some_and(|handling| handling.strategy == *strategy)
                    {
                        return Err(Plan::Say(format!(
                            "'{id}' already has error strategy '{strategy}'; nothing changed."
                        )));
                    }
                    modifications.push(Modification::AddErrorHandling {
                        step_id: id.clone(),
                        error_handling: ErrorHandling::with_strategy(*strategy),
                    });
                }
                let list = quoted_list(&ids, "and");
                let summary = match strategy {
                    Strategy::Continue => format!(
                        "Made {list} continue on error (a failure no longer stops the workflow)"
                    ),
                    _ => format!(
                        "Made {list} stop the workflow when {} fails",
                        if ids.len() == 1 { "it" } else { "one" }
                    ),
                };
                Ok(Resolved::new(modifications, summary, ids))
            }
            Edit::ClearHandling { phrase } => {
                let ids = self.steps(phrase, last, "should lose its error handling")?;
                let mut modifications = Vec::new();
                for id in &ids {
                    if self
                        .step(id)
                        .and_then(|step| step.error_handling.as_ref())
                        .is_none()
                    {
                        return Err(Plan::Say(format!(
                            "'{id}' has no error handling to remove; nothing changed."
                        )));
                    }
                    modifications.push(Modification::ModifyStep {
                        id: id.clone(),
                        changes: json!({ "error_handling": null }),
                    });
                }
                Ok(Resolved::new(
                    modifications,
                    format!("Removed the error handling of {}", quoted_list(&ids, "and")),
                    ids,
                ))
            }
            Edit::Fallback { primary, backup } => {
                let backup_id = self.one_step(backup, &[], "should run when the other fails")?;
                let primary_id = self.one_step(primary, last, "should fall back")?;
                if primary_id == backup_id {
                    let wanted = raw_words(backup);
                    return Err(Plan::Say(format!(
                        "'{wanted}' names '{primary_id}' itself, and a step cannot fall back to itself; nothing changed. A fallback is another step of the workflow: add one first (for example: \"add a step that sends an email after {primary_id}\"), then say \"fall back to the new step if {primary_id} fails\". The steps are {}.",
                        self.step_list()
                    )));
                }
                let mut handling = ErrorHandling::with_strategy(Strategy::Fallback);
                handling.fallback = Some(backup_id.clone());
                let summary =
                    format!("'{primary_id}' now falls back to '{backup_id}' when it fails");
                Ok(Resolved::new(
                    vec![Modification::AddErrorHandling {
                        step_id: primary_id.clone(),
                        error_handling: handling,
                    }],
                    summary,
                    vec![primary_id],
                ))
            }
            Edit::Rename { from, to } => {
                // "rename the table to events": a context value, when the
                // words name one and no step.
                let named: Vec<&str> = from
                    .iter()
                    .filter(|tok| !tok.is_punctuation() && !super::text::is_stopword(&tok.word))
                    .map(|tok| tok.word.as_str())
                    .collect();
                if let [key] = named.as_slice()
                    && self.workflow.context.readonly.contains_key(*key)
                    && self.step(key).is_none()
                {
                    return Ok(self.set_context(key, to));
                }
                let id = self.one_step(from, last, "should be renamed")?;
                if let Some(problem) = step_id_problem(to) {
                    return Err(Plan::Say(format!("'{to}' cannot be a step id: {problem}.")));
                }
                if self.step(to).is_some() {
                    return Err(Plan::Say(format!(
                        "There is already a step '{to}'; choose another name."
                    )));
                }
                let summary = format!("Renamed step '{id}' to '{to}'");
                Ok(Resolved::new(
                    vec![Modification::RenameStep {
                        id,
                        new_id: to.clone(),
                    }],
                    summary,
                    vec![to.clone()],
                ))
            }
            Edit::Parallel { phrase } => {
                let ids = self.steps(phrase, last, "should run in parallel")?;
                if ids.len() < 2 {
                    return Err(Plan::Say(format!(
                        "To run steps in parallel I need at least two of them; I only found {}. Its steps are {}.",
                        quoted_list(&ids, "and"),
                        self.step_list()
                    )));
                }
                let places: Vec<Option<(Container, usize)>> = ids
                    .iter()
                    .map(|id| tree::locate(self.workflow, id))
                    .collect();
                if places.iter().any(|place| {
                    place.as_ref().map(|(container, _)| container)
                        != places[0].as_ref().map(|(container, _)| container)
                }) {
                    return Err(Plan::Say(format!(
                        "{} are not in the same list of steps, so they cannot be grouped.",
                        quoted_list(&ids, "and")
                    )));
                }
                for id in &ids {
                    if let Some(step) = self.step(id) {
                        for read in read_steps(step) {
                            if ids.contains(&read) {
                                return Err(Plan::Say(format!(
                                    "'{id}' reads the output of '{read}', so they cannot run at the same time; nothing changed."
                                )));
                            }
                        }
                    }
                }
                let summary = format!("Run {} in parallel", quoted_list(&ids, "and"));
                Ok(Resolved::new(
                    vec![Modification::MakeParallel {
                        step_ids: ids.clone(),
                        id: None,
                    }],
                    summary,
                    ids,
                ))
            }
            Edit::Description(description) => Ok(Resolved::new(
                vec![Modification::SetDescription {
                    description: description.clone(),
                }],
                format!("Set the description to \"{description}\""),
                Vec::new(),
            )),
            Edit::SetSkill { step, skill, old } => {
                let ids = match old {
                    Some(old)
                        if content(step).is_empty() || step.iter().all(|tok| tok.word == *old) =>
                    {
                        let users: Vec<String> = tree::walk(self.workflow)
                            .into_iter()
                            .filter(|visited| visited.step.skill_name() == Some(old.as_str()))
                            .map(|visited| visited.step.id.clone())
                            .collect();
                        if users.is_empty() {
                            self.steps(step, last, &format!("should use '{skill}'"))?
                        } else {
                            users
                        }
                    }
                    _ => self.steps(step, last, &format!("should use '{skill}'"))?,
                };
                let mut modifications = Vec::new();
                for id in &ids {
                    match self.step(id).map(|step| &step.kind) {
                        Some(StepKind::Skill { skill: current }) if current == skill => {
                            return Err(Plan::Say(format!(
                                "'{id}' already uses skill '{skill}'; nothing changed."
                            )));
                        }
                        Some(StepKind::Skill { .. }) => {}
                        _ => {
                            return Err(Plan::Say(format!(
                                "'{id}' is not a skill step, so it has no skill to change."
                            )));
                        }
                    }
                    modifications.push(Modification::ModifyStep {
                        id: id.clone(),
                        changes: json!({ "skill": skill }),
                    });
                }
                Ok(Resolved::new(
                    modifications,
                    format!("Switched {} to skill '{skill}'", quoted_list(&ids, "and")),
                    ids,
                ))
            }
            Edit::SetInput { step, input, value } => {
                let id = self.one_step(step, last, &format!("has the input '{input}'"))?;
                self.check_input(&id, input)?;
                let summary = format!("Set input '{input}' of '{id}' to {value}");
                Ok(Resolved::new(
                    vec![Modification::ModifyStep {
                        id: id.clone(),
                        changes: json!({ "inputs": { input.clone(): typed(value) } }),
                    }],
                    summary,
                    vec![id],
                ))
            }
            Edit::Reorder { moved, place } => self.reorder(moved, place, last),
            Edit::Remove { phrase } => self.remove(phrase, last),
            Edit::AdjustValue { phrase, delta } => {
                let Some((key, _)) = self.context_key(phrase)? else {
                    return Err(Plan::Say(format!(
                        "I found no context value named like that in '{}'; nothing changed. Its context values are {}.",
                        self.name,
                        quoted_list(
                            &self
                                .workflow
                                .context
                                .readonly
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>(),
                            "and"
                        )
                    )));
                };
                let current = self.workflow.context.readonly.get(&key);
                let Some(number) = current.and_then(Value::as_f64) else {
                    return Err(Plan::Say(format!(
                        "Context value '{}' is {}, not a number, so it cannot go up or down; say the new value instead.",
                        key,
                        current.map_or_else(|| "missing".to_string(), ToString::to_string)
                    )));
                };
                let next = number + delta;
                let written = if next.fract() == 0.0 && current.is_some_and(Value::is_i64) {
                    format!("{}", next as i64)
                } else {
                    format!("{next}")
                };
                Ok(self.set_context(&key, &written))
            }
            Edit::SetValue {
                phrase,
                value,
                explicit,
            } => self.set_value(phrase, value, *explicit),
            Edit::AddStep {
                what,
                place,
                explicit,
                moving,
            } => {
                // "fetch users after orders" names a step that exists: a move.
                let named = self.existing_named(what).or_else(|| {
                    if !moving {
                        return None;
                    }
                    // "put the email first": a step found by any of its names.
                    let plain: Vec<Tok> = what
                        .iter()
                        .filter(|tok| {
                            !tok.is_any(&[
                                "then", "else", "branch", "parallel", "group", "in", "of",
                                "inside", "first", "last",
                            ])
                        })
                        .cloned()
                        .collect();
                    match resolve(&plain, self.workflow) {
                        Found::One(id) => Some(id),
                        _ => None,
                    }
                });
                if !explicit && let Some(moved) = named {
                    let place = match place {
                        super::read::AddPlace::After(anchor) => {
                            Some(super::read::Place::After(anchor.clone()))
                        }
                        super::read::AddPlace::Before(anchor) => {
                            Some(super::read::Place::Before(anchor.clone()))
                        }
                        super::read::AddPlace::Start => Some(super::read::Place::Start),
                        super::read::AddPlace::End => Some(super::read::Place::End),
                    };
                    if let Some(place) = place {
                        let words: Vec<Tok> = what
                            .first()
                            .map(|first| {
                                let mut named = first.clone();
                                named.word = moved.clone();
                                named.raw = moved.clone();
                                vec![named]
                            })
                            .unwrap_or_default();
                        return self.reorder(&words, &place, last);
                    }
                }
                self.add_step(what, place)
            }
            Edit::Guard {
                phrase,
                condition,
                negate,
            } => self.guard(phrase, condition, *negate, last),
            Edit::Retarget { phrase, value } => self.retarget(phrase, value, last),
        }
    }
}

/// The words of a phrase as the user wrote them.
fn raw_words(phrase: &[Tok]) -> String {
    phrase
        .iter()
        .filter(|tok| !tok.is_punctuation())
        .map(|tok| tok.raw.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Plans an edit request against the workflow.
pub(super) fn plan(context: &EditContext) -> Plan {
    let toks = tokenize(context.text);
    let Some(edits) = parse_all(&toks, context.text, Some(context.skills)) else {
        return Plan::NotUnderstood;
    };
    let mut modifications = Vec::new();
    let mut summaries = Vec::new();
    let mut new_skill = None;
    let mut last: Vec<String> = Vec::new();
    for edit in &edits {
        match context.resolve(edit, &last) {
            Ok(resolved) => {
                modifications.extend(resolved.modifications);
                summaries.push(resolved.summary);
                if new_skill.is_none() {
                    new_skill = resolved.new_skill;
                }
                if !resolved.steps.is_empty() {
                    last = resolved.steps;
                }
            }
            Err(plan) => return plan,
        }
    }
    let summary = match summaries.as_slice() {
        [one] => one.clone(),
        several => several
            .iter()
            .enumerate()
            .map(|(index, summary)| {
                if index == 0 {
                    summary.clone()
                } else {
                    lowercase_first(summary)
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
    };
    Plan::Propose {
        modifications,
        summary,
        new_skill,
    }
}
