//! Modifications: the only way a workflow changes. The model proposes them,
//! plan files store them, versions record them; `apply` runs a list of them
//! all-or-nothing without touching anything but the value it returns.

use std::collections::{HashMap, HashSet};
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use super::model::{Container, ErrorHandling, Step, StepKind, Workflow};
use super::names::step_id_problem;
use super::patch::merge_patch;
use super::reference::{rename_in_condition, rename_in_reference};
use super::suggest::did_you_mean;
use super::tree::{self, find, find_mut, for_each_step_mut, list_mut, locate, subtree_ids};

/// One change to a workflow, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Modification {
    /// Insert a new step (with any nested steps). Give at most one of
    /// `after`, `before` or `position`; without any, the step goes last.
    AddStep {
        step: Box<Step>,
        /// Insert right after this step, in the same list.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
        /// Insert right before this step, in the same list.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
        /// "start", "end" or a 0-based index in the list named by `parent`
        /// (the top-level steps when `parent` is absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<Position>,
        /// With `position`: a parallel or conditional step to insert into.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
        /// With `parent` naming a conditional: "then" (default) or "else".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<Branch>,
    },
    /// Remove a step and everything nested in it.
    RemoveStep { id: String },
    /// Change a step's fields with a JSON merge patch (RFC 7396): keys set
    /// values, `null` removes a field. The id cannot change (use rename_step).
    ModifyStep {
        id: String,
        #[schemars(with = "serde_json::Map<String, Value>")]
        changes: Value,
    },
    /// Set (replace) a step's error handling.
    AddErrorHandling {
        step_id: String,
        error_handling: ErrorHandling,
    },
    /// Group sibling steps into one parallel step at the place of the first.
    MakeParallel {
        step_ids: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// Put sibling steps in this order, in the places they occupy now.
    ReorderSteps { order: Vec<String> },
    /// Change a step's id; every reference to it is rewritten.
    RenameStep { id: String, new_id: String },
    /// Set `context.readonly.KEY`.
    SetContext { key: String, value: Value },
    /// Remove `context.readonly.KEY`.
    RemoveContext { key: String },
    /// Set the workflow's description.
    SetDescription { description: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Position {
    Named(NamedPosition),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NamedPosition {
    Start,
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Branch {
    Then,
    Else,
}

impl Modification {
    /// The `type` tag, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Modification::AddStep { .. } => "add_step",
            Modification::RemoveStep { .. } => "remove_step",
            Modification::ModifyStep { .. } => "modify_step",
            Modification::AddErrorHandling { .. } => "add_error_handling",
            Modification::MakeParallel { .. } => "make_parallel",
            Modification::ReorderSteps { .. } => "reorder_steps",
            Modification::RenameStep { .. } => "rename_step",
            Modification::SetContext { .. } => "set_context",
            Modification::RemoveContext { .. } => "remove_context",
            Modification::SetDescription { .. } => "set_description",
        }
    }

    /// The existing steps this modification names directly.
    pub fn target_steps(&self) -> Vec<&str> {
        match self {
            Modification::AddStep {
                after,
                before,
                parent,
                ..
            } => [after, before, parent]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect(),
            Modification::RemoveStep { id }
            | Modification::ModifyStep { id, .. }
            | Modification::RenameStep { id, .. } => vec![id],
            Modification::AddErrorHandling { step_id, .. } => vec![step_id],
            Modification::MakeParallel { step_ids, .. } => {
                step_ids.iter().map(String::as_str).collect()
            }
            Modification::ReorderSteps { order } => order.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Modification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Modification::AddStep {
                step,
                after,
                before,
                position,
                parent,
                branch,
            } => {
                write!(f, "add step '{}' ({})", step.id, step.kind.type_name())?;
                if let Some(after) = after {
                    write!(f, " after '{after}'")?;
                } else if let Some(before) = before {
                    write!(f, " before '{before}'")?;
                } else if let Some(position) = position {
                    match position {
                        Position::Named(NamedPosition::Start) => write!(f, " at the start")?,
                        Position::Named(NamedPosition::End) => write!(f, " at the end")?,
                        Position::Index(index) => write!(f, " at position {index}")?,
                    }
                }
                if let Some(parent) = parent {
                    match branch {
                        Some(Branch::Else) => write!(f, " in the else-branch of '{parent}'")?,
                        _ => write!(f, " in '{parent}'")?,
                    }
                }
                Ok(())
            }
            Modification::RemoveStep { id } => write!(f, "remove step '{id}'"),
            Modification::ModifyStep { id, changes } => {
                let fields: Vec<&str> = changes
                    .as_object()
                    .map(|object| object.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                write!(f, "modify step '{id}' ({})", fields.join(", "))
            }
            Modification::AddErrorHandling {
                step_id,
                error_handling,
            } => {
                write!(
                    f,
                    "set error handling of '{step_id}' to {}",
                    error_handling.strategy
                )?;
                if let Some(attempts) = error_handling.max_attempts {
                    write!(f, " ({attempts} attempts")?;
                    if let Some(backoff) = error_handling.backoff {
                        write!(f, ", {backoff}")?;
                    }
                    write!(f, ")")?;
                }
                Ok(())
            }
            Modification::MakeParallel { step_ids, id } => {
                write!(f, "run {} in parallel", quoted_list(step_ids))?;
                if let Some(id) = id {
                    write!(f, " as '{id}'")?;
                }
                Ok(())
            }
            Modification::ReorderSteps { order } => {
                write!(f, "reorder steps: {}", quoted_list(order))
            }
            Modification::RenameStep { id, new_id } => {
                write!(f, "rename step '{id}' to '{new_id}'")
            }
            Modification::SetContext { key, value } => write!(f, "set context.{key} = {value}"),
            Modification::RemoveContext { key } => write!(f, "remove context.{key}"),
            Modification::SetDescription { description } => {
                write!(f, "set description to {description:?}")
            }
        }
    }
}

fn quoted_list(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a list of modifications could not be applied. Names the modification
/// (0-based index and type) and the item at fault.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("modification {index} ({kind}): {message}")]
pub struct ApplyError {
    pub index: usize,
    pub kind: &'static str,
    pub message: String,
    /// The step id at fault, when there is one.
    pub step_id: Option<String>,
    pub hint: String,
}

/// Applies every modification in order to a copy of `workflow`. Either all
/// apply and the new workflow is returned, or nothing changes.
pub fn apply(workflow: &Workflow, modifications: &[Modification]) -> Result<Workflow, ApplyError> {
    let mut result = workflow.clone();
    for (index, modification) in modifications.iter().enumerate() {
        apply_one(&mut result, modification).map_err(|failure| ApplyError {
            index,
            kind: modification.kind(),
            message: failure.message,
            step_id: failure.step_id,
            hint: failure.hint,
        })?;
    }
    Ok(result)
}

/// A failure before it is tied to its modification's position.
struct Failure {
    message: String,
    step_id: Option<String>,
    hint: String,
}

impl Failure {
    fn new(message: impl Into<String>, step_id: Option<&str>, hint: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            step_id: step_id.map(str::to_string),
            hint: hint.into(),
        }
    }

    fn unknown_step(workflow: &Workflow, id: &str) -> Self {
        let ids: Vec<&str> = tree::walk(workflow)
            .into_iter()
            .map(|visited| visited.step.id.as_str())
            .collect();
        let hint = match did_you_mean(id, ids.iter().copied()) {
            Some(close) => format!("did you mean '{close}'?"),
            None => format!("the steps are: {}", ids.join(", ")),
        };
        Failure::new(format!("there is no step '{id}'"), Some(id), hint)
    }
}

fn apply_one(workflow: &mut Workflow, modification: &Modification) -> Result<(), Failure> {
    match modification {
        Modification::AddStep {
            step,
            after,
            before,
            position,
            parent,
            branch,
        } => add_step(
            workflow,
            step,
            after.as_deref(),
            before.as_deref(),
            *position,
            parent.as_deref(),
            *branch,
        ),
        Modification::RemoveStep { id } => {
            let (container, index) =
                locate(workflow, id).ok_or_else(|| Failure::unknown_step(workflow, id))?;
            located_list(workflow, &container, &[(index, id)])?.remove(index);
            Ok(())
        }
        Modification::ModifyStep { id, changes } => modify_step(workflow, id, changes),
        Modification::AddErrorHandling {
            step_id,
            error_handling,
        } => {
            let step = find_mut(&mut workflow.steps, step_id);
            match step {
                Some(step) => {
                    step.error_handling = Some(error_handling.clone());
                    Ok(())
                }
                None => Err(Failure::unknown_step(workflow, step_id)),
            }
        }
        Modification::MakeParallel { step_ids, id } => {
            make_parallel(workflow, step_ids, id.as_deref())
        }
        Modification::ReorderSteps { order } => reorder(workflow, order),
        Modification::RenameStep { id, new_id } => rename(workflow, id, new_id),
        Modification::SetContext { key, value } => {
            if key.is_empty() || key.contains('.') {
                return Err(Failure::new(
                    format!("'{key}' cannot be a context key"),
                    None,
                    "context keys are read as `context.KEY`, so they may not be empty or contain '.'",
                ));
            }
            workflow.context.readonly.insert(key.clone(), value.clone());
            Ok(())
        }
        Modification::RemoveContext { key } => {
            if workflow.context.readonly.shift_remove(key).is_none() {
                let keys: Vec<&str> = workflow
                    .context
                    .readonly
                    .keys()
                    .map(String::as_str)
                    .collect();
                let hint = match did_you_mean(key, keys.iter().copied()) {
                    Some(close) => format!("did you mean '{close}'?"),
                    None if keys.is_empty() => "the context is empty".to_string(),
                    None => format!("the context keys are: {}", keys.join(", ")),
                };
                return Err(Failure::new(
                    format!("the context has no key '{key}'"),
                    None,
                    hint,
                ));
            }
            Ok(())
        }
        Modification::SetDescription { description } => {
            workflow.description = Some(description.clone());
            Ok(())
        }
    }
}

/// Refuses ids that are malformed or already used.
fn check_new_ids(workflow: &Workflow, step: &Step) -> Result<(), Failure> {
    let new_ids = subtree_ids(step);
    // A few new ids (the usual case) are cheaper to look for one by one
    // than to index every id of a large workflow.
    let existing = (new_ids.len() > 8).then(|| tree::id_set(workflow));
    let exists = |id: &str| match &existing {
        Some(existing) => existing.contains(id),
        None => find(&workflow.steps, id).is_some(),
    };
    let mut fresh = HashSet::new();
    for id in new_ids {
        if let Some(reason) = step_id_problem(id) {
            return Err(Failure::new(
                format!("step id '{id}' is not valid: {reason}"),
                Some(id),
                "use letters, digits, '-' and '_', e.g. 'fetch-data'",
            ));
        }
        if exists(id) || !fresh.insert(id) {
            return Err(Failure::new(
                format!("a step with id '{id}' already exists"),
                Some(id),
                format!("choose another id, e.g. '{}'", free_id(workflow, id)),
            ));
        }
    }
    Ok(())
}

/// `base`, or `base-2`, `base-3`, … whichever is not taken.
pub fn free_id(workflow: &Workflow, base: &str) -> String {
    let taken = tree::id_set(workflow);
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken.contains(candidate.as_str()))
        .expect("an unbounded range always finds a free id")
}

fn add_step(
    workflow: &mut Workflow,
    step: &Step,
    after: Option<&str>,
    before: Option<&str>,
    position: Option<Position>,
    parent: Option<&str>,
    branch: Option<Branch>,
) -> Result<(), Failure> {
    check_new_ids(workflow, step)?;
    let anchors = [after.is_some(), before.is_some(), position.is_some()]
        .iter()
        .filter(|given| **given)
        .count();
    if anchors > 1 {
        return Err(Failure::new(
            "give only one of `after`, `before` and `position`",
            Some(&step.id),
            "use `after` or `before` with a step id, or `position` with \"start\", \"end\" or an index",
        ));
    }
    if parent.is_some() && (after.is_some() || before.is_some()) {
        return Err(Failure::new(
            "`parent` goes with `position`; `after` and `before` already name the list",
            Some(&step.id),
            "drop `parent`, or use `position` instead of `after`/`before`",
        ));
    }
    let (container, index, anchored) = if let Some(anchor) = after.or(before) {
        let (container, at) =
            locate(workflow, anchor).ok_or_else(|| Failure::unknown_step(workflow, anchor))?;
        let index = if after.is_some() { at + 1 } else { at };
        (container, index, Some((at, anchor)))
    } else {
        let container = match parent {
            None => {
                if branch.is_some() {
                    return Err(Failure::new(
                        "`branch` needs `parent` naming a conditional step",
                        Some(&step.id),
                        "add \"parent\": \"CONDITIONAL_STEP_ID\"",
                    ));
                }
                Container::Root
            }
            Some(parent) => {
                let owner = find(&workflow.steps, parent)
                    .ok_or_else(|| Failure::unknown_step(workflow, parent))?;
                match (&owner.kind, branch) {
                    (StepKind::Parallel { .. }, None) => Container::Parallel(parent.to_string()),
                    (StepKind::Conditional { .. }, None | Some(Branch::Then)) => {
                        Container::Then(parent.to_string())
                    }
                    (StepKind::Conditional { .. }, Some(Branch::Else)) => {
                        Container::Else(parent.to_string())
                    }
                    (StepKind::Parallel { .. }, Some(_)) => {
                        return Err(Failure::new(
                            format!(
                                "'{parent}' is a parallel step; `branch` is only for conditional steps"
                            ),
                            Some(parent),
                            "drop `branch`",
                        ));
                    }
                    (kind, _) => {
                        return Err(Failure::new(
                            format!(
                                "'{parent}' is a {} step and cannot hold other steps",
                                kind.type_name()
                            ),
                            Some(parent),
                            "`parent` must name a parallel or conditional step",
                        ));
                    }
                }
            }
        };
        let length = tree::list(workflow, &container).map_or(0, Vec::len);
        let index = match position {
            None | Some(Position::Named(NamedPosition::End)) => length,
            Some(Position::Named(NamedPosition::Start)) => 0,
            Some(Position::Index(index)) if index <= length => index,
            Some(Position::Index(index)) => {
                return Err(Failure::new(
                    format!("position {index} is past the end of {container} ({length} steps)"),
                    Some(&step.id),
                    format!("use an index from 0 to {length}, or \"end\""),
                ));
            }
        };
        (container, index, None)
    };
    located_list(workflow, &container, anchored.as_slice())?.insert(index, step.clone());
    Ok(())
}

/// The list `container` names, checked to hold each `(index, id)` where
/// `locate` found it. With duplicate ids (a hand edit) a container's owner
/// can name more than one step, and the list found by owner id may not be
/// the one `locate` searched: refuse rather than edit the wrong list.
fn located_list<'a>(
    workflow: &'a mut Workflow,
    container: &Container,
    members: &[(usize, &str)],
) -> Result<&'a mut Vec<Step>, Failure> {
    let ambiguous = || {
        let owner = container.owner().unwrap_or_default();
        Failure::new(
            format!("more than one step has the id '{owner}', so {container} is ambiguous"),
            Some(owner),
            "give every step a unique id (`qwf validate` lists the duplicates), then try again",
        )
    };
    let list = list_mut(workflow, container).ok_or_else(ambiguous)?;
    let found = |(index, id): &(usize, &str)| list.get(*index).is_some_and(|step| step.id == *id);
    if members.iter().all(found) {
        Ok(list)
    } else {
        Err(ambiguous())
    }
}

fn modify_step(workflow: &mut Workflow, id: &str, changes: &Value) -> Result<(), Failure> {
    let Some(patch) = changes.as_object() else {
        return Err(Failure::new(
            "`changes` must be a JSON object of fields to set",
            Some(id),
            "e.g. {\"timeout_secs\": 30}; use null to remove a field",
        ));
    };
    if let Some(new_id) = patch.get("id")
        && new_id.as_str() != Some(id)
    {
        return Err(Failure::new(
            "`changes` cannot change a step's id",
            Some(id),
            "use rename_step, which also rewrites every reference to the step",
        ));
    }
    let Some(step) = find(&workflow.steps, id) else {
        return Err(Failure::unknown_step(workflow, id));
    };
    let old_ids: HashSet<String> = subtree_ids(step).into_iter().map(str::to_string).collect();
    let mut value = serde_json::to_value(step).expect("a step is always representable as JSON");
    merge_patch(&mut value, changes);
    let updated: Step = serde_json::from_value(value).map_err(|error| {
        Failure::new(
            format!("the changes make step '{id}' invalid: {error}"),
            Some(id),
            "check the field names and value types against `qwf schema`",
        )
    })?;
    // Nested steps introduced by the patch must not collide with others.
    let mut others = tree::id_set(workflow);
    others.retain(|other| !old_ids.contains(*other));
    let mut fresh = HashSet::new();
    for new_id in subtree_ids(&updated) {
        if others.contains(new_id) || !fresh.insert(new_id) {
            return Err(Failure::new(
                format!("the changes add a second step with id '{new_id}'"),
                Some(new_id),
                "give nested steps ids that are not used elsewhere",
            ));
        }
    }
    *find_mut(&mut workflow.steps, id).expect("the step was just found") = updated;
    Ok(())
}

/// Finds the common list of sibling steps, or explains why there is none.
fn siblings(
    workflow: &Workflow,
    ids: &[String],
    what: &str,
) -> Result<(Container, Vec<usize>), Failure> {
    if ids.is_empty() {
        return Err(Failure::new(
            format!("{what} needs at least one step id"),
            None,
            "list the step ids",
        ));
    }
    let mut seen = HashSet::new();
    let mut common: Option<Container> = None;
    let mut indices = Vec::with_capacity(ids.len());
    for id in ids {
        if !seen.insert(id.as_str()) {
            return Err(Failure::new(
                format!("step '{id}' is listed twice"),
                Some(id),
                "list each step once",
            ));
        }
        let (container, index) =
            locate(workflow, id).ok_or_else(|| Failure::unknown_step(workflow, id))?;
        match &common {
            None => common = Some(container),
            Some(existing) if *existing != container => {
                return Err(Failure::new(
                    format!("'{}' is in {existing} but '{id}' is in {container}", ids[0]),
                    Some(id),
                    format!("{what} works on steps of the same list"),
                ));
            }
            Some(_) => {}
        }
        indices.push(index);
    }
    Ok((common.expect("at least one id was checked"), indices))
}

fn make_parallel(
    workflow: &mut Workflow,
    step_ids: &[String],
    group_id: Option<&str>,
) -> Result<(), Failure> {
    let (container, mut indices) = siblings(workflow, step_ids, "make_parallel")?;
    if step_ids.len() < 2 {
        return Err(Failure::new(
            "make_parallel needs at least two steps",
            step_ids.first().map(String::as_str),
            "list two or more sibling steps to run together",
        ));
    }
    // Steps that run together cannot read each other's outputs, nested
    // steps included.
    let mut member_of: HashMap<&str, usize> = HashMap::new();
    let members: Vec<&Step> = step_ids
        .iter()
        .map(|id| find(&workflow.steps, id).expect("siblings() found every id"))
        .collect();
    for (member, step) in members.iter().enumerate() {
        for inner in subtree_ids(step) {
            member_of.insert(inner, member);
        }
    }
    for (member, step) in members.iter().enumerate() {
        for inner in tree::walk_step(step) {
            for read in read_steps(inner) {
                if let Some(&other) = member_of.get(read.as_str())
                    && other != member
                {
                    return Err(Failure::new(
                        format!(
                            "'{}' reads the output of '{read}', so '{}' and '{}' cannot run at the same time",
                            inner.id, members[member].id, members[other].id
                        ),
                        Some(&inner.id),
                        format!(
                            "keep '{}' before '{}' and group only independent steps",
                            members[other].id, members[member].id
                        ),
                    ));
                }
            }
        }
    }
    let group_id = match group_id {
        Some(given) => {
            let probe = Step::new(given, StepKind::Parallel { steps: Vec::new() });
            check_new_ids(workflow, &probe)?;
            given.to_string()
        }
        None => free_id(workflow, "parallel"),
    };
    let located: Vec<(usize, &str)> = indices
        .iter()
        .copied()
        .zip(step_ids.iter().map(String::as_str))
        .collect();
    let list = located_list(workflow, &container, &located)?;
    indices.sort_unstable();
    let mut members = Vec::with_capacity(indices.len());
    for &index in indices.iter().rev() {
        members.push(list.remove(index));
    }
    members.reverse();
    list.insert(
        indices[0],
        Step::new(group_id, StepKind::Parallel { steps: members }),
    );
    Ok(())
}

/// The ids of steps whose outputs `step` reads (inputs and condition).
pub fn read_steps(step: &Step) -> Vec<String> {
    let mut read = Vec::new();
    let is_any = |_: &str| true;
    for value in step.inputs.values() {
        if let Some(text) = value.as_str()
            && let Some(found) = super::reference::parse(text, is_any)
            && let Some(id) = found.step_id()
        {
            read.push(id.to_string());
        }
    }
    if let StepKind::Conditional { condition, .. } = &step.kind {
        for found in super::reference::condition_references(condition, is_any) {
            if let Some(id) = found.step_id() {
                read.push(id.to_string());
            }
        }
    }
    read
}

fn reorder(workflow: &mut Workflow, order: &[String]) -> Result<(), Failure> {
    let (container, indices) = siblings(workflow, order, "reorder_steps")?;
    let mut slots = indices.clone();
    slots.sort_unstable();
    let located: Vec<(usize, &str)> = indices
        .iter()
        .copied()
        .zip(order.iter().map(String::as_str))
        .collect();
    let list = located_list(workflow, &container, &located)?;
    let moved: Vec<Step> = indices.iter().map(|&index| list[index].clone()).collect();
    for (slot, step) in slots.into_iter().zip(moved) {
        list[slot] = step;
    }
    Ok(())
}

fn rename(workflow: &mut Workflow, id: &str, new_id: &str) -> Result<(), Failure> {
    if find(&workflow.steps, id).is_none() {
        return Err(Failure::unknown_step(workflow, id));
    }
    if id == new_id {
        return Ok(());
    }
    let probe = Step::new(new_id, StepKind::Parallel { steps: Vec::new() });
    check_new_ids(workflow, &probe)?;
    for_each_step_mut(&mut workflow.steps, &mut |step| {
        if step.id == id {
            step.id = new_id.to_string();
        }
        for value in step.inputs.values_mut() {
            if let Some(renamed) = value
                .as_str()
                .and_then(|text| rename_in_reference(text, id, new_id))
            {
                *value = Value::String(renamed);
            }
        }
        if let StepKind::Conditional { condition, .. } = &mut step.kind
            && let Some(renamed) = rename_in_condition(condition, id, new_id)
        {
            *condition = renamed;
        }
        if let Some(handling) = &mut step.error_handling
            && handling.fallback.as_deref() == Some(id)
        {
            handling.fallback = Some(new_id.to_string());
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests;
