//! Recognising a fault that Partner Center sent with a success status.
//!
//! The error-code table pairs code 400072 ("the item is unavailable") with
//! HTTP 200, so a 2xx body can be an `ApiFault`. Decoded as the resource
//! asked for, it would read as an empty result (no orders, a cart with no
//! ID) and the failure would be lost. A success body is a fault when it is
//! an object with `code` and a `description` or `message` (keys in any
//! case, as the service's faults come in several shapes) and none of the
//! resource's own fields. A resource field counts only as the decoder spells
//! it: a key such as `Orders`, which the decoder would skip, does not make a
//! fault a resource.
//!
//! The probe reads only as far as it must: it stops at the first key that
//! is one of the resource's fields, which for the resources the service
//! sends is the first key, so a large checkout result or order list costs
//! it nothing but that key. The field names come from the derived
//! `Deserialize`; a type that keeps unknown fields with `#[serde(flatten)]`
//! (`Cart`, `CartLineItem`) does not declare them, so its body is read to
//! the end, which costs little on a body as small as a cart's.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use crate::model::strip_bom;

/// Whether a success body meant for a `T` is a fault instead.
pub(crate) fn is_fault<T: DeserializeOwned>(body: &[u8]) -> bool {
    let fields = field_names::<T>();
    let mut deserializer = serde_json::Deserializer::from_slice(strip_bom(body));
    // Stopping early leaves the object unfinished, which the JSON reader
    // reports as an error: every error means "not a fault" here, and the
    // real decode reports what is wrong with the body. A fault must also
    // be the whole body: trailing bytes make it a body that cannot be read.
    de::Deserializer::deserialize_any(&mut deserializer, Probe { fields }).unwrap_or(false)
        && deserializer.end().is_ok()
}

/// Whether `T` decodes as a plain struct, reading a body as it goes. A type
/// that declares no fields, such as a struct with a flattened part, may
/// first buffer the whole body in the decoder's own tree.
pub(crate) fn declares_fields<T: DeserializeOwned>() -> bool {
    !field_names::<T>().is_empty()
}

/// The field names a derived `Deserialize` declares for `T`, or none when
/// `T` is not decoded as a plain struct.
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut names = FieldNames(&[]);
    // The derived code hands its field list to `deserialize_struct` and
    // gets an error back at once; nothing is decoded.
    let _ = T::deserialize(&mut names);
    names.0
}

/// A deserializer that only records the field names it is asked for.
struct FieldNames(&'static [&'static str]);

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("field names only"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields;
        Err(de::Error::custom("field names only"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Reads the top-level keys of a body until it knows whether it is a fault.
struct Probe {
    fields: &'static [&'static str],
}

/// What a top-level key is.
#[derive(PartialEq, Eq)]
enum Key {
    /// One of the resource's fields: the body is the resource.
    Resource,
    Code,
    /// `description` or `message`: what the fault says.
    Description,
    /// `attributes`, which faults and resources alike may carry, or a key
    /// neither knows.
    Other,
}

impl<'de> Visitor<'de> for Probe {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let (mut code, mut description) = (false, false);
        while let Some(key) = map.next_key_seed(KeySeed(self.fields))? {
            match key {
                Key::Resource => return Ok(false),
                Key::Code => code = true,
                Key::Description => description = true,
                Key::Other => {}
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(code && description)
    }
}

struct KeySeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(if key.eq_ignore_ascii_case("code") {
            Key::Code
        } else if key.eq_ignore_ascii_case("description") || key.eq_ignore_ascii_case("message") {
            Key::Description
        } else if key.eq_ignore_ascii_case("attributes") {
            Key::Other
        } else if self.0.contains(&key) {
            Key::Resource
        } else {
            Key::Other
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cart, CartCheckoutResult, Collection, Order};

    const FAULT: &[u8] =
        br#"{"code": 400072, "description": "The item is unavailable.", "data": [], "source": "PartnerFD"}"#;

    #[test]
    fn a_fault_is_recognised_for_every_resource() {
        assert!(is_fault::<CartCheckoutResult>(FAULT));
        assert!(is_fault::<Cart>(FAULT));
        assert!(is_fault::<Order>(FAULT));
        assert!(is_fault::<Collection<Order>>(FAULT));
        let with_bom_and_attributes = b"\xEF\xBB\xBF{\"attributes\": {\"objectType\": \"ApiFault\"}, \"Description\": \"x\", \"code\": \"400072\", \"traceId\": 1}";
        assert!(is_fault::<CartCheckoutResult>(with_bom_and_attributes));
    }

    #[test]
    fn a_fault_with_a_message_or_in_another_case_is_recognised() {
        for body in [
            &br#"{"code": 400072, "message": "The item is unavailable."}"#[..],
            br#"{"Code": "400072", "Message": "The item is unavailable."}"#,
            br#"{"CODE": 400072, "DESCRIPTION": "x"}"#,
            // The decoder would skip `Orders`, so the body would read as a
            // result with no orders: it is still the fault.
            br#"{"Orders": [], "code": 400072, "description": "x"}"#,
            br#"{"code": 400072, "description": "x", "OrderErrors": []}"#,
        ] {
            assert!(is_fault::<CartCheckoutResult>(body), "{body:?}");
            assert!(is_fault::<Collection<Order>>(body), "{body:?}");
            assert!(is_fault::<Cart>(body), "{body:?}");
        }
        assert!(!is_fault::<CartCheckoutResult>(
            br#"{"code": 1, "message": "x", "orders": []}"#
        ));
        assert!(!is_fault::<Cart>(br#"{"message": "x"}"#));
    }

    #[test]
    fn resources_and_other_bodies_are_not_faults() {
        let checkout = include_bytes!("../../tests/fixtures/checkout-doc-example.json");
        assert!(!is_fault::<CartCheckoutResult>(checkout));
        // A resource with a code and a description of its own is still the
        // resource.
        assert!(!is_fault::<CartCheckoutResult>(
            br#"{"code": 1, "description": "x", "orders": []}"#
        ));
        assert!(!is_fault::<Order>(
            br#"{"id": "o1", "code": 1, "description": "x"}"#
        ));
        for body in [
            &b"{}"[..],
            b"",
            b"[]",
            b"null",
            b"{\"code\": 1}",
            b"{\"description\": \"x\"}",
            b"{\"code\": 1, \"description\": ",
            b"not json",
            b"{\"code\": 1, \"description\": \"x\"} trailing",
        ] {
            assert!(!is_fault::<CartCheckoutResult>(body), "{body:?}");
        }
    }

    #[test]
    fn field_names_come_from_the_derived_code() {
        let names = field_names::<CartCheckoutResult>();
        assert!(
            names.contains(&"orders") && names.contains(&"orderErrors"),
            "{names:?}"
        );
        assert!(field_names::<Order>().contains(&"lineItems"));
        assert!(field_names::<Vec<Order>>().is_empty());
        // A flattened struct declares no names; the probe then reads the
        // whole body and goes by `code` and `description` alone.
        assert!(field_names::<Cart>().is_empty());
        assert!(!declares_fields::<Cart>());
        assert!(declares_fields::<Collection<Order>>());
    }
}
