//! Where no source knows the last deployment: today's range, with one warning that says
//! what to set; and Jenkins' own record of its last successful build.

use pretty_assertions::assert_eq;

use super::{assert_ran, keys_sent, range, short, warnings};
use crate::common::{FakeJira, Upstream, github_push};

#[tokio::test]
async fn without_any_source_the_range_is_todays_with_one_warning_saying_what_to_set() {
    let upstream = Upstream::new("main");
    let ids = upstream.commits(&(1..=4).map(|i| format!("ABC-{i}")).collect::<Vec<_>>());
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", None);
    // A GitHub Actions run without a token, in a clone whose origin has no marker tag.
    let run = |args: &[&str]| {
        upstream
            .jira_send(&jira, &checkout)
            .envs(github_push("main", Some(&ids[1]), &upstream.home))
            .args(["deployment", "--environment", "Production EU", "--output", "json"])
            .args(args)
            .output()
            .unwrap()
    };

    let output = run(&[]);
    assert_ran(&output);
    assert_eq!(keys_sent(&jira).await, ["ABC-4", "ABC-3"], "the push's range");
    assert_eq!(range(&output)["fromSource"], "ci");
    assert_eq!(range(&output)["from"], ids[1]);
    assert_eq!(range(&output)["fromDetail"], "GitHub Actions: event before");
    assert_eq!(
        warnings(&output),
        [
            "jira-send: warning: no previous successful deployment to Production EU was found; the range \
          is the CI's range (from GitHub Actions: event before): to read every commit since the last \
          deployment, pass GITHUB_TOKEN and grant `deployments: read`, or add --record-deployment"
        ]
    );

    // The GitHub Action sets every input's variable, empty when left out: unset.
    let empty = upstream
        .jira_send(&jira, &checkout)
        .envs(github_push("main", Some(&ids[1]), &upstream.home))
        .envs([
            ("GITHUB_TOKEN", ""),
            ("JIRA_SEND_SINCE_DEPLOYMENT", ""),
            ("JIRA_SEND_GITHUB_ENVIRONMENT", ""),
            ("JIRA_SEND_RECORD_DEPLOYMENT", ""),
        ])
        .args(["deployment", "--environment", "Production EU", "--output", "json"])
        .output()
        .unwrap();
    assert_ran(&empty);
    assert_eq!(range(&empty), range(&output));
    assert_eq!(warnings(&empty), warnings(&output));
    assert_eq!(
        upstream.remote_ref("refs/tags/jira-send/deployed/production-eu"),
        None
    );

    // Exactly what a run without the lookup reads, and that one says nothing.
    let off = run(&["--since-deployment", "off"]);
    assert_ran(&off);
    assert_eq!(keys_sent(&jira).await, ["ABC-4", "ABC-3"]);
    assert_eq!(range(&off), range(&output));
    assert_eq!(warnings(&off), Vec::<String>::new());
}

#[tokio::test]
async fn jenkins_reads_its_last_successful_build() {
    let upstream = Upstream::new("main");
    let ids = upstream.commits(&(1..=4).map(|i| format!("ABC-{i}")).collect::<Vec<_>>());
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", None);

    let output = upstream
        .jira_send(&jira, &checkout)
        .envs([
            ("JENKINS_URL", "https://jenkins.example.com/"),
            ("JENKINS_HOME", "/var/jenkins_home"),
            ("JOB_NAME", "shop/main"),
            ("BUILD_NUMBER", "57"),
            ("BUILD_URL", "https://jenkins.example.com/job/shop/job/main/57/"),
            ("GIT_BRANCH", "origin/main"),
            ("GIT_COMMIT", &ids[3]),
            ("GIT_PREVIOUS_SUCCESSFUL_COMMIT", &ids[0]),
        ])
        .args(["deployment", "--environment", "Production EU", "--output", "json"])
        .args(["--since-deployment", "jenkins"])
        .output()
        .unwrap();

    assert_ran(&output);
    assert_eq!(keys_sent(&jira).await, ["ABC-4", "ABC-3", "ABC-2"]);
    assert_eq!(range(&output)["fromSource"], "jenkins");
    assert_eq!(
        range(&output)["fromDetail"],
        format!("Jenkins' last successful build, {}", short(&ids[0]))
    );
    assert_eq!(warnings(&output), Vec::<String>::new());
}

#[tokio::test]
async fn a_source_named_outside_its_ci_warns_and_the_range_is_todays() {
    let upstream = Upstream::new("main");
    upstream.commits(&["ABC-1".into(), "ABC-2".into()]);
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", None);

    let output = upstream
        .jira_send(&jira, &checkout)
        .args([
            "deployment",
            "--environment",
            "Production EU",
            "--pipeline-id",
            "shop",
        ])
        .args(["--deployment-number", "7", "--url", "https://ci.example.com/7"])
        .args(["--since-deployment", "github", "--output", "json"])
        .output()
        .unwrap();

    assert_ran(&output);
    assert_eq!(keys_sent(&jira).await, ["ABC-2"]);
    assert_eq!(range(&output)["fromSource"], "head");
    assert_eq!(
        warnings(&output),
        [
            "jira-send: warning: no previous successful deployment to Production EU was found; the range \
          is HEAD alone"
        ]
    );
}
