//! The command-line interface: parses arguments, runs one command, prints.
//! This is the only layer that talks to the terminal.

mod commands;
mod conversation;
mod editor;
mod error;
mod gate;
pub mod graph;
mod output;
mod progress;
mod prompt;
mod render;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

pub use error::{CliError, Outcome};
use output::Printer;
use settings::Settings;

/// Create and evolve workflows through conversation: small, previewed,
/// reversible changes instead of rewrites.
#[derive(Debug, Parser)]
#[command(name = "qwf", version, about, long_about = None)]
pub struct Cli {
    /// Where qwf keeps workflows, versions and skills.
    #[arg(long, global = true, env = "QWF_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Print one machine-readable JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,

    /// More detail on stderr (-v, -vv).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One request to the agent, then exit.
    #[command(name = "do")]
    Do(commands::do_request::Args),
    Chat(commands::chat::Args),
    Create(commands::create::Args),
    Edit(commands::edit::Args),
    Refine(commands::refine::Args),
    Model(commands::model::Args),
    Eval(commands::eval::Args),
    List(commands::list::Args),
    Show(commands::show::Args),
    Validate(commands::validate::Args),
    History(commands::history::Args),
    Diff(commands::diff::Args),
    Rollback(commands::rollback::Args),
    Undo(commands::undo::Args),
    Delete(commands::delete::Args),
    Branch(commands::branch::Args),
    Merge(commands::merge::Args),
    Export(commands::export::Args),
    Import(commands::import::Args),
    Apply(commands::apply::Args),
    Schema(commands::schema::Args),
    Completions(commands::completions::Args),
    Run(commands::run::Args),
    Runs(commands::runs::Args),
    Step(commands::step::Args),
    Worker(commands::worker::Args),
    Resources(commands::resources::Args),
    Skill(commands::skill::Args),
    Mcp(commands::mcp::Args),
    Trust(commands::trust::Args),
}

/// `-v`: qwf's own account (each model call, tool call, gate decision and
/// version written); `-vv`: also request and response bodies (keys
/// scrubbed) and the libraries' notes; `-vvv`: everything.
fn init_tracing(verbose: u8) {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let (ours, theirs) = match verbose {
        0 => return,
        1 => (LevelFilter::INFO, LevelFilter::WARN),
        2 => (LevelFilter::DEBUG, LevelFilter::INFO),
        _ => (LevelFilter::TRACE, LevelFilter::TRACE),
    };
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("qwf", ours)
        .with_default(theirs);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(
                    std::io::IsTerminal::is_terminal(&std::io::stderr())
                        && std::env::var_os("NO_COLOR").is_none(),
                )
                .with_target(false),
        )
        .with(filter)
        .try_init();
}

/// Runs qwf with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help/version on stdout and usage errors on stderr.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                Outcome::Usage.code()
            } else {
                0
            });
        }
    };
    init_tracing(cli.verbose);
    conversation::install_interrupt_handler();
    let mut printer = Printer::new(cli.json);
    let outcome = Settings::resolve(cli.home, cli.json)
        .and_then(|settings| run(&cli.command, &settings, &mut printer));
    match outcome {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(error) => {
            printer.error(&error);
            ExitCode::from(error.outcome.code())
        }
    }
}

pub(crate) fn run(
    command: &Command,
    settings: &Settings,
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    match command {
        Command::Do(args) => commands::do_request::run(args, settings, printer),
        Command::Chat(args) => commands::chat::run(args, settings, printer),
        Command::Create(args) => commands::create::run(args, settings, printer),
        Command::Edit(args) => commands::edit::run(args, settings, printer),
        Command::Refine(args) => commands::refine::run(args, settings, printer),
        Command::Model(args) => commands::model::run(args, settings, printer),
        Command::Eval(args) => commands::eval::run(args, settings, printer),
        Command::List(args) => commands::list::run(args, settings, printer),
        Command::Show(args) => commands::show::run(args, settings, printer),
        Command::Validate(args) => commands::validate::run(args, settings, printer),
        Command::History(args) => commands::history::run(args, settings, printer),
        Command::Diff(args) => commands::diff::run(args, settings, printer),
        Command::Rollback(args) => commands::rollback::run(args, settings, printer),
        Command::Undo(args) => commands::undo::run(args, settings, printer),
        Command::Delete(args) => commands::delete::run(args, settings, printer),
        Command::Branch(args) => commands::branch::run(args, settings, printer),
        Command::Merge(args) => commands::merge::run(args, settings, printer),
        Command::Export(args) => commands::export::run(args, settings, printer),
        Command::Import(args) => commands::import::run(args, settings, printer),
        Command::Apply(args) => commands::apply::run(args, settings, printer),
        Command::Schema(args) => commands::schema::run(args, printer),
        Command::Completions(args) => commands::completions::run(args, printer),
        Command::Run(args) => commands::run::run(args, settings, printer),
        Command::Runs(args) => commands::runs::run(args, settings, printer),
        Command::Step(args) => commands::step::run(args, settings, printer),
        Command::Worker(args) => commands::worker::run(args, settings, printer),
        Command::Resources(args) => commands::resources::run(args, settings, printer),
        Command::Skill(args) => commands::skill::run(args, settings, printer),
        Command::Mcp(args) => commands::mcp::run(args, settings, printer),
        Command::Trust(args) => commands::trust::run(args, settings, printer),
    }
}
