use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{BOLD, DIM, Printer, paint};
use crate::cli::settings::Settings;
use crate::store::{Origin, StoreError};

/// List a workflow's versions, newest first: number, age, description and
/// where each came from.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    // Record a pending hand edit first, so the history shows it.
    let deleted = match store.head(&args.name, &settings.context()) {
        Ok(_) => false,
        Err(StoreError::Deleted { .. }) => true,
        Err(error) => return Err(error.into()),
    };
    let records = store.history(&args.name)?;
    if printer.json {
        printer.document(
            &serde_json::json!({ "workflow": args.name, "deleted": deleted, "versions": records }),
        );
        return Ok(Outcome::Done);
    }
    printer.line(format!("Workflow: {}", paint(BOLD, &args.name)));
    if deleted {
        let latest = records.last().map_or(1, |record| record.version);
        printer.line(paint(
            DIM,
            format!(
                "(deleted; `qwf rollback {} --to {latest}` restores it)",
                args.name
            ),
        ));
    }
    let latest = records.last().map(|record| record.version);
    for record in records.iter().rev() {
        printer.line("");
        let current = if Some(record.version) == latest && !deleted {
            " (current)"
        } else {
            ""
        };
        printer.line(format!(
            "{}{current} - {}",
            paint(BOLD, format!("v{}", record.version)),
            settings.age(&record.timestamp)
        ));
        printer.line(format!("  {}", record.description));
        let origin = match &record.origin {
            Origin::Request { text } => format!("request: \"{text}\""),
            other => other.to_string(),
        };
        printer.line(paint(DIM, format!("  {origin}")));
    }
    Ok(Outcome::Done)
}
