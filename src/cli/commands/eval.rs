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
    /// Exit non-zero when a set's pass rate is below P (0 to 1): `P` for
    /// every set, `SET=P` for one (`--min-pass dev=0.95`); repeatable.
    #[arg(long, value_name = "[SET=]P")]
    pub min_pass: Vec<String>,
    /// Exit non-zero when a set has more than N silent wrongs (a change
    /// saved that the case did not expect).
    #[arg(long, value_name = "N")]
    pub max_silent_wrong: Option<usize>,
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
    /// Cases where a change was saved that the case did not expect.
    silent_wrong: usize,
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
        silent_wrong: cases.iter().filter(|case| case.result.silent_wrong).count(),
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
        "{label:<32} {:>5} {:>6} {:>6.1}% {:>6} {:>9.1}% {:>11.1}% {:>8}/{:<8} {:>8.2} {:>8.2}",
        score.total,
        score.passed,
        score.pass_rate * 100.0,
        score.silent_wrong,
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
    let report = Grouped::of(&results);
    if printer.json {
        printer.document(&report.document(&results));
    } else {
        report.print(&results, printer);
    }
    gate(args, &report)?;
    Ok(Outcome::Done)
}

/// The scores of a run: per suite, per set (`dev`, `heldout`) and overall.
struct Grouped {
    overall: Score,
    /// (set, score); empty when the suites are not split into sets.
    sets: Vec<(String, Score)>,
    /// (set, suite, score).
    suites: Vec<(String, String, Score)>,
}

impl Grouped {
    fn of(results: &[Timed]) -> Self {
        let mut suites: Vec<(&str, &str)> = results
            .iter()
            .map(|timed| (timed.result.set.as_str(), timed.result.suite.as_str()))
            .collect();
        suites.dedup();
        let mut sets: Vec<&str> = suites.iter().map(|(set, _)| *set).collect();
        sets.dedup();
        let pick = |keep: &dyn Fn(&CaseResult) -> bool| -> Score {
            score(
                &results
                    .iter()
                    .filter(|timed| keep(&timed.result))
                    .collect::<Vec<_>>(),
            )
        };
        Grouped {
            overall: pick(&|_| true),
            sets: if sets.iter().all(|set| set.is_empty()) {
                Vec::new()
            } else {
                sets.iter()
                    .map(|set| (set.to_string(), pick(&|result| result.set == *set)))
                    .collect()
            },
            suites: suites
                .iter()
                .map(|(set, suite)| {
                    (
                        set.to_string(),
                        suite.to_string(),
                        pick(&|result| result.set == *set && result.suite == *suite),
                    )
                })
                .collect(),
        }
    }

    /// Each set to gate, with its score: the sets, or everything as one
    /// set named "all" when there are none.
    fn gated(&self) -> Vec<(&str, &Score)> {
        if self.sets.is_empty() {
            vec![("all", &self.overall)]
        } else {
            self.sets
                .iter()
                .map(|(set, score)| (set.as_str(), score))
                .collect()
        }
    }

    fn document(&self, results: &[Timed]) -> serde_json::Value {
        let value = |score: &Score| {
            serde_json::to_value(score).expect("scores are always representable as JSON")
        };
        let mut document = value(&self.overall);
        document["sets"] = self
            .sets
            .iter()
            .map(|(set, score)| {
                let mut entry = value(score);
                entry["set"] = set.clone().into();
                entry
            })
            .collect();
        document["suites"] = self
            .suites
            .iter()
            .map(|(set, suite, score)| {
                let mut entry = value(score);
                if !set.is_empty() {
                    entry["set"] = set.clone().into();
                }
                entry["suite"] = suite.clone().into();
                entry
            })
            .collect();
        document["cases"] =
            serde_json::to_value(results).expect("results are always representable as JSON");
        document
    }

    fn print(&self, results: &[Timed], printer: &mut Printer) {
        for timed in results.iter().filter(|timed| !timed.result.passed) {
            let result = &timed.result;
            let set = if result.set.is_empty() {
                String::new()
            } else {
                format!("{}/", result.set)
            };
            let silent = if result.silent_wrong {
                " (silent wrong: a change was saved that the case did not expect)"
            } else {
                ""
            };
            printer.line(format!(
                "{} {set}{}/{}{silent}",
                paint(ERROR, "✗"),
                result.suite,
                result.name
            ));
            for failure in &result.failures {
                printer.line(format!("    {failure}"));
            }
        }
        printer.line(format!(
            "{:<32} {:>5} {:>6} {:>7} {:>6} {:>10} {:>12} {:>17} {:>8} {:>8}",
            "suite",
            "cases",
            "passed",
            "rate",
            "silent",
            "first-try",
            "well-formed",
            "tokens in/out",
            "p50 ms",
            "p95 ms"
        ));
        for (set, suite, score) in &self.suites {
            let label = if set.is_empty() {
                suite.clone()
            } else {
                format!("{set}/{suite}")
            };
            printer.line(row(&label, score));
        }
        for (set, score) in &self.sets {
            printer.line(row(&format!("{set} (all)"), score));
        }
        let overall_row = row("overall", &self.overall);
        printer.line(
            if self.overall.passed == self.overall.total && self.overall.silent_wrong == 0 {
                paint(GOOD, overall_row)
            } else {
                overall_row
            },
        );
    }
}

/// `--min-pass` and `--max-silent-wrong`: every set is held to them.
fn gate(args: &Args, report: &Grouped) -> Result<(), CliError> {
    let mut minimums: Vec<(Option<String>, f64)> = Vec::new();
    for given in &args.min_pass {
        let (set, value) = match given.split_once('=') {
            Some((set, value)) => (Some(set.trim().to_string()), value),
            None => (None, given.as_str()),
        };
        let minimum = value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|minimum| (0.0..=1.0).contains(minimum))
            .ok_or_else(|| {
                CliError::new(format!("--min-pass {given}: not a pass rate"))
                    .with_hint("give a number from 0 to 1, for every set (0.95) or one (dev=0.95)")
            })?;
        if let Some(set) = &set
            && !report.gated().iter().any(|(name, _)| name == set)
        {
            let known: Vec<&str> = report.gated().iter().map(|(name, _)| *name).collect();
            return Err(
                CliError::new(format!("--min-pass {given}: no set '{set}' in this run"))
                    .with_hint(format!("the sets are: {}", known.join(", "))),
            );
        }
        minimums.push((set, minimum));
    }
    let mut problems = Vec::new();
    for (set, score) in report.gated() {
        for (wanted, minimum) in &minimums {
            if wanted.as_deref().is_none_or(|wanted| wanted == set) && score.pass_rate < *minimum {
                problems.push(format!(
                    "{set}: pass rate {:.1}% is below the minimum {:.1}%",
                    score.pass_rate * 100.0,
                    minimum * 100.0
                ));
            }
        }
        if let Some(maximum) = args.max_silent_wrong
            && score.silent_wrong > maximum
        {
            problems.push(format!(
                "{set}: {} silent wrong (a change saved that the case did not expect), more than {maximum}",
                score.silent_wrong
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(problems.join("; ")).with_hint("the failing cases are listed above"))
    }
}
