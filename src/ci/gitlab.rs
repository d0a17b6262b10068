//! GitLab CI/CD.
//!
//! Variables: <https://docs.gitlab.com/ci/variables/predefined_variables/>.
//! Merge-request pipelines name the source branch in
//! `CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`; `CI_COMMIT_REF_NAME` would be wrong there.
//! `CI_PIPELINE_IID` counts per project, so the project is the pipeline.
//!
//! In a merged-results pipeline `CI_COMMIT_SHA` is the merge GitLab made for the test;
//! the merge request's head is `CI_MERGE_REQUEST_SOURCE_BRANCH_SHA`, which GitLab
//! sets only there (it is empty in other merge-request pipelines, whose
//! `CI_COMMIT_SHA` is the head itself).
//!
//! `CI_JOB_STATUS` is `running` while `script:` runs and final (`success`, `failed`,
//! `canceled`) only in `after_script:` (GitLab documents the variable for
//! `after_script:` only; `running` in `script:` is what runners set, undocumented).
//! GitLab runs a `script:` line only when the lines before it succeeded, so a step that
//! sees `running` reports success; a step in `after_script:` reports the job's real
//! outcome, failures included. (GitLab Runner 15.1 gave `running` in `after_script:`
//! too, a bug since fixed: gitlab-runner#29199.)

use serde::Deserialize;

use super::vars::{as_number, commit_id, first, number, real_commit, reported_state, variables};
use super::{CiContext, CiEnvironment, CiState, Field, PullRequest};
use crate::env::Env;

#[derive(Debug, Default, Deserialize)]
struct Vars {
    ci_project_path: Option<String>,
    ci_project_url: Option<String>,
    #[serde(default, deserialize_with = "as_number")]
    ci_pipeline_iid: Option<u64>,
    #[serde(default, deserialize_with = "as_number")]
    ci_pipeline_id: Option<u64>,
    ci_pipeline_url: Option<String>,
    ci_pipeline_source: Option<String>,
    ci_commit_sha: Option<String>,
    ci_commit_before_sha: Option<String>,
    ci_commit_branch: Option<String>,
    ci_commit_ref_name: Option<String>,
    ci_commit_tag: Option<String>,
    ci_merge_request_source_branch_sha: Option<String>,
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
    let vars: Vars = variables(env, "");

    let pull_request = vars.ci_merge_request_iid.as_deref().map(|iid| PullRequest {
        number: number(Some(iid)),
        title: vars.ci_merge_request_title.clone(),
        source_branch: vars.ci_merge_request_source_branch_name.clone(),
        target_branch: vars.ci_merge_request_target_branch_name.clone(),
        url: vars
            .ci_merge_request_project_url
            .as_ref()
            .or(vars.ci_project_url.as_ref())
            .zip(number(Some(iid)))
            .map(|(project, iid)| format!("{project}/-/merge_requests/{iid}")),
        author: None,
    });
    let (branch, branch_from) = first([
        (
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
            vars.ci_merge_request_source_branch_name.clone(),
        ),
        ("CI_COMMIT_BRANCH", vars.ci_commit_branch.clone()),
        (
            "CI_COMMIT_REF_NAME",
            vars.ci_commit_tag
                .is_none()
                .then(|| vars.ci_commit_ref_name.clone())
                .flatten(),
        ),
    ]);
    let (build_number, number_from) = match vars.ci_pipeline_iid {
        Some(n) => (Some(n), "CI_PIPELINE_IID"),
        None => (vars.ci_pipeline_id, "CI_PIPELINE_ID"),
    };
    let (range_base, base_from) = first([
        (
            "CI_MERGE_REQUEST_DIFF_BASE_SHA",
            real_commit(vars.ci_merge_request_diff_base_sha),
        ),
        ("CI_COMMIT_BEFORE_SHA", real_commit(vars.ci_commit_before_sha)),
    ]);

    Some(
        CiContext {
            system: "GitLab CI",
            pipeline_id: vars.ci_project_path.clone(),
            pipeline_name: vars.ci_project_path.clone(),
            pipeline_url: vars.ci_project_url.as_ref().map(|p| format!("{p}/-/pipelines")),
            build_number,
            run_url: vars.ci_pipeline_url,
            branch,
            tag: vars.ci_commit_tag,
            commit: vars.ci_commit_sha,
            pull_request_head: commit_id(vars.ci_merge_request_source_branch_sha),
            range_base,
            pull_request,
            state: job_state(vars.ci_job_status.as_deref()),
            environment: vars.ci_environment_name.map(|name| CiEnvironment {
                name,
                tier: vars.ci_environment_tier,
            }),
            repository_url: vars.ci_project_url,
            event: vars.ci_pipeline_source,
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, "GITLAB_CI"),
            (Field::PipelineId, "CI_PROJECT_PATH"),
            (Field::PipelineName, "CI_PROJECT_PATH"),
            (Field::PipelineUrl, "CI_PROJECT_URL/-/pipelines"),
            (Field::BuildNumber, number_from),
            (Field::RunUrl, "CI_PIPELINE_URL"),
            (Field::Branch, branch_from),
            (Field::Tag, "CI_COMMIT_TAG"),
            (Field::Commit, "CI_COMMIT_SHA"),
            (Field::PullRequestHead, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"),
            (Field::RangeBase, base_from),
            (
                Field::PullRequest,
                "CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_TITLE, CI_MERGE_REQUEST_*_BRANCH_NAME",
            ),
            (
                Field::State,
                if vars.ci_job_status.as_deref() == Some("running") {
                    "CI_JOB_STATUS (running: a script: step, after the commands before it succeeded)"
                } else {
                    "CI_JOB_STATUS"
                },
            ),
            (Field::Environment, "CI_ENVIRONMENT_NAME, CI_ENVIRONMENT_TIER"),
            (Field::RepositoryUrl, "CI_PROJECT_URL"),
            (Field::Event, "CI_PIPELINE_SOURCE"),
        ]),
    )
}

/// The job's outcome from `CI_JOB_STATUS`: `running` is what a `script:` step sees,
/// and it runs only after the lines before it succeeded; a word GitLab has not
/// documented is `unknown`.
fn job_state(status: Option<&str>) -> Option<CiState> {
    if status.is_some_and(|s| s.trim().eq_ignore_ascii_case("running")) {
        Some(CiState::Successful)
    } else {
        reported_state("CI_JOB_STATUS", status)
    }
}
