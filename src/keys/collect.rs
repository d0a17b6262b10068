//! Gathering a run's issue keys from their sources, in order: `--issue-key` (which
//! replaces all others), the branch name, the pull-request title, and the messages of
//! the commits in the range.

use super::range::{self, Commits, Deployment, RangeRead, Span};
use super::{Grammar, KeySet, Source};
use crate::context::RunContext;
use crate::deployed::FromSource;
use crate::error::{Error, Result};
use crate::git::Start;

/// Where a run's keys come from, as the command line (or its variables) says.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--issue-key`: these keys and no others.
    pub issue_keys: Vec<String>,
    /// `--branch`, instead of the detected one.
    pub branch: Option<String>,
    /// `--since`: the range starts at this revision.
    pub since: Option<String>,
    /// `--since-tag`: the range starts at the newest tag matching this glob.
    pub since_tag: Option<String>,
    pub max_commits: usize,
    /// `--projects`: only these projects' keys (else the project file's list).
    pub projects: Vec<String>,
    pub ignore_case: bool,
}

/// The keys found, and the range of commits read for them.
#[derive(Debug, Default)]
pub struct Found {
    pub keys: KeySet,
    pub range: Option<RangeRead>,
    pub branch: Option<String>,
}

/// How a run reads issue keys: the keys named with `--issue-key` stand for every
/// source; otherwise the grammar finds them in each source's text.
#[derive(Debug)]
pub enum Reader {
    Named(KeySet),
    Scan(Grammar),
}

impl Reader {
    /// The keys named with `--issue-key`, checked against the grammar (the allow-list
    /// does not apply: the caller was explicit); else the grammar `args` ask for, whose
    /// allow-list is `--projects`, else the project file's.
    pub fn new(args: &Options, ctx: &RunContext) -> Result<Self> {
        Ok(match explicit_keys(args, ctx)? {
            Some(keys) => Self::Named(keys),
            None => Self::Scan(grammar(args, ctx)),
        })
    }

    /// The keys named, when keys were named.
    pub fn named(&self) -> Option<&KeySet> {
        match self {
            Self::Named(keys) => Some(keys),
            Self::Scan(_) => None,
        }
    }

    /// Records the keys the grammar finds in `text` into `keys`. Named keys are in no
    /// text: then nothing is recorded.
    pub fn scan(&self, keys: &mut KeySet, text: &[u8], source: impl Fn() -> Source) {
        if let Self::Scan(grammar) = self {
            keys.scan(grammar, text, source);
        }
    }

    /// The keys of one thing sent (a commit, a pull request), read from its texts in
    /// order: the named keys, or those the grammar finds.
    pub fn keys_in<'t>(&self, texts: impl IntoIterator<Item = (&'t [u8], Source)>) -> Vec<String> {
        match self {
            Self::Named(keys) => keys.keys().to_vec(),
            Self::Scan(grammar) => {
                let mut keys = KeySet::default();
                for (text, source) in texts {
                    keys.scan(grammar, text, || source.clone());
                }
                keys.keys().to_vec()
            }
        }
    }
}

/// Every key of the run: `--issue-key`'s alone, else the branch's, the pull request
/// title's and those of the commits in the range, in that order. For a deployment, the
/// range starts at its environment's last successful deployment (see [`range`]).
pub fn collect(args: &Options, ctx: &RunContext, deployment: Option<&Deployment<'_>>) -> Result<Found> {
    let grammar = match Reader::new(args, ctx)? {
        Reader::Named(keys) => {
            return Ok(Found {
                keys,
                ..Found::default()
            });
        }
        Reader::Scan(grammar) => grammar,
    };
    let mut found = Found {
        branch: ctx.branch(args.branch.as_deref()),
        ..Found::default()
    };
    if let Some(branch) = &found.branch {
        found.keys.scan(&grammar, branch.as_bytes(), || Source::Branch);
    }
    if let Some(title) = pull_request_title(ctx) {
        found
            .keys
            .scan(&grammar, title.as_bytes(), || Source::PullRequestTitle);
    }
    if !ctx.reads_commits() {
        // No commit here is the run's: nothing is read, and the range is null.
        return Ok(found);
    }
    let span = match deployment {
        Some(deployment) => range::decide(args, deployment, ctx)?,
        None => Span::of(args, ctx),
    };
    let keys = &mut found.keys;
    let (read, truncated) = match &span.commits {
        Commits::Walk(start) => walk(args, ctx, start, |id, raw| {
            keys.scan(&grammar, crate::git::message(raw), || Source::Commit(id));
            Ok(())
        })?,
        Commits::Compared { commits, truncated } => {
            let (_, head) = ctx.history()?;
            // Newest first, as a walk reads them.
            for commit in commits.iter().rev() {
                // A commit id the server made up cannot be a source.
                if let Ok(id) = git2::Oid::from_str(&commit.sha) {
                    keys.scan(&grammar, commit.message.as_bytes(), || Source::Commit(id));
                }
            }
            tracing::info!(
                "read {} from GitHub's compare API",
                crate::plural::count(commits.len(), "commit message", "commit messages")
            );
            if *truncated {
                // As a walk cut short says it.
                tracing::warn!(
                    "read only the newest {} of the range; raise --max-commits to read more",
                    crate::plural::count(args.max_commits, "commit", "commits")
                );
            }
            let read = Read {
                from: None,
                named: None,
                to: head.id.to_string(),
                commits: commits.len(),
            };
            (read, *truncated)
        }
    };
    // The tag `--since-tag` found is a name: `from` is its commit, the detail names it.
    let from_detail = match (span.from_source, span.from_detail, read.named) {
        (FromSource::SinceTag, Some(detail), Some(tag)) => Some(format!("{detail}: {tag}")),
        (_, detail, _) => detail,
    };
    found.range = Some(RangeRead {
        from: span.from.or(read.from),
        to: read.to,
        commits: read.commits,
        from_source: span.from_source,
        from_detail,
        truncated,
        environment: span.environment,
    });
    Ok(found)
}

/// What a walk read: the commit it started at and that start as named, its end, how
/// many commits.
struct Read {
    from: Option<String>,
    named: Option<String>,
    to: String,
    commits: usize,
}

/// The grammar `args` ask for; the allow-list is `--projects`, else the project
/// file's.
fn grammar(args: &Options, ctx: &RunContext) -> Grammar {
    let projects = if args.projects.is_empty() {
        &ctx.project.projects
    } else {
        &args.projects
    };
    Grammar::new(args.ignore_case, projects)
}

/// The keys named with `--issue-key`, checked against the grammar; `None` when none
/// were named. The allow-list does not apply: the caller was explicit.
fn explicit_keys(args: &Options, ctx: &RunContext) -> Result<Option<KeySet>> {
    let named: Vec<&str> = args
        .issue_keys
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .collect();
    if named.is_empty() {
        return Ok(None);
    }
    let grammar = Grammar::new(args.ignore_case, [""; 0]);
    let mut keys = KeySet::default();
    for key in named {
        let Some(key) = grammar.parse(key) else {
            let lowercase = key.bytes().any(|b| b.is_ascii_lowercase());
            let hint = if lowercase && !args.ignore_case {
                " (lowercase keys need --ignore-case)"
            } else {
                ""
            };
            return Err(Error::usage(format!(
                "{} {key}: not an issue key like ABC-123{hint}",
                ctx.origins.of("--issue-key")
            )));
        };
        keys.add(key.as_bytes(), || Source::Option);
    }
    Ok(Some(keys))
}

/// The pull request's title, where the CI gives one.
fn pull_request_title(ctx: &RunContext) -> Option<&str> {
    ctx.ci.as_ref()?.pull_request.as_ref()?.title.as_deref()
}

/// Walks the commits of the range `args` and the CI describe, newest first: `visit`
/// gets each commit's id and raw object (see [`crate::git::message`]).
pub fn walk_range(
    args: &Options,
    ctx: &RunContext,
    visit: impl FnMut(git2::Oid, &[u8]) -> Result<()>,
) -> Result<()> {
    walk(args, ctx, &range::start(args, ctx), visit).map(drop)
}

/// Walks the commits from `start` to HEAD, newest first; what it read, and whether
/// `--max-commits` cut it short.
fn walk(
    args: &Options,
    ctx: &RunContext,
    start: &Start,
    visit: impl FnMut(git2::Oid, &[u8]) -> Result<()>,
) -> Result<(Read, bool)> {
    let (repo, head) = ctx.history()?;
    let range = repo.range(start, head.id)?;
    let walked = repo.walk(&range, args.max_commits, visit)?;
    let read = crate::plural::count(walked.commits, "commit", "commits");
    let to = crate::git::short_id(range.to);
    match (start, range.from.as_deref()) {
        (Start::Head, _) => tracing::info!("read HEAD ({to}) only"),
        (Start::Nothing, _) => tracing::info!("read no commits: HEAD ({to}) is where the range starts"),
        (_, Some(from)) => tracing::info!("read {read} from {from} to {to}"),
        (_, None) => tracing::info!("read {read} from the beginning of the history to {to}"),
    }
    let read = Read {
        from: range.from_commit(),
        named: range.from,
        to: range.to.to_string(),
        commits: walked.commits,
    };
    Ok((read, walked.truncated))
}

impl Found {
    /// "no issue keys found in branch main or the 3 commit messages read; nothing to
    /// send …": for a command that sends.
    pub fn nothing_found(&self) -> String {
        format!(
            "{}; nothing to send (name them with --issue-key, or widen the range with --since)",
            self.none_found()
        )
    }

    /// "no issue keys found in branch main or the 3 commit messages read": where they
    /// were looked for (`keys`, which never sends, says only that).
    pub fn none_found(&self) -> String {
        let mut places = Vec::new();
        if let Some(branch) = &self.branch {
            places.push(format!("branch {branch}"));
        }
        if let Some(range) = &self.range {
            places.push(format!(
                "the {} read",
                crate::plural::count(range.commits, "commit message", "commit messages")
            ));
        }
        let places = if places.is_empty() {
            "anywhere".to_owned()
        } else {
            places.join(" or ")
        };
        format!("no issue keys found in {places}")
    }
}
