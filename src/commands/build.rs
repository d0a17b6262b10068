//! `jira-send build`: one build, sent to every site.

use super::{nothing_to_send, validate_and_send};
use crate::api::Api;
use crate::cli::BuildArgs;
use crate::clock::Clock;
use crate::context::RunContext;
use crate::env::{Env, vars};
use crate::error::{Error, Exit, Result};
use crate::keys::collect;
use crate::payload::build::{BranchRef, BuildInput, CommitRef, TestInfo, build};
use crate::payload::{BuildState, Envelope, update_sequence};
use crate::report::Report;
use crate::settings::Settings;

pub fn run(args: &BuildArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let ctx = RunContext::gather(settings, env)?;
    let found = collect(&args.keys.options(), &ctx, None)?;
    if found.keys.is_empty() {
        let report = Report::new("build", settings.dry_run, &found.keys);
        return nothing_to_send(report, settings, env, found.nothing_found());
    }

    let pipeline_id = ctx.pipeline_id(args.pipeline_id.as_deref())?;
    let pipeline_name = ctx.pipeline_name(None, &pipeline_id);
    let build_number = ctx.number(args.build_number, "--build-number", vars::JIRA_SEND_BUILD_NUMBER)?;
    let url = ctx.run_url(args.url.as_deref(), "--url")?;
    let branch = found.branch.clone().or_else(|| ctx.branch(None));
    let now = clock.now();
    let input = BuildInput {
        display_name: args
            .display_name
            .clone()
            .unwrap_or_else(|| format!("{pipeline_name} #{build_number}")),
        description: args.description.clone(),
        label: args
            .label
            .clone()
            .or_else(|| branch.clone())
            .or_else(|| ctx.tag()),
        url,
        state: args
            .state
            .or_else(|| ctx.ci.as_ref()?.state.map(BuildState::from))
            .unwrap_or(BuildState::Successful),
        last_updated: now,
        update_sequence_number: args
            .update_sequence_number
            .unwrap_or_else(|| update_sequence(now)),
        issue_keys: found.keys.keys().to_vec(),
        tests: tests(args)?,
        commit: ctx.commit().map(|id| CommitRef {
            id,
            repository_uri: ctx
                .repository_url()
                .or_else(|| ctx.repository())
                .unwrap_or_default(),
        }),
        branch: ctx
            .reference(branch.as_deref())
            .map(|(name, uri)| BranchRef { name, uri }),
        pipeline_id: pipeline_id.clone(),
        build_number,
    };
    let envelope = Envelope::new(ctx.system(), ctx.repository().as_deref(), Some(&pipeline_id));
    let bodies = envelope.bodies(Api::Builds, &[build(&input)]);
    let report = Report::new("build", settings.dry_run, &found.keys);
    validate_and_send(report, settings, env, clock, Api::Builds, bodies)
}

/// `testInfo` from JUnit reports and `--tests-*`: the flags override the reports;
/// any count given makes a test summary, and the others are derived where they can be
/// (passed = total − failed − skipped).
fn tests(args: &BuildArgs) -> Result<Option<TestInfo>> {
    let reports = if args.junit.is_empty() {
        None
    } else {
        crate::junit::read(&args.junit)
    };
    let total = args.tests_total.or(reports.map(|r| r.total));
    let failed = args.tests_failed.or(reports.map(|r| r.failed));
    let skipped = args.tests_skipped.or(reports.map(|r| r.skipped));
    let passed = args.tests_passed;
    if total.is_none() && passed.is_none() && failed.is_none() && skipped.is_none() {
        return Ok(None);
    }
    let failed = failed.unwrap_or(0);
    let skipped = skipped.unwrap_or(0);
    let total = total.unwrap_or_else(|| passed.unwrap_or(0) + failed + skipped);
    let passed = match passed {
        Some(passed) => passed,
        None => total.checked_sub(failed + skipped).ok_or_else(|| {
            Error::usage(format!(
                "--tests-failed {failed} and --tests-skipped {skipped} exceed --tests-total {total}"
            ))
        })?,
    };
    if passed + failed + skipped > total {
        return Err(Error::usage(format!(
            "test counts do not add up: {passed} passed + {failed} failed + {skipped} skipped > {total} total"
        )));
    }
    Ok(Some(TestInfo {
        total_number: total,
        number_passed: passed,
        number_failed: failed,
        number_skipped: skipped,
    }))
}
