//! Tokens that come from somewhere else: a fixed one, or an environment
//! variable, for scripts and tests.

use std::env::{self, VarError};
use std::fmt;

use super::{AccessToken, TokenProvider};
use crate::error::AuthError;
use crate::error::kind::BoxError;

/// One fixed token, given every time. It is not checked or refreshed: when
/// it expires, calls fail with 401.
///
/// ```
/// use partner_center_cart::Client;
/// use partner_center_cart::auth::StaticTokenProvider;
///
/// let client = Client::new(StaticTokenProvider::new("eyJ0eXAiOiJKV1Qi..."));
/// # let _ = client;
/// ```
#[derive(Clone)]
pub struct StaticTokenProvider {
    token: AccessToken,
}

impl StaticTokenProvider {
    /// A provider that always gives `token`.
    pub fn new(token: impl Into<String>) -> Self {
        StaticTokenProvider {
            token: AccessToken::new(token),
        }
    }
}

impl fmt::Debug for StaticTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticTokenProvider")
            .field("token", &"<redacted>")
            .finish()
    }
}

impl TokenProvider for StaticTokenProvider {
    fn token(&self) -> Result<AccessToken, BoxError> {
        Ok(self.token.clone())
    }
}

/// A token read from an environment variable, `PARTNER_CENTER_TOKEN` by
/// default.
///
/// The variable is read at every call and nothing is cached, so a script
/// can put a fresh token in it while the tool runs. White space around the
/// token is dropped; a token with white space inside is refused.
///
/// ```
/// use partner_center_cart::Client;
/// use partner_center_cart::auth::EnvTokenProvider;
///
/// let client = Client::new(EnvTokenProvider::new("PARTNER_CENTER_TOKEN"));
/// # let _ = client;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvTokenProvider {
    name: String,
}

impl EnvTokenProvider {
    /// The variable read by [`EnvTokenProvider::default`].
    pub const DEFAULT_VARIABLE: &'static str = "PARTNER_CENTER_TOKEN";

    /// A provider that reads the variable `name`.
    pub fn new(name: impl Into<String>) -> Self {
        EnvTokenProvider { name: name.into() }
    }

    /// The variable's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads the token from the variable now.
    ///
    /// # Errors
    ///
    /// [`AuthError::EnvVar`] when the variable is not set, is empty, is
    /// not valid Unicode, or holds white space inside the token.
    pub fn access_token(&self) -> Result<AccessToken, AuthError> {
        let problem = match env::var(&self.name) {
            Ok(value) if !value.trim().is_empty() => {
                return super::env::secret_text(&self.name, &value).map(AccessToken::new);
            }
            Ok(_) => "is empty: set it to a Partner Center access token",
            Err(VarError::NotPresent) => "is not set: set it to a Partner Center access token",
            Err(VarError::NotUnicode(_)) => "does not hold valid Unicode",
        };
        Err(AuthError::EnvVar {
            name: self.name.clone(),
            problem,
        })
    }
}

impl Default for EnvTokenProvider {
    /// Reads `PARTNER_CENTER_TOKEN`.
    fn default() -> Self {
        EnvTokenProvider::new(Self::DEFAULT_VARIABLE)
    }
}

impl TokenProvider for EnvTokenProvider {
    fn token(&self) -> Result<AccessToken, BoxError> {
        Ok(self.access_token()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_tokens_are_given_and_hidden() {
        let provider = StaticTokenProvider::new("eyJ0.static-secret");
        assert_eq!(provider.token().unwrap().secret(), "eyJ0.static-secret");
        assert!(!format!("{provider:?}").contains("static-secret"));
    }

    #[test]
    fn env_tokens_say_what_is_missing() {
        let provider = EnvTokenProvider::new("PARTNER_CENTER_CART_TEST_SURELY_UNSET");
        let error = provider.access_token().unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable PARTNER_CENTER_CART_TEST_SURELY_UNSET is not set: \
             set it to a Partner Center access token"
        );
        assert_eq!(EnvTokenProvider::default().name(), "PARTNER_CENTER_TOKEN");
    }
}
