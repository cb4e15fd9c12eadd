//! Error handling in words: retries (counts in digits or words, backoff
//! kinds, intervals), timeouts (units, relative changes), continue on
//! error, fail fast, and fallbacks.

use crate::core::model::{Backoff, Strategy};

use super::super::read::{Edit, TimeoutChange, excluding};
use super::super::text::{
    Tok, count, durations, find_phrase, has_any, has_phrase, number, position_of,
};

// ---------------------------------------------------------------------------
// Reading the words

const RETRY_WORDS: &[&str] = &[
    "retry",
    "retries",
    "retrying",
    "retried",
    "re-try",
    "reattempt",
    "reattempts",
    "re-attempt",
];

const NEGATIONS: &[&str] = &[
    "no",
    "remove",
    "disable",
    "stop",
    "without",
    "drop",
    "delete",
    "don't",
    "dont",
    "never",
    "not",
    "off",
    "clear",
    "shouldn't",
    "mustn't",
    "won't",
    "can't",
    "cannot",
];

/// "if the email fails, don't retry, just continue", "ignore it and finish
/// anyway", "keep going if that update fails": a failure named, and going
/// on after it.
fn keeps_going(toks: &[Tok]) -> bool {
    let failing = toks.iter().any(|tok| {
        tok.word.starts_with("fail")
            || tok.word.starts_with("error")
            || tok.is_any(&["break", "breaks", "crash", "crashes", "outage", "outages"])
    });
    let going_on = toks
        .iter()
        .any(|tok| tok.is_any(&["continue", "proceed", "ignore", "finish"]))
        || has_any(
            toks,
            &[
                "carry on",
                "move on",
                "go on",
                "keep going",
                "don't let it stop",
                "not let it stop",
            ],
        );
    failing && going_on
}

/// Whether the request speaks of retrying, and the attempts and backoff it
/// asks for. "retry N times" and "N retries" mean N retries after the
/// first try (max_attempts N+1); "N attempts" and "try N times" count the
/// first try.
pub(crate) fn retry_settings(toks: &[Tok]) -> Option<(Option<u32>, Option<Backoff>)> {
    // A backoff is the wait between retries ("cap the backoff at 30 s").
    let mentions_retry = toks.iter().any(|tok| tok.is_any(RETRY_WORDS))
        || (toks
            .iter()
            .any(|tok| tok.is_any(&["backoff", "back-off", "backoffs"]))
            && (!durations(toks).is_empty()
                // "switch the pull to linear backoff": a kind of backoff
                // changed to.
                || (toks
                    .iter()
                    .any(|tok| tok.is_any(&["switch", "change", "use", "make", "set", "to"]))
                    && toks.iter().any(|tok| {
                    tok.is_any(&[
                        "linear",
                        "exponential",
                        "fixed",
                        "constant",
                        "linearly",
                        "exponentially",
                    ])
                }))))
        || has_phrase(toks, "try again")
        || (toks
            .iter()
            .any(|tok| tok.is_any(&["attempts", "max_attempts", "tries"]))
            && toks.iter().any(|tok| count(&tok.word).is_some()));
    // "try the upload three times in total": a try, its step, its count.
    let tried_first = toks
        .iter()
        .find(|tok| !tok.is_any(&["please", "just", "and", "then"]))
        .is_some_and(|tok| tok.is("try"));
    let counted_tries = toks
        .windows(2)
        .any(|pair| count(&pair[0].word).is_some() && pair[1].is_any(&["attempts", "tries"]))
        || toks.windows(3).any(|triple| {
            triple[0].is("try") && count(&triple[1].word).is_some() && triple[2].is("times")
        })
        || (tried_first
            && toks
                .windows(2)
                .any(|pair| count(&pair[0].word).is_some() && pair[1].is("times")));
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
        // Large counts are what the user asked for (validation warns about
        // absurd ones); dropping them would retry a different number of times.
        if n > 100_000 {
            continue;
        }
        // "retry zero times", "no retries": one attempt, no retry.
        if n == 0 {
            if matches!(unit, Some("times" | "retries" | "retry" | "x"))
                || previous.is_some_and(|tok| tok.is_any(RETRY_WORDS))
            {
                attempts = Some(1);
                break;
            }
            continue;
        }
        let n = n as u32;
        let tried = |tok: Option<&Tok>| {
            tok.is_some_and(|tok| {
                tok.is_any(&["try", "tries", "attempt", "attempts", "run", "max_attempts"])
            })
        };
        let retried = |tok: Option<&Tok>| tok.is_some_and(|tok| tok.is_any(RETRY_WORDS));
        attempts = match unit {
            Some("attempts" | "attempt" | "tries" | "try") => Some(n),
            Some("retries" | "retry" | "more") => Some(n + 1),
            // "try again twice" counts retries, "try 3 times" counts tries.
            Some("times" | "x")
                if !previous.is_some_and(|tok| tok.is("again"))
                    && (tried(previous) || tried(before_previous) || tried_first) =>
            {
                Some(n)
            }
            // "try the upload three times in total": every try counted.
            Some("times" | "x")
                if toks
                    .get(index + 2)
                    .is_some_and(|tok| tok.is_any(&["total", "overall"]))
                    || (toks.get(index + 2).is_some_and(|tok| tok.is("in"))
                        && toks.get(index + 3).is_some_and(|tok| tok.is("total"))) =>
            {
                Some(n)
            }
            Some("times" | "x") => Some(n + 1),
            _ if previous
                .is_some_and(|tok| tok.is_any(&["to", "=", "of", "max", "maximum", "most"])) =>
            {
                // "set retries to 5", "max_attempts = 4", "attempts to 4"
                let named = toks[..index]
                    .iter()
                    .rev()
                    .find(|tok| tok.is_any(RETRY_WORDS) || tried(Some(tok)));
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
    // "waiting longer each time": waits that grow.
    let growing = has_any(
        toks,
        &[
            "longer each time",
            "longer every time",
            "longer and longer",
            "longer each retry",
        ],
    );
    let backoff = toks.iter().find_map(|tok| match tok.word.as_str() {
        _ if growing => Some(Backoff::Exponential),
        "exponential" | "exponentially" | "exp" | "increasing" | "increasingly" | "growing" => {
            Some(Backoff::Exponential)
        }
        "linear" | "linearly" => Some(Backoff::Linear),
        "fixed" | "constant" | "flat" | "same" | "steady" => Some(Backoff::Fixed),
        _ => None,
    });
    Some((attempts, backoff))
}

/// A timeout written inside a clause ("with a 30 second timeout", "within
/// 2 minutes"), in whole seconds.
pub(crate) fn timeout_in(toks: &[Tok]) -> Option<u64> {
    if !toks
        .iter()
        .any(|tok| tok.is_any(&["timeout", "within", "timeouts"]))
        && !has_phrase(toks, "time out")
    {
        return None;
    }
    durations(toks).first().map(|duration| duration.secs())
}

fn is_timeout(toks: &[Tok]) -> bool {
    // "limit the save step to 1500 ms", "kill the fetch if it takes longer
    // than 2 minutes": one duration bounding a step, with no retry words.
    // "page when the slowest endpoint takes more than 1200 ms" is a
    // condition for a notification, not a limit on a step.
    let notifying = toks.first().is_some_and(|tok| {
        tok.is_any(&[
            "page", "alert", "notify", "email", "warn", "tell", "send", "ping", "message",
        ])
    });
    let bounding = !notifying
        && durations(toks).len() == 1
        && (toks.iter().any(|tok| {
            tok.is_any(&[
                "limit",
                "cap",
                "bound",
                "restrict",
                "kill",
                "abort",
                "cancel",
                "terminate",
                "allow",
                "allowed",
                "stop",
                "halt",
            ])
        }) || has_any(
            toks,
            &["longer than", "more than", "at most", "no more than", "up to"],
        ))
        // "wait at most 5 seconds" bounds a step; "wait 10 seconds between
        // tries" spaces retries.
        && !toks.iter().any(|tok| {
            tok.is_any(RETRY_WORDS)
                || tok.is_any(&["interval", "backoff", "delay", "between", "every", "apart"])
        });
    // "give the upload 10 minutes", "allow the dump 20 minutes", "the
    // north pull needs 30 seconds": time given to a step.
    // "let it run for a quarter of an hour": time given too.
    let given = (toks
        .first()
        .is_some_and(|tok| tok.is_any(&["give", "allow"]))
        || toks
            .iter()
            .any(|tok| tok.is_any(&["needs", "need", "gets"]))
        || has_any(toks, &["run for", "runs for"]))
        && durations(toks).len() == 1
        && !toks.iter().any(|tok| {
            tok.is_any(RETRY_WORDS)
                || tok.is_any(&[
                    "interval", "backoff", "delay", "between", "every", "apart", "wait",
                ])
        });
    bounding
        || given
        || toks.iter().any(|tok| {
            tok.is_any(&[
                "timeout", "timeouts", "time-out", "deadline", "patience", "patient",
            ])
        })
        || has_any(
            toks,
            &[
                "time out",
                "time limit",
                "times out",
                "timing out",
                "give up after",
                "gives up after",
                "take at most",
                "run at most",
            ],
        )
}

/// "don't retry the upload on an access denied error", "never retry when
/// it exits with code 4": a retry refused for one kind of error only. The
/// step's phrase, the error kinds qwf's runner reports (`exit_code:N`,
/// `timeout`, `signal`), and the words of any other error named.
fn not_retried_on(toks: &[Tok], first_retry: usize) -> Option<Edit> {
    let at = first_retry
        + toks[first_retry..]
            .iter()
            .position(|tok| tok.is_any(&["on", "when", "if", "for", "after", "whenever"]))?;
    let end = toks[at..]
        .iter()
        .position(|tok| tok.is_punctuation())
        .map_or(toks.len(), |offset| at + offset);
    let clause = &toks[at + 1..end];
    let mut kinds = Vec::new();
    let mut unknown = Vec::new();
    let mut used = vec![false; clause.len()];
    for (index, tok) in clause.iter().enumerate() {
        let times_out = tok.is_any(&["times", "time", "timing"])
            && clause.get(index + 1).is_some_and(|next| next.is("out"));
        if tok.is_any(&["timeout", "timeouts", "timed"]) || times_out {
            kinds.push("timeout".to_string());
            used[index] = true;
            if times_out {
                used[index + 1] = true;
            }
        } else if tok.is_any(&["signal", "killed"]) {
            kinds.push("signal".to_string());
            used[index] = true;
        } else if tok.is_any(&["exit", "exits"]) {
            used[index] = true;
            if let Some((offset, code)) = clause[index + 1..]
                .iter()
                .take(3)
                .enumerate()
                .find_map(|(offset, next)| next.word.parse::<u32>().ok().map(|code| (offset, code)))
            {
                kinds.push(format!("exit_code:{code}"));
                used[index + 1..=index + 1 + offset].fill(true);
            }
        } else if tok.word.len() == 3
            && tok
                .word
                .parse::<u32>()
                .is_ok_and(|code| (100..600).contains(&code))
            || tok.word.ends_with("xx") && tok.word.len() == 3
        {
            // An HTTP status: what the service answered, not a kind of error
            // a step reports.
            unknown.push(tok.raw.clone());
            used[index] = true;
        }
    }
    // "an access denied error": the words naming the error.
    if let Some(error_at) = clause
        .iter()
        .position(|tok| tok.is_any(&["error", "errors", "failure", "failures", "exception"]))
    {
        let named: Vec<&Tok> = clause[..error_at]
            .iter()
            .enumerate()
            .filter(|(index, tok)| {
                !used[*index]
                    && !super::super::text::is_stopword(&tok.word)
                    && !crate::core::vocabulary::FILLERS.contains(&tok.word.as_str())
                    && !tok.is_any(&[
                        "any", "some", "every", "that", "this", "it", "there", "is", "are", "was",
                        "gets", "get", "got", "an", "a", "the",
                    ])
            })
            .map(|(_, tok)| tok)
            .collect();
        if kinds.is_empty() && !named.is_empty() {
            unknown.push(
                named
                    .iter()
                    .map(|tok| tok.raw.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        used[..=error_at].fill(true);
    }
    // "when the object doesn't exist (NoSuchKey)": a case named by its
    // meaning, with no word for an error ("on the fetch" names the step).
    if kinds.is_empty() && unknown.is_empty() && toks[at].is_any(&["when", "if", "whenever"]) {
        let named: Vec<&str> = clause
            .iter()
            .filter(|tok| {
                !tok.is_punctuation()
                    && !super::super::text::is_stopword(&tok.word)
                    && !crate::core::vocabulary::FILLERS.contains(&tok.word.as_str())
                    && !tok.is_any(RETRY_WORDS)
                    // "when it fails" names no case: any failure.
                    && !tok.word.starts_with("fail")
                    && !tok.is_any(&["error", "errors", "breaks", "crashes", "wrong", "goes"])
            })
            .map(|tok| tok.raw.as_str())
            .collect();
        if !named.is_empty() {
            unknown.push(named.join(" "));
            used.fill(true);
        }
    }
    if kinds.is_empty() && unknown.is_empty() {
        return None;
    }
    // The step: named before the qualifier ("retry the upload on …") or
    // as the subject of the error ("when the feature store answers 404").
    const ERROR_VERBS: &[&str] = &[
        "answers", "returns", "responds", "gets", "says", "gives", "exits", "with", "code",
        "status", "an", "a",
    ];
    // "the download shouldn't be retried when …": the subject first.
    let mut phrase: Vec<Tok> = toks[..first_retry]
        .iter()
        .filter(|tok| !tok.is_any(NEGATIONS) && !tok.is_any(&["be", "get", "gets", "is"]))
        .cloned()
        .collect();
    phrase.extend(toks[first_retry + 1..at].iter().cloned());
    phrase.extend(
        clause
            .iter()
            .enumerate()
            .filter(|(index, tok)| !used[*index] && !tok.is_any(ERROR_VERBS))
            .map(|(_, tok)| tok.clone()),
    );
    Some(Edit::NotRetriedOn {
        phrase,
        kinds,
        unknown,
    })
}

pub(crate) fn parse_retry(toks: &[Tok]) -> Option<Edit> {
    let (attempts, backoff) = retry_settings(toks)?;
    let first_retry = toks
        .iter()
        .position(|tok| tok.is_any(RETRY_WORDS) || tok.is_any(&["attempts", "tries", "try"]))
        .unwrap_or(0);
    // "never wait more than a minute between tries" caps the wait; it
    // removes nothing.
    let capping_wait = |at: usize| {
        toks[at + 1..]
            .iter()
            .take(2)
            .any(|tok| tok.is_any(&["wait", "waits", "waiting"]))
    };
    // "retry zero times" (one attempt) is no retry at all.
    let remove = attempts == Some(1)
        || (attempts.is_none()
            && toks[..first_retry]
                .iter()
                .enumerate()
                .any(|(at, tok)| tok.is_any(NEGATIONS) && !capping_wait(at)));
    // "don't retry, just continue": going on is the change, not retrying less.
    if remove && attempts.is_none() && keeps_going(toks) {
        return None;
    }
    // "don't retry on exit code 4": that error only, the retry stays.
    if remove
        && attempts.is_none()
        && let Some(edit) = not_retried_on(toks, first_retry)
    {
        return Some(edit);
    }
    let found = durations(toks);
    let mut initial_ms = None;
    let mut max_ms = None;
    // "waiting 10 seconds between tries": one wait, the same each time.
    let mut constant_wait = false;
    for duration in &found {
        let before: Vec<&str> = toks[duration.start.saturating_sub(3)..duration.start]
            .iter()
            .map(|tok| tok.word.as_str())
            .collect();
        // "cap the wait between retries at one minute": a cap said first.
        let capped = toks[..duration.start]
            .iter()
            .any(|tok| tok.is_any(&["cap", "limit"]));
        // "never wait more than a minute between tries": a cap said as
        // what must not happen.
        let never_more = before.contains(&"than")
            && before.iter().any(|word| matches!(*word, "more" | "longer"))
            && toks[..duration.start]
                .iter()
                .any(|tok| tok.is_any(&["never", "not", "don't", "no"]));
        if capped
            || never_more
            || before
                .iter()
                .any(|word| matches!(*word, "max" | "maximum" | "capped" | "cap" | "most"))
        {
            max_ms = Some(duration.ms);
        } else if before.iter().any(|word| {
            matches!(
                *word,
                "between"
                    | "delay"
                    | "interval"
                    | "wait"
                    | "waiting"
                    | "starting"
                    | "start"
                    | "initial"
                    | "every"
                    | "after"
                    | "of"
                    | "with"
            )
        }) || toks
            .get(duration.end)
            .is_some_and(|tok| tok.is_any(&["apart", "between", "delay", "interval"]))
            // "start the backoff at 5 seconds"
            || (before.contains(&"backoff") && before.contains(&"at"))
        {
            initial_ms = Some(duration.ms);
            // "5 seconds between tries", "30 seconds apart": the same wait
            // each time. "wait 5 seconds before retrying" sets the first
            // wait and keeps the kind of backoff there is.
            let after = toks.get(duration.end);
            let first_only = before
                .iter()
                .any(|word| matches!(*word, "starting" | "start" | "initial" | "first"))
                || toks[duration.start.saturating_sub(4)..duration.start]
                    .iter()
                    .any(|tok| tok.is_any(&["start", "begin"]));
            let before_retrying = before.contains(&"wait")
                && after.is_some_and(|tok| tok.is_any(&["before", "until"]));
            constant_wait = !(first_only || before_retrying);
        }
    }
    let backoff = match backoff {
        None if constant_wait => Some(Backoff::Fixed),
        other => other,
    };
    let ranges: Vec<(usize, usize)> = found
        .iter()
        .map(|duration| (duration.start, duration.end))
        .collect();
    const WORDS: &[&str] = &[
        "retry",
        "retries",
        "retrying",
        "retried",
        "re-try",
        "reattempt",
        "try",
        "again",
        "attempt",
        "attempts",
        "tries",
        // "3 tries total", "in total": the count, not a step.
        "total",
        "times",
        "time",
        "backoff",
        "back-off",
        "exponential",
        "exponentially",
        "exp",
        "linear",
        "linearly",
        "fixed",
        "constant",
        "flat",
        "same",
        "steady",
        "delay",
        "delays",
        "interval",
        "between",
        "starting",
        "start",
        "never",
        "than",
        "initial",
        "max",
        "maximum",
        "capped",
        "cap",
        "most",
        "add",
        "set",
        "increase",
        "decrease",
        "raise",
        "lower",
        "reduce",
        "drop",
        "cut",
        "change",
        "make",
        "give",
        "enable",
        "logic",
        "policy",
        "error",
        "errors",
        "handling",
        "failure",
        "failures",
        "fails",
        "fail",
        "failed",
        "once",
        "twice",
        "thrice",
        "x",
        "remove",
        "disable",
        "stop",
        "without",
        "no",
        "automatic",
        "automatically",
        "transient",
        "apart",
        "wait",
        "waiting",
        "up",
        "more",
        "strategy",
        "behaviour",
        "behavior",
        "support",
        "some",
        "max_attempts",
        "mechanism",
        "if",
        "when",
        "should",
        "again",
        "on",
        "try",
        "tries",
        "times",
        "keep",
        "keeps",
        "failing",
        "it",
    ];
    let phrase: Vec<Tok> = excluding(toks, WORDS, &ranges)
        .into_iter()
        .filter(|tok| count(tok.word.trim_end_matches('x')).is_none())
        .collect();
    Some(Edit::Retry {
        phrase,
        attempts,
        backoff,
        initial_ms,
        max_ms,
        remove,
    })
}

pub(crate) fn parse_timeout(toks: &[Tok]) -> Option<Edit> {
    if !is_timeout(toks) {
        return None;
    }
    if let Some(negative) = toks.iter().find(|tok| {
        tok.raw.strip_prefix('-').is_some_and(|rest| {
            number(rest.trim_end_matches(|c: char| c.is_alphabetic())).is_some()
        })
    }) {
        let phrase = excluding(toks, &["timeout", "set", "the", "to", "of", "a"], &[]);
        let phrase = phrase
            .into_iter()
            .filter(|tok| {
                tok.start != negative.start
                    && !tok.word.starts_with("sec")
                    && !tok.word.starts_with("min")
            })
            .collect();
        return Some(Edit::Timeout {
            phrase,
            change: TimeoutChange::Negative(negative.raw.clone()),
        });
    }
    let found = durations(toks);
    let increase = toks.iter().any(|tok| {
        tok.is_any(&[
            "increase", "raise", "extend", "bump", "lengthen", "longer", "more",
        ])
    });
    let decrease = toks.iter().any(|tok| {
        tok.is_any(&[
            "decrease", "reduce", "lower", "shorten", "shorter", "less", "cut",
        ])
    });
    // "30 seconds, no wait, make it 60": the last value is the one meant.
    let corrected = has_any(
        toks,
        &[
            "no wait",
            "actually",
            "i mean",
            "make it",
            "rather",
            "instead",
            "correction",
        ],
    );
    let chosen = if corrected {
        found.last()
    } else {
        found.first()
    };
    let change = match chosen {
        Some(duration) => {
            let by = duration.start > 0 && toks[duration.start - 1].is("by");
            let secs = duration.secs() as i64;
            match (by, increase, decrease) {
                (true, true, _) => TimeoutChange::Add(secs),
                (true, _, true) => TimeoutChange::Add(-secs),
                _ if duration.ms % 1000 != 0 => TimeoutChange::SetMs(duration.ms),
                _ => TimeoutChange::Set(duration.secs()),
            }
        }
        None => {
            let bare = toks.windows(2).find_map(|pair| {
                pair[0]
                    .is_any(&["to", "of", "=", "at"])
                    .then(|| count(&pair[1].word))
                    .flatten()
            });
            if let Some(secs) = bare {
                TimeoutChange::Set(secs)
            } else if toks.iter().any(|tok| tok.is_any(&["double", "doubled"])) {
                TimeoutChange::Scale(2.0)
            } else if toks.iter().any(|tok| tok.is_any(&["triple", "tripled"])) {
                TimeoutChange::Scale(3.0)
            } else if toks
                .iter()
                .any(|tok| tok.is_any(&["halve", "halved", "half"]))
            {
                TimeoutChange::Scale(0.5)
            } else if toks
                .iter()
                .any(|tok| tok.is_any(NEGATIONS) || tok.is_any(&["unset", "eliminate"]))
            {
                TimeoutChange::Remove
            } else {
                TimeoutChange::Unspecified
            }
        }
    };
    let ranges: Vec<(usize, usize)> = found
        .iter()
        .map(|duration| (duration.start, duration.end))
        .collect();
    const WORDS: &[&str] = &[
        "timeout",
        "timeouts",
        "time-out",
        "time",
        "out",
        "limit",
        "deadline",
        "times",
        "timing",
        "increase",
        "raise",
        "extend",
        "bump",
        "lengthen",
        "longer",
        "more",
        "decrease",
        "reduce",
        "lower",
        "shorten",
        "shorter",
        "less",
        "cut",
        "set",
        "change",
        "make",
        "give",
        "add",
        "double",
        "doubled",
        "triple",
        "tripled",
        "halve",
        "halved",
        "half",
        "by",
        "remove",
        "no",
        "disable",
        "delete",
        "drop",
        "without",
        "clear",
        "unset",
        "eliminate",
        "seconds",
        "second",
        "secs",
        "sec",
        "minutes",
        "minute",
        "update",
        "allow",
        "wait",
        "up",
        "give",
        "gives",
        "after",
        "take",
        "takes",
        "longest",
        "max",
        "maximum",
        "at",
        "most",
        "it",
        "should",
        "take",
        "than",
        "cap",
        "bound",
        "restrict",
        "kill",
        "abort",
        "cancel",
        "terminate",
        "if",
        "when",
        "runs",
        "run",
        "running",
    ];
    let phrase: Vec<Tok> = excluding(toks, WORDS, &ranges)
        .into_iter()
        .filter(|tok| count(&tok.word).is_none())
        .collect();
    Some(Edit::Timeout { phrase, change })
}

const HANDLING_WORDS: &[&str] = &[
    "abort",
    "halt",
    "run",
    "everything",
    "continue",
    "continues",
    "on",
    "error",
    "errors",
    "failure",
    "failures",
    "fail",
    "fails",
    "failed",
    "failing",
    "ignore",
    "ignores",
    "keep",
    "going",
    "carry",
    "don't",
    "dont",
    "do",
    "not",
    "stop",
    "stops",
    "optional",
    "best",
    "effort",
    "best-effort",
    "non-fatal",
    "nonfatal",
    "non-critical",
    "even",
    "if",
    "when",
    "skip",
    "skipped",
    "tolerate",
    "silently",
    "swallow",
    "make",
    "set",
    "workflow",
    "whole",
    "rest",
    "let",
    "allow",
    "anything",
    "anyway",
    "shouldn't",
    "should",
    "doesn't",
    "does",
    "fast",
    "abort",
    "halt",
    "entire",
    "remove",
    "delete",
    "drop",
    "clear",
    "disable",
    "handling",
    "strategy",
    "any",
    "no",
    "more",
    "break",
    "breaks",
    "never",
    "mustn't",
    "without",
    "stopping",
    "failed",
    "let",
    "cause",
    "causes",
    "turn",
    "off",
    "unset",
];

pub(crate) fn parse_handling(toks: &[Tok]) -> Option<Edit> {
    let phrase = || excluding(toks, HANDLING_WORDS, &[]);
    let removing = toks.iter().any(|tok| {
        tok.is_any(&[
            "remove", "delete", "drop", "clear", "disable", "no", "off", "unset", "without",
        ])
    });
    if removing
        && (has_phrase(toks, "error handling") || toks.iter().any(|tok| tok.is_any(&["fallback"])))
    {
        return Some(Edit::ClearHandling {
            phrase: excluding(&phrase(), &["fallback"], &[]),
        });
    }
    const CONTINUE: &[&str] = &[
        "continue on error",
        "continue on errors",
        "continue on failure",
        "continue on failures",
        "continue if",
        "continue when",
        "continue even",
        "continue anyway",
        "continues on",
        "keep going",
        "carry on",
        "ignore failures",
        "ignore errors",
        "ignore the failure",
        "ignore the error",
        "ignore any",
        "ignore its",
        "ignore failure",
        "ignore error",
        "don't stop",
        "do not stop",
        "don't let it stop",
        "do not let it stop",
        "never let it stop",
        "not let it stop",
        "shouldn't stop",
        "should not stop",
        "doesn't stop",
        "not stop",
        "best effort",
        "best-effort",
        "non-fatal",
        "nonfatal",
        "non-critical",
        "skip on error",
        "skip on failure",
        "skip it if",
        "skip if",
        "even if",
        "tolerate",
        "fail silently",
        "swallow",
        "shouldn't fail",
        "should not fail",
        "not fail the",
        "don't fail",
        "strategy continue",
        "to continue",
        "without stopping",
        "allowed to fail",
        "allow it to fail",
        "may fail",
        "can fail",
    ];
    let ignore_failures = toks
        .iter()
        .position(|tok| tok.is_any(&["ignore", "ignores"]))
        .is_some_and(|at| {
            toks[at..]
                .iter()
                .any(|tok| tok.word.starts_with("fail") || tok.word.starts_with("error"))
        });
    if has_any(toks, CONTINUE)
        || ignore_failures
        || keeps_going(toks)
        || toks.iter().any(|tok| tok.is("optional"))
    {
        return Some(Edit::Strategy {
            phrase: phrase(),
            strategy: Strategy::Continue,
        });
    }
    const FAIL: &[&str] = &[
        "fail fast",
        "stop on error",
        "stop on errors",
        "stop on failure",
        "abort on",
        "abort the run",
        "abort the workflow",
        "abort everything",
        "stop the run",
        "stop everything",
        "stop the workflow",
        "fail the workflow",
        "fail the run",
        "halt",
        "strategy fail",
    ];
    // "don't let a failed save stop the workflow" keeps it going.
    let negated = toks.iter().any(|tok| {
        tok.is_any(&[
            "don't",
            "dont",
            "never",
            "not",
            "shouldn't",
            "mustn't",
            "without",
        ])
    });
    if has_any(toks, FAIL) && negated {
        return Some(Edit::Strategy {
            phrase: phrase(),
            strategy: Strategy::Continue,
        });
    }
    if has_any(toks, FAIL) {
        return Some(Edit::Strategy {
            phrase: phrase(),
            strategy: Strategy::Fail,
        });
    }
    None
}

fn fail_word(tok: &Tok) -> bool {
    tok.word.starts_with("fail")
        || tok.is_any(&["errors", "breaks", "crashes", "times", "down", "error"])
}

/// Whether the word at `at` is a verb that runs another step ("use B",
/// "run B"), not a noun ("stop the run").
fn runs_another(toks: &[Tok], at: usize) -> bool {
    toks[at].is_any(&["use", "run", "call", "try", "switch"])
        && !at.checked_sub(1).is_some_and(|before| {
            toks[before].is_any(&["the", "a", "this", "that", "each", "every"])
        })
}

pub(crate) fn parse_fallback(toks: &[Tok]) -> Option<Edit> {
    let marker = [
        "fall back to",
        "fall back on",
        "falls back to",
        "fallback to",
        "fall-back to",
        "fallback on",
        "fall back",
        "fallback",
    ]
    .iter()
    .find_map(|phrase| find_phrase(toks, phrase).map(|at| (at, phrase.split(' ').count())));
    let condition = toks
        .iter()
        .position(|tok| tok.is_any(&["if", "when", "whenever"]));
    let failing = condition.and_then(|at| {
        toks[at..]
            .iter()
            .position(fail_word)
            .map(|offset| at + offset)
    });
    let trim = |slice: &[Tok]| {
        excluding(
            slice,
            &[
                "instead", "the", "step", "use", "run", "call", "try", ",", "then", "as", "a",
                "an", "should", "it", "that",
            ],
            &[],
        )
    };
    match (marker, condition, failing) {
        // "fall back to B if A fails", "if A fails, fall back to B"
        (Some((at, length)), Some(cond), Some(fail)) => {
            let backup_end = if cond > at { cond } else { toks.len() };
            let backup = trim(&toks[at + length..backup_end]);
            let primary = trim(&toks[cond + 1..fail]);
            Some(Edit::Fallback { primary, backup })
        }
        // "if A fails, use B instead" ("… stop the run": a noun, no verb)
        (None, Some(cond), Some(fail)) if (0..toks.len()).any(|at| runs_another(toks, at)) => {
            let primary = trim(&toks[cond + 1..fail]);
            let after = (fail + 1..toks.len()).find(|at| runs_another(toks, *at))?;
            let backup = trim(&toks[after + 1..]);
            // "if it keeps failing, try 3 times" counts tries: a retry.
            if backup.iter().any(|tok| {
                count(&tok.word).is_some() || tok.is_any(&["times", "again", "twice", "thrice"])
            }) {
                return None;
            }
            Some(Edit::Fallback { primary, backup })
        }
        // "use B as a fallback for A", "make B the fallback of A", "A should fall back to B"
        (Some((at, length)), _, _) => {
            let for_at = toks[at..]
                .iter()
                .position(|tok| tok.is_any(&["for", "of"]))
                .map(|offset| at + offset);
            match for_at {
                Some(for_at) => {
                    let start =
                        position_of(toks, &["use", "make", "set"]).map_or(0, |verb| verb + 1);
                    let backup = trim(&toks[start..at]);
                    let primary = trim(&toks[for_at + 1..]);
                    Some(Edit::Fallback { primary, backup })
                }
                None => {
                    let start = position_of(toks, &["let", "make"]).map_or(0, |verb| verb + 1);
                    let primary = trim(&excluding(
                        &toks[start..at],
                        &["should", "must", "can"],
                        &[],
                    ));
                    let backup = trim(&toks[at + length..]);
                    Some(Edit::Fallback { primary, backup })
                }
            }
        }
        _ => None,
    }
}
