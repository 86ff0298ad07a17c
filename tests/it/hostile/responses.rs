//! Responses that cannot hurt: faults in any shape under a success status,
//! successes that lack what they promise, next links that try to change the
//! request, and bodies that would take far more memory than bytes.

use crate::common;

use std::time::{Duration, Instant};

use common::{CART, CUSTOMER, builder, client, start};
use partner_center_cart::fake::{RecordedRequest, Reply};
use partner_center_cart::{
    BillingCycle, CartLineItem, Error, NewCart, RetryPolicy, error::TransportErrorKind,
};
use partner_center_cart::{CreateCartOptions, OrderOptions};
use serde_json::json;

/// A cart of one Office seat, as the fake's catalog sells it.
fn one_seat() -> NewCart {
    NewCart::new().line_item(
        CartLineItem::new("CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", 1, BillingCycle::Monthly)
            .term_duration("P1M"),
    )
}

// Faults under a success status, and empty successes ------------------------

#[test]
fn a_success_whose_body_is_a_fault_in_any_shape_is_an_error() {
    let fake = start();
    for body in [
        r#"{"code": 400072, "message": "The item is unavailable."}"#,
        r#"{"Code": "400072", "Description": "The item is unavailable."}"#,
        r#"{"Orders": [], "code": 400072, "description": "The item is unavailable."}"#,
    ] {
        fake.push_reply(Reply::status(200).body(body));
        let error = client(&fake).checkout(CUSTOMER, CART).unwrap_err();
        let service = error
            .service_error()
            .unwrap_or_else(|| panic!("{body}: {error:?}"));
        assert_eq!(service.status(), 200, "{body}");
        assert_eq!(service.code_number(), Some(400_072), "{body}");
        assert_eq!(
            service.message(),
            Some("The item is unavailable."),
            "{body}"
        );
        let sent = fake.requests().pop().unwrap();
        assert_eq!(
            error.request_id().map(|id| id.to_string()).as_deref(),
            sent.header("ms-requestid"),
        );
    }
}

#[test]
fn a_create_answered_without_a_cart_id_can_be_repeated_to_recover_the_cart() {
    let fake = start();
    let client = client(&fake);
    fake.push_reply(Reply::status(201).body("{}"));
    let error = client
        .create_cart(CUSTOMER, &one_seat(), &CreateCartOptions::new())
        .unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 201, .. }),
        "{error:?}"
    );
    assert!(error.should_repeat(), "{error}");
    assert!(error.to_string().contains("201"), "{error}");
    let request_id = error.request_id().expect("the create's request ID");
    assert_eq!(
        fake.requests()[0].header("ms-requestid"),
        Some(request_id.to_string().as_str())
    );

    let cart = client
        .create_cart(
            CUSTOMER,
            &one_seat(),
            &CreateCartOptions::new().request_id(request_id),
        )
        .unwrap();
    assert!(cart.id.is_some());
    let again = client
        .create_cart(
            CUSTOMER,
            &one_seat(),
            &CreateCartOptions::new().request_id(request_id),
        )
        .unwrap();
    assert_eq!(again.id, cart.id);
    assert_eq!(fake.carts(CUSTOMER).len(), 1);
}

// Next links by allow-list, and a deadline for the whole list ----------------

/// A page of one order, linking to the next with these headers.
fn page_linking(order: &str, headers: serde_json::Value) -> Reply {
    Reply::json(
        200,
        &json!({
            "items": [{"id": order, "status": "completed"}],
            "links": {"next": {
                "uri": format!("/customers/{CUSTOMER}/orders?seek=2"),
                "method": "GET",
                "headers": headers,
            }},
        }),
    )
}

/// A last page of one order.
fn last_page(order: &str) -> Reply {
    Reply::json(
        200,
        &json!({"items": [{"id": order, "status": "completed"}]}),
    )
}

/// The values of every header of this name a request carried.
fn all_headers<'a>(request: &'a RecordedRequest, name: &str) -> Vec<&'a str> {
    request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
        .collect()
}

#[test]
fn a_next_link_adds_only_its_continuation_token() {
    let records = common::records::records();
    let fake = start();
    fake.push_replies([
        page_linking(
            "o1",
            json!([
                {"key": "X-HTTP-Method-Override", "value": "POST"},
                {"key": "User-Agent", "value": "forged"},
                {"key": "MS-Contract-Version", "value": "v2"},
                {"key": "Authorization", "value": "Bearer forged"},
                {"key": "MS-ContinuationToken", "value": "page-2"},
                {"key": "MS-ContinuationToken", "value": "forged"},
                {"key": "X-Forged\r\nHost: evil", "value": "x"},
            ]),
        ),
        last_page("o2"),
    ]);
    let orders = client(&fake)
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap();
    assert_eq!(orders.len(), 2);
    let requests = fake.requests();
    let (first, next) = (&requests[0], &requests[1]);
    assert_eq!(all_headers(next, "ms-continuationtoken"), ["page-2"]);
    assert!(all_headers(next, "x-http-method-override").is_empty());
    assert_eq!(next.method, "GET");
    for own in ["user-agent", "ms-contract-version", "authorization"] {
        assert_eq!(all_headers(next, own), all_headers(first, own), "{own}");
        assert_eq!(all_headers(next, own).len(), 1, "{own}");
    }
    // Each dropped header leaves a debug record, its name escaped.
    let dropped: Vec<String> = records
        .all()
        .into_iter()
        .filter(|record| record.starts_with("DEBUG") && record.contains("is dropped"))
        .collect();
    for name in [
        "X-HTTP-Method-Override",
        "User-Agent",
        "Authorization",
        "X-Forged\\r\\nHost: evil",
    ] {
        assert!(
            dropped.iter().any(|record| record.contains(name)),
            "{name}: {dropped:?}"
        );
    }
    assert!(
        dropped.iter().all(|record| !record.contains('\r')),
        "{dropped:?}"
    );
}

#[test]
fn the_list_timeout_bounds_every_page_and_retry() {
    let fake = start();
    let timeout = Duration::from_millis(400);
    let client = builder(&fake)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(1000)
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(20)),
        )
        .list_timeout(timeout)
        .build()
        .unwrap();
    // The first page arrives; the second is unavailable for good.
    fake.push_reply(page_linking("o1", json!([])));
    fake.push_replies(std::iter::repeat_n(Reply::status(503), 200));
    let started = Instant::now();
    let error = client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    let took = started.elapsed();
    let Error::ListTimedOut {
        timeout: reported,
        pages,
        error: last,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((*reported, *pages), (timeout, 1));
    // The last attempt was answered 503, or cut off at the deadline.
    assert!(
        last.status() == Some(503)
            || matches!(
                **last,
                Error::Transport {
                    kind: TransportErrorKind::Timeout,
                    ..
                }
            ),
        "{last:?}"
    );
    // The last backoff is not slept when it would end past the deadline.
    let backoff = Duration::from_millis(20);
    assert!(took + backoff >= timeout && took < timeout * 5, "{took:?}");
    assert!(
        fake.pending_replies() > 0,
        "the retries stopped at the deadline"
    );
    let sent = fake.requests().pop().unwrap();
    assert_eq!(
        error.request_id().map(|id| id.to_string()).as_deref(),
        sent.header("ms-requestid")
    );
    assert!(error.to_string().contains("list_timeout"), "{error}");

    // A page that is slow to come is cut off at the deadline too.
    let fake = start();
    let client = builder(&fake).list_timeout(timeout).build().unwrap();
    fake.push_replies([
        page_linking("o1", json!([])),
        last_page("o2").delay(Duration::from_secs(5)),
    ]);
    let started = Instant::now();
    let error = client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    assert!(
        matches!(error, Error::ListTimedOut { pages: 1, .. }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

// Memory bounded by the body ------------------------------------------------

/// `count` empty objects, comma-separated.
fn empty_objects(count: usize) -> String {
    let mut text = "{},".repeat(count);
    text.pop();
    text
}

#[test]
fn a_body_of_empty_objects_is_refused_before_it_is_decoded() {
    let fake = start();
    let cap = 256 * 1024;
    let client = builder(&fake).max_response_bytes(cap).build().unwrap();
    // About 200 KiB each, within the cap, and a hundred times that decoded.
    let objects = empty_objects(70_000);
    let bodies = [
        format!(r#"{{"orders": [{objects}]}}"#),
        format!(r#"{{"lineItems": [{objects}]}}"#),
        format!(r#"{{"items": [{objects}]}}"#),
        // Cut off: the decoder would build it all before finding the end.
        format!(r#"{{"items": [{objects}"#),
    ];
    assert!(bodies.iter().all(|body| (body.len() as u64) < cap));
    fake.push_replies(
        bodies
            .iter()
            .map(|body| Reply::status(200).body(body.clone())),
    );
    let errors = [
        client.checkout(CUSTOMER, CART).unwrap_err(),
        client.get_cart(CUSTOMER, CART).unwrap_err(),
        client
            .list_orders(CUSTOMER, &OrderOptions::new())
            .unwrap_err(),
        client
            .list_orders(CUSTOMER, &OrderOptions::new())
            .unwrap_err(),
    ];
    for (index, (error, sent)) in errors.iter().zip(fake.requests()).enumerate() {
        let Error::ResponseTooDense { status, limit, .. } = error else {
            panic!("{error:?}");
        };
        assert_eq!((*status, *limit), (200, 32 * cap));
        // Only the checkout was made: checking out again replays it.
        assert_eq!(error.should_repeat(), index == 0, "{error}");
        assert_eq!(
            error.request_id().map(|id| id.to_string()).as_deref(),
            sent.header("ms-requestid")
        );
        assert!(error.to_string().contains("max_response_bytes"), "{error}");
    }

    // The same objects, fewer of them, are read.
    fake.push_reply(Reply::status(200).body(format!(r#"{{"items": [{}]}}"#, empty_objects(100))));
    assert_eq!(
        client
            .list_orders(CUSTOMER, &OrderOptions::new())
            .unwrap()
            .len(),
        100
    );
}

#[test]
fn a_body_of_empty_arrays_is_refused_before_it_is_decoded() {
    let fake = start();
    let cap = 256 * 1024;
    let client = builder(&fake).max_response_bytes(cap).build().unwrap();
    // The decoder reads each `[]` as an order with its fields defaulted:
    // 200 KiB of them would take hundreds of times that decoded.
    let mut arrays = "[],".repeat(70_000);
    arrays.pop();
    fake.push_reply(Reply::status(200).body(format!(r#"{{"items": [{arrays}]}}"#)));
    let error = client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    let Error::ResponseTooDense { status, limit, .. } = error else {
        panic!("{error:?}");
    };
    assert_eq!((status, limit), (200, 32 * cap));
}

/// A page of `items`, linking to the next with a token of its own.
fn page_of(items: &str, token: usize) -> Reply {
    let next = json!({
        "uri": format!("/customers/{CUSTOMER}/orders"),
        "headers": [{"key": "MS-ContinuationToken", "value": token.to_string()}],
    });
    Reply::status(200).body(format!(
        r#"{{"items": [{items}], "links": {{"next": {next}}}}}"#
    ))
}

#[test]
fn a_list_has_a_byte_budget_besides_its_page_cap() {
    let fake = start();
    let order: serde_json::Value =
        serde_json::from_slice(&common::fixture("order-get-response.json")).unwrap();
    let orders = vec![order.to_string(); 20].join(",");
    let page_bytes = format!(r#"{{"items": [{orders}]}}"#).len() as u64;
    let client = builder(&fake)
        .max_list_bytes(page_bytes * 5 / 2 + 200)
        .build()
        .unwrap();
    fake.push_replies((0..5).map(|token| page_of(&orders, token)));
    let error = client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    let Error::ListTooLarge { limit, pages, call } = &error else {
        panic!("{error:?}");
    };
    assert_eq!((*limit, *pages), (page_bytes * 5 / 2 + 200, 3));
    assert_eq!(
        Some(call.request_id().to_string().as_str()),
        fake.requests()[2].header("ms-requestid")
    );
    assert!(error.to_string().contains("max_list_bytes"), "{error}");

    // Pages small in bytes but large decoded count against 32 times the
    // budget: each of these is within the response cap and a tenth of the
    // byte budget, and decoded it could take most of 32 times the budget.
    let fake = start();
    let budget = 64 * 1024;
    let client = builder(&fake).max_list_bytes(budget).build().unwrap();
    fake.push_replies((0..5).map(|token| page_of(&empty_objects(1000), token)));
    let error = client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    assert!(
        matches!(error, Error::ListTooLarge { pages: 2, .. }),
        "{error:?}"
    );
    assert_eq!(fake.requests().len(), 2);
}
