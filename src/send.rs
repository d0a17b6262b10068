//! Talking to every configured site: the calls a command makes, and what each site
//! answered.
//!
//! Everything that can be checked without the network (sites, credentials) is checked
//! for every site before the first request, so a typo in the second site's variables
//! fails the step with exit 2 before the first site has received anything.

use std::future::Future;

use reqwest::{Client, Method, StatusCode};
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

/// One request to one of the APIs, the same for every site but for the cloud id.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: Method,
    pub api: Api,
    /// The path after `…/cloud/{cloudId}/`, segments already percent-encoded, query
    /// included: `bulk`, `pipelines/p/builds/7`.
    pub operation: String,
    pub body: Option<Value>,
    /// What the call is about, for reports: the key of the entity deleted or asked
    /// about.
    pub subject: Option<Value>,
}

impl Call {
    /// `POST …/bulk` with `body`.
    pub fn bulk(api: Api, body: Value) -> Self {
        Self {
            method: Method::POST,
            api,
            operation: "bulk".into(),
            body: Some(body),
            subject: None,
        }
    }

    pub fn url(&self, settings: &Settings, cloud_id: &str) -> String {
        self.api.url(settings.api_url.as_str(), cloud_id, &self.operation)
    }
}

/// A path segment, percent-encoded: ids may hold `/`, spaces, `#`.
pub fn segment(text: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

/// The requests a dry run would send: one report per site (or one without a site),
/// with the cloud id filled in where it is known without the network.
pub fn plan(settings: &Settings, env: &Env, calls: &[Call]) -> Vec<SiteReport> {
    let plan_for = |site: Option<&Site>| {
        let cloud_id = settings
            .configured_cloud_id(site, env)
            .or_else(|| cloud_id::cached(settings.cache_dir.as_deref(), site?));
        let requests = calls
            .iter()
            .map(|call| PlannedRequest {
                method: call.method.to_string(),
                url: call.url(settings, cloud_id.as_deref().unwrap_or("{cloudId}")),
                body: call.body.clone(),
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

/// What an answer means: the entities accepted and rejected, or an error.
pub type Interpret = fn(&Call, &Answer) -> Result<Outcome>;

/// Makes `calls` at every site, in order, and reads each answer with `interpret`.
/// Fails only for problems found before the network (no site, missing credentials);
/// what happens at a site is in its report.
pub fn deliver(
    settings: &Settings,
    env: &Env,
    clock: &dyn Clock,
    calls: &[Call],
    interpret: Interpret,
) -> Result<Vec<SiteReport>> {
    let sites = prepare(settings, env)?;
    let client = http::client()?;
    let deadline = Instant::now() + settings.timeout;
    run_async(async {
        let mut reports = Vec::new();
        for (site, credentials) in &sites {
            let mut session = Session::new(&client, settings, env, clock, site, credentials, deadline);
            reports.push(session.make(calls, interpret).await);
        }
        reports
    })
}

/// The sites and their credentials, checked before any network call.
pub fn prepare<'s>(settings: &'s Settings, env: &Env) -> Result<Vec<(&'s Site, Credentials)>> {
    if settings.sites.is_empty() {
        return Err(Error::usage(
            "no Jira site: pass --site acme.atlassian.net or set JIRA_SITE (or use --dry-run)",
        ));
    }
    settings
        .sites
        .iter()
        .map(|site| Ok((site, settings.credentials(site, env)?)))
        .collect()
}

/// Runs `work` on a single-threaded runtime, started only now that a request will be
/// made: commands that never touch the network never pay for it.
pub fn run_async<T>(work: impl Future<Output = T>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::usage(format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(work))
}

/// One site: its cloud id and access token, obtained on the first call and reused.
pub struct Session<'a> {
    client: &'a Client,
    settings: &'a Settings,
    pub site: &'a Site,
    tokens: Tokens<'a>,
    cloud_id: Option<String>,
    token: Option<AccessToken>,
    deadline: Instant,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("site", &self.site.name)
            .finish_non_exhaustive()
    }
}

impl<'a> Session<'a> {
    pub fn new(
        client: &'a Client,
        settings: &'a Settings,
        env: &'a Env,
        clock: &'a dyn Clock,
        site: &'a Site,
        credentials: &'a Credentials,
        deadline: Instant,
    ) -> Self {
        let tokens = Tokens {
            client,
            token_url: &settings.token_url,
            credentials,
            cache: settings
                .cache_dir
                .as_deref()
                .map(|dir| TokenCache::new(dir, settings.token_url.as_str(), &credentials.client_id)),
            clock,
            deadline,
        };
        let cloud_id = settings.configured_cloud_id(Some(site), env);
        Self {
            client,
            settings,
            site,
            tokens,
            cloud_id,
            token: None,
            deadline,
        }
    }

    /// The cloud id, once known.
    pub fn known_cloud_id(&self) -> Option<String> {
        self.cloud_id.clone()
    }

    /// Makes every call and gathers the outcome into the site's report.
    async fn make(&mut self, calls: &[Call], interpret: Interpret) -> SiteReport {
        let mut outcome = Outcome::default();
        let mut answered = 0;
        let deadline = self.deadline;
        let result = tokio::time::timeout_at(deadline, async {
            for call in calls {
                let answer = self.call(call).await?;
                answered += 1;
                outcome.merge(interpret(call, &answer)?);
            }
            Ok(())
        })
        .await
        .unwrap_or(Err(Error::Timeout(self.settings.timeout)));
        SiteReport::sent(
            Some(self.site.name.clone()),
            self.known_cloud_id(),
            answered,
            outcome,
            result.err().as_ref(),
        )
    }

    /// Makes `call`; on a 401, renews the token once and makes it again.
    pub async fn call(&mut self, call: &Call) -> Result<Answer> {
        let cloud_id = match &self.cloud_id {
            Some(id) => id.clone(),
            None => {
                let id =
                    cloud_id::look_up(self.client, self.settings.cache_dir.as_deref(), self.site).await?;
                self.cloud_id = Some(id.clone());
                id
            }
        };
        let url = call.url(self.settings, &cloud_id);
        let token = match self.token.take() {
            Some(token) => token,
            None => self.tokens.get().await?,
        };
        let answer = self.send(call, &url, &token).await?;
        if answer.status != StatusCode::UNAUTHORIZED {
            self.token = Some(token);
            return Ok(answer);
        }
        debug!("401 from {url}: renewing the access token once");
        let token = self.tokens.renew(&token).await?;
        let answer = self.send(call, &url, &token).await?;
        self.token = Some(token);
        if answer.status == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized {
                detail: answer.detail(),
            });
        }
        Ok(answer)
    }

    async fn send(&self, call: &Call, url: &str, token: &AccessToken) -> Result<Answer> {
        let mut request = self
            .client
            .request(call.method.clone(), url)
            .bearer_auth(token.secret().expose_secret());
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let answer = exchange(request, || format!("{} {url}", call.method)).await?;
        debug!("{} {url} → {}", call.method, answer.status);
        Ok(answer)
    }
}

/// The errors every API shares: 403 (a missing permission), 429 and 5xx (delivery).
/// `None` means the status is the caller's to interpret.
pub fn common_error(api: Api, answer: &Answer) -> Option<Error> {
    match answer.status {
        StatusCode::FORBIDDEN => Some(Error::Forbidden {
            permission: api.permission(),
            detail: answer.detail(),
        }),
        StatusCode::TOO_MANY_REQUESTS => Some(Error::Unreachable {
            what: format!("the {api} request"),
            detail: format!("rate limited: {}", answer.detail()),
        }),
        status if status.is_server_error() => Some(Error::Unreachable {
            what: format!("the {api} request"),
            detail: answer.detail(),
        }),
        _ => None,
    }
}

/// What a bulk submission's answer means for the entities of its body.
pub fn interpret_bulk(call: &Call, answer: &Answer) -> Result<Outcome> {
    let body = call.body.as_ref().unwrap_or(&Value::Null);
    if answer.status.is_success() {
        return Ok(response::parse(
            call.api,
            answer.json.as_ref().unwrap_or(&Value::Null),
        ));
    }
    if call.api == Api::FeatureFlags && matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
    {
        return Err(Error::FlagsRefused {
            status: answer.status.as_u16(),
            detail: answer.detail(),
        });
    }
    if let Some(error) = common_error(call.api, answer) {
        return Err(error);
    }
    // Jira refused the request as a whole (400 malformed, 413 too large, …): every
    // entity in it is rejected, with Jira's words.
    Ok(response::reject_all(call.api, body, &answer.messages()))
}
