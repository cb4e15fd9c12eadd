//! Discovery of what the user already has, so a new workflow reuses it:
//! qwf's own skills (home and workspace), Amazon Q CLI and Kiro agents, and
//! the MCP servers their config files declare.
//!
//! Nothing here reads the environment: the CLI resolves `HOME` and the
//! current directory and hands them in as [`Roots`]. Nothing here fails as a
//! whole either: an unreadable or malformed file becomes a [`Problem`]
//! (path, line:column) and discovery goes on with the other files.

pub mod agents;
pub mod cache;
pub mod mcp_config;
pub mod redact;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use agents::{AgentFormat, FoundAgent};
pub use cache::{CachedServer, CachedTool, ProbeCache};
pub use mcp_config::{FoundServer, ServerOrigin, Transport};

use super::{Store, read};
use crate::core::skill::Skill;

/// Where discovery looks besides `QWF_HOME`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roots {
    /// The user's home directory (`HOME`): Amazon Q CLI's and Kiro's global
    /// files live under it.
    pub user_home: Option<PathBuf>,
    /// The directory qwf runs in: `.qwf/skills/`, `.amazonq/` and `.kiro/`
    /// under it are the workspace's own.
    pub workspace: Option<PathBuf>,
}

impl Roots {
    /// The workspace, unless it is the home directory itself: there the
    /// workspace files are the global ones (Amazon Q CLI skips its local
    /// agents in that case too).
    fn distinct_workspace(&self) -> Option<&Path> {
        let workspace = self.workspace.as_deref()?;
        match &self.user_home {
            Some(home) if same_directory(home, workspace) => None,
            _ => Some(workspace),
        }
    }
}

fn same_directory(left: &Path, right: &Path) -> bool {
    match (fs::canonicalize(left), fs::canonicalize(right)) {
        (Ok(left), Ok(right)) => left == right,
        _ => left == right,
    }
}

/// Which program a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// Amazon Q Developer CLI.
    AmazonQ,
    /// Kiro (CLI and IDE).
    Kiro,
    /// qwf itself (skills).
    Qwf,
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Client::AmazonQ => "Amazon Q CLI",
            Client::Kiro => "Kiro",
            Client::Qwf => "qwf",
        })
    }
}

/// Whether a file is the user's (global) or the current workspace's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Workspace,
    Global,
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scope::Workspace => "workspace",
            Scope::Global => "global",
        })
    }
}

/// A file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A JSON syntax or shape error, at its place in the file.
    pub fn json(path: impl Into<PathBuf>, error: &serde_json::Error) -> Self {
        let (line, column) = if error.line() > 0 {
            (Some(error.line()), Some(error.column()))
        } else {
            (None, None)
        };
        Problem {
            path: path.into(),
            line,
            column,
            message: super::plan::strip_position(error),
        }
    }

    /// Where, as `path:line:column`.
    pub fn place(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.path.display()),
            _ => self.path.display().to_string(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place(), self.message)
    }
}

/// What kind of resource a name clash is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Skill,
    Agent,
    McpServer,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Skill => "skill",
            Kind::Agent => "agent",
            Kind::McpServer => "MCP server",
        })
    }
}

/// Two definitions of one name where only one is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shadowed {
    pub kind: Kind,
    pub name: String,
    pub client: Client,
    /// The definition in use.
    pub used: PathBuf,
    pub used_scope: Scope,
    /// The definition ignored.
    pub ignored: PathBuf,
    pub ignored_scope: Scope,
}

/// A skill and the file it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundSkill {
    #[serde(flatten)]
    pub skill: Skill,
    pub source: PathBuf,
    pub scope: Scope,
}

/// Everything discovered.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Discovery {
    pub skills: Vec<FoundSkill>,
    /// Workspace skills not used: the workspace is not trusted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub untrusted_skills: Vec<FoundSkill>,
    /// Why they are not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untrusted_reason: Option<String>,
    pub agents: Vec<FoundAgent>,
    pub mcp_servers: Vec<FoundServer>,
    pub shadowed: Vec<Shadowed>,
    pub problems: Vec<Problem>,
    /// The last `qwf resources --probe`, if there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeCache>,
    /// Whether the user trusts the workspace (`qwf trust`): its MCP servers
    /// are started only then.
    #[serde(skip)]
    pub workspace_trusted: bool,
}

impl Discovery {
    /// Whether the server is the workspace's own and the workspace is not
    /// trusted: then it is never started.
    pub fn untrusted(&self, server: &FoundServer) -> bool {
        server.scope == Scope::Workspace && !self.workspace_trusted
    }

    /// The probed tools of a server, if the last probe reached it.
    pub fn cached_tools(&self, server: &FoundServer) -> Option<&CachedServer> {
        self.probe.as_ref()?.server(server)
    }
}

/// A directory's entries with one of `extensions`, sorted by file name so
/// that every run sees them in the same order. A missing directory has
/// none; an unreadable one is a problem.
fn files_in(directory: &Path, extensions: &[&str], problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => {
            problems.push(Problem::new(directory, "is not a directory"));
            return Vec::new();
        }
        Err(error) => {
            problems.push(Problem::new(directory, format!("cannot read: {error}")));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| extensions.contains(&extension))
                && !path.is_dir()
        })
        .collect();
    files.sort();
    files
}

/// A file's text; `None` (and nothing reported) when it does not exist.
/// Only a regular file of at most [`read::SMALL_FILE`] bytes is read: a
/// FIFO, a device or a huge file is a problem, named.
fn read_file(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    match read::read_text(path, read::SMALL_FILE) {
        Ok(text) => Some(text),
        Err(error) if error.is_not_found() => None,
        Err(error) => {
            problems.push(Problem::new(path, error.to_string()));
            None
        }
    }
}

/// Parses a file that must hold one JSON object (`what` names it in the
/// message when it holds something else).
fn parse_object<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
    what: &str,
) -> Result<T, Problem> {
    serde_json::from_str(text).map_err(|error| {
        let first = text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next();
        match first {
            Some('{') | None => Problem::json(path, &error),
            Some(_) if error.is_syntax() || error.is_eof() => Problem::json(path, &error),
            Some(_) => {
                let mut problem = Problem::json(path, &error);
                problem.message = format!("{what} must be a JSON object {{...}}");
                problem
            }
        }
    })
}

/// A workspace file that declares MCP servers (an `mcp.json`, or an agent
/// with `mcpServers`), with the text it was read as: trusting a workspace
/// covers these files with its skills.
#[derive(Debug, Clone)]
pub struct DeclaringFile {
    pub path: PathBuf,
    pub client: Client,
    /// The agent, when the file is an agent file.
    pub agent: Option<String>,
    pub servers: Vec<(String, mcp_config::ServerConfig)>,
    pub text: String,
}

/// Every file of `workspace` that declares MCP servers, in path order.
/// Files that cannot be read or parsed declare none (discovery reports
/// them, and nothing starts from them).
pub fn workspace_declaring_files(workspace: &Path) -> Vec<DeclaringFile> {
    let mut files = mcp_config::workspace_declaring_files(workspace);
    files.extend(agents::workspace_declaring_files(workspace));
    files.sort_by(|left, right| left.path.cmp(&right.path));
    files
}

/// The workspace's skill directory under `workspace`.
pub fn workspace_skills_dir(workspace: &Path) -> PathBuf {
    workspace.join(".qwf").join("skills")
}

impl Store {
    /// Everything this store can see: its skills, the workspace's, the
    /// agents and MCP servers of Amazon Q CLI and Kiro, and the tools the
    /// last probe found. Never fails: problems are part of the result.
    pub fn discover(&self) -> Discovery {
        let listing = self.skill_listing();
        let mut discovery = Discovery {
            skills: listing.skills,
            untrusted_skills: listing.untrusted,
            untrusted_reason: listing.untrusted_reason,
            shadowed: listing.shadowed,
            problems: listing.problems,
            workspace_trusted: self.workspace_trust().is_trusted(),
            ..Discovery::default()
        };
        let roots = self.roots();
        let agents = self.agents().clone();
        discovery.agents = agents.agents;
        discovery.shadowed.extend(agents.shadowed);
        discovery.problems.extend(agents.problems);
        let servers = mcp_config::discover(roots, &discovery.agents);
        discovery.mcp_servers = servers.servers;
        discovery.shadowed.extend(servers.shadowed);
        discovery.problems.extend(servers.problems);
        match cache::read(&self.mcp_cache_path()) {
            Ok(cache) => discovery.probe = cache,
            Err(problem) => discovery.problems.push(problem),
        }
        discovery
    }

    /// The agents of Amazon Q CLI and Kiro, without the rest.
    pub fn discover_agents(&self) -> Vec<FoundAgent> {
        self.agents().agents.clone()
    }

    /// The agents, read the first time a command needs them.
    fn agents(&self) -> &agents::Agents {
        self.agents.get_or_init(|| agents::discover(self.roots()))
    }

    /// Where `qwf resources --probe` keeps what it found.
    pub fn mcp_cache_path(&self) -> PathBuf {
        self.root().join("cache").join("mcp-tools.json")
    }

    /// Saves a probe's result (atomically).
    pub fn save_probe(&self, cache: &ProbeCache) -> super::Result<PathBuf> {
        let path = self.mcp_cache_path();
        let mut text =
            serde_json::to_string_pretty(cache).map_err(|error| super::StoreError::Invalid {
                message: format!("cannot encode the probe result: {error}"),
                hint: "this is a bug in qwf; please report it".into(),
            })?;
        text.push('\n');
        super::write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }
}
