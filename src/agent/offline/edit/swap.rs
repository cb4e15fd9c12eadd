//! A step doing the same kind of thing another way: "page the on-call
//! instead of emailing", "post releases to teams instead of slack", "put
//! the pdf in gcs (bucket acme-invoices), not google drive", "page me by
//! SMS instead". The step keeps its place and id and takes the installed
//! skill the request names; its inputs are carried over by name or by
//! role (the message, the file), the values the request gives go where
//! the new skill takes them, and the steps reading its outputs read the
//! new skill's. An input the new skill needs and nothing gives is asked
//! for, never invented.

use serde_json::{Map, Value, json};

use crate::core::model::StepKind;
use crate::core::skill::Skill;
use crate::core::{Modification, tree};

use super::super::build::{Literal, literals};
use super::super::refs::{Found, resolve};
use super::super::text::{Tok, is_stopword, quoted_list, same_stem, stem};
use super::{EditContext, Plan, Resolved};

/// Kinds of work a step swapped for another keeps: where a message goes,
/// where a file or rows are kept.
const FAMILIES: &[&[&str]] = &[
    &[
        "post",
        "send",
        "email",
        "mail",
        "page",
        "pager",
        "notify",
        "notification",
        "message",
        "text",
        "sms",
        "alert",
        "announce",
        "chat",
        "slack",
        "teams",
        "discord",
        "webhook",
        "pagerduty",
        "opsgenie",
        "twilio",
        "pushover",
        "telegram",
        "mattermost",
        "whatsapp",
        "ntfy",
    ],
    &[
        "upload", "store", "save", "write", "insert", "archive", "bucket", "drive", "s3", "gcs",
        "disk", "database", "table", "storage", "folder",
    ],
];

/// Name parts that say what a skill does, not which one it is: they
/// never pick the new skill ("post" names slack-post and teams-post).
const GENERIC_PARTS: &[&str] = &[
    "post", "send", "upload", "write", "save", "store", "alert", "notify", "message", "file",
    "data", "get", "put", "run", "copy", "load", "insert", "fetch", "read", "make", "new",
];

/// Inputs that carry what a step works on, one for another.
const PAYLOADS: &[&str] = &[
    "text", "body", "message", "summary", "content", "data", "file", "rows", "records", "payload",
    "msg",
];

fn words_of(skill: &Skill) -> Vec<String> {
    skill
        .name
        .split(['-', '_'])
        .chain(skill.description.split(|c: char| !c.is_alphanumeric()))
        .map(str::to_lowercase)
        .filter(|word| !word.is_empty())
        .collect()
}

/// The kind of work a skill does, by its name first, else its
/// description.
fn family(skill: &Skill) -> Option<usize> {
    let in_family = |words: &[String]| {
        FAMILIES
            .iter()
            .position(|members| words.iter().any(|word| members.contains(&word.as_str())))
    };
    let mut name: Vec<String> = skill
        .name
        .split(['-', '_'])
        .map(str::to_lowercase)
        .collect();
    // `translate-text` translates: "text" is what it works on there, not
    // a text message.
    let other_verb = name.iter().any(|part| part == "text")
        && name.iter().any(|part| {
            part != "text"
                && super::super::concepts::is_verb(part)
                && !FAMILIES
                    .iter()
                    .any(|members| members.contains(&part.as_str()))
        });
    if other_verb {
        name.retain(|part| part != "text");
        return in_family(&name);
    }
    in_family(&name).or_else(|| in_family(&words_of(skill)))
}

/// Whether two skills' names share a part that says what they do
/// ("ocr-scan" and "cloud-ocr").
fn shares_a_name_part(one: &Skill, other: &Skill) -> bool {
    let parts = |skill: &Skill| -> Vec<String> {
        skill
            .name
            .split(['-', '_'])
            .map(str::to_lowercase)
            .filter(|part| part.len() >= 3)
            .collect()
    };
    let theirs = parts(other);
    parts(one).iter().any(|part| theirs.contains(part))
}

fn says(word: &str, part: &str) -> bool {
    word == part || (part.len() >= 3 && same_stem(&stem(word), &stem(part)))
}

/// The literal the request gives that fits an input of this name.
fn literal_for(input: &str, found: &[Literal]) -> Option<String> {
    let input = input.to_lowercase();
    found.iter().find_map(|literal| {
        let fits = match literal {
            Literal::Url(_) => ["webhook", "url", "endpoint", "hook", "uri"]
                .iter()
                .any(|part| input.contains(part)),
            Literal::Email(_) => ["to", "email", "recipient", "address"]
                .iter()
                .any(|part| input == *part || input.contains(part)),
            Literal::Channel(_) => input.contains("channel"),
            Literal::Bucket(_) => input.contains("bucket"),
            Literal::Table(_) => input.contains("table"),
            Literal::Path(_) => ["path", "folder", "dir", "directory", "destination"]
                .iter()
                .any(|part| input.contains(part)),
            Literal::Phone(_) => ["phone", "number", "to", "recipient"]
                .iter()
                .any(|part| input == *part || input.contains(part)),
            Literal::Host(_) => ["host", "server", "service"]
                .iter()
                .any(|part| input.contains(part)),
        };
        fits.then(|| literal.text().to_string())
    })
}

impl EditContext<'_> {
    /// The swap a request asks for, when it names one; `None` when it is
    /// no swap.
    pub(super) fn swap(&self, toks: &[Tok]) -> Option<Result<Resolved, Plan>> {
        let words: Vec<&Tok> = toks.iter().filter(|tok| !tok.is_punctuation()).collect();
        // Where the old way is named: "instead of Y", "rather than Y",
        // ", not Y"; "… instead" names none.
        let contrast = toks.windows(2).position(|pair| {
            (pair[0].is("instead") && pair[1].is("of"))
                || (pair[0].is("rather") && pair[1].is("than"))
        });
        let not_at = toks.iter().enumerate().position(|(at, tok)| {
            tok.is("not")
                && at > 0
                && (toks[at - 1].is_punctuation() || toks[at - 1].raw.ends_with(')'))
        });
        let bare_instead = toks
            .iter()
            .rev()
            .find(|tok| !tok.is_punctuation())
            .is_some_and(|tok| tok.is("instead"));
        let (new_part, old_part): (&[Tok], Option<&[Tok]>) = match (contrast, not_at) {
            (Some(at), _) => {
                let end = toks[at + 2..]
                    .iter()
                    .position(Tok::is_punctuation)
                    .map_or(toks.len(), |offset| at + 2 + offset);
                (&toks[..at], Some(&toks[at + 2..end]))
            }
            (None, Some(at)) => {
                let end = toks[at + 1..]
                    .iter()
                    .position(Tok::is_punctuation)
                    .map_or(toks.len(), |offset| at + 1 + offset);
                (&toks[..at], Some(&toks[at + 1..end]))
            }
            (None, None) if bare_instead => (toks, None),
            _ => return None,
        };
        if words.is_empty() {
            return None;
        }
        let used: Vec<&str> = tree::walk(self.workflow)
            .iter()
            .filter_map(|visited| visited.step.skill_name())
            .collect();
        // The new skill: the one installed skill a distinctive word of the
        // request names ("teams" for teams-post, "page" for pager-alert),
        // not a word of a value given ("bucket acme-invoices").
        let in_literals: Vec<usize> = literals(toks)
            .into_iter()
            .flat_map(|(indices, _)| indices)
            .collect();
        // A part the workflow's skills also have ("transcode" of
        // ffmpeg-transcode) names the step, not the new skill.
        let used_parts: Vec<String> = used
            .iter()
            .flat_map(|name| name.split(['-', '_']).map(str::to_lowercase))
            .collect();
        let distinctive = |skill: &Skill| -> usize {
            let parts: Vec<String> = skill
                .name
                .split(['-', '_'])
                .map(str::to_lowercase)
                .filter(|part| !used_parts.contains(part))
                // "sender" is as generic as "send".
                .filter(|part| {
                    !GENERIC_PARTS
                        .iter()
                        .any(|generic| same_stem(&stem(part), &stem(generic)))
                })
                .collect();
            new_part
                .iter()
                .enumerate()
                .filter(|(at, _)| !in_literals.contains(at))
                .map(|(_, tok)| tok)
                .filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word))
                // "text the registrar" names `sms-send`.
                .filter(|tok| {
                    parts.iter().any(|part| {
                        says(&tok.word, part)
                            || crate::core::vocabulary::expand(part).contains(&tok.word.as_str())
                    })
                })
                .count()
        };
        // A kind of work the workflow already does, by family or by a name
        // part a used skill shares ("handbrake-transcode" beside
        // "ffmpeg-transcode").
        let kin = |skill: &Skill| {
            family(skill).is_some()
                || used.iter().any(|name| {
                    self.skills
                        .iter()
                        .find(|known| known.name == *name)
                        .is_some_and(|known| shares_a_name_part(known, skill))
                })
        };
        let scored: Vec<(&Skill, usize)> = self
            .skills
            .iter()
            .filter(|skill| !used.contains(&skill.name.as_str()) && kin(skill))
            .map(|skill| (skill, distinctive(skill)))
            .filter(|(_, score)| *score > 0)
            .collect();
        let best = scored.iter().map(|(_, score)| *score).max()?;
        let top: Vec<&Skill> = scored
            .iter()
            .filter(|(_, score)| *score == best)
            .map(|(skill, _)| *skill)
            .collect();
        let new_skill = match top.as_slice() {
            [one] => *one,
            several => {
                let names: Vec<String> = several.iter().map(|skill| skill.name.clone()).collect();
                return Some(Err(Plan::Ask(format!(
                    "Which skill should it use instead: {}?",
                    quoted_list(&names, "or")
                ))));
            }
        };
        let new_family = family(new_skill);
        // The one step doing the kind of thing the new skill does.
        let the_one_alike = || -> Result<String, Option<Result<Resolved, Plan>>> {
            let alike: Vec<String> = tree::walk(self.workflow)
                .iter()
                .filter(|visited| {
                    visited
                        .step
                        .skill_name()
                        .and_then(|name| self.skills.iter().find(|skill| skill.name == name))
                        .is_some_and(|skill| {
                            (new_family.is_some() && family(skill) == new_family)
                                || shares_a_name_part(skill, new_skill)
                        })
                })
                .map(|visited| visited.step.id.clone())
                .collect();
            match alike.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(None),
                several => Err(Some(Err(Plan::Ask(format!(
                    "Which step should use '{}' instead: {}?",
                    new_skill.name,
                    quoted_list(several, "or")
                ))))),
            }
        };
        // The step that changes: the one the old way names, or the one
        // step doing that kind of thing.
        let old_id = match old_part {
            Some(old_part) => {
                let content: Vec<Tok> = old_part
                    .iter()
                    .filter(|tok| !is_stopword(&tok.word))
                    .cloned()
                    .collect();
                // "three weeks rather than 14 days": an old value, not an
                // old way of doing a step.
                if content.is_empty()
                    || content
                        .iter()
                        .any(|tok| super::super::text::number(&tok.word).is_some())
                    || !literals(old_part).is_empty()
                {
                    return None;
                }
                match resolve(&content, self.workflow) {
                    Found::One(id) => id,
                    Found::Many(candidates) => {
                        return Some(Err(Plan::Ask(format!(
                            "Which step should use '{}' instead: {}?",
                            new_skill.name,
                            quoted_list(&candidates, "or")
                        ))));
                    }
                    // "instead of tesseract": the step whose skill says so.
                    Found::Nothing => {
                        let saying: Vec<String> = tree::walk(self.workflow)
                            .iter()
                            .filter(|visited| {
                                visited
                                    .step
                                    .skill_name()
                                    .and_then(|name| {
                                        self.skills.iter().find(|skill| skill.name == name)
                                    })
                                    .is_some_and(|skill| {
                                        let words = words_of(skill);
                                        content.iter().any(|tok| {
                                            words.iter().any(|word| says(&tok.word, word))
                                        })
                                    })
                            })
                            .map(|visited| visited.step.id.clone())
                            .collect();
                        // "instead of paging them": the one step doing
                        // that kind of thing.
                        match saying.as_slice() {
                            [one] => one.clone(),
                            [] => match the_one_alike() {
                                Ok(id) => id,
                                Err(answer) => return answer,
                            },
                            _ => return None,
                        }
                    }
                }
            }
            None => match the_one_alike() {
                Ok(id) => id,
                Err(answer) => return answer,
            },
        };
        Some(self.swapped(&old_id, new_skill, toks))
    }

    fn swapped(&self, id: &str, new_skill: &Skill, toks: &[Tok]) -> Result<Resolved, Plan> {
        let Some(step) = tree::find(&self.workflow.steps, id) else {
            return Err(Plan::NotUnderstood);
        };
        let StepKind::Skill { skill: old_name } = &step.kind else {
            return Err(Plan::Say(format!(
                "'{id}' is not a skill step, so it has no skill to change; nothing changed."
            )));
        };
        let old_skill = self.skills.iter().find(|skill| &skill.name == old_name);
        if old_skill.is_some_and(|old| {
            !shares_a_name_part(old, new_skill)
                && (family(old).is_none() || family(old) != family(new_skill))
        }) {
            return Err(Plan::NotUnderstood);
        }
        let given: Vec<Literal> = literals(toks)
            .into_iter()
            .map(|(_, literal)| literal)
            .collect();
        let mut modifications = Vec::new();
        let mut inputs = Map::new();
        let mut carried: Vec<&str> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        let ports = new_skill.inputs.clone().unwrap_or_default();
        for port in &ports {
            let name = port.name.as_str();
            // A value the request gives for it ("the webhook is https://…").
            if let Some(value) = literal_for(name, &given) {
                let key = self.free_key(id, name, &value);
                modifications.push(Modification::SetContext {
                    key: key.clone(),
                    value: Value::String(value),
                });
                inputs.insert(name.to_string(), json!(format!("context.{key}")));
                continue;
            }
            // The same input, or one carrying the same payload.
            if let Some(value) = step.inputs.get(name) {
                inputs.insert(name.to_string(), value.clone());
                carried.push(name);
                continue;
            }
            if PAYLOADS.contains(&name)
                && let Some((old_input, value)) = step.inputs.iter().find(|(old_input, _)| {
                    PAYLOADS.contains(&old_input.as_str()) && !carried.contains(&old_input.as_str())
                })
            {
                inputs.insert(name.to_string(), value.clone());
                carried.push(old_input.as_str());
                continue;
            }
            match named_before(toks, name).or_else(|| named_after(toks, name)) {
                Some(value) => {
                    let key = self.free_key(id, name, &value);
                    modifications.push(Modification::SetContext {
                        key: key.clone(),
                        value: Value::String(value),
                    });
                    inputs.insert(name.to_string(), json!(format!("context.{key}")));
                }
                None if port.optional => {}
                None => missing.push(name.to_string()),
            }
        }
        if !missing.is_empty() {
            return Err(Plan::Ask(format!(
                "To have '{id}' use '{}' instead of '{old_name}', what should its {} be? For example: \"… the {} is …\".",
                new_skill.name,
                quoted_list(&missing, "and"),
                missing[0]
            )));
        }
        if ports.is_empty() {
            // An interface the skill does not declare: the inputs stay.
            inputs = step.inputs.clone().into_iter().collect();
        }
        let mut patch = Map::new();
        for name in step.inputs.keys() {
            if !inputs.contains_key(name) {
                patch.insert(name.clone(), Value::Null);
            }
        }
        for (name, value) in &inputs {
            if step.inputs.get(name) != Some(value) {
                patch.insert(name.clone(), value.clone());
            }
        }
        let mut changes = json!({ "skill": new_skill.name });
        if !patch.is_empty() {
            changes["inputs"] = Value::Object(patch);
        }
        // What others read of it: the new skill's outputs.
        let new_outputs: Vec<String> = new_skill
            .outputs
            .as_ref()
            .map(|ports| ports.iter().map(|port| port.name.clone()).collect())
            .unwrap_or_default();
        if !step.outputs.is_empty() && new_skill.outputs.is_some() {
            changes["outputs"] = json!(new_outputs);
        }
        let mut rewired: Vec<String> = Vec::new();
        for visited in tree::walk(self.workflow) {
            let reader = visited.step;
            let mut reader_patch = Map::new();
            for (input, value) in &reader.inputs {
                let Some(output) = value
                    .as_str()
                    .and_then(|text| text.strip_prefix(&format!("{id}.")))
                else {
                    continue;
                };
                if new_skill.outputs.is_none() || new_outputs.iter().any(|known| known == output) {
                    continue;
                }
                match new_outputs.as_slice() {
                    [only] => {
                        reader_patch.insert(input.clone(), json!(format!("{id}.{only}")));
                    }
                    _ => {
                        return Err(Plan::Ask(format!(
                            "'{}' reads '{id}.{output}', which '{}' does not produce (it produces {}). Which should it read instead?",
                            reader.id,
                            new_skill.name,
                            if new_outputs.is_empty() {
                                "nothing".to_string()
                            } else {
                                quoted_list(&new_outputs, "or")
                            }
                        )));
                    }
                }
            }
            if !reader_patch.is_empty() {
                rewired.push(reader.id.clone());
                modifications.push(Modification::ModifyStep {
                    id: reader.id.clone(),
                    changes: json!({ "inputs": Value::Object(reader_patch) }),
                });
            }
        }
        modifications.insert(
            0,
            Modification::ModifyStep {
                id: id.to_string(),
                changes,
            },
        );
        let mut summary = format!(
            "'{id}' now uses skill '{}' instead of '{old_name}'",
            new_skill.name
        );
        if !rewired.is_empty() {
            summary.push_str(&format!(
                "; {} read{} its new output",
                quoted_list(&rewired, "and"),
                if rewired.len() == 1 { "s" } else { "" }
            ));
        }
        let mut steps = vec![id.to_string()];
        steps.extend(rewired);
        Ok(Resolved::new(modifications, summary, steps))
    }

    /// A context key for a new value of this input: the input's name, or
    /// the step's id before it when that name holds something else.
    fn free_key(&self, id: &str, input: &str, value: &str) -> String {
        let context = &self.workflow.context.readonly;
        match context.get(input) {
            None => input.to_string(),
            Some(current) if current.as_str() == Some(value) => input.to_string(),
            Some(_) => format!("{}_{input}", id.replace('-', "_")),
        }
    }
}

/// "the security-oncall service": the name written before the input's own
/// word.
fn named_before(toks: &[Tok], input: &str) -> Option<String> {
    let at = toks
        .iter()
        .position(|tok| says(&tok.word, input) && tok.word.len() >= 4)?;
    let before = toks.get(at.checked_sub(1)?)?;
    let name_like = before
        .raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && before
            .raw
            .chars()
            .any(|c| c == '-' || c == '_' || c.is_ascii_digit());
    name_like.then(|| before.raw.clone())
}

/// "Telegram chat -1009988": the value written after a word of the
/// input's name (`chat_id`).
fn named_after(toks: &[Tok], input: &str) -> Option<String> {
    let parts: Vec<&str> = input
        .split(['_', '-'])
        .filter(|part| part.len() >= 3)
        .collect();
    let at = toks
        .iter()
        .position(|tok| parts.iter().any(|part| says(&tok.word, part)))?;
    let next = toks.get(at + 1)?;
    let value_like = next
        .raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+'))
        && next.raw.chars().any(|c| c.is_ascii_digit());
    value_like.then(|| next.raw.clone())
}
