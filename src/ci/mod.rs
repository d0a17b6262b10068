//! What the CI system says about the current run, read from its documented
//! variables.
//!
//! Each system lives in its own file: a `detect` function that recognises the system
//! and fills a [`CiContext`], saying for each value which variable it came from
//! ([`Field`]). Adding a system is one new file plus one line in `SYSTEMS`; `vars`
//! reads variables (envy) and the values every vendor shapes alike.
//!
//! The rules every system follows, because other tools got them wrong and their users
//! paid for it (duplicate pipelines in Jira, builds out of order): the pipeline id is stable across runs (repository plus
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
mod vars;

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
    /// The branch built: the source branch of a pull request. None on a tag build.
    pub branch: Option<String>,
    /// The tag built, on a build started by a tag.
    pub tag: Option<String>,
    /// The commit the CI checked out: on many pull-request builds a merge of the pull
    /// request into its target that the CI made for the test, which is on no branch.
    pub commit: Option<String>,
    /// On a pull-request build, the pull request's head commit: what the build reports
    /// (Jira links builds to commits and branches) and whose history the keys come from.
    pub pull_request_head: Option<String>,
    /// Where the range of new commits starts: the previous commit of a push, the base of a
    /// pull request, the last successful build's commit.
    pub range_base: Option<String>,
    /// On a pull-request build, the CI checked out the pull request's target branch, not
    /// its changes (GitHub's `pull_request_target`): HEAD's history is not the pull
    /// request's. Shown by `event`; not a value of its own.
    #[serde(skip)]
    pub checks_out_target: bool,
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
    pub sources: BTreeMap<Field, String>,
}

/// A field of [`CiContext`], for saying where its value came from: what
/// `CiContext::sources` is keyed by, named as the context's JSON names it.
///
/// Declared in the alphabetical order of their names, so that `sources` lists them
/// in that order (as `jira-send env` always has).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Branch,
    BuildNumber,
    Commit,
    Environment,
    Event,
    PipelineId,
    PipelineName,
    PipelineUrl,
    PullRequest,
    PullRequestHead,
    RangeBase,
    RepositoryUrl,
    RunUrl,
    State,
    System,
    Tag,
}

impl Field {
    /// Every field, in order.
    pub const ALL: [Self; 16] = [
        Self::Branch,
        Self::BuildNumber,
        Self::Commit,
        Self::Environment,
        Self::Event,
        Self::PipelineId,
        Self::PipelineName,
        Self::PipelineUrl,
        Self::PullRequest,
        Self::PullRequestHead,
        Self::RangeBase,
        Self::RepositoryUrl,
        Self::RunUrl,
        Self::State,
        Self::System,
        Self::Tag,
    ];

    /// The field's name in the context's JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Branch => "branch",
            Self::BuildNumber => "buildNumber",
            Self::Commit => "commit",
            Self::Environment => "environment",
            Self::Event => "event",
            Self::PipelineId => "pipelineId",
            Self::PipelineName => "pipelineName",
            Self::PipelineUrl => "pipelineUrl",
            Self::PullRequest => "pullRequest",
            Self::PullRequestHead => "pullRequestHead",
            Self::RangeBase => "rangeBase",
            Self::RepositoryUrl => "repositoryUrl",
            Self::RunUrl => "runUrl",
            Self::State => "state",
            Self::System => "system",
            Self::Tag => "tag",
        }
    }

    /// Whether `ctx` has a value for this field.
    fn is_set(self, ctx: &CiContext) -> bool {
        match self {
            Self::Branch => ctx.branch.is_some(),
            Self::BuildNumber => ctx.build_number.is_some(),
            Self::Commit => ctx.commit.is_some(),
            Self::Environment => ctx.environment.is_some(),
            Self::Event => ctx.event.is_some(),
            Self::PipelineId => ctx.pipeline_id.is_some(),
            Self::PipelineName => ctx.pipeline_name.is_some(),
            Self::PipelineUrl => ctx.pipeline_url.is_some(),
            Self::PullRequest => ctx.pull_request.is_some(),
            Self::PullRequestHead => ctx.pull_request_head.is_some(),
            Self::RangeBase => ctx.range_base.is_some(),
            Self::RepositoryUrl => ctx.repository_url.is_some(),
            Self::RunUrl => ctx.run_url.is_some(),
            Self::State => ctx.state.is_some(),
            Self::System => true,
            Self::Tag => ctx.tag.is_some(),
        }
    }
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl CiContext {
    /// Makes every URL one Jira accepts, then records, for the fields that have a
    /// value, where it came from.
    ///
    /// A URL from a CI variable is parsed and written out again, which percent-encodes
    /// what the variable left raw (a space in a project name); one that is not an
    /// absolute http(s) URL is dropped, with a note at `-v`.
    fn sourced(mut self, sources: &[(Field, &str)]) -> Self {
        let system = self.system;
        for url in [
            &mut self.pipeline_url,
            &mut self.run_url,
            &mut self.repository_url,
        ]
        .into_iter()
        .chain(self.pull_request.as_mut().map(|pr| &mut pr.url))
        {
            *url = url.take().and_then(|u| web_link(system, &u));
        }
        for &(field, source) in sources {
            if field.is_set(&self) {
                self.sources.insert(field, source.to_owned());
            }
        }
        self
    }
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
    /// The system reported a state in words jira-send does not know: never taken for
    /// a success.
    Unknown,
}

/// `url` as a link Jira accepts: absolute, http(s), percent-encoded, and without the
/// credentials a CI system may have built it with (`https://user:token@host/…`), which
/// are dropped before anything else, logs included.
fn web_link(system: &str, url: &str) -> Option<String> {
    let url = crate::remote::without_credentials(url.trim());
    match url::Url::parse(&url) {
        Ok(parsed)
            if matches!(parsed.scheme(), "http" | "https")
                && parsed.has_host()
                && parsed.username().is_empty()
                && parsed.password().is_none() =>
        {
            Some(parsed.into())
        }
        // A parser that still finds credentials read the text otherwise than
        // `without_credentials` (`https:user:token@host`): no such link is kept, and
        // the note does not repeat it.
        Ok(parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            tracing::info!(
                "{system} gave a URL with credentials in a form jira-send does not strip; it is left out"
            );
            None
        }
        _ => {
            tracing::info!("{system} gave {url:?} as a URL, which is not an http(s) URL; it is left out");
            None
        }
    }
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
    fn fields_are_the_contexts_own_and_in_the_order_of_their_names() {
        let json = serde_json::to_value(CiContext::default()).unwrap();
        let mut names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|&name| name != "sources")
            .collect();
        names.sort_unstable();
        let fields: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(fields, names);
        let mut sorted = Field::ALL;
        sorted.sort();
        assert_eq!(sorted, Field::ALL);
    }
}
