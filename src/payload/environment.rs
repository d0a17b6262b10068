//! Deployment environments: a type guessed from the name, and an id derived from it.

use serde::Serialize;

/// `environment.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentType {
    Unmapped,
    Development,
    Testing,
    Staging,
    Production,
}

/// Whole words that mark each type, checked in this order (the words GitHub for Jira
/// recognises, which Jira users already know).
const WORDS: &[(EnvironmentType, &[&str])] = &[
    (
        EnvironmentType::Development,
        &["development", "dev", "trunk", "develop"],
    ),
    (
        EnvironmentType::Testing,
        &[
            "testing",
            "test",
            "tests",
            "tst",
            "integration",
            "integ",
            "intg",
            "int",
            "acceptance",
            "accept",
            "acpt",
            "qa",
            "qc",
            "control",
            "quality",
            "uat",
            "sit",
        ],
    ),
    (
        EnvironmentType::Staging,
        &["staging", "stage", "stg", "sta", "preprod", "model", "internal"],
    ),
    (
        EnvironmentType::Production,
        &["production", "prod", "prd", "live"],
    ),
];

impl EnvironmentType {
    /// A CI system's environment tier (GitLab: production, staging, testing,
    /// development, other).
    pub fn from_tier(tier: &str) -> Self {
        match tier.to_ascii_lowercase().as_str() {
            "production" => Self::Production,
            "staging" => Self::Staging,
            "testing" => Self::Testing,
            "development" => Self::Development,
            _ => Self::Unmapped,
        }
    }

    /// The type whose words appear as whole words of `name` (case-insensitive; words
    /// are separated by anything but letters and digits), else `Unmapped`.
    pub fn guess(name: &str) -> Self {
        let lower = name.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        WORDS
            .iter()
            .find(|(_, markers)| words.iter().any(|w| markers.contains(w)))
            .map_or(Self::Unmapped, |(kind, _)| *kind)
    }
}

/// A stable environment id from its name: lowercase ASCII letters and digits, other
/// runs of characters turned into `-` (`Production EU` → `production-eu`). The same
/// name gives the same id on every run, which is what keeps Jira from showing a new
/// environment per deployment. A name with no ASCII letter or digit gets a hash.
pub fn environment_id(name: &str) -> String {
    let mut id = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-');
    if id.is_empty() {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(name.as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("env-{hex}")
    } else {
        id.chars().take(super::text::MAX_TEXT).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnvironmentType::*;

    #[test]
    fn types_are_guessed_from_whole_words() {
        let cases = [
            ("Production EU", Production),
            ("prod", Production),
            ("us-east-1-prd", Production),
            ("Live", Production),
            ("staging", Staging),
            ("pre-prod", Production),
            ("preprod", Staging),
            ("UAT", Testing),
            ("qa_2", Testing),
            ("Integration tests", Testing),
            ("dev", Development),
            ("Development", Development),
            ("review/feature-x", Unmapped),
            ("production2", Unmapped),
            ("products", Unmapped),
            ("devops", Unmapped),
            ("", Unmapped),
        ];
        for (name, expected) in cases {
            assert_eq!(EnvironmentType::guess(name), expected, "for {name:?}");
        }
    }

    #[test]
    fn ids_are_stable_slugs() {
        assert_eq!(environment_id("Production EU"), "production-eu");
        assert_eq!(environment_id("Production EU"), environment_id("Production EU"));
        assert_eq!(environment_id("  review/feature_x  "), "review-feature-x");
        assert_eq!(environment_id("Staging (2)"), "staging-2");
        let hashed = environment_id("本番");
        assert!(hashed.starts_with("env-") && hashed.len() == 20);
        assert_eq!(hashed, environment_id("本番"));
        assert_eq!(environment_id(&"a".repeat(300)).len(), 255);
    }
}
