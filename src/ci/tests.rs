//! Every CI system: a recorded set of its variables, and the context derived from it.
//! The rules checked each time: a stable pipeline id (no run id in it), an integer
//! build number, the run's page, and on pull-request builds the *source* branch.

use std::collections::BTreeMap;

use super::{CiState, detect};
use crate::env::Env;

fn env(vars: &[(&str, &str)]) -> Env {
    vars.iter().copied().collect()
}

#[test]
fn github_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"pull_request": {"number": 12, "title": "ABC-7 Better login", "html_url": "https://github.com/acme/app/pull/12",
             "user": {"login": "octocat"}, "head": {"ref": "feature/ABC-7", "sha": "h"},
             "base": {"ref": "main", "sha": "b4se"}}}"#,
    )
    .unwrap();
    let ctx = detect(&env(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "acme/app"),
        ("GITHUB_WORKFLOW", "CI"),
        ("GITHUB_RUN_NUMBER", "42"),
        ("GITHUB_RUN_ID", "9876543210"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_REF", "refs/pull/12/merge"),
        ("GITHUB_REF_NAME", "12/merge"),
        ("GITHUB_HEAD_REF", "feature/ABC-7"),
        ("GITHUB_BASE_REF", "main"),
        ("GITHUB_SHA", "m3rge"),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "GitHub Actions");
    assert_eq!(ctx.pipeline_id.as_deref(), Some("acme/app/CI"));
    assert_eq!(ctx.build_number, Some(42));
    assert_eq!(
        ctx.run_url.as_deref(),
        Some("https://github.com/acme/app/actions/runs/9876543210")
    );
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-7"));
    assert_eq!(ctx.range_base.as_deref(), Some("b4se"));
    let pr = ctx.pull_request.unwrap();
    assert_eq!(
        (pr.number, pr.title.as_deref(), pr.author.as_deref()),
        (Some(12), Some("ABC-7 Better login"), Some("octocat"))
    );
    assert_eq!(ctx.sources["branch"], "GITHUB_HEAD_REF");
    assert_eq!(ctx.sources["rangeBase"], "event pull_request.base.sha");
}

#[test]
fn github_every_event_type_reads_what_its_event_offers() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, event: &str, extra: &[(&str, &str)]| {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, event).unwrap();
        let mut vars = vec![
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/app"),
            ("GITHUB_WORKFLOW", "CI"),
            ("GITHUB_RUN_NUMBER", "7"),
            ("GITHUB_EVENT_NAME", name),
            ("GITHUB_EVENT_PATH", path.to_str().unwrap()),
        ];
        vars.extend_from_slice(extra);
        detect(&env(&vars)).unwrap()
    };
    let branch = [
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_REF_NAME", "main"),
        ("GITHUB_REF_TYPE", "branch"),
    ];
    let tag = [
        ("GITHUB_REF", "refs/tags/v1.0"),
        ("GITHUB_REF_NAME", "v1.0"),
        ("GITHUB_REF_TYPE", "tag"),
    ];

    let push = run("push", r#"{"before": "0a1b"}"#, &branch);
    assert_eq!(
        (push.branch.as_deref(), push.range_base.as_deref()),
        (Some("main"), Some("0a1b"))
    );
    let new_branch = run("push", &format!(r#"{{"before": "{}"}}"#, "0".repeat(40)), &branch);
    assert_eq!(new_branch.range_base, None, "a new branch has no previous commit");

    let target = run(
        "pull_request_target",
        r#"{"pull_request": {"number": 3, "title": "t", "head": {"ref": "fork-ABC-1"}, "base": {"ref": "main", "sha": "bb"}}}"#,
        &[
            ("GITHUB_HEAD_REF", "fork-ABC-1"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REF_TYPE", "branch"),
            ("GITHUB_REF_NAME", "main"),
        ],
    );
    assert_eq!(target.branch.as_deref(), Some("fork-ABC-1"));
    assert_eq!(target.range_base.as_deref(), Some("bb"));

    let dispatch = run("workflow_dispatch", r#"{"inputs": {}}"#, &branch);
    assert_eq!(
        (dispatch.branch.as_deref(), dispatch.range_base.as_deref()),
        (Some("main"), None)
    );
    let schedule = run("schedule", r#"{"schedule": "0 0 * * *"}"#, &branch);
    assert_eq!(schedule.branch.as_deref(), Some("main"));
    let release = run("release", r#"{"release": {"tag_name": "v1.0"}}"#, &tag);
    assert_eq!(release.branch, None, "a tag is not a branch");

    let merge_group = run(
        "merge_group",
        r#"{"merge_group": {"base_sha": "ba5e", "head_ref": "refs/heads/gh-readonly-queue/main/pr-1-abc"}}"#,
        &[
            ("GITHUB_REF", "refs/heads/gh-readonly-queue/main/pr-1-abc"),
            ("GITHUB_REF_TYPE", "branch"),
            ("GITHUB_REF_NAME", "gh-readonly-queue/main/pr-1-abc"),
        ],
    );
    assert_eq!(merge_group.range_base.as_deref(), Some("ba5e"));

    let deployment = run(
        "deployment",
        r#"{"deployment": {"environment": "Production EU", "ref": "release/ABC-9"}}"#,
        &[],
    );
    assert_eq!(deployment.environment.unwrap().name, "Production EU");
    assert_eq!(deployment.branch.as_deref(), Some("release/ABC-9"));
    let status = run(
        "deployment_status",
        r#"{"deployment": {"environment": "staging", "ref": "main"}, "deployment_status": {"state": "failure"}}"#,
        &[],
    );
    assert_eq!(status.state, Some(CiState::Failed));
    assert_eq!(push.event.as_deref(), Some("push"));
}

#[test]
fn gitlab_merge_request_pipeline() {
    let ctx = detect(&env(&[
        ("GITLAB_CI", "true"),
        ("CI", "true"),
        ("CI_PROJECT_PATH", "acme/shop"),
        ("CI_PROJECT_URL", "https://gitlab.com/acme/shop"),
        ("CI_PIPELINE_ID", "1234567890"),
        ("CI_PIPELINE_IID", "314"),
        (
            "CI_PIPELINE_URL",
            "https://gitlab.com/acme/shop/-/pipelines/1234567890",
        ),
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_COMMIT_SHA", "c0ffee"),
        ("CI_COMMIT_REF_NAME", "feature/ABC-1"),
        ("CI_MERGE_REQUEST_IID", "15"),
        ("CI_MERGE_REQUEST_TITLE", "ABC-1 Faster checkout"),
        ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/ABC-1"),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "ba5e"),
        ("CI_JOB_STATUS", "success"),
        ("CI_ENVIRONMENT_NAME", "review/abc-1"),
        ("CI_ENVIRONMENT_TIER", "development"),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "GitLab CI");
    assert_eq!(ctx.pipeline_id.as_deref(), Some("acme/shop"));
    assert_eq!(ctx.build_number, Some(314));
    assert_eq!(
        ctx.run_url.as_deref(),
        Some("https://gitlab.com/acme/shop/-/pipelines/1234567890")
    );
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-1"));
    assert_eq!(ctx.range_base.as_deref(), Some("ba5e"));
    assert_eq!(ctx.state, Some(CiState::Successful));
    assert_eq!(
        ctx.pull_request.unwrap().url.as_deref(),
        Some("https://gitlab.com/acme/shop/-/merge_requests/15")
    );
    assert_eq!(ctx.environment.unwrap().tier.as_deref(), Some("development"));
    assert_eq!(ctx.sources["buildNumber"], "CI_PIPELINE_IID");
}

#[test]
fn jenkins_multibranch_pull_request() {
    let ctx = detect(&env(&[
        ("JENKINS_URL", "https://ci.acme.com/"),
        ("JOB_NAME", "acme/app/PR-24"),
        ("JOB_URL", "https://ci.acme.com/job/acme/job/app/job/PR-24/"),
        ("BUILD_NUMBER", "3"),
        ("BUILD_URL", "https://ci.acme.com/job/acme/job/app/job/PR-24/3/"),
        ("BRANCH_NAME", "PR-24"),
        ("CHANGE_ID", "24"),
        ("CHANGE_BRANCH", "feature/ABC-5-login"),
        ("CHANGE_TARGET", "main"),
        ("CHANGE_TITLE", "ABC-5 Login"),
        ("CHANGE_URL", "https://github.com/acme/app/pull/24"),
        ("GIT_COMMIT", "c0ffee"),
        ("GIT_PREVIOUS_SUCCESSFUL_COMMIT", "ba5e"),
        ("GIT_URL", "https://github.com/acme/app.git"),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "Jenkins");
    assert_eq!(ctx.pipeline_id.as_deref(), Some("acme/app/PR-24"));
    assert_eq!(ctx.build_number, Some(3));
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-5-login"), "not PR-24");
    assert_eq!(ctx.range_base.as_deref(), Some("ba5e"));
    assert_eq!(ctx.pull_request.unwrap().title.as_deref(), Some("ABC-5 Login"));
    assert_eq!(ctx.repository_url.as_deref(), Some("https://github.com/acme/app"));
}

#[test]
fn circleci() {
    let ctx = detect(&env(&[
        ("CI", "true"),
        ("CIRCLECI", "true"),
        ("CIRCLE_PROJECT_USERNAME", "acme"),
        ("CIRCLE_PROJECT_REPONAME", "app"),
        ("CIRCLE_JOB", "build"),
        ("CIRCLE_BUILD_NUM", "1207"),
        ("CIRCLE_BUILD_URL", "https://circleci.com/gh/acme/app/1207"),
        ("CIRCLE_BRANCH", "feature/ABC-3"),
        ("CIRCLE_SHA1", "c0ffee"),
        ("CIRCLE_WORKFLOW_ID", "9d1e-run-unique"),
        ("CIRCLE_PULL_REQUEST", "https://github.com/acme/app/pull/31"),
        ("CIRCLE_REPOSITORY_URL", "git@github.com:acme/app.git"),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "CircleCI");
    assert_eq!(ctx.pipeline_id.as_deref(), Some("acme/app/build"));
    assert_eq!(ctx.build_number, Some(1207));
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-3"));
    assert_eq!(ctx.pull_request.unwrap().number, Some(31));
    assert_eq!(ctx.repository_url.as_deref(), Some("https://github.com/acme/app"));
}

#[test]
fn bitbucket_deployment_step() {
    let ctx = detect(&env(&[
        ("CI", "true"),
        ("BITBUCKET_BUILD_NUMBER", "88"),
        ("BITBUCKET_WORKSPACE", "acme"),
        ("BITBUCKET_REPO_SLUG", "app"),
        ("BITBUCKET_REPO_FULL_NAME", "acme/app"),
        ("BITBUCKET_BRANCH", "main"),
        ("BITBUCKET_COMMIT", "c0ffee"),
        ("BITBUCKET_GIT_HTTP_ORIGIN", "https://bitbucket.org/acme/app"),
        ("BITBUCKET_PIPELINE_UUID", "{run-unique}"),
        ("BITBUCKET_DEPLOYMENT_ENVIRONMENT", "production"),
        ("BITBUCKET_EXIT_CODE", "0"),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "Bitbucket Pipelines");
    assert_eq!(ctx.pipeline_id.as_deref(), Some("acme/app"));
    assert_eq!(ctx.build_number, Some(88));
    assert_eq!(
        ctx.run_url.as_deref(),
        Some("https://bitbucket.org/acme/app/pipelines/results/88")
    );
    assert_eq!(ctx.environment.unwrap().name, "production");
    assert_eq!(ctx.state, Some(CiState::Successful));
}

#[test]
fn azure_pull_request_build() {
    let ctx = detect(&env(&[
        ("TF_BUILD", "True"),
        ("BUILD_BUILDID", "4711"),
        ("BUILD_BUILDNUMBER", "20240115.3"),
        ("BUILD_DEFINITIONNAME", "app-ci"),
        ("SYSTEM_TEAMPROJECT", "Shop"),
        ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/acme/"),
        ("SYSTEM_DEFINITIONID", "12"),
        ("BUILD_SOURCEBRANCH", "refs/pull/9/merge"),
        ("BUILD_SOURCEVERSION", "c0ffee"),
        ("BUILD_REPOSITORY_URI", "https://dev.azure.com/acme/Shop/_git/app"),
        ("BUILD_REASON", "PullRequest"),
        ("SYSTEM_PULLREQUEST_PULLREQUESTID", "9"),
        ("SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/feature/ABC-2"),
        ("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/main"),
        ("AGENT_JOBSTATUS", "Succeeded"),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "Azure Pipelines");
    assert_eq!(ctx.pipeline_id.as_deref(), Some("Shop/app-ci"));
    assert_eq!(ctx.build_number, Some(4711), "the numeric id, not 20240115.3");
    assert_eq!(
        ctx.run_url.as_deref(),
        Some("https://dev.azure.com/acme/Shop/_build/results?buildId=4711")
    );
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-2"));
    assert_eq!(ctx.state, Some(CiState::Successful));
    assert_eq!(
        ctx.pull_request.unwrap().url.as_deref(),
        Some("https://dev.azure.com/acme/Shop/_git/app/pullrequest/9")
    );
}

#[test]
fn buildkite() {
    let ctx = detect(&env(&[
        ("BUILDKITE", "true"),
        ("BUILDKITE_ORGANIZATION_SLUG", "acme"),
        ("BUILDKITE_PIPELINE_SLUG", "app"),
        ("BUILDKITE_PIPELINE_NAME", "App"),
        ("BUILDKITE_BUILD_NUMBER", "530"),
        ("BUILDKITE_BUILD_URL", "https://buildkite.com/acme/app/builds/530"),
        ("BUILDKITE_BRANCH", "feature/ABC-4"),
        ("BUILDKITE_COMMIT", "c0ffee"),
        ("BUILDKITE_PULL_REQUEST", "77"),
        ("BUILDKITE_PULL_REQUEST_BASE_BRANCH", "main"),
        ("BUILDKITE_REPO", "git@github.com:acme/app.git"),
        ("BUILDKITE_BUILD_ID", "run-unique-uuid"),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "Buildkite");
    assert_eq!(ctx.pipeline_id.as_deref(), Some("acme/app"));
    assert_eq!(ctx.build_number, Some(530));
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-4"));
    assert_eq!(
        ctx.pull_request.unwrap().url.as_deref(),
        Some("https://github.com/acme/app/pull/77")
    );
    let no_pr = detect(&env(&[
        ("BUILDKITE", "true"),
        ("BUILDKITE_PULL_REQUEST", "false"),
    ]))
    .unwrap();
    assert!(no_pr.pull_request.is_none());
}

#[test]
fn teamcity_reads_its_properties_files() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.properties");
    std::fs::write(
        &config,
        "teamcity.serverUrl=https\\://tc.acme.com\nteamcity.build.branch=feature/ABC-6\n",
    )
    .unwrap();
    let build = dir.path().join("build.properties");
    std::fs::write(
        &build,
        format!(
            "#TeamCity\nteamcity.build.id=98765\nteamcity.buildType.id=Acme_App_Build\nteamcity.configuration.properties.file={}\n",
            config.display().to_string().replace(':', "\\:")
        ),
    )
    .unwrap();
    let ctx = detect(&env(&[
        ("TEAMCITY_VERSION", "2025.03"),
        ("BUILD_NUMBER", "1.4.2-rc"),
        ("BUILD_VCS_NUMBER", "c0ffee"),
        ("TEAMCITY_PROJECT_NAME", "Acme"),
        ("TEAMCITY_BUILDCONF_NAME", "Build"),
        ("TEAMCITY_BUILD_PROPERTIES_FILE", build.to_str().unwrap()),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "TeamCity");
    assert_eq!(ctx.pipeline_id.as_deref(), Some("Acme_App_Build"));
    assert_eq!(
        ctx.build_number,
        Some(98765),
        "the display number is not an integer"
    );
    assert_eq!(
        ctx.run_url.as_deref(),
        Some("https://tc.acme.com/viewLog.html?buildId=98765")
    );
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-6"));
}

#[test]
fn drone_and_woodpecker() {
    let drone = detect(&env(&[
        ("CI", "true"),
        ("DRONE", "true"),
        ("DRONE_REPO", "acme/app"),
        ("DRONE_REPO_LINK", "https://github.com/acme/app"),
        ("DRONE_BUILD_NUMBER", "61"),
        ("DRONE_BUILD_LINK", "https://drone.acme.com/acme/app/61"),
        ("DRONE_BRANCH", "main"),
        ("DRONE_SOURCE_BRANCH", "feature/ABC-8"),
        ("DRONE_TARGET_BRANCH", "main"),
        ("DRONE_PULL_REQUEST", "5"),
        ("DRONE_PULL_REQUEST_TITLE", "ABC-8 Cache"),
        ("DRONE_COMMIT_SHA", "c0ffee"),
        ("DRONE_DEPLOY_TO", "production"),
        ("DRONE_BUILD_STATUS", "success"),
    ]))
    .unwrap();
    assert_eq!(drone.system, "Drone");
    assert_eq!(
        drone.branch.as_deref(),
        Some("feature/ABC-8"),
        "the source, not DRONE_BRANCH"
    );
    assert_eq!(drone.build_number, Some(61));
    assert_eq!(drone.environment.unwrap().name, "production");
    assert_eq!(drone.pull_request.unwrap().title.as_deref(), Some("ABC-8 Cache"));

    let woodpecker = detect(&env(&[
        ("CI", "woodpecker"),
        ("CI_REPO", "acme/app"),
        ("CI_PIPELINE_NUMBER", "12"),
        ("CI_PIPELINE_URL", "https://ci.acme.com/repos/1/pipeline/12"),
        ("CI_COMMIT_BRANCH", "main"),
        ("CI_COMMIT_SOURCE_BRANCH", "feature/ABC-9"),
        ("CI_COMMIT_PULL_REQUEST", "3"),
        ("CI_COMMIT_SHA", "c0ffee"),
        ("CI_PREV_COMMIT_SHA", "ba5e"),
        ("CI_PIPELINE_DEPLOY_TARGET", "staging"),
    ]))
    .unwrap();
    assert_eq!(woodpecker.system, "Woodpecker");
    assert_eq!(woodpecker.branch.as_deref(), Some("feature/ABC-9"));
    assert_eq!(woodpecker.range_base.as_deref(), Some("ba5e"));
    assert_eq!(woodpecker.environment.unwrap().name, "staging");
}

#[test]
fn aws_codebuild_pull_request() {
    let ctx = detect(&env(&[
        ("CODEBUILD_BUILD_ID", "app-ci:0c3d-run-unique"),
        (
            "CODEBUILD_BUILD_ARN",
            "arn:aws:codebuild:eu-west-1:123456789012:build/app-ci:0c3d-run-unique",
        ),
        ("CODEBUILD_BUILD_NUMBER", "219"),
        ("CODEBUILD_RESOLVED_SOURCE_VERSION", "c0ffee"),
        ("CODEBUILD_SOURCE_REPO_URL", "https://github.com/acme/app.git"),
        ("CODEBUILD_WEBHOOK_TRIGGER", "pr/14"),
        ("CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/feature/ABC-10"),
        ("CODEBUILD_WEBHOOK_BASE_REF", "refs/heads/main"),
        ("CODEBUILD_BUILD_SUCCEEDING", "0"),
        ("AWS_REGION", "eu-west-1"),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "AWS CodeBuild");
    assert_eq!(
        ctx.pipeline_id.as_deref(),
        Some("app-ci"),
        "the project, not the run's uuid"
    );
    assert_eq!(ctx.build_number, Some(219));
    assert_eq!(
        ctx.run_url.as_deref(),
        Some(
            "https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/app-ci/build/app-ci%3A0c3d-run-unique?region=eu-west-1"
        )
    );
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-10"));
    assert_eq!(ctx.state, Some(CiState::Failed));
    assert_eq!(ctx.pull_request.unwrap().number, Some(14));
}

#[test]
fn any_other_ci_falls_back_to_common_variables() {
    let ctx = detect(&env(&[
        ("CI", "true"),
        ("BUILD_NUMBER", "5"),
        ("BUILD_URL", "https://ci.example.com/5"),
    ]))
    .unwrap();
    assert_eq!(ctx.system, "CI (generic)");
    assert_eq!(ctx.build_number, Some(5));
    assert_eq!(
        ctx.sources,
        BTreeMap::from([
            ("buildNumber", "BUILD_NUMBER".into()),
            ("runUrl", "BUILD_URL".into())
        ])
    );
}

#[test]
fn no_pipeline_id_holds_a_run_id() {
    // The run-unique values of the recorded variables above never reach a pipeline id.
    for (vars, unique) in [
        (
            vec![
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_REPOSITORY", "a/b"),
                ("GITHUB_WORKFLOW", "CI"),
                ("GITHUB_RUN_ID", "987"),
            ],
            "987",
        ),
        (
            vec![
                ("GITLAB_CI", "true"),
                ("CI_PROJECT_PATH", "a/b"),
                ("CI_PIPELINE_ID", "987"),
            ],
            "987",
        ),
        (
            vec![
                ("BUILDKITE", "true"),
                ("BUILDKITE_ORGANIZATION_SLUG", "a"),
                ("BUILDKITE_PIPELINE_SLUG", "b"),
                ("BUILDKITE_BUILD_ID", "987"),
            ],
            "987",
        ),
        (vec![("CODEBUILD_BUILD_ID", "p:987")], "987"),
    ] {
        let ctx = detect(&env(&vars)).unwrap();
        assert!(!ctx.pipeline_id.unwrap().contains(unique), "{}", ctx.system);
    }
}
