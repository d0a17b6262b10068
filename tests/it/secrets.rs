//! No secret in any output: every command, at the most verbose log level.

use crate::common::fake::CLIENT_SECRET;
use crate::common::{FakeJira, TestRepo, jira_send};

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
    let down = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
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
