//! The client and its calls.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::config::{ClientBuilder, check_header_text};
use crate::error::Error;
use crate::ids::{CartId, CustomerId, IntoId, OrderId, check_path_segment};
use crate::model::{
    Availability, Cart, CartCheckoutResult, CatalogFilter, NewCart, Order,
    OrderLineItemProvisioningStatus, Product, Segment, Sku, TargetView, encode_query_value,
};
use crate::options::{CheckoutCart, CheckoutOptions};
use crate::retry::Bounds;
use crate::token::TokenProvider;
use crate::transport::{ApiRequest, Method, ServerTime, Transport, Unsent};

/// The header that names the customer's user who gets the licences.
const CUSTOMER_USER_UPN: &str = "x-ms-customeruser-upn";

/// The query that asks for an order's total price.
const INCLUDE_PRICE: &str = "?include_price=true";

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

    /// Checks out a cart: turns it into orders, one per order group.
    ///
    /// `cart` is the cart's ID in any form [`IntoId`] takes, or a `&Cart`
    /// read or updated before, which is checked first: a cart with line
    /// items in error, or without an ID, is refused before anything is sent.
    ///
    /// Checkout is idempotent per cart ID: checking out the same cart again
    /// re-attempts it after a failure and returns the first result after a
    /// success, never a second purchase. So when a checkout fails with an
    /// outcome unknown ([`Error::should_repeat`], a crash), call it again for
    /// the same cart, best with the same request ID
    /// ([`checkout_with`](Self::checkout_with)).
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
    /// - [`Error::InvalidId`] when an ID is not a GUID or a `&Cart` has no
    ///   ID, and [`Error::CartHasErrors`], listing every line item in error,
    ///   for a `&Cart` with items in error; nothing is sent.
    /// - [`Error::Service`] when Partner Center refuses the checkout, or
    ///   [`Error::Transport`] when it cannot be reached, after the retries
    ///   the policy allows; [`Error::RetryAfterTooLong`] when it asks for a
    ///   longer wait than the policy allows.
    /// - [`Error::Token`] when the token provider fails.
    /// - [`Error::Decode`], [`Error::ResponseTooLarge`] or
    ///   [`Error::ResponseTooDense`] when the success response cannot be
    ///   read. The checkout may have gone through: repeat it on the same
    ///   cart to get its result (after raising the cap, for the last two).
    pub fn checkout(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart: impl CheckoutCart,
    ) -> Result<CartCheckoutResult, Error> {
        self.checkout_with(customer_id, cart, &CheckoutOptions::new())
    }

    /// Checks out a cart as [`checkout`](Self::checkout) does, with options:
    /// the request ID to send, chosen before the first send, and the
    /// customer's user to whom the licences are assigned
    /// (`x-ms-customeruser-upn`).
    ///
    /// A tool whose process may crash chooses the request ID first and
    /// stores it, then checks out; after a crash, or an error for which
    /// [`Error::should_repeat`] is true, it checks the same cart out again
    /// with the same ID, and gets the first result instead of a second
    /// purchase.
    ///
    /// ```no_run
    /// use partner_center_cart::{CheckoutOptions, Client, Uuid};
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::from_env()?;
    /// let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
    /// let cart = client.get_cart(customer, "3655b1a0-b1c9-4268-9824-577fdbc4d0be")?;
    /// let options = CheckoutOptions::new()
    ///     .request_id(Uuid::new_v4()) // store it first
    ///     .customer_user_upn("user@contoso.com");
    /// let result = match client.checkout_with(customer, &cart, &options) {
    ///     Err(error) if error.should_repeat() => client.checkout_with(customer, &cart, &options)?,
    ///     other => other?,
    /// };
    /// # let _ = result;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] when the UPN cannot go in a header (empty,
    /// over 256 bytes, or not visible ASCII); nothing is sent. Otherwise as
    /// [`checkout`](Self::checkout).
    pub fn checkout_with(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart: impl CheckoutCart,
        options: &CheckoutOptions,
    ) -> Result<CartCheckoutResult, Error> {
        let customer_id = customer_id.into_id()?;
        let cart_id = cart.into_checked_id()?;
        let path = format!("/v1/customers/{customer_id}/carts/{cart_id}/checkout");
        let mut request = match options.request_id {
            Some(chosen) => ApiRequest::new(Method::Post, path, chosen).keep_request_id(),
            None => ApiRequest::new(Method::Post, path, Uuid::new_v4()),
        };
        if let Some(upn) = &options.customer_user_upn {
            check_header_text("customer user UPN", upn)?;
            request = request.header(CUSTOMER_USER_UPN, upn)?;
        }
        self.transport.send_json(&request)
    }

    /// Creates a cart for a customer.
    ///
    /// Creating a cart is a POST, so the service could create it twice if a
    /// request were repeated with a new ID. Once an attempt's outcome is
    /// unknown (a timeout, a lost connection, a 5xx), every later attempt
    /// sends its request ID, by which the service recognises the repeat and
    /// returns the cart it made. After an error for which
    /// [`Error::should_repeat`] is true, pass [`Error::request_id`] to
    /// [`create_cart_with_request_id`](Self::create_cart_with_request_id).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID; otherwise as
    /// [`checkout`](Self::checkout). A cart whose items the service rejects
    /// is still created: look at [`Cart::line_item_errors`]. A success
    /// whose cart has no ID gives [`Error::Decode`], which
    /// [`should_repeat`](Error::should_repeat): its
    /// [`request_id`](Error::request_id) recovers the cart.
    pub fn create_cart(
        &self,
        customer_id: impl IntoId<CustomerId>,
        cart: &NewCart,
    ) -> Result<Cart, Error> {
        let request = ApiRequest::new(Method::Post, carts_path(customer_id)?, Uuid::new_v4());
        self.create(&request.json(cart)?)
    }

    /// Creates a cart with a request ID of the caller's, to repeat a creation
    /// whose outcome is unknown without making a second cart. Every attempt
    /// sends this ID, whatever the service answers.
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
        let request = ApiRequest::new(Method::Post, carts_path(customer_id)?, request_id);
        self.create(&request.keep_request_id().json(cart)?)
    }

    /// Sends a cart creation, and refuses a success whose cart has no ID.
    fn create(&self, request: &ApiRequest) -> Result<Cart, Error> {
        let reply = self.transport.send(request)?;
        let created: Cart = reply.decode()?;
        if created.id.is_none() {
            // The cart may exist: repeating the create with this request ID
            // returns it, so this is the error `should_repeat` says yes to.
            return Err(reply.undecodable("the created cart has no ID"));
        }
        Ok(created)
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
    /// Partner Center leaves [`Order::total_price`] out of this answer; use
    /// [`get_order_with_price`](Self::get_order_with_price) to get it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID or the order
    /// ID is not path-safe; [`Error::OrderMismatch`] when Partner Center
    /// answers with another order; otherwise as [`checkout`](Self::checkout).
    pub fn get_order(
        &self,
        customer_id: impl IntoId<CustomerId>,
        order_id: impl IntoId<OrderId>,
    ) -> Result<Order, Error> {
        self.get_order_with_query(customer_id, order_id, "")
    }

    /// Reads an order with its pre-tax [`total_price`](Order::total_price),
    /// which Partner Center sends only when asked (`?include_price=true`).
    ///
    /// # Errors
    ///
    /// As [`get_order`](Self::get_order).
    pub fn get_order_with_price(
        &self,
        customer_id: impl IntoId<CustomerId>,
        order_id: impl IntoId<OrderId>,
    ) -> Result<Order, Error> {
        self.get_order_with_query(customer_id, order_id, INCLUDE_PRICE)
    }

    fn get_order_with_query(
        &self,
        customer_id: impl IntoId<CustomerId>,
        order_id: impl IntoId<OrderId>,
        query: &str,
    ) -> Result<Order, Error> {
        let customer_id = customer_id.into_id()?;
        let order_id = order_id.into_id()?;
        self.read_order(customer_id, &order_id, query, Bounds::default())
            .map_err(Unsent::into_error)
    }

    /// Reads an order (with `query` after its path) within `bounds`, and checks that the reply is about
    /// that order: a reply about another one is [`Error::OrderMismatch`].
    pub(crate) fn read_order(
        &self,
        customer_id: CustomerId,
        order_id: &OrderId,
        query: &str,
        bounds: Bounds<'_>,
    ) -> Result<Order, Unsent> {
        let path = format!("/v1/customers/{customer_id}/orders/{order_id}{query}");
        let request = ApiRequest::new(Method::Get, path, Uuid::new_v4());
        let reply = self.transport.send_within(&request, bounds)?;
        let order: Order = reply.decode().map_err(Unsent::Failed)?;
        if order.id != *order_id {
            return Err(Unsent::Failed(Error::OrderMismatch {
                asked: order_id.clone(),
                answered: order.id,
                call: reply.call,
            }));
        }
        Ok(order)
    }

    /// Lists a customer's orders: the way to find the orders of a cart that
    /// was already checked out (service code 800065). Every page is read.
    /// Their [`total_price`](Order::total_price) is left out; use
    /// [`list_orders_with_price`](Self::list_orders_with_price) to get it.
    ///
    /// # Errors
    ///
    /// As [`get_cart`](Self::get_cart), and [`Error::BadNextLink`] when a
    /// next-page link leads away from the base URL, back to a page already
    /// read, or past the page limit; [`Error::ListTooLarge`] past the
    /// list's budget, and [`Error::ListTimedOut`] past its timeout (see
    /// [`ClientBuilder::max_list_bytes`] and [`ClientBuilder::list_timeout`]).
    pub fn list_orders(&self, customer_id: impl IntoId<CustomerId>) -> Result<Vec<Order>, Error> {
        self.read_orders(customer_id, "")
    }

    /// Lists a customer's orders with their pre-tax
    /// [`total_price`](Order::total_price) (`?include_price=true`).
    ///
    /// # Errors
    ///
    /// As [`list_orders`](Self::list_orders).
    pub fn list_orders_with_price(
        &self,
        customer_id: impl IntoId<CustomerId>,
    ) -> Result<Vec<Order>, Error> {
        self.read_orders(customer_id, INCLUDE_PRICE)
    }

    fn read_orders(
        &self,
        customer_id: impl IntoId<CustomerId>,
        query: &str,
    ) -> Result<Vec<Order>, Error> {
        let customer_id = customer_id.into_id()?;
        let path = format!("/v1/customers/{customer_id}/orders{query}");
        self.list(path)
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
        self.list(path)
    }

    /// Lists the products a customer may buy in one view of the catalog:
    /// `GET /v1/customers/{c}/products?targetView={view}`. New-commerce
    /// licences are in [`TargetView::OnlineServices`]. Every page is read.
    ///
    /// ```no_run
    /// use partner_center_cart::Client;
    /// use partner_center_cart::model::TargetView;
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
    /// let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
    /// for product in client.list_products(customer, TargetView::OnlineServices)? {
    ///     println!("{} {}", product.id, product.title.as_deref().unwrap_or("-"));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID; otherwise as
    /// [`list_orders`](Self::list_orders). A view the partner may not use
    /// gives [`Error::Service`] with status 403 (code 400036).
    pub fn list_products(
        &self,
        customer_id: impl IntoId<CustomerId>,
        view: TargetView,
    ) -> Result<Vec<Product>, Error> {
        self.list_products_filtered(customer_id, view, &CatalogFilter::new())
    }

    /// Lists products as [`list_products`](Self::list_products) does,
    /// narrowed by a [`CatalogFilter`], such as to one segment.
    ///
    /// # Errors
    ///
    /// As [`list_products`](Self::list_products).
    pub fn list_products_filtered(
        &self,
        customer_id: impl IntoId<CustomerId>,
        view: TargetView,
        filter: &CatalogFilter,
    ) -> Result<Vec<Product>, Error> {
        let customer_id = customer_id.into_id()?;
        let view = encode_query_value(view.as_str());
        let filter = filter.query();
        self.list(format!(
            "/v1/customers/{customer_id}/products?targetView={view}{filter}"
        ))
    }

    /// Reads one product.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID or the product
    /// ID is not path-safe (letters, digits, `-`, `.`, `_`, `~`); nothing is
    /// sent. Otherwise as [`get_order`](Self::get_order); an unknown product
    /// gives [`Error::Service`] with status 404.
    pub fn get_product(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
    ) -> Result<Product, Error> {
        let path = catalog_path(customer_id, &[("product ID", product_id)])?;
        self.get(path)
    }

    /// Lists the SKUs of a product: `GET .../products/{p}/skus`.
    ///
    /// # Errors
    ///
    /// As [`get_product`](Self::get_product) and
    /// [`list_orders`](Self::list_orders).
    pub fn list_skus(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
    ) -> Result<Vec<Sku>, Error> {
        self.list_skus_filtered(customer_id, product_id, &CatalogFilter::new())
    }

    /// Lists the SKUs of a product, narrowed by a [`CatalogFilter`].
    ///
    /// # Errors
    ///
    /// As [`list_skus`](Self::list_skus).
    pub fn list_skus_filtered(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        filter: &CatalogFilter,
    ) -> Result<Vec<Sku>, Error> {
        let path = catalog_path(customer_id, &[("product ID", product_id)])?;
        self.list(with_filter(format!("{path}/skus"), filter))
    }

    /// Reads one SKU of a product.
    ///
    /// # Errors
    ///
    /// As [`get_product`](Self::get_product), for the SKU ID too.
    pub fn get_sku(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
    ) -> Result<Sku, Error> {
        let path = catalog_path(
            customer_id,
            &[("product ID", product_id), ("SKU ID", sku_id)],
        )?;
        self.get(path)
    }

    /// Lists the availabilities of a SKU: what goes into a cart line item.
    /// Availability IDs are reissued from time to time, so look them up when
    /// buying; pick one with [`Availability::find_purchasable`] and make the
    /// line item with [`Availability::line_item`].
    ///
    /// # Errors
    ///
    /// As [`get_sku`](Self::get_sku) and [`list_orders`](Self::list_orders).
    pub fn list_availabilities(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
    ) -> Result<Vec<Availability>, Error> {
        self.list_availabilities_filtered(customer_id, product_id, sku_id, &CatalogFilter::new())
    }

    /// Lists the availabilities of a SKU, narrowed by a [`CatalogFilter`].
    /// Nonprofit availabilities are listed only when asked for by segment.
    ///
    /// # Errors
    ///
    /// As [`list_availabilities`](Self::list_availabilities).
    pub fn list_availabilities_filtered(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
        filter: &CatalogFilter,
    ) -> Result<Vec<Availability>, Error> {
        let path = catalog_path(
            customer_id,
            &[("product ID", product_id), ("SKU ID", sku_id)],
        )?;
        self.list(with_filter(format!("{path}/availabilities"), filter))
    }

    /// The availability to buy a SKU from, looked up now: the first
    /// purchasable one in `segment` (nonprofit availabilities included when
    /// asked for). Look it up at purchase time, and again when a cart line
    /// item fails with code 400019: availability IDs are reissued from time
    /// to time.
    ///
    /// ```no_run
    /// use partner_center_cart::Client;
    /// use partner_center_cart::model::{BillingCycle, Segment};
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
    /// let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
    /// let item = client
    ///     .availability_to_buy(customer, "CFQ7TTC0LH18", "0001", &Segment::Commercial)?
    ///     .line_item(25, "P1Y", BillingCycle::Monthly)?;
    /// # let _ = item;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::NoPurchasableAvailability`] when the SKU has none in the
    /// segment; otherwise as
    /// [`list_availabilities`](Self::list_availabilities).
    pub fn availability_to_buy(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
        segment: &Segment,
    ) -> Result<Availability, Error> {
        let filter = CatalogFilter::new().segment(segment.clone());
        let availabilities =
            self.list_availabilities_filtered(customer_id, product_id, sku_id, &filter)?;
        Availability::find_purchasable(&availabilities, segment)
            .cloned()
            .ok_or_else(|| Error::NoPurchasableAvailability {
                product_id: product_id.to_owned(),
                sku_id: sku_id.to_owned(),
                segment: segment.clone(),
            })
    }

    /// Reads one availability. It may list more terms than the list does.
    ///
    /// # Errors
    ///
    /// As [`get_sku`](Self::get_sku), for the availability ID too. An
    /// availability ID that was reissued gives [`Error::Service`] with status
    /// 404: list the availabilities again.
    pub fn get_availability(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
        availability_id: &str,
    ) -> Result<Availability, Error> {
        let path = catalog_path(
            customer_id,
            &[
                ("product ID", product_id),
                ("SKU ID", sku_id),
                ("availability ID", availability_id),
            ],
        )?;
        self.get(path)
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

/// The path of a customer's carts, after checking the customer ID.
fn carts_path(customer_id: impl IntoId<CustomerId>) -> Result<String, Error> {
    Ok(format!("/v1/customers/{}/carts", customer_id.into_id()?))
}

/// The path of a catalog resource of a customer:
/// `/v1/customers/{c}/products/{p}[/skus/{s}[/availabilities/{a}]]`, after
/// checking each ID.
fn catalog_path(
    customer_id: impl IntoId<CustomerId>,
    ids: &[(&'static str, &str)],
) -> Result<String, Error> {
    let customer_id = customer_id.into_id()?;
    let mut path = format!("/v1/customers/{customer_id}");
    for ((kind, id), collection) in ids.iter().zip(["products", "skus", "availabilities"]) {
        check_path_segment(kind, id)?;
        path.push_str(&format!("/{collection}/{id}"));
    }
    Ok(path)
}

/// A list path with a filter's query parameters.
fn with_filter(path: String, filter: &CatalogFilter) -> String {
    match filter.query().strip_prefix('&') {
        Some(query) => format!("{path}?{query}"),
        None => path,
    }
}
