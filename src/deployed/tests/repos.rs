//! Real repositories: an upstream with a history of deployments, a bare remote that
//! receives the marker tag, shallow clones of it made with `git clone --depth`, over
//! `file://`. git runs in a sandbox: its own `HOME`, no system or global
//! configuration, and (for the code under test) no committer identity.

use std::path::{Path, PathBuf};
use std::process::Command;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{client, deadline, github};
use crate::deployed::deepen::deepen;
use crate::deployed::marker::{self, Recorded, lookup, record};
use crate::deployed::plan::{Placement, Placing, Plan, place, plan};
use crate::deployed::{Answer, GitCli};

const ENV_ID: &str = "production-eu";
const TAG: &str = "refs/tags/jira-send/deployed/production-eu";

struct Sandbox {
    _dir: tempfile::TempDir,
    /// Where everything lives: a path with a space and a `#`, as real ones have.
    root: PathBuf,
    remote: PathBuf,
    work: PathBuf,
}

impl Sandbox {
    /// A bare `remote.git`, and `work`, a clone of it that commits and pushes.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ci work #1");
        std::fs::create_dir_all(root.join("home")).unwrap();
        let sandbox = Self {
            remote: root.join("remote.git"),
            work: root.join("work"),
            root,
            _dir: dir,
        };
        sandbox.git(
            &sandbox.root,
            &["init", "-q", "--bare", "-b", "main", "remote.git"],
        );
        sandbox.git(&sandbox.root, &["init", "-q", "-b", "main", "work"]);
        sandbox.git(&sandbox.work, &["remote", "add", "origin", &sandbox.url()]);
        sandbox
    }

    fn url(&self) -> String {
        format!("file://{}", self.remote.display())
    }

    /// The environment every git process sees: no configuration but the sandbox's.
    #[allow(clippy::disallowed_methods)]
    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("HOME".into(), self.root.join("home").display().to_string()),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ]
    }

    /// git for the code under test: the sandbox's environment, no identity.
    fn cli(&self, dir: &Path) -> GitCli {
        GitCli::new(dir).with_env(self.env())
    }

    /// Runs git to set a scene (with an identity); its trimmed output.
    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let output = Command::new("git")
            .env_clear()
            .envs(self.env())
            .envs([
                ("GIT_AUTHOR_NAME", "Author"),
                ("GIT_AUTHOR_EMAIL", "author@example.com"),
                ("GIT_COMMITTER_NAME", "Author"),
                ("GIT_COMMITTER_EMAIL", "author@example.com"),
            ])
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// Commits `message` in `work` and pushes it; its sha.
    fn commit(&self, message: &str) -> String {
        self.git(&self.work, &["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&self.work, &["push", "-q", "origin", "HEAD"]);
        self.git(&self.work, &["rev-parse", "HEAD"])
    }

    /// A fresh clone of the remote's `main`, `depth` commits deep (all of them for
    /// `None`), as a CI checkout makes it.
    fn clone(&self, name: &str, depth: Option<u32>) -> PathBuf {
        let mut args = vec!["clone".to_owned(), "-q".to_owned()];
        if let Some(depth) = depth {
            args.push(format!("--depth={depth}"));
        }
        args.extend([self.url(), name.to_owned()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.git(&self.root, &args);
        self.root.join(name)
    }

    fn head(&self, clone: &Path) -> String {
        self.git(clone, &["rev-parse", "HEAD"])
    }

    /// How many commits `git rev-list` counts for `range` in `clone`.
    fn count(&self, clone: &Path, range: &str) -> usize {
        self.git(clone, &["rev-list", "--count", range]).parse().unwrap()
    }

    fn remote_tag(&self) -> Option<String> {
        let output = Command::new("git")
            .env_clear()
            .envs(self.env())
            .arg("-C")
            .arg(&self.remote)
            .args(["rev-parse", "--verify", "-q", TAG])
            .output()
            .unwrap();
        output
            .status
            .success()
            .then(|| String::from_utf8(output.stdout).unwrap().trim().to_owned())
    }
}

fn found_sha(answer: &Answer) -> &str {
    match answer {
        Answer::Found(found) => &found.sha,
        other => panic!("expected a deployment, got {other:?}"),
    }
}

async fn plan_for(
    sandbox: &Sandbox,
    clone: &Path,
    base: &str,
    max_commits: usize,
) -> crate::deployed::Planned {
    let git = sandbox.cli(clone);
    let head = sandbox.head(clone);
    let client = client();
    plan(&Placing {
        git: &git,
        base,
        head: &head,
        github: None,
        max_commits,
        client: &client,
        deadline: deadline(60),
    })
    .await
}

#[tokio::test]
async fn the_marker_carries_the_range_across_runs_and_shallow_clones() {
    let sandbox = Sandbox::new();
    sandbox.commit("ABC-1 first");

    // Run 1 deploys successfully from a depth-1 checkout and records it.
    let run1 = sandbox.clone("run1", Some(1));
    let deployed1 = sandbox.head(&run1);
    assert_eq!(
        lookup(&sandbox.cli(&run1), ENV_ID, true, deadline(30)),
        Answer::missing("no tag jira-send/deployed/production-eu, locally or on origin"),
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
    let answer = lookup(&sandbox.cli(&run3), ENV_ID, true, deadline(30));
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
    let answer = lookup(&sandbox.cli(&run4), ENV_ID, false, deadline(30));
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
    assert_eq!(
        found_sha(&lookup(&sandbox.cli(&clone), ENV_ID, false, deadline(30))),
        base
    );
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
        lookup(&sandbox.cli(&clone), ENV_ID, false, deadline(30)),
        Answer::Missing {
            why: "no tag jira-send/deployed/production-eu, locally or on origin".into(),
            remedy: Some("add --record-deployment".into()),
        }
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

    let Answer::Failed { warning, .. } = lookup(&sandbox.cli(&clone), ENV_ID, false, deadline(30)) else {
        panic!("no origin and no local tag")
    };
    assert!(
        warning.starts_with("cannot fetch the tag jira-send/deployed/production-eu from origin: "),
        "{warning}"
    );

    sandbox.git(&clone, &["update-ref", TAG, &sha]);
    assert_eq!(
        found_sha(&lookup(&sandbox.cli(&clone), ENV_ID, false, deadline(30))),
        sha
    );
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

#[tokio::test]
async fn deepening_goes_in_steps_until_the_base_is_reached() {
    let sandbox = Sandbox::new();
    let shas: Vec<String> = (0..120).map(|i| sandbox.commit(&format!("ABC-{i}"))).collect();
    let base = &shas[19]; // 100 commits below HEAD

    let clone = sandbox.clone("ci", Some(1));
    let git = sandbox.cli(&clone);
    let head = sandbox.head(&clone);
    let deepened = deepen(&git, base, &head, 1000, deadline(60));
    assert!(deepened.reachable, "{deepened:?}");
    // The base itself (one commit), then 50 (not enough), then 200.
    assert_eq!((deepened.fetches, deepened.deepened_by), (3, 200));
    assert_eq!(sandbox.count(&clone, &format!("{base}..HEAD")), 100);

    // Bounded by --max-commits: a base 100 commits down is out of reach of 60.
    let shallow = sandbox.clone("capped", Some(1));
    let deepened = deepen(&sandbox.cli(&shallow), base, &head, 60, deadline(60));
    assert!(!deepened.reachable);
    assert_eq!(deepened.deepened_by, 60);
    let shallow2 = sandbox.clone("capped2", Some(1));
    let planned = plan_for(&sandbox, &shallow2, base, 60).await;
    assert_eq!(planned.plan, Plan::Partial);
    assert!(
        planned.warnings[0].contains("not in this shallow clone (not within 60 more commits)"),
        "{planned:?}"
    );
    assert!(planned.warnings[0].contains("`fetch-depth: 0`") && planned.warnings[0].contains("GIT_DEPTH"));
}

#[tokio::test]
async fn a_redeploy_or_a_rollback_adds_no_commits() {
    let sandbox = Sandbox::new();
    let shas: Vec<String> = (0..6).map(|i| sandbox.commit(&format!("ABC-{i}"))).collect();
    let clone = sandbox.clone("ci", None);
    let git = sandbox.cli(&clone);

    assert_eq!(place(&git, &shas[5], &shas[5]), Placement::Same);
    // Rolling back to shas[2] after shas[5] was deployed.
    sandbox.git(&clone, &["checkout", "-q", "--detach", &shas[2]]);
    assert_eq!(place(&git, &shas[5], &shas[2]), Placement::Behind);
    let planned = plan_for(&sandbox, &clone, &shas[5], 1000).await;
    assert_eq!(planned.plan, Plan::Nothing);
    assert!(
        planned.notes[0].contains("(a rollback): no new commits"),
        "{planned:?}"
    );
}

#[tokio::test]
async fn a_base_on_another_branch_starts_the_range_at_the_merge_base() {
    let sandbox = Sandbox::new();
    let shas: Vec<String> = (0..3).map(|i| sandbox.commit(&format!("ABC-{i} main"))).collect();
    // A hotfix branched from shas[2] was deployed and recorded.
    sandbox.git(&sandbox.work, &["checkout", "-q", "-b", "hotfix"]);
    let hotfix = sandbox.commit("ABC-90 hotfix");
    let hotfix_clone = sandbox.clone("hotfix-run", None);
    sandbox.git(&hotfix_clone, &["checkout", "-q", "hotfix"]);
    assert!(matches!(
        record(&sandbox.cli(&hotfix_clone), ENV_ID, &hotfix, deadline(30)),
        Recorded::Pushed { .. }
    ));
    // main moves on; the next deployment is from main, in a depth-1 clone.
    sandbox.git(&sandbox.work, &["checkout", "-q", "main"]);
    sandbox.commit("ABC-3 main");
    sandbox.commit("ABC-4 main");
    let clone = sandbox.clone("main-run", Some(1));

    let answer = lookup(&sandbox.cli(&clone), ENV_ID, false, deadline(30));
    assert_eq!(found_sha(&answer), hotfix);
    let planned = plan_for(&sandbox, &clone, &hotfix, 1000).await;
    assert_eq!(
        planned.plan,
        Plan::Walk {
            base: shas[2].parse().unwrap()
        }
    );
    assert!(
        planned
            .notes
            .iter()
            .any(|n| n.contains("is not an ancestor of HEAD")
                && n.contains(&format!("merge base {}", &shas[2][..7]))),
        "{planned:?}"
    );
    assert_eq!(sandbox.count(&clone, &format!("{}..HEAD", shas[2])), 2);
}

#[tokio::test]
async fn on_github_a_depth_one_clone_reads_the_range_from_the_compare_api() {
    let sandbox = Sandbox::new();
    let base = sandbox.commit("ABC-1 deployed");
    for i in 2..=4 {
        sandbox.commit(&format!("ABC-{i} change\n\nbody {i}"));
    }
    let clone = sandbox.clone("ci", Some(1));
    let head = sandbox.head(&clone);

    // The fake's answer is the upstream's real history between the two.
    let log = sandbox.git(
        &sandbox.work,
        &[
            "log",
            "--reverse",
            "--format=%H%x00%B%x1e",
            &format!("{base}..{head}"),
        ],
    );
    let commits: Vec<Value> = log
        .split('\x1e')
        .filter(|e| !e.trim().is_empty())
        .map(|entry| {
            let (sha, message) = entry.trim_start().split_once('\0').unwrap();
            json!({"sha": sha, "commit": {"message": message.trim_end()}})
        })
        .collect();
    let server = MockServer::start().await;
    let body = json!({"status": "ahead", "total_commits": commits.len(), "merge_base_commit": {"sha": base}, "commits": commits});
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/app/compare/{base}...{head}")))
        .respond_with(move |_: &Request| ResponseTemplate::new(200).set_body_json(body.clone()))
        .expect(1)
        .mount(&server)
        .await;

    let git = sandbox.cli(&clone);
    let github = github(&server.uri(), "prod");
    let client = client();
    let planned = plan(&Placing {
        git: &git,
        base: &base,
        head: &head,
        github: Some(&github),
        max_commits: 1000,
        client: &client,
        deadline: deadline(30),
    })
    .await;

    let Plan::Messages { commits, truncated } = planned.plan else {
        panic!("{planned:?}")
    };
    assert!(!truncated);
    let messages: Vec<&str> = commits.iter().map(|c| c.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "ABC-2 change\n\nbody 2",
            "ABC-3 change\n\nbody 3",
            "ABC-4 change\n\nbody 4"
        ]
    );
    // The clone was not touched: still one commit deep.
    assert_eq!(sandbox.count(&clone, "HEAD"), 1);
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

    let Answer::Failed { warning, .. } = lookup(&sandbox.cli(&clone), ENV_ID, false, deadline(30)) else {
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
