//! A site's OAuth 2.0 client credentials: the id and the secret, each from the one
//! place set for it (flag, per-site variable, shared variable, or a file).

use std::path::PathBuf;

use secrecy::SecretString;

use super::{Settings, Site};
use crate::env::{Env, vars};
use crate::error::{Error, Result};

/// The OAuth 2.0 client credentials for one site.
#[derive(Debug)]
pub struct Credentials {
    pub client_id: String,
    pub secret: SecretString,
}

impl Settings {
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
        let (stored, origin) = match self.secret_source(site, env)? {
            Secret::Value { value, origin } => (value.to_owned(), origin),
            Secret::File { path, origin } => (
                crate::fs::read_to_string(&path, crate::fs::limit::SECRET)
                    .map_err(|e| Error::usage(format!("cannot read {} ({origin}): {e}", path.display())))?,
                origin,
            ),
        };
        // Atlassian's secrets hold no blanks: what surrounds one is the line end a file,
        // or a pasted CI secret kept, dropped alike wherever it came from.
        let secret = stored.trim().to_owned();
        if secret.is_empty() {
            return Err(Error::usage(format!(
                "the OAuth client secret for {} is empty",
                site.name
            )));
        }
        // Too short to be masked in what is printed, and to be a client secret at all.
        let length = secret.chars().count();
        if length < crate::mask::MIN_LEN {
            return Err(Error::usage(format!(
                "the OAuth client secret for {} ({origin}) is only {} long: an OAuth client \
                 secret is much longer (Atlassian's are 64), and one this short could not be \
                 masked in what jira-send prints",
                site.name,
                crate::plural::count(length, "character", "characters"),
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
    /// A value, and the variable that holds it.
    Value { value: &'a str, origin: String },
    /// A file, and the flag or variable that named it.
    File { path: PathBuf, origin: String },
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
            (Some(value), ..) => Secret::Value {
                value,
                origin: per_site(vars::JIRA_CLIENT_SECRET),
            },
            (None, Some(path), ..) => file(per_site(vars::JIRA_CLIENT_SECRET_FILE), path),
            (None, None, Some(value), _) => Secret::Value {
                value,
                origin: vars::JIRA_CLIENT_SECRET.to_owned(),
            },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::settings;
    use secrecy::ExposeSecret;

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
    fn a_secret_too_short_to_be_masked_is_refused() {
        let s = settings(&["acme"]);
        let env: Env = [("JIRA_CLIENT_ID", "id"), ("JIRA_CLIENT_SECRET", "ab1c9")]
            .into_iter()
            .collect();
        let err = s.credentials(&s.sites[0], &env).unwrap_err().to_string();
        assert!(
            err.contains("(JIRA_CLIENT_SECRET) is only 5 characters long"),
            "{err}"
        );
        assert!(!err.contains("ab1c9"), "{err}");
        let env: Env = [("JIRA_CLIENT_ID", "id"), ("JIRA_CLIENT_SECRET", "abc123")]
            .into_iter()
            .collect();
        assert!(s.credentials(&s.sites[0], &env).is_ok());
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
}
