//! What the last `qwf resources --probe` found, kept in
//! `QWF_HOME/cache/mcp-tools.json` so that `qwf resources` and the model's
//! `list_resources` tool can offer MCP tools without starting any server.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Problem;
use super::mcp_config::{FoundServer, ServerOrigin};

/// One probe of every configured server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCache {
    /// RFC 3339 time of the probe.
    pub probed_at: String,
    pub servers: Vec<CachedServer>,
}

/// What one server answered, or why it did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedServer {
    pub name: String,
    /// The config file (or agent file) the server came from.
    #[serde(flatten)]
    pub origin: ServerOrigin,
    #[serde(default)]
    pub tools: Vec<CachedTool>,
    /// Why the probe got no tools from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A tool an MCP server offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedTool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ProbeCache {
    /// The entry of a discovered server: same name, same file, same agent.
    pub fn server(&self, server: &FoundServer) -> Option<&CachedServer> {
        let origin = server.origin();
        self.servers
            .iter()
            .find(|cached| cached.name == server.name && cached.origin == origin)
    }
}

/// The cache, if a probe ever ran; a damaged cache is a problem, never an
/// error (the next probe replaces it).
pub fn read(path: &Path) -> Result<Option<ProbeCache>, Problem> {
    // A server with a hundred thousand tools makes a cache of a few dozen
    // megabytes; more than this is not a cache qwf wrote.
    const CACHE_LIMIT: u64 = 256 * 1024 * 1024;
    let text = match crate::store::read::read_text(path, CACHE_LIMIT) {
        Ok(text) => text,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => return Err(Problem::new(path, error.to_string())),
    };
    serde_json::from_str(&text).map(Some).map_err(|error| {
        let mut problem = Problem::json(path, &error);
        problem.message = format!(
            "{} (the MCP probe cache; `qwf resources --probe` writes it again)",
            problem.message
        );
        problem
    })
}
