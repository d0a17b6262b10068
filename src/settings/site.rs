//! Jira sites as `--site` names them, and the endpoints jira-send talks to: HTTPS,
//! or plain HTTP to loopback only.

use reqwest::Url;

use crate::env::host_suffix;
use crate::error::{Error, Result};

/// A Jira Cloud site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// `https://acme.atlassian.net`
    pub url: Url,
    /// `acme.atlassian.net` (with `:port` when not the default), as reports name it.
    pub name: String,
    /// The `<HOST>` suffix of per-site variables: `ACME_ATLASSIAN_NET`.
    pub suffix: String,
}

/// `acme`, `acme.atlassian.net` or `https://acme.atlassian.net[/]`, as `setting` gives
/// it (`--site`, `JIRA_SITE`, an outbox entry's `siteUrl`): an error names it.
pub fn parse_site(setting: &str, text: &str) -> Result<Site> {
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else if text.contains('.') || text.contains(':') || text == "localhost" {
        format!("https://{text}")
    } else {
        format!("https://{text}.atlassian.net")
    };
    let url = parse_endpoint(setting, &with_scheme)?;
    if !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err(Error::usage(format!(
            "{setting} {text}: give the site alone (https://acme.atlassian.net), without a path"
        )));
    }
    let mut url = url;
    // `acme.atlassian.net.` is the same host written as fully qualified: one site, one
    // name, one `<HOST>` suffix, so it gets the report once and the same credentials.
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_suffix('.').unwrap_or(host).to_owned();
    if url.host_str() != Some(host.as_str()) {
        url.set_host(Some(&host))
            .map_err(|e| Error::usage(format!("{setting} {text}: not a host name ({e})")))?;
    }
    let name = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    Ok(Site {
        suffix: host_suffix(&host),
        name,
        url,
    })
}

/// An HTTPS URL, or plain HTTP to a loopback host (the in-process fakes of tests).
pub(super) fn parse_endpoint(option: &str, text: &str) -> Result<Url> {
    let url =
        Url::parse(text.trim()).map_err(|e| Error::usage(format!("{option} {text}: not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::usage(format!(
            "{option}: credentials do not belong in the URL"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::usage(format!(
            "{option} {text}: plain http is accepted only for loopback hosts; use https"
        ))),
        other => Err(Error::usage(format!(
            "{option} {text}: unsupported scheme {other}"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => matches!(domain, "localhost" | "localhost."),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_accept_names_hosts_and_urls() {
        for text in [
            "acme",
            "acme.atlassian.net",
            "https://acme.atlassian.net",
            "https://acme.atlassian.net/",
        ] {
            let site = parse_site("--site", text).unwrap();
            assert_eq!(site.name, "acme.atlassian.net", "{text}");
            assert_eq!(site.url.as_str(), "https://acme.atlassian.net/");
            assert_eq!(site.suffix, "ACME_ATLASSIAN_NET");
        }
        let local = parse_site("--site", "http://127.0.0.1:8080").unwrap();
        assert_eq!(local.name, "127.0.0.1:8080");
        assert_eq!(local.suffix, "127_0_0_1");
    }

    #[test]
    fn a_fully_qualified_host_is_the_same_site() {
        for text in [
            "acme.atlassian.net.",
            "https://acme.atlassian.net.",
            "https://acme.atlassian.net./",
        ] {
            assert_eq!(
                parse_site("--site", text).unwrap(),
                parse_site("--site", "acme").unwrap(),
                "{text}"
            );
        }
        let local = parse_site("--site", "http://localhost.:8080").unwrap();
        assert_eq!(local, parse_site("--site", "http://localhost:8080").unwrap());
        assert_eq!(local.name, "localhost:8080");
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(parse_site("--site", "http://acme.atlassian.net").is_err());
        assert!(parse_site("--site", "http://localhost:1").is_ok());
        assert!(parse_site("--site", "http://[::1]:1").is_ok());
        assert!(parse_site("--site", "https://acme.atlassian.net/jira").is_err());
        assert!(parse_site("--site", "ftp://acme.atlassian.net").is_err());
        assert!(parse_endpoint("--api-url", "https://user:pw@api.example.com").is_err());
    }
}
