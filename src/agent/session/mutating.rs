//! The mutating tools: every proposal is evaluated in memory, shown at the
//! gate, and applied (or staged) only on approval; what the user decided
//! goes back to the model as the tool's result.

use std::collections::{BTreeSet, HashSet};

use serde_json::json;

use super::super::gate::{Decision, Gate, Proposal, ProposalKind, rewrite_reason};
use super::super::tools;
use super::{Applied, Declined, Mode, Outcome, Report, Session};
use crate::core::names::check_name;
use crate::core::skill::{Skill, check_skill, has_errors};
use crate::core::validation::Severity;
use crate::core::{IssueCode, Modification, Verdict, Workflow, evaluate, evaluate_result};
use crate::store::{Change, StoreError};

impl Session<'_> {
    /// Shows a proposal at the gate until it is approved or declined;
    /// `evaluate_revision` re-evaluates modifications the user edited.
    pub(super) fn decide(
        &self,
        gate: &mut dyn Gate,
        mut proposal: Proposal,
        evaluate_revision: &dyn Fn(&[Modification]) -> Result<Proposal, String>,
        report: &mut Report,
    ) -> (Proposal, Decision) {
        report.proposals += 1;
        loop {
            match gate.decide(&proposal) {
                Decision::Revise { modifications } => match evaluate_revision(&modifications) {
                    Ok(revised) => proposal = revised,
                    Err(message) => {
                        return (
                            proposal,
                            Decision::Decline {
                                reason: format!(
                                    "the user's edit of the proposal does not apply: {message}"
                                ),
                            },
                        );
                    }
                },
                // Only a creation has skill files to choose among.
                Decision::ApproveWith { .. }
                    if !matches!(
                        proposal.kind,
                        ProposalKind::Create { .. } | ProposalKind::CreateSkill { .. }
                    ) =>
                {
                    return (proposal, Decision::Approve);
                }
                decision => return (proposal, decision),
            }
        }
    }

    pub(super) fn note_first(report: &mut Report, valid: bool) {
        if report.first_proposal_valid.is_none() {
            report.first_proposal_valid = Some(valid);
        }
    }

    pub(super) fn declined(report: &mut Report, proposal: &Proposal, reason: String) -> Outcome {
        let modifications = match &proposal.kind {
            ProposalKind::Modify { modifications, .. } => modifications.clone(),
            _ => Vec::new(),
        };
        report.declined.push(Declined {
            summary: proposal.summary.clone(),
            verdict: proposal.verdict(),
            rewrite: proposal.rewrite.clone(),
            reason: reason.clone(),
            modifications,
        });
        Outcome::ok(json!({ "status": "declined", "reason": reason }))
    }

    pub(super) fn propose_modification(
        &mut self,
        workflow: String,
        modifications: Vec<Modification>,
        summary: String,
        request: &str,
        gate: &mut dyn Gate,
        report: &mut Report,
    ) -> Outcome {
        // The mode and scope were checked in `authorize`.
        let staged = self
            .staged
            .as_ref()
            .filter(|staged| staged.workflow == workflow);
        let (current, base_version) = match staged {
            Some(staged) => (staged.current.clone(), staged.base_version),
            None => match self.store.head(&workflow, &self.context) {
                Ok(head) => (head.workflow, head.record.version),
                Err(error) => {
                    Self::note_first(report, false);
                    return Outcome::store_error(error);
                }
            },
        };
        let known = self.known();
        let proposed = modifications.clone();
        let make = |modifications: &[Modification]| -> Result<Proposal, String> {
            let evaluation = evaluate(&current, modifications, known.as_ref())
                .map_err(|error| format!("{error} ({})", error.hint))?;
            // A change that changes nothing is not a version.
            if evaluation.result == current {
                return Err(format!(
                    "they change nothing: v{base_version} of '{workflow}' is already like that"
                ));
            }
            let rewrite = rewrite_reason(&evaluation, modifications, &summary, request);
            Ok(Proposal {
                rewrite,
                kind: ProposalKind::Modify {
                    workflow: workflow.clone(),
                    base_version,
                    modifications: modifications.to_vec(),
                },
                summary: summary.clone(),
                evaluation: Some(evaluation),
            })
        };
        let proposal = match make(&modifications) {
            Ok(proposal) => proposal,
            Err(message) => {
                Self::note_first(report, false);
                return Outcome::error(
                    format!("the modifications do not apply: {message}"),
                    "fix them and propose again; nothing was changed",
                );
            }
        };
        // Valid as made: it applied. A breaking verdict can be the right
        // proposal (the user asked for a removal); the gate decides that.
        Self::note_first(report, true);
        let (proposal, decision) = self.decide(gate, proposal, &make, report);
        let ProposalKind::Modify {
            modifications,
            base_version,
            ..
        } = &proposal.kind
        else {
            unreachable!("make() builds Modify proposals")
        };
        // What the history records is what was applied: the user may have
        // edited the proposal at the gate, or approved only some parts.
        let summary = applied_description(&summary, &proposed, modifications);
        match decision {
            Decision::Approve
                if self
                    .staged
                    .as_ref()
                    .is_some_and(|staged| staged.workflow == workflow) =>
            {
                let staged = self.staged.as_mut().expect("checked above");
                if let Some(evaluation) = &proposal.evaluation {
                    staged.current = evaluation.result.clone();
                }
                staged.modifications.extend(modifications.iter().cloned());
                staged.summaries.push(summary.clone());
                gate.applied(&proposal, None);
                Outcome::ok(
                    json!({ "status": "staged", "workflow": workflow, "note": "approved; it is saved with the other changes when the user finishes" }),
                )
            }
            Decision::Approve => {
                let provenance = self.provenance(&summary, request, report);
                let result = self.store.commit(
                    &workflow,
                    Some(*base_version),
                    Change::Modify(modifications.clone()),
                    provenance,
                    &self.context,
                );
                // Saved even when something after the commit failed.
                if let Some(version) = saved_version(&result.as_ref().map(|c| c.record.version)) {
                    gate.applied(&proposal, Some(version));
                    report.applied.push(Applied::version_of(
                        &proposal,
                        &workflow,
                        version,
                        &summary,
                        modifications.clone(),
                    ));
                }
                match result {
                    Ok(committed) => Outcome::ok(
                        json!({ "status": "applied", "workflow": workflow, "version": committed.record.version }),
                    ),
                    Err(error) => Outcome::store_error(error),
                }
            }
            Decision::Decline { reason } => Self::declined(report, &proposal, reason),
            Decision::Revise { .. } => unreachable!("decide() resolves revisions"),
            Decision::ApproveWith { .. } => unreachable!("decide() turns it into Approve"),
        }
    }

    pub(super) fn create_workflow(
        &mut self,
        args: tools::CreateWorkflowArgs,
        request: &str,
        gate: &mut dyn Gate,
        report: &mut Report,
    ) -> Outcome {
        let tools::CreateWorkflowArgs {
            workflow,
            new_skills,
            reasoning,
        } = args;
        let name = match &self.options.mode {
            Mode::Create { name: Some(name) } => name.clone(),
            _ => workflow.name.clone(),
        };
        if let Err(error) = check_name(&name, "workflow") {
            Self::note_first(report, false);
            return Outcome::error(error.to_string(), error.hint);
        }
        // A deleted workflow's name is free: the new one continues its
        // history.
        if self.store.is_live(&name) {
            Self::note_first(report, false);
            return Outcome::error(
                format!("a workflow named '{name}' already exists"),
                "choose another name, or change the existing one with propose_modification",
            );
        }
        let existing: BTreeSet<String> = match self.store.skills() {
            Ok((skills, _)) => skills.into_iter().map(|skill| skill.name).collect(),
            Err(error) => return Outcome::store_error(error),
        };
        let problems = new_skill_problems(&new_skills, &existing);
        if !problems.is_empty() {
            Self::note_first(report, false);
            return Outcome::error(
                format!("the new skills are not valid: {}", problems.join("; ")),
                "fix them and call create_workflow again; nothing was changed",
            );
        }
        let mut workflow = workflow;
        workflow.name = name.clone();
        let mut known = self.known().unwrap_or_default();
        for skill in &new_skills {
            known.add_skill(skill);
        }
        let empty = Workflow {
            name: name.clone(),
            ..Workflow::default()
        };
        let evaluation = evaluate_result(&empty, workflow.clone(), Some(&known));
        let valid = evaluation.validation.is_valid();
        Self::note_first(report, valid);
        if !valid {
            let problems: Vec<String> = evaluation
                .validation
                .errors()
                .map(|issue| match issue.code {
                    IssueCode::UnknownSkill => format!(
                        "{} (reuse an existing skill from list_skills, or add it to new_skills)",
                        issue.message
                    ),
                    _ => format!("{} ({})", issue.message, issue.hint),
                })
                .collect();
            return Outcome::error(
                format!("the workflow is not valid: {}", problems.join("; ")),
                "fix these problems and call create_workflow again",
            );
        }
        let summary = if reasoning.is_empty() {
            format!("Create workflow '{name}'")
        } else {
            reasoning
        };
        let scripts = new_skills
            .iter()
            .filter_map(|skill| self.store.missing_script(skill))
            .collect();
        let proposal = Proposal {
            kind: ProposalKind::Create {
                workflow: Box::new(workflow.clone()),
                new_skills: new_skills.clone(),
                scripts,
            },
            summary,
            evaluation: Some(evaluation),
            rewrite: None,
        };
        let no_revision = |_: &[Modification]| -> Result<Proposal, String> {
            Err("a new workflow is edited with `edit` after it is saved".into())
        };
        let (proposal, decision) = self.decide(gate, proposal, &no_revision, report);
        let accepted: Vec<Skill> = match decision {
            Decision::Approve => new_skills.clone(),
            Decision::ApproveWith { skills } => skills
                .into_iter()
                .filter(|skill| {
                    // Only the proposed skills, and only valid ones: the
                    // workflow's steps name them.
                    new_skills.iter().any(|new| new.name == skill.name)
                        && !has_errors(&check_skill(skill))
                })
                .collect(),
            Decision::Decline { reason } => return Self::declined(report, &proposal, reason),
            Decision::Revise { .. } => unreachable!("decide() resolves revisions"),
        };
        let skipped: Vec<String> = new_skills
            .iter()
            .filter(|new| !accepted.iter().any(|skill| skill.name == new.name))
            .map(|new| new.name.clone())
            .collect();
        let mut created_skills = Vec::new();
        let mut stubs = Vec::new();
        for skill in &accepted {
            match self.store.create_skill(skill) {
                Ok(_) => created_skills.push(skill.name.clone()),
                // Created by someone else since the proposal: reuse it.
                Err(StoreError::Invalid { .. }) if self.store.skill_path(&skill.name).exists() => {
                    continue;
                }
                Err(error) => return Outcome::store_error(error),
            }
            match self.store.write_script_stub(skill) {
                Ok(Some(path)) => stubs.push(path),
                Ok(None) => {}
                Err(error) => return Outcome::store_error(error),
            }
        }
        let provenance = self.provenance("Initial creation", request, report);
        match self
            .store
            .create(&name, &workflow, provenance, &self.context)
        {
            Ok(record) => {
                self.created.push(name.clone());
                gate.applied(&proposal, Some(record.version));
                report.applied.push(Applied {
                    workflow: Some(name.clone()),
                    version: Some(record.version),
                    skill: None,
                    skills_created: created_skills.clone(),
                    skills_skipped: skipped.clone(),
                    stub_scripts: stubs.clone(),
                    verdict: proposal.verdict(),
                    rewrite: proposal.rewrite.clone(),
                    summary: proposal.summary.clone(),
                    modifications: Vec::new(),
                });
                let mut content = json!({ "status": "applied", "workflow": name, "version": record.version, "skills_created": created_skills });
                if !stubs.is_empty() {
                    content["stub_scripts"] = json!(self.in_skills(&stubs));
                }
                if !skipped.is_empty() {
                    content["skills_skipped"] = json!(skipped);
                    content["note"] = json!(
                        "the user skipped these skills: the workflow is saved, but the steps that use them cannot run until the skills exist"
                    );
                }
                Outcome::ok(content)
            }
            // Saved, then something after the commit failed: it exists.
            Err(error @ StoreError::AfterCommit { version, .. }) => {
                self.created.push(name.clone());
                gate.applied(&proposal, Some(version));
                report.applied.push(Applied {
                    workflow: Some(name.clone()),
                    version: Some(version),
                    skill: None,
                    skills_created: created_skills,
                    skills_skipped: skipped,
                    stub_scripts: stubs,
                    verdict: proposal.verdict(),
                    rewrite: proposal.rewrite.clone(),
                    summary: proposal.summary.clone(),
                    modifications: Vec::new(),
                });
                Outcome::store_error(error)
            }
            Err(error) => Outcome::store_error(error),
        }
    }

    /// Paths as the model reads them: relative to the home (`skills/x.py`),
    /// the same on every machine.
    fn in_skills(&self, paths: &[std::path::PathBuf]) -> Vec<String> {
        let directory = self.store.skills_dir();
        paths
            .iter()
            .map(|path| match path.strip_prefix(&directory) {
                Ok(relative) => format!("skills/{}", relative.display()),
                Err(_) => path.display().to_string(),
            })
            .collect()
    }

    pub(super) fn create_skill(
        &mut self,
        skill: Skill,
        _request: &str,
        gate: &mut dyn Gate,
        report: &mut Report,
    ) -> Outcome {
        let errors: Vec<String> = check_skill(&skill)
            .iter()
            .filter(|problem| problem.severity == Severity::Error)
            .map(ToString::to_string)
            .collect();
        if !errors.is_empty() {
            Self::note_first(report, false);
            return Outcome::error(
                format!("the skill is not valid: {}", errors.join("; ")),
                "fix it and call create_skill again; nothing was saved",
            );
        }
        if self.store.skill_path(&skill.name).exists() {
            Self::note_first(report, false);
            return Outcome::error(
                format!("skill '{}' already exists", skill.name),
                "reuse it in the workflow instead",
            );
        }
        if self
            .staged
            .as_ref()
            .is_some_and(|staged| staged.skills.iter().any(|held| held.name == skill.name))
        {
            Self::note_first(report, false);
            return Outcome::error(
                format!(
                    "skill '{}' already exists (accepted earlier; it is saved with the other changes)",
                    skill.name
                ),
                "reuse it in the workflow instead",
            );
        }
        Self::note_first(report, true);
        let proposal = Proposal {
            kind: ProposalKind::CreateSkill {
                skill: skill.clone(),
                scripts: self.store.missing_script(&skill).into_iter().collect(),
            },
            summary: format!("Create skill '{}'", skill.name),
            evaluation: None,
            rewrite: None,
        };
        let no_revision = |_: &[Modification]| -> Result<Proposal, String> {
            Err("a skill is not edited as modifications".into())
        };
        let (proposal, decision) = self.decide(gate, proposal, &no_revision, report);
        let skill = match decision {
            Decision::Approve => skill,
            // The user edited the file at the gate; the store checks it
            // again before writing.
            Decision::ApproveWith { skills } => match skills.into_iter().next() {
                Some(edited) => edited,
                None => {
                    return Self::declined(report, &proposal, "the user skipped the skill".into());
                }
            },
            Decision::Decline { reason } => return Self::declined(report, &proposal, reason),
            Decision::Revise { .. } => unreachable!("decide() resolves revisions"),
        };
        // While changes are staged (`qwf refine`), the skill is held with
        // them: nothing is written until the user saves.
        if let Some(staged) = self.staged.as_mut() {
            staged.skills.push(skill.clone());
            let proposal = Proposal {
                kind: ProposalKind::CreateSkill {
                    skill: skill.clone(),
                    scripts: self.store.missing_script(&skill).into_iter().collect(),
                },
                ..proposal
            };
            gate.staged(&proposal);
            return Outcome::ok(
                json!({ "status": "staged", "skill": skill.name, "note": "approved; it is saved with the other changes when the user finishes" }),
            );
        }
        let scripts = self.store.missing_script(&skill).into_iter().collect();
        match self.store.create_skill(&skill) {
            Ok(path) => {
                let stubs: Vec<std::path::PathBuf> = match self.store.write_script_stub(&skill) {
                    Ok(written) => written.into_iter().collect(),
                    Err(error) => return Outcome::store_error(error),
                };
                let proposal = Proposal {
                    kind: ProposalKind::CreateSkill {
                        skill: skill.clone(),
                        scripts,
                    },
                    ..proposal
                };
                gate.applied(&proposal, None);
                report.applied.push(Applied {
                    workflow: None,
                    version: None,
                    skill: Some(skill.name.clone()),
                    skills_created: Vec::new(),
                    skills_skipped: Vec::new(),
                    stub_scripts: stubs.clone(),
                    verdict: Verdict::Safe,
                    rewrite: None,
                    summary: proposal.summary.clone(),
                    modifications: Vec::new(),
                });
                let mut content = json!({ "status": "applied", "skill": skill.name, "path": path });
                if !stubs.is_empty() {
                    content["stub_scripts"] = json!(self.in_skills(&stubs));
                }
                Outcome::ok(content)
            }
            Err(error) => Outcome::store_error(error),
        }
    }

    pub(super) fn rollback(
        &mut self,
        workflow: &str,
        to: u64,
        request: &str,
        gate: &mut dyn Gate,
        report: &mut Report,
    ) -> Outcome {
        let head = match self.store.head(workflow, &self.context) {
            Ok(head) => head,
            Err(error) => return Outcome::store_error(error),
        };
        let target = match self.store.version(workflow, to) {
            Ok(target) => target,
            Err(error) => return Outcome::store_error(error),
        };
        if target == head.workflow {
            return Outcome::ok(
                json!({ "status": "nothing to do", "reason": format!("v{} already equals v{to}", head.record.version) }),
            );
        }
        let evaluation = evaluate_result(&head.workflow, target.clone(), self.known().as_ref());
        let proposal = Proposal {
            kind: ProposalKind::Rollback {
                workflow: workflow.to_string(),
                base_version: head.record.version,
                to,
            },
            summary: format!("Roll back '{workflow}' to v{to}"),
            evaluation: Some(evaluation),
            rewrite: None,
        };
        let no_revision = |_: &[Modification]| -> Result<Proposal, String> {
            Err("a rollback is not edited as modifications".into())
        };
        let (proposal, decision) = self.decide(gate, proposal, &no_revision, report);
        match decision {
            Decision::Approve => {
                let provenance = self.provenance(&format!("Rolled back to v{to}"), request, report);
                let result = self.store.commit(
                    workflow,
                    Some(head.record.version),
                    Change::Replace(Box::new(target)),
                    provenance,
                    &self.context,
                );
                // Saved even when something after the commit failed.
                if let Some(version) = saved_version(&result.as_ref().map(|c| c.record.version)) {
                    gate.applied(&proposal, Some(version));
                    report.applied.push(Applied::version_of(
                        &proposal,
                        workflow,
                        version,
                        &proposal.summary,
                        Vec::new(),
                    ));
                }
                match result {
                    Ok(committed) => Outcome::ok(
                        json!({ "status": "applied", "workflow": workflow, "version": committed.record.version }),
                    ),
                    Err(error) => Outcome::store_error(error),
                }
            }
            Decision::Decline { reason } => Self::declined(report, &proposal, reason),
            Decision::Revise { .. } => unreachable!("decide() resolves revisions"),
            Decision::ApproveWith { .. } => unreachable!("decide() turns it into Approve"),
        }
    }
}

/// The version a commit saved: on success, and also when something after
/// the commit point failed (the version exists; it must not be reported as
/// nothing changed).
fn saved_version(result: &Result<u64, &StoreError>) -> Option<u64> {
    match result {
        Ok(version) => Some(*version),
        Err(StoreError::AfterCommit { version, .. }) => Some(*version),
        Err(_) => None,
    }
}

/// The description of a version: the proposal's summary when it was
/// applied as proposed; otherwise what was applied, and how it came about.
fn applied_description(
    summary: &str,
    proposed: &[Modification],
    applied: &[Modification],
) -> String {
    if applied == proposed {
        return summary.to_string();
    }
    let listed: Vec<String> = applied.iter().map(ToString::to_string).collect();
    let listed = listed.join("; ");
    if applied
        .iter()
        .all(|modification| proposed.contains(modification))
    {
        format!(
            "{summary} (approved {} of {} parts: {listed})",
            applied.len(),
            proposed.len()
        )
    } else {
        let mut chars = listed.chars();
        let listed = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => listed,
        };
        format!("{listed} (edited at the gate; proposed: {summary})")
    }
}

/// What is wrong with the skills a new workflow proposes: invalid files,
/// a name listed twice, a name that exists already.
fn new_skill_problems(new_skills: &[Skill], existing: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for skill in new_skills {
        if !seen.insert(skill.name.as_str()) {
            problems.push(format!(
                "skill '{}' is listed twice in new_skills (list each once)",
                skill.name
            ));
            continue;
        }
        if existing.contains(&skill.name) {
            problems.push(format!(
                "skill '{}' already exists (use it, and drop it from new_skills)",
                skill.name
            ));
            continue;
        }
        for problem in check_skill(skill) {
            if problem.severity == Severity::Error {
                problems.push(format!("new skill '{}': {problem}", skill.name));
            }
        }
    }
    problems
}

impl Applied {
    /// A version of an existing workflow written for an approved proposal
    /// (a modification or a rollback): no skills come with it.
    fn version_of(
        proposal: &Proposal,
        workflow: &str,
        version: u64,
        summary: &str,
        modifications: Vec<Modification>,
    ) -> Applied {
        Applied {
            workflow: Some(workflow.to_string()),
            version: Some(version),
            skill: None,
            skills_created: Vec::new(),
            skills_skipped: Vec::new(),
            stub_scripts: Vec::new(),
            verdict: proposal.verdict(),
            rewrite: proposal.rewrite.clone(),
            summary: summary.to_string(),
            modifications,
        }
    }
}
