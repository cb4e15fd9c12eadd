//! Resolving structural edits: reordering, removing steps or context
//! values, setting values and inputs, and adding steps.

use serde_json::json;

use crate::core::modification::{NamedPosition, Position};
use crate::core::{Container, Modification, tree};

use super::super::build::{Builder, Producer};
use super::super::read::{AddPlace, CONTEXT_WORDS, Place, excluding};
use super::super::refs::{Found, content, resolve};
use super::super::text::{Tok, is_stopword, quoted_list, raw_span, same_word, tokenize};
use super::{EditContext, Plan, Resolved, typed};

impl EditContext<'_> {
    pub(super) fn reorder(
        &self,
        moved: &[Tok],
        place: &Place,
        last: &[String],
    ) -> Result<Resolved, Plan> {
        let id = self.one_step(moved, last, "should move")?;
        let Some((container, index)) = tree::locate(self.workflow, &id) else {
            return Err(Plan::Say(format!("There is no step '{id}'.")));
        };
        let siblings: Vec<String> = tree::list(self.workflow, &container)
            .map(|list| list.iter().map(|step| step.id.clone()).collect())
            .unwrap_or_default();
        let mut order = siblings.clone();
        let anchor = |phrase: &[Tok]| -> Result<(String, usize), Plan> {
            let anchor = self.one_step(phrase, &[], "is the reference point")?;
            match tree::locate(self.workflow, &anchor) {
                Some((other, at)) if other == container => Ok((anchor, at)),
                _ => Err(Plan::Say(format!(
                    "'{id}' and '{anchor}' are not in the same list of steps, so I cannot order them against each other."
                ))),
            }
        };
        let summary = match place {
            Place::Before(phrase) | Place::After(phrase) => {
                let (anchor_id, _) = anchor(phrase)?;
                if anchor_id == id {
                    return Err(Plan::Say("A step cannot move relative to itself.".into()));
                }
                order.retain(|other| *other != id);
                let at = order
                    .iter()
                    .position(|other| *other == anchor_id)
                    .expect("the anchor is a sibling");
                let after = matches!(place, Place::After(_));
                order.insert(if after { at + 1 } else { at }, id.clone());
                format!(
                    "Moved '{id}' {} '{anchor_id}'",
                    if after { "after" } else { "before" }
                )
            }
            Place::Swap(phrase) => {
                let (other, at) = anchor(phrase)?;
                order.swap(index, at);
                format!("Swapped '{id}' and '{other}'")
            }
            Place::Start => {
                order.retain(|other| *other != id);
                order.insert(0, id.clone());
                format!("Moved '{id}' to the start")
            }
            Place::End => {
                order.retain(|other| *other != id);
                order.push(id.clone());
                format!("Moved '{id}' to the end")
            }
            Place::Up | Place::Down => {
                let target = if matches!(place, Place::Up) {
                    index.checked_sub(1)
                } else {
                    Some(index + 1).filter(|at| *at < order.len())
                };
                let Some(target) = target else {
                    return Err(Plan::Say(format!(
                        "'{id}' is already at the {} of its list; nothing changed.",
                        if matches!(place, Place::Up) {
                            "start"
                        } else {
                            "end"
                        }
                    )));
                };
                order.swap(index, target);
                format!(
                    "Moved '{id}' {}",
                    if matches!(place, Place::Up) {
                        "up one place"
                    } else {
                        "down one place"
                    }
                )
            }
        };
        if order == siblings {
            return Err(Plan::Say(format!(
                "'{id}' is already there; nothing changed."
            )));
        }
        Ok(Resolved::new(
            vec![Modification::ReorderSteps { order }],
            summary,
            vec![id],
        ))
    }

    /// The context key a phrase names: (key, strength).
    pub(super) fn context_key(&self, phrase: &[Tok]) -> Result<Option<(String, u32)>, Plan> {
        let keys: Vec<&String> = self.workflow.context.readonly.keys().collect();
        let words: Vec<&str> = phrase
            .iter()
            .filter(|tok| {
                !tok.is_punctuation() && !tok.is_any(&["the", "a", "an", "of", "context"])
            })
            .map(|tok| tok.word.as_str())
            .collect();
        if words.is_empty() {
            return Ok(None);
        }
        let mut best: Vec<(&String, u32)> = Vec::new();
        for key in keys {
            let lower = key.to_lowercase();
            let parts: Vec<&str> = lower
                .split(['_', '-', '.'])
                .filter(|part| !part.is_empty())
                .collect();
            let joined = [words.join("_"), words.join("-"), words.concat()];
            let score = if joined.contains(&lower)
                || words
                    .iter()
                    .any(|word| *word == lower || *word == format!("context.{lower}"))
            {
                100
            } else if parts.iter().all(|part| {
                words.iter().any(|word| {
                    // "the word limit" is `max_words`, "the euro cap" `max_eur`.
                    same_word(word, part) || crate::core::vocabulary::stands_for_part(word, part)
                })
            }) {
                80
            } else if parts.iter().any(|part| {
                words
                    .iter()
                    .any(|word| !is_stopword(word) && same_word(word, part))
            }) {
                40
            } else {
                0
            };
            if score == 0 {
                continue;
            }
            match best.first() {
                Some((_, top)) if score < *top => {}
                Some((_, top)) if score > *top => best = vec![(key, score)],
                _ => best.push((key, score)),
            }
        }
        match best.as_slice() {
            [] => Ok(None),
            [(key, score)] => Ok(Some(((*key).clone(), *score))),
            several => {
                if let Some(answer) = self.answers.last() {
                    let answer = answer.trim().to_lowercase();
                    if let Some((key, score)) = several.iter().find(|(key, _)| {
                        key.to_lowercase() == answer || answer.contains(&key.to_lowercase())
                    }) {
                        return Ok(Some(((*key).clone(), *score)));
                    }
                }
                let names: Vec<String> = several.iter().map(|(key, _)| (*key).clone()).collect();
                Err(Plan::Ask(format!(
                    "Which context value do you mean: {}?",
                    quoted_list(&names, "or")
                )))
            }
        }
    }

    pub(super) fn remove(&self, phrase: &[Tok], last: &[String]) -> Result<Resolved, Plan> {
        let explicit = phrase.iter().any(|tok| tok.is_any(CONTEXT_WORDS));
        let phrase_without = excluding(phrase, CONTEXT_WORDS, &[]);
        let key = self.context_key(&phrase_without)?;
        let step = resolve(phrase, self.workflow);
        let exact_step = content(phrase).iter().any(|tok| {
            self.step(&tok.word).is_some()
                || tree::walk(self.workflow)
                    .iter()
                    .any(|visited| visited.step.skill_name() == Some(tok.word.as_str()))
        });
        let use_context = match &key {
            Some((_, score)) if explicit => *score >= 40,
            Some((_, score)) => *score >= 80 && !exact_step,
            None => false,
        };
        if use_context {
            let (key, _) = key.expect("checked");
            return Ok(Resolved::new(
                vec![Modification::RemoveContext { key: key.clone() }],
                format!("Removed context value '{key}'"),
                Vec::new(),
            ));
        }
        if explicit && matches!(step, Found::Nothing) {
            let keys: Vec<String> = self.workflow.context.readonly.keys().cloned().collect();
            return Err(Plan::Say(format!(
                "The context of '{}' has no value matching '{}'; its keys are {}. Nothing changed.",
                self.name,
                raw_span(self.text, &phrase_without),
                if keys.is_empty() {
                    "none".to_string()
                } else {
                    quoted_list(&keys, "and")
                }
            )));
        }
        let ids = self.steps(phrase, last, "do you want to remove")?;
        let modifications = ids
            .iter()
            .map(|id| Modification::RemoveStep { id: id.clone() })
            .collect();
        let summary = format!(
            "Removed step{} {}",
            if ids.len() == 1 { "" } else { "s" },
            quoted_list(&ids, "and")
        );
        Ok(Resolved::new(modifications, summary, Vec::new()))
    }

    pub(super) fn set_value(
        &self,
        phrase: &[Tok],
        value: &str,
        explicit: bool,
    ) -> Result<Resolved, Plan> {
        // "set the url input of fetch", "set fetch's url to …": a step and one of its inputs.
        if !explicit {
            for visited in tree::walk(self.workflow) {
                let step = visited.step;
                let names_step = phrase.iter().any(|tok| tok.word == step.id.to_lowercase());
                let input = step
                    .inputs
                    .keys()
                    .find(|input| phrase.iter().any(|tok| tok.word == input.to_lowercase()));
                if names_step && let Some(input) = input {
                    let refers_to_context = step.inputs[input]
                        .as_str()
                        .and_then(|text| text.strip_prefix("context."))
                        .map(str::to_string);
                    if let Some(key) = refers_to_context {
                        return Ok(self.set_context(&key, value));
                    }
                    let summary = format!("Set input '{input}' of '{}' to {value}", step.id);
                    return Ok(Resolved::new(
                        vec![Modification::ModifyStep {
                            id: step.id.clone(),
                            changes: json!({ "inputs": { input.clone(): typed(value) } }),
                        }],
                        summary,
                        vec![step.id.clone()],
                    ));
                }
            }
        }
        // Every word said names part of one key ("the threshold" for
        // alert_threshold): that key, never a new one beside it.
        let said: Vec<&str> = phrase
            .iter()
            .filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word))
            .filter(|tok| !tok.is_any(CONTEXT_WORDS))
            .map(|tok| tok.word.as_str())
            .collect();
        let covers = |key: &str| {
            !said.is_empty()
                && said.iter().all(|word| {
                    key.split(['_', '-', '.']).any(|part| {
                        let part = part.to_lowercase();
                        same_word(word, &part)
                            || crate::core::vocabulary::expand(&part).contains(word)
                    })
                })
        };
        match self.context_key(phrase)? {
            Some((key, score)) if score >= 80 || (score >= 40 && (explicit || covers(&key))) => {
                let value = self.number_for_key(&key, value)?;
                Ok(self.set_context(&key, &value))
            }
            _ => {
                let words: Vec<&str> = phrase
                    .iter()
                    .filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word))
                    .map(|tok| tok.word.as_str())
                    .collect();
                let single = words.len() == 1
                    && words[0]
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
                if words.is_empty()
                    || !(explicit || single)
                    || words.len() > 3
                    || resolve(phrase, self.workflow) != Found::Nothing
                {
                    // "point the orders download at https://…": no key of
                    // that name, but one holding a value of that kind.
                    let written = tokenize(value);
                    let mut values = super::values::parse_new_values(&written);
                    if values.is_empty() {
                        values = super::values::bare_values(&written);
                    }
                    if !values.is_empty()
                        && let Some(resolved) = self.new_values(&values, None, phrase)?
                    {
                        return Ok(resolved);
                    }
                    return Err(Plan::NotUnderstood);
                }
                let key = words.join("_").replace('-', "_");
                Ok(self.set_context(&key, value))
            }
        }
    }

    pub(super) fn set_context(&self, key: &str, value: &str) -> Resolved {
        let value = typed(value);
        let summary = match self.workflow.context.readonly.get(key) {
            Some(old) if *old == value => format!("Context value '{key}' is already {value}"),
            Some(old) => format!("Changed context value '{key}' from {old} to {value}"),
            None => format!("Added context value '{key}' = {value}"),
        };
        Resolved::new(
            vec![Modification::SetContext {
                key: key.to_string(),
                value,
            }],
            summary,
            Vec::new(),
        )
    }

    /// The output a new step placed at `index` of `container` reads.
    fn producer_before(&self, container: &Container, index: usize) -> Vec<Producer> {
        let Some(list) = tree::list(self.workflow, container) else {
            return Vec::new();
        };
        list[..index.min(list.len())]
            .iter()
            .rev()
            .find_map(Producer::of)
            .into_iter()
            .collect()
    }

    pub(super) fn add_step(&self, what: &[Tok], place: &AddPlace) -> Result<Resolved, Plan> {
        let answer;
        let what = if content(what).is_empty() {
            match self.last_answer() {
                Some(tokens) => {
                    answer = tokens;
                    &answer[..]
                }
                None => return Err(Plan::Ask("What should the new step do? For example: \"log the response\" or \"send a slack notification\".".into())),
            }
        } else {
            what
        };
        // "at the end of the then branch", "inside the parallel group": the
        // new step goes into that list, and those words are not what it does.
        let inside = super::super::refs::container_named(what, self.workflow).map(|(id, _)| {
            let words: Vec<&str> = what.iter().map(|tok| tok.word.as_str()).collect();
            let branch = if words.contains(&"else") || words.contains(&"otherwise") {
                Some(crate::core::modification::Branch::Else)
            } else if words.contains(&"then") && words.contains(&"branch") {
                Some(crate::core::modification::Branch::Then)
            } else {
                None
            };
            (id, branch)
        });
        let trimmed: Vec<Tok>;
        let what: &[Tok] = if inside.is_some() {
            trimmed = what
                .iter()
                .filter(|tok| {
                    !tok.is_any(super::super::refs::CONTAINER_WORDS)
                        && !tok.is_any(&["inside", "within", "of", "in", "into"])
                })
                .cloned()
                .collect();
            &trimmed
        } else {
            what
        };
        // The step that will follow the new one, when there is one.
        let mut follower: Option<String> = None;
        let (modification_place, producers, where_text) = match place {
            AddPlace::After(phrase) => {
                let anchor = self.one_step(phrase, &[], "should the new step follow")?;
                let (container, index) =
                    tree::locate(self.workflow, &anchor).expect("a found step has a place");
                let anchor_step = self.step(&anchor).expect("found");
                let producers = match Producer::of(anchor_step) {
                    Some(producer) => vec![producer],
                    None => self.producer_before(&container, index),
                };
                follower = tree::list(self.workflow, &container)
                    .and_then(|list| list.get(index + 1))
                    .map(|step| step.id.clone());
                (
                    (Some(anchor.clone()), None, None),
                    producers,
                    format!("after '{anchor}'"),
                )
            }
            AddPlace::Before(phrase) => {
                let anchor = self.one_step(phrase, &[], "should the new step come before")?;
                let (container, index) =
                    tree::locate(self.workflow, &anchor).expect("a found step has a place");
                follower = Some(anchor.clone());
                (
                    (None, Some(anchor.clone()), None),
                    self.producer_before(&container, index),
                    format!("before '{anchor}'"),
                )
            }
            AddPlace::Start => (
                (None, None, Some(Position::Named(NamedPosition::Start))),
                Vec::new(),
                "at the start".to_string(),
            ),
            AddPlace::End => (
                (None, None, Some(Position::Named(NamedPosition::End))),
                self.producer_before(&Container::Root, self.workflow.steps.len()),
                "at the end".to_string(),
            ),
        };
        let mut builder = Builder::new(
            self.skills,
            self.all_ids(),
            self.workflow.context.readonly.clone(),
        );
        // "a step that logs the data": the action starts at its verb.
        let lead = what
            .iter()
            .take_while(|tok| {
                tok.is_any(&[
                    "a", "an", "new", "step", "that", "which", "to", "extra", "another", "one",
                    "will", "should", "can",
                ])
            })
            .count();
        let what = if lead < what.len() {
            &what[lead..]
        } else {
            what
        };
        let Some(step) = builder.action(what, &producers, false) else {
            return Err(Plan::NotUnderstood);
        };
        // "add more RAM to the server": a new skill is made only for an
        // action ("more" is none).
        let action = what
            .iter()
            .find(|tok| !tok.is_punctuation() && !is_stopword(&tok.word));
        if !builder.new_skills.is_empty()
            && !action.is_some_and(|tok| super::super::concepts::is_verb(&tok.word))
        {
            return Err(Plan::NotUnderstood);
        }
        // The request's words for the step, for the examples of questions.
        let words: Vec<&str> = what
            .iter()
            .filter(|tok| !tok.is_any(&["too", "also"]))
            .map(|tok| tok.raw.as_str())
            .collect();
        // "also text the duty vet": a new skill that reaches someone, with
        // no number, address or channel given, would reach nobody.
        let reaching = action.is_some_and(|tok| {
            tok.is_any(&[
                "text", "sms", "email", "mail", "page", "call", "notify", "message", "ping",
                "tell", "alert", "whatsapp",
            ])
        });
        if !builder.new_skills.is_empty()
            && reaching
            && super::super::build::literals(what).is_empty()
        {
            return Err(Plan::Ask(format!(
                "Who should the new '{}' step reach, and where: a phone number, an email address or a channel? Say it in the request, for example: \"{} at +15550100\".",
                step.id,
                words.join(" ")
            )));
        }
        // A new step that cannot work without a value nobody gave ("add
        // monitoring": of what?) is a question, not a placeholder.
        if let Some(key) = builder.placeholders.first() {
            let needed = key.rsplit('_').next().unwrap_or(key);
            let example = match needed {
                "url" => "of https://example.com/health",
                "webhook" => "with the webhook https://example.com/hook",
                "path" => "of ./data.csv",
                "table" => "to the events table",
                "subject" => "with the subject 'Daily summary'",
                "to" | "recipient" | "email" => "to ops@example.com",
                "channel" => "to #ops",
                "phone" => "to +15550100",
                _ => "with the value",
            };
            return Err(Plan::Ask(format!(
                "The new '{}' step needs a {needed}: which one? Say it in the request, for example: \"add {} {example}\".",
                step.id,
                words.join(" ")
            )));
        }
        let mut modifications: Vec<Modification> = builder
            .added_context
            .iter()
            .map(|(key, value)| Modification::SetContext {
                key: key.clone(),
                value: value.clone(),
            })
            .collect();
        // A step that turns the data (filter, transform …) goes into the
        // flow: the follower reads its output instead of what it read.
        let mut rewired = None;
        if let (Some(follower), Some(output)) = (&follower, step.outputs.first())
            && let Some(read) = step
                .inputs
                .values()
                .find_map(|value| value.as_str().filter(|text| !text.starts_with("context.")))
            && let Some(next) = self.step(follower)
            && let Some((input, _)) = next
                .inputs
                .iter()
                .find(|(_, value)| value.as_str() == Some(read))
            && builder_transforms(&step)
        {
            modifications.push(Modification::ModifyStep {
                id: follower.clone(),
                changes: json!({ "inputs": { input.clone(): format!("{}.{output}", step.id) } }),
            });
            rewired = Some(format!(
                "; '{follower}' now reads its '{output}' instead of {read}"
            ));
        }
        let skill = step.skill_name().unwrap_or_default().to_string();
        let id = step.id.clone();
        let (mut after, mut before, mut position) = modification_place;
        let (mut parent, mut branch) = (None, None);
        let mut where_text = where_text;
        if let Some((container, in_branch)) = inside
            && after.is_none()
            && before.is_none()
        {
            let start = matches!(place, AddPlace::Start);
            position = Some(Position::Named(if start {
                NamedPosition::Start
            } else {
                NamedPosition::End
            }));
            where_text = format!(
                "{} of {}'{container}'",
                if start { "at the start" } else { "at the end" },
                match in_branch {
                    Some(crate::core::modification::Branch::Else) => "the else branch of ",
                    Some(crate::core::modification::Branch::Then) => "the then branch of ",
                    None => "",
                }
            );
            parent = Some(container);
            branch = in_branch;
            after = None;
            before = None;
        }
        modifications.push(Modification::AddStep {
            step: Box::new(step),
            after,
            before,
            position,
            parent,
            branch,
        });
        let origin = if builder.new_skills.is_empty() {
            "existing skill"
        } else {
            "new skill"
        };
        let mut resolved = Resolved::new(
            modifications,
            format!(
                "Added step '{id}' ({origin} '{skill}') {where_text}{}",
                rewired.unwrap_or_default()
            ),
            vec![id],
        );
        resolved.new_skill = builder.new_skills.into_iter().next().map(Box::new);
        Ok(resolved)
    }

    /// Wraps a top-level step in a conditional: the condition reads an
    /// earlier step (declaring the output it reads there), thresholds go to
    /// the context, and consumers of the guarded step are left for the
    /// impact analysis to flag.
    pub(super) fn guard(
        &self,
        phrase: &[Tok],
        condition: &[Tok],
        negate: bool,
        last: &[String],
    ) -> Result<Resolved, Plan> {
        let id = self.one_step(phrase, last, "should run only under the condition")?;
        let Some(index) = self.workflow.steps.iter().position(|step| step.id == id) else {
            return Err(Plan::Say(format!(
                "'{id}' is nested inside another step; I can only put a condition around a top-level step. Nothing changed."
            )));
        };
        let guarded = self.workflow.steps[index].clone();
        let mut earlier: Vec<crate::core::model::Step> = self.workflow.steps[..index].to_vec();
        let mut builder = Builder::new(
            self.skills,
            self.all_ids(),
            self.workflow.context.readonly.clone(),
        );
        let (expression, label) = match explicit_condition(condition) {
            Some(expression) => (expression, "condition".to_string()),
            None => builder
                .condition(condition, negate, &mut earlier)
                .map_err(Plan::Ask)?,
        };
        let reads_earlier = earlier
            .iter()
            .any(|step| expression.starts_with(&format!("{}.", step.id)))
            || expression.starts_with("context.");
        if !reads_earlier {
            return Err(Plan::Ask(format!(
                "Which earlier step's result should decide whether '{id}' runs? For example: \"only run {id} when validate.valid is true\"."
            )));
        }
        let mut modifications: Vec<Modification> = builder
            .added_context
            .iter()
            .map(|(key, value)| Modification::SetContext {
                key: key.clone(),
                value: value.clone(),
            })
            .collect();
        for (before, after) in self.workflow.steps[..index].iter().zip(&earlier) {
            if before.outputs != after.outputs {
                modifications.push(Modification::ModifyStep {
                    id: before.id.clone(),
                    changes: json!({ "outputs": after.outputs }),
                });
            }
        }
        let wrapper_id = builder.unique_id(&format!("if-{label}"), None, false);
        let words: Vec<&str> = condition.iter().map(|tok| tok.raw.as_str()).collect();
        let mut wrapper = crate::core::model::Step::new(
            wrapper_id.clone(),
            crate::core::model::StepKind::Conditional {
                condition: expression.clone(),
                then: vec![guarded],
                otherwise: Vec::new(),
            },
        );
        wrapper.description = Some(format!(
            "{} {id} when {}",
            if negate { "Skip" } else { "Run" },
            words.join(" ")
        ));
        let place = match index.checked_sub(1) {
            Some(previous) => (Some(self.workflow.steps[previous].id.clone()), None),
            None => (None, Some(Position::Named(NamedPosition::Start))),
        };
        modifications.push(Modification::RemoveStep { id: id.clone() });
        modifications.push(Modification::AddStep {
            step: Box::new(wrapper),
            after: place.0,
            before: None,
            position: place.1,
            parent: None,
            branch: None,
        });
        Ok(Resolved::new(
            modifications,
            format!("'{id}' now runs only when `{expression}` (inside '{wrapper_id}')"),
            vec![id, wrapper_id],
        ))
    }
}

impl EditContext<'_> {
    /// Puts a value where the step reads a value of the same kind: the
    /// context key its input reads, or the input itself.
    pub(super) fn retarget(
        &self,
        phrase: &[Tok],
        value: &Tok,
        last: &[String],
    ) -> Result<Resolved, Plan> {
        let id = self.one_step(phrase, last, &format!("should use {}", value.raw))?;
        let Some(step) = self.step(&id) else {
            return Err(Plan::NotUnderstood);
        };
        let kind = |raw: &str| {
            let tok = Tok {
                word: raw.to_lowercase(),
                raw: raw.to_string(),
                start: 0,
                end: raw.len(),
            };
            super::super::build::literals(std::slice::from_ref(&tok))
                .into_iter()
                .next()
                .map(|(_, literal)| std::mem::discriminant(&literal))
        };
        let wanted = kind(&value.raw);
        let matching: Vec<(&String, Option<String>)> = step
            .inputs
            .iter()
            .filter_map(|(input, current)| {
                let text = current.as_str()?;
                let key = text.strip_prefix("context.").map(str::to_string);
                let shown = match &key {
                    Some(key) => self
                        .workflow
                        .context
                        .readonly
                        .get(key)?
                        .as_str()?
                        .to_string(),
                    None => text.to_string(),
                };
                (kind(&shown) == wanted).then_some((input, key))
            })
            .collect();
        let shared = |key: &str| {
            let reference = format!("context.{key}");
            tree::walk(self.workflow).iter().any(|visited| {
                visited.step.id != id
                    && visited
                        .step
                        .inputs
                        .values()
                        .any(|value| value.as_str() == Some(reference.as_str()))
            })
        };
        match matching.as_slice() {
            // Other steps read the same key: only this step changes.
            [(input, Some(key))] if shared(key) => Ok(Resolved::new(
                vec![Modification::ModifyStep {
                    id: id.clone(),
                    changes: json!({ "inputs": { (*input).clone(): value.raw.clone() } }),
                }],
                format!(
                    "Set input '{input}' of '{id}' to {} (other steps keep reading context '{key}')",
                    value.raw
                ),
                vec![id],
            )),
            [(_, Some(key))] => Ok(self.set_context(key, &value.raw)),
            [(input, None)] => Ok(Resolved::new(
                vec![Modification::ModifyStep {
                    id: id.clone(),
                    changes: json!({ "inputs": { (*input).clone(): value.raw.clone() } }),
                }],
                format!("Set input '{input}' of '{id}' to {}", value.raw),
                vec![id],
            )),
            [] => Err(Plan::Ask(format!(
                "Which input of '{id}' should be {}? Its inputs are {}.",
                value.raw,
                quoted_list(&step.inputs.keys().cloned().collect::<Vec<_>>(), "and")
            ))),
            several => Err(Plan::Ask(format!(
                "'{id}' has several inputs that could take {}: {}. Which one?",
                value.raw,
                quoted_list(
                    &several
                        .iter()
                        .map(|(input, _)| (*input).clone())
                        .collect::<Vec<_>>(),
                    "or"
                )
            ))),
        }
    }
}

/// A condition written as an expression: "validate.valid is true",
/// "fetch.count > 10", "context.enabled".
fn explicit_condition(condition: &[Tok]) -> Option<String> {
    let reference = condition.iter().find(|tok| {
        tok.raw
            .split_once('.')
            .is_some_and(|(head, tail)| !head.is_empty() && !tail.is_empty() && !tail.contains('/'))
            && !tok.raw.contains("://")
    })?;
    let rest: Vec<&Tok> = condition
        .iter()
        .filter(|tok| tok.start != reference.start && !tok.is_any(&["is", "equals", "set", "to"]))
        .collect();
    let operator = |word: &str| -> Option<&'static str> {
        Some(match word {
            "==" | "=" => "==",
            "!=" => "!=",
            ">" | "above" => ">",
            "<" | "below" => "<",
            ">=" => ">=",
            "<=" => "<=",
            "not" => "!=",
            _ => return None,
        })
    };
    let reference = reference.raw.trim_end_matches(['?', '.', ',']);
    match rest.as_slice() {
        [] => Some(format!("{reference} == true")),
        [value] if value.is_any(&["true", "false"]) => {
            Some(format!("{reference} == {}", value.word))
        }
        [op, value] => {
            let op = operator(&op.word)?;
            Some(format!("{reference} {op} {}", literal(&value.raw)))
        }
        _ => None,
    }
}

fn literal(raw: &str) -> String {
    if raw.parse::<f64>().is_ok() || raw == "true" || raw == "false" || raw.starts_with('"') {
        raw.to_string()
    } else {
        format!("\"{raw}\"")
    }
}

/// Whether a new step changes the data it passes on (a filter, a
/// transformation), rather than only looking at it (a log, a notification).
fn builder_transforms(step: &crate::core::model::Step) -> bool {
    const PASSING: &[&str] = &[
        "filter",
        "transform",
        "clean",
        "dedupe",
        "enrich",
        "sort",
        "normalize",
        "convert",
        "translate",
        "compress",
        "encrypt",
        "decrypt",
        "parse",
        "merge",
        "format",
        "anonymize",
    ];
    step.id
        .split('-')
        .next()
        .is_some_and(|base| PASSING.contains(&base))
}
