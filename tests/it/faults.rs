//! Faults: Jira slow, rate-limiting, failing or gone. Every report is delivered
//! exactly once, or kept in the outbox until it can be.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

use crate::common::fake::{CLIENT_SECRET, CLOUD_ID, ClosedPort, output_unless_hung};
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
    let output = jira.simple_build(home.path());
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
    let output = jira.simple_build(home.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(jira.deliveries.load(Ordering::SeqCst), 1);
    assert_eq!(jira.bulk_bodies("builds").await.len(), 4);
}

/// The first answer never comes within the test (an hour), so the 300 ms request
/// timeout fires however slow the machine: no race.
#[tokio::test]
async fn a_response_slower_than_the_request_timeout_is_retried() {
    let jira = FakeJira::start().await;
    fault(
        &jira,
        1,
        ResponseTemplate::new(202).set_delay(Duration::from_secs(3600)),
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
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
    let output = jira
        .jira_send_with_api(home.path(), &flaky.uri())
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
    let output = jira
        .jira_send(home.path())
        .current_dir(repo.path())
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

#[tokio::test]
async fn with_jira_down_the_report_waits_in_the_outbox_until_flush() {
    let jira = FakeJira::start().await;
    let closed = ClosedPort::new();
    let down = closed.uri();
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
    let send = |api_url: &str, number: &str| {
        jira.jira_send_with_api(home.path(), api_url)
            .args(["--cloud-id", CLOUD_ID, "--timeout", "3s"])
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
    let closed = ClosedPort::new();
    assert_eq!(send(&closed.uri(), "1").status.code(), Some(4));
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

/// W6: a run reports its own entities; what it delivered from the outbox first is
/// reported apart (`fromOutbox`), so one build is one `accepted` in the report and in
/// the Action's output. A send that got no answer says so, not "(0 requests)".
#[tokio::test]
async fn the_report_keeps_this_runs_entities_apart_from_the_outboxs() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let send = |api_url: &str, number: &str, output: &str| {
        jira.jira_send_with_api(home.path(), api_url)
            .args(["--cloud-id", CLOUD_ID, "--timeout", "3s", "--output", output])
            .env("GITHUB_OUTPUT", home.path().join(format!("outputs-{number}")))
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
    let accepted_output = |number: &str| {
        let outputs = std::fs::read_to_string(home.path().join(format!("outputs-{number}"))).unwrap();
        let line = outputs.lines().find(|l| l.starts_with("accepted=")).unwrap();
        line.trim_start_matches("accepted=").to_owned()
    };
    let closed = ClosedPort::new();
    let queued = send(&closed.uri(), "100", "text");
    assert_eq!(queued.status.code(), Some(4), "{}", stderr(&queued));
    let text = stdout(&queued);
    assert!(
        text.contains("0 builds accepted, 0 rejected (0 of 1 request answered)"),
        "{text}"
    );

    let output = send(&jira.uri(), "101", "json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let site = &json(&output)["sites"][0];
    assert_eq!(
        site["accepted"],
        json!([{"pipelineId": "app", "buildNumber": 101}])
    );
    assert_eq!(site["requests"], 1);
    assert_eq!(
        site["fromOutbox"],
        json!({
            "requests": 1,
            "accepted": [{"pipelineId": "app", "buildNumber": 100}],
            "rejected": [],
            "unknownIssueKeys": [],
        })
    );
    assert_eq!(
        accepted_output("101"),
        "1",
        "the Action's output counts this run's own"
    );

    // Text: the outbox's delivery on a line of its own; nothing queued, no such line.
    assert_eq!(send(&closed.uri(), "102", "text").status.code(), Some(4));
    let output = send(&jira.uri(), "103", "text");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(": 1 build accepted, 0 rejected (1 request)\n"),
        "{text}"
    );
    assert!(text.contains("buildNumber=103"), "{text}");
    assert!(!text.contains("buildNumber=102"), "{text}");
    assert!(
        text.contains("  delivered from the outbox first: 1 request, 1 build accepted, 0 rejected\n"),
        "{text}"
    );
    let output = send(&jira.uri(), "104", "json");
    assert!(json(&output)["sites"][0].get("fromOutbox").is_none());

    // An earlier report's rejection is kept in the outbox's rejected/ with a warning,
    // and listed apart: this run's build was accepted, so this run succeeds.
    assert_eq!(send(&closed.uri(), "105", "text").status.code(), Some(4));
    jira.reject_numbers.lock().unwrap().push(105);
    let output = send(&jira.uri(), "106", "json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Jira rejected 1 entity of the outbox file"),
        "{}",
        stderr(&output)
    );
    let site = &json(&output)["sites"][0];
    assert_eq!(site["rejected"], json!([]));
    assert_eq!(site["fromOutbox"]["rejected"][0]["key"]["buildNumber"], 105);
    assert_eq!(accepted_output("106"), "1");
}

#[tokio::test]
async fn two_flushes_at_once_never_send_a_file_twice() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let token_url = format!("{}/oauth/token", jira.uri());
    let closed = ClosedPort::new();
    let down = closed.uri();
    for number in 1..=6 {
        let output = jira
            .jira_send_with_api(home.path(), &down)
            .args(["--cloud-id", CLOUD_ID, "--timeout", "2s", "--no-flush"])
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
    let output = jira.jira_send(home.path()).arg("flush").output().unwrap();
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
    let closed = ClosedPort::new();
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .env("HTTP_PROXY", jira.uri())
        .args(["--site", &jira.uri(), "--cloud-id", CLOUD_ID])
        .args([
            "--token-url",
            &format!("{}/oauth/token", jira.uri()),
            "--api-url",
            &closed.uri(),
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

/// A `--ca-file` is read like every other file: a device or a FIFO fails at once
/// instead of being read forever.
#[cfg(unix)]
#[test]
fn a_ca_file_that_is_not_a_regular_file_fails_at_once() {
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(["--site", "http://127.0.0.1:9", "--ca-file", "/dev/zero"])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot read /dev/zero: not a regular file but a device"),
        "{}",
        stderr(&output)
    );
}

/// Attempts per request, as jira-send makes them.
const ATTEMPTS: usize = jira_send::http::retry::MAX_ATTEMPTS as usize;

/// The outbox files of `home`'s default outbox.
fn queued(home: &std::path::Path) -> Vec<std::path::PathBuf> {
    let dir = home.join("jira-send-cache/outbox");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A server that answers each request with the headers of a 202 and the start of a
/// body, then closes the connection: a reset after the headers.
fn cut_after_headers() -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        for stream in listener.incoming().take(ATTEMPTS) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = stream.write_all(
                b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"acceptedBuilds\": [",
            );
        }
    });
    (addr, thread)
}

#[tokio::test]
async fn an_unreadable_2xx_is_an_unknown_outcome_retried_then_queued() {
    for (status, body) in [
        (202, ""),
        (200, "{}"),
        (202, "{\"acceptedBuilds\": [{\"pipelineId\""),
        (200, "<html><body>Proxy login</body></html>"),
    ] {
        let jira = FakeJira::start().await;
        fault(&jira, 100, ResponseTemplate::new(status).set_body_string(body)).await;
        let home = tempfile::tempdir().unwrap();
        let output = jira
            .jira_send(home.path())
            .args(["--output", "json"])
            .args(SIMPLE_BUILD)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(4),
            "{status} {body:?}: {}",
            stderr(&output)
        );
        let report = json(&output);
        let error = report["sites"][0]["error"].as_str().unwrap();
        assert!(error.contains("unknown"), "{error}");
        assert_eq!(
            jira.bulk_bodies("builds").await.len(),
            ATTEMPTS,
            "asked again: a resend is harmless"
        );
        let saved = queued(home.path());
        assert_eq!(saved.len(), 1, "{status} {body:?}: queued");
        assert!(
            std::fs::read_to_string(&saved[0])
                .unwrap()
                .contains("\"buildNumber\": 1")
        );
    }
}

#[tokio::test]
async fn an_answer_cut_off_after_its_headers_is_retried_then_queued() {
    let jira = FakeJira::start().await;
    let (api, server) = cut_after_headers();
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(["--site", &jira.uri(), "--cloud-id", CLOUD_ID])
        .args(["--token-url", &format!("{}/oauth/token", jira.uri())])
        .args(["--api-url", &format!("http://{api}")])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    server.join().unwrap();
    assert_eq!(queued(home.path()).len(), 1);
}

#[tokio::test]
async fn an_unreadable_answer_then_a_good_one_is_delivered() {
    let jira = FakeJira::start().await;
    fault(&jira, 1, ResponseTemplate::new(202).set_body_string("{}")).await;
    let home = tempfile::tempdir().unwrap();
    let output = jira.simple_build(home.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bodies = jira.bulk_bodies("builds").await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1], "the same body, sequence number included");
    assert!(queued(home.path()).is_empty());
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_gives_up_at_once() {
    let jira = FakeJira::start().await;
    fault(
        &jira,
        100,
        ResponseTemplate::new(429).insert_header("Retry-After", "18446744073709551615"),
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let output = jira.simple_build(home.path());
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert_eq!(
        jira.bulk_bodies("builds").await.len(),
        1,
        "no wait, no second try"
    );
    assert!(stderr(&output).contains("giving up"), "{}", stderr(&output));
    assert_eq!(queued(home.path()).len(), 1);
}

#[tokio::test]
async fn no_redirect_is_followed_by_a_bulk_post() {
    let jira = FakeJira::start().await;
    let elsewhere = wiremock::MockServer::start().await;
    for status in [301, 302, 307, 308] {
        let jira = FakeJira::start().await;
        fault(
            &jira,
            100,
            ResponseTemplate::new(status).insert_header("Location", format!("{}/steal", elsewhere.uri())),
        )
        .await;
        let home = tempfile::tempdir().unwrap();
        let output = jira.simple_build(home.path());
        assert_eq!(output.status.code(), Some(3), "{status}: {}", stderr(&output));
        let text = format!("{}{}", stdout(&output), stderr(&output));
        assert!(
            text.contains("redirect") && text.contains(&format!("{}/steal", elsewhere.uri())),
            "{status}: {text}"
        );
        assert_eq!(jira.bulk_bodies("builds").await.len(), 1, "{status}: not retried");
    }
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    drop(jira);
}

#[tokio::test]
async fn a_site_that_does_not_resolve_fails_at_once_naming_the_setting() {
    let jira = FakeJira::start().await;
    for (setting, via_variable) in [("JIRA_SITE", true), ("--site", false)] {
        let home = tempfile::tempdir().unwrap();
        let mut command = jira_send(home.path());
        command.envs(FakeJira::credentials()).args([
            "--api-url",
            &jira.uri(),
            "--token-url",
            &format!("{}/oauth/token", jira.uri()),
        ]);
        if via_variable {
            command.env("JIRA_SITE", "acme.atlasian.invalid");
        } else {
            command.args(["--site", "acme.atlasian.invalid"]);
        }
        let started = std::time::Instant::now();
        let output = command.args(SIMPLE_BUILD).output().unwrap();
        eprintln!("a site that does not resolve failed in {:?}", started.elapsed());
        assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
        let text = format!("{}{}", stdout(&output), stderr(&output));
        assert!(
            text.contains(&format!(
                "acme.atlasian.invalid does not resolve: check {setting} (your Jira's address, e.g. \
                 acme.atlassian.net)"
            )),
            "{text}"
        );
        assert!(!text.contains("retrying"), "{text}");
        assert!(queued(home.path()).is_empty(), "nothing queued for a typo");
    }
    assert!(
        jira.server.received_requests().await.unwrap().is_empty(),
        "no token was asked for"
    );
}

#[tokio::test]
async fn a_tenant_info_that_is_not_jira_fails_at_once() {
    let jira = FakeJira::start().await;
    for (status, body) in [
        (200, "<html>Welcome to nginx!</html>"),
        (200, r#"{"cloudId":"../../../../etc"}"#),
        (200, r#"{"cloudId":"a/b?c"}"#),
        (404, "Not Found"),
    ] {
        let site = wiremock::MockServer::start().await;
        Mock::given(method("GET"))
            .and(wiremock::matchers::path("/_edge/tenant_info"))
            .respond_with(ResponseTemplate::new(status).set_body_string(body))
            .mount(&site)
            .await;
        let home = tempfile::tempdir().unwrap();
        let output = jira
            .jira_send_to_sites(home.path(), &site.uri())
            .args(SIMPLE_BUILD)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{body}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(
            text.contains("is not a Jira Cloud site") && text.contains("check JIRA_SITE"),
            "{text}"
        );
        assert!(queued(home.path()).is_empty());
        assert_eq!(site.received_requests().await.unwrap().len(), 1, "asked once");
    }
    assert!(
        jira.server.received_requests().await.unwrap().is_empty(),
        "no token was sent anywhere"
    );
}

#[tokio::test]
async fn a_cloud_id_that_is_not_a_uuid_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    for (flag, variable) in [
        (Some(""), None),
        (Some("../../../../etc"), None),
        (None, Some(("JIRA_CLOUD_ID", "a/b?c"))),
        (None, Some(("JIRA_CLOUD_ID_ACME_ATLASSIAN_NET", "x"))),
    ] {
        let mut command = jira_send(home.path());
        command
            .envs(FakeJira::credentials())
            .args(["--site", "acme.atlassian.net"]);
        if let Some(id) = flag {
            command.args(["--cloud-id", id]);
        }
        if let Some((name, value)) = variable {
            command.env(name, value);
        }
        let output = command.args(SIMPLE_BUILD).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag:?} {variable:?}");
        assert!(
            stderr(&output).contains("is not a cloud id"),
            "{}",
            stderr(&output)
        );
    }
}

/// A bulk answer accepting build 1 of `app`.
fn accepted() -> serde_json::Value {
    json!({"acceptedBuilds": [{"pipelineId": "app", "buildNumber": 1}], "rejectedBuilds": [], "unknownIssueKeys": []})
}

#[tokio::test]
async fn a_404_for_a_cached_cloud_id_drops_it_and_looks_it_up_again() {
    const STALE: &str = "99999999-8888-7777-6666-555555555555";
    let jira = FakeJira::start().await;
    // The first run learns (and caches) STALE, and delivers under it.
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/_edge/tenant_info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"cloudId": STALE})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&jira.server)
        .await;
    let stale_bulk = format!("/jira/builds/0.1/cloud/{STALE}/bulk");
    Mock::given(method("POST"))
        .and(wiremock::matchers::path(stale_bulk.as_str()))
        .respond_with(ResponseTemplate::new(202).set_body_json(accepted()))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&jira.server)
        .await;
    // From then on, Jira knows no such cloud.
    Mock::given(method("POST"))
        .and(wiremock::matchers::path(stale_bulk.as_str()))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .with_priority(2)
        .mount(&jira.server)
        .await;
    let home = tempfile::tempdir().unwrap();
    assert_eq!(jira.simple_build(home.path()).status.code(), Some(0));
    let output = jira.simple_build(home.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let paths: Vec<String> = jira
        .requests("/jira/builds/")
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            stale_bulk.clone(),
            stale_bulk,
            format!("/jira/builds/0.1/cloud/{CLOUD_ID}/bulk")
        ]
    );
    assert_eq!(
        jira.requests("/_edge/tenant_info").await.len(),
        2,
        "looked up again once"
    );
    // The next run uses the corrected cache.
    assert_eq!(jira.simple_build(home.path()).status.code(), Some(0));
    assert_eq!(jira.requests("/_edge/tenant_info").await.len(), 2);
}

#[tokio::test]
async fn a_404_for_a_configured_cloud_id_names_the_setting() {
    const WRONG: &str = "99999999-8888-7777-6666-555555555555";
    let jira = FakeJira::start().await;
    Mock::given(method("POST"))
        .and(path_regex(format!("^/jira/builds/0.1/cloud/{WRONG}/bulk$")))
        .respond_with(ResponseTemplate::new(404))
        .with_priority(1)
        .mount(&jira.server)
        .await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .env("JIRA_CLOUD_ID", WRONG)
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "Jira knows no cloud {WRONG} (the cloud id from JIRA_CLOUD_ID)"
        )),
        "{text}"
    );
    assert!(queued(home.path()).is_empty());
}

#[tokio::test]
async fn an_outbox_that_cannot_be_written_still_loses_nothing() {
    let jira = FakeJira::start().await;
    let closed = ClosedPort::new();
    let home = tempfile::tempdir().unwrap();
    // The outbox "directory" is a file.
    let not_a_dir = home.path().join("outbox-file");
    std::fs::write(&not_a_dir, "").unwrap();
    let run = |output_format: &str| {
        jira_send(home.path())
            .envs(FakeJira::credentials())
            .args(["--site", &jira.uri(), "--cloud-id", CLOUD_ID])
            .args(["--token-url", &format!("{}/oauth/token", jira.uri())])
            .args(["--api-url", &closed.uri(), "--output", output_format])
            .arg("--outbox-dir")
            .arg(&not_a_dir)
            .args(SIMPLE_BUILD)
            .output()
            .unwrap()
    };
    let output = run("json");
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let report = json(&output);
    let site = &report["sites"][0];
    assert_eq!(site["outbox"], json!(null));
    assert!(
        site["outboxError"]
            .as_str()
            .unwrap()
            .contains("cannot write the outbox"),
        "{site:#}"
    );
    assert_eq!(site["undelivered"][0]["method"], "POST");
    assert_eq!(site["undelivered"][0]["body"]["builds"][0]["buildNumber"], 1);
    assert!(
        stderr(&output).contains("could not be saved"),
        "{}",
        stderr(&output)
    );

    let output = run("text");
    assert_eq!(output.status.code(), Some(4));
    let text = stderr(&output);
    assert!(
        text.contains("could not be saved") && text.contains("cannot write the outbox"),
        "{text}"
    );
    assert!(
        text.contains("\"buildNumber\":1"),
        "the body itself, on stderr: {text}"
    );
    assert!(stdout(&output).contains("NOT saved"), "{}", stdout(&output));
}

/// Sends `signal` to a `build` once the fake holds its bulk POST; returns its output.
#[cfg(unix)]
async fn interrupted_build(
    signal: rustix::process::Signal,
    output_format: &str,
) -> (FakeJira, tempfile::TempDir, std::process::Output) {
    let jira = FakeJira::start().await;
    let mut arrived = jira.hold_bulk("builds").await;
    let home = tempfile::tempdir().unwrap();
    let child = jira_send_std(home.path())
        .envs(FakeJira::credentials())
        .args(jira.args())
        .args(["--output", output_format])
        .args(SIMPLE_BUILD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The handshake: the request is in flight, so delivery (and its signal handling)
    // has begun.
    let body = arrived.recv().await.unwrap();
    assert_eq!(body["builds"][0]["buildNumber"], 1);
    rustix::process::kill_process(rustix::process::Pid::from_child(&child), signal).unwrap();
    let output = child.wait_with_output().unwrap();
    (jira, home, output)
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_during_delivery_saves_the_report_and_exits_4() {
    let (_jira, home, output) = interrupted_build(rustix::process::Signal::TERM, "json").await;
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["signal"], "SIGTERM");
    assert_eq!(report["exitCode"], 4);
    let site = &report["sites"][0];
    assert!(
        site["error"].as_str().unwrap().contains("interrupted by SIGTERM"),
        "{site:#}"
    );
    let saved = site["outbox"].as_str().expect("saved to the outbox");
    assert_eq!(queued(home.path()), [std::path::PathBuf::from(saved)]);
    assert!(
        std::fs::read_to_string(saved)
            .unwrap()
            .contains("\"buildNumber\": 1")
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigint_during_delivery_saves_the_report_and_exits_4() {
    let (jira, home, output) = interrupted_build(rustix::process::Signal::INT, "text").await;
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("interrupted by SIGINT"),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("saved to the outbox"),
        "{}",
        stdout(&output)
    );
    assert_eq!(queued(home.path()).len(), 1);
    // And the next flush delivers it.
    jira.server.reset().await;
    let again = FakeJira::start().await;
    let flushed = again.jira_send(home.path()).arg("flush").output().unwrap();
    assert_eq!(flushed.status.code(), Some(0), "{}", stderr(&flushed));
    assert_eq!(again.deliveries.load(Ordering::SeqCst), 1);
}

/// An answer that lists 300,000 unknown issue keys, each twice (as keys and again as
/// associations), in 6.6 MB, under the 8 MiB read limit: reading, merging and publishing
/// them takes linear time, so the run ends as soon as Jira has answered. Searching a
/// list for each key took minutes of CPU on the runtime's only thread, past --timeout
/// and deaf to SIGTERM; the bound only catches that.
#[tokio::test]
async fn a_flood_of_unknown_issue_keys_costs_linear_time() {
    const KEYS: usize = 300_000;
    let jira = FakeJira::start().await;
    *jira.unknown_keys.lock().unwrap() = (1..=KEYS).map(|n| format!("K-{n}")).collect();
    jira.unknown_associations.store(true, Ordering::SeqCst);
    let home = tempfile::tempdir().unwrap();
    let mut command = jira_send_std(home.path());
    command
        .envs(FakeJira::credentials())
        .env("GITHUB_OUTPUT", home.path().join("outputs"))
        .env("GITHUB_STEP_SUMMARY", home.path().join("summary"))
        .args(jira.args())
        .args(["--output", "json"])
        .args(SIMPLE_BUILD);
    let output = output_unless_hung(&mut command, Duration::from_secs(120));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let unknown = json(&output)["sites"][0]["unknownIssueKeys"].clone();
    let unknown = unknown.as_array().unwrap();
    assert_eq!(unknown.len(), KEYS, "each key once");
    assert_eq!(
        (unknown[0].as_str(), unknown[KEYS - 1].as_str()),
        (Some("K-1"), Some("K-300000"))
    );
}
