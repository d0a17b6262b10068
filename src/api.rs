//! The four Jira DevOps APIs jira-send talks to, and what differs between them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One of Jira Software Cloud's DevOps APIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Builds,
    Deployments,
    Devinfo,
    FeatureFlags,
}

impl Api {
    pub const ALL: [Self; 4] = [Self::Builds, Self::Deployments, Self::Devinfo, Self::FeatureFlags];

    /// The path segment: `{api-url}/jira/{segment}/0.1/cloud/{cloudId}/…`.
    pub fn segment(self) -> &'static str {
        match self {
            Self::Builds => "builds",
            Self::Deployments => "deployments",
            Self::Devinfo => "devinfo",
            Self::FeatureFlags => "featureflags",
        }
    }

    /// The request body's array of entities.
    pub fn entities_key(self) -> &'static str {
        match self {
            Self::Builds => "builds",
            Self::Deployments => "deployments",
            Self::Devinfo => "repositories",
            Self::FeatureFlags => "flags",
        }
    }

    /// The permission an OAuth credential needs for this API, as Jira's admin page
    /// names it.
    pub fn permission(self) -> &'static str {
        match self {
            Self::Builds => "Builds",
            Self::Deployments => "Deployments",
            Self::Devinfo => "Development information",
            Self::FeatureFlags => "Feature flags",
        }
    }

    /// At most this many entities per request.
    pub fn max_entities(self) -> usize {
        100
    }

    /// `{api_url}/jira/{segment}/0.1/cloud/{cloud_id}/{operation}`. Every API is
    /// version 0.1 on this path, devinfo included (its site path is 0.10).
    pub fn url(self, api_url: &str, cloud_id: &str, operation: &str) -> String {
        let base = api_url.trim_end_matches('/');
        format!("{base}/jira/{}/0.1/cloud/{cloud_id}/{operation}", self.segment())
    }

    /// Which API a request body is for, by its entities key.
    pub fn of_body(body: &Value) -> Option<Self> {
        let object = body.as_object()?;
        Self::ALL
            .into_iter()
            .find(|api| object.contains_key(api.entities_key()))
    }
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.segment())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_follow_the_2lo_path_rule() {
        assert_eq!(
            Api::Devinfo.url("https://api.atlassian.com/", "abc", "bulk"),
            "https://api.atlassian.com/jira/devinfo/0.1/cloud/abc/bulk"
        );
        assert_eq!(
            Api::Builds.url("http://127.0.0.1:9", "{cloudId}", "bulk"),
            "http://127.0.0.1:9/jira/builds/0.1/cloud/{cloudId}/bulk"
        );
    }

    #[test]
    fn bodies_say_which_api_they_are_for() {
        assert_eq!(Api::of_body(&json!({"builds": []})), Some(Api::Builds));
        assert_eq!(Api::of_body(&json!({"repositories": []})), Some(Api::Devinfo));
        assert_eq!(Api::of_body(&json!({"flags": []})), Some(Api::FeatureFlags));
        assert_eq!(Api::of_body(&json!({"deployments": []})), Some(Api::Deployments));
        assert_eq!(Api::of_body(&json!({"other": []})), None);
        assert_eq!(Api::of_body(&json!([])), None);
    }
}
