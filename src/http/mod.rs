//! The one HTTP client, one exchange with a server, how a request that got no answer
//! is described, and when a request is sent again ([`retry`]).
//!
//! It follows no redirect: the client secret and the bearer token go only to the
//! endpoints configured, and a report is never turned into a GET by a 302. A redirect
//! is an error that names where it pointed. Every answer is read up to a limit that
//! fits what it should hold ([`crate::answer::limit`]), so a hostile or broken server
//! cannot make the tool eat memory.

mod dns;
mod failure;
pub mod retry;

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Certificate, Client, RequestBuilder};

use crate::answer::{Answer, MAX_MESSAGE};
use crate::error::{Error, Result};
use crate::fs;
use crate::mask;
use crate::settings::Settings;

pub use failure::{Failure, failure, unanswered};

/// `jira-send/<version>`, so Atlassian can tell our traffic apart.
pub const USER_AGENT: &str = concat!("jira-send/", env!("CARGO_PKG_VERSION"));

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
        .dns_resolver(Arc::new(dns::Resolver::new(settings)));
    if let Some(path) = &settings.ca_file {
        let pem = fs::read(path, fs::limit::CA_FILE).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let certificates = Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                let setting = settings.origins.of("--ca-file");
                Error::usage(format!("{setting} {}: no PEM certificate in it", path.display()))
            })?;
        builder = builder.tls_certs_merge(certificates);
    }
    builder
        .build()
        .map_err(|e| Error::usage(format!("cannot set up HTTPS: {}", describe(&e))))
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
        .map_err(|broken| Error::Unreachable {
            what: what.to_owned(),
            detail: format!("{status}, then the answer broke off: {}", describe(&broken.error)),
        })
}
