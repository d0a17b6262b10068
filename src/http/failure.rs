//! Why a request got no answer, and the error that says so.

use std::error::Error as _;

use super::describe;
use super::dns::{NoSuchHost, ResolverFailed};
use crate::error::Error;

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

/// The error for a request that got no answer: a site's host that does not exist is a
/// setting to fix; anything else is `Unreachable`, named by `what`, and retried (a
/// token endpoint, API or proxy host that does not resolve among them: DNS filtering
/// or a split-horizon resolver is an outage of the network, and the report is kept).
pub fn unanswered(error: &reqwest::Error, what: &str) -> Error {
    if let Some(missing) = find::<NoSuchHost>(error).filter(|m| m.site) {
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
