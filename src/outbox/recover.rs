//! Writers and recovery: writers hold `.lock` shared while a temporary exists, so
//! whoever holds it alone knows every temporary left is the orphan of a killed
//! process.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tracing::warn;

use super::claim::{Refusal, read_entry};
use super::{Outbox, free_name};
use crate::fs;

impl Outbox {
    /// The lock writers share and recovery takes alone.
    fn lock_file(&self) -> io::Result<File> {
        fs::open_lock(&self.dir.join(".lock"))
    }

    /// Held while a file is written: the temporary it writes is not an orphan.
    pub(super) fn writing(&self) -> io::Result<File> {
        let lock = self.lock_file()?;
        lock.lock_shared()?;
        Ok(lock)
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
