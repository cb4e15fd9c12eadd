use serde_json::json;

use super::*;
use crate::core::model::{Backoff, Strategy};
use crate::core::testing::{data_pipeline, modifications, parse};

fn ids(steps: &[Step]) -> Vec<&str> {
    steps.iter().map(|step| step.id.as_str()).collect()
}

fn apply_json(workflow: &Workflow, value: serde_json::Value) -> Result<Workflow, ApplyError> {
    apply(workflow, &modifications(value))
}

fn nested() -> Workflow {
    parse(
        r#"{"name": "n", "steps": [
            {"id": "check", "type": "skill", "skill": "s", "outputs": ["ok"]},
            {"id": "branch", "type": "conditional", "condition": "check.ok",
             "then": [{"id": "p", "type": "parallel", "steps": [{"id": "x", "type": "skill", "skill": "s"}]}]}]}"#,
    )
}

#[test]
fn add_step_after_before_and_at_positions() {
    let base = data_pipeline();
    let log = json!({"id": "log", "type": "skill", "skill": "logger"});
    let after = apply_json(
        &base,
        json!([{"type": "add_step", "step": log, "after": "fetch"}]),
    )
    .expect("applies");
    assert_eq!(ids(&after.steps), ["fetch", "log", "validate", "save"]);
    let before = apply_json(
        &base,
        json!([{"type": "add_step", "step": log, "before": "fetch"}]),
    )
    .expect("applies");
    assert_eq!(ids(&before.steps), ["log", "fetch", "validate", "save"]);
    let start = apply_json(
        &base,
        json!([{"type": "add_step", "step": log, "position": "start"}]),
    )
    .expect("applies");
    assert_eq!(ids(&start.steps), ["log", "fetch", "validate", "save"]);
    let index = apply_json(
        &base,
        json!([{"type": "add_step", "step": log, "position": 2}]),
    )
    .expect("applies");
    assert_eq!(ids(&index.steps), ["fetch", "validate", "log", "save"]);
    let end = apply_json(&base, json!([{"type": "add_step", "step": log}])).expect("applies");
    assert_eq!(ids(&end.steps), ["fetch", "validate", "save", "log"]);
}

#[test]
fn add_step_into_nested_lists() {
    let base = nested();
    let step = json!({"id": "y", "type": "skill", "skill": "s"});
    let into_parallel = apply_json(
        &base,
        json!([{"type": "add_step", "step": step, "parent": "p", "position": "start"}]),
    )
    .expect("applies");
    let StepKind::Conditional { then, .. } = &into_parallel.steps[1].kind else {
        panic!()
    };
    let StepKind::Parallel { steps } = &then[0].kind else {
        panic!()
    };
    assert_eq!(ids(steps), ["y", "x"]);
    let into_else = apply_json(
        &base,
        json!([{"type": "add_step", "step": step, "parent": "branch", "branch": "else"}]),
    )
    .expect("applies");
    let StepKind::Conditional { otherwise, .. } = &into_else.steps[1].kind else {
        panic!()
    };
    assert_eq!(ids(otherwise), ["y"]);
    let after_nested = apply_json(
        &base,
        json!([{"type": "add_step", "step": step, "after": "x"}]),
    )
    .expect("applies");
    assert_eq!(
        tree::locate(&after_nested, "y"),
        Some((Container::Parallel("p".into()), 1))
    );
}

#[test]
fn add_step_refuses_bad_placements_and_ids() {
    let base = data_pipeline();
    let cases = [
        (
            json!({"id": "fetch", "type": "skill", "skill": "s"}),
            json!({}),
            "a step with id 'fetch' already exists",
        ),
        (
            json!({"id": "a.b", "type": "skill", "skill": "s"}),
            json!({}),
            "step id 'a.b' is not valid",
        ),
        (
            json!({"id": "n", "type": "skill", "skill": "s"}),
            json!({"after": "fecth"}),
            "there is no step 'fecth'",
        ),
        (
            json!({"id": "n", "type": "skill", "skill": "s"}),
            json!({"position": 9}),
            "position 9 is past the end of the workflow (3 steps)",
        ),
        (
            json!({"id": "n", "type": "skill", "skill": "s"}),
            json!({"after": "fetch", "before": "save"}),
            "give only one of",
        ),
        (
            json!({"id": "n", "type": "skill", "skill": "s"}),
            json!({"parent": "fetch"}),
            "'fetch' is a skill step and cannot hold other steps",
        ),
        (
            json!({"id": "n", "type": "parallel", "steps": [{"id": "m", "type": "skill", "skill": "s"}, {"id": "m", "type": "skill", "skill": "s"}]}),
            json!({}),
            "a step with id 'm' already exists",
        ),
    ];
    for (step, placement, expected) in cases {
        let mut modification = json!({"type": "add_step", "step": step});
        for (key, value) in placement.as_object().expect("object") {
            modification[key] = value.clone();
        }
        let error = apply_json(&base, json!([modification])).expect_err("refused");
        assert!(
            error.message.contains(expected),
            "{} does not contain {expected}",
            error.message
        );
        assert_eq!((error.index, error.kind), (0, "add_step"));
    }
}

#[test]
fn an_unknown_step_error_names_the_item_and_suggests() {
    let error = apply_json(
        &data_pipeline(),
        json!([{"type": "remove_step", "id": "valdate"}]),
    )
    .expect_err("unknown");
    assert_eq!(
        error.to_string(),
        "modification 0 (remove_step): there is no step 'valdate'"
    );
    assert_eq!(error.step_id.as_deref(), Some("valdate"));
    assert_eq!(error.hint, "did you mean 'validate'?");
}

#[test]
fn remove_step_removes_nested_steps_with_it() {
    let result =
        apply_json(&nested(), json!([{"type": "remove_step", "id": "branch"}])).expect("applies");
    assert_eq!(ids(&result.steps), ["check"]);
    let result =
        apply_json(&nested(), json!([{"type": "remove_step", "id": "x"}])).expect("applies");
    assert!(tree::find(&result.steps, "x").is_none());
}

#[test]
fn modify_step_applies_a_merge_patch() {
    let result = apply_json(
        &data_pipeline(),
        json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30, "inputs": {"headers": "context.headers", "url": null}}}]),
    )
    .expect("applies");
    let fetch = &result.steps[0];
    assert_eq!(fetch.timeout_secs, Some(30));
    assert_eq!(
        serde_json::Value::Object(fetch.inputs.clone()),
        json!({"headers": "context.headers"})
    );
}

#[test]
fn modify_step_can_change_the_skill_and_type() {
    let result = apply_json(
        &data_pipeline(),
        json!([{"type": "modify_step", "id": "save", "changes": {"type": "agent", "skill": null, "agent": "db-agent"}}]),
    )
    .expect("applies");
    assert!(matches!(&result.steps[2].kind, StepKind::Agent { agent, .. } if agent == "db-agent"));
}

#[test]
fn modify_step_refuses_id_changes_bad_shapes_and_broken_steps() {
    let base = data_pipeline();
    let cases = [
        (json!({"id": "get"}), "cannot change a step's id"),
        (json!("timeout 30"), "must be a JSON object"),
        (
            json!({"timeout_secs": "thirty"}),
            "the changes make step 'fetch' invalid",
        ),
        (
            json!({"skill": null}),
            "skill step 'fetch' needs a \"skill\" field",
        ),
    ];
    for (changes, expected) in cases {
        let error = apply_json(
            &base,
            json!([{"type": "modify_step", "id": "fetch", "changes": changes}]),
        )
        .expect_err("refused");
        assert!(
            error.message.contains(expected),
            "{} does not contain {expected}",
            error.message
        );
    }
    let error = apply_json(
        &nested(),
        json!([{"type": "modify_step", "id": "p", "changes": {"steps": [{"id": "check", "type": "skill", "skill": "s"}]}}]),
    )
    .expect_err("duplicate nested id");
    assert!(
        error.message.contains("second step with id 'check'"),
        "{}",
        error.message
    );
}

#[test]
fn add_error_handling_sets_retry() {
    let result = apply_json(
        &data_pipeline(),
        json!([{"type": "add_error_handling", "step_id": "fetch",
                "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}}]),
    )
    .expect("applies");
    let handling = result.steps[0].error_handling.as_ref().expect("set");
    assert_eq!(
        (handling.strategy, handling.max_attempts, handling.backoff),
        (Strategy::Retry, Some(3), Some(Backoff::Exponential))
    );
}

#[test]
fn make_parallel_groups_independent_siblings_in_place() {
    let base = parse(
        r#"{"name": "w", "steps": [
            {"id": "a", "type": "skill", "skill": "s", "outputs": ["x"]},
            {"id": "b", "type": "skill", "skill": "s", "inputs": {"x": "a.x"}},
            {"id": "c", "type": "skill", "skill": "s", "inputs": {"x": "a.x"}}]}"#,
    );
    let result = apply_json(
        &base,
        json!([{"type": "make_parallel", "step_ids": ["c", "b"]}]),
    )
    .expect("applies");
    assert_eq!(ids(&result.steps), ["a", "parallel"]);
    let StepKind::Parallel { steps } = &result.steps[1].kind else {
        panic!()
    };
    assert_eq!(ids(steps), ["b", "c"]);
    let named = apply_json(
        &base,
        json!([{"type": "make_parallel", "step_ids": ["b", "c"], "id": "checks"}]),
    )
    .expect("applies");
    assert_eq!(named.steps[1].id, "checks");
}

#[test]
fn make_parallel_refuses_dependent_steps_and_strangers() {
    let error = apply_json(
        &data_pipeline(),
        json!([{"type": "make_parallel", "step_ids": ["fetch", "validate"]}]),
    )
    .expect_err("dependent");
    assert_eq!(
        error.message,
        "'validate' reads the output of 'fetch', so 'validate' and 'fetch' cannot run at the same time"
    );
    let error = apply_json(
        &nested(),
        json!([{"type": "make_parallel", "step_ids": ["check", "x"]}]),
    )
    .expect_err("not siblings");
    assert!(
        error
            .message
            .contains("is in the workflow but 'x' is in parallel 'p'"),
        "{}",
        error.message
    );
    let error = apply_json(
        &data_pipeline(),
        json!([{"type": "make_parallel", "step_ids": ["fetch"]}]),
    )
    .expect_err("one step");
    assert!(error.message.contains("at least two"), "{}", error.message);
}

#[test]
fn reorder_steps_permutes_siblings_in_their_places() {
    let base = parse(
        r#"{"name": "w", "steps": [
            {"id": "a", "type": "skill", "skill": "s"}, {"id": "b", "type": "skill", "skill": "s"},
            {"id": "c", "type": "skill", "skill": "s"}, {"id": "d", "type": "skill", "skill": "s"}]}"#,
    );
    let result = apply_json(
        &base,
        json!([{"type": "reorder_steps", "order": ["d", "b", "c", "a"]}]),
    )
    .expect("applies");
    assert_eq!(ids(&result.steps), ["d", "b", "c", "a"]);
    let partial = apply_json(
        &base,
        json!([{"type": "reorder_steps", "order": ["c", "a"]}]),
    )
    .expect("applies");
    assert_eq!(ids(&partial.steps), ["c", "b", "a", "d"]);
    let error = apply_json(
        &base,
        json!([{"type": "reorder_steps", "order": ["a", "a"]}]),
    )
    .expect_err("twice");
    assert!(error.message.contains("listed twice"));
}

#[test]
fn rename_step_rewrites_every_reference() {
    let base = parse(
        r#"{"name": "w", "steps": [
            {"id": "fetch", "type": "skill", "skill": "s", "outputs": ["data"], "error_handling": {"strategy": "fallback", "fallback": "backup"}},
            {"id": "backup", "type": "skill", "skill": "s", "outputs": ["data"]},
            {"id": "c", "type": "conditional", "condition": "fetch.data != '' && fetcher.x",
             "then": [{"id": "save", "type": "skill", "skill": "s", "inputs": {"a": "fetch.data", "b": "fetchers.data", "c": "fetch"}}]}]}"#,
    );
    let result = apply_json(
        &base,
        json!([
            {"type": "rename_step", "id": "fetch", "new_id": "download"},
            {"type": "rename_step", "id": "backup", "new_id": "mirror"}
        ]),
    )
    .expect("applies");
    let text = result.to_pretty_json();
    assert!(!text.contains("\"fetch."), "{text}");
    let StepKind::Conditional {
        condition, then, ..
    } = &result.steps[2].kind
    else {
        panic!()
    };
    assert_eq!(condition, "download.data != '' && fetcher.x");
    assert_eq!(
        serde_json::Value::Object(then[0].inputs.clone()),
        json!({"a": "download.data", "b": "fetchers.data", "c": "fetch"})
    );
    assert_eq!(
        result.steps[0]
            .error_handling
            .as_ref()
            .and_then(|h| h.fallback.as_deref()),
        Some("mirror")
    );
    let error = apply_json(
        &base,
        json!([{"type": "rename_step", "id": "fetch", "new_id": "backup"}]),
    )
    .expect_err("taken");
    assert!(error.message.contains("already exists"));
}

#[test]
fn context_and_description_modifications() {
    let result = apply_json(
        &data_pipeline(),
        json!([
            {"type": "set_context", "key": "timeout", "value": 30},
            {"type": "remove_context", "key": "schema"},
            {"type": "set_description", "description": "Nightly import"}
        ]),
    )
    .expect("applies");
    assert_eq!(result.context.readonly.get("timeout"), Some(&json!(30)));
    assert!(!result.context.readonly.contains_key("schema"));
    assert_eq!(result.description.as_deref(), Some("Nightly import"));
    let error = apply_json(
        &data_pipeline(),
        json!([{"type": "remove_context", "key": "tabel"}]),
    )
    .expect_err("unknown key");
    assert_eq!(error.hint, "did you mean 'table'?");
    let error = apply_json(
        &data_pipeline(),
        json!([{"type": "set_context", "key": "a.b", "value": 1}]),
    )
    .expect_err("bad key");
    assert!(error.message.contains("cannot be a context key"));
}

#[test]
fn applying_is_all_or_nothing_and_names_the_failing_modification() {
    let base = data_pipeline();
    let error = apply_json(
        &base,
        json!([
            {"type": "set_description", "description": "changed"},
            {"type": "remove_step", "id": "save"},
            {"type": "remove_step", "id": "save"}
        ]),
    )
    .expect_err("second removal fails");
    assert_eq!((error.index, error.kind), (2, "remove_step"));
    assert_eq!(base, data_pipeline());
}

#[test]
fn modifications_parse_from_the_documented_shapes_and_refuse_typos() {
    let parsed: Result<Vec<Modification>, _> =
        serde_json::from_value(json!([{"type": "remove_step", "id": "a", "force": true}]));
    assert!(
        parsed.is_err(),
        "unknown fields in a modification are refused"
    );
    let parsed: Result<Vec<Modification>, _> =
        serde_json::from_value(json!([{"type": "delete_step", "id": "a"}]));
    assert!(parsed.is_err());
    let round_trip: Vec<Modification> = modifications(json!([
        {"type": "add_step", "step": {"id": "n", "type": "skill", "skill": "s"}, "position": "end"},
        {"type": "make_parallel", "step_ids": ["a", "b"]}
    ]));
    assert_eq!(
        serde_json::to_value(&round_trip).expect("serializes")[0]["position"],
        json!("end")
    );
}

#[test]
fn modifications_describe_themselves() {
    let list = modifications(json!([
        {"type": "add_step", "step": {"id": "log", "type": "skill", "skill": "logger"}, "after": "fetch"},
        {"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}},
        {"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}},
        {"type": "rename_step", "id": "a", "new_id": "b"}
    ]));
    let described: Vec<String> = list.iter().map(ToString::to_string).collect();
    assert_eq!(
        described,
        [
            "add step 'log' (skill) after 'fetch'",
            "set error handling of 'fetch' to retry (3 attempts, exponential)",
            "modify step 'fetch' (timeout_secs)",
            "rename step 'a' to 'b'",
        ]
    );
}
