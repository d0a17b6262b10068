//! Wall-clock time, injected so that expiry boundaries and timestamps are testable.
//!
//! Only this module reads the system clock (`clippy.toml` forbids `Utc::now`
//! elsewhere).

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// When this process started: `main` asks first thing, so the overall `--timeout`
/// counts from there, payload preparation included.
pub fn started() -> std::time::Instant {
    static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *STARTED.get_or_init(std::time::Instant::now)
}

/// The deadline of a `timeout` counted from [`started`]; one too far to represent is
/// no deadline in practice (a century).
pub fn deadline(timeout: std::time::Duration) -> tokio::time::Instant {
    let start = tokio::time::Instant::from_std(started());
    start
        .checked_add(timeout)
        .unwrap_or_else(|| start + std::time::Duration::from_secs(100 * 365 * 86_400))
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
    use std::time::Duration;

    #[test]
    fn the_deadline_counts_from_the_start_of_the_process() {
        let start = tokio::time::Instant::from_std(started());
        // However late it is asked for (after a long payload preparation, say).
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(deadline(Duration::from_secs(3)), start + Duration::from_secs(3));
        assert_eq!(started(), started(), "fixed once");
    }

    #[test]
    fn a_deadline_too_far_to_represent_is_a_century() {
        let start = tokio::time::Instant::from_std(started());
        assert!(deadline(Duration::MAX) > start + Duration::from_secs(50 * 365 * 86_400));
    }
}
