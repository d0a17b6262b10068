use crate::common::{FakeJira, jira_send, json, stderr, stdout};

#[tokio::test]
async fn doctor_passes_when_everything_works() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .arg("doctor")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    let text = stdout(&output);
    for line in [
        "settings",
        "reach 127.0.0.1",
        "cloud id",
        "token",
        "permission Builds",
        "permission Deployments",
        "permission Development information",
        "cache directory",
        "outbox",
    ] {
        assert!(text.contains(line), "no {line:?} check in\n{text}");
    }
    assert!(!text.contains("FAIL"), "{text}");
}

#[tokio::test]
async fn doctor_names_a_missing_permission() {
    let jira = FakeJira::start().await;
    jira.forbidden.lock().unwrap().push("deployments".into());
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(["doctor", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = json(&output);
    let failed: Vec<&serde_json::Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{report:#}");
    assert!(
        failed[0]["check"]
            .as_str()
            .unwrap()
            .starts_with("permission Deployments")
    );
    assert!(
        failed[0]["fix"]
            .as_str()
            .unwrap()
            .contains("add the Deployments permission")
    );
}

#[tokio::test]
async fn doctor_checks_feature_flags_when_asked() {
    let jira = FakeJira::start().await;
    jira.forbidden.lock().unwrap().push("featureflags".into());
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(["doctor", "--apis", "builds,featureflags"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stdout(&output).contains("Feature flags permission"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn doctor_says_what_is_missing_and_what_cannot_be_reached() {
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path()).arg("doctor").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("JIRA_SITE"), "{}", stdout(&output));

    let unreachable = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(["--site", "http://127.0.0.1:9", "--api-url", "http://127.0.0.1:9"])
        .args([
            "--token-url",
            "http://127.0.0.1:9/oauth/token",
            "--timeout",
            "5s",
            "doctor",
        ])
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(4), "{}", stdout(&unreachable));
    assert!(
        stdout(&unreachable).contains("allow outbound HTTPS"),
        "{}",
        stdout(&unreachable)
    );
}
