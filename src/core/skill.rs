//! The skill file (`skills/NAME.json`): a reusable capability a step runs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::JsonMap;
use super::names::{check_name, step_id_problem};
use super::suggest::did_you_mean;
use super::validation::Severity;

/// How a skill runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkillType {
    /// A command run once per step.
    CodeInline,
    /// A command kept running across steps.
    CodeSession,
    /// A conversation with a model.
    Conversation,
    /// A single prompt to a model.
    PromptInline,
}

impl std::fmt::Display for SkillType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkillType::CodeInline => "code_inline",
            SkillType::CodeSession => "code_session",
            SkillType::Conversation => "conversation",
            SkillType::PromptInline => "prompt_inline",
        })
    }
}

/// A skill file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Skill {
    pub name: String,
    #[serde(rename = "type")]
    pub skill_type: SkillType,
    #[serde(default)]
    pub description: String,
    /// The command (for code skills) or prompt (for model skills).
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub inputs: Vec<String>,
    #[serde(default)]
    pub outputs: Vec<String>,
    /// Fields this version of qwf does not know; kept verbatim.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: JsonMap,
}

impl SkillType {
    /// Every type, as written in skill files.
    pub const ALL: [SkillType; 4] = [
        SkillType::CodeInline,
        SkillType::CodeSession,
        SkillType::Conversation,
        SkillType::PromptInline,
    ];

    /// Whether the skill runs a command (rather than prompting a model).
    pub fn is_code(self) -> bool {
        matches!(self, SkillType::CodeInline | SkillType::CodeSession)
    }

    /// Parses a type as written in skill files and on the command line.
    pub fn parse(text: &str) -> Option<SkillType> {
        SkillType::ALL
            .into_iter()
            .find(|skill_type| skill_type.to_string() == text)
    }
}

/// Fields a skill file knows; anything else is kept but warned about.
const SKILL_FIELDS: [&str; 7] = [
    "name",
    "type",
    "description",
    "command",
    "inputs",
    "outputs",
    super::skill_env::FIELD,
];

/// One problem with a skill file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkillProblem {
    pub severity: Severity,
    /// The field it concerns, as a JSON pointer (`/name`, `/inputs/1`).
    pub pointer: String,
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for SkillProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.hint)
    }
}

/// Every problem with a skill at once: errors (the skill cannot be saved)
/// and warnings (it can, but something is probably missing).
pub fn check_skill(skill: &Skill) -> Vec<SkillProblem> {
    let mut problems = Vec::new();
    let mut push = |severity, pointer: String, message: String, hint: String| {
        problems.push(SkillProblem {
            severity,
            pointer,
            message,
            hint,
        })
    };
    if let Err(error) = check_name(&skill.name, "skill") {
        push(
            Severity::Error,
            "/name".into(),
            error.to_string(),
            error.hint,
        );
    }
    if skill.command.trim().is_empty() {
        if skill.skill_type.is_code() {
            push(
                Severity::Error,
                "/command".into(),
                format!(
                    "skill '{}' is a {} skill but has no command",
                    skill.name, skill.skill_type
                ),
                "set \"command\" to the program it runs, for example \"python3 validate.py\""
                    .into(),
            );
        } else {
            push(
                Severity::Warning,
                "/command".into(),
                format!(
                    "skill '{}' is a {} skill but has no prompt",
                    skill.name, skill.skill_type
                ),
                "set \"command\" to the prompt sent to the model, for example \"Summarize:\\n{{data}}\"".into(),
            );
        }
    } else if skill.skill_type.is_code() {
        // `qwf run` splits the command into words (no shell runs it).
        if let Err(error) = shell_words::split(&skill.command) {
            push(
                Severity::Error,
                "/command".into(),
                format!(
                    "the command of skill '{}' cannot be split into words: {error}",
                    skill.name
                ),
                "close the quote, or escape it with a backslash".into(),
            );
        }
    }
    if skill.description.trim().is_empty() {
        push(
            Severity::Warning,
            "/description".into(),
            format!("skill '{}' has no description", skill.name),
            "add one line saying what it does; qwf and the model find skills by it".into(),
        );
    }
    for (field, names) in [("inputs", &skill.inputs), ("outputs", &skill.outputs)] {
        let mut seen = std::collections::HashSet::new();
        for (index, name) in names.iter().enumerate() {
            let pointer = format!("/{field}/{index}");
            if let Some(reason) = step_id_problem(name) {
                push(
                    Severity::Error,
                    pointer,
                    format!("'{name}' is not a valid name in {field}: {reason}"),
                    "use letters, digits, '-' and '_' (steps refer to it as STEP.NAME)".into(),
                );
            } else if !seen.insert(name.as_str()) {
                push(
                    Severity::Error,
                    pointer,
                    format!("'{name}' appears twice in {field}"),
                    format!("list each of the skill's {field} once"),
                );
            }
        }
    }
    for key in skill.extra.keys() {
        if !SKILL_FIELDS.contains(&key.as_str()) {
            push(
                Severity::Warning,
                format!("/{key}"),
                format!("unknown skill field '{key}'"),
                match did_you_mean(key, SKILL_FIELDS.into_iter()) {
                    Some(close) => format!("did you mean '{close}'? The field is kept as it is"),
                    None => format!(
                        "the fields qwf reads are {}; this one is kept as it is",
                        SKILL_FIELDS.join(", ")
                    ),
                },
            );
        }
    }
    problems.extend(super::skill_env::problems(skill));
    problems
}

/// Whether any problem stops the skill from being saved.
pub fn has_errors(problems: &[SkillProblem]) -> bool {
    problems
        .iter()
        .any(|problem| problem.severity == Severity::Error)
}

/// A skill file that could not be read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SkillParseError {
    /// 1-based; 0 when the position is unknown.
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: String,
}

/// Reads a skill file's text, with a position and a hint when it is not one.
pub fn parse_skill(text: &str) -> Result<Skill, SkillParseError> {
    serde_json::from_str::<Skill>(text).map_err(|error| {
        let full = error.to_string();
        let message = match full.rfind(" at line ") {
            Some(cut) if error.line() > 0 => full[..cut].to_string(),
            _ => full,
        };
        let types: Vec<String> = SkillType::ALL.iter().map(ToString::to_string).collect();
        let hint = if message.contains("unknown variant") {
            format!("\"type\" is one of {}", types.join(", "))
        } else if message.contains("missing field") {
            format!(
                "a skill file needs at least \"name\" and \"type\" ({})",
                types.join(", ")
            )
        } else if error.is_syntax() || error.is_eof() {
            "fix the JSON syntax at that position".into()
        } else {
            "a skill file is {\"name\", \"type\", \"description\", \"command\", \"inputs\": [...], \"outputs\": [...]}".into()
        };
        SkillParseError {
            line: error.line(),
            column: error.column(),
            message,
            hint,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(text: &str) -> Skill {
        parse_skill(text).expect("a skill file")
    }

    fn pointers(problems: &[SkillProblem]) -> Vec<(Severity, &str)> {
        problems
            .iter()
            .map(|problem| (problem.severity, problem.pointer.as_str()))
            .collect()
    }

    #[test]
    fn a_complete_skill_has_no_problems() {
        let problems = check_skill(&skill(
            r#"{"name": "http-fetch", "type": "code_inline", "description": "Fetch a URL",
                "command": "curl -sf", "inputs": ["url"], "outputs": ["data"]}"#,
        ));
        assert_eq!(problems, []);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let problems = check_skill(&skill(
            r#"{"name": "Bad Name", "type": "code_session", "command": " ",
                "inputs": ["url", "a.b", "url"], "outputs": [""], "timeout": 3}"#,
        ));
        assert_eq!(
            pointers(&problems),
            [
                (Severity::Error, "/name"),
                (Severity::Error, "/command"),
                (Severity::Warning, "/description"),
                (Severity::Error, "/inputs/1"),
                (Severity::Error, "/inputs/2"),
                (Severity::Error, "/outputs/0"),
                (Severity::Warning, "/timeout"),
            ]
        );
        assert!(has_errors(&problems));
        assert!(problems[1].message.contains("has no command"));
        assert!(problems[4].message.contains("appears twice"));
    }

    #[test]
    fn a_prompt_skill_without_a_prompt_is_only_a_warning() {
        let problems = check_skill(&skill(
            r#"{"name": "summarizer", "type": "prompt_inline", "description": "Summarize"}"#,
        ));
        assert_eq!(pointers(&problems), [(Severity::Warning, "/command")]);
        assert!(!has_errors(&problems));
    }

    #[test]
    fn unreadable_files_say_where_and_what_to_do() {
        let error = parse_skill("{\"name\": \"x\", \"type\": \"code\"}").expect_err("bad type");
        assert_eq!(error.line, 1);
        assert!(
            error.message.starts_with("unknown variant `code`"),
            "{error}"
        );
        assert!(
            error.hint.contains("code_inline, code_session"),
            "{}",
            error.hint
        );
        let error = parse_skill("{\"name\": \"x\"}").expect_err("no type");
        assert!(error.message.contains("missing field `type`"), "{error}");
        let error = parse_skill("{\"name\": \"x\",\n").expect_err("truncated");
        assert_eq!(error.line, 2);
        assert_eq!(
            SkillType::parse("conversation"),
            Some(SkillType::Conversation)
        );
        assert_eq!(SkillType::parse("code"), None);
    }
}
