//! `jira-send validate FILE`: checks a payload file against the bundled schemas and
//! the API limits, offline.

use std::io::{Read as _, Write as _};
use std::path::Path;

use serde_json::{Value, json};

use crate::cli::{Output, ValidateArgs};
use crate::error::{Error, Exit, Result};
use crate::schema::{self, Violation};
use crate::settings::Settings;

pub fn run(args: &ValidateArgs, settings: &Settings) -> Result<Exit> {
    let name = args.file.display().to_string();
    let bytes = read(&args.file)?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Invalid(vec![Violation {
            pointer: String::new(),
            message: format!("not JSON: {e}"),
        }])
    })?;
    let api = schema::validate_any(&body)?;
    let count = body[api.entities_key()].as_array().map_or(0, Vec::len);
    let text = match settings.output {
        Output::Json => {
            let json = json!({"file": name, "api": api, "entities": count, "valid": true, "exitCode": 0});
            format!("{}\n", serde_json::to_string_pretty(&json).expect("serializes"))
        }
        Output::Text => format!("{name}: a valid {api} request ({count} {})\n", api.entities_key()),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(Exit::Success)
}

pub(super) fn read(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Read {
                path: path.to_owned(),
                source,
            })?;
        return Ok(bytes);
    }
    fs_err::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })
}
