//! `jira-send doctor`: checks, in order, everything a report needs, and says what to
//! fix: the settings; every host (DNS, TCP, and TLS where the URL is https, naming the
//! proxy in use; each check says only what it checked, and a failure's fix fits the
//! failure); each site's cloud id, checked against the site's own `tenant_info`; the
//! token request; the permission of each API (by asking for a key that cannot exist:
//! with the cloud id checked, 404 means the API answered without refusing, 403 means
//! the permission is missing); the cache directory; the outbox. Each check is a
//! function with its own verdict ([`Check`]); the report prints them.
//!
//! Exit 0 when everything needed passes, 2 for missing settings, 3 for refused
//! credentials or a missing permission, 4 when a host cannot be reached.

use std::time::Duration;

use reqwest::{Client, Method, Url};
use tokio::time::Instant;

use crate::answer::{self, Permission};
use crate::api::{Api, Call};
use crate::cli::{ApiName, DoctorArgs};
use crate::clock::{self, Clock};
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::fs;
use crate::http::{self, Failure};
use crate::outbox::Outbox;
use crate::report::doctor::{Check, Checks};
use crate::send::{self, Interrupt, Session};
use crate::settings::{Credentials, Settings, Site};

pub fn run(args: &DoctorArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let mut checks = Checks::default();
    let ready = settings_checks(settings, env, &mut checks);
    let client = http::client(settings)?;
    // --timeout counts from the start of the process, as for every command, and
    // bounds every check that waits for an answer.
    let deadline = clock::deadline(settings.timeout);
    send::run_async(async {
        // A cancelled job's SIGTERM ends the checks, and doctor still reports what it
        // found (one JSON object under --output json) rather than dying with it.
        let interrupt = Interrupt::listen();
        let network = async {
            for url in hosts(settings) {
                checks.push(reach(&client, &url, env, settings, deadline).await);
            }
            let apis: Vec<Api> = args.apis.iter().map(|a| api(*a)).collect();
            for (site, credentials) in &ready {
                let mut session = Session::new(&client, settings, env, clock, site, credentials, deadline);
                site_checks(&mut session, &apis, settings, env, &mut checks).await;
            }
        };
        if let Err(signal) = interrupt.unless(network).await {
            checks.push(Check::fail(
                "network checks",
                &Error::Signalled(signal),
                "rerun doctor when the job is not being cancelled",
            ));
        }
    })?;
    checks.push(cache_dir(settings));
    checks.extend(outbox(settings));
    checks.print(settings.output);
    Ok(checks.exit())
}

/// The settings: a site, and each site's credentials. Returns the sites whose
/// credentials are set, for the checks that need them.
fn settings_checks<'s>(
    settings: &'s Settings,
    env: &Env,
    checks: &mut Checks,
) -> Vec<(&'s Site, Credentials)> {
    if settings.sites.is_empty() {
        checks.push(Check::fail(
            "settings",
            &Error::usage("no Jira site is configured"),
            "set JIRA_SITE=acme.atlassian.net (or pass --site)",
        ));
    }
    let mut ready = Vec::new();
    for site in &settings.sites {
        let check = format!("settings {}", site.name);
        match settings.credentials(site, env) {
            Ok(credentials) => {
                let id = super::env::mask(&credentials.client_id);
                checks.push(Check::ok(check, format!("client id {id}, client secret set")));
                ready.push((site, credentials));
            }
            Err(error) => checks.push(Check::fail(
                check,
                &error,
                "create OAuth credentials in Jira (Settings → Apps → OAuth credentials) and set them as CI secrets",
            )),
        }
    }
    ready
}

/// The hosts a report goes to, each once: the API, the token endpoint, the sites.
fn hosts(settings: &Settings) -> Vec<Url> {
    let mut hosts: Vec<Url> = Vec::new();
    let all = [&settings.api_url, &settings.token_url]
        .into_iter()
        .chain(settings.sites.iter().map(|s| &s.url));
    for url in all {
        let host = url.host_str();
        if host.is_some() && !hosts.iter().any(|h| h.host_str() == host) {
            hosts.push(url.clone());
        }
    }
    hosts
}

/// Whether `url`'s host can be reached: any answer, a redirect included, shows it can.
/// The answer is awaited until the request timeout or `deadline`, whichever is first.
async fn reach(client: &Client, url: &Url, env: &Env, settings: &Settings, deadline: Instant) -> Check {
    let host = url.host_str().unwrap_or_default();
    let mut root = url.clone();
    root.set_path("/");
    root.set_query(None);
    let proxy = proxy(env, url.scheme());
    let timeout = settings
        .request_timeout
        .min(clock::remaining(deadline))
        .max(Duration::from_millis(1));
    match client.get(root).timeout(timeout).send().await {
        Ok(_) => Check::ok(format!("reach {host}"), reached(url, proxy.as_deref())),
        Err(e) => Check::fail(
            format!("reach {host}"),
            &http::unanswered(&e, &format!("connecting to {host}")),
            fix(http::failure(&e), url, proxy.as_deref()),
        ),
    }
}

/// One site's cloud id, token and permissions, each needing the one before. Each
/// verdict joins `checks` as it is reached, so a run a signal ends reports them.
async fn site_checks(
    session: &mut Session<'_>,
    apis: &[Api],
    settings: &Settings,
    env: &Env,
    checks: &mut Checks,
) {
    let (check, verified) = cloud_id(session, settings, env).await;
    checks.push(check);
    let Some(verified) = verified else {
        return;
    };
    let check = token(session).await;
    let failed = check.failed();
    checks.push(check);
    if !failed {
        for api in apis {
            checks.push(permission(session, *api, verified).await);
        }
    }
}

/// The cloud id, from the site itself: a configured or cached one that differs
/// would send every report to another cloud. With the verdict, whether to go on
/// (`Some`), and whether the site confirmed the cloud id.
async fn cloud_id(session: &mut Session<'_>, settings: &Settings, env: &Env) -> (Check, Option<bool>) {
    let site = session.site;
    let check = format!("cloud id {}", site.name);
    let configured = settings.configured_cloud_id(Some(site), env);
    match (session.look_up_cloud_id().await, configured) {
        (Ok(id), Some(given)) if id != given => {
            let setting = settings
                .cloud_id_setting(Some(site), env)
                .unwrap_or_else(|| "--cloud-id".into());
            let error = Error::usage(format!(
                "{setting} is {given}, but {} says its cloud id is {id}",
                site.name
            ));
            let fix = format!("correct {setting}, or leave it out and jira-send looks it up");
            (Check::fail(check, &error, fix), None)
        }
        (Ok(id), _) => (
            Check::ok(check, format!("{id} (the site's tenant_info says so)")),
            Some(true),
        ),
        (Err(error), Some(given)) => (
            Check::warn(
                check,
                format!("{given}, but the site cannot confirm it: {error}"),
                format!("check {}", settings.site_setting),
            ),
            Some(false),
        ),
        (Err(error), None) => {
            let fix = format!("check {}, or pass --cloud-id", settings.site_setting);
            (Check::fail(check, &error, fix), None)
        }
    }
}

/// The token, freshly issued: a cached one would prove nothing.
async fn token(session: &mut Session<'_>) -> Check {
    let check = format!("token {}", session.site.name);
    match session.fresh_token().await {
        Ok(()) => Check::ok(check, "the token endpoint issued an access token"),
        Err(error) => Check::fail(
            check,
            &error,
            "check JIRA_CLIENT_ID and JIRA_CLIENT_SECRET against the credential in Jira \
             (Settings → Apps → OAuth credentials); recreate it if it was revoked",
        ),
    }
}

/// An API's permission, by asking for a key that cannot exist. Only with a cloud
/// id the site confirmed (`verified`) does a 404 say anything about the permission:
/// for an unknown cloud, the answer is 404 too.
async fn permission(session: &mut Session<'_>, api: Api, verified: bool) -> Check {
    let call = Call {
        method: Method::GET,
        api,
        operation: probe(api),
        body: None,
        subject: None,
    };
    let check = format!("permission {} {}", api.permission(), session.site.name);
    match session
        .call(&call)
        .await
        .map(|answer| answer::permission(api, &answer))
    {
        Ok(Permission::Answered) if verified => Check::ok(
            check,
            format!(
                "the {} API answered for this cloud without refusing the credential \
                 (404 for a key that cannot exist; a missing permission is 403)",
                api.permission()
            ),
        ),
        Ok(Permission::Answered) => Check::warn(
            check,
            "404: the probe key does not exist, or the cloud id is wrong; the site \
             could not confirm the cloud id, so the permission is unknown",
            "fix the cloud id check above, then run doctor again",
        ),
        Ok(Permission::Missing(error)) => Check::fail(
            check,
            &error,
            format!(
                "edit the OAuth credential in Jira (Settings → Apps → OAuth credentials) and \
                 add the {} permission",
                api.permission()
            ),
        ),
        Ok(Permission::Unexpected(status)) => Check::warn(
            check,
            format!("unexpected answer {status} to a probe"),
            "run with -vv and compare with Jira's status page",
        ),
        Err(error) => Check::fail(check, &error, "see the checks above"),
    }
}

/// The cache directory: writable, and readable by the user only.
fn cache_dir(settings: &Settings) -> Check {
    const CHECK: &str = "cache directory";
    let Some(dir) = &settings.cache_dir else {
        return Check::warn(CHECK, "none could be determined", "set JIRA_SEND_CACHE_DIR");
    };
    let probe = dir.join(".doctor-probe");
    match fs::write_private(&probe, b"ok").and_then(|()| fs::remove(&probe)) {
        Ok(()) if fs::is_private_dir(dir) => Check::ok(CHECK, dir.display().to_string()),
        Ok(()) => Check::warn(
            CHECK,
            format!("{} is readable by others", dir.display()),
            format!("chmod 700 {}", dir.display()),
        ),
        Err(e) => Check::warn(
            CHECK,
            format!("{} is not writable: {e}", dir.display()),
            "set JIRA_SEND_CACHE_DIR to a writable directory (tokens are not cached meanwhile)",
        ),
    }
}

/// The outbox, where there is one: empty, or how many reports wait in it.
fn outbox(settings: &Settings) -> Option<Check> {
    let dir = settings.outbox_dir.as_ref()?;
    Some(match Outbox::new(dir).pending(None).len() {
        0 => Check::ok("outbox", "empty"),
        n => Check::warn(
            "outbox",
            format!(
                "{} in {}",
                crate::plural::count(n, "undelivered report", "undelivered reports"),
                dir.display()
            ),
            "run `jira-send flush` once Jira is reachable",
        ),
    })
}

fn api(name: ApiName) -> Api {
    match name {
        ApiName::Builds => Api::Builds,
        ApiName::Deployments => Api::Deployments,
        ApiName::Devinfo => Api::Devinfo,
        ApiName::Featureflags => Api::FeatureFlags,
    }
}

/// A GET of a key that cannot exist: the answer says whether the credential may use
/// the API (404) or not (403), without reading or writing any data.
fn probe(api: Api) -> String {
    const ID: &str = "jira-send-doctor-probe";
    match api {
        Api::Builds => format!("pipelines/{ID}/builds/1"),
        Api::Deployments => format!("pipelines/{ID}/environments/{ID}/deployments/1"),
        Api::Devinfo => format!("repository/{ID}"),
        Api::FeatureFlags => format!("flag/{ID}"),
    }
}

/// What reaching `url` showed works: DNS (for a host name, unless a proxy resolves
/// it), TCP, and TLS only for https.
fn reached(url: &Url, proxy: Option<&str>) -> String {
    let named = matches!(url.host(), Some(url::Host::Domain(_)));
    let mut parts = Vec::new();
    if named && proxy.is_none() {
        parts.push("DNS");
    }
    parts.push("TCP");
    let tls = url.scheme() == "https";
    if tls {
        parts.push("TLS");
    }
    let mut text = match parts.as_slice() {
        [one] => format!("{one} works"),
        [rest @ .., last] => format!("{} and {last} work", rest.join(", ")),
        [] => String::new(),
    };
    if let Some(proxy) = proxy {
        text.push_str(&format!(" through the proxy {proxy}"));
    }
    if !tls {
        text.push_str(" (plain http: there is no TLS to check)");
    }
    text
}

/// What to do about a host that could not be reached, by how it failed.
fn fix(failure: Failure, url: &Url, proxy: Option<&str>) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let scheme = url.scheme().to_ascii_uppercase();
    match (failure, proxy) {
        // Through a proxy, the runner looks up only the proxy's name.
        (Failure::NoSuchHost, Some(proxy)) => {
            format!("check the proxy {proxy}: its name does not resolve")
        }
        (Failure::NoSuchHost, None) => format!("check the spelling of {host}: no such name exists"),
        (Failure::Dns, _) => "the resolver could not answer for now: check the runner's DNS settings \
                              (/etc/resolv.conf), then try again"
            .into(),
        (Failure::Tcp | Failure::Timeout, Some(proxy)) => {
            format!("check that the proxy {proxy} is up and lets the runner through to {host}:{port}")
        }
        (Failure::Tcp, None) => format!(
            "allow outbound {scheme} to {host}:{port} in the firewall; if the runner must go through a \
             proxy, set HTTPS_PROXY"
        ),
        (Failure::Timeout, None) => format!(
            "{host}:{port} did not answer in time: allow outbound {scheme} to it, or raise \
             --request-timeout on a slow network"
        ),
        (Failure::Tls, _) => "the TLS handshake failed: with a TLS-inspecting proxy or a private CA \
                              pass --ca-file; check the runner's clock"
            .into(),
        (Failure::Other, _) => "run with -vv to see the exchange".into(),
    }
}

/// The proxy requests to a `scheme` URL go through, credentials masked.
fn proxy(env: &Env, scheme: &str) -> Option<String> {
    let names: &[&str] = if scheme == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let value = names.iter().find_map(|v| env.get(v))?;
    Some(match Url::parse(value) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("****");
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => value.to_owned(),
    })
}
