//! A blocking client for Microsoft Partner Center's cart and checkout API.
//!
//! One call checks out a cart and returns a plain [`CartCheckoutResult`]:
//!
//! ```no_run
//! use partner_center_cart::Client;
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
//! let result = client.checkout(
//!     "28045616-f6b9-462f-9701-0d89b5e65c44", // the customer's tenant ID
//!     "3655b1a0-b1c9-4268-9824-577fdbc4d0be", // the cart's ID
//! )?;
//! if result.is_partial_failure() {
//!     for error in &result.order_errors {
//!         eprintln!("not ordered: {error}");
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Finding what to buy
//!
//! A cart line item buys a catalog item, `{productId}:{skuId}:{availabilityId}`.
//! The availability ID is reissued from time to time, so look it up when
//! buying: [`Client::availability_to_buy`] finds the purchasable availability
//! of a product and SKU in a segment, and
//! [`Availability::line_item`](model::Availability::line_item) makes the
//! line item on a term and billing cycle it offers. The catalog's lists, like
//! every list call, read all pages.
//!
//! # Retries and idempotency
//!
//! The client retries connection failures, timeouts and the transient
//! statuses by its [`RetryPolicy`], honours `Retry-After`, and never retries
//! after a success. Each call gets a new `MS-RequestId`. An attempt after an
//! unknown outcome (no answer, a timeout, 408, a 5xx) keeps the ID of the
//! one before, so that the service recognises the repeat: that is what
//! makes a retried create safe. An attempt after the service answered that
//! it took nothing (429, or 409 with 800060 or 800064) is a new request with
//! a new ID. When a call fails anyway, [`Error::should_repeat`] tells
//! whether repeating it may succeed or recover its result (a checkout whose
//! answer was lost may have bought), and [`Error::request_id`] tells the
//! last attempt's ID.
//!
//! Checkout is idempotent per cart ID: checking out the same cart again
//! re-attempts it after a failure and returns the first result after a
//! success, so a checkout whose outcome is unknown is repeated on the same
//! cart, best with the same request ID: [`Client::checkout_cart_with`] and
//! [`CheckoutOptions::request_id`] take one chosen before the first send. A
//! cart creation whose outcome is unknown is repeated with
//! [`Client::create_cart_with_request_id`] and the ID the error reported.
//!
//! # Responses that cannot hurt
//!
//! - A success whose body is a fault in any of the service's shapes (`code`
//!   with `description` or `message`, keys in any case) is an
//!   [`Error::Service`], not an empty result.
//! - A cart creation answered without a cart ID is an [`Error::Decode`] that
//!   [`should_repeat`](Error::should_repeat), with the create's request ID.
//! - A success body is read up to
//!   [`max_response_bytes`](ClientBuilder::max_response_bytes) (16 MiB by
//!   default), and one that could take more than 16 times that decoded is
//!   refused before decoding ([`Error::ResponseTooDense`]): a call holds at
//!   most about 17 times the cap, whatever the body.
//! - A list reads at most 1000 pages, and its pages together at most
//!   [`max_list_bytes`](ClientBuilder::max_list_bytes), and 16 times that
//!   decoded ([`Error::ListTooLarge`]). [`list_timeout`](ClientBuilder::list_timeout)
//!   bounds all its pages and retries ([`Error::ListTimedOut`]). A next-page
//!   link is followed only below the base URL and only to a page not yet
//!   read, and it may add one `MS-ContinuationToken` header and nothing
//!   else.
//!
//! # Tokens
//!
//! The client asks its [`TokenProvider`] for a token before every attempt;
//! any closure returning `Result<impl Into<String>, impl Into<BoxError>>` is
//! one. [`Client::from_env`] picks one, with the cloud and base URL, from
//! `PARTNER_CENTER_*` environment variables (see [`auth::from_env`]). The
//! [`auth`] module has cached, thread-safe providers for app-only and
//! app+user credentials and the Azure CLI. Tokens never appear in `Debug`
//! output, errors or log records. [`AccessToken::claims`] tells what a JWT
//! claims (audience, tenant, app, user, expiry, scopes, roles), read without
//! verifying it, to diagnose a set-up.
//!
//! # Logging
//!
//! Records go through the [`log`](https://docs.rs/log) facade under the
//! target `partner_center_cart`: each attempt at `debug` (method, path,
//! status, request and correlation IDs, time taken), each retry at `info`
//! with its reason and wait. Beware that `ureq`'s own `trace` level prints
//! raw request bytes, the `Authorization` header included.
//!
//! # Features
//!
//! - `rustls` (default): TLS through rustls.
//! - `native-tls`: TLS through the platform's library, used instead of
//!   rustls when enabled.
//! - `platform-verifier`: certificates checked against the system's store,
//!   through rustls.
//! - `gzip`: accept gzip-compressed responses.
//! - `fake`: [`fake`], a scriptable fake Partner Center on loopback for tests.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
mod client;
mod cloud;
mod config;
mod error;
#[cfg(feature = "fake")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake")))]
pub mod fake;
mod fault_probe;
mod footprint;
mod ids;
pub mod model;
mod options;
mod retry;
mod text;
mod token;
mod transport;
mod wait;

pub use client::Client;
pub use cloud::Cloud;
pub use config::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_LIST_BYTES, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT, Proxy,
};
pub use error::{ApiFault, BoxError, CallInfo, Error, FaultCode, ServiceError, TransportErrorKind};
pub use ids::{CartId, CustomerId, IntoId, OrderId};
pub use model::{
    Availability, BillingCycle, Cart, CartCheckoutResult, CartLineItem, NewCart, Order, OrderError,
    OrderLineItem, OrderStatus, Product, Sku,
};
pub use options::CheckoutOptions;
pub use retry::RetryPolicy;
pub use token::{AccessToken, TokenClaims, TokenProvider};
pub use transport::ServerTime;
pub use uuid::Uuid;
pub use wait::{MAX_REQUESTS_PER_MINUTE, WaitOptions, WaitProgress};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
