//! Reading an edit request into [`Edit`]s, from the words alone: which
//! kind of change, which words name the steps, and the values given. The
//! workflow is not needed here; [`super::edit`] resolves the edits
//! against it.

mod failures;
mod structure;

use crate::core::model::{Backoff, Strategy};
use crate::core::skill::Skill;

use super::text::{Tok, number, tokenize};

use failures::{parse_fallback, parse_handling, parse_retry, parse_timeout};
pub(crate) use failures::{retry_settings, timeout_in};
use structure::{
    parse_add_step, parse_adjust_value, parse_description, parse_guard, parse_input,
    parse_parallel, parse_remove, parse_rename, parse_reorder, parse_retarget, parse_set_value,
    parse_skill,
};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TimeoutChange {
    Set(u64),
    /// A duration that is not whole seconds, in ms: rounded up, and said so.
    SetMs(u64),
    /// A value no timeout can have ("-5 seconds"), as written.
    Negative(String),
    Remove,
    Add(i64),
    Scale(f64),
    Unspecified,
}

#[derive(Debug, Clone)]
pub(crate) enum Place {
    Before(Vec<Tok>),
    After(Vec<Tok>),
    Start,
    End,
    Swap(Vec<Tok>),
    Up,
    Down,
}

#[derive(Debug, Clone)]
pub(crate) enum AddPlace {
    Before(Vec<Tok>),
    After(Vec<Tok>),
    Start,
    End,
}

/// The kind of a value given for the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Url,
    Path,
    Email,
    Channel,
    Bucket,
    Table,
    Host,
    Phone,
    Number,
    /// A port for a URL ("listens on port 9092 now").
    Port,
    /// One word: a name, a mode ("order_number", "line").
    Word,
}

/// A value the request gives, to go where a value of its kind is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewValue {
    pub kind: ValueKind,
    pub text: String,
    /// Read from weak evidence (a plain word before "instead of", a bare
    /// number, a value's shape): it goes to a key only when the old value
    /// or the key's own words say which.
    pub bare: bool,
    /// Seconds per unit of a number written with one ("45 minutes").
    pub unit_secs: Option<u64>,
}

/// One change, as read from the words.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Retry {
        phrase: Vec<Tok>,
        attempts: Option<u32>,
        backoff: Option<Backoff>,
        initial_ms: Option<u64>,
        max_ms: Option<u64>,
        remove: bool,
    },
    /// "don't retry the upload on exit code 4": the retry stays, that
    /// kind of error is not retried. `unknown` holds an error named by
    /// its meaning ("access denied", "404"), which qwf cannot tell apart.
    NotRetriedOn {
        phrase: Vec<Tok>,
        kinds: Vec<String>,
        unknown: Vec<String>,
    },
    Timeout {
        phrase: Vec<Tok>,
        change: TimeoutChange,
    },
    Strategy {
        phrase: Vec<Tok>,
        strategy: Strategy,
    },
    ClearHandling {
        phrase: Vec<Tok>,
    },
    Fallback {
        primary: Vec<Tok>,
        backup: Vec<Tok>,
    },
    Rename {
        from: Vec<Tok>,
        to: String,
    },
    Parallel {
        phrase: Vec<Tok>,
    },
    Description(String),
    SetSkill {
        step: Vec<Tok>,
        skill: String,
        old: Option<String>,
    },
    SetInput {
        step: Vec<Tok>,
        input: String,
        value: String,
    },
    Reorder {
        moved: Vec<Tok>,
        place: Place,
    },
    Remove {
        phrase: Vec<Tok>,
    },
    /// "bump alert_threshold up by 100", "lower the limit by 5".
    AdjustValue {
        phrase: Vec<Tok>,
        delta: f64,
    },
    SetValue {
        phrase: Vec<Tok>,
        value: String,
        explicit: bool,
    },
    AddStep {
        what: Vec<Tok>,
        place: AddPlace,
        /// Said with "add"/"insert"…; without, "fetch users after orders"
        /// may be about a step that exists.
        explicit: bool,
        /// Said with "put"/"place": "put the email first" moves a step.
        moving: bool,
    },
    /// "send the email to ceo@example.com instead", "fetch from URL
    /// instead": a new value for the step's input of the same kind.
    Retarget {
        phrase: Vec<Tok>,
        value: Tok,
    },
    /// "the endpoint is now https://…", "alert at 90% instead of 85": new
    /// values for the context, put where values of their kind are.
    NewValues {
        values: Vec<NewValue>,
        old: Option<String>,
        phrase: Vec<Tok>,
        /// The one literal, for a step input when no context value fits.
        literal: Option<Tok>,
    },
    /// "only save if the data is valid", "skip the save when validation
    /// fails": the step runs under a condition.
    Guard {
        phrase: Vec<Tok>,
        condition: Vec<Tok>,
        negate: bool,
    },
}

pub(crate) fn excluding(toks: &[Tok], words: &[&str], ranges: &[(usize, usize)]) -> Vec<Tok> {
    toks.iter()
        .enumerate()
        .filter(|(index, tok)| {
            !tok.is_any(words)
                && !ranges
                    .iter()
                    .any(|(start, end)| index >= start && index < end)
        })
        .map(|(_, tok)| tok.clone())
        .collect()
}

pub(crate) const CONTEXT_WORDS: &[&str] = &[
    "context",
    "setting",
    "settings",
    "variable",
    "variables",
    "value",
    "parameter",
    "config",
    "configuration",
    "env",
    "key",
];

/// Whether the request places something ("add … after …", "at the
/// end"): then it adds a step, it does not give a new value.
fn places_something(toks: &[Tok]) -> bool {
    toks.iter().enumerate().any(|(at, tok)| {
        // "after 45 minutes" is a value's duration, not a place.
        let before_a_number = tok.is_any(&["after", "before"])
            && (toks
                .get(at + 1)
                .is_some_and(|next| super::text::number(&next.word).is_some())
                || super::text::durations(toks)
                    .iter()
                    .any(|duration| duration.start == at + 1));
        // "at the end" is a place; "sessions should end" is not.
        let place = tok.is_any(&["end", "start", "beginning"])
            && toks[at.saturating_sub(2)..at]
                .iter()
                .any(|before| before.is_any(&["the", "at"]));
        // "put a step at … that writes …": a step not there yet.
        let new_step = tok.is("step")
            && at
                .checked_sub(1)
                .is_some_and(|before| toks[before].is_any(&["a", "another", "extra"]));
        place
            || new_step
            || (!before_a_number
                && tok.is_any(&[
                    "add",
                    "insert",
                    "also",
                    "alongside",
                    "another",
                    "between",
                    "after",
                    "before",
                ]))
    })
}

/// "upload to the acme-backups-eu bucket from now on", "the shop API
/// moved, it's now https://…", "make the chart a line chart".
fn parse_new_values(toks: &[Tok]) -> Option<Edit> {
    if places_something(toks) {
        return None;
    }
    let mut values = super::edit::values::parse_new_values(toks);
    // "make the chart a line chart": a word before the thing it names.
    if values.is_empty() {
        for (at, tok) in toks.iter().enumerate() {
            if tok.is_any(&["a", "an"])
                && let (Some(kind), Some(thing)) = (toks.get(at + 1), toks.get(at + 2))
                && toks[..at].iter().any(|earlier| earlier.word == thing.word)
                && kind.word.chars().all(|c| c.is_ascii_alphabetic())
                && !super::text::is_stopword(&kind.word)
            {
                values.push(NewValue {
                    kind: ValueKind::Word,
                    text: kind.word.clone(),
                    bare: false,
                    unit_secs: None,
                });
            }
        }
    }
    if values.is_empty() {
        return None;
    }
    let literal_tokens: Vec<usize> = super::build::literals(toks)
        .iter()
        .flat_map(|(indices, _)| indices.clone())
        .collect();
    let literal = match super::build::literals(toks).as_slice() {
        [(indices, _)] => Some(toks[indices[0]].clone()),
        _ => None,
    };
    let phrase: Vec<Tok> = toks
        .iter()
        .enumerate()
        .filter(|(at, tok)| {
            !literal_tokens.contains(at) && !values.iter().any(|value| value.text == tok.raw)
        })
        .map(|(_, tok)| tok.clone())
        .collect();
    Some(Edit::NewValues {
        old: super::edit::values::old_value(toks),
        values,
        phrase,
        literal,
    })
}

/// Words of the changes that never set a context value: a request with
/// one of them is not read as a bare value.
const NOT_A_VALUE: &[&str] = &[
    "retry", "retries", "retried", "retrying", "attempt", "attempts", "tries", "times", "timeout",
    "timeouts", "time-out", "version", "versions", "ago", "undo", "revert", "apart", "backoff",
    "back-off", "wait", "waits", "step", "steps", "give", "allow",
];

/// The whole request as new values read from weak evidence
/// ([`super::edit::values::bare_values`]): "group the rollup by device
/// instead of country", "sessions should end after 45 minutes".
fn parse_bare_values(toks: &[Tok]) -> Option<Edit> {
    if toks.iter().any(|tok| tok.is_any(NOT_A_VALUE)) {
        return None;
    }
    if places_something(toks) {
        return None;
    }
    let values = super::edit::values::bare_values(toks);
    if values.is_empty() {
        return None;
    }
    Some(Edit::NewValues {
        old: super::edit::values::old_value(toks),
        values,
        phrase: toks.to_vec(),
        literal: None,
    })
}

/// Reads one request (without splitting it) into an edit.
fn parse_one(toks: &[Tok], text: &str, skills: Option<&[Skill]>) -> Option<Edit> {
    parse_handling(toks)
        .filter(|edit| matches!(edit, Edit::ClearHandling { .. }))
        .or_else(|| parse_fallback(toks))
        .or_else(|| parse_retry(toks))
        .or_else(|| parse_timeout(toks))
        .or_else(|| parse_handling(toks))
        .or_else(|| parse_rename(toks))
        .or_else(|| parse_parallel(toks))
        .or_else(|| parse_description(toks, text))
        .or_else(|| parse_input(toks, text))
        .or_else(|| parse_skill(toks, skills))
        .or_else(|| parse_reorder(toks))
        .or_else(|| parse_remove(toks))
        .or_else(|| parse_guard(toks))
        .or_else(|| parse_adjust_value(toks))
        .or_else(|| parse_set_value(toks, text))
        .or_else(|| parse_new_values(toks))
        .or_else(|| parse_retarget(toks))
        .or_else(|| parse_add_step(toks))
}

/// Verbs that start a second edit in the same request.
const EDIT_VERBS: &[&str] = &[
    "add", "set", "increase", "decrease", "raise", "lower", "reduce", "remove", "delete", "drop",
    "rename", "move", "make", "change", "use", "switch", "replace", "retry", "give", "put",
    "insert", "update", "extend", "double", "also",
];

/// Splits "add retry to fetch and increase its timeout to 30s" into its
/// edits; a request whose parts do not all read as edits stays whole.
pub(crate) fn parse_all(toks: &[Tok], text: &str, skills: Option<&[Skill]>) -> Option<Vec<Edit>> {
    // "step 2" reads as "2nd step", so the 2 is never taken for a count.
    let numbered = place_last(&done_as_after(&time_out_as_timeout(
        &super::text::step_numbers_as_ordinals(toks),
    )));
    parse_parts(&numbered, text, skills)
        .or_else(|| parse_bare_values(&numbered).map(|edit| vec![edit]))
        .or_else(|| {
            let reordered = condition_last(&numbered);
            (reordered != numbered)
                .then(|| parse_parts(&reordered, text, skills))
                .flatten()
        })
}

/// "retry fetch 3 times and save 2 times": two counts joined by "and" are
/// two edits sharing the verb.
fn split_counted(toks: &[Tok], text: &str, skills: Option<&[Skill]>) -> Option<Vec<Edit>> {
    let counted: Vec<usize> = (0..toks.len().saturating_sub(1))
        .filter(|&at| {
            super::text::count(&toks[at].word).is_some()
                && toks[at + 1].is_any(&["times", "x", "attempts", "retries", "tries"])
        })
        .collect();
    let [first, second] = counted.as_slice() else {
        return None;
    };
    let join = (first + 2..*second).find(|&at| toks[at].is_any(&["and", ",", "&"]))?;
    let head = &toks[..join];
    let mut tail: Vec<Tok> = toks[join + 1..].to_vec();
    let one = parse_one(head, text, skills)?;
    let two = parse_one(&tail, text, skills).or_else(|| {
        // The verb of the first half carries over ("… and save 2 times").
        let verb = head.first()?.clone();
        tail.insert(0, verb);
        parse_one(&tail, text, skills)
    })?;
    Some(vec![one, two])
}

/// "add retry to fetch and a 20 second timeout to save", "set the table to
/// X and the schema to Y": two edits joined by "and" with no second verb.
/// The second half must read as an edit of another kind on its own, or as
/// the same kind with its own value.
fn split_conjoined(toks: &[Tok], text: &str, skills: Option<&[Skill]>) -> Option<Vec<Edit>> {
    split_conjoined_reading(toks, text, skills, false)
}

/// [`split_conjoined`], reading a part that is no edit of its own as a
/// value said bare when `bare` ("threads up to 12, and a 45 minute
/// timeout on fastqc"): only once no reading without it fits.
fn split_conjoined_reading(
    toks: &[Tok],
    text: &str,
    skills: Option<&[Skill]>,
    bare: bool,
) -> Option<Vec<Edit>> {
    let read_bare = |part: &[Tok]| {
        if bare { parse_bare_values(part) } else { None }
    };
    let has_duration = |part: &[Tok]| !super::text::durations(part).is_empty();
    let has_target = |part: &[Tok]| part.iter().any(|tok| tok.is_any(&["to", "="]));
    for at in 2..toks.len().saturating_sub(1) {
        if !toks[at].is_any(&["and", ","]) {
            continue;
        }
        let first = &toks[..at];
        let lead = toks[at + 1..]
            .iter()
            .take_while(|tok| tok.is_any(&["and", ",", "then", "also", "just", "please"]))
            .count();
        let second = &toks[at + 1 + lead..];
        if second.is_empty() {
            continue;
        }
        let Some(one) = parse_one(first, text, skills).or_else(|| read_bare(first)) else {
            continue;
        };
        // "… and if the email fails just continue": the condition first.
        let reordered = condition_last(second);
        if let Some(two) = parse_one(second, text, skills)
            .or_else(|| parse_one(&reordered, text, skills))
            .or_else(|| read_bare(second))
            && std::mem::discriminant(&one) != std::mem::discriminant(&two)
        {
            return Some(vec![one, two]);
        }
        // The same kind with a value of its own: "a 10 second timeout and
        // save a 30 second one", "the table to X and the schema to Y".
        let carried: Option<Vec<Tok>> = match &one {
            Edit::Timeout { .. } if has_duration(first) && has_duration(second) => {
                let mut part = second.to_vec();
                let mut word = toks[at].clone();
                word.word = "timeout".into();
                word.raw = "timeout".into();
                part.push(word);
                Some(part)
            }
            Edit::SetValue { .. } if has_target(first) && has_target(second) => {
                let mut part = second.to_vec();
                part.insert(0, first[0].clone());
                Some(part)
            }
            _ => None,
        };
        if let Some(part) = carried
            && let Some(two) = parse_one(&part, text, skills)
            && std::mem::discriminant(&one) == std::mem::discriminant(&two)
        {
            return Some(vec![one, two]);
        }
    }
    None
}

fn parse_parts(toks: &[Tok], text: &str, skills: Option<&[Skill]>) -> Option<Vec<Edit>> {
    if let Some(edits) = split_counted(toks, text, skills) {
        return Some(edits);
    }
    let mut parts: Vec<&[Tok]> = Vec::new();
    let mut start = 0;
    for index in 0..toks.len() {
        let tok = &toks[index];
        let next = toks.get(index + 1);
        let boundary = tok.is_any(&[";", "."])
            || (tok.is_any(&["and", ","])
                && next.is_some_and(|next| next.is_any(EDIT_VERBS) || next.is("then")))
            // "the then branch" names a branch.
            || (tok.is("then") && index > start && !next.is_some_and(|next| next.is("branch")));
        if boundary && index > start {
            parts.push(&toks[start..index]);
            start = index + 1;
        } else if boundary {
            start = index + 1;
        }
    }
    if start < toks.len() {
        parts.push(&toks[start..]);
    }
    let parts: Vec<&[Tok]> = parts
        .into_iter()
        .filter(|part| {
            part.iter()
                .any(|tok| !tok.is_punctuation() && !tok.is_any(&["then", "also", "and"]))
        })
        .collect();
    if parts.len() > 1 {
        let edits: Option<Vec<Edit>> = parts
            .iter()
            .map(|part| parse_one(part, text, skills))
            .collect();
        if let Some(mut edits) = edits {
            // "we don't need the email step, remove it": one removal.
            let pronoun = |phrase: &[Tok]| {
                phrase
                    .iter()
                    .all(|tok| tok.is_punctuation() || tok.is_any(&["it", "that", "this", "them"]))
            };
            let mut index = 1;
            while index < edits.len() {
                let repeats = matches!(
                    (&edits[index - 1], &edits[index]),
                    (Edit::Remove { .. }, Edit::Remove { phrase }) if pronoun(phrase)
                );
                if repeats {
                    edits.remove(index);
                } else {
                    index += 1;
                }
            }
            return Some(edits);
        }
    }
    split_conjoined(toks, text, skills)
        .or_else(|| parse_one(toks, text, skills).map(|edit| vec![edit]))
        .or_else(|| split_conjoined_reading(toks, text, skills, true))
}

/// "time it out at 2.5 seconds", "time out the upload after a minute": a
/// timeout said as a verb.
fn time_out_as_timeout(toks: &[Tok]) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut at = 0;
    while at < toks.len() {
        let tok = &toks[at];
        // "time out", "time it out", "time the fetch out": what is timed
        // out stands between, a few words with no mark or number.
        let out_at = (at + 1..toks.len().min(at + 5))
            .take_while(|&next| !toks[next].is_punctuation() && number(&toks[next].word).is_none())
            .find(|&next| toks[next].is("out"));
        if tok.is_any(&["time", "times"])
            && let Some(out_at) = out_at
        {
            out.push(Tok {
                word: "timeout".into(),
                ..tok.clone()
            });
            out.extend(toks[at + 1..out_at].iter().cloned());
            at = out_at + 1;
            continue;
        }
        out.push(tok.clone());
        at += 1;
    }
    out
}

/// "when the save is done" → "after the save": a step's end is a place.
fn done_as_after(toks: &[Tok]) -> Vec<Tok> {
    const ENDS: &[&[&str]] = &[
        &["is", "done"],
        &["is", "finished"],
        &["is", "complete"],
        &["has", "finished"],
        &["has", "run"],
        &["finishes"],
        &["completes"],
        &["is", "over"],
    ];
    let Some(at) = toks.iter().position(|tok| tok.is_any(&["when", "once"])) else {
        return toks.to_vec();
    };
    for end in at + 2..toks.len().min(at + 7) {
        if let Some(marker) = ENDS.iter().find(|marker| {
            toks.len() >= end + marker.len()
                && marker
                    .iter()
                    .enumerate()
                    .all(|(offset, word)| toks[end + offset].is(word))
        }) {
            let mut after = toks[at].clone();
            after.word = "after".into();
            after.raw = "after".into();
            let mut out: Vec<Tok> = toks[..at].to_vec();
            out.push(after);
            out.extend(toks[at + 1..end].iter().cloned());
            out.extend(toks[end + marker.len()..].iter().cloned());
            return out;
        }
    }
    toks.to_vec()
}

/// "after validate, add a logging step" → "add a logging step after
/// validate": a place said first goes where the readers expect it.
fn place_last(toks: &[Tok]) -> Vec<Tok> {
    let opens =
        toks.first()
            .is_some_and(|tok| tok.is_any(&["after", "before"]))
            || (toks.first().is_some_and(|tok| tok.is("at"))
                && toks.iter().take(5).any(|tok| {
                    tok.is_any(&["start", "beginning", "end", "top", "bottom", "front"])
                }));
    match toks.iter().position(|tok| tok.is(",")) {
        Some(comma) if opens && comma > 1 && comma + 1 < toks.len() => {
            let mut reordered: Vec<Tok> = toks[comma + 1..].to_vec();
            reordered.extend(toks[..comma].iter().cloned());
            reordered
        }
        _ => toks.to_vec(),
    }
}

/// "if the save fails, continue" → "continue if the save fails": the
/// order every edit reader expects (the action first).
fn condition_last(toks: &[Tok]) -> Vec<Tok> {
    let opens = toks
        .first()
        .is_some_and(|tok| tok.is_any(&["if", "when", "whenever", "should", "once"]));
    if !opens {
        return toks.to_vec();
    }
    // (condition, action): split at the comma, or without one where the
    // condition's verb ends it ("if the email fails just continue").
    let split = match toks.iter().position(|tok| tok.is(",")) {
        Some(comma) => Some((&toks[..comma], &toks[comma + 1..])),
        None => toks
            .iter()
            .position(|tok| {
                tok.is_any(&[
                    "fails", "failed", "errors", "breaks", "crashes", "succeeds", "finishes",
                ])
            })
            .map(|at| (&toks[..=at], &toks[at + 1..])),
    };
    match split {
        Some((condition, action)) if condition.len() > 1 && !action.is_empty() => {
            let mut reordered: Vec<Tok> = action.to_vec();
            reordered.extend(condition.iter().cloned());
            reordered
        }
        _ => toks.to_vec(),
    }
}

/// Whether a request reads as an edit at all (without a workflow).
pub(super) fn looks_like_edit(text: &str) -> bool {
    parse_all(&tokenize(text), text, None).is_some()
}

/// Whether resolving the request needs the skill list.
pub(super) fn needs_skills(text: &str) -> bool {
    let toks = tokenize(text);
    // "post to teams instead of slack", "…, not google drive": maybe a step
    // done by another skill.
    let contrasted = toks.iter().enumerate().any(|(at, tok)| {
        tok.is("instead")
            || (tok.is("rather") && toks.get(at + 1).is_some_and(|next| next.is("than")))
            || (tok.is("not") && at > 0 && toks[at - 1].is_punctuation())
    });
    contrasted
        || parse_all(&toks, text, None).is_some_and(|edits| {
            edits
                .iter()
                // A condition reads an output the step's skill must produce.
                .any(|edit| {
                    matches!(
                        edit,
                        Edit::AddStep { .. } | Edit::SetSkill { .. } | Edit::Guard { .. }
                    )
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(text: &str) -> Option<Vec<Edit>> {
        parse_all(&tokenize(text), text, None)
    }

    fn attempts(text: &str) -> Option<u32> {
        retry_settings(&tokenize(text)).and_then(|(attempts, _)| attempts)
    }

    #[test]
    fn retry_counts_follow_the_first_try_rule() {
        assert_eq!(attempts("add retry logic to the API call"), None);
        assert_eq!(attempts("retry fetch 5 times"), Some(6));
        assert_eq!(attempts("retry fetch five times"), Some(6));
        assert_eq!(attempts("give fetch 4 attempts"), Some(4));
        assert_eq!(attempts("make fetch try 3 times"), Some(3));
        assert_eq!(attempts("retry twice"), Some(3));
        assert_eq!(attempts("set retries to 2"), Some(3));
        assert_eq!(attempts("add 3 retries to save"), Some(4));
        assert_eq!(
            retry_settings(&tokenize("retry with linear backoff")).and_then(|(_, backoff)| backoff),
            Some(Backoff::Linear)
        );
    }

    #[test]
    fn requests_read_as_edits() {
        let kinds = |text: &str| -> Vec<&'static str> {
            edit(text)
                .unwrap_or_default()
                .iter()
                .map(|edit| match edit {
                    Edit::Retry { .. } => "retry",
                    Edit::NotRetriedOn { .. } => "not-retried",
                    Edit::Timeout { .. } => "timeout",
                    Edit::Strategy { .. } => "strategy",
                    Edit::ClearHandling { .. } => "clear",
                    Edit::Fallback { .. } => "fallback",
                    Edit::Rename { .. } => "rename",
                    Edit::Parallel { .. } => "parallel",
                    Edit::Description(_) => "description",
                    Edit::SetSkill { .. } => "skill",
                    Edit::SetInput { .. } => "input",
                    Edit::Reorder { .. } => "reorder",
                    Edit::Remove { .. } => "remove",
                    Edit::SetValue { .. } => "value",
                    Edit::AdjustValue { .. } => "adjust",
                    Edit::AddStep { .. } => "add",
                    Edit::Guard { .. } => "guard",
                    Edit::Retarget { .. } => "retarget",
                    Edit::NewValues { .. } => "values",
                })
                .collect()
        };
        assert_eq!(kinds("add retry logic to the API call"), ["retry"]);
        assert_eq!(
            kinds("increase the fetch timeout to 30 seconds"),
            ["timeout"]
        );
        assert_eq!(kinds("ignore failures of notify"), ["strategy"]);
        assert_eq!(kinds("fall back to cache if fetch fails"), ["fallback"]);
        assert_eq!(kinds("if fetch fails, use cache instead"), ["fallback"]);
        assert_eq!(kinds("remove the validation step"), ["remove"]);
        assert_eq!(kinds("rename fetch to download"), ["rename"]);
        assert_eq!(kinds("move save before validate"), ["reorder"]);
        assert_eq!(kinds("run validate and notify in parallel"), ["parallel"]);
        assert_eq!(kinds("add a logging step after fetch"), ["add"]);
        assert_eq!(kinds("set the api_url to https://x.org"), ["value"]);
        assert_eq!(kinds("use curl-fetch for the fetch step"), ["skill"]);
        assert_eq!(
            kinds("add retry to fetch and increase its timeout to 30s"),
            ["retry", "timeout"]
        );
        assert_eq!(kinds("what does this workflow do"), Vec::<&str>::new());
        assert_eq!(kinds("fetch"), Vec::<&str>::new());
    }

    #[test]
    fn timeouts_read_units_and_round_up() {
        let change = |text: &str| match edit(text).and_then(|mut edits| edits.pop()) {
            Some(Edit::Timeout { change, .. }) => Some(change),
            _ => None,
        };
        assert_eq!(
            change("set the fetch timeout to 2 minutes"),
            Some(TimeoutChange::Set(120))
        );
        assert_eq!(
            change("timeout of 1500ms for save"),
            Some(TimeoutChange::SetMs(1500))
        );
        assert_eq!(
            change("increase the timeout by 10 sec"),
            Some(TimeoutChange::Add(10))
        );
        assert_eq!(
            change("double the timeout of fetch"),
            Some(TimeoutChange::Scale(2.0))
        );
        assert_eq!(
            change("remove the timeout from fetch"),
            Some(TimeoutChange::Remove)
        );
        assert_eq!(
            change("increase the timeout"),
            Some(TimeoutChange::Unspecified)
        );
    }

    #[test]
    fn a_retry_refused_for_one_kind_of_error_keeps_the_retry() {
        let read = |text: &str| match edit(text).as_deref() {
            Some([Edit::NotRetriedOn { kinds, unknown, .. }]) => {
                Some((kinds.clone(), unknown.clone()))
            }
            _ => None,
        };
        assert_eq!(
            read("don't retry the upload when it exits with code 4"),
            Some((vec!["exit_code:4".to_string()], vec![]))
        );
        assert_eq!(
            read("never retry save on a timeout"),
            Some((vec!["timeout".to_string()], vec![]))
        );
        // Errors named by their meaning are no kind the runner reports.
        assert_eq!(
            read("never retry the upload on an access denied error"),
            Some((vec![], vec!["access denied".to_string()]))
        );
        assert_eq!(
            read("don't retry when the feature store answers 404"),
            Some((vec![], vec!["404".to_string()]))
        );
        // No error named: the retry itself goes.
        assert!(matches!(
            edit("don't retry the upload").as_deref(),
            Some([Edit::Retry { remove: true, .. }])
        ));
        assert!(matches!(
            edit("stop retrying the upload when it fails").as_deref(),
            Some([Edit::Retry { remove: true, .. }])
        ));
    }
}
