//! No secret in any output: every command, at the most verbose log level.

use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::fake::CLIENT_SECRET;
use crate::common::{FakeJira, SIMPLE_BUILD, TestRepo, jira_send};

#[tokio::test]
async fn no_command_prints_a_secret_even_at_vv() {
    let jira = FakeJira::start().await;
    jira.gate_answers
        .lock()
        .unwrap()
        .push_back((200, serde_json::json!({"gatingStatus": "allowed"})));
    let repo = TestRepo::new("feature/ABC-1-x");
    repo.remote(
        "origin",
        "https://user:remote-password-123@github.com/acme/app.git",
    );
    repo.commit("ABC-1 work");
    let home = tempfile::tempdir().unwrap();
    let payload = home.path().join("build.json");
    std::fs::write(
        &payload,
        r#"{"builds":[{"pipelineId":"p","buildNumber":1,"updateSequenceNumber":1,"displayName":"d","url":"https://x.example/1","state":"successful","lastUpdated":"2026-11-22T10:00:00.000Z","issueKeys":["ABC-1"]}]}"#,
    )
    .unwrap();
    let payload = payload.to_string_lossy().into_owned();
    let closed = crate::common::fake::ClosedPort::new();
    let down = closed.uri();
    let api = jira.uri();
    let commands: Vec<(i32, Vec<&str>)> = vec![
        (
            0,
            vec![
                "--api-url",
                &api,
                "build",
                "--build-number",
                "1",
                "--url",
                "https://ci.example.com/1",
            ],
        ),
        (
            0,
            vec![
                "--api-url",
                &api,
                "deployment",
                "--environment",
                "prod",
                "--deployment-number",
                "1",
                "--url",
                "https://ci.example.com/1",
            ],
        ),
        (0, vec!["--api-url", &api, "devinfo"]),
        (
            0,
            vec![
                "--api-url",
                &api,
                "flag",
                "--id",
                "f",
                "--enabled",
                "true",
                "--environment",
                "prod",
                "--url",
                "https://ci.example.com/1",
            ],
        ),
        (0, vec!["--api-url", &api, "keys"]),
        (0, vec!["--api-url", &api, "validate", &payload]),
        (0, vec!["--api-url", &api, "env"]),
        (
            0,
            vec![
                "--api-url",
                &api,
                "delete",
                "build",
                "--pipeline-id",
                "p",
                "--build-number",
                "1",
            ],
        ),
        (
            0,
            vec![
                "--api-url",
                &api,
                "gate",
                "--environment",
                "prod",
                "--deployment-number",
                "1",
            ],
        ),
        (
            0,
            vec![
                "--api-url",
                &api,
                "doctor",
                "--apis",
                "builds,deployments,devinfo,featureflags",
            ],
        ),
        (
            4,
            vec![
                "--api-url",
                &down,
                "--timeout",
                "2s",
                "build",
                "--build-number",
                "2",
                "--url",
                "https://ci.example.com/2",
            ],
        ),
        (0, vec!["--api-url", &api, "flush"]),
        (
            0,
            vec![
                "--api-url",
                &api,
                "build",
                "--build-number",
                "3",
                "--dry-run",
                "--output",
                "json",
                "--url",
                "https://ci.example.com/3",
            ],
        ),
    ];
    let site = ["--site", &api, "--token-url", &format!("{api}/oauth/token")].map(str::to_owned);
    for (expected, command) in commands {
        for verbosity in ["-vv", "-vvv"] {
            let output = jira_send(home.path())
                .current_dir(repo.path())
                .envs(FakeJira::credentials())
                .args(&site)
                .arg(verbosity)
                .args(&command)
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert_eq!(output.status.code(), Some(expected), "{command:?} {verbosity}");
            for secret in [CLIENT_SECRET, "access-token-", "remote-password-123"] {
                assert!(
                    !all.contains(secret),
                    "{command:?} {verbosity} printed {secret:?}:\n{all}"
                );
            }
        }
    }
    // And nothing secret on disk but the token cache.
    for entry in walk(home.path()) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(
            !text.contains(CLIENT_SECRET),
            "{} holds the client secret",
            entry.display()
        );
        let is_token_cache = entry.file_name().unwrap().to_string_lossy().starts_with("token-");
        assert!(
            is_token_cache || !text.contains("access-token-"),
            "{} holds a token",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// stdout and stderr of a run, together.
fn everything(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn a_secret_echoed_by_the_token_endpoint_is_masked() {
    let jira = FakeJira::start().await;
    let auth = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": format!("no client with secret {CLIENT_SECRET}"),
        })))
        .mount(&auth)
        .await;
    for format in ["text", "json"] {
        let home = tempfile::tempdir().unwrap();
        let output = jira_send(home.path())
            .envs(FakeJira::credentials())
            .args(["--site", &jira.uri(), "--api-url", &jira.uri()])
            .args(["--token-url", &format!("{}/oauth/token", auth.uri())])
            .args(["-vvv", "--output", format])
            .args(SIMPLE_BUILD)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3));
        let all = everything(&output);
        assert!(!all.contains(CLIENT_SECRET), "{all}");
        assert!(all.contains("no client with secret ****"), "{all}");
    }
}

#[tokio::test]
async fn a_token_echoed_by_jira_is_masked_and_long_errors_are_cut() {
    let jira = FakeJira::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/jira/builds/.*/bulk$"))
        .respond_with(|request: &wiremock::Request| {
            let auth = request.headers["authorization"].to_str().unwrap().to_owned();
            ResponseTemplate::new(400).set_body_json(json!([
                {"message": format!("bad request with header {auth}")},
                {"message": "x".repeat(10_000_000)},
            ]))
        })
        .with_priority(1)
        .mount(&jira.server)
        .await;
    for format in ["text", "json"] {
        let home = tempfile::tempdir().unwrap();
        let output = jira
            .jira_send(home.path())
            .args(["-vv", "--output", format])
            .args(SIMPLE_BUILD)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "rejected");
        let all = everything(&output);
        assert!(!all.contains("access-token-"), "{}", &all[..all.len().min(4000)]);
        assert!(
            all.contains("bad request with header Bearer ****"),
            "{}",
            &all[..all.len().min(4000)]
        );
        assert!(
            all.len() < 20_000,
            "a 10 MB message is cut: {} bytes printed",
            all.len()
        );
    }
}

/// A client secret too short to be masked (masking every `ab1c9` would garble the
/// output, and a JSON report would stop being JSON) was used and then printed in the
/// clear when the token endpoint echoed it. It is refused before any request, without
/// being printed, naming where it came from.
#[tokio::test]
async fn a_secret_too_short_to_be_masked_is_refused_before_any_request() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .env("JIRA_CLIENT_ID", crate::common::fake::CLIENT_ID)
        .env("JIRA_CLIENT_SECRET", "ab1c9")
        .args(jira.args())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", everything(&output));
    let all = everything(&output);
    assert!(!all.contains("ab1c9"), "{all}");
    assert!(
        all.contains("(JIRA_CLIENT_SECRET) is only 5 characters long"),
        "{all}"
    );
    assert!(jira.server.received_requests().await.unwrap().is_empty());
}
