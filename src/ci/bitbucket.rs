//! Bitbucket Pipelines.
//!
//! Variables: <https://support.atlassian.com/bitbucket-cloud/docs/variables-and-secrets/>.
//! `BITBUCKET_BRANCH` is the source branch on pull-request pipelines;
//! `BITBUCKET_DEPLOYMENT_ENVIRONMENT` names the environment of a deployment step; the
//! outcome is known in `after-script` as `BITBUCKET_EXIT_CODE`.
//!
//! `BITBUCKET_GIT_HTTP_ORIGIN` is a git remote, documented as `http://bitbucket.org/…`:
//! the repository's page, and the run's and pull request's pages built on it, are its
//! `https://` web form. A tag build sets `BITBUCKET_TAG` and no branch.

use serde::Deserialize;

use super::vars::{first, number, variables};
use super::{CiContext, CiEnvironment, CiState, Field, PullRequest};
use crate::env::Env;
use crate::remote::{Remote, segment};

#[derive(Debug, Default, Deserialize)]
struct Vars {
    bitbucket_build_number: Option<String>,
    bitbucket_repo_full_name: Option<String>,
    bitbucket_workspace: Option<String>,
    bitbucket_repo_slug: Option<String>,
    bitbucket_branch: Option<String>,
    bitbucket_tag: Option<String>,
    bitbucket_commit: Option<String>,
    bitbucket_pr_id: Option<String>,
    bitbucket_pr_destination_branch: Option<String>,
    bitbucket_deployment_environment: Option<String>,
    bitbucket_exit_code: Option<String>,
    bitbucket_git_http_origin: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    env.get("BITBUCKET_BUILD_NUMBER")?;
    let vars: Vars = variables(env, "");
    let full_name = vars.bitbucket_repo_full_name.clone().or_else(|| {
        Some(format!(
            "{}/{}",
            vars.bitbucket_workspace.as_ref()?,
            vars.bitbucket_repo_slug.as_ref()?
        ))
    });
    let (remote, remote_from) = first([
        (
            "BITBUCKET_GIT_HTTP_ORIGIN",
            vars.bitbucket_git_http_origin.clone(),
        ),
        (
            "BITBUCKET_REPO_FULL_NAME",
            full_name.as_ref().map(|n| format!("https://bitbucket.org/{n}")),
        ),
    ]);
    let remote = remote.as_deref().and_then(Remote::parse);
    let repository_url = remote.as_ref().map(Remote::web_url);
    let run_url = repository_url
        .as_ref()
        .zip(vars.bitbucket_build_number.as_ref())
        .map(|(repo, n)| format!("{repo}/pipelines/results/{}", segment(n)));
    let pull_request = vars.bitbucket_pr_id.as_deref().map(|id| PullRequest {
        number: number(Some(id)),
        title: None,
        source_branch: vars.bitbucket_branch.clone(),
        target_branch: vars.bitbucket_pr_destination_branch.clone(),
        url: remote
            .as_ref()
            .zip(number(Some(id)))
            .map(|(r, n)| r.pull_request_url(n)),
        author: None,
    });
    let state = vars.bitbucket_exit_code.as_deref().map(|code| {
        if code.trim() == "0" {
            CiState::Successful
        } else {
            CiState::Failed
        }
    });
    let (branch, branch_from) = first([("BITBUCKET_BRANCH", vars.bitbucket_branch)]);
    Some(
        CiContext {
            system: "Bitbucket Pipelines",
            pipeline_id: full_name.clone(),
            pipeline_name: full_name,
            pipeline_url: repository_url.as_ref().map(|r| format!("{r}/pipelines")),
            build_number: number(vars.bitbucket_build_number.as_deref()),
            run_url,
            branch,
            tag: vars.bitbucket_tag,
            commit: vars.bitbucket_commit,
            pull_request,
            state,
            environment: vars
                .bitbucket_deployment_environment
                .map(|name| CiEnvironment { name, tier: None }),
            repository_url,
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, "BITBUCKET_BUILD_NUMBER"),
            (Field::PipelineId, "BITBUCKET_REPO_FULL_NAME"),
            (Field::PipelineName, "BITBUCKET_REPO_FULL_NAME"),
            (Field::PipelineUrl, &format!("{remote_from} (https)/pipelines")),
            (Field::BuildNumber, "BITBUCKET_BUILD_NUMBER"),
            (
                Field::RunUrl,
                &format!("{remote_from} (https)/pipelines/results/BITBUCKET_BUILD_NUMBER"),
            ),
            (Field::Branch, branch_from),
            (Field::Tag, "BITBUCKET_TAG"),
            (Field::Commit, "BITBUCKET_COMMIT"),
            (
                Field::PullRequest,
                "BITBUCKET_PR_ID, BITBUCKET_PR_DESTINATION_BRANCH",
            ),
            (Field::State, "BITBUCKET_EXIT_CODE"),
            (Field::Environment, "BITBUCKET_DEPLOYMENT_ENVIRONMENT"),
            (Field::RepositoryUrl, &format!("{remote_from} (https)")),
        ]),
    )
}
