//! `qwf mcp` driven by the `rmcp` client: the real binary, a temporary
//! `QWF_HOME`, a pinned clock. Tools and their annotations, the two-phase
//! change (propose → apply_plan), the refusals (breaking, stale, expired,
//! hostile names, bad arguments), qwf's own planner behind edit_workflow
//! and create_workflow, resources, and a stdout that carries nothing but
//! the protocol.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientInfo, ElicitRequestParams,
    ElicitResult, ElicitationAction, Implementation, ReadResourceRequestParams, ResourceContents,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};

#[path = "support/mock_http.rs"]
mod mock_http;
use mock_http::MockServer;

const T0: &str = "2026-11-27T10:00:00Z";

/// The test client; hosts tell their name in the handshake, and versions
/// record it. With answers, it can be asked questions (elicitation): it
/// records each question and gives the next answer.
#[derive(Default)]
struct TestClient {
    answers: Option<Mutex<VecDeque<ElicitResult>>>,
    questions: Mutex<Vec<String>>,
}

impl ClientHandler for TestClient {
    fn get_info(&self) -> ClientInfo {
        let capabilities = if self.answers.is_some() {
            ClientCapabilities::builder().enable_elicitation().build()
        } else {
            ClientCapabilities::default()
        };
        ClientInfo::new(capabilities, Implementation::new("qwf-tests", "1.0"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.questions.lock().expect("lock").push(message);
        }
        Ok(self
            .answers
            .as_ref()
            .and_then(|answers| answers.lock().expect("lock").pop_front())
            .expect("an answer for every question"))
    }
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let env = Env {
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        let pipeline = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data-pipeline.json"),
        )
        .expect("the fixture");
        let workflows = env.home().join("workflows");
        std::fs::create_dir_all(&workflows).expect("workflows dir");
        std::fs::write(workflows.join("data-pipeline.json"), pipeline).expect("written");
        env
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn log_lines(&self, name: &str) -> Vec<Value> {
        let path = self
            .home()
            .join(format!("workflows/.versions/{name}.log.jsonl"));
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a log line"))
            .collect()
    }

    fn current(&self, name: &str) -> Value {
        let path = self.home().join(format!("workflows/{name}.json"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("current file")).expect("JSON")
    }

    /// `qwf mcp` at `now` with more environment, stdin piped, stderr
    /// dropped.
    fn mcp(&self, now: &str, extra: &[(&str, &str)]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_qwf"));
        command
            .arg("mcp")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("QWF_HOME", self.home())
            .env("QWF_TIMESTAMP", now)
            .envs(extra.iter().copied())
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stderr(Stdio::null());
        command
    }

    fn command(&self, now: &str, extra: &[(&str, &str)]) -> tokio::process::Command {
        let mut command = self.mcp(now, extra);
        command.stdout(Stdio::piped());
        let mut command = tokio::process::Command::from(command);
        command.kill_on_drop(true);
        command
    }

    /// `qwf mcp` at [`T0`] with more environment, for raw JSON-RPC on its
    /// stdin (stdout is the caller's to set).
    fn raw(&self, extra: &[(&str, &str)]) -> std::process::Command {
        self.mcp(T0, extra)
    }

    async fn start(&self, now: &str) -> Server {
        self.start_with(now, &[]).await
    }

    /// The server with more environment (a provider's settings).
    async fn start_with(&self, now: &str, extra: &[(&str, &str)]) -> Server {
        self.connect(now, extra, TestClient::default()).await
    }

    async fn connect(&self, now: &str, extra: &[(&str, &str)], client: TestClient) -> Server {
        let mut child = self.command(now, extra).spawn().expect("qwf mcp starts");
        let stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take().expect("stdin");
        let client = client
            .serve((stdout, stdin))
            .await
            .expect("the handshake succeeds");
        Server {
            client,
            _child: child,
        }
    }
}

struct Server {
    client: RunningService<RoleClient, TestClient>,
    _child: tokio::process::Child,
}

impl Server {
    async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        let Value::Object(arguments) = arguments else {
            panic!("arguments are an object")
        };
        self.client
            .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
            .await
            .unwrap_or_else(|error| panic!("{tool}: protocol error {error}"))
    }

    /// A call that must succeed; its structured content.
    async fn ok(&self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments).await;
        assert_eq!(
            result.is_error,
            Some(false),
            "{tool} failed: {}",
            text(&result)
        );
        assert!(!text(&result).is_empty(), "{tool}: no text");
        result.structured_content.expect("structured content")
    }

    /// A call that must be a tool error with a message and a hint; its
    /// text and structured content.
    async fn error(&self, tool: &str, arguments: Value) -> (String, Value) {
        let result = self.call(tool, arguments).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} should fail: {}",
            text(&result)
        );
        let structured = result.structured_content.clone().expect("structured");
        assert!(
            !structured["error"].as_str().unwrap_or_default().is_empty()
                && !structured["hint"].as_str().unwrap_or_default().is_empty(),
            "{tool}: an error needs a message and a hint: {structured}"
        );
        (text(&result), structured)
    }

    /// `propose_modification`, which must succeed: the plan.
    async fn propose(&self, arguments: Value) -> Value {
        self.ok("propose_modification", arguments).await
    }

    /// `apply_plan` of what a proposing tool returned, which must be
    /// refused: the text and structured content.
    async fn apply_refused(&self, plan: &Value) -> (String, Value) {
        self.error("apply_plan", json!({ "plan_id": plan["plan_id"] }))
            .await
    }

    /// `apply_plan` of what a proposing tool returned; it must succeed.
    async fn apply(&self, plan: &Value) -> Value {
        self.ok("apply_plan", json!({ "plan_id": plan["plan_id"] }))
            .await
    }

    /// `apply_plan` with force of what a proposing tool returned; it must
    /// succeed.
    async fn apply_forced(&self, plan: &Value) -> Value {
        self.ok(
            "apply_plan",
            json!({ "plan_id": plan["plan_id"], "force": true }),
        )
        .await
    }

    /// The questions the host was asked so far.
    fn questions(&self) -> Vec<String> {
        self.client
            .service()
            .questions
            .lock()
            .expect("lock")
            .clone()
    }

    async fn stop(self) {
        let _ = self.client.cancel().await;
    }
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `propose_modification`'s arguments for data-pipeline.
fn proposal(summary: &str, modifications: Value) -> Value {
    json!({ "workflow": "data-pipeline", "summary": summary, "modifications": modifications })
}

fn retry_fetch() -> Value {
    proposal(
        "Retry fetch",
        json!([{
            "type": "add_error_handling",
            "step_id": "fetch",
            "error_handling": { "strategy": "retry", "max_attempts": 3, "backoff": "exponential" }
        }]),
    )
}

/// A safe change: the workflow's description.
fn describe(description: &str) -> Value {
    proposal(
        "Describe",
        json!([{ "type": "set_description", "description": description }]),
    )
}

/// A breaking change: `validate` reads fetch's output.
fn remove_fetch() -> Value {
    proposal(
        "Remove fetch",
        json!([{ "type": "remove_step", "id": "fetch" }]),
    )
}

#[tokio::test]
async fn every_tool_is_listed_with_its_schema_and_annotations() {
    let env = Env::new();
    let server = env.start(T0).await;
    let info = server.client.peer_info().expect("server info");
    assert_eq!(info.server_info.name, "qwf");
    assert!(
        info.instructions
            .as_deref()
            .is_some_and(|text| text.contains("apply_plan"))
    );
    let tools = server.client.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "list_workflows",
            "get_workflow",
            "validate_workflow",
            "history",
            "show_diff",
            "list_skills",
            "list_resources",
            "analyze_impact",
            "propose_modification",
            "edit_workflow",
            "create_workflow",
            "rollback",
            "apply_plan"
        ]
    );
    for tool in &tools {
        let annotations = tool.annotations.as_ref().expect("annotations");
        let read_only = names[..8].contains(&tool.name.as_ref());
        assert_eq!(annotations.read_only_hint, Some(read_only), "{}", tool.name);
        let destructive = tool.name == "apply_plan";
        assert_eq!(
            annotations.destructive_hint,
            Some(destructive),
            "{}",
            tool.name
        );
        assert!(annotations.title.is_some() && tool.description.is_some());
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
    }
    let schema = |name: &str| {
        Value::Object(
            tools
                .iter()
                .find(|tool| tool.name == name)
                .expect("listed")
                .input_schema
                .as_ref()
                .clone(),
        )
    };
    assert_eq!(
        schema("propose_modification")["required"],
        json!(["workflow", "modifications", "summary"])
    );
    assert_eq!(
        schema("edit_workflow")["required"],
        json!(["workflow", "request"])
    );
    assert_eq!(
        schema("create_workflow")["required"],
        json!(["description"])
    );
    assert_eq!(schema("apply_plan")["required"], json!(["plan_id"]));
    assert_eq!(schema("get_workflow")["required"], json!(["workflow"]));
    server.stop().await;
}

#[tokio::test]
async fn a_proposal_applies_nothing_and_apply_plan_lands_exactly_one_version() {
    let env = Env::new();
    let server = env.start(T0).await;
    let listed = server.ok("list_workflows", json!({})).await;
    assert_eq!(listed["workflows"][0]["name"], "data-pipeline");
    let before = env.current("data-pipeline");

    let plan = server.propose(retry_fetch()).await;
    assert!(plan["plan_id"].is_string(), "a plan id: {plan}");
    assert_eq!(plan["verdict"], "safe");
    assert_eq!(plan["kind"], "modify");
    assert_eq!(plan["base_version"], 1);
    assert!(
        plan["changes"][0]
            .as_str()
            .is_some_and(|change| change.contains("fetch")),
        "{plan}"
    );
    assert_eq!(plan["expires"], "2026-11-28T10:00:00Z");
    assert_eq!(env.current("data-pipeline"), before, "nothing applied");
    assert_eq!(
        env.log_lines("data-pipeline").len(),
        1,
        "adopted as v1, no more"
    );

    let applied = server.apply(&plan).await;
    assert_eq!(applied["applied"], true);
    assert_eq!(applied["version"], 2);
    let log = env.log_lines("data-pipeline");
    assert_eq!(log.len(), 2, "exactly one new version");
    assert_eq!(
        log[1]["origin"],
        json!({ "kind": "mcp", "client": "qwf-tests", "text": "Retry fetch" })
    );
    assert_eq!(log[1]["description"], "Retry fetch");
    assert_eq!(
        env.current("data-pipeline")["steps"][0]["error_handling"]["max_attempts"],
        3
    );
    let history = server
        .ok("history", json!({ "workflow": "data-pipeline" }))
        .await;
    assert_eq!(
        history["versions"][1]["origin"],
        "mcp (qwf-tests): \"Retry fetch\""
    );

    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_qwf"))
        .args(["history", "data-pipeline"])
        .env("QWF_HOME", env.home())
        .env("QWF_TIMESTAMP", T0)
        .env("NO_COLOR", "1")
        .output()
        .expect("qwf history runs");
    let shown = String::from_utf8_lossy(&cli.stdout);
    assert!(
        shown.contains("mcp (qwf-tests): \"Retry fetch\""),
        "{shown}"
    );

    // Applying it again changes nothing.
    let (text, _) = server.apply_refused(&plan).await;
    assert!(
        text.contains("applied already as v2 of 'data-pipeline'"),
        "{text}"
    );
    assert_eq!(env.log_lines("data-pipeline").len(), 2);

    let diff = server
        .ok("show_diff", json!({ "workflow": "data-pipeline" }))
        .await;
    assert_eq!(
        (diff["from"].clone(), diff["to"].clone()),
        (json!(1), json!(2))
    );
    server.stop().await;
}

#[tokio::test]
async fn a_breaking_plan_is_refused_without_force() {
    let env = Env::new();
    let server = env.start(T0).await;
    let plan = server.propose(remove_fetch()).await;
    assert_eq!(plan["verdict"], "breaking");
    let before = env.current("data-pipeline");

    let (text, structured) = server.apply_refused(&plan).await;
    assert!(
        text.contains("breaks the workflow; nothing was applied"),
        "{text}"
    );
    assert!(
        text.contains("validate"),
        "says who loses its input: {text}"
    );
    assert_eq!(structured["applied"], false);
    assert_eq!(structured["verdict"], "breaking");
    assert!(
        structured["hint"]
            .as_str()
            .is_some_and(|hint| hint.contains("force"))
    );
    assert_eq!(env.current("data-pipeline"), before);
    assert_eq!(env.log_lines("data-pipeline").len(), 1);

    let applied = server.apply_forced(&plan).await;
    assert_eq!(applied["version"], 2);
    assert_eq!(env.current("data-pipeline")["steps"][0]["id"], "validate");
    server.stop().await;
}

#[tokio::test]
async fn a_rewrite_plan_is_refused_without_force() {
    let env = Env::new();
    let server = env.start(T0).await;
    let plan = server
        .propose(proposal(
            "Add retry to fetch",
            json!([
                { "type": "add_error_handling", "step_id": "fetch",
                  "error_handling": { "strategy": "retry", "max_attempts": 3 } },
                { "type": "remove_step", "id": "validate" },
                { "type": "remove_step", "id": "save" },
                { "type": "set_description", "description": "Fetch and post" }
            ]),
        ))
        .await;
    let before = env.current("data-pipeline");
    let (text, structured) = server.apply_refused(&plan).await;
    assert!(
        text.contains("rewrites the workflow rather than editing it"),
        "{text}"
    );
    assert!(
        structured["rewrite"]
            .as_str()
            .is_some_and(|rewrite| rewrite.contains("removes 2")),
        "{structured}"
    );
    assert_eq!(env.current("data-pipeline"), before);
    let applied = server.apply_forced(&plan).await;
    assert_eq!(applied["version"], 2);
    server.stop().await;
}

/// Where the host can ask its user (elicitation), a breaking plan without
/// force is put to the user; only a clear yes applies it.
#[tokio::test]
async fn the_user_can_be_asked_about_a_breaking_plan() {
    let env = Env::new();
    let accept =
        |content: Value| ElicitResult::new(ElicitationAction::Accept).with_content(content);
    let client = TestClient {
        answers: Some(Mutex::new(VecDeque::from([
            accept(json!({ "apply": "sure" })),
            ElicitResult::new(ElicitationAction::Decline),
            accept(json!({ "apply": false })),
            accept(json!({ "apply": true })),
        ]))),
        ..TestClient::default()
    };
    let server = env.connect(T0, &[], client).await;
    let plan = server.propose(remove_fetch()).await;
    let apply = json!({ "plan_id": plan["plan_id"] });
    for why in [
        "their answer was not a clear yes or no",
        "they declined",
        "they answered no",
    ] {
        let (text, structured) = server.error("apply_plan", apply.clone()).await;
        assert!(
            text.contains(&format!(
                "The user was asked directly: {why}; nothing was applied."
            )),
            "{text}"
        );
        assert_eq!(structured["asked_user"], "not approved");
        assert_eq!(env.log_lines("data-pipeline").len(), 1);
    }
    let applied = server.ok("apply_plan", apply).await;
    assert_eq!(applied["asked_user"], "approved");
    assert_eq!(applied["version"], 2);
    let questions = server.questions();
    assert_eq!(questions.len(), 4);
    assert!(
        questions[0].contains("breaks the workflow"),
        "{}",
        questions[0]
    );
    assert!(
        questions[0].contains("'validate'"),
        "says what breaks: {}",
        questions[0]
    );
    // A safe plan is not asked about.
    let plan = server.propose(describe("Validate and save")).await;
    server.apply(&plan).await;
    assert_eq!(server.questions().len(), 4);
    server.stop().await;
}

#[tokio::test]
async fn a_stale_plan_is_re_applied_only_when_it_still_fits() {
    let env = Env::new();
    let server = env.start(T0).await;
    let retry = server.propose(retry_fetch()).await;
    let rename = server
        .propose(proposal(
            "Longer save timeout",
            json!([{ "type": "modify_step", "id": "save", "changes": { "timeout_secs": 60 } }]),
        ))
        .await;
    let remove_save = server
        .propose(proposal(
            "Remove save",
            json!([{ "type": "remove_step", "id": "save" }]),
        ))
        .await;
    // All three were made for v1. Remove save first (v2).
    let applied = server.apply(&remove_save).await;
    assert_eq!(applied["version"], 2);
    // The retry still fits on v2: re-applied.
    let applied = server.apply(&retry).await;
    assert_eq!(applied["version"], 3);
    assert_eq!(applied["rebased_from"], 1);
    // The save timeout no longer does: refused, nothing written.
    let (text, _) = server.apply_refused(&rename).await;
    assert!(
        text.contains("does not apply to 'data-pipeline' v3"),
        "{text}"
    );
    assert!(text.contains("make the plan again"), "{text}");
    assert_eq!(env.log_lines("data-pipeline").len(), 3);

    // A rollback is applied only on the version it was shown for.
    let rollback = server
        .ok(
            "rollback",
            json!({ "workflow": "data-pipeline", "to": "v1" }),
        )
        .await;
    assert_eq!(rollback["kind"], "rollback");
    assert_eq!(rollback["undoes"].as_array().map(Vec::len), Some(2));
    let moved_on = server.propose(describe("Moved on")).await;
    server.apply(&moved_on).await;
    let (text, _) = server.apply_refused(&rollback).await;
    assert!(text.contains("changed since plan"), "{text}");
    assert_eq!(env.log_lines("data-pipeline").len(), 4);
    let fresh = server
        .ok("rollback", json!({ "workflow": "data-pipeline", "to": 1 }))
        .await;
    let applied = server.apply_forced(&fresh).await;
    assert_eq!(applied["version"], 5);
    assert_eq!(applied["restored"], 1);
    assert_eq!(
        env.current("data-pipeline")["steps"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    server.stop().await;
}

#[tokio::test]
async fn an_expired_plan_is_refused() {
    let env = Env::new();
    let server = env.start(T0).await;
    let plan = server.propose(retry_fetch()).await;
    server.stop().await;

    let later = env.start("2026-11-28T10:00:01Z").await;
    let (text, _) = later.apply_refused(&plan).await;
    assert!(
        text.contains("expired at 2026-11-28T10:00:00Z (plans can be applied for 24 hours)"),
        "{text}"
    );
    assert_eq!(env.log_lines("data-pipeline").len(), 1);
    let (text, _) = later
        .error("apply_plan", json!({ "plan_id": "p0123456789ab" }))
        .await;
    assert!(text.contains("there is no plan 'p0123456789ab'"), "{text}");
    later.stop().await;
}

#[tokio::test]
async fn hostile_names_and_bad_arguments_are_tool_errors_and_the_server_stays_up() {
    let env = Env::new();
    let server = env.start(T0).await;
    let hostile = ["../../etc/passwd", "a/b", "..", "", "CON", "x\u{0}y"];
    for name in hostile {
        for tool in ["get_workflow", "validate_workflow", "history", "show_diff"] {
            let (text, _) = server.error(tool, json!({ "workflow": name })).await;
            assert!(!text.contains("panic"), "{tool} {name:?}: {text}");
        }
        server
            .error(
                "propose_modification",
                json!({ "workflow": name, "summary": "x", "modifications": [{ "type": "set_description", "description": "x" }] }),
            )
            .await;
        server
            .error(
                "edit_workflow",
                json!({ "workflow": name, "request": "add retry logic" }),
            )
            .await;
        server
            .error("rollback", json!({ "workflow": name, "to": 1 }))
            .await;
        server
            .error(
                "create_workflow",
                json!({ "description": "fetch and save", "name": name }),
            )
            .await;
        server.error("apply_plan", json!({ "plan_id": name })).await;
    }
    // The store's hints, as in the CLI.
    let (_, structured) = server
        .error("get_workflow", json!({ "workflow": "data-pipelin" }))
        .await;
    assert_eq!(structured["error"], "there is no workflow 'data-pipelin'");
    assert!(
        structured["hint"]
            .as_str()
            .is_some_and(|hint| hint.contains("did you mean 'data-pipeline'")),
        "{structured}"
    );
    // Bad arguments.
    let (text, _) = server.error("get_workflow", json!({})).await;
    assert!(text.contains("missing field `workflow`"), "{text}");
    server
        .error(
            "get_workflow",
            json!({ "workflow": "data-pipeline", "version": "three" }),
        )
        .await;
    server
        .error("list_workflows", json!({ "surprise": true }))
        .await;
    server
        .error(
            "propose_modification",
            proposal("x", json!([{ "type": "remove_step" }])),
        )
        .await;
    let (text, _) = server
        .error(
            "propose_modification",
            proposal("x", json!([{ "type": "remove_step", "id": "nope" }])),
        )
        .await;
    assert!(text.contains("nope"), "{text}");
    server
        .error("apply_plan", json!({ "plan_id": 42, "force": "yes" }))
        .await;
    // An unknown tool is a protocol error, and the server carries on.
    let unknown = server
        .client
        .call_tool(CallToolRequestParams::new("delete_everything"))
        .await;
    assert!(unknown.is_err());
    let listed = server.ok("list_workflows", json!({})).await;
    assert_eq!(listed["workflows"].as_array().map(Vec::len), Some(1));
    // Nothing was written anywhere but the home.
    let mut outside: Vec<String> = std::fs::read_dir(env.dir.path())
        .expect("dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    outside.sort();
    assert_eq!(outside, ["home"]);
    assert_eq!(env.log_lines("data-pipeline").len(), 1);
    assert!(!env.home().join("plans").exists(), "no plan was made");
    server.stop().await;
}

#[tokio::test]
async fn edit_and_create_use_the_offline_planner_and_record_the_request() {
    let env = Env::new();
    let server = env.start(T0).await;
    let plan = server
        .ok(
            "edit_workflow",
            json!({ "workflow": "data-pipeline", "request": "add retry logic to the API call" }),
        )
        .await;
    assert_eq!(plan["kind"], "modify");
    assert_eq!(plan["modifications"][0]["type"], "add_error_handling");
    assert_eq!(plan["modifications"][0]["step_id"], "fetch");
    assert_eq!(env.log_lines("data-pipeline").len(), 1, "nothing applied");
    let applied = server.apply(&plan).await;
    assert_eq!(applied["version"], 2);
    let log = env.log_lines("data-pipeline");
    assert_eq!(
        log[1]["origin"],
        json!({ "kind": "mcp", "client": "qwf-tests", "text": "add retry logic to the API call" })
    );
    assert!(
        log[1]["tool_calls"].as_array().is_some_and(|calls| calls
            .iter()
            .any(|call| call["name"] == "propose_modification")),
        "{}",
        log[1]
    );

    // A new step that needs a new skill: first a plan for the skill, then,
    // asked again, the step.
    let request =
        json!({ "workflow": "data-pipeline", "request": "add a logging step after fetch" });
    let skill = server.ok("edit_workflow", request.clone()).await;
    assert_eq!(skill["kind"], "create_skill", "{skill}");
    let name = skill["skill"]["name"]
        .as_str()
        .expect("a skill name")
        .to_string();
    server.apply(&skill).await;
    assert!(env.home().join(format!("skills/{name}.json")).exists());
    assert_eq!(
        env.log_lines("data-pipeline").len(),
        2,
        "no version for a skill"
    );
    let step = server.ok("edit_workflow", request).await;
    assert_eq!(step["kind"], "modify", "{step}");
    assert_eq!(step["modifications"][0]["type"], "add_step");
    assert_eq!(step["modifications"][0]["step"]["skill"], name);

    // Words the planner cannot read: refused, saying so, nothing saved.
    let (text, _) = server
        .error(
            "edit_workflow",
            json!({ "workflow": "data-pipeline", "request": "make it more synergistic" }),
        )
        .await;
    assert!(text.contains("proposed no change"), "{text}");

    let created = server
        .ok(
            "create_workflow",
            json!({ "description": "fetch data from the API, validate it, and save it to the database", "name": "orders" }),
        )
        .await;
    assert_eq!(created["kind"], "create");
    assert_eq!(created["workflow"], "orders");
    assert!(!env.home().join("workflows/orders.json").exists());
    let applied = server.apply(&created).await;
    assert_eq!(applied["version"], 1);
    assert_eq!(env.current("orders")["name"], "orders");
    for skill in created["new_skills"].as_array().expect("new skills") {
        let name = skill["name"].as_str().expect("a name");
        assert!(
            env.home().join(format!("skills/{name}.json")).exists(),
            "{name}"
        );
    }
    let valid = server
        .ok("validate_workflow", json!({ "workflow": "orders" }))
        .await;
    assert_eq!(valid["valid"], true, "{valid}");
    server.stop().await;
}

/// A configured provider (OpenAI-compatible, on a mock server) behind
/// edit_workflow: its real client runs inside the server, and its proposal
/// becomes a plan.
#[tokio::test]
async fn edit_workflow_uses_the_configured_model() {
    let call = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "",
                "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": { "name": "propose_modification", "arguments": retry_fetch().to_string() }
                }]
            },
            "finish_reason": "tool_calls"
        }],
        "usage": { "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15 }
    });
    let done = json!({
        "id": "chatcmpl-2", "object": "chat.completion", "created": 1_700_000_001, "model": "test-model",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": "It is held for your review." },
            "finish_reason": "stop"
        }],
        "usage": { "prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25 }
    });
    let mock = MockServer::script(vec![(200, call), (200, done)]);
    let env = Env::new();
    let server = env
        .start_with(
            T0,
            &[
                ("QWF_PROVIDER", "openai-compatible"),
                ("QWF_BASE_URL", &mock.url),
                ("QWF_MODEL", "test-model"),
            ],
        )
        .await;
    let plan = server
        .ok(
            "edit_workflow",
            json!({ "workflow": "data-pipeline", "request": "retry the fetch three times" }),
        )
        .await;
    assert_eq!(plan["summary"], "Retry fetch");
    assert_eq!(plan["modifications"][0]["step_id"], "fetch");
    let requests = mock.requests();
    assert_eq!(
        requests.len(),
        2,
        "the proposal, then the model's closing words"
    );
    let first = requests[0].json();
    assert_eq!(first["model"], "test-model");
    assert!(first["messages"].as_array().is_some_and(|messages| {
        messages
            .iter()
            .any(|message| message["content"] == "retry the fetch three times")
    }));
    let held = requests[1].body.clone();
    assert!(
        held.contains("held as a plan"),
        "the model hears the plan is held: {held}"
    );
    assert_eq!(env.log_lines("data-pipeline").len(), 1, "nothing applied");
    server.stop().await;
}

#[tokio::test]
async fn each_workflow_is_a_resource() {
    let env = Env::new();
    let server = env.start(T0).await;
    let resources = server
        .client
        .list_all_resources()
        .await
        .expect("resources/list");
    let uris: Vec<&str> = resources
        .iter()
        .map(|resource| resource.uri.as_str())
        .collect();
    assert_eq!(uris, ["qwf://workflows/data-pipeline"]);
    assert_eq!(resources[0].mime_type.as_deref(), Some("application/json"));
    let templates = server
        .client
        .list_resource_templates(None)
        .await
        .expect("resources/templates/list");
    assert_eq!(
        templates.resource_templates[0].uri_template,
        "qwf://workflows/{name}"
    );
    let read = server
        .client
        .read_resource(ReadResourceRequestParams::new(
            "qwf://workflows/data-pipeline",
        ))
        .await
        .expect("resources/read");
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
        panic!("text contents")
    };
    let content: Value = serde_json::from_str(text).expect("JSON");
    assert_eq!(content, env.current("data-pipeline"));
    for uri in [
        "qwf://workflows/nope",
        "qwf://workflows/../../etc/passwd",
        "file:///etc/passwd",
    ] {
        let error = server
            .client
            .read_resource(ReadResourceRequestParams::new(uri))
            .await;
        assert!(error.is_err(), "{uri}");
    }
    server.stop().await;
}

/// The two messages that open an MCP session, as a host writes them.
fn handshake() -> [Value; 2] {
    [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    ]
}

/// Raw JSON-RPC on the pipes: every line on stdout is a protocol message,
/// even for bad input.
#[test]
fn stdout_carries_only_the_protocol() {
    let env = Env::new();
    let mut child = env
        .raw(&[])
        .arg("-vv")
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let [initialize, initialized] = handshake();
    let messages = [
        initialize,
        initialized,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_workflow", "arguments": {"workflow": "../x"}}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "edit_workflow", "arguments": {"workflow": "data-pipeline", "request": "add retry logic to the API call"}}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list"}),
    ];
    for message in &messages {
        writeln!(stdin, "{message}").expect("written");
    }
    writeln!(stdin, "this is not JSON").expect("written");
    stdin.flush().expect("flushed");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut answered = Vec::new();
    for line in stdout.lines() {
        let line = line.expect("a line");
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("not JSON-RPC on stdout ({error}): {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        if let Some(id) = message["id"].as_u64() {
            answered.push(id);
        }
        if answered.len() == 4 {
            break;
        }
    }
    answered.sort();
    assert_eq!(answered, [1, 2, 3, 4]);
    drop(stdin);
    let status = child.wait().expect("exits when stdin closes");
    assert!(status.success(), "{status}");
}

/// A host that goes away while qwf's model is still thinking: the server
/// stops within seconds instead of waiting for the model.
#[test]
fn the_server_stops_soon_after_the_host_leaves_mid_call() {
    let env = Env::new();
    let model = MockServer::silent(std::time::Duration::from_secs(120));
    let mut child = env
        .raw(&[
            ("QWF_PROVIDER", "openai-compatible"),
            ("QWF_BASE_URL", &model.url),
            ("QWF_MODEL", "slow-model"),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let [initialize, initialized] = handshake();
    for message in [
        initialize,
        initialized,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "edit_workflow", "arguments": {"workflow": "data-pipeline", "request": "add retry logic"}}}),
    ] {
        writeln!(stdin, "{message}").expect("written");
    }
    stdin.flush().expect("flushed");
    let asked = std::time::Instant::now();
    while model.requests().is_empty() {
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(30),
            "the model was never called"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(stdin);
    let left = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if left.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("qwf mcp still runs 30 s after the host left");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        left.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        left.elapsed()
    );
    assert_eq!(env.log_lines("data-pipeline").len(), 1, "nothing applied");
}
