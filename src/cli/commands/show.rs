use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::{Settings, parse_version};
use crate::store::{State, StoreError};

use super::rollback::note_state;

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
    let state = store.state(&args.name, &settings.context())?;
    note_state(printer, &state);
    let (version, workflow, current) = match (state, args.version) {
        (State::Live(head), Some(version)) if version != head.record.version => {
            (version, store.version(&args.name, version)?, false)
        }
        (State::Live(head), _) => (head.record.version, head.workflow, true),
        // A deleted workflow's versions stay readable, to choose one to
        // restore; so do those of one whose file is a broken hand edit.
        (_, Some(version)) => (version, store.version(&args.name, version)?, false),
        (State::Deleted { latest }, None) => {
            return Err(StoreError::Deleted {
                name: args.name.clone(),
                latest: latest.version,
            }
            .into());
        }
        (State::Broken { latest, error }, None) => {
            return Err(CliError::new(error.to_string()).with_hint(format!(
                "`qwf show {} --version {}` shows the last saved version; {}",
                args.name,
                latest.version,
                error.hint()
            )));
        }
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
