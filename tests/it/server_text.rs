//! What a server says reaches stdout and stderr escaped: no line of its own, no
//! terminal escape sequence, no GitHub workflow command (`::error::…` at the start of
//! a line, `##[…]` anywhere in it).

use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{FakeJira, SIMPLE_BUILD, json, stderr, stdout};

/// Text a hostile server puts everywhere it can.
const EVIL: &str =
    "ok\n::error title=INJECTED::from the server\r\x1b[31mRED\x1b]0;title\x07 ##[warning]old\u{9b}2J";

/// Whether `text` holds anything the runner or a terminal would act on.
fn assert_inert(text: &str, what: &str) {
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a workflow command: {line:?}\n{text}"
        );
        assert!(
            !line.contains("##["),
            "{what}: an old-style workflow command: {line:?}"
        );
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "{what}: a control character: {line:?}"
        );
    }
}

async fn answer_bulk_with(jira: &FakeJira, body: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path_regex(r"^/jira/builds/.*/bulk$"))
        .respond_with(ResponseTemplate::new(202).set_body_json(body))
        .with_priority(1)
        .mount(&jira.server)
        .await;
}

fn evil_answer() -> serde_json::Value {
    json!({
        "acceptedBuilds": [{"pipelineId": format!("x\n::warning::accepted {EVIL}"), "buildNumber": 1}],
        "rejectedBuilds": [{"key": {"pipelineId": "app", "buildNumber": 1}, "errors": [{"message": EVIL}]}],
        "unknownIssueKeys": [format!("ABC-1\n::notice::unknown {EVIL}")],
    })
}

#[tokio::test]
async fn server_text_in_the_text_report_is_escaped_on_its_line() {
    let jira = FakeJira::start().await;
    answer_bulk_with(&jira, evil_answer()).await;
    let home = tempfile::tempdir().unwrap();
    let output = jira.jira_send(home.path()).args(SIMPLE_BUILD).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    assert_inert(&out, "stdout");
    assert_inert(&stderr(&output), "stderr");
    // Each piece of server text is on the line that names it, escaped as the logs are.
    let line = |start: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no {start:?} line in\n{out}"))
            .to_owned()
    };
    assert!(
        line("accepted").contains(r"pipelineId=x\n::warning::accepted ok\n::error"),
        "{out}"
    );
    assert!(line("rejected").contains(r"\x1b[31mRED\x1b]0;title\x07 ##\[warning]old\u{9b}2J"));
    assert!(line("unknown issue keys").contains(r"ABC-1\n::notice::unknown"));
}

#[tokio::test]
async fn server_text_in_the_json_report_keeps_its_values_and_no_commands() {
    let jira = FakeJira::start().await;
    answer_bulk_with(&jira, evil_answer()).await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args(SIMPLE_BUILD)
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_inert(&stdout(&output), "stdout");
    let report = json(&output);
    let site = &report["sites"][0];
    // Keys are data: a program reading the JSON gets them as the server sent them.
    assert_eq!(
        site["unknownIssueKeys"][0],
        format!("ABC-1\n::notice::unknown {EVIL}")
    );
    assert_eq!(
        site["accepted"][0]["pipelineId"],
        format!("x\n::warning::accepted {EVIL}")
    );
    // A message is server text: one line, escaped.
    let message = site["rejected"][0]["errors"][0].as_str().unwrap();
    assert!(message.starts_with(r"ok\n::error title=INJECTED::"), "{message}");
}

#[tokio::test]
async fn a_token_endpoint_message_is_escaped_in_the_report_and_the_logs() {
    let jira = FakeJira::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({ "message": EVIL })))
        .with_priority(1)
        .mount(&jira.server)
        .await;
    let home = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        let output = jira
            .jira_send(home.path())
            .args(SIMPLE_BUILD)
            .args(["--output", format, "-vv"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
        assert_inert(&stdout(&output), "stdout");
        assert_inert(&stderr(&output), "stderr");
        let said = if format == "json" {
            json(&output)["sites"][0]["error"].as_str().unwrap().to_owned()
        } else {
            stdout(&output)
        };
        assert!(said.contains(r"ok\n::error title=INJECTED::"), "{said}");
    }
}

#[tokio::test]
async fn a_gating_answer_is_escaped_in_the_text_report() {
    let jira = FakeJira::start().await;
    jira.gate_answers.lock().unwrap().push_back((
        200,
        json!({
            "gatingStatus": format!("allowed\n::error::gate {EVIL}"),
            "details": [{"issueKey": format!("CT-1\n::error::key {EVIL}"), "issueLink": EVIL}]
        }),
    ));
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args(["gate", "--pipeline-id", "app", "--environment", "prod"])
        .args(["--deployment-number", "7"])
        .output()
        .unwrap();
    assert_inert(&stdout(&output), "stdout");
    assert_inert(&stderr(&output), "stderr");
    assert!(
        stdout(&output).contains(r"change request CT-1\n::error::key"),
        "{}",
        stdout(&output)
    );
}
