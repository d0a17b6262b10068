//! The git command line, for the network half of git: fetching the marker tag,
//! deepening a shallow clone, pushing the marker.
//!
//! libgit2 is built here without network support, and even with it would not see the
//! credentials a CI checkout leaves in git's configuration (GitHub's
//! `http.<url>.extraheader`, credential helpers, `insteadOf` rewrites): the git CLI
//! honours all of them, so a fetch works wherever the checkout's own fetch worked.
//!
//! Every run is bounded by the caller's deadline (the whole process group is killed
//! when it passes, helpers such as `git-remote-https` included), never prompts (no
//! terminal, `GIT_TERMINAL_PROMPT=0`), and speaks English (`LC_ALL=C`) so that the
//! few answers read from its words ("couldn't find remote ref") are recognised.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::clock;

/// How to run git in one repository.
#[derive(Clone, Debug)]
pub struct GitCli {
    program: PathBuf,
    dir: PathBuf,
    /// `None`: the process environment, as the checkout left it (credentials, proxies,
    /// `HOME`). `Some`: exactly these variables (hermetic tests).
    env: Option<Vec<(OsString, OsString)>>,
    /// Variables of the process environment git does not get (jira-send's secrets).
    hidden: Vec<OsString>,
}

/// What one git run produced.
#[derive(Debug)]
pub(crate) struct Ran {
    pub success: bool,
    pub stdout: String,
    /// Standard error on one line, credentials in URLs masked, at most 400 characters.
    pub stderr: String,
}

/// Why git could not be run to the end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    #[error("the git command is not installed (or not on PATH)")]
    NotInstalled,
    #[error("cannot run git: {0}")]
    Spawn(String),
    #[error("git {0} was stopped: the time for the lookup ran out")]
    OutOfTime(String),
}

impl GitCli {
    /// git from `PATH`, in `dir`, with the process environment.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            program: PathBuf::from("git"),
            dir: dir.into(),
            env: None,
            hidden: Vec::new(),
        }
    }

    /// Keeps the variables `names` from git: git needs the checkout's credentials,
    /// never jira-send's own.
    #[must_use]
    pub fn hiding<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        self.hidden.extend(names.into_iter().map(OsString::from));
        self
    }

    /// Runs git with exactly `vars` as its environment instead of the process's.
    #[must_use]
    pub fn with_env(
        mut self,
        vars: impl IntoIterator<Item = (impl Into<OsString>, impl Into<OsString>)>,
    ) -> Self {
        self.env = Some(vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect());
        self
    }

    /// The repository's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `git <args>` in the repository, killed at `deadline`.
    pub(crate) fn run(&self, args: &[&str], deadline: Instant) -> Result<Ran, GitError> {
        let what = args.first().copied().unwrap_or_default().to_owned();
        let remaining = clock::remaining(deadline);
        if remaining.is_zero() {
            return Err(GitError::OutOfTime(what));
        }
        let mut command = Command::new(&self.program);
        if let Some(vars) = &self.env {
            command.env_clear().envs(vars.iter().map(|(k, v)| (k, v)));
        }
        for name in &self.hidden {
            command.env_remove(name);
        }
        command
            .arg("-C")
            .arg(&self.dir)
            // Housekeeping has no place in a pipeline step bounded by a deadline.
            .args(["-c", "gc.auto=0", "-c", "maintenance.auto=false"])
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GCM_INTERACTIVE", "never")
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group, so that a timeout stops git's helpers too.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => GitError::NotInstalled,
            _ => GitError::Spawn(e.to_string()),
        })?;
        // The pipes are drained by their own threads, so that git never blocks on a
        // full pipe while this thread watches the deadline.
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if !clock::passed(deadline) => std::thread::sleep(POLL),
                Ok(None) => {
                    stop(&mut child);
                    return Err(GitError::OutOfTime(what));
                }
                Err(e) => {
                    stop(&mut child);
                    return Err(GitError::Spawn(e.to_string()));
                }
            }
        };
        // git has exited; its pipes close once the helpers it started have too (a
        // helper that outlives git is not waited for past the deadline).
        let collect = |reader: mpsc::Receiver<Vec<u8>>| {
            let left = clock::remaining(deadline);
            reader.recv_timeout(left.max(POLL)).unwrap_or_default()
        };
        let (stdout, stderr) = (collect(stdout), collect(stderr));
        Ok(Ran {
            success: status.success(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: one_line(&redact_urls(&String::from_utf8_lossy(&stderr)), 400),
        })
    }
}

/// How often a running git is checked on: short against a network round trip.
const POLL: Duration = Duration::from_millis(5);

/// Reads a child's pipe to its end on a thread of its own; the bytes arrive on the
/// returned channel.
fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = sender.send(bytes);
    });
    receiver
}

/// Stops git and what it started: on Unix its whole process group (helpers such as
/// `git-remote-https` included); elsewhere git itself, whose helpers then see their
/// pipes close.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    {
        let pid = rustix::process::Pid::from_child(child);
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    // Reaped, so that no zombie is left behind.
    let _ = child.wait();
}

/// Masks the user information of every URL in `text` (`https://user:token@host/` →
/// `https://***@host/`): git prints remote URLs in its errors, and a remote URL may
/// carry a token.
pub(crate) fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(user_end) => {
                out.push_str("***");
                out.push_str(&authority[user_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

/// `text` on one line (lines joined with "; "), cut to `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    if joined.chars().count() > max {
        let mut cut: String = joined.chars().take(max).collect();
        cut.push('…');
        cut
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_masked() {
        assert_eq!(
            redact_urls("fatal: unable to access 'https://x-access-token:ghs_SECRET@github.com/a/b/': 403"),
            "fatal: unable to access 'https://***@github.com/a/b/': 403"
        );
        assert_eq!(
            redact_urls("https://gitlab-ci-token:glcbt-1@gitlab.com/a.git and ssh://git@host:22/x"),
            "https://***@gitlab.com/a.git and ssh://***@host:22/x"
        );
        assert_eq!(redact_urls("no url here"), "no url here");
        assert_eq!(redact_urls("file:///tmp/a b"), "file:///tmp/a b");
        assert_eq!(redact_urls("ends with https://"), "ends with https://");
    }

    #[test]
    fn stderr_is_one_bounded_line() {
        assert_eq!(one_line("a\n\n  b  \n", 100), "a; b");
        assert_eq!(one_line(&"x".repeat(10), 4), "xxxx…");
    }

    #[test]
    fn a_missing_git_is_named() {
        let git = GitCli {
            program: PathBuf::from("/nonexistent/git"),
            dir: std::env::temp_dir(),
            env: None,
            hidden: Vec::new(),
        };
        let deadline = clock::deadline_in(Duration::from_secs(5)).into_std();
        assert_eq!(
            git.run(&["version"], deadline).unwrap_err(),
            GitError::NotInstalled
        );
    }

    #[cfg(unix)]
    #[test]
    fn git_never_gets_the_variables_it_is_kept_from() {
        // `sh` stands in for git and prints the environment it was given.
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("fake-git");
        std::fs::write(&script, "#!/bin/sh\nenv\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let git = GitCli {
            program: script,
            dir: dir.path().to_owned(),
            env: None,
            hidden: Vec::new(),
        }
        .with_env([("JIRA_CLIENT_SECRET", "s3cr3t"), ("KEEP", "kept")])
        .hiding(["JIRA_CLIENT_SECRET"]);
        let ran = git
            .run(&["fetch"], Instant::now() + Duration::from_secs(20))
            .unwrap();
        assert!(ran.stdout.contains("KEEP=kept"), "{}", ran.stdout);
        assert!(!ran.stdout.contains("s3cr3t"), "{}", ran.stdout);
    }

    #[cfg(unix)]
    #[test]
    fn a_run_past_the_deadline_is_stopped_with_its_children() {
        // `sh` stands in for git: its child `sleep` shares its process group.
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("fake-git");
        std::fs::write(&script, "#!/bin/sh\nsleep 30 & wait\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let git = GitCli {
            program: script,
            dir: dir.path().to_owned(),
            env: Some(Vec::new()),
            hidden: Vec::new(),
        };
        let deadline = clock::deadline_in(Duration::from_millis(200)).into_std();
        let hung = clock::deadline_in(Duration::from_secs(20));
        assert_eq!(
            git.run(&["fetch"], deadline).unwrap_err(),
            GitError::OutOfTime("fetch".into())
        );
        // Not a timing assertion on speed: had the group survived, the reader thread
        // would have waited for `sleep 30`.
        assert!(!clock::passed(hung));
        assert_eq!(
            git.run(&["fetch"], deadline).unwrap_err(),
            GitError::OutOfTime("fetch".into()),
            "no time left: not even started"
        );
    }
}
