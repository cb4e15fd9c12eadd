//! The engine: a pure model of workflows and of what changes do to them.
//!
//! Nothing here touches the filesystem, the terminal, the clock, the
//! environment or the network; everything is a function of its arguments,
//! which is what lets the outer layers preview a change before applying it.

pub mod condition;
pub mod diff;
pub mod impact;
pub mod locate;
pub mod merge;
pub mod model;
pub mod modification;
pub mod names;
pub mod patch;
pub mod ranking;
pub mod reference;
pub mod schema;
pub mod skill;
pub mod skill_env;
pub mod stub;
pub mod suggest;
pub mod tree;
pub mod validation;

#[cfg(test)]
mod testing;

pub use diff::{Change, SemanticDiff, modifications_between, semantic_diff, text_diff};
pub use impact::{Evaluation, Impact, Verdict, evaluate, evaluate_result};
pub use merge::{Conflict, Merged, Resolutions, Resolved, Side, merge, merge_resolving};
pub use model::{Container, ErrorHandling, ParseError, Step, StepKind, Workflow};
pub use modification::{ApplyError, Modification, apply};
pub use validation::{Issue, IssueCode, KnownResources, Report, Severity, validate};
