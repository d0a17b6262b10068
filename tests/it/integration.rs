//! What jira-send leaves for later steps and reads from a team's files: GitHub step
//! outputs and summary, JUnit reports, the project file, shell completions.

use serde_json::json;

use crate::common::{FakeJira, SIMPLE_BUILD, TestRepo, jira_send, json, stderr, stdout};

#[tokio::test]
async fn github_outputs_and_summary_are_written() {
    let jira = FakeJira::start().await;
    jira.unknown_keys.lock().unwrap().push("ABC-2".into());
    let home = tempfile::tempdir().unwrap();
    let outputs = home.path().join("outputs");
    let summary = home.path().join("summary.md");
    let output = jira
        .jira_send(home.path())
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([
            "build",
            "--pipeline-id",
            "app",
            "--issue-key",
            "ABC-1,ABC-2",
            "--build-number",
            "1",
            "--url",
            "https://ci.example.com/1",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let outputs = std::fs::read_to_string(outputs).unwrap();
    for line in [
        "issue-keys=ABC-1,ABC-2",
        "accepted=1",
        "rejected=0",
        "unknown-issue-keys=ABC-2",
        "exit-code=0",
    ] {
        assert!(outputs.lines().any(|l| l == line), "no {line:?} in\n{outputs}");
    }
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(summary.contains("### jira-send build"), "{summary}");
    assert!(
        summary.contains(&format!("| {} | 1 | 1 | 0 | ABC-2 |", jira.site_name())),
        "{summary}"
    );
}

#[test]
fn a_failed_run_still_writes_its_exit_code() {
    let home = tempfile::tempdir().unwrap();
    let outputs = home.path().join("outputs");
    let output = jira_send(home.path())
        .env("GITHUB_OUTPUT", &outputs)
        .args([
            "build",
            "--issue-key",
            "ABC-1",
            "--build-number",
            "1",
            "--url",
            "https://ci.example.com/1",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(outputs).unwrap(),
        "issue-keys=\naccepted=\nrejected=\nunknown-issue-keys=\nexit-code=2\n"
    );
}

#[tokio::test]
async fn counts_read_in_the_singular_and_the_plural() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira.simple_build(home.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(": 1 build accepted, 0 rejected (1 request)"),
        "{}",
        stdout(&output)
    );
    let dry = jira_send(home.path())
        .args(["--site", "acme", "--dry-run"])
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert!(
        stdout(&dry).contains("dry run for acme.atlassian.net: 1 request (nothing sent)"),
        "{}",
        stdout(&dry)
    );
}

#[test]
fn keys_verbose_says_what_was_read() {
    let repo = TestRepo::new("main");
    let first = repo.commit("ABC-1 first");
    repo.commit("ABC-2 second");
    repo.commit("ABC-3 third");
    let home = tempfile::tempdir().unwrap();
    let keys = |args: &[&str]| {
        let output = jira_send(home.path())
            .current_dir(repo.path())
            .args(["keys", "-v"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stderr(&output)
    };
    let head_only = keys(&[]);
    assert!(head_only.contains("read HEAD ("), "{head_only}");
    assert!(head_only.contains(") only"), "{head_only}");
    let range = keys(&["--since", &first.to_string()]);
    assert!(range.contains(&format!("read 2 commits from {first}")), "{range}");
    let one = keys(&["--since", "HEAD~1"]);
    assert!(one.contains("read 1 commit from HEAD~1"), "{one}");
}

#[test]
fn junit_reports_fill_the_test_counts() {
    let home = tempfile::tempdir().unwrap();
    let reports = home.path().join("reports");
    std::fs::create_dir_all(reports.join("nested")).unwrap();
    std::fs::write(
        reports.join("TEST-a.xml"),
        r#"<testsuite tests="3"><testcase name="a"/><testcase name="b"><failure/></testcase><testcase name="c"><skipped/></testcase></testsuite>"#,
    )
    .unwrap();
    std::fs::write(
        reports.join("nested/TEST-b.xml"),
        r#"<testsuites><testsuite><testcase name="d"/></testsuite></testsuites>"#,
    )
    .unwrap();
    std::fs::write(reports.join("TEST-broken.xml"), "<testsuite><testcase").unwrap();
    let output = jira_send(home.path())
        .args(SIMPLE_BUILD)
        .args(["--dry-run", "--output", "json", "--junit"])
        .arg(format!("{}/**/TEST-*.xml", reports.display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("TEST-broken.xml"),
        "a broken report is named: {}",
        stderr(&output)
    );
    let body = &json(&output)["sites"][0]["requests"][0]["body"];
    assert_eq!(
        body["builds"][0]["testInfo"],
        json!({"totalNumber": 4, "numberPassed": 2, "numberFailed": 1, "numberSkipped": 1})
    );
}

#[test]
fn the_project_file_sits_between_variables_and_the_ci() {
    let repo = TestRepo::new("main");
    repo.commit("ABC-1 and XYZ-2");
    std::fs::write(
        repo.path().join(".jira-send.toml"),
        "projects = [\"ABC\"]\nfail-on = \"never\"\npipeline-id = \"from-file\"\n\
         [environment-types]\nstaging = [\"eu-*\"]\n",
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let ci = [
        ("GITLAB_CI", "true"),
        ("CI_PROJECT_PATH", "from/ci"),
        ("CI_PIPELINE_IID", "9"),
        ("CI_PIPELINE_URL", "https://gitlab.com/p/9"),
    ];
    let deploy = |extra_env: &[(&str, &str)], extra_args: &[&str]| {
        let output = jira_send(home.path())
            .current_dir(repo.path())
            .envs(ci)
            .envs(extra_env.iter().copied())
            .args([
                "deployment",
                "--environment",
                "eu-west",
                "--dry-run",
                "--output",
                "json",
            ])
            .args(extra_args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        json(&output)
    };
    let report = deploy(&[], &[]);
    let deployment = &report["sites"][0]["requests"][0]["body"]["deployments"][0];
    assert_eq!(report["issueKeys"], json!(["ABC-1"]), "the file's allow-list");
    assert_eq!(deployment["pipeline"]["id"], "from-file", "the file beats the CI");
    assert_eq!(
        deployment["environment"]["type"], "staging",
        "the file's globs beat the name's words"
    );

    let report = deploy(
        &[
            ("JIRA_SEND_PIPELINE_ID", "from-variable"),
            ("JIRA_PROJECT_KEYS", "XYZ"),
        ],
        &[],
    );
    assert_eq!(
        report["sites"][0]["requests"][0]["body"]["deployments"][0]["pipeline"]["id"],
        "from-variable"
    );
    assert_eq!(report["issueKeys"], json!(["XYZ-2"]), "a variable beats the file");

    let report = deploy(
        &[("JIRA_SEND_PIPELINE_ID", "from-variable")],
        &["--pipeline-id", "from-flag", "--environment-type", "production"],
    );
    let deployment = &report["sites"][0]["requests"][0]["body"]["deployments"][0];
    assert_eq!(
        deployment["pipeline"]["id"], "from-flag",
        "a flag beats the variable"
    );
    assert_eq!(deployment["environment"]["type"], "production");

    let env = jira_send(home.path())
        .current_dir(repo.path())
        .args(["env", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(json(&env)["failOn"], "never", "the file's fail-on");
    let env = jira_send(home.path())
        .current_dir(repo.path())
        .env("JIRA_SEND_FAIL_ON", "error")
        .args(["env", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(json(&env)["failOn"], "error");
}

#[test]
fn an_unknown_key_in_the_project_file_is_named() {
    let repo = TestRepo::new("main");
    repo.commit("ABC-1");
    std::fs::write(repo.path().join(".jira-send.toml"), "fail_on = \"never\"\n").unwrap();
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(repo.path())
        .arg("keys")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown field `fail_on`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = jira_send(home.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        assert!(stdout(&output).contains("jira-send"), "{shell}");
    }
}
