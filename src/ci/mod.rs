//! What the CI system says about the current run, read from its documented
//! variables.
//!
//! Each system lives in its own file: a `detect` function that recognises the system
//! and fills a [`CiContext`]. Adding a system is one new file plus one line in
//! `SYSTEMS`.
//!
//! The rules every system follows, because peers got them wrong (see
//! `../shared/notes/peers.md`): the pipeline id is stable across runs (repository plus
//! workflow or job, never a run id); the build number is an integer; on a pull-request
//! build the branch is the *source* branch.

mod azure;
mod bitbucket;
mod buildkite;
mod circleci;
mod codebuild;
mod drone;
mod generic;
mod github;
mod gitlab;
mod jenkins;
mod teamcity;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::env::Env;

/// The CI systems, in the order they are tried; the generic fallback last.
const SYSTEMS: &[fn(&Env) -> Option<CiContext>] = &[
    github::detect,
    gitlab::detect,
    jenkins::detect,
    circleci::detect,
    bitbucket::detect,
    azure::detect,
    buildkite::detect,
    teamcity::detect,
    drone::detect,
    codebuild::detect,
    generic::detect,
];

/// Recognises the CI system the process runs in, if any.
pub fn detect(env: &Env) -> Option<CiContext> {
    SYSTEMS.iter().find_map(|detect| detect(env))
}

/// What a CI system tells about the run.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CiContext {
    /// The system's name, e.g. `GitHub Actions`.
    pub system: &'static str,
    /// Groups the runs of one pipeline; stable across runs.
    pub pipeline_id: Option<String>,
    /// The pipeline's human-readable name.
    pub pipeline_name: Option<String>,
    /// The pipeline's page (all its runs).
    pub pipeline_url: Option<String>,
    /// The run's number within the pipeline.
    pub build_number: Option<u64>,
    /// The run's page.
    pub run_url: Option<String>,
    /// The branch built: the source branch of a pull request.
    pub branch: Option<String>,
    /// The commit built.
    pub commit: Option<String>,
    /// Where the range of new commits starts: the previous commit of a push, the base of a
    /// pull request, the last successful build's commit.
    pub range_base: Option<String>,
    pub pull_request: Option<PullRequest>,
    /// The job's outcome, where the system tells it.
    pub state: Option<CiState>,
    pub environment: Option<CiEnvironment>,
    /// The repository's web page.
    pub repository_url: Option<String>,
    /// The event that started the run, where the system names it (`push`,
    /// `pull_request`, …).
    pub event: Option<String>,
    /// Where each value came from: field → variable (or event-file field).
    pub sources: BTreeMap<&'static str, String>,
}

impl CiContext {
    /// Records, for the fields that have a value, where it came from.
    fn sourced(mut self, sources: &[(&'static str, &str)]) -> Self {
        let json = serde_json::to_value(&self).unwrap_or_default();
        for (field, source) in sources {
            if json.get(field).is_some_and(|v| !v.is_null()) {
                self.sources.insert(field, (*source).to_owned());
            }
        }
        self
    }
}

/// The first candidate with a value, and the name of where it came from.
fn first<'a>(candidates: impl IntoIterator<Item = (&'a str, Option<String>)>) -> (Option<String>, &'a str) {
    candidates
        .into_iter()
        .find_map(|(name, value)| Some((Some(value.filter(|v| !v.is_empty())?), name)))
        .unwrap_or((None, ""))
}

/// The pull or merge request a run builds.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    pub number: Option<u64>,
    pub title: Option<String>,
    pub source_branch: Option<String>,
    pub target_branch: Option<String>,
    pub url: Option<String>,
    /// Who opened it: a login or a name.
    pub author: Option<String>,
}

/// The deployment environment a CI job declares.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CiEnvironment {
    pub name: String,
    /// The system's own classification (GitLab's `CI_ENVIRONMENT_TIER`).
    pub tier: Option<String>,
}

/// A run's outcome as the CI system reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CiState {
    Pending,
    InProgress,
    Successful,
    Failed,
    Cancelled,
}

/// Parses a run number; CI systems hand them out as decimal strings.
fn number(value: Option<&str>) -> Option<u64> {
    value?.trim().parse().ok()
}

/// A run's outcome from the words CI systems use for it.
fn state(word: &str) -> Option<CiState> {
    match word.to_ascii_lowercase().as_str() {
        "success" | "succeeded" | "successful" | "passed" | "succeededwithissues" => {
            Some(CiState::Successful)
        }
        "failed" | "failure" | "error" | "errored" => Some(CiState::Failed),
        "canceled" | "cancelled" | "aborted" | "killed" => Some(CiState::Cancelled),
        "running" | "started" | "in_progress" => Some(CiState::InProgress),
        "pending" | "queued" | "waiting" => Some(CiState::Pending),
        _ => None,
    }
}

/// `refs/heads/main` → `main`; other names unchanged.
fn branch_name(reference: &str) -> &str {
    reference.strip_prefix("refs/heads/").unwrap_or(reference)
}

/// A commit id that is not the all-zero "no commit" value.
fn real_commit(sha: Option<String>) -> Option<String> {
    sha.filter(|s| !s.is_empty() && !s.bytes().all(|b| b == b'0'))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn outside_ci_nothing_is_detected() {
        let env: Env = [("HOME", "/home/me"), ("PATH", "/bin")].into_iter().collect();
        assert!(detect(&env).is_none());
    }

    #[test]
    fn states_are_read_from_common_words() {
        assert_eq!(state("success"), Some(CiState::Successful));
        assert_eq!(state("Succeeded"), Some(CiState::Successful));
        assert_eq!(state("SucceededWithIssues"), Some(CiState::Successful));
        assert_eq!(state("Failed"), Some(CiState::Failed));
        assert_eq!(state("canceled"), Some(CiState::Cancelled));
        assert_eq!(state("skipped"), None);
    }

    #[test]
    fn all_zero_commits_are_no_commit() {
        assert_eq!(real_commit(Some("0".repeat(40))), None);
        assert_eq!(real_commit(Some("abc".into())), Some("abc".into()));
    }
}
