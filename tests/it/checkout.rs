//! Checkout against the fake Partner Center over real HTTP.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{CART, CUSTOMER, TOKEN, builder, client, fast_retries, fixture, start};
use partner_center_cart::BillingCycle;
use partner_center_cart::fake::{FakePartnerCenter, Reply};
use partner_center_cart::model::OrderStatus;
use partner_center_cart::model::{LineItemTransactionType, LinkMethod};
use partner_center_cart::{
    CheckoutOptions, Client, Cloud, Error, RetryPolicy, Uuid,
    error::TransportErrorKind,
    model::{CartId, CustomerId, FaultCode},
};

fn request_id_of(fake: &FakePartnerCenter, index: usize) -> Uuid {
    let requests = fake.requests();
    let value = requests[index]
        .header("ms-requestid")
        .expect("MS-RequestId sent");
    Uuid::parse_str(value).expect("MS-RequestId is a GUID")
}

#[test]
fn sends_the_documented_request() {
    let fake = start();
    fake.push_reply(Reply::status(201).body(fixture("checkout-doc-example.json")));
    client(&fake).checkout(CUSTOMER, CART).unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        format!("/v1/customers/{CUSTOMER}/carts/{CART}/checkout")
    );
    assert!(request.body.is_empty());
    assert_eq!(request.header("content-length"), Some("0"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("x-locale"), Some("en-US"));
    assert_eq!(
        request.header("ms-partnercenter-client"),
        Some("partner-center-cart")
    );
    let user_agent = request.header("user-agent").unwrap();
    assert!(
        user_agent.starts_with(concat!("partner-center-cart/", env!("CARGO_PKG_VERSION"))),
        "{user_agent}"
    );
    request_id_of(&fake, 0);
    Uuid::parse_str(request.header("ms-correlationid").unwrap()).unwrap();
    assert_eq!(request.header("ms-partnercenter-application"), None);
}

#[test]
fn optional_headers_follow_the_builder() {
    let fake = start();
    fake.push_reply(Reply::status(200).body("{}"));
    let correlation = Uuid::from_u128(0x1234);
    builder(&fake)
        .locale("sv-SE")
        .application_name("contoso-sync")
        .correlation_id(correlation)
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap();
    let request = &fake.requests()[0];
    assert_eq!(request.header("x-locale"), Some("sv-SE"));
    assert_eq!(
        request.header("ms-partnercenter-application"),
        Some("contoso-sync")
    );
    assert_eq!(
        request.header("ms-correlationid"),
        Some(correlation.to_string().as_str())
    );
    assert!(
        request
            .header("user-agent")
            .unwrap()
            .contains("contoso-sync")
    );
}

#[test]
fn decodes_the_documented_result() {
    let fake = start();
    fake.push_reply(Reply::status(201).body(fixture("checkout-doc-example.json")));
    let result = client(&fake).checkout(CUSTOMER, CART).unwrap();

    assert_eq!(result.orders.len(), 3);
    assert!(result.order_errors.is_empty());
    assert!(!result.is_partial_failure());
    let first = &result.orders[0];
    assert_eq!(first.status, Some(OrderStatus::Completed));
    assert_eq!(first.billing_cycle, Some(BillingCycle::Monthly));
    assert_eq!(
        first.line_items[0].transaction_type,
        Some(LineItemTransactionType::New)
    );
    assert_eq!(
        first.subscription_ids().collect::<Vec<_>>(),
        ["EF2E1307-86E6-40E3-A794-872403FBD31C"]
    );
    let second = &result.orders[1];
    assert_eq!(second.id.as_str(), "311qiN8iFwkv-XARWMvXRYAwYKMACVqv1");
    assert_eq!(second.billing_cycle, Some(BillingCycle::OneTime));
    assert_eq!(second.currency_symbol.as_deref(), Some("$"));
    assert_eq!(second.line_items.len(), 3);
    assert_eq!(second.line_items[2].term_duration, None);
    assert_eq!(result.pending_orders().count(), 2);
}

#[test]
fn accepts_200_and_201() {
    for status in [200, 201] {
        let fake = start();
        fake.push_reply(Reply::status(status).body(fixture("checkout-doc-example.json")));
        assert_eq!(
            client(&fake).checkout(CUSTOMER, CART).unwrap().orders.len(),
            3
        );
    }
}

#[test]
fn body_may_start_with_a_bom() {
    let fake = start();
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(fixture("checkout-doc-example.json"));
    fake.push_reply(Reply::status(201).body(body));
    assert_eq!(
        client(&fake).checkout(CUSTOMER, CART).unwrap().orders.len(),
        3
    );
}

#[test]
fn unknown_fields_are_ignored_and_unknown_enum_values_kept() {
    let fake = start();
    let body = r#"{
        "orders": [{
            "id": "o1", "status": "provisioning", "billingCycle": "quadrennial",
            "transactionType": "PartnerGift", "client": {}, "brandNewField": [1, 2],
            "lineItems": [{"lineItemNumber": 0, "quantity": 2, "transactionType": "Upgrade",
                           "links": {"activationLinks": [{"uri": "/odd"}]},
                           "provisioningContext": "", "additionalPartnerIdsOnRecord": "123"}]
        }],
        "attributes": {"objectType": "CartCheckoutResult", "somethingElse": true}
    }"#;
    fake.push_reply(Reply::status(201).body(body));
    let result = client(&fake).checkout(CUSTOMER, CART).unwrap();
    let order = &result.orders[0];
    assert_eq!(
        order.status,
        Some(OrderStatus::Other("provisioning".into()))
    );
    assert_eq!(
        order.billing_cycle,
        Some(BillingCycle::Other("quadrennial".into()))
    );
    assert!(order.is_pending());
    let item = &order.line_items[0];
    assert_eq!(
        item.transaction_type,
        Some(LineItemTransactionType::Other("Upgrade".into()))
    );
    assert!(item.provisioning_context.is_empty());
    assert_eq!(item.additional_partner_ids_on_record, ["123"]);

    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(json["orders"][0]["status"], "provisioning");
    assert_eq!(json["orders"][0]["billingCycle"], "quadrennial");
    assert_eq!(json["orders"][0]["transactionType"], "PartnerGift");
    assert_eq!(
        json["orders"][0]["lineItems"][0]["transactionType"],
        "Upgrade"
    );
    assert_eq!(json["orders"][0]["lineItems"][0]["lineItemNumber"], 0);
}

#[test]
fn serializing_gives_the_wire_json_back() {
    let fake = start();
    let body = fixture("checkout-doc-example.json");
    fake.push_reply(Reply::status(201).body(body.clone()));
    let result = client(&fake).checkout(CUSTOMER, CART).unwrap();
    let mut wire: serde_json::Value = serde_json::from_slice(&body).unwrap();
    wire["orderErrors"] = serde_json::json!([]);
    let mine = serde_json::to_value(&result).unwrap();
    // Field by field, the orders come back as the service wrote them, links
    // aside (the fixture's empty `{}` links have nothing to keep).
    for (theirs, ours) in wire["orders"]
        .as_array()
        .unwrap()
        .iter()
        .zip(mine["orders"].as_array().unwrap())
    {
        for (key, value) in theirs.as_object().unwrap() {
            if key == "links" || key == "lineItems" {
                continue;
            }
            assert_eq!(&ours[key], value, "{key}");
        }
        for (their_item, our_item) in theirs["lineItems"]
            .as_array()
            .unwrap()
            .iter()
            .zip(ours["lineItems"].as_array().unwrap())
        {
            for (key, value) in their_item.as_object().unwrap() {
                if key != "links" {
                    assert_eq!(&our_item[key], value, "{key}");
                }
            }
        }
    }
    let round_trip: partner_center_cart::CartCheckoutResult = serde_json::from_value(mine).unwrap();
    assert_eq!(round_trip, result);
}

#[test]
fn null_or_absent_arrays_read_as_empty() {
    for body in [
        r#"{"orders": null, "orderErrors": null}"#,
        r#"{}"#,
        r#"{"orders": [{"id": "x", "lineItems": null, "links": null}]}"#,
    ] {
        let fake = start();
        fake.push_reply(Reply::status(201).body(body));
        let result = client(&fake).checkout(CUSTOMER, CART).unwrap();
        assert!(result.order_errors.is_empty(), "{body}");
        assert!(
            result
                .orders
                .iter()
                .all(|order| order.line_items.is_empty()),
            "{body}"
        );
    }
}

#[test]
fn odd_links_and_irregular_fields_read_as_absent() {
    let fake = start();
    let body = r#"{
        "orders": [{
            "id": "o1",
            "links": {"self": "oops", "provisioningStatus": {"uri": 5, "method": ["GET"], "headers": "none"}},
            "lineItems": [
                {"lineItemNumber": 0, "links": "none", "ProvisioningContext": {"scope": "shared", "years": 3, "gone": null}},
                {"lineItemNumber": 1, "links": [1, 2], "provisioningContext": null,
                 "additionalPartnerIdsOnRecord": null},
                {"lineItemNumber": 2,
                 "links": {"subscription": {"uri": "/customers/c/subscriptions/s", "method": "GET",
                                            "headers": [{"key": "k", "value": 1}, "odd", null], "body": null},
                           "sku": 7, "activationLinks": [{"uri": "/odd"}]},
                 "provisioningContext": ["a"], "AttestationAccepted": true}
            ]
        }]
    }"#;
    fake.push_reply(Reply::status(201).body(body));
    let result = client(&fake).checkout(CUSTOMER, CART).unwrap();
    let order = &result.orders[0];
    assert_eq!(order.links.self_link, None);
    let status = order.links.provisioning_status.as_ref().unwrap();
    assert_eq!(
        (&*status.uri, status.method.as_ref(), status.headers.len()),
        ("", None, 0)
    );
    let items = &order.line_items;
    assert!(items[0].links.is_empty() && items[1].links.is_empty());
    assert_eq!(items[0].provisioning_context["scope"], "shared");
    assert_eq!(items[0].provisioning_context["years"], "3");
    assert_eq!(items[0].provisioning_context.len(), 2);
    assert!(items[1].provisioning_context.is_empty());
    assert!(items[1].additional_partner_ids_on_record.is_empty());
    let links = &items[2].links;
    let subscription = links.subscription.as_ref().unwrap();
    assert_eq!(subscription.api_path(), "/v1/customers/c/subscriptions/s");
    assert_eq!(subscription.method, Some(LinkMethod::Get));
    assert_eq!(subscription.headers.len(), 1);
    assert_eq!(
        (
            &*subscription.headers[0].key,
            &*subscription.headers[0].value
        ),
        ("k", "")
    );
    assert_eq!((&links.sku, &links.activation_links), (&None, &None));
    assert!(items[2].provisioning_context.is_empty());
    assert_eq!(items[2].attestation_accepted, Some(true));
}

#[test]
fn order_errors_make_a_partial_failure_that_is_still_ok() {
    let fake = start();
    fake.push_reply(Reply::status(201).body(
        r#"{"orders": [{"id": "o1", "status": "pending"}],
            "orderErrors": [{"orderGroupId": "1", "code": 800067, "description": "Seat limit reached."}]}"#,
    ));
    let result = client(&fake).checkout(CUSTOMER, CART).unwrap();
    assert!(result.is_partial_failure());
    assert_eq!(result.orders.len(), 1);
    let error = &result.order_errors[0];
    assert_eq!(error.code, Some(FaultCode::Number(800_067)));
    assert_eq!(
        error.to_string(),
        "order group 1: error 800067: Seat limit reached."
    );
}

#[test]
fn ids_come_as_str_string_uuid_or_typed() {
    let fake = start();
    for _ in 0..4 {
        fake.push_reply(Reply::status(201).body("{}"));
    }
    let client = client(&fake);
    let customer_uuid = Uuid::parse_str(CUSTOMER).unwrap();
    let cart_id: CartId = CART.parse().unwrap();
    client.checkout(CUSTOMER, CART).unwrap();
    client
        .checkout(CUSTOMER.to_owned(), CART.to_owned())
        .unwrap();
    client
        .checkout(customer_uuid, Uuid::parse_str(CART).unwrap())
        .unwrap();
    client
        .checkout(CustomerId::from(customer_uuid), cart_id)
        .unwrap();
    let paths: HashSet<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
}

#[test]
fn bad_ids_are_refused_before_any_traffic() {
    let fake = start();
    let client = client(&fake);
    for (customer, cart) in [
        ("not-a-guid", CART),
        (CUSTOMER, ""),
        (CUSTOMER, "../../customers"),
        ("28045616-f6b9-462f-9701-0d89b5e65c44/../x", CART),
        (CUSTOMER, "3655b1a0-b1c9-4268-9824-577fdbc4d0be?x=1"),
    ] {
        let error = client.checkout(customer, cart).unwrap_err();
        assert!(matches!(error, Error::InvalidId { .. }), "{error}");
        assert!(error.to_string().starts_with("invalid "), "{error}");
        assert_eq!(error.request_id(), None);
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn retries_reuse_the_request_id_and_the_next_call_gets_a_new_one() {
    let fake = start();
    fake.push_replies([
        Reply::fault(503, 900_192, "Try again later."),
        Reply::status(502),
        Reply::status(201).body("{}"),
        Reply::status(201).body("{}"),
    ]);
    let client = client(&fake);
    client.checkout(CUSTOMER, CART).unwrap();
    client.checkout(CUSTOMER, CART).unwrap();
    let ids: Vec<Uuid> = (0..4).map(|i| request_id_of(&fake, i)).collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3]);
}

#[test]
fn transient_statuses_are_retried() {
    let cases: [(u16, Option<i64>); 8] = [
        (408, None),
        (429, None),
        (500, None),
        (502, None),
        (503, None),
        (504, None),
        (409, Some(800_060)),
        (409, Some(800_064)),
    ];
    for (status, code) in cases {
        let fake = start();
        let failure = match code {
            Some(code) => Reply::fault(status, code, "busy"),
            None => Reply::status(status),
        };
        fake.push_replies([failure, Reply::status(201).body("{}")]);
        let result = client(&fake).checkout(CUSTOMER, CART);
        assert!(result.is_ok(), "{status} {code:?}: {result:?}");
        assert_eq!(fake.requests().len(), 2, "{status} {code:?}");
    }
}

#[test]
fn other_client_errors_are_not_retried() {
    // A 401 is repeated once with a fresh token: see retries::attempts.
    let cases: [(u16, i64); 7] = [
        (400, 800_002),
        (403, 900_121),
        (404, 800_008),
        (409, 800_065),
        (412, 0),
        (417, 800_036),
        (501, 0),
    ];
    for (status, code) in cases {
        let fake = start();
        fake.push_replies([
            Reply::fault(status, code, "no"),
            Reply::status(201).body("{}"),
        ]);
        let error = client(&fake).checkout(CUSTOMER, CART).unwrap_err();
        assert_eq!(error.status(), Some(status));
        assert_eq!(
            error.fault().and_then(|f| f.code.as_ref()),
            Some(&FaultCode::Number(code))
        );
        assert!(!error.is_retryable(), "{status}");
        assert_eq!(fake.requests().len(), 1, "{status}");
    }
}

#[test]
fn gives_up_after_max_attempts_with_the_last_error() {
    let fake = start();
    fake.push_replies((0..5).map(|_| Reply::fault(503, 800_003, "Unexpected failure.")));
    let error = builder(&fake)
        .retry_policy(fast_retries().max_attempts(3))
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(error.status(), Some(503));
    assert!(error.is_retryable());
    assert_eq!(error.call().unwrap().attempts(), 3);
    assert_eq!(error.request_id(), Some(request_id_of(&fake, 2)));
    let text = error.to_string();
    assert!(text.contains("HTTP 503"), "{text}");
    assert!(text.contains("800003"), "{text}");
    assert!(text.contains("Unexpected failure."), "{text}");
    assert!(text.contains("3 attempts"), "{text}");
}

#[test]
fn retry_policy_none_makes_one_attempt() {
    let fake = start();
    fake.push_replies([Reply::status(503), Reply::status(201).body("{}")]);
    let error = builder(&fake)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn retry_after_seconds_is_honoured() {
    let fake = start();
    fake.push_replies([Reply::throttled(1), Reply::status(201).body("{}")]);
    let started = Instant::now();
    client(&fake).checkout(CUSTOMER, CART).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let fake = start();
    // An HTTP date two seconds ahead; whole seconds, so at least one second.
    let at = std::time::SystemTime::now() + Duration::from_secs(2);
    fake.push_replies([
        Reply::status(503).header("Retry-After", http_date(at)),
        Reply::status(201).body("{}"),
    ]);
    let started = Instant::now();
    client(&fake).checkout(CUSTOMER, CART).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

/// Formats an IMF-fixdate, the way servers write `Retry-After`.
fn http_date(at: std::time::SystemTime) -> String {
    let secs = at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since the epoch.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[test]
fn a_retry_after_over_the_cap_ends_the_call_at_once() {
    let fake = start();
    fake.push_replies([Reply::throttled(120), Reply::status(201).body("{}")]);
    let error = builder(&fake)
        .retry_policy(fast_retries().max_retry_after(Duration::from_secs(30)))
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert_eq!(fake.requests().len(), 1);
    assert!(
        matches!(error, Error::RetryAfterTooLong { .. }),
        "{error:?}"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(error.status(), Some(429));
    assert!(error.is_retryable());
    let text = error.to_string();
    assert!(text.contains("120s"), "{text}");
    assert!(text.contains("Rate limit is exceeded"), "{text}");
    assert_eq!(error.request_id(), Some(request_id_of(&fake, 0)));
}

#[test]
fn an_undecodable_success_is_not_retried_and_tells_the_request_id() {
    let fake = start();
    fake.push_replies([
        Reply::status(201).body("<html>surprise</html>"),
        Reply::status(201).body(fixture("checkout-doc-example.json")),
    ]);
    let client = client(&fake);
    let error = client.checkout(CUSTOMER, CART).unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 201, .. }),
        "{error:?}"
    );
    assert_eq!(fake.requests().len(), 1);
    assert!(!error.is_retryable());
    let request_id = error.request_id().unwrap();
    assert_eq!(request_id, request_id_of(&fake, 0));
    assert!(error.to_string().contains(&request_id.to_string()));
    assert!(std::error::Error::source(&error).is_some());

    // The caller repeats the call with the same ID, and gets the result.
    let result = client
        .checkout_with(
            CUSTOMER,
            CART,
            &CheckoutOptions::new().request_id(request_id),
        )
        .unwrap();
    assert_eq!(result.orders.len(), 3);
    assert_eq!(request_id_of(&fake, 1), request_id);
}

#[test]
fn error_bodies_of_every_shape_give_useful_errors() {
    let cases: Vec<(Reply, &str)> = vec![
        (Reply::status(400).body(fixture("apifault-400.json")), "Subscription quantity cannot be decreased."),
        (Reply::status(404).body(r#"{"code":"3000","description":"Not here."}"#), "error 3000: Not here."),
        (Reply::status(403).body(b"\xEF\xBB\xBF{\"code\":900121,\"description\":\"Credit limit.\"}".to_vec()), "Credit limit."),
        (Reply::status(429).body(fixture("throttled-429.json")), "Rate limit is exceeded. Try again in 57 seconds."),
        (
            Reply::status(502)
                .header("Content-Type", "text/html")
                .body("<html><head><title>502 Bad Gateway</title></head><body><h1>oops</h1></body></html>"),
            "502 Bad Gateway",
        ),
        (Reply::status(500), "HTTP 500 Internal Server Error"),
        (Reply::status(503).body("   "), "HTTP 503 Service Unavailable"),
        (Reply::status(400).body("Bad request: quantity"), "Bad request: quantity"),
        (Reply::status(400).body("{\"code\": [1], \"description\": {}}"), "HTTP 400"),
        (Reply::status(418).body(vec![0xff, 0xfe, 0x00, 0x41]), "HTTP 418"),
    ];
    for (reply, expected) in cases {
        let fake = start();
        fake.push_reply(reply);
        let error = builder(&fake)
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap()
            .checkout(CUSTOMER, CART)
            .unwrap_err();
        let text = error.to_string();
        assert!(text.contains(expected), "{text} lacks {expected}");
        assert!(
            text.contains(&request_id_of(&fake, 0).to_string()),
            "{text}"
        );
        assert!(error.service_error().is_some());
    }
}

#[test]
fn error_exposes_the_parsed_fault() {
    let fake = start();
    fake.push_reply(
        Reply::status(400)
            .header("MS-CV", "sF/wRa2ih0CzbABc.0")
            .body(fixture("apifault-400.json")),
    );
    let error = client(&fake).checkout(CUSTOMER, CART).unwrap_err();
    let fault = error.fault().unwrap();
    assert_eq!(fault.code, Some(FaultCode::Number(800_090)));
    assert_eq!(
        fault.description.as_deref(),
        Some("Subscription quantity cannot be decreased.")
    );
    assert!(fault.data.is_empty());
    assert_eq!(fault.source.as_deref(), Some("PartnerFD"));
    let service = error.service_error().unwrap();
    assert_eq!(service.code_number(), Some(800_090));
    assert_eq!(service.correlation_vector(), Some("sF/wRa2ih0CzbABc.0"));
    assert_eq!(
        error.correlation_id(),
        Some(Uuid::parse_str(fake.requests()[0].header("ms-correlationid").unwrap()).unwrap())
    );
}

#[test]
fn timeouts_are_retried_then_reported() {
    let fake = start();
    fake.push_replies([
        Reply::status(201).body("{}").delay(Duration::from_secs(2)),
        Reply::status(201).body("{}").delay(Duration::from_secs(2)),
    ]);
    let error = builder(&fake)
        .timeout(Duration::from_millis(200))
        .retry_policy(fast_retries().max_attempts(2))
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportErrorKind::Timeout,
                status: None,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(request_id_of(&fake, 0), request_id_of(&fake, 1));
    assert_eq!(error.request_id(), Some(request_id_of(&fake, 0)));
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[test]
fn a_timeout_then_a_success_succeeds() {
    let fake = start();
    fake.push_replies([
        Reply::status(201).body("{}").delay(Duration::from_secs(2)),
        Reply::status(201).body(fixture("checkout-doc-example.json")),
    ]);
    let result = builder(&fake)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap();
    assert_eq!(result.orders.len(), 3);
}

#[test]
fn dropped_connections_are_retried() {
    let fake = start();
    fake.push_replies([Reply::drop_connection(), Reply::status(201).body("{}")]);
    client(&fake).checkout(CUSTOMER, CART).unwrap();
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(request_id_of(&fake, 0), request_id_of(&fake, 1));
}

#[test]
fn refused_connections_are_retried_then_reported() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let error = Client::builder(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::io::Error>(TOKEN)
    })
    .base_url(format!("http://127.0.0.1:{port}"))
    .retry_policy(fast_retries().max_attempts(3))
    .build()
    .unwrap()
    .checkout(CUSTOMER, CART)
    .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportErrorKind::Connect | TransportErrorKind::Io,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(error.call().unwrap().attempts(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn a_body_over_the_cap_is_refused_without_reading_it() {
    let fake = start();
    // Four gibibytes declared: reading it whole would not end.
    fake.push_reply(Reply::streamed(201, b' ', 4 << 30));
    let error = builder(&fake)
        .max_response_bytes(1024)
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::ResponseTooLarge {
                status: 201,
                limit: 1024,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.request_id(), Some(request_id_of(&fake, 0)));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_checkout_whose_success_cannot_be_read_says_it_went_through() {
    let fake = start();
    let client = builder(&fake)
        .max_response_bytes(256 * 1024)
        .build()
        .unwrap();
    // Too large, then too dense: a body of many empty objects.
    fake.push_reply(Reply::streamed(201, b' ', 1 << 20));
    let dense = format!(r#"{{"orders": [{}{{}}]}}"#, "{},".repeat(70_000));
    fake.push_reply(Reply::status(201).body(dense));
    for expected in ["larger than", "could take more than"] {
        let error = client.checkout(CUSTOMER, CART).unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(
                error,
                Error::ResponseTooLarge { status: 201, .. }
                    | Error::ResponseTooDense { status: 201, .. }
            ),
            "{error:?}"
        );
        assert!(error.should_repeat(), "{error:?}");
        assert!(text.starts_with("the checkout went through"), "{text}");
        assert!(text.contains("replays its result"), "{text}");
        assert!(text.contains(expected), "{text}");
    }
    // A refusal's unreadable body, and another call's, say no such thing.
    fake.push_reply(Reply::streamed(400, b' ', 1 << 20));
    let refused = client.checkout(CUSTOMER, CART).unwrap_err();
    assert!(!refused.to_string().contains("went through"), "{refused}");
    assert!(!refused.should_repeat(), "{refused:?}");
    fake.push_reply(Reply::streamed(200, b' ', 1 << 20));
    let read = client.get_cart(CUSTOMER, CART).unwrap_err();
    assert!(!read.to_string().contains("went through"), "{read}");
    assert!(!read.should_repeat(), "{read:?}");
}

#[test]
fn a_chunked_body_over_the_cap_is_refused() {
    let fake = start();
    fake.push_reply(Reply::streamed(201, b' ', 8 << 20).chunked());
    let error = builder(&fake)
        .max_response_bytes(1 << 20)
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert!(matches!(error, Error::ResponseTooLarge { .. }), "{error:?}");
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_body_under_the_cap_is_read() {
    let fake = start();
    let body = fixture("checkout-doc-example.json");
    let len = body.len() as u64;
    fake.push_reply(Reply::status(201).body(body));
    let result = builder(&fake)
        .max_response_bytes(len)
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART);
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn redirects_are_not_followed() {
    let fake = start();
    let elsewhere = start();
    fake.push_reply(
        Reply::status(302).header("Location", format!("{}/v1/steal", elsewhere.base_url())),
    );
    let error = client(&fake).checkout(CUSTOMER, CART).unwrap_err();
    assert_eq!(error.status(), Some(302));
    assert!(!error.is_retryable());
    assert!(
        error
            .service_error()
            .unwrap()
            .location()
            .unwrap()
            .contains("/v1/steal")
    );
    assert!(elsewhere.requests().is_empty());
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn sequential_calls_and_clones_share_one_connection() {
    let fake = start();
    for _ in 0..3 {
        fake.push_reply(Reply::status(201).body(fixture("checkout-doc-example.json")));
    }
    let client = client(&fake);
    client.checkout(CUSTOMER, CART).unwrap();
    client.checkout(CUSTOMER, CART).unwrap();
    client.clone().checkout(CUSTOMER, CART).unwrap();
    let connections: HashSet<u64> = fake.requests().iter().map(|r| r.connection).collect();
    assert_eq!(connections.len(), 1, "{connections:?}");
}

#[test]
fn the_provider_is_asked_before_every_attempt() {
    let fake = start();
    fake.push_replies([
        Reply::status(503),
        Reply::status(503),
        Reply::status(201).body("{}"),
    ]);
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    Client::builder(move || {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::io::Error>(format!("token-{n}"))
    })
    .base_url(fake.base_url())
    .retry_policy(fast_retries())
    .build()
    .unwrap()
    .checkout(CUSTOMER, CART)
    .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let tokens: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(
        tokens,
        ["Bearer token-0", "Bearer token-1", "Bearer token-2"]
    );
}

#[test]
fn a_failing_provider_stops_the_call_before_sending() {
    let fake = start();
    let client = Client::builder(|| Err::<String, _>("credentials expired"))
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let error = client.checkout(CUSTOMER, CART).unwrap_err();
    assert!(matches!(error, Error::Token { .. }), "{error:?}");
    assert!(error.request_id().is_some());
    assert_eq!(
        std::error::Error::source(&error).unwrap().to_string(),
        "credentials expired"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn a_token_that_cannot_go_in_a_header_is_refused() {
    let fake = start();
    // No hex digits, which the call's request and correlation IDs show.
    let secret = "sekrit\r\nX-Injected: yes";
    let error = Client::builder(move || Ok::<_, std::io::Error>(secret))
        .base_url(fake.base_url())
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert!(matches!(error, Error::Token { .. }), "{error:?}");
    assert!(!format!("{error} {error:?}").contains("sekrit"));
    assert!(fake.requests().is_empty());
}

#[test]
fn the_token_never_shows_in_errors_or_debug() {
    let fake = start();
    fake.push_reply(Reply::fault(401, 800_001, "Unauthorized"));
    let builder = builder(&fake);
    let builder_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    let error = client.checkout(CUSTOMER, CART).unwrap_err();
    let mut texts = vec![
        builder_debug,
        format!("{client:?}"),
        format!("{error}"),
        format!("{error:?}"),
    ];
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        texts.push(cause.to_string());
        source = cause.source();
    }
    for text in texts {
        assert!(!text.contains(TOKEN), "{text}");
    }
}

#[test]
fn base_urls_other_than_https_or_loopback_are_refused() {
    for url in [
        "http://api.partnercenter.microsoft.com",
        "ftp://127.0.0.1",
        "not a url",
    ] {
        let error = Client::builder(|| Ok::<_, std::io::Error>(TOKEN))
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(matches!(error, Error::InvalidConfig(_)), "{url}: {error:?}");
    }
    for (cloud, url) in [
        (Cloud::Global, "https://api.partnercenter.microsoft.com"),
        (
            Cloud::China,
            "https://partner.partnercenterapi.microsoftonline.cn",
        ),
    ] {
        let client = Client::builder(|| Ok::<_, std::io::Error>(TOKEN))
            .cloud(cloud)
            .build()
            .unwrap();
        assert_eq!(client.base_url(), url);
    }
    assert_eq!(
        Client::new(|| Ok::<_, std::io::Error>(TOKEN)).base_url(),
        Cloud::Global.api_base_url()
    );
}

#[test]
fn bad_settings_are_refused() {
    let make = || Client::builder(|| Ok::<_, std::io::Error>(TOKEN));
    for result in [
        make().locale("en\r\nX: y").build(),
        make().application_name("").build(),
        make().timeout(Duration::ZERO).build(),
        make()
            .timeout(Duration::MAX - Duration::from_secs(1))
            .build(),
        make().connect_timeout(Duration::from_secs(86_401)).build(),
        make().max_response_bytes(0).build(),
        make().max_list_bytes(0).build(),
        make().list_timeout(Duration::ZERO).build(),
        make()
            .proxy(partner_center_cart::Proxy::url("::not a proxy::"))
            .build(),
    ] {
        assert!(matches!(result, Err(Error::InvalidConfig(_))), "{result:?}");
    }
    // Duration::MAX means no timeout.
    assert!(
        make()
            .timeout(Duration::MAX)
            .connect_timeout(Duration::MAX)
            .list_timeout(Duration::MAX)
            .build()
            .is_ok()
    );
}

#[test]
fn one_client_serves_many_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Client>();

    let fake = start();
    for _ in 0..8 {
        fake.push_reply(Reply::status(201).body(fixture("checkout-doc-example.json")));
    }
    let client = client(&fake);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || client.checkout(CUSTOMER, CART).map(|r| r.orders.len()))
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap().unwrap(), 3);
    }
    let ids: HashSet<_> = fake
        .requests()
        .iter()
        .map(|r| r.header("ms-requestid").unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 8);
}

/// Proxy variables in the environment must not send loopback traffic to a
/// proxy. The test runs itself again in a child process with them set.
#[test]
fn proxy_variables_do_not_divert_loopback_calls() {
    if common::child::in_child() {
        let fake = start();
        fake.push_reply(Reply::status(201).body("{}"));
        client(&fake).checkout(CUSTOMER, CART).unwrap();
        assert_eq!(fake.requests().len(), 1);
        return;
    }
    common::child::run_in_proxied_child("checkout::proxy_variables_do_not_divert_loopback_calls");
}
