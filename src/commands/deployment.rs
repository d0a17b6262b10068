//! `jira-send deployment`: one deployment to one environment, sent to every site.

use tracing::warn;

use super::{nothing_to_send, required, validate_and_send};
use crate::api::Api;
use crate::cli::{DeploymentArgs, DeploymentKeyArgs};
use crate::clock::Clock;
use crate::context::RunContext;
use crate::env::{Env, vars};
use crate::error::{Exit, Result};
use crate::keys::collect;
use crate::payload::deployment::{DeploymentInput, deployment, environment_id};
use crate::payload::{DeploymentState, Envelope, update_sequence};
use crate::report::Report;
use crate::settings::Settings;

/// What identifies a deployment: `deployment` sends it, `gate` asks about it, so both
/// resolve it here, the same way.
#[derive(Clone, Debug)]
pub(super) struct DeploymentKey {
    pub pipeline_id: String,
    pub environment_id: String,
    pub environment_name: String,
    pub number: u64,
}

impl DeploymentKey {
    pub fn resolve(args: &DeploymentKeyArgs, ctx: &RunContext) -> Result<Self> {
        let ci_environment = ctx.ci.as_ref().and_then(|ci| ci.environment.clone());
        let environment_name = required(
            args.environment
                .clone()
                .or_else(|| ci_environment.as_ref().map(|e| e.name.clone())),
            || {
                "--environment is required (e.g. --environment \"Production EU\"), unless the CI names one"
                    .into()
            },
        )?;
        Ok(Self {
            pipeline_id: ctx.pipeline_id(args.pipeline_id.as_deref())?,
            environment_id: args
                .environment_id
                .clone()
                .unwrap_or_else(|| environment_id(&environment_name)),
            number: ctx.number(
                args.deployment_number,
                "--deployment-number",
                vars::JIRA_SEND_DEPLOYMENT_NUMBER,
            )?,
            environment_name,
        })
    }
}

pub fn run(args: &DeploymentArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let ctx = RunContext::gather(settings, env)?;
    // The key is resolved before the keys are read: a deployment step without an
    // environment is misconfigured whether or not this run has issue keys.
    let key = DeploymentKey::resolve(&args.key, &ctx)?;
    let found = collect(&args.keys.options(), &ctx)?;
    if found.keys.is_empty() && args.services.is_empty() {
        return nothing_to_send("deployment", settings, env, &found.keys, found.nothing_found());
    }

    let pipeline_name = ctx.pipeline_name(args.pipeline_name.as_deref(), &key.pipeline_id);
    let url = ctx.run_url(args.url.as_deref(), "--url")?;
    let pipeline_url = ctx.pipeline_url(args.pipeline_url.as_deref(), &url)?;
    let state = args
        .state
        .or_else(|| ctx.ci.as_ref()?.state.map(DeploymentState::from))
        .unwrap_or(DeploymentState::Successful);
    if args.gate && state != DeploymentState::Pending {
        warn!(
            "--gate asks Jira to hold the deployment, which is normally sent as pending; this one \
             is sent as {state:?}"
        );
    }
    let what = match (found.branch.as_deref(), ctx.short_commit()) {
        (Some(branch), Some(commit)) => format!("{branch}@{commit}"),
        (None, Some(commit)) => commit,
        (branch, None) => branch.unwrap_or("deployment").to_owned(),
    };
    let environment = &key.environment_name;
    let number = key.number;
    let now = clock.now();
    let input = DeploymentInput {
        deployment_sequence_number: number,
        update_sequence_number: args
            .update_sequence_number
            .unwrap_or_else(|| update_sequence(now)),
        display_name: args
            .display_name
            .clone()
            .unwrap_or_else(|| format!("{pipeline_name} #{number} to {environment}")),
        description: args
            .description
            .clone()
            .unwrap_or_else(|| format!("{what} to {environment}")),
        label: args.label.clone(),
        url,
        state,
        last_updated: now,
        pipeline_id: key.pipeline_id.clone(),
        pipeline_name,
        pipeline_url,
        environment_type: ctx.environment_type(args.environment_type, &key.environment_name),
        environment_id: key.environment_id.clone(),
        environment_name: key.environment_name.clone(),
        issue_keys: found.keys.keys().to_vec(),
        services: args.services.clone(),
        gate: args.gate,
        duration_seconds: args.duration,
    };
    let envelope = Envelope::new(ctx.system(), ctx.repository().as_deref(), Some(&key.pipeline_id));
    let bodies = envelope.bodies(Api::Deployments, &[deployment(&input)]);
    let report = Report::new("deployment", settings.dry_run, &found.keys);
    validate_and_send(report, settings, env, clock, Api::Deployments, bodies)
}
