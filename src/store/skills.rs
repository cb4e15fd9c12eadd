//! The skill registry in `QWF_HOME/skills/NAME.json`.

use std::fs;

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
            let parsed = fs::read_to_string(&path)
                .map_err(|error| error.to_string())
                .and_then(|text| {
                    serde_json::from_str::<Skill>(&text).map_err(|error| {
                        format!(
                            "line {} column {}: {}",
                            error.line(),
                            error.column(),
                            super::plan::strip_position(&error)
                        )
                    })
                });
            match parsed {
                Ok(skill) => skills.push(skill),
                Err(message) => broken.push(BrokenSkill { path, message }),
            }
        }
        skills.sort_by(|left, right| left.name.cmp(&right.name));
        Ok((skills, broken))
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
