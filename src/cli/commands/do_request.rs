use crate::agent::session::{Mode, Options};
use crate::cli::conversation::{GateArgs, run_request};
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::Settings;

/// One request to the agent, then exit: "add retry logic to the API call".
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What you want, in plain words.
    pub request: String,
    /// The workflow the request is about.
    #[arg(long, short = 'w')]
    pub workflow: Option<String>,
    #[command(flatten)]
    pub gate: GateArgs,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let options = Options {
        mode: Mode::General,
        focus: args.workflow.clone(),
        ..Options::default()
    };
    run_request(settings, printer, &args.gate, options, &args.request)
}
