//! The agent layer: a language model calling typed tools, with every
//! mutating call stopped at a confirmation gate. Decisions are data here;
//! the terminal questions live in the CLI.

pub mod model;
