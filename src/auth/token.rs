//! Access tokens: reading the token endpoint's answer, and when a token expires.
//!
//! The answer is checked before anything else sees it: a token must be visible ASCII
//! (it goes into a header; CR or LF there would break every later request), and not
//! empty. Its lifetime is read leniently (`3600`, `"3600"`, `3600.0`) and clamped to
//! [`MAX_LIFETIME`]; one that cannot be read or is not positive means "use it for this
//! run only, and do not cache it", so a server's odd answer can neither crash the tool
//! nor keep a token in the cache longer than it lives.

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use crate::mask;

/// A token is refreshed this long before it expires, so that it cannot expire between
/// being checked and being used by a slow request.
pub const REFRESH_MARGIN: TimeDelta = TimeDelta::seconds(60);

/// Lifetime assumed when neither `expires_in` nor the JWT's `exp` tells one; Atlassian
/// documents an hour.
const DEFAULT_LIFETIME: TimeDelta = TimeDelta::seconds(3600);

/// The longest a token is trusted, whatever the server says: a day. Atlassian's live
/// an hour; a longer claim is a broken clock or a broken server.
pub const MAX_LIFETIME: TimeDelta = TimeDelta::seconds(24 * 3600);

/// An OAuth access token and its expiry.
#[derive(Clone, Debug)]
pub struct AccessToken {
    secret: SecretString,
    /// `None`: the lifetime is unknown, so the token serves this run only.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The token endpoint's answer (RFC 6749 §5.1), as it may come. No `Debug`: it holds
/// the token in the clear.
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

/// How long a token lives, as far as the answer tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// This long (already clamped to [`MAX_LIFETIME`]).
    For(TimeDelta),
    /// Unreadable, zero or negative: use the token for this run only.
    Unknown(String),
}

impl AccessToken {
    pub fn new(secret: SecretString, expires_at: Option<DateTime<Utc>>) -> Self {
        mask::register(secret.expose_secret());
        Self { secret, expires_at }
    }

    /// Reads the token endpoint's answer at `now`. The expiry comes from `expires_in`;
    /// failing that from the JWT's `exp` claim (read without verifying the signature:
    /// we only want to know when to stop using it); failing that, an hour. `Err` says
    /// why the answer holds no usable token.
    pub fn issued(answer: Option<&Value>, now: DateTime<Utc>) -> Result<(Self, Lifetime), String> {
        let answer = answer.ok_or("the answer is not JSON")?;
        let response = TokenResponse::deserialize(answer).map_err(|_| "the answer has no access_token")?;
        let token = response
            .access_token
            .as_str()
            .ok_or("its access_token is not a string")?;
        if token.is_empty() {
            return Err("its access_token is empty".into());
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "its access_token holds spaces, line breaks or other characters a token cannot have".into(),
            );
        }
        let lifetime = match &response.expires_in {
            Value::Null => jwt_lifetime(token, now).unwrap_or(Lifetime::For(DEFAULT_LIFETIME)),
            given => lifetime(given),
        };
        let expires_at = match &lifetime {
            Lifetime::For(delta) => now.checked_add_signed(*delta),
            Lifetime::Unknown(_) => None,
        };
        Ok((
            Self::new(SecretString::from(token.to_owned()), expires_at),
            lifetime,
        ))
    }

    /// Whether the token may still be used at `now`: until `REFRESH_MARGIN` before it
    /// expires. A token of unknown lifetime is never fresh: it is not reused from a
    /// cache.
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at
            .and_then(|at| at.checked_sub_signed(REFRESH_MARGIN))
            .is_some_and(|stale| now < stale)
    }

    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// Whether two tokens are the same token.
    pub fn same_as(&self, other: &Self) -> bool {
        self.secret.expose_secret() == other.secret.expose_secret()
    }
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

    fn expiring_in(seconds: i64) -> AccessToken {
        AccessToken::new(SecretString::from("t"), Some(now() + TimeDelta::seconds(seconds)))
    }

    fn issue(answer: &Value) -> Result<(AccessToken, Lifetime), String> {
        AccessToken::issued(Some(answer), now())
    }

    #[test]
    fn a_token_is_refreshed_60_seconds_before_it_expires() {
        assert!(expiring_in(3600).is_fresh(now()));
        assert!(expiring_in(61).is_fresh(now()));
        assert!(!expiring_in(60).is_fresh(now()), "exactly 60 s left is stale");
        assert!(!expiring_in(59).is_fresh(now()));
        assert!(!expiring_in(0).is_fresh(now()));
        assert!(!expiring_in(-5).is_fresh(now()));
        // The boundary to the millisecond.
        let token = AccessToken::new(
            SecretString::from("t"),
            Some(now() + TimeDelta::seconds(60) + TimeDelta::milliseconds(1)),
        );
        assert!(token.is_fresh(now()));
        assert!(!AccessToken::new(SecretString::from("t"), None).is_fresh(now()));
        // Expiries at the ends of time do not overflow.
        assert!(!AccessToken::new(SecretString::from("t"), Some(DateTime::<Utc>::MIN_UTC)).is_fresh(now()));
        assert!(AccessToken::new(SecretString::from("t"), Some(DateTime::<Utc>::MAX_UTC)).is_fresh(now()));
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
        assert!(AccessToken::issued(None, now()).is_err());
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

    /// Any JSON, or any text at all, as a token answer: read or refused, never a panic.
    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".*".prop_map(Value::from),
            "[0-9eE.+-]{1,30}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(".{0,12}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn no_token_answer_panics(
            token in proptest::prelude::any::<String>(),
            expires_in in json_value(),
            other in json_value(),
            seconds in proptest::prelude::any::<i64>(),
        ) {
            let now = DateTime::from_timestamp(seconds.rem_euclid(8_000_000_000), 0).unwrap();
            let answer = json!({"access_token": token, "expires_in": expires_in});
            if let Ok((token, _)) = AccessToken::issued(Some(&answer), now) {
                let _ = token.is_fresh(now);
                assert!(token.secret().expose_secret().bytes().all(|b| b.is_ascii_graphic()));
                assert!(token.expires_at.is_none_or(|at| at <= now + MAX_LIFETIME));
            }
            let _ = AccessToken::issued(Some(&other), now);
            let _ = AccessToken::issued(Some(&json!({"access_token": "a.b.c", "expires_in": other})), now);
        }
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let token = AccessToken::new(SecretString::from("super-secret-token"), Some(now()));
        assert!(!format!("{token:?}").contains("super-secret-token"));
    }
}
