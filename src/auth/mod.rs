//! Where the client gets its bearer tokens.
//!
//! The client asks its [`TokenProvider`] for a token before every attempt of
//! every call and never keeps one itself, so a provider decides how long a
//! token lives. Any closure `Fn() -> Result<T, E>` whose `T` converts into a
//! `String` is a provider:
//!
//! ```
//! use partner_center_cart::Client;
//!
//! let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
//! # let _ = client;
//! ```
//!
//! # Providers
//!
//! This module has the providers that partner tools use:
//!
//! | Provider | Tokens | Cached |
//! |---|---|---|
//! | [`ClientCredentialsProvider`] | app-only: tenant, client ID and secret | yes |
//! | [`RefreshTokenProvider`] | app+user (secure application model): a refresh token traded with the client ID and secret; a rotated refresh token goes to a callback | yes |
//! | [`AzureCliProvider`] | the signed-in user's, from `az account get-access-token` | yes |
//! | [`StaticTokenProvider`] | one fixed token | no need |
//! | [`EnvTokenProvider`] | an environment variable, read at every call | no |
//!
//! The first two ask Entra ID's v2 token endpoint,
//! `{authority}/{tenant}/oauth2/v2.0/token`, with a form-encoded POST; the
//! [`Cloud`](crate::Cloud) presets supply the authority and the resource, and
//! both can be set apart (an `http` authority is accepted only on loopback,
//! for tests). Requests follow no redirects, have a timeout per phase, read
//! at most 1 MiB, and are retried by the [`RetryPolicy`](crate::RetryPolicy)
//! on connection failures, timeouts, 408, 429 and 5xx, never on 400 or 401.
//!
//! The caching providers keep a token until [`DEFAULT_REFRESH_MARGIN`] (or
//! the margin set on their builder) before it expires. When many threads find
//! the token stale at once, one of them fetches a new one and the others wait
//! for it and get its token, or a clone of its error if it failed; the next
//! call after a failure tries again.
//!
//! Errors are [`AuthError`]s, which the client reports as the source of
//! [`Error::Token`](crate::Error::Token); a refusal from Entra ID becomes an
//! [`EntraError`] that names the OAuth error, the `AADSTS` codes, what to fix
//! and the trace and correlation IDs. Secrets and tokens never appear in
//! `Debug` or `Display` output, errors or log records (but `ureq`'s own
//! `trace` level logs raw request bytes, form bodies included).
//!
//! [`from_env`] chooses one of them from `PARTNER_CENTER_*` environment
//! variables, the way the `checkout` example does.
//!
//! A `Box<dyn TokenProvider>` and an `Arc` of any provider are providers too,
//! so a tool can choose one at run time:
//!
//! ```no_run
//! use partner_center_cart::{Client, TokenProvider};
//! use partner_center_cart::auth::{AzureCliProvider, EnvTokenProvider};
//!
//! let provider: Box<dyn TokenProvider> = if std::env::var_os("PARTNER_CENTER_TOKEN").is_some() {
//!     Box::new(EnvTokenProvider::default())
//! } else {
//!     Box::new(AzureCliProvider::new())
//! };
//! let client = Client::new(provider);
//! # let _ = client;
//! ```

mod azure_cli;
mod cache;
mod entra;
pub(crate) mod env;
mod error;
mod simple;

pub use azure_cli::{AzureCliBuilder, AzureCliProvider};
pub use cache::DEFAULT_REFRESH_MARGIN;
pub use entra::{ClientCredentialsProvider, EntraBuilder, RefreshTokenProvider};
pub use env::from_env;
pub use error::{AuthError, EntraError, SharedError};
pub use simple::{EnvTokenProvider, StaticTokenProvider};

use std::fmt;
use std::sync::Arc;

use crate::error::BoxError;

/// A source of bearer tokens for Partner Center.
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
}

/// A provider shared with other owners.
impl<T: TokenProvider + ?Sized> TokenProvider for Arc<T> {
    fn token(&self) -> Result<AccessToken, BoxError> {
        (**self).token()
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
