//! The commit range a run reads keys from, and the walk over it.
//!
//! The range is `base..HEAD`, where the base is `--since`, the newest tag matching
//! `--since-tag` reachable from `HEAD~1`, or what the CI system reports (the push's
//! previous commit, the pull request's base). Without any, it is HEAD alone. A
//! deployment's range may instead start at a commit its previous deployment placed
//! (see `crate::deployed`): a known commit, nothing, or the clone's whole history.
//!
//! Shallow clones are normal in CI: when the base is not in the clone, the walk reads
//! as far as the history goes and says so, rather than failing the pipeline.

use git2::{Oid, Sort};
use tracing::warn;

use super::{Lookup, Repo, short_id};
use crate::error::{Error, Result};

/// Where a range starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// `--since REV`.
    Since(String),
    /// `--since-tag GLOB`.
    SinceTag(String),
    /// A commit the CI system reported.
    Ci(String),
    /// No base: HEAD alone.
    Head,
    /// A commit known to be in this clone (a previous deployment's, or where its line
    /// and HEAD's meet): `base..HEAD`.
    Commit(Oid),
    /// No commits at all: HEAD is where the range starts, or behind it (a redeploy, a
    /// rollback).
    Nothing,
    /// Everything the clone has (up to the cap): the start lies beyond a shallow
    /// clone's cut, which was said already.
    Clone,
}

/// A resolved range.
#[derive(Clone, Debug)]
pub struct Range {
    /// The base as the user or CI named it (a rev, a tag name, a sha), for reports.
    pub from: Option<String>,
    /// The base commit, when it exists in this clone.
    base: Option<Oid>,
    /// The last commit: HEAD.
    pub to: Oid,
    /// Read only `to` itself.
    head_only: bool,
    /// When the range turns out empty, read HEAD instead (a CI re-run of a commit
    /// whose base is itself).
    head_if_empty: bool,
    /// Read nothing.
    empty: bool,
}

impl Range {
    /// The commit the range starts at, as a full id: the base, when this clone has it;
    /// else the commit the CI named (beyond a shallow clone's cut, or a new branch's
    /// zeros). `None` when no commit is named: HEAD alone, the whole history, or a
    /// `--since` this shallow clone cannot resolve.
    pub fn from_commit(&self) -> Option<String> {
        let named_sha = || {
            self.from
                .clone()
                .filter(|from| crate::deployed::is_full_sha(from))
        };
        self.base.map(|base| base.to_string()).or_else(named_sha)
    }
}

/// What a walk read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Walked {
    pub commits: usize,
    /// The walk stopped at `--max-commits`.
    pub truncated: bool,
}

impl Repo {
    /// Resolves where the range starts. Problems that mean "this clone lacks history"
    /// are warnings; a `--since` that names nothing in a full clone is an error.
    pub fn range(&self, start: &Start, head: Oid) -> Result<Range> {
        let mut range = Range {
            from: None,
            base: None,
            to: head,
            head_only: false,
            head_if_empty: false,
            empty: false,
        };
        match start {
            Start::Head => range.head_only = true,
            Start::Commit(base) => {
                range.from = Some(base.to_string());
                range.base = Some(*base);
            }
            Start::Nothing => range.empty = true,
            Start::Clone => {}
            Start::Since(rev) => {
                range.from = Some(rev.clone());
                // A name that means nothing is a mistake wherever it is run; only a
                // commit the clone was cut short of is the clone's limit.
                match self.lookup(rev) {
                    Lookup::Commit(base) => range.base = Some(base),
                    Lookup::Absent if self.is_shallow() => {
                        warn!(
                            "--since {rev} is beyond the history of this shallow clone; reading the \
                             history it has (fetch more with a deeper clone)"
                        );
                    }
                    Lookup::Absent | Lookup::Unknown => {
                        return Err(Error::usage(format!(
                            "--since {rev}: no such commit, branch or tag in this repository"
                        )));
                    }
                }
            }
            Start::SinceTag(glob) => match self.newest_tag(glob, head)? {
                Some((name, base)) => {
                    range.from = Some(name);
                    range.base = Some(base);
                }
                None => warn!(
                    "no tag matching {glob:?} is reachable from HEAD~1; reading the whole \
                     history (up to --max-commits)"
                ),
            },
            Start::Ci(sha) => {
                range.from = Some(sha.clone());
                range.head_if_empty = true;
                if sha.bytes().all(|b| b == b'0') {
                    // A push that created the branch: there is no previous commit.
                    range.head_only = true;
                } else if let Some(base) = self.resolve(sha) {
                    range.base = Some(base);
                } else if self.is_shallow() {
                    warn!(
                        "the range start {sha} reported by the CI is not in this shallow clone; \
                         reading the history it has (fetch more with a deeper clone)"
                    );
                } else {
                    warn!(
                        "the range start {sha} reported by the CI is not in this repository \
                         (rewritten history?); reading HEAD alone"
                    );
                    range.head_only = true;
                }
            }
        }
        Ok(range)
    }

    /// Calls `visit` with each commit of `range`, newest first, at most `max` of them:
    /// its id and its raw object (headers, a blank line, the message). The first error
    /// `visit` returns ends the walk. Each commit is read once (see the `walk` module).
    pub fn walk(
        &self,
        range: &Range,
        max: usize,
        mut visit: impl FnMut(Oid, &[u8]) -> Result<()>,
    ) -> Result<Walked> {
        let odb = self
            .git()
            .odb()
            .map_err(|e| Error::git("cannot open the object database", e))?;
        let head_alone = |visit: &mut dyn FnMut(Oid, &[u8]) -> Result<()>| -> Result<Walked> {
            if max == 0 {
                return Ok(Walked {
                    commits: 0,
                    truncated: true,
                });
            }
            let object = odb
                .read(range.to)
                .map_err(|e| Error::git(format!("cannot read commit {}", range.to), e))?;
            visit(range.to, object.data())?;
            Ok(Walked {
                commits: 1,
                truncated: false,
            })
        };
        if range.empty {
            return Ok(Walked::default());
        }
        if range.head_only {
            return head_alone(&mut visit);
        }
        let (commits, truncated) = super::walk::walk(
            &odb,
            range.to,
            range.base,
            &self.shallow_commits(),
            max,
            &mut visit,
        )?;
        if commits == 0 && range.head_if_empty {
            return head_alone(&mut visit);
        }
        if truncated {
            warn!(
                "read only the newest {} of the range{}; raise --max-commits to read more",
                crate::plural::count(max, "commit", "commits"),
                range
                    .from
                    .as_deref()
                    .map(|f| format!(" from {f}"))
                    .unwrap_or_default()
            );
        }
        Ok(Walked { commits, truncated })
    }

    /// The newest tag matching `glob` (fnmatch syntax, as `git tag -l`) that is
    /// reachable from HEAD's first parent, and the commit it points at.
    fn newest_tag(&self, glob: &str, head: Oid) -> Result<Option<(String, Oid)>> {
        let repo = self.git();
        let tag_error = |e| Error::git("cannot list tags", e);
        let names = repo.tag_names(Some(glob)).map_err(tag_error)?;
        let mut tagged: std::collections::HashMap<Oid, String> = Default::default();
        for name in names.iter().filter_map(|n| n.ok().flatten()) {
            if let Some(id) = self.resolve(&format!("refs/tags/{name}")) {
                tagged.entry(id).or_insert_with(|| name.to_owned());
            }
        }
        if tagged.is_empty() {
            return Ok(None);
        }
        let Some(parent) = self.commit(head)?.parent_ids().next() else {
            return Ok(None);
        };
        let mut walk = repo.revwalk().map_err(tag_error)?;
        walk.set_sorting(Sort::NONE).map_err(tag_error)?;
        walk.push(parent).map_err(tag_error)?;
        for id in walk {
            let id = id.map_err(tag_error)?;
            if let Some(name) = tagged.remove(&id) {
                tracing::debug!("range starts at tag {name} ({})", short_id(id));
                return Ok(Some((name, id)));
            }
        }
        Ok(None)
    }
}

/// The message of a raw commit object: what follows the first blank line.
pub fn message(raw: &[u8]) -> &[u8] {
    memchr::memmem::find(raw, b"\n\n").map_or(&[], |at| &raw[at + 2..])
}

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn the_message_follows_the_headers() {
        let raw = b"tree 1\nparent 2\nauthor A <a> 1 +0000\ncommitter A <a> 1 +0000\ngpgsig -----BEGIN\n line\n -----END\n\nABC-1 subject\n\nbody\n";
        assert_eq!(message(raw), b"ABC-1 subject\n\nbody\n");
        assert_eq!(message(b"tree 1\n"), b"");
    }
}
