//! `jira-send doctor`: checks, in order, everything a report needs, and says what to
//! fix: the settings; every host (DNS, TCP, and TLS where the URL is https, naming the
//! proxy in use; each check says only what it checked, and a failure's fix fits the
//! failure); each site's cloud id, checked against the site's own `tenant_info`; the
//! token request; the permission of each API (by asking for a key that cannot exist:
//! with the cloud id checked, 404 means the API answered without refusing, 403 means
//! the permission is missing); the cache directory; the outbox.
//!
//! Exit 0 when everything needed passes, 2 for missing settings, 3 for refused
//! credentials or a missing permission, 4 when a host cannot be reached.

use std::io::Write as _;

use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde_json::json;
use tokio::time::Instant;

use crate::api::Api;
use crate::cli::{ApiName, DoctorArgs};
use crate::clock::Clock;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::http::{self, Failure};
use crate::outbox::Outbox;
use crate::retry::deadline_in;
use crate::send::{self, Call, Session};
use crate::settings::{Credentials, Output, Settings, Site};
use crate::store;

/// One check's verdict.
#[derive(Debug, Serialize)]
struct Check {
    check: String,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
    #[serde(skip)]
    exit: Exit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warning,
    Fail,
}

#[derive(Debug, Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn ok(&mut self, check: impl Into<String>, detail: impl Into<String>) {
        self.push(check, Status::Ok, detail, None, Exit::Success);
    }

    fn warn(&mut self, check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(check, Status::Warning, detail, Some(fix.into()), Exit::Success);
    }

    fn fail(&mut self, check: impl Into<String>, error: &Error, fix: impl Into<String>) {
        self.push(
            check,
            Status::Fail,
            error.to_string(),
            Some(fix.into()),
            error.exit(),
        );
    }

    fn push(
        &mut self,
        check: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
        exit: Exit,
    ) {
        self.0.push(Check {
            check: check.into(),
            status,
            detail: detail.into(),
            fix,
            exit,
        });
    }

    fn exit(&self) -> Exit {
        self.0.iter().fold(Exit::Success, |worst, c| worst.worst(c.exit))
    }
}

pub fn run(args: &DoctorArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let mut checks = Checks::default();

    // 1. Settings: sites and their credentials.
    let mut ready: Vec<(&Site, Credentials)> = Vec::new();
    if settings.sites.is_empty() {
        checks.fail(
            "settings",
            &Error::usage("no Jira site is configured"),
            "set JIRA_SITE=acme.atlassian.net (or pass --site)",
        );
    }
    for site in &settings.sites {
        match settings.credentials(site, env) {
            Ok(credentials) => {
                let id = super::env::mask(&credentials.client_id);
                checks.ok(format!("settings {}", site.name), format!("client id {id}, client secret set"));
                ready.push((site, credentials));
            }
            Err(error) => checks.fail(
                format!("settings {}", site.name),
                &error,
                "create OAuth credentials in Jira (Settings → Apps → OAuth credentials) and set them as CI secrets",
            ),
        }
    }

    let client = http::client(settings)?;
    let deadline: Instant = deadline_in(settings.timeout);
    send::run_async(async {
        // 2. Every host.
        let mut hosts: Vec<Url> = vec![settings.api_url.clone(), settings.token_url.clone()];
        hosts.extend(settings.sites.iter().map(|s| s.url.clone()));
        let mut seen: Vec<String> = Vec::new();
        for url in hosts {
            let Some(host) = url.host_str().map(str::to_owned) else {
                continue;
            };
            if seen.contains(&host) {
                continue;
            }
            seen.push(host.clone());
            let mut root = url.clone();
            root.set_path("/");
            root.set_query(None);
            let proxy = proxy(env, url.scheme());
            // Any answer, a redirect included, shows the host can be reached.
            match client.get(root).send().await {
                Ok(_) => checks.ok(format!("reach {host}"), reached(&url, proxy.as_deref())),
                Err(e) => checks.fail(
                    format!("reach {host}"),
                    &http::unanswered(&e, &format!("connecting to {host}")),
                    fix(http::failure(&e), &url, proxy.as_deref()),
                ),
            }
        }

        for (site, credentials) in &ready {
            let mut session = Session::new(&client, settings, env, clock, site, credentials, deadline);
            // 3. The cloud id, from the site itself: a configured or cached one that
            // differs would send every report to another cloud.
            let check = format!("cloud id {}", site.name);
            let configured = settings.configured_cloud_id(Some(site), env);
            let verified = match (session.look_up_cloud_id().await, configured) {
                (Ok(id), Some(given)) if id != given => {
                    let setting = settings
                        .cloud_id_setting(Some(site), env)
                        .unwrap_or_else(|| "--cloud-id".into());
                    checks.fail(
                        check,
                        &Error::usage(format!(
                            "{setting} is {given}, but {} says its cloud id is {id}",
                            site.name
                        )),
                        format!("correct {setting}, or leave it out and jira-send looks it up"),
                    );
                    continue;
                }
                (Ok(id), _) => {
                    checks.ok(check, format!("{id} (the site's tenant_info says so)"));
                    true
                }
                (Err(error), Some(given)) => {
                    checks.warn(
                        check,
                        format!("{given}, but the site cannot confirm it: {error}"),
                        format!("check {}", settings.site_setting),
                    );
                    false
                }
                (Err(error), None) => {
                    let fix = format!("check {}, or pass --cloud-id", settings.site_setting);
                    checks.fail(check, &error, fix);
                    continue;
                }
            };
            // 4. The token, freshly issued: a cached one would prove nothing.
            match session.fresh_token().await {
                Ok(()) => checks.ok(
                    format!("token {}", site.name),
                    "the token endpoint issued an access token",
                ),
                Err(error) => {
                    checks.fail(
                        format!("token {}", site.name),
                        &error,
                        "check JIRA_CLIENT_ID and JIRA_CLIENT_SECRET against the credential in Jira \
                         (Settings → Apps → OAuth credentials); recreate it if it was revoked",
                    );
                    continue;
                }
            }
            // 5. Each API's permission.
            for api in args.apis.iter().map(|a| api(*a)) {
                let call = Call {
                    method: Method::GET,
                    api,
                    operation: probe(api),
                    body: None,
                    subject: None,
                };
                let check = format!("permission {} {}", api.permission(), site.name);
                match session.call(&call).await {
                    // Only with a cloud id the site confirmed does a 404 say anything about
                    // the permission: for an unknown cloud, the answer is 404 too.
                    Ok(answer) if answer.status == StatusCode::NOT_FOUND && verified => checks.ok(
                        check,
                        format!(
                            "the {} API answered for this cloud without refusing the credential \
                             (404 for a key that cannot exist; a missing permission is 403)",
                            api.permission()
                        ),
                    ),
                    Ok(answer) if answer.status == StatusCode::NOT_FOUND => checks.warn(
                        check,
                        "404: the probe key does not exist, or the cloud id is wrong; the site \
                         could not confirm the cloud id, so the permission is unknown",
                        "fix the cloud id check above, then run doctor again",
                    ),
                    Ok(answer) if answer.status == StatusCode::FORBIDDEN => checks.fail(
                        check,
                        &Error::Forbidden {
                            permission: api.permission(),
                            detail: answer.detail(),
                        },
                        format!(
                            "edit the OAuth credential in Jira (Settings → Apps → OAuth credentials) and \
                             add the {} permission",
                            api.permission()
                        ),
                    ),
                    Ok(answer) => checks.warn(
                        check,
                        format!("unexpected answer {} to a probe", answer.status),
                        "run with -vv and compare with Jira's status page",
                    ),
                    Err(error) => checks.fail(check, &error, "see the checks above"),
                }
            }
        }
    })?;

    // 6. The cache directory.
    match &settings.cache_dir {
        Some(dir) => {
            let probe = dir.join(".doctor-probe");
            let written = store::write_private(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe));
            match written {
                Ok(()) if private_dir(dir) => checks.ok("cache directory", dir.display().to_string()),
                Ok(()) => checks.warn(
                    "cache directory",
                    format!("{} is readable by others", dir.display()),
                    format!("chmod 700 {}", dir.display()),
                ),
                Err(e) => checks.warn(
                    "cache directory",
                    format!("{} is not writable: {e}", dir.display()),
                    "set JIRA_SEND_CACHE_DIR to a writable directory (tokens are not cached meanwhile)",
                ),
            }
        }
        None => checks.warn(
            "cache directory",
            "none could be determined",
            "set JIRA_SEND_CACHE_DIR",
        ),
    }
    // 7. The outbox.
    if let Some(dir) = &settings.outbox_dir {
        match Outbox::new(dir).pending(None).len() {
            0 => checks.ok("outbox", "empty"),
            n => checks.warn(
                "outbox",
                format!(
                    "{} in {}",
                    crate::report::count(n, "undelivered report", "undelivered reports"),
                    dir.display()
                ),
                "run `jira-send flush` once Jira is reachable",
            ),
        }
    }

    print(&checks, settings.output);
    Ok(checks.exit())
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
        (Failure::NoSuchHost, _) => format!("check the spelling of {host}: no such name exists"),
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

fn private_dir(dir: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        true
    }
}

fn print(checks: &Checks, output: Output) {
    let text = match output {
        Output::Json => {
            let json = json!({"command": "doctor", "checks": checks.0, "exitCode": checks.exit()});
            format!("{}\n", serde_json::to_string_pretty(&json).expect("serializes"))
        }
        Output::Text => {
            let mut text = String::new();
            for check in &checks.0 {
                let mark = match check.status {
                    Status::Ok => "ok  ",
                    Status::Warning => "warn",
                    Status::Fail => "FAIL",
                };
                text.push_str(&format!("{mark}  {}: {}\n", check.check, check.detail));
                if let (Some(fix), false) = (&check.fix, check.status == Status::Ok) {
                    text.push_str(&format!("      fix: {fix}\n"));
                }
            }
            text
        }
    };
    let _ = std::io::stdout()
        .lock()
        .write_all(crate::mask::mask(&text).as_bytes());
}
