//! Retry timing, after Temporal: `max_attempts` counts the first try, the
//! wait after failed attempt n is
//! `min(initial × coefficient^(n−1), max_interval)` for exponential backoff,
//! `initial × n` for linear and `initial` for fixed.

use std::time::Duration;

use super::attempt::Failure;
use crate::core::model::{Backoff, ErrorHandling, Strategy};

/// `initial_interval_ms` when the workflow does not set it.
pub const DEFAULT_INITIAL_MS: u64 = 1000;
/// `backoff_coefficient` when the workflow does not set it.
pub const DEFAULT_COEFFICIENT: f64 = 2.0;
/// Without `max_interval_ms` the wait is capped at 100 × the initial
/// interval (Temporal's default).
pub const DEFAULT_MAX_FACTOR: u64 = 100;

/// The wait after failed attempt `failed` (1 for the first try).
pub fn retry_delay(handling: &ErrorHandling, failed: u32) -> Duration {
    let initial = handling.initial_interval_ms.unwrap_or(DEFAULT_INITIAL_MS);
    let maximum = handling
        .max_interval_ms
        .unwrap_or_else(|| initial.saturating_mul(DEFAULT_MAX_FACTOR));
    let n = failed.max(1);
    let millis = match handling.backoff.unwrap_or(Backoff::Exponential) {
        Backoff::Fixed => initial as f64,
        Backoff::Linear => initial as f64 * f64::from(n),
        Backoff::Exponential => {
            let coefficient = handling
                .backoff_coefficient
                .filter(|c| c.is_finite() && *c >= 1.0)
                .unwrap_or(DEFAULT_COEFFICIENT);
            initial as f64 * coefficient.powi(i32::try_from(n - 1).unwrap_or(i32::MAX))
        }
    };
    let capped = if millis.is_finite() {
        millis.min(maximum as f64)
    } else {
        maximum as f64
    };
    Duration::from_millis(capped.round() as u64)
}

/// What follows failed attempt `number` (1 for the first try): the wait
/// before the next attempt, or `None` when the step is not tried again
/// (not a retry strategy, `max_attempts` reached, a permanent failure, or a
/// kind listed in `non_retryable`). The one place that decides a retry, for
/// `qwf run` and for `qwf step` on Temporal alike.
pub fn next_attempt(
    handling: Option<&ErrorHandling>,
    number: u32,
    failure: &Failure,
) -> Option<Duration> {
    let handling = handling.filter(|h| h.strategy == Strategy::Retry)?;
    let more = handling.max_attempts.is_none_or(|max| number < max);
    (more && !failure.permanent && !is_non_retryable(handling, &failure.kind))
        .then(|| retry_delay(handling, number))
}

/// Whether an error kind is in `non_retryable`. `exit_code` there covers
/// every `exit_code:N`.
pub fn is_non_retryable(handling: &ErrorHandling, kind: &str) -> bool {
    handling.non_retryable.iter().flatten().any(|listed| {
        listed == kind
            || kind
                .split_once(':')
                .is_some_and(|(family, _)| family == listed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handling(backoff: Backoff) -> ErrorHandling {
        let mut handling = ErrorHandling::with_strategy(Strategy::Retry);
        handling.backoff = Some(backoff);
        handling.initial_interval_ms = Some(100);
        handling
    }

    fn millis(handling: &ErrorHandling, failed: u32) -> u64 {
        retry_delay(handling, failed).as_millis() as u64
    }

    #[test]
    fn exponential_doubles_by_default_and_is_capped() {
        let mut exponential = handling(Backoff::Exponential);
        assert_eq!(
            (1..=4).map(|n| millis(&exponential, n)).collect::<Vec<_>>(),
            [100, 200, 400, 800]
        );
        exponential.max_interval_ms = Some(300);
        assert_eq!(millis(&exponential, 3), 300);
        exponential.backoff_coefficient = Some(3.0);
        exponential.max_interval_ms = None;
        assert_eq!(millis(&exponential, 3), 900);
        assert_eq!(millis(&exponential, 60), 10_000, "100 × initial by default");
    }

    #[test]
    fn linear_and_fixed() {
        let linear = handling(Backoff::Linear);
        assert_eq!(
            (1..=3).map(|n| millis(&linear, n)).collect::<Vec<_>>(),
            [100, 200, 300]
        );
        let fixed = handling(Backoff::Fixed);
        assert_eq!(millis(&fixed, 7), 100);
    }

    #[test]
    fn defaults_follow_the_format() {
        let plain = ErrorHandling::with_strategy(Strategy::Retry);
        assert_eq!(millis(&plain, 1), 1000);
        assert_eq!(millis(&plain, 2), 2000);
    }

    #[test]
    fn the_next_attempt_follows_the_policy() {
        let mut policy = handling(Backoff::Linear);
        policy.max_attempts = Some(3);
        policy.non_retryable = Some(vec!["exit_code".into()]);
        let failure = |kind: &str| Failure::new(kind, "x");
        assert_eq!(
            next_attempt(Some(&policy), 1, &failure("timeout")),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            next_attempt(Some(&policy), 2, &failure("timeout")),
            Some(Duration::from_millis(200))
        );
        assert_eq!(next_attempt(Some(&policy), 3, &failure("timeout")), None);
        assert_eq!(
            next_attempt(Some(&policy), 1, &failure("exit_code:4")),
            None
        );
        assert_eq!(
            next_attempt(Some(&policy), 1, &failure("signal").permanent()),
            None
        );
        let continuing = ErrorHandling::with_strategy(Strategy::Continue);
        assert_eq!(next_attempt(Some(&continuing), 1, &failure("signal")), None);
        assert_eq!(next_attempt(None, 1, &failure("signal")), None);
    }

    #[test]
    fn non_retryable_matches_kinds_and_families() {
        let mut handling = handling(Backoff::Fixed);
        handling.non_retryable = Some(vec!["timeout".into(), "exit_code:2".into()]);
        assert!(is_non_retryable(&handling, "timeout"));
        assert!(is_non_retryable(&handling, "exit_code:2"));
        assert!(!is_non_retryable(&handling, "exit_code:1"));
        handling.non_retryable = Some(vec!["exit_code".into()]);
        assert!(is_non_retryable(&handling, "exit_code:1"));
        assert!(!is_non_retryable(&handling, "bad_output"));
    }
}
