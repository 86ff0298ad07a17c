//! Orders: reading one or all of a customer's, with or without prices, and
//! their provisioning.

use uuid::Uuid;

use super::Client;
use crate::failure::Error;
use crate::ids::{CustomerId, IntoId, OrderId};
use crate::model::{Order, OrderLineItemProvisioningStatus};
use crate::retry::Bounds;
use crate::transport::{ApiRequest, Method, Unsent};

/// The query that asks for an order's total price.
const INCLUDE_PRICE: &str = "?include_price=true";

/// # Orders
impl Client {
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
    /// [`ClientBuilder::max_list_bytes`](crate::ClientBuilder::max_list_bytes) and [`ClientBuilder::list_timeout`](crate::ClientBuilder::list_timeout)).
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
}
