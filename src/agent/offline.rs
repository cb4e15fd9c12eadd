//! The offline planner: a deterministic language planner that plugs in
//! behind the same agent loop and gate as any model. It reads the
//! conversation and answers with the tool calls a model would make, so the
//! same validation, impact, confirmation and versioning apply.
//!
//! It keeps no state of its own: every request is planned afresh from the
//! messages, as a small state machine.
//! 1. A new user message is planned: creation, an edit, undo/rollback, or a
//!    question. A reply to one of its own questions is read together with
//!    the request that raised it.
//! 2. Missing facts are fetched with read-only tools (`get_workflow` unless
//!    the system prompt already holds the workflow in focus, `list_skills`,
//!    `history`, `show_diff`, `validate_workflow`).
//! 3. With the facts in the tool results, it calls one mutating tool
//!    (`propose_modification`, `create_workflow`, `rollback`, after
//!    `create_skill` when a new step needs a new skill) or `ask_user` when
//!    two readings fit equally.
//! 4. After the mutating tool's result (applied, declined, error) it ends
//!    with a short message. Any tool error ends the turn with an
//!    explanation: it never loops.
//!
//! No clock, no randomness, no network; tool call ids are "offline-N".

mod answer;
mod concepts;
mod create;
mod edit;
mod refs;
mod text;

use serde_json::{Value, json};

use super::model::{Message, Model, ModelError, ModelReply, ModelRequest, ToolCall};
use crate::core::Workflow;
use crate::core::skill::Skill;
use text::{Tok, count, find_phrase, has_any, position_of, quoted_list, tokenize};

/// The built-in deterministic planner (provider `offline`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflinePlanner;

impl OfflinePlanner {
    pub fn new() -> Self {
        OfflinePlanner
    }
}

impl Model for OfflinePlanner {
    fn describe(&self) -> String {
        "offline planner (built-in, deterministic, no network)".into()
    }

    fn respond(&self, request: &ModelRequest<'_>) -> Result<ModelReply, ModelError> {
        Ok(respond(request.messages))
    }
}

/// A workflow as loaded: from the system prompt or `get_workflow`.
#[derive(Debug, Clone)]
struct Loaded {
    name: String,
    version: u64,
    workflow: Workflow,
}

/// What the system prompt says about the situation.
#[derive(Debug, Default)]
struct Setting {
    create_mode: bool,
    edit_target: Option<String>,
    name: Option<String>,
    workflows: Vec<String>,
    focus: Option<Loaded>,
    scope_step: Option<String>,
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let length = text[from..].find(end)?;
    Some(&text[from..from + length])
}

fn read_setting(system: &str) -> Setting {
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
        let version = between(rest, "' (v", "):").and_then(|version| version.parse().ok()).unwrap_or(1);
        if let Some(json_at) = rest.find("):\n") {
            let json_text = &rest[json_at + 3..];
            let value = serde_json::Deserializer::from_str(json_text).into_iter::<Value>().next().and_then(Result::ok);
            if let Some(workflow) = value.and_then(|value| Workflow::from_value(value).ok()) {
                setting.focus = Some(Loaded { name, version, workflow });
            }
        }
    }
    setting
}

/// A tool call of this turn with its result.
struct Outcome<'a> {
    call: &'a ToolCall,
    content: Value,
    is_error: bool,
}

/// The request being worked on and what happened so far in this turn.
struct Turn<'a> {
    request: String,
    answers: Vec<String>,
    outcomes: Vec<Outcome<'a>>,
    calls_made: usize,
}

fn parse_content(content: &str) -> Value {
    serde_json::from_str(content).unwrap_or_else(|_| Value::String(content.to_string()))
}

/// Whether a stretch of conversation ended with a question nobody answered.
fn ended_with_question(messages: &[Message]) -> bool {
    messages.iter().rev().find_map(|message| match message {
        Message::Tool { name, content, .. } if name == "ask_user" => Some(parse_content(content).get("answer").is_none()),
        Message::Tool { .. } => Some(false),
        _ => None,
    }) == Some(true)
}

/// Whether a reply to a question is a new request of its own.
fn stands_alone(text: &str) -> bool {
    tokenize(text).iter().filter(|tok| !tok.is_punctuation()).count() > 2 && !matches!(classify(text, false), Intent::Unknown | Intent::Help)
}

fn read_turn(messages: &[Message]) -> Turn<'_> {
    let users: Vec<usize> = messages.iter().enumerate().filter(|(_, message)| matches!(message, Message::User { .. })).map(|(index, _)| index).collect();
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
        return Turn { request: String::new(), answers: Vec::new(), outcomes: Vec::new(), calls_made };
    };
    let mut position = users.len() - 1;
    let mut answers = Vec::new();
    while position > 0 {
        let (previous, current) = (users[position - 1], users[position]);
        if ended_with_question(&messages[previous + 1..current]) && !stands_alone(&text_of(current)) {
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
                let result = messages[last + 1..].iter().find_map(|message| match message {
                    Message::Tool { call_id, content, is_error, .. } if *call_id == call.id => Some((parse_content(content), *is_error)),
                    _ => None,
                });
                if let Some((content, is_error)) = result {
                    if call.name == "ask_user"
                        && let Some(answer) = content.get("answer").and_then(Value::as_str)
                    {
                        answers.push(answer.to_string());
                    }
                    outcomes.push(Outcome { call, content, is_error });
                }
            }
        }
    }
    Turn { request, answers, outcomes, calls_made }
}

/// What the user asked for, read from the words alone.
#[derive(Debug, Clone, PartialEq)]
enum Intent {
    Create { name: Option<String> },
    Undo(u64),
    RollbackTo(u64),
    Diff { versions: Vec<u64>, last_change: bool },
    History,
    Validate,
    ListSkills,
    Describe { step: Option<String> },
    Edit,
    Help,
    Unknown,
}

/// "v2", "version 2", "version two".
fn versions(toks: &[Tok]) -> Vec<u64> {
    let mut found = Vec::new();
    for (index, tok) in toks.iter().enumerate() {
        let word = tok.word.as_str();
        if let Some(digits) = word.strip_prefix('v')
            && let Ok(version) = digits.parse::<u64>()
        {
            found.push(version);
        } else if word == "version"
            && let Some(version) = toks.get(index + 1).and_then(|next| count(&next.word))
        {
            found.push(version);
        }
    }
    found
}

fn creation_name(toks: &[Tok]) -> Option<String> {
    let at = position_of(toks, &["named", "called"])?;
    if at == 0 || !toks[at - 1].is_any(&["workflow", "pipeline", "flow", "automation", "job"]) {
        return None;
    }
    let raw = &toks.get(at + 1)?.raw;
    let name = crate::core::names::suggest_name(raw);
    crate::core::names::check_name(&name, "workflow").ok().map(|_| name)
}

fn classify(text: &str, create_mode: bool) -> Intent {
    let toks = tokenize(text);
    let words: Vec<&Tok> = toks.iter().filter(|tok| !tok.is_punctuation()).collect();
    if words.is_empty() {
        return Intent::Unknown;
    }
    if create_mode {
        return Intent::Create { name: creation_name(&toks) };
    }
    // "create a workflow that …", "build me a pipeline to …", "I need a workflow for …"
    let workflow_word = position_of(&toks, &["workflow", "pipeline", "automation"]);
    let creating = toks.iter().take(4).any(|tok| tok.is_any(&["create", "build", "generate", "make", "design", "new", "need", "want", "setup", "set"]));
    if let Some(at) = workflow_word
        && creating
        && at <= 6
        && toks[..at].iter().any(|tok| tok.is_any(&["a", "an", "new"]))
    {
        return Intent::Create { name: creation_name(&toks) };
    }
    let found_versions = versions(&toks);
    // Undo and rollback.
    let how_many = |toks: &[Tok]| toks.iter().find_map(|tok| count(&tok.word)).filter(|n| *n > 0 && *n < 100).unwrap_or(1);
    if toks.iter().any(|tok| tok.is_any(&["undo", "undo", "un-do"])) || has_any(&toks, &["take that back", "revert the last", "revert my last", "revert that", "roll back the last", "rollback the last"])
    {
        return Intent::Undo(how_many(&toks));
    }
    let rolling = has_any(&toks, &["go back", "roll back", "rollback", "revert", "restore", "return to", "back to", "reset to"]);
    if rolling && let Some(version) = found_versions.last() {
        return Intent::RollbackTo(*version);
    }
    if rolling && !edit::looks_like_edit(text) && !toks.iter().any(|tok| tok.is("restore")) {
        return Intent::Undo(how_many(&toks));
    }
    // Questions.
    let asks_diff = has_any(
        &toks,
        &[
            "what changed", "what has changed", "what's changed", "what have i changed", "what did i change", "what's different",
            "what is different", "changes since", "changed since", "difference", "differences", "diff", "compare", "what did the last change",
            "what was the last change", "last change do",
        ],
    );
    if asks_diff {
        let last_change = found_versions.is_empty();
        return Intent::Diff { versions: found_versions, last_change };
    }
    if has_any(&toks, &["history", "list versions", "show versions", "what versions", "which versions", "all versions", "previous versions"]) {
        return Intent::History;
    }
    if has_any(&toks, &["is it valid", "is this valid", "is the workflow valid", "validate the workflow", "validate it", "validate this", "any problems", "check the workflow", "is anything broken", "is it broken", "problems with"])
        || (toks.first().is_some_and(|tok| tok.is("validate")) && words.len() <= 3 && workflow_word.is_some())
    {
        return Intent::Validate;
    }
    if has_any(&toks, &["list skills", "list my skills", "what skills", "which skills", "show skills", "show my skills", "skills do i have", "list the skills"]) {
        return Intent::ListSkills;
    }
    let describing = has_any(
        &toks,
        &[
            "what does", "what do", "describe", "explain", "show me", "show the workflow", "what is in", "what's in", "summarize the workflow",
            "summarise the workflow", "summary of", "what are the steps", "list the steps", "tell me about", "how does", "what is this",
            "what's this",
        ],
    );
    if describing && !edit::looks_like_edit(text) {
        let step = find_phrase(&toks, "what does").and_then(|at| {
            let end = toks[at..].iter().rposition(|tok| tok.is("do")).map(|offset| at + offset)?;
            let phrase: Vec<&Tok> = toks[at + 2..end].iter().filter(|tok| !tok.is_punctuation()).collect();
            let general = phrase.iter().any(|tok| tok.is_any(&["workflow", "pipeline", "it", "this", "that"]));
            (!general && !phrase.is_empty()).then(|| phrase.iter().map(|tok| tok.raw.as_str()).collect::<Vec<_>>().join(" "))
        });
        let step = step.or_else(|| {
            let at = position_of(&toks, &["explain", "describe"])?;
            let phrase: Vec<&Tok> = toks[at + 1..].iter().filter(|tok| !tok.is_punctuation()).collect();
            let general = phrase.is_empty() || phrase.iter().any(|tok| tok.is_any(&["workflow", "pipeline", "it", "this", "everything"]));
            (!general).then(|| phrase.iter().map(|tok| tok.raw.as_str()).collect::<Vec<_>>().join(" "))
        });
        return Intent::Describe { step };
    }
    if edit::looks_like_edit(text) {
        return Intent::Edit;
    }
    if has_any(&toks, &["help", "what can you do", "how do i", "hello", "hi"]) || (words.len() == 1 && words[0].is_any(&["hi", "hello", "hey", "help", "?"])) {
        return Intent::Help;
    }
    Intent::Unknown
}

/// What the planner does next.
enum Next {
    Calls(Vec<(&'static str, Value)>),
    Say(String),
}

fn ask(question: String) -> Next {
    Next::Calls(vec![("ask_user", json!({ "question": question }))])
}

/// The facts the tool results of this turn hold.
#[derive(Default)]
struct Info {
    workflow: Option<Loaded>,
    skills: Option<Vec<Skill>>,
    history: Option<Vec<(u64, String)>>,
    diff: Option<Value>,
    validation: Option<Value>,
    created_skills: Vec<String>,
    asked_this_turn: bool,
}

fn gather(turn: &Turn) -> Info {
    let mut info = Info::default();
    for outcome in &turn.outcomes {
        if outcome.is_error && outcome.call.name != "create_skill" {
            continue;
        }
        let content = &outcome.content;
        match outcome.call.name.as_str() {
            "get_workflow" => {
                let name = outcome.call.arguments["workflow"].as_str().unwrap_or_default().to_string();
                let version = content["version"].as_u64().unwrap_or(1);
                if let Ok(workflow) = Workflow::from_value(content["workflow"].clone()) {
                    info.workflow = Some(Loaded { name, version, workflow });
                }
            }
            "list_skills" => info.skills = serde_json::from_value(content.clone()).ok(),
            "history" => {
                info.history = content["versions"].as_array().map(|versions| {
                    versions
                        .iter()
                        .map(|version| (version["version"].as_u64().unwrap_or_default(), version["description"].as_str().unwrap_or_default().to_string()))
                        .collect()
                })
            }
            "show_diff" => info.diff = Some(content.clone()),
            "validate_workflow" => info.validation = Some(content.clone()),
            "create_skill" => {
                let applied = content["status"] == "applied" || content["error"].as_str().is_some_and(|error| error.contains("already exists"));
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

fn respond(messages: &[Message]) -> ModelReply {
    let system = messages.iter().find_map(|message| match message {
        Message::System { text } => Some(text.as_str()),
        _ => None,
    });
    let setting = read_setting(system.unwrap_or_default());
    let turn = read_turn(messages);
    let next = next(&setting, &turn);
    match next {
        Next::Say(text) => ModelReply { text, tool_calls: Vec::new(), usage: Default::default() },
        Next::Calls(calls) => ModelReply {
            text: String::new(),
            tool_calls: calls
                .into_iter()
                .enumerate()
                .map(|(index, (name, arguments))| ToolCall { id: format!("offline-{}", turn.calls_made + index + 1), name: name.to_string(), arguments })
                .collect(),
            usage: Default::default(),
        },
    }
}

const MUTATING: &[&str] = &["propose_modification", "create_workflow", "rollback"];

fn next(setting: &Setting, turn: &Turn) -> Next {
    // A tool error ends the turn with an explanation (a skill that already
    // exists is not an error for the planner: it is reused).
    if let Some(failed) = turn.outcomes.iter().find(|outcome| {
        outcome.is_error && !(outcome.call.name == "create_skill" && outcome.content["error"].as_str().is_some_and(|error| error.contains("already exists")))
    }) {
        return Next::Say(answer::tool_error(&failed.call.name, &failed.content));
    }
    let info = gather(turn);
    if let Some(done) = turn.outcomes.iter().rev().find(|outcome| MUTATING.contains(&outcome.call.name.as_str())) {
        return Next::Say(finished(done, &info));
    }
    if let Some(declined) = turn.outcomes.iter().find(|outcome| outcome.call.name == "create_skill" && outcome.content["status"] == "declined") {
        let skill = declined.call.arguments["skill"]["name"].as_str().unwrap_or("the skill");
        let reason = declined.content["reason"].as_str().unwrap_or("declined");
        return Next::Say(format!("Not applied: {reason}. The new step needs skill '{skill}', so I did not add it; nothing changed."));
    }
    let intent = classify(&turn.request, setting.create_mode);
    match intent {
        Intent::Unknown => Next::Say(answer::not_understood()),
        Intent::Help => Next::Say(answer::help()),
        Intent::Create { name } => create(setting, turn, &info, name),
        Intent::ListSkills => match &info.skills {
            Some(skills) => Next::Say(answer::skills(skills)),
            None => Next::Calls(vec![("list_skills", json!({ "query": "" }))]),
        },
        intent => {
            let target = match choose_workflow(setting, turn, &info) {
                Ok(target) => target,
                Err(next) => return next,
            };
            on_workflow(setting, turn, &info, &target, intent)
        }
    }
}

fn choose_workflow(setting: &Setting, turn: &Turn, info: &Info) -> Result<String, Next> {
    if let Some(target) = setting.edit_target.clone().or_else(|| setting.focus.as_ref().map(|focus| focus.name.clone())) {
        return Ok(target);
    }
    let toks = tokenize(&turn.request);
    let named = |toks: &[Tok]| -> Vec<String> {
        setting.workflows.iter().filter(|name| toks.iter().any(|tok| tok.word == **name || tok.raw == **name)).cloned().collect()
    };
    let mentioned = named(&toks);
    if mentioned.len() == 1 {
        return Ok(mentioned[0].clone());
    }
    if setting.workflows.len() == 1 {
        return Ok(setting.workflows[0].clone());
    }
    for answer in turn.answers.iter().rev() {
        if let [one] = named(&tokenize(answer)).as_slice() {
            return Ok(one.clone());
        }
    }
    if setting.workflows.is_empty() {
        return Err(Next::Say(
            "You have no workflows yet, so there is nothing to change. Create one first by describing it, for example: \
             qwf create \"fetch data from the API, validate it, and save it to the database\"."
                .into(),
        ));
    }
    if info.asked_this_turn {
        return Err(Next::Say("I still cannot tell which workflow you mean, so I changed nothing. Name it in the request.".into()));
    }
    let candidates = if mentioned.len() > 1 { mentioned } else { setting.workflows.clone() };
    Err(ask(format!("Which workflow do you mean: {}?", quoted_list(&candidates, "or"))))
}

fn loaded<'a>(setting: &'a Setting, info: &'a Info, target: &str) -> Option<&'a Loaded> {
    setting.focus.as_ref().filter(|focus| focus.name == target).or(info.workflow.as_ref().filter(|loaded| loaded.name == target))
}

fn get_workflow(target: &str) -> (&'static str, Value) {
    ("get_workflow", json!({ "workflow": target }))
}

fn on_workflow(setting: &Setting, turn: &Turn, info: &Info, target: &str, intent: Intent) -> Next {
    match intent {
        Intent::RollbackTo(version) => {
            if loaded(setting, info, target).is_some_and(|loaded| loaded.version == version) {
                return Next::Say(format!("'{target}' is already at v{version}; nothing to roll back."));
            }
            Next::Calls(vec![("rollback", json!({ "workflow": target, "to": version }))])
        }
        Intent::Undo(steps) => match &info.history {
            None => Next::Calls(vec![("history", json!({ "workflow": target }))]),
            Some(history) => {
                let latest = history.iter().map(|(version, _)| *version).max().unwrap_or(1);
                match latest.checked_sub(steps).filter(|to| *to >= 1) {
                    Some(to) => Next::Calls(vec![("rollback", json!({ "workflow": target, "to": to }))]),
                    None => Next::Say(format!("Nothing to undo: '{target}' is at v{latest}, its first version, so there is no earlier version to go back to.")),
                }
            }
        },
        Intent::History => match &info.history {
            None => Next::Calls(vec![("history", json!({ "workflow": target }))]),
            Some(history) => Next::Say(answer::history(target, history)),
        },
        Intent::Validate => match &info.validation {
            None => Next::Calls(vec![("validate_workflow", json!({ "workflow": target }))]),
            Some(result) => Next::Say(answer::validation(target, result)),
        },
        Intent::Diff { versions, last_change } => {
            if let Some(result) = &info.diff {
                return Next::Say(answer::diff(target, result));
            }
            let Some(current) = loaded(setting, info, target).map(|loaded| loaded.version) else {
                return Next::Calls(vec![get_workflow(target)]);
            };
            let (from, to) = match versions.as_slice() {
                [] if last_change || versions.is_empty() => (current.saturating_sub(1), current),
                [from] => (*from, current),
                [from, to, ..] => (*from, *to),
                _ => (current.saturating_sub(1), current),
            };
            if from == 0 {
                return Next::Say(format!("'{target}' has only v1, so nothing has changed yet."));
            }
            if from > current || to > current {
                return Next::Say(format!("'{target}' has versions v1 to v{current}; v{} does not exist.", from.max(to)));
            }
            if from == to {
                return Next::Say(format!("v{from} is the version you compare with; there is nothing between a version and itself."));
            }
            Next::Calls(vec![("show_diff", json!({ "workflow": target, "from": from, "to": to }))])
        }
        Intent::Describe { step } => {
            let Some(loaded) = loaded(setting, info, target) else {
                return Next::Calls(vec![get_workflow(target)]);
            };
            if let Some(phrase) = step {
                match refs::resolve(&tokenize(&phrase), &loaded.workflow) {
                    refs::Found::One(id) => {
                        let step = crate::core::tree::find(&loaded.workflow.steps, &id).expect("found");
                        return Next::Say(answer::describe_step(step, &loaded.workflow));
                    }
                    refs::Found::Many(ids) => {
                        let lines: Vec<String> = ids
                            .iter()
                            .filter_map(|id| crate::core::tree::find(&loaded.workflow.steps, id))
                            .map(|step| answer::describe_step(step, &loaded.workflow))
                            .collect();
                        return Next::Say(lines.join("\n"));
                    }
                    refs::Found::Nothing => {}
                }
            }
            Next::Say(answer::describe(&loaded.name, loaded.version, &loaded.workflow))
        }
        _ => edit(setting, turn, info, target),
    }
}

fn edit(setting: &Setting, turn: &Turn, info: &Info, target: &str) -> Next {
    let mut reads = Vec::new();
    let workflow = loaded(setting, info, target);
    if workflow.is_none() {
        reads.push(get_workflow(target));
    }
    if info.skills.is_none() && edit::needs_skills(&turn.request) {
        reads.push(("list_skills", json!({ "query": "" })));
    }
    if !reads.is_empty() {
        return Next::Calls(reads);
    }
    let loaded = workflow.expect("read above");
    let empty = Vec::new();
    let context = edit::EditContext {
        text: &turn.request,
        workflow: &loaded.workflow,
        name: target,
        skills: info.skills.as_ref().unwrap_or(&empty),
        answers: &turn.answers,
        scope_step: setting.scope_step.as_deref(),
    };
    match edit::plan(&context) {
        edit::Plan::Propose { modifications, summary, new_skill, .. } => {
            if let Some(skill) = new_skill
                && !info.created_skills.contains(&skill.name)
            {
                return Next::Calls(vec![("create_skill", json!({ "skill": skill }))]);
            }
            Next::Calls(vec![("propose_modification", json!({ "workflow": target, "modifications": modifications, "summary": summary }))])
        }
        edit::Plan::Ask(question) if info.asked_this_turn => {
            Next::Say(format!("I still cannot tell what you mean, so I changed nothing. {question}"))
        }
        edit::Plan::Ask(question) => ask(question),
        edit::Plan::Say(text) => Next::Say(text),
        edit::Plan::NotUnderstood => Next::Say(answer::not_understood()),
    }
}

fn create(setting: &Setting, turn: &Turn, info: &Info, name: Option<String>) -> Next {
    let Some(skills) = &info.skills else {
        return Next::Calls(vec![("list_skills", json!({ "query": "" }))]);
    };
    let toks = tokenize(&turn.request);
    let name = setting.name.clone().or(name).unwrap_or_else(|| create::suggest_name(&toks, &setting.workflows));
    match create::create(&turn.request, &name, skills) {
        Ok(creation) => {
            Next::Calls(vec![(
                "create_workflow",
                json!({ "workflow": creation.workflow, "new_skills": creation.new_skills, "reasoning": creation.reasoning }),
            )])
        }
        Err(why) => Next::Say(format!("{why}, so I created nothing. {}", answer::help())),
    }
}

/// The closing message once a mutating call was decided.
fn finished(done: &Outcome, info: &Info) -> String {
    let arguments = &done.call.arguments;
    let status = done.content["status"].as_str().unwrap_or_default();
    let version = done.content["version"].as_u64();
    let workflow = arguments["workflow"].as_str().map(str::to_string).unwrap_or_default();
    match (done.call.name.as_str(), status) {
        (_, "declined") => {
            let reason = done.content["reason"].as_str().unwrap_or("declined").trim_end_matches('.');
            let proposal = match done.call.name.as_str() {
                "propose_modification" => arguments["summary"].as_str().unwrap_or_default().to_string(),
                "rollback" => format!("roll '{workflow}' back to v{}", arguments["to"]),
                _ => format!("create workflow '{}'", arguments["workflow"]["name"].as_str().unwrap_or_default()),
            };
            format!("Not applied: {reason}. The proposal was: {}. Nothing changed.", proposal.trim_end_matches('.'))
        }
        (_, "nothing to do") => {
            format!("Nothing to do: {}.", done.content["reason"].as_str().unwrap_or("it is already so").trim_end_matches('.'))
        }
        ("propose_modification", _) => {
            let summary = arguments["summary"].as_str().unwrap_or("Applied the change").trim_end_matches('.');
            let mut text = match version {
                Some(version) => format!("{summary}. Saved as v{version} of '{workflow}'."),
                None => format!("{summary}."),
            };
            for note in notes(arguments, info) {
                text.push(' ');
                text.push_str(&note);
            }
            text
        }
        ("rollback", _) => {
            let to = arguments["to"].as_u64().map_or_else(|| arguments["to"].to_string(), |to| to.to_string());
            match version {
                Some(version) => format!("Rolled '{workflow}' back to v{to}; saved as v{version}, so this too can be undone."),
                None => format!("Rolled '{workflow}' back to v{to}."),
            }
        }
        _ => {
            let created = &arguments["workflow"];
            let name = done.content["workflow"].as_str().or(created["name"].as_str()).unwrap_or_default();
            let steps: Vec<&str> = created["steps"].as_array().map(|steps| steps.iter().filter_map(|step| step["id"].as_str()).collect()).unwrap_or_default();
            let mut text = format!("Created workflow '{name}' (v{}) with {} step{}: {}.", version.unwrap_or(1), steps.len(), if steps.len() == 1 { "" } else { "s" }, steps.join(" → "));
            let new_skills: Vec<String> = done.content["skills_created"].as_array().map(|skills| skills.iter().filter_map(|skill| skill.as_str().map(str::to_string)).collect()).unwrap_or_default();
            if !new_skills.is_empty() {
                text.push_str(&format!(" New skills: {}.", new_skills.join(", ")));
            }
            let placeholders: Vec<String> = created["context"]["readonly"]
                .as_object()
                .map(|context| context.iter().filter(|(_, value)| value.as_str().is_some_and(|text| text.starts_with("TODO"))).map(|(key, _)| key.clone()).collect())
                .unwrap_or_default();
            if !placeholders.is_empty() {
                text.push_str(&format!(
                    " Fill in {} (for example: \"set the {} to …\").",
                    quoted_list(&placeholders, "and"),
                    placeholders[0]
                ));
            }
            text
        }
    }
}

/// Things worth saying after an applied edit: skills that do not exist
/// yet, placeholders to fill in.
fn notes(arguments: &Value, info: &Info) -> Vec<String> {
    let mut notes = Vec::new();
    let skills: Vec<&str> = info.skills.iter().flatten().map(|skill| skill.name.as_str()).chain(info.created_skills.iter().map(String::as_str)).collect();
    for modification in arguments["modifications"].as_array().into_iter().flatten() {
        if modification["type"] == "modify_step"
            && let Some(skill) = modification["changes"]["skill"].as_str()
            && info.skills.is_some()
            && !skills.contains(&skill)
        {
            notes.push(format!("Skill '{skill}' does not exist yet; create it with `qwf skill create` before running the workflow."));
        }
        if modification["type"] == "set_context"
            && modification["value"].as_str().is_some_and(|value| value.starts_with("TODO"))
            && let Some(key) = modification["key"].as_str()
        {
            notes.push(format!("Fill in context value '{key}' (for example: \"set the {key} to …\")."));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_classified() {
        assert_eq!(classify("undo the last change", false), Intent::Undo(1));
        assert_eq!(classify("undo the last 2 changes", false), Intent::Undo(2));
        assert_eq!(classify("go back to v2", false), Intent::RollbackTo(2));
        assert_eq!(classify("roll back to version 3", false), Intent::RollbackTo(3));
        assert_eq!(classify("what changed since v1?", false), Intent::Diff { versions: vec![1], last_change: false });
        assert_eq!(classify("what does this workflow do?", false), Intent::Describe { step: None });
        assert_eq!(classify("what does the fetch step do?", false), Intent::Describe { step: Some("the fetch step".into()) });
        assert_eq!(classify("create a workflow that fetches data", false), Intent::Create { name: None });
        assert_eq!(classify("create a workflow called nightly that fetches data", false), Intent::Create { name: Some("nightly".into()) });
        assert_eq!(classify("add retry to fetch", false), Intent::Edit);
        assert_eq!(classify("make it more awesome", false), Intent::Unknown);
        assert_eq!(classify("show the history", false), Intent::History);
        assert_eq!(classify("is it valid?", false), Intent::Validate);
    }

    #[test]
    fn the_system_prompt_is_read() {
        let system = "You are qwf.\nThe user's workflows: a, data-pipeline.\n\nCurrent workflow 'data-pipeline' (v3):\n{\"name\": \"data-pipeline\", \"steps\": []}\n";
        let setting = read_setting(system);
        assert_eq!(setting.workflows, ["a", "data-pipeline"]);
        let focus = setting.focus.expect("focus");
        assert_eq!((focus.name.as_str(), focus.version), ("data-pipeline", 3));
    }
}
