//! The CI systems end to end: a recorded set of each system's variables, and the
//! dry-run build the binary derives from them. The recorded jobs of `src/ci/recorded/`
//! run here against real repositories, with their commit ids.

use std::path::Path;

use git2::Oid;
use serde_json::{Value, json};

use crate::common::{TestRepo, jira_send, json, stderr};
use crate::spec::assert_official_accepts;

/// How the recorded jobs are read: the unit tests' own reader.
#[path = "../../src/ci/tests/jobs.rs"]
mod recorded_jobs;

/// The commit ids a recorded job names, here a real repository's.
type Commits = recorded_jobs::Commits<Oid>;

/// The recorded job `name`, its files copied into `dir`, its placeholders filled.
pub fn recorded(name: &str, dir: &Path, commits: Commits) -> Vec<(String, String)> {
    recorded_jobs::load(name, dir, &commits, str::to_owned)
}

/// A pull request of three commits, and a CI's test merge of it into a target branch
/// that moved on: what a pull-request build checks out.
///
/// main: `OLD-1` ← base `OLD-2` ← `OLD-3` (the target, later);
/// the pull request: base ← `ABC-21` ← `ABC-22` (before the last push) ← `ABC-23` (head);
/// HEAD: the merge of head into the target, detached.
pub fn pull_request_repo() -> (TestRepo, Commits) {
    let repo = TestRepo::new("main");
    repo.remote("origin", "git@github.com:acme/app.git");
    repo.commit("OLD-1 initial");
    let base = repo.commit("OLD-2 the pull request's base");
    let first = repo.commit("ABC-21 first");
    let before = repo.commit_with_parents("ABC-22 second", &[first]);
    let head = repo.commit_with_parents("ABC-23 third", &[before]);
    let target = repo.commit_with_parents("OLD-3 later on main", &[base]);
    let merge = repo.commit_with_parents("Merge the pull request into main", &[target, head]);
    repo.detach(merge);
    let commits = Commits {
        head,
        merge,
        base,
        before,
    };
    (repo, commits)
}

fn run_in(repo: &Path, home: &Path, vars: &[(String, String)], args: &[&str]) -> std::process::Output {
    jira_send(home)
        .current_dir(repo)
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args)
        .output()
        .unwrap()
}

/// The build a recorded job sends, dry run.
fn recorded_build(repo: &Path, home: &Path, vars: &[(String, String)], extra: &[&str]) -> (Value, String) {
    let mut args = vec!["build", "--dry-run", "--output", "json"];
    args.extend_from_slice(extra);
    let output = run_in(repo, home, vars, &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let body = json(&output)["sites"][0]["requests"][0]["body"].clone();
    assert_official_accepts("builds", &body);
    (body["builds"][0].clone(), stderr(&output))
}

/// A repository whose HEAD is detached, as CI checkouts of pull requests are: the
/// branch can only come from the CI's variables.
fn detached() -> TestRepo {
    let repo = TestRepo::new("main");
    repo.commit("base");
    let head = repo.commit("work without a key");
    repo.repo.set_head_detached(head).unwrap();
    repo
}

fn dry_build(repo: &TestRepo, home: &std::path::Path, vars: &[(&str, &str)]) -> Value {
    let output = jira_send(home)
        .current_dir(repo.path())
        .envs(vars.iter().copied())
        .args(["build", "--dry-run", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{vars:?}: {}", stderr(&output));
    let report = json(&output);
    let body = report["sites"][0]["requests"][0]["body"].clone();
    assert_official_accepts("builds", &body);
    body["builds"][0].clone()
}

#[test]
fn pull_request_builds_of_five_ci_systems() {
    let repo = detached();
    let home = tempfile::tempdir().unwrap();
    let event = home.path().join("event.json");
    std::fs::write(
        &event,
        json!({"pull_request": {"number": 12, "title": "Better login", "html_url": "https://github.com/acme/app/pull/12",
               "head": {"ref": "feature/ABC-1-login"}, "base": {"ref": "main", "sha": "0000000000000000000000000000000000000001"}}})
        .to_string(),
    )
    .unwrap();
    let event = event.to_string_lossy().into_owned();
    // (system, variables, pipeline id, build number, run URL)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, u64, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "GitHub pull request",
            vec![
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_REPOSITORY", "acme/app"),
                ("GITHUB_WORKFLOW", "CI"),
                ("GITHUB_RUN_NUMBER", "42"),
                ("GITHUB_RUN_ID", "9876543210"),
                ("GITHUB_SERVER_URL", "https://github.com"),
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_REF", "refs/pull/12/merge"),
                ("GITHUB_REF_NAME", "12/merge"),
                ("GITHUB_HEAD_REF", "feature/ABC-1-login"),
                ("GITHUB_BASE_REF", "main"),
                ("GITHUB_EVENT_PATH", &event),
            ],
            "acme/app/CI",
            42,
            "https://github.com/acme/app/actions/runs/9876543210",
        ),
        (
            "GitLab merge request",
            vec![
                ("GITLAB_CI", "true"),
                ("CI_PROJECT_PATH", "acme/app"),
                ("CI_PROJECT_URL", "https://gitlab.com/acme/app"),
                ("CI_PIPELINE_ID", "1234567890"),
                ("CI_PIPELINE_IID", "314"),
                (
                    "CI_PIPELINE_URL",
                    "https://gitlab.com/acme/app/-/pipelines/1234567890",
                ),
                ("CI_MERGE_REQUEST_IID", "7"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/ABC-2-cart"),
                ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
                ("CI_COMMIT_REF_NAME", "feature/ABC-2-cart"),
            ],
            "acme/app",
            314,
            "https://gitlab.com/acme/app/-/pipelines/1234567890",
        ),
        (
            "Jenkins multibranch pull request",
            vec![
                ("JENKINS_URL", "https://ci.acme.com/"),
                ("JOB_NAME", "acme/app/PR-24"),
                ("BUILD_NUMBER", "3"),
                ("BUILD_URL", "https://ci.acme.com/job/acme/job/app/job/PR-24/3/"),
                ("BRANCH_NAME", "PR-24"),
                ("CHANGE_ID", "24"),
                ("CHANGE_BRANCH", "feature/ABC-3-search"),
                ("CHANGE_TARGET", "main"),
            ],
            "acme/app/PR-24",
            3,
            "https://ci.acme.com/job/acme/job/app/job/PR-24/3/",
        ),
        (
            "Azure pull request",
            vec![
                ("TF_BUILD", "True"),
                ("BUILD_BUILDID", "4711"),
                ("BUILD_BUILDNUMBER", "20240115.3"),
                ("BUILD_DEFINITIONNAME", "app-ci"),
                ("SYSTEM_TEAMPROJECT", "Shop"),
                ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/acme/"),
                ("BUILD_SOURCEBRANCH", "refs/pull/9/merge"),
                ("SYSTEM_PULLREQUEST_PULLREQUESTID", "9"),
                ("SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/feature/ABC-4-pay"),
                ("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/main"),
            ],
            "Shop/app-ci",
            4711,
            "https://dev.azure.com/acme/Shop/_build/results?buildId=4711",
        ),
        (
            "Bitbucket deployment step",
            vec![
                ("CI", "true"),
                ("BITBUCKET_BUILD_NUMBER", "88"),
                ("BITBUCKET_REPO_FULL_NAME", "acme/app"),
                ("BITBUCKET_WORKSPACE", "acme"),
                ("BITBUCKET_REPO_SLUG", "app"),
                ("BITBUCKET_BRANCH", "release/ABC-5-q3"),
                ("BITBUCKET_GIT_HTTP_ORIGIN", "https://bitbucket.org/acme/app"),
                ("BITBUCKET_DEPLOYMENT_ENVIRONMENT", "production"),
            ],
            "acme/app",
            88,
            "https://bitbucket.org/acme/app/pipelines/results/88",
        ),
    ];
    for (n, (name, vars, pipeline, number, url)) in cases.into_iter().enumerate() {
        let build = dry_build(&repo, home.path(), &vars);
        assert_eq!(build["pipelineId"], pipeline, "{name}");
        assert_eq!(
            build["buildNumber"],
            json!(number),
            "{name}: an integer build number"
        );
        assert_eq!(build["url"], url, "{name}");
        let key = format!("ABC-{}", n + 1);
        assert_eq!(
            build["issueKeys"],
            json!([key]),
            "{name}: the source branch's key"
        );
        // The same variables in a second run give the same pipeline id.
        assert_eq!(
            dry_build(&repo, home.path(), &vars)["pipelineId"],
            pipeline,
            "{name}: stable"
        );
    }
}

/// Issue 11, items 1 and 2: a pull-request build reports the pull request's head, not
/// the CI's test merge, and reads the keys of all the pull request's commits (not only
/// the last push's, not the target branch's).
#[test]
fn pull_request_builds_report_the_head_and_read_the_pull_requests_own_commits() {
    let (repo, commits) = pull_request_repo();
    for name in [
        "github-pull-request",
        "gitlab-merged-results",
        "azure-pull-request",
    ] {
        let home = tempfile::tempdir().unwrap();
        let vars = recorded(name, home.path(), commits);
        let keys = run_in(repo.path(), home.path(), &vars, &["keys", "--output", "json"]);
        assert_eq!(keys.status.code(), Some(0), "{name}: {}", stderr(&keys));
        let report = json(&keys);
        for key in ["ABC-21", "ABC-22", "ABC-23"] {
            assert!(report["keySources"][key].is_array(), "{name}: {key} in {report}");
        }
        for key in ["OLD-1", "OLD-2", "OLD-3"] {
            assert!(report["keySources"][key].is_null(), "{name}: {key} in {report}");
        }
        assert_eq!(report["range"]["to"], commits.head.to_string(), "{name}");
        assert_eq!(report["range"]["commits"], 3, "{name}");

        let (build, _) = recorded_build(repo.path(), home.path(), &vars, &[]);
        assert_eq!(
            build["references"][0]["commit"]["id"],
            commits.head.to_string(),
            "{name}: the head, not the test merge"
        );
    }
}

/// GitHub's `pull_request_target` checks out the base branch's last commit; a pull
/// request from a fork has its head in no branch the clone fetched. None of the
/// checkout's commits is the pull request's: keys come from the pull request's branch
/// name and title alone, with one warning that says how to check the head out.
#[test]
fn pull_request_target_without_the_head_reads_only_the_pull_request() {
    // Upstream: main OLD-1 ← base OLD-2 ← OLD-3 (main later); the pull request base ←
    // ABC-21 ← ABC-22 ← ABC-23, kept (as GitHub keeps it) at refs/pull/12/head, which a
    // clone does not fetch.
    let upstream = TestRepo::new("main");
    upstream.commit("OLD-1 initial");
    let base = upstream.commit("OLD-2 the pull request's base");
    let first = upstream.commit_with_parents("ABC-21 first", &[base]);
    let second = upstream.commit_with_parents("ABC-22 second", &[first]);
    let head = upstream.commit_with_parents("ABC-23 third", &[second]);
    upstream
        .repo
        .reference("refs/pull/12/head", head, false, "the pull request")
        .unwrap();
    let target = upstream.commit("OLD-3 later on main");
    let clone = upstream.full_clone();
    let commits = Commits {
        head,
        merge: target,
        base,
        before: second,
    };
    let home = tempfile::tempdir().unwrap();
    let vars = recorded("github-pull-request-target", home.path(), commits);

    let keys = run_in(clone.path(), home.path(), &vars, &["keys", "--output", "json"]);
    assert_eq!(keys.status.code(), Some(0), "{}", stderr(&keys));
    let report = json(&keys);
    assert_eq!(
        report["keySources"],
        json!({"ABC-7": ["branch"], "PRJ-77": ["pull-request-title"]}),
        "the branch name and the title, no commit of the checkout"
    );
    assert_eq!(report["range"], Value::Null, "no commit was read");
    let log = stderr(&keys);
    assert_eq!(log.matches("warning:").count(), 1, "{log}");
    assert!(
        log.contains(&format!("head {head} is not checked out"))
            && log.contains("ref: ${{ github.event.pull_request.head.sha }}")
            && log.contains("fetch-depth: 0"),
        "{log}"
    );

    // devinfo describes the pull request alone: no commit and no branch of the checkout.
    let devinfo = run_in(
        clone.path(),
        home.path(),
        &vars,
        &["devinfo", "--dry-run", "--output", "json"],
    );
    assert_eq!(devinfo.status.code(), Some(0), "{}", stderr(&devinfo));
    let body = &json(&devinfo)["sites"][0]["requests"][0]["body"];
    let repository = &body["repositories"][0];
    assert_eq!(repository["pullRequests"][0]["id"], "12", "{body:#}");
    assert!(
        repository["commits"].as_array().is_none_or(Vec::is_empty)
            && repository["branches"].as_array().is_none_or(Vec::is_empty),
        "{body:#}"
    );
}

/// Issue 11, item 3: GitLab's `running` in `script:` is a success; `after_script:`
/// reports the final status. Hostile report, S2: a status GitLab has not documented is
/// `unknown`, never a success, and `-v` says why.
#[test]
fn gitlab_states_of_script_and_after_script() {
    let repo = TestRepo::new("main");
    let base = repo.commit("base");
    let head = repo.commit("ABC-1 work");
    let commits = Commits {
        head,
        merge: head,
        base,
        before: base,
    };
    let home = tempfile::tempdir().unwrap();
    let script = recorded("gitlab-merge-request", home.path(), commits);
    assert_eq!(
        recorded_build(repo.path(), home.path(), &script, &[]).0["state"],
        "successful"
    );
    let status = |status: &str| {
        let mut vars = script.clone();
        for (k, v) in &mut vars {
            if k == "CI_JOB_STATUS" {
                status.clone_into(v);
            }
        }
        vars
    };
    assert_eq!(
        recorded_build(repo.path(), home.path(), &status("failed"), &[]).0["state"],
        "failed"
    );
    let (build, logs) = recorded_build(repo.path(), home.path(), &status("preparing"), &["-v"]);
    assert_eq!(build["state"], "unknown");
    assert!(
        logs.contains(r#"CI_JOB_STATUS is "preparing", which is no state jira-send knows"#),
        "{logs}"
    );
    let deployment = run_in(
        repo.path(),
        home.path(),
        &status("preparing"),
        &[
            "deployment",
            "--dry-run",
            "--output",
            "json",
            "--environment",
            "staging",
        ],
    );
    assert_eq!(deployment.status.code(), Some(0), "{}", stderr(&deployment));
    assert_eq!(
        json(&deployment)["sites"][0]["requests"][0]["body"]["deployments"][0]["state"],
        "unknown"
    );
}

/// Issue 11, item 4: a team project with a space makes a valid payload, under any
/// --fail-on.
#[test]
fn an_azure_team_project_with_a_space_is_encoded() {
    let (repo, commits) = pull_request_repo();
    let home = tempfile::tempdir().unwrap();
    let vars = recorded("azure-pull-request", home.path(), commits);
    let (build, _) = recorded_build(repo.path(), home.path(), &vars, &["--fail-on", "never"]);
    assert_eq!(
        build["url"],
        "https://dev.azure.com/fabrikamfiber/Fabrikam%20Fiber/_build/results?buildId=4711"
    );
    assert_eq!(build["pipelineId"], "Fabrikam Fiber/Fabrikam Fiber CI");
}

/// Issue 11, item 5: Jenkins without a configured URL is Jenkins, and says at -v that
/// no run page is known.
#[test]
fn jenkins_without_a_url_is_jenkins_and_asks_for_one() {
    let repo = TestRepo::new("main");
    repo.remote("origin", "git@github.com:acme/shop.git");
    let base = repo.commit("ABC-30 last successful");
    let head = repo.commit("ABC-31 this build");
    repo.detach(head);
    let home = tempfile::tempdir().unwrap();
    let commits = Commits {
        head,
        merge: head,
        base,
        before: base,
    };
    let vars = recorded("jenkins-no-url", home.path(), commits);
    let (build, log) = recorded_build(repo.path(), home.path(), &vars, &["-v"]);
    assert_eq!(build["pipelineId"], "shop-deploy");
    assert_eq!(build["buildNumber"], 57);
    assert_eq!(
        build["issueKeys"],
        json!(["ABC-31"]),
        "from GIT_PREVIOUS_SUCCESSFUL_COMMIT on"
    );
    assert_eq!(build["references"][0]["ref"]["name"], "main");
    assert!(log.contains("detected Jenkins"), "{log}");
    assert!(log.contains("pass --url"), "{log}");
    let (build, _) = recorded_build(
        repo.path(),
        home.path(),
        &vars,
        &["--url", "https://jenkins.internal/job/shop-deploy/57/"],
    );
    assert_eq!(build["url"], "https://jenkins.internal/job/shop-deploy/57/");
}

/// Issue 11, items 6 to 9, each through the binary: TeamCity's pull request, a
/// CodeBuild branch started by hand, a Buildkite tag, Bitbucket's https links.
#[test]
fn teamcity_codebuild_buildkite_and_bitbucket_jobs() {
    let repo = TestRepo::new("main");
    repo.remote("origin", "git@github.com:acme/app.git");
    let base = repo.commit("base");
    let head = repo.commit("work without a key");
    repo.detach(head);
    let commits = Commits {
        head,
        merge: head,
        base,
        before: base,
    };
    let home = tempfile::tempdir().unwrap();
    let build = |name: &str| {
        let vars = recorded(name, home.path(), commits);
        recorded_build(repo.path(), home.path(), &vars, &["--issue-key", "ABC-99"]).0
    };

    let teamcity = build("teamcity-pull-request");
    assert_eq!(teamcity["references"][0]["ref"]["name"], "feature/ABC-6-search");
    assert_eq!(
        teamcity["references"][0]["ref"]["uri"],
        "https://github.com/acme/app/tree/feature/ABC-6-search"
    );
    let vars = recorded("teamcity-pull-request", home.path(), commits);
    let keys = json(&run_in(
        repo.path(),
        home.path(),
        &vars,
        &["keys", "--output", "json"],
    ));
    assert_eq!(
        keys["keySources"]["ABC-6"],
        json!(["branch", "pull-request-title"])
    );

    let codebuild = build("codebuild-manual");
    assert_eq!(codebuild["references"][0]["ref"]["name"], "release/ABC-11-q1");
    assert_eq!(codebuild["label"], "release/ABC-11-q1");

    let tag = build("buildkite-tag");
    assert_eq!(
        tag["references"][0]["ref"],
        json!({"name": "v1.2.0", "uri": "https://github.com/acme/app/releases/tag/v1.2.0"}),
        "the tag, not a branch"
    );
    assert_eq!(tag["label"], "v1.2.0");

    let bitbucket = build("bitbucket-pull-request");
    assert_eq!(
        bitbucket["url"],
        "https://bitbucket.org/acme/app/pipelines/results/89"
    );
    assert_eq!(bitbucket["state"], "failed");
}

/// Issue 10, item 9, and issue 11: `env` shows what a run would derive and where each
/// value came from, outside CI and in every recorded CI job.
#[test]
fn env_shows_each_derived_value_and_its_origin() {
    let repo = TestRepo::new("feature/ABC-40-env");
    repo.remote("origin", "git@github.com:acme/app.git");
    let head = repo.commit("work");
    let home = tempfile::tempdir().unwrap();
    let env = |vars: &[(String, String)]| {
        let output = run_in(repo.path(), home.path(), vars, &["env", "--output", "json"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        json(&output)["derived"].clone()
    };
    let outside = env(&[]);
    assert_eq!(
        outside["repository"],
        json!({"value": "github.com/acme/app", "from": "git remote origin"})
    );
    assert_eq!(
        outside["branch"],
        json!({"value": "feature/ABC-40-env", "from": "HEAD"})
    );
    assert_eq!(
        outside["commit"],
        json!({"value": head.to_string(), "from": "HEAD"})
    );
    assert_eq!(
        outside["pipelineId"],
        json!({"value": "github.com/acme/app", "from": "git remote origin"})
    );
    assert_eq!(
        outside["runUrl"],
        json!({"value": "https://github.com/acme/app", "from": "git remote origin"})
    );
    let text = crate::common::stdout(&run_in(repo.path(), home.path(), &[], &["env"]));
    assert!(text.contains("branch: feature/ABC-40-env  (from HEAD)"), "{text}");

    let commits = Commits {
        head,
        merge: head,
        base: head,
        before: head,
    };
    for name in recorded_jobs::names() {
        let name = name.as_str();
        let dir = tempfile::tempdir().unwrap();
        let derived = env(&recorded(name, dir.path(), commits));
        let from = |field: &str| derived[field]["from"].as_str().unwrap_or_default().to_owned();
        assert!(from("buildNumber").contains(": "), "{name}: {derived}");
        if name != "generic" {
            assert!(from("pipelineId").contains(": "), "{name}: {derived}");
        }
        assert_eq!(derived["commit"]["value"], head.to_string(), "{name}");
        assert!(!from("commit").is_empty(), "{name}: {derived}");
    }
}

/// `env`'s text says what its `repo` line is (only the --repo option) and shows the
/// repository found; with no site configured, it says how to name one.
#[test]
fn env_says_what_repo_is_and_how_to_name_a_site() {
    let repo = TestRepo::new("main");
    repo.commit("work");
    let home = tempfile::tempdir().unwrap();
    let text = crate::common::stdout(&run_in(repo.path(), home.path(), &[], &["env"]));
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key}:")))
            .unwrap_or_else(|| panic!("no {key}: in\n{text}"))
            .to_owned()
    };
    assert_ne!(line("repo"), "repo: -", "{text}");
    assert!(
        line("repo").contains("--repo") && line("repo").contains("working directory"),
        "{text}"
    );
    assert!(line("sites").contains("JIRA_SITE"), "{text}");
    let found = json(&run_in(
        repo.path(),
        home.path(),
        &[],
        &["env", "--output", "json"],
    ))["derived"]["root"]
        .as_str()
        .map(|root| std::fs::canonicalize(root).unwrap());
    assert_eq!(found, Some(std::fs::canonicalize(repo.path()).unwrap()));
    let root = found.unwrap();
    assert!(
        text.contains(&format!("root: {}", root.display()))
            || text.contains(&format!("root: {}", repo.path().display())),
        "{text}"
    );
}

/// Hostile report, item 16: credentials in any URL a CI system gives (its run and
/// project pages, its server, its repository; in variables, event or properties files)
/// reach neither the requests, nor `env`, nor the logs, in every recorded job; and
/// every run is what it is without them.
#[test]
fn credentials_in_ci_urls_go_nowhere() {
    let (repo, commits) = pull_request_repo();
    let key = ["--issue-key", "ABC-1"];
    let commands: [&[&str]; 5] = [
        &["build", "--dry-run", "--output", "json"],
        &[
            "deployment",
            "--dry-run",
            "--output",
            "json",
            "--environment",
            "staging",
        ],
        &["devinfo", "--dry-run", "--output", "json"],
        &["env"],
        &["env", "--output", "json"],
    ];
    let mut builds = 0;
    for name in recorded_jobs::names() {
        let name = name.as_str();
        let home = tempfile::tempdir().unwrap();
        // Each in its own directory: a job's other files (event, properties) differ.
        let (clean_dir, hostile_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let clean = recorded(name, clean_dir.path(), commits);
        let hostile = recorded_jobs::load(
            name,
            hostile_dir.path(),
            &commits,
            recorded_jobs::with_credentials,
        );
        for command in commands {
            let keys: &[&str] = if command[0] == "env" { &[] } else { &key };
            let args = [&["-vv"], command, keys].concat();
            let output = run_in(repo.path(), home.path(), &hostile, &args);
            let shown = format!("{}{}", crate::common::stdout(&output), stderr(&output));
            assert!(
                !shown.contains(recorded_jobs::INJECTED_SECRET),
                "{name} {args:?}:\n{shown}"
            );
            let without = run_in(repo.path(), home.path(), &clean, &args);
            assert_eq!(
                output.status.code(),
                without.status.code(),
                "{name} {args:?}:\n{shown}"
            );
            if command[0] == "build" && output.status.success() {
                builds += 1;
                let (with, _) = recorded_build(repo.path(), home.path(), &hostile, &key);
                let (without, _) = recorded_build(repo.path(), home.path(), &clean, &key);
                for field in ["url", "pipelineId", "displayName"] {
                    assert_eq!(with[field], without[field], "{name}: {field}");
                }
            }
        }
    }
    assert!(builds >= 18, "{builds} builds");
}
