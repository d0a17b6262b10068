//! `jira-send validate FILE`: checks a payload file offline exactly as `send` would
//! send it: split into requests within the API's limits, each request checked against
//! the bundled schema and the limits a schema cannot express. The split lives here,
//! and `send` uses it, so the two cannot disagree.

use std::path::Path;

use serde_json::{Value, json};

use crate::api::Api;
use crate::cli::ValidateArgs;
use crate::error::{Error, Exit, Result, Violation};
use crate::fs::{self, limit};
use crate::schema::{self, MAX_DEVINFO_ENTITIES};
use crate::settings::{Output, Settings};

pub fn run(args: &ValidateArgs, settings: &Settings) -> Result<Exit> {
    let name = args.file.display().to_string();
    let (prepared, error) = match read_json(&args.file) {
        Ok(body) => (prepare(body), None),
        Err(Error::Invalid(violations)) => (Prepared::invalid(violations), None),
        Err(error) => (Prepared::invalid(Vec::new()), Some(error)),
    };
    let valid = error.is_none() && prepared.violations.is_empty();
    let exit = if valid { Exit::Success } else { Exit::Usage };
    if let Some(error) = &error {
        crate::report::print_error(error);
    } else if !valid {
        crate::report::print_error(&Error::Invalid(prepared.violations.clone()));
    }
    match settings.output {
        // The same object whatever the outcome: an invalid file adds its violations.
        Output::Json => {
            let violations: Vec<Value> = prepared
                .violations
                .iter()
                .map(|v| {
                    let mut violation = json!({"path": v.pointer, "message": v.message});
                    if !v.allowed.is_empty() {
                        violation["allowed"] = json!(v.allowed);
                    }
                    violation
                })
                .collect();
            let json = json!({
                "file": name,
                "api": prepared.api,
                "entities": prepared.entities,
                "requests": prepared.requests.len(),
                "valid": valid,
                "violations": violations,
                "error": error.as_ref().map(ToString::to_string),
                "exitCode": exit,
            });
            crate::report::print_json(&json);
        }
        Output::Text => {
            if let Some(api) = prepared.api.filter(|_| valid) {
                crate::report::print_text(&format!("{name}: valid: {}\n", prepared.describe(api)));
            }
        }
    }
    Ok(exit)
}

/// A payload file as `send` sends it.
#[derive(Debug)]
pub(super) struct Prepared {
    /// `None` when the body is no API's.
    pub api: Option<Api>,
    /// The entities in the file.
    pub entities: usize,
    /// The requests `send` makes of it, in order.
    pub requests: Vec<Value>,
    /// What is wrong with them; pointers point into the file.
    pub violations: Vec<Violation>,
}

impl Prepared {
    fn invalid(violations: Vec<Violation>) -> Self {
        Self {
            api: None,
            entities: 0,
            requests: Vec::new(),
            violations,
        }
    }

    /// `250 builds, sent as 3 requests (at most 100 builds each)`.
    fn describe(&self, api: Api) -> String {
        let entities = count(self.entities, api);
        match self.requests.len() {
            1 => format!("{entities} in 1 request"),
            n => format!(
                "{entities}, sent as {n} requests (at most {} each{})",
                count(api.max_entities(), api),
                if api == Api::Devinfo {
                    format!(", and {MAX_DEVINFO_ENTITIES} commits, branches and pull requests")
                } else {
                    String::new()
                }
            ),
        }
    }
}

/// `1 build`, `3 repositories`.
fn count(n: usize, api: Api) -> String {
    let plural = api.entities_key();
    let singular = match api {
        Api::Devinfo => "repository",
        _ => plural.trim_end_matches('s'),
    };
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// `body` as the requests `send` makes of it, each checked.
pub(super) fn prepare(body: Value) -> Prepared {
    let Some(api) = Api::of_body(&body) else {
        let violations = match schema::validate_any(&body) {
            Err(Error::Invalid(violations)) => violations,
            _ => Vec::new(),
        };
        return Prepared::invalid(violations);
    };
    let key = api.entities_key();
    let entities = body.get(key).and_then(Value::as_array).map_or(0, Vec::len);
    let requests = split(api, body);
    let total = requests.len();
    let mut violations: Vec<Violation> = Vec::new();
    for (n, (offset, request)) in requests.iter().enumerate() {
        let Err(Error::Invalid(found)) = schema::validate(api, request) else {
            continue;
        };
        let size = request.get(key).and_then(Value::as_array).map_or(0, Vec::len);
        for mut violation in found {
            match in_file(&violation.pointer, key, *offset) {
                Some(pointer) => violation.pointer = pointer,
                // About a request as a whole: say which.
                None if total > 1
                    && (violation.pointer.is_empty() || violation.pointer == format!("/{key}")) =>
                {
                    violation.message = format!(
                        "request {} of {total} ({} {}–{}): {}",
                        n + 1,
                        key,
                        offset + 1,
                        offset + size,
                        violation.message
                    );
                }
                // The envelope every request repeats: said once.
                None => {}
            }
            if !violations.contains(&violation) {
                violations.push(violation);
            }
        }
    }
    Prepared {
        api: Some(api),
        entities,
        requests: requests.into_iter().map(|(_, request)| request).collect(),
        violations,
    }
}

/// `body` in requests within the API's limits, each with the offset of its first
/// entity: at most [`Api::max_entities`] entities each, and for devinfo at most
/// [`MAX_DEVINFO_ENTITIES`] commits, branches and pull requests where the repositories
/// allow. Every request carries the file's other fields (properties, provider
/// metadata). Linear: each entity is moved once, only the small envelope is copied.
fn split(api: Api, mut body: Value) -> Vec<(usize, Value)> {
    let key = api.entities_key();
    let entities = match body.get_mut(key).map(Value::take) {
        Some(Value::Array(entities)) if !entities.is_empty() => entities,
        // Nothing to split: the body goes as it is, for the schema to judge.
        taken => {
            if let Some(taken) = taken {
                body[key] = taken;
            }
            return vec![(0, body)];
        }
    };
    let weight = |entity: &Value| -> usize {
        if api != Api::Devinfo {
            return 0;
        }
        ["commits", "branches", "pullRequests"]
            .iter()
            .filter_map(|k| entity.get(k)?.as_array().map(Vec::len))
            .sum()
    };
    let request = |chunk: Vec<Value>| {
        let mut request = body.clone();
        request[key] = Value::Array(chunk);
        request
    };
    let mut requests = Vec::new();
    let mut chunk: Vec<Value> = Vec::new();
    let (mut offset, mut chunk_weight) = (0, 0);
    for entity in entities {
        let entity_weight = weight(&entity);
        let full = chunk.len() == api.max_entities() || chunk_weight + entity_weight > MAX_DEVINFO_ENTITIES;
        if full && !chunk.is_empty() {
            let start = offset;
            offset += chunk.len();
            requests.push((start, request(std::mem::take(&mut chunk))));
            chunk_weight = 0;
        }
        chunk_weight += entity_weight;
        chunk.push(entity);
    }
    requests.push((offset, request(chunk)));
    requests
}

/// A request's pointer into its entities (`/builds/5/state`) as a pointer into the
/// file (`/builds/105/state`); `None` for any other pointer.
fn in_file(pointer: &str, key: &str, offset: usize) -> Option<String> {
    let rest = pointer.strip_prefix('/')?.strip_prefix(key)?.strip_prefix('/')?;
    let (index, tail) = rest.split_once('/').map_or((rest, None), |(i, t)| (i, Some(t)));
    let index: usize = index.parse().ok()?;
    Some(match tail {
        Some(tail) => format!("/{key}/{}/{tail}", index + offset),
        None => format!("/{key}/{}", index + offset),
    })
}

/// A payload file (`-`: stdin) as JSON: at most [`limit::PAYLOAD`] bytes of a regular
/// file, so `/dev/zero` or a FIFO fails at once.
pub(super) fn read_json(path: &Path) -> Result<Value> {
    let bytes = if path == Path::new("-") {
        fs::read_bounded(std::io::stdin().lock(), limit::PAYLOAD)
    } else {
        fs::read(path, limit::PAYLOAD)
    }
    .map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::Invalid(vec![Violation::new(
            "",
            format!("{}: not JSON: {e}", path.display()),
        )])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(n: usize) -> Value {
        json!({
            "schemaVersion": "1.0", "pipelineId": "p", "buildNumber": n, "updateSequenceNumber": 1,
            "displayName": "p", "url": "https://ci.example.com/1", "state": "successful",
            "lastUpdated": "2026-11-22T10:00:00.000Z", "issueKeys": ["ABC-1"]
        })
    }

    #[test]
    fn files_split_within_the_limit_keep_their_envelope_and_order() {
        let body = json!({"properties": {"a": "1"}, "builds": (0..250).map(build).collect::<Vec<_>>()});
        let prepared = prepare(body);
        assert_eq!(prepared.violations, []);
        assert_eq!(prepared.entities, 250);
        let sizes: Vec<usize> = prepared
            .requests
            .iter()
            .map(|r| r["builds"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert!(prepared.requests.iter().all(|r| r["properties"]["a"] == "1"));
        assert_eq!(prepared.requests[2]["builds"][0]["buildNumber"], 200);
        let keys: Vec<&String> = prepared.requests[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["properties", "builds"], "the fields keep their order");
        assert_eq!(
            prepared.describe(Api::Builds),
            "250 builds, sent as 3 requests (at most 100 builds each)"
        );
    }

    #[test]
    fn violations_point_into_the_file() {
        let mut body =
            json!({"properties": {"_bad": "1"}, "builds": (0..150).map(build).collect::<Vec<_>>()});
        body["builds"][120]["state"] = json!("done");
        let prepared = prepare(body);
        let state = prepared
            .violations
            .iter()
            .find(|v| v.pointer == "/builds/120/state")
            .unwrap();
        assert!(state.allowed.contains(&json!("successful")), "{state:?}");
        let envelope = prepared
            .violations
            .iter()
            .filter(|v| v.pointer.starts_with("/properties"))
            .count();
        assert_eq!(
            envelope, 1,
            "the envelope's violation is said once: {:?}",
            prepared.violations
        );
    }

    #[test]
    fn devinfo_requests_stay_within_the_entity_limit() {
        let repo = |commits: usize| {
            json!({"id": "r", "name": "r", "url": "https://x.example", "updateSequenceId": 1,
                   "commits": vec![json!({"id": "a"}); commits]})
        };
        let body = json!({"repositories": [repo(400), repo(400), repo(400), repo(10)]});
        let sizes: Vec<usize> = split(Api::Devinfo, body)
            .iter()
            .map(|(_, r)| r["repositories"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [2, 2]);
    }

    #[test]
    fn bodies_without_entities_go_as_they_are() {
        let body = json!({"builds": []});
        assert_eq!(split(Api::Builds, body.clone()), [(0, body)]);
        let body = json!({"builds": "oops"});
        assert_eq!(split(Api::Builds, body.clone()), [(0, body)]);
    }

    #[test]
    fn pointers_move_by_the_offset() {
        assert_eq!(
            in_file("/builds/5/state", "builds", 100).as_deref(),
            Some("/builds/105/state")
        );
        assert_eq!(
            in_file("/builds/5", "builds", 100).as_deref(),
            Some("/builds/105")
        );
        assert_eq!(in_file("/builds", "builds", 100), None);
        assert_eq!(in_file("/properties/a", "builds", 100), None);
        assert_eq!(in_file("/buildsx/1", "builds", 100), None);
    }
}
