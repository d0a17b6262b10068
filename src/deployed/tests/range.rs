//! Placing the last deployment against HEAD in real repositories: deepening a
//! shallow clone, a redeploy, a rollback, a base on another branch, and GitHub's
//! compare API instead of the clone.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::sandbox::{ENV_ID, Sandbox, found_sha, plan_for, read_marker};
use super::{client, deadline, github};
use crate::deployed::deepen::deepen;
use crate::deployed::marker::{Recorded, record};
use crate::deployed::plan::{Placement, Placing, Plan, place, plan};

#[tokio::test]
async fn deepening_goes_in_steps_until_the_base_is_reached() {
    let sandbox = Sandbox::new();
    let shas: Vec<String> = (0..120).map(|i| sandbox.commit(&format!("ABC-{i}"))).collect();
    let base = &shas[19]; // 100 commits below HEAD

    let clone = sandbox.clone("ci", Some(1));
    let git = sandbox.cli(&clone);
    let head = sandbox.head(&clone);
    let deepened = deepen(&git, base, &head, 1000, deadline(60));
    assert!(deepened.reachable, "{deepened:?}");
    // The base itself (one commit), then 50 (not enough), then 200.
    assert_eq!((deepened.fetches, deepened.deepened_by), (3, 200));
    assert_eq!(sandbox.count(&clone, &format!("{base}..HEAD")), 100);

    // Bounded by --max-commits: a base 100 commits down is out of reach of 60.
    let shallow = sandbox.clone("capped", Some(1));
    let deepened = deepen(&sandbox.cli(&shallow), base, &head, 60, deadline(60));
    assert!(!deepened.reachable);
    assert_eq!(deepened.deepened_by, 60);
    let shallow2 = sandbox.clone("capped2", Some(1));
    let planned = plan_for(&sandbox, &shallow2, base, 60).await;
    assert_eq!(planned.plan, Plan::Partial);
    assert!(
        planned.warnings[0].contains("not in this shallow clone (not within 60 more commits)"),
        "{planned:?}"
    );
    assert!(planned.warnings[0].contains("`fetch-depth: 0`") && planned.warnings[0].contains("GIT_DEPTH"));
}

#[tokio::test]
async fn a_redeploy_or_a_rollback_adds_no_commits() {
    let sandbox = Sandbox::new();
    let shas: Vec<String> = (0..6).map(|i| sandbox.commit(&format!("ABC-{i}"))).collect();
    let clone = sandbox.clone("ci", None);
    let git = sandbox.cli(&clone);

    assert_eq!(place(&git, &shas[5], &shas[5]), Placement::Same);
    // Rolling back to shas[2] after shas[5] was deployed.
    sandbox.git(&clone, &["checkout", "-q", "--detach", &shas[2]]);
    assert_eq!(place(&git, &shas[5], &shas[2]), Placement::Behind);
    let planned = plan_for(&sandbox, &clone, &shas[5], 1000).await;
    assert_eq!(planned.plan, Plan::Nothing);
    assert!(
        planned.notes[0].contains("(a rollback): no new commits"),
        "{planned:?}"
    );
}

#[tokio::test]
async fn a_base_on_another_branch_starts_the_range_at_the_merge_base() {
    let sandbox = Sandbox::new();
    let shas: Vec<String> = (0..3).map(|i| sandbox.commit(&format!("ABC-{i} main"))).collect();
    // A hotfix branched from shas[2] was deployed and recorded.
    sandbox.git(&sandbox.work, &["checkout", "-q", "-b", "hotfix"]);
    let hotfix = sandbox.commit("ABC-90 hotfix");
    let hotfix_clone = sandbox.clone("hotfix-run", None);
    sandbox.git(&hotfix_clone, &["checkout", "-q", "hotfix"]);
    assert!(matches!(
        record(&sandbox.cli(&hotfix_clone), ENV_ID, &hotfix, deadline(30)),
        Recorded::Pushed { .. }
    ));
    // main moves on; the next deployment is from main, in a depth-1 clone.
    sandbox.git(&sandbox.work, &["checkout", "-q", "main"]);
    sandbox.commit("ABC-3 main");
    sandbox.commit("ABC-4 main");
    let clone = sandbox.clone("main-run", Some(1));

    let answer = read_marker(&sandbox.cli(&clone), false);
    assert_eq!(found_sha(&answer), hotfix);
    let planned = plan_for(&sandbox, &clone, &hotfix, 1000).await;
    assert_eq!(
        planned.plan,
        Plan::Walk {
            base: shas[2].parse().unwrap()
        }
    );
    assert!(
        planned
            .notes
            .iter()
            .any(|n| n.contains("is not an ancestor of HEAD")
                && n.contains(&format!("merge base {}", &shas[2][..7]))),
        "{planned:?}"
    );
    assert_eq!(sandbox.count(&clone, &format!("{}..HEAD", shas[2])), 2);
}

#[tokio::test]
async fn on_github_a_depth_one_clone_reads_the_range_from_the_compare_api() {
    let sandbox = Sandbox::new();
    let base = sandbox.commit("ABC-1 deployed");
    for i in 2..=4 {
        sandbox.commit(&format!("ABC-{i} change\n\nbody {i}"));
    }
    let clone = sandbox.clone("ci", Some(1));
    let head = sandbox.head(&clone);

    // The fake's answer is the upstream's real history between the two.
    let server = MockServer::start().await;
    let body = compare_body(&sandbox, &base, &head);
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/app/compare/{base}...{head}")))
        .respond_with(move |_: &Request| ResponseTemplate::new(200).set_body_json(body.clone()))
        .expect(1)
        .mount(&server)
        .await;

    let git = sandbox.cli(&clone);
    let github = github(&server.uri(), "prod");
    let client = client();
    let planned = plan(&Placing {
        git: &git,
        base: &base,
        head: &head,
        github: Some(&github),
        max_commits: 1000,
        client: Some(&client),
        deadline: deadline(30),
    })
    .await;

    let Plan::Messages { commits, truncated } = planned.plan else {
        panic!("{planned:?}")
    };
    assert!(!truncated);
    let messages: Vec<&str> = commits.iter().map(|c| c.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "ABC-2 change\n\nbody 2",
            "ABC-3 change\n\nbody 3",
            "ABC-4 change\n\nbody 4"
        ]
    );
    // The clone was not touched: still one commit deep.
    assert_eq!(sandbox.count(&clone, "HEAD"), 1);
}

#[tokio::test]
async fn offline_a_base_outside_the_clone_is_not_fetched() {
    let sandbox = Sandbox::new();
    let base = sandbox.commit("ABC-1 deployed");
    sandbox.commit("ABC-2");
    let clone = sandbox.clone("ci", Some(1));
    let git = sandbox.cli(&clone);
    let head = sandbox.head(&clone);
    let planned = plan(&Placing {
        git: &git,
        base: &base,
        head: &head,
        github: None,
        max_commits: 1000,
        client: None,
        deadline: deadline(30),
    })
    .await;
    assert_eq!(planned.plan, Plan::Partial);
    assert!(
        planned.warnings[0].contains("the lookup is offline"),
        "{planned:?}"
    );
    assert_eq!(sandbox.count(&clone, "HEAD"), 1, "nothing fetched");
}

/// The fake's compare answer for `base...head`: the upstream's real history between.
fn compare_body(sandbox: &Sandbox, base: &str, head: &str) -> Value {
    let log = sandbox.git(
        &sandbox.work,
        &[
            "log",
            "--reverse",
            "--format=%H%x00%B%x1e",
            &format!("{base}..{head}"),
        ],
    );
    let commits: Vec<Value> = log
        .split('\x1e')
        .filter(|e| !e.trim().is_empty())
        .map(|entry| {
            let (sha, message) = entry.trim_start().split_once('\0').unwrap();
            json!({"sha": sha, "commit": {"message": message.trim_end()}})
        })
        .collect();
    json!({"status": "ahead", "total_commits": commits.len(), "merge_base_commit": {"sha": base}, "commits": commits})
}

fn lookup_of<'a>(
    targets: &'a crate::deployed::Targets,
    git: &'a crate::deployed::GitCli,
    head: &'a str,
    client: &'a reqwest::Client,
) -> crate::deployed::Lookup<'a> {
    crate::deployed::Lookup {
        mode: crate::deployed::Mode::Auto,
        explicit: None,
        environment: "Production EU",
        environment_id: ENV_ID,
        head,
        targets,
        git: Some(git),
        record_deployment: false,
        ci_base: None,
        client: Some(client),
        deadline: deadline(60),
    }
}

#[tokio::test]
async fn github_a_depth_one_run_reads_every_commit_since_the_last_success() {
    use crate::deployed::{Answer, FromSource, Start, Targets, find};
    let sandbox = Sandbox::new();
    sandbox.commit("ABC-1 first");
    let a = sandbox.commit("ABC-2 deployed to Production EU");
    sandbox.commit("ABC-3 after");
    let b = sandbox.commit("ABC-4 its deployment failed");
    sandbox.commit("ABC-5 fix");
    let clone = sandbox.clone("ci", Some(1));
    let head = sandbox.head(&clone);

    let server = MockServer::start().await;
    let deployments = json!([
        {"id": 3, "sha": head, "created_at": "2026-11-22T10:00:00Z"},
        {"id": 2, "sha": b, "created_at": "2026-11-21T10:00:00Z"},
        {"id": 1, "sha": a, "created_at": "2026-11-20T10:00:00Z"},
    ]);
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployments))
        .mount(&server)
        .await;
    for (id, state) in [(2, "failure"), (1, "success")] {
        Mock::given(method("GET"))
            .and(path(format!("/repos/acme/app/deployments/{id}/statuses")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"state": state}])))
            .mount(&server)
            .await;
    }
    let body = compare_body(&sandbox, &a, &head);
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/app/compare/{a}...{head}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let targets = Targets {
        github: Ok(github(&server.uri(), "Production EU")),
        gitlab: Err(Answer::missing("not GitLab CI")),
        jenkins: Answer::missing("not Jenkins"),
    };
    let git = sandbox.cli(&clone);
    let client = client();

    let resolution = find(&lookup_of(&targets, &git, &head, &client)).await;
    assert_eq!(resolution.from_source, FromSource::Github);
    assert_eq!(resolution.start, Start::Deployed(a.clone()));
    assert_eq!(
        resolution.detail,
        Some(format!("GitHub deployment 1, 2026-11-20, {}", &a[..7]))
    );
    let planned = plan(&Placing {
        git: &git,
        base: &a,
        head: &head,
        github: targets.github.as_ref().ok(),
        max_commits: 1000,
        client: Some(&client),
        deadline: deadline(60),
    })
    .await;

    let Plan::Messages {
        commits,
        truncated: false,
    } = planned.plan
    else {
        panic!("{planned:?}")
    };
    let subjects: Vec<&str> = commits.iter().map(|c| c.message.as_str()).collect();
    assert_eq!(
        subjects,
        ["ABC-3 after", "ABC-4 its deployment failed", "ABC-5 fix"]
    );
    // One list, two statuses, one compare page.
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
    assert_eq!(sandbox.count(&clone, "HEAD"), 1, "the clone was not touched");
}

#[tokio::test]
async fn gitlab_a_shallow_run_deepens_to_the_last_success() {
    use crate::deployed::gitlab::GitLab;
    use crate::deployed::{Answer, FromSource, Start, Targets, find};
    let sandbox = Sandbox::new();
    let shas: Vec<String> = (0..60).map(|i| sandbox.commit(&format!("ABC-{i}"))).collect();
    let a = &shas[10]; // 49 commits below HEAD: beyond a depth-20 clone
    let clone = sandbox.clone("ci", Some(20));
    let head = sandbox.head(&clone);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/projects/42/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 99, "iid": 9, "ref": "main", "sha": a, "finished_at": "2026-11-20T10:00:00Z", "deployable": {"id": 1}}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let targets = Targets {
        github: Err(Answer::missing("not GitHub Actions")),
        gitlab: Ok(GitLab {
            api_url: format!("{}/api/v4", server.uri()).parse().unwrap(),
            project_id: "42".into(),
            job_token: secrecy::SecretString::from(super::TOKEN),
            job_id: Some(2),
            reference: Some("main".into()),
            environment: "production".into(),
        }),
        jenkins: Answer::missing("not Jenkins"),
    };
    let git = sandbox.cli(&clone);
    let client = client();

    let resolution = find(&lookup_of(&targets, &git, &head, &client)).await;
    assert_eq!(resolution.from_source, FromSource::Gitlab);
    assert_eq!(resolution.start, Start::Deployed(a.clone()));
    let planned = plan_for(&sandbox, &clone, a, 1000).await;

    assert_eq!(
        planned.plan,
        Plan::Walk {
            base: a.parse().unwrap()
        }
    );
    assert!(
        planned.notes[0].starts_with("deepened the shallow clone by 50 commits"),
        "{planned:?}"
    );
    assert_eq!(sandbox.count(&clone, &format!("{a}..HEAD")), 49);
}
