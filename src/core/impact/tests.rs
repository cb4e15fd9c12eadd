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
    assert!(evaluation.impact.steps_added.is_empty());
    assert!(evaluation.impact.steps_removed.is_empty());
    assert_eq!(
        evaluation.impact.steps_renamed,
        [Renamed {
            from: "validate".into(),
            to: "check".into()
        }]
    );
    assert!(evaluation.impact.behaviour.is_empty());
    assert!(evaluation.impact.rewrite.is_none());
    // The same change given as its result (a rollback, a hand edit).
    let evaluation = evaluate_result(&data_pipeline(), evaluation.result, None);
    assert_eq!(evaluation.impact.verdict, Verdict::Safe);
    assert_eq!(evaluation.impact.steps_renamed.len(), 1);
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
    // It cannot run until the skill exists: not safe.
    assert_eq!(evaluation.impact.verdict, Verdict::NeedsAttention);
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

// ---------------------------------------------------------------------------
// Verdicts, rule by rule (README, "Verdicts"), against a registry that
// declares interfaces.

fn with_registry(workflow: &Workflow, value: serde_json::Value) -> Evaluation {
    match evaluate(
        workflow,
        &modifications(value),
        Some(&crate::core::testing::pipeline_registry()),
    ) {
        Ok(evaluation) => evaluation,
        Err(error) => panic!("does not apply: {error}"),
    }
}

fn verdict_of(value: serde_json::Value) -> (Verdict, Impact) {
    let evaluation = with_registry(&data_pipeline(), value);
    (evaluation.impact.verdict, evaluation.impact)
}

#[test]
fn breaking_when_the_result_fails_the_skill_checks() {
    // s3-uploader takes data and bucket: fetch gives it neither.
    let (verdict, impact) = verdict_of(
        json!([{"type": "modify_step", "id": "fetch", "changes": {"skill": "s3-uploader"}}]),
    );
    assert_eq!(verdict, Verdict::Breaking);
    assert_eq!(impact.errors.len(), 2, "{:#?}", impact.errors);
    assert!(
        impact
            .errors
            .iter()
            .all(|issue| issue.code == IssueCode::MissingInput)
    );
    assert_eq!(
        impact.executes[0].executes.as_deref(),
        Some("aws s3 cp - s3://bucket/key")
    );
    assert_eq!(impact.executes[0].replaces.as_deref(), Some("http-fetch"));
}

#[test]
fn breaking_when_a_step_declares_an_output_its_skill_does_not_produce() {
    let (verdict, impact) = verdict_of(json!([
        {"type": "modify_step", "id": "validate", "changes": {"outputs": ["validated", "success"]}}
    ]));
    assert_eq!(verdict, Verdict::Breaking);
    assert_eq!(impact.errors[0].code, IssueCode::UnproducedOutput);
}

#[test]
fn breaking_when_a_read_step_is_guarded_by_a_condition() {
    // validate is read by save, which stays outside the condition.
    let (verdict, impact) = verdict_of(json!([
        {"type": "remove_step", "id": "validate"},
        {"type": "add_step", "after": "fetch", "step": {"id": "if-big", "type": "conditional", "condition": "context.table != ''",
            "then": [{"id": "validate", "type": "skill", "skill": "data-validator", "inputs": {"data": "fetch.data"}, "outputs": ["validated"]}]}}
    ]));
    assert_eq!(verdict, Verdict::Breaking);
    assert_eq!(impact.broken_references[0].consumer, "save");
    let change = impact
        .behaviour
        .iter()
        .find(|change| change.step == "validate")
        .expect("validate's behaviour changes");
    assert_eq!(
        change.to_string(),
        "validate: runs → runs only if `context.table != ''` (read by 'save')"
    );
}

#[test]
fn breaking_when_a_step_stops_running_in_its_own_place() {
    // Nobody reads save, but it now runs only when validate fails.
    let (verdict, impact) = verdict_of(json!([
        {"type": "add_error_handling", "step_id": "validate", "error_handling": {"strategy": "fallback", "fallback": "save"}}
    ]));
    assert_eq!(verdict, Verdict::Breaking);
    assert!(impact.errors.is_empty() && impact.broken_references.is_empty());
    assert_eq!(
        impact
            .behaviour
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["save: runs → runs only as the fallback of 'validate'"]
    );
    assert_eq!(
        impact.reasons,
        ["'save' no longer runs in its own place: it runs only as the fallback of 'validate'"]
    );
}

#[test]
fn breaking_when_a_read_step_is_made_a_fallback() {
    let (verdict, impact) = verdict_of(json!([
        {"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "fallback", "fallback": "validate"}}
    ]));
    assert_eq!(verdict, Verdict::Breaking);
    assert_eq!(impact.broken_references[0].consumer, "save");
    assert_eq!(impact.behaviour[0].read_by[0].reader, "save");
}

#[test]
fn needs_attention_when_a_step_nobody_reads_is_guarded() {
    let (verdict, impact) = verdict_of(json!([
        {"type": "modify_step", "id": "validate", "changes": {"outputs": ["validated", "valid"]}},
        {"type": "remove_step", "id": "save"},
        {"type": "add_step", "after": "validate", "step": {"id": "if-valid", "type": "conditional", "condition": "validate.valid == true",
            "then": [{"id": "save", "type": "skill", "skill": "db-writer", "inputs": {"data": "validate.validated", "table": "context.table"}}]}}
    ]));
    assert_eq!(verdict, Verdict::NeedsAttention, "{:#?}", impact);
    assert_eq!(
        impact
            .behaviour
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "save: runs → runs only if `validate.valid == true`",
            "if-valid: new → runs"
        ]
    );
}

#[test]
fn needs_attention_when_a_skill_is_swapped_for_another_command() {
    let (verdict, impact) = verdict_of(
        json!([{"type": "modify_step", "id": "fetch", "changes": {"skill": "curl-fetch"}}]),
    );
    assert_eq!(verdict, Verdict::NeedsAttention);
    assert_eq!(
        impact.executes,
        [Execution {
            step: "fetch".into(),
            kind: "skill".into(),
            name: "curl-fetch".into(),
            replaces: Some("http-fetch".into()),
            executes: Some("curl -fsSL --retry 2".into()),
        }]
    );
}

#[test]
fn needs_attention_when_a_value_several_steps_read_changes() {
    let mut workflow = data_pipeline();
    workflow.steps[1]
        .inputs
        .insert("schema".into(), json!("context.table"));
    let evaluation = with_registry(
        &workflow,
        json!([{"type": "set_context", "key": "table", "value": "events"}]),
    );
    assert_eq!(evaluation.impact.verdict, Verdict::NeedsAttention);
    assert_eq!(
        evaluation.impact.shared_values[0].readers,
        ["validate", "save"]
    );
    // One reader: tuning.
    let (verdict, _) =
        verdict_of(json!([{"type": "set_context", "key": "table", "value": "events"}]));
    assert_eq!(verdict, Verdict::Safe);
}

#[test]
fn safe_for_tuning_and_a_new_step_wired_correctly() {
    for tuning in [
        json!([{"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3}}]),
        json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}}]),
        json!([{"type": "add_error_handling", "step_id": "save", "error_handling": {"strategy": "continue"}}]),
        json!([{"type": "modify_step", "id": "save", "changes": {"description": "Store the rows"}}]),
        json!([{"type": "set_description", "description": "Fetch and keep API data"}]),
        json!([{"type": "rename_step", "id": "fetch", "new_id": "download"}]),
        json!([{"type": "add_step", "after": "fetch", "step": {"id": "log", "type": "skill", "skill": "logger", "inputs": {"data": "fetch.data"}}}]),
    ] {
        let (verdict, impact) = verdict_of(tuning.clone());
        assert_eq!(verdict, Verdict::Safe, "{tuning}: {:#?}", impact.reasons);
    }
    let (_, impact) = verdict_of(json!([{"type": "add_step", "after": "fetch",
        "step": {"id": "log", "type": "skill", "skill": "logger", "inputs": {"data": "fetch.data"}}}]));
    assert_eq!(
        impact.executes[0].executes.as_deref(),
        Some("logger -t qwf")
    );
    assert_eq!(impact.behaviour[0].to_string(), "log: new → runs");
}

#[test]
fn a_proposal_that_replaces_most_steps_is_a_rewrite() {
    let (verdict, impact) = verdict_of(json!([
        {"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3}},
        {"type": "remove_step", "id": "validate"},
        {"type": "remove_step", "id": "save"},
        {"type": "add_step", "after": "fetch", "step": {"id": "post", "type": "skill", "skill": "http-fetch", "inputs": {"url": "https://collector.example.net"}}},
        {"type": "set_description", "description": "Post the data"}
    ]));
    assert_eq!(verdict, Verdict::NeedsAttention);
    let rewrite = impact.rewrite.expect("a rewrite");
    assert_eq!(
        (rewrite.steps_before, rewrite.removed, rewrite.added),
        (3, 2, 1)
    );
    assert_eq!(
        rewrite.reason,
        "it removes 2, adds 1 of the workflow's 3 steps"
    );
    // One removal is an edit.
    let (_, impact) = verdict_of(json!([{"type": "remove_step", "id": "save"}]));
    assert!(impact.rewrite.is_none());
}

#[test]
fn pre_existing_problems_on_a_renamed_step_are_not_blamed_on_the_rename() {
    let mut workflow = data_pipeline();
    workflow.steps[1].outputs = vec!["validated".into(), "success".into()];
    let evaluation = with_registry(
        &workflow,
        json!([{"type": "rename_step", "id": "validate", "new_id": "check"}]),
    );
    assert!(!evaluation.validation.is_valid());
    assert_eq!(
        evaluation.impact.verdict,
        Verdict::Safe,
        "{:#?}",
        evaluation.impact
    );
}
