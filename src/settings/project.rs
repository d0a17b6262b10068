//! The project file, `.jira-send.toml` at the repository root: what a team sets once
//! for every pipeline of a repository.
//!
//! ```toml
//! projects = ["ABC", "OPS"]        # accept only these projects' keys
//! fail-on = "unknown-keys"         # the default --fail-on
//! pipeline-id = "acme/app"         # instead of the CI's
//! pipeline-name = "App"
//!
//! [environment-types]              # environment name globs, per type
//! production = ["prod-*", "live"]
//! staging = ["stage-*", "preprod*"]
//! ```
//!
//! Precedence everywhere: flag > environment variable > project file > CI system >
//! defaults. An unknown key is an error naming it, so a typo cannot silently do nothing.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::FailOn;
use crate::error::{Error, Result};
use crate::payload::deployment::EnvironmentType;

pub const FILE_NAME: &str = ".jira-send.toml";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProjectFile {
    #[serde(default)]
    pub projects: Vec<String>,
    pub fail_on: Option<FailOn>,
    pub pipeline_id: Option<String>,
    pub pipeline_name: Option<String>,
    #[serde(default)]
    pub environment_types: EnvironmentTypes,
}

/// Environment name globs per type, matched case-insensitively.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentTypes {
    #[serde(default)]
    development: Vec<String>,
    #[serde(default)]
    testing: Vec<String>,
    #[serde(default)]
    staging: Vec<String>,
    #[serde(default)]
    production: Vec<String>,
}

impl EnvironmentTypes {
    /// The type whose globs match `name`, checked from development to production.
    pub fn type_of(&self, name: &str) -> Option<EnvironmentType> {
        let options = glob::MatchOptions {
            case_sensitive: false,
            ..glob::MatchOptions::new()
        };
        [
            (EnvironmentType::Development, &self.development),
            (EnvironmentType::Testing, &self.testing),
            (EnvironmentType::Staging, &self.staging),
            (EnvironmentType::Production, &self.production),
        ]
        .into_iter()
        .find(|(_, globs)| {
            globs
                .iter()
                .any(|g| glob::Pattern::new(g).is_ok_and(|p| p.matches_with(name, options)))
        })
        .map(|(kind, _)| kind)
    }

    fn check(&self, path: &Path) -> Result<()> {
        for glob in [&self.development, &self.testing, &self.staging, &self.production]
            .into_iter()
            .flatten()
        {
            glob::Pattern::new(glob).map_err(|e| {
                Error::usage(format!(
                    "{}: environment-types: {glob:?} is not a glob ({e})",
                    path.display()
                ))
            })?;
        }
        Ok(())
    }
}

impl ProjectFile {
    /// The project file of the repository around `start` (default: the working
    /// directory): the nearest `.jira-send.toml` up to the repository's root.
    pub fn find(start: Option<&Path>) -> Result<Option<(PathBuf, Self)>> {
        let start = match start {
            Some(path) => path.to_path_buf(),
            None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        };
        for dir in start.ancestors() {
            let path = dir.join(FILE_NAME);
            if path.is_file() {
                return Self::load(&path).map(|file| Some((path, file)));
            }
            if dir.join(".git").exists() {
                break;
            }
        }
        Ok(None)
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::fs::read_to_string(path, crate::fs::limit::PROJECT_FILE).map_err(|source| {
            Error::Read {
                path: path.to_owned(),
                source,
            }
        })?;
        let file: Self = toml::from_str(&text)
            .map_err(|e| Error::usage(format!("{}: {}", path.display(), e.message())))?;
        file.environment_types.check(path)?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ProjectFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        ProjectFile::load(&path)
    }

    #[test]
    fn a_full_file_is_read() {
        let file = parse(
            "projects = [\"ABC\"]\nfail-on = \"unknown-keys\"\npipeline-id = \"acme/app\"\n\
             [environment-types]\nproduction = [\"prod-*\", \"live\"]\nstaging = [\"stage-*\"]\n",
        )
        .unwrap();
        assert_eq!(file.projects, ["ABC"]);
        assert_eq!(file.fail_on, Some(FailOn::UnknownKeys));
        assert_eq!(file.pipeline_id.as_deref(), Some("acme/app"));
        assert_eq!(
            file.environment_types.type_of("PROD-eu"),
            Some(EnvironmentType::Production)
        );
        assert_eq!(
            file.environment_types.type_of("live"),
            Some(EnvironmentType::Production)
        );
        assert_eq!(
            file.environment_types.type_of("stage-2"),
            Some(EnvironmentType::Staging)
        );
        assert_eq!(file.environment_types.type_of("dev"), None);
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = parse("project = [\"ABC\"]\n").unwrap_err().to_string();
        assert!(err.contains("unknown field `project`"), "{err}");
        let err = parse("[environment-types]\nprod = [\"x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `prod`"), "{err}");
        let err = parse("fail-on = \"sometimes\"\n").unwrap_err().to_string();
        assert!(err.contains("sometimes"), "{err}");
        assert!(parse("[environment-types]\nstaging = [\"[\"]\n").is_err());
    }

    #[test]
    fn the_file_is_found_up_to_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("sub/dir")).unwrap();
        std::fs::write(repo.join(FILE_NAME), "projects = [\"ABC\"]\n").unwrap();
        let (path, file) = ProjectFile::find(Some(&repo.join("sub/dir"))).unwrap().unwrap();
        assert_eq!(path, repo.join(FILE_NAME));
        assert_eq!(file.projects, ["ABC"]);
        // Not above the repository.
        std::fs::remove_file(repo.join(FILE_NAME)).unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "projects = [\"XYZ\"]\n").unwrap();
        assert!(ProjectFile::find(Some(&repo.join("sub"))).unwrap().is_none());
    }
}
