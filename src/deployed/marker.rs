//! The marker tag `refs/tags/jira-send/deployed/<environment-id>`: where the last
//! successful deployment is recorded on CI systems that have no deployments API a job
//! can read (Bitbucket, CircleCI, Buildkite, Azure…), provided the job can push.
//!
//! Reading asks `origin` for exactly that one ref with the git CLI (`ls-remote`), so
//! the checkout's own credentials apply, and fetches it only when the clone lacks the
//! commit; in a shallow clone only the tagged commit comes (`--depth=1`), and
//! [`super::plan()`] connects it to HEAD if it needs to. Without `origin`, or when origin
//! cannot be read or has no marker, the local tag is read. Recording moves the tag
//! to HEAD (a lightweight tag: no committer identity needed, which CI runners often
//! lack) and force-pushes that one ref; a push that fails is a warning, never a failed
//! report.

use std::time::Instant;

use git2::Repository;

use super::git_cli::{GitCli, GitError};
use super::{Answer, Deployed, short};

/// Where the markers live.
pub const PREFIX: &str = "refs/tags/jira-send/deployed/";
/// Encoded ids longer than this are cut and suffixed with a hash: one ref name must
/// fit a file name (255 bytes) with room to spare.
const MAX_ID: usize = 150;

/// The marker's full ref name for `environment_id`, or `None` for an empty id.
///
/// An environment id may hold anything (`--environment-id`), a ref name may not (`git
/// check-ref-format`): letters, digits, `-` and `_` are kept, a `.` where the rules
/// allow it (not first or last, not after another `.`, not before a final `lock`),
/// and every other byte becomes `%XX`, `/` included (a `/` would nest refs, and `a`
/// and `a/b` cannot both exist). The encoding is one-to-one, as `%` is encoded too.
pub fn reference(environment_id: &str) -> Option<String> {
    if environment_id.is_empty() {
        return None;
    }
    let bytes = environment_id.as_bytes();
    let mut encoded = String::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        let keep = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => true,
            b'.' => i > 0 && i + 1 < bytes.len() && !encoded.ends_with('.'),
            _ => false,
        };
        if keep {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    if encoded.ends_with(".lock") {
        let at = encoded.len() - ".lock".len();
        encoded.replace_range(at..=at, "%2E");
    }
    if encoded.len() > MAX_ID {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(environment_id.as_bytes());
        let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let mut cut = MAX_ID - 17;
        // Never split a %XX (its characters are ASCII, so any index is a char boundary).
        while encoded[..cut].ends_with('%') || encoded[..cut].get(cut - 2..cut - 1) == Some("%") {
            cut -= 1;
        }
        encoded.truncate(cut);
        encoded.push('-');
        encoded.push_str(&hash);
    }
    Some(format!("{PREFIX}{encoded}"))
}

/// How the marker is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Ask `origin` (network); otherwise the local tag only.
    pub ask_origin: bool,
    /// `--record-deployment`: a missing marker is then a first deployment, no cause
    /// for advice.
    pub record_deployment: bool,
}

/// The commit the marker of `environment_id` points at: origin's when there is an
/// `origin` (it is the record every run shares), else, or when origin cannot be read
/// or has none, the local tag.
pub fn lookup(git: &GitCli, environment_id: &str, reading: Reading, deadline: Instant) -> Answer {
    let Some(name) = reference(environment_id) else {
        return Answer::missing("the environment id is empty");
    };
    let short_name = name.trim_start_matches("refs/tags/");
    let Ok(repo) = Repository::discover(git.dir()) else {
        return Answer::missing(format!("{} is not a git repository", git.dir().display()));
    };
    let mut problem = None;
    let mut origin_has_none = false;
    if reading.ask_origin && repo.find_remote("origin").is_ok() {
        match on_origin(git, &name, deadline).and_then(|sha| match sha {
            Some(sha) => bring(git, &repo, &name, &sha, deadline),
            None => {
                origin_has_none = true;
                Ok(())
            }
        }) {
            Ok(()) => {}
            Err(why) => problem = Some(format!("cannot fetch the tag {short_name} from origin: {why}")),
        }
    }
    drop(repo);
    // Reopened: a fetch changes the refs (and `.git/shallow`) behind libgit2's back.
    let local = Repository::discover(git.dir())
        .ok()
        .and_then(|repo| Some(repo.find_reference(&name).ok()?.peel_to_commit().ok()?.id()));
    match (local, problem) {
        (Some(id), problem) => {
            let sha = id.to_string();
            let mut detail = format!("tag {short_name}, {}", short(&sha));
            if let Some(problem) = problem {
                tracing::warn!("{problem}; using the local tag");
                detail.push_str(" (local)");
            } else if origin_has_none {
                detail.push_str(" (local: origin has none)");
            }
            Answer::Found(Deployed { sha, detail })
        }
        // Origin could not be read and there is no local tag. Fetching tags would not
        // help: the job cannot reach origin, and without --record-deployment no tag is
        // kept there anyway.
        (None, Some(warning)) => Answer::Failed {
            warning,
            remedy: Some(if reading.record_deployment {
                "let the job reach origin (git ls-remote origin must work with the checkout's credentials)"
                    .into()
            } else {
                "add --record-deployment, in a job that can reach origin (the tag is kept there)".into()
            }),
        },
        // Where deployments are recorded, none recorded yet is a first deployment.
        (None, None) if reading.record_deployment => {
            Answer::NoneYet(format!("no tag {short_name} yet, locally or on origin"))
        }
        (None, None) => Answer::Missing {
            why: format!("no tag {short_name}, locally or on origin"),
            remedy: Some("add --record-deployment".into()),
        },
    }
}

/// The commit `name` points at on `origin`, or `None` when origin has no such ref.
fn on_origin(git: &GitCli, name: &str, deadline: Instant) -> Result<Option<String>, String> {
    let ran = git
        .run(&["ls-remote", "origin", name], deadline)
        .map_err(|e| e.to_string())?;
    if !ran.success {
        return Err(ran.stderr);
    }
    // Patterns match the ends of ref names: keep the exact one.
    Ok(ran.stdout.lines().find_map(|line| {
        let (sha, reference) = line.split_once('\t')?;
        (reference == name && super::is_full_sha(sha)).then(|| sha.to_owned())
    }))
}

/// Makes the local `name` point at `sha`: without a fetch when the clone has the commit
/// (a `--depth=1` fetch of a commit the clone has would cut its history there), else by
/// fetching that one ref, only the commit itself in a shallow clone (the history between
/// it and HEAD, if needed, comes from the compare API or a bounded deepening).
fn bring(git: &GitCli, repo: &Repository, name: &str, sha: &str, deadline: Instant) -> Result<(), String> {
    if let Ok(id) = git2::Oid::from_str(sha)
        && repo.find_commit(id).is_ok()
    {
        return repo
            .reference(name, id, true, "jira-send: marker from origin")
            .map(|_| ())
            .map_err(|e| e.message().to_owned());
    }
    let refspec = format!("+{name}:{name}");
    let mut args = vec!["fetch", "--quiet", "--no-tags"];
    if repo.is_shallow() {
        args.push("--depth=1");
    }
    args.extend(["origin", refspec.as_str()]);
    match git.run(&args, deadline) {
        Ok(ran) if ran.success => Ok(()),
        Ok(ran) => Err(ran.stderr),
        Err(e) => Err(e.to_string()),
    }
}

/// What recording a deployment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The tag points at HEAD here and on `origin`.
    Pushed { tag: String },
    /// The tag could not be moved or pushed: a warning to print, nothing more.
    NotPushed { tag: String, warning: String },
}

/// Moves the marker of `environment_id` to `head` and force-pushes it to `origin`.
pub fn record(git: &GitCli, environment_id: &str, head: &str, deadline: Instant) -> Recorded {
    let Some(name) = reference(environment_id) else {
        return Recorded::NotPushed {
            tag: String::new(),
            warning: "cannot record the deployment: the environment id is empty".into(),
        };
    };
    let tag = name.trim_start_matches("refs/tags/").to_owned();
    let not_pushed = |why: String| Recorded::NotPushed {
        tag: tag.clone(),
        warning: format!("the deployment was not recorded in the tag {tag}: {why}"),
    };
    let moved = Repository::discover(git.dir()).and_then(|repo| {
        let id = git2::Oid::from_str(head)?;
        repo.reference(&name, id, true, "jira-send: deployed").map(|_| ())
    });
    if let Err(e) = moved {
        return not_pushed(format!("cannot move it to {}: {}", short(head), e.message()));
    }
    let refspec = format!("+{name}:{name}");
    let args = [
        "-c",
        "push.gpgSign=false",
        "push",
        "--quiet",
        "--force",
        "--no-verify",
        "origin",
        refspec.as_str(),
    ];
    match git.run(&args, deadline) {
        Ok(ran) if ran.success => Recorded::Pushed { tag },
        Ok(ran) => not_pushed(format!(
            "git push to origin failed ({}); the job needs write access to the repository \
             (GitHub: `contents: write`; GitLab: allow the job token to push)",
            ran.stderr
        )),
        Err(GitError::OutOfTime(_)) => not_pushed("git push ran out of time".into()),
        Err(e) => not_pushed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(id: &str) -> String {
        reference(id).unwrap().trim_start_matches(PREFIX).to_owned()
    }

    #[test]
    fn plain_ids_are_kept_and_the_rest_is_encoded() {
        assert_eq!(encoded("production-eu"), "production-eu");
        assert_eq!(encoded("Prod_2"), "Prod_2");
        assert_eq!(encoded("a.b"), "a.b");
        assert_eq!(encoded("a/b"), "a%2Fb");
        assert_eq!(encoded("a b"), "a%20b");
        assert_eq!(encoded("50%"), "50%25");
        assert_eq!(encoded(".hidden"), "%2Ehidden");
        assert_eq!(encoded("end."), "end%2E");
        assert_eq!(encoded("a..b"), "a.%2Eb");
        assert_eq!(encoded("x.lock"), "x%2Elock");
        assert_eq!(encoded("@"), "%40");
        assert_eq!(encoded("a@{b"), "a%40%7Bb");
        assert_eq!(encoded("本番"), "%E6%9C%AC%E7%95%AA");
        assert_eq!(reference(""), None);
    }

    #[test]
    fn long_ids_are_cut_with_a_hash_and_stay_distinct() {
        let a = encoded(&"é".repeat(200));
        let b = encoded(&format!("{}x", "é".repeat(200)));
        assert!(a.len() <= MAX_ID && b.len() <= MAX_ID);
        assert_ne!(a, b);
        assert!(git2::Reference::is_valid_name(&format!("{PREFIX}{a}")));
    }

    #[test]
    fn every_id_makes_a_valid_ref_name() {
        // Awkward pieces, combined at random with a fixed seed: libgit2's own check of
        // ref names (which follows `git check-ref-format`) must accept every result.
        let pieces = [
            ".", "..", "/", "//", "lock", ".lock", "@", "{", "@{", "~", "^", ":", "?", "*", "[", "\\", " ",
            "\t", "\x7f", "\u{1}", "a", "Z", "9", "-", "_", "%", "é", "🚀", "\u{0}",
        ];
        let mut rng = fastrand::Rng::with_seed(13);
        let mut seen = std::collections::HashMap::new();
        for _ in 0..5000 {
            let id: String = (0..rng.usize(1..8))
                .map(|_| pieces[rng.usize(..pieces.len())])
                .collect();
            let name = reference(&id).unwrap();
            assert!(git2::Reference::is_valid_name(&name), "{id:?} gave {name:?}");
            if let Some(other) = seen.insert(name.clone(), id.clone()) {
                assert_eq!(other, id, "two ids share {name}");
            }
        }
    }
}
