use pretty_assertions::assert_eq;
use serde_json::json;

use crate::common::{FakeJira, TestRepo, github_push, json, stderr};
use crate::spec::assert_official_accepts;

#[tokio::test]
async fn a_deployment_to_production_eu_is_typed_and_has_a_stable_environment_id() {
    let jira = FakeJira::start().await;
    let repo = TestRepo::new("main");
    let base = repo.commit("Release 1");
    repo.commit("ABC-7 make checkout faster");
    let home = tempfile::tempdir().unwrap();
    let mut environment_ids = Vec::new();
    for run in 0..2 {
        let output = jira
            .jira_send(home.path())
            .current_dir(repo.path())
            .envs(github_push("main", Some(&base.to_string()), home.path()))
            .args(["deployment", "--environment", "Production EU", "--output", "json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "run {run}: {}", stderr(&output));
        let report = json(&output);
        assert_eq!(
            report["sites"][0]["accepted"][0]["environmentId"], "production-eu",
            "the answer keys the deployment by its environment"
        );
        let body = jira.bulk_bodies("deployments").await.pop().unwrap();
        assert_official_accepts("deployments", &body);
        let deployment = &body["deployments"][0];
        assert_eq!(deployment["environment"]["type"], "production");
        assert_eq!(deployment["environment"]["displayName"], "Production EU");
        assert_eq!(deployment["deploymentSequenceNumber"], 42);
        assert_eq!(deployment["pipeline"]["id"], "acme/app/CI");
        assert_eq!(
            deployment["pipeline"]["url"],
            "https://github.com/acme/app/actions"
        );
        assert_eq!(
            deployment["associations"],
            json!([{"associationType": "issueIdOrKeys", "values": ["ABC-7"]}])
        );
        environment_ids.push(deployment["environment"]["id"].clone());
    }
    assert_eq!(environment_ids[0], environment_ids[1]);
    assert_eq!(environment_ids[0], "production-eu");
}

#[tokio::test]
async fn a_gated_deployment_asks_jira_to_gate_it() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args([
            "deployment",
            "--environment",
            "staging",
            "--issue-key",
            "ABC-1",
            "--deployment-number",
            "3",
        ])
        .args([
            "--url",
            "https://ci.example.com/3",
            "--pipeline-id",
            "acme",
            "--gate",
            "--state",
            "pending",
        ])
        .args(["--service", "svc-1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = &jira.bulk_bodies("deployments").await[0];
    let deployment = &body["deployments"][0];
    assert_eq!(
        deployment["commands"],
        json!([{"command": "initiate_deployment_gating"}])
    );
    assert_eq!(deployment["state"], "pending");
    assert_eq!(deployment["environment"]["type"], "staging");
    assert_eq!(
        deployment["associations"][1],
        json!({"associationType": "serviceIdOrKeys", "values": ["svc-1"]})
    );
    assert_official_accepts("deployments", body);
}

#[tokio::test]
async fn gitlab_names_the_environment_and_its_tier() {
    let jira = FakeJira::start().await;
    let repo = TestRepo::new("main");
    repo.commit("ABC-9 ship it");
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .current_dir(repo.path())
        .envs([
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "acme/shop"),
            ("CI_PROJECT_URL", "https://gitlab.com/acme/shop"),
            ("CI_PIPELINE_IID", "314"),
            ("CI_PIPELINE_ID", "99999999"),
            (
                "CI_PIPELINE_URL",
                "https://gitlab.com/acme/shop/-/pipelines/99999999",
            ),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_ENVIRONMENT_NAME", "eu-west"),
            ("CI_ENVIRONMENT_TIER", "production"),
            ("CI_JOB_STATUS", "failed"),
        ])
        .args(["deployment"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = &jira.bulk_bodies("deployments").await[0];
    let deployment = &body["deployments"][0];
    assert_eq!(deployment["environment"]["id"], "eu-west");
    assert_eq!(
        deployment["environment"]["type"], "production",
        "the tier wins over the name"
    );
    assert_eq!(deployment["deploymentSequenceNumber"], 314);
    assert_eq!(deployment["state"], "failed");
    assert_eq!(deployment["pipeline"]["id"], "acme/shop");
    assert_eq!(
        deployment["url"],
        "https://gitlab.com/acme/shop/-/pipelines/99999999"
    );
    assert_official_accepts("deployments", body);
}

#[tokio::test]
async fn association_values_are_capped_at_500_with_a_warning() {
    let jira = FakeJira::start().await;
    let keys: Vec<String> = (1..=520).map(|i| format!("ABC-{i}")).collect();
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .env("JIRA_ISSUE_KEYS", keys.join(","))
        .args(["deployment", "--environment", "prod", "--deployment-number", "1"])
        .args(["--url", "https://ci.example.com/1", "--pipeline-id", "acme"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the last 20 were dropped"),
        "{}",
        stderr(&output)
    );
    let body = &jira.bulk_bodies("deployments").await[0];
    assert_eq!(
        body["deployments"][0]["associations"][0]["values"]
            .as_array()
            .unwrap()
            .len(),
        500
    );
}
