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
//! the margin set on their builder) before it expires, or until Partner
//! Center refuses it with 401 (see [`TokenProvider::token_refused`]). When many threads find
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
mod simple;

pub use crate::failure::auth::{AuthError, EntraError, SharedError};
pub use azure_cli::{AzureCliBuilder, AzureCliProvider};
pub use cache::DEFAULT_REFRESH_MARGIN;
pub use entra::{ClientCredentialsProvider, EntraBuilder, RefreshTokenProvider};
pub use env::from_env;
pub use simple::{EnvTokenProvider, StaticTokenProvider};

pub use crate::token::TokenClaims;
use crate::token::{AccessToken, TokenProvider};
