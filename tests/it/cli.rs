//! Bad input gets a clear error and exit 2, before any network call.

use crate::common::{FakeJira, SIMPLE_BUILD, TestRepo, jira_send, json, stderr};

async fn assert_usage_error(args: &[&str], expected: &str) {
    let jira = FakeJira::start().await;
    let repo = TestRepo::new("feature/ABC-1");
    repo.commit("ABC-1 work");
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
    assert!(
        stderr(&output).contains(expected),
        "{args:?}: expected {expected:?} in\n{}",
        stderr(&output)
    );
    assert!(
        jira.server.received_requests().await.unwrap().is_empty(),
        "{args:?} touched the network"
    );
}

#[tokio::test]
async fn an_invalid_state_exits_2_before_any_network_call() {
    assert_usage_error(
        &["build", "--state", "done", "--build-number", "1"],
        "invalid value 'done'",
    )
    .await;
}

#[tokio::test]
async fn other_bad_input_exits_2_before_any_network_call() {
    assert_usage_error(&["build"], "--build-number is required").await;
    assert_usage_error(&["build", "--build-number", "x"], "invalid value").await;
    assert_usage_error(
        &["build", "--build-number", "1", "--url", "ci/1"],
        "not an http(s) URL",
    )
    .await;
    assert_usage_error(
        &["build", "--build-number", "1", "--issue-key", "abc-1"],
        "--ignore-case",
    )
    .await;
    assert_usage_error(
        &["build", "--build-number", "1", "--since", "no-such-rev"],
        "no such commit",
    )
    .await;
    assert_usage_error(
        &["deployment", "--deployment-number", "1"],
        "--environment is required",
    )
    .await;
    assert_usage_error(
        &["build", "--build-number", "1", "--timeout", "soon"],
        "invalid value",
    )
    .await;
    assert_usage_error(
        &[
            "build",
            "--build-number",
            "1",
            "--api-url",
            "http://api.example.com",
        ],
        "loopback",
    )
    .await;
    assert_usage_error(
        &[
            "build",
            "--build-number",
            "1",
            "--url",
            "https://ci.example.com/1",
            "--tests-total",
            "2",
            "--tests-failed",
            "3",
        ],
        "exceed",
    )
    .await;
}

#[tokio::test]
async fn missing_credentials_exit_2_before_any_network_call() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .args(jira.args())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("JIRA_CLIENT_ID"), "{}", stderr(&output));
    assert!(jira.server.received_requests().await.unwrap().is_empty());

    let no_site = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(no_site.status.code(), Some(2));
    assert!(stderr(&no_site).contains("JIRA_SITE"), "{}", stderr(&no_site));
}

#[test]
fn outside_a_repository_keys_must_be_given() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(empty.path())
        .args(["build", "--dry-run", "--build-number", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--issue-key"), "{}", stderr(&output));

    let with_keys = jira_send(home.path())
        .current_dir(empty.path())
        .args([
            "build",
            "--dry-run",
            "--build-number",
            "1",
            "--issue-key",
            "ABC-1",
        ])
        .args(["--url", "https://ci.example.com/1", "--pipeline-id", "acme"])
        .output()
        .unwrap();
    assert_eq!(with_keys.status.code(), Some(0), "{}", stderr(&with_keys));
}

#[test]
fn json_output_is_one_object_whatever_the_outcome() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(empty.path())
        .args(["--output", "json", "build", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output);
    assert_eq!(report["exitCode"], 2);
    assert_eq!(report["command"], "build");
    assert!(report["error"].as_str().unwrap().contains("--issue-key"));

    let parse_error = jira_send(home.path())
        .args(["build", "--state", "nope", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(parse_error.status.code(), Some(2));
    assert_eq!(json(&parse_error)["exitCode"], 2);
}

#[test]
fn help_explains_and_exits_0() {
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path()).args(["build", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = crate::common::stdout(&output);
    for expected in [
        "--issue-key",
        "JIRA_ISSUE_KEYS",
        "--since",
        "--dry-run",
        "JIRA_SITE",
        "--state",
    ] {
        assert!(help.contains(expected), "build --help lacks {expected}:\n{help}");
    }
}

#[test]
fn empty_variables_count_as_unset() {
    // What the GitHub Action passes for inputs left out.
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(
            [
                "JIRA_SITE",
                "JIRA_SEND_STATE",
                "JIRA_SEND_FAIL_ON",
                "JIRA_SEND_DRY_RUN",
                "JIRA_SEND_ENVIRONMENT_TYPE",
            ]
            .map(|v| (v, "")),
        )
        .args([
            "build",
            "--pipeline-id",
            "app",
            "--dry-run",
            "--issue-key",
            "ABC-1",
            "--build-number",
            "1",
            "--url",
            "https://ci.example.com/1",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
