//! The two phases of a change made through MCP. A proposing tool runs the
//! agent's own tool (or qwf's planner, for a request in words) against a
//! gate that captures the evaluated proposal instead of asking anyone, and
//! saves it as a plan. `apply_plan` applies a plan with the rules of
//! `qwf apply`: a breaking one needs `force`, one made for an older version
//! is re-applied only when it still fits, and each lands at most once.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::ServerSettings;
use super::text;
use super::tools::{Answer, ApplyPlanArgs, CreateWorkflowArgs, EditWorkflowArgs, Failure, Reply};
use crate::agent::config;
use crate::agent::gate::{Decision, Gate, Proposal, ProposalKind};
use crate::agent::model::Model;
use crate::agent::offline::OfflinePlanner;
use crate::agent::session::{Mode, Options, Report, Session};
use crate::core::impact::Impact;
use crate::core::names::check_name;
use crate::core::{Verdict, evaluate_result};
use crate::store::pending::{AppliedPlan, NewPlan, PendingChange, PendingPlan};
use crate::store::plan::Plan;
use crate::store::{Change, Context, Origin, Provenance, Store, StoreError};

/// What the gate tells the model when it holds a proposal.
const HELD: &str = "held as a plan for the user to review in their MCP host; nothing is applied until they approve it, so propose nothing else";

/// A gate that decides nothing: it keeps the first proposal and declines,
/// so the store is never touched, and it cannot answer questions (a
/// question ends the turn and goes back to the host).
#[derive(Default)]
pub(super) struct Capture {
    proposal: Option<Proposal>,
    /// New skills belong in the new workflow's proposal (`create_workflow`).
    skills_with_workflow: bool,
}

impl Capture {
    pub fn is_empty(&self) -> bool {
        self.proposal.is_none()
    }
}

impl Gate for Capture {
    fn decide(&mut self, proposal: &Proposal) -> Decision {
        if self.skills_with_workflow && matches!(proposal.kind, ProposalKind::CreateSkill { .. }) {
            return Decision::Decline {
                reason: "list the skills the new workflow needs in create_workflow's new_skills instead; nothing was saved".into(),
            };
        }
        if self.proposal.is_some() {
            return Decision::Decline {
                reason: "only the first proposal of a request is kept, and it is held for the user; propose nothing else".into(),
            };
        }
        self.proposal = Some(proposal.clone());
        Decision::Decline {
            reason: HELD.into(),
        }
    }

    fn ask(&mut self, _question: &str) -> Option<String> {
        None
    }
}

/// The model qwf is configured with (flags, environment, `config.toml`),
/// or the offline planner.
fn configured_model(settings: &ServerSettings) -> Result<Box<dyn Model>, Failure> {
    let resolved = config::resolve(&settings.model, &settings.home, &config::process_env)?;
    Ok(config::build(&resolved, &config::process_env, || {
        Box::new(OfflinePlanner::new())
    })?)
}

/// The model's tool calls, as a version records them.
fn tool_calls(report: &Report) -> Vec<Value> {
    report
        .tool_calls
        .iter()
        .map(|call| json!({ "name": call.name, "arguments": call.arguments }))
        .collect()
}

/// `edit_workflow`: qwf's planner turns the words into a proposal.
pub(super) fn edit(
    settings: &ServerSettings,
    store: &Store,
    context: Context<'static>,
    now: SystemTime,
    client: &str,
    args: &EditWorkflowArgs,
) -> Reply {
    // An unknown workflow or a bad name fails here, with the store's hint.
    store.head(&args.workflow, &context)?;
    let model = configured_model(settings)?;
    let options = Options {
        mode: Mode::Edit {
            workflow: args.workflow.clone(),
            scope: None,
        },
        focus: Some(args.workflow.clone()),
        ..Options::default()
    };
    let mut session = Session::new(model.as_ref(), store, context, options);
    let mut capture = Capture::default();
    let report = session.run(&args.request, &mut capture)?;
    planned(
        store,
        now,
        client,
        "edit_workflow",
        &args.request,
        &report,
        capture,
    )
}

/// `create_workflow`: qwf's planner turns the description into a new
/// workflow.
pub(super) fn create(
    settings: &ServerSettings,
    store: &Store,
    context: Context<'static>,
    now: SystemTime,
    client: &str,
    args: &CreateWorkflowArgs,
) -> Reply {
    if let Some(name) = &args.name {
        check_name(name, "workflow").map_err(StoreError::from)?;
        if store.exists(name) {
            return Err(StoreError::AlreadyExists { name: name.clone() }.into());
        }
    }
    let model = configured_model(settings)?;
    let options = Options {
        mode: Mode::Create {
            name: args.name.clone(),
        },
        ..Options::default()
    };
    let mut session = Session::new(model.as_ref(), store, context, options);
    let mut capture = Capture {
        skills_with_workflow: true,
        ..Capture::default()
    };
    let report = session.run(&args.description, &mut capture)?;
    planned(
        store,
        now,
        client,
        "create_workflow",
        &args.description,
        &report,
        capture,
    )
}

/// What a planning conversation ended with: a plan, a question for the
/// user, or a refusal saying what was not understood.
fn planned(
    store: &Store,
    now: SystemTime,
    client: &str,
    tool: &str,
    request: &str,
    report: &Report,
    capture: Capture,
) -> Reply {
    if !capture.is_empty() {
        return save(
            store,
            now,
            client,
            Some(request.to_string()),
            tool_calls(report),
            capture,
        );
    }
    if let Some(question) = &report.question {
        return Ok(Answer {
            text: format!(
                "qwf needs an answer before it can propose anything: {question}\nAsk the user, then call {tool} again with the answer in the request. Nothing was saved."
            ),
            structured: json!({ "status": "question", "question": question }),
        });
    }
    if let Some(stopped) = &report.stopped {
        return Err(Failure::new(
            format!("qwf's planner stopped without a proposal: {stopped}"),
            "rephrase the request, or give the modifications to propose_modification; nothing was saved",
        ));
    }
    let mut failure = Failure::new(
        "qwf's planner proposed no change",
        "rephrase the request (name the step and what should change), or give the modifications to propose_modification; nothing was saved",
    );
    if !report.final_message.is_empty() {
        failure
            .details
            .push(format!("It said: {}", report.final_message));
    }
    failure.extra = Some(Box::new(json!({ "planner_said": report.final_message })));
    Err(failure)
}

/// Saves the captured proposal as a plan, and shows it.
pub(super) fn save(
    store: &Store,
    now: SystemTime,
    client: &str,
    request: Option<String>,
    tool_calls: Vec<Value>,
    capture: Capture,
) -> Reply {
    let Some(proposal) = capture.proposal else {
        return Err(Failure::new(
            "no change was proposed",
            "nothing was saved; call the tool again",
        ));
    };
    let change = match &proposal.kind {
        ProposalKind::Modify {
            workflow,
            base_version,
            modifications,
        } => {
            let mut plan = Plan::new(
                workflow,
                *base_version,
                &proposal.summary,
                modifications.clone(),
            );
            plan.request = request.clone();
            PendingChange::Modify { plan }
        }
        ProposalKind::Rollback {
            workflow,
            base_version,
            to,
        } => PendingChange::Rollback {
            workflow: workflow.clone(),
            base_version: *base_version,
            to: *to,
        },
        // Stub scripts are written when the plan is applied, as the CLI does.
        ProposalKind::Create {
            workflow,
            new_skills,
            scripts: _,
        } => PendingChange::Create {
            workflow: workflow.clone(),
            new_skills: new_skills.clone(),
        },
        ProposalKind::CreateSkill { skill, scripts: _ } => PendingChange::CreateSkill {
            skill: skill.clone(),
        },
    };
    // What a rollback undoes, as `qwf rollback` shows it.
    let undone = match &change {
        PendingChange::Rollback { workflow, to, .. } => store
            .history_brief(workflow)?
            .into_iter()
            .filter(|record| record.version > *to)
            .map(|record| json!({ "version": record.version, "description": record.description }))
            .collect(),
        _ => Vec::new(),
    };
    let pending = store.save_pending(
        NewPlan {
            client: client.to_string(),
            summary: proposal.summary.clone(),
            request,
            change,
            verdict: proposal.verdict(),
            tool_calls,
        },
        now,
    )?;
    Ok(text::proposal(&pending, &proposal, &undone))
}

/// `apply_plan`.
pub(super) fn apply(
    store: &Store,
    context: &Context,
    now: SystemTime,
    client: &str,
    args: &ApplyPlanArgs,
) -> Reply {
    // Held until the plan is marked applied: two calls cannot both apply it.
    let _lock = store.lock_pending(&args.plan_id, context)?;
    let pending = store.pending_to_apply(&args.plan_id, now)?;
    let origin = Origin::Mcp {
        client: client.to_string(),
        text: pending
            .request
            .clone()
            .unwrap_or_else(|| pending.summary.clone()),
    };
    let applied = match &pending.change {
        PendingChange::Modify { plan } => {
            apply_modify(store, context, &pending, plan, origin, args)?
        }
        PendingChange::Rollback {
            workflow,
            base_version,
            to,
        } => apply_rollback(
            store,
            context,
            &pending,
            workflow,
            *base_version,
            *to,
            origin,
            args,
        )?,
        PendingChange::Create {
            workflow,
            new_skills,
        } => {
            refuse_breaking(&pending, pending.verdict, args, None)?;
            let name = workflow.name.clone();
            if store.exists(&name) {
                return Err(Failure::new(
                    format!(
                        "a workflow named '{name}' exists now, so plan '{}' cannot create it",
                        pending.id
                    ),
                    "nothing was applied; call create_workflow again with another name",
                ));
            }
            let mut skills_created = Vec::new();
            let mut stub_scripts = Vec::new();
            for skill in new_skills {
                // Created by someone else meanwhile: the workflow reuses it.
                if store.skill_path(&skill.name).exists() {
                    continue;
                }
                store.create_skill(skill)?;
                skills_created.push(skill.name.clone());
                stub_scripts.extend(store.write_script_stub(skill)?);
            }
            let mut provenance = Provenance::new("Initial creation", origin);
            provenance.tool_calls = pending.tool_calls.clone();
            let record = store.create(&name, workflow, provenance, context)?;
            json!({
                "workflow": name,
                "version": record.version,
                "skills_created": skills_created,
                "stub_scripts": stub_scripts,
                "verdict": pending.verdict,
            })
        }
        PendingChange::CreateSkill { skill } => {
            let path = store.create_skill(skill)?;
            let stub_scripts: Vec<_> = store.write_script_stub(skill)?.into_iter().collect();
            json!({ "skill": skill.name, "path": path, "stub_scripts": stub_scripts, "verdict": pending.verdict })
        }
    };
    let mut structured =
        json!({ "applied": true, "plan_id": pending.id, "kind": pending.change.kind() });
    if let Value::Object(fields) = applied {
        for (key, value) in fields {
            structured[key] = value;
        }
    }
    let mut note = None;
    if let Err(error) = store.mark_pending_applied(
        &pending,
        AppliedPlan {
            at: context.now.clone(),
            workflow: structured["workflow"].as_str().map(str::to_string),
            version: structured["version"].as_u64(),
        },
    ) {
        note = Some(format!(
            "could not record that plan '{}' was applied ({error}); do not apply it again",
            pending.id
        ));
        structured["note"] = json!(note);
    }
    Ok(Answer {
        text: text::applied(&structured, note.as_deref()),
        structured,
    })
}

/// Refuses a breaking plan without `force`, with what breaks.
/// Refuses a breaking plan without `force`, saying what breaks (`impact`,
/// when the plan was evaluated against a version).
fn refuse_breaking(
    pending: &PendingPlan,
    verdict: Verdict,
    args: &ApplyPlanArgs,
    impact: Option<&Impact>,
) -> Result<(), Failure> {
    if verdict != Verdict::Breaking || args.force {
        return Ok(());
    }
    let impact = impact.map_or(Value::Null, |impact| json!(impact));
    let details = if impact.is_null() {
        Vec::new()
    } else {
        text::impact_lines(&impact)
    };
    let mut failure = Failure::new(
        format!(
            "plan '{}' breaks the workflow; nothing was applied",
            pending.id
        ),
        "tell the user what breaks; call apply_plan again with force: true only if they accept it",
    );
    let mut question = format!(
        "qwf: plan {} ({}) breaks the workflow:",
        pending.id, pending.summary
    );
    for line in &details {
        question.push('\n');
        question.push_str(line);
    }
    question.push_str("\nApply it anyway, as a new version (it can be rolled back)?");
    failure.confirm = Some(question);
    failure.details = details;
    failure.extra = Some(Box::new(
        json!({ "applied": false, "verdict": verdict, "impact": impact }),
    ));
    Err(failure)
}

fn apply_modify(
    store: &Store,
    context: &Context,
    pending: &PendingPlan,
    plan: &Plan,
    origin: Origin,
    args: &ApplyPlanArgs,
) -> Result<Value, Failure> {
    // Evaluated on the current version, exactly as `qwf apply` does.
    let checked = plan.check(store, context)?;
    let impact = &checked.evaluation.impact;
    refuse_breaking(pending, impact.verdict, args, Some(impact))?;
    // A rewrite is never applied without `force`, as with `--yes`.
    if let Some(rewrite) = crate::agent::gate::rewrite_reason(
        &checked.evaluation,
        &plan.modifications,
        &plan.summary,
        plan.request.as_deref().unwrap_or_default(),
    ) && !args.force
    {
        let mut failure = Failure::new(
            format!(
                "plan '{}' rewrites the workflow rather than editing it ({rewrite}); nothing was applied",
                pending.id
            ),
            "propose a smaller change that does only what the user asked; call apply_plan again with force: true only if they want the rewrite",
        );
        failure.confirm = Some(format!(
            "qwf: plan {} ({}) rewrites the workflow: {rewrite}.\nApply it anyway, as a new version (it can be rolled back)?",
            pending.id, pending.summary
        ));
        failure.extra = Some(Box::new(
            json!({ "applied": false, "verdict": impact.verdict, "rewrite": rewrite }),
        ));
        return Err(failure);
    }
    let committed = plan.commit(store, origin, pending.tool_calls.clone(), context)?;
    Ok(json!({
        "workflow": plan.workflow,
        "version": committed.record.version,
        "base_version": plan.base_version,
        "rebased_from": committed.rebased_from,
        "verdict": impact.verdict,
        "changes": checked.evaluation.diff.changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }))
}

#[allow(clippy::too_many_arguments)]
fn apply_rollback(
    store: &Store,
    context: &Context,
    pending: &PendingPlan,
    workflow: &str,
    base_version: u64,
    to: u64,
    origin: Origin,
    args: &ApplyPlanArgs,
) -> Result<Value, Failure> {
    let head = store.head(workflow, context)?;
    let head_version = head.record.version;
    if head_version != base_version {
        return Err(Failure::new(
            format!(
                "'{workflow}' changed since plan '{}' was made (it was at v{base_version}, it is now at v{head_version}); a rollback is applied only on the version it was shown for",
                pending.id
            ),
            format!(
                "nothing was applied; call rollback again to see what going back to v{to} undoes now"
            ),
        ));
    }
    let target = store.version(workflow, to)?;
    let known = store.known_resources().ok();
    let evaluation = evaluate_result(&head.workflow, target.clone(), known.as_ref());
    let impact = &evaluation.impact;
    refuse_breaking(pending, impact.verdict, args, Some(impact))?;
    let mut provenance = Provenance::new(format!("Rolled back to v{to}"), origin);
    provenance.tool_calls = pending.tool_calls.clone();
    let committed = store.commit(
        workflow,
        Some(base_version),
        Change::Replace(Box::new(target)),
        provenance,
        context,
    )?;
    Ok(json!({
        "workflow": workflow,
        "version": committed.record.version,
        "restored": to,
        "verdict": impact.verdict,
        "changes": evaluation.diff.changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }))
}
