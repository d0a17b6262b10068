use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::fake::{CLIENT_SECRET, CLOUD_ID, ClosedPort};
use crate::common::{FakeJira, SIMPLE_BUILD, TestRepo, github_push, jira_send, json, stderr};
use crate::spec::assert_official_accepts;

/// A repository on `feature/ABC-123-login` with two keyed commits after `base`.
fn feature_repo() -> (TestRepo, git2::Oid) {
    let repo = TestRepo::new("feature/ABC-123-login");
    let base = repo.commit("Initial commit");
    repo.commit("DEF-1 add the login form");
    repo.commit("Fix a typo\n\nRefs GHI-2 and DEF-1");
    (repo, base)
}

/// The contract's main promise: on a feature branch in GitHub Actions, one build that
/// Atlassian's own schema accepts, carrying the branch's key and the range's keys.
#[tokio::test]
async fn a_github_actions_build_is_sent_end_to_end() {
    let jira = FakeJira::start().await;
    let (repo, base) = feature_repo();
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .current_dir(repo.path())
        .envs(github_push(
            "feature/ABC-123-login",
            Some(&base.to_string()),
            home.path(),
        ))
        .args(["build", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let bodies = jira.bulk_bodies("builds").await;
    assert_eq!(bodies.len(), 1);
    let build = &bodies[0]["builds"][0];
    assert_eq!(bodies[0]["builds"].as_array().unwrap().len(), 1);
    assert_eq!(build["issueKeys"], json!(["ABC-123", "GHI-2", "DEF-1"]));
    assert_eq!(build["pipelineId"], "acme/app/CI");
    assert_eq!(build["buildNumber"], 42);
    assert_eq!(
        build["url"],
        "https://github.com/acme/app/actions/runs/9876543210"
    );
    assert_eq!(build["state"], "successful");
    assert_eq!(build["schemaVersion"], "1.0");
    assert_eq!(build["references"][0]["ref"]["name"], "feature/ABC-123-login");
    assert_eq!(bodies[0]["properties"]["source"], "jira-send");
    assert!(
        bodies[0]["providerMetadata"]["product"]
            .as_str()
            .unwrap()
            .contains("GitHub Actions")
    );
    assert_official_accepts("builds", &bodies[0]);

    let requests = jira.requests("/jira/builds/").await;
    assert_eq!(
        requests[0].url.path(),
        format!("/jira/builds/0.1/cloud/{CLOUD_ID}/bulk")
    );
    assert_eq!(requests[0].headers["authorization"], "Bearer access-token-1");

    let report = json(&output);
    assert_eq!(report["command"], "build");
    assert_eq!(report["dryRun"], false);
    assert_eq!(report["issueKeys"], json!(["ABC-123", "GHI-2", "DEF-1"]));
    assert_eq!(report["keySources"]["ABC-123"], json!(["branch"]));
    assert_eq!(report["keySources"]["DEF-1"].as_array().unwrap().len(), 2);
    assert_eq!(report["exitCode"], 0);
    let site = &report["sites"][0];
    assert_eq!(site["site"], jira.site_name());
    assert_eq!(site["cloudId"], CLOUD_ID);
    assert_eq!(site["requests"], 1);
    assert_eq!(
        site["accepted"],
        json!([{"pipelineId": "acme/app/CI", "buildNumber": 42}])
    );
    assert_eq!(site["rejected"], json!([]));
    assert_eq!(site["unknownIssueKeys"], json!([]));
    assert_eq!(site["outbox"], json!(null));
    assert_eq!(site["error"], json!(null));
}

#[tokio::test]
async fn a_rejected_build_exits_1_unless_fail_on_forgives_it() {
    let jira = FakeJira::start().await;
    jira.reject_numbers.lock().unwrap().push(7);
    let home = tempfile::tempdir().unwrap();
    let run = |fail_on: &str| {
        jira.jira_send(home.path())
            .args([
                "build",
                "--issue-key",
                "ABC-1",
                "--build-number",
                "7",
                "--url",
                "https://ci.example.com/7",
            ])
            .args(["--pipeline-id", "acme", "--output", "json", "--fail-on", fail_on])
            .output()
            .unwrap()
    };
    let rejected = run("rejected");
    assert_eq!(rejected.status.code(), Some(1), "{}", stderr(&rejected));
    let report = json(&rejected);
    assert_eq!(
        report["sites"][0]["rejected"],
        json!([{"key": {"pipelineId": "acme", "buildNumber": 7}, "errors": ["'url' is required"]}])
    );
    assert_eq!(report["exitCode"], 1);

    let forgiven = run("error");
    assert_eq!(forgiven.status.code(), Some(0));
    assert!(stderr(&forgiven).contains("--fail-on"), "{}", stderr(&forgiven));
}

#[tokio::test]
async fn unknown_keys_fail_only_under_fail_on_unknown_keys() {
    let jira = FakeJira::start().await;
    jira.unknown_keys.lock().unwrap().push("ABC-1".into());
    let home = tempfile::tempdir().unwrap();
    let run = |fail_on: &str| {
        jira.jira_send(home.path())
            .args(SIMPLE_BUILD)
            .args(["--fail-on", fail_on])
            .output()
            .unwrap()
    };
    let default = run("rejected");
    assert_eq!(default.status.code(), Some(0));
    assert!(
        crate::common::stdout(&default).contains("unknown issue keys"),
        "{}",
        crate::common::stdout(&default)
    );
    assert_eq!(run("unknown-keys").status.code(), Some(1));
}

#[tokio::test]
async fn no_keys_means_nothing_to_send_and_no_credentials_needed() {
    let jira = FakeJira::start().await;
    let repo = TestRepo::new("main");
    repo.commit("A commit without keys");
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .args(jira.args())
        .args(["build", "--build-number", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = crate::common::stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("no issue keys found") && text.contains("branch main"),
        "{text}"
    );
    assert!(jira.server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn several_sites_each_get_their_credentials_cloud_id_and_result() {
    let first = FakeJira::start().await;
    // The second site is named `localhost`, so it has its own per-host variables; its
    // cloud id is configured, so it is never contacted itself.
    let second_site = "http://localhost:1".to_owned();
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .env("JIRA_SITE", format!("{},{second_site}", first.uri()))
        .env("JIRA_CLIENT_ID_127_0_0_1", "first-id")
        .env("JIRA_CLIENT_SECRET_127_0_0_1", "first-secret")
        .env("JIRA_CLIENT_ID_LOCALHOST", "second-id")
        .env("JIRA_CLIENT_SECRET_LOCALHOST", "second-secret")
        .env("JIRA_CLOUD_ID_LOCALHOST", SECOND_CLOUD)
        .args([
            "--api-url",
            &first.uri(),
            "--token-url",
            &format!("{}/oauth/token", first.uri()),
        ])
        .args([
            "build",
            "--issue-key",
            "ABC-1",
            "--build-number",
            "5",
            "--url",
            "https://ci.example.com/5",
        ])
        .args(["--pipeline-id", "acme", "--output", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    let sites = report["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 2);
    assert_eq!(sites[0]["cloudId"], CLOUD_ID);
    assert_eq!(sites[1]["site"], second_site.trim_start_matches("http://"));
    assert_eq!(sites[1]["cloudId"], SECOND_CLOUD);
    // Both sites' builds went to the one API URL (first), under their own cloud ids.
    let mut paths: Vec<String> = first
        .requests("/jira/builds/")
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    // The sites are served concurrently: their requests arrive in either order.
    paths.sort();
    assert_eq!(
        paths,
        [
            format!("/jira/builds/0.1/cloud/{CLOUD_ID}/bulk"),
            format!("/jira/builds/0.1/cloud/{SECOND_CLOUD}/bulk")
        ]
    );
    let mut credentials: Vec<(String, String)> = first
        .requests("/oauth/token")
        .await
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            (
                body["client_id"].as_str().unwrap().to_owned(),
                body["client_secret"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    credentials.sort();
    assert_eq!(
        credentials,
        [
            ("first-id".to_owned(), "first-secret".to_owned()),
            ("second-id".to_owned(), "second-secret".to_owned())
        ]
    );
    assert_eq!(report["exitCode"], 0);
}

/// A second cloud id, for tests with two sites.
const SECOND_CLOUD: &str = "22222222-3333-4444-5555-666666666666";

/// Sites are served concurrently, so a slow site does not hold up the others: the
/// first site's tenant_info answers only once the second site's has been asked. Served
/// one after another, the first would never answer (the wait is bounded only so that
/// a failing test ends; a passing one never reaches the bound).
#[tokio::test]
async fn sites_are_served_concurrently() {
    let jira = FakeJira::start().await;
    let first_site = MockServer::start().await;
    let second_site = MockServer::start().await;
    let second_asked = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    let asked = second_asked.clone();
    Mock::given(method("GET"))
        .and(path("/_edge/tenant_info"))
        .respond_with(move |_: &Request| {
            let (flag, changed) = &*asked;
            let (flag, _) = changed
                .wait_timeout_while(flag.lock().unwrap(), Duration::from_secs(120), |a| !*a)
                .unwrap();
            let cloud_id = if *flag {
                CLOUD_ID
            } else {
                "the-second-site-waited-for-the-first"
            };
            ResponseTemplate::new(200).set_body_json(json!({ "cloudId": cloud_id }))
        })
        .mount(&first_site)
        .await;
    Mock::given(method("GET"))
        .and(path("/_edge/tenant_info"))
        .respond_with(move |_: &Request| {
            let (flag, changed) = &*second_asked;
            *flag.lock().unwrap() = true;
            changed.notify_all();
            ResponseTemplate::new(200).set_body_json(json!({ "cloudId": SECOND_CLOUD }))
        })
        .mount(&second_site)
        .await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send_to_sites(
            home.path(),
            &format!("{},{}", first_site.uri(), second_site.uri()),
        )
        .args([
            "--request-timeout",
            "300s",
            "--timeout",
            "300s",
            "--output",
            "json",
        ])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["sites"][0]["cloudId"], CLOUD_ID);
    assert_eq!(report["sites"][1]["cloudId"], SECOND_CLOUD);
    assert_eq!(jira.deliveries.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_worst_site_decides_the_exit_code() {
    let jira = FakeJira::start().await;
    jira.reject_numbers.lock().unwrap().push(3);
    let home = tempfile::tempdir().unwrap();
    let closed = ClosedPort::new();
    // The second site's tenant_info cannot be reached: delivery failure (4); the first
    // rejects (1); the rejection is worse, because it cannot be retried.
    let output = jira
        .jira_send_to_sites(home.path(), &format!("{},{}", jira.uri(), closed.uri()))
        .args([
            "build",
            "--pipeline-id",
            "app",
            "--issue-key",
            "ABC-1",
            "--build-number",
            "3",
            "--url",
            "https://ci.example.com/3",
        ])
        .args(["--output", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(
        report["sites"][1]["error"]
            .as_str()
            .map(|e| e.contains(&closed.addr.to_string())),
        Some(true)
    );
    assert_eq!(output.status.code(), Some(1), "{report}");
}

#[tokio::test]
async fn an_unreachable_jira_is_a_delivery_failure() {
    let home = tempfile::tempdir().unwrap();
    let closed = ClosedPort::new();
    let down = closed.uri();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(["--site", &down, "--api-url", &down])
        .args(["--token-url", &format!("{down}/oauth/token"), "--timeout", "20s"])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
}

#[tokio::test]
async fn a_missing_permission_is_named() {
    let jira = FakeJira::start().await;
    let forbidden = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(403))
        .mount(&forbidden)
        .await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send_with_api(home.path(), &forbidden.uri())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(
        crate::common::stdout(&output).contains("Builds permission"),
        "{}",
        crate::common::stdout(&output)
    );
}

#[tokio::test]
async fn secrets_never_appear_in_any_output() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    for extra in [&["-vv"][..], &["-vvv"], &["-vv", "--output", "json"]] {
        let output = jira
            .jira_send(home.path())
            .args(extra)
            .args(SIMPLE_BUILD)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let all = format!("{}{}", crate::common::stdout(&output), stderr(&output));
        assert!(
            !all.contains(CLIENT_SECRET),
            "the client secret leaked with {extra:?}"
        );
        assert!(
            !all.contains("access-token-"),
            "the access token leaked with {extra:?}:\n{all}"
        );
    }
}

#[tokio::test]
async fn test_counts_reach_the_payload() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args(SIMPLE_BUILD)
        .args([
            "--tests-total",
            "10",
            "--tests-failed",
            "3",
            "--tests-skipped",
            "2",
            "--state",
            "failed",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = &jira.bulk_bodies("builds").await[0];
    assert_eq!(
        body["builds"][0]["testInfo"],
        json!({"totalNumber": 10, "numberPassed": 5, "numberFailed": 3, "numberSkipped": 2})
    );
    assert_eq!(body["builds"][0]["state"], "failed");
    assert_official_accepts("builds", body);
}

#[tokio::test]
async fn a_dry_run_prints_the_requests_and_touches_nothing() {
    let jira = FakeJira::start().await;
    let (repo, base) = feature_repo();
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .envs(github_push(
            "feature/ABC-123-login",
            Some(&base.to_string()),
            home.path(),
        ))
        .args(jira.args())
        .args(["build", "--dry-run", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["dryRun"], true);
    let request = &report["sites"][0]["requests"][0];
    assert_eq!(request["method"], "POST");
    assert_eq!(
        request["url"],
        format!("{}/jira/builds/0.1/cloud/{{cloudId}}/bulk", jira.uri())
    );
    assert_eq!(
        request["body"]["builds"][0]["issueKeys"],
        json!(["ABC-123", "GHI-2", "DEF-1"])
    );
    assert_official_accepts("builds", &request["body"]);
    assert!(jira.server.received_requests().await.unwrap().is_empty());

    // Without any site, one entry with a null site.
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .envs(github_push("feature/ABC-123-login", None, home.path()))
        .env("JIRA_SEND_DRY_RUN", "1")
        .args(["build", "--output", "json", "--cloud-id", SECOND_CLOUD])
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(report["sites"][0]["site"], json!(null));
    assert_eq!(
        report["sites"][0]["requests"][0]["url"],
        format!("https://api.atlassian.com/jira/builds/0.1/cloud/{SECOND_CLOUD}/bulk")
    );
}

#[tokio::test]
async fn a_payload_file_of_any_size_is_sent_in_requests_within_the_limit() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut body = many_builds(250);
    body["properties"] = json!({"source": "backfill"});
    let file = home.path().join("builds.json");
    std::fs::write(&file, body.to_string()).unwrap();
    let output = jira
        .jira_send(home.path())
        .args(["send", "--output", "json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bodies = jira.bulk_bodies("builds").await;
    let sizes: Vec<usize> = bodies
        .iter()
        .map(|b| b["builds"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert!(bodies.iter().all(|b| b["properties"]["source"] == "backfill"));
    assert_eq!(
        json(&output)["sites"][0]["accepted"].as_array().unwrap().len(),
        250
    );

    // An invalid entity stops everything before the network.
    let mut broken = many_builds(150);
    broken["builds"][120]["state"] = json!("done");
    std::fs::write(&file, broken.to_string()).unwrap();
    let output = jira
        .jira_send(home.path())
        .arg("send")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("/builds/120/state"),
        "{}",
        stderr(&output)
    );
    assert_eq!(jira.bulk_bodies("builds").await.len(), 3, "nothing more was sent");
}

/// A builds body of `count` valid builds.
fn many_builds(count: u64) -> serde_json::Value {
    let builds: Vec<serde_json::Value> = (1..=count)
        .map(|n| {
            json!({"schemaVersion": "1.0", "pipelineId": "replay", "buildNumber": n, "updateSequenceNumber": n,
                   "displayName": format!("replay #{n}"), "url": format!("https://ci.example.com/{n}"), "state": "successful",
                   "lastUpdated": "2026-11-22T10:00:00.000Z", "issueKeys": ["ABC-1"]})
        })
        .collect();
    json!({"builds": builds})
}
