//! The client and its calls.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::auth::TokenProvider;
use crate::config::ClientBuilder;
use crate::error::Error;
use crate::ids::{CartId, CustomerId, IntoId, OrderId};
use crate::model::{
    Cart, CartCheckoutResult, Collection, NewCart, Order, OrderLineItemProvisioningStatus,
};
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
    /// Checking out a cart that is already ordered returns the first
    /// checkout's result again, the same orders, and buys nothing: Partner
    /// Center's checkout is idempotent per cart. (Older versions of the
    /// service answered 400 with code 800065 instead; then
    /// [`list_orders`](Self::list_orders) finds the orders.)
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

    /// Checks out a cart that was read or updated before, after checking that
    /// none of its line items is in error.
    ///
    /// # Errors
    ///
    /// [`Error::CartHasErrors`], listing every line item in error, or
    /// [`Error::InvalidId`] when the cart has no ID; nothing is sent in
    /// either case. Otherwise as [`checkout`](Self::checkout).
    pub fn checkout_cart(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart: &Cart,
    ) -> Result<CartCheckoutResult, Error> {
        if cart.has_errors() {
            return Err(Error::CartHasErrors {
                cart_id: cart.id,
                errors: cart.line_item_errors(),
            });
        }
        let cart_id = cart.id.ok_or(Error::InvalidId {
            kind: "cart ID",
            value: String::new(),
            reason: "the cart has none; create it first",
        })?;
        self.checkout(customer_id, cart_id)
    }

    /// Creates a cart for a customer.
    ///
    /// Creating a cart is a POST, so the service could create it twice if a
    /// request were repeated with a new ID; every retry of this call sends
    /// the same request ID, which the service uses to recognise the repeat.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID; otherwise as
    /// [`checkout`](Self::checkout). A cart whose items the service rejects
    /// is still created: look at [`Cart::line_item_errors`].
    pub fn create_cart(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart: &NewCart,
    ) -> Result<Cart, Error> {
        self.create_cart_with_request_id(customer_id, cart, Uuid::new_v4())
    }

    /// Creates a cart with a request ID of the caller's, to repeat a creation
    /// whose outcome is unknown without making a second cart.
    ///
    /// # Errors
    ///
    /// As [`create_cart`](Self::create_cart).
    pub fn create_cart_with_request_id(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart: &NewCart,
        request_id: Uuid,
    ) -> Result<Cart, Error> {
        let customer_id = customer_id.into_id()?;
        let path = format!("/v1/customers/{customer_id}/carts");
        self.transport
            .send_json(&ApiRequest::new(Method::Post, path, request_id).json(cart)?)
    }

    /// Reads a cart.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when an ID is not a GUID; otherwise as
    /// [`checkout`](Self::checkout). An unknown or expired cart gives
    /// [`Error::Service`] with status 404.
    pub fn get_cart(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart_id: impl IntoId<CartId>,
    ) -> Result<Cart, Error> {
        let customer_id = customer_id.into_id()?;
        let cart_id = cart_id.into_id()?;
        let path = format!("/v1/customers/{customer_id}/carts/{cart_id}");
        self.get(path)
    }

    /// Replaces a cart's contents with `cart`: read it with
    /// [`get_cart`](Self::get_cart), change its line items, and send it back.
    ///
    /// # Errors
    ///
    /// As [`get_cart`](Self::get_cart).
    pub fn update_cart(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart_id: impl IntoId<CartId>,
        cart: &Cart,
    ) -> Result<Cart, Error> {
        let customer_id = customer_id.into_id()?;
        let cart_id = cart_id.into_id()?;
        let path = format!("/v1/customers/{customer_id}/carts/{cart_id}");
        self.transport
            .send_json(&ApiRequest::new(Method::Put, path, Uuid::new_v4()).json(cart)?)
    }

    /// Reads an order.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID or the order
    /// ID is not path-safe; otherwise as [`checkout`](Self::checkout).
    pub fn get_order(
        &self,
        customer_id: impl IntoId<CustomerId>,
        order_id: impl IntoId<OrderId>,
    ) -> Result<Order, Error> {
        let customer_id = customer_id.into_id()?;
        let order_id = order_id.into_id()?;
        let path = format!("/v1/customers/{customer_id}/orders/{order_id}");
        self.get(path)
    }

    /// Lists a customer's orders: the way to find the orders of a cart that
    /// was already checked out (service code 800065).
    ///
    /// # Errors
    ///
    /// As [`get_cart`](Self::get_cart).
    pub fn list_orders(&self, customer_id: impl IntoId<CustomerId>) -> Result<Vec<Order>, Error> {
        let customer_id = customer_id.into_id()?;
        let path = format!("/v1/customers/{customer_id}/orders");
        let orders: Collection<Order> = self.get(path)?;
        Ok(orders.items)
    }

    /// Reads where the provisioning of each line of an order stands. Partner
    /// Center serves this only to app+user tokens.
    ///
    /// # Errors
    ///
    /// As [`get_order`](Self::get_order).
    pub fn get_order_provisioning_status(
        &self,
        customer_id: impl IntoId<CustomerId>,
        order_id: impl IntoId<OrderId>,
    ) -> Result<Vec<OrderLineItemProvisioningStatus>, Error> {
        let customer_id = customer_id.into_id()?;
        let order_id = order_id.into_id()?;
        let path = format!("/v1/customers/{customer_id}/orders/{order_id}/provisioningstatus");
        let statuses: Collection<OrderLineItemProvisioningStatus> = self.get(path)?;
        Ok(statuses.items)
    }

    /// Reads a resource. A GET changes nothing, so its retries are safe
    /// whatever the service makes of the request ID.
    fn get<T: DeserializeOwned>(&self, path: String) -> Result<T, Error> {
        self.transport
            .send_json(&ApiRequest::new(Method::Get, path, Uuid::new_v4()))
    }
}
