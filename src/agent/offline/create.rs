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

use serde_json::{Value, json};

use crate::core::model::{JsonMap, Step, StepKind};
use crate::core::skill::{Skill, SkillType};
use crate::core::{ErrorHandling, Workflow};

use super::concepts::{CONCEPTS, Needs, best_skill, concept_for, concepts_of, is_verb};
use super::edit::{retry_settings, timeout_in};
use super::text::{Tok, agent_noun, capitalise, count, is_stopword, kebab, lemma, number, raw_span, same_word};

/// A value written in the request that belongs in context.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Url(String),
    Path(String),
    Table(String),
    Email(String),
    Channel(String),
}

const FILE_EXTENSIONS: &[&str] = &[
    "json", "jsonl", "csv", "tsv", "yaml", "yml", "txt", "xml", "parquet", "xlsx", "xls", "sql", "log", "md", "html", "pdf", "png", "jpg",
    "jpeg", "gz", "zip", "tar", "db", "sqlite", "toml", "ini", "avro",
];

/// Words before a clause's action that say nothing about it.
const FILLERS: &[&str] = &[
    "then", "also", "finally", "first", "firstly", "next", "lastly", "afterwards", "please", "we", "i", "you", "should", "will", "to",
    "and", "a", "an", "step", "that", "which", "new", "can", "must", "it", "just", "simply",
];

/// Words that end a clause's object.
const PREPOSITIONS: &[&str] = &[
    "from", "to", "into", "in", "on", "against", "with", "using", "via", "for", "at", "by", "onto", "over", "through", "every", "each",
    "if", "when", "unless", "only", "as", "after", "before", "and", ",",
];

fn is_url(raw: &str) -> bool {
    raw.contains("://") || raw.starts_with("www.")
}

fn is_path(raw: &str) -> bool {
    if is_url(raw) || raw.contains('@') {
        return false;
    }
    if raw.starts_with('/') || raw.starts_with("./") || raw.starts_with("../") || raw.starts_with("~/") {
        return raw.len() > 1;
    }
    if raw.contains('/') && !raw.contains(' ') && raw.chars().any(|c| c.is_alphanumeric()) {
        return true;
    }
    matches!(raw.rsplit_once('.'), Some((stem, extension)) if !stem.is_empty() && FILE_EXTENSIONS.contains(&extension.to_lowercase().as_str()))
}

/// The literals of a clause, with the tokens they occupy.
fn literals(toks: &[Tok]) -> Vec<(Vec<usize>, Literal)> {
    let mut found = Vec::new();
    for (index, tok) in toks.iter().enumerate() {
        let raw = tok.raw.as_str();
        if is_url(raw) {
            found.push((vec![index], Literal::Url(raw.to_string())));
        } else if raw.contains('@') && raw.rsplit_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.')) {
            found.push((vec![index], Literal::Email(raw.to_string())));
        } else if raw.starts_with('#') && raw.len() > 1 {
            found.push((vec![index], Literal::Channel(raw.to_string())));
        } else if is_path(raw) {
            found.push((vec![index], Literal::Path(raw.to_string())));
        } else if tok.is("table") {
            let not_a_name = |tok: &Tok| is_stopword(&tok.word) || tok.is_any(&["database", "db", "sql", "table", "named", "called"]) || tok.is_punctuation();
            // "the api_data table", "table api_data", "a table called users"
            let before = index.checked_sub(1).map(|at| (at, &toks[at])).filter(|(_, tok)| !not_a_name(tok));
            let after = {
                let mut at = index + 1;
                if toks.get(at).is_some_and(|tok| tok.is_any(&["named", "called"])) {
                    at += 1;
                }
                toks.get(at).map(|tok| (at, tok)).filter(|(_, tok)| !not_a_name(tok) && !PREPOSITIONS.contains(&tok.word.as_str()))
            };
            if let Some((at, name)) = before.or(after) {
                found.push((vec![at, index], Literal::Table(name.raw.clone())));
            }
        }
    }
    found
}

fn strip_fillers(toks: &[Tok]) -> &[Tok] {
    let mut start = 0;
    while start < toks.len() {
        let tok = &toks[start];
        if tok.is_punctuation() || tok.is_any(FILLERS) {
            start += 1;
        } else if tok.is("after") && toks.get(start + 1).is_some_and(|next| next.is("that")) {
            start += 2;
        } else {
            break;
        }
    }
    &toks[start..]
}

fn starts_action(toks: &[Tok]) -> bool {
    strip_fillers(toks).first().is_some_and(|tok| is_verb(&tok.word) || is_verb(&lemma(&tok.word)))
}

/// The noun a clause acts on: the last content word before its first
/// preposition ("fetch the latest orders from …" → "orders").
fn object_noun(toks: &[Tok]) -> Option<String> {
    let end = toks.iter().position(|tok| PREPOSITIONS.contains(&tok.word.as_str())).unwrap_or(toks.len());
    toks[..end]
        .iter()
        .rev()
        .find(|tok| {
            !is_stopword(&tok.word) && tok.word.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') && number(&tok.word).is_none()
        })
        .map(|tok| tok.word.clone())
}

/// A step's output as another step reads it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Producer {
    pub id: String,
    pub output: String,
}

impl Producer {
    pub fn of(step: &Step) -> Option<Producer> {
        step.outputs.first().map(|output| Producer { id: step.id.clone(), output: output.clone() })
    }

    fn reference(&self) -> String {
        format!("{}.{}", self.id, self.output)
    }
}

/// Builds steps, keeping ids and context keys unique, and collecting the
/// skills it reuses and the ones it proposes.
pub(super) struct Builder<'a> {
    text: &'a str,
    skills: &'a [Skill],
    pub ids: Vec<String>,
    pub context: JsonMap,
    pub added_context: Vec<(String, Value)>,
    pub new_skills: Vec<Skill>,
    pub reused: Vec<String>,
    /// Context keys holding a placeholder the user must fill in.
    pub placeholders: Vec<String>,
}

impl<'a> Builder<'a> {
    pub fn new(text: &'a str, skills: &'a [Skill], ids: Vec<String>, context: JsonMap) -> Self {
        Builder { text, skills, ids, context, added_context: Vec::new(), new_skills: Vec::new(), reused: Vec::new(), placeholders: Vec::new() }
    }

    /// A context key for a value: an existing key holding the same value,
    /// else `base`, else one prefixed with the step id.
    fn key(&mut self, base: &str, step_id: &str, value: Value) -> String {
        if let Some((key, _)) = self.context.iter().find(|(_, existing)| **existing == value) {
            return key.clone();
        }
        let prefixed = format!("{}_{base}", step_id.replace('-', "_"));
        let key = [base.to_string(), prefixed.clone()]
            .into_iter()
            .chain((2..).map(|n| format!("{prefixed}_{n}")))
            .find(|candidate| !self.context.contains_key(candidate))
            .expect("an unbounded list has a free key");
        self.context.insert(key.clone(), value.clone());
        self.added_context.push((key.clone(), value));
        key
    }

    fn unique_id(&mut self, base: &str, object: Option<&str>, prefer_object: bool) -> String {
        let with_object = object.filter(|object| *object != base && !same_word(object, base)).map(|object| kebab(&[base, object]));
        let mut candidates: Vec<String> = Vec::new();
        if prefer_object && let Some(with_object) = &with_object {
            candidates.push(with_object.clone());
        }
        candidates.push(base.to_string());
        candidates.extend(with_object);
        let id = candidates
            .into_iter()
            .find(|candidate| !self.ids.contains(candidate))
            .unwrap_or_else(|| (2..).map(|n| format!("{base}-{n}")).find(|candidate| !self.ids.contains(candidate)).expect("a free id"));
        self.ids.push(id.clone());
        id
    }

    /// A skill step doing what the clause says, reading `reads`.
    pub fn action(&mut self, clause: &[Tok], reads: &[Producer], prefer_object: bool) -> Option<Step> {
        let clause = strip_fillers(clause);
        let found = literals(clause);
        let literal_tokens: Vec<usize> = found.iter().flat_map(|(tokens, _)| tokens.iter().copied()).collect();
        let handling = retry_settings(clause).map(|(attempts, backoff)| {
            let mut handling = ErrorHandling::with_strategy(crate::core::model::Strategy::Retry);
            handling.max_attempts = Some(attempts.unwrap_or(3));
            handling.backoff = Some(backoff.unwrap_or(crate::core::model::Backoff::Exponential));
            handling
        });
        let timeout = timeout_in(clause);
        const MODIFIERS: &[&str] = &[
            "retry", "retries", "retrying", "attempts", "times", "backoff", "exponential", "linear", "fixed", "timeout", "within", "seconds",
            "minutes", "twice", "thrice",
        ];
        let plain: Vec<Tok> = clause
            .iter()
            .enumerate()
            .filter(|(index, tok)| !literal_tokens.contains(index) && !tok.is_any(MODIFIERS) && count(&tok.word).is_none())
            .map(|(_, tok)| tok.clone())
            .collect();
        let first = plain.iter().find(|tok| !tok.is_punctuation())?;
        let words: Vec<&str> = plain.iter().map(|tok| tok.word.as_str()).collect();
        let mut concept = concept_for(&plain);
        let has_path = found.iter().any(|(_, literal)| matches!(literal, Literal::Path(_)));
        let has_table = found.iter().any(|(_, literal)| matches!(literal, Literal::Table(_)));
        if concept.is_some_and(|concept| concept.key == "save") && has_path && !has_table {
            concept = CONCEPTS.iter().find(|concept| concept.key == "export");
        }
        let verb = lemma(&first.word);
        let object = object_noun(&plain[1..]);
        let base = concept.map_or_else(|| kebab(&[&verb]), |concept| concept.key.to_string());
        let id = self.unique_id(&base, object.as_deref(), prefer_object);

        // Inputs: the previous output, then the literals.
        let mut inputs = JsonMap::new();
        let existing = best_skill(self.skills, concept, &words);
        let literal_inputs = ["url", "path", "table", "schema", "to", "channel"];
        let data_input = existing
            .and_then(|skill| skill.inputs.iter().find(|input| !literal_inputs.contains(&input.as_str())).cloned())
            .unwrap_or_else(|| "data".to_string());
        if concept.is_none_or(|concept| concept.reads_data) {
            match reads {
                [] => {}
                [single] => {
                    inputs.insert(data_input.clone(), json!(single.reference()));
                }
                several => {
                    let unique_outputs = several.iter().all(|producer| several.iter().filter(|other| other.output == producer.output).count() == 1);
                    for producer in several {
                        let name = if unique_outputs { producer.output.clone() } else { producer.id.clone() };
                        inputs.insert(name, json!(producer.reference()));
                    }
                }
            }
        }
        let mentions = |word: &str| words.iter().any(|candidate| same_word(candidate, word));
        for (_, literal) in &found {
            let (input, base_key, value) = match literal {
                Literal::Url(url) => ("url", if mentions("api") || url.contains("api") { "api_url" } else { "url" }, url),
                Literal::Path(path) => {
                    let schema = mentions("schema") || concept.is_some_and(|concept| concept.key == "validate");
                    let key = if schema {
                        "schema"
                    } else {
                        match concept.map(|concept| concept.key) {
                            Some("read") => "input_path",
                            Some("export" | "save" | "upload" | "backup" | "compress") => "output_path",
                            _ => "path",
                        }
                    };
                    (if schema { "schema" } else { "path" }, key, path)
                }
                Literal::Table(table) => ("table", "table", table),
                Literal::Email(address) => ("to", "recipient", address),
                Literal::Channel(channel) => ("channel", "channel", channel),
            };
            let key = self.key(base_key, &id, json!(value));
            inputs.insert(input.to_string(), json!(format!("context.{key}")));
        }
        if let Some(needs) = concept.and_then(|concept| concept.needs) {
            let placeholder = match needs {
                Needs::Url if !found.iter().any(|(_, literal)| matches!(literal, Literal::Url(_))) => {
                    Some(("url", if mentions("api") { "api_url" } else { "url" }, "TODO: the URL to fetch"))
                }
                Needs::Path if !has_path => Some(("path", if base == "read" { "input_path" } else { "output_path" }, "TODO: the file path")),
                Needs::Table if !has_table && (mentions("database") || mentions("db") || mentions("table")) => {
                    Some(("table", "table", "TODO: the table name"))
                }
                _ => None,
            };
            if let Some((input, base_key, value)) = placeholder {
                let key = self.key(base_key, &id, json!(value));
                self.placeholders.push(key.clone());
                inputs.insert(input.to_string(), json!(format!("context.{key}")));
            }
        }

        // The skill: reuse, or propose one.
        let generic_object = object.as_deref().filter(|object| !matches!(*object, "data" | "it" | "them" | "results" | "result"));
        let outputs: Vec<String> = match existing {
            Some(skill) if !skill.outputs.is_empty() => skill.outputs.clone(),
            _ => match concept {
                Some(concept) if matches!(concept.key, "fetch" | "read") => {
                    vec![generic_object.filter(|object| !concept.has_word(object)).unwrap_or("data").to_string()]
                }
                Some(concept) => concept.output.map(|output| vec![output.to_string()]).unwrap_or_default(),
                None => vec!["result".to_string()],
            },
        };
        let skill_name = match existing {
            Some(skill) => {
                if !self.reused.contains(&skill.name) {
                    self.reused.push(skill.name.clone());
                }
                skill.name.clone()
            }
            None => {
                let (name, mut skill) = match concept {
                    Some(concept) => (concept.skill.to_string(), concept.new_skill(concept.skill, Vec::new())),
                    None => {
                        let agent = agent_noun(&verb);
                        let name = match generic_object {
                            Some(object) => kebab(&[object.trim_end_matches('s'), &agent]),
                            None => kebab(&[&agent]),
                        };
                        let skill = Skill {
                            name: name.clone(),
                            skill_type: SkillType::CodeInline,
                            description: capitalise(&raw_span(self.text, clause)),
                            command: format!("python3 {}.py", verb.replace('-', "_")),
                            inputs: Vec::new(),
                            outputs: outputs.clone(),
                            extra: Default::default(),
                        };
                        (name, skill)
                    }
                };
                if self.skills.iter().any(|known| known.name == name) {
                    if !self.reused.contains(&name) {
                        self.reused.push(name.clone());
                    }
                } else if !self.new_skills.iter().any(|known| known.name == name) {
                    skill.inputs = inputs.keys().cloned().collect();
                    skill.outputs = outputs.clone();
                    self.new_skills.push(skill);
                }
                name
            }
        };
        let mut step = Step::skill(id, skill_name);
        step.description = Some(capitalise(&raw_span(self.text, clause)));
        step.inputs = inputs;
        step.outputs = outputs;
        step.timeout_secs = timeout;
        step.error_handling = handling;
        Some(step)
    }

    /// A condition expression for a clause such as "the data is valid" or
    /// "the score is above 0.8", reading the step it speaks of (latest
    /// first) and declaring the output it reads on that step.
    fn condition(&mut self, clause: &[Tok], negate: bool, steps: &mut [Step]) -> (String, String) {
        let clause: Vec<&Tok> = clause.iter().filter(|tok| !tok.is_punctuation()).collect();
        let negated = negate ^ clause.iter().any(|tok| tok.is_any(&["not", "isn't", "aren't", "doesn't", "don't", "never", "no"]));
        let content: Vec<&str> =
            clause.iter().map(|tok| tok.word.as_str()).filter(|word| !is_stopword(word) && number(word).is_none()).collect();
        // The step spoken of: a word naming it, else the latest producer.
        let target = steps
            .iter()
            .rev()
            .find(|step| {
                content.iter().any(|word| {
                    step.id.split('-').any(|part| same_word(word, part))
                        || concepts_of(word).any(|concept| step.id.split('-').next().is_some_and(|first| first == concept.key))
                })
            })
            .or_else(|| steps.iter().rev().find(|step| !step.outputs.is_empty()))
            .or(steps.last())
            .map(|step| step.id.clone());

        const COMPARATORS: &[(&str, &str)] = &[
            ("greater than", ">"),
            ("more than", ">"),
            ("higher than", ">"),
            ("larger than", ">"),
            ("bigger than", ">"),
            ("above", ">"),
            ("over", ">"),
            ("exceeds", ">"),
            (">", ">"),
            ("less than", "<"),
            ("fewer than", "<"),
            ("lower than", "<"),
            ("smaller than", "<"),
            ("below", "<"),
            ("under", "<"),
            ("<", "<"),
            ("at least", ">="),
            (">=", ">="),
            ("at most", "<="),
            ("<=", "<="),
            ("equal to", "=="),
            ("equals", "=="),
            ("==", "=="),
        ];
        let owned: Vec<Tok> = clause.iter().map(|tok| (*tok).clone()).collect();
        let comparator = COMPARATORS.iter().find_map(|(phrase, op)| {
            super::text::find_phrase(&owned, phrase).map(|at| (at, at + phrase.split(' ').count(), *op))
        });
        let (output, expression_tail, label) = match comparator
            .and_then(|(at, end, op)| owned[end..].iter().find_map(|tok| number(tok.word.trim_end_matches('%'))).map(|value| (at, end, op, value)))
        {
            Some((at, end, op, value)) => {
                let subject = owned[..at]
                    .iter()
                    .rev()
                    .find(|tok| !is_stopword(&tok.word) && !tok.is_any(&["not"]))
                    .or_else(|| owned[end..].iter().find(|tok| !is_stopword(&tok.word) && number(&tok.word).is_none()))
                    .map_or_else(|| "value".to_string(), |tok| tok.word.replace('-', "_"));
                let key = self.key(&format!("{subject}_threshold"), target.as_deref().unwrap_or("workflow"), json!(value));
                let op = if negated { negate_op(op) } else { op };
                (subject.clone(), format!("{op} context.{key}"), format!("{subject}-{}", op_word(op)))
            }
            None => {
                let (flag, value) = flag_of(&content);
                let value = value ^ negated;
                let label = match (flag.as_str(), value) {
                    ("success", false) => "failed".to_string(),
                    ("success", true) => "succeeded".to_string(),
                    (flag, true) => flag.replace('_', "-"),
                    (flag, false) => format!("not-{}", flag.replace('_', "-")),
                };
                (flag, format!("== {value}"), label)
            }
        };
        let expression = match &target {
            Some(id) => {
                if let Some(step) = steps.iter_mut().find(|step| step.id == *id)
                    && !step.outputs.contains(&output)
                {
                    step.outputs.push(output.clone());
                }
                format!("{id}.{output} {expression_tail}")
            }
            None => {
                let key = self.key(&output, "workflow", json!(false));
                format!("context.{key} {expression_tail}")
            }
        };
        (expression, label)
    }
}

fn negate_op(op: &str) -> &'static str {
    match op {
        ">" => "<=",
        "<" => ">=",
        ">=" => "<",
        "<=" => ">",
        _ => "!=",
    }
}

fn op_word(op: &str) -> &'static str {
    match op {
        ">" | ">=" => "above",
        "<" | "<=" => "below",
        _ => "equal",
    }
}

/// The boolean output a condition reads, and the value it wants.
fn flag_of(content: &[&str]) -> (String, bool) {
    for word in content.iter().rev() {
        let found = match *word {
            "fail" | "fails" | "failed" | "failure" | "failures" | "error" | "errors" | "breaks" | "crashes" => Some(("success", false)),
            "succeeds" | "succeeded" | "passes" | "passed" | "success" | "successful" | "ok" | "works" => Some(("success", true)),
            "down" | "unhealthy" | "unavailable" | "offline" | "unreachable" => Some(("healthy", false)),
            "up" | "healthy" | "available" | "online" | "reachable" => Some(("healthy", true)),
            "invalid" => Some(("valid", false)),
            "valid" => Some(("valid", true)),
            "missing" => Some(("exists", false)),
            "exists" | "exist" | "present" => Some(("exists", true)),
            "changed" | "changes" | "different" => Some(("changed", true)),
            "empty" => Some(("empty", true)),
            _ => None,
        };
        if let Some((flag, value)) = found {
            return (flag.to_string(), value);
        }
    }
    let flag = content.last().map_or_else(|| "ok".to_string(), |word| word.replace('-', "_"));
    (flag, true)
}

/// What a description asks for, before steps are built.
#[derive(Debug)]
enum Item {
    Action(Vec<Tok>),
    Parallel(Vec<Vec<Tok>>),
    Conditional { condition: Vec<Tok>, negate: bool, then: Vec<Vec<Tok>>, otherwise: Vec<Vec<Tok>> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Sep {
    Start,
    Comma,
    And,
    Then,
}

struct Segment {
    sep: Sep,
    /// The separator tokens before the body (kept when segments merge).
    seps: Vec<Tok>,
    body: Vec<Tok>,
}

fn segments(toks: &[Tok]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut current = Segment { sep: Sep::Start, seps: Vec::new(), body: Vec::new() };
    for tok in toks {
        let boundary = match tok.word.as_str() {
            "," | ";" | "." => Some(Sep::Comma),
            "then" => Some(Sep::Then),
            "and" => Some(Sep::And),
            _ => None,
        };
        match boundary {
            Some(sep) => {
                if !current.body.is_empty() {
                    out.push(std::mem::replace(&mut current, Segment { sep, seps: Vec::new(), body: Vec::new() }));
                } else if current.sep != Sep::Start || !out.is_empty() {
                    current.sep = current.sep.max(sep);
                }
                current.seps.push(tok.clone());
            }
            None => current.body.push(tok.clone()),
        }
    }
    if !current.body.is_empty() {
        out.push(current);
    }
    // A part that does not start with an action continues the previous one
    // ("fetch users and orders").
    let mut merged: Vec<Segment> = Vec::new();
    for segment in out {
        let keeps = merged.is_empty()
            || segment.sep == Sep::Then
            || starts_action(&segment.body)
            || condition_start(&segment.body).is_some()
            || otherwise_start(&segment.body).is_some()
            || parallel_marker(&segment.body).is_some_and(|(at, _)| at == 0);
        match merged.last_mut() {
            Some(previous) if !keeps => {
                previous.body.extend(segment.seps);
                previous.body.extend(segment.body);
            }
            _ => merged.push(segment),
        }
    }
    merged
}

/// "if", "only if", "when", "unless" … at the start: (words to skip, negate).
fn condition_start(toks: &[Tok]) -> Option<(usize, bool)> {
    let toks = strip_fillers(toks);
    let first = toks.first()?.word.as_str();
    let second = toks.get(1).map(|tok| tok.word.as_str());
    match (first, second) {
        ("only", Some("if" | "when")) | ("in", Some("case")) => Some((2, false)),
        ("as", Some("long")) => Some((3, false)),
        ("if" | "when" | "whenever", _) => Some((1, false)),
        ("unless", _) => Some((1, true)),
        _ => None,
    }
}

fn otherwise_start(toks: &[Tok]) -> Option<usize> {
    let toks = strip_fillers(toks);
    match (toks.first().map(|tok| tok.word.as_str()), toks.get(1).map(|tok| tok.word.as_str())) {
        (Some("otherwise" | "else"), _) => Some(1),
        (Some("if"), Some("not")) => Some(2),
        (Some("or"), Some("else")) => Some(2),
        _ => None,
    }
}

/// Where "in parallel" / "at the same time" / "concurrently" is, and how
/// many words it has.
fn parallel_marker(toks: &[Tok]) -> Option<(usize, usize)> {
    for (phrase, length) in [("in parallel", 2), ("at the same time", 4), ("concurrently", 1), ("simultaneously", 1), ("in parallel with", 3), ("parallel", 1)] {
        if let Some(at) = super::text::find_phrase(toks, phrase) {
            return Some((at, length));
        }
    }
    None
}

/// A condition in the middle of a clause: "save it only when it is valid".
fn condition_inside(toks: &[Tok]) -> Option<(usize, usize, bool)> {
    for (index, tok) in toks.iter().enumerate().skip(1) {
        let next = toks.get(index + 1).map(|tok| tok.word.as_str());
        match tok.word.as_str() {
            "only" if matches!(next, Some("if" | "when")) => return Some((index, index + 2, false)),
            "if" | "when" | "whenever" => return Some((index, index + 1, false)),
            "unless" => return Some((index, index + 1, true)),
            "in" if next == Some("case") => return Some((index, index + 2, false)),
            _ => {}
        }
    }
    None
}

/// Splits a parallel group written as one clause ("fetch users and orders")
/// into clauses sharing the verb.
fn split_members(clause: &[Tok]) -> Vec<Vec<Tok>> {
    let mut members: Vec<Vec<Tok>> = vec![Vec::new()];
    for tok in clause {
        if tok.is_any(&["and", ","]) || tok.is("&") {
            members.push(Vec::new());
        } else {
            members.last_mut().expect("never empty").push(tok.clone());
        }
    }
    members.retain(|member| !strip_fillers(member).is_empty());
    let verb = members.first().and_then(|first| strip_fillers(first).first().cloned());
    for member in members.iter_mut().skip(1) {
        if !starts_action(member)
            && let Some(verb) = &verb
        {
            member.insert(0, verb.clone());
        }
    }
    members
}

fn items(toks: &[Tok]) -> Vec<Item> {
    let segments = segments(toks);
    let mut items = Vec::new();
    let mut index = 0;
    while index < segments.len() {
        let segment = &segments[index];
        let body = strip_fillers(&segment.body).to_vec();
        index += 1;
        if let Some((skip, negate)) = condition_start(&body) {
            let condition = body[skip..].to_vec();
            let mut then = Vec::new();
            let mut otherwise = Vec::new();
            if let Some(next) = segments.get(index) {
                then.push(next.body.clone());
                index += 1;
                while let Some(next) = segments.get(index).filter(|next| next.sep == Sep::And && otherwise_start(&next.body).is_none()) {
                    then.push(next.body.clone());
                    index += 1;
                }
            }
            if let Some(next) = segments.get(index)
                && let Some(skip) = otherwise_start(&next.body)
            {
                otherwise.push(strip_fillers(&next.body)[skip..].to_vec());
                index += 1;
            }
            if then.is_empty() {
                continue;
            }
            items.push(Item::Conditional { condition, negate, then, otherwise });
            continue;
        }
        if let Some((at, length)) = parallel_marker(&body) {
            let mut rest: Vec<Tok> = body.clone();
            rest.drain(at..at + length);
            let mut members: Vec<Vec<Tok>> = Vec::new();
            if rest.iter().all(|tok| tok.is_punctuation() || is_stopword(&tok.word)) || at == 0 {
                // "in parallel, fetch A and fetch B": the group follows.
                if !rest.iter().all(|tok| tok.is_punctuation() || is_stopword(&tok.word)) {
                    members.extend(split_members(&rest));
                }
                while let Some(next) = segments.get(index).filter(|next| next.sep != Sep::Then || members.is_empty()) {
                    members.extend(split_members(&next.body));
                    index += 1;
                    if segments.get(index).is_some_and(|next| next.sep == Sep::Then) {
                        break;
                    }
                }
            } else {
                // "A and B in parallel": the group ends here.
                let concept = concept_for(&rest).map(|concept| concept.key);
                let mut earlier: Vec<Vec<Tok>> = Vec::new();
                let mut back = index - 1;
                while back > 0 {
                    let joined_by = segments[back].sep;
                    let previous = &segments[back - 1];
                    let same_concept = concept_for(&previous.body).map(|concept| concept.key) == concept;
                    if joined_by == Sep::And || (joined_by == Sep::Comma && same_concept) {
                        match items.last() {
                            Some(Item::Action(action)) if *action == strip_fillers(&previous.body) => {
                                items.pop();
                                earlier.insert(0, previous.body.clone());
                                back -= 1;
                            }
                            _ => break,
                        }
                    } else {
                        break;
                    }
                }
                for clause in earlier {
                    members.extend(split_members(&clause));
                }
                members.extend(split_members(&rest));
            }
            match members.len() {
                0 => {}
                1 => items.push(Item::Action(members.remove(0))),
                _ => items.push(Item::Parallel(members)),
            }
            continue;
        }
        if let Some((at, end, negate)) = condition_inside(&body) {
            let action = body[..at].to_vec();
            let condition = body[end..].to_vec();
            if starts_action(&action) && !condition.is_empty() {
                items.push(Item::Conditional { condition, negate, then: vec![action], otherwise: Vec::new() });
                continue;
            }
        }
        // "alert on failures"
        let failure = ["on failure", "on failures", "on error", "on errors"]
            .iter()
            .find_map(|ending| super::text::find_phrase(&body, ending).filter(|at| *at > 0));
        if let Some(at) = failure {
            let failing = Tok { word: "fails".into(), raw: "fails".into(), start: body[at].start, end: body[at].end };
            items.push(Item::Conditional { condition: vec![failing], negate: false, then: vec![body[..at].to_vec()], otherwise: Vec::new() });
            continue;
        }
        if !body.is_empty() {
            items.push(Item::Action(body));
        }
    }
    items
}

/// A new workflow, ready for `create_workflow`.
pub(super) struct Creation {
    pub workflow: Workflow,
    pub new_skills: Vec<Skill>,
    pub reasoning: String,
}

/// Words before the description proper: "create a workflow that …".
fn description_start(toks: &[Tok]) -> usize {
    let marker = toks.iter().position(|tok| tok.is_any(&["workflow", "pipeline", "flow", "automation", "job"]));
    match marker {
        Some(at) if at <= 6 => {
            let mut start = at + 1;
            while toks.get(start).is_some_and(|tok| tok.is_any(&["that", "which", "to", "for", ":", "where", "it", "should", "will", "named", "called"]) || tok.is_punctuation()) {
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
    });
    let nouns: Vec<String> = first
        .map(|clause| {
            let clause = strip_fillers(&clause).to_vec();
            let end = clause.iter().skip(1).position(|tok| PREPOSITIONS.contains(&tok.word.as_str())).map_or(clause.len(), |at| at + 1);
            clause[1.min(end)..end]
                .iter()
                .filter(|tok| !is_stopword(&tok.word) && !is_url(&tok.raw) && !is_path(&tok.raw) && number(&tok.word).is_none())
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

/// Builds the workflow a description asks for.
pub(super) fn create(text: &str, name: &str, skills: &[Skill]) -> Result<Creation, String> {
    let toks = super::text::tokenize(text);
    let body = &toks[description_start(&toks)..];
    let items = items(body);
    let mut builder = Builder::new(text, skills, Vec::new(), JsonMap::new());
    let mut steps: Vec<Step> = Vec::new();
    let mut producers: Vec<Producer> = Vec::new();
    for item in items {
        match item {
            Item::Action(clause) => {
                if let Some(step) = builder.action(&clause, &producers, false) {
                    if let Some(producer) = Producer::of(&step) {
                        producers = vec![producer];
                    }
                    steps.push(step);
                }
            }
            Item::Parallel(members) => {
                let built: Vec<Step> = members.iter().filter_map(|member| builder.action(member, &producers, true)).collect();
                if built.is_empty() {
                    continue;
                }
                let outputs: Vec<Producer> = built.iter().filter_map(Producer::of).collect();
                let shared = built.iter().map(|step| step.id.split('-').next().unwrap_or_default()).collect::<Vec<_>>();
                let base = if shared.windows(2).all(|pair| pair[0] == pair[1]) { format!("parallel-{}", shared[0]) } else { "parallel".to_string() };
                let id = builder.unique_id(&base, None, false);
                let mut group = Step::new(id, StepKind::Parallel { steps: built });
                group.description = Some("Run together".to_string());
                steps.push(group);
                if !outputs.is_empty() {
                    producers = outputs;
                }
            }
            Item::Conditional { condition, negate, then, otherwise } => {
                let (expression, label) = builder.condition(&condition, negate, &mut steps);
                let then: Vec<Step> = then.iter().filter_map(|clause| builder.action(clause, &producers, false)).collect();
                let otherwise: Vec<Step> = otherwise.iter().filter_map(|clause| builder.action(clause, &producers, false)).collect();
                if then.is_empty() {
                    continue;
                }
                let id = builder.unique_id(&kebab(&["if", &label]), None, false);
                let mut step = Step::new(id, StepKind::Conditional { condition: expression, then, otherwise });
                step.description = Some(capitalise(&format!("only when {}", raw_span(text, &condition))));
                steps.push(step);
            }
        }
    }
    if steps.is_empty() {
        return Err("I could not find any actions in that description".into());
    }
    let description = {
        let raw = raw_span(text, body).trim().trim_end_matches('.').to_string();
        let mut short: String = raw.chars().take(120).collect();
        if short.len() < raw.len() {
            short.push('…');
        }
        capitalise(&short)
    };
    let mut context = crate::core::model::Context::default();
    context.readonly = builder.context.clone();
    let workflow = Workflow { name: name.to_string(), version: Some("1.0.0".into()), description: Some(description), steps, context, extra: JsonMap::new() };
    let reasoning = reasoning(&workflow, &builder);
    Ok(Creation { workflow, new_skills: builder.new_skills, reasoning })
}

fn reasoning(workflow: &Workflow, builder: &Builder) -> String {
    let describe = |step: &Step| -> String {
        match &step.kind {
            StepKind::Skill { skill } => {
                let origin = if builder.new_skills.iter().any(|new| new.name == *skill) { "new skill" } else { "existing skill" };
                format!("{} ({skill}, {origin})", step.id)
            }
            _ => step.id.clone(),
        }
    };
    let mut parts = Vec::new();
    for step in &workflow.steps {
        parts.push(match &step.kind {
            StepKind::Parallel { steps } => format!("in parallel [{}]", steps.iter().map(describe).collect::<Vec<_>>().join(", ")),
            StepKind::Conditional { condition, then, .. } => {
                format!("when `{condition}`: {}", then.iter().map(describe).collect::<Vec<_>>().join(", "))
            }
            _ => describe(step),
        });
    }
    let mut text = format!("{} step{}: {}.", workflow.steps.len(), if workflow.steps.len() == 1 { "" } else { "s" }, parts.join(" → "));
    if !builder.added_context.is_empty() {
        let keys: Vec<&str> = builder.added_context.iter().map(|(key, _)| key.as_str()).collect();
        text.push_str(&format!(" Values lifted into context: {}.", keys.join(", ")));
    }
    if !builder.placeholders.is_empty() {
        text.push_str(&format!(" Placeholders to fill in: {}.", builder.placeholders.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;

    fn shape(text: &str) -> Vec<String> {
        items(&tokenize(text))
            .into_iter()
            .map(|item| match item {
                Item::Action(clause) => clause.iter().map(|tok| tok.word.as_str()).collect::<Vec<_>>().join(" "),
                Item::Parallel(members) => format!(
                    "parallel[{}]",
                    members.iter().map(|m| m.iter().map(|tok| tok.word.as_str()).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join(" | ")
                ),
                Item::Conditional { condition, then, otherwise, negate } => format!(
                    "if{}[{}] then[{}] else[{}]",
                    if negate { " not" } else { "" },
                    condition.iter().map(|tok| tok.word.as_str()).collect::<Vec<_>>().join(" "),
                    then.iter().map(|m| m.iter().map(|tok| tok.word.as_str()).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join(" | "),
                    otherwise.iter().map(|m| m.iter().map(|tok| tok.word.as_str()).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join(" | "),
                ),
            })
            .collect()
    }

    #[test]
    fn descriptions_split_into_clauses() {
        assert_eq!(shape("fetch data from the API, validate it, and save it to the database"), ["fetch data from the api", "validate it", "save it to the database"]);
        assert_eq!(shape("fetch data then validate it and then save it; notify the team"), ["fetch data", "validate it", "save it", "notify the team"]);
        assert_eq!(shape("fetch users and orders from the API"), ["fetch users and orders from the api"]);
        assert_eq!(shape("fetch users and orders in parallel, then merge them"), ["parallel[fetch users | fetch orders]", "merge them"]);
        assert_eq!(shape("fetch users and fetch orders at the same time"), ["parallel[fetch users | fetch orders]"]);
        assert_eq!(shape("validate it, if it is valid then save it, otherwise alert the team"), [
            "validate it",
            "if[it is valid] then[save it] else[alert the team]"
        ]);
        assert_eq!(shape("fetch data and save it to the database only when it is valid"), ["fetch data", "if[it is valid] then[save it to the database] else[]"]);
        assert_eq!(shape("check the API health and alert on failures"), ["check the api health", "if[fails] then[alert] else[]"]);
    }

    #[test]
    fn names_come_from_the_first_object() {
        assert_eq!(suggest_name(&tokenize("fetch data from the API, validate it"), &[]), "data-pipeline");
        assert_eq!(suggest_name(&tokenize("create a workflow that fetches data"), &["data-pipeline".to_string()]), "data-pipeline-2");
    }
}
