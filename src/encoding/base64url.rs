//! Base64url (RFC 4648 §5), the encoding of JWT segments, without padding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Decodes base64url text; `None` when it holds a character outside the
/// alphabet, has a length no encoding gives, or leaves stray bits set.
/// Trailing `=` padding is accepted.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// Encodes bytes as base64url without padding.
#[cfg(any(test, feature = "fake"))]
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_values() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"f"), "Zg");
        assert_eq!(encode(b"fo"), "Zm8");
        assert_eq!(encode(b"foo"), "Zm9v");
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode("Zm9vYg").as_deref(), Some(&b"foob"[..]));
        assert_eq!(decode("Zm9vYg==").as_deref(), Some(&b"foob"[..]));
        assert_eq!(decode("Zm9vYg=").as_deref(), Some(&b"foob"[..]));
        assert_eq!(decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(decode("").as_deref(), Some(&[][..]));
        for len in 0..64 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }
    }

    #[test]
    fn refuses_what_is_not_base64url() {
        for bad in [
            "Z", "Zm9vY", "Zm+v", "Zm/v", "Zm 9v", "Zh", "Zm9", "é", "Zm=9v",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
