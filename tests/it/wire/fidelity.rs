//! What the real Partner Center and its official clients do that a fake
//! written from our own reading would not teach: headers, faults inside a
//! 2xx, line item numbering, fields kept through an update, request IDs
//! after an answer, priced orders, unknown order statuses. Each test runs
//! against the fake, which refuses what the service refuses.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{CART, CUSTOMER, builder, checkouts, client, fast_retries, quick_wait, start};
use partner_center_cart::fake::{FakePartnerCenter, Reply};
use partner_center_cart::{
    BillingCycle, CartLineItem, NewCart,
    model::{CartError, CartErrorCode, OrderStatus},
};
use partner_center_cart::{CheckoutOptions, Error, Uuid, model::Order};
use partner_center_cart::{CreateCartOptions, OrderOptions};

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
const TEAMS: &str = "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ";
const ADD_ON: &str = "CFQ7TTC0LCHC:0002:CFQ7TTC0KJ1J";
const RESERVED_VM: &str = "DZH318Z0BQ36:004G:DZH318Z08C0S";

fn one_item_cart() -> NewCart {
    NewCart::new()
        .line_item(CartLineItem::new(OFFICE, 3, BillingCycle::Monthly).term_duration("P1M"))
}

fn request_id(fake: &FakePartnerCenter, index: usize) -> Uuid {
    let requests = fake.requests();
    Uuid::parse_str(
        requests[index]
            .header("ms-requestid")
            .expect("MS-RequestId sent"),
    )
    .expect("MS-RequestId is a GUID")
}

// Item 1: headers.

#[test]
fn every_call_sends_json_headers_and_the_contract_version() {
    let fake = start();
    let client = client(&fake);
    let mut cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let cart_id = cart.id.unwrap();
    cart.line_items[0].quantity = 4;
    let cart = client.update_cart(CUSTOMER, cart_id, &cart).unwrap();
    client.get_cart(CUSTOMER, cart_id).unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let order = &result.orders[0].id;
    client
        .get_order(CUSTOMER, order, &OrderOptions::new())
        .unwrap();
    client
        .get_order(CUSTOMER, order, &OrderOptions::new().include_price(true))
        .unwrap();
    client.list_orders(CUSTOMER, &OrderOptions::new()).unwrap();
    client
        .get_order_provisioning_status(CUSTOMER, order)
        .unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 8);
    for request in &requests {
        let what = format!("{} {}", request.method, request.path);
        assert_eq!(request.header("accept"), Some("application/json"), "{what}");
        assert_eq!(request.header("ms-contract-version"), Some("v1"), "{what}");
        if request.method == "GET" {
            assert_eq!(request.header("content-type"), None, "{what}");
        } else {
            assert_eq!(
                request.header("content-type"),
                Some("application/json"),
                "{what}"
            );
        }
    }
    let checkout = &checkouts(&fake)[0];
    assert!(checkout.body.is_empty());
    assert_eq!(checkout.header("content-length"), Some("0"));
}

#[test]
fn the_fake_refuses_a_post_or_put_that_is_not_json_even_when_scripted() {
    let fake = start();
    fake.push_reply(Reply::status(201).body("{}"));
    let url = format!(
        "{}/v1/customers/{CUSTOMER}/carts/{CART}/checkout",
        fake.base_url()
    );
    for content_type in [None, Some("text/plain"), Some("application/jsonp")] {
        let mut request = ureq::http::Request::post(&url).header("Authorization", "Bearer t");
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let response = raw_agent().run(request.body(&b""[..]).unwrap()).unwrap();
        assert_eq!(response.status().as_u16(), 415, "{content_type:?}");
    }
    assert_eq!(fake.pending_replies(), 1, "the script was not used");
    let request = ureq::http::Request::put(format!(
        "{}/v1/customers/{CUSTOMER}/carts/{CART}",
        fake.base_url()
    ))
    .header("Authorization", "Bearer t")
    .header("Content-Type", "Application/JSON; charset=utf-8")
    .body(&b"{}"[..])
    .unwrap();
    let response = raw_agent().run(request).unwrap();
    assert_eq!(
        response.status().as_u16(),
        201,
        "the script answers a JSON PUT"
    );
}

/// A plain agent for requests the client would never send.
fn raw_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}

// Item 7: what the SDKs have.

#[test]
fn checkout_with_sends_the_request_id_and_the_licence_user() {
    let fake = start();
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let chosen = Uuid::from_u128(0x5eed_cafe);
    let result = client
        .checkout_with(
            CUSTOMER,
            cart.id.unwrap(),
            &CheckoutOptions::new()
                .request_id(chosen)
                .customer_user_upn("user@contoso.com"),
        )
        .unwrap();
    assert_eq!(result.orders.len(), 1);
    let checkout = fake.requests().pop().unwrap();
    assert_eq!(
        checkout.header("ms-requestid"),
        Some(chosen.to_string().as_str())
    );
    assert_eq!(
        checkout.header("x-ms-customeruser-upn"),
        Some("user@contoso.com")
    );

    // Without options: a new request ID each call, and no licence user.
    client
        .checkout_with(CUSTOMER, cart.id.unwrap(), &CheckoutOptions::new())
        .unwrap();
    client
        .checkout_with(CUSTOMER, cart.id.unwrap(), &CheckoutOptions::default())
        .unwrap();
    let count = fake.requests().len();
    let (first, second) = (request_id(&fake, count - 2), request_id(&fake, count - 1));
    assert_ne!(first, second);
    assert_ne!(first, chosen);
    assert_eq!(
        fake.requests()[count - 1].header("x-ms-customeruser-upn"),
        None
    );

    // The shorthand still sends the caller's ID.
    client
        .checkout_with(
            CUSTOMER,
            cart.id.unwrap(),
            &CheckoutOptions::new().request_id(chosen),
        )
        .unwrap();
    assert_eq!(request_id(&fake, count), chosen);
}

#[test]
fn a_licence_user_that_cannot_go_in_a_header_is_refused_before_sending() {
    let fake = start();
    let client = client(&fake);
    for upn in [
        "user@contoso.com\r\nX-Evil: 1",
        "user\u{7}@contoso.com",
        "",
        " ",
        "usér@contoso.com",
    ] {
        let error = client
            .checkout_with(
                CUSTOMER,
                CART,
                &CheckoutOptions::new().customer_user_upn(upn),
            )
            .unwrap_err();
        assert!(matches!(error, Error::InvalidConfig(_)), "{upn:?}: {error}");
        let text = error.to_string();
        assert!(text.contains("UPN"), "{text}");
        assert!(!text.contains('\u{7}') && !text.contains('\r'), "{text:?}");
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn orders_come_with_their_price_only_when_asked() {
    let fake = start();
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let order_id = client.checkout(CUSTOMER, &cart).unwrap().orders[0]
        .id
        .clone();

    let plain = client
        .get_order(CUSTOMER, &order_id, &OrderOptions::new())
        .unwrap();
    assert_eq!(plain.total_price, None);
    assert_eq!(
        fake.requests().pop().unwrap().path,
        format!("/v1/customers/{CUSTOMER}/orders/{order_id}")
    );

    let priced = client
        .get_order(
            CUSTOMER,
            &order_id,
            &OrderOptions::new().include_price(true),
        )
        .unwrap();
    assert!(
        priced.total_price.is_some_and(|price| price > 0.0),
        "{priced:?}"
    );
    assert_eq!(
        fake.requests().pop().unwrap().path,
        format!("/v1/customers/{CUSTOMER}/orders/{order_id}?include_price=true")
    );

    assert!(
        client.list_orders(CUSTOMER, &OrderOptions::new()).unwrap()[0]
            .total_price
            .is_none()
    );
    let listed = client
        .list_orders(CUSTOMER, &OrderOptions::new().include_price(true))
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].total_price, priced.total_price);
    assert_eq!(
        fake.requests().pop().unwrap().path,
        format!("/v1/customers/{CUSTOMER}/orders?include_price=true")
    );

    let error = builder(&fake)
        .build()
        .unwrap()
        .get_order(
            CUSTOMER,
            "not/safe",
            &OrderOptions::new().include_price(true),
        )
        .unwrap_err();
    assert!(matches!(error, Error::InvalidId { .. }), "{error}");
}

// Item 5: request IDs after an answer.

#[test]
fn answers_that_took_nothing_renew_the_request_id_until_an_outcome_is_unknown() {
    let fake = start();
    fake.push_replies([
        Reply::throttled(0),                                         // 0: took nothing
        Reply::throttled(0),                                         // 1: took nothing
        Reply::fault(503, 900_192, "Try again later."),              // 2: unknown outcome
        Reply::status(408),                                          // 3: unknown outcome
        Reply::status(201).body("{}").delay(Duration::from_secs(2)), // 4: timed out
        Reply::drop_connection(),                                    // 5: no answer
        Reply::throttled(0), // 6: took nothing, but the call is in doubt
        Reply::status(500),  // 7: unknown outcome
        Reply::status(201).body("{}"), // 8
    ]);
    builder(&fake)
        .timeout(Duration::from_millis(300))
        .retry_policy(fast_retries().max_attempts(9))
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap();
    let ids: Vec<Uuid> = (0..9).map(|i| request_id(&fake, i)).collect();
    // A new one after each 429 of a call not in doubt.
    assert_ne!(ids[1], ids[0]);
    assert_ne!(ids[2], ids[1]);
    // From the 503 on, the call is in doubt: one ID, the 429 included.
    assert!(ids[2..].iter().all(|id| *id == ids[2]), "{ids:?}");
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        3
    );
}

#[test]
fn answers_in_progress_keep_the_request_id_they_were_given() {
    // 409 with 800060 or 800064 says the request is still being worked on,
    // not that nothing was taken: the call keeps the ID from then on.
    let fake = start();
    fake.push_replies([
        Reply::throttled(0), // 0: took nothing
        Reply::fault(409, 800_064, "Cart is being processed by another request."), // 1
        Reply::fault(
            409,
            800_060,
            "Your order is in progress. Check your order history for recent orders in few minutes.",
        ), // 2
        Reply::throttled(0), // 3: took nothing, but the call is in progress
        Reply::status(201).body("{}"), // 4
    ]);
    builder(&fake)
        .retry_policy(fast_retries().max_attempts(5))
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap();
    let ids: Vec<Uuid> = (0..5).map(|i| request_id(&fake, i)).collect();
    assert_ne!(ids[1], ids[0]);
    assert!(ids[1..].iter().all(|id| *id == ids[1]), "{ids:?}");
}

#[test]
fn an_error_reports_the_request_id_of_the_attempt_in_doubt() {
    let fake = start();
    fake.push_replies([Reply::throttled(0), Reply::throttled(0), Reply::status(503)]);
    // 429s that use up attempts, so that the 503 is the last.
    let error = builder(&fake)
        .retry_policy(fast_retries().max_attempts(3).max_throttled_retries(0))
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.call().unwrap().attempts(), 3);
    assert_eq!(error.request_id(), Some(request_id(&fake, 2)));
    assert_ne!(request_id(&fake, 2), request_id(&fake, 0));
    assert!(
        error
            .to_string()
            .contains(&request_id(&fake, 2).to_string()),
        "{error}"
    );

    // A caller's own request ID is never renewed, and the error reports it.
    let fake = start();
    fake.push_replies([Reply::throttled(0), Reply::throttled(0)]);
    let chosen = Uuid::from_u128(7);
    let error = builder(&fake)
        .retry_policy(fast_retries().max_attempts(2).max_throttled_retries(0))
        .build()
        .unwrap()
        .checkout_with(CUSTOMER, CART, &CheckoutOptions::new().request_id(chosen))
        .unwrap_err();
    assert_eq!(request_id(&fake, 0), chosen);
    assert_eq!(request_id(&fake, 1), chosen);
    assert_eq!(error.request_id(), Some(chosen));
    assert!(error.is_retryable());
}

#[test]
fn a_create_whose_answer_was_lost_is_retried_as_the_same_request_and_makes_one_cart() {
    let fake = start();
    // The fake creates the cart, then the answer is lost twice: once to a
    // dropped connection, once to a timeout.
    fake.push_replies([
        Reply::built_in().then_drop_connection(),
        Reply::built_in().delay(Duration::from_secs(2)),
    ]);
    let client = builder(&fake)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(request_id(&fake, 0), request_id(&fake, 2));
    let listed = fake.cart(CUSTOMER, cart.id.unwrap()).unwrap();
    assert_eq!(listed.id, cart.id);
    assert_eq!(fake.carts(CUSTOMER).len(), 1, "one cart, not three");

    // A new call is a new request, and makes a new cart.
    let second = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    assert_ne!(second.id, cart.id);
    assert_eq!(fake.carts(CUSTOMER).len(), 2);

    // Resuming with the first call's ID returns the first cart.
    let again = client
        .create_cart(
            CUSTOMER,
            &one_item_cart(),
            &CreateCartOptions::new().request_id(request_id(&fake, 0)),
        )
        .unwrap();
    assert_eq!(again.id, cart.id);
    assert_eq!(fake.carts(CUSTOMER).len(), 2);
}

// Item 2: a fault inside a 2xx is an error.

#[test]
fn a_fault_sent_with_http_200_is_an_error_for_checkout() {
    let fake = start();
    fake.inject_success_fault(OFFICE, 400_072, "The item is unavailable.");
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let error = client.checkout(CUSTOMER, &cart).unwrap_err();

    let Error::Service(service) = &error else {
        panic!("not a service error: {error:?}");
    };
    assert_eq!(service.status(), 200);
    assert_eq!(service.code_number(), Some(400_072));
    assert_eq!(service.message(), Some("The item is unavailable."));
    assert_eq!(error.status(), Some(200));
    assert_eq!(error.request_id(), Some(request_id(&fake, 1)));
    assert!(error.correlation_id().is_some());
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(
        text.contains("HTTP 200") && text.contains("400072"),
        "{text}"
    );
    assert_eq!(fake.requests().len(), 2, "not retried");
    assert!(fake.orders().is_empty(), "nothing was ordered");
}

#[test]
fn a_fault_sent_with_a_success_status_is_an_error_for_every_call() {
    let fake = start();
    let client = client(&fake);
    type Call<'a> = Box<dyn Fn() -> Result<(), Error> + 'a>;
    let calls: Vec<(&str, Call<'_>)> = vec![
        (
            "checkout",
            Box::new(|| client.checkout(CUSTOMER, CART).map(drop)),
        ),
        (
            "create_cart",
            Box::new(|| {
                client
                    .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
                    .map(drop)
            }),
        ),
        (
            "get_cart",
            Box::new(|| client.get_cart(CUSTOMER, CART).map(drop)),
        ),
        (
            "update_cart",
            Box::new(|| {
                let cart = partner_center_cart::Cart::default();
                client.update_cart(CUSTOMER, CART, &cart).map(drop)
            }),
        ),
        (
            "get_order",
            Box::new(|| {
                client
                    .get_order(CUSTOMER, "o1", &OrderOptions::new())
                    .map(drop)
            }),
        ),
        (
            "list_orders",
            Box::new(|| client.list_orders(CUSTOMER, &OrderOptions::new()).map(drop)),
        ),
        (
            "get_order_provisioning_status",
            Box::new(|| {
                client
                    .get_order_provisioning_status(CUSTOMER, "o1")
                    .map(drop)
            }),
        ),
    ];
    for (name, call) in &calls {
        for status in [200, 201] {
            fake.push_reply(Reply::fault(status, 400_072, "The item is unavailable."));
            let error = call().unwrap_err();
            assert_eq!(error.status(), Some(status), "{name}");
            assert_eq!(
                error.service_error().and_then(|e| e.code_number()),
                Some(400_072),
                "{name}: {error}"
            );
        }
    }
}

// Item 3: line item IDs are unique across the cart, add-ons included.

fn cart_with_add_ons() -> NewCart {
    NewCart::new()
        .line_item(
            CartLineItem::new(OFFICE, 5, BillingCycle::Monthly)
                .term_duration("P1M")
                .addon(CartLineItem::new(TEAMS, 5, BillingCycle::Monthly).term_duration("P1M"))
                .addon(CartLineItem::new(ADD_ON, 2, BillingCycle::Monthly).term_duration("P1M")),
        )
        .line_item(CartLineItem::new(RESERVED_VM, 1, BillingCycle::OneTime).term_duration("P1Y"))
}

#[test]
fn add_ons_are_numbered_with_the_base_items_and_the_failing_one_is_named() {
    let fake = start();
    fake.inject_line_item_error(
        ADD_ON,
        CartError::new(CartErrorCode::CatalogItemIdIsNotValid, "not sold here"),
    );
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &cart_with_add_ons(), &CreateCartOptions::new())
        .unwrap();

    let sent: serde_json::Value = serde_json::from_slice(&fake.requests()[0].body).unwrap();
    let items = &sent["lineItems"];
    let ids = [
        &items[0]["id"],
        &items[0]["addonItems"][0]["id"],
        &items[0]["addonItems"][1]["id"],
        &items[1]["id"],
    ];
    assert_eq!(ids, [0, 1, 2, 3]);

    let errors = cart.line_item_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line_item_id, 2);
    assert_eq!(errors[0].catalog_item_id, ADD_ON);
    let named: Vec<&CartLineItem> = cart
        .line_items
        .iter()
        .flat_map(|item| std::iter::once(item).chain(&item.addon_items))
        .filter(|item| item.id == errors[0].line_item_id)
        .collect();
    assert_eq!(named.len(), 1, "the ID names one item");
    assert_eq!(named[0].catalog_item_id, ADD_ON);
}

#[test]
fn the_fake_refuses_a_cart_whose_line_item_ids_repeat() {
    let fake = start();
    let client = client(&fake);
    // What the crate sent before: each add-on list numbered from 0.
    let repeated = serde_json::json!({"lineItems": [
        {"id": 0, "catalogItemId": OFFICE, "quantity": 5, "billingCycle": "monthly",
         "addonItems": [{"id": 0, "catalogItemId": TEAMS, "quantity": 5, "billingCycle": "monthly"}]},
        {"id": 1, "catalogItemId": RESERVED_VM, "quantity": 1, "billingCycle": "one_time"}
    ]});
    let new_cart: NewCart = serde_json::from_value(repeated).unwrap();
    let error = client
        .create_cart(CUSTOMER, &new_cart, &CreateCartOptions::new())
        .unwrap_err();
    assert_eq!(error.status(), Some(400), "{error}");
    assert!(error.to_string().contains("unique"), "{error}");
    assert!(fake.carts(CUSTOMER).is_empty());

    // An update that repeats an ID is refused alike, and changes nothing.
    let mut cart = client
        .create_cart(CUSTOMER, &cart_with_add_ons(), &CreateCartOptions::new())
        .unwrap();
    let before = fake.cart(CUSTOMER, cart.id.unwrap()).unwrap();
    cart.line_items[1].id = cart.line_items[0].addon_items[1].id;
    let error = client
        .update_cart(CUSTOMER, cart.id.unwrap(), &cart)
        .unwrap_err();
    assert_eq!(error.status(), Some(400), "{error}");
    assert_eq!(fake.cart(CUSTOMER, cart.id.unwrap()).unwrap(), before);

    // Added the crate's way, a line item takes the next free ID.
    cart.line_items[1].id = 3;
    cart.add_line_item(CartLineItem::new(TEAMS, 1, BillingCycle::Annual).term_duration("P1Y"));
    let updated = client
        .update_cart(CUSTOMER, cart.id.unwrap(), &cart)
        .unwrap();
    assert_eq!(updated.line_items[2].id, 4);
}

// Item 4: GET -> change -> PUT loses nothing.

#[test]
fn fields_the_crate_does_not_model_survive_a_read_change_and_update() {
    let fake = start();
    let client = client(&fake);
    let created = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let cart_id = created.id.unwrap();

    // The service's cart, with fields this crate has no name for.
    let mut wire = serde_json::to_value(fake.cart(CUSTOMER, cart_id).unwrap()).unwrap();
    wire["lineItems"][0]["coterminousSubscriptionId"] =
        serde_json::json!("5c3e0f52-1b6a-4b38-9d8a-7a1f3e4c2d10");
    wire["lineItems"][0]["pricingHint"] = serde_json::json!({"tier": 2, "list": [1, 2.5]});
    wire["purchaseOrderReference"] = serde_json::json!("PO-1182");
    fake.push_reply(Reply::json(200, &wire));

    let mut cart = client.get_cart(CUSTOMER, cart_id).unwrap();
    cart.line_items[0].quantity = 9;
    let updated = client.update_cart(CUSTOMER, cart_id, &cart).unwrap();

    // The PUT sent them back unchanged...
    let put = fake.requests().pop().unwrap();
    assert_eq!(put.method, "PUT");
    let sent: serde_json::Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(sent["lineItems"][0]["quantity"], 9);
    for pointer in [
        "/lineItems/0/coterminousSubscriptionId",
        "/lineItems/0/pricingHint",
        "/purchaseOrderReference",
    ] {
        assert_eq!(sent.pointer(pointer), wire.pointer(pointer), "{pointer}");
    }
    // ...the fake kept them through the update, and a later read has them.
    let read_again = serde_json::to_value(client.get_cart(CUSTOMER, cart_id).unwrap()).unwrap();
    let answered = serde_json::to_value(&updated).unwrap();
    for pointer in [
        "/lineItems/0/coterminousSubscriptionId",
        "/lineItems/0/pricingHint",
        "/purchaseOrderReference",
    ] {
        assert_eq!(
            answered.pointer(pointer),
            wire.pointer(pointer),
            "{pointer}"
        );
        assert_eq!(
            read_again.pointer(pointer),
            wire.pointer(pointer),
            "{pointer}"
        );
    }
    assert_eq!(read_again["lineItems"][0]["quantity"], 9);
}

// Item 8: unknown order statuses.

/// An order as the fake made it, with another status.
fn with_status(order: &Order, status: &str) -> serde_json::Value {
    let mut json = serde_json::to_value(order).unwrap();
    json["status"] = serde_json::json!(status);
    json
}

#[test]
fn an_order_with_an_unknown_status_is_polled_named_and_warned_of_once() {
    let records = common::records::records();
    let fake = start();
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let order = result.orders[0].clone();
    let id = order.id.as_str().to_owned();

    // The service answers `none` three times, then `completed`.
    let mut completed = with_status(&order, "completed");
    completed["lineItems"][0]["subscriptionId"] = serde_json::json!("sub-1");
    fake.push_replies([
        Reply::json(200, &with_status(&order, "none")),
        Reply::json(200, &with_status(&order, "none")),
        Reply::json(200, &with_status(&order, "none")),
        Reply::json(200, &completed),
    ]);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let options = {
        let seen = Arc::clone(&seen);
        quick_wait()
            .timeout(Duration::from_secs(30))
            .on_progress(move |progress| {
                let status = progress
                    .orders
                    .iter()
                    .find(|order| order.id == progress.pending[0])
                    .and_then(|order| order.status.clone());
                seen.lock().unwrap().push(status);
            })
    };
    let orders = client.wait_for_orders(CUSTOMER, &result, options).unwrap();
    assert_eq!(orders[0].status, Some(OrderStatus::Completed));
    assert_eq!(fake.pending_replies(), 0, "polled past every `none`");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0], Some(OrderStatus::Pending));
    let none = Some(OrderStatus::Other("none".into()));
    assert_eq!(seen[1..], [none.clone(), none.clone(), none]);

    let records = records.all();
    let ours: Vec<&String> = records.iter().filter(|text| text.contains(&id)).collect();
    let warned: Vec<&&String> = ours
        .iter()
        .filter(|text| text.starts_with("WARN"))
        .collect();
    assert_eq!(warned.len(), 1, "{ours:#?}");
    assert!(warned[0].contains("\"none\""), "{}", warned[0]);
    let progress: Vec<&&String> = ours
        .iter()
        .filter(|text| text.starts_with("INFO waiting"))
        .collect();
    assert!(
        progress
            .iter()
            .any(|text| text.contains(&format!("{id} (status \"none\")"))),
        "{progress:#?}"
    );
}

#[test]
fn a_wait_that_times_out_names_the_unknown_status() {
    let fake = start();
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let order = result.orders[0].clone();
    fake.push_replies((0..200).map(|_| Reply::json(200, &with_status(&order, "none"))));

    let error = client
        .wait_for_orders(
            CUSTOMER,
            &result,
            quick_wait().timeout(Duration::from_millis(150)),
        )
        .unwrap_err();
    let Error::WaitTimedOut {
        pending, orders, ..
    } = &error
    else {
        panic!("not a timeout: {error:?}");
    };
    assert_eq!(pending.as_slice(), std::slice::from_ref(&order.id));
    assert_eq!(orders[0].status, Some(OrderStatus::Other("none".into())));
    let text = error.to_string();
    assert!(
        text.contains(&format!("{} (status \"none\")", order.id.as_str())),
        "{text}"
    );
}
