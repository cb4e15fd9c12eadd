//! Building steps from words: a whole workflow from a description
//! ("fetch data from the API, validate it, and save it to the database"),
//! and single steps for "add a logging step after fetch".
//!
//! A description is split into clauses (commas, "then", "and", semicolons);
//! each clause becomes a step whose skill is an existing one when one fits,
//! else a proposed new skill; each step reads the previous step's output;
//! literals (URLs, paths, table names, addresses, thresholds) are lifted
//! into `context.readonly` and referenced. "if …"/"only when …" clauses make
//! conditional steps, "in parallel"/"at the same time" parallel ones.

use crate::core::Workflow;
use crate::core::model::{JsonMap, Step, StepKind};
use crate::core::skill::{Port, Skill};

use super::build::{PREPOSITIONS, is_path, is_url, literals, strip_fillers};
use super::concepts::concepts_of;
use super::text::{Tok, capitalise, is_stopword, kebab, number, raw_span};

use super::build::{Builder, Producer};
use super::clauses::{Item, items};

/// A new workflow, ready for `create_workflow`.
pub(super) struct Creation {
    pub workflow: Workflow,
    pub new_skills: Vec<Skill>,
    pub reasoning: String,
    /// Words of the description the workflow does not account for.
    pub unaccounted: Vec<String>,
    /// A condition reads no output a skill declares: which one holds it?
    pub question: Option<String>,
}

/// Why no workflow was built: it cannot be, or a question must be
/// answered first.
pub(super) enum NotCreated {
    Cannot(String),
    Ask(String),
}

impl From<&str> for NotCreated {
    fn from(reason: &str) -> Self {
        NotCreated::Cannot(reason.to_string())
    }
}

/// Words before the description proper: "create a workflow that …".
fn description_start(toks: &[Tok]) -> usize {
    // "a workflow that …", "new pipeline:", not "the applications for job
    // ENG-4410", where a job is a thing the workflow works on.
    // "could you set up something that turns …": what is set up is said
    // after "something that".
    let marker = toks.iter().enumerate().position(|(at, tok)| {
        (tok.is_any(&[
            "workflow",
            "pipeline",
            "flow",
            "automation",
            "job",
            "process",
            "routine",
        ]) && (at == 0
            || toks[at - 1].is_any(&["a", "an", "new", "the", "my", "our", "this", "simple"])))
            || (tok.is("something")
                && toks
                    .get(at + 1)
                    .is_some_and(|next| next.is_any(&["that", "which", "to"])))
    });
    match marker {
        Some(at) if at <= 6 => {
            let mut start = at + 1;
            while toks.get(start).is_some_and(|tok| {
                tok.is_any(&[
                    "that", "which", "to", "for", ":", "where", "it", "should", "will", "named",
                    "called",
                ]) || tok.is_punctuation()
            }) {
                // "named X" gives the name, not a step.
                if toks[start].is_any(&["named", "called"]) {
                    start += 1;
                }
                start += 1;
            }
            start
        }
        _ => 0,
    }
}

/// The name a description suggests: its first clause's object and
/// "pipeline" ("fetch data from …" → "data-pipeline").
pub(super) fn suggest_name(toks: &[Tok], taken: &[String]) -> String {
    let body = &toks[description_start(toks)..];
    let items = items(body);
    let first = items.iter().find_map(|item| match item {
        Item::Action(clause) => Some(clause.clone()),
        Item::Parallel(members) => members.first().cloned(),
        Item::Conditional { then, .. } => then.first().cloned(),
        Item::ForEach { action, .. } => Some(action.clone()),
    });
    let nouns: Vec<String> = first
        .map(|clause| {
            let clause = strip_fillers(&clause).to_vec();
            // "figure out whether the reviews …": past the verb's particle
            // and the conjunction.
            let start = clause
                .iter()
                .skip(1)
                .position(|tok| {
                    !tok.is_any(&[
                        "out", "up", "whether", "which", "how", "what", "much", "many",
                    ])
                })
                .map_or(1, |at| at + 1);
            let end = clause
                .iter()
                .skip(start)
                .position(|tok| PREPOSITIONS.contains(&tok.word.as_str()))
                .map_or(clause.len(), |at| at + start);
            clause[start.min(end)..end]
                .iter()
                .filter(|tok| {
                    !is_stopword(&tok.word)
                        && !is_url(&tok.raw)
                        && !is_path(&tok.raw)
                        && number(&tok.word).is_none()
                })
                .map(|tok| tok.word.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut words: Vec<&str> = nouns.iter().map(String::as_str).take(2).collect();
    if words.is_empty()
        && let Some(concept) = toks.iter().find_map(|tok| concepts_of(&tok.word).next())
    {
        words.push(concept.key);
    }
    words.push("pipeline");
    let base = kebab(&words);
    std::iter::once(base.clone())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|candidate| !taken.contains(candidate))
        .expect("a free name")
}

/// Two-word verbs read as one ("add up the totals" sums; "work out the
/// sha-256 of the export" calculates): "add" or "work" alone would not read
/// as the step meant.
fn phrasal_verbs(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut index = 0;
    while index < toks.len() {
        let particle = |word: &str| toks.get(index + 1).is_some_and(|next| next.is(word));
        // "work out the …" (not "work out whether …").
        let thing_follows = toks
            .get(index + 2)
            .is_some_and(|next| next.is_any(&["the", "a", "an", "each", "every", "their", "its"]));
        let joined = if toks[index].is("add") && particle("up") {
            Some(("sum", format!("{} up", toks[index].raw)))
        } else if toks[index].is_any(&["work", "figure"]) && particle("out") && thing_follows {
            // The step says it as the verb it reads ("Calculate the …").
            Some(("calculate", "calculate".to_string()))
        } else {
            None
        };
        if let Some((word, raw)) = joined {
            let mut verb = toks[index].clone();
            verb.word = word.into();
            verb.raw = raw;
            verb.end = toks[index + 1].end;
            out.push(verb);
            index += 2;
            continue;
        }
        out.push(toks[index].clone());
        index += 1;
    }
    out
}

/// "let #marketing on mattermost know": tells them, as "notify" does.
fn letting_know_is_notifying(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut know_at: Option<usize> = None;
    for (index, tok) in toks.iter().enumerate() {
        if Some(index) == know_at {
            continue;
        }
        if tok.is("let")
            && let Some(offset) = toks[index + 1..]
                .iter()
                .take(6)
                .position(|next| next.is("know"))
            && offset > 0
            && !toks[index + 1..index + 1 + offset]
                .iter()
                .any(|between| between.is_punctuation() || between.is_any(&["it", "them"]))
        {
            know_at = Some(index + 1 + offset);
            let mut notify = tok.clone();
            notify.word = "notify".into();
            out.push(notify);
            continue;
        }
        out.push(tok.clone());
    }
    out
}

/// "how much free memory is left on app-02? send it to #infra": a question
/// ends a sentence, and asking how much or how many of something there is
/// checks it.
fn questions_are_checks(text: &str, toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut index = 0;
    while index < toks.len() {
        let tok = &toks[index];
        let sentence_start = out
            .last()
            .is_none_or(|last: &Tok| last.is_any(&[".", ";", ",", ":"]));
        if sentence_start
            && tok.is("how")
            && let Some(next) = toks
                .get(index + 1)
                .filter(|next| next.is_any(&["much", "many"]))
        {
            out.push(Tok {
                word: "check".into(),
                raw: text[tok.start..next.end].to_string(),
                start: tok.start,
                end: next.end,
            });
            index += 2;
            continue;
        }
        out.push(tok.clone());
        if text[tok.end..].starts_with('?') {
            out.push(Tok {
                word: ".".into(),
                raw: "?".into(),
                start: tok.end,
                end: tok.end + 1,
            });
        }
        index += 1;
    }
    out
}

/// Builds the workflow a description asks for.
pub(super) fn create(text: &str, name: &str, skills: &[Skill]) -> Result<Creation, NotCreated> {
    let toks = letting_know_is_notifying(phrasal_verbs(questions_are_checks(
        text,
        super::text::tokenize(text),
    )));
    let body = &toks[description_start(&toks)..];
    // "make the database better": no step says what to do.
    let vague = body.iter().any(|tok| {
        tok.is_any(&[
            "better", "faster", "nicer", "improve", "optimize", "optimise", "smarter",
        ])
    }) && body.iter().filter(|tok| !tok.is_punctuation()).count() <= 8;
    if vague {
        return Err("That says how it should be, not what it should do".into());
    }
    // "you know what to do": not one word says what the workflow does.
    let says_something = body.iter().any(|tok| {
        !tok.is_punctuation()
            && !is_stopword(&tok.word)
            && !tok.is_any(crate::core::vocabulary::FILLERS)
            && !tok.is_any(crate::core::vocabulary::VAGUE_VERBS)
    });
    if !says_something {
        return Err("That does not say what the workflow should do".into());
    }
    // "there's no skill for compressing yet, call the new one X": about
    // the skills, not a step.
    let (body_kept, metas) = split_meta(body);
    let body: &[Tok] = &body_kept;
    let steps_from = &body[heading_end(text, body)..];
    let mut builder = Builder::new(skills, Vec::new(), JsonMap::new());
    let items = {
        let builder = &builder;
        super::clauses::items_with(steps_from, &|clause: &[Tok]| {
            let heard = super::fit::clause_words(clause, &[]);
            builder
                .installed_fitting(clause, &heard)
                .is_some_and(takes_an_address)
        })
    };
    let mut steps: Vec<Step> = Vec::new();
    let mut producers: Vec<Producer> = Vec::new();
    // "take the episode at audio/ep42.mp3, transcribe it": the value the
    // next step works on.
    let mut given: Vec<Tok> = Vec::new();
    let mut introductions: Vec<String> = Vec::new();
    let mut unproduced: Vec<String> = Vec::new();
    for item in items {
        match item {
            Item::Action(clause) => {
                // "take a snapshot of the billing-db-2 instance": an
                // installed skill does what it says, so it is a step.
                let installed_does_it = || {
                    let heard = super::fit::clause_words(&clause, &[]);
                    builder.installed_fitting(&clause, &heard).is_some()
                };
                if let Some(values) = introduces_input(&clause).filter(|_| !installed_does_it()) {
                    given.extend(values);
                    introductions.extend(clause.iter().map(|tok| tok.raw.clone()));
                    continue;
                }
                let mut clause = clause;
                clause.append(&mut given);
                // The first step works on something: when nothing before
                // produces it, an installed skill that does comes first
                // ("save the CPU load of build-03 …" measures it first).
                if steps.is_empty() && producers.is_empty() {
                    match source_for(&clause, &mut builder) {
                        Source::Built(step, rest) => {
                            if let Some(producer) = Producer::of(&step) {
                                producers = vec![producer];
                            }
                            steps.push(*step);
                            clause = rest;
                        }
                        Source::Missing(words) => unproduced.extend(words),
                        Source::NotNeeded => {}
                    }
                }
                if let Some(step) = builder.action(&clause, &producers, false) {
                    if let Some(producer) = Producer::of(&step) {
                        producers = vec![producer];
                    }
                    steps.push(step);
                }
            }
            Item::ForEach {
                noun,
                listed,
                location,
                action,
            } => {
                let things = Things {
                    noun: &noun,
                    listed: &listed,
                    location: &location,
                };
                if let Some(step) = for_each(&mut builder, &things, &action, &producers) {
                    let outputs: Vec<Producer> = match &step.kind {
                        StepKind::Parallel { steps } => {
                            steps.iter().filter_map(Producer::of).collect()
                        }
                        _ => Producer::of(&step).into_iter().collect(),
                    };
                    if !outputs.is_empty() {
                        producers = outputs;
                    }
                    steps.push(step);
                }
            }
            Item::Parallel(members) => {
                let built: Vec<Step> = members
                    .iter()
                    .filter_map(|member| builder.action(member, &producers, true))
                    .collect();
                if built.is_empty() {
                    continue;
                }
                let outputs: Vec<Producer> = built.iter().filter_map(Producer::of).collect();
                let shared = built
                    .iter()
                    .map(|step| step.id.split('-').next().unwrap_or_default())
                    .collect::<Vec<_>>();
                let base = if shared.windows(2).all(|pair| pair[0] == pair[1]) {
                    format!("parallel-{}", shared[0])
                } else {
                    "parallel".to_string()
                };
                let id = builder.unique_id(&base, None, false);
                let mut group = Step::new(id, StepKind::Parallel { steps: built });
                group.description = Some("Run together".to_string());
                steps.push(group);
                if !outputs.is_empty() {
                    producers = outputs;
                }
            }
            Item::Conditional {
                condition,
                negate,
                then,
                otherwise,
            } => {
                // "text me when the root partition on db-02 is more than 90%
                // full": what the condition reads is measured first.
                if steps.is_empty()
                    && let Some(step) = measure_for(&condition, &mut builder)
                {
                    if let Some(producer) = Producer::of(&step) {
                        producers = vec![producer];
                    }
                    steps.push(step);
                }
                let (expression, label) = builder
                    .condition(&condition, negate, &mut steps)
                    .map_err(NotCreated::Ask)?;
                let expression = compare_with_installed(&expression, &mut steps, &mut builder)
                    .unwrap_or(expression);
                builder.inherited = literals(&condition)
                    .into_iter()
                    .map(|(_, literal)| literal)
                    .collect();
                let branch = |clauses: &[Vec<Tok>], builder: &mut Builder| -> Vec<Step> {
                    // Each step of a branch reads the one before it.
                    let mut local = producers.clone();
                    let mut built = Vec::new();
                    for clause in clauses {
                        if let Some(step) = builder.action(clause, &local, false) {
                            if let Some(producer) = Producer::of(&step) {
                                local = vec![producer];
                            }
                            built.push(step);
                        }
                    }
                    built
                };
                let then = branch(&then, &mut builder);
                let otherwise = branch(&otherwise, &mut builder);
                builder.inherited.clear();
                if then.is_empty() {
                    continue;
                }
                let id = builder.unique_id(&kebab(&["if", &label]), None, false);
                let mut step = Step::new(
                    id,
                    StepKind::Conditional {
                        condition: expression,
                        then,
                        otherwise,
                    },
                );
                let words = condition
                    .iter()
                    .filter(|tok| !tok.is_punctuation())
                    .map(|tok| tok.raw.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                step.description = Some(format!(
                    "{} when {words}",
                    if negate { "Not" } else { "Only" }
                ));
                steps.push(step);
            }
        }
    }
    if steps.is_empty() {
        return Err("I could not find any actions in that description".into());
    }
    bridge_interfaces(&mut steps, skills, &mut builder);
    let description = {
        let raw = raw_span(text, body)
            .trim()
            .trim_end_matches('.')
            .to_string();
        // Kept short for `qwf list`, cut between words (never inside one).
        capitalise(&shorten_at_word(&raw, DESCRIPTION_LIMIT))
    };
    if super::text::speaks_of_a_schedule(&toks) {
        builder.notes.push(format!(
            "Schedules are not part of a workflow: run it from cron or another scheduler with `qwf run {name}`."
        ));
    }
    let mut context = crate::core::model::Context::default();
    context.readonly = builder.context.clone();
    let workflow = Workflow {
        name: name.to_string(),
        version: Some("1.0.0".into()),
        description: Some(description),
        steps,
        context,
        extra: JsonMap::new(),
    };
    let mut workflow = workflow;
    let mut new_skills = builder.new_skills.clone();
    name_new_skills(&metas, &mut workflow, &mut new_skills, skills);
    builder.new_skills = new_skills;
    // After naming, so the summary says the names the user gave.
    let reasoning = reasoning(&workflow, &builder);
    let named: Vec<String> = metas.iter().filter_map(|meta| meta.name.clone()).collect();
    let mut unaccounted =
        super::coverage::unaccounted_creation(body, &workflow, skills, &builder.new_skills, &named);
    // An introduction's words describe the input it gives; a heading's
    // ("Booking sync: …") name the workflow.
    let heading: Vec<&str> = body[..body.len() - steps_from.len()]
        .iter()
        .map(|tok| tok.raw.as_str())
        .collect();
    unaccounted.retain(|word| !introductions.contains(word) && !heading.contains(&word.as_str()));
    for word in unproduced {
        if !unaccounted.contains(&word) {
            unaccounted.push(word);
        }
    }
    // "post the summary to #cs-leads" with Slack, Teams and Discord skills
    // installed: which one.
    let undecided = builder.undecided.first().map(|(clause, alike)| {
        let names: Vec<String> = alike.iter().map(|skill| skill.name.clone()).collect();
        format!(
            "For \"{}\" several installed skills would do, each for another tool: {}. Which one should it use? Say it in the request, for example \"… using {}\".",
            clause.to_lowercase(),
            super::text::quoted_list(&names, "or"),
            names[0]
        )
    });
    let question = undecided
        .or_else(|| undeclared_condition(&workflow, skills, &builder.new_skills))
        // A sentence about the skills already said which are new.
        .or_else(|| {
            metas
                .is_empty()
                .then(|| passed_over_question(&workflow, &builder))
                .flatten()
        });
    tracing::debug!(
        steps = ?crate::core::tree::walk(&workflow)
            .iter()
            .map(|visited| (&visited.step.id, visited.step.skill_name(), &visited.step.description))
            .collect::<Vec<_>>(),
        ?unaccounted,
        "offline planner built a workflow"
    );
    Ok(Creation {
        workflow,
        new_skills: builder.new_skills,
        reasoning,
        unaccounted,
        question,
    })
}

/// "Pull the test results …, render them as HTML": `html-report` takes a
/// summary and the fetch gives results. When exactly one installed skill
/// the workflow does not run turns that output into that input
/// (`test-summary`: results → summary), it goes between them, so each
/// step gets what its skill declares.
fn bridge_interfaces(steps: &mut Vec<Step>, skills: &[Skill], builder: &mut Builder) {
    let mut at = 1;
    while at < steps.len() {
        let producer = &steps[at - 1];
        let consumer = &steps[at];
        let declared = |step: &Step| {
            step.skill_name()
                .and_then(|name| skills.iter().find(|skill| skill.name == name))
        };
        let (Some(made_by), Some(read_by)) = (declared(producer), declared(consumer)) else {
            at += 1;
            continue;
        };
        let prefix = format!("{}.", producer.id);
        let mismatch = consumer.inputs.iter().find_map(|(input, value)| {
            let output = value.as_str()?.strip_prefix(&prefix)?;
            let differs = !super::text::same_word(input, output)
                && read_by.input_names().any(|name| name == input)
                && made_by.output_names().any(|name| name == output);
            differs.then(|| (input.clone(), output.to_string()))
        });
        let Some((input, output)) = mismatch else {
            at += 1;
            continue;
        };
        let used: Vec<String> = steps
            .iter()
            .filter_map(|step| step.skill_name().map(str::to_string))
            .collect();
        let bridges: Vec<&Skill> = skills
            .iter()
            .filter(|skill| !used.contains(&skill.name))
            .filter(|skill| {
                let inputs: Vec<&str> = skill.input_names().collect();
                inputs.len() == 1
                    && super::text::same_word(inputs[0], &output)
                    && skill
                        .output_names()
                        .any(|name| super::text::same_word(name, &input))
            })
            .collect();
        let [bridge] = bridges.as_slice() else {
            at += 1;
            continue;
        };
        let bridge_input = bridge.input_names().next().unwrap_or_default().to_string();
        let bridge_output = bridge
            .output_names()
            .find(|name| super::text::same_word(name, &input))
            .unwrap_or_default()
            .to_string();
        let base = concepts_of(
            &bridge
                .description
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_lowercase(),
        )
        .next()
        .map_or(bridge.name.as_str(), |concept| concept.key);
        let id = builder.unique_id(base, None, false);
        let mut step = Step::skill(id.clone(), bridge.name.clone());
        step.description = Some(bridge.description.trim_end_matches('.').to_string());
        step.inputs.insert(
            bridge_input,
            serde_json::json!(format!("{}.{output}", producer.id)),
        );
        step.outputs = bridge.output_list();
        steps[at]
            .inputs
            .insert(input, serde_json::json!(format!("{id}.{bridge_output}")));
        steps.insert(at, step);
        at += 2;
    }
}

/// "Archive our logs: collect …, tar them …": a few words before a colon
/// name the whole workflow; the steps are what follows. Where the steps
/// start in `body` (0 when there is no such heading). The heading's words
/// still count in the coverage check, so they must be said by the steps.
fn heading_end(text: &str, body: &[Tok]) -> usize {
    let Some(first) = body.first() else {
        return 0;
    };
    let Some(colon) = text[first.start..].find(": ").map(|at| first.start + at) else {
        return 0;
    };
    let before = body.iter().take_while(|tok| tok.end <= colon + 1).count();
    let heading = &body[..before];
    let words = heading.iter().filter(|tok| !tok.is_punctuation()).count();
    let plain = heading
        .iter()
        .all(|tok| !is_url(&tok.raw) && !is_path(&tok.raw) && !tok.raw.contains('@'));
    // "Back up the reports folder: tar it, …": the heading says what "it"
    // is, so it stays part of the first step.
    let rest: Vec<&Tok> = body[before..]
        .iter()
        .filter(|tok| !tok.is_punctuation())
        .take(3)
        .collect();
    let points_back = rest
        .iter()
        .skip(1)
        .any(|tok| tok.is_any(&["it", "them", "this", "these", "that", "those"]));
    if (1..=5).contains(&words) && plain && before < body.len() && !points_back {
        before
    } else {
        0
    }
}

/// "if it takes longer than 2 seconds" after a probe, with `latency-check`
/// installed ("Compare a latency in milliseconds with a limit", taking
/// `latency_ms` and `limit_ms`, declaring the boolean `too_slow`): the
/// comparison is the installed skill's step, and the condition reads its
/// boolean. `expression` is `STEP.OUTPUT > context.KEY` (or `<`); the new
/// expression, when such a skill is installed.
fn compare_with_installed(
    expression: &str,
    steps: &mut Vec<Step>,
    builder: &mut Builder,
) -> Option<String> {
    let [left, op, right] = expression.split_whitespace().collect::<Vec<_>>()[..] else {
        return None;
    };
    let (id, output) = left.split_once('.')?;
    let key = right.strip_prefix("context.")?;
    let above = match op {
        ">" => true,
        "<" => false,
        _ => return None,
    };
    // After the step, or after the parallel group it runs in.
    let at = steps
        .iter()
        .position(|step| crate::core::tree::find(std::slice::from_ref(step), id).is_some())?;
    let used: Vec<String> = steps
        .iter()
        .flat_map(|step| {
            crate::core::tree::walk_step(step)
                .into_iter()
                .filter_map(|visited| visited.skill_name().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    let is_limit = |input: &str| {
        input
            .split('_')
            .any(|part| ["limit", "threshold", "max", "min"].contains(&part))
    };
    let comparers: Vec<&Skill> = builder
        .skills
        .iter()
        .filter(|skill| !used.contains(&skill.name))
        .filter(|skill| {
            let inputs: Vec<&str> = skill.input_names().collect();
            let booleans = skill.declared().1.map_or(0, |outputs| {
                outputs.iter().filter(|port| port.is_boolean()).count()
            });
            booleans == 1
                && inputs.len() == 2
                && inputs.contains(&output)
                && inputs.iter().any(|input| is_limit(input))
        })
        .collect();
    let [comparer] = comparers.as_slice() else {
        return None;
    };
    let flag = comparer
        .declared()
        .1?
        .iter()
        .find(|port| port.is_boolean())?
        .name
        .clone();
    let limit = comparer
        .input_names()
        .find(|input| is_limit(input))?
        .to_string();
    let head = output.split('_').next().unwrap_or(output).to_string();
    let check = builder.unique_id("check", Some(&head), true);
    let mut step = Step::skill(check.clone(), comparer.name.clone());
    step.description = Some(comparer.description.trim_end_matches('.').to_string());
    step.inputs.insert(
        output.to_string(),
        serde_json::json!(format!("{id}.{output}")),
    );
    step.inputs
        .insert(limit, serde_json::json!(format!("context.{key}")));
    step.outputs = vec![flag.clone()];
    if !builder.reused.contains(&comparer.name) {
        builder.reused.push(comparer.name.clone());
    }
    steps.insert(at + 1, step);
    Some(format!("{check}.{flag} == {above}"))
}

/// A sentence about the skills rather than the steps: "there's no skill
/// for compressing yet, call the new one backup-compressor", "I don't have
/// a skill for that, so make one called ebs-resizer".
struct Meta {
    /// The name given to the new skill.
    name: Option<String>,
    /// What it is for ("compressing"), when said.
    verb: Option<String>,
    /// The text before the sentence (its "that" is the last step there).
    before: String,
}

fn split_meta(body: &[Tok]) -> (Vec<Tok>, Vec<Meta>) {
    let mut kept = Vec::new();
    let mut metas = Vec::new();
    let mut sentence: Vec<Tok> = Vec::new();
    let mut flush = |sentence: &mut Vec<Tok>, kept: &mut Vec<Tok>, end: Option<Tok>| {
        let about_skills = sentence.iter().any(|tok| tok.is_any(&["skill", "skills"]))
            || (sentence
                .iter()
                .any(|tok| tok.is_any(&["call", "name", "called", "named"]))
                && super::text::has_any(sentence, &["new one", "call it", "name it"]));
        if about_skills && !sentence.is_empty() {
            let name = sentence
                .iter()
                .enumerate()
                .find(|(index, tok)| {
                    tok.word.contains('-')
                        && crate::core::names::check_name(&tok.word, "skill").is_ok()
                        && *index > 0
                        && sentence[..*index].iter().any(|before| {
                            before.is_any(&["called", "named", "call", "name", "one", "it"])
                        })
                })
                .map(|(_, tok)| tok.word.clone());
            let verb = sentence
                .windows(2)
                .find(|pair| pair[0].is("for") && pair[1].word.ends_with("ing"))
                .map(|pair| super::text::stem(&pair[1].word));
            metas.push(Meta {
                name,
                verb,
                before: kept
                    .iter()
                    .map(|tok: &Tok| tok.word.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        } else {
            kept.append(sentence);
            kept.extend(end);
        }
        sentence.clear();
    };
    for tok in body {
        if tok.is_any(&[".", ";"]) {
            flush(&mut sentence, &mut kept, Some(tok.clone()));
        } else {
            sentence.push(tok.clone());
        }
    }
    flush(&mut sentence, &mut kept, None);
    (kept, metas)
}

/// Gives the new skill a sentence named its name: the step whose action
/// the sentence names, else the last step before it. A step that reused
/// an installed skill gets a new one: the user said none does this.
fn name_new_skills(
    metas: &[Meta],
    workflow: &mut Workflow,
    new_skills: &mut Vec<Skill>,
    skills: &[Skill],
) {
    for meta in metas {
        let Some(name) = &meta.name else {
            continue;
        };
        let ids: Vec<(String, String)> = crate::core::tree::walk(workflow)
            .iter()
            .filter_map(|visited| {
                let description = visited.step.description.clone().unwrap_or_default();
                visited
                    .step
                    .skill_name()
                    .map(|_| (visited.step.id.clone(), description))
            })
            .collect();
        let target = ids
            .iter()
            .find(|(id, description)| {
                meta.verb.as_deref().is_some_and(|verb| {
                    let first = description
                        .split_whitespace()
                        .next()
                        .unwrap_or(id)
                        .to_lowercase();
                    super::text::same_stem(&super::text::stem(&first), verb)
                })
            })
            // "make a new skill called cpu-usage for it": the step whose
            // words the name says.
            .or_else(|| {
                let parts: Vec<&str> = name.split('-').filter(|part| part.len() >= 3).collect();
                ids.iter().find(|(_, description)| {
                    let words = super::text::tokenize(description);
                    !parts.is_empty()
                        && parts.iter().all(|part| {
                            words
                                .iter()
                                .any(|tok| super::text::same_word(&tok.word, part))
                        })
                })
            })
            .or_else(|| {
                let said_before = |description: &String| {
                    let words = description.to_lowercase();
                    let first = words.split_whitespace().next().unwrap_or_default();
                    !first.is_empty() && meta.before.contains(first)
                };
                // "make a QR code … and upload the image to S3; call the new
                // skill qr-encode": the step no installed skill does, not
                // the upload that `s3-upload` does.
                let runs_new = |id: &String| {
                    crate::core::tree::find(&workflow.steps, id)
                        .and_then(Step::skill_name)
                        .is_some_and(|skill| new_skills.iter().any(|new| new.name == skill))
                };
                ids.iter()
                    .rfind(|(id, description)| runs_new(id) && said_before(description))
                    .or_else(|| {
                        ids.iter()
                            .rfind(|(_, description)| said_before(description))
                    })
            })
            .map(|(id, _)| id.clone());
        let Some(target) = target else {
            continue;
        };
        let Some(step) = crate::core::tree::find_mut(&mut workflow.steps, &target) else {
            continue;
        };
        let Some(old) = step.skill_name().map(str::to_string) else {
            continue;
        };
        let mut skill = new_skills
            .iter()
            .find(|skill| skill.name == old)
            .cloned()
            .or_else(|| skills.iter().find(|skill| skill.name == old).cloned())
            .unwrap_or_else(|| Skill {
                name: name.clone(),
                skill_type: crate::core::skill::SkillType::CodeInline,
                description: step.description.clone().unwrap_or_default(),
                command: format!("python3 {}.py", name.replace('-', "_")),
                inputs: Some(Vec::new()),
                outputs: Some(Vec::new()),
                extra: Default::default(),
            });
        // "merge the two CSV exports …, name it csv-merger": a template
        // made for another kind of step (a file writer) is not the named
        // skill's job; it is described by its step, with a script to write.
        let same_kind = old.split('-').any(|part| {
            name.split('-')
                .any(|given| super::text::same_word(part, given))
        });
        if skills.iter().any(|installed| installed.name == old) || !same_kind {
            // The installed one does something else: the new skill is
            // described by the step, with the step's inputs and outputs.
            skill.description = step.description.clone().unwrap_or_default();
            skill.command = format!("python3 {}.py", name.replace('-', "_"));
            skill.inputs = Some(Port::names(step.inputs.keys().cloned()));
            skill.outputs = Some(Port::names(step.outputs.clone()));
            skill.extra = Default::default();
        }
        new_skills.retain(|known| known.name != old);
        skill.name = name.clone();
        step.kind = StepKind::Skill {
            skill: name.clone(),
        };
        if !new_skills.iter().any(|known| known.name == *name) {
            new_skills.push(skill);
        }
    }
}

/// "take the podcast episode at audio/ep42.mp3", "use ./data.csv": a
/// clause that only gives what the next step works on. Its values.
fn introduces_input(clause: &[Tok]) -> Option<Vec<Tok>> {
    let clause = strip_fillers(clause);
    let first = clause.first()?;
    if !first.is_any(crate::core::vocabulary::VAGUE_VERBS) && !first.is("given") {
        return None;
    }
    let found = literals(clause);
    if found.is_empty() {
        return None;
    }
    let at: Vec<usize> = found
        .iter()
        .flat_map(|(tokens, _)| tokens.clone())
        .collect();
    Some(at.into_iter().map(|index| clause[index].clone()).collect())
}

/// The step that measures what a condition speaks of, when an installed
/// skill gets it: the words before the condition's verb ("the root
/// partition on db-02" in "… is more than 90% full").
fn measure_for(condition: &[Tok], builder: &mut Builder) -> Option<Step> {
    let end = condition
        .iter()
        .position(|tok| {
            tok.is_any(&[
                "is", "are", "was", "were", "has", "have", "gets", "goes", "exceeds", "drops",
                "falls", "reaches", "expires", "fails", "returns",
            ])
        })
        .unwrap_or(condition.len());
    let subject: Vec<Tok> = condition[..end]
        .iter()
        .filter(|tok| !tok.is_any(&["it", "they", "there", "this", "that"]))
        .cloned()
        .collect();
    if subject
        .iter()
        .all(|tok| is_stopword(&tok.word) || tok.is_punctuation())
    {
        return None;
    }
    let mut getter = vec![Tok {
        word: "get".into(),
        raw: "get".into(),
        start: condition.first().map_or(0, |tok| tok.start),
        end: condition.first().map_or(0, |tok| tok.start),
    }];
    getter.extend(subject.iter().cloned());
    let heard = super::fit::clause_words(&getter, &[]);
    // Only a skill that says what it outputs can be measured with: a
    // writer that speaks of disks is no disk gauge.
    builder
        .installed_fitting(&getter, &heard)
        .filter(|skill| skill.output_names().next().is_some())?;
    let mut step = builder.action(&getter, &[], false)?;
    let named: Vec<String> = subject
        .iter()
        .filter(|tok| !is_stopword(&tok.word) && tok.word.chars().all(|c| c.is_ascii_alphabetic()))
        .take(2)
        .map(|tok| tok.word.clone())
        .collect();
    if !named.is_empty() {
        let id = step.id.clone();
        builder.ids.retain(|known| *known != id);
        let words: Vec<&str> = named.iter().map(String::as_str).collect();
        step.id = builder.unique_id(&kebab(&words), None, false);
    }
    Some(step)
}

/// What the first step of a workflow works on, when nothing gives it.
enum Source {
    /// A step that gets it, built, and the clause left for the step after.
    Built(Box<Step>, Vec<Tok>),
    /// Nothing installed produces these words.
    Missing(Vec<String>),
    NotNeeded,
}

/// The first clause consumes something ("save the CPU load of build-03
/// into the host_metrics table", "load https://…/refunds into the refunds
/// table"): a step that produces it comes first, an installed skill that
/// gets the object, or a fetch of the address. Clauses that make their own
/// data, name a file, or only notify need none.
fn source_for(clause: &[Tok], builder: &mut Builder) -> Source {
    let clause = strip_fillers(clause);
    let heard_clause = super::fit::clause_words(clause, &[]);
    let own = builder.installed_fitting(clause, &heard_clause);
    // Whether the step works on data it is given: its installed skill's
    // kind, else the clause's.
    let kind = match own {
        Some(skill) => super::fit::action_concepts(skill),
        None => super::concepts::concept_for(clause)
            .map(|concept| vec![concept.key])
            .unwrap_or_default(),
    };
    const CONSUMERS: &[&str] = &[
        "save",
        "upload",
        "export",
        "compress",
        "summarize",
        "translate",
        "transform",
        "filter",
        "aggregate",
        "analyze",
        "merge",
        "validate",
        "notify",
    ];
    // "figure out whether the reviews at https://… are positive": an
    // installed skill that takes no address works on what is there, which
    // a fetch gets first.
    let takes_address = takes_an_address;
    if let Some(skill) = own.filter(|skill| !takes_address(skill))
        && skill.input_names().next().is_some()
        && let Some(tokens) = literals(clause).into_iter().find_map(|(tokens, literal)| {
            matches!(&literal, super::build::Literal::Url(url) if url.starts_with("http"))
                .then_some(tokens)
        })
    {
        return fetch_first(clause, &tokens, builder);
    }
    // "check the disk", "get the forecast": a generic verb gets its object.
    if clause
        .first()
        .is_some_and(|verb| crate::core::vocabulary::GENERIC_VERBS.contains(&verb.word.as_str()))
    {
        return Source::NotNeeded;
    }
    let moves = clause.first().is_some_and(|verb| {
        verb.is_any(&[
            "load", "import", "copy", "move", "save", "store", "write", "insert", "upload", "put",
            "push", "send",
        ])
    });
    if !kind.iter().any(|key| CONSUMERS.contains(key)) && !moves {
        return Source::NotNeeded;
    }
    let found = literals(clause);
    // The object runs from after the verb (and its particle: "back up")
    // to the first place word.
    let start = if clause
        .get(1)
        .is_some_and(|tok| tok.is_any(&["up", "out", "off", "down"]))
    {
        2
    } else {
        1
    };
    let end = clause
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, tok)| tok.is_any(&["into", "to", "onto", "in", "on", "at", "as", "with", ","]))
        .map_or(clause.len(), |(at, _)| at);
    let object = &clause[start.min(end)..end];
    // "load https://…/refunds into …": the address is fetched first.
    let url_object = found.iter().find_map(|(tokens, literal)| match literal {
        super::build::Literal::Url(url)
            if url.starts_with("http")
                && tokens
                    .iter()
                    .all(|at| *at < end || clause[..*at].iter().any(|tok| tok.is("from"))) =>
        {
            Some(tokens.clone())
        }
        _ => None,
    });
    let destination = found.iter().any(|(_, literal)| {
        matches!(
            literal,
            super::build::Literal::Table(_)
                | super::build::Literal::Bucket(_)
                | super::build::Literal::Path(_)
        )
    });
    if let Some(tokens) = url_object.filter(|_| moves && destination) {
        return fetch_first(clause, &tokens, builder);
    }
    // A file or folder named holds what is worked on.
    if found.iter().any(|(_, literal)| {
        matches!(
            literal,
            super::build::Literal::Path(_) | super::build::Literal::Url(_)
        )
    }) {
        return Source::NotNeeded;
    }
    // What a message says is no data to get ("post a note", "send an
    // alert").
    let message_word = |word: &str| {
        super::concepts::CONCEPTS
            .iter()
            .any(|concept| concept.key == "notify" && concept.nouns.contains(&word))
    };
    let words: Vec<String> = object
        .iter()
        .filter(|tok| {
            !is_stopword(&tok.word)
                && !message_word(&tok.word)
                && !crate::core::vocabulary::PAYLOAD.contains(&tok.word.as_str())
                && !crate::core::vocabulary::FILLERS.contains(&tok.word.as_str())
                && !tok.is_punctuation()
                && number(&tok.word).is_none()
        })
        .map(|tok| tok.word.clone())
        .collect();
    // "convert 250 USD": an amount is given, not data to get.
    if words.is_empty() || object.iter().any(|tok| number(&tok.word).is_some()) {
        return Source::NotNeeded;
    }
    // An installed skill that gets it: "get the CPU load of build-03".
    let mut getter = vec![Tok {
        word: "get".into(),
        raw: "get".into(),
        start: clause[0].start,
        end: clause[0].start,
    }];
    getter.extend(object.iter().cloned());
    // The place it is read from goes with it ("of build-03").
    let heard = super::fit::clause_words(&getter, &[]);
    let getter_skill = builder.installed_fitting(&getter, &heard);
    // The step's own skill gets what it works on ("check how much free
    // memory web-01 has").
    if getter_skill.is_some()
        && getter_skill.map(|skill| &skill.name) == own.map(|skill| &skill.name)
    {
        return Source::NotNeeded;
    }
    if getter_skill.is_some()
        && let Some(mut step) = builder.action(&getter, &[], false)
    {
        // Named for what it gets ("cpu-load"), not for "get".
        let named: Vec<&str> = words.iter().take(2).map(String::as_str).collect();
        let fetch_id = step.id.clone();
        builder.ids.retain(|id| *id != fetch_id);
        step.id = builder.unique_id(&kebab(&named), None, false);
        let mut rest: Vec<Tok> = clause[..start].to_vec();
        rest.push(Tok {
            word: "it".into(),
            raw: "it".into(),
            start: clause[0].end,
            end: clause[0].end,
        });
        rest.extend(clause[end..].iter().cloned());
        return Source::Built(Box::new(step), rest);
    }
    // A skill made for the step takes what it works on; so does an
    // installed one with an input for it, which the user fills in ("the
    // product prices" go to currency-convert's amount). One that takes
    // nothing is left without it, so the words are asked about.
    if own.is_none_or(|skill| skill.input_names().next().is_some()) {
        return Source::NotNeeded;
    }
    Source::Missing(
        object
            .iter()
            .filter(|tok| words.contains(&tok.word))
            .map(|tok| tok.raw.clone())
            .collect(),
    )
}

/// Whether a skill takes a web address as an input (`api_url`).
fn takes_an_address(skill: &Skill) -> bool {
    skill.input_names().any(|input| {
        input
            .to_lowercase()
            .split('_')
            .any(|part| ["url", "uri", "endpoint", "feed", "link", "address"].contains(&part))
    })
}

/// A fetch of the address at `tokens` of the clause, and the clause left
/// without it for the step after.
fn fetch_first(clause: &[Tok], tokens: &[usize], builder: &mut Builder) -> Source {
    let mut fetch = vec![Tok {
        word: "fetch".into(),
        raw: "fetch".into(),
        start: clause[0].start,
        end: clause[0].start,
    }];
    fetch.extend(tokens.iter().map(|at| clause[*at].clone()));
    let rest: Vec<Tok> = clause
        .iter()
        .enumerate()
        .filter(|(at, tok)| {
            !(tokens.contains(at) || (tok.is_any(&["from", "at"]) && tokens.contains(&(at + 1))))
        })
        .map(|(_, tok)| tok.clone())
        .collect();
    match builder.action(&fetch, &[], false) {
        Some(step) => Source::Built(Box::new(step), rest),
        None => Source::NotNeeded,
    }
}

/// A step given a new skill while an installed one, ranked first for its
/// clause, does what the clause's verb says: which does the user mean?
/// ("yes" keeps the new skill; naming the installed one uses it.)
fn passed_over_question(workflow: &Workflow, builder: &Builder) -> Option<String> {
    let new: Vec<&str> = crate::core::tree::walk(workflow)
        .iter()
        .filter_map(|visited| visited.step.skill_name())
        .filter(|name| builder.new_skills.iter().any(|skill| skill.name == *name))
        .collect();
    if new.is_empty() {
        return None;
    }
    let (clause, skill) = builder
        .passed_over
        .iter()
        .find(|(_, skill)| !new.contains(&skill.name.as_str()))?;
    let mut letters = clause.chars();
    let clause: String = letters
        .next()
        .map(|first| first.to_lowercase().chain(letters).collect())
        .unwrap_or_default();
    let mut question = format!(
        "For \"{clause}\" I would make a new skill, but the installed skill '{}' may do it",
        skill.name
    );
    if !skill.description.is_empty() {
        question.push_str(&format!(" ({})", skill.description.trim_end_matches('.')));
    }
    question.push_str(&format!(
        ". To use it, say the request again with \"using {}\"; answer \"yes\" to make the new skill as I planned.",
        skill.name
    ));
    Some(question)
}

/// A condition must read an output its step's skill declares; when the
/// skill is installed and declares no such output, the user says which
/// one holds the value (the question names the outputs there are).
fn undeclared_condition(
    workflow: &Workflow,
    skills: &[Skill],
    new_skills: &[Skill],
) -> Option<String> {
    for visited in crate::core::tree::walk(workflow) {
        let StepKind::Conditional { condition, .. } = &visited.step.kind else {
            continue;
        };
        if super::coverage::reads_a_declared_value(condition, workflow, skills, new_skills) {
            continue;
        }
        let about = visited
            .step
            .description
            .as_deref()
            .map(|description| {
                description
                    .trim_start_matches("Only when ")
                    .trim_start_matches("Not when ")
                    .to_string()
            })
            .unwrap_or_else(|| condition.clone());
        let subject = condition.split_whitespace().next().unwrap_or_default();
        let step = subject
            .split_once('.')
            .and_then(|(id, _)| crate::core::tree::find(&workflow.steps, id));
        let installed = step
            .and_then(|step| step.skill_name())
            .and_then(|name| skills.iter().find(|skill| skill.name == name));
        return Some(match (step, installed) {
            (Some(step), Some(skill)) if skill.output_names().next().is_some() => format!(
                "Which output of '{}' says whether {about}? Its skill '{}' declares {}; say the condition with one of them (for example: \"if {}.{} is …\").",
                step.id,
                skill.name,
                super::text::quoted_list(&skill.output_list(), "and"),
                step.id,
                skill.output_names().next().unwrap_or_default()
            ),
            (Some(step), Some(skill)) => format!(
                "Which output of '{}' says whether {about}? Its skill '{}' declares no outputs, so nothing there can decide it.",
                step.id, skill.name
            ),
            _ => {
                format!("Which step's output says whether {about}? No step before it declares one.")
            }
        });
    }
    None
}

/// What a "for each" is over.
struct Things<'t> {
    noun: &'t str,
    listed: &'t [Tok],
    location: &'t [Tok],
}

/// "for each endpoint, check its health": the listed things become one
/// parallel step each; a place ("in ./inbox") goes to one step that handles
/// each thing there; otherwise one step gets the whole list from the context
/// (the format has no loops), and the summary says so.
fn for_each(
    builder: &mut Builder,
    things: &Things,
    action: &[Tok],
    producers: &[Producer],
) -> Option<Step> {
    let noun = things.noun;
    if things.listed.len() >= 2 {
        let mut built: Vec<Step> = Vec::new();
        for (index, item) in things.listed.iter().enumerate() {
            let mut clause = action.to_vec();
            clause.push(item.clone());
            let added = builder.added_context.len();
            let Some(mut step) = builder.action(&clause, producers, false) else {
                continue;
            };
            // Numbered ids and keys read better than ids made up from
            // whatever word happened to be free ("monitor-health").
            let base = step.id.split('-').next().unwrap_or_default().to_string();
            builder.ids.retain(|id| *id != step.id);
            step.id = builder.unique_id(&format!("{base}-{}", index + 1), None, false);
            let fresh: Vec<String> = builder.added_context[added..]
                .iter()
                .map(|(key, _)| key.clone())
                .collect();
            for value in step.inputs.values_mut() {
                let Some(key) = value
                    .as_str()
                    .and_then(|text| text.strip_prefix("context."))
                else {
                    continue;
                };
                if !fresh.iter().any(|fresh| fresh == key) {
                    continue;
                }
                let stem = key.rsplit('_').next().unwrap_or(key);
                let renamed = format!("{}_{}_{stem}", noun.replace('-', "_"), index + 1);
                if let Some(held) = builder.context.shift_remove(key) {
                    builder.context.insert(renamed.clone(), held);
                }
                for (added_key, _) in builder.added_context.iter_mut() {
                    if added_key == key {
                        *added_key = renamed.clone();
                    }
                }
                *value = serde_json::json!(format!("context.{renamed}"));
            }
            built.push(step);
        }
        if built.is_empty() {
            return None;
        }
        let id = builder.unique_id(&format!("each-{noun}"), None, false);
        let mut group = Step::new(id, StepKind::Parallel { steps: built });
        group.description = Some(format!("One step per {noun}, run at the same time"));
        return Some(group);
    }
    let mut clause = action.to_vec();
    clause.extend(things.listed.iter().cloned());
    clause.extend(things.location.iter().cloned());
    let placeholders_before = builder.placeholders.len();
    let mut step = builder.action(&clause, producers, false)?;
    let described = step.description.clone().unwrap_or_default();
    if !things.location.is_empty() {
        let place: Vec<&str> = things.location.iter().map(|tok| tok.raw.as_str()).collect();
        step.description = Some(format!("{described} (each {noun} {})", place.join(" ")));
        return Some(step);
    }
    // The list replaces a single value the step would otherwise wait for.
    let replaced: Vec<String> = builder.placeholders.drain(placeholders_before..).collect();
    step.inputs.retain(|_, value| {
        !value
            .as_str()
            .and_then(|text| text.strip_prefix("context."))
            .is_some_and(|key| replaced.iter().any(|replaced| replaced == key))
    });
    for key in &replaced {
        builder.context.shift_remove(key);
        builder.added_context.retain(|(added, _)| added != key);
    }
    let plural = format!("{noun}s");
    let key = builder.key(&plural, &step.id, serde_json::Value::Array(Vec::new()));
    if !builder.placeholders.contains(&key) {
        builder.placeholders.push(key.clone());
    }
    step.inputs
        .insert(plural.clone(), serde_json::json!(format!("context.{key}")));
    if let StepKind::Skill { skill } = &step.kind
        && let Some(new) = builder.new_skills.iter_mut().find(|new| &new.name == skill)
    {
        let dropped: Vec<String> = new
            .input_names()
            .filter(|input| !step.inputs.contains_key(*input))
            .map(str::to_string)
            .collect();
        let declared = new.inputs.get_or_insert_with(Vec::new);
        declared.retain(|input| step.inputs.contains_key(&input.name));
        // A command written for one value cannot take the list.
        if dropped.iter().any(|input| {
            new.command.contains(&format!("${input}"))
                || new
                    .command
                    .contains(&format!("$QWF_INPUT_{}", input.to_uppercase()))
        }) {
            new.command = format!("python3 {}.py", new.name.replace('-', "_"));
        }
        let declared = new.inputs.get_or_insert_with(Vec::new);
        if !declared.iter().any(|input| input.name == plural) {
            declared.push(crate::core::skill::Port::named(plural.clone()));
        }
    }
    step.description = Some(format!("{described} (each {noun} in '{plural}')"));
    builder.notes.push(format!(
        "Workflows have no loops, so '{}' gets the whole list of {plural} (context '{key}'); list them in the request to get one parallel step each.",
        step.id
    ));
    Some(step)
}

fn reasoning(workflow: &Workflow, builder: &Builder) -> String {
    let describe = |step: &Step| -> String {
        match &step.kind {
            StepKind::Skill { skill } => {
                let origin = if builder.new_skills.iter().any(|new| new.name == *skill) {
                    "new skill"
                } else {
                    "existing skill"
                };
                format!("{} ({skill}, {origin})", step.id)
            }
            _ => step.id.clone(),
        }
    };
    let mut parts = Vec::new();
    for step in &workflow.steps {
        parts.push(match &step.kind {
            StepKind::Parallel { steps } => format!(
                "in parallel [{}]",
                steps.iter().map(describe).collect::<Vec<_>>().join(", ")
            ),
            StepKind::Conditional {
                condition, then, ..
            } => {
                format!(
                    "when `{condition}`: {}",
                    then.iter().map(describe).collect::<Vec<_>>().join(", ")
                )
            }
            _ => describe(step),
        });
    }
    let mut text = format!(
        "{} step{}: {}.",
        workflow.steps.len(),
        if workflow.steps.len() == 1 { "" } else { "s" },
        parts.join(" → ")
    );
    if !builder.added_context.is_empty() {
        let keys: Vec<&str> = builder
            .added_context
            .iter()
            .map(|(key, _)| key.as_str())
            .collect();
        text.push_str(&format!(
            " Values lifted into context: {}.",
            keys.join(", ")
        ));
    }
    if !builder.placeholders.is_empty() {
        text.push_str(&format!(
            " Placeholders to fill in: {}.",
            builder.placeholders.join(", ")
        ));
    }
    for note in &builder.notes {
        text.push_str("\nNote: ");
        text.push_str(note);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;

    #[test]
    fn names_come_from_the_first_object() {
        assert_eq!(
            suggest_name(&tokenize("fetch data from the API, validate it"), &[]),
            "data-pipeline"
        );
        assert_eq!(
            suggest_name(
                &tokenize("create a workflow that fetches data"),
                &["data-pipeline".to_string()]
            ),
            "data-pipeline-2"
        );
    }
}

/// The longest description made from a request, in characters.
const DESCRIPTION_LIMIT: usize = 120;

/// `text` if it has at most `limit` characters; otherwise its words up to
/// `limit` characters, and an ellipsis.
fn shorten_at_word(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut short = String::new();
    for word in text.split_whitespace() {
        let needed = if short.is_empty() { 0 } else { 1 } + word.chars().count();
        // Room for the ellipsis too.
        if short.chars().count() + needed + 1 > limit {
            break;
        }
        if !short.is_empty() {
            short.push(' ');
        }
        short.push_str(word);
    }
    if short.is_empty() {
        // One word longer than the limit: cut it, visibly.
        short = text.chars().take(limit - 1).collect();
    }
    let short = short.trim_end_matches([',', ';', ':', '.', ' ']);
    format!("{short}…")
}

#[cfg(test)]
mod description_tests {
    use super::shorten_at_word;

    #[test]
    fn long_descriptions_are_cut_between_words() {
        let text = "fetch the orders from the shop every morning, check each one against the stock list, and email the warehouse a summary of what is missing";
        let short = shorten_at_word(text, 120);
        assert!(short.chars().count() <= 120, "{short}");
        assert!(short.ends_with('…'));
        let kept = short.trim_end_matches('…');
        assert!(text.starts_with(kept));
        // The cut falls where a word ended.
        let next = text[kept.len()..].chars().next().expect("more text");
        assert!(!next.is_alphanumeric(), "cut inside a word: {short}");
        assert_eq!(shorten_at_word("short enough", 120), "short enough");
    }
}
