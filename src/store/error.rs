//! Store errors: each says which file or workflow, what went wrong, and what
//! to do about it.

use std::path::PathBuf;

use thiserror::Error;

use crate::core::names::NameError;
use crate::core::{ApplyError, ParseError};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    InvalidName(#[from] NameError),

    #[error("there is no workflow '{name}'")]
    NoSuchWorkflow {
        name: String,
        suggestion: Option<String>,
    },

    #[error("workflow '{name}' has no version {version} (versions are 1 to {latest})")]
    NoSuchVersion {
        name: String,
        version: u64,
        latest: u64,
    },

    #[error("workflow '{name}' already exists")]
    AlreadyExists { name: String },

    #[error("workflow '{name}' was deleted")]
    Deleted { name: String, latest: u64 },

    #[error("{path}:{line}:{column}: {message}")]
    InvalidWorkflowFile {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("the version log {path} is corrupt at line {line}: {message}")]
    CorruptLog {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("version file {path} is missing or unreadable: {message}")]
    CorruptVersion { path: PathBuf, message: String },

    #[error(
        "the change no longer applies to version {head} of '{name}' (it was made for version {base}): {reason}"
    )]
    Stale {
        name: String,
        base: u64,
        head: u64,
        reason: String,
    },

    #[error("{0}")]
    Apply(#[from] ApplyError),

    #[error("{message}")]
    Invalid { message: String, hint: String },

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub fn parse(path: impl Into<PathBuf>, error: ParseError) -> Self {
        StoreError::InvalidWorkflowFile {
            path: path.into(),
            line: error.line,
            column: error.column,
            message: error.message,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            StoreError::InvalidName(error) => error.hint.clone(),
            StoreError::NoSuchWorkflow { suggestion: Some(close), .. } => format!("did you mean '{close}'? `qwf list` shows every workflow"),
            StoreError::NoSuchWorkflow { .. } => "`qwf list` shows every workflow; `qwf create \"...\"` makes a new one".into(),
            StoreError::NoSuchVersion { name, .. } => format!("`qwf history {name}` lists the versions"),
            StoreError::AlreadyExists { .. } => "choose another name, or delete the existing workflow first".into(),
            StoreError::Deleted { name, latest } => {
                format!("its history is kept: `qwf history {name}` lists it and `qwf rollback {name} --to {latest}` restores it")
            }
            StoreError::InvalidWorkflowFile { .. } => {
                "the file was edited by hand and is not valid JSON; fix it at that place (qwf never overwrites it), or restore a version with `qwf rollback`".into()
            }
            StoreError::CorruptLog { .. } => {
                "the version files in workflows/.versions are intact; fix or remove the damaged line (a backup copy of the log is wise first)".into()
            }
            StoreError::CorruptVersion { .. } => "restore the file from a backup, or roll back to another version".into(),
            StoreError::Stale { name, .. } => format!("look at what changed with `qwf history {name}` and make the change again"),
            StoreError::Apply(error) => error.hint.clone(),
            StoreError::Invalid { hint, .. } => hint.clone(),
            StoreError::Io { .. } => "check that the qwf home exists and is writable (set another one with --home or QWF_HOME)".into(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
