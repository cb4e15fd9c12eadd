//! What the conversational commands (`do`, `edit`, `create`, `chat`) share:
//! the gate flags, choosing the model, running a request through the agent
//! loop and reporting what happened.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use super::error::{CliError, Outcome, refused};
use super::gate::TerminalGate;
use super::output::{DIM, GOOD, Printer, WARNING, paint};
use super::settings::Settings;
use crate::agent::config::{self, ModelFlags};
use crate::agent::gate::Policy;
use crate::agent::model::{Model, ModelError, ModelReply, ModelRequest, cancel};
use crate::agent::offline::OfflinePlanner;
use crate::agent::session::{Options, Report, Session};

/// Flags of every conversational command.
#[derive(Debug, Clone, clap::Args)]
pub struct GateArgs {
    /// Approve every proposal whose impact has no errors, including the
    /// creation of the missing skills it proposes.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With --yes, also approve proposals whose verdict is breaking.
    #[arg(long)]
    pub force: bool,
    /// Show proposals, never apply them.
    #[arg(long)]
    pub dry_run: bool,
    /// Save the proposal as a plan file (for `qwf apply`) instead of applying.
    #[arg(long, value_name = "FILE")]
    pub plan_out: Option<PathBuf>,
    /// The model provider: anthropic, openai, ollama, gemini,
    /// openai-compatible or offline.
    #[arg(long)]
    pub provider: Option<String>,
    /// The model name (provider-specific).
    #[arg(long)]
    pub model: Option<String>,
}

impl GateArgs {
    pub fn policy(&self) -> Policy {
        Policy {
            yes: self.yes,
            force: self.force,
            dry_run: self.dry_run,
        }
    }

    pub fn flags(&self) -> ModelFlags {
        ModelFlags {
            provider: self.provider.clone(),
            model: self.model.clone(),
        }
    }
}

pub fn model_error(error: ModelError) -> CliError {
    let hint = error.hint();
    let cancelled = matches!(error, ModelError::Cancelled);
    let mut cli_error = CliError::new(error.to_string()).with_hint(hint);
    if cancelled {
        cli_error.outcome = Outcome::Interrupted;
    }
    cli_error
}

/// Whether a model call is in flight, so Ctrl-C cancels it instead of
/// ending qwf.
static IN_CALL: AtomicBool = AtomicBool::new(false);

/// Ctrl-C: cancel the model call in flight, or end qwf (exit 130) when
/// there is none. Store writes are atomic, so ending at any moment is safe.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if IN_CALL.load(Ordering::SeqCst) {
            cancel::request();
        } else {
            std::process::exit(130);
        }
    });
}

/// From now on Ctrl-C only raises the cancel flag, for a command that
/// stops cleanly by itself (`qwf run` kills its steps and saves the record).
pub fn cancel_on_interrupt() {
    cancel::reset();
    IN_CALL.store(true, Ordering::SeqCst);
}

/// The model chosen by flags, environment and config.toml, with a spinner
/// on the terminal while it thinks.
pub fn build_model(settings: &Settings, flags: &ModelFlags) -> Result<Box<dyn Model>, CliError> {
    let resolved =
        config::resolve(flags, &settings.home, &config::process_env).map_err(model_error)?;
    let inner = config::build(&resolved, &config::process_env, || {
        Box::new(OfflinePlanner::new())
    })
    .map_err(model_error)?;
    Ok(Box::new(Spinning {
        inner,
        show: settings.interactive && std::io::stderr().is_terminal(),
    }))
}

/// Shows a spinner on stderr while the model is called.
struct Spinning {
    inner: Box<dyn Model>,
    show: bool,
}

impl Spinning {
    /// Runs a model call with the spinner and the Ctrl-C flag around it.
    fn around<T>(&self, call: impl FnOnce(&Option<indicatif::ProgressBar>) -> T) -> T {
        cancel::reset();
        IN_CALL.store(true, Ordering::SeqCst);
        let spinner = self.show.then(|| {
            let spinner = indicatif::ProgressBar::new_spinner();
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} {msg} · {elapsed}")
            {
                spinner.set_style(style);
            }
            spinner.set_message(format!(
                "{} is thinking... (Ctrl-C cancels)",
                self.inner.describe()
            ));
            spinner.enable_steady_tick(std::time::Duration::from_millis(100));
            spinner
        });
        let result = call(&spinner);
        IN_CALL.store(false, Ordering::SeqCst);
        if let Some(spinner) = spinner {
            spinner.finish_and_clear();
        }
        result
    }
}

impl Model for Spinning {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn respond_streaming(
        &self,
        request: &ModelRequest<'_>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<ModelReply, ModelError> {
        self.around(|spinner| {
            let mut first = true;
            self.inner.respond_streaming(request, &mut |text| {
                if first && let Some(spinner) = spinner {
                    spinner.finish_and_clear();
                }
                first = false;
                on_text(text);
            })
        })
    }

    fn respond(&self, request: &ModelRequest<'_>) -> Result<ModelReply, ModelError> {
        self.around(|_| self.inner.respond(request))
    }
}

/// Runs one request through the loop and the gate, prints the outcome, and
/// says how the command should exit.
pub fn run_request(
    settings: &Settings,
    printer: &mut Printer,
    args: &GateArgs,
    options: Options,
    request: &str,
) -> Result<Outcome, CliError> {
    let model = build_model(settings, &args.flags())?;
    let store = settings.store();
    let mut session = Session::new(model.as_ref(), &store, settings.context(), options);
    let mut gate = TerminalGate::new(
        printer.json,
        args.policy(),
        settings.interactive,
        args.plan_out.clone(),
        request,
    );
    let report = session.run(request, &mut gate).map_err(model_error)?;
    finish(printer, &report, &gate)
}

/// Prints a report (or its JSON document) and picks the exit outcome.
pub fn finish(
    printer: &mut Printer,
    report: &Report,
    gate: &TerminalGate,
) -> Result<Outcome, CliError> {
    if printer.json {
        let last = report.applied.last();
        printer.document(&json!({
            "applied": !report.applied.is_empty(),
            "version": last.and_then(|applied| applied.version),
            "verdict": last.map(|applied| applied.verdict).or(report.declined.last().map(|declined| declined.verdict)),
            "rewrite": last.map(|applied| applied.rewrite.clone()).unwrap_or_else(|| report.declined.last().and_then(|declined| declined.rewrite.clone())),
            "modifications": last.map(|applied| applied.modifications.clone()).unwrap_or_default(),
            "final_message": report.final_message,
            "changes": report.applied,
            "declined": report.declined,
            "question": report.question,
            "plans": gate.plans_written,
            "stopped": report.stopped,
            "limit": report.limit,
            "usage": report.usage,
        }));
    } else {
        if !report.final_message.is_empty() {
            printer.line(&report.final_message);
        }
        for applied in &report.applied {
            skill_lines(printer, applied);
        }
        if report.usage.input_tokens + report.usage.output_tokens > 0 {
            printer.line(paint(
                DIM,
                format!(
                    "({} tokens in, {} out)",
                    report.usage.input_tokens, report.usage.output_tokens
                ),
            ));
        }
    }
    if let Some(stopped) = &report.stopped {
        let hint = if report.limit.is_some() {
            "one request is bounded; only the changes listed above went through the gate (`qwf history NAME` shows what was saved); ask for the rest in another request"
        } else {
            "rephrase the request, or try another model with --provider/--model"
        };
        return Err(CliError::new(format!("stopped: {stopped}")).with_hint(hint));
    }
    if report.proposals > 0 && report.applied.is_empty() {
        let hint = if !gate.plans_written.is_empty() {
            "the proposal was saved as a plan; apply it with `qwf apply FILE`"
        } else if gate.policy.dry_run {
            "this was a dry run; run it again without --dry-run to apply"
        } else {
            "run it again and approve the change, or add --yes (and --force for breaking changes and rewrites)"
        };
        return Err(refused("Nothing was applied.", hint));
    }
    Ok(Outcome::Done)
}

/// The skills a new workflow created, and the ones the user skipped (the
/// workflow cannot run until they exist).
fn skill_lines(printer: &mut Printer, applied: &crate::agent::session::Applied) {
    if !applied.skills_created.is_empty() {
        printer.line(format!(
            "{} Created skill{}: {}",
            paint(GOOD, "✓"),
            if applied.skills_created.len() == 1 {
                ""
            } else {
                "s"
            },
            applied.skills_created.join(", ")
        ));
    }
    for path in &applied.stub_scripts {
        printer.line(format!(
            "{} Wrote a stub script {}: it fails with \"implement me\" until you write the real one (`qwf run` says so before it starts)",
            paint(WARNING, "!"),
            path.display()
        ));
    }
    if !applied.skills_skipped.is_empty() {
        let workflow = applied.workflow.as_deref().unwrap_or_default();
        printer.line(format!(
            "{} Skipped skill{}: {}. The workflow is saved, but the steps that use {} cannot run until {} exist{}.",
            paint(WARNING, "!"),
            if applied.skills_skipped.len() == 1 { "" } else { "s" },
            applied.skills_skipped.join(", "),
            if applied.skills_skipped.len() == 1 { "it" } else { "them" },
            if applied.skills_skipped.len() == 1 { "it" } else { "they" },
            if applied.skills_skipped.len() == 1 { "s" } else { "" },
        ));
        printer.line(format!(
            "  Create {} later with `qwf skill create {} --type TYPE --command COMMAND`; `qwf validate {workflow}` lists what is missing.",
            if applied.skills_skipped.len() == 1 { "it" } else { "each" },
            if applied.skills_skipped.len() == 1 { applied.skills_skipped[0].as_str() } else { "NAME" },
        ));
    }
}
