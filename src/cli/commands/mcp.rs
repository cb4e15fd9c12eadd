use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{ArgGroup, Subcommand};

use crate::agent::config::ModelFlags;
use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{DIM, GOOD, Printer, paint};
use crate::cli::prompt;
use crate::cli::settings::Settings;
use crate::mcp::install::{self, Host, InstallError, Scope};
use crate::mcp::{Clock, ServerSettings};

/// Serve the qwf home over MCP on stdin/stdout, for Amazon Q CLI, Kiro,
/// Claude Code or any MCP host; `qwf mcp install` adds it to a host.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub action: Option<Action>,
    /// The model provider edit_workflow and create_workflow use (as for
    /// `qwf edit`; default: config.toml, the environment, or offline).
    #[arg(long)]
    pub provider: Option<String>,
    /// The model name (provider-specific).
    #[arg(long)]
    pub model: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Action {
    Install(InstallArgs),
}

/// Add `qwf mcp` to an MCP host's configuration file (everything else in
/// the file is kept).
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("host").required(true).args(["q_cli", "kiro", "claude_code"])))]
pub struct InstallArgs {
    /// Amazon Q CLI: ~/.aws/amazonq/mcp.json (./.amazonq/mcp.json with --workspace).
    #[arg(long)]
    pub q_cli: bool,
    /// Kiro: ~/.kiro/settings/mcp.json (./.kiro/settings/mcp.json with --workspace).
    #[arg(long)]
    pub kiro: bool,
    /// Claude Code: ~/.claude.json, user scope (./.mcp.json, project scope, with --workspace).
    #[arg(long)]
    pub claude_code: bool,
    /// The current directory's configuration instead of the user's.
    #[arg(long)]
    pub workspace: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show what would be written; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    match &args.action {
        Some(Action::Install(install)) => run_install(install, settings, printer),
        None => serve(args, settings),
    }
}

fn serve(args: &Args, settings: &Settings) -> Result<Outcome, CliError> {
    if std::io::stdin().is_terminal() {
        eprintln!(
            "qwf mcp speaks the Model Context Protocol on stdin and stdout; an MCP host starts it (see `qwf mcp install --help`). Ctrl-D ends it."
        );
    }
    let clock = if std::env::var_os("QWF_TIMESTAMP").is_some() {
        Clock::Pinned(settings.now_time)
    } else {
        Clock::System
    };
    crate::mcp::serve(ServerSettings {
        home: settings.home.clone(),
        roots: settings.roots.clone(),
        clock,
        model: ModelFlags {
            provider: args.provider.clone(),
            model: args.model.clone(),
            ..ModelFlags::default()
        },
    })
    .map_err(|message| {
        CliError::new(message)
            .with_hint("an MCP host starts `qwf mcp` and talks to it on stdin/stdout")
    })?;
    Ok(Outcome::Done)
}

/// The qwf home by default (`--home` and `QWF_HOME` unset).
fn default_home() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "qwf").map(|dirs| dirs.data_dir().to_path_buf())
}

fn run_install(
    args: &InstallArgs,
    settings: &Settings,
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    let host = if args.q_cli {
        Host::QCli
    } else if args.kiro {
        Host::Kiro
    } else {
        Host::ClaudeCode
    };
    let scope = if args.workspace {
        Scope::Workspace
    } else {
        Scope::User
    };
    let user_home = settings.roots.user_home.clone().ok_or_else(|| {
        CliError::new("HOME is not set, so the user's configuration cannot be found")
            .with_hint("set HOME, or use --workspace for the current directory's configuration")
    })?;
    let workspace = settings.roots.workspace.clone().ok_or_else(|| {
        CliError::new("cannot tell the current directory")
            .with_hint("run it from an existing directory")
    })?;
    let path = host.config_path(scope, &user_home, &workspace);
    let command = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|error| {
            CliError::new(format!("cannot tell where this qwf program is: {error}")).with_hint(
                "run qwf by its path, or add the entry by hand (see README, qwf as an MCP server)",
            )
        })?;
    let command = command.to_string_lossy().into_owned();
    // The home goes into the entry unless it is the default one, so the
    // host serves the same workflows as this shell.
    let mut server_args = Vec::new();
    if default_home().as_deref() != Some(settings.home.as_path()) {
        let home = std::path::absolute(&settings.home).unwrap_or_else(|_| settings.home.clone());
        server_args.push("--home".to_string());
        server_args.push(home.to_string_lossy().into_owned());
    }
    server_args.push("mcp".to_string());
    let planned =
        install::plan(&path, host.entry(&command, &server_args)).map_err(install_error)?;
    let shown_path = planned.path.display().to_string();
    let where_ = match (host, scope) {
        (Host::ClaudeCode, Scope::User) => "user scope",
        (Host::ClaudeCode, Scope::Workspace) => "project scope",
        (_, Scope::User) => "for this user",
        (_, Scope::Workspace) => "for this workspace",
    };
    let document = |written: bool| {
        serde_json::json!({
            "host": host.to_string(),
            "path": shown_path,
            "name": install::SERVER_NAME,
            "entry": planned.entry,
            "previous": planned.previous,
            "written": written,
        })
    };
    if planned.unchanged {
        if printer.json {
            printer.document(&document(false));
        } else {
            printer.line(format!(
                "{} {host} already has qwf in {shown_path}; nothing to do.",
                paint(GOOD, "✓")
            ));
        }
        return Ok(Outcome::Done);
    }
    if !printer.json {
        let verb = if planned.previous.is_some() {
            "Replace the 'qwf' entry"
        } else {
            "Add a 'qwf' entry"
        };
        let file = if planned.exists {
            "keeping everything else in the file"
        } else {
            "a new file"
        };
        printer.line(format!(
            "{verb} in {host}'s MCP servers ({where_}): {shown_path} ({file})"
        ));
        if let Some(previous) = &planned.previous {
            printer.line(paint(DIM, "  was:"));
            for line in pretty(previous).lines() {
                printer.line(paint(DIM, format!("    {line}")));
            }
            printer.line("  becomes:");
        }
        let entry = serde_json::json!({ install::SERVER_NAME: planned.entry });
        for line in pretty(&entry).lines() {
            printer.line(format!("    {line}"));
        }
        printer.line("");
    }
    if args.dry_run {
        if printer.json {
            printer.document(&document(false));
        }
        return Err(refused(
            "Dry run: nothing written.",
            "run it again without --dry-run to write it",
        ));
    }
    if settings.interactive && !args.yes && !prompt::confirm("Write it?") {
        return Err(refused(
            "Cancelled. Nothing written.",
            "nothing was changed",
        ));
    }
    install::write(&planned, scope).map_err(install_error)?;
    if printer.json {
        printer.document(&document(true));
    } else {
        printer.line(format!(
            "{} Added qwf to {host}. Restart {host} (or reload its MCP servers) to use it.",
            paint(GOOD, "✓")
        ));
    }
    Ok(Outcome::Done)
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn install_error(error: InstallError) -> CliError {
    let hint = error.hint();
    CliError::new(error.to_string()).with_hint(hint)
}
