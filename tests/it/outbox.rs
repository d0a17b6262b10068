//! The outbox across invocations: planted files never replayed, orphans of a killed
//! process recovered, rejected entries kept with Jira's reasons, `flush --list`,
//! `--drop` and `--drop-all`, and the exit codes of a flush that set files aside.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::fake::CLOUD_ID;
use crate::common::{FakeJira, jira_send, json, stderr, stdout};

/// A Jira API that answers 503 to everything: each report ends in the outbox.
async fn jira_down() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    server
}

fn outbox_dir(home: &Path) -> PathBuf {
    home.join("jira-send-cache/outbox")
}

/// Queues build `number` for `jira`'s site: returns the outbox file.
async fn queue(home: &Path, jira: &FakeJira, down: &MockServer, number: u64) -> PathBuf {
    let output = jira_send(home)
        .envs(FakeJira::credentials())
        .args(["--site", &jira.uri(), "--cloud-id", CLOUD_ID])
        .args(["--token-url", &format!("{}/oauth/token", jira.uri())])
        .args(["--api-url", &down.uri(), "--no-flush", "--output", "json"])
        .args(["build", "--pipeline-id", "app", "--issue-key", "ABC-1"])
        .args([
            "--url",
            "https://ci.example.com/1",
            "--build-number",
            &number.to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    PathBuf::from(json(&output)["sites"][0]["outbox"].as_str().unwrap())
}

fn flush(home: &Path, jira: &FakeJira, extra: &[&str]) -> std::process::Output {
    jira_send(home)
        .envs(FakeJira::credentials())
        .args(["--token-url", &format!("{}/oauth/token", jira.uri())])
        .args(["--api-url", &jira.uri(), "--output", "json", "flush"])
        .args(extra)
        .output()
        .unwrap()
}

/// The outbox file name of `jira`'s site, as jira-send names them.
fn name_for(jira: &FakeJira, ms: u64) -> String {
    let suffix: String = jira
        .site_name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{ms:013}-{suffix}-00000000.json")
}

fn entry(jira: &FakeJira, requests: &Value) -> Value {
    json!({
        "version": 1, "createdAt": "2026-01-01T00:00:00Z", "site": jira.site_name(),
        "siteUrl": format!("{}/", jira.uri()), "cloudId": CLOUD_ID, "requests": requests
    })
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The attack of the review: another user's file, mode 0666, in a writable outbox,
/// asking to delete every build of a repository. It is never sent.
#[cfg(unix)]
#[tokio::test]
async fn a_planted_outbox_file_is_never_replayed() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let outbox = outbox_dir(home.path());
    std::fs::create_dir_all(&outbox).unwrap();
    let wipe =
        json!([{"method": "DELETE", "api": "builds", "operation": "bulkByProperties?repository=repo"}]);
    let planted = outbox.join(name_for(&jira, 1));
    std::fs::write(&planted, entry(&jira, &wipe).to_string()).unwrap();
    set_mode(&planted, 0o666);
    // As root the test can give it away too; elsewhere the mode alone must do.
    let _ = std::os::unix::fs::chown(&planted, Some(54_321), None);
    // A file of ours with a request jira-send never makes.
    let climb = json!([{"method": "DELETE", "api": "builds", "operation": "pipelines/%2E%2E/builds/1"}]);
    let odd = outbox.join(name_for(&jira, 2));
    std::fs::write(&odd, entry(&jira, &climb).to_string()).unwrap();
    set_mode(&odd, 0o600);

    let output = jira
        .jira_send(home.path())
        .args(crate::common::SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("ignoring the outbox file") && err.contains(&name_for(&jira, 1)),
        "{err}"
    );
    assert!(
        jira.requests("/jira/builds/0.1/cloud/")
            .await
            .iter()
            .all(|r| r.method.as_str() == "POST")
    );
    assert!(planted.exists(), "left where it is");
    assert!(outbox.join("corrupt").join(name_for(&jira, 2)).exists());

    let output = flush(home.path(), &jira, &[]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "a flush that ignores a file says so"
    );
    let report = json(&output);
    assert_eq!(report["setAside"][0]["kind"], "ignored", "{report}");
    assert_eq!(report["setAside"][0]["movedTo"], Value::Null);
    assert!(
        jira.requests("/jira/builds/0.1/cloud/")
            .await
            .iter()
            .all(|r| r.method.as_str() == "POST")
    );
}

/// kill -9 between the write and the rename leaves a complete temporary: the next
/// access to the outbox queues it. An incomplete one is discarded with a warning.
#[tokio::test]
async fn what_a_killed_process_left_half_saved_is_recovered() {
    let jira = FakeJira::start().await;
    let down = jira_down().await;
    let home = tempfile::tempdir().unwrap();
    let outbox = outbox_dir(home.path());
    // Saved whole, then put back where the write had got to when the process died.
    let saved = queue(home.path(), &jira, &down, 7).await;
    let bytes = std::fs::read(&saved).unwrap();
    std::fs::rename(&saved, outbox.join(".tmpK1ll3d")).unwrap();
    let half = queue(home.path(), &jira, &down, 8).await;
    std::fs::write(&half, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::rename(&half, outbox.join(".tmpH4lf00")).unwrap();

    let output = flush(home.path(), &jira, &["--list"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let listed = json(&output)["entries"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let err = stderr(&output);
    assert!(err.contains("recovered") && err.contains("discarding"), "{err}");

    let output = flush(home.path(), &jira, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let numbers: Vec<u64> = jira
        .bulk_bodies("builds")
        .await
        .iter()
        .map(|b| b["builds"][0]["buildNumber"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [7]);
    assert!(std::fs::read_dir(&outbox).unwrap().all(|e| {
        let name = e.unwrap().file_name();
        name == ".lock"
    }));
}

/// Entities Jira rejects during a flush are kept in `rejected/` with its reasons,
/// reported, and not sent again.
#[tokio::test]
async fn entries_jira_rejects_during_a_flush_are_kept_with_its_reasons() {
    let jira = FakeJira::start().await;
    let down = jira_down().await;
    let home = tempfile::tempdir().unwrap();
    let queued = queue(home.path(), &jira, &down, 7).await;
    jira.reject_numbers.lock().unwrap().push(7);

    let output = flush(home.path(), &jira, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["sites"][0]["rejected"][0]["key"]["buildNumber"], 7);
    assert_eq!(report["setAside"][0]["kind"], "rejected");
    let kept = PathBuf::from(report["setAside"][0]["movedTo"].as_str().unwrap());
    assert!(kept.starts_with(outbox_dir(home.path()).join("rejected")));
    assert!(!queued.exists());
    let stored: Value = serde_json::from_slice(&std::fs::read(&kept).unwrap()).unwrap();
    assert!(!stored["rejections"][0]["errors"].as_array().unwrap().is_empty());

    let again = flush(home.path(), &jira, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(jira.deliveries.load(Ordering::SeqCst), 1, "not sent again");

    let listed = json(&flush(home.path(), &jira, &["--list"]));
    assert_eq!(listed["entries"][0]["state"], "rejected");
    assert!(
        listed["entries"][0]["lastError"]
            .as_str()
            .unwrap()
            .starts_with("rejected by Jira")
    );
}

#[tokio::test]
async fn flush_lists_and_drops_what_is_queued() {
    let jira = FakeJira::start().await;
    let down = jira_down().await;
    let home = tempfile::tempdir().unwrap();
    let first = queue(home.path(), &jira, &down, 1).await;
    let second = queue(home.path(), &jira, &down, 2).await;
    let id = |path: &Path| path.file_stem().unwrap().to_str().unwrap().to_owned();

    let output = flush(home.path(), &jira, &["--list"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let listed = json(&output);
    assert_eq!(listed["command"], "flush");
    let entries = listed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["id"], id(&first));
    assert_eq!(entries[0]["state"], "queued");
    assert_eq!(entries[0]["command"], "build");
    assert_eq!(entries[0]["site"], jira.site_name());
    assert_eq!(entries[0]["entities"], 1);
    assert_eq!(entries[0]["stale"], false);
    assert!(entries[0]["ageSeconds"].as_i64().unwrap() >= 0);
    assert!(
        entries[0]["lastError"].as_str().unwrap().contains("503"),
        "{}",
        entries[0]
    );

    let text = jira_send(home.path()).args(["flush", "--list"]).output().unwrap();
    let text = stdout(&text);
    assert!(
        text.contains(&id(&first)) && text.contains("queued  build"),
        "{text}"
    );
    assert!(text.contains("last error: "), "{text}");

    // An unknown id drops nothing.
    let output = flush(home.path(), &jira, &["--drop", "nope", "--drop", &id(&first)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no entry nope"), "{}", stderr(&output));
    assert!(first.exists());

    let output = flush(home.path(), &jira, &["--drop", &id(&first)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output)["dropped"][0]["id"], id(&first));
    assert!(!first.exists() && second.exists());

    let output = jira_send(home.path())
        .args(["flush", "--drop-all"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!("dropped {}", id(&second))),
        "{}",
        stdout(&output)
    );
    assert!(!second.exists());
    assert!(jira.bulk_bodies("builds").await.is_empty(), "nothing delivered");
}

/// An entry older than a month is still sent, with a warning, and `--list` marks it.
#[tokio::test]
async fn old_entries_are_reported_as_stale() {
    let jira = FakeJira::start().await;
    let down = jira_down().await;
    let home = tempfile::tempdir().unwrap();
    let queued = queue(home.path(), &jira, &down, 3).await;
    let mut stored: Value = serde_json::from_slice(&std::fs::read(&queued).unwrap()).unwrap();
    stored["createdAt"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(&queued, stored.to_string()).unwrap();

    let listed = json(&flush(home.path(), &jira, &["--list"]));
    assert_eq!(listed["entries"][0]["stale"], true);
    let output = flush(home.path(), &jira, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("old: Jira still takes it"),
        "{}",
        stderr(&output)
    );
    assert_eq!(jira.bulk_bodies("builds").await.len(), 1);
}

/// An entry of a version this jira-send does not know is refused, not delivered, and
/// left for the jira-send that wrote it.
#[tokio::test]
async fn an_entry_of_an_unknown_version_is_not_delivered() {
    let jira = FakeJira::start().await;
    let down = jira_down().await;
    let home = tempfile::tempdir().unwrap();
    let queued = queue(home.path(), &jira, &down, 5).await;
    let mut stored: Value = serde_json::from_slice(&std::fs::read(&queued).unwrap()).unwrap();
    stored["version"] = json!(2);
    std::fs::write(&queued, stored.to_string()).unwrap();

    let output = flush(home.path(), &jira, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("entry version 2"), "{}", stderr(&output));
    assert!(queued.exists());
    assert!(jira.bulk_bodies("builds").await.is_empty());
}

/// The error kept with a queued report may quote a server that echoed the token or the
/// secret: neither is ever written to the outbox.
#[tokio::test]
async fn an_echoed_secret_never_reaches_the_outbox() {
    let jira = FakeJira::start().await;
    let echo = MockServer::start().await;
    let secret = crate::common::fake::CLIENT_SECRET;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_string(format!("upstream saw Bearer access-token-1 and secret {secret}")),
        )
        .mount(&echo)
        .await;
    let home = tempfile::tempdir().unwrap();
    let saved = queue(home.path(), &jira, &echo, 1).await;
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        text.contains("upstream saw Bearer ****"),
        "the error is kept, masked: {text}"
    );
    assert!(
        !text.contains("access-token-1") && !text.contains(secret),
        "{text}"
    );
}

/// Whatever bears a queued file's name but is not a regular file is set aside with a
/// warning, listed under `setAside`, and makes `flush` exit 2: a FIFO, a directory, a
/// dangling symbolic link, and a link to a valid entry elsewhere, which is never
/// followed, so never sent.
#[cfg(unix)]
#[tokio::test]
async fn special_files_in_the_outbox_are_set_aside_and_never_followed() {
    let jira = FakeJira::start().await;
    let down = jira_down().await;
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    // A valid entry, moved out of the outbox and linked back in.
    let saved = queue(home.path(), &jira, &down, 9).await;
    let outside = elsewhere.path().join("entry.json");
    std::fs::rename(&saved, &outside).unwrap();
    let outbox = outbox_dir(home.path());
    let link = outbox.join(name_for(&jira, 1));
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let dangling = outbox.join(name_for(&jira, 2));
    std::os::unix::fs::symlink(elsewhere.path().join("gone.json"), &dangling).unwrap();
    let directory = outbox.join(name_for(&jira, 3));
    std::fs::create_dir(&directory).unwrap();
    let fifo = outbox.join(name_for(&jira, 4));
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();

    let output = flush(home.path(), &jira, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let report = json(&output);
    let set_aside: Vec<(String, String)> = report["setAside"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["kind"], "ignored", "{s}");
            assert_eq!(s["movedTo"], Value::Null, "{s}");
            (
                s["file"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    assert_eq!(
        set_aside,
        [
            (path(&link), "not a regular file but a symbolic link".into()),
            (path(&dangling), "not a regular file but a symbolic link".into()),
            (path(&directory), "not a regular file but a directory".into()),
            (path(&fifo), "not a regular file but a named pipe (FIFO)".into()),
        ]
    );
    let err = stderr(&output);
    for planted in [&link, &dangling, &directory, &fifo] {
        assert!(
            err.contains(&format!("ignoring the outbox file {}", planted.display())),
            "{err}"
        );
    }
    assert!(jira.bulk_bodies("builds").await.is_empty(), "nothing sent");
    assert!(outside.exists() && link.exists(), "nothing moved or deleted");

    let listed = json(&flush(home.path(), &jira, &["--list"]));
    let states: Vec<&Value> = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["state"])
        .collect();
    assert_eq!(states, ["ignored"; 4], "{listed}");
}

/// A queued file is delivered to the site its contents name, whatever it is called: a
/// renamed or copied entry (`my-backup.json`), or one whose name suggests another site,
/// by `flush` and by the next sending command's flush of its site alike.
#[tokio::test]
async fn a_renamed_entry_is_delivered_to_the_site_it_names() {
    let jira = FakeJira::start().await;
    let down = jira_down().await;
    let home = tempfile::tempdir().unwrap();
    let outbox = outbox_dir(home.path());
    let backup = outbox.join("my-backup.json");
    std::fs::rename(queue(home.path(), &jira, &down, 1).await, &backup).unwrap();
    let misleading = outbox.join("0000000000001-other_atlassian_net-00000000.json");
    std::fs::rename(queue(home.path(), &jira, &down, 2).await, &misleading).unwrap();

    let output = flush(home.path(), &jira, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(
        report["sites"][0]["accepted"].as_array().unwrap().len(),
        2,
        "{report}"
    );
    let numbers = |bodies: Vec<Value>| -> Vec<u64> {
        bodies
            .iter()
            .map(|b| b["builds"][0]["buildNumber"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(numbers(jira.bulk_bodies("builds").await), [2, 1]);
    assert!(!backup.exists() && !misleading.exists());

    let copied = outbox.join("copied.json");
    std::fs::rename(queue(home.path(), &jira, &down, 3).await, &copied).unwrap();
    let output = jira
        .jira_send(home.path())
        .args(crate::common::SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(numbers(jira.bulk_bodies("builds").await), [2, 1, 3, 1]);
    assert!(!copied.exists());
}
