//! Edits of an existing workflow: a request is read into one or more
//! [`Edit`]s (text only), then each is resolved against the workflow into
//! modifications, a question, or an explanation. Nothing is guessed: a
//! reference that fits two steps equally becomes a question, and a request
//! that fits no pattern is left alone.

mod find;
mod lists;
mod missing;
mod sibling;
mod structure;
mod swap;
pub(super) mod values;

use serde_json::{Value, json};

use crate::core::model::{Backoff, ErrorHandling, StepKind, Strategy};
use crate::core::modification::read_steps;
use crate::core::names::step_id_problem;
use crate::core::skill::Skill;
use crate::core::{Container, Modification, Workflow, tree};

use super::read::parse_all;
use super::read::{Edit, TimeoutChange};
use super::refs::{Found, content, resolve};
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
    // "twelve hundred", "ninety": a number in words.
    if let [one] = super::text::tokenize(value).as_slice()
        && one.raw.chars().any(|c| c.is_alphabetic())
        && let Some(number) = super::text::count(&one.word)
    {
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
            Edit::NotRetriedOn {
                phrase,
                kinds,
                unknown,
            } => {
                let ids = self.steps(phrase, last, "should not retry on that error")?;
                let mut modifications = Vec::new();
                let mut parts = Vec::new();
                for id in &ids {
                    let current = self.step(id).and_then(|step| step.error_handling.clone());
                    let Some(mut handling) =
                        current.filter(|handling| handling.strategy == Strategy::Retry)
                    else {
                        return Err(Plan::Say(format!(
                            "'{id}' does not retry, so no error of it is retried; nothing changed."
                        )));
                    };
                    // The runner tells errors apart by kind only: an error
                    // named by its meaning cannot be listed honestly.
                    if !unknown.is_empty() {
                        return Err(Plan::Ask(format!(
                            "'{id}' retries ({}). qwf tells a step's errors apart only by kind (exit_code:N, timeout, signal), not by {}: which exit code does its skill end with then? For example: \"don't retry {id} on exit code 3\".",
                            attempts_text(&handling),
                            quoted_list(unknown, "or")
                        )));
                    }
                    let listed = handling.non_retryable.get_or_insert_with(Vec::new);
                    for kind in kinds {
                        if !listed.contains(kind) {
                            listed.push(kind.clone());
                        }
                    }
                    parts.push(format!(
                        "'{id}' no longer retries on {} (otherwise still {})",
                        quoted_list(kinds, "or"),
                        attempts_text(&handling)
                    ));
                    modifications.push(Modification::AddErrorHandling {
                        step_id: id.clone(),
                        error_handling: handling,
                    });
                }
                Ok(Resolved::new(modifications, parts.join("; "), ids))
            }
            Edit::Timeout { phrase, change } => {
                if let TimeoutChange::Negative(written) = change {
                    return Err(Plan::Say(format!(
                        "A timeout of {written} is not possible: a timeout is a positive number of seconds (for example: 30 seconds). Nothing changed."
                    )));
                }
                // "make the latency limit 950 ms": a limit the context
                // keeps, not a step's timeout.
                let bound = tokenize(self.text)
                    .iter()
                    .any(|tok| tok.is_any(&["limit", "max", "maximum", "threshold", "cap"]));
                let written = match change {
                    TimeoutChange::Set(secs) => Some(format!("{secs} seconds")),
                    TimeoutChange::SetMs(ms) => Some(format!("{ms} ms")),
                    _ => None,
                };
                if bound
                    && let Some(written) = written
                    && let Some((key, score)) = self.context_key(phrase)?
                    && score >= 40
                    && self
                        .workflow
                        .context
                        .readonly
                        .get(&key)
                        .is_some_and(Value::is_number)
                    && key
                        .split(['_', '-'])
                        .any(|part| matches!(part, "ms" | "secs" | "seconds" | "sec" | "s"))
                {
                    let value = self.number_for_key(&key, &written)?;
                    return Ok(self.set_context(&key, &value));
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
            Edit::NewValues {
                values,
                old,
                phrase,
                literal,
            } => match self.new_values(values, old.as_deref(), phrase)? {
                Some(resolved) => Ok(resolved),
                None => match literal {
                    Some(literal) => self.retarget(phrase, literal, last),
                    None => Err(Plan::NotUnderstood),
                },
            },
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
    // "in summary, the classifier needs …": a filler phrase names no step,
    // even when a step is called that.
    let mut spoken = without_filler_phrases(&quoted_words_masked(context.text, &toks));
    // "… after the upload, not before": the other place, for emphasis.
    let words: Vec<&str> = spoken.iter().map(|tok| tok.word.as_str()).collect();
    if let [.., ",", "not", place] = words.as_slice()
        && matches!(*place, "before" | "after" | "first" | "last")
    {
        spoken.truncate(spoken.len() - 3);
    }
    // Whole-request readings, before the parser's: a step done another
    // way ("post releases to teams instead of slack"), an item of a list
    // value ("add shipping to the labels"), one more of a kind ("also
    // check cdn.example.com together with the other certificates").
    let readings: [&dyn Fn() -> Option<Result<Resolved, Plan>>; 3] = [
        &|| context.swap(&spoken),
        &|| context.list_change(&spoken),
        &|| context.one_more_like(&spoken),
    ];
    for reading in readings {
        match reading() {
            Some(Ok(resolved)) => {
                return Plan::Propose {
                    modifications: resolved.modifications,
                    summary: resolved.summary,
                    new_skill: None,
                };
            }
            Some(Err(plan)) => {
                tracing::trace!(?plan, "offline planner: a whole-request reading answered");
                return plan;
            }
            None => {}
        }
    }
    let Some(edits) = parse_all(&spoken, context.text, Some(context.skills)) else {
        // "change the table": a change named without its value.
        return context.missing_value(&toks).unwrap_or(Plan::NotUnderstood);
    };
    // "point the migrations at the new database server": a value named,
    // not given.
    if edits.iter().any(|edit| {
        matches!(edit, Edit::SetValue { value, .. }
            if super::text::has_any(&tokenize(value), crate::core::vocabulary::ELSEWHERE)
                && super::build::literals(&tokenize(value)).is_empty())
    }) {
        return context.missing_value(&toks).unwrap_or_else(|| {
            Plan::Ask(format!(
                "Which value do you mean by \"{}\"? Say it in the request, for example: \"… at db-02.example.com\".",
                context.text.trim()
            ))
        });
    }
    tracing::trace!(
        request = context.text,
        ?edits,
        "offline planner read an edit"
    );
    let mut modifications = Vec::new();
    let mut summaries = Vec::new();
    let mut new_skill = None;
    let mut last: Vec<String> = Vec::new();
    // "rename validate to check-schema, then move it to the end": each
    // part is read against the workflow as the parts before left it.
    let mut so_far = context.workflow.clone();
    for edit in &edits {
        let step_context = EditContext {
            workflow: &so_far,
            ..*context
        };
        match step_context.resolve(edit, &last) {
            Ok(resolved) => {
                if let Ok(next) = crate::core::modification::apply(&so_far, &resolved.modifications)
                {
                    so_far = next;
                }
                modifications.extend(resolved.modifications);
                summaries.push(resolved.summary);
                if new_skill.is_none() {
                    new_skill = resolved.new_skill;
                }
                if !resolved.steps.is_empty() {
                    last = resolved.steps;
                }
            }
            Err(Plan::NotUnderstood) => {
                return context.missing_value(&toks).unwrap_or(Plan::NotUnderstood);
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

/// The words of a quoted text of several words ("post 'transcode run
/// starting' to #video") name no step and no verb: they are the value's.
/// Their raw text stays, so the value is read as written.
fn quoted_words_masked(text: &str, toks: &[Tok]) -> Vec<Tok> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (open, close) in [('\'', '\''), ('"', '"'), ('“', '”'), ('‘', '’')] {
        let mut from = 0;
        while let Some(offset) = text[from..].find(open) {
            let at = from + offset;
            let opens = text[..at]
                .chars()
                .next_back()
                .is_none_or(char::is_whitespace);
            let inner_start = at + open.len_utf8();
            let closing = text[inner_start..].char_indices().find(|(offset, c)| {
                *c == close
                    && text[inner_start + offset + c.len_utf8()..]
                        .chars()
                        .next()
                        .is_none_or(|next| !next.is_alphanumeric())
            });
            match closing {
                Some((offset, _)) if opens => {
                    spans.push((inner_start, inner_start + offset));
                    from = inner_start + offset + close.len_utf8();
                }
                _ => from = inner_start,
            }
        }
    }
    toks.iter()
        .map(|tok| {
            let inside = spans
                .iter()
                .find(|(start, end)| tok.start >= *start && tok.end <= *end);
            let words_in_span = inside.map_or(0, |(start, end)| {
                toks.iter()
                    .filter(|other| other.start >= *start && other.end <= *end)
                    .count()
            });
            let mut tok = tok.clone();
            if words_in_span >= 2 {
                tok.word = "quoted-text".into();
            }
            tok
        })
        .collect()
}

/// The tokens without the filler phrases of the vocabulary ("in summary",
/// "at your earliest convenience").
fn without_filler_phrases(toks: &[Tok]) -> Vec<Tok> {
    let filler = super::coverage::in_filler_phrases(toks);
    let mut kept: Vec<Tok> = toks
        .iter()
        .zip(&filler)
        .filter(|(_, filler)| !**filler)
        .map(|(tok, _)| tok.clone())
        .collect();
    // The comma that closed an opening phrase goes with it.
    while kept.first().is_some_and(|tok| tok.is_punctuation()) && filler.first() == Some(&true) {
        kept.remove(0);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        without_filler_phrases(&tokenize(text))
            .into_iter()
            .map(|tok| tok.word)
            .collect()
    }

    #[test]
    fn filler_phrases_and_their_comma_name_no_step() {
        assert_eq!(
            words("in summary, the classifier needs a 10 minute timeout"),
            ["the", "classifier", "needs", "a", "10", "minute", "timeout"]
        );
        assert_eq!(
            words("at your soonest convenience, make the check retry"),
            ["make", "the", "check", "retry"]
        );
        // Words of a phrase standing alone are kept.
        assert_eq!(words("retry the summary"), ["retry", "the", "summary"]);
    }
}
