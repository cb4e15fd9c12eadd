//! The MCP server itself: the handshake, tools and resources over stdio
//! with `rmcp`. Each tool call runs on a blocking thread (the store, the
//! agent and the providers are synchronous); a panic in one becomes that
//! call's error, never the end of the server.

use std::sync::Arc;

use rmcp::model::JsonObject;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResult, Resource, ResourceContents, ResourceTemplate,
    ServerCapabilities, ServerInfo, Tool,
};
use rmcp::service::{ElicitationError, ElicitationMode, Peer, RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

use super::{ServerSettings, tools};
use crate::core::names::check_name;
use crate::store::StoreError;

/// The address of a workflow as a resource.
const WORKFLOW_URI: &str = "qwf://workflows/";

const INSTRUCTIONS: &str = "qwf keeps the user's workflows as versioned JSON files. Read them with list_workflows, get_workflow, validate_workflow, history, show_diff, list_skills, list_resources and analyze_impact. Changes take two steps: propose_modification, edit_workflow (a request in plain words), create_workflow (a description) and rollback apply nothing; each returns the semantic diff, the impact with its verdict, and a plan_id. Show these to the user, and call apply_plan with the plan_id only once they agree; a breaking plan also needs force: true, which only the user should decide. Every applied plan is a new version that can be rolled back.";

#[derive(Clone)]
struct QwfServer {
    settings: Arc<ServerSettings>,
    tools: Arc<Vec<Tool>>,
}

/// The client's name from the initialize handshake.
fn client_name(peer: &Peer<RoleServer>) -> String {
    peer.peer_info()
        .map(|info| info.client_info.name.clone())
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "unnamed client".into())
}

fn resource_error(error: StoreError) -> McpError {
    let message = format!("{error} (hint: {})", error.hint());
    match error {
        StoreError::InvalidName(_) => McpError::invalid_params(message, None),
        StoreError::NoSuchWorkflow { .. } | StoreError::Deleted { .. } => {
            McpError::resource_not_found(message, None)
        }
        _ => McpError::internal_error(message, None),
    }
}

impl QwfServer {
    /// Runs one tool call on a blocking thread; a panic in it becomes the
    /// call's error.
    async fn run(&self, client: &str, name: &str, arguments: JsonObject) -> tools::Called {
        let settings = Arc::clone(&self.settings);
        let (client, name) = (client.to_string(), name.to_string());
        let call = tokio::task::spawn_blocking(move || {
            tools::call(&settings, &client, &name, Some(arguments))
        });
        match call.await {
            Ok(called) => called,
            Err(error) => {
                tracing::error!("a tool call failed: {error}");
                let mut result = CallToolResult::error(vec![ContentBlock::text(format!(
                    "Error: qwf failed inside this tool call ({error}); nothing was applied by it"
                ))]);
                result.structured_content = Some(json!({
                    "error": format!("qwf failed inside this tool call: {error}"),
                    "hint": "this is a bug in qwf; the server keeps running, try again",
                }));
                tools::Called {
                    result,
                    confirm: None,
                }
            }
        }
    }
}

/// The user's answer to a question qwf asks through the host.
#[derive(Debug, Deserialize, JsonSchema)]
struct Approval {
    /// Apply it anyway.
    apply: bool,
}

rmcp::elicit_safe!(Approval);

/// How long a question to the user may stay open.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Asks the user through the host (MCP elicitation). Only an accepted
/// answer with `apply: true` is a yes; anything else says why not.
async fn ask(peer: &Peer<RoleServer>, question: String) -> Result<(), String> {
    match peer
        .elicit_with_timeout::<Approval>(question, Some(ANSWER_TIMEOUT))
        .await
    {
        Ok(Some(Approval { apply: true })) => Ok(()),
        Ok(Some(Approval { apply: false })) => Err("they answered no".into()),
        Ok(None) | Err(ElicitationError::NoContent) => Err("they gave no answer".into()),
        Err(ElicitationError::UserDeclined) => Err("they declined".into()),
        Err(ElicitationError::UserCancelled) => Err("they dismissed the question".into()),
        Err(ElicitationError::ParseError { .. }) => {
            Err("their answer was not a clear yes or no".into())
        }
        Err(error) => Err(format!("the question did not reach them ({error})")),
    }
}

/// Adds what the user decided to a result's text and structured content.
fn note(result: &mut CallToolResult, asked: &str, text: &str) {
    result.content.insert(0, ContentBlock::text(text));
    if let Some(Value::Object(structured)) = &mut result.structured_content {
        structured.insert("asked_user".into(), json!(asked));
    }
}

impl ServerHandler for QwfServer {
    fn get_info(&self) -> ServerInfo {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .build();
        ServerInfo::new(capabilities)
            .with_server_info(
                Implementation::new("qwf", env!("CARGO_PKG_VERSION")).with_title("qwf workflows"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult {
            tools: self.tools.as_ref().clone(),
            ..ListToolsResult::default()
        })
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|tool| tool.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let name = request.name.to_string();
        if self.get_tool(&name).is_none() {
            return Err(McpError::invalid_params(
                format!("there is no tool '{name}'; tools/list lists them"),
                None,
            ));
        }
        let client = client_name(&context.peer);
        tracing::info!(tool = %name, client = %client, "tool call");
        let arguments = request.arguments.unwrap_or_default();
        let called = self.run(&client, &name, arguments.clone()).await;
        let Some(question) = called.confirm else {
            return Ok(called.result);
        };
        // A refusal the user may overrule (a breaking plan without force):
        // asked directly where the host can ask; only a clear yes applies.
        if !context
            .peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
        {
            return Ok(called.result);
        }
        match ask(&context.peer, question).await {
            Ok(()) => {
                let mut arguments = arguments;
                arguments.insert("force".into(), json!(true));
                let mut called = self.run(&client, &name, arguments).await;
                note(
                    &mut called.result,
                    "approved",
                    "The user was asked directly and chose to apply this breaking plan.",
                );
                Ok(called.result)
            }
            Err(why) => {
                let mut result = called.result;
                note(
                    &mut result,
                    "not approved",
                    &format!("The user was asked directly: {why}; nothing was applied."),
                );
                Ok(result)
            }
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let settings = Arc::clone(&self.settings);
        let listed = tokio::task::spawn_blocking(move || settings.store().list())
            .await
            .map_err(|error| McpError::internal_error(error.to_string(), None))?
            .map_err(resource_error)?;
        let resources = listed
            .into_iter()
            .map(|summary| {
                let mut resource =
                    Resource::new(format!("{WORKFLOW_URI}{}", summary.name), &summary.name)
                        .with_mime_type("application/json");
                let description = match (&summary.problem, &summary.description) {
                    (Some(problem), _) => Some(format!("cannot be read: {problem}")),
                    (None, Some(description)) => Some(description.clone()),
                    (None, None) => None,
                };
                if let Some(description) = description {
                    resource = resource.with_description(description);
                }
                resource
            })
            .collect();
        Ok(ListResourcesResult {
            resources,
            ..ListResourcesResult::default()
        })
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let template = ResourceTemplate::new(format!("{WORKFLOW_URI}{{name}}"), "workflow")
            .with_description("A workflow's current version, as JSON")
            .with_mime_type("application/json");
        Ok(ListResourceTemplatesResult {
            resource_templates: vec![template],
            ..ListResourceTemplatesResult::default()
        })
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResult, McpError> {
        let uri = request.uri.clone();
        let Some(name) = uri.strip_prefix(WORKFLOW_URI) else {
            return Err(McpError::resource_not_found(
                format!("'{uri}' is not a qwf resource (they are {WORKFLOW_URI}NAME)"),
                None,
            ));
        };
        let name = name.to_string();
        check_name(&name, "workflow").map_err(|error| resource_error(error.into()))?;
        let settings = Arc::clone(&self.settings);
        let head = tokio::task::spawn_blocking(move || {
            let now = settings.clock.now();
            settings.store().head(&name, &settings.context(now))
        })
        .await
        .map_err(|error| McpError::internal_error(error.to_string(), None))?
        .map_err(resource_error)?;
        let contents = ResourceContents::text(head.workflow.to_pretty_json(), uri)
            .with_mime_type("application/json");
        Ok(ReadResourceResult::new(vec![contents]))
    }
}

/// Serves the qwf home on stdin/stdout until the client closes the
/// connection.
pub fn serve(settings: ServerSettings) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the MCP server: {error}"))?;
    let server = QwfServer {
        settings: Arc::new(settings),
        tools: Arc::new(tools::definitions()),
    };
    let served = runtime.block_on(async move {
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|error| format!("the MCP handshake failed: {error}"))?;
        running
            .waiting()
            .await
            .map_err(|error| format!("the MCP server stopped: {error}"))?;
        Ok(())
    });
    // The host has gone: a call still running (a slow model) is not waited
    // for long. Every store write is atomic, so stopping mid-call loses
    // nothing.
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    served
}

/// How long a call still running when the host disconnects may finish.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);
