//! The local git repository: HEAD, the remote, tags, and one revision walk over a
//! range of commits. Local only: git2 is built without network features, and no git
//! process is ever spawned.

mod changes;
mod range;
mod walk;

use std::path::{Path, PathBuf};

use git2::{ErrorCode, Oid, Repository};

use crate::error::{Error, Result};
use crate::remote::Remote;

pub use changes::{ChangeType, Changes, FileChange};
pub use range::{Range, Start, Walked, message};

/// The abbreviated form of a commit id that the output shows: 7 hex digits.
pub fn short_id(id: Oid) -> String {
    let mut hex = id.to_string();
    hex.truncate(7);
    hex
}

/// What HEAD points at.
#[derive(Clone, Debug)]
pub struct Head {
    pub id: Oid,
    /// The branch's short name, unless HEAD is detached.
    pub branch: Option<String>,
}

/// An open repository.
pub struct Repo {
    repo: Repository,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("path", &self.repo.path()).finish()
    }
}

/// libgit2's process-wide settings for reading history fast, applied once.
#[allow(unsafe_code)]
fn tune_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // git itself does not re-hash objects on read; libgit2 does by default, which
        // costs about a third of a long walk. Objects are still checked by zlib's CRC.
        git2::opts::strict_hash_verification(false);
        // Trees are read again and again by the diffs of consecutive commits: cache them.
        // Each commit is read once (see `walk`): caching commits only costs memory.
        git2::opts::enable_caching(true);
        // SAFETY: libgit2's global options are not synchronised; this runs once, from the
        // `Once`, before this process opens a repository through `Repo`.
        let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Commit, 0) };
    });
}

/// Keeps commits in the object cache too: for walks that read each commit more than
/// once (devinfo reads a commit's parents for its diff). A key scan over all of
/// history would fill the cache with commits it never reads again, so it is opt-in.
#[allow(unsafe_code)]
pub fn cache_commits() {
    tune_libgit2();
    // SAFETY: libgit2's global options are not synchronised; a command calls this once,
    // before its walk, while no other thread uses libgit2.
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Commit, 4096) };
}

impl Repo {
    /// Finds the repository containing `path` (default: the working directory), or
    /// `None` when there is none.
    pub fn discover(path: Option<&Path>) -> Result<Option<Self>> {
        tune_libgit2();
        let start = path.unwrap_or(Path::new("."));
        match Repository::discover(start) {
            Ok(repo) => Ok(Some(Self { repo })),
            Err(e) if e.code() == ErrorCode::NotFound && path.is_none() => Ok(None),
            Err(e) => Err(Error::git(
                format!("cannot open the git repository at {}", start.display()),
                e,
            )),
        }
    }

    /// The working directory (or the git directory of a bare repository).
    pub fn root(&self) -> PathBuf {
        self.repo
            .workdir()
            .unwrap_or_else(|| self.repo.path())
            .to_path_buf()
    }

    /// The commit HEAD points at, and its branch.
    pub fn head(&self) -> Result<Head> {
        let head = self.repo.head().map_err(|e| {
            if e.code() == ErrorCode::UnbornBranch {
                Error::usage("the git repository has no commits yet")
            } else {
                Error::git("cannot read HEAD", e)
            }
        })?;
        let id = head
            .peel_to_commit()
            .map_err(|e| Error::git("cannot read HEAD", e))?
            .id();
        let branch = head
            .is_branch()
            .then(|| head.shorthand().ok().map(str::to_owned))
            .flatten();
        Ok(Head { id, branch })
    }

    /// The `origin` remote (or the only remote), when it is a hosted repository.
    pub fn remote(&self) -> Option<Remote> {
        let remotes = self.repo.remotes().ok()?;
        let names: Vec<&str> = remotes.iter().filter_map(|r| r.ok().flatten()).collect();
        let name = names.iter().find(|&&r| r == "origin").or(names.first())?;
        Remote::parse(self.repo.find_remote(name).ok()?.url().ok()?)
    }

    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The commits a shallow clone was cut at (`.git/shallow`): their parents are not
    /// part of this clone's history.
    fn shallow_commits(&self) -> std::collections::HashSet<Oid> {
        let Ok(text) = std::fs::read_to_string(self.repo.path().join("shallow")) else {
            return Default::default();
        };
        text.lines()
            .filter_map(|line| Oid::from_str(line.trim()).ok())
            .collect()
    }

    /// The commit `rev` names, if it exists in this clone.
    pub fn resolve(&self, rev: &str) -> Option<Oid> {
        let object = self.repo.revparse_single(rev).ok()?;
        object.peel_to_commit().ok().map(|c| c.id())
    }

    /// A commit by id, for callers that need more than the message.
    pub fn commit(&self, id: Oid) -> Result<git2::Commit<'_>> {
        self.repo
            .find_commit(id)
            .map_err(|e| Error::git(format!("cannot read commit {id}"), e))
    }

    fn git(&self) -> &Repository {
        &self.repo
    }
}
