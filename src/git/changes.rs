//! What a commit changed: the files, how, and by how many lines.
//!
//! Jira shows at most 10 files per commit but wants the true file count, so the diff
//! is computed once per commit (against its first parent, as hosting services show
//! merges), and lines are counted only for the files that will be sent: a commit that
//! touches 2,000 files costs one tree diff, not 2,000 patches.

use git2::{Delta, DiffFindOptions, DiffOptions, Patch};
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
    /// commit), with line counts for the first `detailed` of them. Renames are
    /// detected, as `git log` does.
    pub fn changes(&self, commit: &git2::Commit<'_>, detailed: usize) -> Result<Changes> {
        let diff_error = |e| Error::git(format!("cannot diff commit {}", commit.id()), e);
        let repo = self.git();
        let tree = commit.tree().map_err(diff_error)?;
        let parent_tree = match commit.parents().next() {
            Some(parent) => Some(parent.tree().map_err(diff_error)?),
            None => None,
        };
        let mut options = DiffOptions::new();
        options.ignore_submodules(true);
        let mut diff = repo
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut options))
            .map_err(diff_error)?;
        let has_pairs = diff.deltas().any(|d| d.status() == Delta::Added)
            && diff.deltas().any(|d| d.status() == Delta::Deleted);
        if has_pairs {
            diff.find_similar(Some(DiffFindOptions::new().renames(true)))
                .map_err(diff_error)?;
        }

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

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
