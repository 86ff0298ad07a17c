//! Options of one call, for the calls that take more than their IDs, and
//! what a checkout takes as its cart.

use uuid::Uuid;

use crate::error::Error;
use crate::ids::{CartId, IntoId};
use crate::model::Cart;

/// The cart that [`Client::checkout`](crate::Client::checkout) and
/// [`Client::checkout_with`](crate::Client::checkout_with) take: its ID in
/// any form [`IntoId`] takes (`&str`, `String`, [`Uuid`], [`CartId`]), or a
/// `&Cart` read or updated before, which is checked before anything is sent.
pub trait CheckoutCart {
    /// The ID of the cart to check out, once the cart passed its checks.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the ID is not a GUID or a `&Cart` has none;
    /// [`Error::CartHasErrors`], listing every line item in error, when a
    /// `&Cart` has items in error.
    fn into_checked_id(self) -> Result<CartId, Error>;
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
