//! Drone, and Woodpecker (Drone's community fork, which renamed the variables): one
//! reading of the same variables, under each one's names ([`Dialect`]).
//!
//! Drone: <https://docs.drone.io/pipeline/environment/reference/>; on a pull request
//! `DRONE_BRANCH` is the *target* branch, the source is `DRONE_SOURCE_BRANCH`.
//! Woodpecker: <https://woodpecker-ci.org/docs/usage/environment>, `CI=woodpecker`,
//! `CI_COMMIT_SOURCE_BRANCH` likewise.
//!
//! The variables are read by name from the dialect's table rather than deserialised
//! with envy as the other systems' are: envy maps a struct's field names to variable
//! names, and here the names are data (two sets for one struct), which a table says
//! plainly; the same table names the sources `jira-send env` shows.

use super::vars::{first, number, real_commit, state};
use super::{CiContext, CiEnvironment, Field, PullRequest};
use crate::env::Env;

/// One dialect's names for the variables Drone defined.
struct Dialect {
    system: &'static str,
    /// The variable, and its value, that say a run is of this dialect.
    marker: (&'static str, &'static str),
    /// How `jira-send env` names that marker.
    recognised_by: &'static str,
    repo: &'static str,
    repo_link: &'static str,
    build_number: &'static str,
    build_link: &'static str,
    build_event: &'static str,
    build_status: &'static str,
    branch: &'static str,
    source_branch: &'static str,
    target_branch: &'static str,
    commit_sha: &'static str,
    commit_before: &'static str,
    pull_request: &'static str,
    /// Woodpecker gives no pull-request title.
    pull_request_title: Option<&'static str>,
    deploy_to: &'static str,
    /// Where the pull request's values come from, as `jira-send env` shows it.
    pull_request_from: &'static str,
}

const DRONE: Dialect = Dialect {
    system: "Drone",
    marker: ("DRONE", "true"),
    recognised_by: "DRONE",
    repo: "DRONE_REPO",
    repo_link: "DRONE_REPO_LINK",
    build_number: "DRONE_BUILD_NUMBER",
    build_link: "DRONE_BUILD_LINK",
    build_event: "DRONE_BUILD_EVENT",
    build_status: "DRONE_BUILD_STATUS",
    branch: "DRONE_BRANCH",
    source_branch: "DRONE_SOURCE_BRANCH",
    target_branch: "DRONE_TARGET_BRANCH",
    commit_sha: "DRONE_COMMIT_SHA",
    commit_before: "DRONE_COMMIT_BEFORE",
    pull_request: "DRONE_PULL_REQUEST",
    pull_request_title: Some("DRONE_PULL_REQUEST_TITLE"),
    deploy_to: "DRONE_DEPLOY_TO",
    pull_request_from: "DRONE_PULL_REQUEST, DRONE_PULL_REQUEST_TITLE",
};

const WOODPECKER: Dialect = Dialect {
    system: "Woodpecker",
    marker: ("CI", "woodpecker"),
    recognised_by: "CI=woodpecker",
    repo: "CI_REPO",
    repo_link: "CI_REPO_URL",
    build_number: "CI_PIPELINE_NUMBER",
    build_link: "CI_PIPELINE_URL",
    build_event: "CI_PIPELINE_EVENT",
    build_status: "CI_PIPELINE_STATUS",
    branch: "CI_COMMIT_BRANCH",
    source_branch: "CI_COMMIT_SOURCE_BRANCH",
    target_branch: "CI_COMMIT_TARGET_BRANCH",
    commit_sha: "CI_COMMIT_SHA",
    commit_before: "CI_PREV_COMMIT_SHA",
    pull_request: "CI_COMMIT_PULL_REQUEST",
    pull_request_title: None,
    deploy_to: "CI_PIPELINE_DEPLOY_TARGET",
    pull_request_from: "CI_COMMIT_PULL_REQUEST, CI_COMMIT_SOURCE_BRANCH, CI_COMMIT_TARGET_BRANCH",
};

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    // Woodpecker first: a run that also sets Drone's variables is read as Woodpecker.
    [WOODPECKER, DRONE]
        .iter()
        .find(|dialect| env.get(dialect.marker.0) == Some(dialect.marker.1))
        .map(|dialect| dialect.read(env))
}

impl Dialect {
    fn read(&self, env: &Env) -> CiContext {
        let get = |name: &str| env.get(name).map(str::to_owned);
        let repo = get(self.repo);
        let repo_link = get(self.repo_link);
        let pull_request = get(self.pull_request).map(|n| PullRequest {
            number: number(Some(&n)),
            title: self.pull_request_title.and_then(get),
            source_branch: get(self.source_branch),
            target_branch: get(self.target_branch),
            url: repo_link
                .as_ref()
                .zip(number(Some(&n)))
                .map(|(r, n)| format!("{r}/pull/{n}")),
            author: None,
        });
        let (branch, branch_from) = first([
            (self.source_branch, get(self.source_branch)),
            (self.branch, get(self.branch)),
        ]);
        CiContext {
            system: self.system,
            pipeline_id: repo.clone(),
            pipeline_name: repo,
            build_number: number(env.get(self.build_number)),
            run_url: get(self.build_link),
            branch,
            commit: get(self.commit_sha),
            range_base: real_commit(get(self.commit_before)),
            pull_request,
            state: env.get(self.build_status).and_then(state),
            environment: get(self.deploy_to).map(|name| CiEnvironment { name, tier: None }),
            repository_url: repo_link,
            event: get(self.build_event),
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, self.recognised_by),
            (Field::PipelineId, self.repo),
            (Field::PipelineName, self.repo),
            (Field::BuildNumber, self.build_number),
            (Field::RunUrl, self.build_link),
            (Field::Branch, branch_from),
            (Field::Commit, self.commit_sha),
            (Field::RangeBase, self.commit_before),
            (Field::PullRequest, self.pull_request_from),
            (Field::State, self.build_status),
            (Field::Environment, self.deploy_to),
            (Field::RepositoryUrl, self.repo_link),
            (Field::Event, self.build_event),
        ])
    }
}
