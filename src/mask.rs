//! Secrets kept out of everything printed or written.
//!
//! The client secrets and access tokens of this process are registered as they come
//! into being; [`mask`] replaces them in any text. Servers echo what they were sent
//! (an `error_description` holding the client secret, a 400 quoting the bearer
//! token), so server text is masked too, wherever it ends up: logs, errors, reports.
//! Server text is also cut and kept on one line ([`cap`]): a 10 MB error page is not
//! a message, and a newline or an escape sequence in it is not the server's to print.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret is replaced with.
pub const MASK: &str = "****";

/// Shorter secrets are not masked: replacing every `ab` in a text would garble it (a
/// JSON report would no longer be JSON). A client secret this short is refused
/// instead ([`crate::settings`]), so none of ours goes unmasked; a server's token this
/// short is the server's to worry about.
pub const MIN_LEN: usize = 6;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Masks `secret` from now on.
pub fn register(secret: &str) {
    if secret.len() < MIN_LEN {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Its JSON-escaped form too: a report prints JSON.
    let escaped = serde_json::to_string(secret).unwrap_or_default();
    let escaped = escaped.trim_matches('"');
    for form in [secret, escaped] {
        if !secrets.iter().any(|s| s == form) {
            secrets.push(form.to_owned());
        }
    }
}

/// `text` with every registered secret replaced by [`MASK`].
pub fn mask(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut text = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), MASK));
        }
    }
    text
}

/// `text`, masked, on one line (control characters escaped, see
/// [`crate::printable::escape`]) and cut to at most `max` characters (an ellipsis says
/// it was cut).
pub fn cap(text: &str, max: usize) -> String {
    let masked = mask(text);
    let masked = crate::printable::escape(&masked);
    match masked.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &masked[..end]),
        None => masked.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked_wherever_they_appear() {
        register("sec\"ret-value-1");
        assert_eq!(mask("a sec\"ret-value-1 b"), "a **** b");
        assert_eq!(
            mask(&serde_json::json!({"e": "sec\"ret-value-1"}).to_string()),
            r#"{"e":"****"}"#
        );
        assert!(matches!(mask("nothing here"), Cow::Borrowed(_)));
        register("ab");
        assert_eq!(mask("abc"), "abc", "too short to be a secret");
    }

    #[test]
    fn capped_text_says_it_was_cut() {
        assert_eq!(cap("short", 10), "short");
        assert_eq!(cap("ééééé", 3), "ééé…");
        assert_eq!(cap(&"x".repeat(10_000_000), 5), "xxxxx…");
        assert_eq!(cap("a\n::error::b\x1b[2J", 100), "a\\n::error::b\\x1b[2J");
    }
}
