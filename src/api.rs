//! The four Jira DevOps APIs jira-send talks to, what differs between them, and the
//! requests jira-send makes to them ([`Call`]): what a site is sent, and what the
//! outbox keeps when it cannot be.

use reqwest::Method;
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
    /// version 0.1 on this path, devinfo included (its site path is 0.10). Without a
    /// cloud id (a dry run that cannot know it), the path shows `{cloudId}`. The cloud
    /// id is encoded as a path segment whatever it holds; the operation's segments are
    /// encoded where it is built.
    pub fn url(self, api_url: &str, cloud_id: Option<&str>, operation: &str) -> String {
        let base = api_url.trim_end_matches('/');
        let cloud = cloud_id.map_or_else(|| "{cloudId}".to_owned(), segment);
        format!("{base}/jira/{}/0.1/cloud/{cloud}/{operation}", self.segment())
    }

    /// Which API a request body is for, by its entities key.
    pub fn of_body(body: &Value) -> Option<Self> {
        let object = body.as_object()?;
        Self::ALL
            .into_iter()
            .find(|api| object.contains_key(api.entities_key()))
    }
}

/// One request to one of the APIs, the same for every site but for the cloud id. The
/// outbox stores it as it is (`{"method", "api", "operation", "body", "subject"}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    #[serde(with = "method")]
    pub method: Method,
    pub api: Api,
    /// The path after `…/cloud/{cloudId}/`, segments already percent-encoded, query
    /// included: `bulk`, `pipelines/p/builds/7`.
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// What the call is about, for reports: the key of the entity deleted or asked
    /// about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Value>,
}

impl Call {
    /// `POST …/bulk` with `body`.
    pub fn bulk(api: Api, body: Value) -> Self {
        Self {
            method: Method::POST,
            api,
            operation: "bulk".into(),
            body: Some(body),
            subject: None,
        }
    }

    /// The URL at the cloud `cloud_id` (`None`: the `{cloudId}` placeholder) of the
    /// API at `api_url`.
    pub fn url(&self, api_url: &str, cloud_id: Option<&str>) -> String {
        self.api.url(api_url, cloud_id, &self.operation)
    }

    /// The call as it goes to the cloud `cloud_id` (`None`: the `{cloudId}`
    /// placeholder) of the API at `api_url`: what a dry run shows, and what is printed
    /// of a call that could be neither delivered nor saved.
    pub fn into_request(self, api_url: &str, cloud_id: Option<&str>) -> Request {
        Request {
            method: self.method.to_string(),
            url: self.url(api_url, cloud_id),
            body: self.body,
        }
    }
}

/// A call addressed to one cloud: method, URL and body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Request {
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// An HTTP method as text (`"POST"`), as the outbox stores it.
mod method {
    use reqwest::Method;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(method: &Method, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(method.as_str())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Method, D::Error> {
        let text = String::deserialize(d)?;
        Method::from_bytes(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

/// A path segment, percent-encoded (RFC 3986 unreserved characters stay): ids may
/// hold `/`, spaces, `#`, `?`, `..`.
pub fn segment(text: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

/// [`segment`], refusing what no URL can hold as a segment: empty, `.` and `..` (a
/// URL parser resolves them, even encoded, and the request would go elsewhere).
pub fn checked_segment(text: &str, what: &str) -> crate::error::Result<String> {
    if matches!(text, "" | "." | "..") {
        return Err(crate::error::Error::usage(format!(
            "{what} {text:?} cannot be part of a URL"
        )));
    }
    Ok(segment(text))
}

/// Whether `text` is a cloud id: Atlassian's are UUIDs, 8-4-4-4-12 hex digits.
/// Nothing else goes into the path of a request that carries the bearer token.
pub fn is_cloud_id(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
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
            Api::Devinfo.url("https://api.atlassian.com/", Some("abc"), "bulk"),
            "https://api.atlassian.com/jira/devinfo/0.1/cloud/abc/bulk"
        );
        assert_eq!(
            Api::Builds.url("http://127.0.0.1:9", None, "bulk"),
            "http://127.0.0.1:9/jira/builds/0.1/cloud/{cloudId}/bulk"
        );
    }

    #[test]
    fn no_cloud_id_can_change_the_path() {
        // A whole segment of `.` or `..` cannot be written in a URL at all (even
        // encoded, a URL parser resolves it): cloud ids are checked to be UUIDs first.
        for (id, path) in [
            ("../../../../etc", "..%2F..%2F..%2F..%2Fetc"),
            ("a/b?c", "a%2Fb%3Fc"),
            ("a#b c%", "a%23b%20c%25"),
        ] {
            let url = Api::Builds.url("https://api.example", Some(id), "bulk");
            assert_eq!(
                url,
                format!("https://api.example/jira/builds/0.1/cloud/{path}/bulk")
            );
            let parsed = reqwest::Url::parse(&url).unwrap();
            assert!(parsed.path().starts_with("/jira/builds/0.1/cloud/"), "{parsed}");
            assert!(parsed.query().is_none());
        }
    }

    #[test]
    fn cloud_ids_are_uuids() {
        assert!(is_cloud_id("11111111-2222-3333-4444-555555555555"));
        assert!(is_cloud_id("ABCDEF01-abcd-0000-9999-aaaaaaaaaaaa"));
        for bad in [
            "",
            "../../../../etc",
            "a/b?c",
            "11111111-2222-3333-4444-55555555555",
            "11111111-2222-3333-4444-5555555555555",
            "1111111g-2222-3333-4444-555555555555",
            "11111111-2222-3333-4444-555555555555/",
            "11111111222233334444555555555555",
        ] {
            assert!(!is_cloud_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn calls_are_stored_as_the_outbox_has_always_kept_them() {
        let call = Call::bulk(Api::Builds, json!({"builds": []}));
        let stored = serde_json::to_value(&call).unwrap();
        assert_eq!(
            stored,
            json!({"method": "POST", "api": "builds", "operation": "bulk", "body": {"builds": []}})
        );
        assert_eq!(serde_json::from_value::<Call>(stored).unwrap(), call);
        let deletion: Call = serde_json::from_value(
            json!({"method": "DELETE", "api": "featureflags", "operation": "flag/f", "subject": {"id": "f"}}),
        )
        .unwrap();
        assert_eq!(deletion.method, Method::DELETE);
        assert_eq!(deletion.body, None);
        assert!(
            serde_json::from_value::<Call>(
                json!({"method": "NO SUCH", "api": "builds", "operation": "bulk"})
            )
            .is_err()
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
