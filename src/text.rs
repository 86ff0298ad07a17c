//! Text from a server, made safe to print: the one place that decides which
//! characters could forge a log line or drive a terminal, and how they show.
//!
//! The crate shows every piece of server text through [`Escaped`]; a program
//! that prints the fields of a model itself (a product's title, an order's
//! ID) can do the same.

use std::fmt;

/// Whether a character must not reach a log or a terminal as it is: the
/// control characters (CR, LF, ESC, NUL, DEL, C1 ...), the Unicode line
/// and paragraph separators, and the marks that reorder text.
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `value` can go in an HTTP header as it is: visible ASCII and
/// spaces only, so that it can neither end the header nor start another.
pub(crate) fn is_header_text(value: &str) -> bool {
    value.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

/// Shows server text with each unsafe character escaped as Rust writes it
/// (`\r`, `\n`, `\u{1b}`), so that it stays on one line and inert. Every
/// `Display` of text from a server goes through it.
///
/// The unsafe characters are the control characters (CR, LF, ESC, NUL, DEL,
/// C1 ...), the Unicode line and paragraph separators, and the marks that
/// reorder text; all other text shows as it is.
///
/// ```
/// use partner_center_cart::text::Escaped;
///
/// let title = "Office\r\nINFO forged\u{1b}[2J";
/// assert_eq!(Escaped::new(title).to_string(), r"Office\r\nINFO forged\u{1b}[2J");
/// assert_eq!(Escaped::new("Käse — 800064").to_string(), "Käse — 800064");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub(crate) &'a str);

impl<'a> Escaped<'a> {
    /// Wraps `text`, to be shown escaped.
    pub fn new(text: &'a str) -> Self {
        Escaped(text)
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(is_unsafe) {
            f.write_str(&rest[..at])?;
            let mut chars = rest[at..].chars();
            if let Some(c) = chars.next() {
                write!(f, "{}", c.escape_debug())?;
            }
            rest = chars.as_str();
        }
        f.write_str(rest)
    }
}

/// How much of a body that is not JSON an error quotes.
pub(crate) const SNIPPET_CHARS: usize = 300;

/// Folds white space and the characters [`is_unsafe`] names
/// into single spaces, and shortens the text.
pub(crate) fn snippet(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split(|c: char| c.is_whitespace() || is_unsafe(c)) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars == max_chars {
                out.push('…');
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            Escaped("ok\r\nINFO forged\u{1b}[31m\u{0}\u{7f}\u{85}").to_string(),
            "ok\\r\\nINFO forged\\u{1b}[31m\\0\\u{7f}\\u{85}"
        );
        assert_eq!(
            Escaped("a\u{2028}b\u{202e}c").to_string(),
            "a\\u{2028}b\\u{202e}c"
        );
        assert_eq!(
            Escaped("Käse — ok: 800064").to_string(),
            "Käse — ok: 800064"
        );
        assert_eq!(Escaped("").to_string(), "");
    }
}
