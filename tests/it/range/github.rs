//! GitHub Actions: the last successful deployment from the deployments API, and the
//! commits since it from the compare API, on the one-commit checkout GitHub makes.

use pretty_assertions::assert_eq;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::fake_github::{FakeGitHub, History, actions, history};
use super::{TOKEN, assert_ran, keys_sent, range, short, warnings};
use crate::common::{FakeJira, json, stderr, stdout};

#[tokio::test]
async fn a_depth_one_run_sends_every_key_since_the_last_successful_deployment() {
    let History {
        upstream,
        a,
        failed,
        before,
        head,
    } = history();
    let github = FakeGitHub::start().await;
    github
        .deployments(&[
            // This run's own deployment (a job with `environment:` makes one).
            (103, &head, "2026-11-22T10:00:00Z"),
            (102, &failed, "2026-11-21T10:00:00Z"),
            (101, &a, "2026-11-20T10:00:00Z"),
        ])
        .await;
    github.statuses(102, &["failure", "in_progress"]).await;
    // A later success marked it inactive: it still counts.
    github.statuses(101, &["inactive", "success"]).await;
    github
        .compare(&a, &head, &upstream.log(&format!("{a}..{head}")))
        .await;
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", Some(1));

    let output = upstream
        .jira_send(&jira, &checkout)
        .envs(actions(&upstream, &github, &before))
        .args([
            "deployment",
            "--environment",
            "Production EU",
            "--output",
            "json",
            "-vv",
        ])
        .output()
        .unwrap();

    assert_ran(&output);
    assert_eq!(
        keys_sent(&jira).await,
        [
            "OPS-9", "ABC-8", "ABC-7", "ABC-5", "ABC-6", "ABC-4", "ABC-3", "ABC-2"
        ],
        "the branch, then every commit since A, newest first"
    );
    assert_eq!(
        range(&output),
        json!({
            "from": a,
            "to": head,
            "commits": 6,
            "fromSource": "github",
            "fromDetail": format!("GitHub deployment 101, 2026-11-20, {}", short(&a)),
            "truncated": false,
        })
    );
    let list = "/repos/acme/app/deployments?environment=Production+EU&per_page=30";
    assert_eq!(
        github.asked().await,
        [
            list.to_owned(),
            "/repos/acme/app/deployments/102/statuses?per_page=100".to_owned(),
            "/repos/acme/app/deployments/101/statuses?per_page=100".to_owned(),
            format!("/repos/acme/app/compare/{a}...{head}?per_page=100&page=1"),
        ],
        "this run's own deployment is skipped"
    );
    for request in github.requests().await {
        assert_eq!(
            request.headers.get("authorization").unwrap().to_str().unwrap(),
            format!("Bearer {TOKEN}")
        );
    }
    assert_eq!(warnings(&output), Vec::<String>::new());
    // The clone was not touched: still one commit deep.
    assert_eq!(upstream.git(&checkout, &["rev-list", "--count", "HEAD"]), "1");

    // The text report says where the range came from.
    let text = upstream
        .jira_send(&jira, &checkout)
        .envs(actions(&upstream, &github, &before))
        .args(["deployment", "--environment", "Production EU"])
        .output()
        .unwrap();
    assert_ran(&text);
    assert!(
        stdout(&text).starts_with(&format!(
            "keys from 6 commits since the last successful deployment to Production EU (GitHub \
             deployment 101, 2026-11-20, {})\n",
            short(&a)
        )),
        "{}",
        stdout(&text)
    );

    // --max-commits keeps the newest of the compared commits, and says so.
    let capped = upstream
        .jira_send(&jira, &checkout)
        .envs(actions(&upstream, &github, &before))
        .args([
            "keys",
            "--environment",
            "Production EU",
            "--max-commits",
            "3",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_ran(&capped);
    assert_eq!(
        json(&capped)["issueKeys"],
        json!(["OPS-9", "ABC-8", "ABC-7", "ABC-5", "ABC-6"])
    );
    assert_eq!(
        (&range(&capped)["commits"], &range(&capped)["truncated"]),
        (&json!(3), &json!(true))
    );
    assert_eq!(
        warnings(&capped),
        ["jira-send: warning: read only the newest 3 commits of the range; raise --max-commits to read more"]
    );
}

#[tokio::test]
async fn a_refused_token_names_the_permission_and_the_ci_range_is_read() {
    let History { upstream, before, .. } = history();
    let github = FakeGitHub::start().await;
    // The answer echoes the token: it must not reach the log.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(
                json!({"message": format!("Resource not accessible by integration ({TOKEN})")}),
            ),
        )
        .mount(&github.server)
        .await;
    let jira = FakeJira::start().await;
    // Deep enough for the push's range.
    let checkout = upstream.checkout("ci", Some(2));

    let output = upstream
        .jira_send(&jira, &checkout)
        .envs(actions(&upstream, &github, &before))
        .args([
            "deployment",
            "--environment",
            "Production EU",
            "--output",
            "json",
            "-vv",
        ])
        .output()
        .unwrap();

    assert_ran(&output);
    assert_eq!(github.asked().await.len(), 1, "a refusal is not asked again");
    assert_eq!(keys_sent(&jira).await, ["OPS-9", "ABC-8"], "the push's range");
    assert_eq!(range(&output)["fromSource"], "ci");
    let warnings = warnings(&output);
    assert!(
        warnings[0].contains(
            "GitHub refused the token (403): Resource not accessible by integration (****): it needs \
             `deployments: read`"
        ),
        "{warnings:?}"
    );
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[1].contains("grant GITHUB_TOKEN `deployments: read` (the job's `permissions:`)"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_within_the_lookups_share_of_the_timeout() {
    let History {
        upstream,
        a,
        before,
        head,
        ..
    } = history();
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", None);

    // Asked to wait a second: the lookup waits, asks again, and finds A.
    let github = FakeGitHub::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/deployments"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&github.server)
        .await;
    github.deployments(&[(101, &a, "2026-11-20T10:00:00Z")]).await;
    github.statuses(101, &["success"]).await;
    let output = upstream
        .jira_send(&jira, &checkout)
        .envs(actions(&upstream, &github, &before))
        .args(["deployment", "--environment", "Production EU", "--output", "json"])
        .output()
        .unwrap();
    assert_ran(&output);
    assert_eq!(range(&output)["fromSource"], "github");
    assert_eq!(range(&output)["commits"], 6, "a full clone: walked, not compared");
    assert_eq!(github.asked().await.len(), 3, "the list twice, one status");
    assert_eq!(warnings(&output), Vec::<String>::new());

    // Asked to wait longer than the lookup's share of --timeout (a third of 6 s): it
    // does not wait, says so, and the range is the push's.
    let github = FakeGitHub::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&github.server)
        .await;
    let output = upstream
        .jira_send(&jira, &checkout)
        .envs(actions(&upstream, &github, &before))
        .args(["deployment", "--environment", "Production EU", "--output", "json"])
        .args(["--timeout", "6s"])
        .output()
        .unwrap();
    assert_ran(&output);
    assert_eq!(github.asked().await.len(), 1);
    assert_eq!(range(&output)["fromSource"], "ci");
    assert_eq!(range(&output)["to"], head);
    assert!(
        warnings(&output)[0].contains("GitHub rate limit: 429 Too Many Requests, asked to wait 3600s"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn an_explicit_range_a_dry_run_and_a_plain_keys_ask_github_nothing() {
    let History {
        upstream,
        a,
        before,
        head,
        ..
    } = history();
    let github = FakeGitHub::start().await;
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", None);
    let run = |args: &[&str]| {
        upstream
            .jira_send(&jira, &checkout)
            .envs(actions(&upstream, &github, &before))
            .args(args)
            .args(["--output", "json"])
            .output()
            .unwrap()
    };

    let since = run(&[
        "deployment",
        "--environment",
        "Production EU",
        "--since",
        "HEAD~2",
    ]);
    assert_ran(&since);
    assert_eq!(range(&since)["fromSource"], "since");
    assert_eq!(range(&since)["fromDetail"], "--since HEAD~2");
    assert_eq!(keys_sent(&jira).await, ["OPS-9", "ABC-8", "ABC-7"]);

    // Offline: the local marker tag still answers, and origin is not asked (it could
    // not be: asked, it would be a warning and a "(local)" tag).
    upstream.git(&checkout, &["tag", "jira-send/deployed/production-eu", &a]);
    upstream.git(
        &checkout,
        &["remote", "set-url", "origin", "file:///nonexistent/origin.git"],
    );
    let dry = run(&["deployment", "--environment", "Production EU", "--dry-run"]);
    assert_ran(&dry);
    assert_eq!(warnings(&dry), Vec::<String>::new());
    assert_eq!(
        range(&dry)["fromDetail"],
        format!("tag jira-send/deployed/production-eu, {}", short(&a))
    );
    assert_eq!(range(&dry)["fromSource"], "tag");
    assert_eq!(range(&dry)["from"], a);
    assert_eq!(range(&dry)["commits"], 6);
    assert_eq!(json(&dry)["issueKeys"].as_array().unwrap().len(), 8);

    let keys = run(&["keys"]);
    assert_ran(&keys);
    assert_eq!(range(&keys)["fromSource"], "ci");
    assert_eq!(range(&keys)["from"], before);
    assert_eq!(range(&keys)["to"], head);

    assert_eq!(github.asked().await, Vec::<String>::new());
}

#[tokio::test]
async fn keys_with_an_environment_previews_the_range_from_github() {
    let History {
        upstream,
        a,
        before,
        head,
        ..
    } = history();
    let github = FakeGitHub::start().await;
    github.deployments(&[(101, &a, "2026-11-20T10:00:00Z")]).await;
    github.statuses(101, &["success"]).await;
    github
        .compare(&a, &head, &upstream.log(&format!("{a}..{head}")))
        .await;
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", Some(1));

    let output = upstream
        .jira_send(&jira, &checkout)
        .envs(actions(&upstream, &github, &before))
        .env("JIRA_SEND_ENVIRONMENT", "Production EU")
        .args(["keys"])
        .output()
        .unwrap();

    assert_ran(&output);
    let text = stdout(&output);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "keys from 6 commits since the last successful deployment to Production EU (GitHub \
             deployment 101, 2026-11-20, {})",
            short(&a)
        )
    );
    let keys: Vec<&str> = lines.map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "OPS-9", "ABC-8", "ABC-7", "ABC-5", "ABC-6", "ABC-4", "ABC-3", "ABC-2"
        ]
    );
    assert_eq!(github.asked().await.len(), 3);
    assert!(
        jira.server.received_requests().await.unwrap().is_empty(),
        "never Jira"
    );
}

#[tokio::test]
async fn a_first_deployment_is_no_cause_for_a_warning() {
    let History {
        upstream,
        failed,
        before,
        head,
        ..
    } = history();
    let github = FakeGitHub::start().await;
    github
        .deployments(&[
            (103, &head, "2026-11-22T10:00:00Z"),
            (102, &failed, "2026-11-21T10:00:00Z"),
        ])
        .await;
    github.statuses(102, &["failure"]).await;
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", None);

    let output = upstream
        .jira_send(&jira, &checkout)
        .envs(actions(&upstream, &github, &before))
        .args([
            "deployment",
            "--environment",
            "Production EU",
            "--output",
            "json",
            "-v",
        ])
        .output()
        .unwrap();

    assert_ran(&output);
    assert_eq!(range(&output)["fromSource"], "ci");
    assert_eq!(keys_sent(&jira).await, ["OPS-9", "ABC-8"]);
    assert_eq!(warnings(&output), Vec::<String>::new());
    assert!(
        stderr(&output).contains(
            "info: GitHub deployments: none of the 1 newest earlier deployments to the GitHub \
             environment \"Production EU\" succeeded"
        ),
        "{}",
        stderr(&output)
    );
}
