//! What Jira answers to a bulk submission: which entities it accepted, which it
//! rejected and why, and which issue keys it did not know.
//!
//! A 202 does not mean everything arrived: each entity is judged on its own, and the
//! answer lists them. Unknown issue keys are not an error by themselves; an entity whose
//! keys are all unknown is rejected.

use serde::Serialize;
use serde_json::{Value, json};

use crate::api::Api;
use crate::http::messages;

/// One entity Jira would not store, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejection {
    /// What identifies the entity: for a build `{"pipelineId", "buildNumber"}`.
    pub key: Value,
    pub errors: Vec<String>,
}

/// The verdict on one or more requests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub accepted: Vec<Value>,
    pub rejected: Vec<Rejection>,
    pub unknown_issue_keys: Vec<String>,
}

impl Outcome {
    /// Adds another request's verdict.
    pub fn merge(&mut self, other: Self) {
        self.accepted.extend(other.accepted);
        self.rejected.extend(other.rejected);
        for key in other.unknown_issue_keys {
            if !self.unknown_issue_keys.contains(&key) {
                self.unknown_issue_keys.push(key);
            }
        }
    }
}

/// Reads a 202 answer. Unknown fields are ignored and missing ones are empty, so newer
/// answers (`unknownAssociations`) do not break older code.
pub fn parse(api: Api, answer: &Value) -> Outcome {
    let list = |field: &str| {
        answer
            .get(field)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut unknown_issue_keys: Vec<String> = list("unknownIssueKeys")
        .iter()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    // Newer answers report unknown keys as associations too.
    for association in list("unknownAssociations") {
        if matches!(
            association.get("associationType").and_then(Value::as_str),
            Some("issueKeys" | "issueIdOrKeys")
        ) {
            for value in association
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(key) = value
                    .as_str()
                    .filter(|k| !unknown_issue_keys.iter().any(|u| u == k))
                {
                    unknown_issue_keys.push(key.to_owned());
                }
            }
        }
    }
    let rejections = |field: &str| -> Vec<Rejection> {
        list(field)
            .into_iter()
            .map(|r| Rejection {
                key: r.get("key").cloned().unwrap_or(Value::Null),
                errors: r.get("errors").map(messages).unwrap_or_default(),
            })
            .collect()
    };
    let (accepted, rejected) = match api {
        Api::Builds => (list("acceptedBuilds"), rejections("rejectedBuilds")),
        Api::Deployments => (list("acceptedDeployments"), rejections("rejectedDeployments")),
        Api::FeatureFlags => {
            let accepted = list("acceptedFeatureFlags")
                .into_iter()
                .map(|id| json!({ "id": id }))
                .collect();
            let rejected = answer
                .get("failedFeatureFlags")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(id, errors)| Rejection {
                    key: json!({ "id": id }),
                    errors: messages(errors),
                })
                .collect();
            (accepted, rejected)
        }
        Api::Devinfo => devinfo(answer),
    };
    Outcome {
        accepted,
        rejected,
        unknown_issue_keys,
    }
}

/// Devinfo answers are maps keyed by repository id, with lists per entity type, and
/// name their errors `errorMessages`.
fn devinfo(answer: &Value) -> (Vec<Value>, Vec<Rejection>) {
    const TYPES: [(&str, &str); 3] = [
        ("commits", "commit"),
        ("branches", "branch"),
        ("pullRequests", "pull_request"),
    ];
    let map = |field: &str| {
        answer
            .get(field)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };

    let accepted = map("acceptedDevinfoEntities")
        .into_iter()
        .map(|(repository, entities)| {
            let mut entry = json!({ "repositoryId": repository });
            for (field, _) in TYPES {
                if let Some(ids) = entities.get(field) {
                    entry[field] = ids.clone();
                }
            }
            entry
        })
        .collect();

    let mut rejected = Vec::new();
    for (repository, failed) in map("failedDevinfoEntities") {
        let repo_errors = failed.get("errorMessages").map(messages).unwrap_or_default();
        if !repo_errors.is_empty() {
            rejected.push(Rejection {
                key: json!({ "repositoryId": repository }),
                errors: repo_errors,
            });
        }
        for (field, entity_type) in TYPES {
            for entity in failed.get(field).and_then(Value::as_array).into_iter().flatten() {
                rejected.push(Rejection {
                    key: json!({
                        "repositoryId": repository,
                        "entityType": entity_type,
                        "entityId": entity.get("id").cloned().unwrap_or(Value::Null),
                    }),
                    errors: entity.get("errorMessages").map(messages).unwrap_or_default(),
                });
            }
        }
    }
    (accepted, rejected)
}

/// What identifies `entity` in answers: the same shape Jira uses in `rejected*`.
pub fn entity_key(api: Api, entity: &Value) -> Value {
    let field = |path: &[&str]| {
        path.iter()
            .try_fold(entity, |v, k| v.get(*k))
            .cloned()
            .unwrap_or(Value::Null)
    };
    match api {
        Api::Builds => json!({
            "pipelineId": field(&["pipelineId"]),
            "buildNumber": field(&["buildNumber"]),
        }),
        Api::Deployments => json!({
            "pipelineId": field(&["pipeline", "id"]),
            "environmentId": field(&["environment", "id"]),
            "deploymentSequenceNumber": field(&["deploymentSequenceNumber"]),
        }),
        Api::Devinfo => json!({ "repositoryId": field(&["id"]) }),
        Api::FeatureFlags => json!({ "id": field(&["id"]) }),
    }
}

/// Every entity of `body` rejected for the same reasons: Jira refused the request as
/// a whole (400, 413).
pub fn reject_all(api: Api, body: &Value, errors: &[String]) -> Outcome {
    let rejected = body
        .get(api.entities_key())
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|entity| Rejection {
            key: entity_key(api, entity),
            errors: errors.to_vec(),
        })
        .collect();
    Outcome {
        rejected,
        ..Outcome::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorded answer from `../shared/reference/` next to the checkout. Where that
    /// is absent (a clone of the public repository), `build.rs` makes the test that
    /// reads it ignored, with the reason; under `.ci/run` it must be there.
    fn example(name: &str) -> Value {
        let path = format!(
            "{}/../shared/reference/examples/jenkins-plugin/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("the reference answer {path}: {e}"));
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    #[cfg_attr(
        skip_reference,
        ignore = "../shared/reference/ (Atlassian's recorded answers) is absent next to the checkout"
    )]
    fn real_build_answers_are_read() {
        let accepted = example("accepted_builds.json");
        let outcome = parse(Api::Builds, &accepted);
        assert_eq!(
            outcome.accepted,
            [json!({"pipelineId": "Test Pipeline Build", "buildNumber": 35})]
        );
        assert!(outcome.rejected.is_empty());

        let rejected = parse(Api::Builds, &example("rejected_builds_unknown_issue_keys.json"));
        assert_eq!(rejected.rejected[0].errors, ["No valid issues found for build"]);
        assert_eq!(rejected.rejected[0].key["buildNumber"], 36);
        assert_eq!(rejected.unknown_issue_keys, ["TEST-110"]);

        let invalid = parse(Api::Builds, &example("rejected_builds_invalid_url.json"));
        assert_eq!(invalid.rejected[0].errors, ["'url' is required"]);
    }

    #[test]
    fn deployment_answers_are_read() {
        let answer = json!({
            "acceptedDeployments": [{"pipelineId": "p", "environmentId": "e", "deploymentSequenceNumber": 1}],
            "rejectedDeployments": [{"key": {"pipelineId": "p", "environmentId": "e", "deploymentSequenceNumber": 2},
                                     "errors": [{"message": "bad", "errorTraceId": "t"}]}],
            "unknownIssueKeys": ["ABC-9"],
            "unknownAssociations": [{"associationType": "issueIdOrKeys", "values": ["ABC-9", "ABC-10"]}]
        });
        let outcome = parse(Api::Deployments, &answer);
        assert_eq!(outcome.accepted.len(), 1);
        assert_eq!(outcome.rejected[0].errors, ["bad"]);
        assert_eq!(outcome.unknown_issue_keys, ["ABC-9", "ABC-10"]);
    }

    #[test]
    fn devinfo_and_flag_answers_are_read() {
        let answer = json!({
            "acceptedDevinfoEntities": {"r1": {"commits": ["c1"], "branches": [], "pullRequests": []}},
            "failedDevinfoEntities": {"r1": {"errorMessages": [],
                "commits": [{"id": "c2", "errorMessages": [{"message": "too long"}]}]}},
            "unknownIssueKeys": []
        });
        let outcome = parse(Api::Devinfo, &answer);
        assert_eq!(outcome.accepted[0]["commits"], json!(["c1"]));
        assert_eq!(
            outcome.rejected,
            [Rejection {
                key: json!({"repositoryId": "r1", "entityType": "commit", "entityId": "c2"}),
                errors: vec!["too long".into()]
            }]
        );
        let flags = parse(
            Api::FeatureFlags,
            &json!({
                "acceptedFeatureFlags": ["f1"],
                "failedFeatureFlags": {"f2": [{"message": "nope"}]}
            }),
        );
        assert_eq!(flags.accepted, [json!({"id": "f1"})]);
        assert_eq!(flags.rejected[0].key, json!({"id": "f2"}));
    }

    #[test]
    fn whole_request_rejections_name_every_entity() {
        let body =
            json!({"builds": [{"pipelineId": "p", "buildNumber": 1}, {"pipelineId": "p", "buildNumber": 2}]});
        let outcome = reject_all(Api::Builds, &body, &["too large".into()]);
        assert_eq!(outcome.rejected.len(), 2);
        assert_eq!(
            outcome.rejected[1].key,
            json!({"pipelineId": "p", "buildNumber": 2})
        );
    }
}
