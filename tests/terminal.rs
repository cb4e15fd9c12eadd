//! What a person sees at a terminal: each test drives the real binary on a
//! pseudo-terminal (see `support/pty.rs`), typing answers and Ctrl-C.

#[path = "support/homes.rs"]
mod homes;
#[path = "support/mock_http.rs"]
mod mock_http;
#[path = "support/pty.rs"]
mod pty;

use std::path::Path;
use std::time::Duration;

use homes::{PIPELINE, home_with_pipeline};
use mock_http::MockServer;
use pty::Step::{Expect, ExpectAfter, ExpectNew, Send, Sleep};

/// The pipeline and a copy named `reports`: a request names neither.
fn home_with_two_workflows() -> tempfile::TempDir {
    let dir = home_with_pipeline();
    std::fs::write(
        dir.path().join("home/workflows/reports.json"),
        PIPELINE.replace("\"data-pipeline\"", "\"reports\""),
    )
    .expect("a second workflow");
    dir
}

fn home_of(dir: &Path) -> String {
    dir.join("home").display().to_string()
}

/// Runs qwf on a pseudo-terminal in `dir`, with `dir/home` as its
/// QWF_HOME and HOME, plus `extra` variables.
fn on_terminal(
    dir: &Path,
    args: &[&str],
    extra: &[(&str, &str)],
    steps: &[pty::Step<'_>],
) -> pty::Session {
    let home = home_of(dir);
    let mut env = vec![("QWF_HOME", home.as_str()), ("HOME", home.as_str())];
    env.extend_from_slice(extra);
    pty::run(dir, args, &env, steps)
}

/// qwf without a terminal, in `dir`, with `dir/home` as its QWF_HOME.
fn plain(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_qwf"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("QWF_HOME", dir.join("home"))
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("qwf runs")
}

fn versions(dir: &Path, name: &str) -> usize {
    std::fs::read_to_string(dir.join(format!("home/workflows/.versions/{name}.log.jsonl")))
        .map(|log| log.lines().count())
        .unwrap_or(0)
}

#[test]
fn ctrl_c_in_chat_cancels_a_model_call_that_never_answers_and_the_chat_goes_on() {
    let dir = home_with_pipeline();
    let server = MockServer::silent(Duration::from_secs(60));
    let base_url = format!("{}/v1", server.url);
    let model = [
        ("QWF_PROVIDER", "openai-compatible"),
        ("QWF_MODEL", "test-model"),
        ("QWF_BASE_URL", base_url.as_str()),
    ];
    let session = on_terminal(
        dir.path(),
        &["chat", "--workflow", "data-pipeline"],
        &model,
        &[
            Expect("data-pipeline> "),
            Send("add retry logic to the API call\r"),
            Expect("is thinking"),
            // The request has reached the server, which will not answer.
            Sleep(Duration::from_millis(500)),
            Send("\x03"),
            Expect("Cancelled; nothing was applied."),
            ExpectAfter("data-pipeline> ", "Cancelled; nothing was applied."),
            Send("/history\r"),
            ExpectNew("v1"),
            Send("/exit\r"),
        ],
    );
    session.expect_exit(0);
    assert_eq!(server.requests().len(), 1, "{}", session.text());
    // Cancelled at once, not after the server's 60 s.
    let cancelled_at = session.marks[2] - session.marks[1];
    assert!(
        cancelled_at < 10.0,
        "took {cancelled_at}s:\n{}",
        session.text()
    );
    assert_eq!(versions(dir.path(), "data-pipeline"), 1, "nothing applied");
    assert!(
        session.text().contains("(Ctrl-C cancels) · 0s"),
        "the spinner shows how long the model has been thinking:\n{}",
        session.text()
    );
}

/// A home whose `flaky` step fails twice with a Python traceback before it
/// succeeds, and whose `check` step then fails for good with another.
fn home_with_a_flaky_run() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let skills = home.join("skills");
    std::fs::create_dir_all(&skills).expect("skills");
    std::fs::create_dir_all(home.join("workflows")).expect("workflows");
    std::fs::write(
        skills.join("flaky.py"),
        "import os, sys\n\
         count = int(open('count').read()) + 1 if os.path.exists('count') else 1\n\
         open('count', 'w').write(str(count))\n\
         def connect():\n    raise RuntimeError('the server said no (try %d)' % count)\n\
         if count < 3:\n    connect()\n\
         print('{\"data\": \"rows\"}')\n",
    )
    .expect("flaky.py");
    std::fs::write(
        skills.join("check.py"),
        "import sys\n\
         def check(data):\n    raise ValueError('the data has no rows')\n\
         print('checking', file=sys.stderr)\n\
         check(sys.stdin.read())\n",
    )
    .expect("check.py");
    for (name, script, outputs) in [
        ("flaky", "flaky.py", serde_json::json!(["data"])),
        ("check", "check.py", serde_json::json!(["ok"])),
    ] {
        let skill = serde_json::json!({"name": name, "type": "code_inline", "description": name,
            "command": format!("python3 {script}"), "inputs": [], "outputs": outputs});
        std::fs::write(skills.join(format!("{name}.json")), skill.to_string()).expect("skill");
    }
    let workflow = serde_json::json!({
        "name": "flaky-pipeline",
        "steps": [
            { "id": "fetch", "type": "skill", "skill": "flaky", "outputs": ["data"],
              "error_handling": { "strategy": "retry", "max_attempts": 3, "backoff": "fixed", "initial_interval_ms": 300 } },
            { "id": "check", "type": "skill", "skill": "check", "inputs": { "data": "fetch.data" }, "outputs": ["ok"] }
        ]
    });
    std::fs::write(
        home.join("workflows/flaky-pipeline.json"),
        serde_json::to_string_pretty(&workflow).expect("JSON"),
    )
    .expect("workflow");
    dir
}

#[test]
fn a_run_on_a_terminal_shows_each_attempt_its_error_the_wait_and_the_end_of_a_traceback() {
    let dir = home_with_a_flaky_run();
    let session = on_terminal(
        dir.path(),
        &["run", "flaky-pipeline"],
        &[],
        &[
            Expect("fetch: attempt 1/3 failed"),
            Expect("fetch: done in"),
            Expect("check: failed"),
        ],
    );
    session.expect_exit(1);
    let text = session.text();
    for expected in [
        // Each failed attempt: its error's first and last line, and the wait.
        "fetch: attempt 1/3 failed: exited with code 1: Traceback (most recent call last): … RuntimeError: the server said no (try 1); retrying in 300ms",
        "fetch: attempt 2/3 failed: exited with code 1: Traceback (most recent call last): … RuntimeError: the server said no (try 2); retrying in 300ms",
        "fetch: done in",
        "(3 attempts)",
        // The spinner line counts finished steps and the run's time.
        "steps finished",
        "elapsed",
        // The final failure shows the end of its stderr, not its first line.
        "ValueError: the data has no rows",
        "check(sys.stdin.read())",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        text.contains("waiting 300ms before attempt 2/3"),
        "the spinner says it is waiting:\n{text}"
    );
}

#[test]
fn runs_show_prints_the_end_of_a_failed_steps_stderr() {
    let dir = home_with_a_flaky_run();
    let run = |args: &[&str]| plain(dir.path(), args);
    let output = run(&["run", "flaky-pipeline"]);
    assert_eq!(output.status.code(), Some(1));
    let progress = String::from_utf8_lossy(&output.stderr);
    // Without a terminal: plain lines, the same facts.
    for expected in [
        "fetch: running",
        "fetch: attempt 1/3 failed: exited with code 1: Traceback (most recent call last): … RuntimeError: the server said no (try 1); retrying in 300ms",
        "fetch: attempt 2/3",
        "(3 attempts)",
        "check: failed: exited with code 1: checking",
        "    ValueError: the data has no rows",
    ] {
        assert!(
            progress.contains(expected),
            "missing {expected:?} in:\n{progress}"
        );
    }
    let shown = run(&["runs", "flaky-pipeline", "--show", "1"]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    for expected in [
        "attempt 1: ",
        "RuntimeError: the server said no (try 1) (retried after 300ms)",
        "ValueError: the data has no rows",
        "check(sys.stdin.read())",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
}

fn skill_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("home/skills"))
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `qwf refine` on a terminal: add a step that needs a new skill, accept
/// the skill and the change, then leave with `cancel` or `done`.
fn refine_adding_a_notifier(finish: &[pty::Step<'_>]) -> (tempfile::TempDir, pty::Session) {
    let dir = home_with_pipeline();
    let mut steps = vec![
        Expect("[1/2/3/4/5/done/cancel]"),
        Send("1\r"),
        Expect("Describe the step to add"),
        Send("send a slack notification after save\r"),
        Expect("Accept this skill?"),
        Send("y\r"),
        Expect("Apply?"),
        Send("y\r"),
        ExpectAfter("[1/2/3/4/5/done/cancel]", "Apply?"),
    ];
    steps.extend_from_slice(finish);
    let session = on_terminal(dir.path(), &["refine", "data-pipeline"], &[], &steps);
    (dir, session)
}

#[test]
fn refine_cancelled_after_accepting_a_new_skill_writes_nothing() {
    let (dir, session) =
        refine_adding_a_notifier(&[Send("cancel\r"), Expect("Nothing was saved.")]);
    session.expect_exit(3);
    let text = session.text();
    assert!(
        text.contains("+ script skills/notify.py"),
        "the stub script is shown with the skill:\n{text}"
    );
    assert!(
        text.contains("Accepted skill 'notifier'; it is saved with the other changes"),
        "{text}"
    );
    assert_eq!(skill_files(dir.path()), Vec::<String>::new(), "{text}");
    assert_eq!(versions(dir.path(), "data-pipeline"), 1);
}

#[test]
fn refine_done_saves_the_skill_its_stub_script_and_the_change_together() {
    let (dir, session) = refine_adding_a_notifier(&[
        Send("done\r"),
        Expect("Save them as one version?"),
        Send("y\r"),
        Expect("Wrote a stub script"),
    ]);
    session.expect_exit(0);
    assert_eq!(skill_files(dir.path()), vec!["notifier.json", "notify.py"]);
    assert_eq!(versions(dir.path(), "data-pipeline"), 2);
}

#[test]
fn a_workflow_created_offline_gets_stub_scripts_that_preflight_names_by_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let qwf = |args: &[&str]| plain(dir.path(), args);
    let created = qwf(&[
        "create",
        "fetch data from the API, validate it, and save it to the database",
        "--yes",
    ]);
    let shown = String::from_utf8_lossy(&created.stdout);
    assert_eq!(created.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("+ script skills/validate.py: a stub"),
        "the gate shows the stub it will write:\n{shown}"
    );
    let stub_path = home.join("skills/validate.py");
    let stub = std::fs::read_to_string(&stub_path).expect("the stub is written next to the skill");
    assert!(
        stub.contains("os.environ.get(\"QWF_INPUT_DATA\")"),
        "{stub}"
    );
    // The stub runs and fails, saying what to do.
    let ran = std::process::Command::new("python3")
        .arg(&stub_path)
        .output()
        .expect("python3 runs the stub");
    assert_eq!(ran.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&ran.stderr).starts_with("implement me: validate.py"));
    // Preflight lists every stub by path, and runs nothing.
    let run = qwf(&[
        "run",
        "data-pipeline",
        "--set",
        "api_url=https://example.com",
        "--set",
        "table=t",
    ]);
    let error = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{error}");
    assert!(
        error.contains(&format!(
            "skill 'data-validator''s script {} is still the stub qwf wrote",
            stub_path.display()
        )),
        "{error}"
    );
    // Once the user writes the script, that problem is gone.
    std::fs::write(&stub_path, "print('{\"validated\": true}')\n").expect("the real script");
    let again = qwf(&[
        "run",
        "data-pipeline",
        "--dry-run",
        "--set",
        "api_url=x",
        "--set",
        "table=t",
    ]);
    let error = String::from_utf8_lossy(&again.stderr);
    assert!(!error.contains("validate.py is still the stub"), "{error}");
}

/// Runs qwf without a terminal (for setting a scene); asserts exit 0.
fn qwf_plain(dir: &Path, args: &[&str]) -> String {
    let output = plain(dir, args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "qwf {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Applies `modifications` to `workflow`, made for version `base`, with
/// `qwf apply --yes`.
fn apply_plan(dir: &Path, workflow: &str, base: u64, modifications: serde_json::Value) {
    let plan = serde_json::json!({
        "qwf_plan": 1, "workflow": workflow, "base_version": base, "summary": "change",
        "modifications": modifications
    });
    let file = dir.join(format!("{workflow}.plan.json"));
    std::fs::write(&file, plan.to_string()).expect("plan");
    qwf_plain(dir, &["apply", file.to_str().expect("utf-8"), "--yes"]);
}

#[test]
fn merge_on_a_terminal_asks_for_each_conflict_and_shows_both_sides_on_request() {
    let dir = home_with_pipeline();
    qwf_plain(dir.path(), &["branch", "data-pipeline", "experiment"]);
    for (workflow, base, table, timeout) in [
        ("experiment", 1, "branch_table", 10),
        ("data-pipeline", 1, "main_table", 20),
    ] {
        apply_plan(
            dir.path(),
            workflow,
            base,
            serde_json::json!([
                { "type": "modify_step", "id": "save", "changes": { "timeout_secs": timeout } },
                { "type": "set_context", "key": "table", "value": table }
            ]),
        );
    }
    let session = on_terminal(
        dir.path(),
        &["merge", "experiment", "into", "data-pipeline"],
        &[],
        &[
            Expect("Conflict 1/2: context.table"),
            Expect("[ours/theirs/both]"),
            Send("both\r"),
            Expect("the common base:"),
            ExpectAfter("[ours/theirs/both]", "the common base:"),
            Send("theirs\r"),
            Expect("Conflict 2/2: step 'save', timeout_secs"),
            ExpectAfter("[ours/theirs/both]", "Conflict 2/2"),
            Send("ours\r"),
            Expect("Merge? [y/n]"),
            Send("y\r"),
            Expect("Merged 'experiment' into 'data-pipeline'"),
        ],
    );
    session.expect_exit(0);
    let text = session.text();
    let both = &text[text.find("both\n").unwrap_or(0)..];
    assert!(
        both.contains("ours ('data-pipeline'):\n    \"main_table\"")
            && both.contains("theirs ('experiment'):\n    \"branch_table\""),
        "both sides shown:\n{text}"
    );
    let current: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("home/workflows/data-pipeline.json"))
            .expect("current"),
    )
    .expect("JSON");
    assert_eq!(current["context"]["readonly"]["table"], "branch_table");
    assert_eq!(current["steps"][2]["timeout_secs"], 20);
    let history = qwf_plain(dir.path(), &["history", "data-pipeline"]);
    assert!(
        history.contains("context.table → theirs, step 'save' timeout_secs → ours"),
        "{history}"
    );
}

#[test]
fn merge_on_a_terminal_stops_cleanly_when_the_user_gives_no_side() {
    let dir = home_with_pipeline();
    qwf_plain(dir.path(), &["branch", "data-pipeline", "experiment"]);
    for (workflow, timeout) in [("experiment", 10), ("data-pipeline", 20)] {
        apply_plan(
            dir.path(),
            workflow,
            1,
            serde_json::json!([{ "type": "modify_step", "id": "save", "changes": { "timeout_secs": timeout } }]),
        );
    }
    let before = versions(dir.path(), "data-pipeline");
    let session = on_terminal(
        dir.path(),
        &["merge", "experiment", "into", "data-pipeline"],
        &[],
        &[
            Expect("[ours/theirs/both]"),
            Send("\x04"),
            Expect("Nothing changed."),
        ],
    );
    session.expect_exit(3);
    assert_eq!(versions(dir.path(), "data-pipeline"), before);
}

#[test]
fn chat_keeps_the_workflow_chosen_in_an_answer_and_runs_a_slash_command_typed_at_the_question() {
    let dir = home_with_two_workflows();
    let session = on_terminal(
        dir.path(),
        &["chat"],
        &[],
        &[
            Expect("qwf> "),
            Send("add retry logic to the API call\r"),
            Expect("Which workflow do you mean"),
            ExpectAfter("> ", "Which workflow do you mean"),
            // A command at the question runs, then the question comes back.
            Send("/list\r"),
            ExpectAfter("reports", "/list"),
            ExpectAfter("Which workflow do you mean", "/list"),
            ExpectAfter("> ", "Which workflow do you mean"),
            Send("data-pipeline\r"),
            Expect("Apply?"),
            Send("y\r"),
            Expect("Talking about 'data-pipeline' from now on."),
            ExpectAfter("data-pipeline> ", "from now on."),
            // The next request is about it without asking again.
            Send("increase the fetch timeout to 30 seconds\r"),
            ExpectAfter("Apply?", "increase the fetch timeout"),
            Send("y\r"),
            ExpectAfter("data-pipeline> ", "increase the fetch timeout"),
            Send("/exit\r"),
        ],
    );
    session.expect_exit(0);
    let text = session.text();
    let later = &text[text.find("increase the fetch timeout").expect("typed")..];
    assert!(!later.contains("Which workflow"), "asked again:\n{text}");
    assert_eq!(versions(dir.path(), "data-pipeline"), 3, "{text}");
    assert!(versions(dir.path(), "reports") <= 1, "{text}");
}

#[test]
fn exit_typed_at_a_question_leaves_the_chat_without_an_answer() {
    let dir = home_with_two_workflows();
    let session = on_terminal(
        dir.path(),
        &["chat"],
        &[],
        &[
            Expect("qwf> "),
            Send("add retry logic to the API call\r"),
            Expect("Which workflow do you mean"),
            ExpectAfter("> ", "Which workflow do you mean"),
            Send("/exit\r"),
        ],
    );
    session.expect_exit(0);
    assert!(versions(dir.path(), "data-pipeline") <= 1);
}
