//! The agent loop: send the conversation to the model, run the tools it
//! calls, stop mutating calls at the gate, and feed every result (including
//! the user's decisions and the model's own mistakes) back to the model.

use serde::Serialize;
use serde_json::{Value, json};

use super::gate::Gate;
use super::model::{Message, Model, ModelError, ModelRequest, ToolCall, Usage};
use super::prompts;
use super::scope::Scope;
use super::tools::{self, CallError, Tool};
use crate::core::skill::Skill;
use crate::core::{
    KnownResources, Modification, Verdict, Workflow, evaluate, semantic_diff, validate,
};
use crate::store::{Context, Origin, Provenance, Store, StoreError};

mod authorize;
mod mutating;

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
    /// Tool calls run from one model reply; a reply with more stops the
    /// request after the first ones.
    pub max_calls_per_reply: usize,
    /// Tool calls run in one request.
    pub max_calls: usize,
    /// Proposals shown at the gate in one request.
    pub max_proposals: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::General,
            focus: None,
            max_turns: 8,
            max_corrections: 3,
            max_calls_per_reply: 16,
            max_calls: 64,
            max_proposals: 5,
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
    /// Stub scripts written for new skills whose command named a script
    /// that did not exist: each fails with "implement me" until written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stub_scripts: Vec<std::path::PathBuf>,
    pub verdict: Verdict,
    /// Why it was a rewrite rather than an edit (applied with --force).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<String>,
    pub summary: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifications: Vec<Modification>,
}

/// A proposal the gate did not approve.
#[derive(Debug, Clone, Serialize)]
pub struct Declined {
    pub summary: String,
    pub verdict: Verdict,
    /// Why it is a rewrite rather than an edit, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifications: Vec<Modification>,
}

/// A mutating call qwf refused before the gate (bad arguments, outside
/// the edit's scope, modifications that do not apply): the model was told
/// why, and nothing was shown or applied.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub tool: String,
    pub error: String,
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
    /// Mutating calls refused before the gate, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejected>,
    /// Why the loop stopped before the model finished, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The bound on the model's work that stopped the request, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<Limit>,
}

/// A bound on how much one request may make the model do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limit {
    pub bound: Bound,
    /// The bound's value.
    pub limit: usize,
    /// How many the model asked for (at least; a request stops at the
    /// first call over a bound).
    pub attempted: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    CallsPerReply,
    CallsPerRequest,
    ProposalsPerRequest,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Limit {
            bound,
            limit,
            attempted,
        } = *self;
        match bound {
            Bound::CallsPerReply => write!(
                f,
                "the model made {attempted} tool calls in one reply; qwf ran the first {limit} and none of the rest (at most {limit} per reply)"
            ),
            Bound::CallsPerRequest => write!(
                f,
                "the model made more than {limit} tool calls in this request; the rest were not run (at most {limit} per request)"
            ),
            Bound::ProposalsPerRequest => write!(
                f,
                "the model proposed more than {limit} changes in this request; the rest were not shown or applied (at most {limit} per request)"
            ),
        }
    }
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
        let saved = match &error {
            StoreError::AfterCommit { version, .. } => Some(*version),
            _ => None,
        };
        let mut outcome = Outcome::error(error.to_string(), hint);
        // The version exists: neither the model nor the user may be told
        // that nothing changed (doing it again would apply it twice).
        if let Some(version) = saved {
            outcome.content["saved_version"] = version.into();
        }
        outcome
    }
}

/// The result of one tool call run with [`Session::call_tool`]: the JSON
/// the model would see, and whether it is an error.
#[derive(Debug, Clone)]
pub struct ToolResult {
    pub content: Value,
    pub is_error: bool,
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
    /// Skills the user accepted; written with the changes, never before.
    pub skills: Vec<Skill>,
}

/// A conversation with a model about the user's workflows.
pub struct Session<'a> {
    model: &'a dyn Model,
    store: &'a Store,
    context: Context<'a>,
    options: Options,
    messages: Vec<Message>,
    staged: Option<Staged>,
    /// The workflow the user's answer to a question named, if any: the
    /// conversation keeps it in focus after the turn.
    answered_focus: Option<String>,
    /// Workflows this conversation created (a `qwf create` makes one, and
    /// may then change only it).
    created: Vec<String>,
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
            answered_focus: None,
            created: Vec::new(),
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
            skills: Vec::new(),
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
            // Compact JSON: every request carries it, and indentation was
            // a third of its tokens.
            let workflow = serde_json::to_string(&head.workflow)
                .unwrap_or_else(|_| head.workflow.to_pretty_json());
            prompt.push_str(&format!(
                "\nCurrent workflow '{focus}' (v{}):\n{workflow}\n",
                head.record.version,
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
        on_text: Option<&mut dyn FnMut(&str)>,
    ) -> Result<Report, ModelError> {
        let result = self.run_turn(request, gate, on_text);
        // "Which workflow?" answered by a name: later turns are about it.
        if let Some(name) = self.answered_focus.take()
            && matches!(self.options.mode, Mode::General)
            && self.options.focus.as_deref() != Some(name.as_str())
        {
            self.options.focus = Some(name);
            if let Some(Message::System { .. }) = self.messages.first() {
                self.messages[0] = Message::System {
                    text: self.system_prompt(request),
                };
            }
        }
        result
    }

    /// The one workflow an answer names, by its exact name.
    fn workflow_named_in(&self, answer: &str) -> Option<String> {
        let names: Vec<String> = self
            .store
            .list()
            .ok()?
            .into_iter()
            .map(|summary| summary.name)
            .collect();
        let words: Vec<&str> = answer
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .filter(|word| !word.is_empty())
            .collect();
        let mut named = names
            .into_iter()
            .filter(|name| words.iter().any(|word| word.eq_ignore_ascii_case(name)));
        match (named.next(), named.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }

    fn run_turn(
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
        let tool_set = self.tool_set();
        let specs = tools::specs_for(tool_set);
        let mut report = Report::default();
        let mut errors_in_a_row = 0;
        let mut reminded = false;
        for _ in 0..self.options.max_turns {
            let model_request = ModelRequest {
                messages: &self.messages,
                tools: &specs,
            };
            let started = std::time::Instant::now();
            let mut reply = match on_text.as_mut() {
                Some(on_text) => self.model.respond_streaming(&model_request, *on_text)?,
                None => self.model.respond(&model_request)?,
            };
            tracing::info!(
                model = %self.model.describe(),
                input_tokens = reply.usage.input_tokens,
                output_tokens = reply.usage.output_tokens,
                seconds = format_args!("{:.1}", started.elapsed().as_secs_f64()),
                tool_calls = reply.tool_calls.len(),
                "model call"
            );
            report.usage += reply.usage;
            // Calls written as text are read as calls; each is described
            // in its result, so the model learns what was made of its text.
            let mut notes: Vec<Vec<String>> = Vec::new();
            if reply.tool_calls.is_empty()
                && let Some(recovered) = super::recover::from_text(&reply.text, tool_set)
            {
                tracing::info!(
                    calls = recovered.calls.len(),
                    "tool calls read from the model's text"
                );
                reply.text = recovered.text;
                reply.tool_calls = recovered.calls;
                notes = recovered.notes.into_iter().map(|note| vec![note]).collect();
            }
            if reply.tool_calls.is_empty() {
                self.messages.push(Message::Assistant {
                    text: reply.text.clone(),
                    tool_calls: Vec::new(),
                });
                if let Some(reminder) = self.reminder(&report)
                    && !reminded
                    && self.model.needs_reminders()
                {
                    reminded = true;
                    tracing::info!("the model answered in prose without proposing; reminded once");
                    self.messages.push(Message::User {
                        text: reminder.to_string(),
                    });
                    continue;
                }
                report.final_message = reply.text;
                return Ok(report);
            }
            let attempted = reply.tool_calls.len();
            let mut end_turn = false;
            let mut results = Vec::new();
            let mut run = Vec::new();
            for (index, call) in reply.tool_calls.into_iter().enumerate() {
                if let Some(limit) = self.bound_before(&call, run.len(), attempted, &report) {
                    report.limit = Some(limit);
                    break;
                }
                let mut notes = notes.get(index).cloned().unwrap_or_default();
                let outcome = if end_turn {
                    report.tool_calls.push(call.clone());
                    Outcome::error("not run: the turn ended with a question to the user", "")
                } else {
                    // Small slips are corrected before anything is shown;
                    // the model is told what was corrected.
                    let effective = match tools::repair(&call.name, &call.arguments) {
                        Some(repair) => {
                            notes.extend(repair.notes);
                            ToolCall {
                                arguments: repair.arguments,
                                ..call.clone()
                            }
                        }
                        None => call.clone(),
                    };
                    tracing::info!(tool = %effective.name, arguments = %summarise(&effective.arguments), "tool call");
                    report.tool_calls.push(effective.clone());
                    self.dispatch(&effective, request, gate, &mut report)
                };
                trace_outcome(&call.name, &outcome);
                if outcome.is_error {
                    report.invalid_calls += 1;
                    errors_in_a_row += 1;
                    if tools::MUTATING_TOOLS.contains(&call.name.as_str()) {
                        report.rejected.push(Rejected {
                            tool: call.name.clone(),
                            error: outcome.content["error"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                        });
                    }
                } else {
                    errors_in_a_row = 0;
                }
                end_turn |= outcome.end_turn;
                let content = with_notes(outcome.content, notes);
                results.push(Message::Tool {
                    call_id: call.id.clone(),
                    name: call.name.clone(),
                    content: content.to_string(),
                    is_error: outcome.is_error,
                });
                run.push(call);
            }
            // The conversation keeps only the calls that were run, each
            // with its result: a flood is not carried into the next turn.
            self.messages.push(Message::Assistant {
                text: reply.text.clone(),
                tool_calls: run,
            });
            self.messages.extend(results);
            if let Some(limit) = report.limit {
                report.stopped = Some(limit.to_string());
                return Ok(report);
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

    /// The tools this conversation offers.
    fn tool_set(&self) -> tools::ToolSet {
        match self.options.mode {
            Mode::General => tools::ToolSet::All,
            Mode::Edit { .. } => tools::ToolSet::Edit,
            Mode::Create { .. } => tools::ToolSet::Create,
        }
    }

    /// The one reminder for a model that answered an edit or a creation in
    /// prose, having proposed nothing and asked nothing.
    fn reminder(&self, report: &Report) -> Option<&'static str> {
        let proposed = report
            .tool_calls
            .iter()
            .any(|call| tools::MUTATING_TOOLS.contains(&call.name.as_str()));
        if proposed || report.question.is_some() {
            return None;
        }
        match self.options.mode {
            Mode::Edit { .. } => Some(prompts::REMIND_EDIT),
            Mode::Create { .. } => Some(prompts::REMIND_CREATE),
            Mode::General => None,
        }
    }

    /// Runs one tool call made outside the loop (by an MCP host's model,
    /// for `qwf mcp`): the same argument checks, evaluation and gate as a
    /// call from qwf's own model. `request` is what the version records as
    /// its request, if the call leads to one.
    pub fn call_tool(
        &mut self,
        call: &ToolCall,
        request: &str,
        gate: &mut dyn Gate,
    ) -> (ToolResult, Report) {
        let mut report = Report::default();
        report.tool_calls.push(call.clone());
        let outcome = self.dispatch(call, request, gate, &mut report);
        let result = ToolResult {
            content: outcome.content,
            is_error: outcome.is_error,
        };
        (result, report)
    }

    /// The bound the next call would cross, if any: `run` calls of this
    /// reply (of `attempted`) have been run so far.
    fn bound_before(
        &self,
        call: &ToolCall,
        run: usize,
        attempted: usize,
        report: &Report,
    ) -> Option<Limit> {
        let options = &self.options;
        if run >= options.max_calls_per_reply {
            return Some(Limit {
                bound: Bound::CallsPerReply,
                limit: options.max_calls_per_reply,
                attempted,
            });
        }
        if report.tool_calls.len() >= options.max_calls {
            return Some(Limit {
                bound: Bound::CallsPerRequest,
                limit: options.max_calls,
                attempted: report.tool_calls.len() + 1,
            });
        }
        if tools::may_mutate(&call.name) && report.proposals >= options.max_proposals {
            return Some(Limit {
                bound: Bound::ProposalsPerRequest,
                limit: options.max_proposals,
                attempted: report.proposals + 1,
            });
        }
        None
    }

    /// The skills and agents that exist, with the skills accepted but not
    /// yet saved (`qwf refine`).
    fn known(&self) -> Option<KnownResources> {
        let mut known = self.store.known_resources().ok()?;
        if let Some(staged) = &self.staged {
            for skill in &staged.skills {
                known.add_skill(skill);
            }
        }
        Some(known)
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
        if let Err(refusal) = self.authorize(&tool) {
            Self::note_first(report, false);
            return Outcome::error(refusal.message, refusal.hint);
        }
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
                Some(answer) => {
                    if let Some(name) = self.workflow_named_in(&answer) {
                        self.answered_focus = Some(name);
                    }
                    Outcome::ok(json!({ "answer": answer }))
                }
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
}

/// A tool result with the notes on how the call was read (from text,
/// corrected) added, so the model sees what was made of what it wrote.
fn with_notes(content: Value, notes: Vec<String>) -> Value {
    if notes.is_empty() {
        return content;
    }
    match content {
        Value::Object(mut map) => {
            map.insert("notes".into(), json!(notes));
            Value::Object(map)
        }
        other => json!({ "result": other, "notes": notes }),
    }
}

/// Tool arguments in one short line, for `-v`.
fn summarise(arguments: &Value) -> String {
    let text = arguments.to_string();
    if text.chars().count() <= 160 {
        return text;
    }
    let cut: String = text.chars().take(160).collect();
    format!("{cut}... ({} characters)", text.chars().count())
}

/// `-v`: what the gate decided and the versions written; errors sent back.
fn trace_outcome(tool: &str, outcome: &Outcome) {
    let content = &outcome.content;
    if outcome.is_error {
        tracing::info!(tool, error = %content["error"].as_str().unwrap_or_default(), "tool call refused; the model is told why");
        return;
    }
    match content["status"].as_str() {
        Some("applied") => match content["version"].as_u64() {
            Some(version) => {
                tracing::info!(tool, workflow = %content["workflow"].as_str().unwrap_or_default(), version, "gate: approved; version written")
            }
            None => tracing::info!(tool, "gate: approved; applied"),
        },
        Some("declined") => {
            tracing::info!(tool, reason = %content["reason"].as_str().unwrap_or_default(), "gate: declined")
        }
        Some("staged") => tracing::info!(tool, "gate: approved; staged until the user finishes"),
        _ => {}
    }
}
