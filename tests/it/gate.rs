use serde_json::{Value, json};

use crate::common::{FakeJira, json, stderr, stdout};

fn gating(status: &str) -> (u16, Value) {
    (
        200,
        json!({
            "deploymentSequenceNumber": 7, "pipelineId": "acme/app/CI", "environmentId": "production-eu",
            "updatedTimestamp": "2026-11-22T10:00:00.000+00:00", "gatingStatus": status,
            "details": [{"type": "issue", "issueKey": "CT-40",
                         "issueLink": "https://acme.atlassian.net/servicedesk/customer/portal/4/CT-40"}]
        }),
    )
}

async fn gate(answers: Vec<(u16, Value)>, extra: &[&str]) -> (FakeJira, std::process::Output) {
    let jira = FakeJira::start().await;
    jira.gate_answers.lock().unwrap().extend(answers);
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args([
            "gate",
            "--pipeline-id",
            "acme/app/CI",
            "--environment",
            "Production EU",
        ])
        .args(["--deployment-number", "7", "--poll-interval", "10ms"])
        .args(extra)
        .output()
        .unwrap();
    (jira, output)
}

#[tokio::test]
async fn waiting_polls_through_not_recorded_and_awaiting_until_allowed() {
    let (jira, output) = gate(
        vec![(404, Value::Null), gating("awaiting"), gating("allowed")],
        &["--wait", "--output", "json"],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["gatingStatus"], "allowed");
    assert_eq!(report["polls"], 3);
    assert_eq!(report["details"][0]["issueKey"], "CT-40");
    let requests = jira.requests("/jira/deployments/").await;
    assert_eq!(
        requests[0].url.path(),
        format!(
            "/jira/deployments/0.1/cloud/{}/pipelines/acme%2Fapp%2FCI/environments/production-eu/deployments/7/gating-status",
            crate::common::fake::CLOUD_ID
        )
    );
}

#[tokio::test]
async fn each_decision_has_its_exit_code() {
    let (_, prevented) = gate(vec![gating("prevented")], &[]).await;
    assert_eq!(prevented.status.code(), Some(5));
    let text = stdout(&prevented);
    assert!(
        text.contains("prevented") && text.contains("CT-40") && text.contains("portal/4/CT-40"),
        "{text}"
    );

    let (_, expired) = gate(vec![gating("expired")], &[]).await;
    assert_eq!(expired.status.code(), Some(5));

    let (_, invalid) = gate(vec![gating("invalid")], &[]).await;
    assert_eq!(invalid.status.code(), Some(1));
    assert!(stdout(&invalid).contains("Jira says"), "{}", stdout(&invalid));

    let (_, awaiting) = gate(vec![gating("awaiting")], &[]).await;
    assert_eq!(awaiting.status.code(), Some(6), "undecided without --wait");

    let (_, not_found) = gate(vec![(404, Value::Null)], &[]).await;
    assert_eq!(not_found.status.code(), Some(1));
    assert!(stderr(&not_found).contains("--gate"), "{}", stderr(&not_found));
}

/// When the wait runs out, the gate is asked a last time: at least two polls however
/// slow the first one was, so the test does not race the clock.
#[tokio::test]
async fn a_wait_that_times_out_asks_once_more_and_exits_6() {
    let (jira, output) = gate(vec![gating("awaiting")], &["--wait", "--wait-timeout", "100ms"]).await;
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert!(jira.requests("/jira/deployments/").await.len() >= 2, "it polled");
    // A wait already over after the first poll still asks a last time.
    let (jira, output) = gate(vec![gating("awaiting")], &["--wait", "--wait-timeout", "0s"]).await;
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert_eq!(jira.requests("/jira/deployments/").await.len(), 2);
}

#[tokio::test]
async fn a_gate_answer_without_a_status_is_an_unknown_outcome() {
    let (jira, output) = gate(vec![(200, json!({"hello": "proxy"}))], &["--output", "json"]).await;
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(stderr(&output).contains("no gatingStatus"), "{}", stderr(&output));
    // gate's own object, with what it knew: the site and the deployment.
    let report = json(&output);
    assert_eq!(report["site"], jira.site_name(), "{report:#}");
    assert_eq!(report["deployment"]["environmentId"], "production-eu");
    assert_eq!(report["gatingStatus"], Value::Null);
    assert!(
        report["error"].as_str().unwrap().contains("no gatingStatus"),
        "{report:#}"
    );
    assert_eq!(report["exitCode"], 4);
    assert_eq!(
        jira.requests("/jira/deployments/").await.len(),
        jira_send::http::retry::MAX_ATTEMPTS as usize,
        "asked again first"
    );
}

#[tokio::test]
async fn huge_durations_do_not_overflow() {
    let (_, output) = gate(vec![gating("allowed")], &["--wait", "--wait-timeout", "7d"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Beyond the longest wait accepted: a usage error, before any request.
    let (jira, output) = gate(
        vec![gating("allowed")],
        &["--wait", "--wait-timeout", "18446744073709551615s"],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("7 days"), "{}", stderr(&output));
    assert!(jira.requests("/jira/").await.is_empty());
}

/// The gating-status URL names the environment by its id alone: `--environment-id`
/// needs no `--environment` beside it (the Jenkins library passed the id as the name to
/// get past that). Without either, the error names both.
#[tokio::test]
async fn the_environment_id_alone_is_enough() {
    let jira = FakeJira::start().await;
    jira.gate_answers.lock().unwrap().push_back(gating("allowed"));
    let home = tempfile::tempdir().unwrap();
    let gate = |environment: &[&str]| {
        jira.jira_send(home.path())
            .args(["gate", "--pipeline-id", "acme/app/CI", "--deployment-number", "7"])
            .args(environment)
            .args(["--output", "json"])
            .output()
            .unwrap()
    };
    let output = gate(&["--environment-id", "us-prod-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output)["deployment"]["environmentId"], "us-prod-1");
    let requests = jira.requests("/jira/deployments/").await;
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0]
            .url
            .path()
            .ends_with("/pipelines/acme%2Fapp%2FCI/environments/us-prod-1/deployments/7/gating-status"),
        "{}",
        requests[0].url
    );

    let neither = gate(&[]);
    assert_eq!(neither.status.code(), Some(2), "{}", stderr(&neither));
    let error = json(&neither)["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("--environment-id") && error.contains("--environment NAME"),
        "{error}"
    );
    assert_eq!(
        jira.requests("/jira/deployments/").await.len(),
        1,
        "nothing more asked"
    );
}

/// SIGTERM (a cancelled job) or SIGINT while `gate --wait` waits: the run still prints
/// its one JSON object, saying what ended it, and exits as the shell would have (143,
/// 130). It was killed by the signal, with nothing on stdout.
#[cfg(unix)]
#[tokio::test]
async fn a_signal_during_the_wait_ends_it_with_the_report() {
    use rustix::process::{Pid, Signal, kill_process};
    for (signal, name, code) in [(Signal::TERM, "SIGTERM", 143), (Signal::INT, "SIGINT", 130)] {
        let jira = FakeJira::start().await;
        jira.gate_answers.lock().unwrap().push_back(gating("awaiting"));
        let home = tempfile::tempdir().unwrap();
        let mut child = crate::common::jira_send_std(home.path())
            .envs(FakeJira::credentials())
            .args(jira.args())
            .args([
                "gate",
                "--pipeline-id",
                "acme/app/CI",
                "--environment",
                "Production EU",
            ])
            .args(["--deployment-number", "7", "--wait", "--wait-timeout", "1h"])
            .args(["--poll-interval", "1h", "--output", "json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The handshake: the gate was asked once, so the wait (and its signal handling)
        // has begun.
        while jira.requests("/jira/deployments/").await.is_empty() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("{name}: gate ended before asking: {status}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        kill_process(Pid::from_child(&child), signal).unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(code), "{name}: {}", stderr(&output));
        let report = json(&output);
        assert_eq!(report["command"], "gate");
        assert_eq!(report["exitCode"], code);
        assert_eq!(report["error"], format!("interrupted by {name}"));
        assert_eq!(report["deployment"]["deploymentSequenceNumber"], 7);
    }
}
