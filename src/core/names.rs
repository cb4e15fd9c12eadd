//! Rules for the names users and models choose: workflow and skill names
//! (which become file names) and step ids (which appear in references).

use thiserror::Error;

/// Names that would be awkward or dangerous as file names on some platform.
const RESERVED: [&str; 8] = [
    "con", "prn", "aux", "nul", "com1", "lpt1", "context", "versions",
];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("'{name}' is not a valid {what} name: {reason}")]
pub struct NameError {
    pub name: String,
    pub what: &'static str,
    pub reason: &'static str,
    pub hint: String,
}

/// Checks a workflow, branch or skill name: `[a-z0-9][a-z0-9_-]{0,63}`.
pub fn check_name(name: &str, what: &'static str) -> Result<(), NameError> {
    let error = |reason| NameError {
        name: name.to_string(),
        what,
        reason,
        hint: format!(
            "use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters (for example '{}')",
            suggest_name(name)
        ),
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(error("it is empty")),
        Some(first) if !(first.is_ascii_lowercase() || first.is_ascii_digit()) => {
            return Err(error("it must start with a lowercase letter or a digit"));
        }
        Some(_) => {}
    }
    if name.len() > 64 {
        return Err(error("it is longer than 64 characters"));
    }
    if name.contains('/') || name.contains('\\') || name.contains("..") {
        return Err(error("it contains a path separator or '..'"));
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
        return Err(error(
            "it may only contain lowercase letters, digits, '-' and '_'",
        ));
    }
    if RESERVED.contains(&name) {
        return Err(error("it is a reserved name"));
    }
    Ok(())
}

/// A valid name derived from free text ("Data Pipeline!" → "data-pipeline").
pub fn suggest_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_matches('-').chars().take(64).collect();
    let trimmed = trimmed.trim_end_matches('-').to_string();
    if trimmed.is_empty() || RESERVED.contains(&trimmed.as_str()) {
        format!("workflow-{trimmed}")
            .trim_end_matches('-')
            .to_string()
    } else {
        trimmed
    }
}

/// Why a step id cannot be used, if it cannot. Step ids appear in
/// references (`ID.OUTPUT`), so they may not contain dots or spaces.
pub fn step_id_problem(id: &str) -> Option<&'static str> {
    let mut chars = id.chars();
    match chars.next() {
        None => return Some("it is empty"),
        Some(first) if !first.is_ascii_alphanumeric() => {
            return Some("it must start with a letter or a digit");
        }
        Some(_) => {}
    }
    if id.len() > 64 {
        return Some("it is longer than 64 characters");
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Some("it may only contain letters, digits, '-' and '_'");
    }
    if id == "context" {
        return Some("'context' is reserved for context references");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_pass() {
        for name in ["data-pipeline", "a", "0", "etl_v2", &"a".repeat(64)] {
            assert_eq!(check_name(name, "workflow"), Ok(()), "{name}");
        }
    }

    #[test]
    fn hostile_names_are_refused() {
        for name in [
            "",
            "../etc",
            "a/b",
            "A",
            "-x",
            "a b",
            "a.json",
            "con",
            &"a".repeat(65),
            "é",
        ] {
            assert!(
                check_name(name, "workflow").is_err(),
                "{name:?} should be refused"
            );
        }
    }

    #[test]
    fn suggestions_are_valid_names() {
        for text in ["Data Pipeline!", "", "---", "CON", "über cool"] {
            let suggestion = suggest_name(text);
            assert_eq!(
                check_name(&suggestion, "workflow"),
                Ok(()),
                "{text:?} → {suggestion:?}"
            );
        }
        assert_eq!(suggest_name("Data Pipeline!"), "data-pipeline");
    }

    #[test]
    fn step_ids_may_not_contain_dots() {
        assert_eq!(step_id_problem("fetch"), None);
        assert_eq!(step_id_problem("Check-File_2"), None);
        assert!(step_id_problem("a.b").is_some());
        assert!(step_id_problem("").is_some());
        assert!(step_id_problem("context").is_some());
    }
}
