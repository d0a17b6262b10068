//! GitHub Actions.
//!
//! Variables: <https://docs.github.com/en/actions/reference/variables-reference>.
//! The event payload (`GITHUB_EVENT_PATH`) adds what variables lack: a push's
//! previous commit (`before`), a pull request's base commit and title.

use serde::Deserialize;
use tracing::warn;

use super::{CiContext, PullRequest, branch_name, number, real_commit};
use crate::env::Env;

#[derive(Debug, Default, Deserialize)]
struct Vars {
    actions: Option<String>,
    repository: Option<String>,
    workflow: Option<String>,
    run_number: Option<String>,
    run_id: Option<String>,
    server_url: Option<String>,
    sha: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    ref_name: Option<String>,
    ref_type: Option<String>,
    head_ref: Option<String>,
    base_ref: Option<String>,
    event_path: Option<String>,
}

/// The parts of an event payload that matter here; every event type has a subset.
#[derive(Debug, Default, Deserialize)]
struct Event {
    /// `push`: the commit the branch pointed at before the push.
    before: Option<String>,
    /// `pull_request`, `pull_request_target`.
    pull_request: Option<EventPullRequest>,
}

#[derive(Debug, Deserialize)]
struct EventPullRequest {
    number: Option<u64>,
    title: Option<String>,
    html_url: Option<String>,
    user: Option<EventUser>,
    head: Option<EventRef>,
    base: Option<EventRef>,
}

#[derive(Debug, Deserialize)]
struct EventUser {
    login: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EventRef {
    #[serde(rename = "ref")]
    reference: Option<String>,
    sha: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    if env.get("GITHUB_ACTIONS") != Some("true") {
        return None;
    }
    let vars: Vars = envy::prefixed("GITHUB_")
        .from_iter(env.iter())
        .unwrap_or_default();
    debug_assert!(vars.actions.is_some());
    let event = vars.event_path.as_deref().map(read_event).unwrap_or_default();

    let server = vars.server_url.as_deref().unwrap_or("https://github.com");
    let repository_url = vars.repository.as_ref().map(|r| format!("{server}/{r}"));
    let workflow = vars.workflow.clone();
    let pipeline_id = match (&vars.repository, &workflow) {
        (Some(repo), Some(workflow)) => Some(format!("{repo}/{workflow}")),
        (Some(repo), None) => Some(repo.clone()),
        _ => None,
    };
    let pipeline_name = match (&vars.repository, &workflow) {
        (Some(repo), Some(workflow)) => Some(format!("{workflow} ({repo})")),
        (repo, workflow) => repo.clone().or_else(|| workflow.clone()),
    };
    let run_url = match (&repository_url, &vars.run_id) {
        (Some(repo), Some(run)) => Some(format!("{repo}/actions/runs/{run}")),
        _ => None,
    };

    let Event {
        before,
        pull_request: event_pr,
    } = event;
    let pr_base = event_pr.as_ref().and_then(|pr| pr.base.as_ref()?.sha.clone());
    let range_base = real_commit(before).or(pr_base);
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
            .as_ref()
            .and_then(|b| b.reference.clone())
            .or_else(|| vars.base_ref.clone()),
    });
    // For a pull request, GITHUB_REF_NAME is `123/merge`; the branch is the head ref.
    let branch = vars
        .head_ref
        .clone()
        .or_else(|| pull_request.as_ref().and_then(|pr| pr.source_branch.clone()))
        .or_else(|| match vars.ref_type.as_deref() {
            Some("branch") => vars.ref_name.clone(),
            Some(_) => None,
            None => vars
                .reference
                .as_deref()
                .filter(|r| r.starts_with("refs/heads/"))
                .map(|r| branch_name(r).to_owned()),
        });

    Some(CiContext {
        system: "GitHub Actions",
        pipeline_id,
        pipeline_name,
        pipeline_url: repository_url.as_ref().map(|r| format!("{r}/actions")),
        build_number: number(vars.run_number.as_deref()),
        run_url,
        branch,
        commit: vars.sha,
        range_base,
        pull_request,
        state: None,
        environment: None,
        repository_url,
    })
}

fn read_event(path: &str) -> Event {
    let parsed = fs_err::read(path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()));
    parsed.unwrap_or_else(|e| {
        warn!("cannot read the GitHub event file ({e}); using the variables alone");
        Event::default()
    })
}
