//! The closed set of requests the outbox accepts: those jira-send itself queues. An
//! outbox file is data on disk, and whoever can write the directory could write one:
//! nothing in it may make jira-send send a request it would not have made itself.

use std::borrow::Cow;

use reqwest::Method;
use serde_json::Value;

use crate::api::{Api, Call};

/// Whether `call` is one jira-send makes: `POST bulk` with a body for its API, or one
/// of the deletions of `jira-send delete`, every path segment percent-encoded as
/// jira-send encodes it. `Err` says what is wrong.
pub(super) fn check(call: &Call) -> Result<(), String> {
    let refused = || {
        Err(format!(
            "{} {} is not a {} request jira-send makes",
            call.method, call.operation, call.api
        ))
    };
    match call.method {
        Method::POST => {
            let entities = call
                .body
                .as_ref()
                .and_then(|body| body.get(call.api.entities_key()))
                .and_then(Value::as_array);
            if call.operation != "bulk" || entities.is_none() {
                return refused();
            }
        }
        Method::DELETE => {
            if call.body.is_some() || !is_deletion(call.api, &call.operation) {
                return refused();
            }
        }
        _ => return refused(),
    }
    Ok(())
}

/// The deletions of `jira-send delete`: by key, or by properties.
fn is_deletion(api: Api, operation: &str) -> bool {
    if let Some(query) = operation.strip_prefix("bulkByProperties?") {
        return is_property_query(query);
    }
    let segments: Vec<&str> = operation.split('/').collect();
    match (api, segments.as_slice()) {
        (Api::Builds, ["pipelines", pipeline, "builds", number]) => is_segment(pipeline) && is_number(number),
        (
            Api::Deployments,
            [
                "pipelines",
                pipeline,
                "environments",
                environment,
                "deployments",
                number,
            ],
        ) => is_segment(pipeline) && is_segment(environment) && is_number(number),
        (Api::Devinfo, ["repository", repository]) => is_segment(repository),
        (Api::Devinfo, ["repository", repository, "commit" | "branch" | "pull_request", id]) => {
            is_segment(repository) && is_segment(id)
        }
        (Api::FeatureFlags, ["flag", id]) => is_segment(id),
        _ => false,
    }
}

/// A path segment as jira-send encodes one: unreserved characters as they are, every
/// other byte as `%XX` (upper-case hex), and never a dot segment (`.`, `..`), which
/// would climb the path.
pub(super) fn is_segment(text: &str) -> bool {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    let hex = |b: u8| b.is_ascii_digit() || (b'A'..=b'F').contains(&b);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b if unreserved(b) => i += 1,
            b'%' if i + 2 < bytes.len() && hex(bytes[i + 1]) && hex(bytes[i + 2]) => {
                let value = u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap_or(b'a');
                // An unreserved character is never escaped: `%2E` would be a disguised dot.
                if unreserved(value) {
                    return false;
                }
                i += 3;
            }
            _ => return false,
        }
    }
    !text.is_empty() && text != "." && text != ".."
}

/// A build or deployment number.
fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    (1..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `k1=v1&k2=v2`, form-encoded exactly as `delete --property` writes it: at least one
/// pair, no empty key, nothing else (no second `?`, no fragment).
fn is_property_query(query: &str) -> bool {
    let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = url::form_urlencoded::parse(query.as_bytes()).collect();
    let again = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    !pairs.is_empty() && pairs.iter().all(|(key, _)| !key.is_empty()) && again == query
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(method: &str, api: Api, operation: &str, body: Option<Value>) -> Call {
        Call {
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            api,
            operation: operation.into(),
            body,
            subject: None,
        }
    }

    fn delete(api: Api, operation: &str) -> Result<(), String> {
        check(&call("DELETE", api, operation, None))
    }

    #[test]
    fn what_jira_send_queues_is_accepted() {
        let bulk = |api: Api| call("POST", api, "bulk", Some(json!({ api.entities_key(): [] })));
        for api in Api::ALL {
            assert_eq!(check(&bulk(api)), Ok(()), "{api}");
        }
        assert_eq!(delete(Api::Builds, "pipelines/acme%2Fapp/builds/42"), Ok(()));
        assert_eq!(
            delete(
                Api::Deployments,
                "pipelines/p/environments/prod%20eu/deployments/7"
            ),
            Ok(())
        );
        assert_eq!(delete(Api::Devinfo, "repository/r-1"), Ok(()));
        assert_eq!(delete(Api::Devinfo, "repository/r/pull_request/12"), Ok(()));
        assert_eq!(delete(Api::FeatureFlags, "flag/my.flag"), Ok(()));
        assert_eq!(
            delete(Api::Builds, "bulkByProperties?repository=acme%2Fapp"),
            Ok(())
        );
        assert_eq!(delete(Api::Devinfo, "bulkByProperties?a=1&b=x+y"), Ok(()));
    }

    #[test]
    fn anything_else_is_refused() {
        let refused = |c: Call| assert!(check(&c).is_err(), "{} {}", c.method, c.operation);
        refused(call("GET", Api::Builds, "bulk", None));
        refused(call("PUT", Api::Builds, "bulk", Some(json!({"builds": []}))));
        refused(call("POST", Api::Builds, "bulk", None));
        refused(call(
            "POST",
            Api::Builds,
            "bulk",
            Some(json!({"deployments": []})),
        ));
        refused(call(
            "POST",
            Api::Builds,
            "../../etc",
            Some(json!({"builds": []})),
        ));
        refused(call(
            "DELETE",
            Api::Builds,
            "pipelines/p/builds/1",
            Some(json!({})),
        ));
        for operation in [
            "",
            "bulk",
            "pipelines/../builds/1",
            "pipelines/./builds/1",
            "pipelines/%2E%2E/builds/1",
            "pipelines/a/b/builds/1",
            "pipelines/a%2fb/builds/1",
            "pipelines/a b/builds/1",
            "pipelines/a%zz/builds/1",
            "pipelines/a%2/builds/1",
            "pipelines/p/builds/1?x=1",
            "pipelines/p/builds/one",
            "pipelines//builds/1",
            "bulkByProperties?",
            "bulkByProperties?=x",
            "bulkByProperties?a=1#frag",
            "bulkByProperties?a=1?b=2",
            "bulkByProperties?a=1/../../x",
        ] {
            assert!(delete(Api::Builds, operation).is_err(), "{operation:?}");
        }
        assert!(
            delete(Api::Deployments, "pipelines/p/builds/1").is_err(),
            "another API's path"
        );
        assert!(delete(Api::Devinfo, "repository/r/tag/1").is_err());
    }

    /// Whatever id a user gives `delete`, the segment jira-send encodes from it is one
    /// the outbox takes back, unless it is a dot segment (which it refuses).
    #[test]
    fn every_segment_jira_send_encodes_is_accepted() {
        let alphabet: Vec<char> = "aZ09-._~ /?#%&=+:@é€😀\u{0}\n".chars().collect();
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..5_000 {
            let len = rng.usize(1..12);
            let id: String = (0..len).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            let encoded = crate::api::segment(&id);
            let dots = id == "." || id == "..";
            assert_eq!(is_segment(&encoded), !dots, "{id:?} → {encoded:?}");
            let operation = format!("pipelines/{encoded}/builds/{}", rng.i64(..));
            assert_eq!(delete(Api::Builds, &operation).is_ok(), !dots, "{operation}");
        }
    }

    #[test]
    fn segments_are_what_jira_send_encodes() {
        assert!(is_segment("acme%2Fapp%20%F0%9F%9A%80"));
        assert!(is_segment("a.b_c~d-e"));
        assert!(!is_segment("%2e"), "lower-case hex is not ours");
        assert!(!is_segment("%41"), "an unreserved character escaped");
        assert!(!is_segment("%"));
        assert!(!is_segment("a%4"));
    }
}
