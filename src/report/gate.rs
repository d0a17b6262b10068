//! `gate`'s report: the gating status Jira gave a deployment, as text or JSON, and the
//! exit code it makes. A run that fails prints the same JSON object, with what it knew
//! (the deployment, the site) and `error`.

use serde_json::{Value, json};

use super::{print_error, print_json, print_text};
use crate::error::{Error, Exit};
use crate::printable::escape;
use crate::settings::Output;

/// The deployment asked about, and where.
#[derive(Debug, Default)]
pub struct Gate {
    pub site: Option<String>,
    pub cloud_id: Option<String>,
    /// `{"pipelineId", "environmentId", "deploymentSequenceNumber"}`; `null` when the
    /// run failed before it knew.
    pub deployment: Value,
}

impl Gate {
    /// Prints `status`; returns the exit code it makes.
    pub fn print(&self, output: Output, status: &GateStatus) -> Exit {
        let exit = status.exit();
        match output {
            Output::Json => print_json(&self.json(Some(status), None, exit)),
            Output::Text => {
                let site = self.site.as_deref().unwrap_or("jira");
                print_text(&status.text(&self.deployment, site));
            }
        }
        exit
    }

    /// Prints `error`, which ended the run: on stderr, and under `--output json` as the
    /// gate's object; returns its exit code.
    pub fn failed(&self, output: Output, error: &Error) -> Exit {
        print_error(error);
        let exit = error.exit();
        if output == Output::Json {
            print_json(&self.json(None, Some(&error.to_string()), exit));
        }
        exit
    }

    /// gate's JSON: the same fields whatever happened; `error` when the run failed.
    pub fn json(&self, status: Option<&GateStatus>, error: Option<&str>, exit: Exit) -> Value {
        let mut json = json!({
            "command": "gate",
            "dryRun": false,
            "site": self.site,
            "cloudId": self.cloud_id,
            "deployment": self.deployment,
            "gatingStatus": status.map(|s| &s.status),
            "updatedTimestamp": status.and_then(|s| s.answer.get("updatedTimestamp")),
            "details": status.map(GateStatus::details).unwrap_or_default(),
            "polls": status.map(|s| s.polls),
        });
        if let Some(error) = error {
            json["error"] = json!(error);
        }
        json["exitCode"] = json!(exit);
        json
    }
}

/// The last gating status read.
#[derive(Debug)]
pub struct GateStatus {
    /// `allowed`, `prevented`, `awaiting`, `invalid` (or `expired`), as Jira said it.
    pub status: String,
    pub answer: Value,
    pub polls: u32,
}

impl GateStatus {
    /// Whether Jira has decided: anything but `awaiting`.
    pub fn decided(&self) -> bool {
        self.status != "awaiting"
    }

    /// Exit 0 for `allowed`, 5 for `prevented` or `expired`, 6 for `awaiting`, 1 for
    /// anything else (`invalid`).
    pub fn exit(&self) -> Exit {
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

    fn text(&self, subject: &Value, site: &str) -> String {
        // What the server said is printed escaped, on its line.
        let key = |name: &str| match &subject[name] {
            Value::String(text) => escape(text).into_owned(),
            other => other.to_string(),
        };
        let mut text = format!(
            "{site}: deployment {} of {} to {}: {}\n",
            key("deploymentSequenceNumber"),
            key("pipelineId"),
            key("environmentId"),
            escape(&self.status)
        );
        for detail in self.details() {
            let field =
                |name: &str| escape(detail.get(name).and_then(Value::as_str).unwrap_or("")).into_owned();
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
