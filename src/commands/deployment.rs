//! `jira-send deployment`: one deployment to one environment, sent to every site.

use tracing::{info, warn};

use super::{finish, nothing_to_send, required, validated_and_sent};
use crate::api::Api;
use crate::cli::{DeploymentArgs, DeploymentKeyArgs};
use crate::clock::Clock;
use crate::context::RunContext;
use crate::deployed::GitCli;
use crate::deployed::marker::{self, Recorded};
use crate::env::{Env, vars};
use crate::error::{Exit, Result};
use crate::keys::{Deployment, collect};
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
    // The range starts at the environment's last successful deployment.
    let lookup = Deployment {
        mode: args.range.since_deployment.unwrap_or_default(),
        environment: &key.environment_name,
        environment_id: &key.environment_id,
        github_environment: args.range.github_environment.as_deref(),
        record_deployment: args.record_deployment,
        settings,
        env,
    };
    let found = collect(&args.keys.options(), &ctx, Some(&lookup))?;
    let mut report = Report::new("deployment", settings.dry_run, &found.keys);
    report.range = Some(found.range.clone());
    if found.keys.is_empty() && args.services.is_empty() {
        if args.record_deployment {
            info!("the deployment is not recorded in its tag: nothing was sent");
        }
        return nothing_to_send(report, settings, env, found.nothing_found());
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
    let mut report = validated_and_sent(report, settings, env, clock, Api::Deployments, bodies)?;
    if args.record_deployment {
        report.recorded = record(&report, state, &ctx, &key.environment_id, settings, env);
    }
    Ok(finish(report, settings, env))
}

/// `--record-deployment`: once Jira accepted the deployment as successful (some site
/// accepted it, none rejected it), moves the marker tag of `environment_id` to HEAD and
/// pushes it to origin, within what is left of `--timeout`. Returns the report's line
/// saying so; anything that keeps it from happening is a warning, never an exit code.
fn record(
    report: &Report<'_>,
    state: DeploymentState,
    ctx: &RunContext,
    environment_id: &str,
    settings: &Settings,
    env: &Env,
) -> Option<String> {
    let sites = &report.sites;
    let why_not = if settings.dry_run {
        Some("--dry-run sends nothing")
    } else if state != DeploymentState::Successful {
        Some("only a successful deployment is")
    } else if report.signal.is_some() {
        Some("the run was stopped")
    } else if sites.iter().any(|s| !s.rejected.is_empty()) {
        Some("Jira rejected it")
    } else if sites.iter().all(|s| s.accepted.is_empty()) {
        Some("no Jira site accepted it")
    } else {
        None
    };
    if let Some(why) = why_not {
        info!("the deployment is not recorded in its tag: {why}");
        return None;
    }
    let Ok((repo, head)) = ctx.history() else {
        warn!("the deployment is not recorded in its tag: there is no git repository with a HEAD here");
        return None;
    };
    let deadline = crate::clock::deadline(settings.timeout).into_std();
    let head = head.id.to_string();
    match marker::record(
        &GitCli::new(repo.root()).hiding(env.own_names()),
        environment_id,
        &head,
        deadline,
    ) {
        Recorded::Pushed { tag } => {
            let said = format!(
                "recorded in the tag {tag} ({}), pushed to origin",
                crate::deployed::short(&head)
            );
            info!("{said}");
            Some(said)
        }
        Recorded::NotPushed { warning, .. } => {
            warn!("{warning}");
            None
        }
    }
}
