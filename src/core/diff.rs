//! Differences between two workflows: a semantic diff keyed on step ids
//! (`+ step`, `- step`, `~ step.field: old → new`, moves), a text diff of the
//! pretty JSON, and the modifications that turn one workflow into another.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

use super::model::{Container, JsonMap, Step, Workflow};
use super::modification::{Branch, Modification, NamedPosition, Position};
use super::patch::merge_diff;
use super::tree::{IdMap, IdSet, StepIndex, Visited};

/// Where a step sits, for people: its list, index and previous sibling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Location {
    pub container: Container,
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.after {
            Some(after) => write!(f, "after '{after}'")?,
            None => write!(f, "first")?,
        }
        if self.container != Container::Root {
            write!(f, " in {}", self.container)?;
        }
        Ok(())
    }
}

/// One difference between two workflows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A top-level field of the workflow (`name`, `description`, …).
    WorkflowField {
        field: String,
        old: Option<Value>,
        new: Option<Value>,
    },
    StepAdded {
        id: String,
        step_type: String,
        location: Location,
    },
    StepRemoved {
        id: String,
        step_type: String,
        location: Location,
    },
    StepMoved {
        id: String,
        from: Location,
        to: Location,
    },
    /// A field of a step; `field` is a dotted path such as
    /// `error_handling.max_attempts` or `inputs.url`.
    StepField {
        id: String,
        field: String,
        old: Option<Value>,
        new: Option<Value>,
    },
    /// A `context.readonly` key (or another context section's key).
    ContextValue {
        key: String,
        old: Option<Value>,
        new: Option<Value>,
    },
}

impl Change {
    /// The step this change concerns, if any.
    pub fn step_id(&self) -> Option<&str> {
        match self {
            Change::StepAdded { id, .. }
            | Change::StepRemoved { id, .. }
            | Change::StepMoved { id, .. }
            | Change::StepField { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// Compact JSON for one-line display; `(none)` for an absent value.
pub fn show_value(value: Option<&Value>) -> String {
    match value {
        None => "(none)".to_string(),
        Some(Value::String(text)) => format!("{text:?}"),
        Some(other) => other.to_string(),
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::WorkflowField { field, old, new } => {
                write!(
                    f,
                    "~ {field}: {} → {}",
                    show_value(old.as_ref()),
                    show_value(new.as_ref())
                )
            }
            Change::StepAdded {
                id,
                step_type,
                location,
            } => {
                write!(f, "+ step {id} ({step_type}, {location})")
            }
            Change::StepRemoved {
                id,
                step_type,
                location,
            } => {
                write!(f, "- step {id} ({step_type}, was {location})")
            }
            Change::StepMoved { id, from, to } => write!(f, "~ {id}.position: {from} → {to}"),
            Change::StepField {
                id,
                field,
                old,
                new,
            } => match (old, new) {
                (None, Some(new)) => write!(f, "~ {id}.{field}: added {}", show_value(Some(new))),
                (Some(old), None) => {
                    write!(f, "~ {id}.{field}: removed (was {})", show_value(Some(old)))
                }
                _ => write!(
                    f,
                    "~ {id}.{field}: {} → {}",
                    show_value(old.as_ref()),
                    show_value(new.as_ref())
                ),
            },
            Change::ContextValue { key, old, new } => match (old, new) {
                (None, Some(new)) => write!(f, "+ context.{key} = {}", show_value(Some(new))),
                (Some(old), None) => write!(f, "- context.{key} (was {})", show_value(Some(old))),
                _ => write!(
                    f,
                    "~ context.{key}: {} → {}",
                    show_value(old.as_ref()),
                    show_value(new.as_ref())
                ),
            },
        }
    }
}

/// All differences from `old` to `new`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SemanticDiff {
    pub changes: Vec<Change>,
}

impl SemanticDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

impl fmt::Display for SemanticDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        Ok(())
    }
}

fn location(visited: &Visited<'_>, lists: &IdMap<Container, Vec<&str>>) -> Location {
    let after = visited
        .index
        .checked_sub(1)
        .and_then(|previous| lists.get(&visited.container)?.get(previous))
        .map(|id| id.to_string());
    Location {
        container: visited.container.clone(),
        index: visited.index,
        after,
    }
}

/// Ids of each list of a workflow, by container.
fn lists<'a>(index: &StepIndex<'a>) -> IdMap<Container, Vec<&'a str>> {
    let mut lists: IdMap<Container, Vec<&'a str>> = IdMap::default();
    lists.entry(Container::Root).or_default();
    for visited in &index.visited {
        lists
            .entry(visited.container.clone())
            .or_default()
            .push(visited.step.id.as_str());
        for (container, _) in visited.step.child_lists() {
            lists.entry(container).or_default();
        }
    }
    lists
}

/// Whether two steps differ in their own fields (nested steps aside).
fn same_own_fields(old: &Step, new: &Step) -> bool {
    use super::model::StepKind::*;
    let same_kind = match (&old.kind, &new.kind) {
        (Parallel { .. }, Parallel { .. }) => true,
        (Conditional { condition: a, .. }, Conditional { condition: b, .. }) => a == b,
        (a, b) => a == b,
    };
    same_kind
        && old.id == new.id
        && old.description == new.description
        && same_map(&old.inputs, &new.inputs)
        && old.outputs == new.outputs
        && old.timeout_secs == new.timeout_secs
        && old.error_handling == new.error_handling
        && same_map(&old.extra, &new.extra)
}

/// Map equality (which ignores key order), without hashing every key when
/// both maps have their keys in the same order, as unchanged steps do.
fn same_map(old: &JsonMap, new: &JsonMap) -> bool {
    old.len() == new.len() && (old.iter().zip(new).all(|(a, b)| a == b) || old == new)
}

/// Field-level differences of two JSON objects, recursing into objects.
fn field_changes(
    prefix: &str,
    old: &JsonMap,
    new: &JsonMap,
    out: &mut Vec<(String, Option<Value>, Option<Value>)>,
) {
    let path = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    for (key, old_value) in old {
        match new.get(key) {
            None => out.push((path(key), Some(old_value.clone()), None)),
            Some(new_value) if new_value == old_value => {}
            Some(Value::Object(new_map)) if old_value.is_object() => field_changes(
                &path(key),
                old_value.as_object().expect("checked"),
                new_map,
                out,
            ),
            Some(new_value) => {
                out.push((path(key), Some(old_value.clone()), Some(new_value.clone())))
            }
        }
    }
    for (key, new_value) in new {
        if !old.contains_key(key) {
            out.push((path(key), None, Some(new_value.clone())));
        }
    }
}

/// Indices (into `sequence`) of a longest strictly increasing subsequence.
fn longest_increasing(sequence: &[usize]) -> Vec<usize> {
    // Patience sorting: O(n log n), so large reorders stay fast.
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; sequence.len()];
    for (position, value) in sequence.iter().enumerate() {
        let slot = tails.partition_point(|&tail| sequence[tail] < *value);
        previous[position] = slot.checked_sub(1).map(|before| tails[before]);
        if slot == tails.len() {
            tails.push(position);
        } else {
            tails[slot] = position;
        }
    }
    let mut result = Vec::with_capacity(tails.len());
    let mut current = tails.last().copied();
    while let Some(position) = current {
        result.push(position);
        current = previous[position];
    }
    result.reverse();
    result
}

/// The semantic diff from `old` to `new`.
pub fn semantic_diff(old: &Workflow, new: &Workflow) -> SemanticDiff {
    semantic_diff_indexed(&StepIndex::new(old), &StepIndex::new(new))
}

/// [`semantic_diff`] with both step indexes already built.
pub(crate) fn semantic_diff_indexed(
    old_index: &StepIndex<'_>,
    new_index: &StepIndex<'_>,
) -> SemanticDiff {
    let (old, new) = (old_index.workflow, new_index.workflow);
    // Steps are paired by id, the first one when ids repeat (only an
    // invalid workflow has that); identical workflows show no change even
    // then.
    if (old_index.has_repeated_ids() || new_index.has_repeated_ids()) && old == new {
        return SemanticDiff::default();
    }
    let mut changes = Vec::new();
    for (field, old_value, new_value) in [
        (
            "name",
            Some(Value::String(old.name.clone())),
            Some(Value::String(new.name.clone())),
        ),
        (
            "version",
            old.version.clone().map(Value::String),
            new.version.clone().map(Value::String),
        ),
        (
            "description",
            old.description.clone().map(Value::String),
            new.description.clone().map(Value::String),
        ),
    ] {
        if old_value != new_value {
            changes.push(Change::WorkflowField {
                field: field.into(),
                old: old_value,
                new: new_value,
            });
        }
    }
    let mut extra_changes = Vec::new();
    field_changes("", &old.extra, &new.extra, &mut extra_changes);
    changes.extend(
        extra_changes
            .into_iter()
            .map(|(field, old, new)| Change::WorkflowField { field, old, new }),
    );

    let old_lists = lists(old_index);
    let new_lists = lists(new_index);

    for visited in &old_index.visited {
        if !new_index.contains(&visited.step.id) {
            changes.push(Change::StepRemoved {
                id: visited.step.id.clone(),
                step_type: visited.step.kind.type_name().to_string(),
                location: location(visited, &old_lists),
            });
        }
    }

    // Steps that stayed in the same list keep their place when they belong to
    // the longest run in unchanged relative order; the others moved.
    let mut unmoved: IdSet<&str> = IdSet::default();
    for (container, new_ids) in &new_lists {
        let Some(old_ids) = old_lists.get(container) else {
            continue;
        };
        let old_position: IdMap<&str, usize> = old_ids
            .iter()
            .enumerate()
            .map(|(position, id)| (*id, position))
            .collect();
        let common: Vec<(&str, usize)> = new_ids
            .iter()
            .filter_map(|id| old_position.get(id).map(|&position| (*id, position)))
            .collect();
        let positions: Vec<usize> = common.iter().map(|(_, position)| *position).collect();
        for keep in longest_increasing(&positions) {
            unmoved.insert(common[keep].0);
        }
    }

    for visited in &new_index.visited {
        let id = visited.step.id.as_str();
        let Some(previous) = old_index.get(id) else {
            changes.push(Change::StepAdded {
                id: id.to_string(),
                step_type: visited.step.kind.type_name().to_string(),
                location: location(visited, &new_lists),
            });
            continue;
        };
        if !unmoved.contains(id) {
            changes.push(Change::StepMoved {
                id: id.to_string(),
                from: location(previous, &old_lists),
                to: location(visited, &new_lists),
            });
        }
        if !same_own_fields(previous.step, visited.step) {
            let mut fields = Vec::new();
            field_changes(
                "",
                &previous.step.own_fields(),
                &visited.step.own_fields(),
                &mut fields,
            );
            changes.extend(
                fields
                    .into_iter()
                    .map(|(field, old, new)| Change::StepField {
                        id: id.to_string(),
                        field,
                        old,
                        new,
                    }),
            );
        }
    }

    let mut context_changes = Vec::new();
    field_changes(
        "",
        &old.context.readonly,
        &new.context.readonly,
        &mut context_changes,
    );
    let mut extra_context = Vec::new();
    field_changes(
        "",
        &old.context.extra,
        &new.context.extra,
        &mut extra_context,
    );
    for (key, old, new) in context_changes {
        changes.push(Change::ContextValue { key, old, new });
    }
    for (key, old, new) in extra_context {
        changes.push(Change::WorkflowField {
            field: format!("context.{key}"),
            old,
            new,
        });
    }
    SemanticDiff { changes }
}

/// A unified diff of the two workflows' pretty JSON.
pub fn text_diff(old: &Workflow, new: &Workflow, old_label: &str, new_label: &str) -> String {
    let old_text = old.to_pretty_json();
    let new_text = new.to_pretty_json();
    similar::TextDiff::from_lines(&old_text, &new_text)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

/// A difference that no list of modifications can express (modifications
/// never rename or re-version the workflow itself).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("modifications cannot change the workflow's {field}")]
pub struct Unrepresentable {
    pub field: String,
}

/// The modifications that turn `old` into `new`: `apply(old, result) == new`.
///
/// Steps that keep their id, type and list are modified in place; the rest
/// are removed and added whole. The list is not always the shortest, but it
/// is always exact.
pub fn modifications_between(
    old: &Workflow,
    new: &Workflow,
) -> Result<Vec<Modification>, Unrepresentable> {
    if old.name != new.name {
        return Err(Unrepresentable {
            field: "name".into(),
        });
    }
    if old.version != new.version {
        return Err(Unrepresentable {
            field: "version".into(),
        });
    }
    if old.extra != new.extra {
        return Err(Unrepresentable {
            field: "unknown top-level fields".into(),
        });
    }
    if old.context.extra != new.context.extra {
        return Err(Unrepresentable {
            field: "context sections other than readonly".into(),
        });
    }
    let mut modifications = Vec::new();
    let old_index = StepIndex::new(old);
    let new_index = StepIndex::new(new);

    // A step is kept when it has the same id, type and list in both, its
    // parent is kept, and a merge patch can express its field changes.
    let mut kept: HashMap<&str, Option<Value>> = HashMap::new();
    for visited in &new_index.visited {
        let id = visited.step.id.as_str();
        let Some(previous) = old_index.get(id) else {
            continue;
        };
        let parent_kept = visited
            .container
            .owner()
            .is_none_or(|owner| kept.contains_key(owner));
        if !parent_kept
            || previous.container != visited.container
            || previous.step.kind.type_name() != visited.step.kind.type_name()
        {
            continue;
        }
        if same_own_fields(previous.step, visited.step) {
            kept.insert(id, None);
        } else if let Some(patch) = merge_diff(
            &Value::Object(previous.step.own_fields()),
            &Value::Object(visited.step.own_fields()),
        ) {
            kept.insert(id, Some(patch));
        }
    }

    for visited in &old_index.visited {
        let id = visited.step.id.as_str();
        let parent_kept = visited
            .container
            .owner()
            .is_none_or(|owner| kept.contains_key(owner));
        if parent_kept && !kept.contains_key(id) {
            modifications.push(Modification::RemoveStep { id: id.to_string() });
        }
    }
    for visited in &new_index.visited {
        if let Some(Some(patch)) = kept.get(visited.step.id.as_str()) {
            modifications.push(Modification::ModifyStep {
                id: visited.step.id.clone(),
                changes: patch.clone(),
            });
        }
    }

    if old.description != new.description {
        match &new.description {
            Some(description) => modifications.push(Modification::SetDescription {
                description: description.clone(),
            }),
            None => {
                return Err(Unrepresentable {
                    field: "description (removing it)".into(),
                });
            }
        }
    }
    for key in old.context.readonly.keys() {
        if !new.context.readonly.contains_key(key) {
            modifications.push(Modification::RemoveContext { key: key.clone() });
        }
    }
    for (key, value) in &new.context.readonly {
        if old.context.readonly.get(key) != Some(value) {
            modifications.push(Modification::SetContext {
                key: key.clone(),
                value: value.clone(),
            });
        }
    }

    // Lists in the new workflow, parents first: put kept steps in order,
    // then insert the others after their new previous sibling.
    let mut containers = vec![(Container::Root, &new.steps)];
    for visited in &new_index.visited {
        if kept.contains_key(visited.step.id.as_str()) {
            containers.extend(visited.step.child_lists());
        }
    }
    for (container, steps) in containers {
        let kept_order: Vec<String> = steps
            .iter()
            .filter(|step| kept.contains_key(step.id.as_str()))
            .map(|step| step.id.clone())
            .collect();
        let old_order: Vec<String> = super::tree::list(old, &container)
            .map(|list| {
                list.iter()
                    .filter(|step| kept.contains_key(step.id.as_str()))
                    .map(|step| step.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        if kept_order != old_order {
            modifications.push(Modification::ReorderSteps { order: kept_order });
        }
        for (index, step) in steps.iter().enumerate() {
            if kept.contains_key(step.id.as_str()) {
                continue;
            }
            let modification = match index.checked_sub(1) {
                Some(before) => Modification::AddStep {
                    step: Box::new(step.clone()),
                    after: Some(steps[before].id.clone()),
                    before: None,
                    position: None,
                    parent: None,
                    branch: None,
                },
                None => Modification::AddStep {
                    step: Box::new(step.clone()),
                    after: None,
                    before: None,
                    position: Some(Position::Named(NamedPosition::Start)),
                    parent: container.owner().map(str::to_string),
                    branch: match container {
                        Container::Else(_) => Some(Branch::Else),
                        _ => None,
                    },
                },
            };
            modifications.push(modification);
        }
    }
    Ok(modifications)
}

#[cfg(test)]
mod tests;
