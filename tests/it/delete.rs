use serde_json::json;

use crate::common::fake::CLOUD_ID;
use crate::common::{FakeJira, jira_send, json, stderr};

/// Runs `delete` with `args` against the fake; returns the path and query it received.
async fn deleted(args: &[&str]) -> (String, Option<String>, serde_json::Value) {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .arg("delete")
        .args(args)
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
    let requests = jira.requests("/jira/").await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method.as_str(), "DELETE");
    let url = &requests[0].url;
    (
        url.path().to_owned(),
        url.query().map(str::to_owned),
        json(&output),
    )
}

#[tokio::test]
async fn every_delete_form_reaches_its_endpoint() {
    let base = |api: &str| format!("/jira/{api}/0.1/cloud/{CLOUD_ID}");
    let (path, _, report) = deleted(&["build", "--pipeline-id", "acme/app/CI", "--build-number", "42"]).await;
    assert_eq!(
        path,
        format!("{}/pipelines/acme%2Fapp%2FCI/builds/42", base("builds"))
    );
    assert_eq!(
        report["sites"][0]["accepted"],
        json!([{"pipelineId": "acme/app/CI", "buildNumber": 42}])
    );

    let (path, _, _) = deleted(&[
        "deployment",
        "--pipeline-id",
        "acme",
        "--environment-id",
        "production eu",
        "--deployment-number",
        "7",
    ])
    .await;
    assert_eq!(
        path,
        format!(
            "{}/pipelines/acme/environments/production%20eu/deployments/7",
            base("deployments")
        )
    );

    let (path, _, _) = deleted(&["devinfo", "--repository-id", "github.com~acme~app"]).await;
    assert_eq!(
        path,
        format!("{}/repository/github.com~acme~app", base("devinfo"))
    );

    let (path, _, _) = deleted(&[
        "devinfo",
        "--repository-id",
        "r1",
        "--entity",
        "pull_request",
        "--entity-id",
        "12",
    ])
    .await;
    assert_eq!(path, format!("{}/repository/r1/pull_request/12", base("devinfo")));

    let (path, _, _) = deleted(&["flag", "--id", "new checkout"]).await;
    assert_eq!(path, format!("{}/flag/new%20checkout", base("featureflags")));

    let (path, query, report) = deleted(&[
        "build",
        "--property",
        "source=jira-send",
        "--property",
        "repository=github.com/acme/app",
    ])
    .await;
    assert_eq!(path, format!("{}/bulkByProperties", base("builds")));
    assert_eq!(
        query.as_deref(),
        Some("source=jira-send&repository=github.com%2Facme%2Fapp")
    );
    assert_eq!(
        report["sites"][0]["accepted"],
        json!([{"properties": {"source": "jira-send", "repository": "github.com/acme/app"}}])
    );

    // Hostile report, S3: a repeated key is sent with each value, and shown so.
    let (_, query, report) = deleted(&["build", "--property", "k=v", "--property", "k=w"]).await;
    assert_eq!(query.as_deref(), Some("k=v&k=w"));
    assert_eq!(
        report["sites"][0]["accepted"],
        json!([{"properties": {"k": ["v", "w"]}}])
    );

    for api in ["deployment", "devinfo", "flag"] {
        let (path, query, _) = deleted(&[api, "--property", "source=jira-send"]).await;
        assert!(path.ends_with("/bulkByProperties"), "{path}");
        assert_eq!(query.as_deref(), Some("source=jira-send"));
    }
}

#[tokio::test]
async fn a_delete_without_a_key_or_property_is_a_usage_error() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["delete", "build"][..],
        &["delete", "build", "--pipeline-id", "p"],
        &["delete", "flag"],
        &["delete", "devinfo", "--property", "a=1", "--property", "a=2"],
        &["delete", "build", "--property", "_hidden=1"],
        &["delete", "build", "--property", "novalue"],
    ] {
        let output = jira.jira_send(home.path()).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
    }
    assert!(jira.server.received_requests().await.unwrap().is_empty());
}

#[test]
fn a_dry_run_delete_prints_the_request() {
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .args(["--dry-run", "--output", "json", "--cloud-id", CLOUD_ID])
        .args(["delete", "build", "--pipeline-id", "p", "--build-number", "3"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let request = &json(&output)["sites"][0]["requests"][0];
    assert_eq!(
        *request,
        json!({"method": "DELETE", "url": format!("https://api.atlassian.com/jira/builds/0.1/cloud/{CLOUD_ID}/pipelines/p/builds/3")})
    );
}

/// A key that is a dot segment (`.`, `..`) or empty cannot be part of a URL: a URL
/// parser resolves it, even encoded, and the DELETE would go to another path. It is a
/// usage error before any request, as it is for `gate`.
#[tokio::test]
async fn a_key_that_would_change_the_delete_url_is_a_usage_error() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["build", "--pipeline-id", "..", "--build-number", "1"][..],
        &["build", "--pipeline-id", ".", "--build-number", "1"],
        &["build", "--pipeline-id", "", "--build-number", "1"],
        &[
            "deployment",
            "--pipeline-id",
            "p",
            "--environment-id",
            "..",
            "--deployment-number",
            "1",
        ],
        &["devinfo", "--repository-id", ".."],
        &[
            "devinfo",
            "--repository-id",
            "r1",
            "--entity",
            "commit",
            "--entity-id",
            "..",
        ],
        &["flag", "--id", ".."],
    ] {
        let output = jira_send(home.path())
            .envs(FakeJira::credentials())
            .args(jira.args())
            .arg("delete")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("cannot be part of a URL"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(jira.server.received_requests().await.unwrap().is_empty());
}
