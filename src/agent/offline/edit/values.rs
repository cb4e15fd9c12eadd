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
use super::super::text::{
    Tok, is_stopword, number, number_json, number_phrase, quoted_list, same_stem, stem,
};
use super::{EditContext, Plan, Resolved};

/// What kind of place an address is: the web (http, https, none given)
/// or the storage or service its scheme names (`s3`, `gs`, `sftp`, …).
fn scheme_class(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, _)) if !matches!(scheme.to_lowercase().as_str(), "http" | "https") => {
            scheme.to_lowercase()
        }
        _ => "web".to_string(),
    }
}

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
    let found = literals(toks);
    let texts: Vec<String> = found
        .iter()
        .map(|(_, literal)| literal.text().to_lowercase())
        .collect();
    for (indices, literal) in found {
        if indices.iter().any(|at| is_old(*at)) {
            continue;
        }
        // "the tagger-v4 model at models/tagger-v4.onnx": a name that is
        // part of another value given is that value, not a second one.
        let text = literal.text().to_lowercase();
        if texts
            .iter()
            .any(|other| other.len() > text.len() && other.contains(&text))
        {
            used.extend(indices.iter().copied());
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
        values.push(NewValue {
            kind,
            text,
            bare: false,
            unit_secs: None,
        });
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
                bare: false,
                unit_secs: None,
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
            // "three weeks rather than 14 days": in its unit.
            let unit = toks.get(index + 1).and_then(|next| unit_secs(&next.word));
            values.push(NewValue {
                kind: ValueKind::Number,
                text: super::super::text::number_json(value).to_string(),
                bare: false,
                unit_secs: unit,
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
                bare: false,
                unit_secs: None,
            });
        }
    }
    values
}

/// Where "instead of" ends: the old value starts there.
/// "… three hundred euros, not 250": a closing ", not …" names it too.
pub(crate) fn old_value_at(toks: &[Tok]) -> Option<usize> {
    toks.windows(2)
        .position(|pair| {
            (pair[0].is("instead") || pair[0].is("rather")) && pair[1].is_any(&["of", "than"])
        })
        .or_else(|| {
            let at = toks
                .windows(2)
                .rposition(|pair| pair[0].is(",") && pair[1].is("not"))?;
            let rest = &toks[at + 2..];
            let words = rest.iter().filter(|tok| !tok.is_punctuation()).count();
            (1..=2).contains(&words).then_some(at)
        })
        .map(|at| at + 2)
}

/// Whether a context value is of the kind a literal is (both hosts, both
/// addresses …).
pub(crate) fn same_kind(key: &str, value: &Value, literal: &Literal) -> bool {
    let kind = match literal {
        Literal::Url(_) => ValueKind::Url,
        Literal::Path(_) => ValueKind::Path,
        Literal::Email(_) => ValueKind::Email,
        Literal::Channel(_) => ValueKind::Channel,
        Literal::Bucket(_) => ValueKind::Bucket,
        Literal::Table(_) => ValueKind::Table,
        Literal::Host(_) => ValueKind::Host,
        Literal::Phone(_) => ValueKind::Phone,
    };
    kind_of(key, value) == Some(kind)
}

/// Seconds in one of a unit a value may be written in ("45 minutes",
/// "thirty days").
pub(crate) fn unit_secs(word: &str) -> Option<u64> {
    match word {
        "ms" | "millisecond" | "milliseconds" => None,
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1),
        "min" | "mins" | "minute" | "minutes" => Some(60),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(3_600),
        "day" | "days" => Some(86_400),
        "week" | "weeks" => Some(7 * 86_400),
        // Kept for "two years": 365 days each, as retention counts them.
        "year" | "years" => Some(365 * 86_400),
        _ => None,
    }
}

/// A value shaped like a size ("320x320", "1920x1080").
fn is_dimensions(raw: &str) -> bool {
    raw.split_once(['x', 'X']).is_some_and(|(width, height)| {
        !width.is_empty()
            && !height.is_empty()
            && width.chars().all(|c| c.is_ascii_digit())
            && height.chars().all(|c| c.is_ascii_digit())
    })
}

/// Values read from weak evidence when the request gives no literal: the
/// word before "instead of" ("group by device instead of country"), a
/// size ("320x320"), or a single number with its unit ("after 45 minutes",
/// "less than thirty days"). Each is [`NewValue::bare`]: it needs the old
/// value or the key's own words to say where it goes.
pub(crate) fn bare_values(toks: &[Tok]) -> Vec<NewValue> {
    let old_at = old_value_at(toks);
    let bare = |kind, text: String, unit_secs| NewValue {
        kind,
        text,
        bare: true,
        unit_secs,
    };
    // "in accurate mode instead of fast": a word naming the kind of value
    // stands between the value and "instead".
    let kind_words = [
        "mode", "setting", "option", "value", "level", "kind", "type", "one",
    ];
    // "three hundred euros, not 250": a word after a number is what the
    // number counts, not a word value.
    let before_instead = old_at
        .and_then(|at| at.checked_sub(3))
        .map(|at| {
            if toks[at].is_any(&kind_words) && at > 0 {
                at - 1
            } else {
                at
            }
        })
        .filter(|&at| {
            at.checked_sub(1)
                .is_none_or(|before| number(&toks[before].word).is_none())
        })
        .map(|at| &toks[at]);
    // "three weeks rather than 14 days", "a day and a half instead of a
    // day": a unit or a duration is no word value of its own.
    let said_a_duration = old_at
        .is_some_and(|at| !super::super::text::durations(&toks[..at.saturating_sub(2)]).is_empty());
    if let Some(before) = before_instead
        && !said_a_duration
        && unit_secs(&before.word).is_none()
        && before
            .word
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && !is_stopword(&before.word)
        && number(&before.word).is_none()
    {
        return vec![bare(ValueKind::Word, before.raw.clone(), None)];
    }
    let sizes: Vec<&Tok> = toks.iter().filter(|tok| is_dimensions(&tok.raw)).collect();
    if let [size] = sizes.as_slice() {
        return vec![bare(ValueKind::Word, size.raw.to_lowercase(), None)];
    }
    // Each number, where it ends, and where it starts.
    let mut numbers: Vec<(f64, usize)> = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    // What follows "instead of" is the old value, not a new one.
    let end = old_at.map_or(toks.len(), |at| at.saturating_sub(2));
    while at < end {
        if let Some((value, length)) = number_phrase(toks, at) {
            numbers.push((value, at + length));
            starts.push(at);
            at += length;
            continue;
        }
        let word = toks[at].word.as_str();
        // "the one that …", "a backup": no number without a unit.
        let spelled_small = matches!(word, "one" | "a" | "an");
        if let Some(value) = number(word) {
            let after = at + 1;
            let unit = toks.get(after).and_then(|tok| unit_secs(&tok.word));
            if !spelled_small || unit.is_some() {
                numbers.push((value, after));
                starts.push(at);
            }
        }
        at += 1;
    }
    // "an hour", "half a minute": a duration in words.
    if numbers.is_empty()
        && let [duration] = super::super::text::durations(toks).as_slice()
        && let Some(unit) = toks
            .get(duration.end - 1)
            .and_then(|tok| unit_secs(&tok.word))
    {
        let value = duration.ms as f64 / 1000.0 / unit as f64;
        return vec![bare(
            ValueKind::Number,
            number_json(value).to_string(),
            Some(unit),
        )];
    }
    // "encode at 192 kbps": a number in a unit that is no duration, for
    // the key that unit names.
    if let [(value, after)] = numbers.as_slice()
        && toks.get(*after).is_some_and(|tok| {
            tok.is_any(crate::core::vocabulary::UNITS)
                && unit_secs(&tok.word).is_none()
                && !tok.is_any(&["pct", "percent"])
        })
    {
        return vec![bare(
            ValueKind::Number,
            number_json(*value).to_string(),
            None,
        )];
    }
    // "sixteen threads", "three hundred euros": a number and the thing it
    // counts, which the key's words must name. "threads up to 12", "the
    // word limit should be 250": a number said as what something becomes.
    let counts_a_thing = |after: usize| {
        toks.get(after).is_some_and(|tok| {
            !tok.is_punctuation()
                && !is_stopword(&tok.word)
                && number(&tok.word).is_none()
                && !tok.is_any(&[
                    "times", "time", "x", "attempts", "attempt", "tries", "try", "retries",
                    "retry", "steps", "step", "versions", "version", "percent", "pct", "more",
                    "less", "fewer", "ago", "back", "changes", "edits",
                ])
        })
    };
    let becomes = |start: usize| {
        start
            .checked_sub(1)
            .and_then(|before| toks.get(before))
            .is_some_and(|tok| tok.is_any(&["to", "at", "be", "=", "is"]))
    };
    match numbers.as_slice() {
        // A number alone is a count or a version as often as a value: only
        // one with its unit is read here.
        [(value, after)]
            if toks
                .get(*after)
                .and_then(|tok| unit_secs(&tok.word))
                .is_some() =>
        {
            let unit = toks.get(*after).and_then(|tok| unit_secs(&tok.word));
            vec![bare(
                ValueKind::Number,
                number_json(*value).to_string(),
                unit,
            )]
        }
        [(value, after)] if counts_a_thing(*after) || becomes(starts[0]) => {
            vec![bare(
                ValueKind::Number,
                number_json(*value).to_string(),
                None,
            )]
        }
        _ => Vec::new(),
    }
}

/// Seconds per unit a context value is kept in, read from its key or the
/// input names reading it ("keep_days", "gap_minutes").
fn key_unit_secs(names: &[String]) -> Option<u64> {
    names.iter().find_map(|name| {
        name.to_lowercase()
            .split(['_', '-'])
            .rev()
            .find_map(|part| match part {
                "ms" | "millis" => Some(0),
                other => unit_secs(other),
            })
    })
}

/// Whether a value has the word as one of its parts ("720p" of
/// "h264-720p").
fn has_part(value: &str, word: &str) -> bool {
    value
        .split(|c: char| !c.is_alphanumeric())
        .any(|part| part == word)
}

/// Whether a new value looks like a new version of the current one: the
/// same shape ("224x224" → "320x320"), or a long part in common
/// ("clicks-raw" → "clicks-raw-eu", "/home/ana" → "/home/ana/Documents").
fn resembles(current: &str, new: &str) -> bool {
    let (current, new) = (current.to_lowercase(), new.to_lowercase());
    if current == new || current.is_empty() || new.is_empty() {
        return false;
    }
    let shape = |text: &str| -> String {
        let mut shape = String::new();
        for c in text.chars() {
            let class = if c.is_ascii_digit() { '9' } else { c };
            if !(class == '9' && shape.ends_with('9')) {
                shape.push(class);
            }
        }
        shape
    };
    let common = current
        .chars()
        .zip(new.chars())
        .take_while(|(a, b)| a == b)
        .count();
    shape(&current) == shape(&new)
        || (common >= 4 && common * 2 >= current.len().min(new.len()))
        || (current.len() >= 4 && new.contains(&current))
}

/// The old value after "instead of", as written.
pub(crate) fn old_value(toks: &[Tok]) -> Option<String> {
    let at = old_value_at(toks)?;
    let words: Vec<&str> = toks[at..]
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
                // A web address replaces a web address; "gs://firm-redacted"
                // is a bucket, no replacement for the SharePoint site.
                ValueKind::Url => {
                    kind_of(key, current) == Some(ValueKind::Url)
                        && current
                            .as_str()
                            .is_some_and(|text| scheme_class(text) == scheme_class(&value.text))
                }
                kind => kind_of(key, current) == Some(kind),
            })
            .map(|(key, _)| key)
            .collect();
        let current_text = |key: &str| match &context[key] {
            Value::String(text) => text.to_lowercase(),
            other => other.to_string(),
        };
        let mut anchored = false;
        if let Some(old) = old {
            let old = old.to_lowercase();
            let holding: Vec<&String> = candidates
                .iter()
                .copied()
                .filter(|key| {
                    let current = current_text(key);
                    current == old
                        || (!value.bare
                            && old
                                .split_whitespace()
                                .any(|word| word.len() >= 3 && current.contains(word)))
                })
                .collect();
            if !holding.is_empty() {
                candidates = holding;
                anchored = true;
            }
        }
        if candidates.len() <= 1 && (anchored || !value.bare) {
            return candidates.into_iter().cloned().collect();
        }
        // The steps that read the key themselves (not what follows), and
        // the names of the inputs they read it as.
        let readers = |key: &str| -> Vec<(String, String)> {
            let reference = format!("context.{key}");
            tree::walk(self.workflow)
                .into_iter()
                .flat_map(|visited| {
                    visited
                        .step
                        .inputs
                        .iter()
                        .filter(|(_, value)| value.as_str() == Some(reference.as_str()))
                        .map(|(input, _)| (visited.step.id.clone(), input.clone()))
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let content: Vec<&Tok> = phrase
            .iter()
            .filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word))
            .collect();
        let says = |words: &[String], tok: &Tok| {
            words
                .iter()
                .any(|word| word.len() >= 3 && same_stem(&stem(word), &stem(&tok.word)))
        };
        // The key's own words: its name, the input names reading it and
        // the ids of the steps reading it ("thumbnails" for thumb_at, read
        // by the step 'thumbnails').
        let key_words = |key: &str| -> Vec<String> {
            key.to_lowercase()
                .split(['_', '-'])
                .chain(
                    readers(key)
                        .iter()
                        .flat_map(|(id, input)| {
                            input
                                .split(['_', '-'])
                                .chain(id.split(['_', '-']))
                                .map(str::to_string)
                                .collect::<Vec<_>>()
                        })
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str),
                )
                .map(|word| word.to_lowercase())
                .flat_map(|word| {
                    let meanings = crate::core::vocabulary::key_meanings(&word);
                    std::iter::once(word).chain(meanings.iter().map(|meant| meant.to_string()))
                })
                .collect()
        };
        let named_by_key = |key: &str| -> usize {
            let words = key_words(key);
            content.iter().filter(|tok| says(&words, tok)).count()
        };
        // The words of the request pick among them: the key's name, its
        // value's words, or a step that reads it.
        let score = |key: &str| -> usize {
            let mut words = key_words(key);
            if let Some(text) = context[key].as_str() {
                words.extend(
                    text.to_lowercase()
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|part| part.len() >= 3)
                        .map(str::to_string),
                );
            }
            let readers = readers(key);
            content
                .iter()
                .filter(|tok| {
                    says(&words, tok)
                        || readers.iter().any(|(id, _)| {
                            tree::find(&self.workflow.steps, id).is_some_and(|step| {
                                !matches!(step.kind, StepKind::Conditional { .. })
                                    && word_names_step(tok, step) > 0
                            })
                        })
                })
                .count()
        };
        if value.bare && !anchored {
            // A bare value goes only where the key's own words, or the
            // current value's likeness, say it goes.
            let best = candidates
                .iter()
                .map(|key| named_by_key(key))
                .max()
                .unwrap_or(0);
            // A number in a unit goes to the one value kept in a unit of
            // time ("raise the renewal threshold to 60 days": min_days).
            let timed: Vec<&String> = candidates
                .iter()
                .copied()
                .filter(|key| self.key_unit(key).is_some_and(|unit| unit > 0))
                .collect();
            // A plain word ("accurate", "OCR") goes only where the old value
            // or its likeness says: the words of a key name what changes,
            // not that this word is its new value.
            let chosen: Vec<&String> = if best > 0 && value.kind != ValueKind::Word {
                candidates
                    .iter()
                    .copied()
                    .filter(|key| named_by_key(key) == best)
                    .collect()
            } else if value.unit_secs.is_some() && timed.len() == 1 {
                timed
            } else if value.kind == ValueKind::Word {
                candidates
                    .iter()
                    .copied()
                    .filter(|key| resembles(&current_text(key), &value.text))
                    .collect()
            } else {
                Vec::new()
            };
            return chosen.into_iter().cloned().collect();
        }
        let best = candidates.iter().map(|key| score(key)).max().unwrap_or(0);
        let chosen: Vec<&String> = candidates
            .into_iter()
            .filter(|key| score(key) == best)
            .collect();
        // Between keys the words do not tell apart, the one whose value
        // the new one resembles ("sessions_daily" → "sessions_daily_v2").
        let alike: Vec<&String> = chosen
            .iter()
            .copied()
            .filter(|key| resembles(&current_text(key), &value.text))
            .collect();
        if chosen.len() > 1 && alike.len() == 1 {
            return alike.into_iter().cloned().collect();
        }
        // "archive to /mnt/nas/logs": a folder replaces the folder
        // (/mnt/archive/logs), not the file name (app-logs.tar.gz).
        if chosen.len() > 1 && value.kind == ValueKind::Path {
            let shape = |path: &str| {
                let last = path
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or(path);
                (path.starts_with('/'), last.contains('.'))
            };
            let same_shape: Vec<&String> = chosen
                .iter()
                .copied()
                .filter(|key| shape(&current_text(key)) == shape(&value.text.to_lowercase()))
                .collect();
            if same_shape.len() == 1 {
                return same_shape.into_iter().cloned().collect();
            }
        }
        chosen.into_iter().cloned().collect()
    }

    /// Seconds per unit the key's value is kept in (0 for milliseconds),
    /// read from its name and the names of the inputs reading it.
    fn key_unit(&self, key: &str) -> Option<u64> {
        let reference = format!("context.{key}");
        let mut names = vec![key.to_string()];
        for visited in tree::walk(self.workflow) {
            for (input, source) in &visited.step.inputs {
                if source.as_str() == Some(reference.as_str()) {
                    names.push(input.clone());
                }
            }
        }
        key_unit_secs(&names)
    }

    /// The value to write into a key that holds a number: the number
    /// itself, or a duration converted to the key's unit ("set the wait to
    /// 2 minutes" → 120 for `wait_secs`). Anything else is a question:
    /// text never replaces a number.
    pub(super) fn number_for_key(&self, key: &str, text: &str) -> Result<String, Plan> {
        let Some(current) = self
            .workflow
            .context
            .readonly
            .get(key)
            .filter(|current| current.is_number())
        else {
            return Ok(text.to_string());
        };
        let trimmed = text.trim().trim_end_matches('%');
        if number(trimmed).is_some() {
            return Ok(text.to_string());
        }
        let toks: Vec<Tok> = super::super::text::tokenize(text)
            .into_iter()
            .filter(|tok| {
                !tok.is_any(crate::core::vocabulary::FILLERS)
                    && !is_stopword(&tok.word)
                    && !tok.is_punctuation()
            })
            .collect();
        // "192 kbps" for `bitrate`, "50 mb" for `max_mb`: the unit the key
        // is kept in.
        // "eighty-five percent": the number.
        if let [value, unit] = toks.as_slice()
            && let Some(written) = number(&value.word)
            && unit.is_any(&["percent", "pct", "%"])
        {
            return Ok(number_json(written).to_string());
        }
        if let [value, unit] = toks.as_slice()
            && number(&value.word).is_some()
            && unit_secs(&unit.word).is_none()
            && key.to_lowercase().split(['_', '-']).any(|part| {
                // "km/h" for `max_speed_kmh`.
                let unit = unit.word.replace('/', "");
                part == unit || crate::core::vocabulary::key_meanings(part).contains(&unit.as_str())
            })
        {
            return Ok(value.word.clone());
        }
        let spans_all = |duration: &super::super::text::Duration| {
            duration.start == 0 && duration.end == toks.len()
        };
        if let [duration] = super::super::text::durations(&toks).as_slice()
            && spans_all(duration)
        {
            let converted = match self.key_unit(key) {
                Some(0) => Some(duration.ms as f64),
                Some(unit) => Some(duration.ms as f64 / 1000.0 / unit as f64),
                None => None,
            };
            return match converted {
                Some(value) if value.fract() == 0.0 => Ok(number_json(value).to_string()),
                Some(value) => Err(Plan::Ask(format!(
                    "'{key}' is kept in whole units ({current} now), and {text} is {value} of them: what whole number should it be?"
                ))),
                None => Err(Plan::Ask(format!(
                    "'{key}' is a number ({current}) and I cannot tell its unit: what number should it be for {text}?"
                ))),
            };
        }
        Err(Plan::Ask(format!(
            "'{key}' holds a number ({current}), and '{text}' is not one: what number should it be?"
        )))
    }

    /// The number to write for a value given in a unit ("45 minutes"),
    /// in the unit the key is kept in; `None` when it does not convert to
    /// a whole number.
    fn in_key_unit(&self, key: &str, value: &NewValue) -> Option<String> {
        let (Some(given), Some(number)) = (value.unit_secs, number(&value.text)) else {
            return Some(value.text.clone());
        };
        match self.key_unit(key) {
            None => Some(value.text.clone()),
            Some(0) => Some(number_json(number * given as f64 * 1000.0).to_string()),
            Some(kept) => {
                let converted = number * given as f64 / kept as f64;
                (converted.fract() == 0.0).then(|| number_json(converted).to_string())
            }
        }
    }

    /// New values for context keys, each put where a value of its kind is.
    pub(super) fn new_values(
        &self,
        values: &[NewValue],
        old: Option<&str>,
        phrase: &[Tok],
    ) -> Result<Option<Resolved>, Plan> {
        let mut resolved: Option<Resolved> = None;
        // "use 1080p instead of 720p": the part of one value that is
        // replaced ("h264-720p" → "h264-1080p").
        if let ([value], Some(old)) = (values, old)
            && value.bare
            && value.kind == ValueKind::Word
        {
            let old = old.to_lowercase();
            let holding: Vec<(&String, String)> = self
                .workflow
                .context
                .readonly
                .iter()
                // A name-like value only: a part of an address or a path
                // ("github" in the origin URL) is where it points, which
                // "X instead of Y" may not mean.
                .filter(|(_, current)| {
                    current.as_str().is_some_and(|text| {
                        !text.contains(['/', '@', '.', ' ', ':']) && !text.starts_with(['#', '+'])
                    })
                })
                .filter_map(|(key, current)| {
                    let text = current.as_str()?;
                    let lower = text.to_lowercase();
                    let is_part = lower != old && has_part(&lower, &old);
                    // The rest of the value as written (ASCII keeps its
                    // places when lowercased).
                    let at = lower.find(&old).filter(|_| text.is_ascii())?;
                    let replaced =
                        format!("{}{}{}", &text[..at], value.text, &text[at + old.len()..]);
                    is_part.then_some((key, replaced))
                })
                .collect();
            // Every value that has it as a part, addresses too: "prod" in
            // the instance and in the database URL is not one change.
            let everywhere: Vec<String> = self
                .workflow
                .context
                .readonly
                .iter()
                .filter(|(_, current)| {
                    current
                        .as_str()
                        .is_some_and(|text| has_part(&text.to_lowercase(), &old))
                })
                .map(|(key, _)| key.clone())
                .collect();
            if everywhere.len() > 1 && !holding.is_empty() {
                return Err(Plan::Ask(format!(
                    "'{old}' is part of {}: which should use '{}' instead?",
                    quoted_list(&everywhere, "and"),
                    value.text
                )));
            }
            if let [(key, replaced)] = holding.as_slice() {
                return Ok(Some(self.set_context(key, replaced)));
            }
        }
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
                ValueKind::Number if value.unit_secs.is_some() => {
                    match self.in_key_unit(&key, value) {
                        Some(text) => text,
                        None => {
                            return Err(Plan::Ask(format!(
                                "'{key}' is kept in other units than the value you gave ({}); what should it be, in its own units?",
                                self.workflow.context.readonly[key.as_str()]
                            )));
                        }
                    }
                }
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
