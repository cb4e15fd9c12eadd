use serde_json::json;

use crate::common::{DATA_PIPELINE, TestEnv, three_versions};

/// `data-pipeline` adopted as v1.
fn adopted() -> TestEnv {
    let env = TestEnv::new();
    env.add_workflow("data-pipeline", DATA_PIPELINE);
    env.run(&["history", "data-pipeline"]).ok();
    env
}

fn retry_plan(env: &TestEnv, base: u64) -> String {
    env.plan(
        "retry.plan.json",
        "data-pipeline",
        base,
        "Retry the fetch",
        json!([{ "type": "add_error_handling", "step_id": "fetch",
                 "error_handling": { "strategy": "retry", "max_attempts": 3, "backoff": "exponential" } }]),
    )
}

fn breaking_plan(env: &TestEnv) -> String {
    env.plan(
        "drop.plan.json",
        "data-pipeline",
        1,
        "Drop validation",
        json!([{ "type": "remove_step", "id": "validate" }]),
    )
}

#[test]
fn a_safe_plan_is_shown_then_applied() {
    let env = adopted();
    let plan = retry_plan(&env, 1);
    let run = env.run(&["apply", &plan, "--yes"]).ok();
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(
        env.current("data-pipeline")["steps"][0]["error_handling"]["max_attempts"],
        3
    );
    let log = env.log("data-pipeline");
    assert_eq!(log.len(), 2);
    assert_eq!(log[1]["description"], "Retry the fetch");
    assert_eq!(
        log[1]["origin"],
        json!({ "kind": "command", "command": "qwf apply retry.plan.json" })
    );
    assert_eq!(log[1]["modifications"][0]["type"], "add_error_handling");
}

#[test]
fn without_a_terminal_a_safe_plan_is_applied_without_asking() {
    let env = adopted();
    let plan = retry_plan(&env, 1);
    env.run(&["apply", &plan]).ok();
    assert_eq!(env.log("data-pipeline").len(), 2);
}

#[test]
fn json_reports_applied_version_and_impact() {
    let env = adopted();
    let plan = retry_plan(&env, 1);
    let document = env.run(&["--json", "apply", &plan, "--yes"]).ok().json();
    assert_eq!(document["applied"], true);
    assert_eq!(document["workflow"], "data-pipeline");
    assert_eq!(document["version"], 2);
    assert_eq!(document["verdict"], "safe");
    assert!(document["impact"].is_object());
    assert_eq!(document["changes"].as_array().expect("changes").len(), 1);
}

#[test]
fn a_breaking_plan_needs_force() {
    let env = adopted();
    let plan = breaking_plan(&env);
    let before = env.tree();
    let run = env.run(&["apply", &plan, "--yes"]).expect(3);
    insta::assert_snapshot!(run.snapshot());
    before.assert_same(&env.tree(), "a breaking plan without --force");
    let document = env
        .run(&["--json", "apply", &plan, "--yes"])
        .expect(3)
        .json();
    assert_eq!(document["applied"], false);
    assert_eq!(document["verdict"], "breaking");
    before.assert_same(&env.tree(), "a breaking plan without --force (--json)");

    let forced = env.run(&["apply", &plan, "--yes", "--force"]).ok();
    assert!(
        forced
            .stdout
            .contains("✓ Applied to 'data-pipeline' (now v2)"),
        "{}",
        forced.stdout
    );
    assert_eq!(
        env.current("data-pipeline")["steps"]
            .as_array()
            .expect("steps")
            .len(),
        2
    );
}

#[test]
fn a_dry_run_shows_and_applies_nothing() {
    let env = adopted();
    let plan = retry_plan(&env, 1);
    let before = env.tree();
    let run = env.run(&["apply", &plan, "--dry-run"]).expect(3);
    insta::assert_snapshot!(run.snapshot());
    let document = env
        .run(&["--json", "apply", &plan, "--dry-run"])
        .expect(3)
        .json();
    assert_eq!(document["applied"], false);
    assert_eq!(document["version"], serde_json::Value::Null);
    before.assert_same(&env.tree(), "a dry run");
}

#[test]
fn interactive_answers_decide() {
    let env = adopted();
    let plan = retry_plan(&env, 1);
    let before = env.tree();
    let declined = env.run_interactive(&["apply", &plan], "n\n").expect(3);
    assert!(
        declined.stderr.contains("Apply? [y/n]: "),
        "{}",
        declined.stderr
    );
    before.assert_same(&env.tree(), "a declined plan");
    env.run_interactive(&["apply", &plan], "y\n").ok();
    assert_eq!(env.log("data-pipeline").len(), 2);
}

#[test]
fn a_stale_plan_is_rebased_when_it_still_applies() {
    let env = three_versions();
    let plan = retry_plan(&env, 1);
    let run = env.run(&["apply", &plan, "--yes"]).ok();
    insta::assert_snapshot!(run.snapshot());
    let current = env.current("data-pipeline");
    // Both the newer versions' changes and the plan's are there.
    assert_eq!(current["steps"][3]["id"], "notify");
    assert_eq!(current["context"]["readonly"]["table"], "api_data_v2");
    assert_eq!(current["steps"][0]["error_handling"]["strategy"], "retry");
    assert_eq!(env.log("data-pipeline")[3]["parents"], json!([3]));
}

#[test]
fn a_stale_plan_that_no_longer_applies_is_refused() {
    let env = three_versions();
    // Made for v2, which had the notify step; v4 removes it.
    let remove = env.plan(
        "remove.plan.json",
        "data-pipeline",
        3,
        "Remove notify",
        json!([{ "type": "remove_step", "id": "notify" }]),
    );
    env.run(&["apply", &remove, "--yes"]).ok();
    let stale = env.plan(
        "stale.plan.json",
        "data-pipeline",
        2,
        "Notify after a minute",
        json!([{ "type": "modify_step", "id": "notify", "changes": { "timeout_secs": 60 } }]),
    );
    let run = env.refuses(&["apply", &stale, "--yes"], 1);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn a_plan_for_a_missing_workflow_is_refused() {
    let env = adopted();
    let plan = env.plan(
        "plan.json",
        "data-pipline",
        1,
        "x",
        json!([{ "type": "set_description", "description": "x" }]),
    );
    let run = env.refuses(&["apply", &plan, "--yes"], 1);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn a_plan_made_for_another_workflow_is_refused() {
    let env = adopted();
    env.add_workflow(
        "mailer",
        r#"{"name": "mailer", "steps": [{"id": "send", "type": "skill", "skill": "smtp"}]}"#,
    );
    env.run(&["history", "mailer"]).ok();
    // Names 'mailer' but was made for data-pipeline's steps.
    let plan = env.plan(
        "plan.json",
        "mailer",
        1,
        "Retry the fetch",
        json!([{ "type": "add_error_handling", "step_id": "fetch",
                 "error_handling": { "strategy": "retry", "max_attempts": 3 } }]),
    );
    let run = env.refuses(&["apply", &plan, "--yes"], 1);
    insta::assert_snapshot!(run.snapshot());
    // Made for a version this home never had.
    let future = env.plan(
        "future.json",
        "mailer",
        8,
        "x",
        json!([{ "type": "set_description", "description": "x" }]),
    );
    let run = env.refuses(&["apply", &future, "--yes"], 1);
    assert!(
        run.stderr
            .contains("the plan was made for v8 of 'mailer', which only has 1 versions"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_file_that_is_not_a_plan_is_refused_with_its_place() {
    let env = adopted();
    env.write(
        "bad.json",
        "{\n  \"qwf_plan\": 1,\n  \"workflow\": \"data-pipeline\"\n  \"base_version\": 1\n}\n",
    );
    let run = env.refuses(&["apply", "bad.json"], 1);
    insta::assert_snapshot!(run.snapshot());
    env.write(
        "empty.json",
        r#"{"qwf_plan": 1, "workflow": "data-pipeline", "base_version": 1, "modifications": []}"#,
    );
    env.refuses(&["apply", "empty.json"], 1);
    env.write("format.json", r#"{"qwf_plan": 2, "workflow": "data-pipeline", "base_version": 1, "modifications": [{"type": "set_description", "description": "x"}]}"#);
    env.refuses(&["apply", "format.json"], 1);
    env.write("name.json", r#"{"qwf_plan": 1, "workflow": "../etc", "base_version": 1, "modifications": [{"type": "set_description", "description": "x"}]}"#);
    env.refuses(&["apply", "name.json"], 1);
    env.refuses(&["apply", "missing.json"], 1);
    let (message, _hint) = env
        .run(&["--json", "apply", "bad.json"])
        .expect(1)
        .json_error();
    assert!(message.contains("bad.json:4:3"), "{message}");
}
