//! An answer's body as JSON, read as leniently as JSON allows.
//!
//! JSON puts no bound on numbers, `serde_json` does: a number beyond `f64` (`1e400`)
//! fails the whole document as "number out of range", so a token answer with
//! `"expires_in": 1e400` would be "not JSON" and asked again eight times. Such a
//! number is read as the largest `f64` of its sign instead (what JavaScript's
//! `Infinity` would be clamped to), and whatever uses it clamps it further (a token's
//! lifetime to a day).

use serde_json::Value;

/// `body` as JSON; `None` when it is not JSON.
pub fn parse(body: &[u8]) -> Option<Value> {
    match serde_json::from_slice(body) {
        Ok(value) => Some(value),
        // Only an out-of-range number is worth a second reading.
        Err(e) if e.to_string().starts_with("number out of range") => {
            serde_json::from_slice(&clamp_huge_numbers(body)?).ok()
        }
        Err(_) => None,
    }
}

/// `body` with each number outside strings that overflows `f64` written as the largest
/// `f64` of its sign; `None` when there is none (or the body is not UTF-8).
fn clamp_huge_numbers(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut out = String::with_capacity(text.len());
    let mut clamped = false;
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '-' || c.is_ascii_digit() {
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
                .unwrap_or(rest.len());
            let number = &rest[..end];
            match number.parse::<f64>() {
                Ok(n) if n.is_infinite() => {
                    out.push_str(&(f64::MAX.copysign(n)).to_string());
                    clamped = true;
                }
                _ => out.push_str(number),
            }
            rest = &rest[end..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    clamped.then(|| out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_beyond_f64_are_the_largest_f64() {
        let body = br#"{"a": 1e400, "b": [-2E+999, 1e-400, 12], "c": "1e400 \" 9e999", "d": 1.5}"#;
        let value = parse(body).unwrap();
        assert_eq!(value["a"], json!(f64::MAX));
        assert_eq!(value["b"], json!([-f64::MAX, 0.0, 12]));
        assert_eq!(value["c"], "1e400 \" 9e999", "strings are left alone");
        assert_eq!(value["d"], json!(1.5));
    }

    #[test]
    fn what_is_not_json_stays_not_json() {
        assert_eq!(parse(b"<html>1e400</html>"), None);
        assert_eq!(parse(br#"{"a": 1e400"#), None);
        assert_eq!(parse(b"{\"a\": 1e400, \xff}"), None);
        assert_eq!(parse(br#"{"a": 1}"#), Some(json!({"a": 1})));
    }
}
