//! A deployment's range through the real binary: real repositories (a bare `origin`,
//! CI checkouts cloned from it, shallow ones included), fake GitHub and GitLab APIs on
//! loopback that record what they were asked, and the fake Jira that records what was
//! sent.

mod fake_github;
mod fallback;
mod github;
mod gitlab;
mod marker;
#[cfg(unix)]
mod signal;

use std::process::Output;

use serde_json::Value;

use crate::common::{FakeJira, stderr, stdout};

/// The CI token the fakes expect; it must appear in no output.
const TOKEN: &str = "ghs_t0ken-that-must-not-leak-8c41";

/// The issue keys of the deployment in the last request Jira received.
async fn keys_sent(jira: &FakeJira) -> Vec<String> {
    let body = jira
        .bulk_bodies("deployments")
        .await
        .pop()
        .expect("a deployment was sent");
    body["deployments"][0]["associations"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The warnings a run printed, one per line.
fn warnings(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter(|line| line.starts_with("jira-send: warning:"))
        .map(str::to_owned)
        .collect()
}

/// Exit 0, and the token in nothing the run printed.
fn assert_ran(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    for (name, text) in [("stdout", stdout(output)), ("stderr", stderr(output))] {
        assert!(!text.contains(TOKEN), "the token is in {name}:\n{text}");
    }
}

/// `range` of the run's JSON report.
fn range(output: &Output) -> Value {
    crate::common::json(output)["range"].clone()
}

/// The first 7 characters of a commit id.
fn short(sha: &str) -> &str {
    &sha[..7]
}
