//! One file per command.

pub mod apply;
pub mod branch;
pub mod chat;
pub mod completions;
pub mod create;
pub mod delete;
pub mod diff;
pub mod do_request;
pub mod edit;
pub mod eval;
pub mod export;
pub mod history;
pub mod import;
pub mod list;
pub mod merge;
pub mod model;
pub mod refine;
pub mod resources;
pub mod rollback;
pub mod run;
pub mod runs;
pub mod schema;
pub mod show;
pub mod skill;
pub mod undo;
pub mod validate;
