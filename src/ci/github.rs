//! GitHub Actions.
//!
//! Variables: <https://docs.github.com/en/actions/reference/variables-reference>.
//! The event payload (`GITHUB_EVENT_PATH`) adds what variables lack, per event type:
//! a push's previous commit (`before`), a pull request's base commit, title and
//! author, a merge group's base, a deployment's environment and a deployment status's
//! state. The pipeline id is the repository and the workflow: `GITHUB_RUN_NUMBER`
//! counts per workflow.
//!
//! Pull-request events (`pull_request`, `pull_request_target`, the review events) are
//! about the pull request as a whole, whatever their action: the range is its own,
//! from `pull_request.base.sha` to its head. On `synchronize` the payload also has
//! `before`, the head before this push, which would leave out the commits pushed
//! earlier (and after a force-push is in no repository). `GITHUB_SHA` is then a merge
//! commit GitHub made for the test (`refs/pull/N/merge`), on no branch; the build
//! reports `pull_request.head.sha`. On `pull_request_target` the checkout is the base
//! branch's last commit, none of the pull request's.
//! Events: <https://docs.github.com/en/webhooks/webhook-events-and-payloads>.

use serde::Deserialize;
use tracing::warn;

use super::vars::{
    as_number, branch_name, commit_id, first, real_commit, reported_state, tag_name, variables,
};
use super::{CiContext, CiEnvironment, Field, PullRequest};
use crate::env::Env;
use crate::remote::{path, segment};

#[derive(Debug, Default, Deserialize)]
struct Vars {
    repository: Option<String>,
    workflow: Option<String>,
    #[serde(default, deserialize_with = "as_number")]
    run_number: Option<u64>,
    run_id: Option<String>,
    server_url: Option<String>,
    sha: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    ref_name: Option<String>,
    ref_type: Option<String>,
    head_ref: Option<String>,
    base_ref: Option<String>,
    event_name: Option<String>,
    event_path: Option<String>,
}

/// The parts of an event payload that matter here; every event type has a subset.
#[derive(Debug, Default, Deserialize)]
struct Event {
    /// `push`: the commit the branch pointed at before the push.
    before: Option<String>,
    /// `pull_request`, `pull_request_target`.
    pull_request: Option<EventPullRequest>,
    /// `merge_group`.
    merge_group: Option<MergeGroup>,
    /// `deployment`, `deployment_status`.
    deployment: Option<Deployment>,
    deployment_status: Option<DeploymentStatus>,
}

#[derive(Debug, Deserialize)]
struct EventPullRequest {
    number: Option<u64>,
    title: Option<String>,
    html_url: Option<String>,
    user: Option<User>,
    head: Option<Ref>,
    base: Option<Ref>,
}

#[derive(Debug, Deserialize)]
struct User {
    login: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Ref {
    #[serde(rename = "ref")]
    reference: Option<String>,
    sha: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MergeGroup {
    base_sha: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Deployment {
    environment: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DeploymentStatus {
    state: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    if env.get("GITHUB_ACTIONS") != Some("true") {
        return None;
    }
    let vars: Vars = variables(env, "GITHUB_");
    let event = vars.event_path.as_deref().map(read_event).unwrap_or_default();

    let server = vars.server_url.as_deref().unwrap_or("https://github.com");
    let repository_url = vars.repository.as_ref().map(|r| format!("{server}/{}", path(r)));
    let (pipeline_id, pipeline_name) = match (&vars.repository, &vars.workflow) {
        (Some(repo), Some(workflow)) => (
            Some(format!("{repo}/{workflow}")),
            Some(format!("{workflow} ({repo})")),
        ),
        (repo, workflow) => (repo.clone(), repo.clone().or_else(|| workflow.clone())),
    };
    let run_url = repository_url
        .as_ref()
        .zip(vars.run_id.as_ref())
        .map(|(repo, run)| format!("{repo}/actions/runs/{}", segment(run)));

    let Event {
        before,
        pull_request: event_pr,
        merge_group,
        deployment,
        deployment_status,
    } = event;
    let pr_base = event_pr.as_ref().and_then(|pr| pr.base.as_ref()?.sha.clone());
    let pr_head = event_pr.as_ref().and_then(|pr| pr.head.as_ref()?.sha.clone());
    let is_pull_request = event_pr.is_some();
    let pull_request = event_pr.map(|pr| PullRequest {
        number: pr.number,
        title: pr.title,
        url: pr.html_url,
        author: pr.user.and_then(|u| u.login),
        source_branch: pr
            .head
            .and_then(|h| h.reference)
            .or_else(|| vars.head_ref.clone()),
        target_branch: pr
            .base
            .and_then(|b| b.reference)
            .or_else(|| vars.base_ref.clone()),
    });

    // For a pull request GITHUB_REF_NAME is `123/merge`: the branch is the head ref.
    let ref_branch = match vars.ref_type.as_deref() {
        Some("branch") => vars.ref_name.clone(),
        Some(_) => None,
        None => vars
            .reference
            .as_deref()
            .filter(|r| r.starts_with("refs/heads/"))
            .map(|r| branch_name(r).to_owned()),
    };
    let deployment_ref = deployment
        .as_ref()
        .and_then(|d| d.reference.clone())
        .filter(|r| r.len() != 40);
    let (branch, branch_from) = first([
        ("GITHUB_HEAD_REF", vars.head_ref.clone()),
        (
            "event pull_request.head.ref",
            pull_request.as_ref().and_then(|pr| pr.source_branch.clone()),
        ),
        ("event deployment.ref", deployment_ref),
        ("GITHUB_REF_NAME", ref_branch),
    ]);
    let (range_base, base_from) = first([
        ("event pull_request.base.sha", pr_base),
        ("event before", real_commit(before).filter(|_| !is_pull_request)),
        (
            "event merge_group.base_sha",
            merge_group.and_then(|m| real_commit(m.base_sha)),
        ),
    ]);
    let (tag, tag_from) = match vars.ref_type.as_deref() {
        Some("tag") => (vars.ref_name.clone(), "GITHUB_REF_NAME"),
        Some(_) => (None, ""),
        None => (
            vars.reference.as_deref().and_then(tag_name).map(str::to_owned),
            "GITHUB_REF",
        ),
    };
    let environment = deployment
        .and_then(|d| d.environment)
        .map(|name| CiEnvironment { name, tier: None });

    Some(
        CiContext {
            system: "GitHub Actions",
            pipeline_id,
            pipeline_name,
            pipeline_url: repository_url.as_ref().map(|r| format!("{r}/actions")),
            build_number: vars.run_number,
            run_url,
            branch,
            tag,
            commit: vars.sha,
            pull_request_head: commit_id(pr_head),
            range_base,
            pull_request,
            state: deployment_status
                .and_then(|s| reported_state("deployment_status.state", s.state.as_deref())),
            environment,
            repository_url,
            // GITHUB_SHA is then the base branch's last commit.
            checks_out_target: vars.event_name.as_deref() == Some("pull_request_target"),
            event: vars.event_name,
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, "GITHUB_ACTIONS"),
            (Field::PipelineId, "GITHUB_REPOSITORY/GITHUB_WORKFLOW"),
            (Field::PipelineName, "GITHUB_WORKFLOW (GITHUB_REPOSITORY)"),
            (Field::PipelineUrl, "GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions"),
            (Field::BuildNumber, "GITHUB_RUN_NUMBER"),
            (
                Field::RunUrl,
                "GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID",
            ),
            (Field::Branch, branch_from),
            (Field::Tag, tag_from),
            (Field::Commit, "GITHUB_SHA"),
            (Field::PullRequestHead, "event pull_request.head.sha"),
            (Field::RangeBase, base_from),
            (Field::PullRequest, "event pull_request"),
            (Field::State, "event deployment_status.state"),
            (Field::Environment, "event deployment.environment"),
            (Field::RepositoryUrl, "GITHUB_SERVER_URL/GITHUB_REPOSITORY"),
            (Field::Event, "GITHUB_EVENT_NAME"),
        ]),
    )
}

fn read_event(path: &str) -> Event {
    let parsed = crate::fs::read(path.as_ref(), crate::fs::limit::CI_FILE)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()));
    parsed.unwrap_or_else(|e| {
        warn!("cannot read the GitHub event file ({e}); using the variables alone");
        Event::default()
    })
}
