//! The token cache shared by invocations, renewal after a 401, refused credentials.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{FakeJira, SIMPLE_BUILD, jira_send, jira_send_std, stderr};

#[tokio::test]
async fn three_invocations_in_a_row_make_one_token_request() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    for _ in 0..3 {
        let output = jira_send(home.path())
            .envs(FakeJira::credentials())
            .args(jira.args())
            .args(SIMPLE_BUILD)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    assert_eq!(jira.tokens_issued(), 1);
    assert_eq!(
        jira.requests("/_edge/tenant_info").await.len(),
        1,
        "the cloud id is cached too"
    );
    assert_eq!(jira.bulk_bodies("builds").await.len(), 3);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let cache = home.path().join("jira-send-cache");
        let tokens: Vec<_> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json") && p.to_string_lossy().contains("token-"))
            .collect();
        assert_eq!(tokens.len(), 1);
        assert_eq!(
            std::fs::metadata(&tokens[0]).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let text = std::fs::read_to_string(&tokens[0]).unwrap();
        assert!(
            !text.contains(crate::common::fake::CLIENT_SECRET),
            "the secret is never cached"
        );
    }
}

#[tokio::test]
async fn parallel_invocations_with_a_cold_cache_make_one_token_request() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..8)
        .map(|_| {
            let mut cmd = jira_send_std(home.path());
            cmd.envs(FakeJira::credentials())
                .args(jira.args())
                .args(SIMPLE_BUILD);
            cmd.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert_eq!(child.wait().unwrap().code(), Some(0));
    }
    assert_eq!(jira.tokens_issued(), 1);
    assert_eq!(jira.bulk_bodies("builds").await.len(), 8);
}

#[tokio::test]
async fn a_401_gets_one_fresh_token_and_one_retry() {
    let jira = FakeJira::start().await;
    jira.unauthorized.store(1, std::sync::atomic::Ordering::SeqCst);
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(jira.tokens_issued(), 2);
    let requests = jira.requests("/jira/builds/").await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].headers["authorization"], "Bearer access-token-2");
    assert_eq!(
        requests[0].body, requests[1].body,
        "the retry resends the same body, sequence number included"
    );
}

#[tokio::test]
async fn a_second_401_is_an_authentication_failure() {
    let jira = FakeJira::start().await;
    jira.unauthorized.store(2, std::sync::atomic::Ordering::SeqCst);
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(jira.tokens_issued(), 2, "exactly one renewal");
}

#[tokio::test]
async fn refused_credentials_exit_3() {
    let jira = FakeJira::start().await;
    let auth = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "access_denied", "error_description": "Unauthorized"})),
        )
        .expect(1)
        .mount(&auth)
        .await;
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(["--site", &jira.uri(), "--api-url", &jira.uri()])
        .args(["--token-url", &format!("{}/oauth/token", auth.uri())])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let text = crate::common::stdout(&output);
    assert!(text.contains("access_denied: Unauthorized"), "{text}");
    assert!(jira.bulk_bodies("builds").await.is_empty());
}

#[tokio::test]
async fn the_token_request_is_the_documented_json() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    let request = &jira.requests("/oauth/token").await[0];
    assert_eq!(request.headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!({
            "audience": "api.atlassian.com",
            "grant_type": "client_credentials",
            "client_id": crate::common::fake::CLIENT_ID,
            "client_secret": crate::common::fake::CLIENT_SECRET,
        })
    );
}
