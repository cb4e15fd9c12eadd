use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{GOOD, Printer, paint};
use crate::cli::render::{PlacedIssue, count_summary, issue_lines};
use crate::cli::settings::Settings;
use crate::core::Workflow;
use crate::core::names::check_name;
use crate::core::validation::{IssueCode, KnownResources, Severity, validate};
use crate::store::{State, StoreError};

/// Check a workflow (by name, or a file) and report every problem at once.
///
/// Exits 0 when the workflow is valid (warnings allowed), 1 when it has
/// errors.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A workflow name in the qwf home, or the path of a workflow file.
    #[arg(value_name = "NAME|FILE")]
    pub target: PathBuf,
}

#[derive(Serialize)]
struct Document<'a> {
    file: &'a str,
    valid: bool,
    errors: usize,
    warnings: usize,
    issues: Vec<PlacedIssue>,
}

/// A bare valid name that the store knows is a workflow; anything else is a
/// path.
fn stored_name(target: &Path, settings: &Settings) -> Option<String> {
    let text = target.to_str()?;
    (check_name(text, "workflow").is_ok() && settings.store().exists(text))
        .then(|| text.to_string())
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    if let Some(name) = stored_name(&args.target, settings) {
        let store = settings.store();
        // Records a pending hand edit; a file that is not a workflow is
        // reported below with every problem, as a file given by path is.
        let workflow = match store.state(&name, &settings.context())? {
            State::Live(head) => {
                if let Some(note) = &head.unrecorded {
                    printer.note(note);
                }
                head.workflow
            }
            State::Deleted { latest } => {
                return Err(StoreError::Deleted {
                    name,
                    latest: latest.version,
                }
                .into());
            }
            // Not readable as a workflow: its problems are all there is.
            State::Broken { .. } => Workflow::default(),
        };
        // A stored workflow is checked against the skill registry too: a
        // step whose skill is missing (skipped at creation, or deleted)
        // is reported. A file from elsewhere is checked on its own.
        let known = store.known_resources_for(&workflow)?;
        let (_, broken) = store.skills()?;
        return check(
            &store.current_path(&name),
            &name,
            Some(&known),
            &broken,
            printer,
        );
    }
    check(
        &args.target,
        &args.target.display().to_string(),
        None,
        &[],
        printer,
    )
}

fn check(
    path: &Path,
    label: &str,
    known: Option<&KnownResources>,
    broken: &[crate::store::BrokenSkill],
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    let label = label.to_string();
    // A workflow of 10,000 steps is a few megabytes.
    const WORKFLOW_LIMIT: u64 = 64 * 1024 * 1024;
    let source = crate::store::read::read_named_text(path, WORKFLOW_LIMIT).map_err(|error| {
        let hint = if error.is_not_found() {
            "check the path; `qwf validate` takes a workflow name (`qwf list`) or the path of a workflow JSON file".to_string()
        } else {
            "check that the file is readable and is UTF-8 text".to_string()
        };
        CliError::new(format!("'{label}' {error}")).with_hint(hint)
    })?;
    let issues: Vec<PlacedIssue> = match Workflow::from_json_str(&source) {
        Ok(workflow) => validate(&workflow, known)
            .issues
            .iter()
            .map(|issue| {
                let mut placed = PlacedIssue::from_issue(issue, &source);
                // The file itself is sound; the workflow cannot run until
                // the skill or agent exists. A warning, so a home whose
                // workflows came before their skills still validates.
                if matches!(
                    issue.code,
                    IssueCode::UnknownSkill | IssueCode::UnknownAgent
                ) {
                    placed.severity = Severity::Warning;
                }
                // The skill's file is there but cannot be read: say that,
                // not "does not exist" (creating it again would be refused).
                if issue.code == IssueCode::UnknownSkill
                    && let Some(skill) = issue
                        .step_id
                        .as_deref()
                        .and_then(|id| crate::core::tree::find(&workflow.steps, id))
                        .and_then(|step| step.skill_name())
                    && let Some(file) = broken.iter().find(|file| {
                        file.path.file_stem().and_then(|stem| stem.to_str()) == Some(skill)
                    })
                {
                    placed.message = format!(
                        "step '{}' uses skill '{skill}', whose file {} cannot be read: {}",
                        issue.step_id.as_deref().unwrap_or_default(),
                        file.path.display(),
                        file.message
                    );
                    placed.hint =
                        "fix the skill file at that place (qwf never overwrites it)".into();
                }
                placed
            })
            .collect(),
        Err(error) => vec![PlacedIssue {
            severity: Severity::Error,
            code: "invalid_json".into(),
            message: error.message,
            pointer: None,
            line: (error.line > 0).then_some(error.line),
            column: (error.line > 0).then_some(error.column),
            step_id: None,
            hint: error.hint,
        }],
    };
    let mut issues = issues;
    // In file order, so the report reads top to bottom.
    issues.sort_by_key(|issue| (issue.line.unwrap_or(usize::MAX), issue.column.unwrap_or(0)));
    let errors = issues
        .iter()
        .filter(|issue| issue.severity == Severity::Error)
        .count();
    let warnings = issues.len() - errors;
    if printer.json {
        printer.document(&Document {
            file: &label,
            valid: errors == 0,
            errors,
            warnings,
            issues,
        });
    } else {
        for issue in &issues {
            for line in issue_lines(issue, &label, &source) {
                printer.line(line);
            }
        }
        if errors == 0 && warnings == 0 {
            printer.line(format!("{} {label} is valid", paint(GOOD, "✓")));
        } else if errors == 0 {
            printer.line(format!(
                "\n{} {label} is valid ({})",
                paint(GOOD, "✓"),
                count_summary(errors, warnings)
            ));
        } else {
            printer.line(format!(
                "\n✗ {label} is not valid: {}",
                count_summary(errors, warnings)
            ));
        }
    }
    Ok(if errors == 0 {
        Outcome::Done
    } else {
        Outcome::Failed
    })
}
