//! The encodings URLs and tokens use: percent-encoding (RFC 3986) and
//! base64url (RFC 4648 §5), through the crates ureq already depends on.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub(crate) mod base64url;
pub(crate) mod sha256;

/// The bytes [`push_percent_encoded`] escapes: all but the unreserved
/// characters of RFC 3986 (non-ASCII bytes are always escaped).
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Whether a byte stands for itself in a URL: an unreserved character of
/// RFC 3986 (ASCII letters, digits, `-`, `.`, `_` and `~`).
pub(crate) fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Appends `text` to `out` percent-encoded: every byte but the unreserved
/// ones as `%XX`, in upper-case hex.
pub(crate) fn push_percent_encoded(out: &mut String, text: &str) {
    out.extend(utf8_percent_encode(text, RESERVED));
}

/// Percent-encodes a query value: everything but the unreserved characters.
pub(crate) fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, RESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_escapes_all_but_the_unreserved() {
        let mut out = String::new();
        push_percent_encoded(&mut out, "a-Z_0.9~ /?#&=+%é\u{7f}");
        assert_eq!(out, "a-Z_0.9~%20%2F%3F%23%26%3D%2B%25%C3%A9%7F");
        // The predicate the ID checks use agrees with the encoder.
        for byte in 0..=0x7f_u8 {
            let text = char::from(byte).to_string();
            let mut out = String::new();
            push_percent_encoded(&mut out, &text);
            assert_eq!(out == text, is_unreserved(byte), "{byte:#04x}");
        }
    }
}
