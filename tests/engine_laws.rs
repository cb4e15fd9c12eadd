//! Laws of the engine, checked with proptest on generated workflows.
//!
//! Two kinds of input are generated:
//!
//! - "valid-ish" workflows: nested steps of every type, ids unique in the
//!   whole tree, inputs that read context keys, earlier steps' outputs or
//!   literals, error handling, unknown fields (with no `null` inside objects,
//!   which a merge patch would read as "remove"). Modifications against them
//!   are generated as abstract choices (indices, not ids) and resolved against
//!   the workflow as it is when each one applies, so most lists apply and a
//!   shrunk failure is still meaningful.
//! - nonsense: duplicate and malformed ids, dangling references, unknown step
//!   types, odd numbers, arbitrary JSON and text. For those the laws are
//!   "never panics", plus "no difference from itself".
//!
//! Strategies are boxed: unboxed, the nested tuple strategies make stack
//! frames so large that generating a deep tree overflows the test thread's
//! stack in debug builds.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};

use qwf::core::model::{
    Backoff, Context, ErrorHandling, Guardrails, JsonMap, Step, StepKind, Strategy as OnFailure,
    Workflow,
};
use qwf::core::modification::{Branch, NamedPosition, Position};
use qwf::core::skill::{Port, Skill};
use qwf::core::validation::IssueCode;
use qwf::core::{
    KnownResources, Modification, Resolutions, Side, Verdict, apply, evaluate, evaluate_result,
    merge, merge_resolving, modifications_between, semantic_diff, text_diff, tree, validate,
};
use qwf::run::{ModelAvailability, PreflightInput, preflight};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Failures worth keeping become plain #[test]s at the end of the file.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn pick<'a, T>(index: &Index, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[index.index(items.len())])
}

fn ids_of(workflow: &Workflow) -> Vec<String> {
    tree::walk(workflow)
        .into_iter()
        .map(|visited| visited.step.id.clone())
        .collect()
}

// ---------------------------------------------------------------------------
// JSON values

/// Numbers that survive a trip through JSON text exactly.
fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-4000i32..4000).prop_map(|n| Value::from(f64::from(n) / 8.0)),
    ]
    .boxed()
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 _-]{0,12}",
        1 => "\\PC{0,8}",
    ]
    .boxed()
}

/// JSON with no `null` as the value of an object key (nulls in arrays are
/// fine: merge patches replace arrays whole).
fn patchable_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(
                prop_oneof![4 => inner.clone(), 1 => Just(Value::Null)],
                0..4
            )
            .prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Any JSON, nulls included.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

// ---------------------------------------------------------------------------
// Valid-ish workflows, as raw choices resolved into steps

/// A reference, chosen by position among what exists where it is used.
#[derive(Debug, Clone)]
enum RawRef {
    Context(Index),
    Output(Index, Index),
}

#[derive(Debug, Clone)]
enum RawInput {
    Ref(RawRef),
    Literal(Value),
}

#[derive(Debug, Clone)]
struct RawHandling {
    handling: ErrorHandling,
    fallback: Option<Index>,
}

#[derive(Debug, Clone)]
struct RawCommon {
    description: Option<String>,
    inputs: Vec<(String, RawInput)>,
    outputs: Vec<String>,
    timeout_secs: Option<u64>,
    handling: Option<RawHandling>,
    extra: Vec<(String, Value)>,
}

#[derive(Debug, Clone)]
enum RawKind {
    Skill(String),
    Agent {
        agent: String,
        run_async: Option<bool>,
        guardrails: Option<Guardrails>,
    },
    Parallel(Vec<RawStep>),
    Conditional {
        condition: Vec<(RawRef, u8)>,
        then: Vec<RawStep>,
        otherwise: Vec<RawStep>,
    },
}

#[derive(Debug, Clone)]
struct RawStep {
    word: &'static str,
    kind: RawKind,
    common: RawCommon,
}

const WORDS: [&str; 9] = [
    "fetch",
    "validate",
    "save",
    "notify",
    "transform",
    "check",
    "load",
    "report",
    "Review_2",
];

fn raw_ref() -> BoxedStrategy<RawRef> {
    prop_oneof![
        any::<Index>().prop_map(RawRef::Context),
        (any::<Index>(), any::<Index>()).prop_map(|(step, output)| RawRef::Output(step, output)),
    ]
    .boxed()
}

/// Literal input values: plain text, text that looks like a reference but is
/// not one (file names, numbers, URLs), numbers and booleans.
fn literal() -> BoxedStrategy<Value> {
    prop_oneof![
        "[a-z]{1,6}( [a-z]{1,6})?".prop_map(Value::String),
        prop::sample::select(vec![
            "data-schema.json",
            "report.pdf",
            "1.5",
            "v1.2",
            "https://x.io/a.b",
            "",
        ])
        .prop_map(Value::from),
        number(),
        any::<bool>().prop_map(Value::Bool),
    ]
    .boxed()
}

fn raw_input() -> BoxedStrategy<RawInput> {
    prop_oneof![
        6 => raw_ref().prop_map(RawInput::Ref),
        4 => literal().prop_map(RawInput::Literal),
    ]
    .boxed()
}

fn extra_key() -> BoxedStrategy<String> {
    prop_oneof![
        "x-[a-z]{1,5}",
        Just("note".to_string()),
        Just("owner".to_string()),
    ]
    .boxed()
}

fn extras() -> BoxedStrategy<Vec<(String, Value)>> {
    prop::collection::btree_map(extra_key(), patchable_json(), 0..2)
        .prop_map(|map| map.into_iter().collect())
        .boxed()
}

fn on_failure() -> BoxedStrategy<OnFailure> {
    prop::sample::select(vec![
        OnFailure::Retry,
        OnFailure::Continue,
        OnFailure::Fail,
        OnFailure::Fallback,
    ])
    .boxed()
}

fn error_handling() -> BoxedStrategy<ErrorHandling> {
    (
        on_failure(),
        proptest::option::of(0u32..6),
        proptest::option::of(prop::sample::select(vec![
            Backoff::Fixed,
            Backoff::Linear,
            Backoff::Exponential,
        ])),
        proptest::option::of(prop_oneof![Just(1000u64), 0u64..100_000]),
        proptest::option::of((0u32..40).prop_map(|n| f64::from(n) / 4.0)),
        proptest::option::of(0u64..1_000_000),
        proptest::option::of(prop::collection::vec("[A-Z][a-z]{1,8}", 0..3)),
        prop::collection::btree_map("x-[a-z]{1,5}", patchable_json(), 0..2),
    )
        .prop_map(
            |(
                strategy,
                max_attempts,
                backoff,
                initial_interval_ms,
                backoff_coefficient,
                max_interval_ms,
                non_retryable,
                extra,
            )| ErrorHandling {
                strategy,
                max_attempts,
                backoff,
                initial_interval_ms,
                backoff_coefficient,
                max_interval_ms,
                non_retryable,
                fallback: None,
                extra: extra.into_iter().collect(),
            },
        )
        .boxed()
}

fn raw_handling() -> BoxedStrategy<RawHandling> {
    (error_handling(), proptest::option::of(any::<Index>()))
        .prop_map(|(handling, fallback)| RawHandling { handling, fallback })
        .boxed()
}

fn guardrails() -> BoxedStrategy<Guardrails> {
    (
        proptest::option::of(prop::collection::vec("[a-z_]{1,8}", 0..3)),
        proptest::option::of(0u32..20),
        prop::collection::btree_map("x-[a-z]{1,5}", patchable_json(), 0..2),
    )
        .prop_map(|(allowed_tools, max_iterations, extra)| Guardrails {
            allowed_tools,
            max_iterations,
            extra: extra.into_iter().collect(),
        })
        .boxed()
}

fn raw_common() -> BoxedStrategy<RawCommon> {
    (
        proptest::option::of(text()),
        prop::collection::btree_map("[a-z]{1,6}", raw_input(), 0..4),
        prop::collection::btree_set("[a-z]{1,6}", 0..3),
        proptest::option::of(prop_oneof![1u64..3600, any::<u64>()]),
        proptest::option::of(raw_handling()),
        extras(),
    )
        .prop_map(
            |(description, inputs, outputs, timeout_secs, handling, extra)| RawCommon {
                description,
                inputs: inputs.into_iter().collect(),
                outputs: outputs.into_iter().collect(),
                timeout_secs,
                handling,
                extra,
            },
        )
        .boxed()
}

fn skill_name() -> BoxedStrategy<String> {
    "[a-z]{1,8}(-[a-z]{1,5})?".boxed()
}

fn leaf_kind() -> BoxedStrategy<RawKind> {
    prop_oneof![
        3 => skill_name().prop_map(RawKind::Skill),
        1 => (
            skill_name(),
            proptest::option::of(any::<bool>()),
            proptest::option::of(guardrails()),
        )
            .prop_map(|(agent, run_async, guardrails)| RawKind::Agent {
                agent,
                run_async,
                guardrails,
            }),
    ]
    .boxed()
}

fn condition() -> BoxedStrategy<Vec<(RawRef, u8)>> {
    prop::collection::vec((raw_ref(), 0u8..4), 0..3).boxed()
}

fn raw_step() -> BoxedStrategy<RawStep> {
    let word = prop::sample::select(WORDS.to_vec());
    let leaf = (word.clone(), leaf_kind(), raw_common()).prop_map(|(word, kind, common)| RawStep {
        word,
        kind,
        common,
    });
    leaf.prop_recursive(3, 24, 4, move |inner| {
        let children = prop::collection::vec(inner, 0..4);
        let kind = prop_oneof![
            children.clone().prop_map(RawKind::Parallel),
            (condition(), children.clone(), children).prop_map(|(condition, then, otherwise)| {
                RawKind::Conditional {
                    condition,
                    then,
                    otherwise,
                }
            }),
        ];
        (word.clone(), kind, raw_common()).prop_map(|(word, kind, common)| RawStep {
            word,
            kind,
            common,
        })
    })
    .boxed()
}

/// A step that may be read from: its id and declared outputs.
type Producer = (String, Vec<String>);

/// Turns raw choices into steps: gives ids (unique: a running counter),
/// resolves references against what has certainly run at that point, and
/// fallbacks against every id once all are known.
struct Resolver {
    next: usize,
    context_keys: Vec<String>,
    fallbacks: Vec<(String, Index)>,
}

impl Resolver {
    fn new(context_keys: Vec<String>, next: usize) -> Self {
        Resolver {
            next,
            context_keys,
            fallbacks: Vec::new(),
        }
    }

    fn list(&mut self, raws: &[RawStep], available: &mut Vec<Producer>) -> Vec<Step> {
        raws.iter().map(|raw| self.step(raw, available)).collect()
    }

    /// Resolves `raw`; afterwards `available` also holds what it finished.
    fn step(&mut self, raw: &RawStep, available: &mut Vec<Producer>) -> Step {
        let id = format!("{}-{}", raw.word, self.next);
        self.next += 1;
        let inputs: JsonMap = raw
            .common
            .inputs
            .iter()
            .map(|(name, input)| (name.clone(), self.input(input, available)))
            .collect();
        let kind = match &raw.kind {
            RawKind::Skill(skill) => StepKind::Skill {
                skill: skill.clone(),
            },
            RawKind::Agent {
                agent,
                run_async,
                guardrails,
            } => StepKind::Agent {
                agent: agent.clone(),
                run_async: *run_async,
                guardrails: guardrails.clone(),
            },
            RawKind::Parallel(children) => {
                // Siblings cannot read each other; all have run afterwards.
                let steps: Vec<Step> = children
                    .iter()
                    .map(|child| self.step(child, &mut available.clone()))
                    .collect();
                available.extend(
                    steps
                        .iter()
                        .map(|step| (step.id.clone(), step.outputs.clone())),
                );
                StepKind::Parallel { steps }
            }
            RawKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                let condition = self.condition(condition, available);
                // Only one branch runs: nothing inside is certain afterwards.
                let then = self.list(then, &mut available.clone());
                let otherwise = self.list(otherwise, &mut available.clone());
                StepKind::Conditional {
                    condition,
                    then,
                    otherwise,
                }
            }
        };
        let error_handling = raw.common.handling.as_ref().map(|raw_handling| {
            if let Some(fallback) = &raw_handling.fallback {
                self.fallbacks.push((id.clone(), *fallback));
            }
            raw_handling.handling.clone()
        });
        available.push((id.clone(), raw.common.outputs.clone()));
        Step {
            id,
            kind,
            description: raw.common.description.clone(),
            inputs,
            outputs: raw.common.outputs.clone(),
            timeout_secs: raw.common.timeout_secs,
            error_handling,
            extra: raw.common.extra.iter().cloned().collect(),
        }
    }

    fn reference(&self, reference: &RawRef, available: &[Producer]) -> Option<String> {
        match reference {
            RawRef::Context(index) => {
                pick(index, &self.context_keys).map(|key| format!("context.{key}"))
            }
            RawRef::Output(step, output) => {
                let producers: Vec<&Producer> = available
                    .iter()
                    .filter(|(_, outputs)| !outputs.is_empty())
                    .collect();
                match pick(step, &producers) {
                    Some((id, outputs)) => {
                        Some(format!("{id}.{}", outputs[output.index(outputs.len())]))
                    }
                    None => self.reference(&RawRef::Context(*output), available),
                }
            }
        }
    }

    fn input(&self, input: &RawInput, available: &[Producer]) -> Value {
        match input {
            RawInput::Literal(value) => value.clone(),
            RawInput::Ref(reference) => match self.reference(reference, available) {
                Some(text) => Value::String(text),
                None => Value::String("nothing to read".into()),
            },
        }
    }

    fn condition(&self, parts: &[(RawRef, u8)], available: &[Producer]) -> String {
        let rendered: Vec<String> = parts
            .iter()
            .filter_map(|(reference, operator)| {
                let reference = self.reference(reference, available)?;
                Some(match operator {
                    0 => format!("{reference} == true"),
                    1 => format!("{reference} != 'a.b'"),
                    2 => format!("{reference} > 1.5"),
                    _ => format!("!({reference})"),
                })
            })
            .collect();
        if rendered.is_empty() {
            "true".to_string()
        } else {
            rendered.join(" && ")
        }
    }

    /// Points each pending fallback at one of `all_ids` that no step reads:
    /// a fallback runs only in another step's place, so reading it directly
    /// is a broken reference.
    fn finish(&mut self, steps: &mut [Step], all_ids: &[String]) {
        let workflow_steps: &[Step] = steps;
        let mut read: Vec<String> = Vec::new();
        for step in walk_steps(workflow_steps) {
            for value in step.inputs.values() {
                if let Some((producer, _)) = value.as_str().and_then(|text| text.split_once('.')) {
                    read.push(producer.to_string());
                }
            }
            if let StepKind::Conditional { condition, .. } = &step.kind {
                for word in condition
                    .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_' || c == '.'))
                {
                    if let Some((producer, _)) = word.split_once('.') {
                        read.push(producer.to_string());
                    }
                }
            }
        }
        let unread: Vec<String> = all_ids
            .iter()
            .filter(|id| !read.contains(id))
            .cloned()
            .collect();
        for (id, index) in self.fallbacks.drain(..) {
            if let Some(target) = pick(&index, &unread)
                && let Some(step) = tree::find_mut(steps, &id)
                && let Some(handling) = &mut step.error_handling
            {
                handling.fallback = Some(target.clone());
            }
        }
    }
}

/// Every step, nested ones too.
fn walk_steps(steps: &[Step]) -> Vec<&Step> {
    let mut all = Vec::new();
    for step in steps {
        all.push(step);
        for (_, children) in step.child_lists() {
            all.extend(walk_steps(children));
        }
    }
    all
}

fn workflow() -> BoxedStrategy<Workflow> {
    (
        "[a-z][a-z0-9-]{0,12}",
        proptest::option::of("[0-9]\\.[0-9]{1,2}\\.[0-9]"),
        proptest::option::of(text()),
        prop::collection::vec(raw_step(), 1..5),
        prop::collection::btree_map("[a-z][a-z_]{0,6}", any_json(), 0..4),
        prop::collection::btree_map(extra_key(), patchable_json(), 0..2),
        prop::collection::btree_map(
            prop_oneof![Just("secrets".to_string()), "x-[a-z]{1,5}"],
            patchable_json(),
            0..2,
        ),
    )
        .prop_map(
            |(name, version, description, raws, readonly, extra, context_extra)| {
                let keys: Vec<String> = readonly.keys().cloned().collect();
                let mut resolver = Resolver::new(keys, 0);
                let mut steps = resolver.list(&raws, &mut Vec::new());
                let mut workflow = Workflow {
                    name,
                    version,
                    description,
                    steps: Vec::new(),
                    context: Context {
                        readonly: readonly.into_iter().collect(),
                        extra: context_extra.into_iter().collect(),
                    },
                    extra: extra.into_iter().collect(),
                };
                workflow.steps = steps.clone();
                let all_ids = ids_of(&workflow);
                resolver.finish(&mut steps, &all_ids);
                workflow.steps = steps;
                workflow
            },
        )
        .boxed()
}

// ---------------------------------------------------------------------------
// Modifications, as abstract choices resolved against the current workflow

#[derive(Debug, Clone)]
enum Target {
    Existing(Index),
    Missing(String),
}

fn target() -> BoxedStrategy<Target> {
    prop_oneof![
        12 => any::<Index>().prop_map(Target::Existing),
        1 => "ghost-[a-z]{1,3}".prop_map(Target::Missing),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum Anchor {
    After(Target),
    Before(Target),
    Start,
    End,
    At(Index, usize),
    Into {
        parent: Target,
        branch: Option<Branch>,
        position: Option<Position>,
    },
    /// `after` and `position` together: refused.
    Both(Target),
}

fn position() -> BoxedStrategy<Position> {
    prop_oneof![
        Just(Position::Named(NamedPosition::Start)),
        Just(Position::Named(NamedPosition::End)),
        (0usize..3).prop_map(Position::Index),
    ]
    .boxed()
}

fn anchor() -> BoxedStrategy<Anchor> {
    prop_oneof![
        4 => target().prop_map(Anchor::After),
        2 => target().prop_map(Anchor::Before),
        1 => Just(Anchor::Start),
        1 => Just(Anchor::End),
        1 => (any::<Index>(), prop_oneof![9 => Just(0usize), 1 => 1usize..3])
            .prop_map(|(index, overshoot)| Anchor::At(index, overshoot)),
        3 => (
            target(),
            proptest::option::of(prop_oneof![Just(Branch::Then), Just(Branch::Else)]),
            proptest::option::of(position()),
        )
            .prop_map(|(parent, branch, position)| Anchor::Into {
                parent,
                branch,
                position
            }),
        1 => target().prop_map(Anchor::Both),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum PatchPart {
    Description(Option<String>),
    Timeout(Option<u64>),
    SetInput(String, RawInput),
    RemoveInput(Index),
    Outputs(Vec<String>),
    Extra(String, Option<Value>),
    Handling(Option<RawHandling>),
    /// The skill, agent or condition, whichever the step has.
    Name(String),
    /// Change the step's type (0 skill, 1 agent, 2 parallel, 3 conditional).
    Retype(u8),
    /// A patch `modify_step` refuses (0 not an object, 1 changes the id,
    /// 2 and 3 wrong value types).
    Invalid(u8),
}

fn patch_part() -> BoxedStrategy<PatchPart> {
    prop_oneof![
        2 => proptest::option::of(text()).prop_map(PatchPart::Description),
        2 => proptest::option::of(1u64..3600).prop_map(PatchPart::Timeout),
        3 => ("[a-z]{1,6}", raw_input()).prop_map(|(name, input)| PatchPart::SetInput(name, input)),
        1 => any::<Index>().prop_map(PatchPart::RemoveInput),
        2 => prop::collection::btree_set("[a-z]{1,6}", 0..3)
            .prop_map(|outputs| PatchPart::Outputs(outputs.into_iter().collect())),
        2 => (extra_key(), proptest::option::of(patchable_json()))
            .prop_map(|(key, value)| PatchPart::Extra(key, value)),
        2 => proptest::option::of(raw_handling()).prop_map(PatchPart::Handling),
        1 => skill_name().prop_map(PatchPart::Name),
        1 => (0u8..4).prop_map(PatchPart::Retype),
        1 => (0u8..4).prop_map(PatchPart::Invalid),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum RenameTo {
    Fresh,
    Existing(Index),
    Malformed,
}

#[derive(Debug, Clone)]
enum Key {
    Existing(Index),
    New(String),
    Malformed(&'static str),
}

fn key() -> BoxedStrategy<Key> {
    prop_oneof![
        4 => any::<Index>().prop_map(Key::Existing),
        4 => "[a-z][a-z_]{0,6}".prop_map(Key::New),
        1 => prop::sample::select(vec!["", "a.b"]).prop_map(Key::Malformed),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum Plan {
    Add {
        step: Box<RawStep>,
        anchor: Anchor,
        /// Give the new step an existing id: refused.
        duplicate: Option<Target>,
    },
    Remove(Target),
    Modify(Target, Vec<PatchPart>),
    ErrorHandling(Target, RawHandling),
    MakeParallel {
        first: Target,
        count: usize,
        named: bool,
    },
    Reorder {
        first: Target,
        rotate: Index,
        reverse: bool,
    },
    Rename(Target, RenameTo),
    SetContext(Key, Value),
    RemoveContext(Key),
    SetDescription(String),
}

fn plan() -> BoxedStrategy<Plan> {
    prop_oneof![
        3 => (
            raw_step(),
            anchor(),
            prop_oneof![12 => Just(None), 1 => target().prop_map(Some)],
        )
            .prop_map(|(step, anchor, duplicate)| Plan::Add {
                step: Box::new(step),
                anchor,
                duplicate
            }),
        2 => target().prop_map(Plan::Remove),
        4 => (target(), prop::collection::vec(patch_part(), 1..4))
            .prop_map(|(target, parts)| Plan::Modify(target, parts)),
        2 => (target(), raw_handling()).prop_map(|(target, handling)| Plan::ErrorHandling(target, handling)),
        1 => (target(), prop_oneof![6 => 2usize..4, 1 => Just(1usize)], any::<bool>())
            .prop_map(|(first, count, named)| Plan::MakeParallel { first, count, named }),
        1 => (target(), any::<Index>(), any::<bool>())
            .prop_map(|(first, rotate, reverse)| Plan::Reorder { first, rotate, reverse }),
        1 => (
            target(),
            prop_oneof![
                6 => Just(RenameTo::Fresh),
                1 => any::<Index>().prop_map(RenameTo::Existing),
                1 => Just(RenameTo::Malformed),
            ],
        )
            .prop_map(|(target, to)| Plan::Rename(target, to)),
        2 => (key(), any_json()).prop_map(|(key, value)| Plan::SetContext(key, value)),
        1 => key().prop_map(Plan::RemoveContext),
        1 => text().prop_map(Plan::SetDescription),
    ]
    .boxed()
}

/// Turns plans into modifications against the workflow as it is when each
/// one applies.
struct Realizer {
    current: Workflow,
    /// Fresh ids for added steps, renames and groups; far from the
    /// generator's own numbering.
    next: usize,
}

impl Realizer {
    fn ids(&self) -> Vec<String> {
        ids_of(&self.current)
    }

    fn target(&self, target: &Target) -> String {
        match target {
            Target::Existing(index) => pick(index, &self.ids())
                .cloned()
                .unwrap_or_else(|| "ghost".into()),
            Target::Missing(id) => id.clone(),
        }
    }

    fn fresh(&mut self, word: &str) -> String {
        self.next += 1;
        format!("{word}-{}", self.next)
    }

    fn context_keys(&self) -> Vec<String> {
        self.current.context.readonly.keys().cloned().collect()
    }

    fn key(&self, key: &Key) -> String {
        match key {
            Key::Existing(index) => pick(index, &self.context_keys())
                .cloned()
                .unwrap_or_else(|| "k".into()),
            Key::New(key) => key.clone(),
            Key::Malformed(key) => key.to_string(),
        }
    }

    fn producers(&self) -> Vec<Producer> {
        tree::walk(&self.current)
            .into_iter()
            .map(|visited| (visited.step.id.clone(), visited.step.outputs.clone()))
            .collect()
    }

    fn handling(&self, raw: &RawHandling) -> ErrorHandling {
        let mut handling = raw.handling.clone();
        if let Some(index) = &raw.fallback {
            handling.fallback = pick(index, &self.ids()).cloned();
        }
        handling
    }

    /// The ids of `id`'s list from `id` on, when `id` exists.
    fn siblings_from(&self, id: &str) -> Option<Vec<String>> {
        let (container, index) = tree::locate(&self.current, id)?;
        let list = tree::list(&self.current, &container)?;
        Some(list[index..].iter().map(|step| step.id.clone()).collect())
    }

    fn realize(&mut self, plan: &Plan) -> Modification {
        match plan {
            Plan::Add {
                step,
                anchor,
                duplicate,
            } => {
                let mut resolver = Resolver::new(self.context_keys(), self.next + 1);
                let mut new_step = resolver.step(step, &mut self.producers());
                self.next = resolver.next;
                let mut all_ids = self.ids();
                all_ids.extend(tree::subtree_ids(&new_step).into_iter().map(str::to_string));
                resolver.finish(std::slice::from_mut(&mut new_step), &all_ids);
                if let Some(duplicate) = duplicate {
                    new_step.id = self.target(duplicate);
                }
                let (mut after, mut before, mut position, mut parent, mut branch) =
                    (None, None, None, None, None);
                match anchor {
                    Anchor::After(target) => after = Some(self.target(target)),
                    Anchor::Before(target) => before = Some(self.target(target)),
                    Anchor::Start => position = Some(Position::Named(NamedPosition::Start)),
                    Anchor::End => position = Some(Position::Named(NamedPosition::End)),
                    Anchor::At(index, overshoot) => {
                        let slots = self.current.steps.len() + 1;
                        position = Some(Position::Index(index.index(slots) + overshoot));
                    }
                    Anchor::Into {
                        parent: owner,
                        branch: which,
                        position: at,
                    } => {
                        parent = Some(self.target(owner));
                        branch = *which;
                        position = *at;
                    }
                    Anchor::Both(target) => {
                        after = Some(self.target(target));
                        position = Some(Position::Named(NamedPosition::Start));
                    }
                }
                Modification::AddStep {
                    step: Box::new(new_step),
                    after,
                    before,
                    position,
                    parent,
                    branch,
                }
            }
            Plan::Remove(target) => Modification::RemoveStep {
                id: self.target(target),
            },
            Plan::Modify(target, parts) => {
                let id = self.target(target);
                let changes = self.patch(&id, parts);
                Modification::ModifyStep { id, changes }
            }
            Plan::ErrorHandling(target, raw) => Modification::AddErrorHandling {
                step_id: self.target(target),
                error_handling: self.handling(raw),
            },
            Plan::MakeParallel {
                first,
                count,
                named,
            } => {
                let first = self.target(first);
                let step_ids = match self.siblings_from(&first) {
                    Some(siblings) => siblings.into_iter().take(*count).collect(),
                    None => vec![first, "ghost".into()],
                };
                let id = named.then(|| self.fresh("group"));
                Modification::MakeParallel { step_ids, id }
            }
            Plan::Reorder {
                first,
                rotate,
                reverse,
            } => {
                let first = self.target(first);
                let mut order = self.siblings_from(&first).unwrap_or(vec![first]);
                let by = rotate.index(order.len());
                order.rotate_left(by);
                if *reverse {
                    order.reverse();
                }
                Modification::ReorderSteps { order }
            }
            Plan::Rename(target, to) => {
                let id = self.target(target);
                let new_id = match to {
                    RenameTo::Fresh => self.fresh("renamed"),
                    RenameTo::Existing(index) => pick(index, &self.ids())
                        .cloned()
                        .unwrap_or_else(|| id.clone()),
                    RenameTo::Malformed => "bad.id".into(),
                };
                Modification::RenameStep { id, new_id }
            }
            Plan::SetContext(key, value) => Modification::SetContext {
                key: self.key(key),
                value: value.clone(),
            },
            Plan::RemoveContext(key) => Modification::RemoveContext { key: self.key(key) },
            Plan::SetDescription(description) => Modification::SetDescription {
                description: description.clone(),
            },
        }
    }

    fn patch(&self, id: &str, parts: &[PatchPart]) -> Value {
        let step = tree::find(&self.current.steps, id);
        let resolver = Resolver::new(self.context_keys(), 0);
        let producers = self.producers();
        let mut patch = Map::new();
        for part in parts {
            match part {
                PatchPart::Description(text) => {
                    patch.insert("description".into(), json!(text));
                }
                PatchPart::Timeout(seconds) => {
                    patch.insert("timeout_secs".into(), json!(seconds));
                }
                PatchPart::SetInput(name, input) => {
                    let value = resolver.input(input, &producers);
                    inputs_patch(&mut patch).insert(name.clone(), value);
                }
                PatchPart::RemoveInput(index) => {
                    let names: Vec<String> = step
                        .map(|step| step.inputs.keys().cloned().collect())
                        .unwrap_or_default();
                    if let Some(name) = pick(index, &names) {
                        inputs_patch(&mut patch).insert(name.clone(), Value::Null);
                    }
                }
                PatchPart::Outputs(outputs) => {
                    patch.insert("outputs".into(), json!(outputs));
                }
                PatchPart::Extra(key, value) => {
                    patch.insert(key.clone(), value.clone().unwrap_or(Value::Null));
                }
                PatchPart::Handling(raw) => {
                    let value = match raw {
                        Some(raw) => json!(self.handling(raw)),
                        None => Value::Null,
                    };
                    patch.insert("error_handling".into(), value);
                }
                PatchPart::Name(name) => {
                    let field = match step.map(|step| &step.kind) {
                        Some(StepKind::Agent { .. }) => "agent",
                        Some(StepKind::Conditional { .. }) => "condition",
                        Some(StepKind::Parallel { .. }) => "description",
                        _ => "skill",
                    };
                    patch.insert(field.into(), json!(name));
                }
                PatchPart::Retype(kind) => {
                    let fields = match kind {
                        0 => json!({"type": "skill", "skill": "retyped"}),
                        1 => json!({"type": "agent", "agent": "retyped"}),
                        2 => json!({"type": "parallel"}),
                        _ => json!({"type": "conditional", "condition": "true"}),
                    };
                    if let Value::Object(fields) = fields {
                        patch.extend(fields);
                    }
                }
                PatchPart::Invalid(kind) => {
                    return match kind {
                        0 => json!("not an object"),
                        1 => json!({"id": format!("{id}-other")}),
                        2 => json!({"timeout_secs": "soon"}),
                        _ => json!({"outputs": 5}),
                    };
                }
            }
        }
        Value::Object(patch)
    }
}

fn inputs_patch(patch: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let entry = patch
        .entry("inputs")
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().expect("made an object above")
}

/// Realizes `plans` one by one. With `keep_failures` false, modifications
/// that do not apply are dropped, so the list always applies.
fn realize(workflow: &Workflow, plans: &[Plan], keep_failures: bool) -> Vec<Modification> {
    let mut realizer = Realizer {
        current: workflow.clone(),
        next: 100_000,
    };
    let mut modifications = Vec::new();
    for plan in plans {
        let modification = realizer.realize(plan);
        match apply(&realizer.current, std::slice::from_ref(&modification)) {
            Ok(next) => {
                realizer.current = next;
                modifications.push(modification);
            }
            Err(_) if keep_failures => modifications.push(modification),
            Err(_) => {}
        }
    }
    modifications
}

/// A workflow and a list of modifications that applies to it.
fn changed_workflow() -> impl Strategy<Value = (Workflow, Vec<Modification>)> {
    (workflow(), prop::collection::vec(plan(), 0..6)).prop_map(|(workflow, plans)| {
        let modifications = realize(&workflow, &plans, false);
        (workflow, modifications)
    })
}

/// A workflow and a list of modifications, some of which may not apply.
fn workflow_and_any_modifications() -> impl Strategy<Value = (Workflow, Vec<Modification>)> {
    (workflow(), prop::collection::vec(plan(), 0..6)).prop_map(|(workflow, plans)| {
        let modifications = realize(&workflow, &plans, true);
        (workflow, modifications)
    })
}

fn known_resources() -> BoxedStrategy<Option<KnownResources>> {
    proptest::option::of(
        (
            prop::collection::btree_set(skill_name(), 0..4),
            prop::collection::btree_set(skill_name(), 0..2),
        )
            .prop_map(|(skills, agents)| KnownResources::names(skills, agents)),
    )
    .boxed()
}

// ---------------------------------------------------------------------------
// Nonsense

fn chaos_id() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[ab]",
        2 => "[ab.]{0,2}",
        1 => Just("context".to_string()),
        1 => "[a-z]{1,3}",
        1 => "\\PC{0,3}",
    ]
    .boxed()
}

fn chaos_input() -> BoxedStrategy<Value> {
    prop_oneof![
        any_json(),
        "[abxy]\\.[xy]".prop_map(Value::String),
        "context\\.[kx.]{0,2}".prop_map(Value::String),
        "[a-z.]{0,5}".prop_map(Value::String),
    ]
    .boxed()
}

fn chaos_handling() -> BoxedStrategy<ErrorHandling> {
    (
        on_failure(),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<f64>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(chaos_id()),
        prop::collection::btree_map("[a-z]{1,8}", any_json(), 0..2),
    )
        .prop_map(
            |(strategy, max_attempts, initial, coefficient, max_interval, fallback, extra)| {
                ErrorHandling {
                    strategy,
                    max_attempts,
                    backoff: None,
                    initial_interval_ms: initial,
                    backoff_coefficient: coefficient,
                    max_interval_ms: max_interval,
                    non_retryable: None,
                    fallback,
                    extra: extra.into_iter().collect(),
                }
            },
        )
        .boxed()
}

type ChaosCommon = (
    Option<String>,
    Vec<(String, Value)>,
    Vec<String>,
    Option<u64>,
    Option<ErrorHandling>,
    Vec<(String, Value)>,
);

fn chaos_common() -> BoxedStrategy<ChaosCommon> {
    (
        proptest::option::of(text()),
        prop::collection::vec(("[a-z]{1,2}", chaos_input()), 0..3),
        prop::collection::vec("[xy.]{0,2}", 0..3),
        proptest::option::of(prop_oneof![Just(0u64), any::<u64>()]),
        proptest::option::of(chaos_handling()),
        prop::collection::vec(("\\PC{0,6}", any_json()), 0..2),
    )
        .boxed()
}

fn chaos_build(id: String, kind: StepKind, common: ChaosCommon) -> Step {
    let (description, inputs, outputs, timeout_secs, error_handling, extra) = common;
    Step {
        id,
        kind,
        description,
        inputs: inputs.into_iter().collect(),
        outputs,
        timeout_secs,
        error_handling,
        extra: extra.into_iter().collect(),
    }
}

fn chaos_step() -> BoxedStrategy<Step> {
    let leaf_kind = prop_oneof![
        "[a-z ]{0,3}".prop_map(|skill| StepKind::Skill { skill }),
        (
            "[a-z ]{0,3}",
            proptest::option::of(any::<bool>()),
            proptest::option::of(
                (
                    proptest::option::of(prop::collection::vec(text(), 0..2)),
                    proptest::option::of(any::<u32>())
                )
                    .prop_map(|(allowed_tools, max_iterations)| Guardrails {
                        allowed_tools,
                        max_iterations,
                        extra: JsonMap::new(),
                    })
            ),
        )
            .prop_map(|(agent, run_async, guardrails)| StepKind::Agent {
                agent,
                run_async,
                guardrails
            }),
        "[a-z]{1,8}".prop_map(|type_name| StepKind::Unknown { type_name }),
    ];
    let leaf = (chaos_id(), leaf_kind, chaos_common())
        .prop_map(|(id, kind, common)| chaos_build(id, kind, common));
    leaf.prop_recursive(3, 20, 4, |inner| {
        let children = prop::collection::vec(inner, 0..3);
        let kind = prop_oneof![
            children
                .clone()
                .prop_map(|steps| StepKind::Parallel { steps }),
            (
                prop_oneof!["[abxy .=&'\"\\\\!()]{0,12}", "[ab]\\.[xy] && context\\.k"],
                children.clone(),
                children
            )
                .prop_map(|(condition, then, otherwise)| StepKind::Conditional {
                    condition,
                    then,
                    otherwise
                }),
        ];
        (chaos_id(), kind, chaos_common())
            .prop_map(|(id, kind, common)| chaos_build(id, kind, common))
    })
    .boxed()
}

fn chaos_workflow() -> BoxedStrategy<Workflow> {
    (
        text(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        prop::collection::vec(chaos_step(), 0..5),
        prop::collection::vec(("[kx.]{0,2}", any_json()), 0..3),
        prop::collection::vec(("\\PC{0,6}", any_json()), 0..2),
    )
        .prop_map(
            |(name, version, description, steps, readonly, extra)| Workflow {
                name,
                version,
                description,
                steps,
                context: Context {
                    readonly: readonly.into_iter().collect(),
                    extra: JsonMap::new(),
                },
                extra: extra.into_iter().collect(),
            },
        )
        .boxed()
}

const STEP_FIELDS: [&str; 17] = [
    "id",
    "type",
    "skill",
    "agent",
    "steps",
    "then",
    "else",
    "condition",
    "inputs",
    "outputs",
    "timeout_secs",
    "error_handling",
    "description",
    "async",
    "guardrails",
    "strategy",
    "x",
];

fn chaos_changes() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => any_json(),
        3 => prop::collection::btree_map(prop::sample::select(STEP_FIELDS.to_vec()), any_json(), 0..4)
            .prop_map(|map| Value::Object(
                map.into_iter().map(|(key, value)| (key.to_string(), value)).collect()
            )),
    ]
    .boxed()
}

fn chaos_modification() -> BoxedStrategy<Modification> {
    let position = prop_oneof![position(), any::<usize>().prop_map(Position::Index),];
    let branch = prop_oneof![Just(Branch::Then), Just(Branch::Else)];
    prop_oneof![
        (
            chaos_step(),
            proptest::option::of(chaos_id()),
            proptest::option::of(chaos_id()),
            proptest::option::of(position),
            proptest::option::of(chaos_id()),
            proptest::option::of(branch),
        )
            .prop_map(|(step, after, before, position, parent, branch)| {
                Modification::AddStep {
                    step: Box::new(step),
                    after,
                    before,
                    position,
                    parent,
                    branch,
                }
            }),
        chaos_id().prop_map(|id| Modification::RemoveStep { id }),
        (chaos_id(), chaos_changes())
            .prop_map(|(id, changes)| Modification::ModifyStep { id, changes }),
        (chaos_id(), chaos_handling()).prop_map(|(step_id, error_handling)| {
            Modification::AddErrorHandling {
                step_id,
                error_handling,
            }
        }),
        (
            prop::collection::vec(chaos_id(), 0..4),
            proptest::option::of(chaos_id())
        )
            .prop_map(|(step_ids, id)| Modification::MakeParallel { step_ids, id }),
        prop::collection::vec(chaos_id(), 0..4)
            .prop_map(|order| Modification::ReorderSteps { order }),
        (chaos_id(), chaos_id()).prop_map(|(id, new_id)| Modification::RenameStep { id, new_id }),
        ("[kx.]{0,2}", any_json()).prop_map(|(key, value)| Modification::SetContext { key, value }),
        "[kx.]{0,2}".prop_map(|key| Modification::RemoveContext { key }),
        text().prop_map(|description| Modification::SetDescription { description }),
    ]
    .boxed()
}

/// JSON with the format's vocabulary, so the parser gets past the surface.
fn shaped_json() -> BoxedStrategy<Value> {
    let mut keys = STEP_FIELDS.to_vec();
    keys.extend([
        "name",
        "version",
        "context",
        "readonly",
        "max_attempts",
        "fallback",
        "backoff",
        "backoff_coefficient",
        "max_iterations",
        "allowed_tools",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        prop::sample::select(vec![
            "skill",
            "agent",
            "parallel",
            "conditional",
            "retry",
            "fallback",
            "fixed",
            "a",
            "a.b",
            "context.k",
        ])
        .prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(keys.clone()), inner, 0..6).prop_map(
                |map| Value::Object(
                    map.into_iter()
                        .map(|(key, value)| (key.to_string(), value))
                        .collect()
                )
            ),
        ]
    })
    .boxed()
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(Value),
    Remove,
    Insert(&'static str, Value),
}

/// A generated workflow's JSON with one place changed: near misses of the
/// format, some still valid.
fn mutated_workflow_json() -> impl Strategy<Value = Value> {
    let edit = prop_oneof![
        3 => shaped_json().prop_map(Edit::Replace),
        2 => Just(Edit::Remove),
        2 => (prop::sample::select(STEP_FIELDS.to_vec()), shaped_json())
            .prop_map(|(key, value)| Edit::Insert(key, value)),
    ];
    (
        workflow(),
        prop::collection::vec(any::<Index>(), 0..8),
        edit,
    )
        .prop_map(|(workflow, path, edit)| {
            let mut value = workflow.to_value();
            mutate(&mut value, &path, edit);
            value
        })
}

fn mutate(value: &mut Value, path: &[Index], edit: Edit) {
    if let Some((first, rest)) = path.split_first() {
        let child = match value {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(first.index(map.len())).cloned();
                key.and_then(|key| map.get_mut(&key))
            }
            Value::Array(items) if !items.is_empty() => {
                let at = first.index(items.len());
                items.get_mut(at)
            }
            _ => None,
        };
        if let Some(child) = child
            && (child.is_object() || child.is_array() || rest.is_empty())
        {
            if rest.is_empty() {
                if let Edit::Replace(replacement) = edit {
                    *child = replacement;
                    return;
                }
            } else {
                return mutate(child, rest, edit);
            }
        }
    }
    match (value, edit) {
        (target, Edit::Replace(replacement)) => *target = replacement,
        (Value::Object(map), Edit::Remove) => {
            if let Some(key) = map.keys().next().cloned() {
                map.shift_remove(&key);
            }
        }
        (Value::Array(items), Edit::Remove) => {
            items.pop();
        }
        (Value::Object(map), Edit::Insert(key, inserted)) => {
            map.insert(key.to_string(), inserted);
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Laws

proptest! {
    #![proptest_config(config(256))]

    /// The generator makes what it means to: references it resolves are
    /// ones validation accepts, and ids are unique and well-formed. (This
    /// also checks validation's flow rules against a simpler model.)
    #[test]
    fn generated_workflows_have_no_reference_or_id_errors(workflow in workflow()) {
        let report = validate(&workflow, None);
        let wrong: Vec<_> = report
            .errors()
            .filter(|issue| matches!(
                issue.code,
                IssueCode::UnknownStep
                    | IssueCode::UndeclaredOutput
                    | IssueCode::NotRunBefore
                    | IssueCode::MissingContextKey
                    | IssueCode::DuplicateId
                    | IssueCode::InvalidId
            ))
            .collect();
        prop_assert!(wrong.is_empty(), "{:#?}", wrong);
    }

    /// parse ∘ print is the identity.
    #[test]
    fn printing_then_parsing_gives_back_the_workflow(workflow in workflow()) {
        prop_assert_eq!(Workflow::from_json_str(&workflow.to_pretty_json()), Ok(workflow.clone()));
        prop_assert_eq!(Workflow::from_value(workflow.to_value()), Ok(workflow));
    }

    /// The same after modifications (which build steps through JSON too).
    #[test]
    fn modified_workflows_print_and_parse_back((workflow, modifications) in changed_workflow()) {
        let changed = apply(&workflow, &modifications).expect("realize() keeps what applies");
        prop_assert_eq!(Workflow::from_json_str(&changed.to_pretty_json()), Ok(changed));
    }

    /// modifications_between(a, b) turns a into b, in both directions, and
    /// the semantic diff is empty exactly when nothing changed.
    #[test]
    fn modifications_between_rebuild_the_result((before, modifications) in changed_workflow()) {
        let after = apply(&before, &modifications).expect("realize() keeps what applies");
        prop_assert!(semantic_diff(&before, &before).is_empty());
        prop_assert!(semantic_diff(&after, &after).is_empty());
        prop_assert_eq!(semantic_diff(&before, &after).is_empty(), before == after);

        let forward = modifications_between(&before, &after);
        prop_assert!(forward.is_ok(), "{:?}", forward);
        let forward = forward.expect("checked");
        prop_assert_eq!(apply(&before, &forward), Ok(after.clone()), "{:#?}", forward);

        match modifications_between(&after, &before) {
            Ok(backward) => {
                prop_assert_eq!(apply(&after, &backward), Ok(before.clone()), "{:#?}", backward);
            }
            // The only thing modifications cannot undo here: a description
            // that set_description added.
            Err(error) => {
                prop_assert!(before.description.is_none() && after.description.is_some(), "{}", error);
            }
        }
    }

    /// A change merged with no change is that change, from either side.
    #[test]
    fn merging_with_an_unchanged_side_gives_the_change((base, modifications) in changed_workflow()) {
        let changed = apply(&base, &modifications).expect("realize() keeps what applies");
        prop_assert_eq!(merge(&base, &base, &changed), Ok(changed.clone()));
        prop_assert_eq!(merge(&base, &changed, &base), Ok(changed.clone()));
        prop_assert_eq!(merge(&base, &changed, &changed), Ok(changed.clone()));
        prop_assert_eq!(merge(&base, &base, &base), Ok(base));
    }

    /// apply is all-or-nothing: a failure names the modification at fault,
    /// every modification before it applies, and evaluate agrees with apply.
    #[test]
    fn apply_fails_at_the_named_modification((workflow, modifications) in workflow_and_any_modifications()) {
        let snapshot = workflow.clone();
        let outcome = apply(&workflow, &modifications);
        prop_assert_eq!(&workflow, &snapshot);
        match &outcome {
            Ok(result) => {
                let evaluation = evaluate(&workflow, &modifications, None);
                prop_assert!(evaluation.is_ok());
                prop_assert_eq!(&evaluation.expect("checked").result, result);
            }
            Err(error) => {
                prop_assert!(error.index < modifications.len(), "{:?}", error);
                prop_assert_eq!(error.kind, modifications[error.index].kind());
                prop_assert!(apply(&workflow, &modifications[..error.index]).is_ok());
                prop_assert_eq!(&apply(&workflow, &modifications[..=error.index]), &outcome);
                let evaluated = evaluate(&workflow, &modifications, None).err();
                prop_assert_eq!(evaluated.as_ref(), Some(error));
            }
        }
    }

    /// Evaluating no change is safe and breaks nothing.
    #[test]
    fn evaluating_no_change_is_safe(workflow in workflow(), known in known_resources()) {
        let evaluation = evaluate(&workflow, &[], known.as_ref()).expect("nothing to apply");
        prop_assert_eq!(evaluation.impact.verdict, Verdict::Safe);
        prop_assert!(evaluation.impact.broken_references.is_empty());
        prop_assert!(evaluation.diff.is_empty());
        prop_assert_eq!(evaluation.result, workflow);
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Nothing in the engine panics on nonsense workflows and modifications.
    #[test]
    fn the_engine_never_panics_on_nonsense(
        workflows in prop::collection::vec(chaos_workflow(), 3),
        modifications in prop::collection::vec(chaos_modification(), 0..5),
        known in known_resources(),
    ) {
        let (a, b, c) = (&workflows[0], &workflows[1], &workflows[2]);
        let _ = validate(a, known.as_ref());
        let evaluation = evaluate(a, &modifications, known.as_ref());
        let _ = evaluate_result(a, b.clone(), known.as_ref());
        let _ = semantic_diff(a, b);
        let _ = text_diff(a, b, "a", "b");
        let _ = merge(a, b, c);
        let _ = merge(a, a, b);
        if let Ok(between) = modifications_between(a, b) {
            let _ = apply(a, &between);
        }
        for modification in &modifications {
            let _ = modification.to_string();
        }
        let _ = Workflow::from_json_str(&a.to_pretty_json());
        if let Ok(evaluation) = evaluation {
            let _ = evaluation.diff.to_string();
        }
    }

    /// Nonsense workflows have no differences from themselves, and no change
    /// to them is safe.
    #[test]
    fn nonsense_compared_with_itself(workflow in chaos_workflow(), known in known_resources()) {
        let evaluation = evaluate(&workflow, &[], known.as_ref()).expect("nothing to apply");
        prop_assert_eq!(evaluation.impact.verdict, Verdict::Safe);
        prop_assert!(evaluation.impact.broken_references.is_empty());
        prop_assert!(semantic_diff(&workflow, &workflow).is_empty());
    }

    /// Nonsense modifications against sensible workflows: no panic, and a
    /// failure still names a modification of the list.
    #[test]
    fn nonsense_modifications_never_panic(
        workflow in workflow(),
        modifications in prop::collection::vec(chaos_modification(), 1..5),
    ) {
        match evaluate(&workflow, &modifications, None) {
            Ok(evaluation) => {
                let _ = merge(&workflow, &evaluation.result, &workflow);
                let _ = modifications_between(&workflow, &evaluation.result);
            }
            Err(error) => prop_assert!(error.index < modifications.len()),
        }
    }

    /// Two independent changes of one base merge or conflict, never panic.
    #[test]
    fn merging_two_changes_never_panics(
        base in workflow(),
        ours in prop::collection::vec(plan(), 0..5),
        theirs in prop::collection::vec(plan(), 0..5),
    ) {
        let ours = apply(&base, &realize(&base, &ours, false)).expect("applies");
        let theirs = apply(&base, &realize(&base, &theirs, false)).expect("applies");
        if let Ok(merged) = merge(&base, &ours, &theirs) {
            let _ = validate(&merged, None);
            let _ = semantic_diff(&base, &merged);
        }
    }

    /// Taking one side for every conflict (`qwf merge --ours/--theirs`)
    /// always settles a merge of two changes: every conflict met is
    /// reported as resolved with that side, a merge without conflicts is
    /// the same as before, and taking a side against an unchanged other
    /// side gives that side.
    #[test]
    fn taking_one_side_always_settles_a_merge(
        base in workflow(),
        ours in prop::collection::vec(plan(), 0..5),
        theirs in prop::collection::vec(plan(), 0..5),
    ) {
        let ours = apply(&base, &realize(&base, &ours, false)).expect("applies");
        let theirs = apply(&base, &realize(&base, &theirs, false)).expect("applies");
        let plain = merge(&base, &ours, &theirs);
        for side in [Side::Ours, Side::Theirs] {
            let resolutions = Resolutions { chosen: Default::default(), every: Some(side) };
            let settled = merge_resolving(&base, &ours, &theirs, &resolutions);
            prop_assert!(settled.is_ok(), "{:?} did not settle: {:?}", side, settled.err());
            let settled = settled.expect("checked");
            prop_assert!(settled.resolved.iter().all(|resolved| resolved.side == side));
            match &plain {
                Ok(merged) => {
                    prop_assert_eq!(&settled.workflow, merged);
                    prop_assert!(settled.resolved.is_empty());
                }
                Err(conflicts) => prop_assert!(!settled.resolved.is_empty() || conflicts.is_empty()),
            }
        }
        let with_base = Resolutions { chosen: Default::default(), every: Some(Side::Ours) };
        prop_assert_eq!(
            merge_resolving(&base, &ours, &base, &with_base).map(|merged| merged.workflow),
            Ok(ours.clone())
        );
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text: an error or a workflow, never a panic.
    #[test]
    fn parsing_any_text_never_panics(text in prop_oneof![
        any::<String>(),
        "[{}\\[\\]\":,a-z0-9 .\\\\-]{0,60}",
    ]) {
        let _ = Workflow::from_json_str(&text);
    }

    /// Any JSON value, as a value and as text.
    #[test]
    fn parsing_any_json_never_panics(value in prop_oneof![any_json(), shaped_json()]) {
        let _ = Workflow::from_value(value.clone());
        let _ = Workflow::from_json_str(&value.to_string());
    }

    /// Near misses of the format: whatever parses prints and parses back to
    /// the same workflow.
    #[test]
    fn whatever_parses_prints_back(value in mutated_workflow_json()) {
        let text = serde_json::to_string_pretty(&value).expect("a value prints");
        let from_text = Workflow::from_json_str(&text);
        let from_value = Workflow::from_value(value);
        prop_assert_eq!(from_text.is_ok(), from_value.is_ok());
        if let Ok(workflow) = from_value {
            prop_assert_eq!(from_text, Ok(workflow.clone()));
            prop_assert_eq!(Workflow::from_json_str(&workflow.to_pretty_json()), Ok(workflow));
        }
    }
}

// ---------------------------------------------------------------------------
// Regressions: failures the laws above found, kept as plain tests.

fn parse(text: &str) -> Workflow {
    Workflow::from_json_str(text).expect("test workflow parses")
}

fn modifications(value: Value) -> Vec<Modification> {
    serde_json::from_value(value).expect("test modifications parse")
}

/// Two steps share the id `b` (a hand edit); the step `a` lives in the
/// second one. `locate` finds `a` in "the then-branch of 'b'", but that
/// list, looked up by owner id, is the first `b`'s: remove_step used to
/// panic (no such list), or remove the first `b`'s step at the same index.
#[test]
fn duplicate_container_ids_are_refused_not_misapplied() {
    let workflow = parse(
        r#"{"name": "w", "steps": [
            {"id": "b", "type": "conditional", "condition": "true", "then": [
                {"id": "x", "type": "skill", "skill": "s"},
                {"id": "z", "type": "skill", "skill": "s"}]},
            {"id": "b", "type": "conditional", "condition": "true", "then": [
                {"id": "y", "type": "skill", "skill": "s"},
                {"id": "a", "type": "skill", "skill": "s"}]},
            {"id": "p", "type": "parallel", "steps": []},
            {"id": "p", "type": "conditional", "condition": "true", "then": [
                {"id": "c", "type": "skill", "skill": "s"},
                {"id": "d", "type": "skill", "skill": "s"}]}]}"#,
    );
    for list in [
        json!([{"type": "remove_step", "id": "a"}]),
        json!([{"type": "remove_step", "id": "c"}]),
        json!([{"type": "add_step", "step": {"id": "n", "type": "skill", "skill": "s"}, "after": "a"}]),
        json!([{"type": "add_step", "step": {"id": "n", "type": "skill", "skill": "s"}, "before": "c"}]),
        json!([{"type": "reorder_steps", "order": ["a", "y"]}]),
        json!([{"type": "reorder_steps", "order": ["d", "c"]}]),
        json!([{"type": "make_parallel", "step_ids": ["y", "a"]}]),
        json!([{"type": "make_parallel", "step_ids": ["c", "d"]}]),
    ] {
        let error = apply(&workflow, &modifications(list.clone()))
            .expect_err("an ambiguous list is refused");
        assert_eq!(error.index, 0, "{list}");
        assert!(
            error.message.contains("more than one step has the id"),
            "{list}: {error}"
        );
    }
    // What is not ambiguous still applies.
    let result = apply(
        &workflow,
        &modifications(json!([
            {"type": "remove_step", "id": "z"},
            {"type": "set_context", "key": "k", "value": 1},
            {"type": "add_step", "step": {"id": "n", "type": "skill", "skill": "s"}, "position": "start", "parent": "b"}
        ])),
    )
    .expect("unambiguous modifications apply");
    let first_branch: Vec<&str> = match &result.steps[0].kind {
        StepKind::Conditional { then, .. } => then.iter().map(|step| step.id.as_str()).collect(),
        other => panic!("expected a conditional, got {other:?}"),
    };
    assert_eq!(first_branch, ["n", "x"]);
}

/// Steps are paired by id; with a repeated id, the second step used to be
/// compared with the first, so a workflow differed from itself.
#[test]
fn a_workflow_with_repeated_ids_has_no_diff_from_itself() {
    let workflow = parse(
        r#"{"name": "w", "steps": [{"id": "a", "type": "conditional", "condition": "",
            "then": [], "else": [{"id": "a", "type": "skill", "skill": ""}]}]}"#,
    );
    assert!(semantic_diff(&workflow, &workflow).is_empty());
    let evaluation = evaluate(&workflow, &[], None).expect("nothing to apply");
    assert!(evaluation.diff.is_empty());
    assert_eq!(evaluation.impact.verdict, Verdict::Safe);
}

/// Floats that need all 17 digits (what arithmetic produces) survive a save
/// and load exactly: serde_json's `float_roundtrip` feature is on for this.
#[test]
fn every_float_survives_a_save_and_load() {
    for value in [
        98654.84045481363,
        6.695465144322603e-255,
        0.30000000000000004,
    ] {
        let mut workflow =
            parse(r#"{"name": "w", "steps": [{"id": "a", "type": "skill", "skill": "s"}]}"#);
        let mut handling = ErrorHandling::with_strategy(OnFailure::Retry);
        handling.backoff_coefficient = Some(value);
        workflow.steps[0].error_handling = Some(handling);
        workflow.steps[0].inputs.insert("x".into(), json!(value));
        assert_eq!(
            Workflow::from_json_str(&workflow.to_pretty_json()),
            Ok(workflow),
            "{value:e}"
        );
    }
}

// ---------------------------------------------------------------------------
// Honest verdicts: what cannot run is never "safe"

/// Skills for every skill a workflow's steps run, with interfaces the
/// workflow satisfies (inputs every step gives are required, others
/// optional; outputs are what any step declares), or, where `declared` says
/// so, no interface at all; and the agents it names.
fn registry_for(workflow: &Workflow, declared: &[bool]) -> (Vec<Skill>, Vec<String>) {
    use std::collections::{BTreeMap, BTreeSet};
    let mut uses: BTreeMap<String, Vec<&Step>> = BTreeMap::new();
    let mut agents = BTreeSet::new();
    for visited in tree::walk(workflow) {
        match &visited.step.kind {
            StepKind::Skill { skill } => uses.entry(skill.clone()).or_default().push(visited.step),
            StepKind::Agent { agent, .. } => {
                agents.insert(agent.clone());
            }
            _ => {}
        }
    }
    let skills = uses
        .into_iter()
        .enumerate()
        .map(|(index, (name, steps))| {
            let mut skill: Skill = serde_json::from_value(
                json!({"name": name, "type": "code_inline", "command": "true", "description": "generated"}),
            )
            .expect("a skill");
            if declared.get(index).copied().unwrap_or(true) {
                let mut inputs: BTreeSet<&String> = BTreeSet::new();
                let mut outputs: BTreeSet<&String> = BTreeSet::new();
                for step in &steps {
                    inputs.extend(step.inputs.keys());
                    outputs.extend(&step.outputs);
                }
                skill.inputs = Some(
                    inputs
                        .into_iter()
                        .map(|input| Port {
                            optional: !steps.iter().all(|step| step.inputs.contains_key(input)),
                            ..Port::named(input.clone())
                        })
                        .collect(),
                );
                skill.outputs = Some(outputs.into_iter().map(|output| Port::named(output.clone())).collect());
            }
            skill
        })
        .collect();
    (skills, agents.into_iter().collect())
}

/// Preflight's checks that depend on the workflow and the registry only
/// (every command is `true`, which is installed; every model step has a
/// provider).
fn preflight_passes(workflow: &Workflow, skills: &[Skill], agents: &[String]) -> bool {
    preflight(PreflightInput {
        name: "w".into(),
        version: 1,
        workflow: workflow.clone(),
        skills: skills.to_vec(),
        broken_skills: Vec::new(),
        skills_dir: std::env::temp_dir(),
        skill_dirs: Default::default(),
        agents: agents.iter().map(|name| (name.clone(), None)).collect(),
        agent_interfaces: Default::default(),
        overrides: Default::default(),
        models: ModelAvailability::Ready("test model".into()),
        environment: vec![("PATH".into(), std::env::var("PATH").unwrap_or_default())],
        untrusted_skills: Default::default(),
    })
    .is_ok()
}

/// A workflow with a registry it satisfies, and changes to it (sometimes
/// with a context value left as a placeholder).
fn workflow_registry_and_changes()
-> impl Strategy<Value = (Workflow, Vec<Skill>, Vec<String>, Vec<Modification>)> {
    (
        workflow(),
        prop::collection::vec(plan(), 1..6),
        prop::collection::vec(prop::bool::weighted(0.8), 12),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(mut workflow, plans, declared, placeholder, keep_handling)| {
                // Generated error handling is often invalid on purpose; most
                // cases start from a workflow that runs.
                if !keep_handling {
                    tree::for_each_step_mut(&mut workflow.steps, &mut |step| {
                        step.error_handling = None;
                        step.timeout_secs = None;
                    });
                }
                let mut modifications = realize(&workflow, &plans, false);
                if placeholder {
                    modifications.push(Modification::SetContext {
                        key: "todo_value".into(),
                        value: json!("TODO: the value"),
                    });
                }
                let (skills, agents) = registry_for(&workflow, &declared);
                (workflow, skills, agents, modifications)
            },
        )
}

proptest! {
    #![proptest_config(config(256))]

    /// A change after which the workflow fails validation (skill checks
    /// included) or preflight's static checks, when it passed them before,
    /// is never "safe". (Problems it had before are not the change's.)
    #[test]
    fn a_change_that_stops_the_workflow_running_is_never_safe(
        (workflow, skills, agents, modifications) in workflow_registry_and_changes()
    ) {
        let known = KnownResources::new(
            &skills,
            agents.iter().map(|name| (name.clone(), Default::default())),
        );
        let before_ok =
            validate(&workflow, Some(&known)).is_valid() && preflight_passes(&workflow, &skills, &agents);
        if !before_ok {
            return Ok(());
        }
        let evaluation = evaluate(&workflow, &modifications, Some(&known)).expect("realized changes apply");
        let after_ok = evaluation.validation.is_valid()
            && preflight_passes(&evaluation.result, &skills, &agents);
        if !after_ok {
            prop_assert_ne!(
                evaluation.impact.verdict,
                Verdict::Safe,
                "{:#?}\n{:#?}",
                evaluation.validation.issues,
                modifications
            );
        }
        // And a safe change leaves every step running in its place.
        if evaluation.impact.verdict == Verdict::Safe {
            for change in &evaluation.impact.behaviour {
                prop_assert!(
                    matches!(change.before, qwf::core::impact::Runs::Absent),
                    "a safe change altered how '{}' runs: {change}",
                    change.step
                );
            }
        }
    }
}
