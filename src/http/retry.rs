//! When to try a request again, and how long to wait first.
//!
//! Network errors, timeouts, 429 and 5xx are transient: they are retried with
//! exponential backoff and full jitter (a random wait between zero and a ceiling that
//! doubles from `--retry-delay`, 500 ms, up to 30 s), so that many pipelines hitting a
//! struggling Jira at once do not retry in lockstep. A 429 or 503 that says how long
//! to wait (`Retry-After`, seconds or an HTTP date) is obeyed instead: asking again
//! sooner only earns a longer wait. Everything stays within the invocation's
//! `--timeout`: a wait that would end past it (`Retry-After: 18446744073709551615`)
//! means giving up now. Time is only ever added with checked arithmetic.
//!
//! A 2xx whose body cannot be used (a proxy's HTML page, `{}` where a bulk answer
//! belongs, a body cut short) is asked again too: what the server did is unknown.
//!
//! Sending a report twice is harmless: Jira ignores an update whose sequence number is
//! not newer than what it stored, and a retry resends the same body.

use std::time::Duration;

use reqwest::RequestBuilder;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::exchange;
use crate::answer::Answer;
use crate::clock::{self, Clock};
use crate::error::{Error, Result};
use crate::settings::Settings;

/// Attempts per request, the first included.
pub const MAX_ATTEMPTS: u32 = 8;
/// The longest backoff ceiling.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// The wait before attempt `attempt + 1` (0-based `attempt` failed): a random
/// duration up to `base × 2^attempt`, capped at [`MAX_DELAY`].
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(1 << attempt.min(20)).min(MAX_DELAY);
    ceiling.mul_f64(fastrand::f64())
}

/// Why a 2xx answer cannot be used, for the answers that are asked again when so;
/// `None`: usable.
pub type Check<'c> = &'c dyn Fn(&Answer) -> Option<String>;

/// Every answer is usable as it is (the caller reads what it can).
pub const ANY: Check<'static> = &|_| None;

/// How one invocation retries: its base delay, per-request timeout and deadline.
#[derive(Clone, Copy)]
pub struct Policy<'a> {
    pub base: Duration,
    pub request_timeout: Duration,
    pub deadline: Instant,
    pub clock: &'a dyn Clock,
}

impl std::fmt::Debug for Policy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("base", &self.base)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl<'a> Policy<'a> {
    pub fn new(settings: &Settings, clock: &'a dyn Clock, deadline: Instant) -> Self {
        Self {
            base: settings.retry_delay,
            request_timeout: settings.request_timeout,
            deadline,
            clock,
        }
    }

    /// Sends the request `build` makes, again while it fails transiently or its 2xx
    /// answer fails `check`, within the deadline; reads at most `limit` bytes of each
    /// answer. The last answer or error is returned when the attempts or the time run
    /// out; each request's own timeout never reaches past the deadline.
    pub async fn send(
        &self,
        what: &str,
        limit: usize,
        check: Check<'_>,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Answer> {
        let mut attempt = 0;
        loop {
            let timeout = self
                .request_timeout
                .min(clock::remaining(self.deadline))
                .max(Duration::from_millis(1));
            let result = exchange(build().timeout(timeout), what, limit).await;
            let unusable = match &result {
                Ok(answer) if answer.status.is_success() => check(answer),
                _ => None,
            };
            let (wait, why) = match (&result, unusable) {
                (Ok(answer), Some(why)) => (
                    backoff(self.base, attempt),
                    format!("{} but {why}", answer.status),
                ),
                (Ok(answer), None) if answer.is_transient() => {
                    let asked = answer.asked_wait(self.clock.now());
                    (
                        asked.unwrap_or_else(|| backoff(self.base, attempt)),
                        answer.status.to_string(),
                    )
                }
                (Err(Error::Unreachable { detail, .. }), _) => (backoff(self.base, attempt), detail.clone()),
                _ => {
                    if let Ok(answer) = &result {
                        debug!("{what} → {}", answer.status);
                    }
                    return result;
                }
            };
            attempt += 1;
            let resume = clock::after(wait);
            if attempt >= MAX_ATTEMPTS || resume.is_none_or(|at| at >= self.deadline) {
                warn!(
                    "{what}: {why}; giving up after {}",
                    crate::plural::count(attempt as usize, "attempt", "attempts")
                );
                return result;
            }
            let shown = Duration::from_millis(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
            warn!(
                "{what}: {why}; retrying in {shown:?} (attempt {} of {MAX_ATTEMPTS})",
                attempt + 1
            );
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::retry_after;
    use chrono::{DateTime, TimeZone, Utc};

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let base = Duration::from_millis(500);
        for attempt in 0..12 {
            let ceiling = (base * 2u32.pow(attempt)).min(MAX_DELAY);
            for _ in 0..50 {
                assert!(backoff(base, attempt) <= ceiling);
            }
        }
        // Full jitter: the waits spread over the whole range, not just near the top.
        let waits: Vec<Duration> = (0..200).map(|_| backoff(Duration::from_secs(8), 0)).collect();
        assert!(waits.iter().any(|w| *w < Duration::from_secs(2)));
        assert!(waits.iter().any(|w| *w > Duration::from_secs(6)));
        assert!(backoff(Duration::from_secs(1), 60) <= MAX_DELAY, "no overflow");
    }

    #[test]
    fn time_is_added_without_overflow() {
        let huge = retry_after(
            "18446744073709551615",
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        )
        .unwrap();
        assert!(clock::after(huge).is_none());
    }

    proptest::proptest! {
        #[test]
        fn no_retry_after_panics(value in ".*", digits in "[0-9]{1,40}", seconds in proptest::prelude::any::<i64>()) {
            let now = DateTime::from_timestamp(seconds.rem_euclid(8_000_000_000), 0).unwrap();
            for value in [value.as_str(), digits.as_str()] {
                if let Some(wait) = retry_after(value, now) {
                    let _ = clock::after(wait);
                    let _ = clock::deadline_in(wait);
                }
            }
        }
    }
}
