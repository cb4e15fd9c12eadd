use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{GOOD, Printer, paint};
use crate::cli::settings::Settings;

/// Start a branch: a new workflow that begins as a copy of NAME and
/// remembers where it came from, so `qwf merge BRANCH into NAME` can bring
/// its changes back.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    pub branch: String,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let record = settings
        .store()
        .branch(&args.name, &args.branch, &settings.context())?;
    let from = record.branched_from.as_ref().map_or(0, |base| base.version);
    if printer.json {
        printer.document(
            &serde_json::json!({ "branch": args.branch, "from": args.name, "base_version": from }),
        );
    } else {
        printer.line(format!(
            "{} Created branch '{}' from {} v{from}",
            paint(GOOD, "✓"),
            args.branch,
            args.name
        ));
        printer.line(format!(
            "  Edit it like any workflow; `qwf merge {} into {}` brings its changes back.",
            args.branch, args.name
        ));
    }
    Ok(Outcome::Done)
}
