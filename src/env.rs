//! The process environment, read once at start-up and passed around as a value.
//!
//! Nothing else in the library reads the process environment (`clippy.toml` forbids
//! `std::env::var`), so tests describe a CI system as a plain map instead of mutating
//! global state. clap reads our own `JIRA_*` settings itself (that is what makes `--help`
//! show `[env: …]`); this snapshot serves everything clap cannot express: the CI
//! systems' variables, per-site credentials and secrets.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Names of the variables jira-send reads, in one place.
pub mod vars {
    pub const JIRA_SITE: &str = "JIRA_SITE";
    pub const JIRA_CLOUD_ID: &str = "JIRA_CLOUD_ID";
    pub const JIRA_CLIENT_ID: &str = "JIRA_CLIENT_ID";
    pub const JIRA_CLIENT_SECRET: &str = "JIRA_CLIENT_SECRET";
    pub const JIRA_CLIENT_SECRET_FILE: &str = "JIRA_CLIENT_SECRET_FILE";
    pub const JIRA_SEND_API_URL: &str = "JIRA_SEND_API_URL";
    pub const JIRA_SEND_TOKEN_URL: &str = "JIRA_SEND_TOKEN_URL";
    pub const JIRA_SEND_CACHE_DIR: &str = "JIRA_SEND_CACHE_DIR";
    pub const JIRA_SEND_OUTBOX_DIR: &str = "JIRA_SEND_OUTBOX_DIR";
    pub const JIRA_SEND_DRY_RUN: &str = "JIRA_SEND_DRY_RUN";
    pub const JIRA_SEND_OUTPUT: &str = "JIRA_SEND_OUTPUT";
    pub const JIRA_SEND_FAIL_ON: &str = "JIRA_SEND_FAIL_ON";
    pub const JIRA_SEND_TIMEOUT: &str = "JIRA_SEND_TIMEOUT";
    pub const JIRA_SEND_REPO: &str = "JIRA_SEND_REPO";
    pub const JIRA_SEND_LOG: &str = "JIRA_SEND_LOG";
    pub const JIRA_SEND_CA_FILE: &str = "JIRA_SEND_CA_FILE";
    pub const JIRA_SEND_REQUEST_TIMEOUT: &str = "JIRA_SEND_REQUEST_TIMEOUT";
    pub const JIRA_SEND_RETRY_DELAY: &str = "JIRA_SEND_RETRY_DELAY";
    pub const JIRA_SEND_NO_FLUSH: &str = "JIRA_SEND_NO_FLUSH";

    pub const JIRA_ISSUE_KEYS: &str = "JIRA_ISSUE_KEYS";
    pub const JIRA_SEND_BRANCH: &str = "JIRA_SEND_BRANCH";
    pub const JIRA_SEND_SINCE: &str = "JIRA_SEND_SINCE";
    pub const JIRA_SEND_SINCE_TAG: &str = "JIRA_SEND_SINCE_TAG";
    pub const JIRA_SEND_MAX_COMMITS: &str = "JIRA_SEND_MAX_COMMITS";
    pub const JIRA_PROJECT_KEYS: &str = "JIRA_PROJECT_KEYS";
    pub const JIRA_SEND_IGNORE_CASE: &str = "JIRA_SEND_IGNORE_CASE";
    pub const JIRA_SEND_SINCE_DEPLOYMENT: &str = "JIRA_SEND_SINCE_DEPLOYMENT";
    pub const JIRA_SEND_GITHUB_ENVIRONMENT: &str = "JIRA_SEND_GITHUB_ENVIRONMENT";
    pub const JIRA_SEND_RECORD_DEPLOYMENT: &str = "JIRA_SEND_RECORD_DEPLOYMENT";

    pub const JIRA_SEND_STATE: &str = "JIRA_SEND_STATE";
    pub const JIRA_SEND_PIPELINE_ID: &str = "JIRA_SEND_PIPELINE_ID";
    pub const JIRA_SEND_PIPELINE_NAME: &str = "JIRA_SEND_PIPELINE_NAME";
    pub const JIRA_SEND_BUILD_NUMBER: &str = "JIRA_SEND_BUILD_NUMBER";
    pub const JIRA_SEND_ENVIRONMENT: &str = "JIRA_SEND_ENVIRONMENT";
    pub const JIRA_SEND_ENVIRONMENT_ID: &str = "JIRA_SEND_ENVIRONMENT_ID";
    pub const JIRA_SEND_ENVIRONMENT_TYPE: &str = "JIRA_SEND_ENVIRONMENT_TYPE";
    pub const JIRA_SEND_DEPLOYMENT_NUMBER: &str = "JIRA_SEND_DEPLOYMENT_NUMBER";
    pub const JIRA_SEND_REPOSITORY_ID: &str = "JIRA_SEND_REPOSITORY_ID";
    pub const JIRA_SEND_REPOSITORY_URL: &str = "JIRA_SEND_REPOSITORY_URL";
}

/// A snapshot of environment variables. Empty values count as unset, as a CI
/// template that writes `JIRA_SITE: ""` means "not configured".
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Reads the real process environment. Only `main` calls this.
    #[allow(clippy::disallowed_methods)]
    pub fn from_process() -> Self {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    }

    /// The value of `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Whether `name` is set to a true-ish value (`1`, `true`, `yes`, `on`).
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
    }

    /// Every variable, for `envy` to deserialize a CI system's variables from.
    pub fn iter(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.vars.iter().map(|(k, v)| (k.clone(), v.clone()))
    }

    /// The names of jira-send's own variables (`JIRA_*`), the client secrets among
    /// them: the child processes jira-send starts (git) have no use for them, so they
    /// are not passed on.
    pub fn own_names(&self) -> impl Iterator<Item = &str> {
        self.vars
            .keys()
            .map(String::as_str)
            .filter(|name| name.starts_with("JIRA_"))
    }

    /// The platform's per-user cache directory (`$XDG_CACHE_HOME`, `~/.cache`,
    /// `~/Library/Caches`, `%LOCALAPPDATA%`) plus `jira-send`.
    #[allow(clippy::disallowed_methods)]
    pub fn default_cache_dir(&self) -> Option<PathBuf> {
        // `dirs` consults the process environment itself, which is why this lives here.
        dirs::cache_dir().map(|dir| dir.join("jira-send"))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let vars = iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(_, v): &(String, String)| !v.is_empty())
            .collect();
        Self { vars }
    }
}

/// The `<HOST>` suffix of per-site variables: the host uppercased, every character
/// that is not an ASCII letter or digit turned into `_` (`acme.atlassian.net` →
/// `ACME_ATLASSIAN_NET`).
pub fn host_suffix(host: &str) -> String {
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_unset() {
        let env: Env = [("A", ""), ("B", "x")].into_iter().collect();
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), Some("x"));
    }

    #[test]
    fn flags_accept_common_truthy_spellings() {
        let env: Env = [("A", "1"), ("B", "TRUE"), ("C", "0"), ("D", "no")]
            .into_iter()
            .collect();
        assert!(env.flag("A") && env.flag("B"));
        assert!(!env.flag("C") && !env.flag("D") && !env.flag("E"));
    }

    #[test]
    fn host_suffix_follows_the_contract() {
        assert_eq!(host_suffix("acme.atlassian.net"), "ACME_ATLASSIAN_NET");
        assert_eq!(host_suffix("my-site.example.com"), "MY_SITE_EXAMPLE_COM");
        assert_eq!(host_suffix("127.0.0.1"), "127_0_0_1");
    }
}
