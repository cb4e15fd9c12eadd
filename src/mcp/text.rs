//! The text of each tool result, for the host's model to read (and often
//! to show the user): plain lines, no colour, the facts of the structured
//! content and what to do next.

use std::fmt::Write;

use serde_json::{Value, json};

use super::tools::Answer;
use crate::agent::gate::{Proposal, ProposalKind, explain};
use crate::store::pending::{PLAN_LIFETIME, PendingChange, PendingPlan};

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn plural(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

/// `list_workflows`.
pub(super) fn workflows(content: &Value) -> String {
    let workflows = content["workflows"].as_array().cloned().unwrap_or_default();
    let deleted = strings(&content["deleted"]);
    let mut text = if workflows.is_empty() {
        "No workflows yet; create_workflow proposes one from a description.".to_string()
    } else {
        format!("{}:", plural(workflows.len(), "workflow"))
    };
    for workflow in &workflows {
        let name = str_of(workflow, "name");
        if let Some(problem) = workflow["problem"].as_str() {
            let _ = write!(text, "\n- {name}: cannot be read: {problem}");
            continue;
        }
        let version = workflow["version"].as_u64().map_or_else(
            || "not recorded yet".to_string(),
            |version| format!("v{version}"),
        );
        let steps = workflow["steps"]
            .as_u64()
            .map(|steps| format!(", {}", plural(steps as usize, "step")))
            .unwrap_or_default();
        let description = workflow["description"]
            .as_str()
            .filter(|description| !description.is_empty())
            .map(|description| format!(": {description}"))
            .unwrap_or_default();
        let _ = write!(text, "\n- {name} ({version}{steps}){description}");
    }
    if !deleted.is_empty() {
        let _ = write!(
            text,
            "\nDeleted, with their history kept (rollback restores one): {}",
            deleted.join(", ")
        );
    }
    text
}

/// `get_workflow`.
pub(super) fn workflow(content: &Value) -> String {
    let workflow = &content["workflow"];
    let version = content["version"].as_u64().unwrap_or_default();
    let current = content["current"].as_u64().unwrap_or_default();
    let which = if version == current {
        format!("v{version}, the current version")
    } else {
        format!("v{version}; the current version is v{current}")
    };
    let json = serde_json::to_string_pretty(workflow).unwrap_or_default();
    format!("Workflow '{}' ({which}):\n{json}", str_of(workflow, "name"))
}

/// One issue on one line, and its hint on the next.
fn issue_lines(issue: &Value) -> [String; 2] {
    let mut place = Vec::new();
    if let Some(pointer) = issue["pointer"]
        .as_str()
        .filter(|pointer| !pointer.is_empty())
    {
        place.push(format!("at {pointer}"));
    }
    if let Some(step) = issue["step_id"].as_str() {
        place.push(format!("step '{step}'"));
    }
    let place = if place.is_empty() {
        String::new()
    } else {
        format!(" ({})", place.join(", "))
    };
    [
        format!(
            "- {}[{}]: {}{place}",
            str_of(issue, "severity"),
            str_of(issue, "code"),
            str_of(issue, "message")
        ),
        format!("  hint: {}", str_of(issue, "hint")),
    ]
}

/// `validate_workflow`.
pub(super) fn validation(content: &Value) -> String {
    let name = str_of(content, "workflow");
    let issues = content["issues"].as_array().cloned().unwrap_or_default();
    let errors = issues
        .iter()
        .filter(|issue| issue["severity"] == "error")
        .count();
    let warnings = issues.len() - errors;
    let mut text = match (errors, warnings) {
        (0, 0) => format!("'{name}' is valid: no problems."),
        (0, _) => format!("'{name}' is valid, with {}:", plural(warnings, "warning")),
        _ => format!(
            "'{name}' is not valid: {}, {}:",
            plural(errors, "error"),
            plural(warnings, "warning")
        ),
    };
    for issue in &issues {
        for line in issue_lines(issue) {
            text.push('\n');
            text.push_str(&line);
        }
    }
    text
}

/// `history`.
pub(super) fn history(content: &Value) -> String {
    let versions = content["versions"].as_array().cloned().unwrap_or_default();
    let mut text = format!(
        "'{}' has {}, newest first:",
        str_of(content, "workflow"),
        plural(versions.len(), "version")
    );
    for (index, version) in versions.iter().enumerate().rev() {
        let current = if index + 1 == versions.len() {
            " (current)"
        } else {
            ""
        };
        let _ = write!(
            text,
            "\n- v{}{current}, {}: {} [{}]",
            version["version"],
            str_of(version, "timestamp"),
            str_of(version, "description"),
            str_of(version, "origin")
        );
    }
    text
}

/// `show_diff`.
pub(super) fn diff(content: &Value) -> String {
    let (from, to) = (&content["from"], &content["to"]);
    let changes = strings(&content["changes"]);
    let name = str_of(content, "workflow");
    if changes.is_empty() {
        return format!("No changes from v{from} to v{to} of '{name}'.");
    }
    let mut text = format!("Changes from v{from} to v{to} of '{name}':");
    for change in changes {
        let _ = write!(text, "\n  {change}");
    }
    text
}

fn skill_line(skill: &Value) -> String {
    let mut line = format!("- {} ({})", str_of(skill, "name"), str_of(skill, "type"));
    if let Some(description) = skill["description"]
        .as_str()
        .filter(|text| !text.is_empty())
    {
        let _ = write!(line, ": {description}");
    }
    let inputs = strings(&skill["inputs"]);
    let outputs = strings(&skill["outputs"]);
    if !inputs.is_empty() || !outputs.is_empty() {
        let _ = write!(
            line,
            " [inputs: {}; outputs: {}]",
            if inputs.is_empty() {
                "none".into()
            } else {
                inputs.join(", ")
            },
            if outputs.is_empty() {
                "none".into()
            } else {
                outputs.join(", ")
            }
        );
    }
    line
}

/// `list_skills`: a plain list, or a part of the matches with a note.
pub(super) fn skills(content: &Value) -> String {
    let (skills, note) = match content {
        Value::Array(skills) => (skills.clone(), None),
        other => (
            other["skills"].as_array().cloned().unwrap_or_default(),
            other["note"].as_str(),
        ),
    };
    let mut text = if skills.is_empty() {
        "No skills.".to_string()
    } else {
        format!("{}:", plural(skills.len(), "skill"))
    };
    for skill in &skills {
        text.push('\n');
        text.push_str(&skill_line(skill));
    }
    if let Some(note) = note {
        let _ = write!(text, "\n{note}");
    }
    text
}

/// `list_resources`: one section per kind.
pub(super) fn resources(content: &Value) -> String {
    let mut sections = Vec::new();
    let skills = match &content["skills"] {
        Value::Array(skills) => skills.clone(),
        other => other["skills"].as_array().cloned().unwrap_or_default(),
    };
    if !skills.is_empty() {
        let lines: Vec<String> = skills.iter().map(skill_line).collect();
        sections.push(format!("Skills:\n{}", lines.join("\n")));
    }
    let listed = |key: &str, title: &str, line: &dyn Fn(&Value) -> String| {
        let items = content[key].as_array().cloned().unwrap_or_default();
        (!items.is_empty()).then(|| {
            let lines: Vec<String> = items.iter().map(line).collect();
            format!("{title}:\n{}", lines.join("\n"))
        })
    };
    let described = |item: &Value| {
        let description = item["description"]
            .as_str()
            .filter(|text| !text.is_empty())
            .map(|text| format!(": {text}"))
            .unwrap_or_default();
        format!("- {}{description}", str_of(item, "name"))
    };
    sections.extend(listed("workflows", "Workflows", &described));
    sections.extend(listed("agents", "Agents", &|agent| {
        format!("{} ({})", described(agent), str_of(agent, "client"))
    }));
    sections.extend(listed("mcp_servers", "MCP servers", &|server| {
        format!(
            "- {} ({})",
            str_of(server, "name"),
            str_of(server, "client")
        )
    }));
    sections.extend(listed("mcp_tools", "MCP tools", &|tool| {
        format!("{} (server {})", described(tool), str_of(tool, "server"))
    }));
    if let Some(note) = content["note"].as_str() {
        sections.push(format!("Note: {note}"));
    }
    if sections.is_empty() {
        return "Nothing found.".into();
    }
    sections.join("\n\n")
}

/// The impact in lines: the verdict, then what breaks and why.
pub(super) fn impact_lines(impact: &Value) -> Vec<String> {
    let verdict = str_of(impact, "verdict").replace('_', " ");
    let mut lines = vec![format!("Impact: {verdict}")];
    for id in strings(&impact["steps_removed"]) {
        lines.push(format!("  - step '{id}' is removed"));
    }
    for broken in impact["broken_references"].as_array().into_iter().flatten() {
        lines.push(format!("  ✗ {}", str_of(broken, "message")));
    }
    for error in impact["errors"].as_array().into_iter().flatten() {
        lines.push(format!(
            "  ✗ {} (hint: {})",
            str_of(error, "message"),
            str_of(error, "hint")
        ));
    }
    for warning in strings(&impact["warnings"]) {
        lines.push(format!("  ⚠ {warning}"));
    }
    for skill in strings(&impact["new_skills_needed"]) {
        lines.push(format!("  + skill '{skill}' does not exist yet"));
    }
    lines
}

fn changes_lines(changes: &[String]) -> Vec<String> {
    if changes.is_empty() {
        return vec!["No changes.".into()];
    }
    let mut lines = vec!["Changes:".to_string()];
    lines.extend(changes.iter().map(|change| format!("  {change}")));
    lines
}

/// `analyze_impact`.
pub(super) fn impact(content: &Value) -> String {
    let mut lines = vec![format!(
        "If applied to '{}' (nothing was saved):",
        str_of(content, "workflow")
    )];
    lines.extend(changes_lines(&strings(&content["changes"])));
    lines.extend(impact_lines(&content["impact"]));
    lines.join("\n")
}

/// `rollback` to the version that is already current.
pub(super) fn nothing_to_do(content: &Value) -> String {
    format!(
        "Nothing to do: {}. No plan was made.",
        str_of(content, "reason")
    )
}

/// A saved plan, for every proposing tool: what it changes, its impact in
/// plain words, and how to apply it.
pub(super) fn proposal(pending: &PendingPlan, proposal: &Proposal, undone: &[Value]) -> Answer {
    let changes: Vec<String> = proposal
        .evaluation
        .as_ref()
        .map(|evaluation| {
            evaluation
                .diff
                .changes
                .iter()
                .map(ToString::to_string)
                .collect()
        })
        .unwrap_or_default();
    let impact = proposal
        .evaluation
        .as_ref()
        .map(|evaluation| json!(evaluation.impact))
        .unwrap_or(Value::Null);
    let explanation = explain(proposal);
    let verdict = proposal.verdict();
    let mut structured = json!({
        "plan_id": pending.id,
        "kind": pending.change.kind(),
        "summary": pending.summary,
        "verdict": verdict,
        "changes": changes,
        "impact": impact,
        "explanation": explanation,
        "expires": pending.expires,
        "applied": false,
    });
    let mut lines = Vec::new();
    match &pending.change {
        PendingChange::Modify { plan } => {
            structured["workflow"] = json!(plan.workflow);
            structured["base_version"] = json!(plan.base_version);
            structured["modifications"] = json!(plan.modifications);
            lines.push(format!(
                "Proposed change to '{}' (v{}): {}",
                plan.workflow, plan.base_version, pending.summary
            ));
        }
        PendingChange::Rollback {
            workflow,
            base_version,
            to,
        } => {
            structured["workflow"] = json!(workflow);
            structured["base_version"] = json!(base_version);
            structured["to"] = json!(to);
            structured["undoes"] = json!(undone);
            lines.push(format!(
                "Proposed rollback of '{workflow}' from v{base_version} to v{to}, as a new version (history is kept)."
            ));
            if !undone.is_empty() {
                lines.push("It undoes:".into());
                for version in undone.iter().rev() {
                    lines.push(format!(
                        "  v{}: {}",
                        version["version"],
                        str_of(version, "description")
                    ));
                }
            }
        }
        PendingChange::Create {
            workflow,
            new_skills,
        } => {
            structured["workflow"] = json!(workflow.name);
            structured["content"] = json!(workflow);
            structured["new_skills"] = json!(new_skills);
            lines.push(format!(
                "Proposed new workflow '{}': {}",
                workflow.name, pending.summary
            ));
            if !new_skills.is_empty() {
                lines.push("Skills it creates (they do not exist yet):".into());
                for skill in new_skills {
                    lines.push(format!("  {}", skill_line(&json!(skill))));
                }
            }
        }
        PendingChange::CreateSkill { skill } => {
            structured["skill"] = json!(skill);
            lines.push(format!(
                "The change needs a new skill first: {}",
                skill_line(&json!(skill))
            ));
            lines.push("This plan creates the skill. After apply_plan, make the same request again to get the change itself.".into());
        }
    }
    if !matches!(proposal.kind, ProposalKind::CreateSkill { .. }) {
        lines.extend(changes_lines(&changes));
        lines.extend(impact_lines(&structured["impact"]));
        lines.push("Why:".into());
        lines.extend(explanation.iter().map(|line| format!("  {line}")));
    }
    lines.push(String::new());
    lines.push(format!(
        "Nothing is applied yet. Plan id: {} (it expires at {}, {} hours after it was made).",
        pending.id,
        pending.expires,
        PLAN_LIFETIME.as_secs() / 3600
    ));
    lines.push(if verdict == crate::core::Verdict::Breaking {
        format!(
            "This plan breaks the workflow: tell the user what breaks. apply_plan refuses it unless called with force: true, which only the user should decide (plan_id \"{}\").",
            pending.id
        )
    } else {
        format!(
            "Show the user the changes and the impact; if they agree, call apply_plan with plan_id \"{}\".",
            pending.id
        )
    });
    Answer {
        text: lines.join("\n"),
        structured,
    }
}

/// `apply_plan`, once applied.
pub(super) fn applied(structured: &Value, note: Option<&str>) -> String {
    let id = str_of(structured, "plan_id");
    let mut lines = Vec::new();
    match structured["workflow"].as_str() {
        Some(workflow) => {
            let mut line = format!(
                "Applied plan {id}: '{workflow}' is now v{}",
                structured["version"]
            );
            if let Some(base) = structured["rebased_from"].as_u64() {
                let _ = write!(
                    line,
                    " (the plan was made for v{base} and was re-applied on the newer version)"
                );
            }
            line.push('.');
            lines.push(line);
        }
        None => lines.push(format!(
            "Applied plan {id}: created skill '{}'.",
            str_of(structured, "skill")
        )),
    }
    let created = strings(&structured["skills_created"]);
    if !created.is_empty() {
        lines.push(format!("Created skills: {}.", created.join(", ")));
    }
    let changes = strings(&structured["changes"]);
    if !changes.is_empty() {
        lines.extend(changes_lines(&changes));
    }
    if let Some(note) = note {
        lines.push(format!("Note: {note}"));
    }
    lines.join("\n")
}
