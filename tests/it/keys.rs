use pretty_assertions::assert_eq;
use serde_json::json;

use crate::common::repo::git;
use crate::common::{TestRepo, github_push, jira_send, json, stderr, stdout};

#[test]
fn keys_come_from_the_branch_and_the_range_in_first_seen_order() {
    let repo = TestRepo::new("feature/ABC-123-login");
    let base = repo.commit("Initial commit, mentions OLD-1");
    repo.commit("DEF-1: add the form\n\nAlso touches ABC-123.");
    let head = repo.commit("Bump log4j for CVE-2021-44228 (SEC-5)");
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .args(["keys", "--since", &base.to_string(), "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["issueKeys"], json!(["ABC-123", "SEC-5", "DEF-1"]));
    let short = |id: git2::Oid| format!("commit:{}", &id.to_string()[..7]);
    assert_eq!(report["keySources"]["SEC-5"], json!([short(head)]));
    assert_eq!(report["keySources"]["ABC-123"][0], "branch");
    assert_eq!(report["keySources"]["ABC-123"].as_array().unwrap().len(), 2);
    assert_eq!(
        report["range"],
        json!({
            "from": base.to_string(),
            "to": head.to_string(),
            "commits": 2,
            "fromSource": "since",
            "fromDetail": format!("--since {base}"),
            "truncated": false,
        })
    );

    let text = stdout(
        &jira_send(home.path())
            .current_dir(repo.path())
            .args(["keys", "--since", &base.to_string()])
            .output()
            .unwrap(),
    );
    assert!(text.starts_with("ABC-123  branch, commit:"), "{text}");
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn without_a_range_head_alone_is_read() {
    let repo = TestRepo::new("main");
    repo.commit("ABC-1 old");
    repo.commit("ABC-2 new");
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .args(["keys", "--output", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(report["issueKeys"], json!(["ABC-2"]));
    assert_eq!(report["range"]["commits"], 1);
    assert_eq!(report["range"]["from"], json!(null));
}

#[test]
fn the_ci_range_is_used_and_a_range_start_missing_from_a_shallow_clone_is_a_warning() {
    let repo = TestRepo::new("main");
    repo.commit("ABC-1 very old");
    let boundary = repo.commit("ABC-2 first in the clone");
    repo.commit("ABC-3 newest");
    repo.make_shallow(boundary);
    let home = tempfile::tempdir().unwrap();
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .envs(github_push("main", Some(missing), home.path()))
        .args(["keys", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not in this shallow clone"),
        "{}",
        stderr(&output)
    );
    let report = json(&output);
    assert_eq!(
        report["issueKeys"],
        json!(["ABC-3", "ABC-2"]),
        "the history the clone has, no further"
    );
}

#[test]
fn since_tag_starts_at_the_newest_matching_tag_before_head() {
    let repo = TestRepo::new("main");
    let v1 = repo.commit("ABC-1 in v1");
    repo.tag("v1.0.0", v1);
    let v2 = repo.commit("ABC-2 in v2");
    repo.tag("v2.0.0", v2);
    repo.tag("nightly", v2);
    repo.commit("ABC-3 after v2");
    let head = repo.commit("ABC-4 head");
    repo.tag("v3.0.0", head);
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .args(["keys", "--since-tag", "v*", "--output", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(
        report["issueKeys"],
        json!(["ABC-4", "ABC-3"]),
        "HEAD's own tag is not the start"
    );
    assert_eq!(report["range"]["from"], v2.to_string(), "the commit, not the tag");
    assert_eq!(report["range"]["fromDetail"], "--since-tag v*: v2.0.0");
}

/// `range.from` is the commit the range starts at, however `--since` named it (a tag,
/// a branch, `HEAD~2`); the name given stays in `fromDetail`. So for a deployment.
#[test]
fn range_from_is_the_commit_however_since_named_it() {
    let repo = TestRepo::new("main");
    let v1 = repo.commit("ABC-1 in v1");
    repo.tag("v1.0", v1);
    repo.commit("ABC-2 after v1");
    let head = repo.commit("ABC-3 head");
    let home = tempfile::tempdir().unwrap();
    let deployment = [
        "deployment",
        "--environment",
        "Production EU",
        "--deployment-number",
        "1",
        "--url",
        "https://ci.example.com/run/1",
        "--dry-run",
    ];
    for (args, since) in [
        (&["keys"][..], "v1.0"),
        (&["keys"][..], "HEAD~2"),
        (&deployment[..], "v1.0"),
    ] {
        let output = jira_send(home.path())
            .current_dir(repo.path())
            .args(args)
            .args(["--since", since, "--output", "json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
        let range = &json(&output)["range"];
        assert_eq!(range["from"], v1.to_string(), "{args:?}");
        assert_eq!(range["to"], head.to_string(), "{args:?}");
        assert_eq!(range["fromDetail"], format!("--since {since}"), "{args:?}");
    }
}

#[test]
fn max_commits_bounds_the_walk_with_a_warning() {
    let repo = TestRepo::new("main");
    let base = repo.commit("start");
    for i in 1..=5 {
        repo.commit(&format!("ABC-{i}"));
    }
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .args([
            "keys",
            "--since",
            &base.to_string(),
            "--max-commits",
            "2",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(json(&output)["issueKeys"], json!(["ABC-5", "ABC-4"]));
    assert!(stderr(&output).contains("--max-commits"), "{}", stderr(&output));
}

#[test]
fn projects_and_ignore_case_shape_what_is_found() {
    let repo = TestRepo::new("feature/abc-9-lowercase");
    repo.commit("XYZ-1 and ABC-2 and utf-8");
    let home = tempfile::tempdir().unwrap();
    let keys = |args: &[&str]| {
        let output = jira_send(home.path())
            .current_dir(repo.path())
            .args(["keys", "--output", "json"])
            .args(args)
            .output()
            .unwrap();
        json(&output)["issueKeys"].clone()
    };
    assert_eq!(keys(&[]), json!(["XYZ-1", "ABC-2"]));
    assert_eq!(keys(&["--projects", "ABC"]), json!(["ABC-2"]));
    assert_eq!(
        keys(&["--ignore-case"]),
        json!(["ABC-9", "XYZ-1", "ABC-2", "UTF-8"])
    );
    assert_eq!(
        keys(&["--ignore-case", "--projects", "abc"]),
        json!(["ABC-9", "ABC-2"])
    );
}

#[test]
fn keys_prints_every_key_without_the_payload_cap() {
    let repo = TestRepo::new("main");
    let message: String = (1..=150).map(|i| format!("ABC-{i} ")).collect();
    repo.commit(&message);
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .args(["keys"])
        .output()
        .unwrap();
    assert_eq!(stdout(&output).lines().count(), 150);
}

#[test]
fn a_pull_request_build_reads_the_source_branch_and_title() {
    let repo = TestRepo::new("main");
    let base = repo.commit("base");
    repo.commit("work without a key");
    let home = tempfile::tempdir().unwrap();
    let event = json!({
        "pull_request": {
            "number": 12, "title": "PRJ-77 Better login", "html_url": "https://github.com/acme/app/pull/12",
            "head": {"ref": "feature/ABC-5-login", "sha": "x"},
            "base": {"ref": "main", "sha": base.to_string()}
        }
    });
    let event_path = home.path().join("pr.json");
    std::fs::write(&event_path, event.to_string()).unwrap();
    let mut env = github_push("main", None, home.path());
    env.retain(|(k, _)| !k.starts_with("GITHUB_REF") && k != "GITHUB_EVENT_PATH");
    env.extend([
        ("GITHUB_EVENT_NAME".to_owned(), "pull_request".to_owned()),
        ("GITHUB_REF".to_owned(), "refs/pull/12/merge".to_owned()),
        ("GITHUB_REF_NAME".to_owned(), "12/merge".to_owned()),
        ("GITHUB_HEAD_REF".to_owned(), "feature/ABC-5-login".to_owned()),
        ("GITHUB_BASE_REF".to_owned(), "main".to_owned()),
        (
            "GITHUB_EVENT_PATH".to_owned(),
            event_path.to_string_lossy().into_owned(),
        ),
    ]);
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .envs(env)
        .args(["keys", "--output", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(report["issueKeys"], json!(["ABC-5", "PRJ-77"]));
    assert_eq!(report["keySources"]["PRJ-77"], json!(["pull-request-title"]));
    assert_eq!(report["range"]["from"], base.to_string());
    assert_eq!(report["range"]["commits"], 1);
}

/// Issue 9, item 22: in a real shallow clone (`git clone --depth 1`), a `--since` that
/// names nothing is exit 2, as in a full clone; one that is well formed but reaches
/// past the clone's history reads what the clone has, with a warning.
#[test]
fn a_shallow_clone_warns_only_for_revs_beyond_its_history() {
    let origin = TestRepo::new("main");
    let first = origin.commit("ABC-1 oldest");
    origin.commit("ABC-2 older");
    origin.commit("ABC-3 newest");
    let shallow = origin.shallow_clone(1);
    let full = origin.full_clone();
    let home = tempfile::tempdir().unwrap();
    let keys = |dir: &std::path::Path, since: &str| {
        jira_send(home.path())
            .current_dir(dir)
            .args(["keys", "--since", since, "--output", "json"])
            .output()
            .unwrap()
    };
    assert!(
        shallow.path().join(".git/shallow").exists(),
        "a real shallow clone"
    );

    for typo in ["no/such/ref", "mian", "v9.9.9", "HEAD~1~~nope"] {
        let output = keys(shallow.path(), typo);
        assert_eq!(
            output.status.code(),
            Some(2),
            "shallow, {typo}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("no such commit"), "{}", stderr(&output));
        let output = keys(full.path(), typo);
        assert_eq!(output.status.code(), Some(2), "full, {typo}");
    }

    let short = first.to_string()[..10].to_owned();
    for beyond in [
        first.to_string().as_str(),
        short.as_str(),
        "HEAD~2",
        "origin/main~2",
        "HEAD^",
    ] {
        let output = keys(shallow.path(), beyond);
        assert_eq!(output.status.code(), Some(0), "{beyond}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("beyond the history of this shallow clone"),
            "{beyond}: {}",
            stderr(&output)
        );
        assert_eq!(
            json(&output)["issueKeys"],
            json!(["ABC-3"]),
            "{beyond}: the clone's history"
        );
        // A full clone has them: no warning, the range as asked.
        let output = keys(full.path(), beyond);
        assert_eq!(
            output.status.code(),
            Some(0),
            "full, {beyond}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("shallow"), "{}", stderr(&output));
    }
}

/// Issue 9, item 21: an empty repository runs with `--issue-key`, and says what is
/// missing without it.
#[test]
fn an_empty_repository_runs_with_named_keys() {
    let repo = TestRepo::new("main");
    repo.remote("origin", "git@github.com:acme/new.git");
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        jira_send(home.path())
            .current_dir(repo.path())
            .args(args)
            .output()
            .unwrap()
    };
    let output = run(&["keys", "--issue-key", "ABC-1", "--output", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output)["issueKeys"], json!(["ABC-1"]));

    let output = run(&[
        "build",
        "--issue-key",
        "ABC-1",
        "--build-number",
        "1",
        "--dry-run",
        "--output",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let build = &json(&output)["sites"][0]["requests"][0]["body"]["builds"][0];
    assert_eq!(build["pipelineId"], "github.com/acme/new");
    assert_eq!(
        build["references"][0]["ref"]["name"], "main",
        "HEAD's branch, before its first commit"
    );

    let output = run(&["keys"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no commits yet"), "{}", stderr(&output));
    assert!(stderr(&output).contains("--issue-key"), "{}", stderr(&output));

    let output = run(&["devinfo", "--dry-run", "--output", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        json(&output)["notice"]
            .as_str()
            .unwrap()
            .contains("no commits yet")
    );
}

/// Issue 9, item 21: a SHA-256 repository (which libgit2 cannot read) runs with
/// `--issue-key`, from its folder and remote; without it, the error names what is
/// unsupported.
#[test]
fn a_sha256_repository_runs_with_named_keys_and_says_what_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    std::fs::create_dir(&repo).unwrap();
    git(
        &repo,
        &[
            "init",
            "--quiet",
            "--object-format=sha256",
            "--initial-branch=main",
        ],
    );
    git(
        &repo,
        &[
            "commit",
            "--quiet",
            "--allow-empty",
            "-m",
            "ABC-2 in a SHA-256 repository",
        ],
    );
    git(
        &repo,
        &["remote", "add", "origin", "https://gitlab.com/acme/app.git"],
    );
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        jira_send(home.path())
            .current_dir(&repo)
            .args(args)
            .output()
            .unwrap()
    };
    let output = run(&[
        "build",
        "--issue-key",
        "ABC-2",
        "--build-number",
        "1",
        "--dry-run",
        "--output",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let build = &json(&output)["sites"][0]["requests"][0]["body"]["builds"][0];
    assert_eq!(build["pipelineId"], "gitlab.com/acme/app");
    assert_eq!(build["url"], "https://gitlab.com/acme/app");

    for args in [&["keys"][..], &["devinfo", "--dry-run"][..]] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains("SHA-256"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let output = run(&["env", "--output", "json"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        json(&output)["derived"]["history"]
            .as_str()
            .unwrap()
            .contains("SHA-256")
    );
}

/// `keys` never sends: with no keys found, its warning says where it looked and how to
/// widen the search, not that there is "nothing to send".
#[test]
fn keys_finding_none_says_so_in_its_own_words() {
    let repo = TestRepo::new("main");
    repo.commit("first");
    repo.commit("second, with no key");
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .args(["keys", "--since", "HEAD~1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let warning = stderr(&output);
    assert!(
        warning.contains("no issue keys found in branch main"),
        "{warning}"
    );
    assert!(warning.contains("--since"), "{warning}");
    assert!(!warning.contains("nothing to send"), "{warning}");
}
