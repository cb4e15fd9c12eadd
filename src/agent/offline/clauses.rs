//! Splitting a description into what it asks for: clauses separated by
//! commas, "then", "and" and semicolons; "if …"/"only when …" conditions
//! with their branches; "in parallel"/"at the same time" groups.

use super::concepts::concept_for;
use super::text::{Tok, is_stopword};

use super::build::{starts_action, strip_fillers};

/// What a description asks for, before steps are built.
#[derive(Debug)]
pub(super) enum Item {
    Action(Vec<Tok>),
    Parallel(Vec<Vec<Tok>>),
    Conditional {
        condition: Vec<Tok>,
        negate: bool,
        then: Vec<Vec<Tok>>,
        otherwise: Vec<Vec<Tok>>,
    },
    /// "for each endpoint, check its health": one action over many things,
    /// with the things when the request lists them (URLs, paths).
    ForEach {
        noun: String,
        listed: Vec<Tok>,
        /// "in ./inbox": where the things are, when that is said instead.
        location: Vec<Tok>,
        action: Vec<Tok>,
    },
}

/// "for each endpoint", "for every url in …", "for each of A, B and C":
/// where the marker starts, where the phrase ends, and its noun.
fn for_each_marker(toks: &[Tok]) -> Option<(usize, usize, String)> {
    let at = (0..toks.len()).find(|&at| {
        toks[at].is_any(&["for", "across"])
            && toks
                .get(at + 1)
                .is_some_and(|next| next.is_any(&["each", "every", "all"]))
    })?;
    let mut end = at + 2;
    let mut noun = None;
    while let Some(tok) = toks.get(end) {
        let literal = super::build::literals(std::slice::from_ref(tok)).len() == 1;
        if tok.is_punctuation() && noun.is_some() && !toks.get(end + 1).is_some_and(is_literal) {
            break;
        }
        if literal || tok.is_any(&["of", "the", "following", "these", "those", "and", ":", ","]) {
            end += 1;
            continue;
        }
        if noun.is_some() || super::build::starts_action(&toks[end..]) {
            // "for every file in ./inbox": the place comes with the marker.
            if noun.is_some()
                && tok.is_any(&["in", "from", "under", "inside", "at"])
                && toks.get(end + 1).is_some_and(is_literal)
            {
                end += 2;
            }
            break;
        }
        noun = Some(super::text::lemma(&tok.word));
        end += 1;
    }
    let noun = noun.or_else(|| {
        toks[at..end]
            .iter()
            .any(is_literal)
            .then(|| "item".to_string())
    })?;
    Some((at, end, noun))
}

fn is_literal(tok: &Tok) -> bool {
    super::build::literals(std::slice::from_ref(tok)).len() == 1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Sep {
    Start,
    Comma,
    And,
    Then,
}

struct Segment {
    sep: Sep,
    /// The separator tokens before the body (kept when segments merge).
    seps: Vec<Tok>,
    body: Vec<Tok>,
}

fn segments(toks: &[Tok]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut current = Segment {
        sep: Sep::Start,
        seps: Vec::new(),
        body: Vec::new(),
    };
    for tok in toks {
        let boundary = match tok.word.as_str() {
            "," | ";" | "." => Some(Sep::Comma),
            "then" => Some(Sep::Then),
            "and" => Some(Sep::And),
            _ => None,
        };
        match boundary {
            Some(sep) => {
                if !current.body.is_empty() {
                    out.push(std::mem::replace(
                        &mut current,
                        Segment {
                            sep,
                            seps: Vec::new(),
                            body: Vec::new(),
                        },
                    ));
                } else if current.sep != Sep::Start || !out.is_empty() {
                    current.sep = current.sep.max(sep);
                }
                current.seps.push(tok.clone());
            }
            None => current.body.push(tok.clone()),
        }
    }
    if !current.body.is_empty() {
        out.push(current);
    }
    // A part that does not start with an action continues the previous one
    // ("fetch users and orders").
    let mut merged: Vec<Segment> = Vec::new();
    for segment in out {
        // ", retrying up to 4 times": how the step before is run; "… the
        // branches and tags of https://…": a plural noun, not a verb.
        let modifies = super::build::only_modifies(&segment.body) || plural_noun(&segment.body);
        let keeps = merged.is_empty()
            || (!modifies && segment.sep == Sep::Then)
            || (!modifies && starts_action(&segment.body))
            || condition_start(&segment.body).is_some()
            || otherwise_start(&segment.body).is_some()
            || always_start(&segment.body).is_some()
            || parallel_marker(&segment.body).is_some_and(|(at, _)| at == 0);
        match merged.last_mut() {
            Some(previous) if !keeps => {
                previous.body.extend(segment.seps);
                previous.body.extend(segment.body);
            }
            _ => merged.push(segment),
        }
    }
    // "pull out supplier, date, total and VAT": a word that could be a
    // verb with nothing after it but "and" and a noun is one more item of
    // the list before it.
    let mut listed: Vec<Segment> = Vec::new();
    for segment in merged {
        let body = strip_fillers(&segment.body);
        let item = segment.sep == Sep::Comma
            && body.len() >= 3
            && body[1].is("and")
            && !starts_action(&body[2..])
            && condition_start(body).is_none();
        match listed.last_mut() {
            Some(previous) if item => {
                previous.body.extend(segment.seps);
                previous.body.extend(segment.body);
            }
            _ => listed.push(segment),
        }
    }
    listed
}

/// "tags of https://…", "… branches and tags": a segment that starts with
/// a plural noun ending the list before it, not an action.
pub(super) fn plural_noun(toks: &[Tok]) -> bool {
    let toks = strip_fillers(toks);
    let Some(first) = toks.first() else {
        return false;
    };
    let plural = first.word.len() > 3
        && first.word.ends_with('s')
        && !first.word.ends_with("ss")
        && super::text::lemma(&first.word) != first.word;
    plural && toks.get(1).is_none_or(|next| next.is("of"))
}

/// "if", "only if", "when", "unless" … at the start: (words to skip, negate).
fn condition_start(toks: &[Tok]) -> Option<(usize, bool)> {
    let toks = strip_fillers(toks);
    let first = toks.first()?.word.as_str();
    let second = toks.get(1).map(|tok| tok.word.as_str());
    match (first, second) {
        ("only", Some("if" | "when")) | ("in", Some("case")) => Some((2, false)),
        ("as", Some("long")) => Some((3, false)),
        ("if" | "when" | "whenever", _) => Some((1, false)),
        ("unless", _) => Some((1, true)),
        _ => None,
    }
}

fn otherwise_start(toks: &[Tok]) -> Option<usize> {
    let toks = strip_fillers(toks);
    match (
        toks.first().map(|tok| tok.word.as_str()),
        toks.get(1).map(|tok| tok.word.as_str()),
    ) {
        (Some("otherwise" | "else"), _) => Some(1),
        (Some("if"), Some("not")) => Some(2),
        (Some("or"), Some("else")) => Some(2),
        _ => None,
    }
}

/// "in either case post the latency", "either way, log it": an action done
/// whatever a condition before decided. How many words say so.
fn always_start(toks: &[Tok]) -> Option<usize> {
    let toks = strip_fillers(toks);
    [
        "in either case",
        "in any case",
        "in both cases",
        "in all cases",
        "either way",
        "no matter what",
        "whatever happens",
        "regardless",
        "always",
    ]
    .iter()
    .find(|phrase| super::text::find_phrase(toks, phrase) == Some(0))
    .map(|phrase| phrase.split(' ').count())
}

/// Where "in parallel" / "at the same time" / "concurrently" is, and how
/// many words it has.
fn parallel_marker(toks: &[Tok]) -> Option<(usize, usize)> {
    for (phrase, length) in [
        ("in parallel", 2),
        ("at the same time", 4),
        ("concurrently", 1),
        ("simultaneously", 1),
        ("in parallel with", 3),
        ("parallel", 1),
    ] {
        if let Some(at) = super::text::find_phrase(toks, phrase) {
            return Some((at, length));
        }
    }
    // "probe the homepage https://… and the API https://… together": two
    // things named by their values, done at once ("merge them together" is
    // one thing done).
    if super::build::literals(toks).len() >= 2 {
        for (phrase, length) in [("together", 1), ("side by side", 3)] {
            if let Some(at) = super::text::find_phrase(toks, phrase) {
                return Some((at, length));
            }
        }
    }
    None
}

/// A condition in the middle of a clause: "save it only when it is valid".
fn condition_inside(toks: &[Tok]) -> Option<(usize, usize, bool)> {
    for (index, tok) in toks.iter().enumerate().skip(1) {
        let next = toks.get(index + 1).map(|tok| tok.word.as_str());
        // "check when the cert expires", "find out if it is up": what a
        // verb asks about, not a condition.
        let asked = index == 1 || (index == 2 && toks[1].is_any(&["out", "whether"]));
        if asked && tok.is_any(&["when", "if", "whether"]) {
            continue;
        }
        match tok.word.as_str() {
            "only" if matches!(next, Some("if" | "when")) => {
                return Some((index, index + 2, false));
            }
            "if" | "when" | "whenever" => return Some((index, index + 1, false)),
            "unless" => return Some((index, index + 1, true)),
            "in" if next == Some("case") => return Some((index, index + 2, false)),
            _ => {}
        }
    }
    None
}

/// Where an action starts inside a condition that no comma ends ("there
/// are more than 100 errors send an alert" → at "send"). A verb after an
/// article names a thing ("the fetch fails"), not an action.
fn action_inside(condition: &[Tok]) -> Option<usize> {
    (1..condition.len()).find(|&at| {
        !condition[at - 1].is_any(&["the", "a", "an", "this", "that", "its", "their", "to"])
            // "50 records are invalid": a counted noun or a subject, no verb.
            && super::text::number(&condition[at - 1].word).is_none()
            // "are invalid", "is empty": a state, not an action.
            && !condition[at - 1].is_any(&[
                "are", "is", "were", "was", "be", "been", "not", "get", "gets", "they're",
                "it's", "we're", "you're", "that's", "isn't", "aren't", "wasn't", "weren't",
            ])
            && !condition
                .get(at + 1)
                .is_some_and(|next| next.is_any(&["are", "is", "were", "was", "have", "has"]))
            // "the API takes longer than 800 ms": a verb a comparison
            // follows is what the condition says, not an action.
            && !condition.get(at + 1).is_some_and(|next| {
                next.is_any(&[
                    "longer", "shorter", "more", "less", "over", "under", "above", "below",
                    "too", "fewer", "greater", "higher", "lower",
                ])
            })
            // "200 messages waiting": a participle describes, it orders
            // nothing.
            && (condition[at].word.len() <= 5 || !condition[at].word.ends_with("ing"))
            && starts_action(&condition[at..])
            && condition[..at]
                .iter()
                .any(|tok| !tok.is_punctuation() && !is_stopword(&tok.word))
    })
}

/// "the import finishes", "it is done": where the words saying that
/// something ended start. Such a "when" orders steps, it guards nothing.
fn completion(condition: &[Tok]) -> Option<usize> {
    condition.iter().enumerate().position(|(at, tok)| {
        // "over 200 messages": a bound, not an end.
        let bound = tok.is("over")
            && condition
                .get(at + 1)
                .is_some_and(|next| super::text::number(&next.word).is_some());
        !bound
            && tok.is_any(&[
                "finishes",
                "finished",
                "completes",
                "completed",
                "done",
                "ends",
                "ended",
                "over",
            ])
    })
}

/// "when the import finishes, notify the team": the import runs first (as a
/// step of its own unless an earlier step is it), then the actions.
fn sequence(items: &mut Vec<Item>, condition: &[Tok], then: Vec<Vec<Tok>>) {
    let end = completion(condition).unwrap_or(condition.len());
    let subject: Vec<Tok> = condition[..end]
        .iter()
        .filter(|tok| {
            !tok.is_punctuation()
                && !is_stopword(&tok.word)
                && !tok.is_any(&["is", "has", "have", "been", "gets", "got"])
        })
        .cloned()
        .collect();
    let concept = concept_for(&subject).map(|concept| concept.key);
    let earlier = items.iter().any(|item| match item {
        Item::Action(clause) => concept.is_some() && concept_for(clause).map(|c| c.key) == concept,
        _ => false,
    });
    if !subject.is_empty() && !earlier {
        let mut action = subject.clone();
        if !starts_action(&action)
            && let Some(first) = subject.first()
        {
            action.insert(
                0,
                Tok {
                    word: "run".into(),
                    raw: "run".into(),
                    start: first.start,
                    end: first.start,
                },
            );
        }
        items.push(Item::Action(action));
    }
    items.extend(then.into_iter().map(Item::Action));
}

/// Splits a parallel group written as one clause ("fetch users and orders")
/// into clauses sharing the verb.
fn split_members(clause: &[Tok]) -> Vec<Vec<Tok>> {
    let mut members: Vec<Vec<Tok>> = vec![Vec::new()];
    for tok in clause {
        if tok.is_any(&["and", ","]) || tok.is("&") {
            members.push(Vec::new());
        } else {
            members.last_mut().expect("never empty").push(tok.clone());
        }
    }
    members.retain(|member| !strip_fillers(member).is_empty());
    // "check the certificates of example.com, example.org and example.net":
    // a member that is only a value takes the first member's words before
    // its value.
    let lead: Option<Vec<Tok>> = members.first().and_then(|first| {
        let first = strip_fillers(first);
        let last = first.len().checked_sub(1)?;
        (last > 0 && is_literal(&first[last])).then(|| first[..last].to_vec())
    });
    if let Some(lead) = lead {
        for member in members.iter_mut().skip(1) {
            let bare = strip_fillers(member);
            if !bare.is_empty() && bare.iter().all(is_literal) {
                let mut whole = lead.clone();
                whole.extend(bare.iter().cloned());
                *member = whole;
            }
        }
    }
    let verb = members
        .first()
        .and_then(|first| strip_fillers(first).first().cloned());
    for member in members.iter_mut().skip(1) {
        if !starts_action(member)
            && let Some(verb) = &verb
        {
            member.insert(0, verb.clone());
        }
    }
    // "fetch users and orders from URL": the source is shared.
    let preposition = |tok: &Tok| {
        tok.is_any(&[
            "from", "to", "into", "in", "on", "at", "via", "using", "over",
        ])
    };
    if let Some(last) = members.last()
        && let Some(at) = last.iter().skip(1).position(preposition)
    {
        let shared: Vec<Tok> = last[at + 1..].to_vec();
        let count = members.len();
        for member in members.iter_mut().take(count - 1) {
            if !member.iter().skip(1).any(preposition) {
                member.extend(shared.iter().cloned());
            }
        }
    }
    members
}

pub(super) fn items(toks: &[Tok]) -> Vec<Item> {
    items_with(toks, &|_| false)
}

/// The items of a description; `fetches_itself` says whether an installed
/// skill does a clause reading from a web address on its own ("export the
/// beta segment from https://crm…/contacts" is crm-export's, which takes
/// the address), so no fetch is put before it.
pub(super) fn items_with(toks: &[Tok], fetches_itself: &dyn Fn(&[Tok]) -> bool) -> Vec<Item> {
    let segments = segments(toks);
    let mut items = Vec::new();
    let mut index = 0;
    while index < segments.len() {
        let segment = &segments[index];
        let mut body = strip_fillers(&segment.body).to_vec();
        index += 1;
        // "…, and in either case post the latency": done whatever the
        // condition before decided, so a step of its own.
        if let Some(skip) = always_start(&body) {
            body.drain(..skip);
        }
        if let Some((at, end, noun)) = for_each_marker(&body) {
            let mut listed: Vec<Tok> = Vec::new();
            let mut location: Vec<Tok> = Vec::new();
            for (offset, tok) in body[at..end].iter().enumerate() {
                let preposition = offset
                    .checked_sub(1)
                    .map(|before| &body[at + before])
                    .filter(|before| before.is_any(&["in", "from", "under", "inside", "at"]));
                match preposition {
                    Some(preposition) if is_literal(tok) => {
                        location = vec![preposition.clone(), tok.clone()];
                    }
                    _ if is_literal(tok) => listed.push(tok.clone()),
                    _ => {}
                }
            }
            // "check each one's health for each endpoint" (marker last) or
            // "for each endpoint, check its health" (the action follows).
            let mut action: Vec<Tok> = body[..at].to_vec();
            action.extend(body[end..].iter().cloned());
            if strip_fillers(&action).is_empty()
                && let Some(next) = segments.get(index)
            {
                action = next.body.clone();
                index += 1;
            }
            let action: Vec<Tok> = match parallel_marker(&action) {
                Some((at, length)) => {
                    let mut action = action;
                    action.drain(at..at + length);
                    action
                }
                None => action,
            };
            if starts_action(&action) {
                items.push(Item::ForEach {
                    noun,
                    listed,
                    location,
                    action,
                });
                continue;
            }
        }
        if let Some((skip, negate)) = condition_start(&body) {
            let mut condition = body[skip..].to_vec();
            let mut then = Vec::new();
            let mut otherwise = Vec::new();
            // "if there are more than 100 errors send an alert": no comma
            // marks where the condition ends, the first action does.
            if let Some(at) = action_inside(&condition) {
                then.push(condition.split_off(at));
            }
            if !then.is_empty() {
                while let Some(next) = segments.get(index).filter(|next| {
                    next.sep == Sep::And
                        && otherwise_start(&next.body).is_none()
                        && always_start(&next.body).is_none()
                }) {
                    then.push(next.body.clone());
                    index += 1;
                }
            } else if let Some(next) = segments.get(index) {
                then.push(next.body.clone());
                index += 1;
                while let Some(next) = segments.get(index).filter(|next| {
                    next.sep == Sep::And
                        && otherwise_start(&next.body).is_none()
                        && always_start(&next.body).is_none()
                }) {
                    then.push(next.body.clone());
                    index += 1;
                }
            }
            if let Some(next) = segments.get(index)
                && let Some(skip) = otherwise_start(&next.body)
            {
                otherwise.push(strip_fillers(&next.body)[skip..].to_vec());
                index += 1;
            }
            if then.is_empty() {
                // Nothing says what the condition guards: keep the clause
                // as written rather than drop it without a word.
                items.push(Item::Action(body));
                continue;
            }
            if !negate && otherwise.is_empty() && completion(&condition).is_some() {
                sequence(&mut items, &condition, then);
                continue;
            }
            items.push(Item::Conditional {
                condition,
                negate,
                then,
                otherwise,
            });
            continue;
        }
        if let Some((at, length)) = parallel_marker(&body) {
            let mut rest: Vec<Tok> = body.clone();
            rest.drain(at..at + length);
            let mut members: Vec<Vec<Tok>> = Vec::new();
            if rest
                .iter()
                .all(|tok| tok.is_punctuation() || is_stopword(&tok.word))
                || at == 0
            {
                // "in parallel, fetch A and fetch B": the group follows.
                if !rest
                    .iter()
                    .all(|tok| tok.is_punctuation() || is_stopword(&tok.word))
                {
                    members.extend(split_members(&rest));
                }
                while let Some(next) = segments
                    .get(index)
                    .filter(|next| next.sep != Sep::Then || members.is_empty())
                {
                    members.extend(split_members(&next.body));
                    index += 1;
                    if segments
                        .get(index)
                        .is_some_and(|next| next.sep == Sep::Then)
                    {
                        break;
                    }
                }
            } else {
                // "A and B in parallel": the group ends here.
                let concept = concept_for(&rest).map(|concept| concept.key);
                let mut earlier: Vec<Vec<Tok>> = Vec::new();
                let mut back = index - 1;
                while back > 0 {
                    let joined_by = segments[back].sep;
                    let previous = &segments[back - 1];
                    let same_concept =
                        concept_for(&previous.body).map(|concept| concept.key) == concept;
                    if joined_by == Sep::And || (joined_by == Sep::Comma && same_concept) {
                        match items.last() {
                            Some(Item::Action(action))
                                if *action == strip_fillers(&previous.body) =>
                            {
                                items.pop();
                                earlier.insert(0, previous.body.clone());
                                back -= 1;
                            }
                            _ => break,
                        }
                    } else {
                        break;
                    }
                }
                for clause in earlier {
                    members.extend(split_members(&clause));
                }
                members.extend(split_members(&rest));
            }
            match members.len() {
                0 => {}
                1 => items.push(Item::Action(members.remove(0))),
                _ => items.push(Item::Parallel(members)),
            }
            continue;
        }
        if let Some((at, end, negate)) = condition_inside(&body) {
            let action = body[..at].to_vec();
            let condition = body[end..].to_vec();
            if starts_action(&action) && !negate && completion(&condition).is_some() {
                sequence(&mut items, &condition, vec![action]);
                continue;
            }
            if starts_action(&action) && !condition.is_empty() {
                items.push(Item::Conditional {
                    condition,
                    negate,
                    then: vec![action],
                    otherwise: Vec::new(),
                });
                continue;
            }
        }
        // "alert on failures"
        let failure = ["on failure", "on failures", "on error", "on errors"]
            .iter()
            .find_map(|ending| super::text::find_phrase(&body, ending).filter(|at| *at > 0));
        if let Some(at) = failure {
            let word = |word: &str| Tok {
                word: word.into(),
                raw: word.into(),
                start: body[at].start,
                end: body[at].end,
            };
            items.push(Item::Conditional {
                condition: vec![word("it"), word("fails")],
                negate: false,
                then: vec![body[..at].to_vec()],
                otherwise: Vec::new(),
            });
            continue;
        }
        if !body.is_empty() {
            // "validate the records from https://…": the records must be
            // fetched first; the URL is the fetch's, not the validator's.
            if let Some(from) = body.windows(2).position(|pair| {
                pair[0].is("from")
                    && (pair[1].raw.contains("://") || pair[1].raw.starts_with("www."))
            }) && concept_for(&body)
                .is_some_and(|concept| !matches!(concept.key, "fetch" | "monitor" | "read"))
                && !fetches_itself(&body)
            {
                let fetch = Tok {
                    word: "fetch".into(),
                    raw: "fetch".into(),
                    start: body[from].start,
                    end: body[from].start,
                };
                items.push(Item::Action(vec![
                    fetch,
                    body[from].clone(),
                    body[from + 1].clone(),
                ]));
                let mut rest = body.clone();
                rest.drain(from..from + 2);
                items.push(Item::Action(rest));
                continue;
            }
            items.push(Item::Action(body));
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;

    fn shape(text: &str) -> Vec<String> {
        items(&tokenize(text))
            .into_iter()
            .map(|item| match item {
                Item::Action(clause) => clause
                    .iter()
                    .map(|tok| tok.word.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                Item::ForEach {
                    noun,
                    listed,
                    action,
                    ..
                } => format!(
                    "each {noun} [{}] {}",
                    listed
                        .iter()
                        .map(|tok| tok.raw.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    action
                        .iter()
                        .map(|tok| tok.word.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                Item::Parallel(members) => format!(
                    "parallel[{}]",
                    members
                        .iter()
                        .map(|m| m
                            .iter()
                            .map(|tok| tok.word.as_str())
                            .collect::<Vec<_>>()
                            .join(" "))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ),
                Item::Conditional {
                    condition,
                    then,
                    otherwise,
                    negate,
                } => format!(
                    "if{}[{}] then[{}] else[{}]",
                    if negate { " not" } else { "" },
                    condition
                        .iter()
                        .map(|tok| tok.word.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    then.iter()
                        .map(|m| m
                            .iter()
                            .map(|tok| tok.word.as_str())
                            .collect::<Vec<_>>()
                            .join(" "))
                        .collect::<Vec<_>>()
                        .join(" | "),
                    otherwise
                        .iter()
                        .map(|m| m
                            .iter()
                            .map(|tok| tok.word.as_str())
                            .collect::<Vec<_>>()
                            .join(" "))
                        .collect::<Vec<_>>()
                        .join(" | "),
                ),
            })
            .collect()
    }

    #[test]
    fn for_each_names_its_things_and_its_action() {
        assert_eq!(
            shape("for each endpoint, check its health in parallel, then send a report"),
            ["each endpoint [] check its health", "send a report"]
        );
        assert_eq!(
            shape("for each of https://a.io/x and https://b.io/y, fetch it"),
            ["each item [https://a.io/x https://b.io/y] fetch it"]
        );
        assert_eq!(
            shape("for every file in ./inbox, resize it"),
            ["each file [] resize it"]
        );
        // "if there are more than 100 errors send an alert": the action
        // ends the condition even without a comma.
        assert_eq!(
            shape("filter it, and if there are more than 100 errors send an alert"),
            [
                "filter it",
                "if[there are more than 100 errors] then[send an alert] else[]"
            ]
        );
    }

    #[test]
    fn descriptions_split_into_clauses() {
        assert_eq!(
            shape("fetch data from the API, validate it, and save it to the database"),
            [
                "fetch data from the api",
                "validate it",
                "save it to the database"
            ]
        );
        assert_eq!(
            shape("fetch data then validate it and then save it; notify the team"),
            ["fetch data", "validate it", "save it", "notify the team"]
        );
        assert_eq!(
            shape("fetch users and orders from the API"),
            ["fetch users and orders from the api"]
        );
        assert_eq!(
            shape("fetch users and orders in parallel, then merge them"),
            ["parallel[fetch users | fetch orders]", "merge them"]
        );
        assert_eq!(
            shape("fetch users and fetch orders at the same time"),
            ["parallel[fetch users | fetch orders]"]
        );
        assert_eq!(
            shape("validate it, if it is valid then save it, otherwise alert the team"),
            [
                "validate it",
                "if[it is valid] then[save it] else[alert the team]"
            ]
        );
        assert_eq!(
            shape("fetch data and save it to the database only when it is valid"),
            [
                "fetch data",
                "if[it is valid] then[save it to the database] else[]"
            ]
        );
        assert_eq!(
            shape("check the API health and alert on failures"),
            ["check the api health", "if[it fails] then[alert] else[]"]
        );
        // Values listed after the first one share its words, not only its
        // verb.
        assert_eq!(
            shape("ping the status page of shop.io, docs.dev and api.example.net concurrently"),
            [
                "parallel[ping the status page of shop.io | ping the status page of docs.dev | ping the status page of api.example.net]"
            ]
        );
    }
}
