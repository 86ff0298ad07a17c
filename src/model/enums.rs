//! Open enumerations: known values as variants, anything else kept as sent.

/// Compares a wire value with a known spelling, ignoring ASCII case and
/// the separators `_`, `-` and space, so that `one_time`, `OneTime`,
/// `one-time` and `one time` all match.
pub(crate) fn loose_eq(value: &str, known: &str) -> bool {
    let is_letter = |b: &u8| !matches!(b, b'_' | b'-' | b' ');
    let mut value = value.bytes().filter(is_letter);
    let mut known = known.bytes().filter(is_letter);
    loop {
        match (value.next(), known.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(&b) => {}
            _ => return false,
        }
    }
}

/// Defines an open string enumeration.
///
/// Each variant names its usual wire spelling. Decoding tries the exact
/// spellings first (the fast path), then the same spellings ignoring case and
/// the separators `_`, `-` and space; anything else lands in `Other` with the text as sent, and is
/// written back unchanged.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept as the
            /// service sent it.
            Other(String),
        }

        // It reads any shape itself (`deserialize_any`), so the footprint's
        // check of decoded types does not see a string become one: an
        // array of them is charged as scalars, which it must fit.
        const _: () = assert!(
            ::std::mem::size_of::<$name>() as u64 <= crate::footprint::SCALAR_BYTES,
            concat!(stringify!($name), " is larger than an array element read from a string may be")
        );

        impl $name {
            /// The value as it goes on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(text) => text,
                }
            }

            /// Reads a wire value; never fails.
            pub fn from_wire(text: &str) -> Self {
                Self::known(text).unwrap_or_else(|| $name::Other(text.to_owned()))
            }

            fn known(text: &str) -> Option<Self> {
                match text {
                    $( $wire => return Some($name::$variant), )+
                    _ => {}
                }
                $(
                    if $crate::model::enums::loose_eq(text, $wire) {
                        return Some($name::$variant);
                    }
                )+
                None
            }
        }

        /// The wire value; one the crate does not know is the service's
        /// text, so it shows escaped.
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&$crate::text::Escaped(self.as_str()), f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_wire(text))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::from_wire(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self::known(&text).unwrap_or($name::Other(text))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct WireVisitor;

                impl ::serde::de::Visitor<'_> for WireVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " string"))
                    }

                    fn visit_str<E: ::serde::de::Error>(self, text: &str) -> Result<$name, E> {
                        Ok($name::from_wire(text))
                    }

                    fn visit_string<E: ::serde::de::Error>(self, text: String) -> Result<$name, E> {
                        Ok($name::known(&text).unwrap_or($name::Other(text)))
                    }

                    fn visit_i64<E: ::serde::de::Error>(self, number: i64) -> Result<$name, E> {
                        Ok($name::Other(number.to_string()))
                    }

                    fn visit_u64<E: ::serde::de::Error>(self, number: u64) -> Result<$name, E> {
                        Ok($name::Other(number.to_string()))
                    }
                }

                deserializer.deserialize_any(WireVisitor)
            }
        }
    };
}

wire_enum! {
    /// How often a line item or order is billed (`BillingCycleType`).
    pub enum BillingCycle {
        /// `unknown`.
        Unknown = "unknown",
        /// `monthly`.
        Monthly = "monthly",
        /// `annual`.
        Annual = "annual",
        /// `none`: no billing cycle, as for some trials and usage offers.
        None = "none",
        /// `one_time`: billed once, as for reserved instances and software.
        OneTime = "one_time",
        /// `triennial`.
        Triennial = "triennial",
        /// `biennial`.
        Biennial = "biennial",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_match_ignores_case_and_separators_only() {
        assert!(loose_eq("one_time", "one_time"));
        assert!(loose_eq("OneTime", "one_time"));
        assert!(loose_eq("ONETIME", "one_time"));
        assert!(loose_eq("one-time", "one_time"));
        assert!(loose_eq("One Time", "one_time"));
        assert!(!loose_eq("one.time", "one_time"));
        assert!(!loose_eq("one_times", "one_time"));
        assert!(!loose_eq("", "none"));
    }

    #[test]
    fn known_values_and_spellings() {
        assert_eq!(BillingCycle::from_wire("monthly"), BillingCycle::Monthly);
        assert_eq!(BillingCycle::from_wire("Monthly"), BillingCycle::Monthly);
        assert_eq!(BillingCycle::from_wire("onetime"), BillingCycle::OneTime);
        assert_eq!(BillingCycle::OneTime.to_string(), "one_time");
    }

    #[test]
    fn unknown_values_round_trip_unchanged() {
        let cycle: BillingCycle = serde_json::from_str("\"quadrennial\"").unwrap();
        assert_eq!(cycle, BillingCycle::Other("quadrennial".into()));
        assert_eq!(serde_json::to_string(&cycle).unwrap(), "\"quadrennial\"");
        let cycle: BillingCycle = serde_json::from_str("4").unwrap();
        assert_eq!(cycle, BillingCycle::Other("4".into()));
        assert!(serde_json::from_str::<BillingCycle>("{}").is_err());
    }
}
