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
        stdout.contains(&format!(
            "{:<32} {:>5} {:>6} {:>6.1}% {:>6}",
            "overall", 3, 3, 100.0, 0
        )),
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
    // The wrong timeout was saved: a silent wrong, named and counted.
    assert!(stdout.contains("✗ edits/wrong (silent wrong"), "{stdout}");
    let (code, _, _) = qwf(dir.path(), &["eval", &evals_arg, "--min-pass", "0.7"]);
    assert_eq!(code, 0);
    let (code, _, stderr) = qwf(
        dir.path(),
        &[
            "eval",
            &evals_arg,
            "--min-pass",
            "0.7",
            "--max-silent-wrong",
            "0",
        ],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("all: 1 silent wrong"), "{stderr}");
}

/// Suites split into a development and a held-out set are scored apart,
/// each held to --min-pass and --max-silent-wrong.
#[test]
fn sets_are_scored_apart_with_silent_wrong_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    suite(&evals.join("dev"));
    write(
        &evals.join("heldout/edits/workflows/data-pipeline.json"),
        PIPELINE,
    );
    // The planner adds the retry, which this case says must not happen.
    write(
        &evals.join("heldout/edits/must-not-apply.json"),
        r#"{"command": "edit", "workflow": "data-pipeline", "request": "add retry logic to the API call",
            "expect": {"applied": false}}"#,
    );
    write(
        &evals.join("heldout/edits/asks.json"),
        r#"{"command": "edit", "workflow": "data-pipeline", "request": "frobnicate the wibble",
            "expect": {"applied": false}}"#,
    );
    let evals_arg = evals.display().to_string();
    let (code, stdout, _) = qwf(dir.path(), &["--json", "eval", &evals_arg]);
    assert_eq!(code, 0, "{stdout}");
    let document: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(document["total"], 5);
    assert_eq!(document["silent_wrong"], 1);
    let sets = document["sets"].as_array().expect("sets");
    let set = |name: &str| {
        sets.iter()
            .find(|set| set["set"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        (set("dev")["total"].clone(), set("dev")["passed"].clone()),
        (3.into(), 3.into())
    );
    assert_eq!(set("dev")["silent_wrong"], 0);
    assert_eq!(
        (
            set("heldout")["total"].clone(),
            set("heldout")["passed"].clone()
        ),
        (2.into(), 1.into())
    );
    assert_eq!(set("heldout")["silent_wrong"], 1);
    let silent: Vec<&Value> = document["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|case| case["silent_wrong"] == true)
        .collect();
    assert_eq!(silent.len(), 1);
    assert_eq!(silent[0]["name"], "must-not-apply");
    assert_eq!(silent[0]["set"], "heldout");

    // A gate for one set leaves the other alone; silent wrong is gated everywhere.
    let (code, stdout, stderr) = qwf(dir.path(), &["eval", &evals_arg, "--min-pass", "dev=1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("heldout/edits "), "{stdout}");
    assert!(stdout.contains("dev (all) "), "{stdout}");
    let (code, _, stderr) = qwf(dir.path(), &["eval", &evals_arg, "--min-pass", "1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("heldout: pass rate 50.0%"), "{stderr}");
    let (code, _, stderr) = qwf(
        dir.path(),
        &[
            "eval",
            &evals_arg,
            "--min-pass",
            "dev=1",
            "--max-silent-wrong",
            "0",
        ],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("heldout: 1 silent wrong"), "{stderr}");
    let (code, _, stderr) = qwf(dir.path(), &["eval", &evals_arg, "--min-pass", "nope=1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no set 'nope'"), "{stderr}");
    // One set alone still loads as suites.
    let (code, stdout, _) = qwf(
        dir.path(),
        &["--json", "eval", &evals.join("dev").display().to_string()],
    );
    assert_eq!(code, 0);
    let document: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(document["total"], 3);
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
