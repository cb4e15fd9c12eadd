//! What the planner says in plain words: workflows described step by step,
//! diffs and histories from tool results, the closing message after a
//! proposal was decided, and what it can do when it did not understand.

use serde_json::Value;

use crate::core::Workflow;
use crate::core::model::{Step, StepKind, Strategy};

use super::text::quoted_list;

/// Examples of what the planner understands.
const EXAMPLES: &[&str] = &[
    "add retry logic to the API call",
    "increase the fetch timeout to 30 seconds",
    "remove the validation step",
    "add a logging step after fetch",
    "what does this workflow do?",
    "undo the last change",
];

/// The answer to a request the planner cannot read.
pub(super) fn not_understood() -> String {
    format!(
        "I'm the built-in offline planner and I did not understand that request, so I changed nothing. \
         I understand requests such as \"{}\", \"{}\" or \"{}\" (also: timeouts, continue on error, fallbacks, \
         removing, renaming, reordering and parallel steps, context values, skills, undo and rollback, \
         and questions such as \"{}\"). For open-ended requests, configure a language model \
         (`provider` in config.toml, --provider, or QWF_PROVIDER).",
        EXAMPLES[0], EXAMPLES[1], EXAMPLES[3], EXAMPLES[4]
    )
}

/// The answer to "help" and greetings.
pub(super) fn help() -> String {
    format!(
        "I'm the built-in offline planner: I turn plain requests into previewed changes, without a network or an API key. \
         Try: {}. To create a workflow, describe it: \"fetch data from the API, validate it, and save it to the database\".",
        EXAMPLES
            .iter()
            .map(|example| format!("\"{example}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn show_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn input_text(name: &str, value: &Value, workflow: &Workflow) -> String {
    if let Some(text) = value.as_str() {
        if let Some(key) = text.strip_prefix("context.") {
            return match workflow.context.readonly.get(key) {
                Some(found) => format!("{name} from context '{key}' ({})", show_value(found)),
                None => format!("{name} from context '{key}' (not set)"),
            };
        }
        if let Some((step, output)) = text.split_once('.')
            && crate::core::tree::find(&workflow.steps, step).is_some()
        {
            return format!("{name} = the '{output}' output of '{step}'");
        }
    }
    format!("{name} = {}", show_value(value))
}

fn step_text(step: &Step, workflow: &Workflow) -> String {
    let mut parts = vec![match &step.kind {
        StepKind::Skill { skill } => format!("runs skill '{skill}'"),
        StepKind::Agent { agent, .. } => format!("runs agent '{agent}'"),
        StepKind::Parallel { steps } => {
            let ids: Vec<String> = steps.iter().map(|step| step.id.clone()).collect();
            format!("runs {} at the same time", quoted_list(&ids, "and"))
        }
        StepKind::Conditional {
            condition,
            then,
            otherwise,
        } => {
            let then: Vec<String> = then.iter().map(|step| step.id.clone()).collect();
            let mut text = format!(
                "when `{condition}` holds, runs {}",
                quoted_list(&then, "and")
            );
            if !otherwise.is_empty() {
                let otherwise: Vec<String> = otherwise.iter().map(|step| step.id.clone()).collect();
                text.push_str(&format!(", otherwise {}", quoted_list(&otherwise, "and")));
            }
            text
        }
        StepKind::Unknown { type_name } => format!("is a '{type_name}' step qwf does not know"),
    }];
    if !step.inputs.is_empty() {
        let inputs: Vec<String> = step
            .inputs
            .iter()
            .map(|(name, value)| input_text(name, value, workflow))
            .collect();
        parts.push(format!("reading {}", inputs.join(", ")));
    }
    if !step.outputs.is_empty() {
        parts.push(format!("producing {}", quoted_list(&step.outputs, "and")));
    }
    if let Some(secs) = step.timeout_secs {
        parts.push(format!("timing out after {secs} s"));
    }
    if let Some(handling) = &step.error_handling {
        parts.push(match handling.strategy {
            Strategy::Retry => {
                let mut text = format!(
                    "retrying up to {} attempts",
                    handling.max_attempts.unwrap_or(3)
                );
                if let Some(backoff) = handling.backoff {
                    text.push_str(&format!(" with {backoff} backoff"));
                }
                text
            }
            Strategy::Continue => "letting the workflow continue if it fails".to_string(),
            Strategy::Fail => "stopping the workflow if it fails".to_string(),
            Strategy::Fallback => format!(
                "falling back to '{}' if it fails",
                handling.fallback.as_deref().unwrap_or("?")
            ),
        });
    }
    let mut text = parts.join(", ");
    if let Some(description) = &step.description {
        text = format!("{text} — {description}");
    }
    text
}

fn describe_steps(steps: &[Step], workflow: &Workflow, depth: usize, lines: &mut Vec<String>) {
    for (index, step) in steps.iter().enumerate() {
        let indent = "  ".repeat(depth + 1);
        lines.push(format!(
            "{indent}{}. {}: {}.",
            index + 1,
            step.id,
            step_text(step, workflow)
        ));
        for (_, children) in step.child_lists() {
            describe_steps(children, workflow, depth + 1, lines);
        }
    }
}

/// "What does this workflow do?"
pub(super) fn describe(name: &str, version: u64, workflow: &Workflow) -> String {
    let mut lines = Vec::new();
    let headline = match &workflow.description {
        Some(description) => format!("'{name}' (v{version}): {description}."),
        None => format!("'{name}' (v{version})."),
    };
    lines.push(headline.replace("..", "."));
    let count = workflow.steps.len();
    lines.push(format!(
        "It runs {count} step{} in order:",
        if count == 1 { "" } else { "s" }
    ));
    describe_steps(&workflow.steps, workflow, 0, &mut lines);
    if !workflow.context.readonly.is_empty() {
        let values: Vec<String> = workflow
            .context
            .readonly
            .iter()
            .map(|(key, value)| format!("{key} = {}", show_value(value)))
            .collect();
        lines.push(format!("Context values: {}.", values.join(", ")));
    }
    lines.join("\n")
}

/// "What does the fetch step do?"
pub(super) fn describe_step(step: &Step, workflow: &Workflow) -> String {
    let mut lines = vec![format!("'{}' {}.", step.id, step_text(step, workflow))];
    for (_, children) in step.child_lists() {
        describe_steps(children, workflow, 0, &mut lines);
    }
    lines.join("\n")
}

/// The `show_diff` result in words.
pub(super) fn diff(name: &str, result: &Value) -> String {
    let from = result["from"].as_u64().unwrap_or_default();
    let to = result["to"].as_u64().unwrap_or_default();
    let changes: Vec<&str> = result["changes"]
        .as_array()
        .map(|changes| changes.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if changes.is_empty() {
        return format!(
            "'{name}' v{from} and v{to} have the same content; nothing changed between them."
        );
    }
    let mut lines = vec![format!("Changes to '{name}' from v{from} to v{to}:")];
    lines.extend(changes.iter().map(|change| format!("  {change}")));
    lines.join("\n")
}

/// The `history` result in words.
pub(super) fn history(name: &str, versions: &[(u64, String)]) -> String {
    let mut lines = vec![format!(
        "'{name}' has {} version{}:",
        versions.len(),
        if versions.len() == 1 { "" } else { "s" }
    )];
    let latest = versions
        .iter()
        .map(|(version, _)| *version)
        .max()
        .unwrap_or_default();
    for (version, description) in versions.iter().rev() {
        let current = if *version == latest { " (current)" } else { "" };
        lines.push(format!("  v{version}{current} — {description}"));
    }
    lines.join("\n")
}

/// The `validate_workflow` result in words.
pub(super) fn validation(name: &str, result: &Value) -> String {
    let issues = result["issues"].as_array().cloned().unwrap_or_default();
    if result["valid"].as_bool() == Some(true) && issues.is_empty() {
        return format!(
            "'{name}' is valid: every reference resolves and every step is well-formed."
        );
    }
    let mut lines = vec![if result["valid"].as_bool() == Some(true) {
        format!(
            "'{name}' is valid, with {} warning{}:",
            issues.len(),
            if issues.len() == 1 { "" } else { "s" }
        )
    } else {
        format!("'{name}' has problems:")
    }];
    for issue in issues {
        let severity = issue["severity"].as_str().unwrap_or("issue");
        let message = issue["message"].as_str().unwrap_or_default();
        let hint = issue["hint"]
            .as_str()
            .map(|hint| format!(" ({hint})"))
            .unwrap_or_default();
        lines.push(format!("  {severity}: {message}{hint}"));
    }
    lines.join("\n")
}

/// The `list_skills` result in words.
pub(super) fn skills(skills: &[crate::core::skill::Skill]) -> String {
    if skills.is_empty() {
        return "You have no skills yet. Creating a workflow proposes the skills it needs.".into();
    }
    let mut lines = vec![format!(
        "You have {} skill{}:",
        skills.len(),
        if skills.len() == 1 { "" } else { "s" }
    )];
    for skill in skills {
        let description = if skill.description.is_empty() {
            String::new()
        } else {
            format!(" — {}", skill.description)
        };
        lines.push(format!("  {}{description}", skill.name));
    }
    lines.join("\n")
}

/// The closing message after a tool returned an error.
pub(super) fn tool_error(tool: &str, content: &Value) -> String {
    let error = content["error"]
        .as_str()
        .map_or_else(|| content.to_string(), str::to_string);
    let hint = content["hint"]
        .as_str()
        .filter(|hint| !hint.is_empty())
        .map(|hint| format!(" Hint: {hint}."))
        .unwrap_or_default();
    let hint = hint.replace("..", ".");
    let doing = match tool {
        // Saved, then something after failed: it must not be made again.
        _ if content.get("saved_version").is_some() => {
            "The change was saved; do not make it again."
        }
        "propose_modification" | "create_workflow" | "create_skill" | "rollback" => {
            "Nothing was changed."
        }
        _ => "I stopped here rather than guess.",
    };
    format!("I could not complete that: {error}.{hint} {doing}").replace("..", ".")
}

/// "Which steps read the totals?": every input, condition and fallback
/// that reads the step (or the output) the phrase names.
pub(super) fn consumers(phrase: &str, workflow: &Workflow) -> String {
    let toks = super::text::tokenize(phrase);
    let id = match super::refs::resolve(&toks, workflow) {
        super::refs::Found::One(id) => id,
        super::refs::Found::Many(ids) => {
            return format!(
                "Which step do you mean: {}?",
                super::text::quoted_list(&ids, "or")
            );
        }
        super::refs::Found::Nothing => {
            return format!(
                "I could not find a step or output matching '{phrase}' in '{}'.",
                workflow.name
            );
        }
    };
    let Some(producer) = crate::core::tree::find(&workflow.steps, &id) else {
        return format!("I could not find step '{id}'.");
    };
    // An output named in the question narrows the answer to it.
    let output = producer
        .outputs
        .iter()
        .find(|output| toks.iter().any(|tok| tok.word == output.to_lowercase()));
    let is_step = |candidate: &str| crate::core::tree::find(&workflow.steps, candidate).is_some();
    let mut readers: Vec<String> = Vec::new();
    for visited in crate::core::tree::walk(workflow) {
        let step = visited.step;
        for (input, value) in &step.inputs {
            if let Some(text) = value.as_str()
                && let Some(crate::core::reference::Reference::Step {
                    step: source,
                    output: read,
                }) = crate::core::reference::parse(text, is_step)
                && source == id
                && output.is_none_or(|output| output == read)
            {
                readers.push(format!("'{}' (input {input} ← {text})", step.id));
            }
        }
        if let crate::core::model::StepKind::Conditional { condition, .. } = &step.kind
            && crate::core::reference::condition_references(condition, is_step)
                .iter()
                .any(|reference| reference.step_id() == Some(id.as_str()))
        {
            readers.push(format!("'{}' (its condition `{condition}`)", step.id));
        }
        if step
            .error_handling
            .as_ref()
            .and_then(|handling| handling.fallback.as_deref())
            == Some(id.as_str())
        {
            readers.push(format!("'{}' (falls back to it)", step.id));
        }
    }
    let what = match output {
        Some(output) => format!("'{id}.{output}'"),
        None => format!("'{id}'"),
    };
    if readers.is_empty() {
        return format!("Nothing reads {what}: removing or changing it breaks no other step.");
    }
    let listed = match readers.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    format!(
        "{what} is used by {listed}. Removing it would leave {} without {}.",
        if readers.len() == 1 {
            "that step"
        } else {
            "those steps"
        },
        if readers.len() == 1 {
            "its input"
        } else {
            "their inputs"
        }
    )
}
