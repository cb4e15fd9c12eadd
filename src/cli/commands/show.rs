use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::{Settings, parse_version};
use crate::store::StoreError;

/// Print a workflow (its current version, or any other) as JSON.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// The version to show (3 or v3); the current one by default.
    #[arg(long, value_parser = parse_version)]
    pub version: Option<u64>,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let (version, workflow, current) = match store.head(&args.name, &settings.context()) {
        Ok(head) => match args.version {
            Some(version) if version != head.record.version => {
                (version, store.version(&args.name, version)?, false)
            }
            _ => (head.record.version, head.workflow, true),
        },
        // A deleted workflow's versions stay readable, to choose one to
        // restore.
        Err(StoreError::Deleted { name, latest }) => match args.version {
            Some(version) => (version, store.version(&args.name, version)?, false),
            None => return Err(StoreError::Deleted { name, latest }.into()),
        },
        Err(error) => return Err(error.into()),
    };
    if printer.json {
        printer.document(&serde_json::json!({
            "name": args.name,
            "version": version,
            "current": current,
            "workflow": workflow,
        }));
    } else {
        printer.line(workflow.to_pretty_json().trim_end());
    }
    Ok(Outcome::Done)
}
