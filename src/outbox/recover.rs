//! Writers and recovery: writers hold `.lock` shared while a temporary exists, so
//! whoever holds it alone knows every temporary left is the orphan of a killed
//! process.
//!
//! Recovery holds the lock alone only for a few renames, but any other process could
//! hold it for ever: a writer waits for it only so long ([`GiveUp`]), then fails with
//! an error that says so (the report then goes to stdout instead).

use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::warn;

use super::claim::{Refusal, read_entry};
use super::{Outbox, free_name};
use crate::{clock, fs};

/// How long a writer waits at least for `.lock`, even past the run's deadline: what a
/// delivery that timed out left is saved after the deadline, and a recovery in another
/// process holds the lock for a moment.
pub const LOCK_GRACE: Duration = Duration::from_secs(2);

/// When a writer stops waiting for `.lock`: at the run's deadline (but never before
/// [`LOCK_GRACE`]), or as soon as `stop` gives a reason (a signal arrived).
#[derive(Clone, Default)]
pub(super) struct GiveUp {
    deadline: Option<Instant>,
    stop: Option<Arc<dyn Fn() -> Option<&'static str> + Send + Sync>>,
}

impl std::fmt::Debug for GiveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GiveUp")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// This outbox, whose writers wait for the lock until `deadline` (at least
    /// [`LOCK_GRACE`]) and stop waiting as soon as `stop` names a reason (`SIGTERM`).
    #[must_use]
    pub fn giving_up(
        mut self,
        deadline: Instant,
        stop: impl Fn() -> Option<&'static str> + Send + Sync + 'static,
    ) -> Self {
        self.give_up = GiveUp {
            deadline: Some(deadline),
            stop: Some(Arc::new(stop)),
        };
        self
    }

    /// The lock writers share and recovery takes alone.
    fn lock_file(&self) -> io::Result<File> {
        fs::open_lock(&self.dir.join(".lock"))
    }

    /// Held while a file is written: the temporary it writes is not an orphan. Waits
    /// while another process holds the lock alone, as long as [`GiveUp`] allows.
    pub(super) fn writing(&self) -> io::Result<File> {
        let lock = self.lock_file()?;
        let GiveUp { deadline, stop } = &self.give_up;
        let grace = clock::deadline_in(LOCK_GRACE);
        let until = deadline.map_or(grace, |deadline| deadline.max(grace));
        loop {
            match lock.try_lock_shared() {
                Ok(()) => return Ok(lock),
                Err(TryLockError::Error(e)) => return Err(e),
                Err(TryLockError::WouldBlock) => {}
            }
            let path = self.dir.join(".lock");
            if let Some(why) = stop.as_ref().and_then(|stop| stop()) {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    format!(
                        "{why} arrived while another process held the lock {}",
                        path.display()
                    ),
                ));
            }
            if clock::passed(until) {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "another process holds the lock {} and did not release it in time \
                         (jira-send holds it only for a moment)",
                        path.display()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Queues the complete temporaries of killed processes and discards the
    /// incomplete ones. Only when no process is writing: then every temporary is an
    /// orphan.
    pub(super) fn recover(&self) {
        let temporaries: Vec<PathBuf> = fs::names(&self.dir)
            .into_iter()
            .filter(|name| name.starts_with(".tmp"))
            .map(|name| self.dir.join(name))
            .collect();
        if temporaries.is_empty() {
            return;
        }
        let Ok(lock) = self.lock_file() else {
            return;
        };
        if lock.try_lock().is_err() {
            // A writer is at work; the next access recovers.
            return;
        }
        for temporary in temporaries {
            self.recover_one(&temporary);
        }
    }

    fn recover_one(&self, temporary: &Path) {
        let entry = fs::open_private(temporary)
            .map_err(|e| Refusal::Ignored(e.to_string()))
            .and_then(|file| read_entry(&file));
        match entry {
            Ok(entry) => {
                let target = free_name(&self.dir, &entry.file_name());
                match fs::rename(temporary, &target) {
                    Ok(()) => warn!(
                        "recovered {}: a complete outbox file that an interrupted jira-send had \
                         not yet queued",
                        target.display()
                    ),
                    Err(e) => warn!("cannot recover the outbox file {}: {e}", temporary.display()),
                }
            }
            Err(Refusal::Corrupt(why)) => {
                warn!(
                    "discarding {}: an incomplete outbox file that an interrupted jira-send left \
                     ({why})",
                    temporary.display()
                );
                if let Err(e) = fs::remove(temporary) {
                    warn!("cannot remove {}: {e}", temporary.display());
                }
            }
            Err(Refusal::Ignored(why)) => self.ignore(temporary, &why),
        }
    }
}
