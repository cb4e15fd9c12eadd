use std::path::PathBuf;

use crate::agent::gate::rewrite_reason;
use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::render::evaluation_lines;
use crate::cli::settings::Settings;
use crate::core::Verdict;
use crate::store::Origin;
use crate::store::plan::Plan;

/// Apply a saved proposal (a plan file from `--plan-out`): shows the change
/// and its impact, then applies it as a new version.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub plan: PathBuf,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Also apply when the impact is breaking.
    #[arg(long)]
    pub force: bool,
    /// Show the change, apply nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let shown = args.plan.display().to_string();
    let text = std::fs::read_to_string(&args.plan).map_err(|error| {
        CliError::new(format!("cannot read '{shown}': {error}"))
            .with_hint("check the path of the plan file")
    })?;
    let plan = Plan::parse(&args.plan, &text)?;
    let store = settings.store();
    let context = settings.context();
    let checked = plan.check(&store, &context)?;
    let head_version = checked.head_version;
    let evaluation = checked.evaluation;
    let breaking = evaluation.impact.verdict == Verdict::Breaking;
    let rewrite = rewrite_reason(
        &evaluation,
        &plan.modifications,
        &plan.summary,
        plan.request.as_deref().unwrap_or_default(),
    );
    if !printer.json {
        let summary = if plan.summary.is_empty() {
            "(no summary)"
        } else {
            plan.summary.as_str()
        };
        printer.line(format!(
            "Plan for '{}' v{}: {summary}",
            plan.workflow, plan.base_version
        ));
        if plan.base_version != head_version {
            printer.line(paint(
                WARNING,
                format!(
                    "  the workflow is now at v{head_version}; the plan will be re-applied on it"
                ),
            ));
        }
        for line in evaluation_lines(&evaluation, true) {
            printer.line(line);
        }
        if let Some(rewrite) = &rewrite {
            printer.line(format!("  ! a rewrite, not an edit: {rewrite}"));
        }
        printer.line("");
    }
    let document = |applied: bool, version: Option<u64>| {
        serde_json::json!({
            "applied": applied,
            "workflow": plan.workflow,
            "version": version,
            "verdict": evaluation.impact.verdict,
            "rewrite": rewrite,
            "impact": evaluation.impact,
            "changes": evaluation.diff.changes,
        })
    };
    if args.dry_run {
        if printer.json {
            printer.document(&document(false, None));
        }
        return Err(refused(
            "Dry run: nothing applied.",
            format!("run `qwf apply {shown}` without --dry-run to apply it"),
        ));
    }
    if settings.interactive && !args.yes {
        let question = if rewrite.is_some() {
            "This rewrites the workflow rather than editing it. Apply anyway?"
        } else if breaking {
            "This change breaks the workflow. Apply anyway?"
        } else {
            "Apply?"
        };
        if !prompt::confirm(question) {
            return Err(refused(
                "Cancelled. Nothing changed.",
                "nothing was applied",
            ));
        }
    } else if (breaking || rewrite.is_some()) && !args.force {
        if printer.json {
            printer.document(&document(false, None));
        }
        return Err(refused(
            if breaking {
                "The plan breaks the workflow; nothing applied."
            } else {
                "The plan rewrites the workflow rather than editing it; nothing applied."
            },
            "look at the impact above; add --force to apply it anyway",
        ));
    }
    let origin = match &plan.request {
        Some(text) => Origin::Request { text: text.clone() },
        None => Origin::Command {
            command: format!("qwf apply {shown}"),
        },
    };
    let committed = plan.commit(&store, origin, Vec::new(), &context)?;
    if printer.json {
        printer.document(&document(true, Some(committed.record.version)));
    } else {
        let rebased = committed
            .rebased_from
            .map(|base| format!(", re-applied from v{base}"))
            .unwrap_or_default();
        printer.line(format!(
            "{} Applied to '{}' (now v{}{rebased})",
            paint(GOOD, "✓"),
            plan.workflow,
            committed.record.version
        ));
    }
    Ok(Outcome::Done)
}
