//! Helpers: the binary with a neutral environment, git fixtures, the fake Jira.

#![allow(dead_code)]

pub mod fake;
pub mod flaky;
pub mod repo;
pub mod upstream;

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub use fake::FakeJira;
pub use repo::TestRepo;
pub use upstream::Upstream;

/// `jira-send` with nothing of the developer's environment: no variables but those a
/// test sets, a private HOME and cache, and git configuration switched off.
pub fn jira_send(home: &Path) -> Command {
    Command::from_std(jira_send_std(home))
}

/// The same as a plain `std::process::Command`, to spawn several at once.
pub fn jira_send_std(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("jira-send"));
    // Run in the temporary home, not in this checkout: a test sees a repository only
    // when it builds one and says so (`current_dir` again, or `--repo`).
    cmd.current_dir(home)
        .env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("JIRA_SEND_CACHE_DIR", home.join("jira-send-cache"))
        .env("RUST_BACKTRACE", "0")
        // Retries back off for a millisecond, not half a second: the tests stay fast and
        // never depend on timing.
        .env("JIRA_SEND_RETRY_DELAY", "1ms");
    cmd
}

/// A build that needs nothing from git or a CI system.
pub const SIMPLE_BUILD: [&str; 9] = [
    "build",
    "--pipeline-id",
    "app",
    "--issue-key",
    "ABC-1",
    "--build-number",
    "1",
    "--url",
    "https://ci.example.com/1",
];

/// The run's stdout as JSON.
pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The variables of a GitHub Actions push run on `branch`.
pub fn github_push(branch: &str, before: Option<&str>, event_dir: &Path) -> Vec<(String, String)> {
    let event = match before {
        Some(before) => serde_json::json!({ "before": before }),
        None => serde_json::json!({}),
    };
    let event_path = event_dir.join("event.json");
    std::fs::write(&event_path, event.to_string()).unwrap();
    [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "acme/app"),
        ("GITHUB_WORKFLOW", "CI"),
        ("GITHUB_RUN_NUMBER", "42"),
        ("GITHUB_RUN_ID", "9876543210"),
        ("GITHUB_RUN_ATTEMPT", "1"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", &format!("refs/heads/{branch}")),
        ("GITHUB_REF_NAME", branch),
        ("GITHUB_REF_TYPE", "branch"),
        ("GITHUB_EVENT_PATH", event_path.to_str().unwrap()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}
