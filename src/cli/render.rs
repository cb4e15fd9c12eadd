//! Rendering engine results for people: validation issues with their place
//! in the file, a source excerpt and a hint.

use serde::Serialize;

use super::output::{BOLD, DIM, ERROR, HINT, WARNING, paint};
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

/// The impact of a change, as the gate shows it: the verdict, how each
/// affected step runs before → after, what will newly execute, and every
/// new problem.
pub fn impact_lines(impact: &crate::core::Impact) -> Vec<String> {
    use crate::core::Verdict;
    let verdict = match impact.verdict {
        Verdict::Safe => paint(super::output::GOOD, "safe"),
        Verdict::NeedsAttention => paint(WARNING, "needs attention"),
        Verdict::Breaking => paint(ERROR, "breaking"),
    };
    // A rewrite is shown by whoever acts on it (the gate, `qwf apply`):
    // a rollback or a merge may change most steps by design.
    let mut lines = vec![format!("Impact: {verdict}")];
    for change in &impact.behaviour {
        // A new step that simply runs is the diff's "+ step" line.
        if change.before == crate::core::impact::Runs::Absent
            && change.after == crate::core::impact::Runs::Always
        {
            continue;
        }
        lines.push(format!("  {} {change}", paint(DIM, "•")));
    }
    for renamed in &impact.steps_renamed {
        lines.push(format!(
            "  {} {}: renamed to '{}' (every reference follows)",
            paint(DIM, "•"),
            renamed.from,
            renamed.to
        ));
    }
    for execution in &impact.executes {
        let was = execution
            .replaces
            .as_ref()
            .map(|old| format!(" instead of '{old}'"))
            .unwrap_or_default();
        let command = match &execution.executes {
            Some(command) => format!(": {}", paint(BOLD, command)),
            None => String::new(),
        };
        lines.push(format!(
            "  {} {} runs {} '{}'{was}{command}",
            paint(WARNING, "▶"),
            execution.step,
            execution.kind,
            execution.name
        ));
    }
    for shared in &impact.shared_values {
        lines.push(format!(
            "  {} context.{} is read by {}",
            paint(WARNING, "⚠"),
            shared.key,
            shared.quoted_readers()
        ));
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
    for agent in &impact.missing_agents {
        lines.push(format!(
            "  {} agent '{agent}' was not found",
            paint(WARNING, "⚠")
        ));
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

/// One modification and the values it sets, for approving changes one by
/// one (`iterative`).
pub fn modification_lines(modification: &crate::core::Modification) -> Vec<String> {
    use crate::core::Modification;
    let compact = |value: &serde_json::Value| value.to_string();
    let mut lines = vec![modification.to_string()];
    match modification {
        Modification::ModifyStep { id, changes } => {
            for (field, value) in changes.as_object().into_iter().flatten() {
                lines.push(if value.is_null() {
                    format!("  ~ {id}.{field}: removed")
                } else {
                    format!("  ~ {id}.{field} = {}", compact(value))
                });
            }
        }
        Modification::AddErrorHandling {
            step_id,
            error_handling,
        } => {
            let value = serde_json::to_value(error_handling).unwrap_or_default();
            lines.push(format!(
                "  ~ {step_id}.error_handling = {}",
                compact(&value)
            ));
        }
        Modification::AddStep { step, .. } => {
            let value = serde_json::to_value(step.as_ref()).unwrap_or_default();
            lines.push(format!("  + {}", compact(&value)));
        }
        Modification::SetContext { key, value } => {
            lines.push(format!("  ~ context.{key} = {}", compact(value)));
        }
        Modification::SetDescription { description } => {
            lines.push(format!("  ~ description = {description:?}"));
        }
        _ => {}
    }
    lines
}

/// A proposal in a few lines, for the gate's `details` (the whole JSON is
/// one answer away).
pub fn proposal_summary_lines(proposal: &crate::agent::gate::Proposal) -> Vec<String> {
    use crate::agent::gate::ProposalKind;
    let mut lines = Vec::new();
    match &proposal.kind {
        ProposalKind::Modify {
            workflow,
            base_version,
            modifications,
        } => {
            lines.push(format!(
                "Change to '{workflow}' v{base_version}: {}",
                proposal.summary
            ));
            lines.push(format!("  {} modifications:", modifications.len()));
            for (index, modification) in modifications.iter().enumerate() {
                for (line_index, line) in modification_lines(modification).iter().enumerate() {
                    if line_index == 0 {
                        lines.push(format!("    {}. {line}", index + 1));
                    } else {
                        lines.push(format!("      {line}"));
                    }
                }
            }
        }
        ProposalKind::Create {
            workflow,
            new_skills,
            ..
        } => {
            lines.push(format!(
                "New workflow '{}': {} top-level steps, {} new skills",
                workflow.name,
                workflow.steps.len(),
                new_skills.len()
            ));
        }
        ProposalKind::CreateSkill { skill, .. } => {
            lines.push(format!(
                "New skill '{}' ({}): {}",
                skill.name, skill.skill_type, skill.command
            ));
        }
        ProposalKind::Rollback {
            workflow,
            base_version,
            to,
        } => {
            lines.push(format!(
                "Roll '{workflow}' back from v{base_version} to v{to}"
            ));
        }
    }
    if let Some(evaluation) = &proposal.evaluation {
        let impact = &evaluation.impact;
        let count = |what: &str, ids: usize| format!("{ids} {what}");
        lines.push(format!(
            "  Steps: {}, {}, {}, {}, {}",
            count("added", impact.steps_added.len()),
            count("removed", impact.steps_removed.len()),
            count("modified", impact.steps_modified.len()),
            count("moved", impact.steps_moved.len()),
            count("renamed", impact.steps_renamed.len())
        ));
        lines.push(format!(
            "  Verdict: {}{}",
            impact.verdict,
            if impact.reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", impact.reasons.join("; "))
            }
        ));
        lines.push(format!(
            "  The result: {}",
            count_summary(
                evaluation.validation.error_count(),
                evaluation.validation.warning_count()
            )
        ));
    }
    if let Some(rewrite) = &proposal.rewrite {
        lines.push(format!("  Rewrite: {rewrite}"));
    }
    lines.push(paint(
        DIM,
        "  Answer `json` for the whole proposal as JSON (result, validation, impact, diff).",
    ));
    lines
}
