//! Results for the steps that follow, where the CI system offers a place for them:
//! GitHub Actions' step outputs (`$GITHUB_OUTPUT`) and job summary
//! (`$GITHUB_STEP_SUMMARY`).
//!
//! Outputs: `issue-keys` (comma-separated), `accepted` and `rejected` (counts over all
//! sites), `unknown-issue-keys` (comma-separated), `exit-code`.

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::warn;

use crate::env::Env;
use crate::error::Exit;
use crate::report::{Report, Requests};

/// Writes the outputs and summary of `report`, if the CI system asks for them.
pub fn publish(env: &Env, report: &Report<'_>) {
    let mut unknown: Vec<&str> = Vec::new();
    for site in &report.sites {
        for key in &site.unknown_issue_keys {
            if !unknown.contains(&key.as_str()) {
                unknown.push(key);
            }
        }
    }
    let accepted: usize = report.sites.iter().map(|s| s.accepted.len()).sum();
    let rejected: usize = report.sites.iter().map(|s| s.rejected.len()).sum();
    outputs(
        env,
        &[
            ("issue-keys", report.issue_keys.keys().join(",")),
            ("accepted", accepted.to_string()),
            ("rejected", rejected.to_string()),
            ("unknown-issue-keys", unknown.join(",")),
            ("exit-code", u8::from(report.exit_code).to_string()),
        ],
    );
    summary(env, report);
}

/// Only the exit code: the run stopped before it had a report.
pub fn publish_exit(env: &Env, exit: Exit) {
    outputs(env, &[("exit-code", u8::from(exit).to_string())]);
}

fn outputs(env: &Env, values: &[(&str, String)]) {
    let Some(path) = env.get("GITHUB_OUTPUT") else {
        return;
    };
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
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(e) = written {
        warn!("cannot write the step results to {path}: {e}");
    }
}
