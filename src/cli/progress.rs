//! How `qwf run` shows a run as it happens, on stderr. The runner reports
//! events; this turns them into what a person reads.
//!
//! On a terminal (indicatif): a line per running step with a spinner and
//! the time it has taken, a last line counting finished steps with the
//! run's elapsed time, and permanent lines for what happened: each failed
//! attempt with its error and the wait before the next, each finished step
//! with its time and attempts, and for a failure the end of its stderr.
//! Elsewhere the same permanent lines, plus one when each attempt starts.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::commands::run::duration_text;
use super::output::{DIM, ERROR, GOOD, WARNING, paint};
use crate::core::model::Workflow;
use crate::core::tree;
use crate::run::Event;
use crate::store::runs::StepStatus;

/// How many lines of a failure's stderr the live view shows.
const LIVE_TAIL: usize = 6;

pub struct Progress {
    enabled: bool,
    terminal: Option<Terminal>,
    state: Mutex<State>,
    /// Every step's id, and the ids inside each step (a skip covers them).
    total: usize,
    subtrees: HashMap<String, Vec<String>>,
}

struct Terminal {
    multi: MultiProgress,
    overall: ProgressBar,
}

#[derive(Default)]
struct State {
    bars: HashMap<String, ProgressBar>,
    /// The attempt each step is on, and its maximum (None: unlimited).
    attempts: HashMap<String, (u32, Option<u32>)>,
    finished: HashSet<String>,
}

impl Progress {
    /// Progress for a run of `workflow`; `enabled` is false with `--json`.
    pub fn new(enabled: bool, workflow: &Workflow) -> Self {
        let visited = tree::walk(workflow);
        let subtrees = visited
            .iter()
            .map(|visited| {
                (
                    visited.step.id.clone(),
                    tree::subtree_ids(visited.step)
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                )
            })
            .collect();
        let total = visited.len();
        let terminal = (enabled && std::io::stderr().is_terminal()).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let overall = multi.add(ProgressBar::new(total as u64));
            overall.set_style(
                ProgressStyle::with_template("{pos}/{len} steps finished · {elapsed} elapsed")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            overall.enable_steady_tick(Duration::from_millis(200));
            Terminal { multi, overall }
        });
        Progress {
            enabled,
            terminal,
            state: Mutex::new(State::default()),
            total,
            subtrees,
        }
    }

    /// A permanent line.
    pub fn note(&self, text: &str) {
        if !self.enabled {
            return;
        }
        match &self.terminal {
            Some(terminal) => {
                let _ = terminal.multi.println(text);
            }
            None => {
                let mut err = anstream::stderr();
                let _ = writeln!(err, "{text}");
            }
        }
    }

    pub fn show(&self, event: &Event) {
        if !self.enabled {
            return;
        }
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        match event {
            Event::Started {
                step,
                attempt,
                max_attempts,
            } => {
                state
                    .attempts
                    .insert(step.clone(), (*attempt, *max_attempts));
                let doing = if *attempt == 1 {
                    "running".to_string()
                } else {
                    attempt_of(*attempt, *max_attempts)
                };
                match &self.terminal {
                    Some(terminal) => {
                        let bar = state
                            .bars
                            .entry(step.clone())
                            .or_insert_with(|| step_bar(terminal));
                        bar.set_message(format!("{step}: {doing}"));
                    }
                    None => self.note(&format!("{step}: {doing}")),
                }
            }
            Event::Retrying {
                step,
                attempt,
                delay,
                error,
            } => {
                let max = state.attempts.get(step).and_then(|(_, max)| *max);
                self.note(&format!(
                    "{step}: {} {}: {}; retrying in {}",
                    attempt_of(*attempt, max),
                    paint(WARNING, "failed"),
                    summary(error),
                    duration_text(*delay)
                ));
                if let Some(bar) = state.bars.get(step) {
                    bar.set_message(format!(
                        "{step}: waiting {} before {}",
                        duration_text(*delay),
                        attempt_of(attempt + 1, max)
                    ));
                }
            }
            Event::Succeeded { step, duration } => {
                let attempts = match state.attempts.get(step) {
                    Some((count, _)) if *count > 1 => format!(" ({count} attempts)"),
                    _ => String::new(),
                };
                self.finish(&mut state, step);
                self.note(&format!(
                    "{step}: {}{attempts}",
                    paint(GOOD, format!("done in {}", duration_text(*duration)))
                ));
            }
            Event::Failed {
                step,
                status,
                error,
            } => {
                let what = match status {
                    StepStatus::Continued => paint(WARNING, "failed, continuing"),
                    StepStatus::FellBack => paint(WARNING, "failed, running its fallback"),
                    _ => paint(ERROR, "failed"),
                };
                let attempts = match state.attempts.get(step) {
                    Some((count, _)) if *count > 1 => format!(" after {count} attempts"),
                    _ => String::new(),
                };
                self.finish(&mut state, step);
                let mut lines = vec![format!("{step}: {what}{attempts}: {}", first_line(error))];
                lines.extend(
                    tail(error, LIVE_TAIL)
                        .into_iter()
                        .map(|line| paint(DIM, format!("    {line}"))),
                );
                self.note(&lines.join("\n"));
            }
            Event::Skipped { step, reason } => {
                let inside = self.subtrees.get(step).cloned().unwrap_or_default();
                for id in &inside {
                    self.finish(&mut state, id);
                }
                self.finish(&mut state, step);
                self.note(&format!(
                    "{step}: {}",
                    paint(DIM, format!("skipped ({reason})"))
                ));
            }
        }
    }

    /// Removes a step's spinner and counts it as finished.
    fn finish(&self, state: &mut State, step: &str) {
        if let Some(bar) = state.bars.remove(step) {
            bar.finish_and_clear();
            if let Some(terminal) = &self.terminal {
                terminal.multi.remove(&bar);
            }
        }
        if state.finished.insert(step.to_string())
            && let Some(terminal) = &self.terminal
        {
            terminal
                .overall
                .set_position(state.finished.len().min(self.total) as u64);
        }
    }

    /// Clears every line still drawn (at the end of the run).
    pub fn clear(&self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        for (_, bar) in state.bars.drain() {
            bar.finish_and_clear();
        }
        if let Some(terminal) = &self.terminal {
            terminal.overall.finish_and_clear();
        }
    }
}

fn step_bar(terminal: &Terminal) -> ProgressBar {
    // Above the overall line, which stays last.
    let bar = terminal
        .multi
        .insert_before(&terminal.overall, ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} · {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn attempt_of(attempt: u32, max: Option<u32>) -> String {
    match max {
        Some(max) => format!("attempt {attempt}/{max}"),
        None => format!("attempt {attempt}"),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// A failure in one line: its first line and, when it goes on (a stderr
/// tail such as a Python traceback), its last line, which usually says
/// what went wrong.
pub fn summary(error: &str) -> String {
    let lines: Vec<&str> = error
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    match lines.as_slice() {
        [] => String::new(),
        [only] => (*only).to_string(),
        [first, .., last] => format!("{first} … {}", last.trim()),
    }
}

/// The lines after a failure's first one, at most `limit` from the end.
pub fn tail(error: &str, limit: usize) -> Vec<String> {
    let lines: Vec<&str> = error.lines().skip(1).collect();
    let start = lines.len().saturating_sub(limit);
    let mut out = Vec::new();
    if start > 0 {
        out.push(format!("… {start} earlier lines"));
    }
    out.extend(lines[start..].iter().map(|line| (*line).to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACEBACK: &str = "exited with code 1: Traceback (most recent call last):\n  File \"validate.py\", line 3, in <module>\n    check(data)\nValueError: the data has no rows";

    #[test]
    fn a_traceback_is_summarised_by_its_last_line() {
        assert_eq!(
            summary(TRACEBACK),
            "exited with code 1: Traceback (most recent call last): … ValueError: the data has no rows"
        );
        assert_eq!(summary("exited with code 2"), "exited with code 2");
        assert_eq!(summary(""), "");
    }

    #[test]
    fn the_tail_keeps_the_last_lines_and_says_how_many_were_left_out() {
        assert_eq!(
            tail(TRACEBACK, 10).last().map(String::as_str),
            Some("ValueError: the data has no rows")
        );
        let long = format!(
            "first\n{}",
            (1..=10)
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(tail(&long, 3), vec!["… 7 earlier lines", "8", "9", "10"]);
        assert!(tail("one line", 3).is_empty());
    }
}
