use crate::cli::error::{CliError, Outcome};
use crate::cli::graph::{self, Picture};
use crate::cli::output::Printer;
use crate::cli::settings::{Settings, parse_version};
use crate::store::{State, StoreError};

use super::rollback::note_state;

/// Print a workflow (its current version, or any other) as JSON, or draw it.
///
/// `--graph` draws the steps in the terminal: the order, parallel branches
/// side by side, a conditional's then and else, each fallback beside the
/// step it replaces, and what each step reads. `--format mermaid|dot`
/// writes the same picture for documents and pull requests.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// The version to show (3 or v3); the current one by default.
    #[arg(long, value_parser = parse_version)]
    pub version: Option<u64>,
    /// Draw the workflow in the terminal.
    #[arg(long, conflicts_with = "format")]
    pub graph: bool,
    /// Write the workflow as a diagram: `mermaid` (a flowchart for Markdown)
    /// or `dot` (Graphviz), or `json` (the default).
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Mermaid,
    Dot,
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
    let picture = Picture::of(&workflow);
    let diagram = match args.format {
        Format::Mermaid => Some(("mermaid", graph::mermaid::write(&picture))),
        Format::Dot => Some(("dot", graph::dot::write(&picture))),
        Format::Json if args.graph => Some(("text", graph::text::draw(&picture).plain())),
        Format::Json => None,
    };
    if printer.json {
        let mut document = serde_json::json!({
            "name": args.name,
            "version": version,
            "current": current,
            "workflow": workflow,
        });
        if let Some((format, text)) = diagram {
            document["diagram"] = serde_json::json!({ "format": format, "text": text });
        }
        printer.document(&document);
    } else if args.graph {
        printer.line(format!(
            "{} v{version}{}",
            args.name,
            if current {
                ""
            } else {
                " (not the current version)"
            }
        ));
        for line in graph::paint(&graph::text::draw(&picture)) {
            printer.line(line);
        }
    } else if let Some((_, text)) = diagram {
        printer.line(text.trim_end());
    } else {
        printer.line(workflow.to_pretty_json().trim_end());
    }
    Ok(Outcome::Done)
}
