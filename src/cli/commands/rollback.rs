use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::render::diff_lines;
use crate::cli::settings::{Settings, parse_version};
use crate::core::semantic_diff;
use crate::store::{Origin, Provenance, RestoreRequest, State, StoreError};

/// Bring back an earlier version as a new version. History is never
/// destroyed: the rollback itself can be undone.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// The version to go back to (3 or v3).
    #[arg(long, value_parser = parse_version)]
    pub to: u64,
    /// Also keep the current version as the workflow NAME-backup-vN
    /// (refused if a workflow of that name exists).
    #[arg(long)]
    pub save_current: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let state = settings.store().state(&args.name, &settings.context())?;
    if let State::Live(_) = &state {
        note_state(printer, &state);
    }
    let request = Restore {
        name: &args.name,
        to: args.to,
        save_current: args.save_current,
        yes: args.yes,
        command: format!("qwf rollback {} --to {}", args.name, args.to),
        description: format!("Rolled back to v{}", args.to),
        headline: None,
    };
    restore(settings, printer, state, request)
}

/// A rollback (or undo) to carry out.
pub struct Restore<'a> {
    pub name: &'a str,
    pub to: u64,
    pub save_current: bool,
    pub yes: bool,
    /// The command line recorded as the version's origin.
    pub command: String,
    pub description: String,
    /// What to announce instead of "Rolling back from vN to vM".
    pub headline: Option<String>,
}

/// Says what a command that reads the workflow should know about its state:
/// a hand edit that could not be recorded, or one that is not valid JSON.
pub fn note_state(printer: &mut Printer, state: &State) {
    match state {
        State::Live(head) => {
            if let Some(note) = &head.unrecorded {
                printer.note(note);
            }
        }
        State::Broken { latest, error } => printer.note(format!(
            "{error}\n  This hand edit is not recorded; v{} is the last saved version. `qwf undo {}` puts it back and keeps your text as a backup.",
            latest.version,
            broken_name(error)
        )),
        State::Deleted { .. } => {}
    }
}

/// The workflow name of a broken current file's error.
fn broken_name(error: &StoreError) -> String {
    match error {
        StoreError::InvalidWorkflowFile { path, .. } => path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Restores version `to` of `name` as a new version, after showing what it
/// undoes and asking (on a terminal, without `--yes`). The store carries it
/// out only if the workflow is still as shown.
pub fn restore(
    settings: &Settings,
    printer: &mut Printer,
    state: State,
    request: Restore,
) -> Result<Outcome, CliError> {
    let Restore {
        name,
        to,
        mut save_current,
        yes,
        command,
        description,
        headline,
    } = request;
    let store = settings.store();
    let context = settings.context();
    let target = store.version(name, to)?;
    let records = store.history(name)?;
    let latest = state.latest().version;
    let live = match &state {
        State::Live(head) => Some(head),
        _ => None,
    };
    if let Some(head) = live
        && head.workflow == target
    {
        if printer.json {
            printer.document(&serde_json::json!({ "applied": false, "version": latest, "reason": format!("v{latest} already equals v{to}") }));
        } else {
            printer.line(format!("Nothing to do: v{latest} already equals v{to}."));
        }
        return Ok(Outcome::Done);
    }
    let undone: Vec<_> = records
        .iter()
        .filter(|record| record.version > to)
        .collect();
    // What the file holds now, as far as it can be read.
    let before = match &state {
        State::Live(head) => Some(head.workflow.clone()),
        State::Broken { .. } => store.version(name, latest).ok(),
        State::Deleted { .. } => None,
    };
    let diff = before.as_ref().map(|before| semantic_diff(before, &target));
    if !printer.json {
        match &state {
            State::Live(_) => {
                let headline =
                    headline.unwrap_or_else(|| format!("Rolling back from v{latest} to v{to}"));
                printer.line(format!("{} {headline}", paint(WARNING, "⚠")));
            }
            State::Deleted { .. } => {
                printer.line(format!("Restoring deleted workflow '{name}' from v{to}"))
            }
            State::Broken { error, .. } => {
                printer.line(format!(
                    "{} Putting back v{to} in place of a hand edit that is not valid JSON ({error})",
                    paint(WARNING, "⚠")
                ));
                printer.line(format!(
                    "  Your text is kept as workflows/{name}.broken-v{latest}.json (nothing typed is lost)."
                ));
            }
        }
        if !undone.is_empty() && live.is_some() {
            printer.line("");
            printer.line("This will undo:");
            for record in undone.iter().rev() {
                printer.line(format!("  v{}: {}", record.version, record.description));
            }
        }
        if let Some(diff) = diff.as_ref().filter(|diff| !diff.is_empty()) {
            printer.line("");
            printer.line("Changes:");
            for line in diff_lines(diff) {
                printer.line(format!("  {line}"));
            }
        }
        printer.line("");
    }
    if settings.interactive && !yes {
        let answers: &[&str] = if live.is_some() && !save_current {
            &["y", "n", "save-current"]
        } else {
            &["y", "n"]
        };
        match prompt::choose("Proceed?", answers).as_deref() {
            Some("y") => {}
            Some("save-current") => save_current = true,
            _ => {
                return Err(refused(
                    "Cancelled. Nothing changed.",
                    format!("`qwf history {name}` lists the versions"),
                ));
            }
        }
    }
    let request = RestoreRequest {
        to,
        shown: latest,
        save_current: save_current && live.is_some(),
        provenance: Provenance::new(description, Origin::Command { command }),
    };
    let restored = store.restore(name, request, &context)?;
    let version = restored.record.version;
    if printer.json {
        printer.document(&serde_json::json!({
            "applied": true,
            "version": version,
            "new_version": restored.new_version,
            "restored": to,
            "undone": undone.iter().map(|record| record.version).collect::<Vec<_>>(),
            "backup": restored.backup,
            "kept_hand_edit": restored.kept_broken,
        }));
        return Ok(Outcome::Done);
    }
    if let Some(backup) = &restored.backup {
        printer.line(format!(
            "{} Kept the current version as workflow '{backup}' (`qwf show {backup}`)",
            paint(GOOD, "✓")
        ));
    }
    if let Some(path) = &restored.kept_broken {
        printer.line(format!(
            "{} Kept your hand edit as {}",
            paint(GOOD, "✓"),
            path.display()
        ));
    }
    let done = match (&state, restored.new_version) {
        (State::Live(_), _) => format!("Rolled back to v{to} (now v{version})"),
        (_, true) => format!("Restored v{to} (now v{version})"),
        (_, false) => format!("Restored '{name}' at v{version}"),
    };
    printer.line(format!("{} {done}", paint(GOOD, "✓")));
    Ok(Outcome::Done)
}
