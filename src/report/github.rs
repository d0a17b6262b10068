//! Results for the steps that follow, where the CI system offers a place for them:
//! GitHub Actions' step outputs (`$GITHUB_OUTPUT`) and job summary
//! (`$GITHUB_STEP_SUMMARY`).
//!
//! Outputs, the ones `action.yml` declares: `issue-keys` (comma-separated), `accepted`
//! and `rejected` (counts of this run's own entities over all sites, not of queued
//! reports delivered first), `unknown-issue-keys` (comma-separated), `exit-code`. Every command writes all five, once: a value that does not apply to
//! the command (`accepted` for `gate`) is empty.
//!
//! What is written there is masked like stdout (a server may echo the token as an
//! "unknown issue key"), and bounded: GitHub takes at most 1 MiB of outputs per step
//! and 1 MiB of summary, and a server may list hundreds of thousands of unknown keys.
//! A key list keeps whole keys up to [`MAX_LIST`] bytes and a warning says how many it
//! left out; the summary says what it cut. The report on stdout lists everything.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use indexmap::IndexSet;
use tracing::warn;

use super::{Report, Requests};
use crate::env::Env;
use crate::error::Exit;
use crate::keys::KeySet;
use crate::mask;
use crate::plural::count;

/// The most of one key list written as an output (`issue-keys`, `unknown-issue-keys`):
/// both together stay well under GitHub's 1 MiB per step.
pub const MAX_LIST: usize = 128 * 1024;
/// The most of one key list in the job summary.
const MAX_SUMMARY_LIST: usize = 16 * 1024;
/// The most of a site's note (its error) in the job summary.
const MAX_NOTE: usize = 1000;
/// The most of the job summary one run writes; GitHub takes 1 MiB.
pub const MAX_SUMMARY: usize = 512 * 1024;

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
    let number = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    let list = |name: &str, keys: &[String]| {
        let (value, left_out) = bounded_list(keys, ",", MAX_LIST);
        if left_out > 0 {
            warn!(
                "the step output {name} lists {} of {}: GitHub takes at most 1 MiB of outputs \
                 per step (the report on stdout lists them all)",
                keys.len() - left_out,
                count(keys.len(), "key", "keys")
            );
        }
        value
    };
    let values = [
        ("issue-keys", list("issue-keys", &outputs.issue_keys)),
        ("accepted", number(outputs.accepted)),
        ("rejected", number(outputs.rejected)),
        (
            "unknown-issue-keys",
            list("unknown-issue-keys", &outputs.unknown_issue_keys),
        ),
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

/// `keys` joined by `separator`, masked, whole keys only, at most `max` bytes; and how
/// many keys were left out. Each key is masked before it is measured, so a cut never
/// falls inside a secret.
fn bounded_list(keys: &[String], separator: &str, max: usize) -> (String, usize) {
    let mut text = String::new();
    for (kept, key) in keys.iter().enumerate() {
        let key = mask::mask(key);
        let needed = if kept == 0 { 0 } else { separator.len() } + key.len();
        if text.len() + needed > max {
            return (text, keys.len() - kept);
        }
        if kept > 0 {
            text.push_str(separator);
        }
        text.push_str(&key);
    }
    (text, 0)
}

/// `keys` for the job summary: whole keys up to [`MAX_SUMMARY_LIST`], then how many
/// more there are.
fn summary_list(keys: &[String]) -> String {
    let (mut text, left_out) = bounded_list(keys, ", ", MAX_SUMMARY_LIST);
    if left_out > 0 {
        let _ = write!(text, " … and {left_out} more (see the job log)");
    }
    text
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
        let _ = writeln!(text, "Issue keys: {}\n", summary_list(report.issue_keys.keys()));
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
                .as_deref()
                .map(|error| mask::cap(error, MAX_NOTE))
                .or_else(|| site.outbox.as_ref().map(|o| format!("queued in {o}")))
                .unwrap_or_default();
            let _ = writeln!(
                text,
                "| {} | {requests} | {} | {} | {} | {} |",
                cell(site.site.as_deref().unwrap_or("-")),
                site.accepted.len(),
                site.rejected.len(),
                cell(&summary_list(&site.unknown_issue_keys)),
                cell(&note)
            );
        }
        text.push('\n');
    }
    append(path, &bounded_summary(&mask::mask(&text)));
}

/// The summary `text` (masked), whole lines up to [`MAX_SUMMARY`], then a line that
/// says how many were cut.
fn bounded_summary(text: &str) -> String {
    if text.len() <= MAX_SUMMARY {
        return text.to_owned();
    }
    let mut kept = String::new();
    let mut lines = text.split_inclusive('\n');
    for line in lines.by_ref() {
        if kept.len() + line.len() > MAX_SUMMARY {
            break;
        }
        kept.push_str(line);
    }
    let cut = 1 + lines.count();
    let _ = writeln!(
        kept,
        "\n… {} cut: GitHub takes at most 1 MiB of summary per step (see the job log)\n",
        count(cut, "line", "lines")
    );
    kept
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_whole_masked_keys_within_the_bound() {
        mask::register("ghp-secret-token-123");
        let keys: Vec<String> = ["A-1", "ghp-secret-token-123", "B-2", "C-3"]
            .map(str::to_owned)
            .into();
        assert_eq!(bounded_list(&keys, ",", 1000), ("A-1,****,B-2,C-3".into(), 0));
        assert_eq!(bounded_list(&keys, ",", 12), ("A-1,****,B-2".into(), 1));
        assert_eq!(bounded_list(&keys, ",", 11), ("A-1,****".into(), 2));
        assert_eq!(bounded_list(&keys, ",", 2), (String::new(), 4));
        let many: Vec<String> = (0..100_000).map(|n| format!("KEY-{n}")).collect();
        let (text, left_out) = bounded_list(&many, ",", MAX_LIST);
        assert!(text.len() <= MAX_LIST && left_out > 0);
        assert_eq!(text.split(',').count() + left_out, many.len());
        assert!(
            summary_list(&many).ends_with(&format!("… and {} more (see the job log)", {
                let (_, left_out) = bounded_list(&many, ", ", MAX_SUMMARY_LIST);
                left_out
            }))
        );
    }

    #[test]
    fn a_summary_past_the_bound_keeps_whole_lines_and_says_what_it_cut() {
        let text = "x".repeat(1000) + "\n";
        let long = text.repeat(MAX_SUMMARY / 1000 + 10);
        let bounded = bounded_summary(&long);
        assert!(bounded.len() < MAX_SUMMARY + 200);
        let kept = MAX_SUMMARY / text.len();
        assert!(bounded.starts_with(&text.repeat(kept)));
        assert!(
            bounded.contains(&format!("{} lines cut", MAX_SUMMARY / 1000 + 10 - kept)),
            "{}",
            &bounded[bounded.len() - 200..]
        );
        assert_eq!(bounded_summary("short\n"), "short\n");
    }
}
