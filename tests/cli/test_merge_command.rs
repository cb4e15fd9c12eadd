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
