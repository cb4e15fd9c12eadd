use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::render::diff_lines;
use crate::cli::settings::{Settings, parse_version};
use crate::core::semantic_diff;
use crate::store::{Origin, Provenance, StoreError};

/// Bring back an earlier version as a new version. History is never
/// destroyed: the rollback itself can be undone.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// The version to go back to (3 or v3).
    #[arg(long, value_parser = parse_version)]
    pub to: u64,
    /// Also save the current content as NAME-backup-vN.json next to it.
    #[arg(long)]
    pub save_current: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let request = Restore {
        name: &args.name,
        to: args.to,
        save_current: args.save_current,
        yes: args.yes,
        command: format!("qwf rollback {} --to {}", args.name, args.to),
        description: format!("Rolled back to v{}", args.to),
        headline: None,
    };
    restore(settings, printer, request)
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

/// Restores version `to` of `name` as a new version, after showing what it
/// undoes and asking (on a terminal, without `--yes`).
pub fn restore(
    settings: &Settings,
    printer: &mut Printer,
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
    let head = match store.head(name, &context) {
        Ok(head) => Some(head),
        Err(StoreError::Deleted { .. }) => None,
        Err(error) => return Err(error.into()),
    };
    let target = store.version(name, to)?;
    let records = store.history(name)?;
    let latest = records.last().map_or(0, |record| record.version);
    if let Some(head) = &head
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
    let diff = head
        .as_ref()
        .map(|head| semantic_diff(&head.workflow, &target));
    if !printer.json {
        match &head {
            Some(_) => {
                let headline =
                    headline.unwrap_or_else(|| format!("Rolling back from v{latest} to v{to}"));
                printer.line(format!("{} {headline}", paint(WARNING, "⚠")));
            }
            None => printer.line(format!("Restoring deleted workflow '{name}' from v{to}")),
        }
        if !undone.is_empty() && head.is_some() {
            printer.line("");
            printer.line("This will undo:");
            for record in undone.iter().rev() {
                printer.line(format!("  v{}: {}", record.version, record.description));
            }
        }
        if let Some(diff) = &diff {
            printer.line("");
            printer.line("Changes:");
            for line in diff_lines(diff) {
                printer.line(format!("  {line}"));
            }
        }
        printer.line("");
    }
    if settings.interactive && !yes {
        let answers: &[&str] = if head.is_some() && !save_current {
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
    let mut backup = None;
    if save_current && let Some(head) = &head {
        backup = Some(store.save_backup(name, head)?);
    }
    let provenance = Provenance::new(description, Origin::Command { command });
    let committed = store.restore(name, to, provenance, &context)?;
    if printer.json {
        printer.document(&serde_json::json!({
            "applied": true,
            "version": committed.record.version,
            "restored": to,
            "undone": undone.iter().map(|record| record.version).collect::<Vec<_>>(),
            "backup": backup,
        }));
    } else {
        if let Some(path) = &backup {
            let file = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            printer.line(format!(
                "{} Saved current version as: {file}",
                paint(GOOD, "✓")
            ));
        }
        let verb = if head.is_some() {
            "Rolled back to"
        } else {
            "Restored"
        };
        printer.line(format!(
            "{} {verb} v{to} (now v{})",
            paint(GOOD, "✓"),
            committed.record.version
        ));
    }
    Ok(Outcome::Done)
}
