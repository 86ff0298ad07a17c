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
//! after a success. Each call gets a new `MS-RequestId`, or the caller's
//! ([`CheckoutOptions::request_id`], [`Client::create_cart_with_request_id`]),
//! which every attempt sends. A call remembers its attempts: once one has
//! an unknown outcome (no answer, a timeout, 408, a 5xx), every later
//! attempt keeps its ID, whatever the service answers, so that the service
//! recognises the repeat: that is what makes a retried create safe. Only a
//! call none of whose attempts is in doubt moves to a new ID when the
//! service answers that it took nothing (429, or 409 with 800060 or 800064).
//! A 401 is repeated once, with the same ID and a fresh token (see
//! [`TokenProvider::token_refused`]). When a call fails anyway,
//! [`Error::should_repeat`] tells whether repeating it may succeed or
//! recover its result (a checkout whose answer was lost may have bought; so
//! may a call one of whose earlier attempts was in doubt, whatever its last
//! attempt returned), and
//! [`Error::request_id`] tells the ID to repeat it with.
//!
//! # Buying exactly once
//!
//! What makes a repeat safe after a crash or an unknown outcome:
//!
//! - **Keep the cart ID, and check out the same cart again.** Checkout is
//!   idempotent per cart ID: checking out the same cart again re-attempts it
//!   after a failure and returns the first result after a success, never a
//!   second purchase. Store the cart ID before the checkout is sent; a
//!   re-run that makes a new cart buys again.
//! - **The request ID protects a create.** Creating a cart is a POST; the
//!   service recognises a repeat by its `MS-RequestId`. Store the ID before
//!   the create, and repeat it with
//!   [`Client::create_cart_with_request_id`] (the ID
//!   [`Error::request_id`] reports serves the same end within one process).
//! - **The [`Journal`](journal::Journal) does both**, durably, and the rest of the
//!   bookkeeping: it records each step before the call that may act, so a
//!   tool killed at any point and run again finishes the purchase, and a
//!   finished one returns its outcome without a call. It is the recipe:
//!
//! ```no_run
//! use partner_center_cart::{BillingCycle, CartLineItem, NewCart};
//! use partner_center_cart::{Client, WaitOptions, journal::{Journal, Purchase}};
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let client = Client::from_env()?;
//! let journal = Journal::open("purchases.journal")?;
//! let cart = NewCart::new()
//!     .line_item(CartLineItem::new("CFQ7TTC0LH18:0001:CFQ7TTC0K5DM", 25, BillingCycle::Monthly).term_duration("P1M"))
//!     .partner_on_record_attestation_accepted(true);
//! let purchase = Purchase::new("contoso-december", "28045616-f6b9-462f-9701-0d89b5e65c44", cart)?;
//! let outcome = journal.run(&client, &purchase, WaitOptions::default())?;
//! println!("{outcome}"); // the orders, and what to buy again
//! # Ok(())
//! # }
//! ```
//!
//! An order's [`OrderStatus`] says what it needs:
//! [`is_final`](OrderStatus::is_final) when it will change no more,
//! [`needs_action`](OrderStatus::needs_action) when it waits for a purchase
//! order or asks to buy something again; [`PurchaseOutcome`](journal::PurchaseOutcome) lists the line
//! items to buy again and the orders awaiting a purchase order.
//!
//! # Reliability
//!
//! - Text from a server (descriptions, codes, unknown enum values, IDs,
//!   terms) shows escaped in every `Display`, `Debug` and log record:
//!   control characters, line and paragraph separators and bidirectional
//!   marks appear as escapes such as `\n` or `\u{202e}`, so that a
//!   response cannot forge a log line or reorder a terminal.
//! - The environment is read strictly. Tokens and secrets are trimmed, and
//!   refused when white space remains inside. A proxy variable that is not
//!   UTF-8 or not a usable URL is skipped with a warning that names it. When
//!   a proxy is set, a `NO_PROXY` that is not UTF-8 makes
//!   [`ClientBuilder::build`] refuse, rather than send the hosts it exempts
//!   through the proxy.
//! - The [`fake`] bounds what it spends inside a test suite (connections,
//!   threads, recorded bodies, write time), pauses rather than spins when
//!   accepting fails, and ends every thread it started when dropped; its
//!   module docs list the limits.
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
//!   default), and one that could take more than 32 times that decoded is
//!   refused before decoding ([`Error::ResponseTooDense`]): a call holds at
//!   most about 17 times the cap, whatever the body.
//! - A list reads at most 1000 pages, and its pages together at most
//!   [`max_list_bytes`](ClientBuilder::max_list_bytes), and 32 times that
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
mod dates;
mod encoding;
pub mod error;
mod error_kind;
mod failure;
#[cfg(feature = "fake")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake")))]
pub mod fake;
mod footprint;
mod http;
mod ids;
pub mod journal;
mod logging;
pub mod model;
mod retry;
mod text;
mod token;
mod transport;

pub use client::{CheckoutCart, CheckoutOptions, Client, ClientBuilder, WaitOptions, WaitProgress};
pub use cloud::Cloud;
pub use failure::Error;
pub use http::proxy::Proxy;
pub use model::cart::{Cart, CartLineItem, NewCart};
pub use model::checkout::CartCheckoutResult;
pub use model::enums::BillingCycle;
pub use model::order::OrderStatus;
pub use retry::RetryPolicy;
pub use token::{AccessToken, TokenProvider};
pub use transport::ServerTime;
pub use uuid::Uuid;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
