use serde_json::json;

use super::*;
use crate::core::modification::apply;
use crate::core::testing::{data_pipeline, modifications, parse};

fn changed(value: serde_json::Value) -> Workflow {
    apply(&data_pipeline(), &modifications(value)).expect("applies")
}

fn lines(diff: &SemanticDiff) -> Vec<String> {
    diff.changes.iter().map(ToString::to_string).collect()
}

#[test]
fn journey_changes_read_as_plus_minus_tilde_lines() {
    let new = changed(json!([
        {"type": "add_step", "step": {"id": "log-response", "type": "skill", "skill": "logger", "inputs": {"data": "fetch.data"}}, "after": "fetch"},
        {"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}},
        {"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30, "inputs": {"url": "context.backup_url"}}},
        {"type": "remove_step", "id": "save"},
        {"type": "set_context", "key": "backup_url", "value": "https://b.example.com"},
        {"type": "set_context", "key": "table", "value": "events"},
        {"type": "set_description", "description": "Fetch and check"}
    ]));
    let diff = semantic_diff(&data_pipeline(), &new);
    assert_eq!(
        lines(&diff),
        [
            "~ description: \"Fetch, validate, and save API data\" → \"Fetch and check\"",
            "- step save (skill, was after 'validate')",
            "~ fetch.inputs.url: \"context.api_url\" → \"context.backup_url\"",
            "~ fetch.timeout_secs: added 30",
            "~ fetch.error_handling: added {\"strategy\":\"retry\",\"max_attempts\":3,\"backoff\":\"exponential\"}",
            "+ step log-response (skill, after 'fetch')",
            "~ context.table: \"api_data\" → \"events\"",
            "+ context.backup_url = \"https://b.example.com\"",
        ]
    );
}

#[test]
fn nested_fields_diff_by_path() {
    let base = changed(
        json!([{"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3}}]),
    );
    let new = apply(&base, &modifications(json!([{"type": "modify_step", "id": "fetch", "changes": {"error_handling": {"max_attempts": 5, "backoff": "linear"}}}]))).expect("applies");
    assert_eq!(
        lines(&semantic_diff(&base, &new)),
        [
            "~ fetch.error_handling.max_attempts: 3 → 5",
            "~ fetch.error_handling.backoff: added \"linear\""
        ]
    );
}

#[test]
fn a_reorder_reports_only_the_step_that_moved() {
    let new = changed(json!([{"type": "reorder_steps", "order": ["validate", "fetch", "save"]}]));
    let diff = semantic_diff(&data_pipeline(), &new);
    assert_eq!(lines(&diff), ["~ validate.position: after 'fetch' → first"]);
}

#[test]
fn grouping_into_parallel_shows_the_new_group_and_the_moves() {
    let base = parse(
        r#"{"name": "w", "steps": [{"id": "a", "type": "skill", "skill": "s"}, {"id": "b", "type": "skill", "skill": "s"}]}"#,
    );
    let new = apply(
        &base,
        &modifications(json!([{"type": "make_parallel", "step_ids": ["a", "b"], "id": "both"}])),
    )
    .expect("applies");
    assert_eq!(
        lines(&semantic_diff(&base, &new)),
        [
            "+ step both (parallel, first)",
            "~ a.position: first → first in parallel 'both'",
            "~ b.position: after 'a' → after 'a' in parallel 'both'",
        ]
    );
}

#[test]
fn identical_workflows_have_no_diff() {
    assert!(semantic_diff(&data_pipeline(), &data_pipeline()).is_empty());
    assert_eq!(
        text_diff(&data_pipeline(), &data_pipeline(), "v1", "v2"),
        ""
    );
}

#[test]
fn the_text_diff_is_a_unified_diff_of_the_pretty_json() {
    let new =
        changed(json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}}]));
    let text = text_diff(
        &data_pipeline(),
        &new,
        "data-pipeline v1",
        "data-pipeline v2",
    );
    assert!(
        text.starts_with("--- data-pipeline v1\n+++ data-pipeline v2\n@@ "),
        "{text}"
    );
    assert!(text.contains("+      \"timeout_secs\": 30\n"), "{text}");
    assert!(text.contains("-      ]\n+      ],\n"), "{text}");
}

#[test]
fn modifications_between_rebuild_the_target() {
    let old = parse(
        r#"{"name": "w", "steps": [
            {"id": "a", "type": "skill", "skill": "s", "outputs": ["x"]},
            {"id": "p", "type": "parallel", "steps": [{"id": "b", "type": "skill", "skill": "s"}]},
            {"id": "c", "type": "conditional", "condition": "a.x", "then": [{"id": "d", "type": "skill", "skill": "s"}]}],
           "context": {"readonly": {"k": 1, "gone": 2}}}"#,
    );
    let new = parse(
        r#"{"name": "w", "description": "now described", "steps": [
            {"id": "c", "type": "conditional", "condition": "true", "then": [], "else": [{"id": "d", "type": "skill", "skill": "t"}]},
            {"id": "a", "type": "skill", "skill": "s", "outputs": ["x", "y"], "note": "kept"},
            {"id": "p", "type": "parallel", "steps": [{"id": "e", "type": "skill", "skill": "s"}, {"id": "b", "type": "skill", "skill": "s", "timeout_secs": 3}]}],
           "context": {"readonly": {"k": 2, "new": [1, null]}}}"#,
    );
    let modifications = modifications_between(&old, &new).expect("representable");
    assert_eq!(apply(&old, &modifications), Ok(new));
}

#[test]
fn modifications_cannot_rename_the_workflow() {
    let mut renamed = data_pipeline();
    renamed.name = "other".into();
    assert_eq!(
        modifications_between(&data_pipeline(), &renamed),
        Err(Unrepresentable {
            field: "name".into()
        })
    );
}

#[test]
fn longest_increasing_keeps_the_longest_unmoved_run() {
    assert_eq!(longest_increasing(&[1, 2, 0, 3]), vec![0, 1, 3]);
    assert_eq!(longest_increasing(&[]), Vec::<usize>::new());
    assert_eq!(longest_increasing(&[3, 2, 1]).len(), 1);
}
