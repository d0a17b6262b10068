//! Time: the only module that reads a clock.
//!
//! The wall clock ([`Clock`]) is injected, so that expiry boundaries and timestamps
//! are testable. The monotonic clock serves deadlines: every command's `--timeout`
//! counts from the start of the process ([`started`], [`deadline`]), whatever it did
//! before its first request; a shorter bound within it ([`deadline_in`]) and what is
//! left of one ([`remaining`]) are read here too. `clippy.toml` forbids `Utc::now`,
//! `SystemTime::now` and `Instant::now` elsewhere.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// As good as no deadline: a century.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 86_400);

/// When this process started: `main` asks first thing, so the overall `--timeout`
/// counts from there, payload preparation included.
pub fn started() -> std::time::Instant {
    static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    #[allow(clippy::disallowed_methods)]
    *STARTED.get_or_init(std::time::Instant::now)
}

/// The deadline of a `timeout` counted from [`started`]: what `--timeout` means for
/// every command. One too far to represent is no deadline in practice (a century).
pub fn deadline(timeout: Duration) -> Instant {
    let start = Instant::from_std(started());
    start
        .checked_add(timeout)
        .or_else(|| start.checked_add(FOREVER))
        .unwrap_or(start)
}

/// The deadline `duration` from now, for a bound shorter than the run's (a share of
/// what is left, a lock's wait); one too far to represent is a century.
pub fn deadline_in(duration: Duration) -> Instant {
    let now = now();
    after(duration)
        .or_else(|| now.checked_add(FOREVER))
        .unwrap_or(now)
}

/// `duration` from now, or `None` when that is beyond what an `Instant` can hold (a
/// `Retry-After` of 18446744073709551615 seconds): time is only ever added with
/// checked arithmetic.
pub fn after(duration: Duration) -> Option<Instant> {
    now().checked_add(duration)
}

/// What is left until `deadline`: zero once it has passed.
pub fn remaining(deadline: impl Into<Instant>) -> Duration {
    deadline.into().saturating_duration_since(now())
}

/// Whether `deadline` has passed.
pub fn passed(deadline: impl Into<Instant>) -> bool {
    now() >= deadline.into()
}

/// The monotonic clock. tokio's, so that a test that pauses tokio's time sees the
/// deadlines move with it.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always says the same time; for tests.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_counts_from_the_start_of_the_process() {
        let start = Instant::from_std(started());
        // However late it is asked for (after a long payload preparation, say).
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(deadline(Duration::from_secs(3)), start + Duration::from_secs(3));
        assert_eq!(started(), started(), "fixed once");
    }

    #[test]
    fn a_deadline_too_far_to_represent_is_a_century() {
        let start = Instant::from_std(started());
        assert!(deadline(Duration::MAX) > start + Duration::from_secs(50 * 365 * 86_400));
        assert!(deadline_in(Duration::MAX) > now() + Duration::from_secs(50 * 365 * 86_400));
        assert!(deadline_in(Duration::from_secs(u64::MAX)) > now());
        assert_eq!(after(Duration::MAX), None);
    }

    #[test]
    fn what_is_left_of_a_deadline() {
        let past = deadline(Duration::ZERO);
        assert!(passed(past));
        assert_eq!(remaining(past), Duration::ZERO);
        let later = deadline_in(Duration::from_secs(3600));
        assert!(!passed(later));
        assert!(remaining(later) > Duration::from_secs(3500));
        // A std deadline (the deployment lookups' and git's) reads the same.
        assert!(!passed(later.into_std()));
        assert!(remaining(later.into_std()) > Duration::from_secs(3500));
    }
}
