//! Steps a model answers: agent steps and `prompt_inline`/`conversation`
//! skills. The prompt (the skill's `command`, or the agent's name and the
//! step's description) goes as system text, the inputs as a JSON user
//! message; the reply is parsed like a code step's stdout.
//!
//! qwf has no tool runtime during runs: a tool call named in
//! `guardrails.allowed_tools` is answered "not available in qwf run", any
//! other is refused; `max_iterations` bounds the exchanges.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::ModelFactory;
use super::attempt::Failure;
use super::inputs::{parse_outputs, strip_fence};
use crate::agent::model::{Message, ModelError, ModelRequest};
use crate::core::model::JsonMap;

/// Exchanges allowed when a step sets no `max_iterations`.
pub const DEFAULT_MAX_ITERATIONS: u32 = 5;

pub struct ModelCall {
    pub step_id: String,
    pub prompt: String,
    pub inputs: JsonMap,
    pub outputs: Vec<String>,
    pub allowed_tools: Vec<String>,
    pub max_iterations: u32,
}

pub enum ModelEnd {
    Answered(JsonMap),
    Failed(Failure),
    Cancelled,
}

fn system_text(call: &ModelCall) -> String {
    let shape = match call.outputs.as_slice() {
        [] => "Reply with your answer.".to_string(),
        [only] => format!(
            "Reply with a JSON object with the key \"{only}\", or with the value of {only} alone as plain text."
        ),
        several => format!(
            "Reply with only a JSON object with the keys {}.",
            several
                .iter()
                .map(|name| format!("\"{name}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "{}\n\nYou are step '{}' of a workflow run. The user message holds the step's inputs as JSON. {shape} No tools can be run during a workflow run.",
        call.prompt.trim(),
        call.step_id
    )
}

fn converse(factory: &ModelFactory, call: &ModelCall) -> ModelEnd {
    let model = match factory() {
        Ok(model) => model,
        Err(error) => return ModelEnd::Failed(model_failure(error)),
    };
    let mut messages = vec![
        Message::System {
            text: system_text(call),
        },
        Message::User {
            text: serde_json::Value::Object(call.inputs.clone()).to_string(),
        },
    ];
    for _ in 0..call.max_iterations {
        let reply = match model.respond(&ModelRequest {
            messages: &messages,
            tools: &[],
        }) {
            Ok(reply) => reply,
            Err(ModelError::Cancelled) => return ModelEnd::Cancelled,
            Err(error) => return ModelEnd::Failed(model_failure(error)),
        };
        if reply.tool_calls.is_empty() {
            return match parse_outputs(strip_fence(&reply.text), &call.outputs) {
                Ok(outputs) => ModelEnd::Answered(outputs),
                Err(message) => ModelEnd::Failed(Failure::new(
                    "bad_output",
                    format!("the model's reply does not fit the step's outputs: {message}"),
                )),
            };
        }
        let calls = reply.tool_calls.clone();
        messages.push(Message::Assistant {
            text: reply.text,
            tool_calls: reply.tool_calls,
        });
        for tool_call in calls {
            let content = if call.allowed_tools.contains(&tool_call.name) {
                format!(
                    "tool '{}' is allowed for this step but not available in qwf run; answer without it",
                    tool_call.name
                )
            } else {
                format!(
                    "refused: tool '{}' is not in this step's allowed_tools",
                    tool_call.name
                )
            };
            messages.push(Message::Tool {
                call_id: tool_call.id,
                name: tool_call.name,
                content,
                is_error: true,
            });
        }
    }
    ModelEnd::Failed(Failure::new(
        "model",
        format!(
            "the model did not answer within {} exchanges (max_iterations)",
            call.max_iterations
        ),
    ))
}

fn model_failure(error: ModelError) -> Failure {
    let hint = error.hint();
    Failure::new("model", format!("{error} ({hint})"))
}

/// Runs the exchange on its own thread so a deadline or Ctrl-C can end the
/// wait; an abandoned call finishes (or is cancelled by the provider) on
/// its own.
pub fn run(
    factory: &std::sync::Arc<ModelFactory>,
    call: ModelCall,
    deadline: Option<Instant>,
    is_cancelled: &dyn Fn() -> bool,
) -> ModelEnd {
    let (sender, receiver) = mpsc::channel();
    let factory = std::sync::Arc::clone(factory);
    let started = std::thread::Builder::new()
        .name("qwf-model".into())
        .spawn(move || {
            let _ = sender.send(converse(factory.as_ref(), &call));
        });
    if let Err(error) = started {
        return ModelEnd::Failed(Failure::new(
            "spawn",
            format!("cannot start a thread for the model call: {error}"),
        ));
    }
    loop {
        let mut wait = Duration::from_millis(25);
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return ModelEnd::Failed(Failure::new(
                    "timeout",
                    "the model did not answer before the step's timeout",
                ));
            }
            wait = wait.min(left);
        }
        match receiver.recv_timeout(wait) {
            Ok(end) => return end,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return ModelEnd::Failed(Failure::new(
                    "model",
                    "the model call ended without an answer",
                ));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if is_cancelled() {
                    return ModelEnd::Cancelled;
                }
            }
        }
    }
}
