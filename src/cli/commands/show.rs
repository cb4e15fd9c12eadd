use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::{Settings, parse_version};

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
    let head = store.head(&args.name, &settings.context())?;
    let (version, workflow) = match args.version {
        Some(version) if version != head.record.version => {
            (version, store.version(&args.name, version)?)
        }
        _ => (head.record.version, head.workflow),
    };
    if printer.json {
        printer.document(&serde_json::json!({
            "name": args.name,
            "version": version,
            "current": version == head.record.version,
            "workflow": workflow,
        }));
    } else {
        printer.line(workflow.to_pretty_json().trim_end());
    }
    Ok(Outcome::Done)
}
