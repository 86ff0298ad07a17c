//! A blocking client for Microsoft Partner Center's cart and checkout API.
//!
//! It is for partners who automate purchases from sync tools, build scripts
//! and small binaries, where an async runtime is unwanted. One call checks
//! out a cart and returns a plain [`CartCheckoutResult`]; around it, the same
//! client finds what to buy in the catalog, creates, reads and updates carts,
//! reads orders and their provisioning status, and waits until the orders of
//! a checkout are provisioned. A purchase happens exactly once, whatever
//! crashes, retries and restarts happen, and no response can make it panic.
//!
//! This page is the manual, in the order a first tool needs it:
//! [quick start](#quick-start), [the purchase flow](#the-purchase-flow),
//! [finding what to buy](#finding-what-to-buy), [carts and
//! orders](#carts-and-orders), [retries and
//! idempotency](#retries-and-idempotency), [errors](#errors),
//! [configuration](#configuration), [reliability and
//! security](#reliability-and-security), [logging](#logging),
//! [diagnosing a set-up](#diagnosing-a-set-up) and [features](#features).
//! Tokens and the environment variables are in [`auth`], testing against a
//! fake Partner Center in [`fake`], the models in [`model`], the purchase
//! journal in [`journal`].
//!
//! # Quick start
//!
//! ```no_run
//! use partner_center_cart::Client;
//!
//! fn main() -> Result<(), partner_center_cart::Error> {
//!     let client = Client::from_env()?; // PARTNER_CENTER_TOKEN, or see `auth`
//!     let result = client.checkout(
//!         "28045616-f6b9-462f-9701-0d89b5e65c44", // the customer's tenant ID
//!         "3655b1a0-b1c9-4268-9824-577fdbc4d0be", // the cart's ID
//!     )?;
//!     for order in &result.orders {
//!         println!("order {} is {:?}", order.id, order.status);
//!     }
//!     for error in &result.order_errors {
//!         eprintln!("not ordered: {error}");
//!     }
//!     Ok(())
//! }
//! ```
//!
//! IDs are accepted as `&str`, `String`, [`Uuid`] or the typed [`CustomerId`](model::CustomerId)
//! and [`CartId`](model::CartId) ([`IntoId`](model::IntoId)); anything that is not a GUID is refused with
//! [`Error::InvalidId`] before any network traffic. Every fallible call
//! returns [`Error`]; an [`auth::AuthError`] converts into it, so one `?`
//! serves a whole tool.
//!
//! # The purchase flow
//!
//! Create a cart, drop the line items the service rejected, check out, wait
//! for the orders:
//!
//! ```no_run
//! use partner_center_cart::model::Segment;
//! use partner_center_cart::{BillingCycle, Client, CreateCartOptions, NewCart, WaitOptions};
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let client = Client::from_env()?;
//! let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
//!
//! // 1. Create a cart: one line item per product and SKU of a price list.
//! let buy = |product, sku| client.availability_to_buy(customer, product, sku, &Segment::Commercial);
//! let mut cart = client.create_cart(
//!     customer,
//!     &NewCart::new()
//!         .line_item(buy("CFQ7TTC0LH18", "0001")?.line_item(25, "P1M", BillingCycle::Monthly)?)
//!         .line_item(buy("DZH318Z0BQ36", "004G")?.line_item(2, "P1Y", BillingCycle::OneTime)?)
//!         .partner_on_record_attestation_accepted(true),
//!     &CreateCartOptions::new(),
//! )?;
//!
//! // 2. The service may reject line items: drop them (add-ons included) and update.
//! let rejected = cart.remove_items_in_error();
//! for error in &rejected {
//!     eprintln!("rejected: {error}");
//! }
//! if let (false, Some(cart_id)) = (rejected.is_empty(), cart.id) {
//!     cart = client.update_cart(customer, cart_id, &cart)?;
//! }
//!
//! // 3. Check out. Given a `&Cart`, `checkout` refuses one with errors before sending.
//! let result = client.checkout(customer, &cart)?;
//!
//! // 4. Orders often come back pending: wait until they are provisioned.
//! for order in client.wait_for_orders(customer, &result, WaitOptions::default())? {
//!     for subscription in order.subscription_ids() {
//!         println!("{subscription} (order {})", order.id);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A tool that must survive a crash runs the same flow on a [`Journal`]
//! instead (see [Retries and idempotency](#retries-and-idempotency)).
//! What a first tool has to know:
//!
//! - **The partner-of-record attestation.** Partner Center's later
//!   documentation marks `partnerOnRecordAttestationAccepted` required when a
//!   cart is created: send `true`. Offers that enforce an attestation of
//!   their own also need [`CartLineItem::attestation_accepted`], or the line
//!   comes back in error with code 10012.
//! - **Line IDs are kept on update.** They must be unique within the cart,
//!   add-ons included (a repeat is refused with 400), so the gaps that
//!   [`Cart::remove_items_in_error`] leaves are fine. [`NewCart`] numbers
//!   base items and their add-ons in one sequence (0, 1, 2, …), and
//!   [`Cart::add_line_item`] numbers after the highest ID of a cart that was
//!   read.
//! - **Checking out an ordered cart again** returns the first checkout's
//!   result, the same orders: checkout is idempotent per cart and buys
//!   nothing twice. Older versions of the service answered 400 with code
//!   800065; the cart's status is then `Ordered`, and its orders reach
//!   [`Client::list_orders`] up to 15 minutes later. The [`Journal`] handles
//!   both.
//! - **A partial failure is not an error.** A checkout whose result has
//!   `orderErrors` is `Ok`, with
//!   [`is_partial_failure`](CartCheckoutResult::is_partial_failure) true and
//!   the orders that were made in `orders`.
//!
//! # Finding what to buy
//!
//! A cart line item names what it buys by its catalog item ID,
//! `{productId}:{skuId}:{availabilityId}`. A price list gives the product and
//! the SKU (`CFQ7TTC0LH18` and `0001` for Microsoft 365 Business Basic); the
//! availability ID exists only in the API, and Partner Center reissues it
//! from time to time, so look it up when buying:
//! [`Client::availability_to_buy`] finds the first purchasable availability
//! in a segment (or fails with [`Error::NoPurchasableAvailability`]), and
//! [`Availability::line_item`](model::Availability::line_item) makes the line item on a term and billing
//! cycle it offers:
//!
//! ```no_run
//! use partner_center_cart::model::{Segment, TargetView};
//! use partner_center_cart::{BillingCycle, CatalogOptions, Client, CreateCartOptions, NewCart};
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let client = Client::from_env()?;
//! let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
//!
//! // Browse: products in a view, a product's SKUs, a SKU's availabilities.
//! for product in client.list_products(customer, TargetView::OnlineServices, &CatalogOptions::new())? {
//!     println!("{} {:?}", product.id, product.title);
//! }
//! for availability in client.list_availabilities(customer, "CFQ7TTC0LH18", "0001", &CatalogOptions::new())? {
//!     let terms: Vec<String> = availability.offered_terms().iter().map(ToString::to_string).collect();
//!     println!("{} {:?} {}", availability.catalog_item_id, availability.segment, terms.join(", "));
//! }
//!
//! // Buy on a term the availability offers; any other is refused with
//! // `Error::TermNotOffered`, which lists those it does.
//! let item = client
//!     .availability_to_buy(customer, "CFQ7TTC0LH18", "0001", &Segment::Commercial)?
//!     .line_item(25, "P1Y", BillingCycle::Monthly)?;
//! let cart = client.create_cart(customer, &NewCart::new().line_item(item), &CreateCartOptions::new())?;
//! # let _ = cart;
//! # Ok(())
//! # }
//! ```
//!
//! | Call | Request | Notes |
//! |---|---|---|
//! | [`list_products`](Client::list_products) | `GET /v1/customers/{c}/products?targetView={view}` | new commerce is in `TargetView::OnlineServices`: there is no `OnlineServicesNCE` view |
//! | [`get_product`](Client::get_product) | `GET .../products/{p}` | |
//! | [`list_skus`](Client::list_skus), [`get_sku`](Client::get_sku) | `GET .../products/{p}/skus[/{s}]` | |
//! | [`list_availabilities`](Client::list_availabilities), [`get_availability`](Client::get_availability) | `GET .../skus/{s}/availabilities[/{a}]` | |
//! | [`availability_to_buy`](Client::availability_to_buy) | the list, filtered by segment | the first purchasable availability |
//! | [`CatalogOptions`], which every list takes | `targetSegment`, `reservationScope` | [`CatalogOptions::new`] narrows nothing: every segment but nonprofit |
//!
//! Product, SKU and availability IDs are refused before sending unless they
//! are path-safe (letters, digits, `-`, `.`, `_`, `~`).
//! [`Availability::line_item`](model::Availability::line_item) matches billing cycles whatever their case
//! (the catalog says `Annual`, carts `annual`); a term without a billing
//! cycle, as reservations have, takes each cycle the SKU supports, and an
//! availability without terms (perpetual software, the Azure plan) is bought
//! with `""` as the term and [`BillingCycle::OneTime`].
//!
//! When an availability ID was reissued between the look-up and the cart,
//! the service puts the line item in error with code 400019;
//! [`CartError::is_catalog_item_not_found`](model::CartError::is_catalog_item_not_found)
//! says so. Look the availability up again and update the cart (the fake
//! reissues its IDs on demand, so this runs as a test):
//!
//! ```
//! # #[cfg(feature = "fake")]
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! # let fake = partner_center_cart::fake::FakePartnerCenter::start().expect("a loopback port");
//! # let client = partner_center_cart::Client::builder(|| Ok::<_, std::io::Error>("test-token"))
//! #     .base_url(fake.base_url())
//! #     .build()?;
//! use partner_center_cart::model::Segment;
//! use partner_center_cart::{BillingCycle, CreateCartOptions, NewCart};
//!
//! let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
//! let item = client
//!     .availability_to_buy(customer, "CFQ7TTC0LH18", "0001", &Segment::Commercial)?
//!     .line_item(25, "P1Y", BillingCycle::Monthly)?;
//! # fake.rotate_availability_ids(); // Partner Center reissued the availability IDs.
//! let mut cart = client.create_cart(customer, &NewCart::new().line_item(item), &CreateCartOptions::new())?;
//! for item in &mut cart.line_items {
//!     if item.error.as_ref().is_some_and(|error| error.is_catalog_item_not_found()) {
//!         let mut ids = item.catalog_item_id.split(':');
//!         let (product, sku) = (ids.next().unwrap_or(""), ids.next().unwrap_or(""));
//!         let fresh = client.availability_to_buy(customer, product, sku, &Segment::Commercial)?;
//!         item.catalog_item_id = fresh.catalog_item_id;
//!         item.error = None;
//!     }
//! }
//! let cart_id = cart.id.expect("the service gives every cart an ID");
//! let cart = client.update_cart(customer, cart_id, &cart)?;
//! assert!(!cart.has_errors());
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "fake"))]
//! # fn main() {}
//! ```
//!
//! Every list call (catalog, orders) reads all pages: it follows the
//! collection's `links.next`, relative to `{base}/v1`, and sends the link's
//! `MS-ContinuationToken` header along with its own. A next link that would
//! leave the base URL, one back to a page already read, and more than 1,000
//! pages end the call with [`Error::BadNextLink`] instead of a request.
//!
//! # Carts and orders
//!
//! | Call | Request | Notes |
//! |---|---|---|
//! | [`create_cart`](Client::create_cart) | `POST /v1/customers/{c}/carts` | every retry reuses the request ID, so the service can tell a repeat; [`CreateCartOptions`] sets the request ID |
//! | [`get_cart`](Client::get_cart) | `GET /v1/customers/{c}/carts/{k}` | carts expire 7 days after creation |
//! | [`update_cart`](Client::update_cart) | `PUT /v1/customers/{c}/carts/{k}` | send the whole cart back |
//! | [`checkout`](Client::checkout), [`checkout_with`](Client::checkout_with) | `POST .../carts/{k}/checkout` | `cart` is a cart ID or a `&Cart`, whose line items in error give [`Error::CartHasErrors`] instead of a send; [`CheckoutOptions`] sets the request ID and the customer's user who gets the licences (`x-ms-customeruser-upn`) |
//! | [`get_order`](Client::get_order) | `GET /v1/customers/{c}/orders/{o}` | order IDs are opaque, not GUIDs; only path-safe characters are accepted |
//! | [`list_orders`](Client::list_orders) | `GET /v1/customers/{c}/orders` | reads every page |
//! | either, with [`OrderOptions::include_price`] | the same, `?include_price=true` | the only way to get `Order::total_price` |
//! | [`get_order_provisioning_status`](Client::get_order_provisioning_status) | `GET .../orders/{o}/provisioningstatus` | app+user tokens only |
//! | [`wait_for_orders`](Client::wait_for_orders) | `GET .../orders/{o}`, repeated | below |
//!
//! [`Client::wait_for_orders`] reads the pending orders of a checkout at
//! growing intervals (5 s, then 1.5 times longer each time, up to a minute)
//! until each is final or needs the partner ([`OrderStatus::is_final`](model::OrderStatus::is_final),
//! [`OrderStatus::needs_action`](model::OrderStatus::needs_action)), and returns every order as last read,
//! subscription IDs included. Orders under review (`pending_review`,
//! `po_upload_complete`) may stay so for days; the progress and
//! [`Error::WaitTimedOut`] say so. It spaces its requests, retries included,
//! to stay under 60 a minute by default and never more than 250 (half of
//! what Partner Center allows per tenant), logs each check at `info`, and tells a progress callback
//! ([`WaitOptions::on_progress`]) what it is waiting for. When its deadline
//! (30 minutes by default) passes first, it fails with
//! [`Error::WaitTimedOut`], which names the orders still pending and holds
//! every order as last read. A read that returns another order than the one
//! asked for is [`Error::OrderMismatch`]. An order whose status the crate
//! does not know is polled like a pending one, with a warning logged once.
//!
//! Every request sends `Accept: application/json` and `MS-Contract-Version:
//! v1`, and every POST and PUT `Content-Type: application/json`, the
//! body-less checkout included. New-commerce add-ons are line items of their
//! own in their base's order group
//! ([`NewCart::line_item_with_new_commerce_addons`]), not `addonItems`
//! ([`CartLineItem::addon`], for traditional licence-based offers only); an
//! add-on whose base is neither in the cart nor owned by the customer gets
//! line error 400041. Error codes whose fix is not obvious (800073/800074:
//! the customer is under review, retry in days; 900329: the endpoint wants an
//! App+User token; and the others the 2023 documentation adds, and those
//! added by 2026: 900154, the reseller's PLA ID is not linked; 900416, the
//! customer's account is locked for transactions; 900419, the customer is
//! over its subscription limit; 900420, a token for the retired
//! `graph.windows.net` audience; 900421, an App+User token without MFA)
//! carry a hint ([`FaultCode::hint`](model::FaultCode::hint)) that ends the
//! error's message.
//!
//! # Retries and idempotency
//!
//! The client retries, by its [`RetryPolicy`] (4 attempts in all, backoff
//! from 500 ms doubling to 30 s with jitter):
//!
//! - connection failures and timeouts before any response arrived, and
//!   `408`, `500`, `502`, `503` and `504`: the outcome is unknown (the
//!   service may have acted), so the retry sends the same `MS-RequestId`,
//!   Partner Center's idempotency key, and the service recognises the repeat;
//! - `429`: the service took nothing, so the retry is a new request with a
//!   new `MS-RequestId`, as Partner Center asks, unless the request ID is
//!   yours or an earlier attempt was in doubt or in progress. A 429 uses up
//!   no attempt while [`RetryPolicy::max_throttled_retries`] (10 by
//!   default) last, and a call with a deadline ends at it (see
//!   [throttling](#throttling-one-request-budget-per-client) below);
//! - `409` with service code `800060` ("your order is in progress") or
//!   `800064` ("the cart is being processed by another request"): the
//!   request is still being worked on and may yet be acted on, so the call
//!   waits (`Retry-After` when sent, else the backoff) and keeps its
//!   `MS-RequestId` for every later attempt. When it fails, it stays worth
//!   repeating whatever later attempts answered
//!   ([`CallInfo::request_in_progress`](error::CallInfo::request_in_progress)),
//!   [`Error::request_id`] names the request in progress, and the message
//!   says that an order may still be made and that checking out the same
//!   cart again later returns it. (Until the 2026 update this crate took
//!   such a 409 for "nothing taken" and sent each retry with a new ID.)
//! - `401`, once: the token provider hears that its token was refused
//!   ([`TokenProvider::token_refused`]), and the call is repeated with a
//!   fresh token and the same request ID; a second `401` is final. The
//!   repeat is an attempt like any other: it counts towards
//!   [`max_attempts`](RetryPolicy::max_attempts) and waits its backoff. A
//!   `401` with code `900421` is final at once: since April 2026 Partner
//!   Center refuses App+User tokens without multi-factor authentication,
//!   and a fresh token from the same sign-in lacks it alike; its hint says
//!   to sign the user in again with MFA (app-only tokens are not affected).
//!
//! It never retries other 4xx statuses, and never after a 2xx, even one
//! whose body cannot be decoded. `Retry-After` (seconds or an HTTP date) sets
//! the wait when it is longer than the backoff; one longer than
//! [`RetryPolicy::max_retry_after`] (60 s by default) ends the call at once
//! with [`Error::RetryAfterTooLong`].
//!
//! ## Throttling: one request budget per client
//!
//! Partner Center throttles per partner tenant (and per partner and
//! customer): past its limit it answers 429 with `Retry-After`. A [`Client`]
//! and its clones share one request budget, across all their threads, and
//! every attempt draws on it, retries and the polls of
//! [`Client::wait_for_orders`] included:
//!
//! - a 429 pauses every call of the client until its `Retry-After` has
//!   passed, not only the one that met it; a call whose deadline comes
//!   before the pause ends ends at once rather than wait past it;
//! - the client learns the rate the service allowed from the 429s (more
//!   while none comes, less after one, never under 60 a minute) and spaces
//!   its requests at 90% of it, so that a long batch meets few 429s; until
//!   the first 429 it does not space them, and a single call is never
//!   slowed. Few attempts are under way at once at first (four, one more
//!   for each answer), so that many threads starting together meet few
//!   429s before the first one teaches the rate;
//! - [`ClientBuilder::max_requests_per_minute`] caps the rate when you know
//!   your tenant's limit (500 a minute for orders, customers and
//!   subscriptions, as published);
//! - [`Client::throttling`] tells requests sent, those throttled, the
//!   learned rate and whether the client is paused now, for progress lines.
//!
//! Each call starts with a new request ID, or the one you chose
//! ([`CheckoutOptions::request_id`], [`CreateCartOptions::request_id`]),
//! which every attempt sends. Once an attempt's outcome is unknown, or the
//! service answered that the request is in progress, the call keeps its
//! request ID whatever later attempts answer: when it fails,
//! [`Error::request_id`] reports that ID, the message says an earlier
//! attempt may have acted (or an order may still be made), and
//! [`Error::should_repeat`] stays true.
//! `should_repeat` is false for what repeating cannot change, such as a 404
//! or a refusal.
//!
//! **What makes a repeat safe**, after a failed call or a crash:
//!
//! - **Keep the cart ID, and check out the same cart again.** Checkout is
//!   idempotent per cart: checking the same cart out again re-attempts it
//!   after a failure and returns the first result after a success, never a
//!   second purchase. Store the cart ID before the checkout is sent; a re-run
//!   that makes a new cart buys again.
//! - **The request ID protects a create.** Creating a cart is a POST, which
//!   the service recognises as a repeat by its `MS-RequestId`: repeat it
//!   with [`CreateCartOptions::request_id`] and the ID
//!   [`Error::request_id`] reported, or one you stored before the first send.
//!
//! The [`Journal`](journal::Journal) does both, durably: before each call that may act it
//! records what makes the repeat safe, and after it what came back, so a
//! tool killed at any point and run again finishes the purchase and buys
//! nothing twice; a finished purchase returns its outcome and sends nothing.
//! It is the recipe:
//!
//! ```no_run
//! use partner_center_cart::journal::{Journal, Purchase};
//! use partner_center_cart::{BillingCycle, CartLineItem, NewCart};
//! use partner_center_cart::{Client, WaitOptions};
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let client = Client::from_env()?;
//! let journal = Journal::open("purchases.journal")?;
//! let cart = NewCart::new()
//!     .line_item(CartLineItem::new("CFQ7TTC0LH18:0001:CFQ7TTC0K5DM", 25, BillingCycle::Monthly).term_duration("P1M"))
//!     .partner_on_record_attestation_accepted(true);
//! let purchase = Purchase::new("28045616-f6b9-462f-9701-0d89b5e65c44", cart)?.label("contoso-december");
//! let outcome = journal.run(&client, &purchase, WaitOptions::default())?;
//! for item in &outcome.to_buy_again {
//!     eprintln!("buy again: {item}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`PurchaseOutcome`](journal::PurchaseOutcome) lists the orders, the line items to buy again and the
//! orders awaiting a purchase order; the [`journal`] module says what is
//! recorded when, and how to keep it in a store of your own. It also
//! refuses, nothing sent, what looks like buying twice by accident: a
//! corrected purchase beside one whose checkout may have bought, a purchase
//! another replaced, and items the customer's orders of the last 7 days
//! already hold (the same command run with another journal); see
//! [its guards](journal#guards-against-buying-twice-by-accident).
//!
//! # Errors
//!
//! [`Error`] is a `#[non_exhaustive]` enum, `Send + Sync + 'static`. Every
//! variant after a call started answers [`request_id`](Error::request_id),
//! [`correlation_id`](Error::correlation_id), [`status`](Error::status),
//! [`retry_after`](Error::retry_after),
//! [`is_retryable`](Error::is_retryable) and
//! [`should_repeat`](Error::should_repeat), and its message names them
//! with the service's code and description, whatever shape the error body
//! took (JSON fault, throttling reply, HTML, nothing):
//!
//! ```text
//! Partner Center answered HTTP 404 Not Found, error 800008: The cart id ... could not be found. (request ID 5f0c..., correlation ID 1b7e..., 1 attempt)
//! ```
//!
//! | Variant | When |
//! |---|---|
//! | [`InvalidId`](Error::InvalidId), [`InvalidConfig`](Error::InvalidConfig) | an ID or a builder setting is not valid; nothing was sent |
//! | [`CartHasErrors`](Error::CartHasErrors) | `checkout` of a `&Cart` found line items in error; nothing was sent |
//! | [`TermNotOffered`](Error::TermNotOffered), [`NoPurchasableAvailability`](Error::NoPurchasableAvailability) | the availability does not offer the term and billing cycle (those it does are listed), or the segment has none to buy |
//! | [`Token`](Error::Token), [`Auth`](Error::Auth) | the token provider failed during a call (its error is the `source()`; the message says whether anything had reached Partner Center), or could not be set up |
//! | [`Transport`](Error::Transport) | no complete response: connect failure, timeout, broken connection (retried before any response) |
//! | [`Service`](Error::Service) | a status that is not a success, or a fault sent with a 2xx; [`ServiceError::fault`](error::ServiceError::fault) gives the code, description and data (transient ones are retried) |
//! | [`RetryAfterTooLong`](Error::RetryAfterTooLong) | the service asked for a longer wait than the policy allows |
//! | [`ResponseTooLarge`](Error::ResponseTooLarge), [`ResponseTooDense`](Error::ResponseTooDense), [`ListTooLarge`](Error::ListTooLarge), [`ListTimedOut`](Error::ListTimedOut), [`BadNextLink`](Error::BadNextLink) | a response or a list went past a bound (see [Reliability and security](#reliability-and-security)) |
//! | [`WaitTimedOut`](Error::WaitTimedOut), [`OrderMismatch`](Error::OrderMismatch) | orders still pending at the wait's deadline; a read of one order returned another |
//! | [`Decode`](Error::Decode) | the body could not be decoded; after a 2xx the call may have taken effect |
//! | [`Journal`](Error::Journal) | the purchase journal could not record or was refused ([`journal::JournalError`]) |
//!
//! # Configuration
//!
//! [`Client::builder`] sets everything [`Client::new`] leaves at its
//! default; [`Client::from_env`] reads the token, the cloud and the base URL
//! from the environment (see [`auth`]).
//!
//! ```
//! use std::time::Duration;
//! use partner_center_cart::{Client, Cloud, Proxy, RetryPolicy};
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let client = Client::builder(|| std::env::var("PARTNER_CENTER_TOKEN"))
//!     .cloud(Cloud::China)                       // or .base_url("https://...")
//!     .timeout(Duration::from_secs(120))         // per phase of an attempt
//!     .connect_timeout(Duration::from_secs(5))
//!     .retry_policy(RetryPolicy::default().max_attempts(6))
//!     .locale("de-DE")                           // X-Locale
//!     .application_name("contoso-sync")          // MS-PartnerCenter-Application
//!     .max_response_bytes(8 * 1024 * 1024)
//!     .max_list_bytes(32 * 1024 * 1024)          // all the pages of one list
//!     .list_timeout(Duration::from_secs(300))    // all the pages and retries of one list
//!     .proxy(Proxy::none())
//!     .build()?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
//!
//! | Setting | Default |
//! |---|---|
//! | base URL | `https://api.partnercenter.microsoft.com` ([`Cloud::Global`], also [`Cloud::UsGov`]; [`Cloud::China`] is 21Vianet's). Only `https`, or `http` to loopback for tests |
//! | [`timeout`](ClientBuilder::timeout) | 180 s, for each of sending, waiting for the response and reading its body, as long as the official SDK waits for a checkout |
//! | [`connect_timeout`](ClientBuilder::connect_timeout) | 10 s, for the name lookup and, apart, for connecting (TCP, proxy and TLS set-up) |
//! | [`retry_policy`](ClientBuilder::retry_policy) | [`RetryPolicy::default`], see [Retries and idempotency](#retries-and-idempotency) |
//! | [`locale`](ClientBuilder::locale) | `en-US` |
//! | [`max_response_bytes`](ClientBuilder::max_response_bytes) | 16 MiB |
//! | [`max_list_bytes`](ClientBuilder::max_list_bytes) | 64 MiB for all the pages of one list call together |
//! | [`list_timeout`](ClientBuilder::list_timeout) | none |
//! | [`proxy`](ClientBuilder::proxy) | the first usable one of `HTTPS_PROXY`, `ALL_PROXY`, `HTTP_PROXY` (each before its lowercase form) unless `NO_PROXY` covers the host; never for a loopback base URL. [`Proxy::url`] takes `http`, `https`, `socks4`, `socks4a`, `socks5` and `socks5h` URLs, and so do the variables (SOCKS from `ALL_PROXY` included) |
//!
//! Timeouts are set per phase rather than as one deadline per attempt
//! because ureq's deadline timeouts cost about twice as much per call (the
//! figures are in `benches/README.md`); only the requests of
//! `wait_for_orders` pay for one, to bound a whole exchange by the time left.
//!
//! # Reliability and security
//!
//! Each promise here has a test that fails when it breaks.
//!
//! **No panic.** No status, header, body or ID makes a call panic; property
//! tests feed arbitrary ones to the client over loopback. No duration
//! setting can make a call panic: `build` refuses a timeout of zero and,
//! but for `Duration::MAX` (none), the client's and Entra ID's timeouts
//! over a day; the other durations take any value, and no duration
//! arithmetic in the crate can overflow.
//!
//! **Responses that cannot lie.** A success whose body is a fault in any of
//! the service's shapes (`code` with `description` or `message`, keys in any
//! case; code 400072 comes with HTTP 200) is an [`Error::Service`], not an
//! empty result. A cart creation answered without a cart ID is an
//! [`Error::Decode`] that [`should_repeat`](Error::should_repeat), with the
//! create's request ID. Decoding is lenient where the service is loose (see
//! [`model`]).
//!
//! **What bounds what.**
//!
//! | What | Bounded by |
//! |---|---|
//! | the name lookup (of a host name, or of the proxy; an IP address needs none) | `connect_timeout` |
//! | opening the connection: TCP, proxy and TLS set-up | `connect_timeout`, apart from the lookup |
//! | sending a request; waiting for the response; reading its body | `timeout`, each phase on its own |
//! | a success body; an error body | `max_response_bytes`; the first 64 KiB |
//! | the memory a success body takes decoded | 32 × `max_response_bytes`, counted from the bytes before decoding ([`Error::ResponseTooDense`]): a call holds at most about 33 times the cap, the body included |
//! | a list call, whole | `max_list_bytes` (bytes, and 32 times that decoded: [`Error::ListTooLarge`]), 1,000 pages, and `list_timeout` ([`Error::ListTimedOut`]): no page or retry starts after it, and a request under way gets only the time left |
//! | the attempts of one call | [`RetryPolicy`]: attempts, backoff, and `Retry-After` up to its cap |
//! | `wait_for_orders`, whole | its timeout: no sleep, pacing gap or backoff runs past the deadline, no request starts after it, and a request under way gets only the time left, name lookup to last byte |
//! | the requests of a wait | its requests per minute (at most 250): every request counts, retries included |
//! | a token request | the provider's timeout, connect timeout and `RetryPolicy`, as above |
//! | a run of `az` | the provider's timeout, its output included; at the timeout, `az` and every process it started are stopped (its process group on Unix, its process tree on Windows) |
//!
//! The wait's deadline does not bound the token provider: a token fetch
//! takes as long as the provider's own timeouts allow, and a closure as long
//! as it runs.
//!
//! **What is escaped.** Text from a server (fault codes and descriptions,
//! messages, cart and order errors, IDs, terms, unknown enum values, the
//! `Location` of a redirect, Entra ID's errors, what `az` prints) reaches
//! `Display`, `Debug` and log records only with its control characters,
//! line and paragraph separators and bidirectional marks escaped (`\n`,
//! `\u{1b}`, `\u{202e}`), so a reply cannot forge a log line or drive a
//! terminal. Accessors such as [`ServiceError::message`](error::ServiceError::message) give the text as it
//! came; [`text::Escaped`] shows such text, or any field of a model, as the
//! crate does.
//!
//! **What stays secret.** Bearer tokens, client secrets, refresh tokens and
//! proxy passwords never appear in any `Debug` or `Display` output, error or
//! log record of this crate. A proxy URL must percent-encode `/`, `?`, `#`
//! and `@` in its credentials: one that does not is refused at
//! [`build`](ClientBuilder::build), and its `Debug` hides everything up to
//! the last `@`. Redirects are never followed, so the token never reaches
//! another origin: a 3xx is an error that names the `Location`.
//!
//! **What is never cached.** The client keeps no token: it asks its provider
//! before every attempt. The caching providers check each token before
//! keeping it (see [`auth`]).
//!
//! **The environment is read strictly.** Tokens and secrets are trimmed, and
//! refused when white space remains inside. A proxy variable that is not
//! UTF-8 or not a usable URL is skipped with a `warn` record that names it;
//! when a proxy is set, a `NO_PROXY` that is not UTF-8 makes
//! [`build`](ClientBuilder::build) refuse, rather than send the hosts it
//! exempts through the proxy; when none is, it gets a `warn` record that
//! names it.
//!
//! # Logging
//!
//! The crate logs through the [`log`](https://docs.rs/log) facade under the
//! target `partner_center_cart`: each attempt at `debug` (method, path,
//! status, request and correlation IDs, time taken), each retry at `info`
//! with its reason and wait, a `Retry-After` over the cap, and a proxy
//! variable skipped, at `warn`.
//!
//! **Warning:** ureq, underneath, dumps the raw bytes of every request and
//! response at its `trace` level, the `Authorization` header and token
//! request bodies included. Keep the `ureq` and `ureq_proto` targets below
//! `trace` in production, for example with
//! `RUST_LOG=debug,ureq=info,ureq_proto=info` under `env_logger`.
//!
//! # Diagnosing a set-up
//!
//! Most integrations that fail on day one fail on the token, not the cart:
//! the retired `graph.windows.net` audience, an app-only token where
//! app+user is needed, an app+user token signed in without multi-factor
//! authentication (refused with 900421 since April 2026), the wrong tenant,
//! an expired token, a proxy that eats the request, a clock minutes off.
//! [`AccessToken::claims`] reads a JWT's audience, tenant, app, user,
//! expiry, scopes, roles and sign-in methods (`amr`,
//! [`TokenClaims::has_mfa`](auth::TokenClaims::has_mfa)), **without
//! verifying the signature** (a client has no keys; Partner Center checks
//! it), and gives `None` for anything that is not a JWT;
//! [`Client::last_server_time`], [`Client::proxy_url`] and
//! [`Client::tls_backend`] tell the clock skew, the proxy (password hidden)
//! and the TLS stack. The `checkout` example's `doctor` command checks all
//! of it at once (see `examples/README.md`).
//!
//! ```
//! use partner_center_cart::AccessToken;
//!
//! let token = AccessToken::new(std::env::var("PARTNER_CENTER_TOKEN").unwrap_or_default());
//! match token.claims() {
//!     Some(claims) if claims.is_app_only() => println!("app-only, for {:?}", claims.audience),
//!     Some(claims) => println!("app+user {:?}, scopes {:?}", claims.user, claims.scopes),
//!     None => println!("not a JWT"),
//! }
//! ```
//!
//! # Features
//!
//! | Feature | Default | What it does |
//! |---|---|---|
//! | `rustls` | yes | TLS through rustls with the webpki roots |
//! | `native-tls` | no | TLS through the platform's library (OpenSSL on Linux); when enabled, it is used instead of rustls |
//! | `platform-verifier` | no | certificates checked against the operating system's store, through rustls (enables `rustls`; wins over `native-tls`) |
//! | `gzip` | no | accept gzip-compressed responses |
//! | `fake` | no | [`fake`]: a scriptable fake Partner Center on loopback, for tests and the demo |
//!
//! With no TLS feature at all, only `http` to loopback works: an `https`
//! base URL is refused at [`build`](ClientBuilder::build), naming the
//! features to enable.
//!
//! [`Journal`]: journal::Journal
//! [`PurchaseOutcome`]: journal::PurchaseOutcome

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
mod client;
mod cloud;
mod dates;
mod encoding;
pub mod error;
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
pub mod text;
mod token;
mod transport;

pub use client::{
    CatalogOptions, CheckoutCart, CheckoutOptions, Client, ClientBuilder, CreateCartOptions,
    OrderOptions, WaitOptions, WaitProgress,
};
pub use cloud::Cloud;
pub use error::Error;
pub use http::proxy::Proxy;
pub use model::cart::{Cart, CartLineItem, NewCart};
pub use model::checkout::CartCheckoutResult;
pub use model::enums::BillingCycle;
pub use retry::RetryPolicy;
pub use token::{AccessToken, TokenProvider};
pub use transport::{ServerTime, Throttling};
pub use uuid::Uuid;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
