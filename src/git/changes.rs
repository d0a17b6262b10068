//! What a commit changed: the files, how, and by how many lines.
//!
//! Jira shows at most 10 files per commit but wants the true file count, so the diff
//! is computed once per commit (against its first parent, as hosting services show
//! merges), and lines are counted only for the files that will be sent: a commit that
//! touches 2,000 files costs one tree diff, not 2,000 patches.
//!
//! The tree diff is git's: subtrees with the same id are equal and skipped, so a
//! commit costs what it changed, not the size of the repository. libgit2's diff walks
//! every entry of both trees, five times slower here. Renames need libgit2's
//! similarity detection; only a commit that both adds and deletes files goes there.

use std::cmp::Ordering;

use git2::{Delta, DiffFindOptions, DiffOptions, ObjectType, Oid, Patch, Tree};
use serde::Serialize;

use super::Repo;
use crate::error::{Error, Result};

/// How a file changed, in Jira's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeType {
    Added,
    Copied,
    Deleted,
    Modified,
    Moved,
    Unknown,
}

/// One changed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub change: ChangeType,
    pub lines_added: u32,
    pub lines_removed: u32,
}

/// A commit's changes: every file counted, the first ones detailed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub file_count: usize,
    pub files: Vec<FileChange>,
}

impl Repo {
    /// The files `commit` changed relative to its first parent (all files for a root
    /// commit), with line counts for the first `detailed` of them, in path order.
    /// Renames are detected, as `git log` does.
    pub fn changes(&self, commit: &git2::Commit<'_>, detailed: usize) -> Result<Changes> {
        let diff_error = |e| Error::git(format!("cannot diff commit {}", commit.id()), e);
        let tree = commit.tree().map_err(diff_error)?;
        let parent_tree = match commit.parents().next() {
            Some(parent) => Some(parent.tree().map_err(diff_error)?),
            None => None,
        };
        let mut changed = Vec::new();
        self.diff_trees(
            parent_tree.as_ref(),
            Some(&tree),
            &mut String::new(),
            &mut changed,
        )
        .map_err(diff_error)?;
        let adds = changed.iter().any(|c| c.old.is_none());
        let deletes = changed.iter().any(|c| c.new.is_none());
        if adds && deletes {
            return self.changes_with_renames(commit, parent_tree.as_ref(), &tree, detailed);
        }
        changed.sort_by(|a, b| a.path.cmp(&b.path));
        let mut files = Vec::with_capacity(detailed.min(changed.len()));
        for change in changed.iter().take(detailed) {
            files.push(self.count_lines(change).map_err(diff_error)?);
        }
        Ok(Changes {
            file_count: changed.len(),
            files,
        })
    }

    /// Collects the files that differ between `old` and `new` under `prefix`, skipping
    /// equal subtrees. Both trees are read in their stored order (git's: by name, a
    /// subtree's name compared as if it ended in `/`), side by side, without copying a
    /// name that did not change.
    fn diff_trees(
        &self,
        old: Option<&Tree<'_>>,
        new: Option<&Tree<'_>>,
        prefix: &mut String,
        out: &mut Vec<Changed>,
    ) -> Result<(), git2::Error> {
        let repo = self.git();
        let mut olds = old.map(|t| t.iter()).into_iter().flatten().peekable();
        let mut news = new.map(|t| t.iter()).into_iter().flatten().peekable();
        loop {
            let order = match (olds.peek(), news.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(o), Some(n)) => tree_order(o, n),
            };
            let (before, after) = match order {
                Ordering::Less => (olds.next(), None),
                Ordering::Greater => (None, news.next()),
                Ordering::Equal => (olds.next(), news.next()),
            };
            if let (Some(o), Some(n)) = (&before, &after)
                && o.id() == n.id()
                && o.filemode() == n.filemode()
            {
                continue;
            }
            let entry = before
                .as_ref()
                .or(after.as_ref())
                .expect("one side has the entry");
            let len = prefix.len();
            prefix.push_str(&String::from_utf8_lossy(entry.name_bytes()));
            let side = |e: &Option<git2::TreeEntry<'_>>| e.as_ref().map(|e| (e.id(), e.kind()));
            self.entry_changed(side(&before), side(&after), prefix, out, repo)?;
            prefix.truncate(len);
        }
        Ok(())
    }

    /// One entry that differs: recurse into trees, record files; submodules are left out.
    fn entry_changed(
        &self,
        old: Option<(Oid, Option<ObjectType>)>,
        new: Option<(Oid, Option<ObjectType>)>,
        path: &mut String,
        out: &mut Vec<Changed>,
        repo: &git2::Repository,
    ) -> Result<(), git2::Error> {
        let tree = |side: Option<(Oid, Option<ObjectType>)>| match side {
            Some((id, Some(ObjectType::Tree))) => repo.find_tree(id).map(Some),
            _ => Ok(None),
        };
        let blob = |side: Option<(Oid, Option<ObjectType>)>| match side {
            Some((id, Some(ObjectType::Blob))) => Some(id),
            _ => None,
        };
        let (old_tree, new_tree) = (tree(old)?, tree(new)?);
        if old_tree.is_some() || new_tree.is_some() {
            let len = path.len();
            path.push('/');
            self.diff_trees(old_tree.as_ref(), new_tree.as_ref(), path, out)?;
            path.truncate(len);
        }
        let (old_blob, new_blob) = (blob(old), blob(new));
        if old_blob.is_some() || new_blob.is_some() {
            out.push(Changed {
                path: path.clone(),
                old: old_blob,
                new: new_blob,
            });
        }
        Ok(())
    }

    /// The lines a file change added and removed, as `git diff --numstat` counts them;
    /// a binary file counts none.
    fn count_lines(&self, change: &Changed) -> Result<FileChange, git2::Error> {
        let repo = self.git();
        let (change_type, (lines_added, lines_removed)) = match (change.old, change.new) {
            (Some(old), Some(new)) => {
                let (old, new) = (repo.find_blob(old)?, repo.find_blob(new)?);
                (ChangeType::Modified, line_changes(old.content(), new.content()))
            }
            (None, Some(new)) => (ChangeType::Added, (lines(repo.find_blob(new)?.content()), 0)),
            (Some(old), None) => (ChangeType::Deleted, (0, lines(repo.find_blob(old)?.content()))),
            (None, None) => (ChangeType::Unknown, (0, 0)),
        };
        Ok(FileChange {
            path: change.path.clone(),
            change: change_type,
            lines_added,
            lines_removed,
        })
    }

    /// libgit2's diff with similarity detection, for commits that add and delete files.
    fn changes_with_renames(
        &self,
        commit: &git2::Commit<'_>,
        parent_tree: Option<&Tree<'_>>,
        tree: &Tree<'_>,
        detailed: usize,
    ) -> Result<Changes> {
        let diff_error = |e| Error::git(format!("cannot diff commit {}", commit.id()), e);
        let mut options = DiffOptions::new();
        options.ignore_submodules(true);
        let mut diff = self
            .git()
            .diff_tree_to_tree(parent_tree, Some(tree), Some(&mut options))
            .map_err(diff_error)?;
        diff.find_similar(Some(DiffFindOptions::new().renames(true)))
            .map_err(diff_error)?;
        let file_count = diff.deltas().len();
        let mut files = Vec::with_capacity(detailed.min(file_count));
        for (index, delta) in diff.deltas().enumerate().take(detailed) {
            let change = match delta.status() {
                Delta::Added => ChangeType::Added,
                Delta::Deleted => ChangeType::Deleted,
                Delta::Modified | Delta::Typechange => ChangeType::Modified,
                Delta::Renamed => ChangeType::Moved,
                Delta::Copied => ChangeType::Copied,
                _ => ChangeType::Unknown,
            };
            let file = if change == ChangeType::Deleted {
                delta.old_file()
            } else {
                delta.new_file()
            };
            let path = file
                .path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (lines_added, lines_removed) = match Patch::from_diff(&diff, index).map_err(diff_error)? {
                Some(patch) => {
                    let (_, added, removed) = patch.line_stats().map_err(diff_error)?;
                    (saturate(added), saturate(removed))
                }
                None => (0, 0),
            };
            files.push(FileChange {
                path,
                change,
                lines_added,
                lines_removed,
            });
        }
        Ok(Changes { file_count, files })
    }
}

/// Git's tree order: by name, a subtree's name as if it ended in `/`.
fn tree_order(a: &git2::TreeEntry<'_>, b: &git2::TreeEntry<'_>) -> Ordering {
    let (x, y) = (a.name_bytes(), b.name_bytes());
    let common = x.len().min(y.len());
    x[..common].cmp(&y[..common]).then_with(|| {
        let next = |name: &[u8], entry: &git2::TreeEntry<'_>| match name.get(common) {
            Some(&c) => c,
            None if entry.kind() == Some(ObjectType::Tree) => b'/',
            None => 0,
        };
        next(x, a).cmp(&next(y, b))
    })
}

/// A changed file, before its lines are counted.
struct Changed {
    path: String,
    old: Option<Oid>,
    new: Option<Oid>,
}

/// Lines added and removed between two versions of a file: Myers' diff, as git's
/// `--numstat` uses (counted in-process with imara-diff; libgit2's patches look up
/// `.gitattributes` for every file, which cost more than the diff). Binary: none.
fn line_changes(old: &[u8], new: &[u8]) -> (u32, u32) {
    if is_binary(old) || is_binary(new) {
        return (0, 0);
    }
    let input = imara_diff::InternedInput::new(old, new);
    let diff = imara_diff::Diff::compute(imara_diff::Algorithm::Myers, &input);
    (diff.count_additions(), diff.count_removals())
}

/// A NUL in the first 8000 bytes, as git decides.
fn is_binary(content: &[u8]) -> bool {
    content[..content.len().min(8000)].contains(&0)
}

/// Lines in a text; none in a binary one.
fn lines(content: &[u8]) -> u32 {
    if is_binary(content) {
        return 0;
    }
    let newlines = memchr::memchr_iter(b'\n', content).count();
    let unterminated = usize::from(!content.is_empty() && !content.ends_with(b"\n"));
    saturate(newlines + unterminated)
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file's path, lines added, lines removed.
    type Counted = (String, u32, u32);

    /// A repository that commits whatever its working directory holds.
    struct Fixture {
        dir: tempfile::TempDir,
        repo: Repo,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            git2::Repository::init(dir.path()).unwrap();
            let repo = Repo::discover(Some(dir.path()))
                .unwrap()
                .unwrap()
                .readable()
                .unwrap();
            Self { dir, repo }
        }

        fn write(&self, path: &str, content: &[u8]) {
            let full = self.dir.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, content).unwrap();
        }

        fn remove(&self, path: &str) {
            let full = self.dir.path().join(path);
            if full.is_dir() {
                std::fs::remove_dir_all(full)
            } else {
                std::fs::remove_file(full)
            }
            .unwrap();
        }

        fn commit(&self) -> Oid {
            let repo = self.repo.git();
            let mut index = repo.index().unwrap();
            index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
            index.update_all(["*"], None).unwrap();
            index.write().unwrap();
            let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
            let signature = git2::Signature::new("T", "t@example.com", &git2::Time::new(1, 0)).unwrap();
            let parents: Vec<git2::Commit<'_>> = repo
                .head()
                .ok()
                .map(|h| h.peel_to_commit().unwrap())
                .into_iter()
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            repo.commit(Some("HEAD"), &signature, &signature, "c", &tree, &parents)
                .unwrap()
        }

        /// Our diff of `id`, checked against libgit2's (`what` names the case).
        fn agreed(&self, id: Oid, what: &str) -> Vec<Counted> {
            let (ours, theirs) = self.both(id);
            assert_eq!(ours, theirs, "{what}");
            ours
        }

        /// Ours, and libgit2's diff with its patches' line counts.
        fn both(&self, id: Oid) -> (Vec<Counted>, Vec<Counted>) {
            let repo = self.repo.git();
            let commit = repo.find_commit(id).unwrap();
            let ours = self.repo.changes(&commit, usize::MAX).unwrap();
            assert_eq!(ours.file_count, ours.files.len());
            let mut ours: Vec<_> = ours
                .files
                .into_iter()
                .map(|f| (f.path, f.lines_added, f.lines_removed))
                .collect();
            let parent = commit.parents().next().map(|p| p.tree().unwrap());
            let diff = repo
                .diff_tree_to_tree(parent.as_ref(), Some(&commit.tree().unwrap()), None)
                .unwrap();
            let mut theirs = Vec::new();
            for (index, delta) in diff.deltas().enumerate() {
                let file = delta.new_file().path().or(delta.old_file().path()).unwrap();
                let patch = Patch::from_diff(&diff, index).unwrap().unwrap();
                let (_, added, removed) = patch.line_stats().unwrap();
                theirs.push((
                    file.to_string_lossy().into_owned(),
                    saturate(added),
                    saturate(removed),
                ));
            }
            ours.sort();
            theirs.sort();
            (ours, theirs)
        }
    }

    #[test]
    fn the_tree_diff_agrees_with_libgit2() {
        let f = Fixture::new();
        f.write("a.txt", b"one\ntwo\nthree\n");
        f.write("dir/b.txt", b"b\n");
        f.write("dir/sub/c.txt", b"c1\nc2");
        f.write("dir-x.txt", b"sorts between dir and dir/\n");
        f.write("bin.dat", b"\x00\x01binary");
        let first = f.commit();
        f.agreed(first, "a root commit: everything added");

        f.write("a.txt", b"one\nTWO\nthree\nfour\n");
        f.write("dir/b.txt", b"b\nb2\n");
        f.write("bin.dat", b"\x00\x02binary");
        let modified = f.commit();
        let ours = f.agreed(modified, "modifications, a binary file among them");
        assert!(ours.contains(&("a.txt".into(), 2, 1)), "{ours:?}");

        f.write("deep/er/still/new.txt", b"n\n");
        f.write("dir/sub/d.txt", b"d\n");
        let added = f.commit();
        f.agreed(added, "additions in new and old directories");

        f.remove("dir/sub");
        let deleted = f.commit();
        assert_eq!(f.agreed(deleted, "a directory deleted").len(), 2);
    }

    #[test]
    fn renames_are_detected() {
        let f = Fixture::new();
        let text: String = (0..50).map(|i| format!("line {i}\n")).collect();
        f.write("old/name.txt", text.as_bytes());
        f.commit();
        f.remove("old");
        f.write("new/name.txt", text.as_bytes());
        let moved = f.commit();
        let commit = f.repo.git().find_commit(moved).unwrap();
        let changes = f.repo.changes(&commit, 10).unwrap();
        assert_eq!(changes.file_count, 1);
        assert_eq!(changes.files[0].change, ChangeType::Moved);
        assert_eq!(changes.files[0].path, "new/name.txt");
    }

    #[test]
    fn only_the_first_files_are_detailed() {
        let f = Fixture::new();
        for i in 0..12 {
            f.write(&format!("f{i:02}.txt"), b"x\n");
        }
        let id = f.commit();
        let commit = f.repo.git().find_commit(id).unwrap();
        let changes = f.repo.changes(&commit, 10).unwrap();
        assert_eq!(changes.file_count, 12);
        assert_eq!(changes.files.len(), 10);
        assert_eq!(changes.files[0].path, "f00.txt");
    }
}
