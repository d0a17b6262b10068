//! `jira-send env`: what jira-send detected and resolved, to debug a pipeline's
//! configuration. Secrets are masked: the client id shows its last 4 characters, the
//! secret only whether it is set.
//!
//! `derived` shows, in CI and out of it, what a run here would use (repository,
//! branch, commit, range start, pipeline id, run and pipeline pages) and where each
//! came from; a repository jira-send cannot read is reported there, not as a failure.

use serde_json::{Value, json};

use crate::cloud_id;
use crate::context::RunContext;
use crate::env::Env;
use crate::error::{Exit, Result};
use crate::report::env::Shown;
use crate::settings::Settings;

pub fn run(settings: &Settings, env: &Env) -> Result<Exit> {
    let (ci, derived) = match RunContext::gather(settings, env) {
        Ok(ctx) => {
            let derived = serde_json::to_value(ctx.derivation()).unwrap_or_default();
            (ctx.ci, derived)
        }
        Err(e) => (crate::ci::detect(env), json!({"error": e.to_string()})),
    };
    let sites: Vec<Value> = settings
        .sites
        .iter()
        .map(|site| {
            let (cloud_id, cloud_id_from) = match settings.configured_cloud_id(Some(site), env) {
                Some(id) => (Some(id), "configured"),
                None => match cloud_id::cached(settings.cache_dir.as_deref(), site) {
                    Some(id) => (Some(id), "cache"),
                    None => (None, "looked up when sending"),
                },
            };
            let credentials = match settings.credentials(site, env) {
                Ok(c) => json!({"clientId": mask(&c.client_id), "clientSecret": "set"}),
                Err(e) => json!({"error": e.to_string()}),
            };
            json!({
                "site": site.name,
                "url": site.url.as_str(),
                "cloudId": cloud_id,
                "cloudIdFrom": cloud_id_from,
                "credentials": credentials,
            })
        })
        .collect();
    let shown = Shown {
        settings,
        ci,
        derived,
        sites,
    };
    Ok(shown.print())
}

/// `****abcd`: enough to tell two credentials apart, not enough to use one.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    if chars.len() <= 8 {
        "****".to_owned()
    } else {
        format!("****{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_show_at_most_the_last_four() {
        assert_eq!(mask("a1b2c3d4e5f6g7h8"), "****g7h8");
        assert_eq!(mask("short"), "****");
        assert_eq!(mask(""), "****");
    }
}
