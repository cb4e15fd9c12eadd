//! The command-line interface: parses arguments, runs one command, prints.
//! This is the only layer that talks to the terminal.

mod commands;
mod error;
mod output;
mod render;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::{CliError, Outcome};
use output::Printer;

/// Create and evolve workflows through conversation: small, previewed,
/// reversible changes instead of rewrites.
#[derive(Debug, Parser)]
#[command(name = "qwf", version, about, long_about = None)]
pub struct Cli {
    /// Print one machine-readable JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Validate(commands::validate::Args),
    Schema(commands::schema::Args),
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
    let mut printer = Printer::new(cli.json);
    let outcome = match cli.command {
        Command::Validate(args) => commands::validate::run(&args, &mut printer),
        Command::Schema(args) => commands::schema::run(&args, &mut printer),
    };
    match outcome {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(error) => {
            printer.error(&error);
            ExitCode::from(error.outcome.code())
        }
    }
}
