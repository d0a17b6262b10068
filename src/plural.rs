//! Counts in words, for logs and reports: `1 build`, `3 builds`.

/// `1 build`, `3 builds`: a count and its noun, in the singular or the plural.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
