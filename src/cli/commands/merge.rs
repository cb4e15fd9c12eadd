use serde_json::Value;

use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{BOLD, DIM, ERROR, GOOD, Printer, paint};
use crate::cli::prompt;
use crate::cli::render::evaluation_lines;
use crate::cli::settings::Settings;
use crate::core::merge::{Conflict, Resolutions, Resolved, Side, merge_resolving};
use crate::core::{Verdict, evaluate_result};
use crate::store::{Change, Origin, Provenance, VersionRef};

/// Merge a branch back: `qwf merge BRANCH into NAME`. A three-way merge
/// keyed on step ids. A conflict (a field changed two ways, a step removed
/// on one side and changed on the other, …) is settled with `--ours` (keep
/// NAME's side) or `--theirs` (take the branch's side); on a terminal, each
/// conflict can be settled in turn (ours / theirs / both to see the two
/// sides first). The merged version records how each conflict was settled.
/// Without a choice, conflicts are listed and nothing changes (exit 3).
#[derive(Debug, clap::Args)]
pub struct Args {
    pub branch: String,
    /// The word `into`.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(["into"]))]
    pub into: String,
    pub name: String,
    /// Settle every conflict with NAME's side.
    #[arg(long, conflicts_with = "theirs")]
    pub ours: bool,
    /// Settle every conflict with the branch's side.
    #[arg(long)]
    pub theirs: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With --yes, also merge when the result breaks the workflow.
    #[arg(long)]
    pub force: bool,
}

/// How many rounds of questions a merge may take: settling one conflict
/// can reveal another (a step brought back whose own place is gone).
const ROUNDS: usize = 8;

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let context = settings.context();
    let inputs = store.merge_inputs(&args.branch, &args.name, &context)?;
    let mut resolutions = Resolutions {
        every: match (args.ours, args.theirs) {
            (true, _) => Some(Side::Ours),
            (_, true) => Some(Side::Theirs),
            _ => None,
        },
        ..Resolutions::default()
    };
    let can_ask = settings.interactive && !printer.json && resolutions.every.is_none();
    let mut rounds = 0;
    let merged = loop {
        match merge_resolving(
            &inputs.base,
            &inputs.ours.workflow,
            &inputs.theirs,
            &resolutions,
        ) {
            Ok(merged) => break merged,
            Err(conflicts) if can_ask && rounds < ROUNDS => {
                rounds += 1;
                if rounds == 1 {
                    conflict_list(printer, &conflicts, args);
                }
                for (index, conflict) in conflicts.iter().enumerate() {
                    match choose(printer, conflict, index + 1, conflicts.len(), args) {
                        Some(side) => {
                            resolutions.chosen.insert(conflict.key(), side);
                        }
                        None => {
                            return Err(refused(
                                "Cancelled. Nothing changed.",
                                "nothing was merged",
                            ));
                        }
                    }
                }
            }
            Err(conflicts) => {
                if printer.json {
                    printer
                        .document(&serde_json::json!({ "applied": false, "conflicts": conflicts }));
                } else {
                    conflict_list(printer, &conflicts, args);
                }
                return Err(refused(
                    "Nothing changed.",
                    format!(
                        "settle every conflict with --ours (keep '{}') or --theirs (take '{}'), run it on a terminal to choose for each, or make the two sides agree and merge again",
                        args.name, args.branch
                    ),
                ));
            }
        }
    };
    if merged.workflow == inputs.ours.workflow && merged.resolved.is_empty() {
        if printer.json {
            printer
                .document(&serde_json::json!({ "applied": false, "reason": "already up to date" }));
        } else {
            printer.line(format!(
                "Already up to date: '{}' has nothing new for '{}'.",
                args.branch, args.name
            ));
        }
        return Ok(Outcome::Done);
    }
    if merged.workflow == inputs.ours.workflow {
        // Every conflict was settled with our side and nothing else came.
        if printer.json {
            printer.document(&serde_json::json!({
                "applied": false,
                "reason": "every difference was settled with the current version",
                "resolved": merged.resolved,
            }));
        } else {
            for line in resolved_lines(&merged.resolved) {
                printer.line(line);
            }
            printer.line(format!(
                "Nothing to merge: with these choices '{}' stays as it is.",
                args.name
            ));
        }
        return Ok(Outcome::Done);
    }
    let known = store.known_resources().ok();
    let evaluation = evaluate_result(&inputs.ours.workflow, merged.workflow, known.as_ref());
    if !printer.json {
        printer.line(format!(
            "Merging '{}' v{} into '{}' v{}:",
            args.branch, inputs.theirs_version, args.name, inputs.ours.record.version
        ));
        for line in resolved_lines(&merged.resolved) {
            printer.line(line);
        }
        for line in evaluation_lines(&evaluation, true) {
            printer.line(line);
        }
        printer.line("");
    }
    let breaking = evaluation.impact.verdict == Verdict::Breaking;
    if settings.interactive && !args.yes {
        if !prompt::confirm("Merge?") {
            return Err(refused("Cancelled. Nothing changed.", "nothing was merged"));
        }
    } else if breaking && !args.force {
        return Err(refused(
            "The merge breaks the workflow; nothing changed.",
            "look at the impact above; add --force to merge anyway",
        ));
    }
    let mut description = format!("Merged {} v{}", args.branch, inputs.theirs_version);
    if !merged.resolved.is_empty() {
        let settled: Vec<String> = merged
            .resolved
            .iter()
            .map(|resolved| format!("{} → {}", place(&resolved.conflict), resolved.side))
            .collect();
        description.push_str(&format!(
            "; {} conflict{} settled: {}",
            settled.len(),
            if settled.len() == 1 { "" } else { "s" },
            settled.join(", ")
        ));
    }
    let mut provenance = Provenance::new(
        description,
        Origin::Command {
            command: command_text(args),
        },
    );
    provenance.merged_from = Some(VersionRef {
        workflow: args.branch.clone(),
        version: inputs.theirs_version,
    });
    provenance.resolved_conflicts = merged.resolved.clone();
    let committed = store.commit(
        &args.name,
        Some(inputs.ours.record.version),
        Change::Replace(Box::new(evaluation.result)),
        provenance,
        &context,
    )?;
    if printer.json {
        printer.document(&serde_json::json!({
            "applied": true,
            "version": committed.record.version,
            "verdict": evaluation.impact.verdict,
            "changes": evaluation.diff.changes,
            "resolved": merged.resolved,
        }));
    } else {
        printer.line(format!(
            "{} Merged '{}' into '{}' (now v{})",
            paint(GOOD, "✓"),
            args.branch,
            args.name,
            committed.record.version
        ));
    }
    Ok(Outcome::Done)
}

/// The command as the log records it, with the side chosen for all.
fn command_text(args: &Args) -> String {
    let mut command = format!("qwf merge {} into {}", args.branch, args.name);
    if args.ours {
        command.push_str(" --ours");
    }
    if args.theirs {
        command.push_str(" --theirs");
    }
    command
}

fn conflict_list(printer: &mut Printer, conflicts: &[Conflict], args: &Args) {
    printer.line(format!(
        "{} {} conflict{} merging '{}' into '{}':",
        paint(ERROR, "✗"),
        conflicts.len(),
        if conflicts.len() == 1 { "" } else { "s" },
        args.branch,
        args.name
    ));
    for conflict in conflicts {
        printer.line(format!("  {conflict}"));
    }
}

/// Asks which side settles one conflict; `both` shows the two sides (and
/// the common base) in full, then asks again. `None` when the user stops.
fn choose(
    printer: &mut Printer,
    conflict: &Conflict,
    number: usize,
    total: usize,
    args: &Args,
) -> Option<Side> {
    printer.line("");
    printer.line(format!(
        "{} {number}/{total}: {conflict}",
        paint(BOLD, "Conflict")
    ));
    loop {
        let question = format!(
            "Keep ours ('{}') or take theirs ('{}')? both shows each side.",
            args.name, args.branch
        );
        match prompt::choose(&question, &["ours", "theirs", "both"]).as_deref() {
            Some("ours") => return Some(Side::Ours),
            Some("theirs") => return Some(Side::Theirs),
            Some("both") => {
                for (label, value) in [
                    (format!("ours ('{}')", args.name), &conflict.ours),
                    (format!("theirs ('{}')", args.branch), &conflict.theirs),
                    ("the common base".to_string(), &conflict.base),
                ] {
                    printer.line(format!("  {}:", paint(BOLD, label)));
                    for line in shown(value.as_ref()).lines() {
                        printer.line(format!("    {line}"));
                    }
                }
            }
            _ => return None,
        }
    }
}

/// A side's value as people read it: JSON, or what its absence means.
fn shown(value: Option<&Value>) -> String {
    match value {
        None => paint(DIM, "(not there)"),
        Some(value) => serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()),
    }
}

/// Where a conflict is: `step 'fetch' timeout_secs`, `context.table`.
fn place(conflict: &Conflict) -> String {
    match &conflict.step_id {
        Some(id) => format!("step '{id}' {}", conflict.field),
        None => conflict.field.clone(),
    }
}

fn resolved_lines(resolved: &[Resolved]) -> Vec<String> {
    resolved
        .iter()
        .map(|resolved| {
            let value = match resolved.side {
                Side::Ours => &resolved.conflict.ours,
                Side::Theirs => &resolved.conflict.theirs,
            };
            let value = match value {
                Some(value) if !value.is_object() && !value.is_array() => {
                    format!(" ({value})")
                }
                None => " (not there)".to_string(),
                _ => String::new(),
            };
            format!(
                "  {} settled {}: {}{value}",
                paint(GOOD, "✓"),
                place(&resolved.conflict),
                resolved.side
            )
        })
        .collect()
}
