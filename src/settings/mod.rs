//! Settings resolved from the command line, the environment and the project file
//! (`project`), validated before anything touches the network: the sites (`site`),
//! each one's credentials (`credentials`), where results go ([`Output`]) and what
//! fails the step ([`FailOn`]).

mod credentials;
pub mod project;
mod site;

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::env::{Env, vars};
use crate::error::{Error, Result};

pub use credentials::Credentials;
pub use project::ProjectFile;
use site::parse_endpoint;
pub use site::{Site, parse_site};

/// How results are printed on stdout (logs always go to stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Text,
    Json,
}

/// Which outcomes fail the step. The project file spells them in kebab-case
/// (`fail-on = "unknown-keys"`), and so does `jira-send env`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// Never fail: rejections, refused credentials and delivery failures exit 0 with a
    /// warning.
    Never,
    /// Fail on errors (credentials, delivery), not on rejected entities.
    Error,
    /// Also fail when Jira rejects an entity.
    Rejected,
    /// Also fail when Jira reports issue keys it does not know.
    UnknownKeys,
}

/// The global options as given, by flag or variable (the command line fills this),
/// before they are resolved and checked.
#[derive(Clone, Debug)]
pub struct Options {
    pub sites: Vec<String>,
    pub cloud_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub api_url: String,
    pub token_url: String,
    pub cache_dir: Option<PathBuf>,
    pub outbox_dir: Option<PathBuf>,
    pub dry_run: bool,
    pub output: Output,
    /// `None`: the project file's, else the default.
    pub fail_on: Option<FailOn>,
    pub timeout: Duration,
    pub request_timeout: Duration,
    pub retry_delay: Duration,
    pub ca_file: Option<PathBuf>,
    pub no_flush: bool,
    pub repo: Option<PathBuf>,
    /// Which of these came from a variable.
    pub origins: Origins,
}

/// The options whose value came from their variable rather than from the command line,
/// by flag (`--site` → `JIRA_SITE`), so that a message about a value names where the
/// user wrote it. The command line fills it; a flag it does not list was given as one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins(Vec<(String, String)>);

impl Origins {
    /// `flag`'s value came from `variable`.
    pub fn set_by(&mut self, flag: String, variable: String) {
        if self.variable(&flag).is_none() {
            self.0.push((flag, variable));
        }
    }

    /// The variable `flag`'s value came from, if any.
    pub fn variable(&self, flag: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == flag)
            .map(|(_, variable)| variable.as_str())
    }

    /// Where `flag`'s value was set: its variable, or the flag itself.
    pub fn of<'a>(&'a self, flag: &'a str) -> &'a str {
        self.variable(flag).unwrap_or(flag)
    }
}

/// Global settings.
#[derive(Debug)]
pub struct Settings {
    pub sites: Vec<Site>,
    /// Where the sites came from, for messages that say what to check: `--site` or
    /// `JIRA_SITE`.
    pub site_setting: String,
    /// The options a variable set: messages about their values name it.
    pub origins: Origins,
    pub api_url: Url,
    pub token_url: Url,
    /// `None` when no cache directory could be determined: nothing is cached.
    pub cache_dir: Option<PathBuf>,
    pub outbox_dir: Option<PathBuf>,
    pub dry_run: bool,
    pub output: Output,
    pub fail_on: FailOn,
    pub timeout: Duration,
    pub request_timeout: Duration,
    pub retry_delay: Duration,
    pub ca_file: Option<PathBuf>,
    /// The proxy variables set (reqwest honours them itself), each with its proxy's
    /// host: a message about a proxy that does not resolve names the variable.
    pub proxies: Vec<(&'static str, String)>,
    pub no_flush: bool,
    pub repo: Option<PathBuf>,
    /// `.jira-send.toml`, where the repository has one.
    pub project: ProjectFile,
    cloud_id: Option<String>,
    client_id: Option<String>,
    client_secret_file: Option<PathBuf>,
}

impl Settings {
    pub fn resolve(args: &Options, env: &Env) -> Result<Self> {
        let site_setting = args.origins.of("--site").to_owned();
        let mut sites: Vec<Site> = Vec::new();
        for text in args.sites.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let site = parse_site(&site_setting, text)?;
            // `acme` and `acme.atlassian.net`, or `http://h:1` and `http://h:1/`, are one
            // site: it gets the report once.
            if sites.iter().any(|known| known.url == site.url) {
                tracing::info!("{site_setting} {text} is {} again; it is sent to once", site.name);
            } else {
                sites.push(site);
            }
        }
        check_cloud_ids(args, env)?;
        if args.cloud_id.is_some() && sites.len() > 1 {
            return Err(Error::usage(
                "--cloud-id names one site's cloud; with several sites, set JIRA_CLOUD_ID_<HOST> \
                 per site or let jira-send look them up",
            ));
        }
        let project = ProjectFile::find(args.repo.as_deref())?.map(|(path, file)| {
            tracing::debug!("read the project file {}", path.display());
            file
        });
        let project = project.unwrap_or_default();
        let cache_dir = args.cache_dir.clone().or_else(|| env.default_cache_dir());
        let outbox_dir = args
            .outbox_dir
            .clone()
            .or_else(|| cache_dir.as_ref().map(|d| d.join("outbox")));
        Ok(Self {
            sites,
            site_setting,
            api_url: parse_endpoint(args.origins.of("--api-url"), &args.api_url)?,
            token_url: parse_endpoint(args.origins.of("--token-url"), &args.token_url)?,
            cache_dir,
            outbox_dir,
            dry_run: args.dry_run,
            output: args.output,
            fail_on: args.fail_on.or(project.fail_on).unwrap_or(FailOn::Rejected),
            timeout: args.timeout,
            request_timeout: args.request_timeout,
            retry_delay: args.retry_delay,
            ca_file: args.ca_file.clone(),
            proxies: proxies(env),
            no_flush: args.no_flush,
            repo: args.repo.clone(),
            project,
            cloud_id: args.cloud_id.clone(),
            client_id: args.client_id.clone(),
            client_secret_file: args.client_secret_file.clone(),
            origins: args.origins.clone(),
        })
    }

    /// The cloud id of `site` (or, with no site configured, of the one site meant) when
    /// it is known without a network call: `--cloud-id`, `JIRA_CLOUD_ID_<HOST>`, or
    /// (single site) `JIRA_CLOUD_ID`.
    pub fn configured_cloud_id(&self, site: Option<&Site>, env: &Env) -> Option<String> {
        self.cloud_id_and_setting(site, env).map(|(id, _)| id)
    }

    /// The flag or variable [`Self::configured_cloud_id`] comes from.
    pub fn cloud_id_setting(&self, site: Option<&Site>, env: &Env) -> Option<String> {
        self.cloud_id_and_setting(site, env).map(|(_, setting)| setting)
    }

    fn cloud_id_and_setting(&self, site: Option<&Site>, env: &Env) -> Option<(String, String)> {
        let per_site_name = site.map(|s| format!("{}_{}", vars::JIRA_CLOUD_ID, s.suffix));
        let per_site = per_site_name
            .as_ref()
            .and_then(|name| Some((env.get(name)?, name.clone())));
        self.cloud_id
            .as_deref()
            .map(|id| (id, "--cloud-id".to_owned()))
            .or(per_site)
            .or_else(|| {
                (self.sites.len() <= 1)
                    .then(|| Some((env.get(vars::JIRA_CLOUD_ID)?, vars::JIRA_CLOUD_ID.to_owned())))
                    .flatten()
            })
            .map(|(id, setting)| (id.trim().to_owned(), setting))
            // Checked in `resolve`; never put anything else into a URL.
            .filter(|(id, _)| crate::api::is_cloud_id(id))
    }
}

/// The proxy variables reqwest reads that are set, each with its proxy's host.
fn proxies(env: &Env) -> Vec<(&'static str, String)> {
    const VARIABLES: [&str; 6] = [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ];
    VARIABLES
        .into_iter()
        .filter_map(|variable| {
            let value = env.get(variable)?.trim();
            // `proxy:3128` is `http://proxy:3128` to reqwest.
            let url = Url::parse(value)
                .ok()
                .filter(|u| u.has_host())
                .or_else(|| Url::parse(&format!("http://{value}")).ok())?;
            Some((variable, url.host_str()?.to_owned()))
        })
        .collect()
}

/// Every cloud id given (`--cloud-id`, `JIRA_CLOUD_ID`, `JIRA_CLOUD_ID_<HOST>`) must be
/// one: it goes into the path of requests that carry the bearer token.
fn check_cloud_ids(args: &Options, env: &Env) -> Result<()> {
    let given = args
        .cloud_id
        .iter()
        .map(|id| ("--cloud-id".to_owned(), id.clone()))
        .chain(env.iter().filter(|(name, _)| {
            name == vars::JIRA_CLOUD_ID || name.starts_with(&format!("{}_", vars::JIRA_CLOUD_ID))
        }));
    for (setting, id) in given {
        if !crate::api::is_cloud_id(id.trim()) {
            return Err(Error::usage(format!(
                "{setting} {id:?} is not a cloud id: Atlassian's are UUIDs \
                 (11111111-2222-3333-4444-555555555555); leave it out and jira-send looks it up"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings for `sites`, from defaults alone.
    pub(super) fn settings(sites: &[&str]) -> Settings {
        let args = Options {
            sites: sites.iter().map(|s| s.to_string()).collect(),
            cloud_id: None,
            client_id: None,
            client_secret_file: None,
            api_url: "https://api.atlassian.com".into(),
            token_url: "https://api.atlassian.com/oauth/token".into(),
            cache_dir: Some("/tmp/none".into()),
            repo: Some(std::env::temp_dir()),
            outbox_dir: None,
            dry_run: false,
            output: Output::Text,
            fail_on: None,
            timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            retry_delay: Duration::from_millis(1),
            ca_file: None,
            no_flush: false,
            origins: Origins::default(),
        };
        Settings::resolve(&args, &Env::default()).unwrap()
    }

    #[test]
    fn the_shared_cloud_id_applies_to_a_single_site_only() {
        const C1: &str = "11111111-2222-3333-4444-555555555555";
        const C2: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
        let env: Env = [("JIRA_CLOUD_ID", C1), ("JIRA_CLOUD_ID_OTHER_ATLASSIAN_NET", C2)]
            .into_iter()
            .collect();
        let one = settings(&["acme"]);
        assert_eq!(
            one.configured_cloud_id(Some(&one.sites[0]), &env).as_deref(),
            Some(C1)
        );
        assert_eq!(
            one.cloud_id_setting(Some(&one.sites[0]), &env).as_deref(),
            Some("JIRA_CLOUD_ID")
        );
        let two = settings(&["acme", "other.atlassian.net"]);
        assert_eq!(two.configured_cloud_id(Some(&two.sites[0]), &env), None);
        assert_eq!(
            two.configured_cloud_id(Some(&two.sites[1]), &env).as_deref(),
            Some(C2)
        );
    }
}
