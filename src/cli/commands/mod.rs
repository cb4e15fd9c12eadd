//! One file per command.

pub mod schema;
pub mod validate;
