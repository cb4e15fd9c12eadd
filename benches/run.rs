//! `qwf run` executor overhead: a 20-step workflow of `true` commands
//! (per-step cost = time / 20, minus what fork/exec of `true` costs on its
//! own, measured alongside), and three parallel `sleep 1` steps.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use qwf::core::Workflow;
use qwf::core::skill::Skill;
use qwf::run::{Event, ModelAvailability, Options, Plan, PreflightInput, execute, preflight};
use serde_json::json;

fn skill(name: &str, command: &str) -> Skill {
    serde_json::from_value(json!({"name": name, "type": "code_inline", "command": command}))
        .unwrap()
}

fn plan(workflow: serde_json::Value, skills: Vec<Skill>, dir: &std::path::Path) -> Plan {
    preflight(PreflightInput {
        name: "bench".into(),
        version: 1,
        workflow: Workflow::from_value(workflow).unwrap(),
        skills,
        broken_skills: Vec::new(),
        skills_dir: dir.to_path_buf(),
        skill_dirs: Default::default(),
        agents: Default::default(),
        agent_interfaces: Default::default(),
        overrides: Default::default(),
        models: ModelAvailability::Offline,
        environment: qwf::run::environment::process_environment(),
        untrusted_skills: Default::default(),
    })
    .expect("preflight passes")
}

fn run(plan: &Plan) {
    let on_event = |_: &Event| {};
    let is_cancelled = || false;
    let finished = execute(
        plan,
        &Options {
            on_event: &on_event,
            is_cancelled: &is_cancelled,
            models: None,
        },
    );
    assert_eq!(finished.status, qwf::store::runs::RunStatus::Succeeded);
    black_box(finished);
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let steps: Vec<_> = (0..20)
        .map(|n| json!({"id": format!("s{n}"), "type": "skill", "skill": "noop", "inputs": {"n": n}}))
        .collect();
    let twenty = plan(
        json!({"name": "bench", "steps": steps}),
        vec![skill("noop", "true")],
        dir.path(),
    );
    c.bench_function("run: 20 sequential `true` steps", |b| {
        b.iter(|| run(&twenty))
    });
    c.bench_function("baseline: spawn and wait for `true` once", |b| {
        b.iter(|| {
            std::process::Command::new("true")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .status()
                .unwrap()
        })
    });

    let parallel = plan(
        json!({"name": "bench", "steps": [{"id": "p", "type": "parallel", "steps": [
            {"id": "a", "type": "skill", "skill": "nap"},
            {"id": "b", "type": "skill", "skill": "nap"},
            {"id": "c", "type": "skill", "skill": "nap"}]}]}),
        vec![skill("nap", "sleep 1")],
        dir.path(),
    );
    let mut group = c.benchmark_group("run");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(12));
    group.bench_function("three parallel `sleep 1` steps", |b| {
        b.iter(|| run(&parallel))
    });
    group.finish();
}

criterion_group!(run_benches, benches);
criterion_main!(run_benches);
