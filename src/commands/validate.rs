//! `jira-send validate FILE`: checks a payload file offline exactly as `send` would
//! send it: split into requests within the API's limits, each request checked against
//! the bundled schema and the limits a schema cannot express. `send` prepares its
//! files here too (the split itself is `payload::split`), so the two cannot disagree.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::api::Api;
use crate::cli::ValidateArgs;
use crate::clock;
use crate::error::{Error, Exit, Result, Violation};
use crate::fs::{self, limit};
use crate::payload::devinfo::MAX_PER_TYPE;
use crate::payload::split::{Origin, split};
use crate::schema::{self, MAX_DEVINFO_ENTITIES};
use crate::settings::{Output, Settings};

pub fn run(args: &ValidateArgs, settings: &Settings) -> Result<Exit> {
    let name = args.file.display().to_string();
    let (prepared, error) = match read_json(&args.file, settings.timeout) {
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
                    format!(
                        ", {MAX_PER_TYPE} commits, branches or pull requests of a repository and \
                         {MAX_DEVINFO_ENTITIES} in all"
                    )
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
    for (n, request) in requests.iter().enumerate() {
        let Err(Error::Invalid(found)) = schema::validate(api, &request.body) else {
            continue;
        };
        let first = request.origins.first().map_or(0, |o| o.index);
        let last = request.origins.last().map_or(0, |o| o.index);
        for mut violation in found {
            match Origin::in_file(&request.origins, &violation.pointer, key) {
                Some(pointer) => violation.pointer = pointer,
                // About a request as a whole: say which.
                None if total > 1
                    && (violation.pointer.is_empty() || violation.pointer == format!("/{key}")) =>
                {
                    violation.message = format!(
                        "request {} of {total} ({} {}–{}): {}",
                        n + 1,
                        key,
                        first + 1,
                        last + 1,
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
        requests: requests.into_iter().map(|request| request.body).collect(),
        violations,
    }
}

/// A payload file (`-`: stdin) as JSON: at most [`limit::PAYLOAD`] bytes of a regular
/// file, so `/dev/zero` or a FIFO fails at once; stdin only until `--timeout` runs out
/// (counted from the start of the process), so a producer that stalls cannot hang it.
pub(super) fn read_json(path: &Path, timeout: Duration) -> Result<Value> {
    let bytes = if path == Path::new("-") {
        let deadline = clock::deadline(timeout);
        fs::read_bounded_until(std::io::stdin(), limit::PAYLOAD, deadline).map_err(|e| match e.kind() {
            std::io::ErrorKind::TimedOut => std::io::Error::new(
                e.kind(),
                format!(
                    "the input did not end within --timeout ({})",
                    humantime::format_duration(timeout)
                ),
            ),
            _ => e,
        })
    } else {
        fs::read(path, limit::PAYLOAD)
    }
    .map_err(|source| Error::Read {
        path: if path == Path::new("-") {
            "stdin".into()
        } else {
            path.to_owned()
        },
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
    fn a_repository_of_more_commits_than_a_request_holds_is_valid_and_split() {
        let commit = |i: usize| {
            json!({"id": format!("{i:040x}"), "issueKeys": ["ABC-1"], "updateSequenceId": 1,
                   "hash": format!("{i:040x}"), "displayId": format!("{i:07x}"), "message": "m",
                   "author": {"name": "a"}, "fileCount": 0, "url": format!("https://x.example/c/{i}"),
                   "authorTimestamp": "2026-01-01T00:00:00Z"})
        };
        let mut repository = json!({"id": "r", "name": "r", "url": "https://x.example/r",
                                    "updateSequenceId": 1,
                                    "commits": (0..2500).map(commit).collect::<Vec<_>>()});
        let prepared = prepare(json!({"repositories": [repository.clone()]}));
        assert_eq!(prepared.violations, []);
        assert_eq!(prepared.entities, 1);
        let commits: usize = prepared
            .requests
            .iter()
            .flat_map(|r| r["repositories"].as_array().unwrap())
            .map(|r| r["commits"].as_array().unwrap().len())
            .sum();
        assert_eq!(commits, 2500);
        assert_eq!(
            prepared.describe(Api::Devinfo),
            "1 repository, sent as 7 requests (at most 100 repositories each, 400 commits, \
             branches or pull requests of a repository and 1000 in all)"
        );

        // A problem in a commit of a later piece points at it in the file.
        repository["commits"][1234]["url"] = json!("not a url");
        let prepared = prepare(json!({"repositories": [repository]}));
        let pointers: Vec<&str> = prepared.violations.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/repositories/0/commits/1234/url"],
            "{:?}",
            prepared.violations
        );
    }
}
