use serde_json::json;

use crate::common::{TestEnv, three_versions};

/// `data-pipeline` at v3 with a branch `experiment` made from it.
fn branched() -> TestEnv {
    let env = three_versions();
    env.run(&["branch", "data-pipeline", "experiment"]).ok();
    env
}

fn apply(env: &TestEnv, file: &str, workflow: &str, base: u64, modifications: serde_json::Value) {
    let plan = env.plan(file, workflow, base, "test change", modifications);
    env.run(&["apply", &plan, "--yes"]).ok();
}

#[test]
fn independent_changes_combine() {
    let env = branched();
    apply(
        &env,
        "retry.json",
        "experiment",
        1,
        json!([{ "type": "add_error_handling", "step_id": "fetch",
                 "error_handling": { "strategy": "retry", "max_attempts": 3, "backoff": "exponential" } }]),
    );
    apply(
        &env,
        "describe.json",
        "data-pipeline",
        3,
        json!([{ "type": "set_description", "description": "Nightly import" }]),
    );
    let run = env
        .run(&["merge", "experiment", "into", "data-pipeline"])
        .ok();
    insta::assert_snapshot!(run.snapshot());
    let merged = env.current("data-pipeline");
    assert_eq!(merged["name"], "data-pipeline");
    assert_eq!(merged["description"], "Nightly import");
    assert_eq!(merged["steps"][0]["error_handling"]["max_attempts"], 3);
    let log = env.log("data-pipeline");
    assert_eq!(log.len(), 5);
    assert_eq!(
        log[4]["merged_from"],
        json!({ "workflow": "experiment", "version": 2 })
    );

    // Nothing new on the branch: nothing to do.
    let before = env.tree();
    let again = env
        .run(&["merge", "experiment", "into", "data-pipeline"])
        .ok();
    assert_eq!(
        again.stdout,
        "Already up to date: 'experiment' has nothing new for 'data-pipeline'.\n"
    );
    before.assert_same(&env.tree(), "a merge with nothing new");
    let document = env
        .run(&["--json", "merge", "experiment", "into", "data-pipeline"])
        .ok()
        .json();
    assert_eq!(
        document,
        json!({ "applied": false, "reason": "already up to date" })
    );
}

#[test]
fn a_fresh_branch_is_already_up_to_date() {
    let env = branched();
    let run = env
        .run(&["merge", "experiment", "into", "data-pipeline"])
        .ok();
    assert!(
        run.stdout.starts_with("Already up to date"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_reports_the_merged_version() {
    let env = branched();
    apply(
        &env,
        "timeout.json",
        "experiment",
        1,
        json!([{ "type": "modify_step", "id": "save", "changes": { "timeout_secs": 10 } }]),
    );
    let document = env
        .run(&["--json", "merge", "experiment", "into", "data-pipeline"])
        .ok()
        .json();
    assert_eq!(document["applied"], true);
    assert_eq!(document["version"], 4);
    assert_eq!(document["verdict"], "safe");
    assert_eq!(document["changes"].as_array().expect("changes").len(), 1);
}

#[test]
fn a_conflict_is_listed_and_nothing_changes() {
    let env = branched();
    apply(
        &env,
        "ten.json",
        "experiment",
        1,
        json!([{ "type": "modify_step", "id": "save", "changes": { "timeout_secs": 10 } }]),
    );
    apply(
        &env,
        "twenty.json",
        "data-pipeline",
        3,
        json!([{ "type": "modify_step", "id": "save", "changes": { "timeout_secs": 20 } }]),
    );
    let before = env.tree();
    let run = env
        .run(&["merge", "experiment", "into", "data-pipeline"])
        .expect(3);
    insta::assert_snapshot!(run.snapshot());
    before.assert_same(&env.tree(), "a merge with a conflict");
    let document = env
        .run(&["--json", "merge", "experiment", "into", "data-pipeline"])
        .expect(3)
        .json();
    assert_eq!(document["applied"], false);
    assert_eq!(
        document["conflicts"].as_array().expect("conflicts").len(),
        1
    );
    before.assert_same(&env.tree(), "a merge with a conflict (--json)");
}

#[test]
fn only_a_branch_of_the_workflow_can_be_merged() {
    let env = three_versions();
    env.add_workflow(
        "other",
        r#"{"name": "other", "steps": [{"id": "a", "type": "skill", "skill": "s"}]}"#,
    );
    env.run(&["show", "other"]).ok();
    let run = env.refuses(&["merge", "other", "into", "data-pipeline"], 1);
    assert!(
        run.stderr
            .contains("'other' was not branched from 'data-pipeline'"),
        "{}",
        run.stderr
    );
    let usage = env.run(&["merge", "other", "onto", "data-pipeline"]);
    assert_eq!(usage.code, 2, "{}", usage.snapshot());
}

/// `save`'s timeout set to 10 on the branch and 20 on `data-pipeline`, and
/// the table changed two ways: two conflicts.
fn two_conflicts() -> TestEnv {
    let env = branched();
    apply(
        &env,
        "ten.json",
        "experiment",
        1,
        json!([{ "type": "modify_step", "id": "save", "changes": { "timeout_secs": 10 } },
               { "type": "set_context", "key": "table", "value": "branch_table" }]),
    );
    apply(
        &env,
        "twenty.json",
        "data-pipeline",
        3,
        json!([{ "type": "modify_step", "id": "save", "changes": { "timeout_secs": 20 } },
               { "type": "set_context", "key": "table", "value": "main_table" }]),
    );
    env
}

#[test]
fn theirs_settles_every_conflict_with_the_branch_and_the_version_says_how() {
    let env = two_conflicts();
    let run = env
        .run(&["merge", "experiment", "into", "data-pipeline", "--theirs"])
        .ok();
    insta::assert_snapshot!(run.snapshot());
    let merged = env.current("data-pipeline");
    assert_eq!(merged["steps"][2]["timeout_secs"], 10);
    assert_eq!(merged["context"]["readonly"]["table"], "branch_table");
    let log = env.log("data-pipeline");
    let record = log.last().expect("a record");
    assert_eq!(
        record["description"],
        "Merged experiment v2; 2 conflicts settled: context.table → theirs, step 'save' timeout_secs → theirs"
    );
    assert_eq!(
        record["origin"]["command"],
        "qwf merge experiment into data-pipeline --theirs"
    );
    let settled = record["resolved_conflicts"].as_array().expect("recorded");
    assert_eq!(settled.len(), 2);
    assert!(settled.iter().all(|entry| entry["side"] == "theirs"));
    assert_eq!(settled[1]["step_id"], "save");
    assert_eq!(settled[1]["field"], "timeout_secs");
    assert_eq!(
        (settled[1]["ours"].clone(), settled[1]["theirs"].clone()),
        (json!(20), json!(10))
    );
    // `qwf history` shows it too.
    let history = env.run(&["history", "data-pipeline"]).ok();
    assert!(
        history.stdout.contains("2 conflicts settled"),
        "{}",
        history.stdout
    );
}

#[test]
fn ours_keeps_the_current_side_and_json_lists_what_was_settled() {
    let env = two_conflicts();
    let document = env
        .run(&[
            "--json",
            "merge",
            "experiment",
            "into",
            "data-pipeline",
            "--ours",
        ])
        .ok()
        .json();
    // Both conflicts settled with the current side, and nothing else came
    // from the branch: no new version.
    assert_eq!(document["applied"], false, "{document}");
    assert_eq!(document["resolved"].as_array().map(Vec::len), Some(2));
    assert_eq!(env.log("data-pipeline").len(), 4);
    let both = env.run(&[
        "merge",
        "experiment",
        "into",
        "data-pipeline",
        "--ours",
        "--theirs",
    ]);
    assert_eq!(both.code, 2, "{}", both.snapshot());
}

#[test]
fn without_a_side_and_without_a_terminal_the_hint_names_the_choices() {
    let env = two_conflicts();
    let run = env.refuses(&["merge", "experiment", "into", "data-pipeline"], 3);
    assert!(
        run.stderr.contains("--ours") && run.stderr.contains("--theirs"),
        "{}",
        run.stderr
    );
}
