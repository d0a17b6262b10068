//! The token endpoint's answer (RFC 6749 §5.1): a token and how long it lives, refused
//! credentials, or an answer to ask again.
//!
//! The answer is checked before anything else sees it: a token must be visible ASCII
//! (it goes into a header; CR or LF there would break every later request), and not
//! empty. Its lifetime is read leniently (`3600`, `"3600"`, `3600.0`) and clamped to
//! [`MAX_LIFETIME`]; one that cannot be read or is not positive means "use it for this
//! run only, and do not cache it", so a server's odd answer can neither crash the tool
//! nor keep a token in the cache longer than it lives.

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use super::Answer;
use crate::error::{Error, Result};

/// Lifetime assumed when neither `expires_in` nor the JWT's `exp` tells one; Atlassian
/// documents an hour.
const DEFAULT_LIFETIME: TimeDelta = TimeDelta::seconds(3600);

/// The longest a token is trusted, whatever the server says: a day. Atlassian's live
/// an hour; a longer claim is a broken clock or a broken server.
pub const MAX_LIFETIME: TimeDelta = TimeDelta::seconds(24 * 3600);

/// A token the endpoint issued.
#[derive(Debug)]
pub struct Issued {
    pub token: SecretString,
    pub lifetime: Lifetime,
    /// `None`: the lifetime is unknown, so the token serves this run only.
    pub expires_at: Option<DateTime<Utc>>,
}

/// How long a token lives, as far as the answer tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// This long (already clamped to [`MAX_LIFETIME`]).
    For(TimeDelta),
    /// Unreadable, zero or negative: use the token for this run only.
    Unknown(String),
}

/// The token endpoint's answer, as it may come. No `Debug`: it holds the token in the
/// clear.
#[allow(missing_debug_implementations)]
#[derive(Deserialize)]
struct TokenResponse {
    access_token: Value,
    #[serde(default)]
    expires_in: Value,
}

#[derive(Deserialize)]
struct Claims {
    exp: Option<Value>,
}

/// What the token endpoint's `answer` (to the request `what`) means at `now`: a token;
/// refused credentials (400, 401, 403); or, for anything else (a 5xx, a 2xx without a
/// usable token), an outage.
pub fn read(what: &str, answer: &Answer, now: DateTime<Utc>) -> Result<Issued> {
    match answer.status {
        status if status.is_success() => {
            issued(answer.json.as_ref(), now).map_err(|why| Error::Unreachable {
                what: what.to_owned(),
                detail: format!("{status}, but {why}: a bad answer from the token endpoint"),
            })
        }
        StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            Err(Error::TokenRefused {
                status: answer.status.as_u16(),
                detail: format!(
                    "{} (check JIRA_CLIENT_ID and JIRA_CLIENT_SECRET: the credential may be wrong or \
                 revoked)",
                    answer.detail()
                ),
            })
        }
        _ => Err(Error::Unreachable {
            what: what.to_owned(),
            detail: answer.detail(),
        }),
    }
}

/// Why a 2xx `answer` holds no usable token; `None`: it holds one. Such an answer is
/// asked again, like a 5xx: a proxy's page or a broken gateway says nothing about the
/// credentials.
pub fn unusable(answer: &Answer, now: DateTime<Utc>) -> Option<String> {
    issued(answer.json.as_ref(), now).err()
}

/// Reads the token in the endpoint's `answer` at `now`. The expiry comes from
/// `expires_in`; failing that from the JWT's `exp` claim (read without verifying the
/// signature: we only want to know when to stop using it); failing that, an hour. `Err`
/// says why the answer holds no usable token.
pub fn issued(answer: Option<&Value>, now: DateTime<Utc>) -> Result<Issued, String> {
    let answer = answer.ok_or("the answer is not JSON")?;
    let response = TokenResponse::deserialize(answer).map_err(|_| "the answer has no access_token")?;
    let token = response
        .access_token
        .as_str()
        .ok_or("its access_token is not a string")?;
    unusable_token(token).map_err(|why| format!("its access_token {why}"))?;
    let lifetime = match &response.expires_in {
        Value::Null => jwt_lifetime(token, now).unwrap_or(Lifetime::For(DEFAULT_LIFETIME)),
        given => lifetime(given),
    };
    let expires_at = match &lifetime {
        Lifetime::For(delta) => now.checked_add_signed(*delta),
        Lifetime::Unknown(_) => None,
    };
    Ok(Issued {
        token: SecretString::from(token.to_owned()),
        lifetime,
        expires_at,
    })
}

/// Why `token` cannot be a bearer token, wherever it came from (the endpoint's answer,
/// the cache): empty, or not visible ASCII (it goes into a header; CR or LF there would
/// fail every request).
pub fn unusable_token(token: &str) -> Result<(), &'static str> {
    if token.is_empty() {
        return Err("is empty");
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("holds spaces, line breaks or other characters a token cannot have");
    }
    Ok(())
}

/// `expires_in` as the server sent it: a number or a numeric string, clamped.
pub fn lifetime(value: &Value) -> Lifetime {
    let seconds = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match seconds {
        Some(s) => clamp(s, value),
        None => Lifetime::Unknown(format!("expires_in {value} is not a number of seconds")),
    }
}

fn clamp(seconds: f64, shown: &Value) -> Lifetime {
    if seconds.is_nan() || seconds < 1.0 {
        return Lifetime::Unknown(format!("expires_in {shown} is not a positive number of seconds"));
    }
    let max = MAX_LIFETIME.num_seconds();
    // Compared as floats first: 1e300 fits no integer.
    let whole = if seconds >= max as f64 {
        max
    } else {
        seconds as i64
    };
    Lifetime::For(TimeDelta::seconds(whole.min(max)))
}

/// The lifetime the JWT's `exp` claim gives, where the token is a JWT that has one.
fn jwt_lifetime(token: &str, now: DateTime<Utc>) -> Option<Lifetime> {
    let claims: Claims = jsonwebtoken::dangerous::insecure_decode_claims(token).ok()?;
    let exp = claims.exp?;
    let exp = exp.as_f64()?;
    Some(clamp(
        exp - now.timestamp() as f64,
        &Value::from(format!("(from the JWT's exp {exp})")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    fn issue(answer: &Value) -> Result<(Issued, Lifetime), String> {
        let issued = issued(Some(answer), now())?;
        let lifetime = issued.lifetime.clone();
        Ok((issued, lifetime))
    }

    #[test]
    fn expiry_comes_from_expires_in() {
        let (token, lifetime) = issue(&json!({"access_token": "opaque", "expires_in": 3599})).unwrap();
        assert_eq!(token.expires_at, Some(now() + TimeDelta::seconds(3599)));
        assert_eq!(lifetime, Lifetime::For(TimeDelta::seconds(3599)));
        let (token, _) = issue(&json!({"access_token": "opaque", "expires_in": "900"})).unwrap();
        assert_eq!(
            token.expires_at,
            Some(now() + TimeDelta::seconds(900)),
            "a numeric string"
        );
    }

    #[test]
    fn absurd_lifetimes_are_clamped_or_mean_use_once() {
        for huge in [
            json!(9_223_372_036_854_775_807_i64),
            json!(1e300),
            json!(u64::MAX),
            json!("1e300"),
        ] {
            let (token, lifetime) = issue(&json!({"access_token": "t", "expires_in": huge})).unwrap();
            assert_eq!(lifetime, Lifetime::For(MAX_LIFETIME), "{huge}");
            assert_eq!(token.expires_at, Some(now() + MAX_LIFETIME));
        }
        for unusable in [
            json!(0),
            json!(-5),
            json!(-1e300),
            json!(0.5),
            json!("soon"),
            json!(true),
            json!({}),
        ] {
            let (token, lifetime) = issue(&json!({"access_token": "t", "expires_in": unusable})).unwrap();
            assert!(matches!(lifetime, Lifetime::Unknown(_)), "{unusable}");
            assert_eq!(token.expires_at, None, "{unusable}: this run only");
        }
    }

    #[test]
    fn bad_tokens_are_a_bad_answer() {
        for bad in [
            json!({"access_token": ""}),
            json!({"access_token": "abc\r\nX-Evil: 1"}),
            json!({"access_token": "a b"}),
            json!({"access_token": "é"}),
            json!({"access_token": 7}),
            json!({"expires_in": 3600}),
            json!([1, 2]),
        ] {
            assert!(issue(&bad).is_err(), "{bad}");
        }
        assert!(issued(None, now()).is_err());
    }

    /// A JWT with the given claims, unsigned: only its payload matters here.
    fn jwt(claims: &str) -> String {
        use base64::Engine as _;
        let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        format!("{}.{}.sig", b64(r#"{"alg":"HS256","typ":"JWT"}"#), b64(claims))
    }

    #[test]
    fn expiry_falls_back_to_the_jwt_exp_claim() {
        let exp = now().timestamp() + 1800;
        let (token, _) = issue(&json!({"access_token": jwt(&format!(r#"{{"exp":{exp}}}"#))})).unwrap();
        assert_eq!(token.expires_at.unwrap().timestamp(), exp);
        let (far, _) = issue(&json!({"access_token": jwt(r#"{"exp":9223372036854775807}"#)})).unwrap();
        assert_eq!(far.expires_at, Some(now() + MAX_LIFETIME));
        let (past, _) = issue(&json!({"access_token": jwt(r#"{"exp":1}"#)})).unwrap();
        assert_eq!(past.expires_at, None);
    }

    #[test]
    fn expiry_defaults_to_an_hour() {
        let (opaque, _) = issue(&json!({"access_token": "opaque"})).unwrap();
        assert_eq!(opaque.expires_at, Some(now() + TimeDelta::hours(1)));
        let (no_exp, _) = issue(&json!({"access_token": jwt(r#"{"sub":"x"}"#)})).unwrap();
        assert_eq!(no_exp.expires_at, Some(now() + TimeDelta::hours(1)));
    }
}
