//! Issue 11, "honest impact", through the real binary: a scripted model
//! (a mock OpenAI-compatible server on 127.0.0.1) proposes each change the
//! issue found passing as "safe", and the gate's verdict, what lands with
//! `--yes`, the exit code and the text users read are checked. The skills
//! declare their interfaces, as issue 11's skill format allows.

#[path = "support/chat_wire.rs"]
mod chat_wire;
#[path = "support/mock_http.rs"]
mod mock_http;

use std::path::Path;

use chat_wire::{Run, compatible, home_with_pipeline, pairs, with_usage};
use mock_http::MockServer;
use serde_json::{Value, json};

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
    let dir = home_with_pipeline();
    std::fs::create_dir_all(dir.path().join("home/skills")).expect("skills");
    for (name, text) in SKILLS {
        std::fs::write(dir.path().join(format!("home/skills/{name}.json")), text).expect("skill");
    }
    dir
}

/// The real binary in `home`, against the scripted model if there is one; a
/// session with answers on stdin is interactive.
fn qwf(home: &Path, server: Option<&MockServer>, args: &[&str], stdin: &str) -> Run {
    let mut env = server
        .map(|server| compatible(&format!("{}/v1", server.url)))
        .unwrap_or_default();
    if !stdin.is_empty() {
        env.push(("QWF_INTERACTIVE", "1".to_string()));
    }
    chat_wire::qwf(home, &pairs(&env), args, stdin)
}

/// A change the scripted model proposes, with the user's request that
/// prompts it.
struct Proposal {
    summary: &'static str,
    request: &'static str,
    modifications: Value,
}

impl Proposal {
    /// A model that proposes this once, then says it is done.
    fn model(&self) -> MockServer {
        let arguments = json!({"workflow": "data-pipeline", "summary": self.summary, "modifications": self.modifications});
        MockServer::script(vec![
            with_usage(
                chat_wire::tool_call("call_1", "propose_modification", arguments),
                10,
                10,
            ),
            with_usage(chat_wire::text("Done."), 10, 5),
        ])
    }

    /// `qwf edit data-pipeline REQUEST FLAGS` in `home`, with the model
    /// proposing this.
    fn edit(&self, home: &Path, flags: &[&str]) -> Run {
        self.edit_with(home, &self.model(), flags)
    }

    /// `edit`, against `server`.
    fn edit_with(&self, home: &Path, server: &MockServer, flags: &[&str]) -> Run {
        let mut args = vec!["edit", "data-pipeline", self.request];
        args.extend_from_slice(flags);
        qwf(home, Some(server), &args, "")
    }

    /// The gate on a terminal in a fresh home, answering `answers` (one per
    /// line).
    fn at_the_gate(&self, answers: &str) -> Run {
        let dir = home();
        qwf(
            dir.path(),
            Some(&self.model()),
            &["edit", "data-pipeline", self.request],
            answers,
        )
    }
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

#[track_caller]
fn assert_outcome(run: &Run, verdict: &str, applied: bool, code: i32) {
    assert_eq!(
        outcome(run),
        (verdict.to_string(), applied, code),
        "{}",
        run.text()
    );
}

fn scenario_one() -> Proposal {
    // What the planner used to propose for "skip the save when validation
    // fails": an output data-validator never produces.
    Proposal {
        summary: "Skip the save when validation fails",
        request: "skip the save when validation fails",
        modifications: json!([
            {"type": "modify_step", "id": "validate", "changes": {"outputs": ["validated", "success"]}},
            {"type": "remove_step", "id": "save"},
            {"type": "add_step", "after": "validate", "step": {"id": "if-succeeded", "type": "conditional",
                "condition": "validate.success == true", "then": [
                    {"id": "save", "type": "skill", "skill": "db-writer",
                     "inputs": {"data": "validate.validated", "table": "context.table"}}]}}
        ]),
    }
}

fn scenario_two() -> Proposal {
    Proposal {
        summary: "Upload instead of fetching",
        request: "upload the data to s3",
        modifications: json!([{"type": "modify_step", "id": "fetch", "changes": {"skill": "s3-uploader"}}]),
    }
}

fn scenario_three() -> Proposal {
    Proposal {
        summary: "Fall back to save when validation fails",
        request: "when the validation fails, fall back to the save step",
        modifications: json!([{"type": "add_error_handling", "step_id": "validate",
                               "error_handling": {"strategy": "fallback", "fallback": "save"}}]),
    }
}

fn scenario_four() -> Proposal {
    Proposal {
        summary: "Add retry to fetch",
        request: "add retry logic to the API call",
        modifications: json!([
            {"type": "add_error_handling", "step_id": "fetch",
             "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}},
            {"type": "remove_step", "id": "validate"},
            {"type": "remove_step", "id": "save"},
            {"type": "add_step", "after": "fetch", "step": {"id": "publish", "type": "skill",
                "skill": "webhook-post", "inputs": {"data": "fetch.data"}}},
            {"type": "set_description", "description": "Fetch API data and publish it"}
        ]),
    }
}

fn retry() -> Proposal {
    Proposal {
        summary: "Added retry logic to API call",
        request: "add retry logic to the API call",
        modifications: json!([{"type": "add_error_handling", "step_id": "fetch",
                               "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}}]),
    }
}

#[test]
fn an_output_the_skill_never_produces_does_not_land_with_yes() {
    let dir = home();
    let run = scenario_one().edit(dir.path(), &["--yes", "--json"]);
    assert_outcome(&run, "breaking", false, 3);
    let reason = run.json()["declined"][0]["reason"].to_string();
    assert!(reason.contains("breaking"), "{reason}");
}

#[test]
fn a_skill_swapped_for_one_with_other_inputs_does_not_land_and_its_command_is_shown() {
    let dir = home();
    let run = scenario_two().edit(dir.path(), &["--yes", "--json"]);
    assert_outcome(&run, "breaking", false, 3);
    let shown = scenario_two().edit(dir.path(), &["--yes"]);
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
    let forced = scenario_two().edit(dir.path(), &["--yes", "--force", "--json"]);
    assert_outcome(&forced, "breaking", true, 0);
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
    let run = scenario_three().edit(dir.path(), &["--yes", "--json"]);
    assert_outcome(&run, "breaking", false, 3);
}

#[test]
fn a_rewrite_under_a_small_summary_needs_force_and_the_model_is_told_to_propose_less() {
    let dir = home();
    let rewrite = scenario_four();
    let server = rewrite.model();
    let run = rewrite.edit_with(dir.path(), &server, &["--yes", "--json"]);
    let (_, applied, code) = outcome(&run);
    assert_eq!((applied, code), (false, 3), "{}", run.text());
    let document = run.json();
    let told_user = document["rewrite"].as_str().unwrap_or_default();
    assert!(
        told_user.contains("removes 2")
            && told_user.contains("rewrites the workflow's description"),
        "{document}"
    );
    // What went back to the model as the tool's result.
    let requests = server.requests();
    let told = requests[1].body.clone();
    assert!(told.contains("Propose a smaller change"), "{told}");
    // The user can still have it, with --force.
    let forced = rewrite.edit(dir.path(), &["--yes", "--force", "--json"]);
    assert!(outcome(&forced).1, "{}", forced.text());
}

#[test]
fn a_plain_retry_still_lands_as_safe() {
    let dir = home();
    let run = retry().edit(dir.path(), &["--yes", "--json"]);
    assert_outcome(&run, "safe", true, 0);
}

#[test]
fn a_swap_to_a_compatible_skill_needs_attention_and_prints_the_command() {
    let dir = home();
    let swap = Proposal {
        summary: "Use curl-fetch for the fetch step",
        request: "use curl-fetch for the fetch step",
        modifications: json!([{"type": "modify_step", "id": "fetch", "changes": {"skill": "curl-fetch"}}]),
    };
    let run = swap.edit(dir.path(), &["--yes"]);
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

#[test]
fn the_gate_shows_each_scenario() {
    let gate_text = |proposal: Proposal| {
        let dir = home();
        proposal.edit(dir.path(), &["--dry-run"]).text()
    };
    insta::assert_snapshot!("scenario_one_unproduced_output", gate_text(scenario_one()));
    insta::assert_snapshot!("scenario_two_swap_to_s3", gate_text(scenario_two()));
    insta::assert_snapshot!("scenario_three_fallback", gate_text(scenario_three()));
    insta::assert_snapshot!("scenario_four_rewrite", gate_text(scenario_four()));
    insta::assert_snapshot!("plain_retry", gate_text(retry()));
}

#[test]
fn why_explains_in_the_words_of_the_impact() {
    let removal = Proposal {
        summary: "Remove the validation step",
        request: "remove the validation step",
        modifications: json!([{"type": "remove_step", "id": "validate"}]),
    }
    .at_the_gate("why\nn\n");
    assert_eq!(removal.code, 3, "{}", removal.text());
    insta::assert_snapshot!("why_removal", removal.stdout);
    let fallback = scenario_three().at_the_gate("why\nn\n");
    insta::assert_snapshot!("why_fallback", fallback.stdout);
    let rewrite = scenario_four().at_the_gate("why\nn\n");
    insta::assert_snapshot!("why_rewrite", rewrite.stdout);
    assert!(
        rewrite
            .stderr
            .contains("This rewrites the workflow rather than editing it. Apply anyway?"),
        "{}",
        rewrite.stderr
    );
    let safe = retry().at_the_gate("why\ny\n");
    assert_eq!(safe.code, 0, "{}", safe.text());
    insta::assert_snapshot!("why_retry", safe.stdout);
}

#[test]
fn details_summarises_and_json_is_one_answer_away() {
    let run = scenario_four().at_the_gate("details\njson\nn\n");
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
    let run = Proposal {
        summary: "Retry fetch, limit save",
        request: "retry fetch and limit save",
        modifications: json!([
            {"type": "add_error_handling", "step_id": "fetch",
             "error_handling": {"strategy": "retry", "max_attempts": 5, "backoff": "linear"}},
            {"type": "modify_step", "id": "save", "changes": {"timeout_secs": 45}}
        ]),
    }
    .at_the_gate("iterative\ny\nn\n");
    assert_eq!(run.code, 0, "{}", run.text());
    let start = run.stdout.find("Step 1/2").expect("iterative shown");
    insta::assert_snapshot!("iterative", &run.stdout[start..]);
}

// ---------------------------------------------------------------------------
// `qwf run --dry-run` says when each step runs, with which inputs.

#[test]
fn dry_run_says_when_each_step_runs_and_with_which_inputs() {
    let dir = home();
    let forced = scenario_three().edit(dir.path(), &["--yes", "--force"]);
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
