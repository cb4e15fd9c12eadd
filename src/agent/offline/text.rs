//! Words: tokens that remember where they stand in the request, numbers in
//! digits or words, durations with units, and a small stemmer so that
//! "validation", "validating" and "validate" are the same word.

/// One word of a request. `word` is lowercase with surrounding punctuation
/// removed; `raw` keeps the user's spelling (for values such as URLs);
/// `start..end` is its place in the request text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tok {
    pub word: String,
    pub raw: String,
    pub start: usize,
    pub end: usize,
}

impl Tok {
    pub fn is(&self, word: &str) -> bool {
        self.word == word
    }

    pub fn is_any(&self, words: &[&str]) -> bool {
        words.contains(&self.word.as_str())
    }

    /// A comma, semicolon, full stop or dash standing as its own token.
    pub fn is_punctuation(&self) -> bool {
        matches!(self.word.as_str(), "," | ";" | "." | "-" | "–" | "—" | "--")
    }
}

const OPENING: &[char] = &['"', '\'', '“', '‘', '(', '[', '<', '{', '`', '*'];
const CLOSING: &[char] = &[
    '"', '\'', '”', '’', ')', ']', '>', '}', '`', '*', '!', '?', ':',
];

/// Splits a request into tokens. Commas, semicolons and sentence-ending full
/// stops become tokens of their own; a possessive "'s" is dropped; `a=b`
/// outside a URL is split into `a`, `=`, `b`.
pub(super) fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut index = 0;
    for piece in text.split_inclusive(char::is_whitespace) {
        let start = index;
        index += piece.len();
        let trimmed = piece.trim_end();
        if trimmed.is_empty() {
            continue;
        }
        push_piece(text, start, start + trimmed.len(), &mut out);
    }
    join_number_phrases(text, out)
}

/// "twelve hundred" becomes one token whose word is "1200" (its raw text
/// stays as written), so every reader sees one number.
fn join_number_phrases(text: &str, toks: Vec<Tok>) -> Vec<Tok> {
    let mut out = Vec::with_capacity(toks.len());
    let mut index = 0;
    while index < toks.len() {
        if let Some((value, length)) = number_phrase(&toks, index) {
            let first = &toks[index];
            let last = &toks[index + length - 1];
            out.push(Tok {
                word: format!("{}", value as u64),
                raw: text[first.start..last.end].to_string(),
                start: first.start,
                end: last.end,
            });
            index += length;
        } else {
            out.push(toks[index].clone());
            index += 1;
        }
    }
    out
}

/// Units written onto their number ("192kbps", "50mb") that are no
/// durations: the number and its unit are two tokens.
const GLUED_UNITS: &[&str] = &["gb", "kb", "kbps", "mb", "mbps", "px", "tb"];

fn push_piece(text: &str, mut start: usize, mut end: usize, out: &mut Vec<Tok>) {
    // "192kbps" is "192 kbps".
    let piece = &text[start..end];
    let digits = piece.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && digits < piece.len() {
        let unit = piece[digits..].trim_end_matches([',', ';', '.']);
        if GLUED_UNITS.contains(&unit.to_lowercase().as_str()) {
            push_piece(text, start, start + digits, out);
            push_piece(text, start + digits, end, out);
            return;
        }
        // "a 10-day window", "a 30-second timeout": a number and its unit
        // joined by a hyphen are two tokens, never one word.
        if let Some(unit) = unit.strip_prefix('-')
            && unit_ms(&unit.to_lowercase()).is_some()
        {
            push_piece(text, start, start + digits, out);
            push_piece(text, start + digits + 1, end, out);
            return;
        }
    }
    // `a=b` (but not inside a URL's query) is three tokens.
    let piece = &text[start..end];
    if let Some(at) = piece.find('=')
        && !piece[..at].contains("://")
        && !piece[..at].contains('?')
        && piece.len() > 1
    {
        if at > 0 {
            push_piece(text, start, start + at, out);
        }
        out.push(Tok {
            word: "=".into(),
            raw: "=".into(),
            start: start + at,
            end: start + at + 1,
        });
        if start + at + 1 < end {
            push_piece(text, start + at + 1, end, out);
        }
        return;
    }
    while start < end {
        let c = text[start..end].chars().next().expect("non-empty");
        if OPENING.contains(&c) {
            start += c.len_utf8();
        } else {
            break;
        }
    }
    let mut trailing = Vec::new();
    while let Some(c) = text[start..end].chars().next_back() {
        if c == ',' || c == ';' {
            end -= 1;
            trailing.push(Tok {
                word: c.to_string(),
                raw: c.to_string(),
                start: end,
                end: end + 1,
            });
        } else if c == '.' {
            // A full stop ends a sentence unless it is part of a number such
            // as "1." (rare) — URLs and file names do not end with one.
            end -= 1;
            trailing.push(Tok {
                word: ".".into(),
                raw: ".".into(),
                start: end,
                end: end + 1,
            });
        } else if CLOSING.contains(&c) {
            end -= c.len_utf8();
        } else {
            break;
        }
    }
    let mut raw = &text[start..end];
    for suffix in ["'s", "’s"] {
        if raw.len() > suffix.len() && raw.ends_with(suffix) {
            raw = &raw[..raw.len() - suffix.len()];
        }
    }
    let raw = raw.trim_end_matches(CLOSING);
    if !raw.is_empty() {
        out.push(Tok {
            word: raw.to_lowercase(),
            raw: raw.to_string(),
            start,
            end: start + raw.len(),
        });
    }
    trailing.reverse();
    out.extend(trailing);
}

/// Where the phrase (space-separated words) starts in the tokens.
pub(super) fn find_phrase(toks: &[Tok], phrase: &str) -> Option<usize> {
    let wanted: Vec<&str> = phrase.split(' ').collect();
    if wanted.len() > toks.len() {
        return None;
    }
    (0..=toks.len() - wanted.len()).find(|&at| {
        wanted
            .iter()
            .enumerate()
            .all(|(offset, word)| toks[at + offset].word == *word)
    })
}

pub(super) fn has_phrase(toks: &[Tok], phrase: &str) -> bool {
    find_phrase(toks, phrase).is_some()
}

pub(super) fn has_any(toks: &[Tok], phrases: &[&str]) -> bool {
    phrases.iter().any(|phrase| has_phrase(toks, phrase))
}

/// The first position of any of the words.
pub(super) fn position_of(toks: &[Tok], words: &[&str]) -> Option<usize> {
    toks.iter().position(|tok| tok.is_any(words))
}

/// The text of the request from token `from` to the end, as the user wrote
/// it, without a closing full stop or quotes.
pub(super) fn rest_raw(text: &str, toks: &[Tok], from: usize) -> String {
    let Some(first) = toks.get(from) else {
        return String::new();
    };
    let end = toks
        .iter()
        .rev()
        .find(|tok| !tok.is_punctuation())
        .map_or(text.len(), |tok| tok.end);
    let slice = if first.start < end {
        &text[first.start..end]
    } else {
        ""
    };
    slice
        .trim()
        .trim_matches(|c| OPENING.contains(&c) || CLOSING.contains(&c))
        .trim()
        .to_string()
}

/// The raw text of a run of tokens.
pub(super) fn raw_span(text: &str, toks: &[Tok]) -> String {
    match (toks.first(), toks.last()) {
        (Some(first), Some(last)) if first.start <= last.end => {
            text[first.start..last.end].to_string()
        }
        _ => String::new(),
    }
}

/// A number written in digits ("30", "1.5", "1,000") or as a word ("five").
/// A number as JSON: whole numbers stay integers ("100", not "100.0"),
/// as the user wrote them.
pub(super) fn number_json(value: f64) -> serde_json::Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serde_json::Value::from(value as i64)
    } else {
        serde_json::Value::from(value)
    }
}

pub(super) fn number(word: &str) -> Option<f64> {
    let cleaned = word.replace([',', '_'], "");
    if !cleaned.is_empty()
        && cleaned.chars().all(|c| c.is_ascii_digit() || c == '.')
        && cleaned.chars().any(|c| c.is_ascii_digit())
    {
        return cleaned.parse().ok();
    }
    if let Some(value) = crate::core::vocabulary::number_word(word) {
        return Some(value as f64);
    }
    // "twenty-five"
    if let Some((tens, ones)) = word.split_once('-')
        && let (Some(tens), Some(ones)) = (
            crate::core::vocabulary::number_word(tens),
            crate::core::vocabulary::number_word(ones),
        )
        && tens >= 20
        && tens % 10 == 0
        && ones < 10
    {
        return Some((tens + ones) as f64);
    }
    match word {
        "hundred" => Some(100.0),
        "thousand" => Some(1000.0),
        "dozen" => Some(12.0),
        _ => None,
    }
}

/// A number written in several words, from token `at`: "twelve
/// hundred", "two thousand five hundred", "one hundred and fifty",
/// "twenty five". Its value and how many tokens it spans; a single word
/// is left to [`number`].
pub(super) fn number_phrase(toks: &[Tok], at: usize) -> Option<(f64, usize)> {
    use crate::core::vocabulary::{number_scale, number_word};
    let mut total: u64 = 0;
    let mut current: u64 = 0;
    let mut length = 0;
    let mut words = 0;
    while let Some(tok) = toks.get(at + length) {
        let word = tok.word.as_str();
        // "a hundred and ten", "a thousand": "a" is one.
        if length == 0
            && matches!(word, "a" | "an")
            && toks
                .get(at + 1)
                .is_some_and(|next| number_scale(&next.word).is_some())
        {
            current = 1;
            length += 1;
            words += 1;
            continue;
        }
        if let Some(scale) = number_scale(word).filter(|_| words > 0) {
            current = current.max(1) * scale;
            if scale >= 1000 {
                total += current;
                current = 0;
            }
        } else if let Some(value) = number(word).filter(|value| {
            value.fract() == 0.0 && word.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
        }) {
            let value = value as u64;
            // "twenty five" adds; "five twenty" is no number.
            if !current.is_multiple_of(100) && (!current.is_multiple_of(10) || value >= 10) {
                break;
            }
            current += value;
        } else if word == "and"
            && words > 0
            && toks
                .get(at + length + 1)
                .is_some_and(|next| number_word(&next.word).is_some())
        {
            length += 1;
            continue;
        } else {
            break;
        }
        length += 1;
        words += 1;
    }
    (words >= 2).then(|| ((total + current) as f64, length))
}

/// A whole number (see [`number`]).
pub(super) fn count(word: &str) -> Option<u64> {
    number(word)
        .filter(|value| value.fract() == 0.0 && *value >= 0.0)
        .map(|value| value as u64)
}

/// "every night", "each morning", "hourly", "at 9am": a schedule the
/// format cannot hold, so the summary says where it belongs.
pub(super) fn speaks_of_a_schedule(toks: &[Tok]) -> bool {
    toks.iter().any(|tok| {
        tok.is_any(&[
            "nightly",
            "hourly",
            "weekly",
            "cron",
            "schedule",
            "scheduled",
        ])
    })
        // "every 5 minutes", "every two hours"
        || toks.windows(3).any(|triple| {
            triple[0].is_any(&["every", "each"])
                && count(&triple[1].word).is_some()
                && unit_ms(&triple[2].word).is_some_and(|ms| ms >= 60_000)
        })
        || toks.windows(2).any(|pair| {
            pair[0].is_any(&["every", "each"])
                && !pair[1].is("a")
                && pair[1].is_any(super::build::SCHEDULE_NOUNS)
                || pair[0].is("at")
                    && (pair[1].word.ends_with("am") || pair[1].word.ends_with("pm"))
                    && pair[1].word.starts_with(|c: char| c.is_ascii_digit())
        })
}

/// "step 2", "step #2", "step number 2", "step no. 2" → "2nd step", the
/// form positions are read in.
pub(super) fn step_numbers_as_ordinals(toks: &[Tok]) -> Vec<Tok> {
    let mut out = Vec::with_capacity(toks.len());
    let mut index = 0;
    while index < toks.len() {
        let tok = &toks[index];
        // "second to last" (whose "second" would read as a time unit).
        if tok.is_any(&["second", "next"]) {
            let words = |at: usize| toks.get(at).map(|tok| tok.word.as_str());
            let length = match (words(index + 1), words(index + 2)) {
                (Some("to"), Some("last" | "final")) => 3,
                (Some("last" | "final"), _) => 2,
                _ => 0,
            };
            if length > 0 {
                out.push(Tok {
                    word: "penultimate".into(),
                    raw: "penultimate".into(),
                    start: tok.start,
                    end: toks[index + length - 1].end,
                });
                index += length;
                continue;
            }
        }
        // "the second step", "the third one": a position, which "second"
        // as a unit of time would otherwise swallow.
        let after_number = index
            .checked_sub(1)
            .is_some_and(|before| number(&toks[before].word).is_some());
        if let Some(n) = ordinal(&tok.word).filter(|_| tok.word.chars().all(char::is_alphabetic))
            && !after_number
            && toks
                .get(index + 1)
                .is_some_and(|next| next.is_any(&["step", "one", "stage", "task"]))
        {
            let mut positioned = tok.clone();
            positioned.word = format!("{n}th");
            out.push(positioned);
            index += 1;
            continue;
        }
        // "the save step 4 attempts": a step named before "step", or a count
        // after the number, is not a position.
        let named_before = index.checked_sub(1).is_some_and(|before| {
            let before = &toks[before];
            !before.is_punctuation()
                && !is_stopword(&before.word)
                && !before.is_any(&[
                    "retry", "remove", "delete", "drop", "rename", "move", "skip", "swap",
                    "replace", "make", "give", "set", "change", "update", "after", "before",
                ])
        });
        if tok.is_any(&["step", "stage"]) && !named_before {
            let skip = match toks.get(index + 1).map(|next| next.word.as_str()) {
                Some("number" | "no" | "nr" | "#") => 2,
                _ => 1,
            };
            if let Some(number) = toks.get(index + skip).filter(|next| {
                let digits = next.word.trim_start_matches('#');
                (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
                    // "step three"
                    || crate::core::vocabulary::number_word(&next.word)
                        .is_some_and(|n| (1..=20).contains(&n))
            }) {
                let counted = toks.get(index + skip + 1).is_some_and(|after| {
                    unit_ms(&after.word).is_some()
                        || after.is_any(&["attempts", "attempt", "times", "tries", "retries", "x"])
                });
                if counted {
                    out.push(tok.clone());
                    index += 1;
                    continue;
                }
                let position = match count(&number.word) {
                    Some(value) => value.to_string(),
                    None => number.word.trim_start_matches('#').to_string(),
                };
                out.push(Tok {
                    word: format!("{position}th"),
                    raw: number.raw.clone(),
                    start: number.start,
                    end: number.end,
                });
                out.push(tok.clone());
                index += skip + 1;
                continue;
            }
        }
        out.push(tok.clone());
        index += 1;
    }
    out
}

/// "first" → 1, "2nd" → 2, "last" is not an ordinal here.
pub(super) fn ordinal(word: &str) -> Option<usize> {
    const ORDINALS: [&str; 10] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ];
    if let Some(position) = ORDINALS.iter().position(|name| *name == word) {
        return Some(position + 1);
    }
    for suffix in ["st", "nd", "rd", "th"] {
        if let Some(digits) = word.strip_suffix(suffix)
            && let Ok(value) = digits.parse::<usize>()
        {
            return Some(value);
        }
    }
    None
}

/// Milliseconds per unit word, when the word is a time unit.
pub(super) fn unit_ms(word: &str) -> Option<u64> {
    match word {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" | "millis" => Some(1),
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1_000),
        "m" | "min" | "mins" | "minute" | "minutes" => Some(60_000),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(3_600_000),
        "day" | "days" => Some(86_400_000),
        "week" | "weeks" => Some(604_800_000),
        _ => None,
    }
}

/// The unit of time a name's last part says its value is kept in, in
/// milliseconds (`latency_ms`, `keep_days`, `older_than_days`).
pub(super) fn name_unit_ms(name: &str) -> Option<u64> {
    unit_ms(name.to_lowercase().rsplit(['_', '-']).next()?)
}

/// A duration found in the tokens: its length in milliseconds, and the
/// tokens it spans.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Duration {
    pub ms: u64,
    pub start: usize,
    pub end: usize,
}

impl Duration {
    /// Whole seconds, rounding up (1500 ms → 2 s; never 0 for a positive
    /// duration).
    pub fn secs(&self) -> u64 {
        self.ms.div_ceil(1000)
    }
}

/// Every duration in the tokens: "30 seconds", "30s", "2 min", "500ms",
/// "half a minute", "an hour", "1.5 minutes". A bare number followed by no
/// unit is not a duration.
pub(super) fn durations(toks: &[Tok]) -> Vec<Duration> {
    let mut found = Vec::new();
    let mut index = 0;
    while index < toks.len() {
        let word = toks[index].word.as_str();
        // Glued: "30s", "500ms", "1.5min".
        let split = word
            .find(|c: char| c.is_ascii_alphabetic())
            .filter(|&at| at > 0);
        if let Some(at) = split
            && let (Some(value), Some(unit)) = (number(&word[..at]), unit_ms(&word[at..]))
        {
            found.push(Duration {
                ms: (value * unit as f64).round() as u64,
                start: index,
                end: index + 1,
            });
            index += 1;
            continue;
        }
        if word == "half"
            && toks
                .get(index + 1)
                .is_some_and(|next| next.is_any(&["a", "an"]))
            && let Some(unit) = toks.get(index + 2).and_then(|tok| unit_ms(&tok.word))
        {
            found.push(Duration {
                ms: unit / 2,
                start: index,
                end: index + 3,
            });
            index += 3;
            continue;
        }
        // "a quarter of an hour", "three quarters of an hour".
        let quarters = match word {
            "a" | "one" if toks.get(index + 1).is_some_and(|next| next.is("quarter")) => Some(1),
            "three" if toks.get(index + 1).is_some_and(|next| next.is("quarters")) => Some(3),
            _ => None,
        };
        if let Some(quarters) = quarters
            && toks.get(index + 2).is_some_and(|tok| tok.is("of"))
            && toks
                .get(index + 3)
                .is_some_and(|tok| tok.is_any(&["a", "an"]))
            && let Some(unit) = toks.get(index + 4).and_then(|tok| unit_ms(&tok.word))
        {
            found.push(Duration {
                ms: unit * quarters / 4,
                start: index,
                end: index + 5,
            });
            index += 5;
            continue;
        }
        let value = match word {
            "a" | "an" | "one" => Some(1.0),
            _ => number(word),
        };
        // "two and a half minutes": the fraction comes before the unit.
        let (value, unit_at) = match (value, fraction_after(toks, index + 1)) {
            (Some(value), Some((fraction, after))) if !matches!(word, "a" | "an") => {
                (Some(value + fraction), after)
            }
            _ => (value, index + 1),
        };
        if let Some(value) = value
            && let Some(unit) = toks.get(unit_at).and_then(|tok| unit_ms(&tok.word))
        {
            // "a" only counts before a unit word spelt out ("a minute"), not "a s".
            let unit_word = toks[unit_at].word.as_str();
            if !(matches!(word, "a" | "an") && unit_word.len() <= 3) {
                let mut ms = (value * unit as f64).round() as u64;
                let mut end = unit_at + 1;
                // "a minute and a half", "an hour and a quarter"
                if let Some((fraction, after)) = fraction_after(toks, end) {
                    ms += (fraction * unit as f64).round() as u64;
                    end = after;
                }
                found.push(Duration {
                    ms,
                    start: index,
                    end,
                });
                index = end;
                continue;
            }
        }
        index += 1;
    }
    found
}

/// "and a half", "and a quarter", "and three quarters" at `at`: the
/// fraction they add and where they end.
fn fraction_after(toks: &[Tok], at: usize) -> Option<(f64, usize)> {
    if !toks.get(at)?.is("and") {
        return None;
    }
    let count = toks.get(at + 1)?;
    let part = toks.get(at + 2)?;
    let fraction = match (count.word.as_str(), part.word.as_str()) {
        ("a" | "an" | "one", "half") => 0.5,
        ("a" | "one", "quarter") => 0.25,
        ("three", "quarters") => 0.75,
        _ => return None,
    };
    Some((fraction, at + 3))
}

/// A crude stem: enough to make inflections of one word meet. The same
/// one skill ranking uses, so the planner and the ranking agree.
pub(super) fn stem(word: &str) -> String {
    crate::core::ranking::stem(&word.to_lowercase())
}

/// Whether two words are forms of the same word.
pub(super) fn same_word(left: &str, right: &str) -> bool {
    left == right || same_stem(&stem(left), &stem(right))
}

/// Whether two stems (see [`stem`]) are forms of the same word.
pub(super) fn same_stem(left: &str, right: &str) -> bool {
    if left == right {
        return true;
    }
    let (short, long) = if left.len() <= right.len() {
        (left, right)
    } else {
        (right, left)
    };
    short.len() >= 4 && long.len() - short.len() <= 2 && long.starts_with(short)
}

/// Words that carry no meaning for finding a step or a skill.
pub(super) const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "to",
    "of",
    "for",
    "in",
    "on",
    "at",
    "by",
    "and",
    "or",
    "with",
    "from",
    "into",
    "onto",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "them",
    "they",
    "their",
    "please",
    "my",
    "our",
    "me",
    "we",
    "i",
    "you",
    "your",
    "can",
    "could",
    "would",
    "should",
    "will",
    "shall",
    "let",
    "lets",
    "let's",
    "be",
    "is",
    "are",
    "was",
    "were",
    "been",
    "do",
    "does",
    "did",
    "so",
    "up",
    "also",
    "just",
    "then",
    "when",
    "if",
    "as",
    "step",
    "steps",
    "one",
    "ones",
    "workflow",
    "pipeline",
    "which",
    "who",
    "what",
    "there",
    "here",
    "some",
    "any",
    "all",
    "each",
    "every",
    "both",
    "too",
    "very",
    "now",
    "again",
    "logic",
    "stage",
    "task",
    "job",
    "part",
    "=",
    ",",
    ";",
    ".",
    "because",
    "sometimes",
    "often",
    "always",
    "make",
    "sure",
    "need",
    "needs",
    "want",
    "wants",
    "instead",
    "using",
    "use",
    "via",
    "about",
    "but",
    "not",
    "no",
    "don't",
    "dont",
    "doesn't",
    "after",
    "before",
    "between",
    "new",
    "called",
    "named",
];

pub(super) fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// Lowercase words joined by '-', as an id or a skill name.
pub(super) fn kebab(words: &[&str]) -> String {
    crate::core::names::suggest_name(&words.join(" "))
}

/// A verb's base form from a common inflection ("fetches" → "fetch",
/// "validates" → "validate", "sends" → "send"). "-ing" and "-ed" forms are
/// left to the concept table.
pub(super) fn lemma(word: &str) -> String {
    for ending in ["ches", "shes", "sses", "xes", "zzes"] {
        if word.ends_with(ending) {
            return word[..word.len() - 2].to_string();
        }
    }
    if word.len() > 3 && word.ends_with("ies") {
        return format!("{}y", &word[..word.len() - 3]);
    }
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

/// "resize" → "resizer", "send" → "sender", "notify" → "notifier".
pub(super) fn agent_noun(verb: &str) -> String {
    // Latin-style agents: "extractor", "translator", "aggregator".
    if verb.ends_with("ct") {
        return format!("{verb}or");
    }
    if let Some(base) = verb.strip_suffix("ate")
        && base.len() > 2
    {
        return format!("{base}ator");
    }
    let letters: Vec<char> = verb.chars().collect();
    let vowel = |c: char| "aeiou".contains(c);
    // "scan" → "scanner", "log" → "logger": one short syllable ending in a
    // consonant after one vowel doubles it.
    let doubles = letters.len() <= 5
        && letters.iter().filter(|c| vowel(**c)).count() == 1
        && matches!(letters.as_slice(), [.., before, middle, last]
            if !vowel(*before) && vowel(*middle) && !vowel(*last) && !"wxy".contains(*last));
    if verb.ends_with('e') {
        format!("{verb}r")
    } else if doubles {
        format!("{verb}{}er", letters[letters.len() - 1])
    } else if let Some(base) = verb.strip_suffix('y')
        && !base.ends_with(vowel)
    {
        format!("{base}ier")
    } else {
        format!("{verb}er")
    }
}

/// The tokens of clauses about what people do around the workflow, not
/// what it does: "… before we share the album", "… so that legal can
/// verify it", "… because they asked": a time or reason word, then a person.
pub(super) fn speaker_clauses(toks: &[Tok]) -> Vec<bool> {
    const MARKERS: &[&str] = &[
        "before", "after", "because", "since", "so", "while", "once", "until", "when",
    ];
    const PEOPLE: &[&str] = &[
        "you're",
        "we're",
        "i'm",
        "they're",
        "we",
        "i",
        "you",
        "they",
        "anybody",
        "anyone",
        "somebody",
        "someone",
        "people",
        "legal",
        "members",
        "customers",
        "users",
        "nobody",
    ];
    let mut inside = vec![false; toks.len()];
    // "Compliance says …", "the vendor told us …": who asked, at the start
    // of a sentence.
    let mut start = 0;
    while start < toks.len() {
        let end = (start..toks.len())
            .find(|&at| toks[at].is_punctuation())
            .unwrap_or(toks.len());
        if let Some(verb) = (start..end.min(start + 5)).find(|&at| {
            toks[at].is_any(&[
                "says", "said", "asks", "asked", "wants", "wanted", "told", "mentioned",
                "reports", "reported", "insists",
            ])
        }) && verb > start
            // "check what the API says" is an action, not who asked.
            && !super::concepts::is_verb(&toks[start].word)
        {
            let mut last = verb;
            while toks
                .get(last + 1)
                .is_some_and(|next| next.is_any(&["that", "us", "me"]))
            {
                last += 1;
            }
            inside[start..=last].fill(true);
        }
        start = end + 1;
    }
    let mut at = 0;
    while at < toks.len() {
        let person_at = if toks[at].is("so") && toks.get(at + 1).is_some_and(|next| next.is("that"))
        {
            at + 2
        } else {
            at + 1
        };
        if toks[at].is_any(MARKERS) && toks.get(person_at).is_some_and(|next| next.is_any(PEOPLE)) {
            let end = (at..toks.len())
                .find(|&next| toks[next].is_punctuation())
                .unwrap_or(toks.len());
            inside[at..end].fill(true);
            at = end;
            continue;
        }
        at += 1;
    }
    inside
}

/// Capitalises the first letter.
pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "a", "a and b", "a, b and c", with each item quoted.
pub(super) fn quoted_list(items: &[String], conjunction: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("'{item}'")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!(
            "{} {conjunction} {}",
            quoted[..n - 1].join(", "),
            quoted[n - 1]
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_of(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|tok| tok.word).collect()
    }

    #[test]
    fn tokens_keep_urls_and_split_punctuation() {
        assert_eq!(
            words_of("Fetch https://api.example.com/data, then save."),
            [
                "fetch",
                "https://api.example.com/data",
                ",",
                "then",
                "save",
                "."
            ]
        );
        assert_eq!(
            words_of("set 'api_url' to \"x\""),
            ["set", "api_url", "to", "x"]
        );
        assert_eq!(words_of("fetch's timeout"), ["fetch", "timeout"]);
        assert_eq!(
            words_of("api_url=https://x?a=1"),
            ["api_url", "=", "https://x?a=1"]
        );
        let toks = tokenize("set the url to https://X.org/A.");
        assert_eq!(
            rest_raw("set the url to https://X.org/A.", &toks, 4),
            "https://X.org/A"
        );
    }

    #[test]
    fn step_numbers_read_as_positions_unless_counted() {
        let words = |text: &str| -> Vec<String> {
            step_numbers_as_ordinals(&tokenize(text))
                .into_iter()
                .map(|tok| tok.word)
                .collect()
        };
        assert_eq!(words("retry step 2"), ["retry", "2th", "step"]);
        assert_eq!(words("remove step #3"), ["remove", "3th", "step"]);
        assert_eq!(words("to step number 4"), ["to", "4th", "step"]);
        // A step named before "step", or a count after the number, stays.
        assert_eq!(
            words("give the save step 4 attempts"),
            ["give", "the", "save", "step", "4", "attempts"]
        );
        assert_eq!(words("the step 5 times"), ["the", "step", "5", "times"]);
        assert_eq!(ordinal("2th"), Some(2));
    }

    #[test]
    fn numbers_and_durations() {
        assert_eq!(count("five"), Some(5));
        assert_eq!(count("12"), Some(12));
        assert_eq!(ordinal("second"), Some(2));
        assert_eq!(ordinal("3rd"), Some(3));
        let ms = |text: &str| durations(&tokenize(text)).first().map(|d| d.ms);
        assert_eq!(ms("to 30 seconds"), Some(30_000));
        assert_eq!(ms("to 30s"), Some(30_000));
        assert_eq!(ms("2 minutes"), Some(120_000));
        assert_eq!(ms("1500ms"), Some(1_500));
        assert_eq!(ms("half a minute"), Some(30_000));
        assert_eq!(ms("a minute and a half"), Some(90_000));
        assert_eq!(ms("an hour and a quarter"), Some(4_500_000));
        assert_eq!(ms("two and a half minutes"), Some(150_000));
        assert_eq!(ms("two and a half seconds"), Some(2_500));
        assert_eq!(ms("a minute and three quarters"), Some(105_000));
        assert_eq!(ms("five sec"), Some(5_000));
        assert_eq!(ms("a 10-day window"), Some(864_000_000));
        assert_eq!(ms("a 30-second timeout"), Some(30_000));
        assert_eq!(ms("5 times"), None);
        assert_eq!(
            Duration {
                ms: 1_500,
                start: 0,
                end: 1
            }
            .secs(),
            2
        );
    }

    #[test]
    fn inflections_meet() {
        assert!(same_word("validation", "validate"));
        assert!(same_word("validator", "validate"));
        assert!(same_word("logging", "log"));
        assert!(same_word("saving", "save"));
        assert!(same_word("notification", "notify"));
        assert!(same_word("fetcher", "fetch"));
        assert!(!same_word("data", "database"));
        assert!(!same_word("fetch", "file"));
        assert_eq!(lemma("fetches"), "fetch");
        assert_eq!(lemma("validates"), "validate");
        assert_eq!(lemma("process"), "process");
        assert_eq!(agent_noun("resize"), "resizer");
    }
}
