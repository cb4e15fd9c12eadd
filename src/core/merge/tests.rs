use serde_json::json;

use super::*;
use crate::core::modification::apply;
use crate::core::testing::{data_pipeline, modifications};

fn side(value: serde_json::Value) -> Workflow {
    apply(&data_pipeline(), &modifications(value)).expect("applies")
}

fn ids(workflow: &Workflow) -> Vec<&str> {
    workflow.steps.iter().map(|step| step.id.as_str()).collect()
}

#[test]
fn independent_changes_combine() {
    let ours = side(json!([
        {"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3}},
        {"type": "add_step", "step": {"id": "log", "type": "skill", "skill": "logger"}, "after": "fetch"}
    ]));
    let theirs = side(json!([
        {"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}},
        {"type": "add_step", "step": {"id": "notify", "type": "skill", "skill": "notifier"}, "after": "save"},
        {"type": "set_context", "key": "table", "value": "events"}
    ]));
    let merged = merge(&data_pipeline(), &ours, &theirs).expect("no conflicts");
    assert_eq!(ids(&merged), ["fetch", "log", "validate", "save", "notify"]);
    assert_eq!(merged.steps[0].timeout_secs, Some(30));
    assert_eq!(
        merged.steps[0]
            .error_handling
            .as_ref()
            .and_then(|h| h.max_attempts),
        Some(3)
    );
    assert_eq!(merged.context.readonly["table"], json!("events"));
}

#[test]
fn different_inputs_of_one_step_combine() {
    let ours = side(
        json!([{"type": "modify_step", "id": "fetch", "changes": {"inputs": {"headers": "context.h"}}}]),
    );
    let theirs = side(
        json!([{"type": "modify_step", "id": "fetch", "changes": {"inputs": {"url": "context.other"}}}]),
    );
    let merged = merge(&data_pipeline(), &ours, &theirs).expect("no conflicts");
    assert_eq!(
        serde_json::Value::Object(merged.steps[0].inputs.clone()),
        json!({"url": "context.other", "headers": "context.h"})
    );
}

#[test]
fn one_field_changed_two_ways_is_a_conflict_naming_step_and_field() {
    let ours =
        side(json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}}]));
    let theirs =
        side(json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 60}}]));
    let conflicts = merge(&data_pipeline(), &ours, &theirs).expect_err("conflict");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].step_id.as_deref(), Some("fetch"));
    assert_eq!(conflicts[0].field, "timeout_secs");
    assert_eq!(
        (conflicts[0].ours.clone(), conflicts[0].theirs.clone()),
        (Some(json!(30)), Some(json!(60)))
    );
    assert_eq!(
        conflicts[0].to_string(),
        "step 'fetch', timeout_secs: set on both sides: ours 30, theirs 60"
    );
}

#[test]
fn removed_on_one_side_and_modified_on_the_other_is_a_conflict() {
    let ours = side(json!([{"type": "remove_step", "id": "save"}]));
    let theirs =
        side(json!([{"type": "modify_step", "id": "save", "changes": {"timeout_secs": 5}}]));
    let conflicts = merge(&data_pipeline(), &ours, &theirs).expect_err("conflict");
    assert_eq!(conflicts[0].step_id.as_deref(), Some("save"));
    assert_eq!(
        conflicts[0].message,
        "removed in ours but changed in theirs (timeout_secs)"
    );
    let conflicts = merge(&data_pipeline(), &theirs, &ours).expect_err("conflict");
    assert_eq!(
        conflicts[0].message,
        "removed in theirs but changed in ours (timeout_secs)"
    );
}

#[test]
fn removed_on_one_side_and_untouched_on_the_other_is_removed() {
    let ours = side(json!([{"type": "remove_step", "id": "save"}]));
    let theirs = side(json!([{"type": "set_description", "description": "d"}]));
    let merged = merge(&data_pipeline(), &ours, &theirs).expect("no conflicts");
    assert_eq!(ids(&merged), ["fetch", "validate"]);
    assert_eq!(merged.description.as_deref(), Some("d"));
}

#[test]
fn adding_into_a_step_the_other_side_removed_is_a_conflict() {
    let base = side(
        json!([{"type": "add_step", "step": {"id": "group", "type": "parallel", "steps": [{"id": "x", "type": "skill", "skill": "s"}]}}]),
    );
    let ours = apply(&base, &modifications(json!([{"type": "add_step", "step": {"id": "n", "type": "skill", "skill": "s"}, "parent": "group"}]))).expect("applies");
    let theirs = apply(
        &base,
        &modifications(json!([{"type": "remove_step", "id": "group"}])),
    )
    .expect("applies");
    let conflicts = merge(&base, &ours, &theirs).expect_err("conflict");
    assert!(
        conflicts
            .iter()
            .any(|conflict| conflict.step_id.as_deref() == Some("n")),
        "{conflicts:?}"
    );
}

#[test]
fn conflicting_reorders_are_reported() {
    let ours = side(json!([{"type": "reorder_steps", "order": ["validate", "fetch", "save"]}]));
    let theirs = side(json!([{"type": "reorder_steps", "order": ["fetch", "save", "validate"]}]));
    let conflicts = merge(&data_pipeline(), &ours, &theirs).expect_err("conflict");
    assert_eq!(conflicts[0].field, "(order)");
}

#[test]
fn the_same_change_on_both_sides_is_not_a_conflict() {
    let change = json!([{"type": "rename_step", "id": "save", "new_id": "store"}]);
    let merged = merge(
        &data_pipeline(),
        &side(change.clone()),
        &side(change.clone()),
    )
    .expect("no conflicts");
    assert_eq!(merged, side(change));
}

#[test]
fn steps_added_by_both_sides_keep_their_places() {
    let ours = side(
        json!([{"type": "add_step", "step": {"id": "a", "type": "skill", "skill": "s"}, "position": "start"}]),
    );
    let theirs = side(
        json!([{"type": "add_step", "step": {"id": "b", "type": "skill", "skill": "s"}, "after": "validate"}]),
    );
    let merged = merge(&data_pipeline(), &ours, &theirs).expect("no conflicts");
    assert_eq!(ids(&merged), ["a", "fetch", "validate", "b", "save"]);
}

fn every(side: Side) -> Resolutions {
    Resolutions {
        chosen: HashMap::new(),
        every: Some(side),
    }
}

#[test]
fn a_field_conflict_takes_the_chosen_sides_value_and_says_so() {
    let ours = side(
        json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30, "description": "ours"}}]),
    );
    let theirs =
        side(json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 60}}]));
    let merged =
        merge_resolving(&data_pipeline(), &ours, &theirs, &every(Side::Theirs)).expect("settled");
    let fetch = &merged.workflow.steps[0];
    assert_eq!(fetch.timeout_secs, Some(60));
    assert_eq!(
        fetch.description.as_deref(),
        Some("ours"),
        "the change without a conflict stays"
    );
    assert_eq!(merged.resolved.len(), 1);
    assert_eq!(merged.resolved[0].side, Side::Theirs);
    assert_eq!(merged.resolved[0].conflict.field, "timeout_secs");
    let merged =
        merge_resolving(&data_pipeline(), &ours, &theirs, &every(Side::Ours)).expect("settled");
    assert_eq!(merged.workflow.steps[0].timeout_secs, Some(30));
}

#[test]
fn each_conflict_can_take_its_own_side() {
    let ours = side(json!([
        {"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}},
        {"type": "set_context", "key": "table", "value": "ours_table"}
    ]));
    let theirs = side(json!([
        {"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 60}},
        {"type": "set_context", "key": "table", "value": "their_table"}
    ]));
    let conflicts = merge(&data_pipeline(), &ours, &theirs).expect_err("two conflicts");
    assert_eq!(conflicts.len(), 2);
    let timeout = conflicts
        .iter()
        .find(|c| c.field == "timeout_secs")
        .expect("timeout");
    let table = conflicts
        .iter()
        .find(|c| c.field == "context.table")
        .expect("table");
    let mut resolutions = Resolutions::default();
    resolutions.chosen.insert(timeout.key(), Side::Theirs);
    // One settled, one not: still a conflict, the unsettled one only.
    let left =
        merge_resolving(&data_pipeline(), &ours, &theirs, &resolutions).expect_err("one left");
    assert_eq!(left, vec![table.clone()]);
    resolutions.chosen.insert(table.key(), Side::Ours);
    let merged = merge_resolving(&data_pipeline(), &ours, &theirs, &resolutions).expect("settled");
    assert_eq!(merged.workflow.steps[0].timeout_secs, Some(60));
    assert_eq!(
        merged.workflow.context.readonly["table"],
        json!("ours_table")
    );
    assert_eq!(merged.resolved.len(), 2);
}

#[test]
fn a_step_removed_on_one_side_and_changed_on_the_other_goes_or_stays_as_the_side_has_it() {
    let ours = side(json!([{"type": "remove_step", "id": "save"}]));
    let theirs =
        side(json!([{"type": "modify_step", "id": "save", "changes": {"timeout_secs": 5}}]));
    let removed =
        merge_resolving(&data_pipeline(), &ours, &theirs, &every(Side::Ours)).expect("settled");
    assert_eq!(ids(&removed.workflow), ["fetch", "validate"]);
    let kept =
        merge_resolving(&data_pipeline(), &ours, &theirs, &every(Side::Theirs)).expect("settled");
    assert_eq!(ids(&kept.workflow), ["fetch", "validate", "save"]);
    assert_eq!(kept.workflow.steps[2].timeout_secs, Some(5));
}

#[test]
fn a_step_added_into_a_removed_group_is_dropped_or_brings_the_group_back_whole() {
    let base = side(
        json!([{"type": "add_step", "step": {"id": "group", "type": "parallel", "steps": [{"id": "x", "type": "skill", "skill": "s"}]}}]),
    );
    let ours = apply(&base, &modifications(json!([{"type": "add_step", "step": {"id": "n", "type": "skill", "skill": "s"}, "parent": "group"}]))).expect("applies");
    let theirs = apply(
        &base,
        &modifications(json!([{"type": "remove_step", "id": "group"}])),
    )
    .expect("applies");
    let back = merge_resolving(&base, &ours, &theirs, &every(Side::Ours)).expect("settled");
    assert_eq!(back.workflow, ours, "the group comes back with x and n");
    let gone = merge_resolving(&base, &ours, &theirs, &every(Side::Theirs)).expect("settled");
    assert_eq!(gone.workflow, theirs);
    assert_eq!(gone.resolved[0].conflict.field, "(parent)");
}

#[test]
fn a_list_reordered_two_ways_takes_the_chosen_order() {
    let ours = side(json!([{"type": "reorder_steps", "order": ["validate", "fetch", "save"]}]));
    let theirs = side(json!([{"type": "reorder_steps", "order": ["fetch", "save", "validate"]}]));
    let merged =
        merge_resolving(&data_pipeline(), &ours, &theirs, &every(Side::Theirs)).expect("settled");
    assert_eq!(ids(&merged.workflow), ["fetch", "save", "validate"]);
    let merged =
        merge_resolving(&data_pipeline(), &ours, &theirs, &every(Side::Ours)).expect("settled");
    assert_eq!(ids(&merged.workflow), ["validate", "fetch", "save"]);
}

#[test]
fn a_group_turned_into_a_plain_step_on_one_side_keeps_or_loses_what_the_other_added() {
    let base = side(
        json!([{"type": "add_step", "step": {"id": "group", "type": "parallel", "steps": [{"id": "x", "type": "skill", "skill": "s"}]}}]),
    );
    let ours = apply(&base, &modifications(json!([{"type": "add_step", "step": {"id": "n", "type": "skill", "skill": "s"}, "parent": "group"}]))).expect("applies");
    let mut theirs = base.clone();
    let at = theirs
        .steps
        .iter()
        .position(|step| step.id == "group")
        .expect("group");
    theirs.steps[at] = crate::core::model::Step::skill("group", "solo");
    let conflicts = merge(&base, &ours, &theirs).expect_err("conflict");
    assert!(
        conflicts.iter().any(|conflict| conflict.field == "type"),
        "{conflicts:?}"
    );
    let plain = merge_resolving(&base, &ours, &theirs, &every(Side::Theirs)).expect("settled");
    assert_eq!(plain.workflow, theirs);
    let group = merge_resolving(&base, &ours, &theirs, &every(Side::Ours)).expect("settled");
    assert_eq!(group.workflow, ours);
}
