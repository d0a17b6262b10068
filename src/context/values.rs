//! The values a run uses, each derived once together with where it came from (an
//! [`Origin`]), which `jira-send env` shows.
//!
//! Precedence everywhere: flag (or its variable) > project file > CI system >
//! repository > error.

use std::fmt;

use serde::Serialize;

use super::{NoHistory, RunContext};
use crate::ci::Field;
use crate::error::{Error, Result};
use crate::remote::Remote;

/// Where a value the run uses came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A flag or its variable.
    Flag(&'static str),
    /// `.jira-send.toml`.
    ProjectFile,
    /// The CI system, and the variables (or event-file fields) it was read from.
    Ci { system: &'static str, source: String },
    /// The git remote of that name.
    Remote(String),
    /// The checked-out commit.
    Head,
    /// The branch HEAD names in a repository without commits.
    UnbornHead,
    /// The first parent of the CI's test merge of the pull request.
    MergeTarget,
    /// The repository's folder.
    Folder,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => write!(f, "{flag}"),
            Self::ProjectFile => write!(f, "{}", crate::settings::project::FILE_NAME),
            Self::Ci { system, source } => write!(f, "{system}: {source}"),
            Self::Remote(name) => write!(f, "git remote {name}"),
            Self::Head => write!(f, "HEAD"),
            Self::UnbornHead => write!(f, "HEAD (no commits yet)"),
            Self::MergeTarget => write!(f, "the first parent of the CI's test merge"),
            Self::Folder => write!(f, "the repository's folder name"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Derived<T> {
    pub value: T,
    pub from: Origin,
}

fn derived<T>(value: Option<T>, from: impl FnOnce() -> Origin) -> Option<Derived<T>> {
    value.map(|value| Derived { value, from: from() })
}

/// What `jira-send env` shows: each value a run would derive, and where it came from.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Derivation {
    pub repository: Option<Derived<String>>,
    /// The repository's top folder, as found from --repo or the working directory.
    pub root: Option<String>,
    pub repository_url: Option<Derived<String>>,
    pub branch: Option<Derived<String>>,
    pub tag: Option<Derived<String>>,
    pub commit: Option<Derived<String>>,
    /// HEAD, when the run reports another commit (a pull request's head).
    pub checkout: Option<String>,
    pub range_start: Option<Derived<String>>,
    pub pipeline_id: Option<Derived<String>>,
    pub pipeline_name: Option<Derived<String>>,
    pub build_number: Option<Derived<u64>>,
    pub run_url: Option<Derived<String>>,
    pub pipeline_url: Option<Derived<String>>,
    /// Why keys cannot be read from history here, if they cannot.
    pub history: Option<String>,
}

impl RunContext {
    /// Where the CI's value for `field` came from.
    pub(super) fn ci_origin(&self, field: Field) -> Origin {
        let ci = self.ci.as_ref();
        Origin::Ci {
            system: ci.map_or("CI", |c| c.system),
            source: ci
                .and_then(|c| c.sources.get(&field).cloned())
                .unwrap_or_else(|| field.name().to_owned()),
        }
    }

    /// The branch built: `--branch`, the CI's (source) branch, HEAD's branch; none on a
    /// tag build.
    pub fn branch(&self, flag: Option<&str>) -> Option<String> {
        self.derive_branch(flag).map(|d| d.value)
    }

    fn derive_branch(&self, flag: Option<&str>) -> Option<Derived<String>> {
        let ci = self.ci.as_ref();
        derived(flag.map(str::to_owned), || Origin::Flag("--branch"))
            .or_else(|| derived(ci?.branch.clone(), || self.ci_origin(Field::Branch)))
            .or_else(|| {
                // A tag build has no branch, whatever HEAD says.
                if ci.is_some_and(|c| c.tag.is_some()) {
                    return None;
                }
                derived(self.head.as_ref().and_then(|h| h.branch.clone()), || Origin::Head)
                    .or_else(|| derived(self.unborn_branch.clone(), || Origin::UnbornHead))
            })
    }

    /// The tag built, where the CI says it is a tag build.
    pub fn tag(&self) -> Option<String> {
        self.ci.as_ref()?.tag.clone()
    }

    /// The commit built: a pull request's head, HEAD, else what the CI says.
    pub fn commit(&self) -> Option<String> {
        self.derive_commit().map(|d| d.value)
    }

    fn derive_commit(&self) -> Option<Derived<String>> {
        let ci = self.ci.as_ref();
        derived(ci.and_then(|c| c.pull_request_head.clone()), || {
            self.ci_origin(Field::PullRequestHead)
        })
        .or_else(|| derived(self.head.as_ref().map(|h| h.id.to_string()), || Origin::Head))
        .or_else(|| derived(ci?.commit.clone(), || self.ci_origin(Field::Commit)))
    }

    /// The commit, abbreviated.
    pub fn short_commit(&self) -> Option<String> {
        self.commit().map(|c| c.chars().take(7).collect())
    }

    /// Where the range of new commits starts, for want of `--since`/`--since-tag`: what
    /// the CI reports, else the first parent of the CI's test merge.
    pub fn range_start(&self) -> Option<Derived<String>> {
        derived(self.ci.as_ref().and_then(|c| c.range_base.clone()), || {
            self.ci_origin(Field::RangeBase)
        })
        .or_else(|| derived(self.merge_target.map(|id| id.to_string()), || Origin::MergeTarget))
    }

    /// The repository as one stable string: `github.com/acme/app`, else the folder.
    pub fn repository(&self) -> Option<String> {
        self.derive_repository().map(|d| d.value)
    }

    fn derive_repository(&self) -> Option<Derived<String>> {
        let from_remote = self.remote.as_ref().zip(self.remote_origin.clone());
        from_remote
            .map(|(remote, from)| Derived {
                value: remote.slug(),
                from,
            })
            .or_else(|| derived(self.folder.clone(), || Origin::Folder))
    }

    /// The repository's web page.
    pub fn repository_url(&self) -> Option<String> {
        self.derive_repository_url().map(|d| d.value)
    }

    fn derive_repository_url(&self) -> Option<Derived<String>> {
        derived(self.ci.as_ref().and_then(|c| c.repository_url.clone()), || {
            self.ci_origin(Field::RepositoryUrl)
        })
        .or_else(|| {
            let from = self.remote_origin.clone()?;
            derived(self.remote.as_ref().map(Remote::web_url), || from)
        })
    }

    pub fn pipeline_id(&self, flag: Option<&str>) -> Result<String> {
        self.derive_pipeline_id(flag).map(|d| d.value).ok_or_else(|| {
            Error::usage(
                "cannot tell which pipeline this is: pass --pipeline-id (outside CI and a git repository)",
            )
        })
    }

    fn derive_pipeline_id(&self, flag: Option<&str>) -> Option<Derived<String>> {
        derived(flag.map(str::to_owned), || Origin::Flag("--pipeline-id"))
            .or_else(|| derived(self.project.pipeline_id.clone(), || Origin::ProjectFile))
            .or_else(|| {
                derived(self.ci.as_ref()?.pipeline_id.clone(), || {
                    self.ci_origin(Field::PipelineId)
                })
            })
            .or_else(|| self.derive_repository())
    }

    pub fn pipeline_name(&self, flag: Option<&str>, pipeline_id: &str) -> String {
        self.derive_pipeline_name(flag)
            .map_or_else(|| pipeline_id.to_owned(), |d| d.value)
    }

    fn derive_pipeline_name(&self, flag: Option<&str>) -> Option<Derived<String>> {
        derived(flag.map(str::to_owned), || Origin::Flag("--pipeline-name"))
            .or_else(|| derived(self.project.pipeline_name.clone(), || Origin::ProjectFile))
            .or_else(|| {
                derived(self.ci.as_ref()?.pipeline_name.clone(), || {
                    self.ci_origin(Field::PipelineName)
                })
            })
    }

    /// The run's number: the flag, else the CI's run number.
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
        let url = self.derive_run_url(flag).map(|d| d.value).ok_or_else(|| {
            Error::usage(format!(
                "cannot tell the URL to link from Jira: pass {option} (no CI run URL, and the git remote \
                 is not a hosted repository)"
            ))
        })?;
        check_url(option, url)
    }

    fn derive_run_url(&self, flag: Option<&str>) -> Option<Derived<String>> {
        derived(flag.map(str::to_owned), || Origin::Flag("--url"))
            .or_else(|| {
                derived(self.ci.as_ref()?.run_url.clone(), || {
                    self.ci_origin(Field::RunUrl)
                })
            })
            .or_else(|| self.derive_repository_url())
    }

    /// The pipeline's page: the flag, the CI's pipeline page, the repository's page,
    /// the run's page.
    pub fn pipeline_url(&self, flag: Option<&str>, run_url: &str) -> Result<String> {
        let url = self
            .derive_pipeline_url(flag)
            .map_or_else(|| run_url.to_owned(), |d| d.value);
        check_url("--pipeline-url", url)
    }

    fn derive_pipeline_url(&self, flag: Option<&str>) -> Option<Derived<String>> {
        derived(flag.map(str::to_owned), || Origin::Flag("--pipeline-url"))
            .or_else(|| {
                derived(self.ci.as_ref()?.pipeline_url.clone(), || {
                    self.ci_origin(Field::PipelineUrl)
                })
            })
            .or_else(|| self.derive_repository_url())
    }

    /// Every value a run derives without flags, and where each came from.
    pub fn derivation(&self) -> Derivation {
        let ci = self.ci.as_ref();
        let run_url = self.derive_run_url(None);
        Derivation {
            repository: self.derive_repository(),
            // Without the trailing separator git gives a work tree.
            root: (self.repo.as_ref()).map(|repo| {
                repo.root()
                    .components()
                    .collect::<std::path::PathBuf>()
                    .display()
                    .to_string()
            }),
            repository_url: self.derive_repository_url(),
            branch: self.derive_branch(None),
            tag: derived(ci.and_then(|c| c.tag.clone()), || self.ci_origin(Field::Tag)),
            commit: self.derive_commit(),
            checkout: self.checkout.map(|id| id.to_string()),
            range_start: self.range_start(),
            pipeline_id: self.derive_pipeline_id(None),
            pipeline_name: self.derive_pipeline_name(None),
            build_number: derived(ci.and_then(|c| c.build_number), || {
                self.ci_origin(Field::BuildNumber)
            }),
            pipeline_url: self.derive_pipeline_url(None).or_else(|| run_url.clone()),
            run_url,
            history: self.no_history.as_ref().map(NoHistory::explain),
        }
    }

    /// What a build refers to, with its page: `branch`, else on a tag build the tag.
    pub fn reference(&self, branch: Option<&str>) -> Option<(String, String)> {
        let remote = self.remote.as_ref()?;
        match (branch, self.tag()) {
            (Some(branch), _) => Some((branch.to_owned(), remote.branch_url(branch))),
            (None, Some(tag)) => {
                let url = remote.tag_url(&tag);
                Some((tag, url))
            }
            (None, None) => None,
        }
    }
}

/// A URL Jira will accept: absolute, http or https. One that needs encoding (a space,
/// non-ASCII) is given in its encoded form; one already encoded is kept as given.
fn check_url(option: &str, url: String) -> Result<String> {
    match url::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
            let normal = parsed.as_str();
            // The parser adds the root's `/` to `https://host`; that is no reason to change it.
            if normal == url || normal.strip_suffix('/') == Some(&url) {
                Ok(url)
            } else {
                Ok(normal.to_owned())
            }
        }
        _ => Err(Error::usage(format!("{option} {url}: not an http(s) URL"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_kept_or_encoded() {
        assert_eq!(
            check_url("--url", "https://ci.example.com".into()).unwrap(),
            "https://ci.example.com"
        );
        assert_eq!(
            check_url("--url", "https://ci.example.com/job/My Job/3".into()).unwrap(),
            "https://ci.example.com/job/My%20Job/3"
        );
        assert!(check_url("--url", "ftp://x/y".into()).is_err());
        assert!(check_url("--url", "not a url".into()).is_err());
    }

    #[test]
    fn origins_read_as_places() {
        let ci = Origin::Ci {
            system: "GitHub Actions",
            source: "GITHUB_HEAD_REF".into(),
        };
        assert_eq!(ci.to_string(), "GitHub Actions: GITHUB_HEAD_REF");
        assert_eq!(Origin::Remote("origin".into()).to_string(), "git remote origin");
        assert_eq!(serde_json::to_value(Origin::Head).unwrap(), "HEAD");
    }
}
