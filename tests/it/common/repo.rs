//! Git repositories built with git2 in a temporary directory, with a fixed identity
//! and clock, so commit ids are reproducible and no git configuration is read.

use std::path::Path;

use git2::{Oid, Repository, Signature, Time};

pub struct TestRepo {
    pub dir: tempfile::TempDir,
    pub repo: Repository,
    clock: std::cell::Cell<i64>,
}

impl TestRepo {
    /// An empty repository whose HEAD is `branch`.
    pub fn new(branch: &str) -> Self {
        ignore_git_config();
        let dir = tempfile::tempdir().unwrap();
        let mut options = git2::RepositoryInitOptions::new();
        options.initial_head(branch);
        let repo = Repository::init_opts(dir.path(), &options).unwrap();
        Self {
            dir,
            repo,
            clock: std::cell::Cell::new(1_700_000_000),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Commits an empty change with `message` on HEAD; returns its id.
    pub fn commit(&self, message: &str) -> Oid {
        let time = self.clock.get() + 60;
        self.clock.set(time);
        let signature = Signature::new("Test Author", "author@example.com", &Time::new(time, 0)).unwrap();
        let tree_id = {
            let mut index = self.repo.index().unwrap();
            let file = self.path().join("file.txt");
            std::fs::write(&file, format!("{time}\n")).unwrap();
            index.add_path(Path::new("file.txt")).unwrap();
            index.write().unwrap();
            index.write_tree().unwrap()
        };
        let tree = self.repo.find_tree(tree_id).unwrap();
        let parents: Vec<git2::Commit<'_>> = match self.repo.head() {
            Ok(head) => vec![head.peel_to_commit().unwrap()],
            Err(_) => vec![],
        };
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
            .unwrap()
    }

    /// Commits `message` after writing `files` (path, contents) and removing `removed`.
    pub fn commit_files(&self, message: &str, files: &[(&str, &str)], removed: &[&str]) -> Oid {
        let mut index = self.repo.index().unwrap();
        for (path, contents) in files {
            let full = self.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, contents).unwrap();
            index.add_path(Path::new(path)).unwrap();
        }
        for path in removed {
            std::fs::remove_file(self.path().join(path)).unwrap();
            index.remove_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
        self.commit_index(message, None)
    }

    /// A merge commit of HEAD and `other`, with HEAD's tree.
    pub fn merge(&self, message: &str, other: Oid) -> Oid {
        self.commit_index(message, Some(other))
    }

    fn commit_index(&self, message: &str, second_parent: Option<Oid>) -> Oid {
        let time = self.clock.get() + 60;
        self.clock.set(time);
        let signature = Signature::new("Test Author", "author@example.com", &Time::new(time, 0)).unwrap();
        let tree_id = self.repo.index().unwrap().write_tree().unwrap();
        let tree = self.repo.find_tree(tree_id).unwrap();
        let mut parents: Vec<git2::Commit<'_>> = self
            .repo
            .head()
            .ok()
            .map(|h| h.peel_to_commit().unwrap())
            .into_iter()
            .collect();
        if let Some(other) = second_parent {
            parents.push(self.repo.find_commit(other).unwrap());
        }
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
            .unwrap()
    }

    /// A commit on no branch, child of `parent`: the other side of a merge.
    pub fn side_commit(&self, parent: Oid, message: &str) -> Oid {
        let signature =
            Signature::new("Side Author", "side@example.com", &Time::new(1_600_000_000, 0)).unwrap();
        let parent = self.repo.find_commit(parent).unwrap();
        let tree = parent.tree().unwrap();
        self.repo
            .commit(None, &signature, &signature, message, &tree, &[&parent])
            .unwrap()
    }

    pub fn remote(&self, name: &str, url: &str) {
        self.repo.remote(name, url).unwrap();
    }

    pub fn tag(&self, name: &str, id: Oid) {
        let object = self.repo.find_object(id, None).unwrap();
        self.repo.tag_lightweight(name, &object, false).unwrap();
    }

    /// Makes the clone look shallow, cut at `boundary`: git records the cut in
    /// `.git/shallow`, and history below it is absent.
    pub fn make_shallow(&self, boundary: Oid) {
        std::fs::write(self.repo.path().join("shallow"), format!("{boundary}\n")).unwrap();
    }
}

/// Keeps libgit2 in this test process from reading the developer's git configuration.
fn ignore_git_config() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let empty = std::env::temp_dir().join("jira-send-tests-no-git-config");
        std::fs::create_dir_all(&empty).unwrap();
        for level in [
            git2::ConfigLevel::System,
            git2::ConfigLevel::XDG,
            git2::ConfigLevel::Global,
        ] {
            // SAFETY: runs once, before any repository is opened by this process.
            unsafe { git2::opts::set_search_path(level, &empty).unwrap() };
        }
    });
}

impl TestRepo {
    /// A commit of HEAD's tree with `parents`, on no branch (HEAD does not move): the
    /// merge a CI makes to test a pull request, or a commit of another branch.
    pub fn commit_with_parents(&self, message: &str, parents: &[Oid]) -> Oid {
        let time = self.clock.get() + 60;
        self.clock.set(time);
        let signature = Signature::new("Test Author", "author@example.com", &Time::new(time, 0)).unwrap();
        let parents: Vec<git2::Commit<'_>> = parents
            .iter()
            .map(|p| self.repo.find_commit(*p).unwrap())
            .collect();
        let tree = parents[0].tree().unwrap();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        self.repo
            .commit(None, &signature, &signature, message, &tree, &parents)
            .unwrap()
    }

    /// Checks out `id` with HEAD detached, as CI checkouts of pull requests and tags are.
    pub fn detach(&self, id: Oid) {
        self.repo.set_head_detached(id).unwrap();
    }

    /// Points HEAD at the branch `name`, created at `id`.
    pub fn switch(&self, name: &str, id: Oid) {
        let commit = self.repo.find_commit(id).unwrap();
        self.repo.branch(name, &commit, true).unwrap();
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
    }

    /// A clone made with the git CLI, `git clone --depth N file://…`: a real shallow
    /// clone, as CI systems check out.
    pub fn shallow_clone(&self, depth: u32) -> tempfile::TempDir {
        self.clone_with(&["--depth", &depth.to_string()])
    }

    /// A clone of the whole history, made with the git CLI.
    pub fn full_clone(&self) -> tempfile::TempDir {
        self.clone_with(&[])
    }

    fn clone_with(&self, options: &[&str]) -> tempfile::TempDir {
        let clone = tempfile::tempdir().unwrap();
        let url = format!("file://{}", self.path().display());
        let mut args = vec!["clone", "--quiet"];
        args.extend_from_slice(options);
        args.extend_from_slice(&[&url, "."]);
        git(clone.path(), &args);
        clone
    }
}

/// Runs the git CLI in `dir` with nothing of the developer's environment: no variables
/// but a minimal PATH and a fixed identity, no global or system configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let output = std::process::Command::new("git")
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com")
        .env("GIT_AUTHOR_DATE", "1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "1700000000 +0000")
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}
