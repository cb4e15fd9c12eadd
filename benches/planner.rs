//! The offline planner's cost per request on a 50-step workflow (target:
//! under 5 ms). The conversation is what the loop sends: the system prompt
//! with the workflow in focus, then the request.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

use qwf::agent::model::{Message, Model, ModelRequest};
use qwf::agent::offline::OfflinePlanner;
use qwf::agent::tools::specs;

#[path = "support/mod.rs"]
#[allow(dead_code)] // the engine benchmarks use the rest
mod support;

const REQUESTS: [(&str, &str); 5] = [
    ("retry", "add retry logic to step-00025 with 5 attempts"),
    ("timeout", "increase the timeout of step-00040 to 2 minutes"),
    ("remove", "remove step-00012"),
    ("add_step", "add a logging step after step-00030"),
    ("question", "what does this workflow do?"),
];

fn planner(c: &mut Criterion) {
    let mut workflow = support::workflow(50);
    workflow.name = "pipeline".into();
    let system = format!(
        "{}\nThe user's workflows: pipeline.\n\nCurrent workflow 'pipeline' (v1):\n{}",
        qwf::agent::prompts::SYSTEM,
        workflow.to_pretty_json()
    );
    let tools = specs();
    let planner = OfflinePlanner::new();
    let mut group = c.benchmark_group("offline_planner_50_steps");
    for (label, request) in REQUESTS {
        let messages = vec![
            Message::System {
                text: system.clone(),
            },
            Message::User {
                text: request.to_string(),
            },
        ];
        // The first reply must be a real plan, not a refusal to understand.
        let reply = planner
            .respond(&ModelRequest {
                messages: &messages,
                tools: &tools,
            })
            .expect("the planner answers");
        assert!(
            !reply.tool_calls.is_empty() || !reply.text.is_empty(),
            "{label}: empty reply"
        );
        group.bench_function(label, |bench| {
            bench.iter(|| {
                planner.respond(black_box(&ModelRequest {
                    messages: &messages,
                    tools: &tools,
                }))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, planner);
criterion_main!(benches);
