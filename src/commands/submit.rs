//! `jira-send send FILE…`: payload files sent as they are, whatever their size. The
//! entities of each file are split into requests within the API's per-request limit,
//! each carrying the file's other fields (properties, provider metadata); every
//! request is validated before the first is sent.

use serde_json::Value;

use super::{make_calls, validate};
use crate::api::Api;
use crate::cli::SendArgs;
use crate::clock::Clock;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::keys::KeySet;
use crate::report::Report;
use crate::schema::{self, Violation};
use crate::send::Call;
use crate::settings::Settings;

pub fn run(args: &SendArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let mut calls = Vec::new();
    let mut api = None;
    for path in &args.files {
        let body: Value = serde_json::from_slice(&validate::read(path)?).map_err(|e| {
            Error::Invalid(vec![Violation {
                pointer: String::new(),
                message: format!("{}: not JSON: {e}", path.display()),
            }])
        })?;
        let file_api = Api::of_body(&body).ok_or_else(|| {
            Error::usage(format!(
                "{}: not a builds, deployments, devinfo or feature-flags body",
                path.display()
            ))
        })?;
        for request in split(file_api, &body) {
            schema::validate(file_api, &request)?;
            calls.push(Call::bulk(file_api, request));
        }
        api = api.or(Some(file_api));
    }
    let keys = KeySet::default();
    let mut report = Report::new("send", settings.dry_run, &keys);
    report.api = api;
    make_calls(report, settings, env, clock, calls)
}

/// `body` as requests of at most the API's entities each.
fn split(api: Api, body: &Value) -> Vec<Value> {
    let key = api.entities_key();
    let entities = body
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if entities.len() <= api.max_entities() {
        return vec![body.clone()];
    }
    entities
        .chunks(api.max_entities())
        .map(|chunk| {
            let mut request = body.clone();
            request[key] = Value::Array(chunk.to_vec());
            request
        })
        .collect()
}
