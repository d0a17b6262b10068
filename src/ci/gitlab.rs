//! GitLab CI/CD.
//!
//! Variables: <https://docs.gitlab.com/ci/variables/predefined_variables/>.
//! Merge-request pipelines name the source branch in
//! `CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`; `CI_COMMIT_REF_NAME` would be wrong there.

use serde::Deserialize;

use super::{CiContext, CiEnvironment, CiState, PullRequest, number, real_commit};
use crate::env::Env;

#[derive(Debug, Default, Deserialize)]
struct Vars {
    ci_project_path: Option<String>,
    ci_project_url: Option<String>,
    ci_pipeline_iid: Option<String>,
    ci_pipeline_id: Option<String>,
    ci_pipeline_url: Option<String>,
    ci_commit_sha: Option<String>,
    ci_commit_before_sha: Option<String>,
    ci_commit_branch: Option<String>,
    ci_commit_ref_name: Option<String>,
    ci_commit_tag: Option<String>,
    ci_merge_request_iid: Option<String>,
    ci_merge_request_title: Option<String>,
    ci_merge_request_source_branch_name: Option<String>,
    ci_merge_request_target_branch_name: Option<String>,
    ci_merge_request_diff_base_sha: Option<String>,
    ci_merge_request_project_url: Option<String>,
    ci_job_status: Option<String>,
    ci_environment_name: Option<String>,
    ci_environment_tier: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    if env.get("GITLAB_CI") != Some("true") {
        return None;
    }
    // envy lowercases variable names, so `CI_PROJECT_PATH` fills `ci_project_path`.
    let vars: Vars = envy::from_iter(env.iter()).unwrap_or_default();

    let pull_request = vars.ci_merge_request_iid.as_deref().map(|iid| PullRequest {
        number: number(Some(iid)),
        title: vars.ci_merge_request_title.clone(),
        source_branch: vars.ci_merge_request_source_branch_name.clone(),
        target_branch: vars.ci_merge_request_target_branch_name.clone(),
        url: vars
            .ci_merge_request_project_url
            .as_ref()
            .or(vars.ci_project_url.as_ref())
            .map(|project| format!("{project}/-/merge_requests/{iid}")),
        author: None,
    });
    let branch = vars
        .ci_merge_request_source_branch_name
        .clone()
        .or_else(|| vars.ci_commit_branch.clone())
        .or_else(|| {
            vars.ci_commit_tag
                .is_none()
                .then(|| vars.ci_commit_ref_name.clone())
                .flatten()
        });
    let state = vars.ci_job_status.as_deref().and_then(|status| match status {
        "success" => Some(CiState::Successful),
        "failed" => Some(CiState::Failed),
        "canceled" | "cancelled" => Some(CiState::Cancelled),
        "running" => Some(CiState::InProgress),
        _ => None,
    });

    Some(CiContext {
        system: "GitLab CI",
        pipeline_id: vars.ci_project_path.clone(),
        pipeline_name: vars.ci_project_path.clone(),
        pipeline_url: vars.ci_project_url.as_ref().map(|p| format!("{p}/-/pipelines")),
        build_number: number(vars.ci_pipeline_iid.as_deref())
            .or_else(|| number(vars.ci_pipeline_id.as_deref())),
        run_url: vars.ci_pipeline_url,
        branch,
        commit: vars.ci_commit_sha,
        range_base: real_commit(vars.ci_merge_request_diff_base_sha)
            .or_else(|| real_commit(vars.ci_commit_before_sha)),
        pull_request,
        state,
        environment: vars.ci_environment_name.map(|name| CiEnvironment {
            name,
            tier: vars.ci_environment_tier,
        }),
        repository_url: vars.ci_project_url,
    })
}
