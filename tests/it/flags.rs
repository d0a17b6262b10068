use pretty_assertions::assert_eq;
use serde_json::json;

use crate::common::{FakeJira, jira_send, json, stderr, stdout};
use crate::spec::assert_official_accepts;

fn flag_args() -> Vec<&'static str> {
    vec![
        "flag",
        "--id",
        "new-checkout",
        "--enabled",
        "true",
        "--default-value",
        "false",
        "--rollout-percentage",
        "25",
        "--environment",
        "prod",
        "--issue-key",
        "ABC-1",
        "--url",
        "https://flags.example.com/new-checkout",
    ]
}

#[tokio::test]
async fn a_flag_is_sent_with_its_summary_and_environment() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args(flag_args())
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = &jira.bulk_bodies("featureflags").await[0];
    assert_official_accepts("featureflags", body);
    let flag = &body["flags"][0];
    assert_eq!(flag["id"], "new-checkout");
    assert_eq!(flag["key"], "new-checkout");
    assert_eq!(flag["issueKeys"], json!(["ABC-1"]));
    assert_eq!(
        flag["summary"]["status"],
        json!({"enabled": true, "defaultValue": "false", "rollout": {"percentage": 25.0}})
    );
    assert_eq!(
        flag["details"][0]["environment"],
        json!({"name": "prod", "type": "production"})
    );
    assert_eq!(
        json(&output)["sites"][0]["accepted"],
        json!([{"id": "new-checkout"}])
    );
}

#[tokio::test]
async fn a_403_or_404_on_flags_is_explained_and_exits_3() {
    for status in [403, 404] {
        let jira = FakeJira::start().await;
        jira.flags_status
            .store(status, std::sync::atomic::Ordering::SeqCst);
        let home = tempfile::tempdir().unwrap();
        let output = jira.jira_send(home.path()).args(flag_args()).output().unwrap();
        assert_eq!(output.status.code(), Some(3), "{status}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(text.contains("Feature flags permission"), "{text}");
        assert!(text.contains("over OAuth client credentials"), "{text}");
    }
}

#[test]
fn a_flag_needs_its_environment_and_a_valid_rollout() {
    let home = tempfile::tempdir().unwrap();
    let missing = jira_send(home.path())
        .args([
            "flag",
            "--id",
            "f",
            "--enabled",
            "true",
            "--issue-key",
            "ABC-1",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("--environment"), "{}", stderr(&missing));
    let over = jira_send(home.path())
        .args([
            "flag",
            "--id",
            "f",
            "--enabled",
            "true",
            "--rollout-percentage",
            "120",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(over.status.code(), Some(2));
}

/// Jira may list "none failed" as an empty array where the spec has an object keyed
/// by flag id: that answer is an outcome (the flag accepted, exit 0), not a malformed
/// one retried and queued.
#[tokio::test]
async fn an_empty_list_of_failed_flags_means_none_failed() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, ResponseTemplate};
    let jira = FakeJira::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/jira/featureflags/0\.1/cloud/[^/]+/bulk$"))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({"acceptedFeatureFlags": ["new-checkout"], "failedFeatureFlags": []})),
        )
        .with_priority(1)
        .mount(&jira.server)
        .await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args(flag_args())
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(jira.bulk_bodies("featureflags").await.len(), 1, "sent once");
    let report = json(&output);
    assert_eq!(report["sites"][0]["accepted"], json!([{"id": "new-checkout"}]));
    assert_eq!(report["sites"][0]["rejected"], json!([]));
}
