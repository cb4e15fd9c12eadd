//! Walking a workflow: steps in order, parallel children on a bounded pool
//! of threads, one branch of each conditional, retries with backoff, and the
//! `continue` / `fallback` / `fail` strategies. The executor reports
//! progress as [`Event`]s and returns what happened as step records; it
//! prints nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::ModelFactory;
use super::attempt::{self, AttemptEnd, Available, Failure, Leaf, Surroundings};
use super::preflight::Plan;
use super::retry::next_attempt;
use crate::core::model::{JsonMap, Step, StepKind, Strategy};
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

/// How a list of steps ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Ok,
    Failed,
    Cancelled,
}

#[derive(Default)]
struct State {
    records: HashMap<String, StepRecord>,
    produced: HashMap<String, Available>,
}

/// Threads a run may use for parallel steps, besides its own.
pub const MAX_CONCURRENT_STEPS: usize = 64;

struct Runner<'a> {
    plan: &'a Plan,
    options: &'a Options<'a>,
    index: StepIndex<'a>,
    state: Mutex<State>,
    /// Free helper threads for parallel steps.
    slots: AtomicUsize,
}

/// Runs a prepared plan to the end (or to the first failure, or Ctrl-C).
pub fn execute(plan: &Plan, options: &Options<'_>) -> Finished {
    let started = Instant::now();
    let runner = Runner {
        plan,
        options,
        index: StepIndex::new(&plan.workflow),
        state: Mutex::new(State::default()),
        slots: AtomicUsize::new(MAX_CONCURRENT_STEPS),
    };
    let flow = runner.run_list(&plan.workflow.steps, None);
    let mut state = runner
        .state
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    let status = match flow {
        Flow::Ok => RunStatus::Succeeded,
        Flow::Failed => RunStatus::Failed,
        Flow::Cancelled => RunStatus::Cancelled,
    };
    Finished {
        status,
        steps: records_in_order(plan, std::mem::take(&mut state.records), status),
        duration: started.elapsed(),
    }
}

/// Every step's record in file order; a step without one was not reached
/// (`not_run`), or was waiting when the run was cancelled (`cancelled`).
pub fn records_in_order(
    plan: &Plan,
    mut records: HashMap<String, StepRecord>,
    status: RunStatus,
) -> Vec<StepRecord> {
    tree::walk(&plan.workflow)
        .into_iter()
        .map(|visited| {
            let step = visited.step;
            records.remove(&step.id).unwrap_or_else(|| {
                let status = if status == RunStatus::Cancelled {
                    StepStatus::Cancelled
                } else {
                    StepStatus::NotRun
                };
                StepRecord::new(&step.id, step.kind.type_name(), status)
            })
        })
        .collect()
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
            state.produced.insert(
                id.to_string(),
                Available::Skipped {
                    reason: reason.clone(),
                },
            );
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
                    .and_then(|seconds| attempt::deadline_after(attempt_started, seconds)),
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
                AttemptEnd::Done(outputs) => {
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
                            .insert(step.id.clone(), Available::Outputs { outputs });
                    }
                    self.emit(Event::Succeeded {
                        step: step.id.clone(),
                        duration: started.elapsed(),
                    });
                    return Flow::Ok;
                }
                AttemptEnd::Cancelled => {
                    record.attempts.push(attempt);
                    return self.finish_cancelled(record, started);
                }
                AttemptEnd::Failed(failure) => {
                    attempt.exit_code = failure.exit_code;
                    attempt.error_kind = Some(failure.kind.clone());
                    attempt.error = Some(truncate_text(&failure.message, RECORD_TEXT_LIMIT));
                    let Some(delay) = next_attempt(handling, number, &failure) else {
                        record.attempts.push(attempt);
                        break failure;
                    };
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
                    state.produced.insert(step.id.clone(), Available::Continued);
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
                    (Flow::Ok, Some(Available::Outputs { outputs })) => {
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
                            .insert(step.id.clone(), Available::Outputs { outputs });
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
                        state.produced.insert(step.id.clone(), Available::Continued);
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
                        state.produced.insert(step.id.clone(), Available::Failed);
                        other
                    }
                }
            }
            _ => {
                record.status = StepStatus::Failed;
                {
                    let mut state = self.state();
                    state.records.insert(step.id.clone(), record);
                    state.produced.insert(step.id.clone(), Available::Failed);
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
        state.produced.insert(id, Available::Cancelled);
        Flow::Cancelled
    }

    /// Waits, waking early for Ctrl-C; false when cancelled.
    fn sleep(&self, delay: Duration) -> bool {
        let until = Instant::now().checked_add(delay);
        loop {
            if self.cancelled() {
                return false;
            }
            let left = until.map_or(Duration::MAX, |until| {
                until.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(20)));
        }
    }

    fn is_code_step(&self, step: &Step) -> bool {
        attempt::is_code(
            step.skill_name()
                .and_then(|name| self.plan.skills.get(name)),
        )
    }

    fn is_step(&self, id: &str) -> bool {
        self.index.contains(id)
    }

    /// The value of `context.KEY` or `STEP.OUTPUT` at this point of the run.
    fn lookup(&self, text: &str) -> Result<Value, String> {
        let produced = |id: &str| self.state().produced.get(id).cloned();
        attempt::lookup(text, &|id| self.is_step(id), &self.plan.context, &produced)
    }

    fn attempt(&self, step: &'a Step, number: u32, deadline: Option<Instant>) -> AttemptEnd {
        match &step.kind {
            StepKind::Parallel { steps } => self.run_parallel(step, steps, deadline),
            StepKind::Conditional {
                then, otherwise, ..
            } => self.run_conditional(step, then, otherwise, deadline),
            _ => {
                let inputs = match attempt::resolve_inputs(step, &|id| self.is_step(id), &|text| {
                    self.lookup(text)
                }) {
                    Ok(inputs) => inputs,
                    Err(failure) => return AttemptEnd::Failed(failure),
                };
                let skill_name = step.skill_name();
                let leaf = Leaf {
                    step,
                    skill: skill_name.and_then(|name| self.plan.skills.get(name)),
                    argv: skill_name
                        .and_then(|name| self.plan.commands.get(name))
                        .map(Vec::as_slice),
                    cwd: skill_name
                        .and_then(|name| self.plan.skill_dirs.get(name))
                        .unwrap_or(&self.plan.skills_dir),
                    agent_instructions: match &step.kind {
                        StepKind::Agent { agent, .. } => self
                            .plan
                            .agents
                            .get(agent)
                            .and_then(|found| found.as_deref()),
                        _ => None,
                    },
                };
                attempt::run_leaf(
                    &leaf,
                    inputs,
                    number,
                    deadline,
                    &Surroundings {
                        is_cancelled: self.options.is_cancelled,
                        models: self.options.models.as_ref(),
                        environment: &self.plan.environment,
                    },
                )
            }
        }
    }

    /// Runs one child of a parallel step (a fallback child only stands in).
    fn run_child(&self, child: &'a Step, deadline: Option<Instant>) -> Flow {
        if self.plan.fallback_for.contains_key(&child.id) {
            self.run_list(std::slice::from_ref(child), deadline)
        } else {
            self.run_step(child, deadline)
        }
    }

    /// Runs the children of a parallel step at the same time, on a bounded
    /// pool: up to [`MAX_CONCURRENT_STEPS`] threads per run, this thread
    /// included. A thread that cannot be started (a process limit) leaves
    /// its children to the threads that could; nothing panics.
    fn run_parallel(
        &self,
        step: &Step,
        steps: &'a [Step],
        deadline: Option<Instant>,
    ) -> AttemptEnd {
        let queue: Mutex<std::collections::VecDeque<(usize, &'a Step)>> =
            Mutex::new(steps.iter().enumerate().collect());
        let flows: Mutex<Vec<Option<Flow>>> = Mutex::new(vec![None; steps.len()]);
        let work = || {
            loop {
                let next = queue
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner())
                    .pop_front();
                let Some((position, child)) = next else {
                    break;
                };
                let flow = self.run_child(child, deadline);
                flows.lock().unwrap_or_else(|poison| poison.into_inner())[position] = Some(flow);
            }
        };
        std::thread::scope(|scope| {
            let mut helpers = Vec::new();
            for _ in 1..steps.len() {
                if !self.take_slot() {
                    break;
                }
                match std::thread::Builder::new()
                    .name(format!("qwf-{}", step.id))
                    .spawn_scoped(scope, work)
                {
                    Ok(handle) => helpers.push(handle),
                    Err(_) => {
                        self.give_slot();
                        break;
                    }
                }
            }
            work();
            for handle in helpers {
                let _ = handle.join();
                self.give_slot();
            }
        });
        let flows: Vec<(String, Flow)> = steps
            .iter()
            .zip(
                flows
                    .into_inner()
                    .unwrap_or_else(|poison| poison.into_inner()),
            )
            .map(|(child, flow)| (child.id.clone(), flow.unwrap_or(Flow::Failed)))
            .collect();
        if flows.iter().any(|(_, flow)| *flow == Flow::Cancelled) {
            return AttemptEnd::Cancelled;
        }
        let failed: Vec<&str> = flows
            .iter()
            .filter(|(_, flow)| *flow == Flow::Failed)
            .map(|(id, _)| id.as_str())
            .collect();
        if failed.is_empty() {
            AttemptEnd::Done(JsonMap::new())
        } else if let Some(expired) = expired_timeout(step, deadline) {
            AttemptEnd::Failed(Failure::new("timeout", expired))
        } else {
            AttemptEnd::Failed(Failure::new(
                "step_failed",
                format!(
                    "{} failed: {}",
                    if failed.len() == 1 { "step" } else { "steps" },
                    failed.join(", ")
                ),
            ))
        }
    }

    fn take_slot(&self) -> bool {
        self.slots
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |free| {
                free.checked_sub(1)
            })
            .is_ok()
    }

    fn give_slot(&self) {
        self.slots.fetch_add(1, Ordering::AcqRel);
    }

    fn run_conditional(
        &self,
        step: &'a Step,
        then: &'a [Step],
        otherwise: &'a [Step],
        deadline: Option<Instant>,
    ) -> AttemptEnd {
        let Some(condition) = self.plan.conditions.get(&step.id) else {
            return AttemptEnd::Failed(
                Failure::new("condition", "the condition was not parsed").permanent(),
            );
        };
        let truth = match attempt::evaluate_condition(condition, &|text| self.lookup(text)) {
            Ok(truth) => truth,
            Err(failure) => return AttemptEnd::Failed(failure),
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
                AttemptEnd::Done(outputs)
            }
            Flow::Cancelled => AttemptEnd::Cancelled,
            Flow::Failed => match expired_timeout(step, deadline) {
                Some(expired) => AttemptEnd::Failed(Failure::new("timeout", expired)),
                None => AttemptEnd::Failed(Failure::new(
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
