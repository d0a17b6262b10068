//! Errors and the exit codes they map to.
//!
//! Every failure is one `Error` variant that carries what the user needs to act on,
//! and knows its own exit code, so no caller has to guess a code by downcasting.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

/// The process exit codes, as the README's "Exit codes" table documents them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "u8")]
pub enum Exit {
    /// Everything accepted, or nothing to send.
    Success = 0,
    /// Jira rejected at least one entity (or reported unknown keys under
    /// `--fail-on unknown-keys`).
    Rejected = 1,
    /// Usage, configuration or input error, found before any network call.
    Usage = 2,
    /// The credentials were refused: token request refused, 401 after a fresh
    /// token, or 403. Also a setting the network proved wrong: a site that does not
    /// resolve or is not Jira Cloud, an unknown cloud id, a redirect.
    Auth = 3,
    /// Delivery failed: network, 5xx, 429.
    Delivery = 4,
    /// `gate`: the deployment was prevented, or the gate expired.
    GatePrevented = 5,
    /// `gate --wait`: still awaiting when the wait timed out.
    GateTimeout = 6,
    /// SIGINT (Ctrl-C) arrived when nothing was left to deliver: 128 + 2.
    Interrupted = 130,
    /// SIGTERM arrived when nothing was left to deliver: 128 + 15.
    Terminated = 143,
}

impl Exit {
    /// How bad an outcome is, for "the exit code is the worst of the sites".
    ///
    /// Data that can never arrive without a person acting (a usage error, refused
    /// credentials, a rejection) ranks above data that was only delayed.
    fn severity(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Delivery => 1,
            Self::GateTimeout => 2,
            Self::Rejected => 3,
            Self::GatePrevented => 4,
            Self::Auth => 5,
            Self::Usage => 6,
            // A signal ends the run whatever it came to; the shell convention says so.
            Self::Interrupted | Self::Terminated => 7,
        }
    }

    /// The worse of two outcomes.
    #[must_use]
    pub fn worst(self, other: Self) -> Self {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for u8 {
    fn from(exit: Exit) -> Self {
        exit as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(u8::from(exit))
    }
}

/// Everything that can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad flag, variable or combination of them.
    #[error("{0}")]
    Usage(String),

    /// A file the user pointed at could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The git repository could not be read.
    #[error("{context}: {source}")]
    Git {
        context: String,
        #[source]
        source: git2::Error,
    },

    /// A payload breaks the schema or an API limit.
    #[error("the payload is invalid:\n{}", format_violations(.0))]
    Invalid(Vec<Violation>),

    /// The token endpoint refused the credentials.
    #[error("the token request was refused ({status}): {detail}")]
    TokenRefused { status: u16, detail: String },

    /// Jira answered 401 even to a freshly issued token.
    #[error("Jira refused the access token twice (401), even a fresh one: {detail}")]
    Unauthorized { detail: String },

    /// Jira answered 403: the credential lacks a permission.
    #[error(
        "Jira refused access (403): the OAuth credential lacks the {permission} permission \
         (Jira settings → Apps → OAuth credentials){}",
        detail_suffix(.detail)
    )]
    Forbidden {
        permission: &'static str,
        detail: String,
    },

    /// Jira would not take feature flags from these credentials.
    #[error(
        "Jira answered {status} to the feature flags request: the OAuth credential may lack the \
         Feature flags permission (Jira settings → Apps → OAuth credentials), or this site may \
         not accept feature flags over OAuth client credentials at all (Atlassian's documents \
         disagree){}",
        detail_suffix(.detail)
    )]
    FlagsRefused { status: u16, detail: String },

    /// Jira has nothing under the key asked about.
    #[error("{0}")]
    NotFound(String),

    /// The site has no Jira Cloud tenant behind it.
    #[error(
        "{site} is not a Jira Cloud site ({detail}): check {setting} (your Jira's address, e.g. acme.atlassian.net)"
    )]
    UnknownSite {
        site: String,
        detail: String,
        /// The flag or variable the site came from.
        setting: String,
    },

    /// A host name does not exist (NXDOMAIN): a typo, not an outage.
    #[error("{host} does not resolve{}", detail_suffix_check(.check))]
    DoesNotResolve {
        host: String,
        /// What to check, naming the flag or variable the host came from.
        check: Option<String>,
    },

    /// Jira has no cloud under the cloud id used, even after looking it up again.
    #[error("Jira knows no cloud {cloud_id} (the cloud id from {source_name}): {hint}")]
    UnknownCloud {
        cloud_id: String,
        source_name: String,
        hint: String,
    },

    /// A server answered with a redirect, which jira-send never follows: credentials
    /// and reports go only where they were configured to go.
    #[error(
        "{what} was answered {status} with a redirect to {location}; jira-send follows no \
         redirects: check the URL"
    )]
    Redirected {
        what: String,
        status: u16,
        location: String,
    },

    /// A 2xx answer that could not be read: whether Jira stored the data is unknown.
    #[error("{what}: the answer could not be read ({detail}), so whether Jira stored it is unknown")]
    Unreadable { what: String, detail: String },

    /// SIGTERM or SIGINT arrived before the request was answered.
    #[error("interrupted by {0} before Jira answered")]
    Interrupted(&'static str),

    /// SIGTERM or SIGINT ended a run that had nothing to deliver (`gate` waiting for
    /// Jira's decision): it exits as the shell would have, 128 + the signal's number.
    #[error("interrupted by {}", .0.name())]
    Signalled(crate::send::Signal),

    /// A host could not be reached, or answered with a server error.
    #[error("{what} failed: {detail}")]
    Unreachable { what: String, detail: String },

    /// The overall `--timeout` ran out.
    #[error("gave up after the --timeout of {}", humantime::format_duration(*.0))]
    Timeout(std::time::Duration),
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    pub fn git(context: impl Into<String>, source: git2::Error) -> Self {
        Self::Git {
            context: context.into(),
            source,
        }
    }

    /// The exit code this error ends the process with.
    pub fn exit(&self) -> Exit {
        match self {
            Self::Usage(_) | Self::Read { .. } | Self::Git { .. } | Self::Invalid(_) => Exit::Usage,
            // Found over the network, so not a usage error (2); but no retry or outbox
            // helps either: a person must fix a setting.
            Self::UnknownSite { .. }
            | Self::DoesNotResolve { .. }
            | Self::UnknownCloud { .. }
            | Self::Redirected { .. } => Exit::Auth,
            Self::TokenRefused { .. }
            | Self::Unauthorized { .. }
            | Self::Forbidden { .. }
            | Self::FlagsRefused { .. } => Exit::Auth,
            Self::NotFound(_) => Exit::Rejected,
            Self::Signalled(signal) => signal.exit(),
            Self::Unreachable { .. } | Self::Timeout(_) | Self::Unreadable { .. } | Self::Interrupted(_) => {
                Exit::Delivery
            }
        }
    }
}

/// One reason a body is invalid, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// A JSON pointer into the body: `/builds/0/url`.
    pub pointer: String,
    pub message: String,
    /// The values the schema allows there, where it names them (an enum, a constant).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<Value>,
}

impl Violation {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
            allowed: Vec::new(),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

fn format_violations(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("  {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn detail_suffix_check(check: &Option<String>) -> String {
    check
        .as_deref()
        .map(|c| format!(": check {c}"))
        .unwrap_or_default()
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_prefers_what_needs_a_person() {
        assert_eq!(Exit::Success.worst(Exit::Delivery), Exit::Delivery);
        assert_eq!(Exit::Delivery.worst(Exit::Rejected), Exit::Rejected);
        assert_eq!(Exit::Rejected.worst(Exit::Auth), Exit::Auth);
        assert_eq!(Exit::Auth.worst(Exit::Usage), Exit::Usage);
        assert_eq!(Exit::Usage.worst(Exit::Success), Exit::Usage);
    }

    #[test]
    fn exit_codes_match_the_contract() {
        let codes: Vec<u8> = [
            Exit::Success,
            Exit::Rejected,
            Exit::Usage,
            Exit::Auth,
            Exit::Delivery,
            Exit::GatePrevented,
            Exit::GateTimeout,
            Exit::Interrupted,
            Exit::Terminated,
        ]
        .into_iter()
        .map(u8::from)
        .collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 130, 143]);
    }
}
