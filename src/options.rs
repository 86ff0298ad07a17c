//! Options of one call, for the calls that take more than their IDs.

use uuid::Uuid;

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
