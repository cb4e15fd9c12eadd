//! `qwf eval` on small suites made here: scoring, failures named,
//! --min-pass, --json, and record/replay with stale detection.

#[path = "support/chat_wire.rs"]
mod chat_wire;
#[path = "support/mock_http.rs"]
mod mock_http;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use chat_wire::PIPELINE;
use mock_http::MockServer;

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

/// The real binary in a clean environment whose qwf home is `home/home`;
/// its model, if given, is the scripted server.
fn qwf_command(home: &Path, model: Option<&MockServer>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qwf"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("QWF_HOME", home.join("home"))
        .env("NO_COLOR", "1");
    if let Some(server) = model {
        command
            .env("QWF_PROVIDER", "openai-compatible")
            .env("QWF_MODEL", "m")
            .env("QWF_BASE_URL", format!("{}/v1", server.url));
    }
    command
}

/// The exit code, stdout and stderr of `command`, run to its end.
fn finish(command: &mut Command) -> (i32, String, String) {
    let output = command.output().expect("qwf runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn qwf(home: &Path, args: &[&str]) -> (i32, String, String) {
    finish(qwf_command(home, None).args(args))
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
            "{:<32} {:>5} {:>6} {:>7} {:>7} {:>7} {:>6}",
            "overall", 3, 3, 0, 0, "100.0%", 0
        )),
        "{stdout}"
    );
    // Without a terminal, progress is a plain line per case on stderr.
    assert!(stderr.contains("[1/3] create/pipeline: passed"), "{stderr}");
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
    // Held to one set only, the held-out set's silent wrong is reported,
    // not failed.
    let (code, _, stderr) = qwf(
        dir.path(),
        &["eval", &evals_arg, "--max-silent-wrong", "dev=0"],
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = qwf(
        dir.path(),
        &["eval", &evals_arg, "--max-silent-wrong", "heldout=0"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("heldout: 1 silent wrong"), "{stderr}");
    let (code, _, stderr) = qwf(
        dir.path(),
        &["eval", &evals_arg, "--max-silent-wrong", "dev=x"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("--max-silent-wrong dev=x"), "{stderr}");
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
    // A stale case is listed, not scored, and does not fail the replay...
    let (code, stdout, stderr) = qwf(dir.path(), &["eval", &evals_arg, "--replay", &recordings]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("edits/retry is stale: request 1 no longer matches the recording"),
        "{stdout}"
    );
    assert!(stdout.contains("1 of 3 cases are stale"), "{stdout}");
    // ...unless asked.
    let (code, _, stderr) = qwf(
        dir.path(),
        &[
            "eval",
            &evals_arg,
            "--replay",
            &recordings,
            "--fail-on-stale",
        ],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("1 case is stale"), "{stderr}");
    // A case without a recording (a new case) is stale too.
    write(
        &evals.join("edits/new-case.json"),
        r#"{"command": "edit", "workflow": "data-pipeline", "request": "increase the fetch timeout to 30 seconds"}"#,
    );
    let (code, stdout, _) = qwf(dir.path(), &["eval", &evals_arg, "--replay", &recordings]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("edits/new-case is stale: no recording at"),
        "{stdout}"
    );
}

#[test]
fn a_recording_holds_the_whole_conversation_and_a_replay_fails_on_a_regression() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    suite(&evals);
    let evals_arg = evals.display().to_string();
    let recordings = dir.path().join("recordings");
    let recordings_arg = recordings.display().to_string();
    let (code, stdout, stderr) = qwf(
        dir.path(),
        &["eval", &evals_arg, "--record", &recordings_arg],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let path = recordings.join("edits/removal-is-refused.json");
    let mut recording: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("recorded")).expect("JSON");
    // The transcript ends with the gate's answer to the last call, which no
    // request to the model carried.
    let transcript = recording["transcript"].as_array().expect("a transcript");
    let exchanges = recording["exchanges"].as_array().expect("exchanges");
    assert!(
        transcript.len()
            > exchanges.last().expect("one")["request"]
                .as_array()
                .unwrap()
                .len()
    );
    assert!(
        transcript.iter().any(|message| message["role"] == "tool"
            && message["content"]
                .as_str()
                .unwrap_or_default()
                .contains("declined")),
        "{transcript:?}"
    );
    assert_eq!(recording["outcome"]["passed"], true);
    // Replayed, the case ends as recorded; had it passed when recorded and
    // failed now, the replay fails.
    let (code, _, _) = qwf(
        dir.path(),
        &["eval", &evals_arg, "--replay", &recordings_arg],
    );
    assert_eq!(code, 0);
    write(
        &evals.join("edits/removal-is-refused.json"),
        r#"{"command": "edit", "workflow": "data-pipeline", "request": "remove the validation step",
            "expect": {"applied": true}}"#,
    );
    let (code, stdout, stderr) = qwf(
        dir.path(),
        &["eval", &evals_arg, "--replay", &recordings_arg],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("✗ (passed when recorded) edits/removal-is-refused"),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "1 replayed case passed when recorded and fail now: edits/removal-is-refused"
        ),
        "{stderr}"
    );
    // The first format, a bare list of exchanges, still replays.
    recording = recording["exchanges"].clone();
    std::fs::write(&path, recording.to_string()).expect("old format");
    let (_, stdout, _) = qwf(
        dir.path(),
        &["eval", &evals_arg, "--replay", &recordings_arg],
    );
    assert!(!stdout.contains("removal-is-refused is stale"), "{stdout}");
}

fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let url = format!("http://{}/v1", listener.local_addr().expect("address"));
    drop(listener);
    url
}

#[test]
fn an_unreachable_model_errors_apart_from_failures_and_rates_without_cases_are_na() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    suite(&evals);
    let evals_arg = evals.display().to_string();
    let url = closed_port();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "eval",
            &evals_arg,
            "--provider",
            "openai-compatible",
            "--model",
            "m",
        ];
        args.extend_from_slice(extra);
        finish(
            qwf_command(dir.path(), None)
                .args(&args)
                .env("QWF_BASE_URL", &url),
        )
    };
    let (code, stdout, stderr) = run(&[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let document: Value = serde_json::from_str(&stdout).expect("one document");
    assert_eq!(document["errored"], 3);
    assert_eq!(document["failed"], 0);
    assert_eq!(
        document["pass_rate"],
        Value::Null,
        "n/a: no case was scored"
    );
    assert_eq!(document["first_try_validity"], Value::Null);
    assert!(
        document["cases"][0]["errored"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot reach"),
        "{document}"
    );
    let (code, _, stderr) = run(&["--min-pass", "0.5"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("3 cases errored"), "{stderr}");
}

#[test]
fn first_try_validity_is_na_where_no_case_proposed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    write(
        &evals.join("questions/workflows/data-pipeline.json"),
        PIPELINE,
    );
    write(
        &evals.join("questions/what.json"),
        r#"{"command": "do", "workflow": "data-pipeline", "request": "what does this workflow do?", "expect": {"applied": false}}"#,
    );
    let (code, stdout, stderr) = qwf(dir.path(), &["eval", &evals.display().to_string()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let row = stdout
        .lines()
        .find(|line| line.starts_with("questions"))
        .expect("a row");
    // rate, silent wrong, then first-try validity: n/a.
    assert!(row.contains("100.0%      0        n/a"), "{row}");
}

/// Drives `qwf eval` on a pseudo-terminal: waits for the first case to
/// finish, presses Ctrl-C while the second waits on a model that never
/// answers, then reads to the end.
const EVAL_PTY_DRIVER: &str = r#"
import os, pty, sys, time
qwf, evals, home, url = sys.argv[1:5]
env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "QWF_HOME": home + "/home", "NO_COLOR": "1",
       "QWF_PROVIDER": "openai-compatible", "QWF_MODEL": "m", "QWF_BASE_URL": url, "TERM": "xterm"}
pid, fd = pty.fork()
if pid == 0:
    os.execve(qwf, [qwf, "eval", evals], env)
seen = b""
def until(needle, limit=30.0):
    global seen
    end = time.time() + limit
    while needle not in seen and time.time() < end:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        seen += chunk
until(b"1/2 cases")
time.sleep(0.3)
os.write(fd, b"\x03")
until(b"__never__", limit=15.0)
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.stdout.write("\nEXIT %d\n" % os.waitstatus_to_exitcode(status))
"#;

fn two_questions(evals: &Path) {
    write(&evals.join("ask/workflows/data-pipeline.json"), PIPELINE);
    for name in ["a", "b"] {
        write(
            &evals.join(format!("ask/{name}.json")),
            r#"{"command": "do", "workflow": "data-pipeline", "request": "what does it do?", "expect": {"applied": false}}"#,
        );
    }
}

/// Two questions in a temporary `evals/`, and a model that answers the
/// first, then never answers.
fn two_questions_then_silence() -> (tempfile::TempDir, std::path::PathBuf, MockServer) {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    two_questions(&evals);
    let server = MockServer::script_then_silent(
        vec![chat_wire::text("It fetches, validates and saves.")],
        std::time::Duration::from_secs(60),
    );
    (dir, evals, server)
}

#[test]
fn ctrl_c_on_a_terminal_stops_the_whole_eval_and_reports_what_finished() {
    let (dir, evals, server) = two_questions_then_silence();
    let driver = dir.path().join("driver.py");
    std::fs::write(&driver, EVAL_PTY_DRIVER).expect("driver");
    let started = std::time::Instant::now();
    let output = Command::new("python3")
        .arg(&driver)
        .arg(env!("CARGO_BIN_EXE_qwf"))
        .arg(&evals)
        .arg(dir.path())
        .arg(format!("{}/v1", server.url))
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(40),
        "stopped, not waited out: {text}"
    );
    assert!(text.trim_end().ends_with("EXIT 130"), "{text}");
    assert!(
        text.contains(&format!("{:<32} {:>5}", "overall", 1)),
        "the finished case is reported: {text}"
    );
    assert!(text.contains("interrupted: 1 of 2 cases ran"), "{text}");
    assert_eq!(
        server.requests().len(),
        2,
        "the second case was not retried after Ctrl-C"
    );
}

#[test]
fn sigterm_stops_the_whole_eval_and_reports_what_finished() {
    let (dir, evals, server) = two_questions_then_silence();
    let child = qwf_command(dir.path(), Some(&server))
        .args(["--json", "eval", &evals.display().to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("qwf starts");
    let started = std::time::Instant::now();
    while server.requests().len() < 2 && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("qwf finishes");
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_slice(&output.stdout).expect("the report");
    assert_eq!(document["total"], 1);
    assert_eq!(document["planned"], 2);
    assert_eq!(document["interrupted"], true);
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

#[test]
fn an_answer_cut_off_at_the_length_is_the_models_failure_and_replays_as_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    two_questions(&evals);
    let server = MockServer::script(vec![
        chat_wire::cut_off("and again and again and again", 64),
        chat_wire::text("It fetches, validates and saves."),
    ]);
    let recordings = dir.path().join("recordings");
    let recordings_arg = recordings.display().to_string();
    let evals_arg = evals.display().to_string();
    let (_, stdout, _) = finish(qwf_command(dir.path(), Some(&server)).args([
        "--json",
        "eval",
        &evals_arg,
        "--record",
        &recordings_arg,
        "--max-tokens",
        "64",
    ]));
    let document: Value = serde_json::from_str(&stdout).expect("the report");
    assert_eq!(document["errored"], 0, "{document}");
    assert_eq!(document["failed"], 1, "{document}");
    assert!(
        document["cases"][0]["failures"][0]
            .as_str()
            .unwrap_or_default()
            .contains("cut off at max_tokens = 64"),
        "{document}"
    );
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(recordings.join("ask/a.json")).expect("recorded"),
    )
    .expect("JSON");
    assert!(
        recorded["exchanges"][0]["truncated"].is_array(),
        "{recorded}"
    );
    let (code, stdout, stderr) = qwf(
        dir.path(),
        &["--json", "eval", &evals_arg, "--replay", &recordings_arg],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let replayed: Value = serde_json::from_str(&stdout).expect("the report");
    assert_eq!(
        (replayed["failed"].clone(), replayed["stale"].clone()),
        (1.into(), 0.into())
    );
}

#[test]
fn a_container_listed_as_changed_allows_changes_to_the_steps_inside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evals = dir.path().join("evals");
    let workflow = r#"{"name": "gated", "version": "1.0.0", "steps": [
        {"id": "check", "type": "skill", "skill": "checker", "outputs": ["ok"]},
        {"id": "if-ok", "type": "conditional", "condition": "check.ok == true",
         "then": [{"id": "upload", "type": "skill", "skill": "uploader"}]},
        {"id": "log", "type": "skill", "skill": "logger"}]}"#;
    write(&evals.join("nested/workflows/gated.json"), workflow);
    // The branch's container is listed: the upload inside it may change.
    write(
        &evals.join("nested/container-listed.json"),
        r#"{"command": "edit", "workflow": "gated", "request": "give the upload a 40 second timeout",
            "expect": {"applied": true, "values": {"/steps/1/then/0/timeout_secs": 40}, "unchanged_except": ["if-ok"]}}"#,
    );
    // Only another step is listed: the change to the upload is named.
    write(
        &evals.join("nested/other-listed.json"),
        r#"{"command": "edit", "workflow": "gated", "request": "give the upload a 40 second timeout",
            "expect": {"applied": true, "unchanged_except": ["log"]}}"#,
    );
    let (_, stdout, _) = qwf(
        dir.path(),
        &["eval", &evals.display().to_string(), "--json"],
    );
    let report: Value = serde_json::from_str(&stdout).expect("json");
    let cases = report["cases"].as_array().expect("cases");
    let case = |name: &str| {
        cases
            .iter()
            .find(|case| case["name"] == name)
            .unwrap_or_else(|| panic!("no case {name}: {stdout}"))
    };
    assert_eq!(case("container-listed")["passed"], true, "{stdout}");
    assert_eq!(case("other-listed")["passed"], false);
    assert!(
        case("other-listed")["failures"]
            .to_string()
            .contains("step 'upload' should be unchanged but was modified"),
        "{stdout}"
    );
}
