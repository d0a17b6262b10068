//! The outbox's `.lock` held alone by another process: saving the report waits until
//! `--timeout` or a signal, then fails with an error naming the lock, and the report is
//! printed instead. Never a hang.

#![cfg(unix)]

use std::path::Path;
use std::process::{Output, Stdio};

use crate::common::{FakeJira, SIMPLE_BUILD, jira_send_std, json, stderr};

/// Holds `home`'s outbox lock alone, as a process stuck in recovery would.
fn hold_outbox_lock(home: &Path) -> std::fs::File {
    let dir = home.join("jira-send-cache/outbox");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = std::fs::File::create(dir.join(".lock")).unwrap();
    lock.lock().unwrap();
    lock
}

/// A `build` whose bulk POST `jira` holds; `signal` is sent once it is in flight.
async fn build_under_held_lock(timeout: &str, signal: Option<rustix::process::Signal>) -> Output {
    let jira = FakeJira::start().await;
    let mut arrived = jira.hold_bulk("builds").await;
    let home = tempfile::tempdir().unwrap();
    let _held = hold_outbox_lock(home.path());
    let child = jira_send_std(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(["--output", "json", "--timeout", timeout])
        .args(SIMPLE_BUILD)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    arrived.recv().await.unwrap();
    if let Some(signal) = signal {
        rustix::process::kill_process(rustix::process::Pid::from_child(&child), signal).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn outbox_error(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(4), "{}", stderr(output));
    let report = json(output);
    let site = &report["sites"][0];
    assert_eq!(site["outbox"], serde_json::Value::Null, "{site:#}");
    assert_eq!(
        site["undelivered"][0]["body"]["builds"][0]["buildNumber"], 1,
        "the report is printed instead: {site:#}"
    );
    site["outboxError"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_lock_held_elsewhere_fails_the_save_after_the_timeout() {
    let output = build_under_held_lock("1s", None).await;
    let error = outbox_error(&output);
    assert!(
        error.contains("another process holds the lock") && error.contains("outbox/.lock"),
        "{error}"
    );
}

#[tokio::test]
async fn sigterm_ends_the_wait_for_a_lock_held_elsewhere() {
    // A timeout of an hour: only the signal can end the wait.
    let output = build_under_held_lock("1h", Some(rustix::process::Signal::TERM)).await;
    let error = outbox_error(&output);
    assert!(
        error.contains("SIGTERM arrived while another process held the lock"),
        "{error}"
    );
    assert_eq!(json(&output)["signal"], "SIGTERM");
}
