use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::core::schema::workflow_schema;

/// Print the JSON Schema of the workflow format (point your editor at it).
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args, printer: &mut Printer) -> Result<Outcome, CliError> {
    printer.document(&workflow_schema());
    Ok(Outcome::Done)
}
