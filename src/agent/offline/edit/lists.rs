//! Items of a list value: "add shipping to the labels", "remove billing
//! from the labels", "also include eu-west-1 in the regions". A context
//! value that is a list gains or loses the items named; the list is named
//! by its key's words.

use serde_json::Value;

use crate::core::Modification;

use super::super::text::{Tok, is_stopword, quoted_list, same_word};
use super::{EditContext, Plan, Resolved};

const ADDING: &[&str] = &["add", "include", "append", "also"];
const REMOVING: &[&str] = &["remove", "drop", "delete", "exclude"];

impl EditContext<'_> {
    /// The list change a request asks for, when it names a list value.
    pub(super) fn list_change(&self, toks: &[Tok]) -> Option<Result<Resolved, Plan>> {
        let context = &self.workflow.context.readonly;
        let lists: Vec<(&String, &Vec<Value>)> = context
            .iter()
            .filter_map(|(key, value)| value.as_array().map(|items| (key, items)))
            .filter(|(_, items)| items.iter().all(Value::is_string))
            .collect();
        if lists.is_empty() {
            return None;
        }
        let verb = toks
            .iter()
            .position(|tok| tok.is_any(ADDING) || tok.is_any(REMOVING))?;
        let adding = toks[verb].is_any(ADDING);
        let preposition = toks[verb + 1..]
            .iter()
            .rposition(|tok| tok.is_any(&["to", "in", "into", "from", "on"]))
            .map(|offset| verb + 1 + offset)?;
        // The list: every word after the preposition names its key.
        let named: Vec<&Tok> = toks[preposition + 1..]
            .iter()
            .filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word))
            .filter(|tok| !tok.is_any(&["list", "too", "please", "now"]))
            .collect();
        if named.is_empty() {
            return None;
        }
        // "the ticket labels": the last word names the list, the words
        // before it may say whose.
        let matching: Vec<&(&String, &Vec<Value>)> = lists
            .iter()
            .filter(|(key, _)| {
                named.last().is_some_and(|tok| {
                    key.split(['_', '-'])
                        .any(|part| same_word(&tok.word, &part.to_lowercase()))
                })
            })
            .collect();
        let [(key, items)] = matching.as_slice() else {
            return None;
        };
        let written: Vec<String> = toks[verb + 1..preposition]
            .iter()
            .filter(|tok| !tok.is_punctuation() && !tok.is_any(&["the", "a", "an", "and", "also"]))
            .map(|tok| tok.raw.clone())
            .collect();
        if written.is_empty() {
            return Some(Err(Plan::Ask(format!(
                "What should I {} '{key}' ({})?",
                if adding { "add to" } else { "remove from" },
                shown(items)
            ))));
        }
        let mut next: Vec<Value> = (*items).clone();
        let mut changed: Vec<String> = Vec::new();
        for item in &written {
            let present = next.iter().position(|known| {
                known
                    .as_str()
                    .is_some_and(|text| text.eq_ignore_ascii_case(item))
            });
            match (adding, present) {
                (true, None) => {
                    next.push(Value::String(item.clone()));
                    changed.push(item.clone());
                }
                (false, Some(at)) => {
                    next.remove(at);
                    changed.push(item.clone());
                }
                (true, Some(_)) => {}
                (false, None) => {
                    return Some(Err(Plan::Say(format!(
                        "'{key}' has no '{item}' ({}); nothing changed.",
                        shown(items)
                    ))));
                }
            }
        }
        if changed.is_empty() {
            return Some(Err(Plan::Say(format!(
                "'{key}' already has {}; nothing changed.",
                quoted_list(&written, "and")
            ))));
        }
        let summary = format!(
            "{} {} {} context list '{key}'",
            if adding { "Added" } else { "Removed" },
            quoted_list(&changed, "and"),
            if adding { "to" } else { "from" }
        );
        Some(Ok(Resolved::new(
            vec![Modification::SetContext {
                key: (*key).clone(),
                value: Value::Array(next),
            }],
            summary,
            Vec::new(),
        )))
    }
}

fn shown(items: &[Value]) -> String {
    let texts: Vec<String> = items
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if texts.is_empty() {
        "empty now".to_string()
    } else {
        format!("now {}", quoted_list(&texts, "and"))
    }
}
