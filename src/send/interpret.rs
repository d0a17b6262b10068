//! What Jira's answers mean: accepted and rejected entities, or an error that stops
//! the calls to a site.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::Call;
use crate::api::Api;
use crate::error::{Error, Result};
use crate::http::Answer;
use crate::response::{self, Outcome, Rejection};

/// The errors every API shares: 403 (a missing permission), 429 and 5xx (delivery).
/// `None` means the status is the caller's to interpret.
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
        status if status.is_server_error() => Some(Error::Unreachable {
            what: format!("the {api} request"),
            detail: answer.detail(),
        }),
        _ => None,
    }
}

/// What a bulk submission's answer means for the entities of its body.
fn interpret_bulk(call: &Call, answer: &Answer) -> Result<Outcome> {
    let body = call.body.as_ref().unwrap_or(&Value::Null);
    if answer.status.is_success() {
        return Ok(response::parse(
            call.api,
            answer.json.as_ref().unwrap_or(&Value::Null),
        ));
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
    // Jira refused the request as a whole (400 malformed, 413 too large, …): every
    // entity in it is rejected, with Jira's words.
    Ok(response::reject_all(call.api, body, &answer.messages()))
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
