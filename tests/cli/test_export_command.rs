use crate::common::three_versions;

#[test]
fn export_writes_one_package_with_the_whole_history() {
    let env = three_versions();
    env.write(
        "home/skills/http-fetch.json",
        r#"{"name": "http-fetch", "type": "code_inline", "description": "GET a URL", "command": "curl", "inputs": ["url"], "outputs": ["data"]}"#,
    );
    let run = env
        .run(&["export", "data-pipeline", "-o", "pipeline.qwf.json"])
        .ok();
    insta::assert_snapshot!(run.snapshot());
    let package: serde_json::Value =
        serde_json::from_str(&env.read("pipeline.qwf.json")).expect("a JSON package");
    assert_eq!(package["qwf_package"], 1);
    assert_eq!(package["name"], "data-pipeline");
    let history = package["history"].as_array().expect("history");
    assert_eq!(history.len(), 3);
    for (index, entry) in history.iter().enumerate() {
        let version = index as u64 + 1;
        assert_eq!(entry["record"], env.log("data-pipeline")[index]);
        assert_eq!(entry["content"], env.stored("data-pipeline", version));
    }
    assert_eq!(package["skills"]["http-fetch"]["command"], "curl");
    assert_eq!(package["skills"].as_object().expect("skills").len(), 1);
}

#[test]
fn without_output_the_package_goes_to_stdout() {
    let env = three_versions();
    let run = env.run(&["export", "data-pipeline"]).ok();
    let package = run.json();
    assert_eq!(package["history"].as_array().expect("history").len(), 3);
}

#[test]
fn json_summarises_the_export() {
    let env = three_versions();
    let document = env
        .run(&["--json", "export", "data-pipeline", "-o", "out/p.json"])
        .ok()
        .json();
    assert_eq!(document["exported"], "data-pipeline");
    assert_eq!(document["file"], "out/p.json");
    assert_eq!(document["versions"], 3);
    assert_eq!(document["skills"], serde_json::json!([]));
}

#[test]
fn a_missing_workflow_is_refused() {
    let env = three_versions();
    let run = env.refuses(&["export", "data-pipelin", "-o", "p.json"], 1);
    assert!(
        run.stderr.contains("did you mean 'data-pipeline'?"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_skills_of_every_version_travel_so_old_versions_still_run() {
    let env = three_versions();
    for (name, skill) in [
        (
            "http-fetch",
            r#"{"name": "http-fetch", "type": "code_inline", "description": "GET a URL", "command": "curl", "inputs": ["url"], "outputs": ["data"]}"#,
        ),
        (
            "data-validator",
            r#"{"name": "data-validator", "type": "code_inline", "description": "Check data", "command": "cat", "inputs": ["data", "schema"], "outputs": ["validated"]}"#,
        ),
        (
            "db-writer",
            r#"{"name": "db-writer", "type": "code_inline", "description": "Write rows", "command": "cat", "inputs": ["data", "table"], "outputs": []}"#,
        ),
        (
            "slack-notify",
            r#"{"name": "slack-notify", "type": "code_inline", "description": "Tell Slack", "command": "cat", "inputs": ["message"], "outputs": []}"#,
        ),
    ] {
        env.write(&format!("home/skills/{name}.json"), skill);
    }
    // v4 no longer uses slack-notify; v2 and v3 do.
    let plan = env.plan(
        "remove.plan.json",
        "data-pipeline",
        3,
        "Stop notifying",
        serde_json::json!([{ "type": "remove_step", "id": "notify" }]),
    );
    env.run(&["apply", &plan, "--yes", "--force"]).ok();
    env.run(&["export", "data-pipeline", "-o", "pipeline.qwf.json"])
        .ok();
    let package: serde_json::Value =
        serde_json::from_str(&env.read("pipeline.qwf.json")).expect("a JSON package");
    assert_eq!(package["skills"]["slack-notify"]["command"], "cat");
    // Elsewhere, rolling back to a version that notifies finds its skill.
    let other = crate::common::TestEnv::new();
    other.write("pipeline.qwf.json", &env.read("pipeline.qwf.json"));
    other.run(&["import", "pipeline.qwf.json", "--yes"]).ok();
    other
        .run(&["rollback", "data-pipeline", "--to", "2", "--yes"])
        .ok();
    let run = other.run(&["validate", "data-pipeline"]).ok();
    assert!(
        !run.stdout.contains("unknown_skill") && !run.stdout.contains("slack-notify"),
        "{}",
        run.stdout
    );
}
