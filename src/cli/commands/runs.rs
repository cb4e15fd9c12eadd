use crate::cli::commands::run::duration_text;
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{DIM, ERROR, GOOD, Printer, WARNING, paint};
use crate::cli::progress::{summary, tail};
use crate::cli::settings::Settings;
use crate::store::runs::{RunRecord, RunStatus, StepStatus};

/// How many lines of a failed step's stderr `--show` prints (the record
/// keeps up to 4 KiB; `--json` shows it all).
const SHOWN_TAIL: usize = 20;

/// List the runs of a workflow, newest first, or show one with every step.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// Show one run: its id (a unique prefix is enough).
    #[arg(long, value_name = "ID")]
    pub show: Option<String>,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    if let Some(id) = &args.show {
        let record = store.run(&args.name, id)?;
        if printer.json {
            printer.document(&record);
        } else {
            show(&record, printer);
        }
        return Ok(Outcome::Done);
    }
    crate::core::names::check_name(&args.name, "workflow").map_err(|error| {
        let hint = error.hint.clone();
        CliError::new(error.to_string()).with_hint(hint)
    })?;
    let (runs, broken) = store.runs(&args.name)?;
    if printer.json {
        let listed: Vec<serde_json::Value> = runs
            .iter()
            .map(|run| {
                let mut listed = serde_json::json!({
                    "id": run.id, "version": run.version, "status": run.status,
                    "started": run.started, "ended": run.ended, "duration_ms": run.duration_ms,
                });
                if let Some(engine) = &run.engine {
                    listed["engine"] = serde_json::json!(engine);
                }
                listed
            })
            .collect();
        printer.document(&serde_json::json!({
            "workflow": args.name,
            "runs": listed,
            "unreadable": broken,
        }));
        return Ok(Outcome::Done);
    }
    if runs.is_empty() && broken.is_empty() {
        if !store.exists(&args.name) {
            return Err(
                CliError::new(format!("there is no workflow '{}'", args.name))
                    .with_hint("`qwf list` shows every workflow"),
            );
        }
        printer.line(format!(
            "Workflow '{}' has not been run yet: `qwf run {}` runs it.",
            args.name, args.name
        ));
        return Ok(Outcome::Done);
    }
    printer.line(paint(
        DIM,
        format!(
            "{:<6} {:<8} {:<10} {:<25} {}",
            "ID", "VERSION", "STATUS", "STARTED", "DURATION"
        ),
    ));
    for run in &runs {
        let duration = run.duration_ms.map_or_else(
            || "-".to_string(),
            |ms| duration_text(std::time::Duration::from_millis(ms)),
        );
        let engine = run.engine.as_ref().map_or_else(String::new, |engine| {
            format!(
                "  {}",
                paint(DIM, format!("on {}: {}", engine.name, engine.workflow_id))
            )
        });
        printer.line(format!(
            "{:<6} {:<8} {} {:<25} {}{engine}",
            run.id,
            format!("v{}", run.version),
            status_cell(run.status),
            run.started,
            duration
        ));
    }
    for file in &broken {
        printer.line(paint(
            WARNING,
            format!(
                "unreadable run record {}: {}",
                file.path.display(),
                file.message
            ),
        ));
    }
    Ok(Outcome::Done)
}

fn status_cell(status: RunStatus) -> String {
    let text = format!("{:<10}", status.to_string());
    match status {
        RunStatus::Succeeded => paint(GOOD, text),
        RunStatus::Failed => paint(ERROR, text),
        RunStatus::Cancelled | RunStatus::Running | RunStatus::Interrupted => paint(WARNING, text),
    }
}

fn show(record: &RunRecord, printer: &mut Printer) {
    printer.line(format!(
        "Run {} of {} v{}: {}",
        record.id, record.workflow, record.version, record.status
    ));
    printer.line(format!(
        "  started {}{}",
        record.started,
        match (&record.ended, record.duration_ms) {
            (Some(ended), Some(ms)) => format!(
                ", ended {ended} ({})",
                duration_text(std::time::Duration::from_millis(ms))
            ),
            _ => String::new(),
        }
    ));
    if let Some(engine) = &record.engine {
        printer.line(format!(
            "  on {} at {} (namespace {}, task queue {}): workflow {}{}",
            engine.name,
            engine.address,
            engine.namespace,
            engine.task_queue,
            engine.workflow_id,
            engine
                .run_id
                .as_ref()
                .map_or_else(String::new, |run| format!(", run {run}"))
        ));
    }
    if record.status == RunStatus::Interrupted {
        printer.line(paint(
            WARNING,
            "  its runner stopped before the end (killed, or the machine restarted); the record is as it left it",
        ));
    }
    for (key, value) in &record.overrides {
        printer.line(format!("  --set {key}={value}"));
    }
    for step in &record.steps {
        let status = match step.status {
            StepStatus::Succeeded => paint(GOOD, step.status),
            StepStatus::Failed | StepStatus::Cancelled => paint(ERROR, step.status),
            StepStatus::Continued | StepStatus::FellBack => paint(WARNING, step.status),
            StepStatus::Skipped | StepStatus::NotRun => paint(DIM, step.status),
        };
        let duration = step
            .duration_ms
            .map(|ms| {
                format!(
                    " in {}",
                    duration_text(std::time::Duration::from_millis(ms))
                )
            })
            .unwrap_or_default();
        printer.line(format!(
            "  {} ({}): {status}{duration}",
            step.id, step.step_type
        ));
        if let Some(note) = &step.note {
            printer.line(format!("      {}", paint(DIM, note)));
        }
        if step.attempts.len() > 1 || step.attempts.iter().any(|attempt| attempt.error.is_some()) {
            for attempt in &step.attempts {
                let mut line = format!(
                    "      attempt {}: {}ms",
                    attempt.number, attempt.duration_ms
                );
                if let Some(kind) = &attempt.error_kind {
                    line.push_str(&format!(", {kind}"));
                }
                if let Some(error) = &attempt.error {
                    line.push_str(&format!(": {}", summary(error)));
                }
                if let Some(wait) = attempt.retry_after_ms {
                    line.push_str(&format!(" (retried after {wait}ms)"));
                }
                printer.line(line);
            }
        }
        for (name, value) in &step.outputs {
            printer.line(format!("      {name} = {value}"));
        }
        // The failure in full: its first line, then the end of its stderr
        // (a traceback's last lines say what went wrong).
        if let Some(error) = &step.error {
            if step.attempts.is_empty() {
                printer.line(format!("      {}", error.lines().next().unwrap_or("")));
            }
            for line in tail(error, SHOWN_TAIL) {
                printer.line(format!("        {}", paint(DIM, line)));
            }
        }
    }
}
