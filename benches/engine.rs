//! Engine speed at scale: `cargo bench --bench engine`.
//!
//! Targets on a 10,000-step workflow: validate + impact of one change under
//! 20 ms, a semantic diff of two versions under 50 ms, applying one
//! modification under 5 ms. The 1,000-step runs show how time scales.
//!
//! `apply` and `evaluate` return a whole new workflow; freeing it (about
//! 2 ms at 10,000 steps) is left out of their timings, as a caller pays it
//! only when done with the result (`iter_with_large_drop`).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use qwf::core::{apply, evaluate, semantic_diff, tree, validate};

mod support;

const SIZES: [usize; 2] = [1_000, 10_000];

/// (a) What the gate computes for one proposed change: apply, validate
/// before and after, diff and impact.
fn validate_and_impact(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate_and_impact");
    for size in SIZES {
        let workflow = support::workflow(size);
        let change = [support::add_error_handling(&workflow)];
        group.bench_with_input(
            BenchmarkId::new("validate", size),
            &workflow,
            |b, workflow| b.iter(|| validate(black_box(workflow), None)),
        );
        group.bench_with_input(
            BenchmarkId::new("evaluate", size),
            &workflow,
            |b, workflow| {
                b.iter_with_large_drop(|| {
                    evaluate(black_box(workflow), black_box(&change), None).expect("applies")
                })
            },
        );
    }
    group.finish();
}

/// (b) The semantic diff of two versions that differ in about 1% of steps.
fn diff(c: &mut Criterion) {
    let mut group = c.benchmark_group("semantic_diff");
    for size in SIZES {
        let old = support::workflow(size);
        let new = support::changed(&old);
        group.bench_with_input(
            BenchmarkId::new("one_percent", size),
            &(old, new),
            |b, (old, new)| b.iter(|| semantic_diff(black_box(old), black_box(new))),
        );
    }
    group.finish();
}

/// (c) Applying one modification.
fn apply_one(c: &mut Criterion) {
    let mut group = c.benchmark_group("apply");
    for size in SIZES {
        let workflow = support::workflow(size);
        for (name, modification) in [
            ("add_error_handling", support::add_error_handling(&workflow)),
            ("add_step", support::add_step(&workflow)),
        ] {
            let list = [modification];
            group.bench_with_input(BenchmarkId::new(name, size), &workflow, |b, workflow| {
                b.iter_with_large_drop(|| {
                    apply(black_box(workflow), black_box(&list)).expect("applies")
                })
            });
        }
    }
    group.finish();
}

/// The synthetic workflows are what they claim: sizes, validity, and a diff
/// of the expected size. Run once before the timings.
fn check_inputs(_: &mut Criterion) {
    for size in SIZES {
        let workflow = support::workflow(size);
        let steps = tree::walk(&workflow).len();
        assert!(steps.abs_diff(size) <= 4, "{steps} steps for {size}");
        let report = validate(&workflow, None);
        assert!(
            report.issues.is_empty(),
            "{:#?}",
            &report.issues[..3.min(report.issues.len())]
        );
        let changes = semantic_diff(&workflow, &support::changed(&workflow))
            .changes
            .len();
        assert!(changes >= size / 100, "{changes} changes for {size}");
    }
}

criterion_group!(benches, check_inputs, validate_and_impact, diff, apply_one);
criterion_main!(benches);
