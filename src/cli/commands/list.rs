use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{DIM, Printer, WARNING, paint};
use crate::cli::settings::Settings;

/// List the workflows in the qwf home.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let summaries = settings.store().list()?;
    if printer.json {
        printer.document(
            &serde_json::json!({ "workflows": summaries, "deleted": settings.store().deleted()? }),
        );
        return Ok(Outcome::Done);
    }
    let deleted = settings.store().deleted()?;
    if summaries.is_empty() && !deleted.is_empty() {
        printer.line("No workflows.");
        printer.line(paint(
            DIM,
            format!(
                "Deleted, with their history kept: {} (`qwf history NAME`, `qwf rollback NAME --to N` restores one)",
                deleted.join(", ")
            ),
        ));
        return Ok(Outcome::Done);
    }
    if summaries.is_empty() {
        printer.line("No workflows yet.");
        printer.line(paint(
            DIM,
            format!(
                "Create one with `qwf create \"...\"`, or put a workflow file in {}",
                settings.store().workflows_dir().display()
            ),
        ));
        return Ok(Outcome::Done);
    }
    let width = summaries
        .iter()
        .map(|summary| summary.name.len())
        .max()
        .unwrap_or(0);
    // Written at once: there may be a thousand lines.
    let mut lines = Vec::with_capacity(summaries.len());
    for summary in &summaries {
        let version = summary
            .version
            .map_or_else(|| "new".to_string(), |version| format!("v{version}"));
        let detail = match (&summary.problem, &summary.description) {
            (Some(problem), _) => paint(WARNING, problem),
            (None, Some(description)) => description.clone(),
            (None, None) => String::new(),
        };
        let steps = summary.steps.map_or_else(String::new, |steps| {
            format!("{steps} step{}", if steps == 1 { "" } else { "s" })
        });
        let age = summary
            .updated
            .as_deref()
            .map(|updated| settings.age(updated))
            .unwrap_or_default();
        let line = format!(
            "{:width$}  {version:>5}  {steps:>9}  {}  {detail}",
            summary.name,
            // Padded before painting: escape codes have no width.
            paint(DIM, format!("{age:>14}"))
        );
        lines.push(line.trim_end().to_string());
    }
    printer.line(lines.join("\n"));
    Ok(Outcome::Done)
}
