//! TeamCity.
//!
//! TeamCity exports few variables (`TEAMCITY_VERSION`, `BUILD_NUMBER`,
//! `BUILD_VCS_NUMBER`, `TEAMCITY_PROJECT_NAME`, `TEAMCITY_BUILDCONF_NAME`); the rest is
//! in the build's properties files (`TEAMCITY_BUILD_PROPERTIES_FILE`, which names the
//! configuration properties file): the build's numeric id, the build configuration id,
//! the branch and the server URL.
//! <https://www.jetbrains.com/help/teamcity/predefined-build-parameters.html>.
//! `BUILD_NUMBER` may be a display string (`1.4.2-rc`): then the numeric build id is
//! the build number.
//!
//! A pull-request build (the Pull Requests build feature,
//! <https://www.jetbrains.com/help/teamcity/pull-requests.html>) runs on the branch
//! `pull/42`; the feature's `teamcity.pullRequest.number`, `.title`, `.source.branch`
//! and `.target.branch` parameters, in the configuration properties file, name the
//! pull request and its source branch. Its page is built from the VCS root's URL,
//! `vcsroot.url`: TeamCity documents VCS root parameters as
//! `vcsroot.<root id>.<property>`; the short form, which a build with one VCS root
//! carries, is not documented by name.

use std::collections::HashMap;

use serde::Deserialize;

use super::vars::{as_number, branch_name, first, number, variables};
use super::{CiContext, Field, PullRequest};
use crate::env::Env;
use crate::remote::{Remote, query_value, segment};

#[derive(Debug, Default, Deserialize)]
struct Vars {
    #[serde(default, deserialize_with = "as_number")]
    build_number: Option<u64>,
    build_vcs_number: Option<String>,
    teamcity_project_name: Option<String>,
    teamcity_buildconf_name: Option<String>,
    teamcity_build_properties_file: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    env.get("TEAMCITY_VERSION")?;
    let vars: Vars = variables(env, "");
    let build = vars
        .teamcity_build_properties_file
        .as_deref()
        .map(read_properties)
        .unwrap_or_default();
    let config = build
        .get("teamcity.configuration.properties.file")
        .map(|path| read_properties(path))
        .unwrap_or_default();
    let build_id = build.get("teamcity.build.id").cloned();
    let server = config
        .get("teamcity.serverUrl")
        .map(|s| s.trim_end_matches('/').to_owned());
    let build_type = build.get("teamcity.buildType.id").cloned();

    // `Project / Configuration`, as TeamCity shows a build configuration.
    let configuration = vars
        .teamcity_project_name
        .as_ref()
        .zip(vars.teamcity_buildconf_name.as_ref())
        .map(|(p, c)| format!("{p} / {c}"));
    let (pipeline_id, pipeline_from) = first([
        ("teamcity.buildType.id", build_type.clone()),
        (
            "TEAMCITY_PROJECT_NAME / TEAMCITY_BUILDCONF_NAME",
            configuration.clone(),
        ),
    ]);
    let (build_number, number_from) = match vars.build_number {
        Some(n) => (Some(n), "BUILD_NUMBER"),
        None => (number(build_id.as_deref()), "teamcity.build.id"),
    };
    let run_url = server
        .as_ref()
        .zip(build_id.as_ref())
        .map(|(server, id)| format!("{server}/viewLog.html?buildId={}", query_value(id)));
    let pipeline_url = server
        .as_ref()
        .zip(build_type.as_ref())
        .map(|(server, id)| format!("{server}/buildConfiguration/{}", segment(id)));
    // A parameter from either file: configuration parameters are in the first.
    let param = |name: &str| config.get(name).or_else(|| build.get(name)).cloned();
    let remote = param("vcsroot.url").as_deref().and_then(Remote::parse);
    let pull_request = param("teamcity.pullRequest.number").map(|n| PullRequest {
        number: number(Some(&n)),
        title: param("teamcity.pullRequest.title"),
        source_branch: param("teamcity.pullRequest.source.branch").map(|b| branch_name(&b).to_owned()),
        target_branch: param("teamcity.pullRequest.target.branch").map(|b| branch_name(&b).to_owned()),
        url: remote
            .as_ref()
            .zip(number(Some(&n)))
            .map(|(r, n)| r.pull_request_url(n)),
        author: None,
    });
    let (branch, branch_from) = first([
        (
            "teamcity.pullRequest.source.branch",
            pull_request.as_ref().and_then(|pr| pr.source_branch.clone()),
        ),
        (
            "teamcity.build.branch",
            param("teamcity.build.branch")
                .filter(|b| b.as_str() != "<default>")
                .map(|b| branch_name(&b).to_owned()),
        ),
    ]);
    Some(
        CiContext {
            system: "TeamCity",
            pipeline_name: configuration.or_else(|| pipeline_id.clone()),
            pipeline_id,
            pipeline_url,
            build_number,
            run_url,
            branch,
            commit: vars.build_vcs_number,
            pull_request,
            repository_url: remote.map(|r| r.web_url()),
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, "TEAMCITY_VERSION"),
            (Field::PipelineId, pipeline_from),
            (
                Field::PipelineName,
                "TEAMCITY_PROJECT_NAME / TEAMCITY_BUILDCONF_NAME",
            ),
            (Field::PipelineUrl, "teamcity.serverUrl, teamcity.buildType.id"),
            (Field::BuildNumber, number_from),
            (Field::RunUrl, "teamcity.serverUrl, teamcity.build.id"),
            (Field::Branch, branch_from),
            (Field::Commit, "BUILD_VCS_NUMBER"),
            (Field::PullRequest, "teamcity.pullRequest.*"),
            (Field::RepositoryUrl, "vcsroot.url"),
        ]),
    )
}

/// A Java properties file, as TeamCity writes it: `key=value` lines, `#` comments,
/// `\:` and `\=` escapes.
fn read_properties(path: &str) -> HashMap<String, String> {
    let Ok(text) = crate::fs::read_to_string(path.as_ref(), crate::fs::limit::CI_FILE) else {
        tracing::debug!("cannot read the TeamCity properties file {path}");
        return HashMap::new();
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with(['#', '!']))
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            let unescape = |s: &str| {
                s.trim()
                    .replace("\\:", ":")
                    .replace("\\=", "=")
                    .replace("\\\\", "\\")
            };
            Some((unescape(key), unescape(value)))
        })
        .collect()
}
