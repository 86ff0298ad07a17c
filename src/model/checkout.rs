//! The result of a checkout.

use crate::text::Escaped;
use serde::{Deserialize, Serialize};

use super::FaultCode;
use super::{Attributes, Order, null_as_default};

/// What a checkout returns: one order per order group that went through, and
/// one error per order group that did not.
///
/// A checkout can succeed in part: the call returns `Ok`, some groups became
/// orders and others are in [`order_errors`](Self::order_errors). Check
/// [`is_partial_failure`](Self::is_partial_failure).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CartCheckoutResult {
    /// The orders made, one per order group that succeeded.
    #[serde(default, deserialize_with = "null_as_default")]
    pub orders: Vec<Order>,
    /// The order groups that failed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub order_errors: Vec<OrderError>,
    /// Further information, as the service sent it: the documentation shows
    /// an empty array and gives no shape, so any value is kept as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_information: Option<serde_json::Value>,
    /// The resource's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

impl CartCheckoutResult {
    /// Whether any order group failed. The orders that were made stand.
    pub fn is_partial_failure(&self) -> bool {
        !self.order_errors.is_empty()
    }

    /// The orders still being provisioned.
    pub fn pending_orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.iter().filter(|order| order.is_pending())
    }
}

/// Why one order group of a cart did not become an order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderError {
    /// The order group: the `orderGroup` of the cart's line items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// The service's error code; see Partner Center's error-code table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<FaultCode>,
    /// What went wrong, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The resource's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

impl std::fmt::Display for OrderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "order group {}",
            Escaped(self.order_group_id.as_deref().unwrap_or("?"))
        )?;
        if let Some(code) = &self.code {
            write!(f, ": error {code}")?;
        }
        if let Some(description) = &self.description {
            write!(f, ": {}", Escaped(description))?;
        }
        if let Some(hint) = self.code.as_ref().and_then(FaultCode::hint) {
            write!(f, "; to fix: {hint}")?;
        }
        Ok(())
    }
}
