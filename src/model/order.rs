//! Orders and their line items, as checkout and the order endpoints return them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Attributes, BillingCycle, Link, null_as_empty_exact, number_or_none, object_or_default,
    object_or_none, one_object_or_none, string_map, string_or_list, string_or_none,
};
use crate::ids::OrderId;
use crate::text::Escaped;

wire_enum! {
    /// Where an order stands (`OrderStatus`): the eleven statuses Partner
    /// Center documents, read leniently (any case, with `_`, `-` and space
    /// alike: `partial success`, `partial_success` and `PartialSuccess` are
    /// one value).
    ///
    /// [`is_final`](Self::is_final) tells whether the order will change no
    /// more; [`needs_action`](Self::needs_action) whether it waits for the
    /// partner or asks the partner to buy something again.
    pub enum OrderStatus {
        /// `unknown`: the service's initial value.
        Unknown = "unknown",
        /// `completed`: every line item is provisioned.
        Completed = "completed",
        /// `pending`: provisioning is still running.
        Pending = "pending",
        /// `cancelled`.
        Cancelled = "cancelled",
        /// `suspended`: the partner suspended the subscription, which is
        /// still billed. Not a failure, and reversible.
        Suspended = "suspended",
        /// `pending_review`: a secondary deal review, which may ask for
        /// documents and may take days.
        PendingReview = "pending_review",
        /// `pending_po_upload`: waits for the partner to upload the
        /// customer's purchase order.
        PendingPoUpload = "pending_po_upload",
        /// `po_upload_complete`: Microsoft reviews the purchase order, which
        /// may take days; nothing to do.
        PoUploadComplete = "po_upload_complete",
        /// `po review rejected`: the purchase order failed its review; the
        /// order will not be processed.
        PoReviewRejected = "po_review_rejected",
        /// `partial success`: some subscriptions failed; buy those again.
        PartialSuccess = "partial_success",
        /// `error`: the order failed; buy it again.
        Error = "error",
    }
}

impl OrderStatus {
    /// Whether the order will not change any more: completed, cancelled,
    /// suspended, po review rejected, partial success or error.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            OrderStatus::Completed
                | OrderStatus::Cancelled
                | OrderStatus::Suspended
                | OrderStatus::PoReviewRejected
                | OrderStatus::PartialSuccess
                | OrderStatus::Error
        )
    }

    /// Whether the order needs the partner's hand: a purchase order to
    /// upload (`pending_po_upload`), or something to buy again (po review
    /// rejected, partial success, error).
    pub fn needs_action(&self) -> bool {
        matches!(
            self,
            OrderStatus::PendingPoUpload
                | OrderStatus::PoReviewRejected
                | OrderStatus::PartialSuccess
                | OrderStatus::Error
        )
    }

    /// Whether Microsoft is reviewing the order (`pending_review`,
    /// `po_upload_complete`): it is not final, and may stay so for days.
    pub fn is_under_review(&self) -> bool {
        matches!(
            self,
            OrderStatus::PendingReview | OrderStatus::PoUploadComplete
        )
    }

    /// Whether the order asks the partner to buy its items again: po
    /// review rejected, partial success or error.
    pub fn needs_buying_again(&self) -> bool {
        self.is_final() && self.needs_action()
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
    #[serde(default, deserialize_with = "null_as_empty_exact")]
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
    /// Links to the order itself and its provisioning status. Every link is
    /// optional: absent, `null` or odd `links` read as none.
    #[serde(
        default,
        deserialize_with = "object_or_default",
        skip_serializing_if = "OrderLinks::is_empty"
    )]
    pub links: OrderLinks,
    /// The resource's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// The pre-tax total. Documented as sent only with `include_price`, but
    /// the 2023 checkout examples carry it without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_price: Option<f64>,
    /// Whether the partner-of-record attestation was accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_on_record_attestation_accepted: Option<bool>,
}

impl Order {
    /// Whether the order is still in the service's hands: its status is
    /// neither final nor one that waits for the partner
    /// ([`OrderStatus::needs_action`]), or it is not known yet.
    pub fn is_pending(&self) -> bool {
        !self
            .status
            .as_ref()
            .is_some_and(|status| status.is_final() || status.needs_action())
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
    /// The term as an ISO 8601 duration (`P1M`, `P1Y`); may be empty. A
    /// value that is not a string reads as absent.
    #[serde(
        default,
        deserialize_with = "string_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub term_duration: Option<String>,
    /// What the line does to its subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<LineItemTransactionType>,
    /// The MPN ID of the indirect reseller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id_on_record: Option<String>,
    /// Further resellers' MPN IDs (EU/EFTA, at most 5). A single string
    /// reads as a list of one.
    #[serde(
        default,
        deserialize_with = "string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional_partner_ids_on_record: Vec<String>,
    /// The values the SKU's provisioning variables asked for, such as
    /// `scope` and `entitlementId` for a savings plan: the same map as a
    /// cart line's. `null`, a string or another odd shape reads as empty;
    /// values that are not strings are kept as their JSON text. Written
    /// even when empty, as the service does.
    #[serde(
        default,
        alias = "ProvisioningContext",
        deserialize_with = "string_map"
    )]
    pub provisioning_context: BTreeMap<String, String>,
    /// The term the subscription renews to. The documentation types it as
    /// an array and the service sends one object: both are read.
    #[serde(
        default,
        deserialize_with = "one_object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub renews_to: Option<RenewsTo>,
    /// Whether the offer's attestation was accepted.
    #[serde(
        default,
        alias = "AttestationAccepted",
        skip_serializing_if = "Option::is_none"
    )]
    pub attestation_accepted: Option<bool>,
    /// The promotion applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<String>,
    /// A custom end date of the term (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_term_end_date: Option<String>,
    /// Pre-tax prices, when the service sends them.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub pricing: Option<Pricing>,
    /// What a savings plan commits to spend.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub purchase_commitment: Option<PurchaseCommitment>,
    /// Links to the subscription, SKU and provisioning status. Every link is
    /// optional: absent, `null` or odd `links` read as none.
    #[serde(
        default,
        deserialize_with = "object_or_default",
        skip_serializing_if = "OrderLineItemLinks::is_empty"
    )]
    pub links: OrderLineItemLinks,
}

/// The term a subscription renews to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RenewsTo {
    /// The renewal term, such as `P1Y`. A value that is not a string reads
    /// as absent.
    #[serde(
        default,
        deserialize_with = "string_or_none",
        skip_serializing_if = "Option::is_none"
    )]
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

/// Pre-tax prices of a cart or order line. A price that is not a number
/// reads as absent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Pricing {
    /// The list price.
    #[serde(
        default,
        deserialize_with = "number_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub list_price: Option<f64>,
    /// The price after discounts.
    #[serde(
        default,
        deserialize_with = "number_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub discounted_price: Option<f64>,
    /// The prorated price.
    #[serde(
        default,
        deserialize_with = "number_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub prorated_price: Option<f64>,
    /// The unit price.
    #[serde(
        default,
        deserialize_with = "number_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<f64>,
    /// The price for the whole term and quantity: for a yearly term billed
    /// monthly, 12 times `price`.
    #[serde(
        default,
        deserialize_with = "number_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub extended_price: Option<f64>,
}

/// What a savings plan commits to spend (`purchaseCommitment`), such as
/// 0.05 USD an hour.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PurchaseCommitment {
    /// The amount per `grain`. A number sent as a string is read too.
    #[serde(
        default,
        deserialize_with = "number_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<f64>,
    /// The period the amount is for, such as `hourly`.
    #[serde(
        default,
        deserialize_with = "string_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub grain: Option<String>,
    /// The currency, such as `usd`.
    #[serde(
        default,
        deserialize_with = "string_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub currency: Option<String>,
}

impl PurchaseCommitment {
    /// A commitment of `amount` in `currency` per `grain` (such as
    /// `hourly`).
    pub fn new(amount: f64, currency: impl Into<String>, grain: impl Into<String>) -> Self {
        PurchaseCommitment {
            amount: Some(amount),
            grain: Some(grain.into()),
            currency: Some(currency.into()),
        }
    }
}

/// Links from an order. Every link is optional, and one that is not an
/// object reads as absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderLinks {
    /// The order itself.
    #[serde(
        default,
        rename = "self",
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub self_link: Option<Link>,
    /// The order's provisioning status.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub provisioning_status: Option<Link>,
    /// Where to patch the order (method `PATCH`).
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub patch_operation: Option<Link>,
    /// A `next` link, which the documentation lists without saying where
    /// it leads.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next: Option<Link>,
    /// A `previous` link, which the documentation lists without saying
    /// where it leads.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous: Option<Link>,
}

impl OrderLinks {
    /// Whether there is no link at all.
    pub fn is_empty(&self) -> bool {
        *self == OrderLinks::default()
    }
}

/// Links from an order line. Every link is optional, and one that is not an
/// object reads as absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderLineItemLinks {
    /// The subscription, once provisioned.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub subscription: Option<Link>,
    /// The SKU bought.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub sku: Option<Link>,
    /// The line's provisioning status.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub provisioning_status: Option<Link>,
    /// Where to activate what was bought, for offers that need it.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub activation_links: Option<Link>,
    /// The product bought.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub product: Option<Link>,
    /// The availability bought.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub availability: Option<Link>,
}

impl OrderLineItemLinks {
    /// Whether there is no link at all.
    pub fn is_empty(&self) -> bool {
        *self == OrderLineItemLinks::default()
    }
}

/// The pending orders with their statuses, for a log record or an error:
/// `A (status "pending"), B (status "pending_review": under review, may
/// take days)`. Statuses are quoted and escaped, being the service's text.
pub(crate) fn describe_pending(pending: &[OrderId], orders: &[Order]) -> String {
    pending
        .iter()
        .map(|id| {
            let status = orders
                .iter()
                .find(|order| order.id == *id)
                .and_then(|order| order.status.as_ref());
            match status {
                Some(status) if status.is_under_review() => format!(
                    "{id} (status \"{}\": under review, may take days)",
                    Escaped(status.as_str())
                ),
                Some(status) => format!("{id} (status \"{}\")", Escaped(status.as_str())),
                None => format!("{id} (no status)"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_reads_leniently() {
        let spellings = [
            ("partial success", OrderStatus::PartialSuccess),
            ("partial_success", OrderStatus::PartialSuccess),
            ("PartialSuccess", OrderStatus::PartialSuccess),
            ("Partial-Success", OrderStatus::PartialSuccess),
            ("po review rejected", OrderStatus::PoReviewRejected),
            ("PO_REVIEW_REJECTED", OrderStatus::PoReviewRejected),
            ("pending_po_upload", OrderStatus::PendingPoUpload),
            ("PendingPoUpload", OrderStatus::PendingPoUpload),
            ("po_upload_complete", OrderStatus::PoUploadComplete),
            ("pending review", OrderStatus::PendingReview),
            ("Suspended", OrderStatus::Suspended),
            ("ERROR", OrderStatus::Error),
            ("unknown", OrderStatus::Unknown),
        ];
        for (text, status) in spellings {
            let read: OrderStatus = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert_eq!(read, status, "{text}");
        }
        assert_eq!(
            OrderStatus::from_wire("none"),
            OrderStatus::Other("none".into())
        );
    }

    #[test]
    fn final_and_needs_action_are_as_documented() {
        use OrderStatus::*;
        let final_ = [
            Completed,
            Cancelled,
            Suspended,
            PoReviewRejected,
            PartialSuccess,
            Error,
        ];
        let action = [PendingPoUpload, PoReviewRejected, PartialSuccess, Error];
        let all = [
            Unknown,
            Completed,
            Pending,
            Cancelled,
            Suspended,
            PendingReview,
            PendingPoUpload,
            PoUploadComplete,
            PoReviewRejected,
            PartialSuccess,
            Error,
            Other("none".into()),
        ];
        for status in &all {
            assert_eq!(status.is_final(), final_.contains(status), "{status}");
            assert_eq!(status.needs_action(), action.contains(status), "{status}");
            let order = Order {
                status: Some(status.clone()),
                ..Order::default()
            };
            let waits = !final_.contains(status) && !action.contains(status);
            assert_eq!(order.is_pending(), waits, "{status}");
        }
        assert!(PendingReview.is_under_review() && PoUploadComplete.is_under_review());
        assert!(!PendingPoUpload.needs_buying_again() && Error.needs_buying_again());
    }

    #[test]
    fn every_documented_line_field_is_read_and_written_back() {
        let body = r#"{"lineItemNumber": 1, "parentSubscriptionId": "p", "additionalPartnerIdsOnRecord": "123",
            "renewsTo": [{"termDuration": "P3Y"}], "attestationAccepted": false, "promotionId": "promo",
            "customTermEndDate": "2026-01-31", "pricing": {"listPrice": 22.0, "extendedPrice": "odd"},
            "purchaseCommitment": {"amount": "0.05", "currency": "usd", "grain": "hourly"},
            "provisioningContext": {"scope": "single", "entitlementId": "e"}}"#;
        let item: OrderLineItem = serde_json::from_str(body).unwrap();
        assert_eq!(item.parent_subscription_id.as_deref(), Some("p"));
        assert_eq!(item.additional_partner_ids_on_record, ["123"]);
        assert_eq!(item.renews_to, Some(RenewsTo::term("P3Y")));
        assert_eq!(item.attestation_accepted, Some(false));
        assert_eq!(item.promotion_id.as_deref(), Some("promo"));
        assert_eq!(item.custom_term_end_date.as_deref(), Some("2026-01-31"));
        let pricing = item.pricing.as_ref().unwrap();
        assert_eq!(
            (pricing.list_price, pricing.extended_price),
            (Some(22.0), None)
        );
        assert_eq!(
            item.purchase_commitment,
            Some(PurchaseCommitment::new(0.05, "usd", "hourly"))
        );
        assert_eq!(item.provisioning_context["entitlementId"], "e");
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(
            json["additionalPartnerIdsOnRecord"],
            serde_json::json!(["123"])
        );
        assert_eq!(json["renewsTo"]["termDuration"], "P3Y");
        assert_eq!(json["purchaseCommitment"]["amount"], 0.05);
        assert_eq!(serde_json::from_value::<OrderLineItem>(json).unwrap(), item);
    }
}
