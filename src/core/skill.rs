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

/// A qwf skill file (`skills/NAME.json`): what a step runs, and its
/// interface. `inputs` and `outputs` list names (`"url"`: a required input)
/// or objects (`{"name": "schema", "optional": true, "description": "…",
/// "type": "boolean"}`). Absent means undeclared: steps are not checked
/// against it; `[]` declares none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "qwf skill")]
pub struct Skill {
    pub name: String,
    #[serde(rename = "type")]
    pub skill_type: SkillType,
    #[serde(default)]
    pub description: String,
    /// The command (for code skills) or prompt (for model skills).
    #[serde(default)]
    pub command: String,
    /// What a step gives the skill. Absent: the skill declares nothing, so
    /// steps are not checked against it (with a warning); `[]`: it takes
    /// no inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<Port>>,
    /// What the skill produces (absent: not declared; `[]`: nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<Port>>,
    /// Fields this version of qwf does not know; kept verbatim.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: JsonMap,
}

/// One input or output of a skill's interface. In a skill file it is a
/// plain name (`"url"`: a required input) or an object
/// (`{"name": "schema", "optional": true, "description": "…"}`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Port {
    pub name: String,
    /// Inputs only: a step may leave it unwired.
    pub optional: bool,
    pub description: Option<String>,
    /// The JSON type of the value (`boolean`, `number`, `string`,
    /// `object`, `array`), when the skill says.
    pub value_type: Option<String>,
    /// Fields this version of qwf does not know; kept verbatim.
    pub extra: JsonMap,
}

/// The JSON types a port may declare.
pub const PORT_TYPES: [&str; 6] = ["boolean", "number", "integer", "string", "object", "array"];

/// The fields a port object knows.
const PORT_FIELDS: [&str; 4] = ["name", "optional", "description", "type"];

impl Port {
    /// A required input (or an output) known only by its name.
    pub fn named(name: impl Into<String>) -> Port {
        Port {
            name: name.into(),
            ..Port::default()
        }
    }

    /// Ports known only by their names.
    pub fn names<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Vec<Port> {
        names.into_iter().map(Port::named).collect()
    }

    /// Whether the value is declared a boolean (what a condition can test
    /// on its own).
    pub fn is_boolean(&self) -> bool {
        self.value_type.as_deref() == Some("boolean")
    }

    fn is_plain(&self) -> bool {
        !self.optional
            && self.description.is_none()
            && self.value_type.is_none()
            && self.extra.is_empty()
    }
}

impl Serialize for Port {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.is_plain() {
            return serializer.serialize_str(&self.name);
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        if self.optional {
            map.serialize_entry("optional", &true)?;
        }
        if let Some(description) = &self.description {
            map.serialize_entry("description", description)?;
        }
        if let Some(value_type) = &self.value_type {
            map.serialize_entry("type", value_type)?;
        }
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(deserializer)?;
        let mut object = match value {
            serde_json::Value::String(name) => return Ok(Port::named(name)),
            serde_json::Value::Object(object) => object,
            other => {
                return Err(D::Error::custom(format!(
                    "{other} is not an input or output: write a name (\"url\") or an object ({{\"name\": \"url\", \"optional\": true}})"
                )));
            }
        };
        let name = match object.remove("name") {
            Some(serde_json::Value::String(name)) => name,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "the \"name\" of an input or output must be text, not {other}"
                )));
            }
            None => {
                return Err(D::Error::custom(
                    "an input or output written as an object needs a \"name\"",
                ));
            }
        };
        let optional = match object.remove("optional") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(optional)) => optional,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "\"optional\" of '{name}' must be true or false, not {other}"
                )));
            }
        };
        let text = |object: &mut JsonMap, field: &str| -> Result<Option<String>, D::Error> {
            match object.remove(field) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(text)) => Ok(Some(text)),
                Some(other) => Err(D::Error::custom(format!(
                    "\"{field}\" of '{name}' must be text, not {other}"
                ))),
            }
        };
        let description = text(&mut object, "description")?;
        let value_type = text(&mut object, "type")?;
        Ok(Port {
            name,
            optional,
            description,
            value_type,
            extra: object,
        })
    }
}

#[allow(dead_code)] // describes the accepted JSON only
#[derive(JsonSchema)]
#[serde(untagged)]
enum PortShape {
    /// A name: a required input, or an output.
    Name(String),
    Full(PortObject),
}

#[allow(dead_code)] // describes the accepted JSON only
#[derive(JsonSchema)]
struct PortObject {
    /// Letters, digits, '-' and '_'; steps refer to an output as STEP.NAME.
    name: String,
    /// Inputs only: steps may leave it unwired (default false: required).
    #[serde(default)]
    optional: bool,
    description: Option<String>,
    /// The JSON type of the value: boolean, number, integer, string,
    /// object or array. A boolean output is what a condition can test.
    #[serde(rename = "type")]
    value_type: Option<String>,
}

impl JsonSchema for Port {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Port".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        PortShape::json_schema(generator)
    }
}

/// What validation knows of a skill or an agent: the interface steps are
/// checked against, and what a step using it executes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interface {
    /// `None`: not declared, so anything goes (with a warning for skills).
    pub inputs: Option<Vec<Port>>,
    pub outputs: Option<Vec<Port>>,
    /// What a step using it runs, for the gate: a code skill's command, a
    /// model skill's prompt, an agent's description.
    pub executes: Option<String>,
}

impl Interface {
    /// Nothing declared: only the name is known.
    pub fn unknown() -> Interface {
        Interface::default()
    }

    pub fn input(&self, name: &str) -> Option<&Port> {
        self.inputs.as_ref()?.iter().find(|port| port.name == name)
    }

    /// Whether a step declaring `step_outputs` gets `name` from this
    /// interface; `None` when its outputs are not declared. A step that
    /// declares exactly one output names the one output of its skill as it
    /// likes (`qwf run` stores the skill's value under the step's name).
    pub fn produces_for(&self, step_outputs: &[String], name: &str) -> Option<bool> {
        let outputs = self.outputs.as_ref()?;
        let renamed = outputs.len() == 1 && step_outputs.len() == 1 && step_outputs[0] == name;
        Some(renamed || outputs.iter().any(|port| port.name == name))
    }

    pub fn output_names(&self) -> Vec<&str> {
        self.outputs
            .iter()
            .flatten()
            .map(|port| port.name.as_str())
            .collect()
    }

    pub fn input_names(&self) -> Vec<&str> {
        self.inputs
            .iter()
            .flatten()
            .map(|port| port.name.as_str())
            .collect()
    }
}

impl Skill {
    /// The names of its declared inputs (none when undeclared).
    pub fn input_names(&self) -> impl Iterator<Item = &str> {
        self.inputs.iter().flatten().map(|port| port.name.as_str())
    }

    /// The names of its declared outputs (none when undeclared).
    pub fn output_names(&self) -> impl Iterator<Item = &str> {
        self.outputs.iter().flatten().map(|port| port.name.as_str())
    }

    /// Its declared outputs' names, owned.
    pub fn output_list(&self) -> Vec<String> {
        self.output_names().map(str::to_string).collect()
    }

    /// The declared inputs and outputs. `"inputs": [], "outputs": []`
    /// together is what qwf wrote for every skill before interfaces could
    /// be declared, so it reads as undeclared, like absent keys.
    pub fn declared(&self) -> (Option<&Vec<Port>>, Option<&Vec<Port>>) {
        match (&self.inputs, &self.outputs) {
            (Some(inputs), Some(outputs)) if inputs.is_empty() && outputs.is_empty() => {
                (None, None)
            }
            (inputs, outputs) => (inputs.as_ref(), outputs.as_ref()),
        }
    }

    /// What steps using it are checked against, and what they run.
    pub fn interface(&self) -> Interface {
        let executes = if self.skill_type.is_code() {
            self.command.trim().to_string()
        } else {
            let prompt = self.command.trim();
            let first = prompt.lines().next().unwrap_or_default();
            let shown: String = first.chars().take(120).collect();
            let cut = if shown.len() < prompt.len() {
                "…"
            } else {
                ""
            };
            format!("a model, prompted \"{shown}{cut}\"")
        };
        let (inputs, outputs) = self.declared();
        Interface {
            inputs: inputs.cloned(),
            outputs: outputs.cloned(),
            executes: (!executes.is_empty()).then_some(executes),
        }
    }
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
    for (field, ports) in [("inputs", &skill.inputs), ("outputs", &skill.outputs)] {
        let mut seen = std::collections::HashSet::new();
        for (index, port) in ports.iter().flatten().enumerate() {
            let name = &port.name;
            let pointer = format!("/{field}/{index}");
            if let Some(value_type) = &port.value_type
                && !PORT_TYPES.contains(&value_type.as_str())
            {
                push(
                    Severity::Error,
                    format!("{pointer}/type"),
                    format!("'{value_type}' is not a type ({field} '{name}')"),
                    match did_you_mean(value_type, PORT_TYPES.into_iter()) {
                        Some(close) => format!(
                            "did you mean '{close}'? The types are {}",
                            PORT_TYPES.join(", ")
                        ),
                        None => format!("the types are {}", PORT_TYPES.join(", ")),
                    },
                );
            }
            if port.optional && field == "outputs" {
                push(
                    Severity::Warning,
                    format!("{pointer}/optional"),
                    format!("output '{name}' is marked optional, which only inputs can be"),
                    "remove \"optional\": a step that declares this output expects it every time"
                        .into(),
                );
            }
            for key in port.extra.keys() {
                push(
                    Severity::Warning,
                    format!("{pointer}/{key}"),
                    format!("unknown field '{key}' in {field} '{name}'"),
                    match did_you_mean(key, PORT_FIELDS.into_iter()) {
                        Some(close) => {
                            format!("did you mean '{close}'? The field is kept as it is")
                        }
                        None => format!(
                            "the fields qwf reads are {}; this one is kept as it is",
                            PORT_FIELDS.join(", ")
                        ),
                    },
                );
            }
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
    match skill.declared() {
        (None, None) => push(
            Severity::Warning,
            "/inputs".into(),
            format!(
                "skill '{}' declares neither inputs nor outputs, so qwf cannot check the steps that use it",
                skill.name
            ),
            "add \"inputs\" and \"outputs\" (a list of names; [] for none); `qwf schema skill` shows the format".into(),
        ),
        (None, Some(_)) => push(
            Severity::Warning,
            "/inputs".into(),
            format!(
                "skill '{}' does not declare its inputs, so qwf cannot check what steps give it",
                skill.name
            ),
            "add \"inputs\": a list of names ([] if it takes none)".into(),
        ),
        (Some(_), None) => push(
            Severity::Warning,
            "/outputs".into(),
            format!(
                "skill '{}' does not declare its outputs, so qwf cannot check what steps read from it",
                skill.name
            ),
            "add \"outputs\": a list of names ([] if it produces nothing)".into(),
        ),
        (Some(_), Some(_)) => {}
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
            "a skill file is {\"name\", \"type\", \"description\", \"command\", \"inputs\": [...], \"outputs\": [...]}; each input or output is a name or {\"name\", \"optional\", \"description\", \"type\"} (`qwf schema skill`)".into()
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
            r#"{"name": "summarizer", "type": "prompt_inline", "description": "Summarize",
                "inputs": ["text"], "outputs": ["summary"]}"#,
        ));
        assert_eq!(pointers(&problems), [(Severity::Warning, "/command")]);
        assert!(!has_errors(&problems));
    }

    #[test]
    fn inputs_and_outputs_are_names_or_objects_and_keep_their_shape() {
        let text = r#"{"name": "data-validator", "type": "code_inline", "description": "Validate",
            "command": "python3 validate.py",
            "inputs": ["data", {"name": "schema", "optional": true, "description": "a JSON Schema file"}],
            "outputs": ["validated", {"name": "valid", "type": "boolean"}]}"#;
        let parsed = skill(text);
        assert_eq!(parsed.input_names().collect::<Vec<_>>(), ["data", "schema"]);
        let inputs = parsed.inputs.as_ref().expect("declared");
        assert!(!inputs[0].optional && inputs[1].optional);
        assert_eq!(inputs[1].description.as_deref(), Some("a JSON Schema file"));
        let outputs = parsed.outputs.as_ref().expect("declared");
        assert!(outputs[1].is_boolean() && !outputs[0].is_boolean());
        assert_eq!(check_skill(&parsed), []);
        // Written back as read: plain names stay plain.
        let written = serde_json::to_value(&parsed).expect("serialises");
        assert_eq!(
            written["inputs"],
            serde_json::json!(["data", {"name": "schema", "optional": true, "description": "a JSON Schema file"}])
        );
        assert_eq!(
            written["outputs"],
            serde_json::json!(["validated", {"name": "valid", "type": "boolean"}])
        );
    }

    #[test]
    fn absent_is_undeclared_and_empty_declares_none() {
        let undeclared =
            skill(r#"{"name": "x", "type": "code_inline", "command": "true", "description": "d"}"#);
        assert_eq!(
            (undeclared.inputs.clone(), undeclared.outputs.clone()),
            (None, None)
        );
        assert_eq!(
            pointers(&check_skill(&undeclared)),
            [(Severity::Warning, "/inputs")]
        );
        let written = serde_json::to_value(&undeclared).expect("serialises");
        assert!(written.get("inputs").is_none() && written.get("outputs").is_none());
        let empty = skill(
            r#"{"name": "x", "type": "code_inline", "command": "true", "description": "d", "inputs": [], "outputs": []}"#,
        );
        assert_eq!(
            (empty.inputs.clone(), empty.outputs.clone()),
            (Some(vec![]), Some(vec![]))
        );
        // Both empty is what qwf wrote before interfaces: undeclared.
        assert_eq!(
            empty.interface(),
            Interface {
                executes: Some("true".into()),
                ..Interface::unknown()
            }
        );
        assert_eq!(
            pointers(&check_skill(&empty)),
            [(Severity::Warning, "/inputs")]
        );
        let takes_nothing = skill(
            r#"{"name": "x", "type": "code_inline", "command": "true", "description": "d", "inputs": [], "outputs": ["done"]}"#,
        );
        assert_eq!(takes_nothing.interface().inputs, Some(vec![]));
        assert_eq!(check_skill(&takes_nothing), []);
        let only_inputs = skill(
            r#"{"name": "x", "type": "code_inline", "command": "true", "description": "d", "inputs": []}"#,
        );
        assert_eq!(
            pointers(&check_skill(&only_inputs)),
            [(Severity::Warning, "/outputs")]
        );
    }

    #[test]
    fn bad_ports_are_reported() {
        let problems = check_skill(&skill(
            r#"{"name": "x", "type": "code_inline", "command": "true", "description": "d",
                "inputs": [{"name": "a", "type": "bool", "requird": true}],
                "outputs": [{"name": "b", "optional": true}]}"#,
        ));
        assert_eq!(
            pointers(&problems),
            [
                (Severity::Error, "/inputs/0/type"),
                (Severity::Warning, "/inputs/0/requird"),
                (Severity::Warning, "/outputs/0/optional"),
            ]
        );
        assert!(problems[0].hint.contains("boolean"), "{}", problems[0].hint);
        let error =
            parse_skill(r#"{"name": "x", "type": "code_inline", "inputs": [{"optional": true}]}"#)
                .expect_err("no name");
        assert!(error.message.contains("needs a \"name\""), "{error}");
        let error = parse_skill(r#"{"name": "x", "type": "code_inline", "inputs": [3]}"#)
            .expect_err("a number");
        assert!(
            error.message.contains("is not an input or output"),
            "{error}"
        );
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
