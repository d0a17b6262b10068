//! Where the last successful deployment to an environment is found: the start of a
//! deployment's commit range (issue 13).
//!
//! jira-send keeps no state between runs, so the previous deployment is looked up
//! where it already lives, in this order (the first source that answers wins):
//! `--since`/`--since-tag`, the GitHub deployments API ([`github`]), the GitLab
//! deployments API ([`gitlab`]), the marker tag `jira-send/deployed/<environment-id>`
//! ([`marker`]), Jenkins' `GIT_PREVIOUS_SUCCESSFUL_COMMIT`, then the CI system's own
//! range, else HEAD alone. [`chain`] decides, as a pure function of what each source
//! answered; [`find`] asks the sources, lazily and in order, so nothing is requested
//! once one has answered, when `--since` is given, or when the lookup is off.
//!
//! Once a base commit is known, [`plan()`] places it against HEAD in the clone: a base
//! behind HEAD is a range; HEAD at or behind the base (a redeploy, a rollback) adds no
//! commits; a base on another line of history starts the range at the merge base. A
//! base missing from a shallow clone is read through GitHub's compare API where there
//! is one ([`github::compare`]), else the clone is deepened in steps ([`deepen`]), else
//! what the clone has is read, with a warning.
//!
//! A lookup never fails a report: every failure (network, 401/403, rate limit, a git
//! that cannot fetch) falls through to the next source with a warning that names what
//! to grant or set, and nothing waits past the deadline it is given. Secrets travel
//! only in a request header (GitHub's `Authorization`, GitLab's `JOB-TOKEN`) and are
//! masked in anything a server or git says back.
//!
//! What each source costs: GitHub one list request and one status request per earlier
//! deployment until a success (2 in the usual case, 11 at most), plus, on a clone that
//! lacks the base, one compare request per 100 commits plus one; GitLab one request;
//! the marker one `git ls-remote` of one ref, plus one fetch of one ref when the clone
//! lacks the commit, none without `origin`; Jenkins none. Deepening: one fetch of the
//! base, then at most three.
//!
//! # Where it is wired
//!
//! - **Where it runs**: [`crate::keys::range::decide`], for `deployment` and `keys
//!   --environment`, after settings and CI detection and before the key walk;
//!   `--issue-key` skips it. It runs before delivery starts, so its blocking git
//!   processes hold up nothing else, with its own deadline: a third of `--timeout`, at
//!   most 30 s, never past the run's own, so delivery keeps its time.
//! - **What it is given**: `--since-deployment` ([`Mode`], default `auto`),
//!   `--since`/`--since-tag` ([`Explicit`]), the environment's name and id,
//!   `--github-environment`, `--record-deployment`, `--max-commits`, HEAD, the
//!   repository ([`GitCli::new`], the process environment inherited so that the
//!   checkout's credentials work), the CI's range ([`CiBase`]), [`Targets::from_vars`]
//!   over the environment snapshot, and the one HTTP client (`http::client`, which
//!   follows no redirect: a token is never re-sent), or none under `--dry-run`, which
//!   promises no network: then the local marker tag and Jenkins' variable still answer.
//! - **What comes of it**: the [`Resolution`] and, for [`Start::Deployed`], the
//!   [`Planned`] [`Plan`] become the run's range (`keys::range::Span`): a walk from a
//!   commit (`git::Start::Commit`), no commits (`git::Start::Nothing`), the compare
//!   API's messages, the clone's history as far as it goes (`git::Start::Clone`), or
//!   HEAD alone; [`Start::Since`], [`Start::SinceTag`], [`Start::Ci`] and [`Start::Head`]
//!   keep a build's walk. The report's `range` carries `fromSource`, `fromDetail` and
//!   `truncated`.
//! - **After delivery** (`commands/deployment.rs`): when some Jira site accepted a
//!   `successful` deployment, none rejected it and `--record-deployment` is set,
//!   [`marker::record`] within what is left of `--timeout`; its warning is printed,
//!   never turned into an exit code.

pub mod chain;
pub mod deepen;
pub mod git_cli;
pub mod github;
pub mod gitlab;
pub mod marker;
pub mod plan;
mod rest;
pub mod targets;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use serde::Serialize;

pub use chain::{CiBase, Explicit, Resolution, Start, resolve};
pub use git_cli::GitCli;
pub use plan::{Placing, Plan, Planned, plan};
pub use rest::Failure;
pub use targets::Targets;

/// `--since-deployment`: which source is asked for the previous deployment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Every source, in the chain's order.
    #[default]
    Auto,
    Github,
    Gitlab,
    Tag,
    Jenkins,
    /// No lookup: `--since`, `--since-tag`, the CI's range or HEAD, as other commands.
    Off,
}

impl Mode {
    pub const NAMES: [&str; 6] = ["auto", "github", "gitlab", "tag", "jenkins", "off"];
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Self::Auto,
            "github" => Self::Github,
            "gitlab" => Self::Gitlab,
            "tag" => Self::Tag,
            "jenkins" => Self::Jenkins,
            "off" => Self::Off,
            _ => {
                return Err(format!(
                    "--since-deployment {text}: expected one of {}",
                    Self::NAMES.join(", ")
                ));
            }
        })
    }
}

/// A place the previous deployment can be found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Github,
    Gitlab,
    Tag,
    Jenkins,
}

impl Source {
    /// The chain's order under `auto`.
    pub const ALL: [Self; 4] = [Self::Github, Self::Gitlab, Self::Tag, Self::Jenkins];

    /// The sources `mode` asks, in order.
    pub fn asked(mode: Mode) -> &'static [Self] {
        match mode {
            Mode::Auto => &Self::ALL,
            Mode::Github => &[Self::Github],
            Mode::Gitlab => &[Self::Gitlab],
            Mode::Tag => &[Self::Tag],
            Mode::Jenkins => &[Self::Jenkins],
            Mode::Off => &[],
        }
    }

    pub fn from_source(self) -> FromSource {
        match self {
            Self::Github => FromSource::Github,
            Self::Gitlab => FromSource::Gitlab,
            Self::Tag => FromSource::Tag,
            Self::Jenkins => FromSource::Jenkins,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Github => "GitHub deployments",
            Self::Gitlab => "GitLab deployments",
            Self::Tag => "marker tag",
            Self::Jenkins => "Jenkins",
        })
    }
}

/// `range.fromSource`: where the range's start came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FromSource {
    Since,
    SinceTag,
    Github,
    Gitlab,
    Tag,
    Jenkins,
    Ci,
    Head,
}

/// The previous successful deployment, as a source found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// Its commit.
    pub sha: String,
    /// For the report: "GitHub deployment 123456, 2026-11-20, a1b2c3d".
    pub detail: String,
}

/// What one source answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Found(Deployed),
    /// Nothing to find there, or the source cannot be asked here (no token, another
    /// CI): `why` for `-v`, and what the user could set to make it answer.
    Missing {
        why: String,
        remedy: Option<String>,
    },
    /// The source keeps this environment's deployments and has no earlier successful
    /// one: a first deployment, nothing to fix (`why` for `-v`).
    NoneYet(String),
    /// The lookup failed; a warning, and what to grant or set.
    Failed {
        warning: String,
        remedy: Option<String>,
    },
}

impl Answer {
    pub(crate) fn missing(why: impl Into<String>) -> Self {
        Self::Missing {
            why: why.into(),
            remedy: None,
        }
    }
}

/// Everything [`find`] needs: the run's settings and where each source lives.
#[derive(Debug)]
pub struct Lookup<'a> {
    pub mode: Mode,
    pub explicit: Option<Explicit>,
    /// The Jira environment's name, for messages.
    pub environment: &'a str,
    /// Its id: names the marker tag.
    pub environment_id: &'a str,
    /// HEAD's full sha.
    pub head: &'a str,
    pub targets: &'a Targets,
    /// The repository, when there is one.
    pub git: Option<&'a GitCli>,
    /// `--record-deployment`: a missing marker is then expected on a first deployment.
    pub record_deployment: bool,
    pub ci_base: Option<CiBase>,
    /// The HTTP client, or `None` offline (`--dry-run`): then no API is asked and
    /// origin is not read; the local marker tag and Jenkins' variable still answer.
    /// (Offline, no client is built: loading the system's certificates costs a few
    /// milliseconds of a dry run.)
    pub client: Option<&'a reqwest::Client>,
    pub deadline: Instant,
}

/// Asks the sources `lookup.mode` names, in order, until one finds the previous
/// deployment, and resolves the range's start (see [`chain::resolve`]). Logs nothing:
/// the caller logs the [`Resolution`] (see [`Resolution::log`]).
pub async fn find(lookup: &Lookup<'_>) -> Resolution {
    let mut answers = Vec::new();
    if lookup.explicit.is_none() {
        for &source in Source::asked(lookup.mode) {
            let answer = ask(lookup, source).await;
            let found = matches!(answer, Answer::Found(_));
            answers.push((source, answer));
            if found {
                break;
            }
        }
    }
    resolve(
        lookup.mode,
        lookup.explicit.clone(),
        lookup.environment,
        &answers,
        lookup.ci_base.clone(),
    )
}

async fn ask(lookup: &Lookup<'_>, source: Source) -> Answer {
    const OFFLINE: &str = "not asked: the lookup is offline (no network)";
    let targets = lookup.targets;
    match (source, lookup.client) {
        (Source::Github | Source::Gitlab, None) => Answer::missing(OFFLINE),
        (Source::Github, Some(client)) => match &targets.github {
            Ok(github) => github::last_success(github, lookup.head, client, lookup.deadline).await,
            Err(missing) => missing.clone(),
        },
        (Source::Gitlab, Some(client)) => match &targets.gitlab {
            Ok(gitlab) => gitlab::last_success(gitlab, lookup.head, client, lookup.deadline).await,
            Err(missing) => missing.clone(),
        },
        (Source::Tag, _) => match lookup.git {
            Some(git) => marker::lookup(
                git,
                lookup.environment_id,
                marker::Reading {
                    ask_origin: lookup.client.is_some(),
                    record_deployment: lookup.record_deployment,
                },
                lookup.deadline,
            ),
            None => Answer::missing("not in a git repository"),
        },
        (Source::Jenkins, _) => targets.jenkins.clone(),
    }
}

/// The first 7 characters of a commit id, as reports show it.
pub(crate) fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// Whether `text` is a full commit id (SHA-1 or SHA-256, lowercase or not).
pub(crate) fn is_full_sha(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}
