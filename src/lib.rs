//! qwf: create and evolve workflows through conversation.
//!
//! Layers, inner to outer (outer may use inner, never the reverse):
//! [`core`] (pure engine) → store → agent → [`cli`] (the only layer that prints)
//! and [`mcp`] (the MCP server, which talks the protocol on stdout).

pub mod agent;
pub mod cli;
pub mod core;
pub mod guard;
pub mod mcp;
pub mod run;
pub mod store;
