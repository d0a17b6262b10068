//! What this run is about: the CI system's view, the repository's, and the flags that
//! override both, resolved into the values payloads need.
//!
//! Precedence everywhere: flag (or its variable) > CI system > repository > error.

use std::path::Path;

use crate::ci::{self, CiContext};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::git::{Head, Repo, short_id};
use crate::payload::deployment::EnvironmentType;
use crate::project::ProjectFile;
use crate::remote::Remote;
use crate::settings::Settings;

#[derive(Debug)]
pub struct RunContext {
    pub ci: Option<CiContext>,
    pub repo: Option<Repo>,
    pub head: Option<Head>,
    /// The hosted repository, from the git remote or the CI's repository URL.
    pub remote: Option<Remote>,
    /// The repository's folder name, the last resort for naming a pipeline.
    folder: Option<String>,
    /// `.jira-send.toml`.
    pub project: ProjectFile,
}

impl RunContext {
    pub fn gather(settings: &Settings, env: &Env) -> Result<Self> {
        let ci = ci::detect(env);
        let repo = Repo::discover(settings.repo.as_deref())?;
        let head = repo.as_ref().map(Repo::head).transpose()?;
        let remote = repo
            .as_ref()
            .and_then(Repo::remote)
            .or_else(|| ci.as_ref()?.repository_url.as_deref().and_then(Remote::parse));
        let folder = repo
            .as_ref()
            .map(|r| r.root())
            .as_deref()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned());
        if let Some(ci) = &ci {
            tracing::info!("detected {}", ci.system);
        }
        Ok(Self {
            ci,
            repo,
            head,
            remote,
            folder,
            project: settings.project.clone(),
        })
    }

    /// The CI system's name, if any.
    pub fn system(&self) -> Option<&'static str> {
        self.ci.as_ref().map(|c| c.system)
    }

    /// The branch built: `--branch`, the CI's (source) branch, HEAD's branch.
    pub fn branch(&self, flag: Option<&str>) -> Option<String> {
        flag.map(str::to_owned)
            .or_else(|| self.ci.as_ref()?.branch.clone())
            .or_else(|| self.head.as_ref()?.branch.clone())
    }

    /// The commit built: HEAD, else what the CI says.
    pub fn commit(&self) -> Option<String> {
        self.head
            .as_ref()
            .map(|h| h.id.to_string())
            .or_else(|| self.ci.as_ref()?.commit.clone())
    }

    /// The commit, abbreviated.
    pub fn short_commit(&self) -> Option<String> {
        match &self.head {
            Some(head) => Some(short_id(head.id)),
            None => self.commit().map(|c| c.chars().take(7).collect()),
        }
    }

    /// The repository as one stable string: `github.com/acme/app`, else the folder.
    pub fn repository(&self) -> Option<String> {
        self.remote
            .as_ref()
            .map(Remote::slug)
            .or_else(|| self.folder.clone())
    }

    /// The repository's web page.
    pub fn repository_url(&self) -> Option<String> {
        self.ci
            .as_ref()
            .and_then(|c| c.repository_url.clone())
            .or_else(|| self.remote.as_ref().map(Remote::web_url))
    }

    pub fn pipeline_id(&self, flag: Option<&str>) -> Result<String> {
        flag.map(str::to_owned)
            .or_else(|| self.project.pipeline_id.clone())
            .or_else(|| self.ci.as_ref()?.pipeline_id.clone())
            .or_else(|| self.repository())
            .ok_or_else(|| {
                Error::usage("cannot tell which pipeline this is: pass --pipeline-id (outside CI and a git repository)")
            })
    }

    pub fn pipeline_name(&self, flag: Option<&str>, pipeline_id: &str) -> String {
        flag.map(str::to_owned)
            .or_else(|| self.project.pipeline_name.clone())
            .or_else(|| self.ci.as_ref()?.pipeline_name.clone())
            .unwrap_or_else(|| pipeline_id.to_owned())
    }

    /// The run's number: the flag (or its `variable`), else the CI's run number.
    pub fn number(&self, flag: Option<u64>, option: &str, variable: &str) -> Result<u64> {
        flag.or_else(|| self.ci.as_ref()?.build_number).ok_or_else(|| {
            let hint = match &self.ci {
                Some(ci) => format!("{} did not provide a run number", ci.system),
                None => "no CI system was detected".to_owned(),
            };
            Error::usage(format!("{option} is required (or set {variable}): {hint}"))
        })
    }

    /// The run's page: the flag, the CI's run URL, the repository's page.
    pub fn run_url(&self, flag: Option<&str>, option: &str) -> Result<String> {
        let url = flag
            .map(str::to_owned)
            .or_else(|| self.ci.as_ref()?.run_url.clone())
            .or_else(|| self.repository_url())
            .ok_or_else(|| {
                Error::usage(format!(
                    "cannot tell the URL to link from Jira: pass {option} (no CI run URL, and the \
                     git remote is not a hosted repository)"
                ))
            })?;
        check_url(option, url)
    }

    /// The pipeline's page: the flag, the CI's pipeline page, the run's page.
    pub fn pipeline_url(&self, flag: Option<&str>, run_url: &str) -> Result<String> {
        let url = flag
            .map(str::to_owned)
            .or_else(|| self.ci.as_ref()?.pipeline_url.clone())
            .or_else(|| self.repository_url())
            .unwrap_or_else(|| run_url.to_owned());
        check_url("--pipeline-url", url)
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

    /// The page of `branch`, when the repository is hosted.
    pub fn branch_url(&self, branch: &str) -> Option<String> {
        self.remote.as_ref().map(|r| r.branch_url(branch))
    }
}

/// A URL Jira will accept: absolute, http or https.
fn check_url(option: &str, url: String) -> Result<String> {
    match url::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(url),
        _ => Err(Error::usage(format!("{option} {url}: not an http(s) URL"))),
    }
}
