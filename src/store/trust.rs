//! Which workspaces may run their own skills (`./.qwf/skills`), like
//! direnv's `allow`: a cloned repository must not change what the user's
//! workflows execute until the user has read its skills and said so.
//!
//! `QWF_HOME/trust.json` records each trusted workspace's path and a hash
//! of everything under its `.qwf/skills/` (skill files and the scripts next
//! to them): when any of it changes, the workspace must be trusted again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::discovery::workspace_skills_dir;
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
    /// `sha256:` and the hash of its `.qwf/skills/` when it was trusted.
    pub hash: String,
    /// The skill files it held then.
    #[serde(default)]
    pub skills: Vec<String>,
    pub trusted_at: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TrustFile {
    #[serde(default)]
    workspaces: Vec<TrustedWorkspace>,
}

/// Whether a workspace's skills may run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Trust {
    /// It has no `.qwf/skills/` directory.
    NoSkills,
    Trusted {
        record: TrustedWorkspace,
    },
    /// Never trusted (or revoked).
    Untrusted,
    /// Trusted once, but its skills changed since.
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
            Trust::NoSkills | Trust::Trusted { .. } => None,
            Trust::Untrusted => Some("this workspace is not trusted".into()),
            Trust::Changed { record } => Some(format!(
                "this workspace's skills changed since it was trusted ({})",
                record.trusted_at
            )),
            Trust::Unreadable { message } => Some(format!(
                "this workspace's skills cannot be checked: {message}"
            )),
        }
    }
}

/// What `.qwf/skills/` holds, hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub hash: String,
    /// The skill files (`NAME.json`) directly in the directory.
    pub skills: Vec<String>,
    pub files: usize,
}

/// The hash of every file under `directory` (names and contents, in name
/// order); `None` when there is no such directory.
pub fn fingerprint(directory: &Path) -> std::result::Result<Option<Fingerprint>, String> {
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
    let mut hasher = Sha256::new();
    let mut total = 0u64;
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
        let name = relative.to_string_lossy();
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
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
    }))
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

    /// Whether the skills of `workspace` may run now.
    pub fn trust_of(&self, workspace: &Path) -> Trust {
        let fingerprint = match fingerprint(&workspace_skills_dir(workspace)) {
            Ok(None) => return Trust::NoSkills,
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
                None => Trust::NoSkills,
            })
            .clone()
    }

    /// Trusts `workspace`'s skills as they are now (replacing an older
    /// record of it). Refuses a workspace without skills, and one whose
    /// skills no longer hash to `expected` (what the user was shown).
    pub fn trust(
        &self,
        workspace: &Path,
        expected: Option<&str>,
        now: &str,
    ) -> Result<TrustedWorkspace> {
        let path = canonical(workspace)?;
        let skills_dir = workspace_skills_dir(&path);
        let fingerprint = match fingerprint(&skills_dir) {
            Ok(Some(fingerprint)) => fingerprint,
            Ok(None) => {
                return Err(StoreError::Invalid {
                    message: format!(
                        "{} has no workspace skills ({} does not exist)",
                        path.display(),
                        skills_dir.display()
                    ),
                    hint:
                        "there is nothing to trust; workspace skills are JSON files in .qwf/skills/"
                            .into(),
                });
            }
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
                    "the skills in {} changed while you were reading them",
                    skills_dir.display()
                ),
                hint: "run `qwf trust` again and read them as they are now; nothing was trusted"
                    .into(),
            });
        }
        let record = TrustedWorkspace {
            path,
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
        assert_eq!(store.trust_of(workspace.path()), Trust::NoSkills);
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
}
