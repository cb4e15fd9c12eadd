use serde_json::json;

use super::*;
use crate::core::testing::{data_pipeline, modifications, parse};

fn evaluate_json(workflow: &Workflow, value: serde_json::Value) -> Evaluation {
    match evaluate(workflow, &modifications(value), None) {
        Ok(evaluation) => evaluation,
        Err(error) => panic!("does not apply: {error}"),
    }
}

#[test]
fn mistake_recovery_removing_validate_is_breaking_and_names_the_consumer() {
    let evaluation = evaluate_json(
        &data_pipeline(),
        json!([{"type": "remove_step", "id": "validate"}]),
    );
    let impact = &evaluation.impact;
    assert_eq!(impact.verdict, Verdict::Breaking);
    assert_eq!(impact.steps_removed, ["validate"]);
    assert_eq!(impact.broken_references.len(), 1);
    let broken = &impact.broken_references[0];
    assert_eq!(broken.consumer, "save");
    assert_eq!(broken.producer.as_deref(), Some("validate"));
    assert_eq!(broken.pointer, "/steps/1/inputs/data");
    assert_eq!(
        broken.message,
        "step 'save' input 'data' reads 'validate.validated', but there is no step 'validate'"
    );
    assert!(impact.warnings.is_empty(), "{:?}", impact.warnings);
}

#[test]
fn adding_retry_to_fetch_is_safe() {
    let evaluation = evaluate_json(
        &data_pipeline(),
        json!([{"type": "add_error_handling", "step_id": "fetch",
                "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}}]),
    );
    assert_eq!(evaluation.impact.verdict, Verdict::Safe);
    assert_eq!(evaluation.impact.steps_modified, ["fetch"]);
    assert!(evaluation.impact.steps_added.is_empty() && evaluation.impact.steps_removed.is_empty());
    assert_eq!(
        evaluation.diff.to_string(),
        "~ fetch.error_handling: added {\"strategy\":\"retry\",\"max_attempts\":3,\"backoff\":\"exponential\"}\n"
    );
}

#[test]
fn removing_a_step_nobody_reads_is_a_warning_not_breaking() {
    let evaluation = evaluate_json(
        &data_pipeline(),
        json!([{"type": "remove_step", "id": "save"}]),
    );
    assert_eq!(evaluation.impact.verdict, Verdict::NeedsAttention);
    assert_eq!(
        evaluation.impact.warnings,
        [
            "step 'save' will be removed; nothing reads its outputs, but what it does (running skill 'db-writer') will no longer happen"
        ]
    );
}

#[test]
fn dropping_a_consumed_output_breaks_its_consumers() {
    let evaluation = evaluate_json(
        &data_pipeline(),
        json!([{"type": "modify_step", "id": "fetch", "changes": {"outputs": ["body"]}}]),
    );
    assert_eq!(evaluation.impact.verdict, Verdict::Breaking);
    assert_eq!(evaluation.impact.broken_references[0].consumer, "validate");
    assert!(
        evaluation.impact.broken_references[0]
            .message
            .contains("has no output 'data'")
    );
}

#[test]
fn moving_a_consumer_before_its_producer_is_breaking() {
    let evaluation = evaluate_json(
        &data_pipeline(),
        json!([{"type": "reorder_steps", "order": ["save", "fetch", "validate"]}]),
    );
    assert_eq!(evaluation.impact.verdict, Verdict::Breaking);
    assert_eq!(evaluation.impact.steps_moved, ["save"]);
    assert!(
        evaluation.impact.broken_references[0]
            .message
            .ends_with("but 'validate' runs later")
    );
}

#[test]
fn existing_problems_are_not_blamed_on_the_change() {
    let mut broken = data_pipeline();
    broken.steps[2]
        .inputs
        .insert("extra".into(), json!("ghost.value"));
    let evaluation = evaluate_json(
        &broken,
        json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}}]),
    );
    assert_eq!(evaluation.impact.verdict, Verdict::Safe);
    assert!(
        !evaluation.validation.is_valid(),
        "the result still has the old problem"
    );
}

#[test]
fn renaming_keeps_every_reference_working() {
    let evaluation = evaluate_json(
        &data_pipeline(),
        json!([{"type": "rename_step", "id": "validate", "new_id": "check"}]),
    );
    assert_eq!(evaluation.impact.verdict, Verdict::Safe);
    assert_eq!(evaluation.impact.steps_added, ["check"]);
    assert_eq!(evaluation.impact.steps_removed, ["validate"]);
}

#[test]
fn new_skills_needed_come_from_the_registry() {
    let known = KnownResources::names(
        ["http-fetch", "data-validator", "db-writer"],
        Vec::<String>::new(),
    );
    let modifications = modifications(json!([
        {"type": "add_step", "step": {"id": "notify", "type": "skill", "skill": "slack-notify"}, "after": "save"}
    ]));
    let evaluation = evaluate(&data_pipeline(), &modifications, Some(&known)).expect("applies");
    assert_eq!(evaluation.impact.new_skills_needed, ["slack-notify"]);
    assert_eq!(evaluation.impact.verdict, Verdict::Safe);
    assert!(!evaluation.validation.is_valid());
}

#[test]
fn new_warnings_need_attention() {
    let evaluation = evaluate_json(
        &data_pipeline(),
        json!([{"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry"}}]),
    );
    assert_eq!(evaluation.impact.verdict, Verdict::NeedsAttention);
    assert_eq!(
        evaluation.impact.warnings,
        ["step 'fetch' retries without max_attempts, so it retries forever"]
    );
}

#[test]
fn an_empty_change_is_safe() {
    let workflow = parse(r#"{"name": "w", "steps": [{"id": "a", "type": "skill", "skill": "s"}]}"#);
    let evaluation = evaluate(&workflow, &[], None).expect("nothing to apply");
    assert_eq!(evaluation.impact.verdict, Verdict::Safe);
    assert!(evaluation.diff.is_empty());
}
