//! The lenient decoding the live service needs: `null` or an odd shape
//! read as absent or empty, numbers sent as strings, text kept as JSON, a
//! byte order mark skipped.

/// Defines a visitor's methods for every JSON shape but objects and arrays,
/// each giving `$value` (an expression of the visitor's value type), with
/// `null` and `Some` read through. `but strings` leaves `visit_str` out, for
/// the visitor to define.
macro_rules! other_shapes_read_as {
    ($value:expr) => {
        other_shapes_read_as!($value, but strings);

        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    ($value:expr, but strings) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_any(self)
        }
    };
}

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
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

/// Reads an array that may be `null` (as empty), without the spare room
/// the decoder's doubling leaves: JSON gives no length up front, so 5 line
/// items end up in room for 8, which for the line items of a large checkout
/// result is a third of its decoded size. Shrinking gives the room back;
/// glibc's allocator does it in place, without a copy.
pub(crate) fn null_as_empty_exact<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut list: Vec<T> = null_as_default(deserializer)?;
    list.shrink_to_fit();
    Ok(list)
}

/// Reads and drops the rest of an array.
fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Reads and drops the rest of an object.
fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A value read from an object, or `None` for any other shape (`null`, a
/// string, a number, an array), which is skipped in the same pass: for links
/// and other parts that must not fail a whole response for being odd. The
/// object itself goes to `T`'s own `Deserialize`, so its fields decide how
/// lenient it is.
pub(crate) fn object_or_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(ObjectOrNone(PhantomData))
}

struct ObjectOrNone<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOrNone<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object, or any other value read as absent")
    }

    other_shapes_read_as!(None);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|()| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }
}

/// Like [`object_or_none`], with anything but an object read as the default.
pub(crate) fn object_or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    object_or_none(deserializer).map(Option::unwrap_or_default)
}

/// An element of [`objects_or_empty`]: an object, or `None` for anything
/// else.
struct ObjectElement<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectElement<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        object_or_none(deserializer).map(ObjectElement)
    }
}

/// The objects of an array, each read by `T`; elements of other shapes are
/// skipped, and anything but an array reads as empty. In one pass.
pub(crate) fn objects_or_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(Objects {
        lone_object: false,
        marker: PhantomData,
    })
}

/// Like [`objects_or_empty`], with a lone object read as a list of one: for
/// fields the documentation types as an array and the service sends as one
/// object.
pub(crate) fn object_or_objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(Objects {
        lone_object: true,
        marker: PhantomData,
    })
}

/// One object, whether sent alone or as the first object of an array (the
/// documentation types `renewsTo` as an array; the service sends one
/// object); any other shape reads as `None`.
pub(crate) fn one_object_or_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    object_or_objects(deserializer).map(|list: Vec<T>| list.into_iter().next())
}

/// Reads the objects of an array, and a lone object as one when asked to.
struct Objects<T> {
    lone_object: bool,
    marker: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Objects<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects, or any other value read as empty")
    }

    other_shapes_read_as!(Vec::new());

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut list = Vec::new();
        while let Some(ObjectElement(element)) = seq.next_element()? {
            list.extend(element);
        }
        Ok(list)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        if self.lone_object {
            T::deserialize(MapAccessDeserializer::new(map)).map(|object| vec![object])
        } else {
            skip_map(map).map(|()| Vec::new())
        }
    }
}

/// A string, as a `String` or an open enum, or `None` for any other shape,
/// skipped in the same pass.
pub(crate) fn string_or_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str> + From<String>,
{
    struct Text<T>(PhantomData<T>);

    impl<'de, T: for<'a> From<&'a str> + From<String>> Visitor<'de> for Text<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, or any other value read as absent")
        }

        other_shapes_read_as!(None, but strings);

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(Some(T::from(text)))
        }

        fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
            Ok(Some(T::from(text)))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| None)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map).map(|()| None)
        }
    }

    deserializer.deserialize_any(Text(PhantomData))
}

/// A number, or a string that parses as one (amounts are sometimes sent as
/// `"0.001"`); `None` for anything else, skipped in the same pass.
pub(crate) fn number_or_none<'de, D>(deserializer: D) -> Result<Option<f64>, D::Error>
where
    D: Deserializer<'de>,
{
    struct Number;

    impl<'de> Visitor<'de> for Number {
        type Value = Option<f64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, or any other value read as absent")
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(Some(value as f64))
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(Some(value as f64))
        }

        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
            Ok(Some(value))
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(text
                .trim()
                .parse()
                .ok()
                .filter(|value: &f64| value.is_finite()))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_any(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| None)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map).map(|()| None)
        }
    }

    deserializer.deserialize_any(Number)
}

/// An integer, sent as a number or as a string of digits (the documentation
/// types line item IDs as strings, the examples send numbers). Anything else
/// is an error that names what was expected.
pub(crate) fn integer_or_numeric_string<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    struct Integer;

    impl Visitor<'_> for Integer {
        type Value = i64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer, as a number or a string of digits")
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
            Ok(value)
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
            i64::try_from(value).map_err(|_| E::custom("an integer too large for an i64"))
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<i64, E> {
            // The text is not echoed: it came from a server.
            text.trim()
                .parse()
                .map_err(|_| E::custom("a string that is not an integer"))
        }
    }

    deserializer.deserialize_any(Integer)
}

/// A string, or empty for any other shape, skipped in the same pass.
pub(crate) fn string_or_empty<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    string_or_none(deserializer).map(Option::unwrap_or_default)
}

/// Reads an object of string values, as in `provisioningContext`. `null`, a
/// string (one field arrived as `""`) or any other shape reads as empty;
/// `null` values are left out, and other values are kept as their JSON text.
/// In one pass.
pub(crate) fn string_map<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    struct Entries;

    impl<'de> Visitor<'de> for Entries {
        type Value = BTreeMap<String, String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of strings, or any other value read as empty")
        }

        other_shapes_read_as!(BTreeMap::new());

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| BTreeMap::new())
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if let JsonText(Some(text)) = map.next_value()? {
                    entries.insert(key, text);
                }
            }
            Ok(entries)
        }
    }

    deserializer.deserialize_any(Entries)
}

/// Any value as text: a string as it is, `null` as `None`, anything else as
/// compact JSON; for fields documented as strings that may come as numbers.
pub(crate) fn text_or_none<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    JsonText::deserialize(deserializer).map(|JsonText(text)| text)
}

/// Any JSON value as text: a string as it is, `null` as `None`, anything
/// else as compact JSON, written as it is read.
struct JsonText(Option<String>);

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonTextVisitor).map(JsonText)
    }
}

/// Any JSON value written back as compact JSON.
struct Json(String);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor).map(Json)
    }
}

/// Writes any JSON value back as compact JSON as it reads it.
struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<String, E> {
        Ok(serde_json::Number::from_f64(value)
            .map_or_else(|| "null".to_owned(), |number| number.to_string()))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<String, E> {
        serde_json::to_string(text).map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok("null".to_owned())
    }

    fn visit_none<E: de::Error>(self) -> Result<String, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<String, A::Error> {
        let mut text = String::from("[");
        while let Some(Json(element)) = seq.next_element()? {
            if text.len() > 1 {
                text.push(',');
            }
            text.push_str(&element);
        }
        text.push(']');
        Ok(text)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
        let mut text = String::from("{");
        while let Some(key) = map.next_key::<String>()? {
            let Json(value) = map.next_value()?;
            if text.len() > 1 {
                text.push(',');
            }
            text.push_str(&serde_json::to_string(&key).map_err(de::Error::custom)?);
            text.push(':');
            text.push_str(&value);
        }
        text.push('}');
        Ok(text)
    }
}

struct JsonTextVisitor;

impl<'de> Visitor<'de> for JsonTextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        JsonVisitor.visit_bool(value).map(Some)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        JsonVisitor.visit_i64(value).map(Some)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        JsonVisitor.visit_u64(value).map(Some)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        JsonVisitor.visit_f64(value).map(Some)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Some(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Some(text))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        JsonVisitor.visit_seq(seq).map(Some)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        JsonVisitor.visit_map(map).map(Some)
    }
}

/// Reads an array of strings that the documentation once typed as a single
/// string: a string becomes a one-element list (none if empty), `null` an
/// empty one. In one pass; other shapes are an error.
pub(crate) fn string_or_list<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    struct OneOrMany;

    impl<'de> Visitor<'de> for OneOrMany {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or an array of strings")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            self.visit_string(text.to_owned())
        }

        fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
            Ok(if text.is_empty() {
                Vec::new()
            } else {
                vec![text]
            })
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_any(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Vec::deserialize(SeqAccessDeserializer::new(seq))
        }
    }

    deserializer.deserialize_any(OneOrMany)
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
