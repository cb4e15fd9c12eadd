//! Rendering engine results for people: validation issues with their place
//! in the file, a source excerpt and a hint.

use serde::Serialize;

use super::output::{DIM, ERROR, HINT, WARNING, paint};
use crate::core::locate::line_column;
use crate::core::validation::{Issue, IssueCode, Severity};

/// An issue with its place in a source file, as printed and as `--json`.
#[derive(Debug, Serialize)]
pub struct PlacedIssue {
    pub severity: Severity,
    /// A validation code, or `invalid_json` when the file does not parse.
    pub code: String,
    pub message: String,
    pub pointer: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    pub hint: String,
}

impl PlacedIssue {
    pub fn from_issue(issue: &Issue, source: &str) -> Self {
        let place = line_column(source, &issue.pointer);
        PlacedIssue {
            severity: issue.severity,
            code: code_name(issue.code),
            message: issue.message.clone(),
            pointer: Some(issue.pointer.clone()),
            line: place.map(|(line, _)| line),
            column: place.map(|(_, column)| column),
            step_id: issue.step_id.clone(),
            hint: issue.hint.clone(),
        }
    }
}

fn code_name(code: IssueCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The lines that show one issue: headline, place, excerpt, hint.
pub fn issue_lines(issue: &PlacedIssue, label: &str, source: &str) -> Vec<String> {
    let (style, word) = match issue.severity {
        Severity::Error => (ERROR, "error"),
        Severity::Warning => (WARNING, "warning"),
    };
    let mut lines = vec![format!(
        "{}: {}",
        paint(style, format!("{word}[{}]", issue.code)),
        issue.message
    )];
    let pointer = issue
        .pointer
        .as_deref()
        .filter(|pointer| !pointer.is_empty());
    match (issue.line, issue.column) {
        (Some(line), Some(column)) => {
            let at = pointer
                .map(|pointer| format!(" ({pointer})"))
                .unwrap_or_default();
            lines.push(format!(
                "  {} {label}:{line}:{column}{at}",
                paint(DIM, "-->")
            ));
            if let Some(text) = source.lines().nth(line - 1) {
                let number = line.to_string();
                let gutter = " ".repeat(number.len());
                let shown: String = text.chars().take(160).collect();
                lines.push(format!("  {gutter} {}", paint(DIM, "|")));
                lines.push(format!(
                    "  {} {} {shown}",
                    paint(DIM, &number),
                    paint(DIM, "|")
                ));
                let caret_at = column.saturating_sub(1).min(shown.chars().count());
                let padding: String = shown
                    .chars()
                    .take(caret_at)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                lines.push(format!(
                    "  {gutter} {} {padding}{}",
                    paint(DIM, "|"),
                    paint(style, "^")
                ));
            }
        }
        _ => {
            if let Some(pointer) = pointer {
                lines.push(format!("  {} {label} ({pointer})", paint(DIM, "-->")));
            }
        }
    }
    lines.push(format!("  {} {}", paint(HINT, "hint:"), issue.hint));
    lines
}

/// "2 errors, 1 warning".
pub fn count_summary(errors: usize, warnings: usize) -> String {
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// The semantic diff, one coloured line per change.
pub fn diff_lines(diff: &crate::core::SemanticDiff) -> Vec<String> {
    use super::output::{GOOD, paint};
    diff.changes
        .iter()
        .map(|change| {
            let text = change.to_string();
            match text.chars().next() {
                Some('+') => paint(GOOD, text),
                Some('-') => paint(ERROR, text),
                _ => paint(WARNING, text),
            }
        })
        .collect()
}

/// The impact of a change, as the gate shows it.
pub fn impact_lines(impact: &crate::core::Impact) -> Vec<String> {
    use crate::core::Verdict;
    let verdict = match impact.verdict {
        Verdict::Safe => paint(super::output::GOOD, "safe"),
        Verdict::NeedsAttention => paint(WARNING, "needs attention"),
        Verdict::Breaking => paint(ERROR, "breaking"),
    };
    let mut lines = vec![format!("Impact: {verdict}")];
    for id in &impact.steps_removed {
        lines.push(format!("  - step '{id}' will be removed"));
    }
    for broken in &impact.broken_references {
        lines.push(format!("  {} {}", paint(ERROR, "✗"), broken.message));
    }
    for error in &impact.errors {
        lines.push(format!("  {} {}", paint(ERROR, "✗"), error.message));
    }
    for warning in &impact.warnings {
        lines.push(format!("  {} {warning}", paint(WARNING, "⚠")));
    }
    for skill in &impact.new_skills_needed {
        lines.push(format!("  + skill '{skill}' needs creating"));
    }
    lines
}

/// A change as the gate shows it: the diff, a blank line, the impact.
pub fn evaluation_lines(evaluation: &crate::core::Evaluation, with_diff: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if with_diff {
        lines.extend(
            diff_lines(&evaluation.diff)
                .into_iter()
                .map(|line| format!("  {line}")),
        );
        lines.push(String::new());
    }
    lines.extend(impact_lines(&evaluation.impact));
    lines
}

/// A skill file as it would be saved, indented for a proposal.
pub fn skill_file_lines(skill: &crate::core::skill::Skill) -> Vec<String> {
    serde_json::to_string_pretty(skill)
        .unwrap_or_default()
        .lines()
        .map(|line| format!("  {line}"))
        .collect()
}

/// A skill file's problems, one headline and one hint each.
pub fn skill_problem_lines(problems: &[crate::core::skill::SkillProblem]) -> Vec<String> {
    let mut lines = Vec::new();
    for problem in problems {
        let (style, word) = match problem.severity {
            Severity::Error => (ERROR, "error"),
            Severity::Warning => (WARNING, "warning"),
        };
        lines.push(format!(
            "  {} {}: {}",
            paint(style, word),
            problem.pointer,
            problem.message
        ));
        lines.push(format!("    {} {}", paint(HINT, "hint:"), problem.hint));
    }
    lines
}
