//! `jira-send delete`: the undo of every send, by the entity's key or by the
//! properties every request carries (`source`, `repository`, `pipeline`).
//!
//! Jira deletes asynchronously and answers 202; the JSON output of a send lists the
//! keys this command takes.

use reqwest::Method;
use serde_json::{Value, json};

use super::make_calls;
use crate::api::{Api, Call, checked_segment};
use crate::cli::{ByProperty, DeleteArgs, DeleteTarget, EntityType};
use crate::clock::Clock;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::keys::KeySet;
use crate::report::Report;
use crate::settings::Settings;

pub fn run(args: &DeleteArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let call = call(&args.target)?;
    let keys = KeySet::default();
    let mut report = Report::new("delete", settings.dry_run, &keys);
    report.api = Some(call.api);
    make_calls(report, settings, env, clock, vec![call])
}

/// The request a delete command stands for.
fn call(target: &DeleteTarget) -> Result<Call> {
    let by_key = |api: Api, operation: String, subject: Value| Call {
        method: Method::DELETE,
        api,
        operation,
        body: None,
        subject: Some(subject),
    };
    let missing = |what: &str, key: &str| {
        Error::usage(format!(
            "delete {what} needs the entity's key ({key}) or at least one --property KEY=VALUE"
        ))
    };
    Ok(match target {
        DeleteTarget::Build {
            pipeline_id: Some(p),
            build_number: Some(n),
            ..
        } => by_key(
            Api::Builds,
            format!("pipelines/{}/builds/{n}", checked_segment(p, "the pipeline id")?),
            json!({"pipelineId": p, "buildNumber": n}),
        ),
        DeleteTarget::Deployment {
            pipeline_id: Some(p),
            environment_id: Some(e),
            deployment_number: Some(n),
            ..
        } => by_key(
            Api::Deployments,
            format!(
                "pipelines/{}/environments/{}/deployments/{n}",
                checked_segment(p, "the pipeline id")?,
                checked_segment(e, "the environment id")?
            ),
            json!({"pipelineId": p, "environmentId": e, "deploymentSequenceNumber": n}),
        ),
        DeleteTarget::Devinfo {
            repository_id: Some(r),
            entity: None,
            ..
        } => by_key(
            Api::Devinfo,
            format!("repository/{}", checked_segment(r, "the repository id")?),
            json!({"repositoryId": r}),
        ),
        DeleteTarget::Devinfo {
            repository_id: Some(r),
            entity: Some(kind),
            entity_id: Some(id),
            ..
        } => {
            let kind = match kind {
                EntityType::Commit => "commit",
                EntityType::Branch => "branch",
                EntityType::PullRequest => "pull_request",
            };
            by_key(
                Api::Devinfo,
                format!(
                    "repository/{}/{kind}/{}",
                    checked_segment(r, "the repository id")?,
                    checked_segment(id, "the entity id")?
                ),
                json!({"repositoryId": r, "entityType": kind, "entityId": id}),
            )
        }
        DeleteTarget::Flag { id: Some(id), .. } => by_key(
            Api::FeatureFlags,
            format!("flag/{}", checked_segment(id, "the flag id")?),
            json!({"id": id}),
        ),
        DeleteTarget::Build { by, .. } => by_property(Api::Builds, by)
            .ok_or_else(|| missing("build", "--pipeline-id and --build-number"))?,
        DeleteTarget::Deployment { by, .. } => by_property(Api::Deployments, by).ok_or_else(|| {
            missing(
                "deployment",
                "--pipeline-id, --environment-id and --deployment-number",
            )
        })?,
        DeleteTarget::Devinfo { by, .. } => {
            if let Some(key) = repeated_key(by) {
                // Devinfo answers 400 to a repeated key; one request per value instead.
                return Err(Error::usage(format!(
                    "--property {key} is given twice: devinfo matches one value per key"
                )));
            }
            by_property(Api::Devinfo, by).ok_or_else(|| missing("devinfo", "--repository-id"))?
        }
        DeleteTarget::Flag { by, .. } => {
            by_property(Api::FeatureFlags, by).ok_or_else(|| missing("flag", "--id"))?
        }
    })
}

/// `DELETE …/bulkByProperties?k1=v1&k2=v2`: every entity with all these properties.
fn by_property(api: Api, by: &ByProperty) -> Option<Call> {
    if by.properties.is_empty() {
        return None;
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(by.properties.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish();
    // What the query asks for: a key given twice is sent with both values, so it is
    // shown with both (`{"k": ["v", "w"]}`), not with the last one.
    let mut subject = serde_json::Map::new();
    for (key, value) in &by.properties {
        match subject.get_mut(key) {
            None => {
                subject.insert(key.clone(), json!(value));
            }
            Some(Value::Array(values)) => values.push(json!(value)),
            Some(first) => *first = json!([first.take(), value]),
        }
    }
    Some(Call {
        method: Method::DELETE,
        api,
        operation: format!("bulkByProperties?{query}"),
        body: None,
        subject: Some(json!({ "properties": subject })),
    })
}

fn repeated_key(by: &ByProperty) -> Option<&str> {
    by.properties
        .iter()
        .enumerate()
        .find(|(i, (key, _))| by.properties[..*i].iter().any(|(k, _)| k == key))
        .map(|(_, (key, _))| key.as_str())
}
