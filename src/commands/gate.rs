//! `jira-send gate`: whether Jira's change management lets a deployment proceed.
//!
//! It reads the gating status of the deployment `deployment` would send (same key
//! options, same defaults). Exit 0 for `allowed`, 5 for `prevented` or `expired`, 6
//! while `awaiting` (after `--wait-timeout` with `--wait`), 1 for `invalid` or a
//! deployment Jira has no status for. Gating is per site, so exactly one site is asked.
//! When the wait runs out, the gate is asked one last time before giving up, so a
//! decision made during the last interval is not missed. A 2xx without a gating
//! status is asked again, then is an unknown outcome (exit 4), never "invalid".
//! SIGTERM or SIGINT ends the run with the gate's report and 143 or 130.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tracing::info;

use super::deployment::DeploymentKey;
use super::finish;
use crate::answer::{self, Gating};
use crate::api::{Api, Call, checked_segment};
use crate::cli::{DeploymentKeyArgs, GateArgs};
use crate::clock::{self, Clock};
use crate::context::RunContext;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::http;
use crate::keys::KeySet;
use crate::report::Report;
use crate::report::gate::{Gate, GateStatus};
use crate::send::{self, Interrupt, Session};
use crate::settings::Settings;

/// Jira may not have recorded a gated deployment yet right after it was sent: a 404
/// this early in a wait means "ask again".
const NOT_RECORDED_GRACE: Duration = Duration::from_secs(60);

pub fn run(args: &GateArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let ctx = RunContext::gather(settings, env)?;
    let key = deployment_key(&args.deployment, &ctx)?;
    let subject = json!({
        "pipelineId": key.pipeline_id,
        "environmentId": key.environment_id,
        "deploymentSequenceNumber": key.number,
    });
    let call = Call {
        method: Method::GET,
        api: Api::Deployments,
        operation: format!(
            "pipelines/{}/environments/{}/deployments/{}/gating-status",
            checked_segment(&key.pipeline_id, "the pipeline id")?,
            checked_segment(&key.environment_id, "the environment id")?,
            key.number
        ),
        body: None,
        subject: Some(subject.clone()),
    };
    if settings.sites.len() > 1 {
        return Err(Error::usage("gate asks one site: pass a single --site"));
    }
    if settings.dry_run {
        let keys = KeySet::default();
        let mut report = Report::new("gate", true, &keys);
        report.planned(send::plan(settings, env, vec![call]));
        return Ok(finish(report, settings, env));
    }

    // From here on, a failure is reported with the deployment (and the site) it was about.
    let mut gate = Gate {
        deployment: subject,
        ..Gate::default()
    };
    Ok(match ask(args, settings, env, clock, &call, &mut gate) {
        Ok(status) => gate.print(settings.output, &status),
        Err(error) => gate.failed(settings.output, &error),
    })
}

/// Asks the one site for the gating status of `call`'s deployment (until it is decided,
/// with `--wait`); notes in `gate` the site and its cloud id as they become known.
fn ask(
    args: &GateArgs,
    settings: &Settings,
    env: &Env,
    clock: &dyn Clock,
    call: &Call,
    gate: &mut Gate,
) -> Result<GateStatus> {
    let sites = send::prepare(settings, env)?;
    let (site, credentials) = &sites[0];
    gate.site = Some(site.name.clone());
    let client = http::client(settings)?;
    let deadline = deadline(args, settings.timeout);
    let (status, cloud_id) = send::run_async(async {
        // A cancelled job's SIGTERM ends the wait, and the run reports it (one JSON
        // object under --output json) rather than dying with it.
        let interrupt = Interrupt::listen();
        let mut session = Session::new(&client, settings, env, clock, site, credentials, deadline);
        let polled = tokio::time::timeout_at(deadline, poll(&mut session, call, args));
        let status = match interrupt.unless(polled).await {
            Ok(Ok(status)) => status,
            Ok(Err(_)) => Err(Error::Timeout(waiting(args).saturating_add(settings.timeout))),
            Err(signal) => Err(Error::Signalled(signal)),
        };
        (status, session.known_cloud_id())
    })?;
    gate.cloud_id = cloud_id;
    status
}

/// The deployment asked about: the key `deployment` would send, resolved the same
/// way. The gating-status URL names the environment by its id alone, so
/// `--environment-id` is enough: the name, which only derives an id, is then not needed
/// (the id stands in for it, and gate shows only ids).
fn deployment_key(args: &DeploymentKeyArgs, ctx: &RunContext) -> Result<DeploymentKey> {
    let named_by_ci = ctx.ci.as_ref().is_some_and(|ci| ci.environment.is_some());
    match (&args.environment, &args.environment_id) {
        (None, Some(id)) => DeploymentKey::resolve(
            &DeploymentKeyArgs {
                environment: Some(id.clone()),
                ..args.clone()
            },
            ctx,
        ),
        (None, None) if !named_by_ci => Err(Error::usage(
            "gate needs the environment: --environment-id ID (as the deployment was sent), or \
             --environment NAME (the id is derived from it), unless the CI names one",
        )),
        _ => DeploymentKey::resolve(args, ctx),
    }
}

/// How long the gate may be waited for: `--wait-timeout` with `--wait`.
fn waiting(args: &GateArgs) -> Duration {
    if args.wait {
        args.wait_timeout
    } else {
        Duration::ZERO
    }
}

/// When the gate run ends at the latest: `--timeout`, counted from the start of the
/// process as for every command, plus the wait.
fn deadline(args: &GateArgs, timeout: Duration) -> tokio::time::Instant {
    clock::deadline(waiting(args).saturating_add(timeout))
}

/// Asks until the gate is decided, or once without `--wait`.
async fn poll(session: &mut Session<'_>, call: &Call, args: &GateArgs) -> Result<GateStatus> {
    let wait_until = clock::deadline_in(args.wait_timeout);
    let grace_until = clock::deadline_in(NOT_RECORDED_GRACE);
    let mut polls = 0;
    let mut last = false;
    loop {
        polls += 1;
        let answer = session.call(call).await?;
        let status = match answer::gating(call, &answer)? {
            Gating::Status { status, answer } => GateStatus {
                status,
                answer,
                polls,
            },
            Gating::NotRecorded(_) if args.wait && !clock::passed(grace_until) => {
                info!("no gating status recorded yet; asking again");
                GateStatus {
                    status: "awaiting".into(),
                    answer: Value::Null,
                    polls,
                }
            }
            Gating::NotRecorded(error) => return Err(error),
        };
        if status.decided() || !args.wait || last {
            return Ok(status);
        }
        let left = clock::remaining(wait_until);
        // The last wait is cut to what is left of --wait-timeout, then asked once more.
        let pause = args.poll_interval.min(left);
        last = pause == left;
        info!(
            "gate {}: asking again in {}",
            status.status,
            humantime::format_duration(pause)
        );
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_counts_from_the_start_of_the_process_plus_the_wait() {
        let start = tokio::time::Instant::from_std(clock::started());
        // However late gate gets to ask (after reading the repository, say).
        std::thread::sleep(Duration::from_millis(5));
        let timeout = Duration::from_secs(90);
        let mut args = GateArgs {
            deployment: Default::default(),
            wait: false,
            wait_timeout: Duration::from_secs(600),
            poll_interval: Duration::from_secs(10),
        };
        assert_eq!(deadline(&args, timeout), start + timeout);
        args.wait = true;
        assert_eq!(
            deadline(&args, timeout),
            start + timeout + Duration::from_secs(600)
        );
    }
}
