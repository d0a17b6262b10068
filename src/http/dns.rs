//! Name resolution, told apart by outcome: a site's name that does not exist is a
//! setting to fix; any other host that does not resolve (the token endpoint, the APIs,
//! a proxy), or a resolver that cannot answer for now, is an outage.
//!
//! `getaddrinfo` blocks, and cannot be cancelled: a resolver that never answers holds
//! its thread for as long as its own timeouts say (`options timeout:30 attempts:3` is
//! 90 s). Each lookup therefore runs on a plain thread of its own that sends its result
//! back; a request abandoned at the deadline or on a signal stops waiting for it, and
//! nothing ever joins the thread (a task of the runtime's blocking pool would be
//! waited for when the runtime shuts down, holding the report and the exit past
//! `--timeout`).

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::settings::Settings;

/// The system's resolver (`getaddrinfo`, so `/etc/hosts`, nsswitch and the like
/// apply), told apart by outcome: a name that does not exist (NXDOMAIN) says which
/// setting it came from ([`NoSuchHost`]), while a resolver that fails for now is an
/// outage, retried like any other. Names under `.invalid` never resolve (RFC 6761
/// §6.4).
#[derive(Debug)]
pub(super) struct Resolver {
    /// The hosts of the settings, each with where it came from.
    known: Vec<Known>,
    /// How a name is looked up: the system's resolver (tests inject one that never
    /// answers).
    lookup: Lookup,
}

/// A host a setting names.
#[derive(Clone, Debug)]
struct Known {
    host: String,
    /// What to check when it does not resolve: the setting it came from.
    check: String,
    /// Whether it is a site's host: the one whose name not resolving is a
    /// configuration error rather than an outage.
    site: bool,
}

/// Looks a host name up, blocking.
type Lookup = fn(&str) -> Looked;

/// What looking a name up came to.
#[derive(Debug)]
enum Looked {
    Found(Vec<IpAddr>),
    /// The name does not exist (NXDOMAIN, or no address).
    NoSuchName,
    /// The resolver failed, for now: why.
    Failed(String),
}

/// The system's resolver: `getaddrinfo`.
fn system(host: &str) -> Looked {
    match dns_lookup::lookup_host(host) {
        Ok(ips) => Looked::Found(ips.collect()),
        Err(e)
            if matches!(
                e.kind(),
                dns_lookup::LookupErrorKind::NoName | dns_lookup::LookupErrorKind::NoData
            ) =>
        {
            Looked::NoSuchName
        }
        Err(e) => Looked::Failed(std::io::Error::from(e).to_string()),
    }
}

impl Resolver {
    pub(super) fn new(settings: &Settings) -> Self {
        let mut known: Vec<Known> = Vec::new();
        let mut add = |host: Option<&str>, check: String, site: bool| {
            if let Some(host) = host
                && !known.iter().any(|k| k.host.eq_ignore_ascii_case(host))
            {
                known.push(Known {
                    host: host.to_owned(),
                    check,
                    site,
                });
            }
        };
        for site in &settings.sites {
            add(
                site.url.host_str(),
                format!(
                    "{} (your Jira's address, e.g. acme.atlassian.net)",
                    settings.site_setting
                ),
                true,
            );
        }
        add(
            settings.api_url.host_str(),
            "--api-url or JIRA_SEND_API_URL (default https://api.atlassian.com)".into(),
            false,
        );
        add(
            settings.token_url.host_str(),
            "--token-url or JIRA_SEND_TOKEN_URL (default https://api.atlassian.com/oauth/token)".into(),
            false,
        );
        for (variable, host) in &settings.proxies {
            add(Some(host), format!("the proxy in {variable}"), false);
        }
        Self {
            known,
            lookup: system,
        }
    }
}

/// Runs `lookup` for `host` on a thread of its own; the result comes back through a
/// channel. Dropping the returned future abandons the lookup: the thread ends when
/// `getaddrinfo` returns, and no one waits for it.
async fn off_thread(lookup: Lookup, host: String) -> Result<Looked, BoxError> {
    let (send, receive) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("jira-send-dns".into())
        .spawn(move || {
            // The receiver is gone when the request was abandoned: nothing to tell.
            let _ = send.send(lookup(&host));
        })
        .map_err(|e| Box::new(e) as BoxError)?;
    receive.await.map_err(|e| Box::new(e) as BoxError)
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let known = self.known.iter().find(|k| k.host.eq_ignore_ascii_case(&host));
        let missing = NoSuchHost {
            host: host.clone(),
            check: known.map(|k| k.check.clone()),
            site: known.is_some_and(|k| k.site),
        };
        let lookup = self.lookup;
        Box::pin(async move {
            let reserved = host.trim_end_matches('.').to_ascii_lowercase();
            if reserved == "invalid" || reserved.ends_with(".invalid") {
                return Err(Box::new(missing) as BoxError);
            }
            match off_thread(lookup, host.clone()).await? {
                Looked::Found(ips) => {
                    // Port 0: the connector puts the URL's port in.
                    let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
                    Ok(addrs)
                }
                Looked::NoSuchName => Err(Box::new(missing) as BoxError),
                Looked::Failed(detail) => Err(Box::new(ResolverFailed { host, detail }) as BoxError),
            }
        })
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A host name that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("{host} does not resolve{}", .check.as_ref().map(|c| format!(": check {c}")).unwrap_or_default())]
pub(super) struct NoSuchHost {
    pub host: String,
    /// The setting it came from.
    pub check: Option<String>,
    /// Whether it is a site's host.
    pub site: bool,
}

/// A resolver that could not answer for now.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host} for now: {detail}")]
pub(super) struct ResolverFailed {
    host: String,
    detail: String,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    /// A resolver that never answers (a firewalled runner's DNS): the lookup blocks
    /// for good.
    fn never(_: &str) -> Looked {
        loop {
            std::thread::park();
        }
    }

    /// A request abandoned while its name is being looked up (here after 50 ms; in a
    /// run at `--timeout`, or on a signal) ends the run at once: neither the request
    /// nor the runtime's shutdown waits for the lookup. The lookup ran on the runtime's
    /// blocking pool, and shutting the runtime down waited for it, for as long as the
    /// resolver took (forever here; 90 s behind a black-hole DNS). The bound only
    /// catches that hang.
    #[test]
    fn a_resolver_that_never_answers_holds_nothing_up() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let resolver = Resolver {
                known: Vec::new(),
                lookup: never,
            };
            let client = reqwest::Client::builder()
                .dns_resolver(Arc::new(resolver))
                .build()
                .unwrap();
            let abandoned = crate::send::run_async(async {
                let request = client.get("http://slow-dns.example/").send();
                tokio::time::timeout(Duration::from_millis(50), request)
                    .await
                    .is_err()
            });
            let _ = done.send(abandoned.unwrap());
        });
        let abandoned = finished
            .recv_timeout(Duration::from_secs(60))
            .expect("the run waited for a lookup that never ends");
        assert!(abandoned, "no name can resolve here");
    }
}
