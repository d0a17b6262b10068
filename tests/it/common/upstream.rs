//! A hosted repository as CI sees it, made with the git CLI: a bare `origin`, a working
//! clone that commits and pushes to it, and fresh checkouts of it (`git clone --depth N
//! file://…`), as CI systems make them. git sees a temporary HOME and no system or
//! global configuration; jira-send, run in a checkout, sees the same.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::FakeJira;

/// The PATH the tests give git and jira-send (which runs git for the lookup).
pub const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

pub struct Upstream {
    _dir: tempfile::TempDir,
    /// Everything lives here: a path with a space and a `#`, as real ones have.
    pub root: PathBuf,
    /// HOME for git and jira-send.
    pub home: PathBuf,
    /// The bare repository every clone's `origin` is.
    pub remote: PathBuf,
    /// The working clone that commits and pushes.
    pub work: PathBuf,
}

impl Upstream {
    /// An empty `origin` whose default branch is `branch`, and a working clone of it.
    pub fn new(branch: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ci work #1");
        let home = root.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let upstream = Self {
            remote: root.join("origin.git"),
            work: root.join("work"),
            home,
            root,
            _dir: dir,
        };
        let init_branch = format!("--initial-branch={branch}");
        upstream.git(
            &upstream.root,
            &["init", "-q", "--bare", &init_branch, "origin.git"],
        );
        upstream.git(&upstream.root, &["init", "-q", &init_branch, "work"]);
        upstream.git(&upstream.work, &["remote", "add", "origin", &upstream.url()]);
        upstream
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.remote.display())
    }

    /// Runs git in `dir` (with an identity, to set a scene); its trimmed output.
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let output = Command::new("git")
            .env_clear()
            .envs([
                ("HOME", self.home.to_str().unwrap()),
                ("PATH", PATH),
                ("GIT_CONFIG_NOSYSTEM", "1"),
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

    /// Commits `message` in the working clone and pushes it; its full id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&self.work, &["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&self.work, &["push", "-q", "origin", "HEAD"]);
        self.git(&self.work, &["rev-parse", "HEAD"])
    }

    /// Commits each of `messages` in the working clone, then pushes them all; their ids.
    pub fn commits(&self, messages: &[String]) -> Vec<String> {
        let ids = messages
            .iter()
            .map(|message| {
                self.git(&self.work, &["commit", "-q", "--allow-empty", "-m", message]);
                self.git(&self.work, &["rev-parse", "HEAD"])
            })
            .collect();
        self.git(&self.work, &["push", "-q", "origin", "HEAD"]);
        ids
    }

    /// A fresh checkout of `origin`'s default branch, `depth` commits deep (all of them
    /// for `None`).
    pub fn checkout(&self, name: &str, depth: Option<u32>) -> PathBuf {
        let url = self.url();
        let depth = depth.map(|d| format!("--depth={d}"));
        let mut args = vec!["clone", "-q"];
        args.extend(depth.as_deref());
        args.extend([url.as_str(), name]);
        self.git(&self.root, &args);
        self.root.join(name)
    }

    /// The commits of `range` in the working clone, oldest first: id and full message.
    pub fn log(&self, range: &str) -> Vec<(String, String)> {
        let text = self.git(&self.work, &["log", "--reverse", "--format=%H%x1f%B%x1e", range]);
        text.split('\u{1e}')
            .map(|entry| entry.trim_start_matches('\n'))
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let (sha, message) = entry.split_once('\u{1f}').unwrap();
                (sha.to_owned(), message.to_owned())
            })
            .collect()
    }

    /// Where `reference` points in `origin`, if it exists there.
    pub fn remote_ref(&self, reference: &str) -> Option<String> {
        let output = Command::new("git")
            .env_clear()
            .envs([("HOME", self.home.to_str().unwrap()), ("PATH", PATH)])
            .arg("-C")
            .arg(&self.remote)
            .args(["rev-parse", "--verify", "-q", reference])
            .output()
            .unwrap();
        output
            .status
            .success()
            .then(|| String::from_utf8(output.stdout).unwrap().trim().to_owned())
    }

    /// jira-send in `checkout`, pointed at `jira`, with this upstream's HOME and git on
    /// the PATH (and, like every test's, no other variable).
    pub fn jira_send(&self, jira: &FakeJira, checkout: &Path) -> assert_cmd::Command {
        let mut command = jira.jira_send(&self.home);
        command.current_dir(checkout).env("PATH", PATH);
        command
    }
}
