//! Running workflows (`qwf run`): preflight, then the steps with the
//! semantics of the format: retries with backoff, timeouts that stop a
//! step's whole process group, `continue` / `fallback` / `fail`, parallel
//! and conditional steps, Ctrl-C.
//!
//! Layer 3, beside `agent`: it starts processes and calls models, but
//! prints nothing; progress goes out as [`Event`]s and the result comes back
//! as run records for the store.

pub mod attempt;
pub mod environment;
mod execute;
mod inputs;
mod model_step;
mod preflight;
mod process;
pub mod remote;
pub mod retry;
pub mod temporal;

use crate::agent::model::{Model, ModelError};

pub use attempt::Failure;
pub use execute::{Event, Finished, MAX_CONCURRENT_STEPS, Options, execute, records_in_order};
pub use inputs::{env_name, parse_outputs};
pub use model_step::DEFAULT_MAX_ITERATIONS;
pub use preflight::{
    ModelAvailability, ModelStep, OverrideError, Plan, PreflightInput, Problem, parse_overrides,
    preflight,
};

/// Builds the model a model step talks to (one per attempt, on the step's
/// own thread).
pub type ModelFactory = dyn Fn() -> Result<Box<dyn Model>, ModelError> + Send + Sync;
