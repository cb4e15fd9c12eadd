//! The tools `qwf mcp` offers: their JSON Schemas and annotations, and
//! running one call. The tools qwf's own model has (`get_workflow`,
//! `validate_workflow`, `propose_modification`, …) run through the agent
//! session with the same argument checks and the same results; the others
//! are thin: they call the same store and plan functions as the CLI.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::ServerSettings;
use super::plans::{self, Capture};
use super::text;
use crate::agent::gate::Gate;
use crate::agent::model::{Model, ModelError, ModelReply, ModelRequest, ToolCall};
use crate::agent::session::{Options, Session, ToolResult};
use crate::agent::tools::{
    AnalyzeImpactArgs, GetWorkflowArgs, ProposeModificationArgs, QueryArgs, RollbackArgs,
    VersionArg, WorkflowArgs,
};
use crate::core::schema::generator;
use crate::store::{Context, Store, StoreError};

/// A tool's answer: text the host's model reads, and the same facts as
/// JSON (`structuredContent`).
#[derive(Debug)]
pub(super) struct Answer {
    pub text: String,
    pub structured: Value,
}

/// A tool error (`isError`): what went wrong and what to do about it.
#[derive(Debug)]
pub(super) struct Failure {
    pub message: String,
    pub hint: String,
    /// More lines for the text (the impact of a refused plan, …).
    pub details: Vec<String>,
    /// More facts for the structured content (an object).
    pub extra: Option<Box<Value>>,
    /// A refusal the user may overrule: the question to ask them directly,
    /// where the host can ask (a breaking plan without `force`).
    pub confirm: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            hint: hint.into(),
            details: Vec::new(),
            extra: None,
            confirm: None,
        }
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        let hint = error.hint();
        Failure::new(error.to_string(), hint)
    }
}

impl From<ModelError> for Failure {
    fn from(error: ModelError) -> Self {
        let hint = error.hint();
        Failure::new(error.to_string(), hint)
    }
}

pub(super) type Reply = Result<Answer, Failure>;

/// A finished call: its result, and the question to ask the user when
/// they could overrule the refusal it holds.
pub(super) struct Called {
    pub result: CallToolResult,
    pub confirm: Option<String>,
}

/// `show_diff` for a host: both ends optional, as in `qwf diff`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ShowDiffArgs {
    pub workflow: String,
    /// The older version (3 or "v3"); the one before `to` when absent.
    #[serde(default)]
    pub from: Option<VersionArg>,
    /// The newer version; the current one when absent.
    #[serde(default)]
    pub to: Option<VersionArg>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NoArgs {}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EditWorkflowArgs {
    /// The workflow's name.
    pub workflow: String,
    /// The change, in plain words ("add retry logic to the fetch step").
    pub request: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateWorkflowArgs {
    /// What the workflow should do, in plain words.
    pub description: String,
    /// The new workflow's name (lowercase letters, digits, - and _); chosen
    /// from the description when absent.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ApplyPlanArgs {
    /// The plan_id a proposing tool returned.
    pub plan_id: String,
    /// Also apply a plan whose verdict is breaking. Only when the user has
    /// seen what breaks and agreed.
    #[serde(default)]
    pub force: bool,
}

/// How a tool may affect the user's qwf home.
#[derive(Clone, Copy)]
enum Effect {
    /// Reads only.
    Reads,
    /// Saves a plan; changes no workflow.
    Proposes,
    /// Saves a plan, asking qwf's configured model (which may be remote).
    ProposesWithModel,
    /// Changes workflows.
    Applies,
}

/// Spells the schema `true` (any value, as for a context value) out as
/// every JSON type where a property or an item is described: the same
/// meaning, in a form every MCP client's schema checker accepts (the MCP
/// Inspector's `--strict` refuses a bare `true`).
fn spell_out_any(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                if matches!(key.as_str(), "properties" | "$defs")
                    && let Value::Object(children) = value
                {
                    for child in children.values_mut() {
                        if *child == Value::Bool(true) {
                            *child = any_value();
                        }
                    }
                }
                if key == "items" && *value == Value::Bool(true) {
                    *value = any_value();
                }
                spell_out_any(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(spell_out_any),
        _ => {}
    }
}

fn any_value() -> Value {
    let types = ["string", "number", "boolean", "object", "array", "null"];
    json!({
        "anyOf": types.map(|kind| json!({ "type": kind })),
        "description": "any JSON value"
    })
}

fn schema<T: JsonSchema>() -> Arc<JsonObject> {
    let mut value = generator().into_root_schema_for::<T>().to_value();
    spell_out_any(&mut value);
    let mut object = value
        .as_object_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    object.remove("$schema");
    object.remove("title");
    Arc::new(object)
}

fn tool<T: JsonSchema>(
    name: &'static str,
    title: &str,
    description: &'static str,
    effect: Effect,
) -> Tool {
    let (read_only, destructive, idempotent, open_world) = match effect {
        Effect::Reads => (true, false, true, false),
        Effect::Proposes => (false, false, false, false),
        Effect::ProposesWithModel => (false, false, false, true),
        // A plan is applied once: calling again changes nothing more.
        Effect::Applies => (false, true, true, false),
    };
    let annotations = ToolAnnotations::from_raw(
        Some(title.to_string()),
        Some(read_only),
        Some(destructive),
        Some(idempotent),
        Some(open_world),
    );
    Tool::new(name, description, schema::<T>())
        .with_title(title)
        .with_annotations(annotations)
}

/// Every tool, as listed to the host.
pub(super) fn definitions() -> Vec<Tool> {
    vec![
        tool::<NoArgs>(
            "list_workflows",
            "List workflows",
            "List the user's workflows: name, current version, number of steps, description (files with problems are listed with the problem), and deleted workflows whose history is kept.",
            Effect::Reads,
        ),
        tool::<GetWorkflowArgs>(
            "get_workflow",
            "Get a workflow",
            "Get a workflow's JSON: the current version, or the version given.",
            Effect::Reads,
        ),
        tool::<WorkflowArgs>(
            "validate_workflow",
            "Validate a workflow",
            "Validate a workflow against the format and the user's skills: every problem with its JSON pointer, step and a hint.",
            Effect::Reads,
        ),
        tool::<WorkflowArgs>(
            "history",
            "Version history",
            "List a workflow's versions, oldest first, each with its description, time and origin (the request, the command, an MCP client, or an edit outside qwf).",
            Effect::Reads,
        ),
        tool::<ShowDiffArgs>(
            "show_diff",
            "Compare versions",
            "Show the semantic diff between two versions of a workflow (by default the previous version and the current one).",
            Effect::Reads,
        ),
        tool::<QueryArgs>(
            "list_skills",
            "Search skills",
            "Search the user's skills: the best matches for the query words (names, descriptions, inputs and outputs, synonyms included), best first, at most 20. An empty query lists them by name.",
            Effect::Reads,
        ),
        tool::<QueryArgs>(
            "list_resources",
            "List resources",
            "List what qwf found besides its skills, filtered by the query words: workflows, Amazon Q CLI and Kiro agents, MCP servers and their tools.",
            Effect::Reads,
        ),
        tool::<AnalyzeImpactArgs>(
            "analyze_impact",
            "Analyze impact",
            "Preview modifications of a workflow without saving anything: the semantic diff, what breaks and who consumes it, and a verdict (safe, needs_attention, breaking).",
            Effect::Reads,
        ),
        tool::<ProposeModificationArgs>(
            "propose_modification",
            "Propose a modification",
            "Propose modifications to a workflow. Applies nothing: returns the semantic diff, the impact with its verdict, and a plan_id. Show them to the user; call apply_plan only when the user agrees. Change only what the request needs, never rewrite the workflow.",
            Effect::Proposes,
        ),
        tool::<EditWorkflowArgs>(
            "edit_workflow",
            "Edit a workflow in plain words",
            "Turn a change request in plain words into modifications, with qwf's own planner (its configured model, or the built-in offline planner). Applies nothing: returns the diff, the impact with its verdict and a plan_id for apply_plan, or the question qwf needs answered.",
            Effect::ProposesWithModel,
        ),
        tool::<CreateWorkflowArgs>(
            "create_workflow",
            "Create a workflow from a description",
            "Propose a new workflow from a description, reusing the user's skills and proposing the missing ones, with qwf's own planner. Applies nothing: returns the workflow, its validation and a plan_id for apply_plan.",
            Effect::ProposesWithModel,
        ),
        tool::<RollbackArgs>(
            "rollback",
            "Propose a rollback",
            "Propose bringing back an earlier version as a new version (history is kept). Applies nothing: returns what it undoes, the diff, the impact and a plan_id for apply_plan.",
            Effect::Proposes,
        ),
        tool::<ApplyPlanArgs>(
            "apply_plan",
            "Apply a plan",
            "Apply a plan from propose_modification, edit_workflow, create_workflow or rollback as a new version, once the user has agreed. A breaking plan needs force: true. A plan made for an older version is re-applied on the current one only when it still fits. Plans expire 24 hours after they are made.",
            Effect::Applies,
        ),
    ]
}

/// The host's model made the call; qwf never asks a model of its own for
/// these tools (only `edit_workflow` and `create_workflow` do, with the
/// configured one).
struct HostModel;

impl Model for HostModel {
    fn describe(&self) -> String {
        "the MCP host's model".into()
    }

    fn respond(&self, _request: &ModelRequest<'_>) -> Result<ModelReply, ModelError> {
        Err(ModelError::Call {
            message: "the MCP host's model is not called back".into(),
            hint: "this is a bug in qwf mcp".into(),
        })
    }
}

/// Runs one of the agent's tools as the host's model called it.
fn agent_call(
    store: &Store,
    context: Context<'_>,
    name: &str,
    arguments: Value,
    request: &str,
    gate: &mut dyn Gate,
) -> ToolResult {
    let model = HostModel;
    let mut session = Session::new(&model, store, context, Options::default());
    let call = ToolCall {
        id: "mcp-1".into(),
        name: name.to_string(),
        arguments,
    };
    session.call_tool(&call, request, gate).0
}

/// The agent's answer, or its error with the error's hint.
fn agent_content(result: ToolResult) -> Result<Value, Failure> {
    if !result.is_error {
        return Ok(result.content);
    }
    let field = |key: &str| {
        result.content[key]
            .as_str()
            .map(str::to_string)
            .unwrap_or_default()
    };
    let mut hint = field("hint");
    if hint.is_empty() {
        // The agent's own argument errors say it in the message.
        hint = "check the arguments against the tool's input schema (tools/list)".into();
    }
    Err(Failure::new(field("error"), hint))
}

fn parse<T: DeserializeOwned>(tool: &str, arguments: &Value) -> Result<T, Failure> {
    T::deserialize(arguments).map_err(|error| {
        Failure::new(
            format!("invalid arguments for {tool}: {error}"),
            "check them against the tool's input schema and call it again",
        )
    })
}

/// One call, from the host's client `client` (its name from the
/// initialize handshake). Blocking: runs on a blocking thread.
pub(super) fn call(
    settings: &ServerSettings,
    client: &str,
    name: &str,
    arguments: Option<JsonObject>,
) -> Called {
    let arguments = Value::Object(arguments.unwrap_or_default());
    let reply = run(settings, client, name, arguments);
    let confirm = reply
        .as_ref()
        .err()
        .and_then(|failure| failure.confirm.clone());
    Called {
        result: to_result(reply),
        confirm,
    }
}

fn run(settings: &ServerSettings, client: &str, name: &str, arguments: Value) -> Reply {
    let store = settings.store();
    let now = settings.clock.now();
    let context = settings.context(now);
    let mut nothing_to_capture = Capture::default();
    let mut read = |tool: &str, arguments: Value| {
        agent_content(agent_call(
            &store,
            settings.context(now),
            tool,
            arguments,
            "",
            &mut nothing_to_capture,
        ))
    };
    match name {
        "list_workflows" => {
            parse::<NoArgs>(name, &arguments)?;
            let workflows = store.list()?;
            let deleted = store.deleted()?;
            let structured = json!({ "workflows": workflows, "deleted": deleted });
            Ok(Answer {
                text: text::workflows(&structured),
                structured,
            })
        }
        "get_workflow" => {
            let content = read(name, arguments)?;
            Ok(Answer {
                text: text::workflow(&content),
                structured: content,
            })
        }
        "validate_workflow" => {
            let args: WorkflowArgs = parse(name, &arguments)?;
            about(&args.workflow, read(name, arguments)?, text::validation)
        }
        "history" => {
            let args: WorkflowArgs = parse(name, &arguments)?;
            about(&args.workflow, read(name, arguments)?, text::history)
        }
        "show_diff" => {
            let args: ShowDiffArgs = parse(name, &arguments)?;
            // The defaults of `qwf diff`: previous → current.
            let current = store.head(&args.workflow, &context)?.record.version;
            let to = args.to.map_or(current, |to| to.0);
            let from = args.from.map_or(to.saturating_sub(1).max(1), |from| from.0);
            let content = read(
                name,
                json!({ "workflow": args.workflow, "from": from, "to": to }),
            )?;
            about(&args.workflow, content, text::diff)
        }
        "list_skills" => {
            let content = read(name, arguments)?;
            Ok(Answer {
                text: text::skills(&content),
                structured: match content {
                    // structuredContent is an object.
                    Value::Array(skills) => json!({ "skills": skills }),
                    other => other,
                },
            })
        }
        "list_resources" => {
            let content = read(name, arguments)?;
            Ok(Answer {
                text: text::resources(&content),
                structured: content,
            })
        }
        "analyze_impact" => {
            let args: AnalyzeImpactArgs = parse(name, &arguments)?;
            about(&args.workflow, read(name, arguments)?, text::impact)
        }
        "propose_modification" => {
            let args: ProposeModificationArgs = parse(name, &arguments)?;
            let mut capture = Capture::default();
            let result = agent_call(
                &store,
                context,
                name,
                arguments,
                &args.summary,
                &mut capture,
            );
            agent_content(result)?;
            plans::save(&store, now, client, None, Vec::new(), capture)
        }
        "rollback" => {
            parse::<RollbackArgs>(name, &arguments)?;
            let mut capture = Capture::default();
            let result = agent_call(&store, context, name, arguments, "", &mut capture);
            let content = agent_content(result)?;
            if capture.is_empty() {
                // Nothing to do: the version asked for equals the current one.
                return Ok(Answer {
                    text: text::nothing_to_do(&content),
                    structured: content,
                });
            }
            plans::save(&store, now, client, None, Vec::new(), capture)
        }
        "edit_workflow" => {
            let args: EditWorkflowArgs = parse(name, &arguments)?;
            plans::edit(settings, &store, context, now, client, &args)
        }
        "create_workflow" => {
            let args: CreateWorkflowArgs = parse(name, &arguments)?;
            plans::create(settings, &store, context, now, client, &args)
        }
        "apply_plan" => {
            let args: ApplyPlanArgs = parse(name, &arguments)?;
            plans::apply(&store, &context, now, client, &args)
        }
        other => Err(Failure::new(
            format!("there is no tool '{other}'"),
            "tools/list lists the tools",
        )),
    }
}

/// The answer of a tool about `workflow`: what qwf's own tool said, with
/// the workflow's name, and in words.
fn about(workflow: &str, mut content: Value, words: fn(&Value) -> String) -> Reply {
    content["workflow"] = json!(workflow);
    Ok(Answer {
        text: words(&content),
        structured: content,
    })
}

fn to_result(reply: Reply) -> CallToolResult {
    match reply {
        Ok(answer) => {
            let mut result = CallToolResult::success(vec![ContentBlock::text(answer.text)]);
            result.structured_content = Some(answer.structured);
            result
        }
        Err(failure) => {
            let mut text = format!("Error: {}", failure.message);
            for line in &failure.details {
                text.push('\n');
                text.push_str(line);
            }
            if !failure.hint.is_empty() {
                text.push_str(&format!("\nHint: {}", failure.hint));
            }
            let mut structured = json!({ "error": failure.message, "hint": failure.hint });
            if let Some(Value::Object(extra)) = failure.extra.map(|extra| *extra) {
                for (key, value) in extra {
                    structured[key] = value;
                }
            }
            let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
            result.structured_content = Some(structured);
            result
        }
    }
}
