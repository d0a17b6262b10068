//! `doctor`'s report: each check's verdict, as text or JSON, and the exit code they
//! make together (the worst of them).

use serde::Serialize;
use serde_json::{Value, json};

use super::{print_json, print_text};
use crate::error::{Error, Exit};
use crate::settings::Output;

/// One check's verdict.
#[derive(Debug, Serialize)]
pub struct Check {
    check: String,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
    #[serde(skip)]
    exit: Exit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warning,
    Fail,
}

impl Check {
    /// `check` passed: `detail` says what it saw.
    pub fn ok(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(check, Status::Ok, detail, None, Exit::Success)
    }

    /// `check` found something to fix that does not stop a report.
    pub fn warn(check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(check, Status::Warning, detail, Some(fix.into()), Exit::Success)
    }

    /// `check` failed with `error`, whose exit code it takes.
    pub fn fail(check: impl Into<String>, error: &Error, fix: impl Into<String>) -> Self {
        Self::new(
            check,
            Status::Fail,
            error.to_string(),
            Some(fix.into()),
            error.exit(),
        )
    }

    fn new(
        check: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
        exit: Exit,
    ) -> Self {
        Self {
            check: check.into(),
            status,
            detail: detail.into(),
            fix,
            exit,
        }
    }

    /// Whether the check failed (the checks that depend on it are not made).
    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}

/// The verdicts of one `doctor` run, in the order the checks were made.
#[derive(Debug, Default)]
pub struct Checks(Vec<Check>);

impl Checks {
    pub fn push(&mut self, check: Check) {
        self.0.push(check);
    }

    /// The exit code: the worst check's.
    pub fn exit(&self) -> Exit {
        self.0.iter().fold(Exit::Success, |worst, c| worst.worst(c.exit))
    }

    /// Prints every verdict, with the fix of each that did not pass.
    pub fn print(&self, output: Output) {
        match output {
            Output::Json => print_json(&json(&self.0, None, self.exit())),
            Output::Text => {
                let mut text = String::new();
                for check in &self.0 {
                    let mark = match check.status {
                        Status::Ok => "ok  ",
                        Status::Warning => "warn",
                        Status::Fail => "FAIL",
                    };
                    text.push_str(&format!("{mark}  {}: {}\n", check.check, check.detail));
                    if let (Some(fix), false) = (&check.fix, check.status == Status::Ok) {
                        text.push_str(&format!("      fix: {fix}\n"));
                    }
                }
                print_text(&text);
            }
        }
    }
}

/// doctor's JSON: `{"command": "doctor", "checks": [...], "exitCode"}`, and `error` for
/// a run that failed before its checks could be made (then `checks` is empty).
pub fn json(checks: &[Check], error: Option<&str>, exit: Exit) -> Value {
    let mut json = json!({"command": "doctor", "checks": checks});
    if let Some(error) = error {
        json["error"] = json!(error);
    }
    json["exitCode"] = json!(exit);
    json
}

impl Extend<Check> for Checks {
    fn extend<I: IntoIterator<Item = Check>>(&mut self, checks: I) {
        self.0.extend(checks);
    }
}
