use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::fake::{CLOUD_ID, ClosedPort};
use crate::common::{FakeJira, jira_send, json, stderr, stdout};

#[tokio::test]
async fn doctor_passes_when_everything_works() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira.jira_send(home.path()).arg("doctor").output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    let text = stdout(&output);
    for line in [
        "settings",
        "reach 127.0.0.1",
        "cloud id",
        "token",
        "permission Builds",
        "permission Deployments",
        "permission Development information",
        "cache directory",
        "outbox",
    ] {
        assert!(text.contains(line), "no {line:?} check in\n{text}");
    }
    assert!(!text.contains("FAIL"), "{text}");
    // Plain http to an IP address: no DNS and no TLS were checked, so none is claimed.
    assert!(
        text.contains("TCP works (plain http: there is no TLS to check)"),
        "{text}"
    );
    assert!(!text.contains("TLS work") && !text.contains("DNS"), "{text}");
    assert!(
        text.contains(&format!("{CLOUD_ID} (the site's tenant_info says so)")),
        "{text}"
    );
}

#[tokio::test]
async fn doctor_names_a_missing_permission() {
    let jira = FakeJira::start().await;
    jira.forbidden.lock().unwrap().push("deployments".into());
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args(["doctor", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = json(&output);
    let failed: Vec<&serde_json::Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{report:#}");
    assert!(
        failed[0]["check"]
            .as_str()
            .unwrap()
            .starts_with("permission Deployments")
    );
    assert!(
        failed[0]["fix"]
            .as_str()
            .unwrap()
            .contains("add the Deployments permission")
    );
}

#[tokio::test]
async fn doctor_checks_feature_flags_when_asked() {
    let jira = FakeJira::start().await;
    jira.forbidden.lock().unwrap().push("featureflags".into());
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args(["doctor", "--apis", "builds,featureflags"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stdout(&output).contains("Feature flags permission"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn doctor_says_what_is_missing_and_what_cannot_be_reached() {
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path()).arg("doctor").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("JIRA_SITE"), "{}", stdout(&output));

    let closed = ClosedPort::new();
    let down = closed.uri();
    let unreachable = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(["--site", &down, "--api-url", &down])
        .args([
            "--token-url",
            &format!("{down}/oauth/token"),
            "--timeout",
            "5s",
            "doctor",
        ])
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(4), "{}", stdout(&unreachable));
    let text = stdout(&unreachable);
    assert!(
        text.contains(&format!("allow outbound HTTP to {}", closed.addr)),
        "{text}"
    );
    assert!(
        !text.contains("--ca-file"),
        "a refused connection is not about TLS: {text}"
    );
}

#[test]
fn a_host_that_does_not_resolve_gets_a_fix_about_its_name_not_proxies() {
    let home = tempfile::tempdir().unwrap();
    // The other hosts on loopback: no real DNS in tests.
    let closed = ClosedPort::new();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .env("JIRA_SITE", "acme.atlasian.invalid")
        .args(["--api-url", &closed.uri(), "--token-url", &closed.uri()])
        .args(["doctor", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    let report = json(&output);
    let reach = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "reach acme.atlasian.invalid")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(reach["status"], "fail");
    assert!(
        reach["detail"]
            .as_str()
            .unwrap()
            .contains("does not resolve: check JIRA_SITE"),
        "{reach:#}"
    );
    let fix = reach["fix"].as_str().unwrap();
    assert!(fix.contains("spelling of acme.atlasian.invalid"), "{fix}");
    assert!(!fix.to_lowercase().contains("proxy"), "{fix}");
}

#[tokio::test]
async fn a_cloud_id_the_site_does_not_confirm_is_not_a_permission() {
    // The configured cloud id is not the site's: the probes would answer 404 for
    // another cloud, which says nothing about permissions.
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let wrong = "99999999-8888-7777-6666-555555555555";
    let output = jira
        .jira_send(home.path())
        .env("JIRA_CLOUD_ID", wrong)
        .args(["doctor", "--output", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    let checks = report["checks"].as_array().unwrap();
    let cloud = checks
        .iter()
        .find(|c| c["check"].as_str().unwrap().starts_with("cloud id"))
        .unwrap();
    assert_eq!(cloud["status"], "fail", "{report:#}");
    assert!(
        cloud["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("JIRA_CLOUD_ID is {wrong}")),
        "{cloud:#}"
    );
    assert!(
        !checks
            .iter()
            .any(|c| c["check"].as_str().unwrap().starts_with("permission") && c["status"] == "ok"),
        "{report:#}"
    );
    assert_ne!(output.status.code(), Some(0));

    // A site that cannot confirm the configured cloud id: a 404 probe is a warning.
    let site = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/_edge/tenant_info"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&site)
        .await;
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .env("JIRA_CLOUD_ID", CLOUD_ID)
        .args(["--site", &site.uri(), "--api-url", &jira.uri()])
        .args(["--token-url", &format!("{}/oauth/token", jira.uri())])
        .args(["doctor", "--output", "json", "--apis", "builds"])
        .output()
        .unwrap();
    let report = json(&output);
    let probe = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"].as_str().unwrap().starts_with("permission Builds"))
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(probe["status"], "warning", "{report:#}");
    assert!(
        probe["detail"]
            .as_str()
            .unwrap()
            .contains("permission is unknown"),
        "{probe:#}"
    );
}

/// `--timeout` bounds the whole of `doctor`, counted from the start of the process
/// as for every command: a host that takes the connection and never answers costs at
/// most what is left of it, not `--request-timeout` per host.
#[test]
fn a_host_that_never_answers_ends_at_the_timeout() {
    let home = tempfile::tempdir().unwrap();
    // Bound but never accepted: the kernel completes the handshake, nothing answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", silent.local_addr().unwrap());
    let started = std::time::Instant::now();
    let output = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(["--site", &uri, "--api-url", &uri])
        .args(["--token-url", &format!("{uri}/oauth/token")])
        .args(["--timeout", "2s", "--request-timeout", "10m"])
        .args(["doctor", "--output", "json"])
        .output()
        .unwrap();
    let took = started.elapsed();
    // Before, the check of the host waited for --request-timeout (10 minutes).
    assert!(took < std::time::Duration::from_secs(120), "doctor took {took:?}");
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let report = json(&output);
    let reach = &report["checks"][1];
    assert_eq!(reach["status"], "fail", "{report:#}");
    assert!(
        reach["detail"].as_str().unwrap().contains("timed out"),
        "{report:#}"
    );
}

/// SIGTERM or SIGINT while doctor waits for an answer ends the checks with a report:
/// under `--output json` one object, with what was checked and the signal as a failed
/// check, and the exit code the shell gives (143, 130). It was killed by the signal,
/// with nothing on stdout.
#[cfg(unix)]
#[tokio::test]
async fn a_signal_during_the_checks_ends_them_with_the_report() {
    use rustix::process::{Pid, Signal, kill_process};
    for (signal, name, code) in [(Signal::TERM, "SIGTERM", 143), (Signal::INT, "SIGINT", 130)] {
        let jira = FakeJira::start().await;
        // The APIs never answer (their host does, for the reach check): the permission
        // checks wait.
        let silent = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path_regex("^/jira/"))
            .respond_with(ResponseTemplate::new(404).set_delay(std::time::Duration::from_secs(3600)))
            .mount(&silent)
            .await;
        let home = tempfile::tempdir().unwrap();
        let mut child = crate::common::jira_send_std(home.path())
            .envs(FakeJira::credentials())
            .args(["--site", &jira.uri(), "--api-url", &silent.uri()])
            .args(["--token-url", &format!("{}/oauth/token", jira.uri())])
            .args(["doctor", "--output", "json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The handshake: a permission check was asked, so the waiting has begun.
        let asked = || async {
            let requests = silent.received_requests().await.unwrap_or_default();
            requests.iter().any(|r| r.url.path().starts_with("/jira/"))
        };
        while !asked().await {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("{name}: doctor ended before the permission check: {status}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        kill_process(Pid::from_child(&child), signal).unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(code), "{name}: {}", stderr(&output));
        let report = json(&output);
        assert_eq!(report["command"], "doctor");
        assert_eq!(report["exitCode"], code);
        let checks = report["checks"].as_array().unwrap();
        let check = |name: &str| {
            checks
                .iter()
                .find(|c| c["check"].as_str().unwrap().starts_with(name))
        };
        assert_eq!(
            check("token").unwrap_or_else(|| panic!("{report}"))["status"],
            "ok",
            "{report}"
        );
        assert!(check("reach").is_some(), "{report}");
        let interrupted = check("network checks").expect("no check says the run was interrupted");
        assert_eq!(interrupted["status"], "fail");
        assert!(
            interrupted["detail"].as_str().unwrap().contains(name),
            "{interrupted}"
        );
        assert!(check("outbox").is_some(), "the local checks ran too: {report}");
    }
}
