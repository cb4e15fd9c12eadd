//! `qwf mcp`: qwf as an MCP server over stdio, for hosts such as Amazon Q
//! CLI, Kiro and Claude Code. An outer layer, like the CLI: it speaks the
//! protocol on stdout (nothing else is ever written there; tracing goes to
//! stderr) and uses the agent, store and core layers for everything else.
//!
//! Reading tools answer at once. Changes are two-phase: a proposing tool
//! (`propose_modification`, `edit_workflow`, `create_workflow`, `rollback`)
//! evaluates the change exactly as qwf's own gate does, applies nothing,
//! and saves it as a plan (`QWF_HOME/plans/`); `apply_plan` applies it as a
//! new version, with the rules of `qwf apply`.

pub mod install;
mod plans;
mod server;
mod text;
mod tools;

use std::path::PathBuf;
use std::time::SystemTime;

use crate::agent::config::ModelFlags;
use crate::store::discovery::Roots;
use crate::store::{Context, Store};

pub use server::serve;

/// Where the time comes from: pinned (`QWF_TIMESTAMP`, for scripts and
/// tests) or the system clock, read at every call since the server runs
/// for hours.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    Pinned(SystemTime),
    System,
}

impl Clock {
    pub fn now(self) -> SystemTime {
        match self {
            Clock::Pinned(time) => time,
            Clock::System => SystemTime::now(),
        }
    }
}

/// What the server needs from the command line and the environment.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The qwf home served.
    pub home: PathBuf,
    /// Where discovery looks (the user's home, the workspace).
    pub roots: Roots,
    pub clock: Clock,
    /// The model `edit_workflow` and `create_workflow` use (flags over the
    /// environment and `config.toml`, as for `qwf edit`).
    pub model: ModelFlags,
}

impl ServerSettings {
    fn store(&self) -> Store {
        Store::new(&self.home).with_roots(self.roots.clone())
    }

    /// The store context for one call: its time, and a note on stderr
    /// while another process holds a workflow's lock.
    fn context(&self, now: SystemTime) -> Context<'static> {
        Context {
            now: humantime::format_rfc3339_seconds(now).to_string(),
            on_wait: &|| {
                eprintln!("Waiting for another qwf process to finish with this workflow...")
            },
        }
    }
}
