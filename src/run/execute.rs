//! Walking a workflow: steps in order, parallel children on their own
//! threads, one branch of each conditional, retries with backoff, and the
//! `continue` / `fallback` / `fail` strategies. The executor reports
//! progress as [`Event`]s and returns what happened as step records; it
//! prints nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::ModelFactory;
use super::inputs::{env_name, env_value, parse_outputs, stderr_tail};
use super::model_step::{self, DEFAULT_MAX_ITERATIONS, ModelCall, ModelEnd};
use super::preflight::Plan;
use super::process::{self, ProcessEnd, ProcessSpec};
use super::retry::{is_non_retryable, retry_delay};
use crate::core::model::{JsonMap, Step, StepKind, Strategy};
use crate::core::reference::{self, Reference};
use crate::core::skill::SkillType;
use crate::core::tree::{self, StepIndex};
use crate::store::runs::{
    AttemptRecord, RECORD_TEXT_LIMIT, RunStatus, StepRecord, StepStatus, truncate_text,
    truncate_value,
};

/// What the executor reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An attempt starts; `max_attempts` is `None` when retries are unbounded.
    Started {
        step: String,
        attempt: u32,
        max_attempts: Option<u32>,
    },
    /// An attempt failed and the step will be tried again after `delay`.
    Retrying {
        step: String,
        attempt: u32,
        delay: Duration,
        error: String,
    },
    Succeeded {
        step: String,
        duration: Duration,
    },
    /// The step failed; `status` says what the workflow does about it
    /// (failed, continued, fell back).
    Failed {
        step: String,
        status: StepStatus,
        error: String,
    },
    Skipped {
        step: String,
        reason: String,
    },
}

/// How to run: where events go, how to notice Ctrl-C, how to reach a model.
pub struct Options<'a> {
    pub on_event: &'a (dyn Fn(&Event) + Sync),
    pub is_cancelled: &'a (dyn Fn() -> bool + Sync),
    /// Builds the model for model steps (one per step attempt).
    pub models: Option<Arc<ModelFactory>>,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Finished {
    pub status: RunStatus,
    /// Every step of the workflow, in file order.
    pub steps: Vec<StepRecord>,
    pub duration: Duration,
}

/// Why an attempt failed: a kind from the fixed vocabulary (`spawn`,
/// `exit_code:N`, `signal`, `timeout`, `bad_output`, `model`, `input`,
/// `condition`, `step_failed`) and a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: String,
    pub message: String,
    pub exit_code: Option<i32>,
    /// Retrying cannot help (an input that is missing stays missing).
    pub permanent: bool,
}

impl Failure {
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            kind: kind.into(),
            message: message.into(),
            exit_code: None,
            permanent: false,
        }
    }

    fn permanent(mut self) -> Self {
        self.permanent = true;
        self
    }
}

enum Attempt {
    Done(JsonMap),
    Failed(Failure),
    Cancelled,
}

/// How a list of steps ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Ok,
    Failed,
    Cancelled,
}

/// What later steps can read of a step.
#[derive(Debug, Clone)]
enum Produced {
    Outputs(JsonMap),
    Continued,
    Skipped(String),
    Failed,
    Cancelled,
}

#[derive(Default)]
struct State {
    records: HashMap<String, StepRecord>,
    produced: HashMap<String, Produced>,
}

struct Runner<'a> {
    plan: &'a Plan,
    options: &'a Options<'a>,
    index: StepIndex<'a>,
    state: Mutex<State>,
}

/// Runs a prepared plan to the end (or to the first failure, or Ctrl-C).
pub fn execute(plan: &Plan, options: &Options<'_>) -> Finished {
    let started = Instant::now();
    let runner = Runner {
        plan,
        options,
        index: StepIndex::new(&plan.workflow),
        state: Mutex::new(State::default()),
    };
    let flow = runner.run_list(&plan.workflow.steps, None);
    let mut state = runner
        .state
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    let steps = tree::walk(&plan.workflow)
        .into_iter()
        .map(|visited| {
            let step = visited.step;
            state.records.remove(&step.id).unwrap_or_else(|| {
                let status = if flow == Flow::Cancelled {
                    StepStatus::Cancelled
                } else {
                    StepStatus::NotRun
                };
                StepRecord::new(&step.id, step.kind.type_name(), status)
            })
        })
        .collect();
    Finished {
        status: match flow {
            Flow::Ok => RunStatus::Succeeded,
            Flow::Failed => RunStatus::Failed,
            Flow::Cancelled => RunStatus::Cancelled,
        },
        steps,
        duration: started.elapsed(),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl<'a> Runner<'a> {
    fn emit(&self, event: Event) {
        (self.options.on_event)(&event);
    }

    fn cancelled(&self) -> bool {
        (self.options.is_cancelled)()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn record(&self, record: StepRecord) {
        self.state().records.insert(record.id.clone(), record);
    }

    fn run_list(&self, steps: &'a [Step], deadline: Option<Instant>) -> Flow {
        for step in steps {
            if let Some(primary) = self.plan.fallback_for.get(&step.id) {
                // A fallback runs only in place of its step; in its own
                // place it is skipped (unless it already stood in).
                if !self.state().records.contains_key(&step.id) {
                    self.skip(
                        step,
                        format!("fallback of '{primary}'; runs only if '{primary}' fails"),
                    );
                }
                continue;
            }
            match self.run_step(step, deadline) {
                Flow::Ok => {}
                other => return other,
            }
        }
        Flow::Ok
    }

    /// Marks a step and everything inside it skipped.
    fn skip(&self, step: &'a Step, reason: String) {
        for id in tree::subtree_ids(step) {
            let Some(visited) = self.index.get(id) else {
                continue;
            };
            let mut record =
                StepRecord::new(id, visited.step.kind.type_name(), StepStatus::Skipped);
            record.note = Some(reason.clone());
            let mut state = self.state();
            state.records.insert(id.to_string(), record);
            state
                .produced
                .insert(id.to_string(), Produced::Skipped(reason.clone()));
        }
        self.emit(Event::Skipped {
            step: step.id.clone(),
            reason,
        });
    }

    fn run_step(&self, step: &'a Step, inherited: Option<Instant>) -> Flow {
        let handling = step.error_handling.as_ref();
        let retrying = handling.is_some_and(|h| h.strategy == Strategy::Retry);
        let max_attempts = if retrying {
            handling.and_then(|h| h.max_attempts)
        } else {
            Some(1)
        };
        let started = Instant::now();
        let mut record = StepRecord::new(&step.id, step.kind.type_name(), StepStatus::Failed);
        let mut number = 0u32;
        let failure = loop {
            number += 1;
            if self.cancelled() {
                return self.finish_cancelled(record, started);
            }
            self.emit(Event::Started {
                step: step.id.clone(),
                attempt: number,
                max_attempts,
            });
            let attempt_started = Instant::now();
            let deadline = earliest(
                inherited,
                step.timeout_secs
                    .map(|seconds| attempt_started + Duration::from_secs(seconds)),
            );
            let outcome = self.attempt(step, number, deadline);
            let mut attempt = AttemptRecord {
                number,
                duration_ms: millis(attempt_started.elapsed()),
                exit_code: None,
                error_kind: None,
                error: None,
                retry_after_ms: None,
            };
            match outcome {
                Attempt::Done(outputs) => {
                    attempt.exit_code = self.is_code_step(step).then_some(0);
                    record.attempts.push(attempt);
                    record.status = StepStatus::Succeeded;
                    record.duration_ms = Some(millis(started.elapsed()));
                    record.outputs = outputs
                        .iter()
                        .map(|(key, value)| (key.clone(), truncate_value(value, RECORD_TEXT_LIMIT)))
                        .collect();
                    if let Some(primary) = self.plan.fallback_for.get(&step.id) {
                        record.note = Some(format!("ran in place of '{primary}'"));
                    }
                    {
                        let mut state = self.state();
                        state.records.insert(step.id.clone(), record);
                        state
                            .produced
                            .insert(step.id.clone(), Produced::Outputs(outputs));
                    }
                    self.emit(Event::Succeeded {
                        step: step.id.clone(),
                        duration: started.elapsed(),
                    });
                    return Flow::Ok;
                }
                Attempt::Cancelled => {
                    record.attempts.push(attempt);
                    return self.finish_cancelled(record, started);
                }
                Attempt::Failed(failure) => {
                    attempt.exit_code = failure.exit_code;
                    attempt.error_kind = Some(failure.kind.clone());
                    attempt.error = Some(truncate_text(&failure.message, RECORD_TEXT_LIMIT));
                    let more = max_attempts.is_none_or(|max| number < max);
                    let retry = retrying
                        && more
                        && !failure.permanent
                        && !handling.is_some_and(|h| is_non_retryable(h, &failure.kind));
                    if !retry {
                        record.attempts.push(attempt);
                        break failure;
                    }
                    let delay = handling.map_or(Duration::ZERO, |h| retry_delay(h, number));
                    attempt.retry_after_ms = Some(millis(delay));
                    record.attempts.push(attempt);
                    self.emit(Event::Retrying {
                        step: step.id.clone(),
                        attempt: number,
                        delay,
                        error: failure.message.clone(),
                    });
                    if !self.sleep(delay) {
                        return self.finish_cancelled(record, started);
                    }
                }
            }
        };
        record.duration_ms = Some(millis(started.elapsed()));
        record.error = Some(truncate_text(&failure.message, RECORD_TEXT_LIMIT));
        let strategy = handling.map_or(Strategy::Fail, |h| h.strategy);
        match (strategy, handling.and_then(|h| h.fallback.as_deref())) {
            (Strategy::Continue, _) => {
                record.status = StepStatus::Continued;
                {
                    let mut state = self.state();
                    state.records.insert(step.id.clone(), record);
                    state.produced.insert(step.id.clone(), Produced::Continued);
                }
                self.emit(Event::Failed {
                    step: step.id.clone(),
                    status: StepStatus::Continued,
                    error: failure.message,
                });
                Flow::Ok
            }
            (Strategy::Fallback, Some(target)) if self.index.get(target).is_some() => {
                let Some(fallback) = self.index.get(target).map(|visited| visited.step) else {
                    return Flow::Failed;
                };
                record.status = StepStatus::FellBack;
                record.note = Some(format!("'{target}' ran in its place"));
                self.emit(Event::Failed {
                    step: step.id.clone(),
                    status: StepStatus::FellBack,
                    error: failure.message,
                });
                self.record(record.clone());
                let flow = self.run_step(fallback, inherited);
                let produced = self.state().produced.get(target).cloned();
                match (flow, produced) {
                    (Flow::Ok, Some(Produced::Outputs(outputs))) => {
                        record.outputs = outputs
                            .iter()
                            .map(|(key, value)| {
                                (key.clone(), truncate_value(value, RECORD_TEXT_LIMIT))
                            })
                            .collect();
                        let mut state = self.state();
                        state.records.insert(step.id.clone(), record);
                        // Consumers of the failed step read the fallback's outputs.
                        state
                            .produced
                            .insert(step.id.clone(), Produced::Outputs(outputs));
                        Flow::Ok
                    }
                    (Flow::Ok, _) => {
                        // The fallback itself failed and was continued past.
                        record.status = StepStatus::Continued;
                        record.note = Some(format!(
                            "its fallback '{target}' failed too and was continued past"
                        ));
                        let mut state = self.state();
                        state.records.insert(step.id.clone(), record);
                        state.produced.insert(step.id.clone(), Produced::Continued);
                        Flow::Ok
                    }
                    (other, _) => {
                        record.status = if other == Flow::Cancelled {
                            StepStatus::Cancelled
                        } else {
                            StepStatus::Failed
                        };
                        record.note =
                            Some(format!("its fallback '{target}' did not succeed either"));
                        let mut state = self.state();
                        state.records.insert(step.id.clone(), record);
                        state.produced.insert(step.id.clone(), Produced::Failed);
                        other
                    }
                }
            }
            _ => {
                record.status = StepStatus::Failed;
                {
                    let mut state = self.state();
                    state.records.insert(step.id.clone(), record);
                    state.produced.insert(step.id.clone(), Produced::Failed);
                }
                self.emit(Event::Failed {
                    step: step.id.clone(),
                    status: StepStatus::Failed,
                    error: failure.message,
                });
                Flow::Failed
            }
        }
    }

    fn finish_cancelled(&self, mut record: StepRecord, started: Instant) -> Flow {
        record.status = StepStatus::Cancelled;
        record.duration_ms = Some(millis(started.elapsed()));
        record.error = Some("cancelled (Ctrl-C)".into());
        let id = record.id.clone();
        let mut state = self.state();
        state.records.insert(id.clone(), record);
        state.produced.insert(id, Produced::Cancelled);
        Flow::Cancelled
    }

    /// Waits, waking early for Ctrl-C; false when cancelled.
    fn sleep(&self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            if self.cancelled() {
                return false;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(20)));
        }
    }

    fn is_code_step(&self, step: &Step) -> bool {
        step.skill_name()
            .and_then(|name| self.plan.skills.get(name))
            .is_some_and(|skill| {
                matches!(
                    skill.skill_type,
                    SkillType::CodeInline | SkillType::CodeSession
                )
            })
    }

    /// The value of `context.KEY` or `STEP.OUTPUT` at this point of the run.
    fn lookup(&self, text: &str) -> Result<Value, String> {
        let is_step = |id: &str| self.index.contains(id);
        match reference::parse(text, is_step) {
            Some(Reference::Context { key }) => self
                .plan
                .context
                .get(key)
                .cloned()
                .ok_or_else(|| format!("the context has no key '{key}'")),
            Some(Reference::Step { step, output }) => {
                let state = self.state();
                match state.produced.get(step) {
                    Some(Produced::Outputs(outputs)) => outputs
                        .get(output)
                        .cloned()
                        .ok_or_else(|| format!("step '{step}' has no output '{output}'")),
                    Some(Produced::Continued) => Err(format!(
                        "step '{step}' failed and was continued past; it has no output '{output}'"
                    )),
                    Some(Produced::Skipped(reason)) => {
                        Err(format!("step '{step}' was skipped ({reason})"))
                    }
                    Some(Produced::Failed) => {
                        Err(format!("step '{step}' failed; it has no output '{output}'"))
                    }
                    Some(Produced::Cancelled) => Err(format!("step '{step}' was cancelled")),
                    None => Err(format!("step '{step}' has not run yet")),
                }
            }
            None => Err(format!("'{text}' is not a reference")),
        }
    }

    /// A step's inputs with references replaced by their values.
    fn resolve_inputs(&self, step: &Step) -> Result<JsonMap, Failure> {
        let mut resolved = JsonMap::new();
        let is_step = |id: &str| self.index.contains(id);
        for (name, value) in &step.inputs {
            let value = match value
                .as_str()
                .and_then(|text| reference::parse(text, is_step).map(|_| text))
            {
                Some(text) => self.lookup(text).map_err(|message| {
                    Failure::new("input", format!("input '{name}' ({text}): {message}")).permanent()
                })?,
                None => value.clone(),
            };
            resolved.insert(name.clone(), value);
        }
        Ok(resolved)
    }

    fn declared_outputs(&self, step: &Step, skill_outputs: &[String]) -> Vec<String> {
        if step.outputs.is_empty() {
            skill_outputs.to_vec()
        } else {
            step.outputs.clone()
        }
    }

    fn attempt(&self, step: &'a Step, number: u32, deadline: Option<Instant>) -> Attempt {
        match &step.kind {
            StepKind::Skill { skill } => {
                let Some(found) = self.plan.skills.get(skill) else {
                    return Attempt::Failed(
                        Failure::new("spawn", format!("skill '{skill}' does not exist"))
                            .permanent(),
                    );
                };
                let inputs = match self.resolve_inputs(step) {
                    Ok(inputs) => inputs,
                    Err(failure) => return Attempt::Failed(failure),
                };
                let outputs = self.declared_outputs(step, &found.outputs);
                match found.skill_type {
                    SkillType::CodeInline | SkillType::CodeSession => {
                        self.run_code(step, skill, inputs, &outputs, number, deadline)
                    }
                    SkillType::PromptInline | SkillType::Conversation => self.run_model(
                        step,
                        ModelCall {
                            step_id: step.id.clone(),
                            prompt: found.command.clone(),
                            inputs,
                            outputs,
                            allowed_tools: Vec::new(),
                            max_iterations: DEFAULT_MAX_ITERATIONS,
                        },
                        deadline,
                    ),
                }
            }
            StepKind::Agent {
                agent, guardrails, ..
            } => {
                let inputs = match self.resolve_inputs(step) {
                    Ok(inputs) => inputs,
                    Err(failure) => return Attempt::Failed(failure),
                };
                // The agent's own instructions when discovery found them.
                let mut prompt = match self.plan.agents.get(agent) {
                    Some(Some(instructions)) => instructions.clone(),
                    _ => format!("You are the agent '{agent}'."),
                };
                if let Some(description) = &step.description {
                    prompt.push_str(&format!("\n\nYour task in this step: {description}"));
                }
                self.run_model(
                    step,
                    ModelCall {
                        step_id: step.id.clone(),
                        prompt,
                        inputs,
                        outputs: step.outputs.clone(),
                        allowed_tools: guardrails
                            .as_ref()
                            .and_then(|g| g.allowed_tools.clone())
                            .unwrap_or_default(),
                        max_iterations: guardrails
                            .as_ref()
                            .and_then(|g| g.max_iterations)
                            .unwrap_or(DEFAULT_MAX_ITERATIONS)
                            .max(1),
                    },
                    deadline,
                )
            }
            StepKind::Parallel { steps } => self.run_parallel(step, steps, deadline),
            StepKind::Conditional {
                then, otherwise, ..
            } => self.run_conditional(step, then, otherwise, deadline),
            StepKind::Unknown { type_name } => Attempt::Failed(
                Failure::new("spawn", format!("step type '{type_name}' cannot run")).permanent(),
            ),
        }
    }

    fn run_code(
        &self,
        step: &Step,
        skill: &str,
        inputs: JsonMap,
        outputs: &[String],
        number: u32,
        deadline: Option<Instant>,
    ) -> Attempt {
        let Some(argv) = self.plan.commands.get(skill) else {
            return Attempt::Failed(
                Failure::new("spawn", format!("skill '{skill}' has no command")).permanent(),
            );
        };
        // Linux caps one environment string at 128 KiB and none may hold a
        // NUL: such values reach the step on stdin only.
        const ENV_LIMIT: usize = 64 * 1024;
        // Never qwf's own environment (it holds the provider keys): the
        // documented variables, the ones the skill names, the step's own.
        let named = self
            .plan
            .skills
            .get(skill)
            .map(crate::core::skill_env::requested)
            .unwrap_or_default();
        let mut env = super::environment::skill_base(&self.plan.environment, &named);
        env.extend(
            inputs
                .iter()
                .map(|(name, value)| (env_name(name), env_value(value)))
                .filter(|(_, value)| value.len() <= ENV_LIMIT && !value.contains('\0')),
        );
        env.push(("QWF_STEP_ID".into(), step.id.clone()));
        env.push(("QWF_ATTEMPT".into(), number.to_string()));
        let stdin = serde_json::to_vec(&Value::Object(inputs)).unwrap_or_default();
        let cwd = self
            .plan
            .skill_dirs
            .get(skill)
            .unwrap_or(&self.plan.skills_dir);
        let spec = ProcessSpec {
            argv,
            cwd,
            env: &env,
            stdin: &stdin,
            deadline,
        };
        match process::run(&spec, self.options.is_cancelled) {
            ProcessEnd::SpawnFailed(error) => Attempt::Failed(Failure::new(
                "spawn",
                format!("cannot start '{}' (in {}): {error}", argv[0], cwd.display()),
            )),
            ProcessEnd::Cancelled => Attempt::Cancelled,
            ProcessEnd::TimedOut { stderr } => {
                // Its own timeout, or the one of a parallel/conditional
                // step around it that ran out first.
                let seconds = step.timeout_secs.map_or_else(
                    || "the time of the step around it".to_string(),
                    |seconds| format!("{seconds} s"),
                );
                let tail = stderr_tail(&stderr);
                Attempt::Failed(Failure::new(
                    "timeout",
                    if tail.is_empty() {
                        format!("timed out after {seconds}; its processes were stopped")
                    } else {
                        format!(
                            "timed out after {seconds}; its processes were stopped; stderr: {tail}"
                        )
                    },
                ))
            }
            ProcessEnd::Exited {
                status,
                stdout,
                stderr,
                stdout_overflow,
            } => {
                if !status.success() {
                    let tail = stderr_tail(&stderr);
                    let with_tail = |text: String| {
                        if tail.is_empty() {
                            text
                        } else {
                            format!("{text}: {tail}")
                        }
                    };
                    return Attempt::Failed(match status.code() {
                        Some(code) => Failure {
                            exit_code: Some(code),
                            ..Failure::new(
                                format!("exit_code:{code}"),
                                with_tail(format!("exited with code {code}")),
                            )
                        },
                        None => {
                            use std::os::unix::process::ExitStatusExt;
                            let signal = status.signal().unwrap_or(0);
                            Failure::new("signal", with_tail(format!("killed by signal {signal}")))
                        }
                    });
                }
                if stdout_overflow {
                    return Attempt::Failed(Failure::new(
                        "bad_output",
                        "it printed more than 16 MiB on stdout",
                    ));
                }
                let text = String::from_utf8_lossy(&stdout);
                match parse_outputs(&text, outputs) {
                    Ok(parsed) => Attempt::Done(parsed),
                    Err(message) => Attempt::Failed(Failure::new("bad_output", message)),
                }
            }
        }
    }

    fn run_model(&self, step: &Step, call: ModelCall, deadline: Option<Instant>) -> Attempt {
        let Some(factory) = &self.options.models else {
            return Attempt::Failed(
                Failure::new(
                    "model",
                    format!("step '{}' needs a model and none is set up", step.id),
                )
                .permanent(),
            );
        };
        match model_step::run(factory, call, deadline, self.options.is_cancelled) {
            ModelEnd::Answered(outputs) => Attempt::Done(outputs),
            ModelEnd::Failed(failure) => Attempt::Failed(failure),
            ModelEnd::Cancelled => Attempt::Cancelled,
        }
    }

    fn run_parallel(&self, step: &Step, steps: &'a [Step], deadline: Option<Instant>) -> Attempt {
        let flows: Vec<(String, Flow)> = std::thread::scope(|scope| {
            let handles: Vec<_> = steps
                .iter()
                .map(|child| {
                    let handle = scope.spawn(move || {
                        if self.plan.fallback_for.contains_key(&child.id) {
                            self.run_list(std::slice::from_ref(child), deadline)
                        } else {
                            self.run_step(child, deadline)
                        }
                    });
                    (child.id.clone(), handle)
                })
                .collect();
            handles
                .into_iter()
                .map(|(id, handle)| (id, handle.join().unwrap_or(Flow::Failed)))
                .collect()
        });
        if flows.iter().any(|(_, flow)| *flow == Flow::Cancelled) {
            return Attempt::Cancelled;
        }
        let failed: Vec<&str> = flows
            .iter()
            .filter(|(_, flow)| *flow == Flow::Failed)
            .map(|(id, _)| id.as_str())
            .collect();
        if failed.is_empty() {
            Attempt::Done(JsonMap::new())
        } else if let Some(expired) = expired_timeout(step, deadline) {
            Attempt::Failed(Failure::new("timeout", expired))
        } else {
            Attempt::Failed(Failure::new(
                "step_failed",
                format!(
                    "{} failed: {}",
                    if failed.len() == 1 { "step" } else { "steps" },
                    failed.join(", ")
                ),
            ))
        }
    }

    fn run_conditional(
        &self,
        step: &'a Step,
        then: &'a [Step],
        otherwise: &'a [Step],
        deadline: Option<Instant>,
    ) -> Attempt {
        let Some(condition) = self.plan.conditions.get(&step.id) else {
            return Attempt::Failed(
                Failure::new("condition", "the condition was not parsed").permanent(),
            );
        };
        let truth = match condition.evaluate(&|text| self.lookup(text)) {
            Ok(truth) => truth,
            Err(error) => {
                return Attempt::Failed(
                    Failure::new(
                        "condition",
                        format!("its condition cannot be evaluated: {error}"),
                    )
                    .permanent(),
                );
            }
        };
        let (taken, other, taken_name, other_name) = if truth {
            (then, otherwise, "then", "else")
        } else {
            (otherwise, then, "else", "then")
        };
        for skipped in other {
            self.skip(
                skipped,
                format!(
                    "the condition of '{}' took the {taken_name} branch, not {other_name}",
                    step.id
                ),
            );
        }
        match self.run_list(taken, deadline) {
            Flow::Ok => {
                let mut outputs = JsonMap::new();
                outputs.insert("branch".into(), Value::String(taken_name.into()));
                Attempt::Done(outputs)
            }
            Flow::Cancelled => Attempt::Cancelled,
            Flow::Failed => match expired_timeout(step, deadline) {
                Some(expired) => Attempt::Failed(Failure::new("timeout", expired)),
                None => Attempt::Failed(Failure::new(
                    "step_failed",
                    format!("a step in its {taken_name} branch failed"),
                )),
            },
        }
    }
}

/// When a container's own time ran out, its failure is a timeout (so
/// `non_retryable: ["timeout"]` applies), said with its budget.
fn expired_timeout(step: &Step, deadline: Option<Instant>) -> Option<String> {
    let seconds = step.timeout_secs?;
    deadline
        .is_some_and(|deadline| Instant::now() >= deadline)
        .then(|| format!("its {seconds} s timeout expired; the steps still running were stopped"))
}
