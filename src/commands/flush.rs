//! `jira-send flush`: deliver what the outbox holds, oldest first.

use super::finish;
use crate::clock::Clock;
use crate::env::Env;
use crate::error::{Exit, Result};
use crate::keys::KeySet;
use crate::outbox::{Entry, Outbox};
use crate::report::{PlannedRequest, Report, SiteReport};
use crate::send;
use crate::settings::Settings;

pub fn run(settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let keys = KeySet::default();
    let mut report = Report::new("flush", settings.dry_run, &keys);
    if settings.dry_run {
        report.sites = plan(settings);
    } else {
        let delivered = send::flush(settings, env, clock)?;
        report.sites = delivered.sites;
        report.signal = delivered.signal;
    }
    if report.sites.is_empty() {
        report.notice = Some("the outbox is empty: nothing to deliver".into());
    }
    Ok(finish(report, settings, env))
}

/// What a flush would send: every queued request, by site.
fn plan(settings: &Settings) -> Vec<SiteReport> {
    let Some(outbox) = settings.outbox_dir.as_deref().map(Outbox::new) else {
        return Vec::new();
    };
    let mut reports: Vec<SiteReport> = Vec::new();
    for path in outbox.pending(None) {
        let Some(entry) = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Entry>(&b).ok())
        else {
            continue;
        };
        let cloud_id = entry.cloud_id.clone();
        let requests: Vec<PlannedRequest> = entry
            .requests
            .iter()
            .filter_map(|saved| {
                let call = saved.to_call()?;
                Some(PlannedRequest {
                    method: call.method.to_string(),
                    url: call.url(settings, cloud_id.as_deref()),
                    body: call.body,
                })
            })
            .collect();
        let mut site = SiteReport::planned(Some(entry.site.clone()), cloud_id, requests);
        site.outbox = Some(path.display().to_string());
        reports.push(site);
    }
    reports
}
