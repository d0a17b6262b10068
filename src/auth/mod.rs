//! OAuth 2.0 client credentials (2LO): getting an access token, and keeping it.
//!
//! A token is reused from the disk cache until 60 seconds before it expires. When Jira
//! answers 401 to a token that looked fresh (revoked, clock skew), [`Tokens::renew`]
//! fetches exactly one new token, and the request is retried once.

mod cache;
mod token;

use reqwest::{Client, Url};
use secrecy::ExposeSecret;
use serde_json::json;
use tracing::{debug, info};

pub use cache::TokenCache;
pub use token::{AccessToken, REFRESH_MARGIN};

use crate::answer::token::{Lifetime, MAX_LIFETIME};
use crate::answer::{self, Answer, limit};
use crate::error::Result;
use crate::fs;
use crate::http::retry::Policy;
use crate::settings::Credentials;

/// The access tokens of one set of credentials.
#[derive(Debug)]
pub struct Tokens<'a> {
    pub client: &'a Client,
    pub token_url: &'a Url,
    pub credentials: &'a Credentials,
    pub cache: Option<TokenCache>,
    /// Retries, deadline and clock.
    pub policy: Policy<'a>,
}

impl Tokens<'_> {
    /// A token that is fresh now: from the cache, or newly fetched.
    pub async fn get(&self) -> Result<AccessToken> {
        if let Some(token) = self.cached_fresh().await {
            debug!("using the cached access token");
            return Ok(token);
        }
        // Another invocation may be fetching right now: wait for it, then look again.
        let _lock = match &self.cache {
            Some(cache) => cache.lock(self.policy.deadline).await,
            None => None,
        };
        if let Some(token) = self.cached_fresh().await {
            debug!("another jira-send refreshed the access token");
            return Ok(token);
        }
        self.fetch_and_store().await
    }

    /// A replacement for `rejected`, which Jira refused with 401. If another
    /// invocation already replaced it, that token is used; otherwise one is fetched.
    pub async fn renew(&self, rejected: &AccessToken) -> Result<AccessToken> {
        let _lock = match &self.cache {
            Some(cache) => cache.lock(self.policy.deadline).await,
            None => None,
        };
        if let Some(token) = self.cached_fresh().await.filter(|t| !t.same_as(rejected)) {
            return Ok(token);
        }
        self.fetch_and_store().await
    }

    /// A newly issued token, whatever the cache holds: proof that the credentials
    /// work (`doctor`).
    pub async fn fresh(&self) -> Result<AccessToken> {
        self.fetch_and_store().await
    }

    /// The cached token, if it is fresh now. The cache is read off the runtime's
    /// thread, as it is written. An expiry further away than any token is trusted
    /// ([`MAX_LIFETIME`]) was not written by jira-send, or the clock went back: the
    /// token is not reused.
    async fn cached_fresh(&self) -> Option<AccessToken> {
        let cache = self.cache.clone()?;
        let token = fs::off_runtime(move || cache.load()).await?;
        let now = self.policy.clock.now();
        let believable = token.expires_at.is_some_and(|at| {
            now.checked_add_signed(MAX_LIFETIME)
                .is_some_and(|latest| at <= latest)
        });
        (token.is_fresh(now) && believable).then_some(token)
    }

    async fn fetch_and_store(&self) -> Result<AccessToken> {
        let token = self.fetch().await?;
        if let Some(cache) = self.cache.clone()
            && token.expires_at.is_some()
        {
            let stored = token.clone();
            fs::off_runtime(move || cache.store(&stored)).await;
        }
        Ok(token)
    }

    async fn fetch(&self) -> Result<AccessToken> {
        info!("requesting an access token from {}", self.token_url);
        let what = || format!("the token request to {}", self.token_url);
        let body = json!({
            "audience": "api.atlassian.com",
            "grant_type": "client_credentials",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.secret.expose_secret(),
        });
        let now = || self.policy.clock.now();
        let unusable = |answer: &Answer| answer::token::unusable(answer, now());
        let answer = self
            .policy
            .send(&what(), limit::TOKEN, &unusable, || {
                self.client.post(self.token_url.clone()).json(&body)
            })
            .await?;
        let issued = answer::token::read(&what(), &answer, now())?;
        match &issued.lifetime {
            Lifetime::Unknown(why) => info!(
                "the token endpoint's answer gives no usable lifetime ({why}): using the token for \
                 this run only, not caching it"
            ),
            Lifetime::For(delta) if *delta == MAX_LIFETIME => info!(
                "the token endpoint's answer gives a lifetime of a day or more: trusting the token \
                 for a day at most"
            ),
            Lifetime::For(_) => {}
        }
        Ok(AccessToken::from(issued))
    }
}
