//! The issue-key grammar, as a hand-written scanner.
//!
//! A key is `PROJECT-NUMBER`: PROJECT is an ASCII uppercase letter followed by 1–255
//! ASCII uppercase letters, digits or `_`; NUMBER is 1–18 digits, not starting with
//! `0`. The character before a key is the start of the text or anything but an ASCII
//! letter or digit, and so is the character after. `CVE-2024-1234` is a vulnerability
//! id, not a key.
//!
//! Why not a regex: the boundaries need look-around, which the `regex` crate does not
//! have, and this scanner runs over every commit message of a range. It jumps from `-`
//! to `-` with `memchr` (messages have few of them), looks forward for the number
//! and back for the project, so a message without keys costs about one `memchr` pass.

use std::collections::HashSet;

/// Longest project part: one letter plus 255 more characters.
const MAX_PROJECT: usize = 256;
/// Longest number part: 18 digits always fit in an `i64`.
const MAX_NUMBER: usize = 18;

/// The grammar with its options: case handling and a project allow-list.
#[derive(Clone, Debug, Default)]
pub struct Grammar {
    ignore_case: bool,
    /// Uppercase project keys; `None` accepts every project.
    projects: Option<HashSet<Vec<u8>>>,
}

impl Grammar {
    /// `ignore_case` also accepts lowercase and mixed-case keys; `projects`, when not
    /// empty, accepts only keys of those projects (compared case-insensitively).
    pub fn new<I, S>(ignore_case: bool, projects: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let projects: HashSet<Vec<u8>> = projects
            .into_iter()
            .map(|p| p.as_ref().trim().to_ascii_uppercase().into_bytes())
            .filter(|p| !p.is_empty())
            .collect();
        Self {
            ignore_case,
            projects: (!projects.is_empty()).then_some(projects),
        }
    }

    /// Calls `found` with each key in `text`, in order, as written in the text (so
    /// lowercase under `ignore_case`; the caller uppercases).
    pub fn scan<'t>(&self, text: &'t [u8], mut found: impl FnMut(&'t [u8])) {
        for dash in memchr::memchr_iter(b'-', text) {
            if let Some(start) = self.key_at(text, dash) {
                found(&text[start..number_end(text, dash)]);
            }
        }
    }

    /// The key that `text` is, as a whole, or `None`.
    pub fn parse<'t>(&self, text: &'t str) -> Option<&'t str> {
        let mut whole = None;
        let mut count = 0;
        self.scan(text.as_bytes(), |key| {
            count += 1;
            if key.len() == text.len() {
                whole = Some(text);
            }
        });
        if count == 1 { whole } else { None }
    }

    /// Where the key whose hyphen is at `dash` starts, if there is one.
    fn key_at(&self, text: &[u8], dash: usize) -> Option<usize> {
        let end = number_end(text, dash);
        let number = &text[dash + 1..end];
        if number.is_empty() || number.len() > MAX_NUMBER || number[0] == b'0' {
            return None;
        }
        // The number run is maximal, so what follows is not a digit; it must not be a
        // letter either.
        if text.get(end).is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }

        // Walk back over project characters, no further than the longest project.
        let floor = dash.saturating_sub(MAX_PROJECT);
        let mut run = dash;
        while run > floor && self.is_project_char(text[run - 1]) {
            run -= 1;
        }
        // The earliest position in the run that may start a key: a letter preceded by
        // the start of the text or by something other than an ASCII letter or digit
        // (inside a run, that can only be `_`).
        let start = (run..dash.saturating_sub(1))
            .find(|&i| self.is_first_char(text[i]) && (i == 0 || !text[i - 1].is_ascii_alphanumeric()))?;

        let project = &text[start..dash];
        if project.eq_ignore_ascii_case(b"CVE") && is_cve_tail(&text[end..]) {
            return None;
        }
        if let Some(projects) = &self.projects
            && !projects.contains(&project.to_ascii_uppercase())
        {
            return None;
        }
        Some(start)
    }

    fn is_first_char(&self, b: u8) -> bool {
        if self.ignore_case {
            b.is_ascii_alphabetic()
        } else {
            b.is_ascii_uppercase()
        }
    }

    fn is_project_char(&self, b: u8) -> bool {
        b == b'_' || b.is_ascii_digit() || self.is_first_char(b)
    }
}

/// The end of the run of digits after the hyphen at `dash`.
fn number_end(text: &[u8], dash: usize) -> usize {
    let digits = text[dash + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
    dash + 1 + digits
}

/// Whether the text after `CVE-<year>` continues a CVE id (`-1234`).
fn is_cve_tail(rest: &[u8]) -> bool {
    rest.len() >= 2 && rest[0] == b'-' && rest[1].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(grammar: &Grammar, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        grammar.scan(text.as_bytes(), |k| {
            out.push(String::from_utf8(k.to_vec()).unwrap());
        });
        out
    }

    fn strict(text: &str) -> Vec<String> {
        keys(&Grammar::default(), text)
    }

    /// The grammar over a table of texts and the keys they hold.
    #[test]
    fn key_table() {
        let long_project = format!("A{}", "B".repeat(255));
        let too_long_project = format!("A{}", "B".repeat(256));
        let cases: Vec<(String, Vec<String>)> = vec![
            // plain keys and their surroundings
            ("ABC-123".into(), vec!["ABC-123".into()]),
            ("fix ABC-123 now".into(), vec!["ABC-123".into()]),
            ("ABC-123: subject".into(), vec!["ABC-123".into()]),
            ("[ABC-123] subject".into(), vec!["ABC-123".into()]),
            ("(ABC-123)".into(), vec!["ABC-123".into()]),
            ("ABC-123.".into(), vec!["ABC-123".into()]),
            ("ABC-123,DEF-4".into(), vec!["ABC-123".into(), "DEF-4".into()]),
            ("ABC-123/DEF-4".into(), vec!["ABC-123".into(), "DEF-4".into()]),
            ("\"ABC-1\"".into(), vec!["ABC-1".into()]),
            ("#ABC-1".into(), vec!["ABC-1".into()]),
            ("ABC-1#2".into(), vec!["ABC-1".into()]),
            ("ABC-1\u{e9}".into(), vec!["ABC-1".into()]),
            ("\u{e9}ABC-1".into(), vec!["ABC-1".into()]),
            ("\u{a0}ABC-1\u{a0}".into(), vec!["ABC-1".into()]),
            // branch names
            ("feature/ABC-123-login".into(), vec!["ABC-123".into()]),
            ("ABC-123-add-an-awesome-feature".into(), vec!["ABC-123".into()]),
            ("bugfix/ABC-7_DEF-8".into(), vec!["ABC-7".into(), "DEF-8".into()]),
            ("JIRA-1234_some_tag".into(), vec!["JIRA-1234".into()]),
            // multi-line messages: subject and body
            (
                "Squashed title (#12)\n* TEST-3 Fix bug #1\n\n* TEST-4 Fix bug #2\n".into(),
                vec!["TEST-3".into(), "TEST-4".into()],
            ),
            (
                "subject\n\nRefs: ABC-1\r\nCloses DEF-2\n".into(),
                vec!["ABC-1".into(), "DEF-2".into()],
            ),
            (
                "TEST-123 TEST-789 Add two".into(),
                vec!["TEST-123".into(), "TEST-789".into()],
            ),
            // digits and underscores in the project
            ("A11Y-1".into(), vec!["A11Y-1".into()]),
            ("I18N-22".into(), vec!["I18N-22".into()]),
            ("K1-1".into(), vec!["K1-1".into()]),
            ("MG01-115".into(), vec!["MG01-115".into()]),
            ("JF1-13".into(), vec!["JF1-13".into()]),
            ("MY_PROJ-5".into(), vec!["MY_PROJ-5".into()]),
            ("foo_ABC-1".into(), vec!["ABC-1".into()]),
            ("_ABC-1".into(), vec!["ABC-1".into()]),
            // what is not a key
            ("".into(), vec![]),
            ("no keys here".into(), vec![]),
            ("F-67".into(), vec![]),
            ("2PAC-123".into(), vec![]),
            ("thisNOT-123".into(), vec![]),
            ("abc-123".into(), vec![]),
            ("Abc-123".into(), vec![]),
            ("ABc-123".into(), vec![]),
            ("ABC-".into(), vec![]),
            ("ABC-x".into(), vec![]),
            ("-123".into(), vec![]),
            ("ABC123".into(), vec![]),
            ("ABC_123".into(), vec![]),
            ("ABC--123".into(), vec![]),
            ("ABC-123abc".into(), vec![]),
            ("ABC-123X".into(), vec![]),
            ("xABC-123".into(), vec![]),
            ("1ABC-123".into(), vec![]),
            ("utf-8".into(), vec![]),
            ("UTF-8".into(), vec!["UTF-8".into()]),
            ("2022-02-01".into(), vec![]),
            // leading zero and number length
            ("ABC-0".into(), vec![]),
            ("ABC-01".into(), vec![]),
            ("ABC-10".into(), vec!["ABC-10".into()]),
            (
                "ABC-123456789012345678".into(),
                vec!["ABC-123456789012345678".into()],
            ),
            ("ABC-1234567890123456789".into(), vec![]),
            // hyphenated neighbours
            ("TICKET-1234-56".into(), vec!["TICKET-1234".into()]),
            ("TEST-TEST-1".into(), vec!["TEST-1".into()]),
            ("ABC-DEF-12".into(), vec!["DEF-12".into()]),
            ("release-2024".into(), vec![]),
            // CVE identifiers
            ("CVE-2024-1234".into(), vec![]),
            ("fixes CVE-2021-44228 (log4shell)".into(), vec![]),
            ("CVE-2024".into(), vec!["CVE-2024".into()]),
            ("CVE-2024-x".into(), vec!["CVE-2024".into()]),
            ("CVE-2024-1234 and ABC-1".into(), vec!["ABC-1".into()]),
            // long projects
            (format!("{long_project}-1"), vec![format!("{long_project}-1")]),
            (format!("{too_long_project}-1"), vec![]),
            (format!("x_{long_project}-9 "), vec![format!("{long_project}-9")]),
        ];
        for (text, expected) in cases {
            assert_eq!(strict(&text), expected, "in {text:?}");
        }
    }

    #[test]
    fn ignore_case_accepts_any_case() {
        let g = Grammar::new(true, Vec::<String>::new());
        assert_eq!(keys(&g, "abc-123 Abc-4 aBC-5"), ["abc-123", "Abc-4", "aBC-5"]);
        assert_eq!(keys(&g, "Test-123-add-an-awesome-feature"), ["Test-123"]);
        assert_eq!(
            keys(&g, "fooabc-1"),
            ["fooabc-1"],
            "the whole word is the project"
        );
        assert_eq!(keys(&g, "1abc-1 é-1"), Vec::<String>::new());
        assert_eq!(keys(&g, "cve-2024-1234"), Vec::<String>::new());
    }

    #[test]
    fn projects_are_an_allow_list() {
        let g = Grammar::new(false, ["abc", " DEF "]);
        assert_eq!(keys(&g, "ABC-1 XYZ-2 DEF-3 UTF-8"), ["ABC-1", "DEF-3"]);
        let g = Grammar::new(true, ["ABC"]);
        assert_eq!(keys(&g, "abc-1 xyz-2"), ["abc-1"]);
    }

    #[test]
    fn parse_accepts_only_a_whole_key() {
        let g = Grammar::default();
        assert_eq!(g.parse("ABC-1"), Some("ABC-1"));
        assert_eq!(g.parse(" ABC-1"), None);
        assert_eq!(g.parse("ABC-1 DEF-2"), None);
        assert_eq!(g.parse("ABC-01"), None);
        assert_eq!(g.parse("abc-1"), None);
        assert_eq!(Grammar::new(true, [""; 0]).parse("abc-1"), Some("abc-1"));
    }

    #[test]
    fn every_key_in_a_long_text_is_found() {
        let text: String = (1..=600).map(|i| format!("TEST-{i} ")).collect();
        assert_eq!(strict(&text).len(), 600);
    }
}
