//! A skill's `env`: the variables of the user's environment its command
//! may see besides the ones every code skill gets (`"env": ["AWS_PROFILE",
//! "AWS_REGION"]`). Kept in the skill file's open field map so that files
//! and every other reader of [`Skill`] stay as they are.

use serde_json::Value;

use super::skill::{Skill, SkillProblem};
use super::validation::Severity;

/// The field's name in a skill file.
pub const FIELD: &str = "env";

/// The provider keys qwf itself uses: never passed to a skill that does
/// not name them, and a skill naming one is warned about.
pub const PROVIDER_KEYS: &[&str] = &[
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "QWF_API_KEY",
];

/// The variables qwf sets for every step; a skill cannot ask for them.
fn is_qwf_variable(name: &str) -> bool {
    name.starts_with("QWF_INPUT_") || name == "QWF_STEP_ID" || name == "QWF_ATTEMPT"
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The variables the skill names, as written (only the valid ones).
pub fn requested(skill: &Skill) -> Vec<String> {
    match skill.extra.get(FIELD) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|name| is_variable_name(name) && !is_qwf_variable(name))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// What is wrong with the skill's `env`, if anything.
pub fn problems(skill: &Skill) -> Vec<SkillProblem> {
    let mut problems = Vec::new();
    let Some(value) = skill.extra.get(FIELD) else {
        return problems;
    };
    let mut push = |severity, pointer: String, message: String, hint: &str| {
        problems.push(SkillProblem {
            severity,
            pointer,
            message,
            hint: hint.to_string(),
        })
    };
    let Value::Array(items) = value else {
        push(
            Severity::Error,
            "/env".into(),
            format!(
                "\"env\" of skill '{}' must be a list of variable names",
                skill.name
            ),
            "write it like \"env\": [\"AWS_PROFILE\", \"AWS_REGION\"]",
        );
        return problems;
    };
    if !skill.skill_type.is_code() && !items.is_empty() {
        push(
            Severity::Warning,
            "/env".into(),
            format!(
                "skill '{}' is a {} skill; \"env\" only matters for code skills",
                skill.name, skill.skill_type
            ),
            "remove \"env\", or make it a code skill",
        );
    }
    for (index, item) in items.iter().enumerate() {
        let pointer = format!("/env/{index}");
        match item.as_str() {
            None => push(
                Severity::Error,
                pointer,
                format!("{item} in \"env\" is not a variable name"),
                "list names as text, like \"AWS_PROFILE\"",
            ),
            Some(name) if !is_variable_name(name) => push(
                Severity::Error,
                pointer,
                format!("'{name}' in \"env\" is not a variable name"),
                "use letters, digits and '_', not starting with a digit",
            ),
            Some(name) if is_qwf_variable(name) => push(
                Severity::Error,
                pointer,
                format!("'{name}' in \"env\" is set by qwf for every step"),
                "remove it; qwf sets QWF_INPUT_*, QWF_STEP_ID and QWF_ATTEMPT itself",
            ),
            Some(name) if PROVIDER_KEYS.contains(&name) => push(
                Severity::Warning,
                pointer,
                format!(
                    "skill '{}' asks for {name}: it will see your provider key",
                    skill.name
                ),
                "keep it only if the skill calls that provider itself",
            ),
            Some(_) => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::skill::parse_skill;

    #[test]
    fn env_names_variables_and_is_checked() {
        let skill = parse_skill(
            r#"{"name": "s3-sync", "type": "code_inline", "command": "aws s3 sync",
                "env": ["AWS_PROFILE", "QWF_STEP_ID", "1BAD", 3, "OPENAI_API_KEY"]}"#,
        )
        .expect("skill");
        assert_eq!(requested(&skill), ["AWS_PROFILE", "OPENAI_API_KEY"]);
        let found = problems(&skill);
        let found: Vec<(Severity, &str)> = found
            .iter()
            .map(|problem| (problem.severity, problem.pointer.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (Severity::Error, "/env/1"),
                (Severity::Error, "/env/2"),
                (Severity::Error, "/env/3"),
                (Severity::Warning, "/env/4"),
            ]
        );
        let skill =
            parse_skill(r#"{"name": "x", "type": "code_inline", "command": "x", "env": "HOME"}"#)
                .expect("skill");
        assert_eq!(problems(&skill).len(), 1);
        assert!(requested(&skill).is_empty());
    }
}
