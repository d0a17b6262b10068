//! Reading a CI system's variables: the structs envy fills, and the shapes of values
//! every vendor uses (run numbers, outcome words, refs, commit ids).

use serde::de::{Deserialize, DeserializeOwned, Deserializer};

use super::CiState;
use crate::env::Env;

/// A CI system's variables, deserialised by envy from the environment snapshot: a
/// field `ci_project_path` holds `CI_PROJECT_PATH` (envy matches names without case),
/// with `prefix` (`GITHUB_`) left out of the field names.
///
/// Every field is an `Option`, and the typed ones ([`as_number`]) take a value that
/// does not parse as unset, as a vendor's odd value is no reason to drop the run's other
/// variables; so no variable can fail the set. Should one all the same (a field of a
/// type envy cannot fill), the system's variables count as unset and `-v` says why.
/// (A state stays a string until [`reported_state`] reads it: an odd one is `unknown`,
/// not unset.)
pub(super) fn variables<T: DeserializeOwned + Default>(env: &Env, prefix: &str) -> T {
    envy::prefixed(prefix).from_iter(env.iter()).unwrap_or_else(|e| {
        tracing::info!("cannot read the CI system's variables ({e}); going on without them");
        T::default()
    })
}

/// An envy field holding a run number (see [`number`]).
pub(super) fn as_number<'de, D: Deserializer<'de>>(variable: D) -> Result<Option<u64>, D::Error> {
    Ok(number(Option::<String>::deserialize(variable)?.as_deref()))
}

/// The run's outcome that `variable` reports in `word` (see [`state`]). A word
/// jira-send does not know is `unknown`, with a note at `-v`: a build whose CI said
/// something else than "success" is never reported as successful. Empty: not said.
pub(super) fn reported_state(variable: &str, word: Option<&str>) -> Option<CiState> {
    let word = word.map(str::trim).filter(|w| !w.is_empty())?;
    Some(state(word).unwrap_or_else(|| {
        tracing::info!(
            "{variable} is {word:?}, which is no state jira-send knows: the state sent is unknown"
        );
        CiState::Unknown
    }))
}

/// The first candidate with a value, and the name of where it came from.
pub(super) fn first<'a>(
    candidates: impl IntoIterator<Item = (&'a str, Option<String>)>,
) -> (Option<String>, &'a str) {
    candidates
        .into_iter()
        .find_map(|(name, value)| Some((Some(value.filter(|v| !v.is_empty())?), name)))
        .unwrap_or((None, ""))
}

/// Parses a run number; CI systems hand them out as decimal strings.
pub(super) fn number(value: Option<&str>) -> Option<u64> {
    value?.trim().parse().ok()
}

/// A run's outcome from the words CI systems use for it. `running` is in progress
/// here; a system where a running job's step means more says so itself (GitLab).
pub(super) fn state(word: &str) -> Option<CiState> {
    match word.to_ascii_lowercase().as_str() {
        "success" | "succeeded" | "successful" | "passed" | "succeededwithissues" => {
            Some(CiState::Successful)
        }
        "failed" | "failure" | "error" | "errored" => Some(CiState::Failed),
        "canceled" | "cancelled" | "aborted" | "killed" => Some(CiState::Cancelled),
        "running" | "started" | "in_progress" => Some(CiState::InProgress),
        "pending" | "queued" | "waiting" => Some(CiState::Pending),
        _ => None,
    }
}

/// `refs/heads/main` → `main`; other names unchanged.
pub(super) fn branch_name(reference: &str) -> &str {
    reference.strip_prefix("refs/heads/").unwrap_or(reference)
}

/// `refs/tags/v1` → `v1`.
pub(super) fn tag_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("refs/tags/")
}

/// A full commit id (40 or 64 hex digits) that is not the all-zero "no commit" value:
/// what the run may report as the commit built.
pub(super) fn commit_id(sha: Option<String>) -> Option<String> {
    real_commit(sha).filter(|s| matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A commit id that is not the all-zero "no commit" value.
pub(super) fn real_commit(sha: Option<String>) -> Option<String> {
    sha.filter(|s| !s.is_empty() && !s.bytes().all(|b| b == b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_read_from_common_words() {
        assert_eq!(state("success"), Some(CiState::Successful));
        assert_eq!(state("Succeeded"), Some(CiState::Successful));
        assert_eq!(state("SucceededWithIssues"), Some(CiState::Successful));
        assert_eq!(state("Failed"), Some(CiState::Failed));
        assert_eq!(state("canceled"), Some(CiState::Cancelled));
        assert_eq!(state("skipped"), None);
    }

    #[test]
    fn a_state_in_unknown_words_is_unknown_never_unset() {
        let read = |word| reported_state("JOB_STATUS", word);
        assert_eq!(read(Some("Failed")), Some(CiState::Failed));
        assert_eq!(read(Some("skipped")), Some(CiState::Unknown));
        assert_eq!(read(Some("weird")), Some(CiState::Unknown));
        assert_eq!(read(Some(" ")), None);
        assert_eq!(read(None), None);
    }

    #[test]
    fn all_zero_commits_are_no_commit() {
        assert_eq!(real_commit(Some("0".repeat(40))), None);
        assert_eq!(real_commit(Some("abc".into())), Some("abc".into()));
        assert_eq!(commit_id(Some("abc".into())), None);
        assert_eq!(commit_id(Some("a".repeat(40))), Some("a".repeat(40)));
    }

    #[test]
    fn typed_variables_that_do_not_parse_are_unset() {
        #[derive(Debug, Default, serde::Deserialize)]
        struct Vars {
            #[serde(default, deserialize_with = "as_number")]
            build_number: Option<u64>,
            build_url: Option<String>,
        }
        let env: Env = [("BUILD_NUMBER", "1.4.2-rc"), ("BUILD_URL", "https://ci/1")]
            .into_iter()
            .collect();
        let vars: Vars = variables(&env, "");
        assert_eq!(vars.build_number, None);
        assert_eq!(vars.build_url.as_deref(), Some("https://ci/1"));
        let env: Env = [("BUILD_NUMBER", " 42 ")].into_iter().collect();
        let vars: Vars = variables(&env, "");
        assert_eq!(vars.build_number, Some(42));
    }
}
