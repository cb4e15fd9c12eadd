use serde_json::json;

use super::*;
use crate::core::testing::{data_pipeline, parse};

#[test]
fn the_seed_workflow_parses_into_typed_steps() {
    let workflow = data_pipeline();
    assert_eq!(workflow.name, "data-pipeline");
    assert_eq!(workflow.steps.len(), 3);
    assert_eq!(
        workflow.steps[0].kind,
        StepKind::Skill {
            skill: "http-fetch".into()
        }
    );
    assert_eq!(workflow.steps[1].inputs["data"], json!("fetch.data"));
    assert_eq!(workflow.context.readonly["table"], json!("api_data"));
}

#[test]
fn printing_keeps_the_seed_layout() {
    let text = include_str!("../../../tests/fixtures/data-pipeline.json");
    let printed = data_pipeline().to_pretty_json();
    let normalise = |text: &str| serde_json::from_str::<Value>(text).map(|value| value.to_string());
    assert_eq!(normalise(&printed).ok(), normalise(text).ok());
    assert!(printed.starts_with("{\n  \"name\": \"data-pipeline\",\n  \"version\""));
    assert!(printed.contains(
        "\"id\": \"fetch\",\n      \"type\": \"skill\",\n      \"skill\": \"http-fetch\""
    ));
}

#[test]
fn every_step_type_nests_and_round_trips() {
    let text = r#"{
      "name": "nested", "steps": [
        {"id": "check", "type": "skill", "skill": "file-exists", "outputs": ["exists"]},
        {"id": "branch", "type": "conditional", "condition": "check.exists == true",
         "then": [{"id": "both", "type": "parallel", "steps": [
             {"id": "fix", "type": "agent", "agent": "code-fixer", "async": false,
              "guardrails": {"allowed_tools": ["fs_read"], "max_iterations": 5}},
             {"id": "note", "type": "skill", "skill": "notify"}]}],
         "else": [{"id": "skip", "type": "skill", "skill": "log"}]}
      ]}"#;
    let workflow = parse(text);
    let StepKind::Conditional {
        then, otherwise, ..
    } = &workflow.steps[1].kind
    else {
        panic!("expected a conditional step");
    };
    assert_eq!(otherwise[0].id, "skip");
    let StepKind::Parallel { steps } = &then[0].kind else {
        panic!("expected a parallel step")
    };
    assert!(
        matches!(&steps[0].kind, StepKind::Agent { run_async: Some(false), guardrails: Some(g), .. } if g.max_iterations == Some(5))
    );
    assert_eq!(
        Workflow::from_json_str(&workflow.to_pretty_json()),
        Ok(workflow)
    );
}

#[test]
fn unknown_fields_survive_a_round_trip_at_every_level() {
    let text = r#"{
      "name": "w", "owner": {"team": "data"}, "steps": [
        {"id": "a", "type": "skill", "skill": "s", "retries_note": "ask ops",
         "error_handling": {"strategy": "retry", "max_attempts": 3, "jitter": true},
         "condition": "left over from an older type"}
      ],
      "context": {"readonly": {"k": 1}, "secrets": ["API_KEY"]}
    }"#;
    let workflow = parse(text);
    assert_eq!(workflow.extra["owner"], json!({"team": "data"}));
    let step = &workflow.steps[0];
    assert_eq!(step.extra["retries_note"], json!("ask ops"));
    assert_eq!(
        step.extra["condition"],
        json!("left over from an older type")
    );
    assert_eq!(
        step.error_handling
            .as_ref()
            .map(|h| h.extra["jitter"].clone()),
        Some(json!(true))
    );
    assert_eq!(workflow.context.extra["secrets"], json!(["API_KEY"]));
    let printed: Value = serde_json::from_str(&workflow.to_pretty_json()).expect("valid JSON");
    let original: Value = serde_json::from_str(text).expect("valid JSON");
    assert_eq!(printed, original);
}

#[test]
fn an_unknown_step_type_is_kept_for_validation_to_report() {
    let workflow = parse(
        r#"{"name": "w", "steps": [{"id": "a", "type": "loop", "skill": "s", "over": "x"}]}"#,
    );
    assert_eq!(
        workflow.steps[0].kind,
        StepKind::Unknown {
            type_name: "loop".into()
        }
    );
    assert_eq!(workflow.steps[0].extra["skill"], json!("s"));
    let printed: Value = serde_json::from_str(&workflow.to_pretty_json()).expect("valid JSON");
    assert_eq!(
        printed["steps"][0],
        json!({"id": "a", "type": "loop", "skill": "s", "over": "x"})
    );
}

#[test]
fn syntax_errors_report_line_and_column() {
    let error = Workflow::from_json_str(
        "{\n  \"name\": \"w\",\n  \"steps\": [\n    {\"id\": \"a\" \"type\": \"skill\"}\n  ]\n}",
    )
    .expect_err("missing comma");
    assert_eq!((error.line, error.column), (4, 16));
    assert_eq!(error.message, "expected `,` or `}`");
    assert!(error.hint.contains("comma"));
}

#[test]
fn errors_inside_nested_steps_point_at_the_nested_step() {
    let text = "{\"name\": \"w\", \"steps\": [\n {\"id\": \"p\", \"type\": \"parallel\", \"steps\": [\n  {\"id\": \"a\", \"type\": \"skill\", \"timeout_secs\": \"soon\"}]}]}";
    let error = Workflow::from_json_str(text).expect_err("timeout is a string");
    assert_eq!(error.line, 3);
    assert!(
        error.message.contains("invalid type: string \"soon\""),
        "{}",
        error.message
    );
}

#[test]
fn a_step_without_its_required_field_is_a_parse_error_naming_the_step() {
    let error =
        Workflow::from_json_str(r#"{"name": "w", "steps": [{"id": "fetch", "type": "skill"}]}"#)
            .expect_err("no skill");
    assert_eq!(error.message, "skill step 'fetch' needs a \"skill\" field");
    assert_eq!(error.line, 1);
}

#[test]
fn missing_type_and_duplicate_fields_are_refused() {
    let error =
        Workflow::from_json_str(r#"{"name": "w", "steps": [{"id": "a"}]}"#).expect_err("no type");
    assert!(
        error.message.starts_with("step 'a' has no \"type\""),
        "{}",
        error.message
    );
    let error =
        Workflow::from_json_str(r#"{"name": "w", "name": "v", "steps": []}"#).expect_err("twice");
    assert!(
        error.message.contains("duplicate field `name`"),
        "{}",
        error.message
    );
}

#[test]
fn own_fields_leave_nested_steps_out() {
    let workflow = parse(
        r#"{"name": "w", "steps": [{"id": "p", "type": "parallel", "timeout_secs": 5, "steps": [{"id": "a", "type": "skill", "skill": "s"}]}]}"#,
    );
    let fields = workflow.steps[0].own_fields();
    assert_eq!(
        Value::Object(fields),
        json!({"id": "p", "type": "parallel", "timeout_secs": 5})
    );
}
