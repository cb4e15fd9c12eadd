//! Prompt texts, compiled in from `prompts/` so a prompt change is a
//! reviewed code change.

/// The system prompt of every conversation.
pub const SYSTEM: &str = include_str!("../../prompts/system.md");

/// Added when the request edits an existing workflow (`qwf edit`).
pub const EDIT: &str = include_str!("../../prompts/edit.md");

/// Added when the request creates a workflow (`qwf create`).
pub const CREATE: &str = include_str!("../../prompts/create.md");

/// Sent once when a model answers an edit in prose, proposing nothing.
pub const REMIND_EDIT: &str = include_str!("../../prompts/remind-edit.md");

/// Sent once when a model answers a creation in prose, proposing nothing.
pub const REMIND_CREATE: &str = include_str!("../../prompts/remind-create.md");

use crate::core::ranking::SkillIndex;
use crate::core::skill::Skill;

/// How many skills the creation prompt names; `list_skills` finds others.
pub const PROMPT_SKILLS: usize = 10;

/// The creation prompt's skills section: the skills that best fit the
/// request (never the whole registry, which does not fit a prompt at a few
/// hundred skills), each on one line, and how to find the others.
pub fn skills_section(skills: &[Skill], request: &str, limit: usize) -> String {
    if skills.is_empty() {
        return "\nThe user has no skills yet: every skill the workflow uses goes in new_skills.\n"
            .into();
    }
    let ranking = SkillIndex::new(skills).search(request, limit);
    if ranking.hits.is_empty() {
        return format!(
            "\nNone of the user's {} skills shares a word with the request; call list_skills with other words before proposing new ones.\n",
            skills.len()
        );
    }
    let mut section = format!(
        "\nThe user's skills that best fit this request ({} of {}; list_skills with a query finds others):\n",
        ranking.hits.len(),
        skills.len()
    );
    for hit in &ranking.hits {
        section.push_str(&skill_line(&skills[hit.index]));
        section.push('\n');
    }
    section
}

/// One skill in a prompt: "- name (type): description. Inputs: a. Outputs: b."
pub fn skill_line(skill: &Skill) -> String {
    let mut line = format!("- {} ({})", skill.name, skill.skill_type);
    let description = skill.description.trim().trim_end_matches('.');
    if !description.is_empty() {
        line.push_str(": ");
        line.push_str(description);
        line.push('.');
    }
    if let Some(inputs) = skill.inputs.as_ref().filter(|inputs| !inputs.is_empty()) {
        let shown: Vec<String> = inputs
            .iter()
            .map(|port| {
                if port.optional {
                    format!("{} (optional)", port.name)
                } else {
                    port.name.clone()
                }
            })
            .collect();
        line.push_str(&format!(" Inputs: {}.", shown.join(", ")));
    }
    if let Some(outputs) = skill.outputs.as_ref().filter(|outputs| !outputs.is_empty()) {
        let shown: Vec<String> = outputs
            .iter()
            .map(|port| match &port.value_type {
                Some(value_type) => format!("{} ({value_type})", port.name),
                None => port.name.clone(),
            })
            .collect();
        line.push_str(&format!(" Outputs: {}.", shown.join(", ")));
    }
    line
}

/// An estimate of how many tokens `text` costs a model: the larger of one
/// token per 4 characters and 4 tokens per 3 words (the usual rules of
/// thumb for English with BPE tokenizers; the larger one is the safer
/// bound for text full of names and punctuation).
pub fn estimate_tokens(text: &str) -> usize {
    let by_characters = text.chars().count().div_ceil(4);
    let by_words = (text.split_whitespace().count() * 4).div_ceil(3);
    by_characters.max(by_words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::skill::{Port, SkillType};

    fn skill(name: &str, description: &str) -> Skill {
        Skill {
            name: name.into(),
            skill_type: SkillType::CodeInline,
            description: description.into(),
            command: "true".into(),
            inputs: Some(Port::names(["url"])),
            outputs: Some(Port::names(["data"])),
            extra: Default::default(),
        }
    }

    #[test]
    fn the_section_names_only_the_best_matches() {
        let skills = vec![
            skill("db-writer", "Write records to a database table"),
            skill("http-fetch", "Fetch data from a URL over HTTP."),
            skill("image-resizer", "Resize images"),
        ];
        assert_eq!(
            skills_section(&skills, "download the report from the API", 1),
            "\nThe user's skills that best fit this request (1 of 3; list_skills with a query finds others):\n- http-fetch (code_inline): Fetch data from a URL over HTTP. Inputs: url. Outputs: data.\n"
        );
        assert!(
            skills_section(&skills, "quantum teleportation", 5)
                .contains("None of the user's 3 skills")
        );
        assert!(skills_section(&[], "anything", 5).contains("no skills yet"));
    }

    #[test]
    fn tokens_are_estimated_conservatively() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcdefgh"), 2);
        assert_eq!(estimate_tokens("a b c"), 4);
    }
}
