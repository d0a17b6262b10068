//! `flush`'s report: the sites' report of a delivery and what the outbox set aside;
//! and what the outbox holds (`--list`) or dropped (`--drop`).

use serde_json::{Value, json};

use super::{Report, github, print_json, print_text};
use crate::env::Env;
use crate::error::Exit;
use crate::outbox::{self, Kind, Listed, SetAside, State};
use crate::plural::count;
use crate::settings::Output;
use crate::settings::Settings;

/// Finishes, prints and publishes the report of a flush; returns its exit code. A file
/// set aside as corrupt or ignored needs a person: an input error. Rejected entities
/// already count in their site's report.
pub fn flushed(report: Report<'_>, set_aside: &[SetAside], settings: &Settings, env: &Env) -> Exit {
    let mut report = report.finish(settings.fail_on);
    if set_aside.iter().any(|s| s.kind != Kind::Rejected) {
        report.exit_code = report.exit_code.worst(Exit::Usage);
    }
    match settings.output {
        Output::Json => print_json(&flushed_json(&report, set_aside)),
        Output::Text => {
            report.print(Output::Text);
            print_text(&set_aside.iter().map(describe_set_aside).collect::<String>());
        }
    }
    github::publish(env, &report);
    report.exit_code
}

/// The JSON of a flush: the report of its sites, and what it set aside.
pub fn flushed_json(report: &Report<'_>, set_aside: &[SetAside]) -> Value {
    let mut json = serde_json::to_value(report).expect("reports serialize");
    json["setAside"] = serde_json::to_value(set_aside).expect("serializes");
    json
}

/// What `flush` lists instead of delivering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// `--list`: what the outbox holds.
    Entries,
    /// `--drop ID` or `--drop-all`: what was dropped.
    Dropped,
}

impl Listing {
    fn name(self) -> &'static str {
        match self {
            Self::Entries => "entries",
            Self::Dropped => "dropped",
        }
    }
}

/// The JSON of `--list` or `--drop`: `{"command": "flush", "dryRun", "entries" or
/// "dropped": [...], "exitCode"}`, and `error` for a run that failed.
pub fn listing_json(
    listing: Listing,
    dry_run: bool,
    listed: &[Listed],
    error: Option<&str>,
    exit: Exit,
) -> Value {
    let mut json = json!({"command": "flush", "dryRun": dry_run});
    json[listing.name()] = serde_json::to_value(listed).expect("serializes");
    if let Some(error) = error {
        json["error"] = json!(error);
    }
    json["exitCode"] = json!(exit);
    json
}

/// Prints `--list` or `--drop` output.
pub fn show(settings: &Settings, env: &Env, listing: Listing, listed: &[Listed], exit: Exit) -> Exit {
    match settings.output {
        Output::Json => print_json(&listing_json(listing, settings.dry_run, listed, None, exit)),
        Output::Text => {
            let mut text = String::new();
            if listed.is_empty() {
                text.push_str(match listing {
                    Listing::Dropped => "nothing dropped\n",
                    Listing::Entries => "the outbox is empty\n",
                });
            }
            for entry in listed {
                if listing == Listing::Dropped {
                    text.push_str(if settings.dry_run {
                        "would drop "
                    } else {
                        "dropped "
                    });
                }
                text.push_str(&describe(entry));
            }
            print_text(&text);
        }
    }
    github::publish_exit(env, exit);
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
        line.push_str(&format!("  {}", count(entry.entities, "entity", "entities")));
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
