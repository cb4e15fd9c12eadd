use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::Settings;

use super::rollback::{Restore, restore};

/// Go back to the version before the current one. The undo is itself a new
/// version, so undoing twice brings the change back.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let head = store.head(&args.name, &settings.context())?;
    let Some(&previous) = head.record.parents.first() else {
        return Err(CliError::new(format!(
            "nothing to undo: v{} is the first version of '{}'",
            head.record.version, args.name
        ))
        .with_hint(format!(
            "`qwf delete {}` removes the workflow (its history is kept)",
            args.name
        )));
    };
    let request = Restore {
        name: &args.name,
        to: previous,
        save_current: false,
        yes: args.yes,
        command: format!("qwf undo {}", args.name),
        // Undoing an undo says so plainly instead of nesting descriptions.
        description: if head.record.description.starts_with("Undid v") {
            format!("Undid v{} (back to v{previous})", head.record.version)
        } else {
            format!(
                "Undid v{}: {}",
                head.record.version, head.record.description
            )
        },
        headline: Some(format!(
            "Undoing v{}: {} (back to v{previous})",
            head.record.version, head.record.description
        )),
    };
    restore(settings, printer, request)
}
