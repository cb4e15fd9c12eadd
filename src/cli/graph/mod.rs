//! A picture of a workflow: steps in sequence, parallel branches side by
//! side, a conditional's then/else, fallbacks beside the step they replace,
//! and what each step reads. Built once as a [`Picture`] (what to draw),
//! then laid out for the terminal ([`text`]) or written as Mermaid or
//! Graphviz DOT for documents. Everything here is pure: text in, text out;
//! the commands print.

pub mod dot;
pub mod mermaid;
pub mod text;

use std::collections::{HashMap, HashSet};

use crate::core::diff::{Change, semantic_diff};
use crate::core::model::{Container, Step, StepKind, Strategy, Workflow};
use crate::core::reference::{self, Reference};
use crate::core::tree;

/// How a step changed, when the picture shows a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Unchanged,
    Added,
    Removed,
    Changed,
}

impl Mark {
    /// The sign put before the step's id.
    pub fn sign(self) -> Option<char> {
        match self {
            Mark::Unchanged => None,
            Mark::Added => Some('+'),
            Mark::Removed => Some('-'),
            Mark::Changed => Some('~'),
        }
    }
}

/// One step as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub mark: Mark,
    /// What the step is: `skill http-fetch`, `agent reviewer`, `parallel`,
    /// `if validate.ok == true`.
    pub what: String,
    /// The references it reads (`context.api_url`, `fetch.data`), its
    /// condition's included.
    pub reads: Vec<String>,
    pub outputs: Vec<String>,
    /// `retry 3 attempts, exponential`, `continue`, `fall back to mirror`.
    pub on_error: Option<String>,
    pub timeout_secs: Option<u64>,
    /// The fields that changed (a diff), top-level names, in order.
    pub changed: Vec<String>,
    pub shape: Shape,
    /// The step that runs in its place when it fails, drawn beside it.
    pub fallback: Option<Box<Node>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A skill or agent step (or a type qwf does not know).
    Task,
    /// Branches that run at the same time, one step each.
    Parallel(Vec<Node>),
    Conditional {
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// What to draw: the workflow's steps, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub name: String,
    pub steps: Vec<Node>,
}

impl Picture {
    /// The picture of one version.
    pub fn of(workflow: &Workflow) -> Picture {
        Builder::new(workflow, None).picture()
    }

    /// The picture of `new` with what changed since `old` marked: added,
    /// changed and moved steps, and removed steps drawn where they were.
    pub fn of_diff(old: &Workflow, new: &Workflow) -> Picture {
        Builder::new(new, Some(old)).picture()
    }

    /// How many steps are drawn (fallbacks and nested steps included).
    pub fn count(&self) -> usize {
        fn count(nodes: &[Node]) -> usize {
            nodes
                .iter()
                .map(|node| {
                    1 + node
                        .fallback
                        .as_deref()
                        .map_or(0, |f| count(std::slice::from_ref(f)))
                        + match &node.shape {
                            Shape::Task => 0,
                            Shape::Parallel(branches) => count(branches),
                            Shape::Conditional { then, otherwise } => {
                                count(then) + count(otherwise)
                            }
                        }
                })
                .sum()
        }
        count(&self.steps)
    }
}

struct Builder<'a> {
    new: &'a Workflow,
    old: Option<&'a Workflow>,
    /// Steps of `new`, and removed steps of `old`, by id.
    steps: HashMap<&'a str, &'a Step>,
    added: HashSet<String>,
    removed: HashSet<String>,
    changed: HashMap<String, Vec<String>>,
    /// Fallback step → the step it is drawn beside.
    host: HashMap<&'a str, &'a str>,
}

impl<'a> Builder<'a> {
    fn new(new: &'a Workflow, old: Option<&'a Workflow>) -> Self {
        let mut steps: HashMap<&str, &Step> = HashMap::new();
        for visited in tree::walk(new) {
            steps
                .entry(visited.step.id.as_str())
                .or_insert(visited.step);
        }
        let mut added = HashSet::new();
        let mut removed = HashSet::new();
        let mut changed: HashMap<String, Vec<String>> = HashMap::new();
        if let Some(old) = old {
            for change in semantic_diff(old, new).changes {
                match change {
                    Change::StepAdded { id, .. } => {
                        added.insert(id);
                    }
                    Change::StepRemoved { id, .. } => {
                        removed.insert(id);
                    }
                    Change::StepMoved { id, .. } => {
                        push_once(changed.entry(id).or_default(), "moved")
                    }
                    Change::StepField { id, field, .. } => {
                        let top = field.split('.').next().unwrap_or(&field).to_string();
                        push_once(changed.entry(id).or_default(), &top);
                    }
                    _ => {}
                }
            }
            for visited in tree::walk(old) {
                if removed.contains(&visited.step.id) {
                    steps
                        .entry(visited.step.id.as_str())
                        .or_insert(visited.step);
                }
            }
        }
        // Each fallback is drawn beside the first step that names it,
        // unless that would draw a step inside itself (a cycle).
        let mut host: HashMap<&str, &str> = HashMap::new();
        let mut order: Vec<&Step> = tree::walk(new).into_iter().map(|v| v.step).collect();
        if let Some(old) = old {
            order.extend(
                tree::walk(old)
                    .into_iter()
                    .map(|visited| visited.step)
                    .filter(|step| removed.contains(&step.id)),
            );
        }
        for step in order {
            let Some(fallback) = fallback_of(step) else {
                continue;
            };
            let Some(target) = steps.get(fallback) else {
                continue;
            };
            let target = target.id.as_str();
            if target == step.id || host.contains_key(target) {
                continue;
            }
            let mut above = Some(step.id.as_str());
            let mut cycle = false;
            while let Some(current) = above {
                if current == target {
                    cycle = true;
                    break;
                }
                above = host.get(current).copied();
            }
            if !cycle {
                host.insert(target, step.id.as_str());
            }
        }
        Builder {
            new,
            old,
            steps,
            added,
            removed,
            changed,
            host,
        }
    }

    fn picture(&self) -> Picture {
        Picture {
            name: self.new.name.clone(),
            steps: self.list(&self.new.steps, &Container::Root, Mark::Unchanged),
        }
    }

    /// A list of steps, with the steps removed from it put back where they
    /// were (after their nearest earlier sibling that is still there).
    fn list(&self, steps: &'a [Step], container: &Container, inherited: Mark) -> Vec<Node> {
        // Inside a removed step, the children that still exist elsewhere are
        // drawn there.
        let mut drawn: Vec<&Step> = steps
            .iter()
            .filter(|step| inherited != Mark::Removed || self.removed.contains(&step.id))
            .collect();
        if inherited != Mark::Removed
            && let Some(old_steps) = self.old.and_then(|old| tree::list(old, container))
        {
            for (position, old_step) in old_steps.iter().enumerate() {
                if !self.removed.contains(&old_step.id) {
                    continue;
                }
                let after = old_steps[..position]
                    .iter()
                    .rev()
                    .find_map(|earlier| drawn.iter().position(|step| step.id == earlier.id));
                drawn.insert(after.map_or(0, |at| at + 1), old_step);
            }
        }
        drawn
            .into_iter()
            .filter(|step| !self.host.contains_key(step.id.as_str()))
            .map(|step| self.node(step, inherited))
            .collect()
    }

    fn node(&self, step: &'a Step, inherited: Mark) -> Node {
        let mark = if inherited == Mark::Removed || self.removed.contains(&step.id) {
            Mark::Removed
        } else if inherited == Mark::Added || self.added.contains(&step.id) {
            Mark::Added
        } else if self.changed.contains_key(&step.id) {
            Mark::Changed
        } else {
            Mark::Unchanged
        };
        let inner = match mark {
            Mark::Removed | Mark::Added => mark,
            _ => Mark::Unchanged,
        };
        let (what, shape) = match &step.kind {
            StepKind::Skill { skill } => (format!("skill {skill}"), Shape::Task),
            StepKind::Agent { agent, .. } => (format!("agent {agent}"), Shape::Task),
            StepKind::Unknown { type_name } => (format!("type {type_name}"), Shape::Task),
            StepKind::Parallel { steps } => (
                "parallel".to_string(),
                Shape::Parallel(self.list(steps, &Container::Parallel(step.id.clone()), inner)),
            ),
            StepKind::Conditional {
                condition,
                then,
                otherwise,
            } => (
                format!("if {condition}"),
                Shape::Conditional {
                    then: self.list(then, &Container::Then(step.id.clone()), inner),
                    otherwise: self.list(otherwise, &Container::Else(step.id.clone()), inner),
                },
            ),
        };
        let fallback = self
            .host
            .iter()
            .find(|(_, host)| **host == step.id)
            .and_then(|(fallback, _)| self.steps.get(fallback))
            .map(|fallback| Box::new(self.node(fallback, Mark::Unchanged)));
        Node {
            id: step.id.clone(),
            mark,
            what,
            reads: self.reads(step),
            outputs: step.outputs.clone(),
            on_error: on_error(step),
            timeout_secs: step.timeout_secs,
            changed: if mark == Mark::Changed {
                self.changed.get(&step.id).cloned().unwrap_or_default()
            } else {
                Vec::new()
            },
            shape,
            fallback,
        }
    }

    /// The references a step reads: its inputs', then its condition's.
    fn reads(&self, step: &Step) -> Vec<String> {
        let is_step = |id: &str| self.steps.contains_key(id);
        let mut reads = Vec::new();
        for value in step.inputs.values() {
            if let Some(text) = value.as_str()
                && reference::parse(text, is_step).is_some()
            {
                push_once(&mut reads, text);
            }
        }
        if let StepKind::Conditional { condition, .. } = &step.kind {
            for span in reference::condition_spans(condition) {
                let word = &condition[span];
                if let Some(Reference::Context { .. } | Reference::Step { .. }) =
                    reference::parse(word, is_step)
                {
                    push_once(&mut reads, word);
                }
            }
        }
        reads
    }
}

/// The picture as nodes and edges, for the document formats (Mermaid,
/// DOT): each step one node; a parallel step's node forks to its branches,
/// a conditional's to `then` and `else`; a fallback hangs off its step by a
/// dashed edge; the next step follows from wherever the flow may leave.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow<'a> {
    /// Keys are `s0`, `s1`, … in drawing order.
    pub nodes: Vec<(String, &'a Node)>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// `then`, `else`, `if it fails`.
    pub label: Option<&'static str>,
    pub dashed: bool,
}

impl Picture {
    pub fn flow(&self) -> Flow<'_> {
        let mut flow = Flow {
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        flow.sequence(&self.steps);
        flow
    }
}

/// Where the flow may leave a part: node keys, with the label of the edge.
type Exits = Vec<(String, Option<&'static str>)>;

impl<'a> Flow<'a> {
    fn sequence(&mut self, nodes: &'a [Node]) -> Option<(String, Exits)> {
        let mut entry = None;
        let mut exits: Option<Exits> = None;
        for node in nodes {
            let (node_entry, node_exits) = self.node(node);
            match exits.take() {
                Some(previous) => {
                    for (from, label) in previous {
                        self.edge(from, node_entry.clone(), label, false);
                    }
                }
                None => entry = Some(node_entry),
            }
            exits = Some(node_exits);
        }
        Some((entry?, exits?))
    }

    fn node(&mut self, node: &'a Node) -> (String, Exits) {
        let key = format!("s{}", self.nodes.len());
        self.nodes.push((key.clone(), node));
        let mut exits: Exits = Vec::new();
        match &node.shape {
            Shape::Task => exits.push((key.clone(), None)),
            Shape::Parallel(branches) => {
                for branch in branches {
                    let (entry, branch_exits) = self.node(branch);
                    self.edge(key.clone(), entry, None, false);
                    exits.extend(branch_exits);
                }
                if branches.is_empty() {
                    exits.push((key.clone(), None));
                }
            }
            Shape::Conditional { then, otherwise } => {
                for (label, steps) in [("then", then), ("else", otherwise)] {
                    match self.sequence(steps) {
                        Some((entry, branch_exits)) => {
                            self.edge(key.clone(), entry, Some(label), false);
                            exits.extend(branch_exits);
                        }
                        None => exits.push((key.clone(), Some(label))),
                    }
                }
            }
        }
        if let Some(fallback) = &node.fallback {
            let (entry, fallback_exits) = self.node(fallback);
            self.edge(key.clone(), entry, Some("if it fails"), true);
            exits.extend(fallback_exits);
        }
        (key, exits)
    }

    fn edge(&mut self, from: String, to: String, label: Option<&'static str>, dashed: bool) {
        self.edges.push(Edge {
            from,
            to,
            label,
            dashed,
        });
    }
}

impl Node {
    /// A node's label in a document format: its lines, each escaped for the
    /// format, joined by the format's line break.
    pub fn label(&self, escape: fn(&str) -> String, line_break: &str) -> String {
        self.label_lines()
            .iter()
            .map(|line| escape(line))
            .collect::<Vec<_>>()
            .join(line_break)
    }

    /// The lines of a node's label in the document formats.
    fn label_lines(&self) -> Vec<String> {
        let mut lines = vec![match self.mark.sign() {
            Some(sign) => format!("{sign} {}", self.id),
            None => self.id.clone(),
        }];
        lines.push(self.what.clone());
        if !self.reads.is_empty() {
            lines.push(format!("reads {}", self.reads.join(", ")));
        }
        if !self.outputs.is_empty() {
            lines.push(format!("gives {}", self.outputs.join(", ")));
        }
        if let Some(on_error) = &self.on_error {
            lines.push(format!("on error: {on_error}"));
        }
        if let Some(seconds) = self.timeout_secs {
            lines.push(format!("timeout {seconds}s"));
        }
        if !self.changed.is_empty() {
            lines.push(format!("changed: {}", self.changed.join(", ")));
        }
        lines
    }
}

fn push_once(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|existing| existing == item) {
        list.push(item.to_string());
    }
}

fn fallback_of(step: &Step) -> Option<&str> {
    let handling = step.error_handling.as_ref()?;
    (handling.strategy == Strategy::Fallback)
        .then_some(handling.fallback.as_deref())
        .flatten()
}

/// A step's error handling in a few words.
fn on_error(step: &Step) -> Option<String> {
    let handling = step.error_handling.as_ref()?;
    Some(match handling.strategy {
        Strategy::Retry => {
            let attempts = handling.max_attempts.map_or_else(
                || "unlimited attempts".to_string(),
                |n| format!("{n} attempts"),
            );
            let backoff = handling
                .backoff
                .map_or_else(|| "exponential".to_string(), |backoff| backoff.to_string());
            format!("retry, {attempts}, {backoff}")
        }
        Strategy::Continue => "continue".to_string(),
        Strategy::Fail => "fail".to_string(),
        Strategy::Fallback => match &handling.fallback {
            Some(fallback) => format!("fall back to {fallback}"),
            None => "fall back (to no step)".to_string(),
        },
    })
}

/// The terminal drawing's lines with their tones as colours (removed again
/// by the printer when colour is off).
pub fn paint(drawing: &text::Drawing) -> Vec<String> {
    use super::output::{DIM, ERROR, GOOD, WARNING, paint};
    use text::Tone;
    drawing
        .lines
        .iter()
        .map(|pieces| {
            let line: String = pieces
                .iter()
                .map(|(piece, tone)| match tone {
                    Tone::Plain => piece.clone(),
                    Tone::Added => paint(GOOD, piece),
                    Tone::Removed => paint(ERROR, piece),
                    Tone::Changed => paint(WARNING, piece),
                    Tone::Faint => paint(DIM, piece),
                })
                .collect();
            line.trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests;
