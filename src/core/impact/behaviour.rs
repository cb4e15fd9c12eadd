//! How each step runs in a version of a workflow (on every run, only under
//! a condition, only as another step's fallback) and who reads its
//! outputs: the words the impact and the gate explain a change in.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use super::super::model::{Container, StepKind, Strategy};
use super::super::reference::{self, Reference};
use super::super::tree::StepIndex;

/// When a step runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "runs", rename_all = "snake_case")]
pub enum Runs {
    /// On every run, in its place.
    Always,
    /// Only when this holds (the conditions of the conditional steps
    /// around it, `!(…)` for an else branch).
    OnlyIf { condition: String },
    /// Only when `step` fails, in its place.
    AsFallbackOf { step: String },
    /// Not in the workflow.
    Absent,
}

impl Runs {
    /// Whether it runs in the normal flow at all.
    pub fn in_its_place(&self) -> bool {
        matches!(self, Runs::Always | Runs::OnlyIf { .. })
    }
}

impl fmt::Display for Runs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Runs::Always => f.write_str("runs"),
            Runs::OnlyIf { condition } => write!(f, "runs only if `{condition}`"),
            Runs::AsFallbackOf { step } => write!(f, "runs only as the fallback of '{step}'"),
            Runs::Absent => f.write_str("removed"),
        }
    }
}

/// One place a step reads another step's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Read {
    /// The step that reads.
    pub reader: String,
    pub output: String,
    /// "input 'data'" or "its condition".
    pub place: String,
}

impl fmt::Display for Read {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' reads '{}' ({})",
            self.reader, self.output, self.place
        )
    }
}

/// A step whose way of running the change alters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BehaviourChange {
    pub step: String,
    pub before: Runs,
    pub after: Runs,
    /// Who read its outputs before the change (steps removed with it left
    /// out).
    pub read_by: Vec<Read>,
    /// For a removed step, what it did ("running skill 'db-writer'").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did: Option<String>,
}

impl fmt::Display for BehaviourChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let before = match self.before {
            Runs::Absent => "new".to_string(),
            ref runs => runs.to_string(),
        };
        write!(f, "{}: {before} → {}", self.step, self.after)?;
        if !self.read_by.is_empty() && self.after != self.before {
            let readers: Vec<String> = self
                .read_by
                .iter()
                .map(|read| format!("'{}'", read.reader))
                .collect();
            write!(f, " (read by {})", readers.join(", "))?;
        }
        Ok(())
    }
}

/// When every step of a workflow runs, by id.
pub fn runs_of(index: &StepIndex<'_>) -> HashMap<String, Runs> {
    let mut fallback_of: HashMap<&str, &str> = HashMap::new();
    for visited in &index.visited {
        if let Some(handling) = &visited.step.error_handling
            && handling.strategy == Strategy::Fallback
            && let Some(target) = handling.fallback.as_deref()
            && target != visited.step.id
        {
            fallback_of
                .entry(target)
                .or_insert(visited.step.id.as_str());
        }
    }
    let condition_of = |owner: &str| -> String {
        match index.get(owner).map(|entry| &entry.step.kind) {
            Some(StepKind::Conditional { condition, .. }) => condition.trim().to_string(),
            _ => String::new(),
        }
    };
    let mut runs = HashMap::with_capacity(index.visited.len());
    for visited in &index.visited {
        let id = visited.step.id.as_str();
        if runs.contains_key(id) {
            continue;
        }
        if let Some(primary) = fallback_of.get(id) {
            runs.insert(
                id.to_string(),
                Runs::AsFallbackOf {
                    step: primary.to_string(),
                },
            );
            continue;
        }
        let mut conditions = Vec::new();
        let mut fallback = None;
        for container in index.ancestry(id) {
            if let Some(owner) = container.owner()
                && let Some(primary) = fallback_of.get(owner)
            {
                fallback = Some(primary.to_string());
            }
            match container {
                Container::Then(owner) => conditions.push(condition_of(&owner)),
                Container::Else(owner) => conditions.push(format!("!({})", condition_of(&owner))),
                _ => {}
            }
        }
        let found = match fallback {
            Some(step) => Runs::AsFallbackOf { step },
            None if conditions.is_empty() => Runs::Always,
            None if conditions.len() == 1 => Runs::OnlyIf {
                condition: conditions.remove(0),
            },
            None => Runs::OnlyIf {
                condition: conditions
                    .iter()
                    .map(|condition| format!("({condition})"))
                    .collect::<Vec<_>>()
                    .join(" && "),
            },
        };
        runs.insert(id.to_string(), found);
    }
    runs
}

/// Who reads each step's outputs, by the step read.
pub fn readers_of(index: &StepIndex<'_>) -> HashMap<String, Vec<Read>> {
    let mut readers: HashMap<String, Vec<Read>> = HashMap::new();
    let is_step = |id: &str| index.contains(id);
    for visited in &index.visited {
        let step = visited.step;
        for (name, value) in &step.inputs {
            if let Some(Reference::Step { step: read, output }) = value
                .as_str()
                .and_then(|text| reference::parse(text, is_step))
            {
                readers.entry(read.to_string()).or_default().push(Read {
                    reader: step.id.clone(),
                    output: output.to_string(),
                    place: format!("input '{name}'"),
                });
            }
        }
        if let StepKind::Conditional { condition, .. } = &step.kind {
            for found in reference::condition_references(condition, is_step) {
                if let Reference::Step { step: read, output } = found {
                    readers.entry(read.to_string()).or_default().push(Read {
                        reader: step.id.clone(),
                        output: output.to_string(),
                        place: "its condition".to_string(),
                    });
                }
            }
        }
    }
    readers
}

/// Steps that read `context.KEY`, by key.
pub fn context_readers(index: &StepIndex<'_>) -> HashMap<String, Vec<String>> {
    let mut readers: HashMap<String, Vec<String>> = HashMap::new();
    let mut note = |key: &str, step: &str| {
        let list = readers.entry(key.to_string()).or_default();
        if !list.iter().any(|known| known == step) {
            list.push(step.to_string());
        }
    };
    let is_step = |id: &str| index.contains(id);
    for visited in &index.visited {
        let step = visited.step;
        for value in step.inputs.values() {
            if let Some(Reference::Context { key }) = value
                .as_str()
                .and_then(|text| reference::parse(text, is_step))
            {
                note(key, &step.id);
            }
        }
        if let StepKind::Conditional { condition, .. } = &step.kind {
            for found in reference::condition_references(condition, is_step) {
                if let Reference::Context { key } = found {
                    note(key, &step.id);
                }
            }
        }
    }
    readers
}
