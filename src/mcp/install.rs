//! `qwf mcp install`: adds qwf's server entry to an MCP host's
//! configuration file, keeping everything else in the file (its other
//! servers, its other settings, their order). A file that is not valid JSON
//! is reported with its line and column and never overwritten. The CLI
//! shows the change and asks; this module plans it and writes it.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::store::{StoreError, write_atomic};

/// The name qwf's entry has in a host's `mcpServers`.
pub const SERVER_NAME: &str = "qwf";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// Amazon Q Developer CLI.
    QCli,
    Kiro,
    ClaudeCode,
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Host::QCli => "Amazon Q CLI",
            Host::Kiro => "Kiro",
            Host::ClaudeCode => "Claude Code",
        })
    }
}

/// Whose configuration: the user's, or the workspace's (the current
/// directory, shared with whoever uses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    User,
    Workspace,
}

impl Host {
    /// The configuration file of this host and scope.
    pub fn config_path(self, scope: Scope, user_home: &Path, workspace: &Path) -> PathBuf {
        match (self, scope) {
            (Host::QCli, Scope::User) => user_home.join(".aws/amazonq/mcp.json"),
            (Host::QCli, Scope::Workspace) => workspace.join(".amazonq/mcp.json"),
            (Host::Kiro, Scope::User) => user_home.join(".kiro/settings/mcp.json"),
            (Host::Kiro, Scope::Workspace) => workspace.join(".kiro/settings/mcp.json"),
            // User scope: the top-level `mcpServers` of Claude Code's state
            // file; project scope: `.mcp.json` at the project root.
            (Host::ClaudeCode, Scope::User) => user_home.join(".claude.json"),
            (Host::ClaudeCode, Scope::Workspace) => workspace.join(".mcp.json"),
        }
    }

    /// qwf's server entry for this host: the command that starts
    /// `qwf mcp`.
    pub fn entry(self, command: &str, args: &[String]) -> Value {
        match self {
            Host::ClaudeCode => {
                json!({ "type": "stdio", "command": command, "args": args, "env": {} })
            }
            Host::QCli | Host::Kiro => json!({ "command": command, "args": args, "env": {} }),
        }
    }
}

#[derive(Debug, Error)]
pub enum InstallError {
    #[error("{path}:{line}:{column}: not valid JSON: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{path}: {message}")]
    Unexpected { path: PathBuf, message: String },

    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} changed while qwf was adding its entry")]
    ChangedMeanwhile { path: PathBuf },

    #[error("{0}")]
    Write(#[from] StoreError),
}

impl InstallError {
    pub fn hint(&self) -> String {
        match self {
            InstallError::Malformed { .. } | InstallError::Unexpected { .. } => {
                "fix the file at that place (qwf never overwrites a file it cannot read), then run `qwf mcp install` again".into()
            }
            InstallError::Read { .. } => "check the file's permissions".into(),
            InstallError::ChangedMeanwhile { .. } => {
                "another program (the host itself?) wrote it at the same moment; nothing was written, run `qwf mcp install` again".into()
            }
            InstallError::Write(error) => error.hint(),
        }
    }
}

/// The change `install` would make to one file.
#[derive(Debug, Clone)]
pub struct Planned {
    pub path: PathBuf,
    /// The file exists already (its other content is kept).
    pub exists: bool,
    /// qwf's entry as it is now, if there is one.
    pub previous: Option<Value>,
    pub entry: Value,
    /// The entry is there already, exactly so: nothing to write.
    pub unchanged: bool,
    /// The file's text as read, to make sure nobody wrote it meanwhile.
    original: Option<String>,
    new_text: String,
}

/// Works out the new content of `path` with `entry` as qwf's server.
/// Reads the file (following a symbolic link to the real file) and
/// changes nothing on disk.
pub fn plan(path: &Path, entry: Value) -> Result<Planned, InstallError> {
    let path = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let original = match fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(InstallError::Read { path, source }),
    };
    let mut document = match original.as_deref() {
        // An empty file is taken as an empty configuration.
        None => Value::Object(Map::new()),
        Some(text) if text.trim().is_empty() => Value::Object(Map::new()),
        Some(text) => {
            serde_json::from_str::<Value>(text).map_err(|error| InstallError::Malformed {
                path: path.clone(),
                line: error.line(),
                column: error.column(),
                message: crate::store::plan::strip_position(&error),
            })?
        }
    };
    let unexpected = |message: &str| InstallError::Unexpected {
        path: path.clone(),
        message: message.to_string(),
    };
    let Some(object) = document.as_object_mut() else {
        return Err(unexpected("the file is not a JSON object"));
    };
    let servers = object
        .entry("mcpServers")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(servers) = servers.as_object_mut() else {
        return Err(unexpected("\"mcpServers\" is not a JSON object"));
    };
    let previous = servers.get(SERVER_NAME).cloned();
    let unchanged = previous.as_ref() == Some(&entry);
    servers.insert(SERVER_NAME.to_string(), entry.clone());
    let mut new_text =
        serde_json::to_string_pretty(&document).expect("a JSON value is always representable");
    new_text.push('\n');
    Ok(Planned {
        exists: original.is_some(),
        path,
        previous,
        entry,
        unchanged,
        original,
        new_text,
    })
}

/// Writes a planned change atomically, unless the file changed since it
/// was read. An existing file keeps its permissions; a new one in the
/// workspace is readable by all (it is meant to be shared), a new one of
/// the user's only by the user.
pub fn write(planned: &Planned, scope: Scope) -> Result<(), InstallError> {
    let now = match fs::read_to_string(&planned.path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(InstallError::Read {
                path: planned.path.clone(),
                source,
            });
        }
    };
    if now != planned.original {
        return Err(InstallError::ChangedMeanwhile {
            path: planned.path.clone(),
        });
    }
    let permissions = fs::metadata(&planned.path)
        .ok()
        .map(|metadata| metadata.permissions());
    write_atomic(&planned.path, planned.new_text.as_bytes())?;
    let permissions = permissions.or_else(|| {
        use std::os::unix::fs::PermissionsExt;
        (scope == Scope::Workspace).then(|| fs::Permissions::from_mode(0o644))
    });
    if let Some(permissions) = permissions {
        fs::set_permissions(&planned.path, permissions)
            .map_err(|error| StoreError::io("set the permissions of", &planned.path, error))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Value {
        Host::QCli.entry("/usr/bin/qwf", &["mcp".to_string()])
    }

    #[test]
    fn everything_else_in_the_file_is_kept_in_its_order() {
        let directory = tempfile::tempdir().expect("temp dir");
        let path = directory.path().join("mcp.json");
        let original = r#"{
  "zeta": 1,
  "mcpServers": {
    "git": { "command": "uvx", "args": ["mcp-server-git"], "autoApprove": ["status"] }
  },
  "alpha": { "nested": [1.5, null, true] }
}"#;
        fs::write(&path, original).expect("written");
        let planned = plan(&path, entry()).expect("planned");
        assert!(planned.exists && planned.previous.is_none() && !planned.unchanged);
        write(&planned, Scope::User).expect("written");
        let text = fs::read_to_string(&path).expect("read");
        let written: Value = serde_json::from_str(&text).expect("JSON");
        let keys: Vec<&String> = written.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["zeta", "mcpServers", "alpha"]);
        assert_eq!(written["alpha"], json!({ "nested": [1.5, null, true] }));
        assert_eq!(
            written["mcpServers"]["git"],
            json!({ "command": "uvx", "args": ["mcp-server-git"], "autoApprove": ["status"] })
        );
        assert_eq!(written["mcpServers"]["qwf"], entry());
        let again = plan(&path, entry()).expect("planned");
        assert!(again.unchanged);
    }

    #[test]
    fn a_malformed_file_is_reported_with_its_place_and_left_alone() {
        let directory = tempfile::tempdir().expect("temp dir");
        let path = directory.path().join("mcp.json");
        fs::write(&path, "{\n  \"mcpServers\": {,\n}").expect("written");
        let error = plan(&path, entry()).expect_err("malformed");
        assert!(
            error
                .to_string()
                .ends_with("mcp.json:2:18: not valid JSON: key must be a string"),
            "{error}"
        );
        fs::write(&path, "[1, 2]").expect("written");
        let error = plan(&path, entry()).expect_err("not an object");
        assert!(error.to_string().ends_with("the file is not a JSON object"));
        fs::write(&path, "{\"mcpServers\": []}").expect("written");
        let error = plan(&path, entry()).expect_err("servers not an object");
        assert!(
            error
                .to_string()
                .contains("\"mcpServers\" is not a JSON object")
        );
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            "{\"mcpServers\": []}"
        );
    }

    #[test]
    fn a_file_written_meanwhile_is_not_overwritten() {
        let directory = tempfile::tempdir().expect("temp dir");
        let path = directory.path().join("nested/mcp.json");
        let planned = plan(&path, entry()).expect("planned");
        assert!(!planned.exists);
        fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        fs::write(&path, "{}").expect("written");
        let error = write(&planned, Scope::Workspace).expect_err("changed");
        assert!(matches!(error, InstallError::ChangedMeanwhile { .. }));
        assert_eq!(fs::read_to_string(&path).expect("read"), "{}");
    }

    #[test]
    fn a_symbolic_link_is_followed_and_kept() {
        let directory = tempfile::tempdir().expect("temp dir");
        let real = directory.path().join("dotfiles-claude.json");
        fs::write(&real, "{\"numStartups\": 3}").expect("written");
        let link = directory.path().join(".claude.json");
        std::os::unix::fs::symlink(&real, &link).expect("link");
        let planned = plan(&link, Host::ClaudeCode.entry("/q", &[])).expect("planned");
        write(&planned, Scope::User).expect("written");
        assert!(
            fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        let written: Value =
            serde_json::from_str(&fs::read_to_string(&real).expect("read")).expect("JSON");
        assert_eq!(written["numStartups"], 3);
        assert_eq!(written["mcpServers"]["qwf"]["type"], "stdio");
    }
}
