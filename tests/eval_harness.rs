//! `qwf eval` on small suites made here: scoring, failures named,
//! --min-pass, --json, and record/replay with stale detection.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const PIPELINE: &str = include_str!("fixtures/data-pipeline.json");

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("dirs");
    std::fs::write(path, text).expect("write");
}

fn suite(root: &Path) {
    write(&root.join("edits/workflows/data-pipeline.json"), PIPELINE);
    write(
        &root.join("edits/retry.json"),
        r#"{"command": "edit", "workflow": "data-pipeline", "request": "add retry logic to the API call",
            "expect": {"applied": true, "verdict": "safe", "values": {"/steps/0/error_handling/max_attempts": 3}, "unchanged_except": ["fetch"], "version": 2}}"#,
    );
    write(
        &root.join("edits/removal-is-refused.json"),
        r#"{"command": "edit", "workflow": "data-pipeline", "request": "remove the validation step",
            "expect": {"applied": false, "verdict": "breaking", "step_count": 3}}"#,
    );
    write(
        &root.join("create/pipeline.json"),
        r#"{"command": "create", "request": "fetch data from the API, validate it, and save it to the database",
            "skills": [{"name": "http-fetch", "type": "code_inline", "description": "Fetch a URL over HTTP", "command": "curl -sf"}],
            "expect": {"applied": true, "step_count": 3, "skills_reused": ["http-fetch"], "skills_proposed": ["data-validator", "db-writer"]}}"#,
    );
}

fn qwf(home: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_qwf"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("QWF_HOME", home.join("home"))
        .env("NO_COLOR", "1")
        .output()
        .expect("qwf runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_passing_suite_is_scored_per_suite_and_overall() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    suite(&evals);
    let evals_arg = evals.display().to_string();
    let (code, stdout, stderr) = qwf(dir.path(), &["eval", &evals_arg, "--min-pass", "1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("create "), "{stdout}");
    assert!(
        stdout.contains("overall                      3      3  100.0%"),
        "{stdout}"
    );
    let (code, stdout, _) = qwf(dir.path(), &["--json", "eval", &evals_arg]);
    assert_eq!(code, 0);
    let document: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(
        (
            document["total"].clone(),
            document["passed"].clone(),
            document["pass_rate"].clone()
        ),
        (3.into(), 3.into(), 1.0.into())
    );
    assert_eq!(document["suites"].as_array().map(Vec::len), Some(2));
    assert_eq!(document["cases"][0]["suite"], "create");
    let (_, stdout, _) = qwf(
        dir.path(),
        &["--json", "eval", &evals_arg, "--filter", "edits/retry"],
    );
    let document: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(document["total"], 1);
}

#[test]
fn a_wrong_expectation_is_named_and_min_pass_fails_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    suite(&evals);
    write(
        &evals.join("edits/wrong.json"),
        r#"{"command": "edit", "workflow": "data-pipeline", "request": "increase the fetch timeout to 30 seconds",
            "expect": {"values": {"/steps/0/timeout_secs": 45}}}"#,
    );
    let evals_arg = evals.display().to_string();
    let (code, stdout, stderr) = qwf(dir.path(), &["eval", &evals_arg, "--min-pass", "0.9"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("✗ edits/wrong"), "{stdout}");
    assert!(
        stdout.contains("/steps/0/timeout_secs: expected 45, got 30"),
        "{stdout}"
    );
    assert!(
        stderr.contains("pass rate 75.0% is below the minimum 90.0%"),
        "{stderr}"
    );
    let (code, _, _) = qwf(dir.path(), &["eval", &evals_arg, "--min-pass", "0.7"]);
    assert_eq!(code, 0);
}

#[test]
fn recordings_replay_and_a_changed_case_is_reported_stale() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    suite(&evals);
    let evals_arg = evals.display().to_string();
    let recordings = dir.path().join("recordings").display().to_string();
    let (code, stdout, stderr) = qwf(dir.path(), &["eval", &evals_arg, "--record", &recordings]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let recorded = std::fs::read_to_string(dir.path().join("recordings/edits/retry.json"))
        .expect("a recording per case");
    assert!(recorded.contains("propose_modification"));
    let (code, stdout, stderr) = qwf(
        dir.path(),
        &[
            "eval",
            &evals_arg,
            "--replay",
            &recordings,
            "--min-pass",
            "1",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    write(
        &evals.join("edits/retry.json"),
        r#"{"command": "edit", "workflow": "data-pipeline", "request": "add retry logic to the HTTP request",
            "expect": {"applied": true}}"#,
    );
    let (code, _, stderr) = qwf(dir.path(), &["eval", &evals_arg, "--replay", &recordings]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("case 'edits/retry' is stale: request 1 no longer matches the recording"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_case_is_reported_with_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    write(
        &evals.join("broken/case.json"),
        "{\"command\": \"edit\",\n \"request\": 3}",
    );
    let (code, _, stderr) = qwf(dir.path(), &["eval", &evals.display().to_string()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("case.json:2:") && stderr.contains("not a valid eval case"),
        "{stderr}"
    );
}
