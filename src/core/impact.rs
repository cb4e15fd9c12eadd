//! Impact analysis: what a change does before it is applied. This is what
//! the confirmation gate shows: steps added, removed and modified, the
//! references the change breaks and who consumes them, skills to create,
//! warnings, and one verdict.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::diff::{Change, Location, SemanticDiff, semantic_diff_indexed};
use super::model::{Step, StepKind, Workflow};
use super::modification::{ApplyError, Modification, apply};
use super::reference;
use super::tree::StepIndex;
use super::validation::{Issue, IssueCode, KnownResources, Report, Severity, validate_indexed};

mod behaviour;

pub use behaviour::{BehaviourChange, Read, Runs};

/// When each step of `workflow` runs, by id: on every run, only under a
/// condition, or only as another step's fallback.
pub fn how_steps_run(workflow: &Workflow) -> HashMap<String, Runs> {
    behaviour::runs_of(&StepIndex::new(workflow))
}

/// The one-word answer to "is this change safe?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing breaks and nothing needs a second look.
    Safe,
    /// Nothing breaks, but there are warnings to read.
    NeedsAttention,
    /// The change breaks the workflow (a consumer loses its input, …).
    Breaking,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Safe => "safe",
            Verdict::NeedsAttention => "needs attention",
            Verdict::Breaking => "breaking",
        })
    }
}

/// A reference that the change breaks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrokenReference {
    /// The step that reads the reference.
    pub consumer: String,
    /// The step the reference points to, when it points to a step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    pub message: String,
    pub pointer: String,
    pub hint: String,
}

/// A step that keeps its place but gets a new id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renamed {
    pub from: String,
    pub to: String,
}

/// A step that starts using a skill or an agent, and what will execute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Execution {
    pub step: String,
    /// "skill" or "agent".
    pub kind: String,
    pub name: String,
    /// The skill or agent it used before, for a swap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// The command (or prompt, or agent) that will run; `None` when the
    /// registry does not know it (no registry, or it does not exist yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executes: Option<String>,
}

/// A context value the change alters that several steps read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedValueChange {
    pub key: String,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
    pub readers: Vec<String>,
}

impl SharedValueChange {
    /// The steps that read the value, as users read them: `'a', 'b'`.
    pub fn quoted_readers(&self) -> String {
        self.readers
            .iter()
            .map(|reader| format!("'{reader}'"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why a proposal changes more than a request could mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rewrite {
    /// Steps before the change, and how many it removes, adds and
    /// rewrites (new skill, inputs or type).
    pub steps_before: usize,
    pub removed: usize,
    pub added: usize,
    pub rewritten: usize,
    pub reason: String,
}

/// What a change does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    pub verdict: Verdict,
    /// Why the verdict is what it is, one line per rule that decided it
    /// (README, "Verdicts").
    pub reasons: Vec<String>,
    /// Set when the change is far larger than an edit: never approved by
    /// `--yes` alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<Rewrite>,
    pub steps_added: Vec<String>,
    pub steps_removed: Vec<String>,
    pub steps_modified: Vec<String>,
    pub steps_moved: Vec<String>,
    pub steps_renamed: Vec<Renamed>,
    /// Per step whose way of running changes: before → after.
    pub behaviour: Vec<BehaviourChange>,
    /// Skills and agents steps start using, with what will execute.
    pub executes: Vec<Execution>,
    /// Context values several steps read that the change alters.
    pub shared_values: Vec<SharedValueChange>,
    /// References that work before the change and not after it.
    pub broken_references: Vec<BrokenReference>,
    /// Skills the change starts using that do not exist yet (only with a
    /// registry).
    pub new_skills_needed: Vec<String>,
    /// Agents the result uses that were not found (only with a registry).
    pub missing_agents: Vec<String>,
    /// Other problems the change introduces.
    pub errors: Vec<Issue>,
    pub warnings: Vec<String>,
}

impl Impact {
    pub fn is_breaking(&self) -> bool {
        self.verdict == Verdict::Breaking
    }
}

/// Everything the gate needs about a proposed change, computed in memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub result: Workflow,
    pub validation: Report,
    pub impact: Impact,
    pub diff: SemanticDiff,
}

/// Applies `modifications` to a copy of `before` and works out what that
/// would do. Nothing is changed; an invalid list is an error.
pub fn evaluate(
    before: &Workflow,
    modifications: &[Modification],
    known: Option<&KnownResources>,
) -> Result<Evaluation, ApplyError> {
    let result = apply(before, modifications)?;
    // Renames the modifications say outright, chained (a → b → c is a → c).
    let mut renames: Vec<Renamed> = Vec::new();
    for modification in modifications {
        if let Modification::RenameStep { id, new_id } = modification {
            match renames.iter_mut().find(|renamed| renamed.to == *id) {
                Some(renamed) => renamed.to = new_id.clone(),
                None => renames.push(Renamed {
                    from: id.clone(),
                    to: new_id.clone(),
                }),
            }
        }
    }
    Ok(evaluate_with(before, result, known, renames))
}

/// Like [`evaluate`], for a change given as the resulting workflow (a
/// rollback, a merge, a hand edit). A step removed and one added in its
/// place that differ only by id count as a rename.
pub fn evaluate_result(
    before: &Workflow,
    result: Workflow,
    known: Option<&KnownResources>,
) -> Evaluation {
    evaluate_with(before, result, known, Vec::new())
}

fn evaluate_with(
    before: &Workflow,
    result: Workflow,
    known: Option<&KnownResources>,
    renames: Vec<Renamed>,
) -> Evaluation {
    // One index per side, shared by validation, diff and impact.
    let (validation, impact, diff) = {
        let before_index = StepIndex::new(before);
        let after_index = StepIndex::new(&result);
        let before_report = validate_indexed(&before_index, known);
        let validation = validate_indexed(&after_index, known);
        let diff = semantic_diff_indexed(&before_index, &after_index);
        let sides = Sides {
            before: &before_index,
            before_report: &before_report,
            after: &after_index,
            after_report: &validation,
        };
        let impact = impact_of(&sides, &diff, known, renames);
        (validation, impact, diff)
    };
    Evaluation {
        result,
        validation,
        impact,
        diff,
    }
}

/// Problems are matched across versions by what they say, not where (an
/// insertion shifts every pointer after it).
fn issue_key(issue: &Issue) -> (IssueCode, Option<&str>, &str) {
    (issue.code, issue.step_id.as_deref(), issue.message.as_str())
}

/// An issue of the version before, as it would read after `renames`.
fn renamed_issue(issue: &Issue, renames: &[Renamed]) -> Issue {
    let mut issue = issue.clone();
    for renamed in renames {
        if issue.step_id.as_deref() == Some(renamed.from.as_str()) {
            issue.step_id = Some(renamed.to.clone());
        }
        issue.message = issue
            .message
            .replace(&format!("'{}'", renamed.from), &format!("'{}'", renamed.to))
            .replace(&format!("'{}.", renamed.from), &format!("'{}.", renamed.to));
    }
    issue
}

fn is_reference_problem(issue: &Issue) -> bool {
    match issue.code {
        IssueCode::UnknownStep
        | IssueCode::UndeclaredOutput
        | IssueCode::NotRunBefore
        | IssueCode::MissingContextKey
        | IssueCode::InvalidFallback => true,
        // A step reading what another's skill does not produce (not the
        // producer's own declaration).
        IssueCode::UnproducedOutput => issue.related_step.is_some(),
        _ => false,
    }
}

struct Sides<'s, 'w> {
    before: &'s StepIndex<'w>,
    before_report: &'s Report,
    after: &'s StepIndex<'w>,
    after_report: &'s Report,
}

/// Step fields whose change leaves what a step does as it was: how hard it
/// tries, how long it may take, what it says about itself.
const TUNING_FIELDS: [&str; 3] = ["error_handling", "timeout_secs", "description"];

/// Structural renames the modifications did not name: a step removed and
/// one added at the same place, equal but for the id.
fn structural_renames(sides: &Sides<'_, '_>, diff: &SemanticDiff) -> Vec<Renamed> {
    let added: Vec<(&str, &Location)> = diff
        .changes
        .iter()
        .filter_map(|change| match change {
            Change::StepAdded { id, location, .. } => Some((id.as_str(), location)),
            _ => None,
        })
        .collect();
    let mut found = Vec::new();
    for change in &diff.changes {
        let Change::StepRemoved { id, location, .. } = change else {
            continue;
        };
        let Some(old) = sides.before.get(id) else {
            continue;
        };
        let twin = added.iter().find(|(new_id, new_location)| {
            new_location.index == location.index
                && !found.iter().any(|renamed: &Renamed| renamed.to == *new_id)
                && sides.after.get(new_id).is_some_and(|new| {
                    let mut renamed = old.step.clone();
                    renamed.id = new_id.to_string();
                    renamed == *new.step
                })
        });
        if let Some((new_id, _)) = twin {
            found.push(Renamed {
                from: id.clone(),
                to: new_id.to_string(),
            });
        }
    }
    found
}

fn impact_of(
    sides: &Sides<'_, '_>,
    diff: &SemanticDiff,
    known: Option<&KnownResources>,
    mut renames: Vec<Renamed>,
) -> Impact {
    if renames.is_empty() {
        renames = structural_renames(sides, diff);
    }
    let renamed_from = |id: &str| renames.iter().any(|renamed| renamed.from == id);
    let renamed_to = |id: &str| renames.iter().any(|renamed| renamed.to == id);
    let mut steps_added = Vec::new();
    let mut steps_removed = Vec::new();
    let mut steps_modified = Vec::new();
    let mut steps_moved = Vec::new();
    let mut seen_modified = HashSet::new();
    // Steps whose skill, inputs or kind change: what they do is different.
    let mut rewritten: BTreeSet<&str> = BTreeSet::new();
    let mut swaps: Vec<(&str, &str, Option<Value>, Option<Value>)> = Vec::new();
    let mut shared_values = Vec::new();
    let context_readers = behaviour::context_readers(sides.before);
    for change in &diff.changes {
        match change {
            Change::StepAdded { id, .. } if !renamed_to(id) => steps_added.push(id.clone()),
            Change::StepRemoved { id, .. } if !renamed_from(id) => steps_removed.push(id.clone()),
            Change::StepMoved { id, .. } => steps_moved.push(id.clone()),
            Change::StepField {
                id,
                field,
                old,
                new,
            } => {
                if seen_modified.insert(id.clone()) {
                    steps_modified.push(id.clone());
                }
                let top = field.split('.').next().unwrap_or_default();
                if !TUNING_FIELDS.contains(&top)
                    && top != "outputs"
                    && !follows_renames(old.as_ref(), new.as_ref(), &renames)
                {
                    rewritten.insert(id.as_str());
                }
                if (top == "skill" || top == "agent" || top == "type") && field == top {
                    swaps.push((id.as_str(), top, old.clone(), new.clone()));
                }
            }
            Change::ContextValue {
                key,
                old: Some(old),
                new: Some(new),
            } => {
                let readers = context_readers.get(key).cloned().unwrap_or_default();
                if readers.len() > 1 {
                    shared_values.push(SharedValueChange {
                        key: key.clone(),
                        old: old.clone(),
                        new: new.clone(),
                        readers,
                    });
                }
            }
            _ => {}
        }
    }

    // The problems before, as they read after the renames.
    let renamed_before: Vec<Issue>;
    let before_issues = if renames.is_empty() {
        &sides.before_report.issues
    } else {
        renamed_before = sides
            .before_report
            .issues
            .iter()
            .map(|issue| renamed_issue(issue, &renames))
            .collect();
        &renamed_before
    };
    let existing: HashSet<_> = before_issues.iter().map(issue_key).collect();
    let mut broken_references = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut new_skills = BTreeSet::new();
    let mut missing_agents = BTreeSet::new();
    for issue in &sides.after_report.issues {
        if existing.contains(&issue_key(issue)) {
            continue;
        }
        match issue.code {
            IssueCode::UnknownSkill => {
                if let Some(StepKind::Skill { skill }) = step_kind(sides.after, issue) {
                    new_skills.insert(skill.clone());
                }
                continue;
            }
            IssueCode::UnknownAgent => {
                if let Some(StepKind::Agent { agent, .. }) = step_kind(sides.after, issue) {
                    missing_agents.insert(agent.clone());
                }
                continue;
            }
            _ => {}
        }
        match issue.severity {
            Severity::Error if is_reference_problem(issue) => {
                broken_references.push(BrokenReference {
                    consumer: issue.step_id.clone().unwrap_or_default(),
                    producer: issue.related_step.clone(),
                    message: issue.message.clone(),
                    pointer: issue.pointer.clone(),
                    hint: issue.hint.clone(),
                })
            }
            Severity::Error => errors.push(issue.clone()),
            Severity::Warning => warnings.push(issue.message.clone()),
        }
    }

    // How each step runs, before (as renamed) and after.
    let rename_id = |id: &str| -> String {
        renames
            .iter()
            .find(|renamed| renamed.from == id)
            .map_or_else(|| id.to_string(), |renamed| renamed.to.clone())
    };
    let rename_runs = |runs: Runs| -> Runs {
        match runs {
            Runs::OnlyIf { mut condition } => {
                for renamed in &renames {
                    if let Some(rewritten) =
                        reference::rename_in_condition(&condition, &renamed.from, &renamed.to)
                    {
                        condition = rewritten;
                    }
                }
                Runs::OnlyIf { condition }
            }
            Runs::AsFallbackOf { step } => Runs::AsFallbackOf {
                step: rename_id(&step),
            },
            other => other,
        }
    };
    let before_runs: HashMap<String, Runs> = behaviour::runs_of(sides.before)
        .into_iter()
        .map(|(id, runs)| (rename_id(&id), rename_runs(runs)))
        .collect();
    let after_runs = behaviour::runs_of(sides.after);
    let readers = behaviour::readers_of(sides.before);
    let removed: HashSet<&str> = steps_removed.iter().map(String::as_str).collect();
    let mut behaviour_changes = Vec::new();
    let order = sides
        .before
        .visited
        .iter()
        .map(|visited| rename_id(&visited.step.id))
        .chain(
            sides
                .after
                .visited
                .iter()
                .map(|visited| visited.step.id.clone()),
        );
    let mut listed = HashSet::new();
    for id in order {
        if !listed.insert(id.clone()) {
            continue;
        }
        let before = before_runs.get(&id).cloned().unwrap_or(Runs::Absent);
        let after = after_runs.get(&id).cloned().unwrap_or(Runs::Absent);
        if before == after {
            continue;
        }
        let original = renames
            .iter()
            .find(|renamed| renamed.to == id)
            .map_or(id.as_str(), |renamed| renamed.from.as_str());
        let read_by = readers
            .get(original)
            .map(|list| {
                list.iter()
                    .filter(|read| !removed.contains(read.reader.as_str()))
                    .map(|read| Read {
                        reader: rename_id(&read.reader),
                        ..read.clone()
                    })
                    .collect()
            })
            .unwrap_or_default();
        behaviour_changes.push(BehaviourChange {
            step: id,
            before,
            after,
            read_by,
            did: None,
        });
    }

    // A removed step nobody reads breaks nothing, but what it did is gone.
    let mut removals_unread = 0;
    for change in &mut behaviour_changes {
        if change.after != Runs::Absent {
            continue;
        }
        let Some(visited) = sides.before.get(&change.step) else {
            continue;
        };
        let does = what_it_does(visited.step);
        if change.read_by.is_empty() {
            removals_unread += 1;
            warnings.push(format!(
                "step '{}' will be removed; nothing reads its outputs, but what it does ({does}) will no longer happen",
                change.step,
            ));
        }
        change.did = Some(does);
    }

    // What will execute: every step that starts using a skill or agent.
    let executes_of = |kind: &str, name: &str| -> Option<String> {
        let known = known?;
        let interfaces = if kind == "agent" {
            &known.agents
        } else {
            &known.skills
        };
        interfaces.get(name)?.executes.clone()
    };
    let mut executes = Vec::new();
    for id in &steps_added {
        for step in sides
            .after
            .get(id)
            .map(|visited| super::tree::walk_step(visited.step))
            .unwrap_or_default()
        {
            // A step moved into a new container was there before.
            let existed = sides.before.contains(&step.id) || renamed_to(&step.id);
            if let Some((kind, name)) = runs_what(&step.kind)
                && !existed
                && !executes
                    .iter()
                    .any(|known: &Execution| known.step == step.id)
            {
                executes.push(Execution {
                    step: step.id.clone(),
                    kind: kind.to_string(),
                    name: name.to_string(),
                    replaces: None,
                    executes: executes_of(kind, name),
                });
            }
        }
    }
    for (id, _, old, _) in &swaps {
        let Some(visited) = sides.after.get(id) else {
            continue;
        };
        if let Some((kind, name)) = runs_what(&visited.step.kind)
            && !executes.iter().any(|known: &Execution| known.step == *id)
        {
            executes.push(Execution {
                step: id.to_string(),
                kind: kind.to_string(),
                name: name.to_string(),
                replaces: old.as_ref().and_then(Value::as_str).map(str::to_string),
                executes: executes_of(kind, name),
            });
        }
    }

    let rewrite = rewrite_of(
        sides.before.visited.len(),
        &steps_removed,
        &steps_added,
        &rewritten,
    );

    // The verdict, by the rules README states.
    let mut reasons = Vec::new();
    if !broken_references.is_empty() || !errors.is_empty() {
        reasons.push(format!(
            "the result fails validation ({} new {})",
            broken_references.len() + errors.len(),
            if broken_references.len() + errors.len() == 1 {
                "problem"
            } else {
                "problems"
            }
        ));
    }
    for change in &behaviour_changes {
        if change.before.in_its_place() && matches!(change.after, Runs::AsFallbackOf { .. }) {
            reasons.push(format!(
                "'{}' no longer runs in its own place: it {}",
                change.step, change.after
            ));
        }
    }
    let breaking = !reasons.is_empty();
    let mut attention = Vec::new();
    for change in &behaviour_changes {
        if change.after == Runs::Absent && change.read_by.is_empty() {
            attention.push(format!(
                "'{}' is removed: nothing reads it, but what it does stops",
                change.step
            ));
        }
    }
    let other_warnings = warnings.len() - removals_unread;
    if other_warnings > 0 {
        attention.push(format!(
            "{other_warnings} new {}",
            if other_warnings == 1 {
                "warning"
            } else {
                "warnings"
            }
        ));
    }
    for change in &behaviour_changes {
        let still_runs = change.after.in_its_place() && change.before != Runs::Absent;
        if still_runs {
            attention.push(format!(
                "'{}' {} instead of: {}",
                change.step, change.after, change.before
            ));
        }
    }
    for execution in executes
        .iter()
        .filter(|execution| execution.replaces.is_some())
    {
        attention.push(format!(
            "'{}' runs {} '{}' instead of '{}'",
            execution.step,
            execution.kind,
            execution.name,
            execution.replaces.as_deref().unwrap_or_default()
        ));
    }
    for shared in &shared_values {
        attention.push(format!(
            "context '{}', read by {}, changes",
            shared.key,
            shared.quoted_readers()
        ));
    }
    // A skill or agent that does not exist yet is what `qwf validate`
    // warns about (workflows may come before their skills); `qwf run`
    // refuses to start until it exists.
    for skill in &new_skills {
        attention.push(format!(
            "skill '{skill}' does not exist yet, so the workflow cannot run until it is created"
        ));
    }
    for agent in &missing_agents {
        attention.push(format!(
            "agent '{agent}' was not found, so the workflow cannot run until it exists"
        ));
    }
    let verdict = if breaking {
        Verdict::Breaking
    } else if !attention.is_empty() {
        reasons.extend(attention);
        Verdict::NeedsAttention
    } else {
        Verdict::Safe
    };
    Impact {
        verdict,
        reasons,
        rewrite,
        steps_added,
        steps_removed,
        steps_modified,
        steps_moved,
        steps_renamed: renames,
        behaviour: behaviour_changes,
        executes,
        shared_values,
        broken_references,
        new_skills_needed: new_skills.into_iter().collect(),
        missing_agents: missing_agents.into_iter().collect(),
        errors,
        warnings,
    }
}

/// Whether a changed value only follows renamed steps (`fetch.data` →
/// `download.data`, in an input or a condition).
fn follows_renames(old: Option<&Value>, new: Option<&Value>, renames: &[Renamed]) -> bool {
    let (Some(Value::String(old)), Some(Value::String(new))) = (old, new) else {
        return false;
    };
    let mut text = old.clone();
    for renamed in renames {
        if let Some(rewritten) = reference::rename_in_reference(&text, &renamed.from, &renamed.to)
            .or_else(|| reference::rename_in_condition(&text, &renamed.from, &renamed.to))
        {
            text = rewritten;
        }
    }
    !renames.is_empty() && text == *new
}

/// Whether a change is a rewrite rather than an edit: it removes or
/// rewrites most of the steps (at least two), or removes and adds most.
fn rewrite_of(
    before: usize,
    removed: &[String],
    added: &[String],
    rewritten: &BTreeSet<&str>,
) -> Option<Rewrite> {
    let changed = removed.len() + rewritten.len();
    let most = |count: usize| count >= 2 && count * 2 > before;
    let replaced = most(removed.len()) && most(added.len());
    if !(most(changed) || replaced) {
        return None;
    }
    let mut parts = Vec::new();
    if !removed.is_empty() {
        parts.push(format!("removes {}", removed.len()));
    }
    if !rewritten.is_empty() {
        parts.push(format!("rewrites {}", rewritten.len()));
    }
    if !added.is_empty() {
        parts.push(format!("adds {}", added.len()));
    }
    Some(Rewrite {
        steps_before: before,
        removed: removed.len(),
        added: added.len(),
        rewritten: rewritten.len(),
        reason: format!("it {} of the workflow's {before} steps", parts.join(", ")),
    })
}

/// The skill or agent a step runs.
fn runs_what(kind: &StepKind) -> Option<(&'static str, &str)> {
    match kind {
        StepKind::Skill { skill } => Some(("skill", skill)),
        StepKind::Agent { agent, .. } => Some(("agent", agent)),
        _ => None,
    }
}

fn step_kind<'a>(index: &StepIndex<'a>, issue: &Issue) -> Option<&'a StepKind> {
    let id = issue.step_id.as_deref()?;
    index.get(id).map(|visited| &visited.step.kind)
}

fn what_it_does(step: &Step) -> String {
    match &step.kind {
        StepKind::Skill { skill } => format!("running skill '{skill}'"),
        StepKind::Agent { agent, .. } => format!("running agent '{agent}'"),
        StepKind::Parallel { steps } => format!("running {} steps in parallel", steps.len()),
        StepKind::Conditional { condition, .. } => format!("branching on `{condition}`"),
        StepKind::Unknown { type_name } => format!("a '{type_name}' step"),
    }
}

#[cfg(test)]
mod tests;
