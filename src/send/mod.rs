//! Talking to every configured site: the calls a command makes, and what each site
//! answered.
//!
//! Everything that can be checked without the network (sites, credentials) is checked
//! for every site before the first request, so a typo in the second site's variables
//! fails the step with exit 2 before the first site has received anything.
//!
//! Sites are independent: each gets its own [`Session`] (token, cloud id, outbox
//! files), and they are served concurrently, so a slow or unreachable site costs the
//! others nothing. Within a site, requests go one after another, in order.
//!
//! While delivering, SIGTERM and SIGINT stop every site at once: what is undelivered
//! goes to the outbox, and the report says so ([`Signal`]).
//!
//! What each site came to is an outcome ([`SiteOutcome`], or in a dry run a
//! [`SitePlan`]); the report decides how it is shown and what exit code it makes.

mod cloud;
mod session;
mod signal;
mod split;

use std::future::Future;

use futures_util::future::join_all;
use tracing::warn;

use crate::answer::Outcome;
use crate::api::{Call, Request};
use crate::clock::{self, Clock};
use crate::cloud_id;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::http;
use crate::outbox::Outbox;
use crate::settings::{Credentials, Settings, Site};

use session::Made;
pub use session::Session;
pub use signal::{Interrupt, Signal, received as signal_received};

/// What delivering came to: what each site came to, and the signal that cut it short.
#[derive(Debug)]
pub struct Delivered {
    pub sites: Vec<SiteOutcome>,
    pub signal: Option<Signal>,
}

/// What the calls at one site came to.
#[derive(Debug)]
pub struct SiteOutcome {
    pub site: String,
    pub cloud_id: Option<String>,
    /// The requests Jira answered.
    pub answered: usize,
    /// The requests it did not answer: what was left when the calls stopped.
    pub unanswered: usize,
    pub outcome: Outcome,
    /// What the reports queued in the outbox came to, delivered before this run's own
    /// (`None` when there were none): kept apart, so that `outcome` is this run's.
    pub from_outbox: Option<FromOutbox>,
    /// Why the calls stopped, if they did.
    pub error: Option<Error>,
    /// Where what is undelivered waits: the outbox file it was saved to, or the outbox
    /// that still holds it.
    pub outbox: Option<String>,
    /// What could be neither delivered nor saved, and why it could not be saved.
    pub unsaved: Option<Unsaved>,
}

/// What delivering a site's queued reports came to, before a run's own.
#[derive(Debug)]
pub struct FromOutbox {
    /// The requests Jira answered.
    pub answered: usize,
    pub outcome: Outcome,
}

/// Requests that could be neither delivered nor saved: they go into the report, so that
/// nothing is lost.
#[derive(Debug)]
pub struct Unsaved {
    /// Why they could not be saved to the outbox.
    pub why: String,
    pub requests: Vec<Request>,
}

/// The requests a dry run would make at one site.
#[derive(Debug)]
pub struct SitePlan {
    /// `None` without a configured site.
    pub site: Option<String>,
    pub cloud_id: Option<String>,
    pub requests: Vec<Request>,
    /// The outbox file they come from (a dry-run flush).
    pub outbox: Option<String>,
}

/// The requests a dry run would send: one plan per site (or one without a site), with
/// the cloud id filled in where it is known without the network.
pub fn plan(settings: &Settings, env: &Env, calls: Vec<Call>) -> Vec<SitePlan> {
    let sites: Vec<Option<&Site>> = if settings.sites.is_empty() {
        vec![None]
    } else {
        settings.sites.iter().map(Some).collect()
    };
    // Copies for all but the last site, which takes the originals: a dry run of one
    // site, the usual case, copies nothing however large its payload.
    let copies = std::iter::repeat_n(calls, sites.len());
    sites
        .into_iter()
        .zip(copies)
        .map(|(site, calls)| {
            let cloud_id = settings
                .configured_cloud_id(site, env)
                .or_else(|| cloud_id::cached(settings.cache_dir.as_deref(), site?));
            let requests = calls
                .into_iter()
                .map(|call| call.into_request(settings.api_url.as_str(), cloud_id.as_deref()))
                .collect();
            SitePlan {
                site: site.map(|s| s.name.clone()),
                cloud_id,
                requests,
                outbox: None,
            }
        })
        .collect()
}

/// What a flush would send: every queued request, one plan per outbox file.
pub fn plan_queued(settings: &Settings, outbox: &Outbox) -> Vec<SitePlan> {
    let mut plans = Vec::new();
    for path in outbox.pending(None) {
        let entry = match outbox.peek(&path) {
            Ok(entry) => entry,
            Err(why) => {
                warn!("{} would not be sent: {why}", path.display());
                continue;
            }
        };
        let requests = entry
            .requests
            .into_iter()
            .map(|call| call.into_request(settings.api_url.as_str(), entry.cloud_id.as_deref()))
            .collect();
        plans.push(SitePlan {
            site: Some(entry.site),
            cloud_id: entry.cloud_id,
            requests,
            outbox: Some(path.display().to_string()),
        });
    }
    plans
}

/// Makes `calls` at every site, after delivering what the outbox holds for the site
/// (unless `--no-flush`). What cannot be delivered is saved to the outbox. Fails only
/// for problems found before the network (no site, missing credentials); what
/// happens at a site is in its outcome, in the order the sites were given.
pub fn deliver(settings: &Settings, env: &Env, clock: &dyn Clock, calls: Vec<Call>) -> Result<Delivered> {
    let sites = prepare(settings, env)?;
    let client = http::client(settings)?;
    // Counted from the start of the process: preparing the payload took part of it.
    let deadline = clock::deadline(settings.timeout);
    // As in `plan`: each site its own copy of the calls, the last the originals.
    let copies = std::iter::repeat_n(calls, sites.len());
    run_async(async {
        let interrupt = Interrupt::listen();
        let outbox = settings
            .outbox_dir
            .as_deref()
            .map(|dir| Outbox::new(dir).giving_up(deadline, interrupt.as_stop()));
        let (outbox, interrupt) = (outbox.as_ref(), &interrupt);
        let sites = join_all(
            sites
                .iter()
                .zip(copies)
                .map(|((site, credentials), calls)| async {
                    let mut session =
                        Session::new(&client, settings, env, clock, site, credentials, deadline);
                    let mut earlier = Made::default();
                    if let (Some(outbox), false) = (outbox, settings.no_flush) {
                        // Older reports first, but bounded: a site that is still down must not eat
                        // the time this run's own report needs.
                        let bound = clock::deadline_in(clock::remaining(deadline) / 3);
                        // A failed flush keeps what it did not deliver in its own file.
                        earlier = session.flush(outbox, bound, interrupt).await;
                        if earlier.error.take().is_some() {
                            warn!(
                                "{}: the queued reports are still undeliverable; they stay queued",
                                site.name
                            );
                        }
                    }
                    let made = session.make(calls, deadline, interrupt).await;
                    let mut outcome = session.finish(made, outbox).await;
                    // Reported apart: the run's counts (and the Action's `accepted`) are
                    // its own, not those of earlier runs' reports.
                    outcome.from_outbox = (earlier.answered > 0).then_some(FromOutbox {
                        answered: earlier.answered,
                        outcome: earlier.outcome,
                    });
                    outcome
                }),
        )
        .await;
        Delivered {
            sites,
            signal: interrupt.received(),
        }
    })
}

/// Delivers everything queued in the outbox, oldest first, one outcome per site.
/// What the outbox would not deliver, it sets aside and remembers.
pub fn flush(settings: &Settings, env: &Env, clock: &dyn Clock, outbox: &Outbox) -> Result<Delivered> {
    // The sites with queued reports, from the files themselves. A claim sets aside (with
    // a warning) what is not to be delivered; it is released at once.
    let mut sites: Vec<Site> = Vec::new();
    for path in outbox.pending(None) {
        let Some(claimed) = outbox.claim(&path) else {
            continue;
        };
        match crate::settings::parse_site("siteUrl", &claimed.entry.site_url) {
            Ok(site) if !sites.contains(&site) => sites.push(site),
            Ok(_) => {}
            Err(e) => warn!("{}: {e}", path.display()),
        }
    }
    if sites.is_empty() {
        return Ok(Delivered {
            sites: Vec::new(),
            signal: None,
        });
    }
    let client = http::client(settings)?;
    let deadline = clock::deadline(settings.timeout);
    run_async(async {
        let interrupt = Interrupt::listen();
        let outbox = &outbox.clone().giving_up(deadline, interrupt.as_stop());
        let interrupt = &interrupt;
        let sites = join_all(sites.iter().map(|site| async {
            let still_queued = || Some(outbox.dir().display().to_string());
            let credentials = match settings.credentials(site, env) {
                Ok(credentials) => credentials,
                Err(error) => {
                    return SiteOutcome {
                        site: site.name.clone(),
                        cloud_id: None,
                        answered: 0,
                        unanswered: 0,
                        outcome: Outcome::default(),
                        from_outbox: None,
                        error: Some(error),
                        outbox: still_queued(),
                        unsaved: None,
                    };
                }
            };
            let mut session = Session::new(&client, settings, env, clock, site, &credentials, deadline);
            // A file that fails keeps its remaining requests itself.
            let made = session.flush(outbox, deadline, interrupt).await;
            let mut outcome = session.finish(made, None).await;
            if outcome.error.is_some() {
                outcome.outbox = still_queued();
            }
            outcome
        }))
        .await;
        Delivered {
            sites,
            signal: interrupt.received(),
        }
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
///
/// Once `work` is done, the runtime is shut down without waiting for what `work`
/// abandoned (at the deadline, or on a signal): a file operation still running on the
/// blocking pool must not hold up the report and the exit. (What `work` awaited is
/// done; every file is written under a temporary name and renamed, so an abandoned
/// write leaves no half file.)
pub fn run_async<T>(work: impl Future<Output = T>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::usage(format!("cannot start the async runtime: {e}")))?;
    let done = runtime.block_on(work);
    runtime.shutdown_background();
    Ok(done)
}
