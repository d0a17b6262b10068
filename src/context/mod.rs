//! What this run is about: the CI system's view, the repository's, and the flags that
//! override both, resolved into the values payloads need (`values`).
//!
//! On a pull-request build the CI often checks out a merge of the pull request into
//! its target, made for the test and on no branch. The run reports the pull request's
//! head instead, and reads keys from the head's history when the clone has it.

mod values;

use std::path::Path;

use git2::Oid;

use crate::ci::{self, CiContext};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::git::{Discovered, Head, Repo, short_id};
use crate::payload::deployment::EnvironmentType;
use crate::remote::Remote;
use crate::settings::Settings;
use crate::settings::{Origins, ProjectFile};

pub use values::{Derivation, Derived, Origin};

#[derive(Debug)]
pub struct RunContext {
    pub ci: Option<CiContext>,
    pub repo: Option<Repo>,
    /// The commit the run reports and reads keys from: HEAD, or on a pull-request build
    /// whose checkout is the CI's test merge, the pull request's head.
    pub head: Option<Head>,
    /// HEAD, when it is not `head` (the CI's test merge).
    checkout: Option<Oid>,
    /// The test merge's first parent: where the pull request's own commits start, for
    /// a CI that reports no base.
    merge_target: Option<Oid>,
    /// Why there is no history to read, when there is none.
    no_history: Option<NoHistory>,
    /// The pull request's head is not in the clone, and what is checked out is its
    /// target branch: no commit here is the pull request's.
    head_not_checked_out: bool,
    /// The hosted repository, from the git remote or the CI's repository URL.
    pub remote: Option<Remote>,
    remote_origin: Option<Origin>,
    /// The repository's folder name, the last resort for naming a pipeline.
    folder: Option<String>,
    /// The branch HEAD names in a repository without commits.
    unborn_branch: Option<String>,
    /// `.jira-send.toml`.
    pub project: ProjectFile,
    /// The options a variable set: messages about their values name it.
    pub origins: Origins,
}

/// Why a run has no history to read keys from.
#[derive(Clone, Debug)]
enum NoHistory {
    NotARepository,
    Empty,
    Unreadable(String),
}

impl NoHistory {
    fn explain(&self) -> String {
        match self {
            Self::NotARepository => {
                "not in a git repository, so there is nowhere to find issue keys: run inside \
                                     the repository, pass --repo PATH, or name the keys with --issue-key"
                    .into()
            }
            Self::Empty => "the git repository has no commits yet, so there is nowhere to find issue keys: \
                            name them with --issue-key"
                .into(),
            Self::Unreadable(reason) => {
                format!("{reason}, so issue keys cannot be read from its history: name them with --issue-key")
            }
        }
    }
}

impl RunContext {
    pub fn gather(settings: &Settings, env: &Env) -> Result<Self> {
        let ci = ci::detect(env);
        if let Some(ci) = &ci {
            tracing::info!("detected {}", ci.system);
        }
        let mut ctx = Self {
            ci,
            repo: None,
            head: None,
            checkout: None,
            merge_target: None,
            no_history: None,
            head_not_checked_out: false,
            remote: None,
            remote_origin: None,
            folder: None,
            unborn_branch: None,
            project: settings.project.clone(),
            origins: settings.origins.clone(),
        };
        let folder = |root: &Path| root.file_name().map(|n| n.to_string_lossy().into_owned());
        match Repo::discover(settings.repo.as_deref())? {
            None => ctx.no_history = Some(NoHistory::NotARepository),
            Some(Discovered::Unreadable(unreadable)) => {
                tracing::info!("{}; reading nothing from its history", unreadable.reason);
                ctx.folder = folder(&unreadable.root);
                ctx.set_remote(unreadable.remote);
                ctx.no_history = Some(NoHistory::Unreadable(unreadable.reason));
            }
            Some(Discovered::Readable(repo)) => {
                ctx.folder = folder(&repo.root());
                ctx.set_remote(repo.remote());
                match repo.head()? {
                    None => {
                        ctx.unborn_branch = repo.unborn_branch();
                        ctx.no_history = Some(NoHistory::Empty);
                    }
                    Some(checkout) => ctx.find_tip(&repo, checkout),
                }
                ctx.repo = Some(repo);
            }
        }
        if ctx.remote.is_none() {
            let ci = ctx.ci.as_ref();
            ctx.remote = ci
                .and_then(|c| c.repository_url.as_deref())
                .and_then(Remote::parse);
            ctx.remote_origin = ctx
                .remote
                .as_ref()
                .map(|_| ctx.ci_origin(ci::Field::RepositoryUrl));
        }
        Ok(ctx)
    }

    fn set_remote(&mut self, remote: Option<(String, Remote)>) {
        if let Some((name, remote)) = remote {
            self.remote = Some(remote);
            self.remote_origin = Some(Origin::Remote(name));
        }
    }

    /// Sets `head`: the checkout, or the pull request's head the CI names when the
    /// checkout is another commit and the clone has the head.
    fn find_tip(&mut self, repo: &Repo, checkout: Head) {
        let pr_head = self.ci.as_ref().and_then(|c| c.pull_request_head.clone());
        let Some(sha) = pr_head else {
            self.head = Some(checkout);
            return;
        };
        match repo.resolve(&sha) {
            Some(id) if id != checkout.id => {
                self.merge_target = repo.merged_into(checkout.id, id);
                tracing::info!(
                    "reporting the pull request's head {} rather than the checked-out {}",
                    short_id(id),
                    short_id(checkout.id)
                );
                self.checkout = Some(checkout.id);
                self.head = Some(Head {
                    id,
                    branch: checkout.branch,
                });
            }
            Some(_) => self.head = Some(checkout),
            None if self.ci.as_ref().is_some_and(|c| c.checks_out_target) => {
                tracing::warn!(
                    "the pull request's head {sha} is not checked out (the checkout is its target \
                     branch, whose commits are not the pull request's): keys are read from its branch \
                     name and title only. To read its commits, check out the head (actions/checkout \
                     with `ref: ${{{{ github.event.pull_request.head.sha }}}}` and `fetch-depth: 0`), \
                     in a job that runs none of the pull request's code"
                );
                self.head_not_checked_out = true;
                self.head = Some(checkout);
            }
            None => {
                tracing::warn!(
                    "the pull request's head {sha} is not in this clone; keys are read from the \
                     checked-out commit's history instead (fetch more history: fetch-depth: 0, GIT_DEPTH)"
                );
                self.head = Some(checkout);
            }
        }
    }

    /// The CI system's name, if any.
    pub fn system(&self) -> Option<&'static str> {
        self.ci.as_ref().map(|c| c.system)
    }

    /// The repository and the commit to read history from, or why there are none.
    pub fn history(&self) -> Result<(&Repo, &Head)> {
        match (&self.repo, &self.head) {
            (Some(repo), Some(head)) => Ok((repo, head)),
            _ => Err(Error::usage(
                self.no_history
                    .as_ref()
                    .unwrap_or(&NoHistory::NotARepository)
                    .explain(),
            )),
        }
    }

    /// Whether the commits of this run are in the clone to be read: not when the CI
    /// checked out a pull request's target branch and the clone lacks the pull request's
    /// head (GitHub's `pull_request_target`); then only the pull request's branch name
    /// and title belong to the run.
    pub fn reads_commits(&self) -> bool {
        !self.head_not_checked_out
    }

    /// Whether a git repository was found, readable or not.
    pub fn in_repository(&self) -> bool {
        !matches!(self.no_history, Some(NoHistory::NotARepository))
    }

    /// Whether the repository has no commits yet.
    pub fn is_empty_repository(&self) -> bool {
        matches!(self.no_history, Some(NoHistory::Empty))
    }

    /// The type of the environment `name`: the flag, the project file's globs, the CI's
    /// tier, the name's words.
    pub fn environment_type(&self, flag: Option<EnvironmentType>, name: &str) -> EnvironmentType {
        let tier = self
            .ci
            .as_ref()
            .and_then(|c| c.environment.as_ref())
            .filter(|e| e.name == name);
        flag.or_else(|| self.project.environment_types.type_of(name))
            .or_else(|| tier?.tier.as_deref().map(EnvironmentType::from_tier))
            .unwrap_or_else(|| EnvironmentType::guess(name))
    }
}
