//! One site's conversation with Jira: its token and cloud id, obtained on the first
//! call and reused ([`super::cloud`]), the calls made in order, a 413 answered by
//! splitting ([`super::split`]), and what could not be delivered saved to the outbox
//! (or, when the outbox cannot be written, handed to the report to print).

use std::collections::VecDeque;

use reqwest::Client;
use secrecy::ExposeSecret;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::cloud::CloudIdFrom;
use super::signal::Interrupt;
use super::split::split;
use super::{SiteOutcome, Unsaved};
use crate::answer::{self, Answer, Outcome};
use crate::api::Call;
use crate::auth::{AccessToken, TokenCache, Tokens};
use crate::clock::{self, Clock};
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::fs;
use crate::http::retry;
use crate::outbox::{Entry, Outbox};
use crate::settings::{Credentials, Settings, Site};

/// One site: its cloud id and access token, obtained on the first call and reused.
pub struct Session<'a> {
    pub(super) client: &'a Client,
    pub(super) settings: &'a Settings,
    pub(super) clock: &'a dyn Clock,
    pub site: &'a Site,
    tokens: Tokens<'a>,
    pub(super) cloud_id: Option<String>,
    /// Where the cloud id came from, which decides what a 404 for the cloud means.
    pub(super) cloud_id_from: CloudIdFrom,
    token: Option<AccessToken>,
    pub(super) deadline: Instant,
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
            // Reading the last answer took time too: a signal that came meanwhile is
            // seen first (`biased`), and no request starts past the deadline.
            if clock::passed(deadline) {
                return made.failed(Error::Timeout(self.settings.timeout), call, queue);
            }
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
            if answer::too_large(&answer)
                && let Some((first, second)) = split(&call)
            {
                debug!("413 from Jira: sending the request in two halves");
                queue.push_front(second);
                queue.push_front(first);
                continue;
            }
            // Answered means Jira took the request and said what became of it: a call
            // that failed (an outage the retries outlasted, refused credentials) stays
            // unsent, and is counted there only.
            match answer::interpret(&call, &answer) {
                Ok(outcome) => {
                    made.answered += 1;
                    made.outcome.merge(outcome);
                }
                Err(error) => return made.failed(error, call, queue),
            }
        }
        made
    }

    /// Delivers the outbox files of this site, oldest first, until one fails; a failed
    /// file keeps the requests it still holds (none are left in what this returns).
    /// The files are read and written off the runtime's thread.
    pub(super) async fn flush(&mut self, outbox: &Outbox, deadline: Instant, interrupt: &Interrupt) -> Made {
        let mut made = Made::default();
        let pending = {
            let (outbox, site) = (outbox.clone(), self.site.name.clone());
            fs::off_runtime(move || outbox.pending(Some(&site))).await
        };
        for path in pending {
            let claimed = {
                let (outbox, path) = (outbox.clone(), path.clone());
                fs::off_runtime(move || outbox.claim(&path)).await
            };
            let Some(claimed) = claimed else {
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
                let (remaining, why) = (
                    std::mem::take(&mut result.unsent),
                    last_error(result.error.as_ref()),
                );
                fs::off_runtime(move || claimed.keep(remaining, why)).await;
            } else {
                let rejected = result.outcome.rejected.clone();
                fs::off_runtime(move || claimed.delivered(&rejected)).await;
            }
            made = made.and(result);
            if failed {
                break;
            }
        }
        made
    }

    /// What the site came to. What a delivery failure left unsent is saved to
    /// `outbox`; when it cannot be (no outbox, or it cannot be written), the outcome
    /// carries the requests themselves and why they could not be saved.
    pub(super) async fn finish(&self, made: Made, outbox: Option<&Outbox>) -> SiteOutcome {
        let unanswered = made.unsent.len();
        let undelivered = made.error.as_ref().is_some_and(|e| e.exit() == Exit::Delivery);
        let mut saved_to = None;
        let mut unsaved = None;
        if undelivered && !made.unsent.is_empty() {
            let saved = match outbox {
                Some(outbox) => self.save(outbox, &made.unsent, made.error.as_ref()).await,
                None => Err("no outbox directory: set --outbox-dir or --cache-dir".into()),
            };
            match saved {
                Ok(path) => saved_to = Some(path),
                Err(why) => {
                    let api_url = self.settings.api_url.as_str();
                    unsaved = Some(Unsaved {
                        why,
                        requests: made
                            .unsent
                            .into_iter()
                            .map(|call| call.into_request(api_url, self.cloud_id.as_deref()))
                            .collect(),
                    });
                }
            }
        }
        SiteOutcome {
            site: self.site.name.clone(),
            cloud_id: self.known_cloud_id(),
            answered: made.answered,
            unanswered,
            outcome: made.outcome,
            from_outbox: None,
            error: made.error,
            outbox: saved_to,
            unsaved,
        }
    }

    /// Saves `unsent` to a new file of `outbox`, off the runtime's thread.
    async fn save(&self, outbox: &Outbox, unsent: &[Call], error: Option<&Error>) -> Result<String, String> {
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
        let saving = outbox.clone();
        match fs::off_runtime(move || saving.save(&entry)).await {
            Ok(paths) => {
                let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                warn!(
                    "{}: saved the undelivered report to {}; `jira-send flush` sends it later",
                    self.site.name,
                    files.join(", ")
                );
                // The first file: the others follow it in the queue.
                Ok(files.into_iter().next().unwrap_or_default())
            }
            Err(e) => Err(format!("cannot write the outbox {}: {e}", outbox.dir().display())),
        }
    }

    /// A newly issued access token, whatever the cache holds (`doctor`).
    pub async fn fresh_token(&mut self) -> Result<()> {
        self.token = Some(self.tokens.fresh().await?);
        Ok(())
    }

    /// Makes `call` once (a 401 renews the token and makes it again).
    pub(super) async fn call_once(&mut self, call: &Call) -> Result<Answer> {
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
