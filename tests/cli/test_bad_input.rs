//! Damaged files in the home: every command that touches them stops with a
//! clear error (where, what, what to do) and leaves every file as it was.

use crate::common::{TestEnv, three_versions};

/// Commands that only read `data-pipeline`.
const READERS: &[&[&str]] = &[
    &["show", "data-pipeline"],
    &["show", "data-pipeline", "--version", "1"],
    &["validate", "data-pipeline"],
    &["diff", "data-pipeline"],
    &[
        "diff",
        "data-pipeline",
        "--from",
        "1",
        "--to",
        "2",
        "--text",
    ],
];

/// Commands that read the whole history or change `data-pipeline`.
fn writers(env: &TestEnv) -> Vec<Vec<&'static str>> {
    env.plan(
        "describe.plan.json",
        "data-pipeline",
        3,
        "Describe",
        serde_json::json!([{ "type": "set_description", "description": "x" }]),
    );
    vec![
        vec!["history", "data-pipeline"],
        vec!["rollback", "data-pipeline", "--to", "1"],
        vec!["rollback", "data-pipeline", "--to", "1", "--save-current"],
        vec!["undo", "data-pipeline"],
        vec!["delete", "data-pipeline"],
        vec!["branch", "data-pipeline", "experiment"],
        vec!["export", "data-pipeline", "-o", "out.json"],
        vec!["apply", "describe.plan.json", "--yes"],
    ]
}

/// Every command that touches `data-pipeline`.
fn every_command(env: &TestEnv) -> Vec<Vec<&'static str>> {
    let mut commands: Vec<Vec<&str>> = READERS.iter().map(|args| args.to_vec()).collect();
    commands.extend(writers(env));
    commands
}

#[test]
fn a_garbage_line_in_the_version_log_stops_every_write() {
    let env = three_versions();
    let path = "home/workflows/.versions/data-pipeline.log.jsonl";
    let log = env.read(path);
    let mut lines: Vec<&str> = log.lines().collect();
    lines.insert(2, "{\"version\": 3, this is not a record");
    env.write(path, &(lines.join("\n") + "\n"));
    for args in writers(&env) {
        let run = env.refuses(&args, 1);
        assert!(
            run.stderr.contains(
                "the version log [TMP]/home/workflows/.versions/data-pipeline.log.jsonl is corrupt at line 3"
            ),
            "{args:?}\n{}",
            run.snapshot()
        );
    }
    let run = env.refuses(&["history", "data-pipeline"], 1);
    insta::assert_snapshot!(run.snapshot());
    let (message, hint) = env
        .run(&["--json", "history", "data-pipeline"])
        .expect(1)
        .json_error();
    assert!(message.contains("corrupt at line 3"), "{message}");
    assert!(hint.contains("fix or remove the damaged line"), "{hint}");
    // Reading a version needs only that version and the last record, so
    // the workflow can still be looked at while the log waits for repair.
    for args in READERS {
        let before = env.tree();
        env.run(args).ok();
        before.assert_same(&env.tree(), &format!("`qwf {}`", args.join(" ")));
    }
    // Once the line is removed, everything works again.
    env.write(path, &log);
    env.run(&["undo", "data-pipeline"]).ok();
    assert_eq!(env.log("data-pipeline").len(), 4);
}

#[test]
fn an_invalid_hand_edit_blocks_only_what_needs_the_file() {
    let env = three_versions();
    let path = "home/workflows/data-pipeline.json";
    // A missing comma, as people make them.
    let broken = env
        .read(path)
        .replacen("\"version\": \"1.0.0\",", "\"version\": \"1.0.0\"", 1);
    env.write(path, &broken);
    let place = "[TMP]/home/workflows/data-pipeline.json:4:3: expected `,` or `}`";
    env.plan(
        "describe.plan.json",
        "data-pipeline",
        3,
        "Describe",
        serde_json::json!([{ "type": "set_description", "description": "x" }]),
    );
    // What needs the current file stops at the place, and touches nothing.
    for args in [
        vec!["show", "data-pipeline"],
        vec!["branch", "data-pipeline", "experiment"],
        vec!["apply", "describe.plan.json", "--yes"],
    ] {
        let run = env.refuses(&args, 1);
        assert!(run.stderr.contains(place), "{args:?}\n{}", run.snapshot());
        assert!(
            run.stderr.contains("qwf undo data-pipeline"),
            "{}",
            run.stderr
        );
    }
    // What does not need it works, says what is wrong, and touches nothing.
    for args in [
        vec!["history", "data-pipeline"],
        vec!["show", "data-pipeline", "--version", "1"],
        vec!["diff", "data-pipeline"],
        vec![
            "diff",
            "data-pipeline",
            "--from",
            "1",
            "--to",
            "2",
            "--text",
        ],
        vec!["export", "data-pipeline", "-o", "out.json"],
    ] {
        let run = env.run(&args).ok();
        assert!(run.stderr.contains(place), "{args:?}\n{}", run.snapshot());
        assert_eq!(env.read(path), broken, "{args:?} touched the file");
    }
    let history = env.run(&["history", "data-pipeline"]).ok();
    insta::assert_snapshot!(history.snapshot());
    let diff = env.run(&["diff", "data-pipeline"]).ok();
    assert!(
        diff.stdout.starts_with("Changes from v2 to v3:"),
        "{}",
        diff.stdout
    );
    // `validate NAME` reports it as `validate FILE` does.
    let by_name = env.run(&["validate", "data-pipeline"]).expect(1);
    let by_file = env.run(&["validate", path]).expect(1);
    assert_eq!(
        by_name
            .stdout
            .replace("data-pipeline:", "FILE:")
            .replace("data-pipeline is not", "FILE is not"),
        by_file
            .stdout
            .replace("home/workflows/data-pipeline.json", "FILE")
    );
    assert!(by_name.stdout.contains("4:3"), "{}", by_name.stdout);
    // `qwf list` shows it with its problem.
    let list = env.run(&["list"]).ok();
    assert!(
        list.stdout
            .contains("invalid JSON at line 4 column 3: expected `,` or `}`"),
        "{}",
        list.stdout
    );
    // Fixing the file by hand makes it a version like any hand edit.
    env.write(path, &broken.replacen("\"1.0.0\"", "\"1.0.1\",", 1));
    env.run(&["history", "data-pipeline"]).ok();
    assert_eq!(env.log("data-pipeline").len(), 4);
    assert!(
        env.log("data-pipeline")[3]["description"]
            .as_str()
            .expect("a description")
            .starts_with("Edited by hand: ~ version: \"1.0.0\" → \"1.0.1\"")
    );
}

/// A home whose current file holds a hand edit that is not valid JSON.
fn broken_hand_edit() -> (crate::common::TestEnv, String) {
    let env = three_versions();
    let path = "home/workflows/data-pipeline.json";
    let broken = env
        .read(path)
        .replacen("\"version\": \"1.0.0\",", "\"version\": \"1.0.0\"", 1);
    env.write(path, &broken);
    (env, broken)
}

#[test]
fn undo_puts_back_the_last_version_and_keeps_a_broken_hand_edit() {
    let (env, broken) = broken_hand_edit();
    let run = env.run(&["undo", "data-pipeline"]).ok();
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 3));
    assert_eq!(
        env.log("data-pipeline").len(),
        3,
        "v3 came back as the file"
    );
    assert_eq!(
        env.read("home/workflows/data-pipeline.broken-v3.json"),
        broken
    );
}

#[test]
fn rollback_over_a_broken_hand_edit_keeps_it() {
    let (env, broken) = broken_hand_edit();
    let document = env
        .run(&["--json", "rollback", "data-pipeline", "--to", "1"])
        .ok()
        .json();
    assert_eq!(document["version"], 4);
    assert_eq!(
        document["kept_hand_edit"],
        "[TMP]/home/workflows/data-pipeline.broken-v3.json"
    );
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 1));
    assert_eq!(
        env.read("home/workflows/data-pipeline.broken-v3.json"),
        broken
    );
    // A second broken edit is kept beside the first, never over it.
    env.write("home/workflows/data-pipeline.json", "{ \"oops\"");
    env.run(&["delete", "data-pipeline"]).ok();
    assert_eq!(
        env.read("home/workflows/data-pipeline.broken-v4.json"),
        "{ \"oops\""
    );
    env.write("home/workflows/data-pipeline.json", "{ \"again\"");
    env.run(&["undo", "data-pipeline"]).ok();
    assert_eq!(
        env.read("home/workflows/data-pipeline.broken-v4-2.json"),
        "{ \"again\""
    );
}

#[test]
fn a_missing_version_file_is_named() {
    let env = three_versions();
    std::fs::remove_file(env.versions().join("data-pipeline.v2.json")).expect("remove");
    let run = env.refuses(&["show", "data-pipeline", "--version", "2"], 1);
    assert!(
        run.stderr.contains(
            "version file [TMP]/home/workflows/.versions/data-pipeline.v2.json is missing or unreadable"
        ),
        "{}",
        run.stderr
    );
    // The others are still fine.
    env.run(&["show", "data-pipeline", "--version", "1"]).ok();
    env.run(&["history", "data-pipeline"]).ok();
}

#[test]
fn a_bad_clock_is_refused() {
    let env = three_versions();
    env.at("yesterday");
    env.refuses(&["history", "data-pipeline"], 1);
}

#[test]
fn a_damaged_last_record_stops_reads_too_and_names_its_line() {
    let env = three_versions();
    let path = "home/workflows/.versions/data-pipeline.log.jsonl";
    let log = env.read(path);
    env.write(path, &format!("{log}{{\"version\": 4, garbage}}\n"));
    for args in every_command(&env) {
        let run = env.refuses(&args, 1);
        assert!(
            run.stderr
                .contains("data-pipeline.log.jsonl is corrupt at line 4"),
            "{args:?}\n{}",
            run.snapshot()
        );
    }
}

#[test]
fn a_record_cut_short_by_a_crash_is_ignored() {
    let env = three_versions();
    let path = "home/workflows/.versions/data-pipeline.log.jsonl";
    let log = env.read(path);
    // A writer killed while appending version 4: that version never
    // committed.
    env.write(
        path,
        &format!("{log}{{\"version\": 4, \"parents\": [3], \"timest"),
    );
    let document = env.run(&["--json", "history", "data-pipeline"]).ok().json();
    assert_eq!(document["versions"].as_array().expect("versions").len(), 3);
    env.run(&["show", "data-pipeline"]).ok();
    // The next version takes its place.
    env.run(&["undo", "data-pipeline"]).ok();
    assert_eq!(env.log("data-pipeline").len(), 4);
    assert!(env.read(path).ends_with("}\n"));
}
