//! An in-process fake of Jira Cloud's 2LO endpoints on loopback: the token endpoint,
//! `/_edge/tenant_info` and the bulk endpoints. It answers like Jira (202 with accepted
//! and rejected entities) and records every request for the test to inspect.

use std::collections::VecDeque;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{SIMPLE_BUILD, jira_send};

pub const CLOUD_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT_ID: &str = "test-client-id-0001";
pub const CLIENT_SECRET: &str = "test-client-secret-s3cr3t-value";

pub struct FakeJira {
    pub server: MockServer,
    /// Issue keys the fake reports as unknown.
    pub unknown_keys: Arc<Mutex<Vec<String>>>,
    /// Whether the unknown keys are listed again as `unknownAssociations`, as newer
    /// answers do.
    pub unknown_associations: Arc<AtomicBool>,
    /// Entities (by a field value such as a build number) the fake rejects.
    pub reject_numbers: Arc<Mutex<Vec<u64>>>,
    /// How many 401s the bulk endpoints answer before accepting.
    pub unauthorized: Arc<AtomicUsize>,
    /// Devinfo commit ids the fake reports as failed.
    pub fail_commits: Arc<Mutex<Vec<String>>>,
    /// A status the feature-flags endpoint answers instead of accepting (0: accept).
    pub flags_status: Arc<AtomicU16>,
    /// Answers to gating-status requests, in order; the last one repeats.
    pub gate_answers: Arc<Mutex<VecDeque<(u16, Value)>>>,
    /// Bulk requests answered 202: each delivery, counted once.
    pub deliveries: Arc<AtomicUsize>,
    /// More entities than this in one bulk request get a 413 (0: no limit).
    pub max_entities: Arc<AtomicUsize>,
    /// APIs (`builds`, `deployments`, …) whose `doctor` probes get a 403.
    pub forbidden: Arc<Mutex<Vec<String>>>,
    tokens_issued: Arc<AtomicUsize>,
}

impl FakeJira {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let fake = Self {
            server,
            unknown_keys: Arc::default(),
            unknown_associations: Arc::default(),
            reject_numbers: Arc::default(),
            unauthorized: Arc::default(),
            fail_commits: Arc::default(),
            flags_status: Arc::default(),
            gate_answers: Arc::default(),
            deliveries: Arc::default(),
            max_entities: Arc::default(),
            forbidden: Arc::default(),
            tokens_issued: Arc::default(),
        };
        let issued = fake.tokens_issued.clone();
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(move |_: &Request| {
                let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
                ResponseTemplate::new(200).set_body_json(json!({
                    "access_token": format!("access-token-{n}"),
                    "expires_in": 3600,
                    "token_type": "Bearer",
                }))
            })
            .mount(&fake.server)
            .await;
        Mock::given(method("GET"))
            .and(path("/_edge/tenant_info"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "cloudId": CLOUD_ID })))
            .mount(&fake.server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(
                r"^/jira/(builds|deployments|devinfo|featureflags)/0\.1/cloud/[^/]+/bulk$",
            ))
            .respond_with(Bulk {
                unknown_keys: fake.unknown_keys.clone(),
                unknown_associations: fake.unknown_associations.clone(),
                reject_numbers: fake.reject_numbers.clone(),
                unauthorized: fake.unauthorized.clone(),
                fail_commits: fake.fail_commits.clone(),
                flags_status: fake.flags_status.clone(),
                deliveries: fake.deliveries.clone(),
                max_entities: fake.max_entities.clone(),
            })
            .mount(&fake.server)
            .await;
        Mock::given(method("DELETE"))
            .and(path_regex(
                r"^/jira/(builds|deployments|devinfo|featureflags)/0\.1/cloud/[^/]+/.+$",
            ))
            .respond_with(ResponseTemplate::new(202))
            .mount(&fake.server)
            .await;
        let forbidden = fake.forbidden.clone();
        Mock::given(method("GET"))
            .and(path_regex(
                r"^/jira/[a-z]+/0\.1/cloud/[^/]+/.*jira-send-doctor-probe.*$",
            ))
            .respond_with(move |request: &Request| {
                let api = request.url.path().split('/').nth(2).unwrap_or("").to_owned();
                let status = if forbidden.lock().unwrap().contains(&api) {
                    403
                } else {
                    404
                };
                ResponseTemplate::new(status)
            })
            .mount(&fake.server)
            .await;
        let answers = fake.gate_answers.clone();
        Mock::given(method("GET"))
            .and(path_regex(
                r"^/jira/deployments/0\.1/cloud/[^/]+/pipelines/.+/gating-status$",
            ))
            .respond_with(move |_: &Request| {
                let mut answers = answers.lock().unwrap();
                let (status, body) = if answers.len() > 1 {
                    answers.pop_front().unwrap()
                } else {
                    answers.front().cloned().unwrap_or((404, Value::Null))
                };
                ResponseTemplate::new(status).set_body_json(body)
            })
            .mount(&fake.server)
            .await;
        fake
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The options that point jira-send at this fake.
    pub fn args(&self) -> Vec<String> {
        let uri = self.uri();
        vec![
            "--site".into(),
            uri.clone(),
            "--api-url".into(),
            uri.clone(),
            "--token-url".into(),
            format!("{uri}/oauth/token"),
        ]
    }

    /// `jira_send(home)` pointed at this fake, with its credentials: what most tests
    /// run, before their own options.
    pub fn jira_send(&self, home: &Path) -> Command {
        let mut command = jira_send(home);
        command.envs(Self::credentials()).args(self.args());
        command
    }

    /// `jira_send(home)` with this fake's credentials, site and token endpoint, and the
    /// bulk APIs at `api_url`: a server that misbehaves as a test needs.
    pub fn jira_send_with_api(&self, home: &Path, api_url: &str) -> Command {
        let uri = self.uri();
        let mut command = jira_send(home);
        command
            .envs(Self::credentials())
            .args(["--site", &uri, "--token-url", &format!("{uri}/oauth/token")])
            .args(["--api-url", api_url]);
        command
    }

    /// `jira_send(home)` with this fake's credentials, APIs and token endpoint, for the
    /// sites `JIRA_SITE` lists (other servers, or this fake among them).
    pub fn jira_send_to_sites(&self, home: &Path, sites: &str) -> Command {
        let uri = self.uri();
        let mut command = jira_send(home);
        command.envs(Self::credentials()).env("JIRA_SITE", sites).args([
            "--api-url",
            &uri,
            "--token-url",
            &format!("{uri}/oauth/token"),
        ]);
        command
    }

    /// The run of [`SIMPLE_BUILD`] against this fake.
    pub fn simple_build(&self, home: &Path) -> Output {
        self.jira_send(home).args(SIMPLE_BUILD).output().unwrap()
    }

    /// The site name jira-send reports for this fake: `127.0.0.1:PORT`.
    pub fn site_name(&self) -> String {
        self.uri().trim_start_matches("http://").to_owned()
    }

    /// The credential variables for this fake.
    pub fn credentials() -> [(&'static str, &'static str); 2] {
        [
            ("JIRA_CLIENT_ID", CLIENT_ID),
            ("JIRA_CLIENT_SECRET", CLIENT_SECRET),
        ]
    }

    pub fn tokens_issued(&self) -> usize {
        self.tokens_issued.load(Ordering::SeqCst)
    }

    /// Every request received at `path_prefix`.
    pub async fn requests(&self, path_prefix: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path().starts_with(path_prefix))
            .collect()
    }

    /// The JSON bodies POSTed to the bulk endpoint of `api`.
    pub async fn bulk_bodies(&self, api: &str) -> Vec<Value> {
        self.requests(&format!("/jira/{api}/"))
            .await
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

/// Answers a bulk POST the way Jira does: 202, each entity accepted unless its number
/// is in `reject_numbers`, and unknown keys listed.
struct Bulk {
    unknown_keys: Arc<Mutex<Vec<String>>>,
    unknown_associations: Arc<AtomicBool>,
    reject_numbers: Arc<Mutex<Vec<u64>>>,
    unauthorized: Arc<AtomicUsize>,
    fail_commits: Arc<Mutex<Vec<String>>>,
    flags_status: Arc<AtomicU16>,
    deliveries: Arc<AtomicUsize>,
    max_entities: Arc<AtomicUsize>,
}

impl Respond for Bulk {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.unauthorized.load(Ordering::SeqCst) > 0 {
            self.unauthorized.fetch_sub(1, Ordering::SeqCst);
            return ResponseTemplate::new(401).set_body_json(json!({"code": 401, "message": "Unauthorized"}));
        }
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !auth.starts_with("Bearer access-token-") {
            return ResponseTemplate::new(401).set_body_json(json!({"code": 401, "message": "Unauthorized"}));
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let max = self.max_entities.load(Ordering::SeqCst);
        if max > 0 && entity_count(&body) > max {
            return ResponseTemplate::new(413).set_body_json(
                json!([{"message": "Data is too large. Submit fewer entities in each payload."}]),
            );
        }
        let refused = body.get("flags").is_some() && self.flags_status.load(Ordering::SeqCst) != 0;
        if !refused {
            self.deliveries.fetch_add(1, Ordering::SeqCst);
        }
        self.answer(&body)
    }
}

/// Entities in a bulk body; devinfo counts commits.
fn entity_count(body: &Value) -> usize {
    let len = |v: &Value| v.as_array().map_or(0, Vec::len);
    match body.get("repositories") {
        Some(repositories) => repositories
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| len(&r["commits"]))
            .sum(),
        None => ["builds", "deployments", "flags"]
            .iter()
            .map(|k| len(&body[*k]))
            .sum(),
    }
}

impl Bulk {
    fn answer(&self, body: &Value) -> ResponseTemplate {
        let body = body.clone();
        let unknown = self.unknown_keys.lock().unwrap().clone();
        if body.get("repositories").is_some() {
            return self.devinfo(&body, &unknown);
        }
        if body.get("flags").is_some() {
            let status = self.flags_status.load(Ordering::SeqCst);
            if status != 0 {
                return ResponseTemplate::new(status);
            }
            let ids: Vec<Value> = body["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].clone())
                .collect();
            return ResponseTemplate::new(202).set_body_json(json!({
                "acceptedFeatureFlags": ids, "failedFeatureFlags": {}, "unknownIssueKeys": unknown,
            }));
        }
        let (entities, accepted_field, rejected_field) = if body.get("builds").is_some() {
            ("builds", "acceptedBuilds", "rejectedBuilds")
        } else {
            ("deployments", "acceptedDeployments", "rejectedDeployments")
        };
        let reject = self.reject_numbers.lock().unwrap().clone();
        let mut accepted = Vec::new();
        let mut rejected = Vec::new();
        for entity in body[entities].as_array().into_iter().flatten() {
            let (key, number) = if entities == "builds" {
                (
                    json!({"pipelineId": entity["pipelineId"], "buildNumber": entity["buildNumber"]}),
                    entity["buildNumber"].as_u64(),
                )
            } else {
                (
                    json!({
                        "pipelineId": entity["pipeline"]["id"],
                        "environmentId": entity["environment"]["id"],
                        "deploymentSequenceNumber": entity["deploymentSequenceNumber"],
                    }),
                    entity["deploymentSequenceNumber"].as_u64(),
                )
            };
            if number.is_some_and(|n| reject.contains(&n)) {
                rejected.push(json!({"key": key, "errors": [{"message": "'url' is required"}]}));
            } else {
                accepted.push(key);
            }
        }
        let mut answer = json!({
            accepted_field: accepted,
            rejected_field: rejected,
            "unknownIssueKeys": unknown,
        });
        if self.unknown_associations.load(Ordering::SeqCst) {
            answer["unknownAssociations"] = json!([{"associationType": "issueIdOrKeys", "values": unknown}]);
        }
        ResponseTemplate::new(202).set_body_json(answer)
    }
}

impl Bulk {
    /// Devinfo answers are maps keyed by repository id.
    fn devinfo(&self, body: &Value, unknown: &[String]) -> ResponseTemplate {
        let fail = self.fail_commits.lock().unwrap().clone();
        let mut accepted = serde_json::Map::new();
        let mut failed = serde_json::Map::new();
        for repository in body["repositories"].as_array().into_iter().flatten() {
            let id = repository["id"].as_str().unwrap().to_owned();
            let ids = |field: &str| -> Vec<Value> {
                repository[field]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| e["id"].clone())
                    .collect()
            };
            let (bad, good): (Vec<Value>, Vec<Value>) = ids("commits")
                .into_iter()
                .partition(|c| fail.iter().any(|f| c == f));
            accepted.insert(
                id.clone(),
                json!({"commits": good, "branches": ids("branches"), "pullRequests": ids("pullRequests")}),
            );
            if !bad.is_empty() {
                let commits: Vec<Value> = bad
                    .into_iter()
                    .map(|c| json!({"id": c, "errorMessages": [{"message": "commit message too long"}]}))
                    .collect();
                failed.insert(id, json!({"errorMessages": [], "commits": commits}));
            }
        }
        ResponseTemplate::new(202).set_body_json(json!({
            "acceptedDevinfoEntities": accepted,
            "failedDevinfoEntities": failed,
            "unknownIssueKeys": unknown,
        }))
    }
}

/// A loopback port that refuses every connection for as long as this value lives: a
/// socket is bound to it but does not listen, so no other process can take the port
/// meanwhile (a port merely closed again could be).
pub struct ClosedPort {
    _socket: tokio::net::TcpSocket,
    pub addr: std::net::SocketAddr,
}

impl ClosedPort {
    pub fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = socket.local_addr().unwrap();
        Self {
            _socket: socket,
            addr,
        }
    }

    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl FakeJira {
    /// Holds every bulk POST to `api` without answering (for an hour), after telling
    /// the returned receiver it arrived: a test waits for the request, not for time.
    pub async fn hold_bulk(&self, api: &str) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
        let (arrived, receiver) = tokio::sync::mpsc::unbounded_channel();
        Mock::given(method("POST"))
            .and(path_regex(format!(r"^/jira/{api}/0\.1/cloud/[^/]+/bulk$")))
            .respond_with(move |request: &Request| {
                let _ = arrived.send(serde_json::from_slice(&request.body).unwrap_or(Value::Null));
                ResponseTemplate::new(202).set_delay(std::time::Duration::from_secs(3600))
            })
            .with_priority(1)
            .mount(&self.server)
            .await;
        receiver
    }
}

/// Runs `command` to its end, as `Command::output` does, unless it is still running after
/// `bound`: then it is killed and the test fails. The bound only catches a hang (a run
/// that would take minutes or forever); a passing run never comes near it, however
/// slow the machine.
pub fn output_unless_hung(command: &mut std::process::Command, bound: std::time::Duration) -> Output {
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(bound) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            #[cfg(unix)]
            if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            #[cfg(not(unix))]
            let _ = pid;
            panic!("jira-send was still running after {bound:?}: it hung");
        }
    }
}
