//! A site's cloud id: configured, cached on disk, or looked up once from the site's
//! `/_edge/tenant_info` (no credentials needed). A cloud id never changes for the life
//! of a site, so the cache does not expire; it is dropped when Jira answers 404 for
//! the cloud (a wrong or stale entry), and looked up again.
//!
//! Only a well-formed cloud id (a UUID) is used, from whatever source: it goes into
//! the path of requests that carry the bearer token. A site whose `tenant_info` answers
//! with anything but one is not a Jira Cloud site: a setting to fix, not an outage.

use std::path::{Path, PathBuf};

use reqwest::Client;
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use crate::answer::{self, limit};
use crate::api::is_cloud_id;
use crate::env::host_suffix;
use crate::error::{Error, Result};
use crate::fs;
use crate::http::retry::{self, Policy};
use crate::settings::Site;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cached {
    site: String,
    cloud_id: String,
}

fn cache_path(dir: &Path, site: &Site) -> PathBuf {
    dir.join(format!(
        "cloud-id-{}.json",
        host_suffix(&site.name).to_ascii_lowercase()
    ))
}

/// The cached cloud id of `site`, if there is a well-formed one. (From async code,
/// through [`cached_off_runtime`].)
pub fn cached(cache_dir: Option<&Path>, site: &Site) -> Option<String> {
    let path = cache_path(cache_dir?, site);
    // Trusted like the token cache: a planted file must not redirect the requests.
    let bytes = fs::read_private(&path, fs::limit::CACHE, "cloud-id cache")?;
    let cached: Cached = serde_json::from_slice(&bytes).ok()?;
    if cached.site != site.name {
        return None;
    }
    if !is_cloud_id(&cached.cloud_id) {
        warn!(
            "ignoring the cached cloud id in {}: it is not a cloud id",
            path.display()
        );
        return None;
    }
    Some(cached.cloud_id)
}

/// [`cached`], read off the runtime's thread.
pub async fn cached_off_runtime(cache_dir: Option<&Path>, site: &Site) -> Option<String> {
    let (dir, site) = (cache_dir?.to_path_buf(), site.clone());
    fs::off_runtime(move || cached(Some(&dir), &site)).await
}

/// Drops the cached cloud id of `site`, off the runtime's thread: Jira does not know
/// it.
pub async fn forget_off_runtime(cache_dir: Option<&Path>, site: &Site) {
    let (dir, site) = (cache_dir.map(Path::to_path_buf), site.clone());
    fs::off_runtime(move || forget(dir.as_deref(), &site)).await;
}

/// Drops the cached cloud id of `site`: Jira does not know it.
pub fn forget(cache_dir: Option<&Path>, site: &Site) {
    if let Some(dir) = cache_dir {
        let path = cache_path(dir, site);
        match fs::remove(&path) {
            Ok(()) => debug!("dropped the cached cloud id {}", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => warn!("cannot drop the cached cloud id {}: {e}", path.display()),
        }
    }
}

/// Asks the site for its cloud id, whatever the cache holds, and caches the answer.
pub async fn look_up_fresh(
    client: &Client,
    policy: &Policy<'_>,
    cache_dir: Option<&Path>,
    site: &Site,
    setting: &str,
) -> Result<String> {
    let url = site
        .url
        .join("/_edge/tenant_info")
        .expect("a site URL takes a path");
    info!("looking up the cloud id of {} at {url}", site.name);
    let what = format!("the cloud id lookup at {url}");
    let not_jira = |detail: String| Error::UnknownSite {
        site: site.name.clone(),
        detail,
        setting: setting.to_owned(),
    };
    let exchanged = policy
        .send(&what, limit::TENANT_INFO, retry::ANY, || client.get(url.clone()))
        .await;
    let cloud_id = answer::tenant::cloud_id(&what, exchanged, not_jira)?;
    if let Some(dir) = cache_dir {
        let cached = Cached {
            site: site.name.clone(),
            cloud_id: cloud_id.clone(),
        };
        let bytes = serde_json::to_vec(&cached).expect("serializes");
        let path = cache_path(dir, site);
        if let Err(e) = fs::off_runtime(move || fs::write_private(&path, &bytes)).await {
            warn!("cannot cache the cloud id: {e}");
        }
    }
    Ok(cloud_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_cache_is_ignored_and_can_be_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let site = crate::settings::parse_site("--site", "acme.atlassian.net").unwrap();
        let path = cache_path(dir.path(), &site);
        fs::write_private(&path, br#"{"site":"acme.atlassian.net","cloudId":"../x"}"#).unwrap();
        assert_eq!(cached(Some(dir.path()), &site), None);
        forget(Some(dir.path()), &site);
        assert!(!path.exists());
        forget(Some(dir.path()), &site);
    }
}
