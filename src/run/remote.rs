//! qwf's semantics for an outside orchestrator (the Temporal worker under
//! `engines/temporal/`): a workflow compiled into a *program* the
//! orchestrator walks, and the requests it sends back to `qwf step` for
//! everything that is a decision: one attempt of a step, a condition, the
//! failure of a parallel or conditional step and whether it is retried.
//!
//! The orchestrator only sequences: it keeps what each step produced,
//! passes it back in the next request, and records what qwf answers. Step
//! semantics, conditions and retry classification are decided here, by the
//! same functions `qwf run` uses.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ModelFactory;
use super::attempt::{self, AttemptEnd, Available, Failure, Leaf, Surroundings};
use super::preflight::Plan;
use super::retry::{DEFAULT_COEFFICIENT, DEFAULT_INITIAL_MS, DEFAULT_MAX_FACTOR, next_attempt};
use crate::core::condition::Condition;
use crate::core::model::{Backoff, ErrorHandling, JsonMap, Step, StepKind, Strategy};
use crate::core::reference;
use crate::core::skill::Skill;
use crate::core::tree;
use crate::store::runs::{AttemptRecord, RECORD_TEXT_LIMIT, truncate_text, truncate_value};

/// What `qwf step` reads on stdin: one JSON object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepRequest {
    /// One attempt of a skill or agent step.
    Attempt(Box<AttemptRequest>),
    /// A conditional's condition.
    Condition(ConditionRequest),
    /// How an attempt of a parallel or conditional step ended, and whether
    /// it is tried again.
    Group(GroupRequest),
}

/// One attempt: the step, its skill, what it reads, and this attempt's
/// number and time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptRequest {
    pub step: Step,
    #[serde(default)]
    pub skill: Option<Skill>,
    /// An agent step's instructions, when the submitter's discovery found
    /// the agent.
    #[serde(default)]
    pub agent_instructions: Option<String>,
    /// Where the code skill's file was on the submitting machine; used when
    /// it exists here, else the worker's own skills directory.
    #[serde(default)]
    pub skill_dir: Option<PathBuf>,
    /// The step ids the step reads (the first word of its references).
    #[serde(default)]
    pub reads: Vec<String>,
    /// The context values it reads (`context.readonly` with overrides).
    #[serde(default)]
    pub context: JsonMap,
    /// What the steps it reads produced.
    #[serde(default)]
    pub available: HashMap<String, Available>,
    /// 1 for the first try.
    pub attempt: u32,
    /// The time this attempt has: the step's timeout, or what is left of
    /// the one of a parallel or conditional step around it.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Outputs larger than this (as JSON) fail the attempt: an engine's
    /// payloads are capped.
    #[serde(default)]
    pub output_limit: Option<usize>,
}

/// What `qwf step` prints for an attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptResponse {
    /// `succeeded`, `failed` or `cancelled`.
    pub outcome: String,
    /// What readers of the step get (whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<JsonMap>,
    /// The outputs as the run record keeps them (each cut to 4 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_outputs: Option<JsonMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// This attempt as the run record keeps it.
    pub record: AttemptRecord,
    /// Set when the step is tried again, after this wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConditionRequest {
    pub step_id: String,
    pub condition: String,
    #[serde(default)]
    pub reads: Vec<String>,
    #[serde(default)]
    pub context: JsonMap,
    #[serde(default)]
    pub available: HashMap<String, Available>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionResponse {
    /// `then` or `else`; absent when it could not be evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// How an attempt of a parallel or conditional step ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRequest {
    pub step_id: String,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub error_handling: Option<ErrorHandling>,
    pub attempt: u32,
    /// The children that failed (a parallel step), in order.
    #[serde(default)]
    pub failed: Vec<String>,
    /// The branch that ran and failed (a conditional step).
    #[serde(default)]
    pub branch: Option<String>,
    /// Its own time ran out.
    #[serde(default)]
    pub expired: bool,
    /// A failure decided already (its condition could not be evaluated).
    #[serde(default)]
    pub failure: Option<Failure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResponse {
    pub failure: Failure,
    /// The failure's message as the run record keeps it.
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// What answers a request needs from the machine it runs on.
pub struct Worker<'a> {
    pub is_cancelled: &'a (dyn Fn() -> bool + Sync),
    pub models: Option<Arc<ModelFactory>>,
    /// The worker's own skills directory, for skills whose submitting
    /// directory does not exist here.
    pub skills_dir: &'a Path,
    /// The worker's environment: code skills get the documented part of
    /// it, and its secret values are cut out of what goes into records.
    pub environment: &'a [(String, String)],
}

/// Answers one request. Never fails: every problem is a classified
/// failure in the answer.
pub fn answer(request: StepRequest, worker: &Worker<'_>) -> Value {
    match request {
        StepRequest::Attempt(request) => json!(run_attempt(*request, worker)),
        StepRequest::Condition(request) => json!(evaluate(request)),
        StepRequest::Group(request) => json!(settle_group(request)),
    }
}

fn lookup_in(
    reads: &[String],
    context: &JsonMap,
    available: &HashMap<String, Available>,
    text: &str,
) -> Result<Value, String> {
    let is_step = |id: &str| reads.iter().any(|read| read == id);
    let produced = |id: &str| available.get(id).cloned();
    attempt::lookup(text, &is_step, context, &produced)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub fn run_attempt(request: AttemptRequest, worker: &Worker<'_>) -> AttemptResponse {
    let mut response = attempt_response(request, worker);
    // What a record keeps never holds a secret value of this machine.
    let secrets = super::environment::secret_values(worker.environment);
    if !secrets.is_empty() {
        if let Some(outputs) = &mut response.record_outputs {
            let mut value = Value::Object(std::mem::take(outputs));
            super::environment::redact_json(&mut value, &secrets);
            if let Value::Object(redacted) = value {
                *outputs = redacted;
            }
        }
        if let Some(error) = &response.record.error
            && let Some(redacted) = super::environment::redact(error, &secrets)
        {
            response.record.error = Some(redacted);
        }
    }
    response
}

fn attempt_response(request: AttemptRequest, worker: &Worker<'_>) -> AttemptResponse {
    let started = Instant::now();
    let reads = &request.reads;
    let is_step = |id: &str| reads.iter().any(|read| read == id);
    let lookup = |text: &str| lookup_in(reads, &request.context, &request.available, text);
    let deadline = request
        .timeout_ms
        .and_then(|ms| started.checked_add(Duration::from_millis(ms)));
    let end = match attempt::resolve_inputs(&request.step, &is_step, &lookup) {
        Err(failure) => AttemptEnd::Failed(failure),
        Ok(inputs) => {
            let argv = match &request.skill {
                Some(skill) if attempt::is_code(Some(skill)) => {
                    match shell_words::split(&skill.command) {
                        Ok(argv) => Some(argv),
                        Err(error) => {
                            return failed_attempt(
                                &request,
                                started,
                                Failure::new(
                                    "spawn",
                                    format!(
                                        "the command of skill '{}' cannot be split into words: {error}",
                                        skill.name
                                    ),
                                )
                                .permanent(),
                            );
                        }
                    }
                }
                _ => None,
            };
            let cwd = request
                .skill_dir
                .as_deref()
                .filter(|dir| dir.is_dir())
                .unwrap_or(worker.skills_dir);
            let leaf = Leaf {
                step: &request.step,
                skill: request.skill.as_ref(),
                argv: argv.as_deref(),
                cwd,
                agent_instructions: request.agent_instructions.as_deref(),
            };
            attempt::run_leaf(
                &leaf,
                inputs,
                request.attempt,
                deadline,
                &Surroundings {
                    is_cancelled: worker.is_cancelled,
                    models: worker.models.as_ref(),
                    environment: worker.environment,
                },
            )
        }
    };
    let code = attempt::is_code(request.skill.as_ref());
    match end {
        AttemptEnd::Done(outputs) => {
            if let Some(limit) = request.output_limit {
                let size = serde_json::to_vec(&outputs).map_or(0, |bytes| bytes.len());
                if size > limit {
                    return failed_attempt(
                        &request,
                        started,
                        Failure::new(
                            "bad_output",
                            format!(
                                "its outputs are {size} bytes of JSON, over the engine's limit of {limit} (Temporal caps a payload near 2 MB); pass large data by reference, e.g. a file path"
                            ),
                        ),
                    );
                }
            }
            AttemptResponse {
                outcome: "succeeded".into(),
                record_outputs: Some(
                    outputs
                        .iter()
                        .map(|(key, value)| (key.clone(), truncate_value(value, RECORD_TEXT_LIMIT)))
                        .collect(),
                ),
                outputs: Some(outputs),
                failure: None,
                record: AttemptRecord {
                    number: request.attempt,
                    duration_ms: millis(started.elapsed()),
                    exit_code: code.then_some(0),
                    error_kind: None,
                    error: None,
                    retry_after_ms: None,
                },
                retry_after_ms: None,
            }
        }
        AttemptEnd::Failed(failure) => failed_attempt(&request, started, failure),
        AttemptEnd::Cancelled => AttemptResponse {
            outcome: "cancelled".into(),
            outputs: None,
            record_outputs: None,
            failure: None,
            record: AttemptRecord {
                number: request.attempt,
                duration_ms: millis(started.elapsed()),
                exit_code: None,
                error_kind: None,
                error: None,
                retry_after_ms: None,
            },
            retry_after_ms: None,
        },
    }
}

fn failed_attempt(request: &AttemptRequest, started: Instant, failure: Failure) -> AttemptResponse {
    let retry = next_attempt(
        request.step.error_handling.as_ref(),
        request.attempt,
        &failure,
    );
    AttemptResponse {
        outcome: "failed".into(),
        outputs: None,
        record_outputs: None,
        record: AttemptRecord {
            number: request.attempt,
            duration_ms: millis(started.elapsed()),
            exit_code: failure.exit_code,
            error_kind: Some(failure.kind.clone()),
            error: Some(truncate_text(&failure.message, RECORD_TEXT_LIMIT)),
            retry_after_ms: retry.map(millis),
        },
        retry_after_ms: retry.map(millis),
        failure: Some(failure),
    }
}

pub fn evaluate(request: ConditionRequest) -> ConditionResponse {
    let condition = match Condition::parse(&request.condition) {
        Ok(condition) => condition,
        Err(error) => {
            return ConditionResponse {
                branch: None,
                failure: Some(
                    Failure::new(
                        "condition",
                        format!("its condition does not parse: {error}"),
                    )
                    .permanent(),
                ),
            };
        }
    };
    let lookup = |text: &str| lookup_in(&request.reads, &request.context, &request.available, text);
    match attempt::evaluate_condition(&condition, &lookup) {
        Ok(truth) => ConditionResponse {
            branch: Some(if truth { "then" } else { "else" }.into()),
            failure: None,
        },
        Err(failure) => ConditionResponse {
            branch: None,
            failure: Some(failure),
        },
    }
}

/// The failure of a parallel or conditional attempt, in the words
/// `qwf run` uses, and whether it is retried.
pub fn settle_group(request: GroupRequest) -> GroupResponse {
    let failure = match (&request.failure, request.expired, request.timeout_secs) {
        (Some(failure), _, _) => failure.clone(),
        (None, true, Some(seconds)) => Failure::new(
            "timeout",
            format!("its {seconds} s timeout expired; the steps still running were stopped"),
        ),
        _ => match &request.branch {
            Some(branch) => Failure::new(
                "step_failed",
                format!("a step in its {branch} branch failed"),
            ),
            None => Failure::new(
                "step_failed",
                format!(
                    "{} failed: {}",
                    if request.failed.len() == 1 {
                        "step"
                    } else {
                        "steps"
                    },
                    request.failed.join(", ")
                ),
            ),
        },
    };
    let retry = next_attempt(request.error_handling.as_ref(), request.attempt, &failure);
    GroupResponse {
        error: truncate_text(&failure.message, RECORD_TEXT_LIMIT),
        failure,
        retry_after_ms: retry.map(millis),
    }
}

/// How long a payload may be, as JSON, for an engine that caps them
/// (Temporal's default limit is 2 MB per payload; room is left for the
/// envelope).
pub const TEMPORAL_OUTPUT_LIMIT: usize = 1_900_000;

/// The workflow as a program for an orchestrator: every step with what the
/// orchestrator needs to sequence it and the requests to send for it.
pub fn program(plan: &Plan, output_limit: Option<usize>) -> Value {
    let index = tree::StepIndex::new(&plan.workflow);
    let is_step = |id: &str| index.contains(id);
    let steps: Vec<Value> = plan
        .workflow
        .steps
        .iter()
        .map(|step| node(plan, step, &is_step, output_limit))
        .collect();
    let order: Vec<Value> = tree::walk(&plan.workflow)
        .into_iter()
        .map(|visited| json!([visited.step.id, visited.step.kind.type_name()]))
        .collect();
    json!({
        "format": 1,
        "workflow": plan.name,
        "version": plan.version,
        "steps": steps,
        "order": order,
        "fallback_for": plan.fallback_for.iter().collect::<BTreeMap<_, _>>(),
    })
}

/// The step ids and context keys a step's inputs (or its condition) read.
fn reads_of(step: &Step, is_step: &dyn Fn(&str) -> bool) -> (Vec<String>, Vec<String>) {
    let mut texts: Vec<&str> = step.inputs.values().filter_map(Value::as_str).collect();
    if let StepKind::Conditional { condition, .. } = &step.kind
        && let Ok(parsed) = Condition::parse(condition)
    {
        texts.extend(parsed.references());
        let mut steps = HashSet::new();
        let mut keys = HashSet::new();
        for text in texts {
            classify(text, is_step, &mut steps, &mut keys);
        }
        return (sorted(steps), sorted(keys));
    }
    let mut steps = HashSet::new();
    let mut keys = HashSet::new();
    for text in texts {
        classify(text, is_step, &mut steps, &mut keys);
    }
    (sorted(steps), sorted(keys))
}

fn classify(
    text: &str,
    is_step: &dyn Fn(&str) -> bool,
    steps: &mut HashSet<String>,
    keys: &mut HashSet<String>,
) {
    match reference::parse(text, is_step) {
        Some(reference::Reference::Step { step, .. }) => {
            steps.insert(step.to_string());
        }
        Some(reference::Reference::Context { key }) => {
            keys.insert(key.to_string());
        }
        None => {}
    }
}

fn sorted(set: HashSet<String>) -> Vec<String> {
    let mut list: Vec<String> = set.into_iter().collect();
    list.sort();
    list
}

/// Temporal's retry policy for a step's activity: the same numbers qwf's
/// retry follows (`max_attempts` 0 means unlimited there).
fn retry_policy(handling: Option<&ErrorHandling>) -> Value {
    let Some(handling) = handling.filter(|h| h.strategy == Strategy::Retry) else {
        return json!({"maximum_attempts": 1, "initial_interval_ms": DEFAULT_INITIAL_MS,
                      "backoff_coefficient": DEFAULT_COEFFICIENT,
                      "maximum_interval_ms": DEFAULT_INITIAL_MS * DEFAULT_MAX_FACTOR,
                      "non_retryable_error_types": [], "backoff": "exponential"});
    };
    let initial = handling.initial_interval_ms.unwrap_or(DEFAULT_INITIAL_MS);
    let backoff = handling.backoff.unwrap_or(Backoff::Exponential);
    json!({
        "maximum_attempts": handling.max_attempts.unwrap_or(0),
        "initial_interval_ms": initial,
        // Fixed and linear never grow by a factor; linear's growing wait
        // comes with each failure (next_retry_delay).
        "backoff_coefficient": match backoff {
            Backoff::Exponential => handling
                .backoff_coefficient
                .filter(|c| c.is_finite() && *c >= 1.0)
                .unwrap_or(DEFAULT_COEFFICIENT),
            Backoff::Fixed | Backoff::Linear => 1.0,
        },
        "maximum_interval_ms": handling
            .max_interval_ms
            .unwrap_or_else(|| initial.saturating_mul(DEFAULT_MAX_FACTOR)),
        // Exact kinds; families (`exit_code` for every `exit_code:N`) and
        // `timeout` are decided by qwf step and raised as non-retryable.
        "non_retryable_error_types": handling.non_retryable.clone().unwrap_or_default(),
        "backoff": backoff.to_string(),
    })
}

fn node(
    plan: &Plan,
    step: &Step,
    is_step: &dyn Fn(&str) -> bool,
    output_limit: Option<usize>,
) -> Value {
    let handling = step.error_handling.as_ref();
    let retrying = handling.is_some_and(|h| h.strategy == Strategy::Retry);
    let subtree: Vec<Value> = tree::walk_step(step)
        .into_iter()
        .map(|inner| json!([inner.id, inner.kind.type_name()]))
        .collect();
    let (reads, keys) = reads_of(step, is_step);
    let context: JsonMap = keys
        .iter()
        .filter_map(|key| Some((key.clone(), plan.context.get(key)?.clone())))
        .collect();
    let mut node = json!({
        "id": step.id,
        "type": step.kind.type_name(),
        "timeout_secs": step.timeout_secs,
        "strategy": handling.map_or(Strategy::Fail, |h| h.strategy).to_string(),
        "fallback": handling.and_then(|h| h.fallback.clone()),
        "error_handling": handling,
        "max_attempts": if retrying { handling.and_then(|h| h.max_attempts) } else { Some(1) },
        "retry_policy": retry_policy(handling),
        "subtree": subtree,
        "reads": reads,
    });
    match &step.kind {
        StepKind::Parallel { steps } => {
            node["steps"] = steps
                .iter()
                .map(|child| self::node(plan, child, is_step, output_limit))
                .collect();
        }
        StepKind::Conditional {
            condition,
            then,
            otherwise,
        } => {
            node["condition"] = json!({
                "kind": "condition",
                "step_id": step.id,
                "condition": condition,
                "reads": reads,
                "context": context,
            });
            node["then"] = then
                .iter()
                .map(|child| self::node(plan, child, is_step, output_limit))
                .collect();
            node["else"] = otherwise
                .iter()
                .map(|child| self::node(plan, child, is_step, output_limit))
                .collect();
        }
        _ => {
            let skill_name = step.skill_name();
            let skill = skill_name.and_then(|name| plan.skills.get(name));
            node["code"] = json!(attempt::is_code(skill));
            node["request"] = json!({
                "kind": "attempt",
                "step": step,
                "skill": skill,
                "agent_instructions": match &step.kind {
                    StepKind::Agent { agent, .. } => plan.agents.get(agent).cloned().flatten(),
                    _ => None,
                },
                "skill_dir": skill_name
                    .map(|name| plan.skill_dirs.get(name).unwrap_or(&plan.skills_dir)),
                "reads": reads,
                "context": context,
                "output_limit": output_limit,
            });
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handling(value: Value) -> ErrorHandling {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_group_failure_is_worded_like_qwf_run_and_retried_by_its_policy() {
        let response = settle_group(GroupRequest {
            step_id: "p".into(),
            timeout_secs: Some(2),
            error_handling: Some(handling(json!({"strategy": "retry", "max_attempts": 2,
                "initial_interval_ms": 10, "non_retryable": ["timeout"]}))),
            attempt: 1,
            failed: vec!["a".into()],
            branch: None,
            expired: true,
            failure: None,
        });
        assert_eq!(response.failure.kind, "timeout");
        assert_eq!(response.retry_after_ms, None, "timeout is non-retryable");
        let response = settle_group(GroupRequest {
            step_id: "p".into(),
            timeout_secs: None,
            error_handling: Some(handling(
                json!({"strategy": "retry", "max_attempts": 2, "initial_interval_ms": 10}),
            )),
            attempt: 1,
            failed: vec!["a".into(), "b".into()],
            branch: None,
            expired: false,
            failure: None,
        });
        assert_eq!(response.failure.message, "steps failed: a, b");
        assert_eq!(response.retry_after_ms, Some(10));
    }

    #[test]
    fn retry_policies_map_to_temporal() {
        let linear = handling(
            json!({"strategy": "retry", "max_attempts": 4, "backoff": "linear",
            "initial_interval_ms": 100, "non_retryable": ["exit_code:2"]}),
        );
        let policy = retry_policy(Some(&linear));
        assert_eq!(policy["maximum_attempts"], 4);
        assert_eq!(policy["backoff_coefficient"], 1.0);
        assert_eq!(policy["maximum_interval_ms"], 10_000);
        assert_eq!(policy["non_retryable_error_types"], json!(["exit_code:2"]));
        assert_eq!(policy["backoff"], "linear");
        let forever = handling(json!({"strategy": "retry"}));
        assert_eq!(retry_policy(Some(&forever))["maximum_attempts"], 0);
        let fail = handling(json!({"strategy": "continue"}));
        assert_eq!(retry_policy(Some(&fail))["maximum_attempts"], 1);
    }

    #[test]
    fn a_condition_is_evaluated_against_what_steps_produced() {
        let mut available = HashMap::new();
        available.insert(
            "check".to_string(),
            Available::Outputs {
                outputs: serde_json::from_value(json!({"count": "5"})).unwrap(),
            },
        );
        let request = ConditionRequest {
            step_id: "gate".into(),
            condition: "check.count > 3 && context.on".into(),
            reads: vec!["check".into()],
            context: serde_json::from_value(json!({"on": true})).unwrap(),
            available,
        };
        assert_eq!(evaluate(request.clone()).branch.as_deref(), Some("then"));
        let mut skipped = request;
        skipped
            .available
            .insert("check".into(), Available::Skipped { reason: "r".into() });
        let failure = evaluate(skipped).failure.unwrap();
        assert_eq!(failure.kind, "condition");
        assert!(failure.permanent);
    }
}
