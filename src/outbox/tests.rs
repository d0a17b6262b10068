use super::*;
use crate::answer::Rejection;
use crate::api::Api;
use chrono::{TimeDelta, TimeZone as _};
use serde_json::json;
use std::time::Duration;

fn entry(site: &str, ms: i64) -> Entry {
    Entry {
        version: VERSION,
        created_at: DateTime::from_timestamp_millis(ms).unwrap(),
        site: site.into(),
        site_url: format!("https://{site}/"),
        cloud_id: Some("11111111-2222-3333-4444-555555555555".into()),
        requests: vec![Call {
            method: reqwest::Method::POST,
            api: Api::Builds,
            operation: "bulk".into(),
            body: Some(json!({"builds": [{"buildNumber": 1}]})),
            subject: None,
        }],
        last_error: None,
        rejections: Vec::new(),
    }
}

impl Outbox {
    /// Saves `entry`, small enough for one file: that file.
    fn save_one(&self, entry: &Entry) -> io::Result<PathBuf> {
        let mut files = self.save(entry)?;
        assert_eq!(files.len(), 1, "one file: {files:?}");
        Ok(files.remove(0))
    }
}

/// `entry` with `n` requests of a build each, about `size` bytes apiece.
fn large_entry(n: u64, size: usize) -> Entry {
    let mut large = entry("acme.atlassian.net", 1_000);
    let template = large.requests.remove(0);
    large.last_error = Some("the builds request failed: 503".into());
    large.requests = (1..=n)
        .map(|number| Call {
            body: Some(json!({"builds": [{"buildNumber": number, "displayName": "x".repeat(size)}]})),
            ..template.clone()
        })
        .collect();
    large
}

/// Writes `text` as a queued file the way a planted or damaged one would arrive.
fn plant(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write_private(&path, text.as_bytes()).unwrap();
    path
}

/// The file name of `path`.
fn name(path: &Path) -> &str {
    path.file_name().unwrap().to_str().unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != ".lock")
        .collect();
    names.sort();
    names
}

#[test]
fn files_are_listed_oldest_first_per_site() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let newer = outbox.save_one(&entry("acme.atlassian.net", 2_000)).unwrap();
    let older = outbox.save_one(&entry("acme.atlassian.net", 1_000)).unwrap();
    let other = outbox.save_one(&entry("other.atlassian.net", 500)).unwrap();
    assert_eq!(
        outbox.pending(Some("acme.atlassian.net")),
        [older.clone(), newer.clone()]
    );
    assert_eq!(outbox.pending(None), [other, older, newer]);
}

/// A file is its site's by what it holds, whatever its name: a renamed or copied file
/// is found for its own site, and never for the site its name suggests.
#[test]
fn files_are_found_for_the_site_their_contents_name() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let acme = outbox.save_one(&entry("acme.atlassian.net", 1_000)).unwrap();
    let backup = dir.path().join("my-backup.json");
    std::fs::rename(&acme, &backup).unwrap();
    let other = outbox.save_one(&entry("other.atlassian.net", 2_000)).unwrap();
    let misleading = dir.path().join("0000000000500-acme_atlassian_net-00000000.json");
    std::fs::rename(&other, &misleading).unwrap();
    let unreadable = plant(dir.path(), "0000000000007-x-00000000.json", "{");
    assert_eq!(
        outbox.pending(Some("acme.atlassian.net")),
        [unreadable.clone(), backup.clone()],
        "an unreadable file is every site's: its claim sets it aside"
    );
    assert_eq!(
        outbox.pending(Some("other.atlassian.net")),
        [unreadable, misleading]
    );
    assert_eq!(outbox.claim(&backup).unwrap().entry.site, "acme.atlassian.net");
}

/// An entry whose `site` is not the site of its `siteUrl` would be found for one site
/// and sent to another: it is not one jira-send writes.
#[test]
fn an_entry_naming_two_sites_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let mut two = entry("acme.atlassian.net", 1);
    two.site_url = "https://other.atlassian.net/".into();
    let path = outbox.save_one(&two).unwrap();
    assert!(outbox.claim(&path).is_none());
    let set_aside = outbox.set_aside();
    assert_eq!(set_aside[0].kind, Kind::Corrupt);
    assert!(
        set_aside[0].reason.contains("is not the site of its siteUrl"),
        "{}",
        set_aside[0].reason
    );
}

#[test]
fn a_claimed_file_cannot_be_claimed_twice() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let path = outbox.save_one(&entry("acme.atlassian.net", 1)).unwrap();
    let first = outbox.claim(&path).unwrap();
    assert!(outbox.claim(&path).is_none(), "locked by the first");
    assert!(
        Outbox::new(dir.path()).claim(&path).is_none(),
        "locked for another outbox too"
    );
    first.delivered(&[]);
    assert!(outbox.claim(&path).is_none(), "gone");
    assert!(outbox.pending(None).is_empty());
    assert!(outbox.set_aside().is_empty());
}

#[test]
fn corrupt_files_are_moved_aside_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let path = plant(dir.path(), "0000000000001-x-00000000.json", "{half a fi");
    assert!(outbox.claim(&path).is_none());
    assert!(!path.exists());
    let moved = dir.path().join("corrupt/0000000000001-x-00000000.json");
    assert!(moved.exists());
    let set_aside = outbox.set_aside();
    assert_eq!(set_aside.len(), 1);
    assert_eq!(set_aside[0].kind, Kind::Corrupt);
    assert_eq!(set_aside[0].moved_to.as_deref(), Some(moved.as_path()));
}

#[test]
fn remaining_requests_go_to_a_new_file_never_over_the_claimed_one() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let mut two = entry("a.example", 1);
    two.requests.push(two.requests[0].clone());
    let path = outbox.save_one(&two).unwrap();
    let claimed = outbox.claim(&path).unwrap();
    let rest = claimed.entry.requests[1..].to_vec();
    claimed.keep(rest, Some("the builds request failed: connection refused".into()));
    assert!(!path.exists(), "the claimed file is deleted, not replaced");
    let pending = outbox.pending(None);
    assert_eq!(pending.len(), 1);
    assert_ne!(pending[0], path);
    // Still the same place in the queue: the name keeps the creation time.
    assert!(name(&pending[0]).starts_with("0000000000001-"));
    let kept = outbox.claim(&pending[0]).unwrap();
    assert_eq!(kept.entry.requests.len(), 1);
    assert!(
        kept.entry
            .last_error
            .as_deref()
            .unwrap()
            .contains("connection refused")
    );
}

#[test]
fn entries_jira_rejected_are_kept_with_its_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let path = outbox.save_one(&entry("acme.atlassian.net", 1)).unwrap();
    let rejection = Rejection {
        key: json!({"pipelineId": "p", "buildNumber": 1}),
        errors: vec!["'url' is required".into()],
    };
    outbox.claim(&path).unwrap().delivered(&[rejection]);
    assert!(!path.exists());
    assert!(outbox.pending(None).is_empty(), "never sent again by itself");
    let set_aside = outbox.set_aside();
    assert_eq!(set_aside[0].kind, Kind::Rejected);
    let kept = set_aside[0].moved_to.clone().unwrap();
    assert!(kept.starts_with(dir.path().join("rejected")));
    let stored: Entry = serde_json::from_slice(&std::fs::read(&kept).unwrap()).unwrap();
    assert_eq!(stored.rejections[0]["errors"][0], "'url' is required");
    assert_eq!(stored.requests.len(), 1);
}

#[test]
fn requests_jira_send_would_not_make_are_never_claimed() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let mut planted = entry("acme.atlassian.net", 1);
    planted.requests[0] = Call {
        method: reqwest::Method::DELETE,
        api: Api::Builds,
        operation: "../../../admin".into(),
        body: None,
        subject: None,
    };
    let path = outbox.save_one(&planted).unwrap();
    assert!(outbox.claim(&path).is_none());
    assert_eq!(outbox.set_aside()[0].kind, Kind::Corrupt);
    assert!(
        outbox.set_aside()[0]
            .reason
            .contains("not a builds request jira-send makes")
    );

    let mut injected = entry("acme.atlassian.net", 2);
    injected.cloud_id = Some("../../etc".into());
    let path = outbox.save_one(&injected).unwrap();
    assert!(outbox.claim(&path).is_none());
    assert!(
        dir.path()
            .join("corrupt")
            .join(path.file_name().unwrap())
            .exists()
    );
}

#[test]
fn entries_of_another_version_are_left_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let mut newer = serde_json::to_value(entry("acme.atlassian.net", 1)).unwrap();
    newer["version"] = json!(2);
    let path = plant(dir.path(), "0000000000001-acme-00000000.json", &newer.to_string());
    assert!(outbox.claim(&path).is_none());
    assert!(path.exists(), "left where it is");
    let set_aside = outbox.set_aside();
    assert_eq!(set_aside[0].kind, Kind::Ignored);
    assert!(
        set_aside[0].reason.contains("entry version 2"),
        "{}",
        set_aside[0].reason
    );
    // A shape this version cannot read at all is still recognised as another version's.
    let path = plant(
        dir.path(),
        "0000000000002-acme-00000000.json",
        r#"{"version": 3, "calls": {}}"#,
    );
    assert!(outbox.claim(&path).is_none());
    assert!(path.exists());
}

#[cfg(unix)]
#[test]
fn files_others_could_have_written_are_ignored_and_left() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let path = outbox.save_one(&entry("acme.atlassian.net", 1)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert!(outbox.claim(&path).is_none());
    assert!(path.exists(), "not ours to move");
    assert_eq!(outbox.set_aside()[0].kind, Kind::Ignored);
    assert!(outbox.set_aside()[0].reason.contains("others can write"));
    // Only root may give a file away; elsewhere there is nothing more to check.
    let owned = outbox.save_one(&entry("acme.atlassian.net", 2)).unwrap();
    if std::os::unix::fs::chown(&owned, Some(54_321), None).is_ok() {
        assert!(outbox.claim(&owned).is_none());
        assert!(owned.exists());
        assert!(
            outbox
                .set_aside()
                .iter()
                .any(|s| s.reason.contains("another user"))
        );
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_in_the_outbox_cannot_hang_a_claim() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let fifo = dir.path().join("0000000000001-acme-00000000.json");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    assert!(outbox.claim(&fifo).is_none());
    assert!(outbox.set_aside()[0].reason.contains("FIFO"));
}

/// Whatever bears a queued file's name but is not a regular file is set aside, said,
/// and listed: a FIFO, a directory, a dangling symbolic link, and a symbolic link to a
/// valid entry elsewhere, which is never followed (it could be anyone's file).
#[cfg(unix)]
#[test]
fn special_files_are_set_aside_and_links_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    fs::create_private_dir(dir.path()).unwrap();
    let fifo = dir.path().join("0000000000001-acme-00000001.json");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    let directory = dir.path().join("0000000000002-acme-00000002.json");
    std::fs::create_dir(&directory).unwrap();
    let dangling = dir.path().join("0000000000003-acme-00000003.json");
    std::os::unix::fs::symlink(elsewhere.path().join("nothing"), &dangling).unwrap();
    let valid = Outbox::new(elsewhere.path())
        .save_one(&entry("acme.atlassian.net", 4))
        .unwrap();
    let link = dir.path().join("0000000000004-acme-00000004.json");
    std::os::unix::fs::symlink(&valid, &link).unwrap();

    assert_eq!(outbox.pending(None), Vec::<PathBuf>::new());
    let set_aside = outbox.set_aside();
    let reasons: Vec<(&Path, &str)> = set_aside
        .iter()
        .map(|s| (s.file.as_path(), s.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (fifo.as_path(), "not a regular file but a named pipe (FIFO)"),
            (directory.as_path(), "not a regular file but a directory"),
            (dangling.as_path(), "not a regular file but a symbolic link"),
            (link.as_path(), "not a regular file but a symbolic link"),
        ]
    );
    assert!(
        set_aside
            .iter()
            .all(|s| s.kind == Kind::Ignored && s.moved_to.is_none())
    );
    assert!(outbox.claim(&link).is_none(), "a claim does not follow it either");
    assert!(valid.exists() && link.exists(), "nothing moved or deleted");

    let listed = outbox.list(Utc::now());
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert!(listed.iter().all(|l| l.state == State::Ignored), "{listed:?}");
    assert_eq!(
        listed[3].last_error.as_deref(),
        Some("not a regular file but a symbolic link")
    );
}

#[test]
fn orphaned_temporaries_are_recovered_or_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let complete = serde_json::to_vec(&entry("acme.atlassian.net", 1_000)).unwrap();
    plant(dir.path(), ".tmpAbC123", std::str::from_utf8(&complete).unwrap());
    plant(
        dir.path(),
        ".tmpDeF456",
        std::str::from_utf8(&complete[..complete.len() / 2]).unwrap(),
    );
    let pending = outbox.pending(None);
    assert_eq!(pending.len(), 1, "{:?}", files(dir.path()));
    assert!(name(&pending[0]).starts_with("0000000001000-acme_atlassian_net-"));
    assert_eq!(
        files(dir.path()).len(),
        1,
        "the incomplete one is gone: {:?}",
        files(dir.path())
    );
    assert_eq!(outbox.claim(&pending[0]).unwrap().entry.requests.len(), 1);
}

#[test]
fn temporaries_being_written_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    fs::create_private_dir(dir.path()).unwrap();
    plant(dir.path(), ".tmpAbC123", "{\"vers");
    // A writer at work holds the lock shared.
    let writer = outbox.writing().unwrap();
    assert!(outbox.pending(None).is_empty());
    assert!(
        dir.path().join(".tmpAbC123").exists(),
        "not discarded under a writer"
    );
    drop(writer);
    assert!(outbox.pending(None).is_empty());
    assert!(
        !dir.path().join(".tmpAbC123").exists(),
        "an orphan once no one writes"
    );
}

#[test]
fn saving_never_replaces_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    for _ in 0..5 {
        outbox.save_one(&entry("acme.atlassian.net", 1)).unwrap();
    }
    assert_eq!(outbox.pending(None).len(), 5);
    assert!(files(dir.path()).iter().all(|n| !n.starts_with(".tmp")));
}

#[test]
fn the_listing_says_what_is_where_and_how_old() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let mut old = entry(
        "acme.atlassian.net",
        (now - TimeDelta::days(40)).timestamp_millis(),
    );
    old.last_error = Some("the builds request failed: 503".into());
    old.requests.push(Call {
        method: reqwest::Method::DELETE,
        api: Api::Deployments,
        operation: "pipelines/p/environments/prod/deployments/3".into(),
        body: None,
        subject: None,
    });
    outbox.save_one(&old).unwrap();
    outbox
        .save_one(&entry(
            "acme.atlassian.net",
            (now - TimeDelta::minutes(5)).timestamp_millis(),
        ))
        .unwrap();
    plant(dir.path(), "0000000000001-x-00000000.json", "{");
    let _ = outbox.claim(&dir.path().join("0000000000001-x-00000000.json"));

    let listed = outbox.list(now);
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0].state, State::Queued);
    assert_eq!(listed[0].command.as_deref(), Some("build, delete deployment"));
    assert_eq!(listed[0].entities, 2);
    assert!(listed[0].stale);
    assert_eq!(
        listed[0].last_error.as_deref(),
        Some("the builds request failed: 503")
    );
    assert!(!listed[1].stale);
    assert_eq!(age(listed[1].age_seconds.unwrap()), "5m");
    assert_eq!(listed[2].state, State::Corrupt);
    assert_eq!(listed[2].id, "0000000000001-x-00000000");

    let dropped = outbox.drop_entry(&listed[0].id, now).unwrap();
    assert_eq!(dropped.id, listed[0].id);
    assert!(!listed[0].file.exists());
    assert!(outbox.drop_entry(&listed[0].id, now).is_err(), "already gone");
    assert!(outbox.drop_entry("../x", now).is_err(), "an id is never a path");
    outbox.drop_entry("0000000000001-x-00000000", now).unwrap();
    assert_eq!(outbox.list(now).len(), 1);
}

#[test]
fn an_entry_being_delivered_is_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let path = outbox.save_one(&entry("acme.atlassian.net", 1)).unwrap();
    let id = path.file_stem().unwrap().to_str().unwrap().to_owned();
    let claimed = outbox.claim(&path).unwrap();
    let error = Outbox::new(dir.path())
        .drop_entry(&id, DateTime::UNIX_EPOCH)
        .unwrap_err();
    assert!(error.contains("being delivered"), "{error}");
    drop(claimed);
    Outbox::new(dir.path())
        .drop_entry(&id, DateTime::UNIX_EPOCH)
        .unwrap();
}

#[test]
fn ages_read_like_people_say_them() {
    assert_eq!(age(0), "0s");
    assert_eq!(age(40), "40s");
    assert_eq!(age(125), "2m 5s");
    assert_eq!(age(3_600), "1h");
    assert_eq!(age(3 * 86_400 + 4 * 3_600 + 59), "3d 4h");
    assert_eq!(age(-5), "0s");
}

/// Holds `dir/.lock` alone, as a recovering jira-send (or any other process) would.
fn hold_lock_alone(dir: &Path) -> std::fs::File {
    fs::create_private_dir(dir).unwrap();
    let lock = fs::open_lock(&dir.join(".lock")).unwrap();
    lock.lock().unwrap();
    lock
}

#[test]
fn a_lock_held_elsewhere_makes_a_save_fail_at_the_deadline_never_hang() {
    let dir = tempfile::tempdir().unwrap();
    let _held = hold_lock_alone(dir.path());
    // The run's deadline has passed: the writer still waits LOCK_GRACE, then gives up.
    let outbox = Outbox::new(dir.path()).giving_up(crate::clock::deadline_in(Duration::ZERO), || None);
    let error = outbox.save_one(&entry("acme.atlassian.net", 1)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    assert!(
        error.to_string().contains("another process holds the lock"),
        "{error}"
    );
    assert!(error.to_string().contains(".lock"), "{error}");
    assert!(
        files(dir.path()).is_empty(),
        "nothing written: {:?}",
        files(dir.path())
    );
}

#[test]
fn a_signal_ends_the_wait_for_the_lock_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let _held = hold_lock_alone(dir.path());
    let far = crate::clock::deadline_in(Duration::from_secs(3600));
    let outbox = Outbox::new(dir.path()).giving_up(far, || Some("SIGTERM"));
    let error = outbox.save_one(&entry("acme.atlassian.net", 1)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Interrupted);
    assert!(
        error
            .to_string()
            .starts_with("SIGTERM arrived while another process held the lock"),
        "{error}"
    );
}

#[test]
fn a_lock_released_in_time_lets_the_save_through() {
    let dir = tempfile::tempdir().unwrap();
    let held = hold_lock_alone(dir.path());
    let releasing = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        drop(held);
    });
    let far = crate::clock::deadline_in(Duration::from_secs(3600));
    let outbox = Outbox::new(dir.path()).giving_up(far, || None);
    outbox.save_one(&entry("acme.atlassian.net", 1)).unwrap();
    releasing.join().unwrap();
    assert_eq!(outbox.pending(None).len(), 1);
}

#[test]
fn an_entry_too_large_for_one_file_is_split_in_order_and_each_piece_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let large = large_entry(10, 1_000);
    let limit = 4_000;
    let files = outbox.save_within(&large, limit).unwrap();
    assert!(files.len() >= 3, "{files:?}");
    for file in &files {
        let size = std::fs::metadata(file).unwrap().len();
        assert!(size <= limit, "{} is {size} bytes", file.display());
    }
    assert_eq!(
        outbox.pending(None),
        files,
        "queued in the order of their requests"
    );
    let mut numbers = Vec::new();
    for file in &files {
        let piece = outbox.claim(file).unwrap().entry;
        assert_eq!(piece.site, large.site);
        assert_eq!(piece.cloud_id, large.cloud_id);
        assert_eq!(piece.last_error, large.last_error);
        numbers.extend(piece.requests.iter().map(|r| {
            r.body.as_ref().unwrap()["builds"][0]["buildNumber"]
                .as_u64()
                .unwrap()
        }));
    }
    assert_eq!(
        numbers,
        (1..=10).collect::<Vec<_>>(),
        "every request, once, in order"
    );
}

/// A piece carries its own time (a millisecond after the one before), which may be
/// longer as text than the entry's ("…:01Z" against "…:01.001Z"): no piece may pass
/// the limit by that, whatever the limit.
#[test]
fn no_piece_passes_the_limit_by_its_later_timestamp() {
    let mut large = large_entry(3, 10);
    large.created_at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let mut split = 0;
    for limit in 300..800 {
        let dir = tempfile::tempdir().unwrap();
        // Below some limit one request alone does not fit: refused, nothing written.
        let Ok(files) = Outbox::new(dir.path()).save_within(&large, limit) else {
            continue;
        };
        split += usize::from(files.len() > 1);
        for file in &files {
            let size = std::fs::metadata(file).unwrap().len();
            assert!(size <= limit, "limit {limit}: {} is {size} bytes", file.display());
        }
    }
    assert!(split > 100, "only {split} limits split the entry");
}

#[test]
fn an_entry_that_fits_stays_one_indented_file() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let files = outbox.save_within(&large_entry(10, 1_000), 1_000_000).unwrap();
    assert_eq!(files.len(), 1);
    assert!(
        std::fs::read_to_string(&files[0])
            .unwrap()
            .contains("\n  \"version\": 1")
    );
}

#[test]
fn a_request_larger_than_any_file_may_be_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let error = outbox.save_within(&large_entry(3, 5_000), 4_000).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::FileTooLarge);
    assert!(
        error.to_string().contains("larger than an outbox file may be"),
        "{error}"
    );
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
}
