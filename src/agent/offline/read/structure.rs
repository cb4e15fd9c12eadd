//! Structure in words: renaming, parallel groups, reordering, removing and
//! adding steps, skills, inputs, context values and the description.

use crate::core::names::step_id_problem;
use crate::core::skill::Skill;

use super::super::read::{AddPlace, CONTEXT_WORDS, Edit, Place, excluding};
use super::super::refs::content;
use super::super::text::{Tok, find_phrase, has_any, is_stopword, kebab, position_of, rest_raw};

fn new_id_from(toks: &[Tok]) -> Option<String> {
    // "… to flag-for-review, please": the name ends at a mark, and a
    // politeness is no part of it.
    let words: Vec<&Tok> = toks
        .iter()
        .take_while(|tok| !tok.is_punctuation())
        .filter(|tok| {
            !tok.is_any(&[
                "the", "a", "step", "instead", "please", "pls", "plz", "thanks", "thx", "cheers",
            ])
        })
        .collect();
    match words.as_slice() {
        [] => None,
        [single] if step_id_problem(&single.raw).is_none() => Some(single.raw.clone()),
        [single] if step_id_problem(&single.word).is_none() => Some(single.word.clone()),
        // Kept as written so the refusal names what the user typed, never a
        // silently mangled id ("../../etc" is not "etc").
        [single] => Some(single.raw.clone()),
        several => Some(kebab(
            &several
                .iter()
                .map(|tok| tok.word.as_str())
                .collect::<Vec<_>>(),
        )),
    }
}

pub(crate) fn parse_rename(toks: &[Tok]) -> Option<Edit> {
    let start = if let Some(at) = position_of(toks, &["rename", "renaming"]) {
        at + 1
    } else if toks.first().is_some_and(|tok| tok.is("call")) && toks.len() >= 3 {
        // "call the fetch step download (instead)"
        let words: Vec<Tok> = excluding(
            &toks[1..],
            &["instead", "the", "step", "from", "now", "on"],
            &[],
        )
        .into_iter()
        .filter(|tok| !tok.is_punctuation())
        .collect();
        if words.len() < 2 {
            return None;
        }
        let new = new_id_from(&words[words.len() - 1..])?;
        return Some(Edit::Rename {
            from: words[..words.len() - 1].to_vec(),
            to: new,
        });
    } else if let Some(at) = find_phrase(toks, "id of").or_else(|| find_phrase(toks, "name of")) {
        if !toks[..at]
            .iter()
            .any(|tok| tok.is_any(&["change", "set", "update", "make"]))
        {
            return None;
        }
        at + 2
    } else {
        return None;
    };
    let to = toks[start..]
        .iter()
        .rposition(|tok| tok.is_any(&["to", "as", "into"]))
        .map(|offset| start + offset);
    let (from, new) = match to {
        Some(to) => (toks[start..to].to_vec(), new_id_from(&toks[to + 1..])?),
        None => {
            let words: Vec<Tok> = toks[start..]
                .iter()
                .filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word))
                .cloned()
                .collect();
            if words.len() != 2 {
                return None;
            }
            (vec![words[0].clone()], new_id_from(&words[1..])?)
        }
    };
    Some(Edit::Rename { from, to: new })
}

pub(crate) fn parse_parallel(toks: &[Tok]) -> Option<Edit> {
    // "the parallel group", "in the parallel step" name a step; they do
    // not ask for one.
    if toks.windows(2).any(|pair| {
        pair[0].is("parallel") && pair[1].is_any(&["group", "step", "block", "section", "part"])
    }) {
        return None;
    }
    let marked = has_any(
        toks,
        &["in parallel", "at the same time", "at once", "side by side"],
    ) || toks.iter().any(|tok| {
        tok.is_any(&[
            "parallel",
            "concurrently",
            "simultaneously",
            "parallelize",
            "parallelise",
            "concurrent",
        ])
    }) || (toks.iter().any(|tok| tok.is_any(&["run", "execute"]))
        && toks.iter().any(|tok| tok.is("together")));
    if !marked {
        return None;
    }
    const WORDS: &[&str] = &[
        "run",
        "runs",
        "execute",
        "make",
        "in",
        "parallel",
        "at",
        "same",
        "time",
        "once",
        "concurrently",
        "simultaneously",
        "parallelize",
        "parallelise",
        "concurrent",
        "together",
        "group",
        "put",
        "into",
        "let",
        "can",
        "should",
        "both",
        "side",
        "by",
    ];
    Some(Edit::Parallel {
        phrase: excluding(toks, WORDS, &[]),
    })
}

pub(crate) fn parse_description(toks: &[Tok], text: &str) -> Option<Edit> {
    if let Some(at) = position_of(toks, &["description"]) {
        let to = toks[at..]
            .iter()
            .position(|tok| tok.is_any(&["to", "as", ":", "="]))
            .map(|offset| at + offset)?;
        let value = rest_raw(text, toks, to + 1);
        return (!value.is_empty()).then_some(Edit::Description(value));
    }
    let at = find_phrase(toks, "describe the workflow as")
        .map(|at| at + 4)
        .or_else(|| find_phrase(toks, "describe it as").map(|at| at + 3))?;
    let value = rest_raw(text, toks, at);
    (!value.is_empty()).then_some(Edit::Description(value))
}

fn looks_like_skill(tok: &Tok, skills: Option<&[Skill]>) -> bool {
    let word = tok.word.as_str();
    let known = skills.is_none_or(|skills| {
        skills
            .iter()
            .any(|skill| skill.name.eq_ignore_ascii_case(word))
    });
    // `context.backup_url` is a reference, not a skill.
    crate::core::names::check_name(word, "skill").is_ok()
        && !is_stopword(word)
        && (word.contains('-') || word.contains('_') || (known && skills.is_some()))
}

pub(crate) fn parse_skill(toks: &[Tok], skills: Option<&[Skill]>) -> Option<Edit> {
    let skill_word = toks.iter().position(|tok| tok.is_any(&["skill", "skills"]));
    // "replace http-fetch with curl-fetch", "swap X for Y"
    if let Some(verb) = position_of(toks, &["replace", "swap"]) {
        let with = toks[verb..]
            .iter()
            .position(|tok| tok.is_any(&["with", "for", "by"]))
            .map(|offset| verb + offset)?;
        let new = toks[with + 1..]
            .iter()
            .find(|tok| !tok.is_any(&["the", "a", "skill"]) && !tok.is_punctuation())?;
        if !looks_like_skill(new, skills) && skill_word.is_none() {
            return None;
        }
        let old_phrase = excluding(
            &toks[verb + 1..with],
            &["the", "skill", "step", "in", "of"],
            &[],
        );
        let old = match old_phrase.as_slice() {
            [single]
                if single.word.contains('-')
                    || skills.is_some_and(|skills| {
                        skills.iter().any(|skill| skill.name == single.word)
                    }) =>
            {
                Some(single.word.clone())
            }
            _ => None,
        };
        return Some(Edit::SetSkill {
            step: old_phrase,
            skill: new.word.clone(),
            old,
        });
    }
    // "use curl-fetch for the fetch step", "make fetch use curl-fetch"
    if let Some(verb) = position_of(toks, &["use", "uses", "using"]) {
        let mut at = verb + 1;
        while toks
            .get(at)
            .is_some_and(|tok| tok.is_any(&["the", "a", "an", "skill"]))
        {
            at += 1;
        }
        let new = toks.get(at)?;
        let certain =
            looks_like_skill(new, skills) || toks.get(at + 1).is_some_and(|tok| tok.is("skill"));
        if !certain {
            return None;
        }
        let mut rest = at + 1;
        if toks.get(rest).is_some_and(|tok| tok.is("skill")) {
            rest += 1;
        }
        let old = if find_phrase(&toks[rest..], "instead of").is_some() {
            toks.iter()
                .skip(rest)
                .skip_while(|tok| !tok.is("of"))
                .nth(1)
                .map(|tok| tok.word.clone())
        } else {
            None
        };
        let step = match toks.get(rest) {
            Some(tok) if tok.is_any(&["for", "in", "on", "with", "as"]) => excluding(
                &toks[rest + 1..],
                &["the", "skill", "step", "as", "for", "instead", "of"],
                &[],
            ),
            _ => excluding(
                &toks[..verb],
                &[
                    "make", "let", "switch", "change", "should", "to", "have", "set", "the",
                    "step", "can", "must",
                ],
                &[],
            ),
        };
        let step = if old.is_some() && content(&step).is_empty() {
            Vec::new()
        } else {
            step
        };
        return Some(Edit::SetSkill {
            step,
            skill: new.word.clone(),
            old,
        });
    }
    // "change the skill of fetch to curl-fetch", "switch fetch to curl-fetch"
    let verb = position_of(toks, &["switch", "change", "set", "update", "point"])?;
    let to = toks[verb..]
        .iter()
        .rposition(|tok| tok.is("to"))
        .map(|offset| verb + offset)?;
    let mut at = to + 1;
    while toks
        .get(at)
        .is_some_and(|tok| tok.is_any(&["the", "a", "an"]))
    {
        at += 1;
    }
    let new = toks.get(at)?;
    if toks.len() > at + 1
        && !toks[at + 1..]
            .iter()
            .all(|tok| tok.is_punctuation() || tok.is_any(&["skill", "instead"]))
    {
        return None;
    }
    if skill_word.is_none()
        && !(looks_like_skill(new, skills)
            && skills.is_some_and(|skills| skills.iter().any(|skill| skill.name == new.word)))
    {
        return None;
    }
    let step = excluding(
        &toks[verb + 1..to],
        &["the", "skill", "of", "step", "for", "used", "by"],
        &[],
    );
    Some(Edit::SetSkill {
        step,
        skill: new.word.clone(),
        old: None,
    })
}

/// A value that is clearly a reference or a quoted literal, never a name:
/// `context.backup_url`, `fetch.data`, "https://…".
fn looks_like_value(tok: &Tok) -> bool {
    let raw = tok.raw.as_str();
    raw.contains("://")
        || raw.starts_with(['"', '\''])
        || raw
            .split_once('.')
            .is_some_and(|(head, tail)| !head.is_empty() && !tail.is_empty())
}

/// "use context.backup_url as the url of the fetch step", "feed
/// validate.validated into save's data", "pass X as the schema for validate".
/// "make the save step take its data straight from fetch.data", "have
/// validate read its schema from context.other".
fn parse_read_from(toks: &[Tok]) -> Option<Edit> {
    let from = toks.iter().position(|tok| tok.is("from"))?;
    let value = toks.get(from + 1).filter(|tok| looks_like_value(tok))?;
    let its = toks[..from]
        .iter()
        .rposition(|tok| tok.is_any(&["its", "their"]))?;
    let input = toks
        .get(its + 1)
        .filter(|tok| !is_stopword(&tok.word) && its + 1 < from)?;
    let verb = toks[..its].iter().rposition(|tok| {
        tok.is_any(&[
            "take", "takes", "read", "reads", "get", "gets", "pull", "pulls", "load",
        ])
    })?;
    let step = excluding(
        &toks[..verb],
        &["make", "have", "let", "the", "step", "should", "please"],
        &[],
    );
    (!step.is_empty()).then(|| Edit::SetInput {
        step,
        input: input.raw.clone(),
        value: value.raw.clone(),
    })
}

fn parse_rewire(toks: &[Tok]) -> Option<Edit> {
    if let Some(edit) = parse_read_from(toks) {
        return Some(edit);
    }
    let verb = position_of(
        toks,
        &["use", "pass", "feed", "give", "send", "wire", "take"],
    )?;
    let value_at = toks[verb + 1..]
        .iter()
        .position(|tok| !tok.is_any(&["the", "value", "reference"]))
        .map(|offset| verb + 1 + offset)?;
    let value = &toks[value_at];
    if !looks_like_value(value) {
        return None;
    }
    toks.get(value_at + 1)
        .filter(|tok| tok.is_any(&["as", "into", "to", "for"]))?;
    let rest = &toks[value_at + 2..];
    // "… as the url of the fetch step" / "… into save's data"
    let words: Vec<&Tok> = rest
        .iter()
        .filter(|tok| !tok.is_any(&["the", "a", "its", "input", "parameter", "argument", "step"]))
        .collect();
    let (input, step): (&Tok, Vec<Tok>) = match words
        .iter()
        .position(|tok| tok.is_any(&["of", "for", "in", "on"]))
    {
        Some(0) => return None,
        Some(split) => (
            words[split - 1],
            words[split + 1..]
                .iter()
                .map(|tok| (*tok).clone())
                .collect(),
        ),
        // "into save's data" (the tokenizer drops the possessive).
        None => match words.as_slice() {
            [step, input] => (*input, vec![(*step).clone()]),
            _ => return None,
        },
    };
    if step.is_empty() || is_stopword(&input.word) {
        return None;
    }
    Some(Edit::SetInput {
        step,
        input: input.raw.clone(),
        value: value.raw.clone(),
    })
}

pub(crate) fn parse_input(toks: &[Tok], text: &str) -> Option<Edit> {
    if let Some(edit) = parse_rewire(toks) {
        return Some(edit);
    }
    let at = position_of(toks, &["input", "parameter", "argument", "param"])?;
    let verb = position_of(
        toks,
        &[
            "set", "change", "update", "make", "point", "wire", "connect",
        ],
    )?;
    let to = toks[at..]
        .iter()
        .position(|tok| tok.is_any(&["to", "=", "at"]))
        .map(|offset| at + offset)?;
    let before = at
        .checked_sub(1)
        .map(|index| &toks[index])
        .filter(|tok| !is_stopword(&tok.word) && index_after(verb, at));
    let name = before.or_else(|| {
        toks.get(at + 1)
            .filter(|tok| !is_stopword(&tok.word) && at + 1 < to)
    })?;
    let step: Vec<Tok> = toks[verb + 1..to]
        .iter()
        .filter(|tok| {
            tok.start != name.start
                && !tok.is_any(&[
                    "input",
                    "parameter",
                    "argument",
                    "param",
                    "of",
                    "for",
                    "on",
                    "the",
                    "step",
                ])
        })
        .cloned()
        .collect();
    let value = rest_raw(text, toks, to + 1);
    (!value.is_empty()).then(|| Edit::SetInput {
        step,
        input: name.raw.clone(),
        value,
    })
}

fn index_after(verb: usize, at: usize) -> bool {
    at > verb + 1
}

pub(crate) fn parse_reorder(toks: &[Tok]) -> Option<Edit> {
    if toks.iter().any(|tok| {
        tok.is_any(&[
            "add", "insert", "new", "append", "prepend", "include", "parallel", "rename",
        ])
    }) {
        return None;
    }
    // "put a step at the beginning that …": a step not there yet.
    if has_any(
        toks,
        &["a step", "another step", "an extra step", "one more step"],
    ) {
        return None;
    }
    // "swap validate and save", "switch the order of A and B"
    if let Some(verb) = position_of(toks, &["swap", "switch", "exchange", "flip"]) {
        let and = toks[verb..]
            .iter()
            .position(|tok| tok.is_any(&["and", "with", "&"]))
            .map(|offset| verb + offset)?;
        let moved = excluding(
            &toks[verb + 1..and],
            &["the", "order", "of", "places", "positions"],
            &[],
        );
        let other = excluding(
            &toks[and + 1..],
            &["places", "positions", "around", "order"],
            &[],
        );
        return Some(Edit::Reorder {
            moved,
            place: Place::Swap(other),
        });
    }
    const VERBS: &[&str] = &[
        "move", "put", "place", "reorder", "shift", "run", "runs", "come", "comes", "go", "goes",
        "execute", "happen", "happens", "make", "do",
    ];
    let verb = position_of(toks, VERBS)?;
    // "make it run first", "do the pruning before the offsite copy".
    // "make the thumbnails after the upload": "the" names a step there is.
    let definite = toks[verb].is("do")
        || (toks[verb].is("make") && toks.get(verb + 1).is_some_and(|next| next.is("the")));
    let placed = toks.iter().any(|tok| tok.is_any(&["first", "last"]))
        || (definite && toks.iter().any(|tok| tok.is_any(&["before", "after"])));
    if toks[verb].is_any(&["make", "do"]) && !placed {
        return None;
    }
    let moved_range = |end: usize| -> Vec<Tok> {
        if verb == 0
            || toks[..verb]
                .iter()
                .all(|tok| tok.is_any(&["please", "now", "then"]))
        {
            toks[verb + 1..end].to_vec()
        } else {
            toks[..verb].to_vec()
        }
    };
    const FILLER: &[&str] = &[
        "should", "must", "to", "the", "step", "it", "so", "that", "can", "please", "position",
        "one",
    ];
    if let Some(at) = position_of(toks, &["before", "after", "ahead"]) {
        let anchor = excluding(
            &toks[at + 1..],
            &["of", "the", "step", "it", "runs", "run"],
            &[],
        );
        let moved = excluding(&moved_range(at.max(verb + 1)), FILLER, &[]);
        let place = if toks[at].is("after") {
            Place::After(anchor)
        } else {
            Place::Before(anchor)
        };
        return Some(Edit::Reorder { moved, place });
    }
    let edge = |words: &[&str]| position_of(toks, words);
    // "up"/"down" first: in "move the last step up", "last" names the step.
    let (at, place) = if let Some(at) = edge(&["up", "earlier"]) {
        (at, Place::Up)
    } else if let Some(at) = edge(&["down", "later"]) {
        (at, Place::Down)
    } else if let Some(at) = edge(&["start", "beginning", "top", "front", "first"]) {
        (at, Place::Start)
    } else if let Some(at) = edge(&["end", "bottom", "last"]) {
        (at, Place::End)
    } else {
        return None;
    };
    let moved = excluding(
        &moved_range(at.max(verb + 1)),
        &[
            FILLER,
            &["at", "of", "very", "the", "one", "step", "be", "a"],
        ]
        .concat(),
        &[],
    );
    Some(Edit::Reorder { moved, place })
}

pub(crate) fn parse_remove(toks: &[Tok]) -> Option<Edit> {
    let verbs = [
        "remove",
        "delete",
        "drop",
        "eliminate",
        "cut",
        "unset",
        "clear",
        "erase",
        "discard",
    ];
    let start = if let Some(at) = position_of(toks, &verbs) {
        at + 1
    } else if let Some(at) = find_phrase(toks, "get rid of") {
        at + 3
    } else if let Some(at) = find_phrase(toks, "take out") {
        at + 2
    } else if let Some(at) =
        find_phrase(toks, "don't need").or_else(|| find_phrase(toks, "no longer need"))
    {
        at + if toks[at].is("don't") { 2 } else { 3 }
    } else if let Some(at) = toks.windows(2).position(|pair| {
        // "stop emailing the support team": the step that emails them.
        pair[0].is_any(&["stop", "quit"])
            && pair[1].word.len() > 5
            && pair[1].word.ends_with("ing")
            && !pair[1].is_any(&[
                "retrying",
                "trying",
                "running",
                "failing",
                "waiting",
                "executing",
                "working",
                "processing",
                "timing",
            ])
    }) {
        at + 1
    } else {
        return None;
    };
    const NOISE: &[&str] = &[
        "from",
        "workflow",
        "pipeline",
        "entirely",
        "completely",
        "altogether",
        "out",
        "anymore",
        "any",
        "more",
        "please",
        "longer",
    ];
    let mut phrase = excluding(&toks[start..], NOISE, &[]);
    // "we don't need the email step any more, remove it": "it" is the
    // step named before.
    let pronoun_only = phrase
        .iter()
        .filter(|tok| !tok.is_punctuation())
        .all(|tok| tok.is_any(&["it", "that", "this", "them", "the", "step"]));
    if pronoun_only
        && let Some(need) =
            find_phrase(toks, "don't need").or_else(|| find_phrase(toks, "no longer need"))
    {
        let from = need + if toks[need].is("don't") { 2 } else { 3 };
        let end = toks[from..]
            .iter()
            .position(|tok| tok.is(","))
            .map_or(toks.len(), |offset| from + offset);
        phrase = excluding(&toks[from..end], NOISE, &[]);
    }
    Some(Edit::Remove { phrase })
}

/// Where a trailing "to the context", "in the settings" starts: it says
/// where the value goes, it is not part of the value.
fn context_destination(toks: &[Tok]) -> Option<usize> {
    let end = toks
        .iter()
        .rposition(|tok| !tok.is_punctuation())
        .map_or(0, |last| last + 1);
    let last = toks.get(end.checked_sub(1)?)?;
    if !last.is_any(CONTEXT_WORDS) {
        return None;
    }
    let mut at = end - 1;
    while at > 0
        && toks[at - 1].is_any(&[
            "the",
            "workflow",
            "workflow's",
            "its",
            "readonly",
            "read-only",
        ])
    {
        at -= 1;
    }
    (at > 0 && toks[at - 1].is_any(&["to", "in", "into", "under"])).then(|| at - 1)
}

pub(crate) fn parse_set_value(toks: &[Tok], text: &str) -> Option<Edit> {
    let destination = context_destination(toks);
    let toks = &toks[..destination.unwrap_or(toks.len())];
    let verb = position_of(
        toks,
        &[
            "set",
            "change",
            "update",
            "point",
            "configure",
            "make",
            "add",
            "put",
            "use",
            "switch",
            "raise",
            "lower",
            "increase",
            "decrease",
            "reduce",
            "bump",
            "adjust",
        ],
    );
    // "KEY = VALUE", "KEY should be VALUE"
    let separator = toks
        .iter()
        .enumerate()
        .skip(verb.map_or(0, |verb| verb + 1))
        .find(|(index, tok)| {
            tok.is_any(&["to", "=", "at"])
                // "add a batch_size of 500 to the context"
                || (destination.is_some()
                    && tok.is_any(&["of", "as"])
                    && verb.is_some_and(|verb| toks[verb].is_any(&["add", "put", "set"])))
                || (tok.is("be")
                    && *index > 0
                    && toks[index - 1].is_any(&["should", "must", "will"]))
                || (tok.is("with") && toks.get(index + 1).is_some_and(|next| next.is("value")))
        })
        .map(|(index, _)| index)?;
    let value_at = if toks[separator].is("with") {
        separator + 2
    } else {
        separator + 1
    };
    let start = verb.map_or(0, |verb| verb + 1);
    if verb.is_none() && !toks[separator].is_any(&["=", "be"]) {
        return None;
    }
    if verb.is_some_and(|verb| toks[verb].is_any(&["add", "put"]))
        && destination.is_none()
        && !toks.iter().any(|tok| tok.is_any(CONTEXT_WORDS))
        && !toks[separator].is("=")
    {
        return None;
    }
    let phrase: Vec<Tok> = toks[start..separator]
        .iter()
        .filter(|tok| {
            !tok.is_any(&[
                "the", "a", "an", "should", "must", "will", "new", "of", "in", "for", "called",
                "named",
            ])
        })
        .cloned()
        .collect();
    let explicit = destination.is_some() || phrase.iter().any(|tok| tok.is_any(CONTEXT_WORDS));
    let phrase = excluding(&phrase, CONTEXT_WORDS, &[]);
    // "the table should be called events_v2": the name, not "called …".
    let value_at = if toks
        .get(value_at)
        .is_some_and(|tok| tok.is_any(&["called", "named"]))
    {
        value_at + 1
    } else {
        value_at
    };
    let mut value = rest_raw(text, toks, value_at);
    // "… called orders_clean now", "… to 500 please": words after the
    // value that are not part of it.
    const AFTERWORDS: &[&str] = &[
        " from now on",
        " going forward",
        " please",
        " now",
        " instead",
        " too",
        " thanks",
        " thank you",
        " again",
    ];
    // Only after a one-word value: free text ("Open incidents right now")
    // and quoted text are kept whole.
    let quoted = toks
        .get(value_at)
        .is_some_and(|tok| tok.raw.starts_with(['"', '\'', '“']));
    while let Some(cut) = AFTERWORDS.iter().find_map(|suffix| {
        let lower = value.to_lowercase();
        let trimmed = lower.trim_end_matches(['.', '!', ',']);
        (!quoted && trimmed.ends_with(suffix))
            .then(|| trimmed.len() - suffix.len())
            .filter(|cut| !lower[..*cut].trim().contains(' '))
    }) {
        value.truncate(cut);
        value = value.trim_end_matches([',', ' ']).to_string();
    }
    if phrase.is_empty() || value.is_empty() {
        return None;
    }
    Some(Edit::SetValue {
        phrase,
        value,
        explicit,
    })
}

pub(crate) fn parse_add_step(toks: &[Tok]) -> Option<Edit> {
    // "add the api_url to the context" adds a value, never a step.
    if context_destination(toks).is_some() {
        return None;
    }
    const VERBS: &[&str] = &[
        "add",
        "insert",
        "append",
        "prepend",
        "include",
        "introduce",
        "put",
        "stick",
    ];
    let verb = position_of(toks, VERBS);
    // "also email the summary to ops@…", "post it to teams too": one more
    // step, at the end; never a move of the step doing it now.
    let words: Vec<&Tok> = toks.iter().filter(|tok| !tok.is_punctuation()).collect();
    // "also text +1 … alongside the slack post" goes into a group: placed.
    let one_more = (words.first().is_some_and(|tok| tok.is("also"))
        || words.last().is_some_and(|tok| tok.is_any(&["too", "also"])))
        && !toks.iter().any(|tok| {
            tok.is_any(&[
                "alongside",
                "beside",
                "parallel",
                "together",
                "next",
                "concurrently",
            ])
        })
        // "send it to the other channel too": which one is not said, so
        // it is asked, not guessed.
        && !(toks
            .iter()
            .any(|tok| tok.is_any(&["other", "another", "different", "second", "new"]))
            && super::super::build::literals(toks).is_empty());
    let start = match verb {
        Some(verb) => verb + 1,
        None => {
            // "log the response after fetch": an action with a place.
            let first = toks
                .iter()
                .find(|tok| !tok.is_any(&["please", "also", "then"]))?;
            let placed = toks.iter().any(|tok| tok.is_any(&["after", "before"]))
                || has_any(toks, &["at the end", "at the start", "at the beginning"])
                || one_more;
            if !placed
                || !super::super::concepts::is_verb(&first.word)
                || first.is_any(&["move", "run", "execute", "make"])
            {
                return None;
            }
            toks.iter()
                .position(|tok| std::ptr::eq(tok, first))
                .unwrap_or(0)
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
        let edge = |phrases: &[&str]| {
            phrases.iter().find_map(|phrase| {
                find_phrase(rest, phrase)
                    .filter(|at| *at == 0)
                    .map(|_| phrase.split(' ').count())
            })
        };
        if tok.is_any(&["after", "before", "between"]) {
            // The anchor runs until a clause saying what the step does.
            let end = toks[index + 1..]
                .iter()
                .position(|tok| tok.is_any(&["that", "which", "to", "for", "who", "so", ","]))
                .map_or(toks.len(), |offset| index + 1 + offset);
            let anchor: Vec<Tok> = toks[index + 1..end]
                .iter()
                .take_while(|tok| !tok.is("and") || !tok_is_between(toks, index))
                .cloned()
                .collect();
            place = if tok.is("before") {
                AddPlace::Before(anchor)
            } else {
                AddPlace::After(anchor)
            };
            index = end;
            continue;
        }
        if let Some(length) = edge(&[
            "at the very start",
            "at the very beginning",
            "at the very top",
            "at the start",
            "at the beginning",
            "at the top",
            "at the front",
            "as the first step",
            "as the first",
            "to the start",
            "to the beginning",
        ]) {
            place = AddPlace::Start;
            index += length;
            continue;
        }
        if let Some(length) = edge(&[
            "at the very end",
            "at the very bottom",
            "at the end",
            "at the bottom",
            "as the last step",
            "as the last",
            "as a final step",
            "as the final step",
            "to the end",
            "last",
            "finally",
        ]) {
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
        .filter(|tok| {
            !tok.is_any(&[
                "a", "an", "new", "step", "another", "extra", "that", "which", "to", "the",
                "workflow", "pipeline", "in", "of", "it",
            ]) && !tok.is_punctuation()
        })
        .collect();
    if verb.is_some_and(|verb| toks[verb].is("put")) && what.is_empty() {
        return None;
    }
    Some(Edit::AddStep {
        what,
        place,
        // "put the email first" may be about a step that exists.
        explicit: one_more
            || verb.is_some_and(|verb| !toks[verb].is_any(&["put", "place", "stick"])),
        moving: verb.is_some_and(|verb| toks[verb].is_any(&["put", "place", "stick"])),
    })
}

fn tok_is_between(toks: &[Tok], index: usize) -> bool {
    toks[index].is("between")
}

/// "only save the data if it is valid", "skip the save when validation
/// fails", "run notify only when the total is above 1000", "don't save
/// unless it is valid".
pub(crate) fn parse_guard(toks: &[Tok]) -> Option<Edit> {
    let marker =
        (1..toks.len()).find(|&at| toks[at].is_any(&["if", "when", "whenever", "unless"]))?;
    let before = &toks[..marker];
    let skip = before
        .iter()
        .any(|tok| tok.is_any(&["skip", "don't", "dont", "never", "not", "bypass"]));
    let only = before.iter().any(|tok| tok.is("only")) || toks[marker].is("unless") || skip;
    if !only
        || before
            .iter()
            .any(|tok| tok.is_any(&["add", "insert", "new", "retry", "continue"]))
    {
        return None;
    }
    let negate = skip ^ toks[marker].is("unless");
    let phrase = excluding(
        before,
        &[
            "only", "skip", "don't", "dont", "do", "never", "not", "bypass", "run", "runs",
            "execute", "should", "must", "the", "step", "let", "make", "sure",
        ],
        &[],
    );
    let condition: Vec<Tok> = toks[marker + 1..]
        .iter()
        .filter(|tok| !tok.is_punctuation())
        .cloned()
        .collect();
    (!content(&phrase).is_empty() && !condition.is_empty()).then_some(Edit::Guard {
        phrase,
        condition,
        negate,
    })
}

/// "send the email to ceo@example.com instead", "fetch from
/// https://mirror.example.com", "write the archive to ./old/archive.json":
/// one value (an address, URL, path or channel) for a step named around it.
pub(crate) fn parse_retarget(toks: &[Tok]) -> Option<Edit> {
    let found = super::super::build::literals(toks);
    let [(indices, literal)] = found.as_slice() else {
        return None;
    };
    if matches!(literal, super::super::build::Literal::Table(_)) {
        return None;
    }
    // "at the end, email the results to X" adds a step.
    if toks
        .iter()
        .any(|tok| tok.is_any(&["after", "before", "end", "start", "beginning"]))
    {
        return None;
    }
    let verb = toks.first()?;
    let acts = super::super::build::starts_action(toks)
        || verb.is_any(&[
            "send", "deliver", "forward", "point", "use", "write", "go", "switch",
        ])
        // "the summary email should go to cfo@example.com from now on"
        || toks.iter().any(|tok| {
            tok.is_any(&["go", "goes", "sent", "delivered", "points", "addressed"])
        });
    if !acts
        || toks
            .iter()
            .any(|tok| tok.is_any(&["add", "insert", "new", "another", "also"]))
    {
        return None;
    }
    let value = toks[indices[0]].clone();
    let phrase = excluding(
        toks,
        &[
            "instead",
            "to",
            "from",
            "at",
            "into",
            "in",
            "the",
            "now",
            "please",
            "of",
            "on",
            "should",
            "go",
            "goes",
            "be",
            "sent",
            "delivered",
            "onwards",
        ],
        &[(indices[0], indices[0] + 1)],
    );
    Some(Edit::Retarget { phrase, value })
}

/// "bump alert_threshold up by 100", "lower the threshold by 50": a number
/// in the context, changed relative to what it is.
pub(crate) fn parse_adjust_value(toks: &[Tok]) -> Option<Edit> {
    let verb = position_of(
        toks,
        &[
            "raise", "increase", "bump", "lower", "decrease", "reduce", "cut", "drop",
        ],
    )?;
    let by = toks[verb..].iter().position(|tok| tok.is("by"))? + verb;
    let amount = toks
        .get(by + 1)
        .and_then(|tok| super::super::text::number(&tok.word.replace([',', '_'], "")))?;
    let down = toks[verb].is_any(&["lower", "decrease", "reduce", "cut", "drop"])
        || toks[verb..by].iter().any(|tok| tok.is("down"));
    let phrase = excluding(
        &toks[verb + 1..by],
        &[
            "the", "a", "up", "down", "value", "context", "setting", "of",
        ],
        &[],
    );
    if phrase.is_empty()
        || toks
            .iter()
            .any(|tok| tok.is_any(&["timeout", "retries", "attempts"]))
    {
        return None;
    }
    Some(Edit::AdjustValue {
        phrase,
        delta: if down { -amount } else { amount },
    })
}
