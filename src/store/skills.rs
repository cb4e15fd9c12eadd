//! The skill registry in `QWF_HOME/skills/NAME.json`.

use std::fs;
use std::path::{Path, PathBuf};

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

impl Store {
    /// Every readable skill, by name, and the files that could not be read.
    pub fn skills(&self) -> Result<(Vec<Skill>, Vec<BrokenSkill>)> {
        let directory = self.skills_dir();
        let entries = match fs::read_dir(&directory) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(error) => return Err(StoreError::io("read", directory, error)),
        };
        let mut skills = Vec::new();
        let mut broken = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|error| StoreError::io("read", &directory, error))?
                .path();
            if path.extension().and_then(|extension| extension.to_str()) != Some("json") {
                continue;
            }
            match read_skill_file(&path) {
                Ok(skill) => {
                    let stem = path.file_stem().and_then(|stem| stem.to_str());
                    if stem == Some(skill.name.as_str()) {
                        skills.push(skill);
                    } else {
                        broken.push(BrokenSkill {
                            message: format!(
                                "the file is named {}.json but the skill inside is named '{}' (rename the file to {}.json, or fix \"name\")",
                                stem.unwrap_or_default(),
                                skill.name,
                                skill.name
                            ),
                            path,
                        });
                    }
                }
                Err(message) => broken.push(BrokenSkill { path, message }),
            }
        }
        skills.sort_by(|left, right| left.name.cmp(&right.name));
        Ok((skills, broken))
    }

    /// The skill named `name`.
    pub fn skill(&self, name: &str) -> Result<Skill> {
        check_name(name, "skill")?;
        let path = self.skill_path(name);
        if !path.exists() {
            let (skills, _) = self.skills()?;
            let hint = match did_you_mean(name, skills.iter().map(|skill| skill.name.as_str())) {
                Some(close) => {
                    format!("did you mean '{close}'? `qwf skill list` shows every skill")
                }
                None => "`qwf skill list` shows every skill; `qwf skill create` makes one".into(),
            };
            return Err(StoreError::Invalid {
                message: format!("there is no skill '{name}'"),
                hint,
            });
        }
        read_skill_file(&path).map_err(|message| StoreError::Invalid {
            message: format!("{}: {message}", path.display()),
            hint: "fix the skill file at that place (qwf never overwrites it)".into(),
        })
    }

    /// Where the skill named `name` is (or would be) saved.
    pub fn skill_path(&self, name: &str) -> PathBuf {
        self.skills_dir().join(format!("{name}.json"))
    }

    /// Saves a new skill atomically; refuses to replace an existing one and
    /// to save a skill with errors (see [`check_skill`]).
    pub fn create_skill(&self, skill: &Skill) -> Result<std::path::PathBuf> {
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
        let path = self.skill_path(&skill.name);
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

/// A skill file's content, or what is wrong with it ("line 3 column 9: …").
fn read_skill_file(path: &Path) -> std::result::Result<Skill, String> {
    let text = fs::read_to_string(path).map_err(|error| error.to_string())?;
    parse_skill(&text).map_err(|error| {
        if error.line > 0 {
            format!(
                "line {} column {}: {} ({})",
                error.line, error.column, error.message, error.hint
            )
        } else {
            format!("{} ({})", error.message, error.hint)
        }
    })
}
