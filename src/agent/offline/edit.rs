//! Edits of an existing workflow: a request is read into one or more
//! [`Edit`]s (text only), then each is resolved against the workflow into
//! modifications, a question, or an explanation. Nothing is guessed: a
//! reference that fits two steps equally becomes a question, and a request
//! that fits no pattern is left alone.

use serde_json::{Value, json};

use crate::core::model::{Backoff, ErrorHandling, Step, StepKind, Strategy};
use crate::core::modification::{NamedPosition, Position, read_steps};
use crate::core::names::step_id_problem;
use crate::core::skill::Skill;
use crate::core::{Container, Modification, Workflow, tree};

use super::create::{Builder, Producer};
use super::refs::{Found, content, resolve, resolve_among};
use super::text::{
    Tok, capitalise, count, durations, find_phrase, has_any, has_phrase, is_stopword, kebab, position_of, quoted_list, raw_span, rest_raw,
    same_word, tokenize,
};

/// What the edit is resolved against.
pub(super) struct EditContext<'a> {
    pub text: &'a str,
    pub workflow: &'a Workflow,
    pub name: &'a str,
    pub skills: &'a [Skill],
    /// The user's answers to this planner's questions, oldest first.
    pub answers: &'a [String],
    /// `qwf edit --step ID`: the step meant when none is named.
    pub scope_step: Option<&'a str>,
}

/// What to do about an edit request.
#[derive(Debug)]
pub(super) enum Plan {
    Propose { modifications: Vec<Modification>, summary: String, new_skill: Option<Skill> },
    Ask(String),
    Say(String),
    NotUnderstood,
}

#[derive(Debug, Clone, PartialEq)]
enum TimeoutChange {
    Set(u64),
    Remove,
    Add(i64),
    Scale(f64),
    Unspecified,
}

#[derive(Debug, Clone)]
enum Place {
    Before(Vec<Tok>),
    After(Vec<Tok>),
    Start,
    End,
    Swap(Vec<Tok>),
    Up,
    Down,
}

#[derive(Debug, Clone)]
enum AddPlace {
    Before(Vec<Tok>),
    After(Vec<Tok>),
    Start,
    End,
}

/// One change, as read from the words.
#[derive(Debug, Clone)]
enum Edit {
    Retry { phrase: Vec<Tok>, attempts: Option<u32>, backoff: Option<Backoff>, initial_ms: Option<u64>, max_ms: Option<u64>, remove: bool },
    Timeout { phrase: Vec<Tok>, change: TimeoutChange },
    Strategy { phrase: Vec<Tok>, strategy: Strategy },
    ClearHandling { phrase: Vec<Tok> },
    Fallback { primary: Vec<Tok>, backup: Vec<Tok> },
    Rename { from: Vec<Tok>, to: String },
    Parallel { phrase: Vec<Tok> },
    Description(String),
    SetSkill { step: Vec<Tok>, skill: String, old: Option<String> },
    SetInput { step: Vec<Tok>, input: String, value: String },
    Reorder { moved: Vec<Tok>, place: Place },
    Remove { phrase: Vec<Tok> },
    SetValue { phrase: Vec<Tok>, value: String, explicit: bool },
    AddStep { what: Vec<Tok>, place: AddPlace },
}

// ---------------------------------------------------------------------------
// Reading the words

const RETRY_WORDS: &[&str] = &["retry", "retries", "retrying", "retried", "re-try", "reattempt", "reattempts", "re-attempt"];
const NEGATIONS: &[&str] = &["no", "remove", "disable", "stop", "without", "drop", "delete", "don't", "dont", "never", "not", "off", "clear"];

fn excluding(toks: &[Tok], words: &[&str], ranges: &[(usize, usize)]) -> Vec<Tok> {
    toks.iter()
        .enumerate()
        .filter(|(index, tok)| !tok.is_any(words) && !ranges.iter().any(|(start, end)| index >= start && index < end))
        .map(|(_, tok)| tok.clone())
        .collect()
}

/// Whether the request speaks of retrying, and the attempts and backoff it
/// asks for. "retry N times" and "N retries" mean N retries after the
/// first try (max_attempts N+1); "N attempts" and "try N times" count the
/// first try.
pub(super) fn retry_settings(toks: &[Tok]) -> Option<(Option<u32>, Option<Backoff>)> {
    let mentions_retry = toks.iter().any(|tok| tok.is_any(RETRY_WORDS)) || has_phrase(toks, "try again");
    let counted_tries = toks.windows(2).any(|pair| count(&pair[0].word).is_some() && pair[1].is_any(&["attempts", "tries"]))
        || toks.windows(3).any(|triple| triple[0].is("try") && count(&triple[1].word).is_some() && triple[2].is("times"));
    if !mentions_retry && !counted_tries {
        return None;
    }
    let mut attempts = None;
    for (index, tok) in toks.iter().enumerate() {
        let previous = index.checked_sub(1).map(|at| &toks[at]);
        let before_previous = index.checked_sub(2).map(|at| &toks[at]);
        let next = toks.get(index + 1);
        let (n, unit) = match tok.word.as_str() {
            "once" => (1, Some("times")),
            "twice" => (2, Some("times")),
            "thrice" => (3, Some("times")),
            word => match count(word.trim_end_matches('x')) {
                Some(n) if word.ends_with('x') && word.len() > 1 => (n, Some("times")),
                Some(n) => (n, next.map(|next| next.word.as_str())),
                None => continue,
            },
        };
        if n == 0 || n > 100 {
            continue;
        }
        let n = n as u32;
        let tried = |tok: Option<&Tok>| tok.is_some_and(|tok| tok.is_any(&["try", "tries", "attempt", "attempts", "run", "max_attempts"]));
        let retried = |tok: Option<&Tok>| tok.is_some_and(|tok| tok.is_any(RETRY_WORDS));
        attempts = match unit {
            Some("attempts" | "attempt" | "tries" | "try") => Some(n),
            Some("retries" | "retry" | "more") => Some(n + 1),
            Some("times" | "x") if tried(previous) || tried(before_previous) => Some(n),
            Some("times" | "x") => Some(n + 1),
            _ if previous.is_some_and(|tok| tok.is_any(&["to", "=", "of", "max", "maximum", "most"])) => {
                // "set retries to 5", "max_attempts = 4", "attempts to 4"
                let named = toks[..index].iter().rev().find(|tok| tok.is_any(RETRY_WORDS) || tried(Some(tok)));
                match named {
                    Some(tok) if tok.is_any(RETRY_WORDS) => Some(n + 1),
                    Some(_) => Some(n),
                    None => continue,
                }
            }
            _ if retried(previous) => Some(n + 1),
            _ => continue,
        };
        break;
    }
    let backoff = toks.iter().find_map(|tok| match tok.word.as_str() {
        "exponential" | "exponentially" | "exp" => Some(Backoff::Exponential),
        "linear" | "linearly" => Some(Backoff::Linear),
        "fixed" | "constant" | "flat" | "same" | "steady" => Some(Backoff::Fixed),
        _ => None,
    });
    Some((attempts, backoff))
}

/// A timeout written inside a clause ("with a 30 second timeout", "within
/// 2 minutes"), in whole seconds.
pub(super) fn timeout_in(toks: &[Tok]) -> Option<u64> {
    if !toks.iter().any(|tok| tok.is_any(&["timeout", "within", "timeouts"])) && !has_phrase(toks, "time out") {
        return None;
    }
    durations(toks).first().map(|duration| duration.secs())
}

fn is_timeout(toks: &[Tok]) -> bool {
    toks.iter().any(|tok| tok.is_any(&["timeout", "timeouts", "time-out", "deadline"]))
        || has_any(toks, &["time out", "time limit", "times out", "timing out"])
}

fn parse_retry(toks: &[Tok]) -> Option<Edit> {
    let (attempts, backoff) = retry_settings(toks)?;
    let first_retry = toks.iter().position(|tok| tok.is_any(RETRY_WORDS) || tok.is_any(&["attempts", "tries", "try"])).unwrap_or(0);
    let remove = attempts.is_none() && toks[..first_retry].iter().any(|tok| tok.is_any(NEGATIONS));
    let found = durations(toks);
    let mut initial_ms = None;
    let mut max_ms = None;
    for duration in &found {
        let before: Vec<&str> = toks[duration.start.saturating_sub(3)..duration.start].iter().map(|tok| tok.word.as_str()).collect();
        if before.iter().any(|word| matches!(*word, "max" | "maximum" | "capped" | "cap" | "most")) {
            max_ms = Some(duration.ms);
        } else if before.iter().any(|word| matches!(*word, "between" | "delay" | "interval" | "wait" | "waiting" | "starting" | "initial" | "every" | "after" | "of" | "with"))
            || toks.get(duration.end).is_some_and(|tok| tok.is_any(&["apart", "between", "delay", "interval"]))
        {
            initial_ms = Some(duration.ms);
        }
    }
    let ranges: Vec<(usize, usize)> = found.iter().map(|duration| (duration.start, duration.end)).collect();
    const WORDS: &[&str] = &[
        "retry", "retries", "retrying", "retried", "re-try", "reattempt", "try", "again", "attempt", "attempts", "tries", "times", "time",
        "backoff", "back-off", "exponential", "exponentially", "exp", "linear", "linearly", "fixed", "constant", "flat", "same", "steady",
        "delay", "delays", "interval", "between", "starting", "initial", "max", "maximum", "capped", "cap", "most", "add", "set",
        "increase", "decrease", "raise", "lower", "reduce", "change", "make", "give", "enable", "logic", "policy", "error", "errors",
        "handling", "failure", "failures", "fails", "fail", "failed", "once", "twice", "thrice", "x", "remove", "disable", "stop",
        "without", "no", "automatic", "automatically", "transient", "apart", "wait", "waiting", "up", "more", "strategy", "behaviour",
        "behavior", "support", "some", "max_attempts", "mechanism", "if", "when", "should", "again", "on",
    ];
    let phrase: Vec<Tok> = excluding(toks, WORDS, &ranges).into_iter().filter(|tok| count(tok.word.trim_end_matches('x')).is_none()).collect();
    Some(Edit::Retry { phrase, attempts, backoff, initial_ms, max_ms, remove })
}

fn parse_timeout(toks: &[Tok]) -> Option<Edit> {
    if !is_timeout(toks) {
        return None;
    }
    let found = durations(toks);
    let increase = toks.iter().any(|tok| tok.is_any(&["increase", "raise", "extend", "bump", "lengthen", "longer", "more"]));
    let decrease = toks.iter().any(|tok| tok.is_any(&["decrease", "reduce", "lower", "shorten", "shorter", "less", "cut"]));
    let change = match found.first() {
        Some(duration) => {
            let by = duration.start > 0 && toks[duration.start - 1].is("by");
            let secs = duration.secs() as i64;
            match (by, increase, decrease) {
                (true, true, _) => TimeoutChange::Add(secs),
                (true, _, true) => TimeoutChange::Add(-secs),
                _ => TimeoutChange::Set(duration.secs()),
            }
        }
        None => {
            let bare = toks.windows(2).find_map(|pair| pair[0].is_any(&["to", "of", "=", "at"]).then(|| count(&pair[1].word)).flatten());
            if let Some(secs) = bare {
                TimeoutChange::Set(secs)
            } else if toks.iter().any(|tok| tok.is_any(&["double", "doubled"])) {
                TimeoutChange::Scale(2.0)
            } else if toks.iter().any(|tok| tok.is_any(&["triple", "tripled"])) {
                TimeoutChange::Scale(3.0)
            } else if toks.iter().any(|tok| tok.is_any(&["halve", "halved", "half"])) {
                TimeoutChange::Scale(0.5)
            } else if toks.iter().any(|tok| tok.is_any(NEGATIONS) || tok.is_any(&["unset", "eliminate"])) {
                TimeoutChange::Remove
            } else {
                TimeoutChange::Unspecified
            }
        }
    };
    let ranges: Vec<(usize, usize)> = found.iter().map(|duration| (duration.start, duration.end)).collect();
    const WORDS: &[&str] = &[
        "timeout", "timeouts", "time-out", "time", "out", "limit", "deadline", "times", "timing", "increase", "raise", "extend", "bump",
        "lengthen", "longer", "more", "decrease", "reduce", "lower", "shorten", "shorter", "less", "cut", "set", "change", "make", "give",
        "add", "double", "doubled", "triple", "tripled", "halve", "halved", "half", "by", "remove", "no", "disable", "delete", "drop",
        "without", "clear", "unset", "eliminate", "seconds", "second", "secs", "sec", "minutes", "minute", "update", "allow", "wait",
        "up", "longest", "max", "maximum", "at", "most", "it", "should", "take", "than",
    ];
    let phrase: Vec<Tok> = excluding(toks, WORDS, &ranges).into_iter().filter(|tok| count(&tok.word).is_none()).collect();
    Some(Edit::Timeout { phrase, change })
}

const HANDLING_WORDS: &[&str] = &[
    "continue", "continues", "on", "error", "errors", "failure", "failures", "fail", "fails", "failed", "failing", "ignore", "ignores",
    "keep", "going", "carry", "don't", "dont", "do", "not", "stop", "stops", "optional", "best", "effort", "best-effort", "non-fatal",
    "nonfatal", "non-critical", "even", "if", "when", "skip", "skipped", "tolerate", "silently", "swallow", "make", "set", "workflow",
    "whole", "rest", "let", "allow", "anything", "anyway", "shouldn't", "should", "doesn't", "does", "fast", "abort", "halt", "entire",
    "remove", "delete", "drop", "clear", "disable", "handling", "strategy", "any", "no", "more", "break", "breaks",
];

fn parse_handling(toks: &[Tok]) -> Option<Edit> {
    let phrase = || excluding(toks, HANDLING_WORDS, &[]);
    let removing = toks.iter().any(|tok| tok.is_any(&["remove", "delete", "drop", "clear", "disable", "no"]));
    if removing && (has_phrase(toks, "error handling") || toks.iter().any(|tok| tok.is_any(&["fallback"]))) {
        return Some(Edit::ClearHandling { phrase: excluding(&phrase(), &["fallback"], &[]) });
    }
    const CONTINUE: &[&str] = &[
        "continue on error", "continue on errors", "continue on failure", "continue on failures", "continue if", "continue when",
        "continue even", "continue anyway", "continues on", "keep going", "carry on", "ignore failures", "ignore errors", "ignore the failure",
        "ignore the error", "ignore any", "ignore its", "ignore failure", "ignore error", "don't stop", "do not stop", "shouldn't stop",
        "should not stop", "doesn't stop", "not stop", "best effort", "best-effort", "non-fatal", "nonfatal", "non-critical", "skip on error",
        "skip on failure", "skip it if", "skip if", "even if", "tolerate", "fail silently", "swallow", "shouldn't fail", "should not fail",
        "not fail the", "don't fail", "strategy continue", "to continue",
    ];
    let ignore_failures = toks.iter().position(|tok| tok.is_any(&["ignore", "ignores"])).is_some_and(|at| {
        toks[at..].iter().any(|tok| tok.word.starts_with("fail") || tok.word.starts_with("error"))
    });
    if has_any(toks, CONTINUE) || ignore_failures || toks.iter().any(|tok| tok.is("optional")) {
        return Some(Edit::Strategy { phrase: phrase(), strategy: Strategy::Continue });
    }
    const FAIL: &[&str] = &["fail fast", "stop on error", "stop on errors", "stop on failure", "abort on", "stop the workflow", "fail the workflow", "halt", "strategy fail"];
    if has_any(toks, FAIL) {
        return Some(Edit::Strategy { phrase: phrase(), strategy: Strategy::Fail });
    }
    None
}

fn fail_word(tok: &Tok) -> bool {
    tok.word.starts_with("fail") || tok.is_any(&["errors", "breaks", "crashes", "times", "down", "error"])
}

fn parse_fallback(toks: &[Tok]) -> Option<Edit> {
    let marker = ["fall back to", "fall back on", "falls back to", "fallback to", "fall-back to", "fallback on", "fall back", "fallback"]
        .iter()
        .find_map(|phrase| find_phrase(toks, phrase).map(|at| (at, phrase.split(' ').count())));
    let condition = toks.iter().position(|tok| tok.is_any(&["if", "when", "whenever"]));
    let failing = condition.and_then(|at| toks[at..].iter().position(fail_word).map(|offset| at + offset));
    let trim = |slice: &[Tok]| excluding(slice, &["instead", "the", "step", "use", "run", "call", "try", ",", "then", "as", "a", "an", "should", "it", "that"], &[]);
    match (marker, condition, failing) {
        // "fall back to B if A fails", "if A fails, fall back to B"
        (Some((at, length)), Some(cond), Some(fail)) => {
            let backup_end = if cond > at { cond } else { toks.len() };
            let backup = trim(&toks[at + length..backup_end]);
            let primary = trim(&toks[cond + 1..fail]);
            Some(Edit::Fallback { primary, backup })
        }
        // "if A fails, use B instead"
        (None, Some(cond), Some(fail)) if toks.iter().any(|tok| tok.is_any(&["use", "run", "call", "try", "switch"])) => {
            let primary = trim(&toks[cond + 1..fail]);
            let after = toks[fail + 1..].iter().position(|tok| tok.is_any(&["use", "run", "call", "try", "switch"])).map(|at| fail + 1 + at)?;
            let backup = trim(&toks[after + 1..]);
            Some(Edit::Fallback { primary, backup })
        }
        // "use B as a fallback for A", "make B the fallback of A", "A should fall back to B"
        (Some((at, length)), _, _) => {
            let for_at = toks[at..].iter().position(|tok| tok.is_any(&["for", "of"])).map(|offset| at + offset);
            match for_at {
                Some(for_at) => {
                    let start = position_of(toks, &["use", "make", "set"]).map_or(0, |verb| verb + 1);
                    let backup = trim(&toks[start..at]);
                    let primary = trim(&toks[for_at + 1..]);
                    Some(Edit::Fallback { primary, backup })
                }
                None => {
                    let start = position_of(toks, &["let", "make"]).map_or(0, |verb| verb + 1);
                    let primary = trim(&excluding(&toks[start..at], &["should", "must", "can"], &[]));
                    let backup = trim(&toks[at + length..]);
                    Some(Edit::Fallback { primary, backup })
                }
            }
        }
        _ => None,
    }
}

fn new_id_from(toks: &[Tok]) -> Option<String> {
    let words: Vec<&Tok> = toks.iter().filter(|tok| !tok.is_punctuation() && !tok.is_any(&["the", "a", "step", "instead"])).collect();
    match words.as_slice() {
        [] => None,
        [single] if step_id_problem(&single.raw).is_none() => Some(single.raw.clone()),
        several => Some(kebab(&several.iter().map(|tok| tok.word.as_str()).collect::<Vec<_>>())),
    }
}

fn parse_rename(toks: &[Tok]) -> Option<Edit> {
    let start = if let Some(at) = position_of(toks, &["rename", "renaming"]) {
        at + 1
    } else if let Some(at) = find_phrase(toks, "id of").or_else(|| find_phrase(toks, "name of")) {
        if !toks[..at].iter().any(|tok| tok.is_any(&["change", "set", "update", "make"])) {
            return None;
        }
        at + 2
    } else {
        return None;
    };
    let to = toks[start..].iter().rposition(|tok| tok.is_any(&["to", "as", "into"])).map(|offset| start + offset);
    let (from, new) = match to {
        Some(to) => (toks[start..to].to_vec(), new_id_from(&toks[to + 1..])?),
        None => {
            let words: Vec<Tok> = toks[start..].iter().filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word)).cloned().collect();
            if words.len() != 2 {
                return None;
            }
            (vec![words[0].clone()], new_id_from(&words[1..])?)
        }
    };
    Some(Edit::Rename { from, to: new })
}

fn parse_parallel(toks: &[Tok]) -> Option<Edit> {
    let marked = has_any(toks, &["in parallel", "at the same time", "at once"])
        || toks.iter().any(|tok| tok.is_any(&["parallel", "concurrently", "simultaneously", "parallelize", "parallelise", "concurrent"]))
        || (toks.iter().any(|tok| tok.is_any(&["run", "execute"])) && toks.iter().any(|tok| tok.is("together")));
    if !marked {
        return None;
    }
    const WORDS: &[&str] = &[
        "run", "runs", "execute", "make", "in", "parallel", "at", "same", "time", "once", "concurrently", "simultaneously", "parallelize",
        "parallelise", "concurrent", "together", "group", "put", "into", "let", "can", "should", "both", "side", "by",
    ];
    Some(Edit::Parallel { phrase: excluding(toks, WORDS, &[]) })
}

fn parse_description(toks: &[Tok], text: &str) -> Option<Edit> {
    if let Some(at) = position_of(toks, &["description"]) {
        let to = toks[at..].iter().position(|tok| tok.is_any(&["to", "as", ":", "="])).map(|offset| at + offset)?;
        let value = rest_raw(text, toks, to + 1);
        return (!value.is_empty()).then_some(Edit::Description(value));
    }
    let at = find_phrase(toks, "describe the workflow as").map(|at| at + 4).or_else(|| find_phrase(toks, "describe it as").map(|at| at + 3))?;
    let value = rest_raw(text, toks, at);
    (!value.is_empty()).then_some(Edit::Description(value))
}

fn looks_like_skill(tok: &Tok, skills: Option<&[Skill]>) -> bool {
    let word = tok.word.as_str();
    let known = skills.is_none_or(|skills| skills.iter().any(|skill| skill.name.eq_ignore_ascii_case(word)));
    !is_stopword(word) && (word.contains('-') || word.contains('_') || (known && skills.is_some()))
}

fn parse_skill(toks: &[Tok], skills: Option<&[Skill]>) -> Option<Edit> {
    let skill_word = toks.iter().position(|tok| tok.is_any(&["skill", "skills"]));
    // "replace http-fetch with curl-fetch", "swap X for Y"
    if let Some(verb) = position_of(toks, &["replace", "swap"]) {
        let with = toks[verb..].iter().position(|tok| tok.is_any(&["with", "for", "by"])).map(|offset| verb + offset)?;
        let new = toks[with + 1..].iter().find(|tok| !tok.is_any(&["the", "a", "skill"]) && !tok.is_punctuation())?;
        if !looks_like_skill(new, skills) && skill_word.is_none() {
            return None;
        }
        let old_phrase = excluding(&toks[verb + 1..with], &["the", "skill", "step", "in", "of"], &[]);
        let old = match old_phrase.as_slice() {
            [single] if single.word.contains('-') || skills.is_some_and(|skills| skills.iter().any(|skill| skill.name == single.word)) => {
                Some(single.word.clone())
            }
            _ => None,
        };
        return Some(Edit::SetSkill { step: old_phrase, skill: new.word.clone(), old });
    }
    // "use curl-fetch for the fetch step", "make fetch use curl-fetch"
    if let Some(verb) = position_of(toks, &["use", "uses", "using"]) {
        let mut at = verb + 1;
        while toks.get(at).is_some_and(|tok| tok.is_any(&["the", "a", "an", "skill"])) {
            at += 1;
        }
        let new = toks.get(at)?;
        let certain = looks_like_skill(new, skills) || toks.get(at + 1).is_some_and(|tok| tok.is("skill"));
        if !certain {
            return None;
        }
        let mut rest = at + 1;
        if toks.get(rest).is_some_and(|tok| tok.is("skill")) {
            rest += 1;
        }
        let old = if find_phrase(&toks[rest..], "instead of").is_some() {
            toks.iter().skip(rest).skip_while(|tok| !tok.is("of")).nth(1).map(|tok| tok.word.clone())
        } else {
            None
        };
        let step = match toks.get(rest) {
            Some(tok) if tok.is_any(&["for", "in", "on", "with", "as"]) => {
                excluding(&toks[rest + 1..], &["the", "skill", "step", "as", "for", "instead", "of"], &[])
            }
            _ => excluding(&toks[..verb], &["make", "let", "switch", "change", "should", "to", "have", "set", "the", "step", "can", "must"], &[]),
        };
        let step = if old.is_some() && content(&step).is_empty() { Vec::new() } else { step };
        return Some(Edit::SetSkill { step, skill: new.word.clone(), old });
    }
    // "change the skill of fetch to curl-fetch", "switch fetch to curl-fetch"
    let verb = position_of(toks, &["switch", "change", "set", "update", "point"])?;
    let to = toks[verb..].iter().rposition(|tok| tok.is("to")).map(|offset| verb + offset)?;
    let new = toks.get(to + 1)?;
    if toks.len() > to + 2 && !toks[to + 2..].iter().all(|tok| tok.is_punctuation() || tok.is_any(&["skill", "instead"])) {
        return None;
    }
    if skill_word.is_none() && !(looks_like_skill(new, skills) && skills.is_some_and(|skills| skills.iter().any(|skill| skill.name == new.word))) {
        return None;
    }
    let step = excluding(&toks[verb + 1..to], &["the", "skill", "of", "step", "for", "used", "by"], &[]);
    Some(Edit::SetSkill { step, skill: new.word.clone(), old: None })
}

fn parse_input(toks: &[Tok], text: &str) -> Option<Edit> {
    let at = position_of(toks, &["input", "parameter", "argument", "param"])?;
    let verb = position_of(toks, &["set", "change", "update", "make", "point", "wire", "connect"])?;
    let to = toks[at..].iter().position(|tok| tok.is_any(&["to", "=", "at"])).map(|offset| at + offset)?;
    let before = at.checked_sub(1).map(|index| &toks[index]).filter(|tok| !is_stopword(&tok.word) && index_after(verb, at));
    let name = before.or_else(|| toks.get(at + 1).filter(|tok| !is_stopword(&tok.word) && at + 1 < to))?;
    let step: Vec<Tok> = toks[verb + 1..to]
        .iter()
        .filter(|tok| tok.start != name.start && !tok.is_any(&["input", "parameter", "argument", "param", "of", "for", "on", "the", "step"]))
        .cloned()
        .collect();
    let value = rest_raw(text, toks, to + 1);
    (!value.is_empty()).then(|| Edit::SetInput { step, input: name.raw.clone(), value })
}

fn index_after(verb: usize, at: usize) -> bool {
    at > verb + 1
}

fn parse_reorder(toks: &[Tok]) -> Option<Edit> {
    if toks.iter().any(|tok| tok.is_any(&["add", "insert", "new", "append", "prepend", "include", "parallel", "rename"])) {
        return None;
    }
    // "swap validate and save", "switch the order of A and B"
    if let Some(verb) = position_of(toks, &["swap", "switch", "exchange", "flip"]) {
        let and = toks[verb..].iter().position(|tok| tok.is_any(&["and", "with", "&"])).map(|offset| verb + offset)?;
        let moved = excluding(&toks[verb + 1..and], &["the", "order", "of", "places", "positions"], &[]);
        let other = excluding(&toks[and + 1..], &["places", "positions", "around", "order"], &[]);
        return Some(Edit::Reorder { moved, place: Place::Swap(other) });
    }
    const VERBS: &[&str] = &[
        "move", "put", "place", "reorder", "shift", "run", "runs", "come", "comes", "go", "goes", "execute", "happen", "happens", "make",
        "do",
    ];
    let verb = position_of(toks, VERBS)?;
    if toks[verb].is_any(&["make", "do"]) && !toks.iter().any(|tok| tok.is_any(&["first", "last"])) {
        return None;
    }
    let moved_range = |end: usize| -> Vec<Tok> {
        if verb == 0 || toks[..verb].iter().all(|tok| tok.is_any(&["please", "now", "then"])) {
            toks[verb + 1..end].to_vec()
        } else {
            toks[..verb].to_vec()
        }
    };
    const FILLER: &[&str] = &["should", "must", "to", "the", "step", "it", "so", "that", "can", "please", "position", "one"];
    if let Some(at) = position_of(toks, &["before", "after", "ahead"]) {
        let anchor = excluding(&toks[at + 1..], &["of", "the", "step", "it", "runs", "run"], &[]);
        let moved = excluding(&moved_range(at.max(verb + 1)), FILLER, &[]);
        let place = if toks[at].is("after") { Place::After(anchor) } else { Place::Before(anchor) };
        return Some(Edit::Reorder { moved, place });
    }
    let edge = |words: &[&str]| position_of(toks, words);
    let (at, place) = if let Some(at) = edge(&["start", "beginning", "top", "front", "first"]) {
        (at, Place::Start)
    } else if let Some(at) = edge(&["end", "bottom", "last"]) {
        (at, Place::End)
    } else if let Some(at) = edge(&["up", "earlier"]) {
        (at, Place::Up)
    } else if let Some(at) = edge(&["down", "later"]) {
        (at, Place::Down)
    } else {
        return None;
    };
    let moved = excluding(&moved_range(at.max(verb + 1)), &[FILLER, &["at", "of", "very", "the", "one", "step", "be", "a"]].concat(), &[]);
    Some(Edit::Reorder { moved, place })
}

fn parse_remove(toks: &[Tok]) -> Option<Edit> {
    let verbs = ["remove", "delete", "drop", "eliminate", "cut", "unset", "clear", "erase", "discard"];
    let start = if let Some(at) = position_of(toks, &verbs) {
        at + 1
    } else if let Some(at) = find_phrase(toks, "get rid of") {
        at + 3
    } else if let Some(at) = find_phrase(toks, "take out") {
        at + 2
    } else if let Some(at) = find_phrase(toks, "don't need").or_else(|| find_phrase(toks, "no longer need")) {
        at + if toks[at].is("don't") { 2 } else { 3 }
    } else {
        return None;
    };
    let phrase = excluding(&toks[start..], &["from", "workflow", "pipeline", "entirely", "completely", "altogether", "out", "anymore", "any", "more", "please"], &[]);
    Some(Edit::Remove { phrase })
}

const CONTEXT_WORDS: &[&str] = &["context", "setting", "settings", "variable", "variables", "value", "parameter", "config", "configuration", "env", "key"];

fn parse_set_value(toks: &[Tok], text: &str) -> Option<Edit> {
    let verb = position_of(toks, &["set", "change", "update", "point", "configure", "make", "add", "put", "use", "switch"]);
    // "KEY = VALUE", "KEY should be VALUE"
    let separator = toks
        .iter()
        .enumerate()
        .skip(verb.map_or(0, |verb| verb + 1))
        .find(|(index, tok)| {
            tok.is_any(&["to", "=", "at"]) || (tok.is("be") && *index > 0 && toks[index - 1].is_any(&["should", "must", "will"]))
                || (tok.is("with") && toks.get(index + 1).is_some_and(|next| next.is("value")))
        })
        .map(|(index, _)| index)?;
    let value_at = if toks[separator].is("with") { separator + 2 } else { separator + 1 };
    let start = verb.map_or(0, |verb| verb + 1);
    if verb.is_none() && !toks[separator].is_any(&["=", "be"]) {
        return None;
    }
    if verb.is_some_and(|verb| toks[verb].is_any(&["add", "put"])) && !toks.iter().any(|tok| tok.is_any(CONTEXT_WORDS)) && !toks[separator].is("=") {
        return None;
    }
    let phrase: Vec<Tok> = toks[start..separator]
        .iter()
        .filter(|tok| !tok.is_any(&["the", "a", "an", "should", "must", "will", "new", "of", "in", "for", "called", "named"]))
        .cloned()
        .collect();
    let explicit = phrase.iter().any(|tok| tok.is_any(CONTEXT_WORDS));
    let phrase = excluding(&phrase, CONTEXT_WORDS, &[]);
    let value = rest_raw(text, toks, value_at);
    if phrase.is_empty() || value.is_empty() {
        return None;
    }
    Some(Edit::SetValue { phrase, value, explicit })
}

fn parse_add_step(toks: &[Tok]) -> Option<Edit> {
    const VERBS: &[&str] = &["add", "insert", "append", "prepend", "include", "introduce", "put", "stick"];
    let verb = position_of(toks, VERBS);
    let start = match verb {
        Some(verb) => verb + 1,
        None => {
            // "log the response after fetch": an action with a place.
            let first = toks.iter().find(|tok| !tok.is_any(&["please", "also", "then"]))?;
            let placed = toks.iter().any(|tok| tok.is_any(&["after", "before"])) || has_any(toks, &["at the end", "at the start", "at the beginning"]);
            if !placed || !super::concepts::is_verb(&first.word) || first.is_any(&["move", "run", "execute", "make"]) {
                return None;
            }
            toks.iter().position(|tok| std::ptr::eq(tok, first)).unwrap_or(0)
        }
    };
    let mut what: Vec<Tok> = Vec::new();
    let mut place = match verb.map(|verb| toks[verb].word.as_str()) {
        Some("prepend") => AddPlace::Start,
        _ => AddPlace::End,
    };
    let mut index = start;
    while index < toks.len() {
        let tok = &toks[index];
        let rest = &toks[index..];
        let edge = |phrases: &[&str]| phrases.iter().find_map(|phrase| find_phrase(rest, phrase).filter(|at| *at == 0).map(|_| phrase.split(' ').count()));
        if tok.is_any(&["after", "before", "between"]) {
            // The anchor runs until a clause saying what the step does.
            let end = toks[index + 1..]
                .iter()
                .position(|tok| tok.is_any(&["that", "which", "to", "for", "who", "so", ","]))
                .map_or(toks.len(), |offset| index + 1 + offset);
            let anchor: Vec<Tok> = toks[index + 1..end].iter().take_while(|tok| !tok.is("and") || !tok_is_between(toks, index)).cloned().collect();
            place = if tok.is("before") { AddPlace::Before(anchor) } else { AddPlace::After(anchor) };
            index = end;
            continue;
        }
        if let Some(length) = edge(&["at the start", "at the beginning", "at the top", "at the front", "as the first step", "as the first", "to the start", "to the beginning"]) {
            place = AddPlace::Start;
            index += length;
            continue;
        }
        if let Some(length) = edge(&["at the end", "at the bottom", "as the last step", "as the last", "as a final step", "as the final step", "to the end", "last", "finally"]) {
            place = AddPlace::End;
            index += length;
            continue;
        }
        if tok.is("first") && index + 1 == toks.len() {
            place = AddPlace::Start;
            index += 1;
            continue;
        }
        what.push(tok.clone());
        index += 1;
    }
    let what: Vec<Tok> = what
        .into_iter()
        .filter(|tok| !tok.is_any(&["a", "an", "new", "step", "another", "extra", "that", "which", "to", "the", "workflow", "pipeline", "in", "of", "it"]) && !tok.is_punctuation())
        .collect();
    if verb.is_some_and(|verb| toks[verb].is("put")) && what.is_empty() {
        return None;
    }
    Some(Edit::AddStep { what, place })
}

fn tok_is_between(toks: &[Tok], index: usize) -> bool {
    toks[index].is("between")
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
        .or_else(|| parse_set_value(toks, text))
        .or_else(|| parse_add_step(toks))
}

/// Verbs that start a second edit in the same request.
const EDIT_VERBS: &[&str] = &[
    "add", "set", "increase", "decrease", "raise", "lower", "reduce", "remove", "delete", "drop", "rename", "move", "make", "change", "use",
    "switch", "replace", "retry", "give", "put", "insert", "update", "extend", "double", "also",
];

/// Splits "add retry to fetch and increase its timeout to 30s" into its
/// edits; a request whose parts do not all read as edits stays whole.
fn parse_all(toks: &[Tok], text: &str, skills: Option<&[Skill]>) -> Option<Vec<Edit>> {
    let mut parts: Vec<&[Tok]> = Vec::new();
    let mut start = 0;
    for index in 0..toks.len() {
        let tok = &toks[index];
        let next = toks.get(index + 1);
        let boundary = tok.is_any(&[";", "."])
            || (tok.is_any(&["and", ","]) && next.is_some_and(|next| next.is_any(EDIT_VERBS) || next.is("then")))
            || (tok.is("then") && index > start);
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
    let parts: Vec<&[Tok]> = parts.into_iter().filter(|part| part.iter().any(|tok| !tok.is_punctuation() && !tok.is_any(&["then", "also", "and"]))).collect();
    if parts.len() > 1 {
        let edits: Option<Vec<Edit>> = parts.iter().map(|part| parse_one(part, text, skills)).collect();
        if let Some(edits) = edits {
            return Some(edits);
        }
    }
    parse_one(toks, text, skills).map(|edit| vec![edit])
}

/// Whether a request reads as an edit at all (without a workflow).
pub(super) fn looks_like_edit(text: &str) -> bool {
    parse_all(&tokenize(text), text, None).is_some()
}

/// Whether resolving the request needs the skill list.
pub(super) fn needs_skills(text: &str) -> bool {
    let toks = tokenize(text);
    parse_add_step(&toks).is_some() || toks.iter().any(|tok| tok.is_any(&["use", "uses", "using", "skill", "replace", "swap", "switch"]))
}

// ---------------------------------------------------------------------------
// Resolving against the workflow

struct Resolved {
    modifications: Vec<Modification>,
    summary: String,
    new_skill: Option<Skill>,
    steps: Vec<String>,
}

impl Resolved {
    fn new(modifications: Vec<Modification>, summary: String, steps: Vec<String>) -> Self {
        Resolved { modifications, summary, new_skill: None, steps }
    }
}

fn attempts_text(handling: &ErrorHandling) -> String {
    let attempts = handling.max_attempts.unwrap_or(3);
    let mut text = format!("{attempts} attempt{}", if attempts == 1 { "" } else { "s" });
    if let Some(backoff) = handling.backoff {
        text.push_str(&format!(", {backoff} backoff"));
    }
    if let Some(initial) = handling.initial_interval_ms {
        text.push_str(&format!(", starting at {}", show_ms(initial)));
    }
    if let Some(max) = handling.max_interval_ms {
        text.push_str(&format!(", at most {} apart", show_ms(max)));
    }
    text
}

fn show_ms(ms: u64) -> String {
    if ms % 1000 == 0 { format!("{} s", ms / 1000) } else { format!("{ms} ms") }
}

fn typed(value: &str) -> Value {
    if let Ok(number) = value.parse::<i64>() {
        return json!(number);
    }
    if let Ok(number) = value.parse::<f64>()
        && value.chars().any(|c| c.is_ascii_digit())
        && !value.ends_with('.')
    {
        return json!(number);
    }
    match value {
        "true" | "yes" | "on" => json!(true),
        "false" | "no" | "off" => json!(false),
        _ => json!(value),
    }
}

impl EditContext<'_> {
    fn step(&self, id: &str) -> Option<&Step> {
        tree::find(&self.workflow.steps, id)
    }

    fn all_ids(&self) -> Vec<String> {
        tree::walk(self.workflow).into_iter().map(|visited| visited.step.id.clone()).collect()
    }

    fn step_list(&self) -> String {
        let ids = self.all_ids();
        quoted_list(&ids, "and")
    }

    fn last_answer(&self) -> Option<Vec<Tok>> {
        self.answers.last().map(|answer| tokenize(answer))
    }

    /// The steps a phrase names (several when joined by "and").
    fn steps(&self, phrase: &[Tok], last: &[String], purpose: &str) -> Result<Vec<String>, Plan> {
        let mut found: Vec<String> = Vec::new();
        let mut unmatched: Vec<String> = Vec::new();
        if phrase.iter().any(|tok| tok.is_any(&["all", "every", "each"])) && phrase.iter().any(|tok| tok.is_any(&["step", "steps"])) {
            return Ok(tree::walk(self.workflow)
                .into_iter()
                .filter(|visited| matches!(visited.step.kind, StepKind::Skill { .. } | StepKind::Agent { .. }))
                .map(|visited| visited.step.id.clone())
                .collect());
        }
        for group in phrase.split(|tok| tok.is_any(&["and", ",", "&", "plus"])) {
            if content(group).is_empty() && !group.iter().any(|tok| tok.is_any(&["first", "last", "final", "second", "third"])) {
                continue;
            }
            match resolve(group, self.workflow) {
                Found::One(id) => found.push(id),
                Found::Many(candidates) => match self.last_answer().map(|answer| resolve_among(&answer, self.workflow, Some(&candidates))) {
                    Some(Found::One(id)) => found.push(id),
                    _ => return Err(Plan::Ask(format!("Which step do you mean: {}?", quoted_list(&candidates, "or")))),
                },
                Found::Nothing => unmatched.push(content(group).iter().map(|tok| tok.raw.as_str()).collect::<Vec<_>>().join(" ")),
            }
        }
        found.dedup();
        if !found.is_empty() {
            return Ok(found);
        }
        if let Some(answer) = self.last_answer()
            && let Found::One(id) = resolve(&answer, self.workflow)
        {
            return Ok(vec![id]);
        }
        if !unmatched.is_empty() {
            return Err(Plan::Say(format!(
                "I could not find a step matching '{}' in '{}', so I changed nothing. Its steps are {}.",
                unmatched.join(" "),
                self.name,
                self.step_list()
            )));
        }
        if !last.is_empty() {
            return Ok(last.to_vec());
        }
        if let Some(scope) = self.scope_step {
            return Ok(vec![scope.to_string()]);
        }
        let ids = self.all_ids();
        if ids.len() == 1 {
            return Ok(ids);
        }
        Err(Plan::Ask(format!("Which step {purpose}? The steps are {}.", quoted_list(&ids, "and"))))
    }

    fn one_step(&self, phrase: &[Tok], last: &[String], purpose: &str) -> Result<String, Plan> {
        let steps = self.steps(phrase, last, purpose)?;
        match steps.as_slice() {
            [one] => Ok(one.clone()),
            several => Err(Plan::Ask(format!("Which one step {purpose}: {}?", quoted_list(several, "or")))),
        }
    }

    fn resolve(&self, edit: &Edit, last: &[String]) -> Result<Resolved, Plan> {
        match edit {
            Edit::Retry { phrase, attempts, backoff, initial_ms, max_ms, remove } => {
                let ids = self.steps(phrase, last, "should retry when it fails")?;
                let mut modifications = Vec::new();
                let mut parts = Vec::new();
                for id in &ids {
                    let current = self.step(id).and_then(|step| step.error_handling.clone());
                    if *remove {
                        match &current {
                            Some(handling) if handling.strategy == Strategy::Retry => {
                                modifications.push(Modification::ModifyStep { id: id.clone(), changes: json!({ "error_handling": null }) });
                                parts.push(format!("Removed the retry of '{id}'"));
                            }
                            _ => return Err(Plan::Say(format!("'{id}' does not retry, so there is no retry to remove; nothing changed."))),
                        }
                        continue;
                    }
                    let mut handling = match &current {
                        Some(handling) if handling.strategy == Strategy::Retry => handling.clone(),
                        _ => ErrorHandling::with_strategy(Strategy::Retry),
                    };
                    handling.max_attempts = attempts.or(handling.max_attempts).or(Some(3));
                    handling.backoff = backoff.or(handling.backoff).or(Some(Backoff::Exponential));
                    if initial_ms.is_some() {
                        handling.initial_interval_ms = *initial_ms;
                    }
                    if max_ms.is_some() {
                        handling.max_interval_ms = *max_ms;
                    }
                    if current.as_ref() == Some(&handling) {
                        return Err(Plan::Say(format!("'{id}' already retries ({}); nothing changed.", attempts_text(&handling))));
                    }
                    let verb = if current.as_ref().is_some_and(|current| current.strategy == Strategy::Retry) { "Changed the retry of" } else { "Added retry to" };
                    parts.push(format!("{verb} '{id}' ({})", attempts_text(&handling)));
                    modifications.push(Modification::AddErrorHandling { step_id: id.clone(), error_handling: handling });
                }
                let summary = if parts.len() == 1 && !*remove {
                    let handling = match &modifications[0] {
                        Modification::AddErrorHandling { error_handling, .. } => error_handling.clone(),
                        _ => unreachable!("a retry"),
                    };
                    let changed = parts[0].starts_with("Changed");
                    if changed {
                        format!("Changed the retry of '{}' to {}", ids[0], attempts_text(&handling))
                    } else {
                        format!("Added retry ({}) to '{}'", attempts_text(&handling), ids[0])
                    }
                } else {
                    parts.join("; ")
                };
                Ok(Resolved::new(modifications, summary, ids))
            }
            Edit::Timeout { phrase, change } => {
                let ids = self.steps(phrase, last, "should get the timeout")?;
                let mut change = change.clone();
                if change == TimeoutChange::Unspecified
                    && let Some(answer) = self.last_answer()
                    && let Some(duration) = durations(&answer).first().map(|d| d.secs()).or_else(|| answer.iter().find_map(|tok| count(&tok.word)))
                {
                    change = TimeoutChange::Set(duration);
                }
                let mut modifications = Vec::new();
                let mut parts = Vec::new();
                for id in &ids {
                    let current = self.step(id).and_then(|step| step.timeout_secs);
                    let new = match (&change, current) {
                        (TimeoutChange::Set(secs), _) => Some(*secs),
                        (TimeoutChange::Remove, Some(_)) => None,
                        (TimeoutChange::Remove, None) => return Err(Plan::Say(format!("'{id}' has no timeout to remove; nothing changed."))),
                        (TimeoutChange::Add(delta), Some(current)) => Some((current as i64 + delta).max(1) as u64),
                        (TimeoutChange::Scale(factor), Some(current)) => Some(((current as f64 * factor).ceil() as u64).max(1)),
                        (TimeoutChange::Unspecified, _) | (TimeoutChange::Add(_) | TimeoutChange::Scale(_), None) => {
                            let now = current.map_or_else(|| "it has none yet".to_string(), |secs| format!("it is {secs} s now"));
                            return Err(Plan::Ask(format!("What should the timeout of '{id}' be ({now})? For example: 30 seconds.")));
                        }
                    };
                    if new == current {
                        return Err(Plan::Say(format!("The timeout of '{id}' is already {} s; nothing changed.", new.unwrap_or_default())));
                    }
                    if new == Some(0) {
                        return Err(Plan::Say("A timeout of 0 seconds would stop the step at once; give a positive duration.".into()));
                    }
                    modifications.push(Modification::ModifyStep { id: id.clone(), changes: json!({ "timeout_secs": new }) });
                    parts.push(match (current, new) {
                        (_, None) => format!("Removed the timeout of '{id}'"),
                        (Some(old), Some(new)) => format!("Changed the timeout of '{id}' from {old} s to {new} s"),
                        (None, Some(new)) => format!("Set the timeout of '{id}' to {new} s"),
                    });
                }
                Ok(Resolved::new(modifications, parts.join("; "), ids))
            }
            Edit::Strategy { phrase, strategy } => {
                let purpose = match strategy {
                    Strategy::Continue => "should let the workflow continue when it fails",
                    _ => "should stop the workflow when it fails",
                };
                let ids = self.steps(phrase, last, purpose)?;
                let mut modifications = Vec::new();
                for id in &ids {
                    if self.step(id).and_then(|step| step.error_handling.as_ref()).is_some_and(|handling| handling.strategy == *strategy) {
                        return Err(Plan::Say(format!("'{id}' already has error strategy '{strategy}'; nothing changed.")));
                    }
                    modifications.push(Modification::AddErrorHandling { step_id: id.clone(), error_handling: ErrorHandling::with_strategy(*strategy) });
                }
                let list = quoted_list(&ids, "and");
                let summary = match strategy {
                    Strategy::Continue => format!("Made {list} continue on error (a failure no longer stops the workflow)"),
                    _ => format!("Made {list} stop the workflow when {} fails", if ids.len() == 1 { "it" } else { "one" }),
                };
                Ok(Resolved::new(modifications, summary, ids))
            }
            Edit::ClearHandling { phrase } => {
                let ids = self.steps(phrase, last, "should lose its error handling")?;
                let mut modifications = Vec::new();
                for id in &ids {
                    if self.step(id).and_then(|step| step.error_handling.as_ref()).is_none() {
                        return Err(Plan::Say(format!("'{id}' has no error handling to remove; nothing changed.")));
                    }
                    modifications.push(Modification::ModifyStep { id: id.clone(), changes: json!({ "error_handling": null }) });
                }
                Ok(Resolved::new(modifications, format!("Removed the error handling of {}", quoted_list(&ids, "and")), ids))
            }
            Edit::Fallback { primary, backup } => {
                let backup_id = self.one_step(backup, &[], "should run when the other fails")?;
                let primary_id = self.one_step(primary, last, "should fall back")?;
                if primary_id == backup_id {
                    return Err(Plan::Say(format!("A step cannot fall back to itself ('{primary_id}'); name the step to run instead.")));
                }
                let mut handling = ErrorHandling::with_strategy(Strategy::Fallback);
                handling.fallback = Some(backup_id.clone());
                let summary = format!("'{primary_id}' now falls back to '{backup_id}' when it fails");
                Ok(Resolved::new(vec![Modification::AddErrorHandling { step_id: primary_id.clone(), error_handling: handling }], summary, vec![primary_id]))
            }
            Edit::Rename { from, to } => {
                let id = self.one_step(from, last, "should be renamed")?;
                if let Some(problem) = step_id_problem(to) {
                    return Err(Plan::Say(format!("'{to}' cannot be a step id: {problem}.")));
                }
                if self.step(to).is_some() {
                    return Err(Plan::Say(format!("There is already a step '{to}'; choose another name.")));
                }
                let summary = format!("Renamed step '{id}' to '{to}'");
                Ok(Resolved::new(vec![Modification::RenameStep { id, new_id: to.clone() }], summary, vec![to.clone()]))
            }
            Edit::Parallel { phrase } => {
                let ids = self.steps(phrase, last, "should run in parallel")?;
                if ids.len() < 2 {
                    return Err(Plan::Say(format!(
                        "To run steps in parallel I need at least two of them; I only found {}. Its steps are {}.",
                        quoted_list(&ids, "and"),
                        self.step_list()
                    )));
                }
                let places: Vec<Option<(Container, usize)>> = ids.iter().map(|id| tree::locate(self.workflow, id)).collect();
                if places.iter().any(|place| place.as_ref().map(|(container, _)| container) != places[0].as_ref().map(|(container, _)| container)) {
                    return Err(Plan::Say(format!("{} are not in the same list of steps, so they cannot be grouped.", quoted_list(&ids, "and"))));
                }
                for id in &ids {
                    if let Some(step) = self.step(id) {
                        for read in read_steps(step) {
                            if ids.contains(&read) {
                                return Err(Plan::Say(format!(
                                    "'{id}' reads the output of '{read}', so they cannot run at the same time; nothing changed."
                                )));
                            }
                        }
                    }
                }
                let summary = format!("Run {} in parallel", quoted_list(&ids, "and"));
                Ok(Resolved::new(vec![Modification::MakeParallel { step_ids: ids.clone(), id: None }], summary, ids))
            }
            Edit::Description(description) => Ok(Resolved::new(
                vec![Modification::SetDescription { description: description.clone() }],
                format!("Set the description to \"{description}\""),
                Vec::new(),
            )),
            Edit::SetSkill { step, skill, old } => {
                let ids = match old {
                    Some(old) if content(step).is_empty() || step.iter().all(|tok| tok.word == *old) => {
                        let users: Vec<String> = tree::walk(self.workflow)
                            .into_iter()
                            .filter(|visited| visited.step.skill_name() == Some(old.as_str()))
                            .map(|visited| visited.step.id.clone())
                            .collect();
                        if users.is_empty() {
                            self.steps(step, last, &format!("should use '{skill}'"))?
                        } else {
                            users
                        }
                    }
                    _ => self.steps(step, last, &format!("should use '{skill}'"))?,
                };
                let mut modifications = Vec::new();
                for id in &ids {
                    match self.step(id).map(|step| &step.kind) {
                        Some(StepKind::Skill { skill: current }) if current == skill => {
                            return Err(Plan::Say(format!("'{id}' already uses skill '{skill}'; nothing changed.")));
                        }
                        Some(StepKind::Skill { .. }) => {}
                        _ => return Err(Plan::Say(format!("'{id}' is not a skill step, so it has no skill to change."))),
                    }
                    modifications.push(Modification::ModifyStep { id: id.clone(), changes: json!({ "skill": skill }) });
                }
                Ok(Resolved::new(modifications, format!("Switched {} to skill '{skill}'", quoted_list(&ids, "and")), ids))
            }
            Edit::SetInput { step, input, value } => {
                let id = self.one_step(step, last, &format!("has the input '{input}'"))?;
                let summary = format!("Set input '{input}' of '{id}' to {value}");
                Ok(Resolved::new(vec![Modification::ModifyStep { id: id.clone(), changes: json!({ "inputs": { input.clone(): typed(value) } }) }], summary, vec![id]))
            }
            Edit::Reorder { moved, place } => self.reorder(moved, place, last),
            Edit::Remove { phrase } => self.remove(phrase, last),
            Edit::SetValue { phrase, value, explicit } => self.set_value(phrase, value, *explicit),
            Edit::AddStep { what, place } => self.add_step(what, place),
        }
    }

    fn reorder(&self, moved: &[Tok], place: &Place, last: &[String]) -> Result<Resolved, Plan> {
        let id = self.one_step(moved, last, "should move")?;
        let Some((container, index)) = tree::locate(self.workflow, &id) else {
            return Err(Plan::Say(format!("There is no step '{id}'.")));
        };
        let siblings: Vec<String> = tree::list(self.workflow, &container).map(|list| list.iter().map(|step| step.id.clone()).collect()).unwrap_or_default();
        let mut order = siblings.clone();
        let anchor = |phrase: &[Tok]| -> Result<(String, usize), Plan> {
            let anchor = self.one_step(phrase, &[], "is the reference point")?;
            match tree::locate(self.workflow, &anchor) {
                Some((other, at)) if other == container => Ok((anchor, at)),
                _ => Err(Plan::Say(format!("'{id}' and '{anchor}' are not in the same list of steps, so I cannot order them against each other."))),
            }
        };
        let summary = match place {
            Place::Before(phrase) | Place::After(phrase) => {
                let (anchor_id, _) = anchor(phrase)?;
                if anchor_id == id {
                    return Err(Plan::Say("A step cannot move relative to itself.".into()));
                }
                order.retain(|other| *other != id);
                let at = order.iter().position(|other| *other == anchor_id).expect("the anchor is a sibling");
                let after = matches!(place, Place::After(_));
                order.insert(if after { at + 1 } else { at }, id.clone());
                format!("Moved '{id}' {} '{anchor_id}'", if after { "after" } else { "before" })
            }
            Place::Swap(phrase) => {
                let (other, at) = anchor(phrase)?;
                order.swap(index, at);
                format!("Swapped '{id}' and '{other}'")
            }
            Place::Start => {
                order.retain(|other| *other != id);
                order.insert(0, id.clone());
                format!("Moved '{id}' to the start")
            }
            Place::End => {
                order.retain(|other| *other != id);
                order.push(id.clone());
                format!("Moved '{id}' to the end")
            }
            Place::Up | Place::Down => {
                let target = if matches!(place, Place::Up) { index.checked_sub(1) } else { Some(index + 1).filter(|at| *at < order.len()) };
                let Some(target) = target else {
                    return Err(Plan::Say(format!("'{id}' is already at the {} of its list; nothing changed.", if matches!(place, Place::Up) { "start" } else { "end" })));
                };
                order.swap(index, target);
                format!("Moved '{id}' {}", if matches!(place, Place::Up) { "up one place" } else { "down one place" })
            }
        };
        if order == siblings {
            return Err(Plan::Say(format!("'{id}' is already there; nothing changed.")));
        }
        Ok(Resolved::new(vec![Modification::ReorderSteps { order }], summary, vec![id]))
    }

    /// The context key a phrase names: (key, strength).
    fn context_key(&self, phrase: &[Tok]) -> Result<Option<(String, u32)>, Plan> {
        let keys: Vec<&String> = self.workflow.context.readonly.keys().collect();
        let words: Vec<&str> = phrase.iter().filter(|tok| !tok.is_punctuation() && !tok.is_any(&["the", "a", "an", "of", "context"])).map(|tok| tok.word.as_str()).collect();
        if words.is_empty() {
            return Ok(None);
        }
        let mut best: Vec<(&String, u32)> = Vec::new();
        for key in keys {
            let lower = key.to_lowercase();
            let parts: Vec<&str> = lower.split(['_', '-', '.']).filter(|part| !part.is_empty()).collect();
            let joined = [words.join("_"), words.join("-"), words.concat()];
            let score = if joined.contains(&lower) || words.iter().any(|word| *word == lower || *word == format!("context.{lower}")) {
                100
            } else if parts.iter().all(|part| words.iter().any(|word| same_word(word, part))) {
                80
            } else if parts.iter().any(|part| words.iter().any(|word| !is_stopword(word) && same_word(word, part))) {
                40
            } else {
                0
            };
            if score == 0 {
                continue;
            }
            match best.first() {
                Some((_, top)) if score < *top => {}
                Some((_, top)) if score > *top => best = vec![(key, score)],
                _ => best.push((key, score)),
            }
        }
        match best.as_slice() {
            [] => Ok(None),
            [(key, score)] => Ok(Some(((*key).clone(), *score))),
            several => {
                if let Some(answer) = self.answers.last() {
                    let answer = answer.trim().to_lowercase();
                    if let Some((key, score)) = several.iter().find(|(key, _)| key.to_lowercase() == answer || answer.contains(&key.to_lowercase())) {
                        return Ok(Some(((*key).clone(), *score)));
                    }
                }
                let names: Vec<String> = several.iter().map(|(key, _)| (*key).clone()).collect();
                Err(Plan::Ask(format!("Which context value do you mean: {}?", quoted_list(&names, "or"))))
            }
        }
    }

    fn remove(&self, phrase: &[Tok], last: &[String]) -> Result<Resolved, Plan> {
        let explicit = phrase.iter().any(|tok| tok.is_any(CONTEXT_WORDS));
        let phrase_without = excluding(phrase, CONTEXT_WORDS, &[]);
        let key = self.context_key(&phrase_without)?;
        let step = resolve(phrase, self.workflow);
        let exact_step = content(phrase).iter().any(|tok| self.step(&tok.word).is_some() || tree::walk(self.workflow).iter().any(|visited| visited.step.skill_name() == Some(tok.word.as_str())));
        let use_context = match &key {
            Some((_, score)) if explicit => *score >= 40,
            Some((_, score)) => *score >= 80 && !exact_step,
            None => false,
        };
        if use_context {
            let (key, _) = key.expect("checked");
            return Ok(Resolved::new(vec![Modification::RemoveContext { key: key.clone() }], format!("Removed context value '{key}'"), Vec::new()));
        }
        if explicit && matches!(step, Found::Nothing) {
            let keys: Vec<String> = self.workflow.context.readonly.keys().cloned().collect();
            return Err(Plan::Say(format!(
                "The context of '{}' has no value matching '{}'; its keys are {}. Nothing changed.",
                self.name,
                raw_span(self.text, &phrase_without),
                if keys.is_empty() { "none".to_string() } else { quoted_list(&keys, "and") }
            )));
        }
        let ids = self.steps(phrase, last, "do you want to remove")?;
        let modifications = ids.iter().map(|id| Modification::RemoveStep { id: id.clone() }).collect();
        let summary = format!("Removed step{} {}", if ids.len() == 1 { "" } else { "s" }, quoted_list(&ids, "and"));
        Ok(Resolved::new(modifications, summary, Vec::new()))
    }

    fn set_value(&self, phrase: &[Tok], value: &str, explicit: bool) -> Result<Resolved, Plan> {
        // "set the url input of fetch", "set fetch's url to …": a step and one of its inputs.
        if !explicit {
            for visited in tree::walk(self.workflow) {
                let step = visited.step;
                let names_step = phrase.iter().any(|tok| tok.word == step.id.to_lowercase());
                let input = step.inputs.keys().find(|input| phrase.iter().any(|tok| tok.word == input.to_lowercase()));
                if names_step && let Some(input) = input {
                    let refers_to_context = step.inputs[input].as_str().and_then(|text| text.strip_prefix("context.")).map(str::to_string);
                    if let Some(key) = refers_to_context {
                        return Ok(self.set_context(&key, value));
                    }
                    let summary = format!("Set input '{input}' of '{}' to {value}", step.id);
                    return Ok(Resolved::new(
                        vec![Modification::ModifyStep { id: step.id.clone(), changes: json!({ "inputs": { input.clone(): typed(value) } }) }],
                        summary,
                        vec![step.id.clone()],
                    ));
                }
            }
        }
        match self.context_key(phrase)? {
            Some((key, score)) if score >= 80 || (score >= 40 && explicit) => Ok(self.set_context(&key, value)),
            _ => {
                let words: Vec<&str> = phrase.iter().filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word)).map(|tok| tok.word.as_str()).collect();
                let single = words.len() == 1 && words[0].chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
                if words.is_empty() || !(explicit || single) || words.len() > 3 || resolve(phrase, self.workflow) != Found::Nothing {
                    return Err(Plan::NotUnderstood);
                }
                let key = words.join("_").replace('-', "_");
                Ok(self.set_context(&key, value))
            }
        }
    }

    fn set_context(&self, key: &str, value: &str) -> Resolved {
        let value = typed(value);
        let summary = match self.workflow.context.readonly.get(key) {
            Some(old) if *old == value => format!("Context value '{key}' is already {value}"),
            Some(old) => format!("Changed context value '{key}' from {old} to {value}"),
            None => format!("Added context value '{key}' = {value}"),
        };
        Resolved::new(vec![Modification::SetContext { key: key.to_string(), value }], summary, Vec::new())
    }

    /// The output a new step placed at `index` of `container` reads.
    fn producer_before(&self, container: &Container, index: usize) -> Vec<Producer> {
        let Some(list) = tree::list(self.workflow, container) else { return Vec::new() };
        list[..index.min(list.len())].iter().rev().find_map(Producer::of).into_iter().collect()
    }

    fn add_step(&self, what: &[Tok], place: &AddPlace) -> Result<Resolved, Plan> {
        let answer;
        let what = if content(what).is_empty() {
            match self.last_answer() {
                Some(tokens) => {
                    answer = tokens;
                    &answer[..]
                }
                None => return Err(Plan::Ask("What should the new step do? For example: \"log the response\" or \"send a slack notification\".".into())),
            }
        } else {
            what
        };
        let (modification_place, producers, where_text) = match place {
            AddPlace::After(phrase) => {
                let anchor = self.one_step(phrase, &[], "should the new step follow")?;
                let (container, index) = tree::locate(self.workflow, &anchor).expect("a found step has a place");
                let anchor_step = self.step(&anchor).expect("found");
                let producers = match Producer::of(anchor_step) {
                    Some(producer) => vec![producer],
                    None => self.producer_before(&container, index),
                };
                ((Some(anchor.clone()), None, None), producers, format!("after '{anchor}'"))
            }
            AddPlace::Before(phrase) => {
                let anchor = self.one_step(phrase, &[], "should the new step come before")?;
                let (container, index) = tree::locate(self.workflow, &anchor).expect("a found step has a place");
                ((None, Some(anchor.clone()), None), self.producer_before(&container, index), format!("before '{anchor}'"))
            }
            AddPlace::Start => ((None, None, Some(Position::Named(NamedPosition::Start))), Vec::new(), "at the start".to_string()),
            AddPlace::End => (
                (None, None, Some(Position::Named(NamedPosition::End))),
                self.producer_before(&Container::Root, self.workflow.steps.len()),
                "at the end".to_string(),
            ),
        };
        let mut builder = Builder::new(self.text, self.skills, self.all_ids(), self.workflow.context.readonly.clone());
        let Some(step) = builder.action(what, &producers, false) else {
            return Err(Plan::NotUnderstood);
        };
        let mut modifications: Vec<Modification> =
            builder.added_context.iter().map(|(key, value)| Modification::SetContext { key: key.clone(), value: value.clone() }).collect();
        let skill = step.skill_name().unwrap_or_default().to_string();
        let id = step.id.clone();
        let (after, before, position) = modification_place;
        modifications.push(Modification::AddStep { step: Box::new(step), after, before, position, parent: None, branch: None });
        let origin = if builder.new_skills.is_empty() { "existing skill" } else { "new skill" };
        let mut resolved = Resolved::new(modifications, format!("Added step '{id}' ({origin} '{skill}') {where_text}"), vec![id]);
        resolved.new_skill = builder.new_skills.into_iter().next();
        Ok(resolved)
    }
}

/// Plans an edit request against the workflow.
pub(super) fn plan(context: &EditContext) -> Plan {
    let toks = tokenize(context.text);
    let Some(edits) = parse_all(&toks, context.text, Some(context.skills)) else {
        return Plan::NotUnderstood;
    };
    let mut modifications = Vec::new();
    let mut summaries = Vec::new();
    let mut new_skill = None;
    let mut last: Vec<String> = Vec::new();
    for edit in &edits {
        match context.resolve(edit, &last) {
            Ok(resolved) => {
                modifications.extend(resolved.modifications);
                summaries.push(resolved.summary);
                if new_skill.is_none() {
                    new_skill = resolved.new_skill;
                }
                if !resolved.steps.is_empty() {
                    last = resolved.steps;
                }
            }
            Err(plan) => return plan,
        }
    }
    let summary = match summaries.as_slice() {
        [one] => one.clone(),
        several => capitalise(&several.iter().map(|summary| summary.to_string()).collect::<Vec<_>>().join("; ")),
    };
    Plan::Propose { modifications, summary, new_skill }
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
        assert_eq!(retry_settings(&tokenize("retry with linear backoff")).and_then(|(_, backoff)| backoff), Some(Backoff::Linear));
    }

    #[test]
    fn requests_read_as_edits() {
        let kinds = |text: &str| -> Vec<&'static str> {
            edit(text)
                .unwrap_or_default()
                .iter()
                .map(|edit| match edit {
                    Edit::Retry { .. } => "retry",
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
                    Edit::AddStep { .. } => "add",
                })
                .collect()
        };
        assert_eq!(kinds("add retry logic to the API call"), ["retry"]);
        assert_eq!(kinds("increase the fetch timeout to 30 seconds"), ["timeout"]);
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
        assert_eq!(kinds("add retry to fetch and increase its timeout to 30s"), ["retry", "timeout"]);
        assert_eq!(kinds("what does this workflow do"), Vec::<&str>::new());
        assert_eq!(kinds("fetch"), Vec::<&str>::new());
    }

    #[test]
    fn timeouts_read_units_and_round_up() {
        let change = |text: &str| match edit(text).and_then(|mut edits| edits.pop()) {
            Some(Edit::Timeout { change, .. }) => Some(change),
            _ => None,
        };
        assert_eq!(change("set the fetch timeout to 2 minutes"), Some(TimeoutChange::Set(120)));
        assert_eq!(change("timeout of 1500ms for save"), Some(TimeoutChange::Set(2)));
        assert_eq!(change("increase the timeout by 10 sec"), Some(TimeoutChange::Add(10)));
        assert_eq!(change("double the timeout of fetch"), Some(TimeoutChange::Scale(2.0)));
        assert_eq!(change("remove the timeout from fetch"), Some(TimeoutChange::Remove));
        assert_eq!(change("increase the timeout"), Some(TimeoutChange::Unspecified));
    }
}
