//! A site's `/_edge/tenant_info` answer: its cloud id, or why the site is not a Jira
//! Cloud site (a setting to fix, not an outage).
//!
//! Only a well-formed cloud id (a UUID) is taken: it goes into the path of requests
//! that carry the bearer token.

use super::Answer;
use crate::api::is_cloud_id;
use crate::error::{Error, Result};
use crate::mask;

/// What the exchange with `tenant_info` (the request `what`) came to: the cloud id;
/// an outage (a 429 or 5xx) to report as such; or, for any answer that holds no cloud
/// id (a redirect included), the error `not_jira` makes of why the site is not Jira
/// Cloud.
pub fn cloud_id(
    what: &str,
    exchanged: Result<Answer>,
    not_jira: impl FnOnce(String) -> Error,
) -> Result<String> {
    let answer = match exchanged {
        Ok(answer) => answer,
        Err(Error::Redirected { location, .. }) => {
            return Err(not_jira(format!("tenant_info redirects to {location}")));
        }
        Err(error) => return Err(error),
    };
    if answer.is_transient() {
        return Err(Error::Unreachable {
            what: what.to_owned(),
            detail: answer.detail(),
        });
    }
    from_answer(&answer).map_err(not_jira)
}

/// The cloud id in a `tenant_info` answer, or why the answer is not Jira Cloud's.
pub fn from_answer(answer: &Answer) -> Result<String, String> {
    if !answer.status.is_success() {
        return Err(answer.detail());
    }
    let id = answer
        .json
        .as_ref()
        .and_then(|j| j.get("cloudId"))
        .ok_or_else(|| format!("{} without a cloudId", answer.status))?;
    match id.as_str() {
        Some(id) if is_cloud_id(id) => Ok(id.to_owned()),
        _ => Err(format!(
            "{} with a cloudId that is not one: {}",
            answer.status,
            mask::cap(&id.to_string(), 80)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::tests::answer;
    use reqwest::StatusCode;

    #[test]
    fn only_a_jira_cloud_answer_gives_a_cloud_id() {
        let id = "11111111-2222-3333-4444-555555555555";
        assert_eq!(
            from_answer(&answer(200, &format!(r#"{{"cloudId":"{id}"}}"#))).unwrap(),
            id
        );
        for (status, body) in [
            (200, r#"{"cloudId":"../../../../etc"}"#),
            (200, r#"{"cloudId":"a/b?c"}"#),
            (200, r#"{"cloudId":""}"#),
            (200, r#"{"cloudId":7}"#),
            (200, "{}"),
            (200, "<html>welcome to my site</html>"),
            (404, "not found"),
        ] {
            assert!(from_answer(&answer(status, body)).is_err(), "{status} {body}");
        }
    }

    proptest::proptest! {
        /// Whatever tenant_info answers, the result is a UUID or a reason.
        #[test]
        fn no_tenant_info_answer_panics_or_yields_a_bad_id(
            status in 100u16..600,
            body in ".*",
            id in proptest::prelude::any::<String>(),
        ) {
            let status = StatusCode::from_u16(status).unwrap();
            for body in [body.clone(), serde_json::json!({"cloudId": id}).to_string()] {
                let answer = Answer::new(status, body.as_bytes(), None, false);
                if let Ok(id) = from_answer(&answer) {
                    assert!(is_cloud_id(&id));
                }
            }
        }
    }
}
