//! How much memory a success body may take once decoded, counted from its
//! bytes before it is decoded.
//!
//! The byte cap bounds what is read, not what it becomes: `{}` is two bytes,
//! and as an element of an order list it becomes a whole
//! [`Order`](crate::model::Order), hundreds of bytes, in a vector that may
//! hold twice the room it uses. So a body
//! within the cap could take gigabytes. One pass over the bytes, much
//! cheaper than the decode, counts what the decode can allocate and gives an
//! upper bound of it:
//!
//! - every array holds its elements in a vector with room for at most
//!   `max(4, len.next_power_of_two())` of them, and half as many again
//!   while the vector last grew, each at most [`ELEMENT_BYTES`], which
//!   every type an element becomes must fit, or [`SCALAR_BYTES`] when no
//!   element is an object or array (a string or number becomes a string,
//!   an enum, an ID or a JSON value; an array may become a struct, read
//!   field by field);
//! - every object that is not an array element may be boxed on its own
//!   ([`OBJECT_BYTES`]), and every member may be a map entry
//!   ([`MEMBER_BYTES`]: a string map's, or the decoder's buffered pair for a
//!   flattened struct);
//! - text is copied once, so the body's length counts once.
//!
//! A type that declares no fields, such as a cart with its flattened
//! unknown fields, has the decoder buffer the whole body first, so its
//! bound counts twice (see `Reply::footprint`). A response whose bound is
//! over [`MEMORY_MULTIPLE`] times the byte cap is refused before it is
//! decoded.
//!
//! These costs are budgets, not a list of the model's types: where a
//! response is decoded as a `T`, [`check_types`] makes the compiler assert
//! that every type `T` holds, however deep, fits the cost charged for it
//! (see the `types` module), so a type added to the model that does not fit
//! fails the build instead of escaping the bound.
//!
//! The bound is generous: real bodies come to ten to eighteen times their
//! size (tiny arrays are charged room for four of the largest element, and
//! objects as if boxed), while they take about three times their size; the
//! multiple leaves room above the densest real body. Measured with a counting allocator, no body
//! of empty objects, maps or tiny arrays peaked at more than 0.8 of it.

use std::mem::size_of;

mod types;

pub(crate) use types::check as check_types;

/// How many times the byte cap a decoded response may take: with the body
/// itself, a call holds at most one more cap's worth.
pub(crate) const MEMORY_MULTIPLE: u64 = 32;

/// The most one array element may take in its vector, which every type
/// any list holds must fit ([`check_types`] asserts it). The largest today,
/// `Availability`, takes 1,272 bytes on 64-bit targets.
const ELEMENT_BYTES: u64 = 1280;

/// The most one array element that is not an object or array may take in
/// its vector: a JSON value's size, which what a string, number, `true`,
/// `false` or `null` becomes (a string, an enum, an ID, an `Option`) must
/// fit ([`check_types`] and the open enums assert it).
pub(crate) const SCALAR_BYTES: u64 = size_of::<serde_json::Value>() as u64;

/// The most one object may take boxed on its own, which every type a field
/// keeps apart from the struct that holds it must fit ([`check_types`]
/// asserts it). Only `ProductType::sub_type` is boxed today, 56 bytes; the
/// budget stays what the table of types it replaces came to, so that the
/// bound does not loosen.
const OBJECT_BYTES: u64 = 576;

/// The most one object member may take as an entry of a map: a key and a
/// value, each at most a JSON value's size, with their share of a B-tree
/// node (which is at least half full), or the decoder's buffered pair for a
/// flattened struct with its vector's room; [`check_types`] asserts that
/// every map entry fits.
const MEMBER_BYTES: u64 = 2 * size_of::<(serde_json::Value, serde_json::Value)>() as u64;

/// Arrays and objects nested deeper than this are not counted: the decoder
/// refuses a body nested past 128 levels.
const MAX_DEPTH: usize = 256;

/// An upper bound of the memory that decoding `body` may allocate, in bytes.
pub(crate) fn decoded_bound(body: &[u8]) -> u64 {
    let mut open = [Open::default(); MAX_DEPTH];
    let mut depth = 0_usize;
    let mut bound = body.len() as u64;
    let mut next = 0;
    while let Some(&byte) = body.get(next) {
        next += 1;
        if byte.is_ascii_whitespace() {
            continue;
        }
        // The first byte after `[` that is not `]` starts its first element.
        if let Some(top) = innermost(&mut open, depth)
            && top.awaits_first
        {
            top.awaits_first = false;
            if byte != b']' {
                top.count = 1;
            }
        }
        match byte {
            b'"' => next = after_string(body, next),
            b'[' | b'{' => {
                let parent = innermost(&mut open, depth);
                let in_array = match parent {
                    Some(parent) if parent.array => {
                        // The decoder reads a struct from an array too,
                        // field by field: `[]` may become a whole one.
                        parent.holds_containers = true;
                        true
                    }
                    _ => false,
                };
                if let Some(slot) = open.get_mut(depth) {
                    *slot = Open {
                        array: byte == b'[',
                        awaits_first: byte == b'[',
                        element: in_array,
                        holds_containers: false,
                        count: 0,
                    };
                }
                depth = depth.saturating_add(1);
            }
            b',' | b':' => {
                if let Some(top) = innermost(&mut open, depth)
                    && top.array == (byte == b',')
                {
                    top.count = top.count.saturating_add(1);
                }
            }
            b']' | b'}' => {
                if let Some(top) = innermost(&mut open, depth) {
                    bound = bound.saturating_add(top.cost());
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    // A body cut off inside an array is decoded up to there before the
    // decoder finds it unfinished: what is still open counts too.
    let unclosed = open.get(..depth).unwrap_or(&open);
    unclosed
        .iter()
        .fold(bound, |bound, open| bound.saturating_add(open.cost()))
}

/// The innermost array or object still open, if any (none past
/// [`MAX_DEPTH`]).
fn innermost(open: &mut [Open], depth: usize) -> Option<&mut Open> {
    open.get_mut(depth.checked_sub(1)?)
}

/// Where the text after a string starts, given where the string's content
/// starts: past its closing quote, or the end of an unfinished body. The
/// content is skipped in runs, up to the next quote or backslash.
fn after_string(body: &[u8], mut at: usize) -> usize {
    while let Some(rest) = body.get(at..) {
        match rest.iter().position(|&b| b == b'"' || b == b'\\') {
            Some(offset) if rest[offset] == b'"' => return at + offset + 1,
            // A backslash escapes the byte after it.
            Some(offset) => at += offset + 2,
            None => break,
        }
    }
    body.len()
}

/// An array or object being read: how many elements or members it has so
/// far.
#[derive(Debug, Clone, Copy, Default)]
struct Open {
    array: bool,
    /// An array just opened: its first element is not counted by a comma.
    awaits_first: bool,
    /// An element of an array, which is charged in the array's room.
    element: bool,
    /// An array with an object or array among its elements.
    holds_containers: bool,
    count: u64,
}

impl Open {
    /// What the decode may allocate for it, its contents aside.
    fn cost(&self) -> u64 {
        if self.array {
            // The last time the vector grew, it held its old half too.
            let room = match self.count {
                0 => 0,
                count => {
                    let room = count.checked_next_power_of_two().unwrap_or(u64::MAX).max(4);
                    room.saturating_add(room / 2)
                }
            };
            let element = if self.holds_containers {
                ELEMENT_BYTES
            } else {
                SCALAR_BYTES
            };
            room.saturating_mul(element)
        } else {
            let boxed = if self.element { 0 } else { OBJECT_BYTES };
            boxed.saturating_add(self.count.saturating_mul(MEMBER_BYTES))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_cost_their_room_and_objects_their_members() {
        let text_only = decoded_bound(br#""[{,:}]""#);
        assert_eq!(text_only, 8);
        assert_eq!(decoded_bound(b"[]"), 2);
        assert_eq!(decoded_bound(b"[ ]"), 3);
        assert_eq!(decoded_bound(b"[1]"), 3 + 6 * SCALAR_BYTES);
        assert_eq!(decoded_bound(b"[1,2,3,4,5]"), 11 + 12 * SCALAR_BYTES);
        assert_eq!(decoded_bound(br#"[1,"{",2]"#), 9 + 6 * SCALAR_BYTES);
        // An array in an array may become a struct.
        assert_eq!(decoded_bound(br#"[1,"{",[]]"#), 10 + 6 * ELEMENT_BYTES);
        assert_eq!(decoded_bound(b"[1,{}]"), 6 + 6 * ELEMENT_BYTES);
        assert_eq!(decoded_bound(b"{}"), 2 + OBJECT_BYTES);
        // An object in an array is charged in the array's room.
        assert_eq!(decoded_bound(b"[{}]"), 4 + 6 * ELEMENT_BYTES);
        assert_eq!(
            decoded_bound(br#"{"a":"x:y","b":[]}"#),
            18 + OBJECT_BYTES + 2 * MEMBER_BYTES
        );
        let escaped = br#"["\"]", "\\"]"#;
        assert_eq!(
            decoded_bound(escaped),
            escaped.len() as u64 + 6 * SCALAR_BYTES
        );
    }

    #[test]
    fn a_body_of_empty_objects_weighs_what_it_becomes() {
        let body = format!("[{}{{}}]", "{},".repeat(999));
        let elements = 1536 * ELEMENT_BYTES;
        assert_eq!(decoded_bound(body.as_bytes()), body.len() as u64 + elements);
        assert!(ELEMENT_BYTES >= size_of::<crate::model::Order>() as u64);
    }

    /// A compact list of `count` copies of the first element of each array
    /// `field` of a fixture.
    fn large_list(fixture: &[u8], field: &str, count: usize) -> Vec<u8> {
        let value: serde_json::Value = crate::model::from_body(fixture).unwrap();
        let item = value[field][0].clone();
        assert!(item.is_object(), "{field}");
        serde_json::to_vec(&serde_json::json!({ field: vec![item; count] })).unwrap()
    }

    #[test]
    fn large_bodies_of_real_resources_are_within_the_multiple() {
        for (fixture, field) in [
            (
                &include_bytes!("../tests/fixtures/orders-list-response.json")[..],
                "items",
            ),
            (
                include_bytes!("../tests/fixtures/checkout-doc-example.json"),
                "orders",
            ),
            (
                include_bytes!("../tests/fixtures/catalog-availabilities-example.json"),
                "items",
            ),
            (
                include_bytes!("../tests/fixtures/catalog-skus-example.json"),
                "items",
            ),
            (
                include_bytes!("../tests/fixtures/catalog-products-example.json"),
                "items",
            ),
            (
                include_bytes!("../tests/fixtures/cart-create-response.json"),
                "lineItems",
            ),
        ] {
            let body = large_list(fixture, field, 1000);
            let ratio = decoded_bound(&body) as f64 / body.len() as f64;
            assert!(ratio < MEMORY_MULTIPLE as f64, "{field}: {ratio}");
        }
    }

    #[test]
    fn empty_arrays_are_charged_as_the_structs_they_may_become() {
        // The decoder reads `[]` as an order with every field defaulted.
        let body = format!(r#"{{"items": [{}[]]}}"#, "[],".repeat(999));
        let orders: crate::model::Collection<crate::model::Order> =
            crate::model::from_body(body.as_bytes()).unwrap();
        assert_eq!(orders.items.len(), 1000);
        let room = 1536 * ELEMENT_BYTES;
        assert_eq!(
            decoded_bound(body.as_bytes()),
            body.len() as u64 + OBJECT_BYTES + MEMBER_BYTES + room
        );
    }

    #[test]
    fn what_is_left_open_counts_too() {
        let cut_off = format!(r#"{{"orders": [{}"#, "{},".repeat(1000));
        let closed = format!("{cut_off}{{}}]}}");
        assert!(decoded_bound(cut_off.as_bytes()) >= 1536 * ELEMENT_BYTES);
        assert_eq!(
            decoded_bound(cut_off.as_bytes()) + 4,
            decoded_bound(closed.as_bytes()),
            "the same room, open or closed, one element short"
        );
    }

    #[test]
    fn odd_bodies_do_not_panic() {
        let deep = "[".repeat(100_000);
        assert!(decoded_bound(deep.as_bytes()) >= 100_000);
        assert!(decoded_bound("]]]}}}".as_bytes()) >= 6);
        assert!(decoded_bound(b"\"unterminated \\") > 0);
        assert_eq!(after_string(b"ab\\", 0), 3);
        assert_eq!(after_string(b"a\\\"b\"c", 0), 5);
        assert_eq!(after_string(b"\\", 0), 1);
    }
}
