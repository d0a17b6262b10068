//! What Jira answers to a bulk submission: which entities it accepted, which it
//! rejected and why, and which issue keys it did not know.
//!
//! A 202 does not mean everything arrived: each entity is judged on its own, and the
//! answer lists them. Unknown issue keys are not an error by themselves; an entity whose
//! keys are all unknown is rejected.
//!
//! A 2xx whose body is not a bulk answer of the right shape (not JSON, `{}`, a proxy's
//! HTML page, a body cut off) says nothing about the entities: it is an unknown
//! outcome, never "0 accepted, 0 rejected".

use indexmap::IndexSet;
use serde::Serialize;
use serde_json::{Value, json};

use super::messages;
use crate::api::Api;

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
    /// Each once, in the order first seen. A set, not a list searched for each key:
    /// an answer (up to 8 MiB) may list hundreds of thousands, and the work after an
    /// answer must stay linear, or it would hold up the deadline and the signals.
    pub unknown_issue_keys: IndexSet<String>,
}

impl Outcome {
    /// Adds another request's verdict.
    pub fn merge(&mut self, other: Self) {
        self.accepted.extend(other.accepted);
        self.rejected.extend(other.rejected);
        self.unknown_issue_keys.extend(other.unknown_issue_keys);
    }
}

/// How a bulk answer lists entities in one of its fields.
#[derive(Clone, Copy)]
enum Shape {
    /// An array of entities (or of their ids).
    List,
    /// An object keyed by the id named here (a flag id, a repository id).
    KeyedBy(&'static str),
}

/// The fields of a bulk answer of `api` that list its entities, and their shape.
fn entity_fields(api: Api) -> [(&'static str, Shape); 2] {
    use Shape::{KeyedBy, List};
    match api {
        Api::Builds => [("acceptedBuilds", List), ("rejectedBuilds", List)],
        Api::Deployments => [("acceptedDeployments", List), ("rejectedDeployments", List)],
        Api::FeatureFlags => [
            ("acceptedFeatureFlags", List),
            ("failedFeatureFlags", KeyedBy("flag id")),
        ],
        Api::Devinfo => [
            ("acceptedDevinfoEntities", KeyedBy("repository id")),
            ("failedDevinfoEntities", KeyedBy("repository id")),
        ],
    }
}

/// Why `answer` (`None`: not JSON) is not a bulk answer of `api`; `None` if it is
/// one: a JSON object with at least one of the API's entity lists, each of the right
/// type.
pub fn malformed(api: Api, answer: Option<&Value>) -> Option<String> {
    let Some(object) = answer.and_then(Value::as_object) else {
        return Some("the answer is not a JSON object".into());
    };
    let fields = entity_fields(api);
    if !fields.iter().any(|(field, _)| object.contains_key(*field)) {
        return Some(format!(
            "the answer lists no entities (neither {} nor {})",
            fields[0].0, fields[1].0
        ));
    }
    for (field, shape) in fields {
        match (object.get(field), shape) {
            (None, _)
            | (Some(Value::Array(_)), Shape::List)
            | (Some(Value::Object(_)), Shape::KeyedBy(_)) => {}
            // Some serializers write an empty map as `[]`: it lists nothing ("none failed").
            (Some(Value::Array(items)), Shape::KeyedBy(_)) if items.is_empty() => {}
            (Some(_), Shape::List) => return Some(format!("its {field} is not a list")),
            (Some(_), Shape::KeyedBy(id)) => {
                return Some(format!("its {field} is not an object keyed by {id}"));
            }
        }
    }
    match object.get("unknownIssueKeys") {
        None | Some(Value::Array(_)) => None,
        Some(_) => Some("its unknownIssueKeys is not a list".into()),
    }
}

/// Reads a 2xx answer, or says why it is not a bulk answer of `api`. Unknown fields
/// are ignored and missing ones are empty, so newer answers (`unknownAssociations`) do
/// not break older code.
pub fn read(api: Api, answer: Option<&Value>) -> Result<Outcome, String> {
    match (malformed(api, answer), answer) {
        (None, Some(answer)) => Ok(parse(api, answer)),
        (why, _) => Err(why.unwrap_or_default()),
    }
}

/// Reads a 202 answer already known to be well-formed (see [`read`]).
fn parse(api: Api, answer: &Value) -> Outcome {
    let list = |field: &str| {
        answer
            .get(field)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let array = |field: &str| answer.get(field).and_then(Value::as_array).into_iter().flatten();
    let mut unknown_issue_keys: IndexSet<String> = array("unknownIssueKeys")
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    // Newer answers report unknown keys as associations too (most often the same ones).
    for association in array("unknownAssociations") {
        if matches!(
            association.get("associationType").and_then(Value::as_str),
            Some("issueKeys" | "issueIdOrKeys")
        ) {
            let values = association.get("values").and_then(Value::as_array);
            unknown_issue_keys.extend(
                values
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_owned)),
            );
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
        ignore = "Atlassian's recorded answers are not beside the checkout (README, \"Try it: two commands\")"
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
        assert_eq!(Vec::from_iter(&rejected.unknown_issue_keys), ["TEST-110"]);

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
        assert_eq!(Vec::from_iter(&outcome.unknown_issue_keys), ["ABC-9", "ABC-10"]);
    }

    #[test]
    fn unknown_keys_are_kept_once_in_first_seen_order_across_answers() {
        let answer = |keys: &[&str], associated: &[&str]| {
            parse(
                Api::Builds,
                &json!({
                    "acceptedBuilds": [],
                    "unknownIssueKeys": keys,
                    "unknownAssociations": [{"associationType": "issueKeys", "values": associated}]
                }),
            )
        };
        let mut outcome = answer(&["B-2", "A-1", "B-2"], &["A-1", "C-3"]);
        outcome.merge(answer(&["C-3", "D-4"], &[]));
        outcome.merge(Outcome::default());
        assert_eq!(
            Vec::from_iter(&outcome.unknown_issue_keys),
            ["B-2", "A-1", "C-3", "D-4"]
        );
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
    fn answers_of_the_wrong_shape_are_not_outcomes() {
        for api in Api::ALL {
            for bad in [
                json!({}),
                json!([]),
                json!(null),
                json!("202 Accepted"),
                json!({"unknownIssueKeys": []}),
            ] {
                assert!(read(api, Some(&bad)).is_err(), "{api} {bad}");
            }
            assert!(read(api, None).is_err());
        }
        assert!(read(Api::Builds, Some(&json!({"acceptedBuilds": {}}))).is_err());
        assert_eq!(
            read(Api::Devinfo, Some(&json!({"acceptedDevinfoEntities": ["r1"]}))),
            Err("its acceptedDevinfoEntities is not an object keyed by repository id".into())
        );
        assert_eq!(
            read(Api::FeatureFlags, Some(&json!({"failedFeatureFlags": "f1"}))),
            Err("its failedFeatureFlags is not an object keyed by flag id".into())
        );
        assert!(
            read(
                Api::Builds,
                Some(&json!({"acceptedBuilds": [], "unknownIssueKeys": 3}))
            )
            .is_err()
        );
        assert!(
            read(
                Api::Builds,
                Some(&json!({"acceptedBuilds": [], "rejectedBuilds": []}))
            )
            .is_ok()
        );
        assert!(
            read(
                Api::FeatureFlags,
                Some(&json!({"acceptedFeatureFlags": [], "failedFeatureFlags": {}}))
            )
            .is_ok()
        );
    }

    /// An empty array where an object keyed by id is expected lists nothing: "none
    /// failed", not a malformed answer to retry.
    #[test]
    fn an_empty_list_in_place_of_an_object_lists_nothing() {
        let flags = read(
            Api::FeatureFlags,
            Some(&json!({"acceptedFeatureFlags": ["new-checkout"], "failedFeatureFlags": []})),
        )
        .unwrap();
        assert_eq!(flags.accepted, [json!({"id": "new-checkout"})]);
        assert!(flags.rejected.is_empty());
        let devinfo = read(
            Api::Devinfo,
            Some(
                &json!({"acceptedDevinfoEntities": {"r1": {"commits": ["c1"]}}, "failedDevinfoEntities": []}),
            ),
        )
        .unwrap();
        assert_eq!(devinfo.accepted.len(), 1);
        assert!(devinfo.rejected.is_empty());
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,20}".prop_map(Value::from),
        ];
        let key = prop_oneof![
            Just("acceptedBuilds".to_owned()),
            Just("rejectedBuilds".to_owned()),
            Just("acceptedDeployments".to_owned()),
            Just("rejectedDeployments".to_owned()),
            Just("acceptedFeatureFlags".to_owned()),
            Just("failedFeatureFlags".to_owned()),
            Just("acceptedDevinfoEntities".to_owned()),
            Just("failedDevinfoEntities".to_owned()),
            Just("unknownIssueKeys".to_owned()),
            Just("unknownAssociations".to_owned()),
            Just("key".to_owned()),
            Just("errors".to_owned()),
            Just("errorMessages".to_owned()),
            Just("message".to_owned()),
            Just("commits".to_owned()),
            Just("associationType".to_owned()),
            Just("values".to_owned()),
            ".{0,8}",
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                proptest::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Any JSON, shaped like a bulk answer or not, through the real reading code of
        /// every API: an outcome or a reason, never a panic.
        #[test]
        fn no_bulk_answer_panics(answer in json_value(), bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            for api in Api::ALL {
                let _ = read(api, Some(&answer));
                let answer = crate::answer::Answer::new(reqwest::StatusCode::ACCEPTED, &bytes, None, false);
                let _ = read(api, answer.json.as_ref());
                let _ = answer.detail();
                let _ = answer.messages();
            }
        }
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
