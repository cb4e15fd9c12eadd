//! The skill registry in `QWF_HOME/skills/NAME.json`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::discovery::{Client, FoundSkill, Kind, Problem, Scope, Shadowed, workspace_skills_dir};
use super::error::{Result, StoreError};
use super::{Store, write_atomic};
use crate::core::names::check_name;
use crate::core::skill::Skill;

/// A skill file that could not be read, reported rather than hidden.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BrokenSkill {
    pub path: std::path::PathBuf,
    pub message: String,
}

/// Every usable skill with the file it came from, the definitions a
/// workspace skill shadows, and the files that could not be read.
#[derive(Debug, Clone, Default)]
pub struct SkillListing {
    pub skills: Vec<FoundSkill>,
    pub shadowed: Vec<Shadowed>,
    pub problems: Vec<Problem>,
}

impl Store {
    /// Every usable skill, by name, and the files that could not be read.
    /// A workspace skill (`.qwf/skills/` in the current directory) replaces
    /// a home skill of the same name.
    pub fn skills(&self) -> Result<(Vec<Skill>, Vec<BrokenSkill>)> {
        // The home's skill directory must be readable; the workspace's is
        // optional (its problems are listed).
        let directory = self.skills_dir();
        if let Err(error) = fs::read_dir(&directory)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            return Err(StoreError::io("read", directory, error));
        }
        let listing = self.skill_listing();
        let broken = listing
            .problems
            .into_iter()
            .map(|problem| BrokenSkill {
                message: match (problem.line, problem.column) {
                    (Some(line), Some(column)) => {
                        format!("line {line} column {column}: {}", problem.message)
                    }
                    _ => problem.message,
                },
                path: problem.path,
            })
            .collect();
        Ok((
            listing
                .skills
                .into_iter()
                .map(|found| found.skill)
                .collect(),
            broken,
        ))
    }

    /// [`Store::skills`] with each skill's file and scope, and what the
    /// workspace shadows. Never fails: problems are part of the listing.
    pub fn skill_listing(&self) -> SkillListing {
        let mut listing = SkillListing::default();
        let mut by_name: BTreeMap<String, FoundSkill> = BTreeMap::new();
        let mut directories = vec![(self.skills_dir(), Scope::Global)];
        if let Some(workspace) = &self.roots().workspace {
            let directory = workspace_skills_dir(workspace);
            // A workspace that is QWF_HOME's parent would list one directory twice.
            if directory != self.skills_dir() {
                directories.push((directory, Scope::Workspace));
            }
        }
        for (directory, scope) in directories {
            let (found, problems) = match read_skill_dir(&directory, scope) {
                Ok(read) => read,
                Err(error) => (
                    Vec::new(),
                    vec![Problem::new(&directory, error.to_string())],
                ),
            };
            listing.problems.extend(problems);
            for skill in found {
                match by_name.remove(&skill.skill.name) {
                    // Files are read in name order: the first of two in one
                    // directory stays; a workspace skill replaces a home one.
                    Some(existing) if existing.scope == skill.scope => {
                        listing.shadowed.push(shadow(&existing, &skill));
                        by_name.insert(existing.skill.name.clone(), existing);
                    }
                    Some(existing) => {
                        listing.shadowed.push(shadow(&skill, &existing));
                        by_name.insert(skill.skill.name.clone(), skill);
                    }
                    None => {
                        by_name.insert(skill.skill.name.clone(), skill);
                    }
                }
            }
        }
        listing.skills = by_name.into_values().collect();
        listing
    }

    /// Saves a new skill; refuses to replace an existing one.
    pub fn create_skill(&self, skill: &Skill) -> Result<std::path::PathBuf> {
        check_name(&skill.name, "skill")?;
        let path = self.skills_dir().join(format!("{}.json", skill.name));
        if path.exists() {
            return Err(StoreError::Invalid {
                message: format!("skill '{}' already exists", skill.name),
                hint: "use the existing skill, or choose another name".into(),
            });
        }
        let mut text =
            serde_json::to_string_pretty(skill).expect("a skill is always representable as JSON");
        text.push('\n');
        write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }
}

fn shadow(used: &FoundSkill, ignored: &FoundSkill) -> Shadowed {
    Shadowed {
        kind: Kind::Skill,
        name: used.skill.name.clone(),
        client: Client::Qwf,
        used: used.source.clone(),
        used_scope: used.scope,
        ignored: ignored.source.clone(),
        ignored_scope: ignored.scope,
    }
}

/// The skills of one directory, in file name order, and the files that
/// could not be read. Only an unreadable directory is an error.
fn read_skill_dir(directory: &Path, scope: Scope) -> Result<(Vec<FoundSkill>, Vec<Problem>)> {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Vec::new(), Vec::new()));
        }
        Err(error) => return Err(StoreError::io("read", directory, error)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| StoreError::io("read", directory, error))?
            .path();
        if path.extension().and_then(|extension| extension.to_str()) == Some("json") {
            paths.push(path);
        }
    }
    paths.sort();
    let mut skills = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => {
                problems.push(Problem::new(&path, error.to_string()));
                continue;
            }
        };
        match serde_json::from_str::<Skill>(&text) {
            Ok(skill) => skills.push(FoundSkill {
                skill,
                source: path,
                scope,
            }),
            Err(error) => problems.push(Problem::json(&path, &error)),
        }
    }
    Ok((skills, problems))
}
