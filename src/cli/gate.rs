//! The confirmation gate on the terminal: shows each proposal (diff and
//! impact) and asks yes / no / why / edit / details, or decides by policy
//! when no one can be asked.

use std::path::{Path, PathBuf};

use super::output::{BOLD, DIM, ERROR, GOOD, Printer, WARNING, paint};
use super::prompt;
use super::render::{
    evaluation_lines, modification_lines, proposal_summary_lines, skill_file_lines,
    skill_problem_lines,
};
use crate::agent::gate::{Decision, Gate, Policy, Proposal, ProposalKind, explain};
use crate::core::skill::{Skill, check_skill, has_errors};
use crate::core::{Modification, Verdict};
use crate::store::plan::Plan;
use crate::store::write_atomic;
use serde::Serialize;
use serde::de::DeserializeOwned;

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
    /// Runs a `/command` typed at a question (`qwf chat`).
    slash: Option<SlashHandler>,
    /// `/exit` was typed at a question.
    pub exit_requested: bool,
}

/// Runs a slash command (without its `/`) while a question waits.
pub type SlashHandler = Box<dyn FnMut(&str, &mut Printer) -> SlashFlow>;

/// What a slash command at a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlashFlow {
    /// It ran; ask the question again.
    Ran,
    /// Leave: the question stays unanswered.
    Exit,
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
            slash: None,
            exit_requested: false,
        }
    }

    /// A `/command` typed at a question the model asks runs through
    /// `handler`, then the question is asked again.
    pub fn with_slash(mut self, handler: SlashHandler) -> Self {
        self.slash = Some(handler);
        self
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
                scripts,
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
                    if let Some(line) = stub_line(skill, scripts) {
                        printer.line(format!("    {line}"));
                    }
                }
            }
            ProposalKind::CreateSkill { skill, scripts } => {
                printer.line(format!(
                    "{} skills/{}.json",
                    paint(BOLD, "Proposed skill:"),
                    skill.name
                ));
                for line in skill_file_lines(skill) {
                    printer.line(line);
                }
                if let Some(line) = stub_line(skill, scripts) {
                    printer.line(format!("  {line}"));
                }
                for line in skill_problem_lines(&check_skill(skill)) {
                    printer.line(line);
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
            // The rewrite the gate acts on (see Policy).
            if let Some(rewrite) = &proposal.rewrite {
                printer.line(format!(
                    "  {} a rewrite, not an edit: {rewrite}",
                    paint(ERROR, "!")
                ));
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

    /// Opens `value` as JSON in `$EDITOR` and reads it back; `what` names
    /// the expected shape in the message when the edit does not parse.
    fn edit_json<T: Serialize + DeserializeOwned>(&mut self, value: &T, what: &str) -> Option<T> {
        super::editor::edit_json(&mut self.printer, value, what)
    }

    /// Offers one proposed skill: its file and problems, then accept, skip
    /// (`n`) or edit in `$EDITOR`. `Some(Some(skill))` is accepted (as
    /// edited), `Some(None)` skipped, `None` the input ended. With
    /// `keep_name` (a workflow's steps use it) an edit may not rename it.
    fn offer_skill(
        &mut self,
        skill: &Skill,
        heading: Option<String>,
        keep_name: bool,
    ) -> Option<Option<Skill>> {
        let mut current = skill.clone();
        let mut show = heading.is_some();
        loop {
            if show {
                if let Some(heading) = &heading {
                    self.printer.line(heading);
                }
                for line in skill_file_lines(&current) {
                    self.printer.line(line);
                }
                for line in skill_problem_lines(&check_skill(&current)) {
                    self.printer.line(line);
                }
            }
            show = true;
            match prompt::choose("Accept this skill? (n skips it)", &["y", "n", "edit"]).as_deref()
            {
                Some("y") if has_errors(&check_skill(&current)) => {
                    self.printer.line(format!(
                        "{} '{}' has errors: fix them with edit, or skip it with n",
                        paint(ERROR, "✗"),
                        current.name
                    ));
                    show = false;
                }
                Some("y") => return Some(Some(current)),
                Some("n") => {
                    self.printer
                        .line(format!("Skipped skill '{}'", current.name));
                    return Some(None);
                }
                Some("edit") => {
                    if let Some(edited) = self.edit_json(&current, "skill file") {
                        if keep_name && edited.name != current.name {
                            self.printer.line(format!(
                                "{} the skill must stay named '{}': the workflow's steps use that name",
                                paint(ERROR, "✗"),
                                current.name
                            ));
                            show = false;
                        } else {
                            current = edited;
                        }
                    } else {
                        show = false;
                    }
                }
                _ => return None,
            }
        }
    }

    /// The seed's creation flow: show the workflow, go through the missing
    /// skills one by one (accept / skip / edit), save, or cancel. Nothing
    /// is written here: the decision says which skills to create.
    fn creation_menu(
        &mut self,
        proposal: &Proposal,
        workflow: &crate::core::Workflow,
        new_skills: &[Skill],
    ) -> Decision {
        let cancelled = |printer: &mut Printer| {
            printer.line("Cancelled. Nothing was created.");
            Decision::Decline {
                reason: "the user cancelled the creation".into(),
            }
        };
        self.printer.line("Would you like me to:");
        self.printer.line("1. Show the proposed workflow");
        self.printer.line(if new_skills.is_empty() {
            "2. Show the skills it uses (all exist)"
        } else {
            "2. Create the missing skills (accept, skip or edit each)"
        });
        self.printer.line("3. Save everything");
        // Per proposed skill: not decided yet, skipped, or accepted as shown.
        let mut decided: Vec<Option<Option<Skill>>> = vec![None; new_skills.len()];
        loop {
            let choice = prompt::choose("", &["1", "2", "3", "all", "cancel", "why"]);
            match choice.as_deref() {
                Some("1") => self.show_workflow(workflow),
                Some("2") if new_skills.is_empty() => {
                    let mut used: Vec<&str> = workflow
                        .steps
                        .iter()
                        .filter_map(|step| step.skill_name())
                        .collect();
                    used.sort_unstable();
                    used.dedup();
                    self.printer
                        .line(format!("Every skill it uses exists: {}", used.join(", ")));
                }
                Some("2") => {
                    for (index, skill) in new_skills.iter().enumerate() {
                        match self.offer(index, new_skills.len(), skill) {
                            Some(decision) => decided[index] = Some(decision),
                            None => return cancelled(&mut self.printer),
                        }
                    }
                    self.printer
                        .line("Choose 3 to save the workflow with the skills you accepted.");
                }
                Some("why") => {
                    for line in explain(proposal) {
                        self.printer.line(format!("  • {line}"));
                    }
                }
                Some(choice @ ("3" | "all")) => {
                    if choice == "all" {
                        self.show_workflow(workflow);
                    }
                    for (index, skill) in new_skills.iter().enumerate() {
                        if decided[index].is_some() {
                            continue;
                        }
                        match self.offer(index, new_skills.len(), skill) {
                            Some(decision) => decided[index] = Some(decision),
                            None => return cancelled(&mut self.printer),
                        }
                    }
                    let accepted: Vec<Skill> = decided.into_iter().flatten().flatten().collect();
                    return Decision::ApproveWith { skills: accepted };
                }
                _ => return cancelled(&mut self.printer),
            }
        }
    }

    /// One missing skill of a new workflow, offered in turn.
    fn offer(&mut self, index: usize, total: usize, skill: &Skill) -> Option<Option<Skill>> {
        self.printer.line("");
        let heading = format!(
            "{} {}/{total}: skills/{}.json",
            paint(BOLD, "Missing skill"),
            index + 1,
            skill.name
        );
        self.offer_skill(skill, Some(heading), true)
    }

    fn show_workflow(&mut self, workflow: &crate::core::Workflow) {
        self.printer
            .line(format!("Proposed Workflow: {}.json", workflow.name));
        self.printer.line(workflow.to_pretty_json().trim_end());
    }

    /// Journey 3: approve each independent modification in turn.
    fn iterate(&mut self, parts: &[Modification]) -> Decision {
        let mut approved = Vec::new();
        let total = parts.len();
        for (index, modification) in parts.iter().enumerate() {
            let mut lines = modification_lines(modification).into_iter();
            self.printer.line(format!(
                "Step {}/{total}: {}",
                index + 1,
                lines.next().unwrap_or_default()
            ));
            for line in lines {
                self.printer.line(line);
            }
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
            ..
        } = &proposal.kind
        {
            return self.creation_menu(proposal, workflow, new_skills);
        }
        if let ProposalKind::CreateSkill { skill, .. } = &proposal.kind {
            // The file and its problems were just shown.
            return match self.offer_skill(skill, None, false) {
                Some(Some(accepted)) if accepted == *skill => Decision::Approve,
                Some(Some(edited)) => Decision::ApproveWith {
                    skills: vec![edited],
                },
                Some(None) => Decision::Decline {
                    reason: "the user declined the skill".into(),
                },
                None => {
                    self.printer.line("Cancelled. Nothing was created.");
                    Decision::Decline {
                        reason: "the user cancelled".into(),
                    }
                }
            };
        }
        let breaking = proposal.verdict() == Verdict::Breaking;
        let rewrite = proposal.rewrite.is_some();
        let modifications = match &proposal.kind {
            ProposalKind::Modify { modifications, .. } => Some(modifications.clone()),
            _ => None,
        };
        let mut answers = vec!["y", "n", "why", "edit", "details", "json"];
        if modifications.is_none() {
            answers.retain(|answer| *answer != "edit");
        }
        if proposal.independent_parts().is_some() {
            answers.push("iterative");
        }
        let mut question = if rewrite {
            "This rewrites the workflow rather than editing it. Apply anyway?"
        } else if breaking {
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
                    question = if breaking || rewrite {
                        "Still apply?"
                    } else {
                        "Apply?"
                    };
                }
                Some("details") => {
                    for line in proposal_summary_lines(proposal) {
                        self.printer.line(line);
                    }
                }
                Some("json") => {
                    let details = serde_json::to_string_pretty(proposal).unwrap_or_default();
                    self.printer.line(details);
                }
                Some("edit") => {
                    if let Some(modifications) = &modifications
                        && let Some(edited) = self.edit_json(modifications, "list of modifications")
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
        loop {
            self.printer
                .line(format!("{} {question}", paint(BOLD, "?")));
            let answer = prompt::line("> ")?;
            if let Some(handler) = &mut self.slash
                && let Some(command) = answer.trim().strip_prefix('/')
            {
                match handler(command, &mut self.printer) {
                    SlashFlow::Ran => continue,
                    SlashFlow::Exit => {
                        self.exit_requested = true;
                        return None;
                    }
                }
            }
            return (!answer.trim().is_empty()).then_some(answer);
        }
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
            // A deleted workflow of that name continues its history.
            (ProposalKind::Create { workflow, .. }, Some(version)) if version > 1 => format!(
                "Saved workflow '{}' as v{version}, continuing the history of the deleted workflow of that name (`qwf history {}`)",
                workflow.name, workflow.name
            ),
            (ProposalKind::Create { workflow, .. }, _) => {
                format!("Saved workflow '{}'", workflow.name)
            }
            (ProposalKind::CreateSkill { skill, .. }, _) => {
                format!("Created skill '{}'", skill.name)
            }
            (_, None) => "Applied".to_string(),
        };
        self.printer.line(format!("{} {line}", paint(GOOD, "✓")));
    }

    fn staged(&mut self, proposal: &Proposal) {
        if self.printer.json {
            return;
        }
        let what = match &proposal.kind {
            ProposalKind::CreateSkill { skill, .. } => format!("skill '{}'", skill.name),
            _ => "the change".to_string(),
        };
        self.printer.line(format!(
            "{} Accepted {what}; it is saved with the other changes when you finish",
            paint(GOOD, "✓")
        ));
    }
}

/// The note that a new skill's missing script will be written as a stub.
fn stub_line(skill: &Skill, scripts: &[String]) -> Option<String> {
    let script = crate::core::stub::script_of(&skill.command)?;
    scripts.contains(&script).then(|| {
        format!(
            "{} script skills/{script}: a stub that reads its inputs and fails with \"implement me\" until you write it",
            paint(GOOD, "+")
        )
    })
}
