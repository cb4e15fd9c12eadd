use crate::agent::scope::Scope;
use crate::agent::session::{Mode, Options};
use crate::cli::conversation::{GateArgs, run_request};
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::Settings;

/// Change a workflow with a small, surgical modification, never a rewrite:
/// `qwf edit data-pipeline "increase the fetch timeout to 30 seconds"`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// The change, in plain words.
    pub change: String,
    /// Only this step may change.
    #[arg(long, value_name = "ID", group = "scope")]
    pub step: Option<String>,
    /// Only error handling (and timeouts) may change.
    #[arg(long, group = "scope")]
    pub error_handling: bool,
    /// Only context values may change.
    #[arg(long, group = "scope")]
    pub context: bool,
    #[command(flatten)]
    pub gate: GateArgs,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    // Fail early, with the store's hint, on a missing workflow or bad name.
    settings.store().head(&args.name, &settings.context())?;
    let scope = match (&args.step, args.error_handling, args.context) {
        (Some(step), _, _) => Some(Scope::Step(step.clone())),
        (None, true, _) => Some(Scope::ErrorHandling),
        (None, false, true) => Some(Scope::Context),
        _ => None,
    };
    let options = Options {
        mode: Mode::Edit {
            workflow: args.name.clone(),
            scope,
        },
        focus: Some(args.name.clone()),
        ..Options::default()
    };
    run_request(settings, printer, &args.gate, options, &args.change)
}
