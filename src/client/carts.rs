//! Carts and checkout: creating, reading and updating a cart, checking it
//! out, and what a creation and a checkout take ([`CreateCartOptions`],
//! [`CheckoutCart`], [`CheckoutOptions`]).

use uuid::Uuid;

use super::Client;
use crate::error::Error;
use crate::http::check_header_text;
use crate::ids::{CartId, CustomerId, IntoId};
use crate::model::{Cart, CartCheckoutResult, NewCart};
use crate::transport::{ApiRequest, Method};

/// The header that names the customer's user who gets the licences.
const CUSTOMER_USER_UPN: &str = "x-ms-customeruser-upn";

/// The path of a customer's carts, after checking the customer ID.
fn carts_path(customer_id: impl IntoId<CustomerId>) -> Result<String, Error> {
    Ok(format!("/v1/customers/{}/carts", customer_id.into_id()?))
}

/// # Carts and checkout
impl Client {
    /// Checks out a cart: turns it into orders, one per order group.
    ///
    /// `cart` is the cart's ID in any form [`IntoId`] takes, or a `&Cart`
    /// read or updated before, which is checked first: a cart with line
    /// items in error, or without an ID, is refused before anything is sent.
    ///
    /// Checkout is idempotent per cart ID: checking out the same cart again
    /// re-attempts it after a failure and returns the first result, the
    /// same orders, after a success, never a second purchase. So when a
    /// checkout fails with an outcome unknown ([`Error::should_repeat`], a
    /// crash), call it again for the same cart, best with the same request
    /// ID ([`checkout_with`](Self::checkout_with)). (Older versions of the
    /// service answered a repeat with 400 and code 800065; then
    /// [`list_orders`](Self::list_orders) finds the orders.)
    ///
    /// A result with [`order_errors`](CartCheckoutResult::order_errors) is
    /// still `Ok`: some order groups went through and some did not.
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
        self.transport
            .send_json(&request)
            .map_err(Error::of_checkout)
    }

    /// Creates a cart for a customer: `POST /v1/customers/{c}/carts`.
    ///
    /// Creating a cart is a POST, so the service could create it twice if a
    /// request were repeated with a new ID. Once an attempt's outcome is
    /// unknown (a timeout, a lost connection, a 5xx), every later attempt
    /// sends its request ID, by which the service recognises the repeat and
    /// returns the cart it made. After an error for which
    /// [`Error::should_repeat`] is true, create it again with
    /// [`Error::request_id`] in [`CreateCartOptions::request_id`].
    ///
    /// ```no_run
    /// use partner_center_cart::{BillingCycle, CartLineItem, Client, CreateCartOptions, NewCart};
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::from_env()?;
    /// let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
    /// let cart = NewCart::new()
    ///     .line_item(CartLineItem::new("CFQ7TTC0LH18:0001:CFQ7TTC0K5DM", 25, BillingCycle::Monthly).term_duration("P1M"))
    ///     .partner_on_record_attestation_accepted(true);
    /// let created = match client.create_cart(customer, &cart, &CreateCartOptions::new()) {
    ///     Err(error) if error.should_repeat() => {
    ///         let again = CreateCartOptions::new().request_id(error.request_id().expect("a call was made"));
    ///         client.create_cart(customer, &cart, &again)?
    ///     }
    ///     other => other?,
    /// };
    /// # let _ = created;
    /// # Ok(())
    /// # }
    /// ```
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
        options: &CreateCartOptions,
    ) -> Result<Cart, Error> {
        let path = carts_path(customer_id)?;
        let request = match options.request_id {
            Some(chosen) => ApiRequest::new(Method::Post, path, chosen).keep_request_id(),
            None => ApiRequest::new(Method::Post, path, Uuid::new_v4()),
        };
        self.create(&request.json(cart)?)
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
}

/// The cart that [`Client::checkout`](crate::Client::checkout) and
/// [`Client::checkout_with`](crate::Client::checkout_with) take: its ID in
/// any form [`IntoId`] takes (`&str`, `String`, [`Uuid`], [`CartId`]), or a
/// `&Cart` read or updated before, which is checked before anything is sent.
///
/// The trait is sealed: the crate implements it for those types only, so
/// that what a checkout checks can grow without breaking anyone's code.
///
/// ```compile_fail
/// use partner_center_cart::{CheckoutCart, Error, model::CartId};
///
/// struct Mine;
///
/// impl CheckoutCart for Mine {
///     fn into_checked_id(self) -> Result<CartId, Error> {
///         "3655b1a0-b1c9-4268-9824-577fdbc4d0be".parse().map_err(Error::from)
///     }
/// }
/// ```
pub trait CheckoutCart: sealed::Sealed {
    /// The ID of the cart to check out, once the cart passed its checks.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the ID is not a GUID or a `&Cart` has none;
    /// [`Error::CartHasErrors`], listing every line item in error, when a
    /// `&Cart` has items in error.
    fn into_checked_id(self) -> Result<CartId, Error>;
}

/// Keeps [`CheckoutCart`] to the crate's own implementations.
mod sealed {
    use crate::ids::{CartId, IntoId};
    use crate::model::Cart;

    pub trait Sealed {}

    impl<T: IntoId<CartId>> Sealed for T {}

    impl Sealed for &Cart {}
}

impl<T: IntoId<CartId>> CheckoutCart for T {
    fn into_checked_id(self) -> Result<CartId, Error> {
        Ok(self.into_id()?)
    }
}

impl CheckoutCart for &Cart {
    fn into_checked_id(self) -> Result<CartId, Error> {
        if self.has_errors() {
            return Err(Error::CartHasErrors {
                cart_id: self.id,
                errors: self.line_item_errors(),
            });
        }
        self.id.ok_or(Error::InvalidId {
            kind: "cart ID",
            value: String::new(),
            reason: "the cart has none; create it first",
        })
    }
}

/// How [`Client::create_cart`](crate::Client::create_cart) creates a cart:
/// the request ID to send. The default sends a new one.
///
/// ```
/// use partner_center_cart::{CreateCartOptions, Uuid};
///
/// let options = CreateCartOptions::new()
///     .request_id(Uuid::parse_str("1f0d3b5c-64a8-4c5e-9f55-2a1e3c6b7d90").unwrap());
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "options do nothing until passed to a call"]
pub struct CreateCartOptions {
    request_id: Option<Uuid>,
}

impl CreateCartOptions {
    /// No options: a new request ID for the call.
    pub fn new() -> Self {
        CreateCartOptions::default()
    }

    /// Sends this `MS-RequestId` on every attempt instead of a new one,
    /// whatever the service answers: the ID an earlier call's
    /// [`Error::request_id`](crate::Error::request_id) reported, to repeat
    /// a creation whose outcome is unknown without making a second cart,
    /// or one the caller stored before calling.
    pub fn request_id(mut self, request_id: Uuid) -> Self {
        self.request_id = Some(request_id);
        self
    }
}

/// How [`Client::checkout_with`](crate::Client::checkout_with) checks out a
/// cart: the request ID to send, and the user the licences go to.
///
/// ```
/// use partner_center_cart::{CheckoutOptions, Uuid};
///
/// let options = CheckoutOptions::new()
///     .request_id(Uuid::parse_str("1f0d3b5c-64a8-4c5e-9f55-2a1e3c6b7d90").unwrap())
///     .customer_user_upn("user@contoso.com");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "options do nothing until passed to a call"]
pub struct CheckoutOptions {
    pub(crate) request_id: Option<Uuid>,
    pub(crate) customer_user_upn: Option<String>,
}

impl CheckoutOptions {
    /// No options: a new request ID for the call, and no licence user.
    pub fn new() -> Self {
        CheckoutOptions::default()
    }

    /// Sends this `MS-RequestId` on every attempt instead of a new one:
    /// the ID an earlier call's [`Error::request_id`](crate::Error::request_id)
    /// reported, to repeat a checkout whose outcome is unknown, or one the
    /// caller stored before calling, so that a process that crashed can
    /// resume. The client never replaces it, not even after a 429.
    pub fn request_id(mut self, request_id: Uuid) -> Self {
        self.request_id = Some(request_id);
        self
    }

    /// Sends `x-ms-customeruser-upn`: the user principal name of the
    /// customer's user to whom the licences bought are assigned, such as
    /// `user@contoso.com`. A UPN that is empty, longer than 256 bytes, or
    /// holds anything but visible ASCII (a control character, say) is
    /// refused before sending.
    pub fn customer_user_upn(mut self, upn: impl Into<String>) -> Self {
        self.customer_user_upn = Some(upn.into());
        self
    }
}
