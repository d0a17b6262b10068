//! Making strings acceptable to Jira: the API's length limits, and the characters
//! its storage rejects.
//!
//! Jira stores these fields in XML-based storage that rejects characters outside the
//! Basic Multilingual Plane ("Invalid binary character '#xD83D'") and most control
//! characters; one emoji in a commit subject fails the whole request. They are
//! replaced with U+FFFD, and strings are cut on a character boundary.

/// Most names and descriptions.
pub const MAX_TEXT: usize = 255;
/// URLs.
pub const MAX_URL: usize = 2000;

const REPLACEMENT: char = '\u{FFFD}';
const ELLIPSIS: char = '…';

/// Whether Jira accepts `c`: tab, line feed, carriage return, and U+0020..=U+FFFD
/// except the surrogate range (which a Rust `char` cannot hold anyway).
pub fn is_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}')
}

/// `text` with disallowed characters replaced, cut to at most `max` characters. A cut
/// text ends in `…`, so a reader can tell. Since every kept character is in the BMP,
/// the character count equals Java's `String.length()`, which is what Jira counts.
pub fn clean(text: &str, max: usize) -> String {
    if is_plain(text, max) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len().min(max * 3));
    for (count, c) in text.chars().enumerate() {
        if count == max {
            // Make room for the ellipsis in place of the last character kept.
            out.pop();
            out.push(ELLIPSIS);
            return out;
        }
        out.push(if is_allowed(c) { c } else { REPLACEMENT });
    }
    out
}

/// Like [`clean`], for URLs: cut without an ellipsis, which would not be a URL
/// character.
pub fn clean_url(url: &str) -> String {
    if is_plain(url, MAX_URL) {
        return url.to_owned();
    }
    url.chars().filter(|&c| is_allowed(c)).take(MAX_URL).collect()
}

/// Whether `text` is printable ASCII (and tabs, line breaks) of at most `max` bytes:
/// then it is kept as it is. Nearly every commit subject, file path and URL is; this
/// spares them a character-by-character copy.
fn is_plain(text: &str, max: usize) -> bool {
    text.len() <= max
        && text
            .bytes()
            .all(|b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_unchanged() {
        assert_eq!(
            clean("Deploy to Production EU", MAX_TEXT),
            "Deploy to Production EU"
        );
        assert_eq!(clean("", MAX_TEXT), "");
    }

    #[test]
    fn emoji_and_controls_are_replaced() {
        assert_eq!(clean("ship it 🚀", MAX_TEXT), "ship it \u{FFFD}");
        assert_eq!(
            clean("a\u{0}b\u{7}c\td\ne", MAX_TEXT),
            "a\u{FFFD}b\u{FFFD}c\td\ne"
        );
        assert_eq!(clean("\u{FFFE}", MAX_TEXT), "\u{FFFD}");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let text = "é".repeat(300);
        let cut = clean(&text, MAX_TEXT);
        assert_eq!(cut.chars().count(), MAX_TEXT);
        assert!(cut.ends_with('…'));
        assert_eq!(clean(&"x".repeat(255), MAX_TEXT), "x".repeat(255));
        assert_eq!(clean(&"x".repeat(256), MAX_TEXT).chars().count(), 255);
    }

    #[test]
    fn urls_are_cut_at_2000() {
        let url = format!("https://example.com/{}", "a".repeat(3000));
        assert_eq!(clean_url(&url).chars().count(), MAX_URL);
        assert_eq!(clean_url("https://x/🚀"), "https://x/");
    }
}
