//! The tools a model may call, with typed arguments and JSON Schemas. The
//! argument names are part of the product contract (DESIGN.md §5).

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::ToolSpec;
use crate::core::skill::Skill;
use crate::core::{Modification, Workflow};

/// A version number, written 3 or "v3".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(with = "VersionShape")]
pub struct VersionArg(pub u64);

#[allow(dead_code)] // describes the accepted JSON only
#[derive(JsonSchema)]
#[serde(untagged)]
enum VersionShape {
    Number(u64),
    /// e.g. "v3"
    Text(String),
}

impl<'de> Deserialize<'de> for VersionArg {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let parsed = match &value {
            Value::Number(number) => number.as_u64(),
            Value::String(text) => text.trim_start_matches(['v', 'V']).parse().ok(),
            _ => None,
        };
        match parsed {
            Some(version) if version > 0 => Ok(VersionArg(version)),
            _ => Err(serde::de::Error::custom(format!(
                "{value} is not a version; use a number such as 3 or \"v3\""
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryArgs {
    /// Words to filter by; empty lists everything.
    #[serde(default)]
    pub query: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowArgs {
    /// The workflow's name.
    pub workflow: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetWorkflowArgs {
    pub workflow: String,
    /// A version number; the current version when absent.
    #[serde(default)]
    pub version: Option<VersionArg>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeImpactArgs {
    pub workflow: String,
    pub modifications: Vec<Modification>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowDiffArgs {
    pub workflow: String,
    pub from: VersionArg,
    pub to: VersionArg,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeModificationArgs {
    pub workflow: String,
    /// The smallest list of modifications that does what the user asked.
    pub modifications: Vec<Modification>,
    /// One line saying what the change does, in the user's terms.
    pub summary: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkflowArgs {
    /// The complete new workflow.
    pub workflow: Workflow,
    /// Skills the workflow uses that do not exist yet.
    #[serde(default)]
    pub new_skills: Vec<Skill>,
    /// Why the workflow is shaped this way, for the user.
    #[serde(default)]
    pub reasoning: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSkillArgs {
    pub skill: Skill,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackArgs {
    pub workflow: String,
    /// The version to bring back.
    pub to: VersionArg,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskUserArgs {
    /// One clear question; the user's answer comes back as their next message.
    pub question: String,
}

/// A checked tool call.
#[derive(Debug, Clone)]
pub enum Tool {
    ListSkills(QueryArgs),
    ListResources(QueryArgs),
    GetWorkflow(GetWorkflowArgs),
    ValidateWorkflow(WorkflowArgs),
    AnalyzeImpact(AnalyzeImpactArgs),
    ShowDiff(ShowDiffArgs),
    History(WorkflowArgs),
    ProposeModification(ProposeModificationArgs),
    CreateWorkflow(Box<CreateWorkflowArgs>),
    CreateSkill(CreateSkillArgs),
    Rollback(RollbackArgs),
    AskUser(AskUserArgs),
}

/// Why a call could not be turned into a [`Tool`]; sent back to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    UnknownTool(String),
    InvalidArguments { tool: String, message: String },
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::UnknownTool(name) => {
                let names: Vec<&str> = specs().iter().map(|spec| spec.name).collect();
                write!(
                    f,
                    "there is no tool '{name}'; the tools are: {}",
                    names.join(", ")
                )
            }
            CallError::InvalidArguments { tool, message } => {
                write!(
                    f,
                    "invalid arguments for {tool}: {message}; check them against the tool's schema and call it again"
                )
            }
        }
    }
}

fn parse<T: DeserializeOwned>(tool: &str, arguments: &Value) -> Result<T, CallError> {
    // Some models send the arguments as a JSON string.
    let decoded;
    let arguments = match arguments {
        Value::String(text) => {
            decoded = serde_json::from_str::<Value>(text).map_err(|error| {
                CallError::InvalidArguments {
                    tool: tool.to_string(),
                    message: format!(
                        "the arguments are not JSON ({error}); you wrote: {}",
                        excerpt(text)
                    ),
                }
            })?;
            &decoded
        }
        Value::Null => {
            decoded = Value::Object(Default::default());
            &decoded
        }
        other => other,
    };
    T::deserialize(arguments).map_err(|error| CallError::InvalidArguments {
        tool: tool.to_string(),
        message: error.to_string(),
    })
}

/// `text` cut to a length that fits a tool result.
fn excerpt(text: &str) -> String {
    const LIMIT: usize = 400;
    if text.chars().count() <= LIMIT {
        return text.to_string();
    }
    let cut: String = text.chars().take(LIMIT).collect();
    format!("{cut}... ({} characters in all)", text.chars().count())
}

/// A call whose arguments had small slips, corrected: the arguments that
/// parse, and what was changed, to tell the model in the tool result.
#[derive(Debug, Clone, PartialEq)]
pub struct Repair {
    pub arguments: Value,
    pub notes: Vec<String>,
}

/// Corrects the slips open models make in arguments that do not parse as
/// they are: one value where a list is expected, a number or a boolean
/// written as text, an enum value in the wrong case, an object sent as a
/// JSON string. Guided by the tool's schema. `None` when the arguments
/// parse as they are, or when corrections do not make them parse (the
/// model then gets the original error to fix).
pub fn repair(name: &str, arguments: &Value) -> Option<Repair> {
    match Tool::parse(name, arguments) {
        Ok(_) | Err(CallError::UnknownTool(_)) => return None,
        Err(CallError::InvalidArguments { .. }) => {}
    }
    let value = match arguments {
        Value::String(text) => serde_json::from_str(text).ok()?,
        other => other.clone(),
    };
    let schema = parameters(name);
    let definitions = definitions();
    let mut notes = Vec::new();
    let fixed = coerce(value, &schema, &definitions, "", &mut notes);
    if notes.is_empty() || Tool::parse(name, &fixed).is_err() {
        return None;
    }
    Some(Repair {
        arguments: fixed,
        notes,
    })
}

/// `value` shaped after `schema` where the difference is a known slip.
fn coerce(
    value: Value,
    schema: &Value,
    definitions: &Value,
    path: &str,
    notes: &mut Vec<String>,
) -> Value {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &definitions[name]
        }
        None => schema,
    };
    let place = if path.is_empty() {
        "the arguments".to_string()
    } else {
        format!("`{path}`")
    };
    let expected = schema.get("type").and_then(Value::as_str);
    match (expected, value) {
        (Some("array"), Value::String(text)) if text.trim_start().starts_with('[') => {
            match serde_json::from_str::<Value>(&text) {
                Ok(list @ Value::Array(_)) => {
                    notes.push(format!(
                        "{place} was a list written as a JSON string; read as the list"
                    ));
                    coerce(list, schema, definitions, path, notes)
                }
                _ => Value::String(text),
            }
        }
        (Some("array"), value) if !value.is_array() && !value.is_null() => {
            notes.push(format!(
                "{place} was one value where a list is expected; read as a list of one"
            ));
            let item = coerce(
                value,
                &schema["items"],
                definitions,
                &format!("{path}[0]"),
                notes,
            );
            Value::Array(vec![item])
        }
        (Some("array"), Value::Array(items)) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    coerce(
                        item,
                        &schema["items"],
                        definitions,
                        &format!("{path}[{index}]"),
                        notes,
                    )
                })
                .collect(),
        ),
        (Some("integer"), Value::String(text)) => match text.trim().parse::<i64>() {
            Ok(number) => {
                notes.push(format!(
                    "{place} was the text {text:?}; read as the number {number}"
                ));
                Value::from(number)
            }
            Err(_) => Value::String(text),
        },
        (Some("integer"), Value::Number(number))
            if number.as_i64().is_none() && number.as_f64().is_some_and(|x| x.fract() == 0.0) =>
        {
            let whole = number.as_f64().unwrap_or_default() as i64;
            notes.push(format!(
                "{place} was {number}; read as the whole number {whole}"
            ));
            Value::from(whole)
        }
        (Some("number"), Value::String(text)) => match text.trim().parse::<f64>() {
            Ok(number) => {
                notes.push(format!(
                    "{place} was the text {text:?}; read as the number {number}"
                ));
                Value::from(number)
            }
            Err(_) => Value::String(text),
        },
        (Some("boolean"), Value::String(text)) if matches!(text.trim(), "true" | "false") => {
            notes.push(format!("{place} was the text {text:?}; read as a boolean"));
            Value::Bool(text.trim() == "true")
        }
        (Some("object"), Value::String(text)) if text.trim_start().starts_with('{') => {
            match serde_json::from_str::<Value>(&text) {
                Ok(object @ Value::Object(_)) => {
                    notes.push(format!(
                        "{place} was an object written as a JSON string; read as the object"
                    ));
                    coerce(object, schema, definitions, path, notes)
                }
                _ => Value::String(text),
            }
        }
        (_, Value::Object(map)) if schema.get("properties").is_some() => {
            let properties = &schema["properties"];
            let kind = map.get("type").and_then(Value::as_str).map(str::to_string);
            Value::Object(
                map.into_iter()
                    .map(|(key, item)| {
                        let inner = if path.is_empty() {
                            key.clone()
                        } else {
                            format!("{path}.{key}")
                        };
                        // A step's changes are a partial step.
                        let item_schema =
                            if key == "changes" && kind.as_deref() == Some("modify_step") {
                                &definitions["step"]
                            } else {
                                &properties[&key]
                            };
                        let item = if item_schema.is_null() {
                            item
                        } else {
                            coerce(item, item_schema, definitions, &inner, notes)
                        };
                        (key, item)
                    })
                    .collect(),
            )
        }
        (_, Value::String(text)) if schema.get("enum").is_some() => {
            let wanted = text.trim().to_lowercase().replace([' ', '-'], "_");
            let known = schema["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find(|option| **option == wanted && *option != text);
            match known {
                Some(option) => {
                    notes.push(format!("{place} was {text:?}; read as {option:?}"));
                    Value::from(option)
                }
                None => Value::String(text),
            }
        }
        (_, value) => value,
    }
}

impl Tool {
    pub fn parse(name: &str, arguments: &Value) -> Result<Tool, CallError> {
        Ok(match name {
            "list_skills" => Tool::ListSkills(parse(name, arguments)?),
            "list_resources" => Tool::ListResources(parse(name, arguments)?),
            "get_workflow" => Tool::GetWorkflow(parse(name, arguments)?),
            "validate_workflow" => Tool::ValidateWorkflow(parse(name, arguments)?),
            "analyze_impact" => Tool::AnalyzeImpact(parse(name, arguments)?),
            "show_diff" => Tool::ShowDiff(parse(name, arguments)?),
            "history" => Tool::History(parse(name, arguments)?),
            "propose_modification" => Tool::ProposeModification(parse(name, arguments)?),
            "create_workflow" => Tool::CreateWorkflow(Box::new(parse(name, arguments)?)),
            "create_skill" => Tool::CreateSkill(parse(name, arguments)?),
            "rollback" => Tool::Rollback(parse(name, arguments)?),
            "ask_user" => Tool::AskUser(parse(name, arguments)?),
            other => return Err(CallError::UnknownTool(other.to_string())),
        })
    }

    /// Whether the call would change something (and so must pass the
    /// mode's checks and the gate). Every tool says so here, without a
    /// catch-all, so a new tool cannot be added without deciding.
    pub fn is_mutating(&self) -> bool {
        match self {
            Tool::ListSkills(_)
            | Tool::ListResources(_)
            | Tool::GetWorkflow(_)
            | Tool::ValidateWorkflow(_)
            | Tool::AnalyzeImpact(_)
            | Tool::ShowDiff(_)
            | Tool::History(_)
            | Tool::AskUser(_) => false,
            Tool::ProposeModification(_)
            | Tool::CreateWorkflow(_)
            | Tool::CreateSkill(_)
            | Tool::Rollback(_) => true,
        }
    }
}

/// Whether a call named `name` may change something, before its arguments
/// are checked: true unless it names a read-only tool (true if in doubt).
pub fn may_mutate(name: &str) -> bool {
    !matches!(
        name,
        "list_skills"
            | "list_resources"
            | "get_workflow"
            | "validate_workflow"
            | "analyze_impact"
            | "show_diff"
            | "history"
            | "ask_user"
    )
}

/// The tools a request is offered. Every tool costs prompt tokens on
/// every turn, so each mode gets only what it can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolSet {
    /// `qwf do` and `qwf chat`: everything.
    All,
    /// `qwf edit` and `qwf refine`: changing one workflow (the current
    /// version is in the prompt), so no creation of workflows, no listing
    /// beyond skills, no diffs between versions or validation reports.
    Edit,
    /// `qwf create`: finding skills and proposing the workflow.
    Create,
}

/// Every tool's name, in the order offered.
pub const TOOL_NAMES: [&str; 12] = [
    "list_skills",
    "list_resources",
    "get_workflow",
    "validate_workflow",
    "analyze_impact",
    "show_diff",
    "history",
    "propose_modification",
    "create_workflow",
    "create_skill",
    "rollback",
    "ask_user",
];

/// The tools that change something, and so stop at the gate.
pub const MUTATING_TOOLS: [&str; 4] = [
    "propose_modification",
    "create_workflow",
    "create_skill",
    "rollback",
];

impl ToolSet {
    pub fn offers(self, name: &str) -> bool {
        match self {
            ToolSet::All => TOOL_NAMES.contains(&name),
            ToolSet::Edit => {
                TOOL_NAMES.contains(&name)
                    && !matches!(
                        name,
                        "create_workflow" | "list_resources" | "show_diff" | "validate_workflow"
                    )
            }
            ToolSet::Create => matches!(
                name,
                "list_skills" | "list_resources" | "create_workflow" | "ask_user"
            ),
        }
    }
}

/// The shared definitions of the schemas: a step, its error handling, one
/// modification, a skill. Written by hand, compactly (one line of
/// description where a rule is not obvious), because every request carries
/// them: the schemas generated from the Rust types were 9 KB per tool.
/// `tests::the_compact_schemas_name_every_field_serde_accepts` keeps them in
/// step with the types.
fn definitions() -> Value {
    let strings = json!({"type": "array", "items": {"type": "string"}});
    let steps = json!({"type": "array", "items": {"$ref": "#/$defs/step"}});
    // A port is a name (a required input) or an object saying more.
    let ports = json!({"type": "array", "items": {"anyOf": [
        {"type": "string"},
        {"type": "object", "properties": {
            "name": {"type": "string"},
            "optional": {"type": "boolean"},
            "description": {"type": "string"},
            "type": {"enum": crate::core::skill::PORT_TYPES}
        }, "required": ["name"]}
    ]}});
    json!({
        "step": {
            "type": "object",
            "description": "type skill needs skill; agent needs agent; parallel needs steps; conditional needs condition, then (else optional)",
            "properties": {
                "id": {"type": "string"},
                "type": {"enum": ["skill", "agent", "parallel", "conditional"]},
                "skill": {"type": "string"},
                "agent": {"type": "string"},
                "description": {"type": "string"},
                "inputs": {"type": "object"},
                "outputs": strings,
                "timeout_secs": {"type": "integer"},
                "error_handling": {"$ref": "#/$defs/error_handling"},
                "steps": steps,
                "condition": {"type": "string"},
                "then": steps,
                "else": steps,
                "async": {"type": "boolean"},
                "guardrails": {"properties": {"allowed_tools": {}, "max_iterations": {}}}
            },
            "required": ["id", "type"]
        },
        "error_handling": {
            "type": "object",
            "properties": {
                "strategy": {"enum": ["retry", "continue", "fail", "fallback"]},
                "max_attempts": {"type": "integer", "description": "counts the first try"},
                "backoff": {"enum": ["fixed", "linear", "exponential"]},
                "initial_interval_ms": {"type": "integer"},
                "backoff_coefficient": {"type": "number"},
                "max_interval_ms": {"type": "integer"},
                "non_retryable": strings,
                "fallback": {"type": "string", "description": "step id"}
            },
            "required": ["strategy"]
        },
        "modification": {
            "type": "object",
            "description": "fields by type: add_step: step, after or before (a step id) or position (+ parent, branch); remove_step: id; modify_step: id, changes (merge patch of the step, null removes a field); add_error_handling: step_id, error_handling; make_parallel: step_ids, id; reorder_steps: order; rename_step: id, new_id; set_context: key, value; remove_context: key; set_description: description",
            "properties": {
                "type": {"enum": ["add_step", "remove_step", "modify_step", "add_error_handling", "make_parallel", "reorder_steps", "rename_step", "set_context", "remove_context", "set_description"]},
                "step": {"$ref": "#/$defs/step"},
                "after": {"type": "string"},
                "before": {"type": "string"},
                "position": {"description": "\"start\", \"end\" or an index"},
                "parent": {"type": "string"},
                "branch": {"enum": ["then", "else"]},
                "id": {"type": "string"},
                "changes": {"type": "object"},
                "step_id": {"type": "string"},
                "error_handling": {"$ref": "#/$defs/error_handling"},
                "step_ids": strings,
                "order": strings,
                "new_id": {"type": "string"},
                "key": {"type": "string"},
                "value": {},
                "description": {"type": "string"}
            },
            "required": ["type"]
        },
        "skill": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "type": {"enum": ["code_inline", "code_session", "conversation", "prompt_inline"]},
                "description": {"type": "string"},
                "command": {"type": "string", "description": "the command (code skills) or prompt (model skills)"},
                "inputs": ports,
                "outputs": ports
            },
            "required": ["name", "type", "command"]
        }
    })
}

/// An object schema with `properties`, the `required` ones, and the shared
/// definitions it refers to (only those).
fn object(properties: Value, required: &[&str], uses: &[&str]) -> Value {
    let mut schema = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    if !uses.is_empty() {
        let all = definitions();
        let mut defs = serde_json::Map::new();
        for name in uses {
            defs.insert((*name).to_string(), all[*name].clone());
        }
        schema["$defs"] = Value::Object(defs);
    }
    schema
}

fn text() -> Value {
    json!({"type": "string"})
}

fn version() -> Value {
    json!({"type": ["integer", "string"], "description": "e.g. 3 or \"v3\""})
}

/// The JSON Schema of `name`'s arguments.
fn parameters(name: &str) -> Value {
    let query = || {
        object(
            json!({"query": {"type": "string", "description": "words to search for; empty lists all"}}),
            &[],
            &[],
        )
    };
    let workflow = || object(json!({"workflow": text()}), &["workflow"], &[]);
    let modifications = json!({"type": "array", "items": {"$ref": "#/$defs/modification"}});
    match name {
        "list_skills" | "list_resources" => query(),
        "get_workflow" => object(
            json!({"workflow": text(), "version": version()}),
            &["workflow"],
            &[],
        ),
        "validate_workflow" | "history" => workflow(),
        // The same modifications as propose_modification; described in
        // one place only, to keep requests small.
        "analyze_impact" => object(
            json!({"workflow": text(), "modifications": {"type": "array", "items": {"type": "object"}, "description": "as for propose_modification"}}),
            &["workflow", "modifications"],
            &[],
        ),
        "show_diff" => object(
            json!({"workflow": text(), "from": version(), "to": version()}),
            &["workflow", "from", "to"],
            &[],
        ),
        "propose_modification" => object(
            json!({"workflow": text(), "modifications": modifications, "summary": {"type": "string", "description": "one line, in the user's words"}}),
            &["workflow", "modifications", "summary"],
            &["modification", "step", "error_handling"],
        ),
        "create_workflow" => object(
            json!({
                "workflow": {"type": "object", "properties": {
                    "name": text(),
                    "version": text(),
                    "description": text(),
                    "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}},
                    "context": {"type": "object", "properties": {"readonly": {"type": "object", "description": "KEY: value, read as context.KEY"}}}
                }, "required": ["name", "steps"]},
                "new_skills": {"type": "array", "items": {"$ref": "#/$defs/skill"}, "description": "skills the steps use that do not exist yet"},
                "reasoning": {"type": "string", "description": "why it is shaped this way, for the user"}
            }),
            &["workflow"],
            &["step", "error_handling", "skill"],
        ),
        "create_skill" => object(
            json!({"skill": {"$ref": "#/$defs/skill"}}),
            &["skill"],
            &["skill"],
        ),
        "rollback" => object(
            json!({"workflow": text(), "to": version()}),
            &["workflow", "to"],
            &[],
        ),
        "ask_user" => object(json!({"question": text()}), &["question"], &[]),
        _ => object(json!({}), &[], &[]),
    }
}

fn description(name: &str) -> &'static str {
    match name {
        "list_skills" => {
            "Search the user's skills by words (synonyms count); best 20 first. Empty query: all by name."
        }
        "list_resources" => "List skills, agents and MCP servers matching the query.",
        "get_workflow" => "A workflow's JSON (current version unless version is given).",
        "validate_workflow" => "Every problem of a workflow, with place and hint.",
        "analyze_impact" => "Preview modifications without applying: diff, what breaks, verdict.",
        "show_diff" => "What changed between two versions.",
        "history" => "A workflow's versions with descriptions.",
        "propose_modification" => {
            "Propose the smallest modifications that do what the user asked; never rewrite. The user sees the diff and impact and decides; the result says what they decided."
        }
        "create_workflow" => {
            "Propose a new workflow, reusing existing skills; missing ones go in new_skills. The user decides."
        }
        "create_skill" => "Propose a new skill file. The user decides.",
        "rollback" => {
            "Propose bringing back an earlier version (as a new version). The user decides."
        }
        "ask_user" => "Ask one clarifying question instead of guessing.",
        _ => "",
    }
}

/// The tools of `set`, as offered to the model.
pub fn specs_for(set: ToolSet) -> Vec<ToolSpec> {
    TOOL_NAMES
        .iter()
        .filter(|name| set.offers(name))
        .map(|name| ToolSpec {
            name,
            description: description(name),
            parameters: parameters(name),
        })
        .collect()
}

/// Every tool, as offered to the model.
pub fn specs() -> Vec<ToolSpec> {
    specs_for(ToolSet::All)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_tool_of_the_contract_is_offered_with_an_object_schema() {
        let names: Vec<&str> = specs().iter().map(|spec| spec.name).collect();
        assert_eq!(
            names,
            [
                "list_skills",
                "list_resources",
                "get_workflow",
                "validate_workflow",
                "analyze_impact",
                "show_diff",
                "history",
                "propose_modification",
                "create_workflow",
                "create_skill",
                "rollback",
                "ask_user"
            ]
        );
        for spec in specs() {
            assert_eq!(spec.parameters["type"], "object", "{}", spec.name);
            assert!(spec.parameters.get("$schema").is_none());
        }
        let propose = specs()
            .into_iter()
            .find(|spec| spec.name == "propose_modification")
            .expect("offered");
        assert_eq!(
            propose.parameters["required"],
            json!(["workflow", "modifications", "summary"])
        );
    }

    #[test]
    fn arguments_are_checked_and_errors_are_for_the_model() {
        let tool = Tool::parse("rollback", &json!({"workflow": "w", "to": "v2"})).expect("valid");
        assert!(matches!(
            tool,
            Tool::Rollback(RollbackArgs {
                to: VersionArg(2),
                ..
            })
        ));
        assert!(tool.is_mutating());
        let from_string = Tool::parse("history", &json!("{\"workflow\": \"w\"}"))
            .expect("stringified JSON accepted");
        assert!(!from_string.is_mutating());
        let error = Tool::parse("rollback", &json!({"workflow": "w"})).expect_err("missing to");
        assert_eq!(
            error.to_string(),
            "invalid arguments for rollback: missing field `to`; check them against the tool's schema and call it again"
        );
        let error = Tool::parse("delete_everything", &json!({})).expect_err("unknown");
        assert!(
            error
                .to_string()
                .starts_with("there is no tool 'delete_everything'; the tools are: list_skills")
        );
        let error = Tool::parse(
            "propose_modification",
            &json!({"workflow": "w", "summary": "s", "modifications": [{"type": "remove_step"}]}),
        )
        .expect_err("bad modification");
        assert!(error.to_string().contains("missing field `id`"), "{error}");
        assert!(Tool::parse("list_skills", &Value::Null).is_ok());
        let error = Tool::parse("history", &json!("{\"")).expect_err("not JSON");
        assert!(error.to_string().contains("you wrote: {\""), "{error}");
    }

    /// Every property name anywhere in `schema` (through `$defs`, `oneOf`,
    /// `allOf`, `items`).
    fn property_names(schema: &Value, names: &mut std::collections::BTreeSet<String>) {
        match schema {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    names.extend(properties.keys().cloned());
                }
                for value in map.values() {
                    property_names(value, names);
                }
            }
            Value::Array(items) => {
                for item in items {
                    property_names(item, names);
                }
            }
            _ => {}
        }
    }

    fn names_of(schema: &Value) -> std::collections::BTreeSet<String> {
        let mut names = std::collections::BTreeSet::new();
        property_names(schema, &mut names);
        names
    }

    #[test]
    fn the_compact_schemas_name_every_field_serde_accepts() {
        fn full<T: schemars::JsonSchema>() -> std::collections::BTreeSet<String> {
            names_of(
                &crate::core::schema::generator()
                    .into_root_schema_for::<T>()
                    .to_value(),
            )
        }
        for (name, full) in [
            ("propose_modification", full::<ProposeModificationArgs>()),
            ("create_workflow", full::<CreateWorkflowArgs>()),
            ("create_skill", full::<CreateSkillArgs>()),
            ("get_workflow", full::<GetWorkflowArgs>()),
            ("show_diff", full::<ShowDiffArgs>()),
            ("rollback", full::<RollbackArgs>()),
            ("ask_user", full::<AskUserArgs>()),
            ("list_skills", full::<QueryArgs>()),
        ] {
            let compact = names_of(&parameters(name));
            let missing: Vec<&String> = full.difference(&compact).collect();
            assert!(
                missing.is_empty(),
                "{name}: the compact schema lacks {missing:?}"
            );
        }
    }

    #[test]
    fn each_mode_is_offered_only_what_it_uses() {
        let names = |set| {
            specs_for(set)
                .iter()
                .map(|spec| spec.name)
                .collect::<Vec<_>>()
        };
        assert!(!names(ToolSet::Edit).contains(&"create_workflow"));
        assert!(names(ToolSet::Edit).contains(&"propose_modification"));
        assert_eq!(
            names(ToolSet::Create),
            [
                "list_skills",
                "list_resources",
                "create_workflow",
                "ask_user"
            ]
        );
        assert_eq!(names(ToolSet::All).len(), TOOL_NAMES.len());
        // The modification schema is written out once per request.
        let edit = serde_json::to_string(&specs_for(ToolSet::Edit)).unwrap();
        assert_eq!(edit.matches("\"add_error_handling\"").count(), 1, "{edit}");
    }

    #[test]
    fn slips_are_corrected_and_each_correction_is_named() {
        let repair = repair(
            "propose_modification",
            &json!({"workflow": "w", "summary": "s", "modifications": {"type": "add_error_handling", "step_id": "fetch",
                "error_handling": {"strategy": "Retry", "max_attempts": "3", "initial_interval_ms": 500.0}}}),
        )
        .expect("corrected");
        let notes = repair.notes.join("\n");
        assert!(
            notes.contains("`modifications` was one value where a list is expected"),
            "{notes}"
        );
        assert!(
            notes.contains("max_attempts` was the text \"3\"; read as the number 3"),
            "{notes}"
        );
        assert!(notes.contains("\"Retry\"; read as \"retry\""), "{notes}");
        assert!(notes.contains("initial_interval_ms` was 500.0"), "{notes}");
        let Tool::ProposeModification(args) =
            Tool::parse("propose_modification", &repair.arguments).unwrap()
        else {
            panic!("a proposal")
        };
        assert_eq!(args.modifications.len(), 1);
        // Arguments that parse need no repair; ones no slip explains get
        // the original error.
        assert_eq!(repair_none(json!({"workflow": "w"})), None);
        assert_eq!(
            super::repair(
                "propose_modification",
                &json!({"workflow": "w", "summary": "s", "modifications": [{"type": "explode"}]})
            ),
            None
        );
        let versions = super::repair("show_diff", &json!({"workflow": "w", "from": 1, "to": "2"}));
        assert_eq!(versions, None, "\"2\" is a valid version already");
        let stringified = super::repair(
            "propose_modification",
            &json!({"workflow": "w", "summary": "s", "modifications": "[{\"type\": \"remove_step\", \"id\": \"a\"}]"}),
        );
        assert!(stringified.expect("decoded").notes[0].contains("a list written as a JSON string"));
    }

    fn repair_none(arguments: Value) -> Option<Repair> {
        repair("history", &arguments)
    }

    #[test]
    fn a_name_is_read_only_only_when_it_names_a_read_only_tool() {
        for spec in specs() {
            let arguments = match spec.name {
                "propose_modification" => {
                    json!({"workflow": "w", "summary": "s", "modifications": []})
                }
                "create_workflow" => json!({"workflow": {"name": "w", "steps": []}}),
                "create_skill" => json!({"skill": {"name": "s", "type": "code_inline"}}),
                "rollback" | "show_diff" => json!({"workflow": "w", "to": 1, "from": 1}),
                "ask_user" => json!({"question": "q"}),
                "analyze_impact" => json!({"workflow": "w", "modifications": []}),
                "list_skills" | "list_resources" => json!({}),
                _ => json!({"workflow": "w"}),
            };
            let arguments = match spec.name {
                "rollback" => json!({"workflow": "w", "to": 1}),
                _ => arguments,
            };
            let tool = Tool::parse(spec.name, &arguments).expect(spec.name);
            assert_eq!(may_mutate(spec.name), tool.is_mutating(), "{}", spec.name);
        }
        assert!(may_mutate("delete_everything"));
        assert!(may_mutate(""));
    }
}
