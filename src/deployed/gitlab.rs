//! GitLab's deployments API: the environment's last successful deployment, in one
//! request.
//!
//! `GET {CI_API_V4_URL}/projects/{CI_PROJECT_ID}/deployments?environment=…&status=success
//! &order_by=finished_at&sort=desc`, authenticated by the job's own `CI_JOB_TOKEN` (sent
//! as `JOB-TOKEN`), which may call every Deployments API endpoint
//! (<https://docs.gitlab.com/ci/jobs/ci_job_token/>,
//! <https://docs.gitlab.com/api/deployments/>). The current job's deployment is skipped
//! (its sha is HEAD, or its deployable is this job), and one on the same ref is
//! preferred, as GitLab's own Jira integration does; deployments from tags each have
//! their own ref, so without one on the same ref the newest is taken.

use std::time::Instant;

use reqwest::Client;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::rest::{Auth, Rest};
use super::{Answer, Deployed, short};

/// Deployments listed by the one request.
pub const LIST_SIZE: u32 = 20;

const PERMISSION: &str = "read access to the project's deployments (the user running the pipeline needs \
                          at least the Reporter role)";

/// A GitLab project and the job reading it.
#[derive(Debug)]
pub struct GitLab {
    /// `CI_API_V4_URL`: `https://gitlab.com/api/v4`.
    pub api_url: Url,
    /// `CI_PROJECT_ID`.
    pub project_id: String,
    /// `CI_JOB_TOKEN`.
    pub job_token: SecretString,
    /// `CI_JOB_ID`: this job, whose own deployment is skipped.
    pub job_id: Option<u64>,
    /// `CI_COMMIT_REF_NAME`: deployments of the same ref are preferred.
    pub reference: Option<String>,
    /// The GitLab environment (`CI_ENVIRONMENT_NAME`, else the Jira environment's name).
    pub environment: String,
}

#[derive(Debug, Deserialize)]
struct Deployment {
    id: u64,
    #[serde(default)]
    iid: Option<u64>,
    sha: String,
    #[serde(rename = "ref", default)]
    reference: Option<String>,
    #[serde(default)]
    finished_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    deployable: Option<Deployable>,
}

#[derive(Debug, Deserialize)]
struct Deployable {
    id: u64,
}

/// The environment's newest successful deployment other than this job's, preferring
/// one on this job's ref.
pub async fn last_success(gitlab: &GitLab, head: &str, client: &Client, deadline: Instant) -> Answer {
    let rest = Rest {
        client,
        deadline,
        auth: Auth::JobToken(&gitlab.job_token),
        service: "GitLab",
        headers: &[],
    };
    let mut url = gitlab.api_url.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend(["projects", gitlab.project_id.as_str(), "deployments"]);
    }
    url.query_pairs_mut()
        .append_pair("environment", &gitlab.environment)
        .append_pair("status", "success")
        .append_pair("order_by", "finished_at")
        .append_pair("sort", "desc")
        .append_pair("per_page", &LIST_SIZE.to_string());
    let deployments: Vec<Deployment> = match rest.get(&url, PERMISSION).await {
        Ok(deployments) => deployments,
        Err(failure) => {
            return Answer::Failed {
                warning: format!(
                    "cannot read the deployments of the GitLab environment {:?}: {failure}",
                    gitlab.environment
                ),
                remedy: failure
                    .permission()
                    .map(|_| "give the job token read access to the project's deployments".to_owned()),
            };
        }
    };
    let earlier: Vec<&Deployment> = deployments
        .iter()
        .filter(|d| !d.sha.eq_ignore_ascii_case(head))
        .filter(|d| match (&d.deployable, gitlab.job_id) {
            (Some(job), Some(this_job)) => job.id != this_job,
            _ => true,
        })
        .collect();
    let same_ref = earlier
        .iter()
        .find(|d| d.reference.is_some() && d.reference == gitlab.reference);
    let Some(chosen) = same_ref.or(earlier.first()) else {
        return Answer::NoneYet(format!(
            "GitLab has no earlier successful deployment to the environment {:?}",
            gitlab.environment
        ));
    };
    let date = [&chosen.finished_at, &chosen.updated_at, &chosen.created_at]
        .into_iter()
        .find_map(|d| d.as_deref())
        .unwrap_or_default();
    Answer::Found(Deployed {
        sha: chosen.sha.clone(),
        detail: format!(
            "GitLab deployment {}, {}, {}",
            chosen
                .iid
                .map_or_else(|| chosen.id.to_string(), |iid| format!("#{iid}")),
            date.get(..10).unwrap_or(date),
            short(&chosen.sha)
        ),
    })
}
