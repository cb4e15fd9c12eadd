//! Three-way merge keyed on step ids. Independent changes combine; a field
//! changed two ways, or a step removed on one side and changed on the other,
//! is a conflict naming the step and field, never a silent pick.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::diff::show_value;
use super::model::{Container, JsonMap, Step, Workflow};
use super::tree::StepIndex;

/// Something both sides changed differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// The step concerned; `None` for workflow-level fields and context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// A dotted field path (`timeout_secs`, `inputs.url`), or `(step)` when
    /// the step itself was removed on one side, `(position)`, `(order)`.
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

struct Merger {
    conflicts: Vec<Conflict>,
}

impl Merger {
    fn conflict(
        &mut self,
        step_id: Option<&str>,
        field: &str,
        values: [Option<&Value>; 3],
        message: String,
    ) {
        self.conflicts.push(Conflict {
            step_id: step_id.map(str::to_string),
            field: field.to_string(),
            base: values[0].cloned(),
            ours: values[1].cloned(),
            theirs: values[2].cloned(),
            message,
        });
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
        self.conflict(
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
        ours.cloned()
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

/// Merges `theirs` into `ours`, both descended from `base`.
pub fn merge(
    base: &Workflow,
    ours: &Workflow,
    theirs: &Workflow,
) -> Result<Workflow, Vec<Conflict>> {
    let mut merger = Merger {
        conflicts: Vec::new(),
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
                    merger.conflict(
                        Some(id),
                        "(position)",
                        [None, None, None],
                        format!(
                            "moved on both sides: ours into {}, theirs into {}",
                            o.container, t.container
                        ),
                    );
                    o.container
                };
                merged_container.insert(id, container.clone());
            }
            (Some(kept), None) | (None, Some(kept)) => {
                let ours_side = o.is_some();
                match b {
                    None => {
                        merged_fields.insert(id, kept.fields.clone());
                        merged_container.insert(id, kept.container.clone());
                    }
                    Some(b) if b.fields == kept.fields => {} // removed on the other side
                    Some(b) => {
                        let changed = changed_fields(&b.fields, &kept.fields);
                        let (keeper, remover) = if ours_side {
                            ("ours", "theirs")
                        } else {
                            ("theirs", "ours")
                        };
                        merger.conflict(
                            Some(id),
                            "(step)",
                            [None, None, None],
                            format!(
                                "removed in {remover} but changed in {keeper} ({})",
                                changed.join(", ")
                            ),
                        );
                    }
                }
            }
            (None, None) => {}
        }
    }

    // Each list: the merged relative order of steps all three versions have
    // there, then what each side added, after its previous sibling.
    let mut members: HashMap<&Container, Vec<&str>> = HashMap::new();
    for &id in &ids {
        if let Some(container) = merged_container.get(id) {
            members.entry(container).or_default().push(id);
        }
    }
    let mut lists: HashMap<Container, Vec<String>> = HashMap::new();
    for (container, member_ids) in &members {
        if let Some(owner) = container.owner()
            && !merged_fields.contains_key(owner)
        {
            for id in member_ids {
                merger.conflict(
                    Some(id),
                    "(position)",
                    [None, None, None],
                    format!("added or moved into '{owner}', which the other side removed"),
                );
            }
            continue;
        }
        if let Some(owner) = container.owner() {
            let owner_type = merged_fields[owner]
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let fits = matches!(
                (container, owner_type),
                (Container::Parallel(_), "parallel")
                    | (Container::Then(_) | Container::Else(_), "conditional")
            );
            if !fits {
                merger.conflict(
                    Some(owner),
                    "type",
                    [None, None, None],
                    format!("one side made '{owner}' a {owner_type} step while the other keeps steps inside it"),
                );
                continue;
            }
        }
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
            merger.conflict(
                container.owner(),
                "(order)",
                [None, None, None],
                format!("the steps of {container} were reordered differently on both sides"),
            );
            ours_common
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
        lists.insert((*container).clone(), order);
    }

    if !merger.conflicts.is_empty() {
        return Err(merger.conflicts);
    }

    let mut steps = Vec::new();
    for id in lists.get(&Container::Root).cloned().unwrap_or_default() {
        match build_step(&id, &merged_fields, &lists) {
            Ok(step) => steps.push(step),
            Err(conflict) => merger.conflicts.push(*conflict),
        }
    }
    if !merger.conflicts.is_empty() {
        return Err(merger.conflicts);
    }
    let as_string =
        |value: Option<Value>| value.and_then(|value| value.as_str().map(str::to_string));
    Ok(Workflow {
        name: as_string(name).unwrap_or_else(|| ours.name.clone()),
        version: as_string(version),
        description: as_string(description),
        steps,
        context: super::model::Context {
            readonly,
            extra: context_extra,
        },
        extra,
    })
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
