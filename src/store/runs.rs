//! Run records in `QWF_HOME/runs/NAME/ID.json`: one JSON file per run of a
//! workflow, what `qwf runs` lists.
//!
//! Ids are sequence numbers per workflow (`1`, `2`, ...), so they sort,
//! are short to type, and stay unique under concurrent runs: an id is taken
//! by hard-linking a complete first record into place, which fails if
//! another run took that number first. Later writes replace the file
//! atomically, so a reader never sees a torn record.

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{Result, StoreError};
use super::{Store, write_atomic};
use crate::core::model::JsonMap;
use crate::core::names::check_name;

/// How much of an output or error a record keeps.
pub const RECORD_TEXT_LIMIT: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running, or the process was killed before it could finish the
    /// record.
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// Recorded as running, but the process running it is gone (killed
    /// outright, or the machine restarted): it will never finish. Never
    /// written; [`Store::runs`] and [`Store::run`] report it on reading.
    Interrupted,
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Interrupted => "interrupted",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Succeeded,
    Failed,
    /// Failed, and the workflow went on (`continue`).
    Continued,
    /// Not run: the other branch of a conditional, or a fallback that was
    /// not needed.
    Skipped,
    /// Failed, and its fallback step ran in its place.
    FellBack,
    Cancelled,
    /// Not reached: an earlier step failed.
    NotRun,
}

impl std::fmt::Display for StepStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::Continued => "continued",
            StepStatus::Skipped => "skipped",
            StepStatus::FellBack => "fell_back",
            StepStatus::Cancelled => "cancelled",
            StepStatus::NotRun => "not_run",
        })
    }
}

/// One try of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub number: u32,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The error kind (`timeout`, `exit_code:N`, ...) when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The wait before the next attempt, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub id: String,
    #[serde(rename = "type")]
    pub step_type: String,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<AttemptRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub outputs: JsonMap,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why it was skipped, which branch a conditional took, which step a
    /// fallback stood in for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl StepRecord {
    pub fn new(id: impl Into<String>, step_type: impl Into<String>, status: StepStatus) -> Self {
        StepRecord {
            id: id.into(),
            step_type: step_type.into(),
            status,
            attempts: Vec::new(),
            duration_ms: None,
            outputs: JsonMap::new(),
            error: None,
            note: None,
        }
    }
}

/// One run of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Assigned by [`Store::start_run`].
    #[serde(default)]
    pub id: String,
    pub workflow: String,
    pub version: u64,
    pub status: RunStatus,
    /// RFC 3339.
    pub started: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The `--set` values the run used.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub overrides: JsonMap,
    #[serde(default)]
    pub steps: Vec<StepRecord>,
    /// The process running it, to tell a run still going from one whose
    /// runner was killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<Runner>,
    /// Where it ran when not on this machine's executor (`temporal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineRecord>,
}

/// A run on an engine such as Temporal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineRecord {
    /// `temporal`.
    pub name: String,
    pub address: String,
    pub namespace: String,
    pub task_queue: String,
    pub workflow_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
}

/// A process, told apart from a later one that got the same pid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runner {
    pub pid: u32,
    /// When it started, in clock ticks since boot (`/proc/PID/stat`).
    pub started_ticks: u64,
    /// `/proc/sys/kernel/random/boot_id`: pids start over after a reboot.
    pub boot_id: String,
}

impl Runner {
    /// This process, where `/proc` tells (Linux).
    pub fn current() -> Option<Runner> {
        let pid = std::process::id();
        Some(Runner {
            pid,
            started_ticks: start_ticks(pid)?,
            boot_id: boot_id()?,
        })
    }

    /// False when the process is certainly gone: no such pid, a different
    /// process under it, or another boot. True when it runs, or when this
    /// machine cannot tell.
    pub fn is_alive(&self) -> bool {
        match boot_id() {
            Some(boot) if boot != self.boot_id => false,
            Some(_) => start_ticks(self.pid) == Some(self.started_ticks),
            None => true,
        }
    }
}

fn boot_id() -> Option<String> {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|text| text.trim().to_string())
}

/// Field 22 of `/proc/PID/stat` (after the command name, which may hold
/// spaces and parentheses, so counted from the last `)`).
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    // After the name: state is field 3, so starttime (22) is the 20th here.
    after.split_whitespace().nth(19)?.parse().ok()
}

/// A `running` record whose runner is gone reads as `interrupted`.
fn settle(mut record: RunRecord) -> RunRecord {
    if record.status == RunStatus::Running
        && record
            .runner
            .as_ref()
            .is_some_and(|runner| !runner.is_alive())
    {
        record.status = RunStatus::Interrupted;
    }
    record
}

/// A run file that could not be read, listed rather than hidden.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenRun {
    pub path: PathBuf,
    pub message: String,
}

/// `text` cut to `limit` bytes (at a character boundary) with a marker
/// saying how much was left out.
pub fn truncate_text(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}… [truncated: {} of {} bytes kept]",
        &text[..cut],
        cut,
        text.len()
    )
}

/// A value for a record: kept as is when its JSON fits the limit, else its
/// JSON text truncated.
pub fn truncate_value(value: &Value, limit: usize) -> Value {
    match value {
        Value::String(text) => Value::String(truncate_text(text, limit)),
        Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
        other => {
            let text = other.to_string();
            if text.len() <= limit {
                other.clone()
            } else {
                Value::String(truncate_text(&text, limit))
            }
        }
    }
}

impl Store {
    pub fn runs_dir(&self, name: &str) -> PathBuf {
        self.root().join("runs").join(name)
    }

    fn run_path(&self, name: &str, id: &str) -> PathBuf {
        self.runs_dir(name).join(format!("{id}.json"))
    }

    /// Saves the first record of a new run and gives it the next free id.
    pub fn start_run(&self, record: &mut RunRecord) -> Result<String> {
        check_name(&record.workflow, "workflow")?;
        let directory = self.runs_dir(&record.workflow);
        fs::create_dir_all(&directory)
            .map_err(|error| StoreError::io("create", &directory, error))?;
        let mut next = self.run_ids(&record.workflow)?.last().copied().unwrap_or(0) + 1;
        loop {
            record.id = next.to_string();
            let text = encode(record);
            let temporary = tempfile::Builder::new()
                .prefix(".qwf-run-")
                .tempfile_in(&directory)
                .map_err(|error| StoreError::io("create a temporary file in", &directory, error))?;
            fs::write(temporary.path(), text.as_bytes())
                .map_err(|error| StoreError::io("write", temporary.path(), error))?;
            let path = self.run_path(&record.workflow, &record.id);
            // The link either creates the complete file or fails because
            // another run holds this number: then try the next one.
            match fs::hard_link(temporary.path(), &path) {
                Ok(()) => return Ok(record.id.clone()),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => next += 1,
                Err(error) => return Err(StoreError::io("create", path, error)),
            }
        }
    }

    /// Replaces a run's record (atomically).
    pub fn save_run(&self, record: &RunRecord) -> Result<()> {
        check_name(&record.workflow, "workflow")?;
        write_atomic(
            &self.run_path(&record.workflow, &record.id),
            encode(record).as_bytes(),
        )
    }

    /// The run ids of a workflow, ascending.
    fn run_ids(&self, name: &str) -> Result<Vec<u64>> {
        let directory = self.runs_dir(name);
        let entries = match fs::read_dir(&directory) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(StoreError::io("read", directory, error)),
        };
        let mut ids: Vec<u64> = entries
            .filter_map(|entry| {
                let name = entry.ok()?.file_name();
                name.to_str()?.strip_suffix(".json")?.parse().ok()
            })
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Every run of a workflow, newest first, and the files that could not
    /// be read.
    pub fn runs(&self, name: &str) -> Result<(Vec<RunRecord>, Vec<BrokenRun>)> {
        check_name(name, "workflow")?;
        let mut runs = Vec::new();
        let mut broken = Vec::new();
        for id in self.run_ids(name)?.into_iter().rev() {
            let path = self.run_path(name, &id.to_string());
            match read_record(&path) {
                Ok(record) => runs.push(settle(record)),
                Err(message) => broken.push(BrokenRun { path, message }),
            }
        }
        Ok((runs, broken))
    }

    /// One run, by its id or a prefix of it that only one id has.
    pub fn run(&self, name: &str, id: &str) -> Result<RunRecord> {
        check_name(name, "workflow")?;
        let ids = self.run_ids(name)?;
        let exact = ids.iter().find(|candidate| candidate.to_string() == id);
        let chosen = match exact {
            Some(found) => *found,
            None => {
                let matching: Vec<u64> = ids
                    .iter()
                    .copied()
                    .filter(|candidate| !id.is_empty() && candidate.to_string().starts_with(id))
                    .collect();
                match matching.as_slice() {
                    [only] => *only,
                    [] => {
                        let latest = ids.last().map_or_else(
                            || format!("workflow '{name}' has not been run yet"),
                            |last| format!("its runs are numbered 1 to {last}"),
                        );
                        return Err(StoreError::Invalid {
                            message: format!("workflow '{name}' has no run '{id}'"),
                            hint: format!("{latest}; `qwf runs {name}` lists them"),
                        });
                    }
                    several => {
                        let listed: Vec<String> = several.iter().map(u64::to_string).collect();
                        return Err(StoreError::Invalid {
                            message: format!(
                                "run id '{id}' matches several runs: {}",
                                listed.join(", ")
                            ),
                            hint: "give the whole id".into(),
                        });
                    }
                }
            }
        };
        let path = self.run_path(name, &chosen.to_string());
        read_record(&path)
            .map(settle)
            .map_err(|message| StoreError::Invalid {
                message: format!("cannot read run record {}: {message}", path.display()),
                hint: "the file was changed outside qwf; remove it or restore it".into(),
            })
    }
}

fn encode(record: &RunRecord) -> String {
    let mut text =
        serde_json::to_string_pretty(record).expect("a run record is always representable as JSON");
    text.push('\n');
    text
}

fn read_record(path: &std::path::Path) -> std::result::Result<RunRecord, String> {
    let text = fs::read_to_string(path).map_err(|error| error.to_string())?;
    serde_json::from_str(&text).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(workflow: &str) -> RunRecord {
        RunRecord {
            id: String::new(),
            workflow: workflow.into(),
            version: 1,
            status: RunStatus::Running,
            started: "2026-11-27T10:00:00Z".into(),
            ended: None,
            duration_ms: None,
            overrides: JsonMap::new(),
            steps: Vec::new(),
            runner: None,
            engine: None,
        }
    }

    #[test]
    fn a_running_record_whose_runner_is_gone_reads_as_interrupted() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::new(home.path());
        let me = Runner::current().expect("Linux /proc");
        assert!(me.is_alive());
        let mut alive = record("pipe");
        alive.runner = Some(me.clone());
        store.start_run(&mut alive).unwrap();
        let mut gone = record("pipe");
        gone.runner = Some(Runner {
            started_ticks: me.started_ticks + 1,
            ..me.clone()
        });
        store.start_run(&mut gone).unwrap();
        let mut rebooted = record("pipe");
        rebooted.runner = Some(Runner {
            boot_id: "another-boot".into(),
            ..me
        });
        store.start_run(&mut rebooted).unwrap();
        let (runs, _) = store.runs("pipe").unwrap();
        let statuses: Vec<RunStatus> = runs.iter().map(|run| run.status).collect();
        assert_eq!(
            statuses,
            [
                RunStatus::Interrupted,
                RunStatus::Interrupted,
                RunStatus::Running
            ]
        );
        assert_eq!(
            store.run("pipe", "2").unwrap().status,
            RunStatus::Interrupted
        );
    }

    #[test]
    fn ids_count_up_and_list_newest_first() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::new(home.path());
        for expected in ["1", "2", "3"] {
            let mut run = record("pipe");
            assert_eq!(store.start_run(&mut run).unwrap(), expected);
        }
        let mut last = store.run("pipe", "3").unwrap();
        last.status = RunStatus::Succeeded;
        store.save_run(&last).unwrap();
        let (runs, broken) = store.runs("pipe").unwrap();
        assert!(broken.is_empty());
        let ids: Vec<&str> = runs.iter().map(|run| run.id.as_str()).collect();
        assert_eq!(ids, ["3", "2", "1"]);
        assert_eq!(runs[0].status, RunStatus::Succeeded);
    }

    #[test]
    fn concurrent_starts_get_distinct_ids() {
        let home = tempfile::tempdir().unwrap();
        let root = home.path().to_path_buf();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let root = root.clone();
                std::thread::spawn(move || {
                    let store = Store::new(root);
                    (0..5)
                        .map(|_| store.start_run(&mut record("pipe")).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut ids: Vec<u64> = handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .map(|id| id.parse().unwrap())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=40).collect::<Vec<u64>>());
    }

    #[test]
    fn a_unique_prefix_finds_a_run() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::new(home.path());
        for _ in 0..12 {
            store.start_run(&mut record("pipe")).unwrap();
        }
        assert_eq!(store.run("pipe", "1").unwrap().id, "1", "exact wins");
        let error = store.run("pipe", "99").unwrap_err();
        assert!(error.to_string().contains("no run '99'"));
    }

    #[test]
    fn truncation_marks_what_was_cut() {
        assert_eq!(truncate_text("short", 10), "short");
        let cut = truncate_text(&"é".repeat(10), 5);
        assert!(cut.starts_with("éé…"), "{cut}");
        assert!(cut.contains("4 of 20 bytes"), "{cut}");
        let big = serde_json::json!({"list": vec![1; 5000]});
        assert!(
            truncate_value(&big, 100)
                .as_str()
                .unwrap()
                .contains("truncated")
        );
    }
}
