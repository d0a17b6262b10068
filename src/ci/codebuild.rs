//! AWS CodeBuild.
//!
//! Variables: <https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html>.
//! `CODEBUILD_BUILD_ID` is `project:uuid`: the project is the pipeline, and
//! `CODEBUILD_BUILD_NUMBER` counts its builds. Webhook builds name the head and base
//! refs and the previous commit.
//!
//! A build started by hand (or by CodePipeline) has no webhook variables; what it built
//! is `CODEBUILD_SOURCE_VERSION`, which for git sources is "the commit ID, pull request
//! ID, branch name, or tag name" (the docs), written as a commit id, `pr/25`, a bare
//! name, `refs/heads/…`, `refs/tags/…`, `refs/pull/1/head`, each optionally followed by
//! `^{sha}` (<https://docs.aws.amazon.com/codebuild/latest/userguide/sample-source-version.html>).
//! The docs do not say whether a bare name is a branch or a tag; it is taken as a
//! branch, the common case (write `refs/tags/v1` to build a tag).

use serde::Deserialize;

use super::vars::{as_number, branch_name, first, number, real_commit, tag_name, variables};
use super::{CiContext, CiState, Field, PullRequest};
use crate::env::Env;
use crate::remote::Remote;

#[derive(Debug, Default, Deserialize)]
struct Vars {
    codebuild_build_id: Option<String>,
    codebuild_build_arn: Option<String>,
    #[serde(default, deserialize_with = "as_number")]
    codebuild_build_number: Option<u64>,
    codebuild_resolved_source_version: Option<String>,
    codebuild_source_repo_url: Option<String>,
    codebuild_source_version: Option<String>,
    codebuild_webhook_head_ref: Option<String>,
    codebuild_webhook_base_ref: Option<String>,
    codebuild_webhook_trigger: Option<String>,
    codebuild_webhook_prev_commit: Option<String>,
    codebuild_webhook_event: Option<String>,
    codebuild_build_succeeding: Option<String>,
    aws_region: Option<String>,
}

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    env.get("CODEBUILD_BUILD_ID")?;
    let vars: Vars = variables(env, "");
    let build_id = vars.codebuild_build_id.clone().unwrap_or_default();
    let project = build_id
        .split(':')
        .next()
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    // arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>
    let arn: Vec<&str> = vars
        .codebuild_build_arn
        .as_deref()
        .unwrap_or("")
        .split(':')
        .collect();
    let region = vars
        .aws_region
        .clone()
        .or_else(|| arn.get(3).map(|r| (*r).to_owned()));
    let account = arn.get(4).map(|a| (*a).to_owned());
    let console = match (&region, &account, &project) {
        (Some(region), Some(account), Some(project)) => Some(format!(
            "https://{region}.console.aws.amazon.com/codesuite/codebuild/{account}/projects/{project}"
        )),
        _ => None,
    };
    let run_url = console.as_ref().map(|c| {
        format!(
            "{c}/build/{}?region={}",
            build_id.replace(':', "%3A"),
            region.as_deref().unwrap_or("")
        )
    });
    // An S3 source (`s3://bucket/key.zip`) has an object version here, not a git name.
    let git_source = !vars
        .codebuild_source_repo_url
        .as_deref()
        .is_some_and(|url| url.starts_with("s3://"));
    let source = vars
        .codebuild_source_version
        .as_deref()
        .filter(|_| git_source)
        .map(|v| SourceVersion::parse(v, vars.codebuild_resolved_source_version.as_deref()));
    let pr_number = vars
        .codebuild_webhook_trigger
        .as_deref()
        .and_then(|t| number(t.strip_prefix("pr/")))
        .or(match source {
            Some(SourceVersion::PullRequest(n)) => Some(n),
            _ => None,
        });
    let remote = vars.codebuild_source_repo_url.as_deref().and_then(Remote::parse);
    let head = vars
        .codebuild_webhook_head_ref
        .as_deref()
        .map(|r| branch_name(r).to_owned());
    let pull_request = pr_number.map(|n| PullRequest {
        number: Some(n),
        title: None,
        source_branch: head.clone(),
        target_branch: vars
            .codebuild_webhook_base_ref
            .as_deref()
            .map(|r| branch_name(r).to_owned()),
        url: remote.as_ref().map(|r| r.pull_request_url(n)),
        author: None,
    });
    // A webhook build names its branch or tag in the trigger (`branch/…`, `tag/…`); a
    // build started by hand, in what it was started for.
    let trigger = |kind: &str| {
        vars.codebuild_webhook_trigger
            .as_deref()
            .and_then(|t| t.strip_prefix(kind))
            .map(str::to_owned)
    };
    let by_hand = source
        .as_ref()
        .filter(|_| vars.codebuild_webhook_trigger.is_none());
    let (branch, branch_from) = first([
        (
            "CODEBUILD_WEBHOOK_HEAD_REF",
            head.filter(|h| !h.starts_with("refs/")),
        ),
        ("CODEBUILD_WEBHOOK_TRIGGER", trigger("branch/")),
        (
            "CODEBUILD_SOURCE_VERSION",
            by_hand.and_then(SourceVersion::branch),
        ),
    ]);
    let (tag, tag_from) = first([
        ("CODEBUILD_WEBHOOK_TRIGGER", trigger("tag/")),
        ("CODEBUILD_SOURCE_VERSION", by_hand.and_then(SourceVersion::tag)),
    ]);
    let state = vars.codebuild_build_succeeding.as_deref().map(|s| {
        if s.trim() == "1" {
            CiState::Successful
        } else {
            CiState::Failed
        }
    });
    Some(
        CiContext {
            system: "AWS CodeBuild",
            pipeline_name: project.clone(),
            pipeline_id: project,
            pipeline_url: console,
            build_number: vars.codebuild_build_number,
            run_url,
            branch,
            tag,
            commit: vars.codebuild_resolved_source_version,
            range_base: real_commit(vars.codebuild_webhook_prev_commit),
            pull_request,
            state,
            repository_url: remote.map(|r| r.web_url()),
            event: vars.codebuild_webhook_event,
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, "CODEBUILD_BUILD_ID"),
            (Field::PipelineId, "CODEBUILD_BUILD_ID (the project)"),
            (Field::PipelineName, "CODEBUILD_BUILD_ID (the project)"),
            (Field::PipelineUrl, "CODEBUILD_BUILD_ARN, AWS_REGION"),
            (Field::BuildNumber, "CODEBUILD_BUILD_NUMBER"),
            (Field::RunUrl, "CODEBUILD_BUILD_ARN, CODEBUILD_BUILD_ID"),
            (Field::Branch, branch_from),
            (Field::Tag, tag_from),
            (Field::Commit, "CODEBUILD_RESOLVED_SOURCE_VERSION"),
            (Field::RangeBase, "CODEBUILD_WEBHOOK_PREV_COMMIT"),
            (
                Field::PullRequest,
                "CODEBUILD_WEBHOOK_TRIGGER (or CODEBUILD_SOURCE_VERSION), CODEBUILD_WEBHOOK_HEAD_REF, \
                 CODEBUILD_WEBHOOK_BASE_REF",
            ),
            (Field::State, "CODEBUILD_BUILD_SUCCEEDING"),
            (Field::RepositoryUrl, "CODEBUILD_SOURCE_REPO_URL"),
            (Field::Event, "CODEBUILD_WEBHOOK_EVENT"),
        ]),
    )
}

/// What `CODEBUILD_SOURCE_VERSION` names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SourceVersion {
    Commit,
    Branch(String),
    Tag(String),
    PullRequest(u64),
}

impl SourceVersion {
    /// The branch, when it names one.
    fn branch(&self) -> Option<String> {
        match self {
            Self::Branch(name) => Some(name.clone()),
            _ => None,
        }
    }

    /// The tag, when it names one.
    fn tag(&self) -> Option<String> {
        match self {
            Self::Tag(name) => Some(name.clone()),
            _ => None,
        }
    }

    /// `resolved` (`CODEBUILD_RESOLVED_SOURCE_VERSION`, the commit built) tells an
    /// abbreviated commit id from a name.
    fn parse(version: &str, resolved: Option<&str>) -> Self {
        // `refs/heads/main^{sha}`: the reference, pinned to a commit.
        let version = version.split("^{").next().unwrap_or(version).trim();
        if let Some(n) = version.strip_prefix("pr/").and_then(|n| number(Some(n))) {
            return Self::PullRequest(n);
        }
        if let Some(n) = version
            .strip_prefix("refs/pull/")
            .and_then(|rest| number(rest.split('/').next()))
        {
            return Self::PullRequest(n);
        }
        if let Some(tag) = tag_name(version) {
            return Self::Tag(tag.to_owned());
        }
        let hex = version.len() >= 7 && version.bytes().all(|b| b.is_ascii_hexdigit());
        let is_resolved = resolved.is_some_and(|r| r.starts_with(version));
        if version.is_empty() || (hex && (is_resolved || version.len() == 40 || version.len() == 64)) {
            return Self::Commit;
        }
        Self::Branch(branch_name(version).to_owned())
    }
}
