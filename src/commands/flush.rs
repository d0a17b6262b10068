//! `jira-send flush`: deliver what the outbox holds, oldest first; or, with `--list`,
//! show it; with `--drop ID` or `--drop-all`, discard it.

use tracing::warn;

use crate::cli::FlushArgs;
use crate::clock::Clock;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::keys::KeySet;
use crate::outbox::{self, Listed, Outbox, State};
use crate::report::outbox::Listing;
use crate::report::{self, Report};
use crate::send;
use crate::settings::Settings;

pub fn run(args: &FlushArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let dir = settings
        .outbox_dir
        .as_deref()
        .ok_or_else(|| Error::usage("no outbox directory: set --outbox-dir or --cache-dir"))?;
    let outbox = Outbox::new(dir);
    if args.list {
        let listed = outbox.list(clock.now());
        return Ok(report::outbox::show(
            settings,
            env,
            Listing::Entries,
            &listed,
            Exit::Success,
        ));
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
        report.planned(send::plan_queued(settings, &outbox));
    } else {
        report.delivered(send::flush(settings, env, clock, &outbox)?);
    }
    let set_aside = outbox.set_aside();
    if report.sites.is_empty() && set_aside.is_empty() {
        report.notice = Some("the outbox is empty: nothing to deliver".into());
    }
    Ok(report::outbox::flushed(report, &set_aside, settings, env))
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
        return Ok(report::outbox::show(
            settings,
            env,
            Listing::Dropped,
            &chosen,
            Exit::Success,
        ));
    }
    let mut dropped = Vec::new();
    let mut exit = Exit::Success;
    for entry in chosen {
        match outbox.drop_entry(&entry.id, now) {
            Ok(listed) => dropped.push(listed),
            Err(why) => {
                report::print_error(&Error::usage(why));
                exit = Exit::Usage;
            }
        }
    }
    Ok(report::outbox::show(
        settings,
        env,
        Listing::Dropped,
        &dropped,
        exit,
    ))
}
