//! The marker tag over real repositories: recorded by one run, pushed to a bare
//! remote, read back by the next run's fresh shallow clone.

use pretty_assertions::assert_eq;

use super::deadline;
use super::sandbox::{ENV_ID, Sandbox, TAG, found_sha, plan_for, read_marker};
use crate::deployed::Answer;
use crate::deployed::marker::{self, Recorded, record};
use crate::deployed::plan::Plan;

#[tokio::test]
async fn the_marker_carries_the_range_across_runs_and_shallow_clones() {
    let sandbox = Sandbox::new();
    sandbox.commit("ABC-1 first");

    // Run 1 deploys successfully from a depth-1 checkout and records it.
    let run1 = sandbox.clone("run1", Some(1));
    let deployed1 = sandbox.head(&run1);
    assert_eq!(
        read_marker(&sandbox.cli(&run1), true),
        Answer::NoneYet("no tag jira-send/deployed/production-eu yet, locally or on origin".into()),
        "a first deployment with --record-deployment: nothing to advise"
    );
    assert_eq!(
        record(&sandbox.cli(&run1), ENV_ID, &deployed1, deadline(30)),
        Recorded::Pushed {
            tag: "jira-send/deployed/production-eu".into()
        }
    );
    assert_eq!(sandbox.remote_tag().as_deref(), Some(deployed1.as_str()));

    // Two pushes; run 2's deployment fails, so it records nothing.
    sandbox.commit("ABC-2 second");
    sandbox.commit("ABC-3 third");
    sandbox.commit("ABC-4 fourth");
    sandbox.commit("ABC-5 fifth");

    // Run 3, in a fresh depth-1 clone, finds run 1's deployment and reads exactly the
    // four commits since.
    let run3 = sandbox.clone("run3", Some(1));
    let answer = read_marker(&sandbox.cli(&run3), true);
    assert_eq!(found_sha(&answer), deployed1);
    let Answer::Found(found) = &answer else {
        unreachable!()
    };
    assert_eq!(
        found.detail,
        format!("tag jira-send/deployed/production-eu, {}", &deployed1[..7])
    );
    let planned = plan_for(&sandbox, &run3, &deployed1, 1000).await;
    assert_eq!(
        planned.plan,
        Plan::Walk {
            base: deployed1.parse().unwrap()
        }
    );
    assert!(planned.warnings.is_empty(), "{planned:?}");
    assert_eq!(sandbox.count(&run3, &format!("{deployed1}..HEAD")), 4);
    let deployed3 = sandbox.head(&run3);
    assert!(matches!(
        record(&sandbox.cli(&run3), ENV_ID, &deployed3, deadline(30)),
        Recorded::Pushed { .. }
    ));

    // Run 4 sees run 3's deployment: one new commit.
    sandbox.commit("ABC-6 sixth");
    let run4 = sandbox.clone("run4", Some(1));
    let answer = read_marker(&sandbox.cli(&run4), false);
    assert_eq!(found_sha(&answer), deployed3);
    let planned = plan_for(&sandbox, &run4, &deployed3, 1000).await;
    assert_eq!(
        planned.plan,
        Plan::Walk {
            base: deployed3.parse().unwrap()
        }
    );
    assert_eq!(sandbox.count(&run4, &format!("{deployed3}..HEAD")), 1);
}

#[tokio::test]
async fn a_marker_inside_the_clone_needs_no_more_history() {
    let sandbox = Sandbox::new();
    for i in 1..=8 {
        sandbox.commit(&format!("ABC-{i}"));
    }
    let base = sandbox.git(&sandbox.work, &["rev-parse", "HEAD~2"]);
    sandbox.git(&sandbox.work, &["push", "-q", "origin", &format!("{base}:{TAG}")]);

    let clone = sandbox.clone("ci", Some(5));
    assert_eq!(found_sha(&read_marker(&sandbox.cli(&clone), false)), base);
    // The tag's fetch (at depth 1) neither cut nor deepened the clone's history.
    assert_eq!(sandbox.count(&clone, "HEAD"), 5);
    let planned = plan_for(&sandbox, &clone, &base, 1000).await;
    assert_eq!(
        planned.plan,
        Plan::Walk {
            base: base.parse().unwrap()
        }
    );
    assert!(planned.notes.is_empty(), "{planned:?}");
    assert_eq!(sandbox.count(&clone, "HEAD"), 5);
}

#[test]
fn without_a_marker_the_advice_is_to_record_one() {
    let sandbox = Sandbox::new();
    sandbox.commit("ABC-1");
    let clone = sandbox.clone("ci", Some(1));
    assert_eq!(
        read_marker(&sandbox.cli(&clone), false),
        Answer::Missing {
            why: "no tag jira-send/deployed/production-eu, locally or on origin".into(),
            remedy: Some("add --record-deployment".into()),
        }
    );
    assert_eq!(
        read_marker(&sandbox.cli(&clone), true),
        Answer::NoneYet("no tag jira-send/deployed/production-eu yet, locally or on origin".into()),
        "recording: a first deployment"
    );
}

#[test]
fn an_unreachable_origin_leaves_the_local_tag_or_a_warning() {
    let sandbox = Sandbox::new();
    let sha = sandbox.commit("ABC-1");
    let clone = sandbox.clone("ci", None);
    sandbox.git(
        &clone,
        &["remote", "set-url", "origin", "file:///nonexistent/remote.git"],
    );

    let Answer::Failed { warning, remedy } = read_marker(&sandbox.cli(&clone), false) else {
        panic!("no origin and no local tag")
    };
    assert!(
        warning.starts_with("cannot fetch the tag jira-send/deployed/production-eu from origin: "),
        "{warning}"
    );
    // Fetching tags cannot help: no tag is recorded, and origin cannot be reached.
    assert_eq!(
        remedy.as_deref(),
        Some("add --record-deployment, in a job that can reach origin (the tag is kept there)")
    );
    let Answer::Failed { remedy, .. } = read_marker(&sandbox.cli(&clone), true) else {
        panic!("no origin and no local tag")
    };
    assert_eq!(
        remedy.as_deref(),
        Some("let the job reach origin (git ls-remote origin must work with the checkout's credentials)")
    );

    sandbox.git(&clone, &["update-ref", TAG, &sha]);
    assert_eq!(found_sha(&read_marker(&sandbox.cli(&clone), false)), sha);
}

#[test]
fn recording_needs_no_identity_and_a_failed_push_is_only_a_warning() {
    let sandbox = Sandbox::new();
    let sha = sandbox.commit("ABC-1");
    let clone = sandbox.clone("ci", Some(1));
    sandbox.git(
        &clone,
        &["remote", "set-url", "origin", "file:///nonexistent/remote.git"],
    );

    let Recorded::NotPushed { tag, warning } = record(&sandbox.cli(&clone), ENV_ID, &sha, deadline(30))
    else {
        panic!("the push cannot succeed")
    };
    assert_eq!(tag, "jira-send/deployed/production-eu");
    assert!(warning.contains("git push to origin failed"), "{warning}");
    assert!(warning.contains("`contents: write`"), "{warning}");
    // The local tag moved all the same (and without a committer identity).
    assert_eq!(sandbox.git(&clone, &["rev-parse", TAG]), sha);

    sandbox.git(&clone, &["remote", "remove", "origin"]);
    assert!(matches!(
        record(&sandbox.cli(&clone), ENV_ID, &sha, deadline(30)),
        Recorded::NotPushed { .. }
    ));
}

#[test]
fn a_token_in_the_remote_url_stays_out_of_warnings() {
    let sandbox = Sandbox::new();
    let sha = sandbox.commit("ABC-1");
    let clone = sandbox.clone("ci", Some(1));
    // Nothing listens on port 9 of loopback: git fails at once and names the URL.
    let secret = "glpat-SECRET-in-url";
    sandbox.git(
        &clone,
        &[
            "remote",
            "set-url",
            "origin",
            &format!("http://oauth2:{secret}@127.0.0.1:9/acme/app.git"),
        ],
    );
    let (logs, _guard) = super::capture_logs();

    let Answer::Failed { warning, .. } = read_marker(&sandbox.cli(&clone), false) else {
        panic!("origin cannot be reached")
    };
    let Recorded::NotPushed {
        warning: push_warning,
        ..
    } = record(&sandbox.cli(&clone), ENV_ID, &sha, deadline(30))
    else {
        panic!("origin cannot be reached")
    };

    assert!(warning.contains("127.0.0.1"), "{warning}");
    for text in [&warning, &push_warning, &logs.text()] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[test]
fn marker_names_pass_git_check_ref_format() {
    let sandbox = Sandbox::new();
    for id in [
        "production-eu",
        "Production EU",
        ".hidden",
        "a..b",
        "x.lock",
        "@",
        "a@{1}",
        "review/feature-x",
        "trailing/",
        "sp ace\ttab",
        "star*?[q]",
        "tilde~caret^colon:",
        "back\\slash",
        "本番 🚀",
        "100%",
        "end.",
    ] {
        let name = marker::reference(id).unwrap();
        sandbox.git(&sandbox.root, &["check-ref-format", &name]);
    }
}

#[test]
fn offline_the_local_tag_is_read_and_origin_is_not_asked() {
    let sandbox = Sandbox::new();
    let sha = sandbox.commit("ABC-1");
    let clone = sandbox.clone("ci", None);
    sandbox.git(&clone, &["update-ref", TAG, &sha]);
    // Were origin asked, this URL would fail and the answer would say "(local)".
    sandbox.git(
        &clone,
        &["remote", "set-url", "origin", "file:///nonexistent/remote.git"],
    );
    let offline = marker::Reading {
        ask_origin: false,
        record_deployment: false,
    };
    let answer = marker::lookup(&sandbox.cli(&clone), ENV_ID, offline, deadline(30));
    assert_eq!(
        answer,
        Answer::Found(crate::deployed::Deployed {
            detail: format!("tag jira-send/deployed/production-eu, {}", &sha[..7]),
            sha,
        })
    );
}
