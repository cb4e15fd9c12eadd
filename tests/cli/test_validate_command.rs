use crate::common::{DATA_PIPELINE, TestEnv};

#[test]
fn a_valid_workflow_exits_zero() {
    let env = TestEnv::new();
    env.write("data-pipeline.json", DATA_PIPELINE);
    let run = env.run(&["validate", "data-pipeline.json"]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit: 0
    --- stdout
    ✓ data-pipeline.json is valid
    --- stderr
    ");
}

#[test]
fn every_problem_is_printed_with_place_and_hint() {
    let env = TestEnv::new();
    let broken = DATA_PIPELINE
        .replace("\"context.api_url\"", "\"context.api_ulr\"")
        .replace("\"outputs\": [\"validated\"]", "\"outputs\": [\"valid\"]")
        .replace(
            "\"skill\": \"db-writer\",",
            "\"skill\": \"db-writer\", \"retry\": 3,",
        );
    env.write("broken.json", &broken);
    let run = env.run(&["validate", "broken.json"]);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn invalid_json_is_reported_with_line_and_column() {
    let env = TestEnv::new();
    env.write(
        "syntax.json",
        "{\n  \"name\": \"w\",\n  \"steps\": [\n    {\"id\": \"a\" \"type\": \"skill\"}\n  ]\n}\n",
    );
    let run = env.run(&["validate", "syntax.json"]);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn json_output_is_one_document_with_every_issue() {
    let env = TestEnv::new();
    env.write("w.json", r#"{"name": "w", "steps": [{"id": "a", "type": "paralel"}, {"id": "a", "type": "skill", "skill": "s"}]}"#);
    let run = env.run(&["--json", "validate", "w.json"]);
    assert_eq!(run.code, 1);
    let document = run.json();
    assert_eq!(document["valid"], false);
    assert_eq!(document["errors"], 2);
    let codes: Vec<&str> = document["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|issue| issue["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["unknown_step_type", "duplicate_id"]);
    assert_eq!(document["issues"][0]["line"], 1);
    assert_eq!(document["issues"][1]["pointer"], "/steps/1/id");
}

#[test]
fn warnings_alone_keep_the_workflow_valid() {
    let env = TestEnv::new();
    env.write(
        "w.json",
        &DATA_PIPELINE.replacen(
            "\"name\": \"data-pipeline\",",
            "\"name\": \"data-pipeline\", \"owner\": \"ops\",",
            1,
        ),
    );
    let run = env.run(&["validate", "w.json"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stdout
            .contains("warning[unknown_field]: unknown workflow field 'owner'"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("✓ w.json is valid (0 errors, 1 warning)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_file_is_an_error_with_a_hint() {
    let env = TestEnv::new();
    let run = env.run(&["validate", "missing.json"]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit: 1
    --- stdout
    --- stderr
    Error: 'missing.json' does not exist
    Hint: check the path; `qwf validate` takes a workflow name (`qwf list`) or the path of a workflow JSON file
    ");
}

#[test]
fn a_missing_argument_is_a_usage_error() {
    let env = TestEnv::new();
    let run = env.run(&["validate"]);
    assert_eq!(run.code, 2, "{}", run.snapshot());
}

#[test]
fn a_skill_whose_file_is_broken_is_named_not_called_missing() {
    let env = TestEnv::new();
    env.write(
        "home/skills/brk.json",
        "{\"name\": \"brk\",\n \"command\": }",
    );
    env.write(
        "home/workflows/ub.json",
        r#"{"name": "ub", "steps": [{"id": "b", "type": "skill", "skill": "brk"}]}"#,
    );
    let run = env.run(&["validate", "ub"]).ok();
    assert!(
        run.stdout.contains("uses skill 'brk', whose file")
            && run.stdout.contains("cannot be read: line 2 column")
            && !run.stdout.contains("does not exist"),
        "{}",
        run.stdout
    );
}

/// The seed's skills with declared interfaces; data-validator produces only
/// `validated`.
fn pipeline_skills(env: &TestEnv) {
    env.write(
        "home/skills/http-fetch.json",
        r#"{"name": "http-fetch", "type": "code_inline", "command": "curl -fsSL \"$QWF_INPUT_URL\"", "inputs": ["url"], "outputs": ["data"]}"#,
    );
    env.write(
        "home/skills/data-validator.json",
        r#"{"name": "data-validator", "type": "code_inline", "command": "python3 validate.py",
            "inputs": ["data", {"name": "schema", "optional": true}], "outputs": ["validated"]}"#,
    );
    env.write(
        "home/skills/db-writer.json",
        r#"{"name": "db-writer", "type": "code_inline", "command": "python3 save.py", "inputs": ["data", "table"], "outputs": []}"#,
    );
}

#[test]
fn an_output_the_skill_does_not_produce_is_reported_with_step_output_and_skill() {
    let env = TestEnv::new();
    pipeline_skills(&env);
    let mut pipeline: serde_json::Value = serde_json::from_str(DATA_PIPELINE).expect("fixture");
    pipeline["steps"][1]["outputs"] = serde_json::json!(["validated", "success"]);
    pipeline["steps"][2]["inputs"]["ok"] = serde_json::json!("validate.success");
    env.write(
        "home/workflows/data-pipeline.json",
        &serde_json::to_string_pretty(&pipeline).expect("JSON"),
    );
    let run = env.run(&["validate", "data-pipeline"]).expect(1);
    insta::assert_snapshot!(run.snapshot());
    let document = env.run(&["--json", "validate", "data-pipeline"]).json();
    let codes: Vec<&str> = document["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|issue| issue["code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        codes,
        ["unproduced_output", "undeclared_input", "unproduced_output"]
    );
}

#[test]
fn a_skill_that_declares_nothing_keeps_validating_with_a_warning() {
    let env = TestEnv::new();
    env.write(
        "home/skills/http-fetch.json",
        r#"{"name": "http-fetch", "type": "code_inline", "command": "curl -fsSL \"$QWF_INPUT_URL\""}"#,
    );
    env.write(
        "home/skills/data-validator.json",
        r#"{"name": "data-validator", "type": "code_inline", "command": "python3 validate.py", "inputs": [], "outputs": []}"#,
    );
    env.write(
        "home/skills/db-writer.json",
        r#"{"name": "db-writer", "type": "code_inline", "command": "python3 save.py"}"#,
    );
    env.write("home/workflows/data-pipeline.json", DATA_PIPELINE);
    let run = env.run(&["validate", "data-pipeline"]).ok();
    assert_eq!(
        run.stdout.matches("warning[unknown_interface]").count(),
        3,
        "one warning per skill, none an error:\n{}",
        run.stdout
    );
}
