//! Build entities (`POST …/builds/0.1/cloud/{cloudId}/bulk`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::text::{MAX_TEXT, clean, clean_url};
use super::{BuildState, cap_keys, timestamp};

/// A build carries at most 100 issue keys.
pub const MAX_ISSUE_KEYS: usize = 100;
/// And at most 5 references.
pub const MAX_REFERENCES: usize = 5;

/// Test counts (`testInfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestInfo {
    pub total_number: u64,
    pub number_passed: u64,
    pub number_failed: u64,
    pub number_skipped: u64,
}

/// The commit a build ran against.
#[derive(Clone, Debug)]
pub struct CommitRef {
    pub id: String,
    /// The repository's URL, or another id unique to it.
    pub repository_uri: String,
}

/// The branch or tag a build ran on.
#[derive(Clone, Debug)]
pub struct BranchRef {
    pub name: String,
    pub uri: String,
}

/// Everything a build is made of, resolved.
#[derive(Clone, Debug)]
pub struct BuildInput {
    pub pipeline_id: String,
    pub build_number: u64,
    pub display_name: String,
    pub description: Option<String>,
    pub label: Option<String>,
    pub url: String,
    pub state: BuildState,
    pub last_updated: DateTime<Utc>,
    pub update_sequence_number: i64,
    pub issue_keys: Vec<String>,
    pub tests: Option<TestInfo>,
    pub commit: Option<CommitRef>,
    pub branch: Option<BranchRef>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Build {
    schema_version: &'static str,
    pipeline_id: String,
    build_number: u64,
    update_sequence_number: i64,
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    url: String,
    state: BuildState,
    last_updated: String,
    issue_keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_info: Option<TestInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
}

#[derive(Serialize)]
struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<CommitReference>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<RefReference>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommitReference {
    id: String,
    repository_uri: String,
}

#[derive(Serialize)]
struct RefReference {
    name: String,
    uri: String,
}

/// The build entity, within every limit.
pub fn build(input: &BuildInput) -> Value {
    let reference = Reference {
        commit: input.commit.as_ref().map(|c| CommitReference {
            id: clean(&c.id, MAX_TEXT),
            repository_uri: clean_url(&c.repository_uri),
        }),
        reference: input.branch.as_ref().map(|b| RefReference {
            name: clean(&b.name, MAX_TEXT),
            uri: clean_url(&b.uri),
        }),
    };
    let mut references = Vec::new();
    if reference.commit.is_some() || reference.reference.is_some() {
        references.push(reference);
    }
    references.truncate(MAX_REFERENCES);

    let build = Build {
        schema_version: "1.0",
        pipeline_id: clean(&input.pipeline_id, MAX_TEXT),
        build_number: input.build_number,
        update_sequence_number: input.update_sequence_number,
        display_name: clean(&input.display_name, MAX_TEXT),
        description: input.description.as_deref().map(|d| clean(d, MAX_TEXT)),
        label: input.label.as_deref().map(|l| clean(l, MAX_TEXT)),
        url: clean_url(&input.url),
        state: input.state,
        last_updated: timestamp(input.last_updated),
        issue_keys: cap_keys(&input.issue_keys, MAX_ISSUE_KEYS, "build"),
        test_info: input.tests,
        references,
    };
    serde_json::to_value(build).expect("a build always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn input() -> BuildInput {
        BuildInput {
            pipeline_id: "acme/app/CI".into(),
            build_number: 42,
            display_name: "CI (acme/app) #42".into(),
            description: None,
            label: Some("main".into()),
            url: "https://github.com/acme/app/actions/runs/9".into(),
            state: BuildState::Successful,
            last_updated: Utc.timestamp_millis_opt(1_700_000_000_000).unwrap(),
            update_sequence_number: 1_700_000_000_000,
            issue_keys: vec!["ABC-1".into()],
            tests: None,
            commit: Some(CommitRef {
                id: "a".repeat(40),
                repository_uri: "https://github.com/acme/app".into(),
            }),
            branch: Some(BranchRef {
                name: "main".into(),
                uri: "https://github.com/acme/app/tree/main".into(),
            }),
        }
    }

    #[test]
    fn a_build_has_every_required_field() {
        let b = build(&input());
        assert_eq!(b["schemaVersion"], "1.0");
        assert_eq!(b["pipelineId"], "acme/app/CI");
        assert_eq!(b["buildNumber"], 42);
        assert_eq!(b["state"], "successful");
        assert_eq!(b["lastUpdated"], "2023-11-14T22:13:20.000Z");
        assert_eq!(b["issueKeys"], serde_json::json!(["ABC-1"]));
        assert_eq!(b["references"][0]["ref"]["name"], "main");
        assert!(
            b.get("description").is_none(),
            "absent fields are omitted, not null"
        );
        assert!(b.get("testInfo").is_none());
    }

    #[test]
    fn limits_are_applied() {
        let mut long = input();
        long.display_name = "🚀".repeat(300);
        long.issue_keys = (1..=150).map(|i| format!("ABC-{i}")).collect();
        long.url = format!("https://x/{}", "a".repeat(2500));
        let b = build(&long);
        assert_eq!(b["displayName"].as_str().unwrap().chars().count(), 255);
        assert!(!b["displayName"].as_str().unwrap().contains('🚀'));
        assert_eq!(b["issueKeys"].as_array().unwrap().len(), MAX_ISSUE_KEYS);
        assert_eq!(b["url"].as_str().unwrap().len(), 2000);
    }
}
