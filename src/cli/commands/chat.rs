use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use clap::Parser;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Editor, Helper};

use crate::agent::session::{Mode, Options, Session};
use crate::cli::conversation::{GateArgs, build_model, finish_with, model_error};
use crate::cli::error::{CliError, Outcome};
use crate::cli::gate::{SlashFlow, TerminalGate};
use crate::cli::output::{DIM, ERROR, Printer, paint};
use crate::cli::settings::Settings;

/// Talk to qwf: free text goes to the agent; slash commands (/help) run the
/// same code as the CLI commands.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workflow the conversation is about.
    #[arg(long, short = 'w')]
    pub workflow: Option<String>,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// Slash commands and what they do.
const SLASH: [(&str, &str); 11] = [
    ("/list", "list the workflows"),
    ("/show", "show a workflow: /show [NAME] [--version N]"),
    ("/diff", "what changed: /diff [NAME] [--from N --to M]"),
    ("/history", "versions of a workflow: /history [NAME]"),
    ("/validate", "check a workflow: /validate [NAME]"),
    ("/undo", "go back one version: /undo [NAME]"),
    ("/rollback", "bring back a version: /rollback [NAME] --to N"),
    ("/workflow", "talk about another workflow: /workflow NAME"),
    ("/model", "the model in use and where it was chosen"),
    ("/help", "this list"),
    ("/exit", "leave (Ctrl-D works too)"),
];

/// Slash commands that take a workflow name first.
const TAKES_NAME: [&str; 6] = ["show", "diff", "history", "validate", "undo", "rollback"];

struct ChatHelper {
    workflows: Vec<String>,
}

impl Completer for ChatHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before.rfind(' ').map_or(0, |space| space + 1);
        let word = &before[start..];
        let pairs = |candidates: Vec<&str>| -> Vec<Pair> {
            candidates
                .into_iter()
                .filter(|candidate| candidate.starts_with(word))
                .map(|candidate| Pair {
                    display: candidate.to_string(),
                    replacement: candidate.to_string(),
                })
                .collect()
        };
        if start == 0 && word.starts_with('/') {
            return Ok((
                0,
                pairs(SLASH.iter().map(|(command, _)| *command).collect()),
            ));
        }
        if before.starts_with('/') && start > 0 {
            return Ok((
                start,
                pairs(self.workflows.iter().map(String::as_str).collect()),
            ));
        }
        Ok((pos, Vec::new()))
    }
}

impl Hinter for ChatHelper {
    type Hint = String;
}

impl Highlighter for ChatHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for ChatHelper {}
impl Helper for ChatHelper {}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    if !settings.interactive {
        return Err(CliError::new("`qwf chat` needs a terminal")
            .with_hint("for one request from a script, use `qwf do \"REQUEST\" --yes`"));
    }
    crate::cli::prompt::set_in_chat(true);
    let store = settings.store();
    if let Some(workflow) = &args.workflow {
        store.head(workflow, &settings.context())?;
    }
    let model = build_model(settings, &args.gate.flags())?;
    let options = Options {
        mode: Mode::General,
        focus: args.workflow.clone(),
        ..Options::default()
    };
    let mut session = Session::new(model.as_ref(), &store, settings.context(), options);
    let workflows = || {
        store
            .list()
            .map(|list| list.into_iter().map(|summary| summary.name).collect())
            .unwrap_or_default()
    };
    let history_file = settings.home.join("chat_history");
    printer.line(format!(
        "qwf chat with {} — /help for commands, Ctrl-D to leave.",
        model.describe()
    ));
    if let Some(workflow) = &args.workflow {
        printer.line(paint(DIM, format!("Talking about '{workflow}'.")));
    }
    loop {
        let prompt = match &session.options().focus {
            Some(focus) => format!("{focus}> "),
            None => "qwf> ".to_string(),
        };
        let line = match read_line(&prompt, workflows(), &history_file) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(error) => return Err(CliError::new(format!("cannot read input: {error}"))),
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(command) = line.strip_prefix('/') {
            if slash(command, &mut session, settings, printer) == Flow::Exit {
                break;
            }
            continue;
        }
        // A `/command` typed at a question the model asks runs, and the
        // question is asked again.
        let focus = session.options().focus.clone();
        let question_settings = settings.clone();
        let mut gate = TerminalGate::new(
            false,
            args.gate.policy(),
            true,
            args.gate.plan_out.clone(),
            line,
        )
        .with_slash(Box::new(move |command, printer| {
            match command.split_whitespace().next() {
                Some("exit" | "quit") => SlashFlow::Exit,
                Some("workflow") => {
                    printer.line(paint(
                        DIM,
                        "Answer the question first (Ctrl-D skips it); /workflow works at the prompt.",
                    ));
                    SlashFlow::Ran
                }
                _ => {
                    let _ = run_command(command, focus.as_deref(), &question_settings, printer);
                    SlashFlow::Ran
                }
            }
        }));
        let focus_before = session.options().focus.clone();
        let mut streamed = false;
        let mut show_text = |text: &str| {
            streamed = true;
            let mut stdout = std::io::stdout();
            let _ = write!(stdout, "{text}");
            let _ = stdout.flush();
        };
        let result = session.run_streaming(line, &mut gate, &mut show_text);
        if streamed {
            printer.line("");
        }
        match result {
            Ok(report) => {
                // The text was shown as it streamed; a question that ended
                // the turn was not.
                let shown = streamed && report.question.is_none();
                if let Err(error) = finish_with(printer, &report, &gate, 0, shown) {
                    printer.error(&error);
                }
            }
            Err(crate::agent::model::ModelError::Cancelled) => {
                printer.line("Cancelled; nothing was applied.")
            }
            Err(error) => printer.error(&model_error(error)),
        }
        if let Some(focus) = &session.options().focus
            && session.options().focus != focus_before
        {
            printer.line(paint(DIM, format!("Talking about '{focus}' from now on.")));
        }
        if gate.exit_requested {
            break;
        }
    }
    Ok(Outcome::Done)
}

/// Reads one line with a line editor that lives only while it reads: a
/// rustyline editor takes over SIGINT for as long as it exists, and Ctrl-C
/// during the model call that follows must reach qwf's handler (which
/// cancels the call). The history file is read before and written after.
fn read_line(
    prompt: &str,
    workflows: Vec<String>,
    history_file: &Path,
) -> Result<String, ReadlineError> {
    let mut editor: Editor<ChatHelper, DefaultHistory> = Editor::new()?;
    editor.set_helper(Some(ChatHelper { workflows }));
    let _ = editor.load_history(history_file);
    let line = editor.readline(prompt)?;
    if !line.trim().is_empty() {
        let _ = editor.add_history_entry(line.trim());
        if let Some(parent) = history_file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = editor.save_history(history_file);
    }
    Ok(line)
}

#[derive(PartialEq)]
enum Flow {
    Continue,
    Exit,
}

/// Runs a slash command through the same parser and code as the CLI.
fn slash(
    command: &str,
    session: &mut Session<'_>,
    settings: &Settings,
    printer: &mut Printer,
) -> Flow {
    let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    let Some(name) = words.first().cloned() else {
        return Flow::Continue;
    };
    match name.as_str() {
        "exit" | "quit" => return Flow::Exit,
        "workflow" => {
            match words.get(1) {
                Some(workflow) => match settings.store().head(workflow, &settings.context()) {
                    Ok(_) => {
                        session.set_focus(Some(workflow.clone()));
                        printer.line(format!("Talking about '{workflow}'."));
                    }
                    Err(error) => printer.error(&error.into()),
                },
                None => printer.line(match &session.options().focus {
                    Some(focus) => format!("Talking about '{focus}'."),
                    None => "No workflow in focus; /workflow NAME picks one.".to_string(),
                }),
            }
            return Flow::Continue;
        }
        _ => {}
    }
    run_command(
        command,
        session.options().focus.as_deref(),
        settings,
        printer,
    );
    Flow::Continue
}

/// Runs a slash command that is a CLI command (`/show`, `/history`, …)
/// through the same parser and code as the CLI, or `/help`; commands about
/// a workflow default to `focus`. False when the command is unknown.
fn run_command(
    command: &str,
    focus: Option<&str>,
    settings: &Settings,
    printer: &mut Printer,
) -> bool {
    let mut words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    let Some(name) = words.first().cloned() else {
        return false;
    };
    if name == "help" {
        for (command, what) in SLASH {
            printer.line(format!("  {command:<10} {what}"));
        }
        printer.line(paint(
            DIM,
            "  Anything else is a request to the agent, e.g. \"add retry logic to the API call\".",
        ));
        return true;
    }
    if !SLASH.iter().any(|(known, _)| known[1..] == name) {
        printer.line(format!(
            "{} unknown command /{name}; /help lists them",
            paint(ERROR, "✗")
        ));
        return false;
    }
    if TAKES_NAME.contains(&name.as_str())
        && words.get(1).is_none_or(|next| next.starts_with('-'))
        && let Some(focus) = focus
    {
        words.insert(1, focus.to_string());
    }
    let arguments = std::iter::once("qwf".to_string()).chain(words);
    match crate::cli::Cli::try_parse_from(arguments) {
        Ok(cli) => {
            if let Err(error) = crate::cli::run(&cli.command, settings, printer) {
                printer.error(&error);
            }
        }
        Err(error) => printer.line(error.render().to_string().trim_end()),
    }
    true
}
