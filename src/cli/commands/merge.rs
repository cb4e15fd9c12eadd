use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{ERROR, GOOD, Printer, paint};
use crate::cli::prompt;
use crate::cli::render::evaluation_lines;
use crate::cli::settings::Settings;
use crate::core::{Verdict, evaluate_result, merge};
use crate::store::{Change, Origin, Provenance, VersionRef};

/// Merge a branch back: `qwf merge BRANCH into NAME`. A three-way merge
/// keyed on step ids; conflicts are listed and nothing changes.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub branch: String,
    /// The word `into`.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(["into"]))]
    pub into: String,
    pub name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With --yes, also merge when the result breaks the workflow.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let context = settings.context();
    let inputs = store.merge_inputs(&args.branch, &args.name, &context)?;
    let merged = match merge(&inputs.base, &inputs.ours.workflow, &inputs.theirs) {
        Ok(merged) => merged,
        Err(conflicts) => {
            if printer.json {
                printer.document(&serde_json::json!({ "applied": false, "conflicts": conflicts }));
            } else {
                printer.line(format!(
                    "{} {} conflict{} merging '{}' into '{}':",
                    paint(ERROR, "✗"),
                    conflicts.len(),
                    if conflicts.len() == 1 { "" } else { "s" },
                    args.branch,
                    args.name
                ));
                for conflict in &conflicts {
                    printer.line(format!("  {conflict}"));
                }
            }
            return Err(refused(
                "Nothing changed.",
                format!(
                    "make the two sides agree (edit '{}' or '{}'), then merge again",
                    args.branch, args.name
                ),
            ));
        }
    };
    if merged == inputs.ours.workflow {
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
    let known = store.known_resources().ok();
    let evaluation = evaluate_result(&inputs.ours.workflow, merged, known.as_ref());
    if !printer.json {
        printer.line(format!(
            "Merging '{}' v{} into '{}' v{}:",
            args.branch, inputs.theirs_version, args.name, inputs.ours.record.version
        ));
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
    let mut provenance = Provenance::new(
        format!("Merged {} v{}", args.branch, inputs.theirs_version),
        Origin::Command {
            command: format!("qwf merge {} into {}", args.branch, args.name),
        },
    );
    provenance.merged_from = Some(VersionRef {
        workflow: args.branch.clone(),
        version: inputs.theirs_version,
    });
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
