//! SIGTERM while the deployment lookup waits on the network (it may, for a third of
//! --timeout): the run is not killed, and the deployment is not lost.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

use super::fake_github::{FakeGitHub, History, actions, history};
use super::{keys_sent, warnings};
use crate::common::upstream::PATH;
use crate::common::{FakeJira, Upstream, json, stderr};

/// The lookup is cut short, the range falls back (a warning says why), and the
/// deployment is saved to the outbox, not sent (the job is being cancelled): exit 4,
/// `"signal": "SIGTERM"` in the JSON report. The next `flush` delivers it. Before, the
/// signal killed the run with nothing saved and nothing printed.
#[tokio::test]
async fn sigterm_during_the_lookup_saves_the_deployment() {
    let run = Stalled::start().await;
    let output = run
        .signalled(&["deployment", "--environment", "Production EU", "--output", "json"])
        .await;

    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["signal"], "SIGTERM", "{report}");
    assert!(
        warnings(&output)
            .iter()
            .any(|w| w.contains("interrupted by SIGTERM")),
        "{}",
        stderr(&output)
    );
    assert!(
        run.jira.bulk_bodies("deployments").await.is_empty(),
        "nothing is sent after the signal"
    );

    let flushed = run.command(&["flush"]).output().unwrap();
    assert_eq!(flushed.status.code(), Some(0), "{}", stderr(&flushed));
    assert!(
        keys_sent(&run.jira).await.contains(&"ABC-8".to_owned()),
        "the saved deployment carries the fallback range's keys"
    );
}

/// `keys --environment` shows the fallback range's keys, and ends as signals do (143).
#[tokio::test]
async fn sigterm_during_the_lookup_of_keys_ends_it_as_signals_do() {
    let run = Stalled::start().await;
    let output = run
        .signalled(&["keys", "--environment", "Production EU", "--output", "json"])
        .await;

    assert_eq!(output.status.code(), Some(143), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["exitCode"], 143, "{report}");
    assert!(
        report["issueKeys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "ABC-8"),
        "{report}"
    );
}

/// A GitHub Actions run on a depth-1 checkout whose GitHub API never answers.
struct Stalled {
    upstream: Upstream,
    before: String,
    checkout: PathBuf,
    github: FakeGitHub,
    jira: FakeJira,
}

impl Stalled {
    async fn start() -> Self {
        let History { upstream, before, .. } = history();
        let github = FakeGitHub::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3600)))
            .mount(&github.server)
            .await;
        let checkout = upstream.checkout("ci", Some(1));
        Self {
            upstream,
            before,
            checkout,
            github,
            jira: FakeJira::start().await,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = crate::common::jira_send_std(&self.upstream.home);
        command
            .envs(FakeJira::credentials())
            .args(self.jira.args())
            .envs(actions(&self.upstream, &self.github, &self.before))
            .current_dir(&self.checkout)
            .env("PATH", PATH)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs jira-send with `args` until it asked GitHub, then sends it SIGTERM.
    async fn signalled(&self, args: &[&str]) -> Output {
        use rustix::process::{Pid, Signal, kill_process};
        let mut child = self.command(args).spawn().unwrap();
        // The handshake: GitHub was asked, so the lookup is waiting.
        while self.github.requests().await.is_empty() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the run ended before asking GitHub: {status}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        kill_process(Pid::from_child(&child), Signal::TERM).unwrap();
        child.wait_with_output().unwrap()
    }
}
