//! `jira-send flag`: a feature flag's state in one environment.

use super::{nothing_to_send, required, validate_and_send};
use crate::api::Api;
use crate::cli::FlagArgs;
use crate::clock::Clock;
use crate::context::RunContext;
use crate::env::Env;
use crate::error::{Exit, Result};
use crate::keys::collect;
use crate::payload::flag::{FlagInput, Rollout, flag};
use crate::payload::{Envelope, update_sequence};
use crate::report::Report;
use crate::settings::Settings;

pub fn run(args: &FlagArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let ctx = RunContext::gather(settings, env)?;
    let ci_environment = ctx.ci.as_ref().and_then(|ci| ci.environment.clone());
    let environment_name = required(
        args.environment
            .clone()
            .or_else(|| ci_environment.as_ref().map(|e| e.name.clone())),
        || "--environment is required: the flag's state is reported per environment".into(),
    )?;
    let found = collect(&args.keys.options(), &ctx, None)?;
    if found.keys.is_empty() {
        let report = Report::new("flag", settings.dry_run, &found.keys);
        return nothing_to_send(report, settings, env, found.nothing_found());
    }
    let environment_type = ctx.environment_type(args.environment_type, &environment_name);
    let now = clock.now();
    let input = FlagInput {
        id: args.id.clone(),
        key: args.key.clone().unwrap_or_else(|| args.id.clone()),
        display_name: args.display_name.clone(),
        update_sequence_id: args.update_sequence_id.unwrap_or_else(|| update_sequence(now)),
        issue_keys: found.keys.keys().to_vec(),
        enabled: args.enabled,
        default_value: args.default_value.clone(),
        rollout: match (&args.rollout_percentage, &args.rollout_text) {
            (Some(p), _) => Some(Rollout::Percentage(*p)),
            (None, Some(t)) => Some(Rollout::Text(t.clone())),
            (None, None) => None,
        },
        url: ctx.run_url(args.url.as_deref(), "--url")?,
        environment_name,
        environment_type,
        last_updated: now,
    };
    let envelope = Envelope::new(ctx.system(), ctx.repository().as_deref(), None);
    let bodies = envelope.bodies(Api::FeatureFlags, &[flag(&input)]);
    let report = Report::new("flag", settings.dry_run, &found.keys);
    validate_and_send(report, settings, env, clock, Api::FeatureFlags, bodies)
}
