//! `jira-send keys`: the issue keys a run would send, and where each came from. Every
//! key found is printed: the per-API caps apply to payloads, not here.

use std::io::Write as _;

use serde_json::json;

use crate::cli::{KeysArgs, Output};
use crate::collect::collect;
use crate::context::RunContext;
use crate::env::Env;
use crate::error::{Exit, Result};
use crate::settings::Settings;

pub fn run(args: &KeysArgs, settings: &Settings, env: &Env) -> Result<Exit> {
    let ctx = RunContext::gather(settings, env)?;
    let found = collect(&args.keys, &ctx)?;
    let text = match settings.output {
        Output::Json => {
            let json = json!({
                "issueKeys": found.keys.keys(),
                "keySources": found.keys.sources(),
                "range": found.range,
            });
            format!("{}\n", serde_json::to_string_pretty(&json).expect("serializes"))
        }
        Output::Text => {
            let width = found.keys.keys().iter().map(String::len).max().unwrap_or(0);
            let mut text = String::new();
            for (key, sources) in found.keys.iter() {
                let sources: Vec<String> = sources.iter().map(ToString::to_string).collect();
                text.push_str(&format!("{key:width$}  {}\n", sources.join(", ")));
            }
            if found.keys.is_empty() {
                tracing::warn!("{}", found.nothing_found());
            }
            text
        }
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(Exit::Success)
}
