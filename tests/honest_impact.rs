//! Issue 11, "honest impact", through the real binary: a scripted model
//! (a mock OpenAI-compatible server on 127.0.0.1) proposes each change the
//! issue found passing as "safe", and the gate's verdict, what lands with
//! `--yes`, the exit code and the text users read are checked. The skills
//! declare their interfaces, as issue 11's skill format allows.

#[path = "support/mock_http.rs"]
mod mock_http;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use mock_http::MockServer;
use serde_json::{Value, json};

const PIPELINE: &str = include_str!("fixtures/data-pipeline.json");

/// The seed pipeline's skills with their interfaces, and the ones the
/// scenarios swap in.
const SKILLS: &[(&str, &str)] = &[
    (
        "http-fetch",
        r#"{"name": "http-fetch", "type": "code_inline", "description": "Fetch a URL",
            "command": "sh -c 'curl -fsSL \"$QWF_INPUT_URL\"'", "inputs": ["url"], "outputs": ["data"]}"#,
    ),
    (
        "data-validator",
        r#"{"name": "data-validator", "type": "code_inline", "description": "Validate JSON data against a schema",
            "command": "sh -c 'cat'", "inputs": ["data", {"name": "schema", "optional": true}], "outputs": ["validated"]}"#,
    ),
    (
        "db-writer",
        r#"{"name": "db-writer", "type": "code_inline", "description": "Write rows to a table",
            "command": "sh -c 'cat >/dev/null'", "inputs": ["data", "table"], "outputs": []}"#,
    ),
    (
        "s3-uploader",
        r#"{"name": "s3-uploader", "type": "code_inline", "description": "Upload data to S3",
            "command": "aws s3 cp - s3://uploads/data.json", "inputs": ["data", "bucket"], "outputs": ["location"]}"#,
    ),
    (
        "curl-fetch",
        r#"{"name": "curl-fetch", "type": "code_inline", "description": "Fetch a URL with curl, retrying",
            "command": "curl -fsSL --retry 3 --max-time 20", "inputs": ["url"], "outputs": ["data"]}"#,
    ),
    (
        "webhook-post",
        r#"{"name": "webhook-post", "type": "code_inline", "description": "POST data to a URL",
            "command": "curl -fsS -X POST --data-binary @- https://collector.example.net/ingest",
            "inputs": ["data"], "outputs": []}"#,
    ),
];

fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("home/workflows")).expect("workflows");
    std::fs::create_dir_all(dir.path().join("home/skills")).expect("skills");
    std::fs::write(
        dir.path().join("home/workflows/data-pipeline.json"),
        PIPELINE,
    )
    .expect("workflow");
    for (name, text) in SKILLS {
        std::fs::write(dir.path().join(format!("home/skills/{name}.json")), text).expect("skill");
    }
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// What a user reads, both streams.
    fn text(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn qwf(home: &Path, server: Option<&MockServer>, args: &[&str], stdin: &str) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qwf"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("QWF_HOME", home.join("home"))
        .env("QWF_TIMESTAMP", "2026-11-27T10:00:00Z")
        .env("NO_COLOR", "1")
        .current_dir(home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(server) = server {
        command
            .env("QWF_PROVIDER", "openai-compatible")
            .env("QWF_MODEL", "test-model")
            .env("QWF_BASE_URL", format!("{}/v1", server.url));
    }
    if !stdin.is_empty() {
        command.env("QWF_INTERACTIVE", "1");
    }
    let mut child = command.spawn().expect("qwf starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let output = child.wait_with_output().expect("qwf finishes");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn tool_call(name: &str, arguments: Value) -> (u16, Value) {
    (
        200,
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": "test-model",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments.to_string()}}]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
        }),
    )
}

fn text(content: &str) -> (u16, Value) {
    (
        200,
        json!({
            "id": "chatcmpl-2", "object": "chat.completion", "created": 1_700_000_000, "model": "test-model",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        }),
    )
}

/// A model that proposes `modifications` once, then says it is done.
fn proposing(summary: &str, modifications: Value) -> MockServer {
    MockServer::script(vec![
        tool_call(
            "propose_modification",
            json!({"workflow": "data-pipeline", "summary": summary, "modifications": modifications}),
        ),
        text("Done."),
    ])
}

/// `qwf edit data-pipeline REQUEST` with the scripted model and `flags`.
fn edit(home: &Path, server: &MockServer, request: &str, flags: &[&str]) -> Run {
    let mut args = vec!["edit", "data-pipeline", request];
    args.extend_from_slice(flags);
    qwf(home, Some(server), &args, "")
}

/// The `--json` result's verdict and whether it was applied, with the exit
/// code.
fn outcome(run: &Run) -> (String, bool, i32) {
    let document = run.json();
    (
        document["verdict"].as_str().unwrap_or_default().to_string(),
        document["applied"].as_bool().unwrap_or_default(),
        run.code,
    )
}

fn scenario_one() -> Value {
    // What the planner used to propose for "skip the save when validation
    // fails": an output data-validator never produces.
    json!([
        {"type": "modify_step", "id": "validate", "changes": {"outputs": ["validated", "success"]}},
        {"type": "remove_step", "id": "save"},
        {"type": "add_step", "after": "validate", "step": {"id": "if-succeeded", "type": "conditional",
            "condition": "validate.success == true", "then": [
                {"id": "save", "type": "skill", "skill": "db-writer",
                 "inputs": {"data": "validate.validated", "table": "context.table"}}]}}
    ])
}

fn scenario_two() -> Value {
    json!([{"type": "modify_step", "id": "fetch", "changes": {"skill": "s3-uploader"}}])
}

fn scenario_three() -> Value {
    json!([{"type": "add_error_handling", "step_id": "validate",
            "error_handling": {"strategy": "fallback", "fallback": "save"}}])
}

fn scenario_four() -> Value {
    json!([
        {"type": "add_error_handling", "step_id": "fetch",
         "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}},
        {"type": "remove_step", "id": "validate"},
        {"type": "remove_step", "id": "save"},
        {"type": "add_step", "after": "fetch", "step": {"id": "publish", "type": "skill",
            "skill": "webhook-post", "inputs": {"data": "fetch.data"}}},
        {"type": "set_description", "description": "Fetch API data and publish it"}
    ])
}

fn retry() -> Value {
    json!([{"type": "add_error_handling", "step_id": "fetch",
            "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}}])
}

#[test]
fn an_output_the_skill_never_produces_does_not_land_with_yes() {
    let dir = home();
    let server = proposing("Skip the save when validation fails", scenario_one());
    let run = edit(
        dir.path(),
        &server,
        "skip the save when validation fails",
        &["--yes", "--json"],
    );
    assert_eq!(
        outcome(&run),
        ("breaking".into(), false, 3),
        "{}",
        run.text()
    );
    let reason = run.json()["declined"][0]["reason"].to_string();
    assert!(reason.contains("breaking"), "{reason}");
}

#[test]
fn a_skill_swapped_for_one_with_other_inputs_does_not_land_and_its_command_is_shown() {
    let dir = home();
    let server = proposing("Upload instead of fetching", scenario_two());
    let run = edit(
        dir.path(),
        &server,
        "upload the data to s3",
        &["--yes", "--json"],
    );
    assert_eq!(
        outcome(&run),
        ("breaking".into(), false, 3),
        "{}",
        run.text()
    );
    let server = proposing("Upload instead of fetching", scenario_two());
    let shown = edit(dir.path(), &server, "upload the data to s3", &["--yes"]);
    assert!(
        shown
            .stdout
            .contains("fetch runs skill 's3-uploader' instead of 'http-fetch': aws s3 cp - s3://uploads/data.json"),
        "{}",
        shown.text()
    );
}

#[test]
fn validate_and_preflight_report_what_the_gate_reports() {
    let dir = home();
    let server = proposing("Upload instead of fetching", scenario_two());
    let forced = edit(
        dir.path(),
        &server,
        "upload the data to s3",
        &["--yes", "--force", "--json"],
    );
    assert_eq!(
        outcome(&forced),
        ("breaking".into(), true, 0),
        "{}",
        forced.text()
    );
    let validated = qwf(dir.path(), None, &["validate", "data-pipeline"], "");
    assert_eq!(validated.code, 1, "{}", validated.text());
    assert!(
        validated
            .stdout
            .contains("step 'fetch' does not give skill 's3-uploader' its required input 'bucket'"),
        "{}",
        validated.stdout
    );
    let preflight = qwf(dir.path(), None, &["run", "data-pipeline", "--dry-run"], "");
    assert_eq!(preflight.code, 1, "{}", preflight.text());
    assert!(
        preflight
            .stderr
            .contains("step 'fetch' does not give skill 's3-uploader' its required input 'bucket'"),
        "{}",
        preflight.stderr
    );
}

#[test]
fn a_fallback_that_takes_a_step_out_of_the_flow_does_not_land_with_yes() {
    let dir = home();
    let server = proposing("Fall back to save when validation fails", scenario_three());
    let run = edit(
        dir.path(),
        &server,
        "when the validation fails, fall back to the save step",
        &["--yes", "--json"],
    );
    assert_eq!(
        outcome(&run),
        ("breaking".into(), false, 3),
        "{}",
        run.text()
    );
}

#[test]
fn a_rewrite_under_a_small_summary_needs_force_and_the_model_is_told_to_propose_less() {
    let dir = home();
    let server = proposing("Add retry to fetch", scenario_four());
    let run = edit(
        dir.path(),
        &server,
        "add retry logic to the API call",
        &["--yes", "--json"],
    );
    let (_, applied, code) = outcome(&run);
    assert_eq!((applied, code), (false, 3), "{}", run.text());
    let document = run.json();
    let rewrite = document["rewrite"].as_str().unwrap_or_default();
    assert!(
        rewrite.contains("removes 2") && rewrite.contains("rewrites the workflow's description"),
        "{document}"
    );
    // What went back to the model as the tool's result.
    let requests = server.requests();
    let told = requests[1].body.clone();
    assert!(told.contains("Propose a smaller change"), "{told}");
    // The user can still have it, with --force.
    let server = proposing("Add retry to fetch", scenario_four());
    let forced = edit(
        dir.path(),
        &server,
        "add retry logic to the API call",
        &["--yes", "--force", "--json"],
    );
    assert!(outcome(&forced).1, "{}", forced.text());
}

#[test]
fn a_plain_retry_still_lands_as_safe() {
    let dir = home();
    let server = proposing("Added retry logic to API call", retry());
    let run = edit(
        dir.path(),
        &server,
        "add retry logic to the API call",
        &["--yes", "--json"],
    );
    assert_eq!(outcome(&run), ("safe".into(), true, 0), "{}", run.text());
}

#[test]
fn a_swap_to_a_compatible_skill_needs_attention_and_prints_the_command() {
    let dir = home();
    let server = proposing(
        "Use curl-fetch for the fetch step",
        json!([{"type": "modify_step", "id": "fetch", "changes": {"skill": "curl-fetch"}}]),
    );
    let run = edit(
        dir.path(),
        &server,
        "use curl-fetch for the fetch step",
        &["--yes"],
    );
    assert_eq!(run.code, 0, "{}", run.text());
    assert!(
        run.stdout.contains("Impact: needs attention")
            && run
                .stdout
                .contains("fetch runs skill 'curl-fetch' instead of 'http-fetch': curl -fsSL --retry 3 --max-time 20"),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------
// The gate's text, as users read it.

fn gate_text(modifications: Value, summary: &str, request: &str) -> String {
    let dir = home();
    let server = proposing(summary, modifications);
    edit(dir.path(), &server, request, &["--dry-run"]).text()
}

#[test]
fn the_gate_shows_each_scenario() {
    insta::assert_snapshot!(
        "scenario_one_unproduced_output",
        gate_text(
            scenario_one(),
            "Skip the save when validation fails",
            "skip the save when validation fails"
        )
    );
    insta::assert_snapshot!(
        "scenario_two_swap_to_s3",
        gate_text(
            scenario_two(),
            "Upload instead of fetching",
            "upload the data to s3"
        )
    );
    insta::assert_snapshot!(
        "scenario_three_fallback",
        gate_text(
            scenario_three(),
            "Fall back to save when validation fails",
            "when the validation fails, fall back to the save step"
        )
    );
    insta::assert_snapshot!(
        "scenario_four_rewrite",
        gate_text(
            scenario_four(),
            "Add retry to fetch",
            "add retry logic to the API call"
        )
    );
    insta::assert_snapshot!(
        "plain_retry",
        gate_text(
            retry(),
            "Added retry logic to API call",
            "add retry logic to the API call"
        )
    );
}

/// The gate on a terminal, answering `answers` (one per line).
fn at_the_gate(modifications: Value, summary: &str, request: &str, answers: &str) -> Run {
    let dir = home();
    let server = proposing(summary, modifications);
    qwf(
        dir.path(),
        Some(&server),
        &["edit", "data-pipeline", request],
        answers,
    )
}

#[test]
fn why_explains_in_the_words_of_the_impact() {
    let removal = at_the_gate(
        json!([{"type": "remove_step", "id": "validate"}]),
        "Remove the validation step",
        "remove the validation step",
        "why\nn\n",
    );
    assert_eq!(removal.code, 3, "{}", removal.text());
    insta::assert_snapshot!("why_removal", removal.stdout);
    let fallback = at_the_gate(
        scenario_three(),
        "Fall back to save when validation fails",
        "when the validation fails, fall back to the save step",
        "why\nn\n",
    );
    insta::assert_snapshot!("why_fallback", fallback.stdout);
    let rewrite = at_the_gate(
        scenario_four(),
        "Add retry to fetch",
        "add retry logic to the API call",
        "why\nn\n",
    );
    insta::assert_snapshot!("why_rewrite", rewrite.stdout);
    assert!(
        rewrite
            .stderr
            .contains("This rewrites the workflow rather than editing it. Apply anyway?"),
        "{}",
        rewrite.stderr
    );
    let safe = at_the_gate(
        retry(),
        "Added retry logic to API call",
        "add retry logic to the API call",
        "why\ny\n",
    );
    assert_eq!(safe.code, 0, "{}", safe.text());
    insta::assert_snapshot!("why_retry", safe.stdout);
}

#[test]
fn details_summarises_and_json_is_one_answer_away() {
    let run = at_the_gate(
        scenario_four(),
        "Add retry to fetch",
        "add retry logic to the API call",
        "details\njson\nn\n",
    );
    let details_start = run
        .stdout
        .find("Change to 'data-pipeline'")
        .expect("details shown");
    let json_start = run.stdout[details_start..]
        .find("\n{")
        .map(|at| details_start + at)
        .expect("the JSON follows");
    let details = &run.stdout[details_start..json_start];
    assert!(
        details.lines().count() < 25,
        "details is a summary:\n{details}"
    );
    insta::assert_snapshot!("details", details);
    assert!(
        run.stdout[json_start..].contains("\"broken_references\""),
        "json prints the whole proposal"
    );
}

#[test]
fn iterative_shows_each_changes_new_value() {
    let parts = json!([
        {"type": "add_error_handling", "step_id": "fetch",
         "error_handling": {"strategy": "retry", "max_attempts": 5, "backoff": "linear"}},
        {"type": "modify_step", "id": "save", "changes": {"timeout_secs": 45}}
    ]);
    let run = at_the_gate(
        parts,
        "Retry fetch, limit save",
        "retry fetch and limit save",
        "iterative\ny\nn\n",
    );
    assert_eq!(run.code, 0, "{}", run.text());
    let start = run.stdout.find("Step 1/2").expect("iterative shown");
    insta::assert_snapshot!("iterative", &run.stdout[start..]);
}

// ---------------------------------------------------------------------------
// `qwf run --dry-run` says when each step runs, with which inputs.

#[test]
fn dry_run_says_when_each_step_runs_and_with_which_inputs() {
    let dir = home();
    let server = proposing("Fall back to save when validation fails", scenario_three());
    let forced = edit(
        dir.path(),
        &server,
        "when the validation fails, fall back to the save step",
        &["--yes", "--force"],
    );
    assert_eq!(forced.code, 0, "{}", forced.text());
    let plan = qwf(dir.path(), None, &["run", "data-pipeline", "--dry-run"], "");
    assert_eq!(plan.code, 0, "{}", plan.text());
    insta::assert_snapshot!("dry_run_fallback", plan.stdout);
    let document = qwf(
        dir.path(),
        None,
        &["--json", "run", "data-pipeline", "--dry-run"],
        "",
    )
    .json();
    let runs: Vec<(String, String)> = document["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| {
            (
                step["id"].as_str().unwrap_or_default().to_string(),
                step["runs"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        runs,
        [
            ("fetch".to_string(), "runs".to_string()),
            ("validate".to_string(), "runs".to_string()),
            (
                "save".to_string(),
                "runs only as the fallback of 'validate', when it fails".to_string()
            ),
        ]
    );
    assert_eq!(
        document["steps"][0]["inputs"]["url"],
        "https://api.example.com/data"
    );
}

// ---------------------------------------------------------------------------
// README's examples, with the offline planner: whatever lands runs.

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("directory");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copied");
        }
    }
}

/// The README's offline examples for an existing workflow.
const README_EXAMPLES: &[&str] = &[
    "add retry logic to the API call",
    "retry fetch five times with linear backoff",
    "increase the fetch timeout to 30 seconds",
    "continue on error for save",
    "fall back to mirror if fetch fails",
    "remove the validation step",
    "rename fetch to download",
    "move save before validate",
    "run validate and notify in parallel",
    "add a logging step after fetch",
    "set the api_url to https://api.example.com/v2",
    "add a batch_size of 500 to the context",
    "lower the threshold by 50",
    "use curl-fetch for the fetch step",
    "use context.backup_url as the url of the fetch step",
    "limit the save step to 1500 ms",
    "if the database write fails, continue",
    "only save the data if it is valid",
    "skip the save when validation fails",
];

#[test]
fn readmes_examples_produce_workflows_that_dry_run_accepts() {
    let base = tempfile::tempdir().expect("tempdir");
    let created = qwf(
        base.path(),
        None,
        &[
            "create",
            "fetch data from the API, validate it, and save it to the database",
            "--yes",
        ],
        "",
    );
    assert_eq!(created.code, 0, "{}", created.text());
    // What the user does next: write the scripts the new skills call, and
    // have the curl-fetch skill one example names.
    let skills = base.path().join("home/skills");
    for script in ["validate.py", "write_db.py"] {
        std::fs::write(skills.join(script), "import sys\n").expect("script");
    }
    std::fs::write(
        skills.join("curl-fetch.json"),
        r#"{"name": "curl-fetch", "type": "code_inline", "description": "Fetch with curl",
            "command": "sh -c 'curl -fsSL --retry 3 \"$QWF_INPUT_URL\"'", "inputs": ["url"], "outputs": ["data"]}"#,
    )
    .expect("skill");
    let set = [
        "--set",
        "api_url=https://api.example.com/data",
        "--set",
        "table=events",
    ];
    let mut landed = Vec::new();
    for example in README_EXAMPLES {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(base.path(), dir.path());
        let run = qwf(
            dir.path(),
            None,
            &["--json", "edit", "data-pipeline", example, "--yes"],
            "",
        );
        let document = run.json();
        if document["applied"] != json!(true) {
            continue;
        }
        landed.push(*example);
        let mut args = vec!["--json", "run", "data-pipeline", "--dry-run"];
        args.extend_from_slice(&set);
        let plan = qwf(dir.path(), None, &args, "");
        assert_eq!(
            (plan.code, plan.json()["preflight"].clone()),
            (0, json!("passed")),
            "'{example}' landed as {}, but the result does not run:\n{}",
            document["verdict"],
            plan.text()
        );
        if example.contains("valid") {
            let save = plan.json()["steps"]
                .as_array()
                .and_then(|steps| steps.iter().find(|step| step["id"] == "save").cloned())
                .expect("save is planned");
            assert_eq!(
                save["runs"], "runs only if validate.valid == true",
                "{example}"
            );
        }
    }
    for must in [
        "only save the data if it is valid",
        "skip the save when validation fails",
        "add retry logic to the API call",
        "use curl-fetch for the fetch step",
    ] {
        assert!(landed.contains(&must), "'{must}' did not land: {landed:?}");
    }
}
