//! Delivering request bodies to every configured site, and collecting what each
//! answered.
//!
//! Everything that can be checked without the network (sites, credentials) is checked
//! for every site before the first request, so a typo in the second site's variables
//! fails the step with exit 2 before the first site has received anything.

use reqwest::{Client, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::time::Instant;
use tracing::debug;

use crate::api::Api;
use crate::auth::{AccessToken, TokenCache, Tokens};
use crate::clock::Clock;
use crate::cloud_id;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::http::{self, Answer, exchange};
use crate::report::{PlannedRequest, SiteReport};
use crate::response::{self, Outcome};
use crate::settings::{Credentials, Settings, Site};

/// The requests a dry run would send: one report per site (or one without a site),
/// with the cloud id filled in where it is known without the network.
pub fn plan(settings: &Settings, env: &Env, api: Api, bodies: &[Value]) -> Vec<SiteReport> {
    let plan_for = |site: Option<&Site>| {
        let cloud_id = settings
            .configured_cloud_id(site, env)
            .or_else(|| cloud_id::cached(settings.cache_dir.as_deref(), site?));
        let url = api.url(
            settings.api_url.as_str(),
            cloud_id.as_deref().unwrap_or("{cloudId}"),
            "bulk",
        );
        let requests = bodies
            .iter()
            .map(|body| PlannedRequest {
                method: "POST",
                url: url.clone(),
                body: body.clone(),
            })
            .collect();
        SiteReport::planned(site.map(|s| s.name.clone()), cloud_id, requests)
    };
    if settings.sites.is_empty() {
        vec![plan_for(None)]
    } else {
        settings.sites.iter().map(|s| plan_for(Some(s))).collect()
    }
}

/// Sends `bodies` to every site. Fails only for problems found before the network
/// (no site, missing credentials); what happens at a site is in its report.
pub fn deliver(
    settings: &Settings,
    env: &Env,
    clock: &dyn Clock,
    api: Api,
    bodies: &[Value],
) -> Result<Vec<SiteReport>> {
    if settings.sites.is_empty() {
        return Err(Error::usage(
            "no Jira site: pass --site acme.atlassian.net or set JIRA_SITE (or use --dry-run)",
        ));
    }
    let credentials = settings
        .sites
        .iter()
        .map(|site| settings.credentials(site, env))
        .collect::<Result<Vec<_>>>()?;
    let client = http::client()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::usage(format!("cannot start the async runtime: {e}")))?;
    let deadline = Instant::now() + settings.timeout;
    let reports = runtime.block_on(async {
        let mut reports = Vec::new();
        for (site, credentials) in settings.sites.iter().zip(&credentials) {
            let target = Target {
                client: &client,
                settings,
                env,
                clock,
                site,
                credentials,
                deadline,
            };
            reports.push(target.send(api, bodies).await);
        }
        reports
    });
    Ok(reports)
}

/// One site, and what is needed to talk to it.
struct Target<'a> {
    client: &'a Client,
    settings: &'a Settings,
    env: &'a Env,
    clock: &'a dyn Clock,
    site: &'a Site,
    credentials: &'a Credentials,
    deadline: Instant,
}

impl Target<'_> {
    async fn send(&self, api: Api, bodies: &[Value]) -> SiteReport {
        let mut cloud_id = self.settings.configured_cloud_id(Some(self.site), self.env);
        let mut outcome = Outcome::default();
        let mut answered = 0;
        let work = async {
            let id = match &cloud_id {
                Some(id) => id.clone(),
                None => {
                    let id =
                        cloud_id::look_up(self.client, self.settings.cache_dir.as_deref(), self.site).await?;
                    cloud_id = Some(id.clone());
                    id
                }
            };
            let tokens = Tokens {
                client: self.client,
                token_url: &self.settings.token_url,
                credentials: self.credentials,
                cache: self.settings.cache_dir.as_deref().map(|dir| {
                    TokenCache::new(dir, self.settings.token_url.as_str(), &self.credentials.client_id)
                }),
                clock: self.clock,
                deadline: self.deadline,
            };
            let url = api.url(self.settings.api_url.as_str(), &id, "bulk");
            let mut token = tokens.get().await?;
            for body in bodies {
                let answer = self.post(&tokens, &mut token, &url, body).await?;
                answered += 1;
                outcome.merge(interpret(api, body, &answer)?);
            }
            Ok(())
        };
        let result = match tokio::time::timeout_at(self.deadline, work).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout(self.settings.timeout)),
        };
        SiteReport::sent(
            Some(self.site.name.clone()),
            cloud_id,
            answered,
            outcome,
            result.err().as_ref(),
        )
    }

    /// POSTs `body`; on a 401, renews the token once and POSTs again.
    async fn post(
        &self,
        tokens: &Tokens<'_>,
        token: &mut AccessToken,
        url: &str,
        body: &Value,
    ) -> Result<Answer> {
        let answer = self.post_once(token, url, body).await?;
        if answer.status != StatusCode::UNAUTHORIZED {
            return Ok(answer);
        }
        debug!("401 from {url}: renewing the access token once");
        *token = tokens.renew(token).await?;
        let answer = self.post_once(token, url, body).await?;
        if answer.status == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized {
                detail: answer.detail(),
            });
        }
        Ok(answer)
    }

    async fn post_once(&self, token: &AccessToken, url: &str, body: &Value) -> Result<Answer> {
        let request = self
            .client
            .post(url)
            .bearer_auth(token.secret().expose_secret())
            .json(body);
        let answer = exchange(request, || format!("POST {url}")).await?;
        debug!("POST {url} → {}", answer.status);
        Ok(answer)
    }
}

/// What an answer means for the entities of `body`.
fn interpret(api: Api, body: &Value, answer: &Answer) -> Result<Outcome> {
    match answer.status {
        status if status.is_success() => {
            Ok(response::parse(api, answer.json.as_ref().unwrap_or(&Value::Null)))
        }
        StatusCode::FORBIDDEN => Err(Error::Forbidden {
            permission: api.permission(),
            detail: answer.detail(),
        }),
        StatusCode::TOO_MANY_REQUESTS => Err(Error::Unreachable {
            what: format!("the {api} request"),
            detail: format!("rate limited: {}", answer.detail()),
        }),
        status if status.is_server_error() => Err(Error::Unreachable {
            what: format!("the {api} request"),
            detail: answer.detail(),
        }),
        // Jira refused the request as a whole (400 malformed, 413 too large, …): every
        // entity in it is rejected, with Jira's words.
        _ => {
            let mut errors = answer.json.as_ref().map(http::messages).unwrap_or_default();
            if errors.is_empty() {
                errors.push(answer.detail());
            }
            Ok(response::reject_all(api, body, &errors))
        }
    }
}
