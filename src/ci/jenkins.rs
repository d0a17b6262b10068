//! Jenkins.
//!
//! Variables: <https://www.jenkins.io/doc/book/pipeline/jenkins-file/#using-environment-variables>
//! and the Git plugin's `GIT_*`. In a multibranch pull-request build `BRANCH_NAME` is
//! `PR-12`; the source branch is `CHANGE_BRANCH`.
//!
//! The pipeline id is `JOB_NAME`, which for a multibranch project includes the branch
//! job: build numbers restart at 1 in every branch job, so a per-project id would
//! make different branches' builds collide.

use serde::Deserialize;

use super::{CiContext, PullRequest, branch_name, first, number, real_commit};
use crate::env::Env;

#[derive(Debug, Default, Deserialize)]
struct Vars {
    job_name: Option<String>,
    job_url: Option<String>,
    build_number: Option<String>,
    build_url: Option<String>,
    git_commit: Option<String>,
    git_branch: Option<String>,
    git_url: Option<String>,
    git_previous_successful_commit: Option<String>,
    branch_name: Option<String>,
    change_id: Option<String>,
    change_title: Option<String>,
    change_branch: Option<String>,
    change_target: Option<String>,
    change_url: Option<String>,
    change_author: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    env.get("JENKINS_URL")?;
    let vars: Vars = envy::from_iter(env.iter()).unwrap_or_default();

    let pull_request = vars.change_id.as_deref().map(|id| PullRequest {
        number: number(Some(id)),
        title: vars.change_title.clone(),
        source_branch: vars.change_branch.clone(),
        target_branch: vars.change_target.clone(),
        url: vars.change_url.clone(),
        author: vars.change_author.clone(),
    });
    let (branch, branch_from) = first([
        ("CHANGE_BRANCH", vars.change_branch.clone()),
        (
            "BRANCH_NAME",
            vars.branch_name.clone().filter(|_| vars.change_id.is_none()),
        ),
        (
            "GIT_BRANCH",
            vars.git_branch.as_deref().map(|b| strip_remote(b).to_owned()),
        ),
    ]);

    Some(
        CiContext {
            system: "Jenkins",
            pipeline_id: vars.job_name.clone(),
            pipeline_name: vars.job_name,
            pipeline_url: vars.job_url,
            build_number: number(vars.build_number.as_deref()),
            run_url: vars.build_url,
            branch,
            commit: vars.git_commit,
            range_base: real_commit(vars.git_previous_successful_commit),
            pull_request,
            state: None,
            environment: None,
            repository_url: vars
                .git_url
                .as_deref()
                .and_then(crate::remote::Remote::parse)
                .map(|r| r.web_url()),
            event: None,
            sources: Default::default(),
        }
        .sourced(&[
            ("pipelineId", "JOB_NAME"),
            ("pipelineName", "JOB_NAME"),
            ("pipelineUrl", "JOB_URL"),
            ("buildNumber", "BUILD_NUMBER"),
            ("runUrl", "BUILD_URL"),
            ("branch", branch_from),
            ("commit", "GIT_COMMIT"),
            ("rangeBase", "GIT_PREVIOUS_SUCCESSFUL_COMMIT"),
            (
                "pullRequest",
                "CHANGE_ID, CHANGE_TITLE, CHANGE_BRANCH, CHANGE_TARGET, CHANGE_URL",
            ),
            ("repositoryUrl", "GIT_URL"),
        ]),
    )
}

/// `origin/feature/x` → `feature/x`; `refs/heads/x` → `x`.
fn strip_remote(branch: &str) -> &str {
    let branch = branch_name(branch);
    branch.strip_prefix("origin/").unwrap_or(branch)
}
