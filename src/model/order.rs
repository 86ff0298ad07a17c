//! Orders and their line items, as checkout and the order endpoints return them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Attributes, BillingCycle, Link, lenient, null_as_empty_compact, string_map, string_or_list,
};
use crate::ids::OrderId;

wire_enum! {
    /// Where an order stands (`OrderStatus`).
    pub enum OrderStatus {
        /// `unknown`.
        Unknown = "unknown",
        /// `completed`: every line item is provisioned.
        Completed = "completed",
        /// `pending`: provisioning is still running.
        Pending = "pending",
        /// `cancelled`.
        Cancelled = "cancelled",
    }
}

impl OrderStatus {
    /// Whether the order will not change any more: completed or cancelled.
    pub fn is_final(&self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Cancelled)
    }
}

wire_enum! {
    /// Why an order was made.
    pub enum OrderTransactionType {
        /// `UserPurchase`: bought by the partner.
        UserPurchase = "UserPurchase",
        /// `SystemPurchase`: made by the system, as for renewals.
        SystemPurchase = "SystemPurchase",
        /// `SystemBilling`.
        SystemBilling = "SystemBilling",
    }
}

wire_enum! {
    /// What a line item of an order does to its subscription.
    pub enum LineItemTransactionType {
        /// `New`: a new subscription.
        New = "New",
        /// `Renew`.
        Renew = "Renew",
        /// `AddQuantity`.
        AddQuantity = "AddQuantity",
        /// `RemoveQuantity`.
        RemoveQuantity = "RemoveQuantity",
        /// `Cancel`.
        Cancel = "Cancel",
        /// `Convert`.
        Convert = "Convert",
        /// `CustomerCredit`.
        CustomerCredit = "CustomerCredit",
    }
}

/// An order: what one order group of a cart became at checkout.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Order {
    /// The order's ID: opaque, not always a GUID.
    #[serde(default)]
    pub id: OrderId,
    /// A short friendly ID (the quote ID); may equal `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_id: Option<String>,
    /// The customer's tenant ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_customer_id: Option<String>,
    /// How the order is billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_cycle: Option<BillingCycle>,
    /// Why the order was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<OrderTransactionType>,
    /// The order's line items.
    #[serde(default, deserialize_with = "null_as_empty_compact")]
    pub line_items: Vec<OrderLineItem>,
    /// The currency, such as `USD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// The currency's symbol, such as `$`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_symbol: Option<String>,
    /// When the order was made, as the service wrote it (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    /// Where the order stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    /// Links to the order itself and its provisioning status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<OrderLinks>,
    /// The resource's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// The pre-tax total, sent only when asked for with `include_price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_price: Option<f64>,
    /// Whether the partner-of-record attestation was accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_on_record_attestation_accepted: Option<bool>,
}

impl Order {
    /// Whether the order is still being provisioned (or its status is not
    /// known yet).
    pub fn is_pending(&self) -> bool {
        !self.status.as_ref().is_some_and(OrderStatus::is_final)
    }

    /// Whether the order is completed: everything in it is provisioned.
    pub fn is_completed(&self) -> bool {
        self.status == Some(OrderStatus::Completed)
    }

    /// Whether the order was cancelled: nothing in it will be provisioned.
    /// [`Client::wait_for_orders`](crate::Client::wait_for_orders) returns
    /// cancelled orders in `Ok`, beside the completed ones.
    pub fn is_cancelled(&self) -> bool {
        self.status == Some(OrderStatus::Cancelled)
    }

    /// The subscription IDs of the line items provisioned so far.
    pub fn subscription_ids(&self) -> impl Iterator<Item = &str> {
        self.line_items
            .iter()
            .filter_map(|item| item.subscription_id.as_deref())
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderLineItem {
    /// The line's position in the order, from 0.
    #[serde(default)]
    pub line_item_number: i64,
    /// The catalog item (`product:sku:availability`) or legacy offer ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
    /// The subscription, once provisioned; absent until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    /// The base subscription of an add-on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_subscription_id: Option<String>,
    /// The partner's label for the subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// Licences or instances.
    #[serde(default)]
    pub quantity: i64,
    /// The term as an ISO 8601 duration (`P1M`, `P1Y`); may be empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_duration: Option<String>,
    /// What the line does to its subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<LineItemTransactionType>,
    /// The MPN ID of the indirect reseller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id_on_record: Option<String>,
    /// Further resellers' MPN IDs (EU/EFTA, at most 5).
    #[serde(
        default,
        deserialize_with = "string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional_partner_ids_on_record: Vec<String>,
    /// The values the SKU's provisioning variables asked for.
    #[serde(
        default,
        alias = "ProvisioningContext",
        deserialize_with = "string_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub provisioning_context: BTreeMap<String, String>,
    /// The term the subscription renews to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renews_to: Option<RenewsTo>,
    /// Whether the offer's attestation was accepted.
    #[serde(
        default,
        alias = "AttestationAccepted",
        skip_serializing_if = "Option::is_none"
    )]
    pub attestation_accepted: Option<bool>,
    /// Links to the subscription, SKU and provisioning status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<OrderLineItemLinks>,
    /// The promotion applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<String>,
    /// A custom end date of the term (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_term_end_date: Option<String>,
    /// Pre-tax prices, when the service sends them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

/// The term a subscription renews to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RenewsTo {
    /// The renewal term, such as `P1Y`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_duration: Option<String>,
}

impl RenewsTo {
    /// Renews to the given term, such as `P1Y`.
    pub fn term(term_duration: impl Into<String>) -> Self {
        RenewsTo {
            term_duration: Some(term_duration.into()),
        }
    }
}

/// Pre-tax prices of an order line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Pricing {
    /// The list price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<f64>,
    /// The price after discounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discounted_price: Option<f64>,
    /// The prorated price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prorated_price: Option<f64>,
    /// The unit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// The price times the quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_price: Option<f64>,
}

/// Links from an order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderLinks {
    /// The order itself.
    #[serde(default, rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Link>,
    /// The order's provisioning status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_status: Option<Link>,
    /// Where to patch the order (method `PATCH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_operation: Option<Link>,
}

/// Links from an order line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderLineItemLinks {
    /// The subscription, once provisioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Link>,
    /// The SKU bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Link>,
    /// The line's provisioning status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_status: Option<Link>,
    /// Where to activate what was bought, for offers that need it.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub activation_links: Option<Link>,
    /// The product bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Link>,
    /// The availability bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Link>,
}
