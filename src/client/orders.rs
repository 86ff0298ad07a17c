//! Orders: reading one or all of a customer's, with or without prices
//! ([`OrderOptions`]), and their provisioning.

use uuid::Uuid;

use super::Client;
use crate::error::Error;
use crate::ids::{CustomerId, IntoId, OrderId};
use crate::model::{Order, OrderLineItemProvisioningStatus};
use crate::retry::Bounds;
use crate::transport::{ApiRequest, Method, Unsent};

/// The query that asks for an order's total price.
const INCLUDE_PRICE: &str = "?include_price=true";

/// # Orders
impl Client {
    /// Reads an order: `GET /v1/customers/{c}/orders/{o}`.
    ///
    /// Partner Center leaves [`Order::total_price`] out of this answer
    /// unless `options` ask for it ([`OrderOptions::include_price`]).
    ///
    /// ```no_run
    /// use partner_center_cart::{Client, OrderOptions};
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::from_env()?;
    /// let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
    /// let order = client.get_order(customer, "nJXKkJ1pnfj9", &OrderOptions::new().include_price(true))?;
    /// println!("{:?} {:?}", order.status, order.total_price);
    /// # Ok(())
    /// # }
    /// ```
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
        options: &OrderOptions,
    ) -> Result<Order, Error> {
        let customer_id = customer_id.into_id()?;
        let order_id = order_id.into_id()?;
        self.read_order(customer_id, &order_id, options.query(), Bounds::default())
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

    /// Lists a customer's orders: `GET /v1/customers/{c}/orders`, the way
    /// to find the orders of a cart that was already checked out (service
    /// code 800065). Every page is read. Their
    /// [`total_price`](Order::total_price) is left out unless `options` ask
    /// for it ([`OrderOptions::include_price`]).
    ///
    /// # Errors
    ///
    /// As [`get_cart`](Self::get_cart), and [`Error::BadNextLink`] when a
    /// next-page link leads away from the base URL, back to a page already
    /// read, or past the page limit; [`Error::ListTooLarge`] past the
    /// list's budget, and [`Error::ListTimedOut`] past its timeout (see
    /// [`ClientBuilder::max_list_bytes`](crate::ClientBuilder::max_list_bytes) and [`ClientBuilder::list_timeout`](crate::ClientBuilder::list_timeout)).
    pub fn list_orders(
        &self,
        customer_id: impl IntoId<CustomerId>,
        options: &OrderOptions,
    ) -> Result<Vec<Order>, Error> {
        let customer_id = customer_id.into_id()?;
        let query = options.query();
        self.list(format!("/v1/customers/{customer_id}/orders{query}"))
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
}

/// How [`Client::get_order`] and [`Client::list_orders`] read orders:
/// whether with their prices. The default reads them as Partner Center
/// sends them unasked, without [`Order::total_price`].
///
/// ```
/// use partner_center_cart::OrderOptions;
///
/// let options = OrderOptions::new().include_price(true);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "options do nothing until passed to a call"]
pub struct OrderOptions {
    include_price: bool,
}

impl OrderOptions {
    /// No options: orders without their prices.
    pub fn new() -> Self {
        OrderOptions::default()
    }

    /// Asks for each order's pre-tax [`total_price`](Order::total_price)
    /// (`?include_price=true`), which Partner Center sends only when asked.
    pub fn include_price(mut self, include: bool) -> Self {
        self.include_price = include;
        self
    }

    /// The query after the path: `?include_price=true`, or nothing.
    fn query(&self) -> &'static str {
        if self.include_price {
            INCLUDE_PRICE
        } else {
            ""
        }
    }
}
