use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::agent::mcp_probe::{self, Probed, Target};
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{BOLD, DIM, ERROR, Printer, WARNING, paint};
use crate::cli::settings::Settings;
use crate::store::discovery::redact;
use crate::store::discovery::{
    CachedServer, Discovery, FoundServer, ProbeCache, Roots, Scope, Shadowed, Transport,
};

/// Everything qwf can reuse: skills (the qwf home's and the workspace's
/// `.qwf/skills/`), Amazon Q CLI and Kiro agents, and MCP servers from their
/// `mcp.json` files and agent files, each with the file it came from.
///
/// A file that cannot be read or parsed is listed under Problems (with its
/// line and column) and skipped; the rest is still listed, and the exit
/// code is 0. `--probe` starts each configured stdio MCP server, lists its
/// tools and stops it; the tools are kept in QWF_HOME/cache/mcp-tools.json
/// and offered to the model. The servers a workspace declares are started
/// only once you trust it (`qwf trust`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start each enabled stdio MCP server, list its tools, and stop it
    /// (a workspace's own servers only if you trust it: `qwf trust`).
    #[arg(long)]
    pub probe: bool,

    /// With --probe: seconds each server has to start and list its tools.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600), requires = "probe")]
    pub timeout: u64,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let mut discovery = store.discover();
    let mut probed = None;
    if args.probe {
        let results = probe(
            &discovery,
            &settings.roots,
            Duration::from_secs(args.timeout),
        )?;
        let cache = ProbeCache {
            probed_at: settings.now.clone(),
            servers: results
                .iter()
                .map(|result| CachedServer {
                    name: result.name.clone(),
                    origin: result.origin.clone(),
                    tools: result.tools.clone(),
                    error: result.failure_message(),
                })
                .collect(),
        };
        store.save_probe(&cache)?;
        discovery.probe = Some(cache);
        probed = Some(results);
    }
    if printer.json {
        printer.document(&document(&discovery, probed.as_deref(), settings));
        return Ok(Outcome::Done);
    }
    let places = Places {
        roots: &settings.roots,
    };
    print_skills(&discovery, &places, printer);
    print_agents(&discovery, &places, printer);
    print_servers(&discovery, &places, settings, printer);
    print_untrusted(&discovery, &places, printer);
    print_shadowed(&discovery, &places, printer);
    print_problems(&discovery, &places, printer);
    if let Some(results) = &probed {
        let failed = results
            .iter()
            .filter(|result| result.failure.is_some())
            .count();
        let tools: usize = results.iter().map(|result| result.tools.len()).sum();
        let held = held_back(&discovery).count();
        printer.line("");
        printer.line(if results.is_empty() && held == 0 {
            "Probed no servers: none is configured to start over stdio.".to_string()
        } else if results.is_empty() {
            "Probed no servers.".to_string()
        } else {
            format!(
                "Probed {} server{}: {} answered with {tools} tool{}, {failed} failed. Saved to {}.",
                results.len(),
                plural(results.len()),
                results.len() - failed,
                plural(tools),
                places.show(&store.mcp_cache_path()),
            )
        });
        if held > 0 {
            printer.line(paint(
                WARNING,
                format!(
                    "{held} workspace server{} not probed: the workspace is not trusted. `qwf trust` shows {} command{} and trusts it.",
                    plural(held),
                    if held == 1 { "its" } else { "their" },
                    plural(held),
                ),
            ));
        }
    }
    Ok(Outcome::Done)
}

/// Why a workspace's server was not started.
const NOT_TRUSTED: &str = "workspace not trusted (qwf trust)";

/// The servers `--probe` would start but for the workspace's trust.
fn held_back(discovery: &Discovery) -> impl Iterator<Item = &FoundServer> {
    discovery
        .mcp_servers
        .iter()
        .filter(|server| discovery.untrusted(server) && Target::for_server(server).is_some())
}

fn probe(discovery: &Discovery, roots: &Roots, timeout: Duration) -> Result<Vec<Probed>, CliError> {
    // A cloned repository's servers are its code: never started untrusted.
    let targets: Vec<Target> = discovery
        .mcp_servers
        .iter()
        .filter(|server| !discovery.untrusted(server))
        .filter_map(Target::for_server)
        .map(|mut target| {
            // Servers start where their client would start them: here.
            target.working_directory = roots.workspace.clone();
            target
        })
        .collect();
    mcp_probe::probe_all(&targets, timeout).map_err(|error| {
        CliError::new(format!("cannot start the MCP probe: {error}"))
            .with_hint("this is a problem of the machine (threads, file handles); try again")
    })
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Paths as a user recognises them: `./` in the workspace, `~/` at home.
struct Places<'a> {
    roots: &'a Roots,
}

impl Places<'_> {
    fn show(&self, path: &Path) -> String {
        if let Some(workspace) = &self.roots.workspace
            && let Ok(relative) = path.strip_prefix(workspace)
        {
            return format!("./{}", relative.display());
        }
        if let Some(home) = &self.roots.user_home
            && let Ok(relative) = path.strip_prefix(home)
        {
            return format!("~/{}", relative.display());
        }
        path.display().to_string()
    }
}

fn heading(printer: &mut Printer, title: &str, count: usize, first: bool) {
    if !first {
        printer.line("");
    }
    printer.line(paint(BOLD, format!("{title} ({count})")));
}

fn short(text: &str, width: usize) -> String {
    let text = text.lines().next().unwrap_or_default().trim();
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Rows of columns, padded to the widest cell of each column but the last.
fn table(rows: &[Vec<String>]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::from("  ");
            for (column, cell) in row.iter().enumerate() {
                if column + 1 == row.len() {
                    line.push_str(&paint(DIM, cell));
                } else {
                    line.push_str(&format!("{cell:width$}  ", width = widths[column]));
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

fn scope_label(scope: Scope) -> &'static str {
    match scope {
        Scope::Workspace => "workspace",
        Scope::Global => "global",
    }
}

fn print_skills(discovery: &Discovery, places: &Places, printer: &mut Printer) {
    heading(printer, "Skills", discovery.skills.len(), true);
    if discovery.skills.is_empty() {
        printer.line(paint(
            DIM,
            "  none (skills are JSON files in QWF_HOME/skills/ or ./.qwf/skills/)",
        ));
        return;
    }
    let rows: Vec<Vec<String>> = discovery
        .skills
        .iter()
        .map(|found| {
            vec![
                found.skill.name.clone(),
                found.skill.skill_type.to_string(),
                short(&found.skill.description, 50),
                places.show(&found.source),
            ]
        })
        .collect();
    printer.line(table(&rows).join("\n"));
}

fn print_agents(discovery: &Discovery, places: &Places, printer: &mut Printer) {
    heading(printer, "Agents", discovery.agents.len(), false);
    if discovery.agents.is_empty() {
        printer.line(paint(
            DIM,
            "  none (looked in ~/.aws/amazonq/cli-agents/, ./.amazonq/cli-agents/, ~/.kiro/agents/, ./.kiro/agents/)",
        ));
        return;
    }
    let rows: Vec<Vec<String>> = discovery
        .agents
        .iter()
        .map(|agent| {
            vec![
                agent.name.clone(),
                format!("{}, {}", agent.client, scope_label(agent.scope)),
                short(agent.description.as_deref().unwrap_or_default(), 50),
                places.show(&agent.source),
            ]
        })
        .collect();
    printer.line(table(&rows).join("\n"));
}

/// How a server starts, credentials cut out.
fn launch(server: &FoundServer) -> String {
    match &server.transport {
        Transport::Stdio { .. } => short(&server.transport.shown(), 48),
        Transport::Remote { .. } => format!("remote {}", short(&server.transport.shown(), 41)),
    }
}

/// At most this many tool names per server in the listing.
const TOOLS_SHOWN: usize = 20;

fn print_servers(
    discovery: &Discovery,
    places: &Places,
    settings: &Settings,
    printer: &mut Printer,
) {
    heading(printer, "MCP servers", discovery.mcp_servers.len(), false);
    if discovery.mcp_servers.is_empty() {
        printer.line(paint(
            DIM,
            "  none (looked in ~/.aws/amazonq/mcp.json, ./.amazonq/mcp.json, ~/.kiro/settings/mcp.json, ./.kiro/settings/mcp.json and agent files)",
        ));
        return;
    }
    let rows: Vec<Vec<String>> = discovery
        .mcp_servers
        .iter()
        .map(|server| {
            let mut from = format!("{}, {}", server.client, scope_label(server.scope));
            if let Some(agent) = &server.agent {
                from.push_str(&format!(", agent {agent}"));
            }
            vec![
                server.name.clone(),
                from,
                launch(server),
                places.show(&server.source),
            ]
        })
        .collect();
    let age = discovery
        .probe
        .as_ref()
        .map(|probe| settings.age(&probe.probed_at));
    for (server, line) in discovery.mcp_servers.iter().zip(table(&rows)) {
        printer.line(line);
        let status = if server.disabled {
            paint(DIM, "disabled: not started")
        } else if matches!(server.transport, Transport::Remote { .. }) {
            paint(DIM, "remote: not probed (qwf probes stdio servers only)")
        } else if discovery.untrusted(server) {
            paint(WARNING, format!("not probed: {NOT_TRUSTED}"))
        } else {
            match (discovery.cached_tools(server), &age) {
                (Some(cached), Some(age)) => match &cached.error {
                    Some(error) => paint(
                        ERROR,
                        format!("probe failed ({age}): {}", redact::free_text(error)),
                    ),
                    None if cached.tools.is_empty() => format!("no tools (probed {age})"),
                    None => {
                        let mut names: Vec<&str> = cached
                            .tools
                            .iter()
                            .take(TOOLS_SHOWN)
                            .map(|tool| tool.name.as_str())
                            .collect();
                        let more = cached.tools.len().saturating_sub(TOOLS_SHOWN);
                        let more = format!("and {more} more (`qwf resources --json` lists all)");
                        if cached.tools.len() > TOOLS_SHOWN {
                            names.push(&more);
                        }
                        format!(
                            "{} tool{} (probed {age}): {}",
                            cached.tools.len(),
                            plural(cached.tools.len()),
                            names.join(", ")
                        )
                    }
                },
                _ => paint(
                    DIM,
                    "tools not known yet: `qwf resources --probe` lists them",
                ),
            }
        };
        printer.line(format!("      {status}"));
    }
}

fn shadow_line(shadowed: &Shadowed, places: &Places) -> String {
    let what = match shadowed.kind {
        crate::store::discovery::Kind::Skill => "skill".to_string(),
        kind => format!("{} {kind}", shadowed.client),
    };
    if shadowed.used_scope == shadowed.ignored_scope {
        format!(
            "{what} {} is defined twice in one place: {} is used, {} is ignored",
            shadowed.name,
            places.show(&shadowed.used),
            places.show(&shadowed.ignored),
        )
    } else {
        format!(
            "{} {what} {} ({}) shadows {}",
            scope_label(shadowed.used_scope),
            shadowed.name,
            places.show(&shadowed.used),
            places.show(&shadowed.ignored),
        )
    }
}

fn print_shadowed(discovery: &Discovery, places: &Places, printer: &mut Printer) {
    let shadowed = &discovery.shadowed;
    if shadowed.is_empty() {
        return;
    }
    heading(printer, "Shadowed", shadowed.len(), false);
    for entry in shadowed {
        let untrusted = discovery
            .untrusted_skills
            .iter()
            .any(|found| found.source == entry.ignored);
        let line = if untrusted {
            format!(
                "workspace skill {} ({}) is ignored, since {}: {} is used",
                entry.name,
                places.show(&entry.ignored),
                discovery
                    .untrusted_reason
                    .as_deref()
                    .unwrap_or("the workspace is not trusted"),
                places.show(&entry.used),
            )
        } else {
            shadow_line(entry, places)
        };
        printer.line(format!("  {}", paint(WARNING, line)));
    }
}

/// Workspace skills that do not run until the user trusts the workspace.
fn print_untrusted(discovery: &Discovery, places: &Places, printer: &mut Printer) {
    if discovery.untrusted_skills.is_empty() {
        return;
    }
    heading(
        printer,
        "Workspace skills not used",
        discovery.untrusted_skills.len(),
        false,
    );
    let rows: Vec<Vec<String>> = discovery
        .untrusted_skills
        .iter()
        .map(|found| {
            vec![
                found.skill.name.clone(),
                found.skill.skill_type.to_string(),
                short(&found.skill.command, 50),
                places.show(&found.source),
            ]
        })
        .collect();
    printer.line(table(&rows).join("\n"));
    printer.line(paint(
        DIM,
        format!(
            "  Not used: {}. Read them, then `qwf trust` lets this workspace's skills run.",
            discovery
                .untrusted_reason
                .as_deref()
                .unwrap_or("the workspace is not trusted")
        ),
    ));
}

fn print_problems(discovery: &Discovery, places: &Places, printer: &mut Printer) {
    if discovery.problems.is_empty() {
        return;
    }
    heading(printer, "Problems", discovery.problems.len(), false);
    for problem in &discovery.problems {
        let place = match (problem.line, problem.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", places.show(&problem.path)),
            _ => places.show(&problem.path),
        };
        printer.line(format!("  {}: {}", paint(ERROR, place), problem.message));
    }
    printer.line(paint(
        DIM,
        "  These files were skipped; everything else above is in use. Fix them and run `qwf resources` again.",
    ));
}

fn document(discovery: &Discovery, probed: Option<&[Probed]>, settings: &Settings) -> Value {
    let servers: Vec<Value> = discovery
        .mcp_servers
        .iter()
        .map(|server| {
            let mut value = serde_json::to_value(server).unwrap_or(Value::Null);
            if discovery.untrusted(server) && Target::for_server(server).is_some() {
                value["not_probed"] = json!(NOT_TRUSTED);
            } else if let Some(cached) = discovery.cached_tools(server) {
                value["tools"] = json!(cached.tools);
                if let Some(error) = &cached.error {
                    value["probe_error"] = json!(redact::free_text(error));
                }
            }
            value
        })
        .collect();
    let mut document = json!({
        "skills": discovery.skills,
        "untrusted_skills": discovery.untrusted_skills,
        "workspace_trust": discovery.untrusted_reason,
        "agents": discovery.agents,
        "mcp_servers": servers,
        "shadowed": discovery.shadowed,
        "problems": discovery.problems,
    });
    if let Some(probe) = &discovery.probe {
        document["probe"] = json!({
            "probed_at": probe.probed_at,
            "age": settings.age(&probe.probed_at),
        });
    }
    if let Some(probed) = probed {
        document["probed"] = json!(probed);
        document["not_probed"] = held_back(discovery)
            .map(|server| {
                let mut value = json!(server.origin());
                value["name"] = json!(server.name);
                value["reason"] = json!(NOT_TRUSTED);
                value
            })
            .collect();
    }
    document
}
