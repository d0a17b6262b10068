//! The marker tag `jira-send/deployed/<environment-id>`: recorded by
//! `--record-deployment` once Jira accepted a successful deployment, read back by the
//! next run in a fresh shallow clone, and placed against HEAD (a rollback, a base on
//! another branch).

use std::path::Path;
use std::process::Output;

use pretty_assertions::assert_eq;
use serde_json::json;

use super::{assert_ran, keys_sent, range, short, warnings};
use crate::common::{FakeJira, Upstream, json, stderr, stdout};

const TAG: &str = "refs/tags/jira-send/deployed/production-eu";

/// A deployment to Production EU from `checkout`, outside any CI system, with `args`.
fn deploy(upstream: &Upstream, jira: &FakeJira, checkout: &Path, args: &[&str]) -> Output {
    upstream
        .jira_send(jira, checkout)
        .args([
            "deployment",
            "--environment",
            "Production EU",
            "--pipeline-id",
            "shop",
        ])
        .args(["--deployment-number", "7", "--url", "https://ci.example.com/7"])
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_recorded_deployment_starts_the_next_ones_range_in_a_fresh_shallow_clone() {
    let upstream = Upstream::new("main");
    let first = upstream.commits(&["ABC-1 first".into(), "ABC-2 second".into()])[1].clone();
    let jira = FakeJira::start().await;

    // The first deployment: no tag yet, which is no cause for a warning with
    // --record-deployment. Jira accepts it; the tag moves to HEAD on origin.
    let checkout = upstream.checkout("run-1", Some(1));
    let output = deploy(&upstream, &jira, &checkout, &["--record-deployment"]);
    assert_ran(&output);
    assert_eq!(keys_sent(&jira).await, ["ABC-2"]);
    assert_eq!(upstream.remote_ref(TAG).as_deref(), Some(first.as_str()));
    assert!(
        stdout(&output).contains(&format!(
            "recorded in the tag jira-send/deployed/production-eu ({}), pushed to origin",
            short(&first)
        )),
        "{}",
        stdout(&output)
    );
    assert_eq!(warnings(&output), Vec::<String>::new());

    // Two more commits, and the next deployment in a fresh one-commit clone: it reads
    // the tag from origin and sends exactly the new commits' keys.
    let ids = upstream.commits(&["ABC-3 third".into(), "ABC-4 fourth\n\nAlso ABC-5.".into()]);
    let checkout = upstream.checkout("run-2", Some(1));
    let output = deploy(
        &upstream,
        &jira,
        &checkout,
        &["--record-deployment", "--output", "json"],
    );
    assert_ran(&output);
    assert_eq!(keys_sent(&jira).await, ["ABC-4", "ABC-5", "ABC-3"]);
    assert_eq!(
        range(&output),
        json!({
            "from": first,
            "to": ids[1],
            "commits": 2,
            "fromSource": "tag",
            "fromDetail": format!("tag jira-send/deployed/production-eu, {}", short(&first)),
            "truncated": false,
        })
    );
    assert_eq!(upstream.remote_ref(TAG).as_deref(), Some(ids[1].as_str()));
    assert_eq!(warnings(&output), Vec::<String>::new());
}

#[tokio::test]
async fn a_rollback_carries_the_branchs_keys_alone() {
    let upstream = Upstream::new("main");
    let ids = upstream.commits(&(1..=5).map(|i| format!("ABC-{i}")).collect::<Vec<_>>());
    upstream.git(
        &upstream.work,
        &["push", "-q", "origin", &format!("{}:{TAG}", ids[4])],
    );
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", None);
    upstream.git(&checkout, &["checkout", "-q", "--detach", &ids[2]]);

    let output = deploy(
        &upstream,
        &jira,
        &checkout,
        &["--branch", "release/OPS-1", "--state", "rolled_back", "-v"],
    );

    assert_ran(&output);
    assert_eq!(keys_sent(&jira).await, ["OPS-1"]);
    assert!(
        stderr(&output).contains(&format!(
            "HEAD is behind the last deployed commit {} (a rollback): no new commits",
            short(&ids[4])
        )),
        "{}",
        stderr(&output)
    );
    assert!(
        stdout(&output).starts_with(&format!(
            "no new commits since the last successful deployment to Production EU (tag \
             jira-send/deployed/production-eu, {}): the keys are the branch's\n",
            short(&ids[4])
        )),
        "{}",
        stdout(&output)
    );
}

#[tokio::test]
async fn a_base_on_another_branch_starts_the_range_at_the_merge_base() {
    let upstream = Upstream::new("main");
    let ids = upstream.commits(&["ABC-1".into(), "ABC-2".into()]);
    // A hotfix branched from ABC-2 was deployed and recorded; main moved on.
    upstream.git(&upstream.work, &["checkout", "-q", "-b", "hotfix"]);
    let hotfix = upstream.commit("ABC-90 hotfix");
    upstream.git(
        &upstream.work,
        &["push", "-q", "origin", &format!("{hotfix}:{TAG}")],
    );
    upstream.git(&upstream.work, &["checkout", "-q", "main"]);
    upstream.commits(&["ABC-3".into(), "ABC-4".into()]);
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", Some(1));

    let output = deploy(&upstream, &jira, &checkout, &["--output", "json", "-v"]);

    assert_ran(&output);
    assert_eq!(keys_sent(&jira).await, ["ABC-4", "ABC-3"]);
    assert_eq!(range(&output)["from"], hotfix);
    assert_eq!(range(&output)["commits"], 2);
    assert!(
        stderr(&output).contains(&format!(
            "the last deployed commit {} is not an ancestor of HEAD (a rollback or a hotfix branch?): \
             the range starts at their merge base {}",
            short(&hotfix),
            short(&ids[1])
        )),
        "{}",
        stderr(&output)
    );
}

// The refused push is a shell hook on the bare remote.
#[cfg(unix)]
#[tokio::test]
async fn only_a_successful_deployment_jira_accepted_is_recorded_and_a_failed_push_only_warns() {
    let upstream = Upstream::new("main");
    upstream.commit("ABC-1");
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("ci", None);
    let record = |args: &[&str]| {
        let mut all = vec!["--record-deployment", "--output", "json"];
        all.extend_from_slice(args);
        deploy(&upstream, &jira, &checkout, &all)
    };

    let failed = record(&["--state", "failed"]);
    assert_ran(&failed);
    let dry = record(&["--dry-run"]);
    assert_ran(&dry);
    jira.reject_numbers.lock().unwrap().push(7);
    let rejected = record(&[]);
    assert_eq!(rejected.status.code(), Some(1), "{}", stderr(&rejected));
    jira.reject_numbers.lock().unwrap().clear();
    assert_eq!(upstream.remote_ref(TAG), None, "nothing was recorded");

    // origin refuses the push: a warning that says what the job needs; the report and
    // its exit code are those of the deployment.
    let hook = upstream.remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'tags are protected' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let refused = record(&[]);
    assert_ran(&refused);
    assert_eq!(json(&refused)["exitCode"], 0);
    assert_eq!(upstream.remote_ref(TAG), None);
    let warnings = warnings(&refused);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(
            "the deployment was not recorded in the tag jira-send/deployed/production-eu: git push to \
             origin failed"
        ) && warnings[0].contains("tags are protected")
            && warnings[0].contains("`contents: write`"),
        "{warnings:?}"
    );
}

/// Origin cannot be reached and no tag was ever recorded: the advice fits what failed.
/// Fetching tags cannot help (there are none, and origin cannot be read); recording
/// them, from a job that can reach origin, can. With --record-deployment already on,
/// the job must reach origin.
#[tokio::test]
async fn an_unreachable_origin_gets_advice_that_fits() {
    let upstream = Upstream::new("main");
    upstream.commits(&["ABC-1 first".into(), "ABC-2 second".into()]);
    let jira = FakeJira::start().await;
    let checkout = upstream.checkout("run-1", Some(1));
    upstream.git(
        &checkout,
        &["remote", "set-url", "origin", "file:///nonexistent/remote.git"],
    );
    for (args, advice) in [
        (
            &[][..],
            "to read every commit since the last deployment, add --record-deployment, in a job that can \
             reach origin (the tag is kept there)",
        ),
        (
            &["--record-deployment"][..],
            "to read every commit since the last deployment, let the job reach origin (git ls-remote \
             origin must work with the checkout's credentials)",
        ),
    ] {
        let output = deploy(&upstream, &jira, &checkout, args);
        assert_ran(&output);
        let warnings = warnings(&output);
        assert!(
            warnings[0].contains("cannot fetch the tag jira-send/deployed/production-eu from origin"),
            "{warnings:?}"
        );
        let last = warnings
            .iter()
            .find(|w| w.contains("no previous successful deployment"));
        let last = last.unwrap_or_else(|| panic!("{warnings:?}"));
        assert!(last.ends_with(advice), "{args:?}: {last}");
        assert!(!last.contains("fetch tags"), "{last}");
    }
}
