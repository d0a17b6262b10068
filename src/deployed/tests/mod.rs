//! Tests of the lookup end to end: fake GitHub and GitLab APIs on loopback (wiremock)
//! asserting on the requests they received, and real repositories made with the git
//! CLI in a sandbox that sees no git configuration but its own.

mod chain;
mod compare;
mod github;
mod gitlab;
mod marker;
mod range;
mod sandbox;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::github::GitHub;

/// The token the fakes expect; it must never appear in a log or a message.
pub(super) const TOKEN: &str = "ghs_t0ken-that-must-not-leak";

/// A client as `http::client` builds it for these lookups: no redirects.
pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("jira-send/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(super) fn deadline(seconds: u64) -> Instant {
    crate::clock::deadline_in(Duration::from_secs(seconds)).into_std()
}

pub(super) fn github(api_url: &str, environment: &str) -> GitHub {
    GitHub {
        api_url: api_url.parse().unwrap(),
        owner: "acme".into(),
        name: "app".into(),
        token: SecretString::from(TOKEN),
        environment: environment.into(),
    }
}

/// Everything logged on this thread, at every level, until the guard is dropped.
///
/// One global subscriber (installed once, at `TRACE`) writes into the capturing
/// thread's buffer: a scoped subscriber (`set_default`) races with other tests'
/// threads over the callsites' cached interest and misses events.
pub(super) struct Logs(Arc<Mutex<Vec<u8>>>);

pub(super) struct Capturing;

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> = const { std::cell::RefCell::new(None) };
}

pub(super) fn capture_logs() -> (Logs, Capturing) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| ThreadWriter)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("the only global subscriber of the unit tests");
    });
    let buffer = Arc::new(Mutex::new(Vec::new()));
    CAPTURE.with(|c| *c.borrow_mut() = Some(buffer.clone()));
    (Logs(buffer), Capturing)
}

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURE.with(|c| *c.borrow_mut() = None);
    }
}

impl Logs {
    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Writes into the current thread's capture, if any; elsewhere, nowhere.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(buffer) = c.borrow().as_ref() {
                buffer.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
