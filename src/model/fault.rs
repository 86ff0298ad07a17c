//! The error body the service documents for 4xx and 5xx responses, and its
//! codes with what to do about them.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::hints;
use super::{null_as_default, strip_bom};
use crate::text::{Escaped, SNIPPET_CHARS, snippet};

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

/// Reads an error body in whichever shape it came: the documented fault, the
/// throttling reply (`statusCode`, `message`), another JSON object with a
/// message, text or HTML, or nothing.
pub(crate) fn parse_error_body(body: &[u8]) -> (Option<ApiFault>, Option<String>) {
    let body = strip_bom(body).trim_ascii();
    if body.is_empty() {
        return (None, None);
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, Some(text_snippet(body)));
    };
    let Some(object) = value.as_object() else {
        return (None, Some(snippet(&value.to_string(), SNIPPET_CHARS)));
    };
    if let Some(fault) = fault_of(object) {
        return (Some(fault), None);
    }
    let message = object
        .get("message")
        .or_else(|| object.get("error").and_then(|error| error.get("message")))
        .or_else(|| object.get("error_description"))
        .and_then(serde_json::Value::as_str)
        .map(|text| snippet(text, 1024));
    (
        None,
        message.or_else(|| Some(snippet(&value.to_string(), SNIPPET_CHARS))),
    )
}

/// The fault an error object holds, in any of the service's shapes: `code`
/// with `description` or `message`, or `description` alone, keys in any
/// case. A `message` without a `code` is a throttling reply, not a fault.
fn fault_of(object: &serde_json::Map<String, serde_json::Value>) -> Option<ApiFault> {
    let field = |name: &str| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    };
    let code = field("code");
    let description = field("description").or_else(|| code.and(field("message")));
    if code.is_none() && description.is_none() {
        return None;
    }
    let mut fault = serde_json::Map::new();
    for (name, value) in [
        ("code", code),
        ("description", description),
        ("data", field("data")),
        ("source", field("source")),
    ] {
        if let Some(value) = value {
            fault.insert(name.to_owned(), value.clone());
        }
    }
    serde_json::from_value(serde_json::Value::Object(fault)).ok()
}

/// The readable start of a body that is not JSON: the title of an HTML page,
/// or the text with its white space folded.
fn text_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>"))
        && start + 7 <= end
    {
        return snippet(&text[start + 7..end], SNIPPET_CHARS);
    }
    snippet(&text, SNIPPET_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_every_shape() {
        let (fault, message) =
            parse_error_body(include_bytes!("../../tests/fixtures/apifault-404.json"));
        let fault = fault.unwrap();
        assert_eq!(fault.code, Some(FaultCode::Number(3000)));
        assert_eq!(fault.source.as_deref(), Some("PartnerFD"));
        assert_eq!(message, None);

        let (fault, message) =
            parse_error_body(include_bytes!("../../tests/fixtures/throttled-429.json"));
        assert_eq!(fault, None);
        assert_eq!(
            message.as_deref(),
            Some("Rate limit is exceeded. Try again in 57 seconds.")
        );

        let (fault, _) =
            parse_error_body(b"\xEF\xBB\xBF{\"code\":\"800064\",\"description\":\"busy\"}");
        assert_eq!(fault.unwrap().code, Some(FaultCode::Text("800064".into())));

        for body in [
            &br#"{"code":400072,"message":"The item is unavailable."}"#[..],
            br#"{"Code":400072,"Description":"The item is unavailable.","Source":"PartnerFD"}"#,
        ] {
            let (fault, message) = parse_error_body(body);
            let fault = fault.unwrap();
            assert_eq!(fault.code, Some(FaultCode::Number(400_072)));
            assert_eq!(
                fault.description.as_deref(),
                Some("The item is unavailable.")
            );
            assert_eq!(message, None);
        }

        let html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
        assert_eq!(
            parse_error_body(html),
            (None, Some("502 Bad Gateway".into()))
        );
        assert_eq!(parse_error_body(b""), (None, None));
        assert_eq!(parse_error_body(b"  \r\n"), (None, None));
        assert_eq!(
            parse_error_body(b"Bad\r\n  request"),
            (None, Some("Bad request".into()))
        );
        assert_eq!(parse_error_body(b"[1,2]"), (None, Some("[1,2]".into())));
        let (fault, message) = parse_error_body(br#"{"code":{"nested":true},"description":5}"#);
        assert_eq!(fault, None);
        assert!(message.is_some());
    }

    #[test]
    fn snippets_are_short_and_single_line() {
        let long = "word ".repeat(1000);
        let short = snippet(&long, 20);
        assert_eq!(short.chars().count(), 21);
        assert!(short.ends_with('…'));
        assert_eq!(snippet("a\u{0}\u{7}b\n\nc", 20), "a b c");
        assert_eq!(text_snippet(b"<title></title"), "<title></title");
        assert_eq!(text_snippet(b"</title><title>"), "</title><title>");
    }

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
