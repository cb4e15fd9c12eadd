//! MCP servers from the `mcp.json` files of Amazon Q CLI and Kiro, and the
//! ones agents declare themselves:
//!
//! ```text
//! ~/.aws/amazonq/mcp.json          Amazon Q CLI, global
//! ./.amazonq/mcp.json              Amazon Q CLI, workspace
//! ~/.kiro/settings/mcp.json        Kiro, global
//! ./.kiro/settings/mcp.json        Kiro, workspace
//! ```
//!
//! The format is `{"mcpServers": {NAME: {"command", "args", "env",
//! "timeout", "disabled"}}}` for a local server started over stdio, or
//! `{"url", "type"}` for a remote one. Unknown fields are ignored. As in
//! both programs, a workspace server replaces a global one of the same name.
//! Environment values are kept for starting the server but never shown:
//! they often hold API keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

use super::agents::FoundAgent;
use super::{
    Client, DeclaringFile, Kind, Problem, Roots, Scope, Shadowed, parse_object, read_file,
};

/// How to reach a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "transport", rename_all = "snake_case")]
pub enum Transport {
    /// A local process speaking JSON-RPC on its stdin and stdout.
    Stdio {
        command: String,
        /// Shown with credentials cut out (see [`super::redact`]).
        #[serde(
            skip_serializing_if = "Vec::is_empty",
            serialize_with = "redacted_args"
        )]
        args: Vec<String>,
        /// Shown by name only.
        #[serde(
            skip_serializing_if = "BTreeMap::is_empty",
            serialize_with = "names_only"
        )]
        env: BTreeMap<String, String>,
    },
    /// A server reached over HTTP.
    Remote {
        /// Shown with credentials cut out.
        #[serde(serialize_with = "redacted_url")]
        url: String,
        #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
    },
}

fn redacted_args<S: Serializer>(args: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(super::redact::args(args))
}

fn redacted_url<S: Serializer>(url: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&super::redact::url(url))
}

impl Transport {
    /// How the server is started or reached, as shown to the user or a
    /// model: credentials cut out.
    pub fn shown(&self) -> String {
        match self {
            Transport::Stdio { command, args, .. } => {
                let mut words = vec![super::redact::arg(command)];
                words.extend(super::redact::args(args));
                words.join(" ")
            }
            Transport::Remote { url, .. } => super::redact::url(url),
        }
    }
}

fn names_only<S: Serializer>(
    env: &BTreeMap<String, String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(env.keys())
}

/// One server's entry in an `mcpServers` object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawServer")]
pub struct ServerConfig {
    pub transport: Transport,
    pub disabled: bool,
    /// Milliseconds per request, as the client programs read it.
    pub timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
struct RawServer {
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    args: Option<Vec<String>>,
    #[serde(default)]
    env: Option<BTreeMap<String, String>>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    timeout: Option<u64>,
    #[serde(default)]
    disabled: Option<bool>,
}

impl TryFrom<RawServer> for ServerConfig {
    type Error = String;

    fn try_from(raw: RawServer) -> Result<Self, String> {
        let transport = match (raw.command, raw.url) {
            (Some(command), _) if !command.trim().is_empty() => Transport::Stdio {
                command,
                args: raw.args.unwrap_or_default(),
                env: raw.env.unwrap_or_default(),
            },
            (_, Some(url)) if !url.trim().is_empty() => Transport::Remote {
                url,
                kind: raw.kind,
            },
            _ => {
                return Err(
                    "an MCP server needs a \"command\" (started over stdio) or a \"url\" (remote)"
                        .into(),
                );
            }
        };
        Ok(ServerConfig {
            transport,
            disabled: raw.disabled.unwrap_or(false),
            timeout_ms: raw.timeout,
        })
    }
}

#[derive(Deserialize)]
struct McpFile {
    #[serde(rename = "mcpServers")]
    mcp_servers: Option<BTreeMap<String, ServerConfig>>,
}

/// A server and where it was declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundServer {
    pub name: String,
    pub client: Client,
    pub scope: Scope,
    /// The agent that declares it, when it comes from an agent file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(flatten)]
    pub transport: Transport,
    pub disabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    pub source: PathBuf,
}

impl FoundServer {
    /// Where it comes from, as the origin of a probe: the config file, or
    /// the agent file with the agent's name.
    pub fn origin(&self) -> ServerOrigin {
        ServerOrigin {
            source: self.source.clone(),
            agent: self.agent.clone(),
        }
    }
}

/// The file (and agent) a server was declared in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServerOrigin {
    pub source: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

pub(super) struct Servers {
    pub servers: Vec<FoundServer>,
    pub shadowed: Vec<Shadowed>,
    pub problems: Vec<Problem>,
}

/// A workspace's own `mcp.json` files.
fn workspace_config_files(workspace: &Path) -> [(Client, PathBuf); 2] {
    [
        (Client::AmazonQ, workspace.join(".amazonq").join("mcp.json")),
        (
            Client::Kiro,
            workspace.join(".kiro").join("settings").join("mcp.json"),
        ),
    ]
}

/// The `mcp.json` files, workspace first (it wins).
fn config_files(roots: &Roots) -> Vec<(Client, Scope, PathBuf)> {
    let mut files = Vec::new();
    if let Some(workspace) = roots.distinct_workspace() {
        for (client, path) in workspace_config_files(workspace) {
            files.push((client, Scope::Workspace, path));
        }
    }
    if let Some(home) = &roots.user_home {
        files.push((
            Client::AmazonQ,
            Scope::Global,
            home.join(".aws").join("amazonq").join("mcp.json"),
        ));
        files.push((
            Client::Kiro,
            Scope::Global,
            home.join(".kiro").join("settings").join("mcp.json"),
        ));
    }
    files
}

/// Reads one `mcp.json`; `None` when it is absent or unusable (reported).
fn read_config(path: &Path, problems: &mut Vec<Problem>) -> Option<BTreeMap<String, ServerConfig>> {
    let text = read_file(path, problems)?;
    parse_config(path, &text, problems)
}

fn parse_config(
    path: &Path,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<BTreeMap<String, ServerConfig>> {
    match parse_object::<McpFile>(path, text, "an MCP configuration") {
        Ok(McpFile {
            mcp_servers: Some(servers),
        }) => Some(servers),
        Ok(McpFile { mcp_servers: None }) => {
            problems.push(Problem::new(
                path,
                "has no \"mcpServers\" object (expected {\"mcpServers\": {NAME: {\"command\": ...}}})",
            ));
            None
        }
        Err(problem) => {
            problems.push(problem);
            None
        }
    }
}

/// The workspace's `mcp.json` files that declare servers, as read: what
/// trusting the workspace covers (with its agents that declare servers).
pub(super) fn workspace_declaring_files(workspace: &Path) -> Vec<DeclaringFile> {
    let mut problems = Vec::new();
    workspace_config_files(workspace)
        .into_iter()
        .filter_map(|(client, path)| {
            let text = read_file(&path, &mut problems)?;
            let servers = parse_config(&path, &text, &mut problems)?;
            (!servers.is_empty()).then(|| DeclaringFile {
                client,
                agent: None,
                servers: servers.into_iter().collect(),
                path,
                text,
            })
        })
        .collect()
}

pub(super) fn discover(roots: &Roots, agents: &[FoundAgent]) -> Servers {
    let mut problems = Vec::new();
    let mut shadowed = Vec::new();
    let mut by_name: BTreeMap<(Client, String), FoundServer> = BTreeMap::new();
    for (client, scope, path) in config_files(roots) {
        let Some(servers) = read_config(&path, &mut problems) else {
            continue;
        };
        for (name, config) in servers {
            let server = FoundServer {
                name: name.clone(),
                client,
                scope,
                agent: None,
                transport: config.transport,
                disabled: config.disabled,
                timeout_ms: config.timeout_ms,
                source: path.clone(),
            };
            match by_name.get(&(client, name.clone())) {
                Some(existing) => shadowed.push(Shadowed {
                    kind: Kind::McpServer,
                    name,
                    client,
                    used: existing.source.clone(),
                    used_scope: existing.scope,
                    ignored: server.source,
                    ignored_scope: scope,
                }),
                None => {
                    by_name.insert((client, name), server);
                }
            }
        }
    }
    let mut servers: Vec<FoundServer> = by_name.into_values().collect();
    // An agent's own servers belong to that agent: no clash with the files.
    for agent in agents {
        for (name, config) in &agent.server_configs {
            servers.push(FoundServer {
                name: name.clone(),
                client: agent.client,
                scope: agent.scope,
                agent: Some(agent.name.clone()),
                transport: config.transport.clone(),
                disabled: config.disabled,
                timeout_ms: config.timeout_ms,
                source: agent.source.clone(),
            });
        }
    }
    servers.sort_by(|left, right| {
        (&left.name, left.client, left.scope, &left.agent).cmp(&(
            &right.name,
            right.client,
            right.scope,
            &right.agent,
        ))
    });
    Servers {
        servers,
        shadowed,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_needs_a_command_or_a_url_and_the_error_has_a_place() {
        let text = "{\n  \"mcpServers\": {\n    \"x\": { \"args\": [] }\n  }\n}";
        let error = serde_json::from_str::<McpFile>(text)
            .err()
            .expect("an entry without command or url is refused");
        // serde_json places it just after the entry.
        assert!((3..=4).contains(&error.line()), "{error}");
        assert!(error.to_string().contains("\"command\""), "{error}");
    }

    #[test]
    fn environment_values_are_never_serialized() {
        let transport = Transport::Stdio {
            command: "srv".into(),
            args: vec![],
            env: BTreeMap::from([("API_KEY".to_string(), "secret".to_string())]),
        };
        let text = serde_json::to_string(&transport).expect("serializable");
        assert!(
            text.contains("API_KEY") && !text.contains("secret"),
            "{text}"
        );
    }
}
