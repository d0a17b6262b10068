//! The CI systems end to end: a recorded set of each system's variables, and the
//! dry-run build the binary derives from them.

use serde_json::{Value, json};

use crate::common::{TestRepo, jira_send, json, stderr};
use crate::spec::assert_official_accepts;

/// A repository whose HEAD is detached, as CI checkouts of pull requests are: the
/// branch can only come from the CI's variables.
fn detached() -> TestRepo {
    let repo = TestRepo::new("main");
    repo.commit("base");
    let head = repo.commit("work without a key");
    repo.repo.set_head_detached(head).unwrap();
    repo
}

fn dry_build(repo: &TestRepo, home: &std::path::Path, vars: &[(&str, &str)]) -> Value {
    let output = jira_send(home)
        .current_dir(repo.path())
        .envs(vars.iter().copied())
        .args(["build", "--dry-run", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{vars:?}: {}", stderr(&output));
    let report = json(&output);
    let body = report["sites"][0]["requests"][0]["body"].clone();
    assert_official_accepts("builds", &body);
    body["builds"][0].clone()
}

#[test]
fn pull_request_builds_of_five_ci_systems() {
    let repo = detached();
    let home = tempfile::tempdir().unwrap();
    let event = home.path().join("event.json");
    std::fs::write(
        &event,
        json!({"pull_request": {"number": 12, "title": "Better login", "html_url": "https://github.com/acme/app/pull/12",
               "head": {"ref": "feature/ABC-1-login"}, "base": {"ref": "main", "sha": "0000000000000000000000000000000000000001"}}})
        .to_string(),
    )
    .unwrap();
    let event = event.to_string_lossy().into_owned();
    // (system, variables, pipeline id, build number, run URL)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, u64, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "GitHub pull request",
            vec![
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_REPOSITORY", "acme/app"),
                ("GITHUB_WORKFLOW", "CI"),
                ("GITHUB_RUN_NUMBER", "42"),
                ("GITHUB_RUN_ID", "9876543210"),
                ("GITHUB_SERVER_URL", "https://github.com"),
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_REF", "refs/pull/12/merge"),
                ("GITHUB_REF_NAME", "12/merge"),
                ("GITHUB_HEAD_REF", "feature/ABC-1-login"),
                ("GITHUB_BASE_REF", "main"),
                ("GITHUB_EVENT_PATH", &event),
            ],
            "acme/app/CI",
            42,
            "https://github.com/acme/app/actions/runs/9876543210",
        ),
        (
            "GitLab merge request",
            vec![
                ("GITLAB_CI", "true"),
                ("CI_PROJECT_PATH", "acme/app"),
                ("CI_PROJECT_URL", "https://gitlab.com/acme/app"),
                ("CI_PIPELINE_ID", "1234567890"),
                ("CI_PIPELINE_IID", "314"),
                (
                    "CI_PIPELINE_URL",
                    "https://gitlab.com/acme/app/-/pipelines/1234567890",
                ),
                ("CI_MERGE_REQUEST_IID", "7"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/ABC-2-cart"),
                ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
                ("CI_COMMIT_REF_NAME", "feature/ABC-2-cart"),
            ],
            "acme/app",
            314,
            "https://gitlab.com/acme/app/-/pipelines/1234567890",
        ),
        (
            "Jenkins multibranch pull request",
            vec![
                ("JENKINS_URL", "https://ci.acme.com/"),
                ("JOB_NAME", "acme/app/PR-24"),
                ("BUILD_NUMBER", "3"),
                ("BUILD_URL", "https://ci.acme.com/job/acme/job/app/job/PR-24/3/"),
                ("BRANCH_NAME", "PR-24"),
                ("CHANGE_ID", "24"),
                ("CHANGE_BRANCH", "feature/ABC-3-search"),
                ("CHANGE_TARGET", "main"),
            ],
            "acme/app/PR-24",
            3,
            "https://ci.acme.com/job/acme/job/app/job/PR-24/3/",
        ),
        (
            "Azure pull request",
            vec![
                ("TF_BUILD", "True"),
                ("BUILD_BUILDID", "4711"),
                ("BUILD_BUILDNUMBER", "20240115.3"),
                ("BUILD_DEFINITIONNAME", "app-ci"),
                ("SYSTEM_TEAMPROJECT", "Shop"),
                ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/acme/"),
                ("BUILD_SOURCEBRANCH", "refs/pull/9/merge"),
                ("SYSTEM_PULLREQUEST_PULLREQUESTID", "9"),
                ("SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/feature/ABC-4-pay"),
                ("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/main"),
            ],
            "Shop/app-ci",
            4711,
            "https://dev.azure.com/acme/Shop/_build/results?buildId=4711",
        ),
        (
            "Bitbucket deployment step",
            vec![
                ("CI", "true"),
                ("BITBUCKET_BUILD_NUMBER", "88"),
                ("BITBUCKET_REPO_FULL_NAME", "acme/app"),
                ("BITBUCKET_WORKSPACE", "acme"),
                ("BITBUCKET_REPO_SLUG", "app"),
                ("BITBUCKET_BRANCH", "release/ABC-5-q3"),
                ("BITBUCKET_GIT_HTTP_ORIGIN", "https://bitbucket.org/acme/app"),
                ("BITBUCKET_DEPLOYMENT_ENVIRONMENT", "production"),
            ],
            "acme/app",
            88,
            "https://bitbucket.org/acme/app/pipelines/results/88",
        ),
    ];
    for (n, (name, vars, pipeline, number, url)) in cases.into_iter().enumerate() {
        let build = dry_build(&repo, home.path(), &vars);
        assert_eq!(build["pipelineId"], pipeline, "{name}");
        assert_eq!(
            build["buildNumber"],
            json!(number),
            "{name}: an integer build number"
        );
        assert_eq!(build["url"], url, "{name}");
        let key = format!("ABC-{}", n + 1);
        assert_eq!(
            build["issueKeys"],
            json!([key]),
            "{name}: the source branch's key"
        );
        // The same variables in a second run give the same pipeline id.
        assert_eq!(
            dry_build(&repo, home.path(), &vars)["pipelineId"],
            pipeline,
            "{name}: stable"
        );
    }
}

#[test]
fn env_says_where_each_value_came_from() {
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs([
            ("BUILDKITE", "true"),
            ("BUILDKITE_BUILD_NUMBER", "5"),
            ("BUILDKITE_BRANCH", "main"),
        ])
        .args(["env", "--output", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(report["ci"]["system"], "Buildkite");
    assert_eq!(report["ci"]["sources"]["buildNumber"], "BUILDKITE_BUILD_NUMBER");
    assert_eq!(report["ci"]["sources"]["branch"], "BUILDKITE_BRANCH");
}
