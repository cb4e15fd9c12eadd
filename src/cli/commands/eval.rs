use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::agent::config::ModelFlags;
use crate::agent::eval::{self, Case, CaseResult, Recorder, Replayer, recording_path};
use crate::agent::model::{Model, cancel};
use crate::cli::conversation::{build_model, stop_on_interrupt};
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{DIM, ERROR, GOOD, Printer, WARNING, paint};
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
    /// Exit non-zero when a set's pass rate is below P (0 to 1), or when a
    /// case errored: `P` for every set, `SET=P` for one (`--min-pass
    /// dev=0.95`); repeatable.
    #[arg(long, value_name = "[SET=]P")]
    pub min_pass: Vec<String>,
    /// Exit non-zero when a set has more than N silent wrongs (a change
    /// saved that the case did not expect): `N` for every set, `SET=N` for
    /// one (`--max-silent-wrong dev=0`); repeatable.
    #[arg(long, value_name = "[SET=]N")]
    pub max_silent_wrong: Vec<String>,
    #[arg(long)]
    pub provider: Option<String>,
    #[arg(long)]
    pub model: Option<String>,
    /// The longest answer the model may write, in tokens.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// Save every model exchange per case under DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    pub record: Option<PathBuf>,
    /// Answer from recordings under DIR instead of a live model. Fails when
    /// a case that passed when recorded fails now; stale cases (whose
    /// requests no longer match the recording) are listed, not failed.
    #[arg(long, value_name = "DIR")]
    pub replay: Option<PathBuf>,
    /// With --replay, also fail when a case is stale.
    #[arg(long, requires = "replay")]
    pub fail_on_stale: bool,
}

/// Scores of a group of cases (a suite, or all of them). A rate is `None`
/// ("n/a") when no case it is about ran.
#[derive(Debug, Serialize)]
struct Score {
    total: usize,
    passed: usize,
    /// Cases that ran and did not pass.
    failed: usize,
    /// Cases the model could not be asked (unreachable, HTTP errors,
    /// timeouts): not scored.
    errored: usize,
    /// Replayed cases whose requests no longer match the recording: not
    /// scored.
    stale: usize,
    /// Among the cases scored.
    pass_rate: Option<f64>,
    /// Cases where a change was saved that the case did not expect.
    silent_wrong: usize,
    /// Among cases that made a proposal: the first one was valid.
    first_try_validity: Option<f64>,
    /// Among cases that made a tool call: every call was well formed.
    well_formed_rate: Option<f64>,
    tokens_in: u64,
    tokens_out: u64,
    latency_ms_p50: Option<f64>,
    latency_ms_p95: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Timed {
    #[serde(flatten)]
    result: CaseResult,
    latency_ms: f64,
    /// Replaying: how the case ended when it was recorded, when that
    /// differs from now.
    #[serde(skip_serializing_if = "Option::is_none")]
    recorded_passed: Option<bool>,
}

impl Timed {
    fn scored(&self) -> bool {
        self.result.errored.is_none() && self.result.stale.is_none()
    }

    /// Replaying: it passed when recorded and fails now.
    fn regressed(&self) -> bool {
        self.recorded_passed == Some(true) && self.scored() && !self.result.passed
    }
}

fn percentile(sorted: &[f64], fraction: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() as f64) * fraction).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn rate(count: usize, of: usize) -> Option<f64> {
    (of > 0).then(|| count as f64 / of as f64)
}

fn score(cases: &[&Timed]) -> Score {
    let scored: Vec<&&Timed> = cases.iter().filter(|case| case.scored()).collect();
    let passed = scored.iter().filter(|case| case.result.passed).count();
    let proposing: Vec<bool> = scored
        .iter()
        .filter_map(|case| case.result.first_try_valid)
        .collect();
    let calling: Vec<&&&Timed> = scored
        .iter()
        .filter(|case| case.result.tool_calls > 0)
        .collect();
    let mut latencies: Vec<f64> = scored.iter().map(|case| case.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    Score {
        total: cases.len(),
        passed,
        failed: scored.len() - passed,
        errored: cases
            .iter()
            .filter(|case| case.result.errored.is_some())
            .count(),
        stale: cases
            .iter()
            .filter(|case| case.result.stale.is_some())
            .count(),
        pass_rate: rate(passed, scored.len()),
        silent_wrong: scored
            .iter()
            .filter(|case| case.result.silent_wrong)
            .count(),
        first_try_validity: rate(
            proposing.iter().filter(|valid| **valid).count(),
            proposing.len(),
        ),
        well_formed_rate: rate(
            calling
                .iter()
                .filter(|case| case.result.well_formed)
                .count(),
            calling.len(),
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

fn percent(value: Option<f64>) -> String {
    value.map_or_else(
        || "n/a".to_string(),
        |value| format!("{:.1}%", value * 100.0),
    )
}

fn millis(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |value| format!("{value:.0}"))
}

fn row(label: &str, score: &Score) -> String {
    format!(
        "{label:<32} {:>5} {:>6} {:>7} {:>7} {:>7} {:>6} {:>10} {:>12} {:>8}/{:<8} {:>8} {:>8}",
        score.total,
        score.passed,
        score.errored,
        score.stale,
        percent(score.pass_rate),
        score.silent_wrong,
        percent(score.first_try_validity),
        percent(score.well_formed_rate),
        score.tokens_in,
        score.tokens_out,
        millis(score.latency_ms_p50),
        millis(score.latency_ms_p95)
    )
}

/// Where progress goes: a bar on a terminal, a line per case otherwise
/// (on stderr, so `--json` keeps stdout to its document).
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
}

impl Progress {
    fn new(total: usize, json: bool) -> Progress {
        let bar = (std::io::stderr().is_terminal() && !json).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} cases, {elapsed} (Ctrl-C stops and reports) {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar, total }
    }

    fn starting(&self, case: &Case) {
        if let Some(bar) = &self.bar {
            bar.set_message(case.id());
        }
    }

    fn finished(&self, done: usize, timed: &Timed) {
        let verdict = if let Some(stale) = &timed.result.stale {
            format!("stale ({stale})")
        } else if let Some(error) = &timed.result.errored {
            format!("errored ({error})")
        } else if timed.result.passed {
            "passed".to_string()
        } else {
            "failed".to_string()
        };
        match &self.bar {
            Some(bar) => bar.inc(1),
            None => eprintln!(
                "[{done}/{}] {}: {verdict} ({:.1} s)",
                self.total,
                timed.result.id(),
                timed.latency_ms / 1000.0
            ),
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Runs one case: live, recorded, or replayed.
fn run_one(case: &Case, args: &Args, live: Option<&dyn Model>) -> Result<Timed, CliError> {
    let started = Instant::now();
    if let Some(directory) = &args.replay {
        let replayer = match Replayer::load(&recording_path(directory, case)) {
            Ok(replayer) => replayer,
            Err(why) => {
                return Ok(Timed {
                    result: eval::stale(case, why),
                    latency_ms: 0.0,
                    recorded_passed: None,
                });
            }
        };
        let mut result = eval::run_case(case, &replayer);
        if let Some(why) = replayer.stale() {
            result.passed = false;
            result.failures.clear();
            result.errored = None;
            result.stale = Some(why);
        }
        let latency_ms = replayer
            .recorded_latency_ms()
            .map_or_else(|| started.elapsed().as_secs_f64() * 1000.0, |ms| ms as f64);
        return Ok(Timed {
            recorded_passed: replayer
                .recorded_outcome()
                .map(|outcome| outcome.passed)
                .filter(|passed| *passed != result.passed),
            result,
            latency_ms,
        });
    }
    let model = live.expect("a live model is built unless replaying");
    let result = match &args.record {
        Some(directory) => {
            let recorder = Recorder::new(model);
            let (result, transcript) = eval::run_case_with_transcript(case, &recorder);
            if !result.cancelled {
                let path = directory
                    .join(&case.set)
                    .join(&case.suite)
                    .join(format!("{}.json", case.name));
                recorder.save(&path, &result, transcript)?;
            }
            result
        }
        None => eval::run_case(case, model),
    };
    Ok(Timed {
        result,
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        recorded_passed: None,
    })
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let eval_error = |error: eval::EvalError| {
        let hint = error.hint();
        CliError::new(error.to_string()).with_hint(hint)
    };
    let mut cases = eval::load(&args.dir, args.filter.as_deref()).map_err(eval_error)?;
    if let Some(directory) = &args.replay {
        // A replay covers the suites that were recorded; a case added to
        // one of them since is stale, other suites are not in scope.
        let planned = cases.len();
        cases.retain(|case| eval::suite_recorded(directory, case));
        if cases.is_empty() {
            return Err(CliError::new(format!(
                "none of the {planned} cases has a recorded suite under {}",
                directory.display()
            ))
            .with_hint("record one with `qwf eval DIR --record RECORDINGS` and a live model"));
        }
    }
    let live: Option<Box<dyn Model>> = match &args.replay {
        Some(_) => None,
        None => Some(build_model(
            settings,
            &ModelFlags {
                provider: args.provider.clone(),
                model: args.model.clone(),
                max_tokens: args.max_tokens,
            },
        )?),
    };
    // Ctrl-C and SIGTERM stop the whole run; the cases that finished are
    // still reported.
    stop_on_interrupt();
    let progress = Progress::new(cases.len(), printer.json);
    let mut results = Vec::with_capacity(cases.len());
    for case in &cases {
        if cancel::is_stopping() {
            break;
        }
        progress.starting(case);
        let timed = run_one(case, args, live.as_deref())?;
        if timed.result.cancelled || cancel::is_stopping() && timed.result.errored.is_some() {
            break;
        }
        results.push(timed);
        progress.finished(results.len(), results.last().expect("just pushed"));
    }
    progress.done();
    let interrupted = cancel::is_stopping();
    let report = Grouped::of(&results);
    let overall = &report.overall;
    let regressions: Vec<&Timed> = results.iter().filter(|timed| timed.regressed()).collect();
    if printer.json {
        let mut document = report.document(&results);
        document["interrupted"] = interrupted.into();
        document["planned"] = cases.len().into();
        document["regressions"] = regressions.iter().map(|timed| timed.result.id()).collect();
        printer.document(&document);
    } else {
        report_cases(printer, &results);
        report.print(printer);
    }
    if interrupted {
        printer.error(
            &CliError::new(format!(
                "interrupted: {} of {} cases ran; the report covers those",
                results.len(),
                cases.len()
            ))
            .with_hint("run it again to score every case, or narrow it with --filter"),
        );
        return Ok(Outcome::Interrupted);
    }
    if !regressions.is_empty() {
        return Err(CliError::new(format!(
            "{} replayed case{} passed when recorded and fail now: {}",
            regressions.len(),
            if regressions.len() == 1 { "" } else { "s" },
            regressions
                .iter()
                .map(|timed| timed.result.id())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_hint("the same model answers now lead elsewhere: the loop, the gate or the checks changed; the failures are listed above"));
    }
    if args.fail_on_stale && overall.stale > 0 {
        return Err(CliError::new(format!(
            "{} case{} stale",
            overall.stale,
            if overall.stale == 1 { " is" } else { "s are" }
        ))
        .with_hint("record them again with `qwf eval --record DIR` and a live model"));
    }
    gate(args, &report)?;
    Ok(Outcome::Done)
}

/// The cases that did not pass, each with why.
fn report_cases(printer: &mut Printer, results: &[Timed]) {
    for timed in results.iter().filter(|timed| !timed.result.passed) {
        let id = timed.result.id();
        if let Some(stale) = &timed.result.stale {
            printer.line(format!("{} {id} is stale: {stale}", paint(DIM, "~")));
            continue;
        }
        if let Some(error) = &timed.result.errored {
            printer.line(format!("{} {id} errored: {error}", paint(WARNING, "!")));
            continue;
        }
        let mark = if timed.regressed() {
            format!("{} (passed when recorded)", paint(ERROR, "✗"))
        } else {
            paint(ERROR, "✗")
        };
        let silent = if timed.result.silent_wrong {
            " (silent wrong: a change was saved that the case did not expect)"
        } else {
            ""
        };
        printer.line(format!("{mark} {id}{silent}"));
        for failure in &timed.result.failures {
            printer.line(format!("    {failure}"));
        }
    }
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

    fn print(&self, printer: &mut Printer) {
        printer.line(format!(
            "{:<32} {:>5} {:>6} {:>7} {:>7} {:>7} {:>6} {:>10} {:>12} {:>17} {:>8} {:>8}",
            "suite",
            "cases",
            "passed",
            "errored",
            "stale",
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
        if self.overall.stale > 0 {
            printer.line(paint(
                DIM,
                format!(
                    "{} of {} cases are stale: their requests no longer match the recording (the prompt, tools or suite changed); record them again with `qwf eval --record DIR` and a live model.",
                    self.overall.stale, self.overall.total
                ),
            ));
        }
    }
}

/// The values of a gate flag given as `[SET=]VALUE`, each with the set it
/// holds (`None`: every set); a set this run does not have is an error.
fn per_set<T>(
    report: &Grouped,
    flag: &str,
    given: &[String],
    parse: impl Fn(&str) -> Result<T, &'static str>,
) -> Result<Vec<(Option<String>, T)>, CliError> {
    let mut values = Vec::new();
    for text in given {
        let (set, value) = match text.split_once('=') {
            Some((set, value)) => (Some(set.trim().to_string()), value),
            None => (None, text.as_str()),
        };
        let value = parse(value.trim()).map_err(|hint| {
            CliError::new(format!("{flag} {text}: not a valid limit")).with_hint(hint)
        })?;
        if let Some(set) = &set
            && !report.gated().iter().any(|(name, _)| name == set)
        {
            let known: Vec<&str> = report.gated().iter().map(|(name, _)| *name).collect();
            return Err(
                CliError::new(format!("{flag} {text}: no set '{set}' in this run"))
                    .with_hint(format!("the sets are: {}", known.join(", "))),
            );
        }
        values.push((set, value));
    }
    Ok(values)
}

/// `--min-pass` and `--max-silent-wrong`: every set is held to them, and
/// with `--min-pass` no case may have errored.
fn gate(args: &Args, report: &Grouped) -> Result<(), CliError> {
    let minimums = per_set(report, "--min-pass", &args.min_pass, |value| {
        value
            .parse::<f64>()
            .ok()
            .filter(|minimum| (0.0..=1.0).contains(minimum))
            .ok_or("give a number from 0 to 1, for every set (0.95) or one (dev=0.95)")
    })?;
    let maximums = per_set(
        report,
        "--max-silent-wrong",
        &args.max_silent_wrong,
        |value| {
            value
                .parse::<usize>()
                .map_err(|_| "give a whole number, for every set (0) or one (dev=0)")
        },
    )?;
    let overall = &report.overall;
    if !minimums.is_empty() && overall.errored > 0 {
        return Err(CliError::new(format!(
            "{} case{} errored, so the pass rate covers only {} of {} cases",
            overall.errored,
            if overall.errored == 1 { "" } else { "s" },
            overall.passed + overall.failed,
            overall.total
        ))
        .with_hint("the errors are listed above: is the model server running and reachable?"));
    }
    let mut problems = Vec::new();
    for (set, score) in report.gated() {
        for (wanted, minimum) in &minimums {
            if wanted.as_deref().is_some_and(|wanted| wanted != set) {
                continue;
            }
            match score.pass_rate {
                Some(rate) if rate >= *minimum => {}
                Some(rate) => problems.push(format!(
                    "{set}: pass rate {:.1}% is below the minimum {:.1}%",
                    rate * 100.0,
                    minimum * 100.0
                )),
                None => problems.push(format!(
                    "{set}: no case could be scored, so there is no pass rate"
                )),
            }
        }
        for (wanted, maximum) in &maximums {
            if wanted.as_deref().is_some_and(|wanted| wanted != set) {
                continue;
            }
            if score.silent_wrong > *maximum {
                problems.push(format!(
                    "{set}: {} silent wrong (a change saved that the case did not expect), more than {maximum}",
                    score.silent_wrong
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(problems.join("; ")).with_hint("the failing cases are listed above"))
    }
}
