//! One more of a kind: "also check cdn.example.com together with the
//! other certificates", "also probe https://db.example.com/ping alongside
//! the other probes". Steps that run the same skill, each on its own
//! context value, get a sibling like them for the value given: same skill
//! and inputs, its own value in context, next to the others.

use serde_json::json;

use crate::core::model::{Step, StepKind};
use crate::core::{Modification, tree};

use super::super::build::{Literal, literals};
use super::super::refs::word_names_step;
use super::super::text::{Tok, has_any, quoted_list};
use super::values::same_kind;
use super::{EditContext, Plan, Resolved};

/// A group of steps running one skill, each on its own context value.
struct Kind<'w> {
    members: Vec<&'w Step>,
    /// The input that takes each member's own value.
    input: String,
    /// The context keys the members read it from, in order.
    keys: Vec<String>,
}

/// The members of a list that run the same skill and differ in one input
/// read from the context.
fn kinds<'w>(list: &'w [Step]) -> Vec<Kind<'w>> {
    let mut found = Vec::new();
    let mut skills: Vec<&str> = list.iter().filter_map(Step::skill_name).collect();
    skills.sort_unstable();
    skills.dedup();
    for skill in skills {
        let members: Vec<&Step> = list
            .iter()
            .filter(|step| step.skill_name() == Some(skill))
            .collect();
        if members.len() < 2 {
            continue;
        }
        let first = members[0];
        let varying: Vec<&String> = first
            .inputs
            .keys()
            .filter(|input| {
                let values: Vec<Option<&str>> = members
                    .iter()
                    .map(|member| member.inputs.get(*input).and_then(|value| value.as_str()))
                    .collect();
                values
                    .iter()
                    .all(|value| value.is_some_and(|text| text.starts_with("context.")))
                    && values.windows(2).all(|pair| pair[0] != pair[1])
            })
            .collect();
        let [input] = varying.as_slice() else {
            continue;
        };
        let keys = members
            .iter()
            .filter_map(|member| member.inputs.get(*input).and_then(|value| value.as_str()))
            .map(|text| text.trim_start_matches("context.").to_string())
            .collect();
        found.push(Kind {
            members,
            input: (*input).clone(),
            keys,
        });
    }
    found
}

/// What a value is called in a name: "cdn" for cdn.example.com, "db" for
/// https://db.example.com/ping.
fn slug(literal: &Literal) -> String {
    let text = literal.text().to_lowercase();
    let text = text
        .split_once("://")
        .map_or(text.as_str(), |(_, rest)| rest)
        .trim_start_matches('#')
        .trim_start_matches("www.");
    let word: String = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|part| !part.is_empty())
        .unwrap_or("new")
        .to_string();
    word
}

fn common_prefix(names: &[&str]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut length = first.len();
    for name in names {
        length = length.min(
            first
                .chars()
                .zip(name.chars())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    first[..length].to_string()
}

fn common_suffix(names: &[&str]) -> String {
    let reversed: Vec<String> = names
        .iter()
        .map(|name| name.chars().rev().collect())
        .collect();
    let refs: Vec<&str> = reversed.iter().map(String::as_str).collect();
    common_prefix(&refs).chars().rev().collect()
}

impl EditContext<'_> {
    /// A sibling like the others for the one value the request gives, when
    /// it asks for one more of a kind.
    pub(super) fn one_more_like(&self, toks: &[Tok]) -> Option<Result<Resolved, Plan>> {
        if !has_any(toks, crate::core::vocabulary::ANOTHER) {
            return None;
        }
        let given = literals(toks);
        let [(_, literal)] = given.as_slice() else {
            return None;
        };
        let context = &self.workflow.context.readonly;
        // Every kind of step whose values are of this literal's kind.
        let mut lists: Vec<&[Step]> = vec![&self.workflow.steps];
        for visited in tree::walk(self.workflow) {
            for (_, children) in visited.step.child_lists() {
                lists.push(children);
            }
        }
        let candidates: Vec<Kind> = lists
            .into_iter()
            .flat_map(kinds)
            .filter(|kind| {
                kind.keys.iter().all(|key| {
                    context
                        .get(key)
                        .is_some_and(|value| same_kind(key, value, literal))
                })
            })
            .collect();
        // The kind the words name ("the other certificates"), or the only one.
        let named: Vec<&Kind> = candidates
            .iter()
            .filter(|kind| {
                toks.iter().any(|tok| {
                    kind.members
                        .iter()
                        .any(|member| word_names_step(tok, member) > 0)
                })
            })
            .collect();
        let kind = match (named.as_slice(), candidates.as_slice()) {
            ([one], _) => *one,
            ([], [only]) => only,
            ([], []) => return None,
            (several, _) => {
                let groups: Vec<String> = several
                    .iter()
                    .map(|kind| {
                        let ids: Vec<String> = kind
                            .members
                            .iter()
                            .map(|member| member.id.clone())
                            .collect();
                        quoted_list(&ids, "and")
                    })
                    .collect();
                return Some(Err(Plan::Ask(format!(
                    "One more like which steps: {}?",
                    groups.join(", or ")
                ))));
            }
        };
        let ids: Vec<&str> = kind
            .members
            .iter()
            .map(|member| member.id.as_str())
            .collect();
        let keys: Vec<&str> = kind.keys.iter().map(String::as_str).collect();
        let slug = slug(literal);
        let mut id = format!("{}{slug}", common_prefix(&ids));
        let mut key = match common_suffix(&keys) {
            suffix if suffix.starts_with('_') => format!("{slug}{suffix}"),
            _ => format!("{slug}_{}", kind.input),
        };
        let mut counter = 2;
        while tree::find(&self.workflow.steps, &id).is_some() || context.contains_key(&key) {
            id = format!("{}{slug}-{counter}", common_prefix(&ids));
            key = format!("{key}_{counter}");
            counter += 1;
        }
        if id.is_empty() || crate::core::names::step_id_problem(&id).is_some() {
            return None;
        }
        let last = kind.members.last()?;
        let mut step = (*last).clone();
        step.id = id.clone();
        step.description = None;
        step.inputs
            .insert(kind.input.clone(), json!(format!("context.{key}")));
        if !matches!(step.kind, StepKind::Skill { .. }) {
            return None;
        }
        let modifications = vec![
            Modification::SetContext {
                key: key.clone(),
                value: json!(literal.text()),
            },
            Modification::AddStep {
                step: Box::new(step),
                after: Some(last.id.clone()),
                before: None,
                position: None,
                parent: None,
                branch: None,
            },
        ];
        let summary = format!(
            "Added step '{id}' like {}, for {} (context value '{key}')",
            quoted_list(
                &ids.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
                "and"
            ),
            literal.text()
        );
        Some(Ok(Resolved::new(modifications, summary, vec![id])))
    }
}
