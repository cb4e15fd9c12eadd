//! The versioned store: workflows as plain JSON files under `QWF_HOME`, every
//! version kept, every write atomic and serialised per workflow.
//!
//! ```text
//! workflows/NAME.json                  the current version
//! workflows/.versions/NAME.vN.json     every version's full content
//! workflows/.versions/NAME.log.jsonl   one record per version
//! ```
//!
//! A version is written in four steps under the workflow's lock: its
//! content file, its log line (the commit point), the current file, then
//! the marker that says which version the current file holds
//! (`.versions/NAME.current`, see [`current`]). A crash after the commit
//! leaves the current file one version behind with the marker naming it:
//! the next command notices and finishes the job. Any other difference is
//! a hand edit, recorded as a version.
//!
//! Files that are not regular files (links, FIFOs, devices) are refused,
//! named, wherever qwf reads or keeps its own files.

mod atomic;
mod current;
pub mod discovery;
pub mod error;
mod lock;
pub mod log;
pub mod own_files;
pub mod package;
pub mod pending;
pub mod plan;
pub mod read;
pub mod runs;
mod skills;
pub mod trust;

use std::fs;
use std::path::{Path, PathBuf};

pub use atomic::write_atomic;
pub use error::{Result, StoreError};
pub use lock::WorkflowLock;
pub use log::{Origin, VersionRecord, VersionRef};
pub use skills::{BrokenSkill, SkillListing, runs_agents};

use crate::core::diff::modifications_between;
use crate::core::names::check_name;
use crate::core::suggest::did_you_mean;
use crate::core::{Modification, Workflow, apply, validate};

/// What the store needs from the outside world for a write: the time, and a
/// way to tell the user it is waiting for another process.
pub struct Context<'a> {
    /// RFC 3339 timestamp for new records.
    pub now: String,
    pub on_wait: &'a dyn Fn(),
}

/// The head of a workflow: its latest version.
#[derive(Debug, Clone)]
pub struct Head {
    pub record: VersionRecord,
    pub workflow: Workflow,
    /// The hand edit recorded while loading, if there was one.
    pub recorded_hand_edit: bool,
    /// Why the current file's content is shown though it is not a recorded
    /// version (a hand edit on a read-only home): `workflow` is then the
    /// file's content and `record` the latest recorded version.
    pub unrecorded: Option<String>,
    /// The digest of the current file's bytes as read under the lock: a
    /// write replaces the file only if it still holds them.
    digest: Option<String>,
}

/// A workflow as the commands that do not need its current file see it.
#[derive(Debug)]
pub enum State {
    Live(Box<Head>),
    /// The current file was removed; the history stays.
    Deleted {
        latest: VersionRecord,
    },
    /// The current file holds a hand edit that cannot be read as a workflow
    /// (`error` says where); `latest` is the last recorded version.
    Broken {
        latest: VersionRecord,
        error: StoreError,
    },
}

impl State {
    /// The latest recorded version.
    pub fn latest(&self) -> &VersionRecord {
        match self {
            State::Live(head) => &head.record,
            State::Deleted { latest } | State::Broken { latest, .. } => latest,
        }
    }
}

/// A rollback or undo, decided on what the user was shown.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The version to bring back.
    pub to: u64,
    /// The latest recorded version when the user decided; if another
    /// version was saved since, nothing is done.
    pub shown: u64,
    /// Also keep the current content as the workflow `NAME-backup-vN`.
    pub save_current: bool,
    pub provenance: Provenance,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The version the workflow is at now.
    pub record: VersionRecord,
    pub workflow: Workflow,
    /// A new version was written (not so when the content was already
    /// that of the latest version, as when undoing a delete or a broken
    /// hand edit).
    pub new_version: bool,
    /// The backup workflow made by `save_current`.
    pub backup: Option<String>,
    /// Where a hand edit that was not valid JSON was kept.
    pub kept_broken: Option<PathBuf>,
}

/// How a new version treats the current file.
enum CurrentWrite<'a> {
    /// Replace it, if it still holds the bytes with this digest (`None`:
    /// there is no current file).
    Replace { expected: Option<&'a str> },
    /// It already holds the version (a hand edit being recorded): keep it
    /// as it is, and remember its digest.
    Recorded { digest: String },
}

/// What describes a new version besides its content.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub description: String,
    pub origin: Origin,
    pub modifications: Vec<Modification>,
    pub tool_calls: Vec<serde_json::Value>,
    pub merged_from: Option<VersionRef>,
    pub branched_from: Option<VersionRef>,
    /// A merge's conflicts and how each was settled.
    pub resolved_conflicts: Vec<crate::core::merge::Resolved>,
}

impl Provenance {
    pub fn new(description: impl Into<String>, origin: Origin) -> Self {
        Provenance {
            description: description.into(),
            origin,
            modifications: Vec::new(),
            tool_calls: Vec::new(),
            merged_from: None,
            branched_from: None,
            resolved_conflicts: Vec::new(),
        }
    }
}

/// The new content of a version.
#[derive(Debug, Clone)]
pub enum Change {
    /// Modifications to apply to the head; rebased if the head moved.
    Modify(Vec<Modification>),
    /// A whole new content (rollback, merge), valid only on the head it was
    /// computed from.
    Replace(Box<Workflow>),
}

/// One line of `qwf list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub name: String,
    /// `None` when the file has not been recorded yet (put there by hand).
    pub version: Option<u64>,
    pub description: Option<String>,
    pub steps: Option<usize>,
    pub updated: Option<String>,
    /// A problem reading it (invalid JSON, …); listed rather than hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The result of committing a change.
#[derive(Debug, Clone)]
pub struct Committed {
    pub record: VersionRecord,
    pub workflow: Workflow,
    /// The change was made against an older version and re-applied.
    pub rebased_from: Option<u64>,
}

pub struct Store {
    root: PathBuf,
    /// Where discovery looks besides the root (none unless given).
    roots: discovery::Roots,
    /// Whether the workspace's skills may run, decided once per store.
    trust_cache: std::sync::OnceLock<trust::Trust>,
    /// The agents of Amazon Q CLI and Kiro, read when first needed.
    agents: std::sync::OnceLock<discovery::agents::Agents>,
}

/// The three sides of a merge.
#[derive(Debug, Clone)]
pub struct MergeInputs {
    pub base: Workflow,
    pub ours: Head,
    pub theirs: Workflow,
    pub theirs_version: u64,
    /// The branch version merged last time, if any.
    pub already_merged: Option<u64>,
}

/// What an import wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    pub name: String,
    pub versions: u64,
    pub skills_added: Vec<String>,
    pub skills_kept: Vec<String>,
}

/// What `qwf list` reads of a workflow file.
#[derive(serde::Deserialize)]
struct Outline {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    steps: Vec<serde::de::IgnoredAny>,
}

/// A workflow file's text: a regular file, not a link, of bounded size.
/// One open, one status and the reads: listing reads a thousand of them.
fn read_text(path: &Path) -> std::io::Result<String> {
    own_files::read_text_bounded(path, current::WORKFLOW_LIMIT, own_files::Links::Refuse)
}

/// Parses the current file's bytes; a problem is reported with the file's
/// line and column.
fn parse_current(path: &Path, bytes: &[u8]) -> Result<Workflow> {
    let text = std::str::from_utf8(bytes).map_err(|error| StoreError::InvalidWorkflowFile {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("the file is not UTF-8 text (byte {})", error.valid_up_to()),
    })?;
    Workflow::from_json_str(text).map_err(|error| StoreError::parse(path, error))
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store {
            root: root.into(),
            roots: discovery::Roots::default(),
            trust_cache: std::sync::OnceLock::new(),
            agents: std::sync::OnceLock::new(),
        }
    }

    /// The same store, also seeing the user's home and the workspace
    /// (workspace skills, Amazon Q CLI and Kiro files).
    pub fn with_roots(mut self, roots: discovery::Roots) -> Self {
        self.roots = roots;
        self.trust_cache = std::sync::OnceLock::new();
        self.agents = std::sync::OnceLock::new();
        self
    }

    pub fn roots(&self) -> &discovery::Roots {
        &self.roots
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn workflows_dir(&self) -> PathBuf {
        self.root.join("workflows")
    }

    pub fn skills_dir(&self) -> PathBuf {
        self.root.join("skills")
    }

    fn versions_dir(&self) -> PathBuf {
        self.workflows_dir().join(".versions")
    }

    /// Refuses a `.versions` that is a link (it would lead history, log and
    /// lock outside the home) or not a directory.
    fn check_versions_dir(&self) -> Result<()> {
        let directory = self.versions_dir();
        own_files::check_real_directory(&directory)
            .map_err(|error| StoreError::io("use", directory, error))
    }

    fn marker_path(&self, name: &str) -> PathBuf {
        self.versions_dir().join(format!("{name}.current"))
    }

    pub fn current_path(&self, name: &str) -> PathBuf {
        self.workflows_dir().join(format!("{name}.json"))
    }

    pub fn version_path(&self, name: &str, version: u64) -> PathBuf {
        self.versions_dir().join(format!("{name}.v{version}.json"))
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.versions_dir().join(format!("{name}.log.jsonl"))
    }

    /// The name of the workflow `rollback --save-current` keeps version
    /// `version` of `name` as.
    pub fn backup_name(name: &str, version: u64) -> String {
        format!("{name}-backup-v{version}")
    }

    fn lock(&self, name: &str, context: &Context) -> Result<WorkflowLock> {
        self.check_versions_dir()?;
        let lock = WorkflowLock::acquire(
            &self.versions_dir().join(format!("{name}.lock")),
            context.on_wait,
        )?;
        // Whoever writes next sweeps up after writers that were killed.
        atomic::remove_stale_temporaries(&self.workflows_dir());
        atomic::remove_stale_temporaries(&self.versions_dir());
        Ok(lock)
    }

    /// Every workflow: recorded ones and files put in `workflows/` by hand.
    /// Reads each current file and the last line of each log, nothing more.
    pub fn list(&self) -> Result<Vec<Summary>> {
        self.check_versions_dir()?;
        let names = self.names()?;
        // Each workflow is read on its own: with many, spread them over the
        // cores (the time goes into opening and reading small files).
        let threads = std::thread::available_parallelism()
            .map_or(1, |count| count.get())
            .min(names.len().div_ceil(100));
        if threads <= 1 {
            return Ok(names.iter().map(|name| self.summary(name)).collect());
        }
        let chunk = names.len().div_ceil(threads);
        Ok(std::thread::scope(|scope| {
            let parts: Vec<_> = names
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|name| self.summary(name))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|part| {
                    part.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        }))
    }

    /// The names of the workflows that have a current file, sorted.
    fn names(&self) -> Result<Vec<String>> {
        let directory = self.workflows_dir();
        let entries = match fs::read_dir(&directory) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(StoreError::io("read", directory, error)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| StoreError::io("read", &directory, error))?;
            let file_name = entry.file_name();
            let Some(stem) = file_name
                .to_str()
                .and_then(|name| name.strip_suffix(".json"))
            else {
                continue;
            };
            if check_name(stem, "workflow").is_err() {
                continue;
            }
            names.push(stem.to_string());
        }
        names.sort();
        Ok(names)
    }

    /// One line of `qwf list`; a problem reading it is part of the line.
    fn summary(&self, name: &str) -> Summary {
        let (version, updated, mut problem) = match log::read_last(&self.log_path(name)) {
            Ok(Some(record)) => (Some(record.version), Some(record.timestamp), None),
            Ok(None) => (None, None, None),
            Err(error) => (None, None, Some(error.to_string())),
        };
        // Only what the listing shows: building every workflow would make
        // listing many of them slow.
        let outline =
            read_text(&self.current_path(name)).map(|text| serde_json::from_str::<Outline>(&text));
        let (description, steps) = match outline {
            Ok(Ok(outline)) => (outline.description, Some(outline.steps.len())),
            Ok(Err(error)) => {
                problem.get_or_insert(format!(
                    "invalid JSON at line {} column {}: {}",
                    error.line(),
                    error.column(),
                    plan::strip_position(&error)
                ));
                (None, None)
            }
            Err(error) => {
                problem.get_or_insert(error.to_string());
                (None, None)
            }
        };
        Summary {
            name: name.to_string(),
            version,
            description,
            steps,
            updated,
            problem,
        }
    }

    fn no_such_workflow(&self, name: &str) -> StoreError {
        let names = self.names().unwrap_or_default();
        StoreError::NoSuchWorkflow {
            name: name.to_string(),
            suggestion: did_you_mean(name, names.iter().map(String::as_str)).map(str::to_string),
        }
    }

    /// The version history, oldest first.
    pub fn history(&self, name: &str) -> Result<Vec<VersionRecord>> {
        self.records(name, log::read_all)
    }

    /// The version history without each version's modifications and tool
    /// calls, oldest first: what listing a long history needs.
    pub fn history_brief(&self, name: &str) -> Result<Vec<log::BriefRecord>> {
        self.records(name, log::read_brief)
    }

    /// The log of `name` read by `read`; an unknown workflow is an error.
    fn records<T>(&self, name: &str, read: fn(&Path) -> Result<Vec<T>>) -> Result<Vec<T>> {
        check_name(name, "workflow")?;
        self.check_versions_dir()?;
        let records = read(&self.log_path(name))?;
        if records.is_empty() && !self.current_path(name).exists() {
            return Err(self.no_such_workflow(name));
        }
        Ok(records)
    }

    /// The content of one version.
    pub fn version(&self, name: &str, version: u64) -> Result<Workflow> {
        check_name(name, "workflow")?;
        self.check_versions_dir()?;
        let latest = log::read_last(&self.log_path(name))?.map_or(0, |record| record.version);
        if latest == 0 {
            return Err(self.no_such_workflow(name));
        }
        if version == 0 || version > latest {
            return Err(StoreError::NoSuchVersion {
                name: name.to_string(),
                version,
                latest,
            });
        }
        self.read_version(name, version)
    }

    fn read_version(&self, name: &str, version: u64) -> Result<Workflow> {
        let path = self.version_path(name, version);
        let text = read_text(&path).map_err(|error| StoreError::CorruptVersion {
            path: path.clone(),
            message: error.to_string(),
        })?;
        Workflow::from_json_str(&text).map_err(|error| StoreError::CorruptVersion {
            path,
            message: error.to_string(),
        })
    }

    /// Refuses an unknown workflow before anything (such as its lock file)
    /// is created on disk.
    fn require(&self, name: &str) -> Result<()> {
        if self.exists(name) {
            Ok(())
        } else {
            Err(self.no_such_workflow(name))
        }
    }

    /// Workflows that were deleted: their history is kept, their file gone.
    pub fn deleted(&self) -> Result<Vec<String>> {
        let directory = self.versions_dir();
        let entries = match fs::read_dir(&directory) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(StoreError::io("read", directory, error)),
        };
        let mut names: Vec<String> = entries
            .filter_map(|entry| {
                entry
                    .ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".log.jsonl")
                    .map(str::to_string)
            })
            .filter(|name| {
                check_name(name, "workflow").is_ok() && !self.current_path(name).exists()
            })
            .collect();
        names.sort();
        Ok(names)
    }

    /// Whether a workflow of this name has a file or a history.
    pub fn exists(&self, name: &str) -> bool {
        self.current_path(name).exists() || self.log_path(name).exists()
    }

    /// Whether a workflow of this name has a current file (it exists and
    /// was not deleted).
    pub fn is_live(&self, name: &str) -> bool {
        fs::symlink_metadata(self.current_path(name)).is_ok()
    }

    /// The head of a workflow, after recording any hand edit of its file.
    ///
    /// On a home that cannot be written (a read-only file system, no
    /// permission) nothing is recorded: the head is read as it is, and a
    /// pending hand edit is shown with [`Head::unrecorded`] saying so.
    pub fn head(&self, name: &str, context: &Context) -> Result<Head> {
        check_name(name, "workflow")?;
        self.require(name)?;
        match self.lock(name, context) {
            Ok(_lock) => self.head_locked(name, context, true),
            Err(error) if error.is_read_only() => self.head_locked(name, context, false),
            Err(error) => Err(error),
        }
    }

    /// The workflow as commands that do not need its current file see it:
    /// live, deleted, or with a hand edit that is not a workflow.
    pub fn state(&self, name: &str, context: &Context) -> Result<State> {
        Self::state_of(self.head(name, context), || {
            log::read_last(&self.log_path(name))
        })
    }

    fn state_locked(&self, name: &str, context: &Context) -> Result<State> {
        Self::state_of(self.head_locked(name, context, true), || {
            log::read_last(&self.log_path(name))
        })
    }

    fn state_of(
        head: Result<Head>,
        latest: impl Fn() -> Result<Option<VersionRecord>>,
    ) -> Result<State> {
        match head {
            Ok(head) => Ok(State::Live(Box::new(head))),
            Err(error @ (StoreError::Deleted { .. } | StoreError::InvalidWorkflowFile { .. })) => {
                let Some(latest) = latest()? else {
                    // A file put there by hand and never recorded: there is
                    // no version to fall back on.
                    return Err(error);
                };
                Ok(match error {
                    StoreError::Deleted { .. } => State::Deleted { latest },
                    error => State::Broken { latest, error },
                })
            }
            Err(error) => Err(error),
        }
    }

    /// Reads the head under the lock (or, with `writes` off, without one on
    /// a read-only home), recording a hand edit and finishing an interrupted
    /// write when `writes` allows.
    fn head_locked(&self, name: &str, context: &Context, writes: bool) -> Result<Head> {
        // Only the last record: reading a workflow costs the same with 5 or
        // 5,000 versions. Writes check the whole log (see `write_version`).
        let latest = log::read_last(&self.log_path(name))?;
        let current_path = self.current_path(name);
        let bytes = current::read_current(&current_path)?;
        let Some(latest) = latest else {
            // A file put in place by hand: adopt it as version 1.
            let Some(bytes) = bytes else {
                return Err(self.no_such_workflow(name));
            };
            let workflow = parse_current(&current_path, &bytes)?;
            let digest = current::digest(&bytes);
            let provenance = Provenance::new("Added by hand", Origin::EditedOutside);
            if !writes {
                let record = VersionRecord {
                    version: 1,
                    parents: Vec::new(),
                    timestamp: context.now.clone(),
                    description: provenance.description,
                    origin: provenance.origin,
                    modifications: Vec::new(),
                    tool_calls: Vec::new(),
                    branched_from: None,
                    merged_from: None,
                    resolved_conflicts: Vec::new(),
                };
                return Ok(Head {
                    record,
                    workflow,
                    recorded_hand_edit: false,
                    unrecorded: Some(read_only_note(&current_path)),
                    digest: Some(digest),
                });
            }
            let record = self.write_version(
                name,
                &workflow,
                1,
                Vec::new(),
                provenance,
                context,
                CurrentWrite::Recorded {
                    digest: digest.clone(),
                },
            )?;
            return Ok(Head {
                record,
                workflow,
                recorded_hand_edit: true,
                unrecorded: None,
                digest: Some(digest),
            });
        };
        let Some(bytes) = bytes else {
            return Err(StoreError::Deleted {
                name: name.to_string(),
                latest: latest.version,
            });
        };
        let digest = current::digest(&bytes);
        let marker = current::read_marker(&self.marker_path(name));
        let recorded = self.read_version(name, latest.version)?;
        let head = |workflow: Workflow, digest: String| Head {
            record: latest.clone(),
            workflow,
            recorded_hand_edit: false,
            unrecorded: None,
            digest: Some(digest),
        };
        if let Some(marker) = &marker
            && marker.sha256 == digest
        {
            if marker.version == latest.version {
                return Ok(head(recorded, digest));
            }
            if marker.version < latest.version {
                // A writer stopped after committing its version, before
                // replacing the current file: finish its work.
                if !writes {
                    return Ok(head(recorded, digest));
                }
                return match self.finish_current(name, &recorded, latest.version, &digest)? {
                    Some(written) => Ok(head(recorded, written)),
                    // Saved by hand just now: look again.
                    None => self.head_locked(name, context, writes),
                };
            }
        }
        let unchanged = |digest: String| {
            if writes {
                // Best effort: without it the next read compares contents.
                let _ = current::write_marker(
                    &self.marker_path(name),
                    &current::Marker {
                        version: latest.version,
                        sha256: digest.clone(),
                    },
                );
            }
            digest
        };
        if bytes == recorded.to_pretty_json().as_bytes() {
            let digest = unchanged(digest);
            return Ok(head(recorded, digest));
        }
        let edited = parse_current(&current_path, &bytes)?;
        if edited == recorded {
            // Only the formatting differs; nothing to record.
            let digest = unchanged(digest);
            return Ok(head(recorded, digest));
        }
        if marker.is_none()
            && latest.version > 1
            && self.read_version(name, latest.version - 1).ok().as_ref() == Some(&edited)
        {
            // A home written before markers: the old rule, a writer that
            // stopped before replacing the current file.
            if !writes {
                return Ok(head(recorded, digest));
            }
            return match self.finish_current(name, &recorded, latest.version, &digest)? {
                Some(written) => Ok(head(recorded, written)),
                None => self.head_locked(name, context, writes),
            };
        }
        if !writes {
            return Ok(Head {
                record: latest,
                workflow: edited,
                recorded_hand_edit: false,
                unrecorded: Some(read_only_note(&current_path)),
                digest: Some(digest),
            });
        }
        let changes = crate::core::semantic_diff(&recorded, &edited);
        let described: Vec<String> = changes
            .changes
            .iter()
            .take(3)
            .map(ToString::to_string)
            .collect();
        let more = changes.changes.len().saturating_sub(described.len());
        let mut description = format!("Edited by hand: {}", described.join("; "));
        if more > 0 {
            description.push_str(&format!(" (and {more} more)"));
        }
        let mut provenance = Provenance::new(description, Origin::EditedOutside);
        provenance.modifications = modifications_between(&recorded, &edited).unwrap_or_default();
        let record = self.write_version(
            name,
            &edited,
            latest.version + 1,
            vec![latest.version],
            provenance,
            context,
            CurrentWrite::Recorded {
                digest: digest.clone(),
            },
        )?;
        Ok(Head {
            record,
            workflow: edited,
            recorded_hand_edit: true,
            unrecorded: None,
            digest: Some(digest),
        })
    }

    /// Writes version `version`'s content to the current file, which holds
    /// the bytes with digest `expected`. Returns the new digest, or `None`
    /// if the file was saved by hand meanwhile (and kept).
    fn finish_current(
        &self,
        name: &str,
        workflow: &Workflow,
        version: u64,
        expected: &str,
    ) -> Result<Option<String>> {
        let text = workflow.to_pretty_json();
        match current::replace_guarded(&self.current_path(name), text.as_bytes(), Some(expected))? {
            current::Replaced::Done => {
                let digest = current::digest(text.as_bytes());
                let _ = current::write_marker(
                    &self.marker_path(name),
                    &current::Marker {
                        version,
                        sha256: digest.clone(),
                    },
                );
                Ok(Some(digest))
            }
            current::Replaced::KeptHandEdit => Ok(None),
        }
    }

    /// Writes version `version`: content, log line (the commit), current
    /// file, marker. Nothing is written if the current file is no longer
    /// what the lock holder read; an error after the commit says the
    /// version was saved.
    #[allow(clippy::too_many_arguments)]
    fn write_version(
        &self,
        name: &str,
        workflow: &Workflow,
        version: u64,
        parents: Vec<u64>,
        provenance: Provenance,
        context: &Context,
        current_write: CurrentWrite,
    ) -> Result<VersionRecord> {
        // Never add to a damaged log, nor out of turn.
        let log_path = self.log_path(name);
        let committed = log::check(&log_path)?;
        if committed + 1 != version {
            return Err(StoreError::CorruptLog {
                line: committed as usize,
                message: format!(
                    "it ends at version {committed}, but version {version} was to follow"
                ),
                path: log_path,
            });
        }
        let current_path = self.current_path(name);
        if let CurrentWrite::Replace { expected } = &current_write {
            // The user may have saved the file since it was read.
            let now = current::read_current(&current_path)?;
            if now.as_deref().map(current::digest).as_deref() != *expected {
                return Err(StoreError::EditedMeanwhile {
                    name: name.to_string(),
                    path: current_path,
                });
            }
        }
        let text = workflow.to_pretty_json();
        write_atomic(&self.version_path(name, version), text.as_bytes())?;
        let record = VersionRecord {
            version,
            parents,
            timestamp: context.now.clone(),
            description: provenance.description,
            origin: provenance.origin,
            modifications: provenance.modifications,
            tool_calls: provenance.tool_calls,
            branched_from: provenance.branched_from,
            merged_from: provenance.merged_from,
            resolved_conflicts: provenance.resolved_conflicts,
        };
        log::append(&log_path, &record)?;
        // Committed: from here on, a failure must say the version exists.
        let after = |what: String| StoreError::AfterCommit {
            name: name.to_string(),
            version,
            what,
        };
        let digest = match current_write {
            // A hand edit is recorded as it is: the user's file (and its
            // formatting) already holds this content.
            CurrentWrite::Recorded { digest } => digest,
            CurrentWrite::Replace { expected } => {
                match current::replace_guarded(&current_path, text.as_bytes(), expected) {
                    Ok(current::Replaced::Done) => current::digest(text.as_bytes()),
                    Ok(current::Replaced::KeptHandEdit) => {
                        return Err(after(format!(
                            "{} was edited by hand while it was being written: your edit was kept as you saved it, and the next qwf command records it as the version after v{version}",
                            current_path.display()
                        )));
                    }
                    Err(error) => {
                        return Err(after(format!(
                            "{error}; {} still holds the version before, and the next qwf command brings it up to v{version}",
                            current_path.display()
                        )));
                    }
                }
            }
        };
        // Best effort: without the marker, the next read compares contents.
        let _ = current::write_marker(
            &self.marker_path(name),
            &current::Marker {
                version,
                sha256: digest,
            },
        );
        Ok(record)
    }

    /// Saves a new workflow as version 1. A deleted workflow of the same
    /// name continues its history instead.
    pub fn create(
        &self,
        name: &str,
        workflow: &Workflow,
        provenance: Provenance,
        context: &Context,
    ) -> Result<VersionRecord> {
        check_name(name, "workflow")?;
        let _lock = self.lock(name, context)?;
        self.create_locked(name, workflow, provenance, context)
    }

    fn create_locked(
        &self,
        name: &str,
        workflow: &Workflow,
        provenance: Provenance,
        context: &Context,
    ) -> Result<VersionRecord> {
        if self.is_live(name) {
            return Err(StoreError::AlreadyExists {
                name: name.to_string(),
            });
        }
        let latest = log::read_last(&self.log_path(name))?.map_or(0, |record| record.version);
        let parents = if latest > 0 { vec![latest] } else { Vec::new() };
        self.write_version(
            name,
            workflow,
            latest + 1,
            parents,
            provenance,
            context,
            CurrentWrite::Replace { expected: None },
        )
    }

    /// Commits a change made against version `base` (the head when `None`).
    ///
    /// If the head has moved meanwhile, modifications are re-applied on the
    /// new head when they still apply and add no new error; a replacement is
    /// refused. Nothing newer is ever overwritten, and a change that changes
    /// nothing writes nothing ([`StoreError::Unchanged`]).
    pub fn commit(
        &self,
        name: &str,
        base: Option<u64>,
        change: Change,
        mut provenance: Provenance,
        context: &Context,
    ) -> Result<Committed> {
        check_name(name, "workflow")?;
        self.require(name)?;
        let _lock = self.lock(name, context)?;
        let head = self.head_locked(name, context, true)?;
        let head_version = head.record.version;
        let moved = base.is_some_and(|base| base != head_version);
        let workflow = match change {
            Change::Replace(_) if moved => {
                return Err(StoreError::Stale {
                    name: name.to_string(),
                    base: base.unwrap_or(head_version),
                    head: head_version,
                    reason: "the workflow changed while this change was prepared".into(),
                });
            }
            Change::Replace(workflow) => *workflow,
            Change::Modify(modifications) => {
                let result = apply(&head.workflow, &modifications).map_err(|error| {
                    if moved {
                        StoreError::Stale {
                            name: name.to_string(),
                            base: base.unwrap_or(head_version),
                            head: head_version,
                            reason: error.to_string(),
                        }
                    } else {
                        StoreError::Apply(error)
                    }
                })?;
                if moved {
                    let before = validate(&head.workflow, None);
                    let after = validate(&result, None);
                    if let Some(new_error) = after
                        .errors()
                        .find(|issue| !before.errors().any(|old| old.message == issue.message))
                    {
                        return Err(StoreError::Stale {
                            name: name.to_string(),
                            base: base.unwrap_or(head_version),
                            head: head_version,
                            reason: format!(
                                "on the new version it would break the workflow: {}",
                                new_error.message
                            ),
                        });
                    }
                }
                provenance.modifications = modifications;
                result
            }
        };
        if workflow == head.workflow {
            return Err(StoreError::Unchanged {
                name: name.to_string(),
                version: head_version,
            });
        }
        let mut parents = vec![head_version];
        if let Some(merged) = &provenance.merged_from
            && merged.workflow == name
        {
            parents.push(merged.version);
        }
        let record = self.write_version(
            name,
            &workflow,
            head_version + 1,
            parents,
            provenance,
            context,
            CurrentWrite::Replace {
                expected: head.digest.as_deref(),
            },
        )?;
        Ok(Committed {
            record,
            workflow,
            rebased_from: base.filter(|_| moved),
        })
    }

    /// Removes the current file; the history stays, so any version can be
    /// brought back with a rollback (or `qwf undo`). A hand edit that is
    /// not a workflow is kept as a backup file first.
    pub fn delete(
        &self,
        name: &str,
        context: &Context,
    ) -> Result<(VersionRecord, Option<PathBuf>)> {
        check_name(name, "workflow")?;
        self.require(name)?;
        let _lock = self.lock(name, context)?;
        let (latest, kept) = match self.state_locked(name, context)? {
            State::Live(head) => (head.record, None),
            State::Deleted { latest } => {
                return Err(StoreError::Deleted {
                    name: name.to_string(),
                    latest: latest.version,
                });
            }
            State::Broken { latest, .. } => {
                let kept = self.keep_broken(name, latest.version)?;
                (latest, Some(kept))
            }
        };
        log::check(&self.log_path(name))?;
        let path = self.current_path(name);
        fs::remove_file(&path).map_err(|error| StoreError::io("remove", &path, error))?;
        atomic::sync_directory(&self.workflows_dir())?;
        Ok((latest, kept))
    }

    /// Copies a current file that is not a workflow to
    /// `workflows/NAME.broken-vN.json` (or `-2`, `-3`, … if taken), so that
    /// nothing typed is lost when the file is replaced.
    fn keep_broken(&self, name: &str, version: u64) -> Result<PathBuf> {
        let source = self.current_path(name);
        let bytes = current::read_current(&source)?.unwrap_or_default();
        for attempt in 1u32.. {
            let suffix = if attempt == 1 {
                String::new()
            } else {
                format!("-{attempt}")
            };
            let path = self
                .workflows_dir()
                .join(format!("{name}.broken-v{version}{suffix}.json"));
            let created = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path);
            match created {
                Ok(mut file) => {
                    use std::io::Write;
                    file.write_all(&bytes)
                        .and_then(|()| file.sync_all())
                        .map_err(|error| StoreError::io("write", &path, error))?;
                    atomic::sync_directory(&self.workflows_dir())?;
                    return Ok(path);
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(StoreError::io("create", path, error)),
            }
        }
        unreachable!("the attempts go on until a free name is found")
    }

    /// Brings back version `to`, deciding under the lock against what the
    /// user was shown: if a version was saved since `shown` (a hand edit
    /// included), nothing is done ([`StoreError::Moved`]).
    ///
    /// A live workflow gets a new version equal to `to`, unless it already
    /// equals it ([`StoreError::Unchanged`]). A deleted workflow, or one
    /// whose current file is a broken hand edit (kept as a backup file),
    /// gets its file back: as a new version, or, when `to` is the latest
    /// version, just the file.
    pub fn restore(
        &self,
        name: &str,
        request: RestoreRequest,
        context: &Context,
    ) -> Result<Restored> {
        check_name(name, "workflow")?;
        self.require(name)?;
        let _lock = self.lock(name, context)?;
        let RestoreRequest {
            to,
            shown,
            save_current,
            provenance,
        } = request;
        let state = self.state_locked(name, context)?;
        let latest = state.latest().clone();
        if latest.version != shown {
            let saved = if latest.version > shown {
                log::read_all(&self.log_path(name))?
                    .into_iter()
                    .filter(|record| record.version > shown)
                    .map(|record| (record.version, record.description))
                    .collect()
            } else {
                Vec::new()
            };
            return Err(StoreError::Moved {
                name: name.to_string(),
                shown,
                saved,
            });
        }
        if to == 0 || to > latest.version {
            return Err(StoreError::NoSuchVersion {
                name: name.to_string(),
                version: to,
                latest: latest.version,
            });
        }
        let target = self.read_version(name, to)?;
        let (expected, kept_broken, backup) = match &state {
            State::Live(head) => {
                if head.workflow == target {
                    return Err(StoreError::Unchanged {
                        name: name.to_string(),
                        version: head.record.version,
                    });
                }
                let backup = if save_current {
                    Some(self.save_backup_locked(name, head, context)?)
                } else {
                    None
                };
                (head.digest.clone(), None, backup)
            }
            State::Deleted { .. } => (None, None, None),
            State::Broken { .. } => {
                let bytes = current::read_current(&self.current_path(name))?;
                let kept = self.keep_broken(name, latest.version)?;
                (bytes.as_deref().map(current::digest), Some(kept), None)
            }
        };
        // Only the file comes back when its content is the latest version.
        if !matches!(state, State::Live(_)) && to == latest.version {
            let text = target.to_pretty_json();
            let written = current::replace_guarded(
                &self.current_path(name),
                text.as_bytes(),
                expected.as_deref(),
            )?;
            if written == current::Replaced::KeptHandEdit {
                return Err(StoreError::EditedMeanwhile {
                    name: name.to_string(),
                    path: self.current_path(name),
                });
            }
            let _ = current::write_marker(
                &self.marker_path(name),
                &current::Marker {
                    version: latest.version,
                    sha256: current::digest(text.as_bytes()),
                },
            );
            return Ok(Restored {
                record: latest,
                workflow: target,
                new_version: false,
                backup,
                kept_broken,
            });
        }
        let record = self.write_version(
            name,
            &target,
            latest.version + 1,
            vec![latest.version],
            provenance,
            context,
            CurrentWrite::Replace {
                expected: expected.as_deref(),
            },
        )?;
        Ok(Restored {
            record,
            workflow: target,
            new_version: true,
            backup,
            kept_broken,
        })
    }

    /// Keeps the head as the new workflow `NAME-backup-vN`, branched from
    /// it; refused if a workflow of that name exists (or existed).
    fn save_backup_locked(&self, name: &str, head: &Head, context: &Context) -> Result<String> {
        let backup = Self::backup_name(name, head.record.version);
        check_name(&backup, "workflow").map_err(|error| StoreError::Invalid {
            message: format!("cannot keep the current version as '{backup}': {error}"),
            hint: format!(
                "keep it with `qwf branch {name} SHORTER-NAME`, then roll back without --save-current"
            ),
        })?;
        let taken = || self.exists(&backup);
        // Looked at before the lock too, so a refusal leaves no lock file.
        let _lock = if taken() {
            None
        } else {
            Some(self.lock(&backup, context)?)
        };
        if taken() {
            return Err(StoreError::Invalid {
                message: format!(
                    "cannot keep the current version as '{backup}': a workflow of that name exists; nothing was changed"
                ),
                hint: format!(
                    "look at it with `qwf show {backup}`; keep the current version with `qwf branch {name} ANOTHER-NAME`, then roll back without --save-current"
                ),
            });
        }
        let mut workflow = head.workflow.clone();
        workflow.name = backup.clone();
        let mut provenance = Provenance::new(
            format!(
                "Backup of {name} v{}, kept by a rollback",
                head.record.version
            ),
            Origin::Command {
                command: format!("qwf rollback {name} --save-current"),
            },
        );
        provenance.branched_from = Some(VersionRef {
            workflow: name.to_string(),
            version: head.record.version,
        });
        self.create_locked(&backup, &workflow, provenance, context)?;
        Ok(backup)
    }

    /// A new workflow `branch` starting from the head of `name`; it
    /// remembers that version as the base of later merges.
    pub fn branch(&self, name: &str, branch: &str, context: &Context) -> Result<VersionRecord> {
        check_name(branch, "branch")?;
        let head = self.head(name, context)?;
        // A damaged history is repaired first; a branch remembers it.
        log::check(&self.log_path(name))?;
        if self.exists(branch) {
            return Err(StoreError::AlreadyExists {
                name: branch.to_string(),
            });
        }
        let mut workflow = head.workflow;
        workflow.name = branch.to_string();
        let mut provenance = Provenance::new(
            format!("Branched from {name} v{}", head.record.version),
            Origin::Command {
                command: format!("qwf branch {name} {branch}"),
            },
        );
        provenance.branched_from = Some(VersionRef {
            workflow: name.to_string(),
            version: head.record.version,
        });
        self.create(branch, &workflow, provenance, context)
    }

    /// The three sides of merging `branch` into `into`. The base is the
    /// branch's last version already merged into `into`, or else the version
    /// of `into` the branch started from.
    pub fn merge_inputs(&self, branch: &str, into: &str, context: &Context) -> Result<MergeInputs> {
        check_name(branch, "branch")?;
        let ours = self.head(into, context)?;
        let theirs = self.head(branch, context)?;
        let branch_history = self.history(branch)?;
        let start = branch_history
            .iter()
            .find_map(|record| record.branched_from.clone());
        let Some(start) = start.filter(|start| start.workflow == into) else {
            return Err(StoreError::Invalid {
                message: format!("'{branch}' was not branched from '{into}'"),
                hint: format!("merge a branch made with `qwf branch {into} BRANCH`"),
            });
        };
        let last_merge = self.history(into)?.iter().rev().find_map(|record| {
            record
                .merged_from
                .clone()
                .filter(|merged| merged.workflow == branch)
        });
        let mut base = match &last_merge {
            Some(merged) => self.version(branch, merged.version)?,
            None => self.version(into, start.version)?,
        };
        // The branch carries its own name; merging must not rename `into`.
        base.name = ours.workflow.name.clone();
        let mut theirs_workflow = theirs.workflow;
        theirs_workflow.name = ours.workflow.name.clone();
        Ok(MergeInputs {
            base,
            ours,
            theirs: theirs_workflow,
            theirs_version: theirs.record.version,
            already_merged: last_merge.map(|merged| merged.version),
        })
    }

    /// A package of the workflow, its history and the skill files any of
    /// its versions uses (so that rolling back after an import works). The
    /// current file is not needed: a deleted workflow, or one with a broken
    /// hand edit, exports its recorded history.
    pub fn export(&self, name: &str, context: &Context) -> Result<package::Package> {
        self.state(name, context)?;
        let records = self.history(name)?;
        let mut history = Vec::with_capacity(records.len());
        let mut used = std::collections::BTreeSet::new();
        for record in records {
            let workflow = self.read_version(name, record.version)?;
            for visited in crate::core::tree::walk(&workflow) {
                if let Some(skill) = visited.step.skill_name()
                    && check_name(skill, "skill").is_ok()
                {
                    used.insert(skill.to_string());
                }
            }
            history.push(package::PackagedVersion {
                record,
                content: workflow.to_value(),
            });
        }
        let mut skills = std::collections::BTreeMap::new();
        for skill in used {
            let path = self.skills_dir().join(format!("{skill}.json"));
            if let Ok(text) = read_text(&path)
                && let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
            {
                skills.insert(skill, value);
            }
        }
        Ok(package::Package {
            qwf_package: package::PACKAGE_FORMAT,
            name: name.to_string(),
            history,
            skills,
        })
    }

    /// Writes a checked package as workflow `name` (its own name unless
    /// renamed). Refuses to replace an existing workflow; skills that exist
    /// already are kept as they are.
    pub fn import(
        &self,
        checked: package::CheckedPackage,
        name: &str,
        context: &Context,
    ) -> Result<Imported> {
        check_name(name, "workflow")?;
        let _lock = self.lock(name, context)?;
        if self.exists(name) {
            return Err(StoreError::AlreadyExists {
                name: name.to_string(),
            });
        }
        let mut log_text = String::new();
        let mut last_text = String::new();
        let count = checked.versions.len();
        for (record, mut workflow) in checked.versions {
            workflow.name = name.to_string();
            last_text = workflow.to_pretty_json();
            write_atomic(
                &self.version_path(name, record.version),
                last_text.as_bytes(),
            )?;
            log_text.push_str(
                &serde_json::to_string(&record)
                    .expect("a version record is always representable as JSON"),
            );
            log_text.push('\n');
        }
        write_atomic(&self.log_path(name), log_text.as_bytes())?;
        write_atomic(&self.current_path(name), last_text.as_bytes())?;
        let _ = current::write_marker(
            &self.marker_path(name),
            &current::Marker {
                version: count as u64,
                sha256: current::digest(last_text.as_bytes()),
            },
        );
        let mut skills_added = Vec::new();
        let mut skills_kept = Vec::new();
        for (skill, content) in checked.skills {
            let path = self.skills_dir().join(format!("{skill}.json"));
            if path.exists() {
                skills_kept.push(skill);
                continue;
            }
            let mut text =
                serde_json::to_string_pretty(&content).expect("JSON values always serialize");
            text.push('\n');
            write_atomic(&path, text.as_bytes())?;
            skills_added.push(skill);
        }
        Ok(Imported {
            name: name.to_string(),
            versions: count as u64,
            skills_added,
            skills_kept,
        })
    }
}

/// Why a hand edit is shown but not recorded.
fn read_only_note(path: &Path) -> String {
    format!(
        "{} was edited by hand, but the qwf home cannot be written, so the edit could not be recorded as a version; shown as it is (read-only)",
        path.display()
    )
}

#[cfg(test)]
mod tests;
