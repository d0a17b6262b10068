//! Deepening a shallow clone until a commit is connected to HEAD's history.
//!
//! CI checkouts are shallow (GitHub and Azure: 1 commit; GitLab: 20; Bitbucket: 50),
//! so the last deployment's commit is often outside the clone. Where no API can list
//! the commits between (GitLab's job token may not call the compare API), the clone is
//! deepened with the git CLI and the checkout's own credentials, in growing steps
//! ([`STEPS`]), never past `--max-commits` (a walk reads no more than that anyway) nor
//! past the deadline.

use std::time::Instant;

use git2::{Oid, Repository};

use super::git_cli::GitCli;

/// Total depths tried in turn, in commits below the clone's cut.
pub const STEPS: [usize; 3] = [50, 200, 1000];

/// What deepening did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deepened {
    /// `base` and HEAD now share history in the clone (their merge base exists).
    pub reachable: bool,
    /// git fetches run.
    pub fetches: usize,
    /// Commits asked for below the clone's original cut.
    pub deepened_by: usize,
    /// Why it stopped short, when it did (a fetch that failed, the deadline).
    pub problem: Option<String>,
}

/// Whether `base` is in the clone and shares history with `head`: their merge base, if
/// so. The repository is opened afresh, since a fetch changes `.git/shallow` behind the
/// back of an open one.
pub fn connected(git: &GitCli, base: &str, head: &str) -> Option<Oid> {
    let repo = Repository::discover(git.dir()).ok()?;
    let base = repo.find_commit(Oid::from_str(base).ok()?).ok()?.id();
    repo.merge_base(Oid::from_str(head).ok()?, base).ok()
}

/// Deepens the clone in `git` until `base` is connected to `head`, in the steps of
/// [`STEPS`] capped at `max_commits`, within `deadline`. A `base` absent from the clone
/// is fetched first (one commit), so that a base on another branch can meet HEAD's
/// history from both sides.
pub fn deepen(git: &GitCli, base: &str, head: &str, max_commits: usize, deadline: Instant) -> Deepened {
    let mut done = Deepened {
        reachable: connected(git, base, head).is_some(),
        fetches: 0,
        deepened_by: 0,
        problem: None,
    };
    if done.reachable {
        return done;
    }
    let Ok(repo) = Repository::discover(git.dir()) else {
        done.problem = Some("not a git repository".into());
        return done;
    };
    let shallow = repo.is_shallow();
    let base_present = Oid::from_str(base).is_ok_and(|id| repo.find_commit(id).is_ok());
    drop(repo);
    if !base_present {
        let mut args = vec!["fetch", "--quiet", "--no-tags"];
        if shallow {
            args.push("--depth=1");
        }
        args.extend(["origin", base]);
        done.fetches += 1;
        if let Err(problem) = fetch(git, &args, deadline) {
            done.problem = Some(problem);
            if !shallow {
                return done;
            }
        }
        done.reachable = connected(git, base, head).is_some();
    }
    if !shallow {
        return done;
    }
    for step in STEPS {
        let target = step.min(max_commits);
        if done.reachable || target <= done.deepened_by || !is_shallow(git) {
            break;
        }
        let by = (target - done.deepened_by).to_string();
        let deepen = format!("--deepen={by}");
        done.fetches += 1;
        // By HEAD's id, so that only HEAD's line is deepened (the configured refspec may
        // name every branch); servers that refuse a fetch by id get the refspec.
        let by_id = fetch(
            git,
            &["fetch", "--quiet", "--no-tags", &deepen, "origin", head],
            deadline,
        );
        let result = match by_id {
            Err(problem) if !problem.contains("ran out of time") => {
                done.fetches += 1;
                fetch(
                    git,
                    &["fetch", "--quiet", "--no-tags", &deepen, "origin"],
                    deadline,
                )
            }
            other => other,
        };
        if let Err(problem) = result {
            done.problem = Some(problem);
            break;
        }
        done.problem = None;
        done.deepened_by = target;
        done.reachable = connected(git, base, head).is_some();
    }
    done
}

fn is_shallow(git: &GitCli) -> bool {
    Repository::discover(git.dir()).is_ok_and(|r| r.is_shallow())
}

fn fetch(git: &GitCli, args: &[&str], deadline: Instant) -> Result<(), String> {
    match git.run(args, deadline) {
        Ok(ran) if ran.success => Ok(()),
        Ok(ran) => Err(format!("git fetch failed: {}", ran.stderr)),
        Err(e) => Err(e.to_string()),
    }
}
