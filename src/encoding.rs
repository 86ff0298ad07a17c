//! The encodings URLs and tokens use: percent-encoding (RFC 3986) and
//! base64url (RFC 4648 §5).

pub(crate) mod base64url;
pub(crate) mod sha256;

/// Whether a byte stands for itself in a URL: an unreserved character of
/// RFC 3986 (ASCII letters, digits, `-`, `.`, `_` and `~`).
pub(crate) fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Appends `text` to `out` percent-encoded: every byte but the unreserved
/// ones as `%XX`, in upper-case hex.
pub(crate) fn push_percent_encoded(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if is_unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}
