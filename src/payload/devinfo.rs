//! Development information (`POST …/devinfo/0.1/cloud/{cloudId}/bulk`): a repository
//! with its commits, the current branch and the pull request.
//!
//! A request holds at most 400 commits, branches and pull requests per repository and
//! 1,000 entities in all, so a long range becomes several requests; each carries the
//! repository itself and is complete on its own, and every commit is in exactly one.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::text::{MAX_TEXT, clean, clean_url};
use super::{Envelope, timestamp};
use crate::api::Api;
use crate::git::{ChangeType, Changes};
use crate::remote::Remote;

/// Per repository and request: commits, branches, pull requests each.
pub const MAX_PER_TYPE: usize = 400;
/// Entities (commits, branches, pull requests) across all repositories of one request.
pub const MAX_ENTITIES: usize = 1000;
/// Files detailed per commit; `fileCount` still counts them all.
pub const MAX_FILES: usize = 10;
/// Issue keys per commit, branch or pull request.
pub const MAX_ISSUE_KEYS: usize = 500;
const MAX_MESSAGE: usize = 1024;
const MAX_BRANCH_NAME: usize = 512;
const MAX_PATH: usize = 1024;

/// A commit as read from git.
#[derive(Clone, Debug)]
pub struct CommitInput {
    pub id: String,
    pub message: String,
    pub author_name: String,
    pub author_email: String,
    pub author_time: DateTime<Utc>,
    pub merge: bool,
    pub changes: Changes,
    pub issue_keys: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct BranchInput {
    pub name: String,
    pub last_commit: CommitInput,
    pub issue_keys: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct PullRequestInput {
    pub id: String,
    pub display_id: String,
    pub title: String,
    pub source_branch: String,
    pub destination_branch: Option<String>,
    pub url: String,
    pub author: Option<String>,
    pub last_update: DateTime<Utc>,
    pub issue_keys: Vec<String>,
}

/// The repository everything belongs to.
#[derive(Clone, Debug)]
pub struct RepositoryInput {
    pub id: String,
    pub name: String,
    pub remote: Remote,
    pub update_sequence_id: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Commit {
    id: String,
    issue_keys: Vec<String>,
    update_sequence_id: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    flags: Vec<&'static str>,
    message: String,
    author: Author,
    file_count: usize,
    url: String,
    files: Vec<File>,
    author_timestamp: String,
    display_id: String,
}

#[derive(Serialize)]
struct Author {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct File {
    path: String,
    url: String,
    change_type: ChangeType,
    lines_added: u32,
    lines_removed: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Branch {
    id: String,
    issue_keys: Vec<String>,
    update_sequence_id: i64,
    name: String,
    last_commit: Commit,
    url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PullRequest {
    id: String,
    issue_keys: Vec<String>,
    update_sequence_id: i64,
    status: &'static str,
    title: String,
    author: Author,
    comment_count: u32,
    source_branch: String,
    source_branch_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_branch_url: Option<String>,
    last_update: String,
    url: String,
    display_id: String,
}

/// An id made of the characters devinfo ids allow (`[A-Za-z0-9~._-]`), different for
/// different names: two branches sharing an id would overwrite each other in Jira.
///
/// A plain name (`[A-Za-z0-9._/-]`, no `..`, as git branch names mostly are) keeps the
/// id it has always had: `/` becomes `~` (`feature/ABC-1` → `feature~ABC-1`), which is
/// one-to-one since such a name has no `~`. Any other name (`fix#ABC-1`, `é`, empty,
/// too long) has its other characters replaced by `~` and a hash of the whole name
/// appended after `..` (`fix~ABC-1..3f2a…`), which no plain name's id contains.
pub fn entity_id(text: &str) -> String {
    const HASH_HEX: usize = 16;
    let plain = !text.is_empty()
        && text.len() <= MAX_PATH
        && !text.contains("..")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    let mapped = text.chars().map(|c| {
        if c.is_ascii_alphanumeric() || "._-".contains(c) {
            c
        } else {
            '~'
        }
    });
    if plain {
        return mapped.collect();
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let mut id: String = mapped.take(MAX_PATH - 2 - HASH_HEX).collect();
    id.push_str("..");
    for byte in &digest[..HASH_HEX / 2] {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

fn text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| clean(value, MAX_TEXT))
}

fn keys(keys: &[String]) -> Vec<String> {
    super::cap_keys(keys, MAX_ISSUE_KEYS, "devinfo entity")
}

fn commit(repo: &RepositoryInput, input: &CommitInput) -> Commit {
    let remote = &repo.remote;
    Commit {
        id: input.id.clone(),
        issue_keys: keys(&input.issue_keys),
        update_sequence_id: repo.update_sequence_id,
        flags: if input.merge {
            vec!["MERGE_COMMIT"]
        } else {
            Vec::new()
        },
        message: clean(&input.message, MAX_MESSAGE),
        author: Author {
            name: text(&input.author_name),
            email: text(&input.author_email),
        },
        file_count: input.changes.file_count,
        url: clean_url(&remote.commit_url(&input.id)),
        files: input
            .changes
            .files
            .iter()
            .take(MAX_FILES)
            .map(|f| File {
                path: clean(&f.path, MAX_PATH),
                url: clean_url(&remote.file_url(&input.id, &f.path)),
                change_type: f.change,
                lines_added: f.lines_added,
                lines_removed: f.lines_removed,
            })
            .collect(),
        author_timestamp: timestamp(input.author_time),
        display_id: input.id.chars().take(7).collect(),
    }
}

/// The request bodies for `commits`, the branch and the pull request: commits in
/// slices of 400, the branch and the pull request in the first body.
pub fn bodies(
    envelope: &Envelope,
    repo: &RepositoryInput,
    commits: &[CommitInput],
    branch: Option<&BranchInput>,
    pull_request: Option<&PullRequestInput>,
) -> Vec<Value> {
    let usn = repo.update_sequence_id;
    let branch = branch.map(|b| Branch {
        id: entity_id(&b.name),
        issue_keys: keys(&b.issue_keys),
        update_sequence_id: usn,
        name: clean(&b.name, MAX_BRANCH_NAME),
        last_commit: commit(repo, &b.last_commit),
        url: clean_url(&repo.remote.branch_url(&b.name)),
    });
    let pull_request = pull_request.map(|p| PullRequest {
        id: entity_id(&p.id),
        issue_keys: keys(&p.issue_keys),
        update_sequence_id: usn,
        status: "OPEN",
        title: clean(&p.title, MAX_MESSAGE),
        author: Author {
            name: p.author.as_deref().and_then(text),
            email: None,
        },
        comment_count: 0,
        source_branch: clean(&p.source_branch, MAX_TEXT),
        source_branch_url: clean_url(&repo.remote.branch_url(&p.source_branch)),
        destination_branch: p.destination_branch.as_deref().map(|d| clean(d, MAX_TEXT)),
        destination_branch_url: p
            .destination_branch
            .as_deref()
            .map(|d| clean_url(&repo.remote.branch_url(d))),
        last_update: timestamp(p.last_update),
        url: clean_url(&p.url),
        display_id: clean(&p.display_id, MAX_TEXT),
    });

    let mut chunks: Vec<&[CommitInput]> = commits.chunks(MAX_PER_TYPE).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let mut extras = Some((branch, pull_request));
    let repositories: Vec<Value> = chunks
        .into_iter()
        .map(|chunk| {
            let mut repository = serde_json::json!({
                "id": repo.id,
                "name": clean(&repo.name, MAX_TEXT),
                "url": clean_url(&repo.remote.web_url()),
                "updateSequenceId": usn,
                "commits": chunk.iter().map(|c| commit(repo, c)).collect::<Vec<_>>(),
            });
            if let Some((branch, pull_request)) = extras.take() {
                if let Some(branch) = branch {
                    repository["branches"] = serde_json::json!([branch]);
                }
                if let Some(pull_request) = pull_request {
                    repository["pullRequests"] = serde_json::json!([pull_request]);
                }
            }
            repository
        })
        .collect();
    // One repository per body: each body then stays far below the 1,000-entity limit.
    repositories
        .into_iter()
        .map(|r| envelope.body(Api::Devinfo, vec![r]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::FileChange;
    use chrono::TimeZone;

    fn repo() -> RepositoryInput {
        RepositoryInput {
            id: "github.com~acme~app".into(),
            name: "app".into(),
            remote: Remote::parse("git@github.com:acme/app.git").unwrap(),
            update_sequence_id: 1_700_000_000_000,
        }
    }

    fn commit_input(n: usize) -> CommitInput {
        CommitInput {
            id: format!("{n:040x}"),
            message: format!("ABC-{} change {n}", n + 1),
            author_name: "Dev".into(),
            author_email: "dev@example.com".into(),
            author_time: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            merge: n == 0,
            changes: Changes {
                file_count: 12,
                files: (0..12)
                    .map(|i| FileChange {
                        path: format!("src/f{i}.rs"),
                        change: ChangeType::Modified,
                        lines_added: 1,
                        lines_removed: 2,
                    })
                    .collect(),
            },
            issue_keys: vec![format!("ABC-{}", n + 1)],
        }
    }

    #[test]
    fn plain_names_keep_their_ids() {
        for (name, id) in [
            ("main", "main"),
            ("feature/ABC-1-login", "feature~ABC-1-login"),
            ("release/1.2.x", "release~1.2.x"),
            ("a_b/c-d", "a_b~c-d"),
            ("42", "42"),
        ] {
            assert_eq!(entity_id(name), id);
        }
    }

    #[test]
    fn other_names_get_a_hash_after_two_dots() {
        let id = entity_id("fix#PROJ-1");
        assert!(id.starts_with("fix~PROJ-1.."), "{id}");
        assert_eq!(id.len(), "fix~PROJ-1..".len() + 16);
        assert_ne!(id, entity_id("fix/PROJ-1"));
        assert_ne!(id, entity_id("fix~PROJ-1"));
        assert_eq!(id, entity_id("fix#PROJ-1"), "the same name, the same id");
        let long = "a".repeat(MAX_PATH + 1);
        assert_eq!(entity_id(&long).len(), MAX_PATH);
        assert_ne!(entity_id(&long), entity_id(&format!("{long}a")));
        assert_ne!(entity_id(""), entity_id("/"));
    }

    proptest::proptest! {
        /// Different names, different ids, each made of the characters ids allow and
        /// within the length they allow.
        #[test]
        fn ids_are_valid_and_one_to_one(a in "[a-z/#~.é_-]{0,12}", b in "[a-z/#~.é_-]{0,12}") {
            for name in [&a, &b] {
                let id = entity_id(name);
                proptest::prop_assert!(!id.is_empty() && id.len() <= MAX_PATH, "{id}");
                proptest::prop_assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || "~._-".contains(c)), "{id}");
            }
            proptest::prop_assert_eq!(a == b, entity_id(&a) == entity_id(&b), "{} {}", a, b);
        }
    }

    #[test]
    fn commits_carry_their_files_and_flags() {
        let envelope = Envelope::new(None, None, None);
        let bodies = bodies(&envelope, &repo(), &[commit_input(0)], None, None);
        let c = &bodies[0]["repositories"][0]["commits"][0];
        assert_eq!(c["fileCount"], 12);
        assert_eq!(c["files"].as_array().unwrap().len(), MAX_FILES);
        assert_eq!(c["flags"], serde_json::json!(["MERGE_COMMIT"]));
        assert_eq!(c["displayId"], "0000000");
        assert_eq!(c["url"], format!("https://github.com/acme/app/commit/{:040x}", 0));
        assert_eq!(c["files"][0]["changeType"], "MODIFIED");
        crate::schema::validate(Api::Devinfo, &bodies[0]).unwrap();
    }

    #[test]
    fn long_ranges_are_split_and_nothing_is_lost_or_repeated() {
        let commits: Vec<CommitInput> = (0..1500).map(commit_input).collect();
        let branch = BranchInput {
            name: "feature/ABC-1".into(),
            last_commit: commits[0].clone(),
            issue_keys: vec!["ABC-1".into()],
        };
        let envelope = Envelope::new(None, None, None);
        let bodies = bodies(&envelope, &repo(), &commits, Some(&branch), None);
        assert_eq!(bodies.len(), 4);
        let mut ids = Vec::new();
        for body in &bodies {
            crate::schema::validate(Api::Devinfo, body).unwrap();
            let repository = &body["repositories"][0];
            assert!(repository["commits"].as_array().unwrap().len() <= MAX_PER_TYPE);
            ids.extend(
                repository["commits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].clone()),
            );
        }
        assert_eq!(ids.len(), 1500);
        ids.sort_by_key(ToString::to_string);
        ids.dedup();
        assert_eq!(ids.len(), 1500, "every commit exactly once");
        assert!(bodies[0]["repositories"][0]["branches"].is_array());
        assert!(bodies[1]["repositories"][0].get("branches").is_none());
        assert_eq!(bodies[0]["repositories"][0]["branches"][0]["id"], "feature~ABC-1");
    }
}
