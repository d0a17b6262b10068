//! `gate`'s report: the gating status Jira gave a deployment, as text or JSON, and the
//! exit code it makes.

use serde_json::{Value, json};

use super::{print_json, print_text};
use crate::error::Exit;
use crate::settings::Output;

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

    /// Prints the status of the deployment `subject` (`{"pipelineId", "environmentId",
    /// "deploymentSequenceNumber"}`) at `site`; returns the exit code it makes.
    pub fn print(&self, output: Output, site: &str, cloud_id: Option<&str>, subject: &Value) -> Exit {
        let exit = self.exit();
        match output {
            Output::Json => print_json(&json!({
                "command": "gate",
                "dryRun": false,
                "site": site,
                "cloudId": cloud_id,
                "deployment": subject,
                "gatingStatus": self.status,
                "updatedTimestamp": self.answer.get("updatedTimestamp"),
                "details": self.details(),
                "polls": self.polls,
                "exitCode": exit,
            })),
            Output::Text => print_text(&self.text(subject, site)),
        }
        exit
    }

    fn text(&self, subject: &Value, site: &str) -> String {
        let key = |name: &str| match &subject[name] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let mut text = format!(
            "{site}: deployment {} of {} to {}: {}\n",
            key("deploymentSequenceNumber"),
            key("pipelineId"),
            key("environmentId"),
            self.status
        );
        for detail in self.details() {
            let field = |name: &str| detail.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
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
