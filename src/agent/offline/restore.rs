//! Undoing one change and keeping the rest: "bring the prune step back",
//! "put the table name back the way it was, keep everything else", "undo
//! the session gap change and the retry on the load". The words name the
//! changes (by the version descriptions in the history); each is reverted
//! on the current workflow the way `git revert` does it, as a three-way
//! merge of the version before the change into the head, based on the
//! version the change made. What a later change touched again is a
//! conflict: said, never guessed.

use std::collections::BTreeMap;

use crate::core::Workflow;
use crate::core::diff::modifications_between;
use crate::core::merge::merge;
use crate::core::modification::Modification;
use crate::core::vocabulary as vocab;

use super::coverage::describes_change;
use super::text::{Tok, is_stopword, quoted_list};

/// What to do about a request to undo particular changes.
#[derive(Debug)]
pub(super) enum Restore {
    /// These versions' workflows are needed first.
    Read(Vec<u64>),
    /// The named changes are the latest ones: go back to this version.
    RollbackTo(u64),
    Propose {
        modifications: Vec<Modification>,
        summary: String,
    },
    Say(String),
    /// The words name no change in the history: what to say about it.
    NotNamed(String),
}

/// Words that say how to undo, not what: the thing undone is named by the
/// others ("put the table name back the way it was, keep everything else").
const HOW: &[&str] = &[
    "mistake",
    "wrong",
    "bad",
    "broken",
    "forget",
    "scrap",
    "discard",
    "ditch",
    "drop",
    "cancel",
    "old",
    "former",
    "originally",
    "bring",
    "put",
    "get",
    "way",
    "was",
    "were",
    "it",
    "keep",
    "everything",
    "else",
    "rest",
    "other",
    "others",
    "as",
    "like",
    "name",
    "value",
    "setting",
    "settings",
    "step",
    "steps",
    "thing",
    "alone",
    "again",
    "made",
    "did",
    "added",
    "set",
    "changed",
    "removed",
    "deleted",
    // "I didn't mean to change the project", "I miss the log line".
    "didn't",
    "mean",
    "meant",
    "intend",
    "intended",
    "miss",
    "how",
    "what",
];

/// The words of the request that name what to undo.
pub(super) fn named_words(toks: &[Tok]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    // "… but keep the new table": what is kept is not undone.
    let mut kept = false;
    for tok in toks {
        let word = tok.word.as_str();
        if tok.is_punctuation() {
            kept = false;
            continue;
        }
        if tok.is_any(&[
            "keep",
            "keeping",
            "leave",
            "leaving",
            "except",
            "excluding",
            "not",
            "without",
        ]) {
            kept = true;
        }
        if kept
            || super::text::count(word).is_some()
            || is_stopword(word)
            || vocab::FILLERS.contains(&word)
            || vocab::HISTORY.contains(&word)
            || vocab::CHANGE.contains(&word)
            || HOW.contains(&word)
            || words.iter().any(|known| known == word)
        {
            continue;
        }
        words.push(word.to_string());
    }
    words
}

/// Plans undoing the changes the words name. `history` is every version
/// with its description; `versions` the workflows read so far by version.
pub(super) fn plan(
    words: &[String],
    bringing_back: bool,
    history: &[(u64, String)],
    head: &Workflow,
    versions: &BTreeMap<u64, Workflow>,
) -> Restore {
    let latest = history
        .iter()
        .map(|(version, _)| *version)
        .max()
        .unwrap_or(1);
    // Each word names the latest change whose description speaks of it.
    let mut chosen: Vec<u64> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    let latest_saying = |check: &dyn Fn(&str) -> bool| {
        history
            .iter()
            .filter(|(version, description)| *version > 1 && check(description))
            .map(|(version, _)| *version)
            .max()
    };
    // "bring the tracking emails back": a step the change removed is named
    // by what it was in the version before the change.
    let latest_naming_before = |word: &str| {
        history
            .iter()
            .filter(|(version, description)| {
                *version > 1
                    && versions
                        .get(&(version - 1))
                        .is_some_and(|before| describes_change(word, description, Some(before)))
            })
            .map(|(version, _)| *version)
            .max()
    };
    // A description that says the word ("set context.table = …") names a
    // change; a word that only names a step the change touched ("the
    // shopify fetch") says where the change is, and picks no change of its
    // own when another word names it ("the timeout change on the shopify
    // fetch" is the timeout change, not the later retry on that step).
    let names_a_step = |word: &str| {
        let tok = Tok {
            word: word.to_string(),
            raw: word.to_string(),
            start: 0,
            end: 0,
        };
        crate::core::tree::walk(head)
            .iter()
            .any(|visited| super::refs::word_names_step(&tok, visited.step) > 0)
    };
    let (places, changes): (Vec<&String>, Vec<&String>) =
        words.iter().partition(|word| names_a_step(word));
    for word in words {
        let said = |description: &str| describes_change(word, description, None);
        let in_place = |description: &str| {
            places
                .iter()
                .all(|place| describes_change(place, description, Some(head)))
        };
        let found = (if changes.is_empty() {
            latest_saying(&said).or_else(|| {
                latest_saying(&|description| describes_change(word, description, Some(head)))
            })
        } else if places.contains(&word) {
            // Where the change is: known, so no word is left unknown.
            if latest_saying(&|description| describes_change(word, description, Some(head)))
                .is_some()
            {
                continue;
            }
            None
        } else {
            latest_saying(&|description| said(description) && in_place(description))
                .or_else(|| latest_saying(&said))
        })
        .or_else(|| latest_naming_before(word));
        match found {
            Some(version) => {
                if !chosen.contains(&version) {
                    chosen.push(version);
                }
            }
            None => unknown.push(word),
        }
    }
    // Words no description names may name a step a change removed: read
    // the versions before the changes (once) and look there.
    let unread_before: Vec<u64> = history
        .iter()
        .map(|(version, _)| *version)
        .filter(|version| *version > 1 && !versions.contains_key(&(version - 1)))
        .map(|version| version - 1)
        .collect();
    if !unknown.is_empty() && !unread_before.is_empty() {
        return Restore::Read(unread_before);
    }
    if !unknown.is_empty() || chosen.is_empty() {
        let shown: Vec<String> = unknown.iter().map(|word| word.to_string()).collect();
        return Restore::NotNamed(format!(
            "No change in the history of '{}' speaks of {}, so I changed nothing. `qwf history {}` lists the versions; say \"go back to vN\", or name the change by what it changed.",
            head.name,
            if shown.is_empty() {
                "what you named".to_string()
            } else {
                quoted_list(&shown, "or")
            },
            head.name
        ));
    }
    chosen.sort_unstable_by(|a, b| b.cmp(a));
    // The latest changes, and only they: a plain rollback says it best.
    let newest_first: Vec<u64> = (0..chosen.len() as u64).map(|back| latest - back).collect();
    if chosen == newest_first {
        return Restore::RollbackTo(latest - chosen.len() as u64);
    }
    let missing: Vec<u64> = chosen
        .iter()
        .flat_map(|version| [*version, version - 1])
        .filter(|version| !versions.contains_key(version))
        .collect::<std::collections::BTreeSet<u64>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        return Restore::Read(missing);
    }
    let mut result = head.clone();
    for version in &chosen {
        let (Some(made), Some(before)) = (versions.get(version), versions.get(&(version - 1)))
        else {
            return Restore::Read(vec![*version, version - 1]);
        };
        match merge(made, &result, before) {
            Ok(merged) => result = merged,
            Err(conflicts) => {
                let what: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
                return Restore::Say(format!(
                    "The change of v{version} cannot be undone alone: a later change touched the same thing ({}). Nothing changed. Say \"go back to v{}\" to return to the version before it (later changes go too), or make the change you want directly.",
                    what.join("; "),
                    version - 1
                ));
            }
        }
    }
    let listed = |items: &[String]| match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let described: Vec<String> = chosen
        .iter()
        .rev()
        .filter_map(|version| {
            history
                .iter()
                .find(|(known, _)| known == version)
                .map(|(_, description)| format!("v{version} ({description})"))
        })
        .collect();
    // "bring the retry back" when the change added it: it is there; going
    // back would remove it.
    let removes = |modification: &Modification| match modification {
        Modification::RemoveStep { .. } | Modification::RemoveContext { .. } => true,
        Modification::ModifyStep { changes, .. } => changes
            .as_object()
            .is_some_and(|map| map.values().any(serde_json::Value::is_null)),
        _ => false,
    };
    match modifications_between(head, &result) {
        Ok(modifications) if bringing_back && modifications.iter().all(removes) => {
            Restore::Say(format!(
                "What {} made is still there, and bringing back what came before would remove it; nothing changed. Say \"undo …\" to remove it, or say what is missing.",
                listed(&described)
            ))
        }
        Ok(modifications) if modifications.is_empty() => Restore::Say(format!(
            "What {} changed is already undone in the current version; nothing changed.",
            listed(&described)
        )),
        Ok(modifications) => Restore::Propose {
            modifications,
            summary: format!(
                "Undid the change of {}, keeping every later change",
                listed(&described)
            ),
        },
        Err(unrepresentable) => Restore::Say(format!(
            "Undoing {} would change {}, which a modification cannot do; nothing changed. Say \"go back to v{}\" instead.",
            listed(&described),
            unrepresentable.field,
            chosen.last().map_or(1, |version| version - 1)
        )),
    }
}
