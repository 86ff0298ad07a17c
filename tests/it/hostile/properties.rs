//! Property tests: whatever comes back from the server, and whatever IDs a
//! caller passes, the client does not panic and answers with a result or an
//! error that says what happened and names the call.
//!
//! The response tests go through the real client over HTTP to the fake
//! Partner Center, one fresh fake and client per case. Every scripted reply
//! closes its connection after it is written, and says so with `Connection:
//! close`, so that a response whose framing a case broke (an injected line
//! break, a conflicting length, a 1xx status, after which the client rightly
//! waits for a final response that the fake never sends) ends at once with
//! an error instead of waiting out a timeout.
//!
//! The number of cases is kept small enough for the suite to take a few
//! seconds in a debug build; `PROPTEST_CASES=10000 cargo test --all-features
//! --test properties` runs each property that many times instead.

use crate::common;

use std::time::Duration;

use common::{CART, CUSTOMER, TOKEN, start};
use partner_center_cart::fake::{FAKE_TENANT_ID, FakeToken, Reply};
use partner_center_cart::model::{Availability, Collection, Order, OrderLineItem, Product, Sku};
use partner_center_cart::{
    AccessToken, CartCheckoutResult, CheckoutOptions, Client, Error, Proxy, RetryPolicy, Uuid,
    error::InvalidId,
    model::{ApiFault, CartId, CustomerId, OrderId},
};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

/// The response cap of the clients under test, small enough for generated
/// bodies to cross it.
const CAP: u64 = 16 * 1024;

const FIXTURES: [&[u8]; 19] = [
    include_bytes!("../../fixtures/apifault-400.json"),
    include_bytes!("../../fixtures/apifault-404.json"),
    include_bytes!("../../fixtures/cart-create-request.json"),
    include_bytes!("../../fixtures/cart-create-response-mixed.json"),
    include_bytes!("../../fixtures/cart-create-response.json"),
    include_bytes!("../../fixtures/checkout-doc-example.json"),
    include_bytes!("../../fixtures/order-cancelled-sandbox-response.json"),
    include_bytes!("../../fixtures/order-create-response.json"),
    include_bytes!("../../fixtures/order-get-response.json"),
    include_bytes!("../../fixtures/order-provisioning-status.json"),
    include_bytes!("../../fixtures/orders-list-response.json"),
    include_bytes!("../../fixtures/throttled-429.json"),
    include_bytes!("../../fixtures/catalog-availabilities-example.json"),
    include_bytes!("../../fixtures/catalog-availability-by-id-example.json"),
    include_bytes!("../../fixtures/catalog-availability-nce-example.json"),
    include_bytes!("../../fixtures/catalog-product-nce-example.json"),
    include_bytes!("../../fixtures/catalog-products-example.json"),
    include_bytes!("../../fixtures/catalog-sku-nce-example.json"),
    include_bytes!("../../fixtures/catalog-skus-example.json"),
];

/// Field names of the models and the error bodies, for mutations that put a
/// value of the wrong shape where the decoder looks.
const FIELD_NAMES: [&str; 31] = [
    "orders",
    "orderErrors",
    "lineItems",
    "id",
    "status",
    "billingCycle",
    "transactionType",
    "quantity",
    "lineItemNumber",
    "links",
    "activationLinks",
    "provisioningContext",
    "additionalPartnerIdsOnRecord",
    "renewsTo",
    "pricing",
    "attributes",
    "uri",
    "headers",
    "code",
    "description",
    "data",
    "message",
    "statusCode",
    "error",
    "next",
    "terms",
    "segment",
    "isPurchasable",
    "supportedBillingCycles",
    "productType",
    "sku",
];

/// The number of cases of a property: `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

// ---------------------------------------------------------------------------
// Generated bodies.

/// A JSON value of any shape, with the strings and numbers the service's
/// fields hold and some it never sends.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        select(vec![
            "monthly",
            "ONE_TIME",
            "onetime",
            "quadrennial",
            "pending",
            "completed",
            "New",
            "",
            "800060",
            "P1Y",
            "/customers/x/orders/y",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec((select(FIELD_NAMES.to_vec()), inner), 0..4).prop_map(|fields| {
                Value::Object(
                    fields
                        .into_iter()
                        .map(|(key, value)| (key.to_owned(), value))
                        .collect(),
                )
            }),
        ]
    })
}

/// One change to a JSON document: the node reached by following `path`
/// (each step picks a child by index, modulo their number) is replaced,
/// given a field, or removed.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Vec<usize>, Value),
    Insert(Vec<usize>, &'static str, Value),
    Remove(Vec<usize>),
}

fn edit() -> impl Strategy<Value = Edit> {
    let path = || prop::collection::vec(any::<usize>(), 0..6);
    prop_oneof![
        (path(), json_value()).prop_map(|(path, value)| Edit::Replace(path, value)),
        (path(), select(FIELD_NAMES.to_vec()), json_value())
            .prop_map(|(path, key, value)| Edit::Insert(path, key, value)),
        path().prop_map(Edit::Remove),
    ]
}

/// The node that `path` leads to; it stops early at a leaf or an empty node.
fn walk<'a>(mut node: &'a mut Value, path: &[usize]) -> &'a mut Value {
    for &step in path {
        let len = match &*node {
            Value::Array(items) => items.len(),
            Value::Object(fields) => fields.len(),
            _ => 0,
        };
        if len == 0 {
            break;
        }
        node = match node {
            Value::Array(items) => &mut items[step % len],
            Value::Object(fields) => fields.values_mut().nth(step % len).expect("in range"),
            other => other,
        };
    }
    node
}

fn apply(document: &mut Value, edit: Edit) {
    match edit {
        Edit::Replace(path, value) => *walk(document, &path) = value,
        Edit::Insert(path, key, value) => {
            if let Value::Object(fields) = walk(document, &path) {
                fields.insert(key.to_owned(), value);
            }
        }
        Edit::Remove(path) => {
            let Some((last, parent)) = path.split_last() else {
                return;
            };
            match walk(document, parent) {
                Value::Array(items) if !items.is_empty() => {
                    let len = items.len();
                    items.remove(last % len);
                }
                Value::Object(fields) if !fields.is_empty() => {
                    let key = fields.keys().nth(last % fields.len()).cloned();
                    if let Some(key) = key {
                        fields.remove(&key);
                    }
                }
                _ => {}
            }
        }
    }
}

/// A change to the bytes of a body.
#[derive(Debug, Clone)]
enum ByteEdit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
    Repeat(usize, usize),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<usize>(), 0..8u8).prop_map(|(at, bit)| ByteEdit::Flip(at, bit)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| ByteEdit::Insert(at, byte)),
        any::<usize>().prop_map(ByteEdit::Delete),
        any::<usize>().prop_map(ByteEdit::Truncate),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| ByteEdit::Repeat(at, len)),
    ]
}

fn apply_bytes(body: &mut Vec<u8>, edit: ByteEdit) {
    if body.is_empty() {
        if let ByteEdit::Insert(_, byte) = edit {
            body.push(byte);
        }
        return;
    }
    let len = body.len();
    match edit {
        ByteEdit::Flip(at, bit) => body[at % len] ^= 1 << bit,
        ByteEdit::Insert(at, byte) => body.insert(at % (len + 1), byte),
        ByteEdit::Delete(at) => {
            body.remove(at % len);
        }
        ByteEdit::Truncate(at) => body.truncate(at % len),
        ByteEdit::Repeat(at, n) => {
            let start = at % len;
            let piece = body[start..(start + n).min(len)].to_vec();
            body.splice(start..start, piece);
        }
    }
}

/// Bodies: arbitrary bytes, fixtures with their bytes changed, fixtures with
/// their JSON changed, and the fixtures as they are, sometimes after a byte
/// order mark.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    let fixture = || select(FIXTURES.to_vec());
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        1 => (any::<bool>(), fixture()).prop_map(|(bom, fixture)| {
            let mut body = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
            body.extend_from_slice(fixture);
            body
        }),
        3 => (fixture(), prop::collection::vec(byte_edit(), 1..6)).prop_map(|(fixture, edits)| {
            let mut body = fixture.to_vec();
            for edit in edits {
                apply_bytes(&mut body, edit);
            }
            body
        }),
        4 => (fixture(), prop::collection::vec(edit(), 1..5)).prop_map(|(fixture, edits)| {
            let mut document: Value = serde_json::from_slice(fixture).expect("fixtures are JSON");
            for edit in edits {
                apply(&mut document, edit);
            }
            serde_json::to_vec(&document).expect("serializes")
        }),
    ]
}

// ---------------------------------------------------------------------------
// Decoding, without the network.

/// Decodes `body` as `T`; when that works, checks that the value written
/// back as JSON decodes to the same value.
///
/// Numbers are compared to within 1e-12 of each other: serde_json's default
/// float parser (without its `float_roundtrip` feature) can be one unit in
/// the last place off for extreme values such as subnormals, so such a
/// number may change in its last digit when written back.
fn decodes_stably<T>(body: &[u8]) -> Result<(), TestCaseError>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        let json = serde_json::to_vec(&value).expect("a decoded value serializes");
        let again: T = serde_json::from_slice(&json).expect("what it wrote decodes");
        let first = serde_json::to_value(&value).expect("serializes");
        let second = serde_json::to_value(&again).expect("serializes");
        prop_assert!(nearly_equal(&first, &second), "{} != {}", first, second);
    }
    Ok(())
}

/// Equal JSON, but for floats within a relative 1e-12.
fn nearly_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| nearly_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| nearly_equal(x, y)))
        }
        _ => a == b,
    }
}

proptest! {
    #![proptest_config(cases(1024))]

    /// Any body, decoded as any of the public models, gives a value or an
    /// error; a value survives being written back and read again.
    #[test]
    fn decoding_never_panics_and_values_round_trip(body in body_bytes()) {
        decodes_stably::<CartCheckoutResult>(&body)?;
        decodes_stably::<Order>(&body)?;
        decodes_stably::<OrderLineItem>(&body)?;
        decodes_stably::<ApiFault>(&body)?;
        decodes_stably::<Product>(&body)?;
        decodes_stably::<Sku>(&body)?;
        decodes_stably::<Availability>(&body)?;
        decodes_stably::<Collection<Availability>>(&body)?;
    }
}

// ---------------------------------------------------------------------------
// Responses, through the client.

/// How the body of a reply is sent.
#[derive(Debug, Clone)]
enum BodyKind {
    /// With `Content-Length`.
    Bytes(Vec<u8>),
    /// `len` copies of `byte`, with `Content-Length` or chunked (no length
    /// declared up front).
    Streamed { byte: u8, len: u64, chunked: bool },
}

impl BodyKind {
    /// The bytes the client reads.
    fn bytes(&self) -> Vec<u8> {
        match self {
            BodyKind::Bytes(bytes) => bytes.clone(),
            BodyKind::Streamed { byte, len, .. } => {
                vec![*byte; usize::try_from(*len).expect("small")]
            }
        }
    }
}

fn body_kind() -> impl Strategy<Value = BodyKind> {
    prop_oneof![
        6 => body_bytes().prop_map(BodyKind::Bytes),
        1 => (select(vec![b' ', b'{', b'a', 0]), 0..(3 * CAP), any::<bool>())
            .prop_map(|(byte, len, chunked)| BodyKind::Streamed { byte, len, chunked }),
    ]
}

/// Statuses: anything from 100 to 999, weighted towards the ones the
/// service sends.
fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        1 => 100..=999u16,
        2 => select(vec![200u16, 201, 204, 400, 401, 404, 409, 429, 500, 503]),
    ]
}

/// Header names, the ones that change how a response is read among them,
/// and two that are not valid.
const HEADER_NAMES: [&str; 12] = [
    "Retry-After",
    "retry-after",
    "MS-CV",
    "Location",
    "Content-Type",
    "MS-RequestId",
    "X-Odd",
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Bad Name",
    "",
];

/// Whether a header leaves the response's framing as the fake wrote it.
fn is_clean(name: &str, value: &str) -> bool {
    !matches!(
        name.to_ascii_lowercase().as_str(),
        "content-length" | "transfer-encoding" | "connection" | "bad name" | ""
    ) && !value.contains(['\r', '\n', '\0'])
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        // Visible ASCII and spaces: valid in any header.
        4 => "[ -~]{0,40}",
        // Delay seconds, any size.
        3 => "[0-9]{1,25}",
        2 => (-5i64..100_000).prop_map(|n| n.to_string()),
        // HTTP dates, in and out of range.
        2 => (
            select(vec!["Sun", "Mon", "Xyz"]),
            0..40u32,
            select(vec!["Jan", "Feb", "Dec", "Foo"]),
            1900..10_100u32,
            0..70u32,
            0..70u32,
            0..70u32,
        )
            .prop_map(|(day, date, month, year, h, m, s)| {
                format!("{day}, {date:02} {month} {year} {h:02}:{m:02}:{s:02} GMT")
            }),
        // Bytes above 0x7F, valid on the wire but not text to `to_str`.
        1 => "[a-z\u{80}-\u{ff}]{0,10}",
        // Line breaks and NUL, which break the response's framing.
        1 => select(vec!["1\r\nX-Injected: yes", "\r\n", "a\nb", "\r", "x\0y", "\r\n\r\n"])
            .prop_map(str::to_owned),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    prop::collection::vec((select(HEADER_NAMES.to_vec()), header_value()), 0..4)
}

/// Has the fake close the connection after the reply, and say so, as a
/// server must: without `Connection: close` the client pools the connection,
/// and an immediate retry may find it closed under it.
fn closing(reply: Reply) -> Reply {
    reply.header("Connection", "close").close()
}

/// A client for the fake that never sleeps: a second attempt follows at
/// once, any `Retry-After` over zero ends the call, and a 429 uses up an
/// attempt like any other answer, so that every call makes at most two.
fn property_client(base_url: &str) -> Client {
    Client::builder(|| Ok::<_, std::io::Error>(TOKEN))
        .base_url(base_url)
        .proxy(Proxy::none())
        .timeout(Duration::from_secs(10))
        .max_response_bytes(CAP)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .max_throttled_retries(0)
                .initial_backoff(Duration::ZERO)
                .max_backoff(Duration::ZERO)
                .max_retry_after(Duration::ZERO),
        )
        .build()
        .expect("a client for the fake")
}

/// Whether a body is an object with `code` and a `description` or `message`
/// (in any case) and none of a checkout result's fields as the decoder
/// spells them: a fault, whatever the status.
fn is_fault_shaped(body: &[u8]) -> bool {
    // Bytes that are not UTF-8 inside a value leave the shape as it is: the
    // client weighs the keys, and reads a fault's text leniently.
    let text = String::from_utf8_lossy(body);
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    let has = |name: &str| object.keys().any(|key| key.eq_ignore_ascii_case(name));
    has("code")
        && (has("description") || has("message"))
        && !object.contains_key("orders")
        && !object.contains_key("orderErrors")
}

/// Checks that an error says what happened and names the call.
fn check_error(error: &Error, request_id: Uuid, status: u16) -> Result<(), TestCaseError> {
    let text = error.to_string();
    prop_assert!(!text.trim().is_empty());
    prop_assert!(!text.contains(TOKEN), "{}", text);
    let debug = format!("{error:?}");
    prop_assert!(!debug.contains(TOKEN));
    prop_assert_eq!(error.request_id(), Some(request_id), "{}", text);
    prop_assert!(error.correlation_id().is_some());
    let attempts = error.call().map(|call| call.attempts());
    prop_assert!(matches!(attempts, Some(1 | 2)), "{:?}", attempts);
    prop_assert!(
        text.contains(&request_id.to_string()),
        "the message names the request ID: {}",
        text
    );
    if let Some(answered) = error.status() {
        prop_assert_eq!(answered, status, "{}", text);
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        prop_assert!(!cause.to_string().contains(TOKEN));
        source = cause.source();
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(384))]

    /// Any status, headers and body: a result for a success whose body
    /// decodes, otherwise an error that names the call; never a panic.
    #[test]
    fn any_response_gives_a_result_or_a_sensible_error(
        status in status(),
        headers in headers(),
        body in body_kind(),
        request_id in any::<u128>().prop_map(Uuid::from_u128),
    ) {
        let fake = start();
        let mut reply = match &body {
            BodyKind::Bytes(bytes) => Reply::status(status).body(bytes.clone()),
            BodyKind::Streamed { byte, len, chunked: false } => Reply::streamed(status, *byte, *len),
            BodyKind::Streamed { byte, len, chunked: true } => {
                Reply::streamed(status, *byte, *len).chunked()
            }
        };
        for (name, value) in &headers {
            reply = reply.header(*name, value.as_str());
        }
        let reply = closing(reply);
        fake.push_replies([reply.clone(), reply]);

        let result = property_client(fake.base_url())
            .checkout_with(CUSTOMER, CART, &CheckoutOptions::new().request_id(request_id));

        let clean = headers.iter().all(|(name, value)| is_clean(name, value));
        let bytes = body.bytes();
        // Every attempt sends the caller's request ID, and an error names it.
        let sent: Vec<Uuid> = fake
            .requests()
            .iter()
            .filter_map(|request| request.header("ms-requestid").and_then(|id| Uuid::parse_str(id).ok()))
            .collect();
        prop_assert_eq!(sent.first(), Some(&request_id));
        match &result {
            Ok(_) => prop_assert!((200..300).contains(&status), "Ok after HTTP {}", status),
            Err(error) => check_error(error, *sent.last().expect("sent"), status)?,
        }
        // With the framing intact, the outcome is the one the status and
        // body call for.
        if clean && (200..300).contains(&status) && status != 204 {
            let unbommed = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            let expected = serde_json::from_slice::<CartCheckoutResult>(unbommed);
            match (&result, expected) {
                (Ok(got), Ok(expected)) => prop_assert_eq!(got, &expected),
                (Err(Error::ResponseTooLarge { .. }), _) => {
                    prop_assert!(bytes.len() as u64 > CAP);
                }
                (Err(Error::Decode { .. }), Err(_)) => {
                    prop_assert!(bytes.len() as u64 <= CAP);
                }
                (Err(Error::Service(service)), _) => {
                    prop_assert_eq!(service.status(), status);
                    prop_assert!(is_fault_shaped(unbommed), "HTTP {}: {}", status, service);
                }
                (result, expected) => {
                    prop_assert!(false, "HTTP {}: got {:?}, the body decodes to {:?}", status, result, expected);
                }
            }
        }
        if clean && status >= 200 && !(200..300).contains(&status) && status != 304 {
            let error = result.as_ref().expect_err("not a success");
            let service = error.service_error();
            prop_assert!(service.is_some(), "{}", error);
            let service = service.expect("checked");
            prop_assert_eq!(service.status(), status);
            let trimmed = bytes
                .strip_prefix(b"\xEF\xBB\xBF")
                .unwrap_or(&bytes)
                .trim_ascii();
            if !trimmed.is_empty() {
                prop_assert!(
                    service.fault().is_some() || service.message().is_some(),
                    "the error keeps what the body said: {}",
                    error
                );
            }
        }
        // Nothing went to the server but the two attempts at most.
        prop_assert!(fake.requests().len() <= 2);
    }
}

// ---------------------------------------------------------------------------
// IDs.

/// Text that may or may not be a GUID: any string, GUIDs in every form the
/// parser knows, and GUIDs with a character changed, added or removed.
fn id_text() -> impl Strategy<Value = String> {
    let guid = any::<u128>().prop_map(Uuid::from_u128);
    prop_oneof![
        2 => ".{0,48}",
        1 => "[0-9a-fA-F{}\\- /.?%]{0,40}",
        2 => (guid.clone(), 0..5u8).prop_map(|(id, form)| match form {
            0 => id.hyphenated().to_string(),
            1 => id.hyphenated().to_string().to_uppercase(),
            2 => id.braced().to_string(),
            3 => id.simple().to_string(),
            _ => format!("  {}\t", id.hyphenated()),
        }),
        2 => (guid, any::<usize>(), any::<char>(), 0..3u8).prop_map(|(id, at, c, how)| {
            let mut text: Vec<char> = id.hyphenated().to_string().chars().collect();
            let at = at % text.len();
            match how {
                0 => text[at] = c,
                1 => text.insert(at, c),
                _ => {
                    text.remove(at);
                }
            }
            text.into_iter().collect()
        }),
    ]
}

fn is_hyphenated_lower_hex(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => matches!(c, '0'..='9' | 'a'..='f'),
        })
}

fn check_guid_id<T>(text: &str, kind: &str) -> Result<(), TestCaseError>
where
    T: std::str::FromStr<Err = InvalidId> + std::fmt::Display + PartialEq + std::fmt::Debug,
{
    match text.parse::<T>() {
        Ok(id) => {
            let shown = id.to_string();
            prop_assert!(is_hyphenated_lower_hex(&shown), "{}", shown);
            prop_assert_eq!(shown.parse::<T>().ok(), Some(id));
            // It is the GUID the text spells.
            let spelled = Uuid::try_parse(text.trim())
                .ok()
                .map(|u| u.hyphenated().to_string());
            prop_assert_eq!(spelled, Some(shown));
        }
        Err(error) => {
            // `?` turns the refusal into this variant, fields unchanged.
            let error = Error::from(error);
            let Error::InvalidId {
                kind: got, value, ..
            } = &error
            else {
                return Err(TestCaseError::fail(format!("not InvalidId: {error:?}")));
            };
            prop_assert_eq!(*got, kind);
            prop_assert!(value.chars().count() <= 65);
            let prefix = format!("invalid {kind}");
            prop_assert!(error.to_string().starts_with(&prefix));
            prop_assert_eq!(error.request_id(), None);
        }
    }
    Ok(())
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

proptest! {
    #![proptest_config(cases(1024))]

    /// Customer and cart IDs: any text gives an ID or `InvalidId`; an
    /// accepted one is the GUID the text spells, shown in the one form that
    /// goes in a path.
    #[test]
    fn guid_ids_parse_or_refuse(text in id_text()) {
        check_guid_id::<CustomerId>(&text, "customer ID")?;
        check_guid_id::<CartId>(&text, "cart ID")?;
    }

    /// Order IDs: any text gives an ID or `InvalidId`; an accepted one is
    /// the text itself and safe in a path segment.
    #[test]
    fn order_ids_parse_or_refuse(text in prop_oneof![".{0,140}", "[A-Za-z0-9._~\\-/%?# ]{0,140}"]) {
        match text.parse::<OrderId>() {
            Ok(id) => {
                prop_assert_eq!(id.as_str(), text.as_str());
                prop_assert!(!text.is_empty() && text.len() <= OrderId::MAX_LEN);
                prop_assert!(text != "." && text != "..");
                prop_assert!(text.bytes().all(is_unreserved), "{:?}", text);
                prop_assert_eq!(id.to_string().parse::<OrderId>().ok(), Some(id));
            }
            Err(error) => {
                prop_assert!(matches!(Error::from(error.clone()), Error::InvalidId { kind: "order ID", .. }), "{:?}", error);
                prop_assert!(!error.to_string().is_empty());
                let unreserved = text.bytes().all(is_unreserved);
                prop_assert!(
                    text.is_empty() || text.len() > OrderId::MAX_LEN || text == "." || text == ".." || !unreserved,
                    "refused a path-safe ID: {:?}", text
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(64))]

    /// Through the client: a bad ID sends nothing; good ones go in the path
    /// in their one hyphenated form.
    #[test]
    fn ids_reach_the_path_only_when_valid(customer in id_text(), cart in id_text()) {
        let fake = start();
        fake.push_reply(closing(Reply::status(201).body("{}")));
        let result = property_client(fake.base_url()).checkout(customer.as_str(), cart.as_str());
        let customer_id = customer.parse::<CustomerId>().ok();
        let cart_id = cart.parse::<CartId>().ok();
        let requests = fake.requests();
        match (customer_id, cart_id) {
            (Some(customer_id), Some(cart_id)) => {
                prop_assert!(result.is_ok(), "{:?}", result);
                prop_assert_eq!(requests.len(), 1);
                prop_assert_eq!(
                    &requests[0].path,
                    &format!("/v1/customers/{customer_id}/carts/{cart_id}/checkout")
                );
            }
            _ => {
                prop_assert!(matches!(result, Err(Error::InvalidId { .. })), "{:?}", result);
                prop_assert!(requests.is_empty());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Durations of any size, from zero to `Duration::MAX`: the wait and the retry
// policy take them without a panic, and `Duration::MAX` means no limit. Each
// case ends at once: either the orders complete on the first read, or the
// deadline is a few milliseconds away.

/// Any duration, with the edges and the small ones that make real waits
/// likely.
fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(secs, nanos)| Duration::new(secs, nanos)),
        (0u64..=u64::MAX).prop_map(Duration::from_nanos),
        (0u64..120_000).prop_map(Duration::from_millis),
    ]
}

/// A duration short enough to wait out in a test.
fn short_duration() -> impl Strategy<Value = Duration> {
    (0u64..=20).prop_map(Duration::from_millis)
}

fn any_policy() -> impl Strategy<Value = RetryPolicy> {
    (any::<u32>(), any_duration(), any_duration(), any_duration()).prop_map(
        |(attempts, initial, max, retry_after)| {
            RetryPolicy::default()
                .max_attempts(attempts)
                .initial_backoff(initial)
                .max_backoff(max)
                .max_retry_after(retry_after)
        },
    )
}

fn pending_order(id: &str) -> CartCheckoutResult {
    serde_json::from_value(serde_json::json!({"orders": [{"id": id, "status": "pending"}]}))
        .expect("a checkout result")
}

fn duration_client(base_url: &str, policy: RetryPolicy) -> Client {
    Client::builder(|| Ok::<_, std::io::Error>(TOKEN))
        .base_url(base_url)
        .proxy(Proxy::none())
        .retry_policy(policy)
        .build()
        .expect("a client for the fake")
}

proptest! {
    #![proptest_config(cases(48))]

    /// Any timeout, intervals, rate and retry policy, with one of the three
    /// wait durations short: the wait ends at the short deadline, or the
    /// order completes on the first read.
    #[test]
    fn waits_take_any_durations(
        mut durations in [any_duration(), any_duration(), any_duration()],
        short in 0usize..3,
        short_value in short_duration(),
        rate in any::<u32>(),
        policy in any_policy(),
    ) {
        durations[short] = short_value;
        let [timeout, initial, max] = durations;
        let fake = start();
        // Under a short deadline the order stays pending at first, so that
        // the interval grows, however long it is.
        let first = if short == 0 { "pending" } else { "completed" };
        fake.push_replies([
            Reply::json(200, &serde_json::json!({"id": "ord0", "status": first})),
            Reply::json(200, &serde_json::json!({"id": "ord0", "status": "completed"})),
        ]);
        let options = partner_center_cart::WaitOptions::default()
            .timeout(timeout)
            .initial_interval(initial)
            .max_interval(max)
            .max_requests_per_minute(rate);
        let outcome = duration_client(fake.base_url(), policy)
            .wait_for_orders(CUSTOMER, &pending_order("ord0"), options);
        match outcome {
            Ok(orders) => prop_assert_eq!(orders[0].id.as_str(), "ord0"),
            Err(Error::WaitTimedOut { pending, .. }) => prop_assert_eq!(pending.len(), 1),
            Err(other) => prop_assert!(false, "{:?}", other),
        }
    }

    /// Any retry policy and any `Retry-After` on a throttled or failed read,
    /// under a deadline a few milliseconds away: the wait ends by it (or at
    /// once, when the service asks for more than the policy allows).
    #[test]
    fn retries_take_any_durations(
        policy in any_policy(),
        timeout in short_duration(),
        retry_after in any::<u64>(),
        status in select(vec![429u16, 503, 500]),
        rate in any::<u32>(),
    ) {
        let fake = start();
        fake.push_replies([
            Reply::status(status).header("Retry-After", retry_after.to_string()),
            Reply::json(200, &serde_json::json!({"id": "ord0", "status": "completed"})),
        ]);
        let options = partner_center_cart::WaitOptions::default()
            .timeout(timeout)
            .initial_interval(Duration::ZERO)
            .max_requests_per_minute(rate);
        let started = std::time::Instant::now();
        let outcome = duration_client(fake.base_url(), policy)
            .wait_for_orders(CUSTOMER, &pending_order("ord0"), options);
        // The deadline bounds the wait; the slack covers a loaded machine.
        prop_assert!(started.elapsed() < timeout + Duration::from_secs(2));
        match outcome {
            Ok(_) | Err(Error::WaitTimedOut { .. } | Error::RetryAfterTooLong { .. }) => {}
            Err(error) => prop_assert_eq!(error.status(), Some(status), "{:?}", error),
        }
    }
}

// ---------------------------------------------------------------------------
// Token claims.

/// The claims `AccessToken::claims` reads, and one it does not.
const CLAIM_NAMES: [&str; 11] = [
    "aud",
    "tid",
    "appid",
    "azp",
    "upn",
    "unique_name",
    "exp",
    "scp",
    "roles",
    "idtyp",
    "other",
];

/// One change to a token's text: a character put in, taken out or replaced,
/// from the base64url alphabet, the separators and a few strangers.
fn token_edit() -> impl Strategy<Value = (usize, u8, char)> {
    (
        any::<usize>(),
        0..3u8,
        select(vec![
            'A', 'z', '0', '-', '_', '.', '=', '+', '/', ' ', 'é', '\0',
        ]),
    )
}

fn apply_token_edit(token: &str, (at, kind, c): (usize, u8, char)) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let at = at % (chars.len() + 1);
    match kind {
        0 => chars.insert(at, c),
        1 if at < chars.len() => {
            chars.remove(at);
        }
        _ if at < chars.len() => chars[at] = c,
        _ => chars.push(c),
    }
    chars.into_iter().collect()
}

/// The claims' `Debug` never holds the token it came from.
fn check_claims(token: &str) -> Result<(), TestCaseError> {
    if let Some(claims) = AccessToken::new(token).claims() {
        prop_assert!(token.len() <= 64 * 1024);
        let shown = format!("{claims:?}");
        prop_assert!(token.len() < 16 || !shown.contains(token), "{shown}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(512))]

    /// Any text at all: claims or `None`, never a panic.
    #[test]
    fn claims_never_panic_on_any_text(text in prop_oneof![".{0,300}", "[A-Za-z0-9_=.+/-]{0,300}"]) {
        check_claims(&text)?;
    }

    /// A minted JWT with any value in any claim still decodes, keeps the
    /// claims left alone, and reads a well-typed one back.
    #[test]
    fn claims_of_any_shape_decode(name in select(CLAIM_NAMES.to_vec()), value in json_value()) {
        let token = FakeToken::new().claim(name, &value).mint();
        let claims = AccessToken::new(&token).claims();
        prop_assert!(claims.is_some());
        let claims = claims.unwrap();
        if name != "tid" {
            prop_assert_eq!(claims.tenant_id.as_deref(), Some(FAKE_TENANT_ID));
        }
        if let ("aud", Value::String(text)) = (name, &value) {
            prop_assert_eq!(claims.audience.as_deref(), Some(text.as_str()));
        }
        check_claims(&token)?;
    }

    /// A JWT broken anywhere, once or many times: claims or `None`, never a
    /// panic, and never the token in the output.
    #[test]
    fn broken_tokens_never_panic(edits in prop::collection::vec(token_edit(), 1..8)) {
        let mut token = FakeToken::new().app_only().mint();
        for edit in edits {
            token = apply_token_edit(&token, edit);
        }
        check_claims(&token)?;
    }
}

proptest! {
    #![proptest_config(cases(16))]

    /// Huge tokens are refused without being decoded, whatever they hold.
    #[test]
    fn huge_tokens_give_none(extra in 64 * 1024..256 * 1024usize, filler in select(vec!["A", "eyJ", ".", "Zm9v"])) {
        let token = format!("{}{}", FakeToken::new().mint(), filler.repeat(extra / filler.len()));
        prop_assert!(token.len() > 64 * 1024);
        prop_assert_eq!(AccessToken::new(token).claims(), None);
    }
}
