//! Impact analysis: what a change does before it is applied. This is what
//! the confirmation gate shows: steps added, removed and modified, the
//! references the change breaks and who consumes them, skills to create,
//! warnings, and one verdict.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::Serialize;

use super::diff::{Change, SemanticDiff, semantic_diff_indexed};
use super::model::{Step, StepKind, Workflow};
use super::modification::{ApplyError, Modification, apply, read_steps};
use super::tree::StepIndex;
use super::validation::{Issue, IssueCode, KnownResources, Report, Severity, validate_indexed};

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

/// What a change does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    pub verdict: Verdict,
    pub steps_added: Vec<String>,
    pub steps_removed: Vec<String>,
    pub steps_modified: Vec<String>,
    pub steps_moved: Vec<String>,
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
    Ok(evaluate_result(before, result, known))
}

/// Like [`evaluate`], for a change given as the resulting workflow (a
/// rollback, a merge, a hand edit).
pub fn evaluate_result(
    before: &Workflow,
    result: Workflow,
    known: Option<&KnownResources>,
) -> Evaluation {
    // One index per side, shared by validation, diff and impact.
    let (validation, impact, diff) = {
        let before_index = StepIndex::new(before);
        let after_index = StepIndex::new(&result);
        let before_report = validate_indexed(&before_index, known);
        let validation = validate_indexed(&after_index, known);
        let diff = semantic_diff_indexed(&before_index, &after_index);
        let impact = impact_of(&before_index, &before_report, &result, &validation, &diff);
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

fn is_reference_problem(code: IssueCode) -> bool {
    matches!(
        code,
        IssueCode::UnknownStep
            | IssueCode::UndeclaredOutput
            | IssueCode::NotRunBefore
            | IssueCode::MissingContextKey
            | IssueCode::InvalidFallback
    )
}

fn impact_of(
    before_index: &StepIndex<'_>,
    before_report: &Report,
    after: &Workflow,
    after_report: &Report,
    diff: &SemanticDiff,
) -> Impact {
    let mut steps_added = Vec::new();
    let mut steps_removed = Vec::new();
    let mut steps_modified = Vec::new();
    let mut steps_moved = Vec::new();
    let mut seen_modified = HashSet::new();
    for change in &diff.changes {
        match change {
            Change::StepAdded { id, .. } => steps_added.push(id.clone()),
            Change::StepRemoved { id, .. } => steps_removed.push(id.clone()),
            Change::StepMoved { id, .. } => steps_moved.push(id.clone()),
            Change::StepField { id, .. } if seen_modified.insert(id.clone()) => {
                steps_modified.push(id.clone());
            }
            _ => {}
        }
    }

    let existing: HashSet<_> = before_report.issues.iter().map(issue_key).collect();
    let mut broken_references = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut new_skills = BTreeSet::new();
    let mut missing_agents = BTreeSet::new();
    for issue in &after_report.issues {
        if existing.contains(&issue_key(issue)) {
            continue;
        }
        match issue.code {
            IssueCode::UnknownSkill => {
                if let Some(StepKind::Skill { skill }) = step_kind(after, issue) {
                    new_skills.insert(skill.clone());
                }
                continue;
            }
            IssueCode::UnknownAgent => {
                if let Some(StepKind::Agent { agent, .. }) = step_kind(after, issue) {
                    missing_agents.insert(agent.clone());
                }
                continue;
            }
            _ => {}
        }
        match issue.severity {
            Severity::Error if is_reference_problem(issue.code) => {
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

    // A removed step nobody reads breaks nothing, but what it did is gone.
    // (Nothing to look at when nothing is removed.)
    let removed: HashSet<&str> = steps_removed.iter().map(String::as_str).collect();
    let before_steps = if removed.is_empty() {
        &[][..]
    } else {
        &before_index.visited[..]
    };
    let mut readers: HashMap<String, Vec<&str>> = HashMap::new();
    for visited in before_steps {
        for read in read_steps(visited.step) {
            readers
                .entry(read)
                .or_default()
                .push(visited.step.id.as_str());
        }
    }
    for visited in before_steps {
        let step = visited.step;
        if !removed.contains(step.id.as_str()) {
            continue;
        }
        let outside_readers = readers
            .get(&step.id)
            .is_some_and(|list| list.iter().any(|reader| !removed.contains(reader)));
        if !outside_readers {
            warnings.push(format!(
                "step '{}' will be removed; nothing reads its outputs, but what it does ({}) will no longer happen",
                step.id,
                what_it_does(step)
            ));
        }
    }

    let verdict = if !broken_references.is_empty() || !errors.is_empty() {
        Verdict::Breaking
    } else if !warnings.is_empty() {
        Verdict::NeedsAttention
    } else {
        Verdict::Safe
    };
    Impact {
        verdict,
        steps_added,
        steps_removed,
        steps_modified,
        steps_moved,
        broken_references,
        new_skills_needed: new_skills.into_iter().collect(),
        missing_agents: missing_agents.into_iter().collect(),
        errors,
        warnings,
    }
}

fn step_kind<'a>(workflow: &'a Workflow, issue: &Issue) -> Option<&'a StepKind> {
    let id = issue.step_id.as_deref()?;
    super::tree::find(&workflow.steps, id).map(|step| &step.kind)
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
