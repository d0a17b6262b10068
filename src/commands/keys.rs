//! `jira-send keys`: the issue keys a run would send, and where each came from. Every
//! key found is printed: the per-API caps apply to payloads, not here.

use serde_json::{Value, json};

use crate::cli::KeysArgs;
use crate::context::RunContext;
use crate::env::Env;
use crate::error::{Exit, Result};
use crate::keys::{Deployment, KeySet, RangeRead, collect};
use crate::payload::deployment::environment_id;
use crate::settings::{Output, Settings};

pub fn run(args: &KeysArgs, settings: &Settings, env: &Env) -> Result<Exit> {
    let ctx = RunContext::gather(settings, env)?;
    // --environment previews the range a deployment to it reads.
    let environment = args.environment.as_deref().filter(|e| !e.trim().is_empty());
    let environment_id = environment.map(|name| {
        args.environment_id
            .clone()
            .unwrap_or_else(|| environment_id(name))
    });
    let lookup = environment
        .zip(environment_id.as_deref())
        .map(|(environment, environment_id)| Deployment {
            mode: args.range.since_deployment.unwrap_or_default(),
            environment,
            environment_id,
            github_environment: args.range.github_environment.as_deref(),
            record_deployment: false,
            settings,
            env,
        });
    let found = collect(&args.keys.options(), &ctx, lookup.as_ref())?;
    // A signal that cut the lookup short: the keys of the fallback range are shown,
    // and the run ends as signals do.
    let exit = crate::send::signal_received().map_or(Exit::Success, |signal| signal.exit());
    match settings.output {
        Output::Json => crate::report::print_json(&json(&found.keys, found.range.as_ref(), None, exit)),
        Output::Text => {
            let width = found.keys.keys().iter().map(String::len).max().unwrap_or(0);
            let mut text = String::new();
            if let Some(range) = found.range.as_ref().filter(|_| lookup.is_some()) {
                text.push_str(&range.describe());
                text.push('\n');
            }
            for (key, sources) in found.keys.iter() {
                let sources: Vec<String> = sources.iter().map(ToString::to_string).collect();
                text.push_str(&format!("{key:width$}  {}\n", sources.join(", ")));
            }
            if found.keys.is_empty() {
                tracing::warn!(
                    "{} (widen the range with --since or --since-tag)",
                    found.none_found()
                );
            }
            crate::report::print_text(&text);
        }
    }
    crate::report::github::publish_keys(env, &found.keys, exit);
    Ok(exit)
}

/// `keys --output json`: the contract's `issueKeys`, `keySources` and `range`, plus
/// `command`, `exitCode` and, when the run failed, `error` (then `range` is `null`).
pub(super) fn json(keys: &KeySet, range: Option<&RangeRead>, error: Option<&str>, exit: Exit) -> Value {
    let mut json = json!({
        "command": "keys",
        "issueKeys": keys.keys(),
        "keySources": keys.sources(),
        "range": range,
    });
    if let Some(error) = error {
        json["error"] = json!(error);
    }
    json["exitCode"] = json!(exit);
    json
}
