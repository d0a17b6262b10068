//! CircleCI.
//!
//! Variables: <https://circleci.com/docs/reference/variables/>. `CIRCLE_BUILD_NUM`
//! is the job's number, unique in the project, so the pipeline is the project and the
//! job. CircleCI gives no pull-request title or base commit.

use serde::Deserialize;

use super::vars::{as_number, first, number, variables};
use super::{CiContext, Field, PullRequest};
use crate::env::Env;
use crate::remote::Remote;

#[derive(Debug, Default, Deserialize)]
struct Vars {
    circle_project_username: Option<String>,
    circle_project_reponame: Option<String>,
    circle_job: Option<String>,
    #[serde(default, deserialize_with = "as_number")]
    circle_build_num: Option<u64>,
    circle_build_url: Option<String>,
    circle_branch: Option<String>,
    circle_tag: Option<String>,
    circle_sha1: Option<String>,
    circle_pull_request: Option<String>,
    #[serde(default, deserialize_with = "as_number")]
    circle_pr_number: Option<u64>,
    circle_repository_url: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    if env.get("CIRCLECI") != Some("true") {
        return None;
    }
    let vars: Vars = variables(env, "");
    let project = vars
        .circle_project_username
        .as_ref()
        .zip(vars.circle_project_reponame.as_ref())
        .map(|(user, repo)| format!("{user}/{repo}"));
    let (pipeline_id, pipeline_name) = match (&project, &vars.circle_job) {
        (Some(project), Some(job)) => (
            Some(format!("{project}/{job}")),
            Some(format!("{job} ({project})")),
        ),
        (project, _) => (project.clone(), project.clone()),
    };
    let remote = vars.circle_repository_url.as_deref().and_then(Remote::parse);
    // CIRCLE_PULL_REQUEST is the pull request's page; its last segment its number.
    let pull_request = vars.circle_pull_request.as_ref().map(|url| PullRequest {
        number: vars.circle_pr_number.or_else(|| number(url.rsplit('/').next())),
        title: None,
        source_branch: vars.circle_branch.clone(),
        target_branch: None,
        url: Some(url.clone()),
        author: None,
    });
    let (branch, branch_from) = first([("CIRCLE_BRANCH", vars.circle_branch.clone())]);
    Some(
        CiContext {
            system: "CircleCI",
            pipeline_id,
            pipeline_name,
            pipeline_url: remote
                .as_ref()
                .map(|r| format!("https://app.circleci.com/pipelines/{}", circle_slug(r))),
            build_number: vars.circle_build_num,
            run_url: vars.circle_build_url,
            branch,
            tag: vars.circle_tag,
            commit: vars.circle_sha1,
            pull_request,
            repository_url: remote.map(|r| r.web_url()),
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, "CIRCLECI"),
            (
                Field::PipelineId,
                "CIRCLE_PROJECT_USERNAME/CIRCLE_PROJECT_REPONAME/CIRCLE_JOB",
            ),
            (
                Field::PipelineName,
                "CIRCLE_JOB (CIRCLE_PROJECT_USERNAME/CIRCLE_PROJECT_REPONAME)",
            ),
            (Field::PipelineUrl, "CIRCLE_REPOSITORY_URL"),
            (Field::BuildNumber, "CIRCLE_BUILD_NUM"),
            (Field::RunUrl, "CIRCLE_BUILD_URL"),
            (Field::Branch, branch_from),
            (Field::Tag, "CIRCLE_TAG"),
            (Field::Commit, "CIRCLE_SHA1"),
            (Field::PullRequest, "CIRCLE_PULL_REQUEST, CIRCLE_PR_NUMBER"),
            (Field::RepositoryUrl, "CIRCLE_REPOSITORY_URL"),
        ]),
    )
}

/// `github/acme/app` for CircleCI's pipeline pages.
fn circle_slug(remote: &Remote) -> String {
    let vcs = if remote.host == "bitbucket.org" {
        "bitbucket"
    } else {
        "github"
    };
    format!("{vcs}/{}", crate::remote::path(&remote.path))
}
