//! `jira-send devinfo`: the repository, the commits of the range that carry issue
//! keys, the current branch and the pull request, as development information.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{nothing_to_send, required, validate_and_send};
use crate::api::Api;
use crate::cli::DevinfoArgs;
use crate::clock::Clock;
use crate::context::RunContext;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::git::Repo;
use crate::keys::{KeySet, Reader, Source, walk_range};
use crate::payload::devinfo::{
    BranchInput, CommitInput, MAX_FILES, PullRequestInput, RepositoryInput, bodies,
};
use crate::payload::{Envelope, update_sequence};
use crate::remote::Remote;
use crate::report::Report;
use crate::settings::Settings;

pub fn run(args: &DevinfoArgs, settings: &Settings, env: &Env, clock: &dyn Clock) -> Result<Exit> {
    let ctx = RunContext::gather(settings, env)?;
    let options = args.keys.options();
    if ctx.is_empty_repository() {
        let notice = "the git repository has no commits yet, so there is no development information to \
                      send";
        let keys = Reader::new(&options, &ctx)?.named().cloned().unwrap_or_default();
        let report = Report::new("devinfo", settings.dry_run, &keys);
        return nothing_to_send(report, settings, env, notice.into());
    }
    if !ctx.in_repository() {
        return Err(Error::usage(
            "devinfo describes a git repository: run it inside one or pass --repo PATH",
        ));
    }
    // A repository whose objects cannot be read (SHA-256) says so.
    let (repo, head) = ctx.history()?;
    let remote = match &args.repository_url {
        Some(url) => Some(Remote::parse(url).ok_or_else(|| {
            Error::usage(format!(
                "{} {url}: not an https URL of a repository",
                settings.origins.of("--repository-url")
            ))
        })?),
        None => ctx.remote.clone(),
    };
    let remote = required(remote, || {
        "the git remote is not a hosted repository, so commits cannot be linked: pass \
         --repository-url https://… (the repository's web page)"
            .into()
    })?;

    let reader = Reader::new(&options, &ctx)?;
    // Every key found, for the report; and the keys of the branch: its name's and its
    // commits'.
    let mut all = reader.named().cloned().unwrap_or_default();
    let mut branch_keys = KeySet::default();
    let branch = ctx.branch(options.branch.as_deref());
    if let Some(name) = &branch {
        reader.scan(&mut all, name.as_bytes(), || Source::Branch);
        reader.scan(&mut branch_keys, name.as_bytes(), || Source::Branch);
    }

    let mut commits = Vec::new();
    // Each commit is read again for its diff, and so is its parent.
    crate::git::cache_commits();
    // When no commit here is the run's (a pull request whose head is not checked out),
    // only the pull request is described: its branch has no commit to show either.
    let ours = ctx.reads_commits();
    if ours {
        walk_range(&options, &ctx, |id, raw| {
            let keys = reader.keys_in([(crate::git::message(raw), Source::Commit(id))]);
            if keys.is_empty() {
                return Ok(());
            }
            for key in &keys {
                if reader.named().is_none() {
                    all.add(key.as_bytes(), || Source::Commit(id));
                }
                branch_keys.add(key.as_bytes(), || Source::Commit(id));
            }
            commits.push(commit_input(repo, &repo.commit(id)?, keys)?);
            Ok(())
        })?;
    }

    let now = clock.now();
    let branch = match branch {
        Some(name) if ours && !branch_keys.is_empty() => {
            let last_commit = match commits.first().filter(|c| c.id == head.id.to_string()) {
                Some(commit) => commit.clone(),
                None => {
                    let commit = repo.commit(head.id)?;
                    let own = reader.keys_in([(commit.message_bytes(), Source::Commit(head.id))]);
                    // A commit entity needs at least one key; HEAD without its own
                    // carries its branch's.
                    let keys = if own.is_empty() {
                        branch_keys.keys().to_vec()
                    } else {
                        own
                    };
                    commit_input(repo, &commit, keys)?
                }
            };
            Some(BranchInput {
                name,
                last_commit,
                issue_keys: branch_keys.keys().to_vec(),
            })
        }
        _ => None,
    };
    let pull_request = pull_request(&ctx, &reader, &mut all, now);

    if commits.is_empty() && branch.is_none() && pull_request.is_none() {
        let notice = "no commit, branch or pull request of this run carries an issue key; nothing \
                      to send (name keys with --issue-key, or widen the range with --since)";
        let report = Report::new("devinfo", settings.dry_run, &all);
        return nothing_to_send(report, settings, env, notice.into());
    }

    let repository = RepositoryInput {
        id: args.repository_id.clone().unwrap_or_else(|| remote.devinfo_id()),
        name: args
            .repository_name
            .clone()
            .unwrap_or_else(|| remote.name().to_owned()),
        update_sequence_id: args.update_sequence_id.unwrap_or_else(|| update_sequence(now)),
        remote,
    };
    let envelope = Envelope::new(ctx.system(), ctx.repository().as_deref(), None);
    let mut bodies = bodies(
        &envelope,
        &repository,
        &commits,
        branch.as_ref(),
        pull_request.as_ref(),
    );
    if args.prevent_transitions {
        for body in &mut bodies {
            body["preventTransitions"] = json!(true);
        }
    }
    let report = Report::new("devinfo", settings.dry_run, &all);
    validate_and_send(report, settings, env, clock, Api::Devinfo, bodies)
}

fn commit_input(repo: &Repo, commit: &git2::Commit<'_>, issue_keys: Vec<String>) -> Result<CommitInput> {
    let author = commit.author();
    let author_time = DateTime::<Utc>::from_timestamp(author.when().seconds(), 0).unwrap_or_default();
    Ok(CommitInput {
        id: commit.id().to_string(),
        message: String::from_utf8_lossy(commit.message_bytes())
            .trim_end()
            .to_owned(),
        author_name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        author_time,
        merge: commit.parent_count() > 1,
        changes: repo.changes(commit, MAX_FILES)?,
        issue_keys,
    })
}

/// The pull request the CI builds, when its title or source branch carry keys (or
/// keys were named) and the CI gives its page.
fn pull_request(
    ctx: &RunContext,
    reader: &Reader,
    all: &mut KeySet,
    now: DateTime<Utc>,
) -> Option<PullRequestInput> {
    let ci = ctx.ci.as_ref()?;
    let pr = ci.pull_request.as_ref()?;
    let source = pr.source_branch.clone().or_else(|| ci.branch.clone())?;
    let title = pr.title.as_deref().map(str::as_bytes);
    if let Some(title) = title {
        reader.scan(all, title, || Source::PullRequestTitle);
    }
    let texts = title.map(|t| (t, Source::PullRequestTitle));
    let keys = reader.keys_in(texts.into_iter().chain([(source.as_bytes(), Source::Branch)]));
    if keys.is_empty() {
        return None;
    }
    let Some(url) = pr.url.clone() else {
        tracing::warn!("{} gives no page for the pull request; it is left out", ci.system);
        return None;
    };
    let id = pr.number.map_or_else(|| source.clone(), |n| n.to_string());
    let display_id = match (ci.system, pr.number) {
        ("GitLab CI", Some(n)) => format!("!{n}"),
        (_, Some(n)) => format!("#{n}"),
        (_, None) => source.clone(),
    };
    Some(PullRequestInput {
        id,
        display_id,
        title: pr.title.clone().unwrap_or_else(|| source.clone()),
        source_branch: source,
        destination_branch: pr.target_branch.clone(),
        url,
        author: pr.author.clone(),
        last_update: now,
        issue_keys: keys,
    })
}
