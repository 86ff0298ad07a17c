//! The client and its calls.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use uuid::Uuid;

pub(crate) mod builder;
mod carts;
mod catalog;
mod orders;
mod wait;

pub use builder::ClientBuilder;
pub use carts::{CheckoutCart, CheckoutOptions};
pub use wait::{MAX_REQUESTS_PER_MINUTE, WaitOptions, WaitProgress};

use crate::error::Error;
use crate::token::TokenProvider;
use crate::transport::{ApiRequest, Method, ServerTime, Transport};

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
    /// set (such as the fake's, for a test run), over the cloud's.
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
    /// [`Error::InvalidConfig`] when the base URL cannot be used.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_lookup(&|name| std::env::var_os(name))?.build()
    }

    pub(crate) fn from_transport(transport: Transport) -> Client {
        Client {
            transport: Arc::new(transport),
        }
    }

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
    /// use partner_center_cart::Client;
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
    /// let _ = client.list_orders("28045616-f6b9-462f-9701-0d89b5e65c44");
    /// if let Some(time) = client.last_server_time() {
    ///     println!("this machine's clock is {}s ahead of Partner Center's", time.skew_secs());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn last_server_time(&self) -> Option<ServerTime> {
        self.transport.server_time()
    }

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
