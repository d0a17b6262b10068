//! Jira's answers, and what they mean: the one place that turns an HTTP answer into
//! an outcome. Accepted and rejected entities and unknown issue keys ([`bulk`]);
//! refused credentials, a missing permission, an answer to ask again later, or one that
//! cannot be read: for the API calls ([`call`]: submissions, deletions, gating
//! statuses, doctor's probes), the token endpoint ([`token`]) and a site's
//! `tenant_info` ([`tenant`]). The transport sends, retries and reacts (a 401 renews
//! the token, a 413 splits the request); it asks this module what each answer means.
//!
//! An answer is read up to a limit that fits what it should hold ([`limit`]): past it
//! the rest is not read, and the part read serves as an error text but never as data.
//! Server text is masked and cut wherever it goes (a server may echo a secret).

pub mod bulk;
pub mod call;
mod json;
pub mod tenant;
pub mod token;

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::mask;

pub use bulk::{Outcome, Rejection};
pub use call::{
    Gating, Permission, gating, interpret, permission, token_refused, too_large, unknown_cloud, unusable,
};

/// The most of an answer read, by what the answer is. Past it the rest is not read:
/// the part read still serves as an error text, but not as data.
pub mod limit {
    use reqwest::Method;

    use crate::api::Call;

    /// A token answer: a JWT of a few kilobytes and its lifetime.
    pub const TOKEN: usize = 64 * 1024;
    /// `tenant_info`: one cloud id.
    pub const TENANT_INFO: usize = 64 * 1024;
    /// A bulk answer: up to 100 entities (devinfo: 1000) accepted or rejected, each
    /// with its reasons.
    pub const BULK: usize = 8 * 1024 * 1024;
    /// A status or a probe: a gating status, a deletion's 202, a 404.
    pub const STATUS: usize = 1024 * 1024;

    /// The most of the answer to `call` read: a bulk answer lists entities; anything
    /// else is a status.
    pub fn of(call: &Call) -> usize {
        if call.method == Method::POST { BULK } else { STATUS }
    }
}

/// Server text kept in a message: enough for any real error, not a whole page.
pub const MAX_MESSAGE: usize = 500;
/// Messages kept from one answer.
const MAX_MESSAGES: usize = 20;

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

/// An answer whose body broke off while it was read.
#[derive(Debug)]
pub struct BrokenOff {
    /// What was read before it broke off (never data: marked truncated).
    pub partial: Answer,
    pub error: reqwest::Error,
}

impl Answer {
    /// Reads `response`'s body, at most `limit` bytes of it; the rest is not read. A
    /// body that breaks off is an error that keeps the part read.
    pub async fn read(mut response: Response, limit: usize) -> Result<Self, BrokenOff> {
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(error) => {
                    return Err(BrokenOff {
                        partial: Self::new(status, &body, retry_after, true),
                        error,
                    });
                }
            };
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
        let json = if truncated { None } else { json::parse(body) };
        Self {
            status,
            json,
            text: String::from_utf8_lossy(body).into_owned(),
            retry_after,
            truncated,
        }
    }

    /// Whether the answer says to ask again later: 429 (rate limited) or a 5xx.
    pub fn is_transient(&self) -> bool {
        is_transient(self.status)
    }

    /// The wait a 429 or 503 asks for (`Retry-After`), counted from `now`; asking
    /// again sooner only earns a longer wait.
    pub fn asked_wait(&self, now: DateTime<Utc>) -> Option<Duration> {
        match self.status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                self.retry_after.as_deref().and_then(|v| retry_after(v, now))
            }
            _ => None,
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

/// Whether a response with `status` is worth trying again: it says nothing about the
/// request itself. 429 and 5xx; 408 (a proxy or load balancer timing out a slow
/// upload), 425 (too early), 499 (nginx: the connection closed first); and any status
/// outside the standard range (600 and up), which no server that read the request
/// would send. Every other 4xx is a verdict on the request.
pub fn is_transient(status: StatusCode) -> bool {
    /// 499 Client Closed Request: nginx's, not in `StatusCode`'s names.
    const CLIENT_CLOSED: u16 = 499;
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_EARLY
        || status.as_u16() == CLIENT_CLOSED
        || status.is_server_error()
        || status.as_u16() >= 600
}

/// The wait a `Retry-After` value asks for: a number of seconds, or an HTTP date
/// (counted from `now`; a date in the past means "now").
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
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
    use chrono::TimeZone;
    use serde_json::json;

    /// A whole answer with `status` and `body`, for the tests of what answers mean.
    pub(super) fn answer(status: u16, body: &str) -> Answer {
        Answer::new(
            StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
            None,
            false,
        )
    }

    #[test]
    fn transient_statuses() {
        assert!(is_transient(StatusCode::TOO_MANY_REQUESTS));
        assert!(is_transient(StatusCode::SERVICE_UNAVAILABLE));
        assert!(is_transient(StatusCode::BAD_GATEWAY));
        for odd in [408, 425, 499, 600, 999] {
            assert!(is_transient(StatusCode::from_u16(odd).unwrap()), "{odd}");
        }
        assert!(!is_transient(StatusCode::BAD_REQUEST));
        assert!(!is_transient(StatusCode::NOT_FOUND));
        assert!(!is_transient(StatusCode::PAYLOAD_TOO_LARGE));
        assert!(!is_transient(StatusCode::UNAUTHORIZED));
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        assert_eq!(retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sun, 22 Nov 2026 12:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Sun, 22 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }

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
