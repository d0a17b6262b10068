//! Settings resolved from the command line, the environment and the project file
//! (`project`), validated before anything touches the network.

pub mod project;

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;

use serde::{Deserialize, Serialize};

use crate::cli::GlobalArgs;
use crate::env::{Env, host_suffix, vars};
use crate::error::{Error, Result};

pub use project::ProjectFile;

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

/// A Jira Cloud site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// `https://acme.atlassian.net`
    pub url: Url,
    /// `acme.atlassian.net` (with `:port` when not the default), as reports name it.
    pub name: String,
    /// The `<HOST>` suffix of per-site variables: `ACME_ATLASSIAN_NET`.
    pub suffix: String,
}

/// The OAuth 2.0 client credentials for one site.
#[derive(Debug)]
pub struct Credentials {
    pub client_id: String,
    pub secret: SecretString,
}

/// Global settings.
#[derive(Debug)]
pub struct Settings {
    pub sites: Vec<Site>,
    /// Where the sites came from, for messages that say what to check: `--site` or
    /// `JIRA_SITE`.
    pub site_setting: &'static str,
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
    pub no_flush: bool,
    pub repo: Option<PathBuf>,
    /// `.jira-send.toml`, where the repository has one.
    pub project: ProjectFile,
    cloud_id: Option<String>,
    client_id: Option<String>,
    client_secret_file: Option<PathBuf>,
}

impl Settings {
    pub fn resolve(args: &GlobalArgs, env: &Env) -> Result<Self> {
        let mut sites: Vec<Site> = Vec::new();
        for text in args.sites.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let site = parse_site(text)?;
            // `acme` and `acme.atlassian.net`, or `http://h:1` and `http://h:1/`, are one
            // site: it gets the report once.
            if sites.iter().any(|known| known.url == site.url) {
                tracing::info!("--site {text} is {} again; it is sent to once", site.name);
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
        // The flag wins over the variable; when the variable holds these very sites,
        // it is what the user set (or both say the same).
        let from_variable = env.get(vars::JIRA_SITE).is_some_and(|v| {
            let listed = |s: &str| !s.trim().is_empty();
            v.split(',').filter(|s| listed(s)).map(str::trim).eq(args
                .sites
                .iter()
                .filter(|s| listed(s))
                .map(|s| s.trim()))
        });
        Ok(Self {
            sites,
            site_setting: if from_variable { vars::JIRA_SITE } else { "--site" },
            api_url: parse_endpoint("--api-url", &args.api_url)?,
            token_url: parse_endpoint("--token-url", &args.token_url)?,
            cache_dir,
            outbox_dir,
            dry_run: args.dry_run,
            output: args.output,
            fail_on: args.fail_on.or(project.fail_on).unwrap_or(FailOn::Rejected),
            timeout: args.timeout,
            request_timeout: args.request_timeout,
            retry_delay: args.retry_delay,
            ca_file: args.ca_file.clone(),
            no_flush: args.no_flush,
            repo: args.repo.clone(),
            project,
            cloud_id: args.cloud_id.clone(),
            client_id: args.client_id.clone(),
            client_secret_file: args.client_secret_file.clone(),
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

    /// The credentials for `site`. The flag wins, then the site's own variables
    /// (`JIRA_CLIENT_ID_<HOST>`, …), then the shared ones.
    pub fn credentials(&self, site: &Site, env: &Env) -> Result<Credentials> {
        let per_site = |name: &str| format!("{name}_{}", site.suffix);
        let client_id = self
            .client_id
            .clone()
            .or_else(|| env.get(&per_site(vars::JIRA_CLIENT_ID)).map(str::to_owned))
            .or_else(|| env.get(vars::JIRA_CLIENT_ID).map(str::to_owned))
            .map(|id| id.trim().to_owned())
            .ok_or_else(|| {
                Error::usage(format!(
                    "no OAuth client id for {}: set {} (or {}, or pass --client-id)",
                    site.name,
                    vars::JIRA_CLIENT_ID,
                    per_site(vars::JIRA_CLIENT_ID)
                ))
            })?;

        // The error names where the path came from: the flag or which variable.
        let secret = match self.secret_source(site, env)? {
            Secret::Value(secret) => secret.to_owned(),
            Secret::File { path, origin } => {
                let text = crate::store::read_to_string(&path, crate::store::limit::SECRET)
                    .map_err(|e| Error::usage(format!("cannot read {} ({origin}): {e}", path.display())))?;
                text.trim().to_owned()
            }
        };
        if secret.trim().is_empty() {
            return Err(Error::usage(format!(
                "the OAuth client secret for {} is empty",
                site.name
            )));
        }
        crate::mask::register(&secret);
        Ok(Credentials {
            client_id,
            secret: SecretString::from(secret),
        })
    }
}

/// Where a site's client secret comes from.
enum Secret<'a> {
    Value(&'a str),
    /// A file, and the flag or variable that named it.
    File {
        path: PathBuf,
        origin: String,
    },
}

impl Settings {
    /// The one place `site`'s secret is set: `--client-secret-file`, then the site's own
    /// variables, then the shared ones. A secret given both as a value and as a file at
    /// the same level is ambiguous (which one is stale?), so it is an error that names
    /// both, rather than one silently winning.
    fn secret_source<'e>(&self, site: &Site, env: &'e Env) -> Result<Secret<'e>> {
        let per_site = |name: &str| format!("{name}_{}", site.suffix);
        let both = |value: &str, file: &str| {
            Error::usage(format!(
                "both {value} and {file} are set for {}: set only one of them",
                site.name
            ))
        };
        let site_value = env.get(&per_site(vars::JIRA_CLIENT_SECRET));
        let site_file = env.get(&per_site(vars::JIRA_CLIENT_SECRET_FILE));
        let shared_value = env.get(vars::JIRA_CLIENT_SECRET);
        let shared_file = env.get(vars::JIRA_CLIENT_SECRET_FILE);
        if site_value.is_some() && site_file.is_some() {
            return Err(both(
                &per_site(vars::JIRA_CLIENT_SECRET),
                &per_site(vars::JIRA_CLIENT_SECRET_FILE),
            ));
        }
        if shared_value.is_some() && shared_file.is_some() {
            return Err(both(vars::JIRA_CLIENT_SECRET, vars::JIRA_CLIENT_SECRET_FILE));
        }
        if let Some(path) = &self.client_secret_file {
            if let Some(value) = [
                vars::JIRA_CLIENT_SECRET.to_owned(),
                per_site(vars::JIRA_CLIENT_SECRET),
            ]
            .into_iter()
            .find(|name| env.get(name).is_some())
            {
                return Err(both(&value, "--client-secret-file"));
            }
            return Ok(Secret::File {
                path: path.clone(),
                origin: "--client-secret-file".to_owned(),
            });
        }
        let file = |origin: String, path: &str| Secret::File {
            path: path.into(),
            origin,
        };
        Ok(match (site_value, site_file, shared_value, shared_file) {
            (Some(value), ..) => Secret::Value(value),
            (None, Some(path), ..) => file(per_site(vars::JIRA_CLIENT_SECRET_FILE), path),
            (None, None, Some(value), _) => Secret::Value(value),
            (None, None, None, Some(path)) => file(vars::JIRA_CLIENT_SECRET_FILE.to_owned(), path),
            (None, None, None, None) => {
                return Err(Error::usage(format!(
                    "no OAuth client secret for {}: set {} or {} (or {})",
                    site.name,
                    vars::JIRA_CLIENT_SECRET,
                    vars::JIRA_CLIENT_SECRET_FILE,
                    per_site(vars::JIRA_CLIENT_SECRET)
                )));
            }
        })
    }
}

/// Every cloud id given (`--cloud-id`, `JIRA_CLOUD_ID`, `JIRA_CLOUD_ID_<HOST>`) must be
/// one: it goes into the path of requests that carry the bearer token.
fn check_cloud_ids(args: &GlobalArgs, env: &Env) -> Result<()> {
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

/// `acme`, `acme.atlassian.net` or `https://acme.atlassian.net[/]`.
pub fn parse_site(text: &str) -> Result<Site> {
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else if text.contains('.') || text.contains(':') || text == "localhost" {
        format!("https://{text}")
    } else {
        format!("https://{text}.atlassian.net")
    };
    let url = parse_endpoint("--site", &with_scheme)?;
    if !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err(Error::usage(format!(
            "--site {text}: give the site alone (https://acme.atlassian.net), without a path"
        )));
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let name = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    Ok(Site {
        suffix: host_suffix(&host),
        name,
        url,
    })
}

/// An HTTPS URL, or plain HTTP to a loopback host (the in-process fakes of tests).
fn parse_endpoint(option: &str, text: &str) -> Result<Url> {
    let url =
        Url::parse(text.trim()).map_err(|e| Error::usage(format!("{option} {text}: not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::usage(format!(
            "{option}: credentials do not belong in the URL"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::usage(format!(
            "{option} {text}: plain http is accepted only for loopback hosts; use https"
        ))),
        other => Err(Error::usage(format!(
            "{option} {text}: unsupported scheme {other}"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn sites_accept_names_hosts_and_urls() {
        for text in [
            "acme",
            "acme.atlassian.net",
            "https://acme.atlassian.net",
            "https://acme.atlassian.net/",
        ] {
            let site = parse_site(text).unwrap();
            assert_eq!(site.name, "acme.atlassian.net", "{text}");
            assert_eq!(site.url.as_str(), "https://acme.atlassian.net/");
            assert_eq!(site.suffix, "ACME_ATLASSIAN_NET");
        }
        let local = parse_site("http://127.0.0.1:8080").unwrap();
        assert_eq!(local.name, "127.0.0.1:8080");
        assert_eq!(local.suffix, "127_0_0_1");
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(parse_site("http://acme.atlassian.net").is_err());
        assert!(parse_site("http://localhost:1").is_ok());
        assert!(parse_site("http://[::1]:1").is_ok());
        assert!(parse_site("https://acme.atlassian.net/jira").is_err());
        assert!(parse_site("ftp://acme.atlassian.net").is_err());
        assert!(parse_endpoint("--api-url", "https://user:pw@api.example.com").is_err());
    }

    fn settings(sites: &[&str]) -> Settings {
        let args = GlobalArgs {
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
            verbose: 0,
            quiet: false,
        };
        Settings::resolve(&args, &Env::default()).unwrap()
    }

    #[test]
    fn per_site_credentials_win_over_shared_ones() {
        let s = settings(&["acme", "other.atlassian.net"]);
        let env: Env = [
            ("JIRA_CLIENT_ID", "shared-id"),
            ("JIRA_CLIENT_SECRET", "shared-secret"),
            ("JIRA_CLIENT_ID_ACME_ATLASSIAN_NET", "acme-id"),
            ("JIRA_CLIENT_SECRET_ACME_ATLASSIAN_NET", "acme-secret"),
        ]
        .into_iter()
        .collect();
        let acme = s.credentials(&s.sites[0], &env).unwrap();
        assert_eq!(
            (acme.client_id.as_str(), acme.secret.expose_secret()),
            ("acme-id", "acme-secret")
        );
        let other = s.credentials(&s.sites[1], &env).unwrap();
        assert_eq!(other.client_id, "shared-id");
        assert_eq!(other.secret.expose_secret(), "shared-secret");
    }

    #[test]
    fn missing_credentials_say_what_to_set() {
        let s = settings(&["acme"]);
        let err = s.credentials(&s.sites[0], &Env::default()).unwrap_err();
        assert!(
            err.to_string().contains("JIRA_CLIENT_ID_ACME_ATLASSIAN_NET"),
            "{err}"
        );
        let env: Env = [("JIRA_CLIENT_ID", "id")].into_iter().collect();
        let err = s.credentials(&s.sites[0], &env).unwrap_err();
        assert!(err.to_string().contains("JIRA_CLIENT_SECRET"), "{err}");
    }

    #[test]
    fn secrets_can_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-file\n").unwrap();
        let s = settings(&["acme"]);
        let env: Env = [
            ("JIRA_CLIENT_ID", "id"),
            ("JIRA_CLIENT_SECRET_FILE", file.to_str().unwrap()),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            s.credentials(&s.sites[0], &env).unwrap().secret.expose_secret(),
            "from-file"
        );
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
