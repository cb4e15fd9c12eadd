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
mod build;
mod clauses;
mod concepts;
mod condition;
mod conversation;
mod coverage;
mod create;
mod edit;
mod fit;
mod intent;
mod read;
mod refs;
mod remarks;
mod restore;
mod text;
mod typos;

use serde_json::{Value, json};

use super::model::{Message, Model, ModelError, ModelReply, ModelRequest, ToolCall};
use conversation::{
    Info, Loaded, MUTATING, Outcome, Setting, Turn, gather, read_setting, read_turn,
};
use intent::{Intent, classify};
use text::{Tok, quoted_list, stem, tokenize};

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

    fn needs_reminders(&self) -> bool {
        false
    }

    fn respond(&self, request: &ModelRequest<'_>) -> Result<ModelReply, ModelError> {
        Ok(respond(request.messages))
    }
}

/// What the planner does next.
enum Next {
    Calls(Vec<(&'static str, Value)>),
    Say(String),
}

fn ask(question: String) -> Next {
    Next::Calls(vec![("ask_user", json!({ "question": question }))])
}

fn respond(messages: &[Message]) -> ModelReply {
    let system = messages.iter().find_map(|message| match message {
        Message::System { text } => Some(text.as_str()),
        _ => None,
    });
    let mut setting = read_setting(system.unwrap_or_default());
    let mut turn = read_turn(messages);
    // Typos are read as the words meant, against the planner's vocabulary
    // and the names of the workflow and skills at hand.
    let names = known_names(&setting, &gather(&turn));
    let (request, corrections) = typos::corrected(&turn.request, &names);
    turn.request = request;
    turn.corrections = corrections;
    if turn.changed_before {
        // The system prompt shows the workflow as it was when the
        // conversation began; read it again.
        setting.focus = None;
    }
    let next = next(&setting, &turn);
    match next {
        Next::Say(text) => ModelReply {
            text,
            tool_calls: Vec::new(),
            usage: Default::default(),
        },
        Next::Calls(calls) => ModelReply {
            text: String::new(),
            tool_calls: calls
                .into_iter()
                .enumerate()
                .map(|(index, (name, arguments))| ToolCall {
                    id: format!("offline-{}", turn.calls_made + index + 1),
                    name: name.to_string(),
                    arguments,
                })
                .collect(),
            usage: Default::default(),
        },
    }
}

/// The names a request may use: step ids, skills, outputs and context keys
/// of the workflows at hand, installed skills, workflow names.
fn known_names(setting: &Setting, info: &Info) -> Vec<String> {
    let mut names: Vec<String> = setting.workflows.clone();
    for loaded in setting.focus.iter().chain(info.workflow.as_ref()) {
        for visited in crate::core::tree::walk(&loaded.workflow) {
            names.push(visited.step.id.clone());
            names.extend(visited.step.skill_name().map(str::to_string));
            names.extend(visited.step.outputs.iter().cloned());
            names.extend(visited.step.description.iter().cloned());
        }
        names.extend(loaded.workflow.context.readonly.keys().cloned());
    }
    for skill in info.skills.iter().flatten() {
        names.push(skill.name.clone());
        names.push(skill.description.clone());
    }
    names
}

fn next(setting: &Setting, turn: &Turn) -> Next {
    // A tool error ends the turn with an explanation (a skill that already
    // exists is not an error for the planner: it is reused).
    if let Some(failed) = turn.outcomes.iter().find(|outcome| {
        outcome.is_error
            && !(outcome.call.name == "create_skill"
                && outcome.content["error"]
                    .as_str()
                    .is_some_and(|error| error.contains("already exists")))
    }) {
        return Next::Say(answer::tool_error(&failed.call.name, &failed.content));
    }
    let info = gather(turn);
    if let Some(done) = turn
        .outcomes
        .iter()
        .rev()
        .find(|outcome| MUTATING.contains(&outcome.call.name.as_str()))
    {
        let mut text = finished(done, &info);
        if done.call.name == "rollback"
            && let Some(note) = typos::note(&turn.corrections)
        {
            text.push(' ');
            text.push_str(&note);
        }
        return Next::Say(text);
    }
    if let Some(declined) = turn.outcomes.iter().find(|outcome| {
        outcome.call.name == "create_skill" && outcome.content["status"] == "declined"
    }) {
        let skill = declined.call.arguments["skill"]["name"]
            .as_str()
            .unwrap_or("the skill");
        let reason = declined.content["reason"].as_str().unwrap_or("declined");
        return Next::Say(format!(
            "Not applied: {reason}. The new step needs skill '{skill}', so I did not add it; nothing changed."
        ));
    }
    let intent = classify(&turn.request, setting.create_mode);
    match intent {
        Intent::Unknown => Next::Say(answer::not_understood()),
        Intent::Help => Next::Say(answer::help()),
        Intent::Create { name } => create(setting, turn, &info, name),
        Intent::ListSkills => match &info.skills {
            Some(skills) if info.skills_cut_short => Next::Say(format!(
                "{}\nThese are the first {} by name; `qwf skill list --query WORDS` finds the others.",
                answer::skills(skills),
                skills.len()
            )),
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
    if let Some(target) = setting
        .edit_target
        .clone()
        .or_else(|| setting.focus_name.clone())
    {
        return Ok(target);
    }
    let toks = tokenize(&turn.request);
    let named = |toks: &[Tok]| -> Vec<String> {
        setting
            .workflows
            .iter()
            .filter(|name| {
                toks.iter()
                    .any(|tok| tok.word == **name || tok.raw == **name)
            })
            .cloned()
            .collect()
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
    let candidates = if mentioned.len() > 1 {
        mentioned
    } else {
        setting.workflows.clone()
    };
    Err(ask(format!(
        "Which workflow do you mean: {}?",
        quoted_list(&candidates, "or")
    )))
}

fn loaded<'a>(setting: &'a Setting, info: &'a Info, target: &str) -> Option<&'a Loaded> {
    setting
        .focus
        .as_ref()
        .filter(|focus| focus.name == target)
        .or(info
            .workflow
            .as_ref()
            .filter(|loaded| loaded.name == target))
}

/// Undoes the changes the words name, keeping the others.
fn restore_named(
    setting: &Setting,
    info: &Info,
    target: &str,
    words: &[String],
    bringing_back: bool,
) -> Next {
    restore_step(setting, info, target, words, bringing_back).unwrap_or_else(Next::Say)
}

/// The next step of undoing the named changes; the error says that the
/// words name no change in the history.
fn restore_step(
    setting: &Setting,
    info: &Info,
    target: &str,
    words: &[String],
    bringing_back: bool,
) -> Result<Next, String> {
    let Some(history) = &info.history else {
        return Ok(Next::Calls(vec![(
            "history",
            json!({ "workflow": target }),
        )]));
    };
    let Some(head) = loaded(setting, info, target) else {
        return Ok(Next::Calls(vec![get_workflow(target)]));
    };
    Ok(
        match restore::plan(
            words,
            bringing_back,
            history,
            &head.workflow,
            &info.versions,
        ) {
            restore::Restore::Read(versions) => Next::Calls(
                versions
                    .into_iter()
                    .map(|version| {
                        (
                            "get_workflow",
                            json!({ "workflow": target, "version": version }),
                        )
                    })
                    .collect(),
            ),
            restore::Restore::RollbackTo(to) => {
                Next::Calls(vec![("rollback", json!({ "workflow": target, "to": to }))])
            }
            restore::Restore::Propose {
                modifications,
                summary,
            } => Next::Calls(vec![(
                "propose_modification",
                json!({ "workflow": target, "modifications": modifications, "summary": summary }),
            )]),
            restore::Restore::Say(text) => Next::Say(text),
            restore::Restore::NotNamed(text) => return Err(text),
        },
    )
}

fn get_workflow(target: &str) -> (&'static str, Value) {
    ("get_workflow", json!({ "workflow": target }))
}

fn on_workflow(setting: &Setting, turn: &Turn, info: &Info, target: &str, intent: Intent) -> Next {
    match intent {
        Intent::RollbackTo(version) => {
            let left =
                coverage::unaccounted_history(&tokenize(&turn.request), target, &[version], &[]);
            if !left.is_empty() && !confirmed(&turn.answers) {
                return not_covered(
                    &format!("go back to v{version}"),
                    &left,
                    info.asked_this_turn,
                );
            }
            if loaded(setting, info, target).is_some_and(|loaded| loaded.version == version) {
                return Next::Say(format!(
                    "'{target}' is already at v{version}; nothing to roll back."
                ));
            }
            Next::Calls(vec![(
                "rollback",
                json!({ "workflow": target, "to": version }),
            )])
        }
        Intent::RollbackBefore { words } => match &info.history {
            None => Next::Calls(vec![("history", json!({ "workflow": target }))]),
            Some(history) => {
                let matching = history
                    .iter()
                    .filter(|(version, description)| {
                        let description = description.to_lowercase();
                        *version > 1
                            && words.iter().all(|word| {
                                description.contains(word.as_str())
                                    || description.contains(&stem(word))
                            })
                    })
                    .map(|(version, _)| *version)
                    .max();
                match matching {
                    Some(version) => Next::Calls(vec![(
                        "rollback",
                        json!({ "workflow": target, "to": version - 1 }),
                    )]),
                    None => Next::Say(format!(
                        "No version of '{target}' describes a change about '{}', so I changed nothing. `qwf history {target}` lists the versions; say \"go back to vN\".",
                        words.join(" ")
                    )),
                }
            }
        },
        Intent::Restore {
            words,
            bringing_back,
        } => restore_named(setting, info, target, &words, bringing_back),
        Intent::Undo(steps) => match &info.history {
            None => Next::Calls(vec![("history", json!({ "workflow": target }))]),
            Some(history) => {
                let latest = history
                    .iter()
                    .map(|(version, _)| *version)
                    .max()
                    .unwrap_or(1);
                match latest.checked_sub(steps).filter(|to| *to >= 1) {
                    Some(to) => {
                        // The words must all be about undoing these changes:
                        // "undo the timeout change but keep the new table"
                        // is not "undo the last change".
                        let undone: Vec<&String> = history
                            .iter()
                            .filter(|(version, _)| *version > to)
                            .map(|(_, description)| description)
                            .collect();
                        let toks = tokenize(&turn.request);
                        let left: Vec<String> =
                            coverage::unaccounted_history(&toks, target, &[steps], &[])
                                .into_iter()
                                .filter(|word| {
                                    !undone.iter().any(|description| {
                                        coverage::describes_change(
                                            &word.to_lowercase(),
                                            description,
                                            loaded(setting, info, target)
                                                .map(|loaded| &loaded.workflow),
                                        )
                                    })
                                })
                                .collect();
                        if !left.is_empty() && !confirmed(&turn.answers) {
                            if loaded(setting, info, target).is_none() {
                                return Next::Calls(vec![get_workflow(target)]);
                            }
                            // "undo the session gap change and the retry on
                            // the load": those changes, if the words name them.
                            let named = restore::named_words(&toks);
                            if !named.is_empty()
                                && let Ok(next) = restore_step(setting, info, target, &named, false)
                            {
                                return next;
                            }
                            let what = undone
                                .iter()
                                .map(|description| description.as_str())
                                .collect::<Vec<_>>()
                                .join("; ");
                            return not_covered(
                                &format!("go back to v{to}, undoing: {what}"),
                                &left,
                                info.asked_this_turn,
                            );
                        }
                        Next::Calls(vec![("rollback", json!({ "workflow": target, "to": to }))])
                    }
                    None if latest == 1 => Next::Say(format!(
                        "Nothing to undo: '{target}' is at v1, its first version, so there is no earlier version to go back to."
                    )),
                    None => Next::Say(format!(
                        "'{target}' has only {} change{} since v1, not {steps}; nothing changed. Say \"undo everything\" (or \"go back to v1\") to return to the first version.",
                        latest - 1,
                        if latest == 2 { "" } else { "s" }
                    )),
                }
            }
        },
        Intent::History => match &info.history {
            None => Next::Calls(vec![("history", json!({ "workflow": target }))]),
            Some(history) => Next::Say(answer::history(target, history)),
        },
        Intent::Advice => Next::Say(format!(
            "That is your call; I change workflows only when asked, so nothing changed. If you want it, say it as a request (for example: \"{}\") and I will show the change and its impact before anything is saved.",
            advice_as_request(&turn.request)
        )),
        Intent::Schedule { cron } => {
            let line = match cron {
                Some(cron) => format!("`{cron} qwf run {target}`"),
                None => format!("one that runs `qwf run {target}` (see `man 5 crontab`)"),
            };
            Next::Say(format!(
                "Schedules are not part of a workflow, so I changed nothing: qwf runs '{target}' when you run `qwf run {target}`. To run it on a schedule, add a crontab line (`crontab -e`) such as {line}, or use your scheduler of choice."
            ))
        }
        Intent::Consumers { phrase } => {
            let Some(loaded) = loaded(setting, info, target) else {
                return Next::Calls(vec![get_workflow(target)]);
            };
            Next::Say(answer::consumers(&phrase, &loaded.workflow))
        }
        Intent::Validate => match &info.validation {
            None => Next::Calls(vec![("validate_workflow", json!({ "workflow": target }))]),
            Some(result) => Next::Say(answer::validation(target, result)),
        },
        Intent::Diff {
            versions,
            last_change,
        } => {
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
                return Next::Say(format!(
                    "'{target}' has only v1, so nothing has changed yet."
                ));
            }
            if from > current || to > current {
                return Next::Say(format!(
                    "'{target}' has versions v1 to v{current}; v{} does not exist.",
                    from.max(to)
                ));
            }
            if from == to && to == current {
                return Next::Say(format!(
                    "'{target}' is still at v{current}; nothing has changed since."
                ));
            }
            if from == to {
                return Next::Say(format!(
                    "v{from} compared with itself shows no changes; name two different versions."
                ));
            }
            Next::Calls(vec![(
                "show_diff",
                json!({ "workflow": target, "from": from, "to": to }),
            )])
        }
        Intent::Describe { step } => {
            let Some(loaded) = loaded(setting, info, target) else {
                return Next::Calls(vec![get_workflow(target)]);
            };
            if let Some(phrase) = step {
                match refs::resolve(&tokenize(&phrase), &loaded.workflow) {
                    refs::Found::One(id) => {
                        let step =
                            crate::core::tree::find(&loaded.workflow.steps, &id).expect("found");
                        let mut text = answer::describe_step(step, &loaded.workflow);
                        let toks = tokenize(&phrase);
                        if step.timeout_secs.is_none()
                            && toks.iter().any(|tok| tok.word.starts_with("timeout"))
                        {
                            text.push_str(" It has no timeout.");
                        }
                        if step.error_handling.is_none()
                            && toks.iter().any(|tok| {
                                tok.word.starts_with("retr") || tok.word.starts_with("error")
                            })
                        {
                            text.push_str(
                                " It has no error handling: if it fails, the workflow stops.",
                            );
                        }
                        return Next::Say(text);
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
            Next::Say(answer::describe(
                &loaded.name,
                loaded.version,
                &loaded.workflow,
            ))
        }
        _ => edit(setting, turn, info, target),
    }
}

/// "should I add retry to fetch?" → "add retry to fetch".
fn advice_as_request(question: &str) -> String {
    let text = question.trim().trim_end_matches('?').trim();
    let lower = text.to_lowercase();
    for opening in [
        "should i ",
        "should we ",
        "do i need to ",
        "do we need to ",
        "do i need ",
        "do we need ",
        "is it worth ",
        "would it help to ",
        "would it be good to ",
        "is it a good idea to ",
        "does it make sense to ",
    ] {
        if lower.starts_with(opening) {
            return text[opening.len()..].to_string();
        }
    }
    text.to_string()
}

fn edit(setting: &Setting, turn: &Turn, info: &Info, target: &str) -> Next {
    let mut reads = Vec::new();
    let workflow = loaded(setting, info, target);
    if workflow.is_none() {
        reads.push(get_workflow(target));
    }
    if read::needs_skills(&turn.request)
        && let Err(call) = info.skills_or_search(&turn.request)
    {
        reads.push(call);
    }
    if !reads.is_empty() {
        return Next::Calls(reads);
    }
    let loaded = workflow.expect("read above");
    let empty = Vec::new();
    // What is asked, without the remarks that say why.
    let reading = remarks::read(&turn.request, &loaded.workflow);
    let context = edit::EditContext {
        text: &reading.request,
        workflow: &loaded.workflow,
        name: target,
        skills: info.skills.as_ref().unwrap_or(&empty),
        answers: &turn.answers,
        scope_step: setting.scope_step.as_deref(),
    };
    match edit::plan(&context) {
        edit::Plan::Propose {
            modifications,
            summary,
            new_skill,
            ..
        } => {
            let left = coverage::unaccounted(
                &tokenize(&reading.request),
                &loaded.workflow,
                context.skills,
                new_skill.as_deref(),
                &modifications,
            );
            if !left.is_empty() && !confirmed(&turn.answers) {
                // What the skills say may name the words left ("the slack
                // post"): read them before asking.
                if info.skills.is_none() {
                    return Next::Calls(vec![("list_skills", json!({ "query": "" }))]);
                }
                return not_covered(&summary, &left, info.asked_this_turn);
            }
            let summary = match typos::note(&turn.corrections) {
                Some(note) => format!("{} {note}", summary.trim_end_matches('.')),
                None => summary,
            };
            if let Some(skill) = new_skill
                && !info.created_skills.contains(&skill.name)
            {
                return Next::Calls(vec![("create_skill", json!({ "skill": skill }))]);
            }
            Next::Calls(vec![(
                "propose_modification",
                json!({ "workflow": target, "modifications": modifications, "summary": summary }),
            )])
        }
        edit::Plan::Ask(question) if info.asked_this_turn => Next::Say(format!(
            "I still cannot tell what you mean, so I changed nothing. {question}"
        )),
        edit::Plan::Ask(question) => ask(question),
        edit::Plan::Say(text) => Next::Say(text),
        edit::Plan::NotUnderstood => Next::Say(answer::not_understood()),
    }
}

/// Whether the user's last answer says yes to what was proposed.
fn confirmed(answers: &[String]) -> bool {
    answers.last().is_some_and(|answer| {
        let words: Vec<String> = tokenize(answer)
            .into_iter()
            .filter(|tok| !tok.is_punctuation())
            .map(|tok| tok.word)
            .collect();
        let yes = [
            "yes", "y", "yep", "yeah", "sure", "ok", "okay", "correct", "right", "exactly",
            "please", "apply", "go", "ahead", "do", "it", "that", "just", "only", "all", "that's",
        ];
        !words.is_empty()
            && words.len() <= 5
            && words.iter().all(|word| yes.contains(&word.as_str()))
            && words.iter().any(|word| {
                [
                    "yes", "y", "yep", "yeah", "sure", "ok", "okay", "correct", "exactly", "apply",
                    "ahead", "just", "only",
                ]
                .contains(&word.as_str())
            })
    })
}

/// A change that leaves words of the request unexplained is not applied:
/// the planner says what it would do and asks about the rest.
fn not_covered(summary: &str, left: &[String], asked: bool) -> Next {
    let words = quoted_list(left, "and");
    let proposal = summary.trim_end_matches('.');
    if asked {
        return Next::Say(format!(
            "I still do not understand {words}, so I changed nothing. What I can do: {proposal}. Say the whole change in other words, or answer \"yes\" when I ask."
        ));
    }
    ask(format!(
        "I would make this change: {proposal}. But I do not know what {words} means here, so I changed nothing yet. Is that the whole change (answer \"yes\"), or can you say it another way?"
    ))
}

fn create(setting: &Setting, turn: &Turn, info: &Info, name: Option<String>) -> Next {
    let skills = match info.skills_or_search(&turn.request) {
        Ok(skills) => skills,
        Err(call) => return Next::Calls(vec![call]),
    };
    let toks = tokenize(&turn.request);
    let name = setting
        .name
        .clone()
        .or(name)
        .unwrap_or_else(|| create::suggest_name(&toks, &setting.workflows));
    match create::create(&turn.request, &name, skills) {
        Ok(creation) if creation.question.is_some() && !confirmed(&turn.answers) => {
            let question = creation.question.unwrap_or_default();
            if info.asked_this_turn {
                Next::Say(format!(
                    "I still cannot tell, so I created nothing. {question}"
                ))
            } else {
                ask(question)
            }
        }
        Ok(creation) if !creation.unaccounted.is_empty() && !confirmed(&turn.answers) => {
            let steps: Vec<&str> = creation
                .workflow
                .steps
                .iter()
                .map(|step| step.id.as_str())
                .collect();
            not_covered(
                &format!(
                    "create '{name}' with {} step{}: {}",
                    steps.len(),
                    if steps.len() == 1 { "" } else { "s" },
                    steps.join(" → ")
                ),
                &creation.unaccounted,
                info.asked_this_turn,
            )
        }
        Ok(creation) => {
            let mut reasoning = creation.reasoning;
            if let Some(note) = typos::note(&turn.corrections) {
                reasoning.push_str(&format!("\nNote: {note}"));
            }
            Next::Calls(vec![(
                "create_workflow",
                json!({ "workflow": creation.workflow, "new_skills": creation.new_skills, "reasoning": reasoning }),
            )])
        }
        Err(create::NotCreated::Cannot(why)) => {
            Next::Say(format!("{why}, so I created nothing. {}", answer::help()))
        }
        Err(create::NotCreated::Ask(question)) if info.asked_this_turn => Next::Say(format!(
            "I still cannot tell, so I created nothing. {question}"
        )),
        Err(create::NotCreated::Ask(question)) => ask(question),
    }
}

/// The closing message once a mutating call was decided.
fn finished(done: &Outcome, info: &Info) -> String {
    let arguments = &done.call.arguments;
    let status = done.content["status"].as_str().unwrap_or_default();
    let version = done.content["version"].as_u64();
    let workflow = arguments["workflow"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_default();
    match (done.call.name.as_str(), status) {
        (_, "declined") => {
            let reason = done.content["reason"]
                .as_str()
                .unwrap_or("declined")
                .trim_end_matches('.');
            let proposal = match done.call.name.as_str() {
                "propose_modification" => arguments["summary"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                "rollback" => format!("roll '{workflow}' back to v{}", arguments["to"]),
                _ => format!(
                    "create workflow '{}'",
                    arguments["workflow"]["name"].as_str().unwrap_or_default()
                ),
            };
            format!(
                "Not applied: {reason}. The proposal was: {}. Nothing changed.",
                proposal.trim_end_matches('.')
            )
        }
        (_, "nothing to do") => {
            format!(
                "Nothing to do: {}.",
                done.content["reason"]
                    .as_str()
                    .unwrap_or("it is already so")
                    .trim_end_matches('.')
            )
        }
        ("propose_modification", _) => {
            let summary = arguments["summary"]
                .as_str()
                .unwrap_or("Applied the change")
                .trim_end_matches('.');
            let mut text = match (version, status) {
                (_, "staged") => format!(
                    "{summary}. Accepted; it is saved with the other changes when you finish."
                ),
                (Some(version), _) => format!("{summary}. Saved as v{version} of '{workflow}'."),
                (None, _) => format!("{summary}."),
            };
            for note in notes(arguments, info) {
                text.push(' ');
                text.push_str(&note);
            }
            text
        }
        ("rollback", _) => {
            let to = arguments["to"]
                .as_u64()
                .map_or_else(|| arguments["to"].to_string(), |to| to.to_string());
            match version {
                Some(version) => format!(
                    "Rolled '{workflow}' back to v{to}; saved as v{version}, so this too can be undone."
                ),
                None => format!("Rolled '{workflow}' back to v{to}."),
            }
        }
        _ => {
            let created = &arguments["workflow"];
            let name = done.content["workflow"]
                .as_str()
                .or(created["name"].as_str())
                .unwrap_or_default();
            let steps: Vec<&str> = created["steps"]
                .as_array()
                .map(|steps| {
                    steps
                        .iter()
                        .filter_map(|step| step["id"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let mut text = format!(
                "Created workflow '{name}' (v{}) with {} step{}: {}.",
                version.unwrap_or(1),
                steps.len(),
                if steps.len() == 1 { "" } else { "s" },
                steps.join(" → ")
            );
            let new_skills: Vec<String> = done.content["skills_created"]
                .as_array()
                .map(|skills| {
                    skills
                        .iter()
                        .filter_map(|skill| skill.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if !new_skills.is_empty() {
                text.push_str(&format!(" New skills: {}.", new_skills.join(", ")));
            }
            let placeholders: Vec<String> = created["context"]["readonly"]
                .as_object()
                .map(|context| {
                    context
                        .iter()
                        .filter(|(_, value)| {
                            value.as_str().is_some_and(|text| text.starts_with("TODO"))
                        })
                        .map(|(key, _)| key.clone())
                        .collect()
                })
                .unwrap_or_default();
            if !placeholders.is_empty() {
                text.push_str(&format!(
                    " Fill in {} (for example: \"set the {} to …\").",
                    quoted_list(&placeholders, "and"),
                    placeholders[0]
                ));
            }
            // What the planner had to decide for the user is said again.
            for note in arguments["reasoning"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .filter_map(|line| line.strip_prefix("Note: "))
            {
                text.push(' ');
                text.push_str(note);
            }
            text
        }
    }
}

/// Things worth saying after an applied edit: skills that do not exist
/// yet, placeholders to fill in.
fn notes(arguments: &Value, info: &Info) -> Vec<String> {
    let mut notes = Vec::new();
    let skills: Vec<&str> = info
        .skills
        .iter()
        .flatten()
        .map(|skill| skill.name.as_str())
        .chain(info.created_skills.iter().map(String::as_str))
        .collect();
    for modification in arguments["modifications"].as_array().into_iter().flatten() {
        if modification["type"] == "modify_step"
            && let Some(skill) = modification["changes"]["skill"].as_str()
            && info.skills.is_some()
            && !skills.contains(&skill)
        {
            notes.push(format!("Skill '{skill}' does not exist yet; create it with `qwf skill create` before running the workflow."));
        }
        if modification["type"] == "set_context"
            && modification["value"]
                .as_str()
                .is_some_and(|value| value.starts_with("TODO"))
            && let Some(key) = modification["key"].as_str()
        {
            notes.push(format!(
                "Fill in context value '{key}' (for example: \"set the {key} to …\")."
            ));
        }
    }
    notes
}
