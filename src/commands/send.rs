//! `jira-send send FILE…`: payload files sent as they are, whatever their size. Each
//! file is split into requests within the API's limits exactly as `validate` checks
//! it, and every request of every file is checked before the first is sent.

use super::{make_calls, validate};
use crate::api::{Api, Call};
use crate::cli::SendArgs;
use crate::clock::Clock;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::keys::KeySet;
use crate::report::Report;
use crate::settings::Settings;

pub fn run(args: &SendArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let mut calls = Vec::new();
    let mut api: Option<Api> = None;
    let several = args.files.len() > 1;
    for path in &args.files {
        let prepared = validate::prepare(validate::read_json(path, settings.timeout)?);
        let file_api = match prepared.api {
            Some(file_api) if prepared.violations.is_empty() => file_api,
            _ => {
                let mut violations = prepared.violations;
                if several {
                    for violation in &mut violations {
                        violation.message = format!("{}: {}", path.display(), violation.message);
                    }
                }
                return Err(Error::Invalid(violations));
            }
        };
        calls.extend(
            prepared
                .requests
                .into_iter()
                .map(|request| Call::bulk(file_api, request)),
        );
        api = api.or(Some(file_api));
    }
    let keys = KeySet::default();
    let mut report = Report::new("send", settings.dry_run, &keys);
    report.api = api;
    make_calls(report, settings, env, clock, calls)
}
