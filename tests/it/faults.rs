//! Faults: Jira slow, rate-limiting, failing or gone. Every report is delivered
//! exactly once, or kept in the outbox until it can be.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

use crate::common::fake::{CLIENT_SECRET, CLOUD_ID};
use crate::common::flaky::{Flaky, Step};
use crate::common::{FakeJira, SIMPLE_BUILD, TestRepo, jira_send, jira_send_std, json, stderr, stdout};

/// A fault the fake answers `times` times to bulk builds before answering normally.
async fn fault(jira: &FakeJira, times: u64, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path_regex(r"^/jira/builds/.*/bulk$"))
        .respond_with(response)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&jira.server)
        .await;
}

fn build(jira: &FakeJira, home: &std::path::Path) -> std::process::Output {
    jira_send(home)
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap()
}

#[tokio::test]
async fn rate_limits_are_waited_out_as_jira_asks() {
    let jira = FakeJira::start().await;
    fault(
        &jira,
        2,
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let output = build(&jira, home.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After: 1 was honoured twice"
    );
    assert_eq!(jira.deliveries.load(Ordering::SeqCst), 1);
    let bodies = jira.bulk_bodies("builds").await;
    assert_eq!(bodies.len(), 3);
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every attempt sends the same body, sequence number included"
    );
    assert!(stderr(&output).contains("429"), "{}", stderr(&output));
}

#[tokio::test]
async fn server_errors_are_retried() {
    let jira = FakeJira::start().await;
    fault(&jira, 3, ResponseTemplate::new(503)).await;
    let home = tempfile::tempdir().unwrap();
    let output = build(&jira, home.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(jira.deliveries.load(Ordering::SeqCst), 1);
    assert_eq!(jira.bulk_bodies("builds").await.len(), 4);
}

#[tokio::test]
async fn a_response_slower_than_the_request_timeout_is_retried() {
    let jira = FakeJira::start().await;
    fault(
        &jira,
        1,
        ResponseTemplate::new(202).set_delay(Duration::from_secs(3)),
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(["--request-timeout", "300ms"])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(jira.deliveries.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let jira = FakeJira::start().await;
    let accepted = json!({"acceptedBuilds": [{"pipelineId": "app", "buildNumber": 1}], "rejectedBuilds": [], "unknownIssueKeys": []});
    let flaky = Flaky::start(vec![Step::Drop, Step::Answer(202, accepted.to_string())]);
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args([
            "--site",
            &jira.uri(),
            "--token-url",
            &format!("{}/oauth/token", jira.uri()),
        ])
        .args(["--api-url", &flaky.uri()])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(flaky.requests.load(Ordering::SeqCst), 2);
    assert_eq!(flaky.answered.lock().unwrap().len(), 1, "delivered exactly once");
}

#[tokio::test]
async fn a_request_jira_finds_too_large_is_split_in_halves() {
    let jira = FakeJira::start().await;
    jira.max_entities.store(100, Ordering::SeqCst);
    let repo = TestRepo::new("main");
    repo.remote("origin", "git@github.com:acme/app.git");
    let first = repo.commit("start");
    for i in 1..=150 {
        repo.commit(&format!("ABC-{i} change"));
    }
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(["devinfo", "--since", &first.to_string()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bodies = jira.bulk_bodies("devinfo").await;
    let sizes: Vec<usize> = bodies
        .iter()
        .map(|b| b["repositories"][0]["commits"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [150, 75, 75], "one 413, then two halves");
    assert_eq!(jira.deliveries.load(Ordering::SeqCst), 2);
}

/// A loopback port with nothing listening.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn with_jira_down_the_report_waits_in_the_outbox_until_flush() {
    let jira = FakeJira::start().await;
    let down = closed_port();
    let home = tempfile::tempdir().unwrap();
    let site = ["--site", &jira.uri(), "--cloud-id", CLOUD_ID, "--token-url"];
    let token_url = format!("{}/oauth/token", jira.uri());

    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(site)
        .arg(&token_url)
        .args(["--api-url", &down, "--timeout", "3s", "--output", "json"])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let report = json(&output);
    let saved = report["sites"][0]["outbox"]
        .as_str()
        .expect("the report names the outbox file")
        .to_owned();
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        !text.contains(CLIENT_SECRET) && !text.contains("access-token-"),
        "no secret in the outbox"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let flush = || {
        jira_send(home.path())
            .envs(FakeJira::credentials())
            .args([
                "--token-url",
                &token_url,
                "--api-url",
                &jira.uri(),
                "--output",
                "json",
                "flush",
            ])
            .output()
            .unwrap()
    };
    let flushed = flush();
    assert_eq!(flushed.status.code(), Some(0), "{}", stderr(&flushed));
    let report = json(&flushed);
    assert_eq!(
        report["sites"][0]["accepted"],
        json!([{"pipelineId": "app", "buildNumber": 1}])
    );
    assert_eq!(jira.deliveries.load(Ordering::SeqCst), 1);
    assert!(!std::path::Path::new(&saved).exists(), "delivered, so deleted");

    let again = flush();
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("the outbox is empty"),
        "{}",
        stdout(&again)
    );
    assert_eq!(
        jira.deliveries.load(Ordering::SeqCst),
        1,
        "delivered exactly once"
    );
}

#[tokio::test]
async fn the_next_send_delivers_the_queued_report_first() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let token_url = format!("{}/oauth/token", jira.uri());
    let send = |api_url: &str, number: &str| {
        jira_send(home.path())
            .envs(FakeJira::credentials())
            .args([
                "--site",
                &jira.uri(),
                "--cloud-id",
                CLOUD_ID,
                "--token-url",
                &token_url,
            ])
            .args(["--api-url", api_url, "--timeout", "3s"])
            .args([
                "build",
                "--pipeline-id",
                "app",
                "--issue-key",
                "ABC-1",
                "--url",
                "https://ci.example.com/1",
                "--build-number",
                number,
            ])
            .output()
            .unwrap()
    };
    assert_eq!(send(&closed_port(), "1").status.code(), Some(4));
    let output = send(&jira.uri(), "2");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let numbers: Vec<u64> = jira
        .bulk_bodies("builds")
        .await
        .iter()
        .map(|b| b["builds"][0]["buildNumber"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2], "the queued build first, then this run's");
}

#[tokio::test]
async fn two_flushes_at_once_never_send_a_file_twice() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let token_url = format!("{}/oauth/token", jira.uri());
    let down = closed_port();
    for number in 1..=6 {
        let output = jira_send(home.path())
            .envs(FakeJira::credentials())
            .args([
                "--site",
                &jira.uri(),
                "--cloud-id",
                CLOUD_ID,
                "--token-url",
                &token_url,
            ])
            .args(["--api-url", &down, "--timeout", "2s", "--no-flush"])
            .args([
                "build",
                "--pipeline-id",
                "app",
                "--issue-key",
                "ABC-1",
                "--url",
                "https://ci.example.com/1",
            ])
            .args(["--build-number", &number.to_string()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(4));
    }
    let flushes: Vec<_> = (0..2)
        .map(|_| {
            let mut cmd = jira_send_std(home.path());
            cmd.envs(FakeJira::credentials())
                .args(["--token-url", &token_url, "--api-url", &jira.uri(), "flush"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            cmd.spawn().unwrap()
        })
        .collect();
    for mut flush in flushes {
        assert_eq!(flush.wait().unwrap().code(), Some(0));
    }
    let mut numbers: Vec<u64> = jira
        .bulk_bodies("builds")
        .await
        .iter()
        .map(|b| b["builds"][0]["buildNumber"].as_u64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6], "each queued report exactly once");
}

#[tokio::test]
async fn a_corrupt_outbox_file_is_moved_aside_not_lost() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let outbox = home.path().join("jira-send-cache/outbox");
    std::fs::create_dir_all(&outbox).unwrap();
    std::fs::write(outbox.join("0000000000001-x-00000000.json"), "{\"half\": ").unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .arg("flush")
        .output()
        .unwrap();
    // Set aside: a person should look, so the flush says so with exit 2.
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(outbox.join("corrupt/0000000000001-x-00000000.json").exists());
    assert!(stderr(&output).contains("corrupt"), "{}", stderr(&output));
}

#[tokio::test]
async fn proxies_are_honoured() {
    // The "proxy" is the fake itself: a proxied request reaches it with the API's
    // path, although the API URL names a port where nothing listens.
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .env("HTTP_PROXY", jira.uri())
        .args(["--site", &jira.uri(), "--cloud-id", CLOUD_ID])
        .args([
            "--token-url",
            &format!("{}/oauth/token", jira.uri()),
            "--api-url",
            &closed_port(),
        ])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(jira.deliveries.load(Ordering::SeqCst), 1);
}

#[test]
fn a_bad_ca_file_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let pem = home.path().join("ca.pem");
    std::fs::write(&pem, "not a certificate").unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(["--site", "http://127.0.0.1:9", "--ca-file"])
        .arg(&pem)
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no PEM certificate"),
        "{}",
        stderr(&output)
    );
}
