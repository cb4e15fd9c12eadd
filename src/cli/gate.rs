//! The confirmation gate on the terminal: shows each proposal (diff and
//! impact) and asks yes / no / why / edit / details, or decides by policy
//! when no one can be asked.

use std::path::{Path, PathBuf};

use super::output::{BOLD, DIM, ERROR, GOOD, Printer, WARNING, paint};
use super::prompt;
use super::render::evaluation_lines;
use crate::agent::gate::{Decision, Gate, Policy, Proposal, ProposalKind, explain};
use crate::core::{Modification, Verdict};
use crate::store::plan::Plan;
use crate::store::write_atomic;

pub struct TerminalGate {
    printer: Printer,
    pub policy: Policy,
    interactive: bool,
    /// Save modification proposals here instead of applying them.
    plan_out: Option<PathBuf>,
    /// The request, recorded in saved plans.
    request: String,
    /// A subset approved step by step, applied without asking again.
    approved_subset: Option<Vec<Modification>>,
    /// Plans written, for the final report.
    pub plans_written: Vec<PathBuf>,
}

impl TerminalGate {
    pub fn new(
        json: bool,
        policy: Policy,
        interactive: bool,
        plan_out: Option<PathBuf>,
        request: &str,
    ) -> Self {
        TerminalGate {
            printer: Printer::new(json),
            policy,
            interactive,
            plan_out,
            request: request.to_string(),
            approved_subset: None,
            plans_written: Vec::new(),
        }
    }

    fn show(&mut self, proposal: &Proposal) {
        if self.printer.json {
            return;
        }
        let printer = &mut self.printer;
        printer.line("");
        match &proposal.kind {
            ProposalKind::Modify {
                workflow,
                base_version,
                ..
            } => {
                printer.line(format!(
                    "{} {} (v{base_version})",
                    paint(BOLD, "Proposed change to"),
                    workflow
                ));
                printer.line(format!("  {}", proposal.summary));
            }
            ProposalKind::Rollback {
                workflow,
                base_version,
                to,
            } => {
                printer.line(format!(
                    "{} Rolling back '{workflow}' from v{base_version} to v{to}",
                    paint(WARNING, "⚠")
                ));
            }
            ProposalKind::Create {
                workflow,
                new_skills,
            } => {
                printer.line(format!(
                    "{} {}",
                    paint(BOLD, "Proposed workflow:"),
                    workflow.name
                ));
                if let Some(description) = &workflow.description {
                    printer.line(format!("  {description}"));
                }
                for line in proposal.summary.lines() {
                    printer.line(paint(DIM, format!("  {line}")));
                }
                printer.line("");
                for (index, step) in workflow.steps.iter().enumerate() {
                    let what = match step.skill_name() {
                        Some(skill) => {
                            let missing = new_skills.iter().any(|new| new.name == skill);
                            let mark = if missing {
                                paint(ERROR, "✗")
                            } else {
                                paint(GOOD, "✓")
                            };
                            format!(
                                "{mark} {skill}{}",
                                if missing {
                                    " (missing: will be created)"
                                } else {
                                    ""
                                }
                            )
                        }
                        None => step.kind.type_name().to_string(),
                    };
                    printer.line(format!("  {}. {} — {what}", index + 1, step.id));
                }
                for skill in new_skills {
                    printer.line(format!(
                        "  {} skill {}: {} {}",
                        paint(GOOD, "+"),
                        skill.name,
                        skill.skill_type,
                        paint(DIM, &skill.command)
                    ));
                }
            }
            ProposalKind::CreateSkill { skill } => {
                printer.line(format!("{} {}", paint(BOLD, "Proposed skill:"), skill.name));
                printer.line(format!("  Type: {}", skill.skill_type));
                printer.line(format!("  Command: {}", skill.command));
                if !skill.description.is_empty() {
                    printer.line(format!("  Description: {}", skill.description));
                }
            }
        }
        if let Some(evaluation) = &proposal.evaluation {
            printer.line("");
            for line in evaluation_lines(
                evaluation,
                !matches!(proposal.kind, ProposalKind::Create { .. }),
            ) {
                printer.line(line);
            }
        }
        printer.line("");
    }

    fn save_plan(&mut self, proposal: &Proposal, path: &Path) -> Decision {
        let ProposalKind::Modify {
            workflow,
            base_version,
            modifications,
        } = &proposal.kind
        else {
            return Decision::Decline {
                reason:
                    "not applied: only modifications to an existing workflow can be saved as a plan"
                        .into(),
            };
        };
        let mut plan = Plan::new(
            workflow,
            *base_version,
            &proposal.summary,
            modifications.clone(),
        );
        plan.request = Some(self.request.clone());
        match write_atomic(path, plan.to_pretty_json().as_bytes()) {
            Ok(()) => {
                self.plans_written.push(path.to_path_buf());
                if !self.printer.json {
                    self.printer.line(format!(
                        "{} Saved the proposal as {}; apply it with `qwf apply {}`",
                        paint(GOOD, "✓"),
                        path.display(),
                        path.display()
                    ));
                }
                Decision::Decline {
                    reason: format!(
                        "saved as a plan file for later ({}); not applied now",
                        path.display()
                    ),
                }
            }
            Err(error) => Decision::Decline {
                reason: format!("could not save the plan: {error}"),
            },
        }
    }

    /// Opens the modifications in `$EDITOR` and reads them back.
    fn edit(&mut self, modifications: &[Modification]) -> Option<Vec<Modification>> {
        let editor = std::env::var("VISUAL")
            .or_else(|_| std::env::var("EDITOR"))
            .unwrap_or_else(|_| "vi".to_string());
        let file = match tempfile::Builder::new()
            .prefix("qwf-proposal-")
            .suffix(".json")
            .tempfile()
        {
            Ok(file) => file,
            Err(error) => {
                self.printer.line(format!(
                    "{} cannot create a file to edit: {error}",
                    paint(ERROR, "✗")
                ));
                return None;
            }
        };
        let text = serde_json::to_string_pretty(modifications)
            .expect("modifications are always representable as JSON");
        if let Err(error) = std::fs::write(file.path(), format!("{text}\n")) {
            self.printer.line(format!(
                "{} cannot write {}: {error}",
                paint(ERROR, "✗"),
                file.path().display()
            ));
            return None;
        }
        loop {
            let mut words = editor.split_whitespace();
            let program = words.next().unwrap_or("vi");
            let status = std::process::Command::new(program)
                .args(words)
                .arg(file.path())
                .status();
            if let Err(error) = status {
                self.printer.line(format!(
                    "{} cannot run the editor '{editor}': {error}",
                    paint(ERROR, "✗")
                ));
                self.printer
                    .line("  set $EDITOR to your editor (for example `export EDITOR=nano`)");
                return None;
            }
            let edited = std::fs::read_to_string(file.path()).unwrap_or_default();
            match serde_json::from_str::<Vec<Modification>>(&edited) {
                Ok(modifications) => return Some(modifications),
                Err(error) => {
                    self.printer.line(format!(
                        "{} the edited proposal is not a valid list of modifications: {error}",
                        paint(ERROR, "✗")
                    ));
                    if !prompt::confirm("Edit again?") {
                        return None;
                    }
                }
            }
        }
    }

    /// The seed's creation flow: show the workflow, look at the missing
    /// skills, save everything, or cancel.
    fn creation_menu(
        &mut self,
        proposal: &Proposal,
        workflow: &crate::core::Workflow,
        new_skills: &[crate::core::skill::Skill],
    ) -> Decision {
        self.printer.line("Would you like me to:");
        self.printer.line("1. Show the proposed workflow");
        self.printer.line(if new_skills.is_empty() {
            "2. Show the skills it uses (all exist)"
        } else {
            "2. Show the missing skills to create"
        });
        self.printer.line("3. Save everything");
        loop {
            match prompt::choose("", &["1", "2", "3", "all", "cancel", "why"]).as_deref() {
                Some("1") => {
                    self.printer
                        .line(format!("Proposed Workflow: {}.json", workflow.name));
                    self.printer.line(workflow.to_pretty_json().trim_end());
                }
                Some("2") => {
                    for skill in new_skills {
                        self.printer.line(format!("Skill: {}", skill.name));
                        self.printer.line(format!("Type: {}", skill.skill_type));
                        self.printer.line(format!("Command: {}", skill.command));
                        if !skill.description.is_empty() {
                            self.printer
                                .line(format!("Description: {}", skill.description));
                        }
                        self.printer.line("");
                    }
                }
                Some("why") => {
                    for line in explain(proposal) {
                        self.printer.line(format!("  • {line}"));
                    }
                }
                Some("3" | "all") => return Decision::Approve,
                _ => {
                    self.printer.line("Cancelled. Nothing was created.");
                    return Decision::Decline {
                        reason: "the user cancelled the creation".into(),
                    };
                }
            }
        }
    }

    /// Journey 3: approve each independent modification in turn.
    fn iterate(&mut self, parts: &[Modification]) -> Decision {
        let mut approved = Vec::new();
        let total = parts.len();
        for (index, modification) in parts.iter().enumerate() {
            self.printer
                .line(format!("Step {}/{total}: {modification}", index + 1));
            if prompt::confirm("Apply?") {
                approved.push(modification.clone());
            }
        }
        if approved.is_empty() {
            return Decision::Decline {
                reason: "the user declined every part of the change".into(),
            };
        }
        self.approved_subset = Some(approved.clone());
        Decision::Revise {
            modifications: approved,
        }
    }
}

impl Gate for TerminalGate {
    fn decide(&mut self, proposal: &Proposal) -> Decision {
        if let (Some(subset), ProposalKind::Modify { modifications, .. }) =
            (&self.approved_subset, &proposal.kind)
            && subset == modifications
        {
            self.approved_subset = None;
            return Decision::Approve;
        }
        self.show(proposal);
        if let Some(path) = self.plan_out.clone() {
            return self.save_plan(proposal, &path);
        }
        if self.policy.dry_run || !self.interactive || self.policy.yes {
            return self.policy.decide(proposal);
        }
        if let ProposalKind::Create {
            workflow,
            new_skills,
        } = &proposal.kind
        {
            return self.creation_menu(proposal, workflow, new_skills);
        }
        let breaking = proposal.verdict() == Verdict::Breaking;
        let modifications = match &proposal.kind {
            ProposalKind::Modify { modifications, .. } => Some(modifications.clone()),
            _ => None,
        };
        let mut answers = vec!["y", "n", "why", "edit", "details"];
        if modifications.is_none() {
            answers.retain(|answer| *answer != "edit");
        }
        if proposal.independent_parts().is_some() {
            answers.push("iterative");
        }
        let mut question = if breaking {
            "This seems problematic. Are you sure?"
        } else {
            "Apply?"
        };
        loop {
            match prompt::choose(question, &answers).as_deref() {
                Some("y") => return Decision::Approve,
                Some("why") => {
                    for line in explain(proposal) {
                        self.printer.line(format!("  • {line}"));
                    }
                    question = if breaking { "Still apply?" } else { "Apply?" };
                }
                Some("details") => {
                    let details = serde_json::to_string_pretty(proposal).unwrap_or_default();
                    self.printer.line(details);
                }
                Some("edit") => {
                    if let Some(modifications) = &modifications
                        && let Some(edited) = self.edit(modifications)
                    {
                        return Decision::Revise {
                            modifications: edited,
                        };
                    }
                }
                Some("iterative") => {
                    let parts = proposal
                        .independent_parts()
                        .map(<[Modification]>::to_vec)
                        .unwrap_or_default();
                    return self.iterate(&parts);
                }
                _ => {
                    self.printer.line("Cancelled. Workflow unchanged.");
                    return Decision::Decline {
                        reason: "the user declined this change".into(),
                    };
                }
            }
        }
    }

    fn ask(&mut self, question: &str) -> Option<String> {
        if !self.interactive {
            return None;
        }
        self.printer
            .line(format!("{} {question}", paint(BOLD, "?")));
        let answer = prompt::line("> ")?;
        (!answer.trim().is_empty()).then_some(answer)
    }

    fn applied(&mut self, proposal: &Proposal, version: Option<u64>) {
        if self.printer.json {
            return;
        }
        let line = match (&proposal.kind, version) {
            (
                ProposalKind::Modify {
                    workflow,
                    base_version,
                    ..
                },
                Some(version),
            ) => {
                format!("Updated '{workflow}' (v{base_version} → v{version})")
            }
            (ProposalKind::Rollback { workflow, to, .. }, Some(version)) => {
                format!("Rolled back '{workflow}' to v{to} (now v{version})")
            }
            (ProposalKind::Create { workflow, .. }, _) => {
                format!("Saved workflow '{}'", workflow.name)
            }
            (ProposalKind::CreateSkill { skill }, _) => format!("Created skill '{}'", skill.name),
            (_, None) => "Applied".to_string(),
        };
        self.printer.line(format!("{} {line}", paint(GOOD, "✓")));
    }
}
