//! Talking to every configured site: the calls a command makes, and what each site
//! answered.
//!
//! Everything that can be checked without the network (sites, credentials) is checked
//! for every site before the first request, so a typo in the second site's variables
//! fails the step with exit 2 before the first site has received anything.

use std::collections::VecDeque;
use std::future::Future;

use reqwest::{Client, Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::api::Api;
use crate::auth::{AccessToken, TokenCache, Tokens};
use crate::clock::Clock;
use crate::cloud_id;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::http::{self, Answer};
use crate::outbox::{Entry, Outbox, SavedCall};
use crate::report::{PlannedRequest, SiteReport};
use crate::response::{self, Outcome, Rejection};
use crate::retry;
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
pub fn plan(settings: &Settings, env: &Env, calls: Vec<Call>) -> Vec<SiteReport> {
    let sites: Vec<Option<&Site>> = if settings.sites.is_empty() {
        vec![None]
    } else {
        settings.sites.iter().map(Some).collect()
    };
    let last = sites.len() - 1;
    // The last site takes the bodies, the others copies: a dry run of one site, the
    // usual case, copies nothing however large its payload.
    let mut calls = Some(calls);
    sites
        .into_iter()
        .enumerate()
        .map(|(index, site)| {
            let cloud_id = settings
                .configured_cloud_id(site, env)
                .or_else(|| cloud_id::cached(settings.cache_dir.as_deref(), site?));
            let calls = if index == last {
                calls.take()
            } else {
                calls.clone()
            };
            let requests = calls
                .unwrap_or_default()
                .into_iter()
                .map(|call| PlannedRequest {
                    method: call.method.to_string(),
                    url: call.url(settings, cloud_id.as_deref().unwrap_or("{cloudId}")),
                    body: call.body,
                })
                .collect();
            SiteReport::planned(site.map(|s| s.name.clone()), cloud_id, requests)
        })
        .collect()
}

/// Makes `calls` at every site, in order, after delivering what the outbox holds for
/// the site (unless `--no-flush`). What cannot be delivered is saved to the outbox.
/// Fails only for problems found before the network (no site, missing credentials);
/// what happens at a site is in its report.
pub fn deliver(settings: &Settings, env: &Env, clock: &dyn Clock, calls: &[Call]) -> Result<Vec<SiteReport>> {
    let sites = prepare(settings, env)?;
    let client = http::client(settings)?;
    let deadline = Instant::now() + settings.timeout;
    let outbox = settings.outbox_dir.as_deref().map(Outbox::new);
    run_async(async {
        let mut reports = Vec::new();
        for (site, credentials) in &sites {
            let mut session = Session::new(&client, settings, env, clock, site, credentials, deadline);
            let mut earlier = Made::default();
            if let (Some(outbox), false) = (&outbox, settings.no_flush) {
                // Older reports first, but bounded: a site that is still down must not
                // eat the time this run's own report needs.
                let bound = deadline.saturating_duration_since(Instant::now()) / 3;
                earlier = session.flush(outbox, Instant::now() + bound).await;
                // A failed flush keeps its own file; it is not this run's to save.
                earlier.unsent.clear();
                if earlier.error.take().is_some() {
                    warn!(
                        "{}: the queued reports are still undeliverable; they stay queued",
                        site.name
                    );
                }
            }
            let made = session.make(calls.to_vec(), deadline).await;
            reports.push(session.report(earlier.and(made), outbox.as_ref()));
        }
        reports
    })
}

/// Delivers everything queued in the outbox, oldest first, one report per site.
pub fn flush(settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Vec<SiteReport>> {
    let dir = settings
        .outbox_dir
        .as_deref()
        .ok_or_else(|| Error::usage("no outbox directory: set --outbox-dir or --cache-dir"))?;
    let outbox = Outbox::new(dir);
    // The sites with queued reports, from the files themselves.
    let mut sites: Vec<Site> = Vec::new();
    for path in outbox.pending(None) {
        let entry = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Entry>(&b).ok());
        let Some(entry) = entry else {
            // Claiming an unreadable file moves it aside, with a warning.
            let _ = outbox.claim(&path);
            continue;
        };
        match crate::settings::parse_site(&entry.site_url) {
            Ok(site) if !sites.contains(&site) => sites.push(site),
            Ok(_) => {}
            Err(e) => warn!("{}: {e}", path.display()),
        }
    }
    if sites.is_empty() {
        return Ok(Vec::new());
    }
    let client = http::client(settings)?;
    let deadline = Instant::now() + settings.timeout;
    run_async(async {
        let mut reports = Vec::new();
        for site in &sites {
            let credentials = match settings.credentials(site, env) {
                Ok(credentials) => credentials,
                Err(error) => {
                    let mut report =
                        SiteReport::sent(Some(site.name.clone()), None, 0, Outcome::default(), Some(&error));
                    report.outbox = Some(outbox.dir().display().to_string());
                    reports.push(report);
                    continue;
                }
            };
            let mut session = Session::new(&client, settings, env, clock, site, &credentials, deadline);
            let mut made = session.flush(&outbox, deadline).await;
            // A file that fails keeps its remaining requests itself.
            made.unsent.clear();
            let mut report = session.report(made, None);
            if report.error.is_some() {
                report.outbox = Some(outbox.dir().display().to_string());
            }
            reports.push(report);
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
    async fn make(&mut self, calls: Vec<Call>, deadline: Instant) -> Made {
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
    async fn flush(&mut self, outbox: &Outbox, deadline: Instant) -> Made {
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
                claimed.keep(result.unsent.iter().map(SavedCall::from).collect());
            } else {
                claimed.delivered();
            }
            made = made.and(result);
            if failed {
                break;
            }
        }
        made
    }

    /// The site's report. What a delivery failure left unsent is saved to `outbox`.
    fn report(&self, made: Made, outbox: Option<&Outbox>) -> SiteReport {
        let undelivered = made.error.as_ref().is_some_and(|e| e.exit() == Exit::Delivery);
        let saved = match outbox {
            Some(outbox) if undelivered && !made.unsent.is_empty() => self.save(outbox, &made.unsent),
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

    fn save(&self, outbox: &Outbox, unsent: &[Call]) -> Option<String> {
        let entry = Entry {
            version: 1,
            created_at: self.clock.now(),
            site: self.site.name.clone(),
            site_url: self.site.url.to_string(),
            cloud_id: self.cloud_id.clone(),
            requests: unsent.iter().map(SavedCall::from).collect(),
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
fn interpret_bulk(call: &Call, answer: &Answer) -> Result<Outcome> {
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

/// What a series of calls at one site came to.
#[derive(Debug, Default)]
struct Made {
    answered: usize,
    outcome: Outcome,
    /// Why the calls stopped, if they did.
    error: Option<Error>,
    /// The call that failed and those after it.
    unsent: Vec<Call>,
}

impl Made {
    fn failed(mut self, error: Error, call: Call, rest: VecDeque<Call>) -> Self {
        self.error = Some(error);
        self.unsent = std::iter::once(call).chain(rest).collect();
        self
    }

    /// This, then `next`.
    fn and(mut self, next: Self) -> Self {
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

/// What an answer means for the call: a submission's or a deletion's verdict.
pub fn interpret(call: &Call, answer: &Answer) -> Result<Outcome> {
    if call.method == Method::POST {
        interpret_bulk(call, answer)
    } else {
        interpret_delete(call, answer)
    }
}

/// 202: the deletion was accepted. A 4xx other than the shared ones: Jira refused it,
/// with its words.
fn interpret_delete(call: &Call, answer: &Answer) -> Result<Outcome> {
    let subject = call.subject.clone().unwrap_or(Value::Null);
    if answer.status.is_success() {
        return Ok(Outcome {
            accepted: vec![subject],
            ..Outcome::default()
        });
    }
    if let Some(error) = common_error(call.api, answer) {
        return Err(error);
    }
    Ok(Outcome {
        rejected: vec![Rejection {
            key: subject,
            errors: answer.messages(),
        }],
        ..Outcome::default()
    })
}
