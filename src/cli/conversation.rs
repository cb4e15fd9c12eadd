//! What the conversational commands (`do`, `edit`, `create`, `chat`) share:
//! the gate flags, choosing the model, running a request through the agent
//! loop and reporting what happened.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use super::error::{CliError, Outcome};
use super::gate::TerminalGate;
use super::output::{DIM, GOOD, Printer, WARNING, paint};
use super::settings::Settings;
use crate::agent::config::{self, ModelFlags};
use crate::agent::gate::Policy;
use crate::agent::model::{Model, ModelError, ModelReply, ModelRequest, cancel};
use crate::agent::offline::OfflinePlanner;
use crate::agent::session::{Options, Report, Session};
use crate::agent::status;

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
    /// The longest answer the model may write, in tokens (default per
    /// provider; also QWF_MAX_TOKENS or `max_tokens` in config.toml).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
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
            max_tokens: self.max_tokens,
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

/// Whether Ctrl-C stops the whole command, which then ends by itself
/// (`qwf eval` reports the cases that finished).
static STOP_ON_INTERRUPT: AtomicBool = AtomicBool::new(false);

/// Ctrl-C (and SIGTERM): cancel the model call in flight, or end qwf (exit
/// 130) when there is none. Store writes are atomic, so ending at any
/// moment is safe.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if STOP_ON_INTERRUPT.load(Ordering::SeqCst) {
            cancel::stop();
        } else if IN_CALL.load(Ordering::SeqCst) {
            cancel::request();
        } else {
            std::process::exit(130);
        }
    });
}

/// From now on Ctrl-C stops the command: the call in flight and every
/// later one are cancelled, and the command checks
/// [`cancel::is_stopping`] to end cleanly.
pub fn stop_on_interrupt() {
    STOP_ON_INTERRUPT.store(true, Ordering::SeqCst);
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

    fn needs_reminders(&self) -> bool {
        self.inner.needs_reminders()
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

/// Prints a report (or its JSON document) with qwf's status line, and picks
/// the exit outcome: 3 when nothing was applied and `--yes`, `--dry-run` or
/// `--plan-out` was given or a proposal was declined; 1 when the loop had
/// to stop the model; 0 otherwise.
pub fn finish(
    printer: &mut Printer,
    report: &Report,
    gate: &TerminalGate,
) -> Result<Outcome, CliError> {
    finish_with(printer, report, gate, 0, false)
}

/// [`finish`], for a request whose approved changes were staged
/// (`qwf refine`: `staged` of them in this request), or whose final text
/// was shown already as it streamed (`shown`, in `qwf chat`).
pub fn finish_with(
    printer: &mut Printer,
    report: &Report,
    gate: &TerminalGate,
    staged: usize,
    shown: bool,
) -> Result<Outcome, CliError> {
    let facts = status::Facts {
        dry_run: gate.policy.dry_run,
        plans: gate
            .plans_written
            .iter()
            .map(|path| path.display().to_string())
            .collect(),
        staged,
    };
    let status = status::of(report, &facts);
    if printer.json {
        let last = report.applied.last();
        printer.document(&json!({
            "applied": !report.applied.is_empty(),
            "version": last.and_then(|applied| applied.version),
            "verdict": last.map(|applied| applied.verdict).or(report.declined.last().map(|declined| declined.verdict)),
            "rewrite": last.map(|applied| applied.rewrite.clone()).unwrap_or_else(|| report.declined.last().and_then(|declined| declined.rewrite.clone())),
            "modifications": last.map(|applied| applied.modifications.clone()).unwrap_or_default(),
            "final_message": report.final_message,
            "status": status,
            "changes": report.applied,
            "declined": report.declined,
            "refused": report.rejected,
            "question": report.question,
            "plans": gate.plans_written,
            "stopped": report.stopped,
            "limit": report.limit,
            "usage": report.usage,
        }));
    } else {
        if !report.final_message.is_empty() && !shown {
            printer.line(&report.final_message);
        }
        status_lines(printer, report, &status);
    }
    if let Some(stopped) = &report.stopped {
        let hint = if report.limit.is_some() {
            "one request is bounded; only the changes listed above went through the gate (`qwf history NAME` shows what was saved); ask for the rest in another request"
        } else {
            "rephrase the request, or try another model with --provider/--model"
        };
        return Err(CliError::new(format!("stopped: {stopped}")).with_hint(hint));
    }
    if status.applied() {
        return Ok(Outcome::Done);
    }
    let policy = gate.policy;
    let asked_for_a_change = policy.yes || policy.dry_run || !gate.plans_written.is_empty();
    if asked_for_a_change || !report.declined.is_empty() {
        Ok(Outcome::Refused)
    } else {
        Ok(Outcome::Done)
    }
}

/// What qwf says after the model's text: a mark on a claim no gate
/// applied, the skills created or skipped, the status line, the tokens.
pub fn status_lines(printer: &mut Printer, report: &Report, status: &status::Status) {
    if status.unapplied_claim {
        printer.line(format!(
            "{} qwf: the model's message above reads as if a change was made, but nothing was applied.",
            paint(WARNING, "!")
        ));
    }
    for applied in &report.applied {
        skill_lines(printer, applied);
    }
    let line = if status.applied() {
        format!("{} {}", paint(GOOD, "✓"), status.line)
    } else {
        status.line.clone()
    };
    printer.line(line);
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
