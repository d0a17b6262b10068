//! `jira-send flush`: deliver what the outbox holds, oldest first; or, with `--list`,
//! show it; with `--drop ID` or `--drop-all`, discard it.

use std::io::Write as _;

use serde_json::json;
use tracing::warn;

use crate::cli::FlushArgs;
use crate::clock::Clock;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::keys::KeySet;
use crate::outbox::{self, Kind, Listed, Outbox, SetAside, State};
use crate::report::{PlannedRequest, Report, SiteReport, print_json};
use crate::send;
use crate::settings::{Output, Settings};

pub fn run(args: &FlushArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let dir = settings
        .outbox_dir
        .as_deref()
        .ok_or_else(|| Error::usage("no outbox directory: set --outbox-dir or --cache-dir"))?;
    let outbox = Outbox::new(dir);
    if args.list {
        let listed = outbox.list(clock.now());
        return Ok(show(settings, env, "entries", &listed, Exit::Success));
    }
    if args.drop_all || !args.drop.is_empty() {
        return drop(args, &outbox, settings, env, clock);
    }
    for listed in outbox.list(clock.now()) {
        if listed.stale && listed.state == State::Queued {
            warn!(
                "the outbox entry {} ({}) is {} old: Jira still takes it, but later runs have \
                 probably superseded it (`flush --drop {}` discards it)",
                listed.id,
                listed.command.as_deref().unwrap_or("?"),
                outbox::age(listed.age_seconds.unwrap_or(0)),
                listed.id
            );
        }
    }
    let keys = KeySet::default();
    let mut report = Report::new("flush", settings.dry_run, &keys);
    if settings.dry_run {
        report.sites = plan(settings, &outbox);
    } else {
        let delivered = send::flush(settings, env, clock, &outbox)?;
        report.sites = delivered.sites;
        report.signal = delivered.signal;
    }
    let set_aside = outbox.set_aside();
    if report.sites.is_empty() && set_aside.is_empty() {
        report.notice = Some("the outbox is empty: nothing to deliver".into());
    }
    let mut report = report.finish(settings.fail_on);
    // A file set aside as corrupt or ignored needs a person: an input error. Rejected
    // entities already count in their site's report.
    if set_aside.iter().any(|s| s.kind != Kind::Rejected) {
        report.exit_code = report.exit_code.worst(Exit::Usage);
    }
    match settings.output {
        Output::Json => {
            let mut json = serde_json::to_value(&report).expect("reports serialize");
            json["setAside"] = serde_json::to_value(&set_aside).expect("serializes");
            print_json(&json);
        }
        Output::Text => {
            report.print(Output::Text);
            print(&set_aside.iter().map(describe_set_aside).collect::<String>());
        }
    }
    crate::publish::publish(env, &report);
    Ok(report.exit_code)
}

/// What a flush would send: every queued request, by site.
fn plan(settings: &Settings, outbox: &Outbox) -> Vec<SiteReport> {
    let mut reports: Vec<SiteReport> = Vec::new();
    for path in outbox.pending(None) {
        let entry = match outbox.peek(&path) {
            Ok(entry) => entry,
            Err(why) => {
                warn!("{} would not be sent: {why}", path.display());
                continue;
            }
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

/// `--drop ID…` or `--drop-all`: every id is checked before anything is dropped. In a
/// dry run, says what would be dropped.
fn drop(
    args: &FlushArgs,
    outbox: &Outbox,
    settings: &Settings,
    env: &Env,
    clock: &dyn Clock,
) -> Result<Exit> {
    let now = clock.now();
    let listed = outbox.list(now);
    let chosen: Vec<&Listed> = if args.drop_all {
        listed.iter().collect()
    } else {
        let unknown: Vec<&str> = args
            .drop
            .iter()
            .map(String::as_str)
            .filter(|id| !listed.iter().any(|l| l.id == *id))
            .collect();
        if !unknown.is_empty() {
            return Err(Error::usage(format!(
                "the outbox holds no entry {} (`jira-send flush --list` shows what it holds)",
                unknown.join(", ")
            )));
        }
        listed.iter().filter(|l| args.drop.contains(&l.id)).collect()
    };
    if settings.dry_run {
        let chosen: Vec<Listed> = chosen.into_iter().cloned().collect();
        return Ok(show(settings, env, "dropped", &chosen, Exit::Success));
    }
    let mut dropped = Vec::new();
    let mut exit = Exit::Success;
    for entry in chosen {
        match outbox.drop_entry(&entry.id, now) {
            Ok(listed) => dropped.push(listed),
            Err(why) => {
                crate::report::print_error(&Error::usage(why));
                exit = Exit::Usage;
            }
        }
    }
    Ok(show(settings, env, "dropped", &dropped, exit))
}

/// Prints `--list` or `--drop` output: under `--output json`, `{"command": "flush",
/// "dryRun", "<what>": [...], "exitCode"}`.
fn show(settings: &Settings, env: &Env, what: &str, listed: &[Listed], exit: Exit) -> Exit {
    match settings.output {
        Output::Json => {
            let mut json = json!({"command": "flush", "dryRun": settings.dry_run});
            json[what] = serde_json::to_value(listed).expect("serializes");
            json["exitCode"] = json!(exit);
            print_json(&json);
        }
        Output::Text => {
            let mut text = String::new();
            if listed.is_empty() {
                text.push_str(match what {
                    "dropped" => "nothing dropped\n",
                    _ => "the outbox is empty\n",
                });
            }
            for entry in listed {
                if what == "dropped" {
                    text.push_str(if settings.dry_run {
                        "would drop "
                    } else {
                        "dropped "
                    });
                }
                text.push_str(&describe(entry));
            }
            print(&text);
        }
    }
    crate::publish::publish_exit(env, exit);
    exit
}

/// One line (two with an error) for `entry`:
/// `1700000000000-acme_atlassian_net-1a2b3c4d  queued  build  acme.atlassian.net  1 entity  2h 5m`.
fn describe(entry: &Listed) -> String {
    let state = match entry.state {
        State::Queued => "queued",
        State::Rejected => "rejected",
        State::Corrupt => "corrupt",
        State::Ignored => "ignored",
    };
    let mut line = format!("{}  {state}", entry.id);
    if let Some(command) = &entry.command {
        line.push_str(&format!("  {command}"));
    }
    if let Some(site) = &entry.site {
        line.push_str(&format!("  {site}"));
    }
    if entry.command.is_some() {
        let plural = if entry.entities == 1 { "entity" } else { "entities" };
        line.push_str(&format!("  {} {plural}", entry.entities));
    }
    if let Some(age) = entry.age_seconds {
        line.push_str(&format!("  {} old", outbox::age(age)));
    }
    if entry.stale {
        line.push_str(&format!(
            "  (stale: older than {} days)",
            outbox::STALE_AFTER.num_days()
        ));
    }
    line.push('\n');
    if let Some(error) = &entry.last_error {
        line.push_str(&format!("    last error: {error}\n"));
    }
    line
}

fn describe_set_aside(set_aside: &SetAside) -> String {
    match &set_aside.moved_to {
        Some(target) => format!(
            "set aside: {} → {} ({})\n",
            set_aside.file.display(),
            target.display(),
            set_aside.reason
        ),
        None => format!(
            "ignored: {} ({}); left where it is, never sent\n",
            set_aside.file.display(),
            set_aside.reason
        ),
    }
}

fn print(text: &str) {
    // A closed stdout (`| head`) is not worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
