//! Hostile report, S5: a bad value is reported under the name the user gave it. Each
//! variable stands for its flag, so "--site …" sent the user looking for a flag nobody
//! passed when `JIRA_SITE` held the bad site.

use crate::common::{jira_send, json, stderr};

/// A dry run of a build with `env` and `args`: exit 2, and its stderr.
fn refused(env: &[(&str, &str)], args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let output = jira_send(home.path())
        .envs(env.iter().copied())
        .args([
            "build",
            "--dry-run",
            "--pipeline-id",
            "app",
            "--build-number",
            "1",
        ])
        .args(["--url", "https://ci.example.com/1"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{env:?} {args:?}: {}",
        stderr(&output)
    );
    stderr(&output)
}

#[test]
fn a_bad_value_is_named_by_the_variable_or_flag_that_set_it() {
    let key = ["--issue-key", "ABC-1"];
    for (env, args, said) in [
        // Resolved settings: the sites, the endpoints, a file.
        (
            &[("JIRA_SITE", "http://jira.example.com")][..],
            &key[..],
            "JIRA_SITE http://jira.example.com: plain http",
        ),
        (
            &[],
            &["--site", "http://jira.example.com", "--issue-key", "ABC-1"],
            "--site http://jira.example.com: plain http",
        ),
        (
            &[("JIRA_SITE", "acme.atlassian.net/jira")],
            &key,
            "JIRA_SITE acme.atlassian.net/jira: give the site alone",
        ),
        (
            &[
                ("JIRA_SITE", "acme"),
                ("JIRA_SEND_API_URL", "ftp://api.example.com"),
            ],
            &key,
            "JIRA_SEND_API_URL ftp://api.example.com: unsupported scheme",
        ),
        (
            &[
                ("JIRA_SITE", "acme"),
                ("JIRA_SEND_TOKEN_URL", "http://auth.example.com"),
            ],
            &key,
            "JIRA_SEND_TOKEN_URL http://auth.example.com: plain http",
        ),
        (
            &[("JIRA_SITE", "acme"), ("JIRA_ISSUE_KEYS", "abc-1")],
            &[],
            "JIRA_ISSUE_KEYS abc-1: not an issue key",
        ),
        (
            &[("JIRA_SITE", "acme")],
            &["--issue-key", "abc-1"],
            "--issue-key abc-1: not an issue key",
        ),
        // Values clap refuses: the variable, also when the flag is given as well.
        (
            &[("JIRA_SITE", "acme"), ("JIRA_SEND_TIMEOUT", "soon")],
            &key,
            "'soon' for 'JIRA_SEND_TIMEOUT (--timeout <DURATION>)'",
        ),
        (
            &[("JIRA_SITE", "acme"), ("JIRA_SEND_TIMEOUT", "soon")],
            &["--timeout", "5s", "--issue-key", "ABC-1"],
            "'soon' for 'JIRA_SEND_TIMEOUT (--timeout <DURATION>)'",
        ),
        (
            &[("JIRA_SITE", "acme"), ("JIRA_SEND_TIMEOUT", "5s")],
            &["--timeout", "soon", "--issue-key", "ABC-1"],
            "'soon' for '--timeout <DURATION>'",
        ),
        (
            &[("JIRA_SITE", "acme"), ("JIRA_SEND_STATE", "done")],
            &key,
            "'done' for 'JIRA_SEND_STATE (--state <STATE>)'",
        ),
        (
            &[
                ("JIRA_SITE", "acme"),
                ("JIRA_SEND_SINCE", "v1"),
                ("JIRA_SEND_SINCE_TAG", "v*"),
            ],
            &key,
            "'JIRA_SEND_SINCE (--since <REV>)' cannot be used with 'JIRA_SEND_SINCE_TAG (--since-tag <GLOB>)'",
        ),
    ] {
        let stderr = refused(env, args);
        assert!(stderr.contains(said), "{env:?} {args:?}: {stderr}");
    }
}

/// Under `--output json`, the error in the JSON names the variable too.
#[test]
fn the_json_error_names_the_variable() {
    let home = tempfile::tempdir().unwrap();
    for (variable, value, said) in [
        (
            "JIRA_SITE",
            "ftp://acme.example.com",
            "JIRA_SITE ftp://acme.example.com",
        ),
        ("JIRA_SEND_FAIL_ON", "sometimes", "JIRA_SEND_FAIL_ON (--fail-on"),
    ] {
        let output = jira_send(home.path())
            .env(variable, value)
            .args(["--output", "json", "env"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let error = json(&output)["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.contains(said), "{variable}: {error}");
    }
}
