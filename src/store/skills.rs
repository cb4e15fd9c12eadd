//! The skill registry in `QWF_HOME/skills/NAME.json`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::atomic::write_new;
use super::discovery::{Client, FoundSkill, Kind, Problem, Scope, Shadowed, workspace_skills_dir};
use super::error::{Result, StoreError};
use super::{Store, write_atomic};
use crate::core::names::check_name;
use crate::core::skill::{Skill, check_skill, has_errors, parse_skill};
use crate::core::suggest::did_you_mean;
use crate::core::validation::Severity;

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
    /// Workspace skills that are not used because the workspace is not
    /// trusted (`qwf trust`), and why.
    pub untrusted: Vec<FoundSkill>,
    pub untrusted_reason: Option<String>,
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
    /// The workspace's skills are used only when the user trusts it (see
    /// [`super::trust`]); otherwise they are listed apart, and a home skill
    /// of the same name stays in use.
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
            let trust = match scope {
                Scope::Workspace => self.workspace_trust(),
                Scope::Global => super::trust::Trust::NothingToTrust,
            };
            let (found, problems) = match read_skill_dir(&directory, scope) {
                Ok(read) => read,
                Err(error) => (
                    Vec::new(),
                    vec![Problem::new(&directory, error.to_string())],
                ),
            };
            listing.problems.extend(problems);
            if let Some(reason) = trust.reason() {
                for skill in &found {
                    if let Some(home) = by_name.get(&skill.skill.name) {
                        listing.shadowed.push(shadow(home, skill));
                    }
                }
                if !found.is_empty() {
                    listing.untrusted_reason = Some(reason);
                }
                listing.untrusted.extend(found);
                continue;
            }
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

    /// The skills and agents a workflow may name, for validation.
    pub fn known_resources(&self) -> Result<crate::core::KnownResources> {
        let (skills, _) = self.skills()?;
        Ok(crate::core::KnownResources::new(
            &skills,
            self.discover_agents()
                .into_iter()
                .map(|agent| (agent.name.clone(), agent.interface())),
        ))
    }

    /// [`Store::known_resources`] for checking `workflow`: the agents are
    /// read only when one of its steps runs an agent.
    pub fn known_resources_for(
        &self,
        workflow: &crate::core::Workflow,
    ) -> Result<crate::core::KnownResources> {
        if runs_agents(workflow) {
            return self.known_resources();
        }
        let (skills, _) = self.skills()?;
        Ok(crate::core::KnownResources::new(&skills, Vec::new()))
    }

    /// The skill named `name`: a workspace skill before a home one.
    pub fn skill(&self, name: &str) -> Result<Skill> {
        check_name(name, "skill")?;
        let listing = self.skill_listing();
        if let Some(found) = listing
            .skills
            .into_iter()
            .find(|found| found.skill.name == name)
        {
            return Ok(found.skill);
        }
        if let Some(found) = listing
            .untrusted
            .iter()
            .find(|found| found.skill.name == name)
        {
            return Err(StoreError::Invalid {
                message: format!(
                    "skill '{name}' is a workspace skill ({}), and {}",
                    found.source.display(),
                    listing
                        .untrusted_reason
                        .as_deref()
                        .unwrap_or("this workspace is not trusted")
                ),
                hint: "read it, then `qwf trust` lets this workspace's skills be used".into(),
            });
        }
        if let Some(problem) = listing
            .problems
            .iter()
            .find(|problem| problem.path.file_stem().and_then(|stem| stem.to_str()) == Some(name))
        {
            return Err(StoreError::Invalid {
                message: format!("{}: {}", problem.place(), problem.message),
                hint: "fix the skill file at that place (qwf never overwrites it)".into(),
            });
        }
        let (skills, _) = self.skills()?;
        let hint = match did_you_mean(name, skills.iter().map(|skill| skill.name.as_str())) {
            Some(close) => format!("did you mean '{close}'? `qwf skill list` shows every skill"),
            None => "`qwf skill list` shows every skill; `qwf skill create` makes one".into(),
        };
        Err(StoreError::Invalid {
            message: format!("there is no skill '{name}'"),
            hint,
        })
    }

    /// Where the skill named `name` is (or would be) saved.
    pub fn skill_path(&self, name: &str) -> PathBuf {
        self.skills_dir().join(format!("{name}.json"))
    }

    /// Saves a new skill atomically; refuses to replace an existing one and
    /// to save a skill with errors (see [`check_skill`]).
    pub fn create_skill(&self, skill: &Skill) -> Result<std::path::PathBuf> {
        check_savable(skill)?;
        let path = self.skill_path(&skill.name);
        // A workspace skill of that name would hide the new one.
        if let Some(found) = self
            .skill_listing()
            .skills
            .into_iter()
            .find(|found| found.skill.name == skill.name)
        {
            return Err(StoreError::Invalid {
                message: format!(
                    "skill '{}' already exists ({})",
                    skill.name,
                    found.source.display()
                ),
                hint: "use the existing skill, or choose another name".into(),
            });
        }
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

impl Store {
    /// The script a new skill's command names that is not in the skills
    /// folder yet (`python3 notify.py` → `notify.py`), when qwf can write a
    /// stub for it (see [`crate::core::stub::script_stub`]).
    pub fn missing_script(&self, skill: &Skill) -> Option<String> {
        let (script, _) = crate::core::stub::script_stub(skill)?;
        (!self.skills_dir().join(&script).exists()).then_some(script)
    }

    /// Writes the stub of a skill's missing script next to the skill file;
    /// never replaces a file. `None` when there is nothing to write.
    pub fn write_script_stub(&self, skill: &Skill) -> Result<Option<PathBuf>> {
        let Some((script, text)) = crate::core::stub::script_stub(skill) else {
            return Ok(None);
        };
        let path = self.skills_dir().join(&script);
        if path.exists() {
            return Ok(None);
        }
        write_new(&path, text.as_bytes())?;
        Ok(Some(path))
    }

    /// Removes a skill: its file moves to `skills/.trash/` (in the folder it
    /// was found in), from where `qwf skill create --file` brings it back.
    /// Returns the file removed and where it was kept.
    pub fn delete_skill(&self, name: &str, now: &str) -> Result<(PathBuf, PathBuf)> {
        let path = self.skill_file(name)?;
        let kept = keep_copy(&path, name, now)?;
        fs::remove_file(&path).map_err(|error| StoreError::io("remove", &path, error))?;
        Ok((path, kept))
    }

    /// Replaces a skill's file with `skill` (checked first), keeping the
    /// previous file in `skills/.trash/`. Returns the file and the copy.
    pub fn replace_skill(&self, skill: &Skill, now: &str) -> Result<(PathBuf, PathBuf)> {
        check_savable(skill)?;
        let path = self.skill_file(&skill.name)?;
        let kept = keep_copy(&path, &skill.name, now)?;
        let mut text =
            serde_json::to_string_pretty(skill).expect("a skill is always representable as JSON");
        text.push('\n');
        write_atomic(&path, text.as_bytes())?;
        Ok((path, kept))
    }

    /// Removes a skill file written moments ago by the same command (its
    /// save failed half-way); nothing is kept.
    pub fn discard_new_skill(&self, name: &str) -> Result<()> {
        check_name(name, "skill")?;
        let path = self.skill_path(name);
        fs::remove_file(&path).map_err(|error| StoreError::io("remove", &path, error))
    }

    /// The file a skill was found in (home or workspace).
    pub fn skill_file(&self, name: &str) -> Result<PathBuf> {
        check_name(name, "skill")?;
        let listing = self.skill_listing();
        if let Some(found) = listing
            .skills
            .into_iter()
            .find(|found| found.skill.name == name)
        {
            return Ok(found.source);
        }
        // An unreadable file of that name is still the skill's file.
        let path = self.skill_path(name);
        if path.exists() {
            return Ok(path);
        }
        self.skill(name).map(|_| path)
    }
}

/// Refuses a skill that must not be saved: a bad name, or errors.
fn check_savable(skill: &Skill) -> Result<()> {
    check_name(&skill.name, "skill")?;
    let problems = check_skill(skill);
    if has_errors(&problems) {
        let errors: Vec<String> = problems
            .iter()
            .filter(|problem| problem.severity == Severity::Error)
            .map(ToString::to_string)
            .collect();
        return Err(StoreError::Invalid {
            message: format!("skill '{}' is not valid: {}", skill.name, errors.join("; ")),
            hint: "fix the skill file and try again; nothing was saved".into(),
        });
    }
    Ok(())
}

/// Copies a skill file into `.trash/` beside it as `NAME.TIME.json`.
fn keep_copy(path: &Path, name: &str, now: &str) -> Result<PathBuf> {
    let directory = path
        .parent()
        .map_or_else(|| PathBuf::from(".trash"), |parent| parent.join(".trash"));
    let stamp: String = now.chars().filter(char::is_ascii_alphanumeric).collect();
    let content = fs::read(path).map_err(|error| StoreError::io("read", path, error))?;
    for attempt in 1..1000 {
        let file = if attempt == 1 {
            format!("{name}.{stamp}.json")
        } else {
            format!("{name}.{stamp}-{attempt}.json")
        };
        let kept = directory.join(file);
        if kept.exists() {
            continue;
        }
        write_new(&kept, &content)?;
        return Ok(kept);
    }
    Err(StoreError::Invalid {
        message: format!(
            "too many kept copies of skill '{name}' in {}",
            directory.display()
        ),
        hint: "remove old files from that folder".into(),
    })
}

/// Whether one of the workflow's steps (nested ones too) runs an agent.
pub fn runs_agents(workflow: &crate::core::Workflow) -> bool {
    crate::core::tree::StepIndex::new(workflow)
        .visited
        .iter()
        .any(|visited| {
            matches!(
                visited.step.kind,
                crate::core::model::StepKind::Agent { .. }
            )
        })
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
        let text = match super::read::read_text(&path, super::read::SMALL_FILE) {
            Ok(text) => text,
            Err(error) => {
                problems.push(Problem::new(&path, error.to_string()));
                continue;
            }
        };
        match parse_skill(&text) {
            Ok(skill) => {
                let stem = path.file_stem().and_then(|stem| stem.to_str());
                if stem == Some(skill.name.as_str()) {
                    skills.push(FoundSkill {
                        skill,
                        source: path,
                        scope,
                    });
                } else {
                    problems.push(Problem::new(
                        &path,
                        format!(
                            "the file is named {}.json but the skill inside is named '{}' (rename the file to {}.json, or fix \"name\")",
                            stem.unwrap_or_default(),
                            skill.name,
                            skill.name
                        ),
                    ));
                }
            }
            Err(error) => problems.push(Problem {
                path: path.clone(),
                line: (error.line > 0).then_some(error.line),
                column: (error.line > 0).then_some(error.column),
                message: error.message,
            }),
        }
    }
    Ok((skills, problems))
}
