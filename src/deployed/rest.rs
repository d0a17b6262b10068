//! One GET to a CI system's REST API, within the lookup's deadline, and what its
//! failure means.
//!
//! A lookup is a nicety: it is tried a few times at most (a network error, a 5xx, a
//! rate limit that names a wait the deadline allows), then it gives up and the chain
//! falls through. The token travels in one header, marked sensitive (so no HTTP-level
//! log prints it), and is masked in anything a server echoes back. Redirects are not
//! followed (the client is built without them): a token is never re-sent elsewhere.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Client, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::debug;

use crate::answer::Answer;
use crate::clock;
use crate::http::describe;

/// Attempts per request, the first included.
const ATTEMPTS: u32 = 3;
/// The first wait after a network error or a 5xx; it doubles.
const BACKOFF: Duration = Duration::from_millis(500);
/// The most of an answer that is read: lists of 100 commits fit many times over.
const MAX_BODY: usize = 8 << 20;

/// Why a lookup request failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("{service} cannot be reached: {detail}")]
    Unreachable { service: &'static str, detail: String },
    #[error("{service} refused the token ({status}){detail}: it needs {permission}")]
    Refused {
        service: &'static str,
        status: u16,
        permission: &'static str,
        detail: String,
    },
    #[error(
        "{service} answered 404{detail}: wrong repository or project, or the token cannot see it ({permission})"
    )]
    NotFound {
        service: &'static str,
        permission: &'static str,
        detail: String,
    },
    #[error("{service} rate limit: {detail}")]
    RateLimited { service: &'static str, detail: String },
    #[error("{service} gave an unexpected answer: {detail}")]
    Unexpected { service: &'static str, detail: String },
    #[error("the time for the {service} lookup ran out")]
    OutOfTime { service: &'static str },
}

impl Failure {
    /// The permission to grant, when the failure is a refusal.
    pub fn permission(&self) -> Option<&'static str> {
        match self {
            Self::Refused { permission, .. } | Self::NotFound { permission, .. } => Some(permission),
            _ => None,
        }
    }
}

/// How a request authenticates.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Auth<'a> {
    /// `Authorization: Bearer` (GitHub).
    Bearer(&'a SecretString),
    /// `JOB-TOKEN` (GitLab's CI job token).
    JobToken(&'a SecretString),
}

impl Auth<'_> {
    fn secret(&self) -> &str {
        match self {
            Self::Bearer(token) | Self::JobToken(token) => token.expose_secret(),
        }
    }
}

/// GETs to one API, sharing a deadline and a credential.
#[derive(Debug)]
pub(crate) struct Rest<'a> {
    pub client: &'a Client,
    pub deadline: Instant,
    pub auth: Auth<'a>,
    /// "GitHub", "GitLab": names the service in messages.
    pub service: &'static str,
    /// Headers every request carries (GitHub's API version).
    pub headers: &'static [(&'static str, &'static str)],
}

impl Rest<'_> {
    /// GETs `url` and reads its JSON answer as `T`. `permission` names what a refusal
    /// means the token lacks.
    pub async fn get<T: DeserializeOwned>(
        &self,
        url: &url::Url,
        permission: &'static str,
    ) -> Result<T, Failure> {
        let service = self.service;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = clock::remaining(self.deadline);
            if remaining.is_zero() {
                return Err(Failure::OutOfTime { service });
            }
            // Each request's own timeout ends at the deadline.
            let sent = self
                .client
                .get(url.clone())
                .headers(self.headers()?)
                .timeout(remaining)
                .send()
                .await;
            let (wait, failure) = match sent {
                Err(e) if e.is_timeout() && clock::passed(self.deadline) => {
                    return Err(Failure::OutOfTime { service });
                }
                Err(e) => (
                    None,
                    Failure::Unreachable {
                        service,
                        detail: self.mask(&describe(&e)),
                    },
                ),
                Ok(response) => {
                    debug!("{service}: GET {} → {}", url.path(), response.status());
                    let headers = response.headers().clone();
                    // A body cut short (or broken off) reads as invalid JSON.
                    let answer = Answer::read(response, MAX_BODY)
                        .await
                        .unwrap_or_else(|broken| broken.partial);
                    match self.judge::<T>(&answer, &headers, permission) {
                        Verdict::Done(result) => return result,
                        Verdict::Again { wait, failure } => (wait, failure),
                    }
                }
            };
            let wait = wait.unwrap_or_else(|| BACKOFF.saturating_mul(1 << (attempt - 1).min(8)));
            // A wait the deadline cannot afford means giving up now, not sleeping in vain.
            if attempt >= ATTEMPTS || wait >= clock::remaining(self.deadline) {
                return Err(failure);
            }
            debug!("{service}: {failure}; asking again in {wait:?}");
            tokio::time::sleep(wait).await;
        }
    }

    fn headers(&self) -> Result<HeaderMap, Failure> {
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        let (name, value) = match self.auth {
            Auth::Bearer(token) => ("authorization", format!("Bearer {}", token.expose_secret())),
            Auth::JobToken(token) => ("job-token", token.expose_secret().to_owned()),
        };
        let mut value = HeaderValue::from_str(&value).map_err(|_| Failure::Unexpected {
            service: self.service,
            detail: "the token is not a valid HTTP header value".into(),
        })?;
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static(name), value);
        Ok(headers)
    }

    /// What an answer means: a result, or a wait before asking again.
    fn judge<T: DeserializeOwned>(
        &self,
        answer: &Answer,
        headers: &HeaderMap,
        permission: &'static str,
    ) -> Verdict<T> {
        let service = self.service;
        let status = answer.status;
        let detail = || self.mask(&server_words(answer.text.as_bytes()));
        let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && (headers.get("x-ratelimit-remaining").is_some_and(|v| v == "0")
                    || headers.contains_key(RETRY_AFTER)
                    || detail().to_ascii_lowercase().contains("rate limit")));
        if rate_limited || status == StatusCode::SERVICE_UNAVAILABLE {
            let asked = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let failure = Failure::RateLimited {
                service,
                detail: match asked {
                    Some(wait) => format!("{status}, asked to wait {}s", wait.as_secs()),
                    None => format!("{status}{}", prefixed(&detail())),
                },
            };
            return match asked {
                Some(wait) => Verdict::Again {
                    wait: Some(wait),
                    failure,
                },
                // A 503 that names no wait is a server error like the others.
                None if status == StatusCode::SERVICE_UNAVAILABLE => Verdict::Again { wait: None, failure },
                None => Verdict::Done(Err(failure)),
            };
        }
        if status.is_success() {
            return Verdict::Done(
                serde_json::from_str(&answer.text).map_err(|e| Failure::Unexpected {
                    service,
                    detail: format!("{status} with a body that is not the expected JSON ({e})"),
                }),
            );
        }
        let failure = match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Failure::Refused {
                service,
                status: status.as_u16(),
                permission,
                detail: prefixed(&detail()),
            },
            StatusCode::NOT_FOUND => Failure::NotFound {
                service,
                permission,
                detail: prefixed(&detail()),
            },
            _ if status.is_redirection() => Failure::Unexpected {
                service,
                detail: format!(
                    "{status}, a redirect to {} (not followed)",
                    headers
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .map_or_else(|| "nowhere".to_owned(), |l| self.mask(l))
                ),
            },
            _ => Failure::Unexpected {
                service,
                detail: format!("{status}{}", prefixed(&detail())),
            },
        };
        if status.is_server_error() {
            Verdict::Again { wait: None, failure }
        } else {
            Verdict::Done(Err(failure))
        }
    }

    /// `text` with the token masked: servers echo what they were sent. (Also masked
    /// process-wide once registered: this holds even for a token nobody registered.)
    fn mask(&self, text: &str) -> String {
        let secret = self.auth.secret();
        if secret.is_empty() {
            text.to_owned()
        } else {
            text.replace(secret, crate::mask::MASK)
        }
    }
}

enum Verdict<T> {
    Done(Result<T, Failure>),
    /// Worth asking again after `wait` (the server's), else after a backoff.
    Again {
        wait: Option<Duration>,
        failure: Failure,
    },
}

/// What a server said in its error body: the JSON `message` (GitHub, GitLab), else
/// the start of the text.
fn server_words(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let json: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    let said = json
        .as_ref()
        .and_then(|j| j.get("message").or_else(|| j.get("error")))
        .and_then(|m| m.as_str().map(str::to_owned))
        .unwrap_or_else(|| text.trim().to_owned());
    let said: String = said.chars().filter(|c| !c.is_control()).take(200).collect();
    said
}

/// ": text", or nothing for no text.
fn prefixed(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_words_are_short_and_on_one_line() {
        assert_eq!(
            server_words(br#"{"message":"Resource not accessible by integration"}"#),
            "Resource not accessible by integration"
        );
        assert_eq!(server_words(b"<html>\nbad\n</html>"), "<html>bad</html>");
        assert_eq!(server_words(&[b'x'; 500]).len(), 200);
        assert_eq!(server_words(b""), "");
    }

    #[test]
    fn refusals_name_the_permission() {
        let refused = Failure::Refused {
            service: "GitHub",
            status: 403,
            permission: "`deployments: read`",
            detail: ": Resource not accessible by integration".into(),
        };
        assert_eq!(
            refused.to_string(),
            "GitHub refused the token (403): Resource not accessible by integration: it needs `deployments: read`"
        );
        assert_eq!(refused.permission(), Some("`deployments: read`"));
    }
}
