//! Typed identifiers for the resources in request paths.
//!
//! Customer and cart IDs are GUIDs; order IDs are opaque strings. Each type
//! checks its value when it is made, so a bad ID is refused before any
//! network traffic, and every ID that reaches a URL is safe in a path segment.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::encoding::is_unreserved;

/// The longest ID text that is quoted back in an error message.
const MAX_QUOTED: usize = 64;

/// Converts a value into a typed ID, checking it on the way.
///
/// Implemented for `&str`, `String`, `&String` and [`Uuid`] (for GUID IDs),
/// and for each ID type itself, so the client's methods take whichever the
/// caller has at hand.
pub trait IntoId<T> {
    /// Checks the value and converts it.
    ///
    /// # Errors
    ///
    /// [`InvalidId`] when the value is not a valid ID of this kind.
    fn into_id(self) -> Result<T, InvalidId>;
}

/// An ID refused before any network traffic; `?` turns it into
/// [`Error::InvalidId`](crate::Error::InvalidId), with the same fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {reason}")]
pub struct InvalidId {
    /// Which ID, such as `"cart ID"`.
    pub kind: &'static str,
    /// The value given, shortened when long.
    pub value: String,
    /// Why it was refused.
    pub reason: &'static str,
}

fn invalid(kind: &'static str, value: &str, reason: &'static str) -> InvalidId {
    let mut quoted: String = value.chars().take(MAX_QUOTED).collect();
    if quoted.len() < value.len() {
        quoted.push('…');
    }
    InvalidId {
        kind,
        value: quoted,
        reason,
    }
}

/// Parses a GUID in its usual text forms: hyphenated (the wire form), with or
/// without braces, or as 32 hex digits.
fn parse_guid(kind: &'static str, value: &str) -> Result<Uuid, InvalidId> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid(kind, value, "it is empty"));
    }
    // `Uuid::try_parse` also takes the `urn:uuid:` form, which has no place in a path.
    if trimmed.len() > 38 {
        return Err(invalid(kind, value, "it is not a GUID"));
    }
    Uuid::try_parse(trimmed).map_err(|_| invalid(kind, value, "it is not a GUID"))
}

macro_rules! guid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a GUID.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The GUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, InvalidId> {
                parse_guid($kind, s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl IntoId<$name> for $name {
            fn into_id(self) -> Result<$name, InvalidId> {
                Ok(self)
            }
        }

        impl IntoId<$name> for &$name {
            fn into_id(self) -> Result<$name, InvalidId> {
                Ok(*self)
            }
        }

        impl IntoId<$name> for Uuid {
            fn into_id(self) -> Result<$name, InvalidId> {
                Ok($name(self))
            }
        }

        impl IntoId<$name> for &str {
            fn into_id(self) -> Result<$name, InvalidId> {
                self.parse()
            }
        }

        impl IntoId<$name> for String {
            fn into_id(self) -> Result<$name, InvalidId> {
                self.parse()
            }
        }

        impl IntoId<$name> for &String {
            fn into_id(self) -> Result<$name, InvalidId> {
                self.parse()
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Uuid::deserialize(deserializer).map(Self)
            }
        }
    };
}

guid_id!(
    /// A customer's ID: the Microsoft ID of the customer, which is its Entra
    /// tenant ID. Always a GUID.
    CustomerId,
    "customer ID"
);

guid_id!(
    /// A cart's ID, assigned by Partner Center when the cart is created.
    /// Always a GUID.
    CartId,
    "cart ID"
);

/// An order's ID.
///
/// Order IDs are opaque strings such as `311qiN8iFwkv-XARWMvXRYAwYKMACVqv1`,
/// not GUIDs. Parsing one accepts only characters that are safe in a URL path
/// segment unencoded (ASCII letters, digits, `-`, `.`, `_` and `~`), and at
/// most 128 of them, so an order ID can never change the path it is put in.
/// Order IDs inside decoded responses are kept as the service sent them.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    /// The longest order ID accepted in a request path.
    pub const MAX_LEN: usize = 128;

    /// Wraps an ID made by the crate itself.
    #[cfg(feature = "fake")]
    pub(crate) fn new_unchecked(id: String) -> Self {
        OrderId(id)
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks that this ID is safe to put in a request path.
    pub(crate) fn check_path_safe(&self) -> Result<(), InvalidId> {
        check_path_segment("order ID", &self.0)
    }
}

/// Checks that an opaque ID (an order, product, SKU or availability ID) is
/// safe in a URL path segment unencoded: ASCII letters, digits, `-`, `.`,
/// `_` and `~`, at most [`OrderId::MAX_LEN`] of them, and not `.` or `..`.
pub(crate) fn check_path_segment(kind: &'static str, value: &str) -> Result<(), InvalidId> {
    if value.is_empty() {
        return Err(invalid(kind, value, "it is empty"));
    }
    if value.len() > OrderId::MAX_LEN {
        return Err(invalid(kind, value, "it is longer than 128 characters"));
    }
    if value == "." || value == ".." {
        return Err(invalid(kind, value, "it is a relative path segment"));
    }
    if !value.bytes().all(is_unreserved) {
        return Err(invalid(
            kind,
            value,
            "it contains characters other than letters, digits, '-', '.', '_' and '~'",
        ));
    }
    Ok(())
}

impl fmt::Debug for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderId({:?})", self.0)
    }
}

/// The ID as text, with any control character escaped: an order ID comes
/// from the service, and a path-safe one shows unchanged.
impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&crate::text::Escaped(&self.0), f)
    }
}

impl FromStr for OrderId {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, InvalidId> {
        let id = OrderId(s.to_owned());
        id.check_path_safe()?;
        Ok(id)
    }
}

impl AsRef<str> for OrderId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl IntoId<OrderId> for OrderId {
    fn into_id(self) -> Result<OrderId, InvalidId> {
        self.check_path_safe()?;
        Ok(self)
    }
}

impl IntoId<OrderId> for &OrderId {
    fn into_id(self) -> Result<OrderId, InvalidId> {
        self.clone().into_id()
    }
}

impl IntoId<OrderId> for &str {
    fn into_id(self) -> Result<OrderId, InvalidId> {
        self.parse()
    }
}

impl IntoId<OrderId> for String {
    fn into_id(self) -> Result<OrderId, InvalidId> {
        OrderId(self).into_id()
    }
}

impl IntoId<OrderId> for &String {
    fn into_id(self) -> Result<OrderId, InvalidId> {
        self.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_forms_are_accepted_and_displayed_hyphenated() {
        let forms = [
            "28045616-f6b9-462f-9701-0d89b5e65c44",
            "28045616-F6B9-462F-9701-0D89B5E65C44",
            "{28045616-f6b9-462f-9701-0d89b5e65c44}",
            "28045616f6b9462f97010d89b5e65c44",
            " 28045616-f6b9-462f-9701-0d89b5e65c44 ",
        ];
        for form in forms {
            let id: CustomerId = form.parse().unwrap();
            assert_eq!(id.to_string(), "28045616-f6b9-462f-9701-0d89b5e65c44");
        }
    }

    #[test]
    fn non_guids_are_refused_with_the_kind_and_reason() {
        for bad in [
            "",
            "   ",
            "not-a-guid",
            "28045616-f6b9-462f-9701-0d89b5e65c4",
            "../carts",
            "urn:uuid:28045616-f6b9-462f-9701-0d89b5e65c44",
        ] {
            let err = bad.parse::<CartId>().unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with("invalid cart ID"), "{text}");
            assert!(matches!(
                err,
                InvalidId {
                    kind: "cart ID",
                    ..
                }
            ));
        }
    }

    #[test]
    fn long_bad_ids_are_quoted_shortened() {
        let long = "x".repeat(10_000);
        let err = long.parse::<CustomerId>().unwrap_err();
        assert!(err.to_string().len() < 200, "{err}");
    }

    #[test]
    fn order_ids_must_be_path_safe() {
        for good in [
            "311qiN8iFwkv-XARWMvXRYAwYKMACVqv1",
            "a.b_c~d",
            "0a3624c6e47d",
        ] {
            assert_eq!(good.parse::<OrderId>().unwrap().as_str(), good);
        }
        let too_long = "a".repeat(129);
        for bad in [
            "", ".", "..", "a/b", "a?b", "a b", "a%2Fb", "ä", "a\r\nb", &too_long,
        ] {
            let err = bad.parse::<OrderId>().unwrap_err();
            assert!(
                matches!(
                    err,
                    InvalidId {
                        kind: "order ID",
                        ..
                    }
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ids_serialize_as_plain_strings() {
        let id: CartId = "3655B1A0-B1C9-4268-9824-577FDBC4D0BE".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"3655b1a0-b1c9-4268-9824-577fdbc4d0be\"");
        assert_eq!(serde_json::from_str::<CartId>(&json).unwrap(), id);
        let order: OrderId = serde_json::from_str("\"any thing\"").unwrap();
        assert_eq!(order.as_str(), "any thing");
    }
}
