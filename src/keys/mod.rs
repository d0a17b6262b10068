//! Issue keys: the grammar that finds them, the ordered, deduplicated set of the keys
//! a run found, with where each came from, and their collection from a run's sources
//! (`collect`), over a range of commits that starts where [`range`] decides.

mod collect;
mod grammar;
pub mod range;

use std::collections::HashMap;
use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

pub use collect::{Found, Options, Reader, collect, walk_range};
pub use grammar::Grammar;
pub use range::{Deployment, RangeRead};

/// Where a key was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `--issue-key` / `JIRA_ISSUE_KEYS`.
    Option,
    /// The branch name.
    Branch,
    /// The pull request's title.
    PullRequestTitle,
    /// A commit message (subject or body).
    Commit(git2::Oid),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Option => f.write_str("issue-key"),
            Self::Branch => f.write_str("branch"),
            Self::PullRequestTitle => f.write_str("pull-request-title"),
            Self::Commit(id) => write!(f, "commit:{}", crate::git::short_id(*id)),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The keys found, uppercase, deduplicated in first-seen order, each with its sources.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: Vec<String>,
    sources: Vec<Vec<Source>>,
    index: HashMap<Box<[u8]>, usize>,
    /// Reused to uppercase a key without allocating when it is already known.
    scratch: Vec<u8>,
}

impl KeySet {
    /// Scans `text` with `grammar` and records every key found, from `source`.
    pub fn scan(&mut self, grammar: &Grammar, text: &[u8], source: impl Fn() -> Source) {
        grammar.scan(text, |key| self.add(key, &source));
    }

    /// Records a key known to match the grammar (any case).
    pub fn add(&mut self, key: &[u8], source: impl FnOnce() -> Source) {
        self.scratch.clear();
        self.scratch.extend(key.iter().map(u8::to_ascii_uppercase));
        let slot = match self.index.get(self.scratch.as_slice()) {
            Some(&slot) => slot,
            None => {
                let slot = self.keys.len();
                // The grammar only matches ASCII, so this cannot fail.
                let key = String::from_utf8_lossy(&self.scratch).into_owned();
                self.index.insert(self.scratch.clone().into_boxed_slice(), slot);
                self.keys.push(key);
                self.sources.push(Vec::new());
                slot
            }
        };
        let source = source();
        let sources = &mut self.sources[slot];
        if sources.last() != Some(&source) {
            sources.push(source);
        }
    }

    /// The keys, in first-seen order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Each key with its sources, in first-seen order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Source])> {
        self.keys
            .iter()
            .map(String::as_str)
            .zip(self.sources.iter().map(Vec::as_slice))
    }

    /// The `keySources` object of the JSON output.
    pub fn sources(&self) -> KeySources<'_> {
        KeySources(self)
    }
}

/// Serializes as `{"ABC-1": ["branch", "commit:1a2b3c4"], …}` in key order.
#[derive(Debug)]
pub struct KeySources<'a>(&'a KeySet);

impl Serialize for KeySources<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, sources) in self.0.iter() {
            map.serialize_entry(key, sources)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(prefix: &str) -> git2::Oid {
        git2::Oid::from_str(&format!("{prefix:0<40}")).unwrap()
    }

    #[test]
    fn deduplicates_in_first_seen_order_and_keeps_sources() {
        let g = Grammar::new(true, [""; 0]);
        let mut set = KeySet::default();
        set.scan(&g, b"feature/ABC-123-login", || Source::Branch);
        set.scan(&g, b"DEF-1 and abc-123, DEF-1 again", || {
            Source::Commit(oid("1a2b3c4"))
        });
        set.scan(&g, b"ABC-123", || Source::Commit(oid("5d6e7f8")));
        assert_eq!(set.keys(), ["ABC-123", "DEF-1"]);
        let json = serde_json::to_string(&set.sources()).unwrap();
        assert_eq!(
            json,
            r#"{"ABC-123":["branch","commit:1a2b3c4","commit:5d6e7f8"],"DEF-1":["commit:1a2b3c4"]}"#
        );
    }
}
