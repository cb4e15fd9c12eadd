use std::path::PathBuf;

use serde::Serialize;

use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{GOOD, Printer, paint};
use crate::cli::render::{PlacedIssue, count_summary, issue_lines};
use crate::core::Workflow;
use crate::core::validation::{Severity, validate};

/// Check a workflow file and report every problem at once.
///
/// Exits 0 when the workflow is valid (warnings allowed), 1 when it has
/// errors.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workflow file to check.
    #[arg(value_name = "FILE")]
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

pub fn run(args: &Args, printer: &mut Printer) -> Result<Outcome, CliError> {
    let label = args.target.display().to_string();
    let source = std::fs::read_to_string(&args.target).map_err(|error| {
        let hint = if error.kind() == std::io::ErrorKind::NotFound {
            "check the path; `qwf validate` takes the path of a workflow JSON file".to_string()
        } else {
            "check that the file is readable and is UTF-8 text".to_string()
        };
        CliError::new(format!("cannot read '{label}': {error}")).with_hint(hint)
    })?;
    let issues: Vec<PlacedIssue> = match Workflow::from_json_str(&source) {
        Ok(workflow) => validate(&workflow, None)
            .issues
            .iter()
            .map(|issue| PlacedIssue::from_issue(issue, &source))
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
