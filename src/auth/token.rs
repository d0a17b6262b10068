//! Access tokens, and when one expires. What the token endpoint's answer holds is read
//! by [`crate::answer::token`].

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::answer::token::Issued;
use crate::mask;

/// A token is refreshed this long before it expires, so that it cannot expire between
/// being checked and being used by a slow request.
pub const REFRESH_MARGIN: TimeDelta = TimeDelta::seconds(60);

/// An OAuth access token and its expiry.
#[derive(Clone, Debug)]
pub struct AccessToken {
    secret: SecretString,
    /// `None`: the lifetime is unknown, so the token serves this run only.
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<Issued> for AccessToken {
    fn from(issued: Issued) -> Self {
        Self::new(issued.token, issued.expires_at)
    }
}

impl AccessToken {
    pub fn new(secret: SecretString, expires_at: Option<DateTime<Utc>>) -> Self {
        mask::register(secret.expose_secret());
        Self { secret, expires_at }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::token::{Lifetime, MAX_LIFETIME, issued};
    use chrono::TimeZone;
    use serde_json::{Value, json};

    impl AccessToken {
        /// The token an answer issues, as `Tokens` makes it.
        fn issued(answer: Option<&Value>, now: DateTime<Utc>) -> Result<(Self, Lifetime), String> {
            let issued = issued(answer, now)?;
            let lifetime = issued.lifetime.clone();
            Ok((Self::from(issued), lifetime))
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    fn expiring_in(seconds: i64) -> AccessToken {
        AccessToken::new(SecretString::from("t"), Some(now() + TimeDelta::seconds(seconds)))
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
