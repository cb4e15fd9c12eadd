//! Conditions in words ("the data is valid", "the score is above 0.8",
//! "it fails") as condition expressions over a step's outputs, with
//! thresholds lifted into context.

use serde_json::json;

use crate::core::model::{Step, StepKind};
use crate::core::skill::Port;
use crate::core::vocabulary as vocab;

use super::concepts::concepts_of;
use super::text::{Tok, is_stopword, number, same_word};

use super::build::Builder;

/// Comparisons in conditions and filters, longest first.
pub(super) const COMPARATORS: &[(&str, &str)] = &[
    ("greater than", ">"),
    ("more than", ">"),
    ("higher than", ">"),
    ("larger than", ">"),
    ("bigger than", ">"),
    ("above", ">"),
    ("over", ">"),
    ("exceeds", ">"),
    (">", ">"),
    // "if it takes longer than 2 seconds", "if the API is slower than
    // 600ms": a time compared.
    ("longer than", ">"),
    ("slower than", ">"),
    ("less than", "<"),
    ("shorter than", "<"),
    ("faster than", "<"),
    ("quicker than", "<"),
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

impl Builder<'_> {
    /// A condition expression for a clause such as "the data is valid" or
    /// "the score is above 0.8", reading the step it speaks of (latest
    /// first) and declaring the output it reads on that step. The output
    /// must be one the step's skill produces (see [`Builder::fitting`]);
    /// when it is not, the error is the question to ask.
    pub(super) fn condition(
        &mut self,
        clause: &[Tok],
        negate: bool,
        steps: &mut [Step],
    ) -> Result<(String, String), String> {
        let clause: Vec<&Tok> = clause.iter().filter(|tok| !tok.is_punctuation()).collect();
        let negated = negate
            ^ clause.iter().any(|tok| {
                tok.is_any(&["not", "isn't", "aren't", "doesn't", "don't", "never", "no"])
            });
        let content: Vec<&str> = clause
            .iter()
            .map(|tok| tok.word.as_str())
            .filter(|word| !is_stopword(word) && number(word).is_none())
            .collect();
        // The steps a condition can read: a parallel group's members, not
        // the group, which outputs nothing.
        let readable: Vec<&Step> = steps
            .iter()
            .flat_map(|step| match &step.kind {
                StepKind::Parallel { steps } => steps.iter().collect::<Vec<_>>(),
                _ => vec![step],
            })
            .collect();
        // What a step reads from the context names it too ("the API" for
        // the probe of context.api_url).
        let reads_named = |step: &Step, word: &str| {
            step.inputs
                .values()
                .filter_map(|value| value.as_str())
                .any(|source| {
                    source.strip_prefix("context.").is_some_and(|key| {
                        key.split(['_', '-'])
                            .any(|part| part.len() >= 3 && same_word(word, part))
                    })
                })
        };
        // The step spoken of: a word naming it, else the latest producer.
        let target = readable
            .iter()
            .rev()
            .find(|step| {
                content.iter().any(|word| {
                    step.id.split('-').any(|part| same_word(word, part))
                        || concepts_of(word).any(|concept| {
                            step.id
                                .split('-')
                                .next()
                                .is_some_and(|first| first == concept.key)
                        })
                })
            })
            .or_else(|| {
                readable
                    .iter()
                    .rev()
                    .find(|step| content.iter().any(|word| reads_named(step, word)))
            })
            .or_else(|| readable.iter().rev().find(|step| !step.outputs.is_empty()))
            .or(readable.last())
            .map(|step| step.id.clone());

        let owned: Vec<Tok> = clause.iter().map(|tok| (*tok).clone()).collect();
        let comparator = COMPARATORS.iter().find_map(|(phrase, op)| {
            super::text::find_phrase(&owned, phrase)
                .map(|at| (at, at + phrase.split(' ').count(), *op))
        });
        // An installed skill says what it outputs: a comparison reads the
        // output its words name ("14 days left" → days_left, "over 85
        // percent" → percent_used), or, for a bare count, the one output
        // there is. Else it reads what the words say, and creation asks
        // which output holds it: "the score is below 0.9" is not whatever
        // a fetcher's one output holds.
        // A yes/no condition reads a declared boolean (see `fitting`): the
        // data a validator outputs ("validated") does not say "valid".
        // "longer than 2 seconds": a duration, compared with an output
        // kept in a unit of time (`latency_ms`).
        let duration = comparator.and_then(|(_, end, _)| {
            super::text::durations(&owned[end..])
                .into_iter()
                .next()
                .filter(|found| found.start <= 1)
        });
        let declared = target
            .as_ref()
            .filter(|_| comparator.is_some())
            .and_then(|id| crate::core::tree::find(steps, id))
            .and_then(|step| step.skill_name())
            .and_then(|name| self.skill_named(name))
            .and_then(|skill| {
                let outputs: Vec<&str> = skill.output_names().collect();
                let named = outputs.iter().find(|declared| {
                    declared.split(['_', '-']).any(|part| {
                        part.len() >= 3
                            && clause.iter().any(|tok| {
                                same_word(&tok.word, part)
                                    || (tok.word.ends_with('%') && part == "percent")
                            })
                    })
                });
                // "if there were fewer than 50": nothing but a count is
                // spoken of, so it is what the one output holds. "if more
                // than 50 records are invalid" says more than that.
                let says_nothing = |word: &&str| {
                    vocab::PAYLOAD.contains(word)
                        || vocab::FILLERS.contains(word)
                        || word.trim_end_matches('%').parse::<f64>().is_ok()
                        || COMPARATORS
                            .iter()
                            .any(|(phrase, _)| phrase.split(' ').any(|part| part == *word))
                        || [
                            "there", "it", "they", "was", "were", "is", "are", "be", "than", "we",
                            "got", "get", "gets", "has", "have", "had", "goes", "go", "rises",
                            "climbs", "drops", "falls", "reaches", "hits",
                        ]
                        .contains(word)
                };
                let says_only_a_count = comparator.is_some() && content.iter().all(says_nothing);
                // "if more than 5000 messages are waiting" and a skill that
                // reads "how many messages are waiting": its one output is
                // that count, whatever it is called (`depth`).
                let description: Vec<String> = skill
                    .description
                    .to_lowercase()
                    .split(|c: char| !c.is_alphanumeric())
                    .map(str::to_string)
                    .collect();
                let counts = ["how many", "how much", "number of"]
                    .iter()
                    .any(|phrase| skill.description.to_lowercase().contains(phrase));
                let measured = content.iter().filter(|word| !says_nothing(word));
                // "above 80 degrees" and "… in degrees Celsius": the unit
                // the skill measures in.
                let in_unit = description.windows(2).any(|pair| {
                    pair[0] == "in" && measured.clone().any(|word| same_word(&pair[1], word))
                });
                let counts_what_is_said = (counts || in_unit)
                    && measured.clone().next().is_some()
                    && measured
                        .clone()
                        .all(|word| description.iter().any(|known| same_word(known, word)));
                let timed = outputs
                    .iter()
                    .filter(|output| super::text::name_unit_ms(output).is_some())
                    .collect::<Vec<_>>();
                match (named, outputs.as_slice()) {
                    (Some(named), _) => Some(named.to_string()),
                    (None, _) if duration.is_some() && timed.len() == 1 => {
                        Some(timed[0].to_string())
                    }
                    (None, [only]) if says_only_a_count || counts_what_is_said => {
                        Some(only.to_string())
                    }
                    _ => None,
                }
            });
        let is_flag = comparator.is_none();
        // "takes longer than 700 ms" of a step whose skill declares no time:
        // what it reads is how long it took, in milliseconds.
        let declared = declared.or_else(|| duration.map(|_| "duration_ms".to_string()));
        let in_output_unit = |ms: u64| {
            let unit = declared
                .as_deref()
                .and_then(super::text::name_unit_ms)
                .unwrap_or(1000);
            ms as f64 / unit as f64
        };
        let (output, expression_tail, label) = match comparator.and_then(|(at, end, op)| {
            match &duration {
                Some(found) => Some(in_output_unit(found.ms)),
                None => owned[end..]
                    .iter()
                    .find_map(|tok| number(tok.word.trim_end_matches('%'))),
            }
            .map(|value| (at, end, op, value))
        }) {
            Some((at, end, op, value)) => {
                // The threshold is named for what it bounds: the declared
                // output when there is one ("percent_used_threshold", not
                // the host's name), else the words before the comparison.
                let subject = declared.clone().unwrap_or_else(|| {
                    owned[..at]
                        .iter()
                        .rev()
                        .find(|tok| !is_stopword(&tok.word) && !tok.is_any(&["not"]))
                        .or_else(|| {
                            owned[end..]
                                .iter()
                                .find(|tok| !is_stopword(&tok.word) && number(&tok.word).is_none())
                        })
                        .map_or_else(|| "value".to_string(), |tok| identifier(&tok.word))
                });
                let key = self.key(
                    &format!("{subject}_threshold"),
                    target.as_deref().unwrap_or("workflow"),
                    super::text::number_json(value),
                );
                let op = if negated { negate_op(op) } else { op };
                (
                    subject.clone(),
                    format!("{op} context.{key}"),
                    format!("{subject}-{}", op_word(op)),
                )
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
        let output = declared.unwrap_or(output);
        let expression = match &target {
            Some(id) => {
                let mut output = output;
                if let Some(step) = crate::core::tree::find_mut(steps, id) {
                    output = self.fitting(step, &output, is_flag, clause_text(&clause))?;
                    if !step.outputs.contains(&output) {
                        step.outputs.push(output.clone());
                    }
                }
                format!("{id}.{output} {expression_tail}")
            }
            None => {
                let key = self.key(&output, "workflow", json!(false));
                format!("context.{key} {expression_tail}")
            }
        };
        Ok((expression, label))
    }

    /// The output of `step` a condition about `wanted` reads: one its
    /// skill declares (`wanted` itself, else its one boolean output for a
    /// yes/no condition, else its one numeric output for a comparison).
    /// A skill qwf proposes in this plan declares `wanted`; a skill whose
    /// outputs are not declared is taken at its word (validation warns);
    /// anything else is a question, since the value cannot be read.
    fn fitting(
        &mut self,
        step: &Step,
        wanted: &str,
        is_flag: bool,
        about: String,
    ) -> Result<String, String> {
        let value_type = if is_flag { "boolean" } else { "number" };
        let Some(skill_name) = step.skill_name() else {
            return Ok(wanted.to_string());
        };
        if let Some(proposed) = self
            .new_skills
            .iter_mut()
            .find(|skill| skill.name == skill_name)
        {
            // The step then declares two outputs or more, each of which its
            // skill must produce.
            let outputs = proposed.outputs.get_or_insert_with(Vec::new);
            for name in &step.outputs {
                if !outputs.iter().any(|port| &port.name == name) {
                    outputs.push(Port::named(name.clone()));
                }
            }
            if !outputs.iter().any(|port| port.name == wanted) {
                outputs.push(Port {
                    value_type: Some(value_type.to_string()),
                    ..Port::named(wanted)
                });
            }
            return Ok(wanted.to_string());
        }
        let Some(skill) = self.skills.iter().find(|skill| skill.name == skill_name) else {
            return Ok(wanted.to_string());
        };
        let (_, Some(declared)) = skill.declared() else {
            return Ok(wanted.to_string());
        };
        // A step with one output names the skill's one output its own way.
        let as_step_names = |name: &str| match (step.outputs.as_slice(), declared.as_slice()) {
            ([alias], [_]) => alias.clone(),
            _ => name.to_string(),
        };
        // "more than 200 orders" of an output `orders`: a list of orders,
        // not how many there are, unless it is declared a number.
        let a_collection = |name: &str| {
            !is_flag
                && name.ends_with('s')
                && !name.ends_with("ss")
                && super::text::name_unit_ms(name).is_none()
                && !crate::core::vocabulary::UNITS.contains(&name)
                && !matches!(
                    name,
                    "status"
                        | "bytes"
                        | "ms"
                        | "secs"
                        | "celsius"
                        | "fahrenheit"
                        | "kelvin"
                        | "degrees"
                        | "watts"
                        | "volts"
                        | "amps"
                        | "kilowatts"
                        | "metres"
                        | "meters"
                        | "points"
                        | "hits"
                        | "visits"
                )
                && !declared.iter().any(|port| {
                    port.name == name
                        && matches!(port.value_type.as_deref(), Some("number" | "integer"))
                })
        };
        if (declared.iter().any(|port| port.name == wanted) || step.outputs == [wanted])
            && !a_collection(wanted)
        {
            return Ok(as_step_names(wanted));
        }
        let typed: Vec<&Port> = declared
            .iter()
            .filter(|port| match value_type {
                "boolean" => port.is_boolean(),
                _ => matches!(port.value_type.as_deref(), Some("number" | "integer")),
            })
            .collect();
        if let [only] = typed.as_slice() {
            return Ok(as_step_names(&only.name));
        }
        let names: Vec<&str> = declared.iter().map(|port| port.name.as_str()).collect();
        let produces = if names.is_empty() {
            "produces no outputs".to_string()
        } else {
            format!("produces {}", names.join(", "))
        };
        Err(format!(
            "To decide \"{about}\" I need an output of '{}' that says so, but its skill '{skill_name}' {produces} and declares none a {value_type}. Which output should the condition read? For example: \"only when {}.{} {}\"; or declare a {value_type} output in skills/{skill_name}.json.",
            step.id,
            step.id,
            names.first().copied().unwrap_or("OUTPUT"),
            if is_flag { "== true" } else { "> 10" },
        ))
    }
}

/// The words of a condition, for questions about it.
fn clause_text(clause: &[&Tok]) -> String {
    clause
        .iter()
        .map(|tok| tok.raw.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word as an output or key name: letters, digits and '_'.
pub(super) fn identifier(word: &str) -> String {
    let cleaned: String = word
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    let cleaned = cleaned.trim_matches('_').to_string();
    if cleaned.is_empty() {
        "value".to_string()
    } else {
        cleaned
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
            "fail" | "fails" | "failed" | "failure" | "failures" | "error" | "errors"
            | "breaks" | "crashes" => Some(("success", false)),
            "succeeds" | "succeeded" | "passes" | "passed" | "success" | "successful" | "ok"
            | "works" => Some(("success", true)),
            "down" | "unhealthy" | "unavailable" | "offline" | "unreachable" => {
                Some(("healthy", false))
            }
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
    let flag = content
        .last()
        .map_or_else(|| "ok".to_string(), |word| identifier(word));
    (flag, true)
}
