//! The agent layer: a language model calling typed tools, with every
//! mutating call stopped at a confirmation gate. Decisions are data here;
//! the terminal questions live in the CLI.

pub mod config;
pub mod eval;
pub mod gate;
pub mod mcp_probe;
pub mod model;
pub mod offline;
pub mod prompts;
pub mod providers;
pub mod recover;
pub mod resources;
pub mod scope;
pub mod scripted;
pub mod session;
pub mod status;
pub mod tools;
