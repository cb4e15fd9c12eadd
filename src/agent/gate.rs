//! The confirmation gate, as data. A mutating tool call becomes a
//! [`Proposal`] (evaluated in memory: result, validation, impact, diff); a
//! [`Gate`] decides; only an approval reaches the store. The terminal gate
//! lives in the CLI; [`PolicyGate`] decides without asking, for `--yes`,
//! `--dry-run` and non-interactive runs.

use serde::Serialize;

use crate::core::impact::{BehaviourChange, Runs};
use crate::core::skill::Skill;
use crate::core::{Evaluation, Modification, Verdict, Workflow};

/// What a mutating call would do.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProposalKind {
    Modify {
        workflow: String,
        base_version: u64,
        modifications: Vec<Modification>,
    },
    Create {
        workflow: Box<Workflow>,
        new_skills: Vec<Skill>,
        /// Scripts the new skills' commands name that do not exist: a stub
        /// is written for each accepted skill (see `core::stub`).
        scripts: Vec<String>,
    },
    CreateSkill {
        skill: Skill,
        /// As for `Create`.
        scripts: Vec<String>,
    },
    Rollback {
        workflow: String,
        base_version: u64,
        to: u64,
    },
}

/// A mutating call, evaluated and ready to show.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub kind: ProposalKind,
    /// The model's one-line summary (or reasoning).
    pub summary: String,
    /// Absent for a skill, which changes no workflow.
    pub evaluation: Option<Evaluation>,
    /// Why this is a rewrite rather than an edit (see [`rewrite_reason`]):
    /// never approved by `--yes` alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<String>,
}

/// Why a modification proposal changes more than a request could mean:
/// it removes or rewrites most of the steps (the impact says), or it
/// rewrites the workflow's description along with other changes while
/// neither the request nor the summary speaks of it.
pub fn rewrite_reason(
    evaluation: &Evaluation,
    modifications: &[Modification],
    summary: &str,
    request: &str,
) -> Option<String> {
    let mut reasons = Vec::new();
    if let Some(rewrite) = &evaluation.impact.rewrite {
        reasons.push(rewrite.reason.clone());
    }
    let describes = |text: &str| {
        let text = text.to_lowercase();
        [
            "descri",
            "purpose",
            "summary",
            "what it does",
            "what the workflow does",
        ]
        .iter()
        .any(|word| text.contains(word))
    };
    let rewrites_description = modifications
        .iter()
        .any(|modification| matches!(modification, Modification::SetDescription { .. }));
    // A description change alongside other changes, under a summary that
    // claims something else, rides along unasked.
    let alongside = modifications.len() > 1;
    let claims = !summary.trim().is_empty();
    if rewrites_description && alongside && claims && !describes(summary) && !describes(request) {
        reasons.push(format!(
            "it rewrites the workflow's description, which the request does not ask for (the proposal says: \"{}\")",
            summary.trim()
        ));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

impl Proposal {
    pub fn verdict(&self) -> Verdict {
        self.evaluation
            .as_ref()
            .map_or(Verdict::Safe, |evaluation| evaluation.impact.verdict)
    }

    /// The workflow the proposal changes, if any.
    pub fn workflow(&self) -> Option<&str> {
        match &self.kind {
            ProposalKind::Modify { workflow, .. } | ProposalKind::Rollback { workflow, .. } => {
                Some(workflow)
            }
            ProposalKind::Create { workflow, .. } => Some(&workflow.name),
            ProposalKind::CreateSkill { .. } => None,
        }
    }

    /// Modifications that can be approved one by one: more than one, each
    /// naming different steps (Journey 3's "significant change").
    pub fn independent_parts(&self) -> Option<&[Modification]> {
        let ProposalKind::Modify { modifications, .. } = &self.kind else {
            return None;
        };
        if modifications.len() < 2 {
            return None;
        }
        let mut seen = std::collections::HashSet::new();
        for modification in modifications {
            for target in modification.target_steps() {
                if !seen.insert(target) {
                    return None;
                }
            }
        }
        Some(modifications)
    }
}

/// What the gate decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Approve,
    /// Not applied; the reason goes back to the model.
    Decline {
        reason: String,
    },
    /// The user edited the modifications: evaluate again and ask again.
    Revise {
        modifications: Vec<Modification>,
    },
    /// Approved, creating only these skill files: for a new workflow, the
    /// proposed skills the user accepted (possibly edited; the others were
    /// skipped and stay missing); for a new skill, the file as the user
    /// edited it. [`Decision::Approve`] creates every proposed skill as
    /// proposed.
    ApproveWith {
        skills: Vec<Skill>,
    },
}

/// Decides on proposals, and answers the model's questions.
pub trait Gate {
    fn decide(&mut self, proposal: &Proposal) -> Decision;

    /// The model asked the user something; `None` when no one can answer
    /// now (the question then ends the turn).
    fn ask(&mut self, question: &str) -> Option<String>;

    /// Called after an approved proposal reached the store.
    fn applied(&mut self, _proposal: &Proposal, _version: Option<u64>) {}

    /// Called after an approved proposal was held back to be saved with
    /// other changes (`qwf refine`).
    fn staged(&mut self, _proposal: &Proposal) {}
}

/// How a non-interactive run decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Approve proposals whose verdict is safe or needs attention.
    pub yes: bool,
    /// With `yes`, also approve breaking proposals.
    pub force: bool,
    /// Show everything, apply nothing.
    pub dry_run: bool,
}

impl Policy {
    /// The decision this policy makes, without asking anyone.
    pub fn decide(&self, proposal: &Proposal) -> Decision {
        if self.dry_run {
            return Decision::Decline {
                reason: "dry run: the proposal was shown, not applied".into(),
            };
        }
        if !self.yes {
            return Decision::Decline {
                reason: "there is no terminal to confirm on, and --yes was not given".into(),
            };
        }
        if let Some(rewrite) = &proposal.rewrite
            && !self.force
        {
            return Decision::Decline {
                reason: format!(
                    "this is a rewrite, not an edit ({rewrite}); --yes alone never applies a rewrite (--force does). Propose a smaller change that does only what the request asks"
                ),
            };
        }
        if proposal.verdict() == Verdict::Breaking && !self.force {
            return Decision::Decline {
                reason: "the change is breaking and --force was not given".into(),
            };
        }
        Decision::Approve
    }
}

/// A gate that never asks: decides by [`Policy`] and cannot answer
/// questions.
pub struct PolicyGate {
    pub policy: Policy,
}

impl Gate for PolicyGate {
    fn decide(&mut self, proposal: &Proposal) -> Decision {
        self.policy.decide(proposal)
    }

    fn ask(&mut self, _question: &str) -> Option<String> {
        None
    }
}

/// The impact in plain words, for the gate's "why": the verdict and the
/// rule that decided it, then per affected step what changes in how it runs
/// and who reads it, what will newly execute, and every new problem.
pub fn explain(proposal: &Proposal) -> Vec<String> {
    let Some(evaluation) = &proposal.evaluation else {
        let runs = match &proposal.kind {
            ProposalKind::CreateSkill { skill, .. } if !skill.command.trim().is_empty() => {
                format!(
                    " Steps that use it will run: {}",
                    skill.interface().executes.unwrap_or_default()
                )
            }
            _ => String::new(),
        };
        return vec![format!(
            "Creating a skill changes no workflow; it only adds a file to your skill registry.{runs}"
        )];
    };
    let impact = &evaluation.impact;
    let mut lines = vec![headline(impact)];
    if let Some(rewrite) = &proposal.rewrite {
        lines.push(format!(
            "This is a rewrite, not an edit: {rewrite}. --yes alone never applies it (--force does); answer n to ask for a smaller change."
        ));
    }
    for change in &impact.behaviour {
        lines.push(describe(change));
    }
    // Broken references the behaviour lines have not already told.
    for broken in &impact.broken_references {
        let told = broken.producer.as_ref().is_some_and(|producer| {
            impact.behaviour.iter().any(|change| {
                &change.step == producer
                    && change
                        .read_by
                        .iter()
                        .any(|read| read.reader == broken.consumer)
            })
        });
        if !told {
            lines.push(format!(
                "{}: the run would fail at '{}'. ({})",
                capitalise(&broken.message),
                broken.consumer,
                broken.hint
            ));
        }
    }
    for error in &impact.errors {
        lines.push(format!("{}. ({})", capitalise(&error.message), error.hint));
    }
    for execution in &impact.executes {
        let runs = match &execution.executes {
            Some(command) => format!("executes `{command}`"),
            None => format!(
                "{} '{}' is not known here, so what it executes cannot be shown",
                execution.kind, execution.name
            ),
        };
        lines.push(match &execution.replaces {
            Some(old) => format!(
                "'{}' will run {} '{}' instead of '{old}': it {runs}.",
                execution.step, execution.kind, execution.name
            ),
            None => format!(
                "'{}' runs {} '{}', which {runs}.",
                execution.step, execution.kind, execution.name
            ),
        });
    }
    for shared in &impact.shared_values {
        lines.push(format!(
            "context.{} changes from {} to {}; {} steps read it: {}.",
            shared.key,
            shared.old,
            shared.new,
            shared.readers.len(),
            quoted(&shared.readers)
        ));
    }
    let removals: Vec<String> = impact
        .behaviour
        .iter()
        .filter(|change| change.after == Runs::Absent)
        .map(|change| format!("step '{}' will be removed;", change.step))
        .collect();
    for warning in &impact.warnings {
        // Said with the removal, above.
        if removals.iter().any(|prefix| warning.starts_with(prefix)) {
            continue;
        }
        lines.push(format!("{}.", capitalise(warning)));
    }
    for skill in &impact.new_skills_needed {
        lines.push(format!(
            "Skill '{skill}' does not exist yet; it has to be created before the workflow can run."
        ));
    }
    for agent in &impact.missing_agents {
        lines.push(format!(
            "Agent '{agent}' was not found (`qwf resources` lists the agents qwf sees); the step cannot run until it exists."
        ));
    }
    lines
}

/// The verdict and the rule that decided it.
fn headline(impact: &crate::core::Impact) -> String {
    match impact.verdict {
        Verdict::Safe => {
            let changed = if impact.steps_modified.is_empty() {
                String::new()
            } else {
                format!(" (tuned: {})", quoted(&impact.steps_modified))
            };
            format!(
                "Safe: only tuning and additions. Every step still runs in its place and gets what it reads{changed}."
            )
        }
        verdict => {
            let word = capitalise(&verdict.to_string());
            if impact.reasons.is_empty() {
                format!("{word}.")
            } else {
                format!("{word}: {}.", impact.reasons.join("; "))
            }
        }
    }
}

/// One step's change in how it runs, with what that means for its readers.
fn describe(change: &BehaviourChange) -> String {
    let step = &change.step;
    let habit = |runs: &Runs| match runs {
        Runs::Always => "runs on every run".to_string(),
        other => other.to_string(),
    };
    let reads: Vec<String> = change
        .read_by
        .iter()
        .map(|read| {
            format!(
                "'{}' reads its output '{}' ({})",
                read.reader, read.output, read.place
            )
        })
        .collect();
    let readers = reads.join(" and ");
    match (&change.before, &change.after) {
        (Runs::Absent, after) => format!("'{step}' is new: it {}.", habit(after)),
        (_, Runs::Absent) if reads.is_empty() => format!(
            "'{step}' will be removed. Nothing reads its outputs, so no other step is affected, but what it does{} will no longer happen.",
            change
                .did
                .as_ref()
                .map(|did| format!(" ({did})"))
                .unwrap_or_default()
        ),
        (_, Runs::Absent) => format!(
            "'{step}' will be removed. {readers}: {} would have nothing to read, and the run would fail there.",
            if change.read_by.len() == 1 {
                "it"
            } else {
                "they"
            }
        ),
        (before, Runs::AsFallbackOf { step: primary }) => {
            let mut line = format!(
                "'{step}' {} today; after this change it runs only when '{primary}' fails, as its fallback, so in a normal run it no longer happens.",
                habit(before)
            );
            if !reads.is_empty() {
                line.push_str(&format!(
                    " {readers}, and would have nothing to read in a normal run."
                ));
            }
            line
        }
        (before, after) => {
            let mut line = format!(
                "'{step}' {} today; after this change it {}.",
                habit(before),
                habit(after)
            );
            if matches!(after, Runs::OnlyIf { .. }) {
                line.push_str(&if reads.is_empty() {
                    " Nothing reads its outputs, so no other step is affected when it is skipped."
                        .to_string()
                } else {
                    format!(" {readers}, and would have nothing to read when it is skipped.")
                });
            }
            line
        }
    }
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
