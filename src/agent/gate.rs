//! The confirmation gate, as data. A mutating tool call becomes a
//! [`Proposal`] (evaluated in memory: result, validation, impact, diff); a
//! [`Gate`] decides; only an approval reaches the store. The terminal gate
//! lives in the CLI; [`PolicyGate`] decides without asking, for `--yes`,
//! `--dry-run` and non-interactive runs.

use serde::Serialize;

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

/// The impact in plain words, for the gate's "why".
pub fn explain(proposal: &Proposal) -> Vec<String> {
    let Some(evaluation) = &proposal.evaluation else {
        return vec![
            "Creating a skill changes no workflow; it only adds a file to your skill registry."
                .into(),
        ];
    };
    let impact = &evaluation.impact;
    let mut lines = Vec::new();
    for broken in &impact.broken_references {
        match &broken.producer {
            Some(producer) if impact.steps_removed.contains(producer) => lines.push(format!(
                "'{}' uses output from '{producer}'. Removing '{producer}' means '{}' will have no input there, the data flow breaks, and the workflow will fail at runtime.",
                broken.consumer, broken.consumer
            )),
            _ => lines.push(format!("{}. The workflow would fail at runtime.", capitalise(&broken.message))),
        }
    }
    for error in &impact.errors {
        lines.push(format!("{}. ({})", capitalise(&error.message), error.hint));
    }
    for warning in &impact.warnings {
        lines.push(format!("{}.", capitalise(warning)));
    }
    for skill in &impact.new_skills_needed {
        lines.push(format!(
            "Skill '{skill}' does not exist yet; it has to be created before the workflow can run."
        ));
    }
    if lines.is_empty() {
        lines.push(match impact.verdict {
            Verdict::Safe => "Nothing breaks: every step still gets the inputs it reads.".into(),
            _ => format!("The verdict is {}.", impact.verdict),
        });
    }
    lines
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
