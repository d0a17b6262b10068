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

use std::collections::HashMap;

use serde::Deserialize;

use super::{CiContext, first, number};
use crate::env::Env;

#[derive(Debug, Default, Deserialize)]
struct Vars {
    build_number: Option<String>,
    build_vcs_number: Option<String>,
    teamcity_project_name: Option<String>,
    teamcity_buildconf_name: Option<String>,
    teamcity_build_properties_file: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    env.get("TEAMCITY_VERSION")?;
    let vars: Vars = envy::from_iter(env.iter()).unwrap_or_default();
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

    let (pipeline_id, pipeline_from) = first([
        ("teamcity.buildType.id", build_type.clone()),
        (
            "TEAMCITY_PROJECT_NAME / TEAMCITY_BUILDCONF_NAME",
            match (&vars.teamcity_project_name, &vars.teamcity_buildconf_name) {
                (Some(p), Some(c)) => Some(format!("{p} / {c}")),
                _ => None,
            },
        ),
    ]);
    let (build_number, number_from) = match number(vars.build_number.as_deref()) {
        Some(n) => (Some(n), "BUILD_NUMBER"),
        None => (number(build_id.as_deref()), "teamcity.build.id"),
    };
    let run_url = match (&server, &build_id) {
        (Some(server), Some(id)) => Some(format!("{server}/viewLog.html?buildId={id}")),
        _ => None,
    };
    let pipeline_url = match (&server, &build_type) {
        (Some(server), Some(id)) => Some(format!("{server}/buildConfiguration/{id}")),
        _ => None,
    };
    let branch = config
        .get("teamcity.build.branch")
        .filter(|b| b.as_str() != "<default>")
        .map(|b| b.strip_prefix("refs/heads/").unwrap_or(b).to_owned());
    Some(
        CiContext {
            system: "TeamCity",
            pipeline_name: match (&vars.teamcity_project_name, &vars.teamcity_buildconf_name) {
                (Some(p), Some(c)) => Some(format!("{p} / {c}")),
                _ => pipeline_id.clone(),
            },
            pipeline_id,
            pipeline_url,
            build_number,
            run_url,
            branch,
            commit: vars.build_vcs_number,
            range_base: None,
            pull_request: None,
            state: None,
            environment: None,
            repository_url: None,
            event: None,
            sources: Default::default(),
        }
        .sourced(&[
            ("pipelineId", pipeline_from),
            ("pipelineName", "TEAMCITY_PROJECT_NAME / TEAMCITY_BUILDCONF_NAME"),
            ("pipelineUrl", "teamcity.serverUrl, teamcity.buildType.id"),
            ("buildNumber", number_from),
            ("runUrl", "teamcity.serverUrl, teamcity.build.id"),
            ("branch", "teamcity.build.branch"),
            ("commit", "BUILD_VCS_NUMBER"),
        ]),
    )
}

/// A Java properties file, as TeamCity writes it: `key=value` lines, `#` comments,
/// `\:` and `\=` escapes.
fn read_properties(path: &str) -> HashMap<String, String> {
    let Ok(text) = crate::store::read_to_string(path.as_ref(), crate::store::limit::CI_FILE) else {
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
