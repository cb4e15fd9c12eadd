//! Typos: a word the planner does not know, one or two keystrokes away from
//! exactly one word it does know (its vocabulary, the workflow's step ids,
//! skills and context keys), is read as that word, and the summary says so.
//! "retyr" → "retry", "verison" → "version", "paralell" → "parallel".

use std::collections::BTreeSet;

use crate::core::vocabulary as vocab;

use super::concepts::CONCEPTS;
use super::text::{STOPWORDS, number, tokenize};

/// A word read as another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Correction {
    pub written: String,
    pub read: String,
}

/// Every word the planner knows, plus `extra` (ids, skill names, keys and
/// their parts).
fn known_words(extra: &[String]) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = BTreeSet::new();
    let lists: &[&[&str]] = &[
        vocab::FILLERS,
        vocab::CHANGE,
        vocab::RETRY,
        vocab::NO_RETRY,
        vocab::TIMEOUT,
        vocab::CONTINUE,
        vocab::STOP,
        vocab::FALLBACK,
        vocab::ADD_STEP,
        vocab::REMOVE_STEP,
        vocab::RENAME,
        vocab::REORDER,
        vocab::PARALLEL,
        vocab::VALUE,
        vocab::INPUT,
        vocab::CONDITION,
        vocab::CONTAINERS,
        vocab::POSITIONS,
        vocab::RELATIONS,
        vocab::EVERY,
        vocab::PAYLOAD,
        vocab::CREATE,
        vocab::SCHEDULE,
        vocab::GENERIC_VERBS,
        vocab::VAGUE_VERBS,
        vocab::HISTORY,
        vocab::SKILL,
        vocab::DESCRIPTION,
        vocab::FAMILY_WORDS,
        vocab::UNITS,
        vocab::COMMON,
        STOPWORDS,
    ];
    for list in lists {
        known.extend(list.iter().map(|word| word.to_string()));
    }
    for group in vocab::NOUN_GROUPS {
        known.extend(group.iter().map(|word| word.to_string()));
    }
    for (_, members) in vocab::TECHNOLOGIES {
        known.extend(members.iter().map(|word| word.to_string()));
    }
    for (word, _) in vocab::NUMBER_WORDS {
        known.insert(word.to_string());
    }
    for concept in CONCEPTS {
        known.extend(concept.verbs.iter().map(|word| word.to_string()));
        known.extend(concept.nouns.iter().map(|word| word.to_string()));
    }
    for name in extra {
        let lower = name.to_lowercase();
        known.extend(
            lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|part| part.len() >= 3)
                .map(str::to_string),
        );
        known.insert(lower);
    }
    known
}

/// Damerau–Levenshtein distance (a swap of two neighbours counts once),
/// stopping early past `limit`.
fn distance(left: &str, right: &str, limit: usize) -> usize {
    let a: Vec<char> = left.chars().collect();
    let b: Vec<char> = right.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// Whether two words differ by two neighbouring letters swapped.
fn swapped(left: &str, right: &str) -> bool {
    let a: Vec<char> = left.chars().collect();
    let b: Vec<char> = right.chars().collect();
    if a.len() != b.len() {
        return false;
    }
    let differ: Vec<usize> = (0..a.len()).filter(|&at| a[at] != b[at]).collect();
    matches!(differ.as_slice(), [first, second] if *second == first + 1 && a[*first] == b[*second] && a[*second] == b[*first])
}

/// Endings that make another form of a word.
const INFLECTIONS: &[&str] = &["d", "ed", "er", "ers", "es", "ing", "s"];

/// The one known word a typo stands for, if exactly one is closest.
fn correct(word: &str, known: &BTreeSet<String>) -> Option<String> {
    let length = word.chars().count();
    // "teh", "adn": a little word with two letters swapped.
    if length == 3 && !known.contains(word) && word.chars().all(|c| c.is_ascii_alphabetic()) {
        let little: Vec<&&str> = STOPWORDS
            .iter()
            .filter(|stopword| stopword.len() == 3 && swapped(word, stopword))
            .collect();
        if let [one] = little.as_slice() {
            return Some(one.to_string());
        }
    }
    if length < 4
        || known.contains(word)
        || !word.chars().all(|c| c.is_ascii_alphabetic())
        || number(word).is_some()
    {
        return None;
    }
    // A known verb done again ("retrain", "reupload", "rescan") is no
    // typo of another word ("retrying").
    if let Some(rest) = word.strip_prefix("re")
        && rest.len() >= 3
        && (known.contains(rest) || super::concepts::is_verb(rest))
    {
        return None;
    }
    // Inflections of a known word are no typos ("formatting", "retried"),
    // but a word cut short is ("backof" is no form of "back").
    let stem = super::text::stem(word);
    // A stem of three letters says little ("verion" and "very" both stem
    // to "ver"): the word must then start with the known word.
    if known.iter().any(|known| {
        (super::text::stem(known) == stem && (stem.len() >= 4 || word.starts_with(known.as_str())))
            || word
                .strip_prefix(known.as_str())
                .is_some_and(|ending| known.len() >= 4 && INFLECTIONS.contains(&ending))
    }) {
        return None;
    }
    let limit = if length >= 7 { 2 } else { 1 };
    let first = word.chars().next();
    let mut best: Option<(usize, Vec<&String>)> = None;
    for candidate in known {
        // A typo keeps its first letter; a short word is corrected only
        // for a dropped letter ("chek"), never into a little word ("died"
        // is not "did").
        // Only a letter dropped ("chek"), two swapped ("retyr") or, in a
        // long word, one mistyped ("verison"): a shorter known word is
        // another word ("users" is not "uses", "analytics" not "analysis").
        if candidate.chars().next() != first
            || candidate.len() < 4
            || candidate.len() < word.len()
            || STOPWORDS.contains(&candidate.as_str())
        {
            continue;
        }
        let found = distance(word, candidate, limit);
        if found > limit {
            continue;
        }
        let substitution = candidate.len() == word.len() && !swapped(word, candidate);
        if substitution && length < 7 {
            continue;
        }
        // A four-letter word is read as a verb the planner acts on ("chek"),
        // never as a noun ("site" is no "suite").
        if length == 4 && !super::concepts::is_verb(candidate) {
            continue;
        }
        match &mut best {
            Some((top, list)) if found == *top => list.push(candidate),
            Some((top, _)) if found > *top => {}
            _ => best = Some((found, vec![candidate])),
        }
    }
    match best {
        Some((_, list)) if list.len() == 1 => Some(list[0].clone()),
        _ => None,
    }
}

/// The request with its typos read as the words meant, and what was
/// corrected. `extra` holds the names the workflow and skills bring.
pub(super) fn corrected(text: &str, extra: &[String]) -> (String, Vec<Correction>) {
    let known = known_words(extra);
    let mut out = String::with_capacity(text.len());
    let mut corrections = Vec::new();
    let mut last = 0;
    let toks = tokenize(text);
    // A name being given ("rename classify to categorize", "call it
    // nightly-sync") is the user's to choose, never a typo.
    let naming = toks
        .iter()
        .any(|tok| tok.is_any(&["rename", "call", "called", "name", "named"]));
    for (index, tok) in toks.iter().enumerate() {
        let named_here = naming
            && index
                .checked_sub(1)
                .is_some_and(|before| toks[before].is_any(&["to", "as", "called", "named", "it"]));
        if named_here {
            continue;
        }
        if let Some(read) = correct(&tok.word, &known) {
            out.push_str(&text[last..tok.start]);
            out.push_str(&read);
            last = tok.end;
            let correction = Correction {
                written: tok.raw.clone(),
                read,
            };
            if !corrections.contains(&correction) {
                corrections.push(correction);
            }
        }
    }
    out.push_str(&text[last..]);
    (out, corrections)
}

/// "(I read 'retyr' as 'retry'.)"
pub(super) fn note(corrections: &[Correction]) -> Option<String> {
    if corrections.is_empty() {
        return None;
    }
    let pairs: Vec<String> = corrections
        .iter()
        .map(|correction| format!("'{}' as '{}'", correction.written, correction.read))
        .collect();
    Some(format!("(I read {}.)", pairs.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_read_as_the_one_word_they_are_near() {
        let (text, corrections) = corrected("add retyr with linear backof to fetch", &[]);
        assert_eq!(text, "add retry with linear backoff to fetch");
        assert_eq!(corrections.len(), 2);
        let (text, _) = corrected("rollback to verison 3", &[]);
        assert_eq!(text, "rollback to version 3");
        let (text, _) = corrected("roll back to verion 3 please", &[]);
        assert_eq!(text, "roll back to version 3 please");
        // A known verb done again is no typo ("retrain" is not "retrying").
        let (text, corrections) = corrected("retrain the fraud model", &[]);
        assert_eq!(text, "retrain the fraud model");
        assert!(corrections.is_empty());
        // "minimum" is a word, not a mistyped "maximum".
        let (text, _) = corrected("lower the minimum score to 65", &[]);
        assert_eq!(text, "lower the minimum score to 65");
        let (text, _) = corrected(
            "do the checksum and the upload in paralell",
            &["checksum".into()],
        );
        assert_eq!(text, "do the checksum and the upload in parallel");
        // Known words, inflections and values stay as written.
        let (text, corrections) = corrected("retried the uploads to https://x.example.com", &[]);
        assert_eq!(text, "retried the uploads to https://x.example.com");
        assert!(corrections.is_empty());
        assert_eq!(distance("verison", "version", 2), 1);
    }
}
