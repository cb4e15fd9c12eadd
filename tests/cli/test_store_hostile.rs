//! The store against races, hand edits at the wrong moment, failures after
//! the commit point, a home that cannot be written, and files that are not
//! files: each reproduces the attack against the real binary.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestEnv, three_versions};

/// An interactive `qwf` waiting for its answer, and what it prints on
/// stderr from then on.
struct Asking {
    child: Child,
    stderr: std::thread::JoinHandle<Vec<u8>>,
}

/// Starts an interactive `qwf` and waits until it asks its question.
fn asking(env: &TestEnv, args: &[&str]) -> Asking {
    let mut child = env
        .process(args)
        .env("QWF_INTERACTIVE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qwf starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains("Proceed?") {
        match stderr.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => panic!(
                "qwf ended before asking:\n{}",
                String::from_utf8_lossy(&seen)
            ),
        }
    }
    // Keep reading the rest in the background so the child never blocks.
    let stderr = std::thread::spawn(move || {
        let mut rest = Vec::new();
        let _ = stderr.read_to_end(&mut rest);
        rest
    });
    Asking { child, stderr }
}

/// Answers the question and returns the exit code and what was printed on
/// stdout and stderr.
fn answer(asking: Asking, text: &str) -> (i32, String, String) {
    let Asking { mut child, stderr } = asking;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("answer");
    let output = child.wait_with_output().expect("qwf ends");
    let stderr = stderr.join().expect("stderr read");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn set_timeout_plan(env: &TestEnv, base: u64, seconds: u64) -> String {
    env.plan(
        &format!("timeout-{seconds}.plan.json"),
        "data-pipeline",
        base,
        &format!("Time out save after {seconds}s"),
        serde_json::json!([{ "type": "modify_step", "id": "save", "changes": { "timeout_secs": seconds } }]),
    )
}

#[test]
fn an_undo_decided_before_an_edit_landed_is_refused() {
    let env = three_versions();
    let undo = asking(&env, &["undo", "data-pipeline"]);
    // While the user reads the undo, another process saves an edit.
    let plan = set_timeout_plan(&env, 3, 60);
    env.run(&["apply", &plan, "--yes"]).ok();
    let edited = env.current("data-pipeline");
    let before = env.tree();
    let (code, _, _) = answer(undo, "y\n");
    assert_eq!(code, 3, "refused, not applied");
    before.assert_same(&env.tree(), "a refused undo");
    assert_eq!(env.current("data-pipeline"), edited, "the edit stays");
    let run = env.run(&["undo", "data-pipeline", "--yes"]).ok();
    assert!(
        run.stdout
            .contains("Undoing v4: Time out save after 60s (back to v3)"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_refusal_names_the_versions_saved_meanwhile() {
    let env = three_versions();
    let undo = asking(&env, &["undo", "data-pipeline"]);
    let plan = set_timeout_plan(&env, 3, 60);
    env.run(&["apply", &plan, "--yes"]).ok();
    let (code, _, stderr) = answer(undo, "y\n");
    assert_eq!(code, 3);
    assert!(
        stderr.contains(
            "Error: 'data-pipeline' changed since v3 was shown: v4 (Time out save after 60s) was saved meanwhile; nothing was changed"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("Hint: look at `qwf history data-pipeline`"),
        "{stderr}"
    );
}

#[test]
fn two_undos_decided_on_the_same_head_make_one_version() {
    let env = three_versions();
    let first = asking(&env, &["undo", "data-pipeline"]);
    let second = asking(&env, &["undo", "data-pipeline"]);
    assert_eq!(answer(first, "y\n").0, 0);
    assert_eq!(answer(second, "y\n").0, 3);
    let log = env.log("data-pipeline");
    assert_eq!(log.len(), 4);
    // Undo is not stuck: the next one takes back the undo.
    env.run(&["undo", "data-pipeline", "--yes"]).ok();
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 3));
}

#[test]
fn undo_is_never_stuck_on_equal_versions() {
    let env = three_versions();
    // v4 equal to v3, as two racing undos of older releases left it.
    std::fs::copy(
        env.versions().join("data-pipeline.v3.json"),
        env.versions().join("data-pipeline.v4.json"),
    )
    .expect("copy");
    let mut record = env.log("data-pipeline")[2].clone();
    record["version"] = 4.into();
    record["parents"] = serde_json::json!([3]);
    record["description"] = "Undid v3: same".into();
    let log = env.versions().join("data-pipeline.log.jsonl");
    let mut text = std::fs::read_to_string(&log).expect("log");
    text.push_str(&format!("{record}\n"));
    std::fs::write(&log, text).expect("log");
    let run = env.run(&["undo", "data-pipeline", "--yes"]).ok();
    assert!(
        run.stdout
            .contains("Undoing v3: Edited by hand: ~ context.table: \"api_data\" → \"api_data_v2\" (back to v2)"),
        "{}",
        run.stdout
    );
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 2));
}

#[test]
fn a_hand_edit_back_to_the_previous_version_is_recorded() {
    let env = three_versions();
    // The user copies v2 back by hand: a hand edit, not a crash to repair.
    std::fs::copy(
        env.versions().join("data-pipeline.v2.json"),
        env.workflows().join("data-pipeline.json"),
    )
    .expect("copy");
    env.run(&["history", "data-pipeline"]).ok();
    let log = env.log("data-pipeline");
    assert_eq!(log.len(), 4);
    assert_eq!(log[3]["origin"]["kind"], "edited_outside");
    assert_eq!(
        env.stored("data-pipeline", 4),
        env.stored("data-pipeline", 2)
    );
}

#[test]
fn the_same_plan_twice_makes_no_empty_version() {
    let env = three_versions();
    let plan = set_timeout_plan(&env, 3, 60);
    env.run(&["apply", &plan, "--yes"]).ok();
    let before = env.tree();
    let run = env.run(&["apply", &plan, "--yes"]).fails_with_hint(3);
    assert!(
        run.stderr
            .contains("the change leaves 'data-pipeline' as it is at v4: there is nothing to save"),
        "{}",
        run.snapshot()
    );
    before.assert_same(&env.tree(), "applying a plan again");
}

#[test]
fn a_failure_after_the_commit_point_says_the_version_was_saved() {
    let env = three_versions();
    let plan = set_timeout_plan(&env, 3, 60);
    // The version files and the log can be written, the current file's
    // directory cannot (as when the disk fills up after the commit).
    env.set_mode_for_other_user(&env.workflows(), 0o555, &[env.home()]);
    let run = env.run_as_other_user(&["apply", &plan, "--yes"]);
    env.set_mode_for_other_user(&env.workflows(), 0o755, &[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("Error: v4 of 'data-pipeline' was saved, but cannot create a temporary file in [TMP]/home/workflows"),
        "{}",
        run.snapshot()
    );
    assert!(
        run.stderr.contains("do not make the change again"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Nothing"), "{}", run.stderr);
    assert_eq!(env.log("data-pipeline").len(), 4);
    // The next command finishes the job; the same plan again changes
    // nothing instead of applying twice.
    env.run(&["history", "data-pipeline"]).ok();
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 4));
    env.run(&["apply", &plan, "--yes"]).expect(3);
    assert_eq!(env.log("data-pipeline").len(), 4);
}

const SKILLS: &[(&str, &str)] = &[
    (
        "http-fetch",
        r#"{"name": "http-fetch", "type": "code_inline", "description": "Fetch a URL", "command": "curl -s $QWF_INPUT_URL", "inputs": ["url"], "outputs": ["data"]}"#,
    ),
    (
        "data-validator",
        r#"{"name": "data-validator", "type": "code_inline", "description": "Validate data", "command": "cat", "inputs": ["data", "schema"], "outputs": ["validated"]}"#,
    ),
    (
        "db-writer",
        r#"{"name": "db-writer", "type": "code_inline", "description": "Write rows", "command": "cat", "inputs": ["data", "table"], "outputs": []}"#,
    ),
    (
        "slack-notify",
        r#"{"name": "slack-notify", "type": "code_inline", "description": "Tell Slack", "command": "cat", "inputs": ["message"], "outputs": []}"#,
    ),
];

#[test]
fn a_read_only_home_still_reads_and_says_a_hand_edit_is_not_recorded() {
    let env = three_versions();
    for (name, skill) in SKILLS {
        env.write(&format!("home/skills/{name}.json"), skill);
    }
    let path = "home/workflows/data-pipeline.json";
    env.write(
        path,
        &env.read(path).replace("\"api_data_v2\"", "\"by_hand\""),
    );
    env.set_mode_for_other_user(&env.home(), 0o555, &[]);
    let before = env.tree();
    let not_recorded = "could not be recorded as a version";
    for args in [
        vec!["history", "data-pipeline"],
        vec!["show", "data-pipeline"],
        vec!["show", "data-pipeline", "--version", "1"],
        vec!["validate", "data-pipeline"],
        vec!["export", "data-pipeline"],
        vec!["run", "data-pipeline", "--dry-run"],
        vec!["list"],
    ] {
        let run = env.run_as_other_user(&args);
        assert_eq!(run.code, 0, "{args:?}\n{}", run.snapshot());
        if args[0] != "list" {
            assert!(
                run.stderr.contains(not_recorded),
                "{args:?}\n{}",
                run.stderr
            );
        }
    }
    let shown = env.run_as_other_user(&["show", "data-pipeline"]);
    assert!(
        shown.stdout.contains("by_hand"),
        "the file as it is: {}",
        shown.stdout
    );
    // Writing is refused with the reason, and nothing changes.
    let plan = set_timeout_plan(&env, 3, 60);
    let run = env.run_as_other_user(&["apply", &plan, "--yes"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    let mut after = env.tree();
    after.0.remove(plan.as_str());
    before.assert_same(&after, "reading a read-only home");
    env.set_mode_for_other_user(&env.home(), 0o755, &[]);
}

/// Runs `qwf` and fails the test if it has not finished within 20 s (a
/// FIFO read would block forever).
fn run_bounded(env: &TestEnv, args: &[&str]) -> (i32, String, String) {
    let mut child = env
        .process(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qwf starts");
    let started = Instant::now();
    while child.try_wait().expect("poll").is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("`qwf {}` hangs", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    let dir = env.dir().display().to_string();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).replace(&dir, "[TMP]"),
        String::from_utf8_lossy(&output.stderr).replace(&dir, "[TMP]"),
    )
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("a C path");
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0);
}

#[test]
fn a_fifo_or_a_device_as_a_workflow_is_refused_named() {
    let env = three_versions();
    mkfifo(&env.workflows().join("pipe.json"));
    std::os::unix::fs::symlink("/dev/zero", env.workflows().join("zero.json")).expect("link");
    let (code, stdout, _) = run_bounded(&env, &["list"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("is a FIFO (named pipe), not a file"),
        "{stdout}"
    );
    assert!(stdout.contains("is a symbolic link"), "{stdout}");
    for (args, said) in [
        (
            vec!["validate", "pipe"],
            "is a FIFO (named pipe), not a file",
        ),
        (vec!["run", "pipe"], "is a FIFO (named pipe), not a file"),
        (vec!["show", "zero"], "is a symbolic link"),
        (vec!["validate", "zero"], "is a symbolic link"),
        // Named by path, a file is the user's choice (a pipe may be meant),
        // but never read past its bound.
        (vec!["validate", "/dev/zero"], "is larger than"),
    ] {
        let (code, stdout, stderr) = run_bounded(&env, &args);
        assert_eq!(code, 1, "{args:?}\n{stdout}{stderr}");
        assert!(stderr.contains(said), "{args:?}\n{stderr}");
    }
}

#[test]
fn history_log_and_lock_are_never_followed_outside_the_home() {
    let env = three_versions();
    let outside = env.dir().join("outside");
    std::fs::create_dir_all(&outside).expect("outside");
    let plan = set_timeout_plan(&env, 3, 60);
    // The lock file is a link to a file outside: not created, not used.
    let lock = env.versions().join("data-pipeline.lock");
    let _ = std::fs::remove_file(&lock);
    std::os::unix::fs::symlink(outside.join("lock"), &lock).expect("link");
    let (code, _, stderr) = run_bounded(&env, &["apply", &plan, "--yes"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert!(!outside.join("lock").exists());
    std::fs::remove_file(&lock).expect("unlink");
    // The log is a link to a file outside: refused, the file untouched.
    let log = env.versions().join("data-pipeline.log.jsonl");
    std::fs::rename(&log, outside.join("log")).expect("move");
    std::os::unix::fs::symlink(outside.join("log"), &log).expect("link");
    let kept = std::fs::read(outside.join("log")).expect("read");
    let (code, _, stderr) = run_bounded(&env, &["apply", &plan, "--yes"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert_eq!(std::fs::read(outside.join("log")).expect("read"), kept);
    std::fs::remove_file(&log).expect("unlink");
    std::fs::rename(outside.join("log"), &log).expect("move back");
    // `.versions` itself is a link elsewhere: refused for reads and writes.
    let versions = env.versions();
    std::fs::rename(&versions, outside.join("versions")).expect("move");
    std::os::unix::fs::symlink(outside.join("versions"), &versions).expect("link");
    let listing = || {
        let mut names: Vec<_> = std::fs::read_dir(outside.join("versions"))
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    for args in [
        vec!["history", "data-pipeline"],
        vec!["apply", &plan, "--yes"],
    ] {
        let (code, _, stderr) = run_bounded(&env, &args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("workflows/.versions: is a symbolic link"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(listing(), before, "nothing written outside the home");
}

#[test]
fn an_edit_saved_before_a_later_failure_is_never_reported_as_nothing_changed() {
    let env = three_versions();
    env.set_mode_for_other_user(&env.workflows(), 0o555, &[env.home()]);
    let run = env.run_as_other_user(&[
        "edit",
        "data-pipeline",
        "set the timeout of the save step to 60 seconds",
        "--yes",
    ]);
    env.set_mode_for_other_user(&env.workflows(), 0o755, &[]);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("v4 of 'data-pipeline' was saved, but"),
        "{said}"
    );
    assert!(said.contains("do not make it again"), "{said}");
    assert!(!said.contains("Nothing was"), "{said}");
    assert_eq!(env.log("data-pipeline").len(), 4);
}
