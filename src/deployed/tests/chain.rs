//! The chain as `find` runs it: which sources are asked, and how many requests each
//! costs.

use pretty_assertions::assert_eq;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{client, deadline, github};
use crate::deployed::{Answer, CiBase, Deployed, Explicit, FromSource, Lookup, Mode, Start, Targets, find};

const HEAD: &str = "ffffffffffffffffffffffffffffffffffffffff";
const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const J: &str = "1111111111111111111111111111111111111111";

fn targets(api: &str) -> Targets {
    Targets {
        github: Ok(github(api, "prod")),
        gitlab: Err(Answer::missing("not GitLab CI")),
        jenkins: Answer::Found(Deployed {
            sha: J.into(),
            detail: "Jenkins' last successful build, 1111111".into(),
        }),
    }
}

async fn run(mode: Mode, explicit: Option<Explicit>, targets: &Targets) -> crate::deployed::Resolution {
    run_with(mode, explicit, targets, false).await
}

async fn run_with(
    mode: Mode,
    explicit: Option<Explicit>,
    targets: &Targets,
    offline: bool,
) -> crate::deployed::Resolution {
    let client = client();
    find(&Lookup {
        mode,
        explicit,
        environment: "prod",
        environment_id: "prod",
        head: HEAD,
        targets,
        git: None,
        record_deployment: false,
        ci_base: Some(CiBase {
            sha: "c".repeat(40),
            detail: "the push's previous commit".into(),
        }),
        client: (!offline).then_some(&client),
        deadline: deadline(30),
    })
    .await
}

#[tokio::test]
async fn github_answers_in_two_requests_and_nothing_else_is_asked() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 2, "sha": HEAD, "created_at": "2026-11-21T00:00:00Z"},
            {"id": 1, "sha": A, "created_at": "2026-11-20T00:00:00Z"}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/deployments/1/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"state": "success"}])))
        .mount(&server)
        .await;

    let resolution = run(Mode::Auto, None, &targets(&server.uri())).await;

    assert_eq!(resolution.from_source, FromSource::Github);
    assert_eq!(resolution.start, Start::Deployed(A.into()));
    assert_eq!(
        resolution.detail.as_deref(),
        Some("GitHub deployment 1, 2026-11-20, aaaaaaa")
    );
    assert!(
        resolution.warnings.is_empty() && resolution.notes.is_empty(),
        "{resolution:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "the typical GitHub lookup"
    );
}

#[tokio::test]
async fn a_refusal_falls_through_to_the_next_source_with_a_warning() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let resolution = run(Mode::Auto, None, &targets(&server.uri())).await;

    assert_eq!(resolution.from_source, FromSource::Jenkins);
    assert_eq!(resolution.start, Start::Deployed(J.into()));
    assert_eq!(resolution.warnings.len(), 1);
    assert!(resolution.warnings[0].contains("it needs `deployments: read`; trying the next source"));
    assert_eq!(
        resolution.notes,
        [
            "GitLab deployments: not GitLab CI",
            "marker tag: not in a git repository",
        ]
    );
}

#[tokio::test]
async fn no_request_when_the_range_is_explicit_or_the_source_is_off() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let targets = targets(&server.uri());

    let since = run(Mode::Auto, Some(Explicit::Since("v1.0".into())), &targets).await;
    assert_eq!(
        (since.from_source, since.start),
        (FromSource::Since, Start::Since("v1.0".into()))
    );

    let off = run(Mode::Off, None, &targets).await;
    assert_eq!(off.from_source, FromSource::Ci);
    assert!(off.warnings.is_empty());

    let jenkins = run(Mode::Jenkins, None, &targets).await;
    assert_eq!(jenkins.from_source, FromSource::Jenkins);

    // A dry run: no network, so the APIs are not asked; Jenkins' variable still is.
    let offline = run_with(Mode::Auto, None, &targets, true).await;
    assert_eq!(offline.from_source, FromSource::Jenkins);
    assert!(offline.notes[0].starts_with("GitHub deployments: not asked: the lookup is offline"));

    assert!(server.received_requests().await.unwrap().is_empty());
}
