//! GitHub's deployments API: the environment's last successful deployment, and the
//! commits between two commits without touching the clone.
//!
//! A job with `environment:` creates a deployment per run; its statuses tell how it
//! went, newest first, and a newer success marks older ones `inactive` (so "any status
//! is `success`" is the test, not "the latest status is"). The lookup is bounded: one
//! list request, at most [`MAX_STATUS_REQUESTS`] status requests.
//!
//! API: <https://docs.github.com/en/rest/deployments/deployments>,
//! <https://docs.github.com/en/rest/deployments/statuses>,
//! <https://docs.github.com/en/rest/commits/commits#compare-two-commits>.
//! `GITHUB_TOKEN` needs `deployments: read` for the first two and `contents: read` for
//! the third.

use std::time::Instant;

use reqwest::Client;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::rest::{Auth, Failure, Rest};
use super::{Answer, Deployed, short};

/// Deployments listed by the one list request.
pub const LIST_SIZE: u32 = 30;
/// Deployments whose statuses are read, at most.
pub const MAX_STATUS_REQUESTS: usize = 10;
/// Commits per compare page (GitHub's maximum).
pub const COMPARE_PAGE: usize = 100;

const DEPLOYMENTS: &str = "`deployments: read`";
const CONTENTS: &str = "`contents: read`";
const HEADERS: &[(&str, &str)] = &[
    ("accept", "application/vnd.github+json"),
    ("x-github-api-version", "2022-11-28"),
];

/// A repository on GitHub (or GitHub Enterprise Server) and the token to read it.
#[derive(Debug)]
pub struct GitHub {
    /// `GITHUB_API_URL`: `https://api.github.com`, or `https://ghe.example.com/api/v3`.
    pub api_url: Url,
    /// `GITHUB_REPOSITORY`, split.
    pub owner: String,
    pub name: String,
    pub token: SecretString,
    /// The GitHub environment whose deployments are read.
    pub environment: String,
}

#[derive(Debug, Deserialize)]
struct Deployment {
    id: u64,
    sha: String,
    #[serde(default)]
    created_at: String,
}

#[derive(Debug, Deserialize)]
struct Status {
    state: String,
}

impl GitHub {
    /// `{api}/repos/{owner}/{name}/{tail…}`, each segment encoded.
    fn url(&self, tail: &[&str]) -> Url {
        let mut url = self.api_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(["repos", self.owner.as_str(), self.name.as_str()])
                .extend(tail);
        }
        url
    }

    fn rest<'a>(&'a self, client: &'a Client, deadline: Instant) -> Rest<'a> {
        Rest {
            client,
            deadline,
            auth: Auth::Bearer(&self.token),
            service: "GitHub",
            headers: HEADERS,
        }
    }
}

/// The environment's newest deployment that succeeded, other than HEAD's own (the
/// current run's deployment has HEAD's sha; so has a redeploy of HEAD, whose range is
/// then the one since the deployment before it).
pub async fn last_success(github: &GitHub, head: &str, client: &Client, deadline: Instant) -> Answer {
    match find(github, head, client, deadline).await {
        Ok(answer) => answer,
        Err(failure) => Answer::Failed {
            warning: format!(
                "cannot read the deployments of the GitHub environment {:?}: {failure}",
                github.environment
            ),
            remedy: failure
                .permission()
                .map(|p| format!("grant GITHUB_TOKEN {p} (the job's `permissions:`)")),
        },
    }
}

async fn find(github: &GitHub, head: &str, client: &Client, deadline: Instant) -> Result<Answer, Failure> {
    let rest = github.rest(client, deadline);
    let mut url = github.url(&["deployments"]);
    url.query_pairs_mut()
        .append_pair("environment", &github.environment)
        .append_pair("per_page", &LIST_SIZE.to_string());
    let deployments: Vec<Deployment> = rest.get(&url, DEPLOYMENTS).await?;
    if deployments.is_empty() {
        return Ok(Answer::Missing {
            why: format!(
                "GitHub has no deployment to the environment {:?}",
                github.environment
            ),
            remedy: Some(
                "name the job's GitHub environment with --github-environment if it differs from \
                 --environment"
                    .into(),
            ),
        });
    }
    let mut asked = 0;
    for deployment in deployments.iter().filter(|d| !d.sha.eq_ignore_ascii_case(head)) {
        if asked == MAX_STATUS_REQUESTS {
            break;
        }
        asked += 1;
        let mut url = github.url(&["deployments", &deployment.id.to_string(), "statuses"]);
        url.query_pairs_mut().append_pair("per_page", "100");
        let statuses: Vec<Status> = rest.get(&url, DEPLOYMENTS).await?;
        if statuses.iter().any(|s| s.state == "success") {
            return Ok(Answer::Found(Deployed {
                sha: deployment.sha.clone(),
                detail: format!(
                    "GitHub deployment {}, {}, {}",
                    deployment.id,
                    deployment.created_at.get(..10).unwrap_or(&deployment.created_at),
                    short(&deployment.sha)
                ),
            }));
        }
    }
    let why = format!(
        "none of the {asked} newest earlier deployments to the GitHub environment {:?} succeeded",
        github.environment
    );
    // Every earlier deployment was read: there is none yet. Otherwise there may be one
    // further back, out of the lookup's bounds.
    let earlier = deployments
        .iter()
        .filter(|d| !d.sha.eq_ignore_ascii_case(head))
        .count();
    if asked == earlier && deployments.len() < LIST_SIZE as usize {
        Ok(Answer::NoneYet(why))
    } else {
        Ok(Answer::missing(why))
    }
}

/// How `head` relates to `base` (`status` of the compare API).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// `base` is an ancestor of `head`.
    Ahead,
    /// `head` is an ancestor of `base`: a rollback.
    Behind,
    Identical,
    /// Neither: the commits listed are those since the merge base.
    Diverged,
    #[serde(other)]
    Unknown,
}

/// What `compare/{base}...{head}` said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compared {
    pub relation: Relation,
    pub merge_base: Option<String>,
    /// The commits reachable from `head` and not from `base`, all of them.
    pub total: u64,
    /// The newest of them, at most the `max` asked for, oldest first.
    pub commits: Vec<ComparedCommit>,
    /// `max` cut the list.
    pub truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComparedCommit {
    pub sha: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
struct Comparison {
    status: Relation,
    #[serde(default)]
    total_commits: u64,
    merge_base_commit: Option<ShaOnly>,
    #[serde(default)]
    commits: Vec<CommitEntry>,
}

#[derive(Debug, Deserialize)]
struct ShaOnly {
    sha: String,
}

#[derive(Debug, Deserialize)]
struct CommitEntry {
    sha: String,
    commit: CommitMessage,
}

#[derive(Debug, Deserialize)]
struct CommitMessage {
    message: String,
}

impl From<CommitEntry> for ComparedCommit {
    fn from(entry: CommitEntry) -> Self {
        Self {
            sha: entry.sha,
            message: entry.commit.message,
        }
    }
}

/// The commits in `base..head` (as `git log base..head` lists them, oldest first), read
/// from the compare API page by page: the newest `max` of them, as a walk capped by
/// `--max-commits` would keep. The first page tells how many there are; the pages that
/// hold the newest `max` follow (at most `max / 100 + 2` requests in all).
pub async fn compare(
    github: &GitHub,
    base: &str,
    head: &str,
    max: usize,
    client: &Client,
    deadline: Instant,
) -> Result<Compared, Failure> {
    let rest = github.rest(client, deadline);
    let page_url = |page: usize| {
        let mut url = github.url(&["compare", &format!("{base}...{head}")]);
        url.query_pairs_mut()
            .append_pair("per_page", &COMPARE_PAGE.to_string())
            .append_pair("page", &page.to_string());
        url
    };
    let Comparison {
        status: relation,
        total_commits,
        merge_base_commit,
        commits: first_commits,
    } = rest.get(&page_url(1), CONTENTS).await?;
    let total = usize::try_from(total_commits).unwrap_or(usize::MAX);
    let wanted = total.min(max);
    // The index (0-based, oldest first) of the first commit kept, and the pages from the
    // one that holds it to the last.
    let skip = total - wanted;
    let first_page = skip / COMPARE_PAGE + 1;
    let last_page = total.div_ceil(COMPARE_PAGE);
    let mut first_commits = Some(first_commits);
    let mut commits: Vec<ComparedCommit> = Vec::new();
    for page in first_page..=last_page {
        if wanted == 0 {
            break;
        }
        let entries = match first_commits.take().filter(|_| page == 1) {
            Some(entries) => entries,
            None => rest.get::<Comparison>(&page_url(page), CONTENTS).await?.commits,
        };
        if entries.is_empty() {
            break;
        }
        commits.extend(entries.into_iter().map(ComparedCommit::from));
    }
    let offset = skip - (first_page - 1) * COMPARE_PAGE;
    Ok(Compared {
        relation,
        merge_base: merge_base_commit.map(|m| m.sha),
        total: total_commits,
        truncated: wanted < total,
        commits: commits.into_iter().skip(offset).take(wanted).collect(),
    })
}
