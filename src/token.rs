//! What the client asks a token provider for: the [`TokenProvider`] trait
//! and the [`AccessToken`] it hands out. The providers themselves live in
//! [`auth`](crate::auth).

mod claims;

use std::fmt;
use std::sync::Arc;

use crate::error::kind::BoxError;

pub use claims::TokenClaims;

/// A source of bearer tokens for Partner Center.
///
/// The client asks for a token before every attempt of every call. When
/// Partner Center refuses one (HTTP 401), the client tells the provider
/// through [`token_refused`](Self::token_refused) and repeats the call once,
/// with the same request ID and whatever token the provider gives next; a
/// second 401 is final.
///
/// Implemented for every closure `Fn() -> Result<T, E> + Send + Sync` with
/// `T: Into<String>` and `E: Into<BoxError>`.
pub trait TokenProvider: Send + Sync {
    /// Returns a token that is valid now.
    ///
    /// # Errors
    ///
    /// Whatever stopped the provider from getting a token; the client reports
    /// it as [`Error::Token`](crate::Error::Token) with the call's request ID.
    fn token(&self) -> Result<AccessToken, BoxError>;

    /// Hears that Partner Center refused `token` with HTTP 401, so that the
    /// next [`token`](Self::token) call does not give it again.
    ///
    /// Does nothing by default, which suits a provider that keeps no token.
    /// The crate's caching providers drop `token` from their cache, but only
    /// if it is still the one cached: another thread may already have
    /// replaced it.
    fn token_refused(&self, token: &AccessToken) {
        let _ = token;
    }
}

/// Lets a boxed provider, such as [`auth::from_env`](crate::auth::from_env)
/// returns, sit in a type that derives `Debug`. It shows no token.
impl std::fmt::Debug for dyn TokenProvider + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn TokenProvider")
    }
}

impl<F, T, E> TokenProvider for F
where
    F: Fn() -> Result<T, E> + Send + Sync,
    T: Into<String>,
    E: Into<BoxError>,
{
    fn token(&self) -> Result<AccessToken, BoxError> {
        self()
            .map(|token| AccessToken(token.into()))
            .map_err(Into::into)
    }
}

/// A provider chosen at run time.
impl TokenProvider for Box<dyn TokenProvider> {
    fn token(&self) -> Result<AccessToken, BoxError> {
        (**self).token()
    }

    fn token_refused(&self, token: &AccessToken) {
        (**self).token_refused(token);
    }
}

/// A provider shared with other owners.
impl<T: TokenProvider + ?Sized> TokenProvider for Arc<T> {
    fn token(&self) -> Result<AccessToken, BoxError> {
        (**self).token()
    }

    fn token_refused(&self, token: &AccessToken) {
        (**self).token_refused(token);
    }
}

/// A bearer token. Its `Debug` output hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    /// The token itself. Take care where it goes.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// What the token says about itself, if it is a JWT: its audience,
    /// tenant, app, user, expiry, scopes and roles.
    ///
    /// The payload is decoded **without verifying the signature**: a client
    /// has no keys to check it, and Partner Center does the checking. So the
    /// claims are for diagnosing a set-up (the wrong audience, an app-only
    /// token, an expired one), never for trusting anyone.
    ///
    /// Gives `None`, never a panic, for a token that is not a compact JWT
    /// (three dot-separated base64url segments whose header and payload are
    /// JSON objects), and for one longer than 64 KiB, which is refused
    /// without being decoded. Claims of an unexpected type are left out.
    ///
    /// ```
    /// use partner_center_cart::AccessToken;
    ///
    /// assert_eq!(AccessToken::new("an-opaque-token").claims(), None);
    /// let jwt = "eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL2FwaS5wYXJ0bmVyY2VudGVyLm1pY3Jvc29mdC5jb20iLCJpZHR5cCI6ImFwcCJ9.";
    /// let claims = AccessToken::new(jwt).claims().unwrap();
    /// assert_eq!(claims.audience.as_deref(), Some("https://api.partnercenter.microsoft.com"));
    /// assert!(claims.is_app_only());
    /// ```
    pub fn claims(&self) -> Option<TokenClaims> {
        TokenClaims::from_jwt(&self.0)
    }

    /// Checks that the token can go in an `Authorization` header: not empty,
    /// and only visible ASCII (RFC 6750 allows no more).
    pub(crate) fn check_header_safe(&self) -> Result<(), BoxError> {
        if self.0.is_empty() {
            return Err("the token is empty".into());
        }
        if !self.0.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the token holds characters that cannot go in an HTTP header".into());
        }
        Ok(())
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

impl From<String> for AccessToken {
    fn from(token: String) -> Self {
        AccessToken(token)
    }
}

impl From<&str> for AccessToken {
    fn from(token: &str) -> Self {
        AccessToken(token.to_owned())
    }
}

impl From<AccessToken> for String {
    fn from(token: AccessToken) -> String {
        token.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_are_providers() {
        let provider = || Ok::<_, std::io::Error>("abc");
        assert_eq!(provider.token().unwrap().secret(), "abc");
        let failing = || Err::<String, _>("no token here");
        assert_eq!(failing.token().unwrap_err().to_string(), "no token here");
    }

    #[test]
    fn boxed_and_shared_providers_are_providers() {
        let boxed: Box<dyn TokenProvider> = Box::new(|| Ok::<_, std::io::Error>("boxed"));
        assert_eq!(boxed.token().unwrap().secret(), "boxed");
        let shared = Arc::new(boxed);
        assert_eq!(shared.token().unwrap().secret(), "boxed");
        let _client = crate::Client::new(shared.clone());
        let _client =
            crate::Client::new(Box::new(|| Ok::<_, std::io::Error>("x")) as Box<dyn TokenProvider>);
    }

    #[test]
    fn debug_hides_the_secret() {
        let token = AccessToken::new("eyJ0eXAiOiJKV1Qi");
        assert!(!format!("{token:?}").contains("eyJ"));
    }

    #[test]
    fn header_safety() {
        assert!(
            AccessToken::new("a.b-c_d~e+f/g=")
                .check_header_safe()
                .is_ok()
        );
        for bad in ["", "a b", "a\r\nX-Evil: 1", "tökén"] {
            assert!(
                AccessToken::new(bad).check_header_safe().is_err(),
                "{bad:?}"
            );
        }
    }
}
