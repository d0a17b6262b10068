//! The outbox: requests that could not be delivered, kept on disk until `flush` (or
//! the next sending command) delivers them. A pipeline never silently loses a report.
//!
//! One file per site and invocation, holding the undelivered requests in order
//! (site, cloud id if known, API, method, path, body: never a credential), written
//! atomically with mode 0600, so a killed process leaves the old file or the new one,
//! never half of one. Names start with the creation time in milliseconds, so sorting
//! them is oldest first.
//!
//! A sender claims a file by taking an exclusive lock on it and checking that it still
//! exists: two flushes at once never send the same file twice, and a lock dies with
//! its process. A file is deleted only after Jira accepted every request in it; one
//! Jira refused outright is moved to `rejected/`, an unreadable one to `corrupt/`, each
//! with a warning.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::warn;

use crate::api::Api;
use crate::env::host_suffix;
use crate::send::Call;
use crate::store;

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
    pub requests: Vec<SavedCall>,
}

/// A [`Call`] as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedCall {
    pub method: String,
    pub api: Api,
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Value>,
}

impl From<&Call> for SavedCall {
    fn from(call: &Call) -> Self {
        Self {
            method: call.method.to_string(),
            api: call.api,
            operation: call.operation.clone(),
            body: call.body.clone(),
            subject: call.subject.clone(),
        }
    }
}

impl SavedCall {
    pub fn to_call(&self) -> Option<Call> {
        Some(Call {
            method: Method::from_bytes(self.method.as_bytes()).ok()?,
            api: self.api,
            operation: self.operation.clone(),
            body: self.body.clone(),
            subject: self.subject.clone(),
        })
    }
}

/// The outbox directory.
#[derive(Clone, Debug)]
pub struct Outbox {
    dir: PathBuf,
}

/// A file this process holds the lock of.
#[derive(Debug)]
pub struct Claimed {
    pub path: PathBuf,
    pub entry: Entry,
    _lock: File,
}

impl Outbox {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Saves `entry`; returns the file's path.
    pub fn save(&self, entry: &Entry) -> std::io::Result<PathBuf> {
        let name = format!(
            "{:013}-{}-{:08x}.json",
            entry.created_at.timestamp_millis(),
            host_suffix(&entry.site).to_ascii_lowercase(),
            fastrand::u32(..)
        );
        let path = self.dir.join(name);
        store::write_private(
            &path,
            &serde_json::to_vec_pretty(entry).expect("entries serialize"),
        )?;
        Ok(path)
    }

    /// The queued files, oldest first; only those of `site` when given.
    pub fn pending(&self, site: Option<&str>) -> Vec<PathBuf> {
        let marker = site.map(|s| format!("-{}-", host_suffix(s).to_ascii_lowercase()));
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                !name.starts_with('.') && marker.as_ref().is_none_or(|m| name.contains(m.as_str()))
            })
            .collect();
        files.sort();
        files
    }

    /// Takes `path` for this process, or `None` if another process has it, it is gone,
    /// or it is unreadable (then it is moved to `corrupt/`).
    pub fn claim(&self, path: &Path) -> Option<Claimed> {
        let file = File::options().read(true).write(true).open(path).ok()?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return None,
            Err(TryLockError::Error(e)) => {
                warn!("cannot lock {}: {e}", path.display());
                return None;
            }
        }
        // Another flush may have delivered and deleted it between our open and lock.
        if !path.exists() {
            return None;
        }
        let parsed = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice::<Entry>(&bytes).map_err(|e| e.to_string()));
        match parsed {
            Ok(entry) => Some(Claimed {
                path: path.to_path_buf(),
                entry,
                _lock: file,
            }),
            Err(e) => {
                self.move_aside(path, "corrupt", &e);
                None
            }
        }
    }

    /// Moves `path` into the `kind/` folder beside it, never deleting it.
    pub fn move_aside(&self, path: &Path, kind: &str, why: &str) {
        let folder = self.dir.join(kind);
        let target = folder.join(path.file_name().unwrap_or_default());
        let moved = store::private_dir(&folder).and_then(|()| std::fs::rename(path, &target));
        match moved {
            Ok(()) => warn!(
                "moved the outbox file {} to {} ({why})",
                path.display(),
                target.display()
            ),
            Err(e) => warn!(
                "cannot move the outbox file {} aside ({why}): {e}",
                path.display()
            ),
        }
    }
}

impl Claimed {
    /// Every request was delivered: the file goes.
    pub fn delivered(self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            warn!(
                "cannot remove the delivered outbox file {}: {e}",
                self.path.display()
            );
        }
    }

    /// Some requests remain: the file keeps only those.
    pub fn keep(mut self, remaining: Vec<SavedCall>) {
        self.entry.requests = remaining;
        let bytes = serde_json::to_vec_pretty(&self.entry).expect("entries serialize");
        if let Err(e) = store::write_private(&self.path, &bytes) {
            warn!("cannot update the outbox file {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(site: &str, ms: i64) -> Entry {
        Entry {
            version: 1,
            created_at: DateTime::from_timestamp_millis(ms).unwrap(),
            site: site.into(),
            site_url: format!("https://{site}/"),
            cloud_id: Some("c".into()),
            requests: vec![SavedCall {
                method: "POST".into(),
                api: Api::Builds,
                operation: "bulk".into(),
                body: Some(json!({"builds": []})),
                subject: None,
            }],
        }
    }

    #[test]
    fn files_are_listed_oldest_first_per_site() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path());
        let newer = outbox.save(&entry("acme.atlassian.net", 2_000)).unwrap();
        let older = outbox.save(&entry("acme.atlassian.net", 1_000)).unwrap();
        let other = outbox.save(&entry("other.atlassian.net", 500)).unwrap();
        assert_eq!(
            outbox.pending(Some("acme.atlassian.net")),
            [older.clone(), newer.clone()]
        );
        assert_eq!(outbox.pending(None), [other, older, newer]);
    }

    #[test]
    fn a_claimed_file_cannot_be_claimed_twice() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path());
        let path = outbox.save(&entry("acme.atlassian.net", 1)).unwrap();
        let first = outbox.claim(&path).unwrap();
        assert!(outbox.claim(&path).is_none(), "locked by the first");
        first.delivered();
        assert!(outbox.claim(&path).is_none(), "gone");
        assert!(outbox.pending(None).is_empty());
    }

    #[test]
    fn corrupt_files_are_moved_aside_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path());
        let path = dir.path().join("0000000000001-x-00000000.json");
        std::fs::write(&path, "{half a fi").unwrap();
        assert!(outbox.claim(&path).is_none());
        assert!(!path.exists());
        assert!(dir.path().join("corrupt/0000000000001-x-00000000.json").exists());
    }

    #[test]
    fn remaining_requests_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path());
        let mut two = entry("a.example", 1);
        two.requests.push(two.requests[0].clone());
        let path = outbox.save(&two).unwrap();
        let claimed = outbox.claim(&path).unwrap();
        let rest = claimed.entry.requests[1..].to_vec();
        claimed.keep(rest);
        assert_eq!(outbox.claim(&path).unwrap().entry.requests.len(), 1);
    }
}
