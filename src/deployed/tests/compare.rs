//! GitHub's compare endpoint, faked on loopback and paged as GitHub pages it.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::github::{A, C, HEAD, assert_github_headers, requests};
use super::{client, deadline, github};
use crate::deployed::github::{Compared, Relation, compare};
use crate::deployed::rest::Failure;

/// A compare endpoint over `total` commits `c0` (oldest) … `c{total-1}`, paged as
/// GitHub pages it.
async fn mount_compare(server: &MockServer, total: usize, status: &str) {
    let status = status.to_owned();
    let page = move |request: &Request| {
        let query = |name: &str| -> usize {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map_or(0, |(_, v)| v.parse().unwrap())
        };
        let (per_page, page) = (query("per_page"), query("page"));
        let commits: Vec<Value> = ((page - 1) * per_page..(page * per_page).min(total))
            .map(|i| json!({"sha": format!("{i:040x}"), "commit": {"message": format!("ABC-{i} change {i}\n\nbody")}}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "status": status,
            "ahead_by": total,
            "behind_by": 0,
            "total_commits": total,
            "merge_base_commit": {"sha": C},
            "commits": commits,
        }))
    };
    Mock::given(method("GET"))
        .and(wiremock::matchers::path(format!(
            "/repos/acme/app/compare/{A}...{HEAD}"
        )))
        .and(query_param("per_page", "100"))
        .respond_with(page)
        .mount(server)
        .await;
}

/// What `compare` reads of `A...HEAD` at `server`, keeping at most `max_commits`.
async fn compare_at(server: &MockServer, max_commits: usize) -> Result<Compared, Failure> {
    let github = github(&server.uri(), "prod");
    compare(&github, A, HEAD, max_commits, &client(), deadline(30)).await
}

#[tokio::test]
async fn compare_reads_every_page_oldest_first() {
    let server = MockServer::start().await;
    mount_compare(&server, 250, "ahead").await;

    let compared = compare_at(&server, 1000).await.unwrap();

    assert_eq!(compared.relation, Relation::Ahead);
    assert_eq!(
        (compared.total, compared.commits.len(), compared.truncated),
        (250, 250, false)
    );
    assert_eq!(compared.commits[0].message, "ABC-0 change 0\n\nbody");
    assert_eq!(compared.commits[249].sha, format!("{:040x}", 249));
    let pages: Vec<String> = requests(&server).await;
    assert_eq!(
        pages,
        (1..=3)
            .map(|p| format!("/repos/acme/app/compare/{A}...{HEAD}?per_page=100&page={p}"))
            .collect::<Vec<_>>()
    );
    for request in server.received_requests().await.unwrap() {
        assert_github_headers(&request);
    }
}

#[tokio::test]
async fn compare_keeps_the_newest_max_commits_and_skips_pages_it_does_not_need() {
    let server = MockServer::start().await;
    mount_compare(&server, 250, "diverged").await;

    let compared = compare_at(&server, 40).await.unwrap();

    assert_eq!(compared.relation, Relation::Diverged);
    assert_eq!(compared.merge_base.as_deref(), Some(C));
    assert!(compared.truncated);
    let indices: Vec<String> = compared.commits.iter().map(|c| c.sha.clone()).collect();
    assert_eq!(
        indices,
        (210..250).map(|i| format!("{i:040x}")).collect::<Vec<_>>()
    );
    // Page 1 tells the total; page 2 holds nothing of the newest 40.
    let pages: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r.rsplit('&').next().unwrap().to_owned())
        .collect();
    assert_eq!(pages, ["page=1", "page=3"]);
}

#[tokio::test]
async fn compare_of_a_rollback_lists_nothing() {
    let server = MockServer::start().await;
    mount_compare(&server, 0, "behind").await;
    let compared = compare_at(&server, 1000).await.unwrap();
    assert_eq!(
        (compared.relation, compared.commits.len(), compared.truncated),
        (Relation::Behind, 0, false)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn compare_without_contents_permission_names_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .expect(1)
        .mount(&server)
        .await;
    let failure = compare_at(&server, 1000).await.unwrap_err();
    assert_eq!(failure.permission(), Some("`contents: read`"));
}
