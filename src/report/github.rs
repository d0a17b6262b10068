//! Results for the steps that follow, where the CI system offers a place for them:
//! GitHub Actions' step outputs (`$GITHUB_OUTPUT`) and job summary
//! (`$GITHUB_STEP_SUMMARY`).
//!
//! Outputs, the ones `action.yml` declares: `issue-keys` (comma-separated), `accepted`
//! and `rejected` (counts over all sites), `unknown-issue-keys` (comma-separated),
//! `exit-code`. Every command writes all five, once: a value that does not apply to
//! the command (`accepted` for `gate`) is empty.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use indexmap::IndexSet;
use tracing::warn;

use super::{Report, Requests};
use crate::env::Env;
use crate::error::Exit;
use crate::keys::KeySet;

/// Whether this invocation has written its outputs: the first writer wins, so the
/// catch-all at the end of a run (exit code only) never repeats a command's report.
static PUBLISHED: AtomicBool = AtomicBool::new(false);

/// The step outputs of one run.
#[derive(Debug, Default)]
struct Outputs {
    issue_keys: Vec<String>,
    accepted: Option<usize>,
    rejected: Option<usize>,
    unknown_issue_keys: Vec<String>,
    exit: Option<Exit>,
}

/// Writes the outputs and summary of `report`, if the CI system asks for them.
pub fn publish(env: &Env, report: &Report<'_>) {
    // Each key once over all sites, in linear time: an answer may list hundreds of
    // thousands.
    let unknown: IndexSet<&str> = report
        .sites
        .iter()
        .flat_map(|site| site.unknown_issue_keys.iter().map(String::as_str))
        .collect();
    outputs(
        env,
        &Outputs {
            issue_keys: report.issue_keys.keys().to_vec(),
            accepted: Some(report.sites.iter().map(|s| s.accepted.len()).sum()),
            rejected: Some(report.sites.iter().map(|s| s.rejected.len()).sum()),
            unknown_issue_keys: unknown.into_iter().map(str::to_owned).collect(),
            exit: Some(report.exit_code),
        },
    );
    summary(env, report);
}

/// The outputs of `keys`: the keys found.
pub fn publish_keys(env: &Env, keys: &KeySet, exit: Exit) {
    outputs(
        env,
        &Outputs {
            issue_keys: keys.keys().to_vec(),
            exit: Some(exit),
            ..Outputs::default()
        },
    );
}

/// Only the exit code, unless this run has written its outputs already: a command
/// without a report (`gate`, `doctor`, …), or a run that stopped before it had one.
pub fn publish_exit(env: &Env, exit: Exit) {
    outputs(
        env,
        &Outputs {
            exit: Some(exit),
            ..Outputs::default()
        },
    );
}

fn outputs(env: &Env, outputs: &Outputs) {
    let Some(path) = env.get("GITHUB_OUTPUT") else {
        return;
    };
    if PUBLISHED.swap(true, Ordering::SeqCst) {
        return;
    }
    let count = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    let values = [
        ("issue-keys", outputs.issue_keys.join(",")),
        ("accepted", count(outputs.accepted)),
        ("rejected", count(outputs.rejected)),
        ("unknown-issue-keys", outputs.unknown_issue_keys.join(",")),
        (
            "exit-code",
            outputs.exit.map(|e| u8::from(e).to_string()).unwrap_or_default(),
        ),
    ];
    let mut text = String::new();
    for (name, value) in values {
        // Values are single-line (keys, counts); a newline would start a new output.
        let _ = writeln!(text, "{name}={}", value.replace(['\r', '\n'], " "));
    }
    append(path, &text);
}

fn summary(env: &Env, report: &Report<'_>) {
    let Some(path) = env.get("GITHUB_STEP_SUMMARY") else {
        return;
    };
    let mut text = format!(
        "### jira-send {}{}\n\n",
        report.command,
        if report.dry_run { " (dry run)" } else { "" }
    );
    if !report.issue_keys.is_empty() {
        let _ = writeln!(text, "Issue keys: {}\n", report.issue_keys.keys().join(", "));
    }
    if let Some(notice) = &report.notice {
        let _ = writeln!(text, "{notice}\n");
    }
    if !report.sites.is_empty() {
        text.push_str("| Site | Requests | Accepted | Rejected | Unknown issue keys | Note |\n");
        text.push_str("|---|---|---|---|---|---|\n");
        for site in &report.sites {
            let requests = match &site.requests {
                Requests::Sent(n) => n.to_string(),
                Requests::Planned(planned) => format!("{} (planned)", planned.len()),
            };
            let note = site
                .error
                .clone()
                .or_else(|| site.outbox.as_ref().map(|o| format!("queued in {o}")))
                .unwrap_or_default();
            let _ = writeln!(
                text,
                "| {} | {requests} | {} | {} | {} | {} |",
                cell(site.site.as_deref().unwrap_or("-")),
                site.accepted.len(),
                site.rejected.len(),
                cell(&site.unknown_issue_keys.join(", ")),
                cell(&note)
            );
        }
        text.push('\n');
    }
    append(path, &text);
}

/// Table cells cannot hold `|` or newlines.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

fn append(path: &str, text: &str) {
    if let Err(e) = crate::fs::append(std::path::Path::new(path), text.as_bytes()) {
        warn!("cannot write the step results to {path}: {e}");
    }
}
