//! A sandbox of real repositories made with the git CLI: a bare remote, a working
//! clone that commits and pushes to it, and CI-like clones of it (`git clone --depth`
//! over `file://`). git sees its own `HOME`, no system or global configuration and, for
//! the code under test, no committer identity.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{client, deadline};
use crate::deployed::marker::{self, Reading};
use crate::deployed::plan::{Placing, plan};
use crate::deployed::{Answer, GitCli, Planned};

pub(super) const ENV_ID: &str = "production-eu";
pub(super) const TAG: &str = "refs/tags/jira-send/deployed/production-eu";

pub(super) struct Sandbox {
    _dir: tempfile::TempDir,
    /// Where everything lives: a path with a space and a `#`, as real ones have.
    pub(super) root: PathBuf,
    remote: PathBuf,
    /// The working clone that commits and pushes.
    pub(super) work: PathBuf,
}

impl Sandbox {
    /// A bare `remote.git`, and `work`, a clone of it that commits and pushes.
    pub(super) fn new() -> Self {
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

    pub(super) fn url(&self) -> String {
        format!("file://{}", self.remote.display())
    }

    /// The environment every git process sees: no configuration but the sandbox's.
    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("HOME".into(), self.root.join("home").display().to_string()),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ]
    }

    /// git for the code under test: the sandbox's environment, no identity.
    pub(super) fn cli(&self, dir: &Path) -> GitCli {
        GitCli::new(dir).with_env(self.env())
    }

    /// Runs git to set a scene (with an identity); its trimmed output.
    pub(super) fn git(&self, dir: &Path, args: &[&str]) -> String {
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
    pub(super) fn commit(&self, message: &str) -> String {
        self.git(&self.work, &["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&self.work, &["push", "-q", "origin", "HEAD"]);
        self.git(&self.work, &["rev-parse", "HEAD"])
    }

    /// A fresh clone of the remote's `main`, `depth` commits deep (all of them for
    /// `None`), as a CI checkout makes it.
    pub(super) fn clone(&self, name: &str, depth: Option<u32>) -> PathBuf {
        let mut args = vec!["clone".to_owned(), "-q".to_owned()];
        if let Some(depth) = depth {
            args.push(format!("--depth={depth}"));
        }
        args.extend([self.url(), name.to_owned()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.git(&self.root, &args);
        self.root.join(name)
    }

    pub(super) fn head(&self, clone: &Path) -> String {
        self.git(clone, &["rev-parse", "HEAD"])
    }

    /// How many commits `git rev-list` counts for `range` in `clone`.
    pub(super) fn count(&self, clone: &Path, range: &str) -> usize {
        self.git(clone, &["rev-list", "--count", range]).parse().unwrap()
    }

    pub(super) fn remote_tag(&self) -> Option<String> {
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

/// Reads the marker of [`ENV_ID`] as a run does, asking origin.
pub(super) fn read_marker(git: &GitCli, record_deployment: bool) -> Answer {
    marker::lookup(
        git,
        ENV_ID,
        Reading {
            ask_origin: true,
            record_deployment,
        },
        deadline(30),
    )
}

pub(super) fn found_sha(answer: &Answer) -> &str {
    match answer {
        Answer::Found(found) => &found.sha,
        other => panic!("expected a deployment, got {other:?}"),
    }
}

/// The plan for `base` in `clone`, without GitHub, online.
pub(super) async fn plan_for(sandbox: &Sandbox, clone: &Path, base: &str, max_commits: usize) -> Planned {
    let git = sandbox.cli(clone);
    let head = sandbox.head(clone);
    let client = client();
    plan(&Placing {
        git: &git,
        base,
        head: &head,
        github: None,
        max_commits,
        client: Some(&client),
        deadline: deadline(60),
    })
    .await
}
