//! Name resolution, told apart by outcome: a name that does not exist is a setting to
//! fix; a resolver that cannot answer for now is an outage.

use std::net::SocketAddr;

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
        Self { checks }
    }
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let check = self
            .checks
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(&host))
            .map(|(_, c)| c.clone());
        Box::pin(async move {
            let reserved = host.trim_end_matches('.').to_ascii_lowercase();
            if reserved == "invalid" || reserved.ends_with(".invalid") {
                return Err(Box::new(NoSuchHost { host, check }) as BoxError);
            }
            let lookup = host.clone();
            let found = tokio::task::spawn_blocking(move || {
                dns_lookup::lookup_host(&lookup).map(Iterator::collect::<Vec<_>>)
            })
            .await
            .map_err(|e| Box::new(e) as BoxError)?;
            match found {
                Ok(ips) => {
                    // Port 0: the connector puts the URL's port in.
                    let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
                    Ok(addrs)
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        dns_lookup::LookupErrorKind::NoName | dns_lookup::LookupErrorKind::NoData
                    ) =>
                {
                    Err(Box::new(NoSuchHost { host, check }) as BoxError)
                }
                Err(e) => Err(Box::new(ResolverFailed {
                    host,
                    detail: std::io::Error::from(e).to_string(),
                }) as BoxError),
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
