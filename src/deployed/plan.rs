//! Placing the previous deployment's commit against HEAD, and deciding how the
//! range's commits are read: a walk in the clone, none at all, the compare API, or
//! the clone's history as far as it goes.

use std::time::Instant;

use git2::{Oid, Repository};
use reqwest::Client;

use super::deepen::{self, Deepened};
use super::git_cli::GitCli;
use super::github::{self, ComparedCommit, GitHub, Relation};
use super::short;

/// How the base relates to HEAD in the clone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The base is HEAD: a redeploy.
    Same,
    /// HEAD is an ancestor of the base: a rollback.
    Behind,
    /// The base is an ancestor of HEAD: the usual case.
    Ancestor,
    /// Neither (a hotfix branch, a rollback to another line): their merge base.
    Diverged(Oid),
    /// The base is not in the clone, or not connected to HEAD's history in it.
    Unconnected,
}

/// Where `base` stands relative to `head` in the clone (a shallow clone's cut counts as
/// the end of history).
pub fn place(git: &GitCli, base: &str, head: &str) -> Placement {
    if base.eq_ignore_ascii_case(head) {
        return Placement::Same;
    }
    let (Ok(base_id), Ok(head_id)) = (Oid::from_str(base), Oid::from_str(head)) else {
        return Placement::Unconnected;
    };
    let Some(merge_base) = deepen::connected(git, base, head) else {
        return Placement::Unconnected;
    };
    if merge_base == base_id {
        Placement::Ancestor
    } else if merge_base == head_id {
        Placement::Behind
    } else {
        Placement::Diverged(merge_base)
    }
}

/// How the range's commits are read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Walk `base..HEAD` in the clone.
    Walk { base: Oid },
    /// No commits: HEAD is the deployed commit, or behind it. The branch's keys alone.
    Nothing,
    /// The commits' messages, from GitHub's compare API, oldest first.
    Messages {
        commits: Vec<ComparedCommit>,
        /// `--max-commits` cut them: `range.truncated`.
        truncated: bool,
    },
    /// The base cannot be reached: the shallow clone's history, as far as it goes.
    Partial,
    /// The base is in no history this repository can fetch (rewritten history?): HEAD
    /// alone, as for a CI range whose start is gone.
    HeadOnly,
}

/// The plan, and what to say about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub plan: Plan,
    /// For `-v`.
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

impl Planned {
    pub fn log(&self) {
        for note in &self.notes {
            tracing::info!("{note}");
        }
        for warning in &self.warnings {
            tracing::warn!("{warning}");
        }
    }
}

/// What [`plan()`] needs.
#[derive(Debug)]
pub struct Placing<'a> {
    pub git: &'a GitCli,
    /// The previous deployment's commit.
    pub base: &'a str,
    pub head: &'a str,
    /// The compare API, on GitHub.
    pub github: Option<&'a GitHub>,
    pub max_commits: usize,
    /// The HTTP client, or `None` offline (`--dry-run`): then neither the compare API
    /// nor a fetch.
    pub client: Option<&'a Client>,
    pub deadline: Instant,
}

/// Decides how the commits since `base` are read: in the clone when `base` is
/// connected to HEAD there; else from GitHub's compare API when there is one; else by
/// deepening the clone; else as far as the clone goes, with a warning.
pub async fn plan(placing: &Placing<'_>) -> Planned {
    let mut planned = Planned {
        plan: Plan::Partial,
        notes: Vec::new(),
        warnings: Vec::new(),
    };
    let base = placing.base;
    if let Some(plan) = from_placement(&mut planned, place(placing.git, base, placing.head), base) {
        planned.plan = plan;
        return planned;
    }
    let shallow = Repository::discover(placing.git.dir()).is_ok_and(|r| r.is_shallow());
    let Some(client) = placing.client else {
        planned.plan = if shallow { Plan::Partial } else { Plan::HeadOnly };
        planned.warnings.push(format!(
            "the last deployment's commit {} is not in this clone, and the lookup is offline: {}",
            short(base),
            if shallow {
                "reading the history the clone has"
            } else {
                "reading HEAD alone"
            }
        ));
        return planned;
    };
    if let Some(github) = placing.github {
        match github::compare(
            github,
            base,
            placing.head,
            placing.max_commits,
            client,
            placing.deadline,
        )
        .await
        {
            Ok(compared) => {
                planned.notes.push(format!(
                    "{} is not in this clone: read {} of the {} commits since it from GitHub's compare API",
                    short(base),
                    compared.commits.len(),
                    compared.total
                ));
                planned.plan = match compared.relation {
                    Relation::Identical => from_placement(&mut planned, Placement::Same, base),
                    Relation::Behind => from_placement(&mut planned, Placement::Behind, base),
                    relation => {
                        if let (Relation::Diverged, Some(merge_base)) = (relation, &compared.merge_base) {
                            planned.notes.push(diverged(base, merge_base));
                        }
                        Some(Plan::Messages {
                            commits: compared.commits,
                            truncated: compared.truncated,
                        })
                    }
                }
                .unwrap_or(Plan::Nothing);
                return planned;
            }
            Err(failure) => planned.warnings.push(format!(
                "cannot read the commits since {} from GitHub: {failure}; fetching them instead",
                short(base)
            )),
        }
    }
    let deepened = deepen::deepen(
        placing.git,
        base,
        placing.head,
        placing.max_commits,
        placing.deadline,
    );
    if deepened.reachable {
        if deepened.deepened_by > 0 {
            planned.notes.push(format!(
                "deepened the shallow clone by {} commits to reach {}",
                deepened.deepened_by,
                short(base)
            ));
        }
        let placement = place(placing.git, base, placing.head);
        if let Some(plan) = from_placement(&mut planned, placement, base) {
            planned.plan = plan;
            return planned;
        }
    }
    if shallow {
        planned.plan = Plan::Partial;
        planned.warnings.push(unreachable_warning(base, &deepened));
    } else {
        planned.plan = Plan::HeadOnly;
        planned.warnings.push(format!(
            "the last deployment's commit {} shares no history with HEAD in this repository, even \
             after asking origin (rewritten history?){}: reading HEAD alone",
            short(base),
            deepened.problem.map(|p| format!(" ({p})")).unwrap_or_default()
        ));
    }
    planned
}

/// The plan a connected placement means, with its note; `None` when unconnected.
fn from_placement(planned: &mut Planned, placement: Placement, base: &str) -> Option<Plan> {
    let (plan, note) = match placement {
        Placement::Ancestor => (
            Plan::Walk {
                base: Oid::from_str(base).ok()?,
            },
            None,
        ),
        Placement::Same => (
            Plan::Nothing,
            Some(format!(
                "HEAD is the last deployed commit {} (a redeploy): no new commits",
                short(base)
            )),
        ),
        Placement::Behind => (
            Plan::Nothing,
            Some(format!(
                "HEAD is behind the last deployed commit {} (a rollback): no new commits",
                short(base)
            )),
        ),
        Placement::Diverged(merge_base) => (
            Plan::Walk { base: merge_base },
            Some(diverged(base, &merge_base.to_string())),
        ),
        Placement::Unconnected => return None,
    };
    planned.notes.extend(note);
    Some(plan)
}

fn diverged(base: &str, merge_base: &str) -> String {
    format!(
        "the last deployed commit {} is not an ancestor of HEAD (a rollback or a hotfix branch?): the \
         range starts at their merge base {}",
        short(base),
        short(merge_base)
    )
}

fn unreachable_warning(base: &str, deepened: &Deepened) -> String {
    let why = match &deepened.problem {
        Some(problem) => format!("deepening it failed: {problem}"),
        None if deepened.deepened_by > 0 => format!("not within {} more commits", deepened.deepened_by),
        None => "it could not be fetched".to_owned(),
    };
    format!(
        "the last deployment's commit {} is not in this shallow clone ({why}): reading the history the \
         clone has; fetch more of it (actions/checkout `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`, or a \
         deeper clone)",
        short(base)
    )
}
