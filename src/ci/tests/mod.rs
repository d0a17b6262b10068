//! Every CI system, from recorded jobs (`recorded/`, see its README): the variables a
//! real job has, as the vendor documents them, and the context derived from them.
//!
//! The rules checked for every job: it is recognised; the pipeline id is stable (no
//! run-unique value in it); the build number is an integer; every URL is one Jira
//! accepts; every value has a recorded source, which `jira-send env` shows; and
//! credentials in the job's URLs change nothing and go nowhere.

mod jobs;
mod systems;

use super::{CiContext, detect};
use crate::env::Env;
use jobs::Commits;

/// The commit ids the recorded jobs name (see `recorded/README.md`).
pub(super) const HEAD: &str = "1111111111111111111111111111111111111111";
pub(super) const MERGE: &str = "2222222222222222222222222222222222222222";
pub(super) const BASE: &str = "3333333333333333333333333333333333333333";
pub(super) const BEFORE: &str = "4444444444444444444444444444444444444444";

/// The recorded job `name`, copied into a temporary directory (which the returned
/// guard keeps), with its placeholders replaced.
pub(super) fn recorded(name: &str) -> (tempfile::TempDir, Env) {
    recorded_edited(name, str::to_owned)
}

/// [`recorded`], every file's text passed through `edit` first.
fn recorded_edited(name: &str, edit: impl Fn(&str) -> String) -> (tempfile::TempDir, Env) {
    let dir = tempfile::tempdir().unwrap();
    let commits = Commits {
        head: HEAD,
        merge: MERGE,
        base: BASE,
        before: BEFORE,
    };
    let env = jobs::load(name, dir.path(), &commits, edit).into_iter().collect();
    (dir, env)
}

pub(super) fn job(name: &str) -> CiContext {
    let (_dir, env) = recorded(name);
    detect(&env).unwrap_or_else(|| panic!("{name} is not recognised"))
}

#[test]
fn every_recorded_job_follows_the_rules() {
    let jobs = jobs::names();
    assert!(jobs.len() >= 19, "{jobs:?}");
    let mut without_urls = Vec::new();
    for name in &jobs {
        let (_dir, env) = recorded(name);
        let ctx = detect(&env).unwrap_or_else(|| panic!("{name} is not recognised"));
        assert!(ctx.build_number.is_some(), "{name}: an integer build number");
        // Run-unique values (run ids, job ids, uuids) never reach a pipeline id.
        let pipeline_id = ctx.pipeline_id.clone().unwrap_or_default();
        for (variable, value) in env.iter() {
            let unique = [
                "RUN_ID",
                "BUILD_ID",
                "BUILDID",
                "PIPELINE_ID",
                "JOB_ID",
                "UUID",
                "WORKFLOW_ID",
            ]
            .iter()
            .any(|u| variable.ends_with(u));
            if unique && value.len() > 3 {
                assert!(
                    !pipeline_id.contains(&value),
                    "{name}: {variable} in {pipeline_id}"
                );
            }
        }
        let urls = [&ctx.run_url, &ctx.pipeline_url, &ctx.repository_url]
            .into_iter()
            .chain(ctx.pull_request.as_ref().map(|pr| &pr.url))
            .flatten();
        for url in urls {
            let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{name}: {url}: {e}"));
            assert_eq!(parsed.scheme(), "https", "{name}: {url}");
            assert!(url.is_ascii() && !url.contains(' '), "{name}: {url}");
        }
        let json = serde_json::to_value(&ctx).unwrap();
        for (field, value) in json.as_object().unwrap() {
            if !value.is_null() && field != "sources" {
                assert!(
                    json["sources"].get(field).is_some(),
                    "{name}: no source for {field}"
                );
            }
        }
        // Credentials in any of the job's URLs (variables, event file, properties
        // files) change nothing: every value is what it is without them.
        let injected = std::cell::Cell::new(false);
        let (_dir, env) = recorded_edited(name, |text| {
            let edited = jobs::with_credentials(text);
            injected.set(injected.get() || edited != text);
            edited
        });
        if !injected.get() {
            without_urls.push(name.as_str());
        }
        let with = detect(&env).unwrap_or_else(|| panic!("{name} with credentials is not recognised"));
        let with = serde_json::to_value(&with).unwrap();
        assert!(
            !with.to_string().contains(jobs::INJECTED_SECRET),
            "{name}: {with:#}"
        );
        assert_eq!(
            with, json,
            "{name}: credentials in its URLs changed what is derived"
        );
    }
    // Only a Jenkins without a configured URL has none (its remote is scp-like).
    assert_eq!(without_urls, ["jenkins-no-url"]);
}
