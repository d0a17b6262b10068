//! Bad input gets a clear error and exit 2, before any network call.

use crate::common::{FakeJira, SIMPLE_BUILD, TestRepo, jira_send, json, stderr};

async fn assert_usage_error(args: &[&str], expected: &str) {
    let jira = FakeJira::start().await;
    let repo = TestRepo::new("feature/ABC-1");
    repo.commit("ABC-1 work");
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .current_dir(repo.path())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
    assert!(
        stderr(&output).contains(expected),
        "{args:?}: expected {expected:?} in\n{}",
        stderr(&output)
    );
    assert!(
        jira.server.received_requests().await.unwrap().is_empty(),
        "{args:?} touched the network"
    );
}

#[tokio::test]
async fn an_invalid_state_exits_2_before_any_network_call() {
    assert_usage_error(
        &["build", "--state", "done", "--build-number", "1"],
        "invalid value 'done'",
    )
    .await;
}

#[tokio::test]
async fn other_bad_input_exits_2_before_any_network_call() {
    assert_usage_error(
        &["build"],
        "--build-number is required (or set JIRA_SEND_BUILD_NUMBER)",
    )
    .await;
    assert_usage_error(
        &["delete", "build"],
        "delete build needs the entity's key (--pipeline-id and --build-number)",
    )
    .await;
    assert_usage_error(&["build", "--build-number", "x"], "invalid value").await;
    assert_usage_error(
        &["build", "--build-number", "1", "--url", "ci/1"],
        "not an http(s) URL",
    )
    .await;
    assert_usage_error(
        &["build", "--build-number", "1", "--issue-key", "abc-1"],
        "--ignore-case",
    )
    .await;
    assert_usage_error(
        &["build", "--build-number", "1", "--since", "no-such-rev"],
        "no such commit",
    )
    .await;
    assert_usage_error(
        &["deployment", "--deployment-number", "1"],
        "--environment is required",
    )
    .await;
    assert_usage_error(
        &["build", "--build-number", "1", "--timeout", "soon"],
        "invalid value",
    )
    .await;
    assert_usage_error(
        &[
            "build",
            "--build-number",
            "1",
            "--api-url",
            "http://api.example.com",
        ],
        "loopback",
    )
    .await;
    assert_usage_error(
        &[
            "build",
            "--build-number",
            "1",
            "--url",
            "https://ci.example.com/1",
            "--tests-total",
            "2",
            "--tests-failed",
            "3",
        ],
        "exceed",
    )
    .await;
}

#[tokio::test]
async fn missing_credentials_exit_2_before_any_network_call() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .args(jira.args())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("JIRA_CLIENT_ID"), "{}", stderr(&output));
    assert!(jira.server.received_requests().await.unwrap().is_empty());

    let no_site = jira_send(home.path())
        .envs(FakeJira::credentials())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(no_site.status.code(), Some(2));
    assert!(stderr(&no_site).contains("JIRA_SITE"), "{}", stderr(&no_site));
}

#[test]
fn outside_a_repository_keys_must_be_given() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(empty.path())
        .args(["build", "--dry-run", "--build-number", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--issue-key"), "{}", stderr(&output));

    let with_keys = jira_send(home.path())
        .current_dir(empty.path())
        .args([
            "build",
            "--dry-run",
            "--build-number",
            "1",
            "--issue-key",
            "ABC-1",
        ])
        .args(["--url", "https://ci.example.com/1", "--pipeline-id", "acme"])
        .output()
        .unwrap();
    assert_eq!(with_keys.status.code(), Some(0), "{}", stderr(&with_keys));
}

#[test]
fn json_output_is_one_object_whatever_the_outcome() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .current_dir(empty.path())
        .args(["--output", "json", "build", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output);
    assert_eq!(report["exitCode"], 2);
    assert_eq!(report["command"], "build");
    assert!(report["error"].as_str().unwrap().contains("--issue-key"));

    // A command line clap refuses: the same object, with clap's whole message.
    let parse_error = jira_send(home.path())
        .args(["build", "--state", "nope", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(parse_error.status.code(), Some(2));
    let refused = json(&parse_error);
    assert_eq!(refused["exitCode"], 2);
    assert_eq!(refused["command"], "build");
    let message = refused["error"].as_str().unwrap();
    assert!(
        message.contains("invalid value 'nope' for '--state <STATE>'")
            && message.contains("pending, in_progress, successful, failed, cancelled, unknown"),
        "{message}"
    );
    let fields = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(fields(&refused), fields(&report), "one shape for build");

    // `keys` keeps its own shape, failed or not.
    let keys_ok = jira_send(home.path())
        .args(["keys", "--issue-key", "ABC-1", "--output", "json"])
        .output()
        .unwrap();
    let keys_refused = jira_send(home.path())
        .env("JIRA_SEND_OUTPUT", "json")
        .args(["keys", "--max-commits", "0"])
        .output()
        .unwrap();
    assert_eq!(keys_refused.status.code(), Some(2));
    let (ok, refused) = (json(&keys_ok), json(&keys_refused));
    assert_eq!(ok["issueKeys"], serde_json::json!(["ABC-1"]));
    assert_eq!(refused["exitCode"], 2);
    assert!(
        refused["error"].as_str().unwrap().contains("--max-commits"),
        "{refused}"
    );
    let mut ok_fields = fields(&ok);
    ok_fields.push("error".into());
    ok_fields.sort();
    let mut refused_fields = fields(&refused);
    refused_fields.sort();
    assert_eq!(ok_fields, refused_fields, "one shape for keys, plus the error");

    // `deployment` has its `range` whether it fails or not (null: nothing was read).
    let deployment_ok = jira_send(home.path())
        .args([
            "deployment",
            "--dry-run",
            "--environment",
            "prod",
            "--issue-key",
            "ABC-1",
        ])
        .args(["--deployment-number", "1", "--pipeline-id", "acme"])
        .args(["--url", "https://ci.example.com/1", "--output", "json"])
        .output()
        .unwrap();
    let deployment_refused = jira_send(home.path())
        .args([
            "deployment",
            "--since-deployment",
            "sometimes",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(deployment_refused.status.code(), Some(2));
    let (ok, refused) = (json(&deployment_ok), json(&deployment_refused));
    for report in [&ok, &refused] {
        assert_eq!(report.get("range"), Some(&serde_json::Value::Null), "{report}");
    }
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("[possible values: auto, github, gitlab, tag, jenkins, off]"),
        "{refused}"
    );
    let mut ok_fields = fields(&ok);
    ok_fields.push("error".into());
    ok_fields.sort();
    let mut refused_fields = fields(&refused);
    refused_fields.sort();
    assert_eq!(
        ok_fields, refused_fields,
        "one shape for deployment, plus the error"
    );
}

/// Issue 10, item 8, for the commands with a JSON object of their own: `doctor`,
/// `gate`, `env` and `flush` (delivering, `--list`, `--drop`) print their own object
/// when a setting is wrong or clap refuses the command line, its fields empty, plus
/// `error` and `exitCode`; never the sending commands' report.
#[tokio::test]
async fn doctor_gate_env_and_flush_keep_their_shape_when_they_fail() {
    use serde_json::Value;
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let output = jira_send(home.path())
            .envs(env.iter().copied())
            .args(["--output", "json"])
            .args(args)
            .output()
            .unwrap();
        (output.status.code(), json(&output))
    };
    let fields = |v: &Value| {
        let mut fields: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        fields.sort();
        fields
    };
    // Each failing run prints the fields of `ok` (less those only an outcome has, such
    // as flush's "nothing to deliver" notice) plus `error`, and exits 2.
    type Run<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let fail_alike = |ok: &Value, outcome_only: &[&str], runs: &[Run<'_>]| {
        let mut expected: Vec<String> = fields(ok)
            .into_iter()
            .filter(|f| !outcome_only.contains(&f.as_str()))
            .chain(["error".to_owned()])
            .collect();
        expected.sort();
        for (args, env) in runs {
            let (code, failed) = run(args, env);
            assert_eq!(code, Some(2), "{args:?}: {failed:#}");
            assert_eq!(fields(&failed), expected, "{args:?}: {ok:#}\n{failed:#}");
            assert_eq!(failed["command"], ok["command"]);
            assert_eq!(failed["exitCode"], 2, "{failed:#}");
            assert!(
                failed["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{failed:#}"
            );
        }
    };
    let bad_site: &[(&str, &str)] = &[("JIRA_SITE", "ftp://acme.example.com")];

    let (_, doctor) = run(&["doctor"], &[]);
    fail_alike(
        &doctor,
        &[],
        &[(&["doctor"], bad_site), (&["doctor", "--apis", "nope"], &[])],
    );

    let (_, env) = run(&["env"], &[]);
    fail_alike(&env, &[], &[(&["env"], bad_site), (&["env", "--nope"], &[])]);

    // gate, asking a site that answers; then with no site, a bad one, a refused line.
    jira.gate_answers.lock().unwrap().push_back((
        200,
        serde_json::json!({"gatingStatus": "allowed", "details": [], "updatedTimestamp": "2026-11-22T10:00:00.000+00:00"}),
    ));
    let gate: &[&str] = &[
        "gate",
        "--pipeline-id",
        "app",
        "--environment-id",
        "prod",
        "--deployment-number",
        "7",
    ];
    let output = jira
        .jira_send(home.path())
        .args(["--output", "json"])
        .args(gate)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    fail_alike(
        &json(&output),
        &[],
        &[
            (gate, &[]),
            (&["gate"], bad_site),
            (&["gate", "--wait-timeout", "soon"], &[]),
        ],
    );
    // What it knew before it failed, it says.
    assert_eq!(run(gate, &[]).1["deployment"]["environmentId"], "prod");

    let (_, flushed) = run(&["flush"], &[]);
    assert_eq!(flushed["setAside"], serde_json::json!([]), "{flushed:#}");
    fail_alike(
        &flushed,
        &["notice"],
        &[(&["flush"], bad_site), (&["flush", "--nope"], &[])],
    );
    let (_, listed) = run(&["flush", "--list"], &[]);
    fail_alike(
        &listed,
        &[],
        &[
            (&["flush", "--list"], bad_site),
            (&["flush", "--list", "--drop", "x"], &[]),
        ],
    );
    let (_, dropped) = run(&["flush", "--drop-all"], &[]);
    fail_alike(
        &dropped,
        &[],
        &[
            (&["flush", "--drop", "nope"], &[]),
            (&["flush", "--drop-all", "--nope"], &[]),
        ],
    );
}

#[tokio::test]
async fn durations_and_counts_out_of_range_are_usage_errors() {
    for (args, expected) in [
        (&["--timeout", "0"][..], "a duration of zero"),
        (&["--timeout", "18446744073709551615s"][..], "7 days"),
        (&["--timeout", "18446744073709551615"][..], "7 days"),
        (&["--request-timeout", "0s"][..], "a duration of zero"),
        (&["--max-commits", "0"][..], "at least 1"),
        (&["--max-commits=-1"][..], "at least 1"),
    ] {
        let mut full = vec!["build", "--build-number", "1"];
        full.extend_from_slice(args);
        assert_usage_error(&full, expected).await;
    }
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .env("JIRA_SEND_TIMEOUT", "0")
        .args(SIMPLE_BUILD)
        .arg("--dry-run")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("zero"), "{}", stderr(&output));
}

#[test]
fn a_yes_no_error_lists_every_spelling() {
    let home = tempfile::tempdir().unwrap();
    for (variable, args) in [
        (
            None,
            &["flag", "--id", "f", "--enabled", "maybe", "--environment", "prod"][..],
        ),
        (Some(("JIRA_SEND_DRY_RUN", "sometimes")), &["keys"][..]),
    ] {
        let mut command = jira_send(home.path());
        if let Some((name, value)) = variable {
            command.env(name, value);
        }
        let output = command.args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr(&output).contains("expected one of true, false, 1, 0, yes, no, on, off"),
            "{}",
            stderr(&output)
        );
    }
}

#[tokio::test]
async fn one_site_named_twice_gets_the_report_once() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let output = jira
        .jira_send(home.path())
        .args(["--site", &format!("{}/", jira.uri())])
        .args(SIMPLE_BUILD)
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output)["sites"].as_array().unwrap().len(), 1);
    assert_eq!(jira.bulk_bodies("builds").await.len(), 1, "sent once");

    let dry = jira_send(home.path())
        .args([
            "--site",
            "acme,acme.atlassian.net,https://ACME.atlassian.net/,acme.atlassian.net.",
            "--site",
            "https://acme.atlassian.net./",
            "--dry-run",
        ])
        .args(SIMPLE_BUILD)
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let sites = json(&dry)["sites"].clone();
    assert_eq!(sites.as_array().unwrap().len(), 1, "{sites}");
    assert_eq!(sites[0]["site"], "acme.atlassian.net");
}

#[tokio::test]
async fn a_secret_given_twice_is_a_usage_error_naming_both() {
    let jira = FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("secret");
    std::fs::write(&file, "from-file").unwrap();
    let file = file.to_str().unwrap();
    let suffix = jira_send::env::host_suffix("127.0.0.1");
    let site_value = format!("JIRA_CLIENT_SECRET_{suffix}");
    let site_file = format!("JIRA_CLIENT_SECRET_FILE_{suffix}");
    // The variables set, the arguments added, the two names the error must give.
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a [&'a str], [&'a str; 2]);
    let cases: [Case; 4] = [
        (
            vec![("JIRA_CLIENT_SECRET", "x"), ("JIRA_CLIENT_SECRET_FILE", "/nope")],
            &[],
            ["JIRA_CLIENT_SECRET", "JIRA_CLIENT_SECRET_FILE"],
        ),
        (
            vec![("JIRA_CLIENT_SECRET", "x"), ("JIRA_CLIENT_SECRET_FILE", file)],
            &[],
            ["JIRA_CLIENT_SECRET", "JIRA_CLIENT_SECRET_FILE"],
        ),
        (
            vec![(site_value.as_str(), "x"), (site_file.as_str(), file)],
            &[],
            [site_value.as_str(), site_file.as_str()],
        ),
        (
            vec![("JIRA_CLIENT_SECRET", "x")],
            &["--client-secret-file", file],
            ["JIRA_CLIENT_SECRET", "--client-secret-file"],
        ),
    ];
    for (variables, args, named) in cases {
        let output = jira_send(home.path())
            .env("JIRA_CLIENT_ID", "id")
            .envs(variables.iter().copied())
            .args(jira.args())
            .args(SIMPLE_BUILD)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{variables:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(
            message.contains(&format!("both {} and {} are set", named[0], named[1])),
            "{variables:?}: {message}"
        );
        assert!(!message.contains("from-file"), "the secret is never printed");
    }
    assert!(jira.server.received_requests().await.unwrap().is_empty());
}

#[test]
fn help_explains_and_exits_0() {
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path()).args(["build", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = crate::common::stdout(&output);
    for expected in [
        "--issue-key",
        "JIRA_ISSUE_KEYS",
        "--since",
        "--dry-run",
        "JIRA_SITE",
        "--state",
    ] {
        assert!(help.contains(expected), "build --help lacks {expected}:\n{help}");
    }
}

#[test]
fn empty_variables_count_as_unset() {
    // What the GitHub Action passes for inputs left out.
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(
            [
                "JIRA_SITE",
                "JIRA_SEND_STATE",
                "JIRA_SEND_FAIL_ON",
                "JIRA_SEND_DRY_RUN",
                "JIRA_SEND_ENVIRONMENT_TYPE",
            ]
            .map(|v| (v, "")),
        )
        .args([
            "build",
            "--pipeline-id",
            "app",
            "--dry-run",
            "--issue-key",
            "ABC-1",
            "--build-number",
            "1",
            "--url",
            "https://ci.example.com/1",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A reader of the repository finds every command, option and variable in the README.
#[test]
fn the_readme_documents_every_command_option_and_variable() {
    use clap::CommandFactory as _;
    fn walk(command: &clap::Command, path: &str, readme: &str, missing: &mut Vec<String>) {
        for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long()
                && !matches!(long, "help" | "version")
                && !readme.contains(&format!("`--{long}"))
            {
                missing.push(format!("{path} --{long}"));
            }
            if let Some(variable) = arg.get_env().and_then(|v| v.to_str())
                && !readme.contains(variable)
            {
                missing.push(format!("{path}: {variable}"));
            }
        }
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = sub.get_name();
            if !readme.contains(&format!("`{name}")) && !readme.contains(&format!("{path} {name}")) {
                missing.push(format!("{path} {name}"));
            }
            walk(sub, &format!("{path} {name}"), readme, missing);
        }
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut missing = Vec::new();
    walk(
        &jira_send::cli::Cli::command(),
        "jira-send",
        &readme,
        &mut missing,
    );
    assert!(missing.is_empty(), "not in the README: {missing:#?}");
    assert!(
        !readme.contains("../"),
        "the README points outside the repository"
    );
}

/// Every command's `--help` puts each option under a heading that fits it: the issue
/// keys' options and only those under "Issue keys", the global ones and only those under
/// "Global options", a command's own options never under a shared heading.
#[test]
fn every_option_sits_under_a_heading_that_fits_it() {
    use clap::CommandFactory as _;
    use std::collections::{BTreeMap, BTreeSet};
    const ISSUE_KEYS: &[&str] = &[
        "issue-key",
        "branch",
        "since",
        "since-tag",
        "max-commits",
        "projects",
        "ignore-case",
    ];
    const RANGE: &[&str] = &[
        "environment",
        "environment-id",
        "since-deployment",
        "github-environment",
        "record-deployment",
    ];
    fn paths(command: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut path = path.to_vec();
            path.push(sub.get_name().to_owned());
            out.push(path.clone());
            paths(sub, &path, out);
        }
    }
    let root = jira_send::cli::Cli::command();
    let globals: BTreeSet<String> = root
        .get_arguments()
        .filter(|a| a.is_global_set() && !a.is_hide_set())
        .filter_map(|a| a.get_long().map(str::to_owned))
        .collect();
    let mut commands = Vec::new();
    paths(&root, &[], &mut commands);
    let home = tempfile::tempdir().unwrap();
    let mut misplaced = Vec::new();
    for path in &commands {
        let output = jira_send(home.path()).args(path).arg("--help").output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{path:?}");
        let help = crate::common::stdout(&output);
        // heading → the options listed under it
        let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut heading = String::new();
        for line in help.lines() {
            if !line.starts_with(' ') && line.ends_with(':') {
                heading = line.trim_end_matches(':').to_owned();
            } else if line.starts_with("  ")
                && line.trim_start().starts_with('-')
                && let Some(long) = line.split_whitespace().find_map(|w| w.strip_prefix("--"))
            {
                let long = long.split(['.', '=']).next().unwrap().to_owned();
                sections.entry(heading.clone()).or_default().push(long);
            }
        }
        let own_headings = sections
            .keys()
            .filter(|h| !matches!(h.as_str(), "Options" | "Global options"))
            .count();
        for (heading, options) in &sections {
            for long in options {
                let fits = match heading.as_str() {
                    "Issue keys" => ISSUE_KEYS.contains(&long.as_str()),
                    "Global options" => globals.contains(long),
                    "Deployment range" => RANGE.contains(&long.as_str()),
                    "Tests" => long == "junit" || long.starts_with("tests-"),
                    // A command whose options have headings of their own keeps only
                    // --help and --version under the generic one.
                    "Options" => own_headings == 0 || matches!(long.as_str(), "help" | "version"),
                    _ => !ISSUE_KEYS.contains(&long.as_str()) && !globals.contains(long),
                };
                if !fits {
                    misplaced.push(format!("{}: --{long} under {heading:?}", path.join(" ")));
                }
            }
        }
        let listed_under =
            |heading: &str, long: &str| sections.get(heading).is_some_and(|o| o.iter().any(|l| l == long));
        for (heading, option) in sections.values().flatten().filter_map(|long| {
            if ISSUE_KEYS.contains(&long.as_str()) {
                Some(("Issue keys", long))
            } else if globals.contains(long) {
                Some(("Global options", long))
            } else {
                None
            }
        }) {
            if !listed_under(heading, option) {
                misplaced.push(format!("{}: --{option} not under {heading:?}", path.join(" ")));
            }
        }
    }
    assert!(
        misplaced.is_empty(),
        "options under a heading that does not fit them: {misplaced:#?}"
    );
}

/// Run by hand (outside CI), what a command requires is said where the README describes
/// the command: a number for build, deployment and gate, and a pipeline id outside a git
/// repository (inside one, the repository's folder names the pipeline).
#[test]
fn the_readme_says_what_a_command_requires_outside_ci() {
    let home = tempfile::tempdir().unwrap();
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = |heading: &str| {
        let start = readme.find(heading).unwrap_or_else(|| panic!("no {heading}"));
        let rest = &readme[start + heading.len()..];
        rest[..rest.find("\n## ").unwrap().min(rest.find("\n### ").unwrap())].to_owned()
    };
    let no_repo = tempfile::tempdir().unwrap();
    let deployment = [
        "deployment",
        "--environment",
        "Production EU",
        "--issue-key",
        "PROJ-1",
    ];
    for (args, option, heading) in [
        (
            &["build", "--issue-key", "PROJ-1", "--pipeline-id", "app"][..],
            "--build-number",
            "### `build`",
        ),
        (
            &["build", "--issue-key", "PROJ-1", "--build-number", "5"][..],
            "--pipeline-id",
            "### `build`",
        ),
        (
            &[&deployment[..], &["--pipeline-id", "app"]].concat()[..],
            "--deployment-number",
            "### `deployment`",
        ),
        (
            &[&deployment[..], &["--deployment-number", "5"]].concat()[..],
            "--pipeline-id",
            "### `deployment`",
        ),
        (
            &["gate", "--environment", "Production EU", "--pipeline-id", "app"][..],
            "--deployment-number",
            "### `gate`",
        ),
    ] {
        let output = jira_send(home.path())
            .current_dir(no_repo.path())
            .args(args)
            .arg("--dry-run")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(option), "{args:?}: {}", stderr(&output));
        // Sentences, list items and table cells, one by one.
        let text = section(heading)
            .replace('\n', " ")
            .replace(" | ", ". ")
            .replace(" - ", ". ");
        let said = text
            .split(". ")
            .any(|part| part.contains(&format!("`{option}`")) && part.contains("required outside"));
        assert!(
            said,
            "the README's {heading} does not say {option} is required outside CI"
        );
    }
}

/// A deadline under a second can only end in a queued report (exit 4): it is refused
/// before anything starts, naming the option or the variable that set it; the help says
/// that a bare number is seconds.
#[tokio::test]
async fn a_timeout_below_a_second_is_a_usage_error() {
    for timeout in ["1ms", "999ms", "0.5s"] {
        let args = ["build", "--build-number", "1", "--timeout", timeout];
        assert_usage_error(&args, "--timeout").await;
        assert_usage_error(&args, "at least 1s").await;
    }
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .env("JIRA_SEND_TIMEOUT", "500ms")
        .args(SIMPLE_BUILD)
        .arg("--dry-run")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("JIRA_SEND_TIMEOUT"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("at least 1s"), "{}", stderr(&output));

    let one_second = jira_send(home.path())
        .args(SIMPLE_BUILD)
        .args(["--dry-run", "--timeout", "1"])
        .output()
        .unwrap();
    assert_eq!(one_second.status.code(), Some(0), "{}", stderr(&one_second));

    let help = jira_send(home.path()).args(["build", "--help"]).output().unwrap();
    let help = crate::common::stdout(&help).replace(char::is_whitespace, " ");
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("a bare number is seconds"), "{help}");
}
