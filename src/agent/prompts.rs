//! Prompt texts, compiled in from `prompts/` so a prompt change is a
//! reviewed code change.

/// The system prompt of every conversation.
pub const SYSTEM: &str = include_str!("../../prompts/system.md");

/// Added when the request edits an existing workflow (`qwf edit`).
pub const EDIT: &str = include_str!("../../prompts/edit.md");

/// Added when the request creates a workflow (`qwf create`).
pub const CREATE: &str = include_str!("../../prompts/create.md");
