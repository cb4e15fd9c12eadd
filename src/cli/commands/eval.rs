use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::agent::config::ModelFlags;
use crate::agent::eval::{self, CaseResult, Recorder, Replayer, recording_path};
use crate::agent::model::Model;
use crate::cli::conversation::{build_model, model_error};
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{ERROR, GOOD, Printer, paint};
use crate::cli::settings::Settings;

/// Score a model on recorded prompts: every case in evals/<suite>/ runs in
/// a fresh temporary home through the real loop and gate.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A folder of suites (evals/) or one suite folder.
    #[arg(default_value = "evals")]
    pub dir: PathBuf,
    /// Only cases whose SUITE/NAME contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Exit non-zero when the pass rate is below this (0 to 1).
    #[arg(long, value_name = "P")]
    pub min_pass: Option<f64>,
    #[arg(long)]
    pub provider: Option<String>,
    #[arg(long)]
    pub model: Option<String>,
    /// Save every model exchange per case under DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    pub record: Option<PathBuf>,
    /// Answer from recordings under DIR instead of a live model.
    #[arg(long, value_name = "DIR")]
    pub replay: Option<PathBuf>,
}

/// Scores of a group of cases (a suite, or all of them).
#[derive(Debug, Serialize)]
struct Score {
    total: usize,
    passed: usize,
    pass_rate: f64,
    /// Among cases that made a proposal: the first one was valid.
    first_try_validity: f64,
    well_formed_rate: f64,
    tokens_in: u64,
    tokens_out: u64,
    latency_ms_p50: f64,
    latency_ms_p95: f64,
}

#[derive(Debug, Serialize)]
struct Timed {
    #[serde(flatten)]
    result: CaseResult,
    latency_ms: f64,
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64) * fraction).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn score(cases: &[&Timed]) -> Score {
    let total = cases.len();
    let passed = cases.iter().filter(|case| case.result.passed).count();
    let proposing: Vec<bool> = cases
        .iter()
        .filter_map(|case| case.result.first_try_valid)
        .collect();
    let rate = |count: usize, of: usize| {
        if of == 0 {
            1.0
        } else {
            count as f64 / of as f64
        }
    };
    let mut latencies: Vec<f64> = cases.iter().map(|case| case.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    Score {
        total,
        passed,
        pass_rate: rate(passed, total),
        first_try_validity: rate(
            proposing.iter().filter(|valid| **valid).count(),
            proposing.len(),
        ),
        well_formed_rate: rate(
            cases.iter().filter(|case| case.result.well_formed).count(),
            total,
        ),
        tokens_in: cases
            .iter()
            .map(|case| case.result.usage.input_tokens)
            .sum(),
        tokens_out: cases
            .iter()
            .map(|case| case.result.usage.output_tokens)
            .sum(),
        latency_ms_p50: percentile(&latencies, 0.5),
        latency_ms_p95: percentile(&latencies, 0.95),
    }
}

fn row(label: &str, score: &Score) -> String {
    format!(
        "{label:<24} {:>5} {:>6} {:>6.1}% {:>9.1}% {:>11.1}% {:>8}/{:<8} {:>8.2} {:>8.2}",
        score.total,
        score.passed,
        score.pass_rate * 100.0,
        score.first_try_validity * 100.0,
        score.well_formed_rate * 100.0,
        score.tokens_in,
        score.tokens_out,
        score.latency_ms_p50,
        score.latency_ms_p95
    )
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let eval_error = |error: eval::EvalError| {
        let hint = error.hint();
        CliError::new(error.to_string()).with_hint(hint)
    };
    let cases = eval::load(&args.dir, args.filter.as_deref()).map_err(eval_error)?;
    let live: Option<Box<dyn Model>> = match &args.replay {
        Some(_) => None,
        None => Some(build_model(
            settings,
            &ModelFlags {
                provider: args.provider.clone(),
                model: args.model.clone(),
            },
        )?),
    };
    let mut results = Vec::with_capacity(cases.len());
    for case in &cases {
        let started = Instant::now();
        let result = match (&args.replay, &live) {
            (Some(directory), _) => match Replayer::load(&recording_path(directory, case), case) {
                Ok(replayer) => eval::run_case(case, &replayer),
                Err(error) => return Err(model_error(error)),
            },
            (None, Some(model)) => match &args.record {
                Some(directory) => {
                    let recorder = Recorder::new(model.as_ref());
                    let result = eval::run_case(case, &recorder);
                    recorder.save(&recording_path(directory, case))?;
                    result
                }
                None => eval::run_case(case, model.as_ref()),
            },
            (None, None) => unreachable!("a live model is built unless replaying"),
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        if let Some(stale) = result
            .failures
            .iter()
            .find(|failure| failure.contains("is stale:"))
        {
            return Err(CliError::new(stale.clone())
                .with_hint("record the suite again with `qwf eval --record DIR`"));
        }
        results.push(Timed { result, latency_ms });
    }
    let mut suites: Vec<&str> = results
        .iter()
        .map(|timed| timed.result.suite.as_str())
        .collect();
    suites.dedup();
    let overall = score(&results.iter().collect::<Vec<_>>());
    let per_suite: Vec<(String, Score)> = suites
        .iter()
        .map(|suite| {
            (
                suite.to_string(),
                score(
                    &results
                        .iter()
                        .filter(|timed| timed.result.suite == *suite)
                        .collect::<Vec<_>>(),
                ),
            )
        })
        .collect();
    if printer.json {
        let mut document =
            serde_json::to_value(&overall).expect("scores are always representable as JSON");
        document["suites"] = per_suite
            .iter()
            .map(|(suite, score)| {
                let mut value =
                    serde_json::to_value(score).expect("scores are always representable as JSON");
                value["suite"] = suite.clone().into();
                value
            })
            .collect();
        document["cases"] =
            serde_json::to_value(&results).expect("results are always representable as JSON");
        printer.document(&document);
    } else {
        for timed in results.iter().filter(|timed| !timed.result.passed) {
            printer.line(format!(
                "{} {}/{}",
                paint(ERROR, "✗"),
                timed.result.suite,
                timed.result.name
            ));
            for failure in &timed.result.failures {
                printer.line(format!("    {failure}"));
            }
        }
        printer.line(format!(
            "{:<24} {:>5} {:>6} {:>7} {:>10} {:>12} {:>17} {:>8} {:>8}",
            "suite",
            "cases",
            "passed",
            "rate",
            "first-try",
            "well-formed",
            "tokens in/out",
            "p50 ms",
            "p95 ms"
        ));
        for (suite, score) in &per_suite {
            printer.line(row(suite, score));
        }
        let overall_row = row("overall", &overall);
        printer.line(if overall.passed == overall.total {
            paint(GOOD, overall_row)
        } else {
            overall_row
        });
    }
    if let Some(minimum) = args.min_pass
        && overall.pass_rate < minimum
    {
        return Err(CliError::new(format!(
            "pass rate {:.1}% is below the minimum {:.1}%",
            overall.pass_rate * 100.0,
            minimum * 100.0
        ))
        .with_hint("the failing cases are listed above"));
    }
    Ok(Outcome::Done)
}
