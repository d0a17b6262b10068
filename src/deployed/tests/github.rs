//! The GitHub deployments and statuses endpoints, faked on loopback.

use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{TOKEN, capture_logs, client, deadline, github};
use crate::clock;
use crate::deployed::github::last_success;
use crate::deployed::{Answer, Deployed};

pub(super) const HEAD: &str = "ffffffffffffffffffffffffffffffffffffffff";
pub(super) const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
pub(super) const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

fn deployment(id: u64, sha: &str, created: &str) -> Value {
    json!({"id": id, "sha": sha, "ref": "main", "environment": "Production EU", "created_at": created})
}

fn statuses(states: &[&str]) -> ResponseTemplate {
    let list: Vec<Value> = states.iter().map(|s| json!({"state": s})).collect();
    ResponseTemplate::new(200).set_body_json(list)
}

async fn mount_statuses(server: &MockServer, prefix: &str, id: u64, states: &[&str], times: u64) {
    Mock::given(method("GET"))
        .and(path(format!("{prefix}/repos/acme/app/deployments/{id}/statuses")))
        .respond_with(statuses(states))
        .expect(times)
        .mount(server)
        .await;
}

/// Each request's path and query, in order.
pub(super) async fn requests(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{}?{}", r.url.path(), r.url.query().unwrap_or_default()))
        .collect()
}

/// A GitHub that gives every request `answer`, and expects `times` of them.
async fn answering(answer: ResponseTemplate, times: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(answer)
        .expect(times)
        .mount(&server)
        .await;
    server
}

/// The lookup at `server` within `deadline`, which fails: its warning and remedy.
async fn failed_lookup(server: &MockServer, deadline: std::time::Instant) -> (String, Option<String>) {
    match last_success(&github(&server.uri(), "prod"), HEAD, &client(), deadline).await {
        Answer::Failed { warning, remedy } => (warning, remedy),
        answer => panic!("{answer:?}"),
    }
}

pub(super) fn assert_github_headers(request: &Request) {
    let header = |name: &str| request.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("authorization"), Some(format!("Bearer {TOKEN}")));
    assert_eq!(header("accept").as_deref(), Some("application/vnd.github+json"));
    assert_eq!(header("x-github-api-version").as_deref(), Some("2022-11-28"));
    assert!(header("user-agent").unwrap().starts_with("jira-send/"));
    assert!(
        !request.url.as_str().contains(TOKEN),
        "the token only in a header"
    );
}

#[tokio::test]
async fn the_newest_success_wins_past_the_runs_own_deployment_and_a_failed_one() {
    // GitHub Enterprise Server: the API lives under /api/v3.
    let server = MockServer::start().await;
    let api = format!("{}/api/v3", server.uri());
    Mock::given(method("GET"))
        .and(path("/api/v3/repos/acme/app/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            deployment(500, HEAD, "2026-11-22T10:00:00Z"),
            deployment(400, B, "2026-11-21T10:00:00Z"),
            deployment(300, A, "2026-11-20T10:00:00Z"),
            deployment(200, C, "2026-11-19T10:00:00Z"),
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_statuses(&server, "/api/v3", 500, &["in_progress"], 0).await;
    mount_statuses(&server, "/api/v3", 400, &["failure", "in_progress"], 1).await;
    // A success that a newer deployment then marked inactive still counts.
    mount_statuses(
        &server,
        "/api/v3",
        300,
        &["inactive", "success", "in_progress"],
        1,
    )
    .await;
    mount_statuses(&server, "/api/v3", 200, &["success"], 0).await;

    let answer = last_success(&github(&api, "Production EU"), HEAD, &client(), deadline(30)).await;

    assert_eq!(
        answer,
        Answer::Found(Deployed {
            sha: A.into(),
            detail: "GitHub deployment 300, 2026-11-20, aaaaaaa".into(),
        })
    );
    assert_eq!(
        requests(&server).await,
        [
            "/api/v3/repos/acme/app/deployments?environment=Production+EU&per_page=30",
            "/api/v3/repos/acme/app/deployments/400/statuses?per_page=100",
            "/api/v3/repos/acme/app/deployments/300/statuses?per_page=100",
        ]
    );
    for request in server.received_requests().await.unwrap() {
        assert_github_headers(&request);
    }
}

#[tokio::test]
async fn at_most_ten_status_requests() {
    let server = MockServer::start().await;
    let list: Vec<Value> = (1..=25)
        .map(|i| deployment(i, B, "2026-11-20T00:00:00Z"))
        .collect();
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(
            r"^/repos/acme/app/deployments/\d+/statuses$",
        ))
        .respond_with(statuses(&["failure"]))
        .expect(10)
        .mount(&server)
        .await;

    let answer = last_success(&github(&server.uri(), "prod"), HEAD, &client(), deadline(30)).await;

    let Answer::Missing { why, remedy: None } = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(
        why,
        "none of the 10 newest earlier deployments to the GitHub environment \"prod\" succeeded"
    );
}

#[tokio::test]
async fn every_earlier_deployment_failed_is_none_yet() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            deployment(2, HEAD, "2026-11-21T00:00:00Z"),
            deployment(1, B, "2026-11-20T00:00:00Z"),
        ])))
        .mount(&server)
        .await;
    mount_statuses(&server, "", 1, &["failure"], 1).await;
    let answer = last_success(&github(&server.uri(), "prod"), HEAD, &client(), deadline(30)).await;
    assert_eq!(
        answer,
        Answer::NoneYet(
            "none of the 1 newest earlier deployments to the GitHub environment \"prod\" succeeded".into()
        )
    );
}

#[tokio::test]
async fn an_environment_without_deployments_suggests_github_environment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let answer = last_success(
        &github(&server.uri(), "Production EU"),
        HEAD,
        &client(),
        deadline(30),
    )
    .await;
    let Answer::Missing {
        remedy: Some(remedy), ..
    } = answer
    else {
        panic!("{answer:?}")
    };
    assert!(remedy.contains("--github-environment"));
}

#[tokio::test]
async fn a_missing_permission_is_a_warning_naming_it_and_the_token_stays_secret() {
    // A server that echoes the credential back in its error.
    let server = answering(
        ResponseTemplate::new(403).set_body_json(json!({
            "message": format!("Resource not accessible by integration (token {TOKEN})"),
            "documentation_url": "https://docs.github.com/rest/deployments/deployments"
        })),
        1,
    )
    .await;
    let (logs, _guard) = capture_logs();

    let (warning, remedy) = failed_lookup(&server, deadline(30)).await;

    assert_eq!(
        warning,
        "cannot read the deployments of the GitHub environment \"prod\": GitHub refused the token (403): \
         Resource not accessible by integration (token ****): it needs `deployments: read`"
    );
    assert_eq!(
        remedy.as_deref(),
        Some("grant GITHUB_TOKEN `deployments: read` (the job's `permissions:`)")
    );
    let logs = logs.text();
    assert!(logs.contains("403"), "the request is logged at debug: {logs}");
    assert!(!logs.contains(TOKEN), "{logs}");
}

#[tokio::test]
async fn a_rate_limit_within_the_deadline_is_waited_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/deployments"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([deployment(
            7,
            A,
            "2026-11-20T00:00:00Z"
        )])))
        .expect(1)
        .mount(&server)
        .await;
    mount_statuses(&server, "", 7, &["success"], 1).await;

    let answer = last_success(&github(&server.uri(), "prod"), HEAD, &client(), deadline(30)).await;

    assert!(matches!(answer, Answer::Found(ref d) if d.sha == A), "{answer:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_gives_up_at_once() {
    let server = answering(ResponseTemplate::new(429).insert_header("retry-after", "3600"), 1).await;
    let hung = deadline(20);
    let (warning, remedy) = failed_lookup(&server, hung).await;
    assert_eq!(remedy, None);
    assert!(
        warning.ends_with("GitHub rate limit: 429 Too Many Requests, asked to wait 3600s"),
        "{warning}"
    );
    // Not a speed assertion: a lookup that slept as asked would take an hour.
    assert!(!clock::passed(hung));
}

#[tokio::test]
async fn a_secondary_rate_limit_is_no_missing_permission() {
    let server = answering(
        ResponseTemplate::new(403)
            .insert_header("x-ratelimit-remaining", "0")
            .set_body_json(json!({"message": "API rate limit exceeded for installation ID 1."})),
        1,
    )
    .await;
    let (warning, remedy) = failed_lookup(&server, deadline(30)).await;
    assert_eq!(remedy, None);
    assert!(
        warning.contains("GitHub rate limit: 403 Forbidden: API rate limit exceeded"),
        "{warning}"
    );
}

#[tokio::test]
async fn a_slow_server_is_abandoned_at_the_deadline() {
    let server = answering(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)), 1).await;
    let hung = deadline(20);
    let short = clock::deadline_in(Duration::from_millis(300)).into_std();
    let (warning, _) = failed_lookup(&server, short).await;
    assert!(
        warning.ends_with("the time for the GitHub lookup ran out"),
        "{warning}"
    );
    assert!(!clock::passed(hung));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed_with_the_token() {
    let redirect = ResponseTemplate::new(302).insert_header("location", "http://elsewhere.example/steal");
    let server = answering(redirect, 1).await;
    let (warning, _) = failed_lookup(&server, deadline(30)).await;
    assert!(
        warning.contains("a redirect to http://elsewhere.example/steal (not followed)"),
        "{warning}"
    );
}

#[tokio::test]
async fn a_server_error_is_retried_then_given_up() {
    let server = answering(
        ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"),
        3,
    )
    .await;
    let (warning, _) = failed_lookup(&server, deadline(30)).await;
    assert!(
        warning.ends_with("502 Bad Gateway: <html>bad gateway</html>"),
        "{warning}"
    );
}
