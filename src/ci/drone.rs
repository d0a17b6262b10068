//! Drone, and Woodpecker (Drone's community fork, which renamed the variables).
//!
//! Drone: <https://docs.drone.io/pipeline/environment/reference/>; on a pull request
//! `DRONE_BRANCH` is the *target* branch, the source is `DRONE_SOURCE_BRANCH`.
//! Woodpecker: <https://woodpecker-ci.org/docs/usage/environment>, `CI=woodpecker`,
//! `CI_COMMIT_SOURCE_BRANCH` likewise.

use serde::Deserialize;

use super::{CiContext, CiEnvironment, Field, PullRequest, first, number, real_commit, state};
use crate::env::Env;

#[derive(Debug, Default, Deserialize)]
struct DroneVars {
    drone_repo: Option<String>,
    drone_repo_link: Option<String>,
    drone_build_number: Option<String>,
    drone_build_link: Option<String>,
    drone_build_event: Option<String>,
    drone_build_status: Option<String>,
    drone_branch: Option<String>,
    drone_source_branch: Option<String>,
    drone_target_branch: Option<String>,
    drone_commit_sha: Option<String>,
    drone_commit_before: Option<String>,
    drone_pull_request: Option<String>,
    drone_pull_request_title: Option<String>,
    drone_deploy_to: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WoodpeckerVars {
    ci_repo: Option<String>,
    ci_repo_url: Option<String>,
    ci_pipeline_number: Option<String>,
    ci_pipeline_url: Option<String>,
    ci_pipeline_event: Option<String>,
    ci_pipeline_status: Option<String>,
    ci_pipeline_deploy_target: Option<String>,
    ci_commit_sha: Option<String>,
    ci_commit_branch: Option<String>,
    ci_commit_source_branch: Option<String>,
    ci_commit_target_branch: Option<String>,
    ci_commit_pull_request: Option<String>,
    ci_prev_commit_sha: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    if env.get("CI") == Some("woodpecker") {
        return Some(woodpecker(env));
    }
    if env.get("DRONE") != Some("true") {
        return None;
    }
    let vars: DroneVars = envy::from_iter(env.iter()).unwrap_or_default();
    let pull_request = vars.drone_pull_request.as_deref().map(|n| PullRequest {
        number: number(Some(n)),
        title: vars.drone_pull_request_title.clone(),
        source_branch: vars.drone_source_branch.clone(),
        target_branch: vars.drone_target_branch.clone(),
        url: vars
            .drone_repo_link
            .as_ref()
            .zip(number(Some(n)))
            .map(|(r, n)| format!("{r}/pull/{n}")),
        author: None,
    });
    let (branch, branch_from) = first([
        ("DRONE_SOURCE_BRANCH", vars.drone_source_branch.clone()),
        ("DRONE_BRANCH", vars.drone_branch.clone()),
    ]);
    Some(
        CiContext {
            system: "Drone",
            pipeline_id: vars.drone_repo.clone(),
            pipeline_name: vars.drone_repo,
            pipeline_url: None,
            build_number: number(vars.drone_build_number.as_deref()),
            run_url: vars.drone_build_link,
            branch,
            tag: None,
            commit: vars.drone_commit_sha,
            pull_request_head: None,
            range_base: real_commit(vars.drone_commit_before),
            pull_request,
            state: vars.drone_build_status.as_deref().and_then(state),
            environment: vars
                .drone_deploy_to
                .map(|name| CiEnvironment { name, tier: None }),
            repository_url: vars.drone_repo_link,
            event: vars.drone_build_event,
            sources: Default::default(),
        }
        .sourced(&[
            (Field::System, "DRONE"),
            (Field::PipelineId, "DRONE_REPO"),
            (Field::PipelineName, "DRONE_REPO"),
            (Field::BuildNumber, "DRONE_BUILD_NUMBER"),
            (Field::RunUrl, "DRONE_BUILD_LINK"),
            (Field::Branch, branch_from),
            (Field::Commit, "DRONE_COMMIT_SHA"),
            (Field::RangeBase, "DRONE_COMMIT_BEFORE"),
            (Field::PullRequest, "DRONE_PULL_REQUEST, DRONE_PULL_REQUEST_TITLE"),
            (Field::State, "DRONE_BUILD_STATUS"),
            (Field::Environment, "DRONE_DEPLOY_TO"),
            (Field::RepositoryUrl, "DRONE_REPO_LINK"),
            (Field::Event, "DRONE_BUILD_EVENT"),
        ]),
    )
}

fn woodpecker(env: &Env) -> CiContext {
    let vars: WoodpeckerVars = envy::from_iter(env.iter()).unwrap_or_default();
    let pull_request = vars.ci_commit_pull_request.as_deref().map(|n| PullRequest {
        number: number(Some(n)),
        title: None,
        source_branch: vars.ci_commit_source_branch.clone(),
        target_branch: vars.ci_commit_target_branch.clone(),
        url: vars
            .ci_repo_url
            .as_ref()
            .zip(number(Some(n)))
            .map(|(r, n)| format!("{r}/pull/{n}")),
        author: None,
    });
    let (branch, branch_from) = first([
        ("CI_COMMIT_SOURCE_BRANCH", vars.ci_commit_source_branch.clone()),
        ("CI_COMMIT_BRANCH", vars.ci_commit_branch.clone()),
    ]);
    CiContext {
        system: "Woodpecker",
        pipeline_id: vars.ci_repo.clone(),
        pipeline_name: vars.ci_repo,
        pipeline_url: None,
        build_number: number(vars.ci_pipeline_number.as_deref()),
        run_url: vars.ci_pipeline_url,
        branch,
        tag: None,
        commit: vars.ci_commit_sha,
        pull_request_head: None,
        range_base: real_commit(vars.ci_prev_commit_sha),
        pull_request,
        state: vars.ci_pipeline_status.as_deref().and_then(state),
        environment: vars
            .ci_pipeline_deploy_target
            .map(|name| CiEnvironment { name, tier: None }),
        repository_url: vars.ci_repo_url,
        event: vars.ci_pipeline_event,
        sources: Default::default(),
    }
    .sourced(&[
        (Field::System, "CI=woodpecker"),
        (Field::PipelineId, "CI_REPO"),
        (Field::PipelineName, "CI_REPO"),
        (Field::BuildNumber, "CI_PIPELINE_NUMBER"),
        (Field::RunUrl, "CI_PIPELINE_URL"),
        (Field::Branch, branch_from),
        (Field::Commit, "CI_COMMIT_SHA"),
        (Field::RangeBase, "CI_PREV_COMMIT_SHA"),
        (
            Field::PullRequest,
            "CI_COMMIT_PULL_REQUEST, CI_COMMIT_SOURCE_BRANCH, CI_COMMIT_TARGET_BRANCH",
        ),
        (Field::State, "CI_PIPELINE_STATUS"),
        (Field::Environment, "CI_PIPELINE_DEPLOY_TARGET"),
        (Field::RepositoryUrl, "CI_REPO_URL"),
        (Field::Event, "CI_PIPELINE_EVENT"),
    ])
}
