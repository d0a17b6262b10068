//! What the status of a bulk answer means: a verdict on the request (a 4xx other than
//! 401, 403 and 404, which have their own meaning: its entities are rejected), or
//! nothing about it (429, 5xx, a proxy's 408, nginx's 499, 425, a status outside the
//! standard range): retried, then queued, never reported as rejected.

use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{FakeJira, json, stderr};

/// The bulk builds endpoint answers `status` `times` times, then normally.
async fn answer(jira: &FakeJira, status: u16, times: u64) {
    Mock::given(method("POST"))
        .and(path_regex(r"^/jira/builds/.*/bulk$"))
        .respond_with(ResponseTemplate::new(status))
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&jira.server)
        .await;
}

#[tokio::test]
async fn statuses_that_say_nothing_about_the_request_are_retried_then_queued() {
    for status in [408, 425, 499, 600, 999] {
        // Once: the retry delivers it.
        let jira = FakeJira::start().await;
        answer(&jira, status, 1).await;
        let home = tempfile::tempdir().unwrap();
        let output = jira.simple_build(home.path());
        assert_eq!(output.status.code(), Some(0), "{status}: {}", stderr(&output));
        assert_eq!(
            jira.bulk_bodies("builds").await.len(),
            2,
            "{status}: retried once"
        );

        // For good: queued, not rejected.
        let jira = FakeJira::start().await;
        answer(&jira, status, 100).await;
        let home = tempfile::tempdir().unwrap();
        let output = jira
            .jira_send(home.path())
            .args(crate::common::SIMPLE_BUILD)
            .args(["--output", "json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(4), "{status}: {}", stderr(&output));
        let site = &json(&output)["sites"][0];
        assert_eq!(
            site["rejected"].as_array().map(Vec::len),
            Some(0),
            "{status}: {site:#}"
        );
        assert!(site["outbox"].is_string(), "{status}: queued: {site:#}");
    }
}

#[tokio::test]
async fn another_4xx_is_a_verdict_on_the_request() {
    for status in [400, 409, 422] {
        let jira = FakeJira::start().await;
        answer(&jira, status, 100).await;
        let home = tempfile::tempdir().unwrap();
        let output = jira.simple_build(home.path());
        assert_eq!(output.status.code(), Some(1), "{status}: {}", stderr(&output));
        assert_eq!(jira.bulk_bodies("builds").await.len(), 1, "{status}: not retried");
    }
}

/// A request Jira never took (an outage the retries outlasted) is not counted as
/// answered, in this run's count nor as a delivery from the outbox: the text said
/// "1 of 2 requests answered" for one request, and a queued report that failed again
/// was "delivered from the outbox first".
#[tokio::test]
async fn a_request_jira_never_took_is_not_counted_as_answered() {
    let jira = FakeJira::start().await;
    // Unavailable for an hour: the run gives up at once, and its report is queued.
    Mock::given(method("POST"))
        .and(path_regex(r"^/jira/builds/.*/bulk$"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "3600"))
        .with_priority(1)
        .mount(&jira.server)
        .await;
    let home = tempfile::tempdir().unwrap();
    let run = |output: &str| {
        jira.jira_send(home.path())
            .args(crate::common::SIMPLE_BUILD)
            .args(["--timeout", "5s", "--output", output])
            .output()
            .unwrap()
    };
    let first = run("text");
    assert_eq!(first.status.code(), Some(4), "{}", stderr(&first));
    let text = crate::common::stdout(&first);
    assert!(text.contains("(0 of 1 request answered)"), "{text}");

    // The queued report is tried first and fails again: no delivery from the outbox.
    let second = run("json");
    assert_eq!(second.status.code(), Some(4), "{}", stderr(&second));
    let site = &json(&second)["sites"][0];
    assert_eq!(site["requests"], 0, "{site:#}");
    assert!(site.get("fromOutbox").is_none(), "{site:#}");
}
