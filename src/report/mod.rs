//! What a run reports: on stdout, as text for people or as one JSON object for
//! scripts (`--output json`, shape fixed by the contract), and for the CI system's
//! next steps ([`github`]). Logs go to stderr.
//!
//! The transport hands over what each site came to ([`SiteOutcome`], [`SitePlan`]);
//! only this module turns outcomes into what is printed and into the exit code.

pub mod doctor;
pub mod env;
pub mod gate;
pub mod github;
pub mod outbox;
mod text;

use std::io::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::answer::{Outcome, Rejection};
use crate::api::Api;
use crate::api::Request;
use crate::error::Exit;
use crate::keys::{KeySet, RangeRead};
use crate::send::{Delivered, Signal, SiteOutcome, SitePlan};
use crate::settings::FailOn;
use crate::{mask, printable};

/// The result for one Jira site.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteReport {
    /// `None` in a dry run without a configured site.
    pub site: Option<String>,
    pub cloud_id: Option<String>,
    pub requests: Requests,
    pub accepted: Vec<Value>,
    pub rejected: Vec<Rejection>,
    pub unknown_issue_keys: Vec<String>,
    /// What the reports queued in the outbox came to, delivered first: apart from this
    /// run's own (`requests`, `accepted`, `rejected`, `unknownIssueKeys` above). Absent
    /// when nothing queued was delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_outbox: Option<OutboxDelivery>,
    /// Where an undeliverable report was saved.
    pub outbox: Option<String>,
    pub error: Option<String>,
    /// Why the undeliverable report could not be saved to the outbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox_error: Option<String>,
    /// The requests that were neither delivered nor saved, so that nothing is lost:
    /// they can be sent again with `jira-send send`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undelivered: Option<Vec<Request>>,
    /// The requests that got no answer (the one that failed and those after it), for
    /// the text report: "0 of 1 request answered".
    #[serde(skip)]
    pub unanswered: usize,
    /// This site's outcome before `--fail-on` is applied.
    #[serde(skip)]
    pub exit: Exit,
}

/// Queued reports of earlier runs, delivered before this run's: their requests and
/// what Jira said of their entities. Their rejections are kept in the outbox's
/// `rejected/` with a warning; they do not decide this run's exit code.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxDelivery {
    pub requests: usize,
    pub accepted: Vec<Value>,
    pub rejected: Vec<Rejection>,
    pub unknown_issue_keys: Vec<String>,
}

/// Requests sent, or in a dry run, the requests that would be.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Requests {
    Sent(usize),
    Planned(Vec<Request>),
}

impl From<SiteOutcome> for SiteReport {
    fn from(site: SiteOutcome) -> Self {
        let mut report = Self::sent(
            Some(site.site),
            site.cloud_id,
            site.answered,
            site.outcome,
            site.error.as_ref(),
        );
        report.outbox = site.outbox;
        report.unanswered = site.unanswered;
        report.from_outbox = site.from_outbox.map(|queued| OutboxDelivery {
            requests: queued.answered,
            accepted: queued.outcome.accepted,
            rejected: queued.outcome.rejected,
            unknown_issue_keys: queued.outcome.unknown_issue_keys.into_iter().collect(),
        });
        if let Some(unsaved) = site.unsaved {
            report.outbox_error = Some(unsaved.why);
            report.undelivered = Some(unsaved.requests);
        }
        report
    }
}

impl From<SitePlan> for SiteReport {
    fn from(plan: SitePlan) -> Self {
        let mut report = Self::planned(plan.site, plan.cloud_id, plan.requests);
        report.outbox = plan.outbox;
        report
    }
}

impl SiteReport {
    /// A site to which `requests` were sent with `outcome`, or which failed with `error`.
    pub fn sent(
        site: Option<String>,
        cloud_id: Option<String>,
        requests: usize,
        outcome: Outcome,
        error: Option<&crate::error::Error>,
    ) -> Self {
        let exit = match error {
            Some(e) => e.exit(),
            None if !outcome.rejected.is_empty() => Exit::Rejected,
            None => Exit::Success,
        };
        Self {
            site,
            cloud_id,
            requests: Requests::Sent(requests),
            accepted: outcome.accepted,
            rejected: outcome.rejected,
            unknown_issue_keys: outcome.unknown_issue_keys.into_iter().collect(),
            from_outbox: None,
            outbox: None,
            error: error.map(|e| mask::mask(&e.to_string()).into_owned()),
            outbox_error: None,
            undelivered: None,
            unanswered: 0,
            exit,
        }
    }

    /// A site for which `requests` were only planned.
    pub fn planned(site: Option<String>, cloud_id: Option<String>, requests: Vec<Request>) -> Self {
        Self {
            site,
            cloud_id,
            requests: Requests::Planned(requests),
            accepted: Vec::new(),
            rejected: Vec::new(),
            unknown_issue_keys: Vec::new(),
            from_outbox: None,
            outbox: None,
            error: None,
            outbox_error: None,
            undelivered: None,
            unanswered: 0,
            exit: Exit::Success,
        }
    }

    /// The site's exit code under `--fail-on`.
    fn verdict(&self, fail_on: FailOn) -> Exit {
        let exit = if self.exit == Exit::Success
            && fail_on == FailOn::UnknownKeys
            && !self.unknown_issue_keys.is_empty()
        {
            Exit::Rejected
        } else {
            self.exit
        };
        match (fail_on, exit) {
            (FailOn::Never, Exit::Rejected | Exit::Auth | Exit::Delivery) => Exit::Success,
            (FailOn::Error, Exit::Rejected) => Exit::Success,
            _ => exit,
        }
    }
}

/// Everything one invocation reports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report<'a> {
    pub command: &'static str,
    pub dry_run: bool,
    #[serde(serialize_with = "keys")]
    pub issue_keys: &'a KeySet,
    #[serde(serialize_with = "key_sources")]
    pub key_sources: &'a KeySet,
    /// `deployment`'s range of commits (`null` when none was read: `--issue-key`);
    /// the other commands have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<Option<RangeRead>>,
    pub sites: Vec<SiteReport>,
    /// An error that stopped the run before any site was tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A note for people, such as "nothing to send".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The signal (`SIGTERM`, `SIGINT`) that cut delivery short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
    pub exit_code: Exit,
    #[serde(skip)]
    pub api: Option<Api>,
    /// What `--record-deployment` did, when it moved the marker tag: for the text report.
    #[serde(skip)]
    pub recorded: Option<String>,
}

fn keys<S: serde::Serializer>(set: &&KeySet, s: S) -> Result<S::Ok, S::Error> {
    set.keys().serialize(s)
}

fn key_sources<S: serde::Serializer>(set: &&KeySet, s: S) -> Result<S::Ok, S::Error> {
    set.sources().serialize(s)
}

impl<'a> Report<'a> {
    pub fn new(command: &'static str, dry_run: bool, keys: &'a KeySet) -> Self {
        Self {
            command,
            dry_run,
            issue_keys: keys,
            key_sources: keys,
            range: None,
            sites: Vec::new(),
            error: None,
            notice: None,
            signal: None,
            exit_code: Exit::Success,
            api: None,
            recorded: None,
        }
    }

    /// The sites of a dry run: what would be sent.
    pub fn planned(&mut self, plans: Vec<SitePlan>) {
        self.sites = plans.into_iter().map(SiteReport::from).collect();
    }

    /// What delivering came to at every site, and the signal that cut it short.
    pub fn delivered(&mut self, delivered: Delivered) {
        self.sites = delivered.sites.into_iter().map(SiteReport::from).collect();
        self.signal = delivered.signal;
    }

    /// The exit code: the worst site's, after `--fail-on`. A failure that `--fail-on`
    /// forgives is still named on stderr.
    pub fn finish(mut self, fail_on: FailOn) -> Self {
        let mut exit = Exit::Success;
        for site in &self.sites {
            let verdict = site.verdict(fail_on);
            if verdict != site.exit {
                tracing::warn!(
                    "{}: ignoring exit code {} because of --fail-on",
                    site.site.as_deref().unwrap_or("jira"),
                    u8::from(site.exit)
                );
            }
            exit = exit.worst(verdict);
        }
        // A signal with nothing left undelivered ends the run as signals do; with
        // something undelivered, that was saved (or printed), which is exit 4.
        if let Some(signal) = self.signal
            && !self.sites.iter().any(|s| s.exit == Exit::Delivery)
        {
            exit = signal.exit();
        }
        self.exit_code = exit;
        self
    }
}

/// Prints an error that ended the run, whatever the log level: a pipeline log must
/// always say why a step failed.
#[allow(clippy::print_stderr)]
pub fn print_error(error: &crate::error::Error) {
    eprintln!(
        "jira-send: error: {}",
        printable::lines(&mask::mask(&error.to_string()))
    );
}

/// Prints one JSON value on stdout, secrets masked, no workflow command in it (see
/// [`printable::json`]).
pub fn print_json(value: &impl Serialize) {
    let mut json = serde_json::to_string_pretty(value).expect("serializes");
    json.push('\n');
    write_stdout(&printable::json(&mask::mask(&json)));
}

/// Prints `text` for people on stdout, secrets masked, no control character or
/// workflow command in it (see [`printable::lines`]).
pub fn print_text(text: &str) {
    write_stdout(&printable::lines(&mask::mask(text)));
}

/// The one writer of stdout (`clippy.toml` forbids `std::io::stdout` elsewhere).
#[allow(clippy::disallowed_methods)]
fn write_stdout(text: &str) {
    // A closed stdout (`| head`) is not worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use serde_json::json;

    fn site(exit_error: Option<&Error>, rejected: bool, unknown: bool) -> SiteReport {
        let outcome = Outcome {
            accepted: vec![],
            rejected: if rejected {
                vec![Rejection {
                    key: json!({}),
                    errors: vec!["no".into()],
                }]
            } else {
                vec![]
            },
            unknown_issue_keys: if unknown {
                ["ABC-1".to_owned()].into()
            } else {
                Default::default()
            },
        };
        SiteReport::sent(Some("s".into()), None, 1, outcome, exit_error)
    }

    fn unreachable() -> Option<Error> {
        Some(Error::Unreachable {
            what: "x".into(),
            detail: "y".into(),
        })
    }

    #[test]
    fn fail_on_decides_what_fails() {
        use FailOn::*;
        assert_eq!(site(None, true, false).verdict(Rejected), Exit::Rejected);
        assert_eq!(site(None, true, false).verdict(Error), Exit::Success);
        assert_eq!(site(None, true, false).verdict(Never), Exit::Success);
        assert_eq!(site(None, false, true).verdict(Rejected), Exit::Success);
        assert_eq!(site(None, false, true).verdict(UnknownKeys), Exit::Rejected);
        assert_eq!(
            site(unreachable().as_ref(), false, false).verdict(Error),
            Exit::Delivery
        );
        assert_eq!(
            site(unreachable().as_ref(), false, false).verdict(Never),
            Exit::Success
        );
        let usage = Some(crate::error::Error::usage("bad"));
        assert_eq!(site(usage.as_ref(), false, false).verdict(Never), Exit::Usage);
    }

    #[test]
    fn a_signal_exits_4_with_something_undelivered_else_128_plus_its_number() {
        let keys = KeySet::default();
        let mut pending = Report::new("build", false, &keys);
        pending.signal = Some(Signal::Terminate);
        let interrupted = Some(Error::Interrupted("SIGTERM"));
        pending.sites = vec![site(None, false, false), site(interrupted.as_ref(), false, false)];
        assert_eq!(pending.finish(FailOn::Rejected).exit_code, Exit::Delivery);
        let mut nothing = Report::new("build", false, &keys);
        nothing.signal = Some(Signal::Interrupt);
        nothing.sites = vec![site(None, false, false)];
        let nothing = nothing.finish(FailOn::Never);
        assert_eq!(u8::from(nothing.exit_code), 130);
        assert_eq!(serde_json::to_value(&nothing).unwrap()["signal"], "SIGINT");
    }

    #[test]
    fn the_worst_site_decides_the_exit_code() {
        let keys = KeySet::default();
        let mut report = Report::new("build", false, &keys);
        report.sites = vec![
            site(None, false, false),
            site(None, true, false),
            site(unreachable().as_ref(), false, false),
        ];
        assert_eq!(report.finish(FailOn::Rejected).exit_code, Exit::Rejected);
    }

    #[test]
    fn json_follows_the_contract() {
        let keys = KeySet::default();
        let mut report = Report::new("build", false, &keys);
        report.sites = vec![site(None, true, true)];
        let json = serde_json::to_value(report.finish(FailOn::Rejected)).unwrap();
        assert_eq!(json["command"], "build");
        assert_eq!(json["dryRun"], false);
        assert_eq!(json["issueKeys"], json!([]));
        assert_eq!(json["keySources"], json!({}));
        assert_eq!(json["exitCode"], 1);
        let s = &json["sites"][0];
        for field in [
            "site",
            "cloudId",
            "requests",
            "accepted",
            "rejected",
            "unknownIssueKeys",
            "outbox",
            "error",
        ] {
            assert!(s.get(field).is_some(), "sites[0].{field} is missing");
        }
        assert_eq!(s["rejected"][0]["errors"], json!(["no"]));
        assert!(json.get("error").is_none());
    }
}
