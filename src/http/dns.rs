//! Name resolution, told apart by outcome: a name that does not exist is a setting to
//! fix; a resolver that cannot answer for now is an outage.
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
/// apply), told apart by outcome: a name that does not exist (NXDOMAIN) is a typo in
/// a setting and fails at once, while a resolver that fails for now is an outage,
/// retried like any other. Names under `.invalid` never resolve (RFC 6761 §6.4).
#[derive(Debug)]
pub(super) struct Resolver {
    /// What to check when a host does not resolve: the setting it came from.
    checks: Vec<(String, String)>,
    /// How a name is looked up: the system's resolver (tests inject one that never
    /// answers).
    lookup: Lookup,
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
        let mut checks: Vec<(String, String)> = Vec::new();
        let mut add = |url: &reqwest::Url, check: String| {
            if let Some(host) = url.host_str()
                && !checks.iter().any(|(h, _)| h == host)
            {
                checks.push((host.to_owned(), check));
            }
        };
        for site in &settings.sites {
            add(
                &site.url,
                format!(
                    "{} (your Jira's address, e.g. acme.atlassian.net)",
                    settings.site_setting
                ),
            );
        }
        add(
            &settings.api_url,
            "--api-url or JIRA_SEND_API_URL (default https://api.atlassian.com)".into(),
        );
        add(
            &settings.token_url,
            "--token-url or JIRA_SEND_TOKEN_URL (default https://api.atlassian.com/oauth/token)".into(),
        );
        Self {
            checks,
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
        let check = self
            .checks
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(&host))
            .map(|(_, c)| c.clone());
        let lookup = self.lookup;
        Box::pin(async move {
            let reserved = host.trim_end_matches('.').to_ascii_lowercase();
            if reserved == "invalid" || reserved.ends_with(".invalid") {
                return Err(Box::new(NoSuchHost { host, check }) as BoxError);
            }
            match off_thread(lookup, host.clone()).await? {
                Looked::Found(ips) => {
                    // Port 0: the connector puts the URL's port in.
                    let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
                    Ok(addrs)
                }
                Looked::NoSuchName => Err(Box::new(NoSuchHost { host, check }) as BoxError),
                Looked::Failed(detail) => Err(Box::new(ResolverFailed { host, detail }) as BoxError),
            }
        })
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A host name that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("{host} does not resolve")]
pub(super) struct NoSuchHost {
    pub host: String,
    pub check: Option<String>,
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
                checks: Vec::new(),
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
