//! A change named without its value: "change the table", "lower the
//! threshold", "rename the chart step", "move the merge step", "point it at
//! the staging server", "send the notification somewhere else", "switch
//! to the new model". The planner knows what would change but not to what,
//! so it asks for exactly that, saying what it is now.

use serde_json::Value;

use crate::core::tree;

use super::super::coverage::affected_by_key;
use super::super::refs::{Found, resolve, word_names_step};
use super::super::text::{Tok, is_stopword, quoted_list, same_stem, stem};
use super::{EditContext, Plan};

/// The verbs of a change whose value is missing, and what is asked.
#[derive(Clone, Copy, PartialEq)]
enum Asked {
    /// "change", "set", "update", "use", "switch", "point", "send"…
    NewValue,
    /// "lower", "raise", "increase" …: by how much, or to what.
    Amount,
    Rename,
    Move,
}

fn asked(verb: &Tok) -> Option<Asked> {
    Some(match verb.word.as_str() {
        "change" | "set" | "update" | "use" | "switch" | "point" | "send" | "replace" | "swap"
        | "redirect" | "edit" | "modify" => Asked::NewValue,
        "lower" | "raise" | "increase" | "decrease" | "reduce" | "bump" | "adjust" | "tweak" => {
            Asked::Amount
        }
        "rename" => Asked::Rename,
        "move" | "reorder" => Asked::Move,
        _ => return None,
    })
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

impl EditContext<'_> {
    /// The context keys a phrase names: by the key's words, or by a step
    /// that reads it ("the threshold" for the key the threshold check
    /// reads).
    fn keys_named(&self, words: &[&Tok]) -> Vec<String> {
        let context = &self.workflow.context.readonly;
        let by_name: Vec<String> = context
            .keys()
            .filter(|key| {
                key.split(['_', '-']).any(|part| {
                    part.len() >= 3
                        && words
                            .iter()
                            .any(|tok| same_stem(&stem(&tok.word), &stem(part)))
                })
            })
            .cloned()
            .collect();
        if !by_name.is_empty() {
            return by_name;
        }
        let by_step: Vec<String> = context
            .keys()
            .filter(|key| {
                affected_by_key(self.workflow, key)
                    .iter()
                    .take(1)
                    .any(|id| {
                        tree::find(&self.workflow.steps, id).is_some_and(|step| {
                            words.iter().any(|tok| word_names_step(tok, step) > 0)
                        })
                    })
            })
            .cloned()
            .collect();
        if !by_step.is_empty() {
            return by_step;
        }
        self.keys_meant(words)
    }

    /// The keys a word names by what their values are: "the recipient" is
    /// an address, "the threshold" a bound, "the folder" a path.
    fn keys_meant(&self, words: &[&Tok]) -> Vec<String> {
        let says = |meant: &[&str]| words.iter().any(|tok| tok.is_any(meant));
        let bound = |key: &str| {
            key.to_lowercase().split(['_', '-']).any(|part| {
                matches!(
                    part,
                    "max" | "min" | "limit" | "threshold" | "cap" | "maximum" | "minimum"
                )
            })
        };
        enum Meant {
            Address,
            Bound(Vec<String>),
            Folder,
        }
        let meant = if says(&["recipient", "recipients", "address", "addressee"]) {
            Meant::Address
        } else if says(&["threshold", "limit", "cap", "ceiling", "bound"]) {
            Meant::Bound(self.thresholds())
        } else if says(&["folder", "directory", "dir"]) {
            Meant::Folder
        } else {
            return Vec::new();
        };
        let wanted = |key: &str, value: &Value| match &meant {
            Meant::Address => value
                .as_str()
                .is_some_and(|text| text.contains('@') && !text.contains(' ')),
            Meant::Bound(compared) => {
                value.is_number() && (bound(key) || compared.iter().any(|known| known == key))
            }
            Meant::Folder => value
                .as_str()
                .is_some_and(|text| super::super::build::is_path(text) && !text.contains('.')),
        };
        self.workflow
            .context
            .readonly
            .iter()
            .filter(|(key, value)| wanted(key, value))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// The keys of the values a step sends to or reads from: the
    /// addresses, channels and URLs it takes from the context.
    fn destinations_of(&self, id: &str) -> Vec<String> {
        let Some(step) = tree::find(&self.workflow.steps, id) else {
            return Vec::new();
        };
        let mut keys = Vec::new();
        for visited in tree::walk_step(step) {
            for value in visited.inputs.values() {
                if let Some(key) = value
                    .as_str()
                    .and_then(|text| text.strip_prefix("context."))
                    && !keys.contains(&key.to_string())
                    && self
                        .workflow
                        .context
                        .readonly
                        .get(key)
                        .and_then(Value::as_str)
                        .is_some_and(|text| {
                            // Where something goes: an address, a channel, a URL.
                            text.starts_with('#')
                                || text.starts_with('+')
                                || super::super::build::is_url(text)
                                || (text.contains('@') && !text.contains(' '))
                        })
                {
                    keys.push(key.to_string());
                }
            }
        }
        keys
    }

    fn describe_keys(&self, keys: &[String]) -> String {
        let shown_keys: Vec<String> = keys
            .iter()
            .filter_map(|key| {
                self.workflow
                    .context
                    .readonly
                    .get(key)
                    .map(|value| format!("{key} = {}", shown(value)))
            })
            .collect();
        quoted_list(&shown_keys, "and")
    }

    /// "post it somewhere else", "send it to someone else", "encrypt it
    /// for the new admin": where a step sends, or for whom, changes, and
    /// the request does not say to what. The steps named by any of its
    /// words (the verb too: "post" for the step that posts).
    fn elsewhere(&self, toks: &[Tok]) -> Option<Plan> {
        if !super::super::text::has_any(toks, crate::core::vocabulary::ELSEWHERE) {
            return None;
        }
        let named: Vec<&Tok> = toks
            .iter()
            .filter(|tok| {
                !tok.is_punctuation()
                    && !is_stopword(&tok.word)
                    && !tok.is_any(&[
                        "somewhere",
                        "someone",
                        "somebody",
                        "else",
                        "elsewhere",
                        "another",
                        "different",
                        "new",
                        "now",
                        "from",
                        "on",
                    ])
            })
            .collect();
        let mut keys: Vec<String> = Vec::new();
        for visited in tree::walk(self.workflow) {
            let step = visited.step;
            let skill = step
                .skill_name()
                .and_then(|name| self.skills.iter().find(|skill| skill.name == name));
            let says = |tok: &Tok| {
                word_names_step(tok, step) > 0
                    || skill.is_some_and(|skill| {
                        skill
                            .name
                            .split(['-', '_'])
                            .chain(skill.description.split(|c: char| !c.is_alphanumeric()))
                            .filter(|part| part.len() >= 3)
                            .any(|part| same_stem(&stem(&part.to_lowercase()), &stem(&tok.word)))
                    })
            };
            if named.iter().any(|tok| says(tok)) {
                for key in self.destinations_of(&step.id) {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
        self.ask_new_value(&keys)
    }

    /// The question for a new value of one of these keys.
    fn ask_new_value(&self, keys: &[String]) -> Option<Plan> {
        match keys {
            [] => None,
            [key] => Some(Plan::Ask(format!(
                "What should '{key}' be? It is {} now.",
                shown(&self.workflow.context.readonly[key.as_str()])
            ))),
            several => Some(Plan::Ask(format!(
                "Which one should change, and to what: {}?",
                self.describe_keys(several)
            ))),
        }
    }

    /// The numbers a condition compares with ("raise the limit" for
    /// `depth > context.max_depth`).
    fn thresholds(&self) -> Vec<String> {
        self.workflow
            .context
            .readonly
            .iter()
            .filter(|(key, value)| {
                let reference = format!("context.{key}");
                value.is_number()
                    && tree::walk(self.workflow).iter().any(|visited| {
                        matches!(&visited.step.kind,
                            crate::core::model::StepKind::Conditional { condition, .. }
                                if condition.contains(&reference))
                    })
            })
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// A question for a change named without its value, when the request
    /// is one.
    pub(super) fn missing_value(&self, toks: &[Tok]) -> Option<Plan> {
        let has_value = toks.iter().any(|tok| {
            super::super::text::number(tok.word.trim_end_matches('%')).is_some()
                || !super::super::build::literals(std::slice::from_ref(tok)).is_empty()
        });
        // "notify someone when the migration fails": who, and how?
        let telling = toks.iter().any(|tok| {
            tok.is_any(&[
                "notify", "alert", "tell", "page", "inform", "message", "ping", "warn",
            ])
        });
        let nobody_named = toks.iter().any(|tok| {
            tok.is_any(&[
                "someone", "somebody", "anyone", "anybody", "people", "whoever",
            ])
        });
        if !has_value
            && telling
            && nobody_named
            && !super::super::text::has_any(toks, crate::core::vocabulary::ELSEWHERE)
        {
            return Some(Plan::Ask(
                "Who should be told, and how? Name the address, channel or number, for example: \"email ops@example.com when …\" or \"post to #ops when …\".".to_string(),
            ));
        }
        if !has_value && let Some(plan) = self.elsewhere(toks) {
            return Some(plan);
        }
        let words: Vec<&Tok> = toks.iter().filter(|tok| !tok.is_punctuation()).collect();
        let verb_at = words.iter().position(|tok| asked(tok).is_some())?;
        let kind = asked(words[verb_at])?;
        let rest: Vec<&Tok> = words[verb_at + 1..]
            .iter()
            .copied()
            .filter(|tok| {
                !is_stopword(&tok.word)
                    && !tok.is_any(&["step", "somewhere", "else", "new", "other", "different"])
            })
            .collect();
        // A value given is no missing value.
        if toks.iter().any(|tok| tok.is_any(&["to", "by", "=", "at"]))
            && toks.iter().any(|tok| {
                super::super::text::number(tok.word.trim_end_matches('%')).is_some()
                    || !super::super::build::literals(std::slice::from_ref(tok)).is_empty()
            })
        {
            return None;
        }
        let phrase: Vec<Tok> = rest.iter().map(|tok| (*tok).clone()).collect();
        let step = match resolve(&phrase, self.workflow) {
            Found::One(id) => Some(id),
            _ => None,
        };
        let keys = self.keys_named(&rest);
        match kind {
            Asked::Rename => {
                let id = step?;
                Some(Plan::Ask(format!(
                    "What should '{id}' be called? For example: \"rename {id} to {id}-v2\"."
                )))
            }
            Asked::Move => {
                let id = step?;
                let others: Vec<String> = self
                    .workflow
                    .steps
                    .iter()
                    .map(|step| step.id.clone())
                    .filter(|other| *other != id)
                    .collect();
                Some(Plan::Ask(format!(
                    "Where should '{id}' go: before or after which step ({}), or to the start or the end?",
                    quoted_list(&others, "or")
                )))
            }
            Asked::Amount => {
                // "raise the limit", "lower the threshold": the number a
                // condition compares with.
                let generic = !rest.is_empty()
                    && rest.iter().all(|tok| {
                        tok.is_any(&[
                            "limit",
                            "threshold",
                            "max",
                            "maximum",
                            "cap",
                            "ceiling",
                            "bar",
                            "min",
                            "minimum",
                            "it",
                            "a",
                            "bit",
                            "little",
                        ])
                    });
                let keys = if keys.is_empty() && generic {
                    self.thresholds()
                } else {
                    keys
                };
                let numeric: Vec<String> = keys
                    .into_iter()
                    .filter(|key| {
                        self.workflow
                            .context
                            .readonly
                            .get(key)
                            .is_some_and(Value::is_number)
                    })
                    .collect();
                match numeric.as_slice() {
                    [] => None,
                    [key] => Some(Plan::Ask(format!(
                        "By how much, or to what? '{key}' is {} now.",
                        shown(&self.workflow.context.readonly[key.as_str()])
                    ))),
                    several => Some(Plan::Ask(format!(
                        "Which value, and by how much: {}?",
                        self.describe_keys(several)
                    ))),
                }
            }
            Asked::NewValue => {
                // "send the notification somewhere else": where a step sends.
                let keys = if keys.is_empty() {
                    step.as_deref()
                        .map(|id| self.destinations_of(id))
                        .unwrap_or_default()
                } else {
                    keys
                };
                // "point it at the staging server": the addresses there are.
                let keys = if keys.is_empty()
                    && toks
                        .iter()
                        .any(|tok| tok.is_any(&["point", "server", "host", "url", "endpoint"]))
                {
                    self.workflow
                        .context
                        .readonly
                        .iter()
                        .filter(|(_, value)| {
                            value.as_str().is_some_and(|text| {
                                super::super::build::is_url(text)
                                    || super::super::build::is_host(text)
                            })
                        })
                        .map(|(key, _)| key.clone())
                        .collect()
                } else {
                    keys
                };
                self.ask_new_value(&keys)
            }
        }
    }
}
