//! What the outbox holds, for people: `flush --list`, `flush --drop ID`,
//! `flush --drop-all`.

use std::fs::TryLockError;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::{Entry, Outbox, Refusal, read_entry};
use crate::api::{Api, Call};
use crate::fs;

/// The age past which an entry is reported as stale. Jira documents no limit on the
/// age of the data it accepts: an old report is stored, and its update sequence number
/// keeps it from overwriting newer data. But a report held back this long has most
/// likely been superseded by later runs, and a person should decide whether it is
/// still worth sending (`flush`) or not (`flush --drop`).
pub const STALE_AFTER: TimeDelta = TimeDelta::days(30);

/// Where a file is in the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Waiting for `flush` or the next sending command.
    Queued,
    /// In `rejected/`: Jira rejected entities in it.
    Rejected,
    /// Unreadable, or not what jira-send writes; in `corrupt/` once a flush saw it.
    Corrupt,
    /// Not trusted, or of another version: never sent.
    Ignored,
}

/// One file of the outbox, described.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
    /// The file name without `.json`: what `flush --drop` takes.
    pub id: String,
    pub state: State,
    pub file: PathBuf,
    /// What made the requests: `build`, `deployment`, `delete build`, …
    pub command: Option<String>,
    pub site: Option<String>,
    /// The entities in its requests (a deletion counts one).
    pub entities: usize,
    pub created_at: Option<DateTime<Utc>>,
    pub age_seconds: Option<i64>,
    /// Older than [`STALE_AFTER`].
    pub stale: bool,
    /// The error of the last attempt; for a rejected entry, Jira's first reason; for
    /// a corrupt or ignored file, what is wrong with it.
    pub last_error: Option<String>,
}

impl Outbox {
    /// Every file of the outbox: those queued, oldest first, then those in
    /// `rejected/` and `corrupt/`.
    pub fn list(&self, now: DateTime<Utc>) -> Vec<Listed> {
        self.recover();
        // Not `pending`: what it sets aside is listed here too, as ignored.
        let mut listed: Vec<Listed> = self
            .queued()
            .iter()
            .map(|path| describe(path, State::Queued, now))
            .collect();
        for (folder, state) in [("rejected", State::Rejected), ("corrupt", State::Corrupt)] {
            let dir = self.dir.join(folder);
            listed.extend(
                fs::names(&dir)
                    .into_iter()
                    .filter(|name| !name.starts_with('.'))
                    .map(|name| describe(&dir.join(name), state, now)),
            );
        }
        listed
    }

    /// Deletes the file `id` names, undelivered, unless another process is delivering
    /// it right now; returns what it was.
    pub fn drop_entry(&self, id: &str, now: DateTime<Utc>) -> Result<Listed, String> {
        let (path, state) = self
            .find(id)
            .ok_or_else(|| format!("the outbox holds no entry {id} (`flush --list` shows them)"))?;
        let listed = describe(&path, state, now);
        // A regular file is locked first, as a flush would, so that one being delivered
        // is not pulled from under it. Anything else is simply removed.
        let lock = fs::open_private(&path).ok();
        if let Some(file) = &lock {
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(format!("{id} is being delivered by another jira-send right now"));
                }
                Err(TryLockError::Error(e)) => return Err(format!("cannot lock {id}: {e}")),
            }
            if !fs::still_names(&path, file).unwrap_or(false) {
                return Err(format!("{id} was delivered or dropped meanwhile"));
            }
        }
        fs::remove(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        Ok(listed)
    }

    /// The file `id` names, and where it is.
    fn find(&self, id: &str) -> Option<(PathBuf, State)> {
        // An id is a file name, never a path.
        if id.is_empty() || id.starts_with('.') || id.contains(['/', '\\']) {
            return None;
        }
        [
            (self.dir.clone(), State::Queued),
            (self.dir.join("rejected"), State::Rejected),
            (self.dir.join("corrupt"), State::Corrupt),
        ]
        .into_iter()
        .flat_map(|(dir, state)| [(dir.join(format!("{id}.json")), state), (dir.join(id), state)])
        .find(|(path, _)| path.symlink_metadata().is_ok_and(|m| !m.is_dir()))
    }
}

/// What the file at `path` is, found in the place of `state`.
fn describe(path: &Path, state: State, now: DateTime<Utc>) -> Listed {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let id = name.strip_suffix(".json").unwrap_or(&name).to_owned();
    let read = fs::open_private(path)
        .map_err(|e| Refusal::Ignored(e.to_string()))
        .and_then(|file| read_entry(&file));
    let unreadable = |state: State, why: String| Listed {
        id: id.clone(),
        state,
        file: path.to_path_buf(),
        command: None,
        site: None,
        entities: 0,
        created_at: None,
        age_seconds: None,
        stale: false,
        last_error: Some(why),
    };
    match read {
        Ok(entry) => from_entry(id.clone(), path, state, &entry, now),
        Err(Refusal::Corrupt(why)) => unreadable(State::Corrupt, why),
        Err(Refusal::Ignored(why)) if state == State::Corrupt => unreadable(State::Corrupt, why),
        Err(Refusal::Ignored(why)) => unreadable(State::Ignored, why),
    }
}

fn from_entry(id: String, path: &Path, state: State, entry: &Entry, now: DateTime<Utc>) -> Listed {
    let mut commands: Vec<String> = Vec::new();
    for call in &entry.requests {
        let command = command(call);
        if !commands.contains(&command) {
            commands.push(command);
        }
    }
    let age = now - entry.created_at;
    let rejection = entry
        .rejections
        .iter()
        .find_map(|r| r.get("errors")?.get(0)?.as_str())
        .map(|why| format!("rejected by Jira: {why}"));
    Listed {
        id,
        state,
        file: path.to_path_buf(),
        command: Some(commands.join(", ")),
        site: Some(entry.site.clone()),
        entities: entry.requests.iter().map(entities).sum(),
        created_at: Some(entry.created_at),
        age_seconds: Some(age.num_seconds()),
        stale: age > STALE_AFTER,
        last_error: rejection.or_else(|| entry.last_error.clone()),
    }
}

/// The command that makes `call`.
fn command(call: &Call) -> String {
    let noun = match call.api {
        Api::Builds => "build",
        Api::Deployments => "deployment",
        Api::Devinfo => "devinfo",
        Api::FeatureFlags => "flag",
    };
    match call.method {
        reqwest::Method::DELETE => format!("delete {noun}"),
        _ => noun.to_owned(),
    }
}

/// The entities `call` carries; a deletion counts one.
fn entities(call: &Call) -> usize {
    call.body
        .as_ref()
        .and_then(|body| body.get(call.api.entities_key())?.as_array().map(Vec::len))
        .unwrap_or(1)
}

/// `3d 4h`, `2h 5m`, `12m`, `40s`: an age as people read it.
pub fn age(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (size, unit) in units {
        if rest >= size || (parts.is_empty() && size == 1) {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 || (!parts.is_empty() && rest == 0) {
            break;
        }
    }
    parts.join(" ")
}
