//! Which workspaces may run their own code, like direnv's `allow`: a
//! cloned repository must not change what the user's workflows execute, nor
//! make `qwf resources --probe` start its commands, until the user has read
//! them and said so.
//!
//! `QWF_HOME/trust.json` records each trusted workspace's path and a hash
//! of what it could run: everything under its `.qwf/skills/` (skill files
//! and the scripts next to them), its `.amazonq/mcp.json` and
//! `.kiro/settings/mcp.json`, and its agent files that declare MCP servers.
//! When any of it changes, the workspace must be trusted again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::discovery::{DeclaringFile, workspace_declaring_files, workspace_skills_dir};
use super::error::{Result, StoreError};
use super::lock::WorkflowLock;
use super::read::{self, ReadError};
use super::{Store, write_atomic};

/// Bounds on what is hashed: a workspace's skills are a handful of small
/// files; anything much bigger is refused rather than hashed for minutes.
const MAX_FILES: usize = 10_000;
const MAX_DEPTH: usize = 16;
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;

/// One trusted workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedWorkspace {
    /// The workspace directory, absolute and without links.
    pub path: PathBuf,
    /// `sha256:` and the hash of its skills and MCP declarations when it
    /// was trusted.
    pub hash: String,
    /// The skill files it held then.
    #[serde(default)]
    pub skills: Vec<String>,
    /// The MCP servers it declared then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    pub trusted_at: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TrustFile {
    #[serde(default)]
    workspaces: Vec<TrustedWorkspace>,
}

/// Whether a workspace's skills and MCP servers may run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Trust {
    /// It has no `.qwf/skills/` directory and declares no MCP server.
    NothingToTrust,
    Trusted {
        record: TrustedWorkspace,
    },
    /// Never trusted (or revoked).
    Untrusted,
    /// Trusted once, but its skills or MCP declarations changed since.
    Changed {
        record: TrustedWorkspace,
    },
    /// Its skills cannot be hashed (unreadable, too many, a special file).
    Unreadable {
        message: String,
    },
}

impl Trust {
    pub fn is_trusted(&self) -> bool {
        matches!(self, Trust::Trusted { .. })
    }

    /// Why the workspace's skills are not used, in words.
    pub fn reason(&self) -> Option<String> {
        match self {
            Trust::NothingToTrust | Trust::Trusted { .. } => None,
            Trust::Untrusted => Some("this workspace is not trusted".into()),
            Trust::Changed { record } => Some(format!(
                "this workspace's skills or MCP servers changed since it was trusted ({})",
                record.trusted_at
            )),
            Trust::Unreadable { message } => Some(format!(
                "this workspace's skills cannot be checked: {message}"
            )),
        }
    }
}

/// What a workspace could run, hashed.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    pub hash: String,
    /// The skill files (`NAME.json`) directly in `.qwf/skills/`.
    pub skills: Vec<String>,
    /// How many files `.qwf/skills/` holds, scripts included.
    pub files: usize,
    /// The files that declare MCP servers, as they were hashed.
    pub declaring: Vec<DeclaringFile>,
}

impl Fingerprint {
    /// The names of the MCP servers the workspace declares.
    pub fn servers(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .declaring
            .iter()
            .flat_map(|file| file.servers.iter().map(|(name, _)| name.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The hash of what `workspace` could run: every file under its
/// `.qwf/skills/` (names and contents, in name order), then each file that
/// declares MCP servers; `None` when it has neither.
pub fn fingerprint(workspace: &Path) -> std::result::Result<Option<Fingerprint>, String> {
    let directory = workspace_skills_dir(workspace);
    let files = skill_files(&directory)?;
    let declaring = workspace_declaring_files(workspace);
    if files.is_none() && declaring.is_empty() {
        return Ok(None);
    }
    let files = files.unwrap_or_default();
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let mut entry = |name: &str, bytes: &[u8]| {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    for relative in &files {
        let path = directory.join(relative);
        let bytes = read::read_bytes(&path, MAX_FILE_BYTES)
            .map_err(|error| format!("{} {error}", path.display()))?;
        total += bytes.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(format!(
                "{} holds more than {} MiB",
                directory.display(),
                MAX_TOTAL_BYTES / 1024 / 1024
            ));
        }
        entry(&relative.to_string_lossy(), &bytes);
    }
    // Named from the workspace after a NUL, which no file name under
    // .qwf/skills can hold: the two kinds of entry never collide, and a
    // workspace with skills alone keeps the hash it was trusted with.
    for file in &declaring {
        let relative = file.path.strip_prefix(workspace).unwrap_or(&file.path);
        entry(
            &format!("\0{}", relative.to_string_lossy()),
            file.text.as_bytes(),
        );
    }
    let skills = files
        .iter()
        .filter(|relative| relative.components().count() == 1)
        .filter(|relative| {
            relative
                .extension()
                .is_some_and(|extension| extension == "json")
        })
        .filter_map(|relative| Some(relative.file_stem()?.to_str()?.to_string()))
        .collect();
    Ok(Some(Fingerprint {
        hash: format!("sha256:{:x}", hasher.finalize()),
        skills,
        files: files.len(),
        declaring,
    }))
}

/// Every file under `directory`, relative to it and sorted; `None` when
/// there is no such directory.
fn skill_files(directory: &Path) -> std::result::Result<Option<Vec<PathBuf>>, String> {
    match std::fs::metadata(directory) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("{}: {error}", directory.display())),
        Ok(metadata) if !metadata.is_dir() => {
            return Err(format!("{} is not a directory", directory.display()));
        }
        Ok(_) => {}
    }
    let mut files = Vec::new();
    collect(directory, Path::new(""), 0, &mut files)?;
    files.sort();
    Ok(Some(files))
}

fn collect(
    root: &Path,
    relative: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
) -> std::result::Result<(), String> {
    let directory = root.join(relative);
    if depth > MAX_DEPTH {
        return Err(format!(
            "{} is nested more than {MAX_DEPTH} directories deep",
            directory.display()
        ));
    }
    let entries = std::fs::read_dir(&directory)
        .map_err(|error| format!("{}: {error}", directory.display()))?;
    for entry in entries {
        let entry = entry.map_err(|error| format!("{}: {error}", directory.display()))?;
        let child = relative.join(entry.file_name());
        // Links are followed to what they point at (a link to a directory
        // counts as one, bounded by the depth).
        let metadata = std::fs::metadata(entry.path())
            .map_err(|error| format!("{}: {error}", entry.path().display()))?;
        if metadata.is_dir() {
            collect(root, &child, depth + 1, files)?;
        } else {
            // Special files are refused when read.
            files.push(child);
            if files.len() > MAX_FILES {
                return Err(format!(
                    "{} holds more than {MAX_FILES} files",
                    root.display()
                ));
            }
        }
    }
    Ok(())
}

/// The refusal for a workspace that could run nothing of its own.
pub fn nothing_to_trust(workspace: &Path) -> StoreError {
    StoreError::Invalid {
        message: format!(
            "{} has no workspace skills (.qwf/skills/) and declares no MCP servers \
             (.amazonq/mcp.json, .kiro/settings/mcp.json, agents in .amazonq/cli-agents/ or .kiro/agents/)",
            workspace.display()
        ),
        hint: "there is nothing to trust".into(),
    }
}

/// A directory as recorded: absolute, links resolved.
fn canonical(directory: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(directory).map_err(|error| StoreError::io("find", directory, error))
}

impl Store {
    fn trust_path(&self) -> PathBuf {
        self.root().join("trust.json")
    }

    fn read_trust_file(&self) -> Result<TrustFile> {
        let path = self.trust_path();
        let text = match read::read_text(&path, read::SMALL_FILE) {
            Ok(text) => text,
            Err(ReadError::NotFound) => return Ok(TrustFile::default()),
            Err(error) => {
                return Err(StoreError::Invalid {
                    message: format!("{} {error}", path.display()),
                    hint: "remove it and trust your workspaces again with `qwf trust DIR`".into(),
                });
            }
        };
        serde_json::from_str(&text).map_err(|error| StoreError::Invalid {
            message: format!(
                "{}:{}:{}: {error}",
                path.display(),
                error.line(),
                error.column()
            ),
            hint: "fix it, or remove it and trust your workspaces again with `qwf trust DIR`"
                .into(),
        })
    }

    /// Every trusted workspace, in the order they were trusted.
    pub fn trusted_workspaces(&self) -> Result<Vec<TrustedWorkspace>> {
        Ok(self.read_trust_file()?.workspaces)
    }

    /// Whether the skills and MCP servers of `workspace` may run now.
    pub fn trust_of(&self, workspace: &Path) -> Trust {
        let fingerprint = match fingerprint(workspace) {
            Ok(None) => return Trust::NothingToTrust,
            Ok(Some(fingerprint)) => fingerprint,
            Err(message) => return Trust::Unreadable { message },
        };
        let (Ok(path), Ok(file)) = (canonical(workspace), self.read_trust_file()) else {
            return Trust::Untrusted;
        };
        match file
            .workspaces
            .into_iter()
            .find(|record| record.path == path)
        {
            None => Trust::Untrusted,
            Some(record) if record.hash == fingerprint.hash => Trust::Trusted { record },
            Some(record) => Trust::Changed { record },
        }
    }

    /// The trust of the current workspace, if qwf runs in one (decided
    /// once per store).
    pub fn workspace_trust(&self) -> Trust {
        self.trust_cache
            .get_or_init(|| match &self.roots().workspace {
                Some(workspace) => self.trust_of(workspace),
                None => Trust::NothingToTrust,
            })
            .clone()
    }

    /// Trusts what `workspace` could run as it is now (replacing an older
    /// record of it). Refuses a workspace with nothing to trust, and one
    /// whose files no longer hash to `expected` (what the user was shown).
    pub fn trust(
        &self,
        workspace: &Path,
        expected: Option<&str>,
        now: &str,
    ) -> Result<TrustedWorkspace> {
        let path = canonical(workspace)?;
        let fingerprint = match fingerprint(&path) {
            Ok(Some(fingerprint)) => fingerprint,
            Ok(None) => return Err(nothing_to_trust(&path)),
            Err(message) => {
                return Err(StoreError::Invalid {
                    message: format!("the workspace's skills cannot be checked: {message}"),
                    hint: "fix or remove that file; nothing was trusted".into(),
                });
            }
        };
        if let Some(expected) = expected
            && expected != fingerprint.hash
        {
            return Err(StoreError::Invalid {
                message: format!(
                    "the skills or MCP servers of {} changed while you were reading them",
                    path.display()
                ),
                hint: "run `qwf trust` again and read them as they are now; nothing was trusted"
                    .into(),
            });
        }
        let record = TrustedWorkspace {
            path,
            servers: fingerprint.servers(),
            hash: fingerprint.hash,
            skills: fingerprint.skills,
            trusted_at: now.to_string(),
        };
        self.update_trust(|workspaces| {
            workspaces.retain(|existing| existing.path != record.path);
            workspaces.push(record.clone());
        })?;
        Ok(record)
    }

    /// Forgets `workspace`; whether it was trusted.
    pub fn revoke_trust(&self, workspace: &Path) -> Result<bool> {
        let path = canonical(workspace).unwrap_or_else(|_| workspace.to_path_buf());
        let mut removed = false;
        self.update_trust(|workspaces| {
            let before = workspaces.len();
            workspaces.retain(|existing| existing.path != path);
            removed = workspaces.len() != before;
        })?;
        Ok(removed)
    }

    fn update_trust(&self, change: impl FnOnce(&mut Vec<TrustedWorkspace>)) -> Result<()> {
        let _lock = WorkflowLock::acquire(&self.root().join(".trust.lock"), &|| {})?;
        let mut file = self.read_trust_file()?;
        change(&mut file.workspaces);
        let mut text =
            serde_json::to_string_pretty(&file).map_err(|error| StoreError::Invalid {
                message: format!("cannot encode the trust file: {error}"),
                hint: "this is a bug in qwf; please report it".into(),
            })?;
        text.push('\n');
        write_atomic(&self.trust_path(), text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_skill_or_script_needs_trusting_again() {
        let home = tempfile::tempdir().expect("home");
        let workspace = tempfile::tempdir().expect("workspace");
        let store = Store::new(home.path());
        assert_eq!(store.trust_of(workspace.path()), Trust::NothingToTrust);
        let skills = workspace.path().join(".qwf/skills");
        std::fs::create_dir_all(skills.join("scripts")).expect("dirs");
        std::fs::write(
            skills.join("deploy.json"),
            r#"{"name": "deploy", "type": "code_inline", "command": "sh scripts/deploy.sh"}"#,
        )
        .expect("skill");
        std::fs::write(skills.join("scripts/deploy.sh"), "echo deploy").expect("script");
        assert_eq!(store.trust_of(workspace.path()), Trust::Untrusted);
        let record = store
            .trust(workspace.path(), None, "2026-11-27T10:00:00Z")
            .expect("trusted");
        assert_eq!(record.skills, ["deploy"]);
        assert!(store.trust_of(workspace.path()).is_trusted());
        std::fs::write(skills.join("scripts/deploy.sh"), "rm -rf ~").expect("script");
        assert!(matches!(
            store.trust_of(workspace.path()),
            Trust::Changed { .. }
        ));
        store
            .trust(workspace.path(), Some("sha256:0"), "2026-11-27T11:00:00Z")
            .expect_err("not what was shown");
        store
            .trust(workspace.path(), None, "2026-11-27T11:00:00Z")
            .expect("trusted again");
        assert_eq!(store.trusted_workspaces().expect("list").len(), 1);
        assert!(store.revoke_trust(workspace.path()).expect("revoked"));
        assert!(!store.revoke_trust(workspace.path()).expect("no-op"));
        assert_eq!(store.trust_of(workspace.path()), Trust::Untrusted);
    }

    #[test]
    fn mcp_declarations_are_part_of_the_trust_and_skills_alone_keep_their_hash() {
        let workspace = tempfile::tempdir().expect("workspace");
        let root = workspace.path();
        let skill = r#"{"name": "greet", "type": "code_inline", "command": "echo hi"}"#;
        std::fs::create_dir_all(root.join(".qwf/skills")).expect("dirs");
        std::fs::write(root.join(".qwf/skills/greet.json"), skill).expect("skill");
        // The hash a workspace with skills alone was trusted with before
        // MCP declarations were covered.
        let mut old = Sha256::new();
        for part in [&b"greet.json"[..], skill.as_bytes()] {
            old.update((part.len() as u64).to_le_bytes());
            old.update(part);
        }
        let hash = |root: &Path| {
            fingerprint(root)
                .expect("readable")
                .expect("something to trust")
                .hash
        };
        let skills_only = hash(root);
        assert_eq!(skills_only, format!("sha256:{:x}", old.finalize()));

        // An agent without servers changes nothing; one with servers does,
        // as does an mcp.json.
        std::fs::create_dir_all(root.join(".kiro/agents")).expect("dirs");
        std::fs::write(
            root.join(".kiro/agents/writer.md"),
            "---\nname: writer\n---\nYou write.\n",
        )
        .expect("agent");
        assert_eq!(hash(root), skills_only);
        std::fs::write(
            root.join(".kiro/agents/helper.md"),
            "---\nname: helper\nmcpServers:\n  tools:\n    command: helper-mcp\n---\n",
        )
        .expect("agent");
        let with_agent = hash(root);
        assert_ne!(with_agent, skills_only);
        std::fs::create_dir_all(root.join(".amazonq")).expect("dirs");
        std::fs::write(
            root.join(".amazonq/mcp.json"),
            r#"{"mcpServers": {"fetch": {"command": "fetch-mcp"}}}"#,
        )
        .expect("config");
        let print = fingerprint(root).expect("readable").expect("some");
        assert_ne!(print.hash, with_agent);
        assert_eq!(print.servers(), ["fetch", "tools"]);

        // Servers alone are something to trust.
        std::fs::remove_dir_all(root.join(".qwf")).expect("remove skills");
        let print = fingerprint(root).expect("readable").expect("some");
        assert!(print.skills.is_empty());
        assert_eq!(print.declaring.len(), 2);
        // A file that declares nothing (or cannot be parsed) starts nothing.
        std::fs::remove_file(root.join(".kiro/agents/helper.md")).expect("remove");
        std::fs::write(root.join(".amazonq/mcp.json"), "{broken").expect("config");
        assert!(fingerprint(root).expect("readable").is_none());
    }
}
