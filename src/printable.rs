//! Text from outside (a server's message, an issue key it lists, a file's contents)
//! made safe to print.
//!
//! A server controls what it answers. Printed as it came, a newline in it starts a line
//! of its own: one that reads `::error::…` is a GitHub workflow command (an annotation,
//! `::add-mask::`, `::stop-commands::`), and the runner's older parser finds `##[…]`
//! anywhere in a line. An escape sequence (`\x1b[2J`, an OSC title) drives the
//! terminal of whoever reads the log. So:
//! - server text is kept on one line, its control characters escaped ([`escape`]) the
//!   way the logs escape them (`\n`, `\x1b`, `\u{9b}`);
//! - everything printed for people goes through [`lines`] last: control characters
//!   other than the line breaks escaped, and no line that the runner would take for a
//!   workflow command;
//! - JSON goes through [`json`]: the same defence, in JSON's own escapes, so the value
//!   a program reads is unchanged.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Where the runner finds a workflow command: at the start of a line (after spaces)
/// for `::`, anywhere in it for the older `##[`.
const COMMAND: &str = "::";
const OLD_COMMAND: &str = "##[";

/// `text` on one line: every control character escaped.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_controls(text, |_| false)
}

/// `text` (lines for people) with the control characters other than line feeds and
/// tabs escaped, and no workflow command in it: a line that would start one gets a
/// backslash before its `::`, and `##[` becomes `##\[`.
pub fn lines(text: &str) -> Cow<'_, str> {
    let escaped = escape_controls(text, |c| c == '\n' || c == '\t');
    let risky = escaped.contains(OLD_COMMAND)
        || escaped
            .split('\n')
            .any(|line| line.trim_start().starts_with(COMMAND));
    if !risky {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for (n, line) in escaped.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        out.push_str(indent);
        if body.starts_with(COMMAND) {
            out.push('\\');
        }
        out.push_str(&body.replace(OLD_COMMAND, "##\\["));
    }
    Cow::Owned(out)
}

/// `json` (as `serde_json` wrote it) with the same defence in JSON's escapes, which
/// leave every value as it was: DEL and the C1 controls (which `serde_json` writes
/// raw) become `\u007f`, `\u009b`; `##[` becomes `##\u005b`. A line of JSON never
/// starts with `::`: every string starts with a quote.
pub fn json(json: &str) -> Cow<'_, str> {
    // Pretty JSON is full of line breaks, which stay: only another control character
    // (or the old command marker) costs a copy.
    let risky = json.contains(OLD_COMMAND) || has_control(json, |c| c == '\n');
    if !risky {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        // Line breaks between values; a control character inside a string is escaped
        // by serde_json already.
        if c.is_control() && c != '\n' {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out.replace(OLD_COMMAND, "##\\u005b"))
}

/// Whether `text` holds a control character that `keep` does not keep. Scanned as
/// bytes, in blocks the compiler vectorises, which is many times faster than decoding
/// characters over a large report: the controls are C0 and DEL (one byte each) and C1
/// (`0xC2 0x80..=0x9F` in UTF-8). Only a block with a candidate byte is looked at
/// closely.
fn has_control(text: &str, keep: impl Fn(char) -> bool) -> bool {
    const BLOCK: usize = 64;
    let bytes = text.as_bytes();
    let line_feed_kept = keep('\n');
    let candidate = |b: u8| (b < 0x20 && !(line_feed_kept && b == b'\n')) || b == 0x7f || b == 0xc2;
    let control_at = |i: usize| match bytes[i] {
        b @ (0x00..=0x1f | 0x7f) => Some(char::from(b)),
        0xc2 => match bytes.get(i + 1) {
            Some(&next @ 0x80..=0x9f) => char::from_u32(u32::from(next)),
            _ => None,
        },
        _ => None,
    };
    bytes.chunks(BLOCK).enumerate().any(|(n, block)| {
        block.iter().fold(false, |hit, &b| hit | candidate(b))
            && (n * BLOCK..n * BLOCK + block.len()).any(|i| control_at(i).is_some_and(|c| !keep(c)))
    })
}

/// `text` with each control character `keep` does not keep escaped.
fn escape_controls(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !has_control(text, &keep) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            c if !c.is_control() || keep(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The byte scan finds exactly the characters `char::is_control` names.
        #[test]
        fn the_byte_scan_agrees_with_is_control(text in "\\PC*|[\\x00-\\x{a0}]*", keep_line_feed: bool) {
            let keep = |c: char| keep_line_feed && c == '\n';
            let expected = text.chars().any(|c| c.is_control() && !keep(c));
            proptest::prop_assert_eq!(has_control(&text, keep), expected);
        }
    }

    #[test]
    fn server_text_stays_on_one_line_without_escape_sequences() {
        let evil = "ok\n::error title=X::y\r\x1b[31mRED\x1b]0;t\x07\u{9b}2J\tz";
        assert_eq!(
            escape(evil),
            "ok\\n::error title=X::y\\r\\x1b[31mRED\\x1b]0;t\\x07\\u{9b}2J\\tz"
        );
        assert!(matches!(escape("plain text: é ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn no_printed_line_is_a_workflow_command() {
        let text = "a\n::error::x\n   ::warning::y\nsee ##[error]z\n\tkept\x1b\n";
        assert_eq!(
            lines(text),
            "a\n\\::error::x\n   \\::warning::y\nsee ##\\[error]z\n\tkept\\x1b\n"
        );
        assert!(matches!(lines("a: b ::c\n  d\n"), Cow::Borrowed(_)));
        for line in lines(text).lines() {
            assert!(!line.trim_start().starts_with("::") && !line.contains("##["));
        }
    }

    #[test]
    fn json_keeps_its_values_and_loses_the_commands() {
        let value = serde_json::json!({"m": "##[error]x\u{7f}\u{9b}\n::warning::y"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json(&text);
        assert!(!safe.contains("##[") && !safe.contains('\u{9b}') && !safe.contains('\u{7f}'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
        assert!(matches!(json("{\"a\": 1}"), Cow::Borrowed(_)));
    }
}
