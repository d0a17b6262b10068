//! Request bodies: the entities of each API, and the envelope they travel in.
//!
//! Builders take resolved inputs and apply every documented limit on the way in
//! (string lengths, forbidden characters, array sizes), so what comes out is what
//! will be validated and sent.

pub mod build;
pub mod deployment;
pub mod devinfo;
mod environment;
pub mod flag;
pub mod split;
pub mod text;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tracing::warn;

use crate::api::Api;
use crate::ci::CiState;
use text::{MAX_TEXT, clean};

/// A build's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildState {
    Pending,
    InProgress,
    Successful,
    Failed,
    Cancelled,
    Unknown,
}

/// A deployment's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentState {
    Pending,
    InProgress,
    Successful,
    Failed,
    Cancelled,
    RolledBack,
    Unknown,
}

/// A CI system's outcome in each API's words: the APIs share the CI's six states.
macro_rules! from_ci_state {
    ($($state:ty),*) => {$(
        impl From<CiState> for $state {
            fn from(state: CiState) -> Self {
                match state {
                    CiState::Pending => Self::Pending,
                    CiState::InProgress => Self::InProgress,
                    CiState::Successful => Self::Successful,
                    CiState::Failed => Self::Failed,
                    CiState::Cancelled => Self::Cancelled,
                    CiState::Unknown => Self::Unknown,
                }
            }
        }
    )*};
}

from_ci_state!(BuildState, DeploymentState);

/// `updateSequenceNumber` / `updateSequenceId` of what an invocation sends: the epoch
/// milliseconds it was built at.
///
/// Jira ignores an update whose number is not greater than the stored one. An
/// invocation sends each entity once, so its build time orders it after every earlier
/// run's; milliseconds, not seconds (as some peers use), so that two runs in the same
/// second do not lose the second. A retried request reuses the body it was built with,
/// number included, so a duplicate delivery is harmless.
pub fn update_sequence(now: DateTime<Utc>) -> i64 {
    now.timestamp_millis()
}

/// RFC 3339 with milliseconds, as Jira's examples: `2018-01-20T23:27:25.000Z`.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What every request of an invocation carries besides its entities.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// Tags for deletion by property (`delete … --property K=V`); at most 5.
    pub properties: Vec<(String, String)>,
    /// `providerMetadata.product`: `jira-send 0.1.0 (GitHub Actions)`.
    pub product: String,
}

/// At most this many properties per request.
pub const MAX_PROPERTIES: usize = 5;

impl Envelope {
    /// The standard envelope: `source=jira-send`, plus the repository and pipeline
    /// when known, so everything one repository or pipeline sent can be deleted
    /// together.
    pub fn new(ci_system: Option<&str>, repository: Option<&str>, pipeline: Option<&str>) -> Self {
        let mut product = format!("jira-send {}", env!("CARGO_PKG_VERSION"));
        if let Some(system) = ci_system {
            product.push_str(&format!(" ({system})"));
        }
        let mut properties = vec![("source".to_owned(), "jira-send".to_owned())];
        for (key, value) in [("repository", repository), ("pipeline", pipeline)] {
            if let Some(value) = value {
                properties.push((key.to_owned(), clean(value, MAX_TEXT)));
            }
        }
        properties.truncate(MAX_PROPERTIES);
        Self {
            properties,
            product: clean(&product, MAX_TEXT),
        }
    }

    /// The request bodies for `entities`: as many as the API's per-request limit
    /// requires, each complete on its own.
    pub fn bodies(&self, api: Api, entities: &[Value]) -> Vec<Value> {
        entities
            .chunks(api.max_entities())
            .map(|chunk| self.body(api, chunk.to_vec()))
            .collect()
    }

    /// One request body holding `entities`.
    pub fn body(&self, api: Api, entities: Vec<Value>) -> Value {
        let mut body = Map::new();
        let properties: Map<String, Value> = self
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        body.insert("properties".into(), Value::Object(properties));
        body.insert("providerMetadata".into(), json!({ "product": self.product }));
        body.insert(api.entities_key().into(), Value::Array(entities));
        Value::Object(body)
    }
}

/// The builds, deployments and feature-flags APIs accept a project part of at most
/// 255 characters (`^\w{1,255}-…`), one less than the key grammar allows.
const MAX_PROJECT_IN_ENTITY: usize = 255;

/// The keys an entity can carry: those whose project part the API accepts, and at
/// most `max` of them, with a warning naming what was dropped.
pub fn cap_keys(keys: &[String], max: usize, what: &str) -> Vec<String> {
    let (usable, too_long): (Vec<&String>, Vec<&String>) = keys.iter().partition(|k| {
        k.split_once('-')
            .is_some_and(|(p, _)| p.len() <= MAX_PROJECT_IN_ENTITY)
    });
    if !too_long.is_empty() {
        warn!(
            "dropped {} issue key{} whose project part is longer than {MAX_PROJECT_IN_ENTITY} characters",
            too_long.len(),
            if too_long.len() == 1 { "" } else { "s" }
        );
    }
    if usable.len() > max {
        warn!(
            "found {} issue keys; a {what} carries at most {max}, so the last {} dropped \
             (narrow the range with --since or --projects)",
            usable.len(),
            match usable.len() - max {
                1 => "one was".to_owned(),
                n => format!("{n} were"),
            }
        );
    }
    usable.into_iter().take(max).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sequence_is_in_milliseconds() {
        let now = Utc.timestamp_millis_opt(1_700_000_000_123).unwrap();
        assert_eq!(update_sequence(now), 1_700_000_000_123);
        let later = Utc.timestamp_millis_opt(1_700_000_001_000).unwrap();
        assert_eq!(update_sequence(later), 1_700_000_001_000);
    }

    #[test]
    fn timestamps_are_rfc3339_with_milliseconds() {
        let t = Utc.timestamp_millis_opt(1_516_490_845_000).unwrap();
        assert_eq!(timestamp(t), "2018-01-20T23:27:25.000Z");
    }

    #[test]
    fn bodies_are_chunked_at_the_entity_limit() {
        let envelope = Envelope::new(Some("GitHub Actions"), Some("github.com/acme/app"), None);
        let entities: Vec<Value> = (0..250).map(|i| json!({ "n": i })).collect();
        let bodies = envelope.bodies(Api::Builds, &entities);
        let sizes: Vec<usize> = bodies
            .iter()
            .map(|b| b["builds"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert_eq!(bodies[2]["builds"][49]["n"], 249);
        assert_eq!(bodies[0]["properties"]["source"], "jira-send");
        assert_eq!(bodies[0]["properties"]["repository"], "github.com/acme/app");
        assert!(
            bodies[0]["providerMetadata"]["product"]
                .as_str()
                .unwrap()
                .ends_with("(GitHub Actions)")
        );
    }

    #[test]
    fn keys_with_overlong_projects_are_dropped() {
        let long = format!("A{}-1", "B".repeat(255));
        assert_eq!(cap_keys(&[long, "ABC-1".into()], 100, "build"), ["ABC-1"]);
        let longest_allowed = format!("A{}-1", "B".repeat(254));
        assert_eq!(
            cap_keys(std::slice::from_ref(&longest_allowed), 100, "build"),
            [longest_allowed]
        );
    }

    #[test]
    fn capping_keeps_the_first_keys() {
        let keys: Vec<String> = (1..=120).map(|i| format!("ABC-{i}")).collect();
        let capped = cap_keys(&keys, 100, "build");
        assert_eq!(capped.len(), 100);
        assert_eq!(capped[99], "ABC-100");
    }
}
