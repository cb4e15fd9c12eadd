use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::Settings;
use crate::store::{Head, State, Store, StoreError};

use super::rollback::{Restore, note_state, restore};

/// Go back to the version before the current one. The undo is itself a new
/// version, so undoing twice brings the change back. After `qwf delete` it
/// brings the workflow back; after a hand edit that is not valid JSON it
/// puts back the last saved version, keeping the text as a backup.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let state = store.state(&args.name, &settings.context())?;
    if let State::Live(_) = &state {
        note_state(printer, &state);
    }
    let command = format!("qwf undo {}", args.name);
    let request = match &state {
        State::Live(head) => {
            let (undone, previous) = undo_target(&store, &args.name, head)?;
            let description = store
                .history_brief(&args.name)?
                .into_iter()
                .find(|record| record.version == undone)
                .map(|record| record.description)
                .unwrap_or_default();
            Restore {
                name: &args.name,
                to: previous,
                save_current: false,
                yes: args.yes,
                command,
                // Undoing an undo says so plainly instead of nesting
                // descriptions.
                description: if description.starts_with("Undid v") {
                    format!("Undid v{undone} (back to v{previous})")
                } else {
                    format!("Undid v{undone}: {description}")
                },
                headline: Some(format!(
                    "Undoing v{undone}: {description} (back to v{previous})"
                )),
            }
        }
        // Undoing a delete, or a hand edit that is not valid JSON: the last
        // saved version comes back.
        State::Deleted { latest } | State::Broken { latest, .. } => Restore {
            name: &args.name,
            to: latest.version,
            save_current: false,
            yes: args.yes,
            command,
            description: format!("Restored v{}", latest.version),
            headline: None,
        },
    };
    restore(settings, printer, state, request)
}

/// The version whose change an undo takes back, and the version it goes
/// back to: the nearest ancestor whose content differs from the head, so
/// that versions equal to the one before (made by older releases) never
/// leave undo stuck.
fn undo_target(store: &Store, name: &str, head: &Head) -> Result<(u64, u64), CliError> {
    let nothing = || {
        CliError::new(format!(
            "nothing to undo: v{} is the first version of '{name}'",
            head.record.version
        ))
        .with_hint(format!(
            "`qwf delete {name}` removes the workflow (its history is kept)"
        ))
    };
    let records = store.history_brief(name)?;
    let parent_of = |version: u64| {
        records
            .iter()
            .find(|record| record.version == version)
            .and_then(|record| record.parents.first().copied())
    };
    let mut undone = head.record.version;
    let mut previous = head.record.parents.first().copied().ok_or_else(nothing)?;
    loop {
        match store.version(name, previous) {
            Ok(content) if content != head.workflow => return Ok((undone, previous)),
            Ok(_) => {}
            Err(StoreError::CorruptVersion { .. }) => return Ok((undone, previous)),
            Err(error) => return Err(error.into()),
        }
        undone = previous;
        previous = parent_of(previous).ok_or_else(nothing)?;
    }
}
