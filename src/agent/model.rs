//! What the agent loop needs from a language model: given the conversation
//! and the tools, reply with text and/or tool calls. Providers (through
//! `rig`), the offline planner and scripted test models all implement
//! [`Model`], so they run behind the same loop and the same gate.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// One message of the conversation, in provider-neutral form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    System {
        text: String,
    },
    User {
        text: String,
    },
    Assistant {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call, sent back to the model.
    Tool {
        call_id: String,
        name: String,
        content: String,
        is_error: bool,
    },
}

/// A tool call as the model made it: arguments are raw JSON until checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// JSON Schema of the arguments.
    pub parameters: Value,
}

/// What the model is asked.
#[derive(Debug, Clone)]
pub struct ModelRequest<'a> {
    pub messages: &'a [Message],
    pub tools: &'a [ToolSpec],
}

/// Token counts, when the provider reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
    }
}

/// The model's answer to one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelReply {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
}

#[derive(Debug, Error)]
pub enum ModelError {
    /// The provider cannot be used as configured (missing key, bad URL).
    #[error("{message}")]
    Setup { message: String, hint: String },
    /// The provider was reached but the call failed.
    #[error("the model call failed: {message}")]
    Call { message: String, hint: String },
    /// The model answered, but its answer was cut off at the answer length
    /// (`max_tokens`): a model's failure, not the server's.
    #[error("{message}")]
    Truncated { message: String, hint: String },
    /// The user interrupted the call (Ctrl-C).
    #[error("cancelled")]
    Cancelled,
}

impl ModelError {
    pub fn hint(&self) -> String {
        match self {
            ModelError::Setup { hint, .. }
            | ModelError::Call { hint, .. }
            | ModelError::Truncated { hint, .. } => hint.clone(),
            ModelError::Cancelled => "the request was interrupted; nothing was applied".into(),
        }
    }
}

/// A language model behind the agent loop.
pub trait Model {
    /// A short description for `qwf model` ("openai gpt-4o-mini").
    fn describe(&self) -> String;

    /// Whether the loop should remind this model, once, when it answers an
    /// edit or a creation in prose without proposing anything. Language
    /// models forget their tools; a deterministic planner answers in prose
    /// only on purpose.
    fn needs_reminders(&self) -> bool {
        true
    }

    /// One completion: the reply to the conversation so far.
    fn respond(&self, request: &ModelRequest<'_>) -> Result<ModelReply, ModelError>;

    /// Like [`Model::respond`], handing `on_text` the reply's text as it
    /// arrives. Models that do not stream hand it over whole.
    fn respond_streaming(
        &self,
        request: &ModelRequest<'_>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<ModelReply, ModelError> {
        let reply = self.respond(request)?;
        if !reply.text.is_empty() {
            on_text(&reply.text);
        }
        Ok(reply)
    }
}

/// Cancelling the model call in flight (Ctrl-C). The CLI's signal handler
/// raises the flag; provider adapters stop waiting and return
/// [`ModelError::Cancelled`].
pub mod cancel {
    use std::sync::atomic::{AtomicBool, Ordering};

    static REQUESTED: AtomicBool = AtomicBool::new(false);
    /// Sticky: every call from now on is cancelled (`qwf eval` stopping).
    static STOPPING: AtomicBool = AtomicBool::new(false);

    pub fn request() {
        REQUESTED.store(true, Ordering::SeqCst);
    }

    /// Cancel the call in flight and every later one: the whole command
    /// is stopping.
    pub fn stop() {
        STOPPING.store(true, Ordering::SeqCst);
        request();
    }

    pub fn is_requested() -> bool {
        REQUESTED.load(Ordering::SeqCst) || STOPPING.load(Ordering::SeqCst)
    }

    /// Whether [`stop`] was called.
    pub fn is_stopping() -> bool {
        STOPPING.load(Ordering::SeqCst)
    }

    /// Clears the flag before a new call ([`stop`] stays).
    pub fn reset() {
        REQUESTED.store(false, Ordering::SeqCst);
    }
}
