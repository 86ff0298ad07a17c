//! A fake Partner Center on loopback, for tests and demos.
//!
//! [`FakePartnerCenter::start`] binds a free port on `127.0.0.1` and serves
//! real HTTP/1.1 from background threads until it is dropped. Point a client
//! at [`base_url`](FakePartnerCenter::base_url) and it talks to the fake
//! exactly as to the service.
//!
//! Each request gets the first scripted [`Reply`] queued for it, if there is
//! one, and the fake's built-in behaviour otherwise. A reply is for any
//! request, or aimed with [`Reply::on`] at one method and path, so that a
//! test can fail only the checkout and let the rest of the flow run. Every
//! request is recorded with its headers, body and connection number, for
//! tests to inspect.
//!
//! The built-in behaviour keeps carts and orders like the service: it
//! creates, reads and updates carts (numbering line items, filling in the
//! currency, one order group per billing cycle), checks a cart out into one
//! pending order per order group (replaying the result when checked out
//! again), completes an order after a few reads (see
//! [`set_polls_until_complete`](FakePartnerCenter::set_polls_until_complete))
//! with subscription IDs on its lines, and serves orders, order lists and
//! provisioning status. It answers 401 without a bearer token, or with a JWT
//! whose audience is not Partner Center's or that has expired (mint one with
//! [`FakeToken`]; opaque test tokens are accepted), 403 to an app-only JWT
//! asking for provisioning status, and 404 with the service's codes for
//! unknown carts and orders. Every reply carries a `Date` header, as the
//! service's do. Line-item and order-group failures, faults sent with HTTP
//! 200, cancelled orders and checkout answers that are lost on the way can
//! be injected.
//!
//! It sells a small catalog: new-commerce Microsoft 365 SKUs with
//! P1M/monthly, P1Y/annual and P1Y/monthly terms, a new-commerce add-on that
//! needs one of them, perpetual software, a reserved VM instance, the Azure
//! plan, Azure savings plans and a nonprofit-only availability. It pages
//! collections with `MS-ContinuationToken` next links
//! ([`set_page_size`](FakePartnerCenter::set_page_size)), puts line items in
//! error whose catalog item it does not sell on their term and billing
//! cycle, and reissues its availability IDs on demand
//! ([`rotate_availability_ids`](FakePartnerCenter::rotate_availability_ids)).
//!
//! For crash tests, the fake can act and then answer late
//! ([`delay_checkout_answers`](FakePartnerCenter::delay_checkout_answers))
//! or not at all
//! ([`lose_create_answers`](FakePartnerCenter::lose_create_answers)),
//! refuse a repeated checkout with 800065 like an older service
//! ([`refuse_repeated_checkouts`](FakePartnerCenter::refuse_repeated_checkouts)),
//! keep new orders out of order lists for a while
//! ([`delay_order_lists`](FakePartnerCenter::delay_order_lists)), and
//! answer checkouts that took effect with 409 "in progress" (800060, then
//! 800064: [`checkouts_in_progress`](FakePartnerCenter::checkouts_in_progress)).
//!
//! For load, it throttles as the service does
//! ([`FakeBuilder::rate_limit`]: at most so many requests in any second, the
//! rest answered 429 with `Retry-After: 1`; see
//! [`throttled_requests`](FakePartnerCenter::throttled_requests)) and
//! answers slowly ([`FakeBuilder::answer_delay`]).
//!
//! It can refuse, as Partner Center does since April 2026, app+user tokens
//! signed in without multi-factor authentication, with 401 and code 900421
//! ([`require_mfa`](FakePartnerCenter::require_mfa)); it refuses a token for
//! the retired `graph.windows.net` audience with 900420. Both switches can
//! be set on the [`FakeBuilder`] too.
//!
//! It refuses what the service refuses, and keeps what it keeps: 415 to a
//! POST or PUT without `Content-Type: application/json` (before any scripted
//! reply, so that a script cannot hide it), 400 to a cart whose line item
//! IDs repeat (add-ons included). It deduplicates cart creation by
//! `MS-RequestId`, sends an order's `totalPrice` only for
//! `include_price=true`, and keeps the cart fields it does not model through
//! an update. [`Reply::built_in`] lets a request take effect while the
//! client times out or loses the answer.
//!
//! # Limits
//!
//! The fake runs inside test suites, so what it spends is bounded; the
//! [`FakeBuilder`] sets each limit, and these are the defaults:
//!
//! - At most 64 connections are served at once, each on a thread of its
//!   own; a client that connects beyond that waits until one closes. An idle
//!   connection is closed after 30 seconds.
//! - A write to a client that does not read gives up after 30 seconds.
//! - [`requests`](FakePartnerCenter::requests) keeps the latest 10,000
//!   requests, and at most 64 MiB of their bodies besides the latest one;
//!   older ones are forgotten. A request head is at most 64 KiB and a body
//!   at most 16 MiB.
//! - After an accept fails (as when the process runs out of file
//!   descriptors), the fake pauses before the next, from 5 ms doubling up
//!   to a second, rather than spin.
//! - Dropping the fake shuts every connection down and joins every thread
//!   it started, a reply under way or a [`Reply::delay`] included.
//!
//! A request's `MS-RequestId` and `MS-CorrelationId` are echoed in the
//! reply, as the service does, only when they are plain header text
//! (visible ASCII and spaces): a line break in one cannot forge a header.
//! The headers of a scripted [`Reply`] are sent as given.
//!
//! # Testing your code against the fake
//!
//! A test starts a fake, points a client at it, scripts what should go
//! wrong and inspects what was sent. Here the checkout fails once with 503,
//! and the client's retry sends the same request ID:
//!
//! ```
//! use partner_center_cart::fake::{FakePartnerCenter, Reply};
//! use partner_center_cart::{BillingCycle, CartLineItem, Client, CreateCartOptions, NewCart};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakePartnerCenter::start()?;
//! fake.push_reply(Reply::fault(503, 900_192, "Try again later.").on("POST", "/v1/customers/*/carts/*/checkout"));
//! let client = Client::builder(|| Ok::<_, std::io::Error>("test-token"))
//!     .base_url(fake.base_url())
//!     .build()?;
//! let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
//! let item = CartLineItem::new("CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", 5, BillingCycle::Monthly).term_duration("P1M");
//! let cart = client.create_cart(customer, &NewCart::new().line_item(item), &CreateCartOptions::new())?;
//! client.checkout(customer, &cart)?;
//!
//! let checkouts: Vec<_> = fake.requests().into_iter().filter(|r| r.path.ends_with("/checkout")).collect();
//! assert_eq!(checkouts.len(), 2);
//! assert_eq!(checkouts[0].header("ms-requestid"), checkouts[1].header("ms-requestid"));
//! # Ok(())
//! # }
//! ```
//!
//! To run a whole tool through its exit codes without writing a server,
//! the `fake_server` example serves this fake until stopped, with a switch
//! for each injected failure, and prints the variables that point a tool at
//! it (see `examples/README.md`).
//!
//! Aimed replies and injected failures let a test drive a whole tool through
//! each of its outcomes:
//!
//! ```
//! use partner_center_cart::fake::{FakePartnerCenter, Reply};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakePartnerCenter::start()?;
//! // Only checkouts fail: five times with 503, more than the client retries.
//! fake.push_replies(
//!     std::iter::repeat_n(Reply::fault(503, 900_192, "Transient failure; try again later."), 5)
//!         .map(|reply| reply.on("POST", "/v1/customers/*/carts/*/checkout")),
//! );
//! // Orders with this catalog item end cancelled instead of completed.
//! fake.cancel_orders_with("CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ");
//! # Ok(())
//! # }
//! ```
//!
//! ```
//! use partner_center_cart::{Client, fake::{FakePartnerCenter, Reply}};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakePartnerCenter::start()?;
//! fake.push_reply(Reply::status(201).body(r#"{"orders": [], "orderErrors": []}"#));
//!
//! let client = Client::builder(|| Ok::<_, std::io::Error>("test-token"))
//!     .base_url(fake.base_url())
//!     .build()?;
//! let result = client.checkout(
//!     "28045616-f6b9-462f-9701-0d89b5e65c44",
//!     "3655b1a0-b1c9-4268-9824-577fdbc4d0be",
//! )?;
//! assert!(result.orders.is_empty());
//! assert_eq!(fake.requests()[0].header("authorization"), Some("Bearer test-token"));
//! # Ok(())
//! # }
//! ```

mod catalog;
mod http;
mod store;
mod throttle;
mod token;

pub use token::{FAKE_APP_ID, FAKE_TENANT_ID, FAKE_USER, FakeToken};

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde::Serialize;

use crate::ids::CartId;
use crate::model::{Cart, CartError, Order};

/// A fake Partner Center serving on a loopback port.
pub struct FakePartnerCenter {
    base_url: String,
    address: SocketAddr,
    state: Arc<State>,
    server: Arc<http::Server>,
    accept: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakePartnerCenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakePartnerCenter")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl FakePartnerCenter {
    /// Starts a fake on a free port of `127.0.0.1`, with the default
    /// limits of [`FakeBuilder`].
    ///
    /// # Errors
    ///
    /// The I/O error when no loopback port can be bound.
    pub fn start() -> io::Result<Self> {
        FakePartnerCenter::builder().start()
    }

    /// A builder, to set the fake's limits before starting it.
    pub fn builder() -> FakeBuilder {
        FakeBuilder::default()
    }

    /// The base URL to give a client, such as `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Queues a reply. A request takes the first queued reply that is for
    /// it: one for any request, or one aimed at its method and path with
    /// [`Reply::on`]. Requests that find none get the built-in behaviour.
    pub fn push_reply(&self, reply: Reply) {
        self.state.lock().replies.push_back(reply);
    }

    /// Queues several replies, in order.
    pub fn push_replies(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().replies.extend(replies);
    }

    /// How many queued replies are still waiting for a request.
    pub fn pending_replies(&self) -> usize {
        self.state.lock().replies.len()
    }

    /// Every request received so far, oldest first, within the limits of
    /// [`FakeBuilder::max_recorded_requests`] and
    /// [`FakeBuilder::max_recorded_body_bytes`].
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().requests.iter().cloned().collect()
    }

    /// How many requests the rate limit ([`FakeBuilder::rate_limit`]) has
    /// answered 429 so far, counted whether or not they are still
    /// recorded.
    pub fn throttled_requests(&self) -> u64 {
        self.state.lock().throttled
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        let mut inner = self.state.lock();
        inner.requests.clear();
        inner.body_bytes = 0;
    }

    /// Makes every line item of this catalog item, in carts created or
    /// updated from now on, carry `error`, as the service does for items it
    /// rejects. Checking out such a cart fails with code 800009.
    pub fn inject_line_item_error(&self, catalog_item_id: impl Into<String>, error: CartError) {
        self.state
            .lock()
            .store
            .inject_line_item_error(catalog_item_id.into(), error);
    }

    /// Makes checkout fail the order group holding this catalog item: the
    /// group lands in `orderErrors` with this code and description, while
    /// the other groups become orders.
    pub fn inject_order_error(
        &self,
        catalog_item_id: impl Into<String>,
        code: i64,
        description: impl Into<String>,
    ) {
        self.state.lock().store.inject_order_error(
            catalog_item_id.into(),
            code,
            description.into(),
        );
    }

    /// Makes checkout of a cart holding this catalog item answer HTTP 200
    /// with a fault body instead of a result, as the service does with code
    /// 400072 ("the item is unavailable"). Nothing is ordered.
    pub fn inject_success_fault(
        &self,
        catalog_item_id: impl Into<String>,
        code: i64,
        description: impl Into<String>,
    ) {
        self.state.lock().store.inject_success_fault(
            catalog_item_id.into(),
            code,
            description.into(),
        );
    }

    /// Sets how many reads of a pending order it takes before it completes
    /// and its line items get subscription IDs (2 by default; `u32::MAX`
    /// for never; 0 for orders that checkout already returns completed).
    pub fn set_polls_until_complete(&self, polls: u32) {
        self.state.lock().store.polls_until_complete = polls;
    }

    /// Makes the orders holding this catalog item end `cancelled` instead
    /// of `completed` (after the same number of reads), with no
    /// subscriptions, as when the service gives up on provisioning them.
    pub fn cancel_orders_with(&self, catalog_item_id: impl Into<String>) {
        self.state
            .lock()
            .store
            .cancel_orders_with(catalog_item_id.into());
    }

    /// Makes the next `count` checkouts go through (orders made, cart
    /// ordered) while their answer arrives cut short, so that the client
    /// cannot decode it: the lost answer that
    /// [`Error::should_repeat`](crate::Error::should_repeat) is for.
    /// Checking out the same cart again returns the first result, as the
    /// service does.
    pub fn cut_checkout_answers(&self, count: u32) {
        self.state.lock().store.cut_checkout_answers = count;
    }

    /// Makes every checkout from now on take effect at once (orders made,
    /// cart ordered) and answer only after `delay`: the window in which a
    /// tool killed has bought without knowing it. Replayed checkouts are
    /// delayed too.
    pub fn delay_checkout_answers(&self, delay: Duration) {
        self.state.lock().store.checkout_answer_delay = Some(delay);
    }

    /// Makes the next `count` cart creations take effect while their
    /// connection closes without an answer. A repeat with the same
    /// `MS-RequestId` returns the cart made; one with a new ID makes
    /// another.
    pub fn lose_create_answers(&self, count: u32) {
        self.state.lock().store.lost_create_answers = count;
    }

    /// Makes a checkout of a cart already checked out fail with HTTP 400
    /// and code 800065 ("this cart has already been checked out"), as
    /// older versions of the service did, instead of replaying the first
    /// result.
    pub fn refuse_repeated_checkouts(&self) {
        self.state.lock().store.refuse_repeated_checkouts = true;
    }

    /// Keeps each new order out of the customer's order lists for `lag`
    /// after it is made, as Partner Center's lists lag by up to 15 minutes.
    /// The order can be read by its ID at once.
    pub fn delay_order_lists(&self, lag: Duration) {
        self.state.lock().store.order_list_lag = lag;
    }

    /// Makes the next `count` checkouts take effect (orders made, cart
    /// ordered) while answering HTTP 409 "in progress", as Partner Center
    /// does while it is still working on an order: code 800060 ("your order
    /// is in progress") the first time for a cart, 800064 ("the cart is
    /// being processed by another request") for its repeats. Checking the
    /// same cart out again after them returns the orders made. A checkout
    /// that fails (an unknown cart, items in error) is answered as ever.
    pub fn checkouts_in_progress(&self, count: u32) {
        self.state.lock().store.checkouts_in_progress = count;
    }

    /// Makes the fake refuse, as Partner Center does since April 2026, every
    /// app+user JWT whose `amr` claim lacks `mfa`: HTTP 401 with code
    /// 900421. App-only tokens and opaque test tokens are taken as before.
    /// Mint such a token with [`FakeToken::without_mfa`].
    pub fn require_mfa(&self) {
        self.state.lock().store.require_mfa = true;
    }

    /// Gives every availability in the fake's catalog a new ID, as Partner
    /// Center does from time to time. Carts created from now on with an old
    /// catalog item ID get a line item error with code 400019
    /// (availability not found); looking the availability up again gives
    /// the new ID.
    pub fn rotate_availability_ids(&self) {
        self.state.lock().store.catalog.rotate_availability_ids();
    }

    /// Sets how many items a page of a collection holds (100 by default;
    /// at least 1). Longer collections carry a next link with an
    /// `MS-ContinuationToken` header, which the next request must send back.
    pub fn set_page_size(&self, items: usize) {
        self.state.lock().store.page_size = items.max(1);
    }

    /// A cart the fake keeps, as it stands now.
    pub fn cart(&self, customer_id: &str, cart_id: CartId) -> Option<Cart> {
        self.state.lock().store.cart(customer_id, cart_id)
    }

    /// Every cart the fake keeps for a customer, as it stands now.
    pub fn carts(&self, customer_id: &str) -> Vec<Cart> {
        self.state.lock().store.carts(customer_id)
    }

    /// Every order the fake has made, as it stands now.
    pub fn orders(&self) -> Vec<Order> {
        self.state.lock().store.orders()
    }
}

/// Ends every thread the fake started: the connections are shut down, so
/// that a thread blocked reading a request, writing to a client that does
/// not read, or waiting out a [`Reply::delay`] returns at once, and each is
/// joined.
impl Drop for FakePartnerCenter {
    fn drop(&mut self) {
        let connections = self.server.stop();
        if let Some(accept) = self.accept.take() {
            // The accept loop may be blocked in `accept`: a connection wakes
            // it to see the stop. Should none be possible (no descriptor is
            // left), the loop is pausing after failed accepts and sees the
            // stop anyway; one that is neither is left rather than waited
            // for without end.
            let _ = TcpStream::connect_timeout(&self.address, WAKE_TIMEOUT);
            let waited = std::time::Instant::now();
            while !accept.is_finished() && waited.elapsed() < WAKE_TIMEOUT {
                thread::sleep(Duration::from_millis(1));
            }
            if accept.is_finished() {
                let _ = accept.join();
            }
        }
        for connection in connections {
            let _ = connection.join();
        }
    }
}

/// How long dropping a fake waits for its accept loop to wake.
const WAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// Starts a [`FakePartnerCenter`] with limits other than the defaults.
///
/// ```
/// use std::time::Duration;
/// use partner_center_cart::fake::FakePartnerCenter;
///
/// # fn main() -> std::io::Result<()> {
/// let fake = FakePartnerCenter::builder()
///     .max_connections(8)
///     .write_timeout(Duration::from_secs(5))
///     .max_recorded_body_bytes(1024 * 1024)
///     .start()?;
/// # let _ = fake;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FakeBuilder {
    limits: http::Limits,
    recording: Recording,
    checkouts_in_progress: u32,
    require_mfa: bool,
    rate_limit: Option<u32>,
    answer_delay: Duration,
}

impl Default for FakeBuilder {
    /// 64 connections at once, 30-second writes, and the last 10,000
    /// requests with at most 64 MiB of bodies recorded.
    fn default() -> Self {
        FakeBuilder {
            limits: http::Limits {
                max_connections: 64,
                write_timeout: Duration::from_secs(30),
            },
            recording: Recording {
                max_requests: 10_000,
                max_body_bytes: 64 * 1024 * 1024,
            },
            checkouts_in_progress: 0,
            require_mfa: false,
            rate_limit: None,
            answer_delay: Duration::ZERO,
        }
    }
}

impl FakeBuilder {
    /// Sets how many connections the fake serves at once (at least 1; 64
    /// by default). Each costs a thread and two file descriptors. A client
    /// that connects beyond it waits until another connection closes
    /// (after its client closes it, or 30 seconds idle).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.limits.max_connections = connections.max(1);
        self
    }

    /// Sets how long one write of a reply may wait on a client that does
    /// not read before the fake gives up on the connection (30 seconds by
    /// default; at least a millisecond).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.limits.write_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets how many requests [`FakePartnerCenter::requests`] keeps, the
    /// latest (at least 1; 10,000 by default). Older ones are forgotten.
    pub fn max_recorded_requests(mut self, requests: usize) -> Self {
        self.recording.max_requests = requests.max(1);
        self
    }

    /// Sets how many bytes of request bodies the recorded requests may hold
    /// (64 MiB by default). When a request takes them over, the oldest
    /// requests are forgotten; the latest one is kept whatever its size
    /// (a request body is at most 16 MiB).
    pub fn max_recorded_body_bytes(mut self, bytes: usize) -> Self {
        self.recording.max_body_bytes = bytes;
        self
    }

    /// Starts the fake with its first `count` checkouts answered 409 "in
    /// progress" while they take effect (see
    /// [`FakePartnerCenter::checkouts_in_progress`]).
    pub fn checkouts_in_progress(mut self, count: u32) -> Self {
        self.checkouts_in_progress = count;
        self
    }

    /// Starts the fake refusing app+user tokens without the MFA claim with
    /// 401 and code 900421 (see [`FakePartnerCenter::require_mfa`]).
    pub fn require_mfa(mut self) -> Self {
        self.require_mfa = true;
        self
    }

    /// Throttles as Partner Center does: at most `per_second` requests are
    /// taken in any one second, counted strictly over the last second, and
    /// every request beyond them is answered 429 with `Retry-After: 1` and
    /// the service's throttling body, before anything else looks at it
    /// (a scripted reply stays queued). A throttled request does not count
    /// against the rate. 0 answers every request 429. By default nothing
    /// is throttled. See [`FakePartnerCenter::throttled_requests`] and
    /// [`RecordedRequest::throttled`].
    pub fn rate_limit(mut self, per_second: u32) -> Self {
        self.rate_limit = Some(per_second);
        self
    }

    /// Makes every answer take `delay` (added to a scripted
    /// [`Reply::delay`]), as a service far away does. The connection's
    /// thread waits it out; other connections are served meanwhile.
    pub fn answer_delay(mut self, delay: Duration) -> Self {
        self.answer_delay = delay;
        self
    }

    /// Starts the fake on a free port of `127.0.0.1`.
    ///
    /// # Errors
    ///
    /// The I/O error when no loopback port can be bound or no thread
    /// started.
    pub fn start(self) -> io::Result<FakePartnerCenter> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let mut inner = Inner::default();
        inner.store.checkouts_in_progress = self.checkouts_in_progress;
        inner.store.require_mfa = self.require_mfa;
        inner.limiter = self.rate_limit.map(throttle::Limiter::new);
        inner.answer_delay = self.answer_delay;
        let state = Arc::new(State {
            recording: self.recording,
            inner: Mutex::new(inner),
        });
        let server = Arc::new(http::Server::new(self.limits));
        let accept = {
            let handler: Arc<dyn http::Handler> = state.clone();
            let server = Arc::clone(&server);
            thread::Builder::new()
                .name("fake-partner-center".into())
                .spawn(move || http::serve(listener, handler, server))?
        };
        Ok(FakePartnerCenter {
            base_url: format!("http://{address}"),
            address,
            state,
            server,
            accept: Some(accept),
        })
    }
}

/// How many requests, and bytes of their bodies, the fake keeps.
#[derive(Debug, Clone, Copy)]
struct Recording {
    max_requests: usize,
    max_body_bytes: usize,
}

/// What the fake keeps between requests.
struct State {
    recording: Recording,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    replies: VecDeque<Reply>,
    requests: VecDeque<RecordedRequest>,
    /// The bytes of the bodies in `requests`.
    body_bytes: usize,
    store: store::Store,
    /// The rate limit, if set.
    limiter: Option<throttle::Limiter>,
    /// Requests answered 429 by the rate limit.
    throttled: u64,
    /// How long every answer takes.
    answer_delay: Duration,
}

impl Inner {
    /// Records a request, forgetting the oldest ones beyond the limits.
    fn record(&mut self, request: &RecordedRequest, limits: Recording) {
        self.body_bytes += request.body.len();
        self.requests.push_back(request.clone());
        while self.requests.len() > limits.max_requests
            || (self.body_bytes > limits.max_body_bytes && self.requests.len() > 1)
        {
            if let Some(forgotten) = self.requests.pop_front() {
                self.body_bytes -= forgotten.body.len();
            }
        }
    }
}

impl State {
    /// Locks the state; a panic on another thread leaves it usable.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl http::Handler for State {
    fn handle(&self, request: &RecordedRequest) -> Reply {
        let mut inner = self.lock();
        let delay = inner.answer_delay;
        let reply = inner.answer(request, self.recording);
        if delay.is_zero() {
            return reply;
        }
        Reply {
            delay: Some(reply.delay.unwrap_or_default().saturating_add(delay)),
            ..reply
        }
    }
}

impl Inner {
    /// The reply to a request, before the answer delay.
    fn answer(&mut self, request: &RecordedRequest, recording: Recording) -> Reply {
        let inner = self;
        // The service throttles before it looks at the request.
        let throttled = inner
            .limiter
            .as_mut()
            .is_some_and(|limiter| !limiter.admit(request.received_at));
        if throttled {
            inner.throttled = inner.throttled.saturating_add(1);
            let recorded = RecordedRequest {
                throttled: true,
                ..request.clone()
            };
            inner.record(&recorded, recording);
            return Reply::throttled(1);
        }
        inner.record(request, recording);
        // What the service refuses before looking at the request is refused
        // here before any scripted reply, so that a script cannot hide it.
        if let Some(refusal) = store::refuse_media_type(request) {
            return refusal;
        }
        let scripted = inner
            .replies
            .iter()
            .position(|reply| {
                reply
                    .target
                    .as_ref()
                    .is_none_or(|target| target.matches(request))
            })
            .and_then(|index| inner.replies.remove(index));
        match scripted {
            Some(script) if script.built_in => {
                let answer = inner.store.route(request);
                Reply {
                    delay: script.delay,
                    close_after: script.close_after,
                    drop_connection: script.drop_connection,
                    ..answer
                }
            }
            Some(reply) => reply,
            None => inner.store.route(request),
        }
    }
}

/// A request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method, such as `POST`.
    pub method: String,
    /// The path and query, such as `/v1/customers/{c}/carts/{k}/checkout`.
    pub path: String,
    /// The headers, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Which connection it came on, numbered from 1 in the order accepted.
    pub connection: u64,
    /// When it was read.
    pub received_at: std::time::Instant,
    /// Whether the rate limit ([`FakeBuilder::rate_limit`]) answered it
    /// 429: then nothing else looked at it.
    pub throttled: bool,
}

impl RecordedRequest {
    /// The first header of this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A scripted reply.
#[derive(Clone)]
pub struct Reply {
    target: Option<Target>,
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    delay: Option<Duration>,
    close_after: bool,
    drop_connection: bool,
    /// Answer as the built-in behaviour would, with this reply's delay and
    /// connection handling.
    built_in: bool,
}

#[derive(Clone)]
enum Body {
    Bytes(Vec<u8>),
    Repeated { byte: u8, len: u64, chunked: bool },
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body_len = match &self.body {
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::Repeated { len, .. } => *len,
        };
        f.debug_struct("Reply")
            .field("target", &self.target)
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &body_len)
            .field("delay", &self.delay)
            .field("drop_connection", &self.drop_connection)
            .field("built_in", &self.built_in)
            .finish()
    }
}

impl Reply {
    /// A reply with this status and no body.
    pub fn status(status: u16) -> Self {
        Reply {
            target: None,
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            delay: None,
            close_after: false,
            drop_connection: false,
            built_in: false,
        }
    }

    /// The fake's built-in answer, as if nothing were scripted: the request
    /// takes effect. With [`delay`](Self::delay) or
    /// [`drop_connection`](Self::then_drop_connection) it makes the outcome
    /// unknown to the client: the service acted, but the client timed out
    /// or lost the answer.
    pub fn built_in() -> Self {
        Reply {
            built_in: true,
            ..Reply::status(0)
        }
    }

    /// Closes the connection without answering, after the request took
    /// effect if this is [`built_in`](Self::built_in).
    pub fn then_drop_connection(mut self) -> Self {
        self.drop_connection = true;
        self
    }

    /// A reply whose body is `value` as JSON.
    pub fn json(status: u16, value: &impl Serialize) -> Self {
        // Serializing plain data to a vector cannot fail; an empty body would
        // show up in the test that made the mistake.
        Reply::status(status).body(serde_json::to_vec(value).unwrap_or_default())
    }

    /// The documented error body with this status, code and description.
    pub fn fault(status: u16, code: i64, description: &str) -> Self {
        Reply::json(
            status,
            &serde_json::json!({
                "code": code,
                "description": description,
                "data": [],
                "source": "PartnerFD",
            }),
        )
    }

    /// A throttling reply: 429 with `Retry-After` and the throttling body.
    pub fn throttled(retry_after_secs: u64) -> Self {
        Reply::json(
            429,
            &serde_json::json!({
                "statusCode": 429,
                "message": format!("Rate limit is exceeded. Try again in {retry_after_secs} seconds."),
            }),
        )
        .header("Retry-After", retry_after_secs.to_string())
    }

    /// A reply that closes the connection without answering.
    pub fn drop_connection() -> Self {
        Reply {
            drop_connection: true,
            ..Reply::status(0)
        }
    }

    /// A reply with a body of `len` copies of `byte`, written in pieces so
    /// that even a huge one costs the fake no memory.
    pub fn streamed(status: u16, byte: u8, len: u64) -> Self {
        Reply {
            body: Body::Repeated {
                byte,
                len,
                chunked: false,
            },
            ..Reply::status(status)
        }
    }

    /// Sends a streamed body with chunked transfer encoding, so that no
    /// length is declared up front.
    pub fn chunked(mut self) -> Self {
        if let Body::Repeated { chunked, .. } = &mut self.body {
            *chunked = true;
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Bytes(body.into());
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the `Date` header to this time instead of now, to play a server
    /// whose clock differs from the client's.
    pub fn date(self, at: std::time::SystemTime) -> Self {
        self.header("Date", http::http_date(at))
    }

    /// Waits this long before answering, to make a client time out.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Closes the connection after this reply, saying so with
    /// `Connection: close`.
    pub fn close(mut self) -> Self {
        self.close_after = true;
        self
    }

    /// Aims the reply at requests with this method and path, so that other
    /// requests pass it by. In `path`, a `*` segment matches any one segment,
    /// and the query is not compared:
    /// `Reply::status(503).on("POST", "/v1/customers/*/carts/*/checkout")`.
    pub fn on(mut self, method: impl Into<String>, path: impl Into<String>) -> Self {
        self.target = Some(Target {
            method: method.into(),
            path: path.into(),
        });
        self
    }
}

/// The requests an aimed reply is for.
#[derive(Debug, Clone)]
struct Target {
    method: String,
    path: String,
}

impl Target {
    fn matches(&self, request: &RecordedRequest) -> bool {
        let path = request.path.split('?').next().unwrap_or_default();
        let mut wanted = self.path.trim_matches('/').split('/');
        let mut got = path.trim_matches('/').split('/');
        self.method.eq_ignore_ascii_case(&request.method)
            && loop {
                match (wanted.next(), got.next()) {
                    (None, None) => break true,
                    (Some(w), Some(g)) if w == "*" || w.eq_ignore_ascii_case(g) => {}
                    _ => break false,
                }
            }
    }
}
