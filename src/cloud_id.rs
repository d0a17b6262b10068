//! A site's cloud id: configured, cached on disk, or looked up once from the site's
//! `/_edge/tenant_info` (no credentials needed). A cloud id never changes for the life
//! of a site, so the cache never expires.

use std::path::{Path, PathBuf};

use reqwest::{Client, StatusCode};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use crate::env::host_suffix;
use crate::error::{Error, Result};
use crate::retry::Policy;
use crate::settings::Site;
use crate::store;

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

/// The cached cloud id of `site`, if any.
pub fn cached(cache_dir: Option<&Path>, site: &Site) -> Option<String> {
    let path = cache_path(cache_dir?, site);
    // Trusted like the token cache: a planted file must not redirect the requests.
    let bytes = store::read_private(&path, store::limit::CACHE, "cloud-id cache")?;
    let cached: Cached = serde_json::from_slice(&bytes).ok()?;
    (cached.site == site.name && !cached.cloud_id.is_empty()).then_some(cached.cloud_id)
}

/// Looks the cloud id of `site` up, and caches it.
pub async fn look_up(
    client: &Client,
    policy: &Policy<'_>,
    cache_dir: Option<&Path>,
    site: &Site,
) -> Result<String> {
    if let Some(id) = cached(cache_dir, site) {
        debug!("cloud id of {} from the cache: {id}", site.name);
        return Ok(id);
    }
    let url = site
        .url
        .join("/_edge/tenant_info")
        .expect("a site URL takes a path");
    info!("looking up the cloud id of {} at {url}", site.name);
    let what = || format!("the cloud id lookup at {url}");
    let answer = policy.send(&what(), || client.get(url.clone())).await?;
    let cloud_id = match answer.status {
        status if status.is_success() => answer
            .json
            .as_ref()
            .and_then(|j| j.get("cloudId")?.as_str())
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Error::UnknownSite {
                site: site.name.clone(),
                detail: format!("{status} without a cloudId"),
            })?,
        StatusCode::NOT_FOUND => {
            return Err(Error::UnknownSite {
                site: site.name.clone(),
                detail: answer.detail(),
            });
        }
        _ => {
            return Err(Error::Unreachable {
                what: what(),
                detail: answer.detail(),
            });
        }
    };
    if let Some(dir) = cache_dir {
        let cached = Cached {
            site: site.name.clone(),
            cloud_id: cloud_id.clone(),
        };
        let bytes = serde_json::to_vec(&cached).expect("serializes");
        if let Err(e) = store::write_private(&cache_path(dir, site), &bytes) {
            warn!("cannot cache the cloud id: {e}");
        }
    }
    Ok(cloud_id)
}
