//! What Jira's answer to a [`Call`] means: a submission's or a deletion's verdict
//! (accepted and rejected entities, unknown issue keys), a gating status, what a
//! probe says of a permission; or an error that stops the calls to a site (a refused
//! token, a missing permission, an answer to ask again later, one that cannot be read).

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::Answer;
use super::bulk::{self, Outcome, Rejection};
use crate::api::{Api, Call};
use crate::error::{Error, Result};

/// The errors every API shares: 403 (a missing permission), and the statuses that say
/// nothing about the request (429, 5xx, a proxy's 408, …: see
/// [`super::is_transient`]), which are a delivery failure. `None` means the status is
/// the caller's to interpret.
pub fn common_error(api: Api, answer: &Answer) -> Option<Error> {
    match answer.status {
        StatusCode::FORBIDDEN => Some(Error::Forbidden {
            permission: api.permission(),
            detail: answer.detail(),
        }),
        StatusCode::TOO_MANY_REQUESTS => Some(Error::Unreachable {
            what: format!("the {api} request"),
            detail: format!("rate limited: {}", answer.detail()),
        }),
        status if super::is_transient(status) => Some(Error::Unreachable {
            what: format!("the {api} request"),
            detail: answer.detail(),
        }),
        _ => None,
    }
}

/// Why a 2xx answer to `call` cannot be used, for the answers whose body is the
/// outcome (a bulk answer, a gating status); `None`: usable. Such an answer is asked
/// again, and if it stays unusable, the outcome is unknown.
pub fn unusable(call: &Call, answer: &Answer) -> Option<String> {
    if !answer.status.is_success() {
        return None;
    }
    let why = if call.method == Method::POST {
        bulk::malformed(call.api, answer.json.as_ref())
    } else if call.operation.ends_with("/gating-status") {
        let status = answer.json.as_ref().and_then(|j| j.get("gatingStatus"));
        (!status.is_some_and(Value::is_string)).then(|| "the answer has no gatingStatus".to_owned())
    } else {
        None
    };
    why.map(|why| {
        if answer.truncated {
            "the answer is larger than jira-send reads".to_owned()
        } else {
            why
        }
    })
}

/// The error for an answer `unusable` found unusable even after asking again.
pub fn unknown_outcome(call: &Call, answer: &Answer) -> Option<Error> {
    unusable(call, answer).map(|why| Error::Unreadable {
        what: format!("the {} request", call.api),
        detail: format!("{}, but {why}", answer.status),
    })
}

/// What a bulk submission's answer means for the entities of its body.
fn interpret_bulk(call: &Call, answer: &Answer) -> Result<Outcome> {
    let body = call.body.as_ref().unwrap_or(&Value::Null);
    if answer.status.is_success() {
        if let Some(error) = unknown_outcome(call, answer) {
            return Err(error);
        }
        return bulk::read(call.api, answer.json.as_ref()).map_err(|why| Error::Unreadable {
            what: format!("the {} request", call.api),
            detail: why,
        });
    }
    if call.api == Api::FeatureFlags && matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
    {
        return Err(Error::FlagsRefused {
            status: answer.status.as_u16(),
            detail: answer.detail(),
        });
    }
    if let Some(error) = common_error(call.api, answer) {
        return Err(error);
    }
    // Jira refused the request as a whole (400 malformed, 413 too large, another 4xx):
    // every entity in it is rejected, with Jira's words.
    Ok(bulk::reject_all(call.api, body, &answer.messages()))
}

/// What an answer means for the call: a submission's or a deletion's verdict.
pub fn interpret(call: &Call, answer: &Answer) -> Result<Outcome> {
    if call.method == Method::POST {
        interpret_bulk(call, answer)
    } else {
        interpret_delete(call, answer)
    }
}

/// 202: the deletion was accepted. A 4xx other than the shared ones: Jira refused it,
/// with its words.
fn interpret_delete(call: &Call, answer: &Answer) -> Result<Outcome> {
    let subject = call.subject.clone().unwrap_or(Value::Null);
    if answer.status.is_success() {
        return Ok(Outcome {
            accepted: vec![subject],
            ..Outcome::default()
        });
    }
    if let Some(error) = common_error(call.api, answer) {
        return Err(error);
    }
    Ok(Outcome {
        rejected: vec![Rejection {
            key: subject,
            errors: answer.messages(),
        }],
        ..Outcome::default()
    })
}

/// Jira refused the bearer token (401): the caller renews it once, and a second 401
/// is this error. `None`: the token was not refused.
pub fn token_refused(answer: &Answer) -> Option<Error> {
    (answer.status == StatusCode::UNAUTHORIZED).then(|| Error::Unauthorized {
        detail: answer.detail(),
    })
}

/// Whether Jira finds the request too large (413): the caller may split it.
pub fn too_large(answer: &Answer) -> bool {
    answer.status == StatusCode::PAYLOAD_TOO_LARGE
}

/// Whether `answer` says Jira knows no cloud under the cloud id `call` went to: a 404
/// to a call about the cloud as a whole, not one entity (a bulk endpoint exists in
/// every cloud). Feature flags answer 404 in clouds that take none over OAuth too.
pub fn unknown_cloud(call: &Call, answer: &Answer) -> bool {
    let cloud_wide = ["bulk", "bulkByProperties", "existsByProperties"]
        .iter()
        .any(|op| call.operation == *op || call.operation.starts_with(&format!("{op}?")));
    answer.status == StatusCode::NOT_FOUND && cloud_wide
}

/// What Jira said of a deployment's gate.
#[derive(Debug)]
pub enum Gating {
    /// Its status (`allowed`, `prevented`, `awaiting`, `invalid` or `expired`, as Jira
    /// said it; `invalid` when it said none), and the whole answer.
    Status { status: String, answer: Value },
    /// No status recorded (404): not yet (Jira may not have recorded a deployment
    /// sent a moment ago), or never; this error unless the caller waits for it.
    NotRecorded(Error),
}

/// What the answer to a gating-status `call` says; an error for an answer that is not
/// a gating status, or an unknown outcome.
pub fn gating(call: &Call, answer: &Answer) -> Result<Gating> {
    if let Some(error) = unknown_outcome(call, answer) {
        return Err(error);
    }
    match answer.status {
        status if status.is_success() => {
            let json = answer.json.clone().unwrap_or(Value::Null);
            let status = json
                .get("gatingStatus")
                .and_then(Value::as_str)
                .unwrap_or("invalid")
                .to_owned();
            Ok(Gating::Status { status, answer: json })
        }
        StatusCode::NOT_FOUND => Ok(Gating::NotRecorded(Error::NotFound(
            "Jira has no gating status for this deployment: was it sent with `deployment --gate`, \
             under the same pipeline, environment and number?"
                .into(),
        ))),
        _ => Err(common_error(call.api, answer).unwrap_or_else(|| {
            Error::NotFound(format!(
                "Jira refused the gating-status request: {}",
                answer.detail()
            ))
        })),
    }
}

/// What the answer to a probe (a GET of a key that cannot exist, `doctor`) says of the
/// credential's permission for `api`.
#[derive(Debug)]
pub enum Permission {
    /// 404: the API answered for this cloud without refusing the credential (for a
    /// cloud id the site confirmed; for an unknown cloud the answer is 404 too).
    Answered,
    /// 403: the permission is missing.
    Missing(Error),
    /// Anything else.
    Unexpected(StatusCode),
}

/// What `answer`, to a probe of `api`, says of the permission.
pub fn permission(api: Api, answer: &Answer) -> Permission {
    match answer.status {
        StatusCode::NOT_FOUND => Permission::Answered,
        StatusCode::FORBIDDEN => Permission::Missing(Error::Forbidden {
            permission: api.permission(),
            detail: answer.detail(),
        }),
        status => Permission::Unexpected(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::tests::answer;
    use serde_json::json;

    #[test]
    fn an_unreadable_2xx_is_an_unknown_outcome() {
        let call = Call::bulk(
            Api::Builds,
            json!({"builds": [{"pipelineId": "p", "buildNumber": 1}]}),
        );
        for body in [
            "",
            "{}",
            "not json",
            "<html>proxy</html>",
            r#"{"acceptedBuilds": 3}"#,
        ] {
            for status in [200, 202] {
                let error = interpret(&call, &answer(status, body)).unwrap_err();
                assert!(
                    matches!(error, Error::Unreadable { .. }),
                    "{status} {body:?}: {error}"
                );
                assert_eq!(error.exit(), crate::error::Exit::Delivery);
            }
        }
        let cut = Answer::new(StatusCode::ACCEPTED, br#"{"acceptedBuilds": ["#, None, true);
        assert!(unusable(&call, &cut).unwrap().contains("larger"));
        let good = answer(
            202,
            r#"{"acceptedBuilds": [{"pipelineId": "p", "buildNumber": 1}], "rejectedBuilds": []}"#,
        );
        assert_eq!(unusable(&call, &good), None);
        assert_eq!(interpret(&call, &good).unwrap().accepted.len(), 1);
    }

    #[test]
    fn a_deletion_needs_no_body() {
        let call = Call {
            method: Method::DELETE,
            api: Api::Builds,
            operation: "pipelines/p/builds/1".into(),
            body: None,
            subject: Some(json!({"pipelineId": "p"})),
        };
        assert_eq!(unusable(&call, &answer(202, "")), None);
        assert_eq!(interpret(&call, &answer(202, "")).unwrap().accepted.len(), 1);
    }
}
