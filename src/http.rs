//! The one HTTP client, how its answers are read, and how its failures are described.
//!
//! It follows no redirect: the client secret and the bearer token go only to the
//! endpoints configured, and a report is never turned into a GET by a 302. A redirect
//! is an error that names where it pointed. Every answer is read up to a limit that
//! fits what it should hold ([`limit`]), so a hostile or broken server cannot make the
//! tool eat memory.

use std::error::Error as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Certificate, Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::mask;
use crate::settings::Settings;

/// `jira-send/<version>`, so Atlassian can tell our traffic apart.
pub const USER_AGENT: &str = concat!("jira-send/", env!("CARGO_PKG_VERSION"));

/// The most of an answer read, by what the answer is. Past it the rest is not read:
/// the part read still serves as an error text, but not as data.
pub mod limit {
    /// A token answer: a JWT of a few kilobytes and its lifetime.
    pub const TOKEN: usize = 64 * 1024;
    /// `tenant_info`: one cloud id.
    pub const TENANT_INFO: usize = 64 * 1024;
    /// A bulk answer: up to 100 entities (devinfo: 1000) accepted or rejected, each
    /// with its reasons.
    pub const BULK: usize = 8 * 1024 * 1024;
    /// A status or a probe: a gating status, a deletion's 202, a 404.
    pub const STATUS: usize = 1024 * 1024;
    /// The root of a host, read by `doctor` only to see that it answers.
    pub const REACH: usize = 16 * 1024;
}

/// Server text kept in a message: enough for any real error, not a whole page.
const MAX_MESSAGE: usize = 500;
/// Messages kept from one answer.
const MAX_MESSAGES: usize = 20;

/// Builds the client every request goes through: connect timeout 10 s, a request
/// timeout (`--request-timeout`, 30 s), rustls trusting the operating system's
/// certificate authorities plus those of `--ca-file`, and the proxy variables
/// (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`) honoured by reqwest itself. No redirect
/// is followed. Only outbound connections: nothing listens.
pub fn client(settings: &Settings) -> Result<Client> {
    let mut builder = Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .timeout(settings.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(Resolver::new(settings)));
    if let Some(path) = &settings.ca_file {
        let pem = fs_err::read(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let certificates = Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::usage(format!("--ca-file {}: no PEM certificate in it", path.display())))?;
        builder = builder.tls_certs_merge(certificates);
    }
    builder
        .build()
        .map_err(|e| Error::usage(format!("cannot set up HTTPS: {}", describe(&e))))
}

/// The system's resolver (`getaddrinfo`, so `/etc/hosts`, nsswitch and the like
/// apply), told apart by outcome: a name that does not exist (NXDOMAIN) is a typo in
/// a setting and fails at once, while a resolver that fails for now is an outage,
/// retried like any other. Names under `.invalid` never resolve (RFC 6761 §6.4).
#[derive(Debug)]
struct Resolver {
    /// What to check when a host does not resolve: the setting it came from.
    checks: Vec<(String, String)>,
}

impl Resolver {
    fn new(settings: &Settings) -> Self {
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
struct NoSuchHost {
    host: String,
    check: Option<String>,
}

/// A resolver that could not answer for now.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host} for now: {detail}")]
struct ResolverFailed {
    host: String,
    detail: String,
}

/// Why a request got no answer, in the terms of what to fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The host name does not exist.
    NoSuchHost,
    /// The resolver failed for now.
    Dns,
    /// No TCP connection: refused, unreachable.
    Tcp,
    /// The TLS handshake failed: an unknown certificate authority, an expired
    /// certificate, a TLS-inspecting proxy.
    Tls,
    /// No answer in time.
    Timeout,
    /// Anything else.
    Other,
}

/// What kind of failure `error` is.
pub fn failure(error: &reqwest::Error) -> Failure {
    if find::<NoSuchHost>(error).is_some() {
        return Failure::NoSuchHost;
    }
    if find::<ResolverFailed>(error).is_some() {
        return Failure::Dns;
    }
    if error.is_timeout() {
        return Failure::Timeout;
    }
    if let Some(io) = find::<std::io::Error>(error) {
        use std::io::ErrorKind::*;
        match io.kind() {
            ConnectionRefused | ConnectionReset | ConnectionAborted | NetworkUnreachable
            | HostUnreachable | AddrNotAvailable | NotConnected => return Failure::Tcp,
            TimedOut => return Failure::Timeout,
            // rustls reports a failed handshake as invalid data.
            InvalidData => return Failure::Tls,
            _ => {}
        }
    }
    let text = describe(error).to_ascii_lowercase();
    if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        Failure::Tls
    } else if error.is_connect() {
        Failure::Tcp
    } else {
        Failure::Other
    }
}

/// The first error of type `E` in `error`'s chain of causes.
fn find<E: std::error::Error + 'static>(error: &reqwest::Error) -> Option<&E> {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(found) = cause.downcast_ref::<E>() {
            return Some(found);
        }
        source = cause.source();
    }
    None
}

/// A reqwest error with its causes ("connection refused", "certificate expired"), on
/// one line. reqwest's own message names the URL but not why it failed.
pub fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        let mut text = error.to_string();
        if let Some(url) = error.url() {
            text = text.replace(&format!(" ({url})"), "");
        }
        text
    };
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    mask::cap(&text, MAX_MESSAGE)
}

/// The error for a request that got no answer: a host that does not exist is a
/// setting to fix; anything else is `Unreachable`, named by `what`, and retried.
pub fn unanswered(error: &reqwest::Error, what: &str) -> Error {
    if let Some(missing) = find::<NoSuchHost>(error) {
        return Error::DoesNotResolve {
            host: missing.host.clone(),
            check: missing.check.clone(),
        };
    }
    Error::Unreachable {
        what: what.to_owned(),
        detail: describe(error),
    }
}

/// Sends `request` and reads its answer, at most `limit` bytes of it. A request that
/// gets no answer at all (DNS, connection, TLS, timeout), or whose answer breaks off,
/// is `Unreachable`, named by `what`; a redirect is `Redirected`.
pub async fn exchange(request: RequestBuilder, what: &str, limit: usize) -> Result<Answer> {
    let response = request.send().await.map_err(|e| unanswered(&e, what))?;
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_else(|| "nowhere (no Location header)".into());
        return Err(Error::Redirected {
            what: what.to_owned(),
            status: status.as_u16(),
            location: mask::cap(&location, MAX_MESSAGE),
        });
    }
    Answer::read(response, limit)
        .await
        .map_err(|e| Error::Unreachable {
            what: what.to_owned(),
            detail: format!("{status}, then the answer broke off: {}", describe(&e)),
        })
}

/// A response read (up to a limit): its status and body, parsed as JSON when it is
/// JSON and complete.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub json: Option<Value>,
    pub text: String,
    /// The `Retry-After` header, where the server sent one.
    pub retry_after: Option<String>,
    /// Whether the body was longer than the limit (and so was not read whole).
    pub truncated: bool,
}

impl Answer {
    /// Reads `response`'s body, at most `limit` bytes of it; the rest is not read.
    pub async fn read(mut response: Response, limit: usize) -> reqwest::Result<Self> {
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response.chunk().await? {
            let room = limit.saturating_sub(body.len());
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Self::new(status, &body, retry_after, truncated))
    }

    /// An answer from its parts; `body` is parsed as JSON unless `truncated`.
    pub fn new(status: StatusCode, body: &[u8], retry_after: Option<String>, truncated: bool) -> Self {
        let json = if truncated {
            None
        } else {
            serde_json::from_slice(body).ok()
        };
        Self {
            status,
            json,
            text: String::from_utf8_lossy(body).into_owned(),
            retry_after,
            truncated,
        }
    }

    /// The error messages of the body, or failing those, the status and the body.
    pub fn messages(&self) -> Vec<String> {
        let messages = self.json.as_ref().map(messages).unwrap_or_default();
        if messages.is_empty() {
            vec![self.detail()]
        } else {
            messages
        }
    }

    /// What the server said, in a few words: the `message`, `error_description` or
    /// `errorMessages` of a JSON body, else the start of the body.
    pub fn detail(&self) -> String {
        if let Some(json) = &self.json {
            let messages = messages(json);
            if !messages.is_empty() {
                return messages.join("; ");
            }
        }
        let text = self.text.trim();
        if text.is_empty() {
            self.status.to_string()
        } else {
            format!("{} {}", self.status, mask::cap(text, 300))
        }
    }
}

/// The error messages in a JSON error body, whichever shape it has:
/// `[{"message"}]` (builds, deployments, flags), `{"errorMessages": [{"message"}]}`
/// (devinfo), `{"message"}` (the gateway), `{"error", "error_description"}` (OAuth).
/// Server text, so masked and cut: at most 20 messages of 500 characters.
pub fn messages(json: &Value) -> Vec<String> {
    let all = all_messages(json);
    let more = all.len().saturating_sub(MAX_MESSAGES);
    let mut kept: Vec<String> = all
        .iter()
        .take(MAX_MESSAGES)
        .map(|m| mask::cap(m, MAX_MESSAGE))
        .collect();
    if more > 0 {
        kept.push(format!("… and {more} more"));
    }
    kept
}

fn all_messages(json: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match json {
        Value::Array(items) => items.iter().flat_map(all_messages).collect(),
        Value::Object(fields) => {
            if let Some(list) = fields.get("errorMessages").or_else(|| fields.get("errors")) {
                return match list {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(|i| text(i).or_else(|| i.get("message").and_then(text)))
                        .collect(),
                    other => all_messages(other),
                };
            }
            if let Some(message) = fields.get("message").and_then(text) {
                return vec![message];
            }
            match (
                fields.get("error").and_then(text),
                fields.get("error_description").and_then(text),
            ) {
                (Some(e), Some(d)) => vec![format!("{e}: {d}")],
                (Some(e), None) => vec![e],
                (None, Some(d)) => vec![d],
                (None, None) => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_error_shape_yields_its_messages() {
        assert_eq!(messages(&json!([{"message": "a"}, {"message": "b"}])), ["a", "b"]);
        assert_eq!(messages(&json!({"errorMessages": [{"message": "c"}]})), ["c"]);
        assert_eq!(
            messages(&json!({"code": 401, "message": "Unauthorized"})),
            ["Unauthorized"]
        );
        assert_eq!(
            messages(&json!({"error": "access_denied", "error_description": "Unauthorized"})),
            ["access_denied: Unauthorized"]
        );
        assert!(messages(&json!({"unrelated": 1})).is_empty());
    }

    #[test]
    fn server_text_is_cut() {
        let many: Vec<Value> = (0..1000).map(|i| json!({"message": format!("m{i}")})).collect();
        let kept = messages(&Value::Array(many));
        assert_eq!(kept.len(), MAX_MESSAGES + 1);
        assert_eq!(kept.last().unwrap(), "… and 980 more");
        let long = messages(&json!({"message": "x".repeat(1_000_000)}));
        assert!(long[0].chars().count() <= MAX_MESSAGE + 1);
        let page = Answer::new(
            StatusCode::BAD_GATEWAY,
            "<html>".repeat(100_000).as_bytes(),
            None,
            false,
        );
        assert!(page.detail().len() < 2_000);
    }

    #[test]
    fn a_truncated_body_is_never_data() {
        let answer = Answer::new(StatusCode::ACCEPTED, b"{}", None, true);
        assert!(answer.json.is_none());
        assert_eq!(
            Answer::new(StatusCode::OK, b"{}", None, false).json,
            Some(json!({}))
        );
    }
}
