//! The client and its calls.

use std::fmt;
use std::sync::Arc;

use uuid::Uuid;

use crate::auth::TokenProvider;
use crate::config::ClientBuilder;
use crate::error::Error;
use crate::ids::{CartId, CustomerId, IntoId};
use crate::model::CartCheckoutResult;
use crate::transport::{ApiRequest, Method, Transport};

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

    pub(crate) fn from_transport(transport: Transport) -> Client {
        Client {
            transport: Arc::new(transport),
        }
    }

    /// The base URL the client sends to.
    pub fn base_url(&self) -> &str {
        &self.transport.settings().base_url
    }

    /// Checks out a cart: turns it into orders, one per order group.
    ///
    /// The call gets a new request ID, which every retry reuses. When it
    /// fails, [`Error::request_id`] gives that ID; pass it to
    /// [`checkout_with_request_id`](Self::checkout_with_request_id) to try
    /// again without the risk of a second purchase.
    ///
    /// A result with [`order_errors`](CartCheckoutResult::order_errors) is
    /// still `Ok`: some order groups went through and some did not.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidId`] when an ID is not a GUID; nothing is sent.
    /// - [`Error::Service`] when Partner Center refuses the checkout, or
    ///   [`Error::Transport`] when it cannot be reached, after the retries
    ///   the policy allows; [`Error::RetryAfterTooLong`] when it asks for a
    ///   longer wait than the policy allows.
    /// - [`Error::Token`] when the token provider fails.
    /// - [`Error::Decode`] or [`Error::ResponseTooLarge`] when the success
    ///   response cannot be read. The checkout may have gone through: repeat
    ///   it with the same request ID to get its result.
    pub fn checkout(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart_id: impl IntoId<CartId>,
    ) -> Result<CartCheckoutResult, Error> {
        self.checkout_with_request_id(customer_id, cart_id, Uuid::new_v4())
    }

    /// Checks out a cart with a request ID of the caller's: the way to repeat
    /// a checkout whose outcome is unknown (a crash, a timeout, an error
    /// after the service answered) without buying twice. Partner Center
    /// treats calls with the same request ID as one.
    ///
    /// # Errors
    ///
    /// As [`checkout`](Self::checkout).
    pub fn checkout_with_request_id(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart_id: impl IntoId<CartId>,
        request_id: Uuid,
    ) -> Result<CartCheckoutResult, Error> {
        let customer_id = customer_id.into_id()?;
        let cart_id = cart_id.into_id()?;
        let path = format!("/v1/customers/{customer_id}/carts/{cart_id}/checkout");
        self.transport
            .send_json(&ApiRequest::new(Method::Post, path, request_id))
    }
}
