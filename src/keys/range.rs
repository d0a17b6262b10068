//! Where a run's range of commits starts, decided before the walk: `--since` or
//! `--since-tag`; for a deployment, its environment's last successful deployment (found
//! by [`crate::deployed`]); else the CI's own range; else HEAD alone.
//!
//! The deployment lookup runs here, after settings and CI detection and before the key
//! walk, within its own share of `--timeout` (a third, at most 30 s), so that the
//! report keeps the rest. It never fails the run: what it could not find is a warning,
//! and the range falls back to a build's.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::Options;
use crate::context::RunContext;
use crate::deployed::github::ComparedCommit;
use crate::deployed::{
    self, CiBase, Explicit, FromSource, GitCli, Lookup, Mode, Placing, Plan, Resolution, Start, Targets,
};
use crate::env::Env;
use crate::error::Result;
use crate::git;
use crate::plural::count;
use crate::send::{Interrupt, Signal};
use crate::settings::Settings;

/// The most of `--timeout` the lookup may take.
const MAX_LOOKUP: Duration = Duration::from_secs(30);

/// What finding a deployment's range needs besides the key options: where it goes,
/// where to look, and the run's settings (offline under `--dry-run`, `--timeout`, the
/// HTTP client's) and variables (the CI's tokens and ids).
#[derive(Debug)]
pub struct Deployment<'a> {
    pub mode: Mode,
    /// The Jira environment's name.
    pub environment: &'a str,
    /// Its id, which names the marker tag.
    pub environment_id: &'a str,
    /// `--github-environment`.
    pub github_environment: Option<&'a str>,
    /// `--record-deployment`: a missing marker tag is then no cause for advice.
    pub record_deployment: bool,
    pub settings: &'a Settings,
    pub env: &'a Env,
}

/// Where a range starts, how its commits are read, and what the report says of it.
#[derive(Debug)]
pub struct Span {
    pub commits: Commits,
    /// `range.from` when it is not what the walk names: the deployed commit.
    pub from: Option<String>,
    pub from_source: FromSource,
    pub from_detail: Option<String>,
    /// The environment whose last deployment was looked up.
    pub environment: Option<String>,
}

/// How the range's commits are read.
#[derive(Debug)]
pub enum Commits {
    /// A walk in the clone.
    Walk(git::Start),
    /// Messages read elsewhere (GitHub's compare API), oldest first.
    Compared {
        commits: Vec<ComparedCommit>,
        /// `--max-commits` cut them.
        truncated: bool,
    },
}

/// The `range` of the JSON output (`keys`, `deployment`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RangeRead {
    /// The range's start as named (a rev, a tag, the CI's commit, the deployed commit),
    /// or `null` for HEAD alone or the whole history.
    pub from: Option<String>,
    /// The last commit: HEAD.
    pub to: String,
    /// The commits read.
    pub commits: usize,
    pub from_source: FromSource,
    pub from_detail: Option<String>,
    /// `--max-commits` cut the range short.
    pub truncated: bool,
    /// The environment whose last deployment was looked up, for [`Self::describe`].
    #[serde(skip)]
    pub environment: Option<String>,
}

impl RangeRead {
    /// Where the keys came from, in a line: "keys from 37 commits since the last
    /// successful deployment to Production EU (GitHub deployment 123456, 2026-11-20,
    /// a1b2c3d)".
    pub fn describe(&self) -> String {
        let commits = count(self.commits, "commit", "commits");
        let detail = self.from_detail.as_deref().unwrap_or_default();
        let from = self.from.as_deref().map(short);
        let mut said = match (self.from_source, &self.environment) {
            (FromSource::Github | FromSource::Gitlab | FromSource::Tag | FromSource::Jenkins, Some(env))
                if self.commits == 0 =>
            {
                format!(
                    "no new commits since the last successful deployment to {env} ({detail}): the keys are \
                     the branch's"
                )
            }
            (FromSource::Github | FromSource::Gitlab | FromSource::Tag | FromSource::Jenkins, env) => {
                format!(
                    "keys from {commits} since the last successful deployment to {} ({detail})",
                    env.as_deref().unwrap_or("this environment")
                )
            }
            (FromSource::Since | FromSource::SinceTag, _) => match from {
                Some(from) => format!("keys from {commits} since {from} ({detail})"),
                None => format!("keys from {commits}, the whole history ({detail})"),
            },
            (FromSource::Ci, _) => format!(
                "keys from {commits} since {}, where the CI's range starts ({detail})",
                from.unwrap_or("?")
            ),
            (FromSource::Head, _) => format!("keys from HEAD alone ({})", short(&self.to)),
        };
        if self.truncated {
            said.push_str(", cut short by --max-commits");
        }
        said
    }
}

fn short(sha: &str) -> &str {
    sha.get(..7).filter(|_| deployed::is_full_sha(sha)).unwrap_or(sha)
}

impl Span {
    /// The range of a run that looks up no deployment: `--since`, `--since-tag`, the
    /// CI's range, else HEAD alone.
    pub fn of(args: &Options, ctx: &RunContext) -> Self {
        let resolution = deployed::resolve(Mode::Off, explicit(args), "", &[], ci_base(ctx));
        Self::resolved(resolution, None, None)
    }

    /// The span `resolution` (and, for a previous deployment, its `plan`) come to.
    fn resolved(resolution: Resolution, plan: Option<Plan>, environment: Option<&str>) -> Self {
        let mut from = None;
        let commits = match (resolution.start, plan) {
            (Start::Since(rev), _) => Commits::Walk(git::Start::Since(rev)),
            (Start::SinceTag(glob), _) => Commits::Walk(git::Start::SinceTag(glob)),
            (Start::Ci(sha), _) => Commits::Walk(git::Start::Ci(sha)),
            (Start::Head, _) => Commits::Walk(git::Start::Head),
            (Start::Deployed(sha), plan) => {
                let commits = match plan {
                    Some(Plan::Walk { base }) => Commits::Walk(git::Start::Commit(base)),
                    Some(Plan::Nothing) => Commits::Walk(git::Start::Nothing),
                    Some(Plan::Messages { commits, truncated }) => Commits::Compared { commits, truncated },
                    Some(Plan::Partial) => Commits::Walk(git::Start::Clone),
                    Some(Plan::HeadOnly) | None => Commits::Walk(git::Start::Head),
                };
                from = Some(sha);
                commits
            }
        };
        Self {
            commits,
            from,
            from_source: resolution.from_source,
            from_detail: resolution.detail,
            environment: environment.map(str::to_owned),
        }
    }
}

/// Finds where a deployment's range starts: asks the sources `deployment.mode` names
/// (unless `--since` or `--since-tag` is given), places what they found against HEAD,
/// and logs why each source did or did not answer. Only a setting that makes every
/// request impossible (an unreadable `--ca-file`) is an error.
pub fn decide(args: &Options, deployment: &Deployment<'_>, ctx: &RunContext) -> Result<Span> {
    let Ok((repo, head)) = ctx.history() else {
        // No history to place a deployment in: the walk says why.
        return Ok(Span::of(args, ctx));
    };
    let settings = deployment.settings;
    let env = deployment.env;
    let explicit = explicit(args);
    let targets = Targets::from_vars(
        |name| env.get(name).map(str::to_owned),
        deployment.environment,
        deployment.github_environment,
    );
    // No client is built where no request can be made: it costs a dry run a few ms.
    let may_ask = explicit.is_none() && deployment.mode != Mode::Off && !settings.dry_run;
    let client = may_ask.then(|| crate::http::client(settings)).transpose()?;
    let git = GitCli::new(repo.root()).hiding(env.own_names());
    let head = head.id.to_string();
    let lookup = Lookup {
        mode: deployment.mode,
        explicit,
        environment: deployment.environment,
        environment_id: deployment.environment_id,
        head: &head,
        targets: &targets,
        git: Some(&git),
        record_deployment: deployment.record_deployment,
        ci_base: ci_base(ctx),
        client: client.as_ref(),
        deadline: lookup_deadline(settings.timeout),
    };
    let (resolution, planned) = crate::send::run_async(async {
        // A cancelled job's SIGTERM ends the lookup (which may wait on the network for
        // a third of --timeout): the range falls back as for a lookup that failed, and
        // the delivery that follows sees the signal, so the report is saved, not lost.
        // An offline lookup (git alone) is over in milliseconds, and listening would
        // take the signal's default from the rest of the run: there, none listens.
        let interrupt = if may_ask {
            Interrupt::listen()
        } else {
            Interrupt::never()
        };
        let resolution = interrupt
            .unless(deployed::find(&lookup))
            .await
            .unwrap_or_else(|signal| interrupted(&lookup, signal));
        let planned = match &resolution.start {
            Start::Deployed(base) => Some(
                deployed::plan(&Placing {
                    git: &git,
                    base,
                    head: &head,
                    github: targets.github.as_ref().ok(),
                    max_commits: args.max_commits,
                    client: lookup.client,
                    deadline: lookup.deadline,
                })
                .await,
            ),
            _ => None,
        };
        (resolution, planned)
    })?;
    resolution.log();
    if let Some(planned) = &planned {
        planned.log();
    }
    Ok(Span::resolved(
        resolution,
        planned.map(|p| p.plan),
        Some(deployment.environment),
    ))
}

/// The range's start when a signal cut the lookup short: the fallback of a lookup
/// that found nothing, with a warning that says why.
fn interrupted(lookup: &Lookup<'_>, signal: Signal) -> deployed::Resolution {
    let mut resolution = deployed::resolve(
        lookup.mode,
        lookup.explicit.clone(),
        lookup.environment,
        &[],
        lookup.ci_base.clone(),
    );
    resolution.warnings.insert(
        0,
        format!(
            "the lookup of the last deployment to {} was interrupted by {}",
            lookup.environment,
            signal.name()
        ),
    );
    resolution
}

/// Where a build's range starts: `--since`, `--since-tag`, the CI's range, else HEAD.
pub(super) fn start(args: &Options, ctx: &RunContext) -> git::Start {
    match explicit(args) {
        Some(Explicit::Since(rev)) => git::Start::Since(rev),
        Some(Explicit::SinceTag(glob)) => git::Start::SinceTag(glob),
        None => ci_base(ctx).map_or(git::Start::Head, |ci| git::Start::Ci(ci.sha)),
    }
}

/// `--since` or `--since-tag`, if given.
fn explicit(args: &Options) -> Option<Explicit> {
    args.since
        .clone()
        .map(Explicit::Since)
        .or_else(|| args.since_tag.clone().map(Explicit::SinceTag))
}

/// Where the CI's own range starts, and what the CI calls it.
fn ci_base(ctx: &RunContext) -> Option<CiBase> {
    ctx.range_start().map(|start| CiBase {
        sha: start.value,
        detail: start.from.to_string(),
    })
}

/// The lookup's deadline: a third of `--timeout`, at most [`MAX_LOOKUP`], and never
/// past the run's own deadline (counted from the start of the process).
fn lookup_deadline(timeout: Duration) -> Instant {
    let run_ends = crate::clock::deadline(timeout);
    let share = crate::clock::deadline_in((timeout / 3).min(MAX_LOOKUP));
    share.min(run_ends).into_std()
}
