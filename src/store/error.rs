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

    /// The head moved after it was shown; a decision made on what was
    /// shown is not carried out on something else.
    #[error(
        "'{name}' changed since v{shown} was shown: {}; nothing was changed",
        describe_moved(.saved)
    )]
    Moved {
        name: String,
        shown: u64,
        /// The versions saved meanwhile: number and description.
        saved: Vec<(u64, String)>,
    },

    /// The current file was saved by hand while a change was about to be
    /// written; the change is not written over it.
    #[error(
        "{path} was edited by hand while the change to '{name}' was being saved; nothing was changed"
    )]
    EditedMeanwhile { name: String, path: PathBuf },

    /// The change would make a version equal to the head.
    #[error("the change leaves '{name}' as it is at v{version}: there is nothing to save")]
    Unchanged { name: String, version: u64 },

    /// The version was committed; what came after failed.
    #[error("v{version} of '{name}' was saved, but {what}")]
    AfterCommit {
        name: String,
        version: u64,
        what: String,
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

    /// Nothing was done because a rule refused (exit 3 on the command
    /// line), rather than because something failed.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::Stale { .. }
                | StoreError::Moved { .. }
                | StoreError::EditedMeanwhile { .. }
                | StoreError::Unchanged { .. }
        )
    }

    /// The home cannot be written (a read-only file system, or no
    /// permission): reads go on without recording anything.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            StoreError::Io { source, .. }
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                )
        )
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
                format!("its history is kept: `qwf undo {name}` brings back v{latest}, `qwf history {name}` lists every version, and `qwf create --name {name}` makes a new one that continues its history")
            }
            StoreError::InvalidWorkflowFile { path, .. } => {
                let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_else(|| "NAME".into());
                format!("the file was edited by hand and is not valid JSON; fix it at that place (qwf never overwrites it), or `qwf undo {name}` puts back the last saved version and keeps your text as a backup")
            }
            StoreError::CorruptLog { .. } => {
                "the version files in workflows/.versions are intact; fix or remove the damaged line (a backup copy of the log is wise first)".into()
            }
            StoreError::CorruptVersion { .. } => "restore the file from a backup, or roll back to another version".into(),
            StoreError::Stale { name, .. } => format!("look at what changed with `qwf history {name}` and make the change again"),
            StoreError::Moved { name, .. } => format!("look at `qwf history {name}`, then run the command again to decide on the current version"),
            StoreError::EditedMeanwhile { name, .. } => format!("run the command again: the hand edit is recorded first (`qwf history {name}` shows it)"),
            StoreError::Unchanged { .. } => "nothing was written; no version is made for a change that changes nothing".into(),
            StoreError::AfterCommit { name, .. } => format!("the version is saved: do not make the change again; `qwf history {name}` shows it, and the next qwf command finishes the rest"),
            StoreError::Apply(error) => error.hint.clone(),
            StoreError::Invalid { hint, .. } => hint.clone(),
            StoreError::Io { .. } => "check that the qwf home exists and is writable (set another one with --home or QWF_HOME)".into(),
        }
    }
}

/// "v6 (Edited by hand: …) was saved meanwhile".
fn describe_moved(saved: &[(u64, String)]) -> String {
    let listed: Vec<String> = saved
        .iter()
        .map(|(version, description)| format!("v{version} ({description})"))
        .collect();
    let verb = if saved.len() == 1 { "was" } else { "were" };
    format!("{} {verb} saved meanwhile", listed.join(", "))
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
