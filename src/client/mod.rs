//! The client and its calls.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use uuid::Uuid;

pub(crate) mod builder;
mod carts;
mod catalog;
mod orders;
mod wait;

pub use builder::ClientBuilder;
pub use carts::{CheckoutCart, CheckoutOptions, CreateCartOptions};
pub use catalog::CatalogOptions;
pub use orders::OrderOptions;
pub use wait::{WaitOptions, WaitProgress};

use crate::error::Error;
use crate::token::TokenProvider;
use crate::transport::{ApiRequest, Method, ServerTime, Throttling, Transport};

/// A blocking Partner Center client.
///
/// Cloning is cheap: clones share one connection pool and one token
/// provider, so a client can be handed to many threads. Sequential calls
/// reuse one connection.
///
/// ```no_run
/// use partner_center_cart::Client;
///
/// # fn main() -> Result<(), partner_center_cart::Error> {
/// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
/// let result = client.checkout(
///     "28045616-f6b9-462f-9701-0d89b5e65c44",
///     "3655b1a0-b1c9-4268-9824-577fdbc4d0be",
/// )?;
/// for order in &result.orders {
///     println!("order {} is {:?}", order.id, order.status);
/// }
/// # Ok(())
/// # }
/// ```
///
/// Its methods, by resource. A call that can be told more takes its
/// options as its last argument, `&…Options` with [`Default`] and a
/// builder method per option: [`CatalogOptions`], [`CreateCartOptions`],
/// [`CheckoutOptions`], [`OrderOptions`], [`WaitOptions`].
///
/// # Making one
///
/// [`new`](Self::new), [`builder`](Self::builder) (timeouts, retries, proxy,
/// limits: see [`ClientBuilder`]), [`from_env`](Self::from_env).
///
/// # Catalog
///
/// [`list_products`](Self::list_products), [`get_product`](Self::get_product),
/// [`list_skus`](Self::list_skus), [`get_sku`](Self::get_sku),
/// [`list_availabilities`](Self::list_availabilities),
/// [`get_availability`](Self::get_availability), and
/// [`availability_to_buy`](Self::availability_to_buy), which finds the one
/// to put in a cart. The lists take [`CatalogOptions`] (a segment, a
/// reservation scope).
///
/// # Carts and checkout
///
/// [`create_cart`](Self::create_cart) (with [`CreateCartOptions`]: a
/// request ID of the caller's), [`get_cart`](Self::get_cart),
/// [`update_cart`](Self::update_cart), [`checkout`](Self::checkout) and
/// [`checkout_with`](Self::checkout_with) (with [`CheckoutOptions`]: a
/// request ID of the caller's, the customer's user).
///
/// # Orders
///
/// [`get_order`](Self::get_order) and [`list_orders`](Self::list_orders)
/// (with [`OrderOptions`]: their prices, or not),
/// [`get_order_provisioning_status`](Self::get_order_provisioning_status).
///
/// # Waiting
///
/// [`wait_for_orders`](Self::wait_for_orders), paced and bounded by
/// [`WaitOptions`], until the orders a checkout placed are final.
///
/// # Diagnostics
///
/// [`base_url`](Self::base_url), [`proxy_url`](Self::proxy_url),
/// [`order_list_lag`](Self::order_list_lag),
/// [`tls_backend`](Self::tls_backend),
/// [`last_server_time`](Self::last_server_time) (the clock skew),
/// [`throttling`](Self::throttling) (429s and the pace they taught).
///
/// # One request budget
///
/// A client and its clones share one request budget, across threads: a 429
/// pauses every call of the client until its `Retry-After` has passed, and
/// the client then paces itself just under the rate the service allowed
/// (see [retries and idempotency](crate#retries-and-idempotency)).
#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

/// # Making one
impl Client {
    /// A client for the global cloud with the default settings, which asks
    /// `provider` for a token before every attempt.
    pub fn new(provider: impl TokenProvider + 'static) -> Client {
        ClientBuilder::new(Arc::new(provider)).build_default()
    }

    /// A builder for a client with other settings.
    pub fn builder(provider: impl TokenProvider + 'static) -> ClientBuilder {
        ClientBuilder::new(Arc::new(provider))
    }

    /// A client configured by environment variables: the token provider
    /// that [`auth::from_env`](crate::auth::from_env) picks, the cloud from
    /// `PARTNER_CENTER_CLOUD` (`global`, `usgov` or `china`; `global` when
    /// unset), and the base URL from `PARTNER_CENTER_BASE_URL` when it is
    /// set (such as the fake's, for a test run), over the cloud's, and the
    /// [order-list lag](ClientBuilder::order_list_lag) in seconds from
    /// `PARTNER_CENTER_ORDER_LIST_LAG_SECONDS` when it is set.
    ///
    /// ```no_run
    /// use partner_center_cart::Client;
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::from_env()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] when the variables name no usable credentials (its
    /// message says which to set) or an unknown cloud;
    /// [`Error::InvalidConfig`] when the base URL cannot be used, or the
    /// lag is not a whole number of seconds up to a day.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_lookup(&|name| std::env::var_os(name))?.build()
    }

    pub(crate) fn from_transport(transport: Transport) -> Client {
        Client {
            transport: Arc::new(transport),
        }
    }
}

/// # Diagnostics
impl Client {
    /// The base URL the client sends to.
    pub fn base_url(&self) -> &str {
        &self.transport.settings().base_url
    }

    /// The proxy the client's requests go through, as
    /// `scheme://host:port` with any credentials hidden, or `None` when they
    /// go direct (no proxy set or in the environment, a loopback base URL,
    /// or a base URL that `NO_PROXY` names).
    pub fn proxy_url(&self) -> Option<&str> {
        self.transport.settings().proxy_in_use.as_deref()
    }

    /// How long Partner Center may take to list a new order (see
    /// [`ClientBuilder::order_list_lag`]).
    pub fn order_list_lag(&self) -> Duration {
        self.transport.settings().order_list_lag
    }

    /// The TLS stack the client uses for `https`, in words, such as
    /// `"rustls, with the webpki root certificates"`.
    pub fn tls_backend(&self) -> &'static str {
        self.transport.tls_backend()
    }

    /// Partner Center's clock, from the `Date` header of the latest response
    /// to this client or a clone of it, success or failure; `None` before
    /// any response had one.
    ///
    /// ```no_run
    /// use partner_center_cart::{Client, OrderOptions};
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
    /// let _ = client.list_orders("28045616-f6b9-462f-9701-0d89b5e65c44", &OrderOptions::new());
    /// if let Some(time) = client.last_server_time() {
    ///     println!("this machine's clock is {}s ahead of Partner Center's", time.skew_secs());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn last_server_time(&self) -> Option<ServerTime> {
        self.transport.server_time()
    }

    /// How much this client and its clones are throttled now: requests
    /// sent, those answered 429, the rate learned from them, and whether
    /// every call waits out a `Retry-After` now. For progress lines.
    pub fn throttling(&self) -> Throttling {
        self.transport.throttling()
    }
}

/// The two reads the calls by resource share.
impl Client {
    /// Reads every page of a list.
    fn list<T: DeserializeOwned>(&self, path: String) -> Result<Vec<T>, Error> {
        self.transport
            .send_paged(ApiRequest::new(Method::Get, path, Uuid::new_v4()))
    }

    /// Reads a resource. A GET changes nothing, so its retries are safe
    /// whatever the service makes of the request ID.
    fn get<T: DeserializeOwned>(&self, path: String) -> Result<T, Error> {
        self.transport
            .send_json(&ApiRequest::new(Method::Get, path, Uuid::new_v4()))
    }
}
