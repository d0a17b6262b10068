//! Feature flags (`POST …/featureflags/0.1/cloud/{cloudId}/bulk`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::deployment::EnvironmentType;
use super::text::{MAX_TEXT, clean, clean_url};
use super::{cap_keys, timestamp};

/// A flag carries at most 100 issue keys.
pub const MAX_ISSUE_KEYS: usize = 100;

/// How far a flag is rolled out: a percentage, or a description.
#[derive(Clone, Debug, PartialEq)]
pub enum Rollout {
    Percentage(f64),
    Text(String),
}

#[derive(Clone, Debug)]
pub struct FlagInput {
    pub id: String,
    pub key: String,
    pub display_name: Option<String>,
    pub update_sequence_id: i64,
    pub issue_keys: Vec<String>,
    pub enabled: bool,
    pub default_value: Option<String>,
    pub rollout: Option<Rollout>,
    /// The flag's page in the flag tool.
    pub url: String,
    pub environment_name: String,
    pub environment_type: EnvironmentType,
    pub last_updated: DateTime<Utc>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Flag {
    schema_version: &'static str,
    id: String,
    key: String,
    update_sequence_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    issue_keys: Vec<String>,
    summary: Summary,
    details: Vec<Details>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    url: String,
    status: Status,
    last_updated: String,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollout: Option<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Details {
    url: String,
    last_updated: String,
    environment: Environment,
    status: Status,
}

#[derive(Serialize)]
struct Environment {
    name: String,
    /// Flags have no `unmapped` type: an unknown type is left out.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<EnvironmentType>,
}

/// The flag entity, within every limit.
pub fn flag(input: &FlagInput) -> Value {
    let status = Status {
        enabled: input.enabled,
        default_value: input.default_value.as_deref().map(|v| clean(v, MAX_TEXT)),
        rollout: input.rollout.as_ref().map(|r| match r {
            Rollout::Percentage(p) => serde_json::json!({ "percentage": p }),
            Rollout::Text(t) => serde_json::json!({ "text": clean(t, MAX_TEXT) }),
        }),
    };
    let last_updated = timestamp(input.last_updated);
    let url = clean_url(&input.url);
    let flag = Flag {
        schema_version: "1.0",
        id: clean(&input.id, MAX_TEXT),
        key: clean(&input.key, MAX_TEXT),
        update_sequence_id: input.update_sequence_id,
        display_name: input.display_name.as_deref().map(|n| clean(n, MAX_TEXT)),
        issue_keys: cap_keys(&input.issue_keys, MAX_ISSUE_KEYS, "feature flag"),
        summary: Summary {
            url: url.clone(),
            status: status.clone(),
            last_updated: last_updated.clone(),
        },
        details: vec![Details {
            url,
            last_updated,
            environment: Environment {
                name: clean(&input.environment_name, MAX_TEXT),
                kind: (input.environment_type != EnvironmentType::Unmapped).then_some(input.environment_type),
            },
            status,
        }],
    };
    serde_json::to_value(flag).expect("a flag always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn input() -> FlagInput {
        FlagInput {
            id: "new-checkout".into(),
            key: "new-checkout".into(),
            display_name: None,
            update_sequence_id: 1,
            issue_keys: vec!["ABC-1".into()],
            enabled: true,
            default_value: Some("false".into()),
            rollout: Some(Rollout::Percentage(25.0)),
            url: "https://flags.example.com/new-checkout".into(),
            environment_name: "review-42".into(),
            environment_type: EnvironmentType::Unmapped,
            last_updated: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn a_flag_has_a_summary_and_one_environment() {
        let f = flag(&input());
        assert_eq!(f["summary"]["status"]["rollout"]["percentage"], 25.0);
        assert_eq!(
            f["details"][0]["environment"],
            serde_json::json!({"name": "review-42"})
        );
        let body = serde_json::json!({ "flags": [f] });
        crate::schema::validate(crate::api::Api::FeatureFlags, &body).unwrap();
    }
}
