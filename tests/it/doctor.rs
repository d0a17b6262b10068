use wiremock::matchers::{method, path};
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
