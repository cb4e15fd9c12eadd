use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::Settings;
use crate::run::temporal::{self, EngineError};

/// Run workflows for others: a worker of an engine (Temporal) that runs
/// qwf workflows submitted with `qwf run NAME --engine temporal`.
///
/// The worker is qwf's Temporal adapter (Python, `temporalio`): it polls
/// the task queue, walks each workflow with qwf's semantics and runs every
/// step through `qwf step`, this binary, so steps behave exactly as in
/// `qwf run`. Code skills run from this machine's skills directory
/// (QWF_HOME/skills); model steps use this machine's provider settings.
///
/// Python is found as --python, QWF_TEMPORAL_PYTHON, the active
/// virtualenv, or python3 on PATH, and must have the packages of
/// engines/temporal/requirements.txt. Runs until Ctrl-C or SIGTERM.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The engine: only `temporal` for now.
    #[arg(long, value_parser = ["temporal"])]
    pub engine: String,
    /// The Temporal frontend, HOST:PORT (default: [temporal] address in
    /// config.toml).
    #[arg(long)]
    pub address: Option<String>,
    /// The Temporal namespace (default: "default").
    #[arg(long)]
    pub namespace: Option<String>,
    /// The task queue to poll (default: "qwf").
    #[arg(long)]
    pub task_queue: Option<String>,
    /// The Python that has temporalio installed.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
}

pub(crate) fn engine_error(error: EngineError) -> CliError {
    CliError::new(error.message).with_hint(error.hint)
}

pub fn run(args: &Args, settings: &Settings, _printer: &mut Printer) -> Result<Outcome, CliError> {
    let file = temporal::file_settings(&settings.home).map_err(engine_error)?;
    let Some(address) = args.address.clone().or(file.address.clone()) else {
        return Err(CliError {
            message: "no Temporal address: the worker needs --address HOST:PORT".into(),
            hint: Some(
                "e.g. --address 127.0.0.1:7233 (what `temporal server start-dev` listens on), or [temporal] address in config.toml"
                    .into(),
            ),
            outcome: Outcome::Usage,
        });
    };
    let connection = file.connection(
        address,
        args.namespace.as_deref(),
        args.task_queue.as_deref(),
    );
    let python = file.python(args.python.as_deref()).map_err(engine_error)?;
    let mut command =
        temporal::adapter_command(&python, "worker", &connection).map_err(engine_error)?;
    // The steps it runs find this QWF_HOME's skills.
    command.env("QWF_HOME", &settings.home);
    // The worker is the adapter from here on: signals reach it directly.
    let error = command.exec();
    Err(CliError::new(format!(
        "cannot start the Temporal worker with {}: {error}",
        python.display()
    ))
    .with_hint("check the --python path"))
}
