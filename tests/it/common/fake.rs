//! An in-process fake of Jira Cloud's 2LO endpoints on loopback: the token endpoint,
//! `/_edge/tenant_info` and the bulk endpoints. It answers like Jira (202 with accepted
//! and rejected entities) and records every request for the test to inspect.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const CLOUD_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT_ID: &str = "test-client-id-0001";
pub const CLIENT_SECRET: &str = "test-client-secret-s3cr3t-value";

pub struct FakeJira {
    pub server: MockServer,
    /// Issue keys the fake reports as unknown.
    pub unknown_keys: Arc<Mutex<Vec<String>>>,
    /// Entities (by a field value such as a build number) the fake rejects.
    pub reject_numbers: Arc<Mutex<Vec<u64>>>,
    /// How many 401s the bulk endpoints answer before accepting.
    pub unauthorized: Arc<AtomicUsize>,
    tokens_issued: Arc<AtomicUsize>,
}

impl FakeJira {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let fake = Self {
            server,
            unknown_keys: Arc::default(),
            reject_numbers: Arc::default(),
            unauthorized: Arc::default(),
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
            .and(path_regex(r"^/jira/(builds|deployments)/0\.1/cloud/[^/]+/bulk$"))
            .respond_with(Bulk {
                unknown_keys: fake.unknown_keys.clone(),
                reject_numbers: fake.reject_numbers.clone(),
                unauthorized: fake.unauthorized.clone(),
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
    reject_numbers: Arc<Mutex<Vec<u64>>>,
    unauthorized: Arc<AtomicUsize>,
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
        let (entities, accepted_field, rejected_field) = if body.get("builds").is_some() {
            ("builds", "acceptedBuilds", "rejectedBuilds")
        } else {
            ("deployments", "acceptedDeployments", "rejectedDeployments")
        };
        let reject = self.reject_numbers.lock().unwrap().clone();
        let unknown = self.unknown_keys.lock().unwrap().clone();
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
        ResponseTemplate::new(202).set_body_json(json!({
            accepted_field: accepted,
            rejected_field: rejected,
            "unknownIssueKeys": unknown,
        }))
    }
}
