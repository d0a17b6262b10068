//! `jira-send env`: what jira-send detected and resolved, to debug a pipeline's
//! configuration. Secrets are masked: the client id shows its last 4 characters, the
//! secret only whether it is set.
//!
//! `derived` shows, in CI and out of it, what a run here would use (repository,
//! branch, commit, range start, pipeline id, run and pipeline pages) and where each
//! came from; a repository jira-send cannot read is reported there, not as a failure.

use std::io::Write as _;

use serde_json::{Value, json};

use crate::cloud_id;
use crate::context::RunContext;
use crate::env::Env;
use crate::error::{Exit, Result};
use crate::settings::{Output, Settings};

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
    let dir = |d: &Option<std::path::PathBuf>| d.as_ref().map(|p| p.display().to_string());
    let json = json!({
        "ci": ci,
        "derived": derived,
        "sites": sites,
        "apiUrl": settings.api_url.as_str(),
        "tokenUrl": settings.token_url.as_str(),
        "cacheDir": dir(&settings.cache_dir),
        "outboxDir": dir(&settings.outbox_dir),
        "dryRun": settings.dry_run,
        "failOn": settings.fail_on,
        "timeout": humantime::format_duration(settings.timeout).to_string(),
        "repo": dir(&settings.repo),
    });
    let text = match settings.output {
        Output::Json => format!("{}\n", serde_json::to_string_pretty(&json).expect("serializes")),
        Output::Text => text(&json),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(Exit::Success)
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

/// A derived value on one line: `main (from GITHUB_HEAD_REF)`.
fn derived_line(value: &Value) -> Option<String> {
    let fields = value.as_object()?;
    if fields.len() != 2 {
        return None;
    }
    let from = fields.get("from")?.as_str()?;
    let value = match fields.get("value")? {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(format!("{value}  (from {from})"))
}

/// The JSON as indented `key: value` lines.
fn text(json: &Value) -> String {
    fn walk(value: &Value, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent);
        match value {
            Value::Object(fields) => {
                for (key, value) in fields {
                    if let Some(line) = derived_line(value) {
                        out.push_str(&format!("{pad}{key}: {line}\n"));
                        continue;
                    }
                    match value {
                        Value::Object(_) | Value::Array(_) => {
                            out.push_str(&format!("{pad}{key}:\n"));
                            walk(value, indent + 1, out);
                        }
                        Value::Null => out.push_str(&format!("{pad}{key}: -\n")),
                        Value::String(s) => out.push_str(&format!("{pad}{key}: {s}\n")),
                        other => out.push_str(&format!("{pad}{key}: {other}\n")),
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    out.push_str(&format!("{pad}-\n"));
                    walk(item, indent + 1, out);
                }
            }
            other => out.push_str(&format!("{pad}{other}\n")),
        }
    }
    let mut out = String::new();
    walk(json, 0, &mut out);
    out
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
