//! Remarks: the parts of a request that say why, not what. "the S3 upload
//! keeps timing out on big dumps, give it 10 minutes", "on a clean run the
//! insert takes 10 seconds, so set its timeout to 60", "point the download
//! at https://… (the old one missed weekends)", "retry the upload twice; no
//! need to notify anyone".
//!
//! A clause is a remark when it is a statement (it does not start with a
//! verb), or says no change is needed ("no need to …"), or stands in
//! parentheses without a value, and another clause of the request reads as
//! a change. The change is planned from the other clauses alone; an "it" in
//! them stands for the step the remark speaks of. A clause that starts with
//! a verb is never a remark: one the planner does not understand stays in
//! the request, and the coverage check asks about it.

use crate::core::Workflow;

use super::build::{literals, starts_action};
use super::read::looks_like_edit;
use super::refs::{Found, resolve};
use super::text::{Tok, tokenize};

/// A request read without its remarks.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Reading {
    /// The request proper: what is asked.
    pub request: String,
    /// The remarks, as written.
    pub remarks: Vec<String>,
}

/// Words a statement starts with: what it is about, or when.
const STATEMENT_OPENERS: &[&str] = &[
    "everybody",
    "everyone",
    "i",
    "i'll",
    "i've",
    "i'm",
    "we'll",
    "compared",
    "during",
    "for",
    "it's",
    "its",
    "last",
    "lately",
    "nobody",
    "nothing",
    "on",
    "once",
    "our",
    "since",
    "somebody",
    "someone",
    "that",
    "the",
    "there",
    "these",
    "they",
    "this",
    "those",
    "to",
    "today",
    "we",
    "we're",
    "we've",
    "yesterday",
];

fn is_remark(clause: &[Tok]) -> bool {
    // "for now just make the sync retry three times": when it is asked
    // says nothing about what.
    for lead in [
        "for now just",
        "for now",
        "for the moment",
        "for the time being",
        "in the meantime",
        "meanwhile",
        "right now",
    ] {
        let count = lead.split(' ').count();
        if clause.len() > count
            && clause
                .iter()
                .zip(lead.split(' '))
                .all(|(tok, word)| tok.is(word))
        {
            return is_remark(&clause[count..]);
        }
    }
    let words: Vec<&Tok> = clause.iter().filter(|tok| !tok.is_punctuation()).collect();
    let Some(first) = words.first() else {
        return false;
    };
    // ", so for the PR listing start the backoff at 5 seconds": what a
    // reason leads to is asked.
    if first.is("so") {
        return false;
    }
    // "no need to notify anyone": says what is not wanted.
    if first.is("no") && words.get(1).is_some_and(|next| next.is("need")) {
        return true;
    }
    let modal = words.iter().any(|tok| {
        tok.is_any(&[
            "should", "must", "shall", "needs", "need", "ought", "want", "wants", "like", "please",
        ])
    });
    // "I verified the template myself", "we'll clean up by hand": the
    // speaker says what they did or will do.
    const SPEAKERS: &[&str] = &["i", "we", "i've", "we've", "i'll", "we'll", "i'm", "we're"];
    if first.is_any(SPEAKERS) && !modal {
        return true;
    }
    // "not to redact anyone's work, but …": a disclaimer before the ask.
    if first.is("not") && words.get(1).is_some_and(|next| next.is("to")) {
        return true;
    }
    // "no one reads it at night": a statement about people.
    if first.is("no") && words.get(1).is_some_and(|next| next.is("one")) && !modal {
        return true;
    }
    // "leave the scoring alone": what is not to change.
    if first.is("leave")
        && words
            .last()
            .is_some_and(|last| last.is_any(&["alone", "be", "is"]))
    {
        return true;
    }
    // "to normalize the load on their side, wait …": a purpose before the
    // change, with no value of its own.
    if first.is("to")
        && starts_action(&clause[1..])
        && !words
            .iter()
            .any(|tok| super::text::number(&tok.word).is_some())
    {
        return true;
    }
    // "GitHub rate-limits us", "Shopify throttles them": someone else does
    // something to the speaker.
    if words.len() >= 3 && words[1].word.ends_with('s') && words[2].is_any(&["us", "me", "them"]) {
        return true;
    }
    // "as the report says …", "because it keeps failing": a reason.
    if first.is_any(&["as", "because", "since"]) && words.len() > 1 {
        return true;
    }
    // "before we merge this": a time the speaker means, not a place.
    if first.is_any(&["before", "after", "once", "when", "until"])
        && words.get(1).is_some_and(|next| next.is_any(SPEAKERS))
    {
        return true;
    }
    // "if cache fails, fall back to fetch": a condition is part of what
    // is asked.
    if first.is_any(&["if", "when", "whenever", "unless", "in"]) {
        return false;
    }
    // "slack is enough", "the upload keeps timing out": a subject and
    // what it is or does.
    const STATES: &[&str] = &[
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "keeps",
        "takes",
        "seems",
        "looks",
        "works",
        "does",
        "won't",
        "doesn't",
        "isn't",
        "aren't",
        "struggles",
        "fails",
        "breaks",
        "matters",
    ];
    // "a clean run matters": an article, a subject and what it is. "big
    // dSYMs keep blowing it": a plural subject of two words.
    let stated = words.get(1).is_some_and(|second| second.is_any(STATES))
        || (!starts_action(clause)
            && words
                .get(2)
                .is_some_and(|third| third.is_any(STATES) || third.is("keep")))
        || (first.is_any(&["a", "an"]) && words.iter().skip(2).any(|tok| tok.is_any(STATES)));
    // "uploads to the bucket are slow": a plural subject, not an order.
    let plural_subject = first.word.ends_with('s')
        && !first.word.ends_with("ss")
        && words.iter().skip(1).any(|tok| tok.is_any(STATES));
    if starts_action(clause) && !stated && !plural_subject {
        return false;
    }
    if plural_subject {
        return true;
    }
    // "the slack notice should wait at most 5 seconds": a statement that
    // asks.
    let modal = words.iter().any(|tok| {
        tok.is_any(&[
            "should", "must", "shall", "needs", "need", "ought", "has", "have", "want", "wants",
            "like", "please",
        ])
    });
    (first.is_any(STATEMENT_OPENERS) || stated) && !modal
}

/// "once the upload is done, add a step": a time that places a step is
/// part of the change, not a remark.
fn places_steps(asked: &[String]) -> bool {
    asked.iter().any(|part| {
        tokenize(part).iter().any(|tok| {
            tok.is_any(&[
                "add", "insert", "move", "put", "place", "append", "prepend", "new",
            ])
        })
    })
}

/// Splits the request at commas, semicolons, full stops, colons and "so",
/// and drops the parentheses that hold no value.
fn clauses(text: &str) -> (Vec<String>, Vec<String>) {
    let mut kept = String::new();
    let mut parenthetical = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')') else {
            break;
        };
        let inside = &rest[open + 1..open + close];
        kept.push_str(&rest[..open]);
        if literals(&tokenize(inside)).is_empty() {
            parenthetical.push(inside.trim().to_string());
        } else {
            kept.push_str(&rest[open..=open + close]);
        }
        rest = &rest[open + close + 1..];
    }
    kept.push_str(rest);
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let toks = tokenize(&kept);
    for (index, tok) in toks.iter().enumerate() {
        // "double the timeout? big files keep blowing it", "… now and
        // then - retry the upload": a question mark or a dash ends a clause.
        let ends_sentence = kept[tok.end..].starts_with(['?', '!']) && index + 1 < toks.len();
        let boundary = tok.is_any(&[",", ";", "-", "–", "—", "--"])
            || (tok.is(".") && index + 1 < toks.len())
            || tok.raw.ends_with(':')
            || ends_sentence
            || (tok.is("so") && index > 0);
        if (tok.raw.ends_with(':') && !tok.raw.starts_with(':')) || ends_sentence {
            let end = if ends_sentence { tok.end + 1 } else { tok.end };
            current.push_str(&kept[tok.start..end]);
            current.push(' ');
        }
        if boundary {
            if !current.trim().is_empty() {
                parts.push(current.trim().to_string());
            }
            current.clear();
            // What follows "so" is what the reason leads to: it keeps its
            // "so", which marks it as asked.
            if tok.is("so") && index > 0 {
                current.push_str("so ");
            }
        } else {
            current.push_str(&kept[tok.start..tok.end]);
            current.push(' ');
        }
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_string());
    }
    (parts, parenthetical)
}

/// Whether some clause of the request, remarks aside, asks for a change.
pub(super) fn asks_a_change(text: &str) -> bool {
    let (parts, _) = clauses(text);
    parts.len() > 1
        && parts.iter().any(|part| is_remark(&tokenize(part)))
        && parts.iter().any(|part| {
            !is_remark(&tokenize(part)) && looks_like_edit(part.strip_prefix("so ").unwrap_or(part))
        })
}

/// The request without its remarks; an "it" in what is asked stands for
/// the step a remark names.
pub(super) fn read(text: &str, workflow: &Workflow) -> Reading {
    let unchanged = Reading {
        request: text.to_string(),
        remarks: Vec::new(),
    };
    // "check the grades one more time... no wait, actually just change the
    // term": what comes after taking it back is the request, when it
    // stands on its own (no "it" pointing back at what was taken back).
    if let Some((taken_back, rest)) = taken_back(text)
        && !tokenize(rest)
            .iter()
            .any(|tok| tok.is_any(&["it", "its", "that", "this", "them"]))
        && looks_like_edit(rest)
    {
        let mut reading = read(rest, workflow);
        reading.remarks.insert(0, taken_back.to_string());
        return reading;
    }
    // "let me list what I want: the classification retries 4 times": a
    // preamble before a colon, when what follows names the steps itself.
    if let Some((preamble, rest)) = preamble_split(text, workflow) {
        let mut reading = read(rest, workflow);
        // After "what I want:" come wishes: one that gives a number ("the
        // classification retries 4 times") is asked, not remarked on.
        // So is one that gives a time ("the conversion gets an hour").
        let numbered = |remark: &String| {
            let toks = tokenize(remark);
            toks.iter()
                .any(|tok| super::text::number(&tok.word).is_some())
                || !super::text::durations(&toks).is_empty()
        };
        if reading.remarks.iter().any(numbered) {
            reading = Reading {
                request: rest.to_string(),
                remarks: Vec::new(),
            };
        }
        reading.remarks.insert(0, preamble.to_string());
        return reading;
    }
    let (parts, parenthetical) = clauses(text);
    let mut asked: Vec<String> = Vec::new();
    let mut remarks: Vec<String> = parenthetical;
    // What "it" stands for in each clause asked: the step the clause
    // before it speaks of ("the pdf conversion needs more time, give it 3
    // minutes"), else the step a remark is about.
    let mut referents: Vec<Option<String>> = Vec::new();
    let mut last_subject: Option<String> = None;
    let gives_a_value = |part: &str| {
        let toks = tokenize(part);
        !literals(&toks).is_empty()
            || toks
                .iter()
                .any(|tok| super::text::number(&tok.word).is_some())
    };
    let points_back = |part: &str| {
        tokenize(part)
            .iter()
            .any(|tok| tok.is_any(&["it", "its", "that", "this"]))
    };
    for (index, part) in parts.iter().enumerate() {
        let toks = tokenize(part);
        // "the pdf conversion just needs more time, give it 3 minutes": a
        // need with no value, then the change that meets it, pointing back.
        let need_met_next = !gives_a_value(part)
            && parts
                .get(index + 1)
                .is_some_and(|next| points_back(next) && gives_a_value(next));
        // A statement is a remark even when its words look like a change
        // ("the upload keeps timing out" is no order to time it out); one
        // that gives a value ("the webhook is https://…") is part of what
        // is asked.
        if (is_remark(&toks) && literals(&toks).is_empty()) || need_met_next {
            remarks.push(part.clone());
        } else {
            let part = part.strip_prefix("so ").unwrap_or(part);
            asked.push(part.to_string());
            referents.push(last_subject.clone());
        }
        if let Found::One(id) = resolve(subject(&toks), workflow) {
            last_subject = Some(id);
        }
    }
    if remarks.is_empty() || asked.is_empty() || !asked.iter().any(|part| looks_like_edit(part)) {
        return unchanged;
    }
    // "once the upload is done, add a step": a time said with a step put
    // somewhere places it.
    let timed = remarks.iter().any(|remark| {
        tokenize(remark).first().is_some_and(|tok| {
            tok.is_any(&["once", "when", "after", "before", "until", "as", "since"])
        })
    });
    if timed && places_steps(&asked) {
        return unchanged;
    }
    // With no clause before it, "it" is the step a remark is about, its
    // subject ("on a clean run the postgres insert takes 10 seconds": the
    // insert, not the step called 'clean').
    let named = remarks.iter().find_map(|remark| {
        let toks: Vec<Tok> = tokenize(remark);
        match resolve(subject(&toks), workflow) {
            Found::One(id) => Some(id),
            _ => None,
        }
    });
    // "the transcoding can take up to an hour and a half, set its timeout
    // accordingly": the duration a remark gives is the value meant.
    let said_duration = remarks.iter().rev().find_map(|remark| {
        let toks = tokenize(remark);
        match super::text::durations(&toks).as_slice() {
            [duration] => {
                Some(remark[toks[duration.start].start..toks[duration.end - 1].end].to_string())
            }
            _ => None,
        }
    });
    let request = asked
        .iter()
        .zip(referents)
        .map(
            |(part, referent)| match referent.or_else(|| named.clone()) {
                Some(id) => replace_pronouns(part, &id),
                None => part.clone(),
            },
        )
        .map(|part| match &said_duration {
            Some(duration) => {
                let toks = tokenize(&part);
                match toks.iter().find(|tok| tok.is("accordingly")) {
                    Some(tok) if super::text::durations(&toks).is_empty() => {
                        format!("{}to {duration}{}", &part[..tok.start], &part[tok.end..])
                    }
                    _ => part,
                }
            }
            None => part,
        })
        .collect::<Vec<_>>()
        .join(", ");
    Reading { request, remarks }
}

/// "…, no wait, actually …", "… scratch that, …": the words taken back and
/// what replaces them.
fn taken_back(text: &str) -> Option<(&str, &str)> {
    let lower = text.to_lowercase();
    let (at, phrase) = [
        "no wait",
        "scratch that",
        "on second thought",
        "actually no,",
    ]
    .iter()
    .filter_map(|phrase| lower.find(phrase).map(|at| (at, *phrase)))
    .min_by_key(|(at, _)| *at)?;
    let before = text[..at].trim_end_matches(|c: char| c == ',' || c == '.' || c.is_whitespace());
    let mut rest = text[at + phrase.len()..].trim_start_matches(|c: char| {
        c == ',' || c == '.' || c == '-' || c == ':' || c.is_whitespace()
    });
    for lead in ["actually", "just", "instead"] {
        if rest.to_lowercase().starts_with(lead) {
            rest = rest[lead.len()..].trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        }
    }
    (!before.is_empty() && !rest.is_empty()).then_some((before, rest))
}

/// The subject of a statement: the words before its first verb of state,
/// from the last article ("the postgres insert" in "on a clean run the
/// postgres insert takes 10 seconds").
fn subject(toks: &[Tok]) -> &[Tok] {
    const VERBS: &[&str] = &[
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "keeps",
        "takes",
        "took",
        "seems",
        "looks",
        "works",
        "does",
        "won't",
        "doesn't",
        "isn't",
        "aren't",
        "struggles",
        "fails",
        "failed",
        "breaks",
        "broke",
        "died",
        "crashed",
        "crashes",
        "ran",
        "runs",
        "timed",
        "moved",
        "listens",
        "fills",
        // "the scene downloads can take ages": what is said of a subject
        // may start with a modal or an adverb of how often.
        "can",
        "could",
        "may",
        "might",
        "will",
        "often",
        "sometimes",
        "usually",
        "always",
        "still",
    ];
    let Some(verb) = toks.iter().position(|tok| tok.is_any(VERBS)) else {
        return toks;
    };
    // "the sentiment in the team is that the Intercom export is flaky":
    // what "is that" reports is about the export.
    if toks.get(verb + 1).is_some_and(|next| next.is("that"))
        && toks[verb + 2..].iter().any(|tok| tok.is_any(VERBS))
    {
        return subject(&toks[verb + 2..]);
    }
    let start = toks[..verb]
        .iter()
        .rposition(|tok| tok.is_any(&["the", "our", "my", "this", "that", "its", "a", "an"]))
        .unwrap_or(0);
    // "the report says symbolication took 25 minutes": what is reported is
    // about symbolication, not the report.
    let reported = toks[..verb]
        .iter()
        .rposition(|tok| {
            tok.is_any(&[
                "says",
                "said",
                "shows",
                "showed",
                "mentions",
                "mentioned",
                "notes",
                "noted",
                "claims",
                "states",
                "reports",
                "reported",
                "found",
                "finds",
                "suggests",
            ])
        })
        .map(|at| at + 1);
    let start = reported.map_or(start, |after| start.max(after));
    &toks[start..verb]
}

/// A preamble before a colon ("let me list what I want:", "parse this
/// carefully:") and the request after it, when the part after it names
/// steps of its own and the preamble gives no value.
fn preamble_split<'t>(text: &'t str, workflow: &Workflow) -> Option<(&'t str, &'t str)> {
    let at = text.find(": ")?;
    let (head, tail) = (&text[..at], text[at + 1..].trim());
    let head_toks = tokenize(head);
    if !literals(&head_toks).is_empty()
        || head_toks
            .iter()
            .any(|tok| super::text::number(&tok.word).is_some())
        || !looks_like_edit(tail)
    {
        return None;
    }
    (resolve(&tokenize(tail), workflow) != Found::Nothing).then_some((head, tail))
}

/// "give it 10 minutes" → "give upload 10 minutes"; "give that check 40
/// seconds" → "give deploy-status 40 seconds".
fn replace_pronouns(text: &str, id: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let toks = tokenize(text);
    for (index, tok) in toks.iter().enumerate() {
        // "that check", "this one": the demonstrative and its noun.
        if tok.is_any(&["that", "this"])
            && let Some(noun) = toks.get(index + 1)
            && noun.is_any(&[
                "one", "step", "check", "job", "part", "thing", "task", "call", "stage",
            ])
        {
            out.push_str(&text[last..tok.start]);
            out.push_str(id);
            last = noun.end;
            continue;
        }
        if tok.start < last {
            continue;
        }
        if tok.is_any(&["it", "its", "it's"]) && !tok.raw.contains('\'') {
            out.push_str(&text[last..tok.start]);
            out.push_str(id);
            if tok.is("its") {
                out.push_str("'s");
            }
            last = tok.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow() -> Workflow {
        Workflow::from_value(serde_json::json!({"name": "backup", "steps": [
            {"id": "dump", "type": "skill", "skill": "pg-dump", "description": "Dump the database", "outputs": ["file"]},
            {"id": "upload", "type": "skill", "skill": "s3-upload", "description": "Upload the dump to S3",
             "inputs": {"file": "dump.file"}}]}))
        .expect("workflow")
    }

    #[test]
    fn remarks_are_set_apart_and_name_what_it_means() {
        let reading = read(
            "the S3 upload keeps timing out on big dumps, give it a 10 minute timeout",
            &workflow(),
        );
        assert_eq!(reading.request, "give upload a 10 minute timeout");
        assert_eq!(reading.remarks.len(), 1);
        let reading = read(
            "retry the upload twice; no need to notify anyone about the retries",
            &workflow(),
        );
        assert_eq!(reading.request, "retry the upload twice");
        // Statements about people, purposes, what others do to us, what
        // is to stay as it is.
        for (text, asked) in [
            (
                "drop the upload, nobody looks at that bucket anymore",
                "drop the upload",
            ),
            (
                "To spare their API, wait five seconds before the first retry of the upload.",
                "wait five seconds before the first retry of the upload.",
            ),
            (
                "GitHub rate-limits us, so retry the upload 3 times",
                "retry the upload 3 times",
            ),
            (
                "S3 throttles us, so retry the upload 3 times",
                "retry the upload 3 times",
            ),
            (
                "Leave the dump alone; the upload just needs ten minutes.",
                "the upload just needs ten minutes.",
            ),
            (
                "double the upload timeout? big dumps keep blowing it",
                "double the upload timeout?",
            ),
            (
                "the uploads fail now and then - retry the upload 4 times",
                "retry the upload 4 times",
            ),
        ] {
            let reading = read(text, &workflow());
            assert_eq!(reading.request.replace(" .", "."), asked, "{text}");
        }
        // A clause that starts with a verb is asked, understood or not.
        let reading = read("retry the upload twice, and make it sparkle", &workflow());
        assert!(reading.remarks.is_empty(), "{reading:?}");
    }

    #[test]
    fn it_means_the_step_of_the_clause_before() {
        // Not the step of the first remark: the one the need speaks of.
        let reading = read(
            "the dump is fine; the upload just needs more time, give it 5 minutes",
            &workflow(),
        );
        assert_eq!(reading.request, "give upload 5 minutes");
        let reading = read(
            "the dump is sometimes slow to finish, give that step 90 seconds",
            &workflow(),
        );
        assert_eq!(reading.request, "give dump 90 seconds");
    }

    #[test]
    fn accordingly_takes_the_duration_a_remark_gives() {
        let reading = read(
            "the upload can take up to twenty minutes, set its timeout accordingly",
            &workflow(),
        );
        assert_eq!(reading.request, "set upload's timeout to twenty minutes");
    }

    #[test]
    fn a_preamble_before_a_colon_is_set_apart_when_the_rest_names_steps() {
        let reading = read(
            "let me dump my wishes: the upload retries 3 times",
            &workflow(),
        );
        assert_eq!(reading.request, "the upload retries 3 times");
        // The part before the colon is the step when the rest names none.
        let reading = read("upload: retry 3 times", &workflow());
        assert_eq!(reading.request, "upload: retry 3 times");
    }
}
