//! Orders and their line items, as checkout and the order endpoints return them.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};

use super::{
    Attributes, BillingCycle, Link, ProvisioningContext, known_string_or_none,
    null_as_empty_compact, object_or_default, object_or_none, string_or_list,
};
use crate::ids::OrderId;

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
    pub alternate_id: Option<Box<str>>,
    /// The customer's tenant ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_customer_id: Option<Box<str>>,
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
    pub currency_code: Option<Box<str>>,
    /// The currency's symbol, such as `$`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_symbol: Option<Box<str>>,
    /// When the order was made, as the service wrote it (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<Box<str>>,
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
    /// The pre-tax total, sent only when asked for with `include_price`.
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
///
/// What every line carries is held inline; what few lines carry (add-on
/// parents, further resellers, renewal terms, attestation, promotions,
/// custom term ends and prices) is in [`details`](Self::details), boxed, so
/// that a large result of plain lines stays small. The accessors below read
/// those fields whether or not the box is there. On the wire both are one
/// flat object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "WireLineItem")]
#[non_exhaustive]
pub struct OrderLineItem {
    /// The line's position in the order, from 0.
    pub line_item_number: i64,
    /// The catalog item (`product:sku:availability`) or legacy offer ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<Box<str>>,
    /// The subscription, once provisioned; absent until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<Box<str>>,
    /// The partner's label for the subscription.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<Box<str>>,
    /// Licences or instances.
    pub quantity: i64,
    /// The term as an ISO 8601 duration (`P1M`, `P1Y`); may be empty. The
    /// usual terms are kept as static strings, with no allocation; a value
    /// that is not a string reads as absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_duration: Option<Cow<'static, str>>,
    /// What the line does to its subscription.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<LineItemTransactionType>,
    /// The MPN ID of the indirect reseller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id_on_record: Option<Box<str>>,
    /// The values the SKU's provisioning variables asked for. `null`, a
    /// string or another odd shape reads as empty.
    #[serde(skip_serializing_if = "ProvisioningContext::is_empty")]
    pub provisioning_context: ProvisioningContext,
    /// Links to the subscription, SKU and provisioning status. Every link is
    /// optional: absent, `null` or odd `links` read as none.
    #[serde(skip_serializing_if = "OrderLineItemLinks::is_empty")]
    pub links: OrderLineItemLinks,
    /// The fields few lines carry, when the line has any of them.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub details: Option<Box<OrderLineItemDetails>>,
}

impl OrderLineItem {
    /// The base subscription of an add-on.
    pub fn parent_subscription_id(&self) -> Option<&str> {
        self.details.as_ref()?.parent_subscription_id.as_deref()
    }

    /// Further resellers' MPN IDs (EU/EFTA, at most 5).
    pub fn additional_partner_ids_on_record(&self) -> &[String] {
        self.details
            .as_ref()
            .map_or(&[], |details| &details.additional_partner_ids_on_record)
    }

    /// The term the subscription renews to.
    pub fn renews_to(&self) -> Option<&RenewsTo> {
        self.details.as_ref()?.renews_to.as_ref()
    }

    /// Whether the offer's attestation was accepted.
    pub fn attestation_accepted(&self) -> Option<bool> {
        self.details.as_ref()?.attestation_accepted
    }

    /// The promotion applied.
    pub fn promotion_id(&self) -> Option<&str> {
        self.details.as_ref()?.promotion_id.as_deref()
    }

    /// A custom end date of the term (ISO 8601).
    pub fn custom_term_end_date(&self) -> Option<&str> {
        self.details.as_ref()?.custom_term_end_date.as_deref()
    }

    /// Pre-tax prices, when the service sends them.
    pub fn pricing(&self) -> Option<&Pricing> {
        self.details.as_ref()?.pricing.as_deref()
    }
}

/// The fields of an [`OrderLineItem`] that few lines carry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderLineItemDetails {
    /// The base subscription of an add-on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_subscription_id: Option<Box<str>>,
    /// Further resellers' MPN IDs (EU/EFTA, at most 5). A single string
    /// reads as a list of one.
    #[serde(
        default,
        deserialize_with = "string_or_list",
        skip_serializing_if = "<[String]>::is_empty"
    )]
    pub additional_partner_ids_on_record: Box<[String]>,
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
    /// The promotion applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<Box<str>>,
    /// A custom end date of the term (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_term_end_date: Option<Box<str>>,
    /// Pre-tax prices, when the service sends them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Box<Pricing>>,
}

impl OrderLineItemDetails {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == OrderLineItemDetails::default()
    }
}

/// An [`OrderLineItem`] as the wire has it: one flat object. Decoded by the
/// derived one-pass decoder, then split into the line and its boxed details.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireLineItem {
    #[serde(default)]
    line_item_number: i64,
    #[serde(default)]
    offer_id: Option<Box<str>>,
    #[serde(default)]
    subscription_id: Option<Box<str>>,
    #[serde(default)]
    parent_subscription_id: Option<Box<str>>,
    #[serde(default)]
    friendly_name: Option<Box<str>>,
    #[serde(default)]
    quantity: i64,
    #[serde(default, deserialize_with = "term_or_none")]
    term_duration: Option<Cow<'static, str>>,
    #[serde(default)]
    transaction_type: Option<LineItemTransactionType>,
    #[serde(default)]
    partner_id_on_record: Option<Box<str>>,
    #[serde(default, deserialize_with = "string_or_list")]
    additional_partner_ids_on_record: Box<[String]>,
    #[serde(default, alias = "ProvisioningContext")]
    provisioning_context: ProvisioningContext,
    #[serde(default)]
    renews_to: Option<RenewsTo>,
    #[serde(default, alias = "AttestationAccepted")]
    attestation_accepted: Option<bool>,
    #[serde(default, deserialize_with = "object_or_default")]
    links: OrderLineItemLinks,
    #[serde(default)]
    promotion_id: Option<Box<str>>,
    #[serde(default)]
    custom_term_end_date: Option<Box<str>>,
    #[serde(default)]
    pricing: Option<Box<Pricing>>,
}

impl From<WireLineItem> for OrderLineItem {
    fn from(wire: WireLineItem) -> Self {
        let details = OrderLineItemDetails {
            parent_subscription_id: wire.parent_subscription_id,
            additional_partner_ids_on_record: wire.additional_partner_ids_on_record,
            renews_to: wire.renews_to,
            attestation_accepted: wire.attestation_accepted,
            promotion_id: wire.promotion_id,
            custom_term_end_date: wire.custom_term_end_date,
            pricing: wire.pricing,
        };
        OrderLineItem {
            line_item_number: wire.line_item_number,
            offer_id: wire.offer_id,
            subscription_id: wire.subscription_id,
            friendly_name: wire.friendly_name,
            quantity: wire.quantity,
            term_duration: wire.term_duration,
            transaction_type: wire.transaction_type,
            partner_id_on_record: wire.partner_id_on_record,
            provisioning_context: wire.provisioning_context,
            links: wire.links,
            details: (!details.is_empty()).then(|| Box::new(details)),
        }
    }
}

/// Reads a line's term, sharing the usual ones.
fn term_or_none<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'static, str>>, D::Error> {
    known_string_or_none(deserializer, &["P1M", "P1Y", "P3Y"])
}

/// The term a subscription renews to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RenewsTo {
    /// The renewal term, such as `P1Y`. The usual terms are kept as static
    /// strings, with no allocation; a value that is not a string reads as
    /// absent.
    #[serde(
        default,
        deserialize_with = "term_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub term_duration: Option<Cow<'static, str>>,
}

impl RenewsTo {
    /// Renews to the given term, such as `P1Y`.
    pub fn term(term_duration: impl Into<String>) -> Self {
        RenewsTo {
            term_duration: Some(Cow::Owned(term_duration.into())),
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

/// Links from an order. Every link is optional, and one that is not an
/// object reads as absent. Each is boxed, to keep orders small.
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
    pub self_link: Option<Box<Link>>,
    /// The order's provisioning status.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub provisioning_status: Option<Box<Link>>,
    /// Where to patch the order (method `PATCH`).
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub patch_operation: Option<Box<Link>>,
}

impl OrderLinks {
    /// Whether there is no link at all.
    pub fn is_empty(&self) -> bool {
        *self == OrderLinks::default()
    }
}

/// Links from an order line. Every link is optional, and one that is not an
/// object reads as absent. Each is boxed, to keep line items small.
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
    pub subscription: Option<Box<Link>>,
    /// The SKU bought.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub sku: Option<Box<Link>>,
    /// The line's provisioning status.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub provisioning_status: Option<Box<Link>>,
    /// Where to activate what was bought, for offers that need it.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub activation_links: Option<Box<Link>>,
    /// The product bought.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub product: Option<Box<Link>>,
    /// The availability bought.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub availability: Option<Box<Link>>,
}

impl OrderLineItemLinks {
    /// Whether there is no link at all.
    pub fn is_empty(&self) -> bool {
        *self == OrderLineItemLinks::default()
    }
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
    fn plain_lines_are_small_and_hold_no_details() {
        // The line items of a large result are most of its memory: keep the
        // inline part small, and the rarely sent fields out of it.
        assert!(
            size_of::<OrderLineItem>() <= 208,
            "{}",
            size_of::<OrderLineItem>()
        );
        assert!(size_of::<Link>() <= 56, "{}", size_of::<Link>());
        let plain: OrderLineItem = serde_json::from_str(
            r#"{"lineItemNumber": 0, "offerId": "A:B:C", "termDuration": "P1Y",
                "provisioningContext": {}, "links": {"subscription": {"uri": "/s", "method": "GET", "headers": []}}}"#,
        )
        .unwrap();
        assert_eq!(plain.details, None);
        assert!(matches!(plain.term_duration, Some(Cow::Borrowed("P1Y"))));
        let link = plain.links.subscription.as_deref().unwrap();
        assert!(matches!(link.method, Some(Cow::Borrowed("GET"))));
    }

    #[test]
    fn rare_fields_go_to_the_details_and_back_to_the_wire() {
        let body = r#"{"lineItemNumber": 1, "parentSubscriptionId": "p", "additionalPartnerIdsOnRecord": "123",
            "renewsTo": {"termDuration": "P3Y"}, "attestationAccepted": false, "promotionId": "promo",
            "customTermEndDate": "2026-01-31", "pricing": {"listPrice": 22.0}}"#;
        let item: OrderLineItem = serde_json::from_str(body).unwrap();
        assert_eq!(item.parent_subscription_id(), Some("p"));
        assert_eq!(item.additional_partner_ids_on_record(), ["123"]);
        assert_eq!(
            item.renews_to().and_then(|r| r.term_duration.as_deref()),
            Some("P3Y")
        );
        assert_eq!(item.attestation_accepted(), Some(false));
        assert_eq!(item.promotion_id(), Some("promo"));
        assert_eq!(item.custom_term_end_date(), Some("2026-01-31"));
        assert_eq!(item.pricing().and_then(|p| p.list_price), Some(22.0));
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(
            json["additionalPartnerIdsOnRecord"],
            serde_json::json!(["123"])
        );
        assert_eq!(json["renewsTo"]["termDuration"], "P3Y");
        assert_eq!(json["pricing"]["listPrice"], 22.0);
        assert!(json.get("details").is_none());
        assert_eq!(serde_json::from_value::<OrderLineItem>(json).unwrap(), item);

        let none = OrderLineItem::default();
        assert_eq!(none.pricing(), None);
        assert!(none.additional_partner_ids_on_record().is_empty());
    }
}
