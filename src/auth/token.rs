//! Access tokens and when they expire.

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// A token is refreshed this long before it expires, so that it cannot expire between
/// being checked and being used by a slow request.
pub const REFRESH_MARGIN: TimeDelta = TimeDelta::seconds(60);

/// Lifetime assumed when neither `expires_in` nor the JWT's `exp` tells one; Atlassian
/// documents an hour.
const DEFAULT_LIFETIME: TimeDelta = TimeDelta::seconds(3600);

/// An OAuth access token and its expiry.
#[derive(Clone, Debug)]
pub struct AccessToken {
    secret: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// The token endpoint's answer (RFC 6749 §5.1). No `Debug`: it holds the token in
/// the clear.
#[allow(missing_debug_implementations)]
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct Claims {
    exp: Option<i64>,
}

impl AccessToken {
    pub fn new(secret: SecretString, expires_at: DateTime<Utc>) -> Self {
        Self { secret, expires_at }
    }

    /// The token the endpoint issued at `now`. Its expiry comes from `expires_in`;
    /// failing that from the JWT's `exp` claim (read without verifying the signature:
    /// we only want to know when to stop using it); failing that, an hour.
    pub fn issued(response: TokenResponse, now: DateTime<Utc>) -> Self {
        let expires_at = response
            .expires_in
            .filter(|&s| s > 0)
            .map(|s| now + TimeDelta::seconds(s))
            .or_else(|| jwt_expiry(&response.access_token))
            .unwrap_or(now + DEFAULT_LIFETIME);
        Self {
            secret: SecretString::from(response.access_token),
            expires_at,
        }
    }

    /// Whether the token may still be used at `now`: until `REFRESH_MARGIN` before it
    /// expires.
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at - REFRESH_MARGIN
    }

    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// Whether two tokens are the same token.
    pub fn same_as(&self, other: &Self) -> bool {
        self.secret.expose_secret() == other.secret.expose_secret()
    }
}

fn jwt_expiry(token: &str) -> Option<DateTime<Utc>> {
    let claims: Claims = jsonwebtoken::dangerous::insecure_decode_claims(token).ok()?;
    DateTime::from_timestamp(claims.exp?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    fn expiring_in(seconds: i64) -> AccessToken {
        AccessToken::new(SecretString::from("t"), now() + TimeDelta::seconds(seconds))
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
            now() + TimeDelta::seconds(60) + TimeDelta::milliseconds(1),
        );
        assert!(token.is_fresh(now()));
    }

    #[test]
    fn expiry_comes_from_expires_in() {
        let response = TokenResponse {
            access_token: "opaque".into(),
            expires_in: Some(3599),
        };
        assert_eq!(
            AccessToken::issued(response, now()).expires_at,
            now() + TimeDelta::seconds(3599)
        );
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
        let response = TokenResponse {
            access_token: jwt(&format!(r#"{{"exp":{exp}}}"#)),
            expires_in: None,
        };
        assert_eq!(AccessToken::issued(response, now()).expires_at.timestamp(), exp);
    }

    #[test]
    fn expiry_defaults_to_an_hour() {
        let opaque = TokenResponse {
            access_token: "opaque".into(),
            expires_in: None,
        };
        assert_eq!(
            AccessToken::issued(opaque, now()).expires_at,
            now() + TimeDelta::hours(1)
        );
        let no_exp = TokenResponse {
            access_token: jwt(r#"{"sub":"x"}"#),
            expires_in: None,
        };
        assert_eq!(
            AccessToken::issued(no_exp, now()).expires_at,
            now() + TimeDelta::hours(1)
        );
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let token = AccessToken::new(SecretString::from("super-secret-token"), now());
        assert!(!format!("{token:?}").contains("super-secret-token"));
    }
}
