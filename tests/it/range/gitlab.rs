//! GitLab CI: the last successful deployment from the deployments API with the job's
//! token, and a shallow clone deepened until it reaches that deployment's commit (the
//! job token may not call the compare API).

use pretty_assertions::assert_eq;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{TOKEN, assert_ran, keys_sent, range, short, warnings};
use crate::common::{FakeJira, Upstream, stderr};

const JOB: u64 = 9001;

#[tokio::test]
async fn a_depth_one_job_sends_every_key_since_the_last_successful_deployment() {
    let upstream = Upstream::new("main");
    let messages: Vec<String> = (0..80).map(|i| format!("ABC-{i} change {i}")).collect();
    let ids = upstream.commits(&messages);
    // 69 commits below HEAD: out of reach of the first deepening step (50).
    let a = &ids[10];
    let head = &ids[79];
    let gitlab = MockServer::start().await;
    let deployment = |iid: u64, sha: &str, job: u64, finished: &str| {
        json!({
            "id": 5000 + iid, "iid": iid, "ref": "main", "sha": sha, "status": "success",
            "created_at": finished, "finished_at": finished, "deployable": {"id": job},
        })
    };
    Mock::given(method("GET"))
        .and(path("/api/v4/projects/42/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            // This job's own deployment, already successful as its after_script runs.
            deployment(12, head, JOB, "2026-11-22T09:00:00Z"),
            deployment(11, a, 8000, "2026-11-20T09:00:00Z"),
        ])))
        .mount(&gitlab)
        .await;
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", Some(1));
    let api = format!("{}/api/v4", gitlab.uri());

    let output = upstream
        .jira_send(&jira, &checkout)
        .envs([
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "acme/shop"),
            ("CI_PROJECT_URL", "https://gitlab.example.com/acme/shop"),
            ("CI_PROJECT_ID", "42"),
            ("CI_PIPELINE_IID", "314"),
            (
                "CI_PIPELINE_URL",
                "https://gitlab.example.com/acme/shop/-/pipelines/1314",
            ),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_COMMIT_REF_NAME", "main"),
            ("CI_COMMIT_SHA", head),
            ("CI_COMMIT_BEFORE_SHA", &ids[78]),
            ("CI_JOB_ID", &JOB.to_string()),
            ("CI_JOB_STATUS", "success"),
            ("CI_ENVIRONMENT_NAME", "Production EU"),
            ("CI_JOB_TOKEN", TOKEN),
            ("CI_API_V4_URL", &api),
        ])
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
    let expected: Vec<String> = (11..80).rev().map(|i| format!("ABC-{i}")).collect();
    assert_eq!(keys_sent(&jira).await, expected);
    assert_eq!(
        range(&output),
        json!({
            "from": a,
            "to": head,
            "commits": 69,
            "fromSource": "gitlab",
            "fromDetail": format!("GitLab deployment #11, 2026-11-20, {}", short(a)),
            "truncated": false,
        })
    );
    let requests = gitlab.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].url.query(),
        Some("environment=Production+EU&status=success&order_by=finished_at&sort=desc&per_page=20")
    );
    assert_eq!(requests[0].headers.get("job-token").unwrap(), TOKEN);
    // The deployed commit was fetched, then 50 commits (too few), then 200.
    assert!(
        stderr(&output).contains(&format!(
            "deepened the shallow clone by 200 commits to reach {}",
            short(a)
        )),
        "{}",
        stderr(&output)
    );
    assert_eq!(warnings(&output), Vec::<String>::new());
}

#[tokio::test]
async fn deepening_never_goes_past_max_commits_and_then_reads_what_the_clone_has() {
    let upstream = Upstream::new("main");
    let messages: Vec<String> = (0..40).map(|i| format!("ABC-{i} change {i}")).collect();
    let ids = upstream.commits(&messages);
    let checkout = upstream.checkout("ci", Some(1));
    // The last deployment, recorded 30 commits below HEAD; the walk may read 10.
    upstream.git(
        &upstream.work,
        &[
            "push",
            "-q",
            "origin",
            &format!("{}:refs/tags/jira-send/deployed/production-eu", ids[9]),
        ],
    );
    let jira = FakeJira::start().await;

    let output = upstream
        .jira_send(&jira, &checkout)
        .args(["deployment", "--environment", "Production EU", "--output", "json"])
        .args([
            "--max-commits",
            "10",
            "--deployment-number",
            "7",
            "--pipeline-id",
            "shop",
        ])
        .args(["--url", "https://ci.example.com/7"])
        .output()
        .unwrap();

    assert_ran(&output);
    let range = range(&output);
    assert_eq!(range["fromSource"], "tag");
    assert_eq!(range["from"], ids[9]);
    assert_eq!(range["commits"], 10);
    assert_eq!(range["truncated"], true);
    let expected: Vec<String> = (30..40).rev().map(|i| format!("ABC-{i}")).collect();
    assert_eq!(keys_sent(&jira).await, expected);
    let warnings = warnings(&output);
    assert!(
        warnings.iter().any(
            |w| w.contains("not in this shallow clone (not within 10 more commits)")
                && w.contains("GIT_DEPTH")
        ),
        "{warnings:?}"
    );
    // 1 + 10 commits: the clone, deepened by at most --max-commits.
    assert_eq!(upstream.git(&checkout, &["rev-list", "--count", "HEAD"]), "11");
}
