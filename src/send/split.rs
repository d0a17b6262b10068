//! A request Jira finds too large (413), in two halves that are each complete.

use reqwest::Method;
use serde_json::Value;

use crate::api::{Api, Call};

/// A bulk request in two halves, each complete on its own; `None` for a single entity.
pub(super) fn split(call: &Call) -> Option<(Call, Call)> {
    if call.method != Method::POST {
        return None;
    }
    let body = call.body.as_ref()?;
    let key = call.api.entities_key();
    let entities = body.get(key)?.as_array()?;
    let (first, second) = if entities.len() > 1 {
        let (a, b) = entities.split_at(entities.len() / 2);
        let with = |part: &[Value]| {
            let mut half = body.clone();
            half[key] = Value::Array(part.to_vec());
            half
        };
        (with(a), with(b))
    } else if call.api == Api::Devinfo {
        // One repository: split its commits; the branch and pull request travel once.
        let commits = entities.first()?.get("commits")?.as_array()?;
        if commits.len() < 2 {
            return None;
        }
        let (a, b) = commits.split_at(commits.len() / 2);
        let with = |part: &[Value], keep_others: bool| {
            let mut half = body.clone();
            let repository = &mut half[key][0];
            repository["commits"] = Value::Array(part.to_vec());
            if !keep_others && let Some(fields) = repository.as_object_mut() {
                fields.remove("branches");
                fields.remove("pullRequests");
            }
            half
        };
        (with(a, true), with(b, false))
    } else {
        return None;
    };
    let call_with = |body: Value| Call {
        body: Some(body),
        ..call.clone()
    };
    Some((call_with(first), call_with(second)))
}
