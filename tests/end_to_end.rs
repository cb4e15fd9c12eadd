//! A whole conversation through the real binary and the real HTTP clients:
//! a mock server on 127.0.0.1 plays the model (OpenAI Chat Completions and
//! Anthropic Messages wire formats) while qwf creates a workflow, adds
//! retry, is declined a removal, and rolls back. Checks the store and what
//! the server was sent.

#[path = "support/chat_wire.rs"]
mod chat_wire;
#[path = "support/mock_http.rs"]
mod mock_http;
#[path = "support/pty.rs"]
mod pty;

use std::process::{Command, Stdio};

use chat_wire::{
    PIPELINE, chunk, home_with_pipeline, qwf, sse, streamed_text, text as chat_text,
    tool_call as chat_tool_call, tool_results,
};
use mock_http::{MockServer, Recorded};
use pty::Step::{Expect, ExpectAfter, Send};
use serde_json::{Value, json};

const KEY: &str = "sk-e2e-secret-0123456789";

fn anthropic_tool_call(id: &str, name: &str, input: Value) -> (u16, Value) {
    (
        200,
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "tool_use", "id": id, "name": name, "input": input}],
            "stop_reason": "tool_use", "stop_sequence": null, "usage": {"input_tokens": 100, "output_tokens": 20}
        }),
    )
}

fn anthropic_text(text: &str) -> (u16, Value) {
    (
        200,
        json!({
            "id": "msg_2", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 150, "output_tokens": 10}
        }),
    )
}

fn streamed_tool_call(id: &str, name: &str, arguments: Value) -> (u16, Value) {
    let arguments = arguments.to_string();
    let (first, rest) = arguments.split_at(arguments.len() / 2);
    sse(&[
        chunk(
            json!({"role": "assistant", "tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": first}}]}),
            None,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": rest}}]}),
            None,
        ),
        chunk(json!({}), Some("tool_calls")),
    ])
}

/// The environment of an interactive session whose model is the
/// OpenAI-compatible server at `base_url`.
fn interactive_model(base_url: &str) -> Vec<(&str, &str)> {
    vec![
        ("QWF_PROVIDER", "openai-compatible"),
        ("QWF_MODEL", "test-model"),
        ("QWF_BASE_URL", base_url),
        ("QWF_INTERACTIVE", "1"),
    ]
}

fn assert_no_key_in_bodies(requests: &[Recorded]) {
    for request in requests {
        assert!(
            !request.body.contains(KEY),
            "the API key leaked into a request body"
        );
    }
}

#[test]
fn create_edit_declined_removal_and_rollback_over_chat_completions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    let pipeline: Value = serde_json::from_str(PIPELINE).expect("fixture");
    let skills = json!([
        {"name": "http-fetch", "type": "code_inline", "command": "curl -sf", "description": "Fetch a URL"},
        {"name": "data-validator", "type": "code_inline", "command": "python3 validate.py", "description": "Validate JSON data against schema"},
        {"name": "db-writer", "type": "code_inline", "command": "python3 save.py", "description": "Write rows to a table"}
    ]);
    let retry = json!({"workflow": "data-pipeline", "summary": "Added retry logic to API call", "modifications": [
        {"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}}]});
    let removal = json!({"workflow": "data-pipeline", "summary": "Remove the validation step", "modifications": [{"type": "remove_step", "id": "validate"}]});
    let server = MockServer::script(vec![
        chat_tool_call(
            "call_1",
            "create_workflow",
            json!({"workflow": pipeline, "new_skills": skills, "reasoning": "fetch, validate, save"}),
        ),
        chat_text("Created data-pipeline with three new skills."),
        chat_tool_call("call_2", "propose_modification", retry),
        chat_text("Added retry to fetch."),
        chat_tool_call("call_3", "propose_modification", removal),
        chat_text("Kept the validation step."),
        chat_tool_call(
            "call_4",
            "rollback",
            json!({"workflow": "data-pipeline", "to": 1}),
        ),
        chat_text("Rolled back to v1."),
    ]);
    let base_url = format!("{}/v1", server.url);
    let env = [
        ("QWF_PROVIDER", "openai-compatible"),
        ("QWF_MODEL", "test-model"),
        ("QWF_BASE_URL", base_url.as_str()),
        ("QWF_API_KEY", KEY),
    ];

    let created = qwf(
        home,
        &env,
        &[
            "create",
            "fetch data from the API, validate it, and save it to the database",
            "--yes",
        ],
        "",
    );
    assert_eq!(created.code, 0, "{}{}", created.stdout, created.stderr);
    assert!(
        created.stdout.contains("Created data-pipeline"),
        "{}",
        created.stdout
    );

    let edited = qwf(
        home,
        &env,
        &[
            "edit",
            "data-pipeline",
            "add retry logic to the API call",
            "--yes",
        ],
        "",
    );
    assert_eq!(edited.code, 0, "{}{}", edited.stdout, edited.stderr);

    let mut interactive = env.to_vec();
    interactive.push(("QWF_INTERACTIVE", "1"));
    let declined = qwf(
        home,
        &interactive,
        &["edit", "data-pipeline", "remove the validation step"],
        "n\n",
    );
    assert_eq!(declined.code, 3, "{}{}", declined.stdout, declined.stderr);
    assert!(
        declined
            .stdout
            .contains("step 'save' input 'data' reads 'validate.validated'"),
        "{}",
        declined.stdout
    );
    assert!(
        declined
            .stderr
            .contains("This seems problematic. Are you sure?"),
        "{}",
        declined.stderr
    );

    let rolled = qwf(home, &env, &["do", "go back to v1", "--yes", "--json"], "");
    assert_eq!(rolled.code, 0, "{}{}", rolled.stdout, rolled.stderr);
    let document: Value = serde_json::from_str(&rolled.stdout).expect("one JSON document");
    assert_eq!(
        (document["applied"].clone(), document["version"].clone()),
        (json!(true), json!(3))
    );
    assert_eq!(document["final_message"], "Rolled back to v1.");

    // The store: v1 created, v2 retry, v3 back to v1; the removal never landed.
    let history = qwf(home, &env, &["--json", "history", "data-pipeline"], "");
    let versions =
        serde_json::from_str::<Value>(&history.stdout).expect("JSON")["versions"].clone();
    let described: Vec<&str> = versions
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["description"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        described,
        [
            "Initial creation",
            "Added retry logic to API call",
            "Rolled back to v1"
        ]
    );
    assert_eq!(
        versions[1]["origin"],
        json!({"kind": "request", "text": "add retry logic to the API call"})
    );
    assert_eq!(versions[1]["tool_calls"][0]["name"], "propose_modification");
    let skills_dir = home.join("home/skills");
    assert!(skills_dir.join("data-validator.json").exists());

    // What the model was sent.
    let requests = server.requests();
    assert_eq!(requests.len(), 8);
    assert_no_key_in_bodies(&requests);
    for (index, request) in requests.iter().enumerate() {
        assert_eq!(request.target, "/v1/chat/completions");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        let body = request.json();
        assert_eq!(body["model"], "test-model");
        let tools: Vec<&str> = body["tools"]
            .as_array()
            .expect("tools sent")
            .iter()
            .map(|tool| tool["function"]["name"].as_str().unwrap_or(""))
            .collect();
        // Each mode is offered only its tools: a creation has no
        // propose_modification, an edit no create_workflow.
        if index < 2 {
            assert_eq!(
                tools,
                [
                    "list_skills",
                    "list_resources",
                    "create_workflow",
                    "ask_user"
                ]
            );
            continue;
        }
        // Edits (then `qwf do`, which is offered everything).
        assert!(tools.contains(&"propose_modification"), "{tools:?}");
        assert_eq!(tools.contains(&"create_workflow"), index >= 6, "{tools:?}");
        let propose = body["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .find(|tool| tool["function"]["name"] == "propose_modification")
            .expect("offered");
        assert_eq!(
            propose["function"]["parameters"]["required"],
            json!(["workflow", "modifications", "summary"])
        );
    }
    let results = tool_results(&requests[5].json());
    assert_eq!(results[0].0, "call_3");
    assert!(results[0].1.contains("declined"), "{}", results[0].1);
    let results = tool_results(&requests[3].json());
    assert!(
        results[0].1.contains("\"status\":\"applied\""),
        "{}",
        results[0].1
    );
}

#[test]
fn an_edit_over_anthropic_messages() {
    let dir = home_with_pipeline();
    let home = dir.path();
    let server = MockServer::script(vec![
        anthropic_tool_call(
            "toolu_1",
            "propose_modification",
            json!({"workflow": "data-pipeline", "summary": "Fetch timeout 30s",
            "modifications": [{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}}]}),
        ),
        anthropic_text("Increased the fetch timeout to 30 seconds."),
    ]);
    let env = [
        ("QWF_PROVIDER", "anthropic"),
        ("QWF_MODEL", "claude-test"),
        ("QWF_BASE_URL", server.url.as_str()),
        ("ANTHROPIC_API_KEY", KEY),
    ];
    let run = qwf(
        home,
        &env,
        &[
            "edit",
            "data-pipeline",
            "increase the fetch timeout to 30 seconds",
            "--step",
            "fetch",
            "--yes",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("Increased the fetch timeout"),
        "{}",
        run.stdout
    );
    let shown = qwf(home, &env, &["show", "data-pipeline"], "");
    assert!(
        shown.stdout.contains("\"timeout_secs\": 30"),
        "{}",
        shown.stdout
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_no_key_in_bodies(&requests);
    assert_eq!(requests[0].header("x-api-key"), Some(KEY));
    let second = requests[1].json();
    let tool_result = second["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .flat_map(|message| message["content"].as_array().cloned().unwrap_or_default())
        .find(|block| block["type"] == "tool_result")
        .expect("tool result sent back");
    assert_eq!(tool_result["tool_use_id"], "toolu_1");
    assert!(
        second["system"]
            .to_string()
            .contains("DO NOT rewrite the entire workflow")
    );
}

#[test]
fn a_missing_key_names_the_variable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = qwf(
        dir.path(),
        &[("QWF_PROVIDER", "openai")],
        &["do", "hello"],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("OPENAI_API_KEY"), "{}", run.stderr);
}

#[test]
fn the_repl_runs_slash_commands_and_answers_at_the_gate() {
    let dir = home_with_pipeline();
    let home = dir.path();
    let retry = json!({"workflow": "data-pipeline", "summary": "Added retry logic to API call", "modifications": [
        {"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}}]});
    let server = MockServer::script(vec![
        streamed_tool_call("call_1", "propose_modification", retry),
        streamed_text(&["Added retry ", "to fetch", "."]),
    ]);
    let base_url = format!("{}/v1", server.url);
    let env = interactive_model(&base_url);
    let input = "/list\n/nonsense\n/history\nadd retry logic to the API call\nwhy\ny\n/show --version 2\n/exit\n";
    let run = qwf(home, &env, &["chat", "--workflow", "data-pipeline"], input);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("data-pipeline     v1"),
        "/list ran the list command:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("unknown command /nonsense"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Workflow: data-pipeline"),
        "/history defaulted to the workflow in focus:\n{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Safe: only tuning and additions. Every step still runs in its place"),
        "why explained the impact:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Updated 'data-pipeline' (v1 → v2)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"backoff\": \"exponential\""),
        "/show --version 2 printed the new version:\n{}",
        run.stdout
    );
    assert!(
        home.join("home/chat_history").exists(),
        "the REPL keeps a history file"
    );
}

#[test]
fn ctrl_c_cancels_the_model_call_and_applies_nothing() {
    let dir = home_with_pipeline();
    let home = dir.path();
    let server = MockServer::silent(std::time::Duration::from_secs(20));
    let base_url = format!("{}/v1", server.url);
    let started = std::time::Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_qwf"))
        .args(["do", "add retry logic to the API call", "--yes"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("QWF_HOME", home.join("home"))
        .env("QWF_PROVIDER", "openai-compatible")
        .env("QWF_MODEL", "test-model")
        .env("QWF_BASE_URL", &base_url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qwf starts");
    // Wait until the model call is in flight, then press Ctrl-C.
    while server.requests().is_empty() && started.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("qwf finishes");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the call was cancelled, not waited out"
    );
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("cancelled"));
    assert!(
        !home
            .join("home/workflows/.versions/data-pipeline.v2.json")
            .exists(),
        "nothing was applied"
    );
}

#[test]
fn iterative_mode_approves_independent_modifications_one_by_one() {
    let dir = home_with_pipeline();
    let home = dir.path();
    let change = json!({"workflow": "data-pipeline", "summary": "Harden the pipeline", "modifications": [
        {"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3}},
        {"type": "modify_step", "id": "save", "changes": {"timeout_secs": 60}}]});
    let server = MockServer::script(vec![
        chat_tool_call("call_1", "propose_modification", change),
        chat_text("Done."),
    ]);
    let base_url = format!("{}/v1", server.url);
    let env = interactive_model(&base_url);
    let run = qwf(
        home,
        &env,
        &["edit", "data-pipeline", "make the pipeline sturdier"],
        "iterative\ny\nn\n",
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("Step 1/2: set error handling of 'fetch' to retry (3 attempts)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Step 2/2: modify step 'save' (timeout_secs)"),
        "{}",
        run.stdout
    );
    let shown = qwf(home, &env, &["show", "data-pipeline"], "");
    assert!(
        shown.stdout.contains("\"max_attempts\": 3"),
        "the approved part landed:\n{}",
        shown.stdout
    );
    assert!(
        !shown.stdout.contains("\"timeout_secs\": 60"),
        "the declined part did not:\n{}",
        shown.stdout
    );
    // The history says what was applied, not the whole proposal.
    let record = last_record(home, "data-pipeline");
    assert_eq!(
        record["description"],
        "Harden the pipeline (approved 1 of 2 parts: set error handling of 'fetch' to retry (3 attempts))"
    );
    assert_eq!(
        record["modifications"].as_array().map(Vec::len),
        Some(1),
        "{record}"
    );
}

/// The last record of a workflow's version log.
fn last_record(home: &std::path::Path, name: &str) -> Value {
    let log =
        std::fs::read_to_string(home.join(format!("home/workflows/.versions/{name}.log.jsonl")))
            .expect("a log");
    serde_json::from_str(log.lines().last().expect("a record")).expect("a JSON record")
}

#[test]
fn a_proposal_edited_at_the_gate_is_recorded_as_edited() {
    let dir = home_with_pipeline();
    let home = dir.path();
    let change = json!({"workflow": "data-pipeline", "summary": "Retry fetch 3 times", "modifications": [
        {"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3}}]});
    let server = MockServer::script(vec![
        chat_tool_call("call_1", "propose_modification", change),
        chat_text("Done."),
    ]);
    let base_url = format!("{}/v1", server.url);
    let mut env = interactive_model(&base_url);
    // The user changes 3 attempts to 7 in the editor.
    env.push(("EDITOR", "sed -i s/3/7/"));
    let run = qwf(
        home,
        &env,
        &["edit", "data-pipeline", "retry the fetch"],
        "edit\ny\n",
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let record = last_record(home, "data-pipeline");
    assert_eq!(
        record["description"],
        "Set error handling of 'fetch' to retry (7 attempts) (edited at the gate; proposed: Retry fetch 3 times)"
    );
    assert_eq!(
        record["modifications"][0]["error_handling"]["max_attempts"], 7,
        "{record}"
    );
}

#[test]
fn a_proposal_saved_with_plan_out_is_applied_later() {
    let dir = home_with_pipeline();
    let home = dir.path();
    let plan = home.join("retry.plan.json");
    let plan_arg = plan.display().to_string();
    let saved = qwf(
        home,
        &[],
        &[
            "edit",
            "data-pipeline",
            "add retry logic to the API call",
            "--plan-out",
            &plan_arg,
        ],
        "",
    );
    assert_eq!(
        saved.code, 3,
        "nothing applied yet: {}{}",
        saved.stdout, saved.stderr
    );
    assert!(plan.exists());
    let plan_text = std::fs::read_to_string(&plan).expect("plan");
    assert!(
        plan_text.contains("\"request\": \"add retry logic to the API call\""),
        "{plan_text}"
    );
    let dry = qwf(
        home,
        &[],
        &[
            "do",
            "remove the validation step",
            "-w",
            "data-pipeline",
            "--yes",
            "--dry-run",
        ],
        "",
    );
    assert_eq!(dry.code, 3, "{}{}", dry.stdout, dry.stderr);
    let applied = qwf(home, &[], &["apply", &plan_arg, "--yes"], "");
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    let history = qwf(home, &[], &["history", "data-pipeline"], "");
    assert!(
        history
            .stdout
            .contains("request: \"add retry logic to the API call\""),
        "{}",
        history.stdout
    );
    assert!(
        !history.stdout.contains("v3"),
        "the dry run applied nothing:\n{}",
        history.stdout
    );
}

#[test]
fn refine_saves_every_accepted_change_as_one_version() {
    let dir = home_with_pipeline();
    let home = dir.path();
    let input = "4\nretry fetch 3 times\ny\n4\ncontinue on error for save\ny\ndone\ny\n";
    let run = qwf(
        home,
        &[("QWF_INTERACTIVE", "1")],
        &["refine", "data-pipeline"],
        input,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("All changes applied (v1 → v2)"),
        "{}",
        run.stdout
    );
    let history = qwf(home, &[], &["--json", "history", "data-pipeline"], "");
    let versions =
        serde_json::from_str::<Value>(&history.stdout).expect("JSON")["versions"].clone();
    assert_eq!(
        versions.as_array().map(Vec::len),
        Some(2),
        "one version for all changes"
    );
    let shown = qwf(home, &[], &["show", "data-pipeline"], "");
    assert!(
        shown.stdout.contains("\"strategy\": \"retry\"")
            && shown.stdout.contains("\"strategy\": \"continue\""),
        "{}",
        shown.stdout
    );
}

#[test]
fn ctrl_c_at_the_gate_in_chat_declines_and_returns_to_the_prompt() {
    let home = home_with_pipeline();
    let qwf_home = home.path().join("home").display().to_string();
    let session = pty::run(
        home.path(),
        &["chat", "--workflow", "data-pipeline"],
        &[
            ("QWF_HOME", &qwf_home),
            ("HOME", &qwf_home),
            ("NO_COLOR", "1"),
        ],
        &[
            Expect("data-pipeline> "),
            Send("add retry to the fetch step\r"),
            Expect("[y/n/why/edit/details/json]"),
            // Ctrl-C at the gate's question.
            Send("\x03"),
            Expect("Nothing changed."),
            ExpectAfter("data-pipeline> ", "Nothing changed."),
            Send("/exit\r"),
        ],
    );
    let text = session.text();
    assert!(text.contains("Cancelled. Workflow unchanged."), "{text}");
    // Back at the chat prompt after the decline, and a clean exit from it.
    let after = &text[text
        .find("Cancelled. Workflow unchanged.")
        .expect("declined")..];
    assert!(after.contains("data-pipeline> "), "{text}");
    session.expect_exit(0);
    let log = std::fs::read_to_string(
        home.path()
            .join("home/workflows/.versions/data-pipeline.log.jsonl"),
    )
    .unwrap_or_default();
    assert!(log.lines().count() <= 1, "nothing was applied: {log}");
}
