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

/// A repository found at the working directory or `--repo`.
#[derive(Debug)]
pub enum Discovered {
    /// One whose history jira-send reads.
    Readable(Repo),
    /// One whose objects jira-send cannot read; its folder and remote are still
    /// known, so a run that needs no history (`--issue-key`) goes on.
    Unreadable(Unreadable),
}

impl Discovered {
    /// The repository, when jira-send can read it.
    pub fn readable(self) -> Option<Repo> {
        match self {
            Self::Readable(repo) => Some(repo),
            Self::Unreadable(_) => None,
        }
    }
}

/// A repository jira-send cannot read, and why.
#[derive(Clone, Debug)]
pub struct Unreadable {
    pub root: PathBuf,
    pub remote: Option<(String, Remote)>,
    /// What is unsupported, in words for an error message.
    pub reason: String,
}

impl Repo {
    /// Finds the repository containing `path` (default: the working directory), or
    /// `None` when there is none.
    pub fn discover(path: Option<&Path>) -> Result<Option<Discovered>> {
        tune_libgit2();
        let start = path.unwrap_or(Path::new("."));
        match Repository::discover(start) {
            Ok(repo) => Ok(Some(Discovered::Readable(Self { repo }))),
            Err(e) if e.code() == ErrorCode::NotFound && path.is_none() => Ok(None),
            Err(e) => match unreadable(start) {
                Some(unreadable) => Ok(Some(Discovered::Unreadable(unreadable))),
                None => Err(Error::git(
                    format!("cannot open the git repository at {}", start.display()),
                    e,
                )),
            },
        }
    }

    /// The working directory (or the git directory of a bare repository).
    pub fn root(&self) -> PathBuf {
        self.repo
            .workdir()
            .unwrap_or_else(|| self.repo.path())
            .to_path_buf()
    }

    /// The commit HEAD points at, and its branch; `None` in a repository without
    /// commits.
    pub fn head(&self) -> Result<Option<Head>> {
        let head = match self.repo.head() {
            Ok(head) => head,
            Err(e) if e.code() == ErrorCode::UnbornBranch => return Ok(None),
            Err(e) => return Err(Error::git("cannot read HEAD", e)),
        };
        let id = head
            .peel_to_commit()
            .map_err(|e| Error::git("cannot read HEAD", e))?
            .id();
        let branch = head
            .is_branch()
            .then(|| head.shorthand().ok().map(str::to_owned))
            .flatten();
        Ok(Some(Head { id, branch }))
    }

    /// The branch HEAD names before its first commit (`main` in a new repository).
    pub fn unborn_branch(&self) -> Option<String> {
        let head = self.repo.find_reference("HEAD").ok()?;
        let target = head.symbolic_target().ok()??;
        target.strip_prefix("refs/heads/").map(str::to_owned)
    }

    /// The `origin` remote (or the only remote) and its name, when it is a hosted
    /// repository.
    pub fn remote(&self) -> Option<(String, Remote)> {
        let remotes = self.repo.remotes().ok()?;
        let names: Vec<&str> = remotes.iter().filter_map(|r| r.ok().flatten()).collect();
        let name = names.iter().find(|&&r| r == "origin").or(names.first())?;
        let remote = Remote::parse(self.repo.find_remote(name).ok()?.url().ok()?)?;
        Some(((*name).to_owned(), remote))
    }

    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The commits a shallow clone was cut at (`.git/shallow`): their parents are not
    /// part of this clone's history. git2 says whether a clone is shallow, not where;
    /// the file is read through [`crate::fs`] like every other (a regular file, bounded).
    fn shallow_commits(&self) -> std::collections::HashSet<Oid> {
        let path = self.repo.path().join("shallow");
        let Ok(text) = crate::fs::read_to_string(&path, crate::fs::limit::GIT_SHALLOW) else {
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

    /// What `rev` names here: a commit, a commit this clone lacks, or nothing.
    ///
    /// git cannot tell `no/such/ref` from `HEAD~5` in a clone cut at depth 1 (both
    /// fail the same way), but a user can: the second is well formed and reaches past
    /// the cut. A rev is taken to name an absent commit when its start (what precedes
    /// `~` or `^`) resolves, is a reference, or is a commit id (7 to 64 hex digits).
    pub fn lookup(&self, rev: &str) -> Lookup {
        if let Some(id) = self.resolve(rev) {
            return Lookup::Commit(id);
        }
        let start = rev.split(['~', '^']).next().unwrap_or_default();
        let is_id = (7..=64).contains(&start.len()) && start.bytes().all(|b| b.is_ascii_hexdigit());
        if start.is_empty() || !is_ancestry(&rev[start.len()..]) {
            Lookup::Unknown
        } else if is_id
            || self.repo.revparse_single(start).is_ok()
            || self.repo.resolve_reference_from_short_name(start).is_ok()
        {
            Lookup::Absent
        } else {
            Lookup::Unknown
        }
    }

    /// When `checkout` is a merge of `head` into something else (the test merge CI
    /// systems build for a pull request), that something: the target branch's commit.
    pub fn merged_into(&self, checkout: Oid, head: Oid) -> Option<Oid> {
        let commit = self.repo.find_commit(checkout).ok()?;
        let parents: Vec<Oid> = commit.parent_ids().collect();
        match parents.as_slice() {
            [target, merged] if *merged == head => Some(*target),
            _ => None,
        }
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

/// What a revision names; see [`Repo::lookup`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Commit(Oid),
    /// A well-formed name for a commit this clone does not have.
    Absent,
    /// Nothing: a typo, or a branch or tag that does not exist.
    Unknown,
}

/// Whether `suffix` is a well-formed chain of ancestry operators: `~`, `~3`, `^`,
/// `^2`, `^{commit}`, in any number.
fn is_ancestry(suffix: &str) -> bool {
    let mut rest = suffix;
    while !rest.is_empty() {
        if let Some(peeled) = rest.strip_prefix("^{") {
            let Some(end) = peeled.find('}') else {
                return false;
            };
            rest = &peeled[end + 1..];
        } else if let Some(after) = rest.strip_prefix(['~', '^']) {
            rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
        } else {
            return false;
        }
    }
    true
}

/// A repository libgit2 refuses to open that is still a git repository: one whose
/// objects use SHA-256 ids (`git init --object-format=sha256`), which the libgit2
/// jira-send is built with cannot read.
fn unreadable(start: &Path) -> Option<Unreadable> {
    let git_dir = Repository::discover_path(start, std::iter::empty::<&Path>()).ok()?;
    let config = git2::Config::open(&git_dir.join("config")).ok()?;
    let format = config.get_string("extensions.objectformat").ok()?;
    if !format.eq_ignore_ascii_case("sha256") {
        return None;
    }
    let root = match git_dir.file_name() {
        Some(name) if name == ".git" => git_dir.parent().map_or(git_dir.clone(), Path::to_path_buf),
        _ => git_dir.clone(),
    };
    let remote = ["origin"]
        .into_iter()
        .map(str::to_owned)
        .chain(remote_names(&config))
        .find_map(|name| {
            let url = config.get_string(&format!("remote.{name}.url")).ok()?;
            Some((name, Remote::parse(&url)?))
        });
    Some(Unreadable {
        root,
        remote,
        reason: format!(
            "the repository at {} uses SHA-256 object ids (extensions.objectFormat = sha256), which \
             jira-send cannot read yet",
            git_dir.display()
        ),
    })
}

/// The names of the remotes a configuration defines (`remote.<name>.url`).
fn remote_names(config: &git2::Config) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(mut entries) = config.entries(Some(r"remote\..*\.url")) {
        while let Some(Ok(entry)) = entries.next() {
            if let Some(name) = entry
                .name()
                .ok()
                .and_then(|n| n.strip_prefix("remote."))
                .and_then(|n| n.strip_suffix(".url"))
            {
                names.push(name.to_owned());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::is_ancestry;

    #[test]
    fn ancestry_operators_are_recognised() {
        for good in ["", "~", "~2", "^", "^2", "~3^2~", "^{commit}", "~1^{}"] {
            assert!(is_ancestry(good), "{good}");
        }
        for bad in ["~~nope", "x", "^{commit", "..main", "@{u}"] {
            assert!(!is_ancestry(bad), "{bad}");
        }
    }
}
