//! References: how a step reads context values and other steps' outputs.
//!
//! A reference is a string `context.KEY` or `STEP_ID.OUTPUT`. Strings of
//! other shapes are literals. A string shaped like a step reference whose
//! prefix is not a step is still treated as a (broken) reference, unless it
//! reads as a file name (`schema.json`) or a number (`1.5`), so a typo such as
//! `fecth.data` is reported instead of passed along as text.

use std::ops::Range;

/// A parsed reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference<'a> {
    Context { key: &'a str },
    Step { step: &'a str, output: &'a str },
}

impl Reference<'_> {
    pub fn step_id(&self) -> Option<&str> {
        match self {
            Reference::Step { step, .. } => Some(step),
            Reference::Context { .. } => None,
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(is_word_char)
}

/// Extensions that make `name.ext` read as a file name, not a reference.
const FILE_EXTENSIONS: [&str; 32] = [
    "json", "jsonl", "yaml", "yml", "toml", "csv", "tsv", "txt", "md", "html", "xml", "pdf", "log",
    "sql", "py", "sh", "js", "ts", "rs", "go", "rb", "png", "jpg", "jpeg", "gif", "svg", "gz",
    "zip", "tar", "parquet", "db", "ini",
];

/// Parses a string that has the shape of a reference.
///
/// `is_step` says whether a prefix names a step of the workflow; a prefix
/// that does not is only taken as a reference when the text does not read as
/// a file name or a number.
pub fn parse<'a>(text: &'a str, is_step: impl Fn(&str) -> bool) -> Option<Reference<'a>> {
    let (prefix, suffix) = text.split_once('.')?;
    if !is_word(prefix) || !is_word(suffix) {
        return None;
    }
    if prefix == "context" {
        return Some(Reference::Context { key: suffix });
    }
    if !is_step(prefix) {
        let has_letter = |part: &str| part.chars().any(|c| c.is_ascii_alphabetic());
        let lower = suffix.to_ascii_lowercase();
        if !has_letter(prefix) || !has_letter(suffix) || FILE_EXTENSIONS.contains(&lower.as_str()) {
            return None;
        }
    }
    Some(Reference::Step {
        step: prefix,
        output: suffix,
    })
}

/// The spans of reference-shaped words in a condition expression, outside
/// quoted strings.
pub fn condition_spans(condition: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut chars = condition.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '"' || c == '\'' {
            // Skip the quoted literal, honouring backslash escapes.
            let quote = c;
            while let Some((_, inner)) = chars.next() {
                if inner == '\\' {
                    chars.next();
                } else if inner == quote {
                    break;
                }
            }
            continue;
        }
        if is_word_char(c) {
            let mut end = start + c.len_utf8();
            while let Some(&(position, next)) = chars.peek() {
                if is_word_char(next) || next == '.' {
                    end = position + next.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let word = &condition[start..end];
            if word.matches('.').count() == 1 {
                spans.push(start..end);
            }
        }
    }
    spans
}

/// The references in a condition expression.
pub fn condition_references<'a>(
    condition: &'a str,
    is_step: impl Fn(&str) -> bool,
) -> Vec<Reference<'a>> {
    condition_spans(condition)
        .into_iter()
        .filter_map(|span| parse(&condition[span], &is_step))
        .collect()
}

/// Rewrites `old.X` to `new.X` in a reference string; `None` when unchanged.
pub fn rename_in_reference(text: &str, old: &str, new: &str) -> Option<String> {
    let (prefix, suffix) = text.split_once('.')?;
    (prefix == old && is_word(suffix)).then(|| format!("{new}.{suffix}"))
}

/// Rewrites every `old.X` reference in a condition to `new.X`.
pub fn rename_in_condition(condition: &str, old: &str, new: &str) -> Option<String> {
    let mut out = String::with_capacity(condition.len());
    let mut last = 0;
    let mut changed = false;
    for span in condition_spans(condition) {
        if let Some(renamed) = rename_in_reference(&condition[span.clone()], old, new) {
            out.push_str(&condition[last..span.start]);
            out.push_str(&renamed);
            last = span.end;
            changed = true;
        }
    }
    out.push_str(&condition[last..]);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(id: &str) -> bool {
        matches!(id, "fetch" | "check-file")
    }

    #[test]
    fn context_and_step_references_parse() {
        assert_eq!(
            parse("context.api_url", steps),
            Some(Reference::Context { key: "api_url" })
        );
        assert_eq!(
            parse("fetch.data", steps),
            Some(Reference::Step {
                step: "fetch",
                output: "data"
            })
        );
    }

    #[test]
    fn unknown_prefix_is_a_broken_reference_unless_it_reads_as_a_literal() {
        assert!(parse("fecth.data", steps).is_some());
        assert_eq!(parse("data-schema.json", steps), None);
        assert_eq!(parse("1.5", steps), None);
        assert_eq!(parse("v1.2", steps), None);
        assert_eq!(parse("https://api.example.com", steps), None);
        assert_eq!(parse("hello world", steps), None);
        assert_eq!(parse("a.b.c", steps), None);
    }

    #[test]
    fn a_known_step_wins_over_the_file_extension_rule() {
        assert!(parse("fetch.json", steps).is_some());
    }

    #[test]
    fn condition_references_skip_quoted_text() {
        let found = condition_references(
            "check-file.exists == true && context.mode != 'a.b' || fetch.count > 1.5",
            steps,
        );
        assert_eq!(
            found,
            vec![
                Reference::Step {
                    step: "check-file",
                    output: "exists"
                },
                Reference::Context { key: "mode" },
                Reference::Step {
                    step: "fetch",
                    output: "count"
                },
            ]
        );
    }

    #[test]
    fn renaming_rewrites_only_the_renamed_step() {
        assert_eq!(
            rename_in_condition("fetch.ok && !(fetched.ok)", "fetch", "get").as_deref(),
            Some("get.ok && !(fetched.ok)")
        );
        assert_eq!(
            rename_in_reference("fetch.data", "fetch", "get").as_deref(),
            Some("get.data")
        );
        assert_eq!(rename_in_reference("fetcher.data", "fetch", "get"), None);
    }
}
