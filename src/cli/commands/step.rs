use std::io::Read;

use crate::agent::config::ModelFlags;
use crate::agent::model::cancel;
use crate::cli::commands::run::model_setup;
use crate::cli::conversation::cancel_on_interrupt;
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::Settings;
use crate::run::remote::{StepRequest, Worker, answer};

/// Run one attempt of one step, or decide one thing about a run, for an
/// orchestrator such as the Temporal worker (`qwf worker`).
///
/// Reads one JSON request on stdin and prints one JSON answer on stdout:
/// `{"kind": "attempt", "step", "skill", "reads", "context", "available",
/// "attempt", "timeout_ms"}` runs the step once, exactly as `qwf run` does
/// (no shell, inputs on stdin and in QWF_INPUT_*, the timeout enforced,
/// every process it starts stopped), and answers its outputs or its
/// classified failure with whether and when it is retried;
/// `{"kind": "condition", ...}` evaluates a conditional's condition;
/// `{"kind": "group", ...}` words the failure of a parallel or conditional
/// step and decides its retry.
///
/// SIGTERM (or the death of the process that started it) stops the
/// attempt and answers `"outcome": "cancelled"`. Exits 0 with an answer, 2
/// when the request is not one.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model provider for model steps (default: as `qwf model` says).
    #[arg(long)]
    pub provider: Option<String>,
    /// The model name (provider-specific).
    #[arg(long)]
    pub model: Option<String>,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    // An orchestrator that dies takes its attempts with it.
    crate::guard::stop_with_parent();
    cancel_on_interrupt();
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|error| CliError::new(format!("cannot read the request on stdin: {error}")))?;
    let request: StepRequest = serde_json::from_str(&text).map_err(|error| CliError {
        message: format!("the request on stdin is not a qwf step request: {error}"),
        hint: Some(
            "send one JSON object with \"kind\": \"attempt\", \"condition\" or \"group\" (see `qwf step --help`)"
                .into(),
        ),
        outcome: Outcome::Usage,
    })?;
    let needs_model = matches!(&request, StepRequest::Attempt(attempt)
        if attempt.skill.as_ref().is_none_or(|skill| !skill.skill_type.is_code()));
    let models = if needs_model {
        let flags = ModelFlags {
            provider: args.provider.clone(),
            model: args.model.clone(),
            ..ModelFlags::default()
        };
        model_setup(&flags, settings).1
    } else {
        None
    };
    let skills_dir = settings.store().skills_dir();
    let environment = crate::run::environment::process_environment();
    let is_cancelled = cancel::is_requested;
    let answered = answer(
        request,
        &Worker {
            is_cancelled: &is_cancelled,
            models,
            skills_dir: &skills_dir,
            environment: &environment,
        },
    );
    // One line, whatever --json says: the answer is for a program.
    printer.line(answered.to_string());
    Ok(Outcome::Done)
}
