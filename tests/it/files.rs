//! Files the user points at: special files (a FIFO, `/dev/zero`, a directory) fail at
//! once with exit 2, every read is bounded, and an error names where a path came from.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{SIMPLE_BUILD, jira_send_std, stderr};

/// Runs `cmd` to its end, or fails the test if it is still running after a minute:
/// what these tests guard against is a hang (a correct run takes milliseconds).
fn finishes(mut cmd: Command) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    ends(child, &cmd)
}

/// `child`'s output once it ends, or a failed test if it is still running after a
/// minute.
fn ends(mut child: std::process::Child, cmd: &Command) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("jira-send hung: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `send -` and `validate -` whose producer stalls (stdin open, nothing written): the
/// read counts toward `--timeout`, and ends there with exit 2.
#[test]
fn a_stdin_that_never_ends_is_given_up_at_the_timeout() {
    let home = tempfile::tempdir().unwrap();
    for command in ["send", "validate"] {
        let mut cmd = jira_send_std(home.path());
        cmd.args(["--dry-run", "--timeout", "1s", command, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        // Held open, never written to.
        let _stdin = child.stdin.take().unwrap();
        let output = ends(child, &cmd);
        assert_eq!(output.status.code(), Some(2), "{command}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("cannot read stdin: the input did not end within --timeout (1s)"),
            "{}",
            stderr(&output)
        );
    }
}

/// `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY` naming a FIFO (nothing reads it): a
/// warning each, and the run ends as it would have.
#[cfg(unix)]
#[test]
fn github_outputs_that_are_fifos_are_refused_with_a_warning() {
    let home = tempfile::tempdir().unwrap();
    let fifo = fifo(home.path());
    let mut cmd = jira_send_std(home.path());
    cmd.env("GITHUB_OUTPUT", &fifo)
        .env("GITHUB_STEP_SUMMARY", &fifo)
        .args([
            "--dry-run",
            "build",
            "--pipeline-id",
            "app",
            "--issue-key",
            "ABC-1",
        ])
        .args(["--build-number", "1", "--url", "https://ci.example.com/1"]);
    let output = finishes(cmd);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let warning = format!(
        "cannot write the step results to {}: not a regular file but a named pipe (FIFO)",
        fifo.display()
    );
    assert!(stderr(&output).contains(&warning), "{}", stderr(&output));
}

#[cfg(unix)]
fn fifo(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &path,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    path
}

/// A build that reads its credentials (before any network call: nothing listens).
fn build_with(home: &Path, vars: &[(&str, &str)]) -> Command {
    let mut cmd = jira_send_std(home);
    cmd.args(["--site", "acme", "--timeout", "5s"])
        .env("JIRA_CLIENT_ID", "id")
        .envs(vars.iter().copied())
        .args(SIMPLE_BUILD);
    cmd
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_at_once() {
    let home = tempfile::tempdir().unwrap();
    let fifo = fifo(home.path());
    let fifo = fifo.to_str().unwrap();
    for (file, what) in [("/dev/zero", "a device"), (fifo, "FIFO"), ("/", "a directory")] {
        for command in ["validate", "send"] {
            let mut cmd = jira_send_std(home.path());
            cmd.args(["--dry-run", command, file]);
            let output = finishes(cmd);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{command} {file}: {}",
                stderr(&output)
            );
            let err = stderr(&output);
            assert!(
                err.contains(&format!("cannot read {file}")) && err.contains(what),
                "{err}"
            );
        }
        let output = finishes(build_with(home.path(), &[("JIRA_CLIENT_SECRET_FILE", file)]));
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let err = stderr(&output);
        assert!(
            err.contains(&format!(
                "cannot read {file} (JIRA_CLIENT_SECRET_FILE): not a regular file"
            )),
            "{err}"
        );
    }
}

#[test]
fn an_unreadable_secret_file_names_where_its_path_came_from() {
    let home = tempfile::tempdir().unwrap();
    let output = finishes(build_with(home.path(), &[("JIRA_CLIENT_SECRET_FILE", "/nope")]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read /nope (JIRA_CLIENT_SECRET_FILE): "),
        "{}",
        stderr(&output)
    );

    let per_site = [("JIRA_CLIENT_SECRET_FILE_ACME_ATLASSIAN_NET", "/nope")];
    let output = finishes(build_with(home.path(), &per_site));
    assert!(
        stderr(&output).contains("cannot read /nope (JIRA_CLIENT_SECRET_FILE_ACME_ATLASSIAN_NET): "),
        "{}",
        stderr(&output)
    );

    let mut flag = build_with(home.path(), &[]);
    flag.args(["--client-secret-file", "/nope"]);
    let output = finishes(flag);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read /nope (--client-secret-file): "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_secret_file_too_large_for_a_secret_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let secret = home.path().join("secret");
    std::fs::write(&secret, "x".repeat(64 * 1024 + 1)).unwrap();
    let output = finishes(build_with(
        home.path(),
        &[("JIRA_CLIENT_SECRET_FILE", secret.to_str().unwrap())],
    ));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("larger than the limit of 64 KiB"),
        "{}",
        stderr(&output)
    );
}

/// Files a CI system or the user names but jira-send only reads in passing (JUnit
/// reports, GitHub's event file, TeamCity's properties): a FIFO there is skipped with
/// a warning, and the run goes on.
#[cfg(unix)]
#[test]
fn special_files_read_in_passing_are_skipped() {
    let home = tempfile::tempdir().unwrap();
    let fifo = fifo(home.path());
    let fifo = fifo.to_str().unwrap();

    let mut junit = jira_send_std(home.path());
    junit.args(SIMPLE_BUILD).args(["--dry-run", "--junit", fifo]);
    let output = finishes(junit);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not a regular file"),
        "{}",
        stderr(&output)
    );

    let mut github = jira_send_std(home.path());
    github
        .envs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/app"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", fifo),
        ])
        .args(SIMPLE_BUILD)
        .arg("--dry-run");
    let output = finishes(github);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("GitHub event file"),
        "{}",
        stderr(&output)
    );

    let mut teamcity = jira_send_std(home.path());
    teamcity
        .envs([
            ("TEAMCITY_VERSION", "2024.1"),
            ("BUILD_NUMBER", "7"),
            ("TEAMCITY_BUILD_PROPERTIES_FILE", fifo),
        ])
        .args(SIMPLE_BUILD)
        .arg("--dry-run");
    let output = finishes(teamcity);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A cloud-id cache others could have written is not trusted: a planted one would
/// send the report, with the token, to another cloud.
#[cfg(unix)]
#[tokio::test]
async fn a_cloud_id_cache_others_could_write_is_ignored() {
    use std::os::unix::fs::PermissionsExt as _;
    let jira = crate::common::FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("jira-send-cache");
    std::fs::create_dir_all(&cache).unwrap();
    let suffix: String = jira
        .site_name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let planted = cache.join(format!("cloud-id-{suffix}.json"));
    std::fs::write(
        &planted,
        serde_json::json!({"site": jira.site_name(), "cloudId": "99999999-9999-9999-9999-999999999999"})
            .to_string(),
    )
    .unwrap();
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666)).unwrap();
    let output = crate::common::jira_send(home.path())
        .envs(crate::common::FakeJira::credentials())
        .args(jira.args())
        .args(SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("ignoring the cloud-id cache"),
        "{}",
        stderr(&output)
    );
    let posted = jira.requests("/jira/builds/").await;
    assert_eq!(posted.len(), 1);
    assert!(
        posted[0].url.path().contains(crate::common::fake::CLOUD_ID),
        "{}",
        posted[0].url
    );
}

/// The token cache is never read through a symbolic link: a planted one would hand
/// jira-send a token of someone else's choosing (or read any file of the user's).
#[cfg(unix)]
#[tokio::test]
async fn a_token_cache_planted_as_a_link_is_not_followed() {
    use std::os::unix::fs::PermissionsExt as _;
    let jira = crate::common::FakeJira::start().await;
    let home = tempfile::tempdir().unwrap();
    let first = jira.simple_build(home.path());
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let cache = home.path().join("jira-send-cache");
    let token = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with("token-") && name.ends_with(".json")
        })
        .unwrap();
    let planted = home.path().join("planted.json");
    std::fs::write(
        &planted,
        serde_json::json!({"accessToken": "LINKED-TOKEN", "expiresAt": "2099-01-01T00:00:00Z"}).to_string(),
    )
    .unwrap();
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::remove_file(&token).unwrap();
    std::os::unix::fs::symlink(&planted, &token).unwrap();

    let output = jira.simple_build(home.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("ignoring the token cache") && err.contains("a symbolic link"),
        "{err}"
    );
    let posted = jira.requests("/jira/builds/").await;
    let bearer = |r: &wiremock::Request| {
        r.headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(bearer(&posted[1]), "Bearer access-token-2", "a fresh token");
    assert_eq!(jira.tokens_issued(), 2);
}
