//! Building steps from words: a whole workflow from a description
//! ("fetch data from the API, validate it, and save it to the database"),
//! and single steps for "add a logging step after fetch".
//!
//! A description is split into clauses (commas, "then", "and", semicolons);
//! each clause becomes a step whose skill is an existing one when one fits,
//! else a proposed new skill; each step reads the previous step's output;
//! literals (URLs, paths, table names, addresses, thresholds) are lifted
//! into `context.readonly` and referenced. "if …"/"only when …" clauses make
//! conditional steps, "in parallel"/"at the same time" parallel ones.

use crate::core::Workflow;
use crate::core::model::{JsonMap, Step, StepKind};
use crate::core::skill::Skill;

use super::build::{PREPOSITIONS, is_path, is_url, literals, strip_fillers};
use super::concepts::concepts_of;
use super::text::{Tok, capitalise, is_stopword, kebab, number, raw_span};

use super::build::{Builder, Producer};
use super::clauses::{Item, items};

/// A new workflow, ready for `create_workflow`.
pub(super) struct Creation {
    pub workflow: Workflow,
    pub new_skills: Vec<Skill>,
    pub reasoning: String,
}

/// Why no workflow was built: it cannot be, or a question must be
/// answered first.
pub(super) enum NotCreated {
    Cannot(String),
    Ask(String),
}

impl From<&str> for NotCreated {
    fn from(reason: &str) -> Self {
        NotCreated::Cannot(reason.to_string())
    }
}

/// Words before the description proper: "create a workflow that …".
fn description_start(toks: &[Tok]) -> usize {
    let marker = toks
        .iter()
        .position(|tok| tok.is_any(&["workflow", "pipeline", "flow", "automation", "job"]));
    match marker {
        Some(at) if at <= 6 => {
            let mut start = at + 1;
            while toks.get(start).is_some_and(|tok| {
                tok.is_any(&[
                    "that", "which", "to", "for", ":", "where", "it", "should", "will", "named",
                    "called",
                ]) || tok.is_punctuation()
            }) {
                // "named X" gives the name, not a step.
                if toks[start].is_any(&["named", "called"]) {
                    start += 1;
                }
                start += 1;
            }
            start
        }
        _ => 0,
    }
}

/// The name a description suggests: its first clause's object and
/// "pipeline" ("fetch data from …" → "data-pipeline").
pub(super) fn suggest_name(toks: &[Tok], taken: &[String]) -> String {
    let body = &toks[description_start(toks)..];
    let items = items(body);
    let first = items.iter().find_map(|item| match item {
        Item::Action(clause) => Some(clause.clone()),
        Item::Parallel(members) => members.first().cloned(),
        Item::Conditional { then, .. } => then.first().cloned(),
        Item::ForEach { action, .. } => Some(action.clone()),
    });
    let nouns: Vec<String> = first
        .map(|clause| {
            let clause = strip_fillers(&clause).to_vec();
            let end = clause
                .iter()
                .skip(1)
                .position(|tok| PREPOSITIONS.contains(&tok.word.as_str()))
                .map_or(clause.len(), |at| at + 1);
            clause[1.min(end)..end]
                .iter()
                .filter(|tok| {
                    !is_stopword(&tok.word)
                        && !is_url(&tok.raw)
                        && !is_path(&tok.raw)
                        && number(&tok.word).is_none()
                })
                .map(|tok| tok.word.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut words: Vec<&str> = nouns.iter().map(String::as_str).take(2).collect();
    if words.is_empty()
        && let Some(concept) = toks.iter().find_map(|tok| concepts_of(&tok.word).next())
    {
        words.push(concept.key);
    }
    words.push("pipeline");
    let base = kebab(&words);
    std::iter::once(base.clone())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|candidate| !taken.contains(candidate))
        .expect("a free name")
}

/// "add up the totals" sums; "add" alone would not read as a step.
fn adding_up_is_summing(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut index = 0;
    while index < toks.len() {
        if toks[index].is("add") && toks.get(index + 1).is_some_and(|next| next.is("up")) {
            let mut sum = toks[index].clone();
            sum.word = "sum".into();
            out.push(sum);
            index += 2;
            continue;
        }
        out.push(toks[index].clone());
        index += 1;
    }
    out
}

/// Builds the workflow a description asks for.
pub(super) fn create(text: &str, name: &str, skills: &[Skill]) -> Result<Creation, NotCreated> {
    let toks = adding_up_is_summing(super::text::tokenize(text));
    let body = &toks[description_start(&toks)..];
    // "make the database better": no step says what to do.
    let vague = body.iter().any(|tok| {
        tok.is_any(&[
            "better", "faster", "nicer", "improve", "optimize", "optimise", "smarter",
        ])
    }) && body.iter().filter(|tok| !tok.is_punctuation()).count() <= 8;
    if vague {
        return Err("That says how it should be, not what it should do".into());
    }
    let items = items(body);
    let mut builder = Builder::new(skills, Vec::new(), JsonMap::new());
    let mut steps: Vec<Step> = Vec::new();
    let mut producers: Vec<Producer> = Vec::new();
    for item in items {
        match item {
            Item::Action(clause) => {
                if let Some(step) = builder.action(&clause, &producers, false) {
                    if let Some(producer) = Producer::of(&step) {
                        producers = vec![producer];
                    }
                    steps.push(step);
                }
            }
            Item::ForEach {
                noun,
                listed,
                location,
                action,
            } => {
                let things = Things {
                    noun: &noun,
                    listed: &listed,
                    location: &location,
                };
                if let Some(step) = for_each(&mut builder, &things, &action, &producers) {
                    let outputs: Vec<Producer> = match &step.kind {
                        StepKind::Parallel { steps } => {
                            steps.iter().filter_map(Producer::of).collect()
                        }
                        _ => Producer::of(&step).into_iter().collect(),
                    };
                    if !outputs.is_empty() {
                        producers = outputs;
                    }
                    steps.push(step);
                }
            }
            Item::Parallel(members) => {
                let built: Vec<Step> = members
                    .iter()
                    .filter_map(|member| builder.action(member, &producers, true))
                    .collect();
                if built.is_empty() {
                    continue;
                }
                let outputs: Vec<Producer> = built.iter().filter_map(Producer::of).collect();
                let shared = built
                    .iter()
                    .map(|step| step.id.split('-').next().unwrap_or_default())
                    .collect::<Vec<_>>();
                let base = if shared.windows(2).all(|pair| pair[0] == pair[1]) {
                    format!("parallel-{}", shared[0])
                } else {
                    "parallel".to_string()
                };
                let id = builder.unique_id(&base, None, false);
                let mut group = Step::new(id, StepKind::Parallel { steps: built });
                group.description = Some("Run together".to_string());
                steps.push(group);
                if !outputs.is_empty() {
                    producers = outputs;
                }
            }
            Item::Conditional {
                condition,
                negate,
                then,
                otherwise,
            } => {
                let (expression, label) = builder
                    .condition(&condition, negate, &mut steps)
                    .map_err(NotCreated::Ask)?;
                builder.inherited = literals(&condition)
                    .into_iter()
                    .map(|(_, literal)| literal)
                    .collect();
                let branch = |clauses: &[Vec<Tok>], builder: &mut Builder| -> Vec<Step> {
                    // Each step of a branch reads the one before it.
                    let mut local = producers.clone();
                    let mut built = Vec::new();
                    for clause in clauses {
                        if let Some(step) = builder.action(clause, &local, false) {
                            if let Some(producer) = Producer::of(&step) {
                                local = vec![producer];
                            }
                            built.push(step);
                        }
                    }
                    built
                };
                let then = branch(&then, &mut builder);
                let otherwise = branch(&otherwise, &mut builder);
                builder.inherited.clear();
                if then.is_empty() {
                    continue;
                }
                let id = builder.unique_id(&kebab(&["if", &label]), None, false);
                let mut step = Step::new(
                    id,
                    StepKind::Conditional {
                        condition: expression,
                        then,
                        otherwise,
                    },
                );
                let words = condition
                    .iter()
                    .filter(|tok| !tok.is_punctuation())
                    .map(|tok| tok.raw.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                step.description = Some(format!(
                    "{} when {words}",
                    if negate { "Not" } else { "Only" }
                ));
                steps.push(step);
            }
        }
    }
    if steps.is_empty() {
        return Err("I could not find any actions in that description".into());
    }
    let description = {
        let raw = raw_span(text, body)
            .trim()
            .trim_end_matches('.')
            .to_string();
        // Kept short for `qwf list`, cut between words (never inside one).
        capitalise(&shorten_at_word(&raw, DESCRIPTION_LIMIT))
    };
    if super::text::speaks_of_a_schedule(&toks) {
        builder.notes.push(format!(
            "Schedules are not part of a workflow: run it from cron or another scheduler with `qwf run {name}`."
        ));
    }
    let mut context = crate::core::model::Context::default();
    context.readonly = builder.context.clone();
    let workflow = Workflow {
        name: name.to_string(),
        version: Some("1.0.0".into()),
        description: Some(description),
        steps,
        context,
        extra: JsonMap::new(),
    };
    let reasoning = reasoning(&workflow, &builder);
    Ok(Creation {
        workflow,
        new_skills: builder.new_skills,
        reasoning,
    })
}

/// What a "for each" is over.
struct Things<'t> {
    noun: &'t str,
    listed: &'t [Tok],
    location: &'t [Tok],
}

/// "for each endpoint, check its health": the listed things become one
/// parallel step each; a place ("in ./inbox") goes to one step that handles
/// each thing there; otherwise one step gets the whole list from the context
/// (the format has no loops), and the summary says so.
fn for_each(
    builder: &mut Builder,
    things: &Things,
    action: &[Tok],
    producers: &[Producer],
) -> Option<Step> {
    let noun = things.noun;
    if things.listed.len() >= 2 {
        let mut built: Vec<Step> = Vec::new();
        for (index, item) in things.listed.iter().enumerate() {
            let mut clause = action.to_vec();
            clause.push(item.clone());
            let added = builder.added_context.len();
            let Some(mut step) = builder.action(&clause, producers, false) else {
                continue;
            };
            // Numbered ids and keys read better than ids made up from
            // whatever word happened to be free ("monitor-health").
            let base = step.id.split('-').next().unwrap_or_default().to_string();
            builder.ids.retain(|id| *id != step.id);
            step.id = builder.unique_id(&format!("{base}-{}", index + 1), None, false);
            let fresh: Vec<String> = builder.added_context[added..]
                .iter()
                .map(|(key, _)| key.clone())
                .collect();
            for value in step.inputs.values_mut() {
                let Some(key) = value
                    .as_str()
                    .and_then(|text| text.strip_prefix("context."))
                else {
                    continue;
                };
                if !fresh.iter().any(|fresh| fresh == key) {
                    continue;
                }
                let stem = key.rsplit('_').next().unwrap_or(key);
                let renamed = format!("{}_{}_{stem}", noun.replace('-', "_"), index + 1);
                if let Some(held) = builder.context.shift_remove(key) {
                    builder.context.insert(renamed.clone(), held);
                }
                for (added_key, _) in builder.added_context.iter_mut() {
                    if added_key == key {
                        *added_key = renamed.clone();
                    }
                }
                *value = serde_json::json!(format!("context.{renamed}"));
            }
            built.push(step);
        }
        if built.is_empty() {
            return None;
        }
        let id = builder.unique_id(&format!("each-{noun}"), None, false);
        let mut group = Step::new(id, StepKind::Parallel { steps: built });
        group.description = Some(format!("One step per {noun}, run at the same time"));
        return Some(group);
    }
    let mut clause = action.to_vec();
    clause.extend(things.listed.iter().cloned());
    clause.extend(things.location.iter().cloned());
    let placeholders_before = builder.placeholders.len();
    let mut step = builder.action(&clause, producers, false)?;
    let described = step.description.clone().unwrap_or_default();
    if !things.location.is_empty() {
        let place: Vec<&str> = things.location.iter().map(|tok| tok.raw.as_str()).collect();
        step.description = Some(format!("{described} (each {noun} {})", place.join(" ")));
        return Some(step);
    }
    // The list replaces a single value the step would otherwise wait for.
    let replaced: Vec<String> = builder.placeholders.drain(placeholders_before..).collect();
    step.inputs.retain(|_, value| {
        !value
            .as_str()
            .and_then(|text| text.strip_prefix("context."))
            .is_some_and(|key| replaced.iter().any(|replaced| replaced == key))
    });
    for key in &replaced {
        builder.context.shift_remove(key);
        builder.added_context.retain(|(added, _)| added != key);
    }
    let plural = format!("{noun}s");
    let key = builder.key(&plural, &step.id, serde_json::Value::Array(Vec::new()));
    if !builder.placeholders.contains(&key) {
        builder.placeholders.push(key.clone());
    }
    step.inputs
        .insert(plural.clone(), serde_json::json!(format!("context.{key}")));
    if let StepKind::Skill { skill } = &step.kind
        && let Some(new) = builder.new_skills.iter_mut().find(|new| &new.name == skill)
    {
        let dropped: Vec<String> = new
            .input_names()
            .filter(|input| !step.inputs.contains_key(*input))
            .map(str::to_string)
            .collect();
        let declared = new.inputs.get_or_insert_with(Vec::new);
        declared.retain(|input| step.inputs.contains_key(&input.name));
        // A command written for one value cannot take the list.
        if dropped.iter().any(|input| {
            new.command.contains(&format!("${input}"))
                || new
                    .command
                    .contains(&format!("$QWF_INPUT_{}", input.to_uppercase()))
        }) {
            new.command = format!("python3 {}.py", new.name.replace('-', "_"));
        }
        let declared = new.inputs.get_or_insert_with(Vec::new);
        if !declared.iter().any(|input| input.name == plural) {
            declared.push(crate::core::skill::Port::named(plural.clone()));
        }
    }
    step.description = Some(format!("{described} (each {noun} in '{plural}')"));
    builder.notes.push(format!(
        "Workflows have no loops, so '{}' gets the whole list of {plural} (context '{key}'); list them in the request to get one parallel step each.",
        step.id
    ));
    Some(step)
}

fn reasoning(workflow: &Workflow, builder: &Builder) -> String {
    let describe = |step: &Step| -> String {
        match &step.kind {
            StepKind::Skill { skill } => {
                let origin = if builder.new_skills.iter().any(|new| new.name == *skill) {
                    "new skill"
                } else {
                    "existing skill"
                };
                format!("{} ({skill}, {origin})", step.id)
            }
            _ => step.id.clone(),
        }
    };
    let mut parts = Vec::new();
    for step in &workflow.steps {
        parts.push(match &step.kind {
            StepKind::Parallel { steps } => format!(
                "in parallel [{}]",
                steps.iter().map(describe).collect::<Vec<_>>().join(", ")
            ),
            StepKind::Conditional {
                condition, then, ..
            } => {
                format!(
                    "when `{condition}`: {}",
                    then.iter().map(describe).collect::<Vec<_>>().join(", ")
                )
            }
            _ => describe(step),
        });
    }
    let mut text = format!(
        "{} step{}: {}.",
        workflow.steps.len(),
        if workflow.steps.len() == 1 { "" } else { "s" },
        parts.join(" → ")
    );
    if !builder.added_context.is_empty() {
        let keys: Vec<&str> = builder
            .added_context
            .iter()
            .map(|(key, _)| key.as_str())
            .collect();
        text.push_str(&format!(
            " Values lifted into context: {}.",
            keys.join(", ")
        ));
    }
    if !builder.placeholders.is_empty() {
        text.push_str(&format!(
            " Placeholders to fill in: {}.",
            builder.placeholders.join(", ")
        ));
    }
    for note in &builder.notes {
        text.push_str("\nNote: ");
        text.push_str(note);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;

    #[test]
    fn names_come_from_the_first_object() {
        assert_eq!(
            suggest_name(&tokenize("fetch data from the API, validate it"), &[]),
            "data-pipeline"
        );
        assert_eq!(
            suggest_name(
                &tokenize("create a workflow that fetches data"),
                &["data-pipeline".to_string()]
            ),
            "data-pipeline-2"
        );
    }
}

/// The longest description made from a request, in characters.
const DESCRIPTION_LIMIT: usize = 120;

/// `text` if it has at most `limit` characters; otherwise its words up to
/// `limit` characters, and an ellipsis.
fn shorten_at_word(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut short = String::new();
    for word in text.split_whitespace() {
        let needed = if short.is_empty() { 0 } else { 1 } + word.chars().count();
        // Room for the ellipsis too.
        if short.chars().count() + needed + 1 > limit {
            break;
        }
        if !short.is_empty() {
            short.push(' ');
        }
        short.push_str(word);
    }
    if short.is_empty() {
        // One word longer than the limit: cut it, visibly.
        short = text.chars().take(limit - 1).collect();
    }
    let short = short.trim_end_matches([',', ';', ':', '.', ' ']);
    format!("{short}…")
}

#[cfg(test)]
mod description_tests {
    use super::shorten_at_word;

    #[test]
    fn long_descriptions_are_cut_between_words() {
        let text = "fetch the orders from the shop every morning, check each one against the stock list, and email the warehouse a summary of what is missing";
        let short = shorten_at_word(text, 120);
        assert!(short.chars().count() <= 120, "{short}");
        assert!(short.ends_with('…'));
        let kept = short.trim_end_matches('…');
        assert!(text.starts_with(kept));
        // The cut falls where a word ended.
        let next = text[kept.len()..].chars().next().expect("more text");
        assert!(!next.is_alphanumeric(), "cut inside a word: {short}");
        assert_eq!(shorten_at_word("short enough", 120), "short enough");
    }
}
