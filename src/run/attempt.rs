//! One attempt of one step that does work (a skill or an agent): its inputs
//! resolved from the context and what earlier steps produced, the command
//! run (or the model asked), the outputs read, or the failure classified.
//!
//! This is the only implementation of a step's semantics. `qwf run` calls
//! it from its executor; `qwf step` (one attempt, JSON in and out, what a
//! Temporal worker runs) calls it with the same arguments read from JSON.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ModelFactory;
use super::inputs::{env_name, env_value, parse_outputs, stderr_tail};
use super::model_step::{self, DEFAULT_MAX_ITERATIONS, ModelCall, ModelEnd};
use super::process::{self, ProcessEnd, ProcessSpec};
use crate::core::condition::Condition;
use crate::core::model::{JsonMap, Step, StepKind};
use crate::core::reference::{self, Reference};
use crate::core::skill::{Skill, SkillType};

/// Why an attempt failed: a kind from the fixed vocabulary (`spawn`,
/// `exit_code:N`, `signal`, `timeout`, `bad_output`, `model`, `input`,
/// `condition`, `step_failed`) and a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Retrying cannot help (an input that is missing stays missing).
    #[serde(default)]
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

    pub fn permanent(mut self) -> Self {
        self.permanent = true;
        self
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptEnd {
    Done(JsonMap),
    Failed(Failure),
    Cancelled,
}

/// What later steps can read of a step that has run (or not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Available {
    Outputs {
        outputs: JsonMap,
    },
    /// Failed and continued past: it has no outputs.
    Continued,
    Skipped {
        reason: String,
    },
    Failed,
    Cancelled,
}

/// The value of `context.KEY` or `STEP.OUTPUT`, or why there is none.
/// `is_step` says which first words name steps; `produced` what a step
/// left for its readers.
pub fn lookup(
    text: &str,
    is_step: &dyn Fn(&str) -> bool,
    context: &JsonMap,
    produced: &dyn Fn(&str) -> Option<Available>,
) -> Result<Value, String> {
    match reference::parse(text, is_step) {
        Some(Reference::Context { key }) => context
            .get(key)
            .cloned()
            .ok_or_else(|| format!("the context has no key '{key}'")),
        Some(Reference::Step { step, output }) => match produced(step) {
            Some(Available::Outputs { outputs }) => outputs
                .get(output)
                .cloned()
                .ok_or_else(|| format!("step '{step}' has no output '{output}'")),
            Some(Available::Continued) => Err(format!(
                "step '{step}' failed and was continued past; it has no output '{output}'"
            )),
            Some(Available::Skipped { reason }) => {
                Err(format!("step '{step}' was skipped ({reason})"))
            }
            Some(Available::Failed) => {
                Err(format!("step '{step}' failed; it has no output '{output}'"))
            }
            Some(Available::Cancelled) => Err(format!("step '{step}' was cancelled")),
            None => Err(format!("step '{step}' has not run yet")),
        },
        None => Err(format!("'{text}' is not a reference")),
    }
}

/// A step's inputs with references replaced by their values.
pub fn resolve_inputs(
    step: &Step,
    is_step: &dyn Fn(&str) -> bool,
    lookup: &dyn Fn(&str) -> Result<Value, String>,
) -> Result<JsonMap, Failure> {
    let mut resolved = JsonMap::new();
    for (name, value) in &step.inputs {
        let value = match value
            .as_str()
            .and_then(|text| reference::parse(text, is_step).map(|_| text))
        {
            Some(text) => lookup(text).map_err(|message| {
                Failure::new("input", format!("input '{name}' ({text}): {message}")).permanent()
            })?,
            None => value.clone(),
        };
        resolved.insert(name.clone(), value);
    }
    Ok(resolved)
}

/// A conditional's condition, evaluated: true takes `then`.
pub fn evaluate_condition(
    condition: &Condition,
    lookup: &dyn Fn(&str) -> Result<Value, String>,
) -> Result<bool, Failure> {
    condition.evaluate(lookup).map_err(|error| {
        Failure::new(
            "condition",
            format!("its condition cannot be evaluated: {error}"),
        )
        .permanent()
    })
}

/// Everything one attempt of a skill or agent step needs besides its
/// inputs.
pub struct Leaf<'a> {
    pub step: &'a Step,
    /// The skill a skill step runs (`None` for an agent step).
    pub skill: Option<&'a Skill>,
    /// A code skill's command, split into words.
    pub argv: Option<&'a [String]>,
    /// Where a code skill runs.
    pub cwd: &'a Path,
    /// An agent step's instructions, when discovery found the agent.
    pub agent_instructions: Option<&'a str>,
}

/// How an attempt reaches the outside world.
pub struct Surroundings<'a> {
    pub is_cancelled: &'a (dyn Fn() -> bool + Sync),
    pub models: Option<&'a Arc<ModelFactory>>,
    /// qwf's own environment, from which a code skill gets the documented
    /// variables and the ones it names (never the whole of it).
    pub environment: &'a [(String, String)],
}

/// Whether a leaf runs a command (its attempts then report exit codes).
pub fn is_code(skill: Option<&Skill>) -> bool {
    skill.is_some_and(|skill| {
        matches!(
            skill.skill_type,
            SkillType::CodeInline | SkillType::CodeSession
        )
    })
}

fn declared_outputs(step: &Step, skill_outputs: &[String]) -> Vec<String> {
    if step.outputs.is_empty() {
        skill_outputs.to_vec()
    } else {
        step.outputs.clone()
    }
}

/// Runs one attempt of a skill or agent step with its resolved inputs.
pub fn run_leaf(
    leaf: &Leaf<'_>,
    inputs: JsonMap,
    number: u32,
    deadline: Option<Instant>,
    around: &Surroundings<'_>,
) -> AttemptEnd {
    let step = leaf.step;
    match &step.kind {
        StepKind::Skill { skill: name } => {
            let Some(skill) = leaf.skill else {
                return AttemptEnd::Failed(
                    Failure::new("spawn", format!("skill '{name}' does not exist")).permanent(),
                );
            };
            let skill_outputs = skill.output_list();
            // A step declaring one output names the skill's one output as
            // it likes: read the skill's name, store the step's.
            let renamed = match (step.outputs.as_slice(), skill_outputs.as_slice()) {
                ([alias], [original]) if alias != original => {
                    Some((original.clone(), alias.clone()))
                }
                _ => None,
            };
            let outputs = match &renamed {
                Some((original, _)) => vec![original.clone()],
                None => declared_outputs(step, &skill_outputs),
            };
            let end = match skill.skill_type {
                SkillType::CodeInline | SkillType::CodeSession => {
                    let Some(argv) = leaf.argv.filter(|argv| !argv.is_empty()) else {
                        return AttemptEnd::Failed(
                            Failure::new("spawn", format!("skill '{name}' has no command"))
                                .permanent(),
                        );
                    };
                    let code = Code {
                        skill,
                        argv,
                        cwd: leaf.cwd,
                    };
                    run_code(step, &code, inputs, &outputs, number, deadline, around)
                }
                SkillType::PromptInline | SkillType::Conversation => run_model(
                    step,
                    ModelCall {
                        step_id: step.id.clone(),
                        prompt: skill.command.clone(),
                        inputs,
                        outputs,
                        allowed_tools: Vec::new(),
                        max_iterations: DEFAULT_MAX_ITERATIONS,
                    },
                    deadline,
                    around,
                ),
            };
            match (end, renamed) {
                (AttemptEnd::Done(mut parsed), Some((original, alias))) => {
                    if let Some(value) = parsed.remove(&original) {
                        parsed.insert(alias, value);
                    }
                    AttemptEnd::Done(parsed)
                }
                (end, _) => end,
            }
        }
        StepKind::Agent {
            agent, guardrails, ..
        } => {
            let mut prompt = match leaf.agent_instructions {
                Some(instructions) => instructions.to_string(),
                None => format!("You are the agent '{agent}'."),
            };
            if let Some(description) = &step.description {
                prompt.push_str(&format!("\n\nYour task in this step: {description}"));
            }
            run_model(
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
                around,
            )
        }
        StepKind::Parallel { .. } | StepKind::Conditional { .. } => AttemptEnd::Failed(
            Failure::new(
                "spawn",
                format!(
                    "step '{}' holds other steps; it is not one attempt",
                    step.id
                ),
            )
            .permanent(),
        ),
        StepKind::Unknown { type_name } => AttemptEnd::Failed(
            Failure::new("spawn", format!("step type '{type_name}' cannot run")).permanent(),
        ),
    }
}

/// What runs for a code skill.
struct Code<'a> {
    skill: &'a Skill,
    argv: &'a [String],
    cwd: &'a Path,
}

fn run_code(
    step: &Step,
    code: &Code<'_>,
    inputs: JsonMap,
    outputs: &[String],
    number: u32,
    deadline: Option<Instant>,
    around: &Surroundings<'_>,
) -> AttemptEnd {
    // Linux caps one environment string at 128 KiB and none may hold a
    // NUL: such values reach the step on stdin only.
    const ENV_LIMIT: usize = 64 * 1024;
    let Code { skill, argv, cwd } = *code;
    // Never qwf's own environment (it holds the provider keys): the
    // documented variables, the ones the skill names, the step's own.
    let named = crate::core::skill_env::requested(skill);
    let mut env = super::environment::skill_base(around.environment, &named);
    env.extend(
        inputs
            .iter()
            .map(|(name, value)| (env_name(name), env_value(value)))
            .filter(|(_, value)| value.len() <= ENV_LIMIT && !value.contains('\0')),
    );
    env.push(("QWF_STEP_ID".into(), step.id.clone()));
    env.push(("QWF_ATTEMPT".into(), number.to_string()));
    let stdin = serde_json::to_vec(&Value::Object(inputs)).unwrap_or_default();
    let spec = ProcessSpec {
        argv,
        cwd,
        env: &env,
        stdin: &stdin,
        deadline,
    };
    match process::run(&spec, around.is_cancelled) {
        ProcessEnd::SpawnFailed(error) => AttemptEnd::Failed(Failure::new(
            "spawn",
            format!("cannot start '{}' (in {}): {error}", argv[0], cwd.display()),
        )),
        ProcessEnd::Cancelled => AttemptEnd::Cancelled,
        ProcessEnd::TimedOut { stderr } => {
            // Its own timeout, or the one of a parallel/conditional step
            // around it that ran out first.
            let seconds = step.timeout_secs.map_or_else(
                || "the time of the step around it".to_string(),
                |seconds| format!("{seconds} s"),
            );
            let tail = stderr_tail(&stderr);
            AttemptEnd::Failed(Failure::new(
                "timeout",
                if tail.is_empty() {
                    format!("timed out after {seconds}; its processes were stopped")
                } else {
                    format!("timed out after {seconds}; its processes were stopped; stderr: {tail}")
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
                return AttemptEnd::Failed(match status.code() {
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
                return AttemptEnd::Failed(Failure::new(
                    "bad_output",
                    "it printed more than 16 MiB on stdout",
                ));
            }
            let text = String::from_utf8_lossy(&stdout);
            match parse_outputs(&text, outputs) {
                Ok(parsed) => AttemptEnd::Done(parsed),
                Err(message) => AttemptEnd::Failed(Failure::new("bad_output", message)),
            }
        }
    }
}

fn run_model(
    step: &Step,
    call: ModelCall,
    deadline: Option<Instant>,
    around: &Surroundings<'_>,
) -> AttemptEnd {
    let Some(factory) = around.models else {
        return AttemptEnd::Failed(
            Failure::new(
                "model",
                format!("step '{}' needs a model and none is set up", step.id),
            )
            .permanent(),
        );
    };
    match model_step::run(factory, call, deadline, around.is_cancelled) {
        ModelEnd::Answered(outputs) => AttemptEnd::Done(outputs),
        ModelEnd::Failed(failure) => AttemptEnd::Failed(failure),
        ModelEnd::Cancelled => AttemptEnd::Cancelled,
    }
}

/// `now + seconds`, or `None` when that is past what the clock can hold
/// (validation bounds timeouts, but a runner must never panic).
pub fn deadline_after(now: Instant, seconds: u64) -> Option<Instant> {
    now.checked_add(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_read_what_steps_left() {
        let context: JsonMap = serde_json::from_value(json!({"url": "u"})).unwrap();
        let is_step = |id: &str| id == "fetch" || id == "opt";
        let produced = |id: &str| match id {
            "fetch" => Some(Available::Outputs {
                outputs: serde_json::from_value(json!({"data": 1})).unwrap(),
            }),
            "opt" => Some(Available::Continued),
            _ => None,
        };
        let read = |text: &str| lookup(text, &is_step, &context, &produced);
        assert_eq!(read("context.url"), Ok(json!("u")));
        assert_eq!(read("fetch.data"), Ok(json!(1)));
        assert!(read("opt.x").unwrap_err().contains("continued past"));
        assert!(read("context.nope").unwrap_err().contains("no key 'nope'"));
    }

    #[test]
    fn a_deadline_past_the_clock_is_none_not_a_panic() {
        assert!(deadline_after(Instant::now(), u64::MAX).is_none());
        assert!(deadline_after(Instant::now(), 5).is_some());
    }

    #[test]
    fn available_states_have_a_stable_json_shape() {
        let value = serde_json::to_value(Available::Skipped { reason: "r".into() }).unwrap();
        assert_eq!(value, json!({"state": "skipped", "reason": "r"}));
        let back: Available = serde_json::from_value(json!({"state": "continued"})).unwrap();
        assert_eq!(back, Available::Continued);
    }
}
