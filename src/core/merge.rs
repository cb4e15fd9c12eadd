//! Three-way merge keyed on step ids. Independent changes combine; a field
//! changed two ways, or a step removed on one side and changed on the other,
//! is a conflict naming the step and field, never a silent pick.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::diff::show_value;
use super::model::{Container, JsonMap, Step, Workflow};
use super::tree::{self, StepIndex};

/// Something both sides changed differently.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Conflict {
    /// The step concerned; `None` for workflow-level fields and context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// A dotted field path (`timeout_secs`, `inputs.url`), or `(step)` when
    /// the step itself was removed on one side (or the combined fields are
    /// not a step), `(position)` when it moved two ways, `(parent)` when the
    /// step it is in was removed, `(order)` (`(order of then)`, `(order of
    /// else)`) when its list was reordered two ways.
    pub field: String,
    pub base: Option<Value>,
    pub ours: Option<Value>,
    pub theirs: Option<Value>,
    pub message: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.step_id {
            Some(id) => write!(f, "step '{id}', {}: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

/// A step's parts in one version: own fields and the list it is in.
struct Part<'a> {
    fields: JsonMap,
    container: &'a Container,
}

fn parts<'a>(index: &'a StepIndex<'_>) -> HashMap<&'a str, Part<'a>> {
    index
        .visited
        .iter()
        .map(|visited| {
            (
                visited.step.id.as_str(),
                Part {
                    fields: visited.step.own_fields(),
                    container: &visited.container,
                },
            )
        })
        .collect()
}

struct Merger<'r> {
    conflicts: Vec<Conflict>,
    resolved: Vec<Resolved>,
    resolutions: &'r Resolutions,
}

impl Merger<'_> {
    /// Meets a conflict: the side that settles it, or `None` when it stays
    /// a conflict.
    fn conflict(
        &mut self,
        step_id: Option<&str>,
        field: &str,
        values: [Option<&Value>; 3],
        message: String,
    ) -> Option<Side> {
        self.settle(Conflict {
            step_id: step_id.map(str::to_string),
            field: field.to_string(),
            base: values[0].cloned(),
            ours: values[1].cloned(),
            theirs: values[2].cloned(),
            message,
        })
    }

    fn settle(&mut self, conflict: Conflict) -> Option<Side> {
        let key = conflict.key();
        match self.resolutions.side(&key) {
            Some(side) => {
                if !self
                    .resolved
                    .iter()
                    .any(|resolved| resolved.conflict.key() == key)
                {
                    self.resolved.push(Resolved { conflict, side });
                }
                Some(side)
            }
            None => {
                self.conflicts.push(conflict);
                None
            }
        }
    }

    /// Three-way merge of one value; objects merge key by key.
    fn value(
        &mut self,
        step_id: Option<&str>,
        path: &str,
        base: Option<&Value>,
        ours: Option<&Value>,
        theirs: Option<&Value>,
    ) -> Option<Value> {
        if ours == theirs || theirs == base {
            return ours.cloned();
        }
        if ours == base {
            return theirs.cloned();
        }
        if let (Some(Value::Object(ours_map)), Some(Value::Object(theirs_map))) = (ours, theirs) {
            let empty = Map::new();
            let base_map = match base {
                Some(Value::Object(map)) => map,
                _ => &empty,
            };
            return Some(Value::Object(
                self.map(step_id, path, base_map, ours_map, theirs_map),
            ));
        }
        let side = self.conflict(
            step_id,
            path,
            [base, ours, theirs],
            match base {
                Some(base) => format!(
                    "changed on both sides: ours {}, theirs {} (was {})",
                    show_value(ours),
                    show_value(theirs),
                    show_value(Some(base))
                ),
                None => format!(
                    "set on both sides: ours {}, theirs {}",
                    show_value(ours),
                    show_value(theirs)
                ),
            },
        );
        if side == Some(Side::Theirs) {
            theirs.cloned()
        } else {
            ours.cloned()
        }
    }

    fn map(
        &mut self,
        step_id: Option<&str>,
        prefix: &str,
        base: &JsonMap,
        ours: &JsonMap,
        theirs: &JsonMap,
    ) -> JsonMap {
        let keys: Vec<&String> = ours
            .keys()
            .chain(theirs.keys().filter(|key| !ours.contains_key(*key)))
            .chain(
                base.keys()
                    .filter(|key| !ours.contains_key(*key) && !theirs.contains_key(*key)),
            )
            .collect();
        let mut merged = Map::new();
        for key in keys {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            if let Some(value) = self.value(
                step_id,
                &path,
                base.get(key),
                ours.get(key),
                theirs.get(key),
            ) {
                merged.insert(key.clone(), value);
            }
        }
        merged
    }
}

fn string_value(text: Option<&String>) -> Option<Value> {
    text.cloned().map(Value::String)
}

/// Which side a conflict is resolved with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Ours,
    Theirs,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Ours => "ours",
            Side::Theirs => "theirs",
        })
    }
}

/// Identifies a conflict across merges of the same three versions: the
/// step (if any) and the field.
pub type ConflictKey = (Option<String>, String);

impl Conflict {
    pub fn key(&self) -> ConflictKey {
        (self.step_id.clone(), self.field.clone())
    }
}

/// How to settle conflicts: a side for particular conflicts, and one for
/// every other (`--ours`, `--theirs`). With neither, conflicts stay
/// conflicts.
#[derive(Debug, Clone, Default)]
pub struct Resolutions {
    pub chosen: HashMap<ConflictKey, Side>,
    pub every: Option<Side>,
}

impl Resolutions {
    fn side(&self, key: &ConflictKey) -> Option<Side> {
        self.chosen.get(key).copied().or(self.every)
    }
}

/// A conflict and the side that settled it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Resolved {
    #[serde(flatten)]
    pub conflict: Conflict,
    pub side: Side,
}

/// The result of a merge whose conflicts were all settled.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub workflow: Workflow,
    /// Every conflict met, with the side taken, in the order met.
    pub resolved: Vec<Resolved>,
}

/// Merges `theirs` into `ours`, both descended from `base`. Any conflict
/// is an error listing them all.
pub fn merge(
    base: &Workflow,
    ours: &Workflow,
    theirs: &Workflow,
) -> Result<Workflow, Vec<Conflict>> {
    merge_resolving(base, ours, theirs, &Resolutions::default()).map(|merged| merged.workflow)
}

/// Like [`merge`], settling conflicts as `resolutions` say: a field takes
/// that side's value; a step removed on one side and changed on the other
/// is removed or kept (with what it holds) as that side has it; a step
/// added into a step the other side removed is dropped, or brings that step
/// back; a step whose type one side changed takes that side's own fields
/// (steps inside it go when the side has none); a list reordered two ways
/// takes that side's order. Conflicts left unsettled are the error.
pub fn merge_resolving(
    base: &Workflow,
    ours: &Workflow,
    theirs: &Workflow,
    resolutions: &Resolutions,
) -> Result<Merged, Vec<Conflict>> {
    let mut merger = Merger {
        conflicts: Vec::new(),
        resolved: Vec::new(),
        resolutions,
    };
    let name = merger.value(
        None,
        "name",
        Some(&Value::String(base.name.clone())),
        Some(&Value::String(ours.name.clone())),
        Some(&Value::String(theirs.name.clone())),
    );
    let version = merger.value(
        None,
        "version",
        string_value(base.version.as_ref()).as_ref(),
        string_value(ours.version.as_ref()).as_ref(),
        string_value(theirs.version.as_ref()).as_ref(),
    );
    let description = merger.value(
        None,
        "description",
        string_value(base.description.as_ref()).as_ref(),
        string_value(ours.description.as_ref()).as_ref(),
        string_value(theirs.description.as_ref()).as_ref(),
    );
    let extra = merger.map(None, "", &base.extra, &ours.extra, &theirs.extra);
    let readonly = merger.map(
        None,
        "context",
        &base.context.readonly,
        &ours.context.readonly,
        &theirs.context.readonly,
    );
    let context_extra = merger.map(
        None,
        "context",
        &base.context.extra,
        &ours.context.extra,
        &theirs.context.extra,
    );

    let base_index = StepIndex::new(base);
    let ours_index = StepIndex::new(ours);
    let theirs_index = StepIndex::new(theirs);
    let base_parts = parts(&base_index);
    let ours_parts = parts(&ours_index);
    let theirs_parts = parts(&theirs_index);

    // Every id in document order: ours first, then what only theirs has.
    let mut ids: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for id in ours_index
        .ids()
        .chain(theirs_index.ids())
        .chain(base_index.ids())
    {
        if seen.insert(id) {
            ids.push(id);
        }
    }

    let mut merged_fields: HashMap<&str, JsonMap> = HashMap::new();
    let mut merged_container: HashMap<&str, Container> = HashMap::new();
    // Steps a side kept against the other's removal, brought back whole.
    let mut kept: Vec<(&str, Side)> = Vec::new();
    for &id in &ids {
        let (b, o, t) = (base_parts.get(id), ours_parts.get(id), theirs_parts.get(id));
        match (o, t) {
            (Some(o), Some(t)) => {
                let empty = Map::new();
                let base_fields = b.map_or(&empty, |b| &b.fields);
                let fields = merger.map(Some(id), "", base_fields, &o.fields, &t.fields);
                merged_fields.insert(id, fields);
                let container = if o.container == t.container
                    || b.is_some_and(|b| b.container == t.container)
                {
                    o.container
                } else if b.is_some_and(|b| b.container == o.container) {
                    t.container
                } else {
                    let at = |container: &Container| serde_json::to_value(container).ok();
                    let side = merger.conflict(
                        Some(id),
                        "(position)",
                        [
                            b.and_then(|b| at(b.container)).as_ref(),
                            at(o.container).as_ref(),
                            at(t.container).as_ref(),
                        ],
                        format!(
                            "moved on both sides: ours into {}, theirs into {}",
                            o.container, t.container
                        ),
                    );
                    if side == Some(Side::Theirs) {
                        t.container
                    } else {
                        o.container
                    }
                };
                merged_container.insert(id, container.clone());
            }
            (Some(present), None) | (None, Some(present)) => {
                let keeper_side = if o.is_some() {
                    Side::Ours
                } else {
                    Side::Theirs
                };
                match b {
                    None => {
                        merged_fields.insert(id, present.fields.clone());
                        merged_container.insert(id, present.container.clone());
                    }
                    Some(b) if b.fields == present.fields => {} // removed on the other side
                    Some(b) => {
                        let changed = changed_fields(&b.fields, &present.fields);
                        let (keeper, remover) = match keeper_side {
                            Side::Ours => ("ours", "theirs"),
                            Side::Theirs => ("theirs", "ours"),
                        };
                        let whole = |part: Option<&Part<'_>>| {
                            part.map(|part| Value::Object(part.fields.clone()))
                        };
                        let side = merger.conflict(
                            Some(id),
                            "(step)",
                            [
                                whole(Some(b)).as_ref(),
                                whole(o).as_ref(),
                                whole(t).as_ref(),
                            ],
                            format!(
                                "removed in {remover} but changed in {keeper} ({})",
                                changed.join(", ")
                            ),
                        );
                        if side == Some(keeper_side) {
                            kept.push((id, keeper_side));
                        }
                    }
                }
            }
            (None, None) => {}
        }
    }
    let mut dropped: HashSet<String> = HashSet::new();
    for (id, side) in kept {
        restore(
            id,
            pick(side, &ours_index, &theirs_index),
            pick(side, &ours_parts, &theirs_parts),
            &mut merged_fields,
            &mut merged_container,
            &dropped,
        );
    }

    // Steps whose list belongs to a step that is gone: dropped, or that
    // step comes back, as the chosen side has it.
    loop {
        let orphan = ids.iter().copied().find(|id| {
            !dropped.contains(*id)
                && merged_container
                    .get(id)
                    .and_then(Container::owner)
                    .is_some_and(|owner| {
                        !merged_fields.contains_key(owner) && !dropped.contains(owner)
                    })
        });
        let Some(id) = orphan else { break };
        let owner = merged_container[id]
            .owner()
            .expect("found with an owner")
            .to_string();
        let whole = |parts: &HashMap<&str, Part<'_>>| {
            parts
                .get(owner.as_str())
                .map(|part| Value::Object(part.fields.clone()))
        };
        let side = merger.conflict(
            Some(id),
            "(parent)",
            [
                whole(&base_parts).as_ref(),
                whole(&ours_parts).as_ref(),
                whole(&theirs_parts).as_ref(),
            ],
            format!("added or moved into '{owner}', which the other side removed"),
        );
        let keeper = side.and_then(|side| {
            let parts = pick(side, &ours_parts, &theirs_parts);
            parts
                .get_key_value(owner.as_str())
                .map(|(owner_id, _)| (*owner_id, side))
        });
        match keeper {
            // Its own place may be gone too: the loop looks again.
            Some((owner_id, side)) => restore(
                owner_id,
                pick(side, &ours_index, &theirs_index),
                pick(side, &ours_parts, &theirs_parts),
                &mut merged_fields,
                &mut merged_container,
                &dropped,
            ),
            _ => {
                dropped.insert(id.to_string());
                merged_fields.remove(id);
                merged_container.remove(id);
            }
        }
    }
    // A step holding steps whose type one side changed to one that holds
    // none: the chosen side's own fields; the steps inside stay (with what
    // that side has inside) only if that side keeps it a group.
    let holders: BTreeSet<(Container, &str)> = merged_container
        .values()
        .filter_map(|container| {
            let owner = container.owner()?;
            let (owner_id, _) = merged_fields.get_key_value(owner)?;
            Some((container.clone(), *owner_id))
        })
        .collect();
    for (container, owner) in holders {
        let fits = |fields: &JsonMap| {
            let owner_type = fields
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            matches!(
                (&container, owner_type),
                (Container::Parallel(_), "parallel")
                    | (Container::Then(_) | Container::Else(_), "conditional")
            )
        };
        let Some(owner_fields) = merged_fields.get(owner) else {
            continue;
        };
        if fits(owner_fields) {
            continue;
        }
        let owner_type = owner_fields
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let whole = |parts: &HashMap<&str, Part<'_>>| {
            parts
                .get(owner)
                .map(|part| Value::Object(part.fields.clone()))
        };
        let side = merger.conflict(
            Some(owner),
            "type",
            [
                whole(&base_parts).as_ref(),
                whole(&ours_parts).as_ref(),
                whole(&theirs_parts).as_ref(),
            ],
            format!(
                "one side made '{owner}' a {owner_type} step while the other keeps steps inside it"
            ),
        );
        let chosen = side.and_then(|side| {
            pick(side, &ours_parts, &theirs_parts)
                .get(owner)
                .map(|part| (side, part))
        });
        match chosen {
            Some((side, part)) if fits(&part.fields) => {
                merged_fields.insert(owner, part.fields.clone());
                restore(
                    owner,
                    pick(side, &ours_index, &theirs_index),
                    pick(side, &ours_parts, &theirs_parts),
                    &mut merged_fields,
                    &mut merged_container,
                    &dropped,
                );
            }
            chosen => {
                if let Some((_, part)) = chosen {
                    merged_fields.insert(owner, part.fields.clone());
                }
                let inside: Vec<&str> = merged_container
                    .iter()
                    .filter(|(_, held)| **held == container)
                    .map(|(id, _)| *id)
                    .collect();
                for id in inside {
                    dropped.insert(id.to_string());
                    merged_fields.remove(id);
                    merged_container.remove(id);
                }
            }
        }
    }
    // Steps inside a dropped step go with it.
    loop {
        let inside: Vec<&str> = merged_container
            .iter()
            .filter(|(_, container)| {
                container
                    .owner()
                    .is_some_and(|owner| dropped.contains(owner))
            })
            .map(|(id, _)| *id)
            .collect();
        if inside.is_empty() {
            break;
        }
        for id in inside {
            dropped.insert(id.to_string());
            merged_fields.remove(id);
            merged_container.remove(id);
        }
    }

    // Each list: the merged relative order of steps all three versions have
    // there, then what each side added, after its previous sibling.
    let mut members: BTreeMap<Container, Vec<&str>> = BTreeMap::new();
    for &id in &ids {
        if let Some(container) = merged_container.get(id) {
            members.entry(container.clone()).or_default().push(id);
        }
    }
    let mut lists: HashMap<Container, Vec<String>> = HashMap::new();
    for (container, member_ids) in &members {
        let wanted: HashSet<&str> = member_ids.iter().copied().collect();
        let sequence = |index: &StepIndex<'_>| -> Vec<String> {
            super::tree::list(index.workflow, container)
                .map(|list| {
                    list.iter()
                        .map(|step| step.id.clone())
                        .filter(|id| wanted.contains(id.as_str()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (base_seq, ours_seq, theirs_seq) = (
            sequence(&base_index),
            sequence(&ours_index),
            sequence(&theirs_index),
        );
        let in_all: HashSet<&String> = base_seq
            .iter()
            .filter(|id| ours_seq.contains(id) && theirs_seq.contains(id))
            .collect();
        let only_common = |seq: &Vec<String>| {
            seq.iter()
                .filter(|id| in_all.contains(id))
                .cloned()
                .collect::<Vec<_>>()
        };
        let (base_common, ours_common, theirs_common) = (
            only_common(&base_seq),
            only_common(&ours_seq),
            only_common(&theirs_seq),
        );
        let mut order = if ours_common == base_common {
            theirs_common
        } else if theirs_common == base_common || theirs_common == ours_common {
            ours_common
        } else {
            let field = match container {
                Container::Then(_) => "(order of then)",
                Container::Else(_) => "(order of else)",
                _ => "(order)",
            };
            let listed = |order: &Vec<String>| Some(serde_json::json!(order));
            let side = merger.conflict(
                container.owner(),
                field,
                [
                    listed(&base_common).as_ref(),
                    listed(&ours_common).as_ref(),
                    listed(&theirs_common).as_ref(),
                ],
                format!("the steps of {container} were reordered differently on both sides"),
            );
            if side == Some(Side::Theirs) {
                theirs_common
            } else {
                ours_common
            }
        };
        let mut placed: HashSet<String> = order.iter().cloned().collect();
        for seq in [&ours_seq, &theirs_seq] {
            for (position, id) in seq.iter().enumerate() {
                if placed.contains(id) {
                    continue;
                }
                let predecessor = seq[..position]
                    .iter()
                    .rev()
                    .find(|earlier| placed.contains(*earlier));
                let at = predecessor.map_or(0, |earlier| {
                    order
                        .iter()
                        .position(|candidate| candidate == earlier)
                        .map_or(0, |found| found + 1)
                });
                order.insert(at, id.clone());
                placed.insert(id.clone());
            }
        }
        lists.insert(container.clone(), order);
    }

    if !merger.conflicts.is_empty() {
        return Err(merger.conflicts);
    }

    // Build the steps. A step whose combined fields do not form a valid
    // step is a conflict; settled, it takes the chosen side's own fields
    // (or goes, if that side has no such step), and the build starts over.
    let mut replaced: HashSet<String> = HashSet::new();
    let steps = loop {
        let mut steps = Vec::new();
        let mut failed = None;
        for id in lists.get(&Container::Root).cloned().unwrap_or_default() {
            match build_step(&id, &merged_fields, &lists) {
                Ok(step) => steps.push(step),
                Err(conflict) => {
                    failed = Some(*conflict);
                    break;
                }
            }
        }
        let Some(conflict) = failed else { break steps };
        let id = conflict.step_id.clone().unwrap_or_default();
        let whole = |parts: &HashMap<&str, Part<'_>>| {
            parts
                .get(id.as_str())
                .map(|part| Value::Object(part.fields.clone()))
        };
        let conflict = Conflict {
            base: whole(&base_parts),
            ours: whole(&ours_parts),
            theirs: whole(&theirs_parts),
            ..conflict
        };
        let side = if replaced.contains(&id) {
            None
        } else {
            merger.settle(conflict.clone())
        };
        let Some(side) = side else {
            if replaced.contains(&id) {
                merger.conflicts.push(conflict);
            }
            return Err(merger.conflicts);
        };
        replaced.insert(id.clone());
        match pick(side, &ours_parts, &theirs_parts).get_key_value(id.as_str()) {
            Some((key, part)) => {
                merged_fields.insert(key, part.fields.clone());
            }
            None => {
                for list in lists.values_mut() {
                    list.retain(|listed| *listed != id);
                }
            }
        }
    };
    if !merger.conflicts.is_empty() {
        return Err(merger.conflicts);
    }
    let as_string =
        |value: Option<Value>| value.and_then(|value| value.as_str().map(str::to_string));
    let workflow = Workflow {
        name: as_string(name).unwrap_or_else(|| ours.name.clone()),
        version: as_string(version),
        description: as_string(description),
        steps,
        context: super::model::Context {
            readonly,
            extra: context_extra,
        },
        extra,
    };
    Ok(Merged {
        workflow,
        resolved: merger.resolved,
    })
}

fn pick<T>(side: Side, ours: T, theirs: T) -> T {
    match side {
        Side::Ours => ours,
        Side::Theirs => theirs,
    }
}

/// Brings a step back as one side has it, with the steps inside it (those
/// not merged already, and not dropped).
fn restore<'a>(
    id: &str,
    index: &StepIndex<'a>,
    parts: &HashMap<&'a str, Part<'a>>,
    fields: &mut HashMap<&'a str, JsonMap>,
    containers: &mut HashMap<&'a str, Container>,
    dropped: &HashSet<String>,
) {
    let Some(visited) = index.get(id) else {
        return;
    };
    for inner in tree::subtree_ids(visited.step) {
        if fields.contains_key(inner) || dropped.contains(inner) {
            continue;
        }
        if let Some((key, part)) = parts.get_key_value(inner) {
            fields.insert(key, part.fields.clone());
            containers.insert(key, part.container.clone());
        }
    }
}

fn changed_fields(base: &JsonMap, side: &JsonMap) -> Vec<String> {
    let keys: BTreeSet<&String> = base.keys().chain(side.keys()).collect();
    keys.into_iter()
        .filter(|key| base.get(*key) != side.get(*key))
        .cloned()
        .collect()
}

/// Rebuilds a step from its merged fields and merged child lists.
fn build_step(
    id: &str,
    fields: &HashMap<&str, JsonMap>,
    lists: &HashMap<Container, Vec<String>>,
) -> Result<Step, Box<Conflict>> {
    let mut object = fields.get(id).cloned().unwrap_or_default();
    let type_name = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let children = |container: Container| -> Result<Vec<Value>, Box<Conflict>> {
        lists
            .get(&container)
            .map(|ids| {
                ids.iter()
                    .map(|child| {
                        build_step(child, fields, lists)
                            .map(|step| serde_json::to_value(step).unwrap_or(Value::Null))
                    })
                    .collect()
            })
            .unwrap_or_else(|| Ok(Vec::new()))
    };
    match type_name.as_str() {
        "parallel" => {
            object.insert(
                "steps".into(),
                Value::Array(children(Container::Parallel(id.to_string()))?),
            );
        }
        "conditional" => {
            object.insert(
                "then".into(),
                Value::Array(children(Container::Then(id.to_string()))?),
            );
            let otherwise = children(Container::Else(id.to_string()))?;
            if !otherwise.is_empty() {
                object.insert("else".into(), Value::Array(otherwise));
            }
        }
        _ => {}
    }
    serde_json::from_value(Value::Object(object)).map_err(|error| {
        Box::new(Conflict {
            step_id: Some(id.to_string()),
            field: "(step)".into(),
            base: None,
            ours: None,
            theirs: None,
            message: format!("the combined changes do not form a valid step: {error}"),
        })
    })
}

#[cfg(test)]
mod tests;
