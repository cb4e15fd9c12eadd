use clap::CommandFactory;

use crate::cli::Cli;
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;

/// Print a shell completion script: `qwf completions bash > /etc/bash_completion.d/qwf`,
/// `qwf completions zsh > "${fpath[1]}/_qwf"`, `qwf completions fish > ~/.config/fish/completions/qwf.fish`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete in.
    pub shell: clap_complete::Shell,
}

pub fn run(args: &Args, printer: &mut Printer) -> Result<Outcome, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "qwf", &mut script);
    let text = String::from_utf8(script)
        .map_err(|error| CliError::new(format!("the completion script is not UTF-8: {error}")))?;
    printer.line(text.trim_end());
    Ok(Outcome::Done)
}
