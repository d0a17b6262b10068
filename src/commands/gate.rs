//! `jira-send gate`: whether Jira's change management lets a deployment proceed.
//!
//! It reads the gating status of the deployment `deployment` would send (same key
//! options, same defaults). Exit 0 for `allowed`, 5 for `prevented` or `expired`, 6
//! while `awaiting` (after `--wait-timeout` with `--wait`), 1 for `invalid` or a
//! deployment Jira has no status for. Gating is per site, so exactly one site is asked.
//! When the wait runs out, the gate is asked one last time before giving up, so a
//! decision made during the last interval is not missed. A 2xx without a gating
//! status is asked again, then is an unknown outcome (exit 4), never "invalid".

use std::io::Write as _;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::time::Instant;
use tracing::info;

use super::deployment::DeploymentKey;
use super::finish;
use crate::api::Api;
use crate::api::checked_segment;
use crate::cli::GateArgs;
use crate::clock::Clock;
use crate::context::RunContext;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::http;
use crate::keys::KeySet;
use crate::report::Report;
use crate::retry::deadline_in;
use crate::send::{self, Call, Session, common_error, unknown_outcome};
use crate::settings::{Output, Settings};

/// Jira may not have recorded a gated deployment yet right after it was sent: a 404
/// this early in a wait means "ask again".
const NOT_RECORDED_GRACE: Duration = Duration::from_secs(60);

pub fn run(args: &GateArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let ctx = RunContext::gather(settings, env)?;
    let key = DeploymentKey::resolve(&args.deployment, &ctx)?;
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
        report.sites = send::plan(settings, env, vec![call]);
        return Ok(finish(report, settings, env));
    }

    let sites = send::prepare(settings, env)?;
    let (site, credentials) = &sites[0];
    let client = http::client(settings)?;
    let waiting = if args.wait {
        args.wait_timeout
    } else {
        Duration::ZERO
    };
    let deadline = deadline_in(waiting.saturating_add(settings.timeout));
    let (status, cloud_id) = send::run_async(async {
        let mut session = Session::new(&client, settings, env, clock, site, credentials, deadline);
        let status = match tokio::time::timeout_at(deadline, poll(&mut session, &call, args)).await {
            Ok(status) => status,
            Err(_) => Err(Error::Timeout(waiting.saturating_add(settings.timeout))),
        };
        (status, session.known_cloud_id())
    })?;
    let status = status?;

    let exit = status.exit();
    let text = match settings.output {
        Output::Json => {
            let json = json!({
                "command": "gate",
                "dryRun": false,
                "site": site.name,
                "cloudId": cloud_id,
                "deployment": subject,
                "gatingStatus": status.status,
                "updatedTimestamp": status.answer.get("updatedTimestamp"),
                "details": status.details(),
                "polls": status.polls,
                "exitCode": exit,
            });
            format!("{}\n", serde_json::to_string_pretty(&json).expect("serializes"))
        }
        Output::Text => status.text(&key, &site.name),
    };
    let _ = std::io::stdout()
        .lock()
        .write_all(crate::mask::mask(&text).as_bytes());
    Ok(exit)
}

/// The last gating status read.
#[derive(Debug)]
struct Status {
    /// `allowed`, `prevented`, `awaiting`, `invalid` (or `expired`), as Jira said it.
    status: String,
    answer: Value,
    polls: u32,
}

impl Status {
    fn decided(&self) -> bool {
        self.status != "awaiting"
    }

    fn exit(&self) -> Exit {
        match self.status.as_str() {
            "allowed" => Exit::Success,
            "prevented" | "expired" => Exit::GatePrevented,
            "awaiting" => Exit::GateTimeout,
            _ => Exit::Rejected,
        }
    }

    /// The change-request issues: `[{"issueKey", "issueLink"}]`.
    fn details(&self) -> Vec<Value> {
        self.answer
            .get("details")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|d| json!({"issueKey": d.get("issueKey"), "issueLink": d.get("issueLink")}))
            .collect()
    }

    fn text(&self, key: &DeploymentKey, site: &str) -> String {
        let mut text = format!(
            "{site}: deployment {} of {} to {}: {}\n",
            key.number, key.pipeline_id, key.environment_id, self.status
        );
        for detail in self.details() {
            let field = |name: &str| detail.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
            text.push_str(&format!(
                "  change request {}  {}\n",
                field("issueKey"),
                field("issueLink")
            ));
        }
        if self.status == "invalid" {
            text.push_str(&format!("  Jira says: {}\n", self.answer));
        }
        text
    }
}

/// Asks until the gate is decided, or once without `--wait`.
async fn poll(session: &mut Session<'_>, call: &Call, args: &GateArgs) -> Result<Status> {
    let started = Instant::now();
    let mut polls = 0;
    let mut last = false;
    loop {
        polls += 1;
        let answer = session.call(call).await?;
        if let Some(error) = unknown_outcome(call, &answer) {
            return Err(error);
        }
        let status = match answer.status {
            s if s.is_success() => {
                let json = answer.json.clone().unwrap_or(Value::Null);
                let status = json
                    .get("gatingStatus")
                    .and_then(Value::as_str)
                    .unwrap_or("invalid")
                    .to_owned();
                Status {
                    status,
                    answer: json,
                    polls,
                }
            }
            StatusCode::NOT_FOUND if args.wait && started.elapsed() < NOT_RECORDED_GRACE => {
                info!("no gating status recorded yet; asking again");
                Status {
                    status: "awaiting".into(),
                    answer: Value::Null,
                    polls,
                }
            }
            StatusCode::NOT_FOUND => {
                return Err(Error::NotFound(
                    "Jira has no gating status for this deployment: was it sent with `deployment --gate`, \
                     under the same pipeline, environment and number?"
                        .into(),
                ));
            }
            _ => {
                return Err(common_error(call.api, &answer).unwrap_or_else(|| {
                    Error::NotFound(format!(
                        "Jira refused the gating-status request: {}",
                        answer.detail()
                    ))
                }));
            }
        };
        if status.decided() || !args.wait || last {
            return Ok(status);
        }
        let left = args.wait_timeout.saturating_sub(started.elapsed());
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
