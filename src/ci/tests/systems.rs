//! Each system's recorded jobs, and what the vendor's variables mean in them.

use std::collections::BTreeMap;

use super::{BASE, BEFORE, HEAD, MERGE, job, recorded};
use crate::ci::{CiState, Field, detect};
use crate::env::Env;

#[test]
fn github_pull_request_range_is_the_pull_requests_own_whatever_the_action() {
    let ctx = job("github-pull-request");
    assert_eq!(ctx.system, "GitHub Actions");
    assert_eq!(ctx.pipeline_id.as_deref(), Some("acme/app/CI"));
    assert_eq!(ctx.build_number, Some(42));
    assert_eq!(
        ctx.run_url.as_deref(),
        Some("https://github.com/acme/app/actions/runs/9876543210")
    );
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-7-login"));
    assert_eq!(
        ctx.range_base.as_deref(),
        Some(BASE),
        "base.sha, not the synchronize event's `before`"
    );
    assert_eq!(ctx.sources[&Field::RangeBase], "event pull_request.base.sha");
    assert_eq!(ctx.commit.as_deref(), Some(MERGE), "GITHUB_SHA: the test merge");
    assert_eq!(ctx.pull_request_head.as_deref(), Some(HEAD));
    assert_eq!(
        ctx.sources[&Field::PullRequestHead],
        "event pull_request.head.sha"
    );
    let pr = ctx.pull_request.unwrap();
    assert_eq!(
        (pr.number, pr.title.as_deref(), pr.author.as_deref()),
        (Some(12), Some("PRJ-77 Better login"), Some("octocat"))
    );
    assert_eq!(ctx.sources[&Field::Branch], "GITHUB_HEAD_REF");

    let push = job("github-push");
    assert_eq!(
        push.range_base.as_deref(),
        Some(BEFORE),
        "a push's range starts at `before`"
    );
    assert_eq!(
        (push.commit.as_deref(), push.pull_request_head),
        (Some(HEAD), None)
    );
    assert!(!ctx.checks_out_target && !push.checks_out_target);
}

/// `pull_request_target` checks out the base branch's last commit: the pull request is
/// the same, the checkout is not its own.
#[test]
fn github_pull_request_target_checks_out_the_target() {
    let ctx = job("github-pull-request-target");
    assert!(ctx.checks_out_target);
    assert_eq!(ctx.event.as_deref(), Some("pull_request_target"));
    assert_eq!(
        ctx.commit.as_deref(),
        Some(MERGE),
        "GITHUB_SHA: the base branch's tip"
    );
    assert_eq!(ctx.pull_request_head.as_deref(), Some(HEAD));
    assert_eq!(ctx.range_base.as_deref(), Some(BASE));
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-7-login"));
    assert_eq!(ctx.sources[&Field::Branch], "GITHUB_HEAD_REF");
    let pr = ctx.pull_request.unwrap();
    assert_eq!(
        (pr.number, pr.title.as_deref()),
        (Some(12), Some("PRJ-77 Better login"))
    );
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
        detect(&vars.into_iter().collect()).unwrap()
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

    let new_branch = run("push", &format!(r#"{{"before": "{}"}}"#, "0".repeat(40)), &branch);
    assert_eq!(new_branch.range_base, None, "a new branch has no previous commit");

    // Every pull-request event and action: the range is the pull request's own.
    for (event, action) in [
        ("pull_request", "opened"),
        ("pull_request", "synchronize"),
        ("pull_request", "reopened"),
        ("pull_request_target", "synchronize"),
        ("pull_request_review", "submitted"),
    ] {
        let ctx = run(
            event,
            &format!(
                r#"{{"action": "{action}", "before": "{BEFORE}", "after": "{HEAD}",
                    "pull_request": {{"number": 3, "title": "t", "head": {{"ref": "fork-ABC-1", "sha": "{HEAD}"}},
                    "base": {{"ref": "main", "sha": "{BASE}"}}}}}}"#
            ),
            &[("GITHUB_HEAD_REF", "fork-ABC-1")],
        );
        assert_eq!(ctx.branch.as_deref(), Some("fork-ABC-1"), "{event} {action}");
        assert_eq!(ctx.range_base.as_deref(), Some(BASE), "{event} {action}");
        assert_eq!(ctx.pull_request_head.as_deref(), Some(HEAD), "{event} {action}");
    }

    let dispatch = run("workflow_dispatch", r#"{"inputs": {}}"#, &branch);
    assert_eq!(
        (dispatch.branch.as_deref(), dispatch.range_base.as_deref()),
        (Some("main"), None)
    );
    let release = run("release", r#"{"release": {"tag_name": "v1.0"}}"#, &tag);
    assert_eq!(release.branch, None, "a tag is not a branch");
    assert_eq!(release.tag.as_deref(), Some("v1.0"));

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
}

#[test]
fn gitlab_reports_the_merge_requests_head_and_the_state_of_each_placement() {
    let mr = job("gitlab-merge-request");
    assert_eq!(mr.system, "GitLab CI");
    assert_eq!(mr.pipeline_id.as_deref(), Some("acme/shop"));
    assert_eq!(mr.build_number, Some(314));
    assert_eq!(mr.branch.as_deref(), Some("feature/ABC-1-checkout"));
    assert_eq!(mr.range_base.as_deref(), Some(BASE));
    assert_eq!(
        mr.state,
        Some(CiState::Successful),
        "running in script: means the commands before succeeded"
    );
    assert_eq!(
        (mr.commit.as_deref(), mr.pull_request_head.as_deref()),
        (Some(HEAD), None),
        "outside merged results, CI_COMMIT_SHA is the head"
    );
    assert_eq!(
        mr.pull_request.unwrap().url.as_deref(),
        Some("https://gitlab.com/acme/shop/-/merge_requests/15")
    );

    let merged = job("gitlab-merged-results");
    assert_eq!(merged.commit.as_deref(), Some(MERGE));
    assert_eq!(merged.pull_request_head.as_deref(), Some(HEAD));
    assert_eq!(
        merged.state,
        Some(CiState::Failed),
        "after_script: the job's outcome"
    );

    let deploy = job("gitlab-deploy");
    assert_eq!(deploy.state, Some(CiState::Successful));
    assert_eq!(deploy.branch.as_deref(), Some("main"));
    assert_eq!(deploy.range_base.as_deref(), Some(BEFORE));
    assert_eq!(deploy.environment.unwrap().tier.as_deref(), Some("production"));
    assert_eq!(deploy.sources[&Field::BuildNumber], "CI_PIPELINE_IID");
}

#[test]
fn azure_encodes_a_team_project_with_a_space_and_reports_the_pull_requests_head() {
    let ctx = job("azure-pull-request");
    assert_eq!(ctx.system, "Azure Pipelines");
    assert_eq!(
        ctx.pipeline_id.as_deref(),
        Some("Fabrikam Fiber/Fabrikam Fiber CI"),
        "readable"
    );
    assert_eq!(ctx.build_number, Some(4711), "the numeric id, not 20240115.3");
    assert_eq!(
        ctx.run_url.as_deref(),
        Some("https://dev.azure.com/fabrikamfiber/Fabrikam%20Fiber/_build/results?buildId=4711")
    );
    assert_eq!(
        ctx.pipeline_url.as_deref(),
        Some("https://dev.azure.com/fabrikamfiber/Fabrikam%20Fiber/_build?definitionId=12")
    );
    assert_eq!(
        ctx.repository_url.as_deref(),
        Some("https://dev.azure.com/fabrikamfiber/Fabrikam%20Fiber/_git/Fabrikam%20Fiber")
    );
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-2-pay"));
    assert_eq!(ctx.state, Some(CiState::Successful));
    assert_eq!(
        (ctx.commit.as_deref(), ctx.pull_request_head.as_deref()),
        (Some(MERGE), Some(HEAD))
    );
    assert_eq!(
        ctx.pull_request.unwrap().url.as_deref(),
        Some("https://dev.azure.com/fabrikamfiber/Fabrikam%20Fiber/_git/Fabrikam%20Fiber/pullrequest/9")
    );
}

#[test]
fn jenkins_is_recognised_without_a_configured_url() {
    let pr = job("jenkins-multibranch-pull-request");
    assert_eq!(pr.pipeline_id.as_deref(), Some("acme/app/PR-24"));
    assert_eq!(pr.branch.as_deref(), Some("feature/ABC-5-login"), "not PR-24");
    assert_eq!(pr.range_base.as_deref(), Some(BASE));
    assert_eq!(pr.pull_request.unwrap().title.as_deref(), Some("ABC-5 Login"));
    assert_eq!(pr.repository_url.as_deref(), Some("https://github.com/acme/app"));

    let (_dir, env) = recorded("jenkins-no-url");
    let ctx = detect(&env).unwrap();
    assert_eq!(ctx.system, "Jenkins", "not the generic fallback");
    assert_eq!(
        ctx.pipeline_id.as_deref(),
        Some("shop-deploy"),
        "per job, so build numbers never collide"
    );
    assert_eq!(ctx.build_number, Some(57));
    assert_eq!(ctx.branch.as_deref(), Some("main"), "not origin/main");
    assert_eq!(
        ctx.range_base.as_deref(),
        Some(BASE),
        "GIT_PREVIOUS_SUCCESSFUL_COMMIT"
    );
    assert_eq!(ctx.run_url, None);
    assert_eq!(
        ctx.repository_url.as_deref(),
        Some("https://github.com/acme/shop")
    );
    // Each of the variables every build has is enough on its own.
    let common = [
        ("JENKINS_HOME", "/var/lib/jenkins"),
        ("BUILD_TAG", "jenkins-shop-deploy-57"),
        ("EXECUTOR_NUMBER", "0"),
    ];
    for (name, value) in common {
        let env: Env = [(name, value), ("BUILD_NUMBER", "57")].into_iter().collect();
        assert_eq!(detect(&env).unwrap().system, "Jenkins", "{name}");
        assert_eq!(detect(&env).unwrap().sources[&Field::System], name);
    }
    let env: Env = [("JOB_NAME", "shop-deploy"), ("BUILD_NUMBER", "57")]
        .into_iter()
        .collect();
    assert_eq!(detect(&env).unwrap().system, "Jenkins");
    let env: Env = [("BUILD_TAG", "v1.0"), ("BUILD_NUMBER", "57")]
        .into_iter()
        .collect();
    assert!(detect(&env).is_none(), "another tool's BUILD_TAG");
}

#[test]
fn teamcity_pull_requests_are_read_from_the_properties_files() {
    let ctx = job("teamcity-pull-request");
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
    assert_eq!(ctx.branch.as_deref(), Some("feature/ABC-6-search"), "not pull/42");
    assert_eq!(ctx.sources[&Field::Branch], "teamcity.pullRequest.source.branch");
    let pr = ctx.pull_request.unwrap();
    assert_eq!(
        (pr.number, pr.title.as_deref(), pr.target_branch.as_deref()),
        (Some(42), Some("ABC-6 Faster search"), Some("main"))
    );
    assert_eq!(pr.url.as_deref(), Some("https://github.com/acme/app/pull/42"));
}

#[test]
fn codebuild_source_versions_name_a_branch_a_tag_or_a_pull_request() {
    let manual = job("codebuild-manual");
    assert_eq!(manual.branch.as_deref(), Some("release/ABC-11-q1"));
    assert_eq!(manual.sources[&Field::Branch], "CODEBUILD_SOURCE_VERSION");
    assert!(manual.pull_request.is_none());

    let pr = job("codebuild-pull-request");
    assert_eq!(
        pr.pipeline_id.as_deref(),
        Some("app-ci"),
        "the project, not the run's uuid"
    );
    assert_eq!(pr.branch.as_deref(), Some("feature/ABC-10-cache"));
    assert_eq!(pr.pull_request.unwrap().number, Some(14));
    assert_eq!(
        pr.run_url.as_deref(),
        Some(
            "https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/app-ci/build/app-ci%3A0c3d1e2f-4a5b-6c7d-8e9f-0a1b2c3d4e5f?region=eu-west-1"
        )
    );

    let (_dir, mut vars) = recorded("codebuild-manual");
    let mut version = |value: &str| {
        vars = vars
            .iter()
            .map(|(k, v)| {
                if k == "CODEBUILD_SOURCE_VERSION" {
                    (k, value.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect();
        let ctx = detect(&vars).unwrap();
        (ctx.branch, ctx.tag, ctx.pull_request.and_then(|p| p.number))
    };
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(version("refs/heads/main"), (some("main"), None, None));
    assert_eq!(
        version(&format!("refs/heads/dev^{{{HEAD}}}")),
        (some("dev"), None, None)
    );
    assert_eq!(version("refs/tags/v1.0"), (None, some("v1.0"), None));
    assert_eq!(
        version(&format!("refs/tags/v1.0^{{{HEAD}}}")),
        (None, some("v1.0"), None)
    );
    assert_eq!(version("pr/25"), (None, None, Some(25)));
    assert_eq!(version("refs/pull/7/head"), (None, None, Some(7)));
    assert_eq!(version(HEAD), (None, None, None), "a commit id");
    assert_eq!(
        version(&HEAD[..8]),
        (None, None, None),
        "the resolved commit, abbreviated"
    );
    assert_eq!(version("feature/ABC-1"), (some("feature/ABC-1"), None, None));
}

#[test]
fn buildkite_tag_builds_are_of_a_tag() {
    let tag = job("buildkite-tag");
    assert_eq!((tag.branch, tag.tag.as_deref()), (None, Some("v1.2.0")));
    let pr = job("buildkite-pull-request");
    assert_eq!(pr.pipeline_id.as_deref(), Some("acme/app"));
    assert_eq!((pr.branch.as_deref(), pr.tag), (Some("feature/ABC-4-cart"), None));
    assert_eq!(
        pr.pull_request.unwrap().url.as_deref(),
        Some("https://github.com/acme/app/pull/77")
    );
}

#[test]
fn bitbucket_links_are_https_whatever_the_origin_says() {
    let pr = job("bitbucket-pull-request");
    assert_eq!(
        pr.run_url.as_deref(),
        Some("https://bitbucket.org/acme/app/pipelines/results/89")
    );
    assert_eq!(
        pr.repository_url.as_deref(),
        Some("https://bitbucket.org/acme/app")
    );
    assert_eq!(
        pr.pipeline_url.as_deref(),
        Some("https://bitbucket.org/acme/app/pipelines")
    );
    assert_eq!(
        pr.pull_request.unwrap().url.as_deref(),
        Some("https://bitbucket.org/acme/app/pull-requests/31")
    );
    assert_eq!(pr.state, Some(CiState::Failed));

    let deployment = job("bitbucket-deployment");
    assert_eq!(deployment.pipeline_id.as_deref(), Some("acme/app"));
    assert_eq!(deployment.environment.unwrap().name, "production");
    assert_eq!(deployment.state, Some(CiState::Successful));
}

#[test]
fn circleci_drone_and_woodpecker() {
    let circle = job("circleci-pull-request");
    assert_eq!(circle.pipeline_id.as_deref(), Some("acme/app/build"));
    assert_eq!(circle.branch.as_deref(), Some("feature/ABC-3-search"));
    assert_eq!(circle.pull_request.unwrap().number, Some(31));

    let drone = job("drone-pull-request");
    assert_eq!(
        drone.branch.as_deref(),
        Some("feature/ABC-8-cache"),
        "the source, not DRONE_BRANCH"
    );
    assert_eq!(drone.environment.unwrap().name, "production");
    assert_eq!(drone.pull_request.unwrap().title.as_deref(), Some("ABC-8 Cache"));

    let woodpecker = job("woodpecker-push");
    assert_eq!(woodpecker.system, "Woodpecker");
    assert_eq!(woodpecker.branch.as_deref(), Some("feature/ABC-9-queue"));
    assert_eq!(woodpecker.range_base.as_deref(), Some(BEFORE));
    assert_eq!(woodpecker.environment.unwrap().name, "staging");
}

#[test]
fn any_other_ci_falls_back_to_common_variables() {
    let ctx = job("generic");
    assert_eq!(ctx.system, "CI (generic)");
    assert_eq!(ctx.build_number, Some(5));
    assert_eq!(
        ctx.sources,
        BTreeMap::from([
            (Field::System, "CI".into()),
            (Field::BuildNumber, "BUILD_NUMBER".into()),
            (Field::RunUrl, "BUILD_URL".into())
        ])
    );
}

#[test]
fn a_url_that_is_no_url_is_left_out() {
    let env: Env = [
        ("BUILDKITE", "true"),
        ("BUILDKITE_BUILD_NUMBER", "1"),
        ("BUILDKITE_BUILD_URL", "not a url"),
    ]
    .into_iter()
    .collect();
    let ctx = detect(&env).unwrap();
    assert_eq!(ctx.run_url, None);
    assert!(!ctx.sources.contains_key(&Field::RunUrl));
}

#[test]
fn a_url_with_credentials_a_parser_still_finds_is_left_out() {
    for hidden in [
        "https:u:CITOKEN@ci.example.com/1",
        "https:/\n/u:CITOKEN@ci.example.com/1",
    ] {
        let env: Env = [("CI", "true"), ("BUILD_NUMBER", "1"), ("BUILD_URL", hidden)]
            .into_iter()
            .collect();
        assert_eq!(detect(&env).unwrap().run_url, None, "{hidden:?}");
    }
}
