//! The versioned store: workflows as plain JSON files under `QWF_HOME`, every
//! version kept, every write atomic and serialised per workflow.
//!
//! ```text
//! workflows/NAME.json                  the current version
//! workflows/.versions/NAME.vN.json     every version's full content
//! workflows/.versions/NAME.log.jsonl   one record per version
//! ```
//!
//! A version is written in three steps under the workflow's lock: its
//! content file, its log line (the commit point), then the current file. A
//! crash between the last two leaves the current file one version behind;
//! the next command notices and finishes the job.

mod atomic;
pub mod discovery;
pub mod error;
mod lock;
pub mod log;
pub mod package;
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

/// A small file's text, with no more system calls than needed (no size
/// query first): listing reads a thousand of them.
fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(16 * 1024);
    fs::File::open(path)?
        .take(u64::MAX)
        .read_to_end(&mut bytes)?;
    String::from_utf8(bytes)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))
}

/// Files named like `--save-current` backups are not workflows.
fn is_backup_name(stem: &str) -> bool {
    stem.rsplit_once("-backup-v")
        .is_some_and(|(_, number)| !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()))
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

    pub fn current_path(&self, name: &str) -> PathBuf {
        self.workflows_dir().join(format!("{name}.json"))
    }

    pub fn version_path(&self, name: &str, version: u64) -> PathBuf {
        self.versions_dir().join(format!("{name}.v{version}.json"))
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.versions_dir().join(format!("{name}.log.jsonl"))
    }

    pub fn backup_path(&self, name: &str, version: u64) -> PathBuf {
        self.workflows_dir()
            .join(format!("{name}-backup-v{version}.json"))
    }

    fn lock(&self, name: &str, context: &Context) -> Result<WorkflowLock> {
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
            if check_name(stem, "workflow").is_err() || is_backup_name(stem) {
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
        let records = read(&self.log_path(name))?;
        if records.is_empty() && !self.current_path(name).exists() {
            return Err(self.no_such_workflow(name));
        }
        Ok(records)
    }

    /// The content of one version.
    pub fn version(&self, name: &str, version: u64) -> Result<Workflow> {
        check_name(name, "workflow")?;
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
        let text = fs::read_to_string(&path).map_err(|error| StoreError::CorruptVersion {
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

    /// The head of a workflow, after recording any hand edit of its file.
    pub fn head(&self, name: &str, context: &Context) -> Result<Head> {
        check_name(name, "workflow")?;
        self.require(name)?;
        let _lock = self.lock(name, context)?;
        self.head_locked(name, context)
    }

    fn head_locked(&self, name: &str, context: &Context) -> Result<Head> {
        // Only the last record: reading a workflow costs the same with 5 or
        // 5,000 versions. Writes check the whole log (see `write_version`).
        let latest = log::read_last(&self.log_path(name))?;
        let current_path = self.current_path(name);
        let current_text = match fs::read_to_string(&current_path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(StoreError::io("read", current_path, error)),
        };
        let Some(latest) = latest else {
            // A file put in place by hand: adopt it as version 1.
            let Some(text) = current_text else {
                return Err(self.no_such_workflow(name));
            };
            let workflow = Workflow::from_json_str(&text)
                .map_err(|error| StoreError::parse(&current_path, error))?;
            let provenance = Provenance::new("Added by hand", Origin::EditedOutside);
            let record = self.write_version(name, &workflow, 1, Vec::new(), provenance, context)?;
            return Ok(Head {
                record,
                workflow,
                recorded_hand_edit: true,
            });
        };
        let Some(text) = current_text else {
            return Err(StoreError::Deleted {
                name: name.to_string(),
                latest: latest.version,
            });
        };
        let recorded = self.read_version(name, latest.version)?;
        if text == recorded.to_pretty_json() {
            return Ok(Head {
                record: latest.clone(),
                workflow: recorded,
                recorded_hand_edit: false,
            });
        }
        let edited = Workflow::from_json_str(&text)
            .map_err(|error| StoreError::parse(&current_path, error))?;
        if edited == recorded {
            // Only the formatting differs; nothing to record.
            return Ok(Head {
                record: latest.clone(),
                workflow: recorded,
                recorded_hand_edit: false,
            });
        }
        if latest.version > 1
            && self.read_version(name, latest.version - 1).ok().as_ref() == Some(&edited)
        {
            // A writer stopped after committing the log line but before
            // replacing the current file: finish its work.
            write_atomic(&current_path, recorded.to_pretty_json().as_bytes())?;
            return Ok(Head {
                record: latest.clone(),
                workflow: recorded,
                recorded_hand_edit: false,
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
        )?;
        Ok(Head {
            record,
            workflow: edited,
            recorded_hand_edit: true,
        })
    }

    /// Writes version `version`: content, log line (the commit), current file.
    fn write_version(
        &self,
        name: &str,
        workflow: &Workflow,
        version: u64,
        parents: Vec<u64>,
        provenance: Provenance,
        context: &Context,
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
        };
        log::append(&self.log_path(name), &record)?;
        // A hand edit is recorded as it is: the user's file (and its
        // formatting) already holds this content.
        if !matches!(record.origin, Origin::EditedOutside) {
            write_atomic(&self.current_path(name), text.as_bytes())?;
        }
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
        if self.current_path(name).exists() {
            return Err(StoreError::AlreadyExists {
                name: name.to_string(),
            });
        }
        let latest = log::read_last(&self.log_path(name))?.map_or(0, |record| record.version);
        let parents = if latest > 0 { vec![latest] } else { Vec::new() };
        self.write_version(name, workflow, latest + 1, parents, provenance, context)
    }

    /// Commits a change made against version `base` (the head when `None`).
    ///
    /// If the head has moved meanwhile, modifications are re-applied on the
    /// new head when they still apply and add no new error; a replacement is
    /// refused. Nothing newer is ever overwritten.
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
        let head = self.head_locked(name, context)?;
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
        )?;
        Ok(Committed {
            record,
            workflow,
            rebased_from: base.filter(|_| moved),
        })
    }

    /// Removes the current file; the history stays, so any version can be
    /// brought back with a rollback.
    pub fn delete(&self, name: &str, context: &Context) -> Result<VersionRecord> {
        check_name(name, "workflow")?;
        self.require(name)?;
        let _lock = self.lock(name, context)?;
        let head = self.head_locked(name, context)?;
        log::check(&self.log_path(name))?;
        let path = self.current_path(name);
        fs::remove_file(&path).map_err(|error| StoreError::io("remove", &path, error))?;
        atomic::sync_directory(&self.workflows_dir())?;
        Ok(head.record)
    }

    /// Brings back version `to` of a deleted (or live) workflow as a new
    /// version. Used by rollback, which never destroys history.
    pub fn restore(
        &self,
        name: &str,
        to: u64,
        provenance: Provenance,
        context: &Context,
    ) -> Result<Committed> {
        check_name(name, "workflow")?;
        self.require(name)?;
        let _lock = self.lock(name, context)?;
        let records = log::read_all(&self.log_path(name))?;
        let Some(latest) = records.last() else {
            return Err(self.no_such_workflow(name));
        };
        if to == 0 || to > latest.version {
            return Err(StoreError::NoSuchVersion {
                name: name.to_string(),
                version: to,
                latest: latest.version,
            });
        }
        // Record a pending hand edit first, so it is not lost either.
        let head_version = match self.head_locked(name, context) {
            Ok(head) => head.record.version,
            Err(StoreError::Deleted { latest, .. }) => latest,
            Err(error) => return Err(error),
        };
        let workflow = self.read_version(name, to)?;
        let record = self.write_version(
            name,
            &workflow,
            head_version + 1,
            vec![head_version],
            provenance,
            context,
        )?;
        Ok(Committed {
            record,
            workflow,
            rebased_from: None,
        })
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

    /// A package of the workflow, its history and the skill files it uses.
    pub fn export(&self, name: &str, context: &Context) -> Result<package::Package> {
        let head = self.head(name, context)?;
        let records = self.history(name)?;
        let mut history = Vec::with_capacity(records.len());
        for record in records {
            let content = self.read_version(name, record.version)?.to_value();
            history.push(package::PackagedVersion { record, content });
        }
        let mut skills = std::collections::BTreeMap::new();
        for visited in crate::core::tree::walk(&head.workflow) {
            let Some(skill) = visited.step.skill_name() else {
                continue;
            };
            if check_name(skill, "skill").is_err() {
                continue;
            }
            let path = self.skills_dir().join(format!("{skill}.json"));
            if let Ok(text) = fs::read_to_string(&path)
                && let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
            {
                skills.insert(skill.to_string(), value);
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

    /// Writes the head's content next to the workflow as a backup file.
    pub fn save_backup(&self, name: &str, head: &Head) -> Result<PathBuf> {
        let path = self.backup_path(name, head.record.version);
        write_atomic(&path, head.workflow.to_pretty_json().as_bytes())?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests;
