//! What a request asks for, from its words alone: creation, undo or
//! rollback, a question (diff, history, validity, skills, description), an
//! edit, help — or nothing the planner understands.

use super::read::looks_like_edit;
use super::text::{Tok, count, find_phrase, has_any, is_stopword, position_of, tokenize};

/// What the user asked for, read from the words alone.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Intent {
    Create {
        name: Option<String>,
    },
    Undo(u64),
    RollbackTo(u64),
    /// "bring the prune step back", "put the table back the way it was":
    /// the changes those words name undone, the others kept.
    Restore {
        words: Vec<String>,
        /// "bring … back", "restore …": what is missing comes back.
        bringing_back: bool,
    },
    /// "go back to before the timeout change": words of that change.
    RollbackBefore {
        words: Vec<String>,
    },
    Diff {
        versions: Vec<u64>,
        last_change: bool,
    },
    History,
    Validate,
    ListSkills,
    Describe {
        step: Option<String>,
    },
    /// "which steps read the totals?", "what breaks if I remove fetch?"
    Consumers {
        phrase: String,
    },
    /// "should I add retry to fetch?": advice asked, nothing to change.
    Advice,
    /// "run it every 5 minutes": a schedule, which lives outside workflows.
    Schedule {
        cron: Option<String>,
    },
    Edit,
    Help,
    Unknown,
}

/// "v2", "version 2", "version two".
pub(super) fn versions(toks: &[Tok]) -> Vec<u64> {
    let mut found = Vec::new();
    for (index, tok) in toks.iter().enumerate() {
        let word = tok.word.as_str();
        if let Some(digits) = word.strip_prefix('v')
            && let Ok(version) = digits.parse::<u64>()
        {
            found.push(version);
        } else if word == "version"
            && let Some(version) = toks.get(index + 1).and_then(|next| count(&next.word))
        {
            found.push(version);
        }
    }
    found
}

/// "two versions ago", "three changes back", "a version ago": how many.
fn changes_ago(toks: &[Tok]) -> Option<u64> {
    // "a couple of versions ago" is two.
    let toks: Vec<Tok> = toks
        .iter()
        .enumerate()
        .filter(|(at, tok)| {
            let of_couple = tok.is("of")
                && at
                    .checked_sub(1)
                    .is_some_and(|before| toks[before].is("couple"));
            let a_couple = tok.is("a") && toks.get(at + 1).is_some_and(|next| next.is("couple"));
            !(of_couple || a_couple)
        })
        .map(|(_, tok)| {
            let mut tok = tok.clone();
            if tok.is("couple") {
                tok.word = "2".into();
            }
            tok
        })
        .collect();
    toks.windows(3).find_map(|triple| {
        let counted = match triple[0].word.as_str() {
            "a" | "an" => Some(1),
            word => count(word),
        }?;
        (triple[1].is_any(&[
            "version",
            "versions",
            "change",
            "changes",
            "edit",
            "edits",
            "revision",
            "revisions",
        ]) && triple[2].is_any(&["ago", "back", "earlier", "before"])
            && (1..100).contains(&counted))
        .then_some(counted)
    })
}

pub(super) fn creation_name(toks: &[Tok]) -> Option<String> {
    let at = position_of(toks, &["named", "called"])?;
    if at == 0 || !toks[at - 1].is_any(&["workflow", "pipeline", "flow", "automation", "job"]) {
        return None;
    }
    let raw = &toks.get(at + 1)?.raw;
    let name = crate::core::names::suggest_name(raw);
    crate::core::names::check_name(&name, "workflow")
        .ok()
        .map(|_| name)
}

/// A yes/no question about the workflow's health: "is this workflow
/// valid?", "are there any errors in the pipeline", "does it still work?".
fn asks_validity(words: &[&Tok]) -> bool {
    const OPENERS: &[&str] = &[
        "is", "are", "does", "do", "will", "would", "can", "could", "any", "anything", "has",
        "have", "did",
    ];
    const HEALTH: &[&str] = &[
        "valid",
        "invalid",
        "validity",
        "broken",
        "break",
        "problem",
        "problems",
        "issue",
        "issues",
        "error",
        "errors",
        "wrong",
        "correct",
        "ok",
        "okay",
        "sound",
        "consistent",
        "work",
        "works",
        "working",
        "runnable",
    ];
    const SUBJECTS: &[&str] = &[
        "workflow",
        "pipeline",
        "it",
        "this",
        "everything",
        "anything",
        "flow",
        "steps",
        "there",
        "wiring",
    ];
    let Some(first) = words.first() else {
        return false;
    };
    first.is_any(OPENERS)
        && words.iter().any(|tok| tok.is_any(HEALTH))
        && words.iter().any(|tok| tok.is_any(SUBJECTS))
        && !words
            .iter()
            .any(|tok| tok.is_any(&["retry", "timeout", "handling", "handle", "when", "if"]))
}

/// The thing asked about in "which steps read the totals?", "who uses
/// fetch's output", "what depends on validate", "what breaks if I remove
/// the save step?".
fn consumers_phrase(toks: &[Tok]) -> Option<String> {
    let asking = toks.first().is_some_and(|tok| {
        tok.is_any(&[
            "which", "who", "what", "what's", "does", "do", "is", "are", "anything", "anyone",
        ])
    });
    if !asking {
        return None;
    }
    // "what would happen if I deleted validate?": the removal names it.
    let removal = toks.windows(3).position(|window| {
        window[0].is("if")
            && window[1].is_any(&["i", "we", "you"])
            && window[2].is_any(&[
                "remove", "removed", "delete", "deleted", "drop", "dropped", "removing", "deleting",
            ])
    });
    let verb = match removal {
        Some(at) => at + 2,
        None => toks.iter().position(|tok| {
            tok.is_any(&[
                "read", "reads", "use", "uses", "consume", "consumes", "need", "needs", "depend",
                "depends", "break", "breaks", "relies", "rely",
            ])
        })?,
    };
    let mut start = verb + 1;
    while toks.get(start).is_some_and(|tok| {
        tok.is_any(&[
            "on", "upon", "if", "when", "i", "we", "you", "remove", "delete", "drop", "the", "from",
        ])
    }) {
        start += 1;
    }
    let phrase: Vec<&str> = toks[start..]
        .iter()
        .filter(|tok| !tok.is_punctuation() && !tok.is_any(&["?", "step", "output", "outputs"]))
        .map(|tok| tok.raw.as_str())
        .collect();
    (!phrase.is_empty()).then(|| phrase.join(" "))
}

/// A crontab line's time fields for "every 5 minutes", "every 2 hours",
/// "hourly", "every day"/"nightly".
fn cron_for(toks: &[Tok]) -> Option<String> {
    for triple in toks.windows(3) {
        if triple[0].is_any(&["every", "each"])
            && let Some(n) = count(&triple[1].word).filter(|n| *n > 0)
            && let Some(ms) = super::text::unit_ms(&triple[2].word)
        {
            return match ms {
                60_000 if n < 60 => Some(format!("*/{n} * * * *")),
                3_600_000 if n < 24 => Some(format!("0 */{n} * * *")),
                _ => None,
            };
        }
    }
    if toks.iter().any(|tok| tok.is("hourly")) || has_any(toks, &["every hour", "each hour"]) {
        return Some("0 * * * *".into());
    }
    if toks.iter().any(|tok| tok.is_any(&["nightly", "daily"]))
        || has_any(
            toks,
            &["every night", "every day", "each night", "each day"],
        )
    {
        return Some("0 2 * * *".into());
    }
    None
}

/// "should I add retry to fetch?", "do we need a timeout on save?": advice
/// asked, not a change.
fn asks_advice(toks: &[Tok], text: &str) -> bool {
    let opening = |phrases: &[&str]| {
        phrases
            .iter()
            .any(|phrase| find_phrase(toks, phrase) == Some(0))
    };
    text.trim_end().ends_with('?')
        && opening(&[
            "should i",
            "should we",
            "do i need",
            "do we need",
            "is it worth",
            "would it help",
            "would it be",
            "is it a good idea",
            "does it make sense",
        ])
}

pub(super) fn classify(text: &str, create_mode: bool) -> Intent {
    let toks = tokenize(text);
    let words: Vec<&Tok> = toks.iter().filter(|tok| !tok.is_punctuation()).collect();
    if words.is_empty() {
        return Intent::Unknown;
    }
    if create_mode {
        return Intent::Create {
            name: creation_name(&toks),
        };
    }
    // "create a workflow that …", "build me a pipeline to …", "I need a workflow for …"
    let workflow_word = position_of(&toks, &["workflow", "pipeline", "automation"]);
    let creating = toks.iter().take(4).any(|tok| {
        tok.is_any(&[
            "create", "build", "generate", "make", "design", "new", "need", "want", "setup", "set",
        ])
    });
    if let Some(at) = workflow_word
        && creating
        && at <= 6
        && toks[..at].iter().any(|tok| tok.is_any(&["a", "an", "new"]))
    {
        return Intent::Create {
            name: creation_name(&toks),
        };
    }
    if asks_advice(&toks, text) {
        return Intent::Advice;
    }
    let found_versions = versions(&toks);
    // "make it like it was two versions ago", "go back three changes":
    // that many changes undone.
    if let Some(n) = changes_ago(&toks) {
        return Intent::Undo(n);
    }
    // Undo and rollback.
    let how_many = |toks: &[Tok]| {
        toks.iter()
            .find_map(|tok| count(&tok.word))
            .filter(|n| *n > 0 && *n < 100)
            .unwrap_or(1)
    };
    // "scrap the last two changes", "forget the timeout change".
    let discarded = toks
        .iter()
        .any(|tok| tok.is_any(&["forget", "scrap", "discard", "ditch", "drop", "cancel"]))
        && toks
            .iter()
            .any(|tok| tok.is_any(&["change", "changes", "edit", "edits"]));
    if discarded
        || toks
            .iter()
            .any(|tok| tok.is_any(&["undo", "undo", "un-do"]))
        || has_any(
            &toks,
            &[
                "take that back",
                "take back",
                "reverse the last",
                "reverse my last",
                "reverse that",
                "reverse this change",
                "back out the last",
                "back that out",
                "revert the last",
                "revert my last",
                "revert that",
                "roll back the last",
                "rollback the last",
            ],
        )
    {
        // "undo everything", "undo all my changes": back to the start.
        if toks.iter().any(|tok| tok.is_any(&["everything", "all"]))
            && !toks
                .iter()
                .any(|tok| tok.is_any(&["keep", "but", "except"]))
        {
            return Intent::RollbackTo(1);
        }
        // "undo the table change": that change, whichever version it was.
        if found_versions.is_empty() {
            let words = super::restore::named_words(&toks);
            if !words.is_empty() {
                return Intent::Restore {
                    words,
                    bringing_back: false,
                };
            }
        }
        return Intent::Undo(how_many(&toks));
    }
    // "bring the prune step back", "put the table name back the way it
    // was": something named, no version, no new value.
    let brought_back = toks.iter().enumerate().any(|(at, tok)| {
        tok.is("back")
            && toks[..at]
                .iter()
                .any(|before| before.is_any(&["bring", "put", "get", "turn", "change", "set"]))
    }) || has_any(
        &toks,
        &[
            "the way it was",
            "as it was",
            "like it was",
            "the way they were",
            "as they were",
        ],
    );
    // "revert just that one": "one" points at a change, it is no value.
    let gives_a_value = toks.iter().enumerate().any(|(at, tok)| {
        let pointing = tok.is("one")
            && at > 0
            && toks[at - 1].is_any(&["that", "this", "the", "last", "latest"]);
        (count(&tok.word).is_some() && !pointing)
            || !super::build::literals(std::slice::from_ref(tok)).is_empty()
    });
    // "the way it was when I first made it": the first version.
    let first_made = has_any(
        &toks,
        &[
            "first made",
            "first created",
            "first built",
            "first wrote",
            "first set",
        ],
    );
    if brought_back && found_versions.is_empty() && !gives_a_value {
        let words = super::restore::named_words(&toks);
        if first_made && words.iter().all(|word| word == "first") {
            return Intent::RollbackTo(1);
        }
        if !words.is_empty() {
            return Intent::Restore {
                words,
                bringing_back: !has_any(&toks, &["the way it was", "as it was", "like it was"]),
            };
        }
        // "put it back the way it was (originally)": nothing named.
        return if first_made
            || toks
                .iter()
                .any(|tok| tok.is_any(&["original", "originally", "first", "start"]))
        {
            Intent::RollbackTo(1)
        } else {
            Intent::Undo(1)
        };
    }
    // "I want the original version back", "put v2 back": a version named,
    // then "back".
    let version_back = toks.windows(2).any(|pair| {
        pair[1].is("back")
            && (pair[0].is_any(&["version", "original", "one"]) || versions(&toks[..]).len() == 1)
    });
    let rolling = version_back
        || has_any(
            &toks,
            &[
                "go back",
                "roll back",
                "rollback",
                "revert",
                "restore",
                "return to",
                "back to",
                "reset to",
                "bring back",
                "put back",
            ],
        );
    if rolling && let Some(version) = found_versions.last() {
        return Intent::RollbackTo(*version);
    }
    // "the original", "the first version": version 1, never "the last one".
    let to_the_first = has_any(
        &toks,
        &[
            "original",
            "first version",
            "initial version",
            "very first",
            "the beginning",
        ],
    );
    if rolling && to_the_first {
        return Intent::RollbackTo(1);
    }
    // "go back to the version before the timeout change": the version
    // before the one whose description speaks of it.
    if rolling && let Some(before) = find_phrase(&toks, "before") {
        let words: Vec<String> = toks[before + 1..]
            .iter()
            .filter(|tok| {
                !tok.is_punctuation()
                    && !is_stopword(&tok.word)
                    && !tok.is_any(&[
                        "change", "changes", "changed", "edit", "version", "i", "we", "added",
                        "add", "made", "set", "was", "were",
                    ])
            })
            .map(|tok| tok.word.clone())
            .collect();
        if !words.is_empty() {
            return Intent::RollbackBefore { words };
        }
    }
    // "revert the retry but keep everything else": that change.
    let reverting = has_any(
        &toks,
        &["revert", "restore", "roll back", "rollback", "reset"],
    );
    if reverting && found_versions.is_empty() && !gives_a_value {
        let words = super::restore::named_words(&toks);
        if !words.is_empty() {
            return Intent::Restore {
                words,
                bringing_back: has_any(&toks, &["restore", "bring back"]),
            };
        }
    }
    if rolling && !looks_like_edit(text) && !toks.iter().any(|tok| tok.is("restore")) {
        return Intent::Undo(how_many(&toks));
    }
    // Questions.
    let asks_diff = has_any(
        &toks,
        &[
            "what changed",
            "what has changed",
            "what's changed",
            "what have i changed",
            "what did i change",
            "what's different",
            "what is different",
            "what different",
            "different between",
            "difference between",
            "differs from",
            "differ from",
            "changes since",
            "changed since",
            "difference",
            "differences",
            "diff",
            "compare",
            "what did the last change",
            "what was the last change",
            "last change do",
        ],
    );
    // "to compare notes with the team, set the project to X": a remark
    // that says "compare" asks no diff.
    if asks_diff && !super::remarks::asks_a_change(text) {
        // "since the first version", "since the original": from v1.
        if found_versions.is_empty()
            && has_any(
                &toks,
                &[
                    "first version",
                    "original",
                    "initial version",
                    "the beginning",
                    "the start",
                ],
            )
        {
            return Intent::Diff {
                versions: vec![1],
                last_change: false,
            };
        }
        let last_change = found_versions.is_empty();
        return Intent::Diff {
            versions: found_versions,
            last_change,
        };
    }
    if has_any(
        &toks,
        &[
            "history",
            "list versions",
            "show versions",
            "what versions",
            "which versions",
            "all versions",
            "previous versions",
        ],
    ) {
        return Intent::History;
    }
    if has_any(
        &toks,
        &[
            "is it valid",
            "is this valid",
            "is the workflow valid",
            "validate the workflow",
            "validate it",
            "validate this",
            "any problems",
            "check the workflow",
            "is anything broken",
            "is it broken",
            "problems with",
        ],
    ) || (toks.first().is_some_and(|tok| tok.is("validate"))
        && words.len() <= 3
        && workflow_word.is_some())
        || asks_validity(&words)
    {
        return Intent::Validate;
    }
    if has_any(
        &toks,
        &[
            "list skills",
            "list my skills",
            "what skills",
            "which skills",
            "show skills",
            "show my skills",
            "skills do i have",
            "list the skills",
        ],
    ) {
        return Intent::ListSkills;
    }
    let describing = has_any(
        &toks,
        &[
            "what does",
            "what do",
            "describe",
            "explain",
            "show me",
            "show the workflow",
            "what is in",
            "what's in",
            "summarize the workflow",
            "summarise the workflow",
            "summary of",
            "what are the steps",
            "list the steps",
            "tell me about",
            "how does",
            "what is this",
            "what's this",
        ],
    );
    if describing && !looks_like_edit(text) {
        let step = find_phrase(&toks, "what does").and_then(|at| {
            let end = toks[at..]
                .iter()
                .rposition(|tok| tok.is("do"))
                .map(|offset| at + offset)?;
            let phrase: Vec<&Tok> = toks[at + 2..end]
                .iter()
                .filter(|tok| !tok.is_punctuation())
                .collect();
            let general = phrase
                .iter()
                .any(|tok| tok.is_any(&["workflow", "pipeline", "it", "this", "that"]));
            (!general && !phrase.is_empty()).then(|| {
                phrase
                    .iter()
                    .map(|tok| tok.raw.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        });
        let step = step.or_else(|| {
            let at = position_of(&toks, &["explain", "describe"])?;
            let phrase: Vec<&Tok> = toks[at + 1..]
                .iter()
                .filter(|tok| !tok.is_punctuation())
                .collect();
            let general = phrase.is_empty()
                || phrase
                    .iter()
                    .any(|tok| tok.is_any(&["workflow", "pipeline", "it", "this", "everything"]));
            (!general).then(|| {
                phrase
                    .iter()
                    .map(|tok| tok.raw.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        });
        return Intent::Describe { step };
    }
    let about_retries = toks.iter().any(|tok| {
        tok.is_any(&[
            "retry", "retries", "retrying", "backoff", "wait", "delay", "interval", "attempts",
            "timeout",
        ])
    });
    // "set the description to Nightly import" names, it does not schedule.
    let naming = toks.iter().any(|tok| {
        tok.is_any(&[
            "description",
            "describe",
            "called",
            "named",
            "rename",
            "name",
            "title",
        ])
    }) || text.contains(['"', '\'', '“']);
    if super::text::speaks_of_a_schedule(&toks) && !about_retries && !naming {
        return Intent::Schedule {
            cron: cron_for(&toks),
        };
    }
    if let Some(phrase) = consumers_phrase(&toks) {
        return Intent::Consumers { phrase };
    }
    let help = has_any(&toks, &["what can you do", "how do i", "how can i"])
        || (words.len() == 1 && words[0].is_any(&["hi", "hello", "hey", "help", "?"]));
    if help {
        return Intent::Help;
    }
    // "what is the timeout of fetch?", "does save retry?": a question about
    // the workflow is answered, not turned into a change.
    let question = words[0].is_any(&[
        "what", "what's", "which", "how", "why", "when", "where", "who", "is", "are", "does", "do",
        "has", "have", "did",
    ]);
    // "when the fetch fails, fall back to save" is an edit, not a question.
    let conditional_edit = words[0].is_any(&["when", "whenever"])
        && !text.trim_end().ends_with('?')
        && looks_like_edit(text);
    // "have the fetch step use curl-get" is an order, not a question.
    let imperative = !text.trim_end().ends_with('?')
        && words[0].is_any(&["have", "do", "make"])
        && looks_like_edit(text);
    if question && !conditional_edit && !imperative {
        let phrase: Vec<&str> = words
            .iter()
            .filter(|tok| {
                !tok.is_any(&[
                    "what", "what's", "which", "how", "why", "is", "are", "does", "do", "has",
                    "have",
                ])
            })
            .map(|tok| tok.raw.as_str())
            .collect();
        return Intent::Describe {
            step: (!phrase.is_empty()).then(|| phrase.join(" ")),
        };
    }
    if looks_like_edit(text) || super::remarks::asks_a_change(text) {
        return Intent::Edit;
    }
    // "change the table", "rename the chart step": a change whose value is
    // missing; the edit planner asks for it. "could you change …" too.
    let first_verb = words
        .iter()
        .find(|tok| {
            !tok.is_any(&[
                "could", "can", "would", "will", "you", "please", "kindly", "pls", "i", "we",
                "i'd", "we'd", "want", "need", "like", "to", "just",
            ])
        })
        .unwrap_or(&words[0]);
    if first_verb.is_any(&[
        "change", "set", "update", "lower", "raise", "increase", "decrease", "reduce", "bump",
        "rename", "move", "point", "send", "switch", "use", "replace", "swap",
    ]) || has_any(&toks, crate::core::vocabulary::ELSEWHERE)
        // "page me by SMS instead": something done another way.
        || has_any(&toks, &["instead", "rather than"])
        // "notify someone when it fails": the edit planner asks who.
        || (toks.iter().any(|tok| tok.is_any(&["notify", "alert", "tell", "inform", "warn"]))
            && toks
                .iter()
                .any(|tok| tok.is_any(&["someone", "somebody", "anyone", "anybody", "people"])))
        || toks
            .windows(2)
            .any(|pair| pair[0].is_punctuation() && pair[1].is("not"))
        // "also check cdn.example.com with the other certificates".
        || (has_any(&toks, crate::core::vocabulary::ANOTHER)
            && !super::build::literals(&toks).is_empty())
    {
        return Intent::Edit;
    }
    if has_any(&toks, &["help", "hello", "hi"]) {
        return Intent::Help;
    }
    Intent::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_classified() {
        assert_eq!(classify("undo the last change", false), Intent::Undo(1));
        assert_eq!(
            classify("reverse the last change please", false),
            Intent::Undo(1)
        );
        assert_eq!(classify("oops, revert that", false), Intent::Undo(1));
        assert_eq!(
            classify("put it back the way it was originally", false),
            Intent::RollbackTo(1)
        );
        assert_eq!(
            classify("put it back the way it was", false),
            Intent::Undo(1)
        );
        assert_eq!(
            classify(
                "can you make it how it was a couple of versions ago?",
                false
            ),
            Intent::Undo(2)
        );
        assert_eq!(classify("is this workflow valid?", false), Intent::Validate);
        assert_eq!(
            classify("are there any errors in the pipeline", false),
            Intent::Validate
        );
        assert_eq!(
            classify("when the fetch fails, fall back to save", false),
            Intent::Edit
        );
        assert_eq!(
            classify("revert to the original version", false),
            Intent::RollbackTo(1)
        );
        assert_eq!(
            classify("go back to the first version", false),
            Intent::RollbackTo(1)
        );
        assert_eq!(classify("undo the last 2 changes", false), Intent::Undo(2));
        assert_eq!(classify("go back to v2", false), Intent::RollbackTo(2));
        assert_eq!(
            classify("roll back to version 3", false),
            Intent::RollbackTo(3)
        );
        assert_eq!(
            classify("what changed since v1?", false),
            Intent::Diff {
                versions: vec![1],
                last_change: false
            }
        );
        assert_eq!(
            classify("what does this workflow do?", false),
            Intent::Describe { step: None }
        );
        assert_eq!(
            classify("what does the fetch step do?", false),
            Intent::Describe {
                step: Some("the fetch step".into())
            }
        );
        assert_eq!(
            classify("create a workflow that fetches data", false),
            Intent::Create { name: None }
        );
        assert_eq!(
            classify("create a workflow called nightly that fetches data", false),
            Intent::Create {
                name: Some("nightly".into())
            }
        );
        assert_eq!(classify("add retry to fetch", false), Intent::Edit);
        assert_eq!(classify("make it more awesome", false), Intent::Unknown);
        assert_eq!(classify("show the history", false), Intent::History);
        assert_eq!(classify("is it valid?", false), Intent::Validate);
        assert_eq!(
            classify("what is the timeout of fetch?", false),
            Intent::Describe {
                step: Some("the timeout of fetch".into())
            }
        );
        assert_eq!(classify("can you add retry to fetch?", false), Intent::Edit);
    }
}
