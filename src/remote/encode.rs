//! Percent-encoding what git names for a URL.
//!
//! Every part of a web URL that comes from git (the repository path, a branch or tag
//! name, a file path) is percent-encoded per RFC 3986 for the place it goes: a path
//! segment keeps only `pchar`s, a query value also encodes `&`, `=` and `+`. Git allows
//! spaces, `#`, `?`, `%`, any Unicode and emoji in all of them, and Jira refuses a
//! payload whose URL is not a URI.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What a path segment may hold as itself (RFC 3986 `pchar`): unreserved characters,
/// sub-delimiters, `:` and `@`. Everything else, non-ASCII included, is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// What a query value may hold as itself: a query's characters (`pchar`, `/`, `?`)
/// but the ones that split or rewrite `key=value&…` pairs (`&`, `=`, `+`).
const QUERY_VALUE: &AsciiSet = &SEGMENT.add(b'&').add(b'=').add(b'+').remove(b'/').remove(b'?');

/// `text` as one path segment: `a/b` → `a%2Fb`.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A `/`-separated path (a file path, a branch name, a repository path) with each
/// segment encoded and the separators kept: `docs/My File.md` → `docs/My%20File.md`.
pub fn path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let _ = write!(out, "{}", utf8_percent_encode(part, SEGMENT));
    }
    out
}

/// `text` as a query value: `/src/a b.rs` → `/src/a%20b.rs`; `a&b` → `a%26b`.
pub fn query_value(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_keep_their_pairs_apart() {
        assert_eq!(query_value("a&b=c+d"), "a%26b%3Dc%2Bd");
        assert_eq!(segment("a/b"), "a%2Fb");
        assert_eq!(path("a/b c"), "a/b%20c");
    }
}
