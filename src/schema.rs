//! Validation of request bodies against the JSON Schemas in `schemas/` and the API
//! limits a schema cannot express.
//!
//! The schemas are embedded in the binary, and each is compiled only when a body for
//! its API is validated. Format checks are on, so a `url` must be a URI and a
//! timestamp RFC 3339. They are draft-07 schemas: a validator checks a schema against
//! its draft's meta-schema when compiling it, and draft 2020-12's meta-schema alone
//! took longer to compile than the rest of a build step.

use std::sync::LazyLock;

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::api::Api;
use crate::error::{Error, Result, Violation};
use crate::payload::deployment::MAX_ASSOCIATION_VALUES;
use crate::payload::text::is_allowed;

pub use crate::payload::devinfo::MAX_ENTITIES as MAX_DEVINFO_ENTITIES;

/// The schema text for `api`, as shipped in `schemas/`.
pub fn source(api: Api) -> &'static str {
    match api {
        Api::Builds => include_str!("../schemas/builds.schema.json"),
        Api::Deployments => include_str!("../schemas/deployments.schema.json"),
        Api::Devinfo => include_str!("../schemas/devinfo.schema.json"),
        Api::FeatureFlags => include_str!("../schemas/featureflags.schema.json"),
    }
}

fn compile(api: Api) -> Validator {
    let schema: Value = serde_json::from_str(source(api)).expect("bundled schemas are JSON");
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("bundled schemas compile")
}

fn validator(api: Api) -> &'static Validator {
    static BUILDS: LazyLock<Validator> = LazyLock::new(|| compile(Api::Builds));
    static DEPLOYMENTS: LazyLock<Validator> = LazyLock::new(|| compile(Api::Deployments));
    static DEVINFO: LazyLock<Validator> = LazyLock::new(|| compile(Api::Devinfo));
    static FLAGS: LazyLock<Validator> = LazyLock::new(|| compile(Api::FeatureFlags));
    match api {
        Api::Builds => &BUILDS,
        Api::Deployments => &DEPLOYMENTS,
        Api::Devinfo => &DEVINFO,
        Api::FeatureFlags => &FLAGS,
    }
}

/// Checks `body` as a request body for `api`: the schema, then the limits.
pub fn validate(api: Api, body: &Value) -> Result<()> {
    let mut violations: Vec<Violation> = validator(api)
        .iter_errors(body)
        .map(|error| {
            let allowed = match error.kind() {
                ValidationErrorKind::Enum { options } => options.as_array().cloned().unwrap_or_default(),
                ValidationErrorKind::Constant { expected_value } => vec![Value::clone(expected_value)],
                _ => Vec::new(),
            };
            let full = match error.kind() {
                // The library names two values and "or N other candidates"; text output
                // shows only the message, and a schema's enums are short: name them all.
                ValidationErrorKind::Enum { .. } if allowed.len() > 2 => {
                    format!("{} is not one of {}", error.instance(), one_of(&allowed))
                }
                _ => error.to_string(),
            };
            // A 3000-character string would be quoted whole; say what is wrong without it
            // (the allowed values aside, which are short).
            let message = if full.chars().count() > 200 + one_of(&allowed).chars().count() {
                error.masked().to_string()
            } else {
                full
            };
            Violation {
                pointer: error.instance_path().to_string(),
                message,
                allowed,
            }
        })
        .collect();
    check_limits(api, body, &mut violations);
    check_characters(body, &mut String::new(), &mut violations);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(violations))
    }
}

/// `"a", "b" or "c"`: every value, as JSON.
fn one_of(values: &[Value]) -> String {
    match values {
        [] => String::new(),
        [only] => only.to_string(),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(Value::to_string).collect();
            format!("{} or {last}", rest.join(", "))
        }
    }
}

/// Checks a body whose API is not known in advance (`validate FILE`).
pub fn validate_any(body: &Value) -> Result<Api> {
    let api = Api::of_body(body).ok_or_else(|| {
        Error::Invalid(vec![Violation {
            pointer: String::new(),
            message: "not a request body: expected an object with \"builds\", \"deployments\", \
                      \"repositories\" (devinfo) or \"flags\""
                .into(),
            allowed: Vec::new(),
        }])
    })?;
    validate(api, body).map(|()| api)
}

/// The limits that span several arrays.
fn check_limits(api: Api, body: &Value, violations: &mut Vec<Violation>) {
    let entities = body.get(api.entities_key()).and_then(Value::as_array);
    match api {
        Api::Deployments => {
            for (i, deployment) in entities.into_iter().flatten().enumerate() {
                let total: usize = deployment
                    .get("associations")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.get("values")?.as_array().map(Vec::len))
                    .sum();
                if total > MAX_ASSOCIATION_VALUES {
                    violations.push(Violation {
                        pointer: format!("/deployments/{i}/associations"),
                        message: format!(
                            "{total} association values; at most {MAX_ASSOCIATION_VALUES} \
                             across all association types"
                        ),
                        allowed: Vec::new(),
                    });
                }
            }
        }
        Api::Devinfo => {
            let total: usize = entities
                .into_iter()
                .flatten()
                .flat_map(|repo| ["commits", "branches", "pullRequests"].map(|k| repo.get(k)))
                .filter_map(|list| list?.as_array().map(Vec::len))
                .sum();
            if total > MAX_DEVINFO_ENTITIES {
                violations.push(Violation {
                    pointer: "/repositories".into(),
                    message: format!(
                        "{total} commits, branches and pull requests; at most \
                         {MAX_DEVINFO_ENTITIES} per request"
                    ),
                    allowed: Vec::new(),
                });
            }
        }
        Api::Builds | Api::FeatureFlags => {}
    }
}

/// Every string must be storable by Jira: no characters outside the Basic
/// Multilingual Plane (emoji) and no control characters but tab, CR and LF.
fn check_characters(value: &Value, pointer: &mut String, violations: &mut Vec<Violation>) {
    match value {
        Value::String(s) => {
            if let Some(c) = s.chars().find(|&c| !is_allowed(c)) {
                violations.push(Violation {
                    pointer: pointer.clone(),
                    message: format!(
                        "contains U+{:04X}, which Jira cannot store (emoji and control \
                         characters are not accepted)",
                        u32::from(c)
                    ),
                    allowed: Vec::new(),
                });
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                check_characters(item, pointer, violations);
                pointer.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                check_characters(item, pointer, violations);
                pointer.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build() -> Value {
        json!({
            "properties": {"source": "jira-send"},
            "providerMetadata": {"product": "jira-send 0.1.0"},
            "builds": [{
                "schemaVersion": "1.0",
                "pipelineId": "acme/app",
                "buildNumber": 1,
                "updateSequenceNumber": 1_700_000_000_000_i64,
                "displayName": "acme/app #1",
                "url": "https://ci.example.com/1",
                "state": "successful",
                "lastUpdated": "2023-11-14T22:13:20.000Z",
                "issueKeys": ["ABC-1"]
            }]
        })
    }

    fn violations(api: Api, body: &Value) -> Vec<Violation> {
        match validate(api, body) {
            Ok(()) => Vec::new(),
            Err(Error::Invalid(v)) => v,
            Err(e) => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn every_bundled_schema_compiles() {
        for api in Api::ALL {
            let _ = validator(api);
        }
    }

    #[test]
    fn a_good_build_passes() {
        assert_eq!(violations(Api::Builds, &build()), []);
        assert_eq!(validate_any(&build()).unwrap(), Api::Builds);
    }

    #[test]
    fn violations_point_at_the_field() {
        let mut body = build();
        body["builds"][0]["state"] = json!("done");
        body["builds"][0]["url"] = json!("not a url");
        body["builds"][0]["issueKeys"] = json!(["abc-1"]);
        let found = violations(Api::Builds, &body);
        let pointers: Vec<&str> = found.iter().map(|v| v.pointer.as_str()).collect();
        assert!(pointers.contains(&"/builds/0/state"), "{found:?}");
        assert!(pointers.contains(&"/builds/0/url"), "{found:?}");
        assert!(pointers.contains(&"/builds/0/issueKeys/0"), "{found:?}");
    }

    #[test]
    fn long_values_are_not_quoted_whole() {
        let mut body = build();
        body["builds"][0]["displayName"] = json!("x".repeat(3000));
        let found = violations(Api::Builds, &body);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pointer, "/builds/0/displayName");
        assert!(found[0].message.len() < 300, "{}", found[0].message);
    }

    #[test]
    fn entity_and_property_limits_hold() {
        let mut body = build();
        let one = body["builds"][0].clone();
        body["builds"] = Value::Array(vec![one; 101]);
        assert_eq!(violations(Api::Builds, &body)[0].pointer, "/builds");

        let mut body = build();
        body["properties"] = json!({"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"});
        assert_eq!(violations(Api::Builds, &body)[0].pointer, "/properties");
        body["properties"] = json!({"_hidden": "1"});
        assert!(!violations(Api::Builds, &body).is_empty());
        body["properties"] = json!({"a:b": "1"});
        assert!(!violations(Api::Builds, &body).is_empty());
    }

    #[test]
    fn emoji_are_refused_anywhere() {
        let mut body = build();
        body["builds"][0]["label"] = json!("ship 🚀");
        let found = violations(Api::Builds, &body);
        assert_eq!(found[0].pointer, "/builds/0/label");
        assert!(found[0].message.contains("U+1F680"));
    }

    #[test]
    fn association_values_are_summed_across_types() {
        let keys: Vec<String> = (1..=300).map(|i| format!("ABC-{i}")).collect();
        let services: Vec<String> = (1..=201).map(|i| format!("svc-{i}")).collect();
        let body = json!({"deployments": [{
            "deploymentSequenceNumber": 1,
            "updateSequenceNumber": 1,
            "associations": [
                {"associationType": "issueIdOrKeys", "values": keys},
                {"associationType": "serviceIdOrKeys", "values": services}
            ],
            "displayName": "d", "url": "https://x.example/1", "description": "d",
            "lastUpdated": "2023-11-14T22:13:20.000Z", "state": "successful",
            "pipeline": {"id": "p", "displayName": "p", "url": "https://x.example"},
            "environment": {"id": "prod", "displayName": "Prod", "type": "production"}
        }]});
        let found = violations(Api::Deployments, &body);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pointer, "/deployments/0/associations");
    }

    #[test]
    fn devinfo_entities_are_capped_per_request() {
        let commit = json!({
            "id": "a1", "issueKeys": ["ABC-1"], "updateSequenceId": 1, "message": "m",
            "author": {"email": "a@example.com"}, "fileCount": 0, "url": "https://x.example/c",
            "authorTimestamp": "2023-11-14T22:13:20.000Z", "displayId": "a1"
        });
        let repo = |n: usize| {
            json!({
                "id": "r", "name": "r", "url": "https://x.example", "updateSequenceId": 1,
                "commits": vec![commit.clone(); n]
            })
        };
        let ok = json!({"repositories": [repo(400), repo(400)]});
        assert_eq!(violations(Api::Devinfo, &ok), []);
        let too_many = json!({"repositories": [repo(400), repo(400), repo(201)]});
        let found = violations(Api::Devinfo, &too_many);
        assert_eq!(found[0].pointer, "/repositories", "{found:?}");
    }

    #[test]
    fn unknown_bodies_are_named() {
        let err = validate_any(&json!({"issues": []})).unwrap_err();
        assert!(err.to_string().contains("not a request body"));
    }

    /// Text output shows only the message: it names every allowed value (they are few),
    /// not two and "or 4 other candidates".
    #[test]
    fn a_value_outside_an_enum_is_told_every_allowed_value() {
        let mut body = build();
        body["builds"][0]["state"] = json!("done");
        let found = violations(Api::Builds, &body);
        let state = found.iter().find(|v| v.pointer == "/builds/0/state").unwrap();
        assert_eq!(
            state.message,
            r#""done" is not one of "pending", "in_progress", "successful", "failed", "cancelled" or "unknown""#
        );
        assert_eq!(state.allowed.len(), 6);
    }
}
