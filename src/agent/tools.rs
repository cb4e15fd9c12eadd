//! The tools a model may call, with typed arguments and JSON Schemas. The
//! argument names are part of the product contract (DESIGN.md §5).

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::ToolSpec;
use crate::core::schema::generator;
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
                    message: format!("the arguments are not JSON: {error}"),
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

fn spec<T: JsonSchema>(name: &'static str, description: &'static str) -> ToolSpec {
    let mut parameters = generator().into_root_schema_for::<T>().to_value();
    if let Some(object) = parameters.as_object_mut() {
        // Providers want a plain object schema.
        object.remove("$schema");
        object.remove("title");
    }
    ToolSpec {
        name,
        description,
        parameters,
    }
}

/// Every tool, as offered to the model.
pub fn specs() -> Vec<ToolSpec> {
    vec![
        spec::<QueryArgs>(
            "list_skills",
            "Search the user's skills: the best matches for the query words (in names, descriptions, inputs and outputs, synonyms included), best first, at most 20, with a note when more matched. An empty query lists them by name.",
        ),
        spec::<QueryArgs>(
            "list_resources",
            "List everything qwf found: skills, agents and MCP servers, filtered by the query words.",
        ),
        spec::<GetWorkflowArgs>(
            "get_workflow",
            "Get a workflow's JSON (the current version unless a version is given).",
        ),
        spec::<WorkflowArgs>(
            "validate_workflow",
            "Validate a workflow: every problem with its place and a hint.",
        ),
        spec::<AnalyzeImpactArgs>(
            "analyze_impact",
            "Preview modifications without applying them: the resulting diff, what breaks and who consumes it, and a verdict.",
        ),
        spec::<ShowDiffArgs>(
            "show_diff",
            "Show what changed between two versions of a workflow.",
        ),
        spec::<WorkflowArgs>(
            "history",
            "List a workflow's versions with their descriptions and origins.",
        ),
        spec::<ProposeModificationArgs>(
            "propose_modification",
            "Propose modifications to an existing workflow. The user sees the diff and impact and decides; the result tells you what they decided. Never rewrite the workflow: change only what the request needs.",
        ),
        spec::<CreateWorkflowArgs>(
            "create_workflow",
            "Propose a new workflow, reusing existing skills and listing the missing ones in new_skills. The user decides.",
        ),
        spec::<CreateSkillArgs>(
            "create_skill",
            "Propose a new skill file. The user decides.",
        ),
        spec::<RollbackArgs>(
            "rollback",
            "Propose bringing back an earlier version (as a new version). The user decides.",
        ),
        spec::<AskUserArgs>(
            "ask_user",
            "Ask the user one clarifying question instead of guessing.",
        ),
    ]
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
