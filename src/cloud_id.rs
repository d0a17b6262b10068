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

use crate::answer::{Answer, limit};
use crate::api::is_cloud_id;
use crate::env::host_suffix;
use crate::error::{Error, Result};
use crate::fs;
use crate::retry::{self, Policy};
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

/// The cached cloud id of `site`, if there is a well-formed one.
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

/// Drops the cached cloud id of `site`: Jira does not know it.
pub fn forget(cache_dir: Option<&Path>, site: &Site) {
    if let Some(dir) = cache_dir {
        let path = cache_path(dir, site);
        match std::fs::remove_file(&path) {
            Ok(()) => debug!("dropped the cached cloud id {}", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => warn!("cannot drop the cached cloud id {}: {e}", path.display()),
        }
    }
}

/// The cloud id in a `tenant_info` answer, or why the answer is not Jira Cloud's.
pub fn from_answer(answer: &Answer) -> Result<String, String> {
    if !answer.status.is_success() {
        return Err(answer.detail());
    }
    let id = answer
        .json
        .as_ref()
        .and_then(|j| j.get("cloudId"))
        .ok_or_else(|| format!("{} without a cloudId", answer.status))?;
    match id.as_str() {
        Some(id) if is_cloud_id(id) => Ok(id.to_owned()),
        _ => Err(format!(
            "{} with a cloudId that is not one: {}",
            answer.status,
            crate::mask::cap(&id.to_string(), 80)
        )),
    }
}

/// Looks the cloud id of `site` up (the cache first), and caches it. `setting` names
/// where the site came from, for the error that says to check it.
pub async fn look_up(
    client: &Client,
    policy: &Policy<'_>,
    cache_dir: Option<&Path>,
    site: &Site,
    setting: &str,
) -> Result<String> {
    if let Some(id) = cached(cache_dir, site) {
        debug!("cloud id of {} from the cache: {id}", site.name);
        return Ok(id);
    }
    look_up_fresh(client, policy, cache_dir, site, setting).await
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
    let answer = match policy
        .send(&what, limit::TENANT_INFO, retry::ANY, || client.get(url.clone()))
        .await
    {
        Ok(answer) => answer,
        Err(Error::Redirected { location, .. }) => {
            return Err(not_jira(format!("tenant_info redirects to {location}")));
        }
        Err(error) => return Err(error),
    };
    if retry::is_transient(answer.status) {
        return Err(Error::Unreachable {
            what,
            detail: answer.detail(),
        });
    }
    let cloud_id = from_answer(&answer).map_err(not_jira)?;
    if let Some(dir) = cache_dir {
        let cached = Cached {
            site: site.name.clone(),
            cloud_id: cloud_id.clone(),
        };
        let bytes = serde_json::to_vec(&cached).expect("serializes");
        if let Err(e) = fs::write_private(&cache_path(dir, site), &bytes) {
            warn!("cannot cache the cloud id: {e}");
        }
    }
    Ok(cloud_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn answer(status: u16, body: &str) -> Answer {
        Answer::new(
            StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
            None,
            false,
        )
    }

    #[test]
    fn only_a_jira_cloud_answer_gives_a_cloud_id() {
        let id = "11111111-2222-3333-4444-555555555555";
        assert_eq!(
            from_answer(&answer(200, &format!(r#"{{"cloudId":"{id}"}}"#))).unwrap(),
            id
        );
        for (status, body) in [
            (200, r#"{"cloudId":"../../../../etc"}"#),
            (200, r#"{"cloudId":"a/b?c"}"#),
            (200, r#"{"cloudId":""}"#),
            (200, r#"{"cloudId":7}"#),
            (200, "{}"),
            (200, "<html>welcome to my site</html>"),
            (404, "not found"),
        ] {
            assert!(from_answer(&answer(status, body)).is_err(), "{status} {body}");
        }
    }

    proptest::proptest! {
        /// Whatever tenant_info answers, the result is a UUID or a reason.
        #[test]
        fn no_tenant_info_answer_panics_or_yields_a_bad_id(
            status in 100u16..600,
            body in ".*",
            id in proptest::prelude::any::<String>(),
        ) {
            let status = StatusCode::from_u16(status).unwrap();
            for body in [body.clone(), serde_json::json!({"cloudId": id}).to_string()] {
                let answer = Answer::new(status, body.as_bytes(), None, false);
                if let Ok(id) = from_answer(&answer) {
                    assert!(is_cloud_id(&id));
                }
            }
        }
    }

    #[test]
    fn a_malformed_cache_is_ignored_and_can_be_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let site = crate::settings::parse_site("acme.atlassian.net").unwrap();
        let path = cache_path(dir.path(), &site);
        fs::write_private(&path, br#"{"site":"acme.atlassian.net","cloudId":"../x"}"#).unwrap();
        assert_eq!(cached(Some(dir.path()), &site), None);
        forget(Some(dir.path()), &site);
        assert!(!path.exists());
        forget(Some(dir.path()), &site);
    }
}
