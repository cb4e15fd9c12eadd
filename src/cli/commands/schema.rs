use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::core::schema::{skill_schema, workflow_schema};

/// Print the JSON Schema (draft 2020-12) of the workflow format, or with
/// `skill` of the skill file format (point your editor at it).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which format: `workflow` (the default) or `skill`.
    #[arg(value_enum, default_value_t = Format::Workflow)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `workflows/NAME.json`.
    Workflow,
    /// `skills/NAME.json`: inputs (required or optional) and outputs.
    Skill,
}

pub fn run(args: &Args, printer: &mut Printer) -> Result<Outcome, CliError> {
    printer.document(&match args.format {
        Format::Workflow => workflow_schema(),
        Format::Skill => skill_schema(),
    });
    Ok(Outcome::Done)
}
