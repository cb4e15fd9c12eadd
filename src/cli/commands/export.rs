use std::path::PathBuf;

use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{GOOD, Printer, paint};
use crate::cli::settings::Settings;
use crate::store::write_atomic;

/// Write one package file holding the workflow, its whole history and the
/// skill files it uses (to stdout without -o).
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// Where to write the package.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    // The recorded history is exported whatever the current file holds; a
    // problem with it is said.
    let state = store.state(&args.name, &settings.context())?;
    super::rollback::note_state(printer, &state);
    let package = store.export(&args.name, &settings.context())?;
    let text = package.to_pretty_json();
    match &args.output {
        None => printer.line(text.trim_end()),
        Some(path) => {
            write_atomic(path, text.as_bytes())?;
            let summary = serde_json::json!({
                "exported": args.name,
                "file": path,
                "versions": package.history.len(),
                "skills": package.skills.keys().collect::<Vec<_>>(),
            });
            if printer.json {
                printer.document(&summary);
            } else {
                let plural = |count: usize, word: &str| {
                    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
                };
                printer.line(format!(
                    "{} Exported '{}' ({}, {}) to {}",
                    paint(GOOD, "✓"),
                    args.name,
                    plural(package.history.len(), "version"),
                    plural(package.skills.len(), "skill"),
                    path.display()
                ));
            }
        }
    }
    Ok(Outcome::Done)
}
