use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{BOLD, DIM, GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::settings::Settings;
use crate::store::discovery::{Client, DeclaringFile, Roots, Transport, workspace_skills_dir};
use crate::store::trust::{Trust, fingerprint};

/// Let a workspace's own skills (DIR/.qwf/skills, the current directory by
/// default) run in your workflows, and its MCP servers be started.
///
/// Until a workspace is trusted its skills are listed but never run (a
/// skill of yours with the same name is used instead), and `qwf resources
/// --probe` does not start the MCP servers it declares (.amazonq/mcp.json,
/// .kiro/settings/mcp.json, its agents' mcpServers): a cloned repository
/// cannot make qwf execute its commands. qwf shows each command first. The
/// trust covers the files as they are now (a hash of everything under
/// .qwf/skills and of the files that declare servers); when any of them
/// changes, the workspace must be trusted again.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace directory (the current directory by default).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Stop trusting the workspace.
    #[arg(long, conflicts_with = "list")]
    pub revoke: bool,
    /// List the trusted workspaces and whether what they could run changed
    /// since.
    #[arg(long, conflicts_with = "dir")]
    pub list: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    if args.list {
        return list(settings, printer);
    }
    let directory = match &args.dir {
        Some(dir) => dir.clone(),
        None => settings.roots.workspace.clone().ok_or_else(|| {
            CliError::new("cannot tell the current directory").with_hint("name it: `qwf trust DIR`")
        })?,
    };
    if args.revoke {
        return revoke(&directory, settings, printer);
    }
    trust(&directory, args.yes, settings, printer)
}

fn trust(
    directory: &Path,
    yes: bool,
    settings: &Settings,
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    let skills_dir = workspace_skills_dir(directory);
    let print = fingerprint(directory)
        .map_err(|message| {
            CliError::new(format!(
                "the workspace's skills cannot be checked: {message}"
            ))
            .with_hint("fix or remove that file; nothing was trusted")
        })?
        .ok_or_else(|| nothing_to_trust(directory))?;
    // The workspace seen as if qwf ran there: its skills, their problems,
    // and the user's skills they would replace.
    let store = settings.store();
    let workspace_view = crate::store::Store::new(&settings.home).with_roots(Roots {
        user_home: settings.roots.user_home.clone(),
        workspace: Some(directory.to_path_buf()),
    });
    let listing = workspace_view.skill_listing();
    let mut skills: Vec<_> = listing
        .untrusted
        .iter()
        .chain(
            listing
                .skills
                .iter()
                .filter(|found| found.scope == crate::store::discovery::Scope::Workspace),
        )
        .collect();
    skills.sort_by(|left, right| left.skill.name.cmp(&right.skill.name));
    let replaces: Vec<&str> = listing
        .shadowed
        .iter()
        .filter(|shadowed| {
            skills
                .iter()
                .any(|found| found.source == shadowed.ignored || found.source == shadowed.used)
        })
        .filter(|shadowed| shadowed.used_scope != shadowed.ignored_scope)
        .map(|shadowed| shadowed.name.as_str())
        .collect();
    let servers = declared_servers(directory, &print.declaring);
    let has_skills = skills_dir.is_dir() || !skills.is_empty();
    let what = match (has_skills, servers.is_empty()) {
        (true, true) => "skills",
        (false, _) => "MCP servers",
        (true, false) => "skills and MCP servers",
    };
    if !printer.json {
        if has_skills {
            print_skills(&skills_dir, &skills, print.files, printer);
            for problem in &listing.problems {
                printer.line(paint(WARNING, format!("  unreadable: {problem}")));
            }
            if !replaces.is_empty() {
                printer.line(paint(
                    WARNING,
                    format!(
                        "  Once trusted, these replace your own skills of the same name here: {}",
                        replaces.join(", ")
                    ),
                ));
            }
            printer.line(paint(
                DIM,
                "  Code skills run their command from that folder; read the scripts there too.",
            ));
        }
        if !servers.is_empty() {
            print_servers(directory, &servers, printer);
        }
    }
    if settings.interactive && !yes && !prompt::confirm(&format!("Trust these {what} to run?")) {
        return Err(refused(
            "Cancelled. Nothing was trusted.",
            format!("its {what} stay listed but never run"),
        ));
    }
    let record = store.trust(directory, Some(&print.hash), &settings.now)?;
    if printer.json {
        printer.document(&json!({
            "trusted": record.path,
            "hash": record.hash,
            "skills": record.skills,
            "replaces": replaces,
            "servers": servers.iter().map(|server| json!({
                "name": server.name,
                "client": server.client,
                "agent": server.agent,
                "source": server.source,
                "command": server.command,
                "started": server.started,
            })).collect::<Vec<_>>(),
        }));
    } else {
        printer.line(format!(
            "{} Trusted {}: its {what} may run. If any of these files changes, qwf asks again.",
            paint(GOOD, "✓"),
            record.path.display()
        ));
        printer.line(paint(
            DIM,
            format!(
                "  `qwf trust --revoke {}` undoes this.",
                record.path.display()
            ),
        ));
    }
    Ok(Outcome::Done)
}

fn nothing_to_trust(directory: &Path) -> CliError {
    CliError::from(crate::store::trust::nothing_to_trust(directory))
}

fn print_skills(
    skills_dir: &Path,
    skills: &[&crate::store::discovery::FoundSkill],
    files: usize,
    printer: &mut Printer,
) {
    printer.line(format!(
        "{} holds {} skill{} ({} file{} in all):",
        skills_dir.display(),
        skills.len(),
        if skills.len() == 1 { "" } else { "s" },
        files,
        if files == 1 { "" } else { "s" },
    ));
    for found in skills {
        let env = crate::core::skill_env::requested(&found.skill);
        let mut line = format!(
            "  {} ({}): {}",
            paint(BOLD, &found.skill.name),
            found.skill.skill_type,
            found.skill.command.lines().next().unwrap_or_default()
        );
        if !env.is_empty() {
            line.push_str(&paint(DIM, format!("  [sees {}]", env.join(", "))));
        }
        printer.line(line);
    }
}

/// One MCP server a workspace file declares, as the user reads it.
struct DeclaredServer {
    name: String,
    client: Client,
    agent: Option<String>,
    /// The file, as `./…` under the workspace.
    source: String,
    /// The command line (or URL), credentials cut out.
    command: String,
    /// Its environment variables, by name.
    env: Vec<String>,
    /// Whether `qwf resources --probe` would start it.
    started: bool,
    /// Why not, when it would not.
    note: Option<&'static str>,
}

fn declared_servers(directory: &Path, declaring: &[DeclaringFile]) -> Vec<DeclaredServer> {
    declaring
        .iter()
        .flat_map(|file| {
            let source = match file.path.strip_prefix(directory) {
                Ok(relative) => format!("./{}", relative.display()),
                Err(_) => file.path.display().to_string(),
            };
            file.servers.iter().map(move |(name, config)| {
                let (env, remote) = match &config.transport {
                    Transport::Stdio { env, .. } => (env.keys().cloned().collect(), false),
                    Transport::Remote { .. } => (Vec::new(), true),
                };
                let note = if config.disabled {
                    Some("disabled: not started")
                } else if remote {
                    Some("remote: not started")
                } else {
                    None
                };
                DeclaredServer {
                    name: name.clone(),
                    client: file.client,
                    agent: file.agent.clone(),
                    source: source.clone(),
                    command: config.transport.shown(),
                    env,
                    started: note.is_none(),
                    note,
                }
            })
        })
        .collect()
}

fn print_servers(directory: &Path, servers: &[DeclaredServer], printer: &mut Printer) {
    printer.line(format!(
        "{} declares {} MCP server{}, started by `qwf resources --probe`:",
        directory.display(),
        servers.len(),
        if servers.len() == 1 { "" } else { "s" },
    ));
    for server in servers {
        let mut from = format!("{}, {}", server.client, server.source);
        if let Some(agent) = &server.agent {
            from = format!("{}, agent {agent}, {}", server.client, server.source);
        }
        let mut line = format!(
            "  {} ({from}): {}",
            paint(BOLD, &server.name),
            server.command
        );
        if !server.env.is_empty() {
            line.push_str(&paint(DIM, format!("  [env {}]", server.env.join(", "))));
        }
        if let Some(note) = server.note {
            line.push_str(&paint(DIM, format!("  ({note})")));
        }
        printer.line(line);
    }
    printer.line(paint(
        DIM,
        "  Servers run with your rights, from the workspace; read the scripts they start too.",
    ));
}

fn revoke(
    directory: &Path,
    settings: &Settings,
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    let removed = settings.store().revoke_trust(directory)?;
    if printer.json {
        printer.document(&json!({ "revoked": removed, "workspace": directory }));
    } else if removed {
        printer.line(format!(
            "{} {} is no longer trusted: its skills and MCP servers are listed but never run.",
            paint(GOOD, "✓"),
            directory.display()
        ));
    } else {
        printer.line(format!(
            "{} was not trusted; nothing changed.",
            directory.display()
        ));
    }
    Ok(Outcome::Done)
}

fn list(settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let records = store.trusted_workspaces()?;
    let rows: Vec<(String, serde_json::Value)> = records
        .iter()
        .map(|record| {
            let (state, text) = match store.trust_of(&record.path) {
                _ if !record.path.is_dir() => ("missing", "the directory is gone".to_string()),
                Trust::Trusted { .. } => ("trusted", "trusted".to_string()),
                Trust::Changed { .. } => (
                    "changed",
                    "its skills or MCP servers changed since: not used until trusted again"
                        .to_string(),
                ),
                Trust::NothingToTrust => (
                    "nothing_to_trust",
                    "no skills or MCP servers any more".to_string(),
                ),
                Trust::Untrusted => ("untrusted", "not trusted".to_string()),
                Trust::Unreadable { message } => {
                    ("unreadable", format!("cannot be checked: {message}"))
                }
            };
            let line = format!(
                "  {}  {}  {}",
                record.path.display(),
                paint(DIM, format!("since {}", record.trusted_at)),
                if state == "trusted" {
                    paint(GOOD, text)
                } else {
                    paint(WARNING, text)
                }
            );
            (
                line,
                json!({
                    "path": record.path,
                    "trusted_at": record.trusted_at,
                    "skills": record.skills,
                    "servers": record.servers,
                    "state": state,
                }),
            )
        })
        .collect();
    if printer.json {
        printer.document(&json!({
            "workspaces": rows.iter().map(|(_, value)| value).collect::<Vec<_>>()
        }));
        return Ok(Outcome::Done);
    }
    if rows.is_empty() {
        printer.line("No trusted workspaces. `qwf trust DIR` trusts one after showing its skills.");
        return Ok(Outcome::Done);
    }
    printer.line(format!("Trusted workspaces ({}):", rows.len()));
    for (line, _) in rows {
        printer.line(line);
    }
    Ok(Outcome::Done)
}
