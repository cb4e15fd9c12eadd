//! The agent loop: send the conversation to the model, run the tools it
//! calls, stop mutating calls at the gate, and feed every result (including
//! the user's decisions and the model's own mistakes) back to the model.

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;
use serde_json::{Value, json};

use super::gate::{Decision, Gate, Proposal, ProposalKind};
use super::model::{Message, Model, ModelError, ModelRequest, ToolCall, Usage};
use super::prompts;
use super::scope::Scope;
use super::tools::{self, CallError, Tool};
use crate::core::names::check_name;
use crate::core::skill::{Skill, check_skill, has_errors};
use crate::core::validation::Severity;
use crate::core::{
    IssueCode, KnownResources, Modification, Verdict, Workflow, evaluate, evaluate_result,
    semantic_diff, validate,
};
use crate::store::{Change, Context, Origin, Provenance, Store, StoreError};

/// How many skills one `list_skills` call with a query returns at most.
pub const LISTED_SKILLS: usize = 20;

/// Up to this many skills, an empty query lists them all (what the tool
/// always did, and what the offline planner relies on); beyond it, the
/// first [`LISTED_SKILLS`] by name and a note to search instead.
pub const LISTED_WITHOUT_QUERY: usize = 100;

/// The `list_skills` result. Ranked against the query (BM25 with synonyms,
/// see [`crate::core::ranking`]), best first; an empty query lists by name
/// (all of them up to [`LISTED_WITHOUT_QUERY`]).
/// When every match is shown it is a plain array of skill files (the shape
/// the offline planner reads); when some are left out, or nothing matched,
/// an object `{skills, matched, total, note}` says so and how to find more.
pub fn skill_listing(skills: &[Skill], query: &str, limit: usize) -> Value {
    let total = skills.len();
    if query.trim().is_empty() {
        if total <= LISTED_WITHOUT_QUERY.max(limit) {
            return json!(skills);
        }
        return json!({
            "skills": &skills[..limit],
            "matched": total,
            "total": total,
            "note": format!("{total} skills in all; these are the first {limit} by name. Call list_skills with words from the request to find the ones that fit."),
        });
    }
    let ranking = crate::core::ranking::rank(skills, query, limit);
    let shown: Vec<&Skill> = ranking.hits.iter().map(|hit| &skills[hit.index]).collect();
    if ranking.matched == 0 {
        return json!({
            "skills": shown,
            "matched": 0,
            "total": total,
            "note": format!("none of the {total} skills matches '{query}'; try other words, or an empty query to list them by name"),
        });
    }
    if ranking.matched <= shown.len() {
        return json!(shown);
    }
    json!({
        "skills": shown,
        "matched": ranking.matched,
        "total": total,
        "note": format!("the best {} of {} matching skills, best first; {} more matched: use more specific words to find them", shown.len(), ranking.matched, ranking.matched - shown.len()),
    })
}

/// What kind of conversation this is; shapes the system prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `qwf do` and `qwf chat`: anything goes.
    General,
    /// `qwf edit NAME`: modification-only changes to one workflow.
    Edit {
        workflow: String,
        scope: Option<Scope>,
    },
    /// `qwf create`: a new workflow.
    Create { name: Option<String> },
}

#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    /// The workflow the conversation is about, if any (`--workflow`).
    pub focus: Option<String>,
    /// Model calls per request.
    pub max_turns: usize,
    /// Invalid calls in a row before giving up.
    pub max_corrections: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::General,
            focus: None,
            max_turns: 8,
            max_corrections: 3,
        }
    }
}

/// A change that reached the store.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skill: Option<String>,
    /// Skills created with a new workflow.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills_created: Vec<String>,
    /// Proposed skills the user skipped: the workflow uses them, and they
    /// do not exist.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills_skipped: Vec<String>,
    pub verdict: Verdict,
    pub summary: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifications: Vec<Modification>,
}

/// A proposal the gate did not approve.
#[derive(Debug, Clone, Serialize)]
pub struct Declined {
    pub summary: String,
    pub verdict: Verdict,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifications: Vec<Modification>,
}

/// Everything one request produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub final_message: String,
    pub applied: Vec<Applied>,
    pub declined: Vec<Declined>,
    /// A question the model asked that no one could answer in this turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    /// Mutating calls that reached the gate.
    pub proposals: usize,
    /// Whether the first proposal was valid as made (its arguments,
    /// scope and modifications were accepted); `None` when there was none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_proposal_valid: Option<bool>,
    /// Calls the model got wrong (unknown tool, bad arguments, unknown step).
    pub invalid_calls: usize,
    /// Why the loop stopped before the model finished, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// The result of one tool call, as the model will see it.
struct Outcome {
    content: Value,
    is_error: bool,
    /// End the turn here (an unanswered question).
    end_turn: bool,
}

impl Outcome {
    fn ok(content: Value) -> Self {
        Outcome {
            content,
            is_error: false,
            end_turn: false,
        }
    }

    fn error(message: impl Into<String>, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        let mut content = json!({ "error": message.into() });
        if !hint.is_empty() {
            content["hint"] = hint.into();
        }
        Outcome {
            content,
            is_error: true,
            end_turn: false,
        }
    }

    fn store_error(error: StoreError) -> Self {
        let hint = error.hint();
        Outcome::error(error.to_string(), hint)
    }
}

/// Approved changes held back to be saved together as one version
/// (`qwf refine`).
#[derive(Debug, Clone)]
pub struct Staged {
    pub workflow: String,
    /// The version the changes were made against.
    pub base_version: u64,
    /// The workflow with every staged change applied.
    pub current: Workflow,
    pub modifications: Vec<Modification>,
    pub summaries: Vec<String>,
}

/// A conversation with a model about the user's workflows.
pub struct Session<'a> {
    model: &'a dyn Model,
    store: &'a Store,
    context: Context<'a>,
    options: Options,
    messages: Vec<Message>,
    staged: Option<Staged>,
}

impl<'a> Session<'a> {
    pub fn new(
        model: &'a dyn Model,
        store: &'a Store,
        context: Context<'a>,
        options: Options,
    ) -> Self {
        Session {
            model,
            store,
            context,
            options,
            messages: Vec::new(),
            staged: None,
        }
    }

    /// From now on, approved modifications of `workflow` are staged in
    /// memory instead of saved; [`Session::take_staged`] collects them.
    pub fn stage(&mut self, workflow: &str) -> Result<(), StoreError> {
        let head = self.store.head(workflow, &self.context)?;
        self.staged = Some(Staged {
            workflow: workflow.to_string(),
            base_version: head.record.version,
            current: head.workflow,
            modifications: Vec::new(),
            summaries: Vec::new(),
        });
        Ok(())
    }

    pub fn staged(&self) -> Option<&Staged> {
        self.staged.as_ref()
    }

    pub fn take_staged(&mut self) -> Option<Staged> {
        self.staged.take()
    }

    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Changes the workflow the conversation is about (`/workflow` in chat).
    pub fn set_focus(&mut self, focus: Option<String>) {
        self.options.focus = focus;
        self.messages.clear();
    }

    fn system_prompt(&self, request: &str) -> String {
        let mut prompt = prompts::SYSTEM.to_string();
        match &self.options.mode {
            Mode::General => {}
            Mode::Edit { workflow, scope } => {
                prompt.push('\n');
                prompt.push_str(prompts::EDIT);
                prompt.push_str(&format!("\nThe workflow being edited is '{workflow}'.\n"));
                if let Some(scope) = scope {
                    prompt.push_str(&format!(
                        "Only change {scope}; anything else will be refused.\n"
                    ));
                }
            }
            Mode::Create { name } => {
                prompt.push('\n');
                prompt.push_str(prompts::CREATE);
                if let Some(name) = name {
                    prompt.push_str(&format!("\nName the workflow '{name}'.\n"));
                }
                // Only the skills that fit the request: the registry may
                // hold thousands.
                if let Ok((skills, _)) = self.store.skills() {
                    prompt.push_str(&prompts::skills_section(
                        &skills,
                        request,
                        prompts::PROMPT_SKILLS,
                    ));
                }
            }
        }
        if let Ok(list) = self.store.list() {
            let names: Vec<String> = list.into_iter().map(|summary| summary.name).collect();
            if !names.is_empty() {
                prompt.push_str(&format!("\nThe user's workflows: {}.\n", names.join(", ")));
            }
        }
        let focus = match &self.options.mode {
            Mode::Edit { workflow, .. } => Some(workflow.clone()),
            _ => self.options.focus.clone(),
        };
        if let Some(focus) = focus
            && let Ok(head) = self.store.head(&focus, &self.context)
        {
            prompt.push_str(&format!(
                "\nCurrent workflow '{focus}' (v{}):\n{}",
                head.record.version,
                head.workflow.to_pretty_json()
            ));
        }
        prompt
    }

    /// Runs one user request to the end: model turns and tool calls until
    /// the model stops calling tools, asks a question, or a bound is hit.
    pub fn run(&mut self, request: &str, gate: &mut dyn Gate) -> Result<Report, ModelError> {
        self.run_with(request, gate, None)
    }

    /// [`Session::run`], handing `on_text` the model's text as it streams.
    pub fn run_streaming(
        &mut self,
        request: &str,
        gate: &mut dyn Gate,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Report, ModelError> {
        self.run_with(request, gate, Some(on_text))
    }

    fn run_with(
        &mut self,
        request: &str,
        gate: &mut dyn Gate,
        mut on_text: Option<&mut dyn FnMut(&str)>,
    ) -> Result<Report, ModelError> {
        if self.messages.is_empty() {
            self.messages.push(Message::System {
                text: self.system_prompt(request),
            });
        }
        self.messages.push(Message::User {
            text: request.to_string(),
        });
        let specs = tools::specs();
        let mut report = Report::default();
        let mut errors_in_a_row = 0;
        for _ in 0..self.options.max_turns {
            let model_request = ModelRequest {
                messages: &self.messages,
                tools: &specs,
            };
            let reply = match on_text.as_mut() {
                Some(on_text) => self.model.respond_streaming(&model_request, *on_text)?,
                None => self.model.respond(&model_request)?,
            };
            report.usage += reply.usage;
            self.messages.push(Message::Assistant {
                text: reply.text.clone(),
                tool_calls: reply.tool_calls.clone(),
            });
            if reply.tool_calls.is_empty() {
                report.final_message = reply.text;
                return Ok(report);
            }
            let mut end_turn = false;
            for call in reply.tool_calls {
                report.tool_calls.push(call.clone());
                let outcome = if end_turn {
                    Outcome::error("not run: the turn ended with a question to the user", "")
                } else {
                    self.dispatch(&call, request, gate, &mut report)
                };
                if outcome.is_error {
                    report.invalid_calls += 1;
                    errors_in_a_row += 1;
                } else {
                    errors_in_a_row = 0;
                }
                end_turn |= outcome.end_turn;
                self.messages.push(Message::Tool {
                    call_id: call.id.clone(),
                    name: call.name.clone(),
                    content: outcome.content.to_string(),
                    is_error: outcome.is_error,
                });
            }
            if end_turn {
                report.final_message = report.question.clone().unwrap_or_default();
                return Ok(report);
            }
            if errors_in_a_row > self.options.max_corrections {
                report.stopped = Some(format!(
                    "the model made {errors_in_a_row} invalid calls in a row; nothing invalid was applied"
                ));
                return Ok(report);
            }
        }
        report.stopped = Some(format!(
            "the model did not finish within {} turns",
            self.options.max_turns
        ));
        Ok(report)
    }

    fn known(&self) -> Option<KnownResources> {
        self.store.known_resources().ok()
    }

    fn provenance(&self, description: &str, request: &str, report: &Report) -> Provenance {
        let mut provenance = Provenance::new(
            description,
            Origin::Request {
                text: request.to_string(),
            },
        );
        provenance.tool_calls = report
            .tool_calls
            .iter()
            .map(|call| json!({ "name": call.name, "arguments": call.arguments }))
            .collect();
        provenance
    }

    fn dispatch(
        &mut self,
        call: &ToolCall,
        request: &str,
        gate: &mut dyn Gate,
        report: &mut Report,
    ) -> Outcome {
        let tool = match Tool::parse(&call.name, &call.arguments) {
            Ok(tool) => tool,
            Err(error @ CallError::UnknownTool(_)) => return Outcome::error(error.to_string(), ""),
            Err(error) => return Outcome::error(error.to_string(), ""),
        };
        match tool {
            Tool::ListSkills(args) => self.list_skills(&args.query),
            Tool::ListResources(args) => {
                let mut outcome = self.list_skills(&args.query);
                if !outcome.is_error {
                    outcome.content = super::resources::list(
                        self.store,
                        &args.query,
                        std::mem::take(&mut outcome.content),
                    );
                }
                outcome
            }
            Tool::GetWorkflow(args)
                if args.version.is_none()
                    && self
                        .staged
                        .as_ref()
                        .is_some_and(|staged| staged.workflow == args.workflow) =>
            {
                let staged = self.staged.as_ref().expect("checked in the guard");
                Outcome::ok(
                    json!({ "workflow": staged.current, "staged_changes": staged.summaries, "base_version": staged.base_version }),
                )
            }
            Tool::GetWorkflow(args) => match self.store.head(&args.workflow, &self.context) {
                Err(error) => Outcome::store_error(error),
                Ok(head) => {
                    let version = args
                        .version
                        .map_or(head.record.version, |version| version.0);
                    let workflow = if version == head.record.version {
                        Ok(head.workflow)
                    } else {
                        self.store.version(&args.workflow, version)
                    };
                    match workflow {
                        Ok(workflow) => Outcome::ok(
                            json!({ "workflow": workflow, "version": version, "current": head.record.version }),
                        ),
                        Err(error) => Outcome::store_error(error),
                    }
                }
            },
            Tool::ValidateWorkflow(args) => match self.store.head(&args.workflow, &self.context) {
                Ok(head) => {
                    let report = validate(&head.workflow, self.known().as_ref());
                    Outcome::ok(json!({ "valid": report.is_valid(), "issues": report.issues }))
                }
                Err(error) => Outcome::store_error(error),
            },
            Tool::AnalyzeImpact(args) => match self.store.head(&args.workflow, &self.context) {
                Err(error) => Outcome::store_error(error),
                Ok(head) => {
                    match evaluate(&head.workflow, &args.modifications, self.known().as_ref()) {
                        Ok(evaluation) => Outcome::ok(json!({
                            "verdict": evaluation.impact.verdict,
                            "impact": evaluation.impact,
                            "changes": evaluation.diff.changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        })),
                        Err(error) => Outcome::error(error.to_string(), error.hint),
                    }
                }
            },
            Tool::ShowDiff(args) => {
                let load = |version: u64| self.store.version(&args.workflow, version);
                match (load(args.from.0), load(args.to.0)) {
                    (Ok(old), Ok(new)) => Outcome::ok(json!({
                        "from": args.from.0,
                        "to": args.to.0,
                        "changes": semantic_diff(&old, &new).changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    })),
                    (Err(error), _) | (_, Err(error)) => Outcome::store_error(error),
                }
            }
            Tool::History(args) => {
                // Record a pending hand edit first.
                if let Err(error) = self.store.head(&args.workflow, &self.context)
                    && !matches!(error, StoreError::Deleted { .. })
                {
                    return Outcome::store_error(error);
                }
                match self.store.history(&args.workflow) {
                    Ok(records) => Outcome::ok(json!({
                        "versions": records.iter().map(|record| json!({
                            "version": record.version,
                            "description": record.description,
                            "origin": record.origin.to_string(),
                            "timestamp": record.timestamp,
                        })).collect::<Vec<_>>()
                    })),
                    Err(error) => Outcome::store_error(error),
                }
            }
            Tool::AskUser(args) => match gate.ask(&args.question) {
                Some(answer) => Outcome::ok(json!({ "answer": answer })),
                None => {
                    report.question = Some(args.question.clone());
                    Outcome {
                        content: json!({ "status": "asked; the user will answer in their next message" }),
                        is_error: false,
                        end_turn: true,
                    }
                }
            },
            Tool::ProposeModification(args) => self.propose_modification(
                args.workflow,
                args.modifications,
                args.summary,
                request,
                gate,
                report,
            ),
            Tool::CreateWorkflow(args) => self.create_workflow(*args, request, gate, report),
            Tool::CreateSkill(args) => self.create_skill(args.skill, request, gate, report),
            Tool::Rollback(args) => self.rollback(&args.workflow, args.to.0, request, gate, report),
        }
    }

    fn list_skills(&self, query: &str) -> Outcome {
        match self.store.skills() {
            Err(error) => Outcome::store_error(error),
            Ok((skills, _)) => Outcome::ok(skill_listing(&skills, query, LISTED_SKILLS)),
        }
    }

    /// Shows a proposal at the gate until it is approved or declined;
    /// `evaluate_revision` re-evaluates modifications the user edited.
    fn decide(
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

    fn note_first(report: &mut Report, valid: bool) {
        if report.first_proposal_valid.is_none() {
            report.first_proposal_valid = Some(valid);
        }
    }

    fn declined(report: &mut Report, proposal: &Proposal, reason: String) -> Outcome {
        let modifications = match &proposal.kind {
            ProposalKind::Modify { modifications, .. } => modifications.clone(),
            _ => Vec::new(),
        };
        report.declined.push(Declined {
            summary: proposal.summary.clone(),
            verdict: proposal.verdict(),
            reason: reason.clone(),
            modifications,
        });
        Outcome::ok(json!({ "status": "declined", "reason": reason }))
    }

    fn propose_modification(
        &mut self,
        workflow: String,
        modifications: Vec<Modification>,
        summary: String,
        request: &str,
        gate: &mut dyn Gate,
        report: &mut Report,
    ) -> Outcome {
        if let Mode::Edit {
            workflow: edited,
            scope,
        } = &self.options.mode
        {
            if &workflow != edited {
                Self::note_first(report, false);
                return Outcome::error(
                    format!("this edit is about '{edited}', not '{workflow}'"),
                    format!("propose modifications to '{edited}'"),
                );
            }
            if let Some(scope) = scope
                && let Err(message) = scope.check(&modifications)
            {
                Self::note_first(report, false);
                return Outcome::error(message, format!("change only {scope}"));
            }
        }
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
        let make = |modifications: &[Modification]| -> Result<Proposal, String> {
            let evaluation = evaluate(&current, modifications, known.as_ref())
                .map_err(|error| format!("{error} ({})", error.hint))?;
            Ok(Proposal {
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
                match self.store.commit(
                    &workflow,
                    Some(*base_version),
                    Change::Modify(modifications.clone()),
                    provenance,
                    &self.context,
                ) {
                    Ok(committed) => {
                        gate.applied(&proposal, Some(committed.record.version));
                        report.applied.push(Applied {
                            workflow: Some(workflow.clone()),
                            version: Some(committed.record.version),
                            skill: None,
                            skills_created: Vec::new(),
                            skills_skipped: Vec::new(),
                            verdict: proposal.verdict(),
                            summary: summary.clone(),
                            modifications: modifications.clone(),
                        });
                        Outcome::ok(
                            json!({ "status": "applied", "workflow": workflow, "version": committed.record.version }),
                        )
                    }
                    Err(error) => Outcome::store_error(error),
                }
            }
            Decision::Decline { reason } => Self::declined(report, &proposal, reason),
            Decision::Revise { .. } => unreachable!("decide() resolves revisions"),
            Decision::ApproveWith { .. } => unreachable!("decide() turns it into Approve"),
        }
    }

    fn create_workflow(
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
        if self.store.exists(&name) {
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
        known
            .skills
            .extend(new_skills.iter().map(|skill| skill.name.clone()));
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
        let proposal = Proposal {
            kind: ProposalKind::Create {
                workflow: Box::new(workflow.clone()),
                new_skills: new_skills.clone(),
            },
            summary,
            evaluation: Some(evaluation),
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
        for skill in &accepted {
            match self.store.create_skill(skill) {
                Ok(_) => created_skills.push(skill.name.clone()),
                // Created by someone else since the proposal: reuse it.
                Err(StoreError::Invalid { .. }) if self.store.skill_path(&skill.name).exists() => {}
                Err(error) => return Outcome::store_error(error),
            }
        }
        let provenance = self.provenance("Initial creation", request, report);
        match self
            .store
            .create(&name, &workflow, provenance, &self.context)
        {
            Ok(record) => {
                gate.applied(&proposal, Some(record.version));
                report.applied.push(Applied {
                    workflow: Some(name.clone()),
                    version: Some(record.version),
                    skill: None,
                    skills_created: created_skills.clone(),
                    skills_skipped: skipped.clone(),
                    verdict: proposal.verdict(),
                    summary: proposal.summary.clone(),
                    modifications: Vec::new(),
                });
                let mut content = json!({ "status": "applied", "workflow": name, "version": record.version, "skills_created": created_skills });
                if !skipped.is_empty() {
                    content["skills_skipped"] = json!(skipped);
                    content["note"] = json!(
                        "the user skipped these skills: the workflow is saved, but the steps that use them cannot run until the skills exist"
                    );
                }
                Outcome::ok(content)
            }
            Err(error) => Outcome::store_error(error),
        }
    }

    fn create_skill(
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
        Self::note_first(report, true);
        let proposal = Proposal {
            kind: ProposalKind::CreateSkill {
                skill: skill.clone(),
            },
            summary: format!("Create skill '{}'", skill.name),
            evaluation: None,
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
        match self.store.create_skill(&skill) {
            Ok(path) => {
                let proposal = Proposal {
                    kind: ProposalKind::CreateSkill {
                        skill: skill.clone(),
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
                    verdict: Verdict::Safe,
                    summary: proposal.summary.clone(),
                    modifications: Vec::new(),
                });
                Outcome::ok(json!({ "status": "applied", "skill": skill.name, "path": path }))
            }
            Err(error) => Outcome::store_error(error),
        }
    }

    fn rollback(
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
        };
        let no_revision = |_: &[Modification]| -> Result<Proposal, String> {
            Err("a rollback is not edited as modifications".into())
        };
        let (proposal, decision) = self.decide(gate, proposal, &no_revision, report);
        match decision {
            Decision::Approve => {
                let provenance = self.provenance(&format!("Rolled back to v{to}"), request, report);
                match self.store.commit(
                    workflow,
                    Some(head.record.version),
                    Change::Replace(Box::new(target)),
                    provenance,
                    &self.context,
                ) {
                    Ok(committed) => {
                        gate.applied(&proposal, Some(committed.record.version));
                        report.applied.push(Applied {
                            workflow: Some(workflow.to_string()),
                            version: Some(committed.record.version),
                            skill: None,
                            skills_created: Vec::new(),
                            skills_skipped: Vec::new(),
                            verdict: proposal.verdict(),
                            summary: proposal.summary.clone(),
                            modifications: Vec::new(),
                        });
                        Outcome::ok(
                            json!({ "status": "applied", "workflow": workflow, "version": committed.record.version }),
                        )
                    }
                    Err(error) => Outcome::store_error(error),
                }
            }
            Decision::Decline { reason } => Self::declined(report, &proposal, reason),
            Decision::Revise { .. } => unreachable!("decide() resolves revisions"),
            Decision::ApproveWith { .. } => unreachable!("decide() turns it into Approve"),
        }
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
