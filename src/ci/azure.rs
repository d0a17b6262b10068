//! Azure Pipelines.
//!
//! Variables: <https://learn.microsoft.com/azure/devops/pipelines/build/variables>.
//! `BUILD_BUILDNUMBER` is a display string (`20240115.3`), so the build number is the
//! numeric `BUILD_BUILDID`. On a pull-request build `BUILD_SOURCEBRANCH` is
//! `refs/pull/1/merge`; the source branch is `SYSTEM_PULLREQUEST_SOURCEBRANCH`.

use serde::Deserialize;

use super::{CiContext, CiEnvironment, PullRequest, branch_name, first, number, state};
use crate::env::Env;

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
    let vars: Vars = envy::from_iter(env.iter()).unwrap_or_default();
    let collection = vars
        .system_collectionuri
        .as_deref()
        .map(|c| c.trim_end_matches('/').to_owned());
    let project_url = match (&collection, &vars.system_teamproject) {
        (Some(c), Some(p)) => Some(format!("{c}/{p}")),
        _ => None,
    };
    let (pipeline_id, pipeline_name) = match (&vars.system_teamproject, &vars.build_definitionname) {
        (Some(project), Some(definition)) => (
            Some(format!("{project}/{definition}")),
            Some(format!("{definition} ({project})")),
        ),
        (_, definition) => (definition.clone(), definition.clone()),
    };
    let run_url = match (&project_url, &vars.build_buildid) {
        (Some(p), Some(id)) => Some(format!("{p}/_build/results?buildId={id}")),
        _ => None,
    };
    let pipeline_url = match (&project_url, &vars.system_definitionid) {
        (Some(p), Some(id)) => Some(format!("{p}/_build?definitionId={id}")),
        _ => None,
    };
    let pr_id = vars
        .system_pullrequest_pullrequestnumber
        .clone()
        .or(vars.system_pullrequest_pullrequestid.clone());
    let source = vars
        .system_pullrequest_sourcebranch
        .as_deref()
        .map(|b| branch_name(b).to_owned());
    let repository_url = vars.build_repository_uri.clone();
    let pull_request = pr_id.as_deref().map(|id| PullRequest {
        number: number(Some(id)),
        title: None,
        source_branch: source.clone(),
        target_branch: vars
            .system_pullrequest_targetbranch
            .as_deref()
            .map(|b| branch_name(b).to_owned()),
        url: repository_url.as_ref().map(|r| {
            if r.contains("github.com") {
                format!("{r}/pull/{id}")
            } else {
                format!("{r}/pullrequest/{id}")
            }
        }),
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
    Some(
        CiContext {
            system: "Azure Pipelines",
            pipeline_id,
            pipeline_name,
            pipeline_url,
            build_number: number(vars.build_buildid.as_deref()),
            run_url,
            branch,
            commit: vars.build_sourceversion,
            range_base: None,
            pull_request,
            state: vars.agent_jobstatus.as_deref().and_then(state),
            environment: vars
                .environment_name
                .map(|name| CiEnvironment { name, tier: None }),
            repository_url,
            event: vars.build_reason,
            sources: Default::default(),
        }
        .sourced(&[
            ("pipelineId", "SYSTEM_TEAMPROJECT/BUILD_DEFINITIONNAME"),
            ("pipelineName", "BUILD_DEFINITIONNAME (SYSTEM_TEAMPROJECT)"),
            (
                "pipelineUrl",
                "SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, SYSTEM_DEFINITIONID",
            ),
            ("buildNumber", "BUILD_BUILDID"),
            (
                "runUrl",
                "SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, BUILD_BUILDID",
            ),
            ("branch", branch_from),
            ("commit", "BUILD_SOURCEVERSION"),
            ("pullRequest", "SYSTEM_PULLREQUEST_*"),
            ("state", "AGENT_JOBSTATUS"),
            ("environment", "ENVIRONMENT_NAME"),
            ("repositoryUrl", "BUILD_REPOSITORY_URI"),
            ("event", "BUILD_REASON"),
        ]),
    )
}
