//! The report as people read it: one line per site and one per entity (the first few
//! of a large send), what was planned in a dry run, and the requests that could be
//! neither delivered nor saved.

use serde_json::Value;

use super::{Report, Requests, SiteReport, print_json, print_text};
use crate::api::Api;
use crate::mask;
use crate::plural::count;
use crate::printable::{escape, lines};
use crate::settings::Output;

impl Report<'_> {
    /// Prints the report on stdout, secrets masked. Requests that could be neither
    /// delivered nor saved are printed too: in the JSON report, or on stderr beside the
    /// text one. What a server said (keys, messages) is printed escaped, on its line.
    pub fn print(&self, output: Output) {
        match output {
            Output::Json => print_json(self),
            Output::Text => print_text(&self.text()),
        }
        for site in &self.sites {
            site.print_unsaved(output);
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        if let Some(Some(range)) = &self.range {
            out.push_str(&range.describe());
            out.push('\n');
        }
        if let Some(notice) = &self.notice {
            out.push_str(notice);
            out.push('\n');
        }
        if !self.issue_keys.is_empty() && self.sites.iter().any(|s| matches!(s.requests, Requests::Sent(_))) {
            out.push_str(&format!("issue keys: {}\n", self.issue_keys.keys().join(", ")));
        }
        for site in &self.sites {
            let noun = match (self.command, self.api) {
                ("delete", _) => ("deletion", "deletions"),
                (_, Some(Api::Builds)) => ("build", "builds"),
                (_, Some(Api::Deployments)) => ("deployment", "deployments"),
                (_, Some(Api::FeatureFlags)) => ("feature flag", "feature flags"),
                (_, Some(Api::Devinfo)) => ("devinfo entity", "devinfo entities"),
                (_, None) => ("entity", "entities"),
            };
            site.text(noun, &mut out);
        }
        if let Some(recorded) = &self.recorded {
            out.push_str(recorded);
            out.push('\n');
        }
        out
    }
}

impl SiteReport {
    /// Says on stderr that undelivered requests could not be saved, and why; in text
    /// output, prints them there too (the JSON report holds them).
    #[allow(clippy::print_stderr)]
    fn print_unsaved(&self, output: Output) {
        let (Some(why), Some(requests)) = (&self.outbox_error, &self.undelivered) else {
            return;
        };
        let name = self.site.as_deref().unwrap_or("jira");
        let mut text = format!(
            "jira-send: error: {name}: {} could not be saved ({why}); ",
            count(requests.len(), "undelivered request", "undelivered requests")
        );
        if output == Output::Json {
            text.push_str("they are in the JSON report (\"undelivered\")\n");
        } else {
            text.push_str("here they are, to send later with `jira-send send FILE`:\n");
            for request in requests {
                text.push_str(&format!("{} {}\n", request.method, request.url));
                if let Some(body) = &request.body {
                    text.push_str(&serde_json::to_string(body).expect("serializes"));
                    text.push('\n');
                }
            }
        }
        eprint!("{}", lines(&mask::mask(&text)));
    }

    fn text(&self, (one, many): (&str, &str), out: &mut String) {
        let name = self.site.as_deref().unwrap_or("(no site configured)");
        match &self.requests {
            Requests::Planned(requests) => {
                out.push_str(&format!(
                    "dry run for {name}: {} (nothing sent)\n",
                    count(requests.len(), "request", "requests")
                ));
                for request in requests {
                    out.push_str(&format!("{} {}\n", request.method, request.url));
                    if let Some(body) = &request.body {
                        let body = serde_json::to_string_pretty(body).expect("serializes");
                        out.push_str(&format!("{body}\n"));
                    }
                }
            }
            Requests::Sent(sent) => {
                out.push_str(&format!(
                    "{name}: {} accepted, {} rejected ({})\n",
                    count(self.accepted.len(), one, many),
                    self.rejected.len(),
                    answered(*sent, self.unanswered)
                ));
                list(&self.accepted, "accepted", out, |key| {
                    format!("  accepted  {}\n", describe_key(key))
                });
                list(&self.rejected, "rejected", out, |rejection| {
                    format!(
                        "  rejected  {}: {}\n",
                        describe_key(&rejection.key),
                        escape(&rejection.errors.join("; "))
                    )
                });
                if !self.unknown_issue_keys.is_empty() {
                    out.push_str(&format!(
                        "  unknown issue keys (not in this Jira site): {}\n",
                        escape(&self.unknown_issue_keys.join(", "))
                    ));
                }
                if let Some(error) = &self.error {
                    out.push_str(&format!("  error: {}\n", escape(error)));
                }
                if let Some(path) = &self.outbox {
                    out.push_str(&format!("  saved to the outbox: {path}\n"));
                }
                if let Some(why) = &self.outbox_error {
                    out.push_str(&format!("  NOT saved: {why}\n"));
                }
                if let Some(queued) = &self.from_outbox {
                    out.push_str(&format!(
                        "  delivered from the outbox first: {}, {} accepted, {} rejected\n",
                        count(queued.requests, "request", "requests"),
                        count(queued.accepted.len(), one, many),
                        queued.rejected.len()
                    ));
                }
            }
        }
    }
}

/// How many accepted (and how many rejected) entities the text lists, one a line: a
/// backfill's thousands would bury the summary. The JSON report lists every one.
const LISTED: usize = 20;

/// The first [`LISTED`] of `items`, one a line, then how many more there are (all of
/// them when only one more is left: "… and 1 more" would save no line).
fn list<T>(items: &[T], what: &str, out: &mut String, line: impl Fn(&T) -> String) {
    let shown = if items.len() > LISTED + 1 {
        LISTED
    } else {
        items.len()
    };
    for item in &items[..shown] {
        out.push_str(&line(item));
    }
    if shown < items.len() {
        out.push_str(&format!(
            "  … and {} more {what} (--output json lists every one)\n",
            items.len() - shown
        ));
    }
}

/// "1 request", or when some got no answer, "0 of 1 request answered".
fn answered(answered: usize, unanswered: usize) -> String {
    match unanswered {
        0 => count(answered, "request", "requests"),
        _ => format!(
            "{answered} of {} answered",
            count(answered + unanswered, "request", "requests")
        ),
    }
}

/// `pipelineId=acme/app buildNumber=42`: a key as the server gave it, on one line.
fn describe_key(key: &Value) -> String {
    let text = match key {
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    escape(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{Outcome, Rejection};
    use crate::keys::KeySet;
    use serde_json::json;

    /// A backfill of 250 builds, 30 of them rejected: the text lists the first few of
    /// each and says how many more; the JSON report keeps every one.
    #[test]
    fn a_large_send_lists_a_few_entities_and_counts_the_rest() {
        let outcome = Outcome {
            accepted: (1..=220)
                .map(|n| json!({"pipelineId": "p", "buildNumber": n}))
                .collect(),
            rejected: (221..=250)
                .map(|n| Rejection {
                    key: json!({"pipelineId": "p", "buildNumber": n}),
                    errors: vec!["no".into()],
                })
                .collect(),
            unknown_issue_keys: Default::default(),
        };
        let keys = KeySet::default();
        let mut report = Report::new("send", false, &keys);
        report.api = Some(Api::Builds);
        report.sites = vec![SiteReport::sent(Some("acme".into()), None, 3, outcome, None)];
        let text = report.text();
        assert_eq!(text.matches("  accepted  ").count(), LISTED, "{text}");
        assert_eq!(text.matches("  rejected  ").count(), LISTED, "{text}");
        assert!(text.contains("acme: 220 builds accepted, 30 rejected"), "{text}");
        assert!(
            text.contains(&format!("… and {} more accepted", 220 - LISTED)),
            "{text}"
        );
        assert!(
            text.contains(&format!("… and {} more rejected", 30 - LISTED)),
            "{text}"
        );
        assert!(
            text.contains("buildNumber=1\n") && !text.contains("buildNumber=220\n"),
            "{text}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["sites"][0]["accepted"].as_array().unwrap().len(), 220);
        assert_eq!(json["sites"][0]["rejected"].as_array().unwrap().len(), 30);

        let few = Outcome {
            accepted: (1..=LISTED + 1).map(|n| json!({"buildNumber": n})).collect(),
            ..Outcome::default()
        };
        let mut report = Report::new("send", false, &keys);
        report.sites = vec![SiteReport::sent(Some("acme".into()), None, 1, few, None)];
        // One more is listed rather than counted: "… and 1 more" saves no line.
        assert_eq!(report.text().matches("  accepted  ").count(), LISTED + 1);
    }
}
