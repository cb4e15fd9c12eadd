//! Ranking skills for a creation request with 5,000 registered skills
//! (target: under 10 ms), and the size of the creation prompt it produces
//! (target: under 2,000 tokens).
//!
//! Tokens are estimated by `qwf::agent::prompts::estimate_tokens`: the
//! larger of characters / 4 and words × 4 / 3. The sizes are printed once,
//! before the timings.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

use qwf::agent::prompts::{CREATE, PROMPT_SKILLS, SYSTEM, estimate_tokens, skills_section};
use qwf::core::ranking::SkillIndex;

#[path = "../tests/support/skill_corpus.rs"]
mod skill_corpus;

const REQUEST: &str = "fetch the orders from https://shop.example.com/orders, validate them and save them to the orders table";

fn ranking(c: &mut Criterion) {
    let mut skills = skill_corpus::skills(5_000);
    skills.sort_by(|left, right| left.name.cmp(&right.name));

    let section = skills_section(&skills, REQUEST, PROMPT_SKILLS);
    let prompt = format!("{SYSTEM}\n{CREATE}{section}");
    println!(
        "creation prompt with 5,000 skills: skills section {} tokens, whole system prompt {} tokens (estimate: max(chars/4, words*4/3))",
        estimate_tokens(&section),
        estimate_tokens(&prompt)
    );

    let mut group = c.benchmark_group("ranking_5000_skills");
    group.bench_function("index_and_rank", |b| {
        b.iter(|| SkillIndex::new(black_box(&skills)).search(black_box(REQUEST), PROMPT_SKILLS))
    });
    let index = SkillIndex::new(&skills);
    group.bench_function("rank_prebuilt_index", |b| {
        b.iter(|| index.search(black_box(REQUEST), PROMPT_SKILLS))
    });
    group.bench_function("creation_prompt_section", |b| {
        b.iter(|| skills_section(black_box(&skills), black_box(REQUEST), PROMPT_SKILLS))
    });
    group.finish();
}

criterion_group!(benches, ranking);
criterion_main!(benches);
