//! Synthetic workflows for the engine benchmarks.
//!
//! A realistic shape at scale: a long chain of skill steps, each reading the
//! previous step's output and a context key; every 50th place in the chain a
//! parallel group of three; every 100th a conditional (two steps in `then`,
//! one in `else`); retry on every 10th step, a timeout on every 25th.

use serde_json::{Value, json};

use qwf::core::model::{Backoff, ErrorHandling, Step, StepKind, Strategy, Workflow};
use qwf::core::{Modification, apply};

const CONTEXT_KEYS: [&str; 4] = ["api_url", "schema", "region", "bucket"];

fn id(n: usize) -> String {
    format!("step-{n:05}")
}

/// A skill step reading `input` (a reference) and a context key.
fn skill_step(n: usize, input: Option<&str>) -> Step {
    let mut step = Step::skill(id(n), format!("skill-{}", n % 40));
    if let Some(input) = input {
        step.inputs.insert("data".into(), json!(input));
    }
    step.inputs.insert(
        "config".into(),
        json!(format!("context.{}", CONTEXT_KEYS[n % CONTEXT_KEYS.len()])),
    );
    step.outputs = vec!["out".into()];
    if n % 10 == 3 {
        let mut handling = ErrorHandling::with_strategy(Strategy::Retry);
        handling.max_attempts = Some(3);
        handling.backoff = Some(Backoff::Exponential);
        step.error_handling = Some(handling);
    }
    if n % 25 == 7 {
        step.timeout_secs = Some(30);
    }
    step
}

/// A workflow of about `size` steps, nested ones included.
pub fn workflow(size: usize) -> Workflow {
    let mut steps = Vec::new();
    let mut n = 0;
    // The step whose output has certainly been produced so far.
    let mut last: Option<String> = None;
    for place in 0.. {
        if n >= size {
            break;
        }
        let input = last.as_ref().map(|id| format!("{id}.out"));
        if place % 50 == 25 && n + 4 <= size {
            let group = id(n);
            let members: Vec<Step> = (1..=3)
                .map(|k| skill_step(n + k, input.as_deref()))
                .collect();
            last = Some(members[0].id.clone());
            steps.push(Step::new(group, StepKind::Parallel { steps: members }));
            n += 4;
        } else if place % 100 == 60 && n + 4 <= size {
            let reader = last.as_deref().unwrap_or("context");
            let condition = format!("{reader}.out != 'skip'");
            let then = vec![
                skill_step(n + 1, input.as_deref()),
                skill_step(n + 2, Some(&format!("{}.out", id(n + 1)))),
            ];
            let otherwise = vec![skill_step(n + 3, input.as_deref())];
            steps.push(Step::new(
                id(n),
                StepKind::Conditional {
                    condition,
                    then,
                    otherwise,
                },
            ));
            // Branch outputs are not certain afterwards: keep reading `last`.
            n += 4;
        } else {
            let step = skill_step(n, input.as_deref());
            last = Some(step.id.clone());
            steps.push(step);
            n += 1;
        }
    }
    let readonly = CONTEXT_KEYS
        .iter()
        .map(|key| (key.to_string(), json!(format!("value of {key}"))))
        .collect();
    let mut workflow = Workflow {
        name: format!("synthetic-{size}"),
        version: Some("1.0.0".into()),
        description: Some("a long synthetic pipeline".into()),
        steps,
        ..Workflow::default()
    };
    workflow.context.readonly = readonly;
    workflow
}

/// The id of a top-level skill step in the middle of `workflow`.
pub fn middle_step(workflow: &Workflow) -> String {
    workflow.steps[workflow.steps.len() / 2..]
        .iter()
        .find(|step| matches!(step.kind, StepKind::Skill { .. }))
        .map(|step| step.id.clone())
        .expect("the chain has skill steps after its middle")
}

/// Retry on a step in the middle.
pub fn add_error_handling(workflow: &Workflow) -> Modification {
    let mut handling = ErrorHandling::with_strategy(Strategy::Retry);
    handling.max_attempts = Some(5);
    handling.backoff = Some(Backoff::Linear);
    Modification::AddErrorHandling {
        step_id: middle_step(workflow),
        error_handling: handling,
    }
}

/// A new step right after a middle step, reading its output.
pub fn add_step(workflow: &Workflow) -> Modification {
    let after = middle_step(workflow);
    let mut step = Step::skill("audit-log", "logger");
    step.inputs
        .insert("data".into(), Value::String(format!("{after}.out")));
    Modification::AddStep {
        step: Box::new(step),
        after: Some(after),
        before: None,
        position: None,
        parent: None,
        branch: None,
    }
}

/// `workflow` with about 1% of its steps changed: fields modified on most
/// of them, a few added, removed and moved.
pub fn changed(workflow: &Workflow) -> Workflow {
    let chain: Vec<String> = workflow
        .steps
        .iter()
        .filter(|step| matches!(step.kind, StepKind::Skill { .. }))
        .map(|step| step.id.clone())
        .collect();
    let changes = (workflow.steps.len() / 100).max(4);
    let every = chain.len() / changes;
    let mut modifications = Vec::new();
    for k in 0..changes {
        let target = &chain[k * every + every / 2];
        modifications.push(match k % 10 {
            0..=6 => Modification::ModifyStep {
                id: target.clone(),
                changes: json!({"timeout_secs": 60 + k, "inputs": {"config": "context.region"}}),
            },
            7 => Modification::RemoveStep { id: target.clone() },
            8 => Modification::AddStep {
                step: Box::new(Step::skill(format!("added-{k}"), "new-skill")),
                after: Some(target.clone()),
                before: None,
                position: None,
                parent: None,
                branch: None,
            },
            _ => {
                let neighbour = chain[k * every + every / 2 + 1].clone();
                Modification::ReorderSteps {
                    order: vec![neighbour, target.clone()],
                }
            }
        });
    }
    apply(workflow, &modifications).expect("the synthetic changes apply")
}
