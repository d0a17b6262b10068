//! Deployment entities (`POST …/deployments/0.1/cloud/{cloudId}/bulk`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tracing::warn;

pub use super::environment::{EnvironmentType, environment_id};
use super::text::{MAX_TEXT, clean, clean_url};
use super::{DeploymentState, timestamp};

/// Association values across all association types of one deployment.
pub const MAX_ASSOCIATION_VALUES: usize = 500;

/// Everything a deployment is made of, resolved.
#[derive(Clone, Debug)]
pub struct DeploymentInput {
    pub deployment_sequence_number: u64,
    pub update_sequence_number: i64,
    pub display_name: String,
    pub description: String,
    pub label: Option<String>,
    pub url: String,
    pub state: DeploymentState,
    pub last_updated: DateTime<Utc>,
    pub pipeline_id: String,
    pub pipeline_name: String,
    pub pipeline_url: String,
    pub environment_id: String,
    pub environment_name: String,
    pub environment_type: EnvironmentType,
    pub issue_keys: Vec<String>,
    /// JSM / Compass service ids or keys.
    pub services: Vec<String>,
    /// Ask Jira to gate this deployment (change management).
    pub gate: bool,
    pub duration_seconds: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Deployment {
    schema_version: &'static str,
    deployment_sequence_number: u64,
    update_sequence_number: i64,
    associations: Vec<Association>,
    display_name: String,
    url: String,
    description: String,
    last_updated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    state: DeploymentState,
    pipeline: Pipeline,
    environment: Environment,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    commands: Vec<Command>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Association {
    association_type: &'static str,
    values: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pipeline {
    id: String,
    display_name: String,
    url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Environment {
    id: String,
    display_name: String,
    #[serde(rename = "type")]
    kind: EnvironmentType,
}

#[derive(Serialize)]
struct Command {
    command: &'static str,
}

/// The deployment entity, within every limit.
pub fn deployment(input: &DeploymentInput) -> Value {
    let deployment = Deployment {
        schema_version: "1.0",
        deployment_sequence_number: input.deployment_sequence_number,
        update_sequence_number: input.update_sequence_number,
        associations: associations(&input.issue_keys, &input.services),
        display_name: clean(&input.display_name, MAX_TEXT),
        url: clean_url(&input.url),
        description: clean(&input.description, MAX_TEXT),
        last_updated: timestamp(input.last_updated),
        label: input.label.as_deref().map(|l| clean(l, MAX_TEXT)),
        state: input.state,
        pipeline: Pipeline {
            id: clean(&input.pipeline_id, MAX_TEXT),
            display_name: clean(&input.pipeline_name, MAX_TEXT),
            url: clean_url(&input.pipeline_url),
        },
        environment: Environment {
            id: clean(&input.environment_id, MAX_TEXT),
            display_name: clean(&input.environment_name, MAX_TEXT),
            kind: input.environment_type,
        },
        commands: if input.gate {
            vec![Command {
                command: "initiate_deployment_gating",
            }]
        } else {
            Vec::new()
        },
        duration: input.duration_seconds,
    };
    serde_json::to_value(deployment).expect("a deployment always serializes")
}

/// Issue keys first, then services, at most 500 values in all; empty associations
/// are left out (Jira reports `[""]` as an unknown association).
fn associations(keys: &[String], services: &[String]) -> Vec<Association> {
    let keys = &super::cap_keys(keys, usize::MAX, "deployment");
    let total = keys.len() + services.len();
    if total > MAX_ASSOCIATION_VALUES {
        warn!(
            "found {} and {}; a deployment carries at most {MAX_ASSOCIATION_VALUES} in all, \
             so the last {} dropped (issue keys are kept first)",
            crate::plural::count(keys.len(), "issue key", "issue keys"),
            crate::plural::count(services.len(), "service", "services"),
            match total - MAX_ASSOCIATION_VALUES {
                1 => "one was".to_owned(),
                n => format!("{n} were"),
            }
        );
    }
    let keys: Vec<String> = keys.iter().take(MAX_ASSOCIATION_VALUES).cloned().collect();
    let room = MAX_ASSOCIATION_VALUES - keys.len();
    let services: Vec<String> = services
        .iter()
        .filter(|s| !s.trim().is_empty())
        .take(room)
        .map(|s| clean(s.trim(), MAX_TEXT))
        .collect();
    [("issueIdOrKeys", keys), ("serviceIdOrKeys", services)]
        .into_iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(association_type, values)| Association {
            association_type,
            values,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn input() -> DeploymentInput {
        DeploymentInput {
            deployment_sequence_number: 7,
            update_sequence_number: 1_700_000_000_000,
            display_name: "Deploy #7 to Production EU".into(),
            description: "main@1a2b3c4 to Production EU".into(),
            label: None,
            url: "https://ci.example.com/7".into(),
            state: DeploymentState::Successful,
            last_updated: Utc.timestamp_millis_opt(1_700_000_000_000).unwrap(),
            pipeline_id: "acme/app".into(),
            pipeline_name: "acme/app".into(),
            pipeline_url: "https://ci.example.com".into(),
            environment_id: environment_id("Production EU"),
            environment_name: "Production EU".into(),
            environment_type: EnvironmentType::guess("Production EU"),
            issue_keys: vec!["ABC-1".into()],
            services: vec![],
            gate: false,
            duration_seconds: None,
        }
    }

    #[test]
    fn a_deployment_uses_associations() {
        let d = deployment(&input());
        assert_eq!(
            d["associations"],
            serde_json::json!([{"associationType": "issueIdOrKeys", "values": ["ABC-1"]}])
        );
        assert_eq!(d["environment"]["type"], "production");
        assert_eq!(d["environment"]["id"], "production-eu");
        assert!(d.get("issueKeys").is_none());
        assert!(d.get("commands").is_none());
    }

    #[test]
    fn gating_adds_the_command() {
        let mut gated = input();
        gated.gate = true;
        assert_eq!(
            deployment(&gated)["commands"],
            serde_json::json!([{"command": "initiate_deployment_gating"}])
        );
    }

    #[test]
    fn associations_hold_at_most_500_values_keys_first() {
        let keys: Vec<String> = (1..=480).map(|i| format!("ABC-{i}")).collect();
        let services: Vec<String> = (1..=50).map(|i| format!("svc-{i}")).collect();
        let a = associations(&keys, &services);
        assert_eq!(a[0].values.len(), 480);
        assert_eq!(a[1].values.len(), 20);
        let keys: Vec<String> = (1..=600).map(|i| format!("ABC-{i}")).collect();
        let a = associations(&keys, &services);
        assert_eq!(a.len(), 1, "no room is left for services");
        assert_eq!(a[0].values.len(), 500);
        assert!(associations(&[], &["".into(), " ".into()]).is_empty());
    }
}
