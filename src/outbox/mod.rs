//! The outbox: requests that could not be delivered, kept on disk until `flush` (or
//! the next sending command) delivers them. A pipeline never silently loses a report.
//!
//! One file per site and invocation, holding the undelivered requests in order (site,
//! cloud id if known, API, method, path, body, the last error: never a credential),
//! mode 0600. Names start with the creation time in milliseconds, so sorting them is
//! oldest first; a name without `.json` is the entry's id (`flush --list`). The site in
//! the name is for people: a file is delivered to the site its contents name, whatever
//! it is called.
//!
//! **Writing.** A file is written as a temporary (`.tmp…`), flushed to disk, and
//! renamed to a name no file has: nothing is ever replaced. Writers hold a shared lock
//! on `.lock` meanwhile, so the next access that can lock it exclusively knows that any
//! temporary left is the orphan of a killed process: a complete one joins the queue,
//! an incomplete one is discarded, each with a warning. A writer waits for the lock
//! only until the run's deadline (at least [`LOCK_GRACE`]) or a signal: another process
//! that holds it alone can make a save fail, never hang.
//!
//! **Claims.** A sender opens a file, takes an exclusive lock on it, checks that the
//! path still names the file it locked (another flush may have delivered and deleted
//! it in between), and reads it through the locked handle (on Windows, locks are
//! mandatory: another handle could not read it). Two flushes at once never send the
//! same file twice, and a lock dies with its process. What remains to send after a
//! failure goes to a new file before the claimed one is deleted.
//!
//! **Trust.** Whoever can write the directory could plant a file, and it would be sent
//! with the user's token. So a file is read only if it is a regular file of this
//! user's that others cannot write (otherwise it is ignored with a warning and left
//! where it is), and is delivered only if it is of a known version (a newer one is
//! left for the jira-send that wrote it) and holds only requests jira-send itself
//! makes (see `operation.rs`).
//!
//! **Set aside, never deleted.** An entry holding entities Jira rejected goes to
//! `rejected/`, with Jira's reasons; a file that cannot be read, or holds a request
//! jira-send would not make, goes to `corrupt/`. Each is a warning, and `flush`
//! reports it.

mod claim;
mod listing;
mod operation;
mod pieces;
mod recover;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::warn;

use crate::api::Call;
use crate::env::host_suffix;
use crate::fs;

pub use claim::Claimed;
use claim::{Refusal, read_entry};
pub use listing::{Listed, STALE_AFTER, State, age};
use recover::GiveUp;
pub use recover::LOCK_GRACE;

/// The entry format this jira-send writes and reads.
pub const VERSION: u32 = 1;

/// What an outbox file holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub version: u32,
    pub created_at: DateTime<Utc>,
    /// The site's name (`acme.atlassian.net`) and URL.
    pub site: String,
    pub site_url: String,
    pub cloud_id: Option<String>,
    /// The requests still to deliver, in order.
    pub requests: Vec<Call>,
    /// Why they are still here: the error of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// In `rejected/` only: the entities Jira would not store, and its reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejections: Vec<Value>,
}

impl Entry {
    /// Whether every request is one jira-send makes, to a well-formed cloud id, and
    /// the entry names one site: its requests go to the site of `siteUrl`, and are
    /// found for it by `site`.
    fn check(&self) -> Result<(), String> {
        match crate::settings::parse_site("siteUrl", &self.site_url) {
            Ok(site) if site.name == self.site => {}
            _ => {
                return Err(format!(
                    "its site {:?} is not the site of its siteUrl {:?}",
                    self.site, self.site_url
                ));
            }
        }
        if let Some(id) = &self.cloud_id
            && !crate::api::is_cloud_id(id)
        {
            return Err(format!("{id:?} is not a cloud id"));
        }
        self.requests.iter().try_for_each(operation::check)
    }

    /// `{created ms}-{site}-{random}.json`.
    fn file_name(&self) -> String {
        format!(
            "{:013}-{}-{:08x}.json",
            self.created_at.timestamp_millis(),
            host_suffix(&self.site).to_ascii_lowercase(),
            fastrand::u32(..)
        )
    }
}

/// A file the outbox would not deliver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetAside {
    pub file: PathBuf,
    pub site: Option<String>,
    pub kind: Kind,
    /// Where it is now: `None` when it was left where it was.
    pub moved_to: Option<PathBuf>,
    pub reason: String,
}

/// Why a file was set aside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Jira rejected entities in it: kept in `rejected/` with Jira's reasons.
    Rejected,
    /// Unreadable, or not what jira-send writes: moved to `corrupt/`.
    Corrupt,
    /// Not trusted (another user's, writable by others, not a regular file) or of a
    /// newer version: left where it is, never sent.
    Ignored,
}

/// The outbox directory, and what this process set aside in it. Clones share what
/// was set aside: a clone goes to the thread that does the blocking file work.
#[derive(Clone, Debug)]
pub struct Outbox {
    dir: PathBuf,
    set_aside: Arc<Mutex<Vec<SetAside>>>,
    /// When a writer stops waiting for the lock.
    give_up: GiveUp,
}

impl Outbox {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            set_aside: Arc::new(Mutex::new(Vec::new())),
            give_up: GiveUp::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files this process set aside (moved away, or left and ignored).
    pub fn set_aside(&self) -> Vec<SetAside> {
        self.set_aside.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Saves `entry` to a new file; returns its path. An entry larger than a reader
    /// accepts ([`fs::limit::OUTBOX_ENTRY`]) goes to as many files as it takes, each
    /// holding a run of its requests: their paths, in order.
    pub fn save(&self, entry: &Entry) -> io::Result<Vec<PathBuf>> {
        self.save_within(entry, fs::limit::OUTBOX_ENTRY)
    }

    /// [`Outbox::save`], in files of at most `limit` bytes.
    fn save_within(&self, entry: &Entry, limit: u64) -> io::Result<Vec<PathBuf>> {
        fs::create_private_dir(&self.dir)?;
        let _writing = self.writing()?;
        pieces::write(&self.dir, entry, limit)
    }

    /// The queued files, oldest first; only those of `site` when given. Temporaries a
    /// killed process left are recovered first. Whatever else bears a queued file's
    /// name (a directory, a FIFO, a symbolic link, dangling or not) is set aside,
    /// with a warning: never followed, never sent.
    pub fn pending(&self, site: Option<&str>) -> Vec<PathBuf> {
        self.recover();
        self.queued()
            .into_iter()
            .filter(|path| match fs::special(path) {
                Some(kind) => {
                    self.ignore(path, &format!("not a regular file but {kind}"));
                    false
                }
                None => true,
            })
            .filter(|path| site.is_none_or(|site| belongs_to(path, site)))
            .collect()
    }

    /// Everything that bears a queued file's name (`*.json`, not hidden), whatever it
    /// is, oldest first.
    fn queued(&self) -> Vec<PathBuf> {
        fs::names(&self.dir)
            .into_iter()
            .filter(|name| name.ends_with(".json") && !name.starts_with('.'))
            .map(|name| self.dir.join(name))
            .collect()
    }

    /// The entry at `path`, read without claiming it (a dry run): `Err` says why it is
    /// not one to deliver. Nothing is moved.
    pub fn peek(&self, path: &Path) -> Result<Entry, String> {
        let read = fs::open_private(path)
            .map_err(|e| Refusal::Ignored(e.to_string()))
            .and_then(|file| read_entry(&file));
        read.map_err(|(Refusal::Corrupt(why) | Refusal::Ignored(why))| why)
    }

    /// Moves `path` into `corrupt/`, never deleting it.
    fn move_aside(&self, path: &Path, why: &str) {
        let folder = self.dir.join("corrupt");
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let moved = fs::create_private_dir(&folder).and_then(|()| {
            let target = free_name(&folder, &name);
            fs::rename(path, &target).map(|()| target)
        });
        match moved {
            Ok(target) => {
                warn!(
                    "moved the outbox file {} to {} ({why})",
                    path.display(),
                    target.display()
                );
                self.record(SetAside {
                    file: path.to_path_buf(),
                    site: None,
                    kind: Kind::Corrupt,
                    moved_to: Some(target),
                    reason: why.to_owned(),
                });
            }
            Err(e) => self.ignore(path, &format!("{why}, and it cannot be moved aside: {e}")),
        }
    }

    /// Leaves `path` where it is, never to be sent, with a warning (once).
    fn ignore(&self, path: &Path, why: &str) {
        let new = self.record(SetAside {
            file: path.to_path_buf(),
            site: None,
            kind: Kind::Ignored,
            moved_to: None,
            reason: why.to_owned(),
        });
        if new {
            warn!(
                "ignoring the outbox file {}: {why}; it is not sent",
                path.display()
            );
        }
    }

    /// Notes `set_aside`; `false` if it was noted already.
    fn record(&self, set_aside: SetAside) -> bool {
        let Ok(mut all) = self.set_aside.lock() else {
            return false;
        };
        if all.iter().any(|s| s.file == set_aside.file) {
            return false;
        }
        all.push(set_aside);
        true
    }
}

/// Whether the queued file `path` is `site`'s, by what it says: its name is only for
/// people, and could be anything (a renamed or copied file). One that cannot be read
/// as an entry is every site's, so that the claim that follows sets it aside, with a
/// warning, whichever site comes first.
fn belongs_to(path: &Path, site: &str) -> bool {
    /// Enough of an entry to know whose it is.
    #[derive(Deserialize)]
    struct Whose {
        site: String,
    }
    let whose = fs::open_private(path)
        .and_then(|file| fs::read_file(&file, fs::limit::OUTBOX_ENTRY))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Whose>(&bytes).ok());
    whose.is_none_or(|whose| whose.site == site)
}

/// `dir/name`, or if that is taken, `name` with a random suffix.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    if !path.exists() {
        return path;
    }
    dir.join(format!("{name}.{:08x}", fastrand::u32(..)))
}

fn remove(path: &Path) {
    if let Err(e) = fs::remove(path) {
        warn!("cannot remove the outbox file {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests;
