//! A site's cloud id: configured, cached, or looked up; and a 404 for the cloud, which
//! means the cloud id is wrong. A stored one (cache, outbox) may be stale: it is
//! dropped and looked up again once. A configured one is the user's to fix.

use tracing::{debug, info};

use super::Session;
use crate::answer::{self, Answer};
use crate::api::{Api, Call};
use crate::cloud_id;
use crate::error::{Error, Result};
use crate::http::retry;

/// Where a session's cloud id came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum CloudIdFrom {
    /// A flag or variable, named: the user's to fix.
    Setting(String),
    /// The cache or an outbox entry: possibly stale, so looked up again on a 404.
    Stored,
    /// The site's tenant_info, just now.
    Site,
}

impl Session<'_> {
    /// The site's cloud id: configured, cached, or looked up now.
    pub async fn cloud_id(&mut self) -> Result<String> {
        if let Some(id) = &self.cloud_id {
            return Ok(id.clone());
        }
        let cache_dir = self.settings.cache_dir.as_deref();
        if let Some(id) = cloud_id::cached_off_runtime(cache_dir, self.site).await {
            debug!("cloud id of {} from the cache: {id}", self.site.name);
            self.cloud_id_from = CloudIdFrom::Stored;
            self.cloud_id = Some(id.clone());
            return Ok(id);
        }
        self.look_up_cloud_id().await
    }

    /// Asks the site for its cloud id, whatever the cache holds.
    pub async fn look_up_cloud_id(&mut self) -> Result<String> {
        let policy = retry::Policy::new(self.settings, self.clock, self.deadline);
        let id = cloud_id::look_up_fresh(
            self.client,
            &policy,
            self.settings.cache_dir.as_deref(),
            self.site,
            &self.settings.site_setting,
        )
        .await?;
        self.cloud_id_from = CloudIdFrom::Site;
        self.cloud_id = Some(id.clone());
        Ok(id)
    }

    /// Makes `call`; on a 401, renews the token once and makes it again. A 404 for
    /// the cloud (not for one entity) means the cloud id is wrong: a stored one is
    /// dropped, looked up again once, and the call made again; a configured one is the
    /// user's to fix.
    pub async fn call(&mut self, call: &Call) -> Result<Answer> {
        let answer = self.call_once(call).await?;
        if !answer::unknown_cloud(call, &answer) {
            return Ok(answer);
        }
        let stale = self.cloud_id.clone().unwrap_or_default();
        let unknown = |source_name: String, hint: &str| Error::UnknownCloud {
            cloud_id: stale.clone(),
            source_name,
            hint: hint.to_owned(),
        };
        match self.cloud_id_from.clone() {
            CloudIdFrom::Setting(setting) => {
                // Feature flags answer 404 in clouds that take none over OAuth: theirs
                // to say (interpret), not a wrong cloud id.
                if call.api == Api::FeatureFlags {
                    return Ok(answer);
                }
                Err(unknown(
                    setting,
                    "check it against the site's https://<site>/_edge/tenant_info, or leave it out \
                     and jira-send looks it up",
                ))
            }
            CloudIdFrom::Stored => {
                info!(
                    "Jira answered 404 for the cloud {stale}: dropping the stored cloud id of {} \
                     and looking it up again",
                    self.site.name
                );
                cloud_id::forget_off_runtime(self.settings.cache_dir.as_deref(), self.site).await;
                let fresh = self.look_up_cloud_id().await?;
                if fresh == stale {
                    return self.not_found_at_site(call, answer, unknown);
                }
                let again = self.call_once(call).await?;
                if answer::unknown_cloud(call, &again) {
                    return self.not_found_at_site(call, again, unknown);
                }
                Ok(again)
            }
            CloudIdFrom::Site => self.not_found_at_site(call, answer, unknown),
        }
    }

    /// A 404 for the cloud the site itself names.
    fn not_found_at_site(
        &self,
        call: &Call,
        answer: Answer,
        unknown: impl Fn(String, &str) -> Error,
    ) -> Result<Answer> {
        if call.api == Api::FeatureFlags {
            return Ok(answer);
        }
        Err(unknown(
            format!("{}'s tenant_info", self.site.name),
            "the API does not know the cloud its site names: check --api-url",
        ))
    }
}
