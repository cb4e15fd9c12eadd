//! New values for the context: "the endpoint is now https://…", "upload to
//! the acme-backups-eu bucket from now on", "alert at 90% instead of 85",
//! "dedupe on order_number instead of order_id", "the pushgateway listens
//! on port 9092 now". The value's kind (an address, a path, a bucket, a
//! number …) picks the context keys that hold one; "instead of X" picks the
//! one holding X; the words of the request pick among the rest, by the key's
//! name or the steps that read it. Two that fit equally make a question.

use serde_json::Value;

use crate::core::model::StepKind;
use crate::core::tree;

use super::super::build::{Literal, is_host, is_path, is_url, literals};
use super::super::read::{NewValue, ValueKind};
use super::super::refs::word_names_step;
use super::super::text::{Tok, is_stopword, number, quoted_list, same_stem, stem};
use super::{EditContext, Plan, Resolved};

/// The kind of value a context value is.
fn kind_of(key: &str, value: &Value) -> Option<ValueKind> {
    if value.is_number() {
        return Some(ValueKind::Number);
    }
    let text = value.as_str()?;
    let key = key.to_lowercase();
    Some(if is_url(text) {
        ValueKind::Url
    } else if text.contains('@') && text.contains('.') && !text.contains(' ') {
        ValueKind::Email
    } else if text.starts_with('#') {
        ValueKind::Channel
    } else if key.contains("bucket") {
        ValueKind::Bucket
    } else if key.contains("table") {
        ValueKind::Table
    } else if is_path(text) {
        ValueKind::Path
    } else if is_host(text) || key.contains("host") {
        ValueKind::Host
    } else if text.starts_with('+') {
        ValueKind::Phone
    } else if !text.contains(' ') && !text.is_empty() {
        ValueKind::Word
    } else {
        return None;
    })
}

/// Reads the values a request gives: literals, names written with '_',
/// numbers with '%' or next to "instead of", a port.
pub(crate) fn parse_new_values(toks: &[Tok]) -> Vec<NewValue> {
    let mut values = Vec::new();
    let old_at = toks
        .windows(2)
        .position(|pair| {
            (pair[0].is("instead") || pair[0].is("rather")) && pair[1].is_any(&["of", "than"])
        })
        .map(|at| at + 2);
    let is_old = |index: usize| old_at.is_some_and(|at| index >= at);
    let mut used: Vec<usize> = Vec::new();
    for (indices, literal) in literals(toks) {
        if indices.iter().any(|at| is_old(*at)) {
            continue;
        }
        let (kind, text) = match literal {
            Literal::Url(url) => (ValueKind::Url, url),
            Literal::Path(path) => (ValueKind::Path, path),
            Literal::Email(address) => (ValueKind::Email, address),
            Literal::Channel(channel) => (ValueKind::Channel, channel),
            Literal::Bucket(bucket) => (ValueKind::Bucket, bucket),
            Literal::Table(table) => (ValueKind::Table, table),
            Literal::Host(host) => (ValueKind::Host, host),
            Literal::Phone(phone) => (ValueKind::Phone, phone),
        };
        used.extend(indices.iter().copied());
        values.push(NewValue { kind, text });
    }
    for (index, tok) in toks.iter().enumerate() {
        if used.contains(&index) || is_old(index) {
            continue;
        }
        let previous = index.checked_sub(1).map(|at| &toks[at]);
        if previous.is_some_and(|tok| tok.is("port"))
            && tok.word.chars().all(|c| c.is_ascii_digit())
        {
            values.push(NewValue {
                kind: ValueKind::Port,
                text: tok.word.clone(),
            });
            continue;
        }
        let percent = tok.word.ends_with('%')
            || toks
                .get(index + 1)
                .is_some_and(|next| next.is_any(&["percent", "pct"]));
        if let Some(value) = number(tok.word.trim_end_matches('%'))
            && (percent || old_at.is_some())
            && !previous.is_some_and(|tok| tok.is_any(&["step", "version", "v"]))
        {
            values.push(NewValue {
                kind: ValueKind::Number,
                text: super::super::text::number_json(value).to_string(),
            });
            continue;
        }
        // "orders_raw_v2", "order_number": a name written for a machine.
        if tok.raw.contains('_')
            && tok
                .raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            values.push(NewValue {
                kind: ValueKind::Word,
                text: tok.raw.clone(),
            });
        }
    }
    values
}

/// The old value after "instead of", as written.
pub(crate) fn old_value(toks: &[Tok]) -> Option<String> {
    let at = toks.windows(2).position(|pair| {
        (pair[0].is("instead") || pair[0].is("rather")) && pair[1].is_any(&["of", "than"])
    })?;
    let words: Vec<&str> = toks[at + 2..]
        .iter()
        .take_while(|tok| !tok.is_punctuation())
        .filter(|tok| !is_stopword(&tok.word))
        .map(|tok| tok.raw.as_str())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl EditContext<'_> {
    /// The context keys a value of this kind can go to, best named first.
    fn keys_for(&self, value: &NewValue, old: Option<&str>, phrase: &[Tok]) -> Vec<String> {
        let context = &self.workflow.context.readonly;
        let mut candidates: Vec<&String> = context
            .iter()
            .filter(|(key, current)| match value.kind {
                ValueKind::Port => current
                    .as_str()
                    .is_some_and(|text| is_url(text) && port_of(text).is_some()),
                // A bare word may replace any one-word value.
                ValueKind::Word => matches!(
                    kind_of(key, current),
                    Some(ValueKind::Word | ValueKind::Table)
                ),
                kind => kind_of(key, current) == Some(kind),
            })
            .map(|(key, _)| key)
            .collect();
        if let Some(old) = old {
            let old = old.to_lowercase();
            let holding: Vec<&String> = candidates
                .iter()
                .copied()
                .filter(|key| {
                    let current = match &context[key.as_str()] {
                        Value::String(text) => text.to_lowercase(),
                        other => other.to_string(),
                    };
                    current == old
                        || old
                            .split_whitespace()
                            .any(|word| word.len() >= 3 && current.contains(word))
                })
                .collect();
            if !holding.is_empty() {
                candidates = holding;
            }
        }
        if candidates.len() <= 1 {
            return candidates.into_iter().cloned().collect();
        }
        // The words of the request pick among them: the key's name, its
        // value's words, or a step that reads it.
        let score = |key: &str| -> usize {
            let mut words: Vec<String> = key
                .to_lowercase()
                .split(['_', '-'])
                .map(str::to_string)
                .collect();
            if let Some(text) = context[key].as_str() {
                words.extend(
                    text.to_lowercase()
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|part| part.len() >= 3)
                        .map(str::to_string),
                );
            }
            // The steps that read the key themselves (not what follows).
            let reference = format!("context.{key}");
            let readers: Vec<String> = tree::walk(self.workflow)
                .into_iter()
                .filter(|visited| {
                    visited
                        .step
                        .inputs
                        .values()
                        .any(|value| value.as_str() == Some(reference.as_str()))
                })
                .map(|visited| visited.step.id.clone())
                .collect();
            phrase
                .iter()
                .filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word))
                .filter(|tok| {
                    words
                        .iter()
                        .any(|word| same_stem(&stem(word), &stem(&tok.word)))
                        || readers.iter().any(|id| {
                            tree::find(&self.workflow.steps, id).is_some_and(|step| {
                                !matches!(step.kind, StepKind::Conditional { .. })
                                    && word_names_step(tok, step) > 0
                            })
                        })
                })
                .count()
        };
        let best = candidates.iter().map(|key| score(key)).max().unwrap_or(0);
        candidates
            .into_iter()
            .filter(|key| score(key) == best)
            .cloned()
            .collect()
    }

    /// New values for context keys, each put where a value of its kind is.
    pub(super) fn new_values(
        &self,
        values: &[NewValue],
        old: Option<&str>,
        phrase: &[Tok],
    ) -> Result<Option<Resolved>, Plan> {
        let mut resolved: Option<Resolved> = None;
        for value in values {
            let keys = self.keys_for(value, old, phrase);
            let key = match keys.as_slice() {
                [] => return Ok(None),
                [one] => one.clone(),
                several => {
                    let shown: Vec<String> = several
                        .iter()
                        .map(|key| {
                            format!(
                                "{key} (now {})",
                                self.workflow.context.readonly[key.as_str()]
                            )
                        })
                        .collect();
                    return Err(Plan::Ask(format!(
                        "Which value should become {}: {}?",
                        value.text,
                        quoted_list(&shown, "or")
                    )));
                }
            };
            let text = match value.kind {
                ValueKind::Port => {
                    let current = self.workflow.context.readonly[key.as_str()]
                        .as_str()
                        .unwrap_or_default();
                    with_port(current, &value.text)
                }
                _ => value.text.clone(),
            };
            let next = self.set_context(&key, &text);
            resolved = Some(match resolved {
                None => next,
                Some(mut so_far) => {
                    so_far.modifications.extend(next.modifications);
                    so_far.summary = format!("{}; {}", so_far.summary, lowercase(&next.summary));
                    so_far
                }
            });
        }
        Ok(resolved)
    }
}

fn lowercase(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The port of a URL ("http://host:9091/x" → "9091").
fn port_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let (_, port) = authority.rsplit_once(':')?;
    (!port.is_empty() && port.chars().all(|c| c.is_ascii_digit())).then_some(port)
}

/// The URL with another port.
fn with_port(url: &str, port: &str) -> String {
    match port_of(url) {
        Some(old) => {
            let at = url.find(&format!(":{old}")).unwrap_or(url.len());
            format!("{}:{port}{}", &url[..at], &url[at + 1 + old.len()..])
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_replaced_in_place() {
        assert_eq!(
            with_port("http://pushgateway.internal:9091", "9092"),
            "http://pushgateway.internal:9092"
        );
        assert_eq!(
            with_port("http://h:80/metrics?x=1", "8080"),
            "http://h:8080/metrics?x=1"
        );
        assert_eq!(port_of("https://example.com/x"), None);
    }
}
