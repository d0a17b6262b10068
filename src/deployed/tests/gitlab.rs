//! The GitLab deployments endpoint, faked on loopback.

use pretty_assertions::assert_eq;
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{TOKEN, capture_logs, client, deadline};
use crate::deployed::gitlab::{GitLab, last_success};
use crate::deployed::{Answer, Deployed};

const HEAD: &str = "ffffffffffffffffffffffffffffffffffffffff";
const JOB: u64 = 9001;

fn gitlab(server: &MockServer) -> GitLab {
    GitLab {
        api_url: format!("{}/api/v4", server.uri()).parse().unwrap(),
        project_id: "42".into(),
        job_token: SecretString::from(TOKEN),
        job_id: Some(JOB),
        reference: Some("main".into()),
        environment: "production".into(),
    }
}

fn deployment(iid: u64, sha: char, reference: &str, job: u64, finished: &str) -> Value {
    json!({
        "id": 1000 + iid, "iid": iid, "ref": reference, "sha": sha.to_string().repeat(40),
        "status": "success", "created_at": "2026-01-01T00:00:00Z", "finished_at": finished,
        "deployable": {"id": job, "status": "success"},
    })
}

async fn serve(server: &MockServer, list: Value) {
    Mock::given(method("GET"))
        .and(path("/api/v4/projects/42/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn one_request_skipping_this_job_and_preferring_the_same_ref() {
    let server = MockServer::start().await;
    serve(
        &server,
        json!([
            // This job's own deployment, already marked successful by an earlier step.
            deployment(9, 'e', "main", JOB, "2026-11-22T09:00:00Z"),
            // A deployment of HEAD itself (a retried job).
            deployment(8, 'f', "main", 8000, "2026-11-21T09:00:00Z"),
            deployment(7, 'd', "v1.4.0", 7000, "2026-11-20T09:00:00Z"),
            deployment(6, 'a', "main", 6000, "2026-11-19T09:00:00Z"),
        ]),
    )
    .await;

    let answer = last_success(&gitlab(&server), HEAD, &client(), deadline(30)).await;

    assert_eq!(
        answer,
        Answer::Found(Deployed {
            sha: "a".repeat(40),
            detail: "GitLab deployment #6, 2026-11-19, aaaaaaa".into(),
        })
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request.url.query(),
        Some("environment=production&status=success&order_by=finished_at&sort=desc&per_page=20")
    );
    assert_eq!(request.headers.get("job-token").unwrap(), TOKEN);
    assert!(request.headers.get("authorization").is_none());
    assert!(!request.url.as_str().contains(TOKEN));
}

#[tokio::test]
async fn without_one_on_the_same_ref_the_newest_is_taken() {
    // Deployments from tags: each has its own ref.
    let server = MockServer::start().await;
    serve(
        &server,
        json!([
            deployment(7, 'd', "v1.4.0", 7000, "2026-11-20T09:00:00Z"),
            deployment(6, 'a', "v1.3.0", 6000, "2026-11-19T09:00:00Z"),
        ]),
    )
    .await;
    let answer = last_success(&gitlab(&server), HEAD, &client(), deadline(30)).await;
    assert!(
        matches!(answer, Answer::Found(ref d) if d.sha == "d".repeat(40)),
        "{answer:?}"
    );
}

#[tokio::test]
async fn no_earlier_deployment_is_none_yet_not_failed() {
    let server = MockServer::start().await;
    serve(
        &server,
        json!([deployment(9, 'e', "main", JOB, "2026-11-22T09:00:00Z")]),
    )
    .await;
    let answer = last_success(&gitlab(&server), HEAD, &client(), deadline(30)).await;
    assert_eq!(
        answer,
        Answer::NoneYet(
            "GitLab has no earlier successful deployment to the environment \"production\"".into()
        )
    );
}

#[tokio::test]
async fn a_refused_job_token_is_a_warning_with_advice_and_no_secret() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "401 Unauthorized"})))
        .expect(1)
        .mount(&server)
        .await;
    let (logs, _guard) = capture_logs();
    let answer = last_success(&gitlab(&server), HEAD, &client(), deadline(30)).await;
    let Answer::Failed { warning, remedy } = answer else {
        panic!("{answer:?}")
    };
    assert!(warning.starts_with("cannot read the deployments of the GitLab environment \"production\": GitLab refused the token (401): 401 Unauthorized"), "{warning}");
    assert_eq!(
        remedy.as_deref(),
        Some("give the job token read access to the project's deployments")
    );
    assert!(!logs.text().contains(TOKEN));
}

#[tokio::test]
async fn an_answer_that_is_not_a_list_is_unexpected() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>sign in</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let answer = last_success(&gitlab(&server), HEAD, &client(), deadline(30)).await;
    let Answer::Failed { warning, .. } = answer else {
        panic!("{answer:?}")
    };
    assert!(
        warning
            .contains("GitLab gave an unexpected answer: 200 OK with a body that is not the expected JSON"),
        "{warning}"
    );
}
