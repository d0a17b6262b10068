//! `validate` and `env`: no network, no credentials.

use std::path::Path;
use std::process::Output;

use serde_json::json;

use crate::common::{jira_send, json, stderr, stdout};

/// `jira-send validate OPTIONS… FILE`.
fn validate(home: &Path, options: &[&str], file: &Path) -> Output {
    jira_send(home)
        .arg("validate")
        .args(options)
        .arg(file)
        .output()
        .unwrap()
}

fn valid_build() -> serde_json::Value {
    json!({
        "properties": {"source": "jira-send"},
        "builds": [{
            "schemaVersion": "1.0", "pipelineId": "acme", "buildNumber": 1, "updateSequenceNumber": 1,
            "displayName": "acme #1", "url": "https://ci.example.com/1", "state": "successful",
            "lastUpdated": "2026-11-22T10:00:00.000Z", "issueKeys": ["ABC-1"]
        }]
    })
}

#[test]
fn a_valid_payload_file_passes() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("build.json");
    std::fs::write(&file, valid_build().to_string()).unwrap();
    let output = validate(home.path(), &[], &file);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("build.json: valid: 1 build in 1 request"),
        "{}",
        stdout(&output)
    );

    let output = jira_send(home.path())
        .args(["validate", "-", "--output", "json"])
        .write_stdin(valid_build().to_string())
        .output()
        .unwrap();
    assert_eq!(json(&output)["api"], "builds");
}

#[test]
fn an_invalid_payload_file_names_the_field_and_exits_2() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("build.json");
    let mut body = valid_build();
    body["builds"][0]["state"] = json!("done");
    body["builds"][0]["displayName"] = json!("🚀 launch");
    std::fs::write(&file, body.to_string()).unwrap();
    let output = validate(home.path(), &[], &file);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("/builds/0/state"), "{err}");
    assert!(
        err.contains("/builds/0/displayName") && err.contains("U+1F680"),
        "{err}"
    );

    std::fs::write(&file, "{\"issues\": []}").unwrap();
    let output = validate(home.path(), &[], &file);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not a request body"));

    std::fs::write(&file, "{oops").unwrap();
    let output = validate(home.path(), &[], &file);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not JSON"));

    let missing = jira_send(home.path())
        .args(["validate", "/no/such/file.json"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

/// `validate` checks what `send` would send: a file of any size, split into requests
/// within the limit, each checked; violations point into the file.
#[test]
fn validate_checks_the_requests_send_would_make() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("builds.json");
    let mut body = valid_build();
    let one = body["builds"][0].clone();
    body["builds"] = serde_json::Value::Array(vec![one; 250]);
    std::fs::write(&file, body.to_string()).unwrap();
    let output = validate(home.path(), &[], &file);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("valid: 250 builds, sent as 3 requests (at most 100 builds each)"),
        "{}",
        stdout(&output)
    );
    let output = validate(home.path(), &["--output", "json"], &file);
    let report = json(&output);
    assert_eq!(report["entities"], 250);
    assert_eq!(report["requests"], 3);
    assert_eq!(report["valid"], true);
    assert_eq!(report["violations"], json!([]));

    // The same file to `send --dry-run`: the same three requests.
    let output = jira_send(home.path())
        .args(["--dry-run", "--output", "json", "send"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(json(&output)["sites"][0]["requests"].as_array().unwrap().len(), 3);
}

/// A devinfo file with one repository of more commits than a request holds for a
/// repository (400) is cut as `devinfo` cuts one, not refused: by `validate` and `send`.
#[test]
fn a_repository_of_2500_commits_is_sent_in_pieces() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("devinfo.json");
    let commit = |i: usize| {
        json!({"id": format!("{i:040x}"), "issueKeys": ["ABC-1"], "updateSequenceId": 1,
               "hash": format!("{i:040x}"), "displayId": format!("{i:07x}"), "message": "m",
               "author": {"name": "a"}, "fileCount": 0, "url": format!("https://x.example/c/{i}"),
               "authorTimestamp": "2026-01-01T00:00:00Z"})
    };
    let body = json!({"repositories": [{"id": "r", "name": "r", "url": "https://x.example/r",
                       "updateSequenceId": 1, "commits": (0..2500).map(commit).collect::<Vec<_>>()}]});
    std::fs::write(&file, body.to_string()).unwrap();
    let output = validate(home.path(), &["--output", "json"], &file);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output)["requests"], 7);

    let output = jira_send(home.path())
        .args(["--dry-run", "--output", "json", "send"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    let requests = report["sites"][0]["requests"].as_array().unwrap();
    let commits: Vec<usize> = requests
        .iter()
        .map(|r| {
            let repositories = r["body"]["repositories"].as_array().unwrap();
            assert_eq!(repositories.len(), 1);
            assert_eq!(repositories[0]["id"], "r");
            repositories[0]["commits"].as_array().unwrap().len()
        })
        .collect();
    assert_eq!(commits, [400, 400, 400, 400, 400, 400, 100]);
}

/// An invalid file gets the same JSON object as a valid one, with each violation's
/// path, message and (for an enum) the allowed values.
#[test]
fn validate_json_lists_each_violation() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("builds.json");
    let mut body = valid_build();
    let one = body["builds"][0].clone();
    body["builds"] = serde_json::Value::Array(vec![one; 150]);
    body["builds"][120]["state"] = json!("done");
    body["builds"][3]["url"] = json!("not a url");
    std::fs::write(&file, body.to_string()).unwrap();
    let output = validate(home.path(), &["--output", "json"], &file);
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output);
    for field in [
        "file",
        "api",
        "entities",
        "requests",
        "valid",
        "violations",
        "exitCode",
    ] {
        assert!(report.get(field).is_some(), "{field} missing: {report}");
    }
    assert_eq!(report["valid"], false);
    assert_eq!(report["exitCode"], 2);
    assert_eq!(report["api"], "builds");
    let violations = report["violations"].as_array().unwrap();
    let state = violations
        .iter()
        .find(|v| v["path"] == "/builds/120/state")
        .unwrap_or_else(|| panic!("{report}"));
    assert!(state["message"].as_str().unwrap().contains("done"));
    let allowed: Vec<&str> = state["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        allowed,
        [
            "pending",
            "in_progress",
            "successful",
            "failed",
            "cancelled",
            "unknown"
        ]
    );
    let url = violations.iter().find(|v| v["path"] == "/builds/3/url").unwrap();
    assert!(url.get("allowed").is_none());
    assert!(
        stderr(&output).contains("/builds/120/state"),
        "{}",
        stderr(&output)
    );

    // Not JSON, and unreadable: still the same object.
    std::fs::write(&file, "{oops").unwrap();
    let output = validate(home.path(), &["--output", "json"], &file);
    let report = json(&output);
    assert_eq!(report["valid"], false);
    assert!(
        report["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not JSON")
    );
    let output = jira_send(home.path())
        .args(["validate", "--output", "json", "/no/such/file.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output);
    assert_eq!(report["valid"], false);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("cannot read /no/such/file.json")
    );
}

#[test]
fn env_shows_what_was_detected_with_secrets_masked() {
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_WORKFLOW", "CI")
        .env("GITHUB_RUN_NUMBER", "42")
        .env("JIRA_SITE", "acme")
        .env("JIRA_CLIENT_ID", "client-id-abcd1234")
        .env("JIRA_CLIENT_SECRET", "very-secret-value")
        .args(["env", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(!text.contains("very-secret-value"));
    assert!(!text.contains("client-id-abcd1234"));
    let report = json(&output);
    assert_eq!(report["ci"]["system"], "GitHub Actions");
    assert_eq!(report["ci"]["pipelineId"], "acme/app/CI");
    assert_eq!(report["ci"]["buildNumber"], 42);
    assert_eq!(report["sites"][0]["site"], "acme.atlassian.net");
    assert_eq!(report["sites"][0]["credentials"]["clientId"], "****1234");
}

#[test]
fn every_example_payload_is_valid() {
    let home = tempfile::tempdir().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/payloads");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let output = validate(home.path(), &["--output", "json"], &path);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            stderr(&output)
        );
        seen.push(json(&output)["api"].as_str().unwrap().to_owned());
        let body: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let api = match seen.last().unwrap().as_str() {
            "builds" => "builds",
            "deployments" => "deployments",
            "devinfo" => "devinfo",
            _ => "featureflags",
        };
        crate::spec::assert_official_accepts(api, &body);
    }
    seen.sort();
    assert_eq!(seen, ["builds", "deployments", "devinfo", "featureflags"]);
}
