//! How a command ends: an outcome (exit code) or an error with a hint.

use std::fmt;

/// Exit codes of §1: 0 done, 1 error, 2 usage error, 3 refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed,
    Usage,
    /// Nothing applied because the gate or a rule refused.
    Refused,
    /// Stopped by Ctrl-C.
    Interrupted,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Failed => 1,
            Outcome::Usage => 2,
            Outcome::Refused => 3,
            Outcome::Interrupted => 130,
        }
    }
}

/// An error as the user sees it: what went wrong, and what to do.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub hint: Option<String>,
    pub outcome: Outcome,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hint: None,
            outcome: Outcome::Failed,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(error: crate::store::StoreError) -> Self {
        let hint = error.hint();
        let mut cli = CliError::new(error.to_string()).with_hint(hint);
        // Refused, not failed: nothing was applied because a rule said no.
        if error.is_refusal() {
            cli.outcome = Outcome::Refused;
        }
        cli
    }
}

/// A gate or rule said no: nothing was applied (exit 3).
pub fn refused(message: impl Into<String>, hint: impl Into<String>) -> CliError {
    CliError {
        message: message.into(),
        hint: Some(hint.into()),
        outcome: Outcome::Refused,
    }
}
