//! Azure Pipelines.
//!
//! Variables: <https://learn.microsoft.com/azure/devops/pipelines/build/variables>.
//! `BUILD_BUILDNUMBER` is a display string (`20240115.3`), so the build number is the
//! numeric `BUILD_BUILDID`. On a pull-request build `BUILD_SOURCEBRANCH` is
//! `refs/pull/1/merge` and `BUILD_SOURCEVERSION` the merge Azure made for the test;
//! the source branch is `SYSTEM_PULLREQUEST_SOURCEBRANCH` (documented as
//! `refs/heads/…`; GitHub-hosted repositories give the short name, so both are read)
//! and the head commit
//! `SYSTEM_PULLREQUEST_SOURCECOMMITID`. Azure gives no base commit: the range starts
//! at the test merge's first parent, when the clone has it (see `context`).
//!
//! A team project's name may hold spaces (Microsoft's own example is "Fabrikam
//! Fiber"): it is percent-encoded in URLs, and kept readable in the pipeline id.

use serde::Deserialize;

use super::vars::{branch_name, commit_id, first, number, reported_state, tag_name, variables};
use super::{CiContext, CiEnvironment, Field, PullRequest};
use crate::env::Env;
use crate::remote::{Remote, query_value, segment};

#[derive(Debug, Default, Deserialize)]
struct Vars {
    build_buildid: Option<String>,
    build_definitionname: Option<String>,
    build_sourcebranch: Option<String>,
    build_sourceversion: Option<String>,
    build_repository_uri: Option<String>,
    build_reason: Option<String>,
    system_collectionuri: Option<String>,
    system_teamproject: Option<String>,
    system_definitionid: Option<String>,
    system_pullrequest_sourcebranch: Option<String>,
    system_pullrequest_sourcecommitid: Option<String>,
    system_pullrequest_targetbranch: Option<String>,
    system_pullrequest_pullrequestid: Option<String>,
    system_pullrequest_pullrequestnumber: Option<String>,
    agent_jobstatus: Option<String>,
    environment_name: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    if !env
        .get("TF_BUILD")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return None;
    }
    let vars: Vars = variables(env, "");
    let collection = vars
        .system_collectionuri
        .as_deref()
        .map(|c| c.trim_end_matches('/').to_owned());
    let project_url = collection
        .as_ref()
        .zip(vars.system_teamproject.as_ref())
        .map(|(c, p)| format!("{c}/{}", segment(p)));
    let (pipeline_id, pipeline_name) = match (&vars.system_teamproject, &vars.build_definitionname) {
        (Some(project), Some(definition)) => (
            Some(format!("{project}/{definition}")),
            Some(format!("{definition} ({project})")),
        ),
        (_, definition) => (definition.clone(), definition.clone()),
    };
    let run_url = project_url
        .as_ref()
        .zip(vars.build_buildid.as_ref())
        .map(|(p, id)| format!("{p}/_build/results?buildId={}", query_value(id)));
    let pipeline_url = project_url
        .as_ref()
        .zip(vars.system_definitionid.as_ref())
        .map(|(p, id)| format!("{p}/_build?definitionId={}", query_value(id)));
    let pr_id = vars
        .system_pullrequest_pullrequestnumber
        .clone()
        .or(vars.system_pullrequest_pullrequestid.clone());
    let source = vars
        .system_pullrequest_sourcebranch
        .as_deref()
        .map(|b| branch_name(b).to_owned());
    let remote = vars.build_repository_uri.as_deref().and_then(Remote::parse);
    let repository_url = remote
        .as_ref()
        .map(Remote::web_url)
        .or(vars.build_repository_uri.clone());
    let pull_request = pr_id.as_deref().map(|id| PullRequest {
        number: number(Some(id)),
        title: None,
        source_branch: source.clone(),
        target_branch: vars
            .system_pullrequest_targetbranch
            .as_deref()
            .map(|b| branch_name(b).to_owned()),
        url: remote
            .as_ref()
            .zip(number(Some(id)))
            .map(|(r, n)| r.pull_request_url(n)),
        author: None,
    });
    let (branch, branch_from) = first([
        ("SYSTEM_PULLREQUEST_SOURCEBRANCH", source),
        (
            "BUILD_SOURCEBRANCH",
            vars.build_sourcebranch
                .as_deref()
                .filter(|b| b.starts_with("refs/heads/"))
                .map(|b| branch_name(b).to_owned()),
        ),
    ]);
    let tag = vars
        .build_sourcebranch
        .as_deref()
        .and_then(tag_name)
        .map(str::to_owned);
    Some(
        CiContext {
            system: "Azure Pipelines",
            pipeline_id,
            pipeline_name,
            pipeline_url,
            build_number: number(vars.build_buildid.as_deref()),
            run_url,
            branch,
            tag,
            commit: vars.build_sourceversion,
            pull_request_head: commit_id(vars.system_pullrequest_sourcecommitid),
            pull_request,
            state: reported_state("AGENT_JOBSTATUS", vars.agent_jobstatus.as_deref()),
            environment: vars
                .environment_name
                .map(|name| CiEnvironment { name, tier: None }),
            repository_url,
            event: vars.build_reason,
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, "TF_BUILD"),
            (Field::PipelineId, "SYSTEM_TEAMPROJECT/BUILD_DEFINITIONNAME"),
            (Field::PipelineName, "BUILD_DEFINITIONNAME (SYSTEM_TEAMPROJECT)"),
            (
                Field::PipelineUrl,
                "SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, SYSTEM_DEFINITIONID",
            ),
            (Field::BuildNumber, "BUILD_BUILDID"),
            (
                Field::RunUrl,
                "SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, BUILD_BUILDID",
            ),
            (Field::Branch, branch_from),
            (Field::Tag, "BUILD_SOURCEBRANCH"),
            (Field::Commit, "BUILD_SOURCEVERSION"),
            (Field::PullRequestHead, "SYSTEM_PULLREQUEST_SOURCECOMMITID"),
            (Field::PullRequest, "SYSTEM_PULLREQUEST_*"),
            (Field::State, "AGENT_JOBSTATUS"),
            (Field::Environment, "ENVIRONMENT_NAME"),
            (Field::RepositoryUrl, "BUILD_REPOSITORY_URI"),
            (Field::Event, "BUILD_REASON"),
        ]),
    )
}
