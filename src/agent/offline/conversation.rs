//! Reading the conversation: what the system prompt says (mode, name,
//! workflows, the workflow in focus, the scope), which request is being
//! worked on (a reply to the planner's own question is read with the
//! request that raised it), and what the tool calls of this turn returned.

use serde_json::Value;

use super::intent::{Intent, classify};
use super::text::tokenize;
use crate::agent::model::{Message, ToolCall};
use crate::core::Workflow;
use crate::core::skill::Skill;

/// A workflow as loaded: from the system prompt or `get_workflow`.
#[derive(Debug, Clone)]
pub(super) struct Loaded {
    pub(super) name: String,
    pub(super) version: u64,
    pub(super) workflow: Workflow,
}

/// What the system prompt says about the situation.
#[derive(Debug, Default)]
pub(super) struct Setting {
    pub(super) create_mode: bool,
    pub(super) edit_target: Option<String>,
    pub(super) name: Option<String>,
    pub(super) workflows: Vec<String>,
    /// The workflow the conversation is about.
    pub(super) focus_name: Option<String>,
    /// Its content as the system prompt showed it, while that is still
    /// current.
    pub(super) focus: Option<Loaded>,
    pub(super) scope_step: Option<String>,
}

pub(super) fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let length = text[from..].find(end)?;
    Some(&text[from..from + length])
}

pub(super) fn read_setting(system: &str) -> Setting {
    let mut setting = Setting {
        create_mode: system.contains("You are creating a NEW workflow"),
        edit_target: between(system, "The workflow being edited is '", "'.").map(str::to_string),
        name: between(system, "Name the workflow '", "'.").map(str::to_string),
        scope_step: between(system, "Only change step '", "';").map(str::to_string),
        ..Setting::default()
    };
    if let Some(list) = between(system, "The user's workflows: ", ".\n") {
        setting.workflows = list.split(", ").map(str::to_string).collect();
    }
    if let Some(at) = system.find("Current workflow '") {
        let rest = &system[at + "Current workflow '".len()..];
        let name = rest.split('\'').next().unwrap_or_default().to_string();
        let version = between(rest, "' (v", "):")
            .and_then(|version| version.parse().ok())
            .unwrap_or(1);
        if let Some(json_at) = rest.find("):\n") {
            let json_text = &rest[json_at + 3..];
            let value = serde_json::Deserializer::from_str(json_text)
                .into_iter::<Value>()
                .next()
                .and_then(Result::ok);
            setting.focus_name = Some(name.clone());
            if let Some(workflow) = value.and_then(|value| Workflow::from_value(value).ok()) {
                setting.focus = Some(Loaded {
                    name,
                    version,
                    workflow,
                });
            }
        }
    }
    setting
}

/// A tool call of this turn with its result.
pub(super) struct Outcome<'a> {
    pub(super) call: &'a ToolCall,
    pub(super) content: Value,
    pub(super) is_error: bool,
}

/// The request being worked on and what happened so far in this turn.
pub(super) struct Turn<'a> {
    pub(super) request: String,
    pub(super) answers: Vec<String>,
    pub(super) outcomes: Vec<Outcome<'a>>,
    pub(super) calls_made: usize,
    /// Whether an earlier turn changed a workflow (the system prompt's
    /// copy is then out of date).
    pub(super) changed_before: bool,
    /// Typos in the request, read as the words meant.
    pub(super) corrections: Vec<super::typos::Correction>,
}

pub(super) fn parse_content(content: &str) -> Value {
    serde_json::from_str(content).unwrap_or_else(|_| Value::String(content.to_string()))
}

/// Whether a stretch of conversation ended with a question nobody answered.
pub(super) fn ended_with_question(messages: &[Message]) -> bool {
    messages.iter().rev().find_map(|message| match message {
        Message::Tool { name, content, .. } if name == "ask_user" => {
            Some(parse_content(content).get("answer").is_none())
        }
        Message::Tool { .. } => Some(false),
        _ => None,
    }) == Some(true)
}

/// Whether a stretch of conversation ended with a question asking what a
/// new step should do: any reply is its answer ("send a notification"),
/// even one that reads like a request.
fn asked_for_an_action(messages: &[Message]) -> bool {
    messages.iter().rev().find_map(|message| match message {
        Message::Assistant { tool_calls, .. } => tool_calls
            .iter()
            .rev()
            .find(|call| call.name == "ask_user")
            .map(|call| {
                call.arguments["question"]
                    .as_str()
                    .is_some_and(|question| question.starts_with("What should the new step do?"))
            }),
        _ => None,
    }) == Some(true)
}

/// Whether a reply to a question is a new request of its own.
pub(super) fn stands_alone(text: &str) -> bool {
    tokenize(text)
        .iter()
        .filter(|tok| !tok.is_punctuation())
        .count()
        > 2
        && !matches!(classify(text, false), Intent::Unknown | Intent::Help)
}

pub(super) fn read_turn(messages: &[Message]) -> Turn<'_> {
    let users: Vec<usize> = messages
        .iter()
        .enumerate()
        .filter(|(_, message)| matches!(message, Message::User { .. }))
        .map(|(index, _)| index)
        .collect();
    let text_of = |index: usize| match &messages[index] {
        Message::User { text } => text.clone(),
        _ => String::new(),
    };
    let calls_made = messages
        .iter()
        .map(|message| match message {
            Message::Assistant { tool_calls, .. } => tool_calls.len(),
            _ => 0,
        })
        .sum();
    let Some(&last) = users.last() else {
        return Turn {
            request: String::new(),
            answers: Vec::new(),
            outcomes: Vec::new(),
            calls_made,
            changed_before: false,
            corrections: Vec::new(),
        };
    };
    let mut position = users.len() - 1;
    let mut answers = Vec::new();
    while position > 0 {
        let (previous, current) = (users[position - 1], users[position]);
        let between = &messages[previous + 1..current];
        if ended_with_question(between)
            && (asked_for_an_action(between) || !stands_alone(&text_of(current)))
        {
            answers.insert(0, text_of(current));
            position -= 1;
        } else {
            break;
        }
    }
    let request = text_of(users[position]);
    let mut outcomes = Vec::new();
    for message in &messages[last + 1..] {
        if let Message::Assistant { tool_calls, .. } = message {
            for call in tool_calls {
                let result = messages[last + 1..]
                    .iter()
                    .find_map(|message| match message {
                        Message::Tool {
                            call_id,
                            content,
                            is_error,
                            ..
                        } if *call_id == call.id => Some((parse_content(content), *is_error)),
                        _ => None,
                    });
                if let Some((content, is_error)) = result {
                    if call.name == "ask_user"
                        && let Some(answer) = content.get("answer").and_then(Value::as_str)
                    {
                        answers.push(answer.to_string());
                    }
                    outcomes.push(Outcome {
                        call,
                        content,
                        is_error,
                    });
                }
            }
        }
    }
    let changed_before = messages[..last].iter().any(|message| match message {
        Message::Tool { name, content, .. } if MUTATING.contains(&name.as_str()) => {
            matches!(
                parse_content(content)["status"].as_str(),
                Some("applied" | "staged")
            )
        }
        _ => false,
    });
    Turn {
        request,
        answers,
        outcomes,
        calls_made,
        changed_before,
        corrections: Vec::new(),
    }
}

pub(super) const MUTATING: &[&str] = &["propose_modification", "create_workflow", "rollback"];

/// The facts the tool results of this turn hold.
#[derive(Default)]
pub(super) struct Info {
    pub(super) workflow: Option<Loaded>,
    pub(super) skills: Option<Vec<Skill>>,
    pub(super) history: Option<Vec<(u64, String)>>,
    /// Earlier versions read by number (`get_workflow` with a version).
    pub(super) versions: std::collections::BTreeMap<u64, Workflow>,
    pub(super) diff: Option<Value>,
    pub(super) validation: Option<Value>,
    pub(super) created_skills: Vec<String>,
    pub(super) asked_this_turn: bool,
    /// The listing held only some of the skills (there are many).
    pub(super) skills_cut_short: bool,
    /// The skills were searched with the request's words.
    pub(super) skills_searched: bool,
}

impl Info {
    /// The skills known so far, or the call that finds more: with many
    /// skills the listing is partial, so search with the request's words.
    pub(super) fn skills_or_search(
        &self,
        request: &str,
    ) -> Result<&[Skill], (&'static str, Value)> {
        match &self.skills {
            Some(skills) if !self.skills_cut_short || self.skills_searched => Ok(skills),
            Some(_) => Err(("list_skills", serde_json::json!({ "query": request }))),
            None => Err(("list_skills", serde_json::json!({ "query": "" }))),
        }
    }
}

pub(super) fn gather(turn: &Turn) -> Info {
    let mut info = Info::default();
    for outcome in &turn.outcomes {
        if outcome.is_error && outcome.call.name != "create_skill" {
            continue;
        }
        let content = &outcome.content;
        match outcome.call.name.as_str() {
            "get_workflow" => {
                let name = outcome.call.arguments["workflow"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                // A staged workflow (`qwf refine`) reports its base version.
                let version = content["version"]
                    .as_u64()
                    .or(content["base_version"].as_u64())
                    .unwrap_or(1);
                if outcome
                    .call
                    .arguments
                    .get("version")
                    .is_some_and(|v| !v.is_null())
                {
                    if let Ok(workflow) = Workflow::from_value(content["workflow"].clone()) {
                        info.versions.insert(version, workflow);
                    }
                } else if let Ok(workflow) = Workflow::from_value(content["workflow"].clone()) {
                    info.workflow = Some(Loaded {
                        name,
                        version,
                        workflow,
                    });
                }
            }
            "list_skills" => {
                // A plain list, or (with many skills) `{skills, total, …}`
                // holding part of them; later searches add to what is known.
                let listed = content.get("skills").unwrap_or(content);
                let found: Vec<Skill> = serde_json::from_value(listed.clone()).unwrap_or_default();
                let shown = found.len() as u64;
                let known = info.skills.get_or_insert_with(Vec::new);
                for skill in found {
                    if !known.iter().any(|existing| existing.name == skill.name) {
                        known.push(skill);
                    }
                }
                let query = outcome.call.arguments["query"].as_str().unwrap_or_default();
                if query.trim().is_empty() {
                    info.skills_cut_short =
                        content["total"].as_u64().is_some_and(|total| total > shown);
                } else {
                    info.skills_searched = true;
                }
            }
            "history" => {
                info.history = content["versions"].as_array().map(|versions| {
                    versions
                        .iter()
                        .map(|version| {
                            (
                                version["version"].as_u64().unwrap_or_default(),
                                version["description"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_string(),
                            )
                        })
                        .collect()
                })
            }
            "show_diff" => info.diff = Some(content.clone()),
            "validate_workflow" => info.validation = Some(content.clone()),
            "create_skill" => {
                let applied = content["status"] == "applied"
                    || content["status"] == "staged"
                    || content["error"]
                        .as_str()
                        .is_some_and(|error| error.contains("already exists"));
                if applied && let Some(name) = outcome.call.arguments["skill"]["name"].as_str() {
                    info.created_skills.push(name.to_string());
                }
            }
            "ask_user" => info.asked_this_turn = true,
            _ => {}
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_prompt_is_read() {
        let system = "You are qwf.\nThe user's workflows: a, data-pipeline.\n\nCurrent workflow 'data-pipeline' (v3):\n{\"name\": \"data-pipeline\", \"steps\": []}\n";
        let setting = read_setting(system);
        assert_eq!(setting.workflows, ["a", "data-pipeline"]);
        let focus = setting.focus.expect("focus");
        assert_eq!((focus.name.as_str(), focus.version), ("data-pipeline", 3));
    }
}
