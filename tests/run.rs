//! `qwf run` through the real binary: real processes as skills (small
//! shell and Python scripts written into a temporary QWF_HOME), real
//! timing, real signals. Timing checks are lower bounds with slack, since
//! the machine may be busy.

#[path = "support/mock_http.rs"]
mod mock_http;
#[path = "support/runner.rs"]
mod runner;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use runner::{Home, Output, pid_in, read_floats, step, wait_until_dead};

/// How soon a stopped step's processes must be gone.
const STOPPED_WITHIN: Duration = Duration::from_secs(5);

#[test]
fn a_step_that_fails_twice_succeeds_on_the_third_attempt_after_backoff() {
    let home = Home::new();
    home.script(
        "flaky.py",
        "import sys, time\n\
         with open('attempts.log', 'a') as log: log.write(f'{time.time()}\\n')\n\
         count = len(open('attempts.log').read().split())\n\
         if count < 3:\n    print('not yet', file=sys.stderr); sys.exit(1)\n\
         print('{\"data\": \"ok\", \"attempt\": %d}' % count)\n",
    );
    home.skill("flaky", "python3 flaky.py", &["data"]);
    home.workflow(json!({"name": "flaky", "steps": [
        {"id": "fetch", "type": "skill", "skill": "flaky", "outputs": ["data"],
         "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential",
                            "initial_interval_ms": 150, "backoff_coefficient": 2.0}}]}));
    let (code, record) = home.run_json(&["flaky"]);
    assert_eq!(code, 0, "{record:#}");
    let fetch = step(&record, "fetch");
    assert_eq!(fetch["status"], "succeeded");
    assert_eq!(fetch["outputs"]["data"], "ok");
    assert_eq!(fetch["outputs"]["attempt"], 3, "extra keys are kept");
    let attempts = fetch["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3);
    assert_eq!(attempts[0]["error_kind"], "exit_code:1");
    assert!(
        attempts[0]["error"].as_str().unwrap().contains("not yet"),
        "stderr tail: {fetch:#}"
    );
    assert_eq!(attempts[0]["retry_after_ms"], 150);
    assert_eq!(attempts[1]["retry_after_ms"], 300);
    let times = read_floats(&home.skills().join("attempts.log"));
    assert_eq!(times.len(), 3);
    let (first_gap, second_gap) = (times[1] - times[0], times[2] - times[1]);
    assert!(first_gap >= 0.150 - 0.02, "first wait {first_gap}s");
    // Exponential growth is asserted by the recorded delays (150, 300) and
    // these lower bounds; comparing the two gaps directly would also
    // compare python3's start-up times, which vary on a loaded machine.
    assert!(second_gap >= 0.300 - 0.02, "second wait {second_gap}s");
}

#[test]
fn non_retryable_kinds_stop_retrying_and_missing_outputs_are_bad_output() {
    let home = Home::new();
    home.script("count.sh", "echo x >> tries.log\nexit 2\n");
    home.skill("strict", "sh count.sh", &[]);
    home.skill("partial", "echo '{\"a\": 1}'", &["a", "b"]);
    home.workflow(json!({"name": "strict", "steps": [
        {"id": "once", "type": "skill", "skill": "strict",
         "error_handling": {"strategy": "retry", "max_attempts": 5, "initial_interval_ms": 10,
                            "non_retryable": ["exit_code:2"]}}]}));
    home.workflow(json!({"name": "partial", "steps": [
        {"id": "half", "type": "skill", "skill": "partial", "outputs": ["a", "b"]}]}));
    let (code, record) = home.run_json(&["strict"]);
    assert_eq!(code, 1);
    assert_eq!(
        step(&record, "once")["attempts"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        std::fs::read_to_string(home.skills().join("tries.log"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    let (code, record) = home.run_json(&["partial"]);
    assert_eq!(code, 1);
    let half = step(&record, "half");
    assert_eq!(half["attempts"][0]["error_kind"], "bad_output");
    assert!(
        half["error"].as_str().unwrap().contains("no key 'b'"),
        "{half:#}"
    );
}

#[test]
fn a_timeout_kills_the_step_and_its_grandchildren() {
    let home = Home::new();
    home.script(
        "spawn.sh",
        "sleep 60 &\necho $! > grandchild.pid\necho $$ > child.pid\nsleep 60\n",
    );
    home.skill("slow", "sh spawn.sh", &[]);
    home.workflow(json!({"name": "slow", "steps": [
        {"id": "wait", "type": "skill", "skill": "slow", "timeout_secs": 1}]}));
    let started = Instant::now();
    let (code, record) = home.run_json(&["slow"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 1, "{record:#}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(950), "took {elapsed:?}");
    let wait = step(&record, "wait");
    assert_eq!(wait["status"], "failed");
    assert_eq!(wait["attempts"][0]["error_kind"], "timeout");
    for file in ["child.pid", "grandchild.pid"] {
        let pid = pid_in(&home.skills().join(file));
        assert!(
            wait_until_dead(pid, STOPPED_WITHIN),
            "{file} ({pid}) still runs"
        );
    }
}

#[test]
fn continue_and_fallback_keep_the_workflow_going() {
    let home = Home::new();
    home.skill("broken", "sh -c 'echo boom >&2; exit 3'", &["out"]);
    home.skill("cached", "echo cached-value", &["out"]);
    home.skill("show", "python3 -c \"import json,sys; print(json.dumps({'seen': json.load(sys.stdin)['value']}))\"", &["seen"]);
    home.workflow(json!({"name": "resilient", "steps": [
        {"id": "optional", "type": "skill", "skill": "broken", "outputs": ["out"],
         "error_handling": {"strategy": "continue"}},
        {"id": "fetch", "type": "skill", "skill": "broken", "outputs": ["out"],
         "error_handling": {"strategy": "fallback", "fallback": "from-cache"}},
        {"id": "from-cache", "type": "skill", "skill": "cached", "outputs": ["out"]},
        {"id": "use", "type": "skill", "skill": "show", "inputs": {"value": "fetch.out"}, "outputs": ["seen"]}]}));
    let (code, record) = home.run_json(&["resilient"]);
    assert_eq!(code, 0, "{record:#}");
    assert_eq!(record["status"], "succeeded");
    assert_eq!(step(&record, "optional")["status"], "continued");
    assert!(
        step(&record, "optional")["error"]
            .as_str()
            .unwrap()
            .contains("boom")
    );
    assert_eq!(step(&record, "fetch")["status"], "fell_back");
    assert_eq!(step(&record, "from-cache")["status"], "succeeded");
    assert_eq!(step(&record, "use")["outputs"]["seen"], "cached-value");

    // Reading an output of a step that was continued past is an error that says so.
    home.workflow(json!({"name": "reads-failed", "steps": [
        {"id": "optional", "type": "skill", "skill": "broken", "outputs": ["out"],
         "error_handling": {"strategy": "continue"}},
        {"id": "use", "type": "skill", "skill": "show", "inputs": {"value": "optional.out"}, "outputs": ["seen"]}]}));
    let output = home.qwf(&["run", "reads-failed"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("step 'optional' failed and was continued past; it has no output 'out'"),
        "{}",
        output.stderr
    );
}

#[test]
fn parallel_steps_overlap_in_time() {
    let home = Home::new();
    home.script(
        "stamp.py",
        "import os, time\nstart = time.time()\ntime.sleep(0.6)\n\
         open(os.environ['QWF_STEP_ID'] + '.times', 'w').write(f'{start} {time.time()}')\n",
    );
    home.skill("stamp", "python3 stamp.py", &[]);
    home.workflow(json!({"name": "fan-out", "steps": [
        {"id": "together", "type": "parallel", "steps": [
            {"id": "one", "type": "skill", "skill": "stamp"},
            {"id": "two", "type": "skill", "skill": "stamp"},
            {"id": "three", "type": "skill", "skill": "stamp"}]}]}));
    let (code, record) = home.run_json(&["fan-out"]);
    assert_eq!(code, 0, "{record:#}");
    let spans: Vec<Vec<f64>> = ["one", "two", "three"]
        .iter()
        .map(|id| read_floats(&home.skills().join(format!("{id}.times"))))
        .collect();
    let latest_start = spans.iter().map(|span| span[0]).fold(f64::MIN, f64::max);
    let earliest_end = spans.iter().map(|span| span[1]).fold(f64::MAX, f64::min);
    assert!(
        latest_start < earliest_end,
        "all three ran at the same time: {spans:?}"
    );
    assert_eq!(step(&record, "together")["status"], "succeeded");
}

#[test]
fn a_conditional_takes_either_branch_and_set_overrides_the_context() {
    let home = Home::new();
    home.skill(
        "echo",
        "python3 -c \"import os; print(os.environ['QWF_INPUT_TEXT'])\"",
        &["text"],
    );
    home.workflow(json!({"name": "branching", "steps": [
        {"id": "check", "type": "skill", "skill": "echo", "inputs": {"text": "context.mode"}, "outputs": ["text"]},
        {"id": "choose", "type": "conditional", "condition": "check.text == 'full' && context.limit > 2",
         "then": [{"id": "full", "type": "skill", "skill": "echo", "inputs": {"text": "ran full"}, "outputs": ["text"]}],
         "else": [{"id": "quick", "type": "skill", "skill": "echo", "inputs": {"text": "ran quick"}, "outputs": ["text"]}]}],
        "context": {"readonly": {"mode": "full", "limit": 5}}}));
    let (code, record) = home.run_json(&["branching"]);
    assert_eq!(code, 0, "{record:#}");
    assert_eq!(step(&record, "full")["outputs"]["text"], "ran full");
    assert_eq!(step(&record, "quick")["status"], "skipped");

    let (code, record) = home.run_json(&["branching", "--set", "limit=1"]);
    assert_eq!(code, 0, "{record:#}");
    assert_eq!(
        record["overrides"]["limit"], 1,
        "the value was read as JSON"
    );
    assert_eq!(step(&record, "full")["status"], "skipped");
    assert_eq!(step(&record, "quick")["outputs"]["text"], "ran quick");
    assert_eq!(step(&record, "choose")["outputs"]["branch"], "else");

    let (_, record) = home.run_json(&["branching", "--set", "mode=quick"]);
    assert_eq!(
        step(&record, "check")["outputs"]["text"],
        "quick",
        "a non-JSON value is text"
    );

    let output = home.qwf(&["run", "branching", "--set", "limt=1"]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains("did you mean 'limit'?"),
        "{}",
        output.stderr
    );
}

#[test]
fn preflight_failures_run_nothing() {
    let home = Home::new();
    home.skill("touch", "touch ran.txt", &[]);
    home.workflow(json!({"name": "broken", "steps": [
        {"id": "first", "type": "skill", "skill": "touch"},
        {"id": "missing", "type": "skill", "skill": "no-such-skill"},
        {"id": "think", "type": "agent", "agent": "reviewer", "outputs": ["verdict"]},
        {"id": "gate", "type": "conditional", "condition": "first.x = 1", "then": []}]}));
    let output = home.qwf(&["run", "broken"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    for needle in [
        "cannot run: 5 problems",
        "skill 'no-such-skill', which does not exist",
        "uses agent 'reviewer', which was not found",
        "step 'think' needs a model (agent 'reviewer'), but the provider is 'offline'",
        "compare with '=='",
        "--provider",
    ] {
        assert!(
            output.stderr.contains(needle),
            "{needle}: {}",
            output.stderr
        );
    }
    assert!(!home.skills().join("ran.txt").exists(), "nothing ran");
    assert!(
        !home.root.join("runs/broken").exists(),
        "no run was recorded"
    );

    // A program that is not installed, or a script that is not next to the
    // skill, is found before anything runs.
    home.skill("validate", "python3 validate.py", &[]);
    home.skill("ghost", "no-such-program-qwf --flag", &[]);
    home.workflow(json!({"name": "unready", "steps": [
        {"id": "first", "type": "skill", "skill": "touch"},
        {"id": "check", "type": "skill", "skill": "validate"},
        {"id": "boo", "type": "skill", "skill": "ghost"}]}));
    let output = home.qwf(&["run", "unready"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        output.stderr.contains("its script 'validate.py' is not in")
            && output
                .stderr
                .contains("'no-such-program-qwf' is not an installed program"),
        "{}",
        output.stderr
    );
    assert!(!home.skills().join("ran.txt").exists(), "nothing ran");

    // A placeholder the planner left in the context stops the run, unless
    // --set gives this run a value.
    home.workflow(json!({"name": "unfinished",
        "steps": [{"id": "first", "type": "skill", "skill": "touch", "inputs": {"table": "context.table"}}],
        "context": {"readonly": {"table": "TODO: the table name"}}}));
    let output = home.qwf(&["run", "unfinished"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("context value 'table' is still a placeholder (TODO: the table name)")
            && output.stderr.contains("--set table="),
        "{}",
        output.stderr
    );
    assert!(!home.skills().join("ran.txt").exists(), "nothing ran");
    let output = home.qwf(&["run", "unfinished", "--set", "table=events", "--dry-run"]);
    assert_eq!(output.code, 0, "{}", output.stderr);

    // A dry run of a sound workflow shows the plan and runs nothing.
    home.workflow(
        json!({"name": "fine", "steps": [{"id": "first", "type": "skill", "skill": "touch"}]}),
    );
    let output = home.qwf(&["run", "fine", "--dry-run"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output.stdout.contains("Preflight passed"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("first skill touch: touch ran.txt"),
        "{}",
        output.stdout
    );
    assert!(
        !home.skills().join("ran.txt").exists(),
        "a dry run runs nothing"
    );
}

#[test]
fn ctrl_c_stops_running_steps_and_records_the_run_as_cancelled() {
    interrupted_by("-INT");
}

/// What `timeout`, systemd or a CI cancel send: treated like Ctrl-C.
#[test]
fn sigterm_stops_running_steps_like_ctrl_c() {
    interrupted_by("-TERM");
}

fn interrupted_by(signal: &str) {
    let home = Home::new();
    home.script("hang.sh", "echo $$ > hang.pid\nsleep 60\n");
    home.skill("hang", "sh hang.sh", &[]);
    home.skill("after", "touch after.txt", &[]);
    home.workflow(json!({"name": "hang", "steps": [
        {"id": "wait", "type": "skill", "skill": "hang"},
        {"id": "later", "type": "skill", "skill": "after"}]}));
    let started = Instant::now();
    let child = home.command(&["run", "hang"]).spawn().expect("qwf starts");
    let pid_file = home.skills().join("hang.pid");
    while !pid_file.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("qwf finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(stderr.contains("cancelled"), "{stderr}");
    let step_pid = pid_in(&pid_file);
    assert!(
        wait_until_dead(step_pid, STOPPED_WITHIN),
        "the step's process was stopped"
    );
    assert!(
        !home.skills().join("after.txt").exists(),
        "nothing ran after Ctrl-C"
    );
    let listed = home.qwf(&["--json", "runs", "hang"]);
    let runs: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(runs["runs"][0]["status"], "cancelled");
    let shown = home.qwf(&["--json", "runs", "hang", "--show", "1"]);
    let record: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(step(&record, "wait")["status"], "cancelled");
    assert_eq!(step(&record, "later")["status"], "cancelled");
}

#[test]
fn runs_lists_newest_first_and_shows_one() {
    let home = Home::new();
    home.skill("ok", "echo fine", &["text"]);
    home.workflow(json!({"name": "simple", "steps": [{"id": "only", "type": "skill", "skill": "ok", "outputs": ["text"]}]}));
    let output = home.qwf(&["runs", "simple"]);
    assert!(
        output.stdout.contains("has not been run yet"),
        "{}",
        output.stdout
    );
    for _ in 0..2 {
        let output = home.qwf(&["run", "simple"]);
        assert_eq!(output.code, 0, "{}", output.stderr);
        assert!(
            output.stderr.contains("only: done in"),
            "progress lines: {}",
            output.stderr
        );
    }
    let output = home.qwf(&["runs", "simple"]);
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert!(lines[1].starts_with("2 "), "{}", output.stdout);
    assert!(lines[2].starts_with("1 "), "{}", output.stdout);
    let output = home.qwf(&["runs", "simple", "--show", "2"]);
    assert!(
        output.stdout.contains("Run 2 of simple v1: succeeded"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("text = \"fine\""),
        "{}",
        output.stdout
    );
    let output = home.qwf(&["runs", "simple", "--show", "9"]);
    assert_eq!(output.code, 1);
    assert!(output.stderr.contains("no run '9'"), "{}", output.stderr);
}

/// Runs `workflow` with an OpenAI-compatible mock model on 127.0.0.1 that
/// answers `content`.
fn run_with_model(home: &Home, workflow: &str, content: &str) -> (mock_http::MockServer, Output) {
    let reply = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    });
    let server = mock_http::MockServer::start(200, reply);
    let base_url = format!("{}/v1", server.url);
    let env = [
        ("QWF_BASE_URL", base_url.as_str()),
        ("QWF_MODEL", "test-model"),
    ];
    let output = home.qwf_with(
        &["--json", "run", workflow, "--provider", "openai-compatible"],
        &env,
    );
    (server, output)
}

#[test]
fn a_model_step_asks_the_configured_provider() {
    let home = Home::new();
    let skill = json!({"name": "summarize", "type": "prompt_inline", "description": "summarize",
                       "command": "Summarize the text in one line.", "inputs": ["text"], "outputs": ["summary"]});
    std::fs::write(home.skills().join("summarize.json"), skill.to_string()).unwrap();
    home.workflow(json!({"name": "digest", "steps": [
        {"id": "sum", "type": "skill", "skill": "summarize", "inputs": {"text": "context.body"}, "outputs": ["summary"]}],
        "context": {"readonly": {"body": "a long text"}}}));
    let (server, output) =
        run_with_model(&home, "digest", "```json\n{\"summary\": \"short\"}\n```");
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    let record: Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(step(&record, "sum")["outputs"]["summary"], "short");
    let request = server.only_request().json();
    let sent = request["messages"].to_string();
    assert!(sent.contains("Summarize the text in one line."), "{sent}");
    assert!(
        sent.contains("a long text"),
        "the inputs went as JSON: {sent}"
    );
}

#[test]
fn an_agent_step_runs_with_the_discovered_agents_instructions() {
    let home = Home::new();
    let agents = home.root.parent().unwrap().join(".aws/amazonq/cli-agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(
        agents.join("reviewer.json"),
        json!({"name": "reviewer", "description": "Reviews changes",
               "prompt": "You review pull requests strictly.", "tools": ["fs_read"]})
        .to_string(),
    )
    .unwrap();
    home.workflow(json!({"name": "review", "steps": [
        {"id": "think", "type": "agent", "agent": "reviewer", "description": "Judge the change",
         "inputs": {"diff": "context.diff"}, "outputs": ["verdict"]}],
        "context": {"readonly": {"diff": "+ one line"}}}));
    let (server, output) = run_with_model(&home, "review", "{\"verdict\": \"approve\"}");
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    let record: Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(step(&record, "think")["outputs"]["verdict"], "approve");
    let sent = server.only_request().json()["messages"].to_string();
    assert!(
        sent.contains("You review pull requests strictly."),
        "{sent}"
    );
    assert!(sent.contains("Judge the change"), "{sent}");
}

#[test]
fn a_large_input_reaches_the_step_on_stdin() {
    let home = Home::new();
    home.skill("big", "python3 -c \"print('x' * 200000)\"", &["text"]);
    home.skill(
        "measure",
        "python3 -c \"import json, sys; print(len(json.load(sys.stdin)['text']))\"",
        &["length"],
    );
    home.workflow(json!({"name": "large", "steps": [
        {"id": "make", "type": "skill", "skill": "big", "outputs": ["text"]},
        {"id": "count", "type": "skill", "skill": "measure", "inputs": {"text": "make.text"}, "outputs": ["length"]}]}));
    let output = home.qwf(&["--json", "run", "large"]);
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    let record: Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(step(&record, "count")["outputs"]["length"], "200000");
}

#[test]
fn a_workflow_the_offline_planner_created_runs() {
    let home = Home::new();
    let source = home.root.parent().unwrap().join("greeting.txt");
    std::fs::write(&source, "hello from a file\n").unwrap();
    let request = format!("download file://{}", source.display());
    let output = home.qwf(&["create", &request, "--name", "greet", "--yes"]);
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    let output = home.qwf(&["--json", "run", "greet"]);
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    let record: Value = serde_json::from_str(&output.stdout).unwrap();
    let fetched = record["steps"][0]["outputs"].to_string();
    assert!(fetched.contains("hello from a file"), "{record}");
}

#[test]
fn a_parallel_steps_own_timeout_is_a_timeout() {
    let home = Home::new();
    home.skill("short", "sleep 0.2", &[]);
    home.skill("long", "sleep 30", &[]);
    home.workflow(
        json!({"name": "pt", "steps": [{"id": "p", "type": "parallel", "timeout_secs": 1,
        "error_handling": {"strategy": "retry", "max_attempts": 3, "initial_interval_ms": 10,
                           "non_retryable": ["timeout"]},
        "steps": [{"id": "a", "type": "skill", "skill": "short"},
                  {"id": "x", "type": "skill", "skill": "long"}]}]}),
    );
    let started = Instant::now();
    let output = home.qwf(&["--json", "run", "pt"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(started.elapsed() < Duration::from_secs(10), "not retried");
    let record: Value = serde_json::from_str(&output.stdout).unwrap();
    let attempts = step(&record, "p")["attempts"].as_array().unwrap().clone();
    assert_eq!(attempts.len(), 1, "{record}");
    assert_eq!(attempts[0]["error_kind"], "timeout", "{record}");
}

/// A script that leaves behind a descendant which escapes the step's
/// process group (`setsid` after a double fork, so its parent is gone) and
/// keeps the step's stdout open; then exits (`exit`) or hangs (`hang`).
const ESCAPE: &str = "import os, sys, time\n\
if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        \
open('escaped.pid', 'w').write(str(os.getpid()))\n        time.sleep(60)\n    os._exit(0)\n\
os.wait()\n\
while not os.path.exists('escaped.pid'): time.sleep(0.01)\n\
if sys.argv[1] == 'hang': time.sleep(60)\n\
print('left')\n";

fn escaped_pid(home: &Home) -> i32 {
    pid_in(&home.skills().join("escaped.pid"))
}

#[test]
fn a_setsid_descendant_holding_stdout_is_stopped_at_the_timeout_and_the_run_ends_on_time() {
    let home = Home::new();
    home.script("escape.py", ESCAPE);
    home.skill("escape", "python3 escape.py hang", &["text"]);
    home.workflow(json!({"name": "escape", "steps": [
        {"id": "wait", "type": "skill", "skill": "escape", "timeout_secs": 1}]}));
    let started = Instant::now();
    let (code, record) = home.run_json(&["escape"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 1, "{record:#}");
    assert!(
        elapsed < Duration::from_secs(6),
        "the deadline held: {elapsed:?}"
    );
    assert_eq!(
        step(&record, "wait")["attempts"][0]["error_kind"],
        "timeout"
    );
    let pid = escaped_pid(&home);
    assert!(
        wait_until_dead(pid, STOPPED_WITHIN),
        "the escaped process {pid} still runs"
    );
}

#[test]
fn a_setsid_descendant_left_behind_by_a_finished_step_is_stopped() {
    let home = Home::new();
    home.script("escape.py", ESCAPE);
    home.skill("escape", "python3 escape.py exit", &["text"]);
    home.workflow(json!({"name": "escape", "steps": [
        {"id": "leave", "type": "skill", "skill": "escape", "timeout_secs": 30}]}));
    let started = Instant::now();
    let (code, record) = home.run_json(&["escape"]);
    assert_eq!(code, 0, "{record:#}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the run did not wait for the held pipe: {:?}",
        started.elapsed()
    );
    assert_eq!(step(&record, "leave")["outputs"]["text"], "left");
    let pid = escaped_pid(&home);
    assert!(
        wait_until_dead(pid, STOPPED_WITHIN),
        "the escaped process {pid} still runs"
    );
}

#[test]
fn a_timeout_past_what_a_clock_holds_is_a_validation_error_not_a_panic() {
    let home = Home::new();
    home.skill("ok", "echo fine", &[]);
    home.workflow(json!({"name": "forever", "steps": [
        {"id": "only", "type": "skill", "skill": "ok", "timeout_secs": 18446744073709551615u64,
         "error_handling": {"strategy": "retry", "max_attempts": 2,
                            "initial_interval_ms": 18446744073709551615u64}}]}));
    let output = home.qwf(&["validate", "forever"]);
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    let shown = format!("{}{}", output.stdout, output.stderr);
    assert!(shown.contains("more than the limit"), "{shown}");
    let output = home.qwf(&["run", "forever"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("timeout of 18446744073709551615 seconds"),
        "{}",
        output.stderr
    );
}

/// Processes the user `uid` runs now (RLIMIT_NPROC counts them all).
fn processes_of(uid: u32) -> u64 {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let name = entry.ok()?.file_name();
            name.to_str()?.parse::<u32>().ok()?;
            let status =
                std::fs::read_to_string(format!("/proc/{}/status", name.to_str()?)).ok()?;
            let line = status.lines().find(|line| line.starts_with("Uid:"))?;
            (line.split_whitespace().nth(1)?.parse::<u32>().ok()? == uid).then_some(())
        })
        .count() as u64
}

#[test]
fn many_parallel_steps_under_a_process_limit_fail_cleanly() {
    use std::os::unix::process::CommandExt;
    let home = Home::new();
    home.skill("nap", "sleep 0.3", &[]);
    let children: Vec<Value> = (0..300)
        .map(|n| json!({"id": format!("s{n}"), "type": "skill", "skill": "nap"}))
        .collect();
    home.workflow(json!({"name": "wide", "steps": [
        {"id": "all", "type": "parallel", "steps": children}]}));
    // Root is exempt from RLIMIT_NPROC: the run then goes as `nobody`.
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let uid = if root {
        65534
    } else {
        unsafe { libc::getuid() }
    };
    if root {
        let mut chmod = Command::new("chmod");
        chmod.args(["-R", "a+rwX"]).arg(home.root.parent().unwrap());
        assert!(chmod.status().unwrap().success());
    }
    // Room for qwf and a few threads and steps, far from 300 at once.
    let limit = processes_of(uid) + 24;
    let mut command = home.command(&["--json", "run", "wide"]);
    // SAFETY: setrlimit/setgid/setuid are async-signal-safe system calls.
    unsafe {
        command.pre_exec(move || {
            let cap = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_NPROC, &cap) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if root && (libc::setgid(65534) != 0 || libc::setuid(65534) != 0) {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = command.output().expect("qwf runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let code = output.status.code();
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}: {stderr}");
    let record: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {stderr}"));
    let steps = record["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 301, "every step has a record");
    let failed: Vec<&Value> = steps
        .iter()
        .filter(|step| step["status"] == "failed" && step["type"] == "skill")
        .collect();
    for step in &failed {
        assert_eq!(step["attempts"][0]["error_kind"], "spawn", "{step:#}");
        assert!(
            step["error"].as_str().unwrap().contains("cannot start"),
            "{step:#}"
        );
    }
    assert!(
        !failed.is_empty(),
        "with room for {limit} processes some of 300 steps could not start"
    );
    assert_eq!(record["status"], "failed");
}

#[test]
fn a_run_killed_outright_is_listed_as_interrupted_and_its_steps_stop() {
    let home = Home::new();
    home.script("hang.sh", "echo $$ > hang.pid\nsleep 60\n");
    home.skill("hang", "sh hang.sh", &[]);
    home.workflow(
        json!({"name": "hang", "steps": [{"id": "wait", "type": "skill", "skill": "hang"}]}),
    );
    let mut child = home.command(&["run", "hang"]).spawn().expect("qwf starts");
    let pid_file = home.skills().join("hang.pid");
    let started = Instant::now();
    while !pid_file.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let listed = home.qwf(&["--json", "runs", "hang"]);
    let runs: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(runs["runs"][0]["status"], "running");
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let listed = home.qwf(&["--json", "runs", "hang"]);
    let runs: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(runs["runs"][0]["status"], "interrupted", "{runs:#}");
    let shown = home.qwf(&["runs", "hang"]);
    assert!(shown.stdout.contains("interrupted"), "{}", shown.stdout);
    let step_pid = pid_in(&pid_file);
    assert!(
        wait_until_dead(step_pid, STOPPED_WITHIN),
        "the step's process outlived its runner"
    );
}

/// `qwf step`: one attempt in, the outputs or the classified failure and
/// qwf's retry decision out; conditions and group failures decided too.
#[test]
fn qwf_step_runs_one_attempt_and_decides_its_retry() {
    let home = Home::new();
    let ask = |request: Value| -> Value {
        let mut command = home.command(&["step"]);
        command.stdin(Stdio::piped());
        let mut child = command.spawn().expect("qwf step starts");
        std::io::Write::write_all(
            &mut child.stdin.take().unwrap(),
            request.to_string().as_bytes(),
        )
        .unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let skill = json!({"name": "greet", "type": "code_inline", "command":
        "python3 -c \"import json,sys; print(json.dumps({'text': 'hi ' + json.load(sys.stdin)['who']}))\"",
        "outputs": ["text"]});
    let answer = ask(json!({"kind": "attempt", "attempt": 1,
        "step": {"id": "say", "type": "skill", "skill": "greet", "inputs": {"who": "ask.name"}, "outputs": ["text"]},
        "skill": skill, "reads": ["ask"],
        "available": {"ask": {"state": "outputs", "outputs": {"name": "ada"}}}}));
    assert_eq!(answer["outcome"], "succeeded", "{answer:#}");
    assert_eq!(answer["outputs"]["text"], "hi ada");
    assert_eq!(answer["record"]["exit_code"], 0);

    let failing = json!({"name": "fail", "type": "code_inline", "command": "sh -c 'exit 4'"});
    let step = |handling: Value| {
        json!({"kind": "attempt", "attempt": 2, "skill": failing,
        "step": {"id": "f", "type": "skill", "skill": "fail", "error_handling": handling}})
    };
    let answer = ask(step(
        json!({"strategy": "retry", "max_attempts": 5, "backoff": "linear",
        "initial_interval_ms": 100}),
    ));
    assert_eq!(answer["failure"]["kind"], "exit_code:4", "{answer:#}");
    assert_eq!(
        answer["retry_after_ms"], 200,
        "linear: 2 × initial after attempt 2"
    );
    let answer = ask(step(json!({"strategy": "retry", "max_attempts": 5,
        "non_retryable": ["exit_code"]})));
    assert!(
        answer["retry_after_ms"].is_null(),
        "the family covers exit_code:4"
    );

    let answer = ask(json!({"kind": "attempt", "attempt": 1, "skill": failing,
        "step": {"id": "r", "type": "skill", "skill": "fail", "inputs": {"x": "gone.out"}},
        "reads": ["gone"], "available": {"gone": {"state": "continued"}}}));
    assert_eq!(answer["failure"]["kind"], "input");
    assert!(
        answer["failure"]["message"]
            .as_str()
            .unwrap()
            .contains("continued past")
    );

    let answer = ask(
        json!({"kind": "condition", "step_id": "c", "condition": "n.count > 3",
        "reads": ["n"], "available": {"n": {"state": "outputs", "outputs": {"count": "5"}}}}),
    );
    assert_eq!(answer["branch"], "then");

    let output = home.qwf(&["step"]);
    assert_eq!(output.code, 2, "an empty request is a usage error");
    assert!(
        output.stderr.contains("not a qwf step request"),
        "{}",
        output.stderr
    );
}
