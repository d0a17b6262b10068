use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::common::{FakeJira, TestRepo, github_push, jira_send, json, stderr};
use crate::spec::assert_official_accepts;

fn hosted(branch: &str) -> TestRepo {
    let repo = TestRepo::new(branch);
    repo.remote("origin", "git@github.com:acme/app.git");
    repo
}

fn run(repo: &TestRepo, jira: &FakeJira, home: &std::path::Path, args: &[&str]) -> std::process::Output {
    jira.jira_send(home)
        .current_dir(repo.path())
        .arg("devinfo")
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn fifteen_hundred_keyed_commits_arrive_exactly_once_within_every_limit() {
    let jira = FakeJira::start().await;
    let repo = hosted("main");
    let first = repo.commit("ABC-1 the first keyed commit");
    for i in 2..=1501 {
        repo.commit(&format!("ABC-{i} change number {i}"));
    }
    let home = tempfile::tempdir().unwrap();
    let output = run(
        &repo,
        &jira,
        home.path(),
        &[
            "--since",
            &first.to_string(),
            "--max-commits",
            "5000",
            "--output",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let bodies = jira.bulk_bodies("devinfo").await;
    assert_eq!(bodies.len(), 4, "400 + 400 + 400 + 300");
    let mut ids: Vec<String> = Vec::new();
    for body in &bodies {
        assert_official_accepts("devinfo", body);
        let repository = &body["repositories"][0];
        let commits = repository["commits"].as_array().unwrap();
        assert!(commits.len() <= 400);
        let entities = commits.len()
            + repository["branches"].as_array().map_or(0, Vec::len)
            + repository["pullRequests"].as_array().map_or(0, Vec::len);
        assert!(entities <= 1000);
        ids.extend(commits.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(ids.len(), 1500);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1500, "no commit twice");
    assert!(!ids.contains(&first.to_string()), "the range excludes its start");
    let accepted: usize = json(&output)["sites"][0]["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["commits"].as_array().unwrap().len())
        .sum();
    assert_eq!(accepted, 1500, "the report adds up the four answers");
}

#[tokio::test]
async fn the_default_commit_cap_is_named_in_a_warning() {
    let jira = FakeJira::start().await;
    let repo = hosted("main");
    let first = repo.commit("start");
    for i in 1..=1005 {
        repo.commit(&format!("ABC-{i}"));
    }
    let home = tempfile::tempdir().unwrap();
    let output = run(
        &repo,
        &jira,
        home.path(),
        &["--since", &first.to_string(), "--dry-run", "--output", "json"],
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("--max-commits"), "{}", stderr(&output));
}

#[tokio::test]
async fn commits_carry_files_lines_and_merge_flags() {
    let jira = FakeJira::start().await;
    let repo = hosted("main");
    let base = repo.commit_files(
        "initial",
        &[("old.txt", "a\nb\nc\n"), ("gone.txt", "x\n"), ("keep.txt", "1\n")],
        &[],
    );
    let many: Vec<(String, String)> = (0..12)
        .map(|i| (format!("many/f{i}.txt"), format!("{i}\n")))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    let wide = repo.commit_files("ABC-2 twelve new files", &many, &[]);
    repo.commit_files(
        "ABC-3 edit, add and delete",
        &[("old.txt", "a\nB\nc\nd\n"), ("new.txt", "n\n")],
        &["gone.txt"],
    );
    let side = repo.side_commit(wide, "side work");
    let merge = repo.merge("Merge ABC-4 into main", side);
    let home = tempfile::tempdir().unwrap();
    let output = run(&repo, &jira, home.path(), &["--since", &base.to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let body = &jira.bulk_bodies("devinfo").await[0];
    assert_official_accepts("devinfo", body);
    let repository = &body["repositories"][0];
    assert_eq!(repository["id"], "github.com~acme~app");
    assert_eq!(repository["name"], "app");
    assert_eq!(repository["url"], "https://github.com/acme/app");
    let commit = |message_start: &str| -> Value {
        repository["commits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["message"].as_str().unwrap().starts_with(message_start))
            .unwrap()
            .clone()
    };
    let twelve = commit("ABC-2");
    assert_eq!(twelve["fileCount"], 12);
    assert_eq!(twelve["files"].as_array().unwrap().len(), 10);
    assert_eq!(twelve["issueKeys"], json!(["ABC-2"]));
    assert_eq!(twelve["displayId"], wide.to_string()[..7]);
    assert_eq!(
        twelve["url"],
        format!("https://github.com/acme/app/commit/{wide}")
    );
    assert_eq!(
        twelve["author"],
        json!({"name": "Test Author", "email": "author@example.com"})
    );

    let edit = commit("ABC-3");
    assert_eq!(edit["fileCount"], 3);
    let files: Vec<(String, String, u64, u64)> = edit["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["changeType"].as_str().unwrap().to_owned(),
                f["linesAdded"].as_u64().unwrap(),
                f["linesRemoved"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        files.contains(&("old.txt".into(), "MODIFIED".into(), 2, 1)),
        "{files:?}"
    );
    assert!(
        files.contains(&("new.txt".into(), "ADDED".into(), 1, 0)),
        "{files:?}"
    );
    assert!(
        files.contains(&("gone.txt".into(), "DELETED".into(), 0, 1)),
        "{files:?}"
    );

    let merged = commit("Merge ABC-4");
    assert_eq!(merged["id"], merge.to_string());
    assert_eq!(merged["flags"], json!(["MERGE_COMMIT"]));
    assert!(
        repository["commits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["message"] != "side work")
    );
}

#[tokio::test]
async fn a_failed_entity_is_reported_and_fails_the_step() {
    let jira = FakeJira::start().await;
    let repo = hosted("main");
    let base = repo.commit("start");
    let bad = repo.commit("ABC-1 rejected by Jira");
    repo.commit("ABC-2 accepted");
    jira.fail_commits.lock().unwrap().push(bad.to_string());
    let home = tempfile::tempdir().unwrap();
    let output = run(
        &repo,
        &jira,
        home.path(),
        &["--since", &base.to_string(), "--output", "json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(
        report["sites"][0]["rejected"],
        json!([{
            "key": {"repositoryId": "github.com~acme~app", "entityType": "commit", "entityId": bad.to_string()},
            "errors": ["commit message too long"]
        }])
    );
    assert_eq!(
        report["sites"][0]["accepted"][0]["repositoryId"],
        "github.com~acme~app"
    );
    assert_eq!(
        report["sites"][0]["accepted"][0]["commits"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_pull_request_run_sends_the_branch_and_the_pull_request() {
    let jira = FakeJira::start().await;
    let repo = hosted("feature/ABC-5-login");
    let base = repo.commit("base");
    let head = repo.commit("Add the login form");
    let home = tempfile::tempdir().unwrap();
    let event = json!({"pull_request": {
        "number": 12, "title": "PRJ-77 Better login", "html_url": "https://github.com/acme/app/pull/12",
        "user": {"login": "octocat"},
        "head": {"ref": "feature/ABC-5-login"}, "base": {"ref": "main", "sha": base.to_string()}
    }});
    let event_path = home.path().join("pr.json");
    std::fs::write(&event_path, event.to_string()).unwrap();
    let mut env = github_push("feature/ABC-5-login", None, home.path());
    env.retain(|(k, _)| k != "GITHUB_EVENT_PATH");
    env.push((
        "GITHUB_EVENT_PATH".into(),
        event_path.to_string_lossy().into_owned(),
    ));
    env.push(("GITHUB_HEAD_REF".into(), "feature/ABC-5-login".into()));
    let output = jira
        .jira_send(home.path())
        .current_dir(repo.path())
        .envs(env)
        .arg("devinfo")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = &jira.bulk_bodies("devinfo").await[0];
    assert_official_accepts("devinfo", body);
    let repository = &body["repositories"][0];
    assert_eq!(
        repository["commits"],
        json!([]),
        "no commit message carries a key"
    );
    let branch = &repository["branches"][0];
    assert_eq!(branch["name"], "feature/ABC-5-login");
    assert_eq!(branch["issueKeys"], json!(["ABC-5"]));
    assert_eq!(branch["lastCommit"]["id"], head.to_string());
    assert_eq!(
        branch["url"],
        "https://github.com/acme/app/tree/feature/ABC-5-login"
    );
    let pr = &repository["pullRequests"][0];
    assert_eq!(pr["id"], "12");
    assert_eq!(pr["displayId"], "#12");
    assert_eq!(pr["status"], "OPEN");
    assert_eq!(pr["title"], "PRJ-77 Better login");
    assert_eq!(pr["issueKeys"], json!(["PRJ-77", "ABC-5"]));
    assert_eq!(pr["sourceBranch"], "feature/ABC-5-login");
    assert_eq!(pr["destinationBranch"], "main");
    assert_eq!(pr["author"], json!({"name": "octocat"}));
    assert_eq!(pr["url"], "https://github.com/acme/app/pull/12");
}

#[tokio::test]
async fn a_remote_that_is_not_hosted_needs_a_repository_url() {
    let jira = FakeJira::start().await;
    let repo = TestRepo::new("main");
    repo.remote("origin", "/srv/git/app.git");
    repo.commit("ABC-1 work");
    let home = tempfile::tempdir().unwrap();
    let output = run(&repo, &jira, home.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--repository-url"),
        "{}",
        stderr(&output)
    );
    let output = run(
        &repo,
        &jira,
        home.path(),
        &[
            "--repository-url",
            "https://git.example.com/team/app",
            "--dry-run",
            "--output",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = &json(&output)["sites"][0]["requests"][0]["body"];
    assert_eq!(body["repositories"][0]["id"], "git.example.com~team~app");
    assert!(jira.server.received_requests().await.unwrap().is_empty());
}

/// Every string under a key that names a link (`url`, `…Url`, `…Uri`).
fn links(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, value) in fields {
                match value {
                    Value::String(s) if key == "url" || key.ends_with("Url") || key.ends_with("Uri") => {
                        out.push(s.clone());
                    }
                    other => links(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| links(item, out)),
        _ => {}
    }
}

/// Issue 9, item 1: file paths, branch names and repository paths with what git allows
/// in them (spaces, `#`, `?`, `%`, non-ASCII, emoji) make URLs Jira accepts, for every
/// forge's URL scheme: in a dry run, and in a real send the fake Jira checks.
#[tokio::test]
async fn names_git_allows_make_valid_urls_for_every_forge() {
    let files = [
        ("docs/My File é.md", "a\n"),
        ("odd/a#b?c%d.txt", "b\n"),
        ("emoji/🚀 launch.md", "c\n"),
        ("100%/50% done.txt", "d\n"),
    ];
    // Git refuses spaces and `?` in branch names; `#`, `%`, non-ASCII and emoji it takes.
    let branch = "feature/ABC-1-#50%-é-🚀";
    let forges = [
        (
            "git@github.com:acme/app.git",
            "https://github.com/acme/app/blob/{sha}/docs/My%20File%20%C3%A9.md",
            "https://github.com/acme/app/tree/feature/ABC-1-%2350%25-%C3%A9-%F0%9F%9A%80",
        ),
        (
            "git@gitlab.example.com:acme/My Project é.git",
            "https://gitlab.example.com/acme/My%20Project%20%C3%A9/-/blob/{sha}/docs/My%20File%20%C3%A9.md",
            "https://gitlab.example.com/acme/My%20Project%20%C3%A9/-/tree/feature/ABC-1-%2350%25-%C3%A9-%F0%9F%9A%80",
        ),
        (
            "git@bitbucket.org:acme/app.git",
            "https://bitbucket.org/acme/app/src/{sha}/docs/My%20File%20%C3%A9.md",
            "https://bitbucket.org/acme/app/branch/feature/ABC-1-%2350%25-%C3%A9-%F0%9F%9A%80",
        ),
        (
            "https://dev.azure.com/acme/Fabrikam%20Fiber/_git/Fabrikam%20Fiber",
            "https://dev.azure.com/acme/Fabrikam%20Fiber/_git/Fabrikam%20Fiber?path=/docs/My%20File%20%C3%A9.md&version=GC{sha}",
            "https://dev.azure.com/acme/Fabrikam%20Fiber/_git/Fabrikam%20Fiber?version=GBfeature/ABC-1-%2350%25-%C3%A9-%F0%9F%9A%80",
        ),
        (
            "https://git.example.com/team/my app.git",
            "https://git.example.com/team/my%20app/blob/{sha}/docs/My%20File%20%C3%A9.md",
            "https://git.example.com/team/my%20app/tree/feature/ABC-1-%2350%25-%C3%A9-%F0%9F%9A%80",
        ),
    ];
    for (remote, file_url, branch_url) in forges {
        let jira = FakeJira::start().await;
        let repo = TestRepo::new(branch);
        repo.remote("origin", remote);
        let base = repo.commit("start");
        let sha = repo.commit_files("ABC-1 odd names", &files, &[]);
        let home = tempfile::tempdir().unwrap();
        let since = base.to_string();
        let dry = run(
            &repo,
            &jira,
            home.path(),
            &["--since", &since, "--dry-run", "--output", "json"],
        );
        assert_eq!(dry.status.code(), Some(0), "{remote}: {}", stderr(&dry));
        let body = json(&dry)["sites"][0]["requests"][0]["body"].clone();
        assert_official_accepts("devinfo", &body);
        let mut urls = Vec::new();
        links(&body, &mut urls);
        assert!(urls.len() >= 7, "{remote}: {urls:?}");
        for url in &urls {
            assert!(url.is_ascii() && !url.contains(' '), "{remote}: {url}");
            assert_eq!(
                url::Url::parse(url).unwrap().as_str(),
                url,
                "{remote}: a URL in normal form"
            );
        }
        let repository = &body["repositories"][0];
        let file = repository["commits"][0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "docs/My File é.md")
            .unwrap_or_else(|| panic!("{remote}: {repository}"));
        assert_eq!(
            file["url"],
            file_url.replace("{sha}", &sha.to_string()),
            "{remote}"
        );
        // Jira's storage takes no emoji in names (the link keeps it, encoded).
        assert_eq!(repository["branches"][0]["name"], "feature/ABC-1-#50%-é-\u{FFFD}");
        assert_eq!(repository["branches"][0]["url"], branch_url, "{remote}");

        let sent = run(&repo, &jira, home.path(), &["--since", &since]);
        assert_eq!(sent.status.code(), Some(0), "{remote}: {}", stderr(&sent));
        let received = jira.bulk_bodies("devinfo").await;
        assert_eq!(received.len(), 1, "{remote}");
        assert_official_accepts("devinfo", &received[0]);
        assert_eq!(received[0]["repositories"][0]["branches"][0]["url"], branch_url);
    }
}

/// Issue 9, item 1: a branch name git itself refuses (a space, `?`) can still come from
/// a CI variable or `--branch`; its links are encoded all the same, in devinfo and in a
/// build's reference.
#[tokio::test]
async fn branch_names_from_outside_git_are_encoded_too() {
    let jira = FakeJira::start().await;
    let repo = hosted("main");
    repo.commit("ABC-1 work");
    let home = tempfile::tempdir().unwrap();
    let branch = "release/ABC-2 Q1? 100% é";
    let expected = "https://github.com/acme/app/tree/release/ABC-2%20Q1%3F%20100%25%20%C3%A9";
    let output = run(
        &repo,
        &jira,
        home.path(),
        &["--branch", branch, "--dry-run", "--output", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = &json(&output)["sites"][0]["requests"][0]["body"];
    assert_official_accepts("devinfo", body);
    assert_eq!(body["repositories"][0]["branches"][0]["url"], expected);

    let output = jira_send(home.path())
        .current_dir(repo.path())
        .args([
            "build",
            "--branch",
            branch,
            "--build-number",
            "1",
            "--dry-run",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = &json(&output)["sites"][0]["requests"][0]["body"];
    assert_official_accepts("builds", body);
    assert_eq!(body["builds"][0]["references"][0]["ref"]["uri"], expected);
}

/// Two branches whose names differ only in a character ids do not allow (`/` and `#`)
/// get different ids, or each send would overwrite the other branch in Jira. A plain
/// name keeps the id it always had (`/` → `~`), so branches already in Jira stay put.
#[tokio::test]
async fn branch_names_that_differ_get_different_ids() {
    let jira = FakeJira::start().await;
    let repo = hosted("main");
    repo.commit("PROJ-1 work");
    let home = tempfile::tempdir().unwrap();
    let id = |branch: &str| {
        let output = run(
            &repo,
            &jira,
            home.path(),
            &["--branch", branch, "--dry-run", "--output", "json"],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let body = &json(&output)["sites"][0]["requests"][0]["body"];
        assert_official_accepts("devinfo", body);
        assert_eq!(body["repositories"][0]["branches"][0]["name"], branch);
        body["repositories"][0]["branches"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let plain = id("fix/PROJ-1");
    let other = id("fix#PROJ-1");
    assert_eq!(plain, "fix~PROJ-1", "a plain name keeps today's id");
    assert_ne!(plain, other);
    assert!(other.starts_with("fix~PROJ-1.."), "{other}");
}
