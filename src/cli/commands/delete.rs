use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::settings::Settings;
use crate::store::{State, StoreError};

/// Delete a workflow. Its history is kept: `qwf undo NAME` brings it back,
/// `qwf rollback NAME --to N` brings back any version.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let context = settings.context();
    let state = store.state(&args.name, &context)?;
    let (version, steps) = match &state {
        State::Live(head) => (head.record.version, Some(head.workflow.steps.len())),
        State::Broken { latest, .. } => (latest.version, None),
        State::Deleted { latest } => {
            return Err(StoreError::Deleted {
                name: args.name.clone(),
                latest: latest.version,
            }
            .into());
        }
    };
    if !printer.json {
        let what = match steps {
            Some(steps) => format!("v{version}, {steps} steps"),
            None => format!(
                "v{version}; its file holds a hand edit that is not valid JSON, kept as a backup"
            ),
        };
        printer.line(format!(
            "{} This will delete '{}' ({what}).",
            paint(WARNING, "⚠"),
            args.name,
        ));
    }
    if settings.interactive && !args.yes && !prompt::confirm("Delete it?") {
        return Err(refused(
            "Cancelled. Nothing changed.",
            "nothing was deleted",
        ));
    }
    let (record, kept) = store.delete(&args.name, &context)?;
    let version = record.version;
    if printer.json {
        printer.document(&serde_json::json!({ "deleted": args.name, "version": version, "kept_hand_edit": kept }));
    } else {
        if let Some(path) = &kept {
            printer.line(format!(
                "{} Kept your hand edit as {}",
                paint(GOOD, "✓"),
                path.display()
            ));
        }
        printer.line(format!("{} Deleted '{}'", paint(GOOD, "✓"), args.name));
        printer.line(format!(
            "  Its history is kept: `qwf undo {}` brings it back (v{version}).",
            args.name
        ));
    }
    Ok(Outcome::Done)
}
