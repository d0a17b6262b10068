//! `env`'s report: what jira-send detected and resolved, as indented `key: value` text
//! or as JSON. A run that fails before it can show anything (a setting that does not
//! parse) prints the same JSON object, empty, with `error`.

use serde_json::{Value, json};

use super::{print_json, print_text};
use crate::ci::CiContext;
use crate::error::Exit;
use crate::settings::{Output, Settings};

/// What `env` shows.
#[derive(Debug)]
pub struct Shown<'a> {
    pub settings: &'a Settings,
    pub ci: Option<CiContext>,
    /// What a run here would use, and where each value came from.
    pub derived: Value,
    /// Each site, its cloud id and its credentials, masked.
    pub sites: Vec<Value>,
}

impl Shown<'_> {
    /// Prints what is shown; `env` always succeeds.
    pub fn print(&self) -> Exit {
        let exit = Exit::Success;
        let json = json(Some(self), self.settings.dry_run, None, exit);
        match self.settings.output {
            Output::Json => print_json(&json),
            Output::Text => print_text(&text(&json)),
        }
        exit
    }
}

/// env's JSON: what `shown` holds, or for a run that failed before it could show
/// anything (`None`), the same fields empty, with `error`.
pub fn json(shown: Option<&Shown<'_>>, dry_run: bool, error: Option<&str>, exit: Exit) -> Value {
    let settings = shown.map(|s| s.settings);
    let dir = |d: &Option<std::path::PathBuf>| d.as_ref().map(|p| p.display().to_string());
    let mut json = json!({
        "command": "env",
        "ci": shown.and_then(|s| s.ci.as_ref()),
        "derived": shown.map(|s| &s.derived),
        "sites": shown.map_or(&[][..], |s| &s.sites),
        "apiUrl": settings.map(|s| s.api_url.as_str()),
        "tokenUrl": settings.map(|s| s.token_url.as_str()),
        "cacheDir": settings.and_then(|s| dir(&s.cache_dir)),
        "outboxDir": settings.and_then(|s| dir(&s.outbox_dir)),
        "dryRun": dry_run,
        "failOn": settings.map(|s| s.fail_on),
        "timeout": settings.map(|s| humantime::format_duration(s.timeout).to_string()),
        "repo": settings.and_then(|s| dir(&s.repo)),
    });
    if let Some(error) = error {
        json["error"] = json!(error);
    }
    json["exitCode"] = json!(exit);
    json
}

/// A derived value on one line: `main (from GITHUB_HEAD_REF)`.
fn derived_line(value: &Value) -> Option<String> {
    let fields = value.as_object()?;
    if fields.len() != 2 {
        return None;
    }
    let from = fields.get("from")?.as_str()?;
    let value = match fields.get("value")? {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(format!("{value}  (from {from})"))
}

/// The JSON as indented `key: value` lines, without what only scripts need (the
/// command's name and the exit code).
fn text(json: &Value) -> String {
    fn walk(value: &Value, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent);
        match value {
            Value::Object(fields) => {
                for (key, value) in fields {
                    if let Some(line) = derived_line(value) {
                        out.push_str(&format!("{pad}{key}: {line}\n"));
                        continue;
                    }
                    match value {
                        Value::Object(_) | Value::Array(_) => {
                            out.push_str(&format!("{pad}{key}:\n"));
                            walk(value, indent + 1, out);
                        }
                        Value::Null => out.push_str(&format!("{pad}{key}: -\n")),
                        Value::String(s) => out.push_str(&format!("{pad}{key}: {s}\n")),
                        other => out.push_str(&format!("{pad}{key}: {other}\n")),
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    out.push_str(&format!("{pad}-\n"));
                    walk(item, indent + 1, out);
                }
            }
            other => out.push_str(&format!("{pad}{other}\n")),
        }
    }
    let mut shown = json.clone();
    if let Some(fields) = shown.as_object_mut() {
        // shift_remove keeps the order (remove would move the last field first).
        fields.shift_remove("command");
        fields.shift_remove("exitCode");
        // Lines a reader could misread: `repo` is only the option, not the repository
        // found (that is derived.root); an empty `sites` needs a way out.
        if fields.get("repo").is_some_and(Value::is_null) {
            fields.insert(
                "repo".into(),
                json!(
                    "- (--repo, JIRA_SEND_REPO: not set; the repository is found from the working directory)"
                ),
            );
        }
        if fields
            .get("sites")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
        {
            fields.insert(
                "sites".into(),
                json!("- (none configured: set JIRA_SITE or pass --site)"),
            );
        }
    }
    let mut out = String::new();
    walk(&shown, 0, &mut out);
    out
}
