//! Our schemas against Atlassian's official specification in `../shared/reference/`:
//! whatever our schema accepts, the official one must accept too. The check runs over
//! payloads the binary really sent (the other test modules call
//! [`assert_official_accepts`]) and over a broad set of generated payloads here.
//!
//! A clone of the public repository has no `../shared/`: there `build.rs` makes
//! [`what_our_schemas_accept_the_official_spec_accepts`] *ignored*, with the reason,
//! and [`assert_official_accepts`] does nothing. Under `.ci/run`
//! (`JIRA_SEND_REQUIRE_REFERENCE=1`) the reference must be there: its absence fails.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use jira_send::api::Api;
use jira_send::schema;
use jsonschema::Validator;
use serde_json::{Value, json};

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

/// The official specs, as JSON: the 2023 copy and the 2025 (openapi-generator) copy.
static SPECS: LazyLock<Option<Vec<(&'static str, Value)>>> = LazyLock::new(|| {
    let dir = reference_dir();
    let json_spec = std::fs::read(dir.join("jira-software-cloud-openapi.2023-11-23.json")).ok()?;
    let yaml_spec =
        std::fs::read(dir.join("jira-software-cloud-openapi.2025-04.openapi-generator.yaml")).ok()?;
    Some(vec![
        (
            "2023-11",
            serde_json::from_slice(&json_spec).expect("the 2023 spec is JSON"),
        ),
        (
            "2025-04",
            serde_norway::from_slice(&yaml_spec).expect("the 2025 spec is YAML"),
        ),
    ])
});

/// Compiled validators per (spec, API), built on first use.
static VALIDATORS: LazyLock<Mutex<HashMap<(&'static str, &'static str), &'static Validator>>> =
    LazyLock::new(Mutex::default);

fn operation_path(api: &str) -> &'static str {
    match api {
        "builds" => "/rest/builds/0.1/bulk",
        "deployments" => "/rest/deployments/0.1/bulk",
        "devinfo" => "/rest/devinfo/0.10/bulk",
        "featureflags" => "/rest/featureflags/0.1/bulk",
        other => panic!("no API {other}"),
    }
}

/// The request-body schema of `api` in `spec`, as a draft-4 validator whose root is
/// the whole document, so `#/components/…` references resolve.
fn official(spec_name: &'static str, spec: &Value, api: &'static str) -> &'static Validator {
    let mut validators = VALIDATORS.lock().unwrap();
    validators.entry((spec_name, api)).or_insert_with(|| {
        let pointer = format!(
            "#/paths/{}/post/requestBody/content/application~1json/schema",
            operation_path(api).replace('~', "~0").replace('/', "~1")
        );
        let mut root = spec.clone();
        drop_array_patterns(&mut root);
        root.as_object_mut()
            .unwrap()
            .insert("$ref".into(), json!(pointer));
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the {spec_name} schema of {api} compiles: {e}"));
        Box::leak(Box::new(validator))
    })
}

/// Atlassian's devinfo schema puts its issue-key `pattern` on the `issueKeys` *array*,
/// written in Java's regex dialect (`\p{L}`, `\p{Digit}`), which a JSON Schema
/// validator (ECMA 262 dialect) refuses to compile. `pattern` constrains strings only,
/// so on an array it is a no-op: removing it changes nothing the spec means.
fn drop_array_patterns(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            if fields.get("type").and_then(Value::as_str) == Some("array") {
                fields.remove("pattern");
            }
            fields.values_mut().for_each(drop_array_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_array_patterns),
        _ => {}
    }
}

/// Asserts that every official spec accepts `body` as a request of `api`.
pub fn assert_official_accepts(api: &'static str, body: &Value) {
    let Some(specs) = SPECS.as_ref() else {
        if cfg!(skip_reference) {
            return;
        }
        panic!(
            "{} is absent, and the official-spec check must run",
            reference_dir().display()
        );
    };
    for (name, spec) in specs {
        let errors: Vec<String> = official(name, spec, api)
            .iter_errors(body)
            .map(|e| format!("{}: {}", e.instance_path(), e.masked()))
            .collect();
        assert!(
            errors.is_empty(),
            "the official {name} spec rejects this {api} body: {errors:#?}\n{body:#}"
        );
    }
}

/// A small deterministic generator (xorshift), so failures reproduce. `noise` is the
/// percent chance that any one value is made unusual (a limit crossed, a wrong type,
/// a missing field); each body gets its own, from none to a lot.
struct Rng {
    state: u64,
    noise: u64,
}

impl Rng {
    fn new(seed: u64) -> Self {
        Self {
            state: seed | 1,
            noise: 0,
        }
    }
    fn noisy(&mut self) -> bool {
        self.chance(self.noise)
    }
    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// One of `valid`, or now and then `invalid`.
    fn pick_or_noise(&mut self, valid: &[&str], invalid: &str) -> Value {
        if self.noisy() {
            json!(invalid)
        } else {
            json!(self.pick(valid))
        }
    }
    /// Mostly ordinary text; sometimes empty, at a length limit, over it, or with
    /// characters Jira cannot store.
    fn text(&mut self, limit: usize) -> Value {
        let base = *self.pick(&[
            "Build 42",
            "Deploy to prod",
            "feature/ABC-1-login",
            "ünïcödé ✓",
            "x",
        ]);
        if !self.noisy() {
            return json!(if self.chance(5) {
                "a".repeat(limit)
            } else {
                base.to_owned()
            });
        }
        json!(match self.below(4) {
            0 => String::new(),
            1 => "a".repeat(limit + 1),
            2 => format!("{base} 🚀"),
            _ => format!("{base}\u{1}"),
        })
    }
    fn url(&mut self) -> Value {
        if !self.noisy() {
            return json!(if self.chance(5) {
                format!("https://ci.example.com/{}", "p".repeat(1977))
            } else {
                format!("https://ci.example.com/runs/{}", self.below(1000))
            });
        }
        json!(match self.below(3) {
            0 => "not a url".to_owned(),
            1 => format!("https://ci.example.com/{}", "p".repeat(2001)),
            _ => String::new(),
        })
    }
    fn key(&mut self) -> String {
        if !self.noisy() {
            return match self.below(20) {
                0 => format!("A{}-1", "B".repeat(254)),
                1 => "ABC-123456789012345678".into(),
                2 => "A_1-2".into(),
                _ => format!(
                    "{}-{}",
                    self.pick(&["ABC", "DEF", "K1", "MY_PROJ", "A11Y"]),
                    1 + self.below(99_999)
                ),
            };
        }
        match self.below(5) {
            0 => "abc-1".into(),
            1 => "ABC-01".into(),
            2 => format!("A{}-1", "B".repeat(255)),
            3 => "ABC-1234567890123456789".into(),
            _ => "A-1".into(),
        }
    }
    fn keys(&mut self, max: u64) -> Value {
        let n = if self.noisy() {
            *self.pick(&[0, max + 1])
        } else if self.chance(5) {
            max
        } else {
            1 + self.below(5)
        };
        let mut keys: Vec<String> = (0..n).map(|_| self.key()).collect();
        if n > 5 {
            keys = (0..n).map(|i| format!("ABC-{}", i + 1)).collect();
        }
        json!(keys)
    }
    fn timestamp(&mut self) -> Value {
        if self.noisy() {
            return json!(*self.pick(&["yesterday", "2026-11-22"]));
        }
        json!(*self.pick(&[
            "2026-11-22T10:00:00.000Z",
            "2026-11-22T10:00:00Z",
            "2026-11-22T10:00:00+02:00"
        ]))
    }
    fn int(&mut self) -> Value {
        if self.noisy() {
            return self.pick(&[json!(-1), json!("7"), json!(1.5)]).clone();
        }
        json!(self.below(1_000_000_000_000))
    }
    /// An `int32` count.
    fn int32(&mut self) -> Value {
        if self.noisy() {
            return self.pick(&[json!(-1), json!(2_147_483_648_u64)]).clone();
        }
        json!(self.below(100_000))
    }
    /// Drops a field now and then, or adds one that does not exist.
    fn mangle(&mut self, mut object: Value, required: &[&str]) -> Value {
        if self.noisy() {
            let field = *self.pick(required);
            object.as_object_mut().unwrap().remove(field);
        }
        if self.noisy() {
            object["unexpectedField"] = json!(true);
        }
        object
    }
    fn envelope(&mut self, mut body: Value) -> Value {
        if self.chance(70) {
            let n = if self.noisy() { 6 } else { 1 + self.below(5) };
            let mut properties = serde_json::Map::new();
            for i in 0..n {
                let key = if self.noisy() {
                    self.pick(&["_hidden", "a:b"]).to_string()
                } else {
                    format!("key{i}")
                };
                properties.insert(key, self.text(255));
            }
            body["properties"] = Value::Object(properties);
        }
        if self.chance(70) {
            body["providerMetadata"] = json!({ "product": self.text(255) });
        }
        body
    }
    fn count(&mut self, max: u64) -> u64 {
        if self.noisy() {
            return *self.pick(&[0, max + 1]);
        }
        1 + self.below(3)
    }
}

fn build(rng: &mut Rng) -> Value {
    let mut build = json!({
        "schemaVersion": "1.0",
        "pipelineId": rng.text(255),
        "buildNumber": rng.int(),
        "updateSequenceNumber": rng.int(),
        "displayName": rng.text(255),
        "url": rng.url(),
        "state": rng.pick_or_noise(&["pending", "in_progress", "successful", "failed", "cancelled", "unknown"], "done"),
        "lastUpdated": rng.timestamp(),
        "issueKeys": rng.keys(100),
    });
    if rng.chance(50) {
        build["description"] = rng.text(255);
        build["label"] = rng.text(255);
    }
    if rng.chance(40) {
        let mut tests =
            json!({"totalNumber": rng.int(), "numberPassed": rng.int(), "numberFailed": rng.int()});
        if rng.chance(50) {
            tests["numberSkipped"] = rng.int();
        }
        if rng.chance(10) {
            tests.as_object_mut().unwrap().remove("numberFailed");
        }
        build["testInfo"] = tests;
    }
    if rng.chance(50) {
        let n = rng.below(8);
        let references: Vec<Value> = (0..n)
            .map(|_| {
                let mut reference = json!({});
                if rng.chance(70) {
                    reference["commit"] = json!({"id": rng.text(255), "repositoryUri": rng.url()});
                }
                if rng.chance(70) {
                    reference["ref"] = json!({"name": rng.text(255), "uri": rng.url()});
                }
                reference
            })
            .collect();
        build["references"] = json!(references);
    }
    rng.mangle(build, &["pipelineId", "buildNumber", "url", "issueKeys", "state"])
}

fn deployment(rng: &mut Rng) -> Value {
    let mut associations = Vec::new();
    if rng.chance(85) {
        associations.push(
            json!({"associationType": rng.pick(&["issueIdOrKeys", "issueKeys"]), "values": rng.keys(500)}),
        );
    }
    if rng.chance(30) {
        associations.push(json!({"associationType": "serviceIdOrKeys", "values": [rng.text(255)]}));
    }
    if rng.chance(5) {
        associations
            .push(json!({"associationType": "commit", "values": [{"commitHash": "a", "repositoryId": "r"}]}));
    }
    let mut deployment = json!({
        "schemaVersion": "1.0",
        "deploymentSequenceNumber": rng.int(),
        "updateSequenceNumber": rng.int(),
        "associations": associations,
        "displayName": rng.text(255),
        "url": rng.url(),
        "description": rng.text(255),
        "lastUpdated": rng.timestamp(),
        "state": rng.pick_or_noise(&["unknown", "pending", "in_progress", "cancelled", "failed", "rolled_back", "successful"], "ok"),
        "pipeline": {"id": rng.text(255), "displayName": rng.text(255), "url": rng.url()},
        "environment": {
            "id": rng.text(255),
            "displayName": rng.text(255),
            "type": rng.pick_or_noise(&["unmapped", "development", "testing", "staging", "production"], "prod"),
        },
    });
    if rng.chance(20) {
        deployment["commands"] =
            json!([{"command": rng.pick_or_noise(&["initiate_deployment_gating"], "launch")}]);
    }
    if rng.chance(20) {
        deployment["label"] = rng.text(255);
    }
    rng.mangle(
        deployment,
        &["pipeline", "environment", "url", "description", "associations"],
    )
}

fn commit(rng: &mut Rng) -> Value {
    let mut commit = json!({
        "id": rng.pick_or_noise(&["a1b2c3d4", "x".repeat(1024).as_str(), "ok-id_1.2~3"], "has space"),
        "issueKeys": rng.keys(500),
        "updateSequenceId": rng.int(),
        "message": rng.text(1024),
        "author": {"email": rng.text(255), "name": rng.text(255)},
        "fileCount": rng.int32(),
        "url": rng.url(),
        "authorTimestamp": rng.timestamp(),
        "displayId": rng.text(255),
    });
    if rng.chance(30) {
        commit["flags"] = json!([rng.pick_or_noise(&["MERGE_COMMIT"], "SQUASH")]);
    }
    if rng.chance(40) {
        let n = rng.count(10);
        let files: Vec<Value> = (0..n)
            .map(|_| {
                json!({
                    "path": rng.text(1024), "url": rng.url(),
                    "changeType": rng.pick_or_noise(&["ADDED", "COPIED", "DELETED", "MODIFIED", "MOVED", "UNKNOWN"], "RENAMED"),
                    "linesAdded": rng.int32(), "linesRemoved": rng.int32(),
                })
            })
            .collect();
        commit["files"] = json!(files);
    }
    rng.mangle(commit, &["id", "issueKeys", "author", "fileCount", "message"])
}

fn repository(rng: &mut Rng) -> Value {
    let commits: Vec<Value> = (0..rng.count(400).min(5)).map(|_| commit(rng)).collect();
    let mut repository = json!({
        "id": rng.pick_or_noise(&["github.com~acme~app"], "bad/id"),
        "name": rng.text(255),
        "url": rng.url(),
        "updateSequenceId": rng.int(),
        "commits": commits,
    });
    if rng.chance(40) {
        repository["branches"] = json!([{
            "id": "main", "issueKeys": rng.keys(500), "updateSequenceId": rng.int(), "name": rng.text(512),
            "lastCommit": commit(rng), "url": rng.url(),
        }]);
    }
    if rng.chance(40) {
        repository["pullRequests"] = json!([{
            "id": "12", "issueKeys": rng.keys(500), "updateSequenceId": rng.int(),
            "status": rng.pick_or_noise(&["OPEN", "MERGED", "DECLINED", "UNKNOWN"], "CLOSED"),
            "title": rng.text(1024), "author": {"name": rng.text(255)}, "commentCount": rng.int32(),
            "sourceBranch": rng.text(255), "destinationBranch": rng.text(255),
            "lastUpdate": rng.timestamp(), "url": rng.url(), "displayId": rng.text(255),
        }]);
    }
    rng.mangle(repository, &["id", "name", "url", "updateSequenceId"])
}

fn flag(rng: &mut Rng) -> Value {
    let status = |rng: &mut Rng| {
        let mut status = json!({"enabled": rng.chance(50)});
        if rng.chance(50) {
            status["defaultValue"] = rng.text(255);
        }
        match rng.below(5) {
            0 => {
                status["rollout"] =
                    json!({"percentage": if rng.noisy() { 120.0 } else { *rng.pick(&[0.0, 42.5, 100.0]) }});
            }
            1 => status["rollout"] = json!({"text": rng.text(255)}),
            2 => status["rollout"] = json!({"rules": rng.int32()}),
            _ => {}
        }
        status
    };
    let details: Vec<Value> = (0..rng.count(3))
        .map(|_| {
            json!({
                "url": rng.url(), "lastUpdated": rng.timestamp(), "status": status(rng),
                "environment": {"name": rng.text(255), "type": rng.pick_or_noise(&["development", "testing", "staging", "production"], "unmapped")},
            })
        })
        .collect();
    let flag = json!({
        "schemaVersion": "1.0",
        "id": rng.text(255),
        "key": rng.text(255),
        "updateSequenceId": rng.int(),
        "displayName": rng.text(255),
        "issueKeys": rng.keys(100),
        "summary": {"url": rng.url(), "status": status(rng), "lastUpdated": rng.timestamp()},
        "details": details,
    });
    rng.mangle(flag, &["id", "key", "issueKeys", "summary", "details"])
}

fn body(api: Api, rng: &mut Rng) -> Value {
    rng.noise = *rng.pick(&[0, 0, 1, 2, 4, 8]);
    let n = if rng.noisy() {
        *rng.pick(&[0, 101])
    } else if rng.chance(3) {
        100
    } else {
        1 + rng.below(3)
    };
    let entity: fn(&mut Rng) -> Value = match api {
        Api::Builds => build,
        Api::Deployments => deployment,
        Api::Devinfo => repository,
        Api::FeatureFlags => flag,
    };
    let mut entities: Vec<Value> = (0..n.min(4)).map(|_| entity(rng)).collect();
    if n > 4 {
        let first = entities[0].clone();
        entities.resize(n as usize, first);
    }
    rng.envelope(json!({ api.entities_key(): entities }))
}

#[test]
#[cfg_attr(
    skip_reference,
    ignore = "Atlassian's specification is not beside the checkout (README, \"Try it: two commands\")"
)]
fn what_our_schemas_accept_the_official_spec_accepts() {
    assert!(
        SPECS.is_some(),
        "{} is absent: the official specification is needed",
        reference_dir().display()
    );
    for api in Api::ALL {
        let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15 ^ api.segment().len() as u64);
        let (mut accepted, mut rejected) = (0, 0);
        for _ in 0..600 {
            let body = body(api, &mut rng);
            if schema::validate(api, &body).is_ok() {
                accepted += 1;
                assert_official_accepts(segment(api), &body);
            } else {
                rejected += 1;
            }
        }
        // The generator must exercise both sides, or the check proves nothing.
        assert!(
            accepted >= 30 && rejected >= 30,
            "{api}: {accepted} accepted, {rejected} rejected"
        );
        eprintln!(
            "{api}: {accepted} generated bodies accepted by ours and the official spec; {rejected} rejected by ours"
        );
    }
}

fn segment(api: Api) -> &'static str {
    match api {
        Api::Builds => "builds",
        Api::Deployments => "deployments",
        Api::Devinfo => "devinfo",
        Api::FeatureFlags => "featureflags",
    }
}
