//! Buildkite.
//!
//! Variables: <https://buildkite.com/docs/pipelines/configure/environment-variables>.
//! `BUILDKITE_PULL_REQUEST` is the number, or `false`. A build of a tag sets
//! `BUILDKITE_TAG`, and `BUILDKITE_BRANCH` then holds the tag's name (what real tag
//! builds show; the docs describe `BUILDKITE_BRANCH` only as "the branch being built"):
//! that build is of a tag, not of a branch.

use serde::Deserialize;

use super::vars::{as_number, first, variables};
use super::{CiContext, Field, PullRequest};
use crate::env::Env;
use crate::remote::Remote;

#[derive(Debug, Default, Deserialize)]
struct Vars {
    buildkite_organization_slug: Option<String>,
    buildkite_pipeline_slug: Option<String>,
    buildkite_pipeline_name: Option<String>,
    #[serde(default, deserialize_with = "as_number")]
    buildkite_build_number: Option<u64>,
    buildkite_build_url: Option<String>,
    buildkite_branch: Option<String>,
    buildkite_tag: Option<String>,
    buildkite_commit: Option<String>,
    #[serde(default, deserialize_with = "as_number")]
    buildkite_pull_request: Option<u64>,
    buildkite_pull_request_base_branch: Option<String>,
    buildkite_repo: Option<String>,
    buildkite_source: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    if env.get("BUILDKITE") != Some("true") {
        return None;
    }
    let vars: Vars = variables(env, "");
    let pipeline_id = vars
        .buildkite_organization_slug
        .as_ref()
        .zip(vars.buildkite_pipeline_slug.as_ref())
        .map(|(org, pipeline)| format!("{org}/{pipeline}"));
    let remote = vars.buildkite_repo.as_deref().and_then(Remote::parse);
    let pr_number = vars.buildkite_pull_request;
    let pull_request = pr_number.map(|n| PullRequest {
        number: Some(n),
        title: None,
        source_branch: vars.buildkite_branch.clone(),
        target_branch: vars.buildkite_pull_request_base_branch.clone(),
        url: remote.as_ref().map(|r| r.pull_request_url(n)),
        author: None,
    });
    let tag = vars.buildkite_tag.clone();
    let (branch, branch_from) = first([(
        "BUILDKITE_BRANCH",
        vars.buildkite_branch.filter(|_| tag.is_none()),
    )]);
    Some(
        CiContext {
            system: "Buildkite",
            pipeline_url: pipeline_id
                .as_ref()
                .map(|p| format!("https://buildkite.com/{}", crate::remote::path(p))),
            pipeline_name: vars.buildkite_pipeline_name.or_else(|| pipeline_id.clone()),
            pipeline_id,
            build_number: vars.buildkite_build_number,
            run_url: vars.buildkite_build_url,
            branch,
            tag,
            commit: vars.buildkite_commit.filter(|c| c != "HEAD"),
            pull_request,
            repository_url: remote.map(|r| r.web_url()),
            event: vars.buildkite_source,
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, "BUILDKITE"),
            (
                Field::PipelineId,
                "BUILDKITE_ORGANIZATION_SLUG/BUILDKITE_PIPELINE_SLUG",
            ),
            (Field::PipelineName, "BUILDKITE_PIPELINE_NAME"),
            (
                Field::PipelineUrl,
                "BUILDKITE_ORGANIZATION_SLUG/BUILDKITE_PIPELINE_SLUG",
            ),
            (Field::BuildNumber, "BUILDKITE_BUILD_NUMBER"),
            (Field::RunUrl, "BUILDKITE_BUILD_URL"),
            (Field::Branch, branch_from),
            (Field::Tag, "BUILDKITE_TAG"),
            (Field::Commit, "BUILDKITE_COMMIT"),
            (
                Field::PullRequest,
                "BUILDKITE_PULL_REQUEST, BUILDKITE_PULL_REQUEST_BASE_BRANCH",
            ),
            (Field::RepositoryUrl, "BUILDKITE_REPO"),
            (Field::Event, "BUILDKITE_SOURCE"),
        ]),
    )
}
