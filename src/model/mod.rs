//! The resources Partner Center sends and takes, as plain Rust values.
//!
//! Every type derives `Debug`, `Clone`, `PartialEq`, `Serialize` and
//! `Deserialize`. Serializing gives the wire JSON: camelCase names, enum
//! values as the service spells them. Fields are plain `String`s, `Vec`s,
//! `Option`s and maps. Decoding of carts, orders and checkout results is one
//! pass with no intermediate `serde_json::Value`; only fields whose shape
//! the documentation leaves open are kept as JSON.
//!
//! | Resource | Types |
//! |---|---|
//! | the catalog | [`Product`], [`Sku`], [`Availability`], listed with [`CatalogOptions`](crate::CatalogOptions) in a [`TargetView`] and a [`Segment`] |
//! | carts | [`NewCart`] to create one, [`Cart`] as the service returns it, [`CartLineItem`] and its [`CartError`] |
//! | checkout | [`CartCheckoutResult`]: the [`Order`]s made and the [`OrderError`]s of the order groups that failed |
//! | orders | [`Order`], [`OrderLineItem`], [`OrderStatus`], and an order's [`ProvisioningStatus`] |
//!
//! The five a tool always needs, [`Cart`], [`NewCart`], [`CartLineItem`],
//! [`CartCheckoutResult`] and [`BillingCycle`], live at the crate root,
//! their one path; every other model type, the IDs and [`OrderStatus`]
//! beside [`Order`] included, lives here.
//!
//! # Lenient where the service is loose
//!
//! Decoding is lenient in the ways the live service needs: unknown fields
//! are ignored, `null` or absent arrays read as empty, links and other
//! irregular parts of an odd shape read as absent, and an enum value this
//! crate does not know is kept in an `Other` variant and written back
//! unchanged (the client also skips a leading byte order mark). [`Cart`]
//! and [`CartLineItem`] keep the fields the crate does not model (such as
//! `coterminousSubscriptionId`) in `extra`, so that
//! [`Client::update_cart`](crate::Client::update_cart) sends them back
//! unchanged.
//!
//! # Quantities are `i64`
//!
//! Quantities (and line numbers) are JSON integers that the service's own
//! models type as signed `int`. They are `i64` here so that decoding never
//! fails on a value the service may send, such as a negative quantity on a
//! line that removes seats; an unsigned type would fail a whole checkout
//! result over one line. What a cart may hold is the service's to check: it
//! rejects a quantity below 1 with a clear error. [`CartLineItem::new`]
//! takes any integer that converts to `i64` losslessly (`u32`, `i32`, ...),
//! so a count needs no cast.

#[macro_use]
mod lenient;
#[macro_use]
pub(crate) mod enums;
pub(crate) mod cart;
mod catalog;
pub(crate) mod checkout;
mod common;
mod fault;
mod hints;
pub(crate) mod order;
mod provisioning;
mod request;

// Re-exported at the crate root, their one public path.
pub(crate) use cart::{Cart, CartLineItem, NewCart};
pub(crate) use checkout::CartCheckoutResult;
pub(crate) use enums::BillingCycle;

pub use crate::ids::{CartId, CustomerId, IntoId, OrderId};
pub use cart::{
    CartError, CartErrorCode, CartErrorInformation, CartLinks, CartStatus, LineItemError,
    Participant, ParticipantType,
};
pub(crate) use catalog::join_terms;
pub use catalog::{
    Availability, AvailabilityLinks, AvailabilityTerm, CancellationPolicy, Currency, OfferedTerm,
    PricingPolicy, Product, ProductLinks, ProductType, RefundOption, RenewalInstruction,
    RenewalOption, Segment, Sku, SkuLinks, SpecializedOfferProperties, TargetView, TermNotOffered,
};
pub use checkout::OrderError;
pub use common::{Attributes, Collection, CollectionLinks, Link, LinkHeader, LinkMethod};
pub(crate) use fault::parse_error_body;
pub use fault::{ApiFault, FaultCode};
pub(crate) use hints::MFA_REQUIRED;
pub(crate) use lenient::{
    from_body, integer_or_numeric_string, null_as_default, null_as_empty_exact, number_or_none,
    object_or_default, object_or_none, object_or_objects, objects_or_empty, one_object_or_none,
    string_map, string_or_empty, string_or_list, string_or_none, strip_bom, text_or_none,
};
pub(crate) use order::describe_pending;
pub use order::{
    LineItemTransactionType, Order, OrderLineItem, OrderLineItemLinks, OrderLinks, OrderStatus,
    OrderTransactionType, Pricing, PurchaseCommitment, RenewsTo,
};
pub use provisioning::{
    OrderLineItemProvisioningStatus, ProvisioningStatus, QuantityProvisioningStatus,
};
pub use request::{LineRequest, LineRequestError};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_items_hold_no_spare_room() {
        let items: Vec<String> = (0..5)
            .map(|n| format!(r#"{{"lineItemNumber": {n}}}"#))
            .collect();
        let body = format!(r#"{{"id": "o1", "lineItems": [{}]}}"#, items.join(","));
        let order: Order = from_body(body.as_bytes()).unwrap();
        assert_eq!(order.line_items.len(), 5);
        assert_eq!(order.line_items.capacity(), 5);
        let order: Order = from_body(br#"{"id": "o1", "lineItems": null}"#).unwrap();
        assert!(order.line_items.is_empty());
    }

    /// Text a hostile server could send: line breaks that forge a log line,
    /// terminal escapes, and characters that reorder or hide text.
    const HOSTILE: &str = "a\r\nINFO paid\u{1b}[2K\u{2028}b\u{202e}c\u{200f}\u{2066}\u{85}";

    /// Checks that `shown` holds the hostile text only escaped.
    #[track_caller]
    fn assert_escaped(shown: &str) {
        assert!(!shown.contains(crate::text::is_unsafe), "{shown:?}");
        assert!(
            shown.contains(&crate::text::Escaped(HOSTILE).to_string()),
            "{shown:?}"
        );
    }

    #[test]
    fn every_model_shows_server_text_escaped() {
        assert_escaped(&BillingCycle::from_wire(HOSTILE).to_string());
        assert_escaped(&CartStatus::from_wire(HOSTILE).to_string());
        assert_escaped(&ParticipantType::from_wire(HOSTILE).to_string());
        assert_escaped(&Segment::from_wire(HOSTILE).to_string());
        assert_escaped(&OrderStatus::from_wire(HOSTILE).to_string());
        assert_escaped(&OrderTransactionType::from_wire(HOSTILE).to_string());
        assert_escaped(&LineItemTransactionType::from_wire(HOSTILE).to_string());
        assert_escaped(&ProvisioningStatus::from_wire(HOSTILE).to_string());

        let group: OrderError = serde_json::from_value(serde_json::json!({
            "orderGroupId": HOSTILE,
            "code": HOSTILE,
            "description": HOSTILE,
        }))
        .unwrap();
        let shown = group.to_string();
        assert_escaped(&shown);
        assert_eq!(
            shown
                .matches(&crate::text::Escaped(HOSTILE).to_string())
                .count(),
            3,
            "{shown}"
        );
    }
}
