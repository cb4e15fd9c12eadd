use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::settings::Settings;

/// Delete a workflow. Its history is kept: `qwf rollback NAME --to N`
/// brings any version back.
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
    let head = store.head(&args.name, &context)?;
    let version = head.record.version;
    if !printer.json {
        printer.line(format!(
            "{} This will delete '{}' (v{version}, {} steps).",
            paint(WARNING, "⚠"),
            args.name,
            head.workflow.steps.len()
        ));
    }
    if settings.interactive && !args.yes && !prompt::confirm("Delete it?") {
        return Err(refused(
            "Cancelled. Nothing changed.",
            "nothing was deleted",
        ));
    }
    store.delete(&args.name, &context)?;
    if printer.json {
        printer.document(&serde_json::json!({ "deleted": args.name, "version": version }));
    } else {
        printer.line(format!("{} Deleted '{}'", paint(GOOD, "✓"), args.name));
        printer.line(format!(
            "  Its history is kept: `qwf rollback {} --to {version}` restores it.",
            args.name
        ));
    }
    Ok(Outcome::Done)
}
