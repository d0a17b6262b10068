//! A fake of GitHub's REST API on loopback, and the history of the GitHub Actions runs
//! that ask it.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::TOKEN;
use crate::common::{Upstream, github_push};

/// A fake of GitHub's REST API for `acme/app`, recording what it is asked.
pub(super) struct FakeGitHub {
    pub(super) server: MockServer,
}

impl FakeGitHub {
    pub(super) async fn start() -> Self {
        Self {
            server: MockServer::start().await,
        }
    }

    /// The deployments of "Production EU", newest first: `(id, sha, created_at)`.
    pub(super) async fn deployments(&self, list: &[(u64, &str, &str)]) {
        let list: Vec<Value> = list
            .iter()
            .map(|(id, sha, created)| {
                json!({"id": id, "sha": sha, "ref": "main", "environment": "Production EU", "created_at": created})
            })
            .collect();
        Mock::given(method("GET"))
            .and(path("/repos/acme/app/deployments"))
            .and(query_param("environment", "Production EU"))
            .respond_with(ResponseTemplate::new(200).set_body_json(list))
            .mount(&self.server)
            .await;
    }

    /// The statuses of deployment `id`, newest first.
    pub(super) async fn statuses(&self, id: u64, states: &[&str]) {
        let list: Vec<Value> = states.iter().map(|s| json!({"state": s})).collect();
        Mock::given(method("GET"))
            .and(path(format!("/repos/acme/app/deployments/{id}/statuses")))
            .respond_with(ResponseTemplate::new(200).set_body_json(list))
            .mount(&self.server)
            .await;
    }

    /// `compare/{base}...{head}`: `commits` (id and message, oldest first), one page.
    pub(super) async fn compare(&self, base: &str, head: &str, commits: &[(String, String)]) {
        let entries: Vec<Value> = commits
            .iter()
            .map(|(sha, message)| json!({"sha": sha, "commit": {"message": message}}))
            .collect();
        Mock::given(method("GET"))
            .and(path(format!("/repos/acme/app/compare/{base}...{head}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": "ahead",
                "total_commits": commits.len(),
                "merge_base_commit": {"sha": base},
                "commits": entries,
            })))
            .mount(&self.server)
            .await;
    }

    /// Each request's path and query, in order.
    pub(super) async fn asked(&self) -> Vec<String> {
        self.requests()
            .await
            .iter()
            .map(|r| format!("{}?{}", r.url.path(), r.url.query().unwrap_or_default()))
            .collect()
    }

    pub(super) async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap()
    }
}

/// A GitHub Actions push run of `release/OPS-9` whose push started at `before`, with
/// the workflow's token and the fake's API.
pub(super) fn actions(upstream: &Upstream, github: &FakeGitHub, before: &str) -> Vec<(String, String)> {
    let mut vars = github_push("release/OPS-9", Some(before), &upstream.home);
    vars.push(("GITHUB_TOKEN".into(), TOKEN.into()));
    vars.push(("GITHUB_API_URL".into(), github.server.uri()));
    vars
}

/// The history of the runs below: commit A was deployed to Production EU, F's
/// deployment failed, and the last push (`before`..HEAD) added one commit.
pub(super) struct History {
    pub(super) upstream: Upstream,
    pub(super) a: String,
    pub(super) failed: String,
    pub(super) before: String,
    pub(super) head: String,
}

pub(super) fn history() -> History {
    let upstream = Upstream::new("release/OPS-9");
    upstream.commit("ABC-0 before the last deployment");
    let a = upstream.commit("ABC-1 deployed last time");
    upstream.commit("ABC-2 add the form");
    upstream.commit("ABC-3 validate it");
    let failed = upstream.commit("ABC-4 retry payments");
    upstream.commit("ABC-5 pay by card\n\nAlso fixes ABC-6.");
    let before = upstream.commit("ABC-7 a typo");
    let head = upstream.commit("ABC-8 the last push");
    History {
        upstream,
        a,
        failed,
        before,
        head,
    }
}
