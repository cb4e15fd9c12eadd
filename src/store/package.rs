//! Export packages: one JSON file holding a workflow, its whole history and
//! the skill files it uses, so it can move to another machine intact.
//!
//! Packages come from elsewhere, so importing checks everything before
//! writing anything: names (no paths, no `..`), sizes, version numbering,
//! and that the history ends at the packaged workflow.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::Workflow;
use crate::core::names::check_name;

use super::error::{Result, StoreError};
use super::log::VersionRecord;

pub const PACKAGE_FORMAT: u32 = 1;
/// Largest package file accepted.
pub const MAX_PACKAGE_BYTES: u64 = 32 * 1024 * 1024;
/// Largest single entry (one version's content, one skill file).
pub const MAX_ENTRY_BYTES: usize = 4 * 1024 * 1024;
pub const MAX_VERSIONS: usize = 100_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    pub qwf_package: u32,
    pub name: String,
    pub history: Vec<PackagedVersion>,
    /// Skill files by skill name, as found in the exporting home.
    #[serde(default)]
    pub skills: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackagedVersion {
    pub record: VersionRecord,
    pub content: Value,
}

/// A package that passed every check, ready to write.
#[derive(Debug)]
pub struct CheckedPackage {
    pub name: String,
    pub versions: Vec<(VersionRecord, Workflow)>,
    pub skills: BTreeMap<String, Value>,
}

fn refuse(message: String) -> StoreError {
    StoreError::Invalid {
        message,
        hint: "the package is damaged or was not written by `qwf export`; nothing was imported"
            .into(),
    }
}

impl Package {
    pub fn to_pretty_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("a package is always representable as JSON");
        text.push('\n');
        text
    }

    /// Parses and checks a package file's text.
    pub fn parse_and_check(text: &str) -> Result<CheckedPackage> {
        if text.len() as u64 > MAX_PACKAGE_BYTES {
            return Err(refuse(format!(
                "the package is {} bytes, over the limit of {MAX_PACKAGE_BYTES}",
                text.len()
            )));
        }
        let package: Package = serde_json::from_str(text).map_err(|error| {
            refuse(format!(
                "not a qwf package (line {} column {}): {}",
                error.line(),
                error.column(),
                super::plan::strip_position(&error)
            ))
        })?;
        if package.qwf_package != PACKAGE_FORMAT {
            return Err(refuse(format!(
                "package format {} is not supported (this qwf reads format {PACKAGE_FORMAT})",
                package.qwf_package
            )));
        }
        check_name(&package.name, "workflow")?;
        if package.history.is_empty() {
            return Err(refuse("the package has no versions".into()));
        }
        if package.history.len() > MAX_VERSIONS {
            return Err(refuse(format!(
                "the package has {} versions, over the limit of {MAX_VERSIONS}",
                package.history.len()
            )));
        }
        let mut versions = Vec::with_capacity(package.history.len());
        for (position, entry) in package.history.into_iter().enumerate() {
            let expected = position as u64 + 1;
            if entry.record.version != expected {
                return Err(refuse(format!(
                    "history entry {position} is version {}, expected {expected}",
                    entry.record.version
                )));
            }
            if entry
                .record
                .parents
                .iter()
                .any(|parent| *parent >= expected)
            {
                return Err(refuse(format!(
                    "version {expected} names a parent that is not older than itself"
                )));
            }
            let size = entry.content.to_string().len();
            if size > MAX_ENTRY_BYTES {
                return Err(refuse(format!(
                    "version {expected} is {size} bytes, over the limit of {MAX_ENTRY_BYTES}"
                )));
            }
            let workflow = Workflow::from_value(entry.content).map_err(|error| {
                refuse(format!(
                    "version {expected} is not a valid workflow: {}",
                    error.message
                ))
            })?;
            versions.push((entry.record, workflow));
        }
        for (skill, content) in &package.skills {
            check_name(skill, "skill")?;
            let size = content.to_string().len();
            if size > MAX_ENTRY_BYTES {
                return Err(refuse(format!(
                    "skill '{skill}' is {size} bytes, over the limit of {MAX_ENTRY_BYTES}"
                )));
            }
            if !content.is_object() {
                return Err(refuse(format!("skill '{skill}' is not a JSON object")));
            }
            // The same checks as `qwf skill create`: a packaged skill is
            // written to the registry as it is.
            let parsed: crate::core::skill::Skill = serde_json::from_value(content.clone())
                .map_err(|error| {
                    refuse(format!(
                        "skill '{skill}' is not a valid skill file: {error}"
                    ))
                })?;
            if parsed.name != *skill {
                return Err(refuse(format!(
                    "skill '{skill}' in the package is named '{}' inside",
                    parsed.name
                )));
            }
            let problems = crate::core::skill::check_skill(&parsed);
            if crate::core::skill::has_errors(&problems) {
                let errors: Vec<String> = problems
                    .iter()
                    .filter(|problem| problem.severity == crate::core::Severity::Error)
                    .map(ToString::to_string)
                    .collect();
                return Err(refuse(format!(
                    "skill '{skill}' in the package is not valid: {}",
                    errors.join("; ")
                )));
            }
        }
        // Only the skills the workflow uses come along.
        let used: std::collections::BTreeSet<String> = versions
            .iter()
            .flat_map(|(_, workflow)| {
                crate::core::tree::walk(workflow)
                    .into_iter()
                    .filter_map(|visited| visited.step.skill_name().map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .collect();
        if let Some(unused) = package.skills.keys().find(|skill| !used.contains(*skill)) {
            return Err(refuse(format!(
                "the package carries skill '{unused}', which no version of the workflow uses"
            )));
        }
        Ok(CheckedPackage {
            name: package.name,
            versions,
            skills: package.skills,
        })
    }
}
