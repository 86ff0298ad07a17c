//! The resources Partner Center sends and takes, as plain Rust values.
//!
//! Every type derives `Debug`, `Clone`, `PartialEq`, `Serialize` and
//! `Deserialize`. Decoding is lenient in the ways the live service needs:
//! unknown fields are ignored, `null` or absent arrays read as empty, and an
//! enum value this crate does not know is kept in an `Other` variant and
//! written back unchanged. Serializing gives the wire JSON: camelCase names,
//! enum values as the service spells them.
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
mod enums;
mod cart;
mod checkout;
mod common;
mod order;
mod provisioning;

pub use cart::{
    Cart, CartError, CartErrorCode, CartLineItem, CartLinks, CartStatus, LineItemError, NewCart,
    Participant, ParticipantType,
};
pub use checkout::{CartCheckoutResult, OrderError};
pub use common::{Attributes, Collection, CollectionLinks, Link, LinkHeader};
pub use enums::BillingCycle;
pub use order::{
    LineItemTransactionType, Order, OrderLineItem, OrderLineItemLinks, OrderLinks, OrderStatus,
    OrderTransactionType, Pricing, RenewsTo,
};
pub use provisioning::{
    OrderLineItemProvisioningStatus, ProvisioningStatus, QuantityProvisioningStatus,
};

use serde::{Deserialize, Deserializer};

/// Reads `null` as the type's default, for arrays and maps the service may
/// send as `null`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// Reads an array that may be `null` (as empty), without the spare room the
/// decoder's doubling leaves: JSON gives no length up front, so 5 elements
/// end up in room for 8. For line items, 824 bytes each and held inline, that
/// spare room was a quarter of the memory a large checkout result took.
pub(crate) fn null_as_empty_compact<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut list = Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default();
    list.shrink_to_fit();
    Ok(list)
}

/// Reads a value of an irregular field, or `None` when its shape is not the
/// one expected, so one odd field cannot fail a whole response.
pub(crate) fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).ok())
}

/// Reads an object of string values, as in `provisioningContext`. `null` or
/// a string (one field arrived as `""`) read as empty; numbers and booleans
/// are kept as their JSON text.
pub(crate) fn string_map<'de, D>(
    deserializer: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    use serde_json::Value;
    Ok(match Value::deserialize(deserializer)? {
        Value::Object(fields) => fields
            .into_iter()
            .filter_map(|(key, value)| match value {
                Value::String(text) => Some((key, text)),
                Value::Null => None,
                other => Some((key, other.to_string())),
            })
            .collect(),
        _ => Default::default(),
    })
}

/// Reads an array of strings that the documentation once typed as a single
/// string: a string becomes a one-element list, `null` an empty one.
pub(crate) fn string_or_list<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(text)) if text.is_empty() => Vec::new(),
        Some(OneOrMany::One(text)) => vec![text],
        Some(OneOrMany::Many(list)) => list,
    })
}

/// Strips a leading UTF-8 byte order mark, which some Partner Center
/// responses carry.
pub(crate) fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// Decodes a response body into `T`, after stripping a byte order mark.
///
/// # Errors
///
/// The decoder's error when the body is not JSON of the expected shape.
pub(crate) fn from_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    serde_json::from_slice(strip_bom(body))
}

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
}
