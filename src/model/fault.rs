//! The error body the service documents for 4xx and 5xx responses, and its
//! codes with what to do about them.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::hints;
use super::null_as_default;
use crate::text::Escaped;

/// The error body Partner Center documents for 4xx and 5xx responses.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiFault {
    /// The service's error code, such as `800060`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<FaultCode>,
    /// What went wrong, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Extra data: strings (such as a URL) or objects.
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<serde_json::Value>,
    /// The service component that raised it, such as `PartnerFD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A service error code. The documentation calls it a string; the service
/// sends a number. Both are kept as they came.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FaultCode {
    /// A numeric code, such as `800060`.
    Number(i64),
    /// A code sent as a string.
    Text(String),
}

// It reads any shape itself, so the footprint's check of decoded types does
// not see a number or string become one: as an array element it is charged
// as a scalar, which it must fit.
const _: () = assert!(
    std::mem::size_of::<FaultCode>() as u64 <= crate::footprint::SCALAR_BYTES,
    "FaultCode is larger than an array element read from a number or string may be"
);

impl FaultCode {
    /// The code as a number, parsing a string code if it holds one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            FaultCode::Number(n) => Some(*n),
            FaultCode::Text(text) => text.trim().parse().ok(),
        }
    }

    /// What to do about this code, for the codes whose fix is not obvious
    /// from their description, such as 800074 (the customer's account is
    /// under review: retry in days, not seconds), 900329 (the endpoint
    /// refuses app-only tokens) or 900421 (an App+User token without
    /// multi-factor authentication, refused since April 2026).
    ///
    /// ```
    /// use partner_center_cart::model::FaultCode;
    ///
    /// assert!(FaultCode::Number(900_329).hint().unwrap().contains("App+User"));
    /// assert!(FaultCode::Number(900_421).hint().unwrap().contains("MFA"));
    /// assert_eq!(FaultCode::Number(800_002).hint(), None);
    /// ```
    pub fn hint(&self) -> Option<&'static str> {
        self.as_i64().and_then(hints::for_code)
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultCode::Number(n) => write!(f, "{n}"),
            FaultCode::Text(text) => write!(f, "{}", Escaped(text)),
        }
    }
}

impl Serialize for FaultCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            FaultCode::Number(n) => serializer.serialize_i64(*n),
            FaultCode::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for FaultCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;

        impl Visitor<'_> for CodeVisitor {
            type Value = FaultCode;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error code as a number or a string")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FaultCode, E> {
                Ok(FaultCode::Number(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FaultCode, E> {
                Ok(i64::try_from(v)
                    .map_or_else(|_| FaultCode::Text(v.to_string()), FaultCode::Number))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FaultCode, E> {
                Ok(FaultCode::Text(v.to_string()))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<FaultCode, E> {
                Ok(FaultCode::Text(v.to_owned()))
            }
        }

        deserializer.deserialize_any(CodeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_code_reads_numbers_and_strings() {
        let fault: ApiFault =
            serde_json::from_str(r#"{"code":800060,"description":"busy","data":null}"#).unwrap();
        assert_eq!(fault.code, Some(FaultCode::Number(800060)));
        assert!(fault.data.is_empty());
        let fault: ApiFault = serde_json::from_str(r#"{"code":"800064"}"#).unwrap();
        assert_eq!(
            fault.code.as_ref().and_then(FaultCode::as_i64),
            Some(800064)
        );
        assert_eq!(fault.description, None);
    }
}
