//! A model that plays back a script of replies: for tests, and for replaying
//! recorded conversations. It records every request it receives.

use std::cell::RefCell;
use std::collections::VecDeque;

use super::model::{Message, Model, ModelError, ModelReply, ModelRequest, ToolCall};

pub struct ScriptedModel {
    replies: RefCell<VecDeque<ModelReply>>,
    /// The messages of every request, in order.
    pub requests: RefCell<Vec<Vec<Message>>>,
}

impl ScriptedModel {
    pub fn new(replies: impl IntoIterator<Item = ModelReply>) -> Self {
        ScriptedModel {
            replies: RefCell::new(replies.into_iter().collect()),
            requests: RefCell::new(Vec::new()),
        }
    }

    /// A reply that calls one tool.
    pub fn call(id: &str, name: &str, arguments: serde_json::Value) -> ModelReply {
        ModelReply {
            text: String::new(),
            tool_calls: vec![ToolCall {
                id: id.to_string(),
                name: name.to_string(),
                arguments,
            }],
            usage: Default::default(),
        }
    }

    /// A final text reply.
    pub fn text(text: &str) -> ModelReply {
        ModelReply {
            text: text.to_string(),
            tool_calls: Vec::new(),
            usage: Default::default(),
        }
    }
}

impl Model for ScriptedModel {
    fn describe(&self) -> String {
        "scripted".into()
    }

    fn respond(&self, request: &ModelRequest<'_>) -> Result<ModelReply, ModelError> {
        self.requests.borrow_mut().push(request.messages.to_vec());
        self.replies
            .borrow_mut()
            .pop_front()
            .ok_or_else(|| ModelError::Call {
                message: "the script has no more replies".into(),
                hint: "add a reply to the script".into(),
            })
    }
}
