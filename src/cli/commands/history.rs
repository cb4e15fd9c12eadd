use std::fmt::Write;

use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{BOLD, DIM, Printer, paint};
use crate::cli::settings::Settings;
use crate::store::{Origin, State};

use super::rollback::note_state;

/// List a workflow's versions, newest first: number, age, description and
/// where each came from.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    // Record a pending hand edit first, so the history shows it. A hand
    // edit that is not valid JSON does not hide the history.
    let state = store.state(&args.name, &settings.context())?;
    note_state(printer, &state);
    let deleted = matches!(state, State::Deleted { .. });
    if printer.json {
        let records = store.history(&args.name)?;
        printer.document(
            &serde_json::json!({ "workflow": args.name, "deleted": deleted, "versions": records }),
        );
        return Ok(Outcome::Done);
    }
    let records = store.history_brief(&args.name)?;
    // Written at once: a long history is thousands of lines.
    let mut out = format!("Workflow: {}", paint(BOLD, &args.name));
    let latest = records.last().map(|record| record.version);
    if deleted {
        let _ = write!(
            out,
            "\n{}",
            paint(
                DIM,
                format!(
                    "(deleted; `qwf undo {}` brings back v{})",
                    args.name,
                    latest.unwrap_or(1)
                ),
            )
        );
    }
    for record in records.iter().rev() {
        let current = if Some(record.version) == latest && !deleted {
            " (current)"
        } else {
            ""
        };
        let origin = match &record.origin {
            Origin::Request { text } => format!("request: \"{text}\""),
            Origin::Mcp { client, text } => format!("mcp ({client}): \"{text}\""),
            other => other.to_string(),
        };
        let _ = write!(
            out,
            "\n\n{}{current} - {}\n  {}\n{}",
            paint(BOLD, format_args!("v{}", record.version)),
            settings.age(&record.timestamp),
            record.description,
            paint(DIM, format_args!("  {origin}")),
        );
    }
    printer.line(out);
    Ok(Outcome::Done)
}
