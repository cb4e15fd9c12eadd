use crate::cli::error::{CliError, Outcome};
use crate::cli::graph::{self, Picture};
use crate::cli::output::{DIM, ERROR, GOOD, Printer, WARNING, paint};
use crate::cli::render::diff_lines;
use crate::cli::settings::{Settings, parse_version};
use crate::core::{semantic_diff, text_diff};
use crate::store::State;

use super::rollback::note_state;

/// Show what changed between two versions of a workflow.
///
/// Without --from/--to, compares the previous version with the current one.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// The older version (3 or v3).
    #[arg(long, value_parser = parse_version)]
    pub from: Option<u64>,
    /// The newer version (3 or v3).
    #[arg(long, value_parser = parse_version)]
    pub to: Option<u64>,
    /// A unified diff of the JSON instead of the change list.
    #[arg(long, conflicts_with = "graph")]
    pub text: bool,
    /// Draw the newer version with its added (+), removed (-) and changed
    /// (~) steps marked; removed steps are drawn where they were.
    #[arg(long)]
    pub graph: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    // Versions are compared as recorded: a deleted workflow or a broken
    // hand edit does not stop that.
    let state = store.state(&args.name, &settings.context())?;
    note_state(printer, &state);
    let current = state.latest().version;
    let head = match state {
        State::Live(head) if head.unrecorded.is_none() => Some(head.workflow),
        _ => None,
    };
    let to = args.to.unwrap_or(current);
    let from = args.from.unwrap_or(to.saturating_sub(1).max(1));
    let load = |version: u64| match &head {
        Some(workflow) if version == current => Ok(workflow.clone()),
        _ => store.version(&args.name, version),
    };
    let (old, new) = (load(from)?, load(to)?);
    let diff = semantic_diff(&old, &new);
    let text = args.text.then(|| {
        text_diff(
            &old,
            &new,
            &format!("{} v{from}", args.name),
            &format!("{} v{to}", args.name),
        )
    });
    let drawing = args
        .graph
        .then(|| graph::text::draw(&Picture::of_diff(&old, &new)));
    if printer.json {
        let mut document = serde_json::json!({ "workflow": args.name, "from": from, "to": to, "changes": diff.changes });
        if let Some(text) = text {
            document["text"] = text.into();
        }
        if let Some(drawing) = &drawing {
            document["diagram"] = serde_json::json!({ "format": "text", "text": drawing.plain() });
        }
        printer.document(&document);
        return Ok(Outcome::Done);
    }
    if let Some(text) = text {
        if !text.is_empty() {
            printer.line(text.trim_end());
        }
        return Ok(Outcome::Done);
    }
    if diff.is_empty() {
        printer.line(format!("No changes from v{from} to v{to}."));
        return Ok(Outcome::Done);
    }
    printer.line(format!("Changes from v{from} to v{to}:"));
    if let Some(drawing) = drawing {
        printer.line(format!(
            "  {}  {}  {}",
            paint(GOOD, "+ added"),
            paint(ERROR, "- removed"),
            paint(WARNING, "~ changed")
        ));
        for line in graph::paint(&drawing) {
            printer.line(line);
        }
        let other: Vec<String> = diff
            .changes
            .iter()
            .filter(|change| change.step_id().is_none())
            .map(ToString::to_string)
            .collect();
        if !other.is_empty() {
            printer.line(paint(DIM, "Outside the steps:"));
            for line in other {
                printer.line(format!("  {line}"));
            }
        }
        return Ok(Outcome::Done);
    }
    for line in diff_lines(&diff) {
        printer.line(format!("  {line}"));
    }
    Ok(Outcome::Done)
}
