//! The on-disk token cache: one file per token URL and client id, so that the steps
//! of a pipeline share one token instead of asking for one each.
//!
//! The file name is a hash of the token URL, the client id and a hash of the secret:
//! a rotated or mistyped secret never finds the token of the old one, and neither the
//! secret nor the client id can be read from the name. A lock file next to it serialises refreshes, so parallel invocations with a
//! cold cache make one token request: the first takes the lock and fetches, the
//! others wait for the lock and then find the fresh token in the file.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::token::AccessToken;
use crate::clock;
use crate::fs;

#[derive(Clone, Debug)]
pub struct TokenCache {
    path: PathBuf,
    lock_path: PathBuf,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    access_token: String,
    expires_at: DateTime<Utc>,
}

/// Held while this process refreshes the token; dropping it releases the lock.
#[derive(Debug)]
pub struct RefreshLock {
    _file: File,
}

impl TokenCache {
    pub fn new(dir: &Path, token_url: &str, client_id: &str, secret: &SecretString) -> Self {
        let secret_hash = Sha256::digest(secret.expose_secret().as_bytes());
        let mut hasher = Sha256::new();
        for part in [
            token_url.as_bytes(),
            b"\n",
            client_id.as_bytes(),
            b"\n",
            &secret_hash,
        ] {
            hasher.update(part);
        }
        let digest = hasher.finalize();
        let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        Self {
            path: dir.join(format!("token-{name}.json")),
            lock_path: dir.join(format!("token-{name}.lock")),
        }
    }

    /// The cached token, if there is a readable, trustworthy one: checked like a token
    /// the endpoint issues (a cache written by an older version, or damaged, may hold
    /// an empty token or a line break, which would fail every request until it
    /// expired). A token that fails the check is ignored, and the fresh one replaces
    /// it.
    pub fn load(&self) -> Option<AccessToken> {
        // Only a regular file of this user's that others cannot write: see `store`.
        let bytes = fs::read_private(&self.path, fs::limit::CACHE, "token cache")?;
        match serde_json::from_slice::<Stored>(&bytes) {
            Ok(stored) => match crate::answer::token::unusable_token(&stored.access_token) {
                Ok(()) => Some(AccessToken::new(
                    SecretString::from(stored.access_token),
                    Some(stored.expires_at),
                )),
                Err(why) => {
                    warn!(
                        "ignoring the cached access token in {}: it {why}; fetching a fresh one",
                        self.path.display()
                    );
                    None
                }
            },
            Err(e) => {
                debug!("ignoring the unreadable token cache {}: {e}", self.path.display());
                None
            }
        }
    }

    /// Saves `token`, unless its lifetime is unknown; a cache that cannot be written
    /// is only a warning.
    pub fn store(&self, token: &AccessToken) {
        let Some(expires_at) = token.expires_at else {
            return;
        };
        let stored = Stored {
            access_token: token.secret().expose_secret().to_owned(),
            expires_at,
        };
        let bytes = serde_json::to_vec(&stored).expect("a token serializes");
        if let Err(e) = fs::write_private(&self.path, &bytes) {
            warn!("cannot cache the access token: {e}");
        }
    }

    /// Takes the refresh lock, waiting for another process to finish its refresh, up to
    /// `deadline`. `None` means no lock could be had (no writable cache directory, or the
    /// wait ran out): the caller refreshes anyway, which costs at most one extra token.
    pub async fn lock(&self, deadline: Instant) -> Option<RefreshLock> {
        let lock_path = self.lock_path.clone();
        let file = fs::off_runtime(move || {
            if let Some(dir) = lock_path.parent() {
                fs::create_private_dir(dir)?;
            }
            fs::open_lock(&lock_path)
        })
        .await
        .map_err(|e| debug!("cannot open the lock {}: {e}", self.lock_path.display()))
        .ok()?;
        loop {
            match file.try_lock() {
                Ok(()) => return Some(RefreshLock { _file: file }),
                Err(TryLockError::WouldBlock) if !clock::passed(deadline) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(TryLockError::WouldBlock) => {
                    warn!("another jira-send holds the token lock too long; refreshing anyway");
                    return None;
                }
                Err(TryLockError::Error(e)) => {
                    debug!("cannot lock {}: {e}", self.lock_path.display());
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tokens_survive_a_round_trip_and_names_hide_the_client() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://api.atlassian.com/oauth/token";
        let secret = || SecretString::from("secret-1");
        let cache = TokenCache::new(dir.path(), url, "client-1", &secret());
        assert!(cache.load().is_none());
        let expires = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        cache.store(&AccessToken::new(SecretString::from("tok"), Some(expires)));
        let loaded = cache.load().unwrap();
        assert_eq!(loaded.secret().expose_secret(), "tok");
        assert_eq!(loaded.expires_at, Some(expires));
        let name = cache.path.file_name().unwrap().to_str().unwrap();
        assert!(!name.contains("client-1") && !name.contains("secret-1"));
        let other = TokenCache::new(dir.path(), url, "client-2", &secret());
        assert!(other.load().is_none(), "each client id has its own cache");
        let rotated = TokenCache::new(dir.path(), url, "client-1", &SecretString::from("secret-2"));
        assert!(rotated.load().is_none(), "each secret has its own cache");
    }

    #[test]
    fn tokens_of_unknown_lifetime_are_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(dir.path(), "u", "c", &SecretString::from("s"));
        cache.store(&AccessToken::new(SecretString::from("tok"), None));
        assert!(cache.load().is_none());
        assert!(!cache.path.exists());
    }

    #[test]
    fn a_corrupt_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(dir.path(), "u", "c", &SecretString::from("s"));
        fs::write_private(&cache.path, b"{not json").unwrap();
        assert!(cache.load().is_none());
    }

    #[tokio::test]
    async fn the_lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(dir.path(), "u", "c", &SecretString::from("s"));
        let first = cache.lock(clock::deadline_in(Duration::from_secs(5))).await;
        assert!(first.is_some());
        // A second handle cannot take it within a short wait.
        let second = cache.lock(clock::deadline_in(Duration::from_millis(60))).await;
        assert!(second.is_none());
        drop(first);
        assert!(
            cache
                .lock(clock::deadline_in(Duration::from_secs(5)))
                .await
                .is_some()
        );
    }
}
