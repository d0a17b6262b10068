//! The token cache shared by invocations, renewal after a 401, refused credentials.

use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{FakeJira, SIMPLE_BUILD, jira_send, jira_send_std, stderr};

#[tokio::test]
async fn three_invocations_in_a_row_make_one_token_request() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    for _ in 0..3 {
        let output = jira.simple_build(home.path());
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
    let output = jira.simple_build(home.path());
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
    let output = jira.simple_build(home.path());
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
    jira.simple_build(home.path());
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

/// Hostile report, S4: a secret stored with its line end (or blanks around it) is sent
/// without them, whether it comes from `JIRA_CLIENT_SECRET` or from a file: one rule
/// for both, where the variable's newline used to be sent.
#[tokio::test]
async fn a_secret_is_sent_without_surrounding_whitespace_from_a_variable_or_a_file() {
    use crate::common::fake::CLIENT_SECRET;
    let jira = FakeJira::start().await;
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("secret");
    std::fs::write(&file, format!("{CLIENT_SECRET}\r\n")).unwrap();
    let file = file.to_str().unwrap();
    for (variable, value) in [
        ("JIRA_CLIENT_SECRET", format!("{CLIENT_SECRET}\n")),
        ("JIRA_CLIENT_SECRET", format!(" {CLIENT_SECRET}\r\n")),
        ("JIRA_CLIENT_SECRET_FILE", file.to_owned()),
    ] {
        // A home each: a cached token would spare the token request.
        let home = tempfile::tempdir().unwrap();
        let output = jira
            .jira_send(home.path())
            .env_remove("JIRA_CLIENT_SECRET")
            .env(variable, &value)
            .args(SIMPLE_BUILD)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{variable}={value:?}: {}",
            stderr(&output)
        );
    }
    let sent: Vec<String> = jira
        .requests("/oauth/token")
        .await
        .iter()
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["client_secret"].to_string())
        .collect();
    assert_eq!(sent, vec![json!(CLIENT_SECRET).to_string(); 3]);
}

/// A token endpoint that answers every request with `status` and `body`.
async fn token_endpoint(status: u16, body: &str) -> MockServer {
    let auth = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json"))
        .mount(&auth)
        .await;
    auth
}

/// A build against the fake, with tokens from `auth`.
fn build_with_tokens(jira: &FakeJira, auth: &MockServer, home: &std::path::Path) -> std::process::Output {
    jira_send(home)
        .envs(FakeJira::credentials())
        .args(["--site", &jira.uri(), "--api-url", &jira.uri()])
        .args(["--token-url", &format!("{}/oauth/token", auth.uri())])
        .args(["-v", "--no-flush"])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap()
}

#[tokio::test]
async fn absurd_token_lifetimes_neither_crash_nor_linger() {
    // Clamped (cached: one token for two runs), or unusable (used once, not cached).
    for (expires_in, cached) in [
        ("9223372036854775807", true),
        ("1e300", true),
        // Beyond f64: JSON all the same, clamped like 1e300.
        ("1e400", true),
        ("\"900\"", true),
        ("0", false),
        ("-5", false),
        ("\"soon\"", false),
    ] {
        let jira = FakeJira::start().await;
        let auth = token_endpoint(
            200,
            &format!(r#"{{"access_token": "access-token-1", "expires_in": {expires_in}}}"#),
        )
        .await;
        let home = tempfile::tempdir().unwrap();
        for _ in 0..2 {
            let output = build_with_tokens(&jira, &auth, home.path());
            assert_eq!(output.status.code(), Some(0), "{expires_in}: {}", stderr(&output));
            if !cached {
                assert!(
                    stderr(&output).contains("for this run only, not caching it"),
                    "{expires_in}: {}",
                    stderr(&output)
                );
            }
        }
        let requests = auth.received_requests().await.unwrap().len();
        assert_eq!(requests, if cached { 1 } else { 2 }, "{expires_in}");
        assert_eq!(jira.deliveries.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}

#[tokio::test]
async fn a_bad_token_is_a_bad_answer_never_used_nor_cached() {
    for body in [
        r#"{"access_token": "abc\r\ndef", "expires_in": 3600}"#,
        r#"{"access_token": "", "expires_in": 3600}"#,
        r#"{"expires_in": 3600}"#,
        "<html>proxy</html>",
    ] {
        let jira = FakeJira::start().await;
        let auth = token_endpoint(200, body).await;
        let home = tempfile::tempdir().unwrap();
        for _ in 0..2 {
            let output = build_with_tokens(&jira, &auth, home.path());
            assert_eq!(output.status.code(), Some(4), "{body}: {}", stderr(&output));
            assert!(
                crate::common::stdout(&output).contains("a bad answer from the token endpoint"),
                "{body}: {}",
                crate::common::stdout(&output)
            );
        }
        assert!(
            jira.bulk_bodies("builds").await.is_empty(),
            "{body}: nothing sent"
        );
        assert_eq!(
            auth.received_requests().await.unwrap().len(),
            2 * jira_send::http::retry::MAX_ATTEMPTS as usize,
            "{body}: asked again within a run, and again the next run: nothing was cached"
        );
    }
}

#[tokio::test]
async fn a_wrong_secret_is_refused_even_with_a_token_cached() {
    let jira = FakeJira::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_partial_json(
            json!({"client_secret": "a-wrong-secret-value"}),
        ))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "access_denied", "error_description": "Unauthorized"})),
        )
        .with_priority(1)
        .mount(&jira.server)
        .await;
    let home = tempfile::tempdir().unwrap();
    let run = |secret: &str| {
        jira_send(home.path())
            .env("JIRA_CLIENT_ID", crate::common::fake::CLIENT_ID)
            .env("JIRA_CLIENT_SECRET", secret)
            .args(jira.args())
            .args(SIMPLE_BUILD)
            .output()
            .unwrap()
    };
    assert_eq!(run(crate::common::fake::CLIENT_SECRET).status.code(), Some(0));
    let output = run("a-wrong-secret-value");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(
        jira.requests("/oauth/token").await.len(),
        2,
        "the cached token was not used"
    );
    // The right secret still finds its cached token.
    assert_eq!(run(crate::common::fake::CLIENT_SECRET).status.code(), Some(0));
    assert_eq!(jira.requests("/oauth/token").await.len(), 2);
}

#[tokio::test]
async fn a_token_endpoint_redirect_is_not_followed() {
    let jira = FakeJira::start().await;
    let elsewhere = MockServer::start().await;
    for status in [301, 302, 307, 308] {
        let auth = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("Location", format!("{}/oauth/token", elsewhere.uri())),
            )
            .mount(&auth)
            .await;
        let home = tempfile::tempdir().unwrap();
        let output = build_with_tokens(&jira, &auth, home.path());
        assert_eq!(output.status.code(), Some(3), "{status}: {}", stderr(&output));
        let text = crate::common::stdout(&output);
        assert!(
            text.contains(&format!("redirect to {}/oauth/token", elsewhere.uri())),
            "{status}: {text}"
        );
    }
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "the secret went nowhere else"
    );
    assert!(jira.bulk_bodies("builds").await.is_empty());
}

/// A server that answers every request 200 with a body that never ends; it counts
/// the bytes it managed to write before the client hung up.
fn endless_answer() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = written.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"access_token\": \"");
            let chunk = vec![b'a'; 64 * 1024];
            while stream.write_all(&chunk).is_ok() {
                count.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    (format!("http://{addr}"), written)
}

#[tokio::test]
async fn an_endless_token_answer_is_read_only_so_far() {
    let jira = FakeJira::start().await;
    let (endless, written) = endless_answer();
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(["--site", &jira.uri(), "--api-url", &jira.uri()])
        .args(["--token-url", &format!("{endless}/oauth/token"), "--no-flush"])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let written = written.load(std::sync::atomic::Ordering::SeqCst);
    // Each attempt reads 64 KiB; what the kernel buffers besides is a few MB at most.
    assert!(
        written < jira_send::http::retry::MAX_ATTEMPTS as usize * 16 * 1024 * 1024,
        "{written} bytes were taken"
    );
    assert!(jira.bulk_bodies("builds").await.is_empty());
}

/// A cached token is checked like an issued one: one with a line break (a cache from
/// an older version, or damaged) failed every run locally as an "outage" until its
/// expiry, and an empty one was sent as `Bearer `. Either is ignored and replaced by a
/// fresh token; so is one whose expiry no token of jira-send's could have (2099).
#[tokio::test]
async fn a_cached_token_is_checked_like_an_issued_one() {
    for (planted, expires_at) in [
        ("abc\r\nX-Injected: 1", "2099-01-01T00:00:00Z"),
        ("", "2099-01-01T00:00:00Z"),
        ("planted-token-value", "2099-01-01T00:00:00Z"),
    ] {
        let jira = FakeJira::start().await;
        let home = tempfile::tempdir().unwrap();
        assert_eq!(jira.simple_build(home.path()).status.code(), Some(0));
        let cache: Vec<_> = std::fs::read_dir(home.path().join("jira-send-cache"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json") && p.to_string_lossy().contains("token-"))
            .collect();
        std::fs::write(
            &cache[0],
            json!({"accessToken": planted, "expiresAt": expires_at}).to_string(),
        )
        .unwrap();
        let output = jira.simple_build(home.path());
        assert_eq!(output.status.code(), Some(0), "{planted:?}: {}", stderr(&output));
        assert_eq!(jira.tokens_issued(), 2, "{planted:?}: a fresh token was fetched");
        let requests = jira.requests("/jira/builds/").await;
        assert_eq!(requests.len(), 2, "{planted:?}: sent once, at the first attempt");
        assert_eq!(requests[1].headers["authorization"], "Bearer access-token-2");
        // The fresh token replaced the planted one.
        let third = jira.simple_build(home.path());
        assert_eq!(third.status.code(), Some(0));
        assert_eq!(jira.tokens_issued(), 2, "{planted:?}: the fresh token was cached");
    }
}
