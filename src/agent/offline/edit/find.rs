//! Which steps an edit means: by name, position, scope (a branch, a
//! parallel group), exclusion ("every step except save") or as readers of
//! another ("the step that reads the users"). Several equal matches become
//! a question, never a guess.

use crate::core::model::{Step, StepKind};
use crate::core::tree;

use super::super::refs::{Found, content, resolve, resolve_among};
use super::super::text::{Tok, quoted_list, tokenize};
use super::{EditContext, Plan};

impl EditContext<'_> {
    pub(super) fn step(&self, id: &str) -> Option<&Step> {
        tree::find(&self.workflow.steps, id)
    }

    /// An input the step neither has nor its skill declares is a guess
    /// about what the user meant: ask instead of adding it.
    pub(super) fn check_input(&self, id: &str, input: &str) -> Result<(), Plan> {
        let Some(step) = self.step(id) else {
            return Ok(());
        };
        let mut known: Vec<String> = step.inputs.keys().cloned().collect();
        if let StepKind::Skill { skill } = &step.kind
            && let Some(skill) = self.skills.iter().find(|known| &known.name == skill)
        {
            for declared in skill.input_names() {
                if !known.iter().any(|name| name == declared) {
                    known.push(declared.to_string());
                }
            }
        }
        if known.is_empty() || known.iter().any(|name| name == input) {
            return Ok(());
        }
        Err(Plan::Ask(format!(
            "'{id}' has no input '{input}'; its inputs are {}. Which one do you mean?",
            quoted_list(&known, "and")
        )))
    }

    /// The id of the existing step whose every word the phrase says
    /// ("fetch users" → fetch-users).
    pub(super) fn existing_named(&self, phrase: &[Tok]) -> Option<String> {
        let words: Vec<&str> = phrase.iter().map(|tok| tok.word.as_str()).collect();
        let matching: Vec<String> = self
            .all_ids()
            .into_iter()
            .filter(|id| id.split(['-', '_']).all(|part| words.contains(&part)))
            .collect();
        match matching.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        }
    }

    pub(super) fn all_ids(&self) -> Vec<String> {
        tree::walk(self.workflow)
            .into_iter()
            .map(|visited| visited.step.id.clone())
            .collect()
    }

    pub(super) fn step_list(&self) -> String {
        let ids = self.all_ids();
        quoted_list(&ids, "and")
    }

    pub(super) fn last_answer(&self) -> Option<Vec<Tok>> {
        self.answers.last().map(|answer| tokenize(answer))
    }

    /// The steps a phrase names (several when joined by "and").
    /// The steps that run something (not the containers around them).
    pub(super) fn runnable_ids(&self) -> Vec<String> {
        tree::walk(self.workflow)
            .into_iter()
            .filter(|visited| {
                matches!(
                    visited.step.kind,
                    StepKind::Skill { .. } | StepKind::Agent { .. }
                )
            })
            .map(|visited| visited.step.id.clone())
            .collect()
    }

    /// "each certificate check", "the checks", for a parallel group of
    /// checks: the steps in it, not the group.
    fn members_meant(&self, phrase: &[Tok], id: &str) -> Option<Vec<String>> {
        let group = self.step(id)?;
        if !matches!(group.kind, StepKind::Parallel { .. }) {
            return None;
        }
        let every = phrase
            .iter()
            .any(|tok| tok.is_any(&["all", "every", "each"]));
        let plural = phrase.iter().any(|tok| {
            super::super::text::lemma(&tok.word) != tok.word
                && super::super::refs::word_names_step(tok, group) > 0
        });
        if !every && !plural {
            return None;
        }
        let children: Vec<String> = group
            .child_lists()
            .into_iter()
            .flat_map(|(_, children)| children.iter())
            .filter(|child| matches!(child.kind, StepKind::Skill { .. } | StepKind::Agent { .. }))
            .map(|child| child.id.clone())
            .collect();
        (!children.is_empty()).then_some(children)
    }

    pub(super) fn steps(
        &self,
        phrase: &[Tok],
        last: &[String],
        purpose: &str,
    ) -> Result<Vec<String>, Plan> {
        // "every step except save", "the fetch step, not the save step".
        // A "but" with nothing after it ("…, but never wait more than …"
        // read elsewhere) leaves nothing out.
        let names_something = |at: usize| {
            phrase[at + 1..]
                .iter()
                .any(|tok| !tok.is_punctuation() && !super::super::text::is_stopword(&tok.word))
        };
        if let Some(at) = phrase.iter().enumerate().position(|(at, tok)| {
            (tok.is_any(&["except", "excluding", "but", "besides"])
                || (tok.is("not")
                    && phrase
                        .iter()
                        .any(|other| other.is(",") && other.start < tok.start)))
                && names_something(at)
        }) {
            let excluded_phrase: Vec<Tok> = phrase[at + 1..]
                .iter()
                .filter(|tok| !tok.is_any(&["for", "the", "not"]))
                .cloned()
                .collect();
            let excluded = self.steps(&excluded_phrase, &[], "should be left out")?;
            let included = self.steps(&phrase[..at], last, purpose)?;
            let kept: Vec<String> = included
                .into_iter()
                .filter(|id| !excluded.contains(id))
                .collect();
            if kept.is_empty() {
                return Err(Plan::Say(format!(
                    "Leaving out {} leaves no step to change; nothing changed.",
                    quoted_list(&excluded, "and")
                )));
            }
            return Ok(kept);
        }
        if let Some(readers) = self.readers_named(phrase)? {
            return Ok(readers);
        }
        // "in the then branch, … the only step": one phrase, commas or not.
        if super::super::refs::container_named(phrase, self.workflow).is_some() {
            let joined: Vec<Tok> = phrase
                .iter()
                .filter(|tok| !tok.is_any(&[",", "and"]))
                .cloned()
                .collect();
            if let Found::One(id) = resolve(&joined, self.workflow) {
                return Ok(vec![id]);
            }
        }
        // "everything in the fan-out", "all steps of the else branch".
        let positioned = phrase.iter().any(|tok| {
            tok.is_any(&["first", "last", "final", "only", "penultimate"])
                || super::super::text::ordinal(&tok.word).is_some()
        });
        if let Some((_, list)) = super::super::refs::container_named(phrase, self.workflow)
            && !positioned
            && (phrase
                .iter()
                .any(|tok| tok.is_any(&["everything", "all", "every", "each"]))
                || super::super::refs::content(phrase)
                    .iter()
                    .all(|tok| tok.is_any(super::super::refs::CONTAINER_WORDS) || list.is_empty()))
        {
            let ids: Vec<String> = list
                .iter()
                .filter(|step| matches!(step.kind, StepKind::Skill { .. } | StepKind::Agent { .. }))
                .map(|step| step.id.clone())
                .collect();
            if !ids.is_empty() {
                return Ok(ids);
            }
        }
        let mut found: Vec<String> = Vec::new();
        let mut unmatched: Vec<String> = Vec::new();
        if phrase
            .iter()
            .any(|tok| tok.is_any(&["everything", "everywhere"]))
            || (phrase
                .iter()
                .any(|tok| tok.is_any(&["all", "every", "each"]))
                && phrase.iter().any(|tok| tok.is_any(&["step", "steps"])))
        {
            return Ok(self.runnable_ids());
        }
        for group in phrase.split(|tok| tok.is_any(&["and", ",", "&", "plus"])) {
            if content(group).is_empty()
                && !group
                    .iter()
                    .any(|tok| tok.is_any(&["first", "last", "final", "second", "third"]))
            {
                continue;
            }
            match resolve(group, self.workflow) {
                Found::One(id) => match self.members_meant(group, &id) {
                    Some(children) => found.extend(children),
                    None => found.push(id),
                },
                // "both fetches", "all the fetch steps": every match.
                Found::Many(candidates)
                    if (group.iter().any(|tok| tok.is("both")) && candidates.len() == 2)
                        || group.iter().any(|tok| tok.is_any(&["all", "every", "each"]))
                        // "the fetches": a plural naming every candidate.
                        || group.iter().any(|tok| {
                            let singular = super::super::text::lemma(&tok.word);
                            singular != tok.word
                                && candidates.iter().all(|id| id.contains(singular.as_str()))
                        }) =>
                {
                    found.extend(candidates)
                }
                Found::Many(candidates) => match self
                    .last_answer()
                    .map(|answer| resolve_among(&answer, self.workflow, Some(&candidates)))
                {
                    Some(Found::One(id)) => found.push(id),
                    _ => {
                        return Err(Plan::Ask(format!(
                            "Which step do you mean: {}?",
                            quoted_list(&candidates, "or")
                        )));
                    }
                },
                Found::Nothing => unmatched.push(
                    content(group)
                        .iter()
                        .map(|tok| tok.raw.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            }
        }
        found.dedup();
        if !found.is_empty() {
            return Ok(found);
        }
        if let Some(answer) = self.last_answer()
            && let Found::One(id) = resolve(&answer, self.workflow)
        {
            return Ok(vec![id]);
        }
        if !unmatched.is_empty() {
            return Err(Plan::Say(format!(
                "I could not find a step matching '{}' in '{}', so I changed nothing. Its steps are {}.",
                unmatched.join(" "),
                self.name,
                self.step_list()
            )));
        }
        if !last.is_empty() {
            return Ok(last.to_vec());
        }
        if let Some(scope) = self.scope_step {
            return Ok(vec![scope.to_string()]);
        }
        let ids = self.all_ids();
        if ids.len() == 1 {
            return Ok(ids);
        }
        Err(Plan::Ask(format!(
            "Which step {purpose}? The steps are {}.",
            quoted_list(&ids, "and")
        )))
    }

    /// "the step that reads the users", "the steps using fetch's data":
    /// the readers of what follows. `None` when the phrase says no such
    /// thing; a question when several steps read it.
    pub(super) fn readers_named(&self, phrase: &[Tok]) -> Result<Option<Vec<String>>, Plan> {
        let Some(verb) = phrase.iter().position(|tok| {
            tok.is_any(&[
                "reads",
                "reading",
                "read",
                "consumes",
                "consuming",
                "consume",
                "uses",
                "using",
                "takes",
                "taking",
                "gets",
                "receives",
                "receiving",
            ])
        }) else {
            return Ok(None);
        };
        let introduced = verb > 0
            && (phrase[verb - 1].is_any(&["that", "which", "who", "step", "steps"])
                || phrase[verb].word.ends_with("ing"));
        if !introduced {
            return Ok(None);
        }
        let object = &phrase[verb + 1..];
        let producer = match resolve(object, self.workflow) {
            Found::One(id) => id,
            _ => return Ok(None),
        };
        let output = self.step(&producer).and_then(|step| {
            step.outputs
                .iter()
                .find(|output| object.iter().any(|tok| tok.word == output.to_lowercase()))
                .cloned()
        });
        let readers: Vec<String> = tree::walk(self.workflow)
            .into_iter()
            .filter(|visited| {
                visited.step.inputs.values().any(|value| {
                    value
                        .as_str()
                        .and_then(|text| text.split_once('.'))
                        .is_some_and(|(step, read)| {
                            step == producer
                                && output.as_deref().is_none_or(|output| output == read)
                        })
                })
            })
            .map(|visited| visited.step.id.clone())
            .collect();
        match readers.len() {
            0 => Err(Plan::Say(format!(
                "No step reads {}; nothing changed. The steps are {}.",
                match &output {
                    Some(output) => format!("'{producer}.{output}'"),
                    None => format!("the output of '{producer}'"),
                },
                self.step_list()
            ))),
            1 => Ok(Some(readers)),
            _ => Err(Plan::Ask(format!(
                "Several steps read it: {}. Which one do you mean?",
                quoted_list(&readers, "or")
            ))),
        }
    }

    pub(super) fn one_step(
        &self,
        phrase: &[Tok],
        last: &[String],
        purpose: &str,
    ) -> Result<String, Plan> {
        let steps = self.steps(phrase, last, purpose)?;
        match steps.as_slice() {
            [one] => Ok(one.clone()),
            several => Err(Plan::Ask(format!(
                "Which one step {purpose}: {}?",
                quoted_list(several, "or")
            ))),
        }
    }
}
