//! One site's conversation with Jira: its token and cloud id, obtained on the first
//! call and reused, the calls made in order, a 413 answered by splitting, and what
//! could not be delivered saved to the outbox.

use std::collections::VecDeque;

use reqwest::{Client, Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::{Call, interpret};
use crate::api::Api;
use crate::auth::{AccessToken, TokenCache, Tokens};
use crate::clock::Clock;
use crate::cloud_id;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::http::Answer;
use crate::outbox::{Entry, Outbox, SavedCall};
use crate::report::SiteReport;
use crate::response::Outcome;
use crate::retry;
use crate::settings::{Credentials, Settings, Site};

/// One site: its cloud id and access token, obtained on the first call and reused.
pub struct Session<'a> {
    client: &'a Client,
    settings: &'a Settings,
    clock: &'a dyn Clock,
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
            policy: retry::Policy::new(settings, clock, deadline),
        };
        let cloud_id = settings.configured_cloud_id(Some(site), env);
        Self {
            client,
            settings,
            clock,
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

    /// Makes `calls` in order until one cannot be delivered. A request Jira finds too
    /// large (413) is split in halves, each sent on its own.
    pub(super) async fn make(&mut self, calls: Vec<Call>, deadline: Instant) -> Made {
        let mut made = Made::default();
        let mut queue: VecDeque<Call> = calls.into();
        while let Some(call) = queue.pop_front() {
            let answer = match tokio::time::timeout_at(deadline, self.call(&call)).await {
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
            match interpret(&call, &answer) {
                Ok(outcome) => made.outcome.merge(outcome),
                Err(error) => return made.failed(error, call, queue),
            }
        }
        made
    }

    /// Delivers the outbox files of this site, oldest first, until one fails; a failed
    /// file keeps the requests it still holds.
    pub(super) async fn flush(&mut self, outbox: &Outbox, deadline: Instant) -> Made {
        let mut made = Made::default();
        for path in outbox.pending(Some(&self.site.name)) {
            let Some(claimed) = outbox.claim(&path) else {
                continue;
            };
            if claimed.entry.site != self.site.name {
                continue;
            }
            if self.cloud_id.is_none() {
                self.cloud_id.clone_from(&claimed.entry.cloud_id);
            }
            let calls: Vec<Call> = claimed
                .entry
                .requests
                .iter()
                .filter_map(SavedCall::to_call)
                .collect();
            info!(
                "delivering {} queued request(s) from {}",
                calls.len(),
                path.display()
            );
            let result = self.make(calls, deadline).await;
            let failed = result.error.is_some();
            if failed {
                claimed.keep(
                    result.unsent.iter().map(SavedCall::from).collect(),
                    self.last_error(result.error.as_ref()),
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

    /// The site's report. What a delivery failure left unsent is saved to `outbox`.
    pub(super) fn report(&self, made: Made, outbox: Option<&Outbox>) -> SiteReport {
        let undelivered = made.error.as_ref().is_some_and(|e| e.exit() == Exit::Delivery);
        let saved = match outbox {
            Some(outbox) if undelivered && !made.unsent.is_empty() => {
                self.save(outbox, &made.unsent, made.error.as_ref())
            }
            _ => None,
        };
        let mut report = SiteReport::sent(
            Some(self.site.name.clone()),
            self.known_cloud_id(),
            made.answered,
            made.outcome,
            made.error.as_ref(),
        );
        report.outbox = saved;
        report
    }

    fn save(&self, outbox: &Outbox, unsent: &[Call], error: Option<&Error>) -> Option<String> {
        let entry = Entry {
            version: crate::outbox::VERSION,
            created_at: self.clock.now(),
            site: self.site.name.clone(),
            site_url: self.site.url.to_string(),
            cloud_id: self.cloud_id.clone(),
            requests: unsent.iter().map(SavedCall::from).collect(),
            last_error: self.last_error(error),
            rejections: Vec::new(),
        };
        match outbox.save(&entry) {
            Ok(path) => {
                warn!(
                    "{}: saved the undelivered report to {}; `jira-send flush` sends it later",
                    self.site.name,
                    path.display()
                );
                Some(path.display().to_string())
            }
            Err(e) => {
                warn!(
                    "{}: cannot save the undelivered report to the outbox: {e}",
                    self.site.name
                );
                None
            }
        }
    }

    /// `error` as the outbox keeps it: this site's secret and access token masked (a
    /// server may echo them), at most 500 characters.
    fn last_error(&self, error: Option<&Error>) -> Option<String> {
        let mut text = error?.to_string();
        let secrets = [
            Some(self.tokens.credentials.secret.expose_secret()),
            self.token.as_ref().map(|t| t.secret().expose_secret()),
        ];
        for secret in secrets.into_iter().flatten().filter(|s| !s.is_empty()) {
            text = text.replace(secret, "****");
        }
        Some(crate::text::clean(&text, 500))
    }

    /// The site's cloud id: configured, cached, or looked up now.
    pub async fn cloud_id(&mut self) -> Result<String> {
        if let Some(id) = &self.cloud_id {
            return Ok(id.clone());
        }
        let policy = retry::Policy::new(self.settings, self.clock, self.deadline);
        let id = cloud_id::look_up(
            self.client,
            &policy,
            self.settings.cache_dir.as_deref(),
            self.site,
        )
        .await?;
        self.cloud_id = Some(id.clone());
        Ok(id)
    }

    /// A newly issued access token, whatever the cache holds (`doctor`).
    pub async fn fresh_token(&mut self) -> Result<()> {
        self.token = Some(self.tokens.fresh().await?);
        Ok(())
    }

    /// Makes `call`; on a 401, renews the token once and makes it again.
    pub async fn call(&mut self, call: &Call) -> Result<Answer> {
        let cloud_id = self.cloud_id().await?;
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

    /// One request, with the retries of [`retry::Policy`].
    async fn send(&self, call: &Call, url: &str, token: &AccessToken) -> Result<Answer> {
        let what = format!("{} {url}", call.method);
        debug!("{what} (Authorization: Bearer ****)");
        retry::Policy::new(self.settings, self.clock, self.deadline)
            .send(&what, || {
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
