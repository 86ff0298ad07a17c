//! Where the provisioning of an order's line items stands.

use serde::{Deserialize, Serialize};

use super::null_as_default;

wire_enum! {
    /// Where the provisioning of a line item, or of part of its quantity,
    /// stands.
    pub enum ProvisioningStatus {
        /// `fulfilled`: provisioned.
        Fulfilled = "fulfilled",
        /// `unfulfilled`: not provisioned, as after a cancellation.
        Unfulfilled = "unfulfilled",
        /// `PrefulfillmentPending`: still running.
        PrefulfillmentPending = "PrefulfillmentPending",
    }
}

/// The provisioning status of one line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderLineItemProvisioningStatus {
    /// The line's ID, where the service sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_line_item_id: Option<i64>,
    /// The line's position in the order.
    #[serde(default)]
    pub line_item_number: i64,
    /// Where the line stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ProvisioningStatus>,
    /// Where each part of the quantity stands.
    #[serde(default, deserialize_with = "null_as_default")]
    pub quantity_provisioning_information: Vec<QuantityProvisioningStatus>,
}

/// Where part of a line's quantity stands.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct QuantityProvisioningStatus {
    /// How many.
    #[serde(default)]
    pub quantity: i64,
    /// Where they stand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ProvisioningStatus>,
}
