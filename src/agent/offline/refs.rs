//! Which step a phrase means: by id, skill, output name, the words of its
//! id or description, synonyms ("the API call" → the step running
//! `http-fetch`), or position ("the first step", "the last one"). Scores
//! are compared strongest match first, then by how many words matched; two
//! steps that tie are reported as such, never guessed between.

use crate::core::StepKind;
use crate::core::Workflow;
use crate::core::model::Step;
use crate::core::tree;

use super::concepts::{CONCEPTS, concepts_of};
use super::text::{Tok, is_stopword, ordinal, same_stem, stem};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Found {
    One(String),
    /// Steps that match equally well.
    Many(Vec<String>),
    Nothing,
}

/// Outputs too generic to name a step by.
const GENERIC_OUTPUTS: &[&str] = &[
    "data", "result", "results", "output", "outputs", "response", "value", "items",
];

/// Words that are not about which step: positions handled apart, pronouns.
fn is_filler(tok: &Tok) -> bool {
    tok.is_punctuation()
        || is_stopword(&tok.word)
        || tok.is_any(&[
            "first", "last", "final", "previous", "next", "other", "thing", "please",
        ])
}

/// The words of a phrase that could name a step.
pub(super) fn content(phrase: &[Tok]) -> Vec<&Tok> {
    phrase.iter().filter(|tok| !is_filler(tok)).collect()
}

/// A step named by position among the top-level steps.
fn by_position(phrase: &[Tok], workflow: &Workflow) -> Option<String> {
    let steps = &workflow.steps;
    for (index, tok) in phrase.iter().enumerate() {
        let next = phrase.get(index + 1).map(|tok| tok.word.as_str());
        let previous = index.checked_sub(1).map(|at| phrase[at].word.as_str());
        // "step 2", "step #2"
        if tok.is("step")
            && let Some(number) =
                next.and_then(|word| word.trim_start_matches('#').parse::<usize>().ok())
        {
            return number
                .checked_sub(1)
                .and_then(|at| steps.get(at))
                .map(|step| step.id.clone());
        }
        // "second to last" is a position of its own, not "second".
        if tok.is_any(&["second", "next"])
            && (matches!(next, Some("last" | "final"))
                || (next == Some("to")
                    && phrase
                        .get(index + 2)
                        .is_some_and(|after| after.is_any(&["last", "final"]))))
        {
            return steps
                .len()
                .checked_sub(2)
                .and_then(|at| steps.get(at))
                .map(|step| step.id.clone());
        }
        let standalone = matches!(
            next,
            None | Some("step" | "one" | "stage" | "task" | "," | "and")
        ) || previous == Some("the");
        if !standalone {
            continue;
        }
        let position = match tok.word.as_str() {
            // "the second-to-last step", "next to last"
            "second-to-last" | "next-to-last" | "penultimate" => steps.len().checked_sub(2),
            "last" | "final" => steps.len().checked_sub(1),
            word => ordinal(word).and_then(|n| n.checked_sub(1)),
        };
        if let Some(position) = position {
            return steps.get(position).map(|step| step.id.clone());
        }
    }
    None
}

fn parts(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(str::to_lowercase)
}

/// A word of a phrase, prepared once for scoring every step.
struct Word<'a> {
    word: &'a str,
    stem: String,
    concepts: Vec<usize>,
}

fn prepare(phrase: &[Tok]) -> Vec<Word<'_>> {
    phrase
        .iter()
        .filter(|tok| !is_filler(tok))
        .map(|tok| Word {
            word: &tok.word,
            stem: stem(&tok.word),
            concepts: concept_indices(&tok.word),
        })
        .collect()
}

fn concept_indices(word: &str) -> Vec<usize> {
    concepts_of(word)
        .filter_map(|concept| {
            CONCEPTS
                .iter()
                .position(|known| std::ptr::eq(known, concept))
        })
        .collect()
}

/// A step's names, prepared once for scoring every word.
struct Names {
    id: String,
    id_stems: Vec<String>,
    skill: Option<String>,
    skill_stems: Vec<String>,
    outputs: Vec<String>,
    /// What the step reads ("summarize.summary" → "summary"): "the
    /// summary email" is the email that sends the summary.
    carried: Vec<String>,
    description_stems: Vec<String>,
    /// The stem of the description's first word: what the step does.
    action: Option<String>,
    concepts: Vec<usize>,
}

/// The stems of a name's parts, with the words its short forms stand for
/// ("pg" → "postgres").
fn stems_of(name: &str) -> Vec<String> {
    let mut stems = Vec::new();
    for part in parts(name).filter(|part| !is_stopword(part)) {
        stems.extend(
            crate::core::vocabulary::expand(&part)
                .iter()
                .map(|long| stem(long)),
        );
        stems.push(stem(&part));
    }
    stems
}

fn names(step: &Step) -> Names {
    let mut concepts = Vec::new();
    for name in std::iter::once(step.id.as_str()).chain(step.skill_name()) {
        for part in parts(name) {
            for index in concept_indices(&part) {
                if !concepts.contains(&index) {
                    concepts.push(index);
                }
            }
        }
    }
    Names {
        id: step.id.to_lowercase(),
        id_stems: stems_of(&step.id),
        skill: step.skill_name().map(str::to_lowercase),
        skill_stems: step.skill_name().map(stems_of).unwrap_or_default(),
        outputs: step
            .outputs
            .iter()
            .map(|output| output.to_lowercase())
            .collect(),
        carried: step
            .inputs
            .values()
            .filter_map(|value| value.as_str())
            .filter(|text| !text.starts_with("context."))
            .filter_map(|text| text.split_once('.'))
            .map(|(_, output)| output.to_lowercase())
            .filter(|output| !GENERIC_OUTPUTS.contains(&output.as_str()))
            .collect(),
        description_stems: step
            .description
            .as_deref()
            .map(|description| {
                description
                    .to_lowercase()
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|part| part.len() >= 3 && !is_stopword(part))
                    .map(stem)
                    .collect()
            })
            .unwrap_or_default(),
        action: step.description.as_deref().and_then(|description| {
            description
                .split(|c: char| !c.is_alphanumeric())
                .find(|word| !word.is_empty())
                .map(|word| stem(&word.to_lowercase()))
        }),
        concepts,
    }
}

/// How well one word names a step.
fn word_score(word: &Word, names: &Names) -> u32 {
    // "symbolication" is what `symbolicate` does, as "notification" is what
    // `notify` does (the stem reads the latter).
    let verb_stem = word
        .word
        .strip_suffix("ication")
        .map(|base| format!("{base}icat"));
    // Short plurals ("prs", "ids") are too short for a stem: "PR" is one
    // of the `prs`.
    let plural_of = |part: &str| {
        part.strip_suffix('s') == Some(word.word) || word.word.strip_suffix('s') == Some(part)
    };
    let same = |stems: &[String]| {
        stems.iter().any(|part| {
            same_stem(part, &word.stem)
                || plural_of(part)
                || verb_stem
                    .as_deref()
                    .is_some_and(|verb| same_stem(part, verb))
        })
    };
    // "the scoring step": a gerund names what a step does, which its
    // description says first ("Score every customer"), before a step that
    // merely carries scores.
    let gerund_action = word.word.ends_with("ing")
        && names
            .action
            .as_deref()
            .is_some_and(|action| same_stem(action, &word.stem));
    if word.word == names.id {
        100
    } else if names.skill.as_deref() == Some(word.word) {
        90
    } else if gerund_action {
        80
    } else if same(&names.id_stems) {
        75
    } else if names.outputs.iter().any(|output| output == word.word) {
        if GENERIC_OUTPUTS.contains(&word.word) {
            30
        } else {
            65
        }
    } else if same(&names.skill_stems) {
        55
    } else if word
        .concepts
        .iter()
        .any(|index| names.concepts.contains(index))
    {
        40
    } else if same(&names.description_stems) {
        20
    } else if names.carried.iter().any(|carried| carried == word.word) {
        15
    } else {
        0
    }
}

/// How well one word names the step (0: not at all): by its id, skill,
/// an output, a synonym of either, or a word of its description. A
/// hyphenated word ("on-call") names it when each of its parts does.
pub(super) fn word_names_step(tok: &Tok, step: &Step) -> u32 {
    if is_filler(tok) {
        return 0;
    }
    let names = names(step);
    let score = |word: &str| {
        word_score(
            &Word {
                word,
                stem: stem(word),
                concepts: concept_indices(word),
            },
            &names,
        )
    };
    let whole = score(&tok.word);
    if whole > 0 || !tok.word.contains('-') {
        return whole;
    }
    // "the on-call page": the compound as the description writes it.
    if step
        .description
        .as_deref()
        .is_some_and(|description| description.to_lowercase().contains(&tok.word))
    {
        return 60;
    }
    let parts: Vec<u32> = tok
        .word
        .split('-')
        .filter(|part| !part.is_empty() && !is_stopword(part))
        .map(score)
        .collect();
    if !parts.is_empty() && parts.iter().all(|score| *score > 0) {
        parts.into_iter().min().unwrap_or(0)
    } else {
        0
    }
}

/// (strongest match, sum of matches) of a phrase for a step, by its names.
fn phrase_score(phrase: &[Tok], words: &[Word], names: &Names) -> (u32, u32) {
    let mut best = 0;
    let mut sum = 0;
    for word in words {
        let score = word_score(word, names);
        best = best.max(score);
        sum += score;
    }
    // Ids written as words: "fetch users" → fetch-users.
    for width in 2..=3 {
        for window in phrase.windows(width) {
            let words: Vec<&str> = window.iter().map(|tok| tok.word.as_str()).collect();
            if [words.join("-"), words.join("_"), words.concat()].contains(&names.id) {
                best = best.max(100);
                sum += 100;
            }
        }
    }
    (best, sum)
}

/// The step (or steps) a phrase means.
pub(super) fn resolve(phrase: &[Tok], workflow: &Workflow) -> Found {
    if let Some(found) = within_container(phrase, workflow) {
        return found;
    }
    if let Some(id) = by_position(phrase, workflow) {
        return Found::One(id);
    }
    // "pack more patience into the encryption step": the word before
    // "step" names it, whatever else the phrase says.
    let mut named: Vec<String> = Vec::new();
    for (at, tok) in phrase.iter().enumerate().skip(1) {
        let before = &phrase[at - 1];
        if tok.is("step")
            && !before.is_punctuation()
            && !is_stopword(&before.word)
            && let Found::One(id) = resolve_among(std::slice::from_ref(before), workflow, None)
            && !named.contains(&id)
        {
            named.push(id);
        }
    }
    if let [id] = named.as_slice() {
        return Found::One(id.clone());
    }
    one_of_alike_members(phrase, workflow, resolve_among(phrase, workflow, None))
}

/// "the inverter poll" for a parallel group `poll-inverters` of two polls
/// running one skill: one poll is meant, which one is asked. The group is
/// meant when the phrase says so: "the polls", "both", "the group".
fn one_of_alike_members(phrase: &[Tok], workflow: &Workflow, found: Found) -> Found {
    let Found::One(id) = &found else {
        return found;
    };
    let Some(step) = tree::find(&workflow.steps, id) else {
        return found;
    };
    let StepKind::Parallel { steps: members } = &step.kind else {
        return found;
    };
    let skills: Vec<Option<&str>> = members.iter().map(Step::skill_name).collect();
    let alike =
        members.len() >= 2 && skills[0].is_some() && skills.iter().all(|skill| *skill == skills[0]);
    let id_parts: Vec<&str> = id.split(['-', '_']).collect();
    // A word said as the group's id says it, plural and all.
    let says_the_group = phrase.iter().any(|tok| {
        tok.is_any(&[
            "group", "all", "both", "each", "every", "parallel", "together",
        ]) || (tok.word.ends_with('s') && id_parts.contains(&tok.word.as_str()))
    });
    // The singular of a plural part of the group's id.
    let singular = phrase.iter().any(|tok| {
        id_parts
            .iter()
            .any(|part| part.strip_suffix('s') == Some(tok.word.as_str()))
    });
    if alike && singular && !says_the_group {
        return Found::Many(members.iter().map(|member| member.id.clone()).collect());
    }
    found
}

/// The words that name a container rather than a step in it.
pub(super) const CONTAINER_WORDS: &[&str] = &[
    "then",
    "else",
    "otherwise",
    "branch",
    "parallel",
    "group",
    "fan-out",
    "fanout",
];

/// The steps a phrase scopes to: "the else branch", "the parallel group",
/// "the fan-out" (a container's id in words). Returns the container's id
/// and the list meant.
pub(super) fn container_named<'w>(
    phrase: &[Tok],
    workflow: &'w Workflow,
) -> Option<(String, Vec<&'w Step>)> {
    let visited = tree::walk(workflow);
    let words: Vec<&str> = phrase.iter().map(|tok| tok.word.as_str()).collect();
    let says = |word: &str| words.contains(&word);
    let branch = if says("then") && says("branch") {
        Some(false)
    } else if (says("else") || says("otherwise")) && says("branch") {
        Some(true)
    } else {
        None
    };
    let joined = words.join("");
    let named = |step: &Step| {
        let id = step.id.replace(['-', '_'], "");
        id.len() > 2
            && (joined.contains(&id) || words.iter().any(|word| word.replace('-', "") == id))
    };
    let containers: Vec<&Step> = visited
        .iter()
        .map(|entry| entry.step)
        .filter(|step| match (&step.kind, branch) {
            (StepKind::Conditional { .. }, Some(_)) => true,
            (StepKind::Parallel { .. }, None) => {
                says("group") && says("parallel")
                    || says("fan-out")
                    || says("fanout")
                    || named(step)
            }
            _ => false,
        })
        .collect();
    let container = match containers.as_slice() {
        [only] => *only,
        several => *several.iter().find(|step| named(step))?,
    };
    let list: Vec<&Step> = match (&container.kind, branch) {
        (StepKind::Conditional { then, .. }, Some(false)) => then.iter().collect(),
        (StepKind::Conditional { otherwise, .. }, Some(true)) => otherwise.iter().collect(),
        (StepKind::Parallel { steps }, _) => steps.iter().collect(),
        _ => return None,
    };
    Some((container.id.clone(), list))
}

/// A phrase about a step inside a container: by position ("the first step
/// in the parallel group", "the last step of the fan-out", "the only step
/// of the then branch"), the container itself ("the whole parallel group"),
/// or by name among its steps.
fn within_container(phrase: &[Tok], workflow: &Workflow) -> Option<Found> {
    let (container, list) = container_named(phrase, workflow)?;
    if phrase.iter().any(|tok| tok.is_any(&["whole", "entire"])) {
        return Some(Found::One(container));
    }
    let ids: Vec<String> = list.iter().map(|step| step.id.clone()).collect();
    for (index, tok) in phrase.iter().enumerate() {
        let position = match tok.word.as_str() {
            "only" if ids.len() == 1 => Some(0),
            "last" | "final" => ids.len().checked_sub(1),
            "penultimate" => ids.len().checked_sub(2),
            word => ordinal(word).and_then(|n| n.checked_sub(1)),
        };
        // "second" as a time unit never follows "the".
        let positional = index == 0 || !phrase[index - 1].word.chars().all(|c| c.is_ascii_digit());
        if let Some(position) = position.filter(|_| positional)
            && let Some(id) = ids.get(position)
        {
            return Some(Found::One(id.clone()));
        }
    }
    // Otherwise the words that remain pick among the container's steps.
    let rest: Vec<Tok> = phrase
        .iter()
        .filter(|tok| {
            !tok.is_any(CONTAINER_WORDS) && !tok.is_any(&["in", "of", "inside", "within"])
        })
        .cloned()
        .collect();
    if content(&rest).is_empty() {
        return None;
    }
    match resolve_among(&rest, workflow, Some(&ids)) {
        Found::Nothing => None,
        found => Some(found),
    }
}

/// Like [`resolve`], only among `candidates` when given (an answer to
/// "which one?").
pub(super) fn resolve_among(
    phrase: &[Tok],
    workflow: &Workflow,
    candidates: Option<&[String]>,
) -> Found {
    let mut best: (usize, u32, u32) = (0, 0, 0);
    let mut ids: Vec<String> = Vec::new();
    let visited = tree::walk(workflow);
    let words = prepare(phrase);
    // Each step's names, read once for every word.
    let all_names: Vec<Names> = visited.iter().map(|entry| names(entry.step)).collect();
    let steps: Vec<usize> = match candidates {
        Some(candidates) => {
            // Positions within the candidates: "the first one", "the second".
            for tok in phrase {
                let position = match tok.word.as_str() {
                    "last" | "latter" => candidates.len().checked_sub(1),
                    "former" => Some(0),
                    word => ordinal(word).and_then(|n| n.checked_sub(1)),
                };
                if let Some(id) = position.and_then(|at| candidates.get(at)) {
                    return Found::One(id.clone());
                }
            }
            (0..visited.len())
                .filter(|&at| candidates.contains(&visited[at].step.id))
                .collect()
        }
        None => (0..visited.len()).collect(),
    };
    // A word that is a step's name ("downloads" for `download`) names that
    // step; it does not also name another step that does the same kind of
    // thing ("the scene downloads" is not `fetch-scene`).
    let named_by_id: Vec<bool> = words
        .iter()
        .map(|word| all_names.iter().any(|names| word_score(word, names) >= 75))
        .collect();
    for at in steps {
        let step = visited[at].step;
        let names = &all_names[at];
        let (strongest, sum) = phrase_score(phrase, &words, names);
        if strongest == 0 {
            continue;
        }
        // "the CDN upload": the step more of the words name, before the
        // one a single word names strongly.
        let mut said = 0;
        let mut sum = sum;
        for (word, named) in words.iter().zip(&named_by_id) {
            let score = word_score(word, names);
            if score >= 55 || (score >= 40 && !named) {
                said += 1;
            } else if *named && score >= 40 {
                sum -= score;
            }
        }
        let score = (said, strongest, sum);
        if score > best {
            best = score;
            ids.clear();
        }
        if score == best {
            ids.push(step.id.clone());
        }
    }
    // "the alert" matching both a conditional and the alert step inside
    // it means the step: a container of another match is not a candidate.
    if ids.len() > 1 {
        let contains = |outer: &str, inner: &str| {
            tree::find(&workflow.steps, outer).is_some_and(|step| {
                step.child_lists()
                    .iter()
                    .any(|(_, children)| tree::find(children, inner).is_some())
            })
        };
        let innermost: Vec<String> = ids
            .iter()
            .filter(|outer| {
                !ids.iter()
                    .any(|inner| inner != *outer && contains(outer, inner))
            })
            .cloned()
            .collect();
        if !innermost.is_empty() {
            ids = innermost;
        }
    }
    match ids.len() {
        0 => Found::Nothing,
        1 => Found::One(ids.remove(0)),
        _ => Found::Many(ids),
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;

    fn pipeline() -> Workflow {
        Workflow::from_json_str(include_str!("../../../tests/fixtures/data-pipeline.json"))
            .expect("fixture")
    }

    fn find(text: &str, workflow: &Workflow) -> Found {
        resolve(&tokenize(text), workflow)
    }

    fn one(id: &str) -> Found {
        Found::One(id.into())
    }

    #[test]
    fn steps_are_found_by_id_skill_output_synonym_and_position() {
        let workflow = pipeline();
        assert_eq!(find("the fetch step", &workflow), one("fetch"));
        assert_eq!(find("db-writer", &workflow), one("save"));
        assert_eq!(find("the validation", &workflow), one("validate"));
        assert_eq!(find("the API call", &workflow), one("fetch"));
        assert_eq!(find("the request", &workflow), one("fetch"));
        assert_eq!(find("the download", &workflow), one("fetch"));
        assert_eq!(find("the database", &workflow), one("save"));
        assert_eq!(find("the validated output", &workflow), one("validate"));
        assert_eq!(find("the first step", &workflow), one("fetch"));
        assert_eq!(find("the last one", &workflow), one("save"));
        assert_eq!(find("step 2", &workflow), one("validate"));
        assert_eq!(find("the data validation", &workflow), one("validate"));
        assert_eq!(find("the frobnicator", &workflow), Found::Nothing);
    }

    #[test]
    fn equal_matches_are_reported_not_guessed() {
        let workflow = Workflow::from_value(serde_json::json!({"name": "w", "steps": [
            {"id": "fetch-users", "type": "skill", "skill": "http-fetch", "outputs": ["users"]},
            {"id": "fetch-orders", "type": "skill", "skill": "http-fetch", "outputs": ["orders"]}]}))
        .expect("workflow");
        assert_eq!(
            find("the API call", &workflow),
            Found::Many(vec!["fetch-users".into(), "fetch-orders".into()])
        );
        assert_eq!(find("the users fetch", &workflow), one("fetch-users"));
        assert_eq!(find("fetch orders", &workflow), one("fetch-orders"));
        let candidates = vec!["fetch-users".to_string(), "fetch-orders".to_string()];
        assert_eq!(
            resolve_among(&tokenize("the second one"), &workflow, Some(&candidates)),
            one("fetch-orders")
        );
        assert_eq!(
            resolve_among(&tokenize("orders"), &workflow, Some(&candidates)),
            one("fetch-orders")
        );
    }
}
