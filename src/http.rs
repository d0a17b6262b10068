//! The one HTTP client, and how its failures are described.

use std::error::Error as _;
use std::time::Duration;

use reqwest::{Certificate, Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::settings::Settings;

/// `jira-send/<version>`, so Atlassian can tell our traffic apart.
pub const USER_AGENT: &str = concat!("jira-send/", env!("CARGO_PKG_VERSION"));

/// Builds the client every request goes through: connect timeout 10 s, a request
/// timeout (`--request-timeout`, 30 s), rustls trusting the operating system's
/// certificate authorities plus those of `--ca-file`, and the proxy variables
/// (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`) honoured by reqwest itself. Only outbound
/// connections: nothing listens.
pub fn client(settings: &Settings) -> Result<Client> {
    let mut builder = Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .timeout(settings.request_timeout);
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
    text
}

/// Sends `request` and reads the whole answer. A request that gets no answer at all
/// (DNS, connection, TLS, timeout) is `Unreachable`, named by `what`.
pub async fn exchange(request: RequestBuilder, what: impl FnOnce() -> String) -> Result<Answer> {
    match request.send().await {
        Ok(response) => Ok(Answer::read(response).await),
        Err(e) => Err(Error::Unreachable {
            what: what(),
            detail: describe(&e),
        }),
    }
}

/// A response read whole: its status and body, parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub json: Option<Value>,
    pub text: String,
    /// The `Retry-After` header, where the server sent one.
    pub retry_after: Option<String>,
}

impl Answer {
    pub async fn read(response: Response) -> Self {
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).ok();
        Self {
            status,
            json,
            text,
            retry_after,
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
            let short: String = text.chars().take(300).collect();
            format!("{} {short}", self.status)
        }
    }
}

/// The error messages in a JSON error body, whichever shape it has:
/// `[{"message"}]` (builds, deployments, flags), `{"errorMessages": [{"message"}]}`
/// (devinfo), `{"message"}` (the gateway), `{"error", "error_description"}` (OAuth).
pub fn messages(json: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match json {
        Value::Array(items) => items.iter().flat_map(messages).collect(),
        Value::Object(fields) => {
            if let Some(list) = fields.get("errorMessages").or_else(|| fields.get("errors")) {
                return match list {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(|i| text(i).or_else(|| i.get("message").and_then(text)))
                        .collect(),
                    other => messages(other),
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
}
