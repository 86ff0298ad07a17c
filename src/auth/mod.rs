//! Where the client gets its bearer tokens: the providers, and the
//! environment variables.
//!
//! The client asks its [`TokenProvider`] for a token before every attempt of
//! every call and never keeps one itself, so a provider decides how long a
//! token lives. Any closure `Fn() -> Result<T, E>` whose `T` converts into a
//! `String` and whose `E` into a [`BoxError`](crate::error::BoxError) is a
//! provider:
//!
//! ```
//! use partner_center_cart::Client;
//!
//! let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
//! # let _ = client;
//! ```
//!
//! # From the environment
//!
//! [`Client::from_env`](crate::Client::from_env) configures a client from
//! these variables, the ones the examples read too; [`from_env`] picks the
//! token provider alone, for a client with settings of your own. Blank
//! variables count as unset; with none of them set, the error names the
//! variables to set. No error quotes a secret.
//!
//! | Variable | What it sets |
//! |---|---|
//! | `PARTNER_CENTER_TOKEN` | a bearer token, used as it is ([`StaticTokenProvider`]) |
//! | `PARTNER_CENTER_TENANT`, `PARTNER_CENTER_CLIENT_ID`, `PARTNER_CENTER_CLIENT_SECRET` | app-only tokens ([`ClientCredentialsProvider`]) |
//! | the three above and `PARTNER_CENTER_REFRESH_TOKEN` | app+user tokens ([`RefreshTokenProvider`]), without the secret for a public (native) app registration; a rotated refresh token is used but not stored |
//! | `PARTNER_CENTER_AUTH` | `az` for the Azure CLI's signed-in account (`PARTNER_CENTER_TENANT` optional); `static`, `app` or `refresh` to choose when a token and app credentials are both set |
//! | `PARTNER_CENTER_CLOUD` | `global` (the default), `usgov` or `china`: where tokens come from, and the API's base URL |
//! | `PARTNER_CENTER_BASE_URL` | another API base URL, such as the fake's (`Client::from_env` only) |
//!
//! ```no_run
//! use partner_center_cart::{Client, auth};
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let client = Client::from_env()?;
//! // Or the provider alone, with settings of your own:
//! let custom = Client::builder(auth::from_env()?).application_name("contoso-sync").build()?;
//! # let _ = (client, custom);
//! # Ok(())
//! # }
//! ```
//!
//! # Providers
//!
//! | Provider | Tokens | Cached |
//! |---|---|---|
//! | [`ClientCredentialsProvider`] | app-only: tenant, client ID and secret | yes |
//! | [`RefreshTokenProvider`] | app+user (secure application model): a refresh token traded with the client ID and secret, or with the client ID alone for a public app registration ([`RefreshTokenProvider::public_client`]) | yes |
//! | [`AzureCliProvider`] | the signed-in user's, from `az account get-access-token` | yes |
//! | [`StaticTokenProvider`] | one fixed token | no need |
//! | [`EnvTokenProvider`] | an environment variable, read at every call | no |
//!
//! 21Vianet's cloud ([`Cloud::China`](crate::Cloud::China)) signs in at
//! `https://login.partner.microsoftonline.cn` (it was
//! `login.chinacloudapi.cn` before this crate's 2026 update).
//!
//! The first two ask Entra ID's v2 token endpoint,
//! `{authority}/{tenant}/oauth2/v2.0/token`, with a form-encoded POST; the
//! [`Cloud`](crate::Cloud) presets supply the authority and the resource, and
//! both can be set apart (an `http` authority is accepted only on loopback,
//! for tests). Requests follow no redirects, have a timeout per phase, read
//! at most 1 MiB, and are retried by the [`RetryPolicy`](crate::RetryPolicy)
//! on connection failures, timeouts, 408, 429 and 5xx, never on 400 or 401.
//!
//! App-only, with the client credentials grant and the scope
//! `https://api.partnercenter.microsoft.com/.default`:
//!
//! ```no_run
//! use partner_center_cart::{Client, Cloud};
//! use partner_center_cart::auth::ClientCredentialsProvider;
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let secret = std::env::var("PARTNER_CENTER_CLIENT_SECRET").unwrap_or_default(); // or from a vault
//! let provider = ClientCredentialsProvider::builder(
//!     "contoso.onmicrosoft.com",              // tenant ID or domain
//!     "4f1c0b2e-7d8a-4c1e-9b2f-3a6d5e8c7b10", // the app's client ID
//!     secret,                                 // refused if empty
//! )
//! .cloud(Cloud::Global) // authority and resource; UsGov and China too
//! .build()?;
//! let client = Client::new(provider);
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
//!
//! App+user, with the secure application model: the refresh token from the
//! partner's one-time consent is traded for access tokens (scope
//! `{resource}/user_impersonation offline_access`;
//! [`scope`](EntraBuilder::scope) sets another). When Entra ID rotates the
//! refresh token, the callback gets the new one to store:
//!
//! ```no_run
//! use partner_center_cart::Client;
//! use partner_center_cart::auth::RefreshTokenProvider;
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let var = |name| std::env::var(name).unwrap_or_default();
//! let provider = RefreshTokenProvider::builder(
//!     "contoso.onmicrosoft.com",
//!     "4f1c0b2e-7d8a-4c1e-9b2f-3a6d5e8c7b10",
//!     var("PARTNER_CENTER_CLIENT_SECRET"),
//!     var("PARTNER_CENTER_REFRESH_TOKEN"),
//! )
//! .on_refresh_token_rotated(|new_refresh_token| {
//!     // Store it where the next run will find it, such as a secret vault.
//!     let _ = std::fs::write("refresh-token", new_refresh_token);
//! })
//! .build()?;
//! let client = Client::new(provider);
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
//!
//! **Multi-factor authentication.** Since April 2026 Partner Center
//! refuses App+User calls whose token does not carry the MFA claim (`mfa`
//! in `amr`, see [`TokenClaims::has_mfa`]) with 401 and code 900421. The
//! client does not refresh the token or repeat the call for it, as a token
//! traded from the same sign-in lacks the claim alike; the error's hint
//! says to sign the user in again with MFA (for the secure application
//! model, consent again with MFA to get a new refresh token). App-only
//! tokens are not affected. Entra ID's AADSTS50076, 50078 (the MFA sign-in
//! expired) and 50079 get a hint that names MFA too.
//!
//! [`AzureCliProvider`], for tools run by a person, runs
//! `az account get-access-token --resource <resource> --output json` (never
//! through a shell) and reads the expiry from `expires_on`; tokens from
//! older CLIs without that field are reused for one minute. A missing `az`
//! or a CLI that is not logged in gives an error that says to install it or
//! to run `az login`.
//!
//! # Caching
//!
//! The caching providers keep a token until 5 minutes
//! ([`DEFAULT_REFRESH_MARGIN`], or the margin set on their builder) before
//! it expires, or until
//! Partner Center refuses it with 401 (see [`TokenProvider::token_refused`]).
//! They check each token before keeping it: one that cannot go in an
//! `Authorization` header (empty, or holding anything but visible ASCII) is
//! an error for that fetch, [`AuthError::UnusableToken`], and is not kept,
//! so the next call fetches again. A failed fetch is not cached either. When
//! many threads find the token stale at once, one of them fetches a new one
//! and the others wait for it and get its token, or a clone of its error if
//! it failed.
//!
//! # Errors
//!
//! Errors are [`AuthError`]s, which the client reports as the source of
//! [`Error::Token`](crate::Error::Token) (or as
//! [`Error::Auth`](crate::Error::Auth) when a provider cannot be set up); a
//! refusal from Entra ID becomes an [`EntraError`] that names the OAuth
//! error, the `AADSTS` codes (such as `AADSTS7000215`: the client secret is
//! wrong), what to fix and the trace and correlation IDs. Secrets and tokens
//! never appear in `Debug` or `Display` output, errors or log records.
//!
//! # Your own provider
//!
//! Any type that implements [`TokenProvider`] is a provider, and so are a
//! `Box<dyn TokenProvider>` and an `Arc` of any provider, so a tool can
//! choose one at run time (the examples do so from `--auth`):
//!
//! ```
//! use partner_center_cart::{AccessToken, Client, TokenProvider, error::BoxError};
//!
//! struct FromVault;
//!
//! impl TokenProvider for FromVault {
//!     fn token(&self) -> Result<AccessToken, BoxError> {
//!         // Fetch or refresh a token here; cache it until shortly before expiry.
//!         Ok(AccessToken::new("eyJ..."))
//!     }
//! }
//!
//! let provider: Box<dyn TokenProvider> = Box::new(FromVault);
//! let client = Client::new(provider);
//! # let _ = client;
//! ```

mod azure_cli;
mod cache;
mod entra;
pub(crate) mod env;
pub(crate) mod error;
mod simple;

pub use azure_cli::{AzureCliBuilder, AzureCliProvider};
pub use cache::DEFAULT_REFRESH_MARGIN;
pub use entra::{ClientCredentialsProvider, EntraBuilder, RefreshTokenProvider};
pub use env::from_env;
pub use error::{AuthError, EntraError, SharedError};
pub use simple::{EnvTokenProvider, StaticTokenProvider};

pub use crate::token::TokenClaims;
use crate::token::{AccessToken, TokenProvider};
