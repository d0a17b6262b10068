//! One site's conversation with Jira: its token and cloud id, obtained on the first
//! call and reused, the calls made in order, a 413 answered by splitting, a 404 for
//! the cloud answered by looking the cloud id up again, and what could not be
//! delivered saved to the outbox (or, when the outbox cannot be written, printed).

use std::collections::VecDeque;

use reqwest::{Client, Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::signal::Interrupt;
use crate::answer::{self, Answer, Outcome};
use crate::api::{Api, Call};
use crate::auth::{AccessToken, TokenCache, Tokens};
use crate::clock::Clock;
use crate::cloud_id;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::http::retry;
use crate::outbox::{Entry, Outbox};
use crate::report::{PlannedRequest, SiteReport};
use crate::settings::{Credentials, Settings, Site};

/// One site: its cloud id and access token, obtained on the first call and reused.
pub struct Session<'a> {
    client: &'a Client,
    settings: &'a Settings,
    clock: &'a dyn Clock,
    pub site: &'a Site,
    tokens: Tokens<'a>,
    cloud_id: Option<String>,
    /// Where the cloud id came from, which decides what a 404 for the cloud means.
    cloud_id_from: CloudIdFrom,
    token: Option<AccessToken>,
    deadline: Instant,
}

/// Where a session's cloud id came from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum CloudIdFrom {
    /// A flag or variable, named: the user's to fix.
    Setting(String),
    /// The cache or an outbox entry: possibly stale, so looked up again on a 404.
    Stored,
    /// The site's tenant_info, just now.
    Site,
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
            cache: settings.cache_dir.as_deref().map(|dir| {
                TokenCache::new(
                    dir,
                    settings.token_url.as_str(),
                    &credentials.client_id,
                    &credentials.secret,
                )
            }),
            policy: retry::Policy::new(settings, clock, deadline),
        };
        let cloud_id = settings.configured_cloud_id(Some(site), env);
        let cloud_id_from = settings
            .cloud_id_setting(Some(site), env)
            .map_or(CloudIdFrom::Site, CloudIdFrom::Setting);
        Self {
            client,
            settings,
            clock,
            site,
            tokens,
            cloud_id,
            cloud_id_from,
            token: None,
            deadline,
        }
    }

    /// The cloud id, once known.
    pub fn known_cloud_id(&self) -> Option<String> {
        self.cloud_id.clone()
    }

    /// Makes `calls` in order until one cannot be delivered, or a signal arrives (the
    /// call in flight is then abandoned). A request Jira finds too large (413) is split
    /// in halves, each sent on its own.
    pub(super) async fn make(&mut self, calls: Vec<Call>, deadline: Instant, interrupt: &Interrupt) -> Made {
        let mut made = Made::default();
        let mut queue: VecDeque<Call> = calls.into();
        while let Some(call) = queue.pop_front() {
            let answered = tokio::select! {
                biased;
                signal = interrupt.wait() => {
                    return made.failed(Error::Interrupted(signal.name()), call, queue);
                }
                answered = tokio::time::timeout_at(deadline, self.call(&call)) => answered,
            };
            let answer = match answered {
                Ok(Ok(answer)) => answer,
                Ok(Err(error)) => return made.failed(error, call, queue),
                Err(_) => return made.failed(Error::Timeout(self.settings.timeout), call, queue),
            };
            if answer.status == StatusCode::PAYLOAD_TOO_LARGE
                && let Some((first, second)) = split(&call)
            {
                debug!("413 from Jira: sending the request in two halves");
                queue.push_front(second);
                queue.push_front(first);
                continue;
            }
            made.answered += 1;
            match answer::interpret(&call, &answer) {
                Ok(outcome) => made.outcome.merge(outcome),
                Err(error) => return made.failed(error, call, queue),
            }
        }
        made
    }

    /// Delivers the outbox files of this site, oldest first, until one fails; a failed
    /// file keeps the requests it still holds.
    pub(super) async fn flush(&mut self, outbox: &Outbox, deadline: Instant, interrupt: &Interrupt) -> Made {
        let mut made = Made::default();
        for path in outbox.pending(Some(&self.site.name)) {
            let Some(claimed) = outbox.claim(&path) else {
                continue;
            };
            if claimed.entry.site != self.site.name {
                continue;
            }
            if self.cloud_id.is_none() {
                self.cloud_id = claimed
                    .entry
                    .cloud_id
                    .clone()
                    .filter(|id| crate::api::is_cloud_id(id));
                self.cloud_id_from = CloudIdFrom::Stored;
            }
            let calls = claimed.entry.requests.clone();
            info!(
                "delivering {} from {}",
                crate::plural::count(calls.len(), "queued request", "queued requests"),
                path.display()
            );
            let mut result = self.make(calls, deadline, interrupt).await;
            let failed = result.error.is_some();
            if failed {
                claimed.keep(
                    std::mem::take(&mut result.unsent),
                    last_error(result.error.as_ref()),
                );
            } else {
                claimed.delivered(&result.outcome.rejected);
            }
            made = made.and(result);
            if failed {
                break;
            }
        }
        made
    }

    /// The site's report. What a delivery failure left unsent is saved to `outbox`;
    /// when it cannot be (no outbox, or it cannot be written), the report carries the
    /// requests themselves and why they could not be saved.
    pub(super) fn report(&self, made: Made, outbox: Option<&Outbox>) -> SiteReport {
        let undelivered = made.error.as_ref().is_some_and(|e| e.exit() == Exit::Delivery);
        let mut report = SiteReport::sent(
            Some(self.site.name.clone()),
            self.known_cloud_id(),
            made.answered,
            made.outcome,
            made.error.as_ref(),
        );
        if undelivered && !made.unsent.is_empty() {
            let saved = match outbox {
                Some(outbox) => self.save(outbox, &made.unsent, made.error.as_ref()),
                None => Err("no outbox directory: set --outbox-dir or --cache-dir".into()),
            };
            match saved {
                Ok(path) => report.outbox = Some(path),
                Err(why) => {
                    report.outbox_error = Some(why);
                    report.undelivered = Some(
                        made.unsent
                            .iter()
                            .map(|call| PlannedRequest {
                                method: call.method.to_string(),
                                url: call.url(self.settings.api_url.as_str(), self.cloud_id.as_deref()),
                                body: call.body.clone(),
                            })
                            .collect(),
                    );
                }
            }
        }
        report
    }

    fn save(&self, outbox: &Outbox, unsent: &[Call], error: Option<&Error>) -> Result<String, String> {
        let entry = Entry {
            version: crate::outbox::VERSION,
            created_at: self.clock.now(),
            site: self.site.name.clone(),
            site_url: self.site.url.to_string(),
            cloud_id: self.cloud_id.clone(),
            requests: unsent.to_vec(),
            last_error: last_error(error),
            rejections: Vec::new(),
        };
        match outbox.save(&entry) {
            Ok(path) => {
                warn!(
                    "{}: saved the undelivered report to {}; `jira-send flush` sends it later",
                    self.site.name,
                    path.display()
                );
                Ok(path.display().to_string())
            }
            Err(e) => Err(format!("cannot write the outbox {}: {e}", outbox.dir().display())),
        }
    }

    /// The site's cloud id: configured, cached, or looked up now.
    pub async fn cloud_id(&mut self) -> Result<String> {
        if let Some(id) = &self.cloud_id {
            return Ok(id.clone());
        }
        let cache_dir = self.settings.cache_dir.as_deref();
        if let Some(id) = cloud_id::cached(cache_dir, self.site) {
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
            self.settings.site_setting,
        )
        .await?;
        self.cloud_id_from = CloudIdFrom::Site;
        self.cloud_id = Some(id.clone());
        Ok(id)
    }

    /// A newly issued access token, whatever the cache holds (`doctor`).
    pub async fn fresh_token(&mut self) -> Result<()> {
        self.token = Some(self.tokens.fresh().await?);
        Ok(())
    }

    /// Makes `call`; on a 401, renews the token once and makes it again. A 404 for
    /// the cloud (not for one entity) means the cloud id is wrong: a stored one is
    /// dropped, looked up again once, and the call made again; a configured one is the
    /// user's to fix.
    pub async fn call(&mut self, call: &Call) -> Result<Answer> {
        let answer = self.call_once(call).await?;
        if answer.status != StatusCode::NOT_FOUND || !call.is_cloud_wide() {
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
                cloud_id::forget(self.settings.cache_dir.as_deref(), self.site);
                let fresh = self.look_up_cloud_id().await?;
                if fresh == stale {
                    return self.not_found_at_site(call, answer, unknown);
                }
                let again = self.call_once(call).await?;
                if again.status == StatusCode::NOT_FOUND {
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

    /// Makes `call` once (a 401 renews the token and makes it again).
    async fn call_once(&mut self, call: &Call) -> Result<Answer> {
        let cloud_id = self.cloud_id().await?;
        let url = call.url(self.settings.api_url.as_str(), Some(&cloud_id));
        let token = match self.token.take() {
            Some(token) => token,
            None => self.tokens.get().await?,
        };
        let answer = self.send(call, &url, &token).await?;
        if answer::token_refused(&answer).is_none() {
            self.token = Some(token);
            return Ok(answer);
        }
        debug!("401 from {url}: renewing the access token once");
        let token = self.tokens.renew(&token).await?;
        let answer = self.send(call, &url, &token).await?;
        self.token = Some(token);
        match answer::token_refused(&answer) {
            Some(error) => Err(error),
            None => Ok(answer),
        }
    }

    /// One request, with the retries of [`retry::Policy`].
    async fn send(&self, call: &Call, url: &str, token: &AccessToken) -> Result<Answer> {
        let what = format!("{} {url}", call.method);
        debug!("{what} (Authorization: Bearer ****)");
        let unusable = |answer: &Answer| answer::unusable(call, answer);
        retry::Policy::new(self.settings, self.clock, self.deadline)
            .send(&what, answer::limit::of(call), &unusable, || {
                let request = self
                    .client
                    .request(call.method.clone(), url)
                    .bearer_auth(token.secret().expose_secret());
                match &call.body {
                    Some(body) => request.json(body),
                    None => request,
                }
            })
            .await
    }
}

/// `error` as the outbox keeps it: secrets masked (a server may echo them), at most
/// 500 characters.
fn last_error(error: Option<&Error>) -> Option<String> {
    error.map(|e| crate::mask::cap(&e.to_string(), 500))
}

/// What a series of calls at one site came to.
#[derive(Debug, Default)]
pub(super) struct Made {
    pub answered: usize,
    pub outcome: Outcome,
    /// Why the calls stopped, if they did.
    pub error: Option<Error>,
    /// The call that failed and those after it.
    pub unsent: Vec<Call>,
}

impl Made {
    fn failed(mut self, error: Error, call: Call, rest: VecDeque<Call>) -> Self {
        self.error = Some(error);
        self.unsent = std::iter::once(call).chain(rest).collect();
        self
    }

    /// This, then `next`.
    pub fn and(mut self, next: Self) -> Self {
        self.answered += next.answered;
        self.outcome.merge(next.outcome);
        self.error = self.error.or(next.error);
        self.unsent.extend(next.unsent);
        self
    }
}

/// A bulk request in two halves, each complete on its own; `None` for a single entity.
fn split(call: &Call) -> Option<(Call, Call)> {
    if call.method != Method::POST {
        return None;
    }
    let body = call.body.as_ref()?;
    let key = call.api.entities_key();
    let entities = body.get(key)?.as_array()?;
    let (first, second) = if entities.len() > 1 {
        let (a, b) = entities.split_at(entities.len() / 2);
        let with = |part: &[Value]| {
            let mut half = body.clone();
            half[key] = Value::Array(part.to_vec());
            half
        };
        (with(a), with(b))
    } else if call.api == Api::Devinfo {
        // One repository: split its commits; the branch and pull request travel once.
        let commits = entities.first()?.get("commits")?.as_array()?;
        if commits.len() < 2 {
            return None;
        }
        let (a, b) = commits.split_at(commits.len() / 2);
        let with = |part: &[Value], keep_others: bool| {
            let mut half = body.clone();
            let repository = &mut half[key][0];
            repository["commits"] = Value::Array(part.to_vec());
            if !keep_others && let Some(fields) = repository.as_object_mut() {
                fields.remove("branches");
                fields.remove("pullRequests");
            }
            half
        };
        (with(a, true), with(b, false))
    } else {
        return None;
    };
    let call_with = |body: Value| Call {
        body: Some(body),
        ..call.clone()
    };
    Some((call_with(first), call_with(second)))
}
