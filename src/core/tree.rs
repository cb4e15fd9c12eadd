//! Walking and addressing the step tree: every step with the list it lives
//! in, its JSON pointer, and lookups by id.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::model::{Container, Step, StepKind, Workflow};

/// A fast hasher for step ids and other short keys (the FxHash scheme that
/// rustc uses). Keys come from the user's own workflow, so hash flooding is
/// no concern, and on large workflows SipHash dominated id lookups.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl IdHasher {
    const SEED: u64 = 0xf135_7aea_2e62_a9c5;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves its best bits high; hashbrown indexes by the
        // low ones.
        self.0.rotate_left(26)
    }
}

/// A `HashMap` keyed by step ids (or other short keys), with [`IdHasher`].
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
/// A `HashSet` of step ids (or other short keys), with [`IdHasher`].
pub type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

/// A step seen during a walk.
#[derive(Debug, Clone)]
pub struct Visited<'a> {
    pub step: &'a Step,
    pub container: Container,
    pub index: usize,
    /// JSON pointer of the step in the workflow file, e.g. `/steps/2/then/0`.
    pub pointer: String,
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Every step in document order (parents before their children).
pub fn walk(workflow: &Workflow) -> Vec<Visited<'_>> {
    let mut out = Vec::new();
    walk_list(&workflow.steps, Container::Root, "/steps", &mut out);
    out
}

fn walk_list<'a>(steps: &'a [Step], container: Container, base: &str, out: &mut Vec<Visited<'a>>) {
    for (index, step) in steps.iter().enumerate() {
        let pointer = format!("{base}/{index}");
        out.push(Visited {
            step,
            container: container.clone(),
            index,
            pointer: pointer.clone(),
        });
        match &step.kind {
            StepKind::Parallel { steps } => walk_list(
                steps,
                Container::Parallel(step.id.clone()),
                &format!("{pointer}/steps"),
                out,
            ),
            StepKind::Conditional {
                then, otherwise, ..
            } => {
                walk_list(
                    then,
                    Container::Then(step.id.clone()),
                    &format!("{pointer}/then"),
                    out,
                );
                walk_list(
                    otherwise,
                    Container::Else(step.id.clone()),
                    &format!("{pointer}/else"),
                    out,
                );
            }
            _ => {}
        }
    }
}

/// Steps by id (the first occurrence when ids repeat).
pub struct StepIndex<'a> {
    pub workflow: &'a Workflow,
    pub visited: Vec<Visited<'a>>,
    by_id: IdMap<&'a str, usize>,
}

impl<'a> StepIndex<'a> {
    pub fn new(workflow: &'a Workflow) -> Self {
        let visited = walk(workflow);
        let mut by_id = IdMap::with_capacity_and_hasher(visited.len(), Default::default());
        for (position, entry) in visited.iter().enumerate() {
            by_id.entry(entry.step.id.as_str()).or_insert(position);
        }
        StepIndex {
            workflow,
            visited,
            by_id,
        }
    }

    pub fn get(&self, id: &str) -> Option<&Visited<'a>> {
        self.by_id.get(id).map(|&position| &self.visited[position])
    }

    /// Position in document order.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Whether some id names more than one step (which makes the workflow
    /// invalid, and lookups by id return the first).
    pub fn has_repeated_ids(&self) -> bool {
        self.by_id.len() < self.visited.len()
    }

    pub fn ids(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.visited.iter().map(|entry| entry.step.id.as_str())
    }

    /// The chain of containers from the root down to `id`'s own list.
    pub fn ancestry(&self, id: &str) -> Vec<Container> {
        let mut chain = Vec::new();
        let mut current = self.get(id).map(|entry| entry.container.clone());
        while let Some(container) = current {
            current = container
                .owner()
                .and_then(|owner| self.get(owner))
                .map(|entry| entry.container.clone());
            chain.push(container);
        }
        chain.reverse();
        chain
    }
}

/// Finds a step anywhere in the tree.
pub fn find<'a>(steps: &'a [Step], id: &str) -> Option<&'a Step> {
    for step in steps {
        if step.id == id {
            return Some(step);
        }
        let found = match &step.kind {
            StepKind::Parallel { steps } => find(steps, id),
            StepKind::Conditional {
                then, otherwise, ..
            } => find(then, id).or_else(|| find(otherwise, id)),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Finds a step anywhere in the tree, mutably.
pub fn find_mut<'a>(steps: &'a mut [Step], id: &str) -> Option<&'a mut Step> {
    for step in steps.iter_mut() {
        if step.id == id {
            return Some(step);
        }
        let found = match &mut step.kind {
            StepKind::Parallel { steps } => find_mut(steps, id),
            StepKind::Conditional {
                then, otherwise, ..
            } => match find_mut(then, id) {
                Some(found) => Some(found),
                None => find_mut(otherwise, id),
            },
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Where a step lives: its list and index in it.
pub fn locate(workflow: &Workflow, id: &str) -> Option<(Container, usize)> {
    fn search(steps: &[Step], container: Container, id: &str) -> Option<(Container, usize)> {
        for (index, step) in steps.iter().enumerate() {
            if step.id == id {
                return Some((container, index));
            }
            for (child_container, children) in step.child_lists() {
                if let Some(found) = search(children, child_container, id) {
                    return Some(found);
                }
            }
        }
        None
    }
    search(&workflow.steps, Container::Root, id)
}

/// The list a container names.
pub fn list<'a>(workflow: &'a Workflow, container: &Container) -> Option<&'a Vec<Step>> {
    match container.owner() {
        None => Some(&workflow.steps),
        Some(owner) => {
            let step = find(&workflow.steps, owner)?;
            step.child_lists()
                .into_iter()
                .find(|(candidate, _)| candidate == container)
                .map(|(_, list)| list)
        }
    }
}

/// The list a container names, mutably.
pub fn list_mut<'a>(
    workflow: &'a mut Workflow,
    container: &Container,
) -> Option<&'a mut Vec<Step>> {
    match container.owner() {
        None => Some(&mut workflow.steps),
        Some(owner) => find_mut(&mut workflow.steps, owner)?.child_list_mut(container),
    }
}

/// Every id in a subtree, the root first.
pub fn subtree_ids(step: &Step) -> Vec<&str> {
    let mut ids = vec![step.id.as_str()];
    for (_, children) in step.child_lists() {
        for child in children {
            ids.extend(subtree_ids(child));
        }
    }
    ids
}

/// Every step of a subtree, the root first.
pub fn walk_step(step: &Step) -> Vec<&Step> {
    let mut out = vec![step];
    for (_, children) in step.child_lists() {
        for child in children {
            out.extend(walk_step(child));
        }
    }
    out
}

/// Every step id of a workflow: a lighter [`walk`] when only ids matter.
pub fn id_set(workflow: &Workflow) -> IdSet<&str> {
    fn collect<'a>(steps: &'a [Step], ids: &mut IdSet<&'a str>) {
        for step in steps {
            ids.insert(step.id.as_str());
            match &step.kind {
                StepKind::Parallel { steps } => collect(steps, ids),
                StepKind::Conditional {
                    then, otherwise, ..
                } => {
                    collect(then, ids);
                    collect(otherwise, ids);
                }
                _ => {}
            }
        }
    }
    let mut ids = IdSet::default();
    collect(&workflow.steps, &mut ids);
    ids
}

/// Visits every step of a tree mutably (parents first).
pub fn for_each_step_mut(steps: &mut [Step], f: &mut impl FnMut(&mut Step)) {
    for step in steps {
        f(step);
        match &mut step.kind {
            StepKind::Parallel { steps } => for_each_step_mut(steps, f),
            StepKind::Conditional {
                then, otherwise, ..
            } => {
                for_each_step_mut(then, f);
                for_each_step_mut(otherwise, f);
            }
            _ => {}
        }
    }
}
