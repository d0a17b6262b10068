//! Claiming a queued file: lock it, check it is still the file the name gives, read it
//! through the locked handle, and decide whether it is one to deliver; then, once
//! sent, delete it, keep what remains in a new file, or keep it in `rejected/`.

use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tracing::warn;

use super::{Entry, Kind, Outbox, SetAside, VERSION, remove};
use crate::answer::Rejection;
use crate::api::Call;
use crate::fs::{self, limit};

/// A file this process holds the lock of.
#[derive(Debug)]
pub struct Claimed {
    outbox: Outbox,
    pub path: PathBuf,
    pub entry: Entry,
    _lock: File,
}

/// Why a file read as an entry is not one to deliver.
pub(super) enum Refusal {
    /// Move it to `corrupt/`.
    Corrupt(String),
    /// Leave it where it is.
    Ignored(String),
}

impl Outbox {
    /// Takes `path` for this process. `None` if another process has it, it is gone,
    /// or it is not one to deliver: then it is set aside, with a warning.
    pub fn claim(&self, path: &Path) -> Option<Claimed> {
        let file = match fs::open_private(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                self.ignore(path, &e.to_string());
                return None;
            }
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return None,
            Err(TryLockError::Error(e)) => {
                warn!("cannot lock the outbox file {}: {e}", path.display());
                return None;
            }
        }
        // Another flush may have delivered and deleted it between our open and lock.
        match fs::still_names(path, &file) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                warn!("cannot check the outbox file {}: {e}", path.display());
                return None;
            }
        }
        match read_entry(&file) {
            Ok(entry) => Some(Claimed {
                outbox: self.clone(),
                path: path.to_path_buf(),
                entry,
                _lock: file,
            }),
            Err(Refusal::Corrupt(why)) => {
                self.move_aside(path, &why);
                None
            }
            Err(Refusal::Ignored(why)) => {
                self.ignore(path, &why);
                None
            }
        }
    }
}

impl Claimed {
    /// Jira answered every request: the file goes. If Jira rejected entities, the
    /// entry is kept in `rejected/` with Jira's reasons.
    pub fn delivered(self, rejected: &[Rejection]) {
        if !rejected.is_empty() {
            let mut entry = self.entry.clone();
            entry.rejections = rejected
                .iter()
                .map(|r| serde_json::to_value(r).expect("rejections serialize"))
                .collect();
            match self.outbox.keep_rejected(&entry) {
                Ok(target) => {
                    warn!(
                        "Jira rejected {} entit{} of the outbox file {}: kept in {} with Jira's reasons",
                        rejected.len(),
                        if rejected.len() == 1 { "y" } else { "ies" },
                        self.path.display(),
                        target.display()
                    );
                    self.outbox.record(SetAside {
                        file: self.path.clone(),
                        site: Some(entry.site.clone()),
                        kind: Kind::Rejected,
                        moved_to: Some(target),
                        reason: rejected
                            .iter()
                            .flat_map(|r| r.errors.first())
                            .next()
                            .cloned()
                            .unwrap_or_else(|| "rejected by Jira".into()),
                    });
                }
                Err(e) => {
                    // Nothing is lost: the file stays queued, and a resend is harmless.
                    warn!(
                        "cannot keep the rejected outbox file {} in rejected/: {e}; it stays queued",
                        self.path.display()
                    );
                    return;
                }
            }
        }
        remove(&self.path);
    }

    /// Some requests remain: they go to a new file, with the error that stopped them,
    /// and then the claimed file goes (it is never replaced while locked).
    pub fn keep(self, remaining: Vec<Call>, last_error: Option<String>) {
        let mut entry = self.entry.clone();
        entry.requests = remaining;
        if last_error.is_some() {
            entry.last_error = last_error;
        }
        if entry.requests.is_empty() {
            remove(&self.path);
            return;
        }
        match self.outbox.save(&entry) {
            Ok(_) => remove(&self.path),
            // The file keeps every request: those delivered are sent again, harmlessly.
            Err(e) => warn!("cannot update the outbox file {}: {e}", self.path.display()),
        }
    }
}

impl Outbox {
    /// Keeps `entry` in `rejected/` (in as many files as a reader needs); returns
    /// the first.
    fn keep_rejected(&self, entry: &Entry) -> io::Result<PathBuf> {
        let folder = self.dir.join("rejected");
        fs::create_private_dir(&folder)?;
        let mut kept = super::pieces::write(&folder, entry, limit::OUTBOX_ENTRY)?;
        Ok(kept.swap_remove(0))
    }
}

/// Reads the entry an opened outbox file holds, if it is one to deliver.
pub(super) fn read_entry(file: &File) -> Result<Entry, Refusal> {
    let metadata = file.metadata().map_err(|e| Refusal::Ignored(e.to_string()))?;
    fs::check_private(&metadata).map_err(|e| Refusal::Ignored(e.to_string()))?;
    let bytes = fs::read_file(file, limit::OUTBOX_ENTRY).map_err(|e| match e.kind() {
        io::ErrorKind::FileTooLarge => Refusal::Corrupt(e.to_string()),
        _ => Refusal::Ignored(e.to_string()),
    })?;
    parse(&bytes)
}

fn parse(bytes: &[u8]) -> Result<Entry, Refusal> {
    /// Enough of any version of an entry to know which it is.
    #[derive(Deserialize)]
    struct Versioned {
        version: u32,
    }
    let newer = |version: u32| {
        Refusal::Ignored(format!(
            "written by another version of jira-send (entry version {version}; this one reads \
             version {VERSION})"
        ))
    };
    match serde_json::from_slice::<Entry>(bytes) {
        Ok(entry) if entry.version != VERSION => Err(newer(entry.version)),
        Ok(entry) => entry.check().map(|()| entry).map_err(Refusal::Corrupt),
        Err(e) => match serde_json::from_slice::<Versioned>(bytes) {
            Ok(v) if v.version != VERSION => Err(newer(v.version)),
            _ => Err(Refusal::Corrupt(format!("not an outbox entry: {e}"))),
        },
    }
}
