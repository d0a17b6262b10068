//! Jenkins.
//!
//! Variables: <https://www.jenkins.io/doc/book/pipeline/jenkins-file/#using-environment-variables>
//! (the full list is `${JENKINS_URL}/env-vars.html` on any controller) and the Git
//! plugin's `GIT_*` (<https://plugins.jenkins.io/git/#plugin-content-environment-variables>).
//! In a multibranch pull-request build `BRANCH_NAME` is `PR-12`; the source branch is
//! `CHANGE_BRANCH`; in a tag build `TAG_NAME` is set and `BRANCH_NAME` is the tag.
//!
//! `JENKINS_URL`, `BUILD_URL` and `JOB_URL` exist only when the controller's URL is
//! configured (Manage Jenkins → System), as the docs say; Jenkins is recognised by what
//! every build has: `JENKINS_HOME`, `BUILD_TAG` (`jenkins-${JOB_NAME}-${BUILD_NUMBER}`),
//! `EXECUTOR_NUMBER`, or `JOB_NAME` with `BUILD_NUMBER`. Without `BUILD_URL` no page of
//! the run is known, and `-v` says to pass `--url`.
//!
//! The pipeline id is `JOB_NAME`, which for a multibranch project includes the branch
//! job: build numbers restart at 1 in every branch job, so a per-project id would
//! make different branches' builds collide.

use serde::Deserialize;

use super::vars::{as_number, branch_name, first, number, real_commit, variables};
use super::{CiContext, Field, PullRequest};
use crate::env::Env;

#[derive(Debug, Default, Deserialize)]
struct Vars {
    job_name: Option<String>,
    job_url: Option<String>,
    #[serde(default, deserialize_with = "as_number")]
    build_number: Option<u64>,
    build_url: Option<String>,
    git_commit: Option<String>,
    git_branch: Option<String>,
    git_local_branch: Option<String>,
    tag_name: Option<String>,
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
    let recognised_by = recognise(env)?;
    let vars: Vars = variables(env, "");
    if vars.build_url.is_none() {
        tracing::info!(
            "Jenkins gives no BUILD_URL (its URL is not set in Manage Jenkins → System), so no page \
             of this run is known: pass --url to link one from Jira"
        );
    }

    let pull_request = vars.change_id.as_deref().map(|id| PullRequest {
        number: number(Some(id)),
        title: vars.change_title.clone(),
        source_branch: vars.change_branch.clone(),
        target_branch: vars.change_target.clone(),
        url: vars.change_url.clone(),
        author: vars.change_author.clone(),
    });
    let tag = vars.tag_name.clone();
    let (branch, branch_from) = first([
        ("CHANGE_BRANCH", vars.change_branch.clone()),
        (
            "BRANCH_NAME",
            vars.branch_name
                .clone()
                .filter(|_| vars.change_id.is_none() && tag.is_none()),
        ),
        ("GIT_LOCAL_BRANCH", vars.git_local_branch.clone()),
        (
            "GIT_BRANCH",
            vars.git_branch
                .as_deref()
                .filter(|_| tag.is_none())
                .map(|b| strip_remote(b).to_owned()),
        ),
    ]);

    Some(
        CiContext {
            system: "Jenkins",
            pipeline_id: vars.job_name.clone(),
            pipeline_name: vars.job_name,
            pipeline_url: vars.job_url,
            build_number: vars.build_number,
            run_url: vars.build_url,
            branch,
            tag,
            commit: vars.git_commit,
            range_base: real_commit(vars.git_previous_successful_commit),
            pull_request,
            repository_url: vars
                .git_url
                .as_deref()
                .and_then(crate::remote::Remote::parse)
                .map(|r| r.web_url()),
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, recognised_by),
            (Field::PipelineId, "JOB_NAME"),
            (Field::PipelineName, "JOB_NAME"),
            (Field::PipelineUrl, "JOB_URL"),
            (Field::BuildNumber, "BUILD_NUMBER"),
            (Field::RunUrl, "BUILD_URL"),
            (Field::Branch, branch_from),
            (Field::Tag, "TAG_NAME"),
            (Field::Commit, "GIT_COMMIT"),
            (Field::RangeBase, "GIT_PREVIOUS_SUCCESSFUL_COMMIT"),
            (
                Field::PullRequest,
                "CHANGE_ID, CHANGE_TITLE, CHANGE_BRANCH, CHANGE_TARGET, CHANGE_URL",
            ),
            (Field::RepositoryUrl, "GIT_URL"),
        ]),
    )
}

/// The variable that shows this is a Jenkins build, if one does.
fn recognise(env: &Env) -> Option<&'static str> {
    if env.get("JENKINS_URL").is_some() {
        Some("JENKINS_URL")
    } else if env.get("JENKINS_HOME").is_some() {
        Some("JENKINS_HOME")
    } else if env.get("BUILD_TAG").is_some_and(|t| t.starts_with("jenkins-")) {
        Some("BUILD_TAG")
    } else if env.get("EXECUTOR_NUMBER").is_some() {
        Some("EXECUTOR_NUMBER")
    } else if env.get("JOB_NAME").is_some() && env.get("BUILD_NUMBER").is_some() {
        Some("JOB_NAME and BUILD_NUMBER")
    } else {
        None
    }
}

/// `origin/feature/x` → `feature/x`; `refs/heads/x` → `x`.
fn strip_remote(branch: &str) -> &str {
    let branch = branch_name(branch);
    branch.strip_prefix("origin/").unwrap_or(branch)
}
