//! The purchase flow against the fake's carts and orders: create, read and
//! update a cart, check it out, follow its orders.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{CUSTOMER, builder, client, quick_wait, start};
use partner_center_cart::fake::Reply;
use partner_center_cart::{
    BillingCycle, CartLineItem, NewCart,
    model::{
        CartError, CartErrorCode, CartStatus, OrderStatus, ParticipantType, ProvisioningStatus,
    },
};
use partner_center_cart::{
    Cart, CartCheckoutResult, Client, Cloud, Error, Uuid,
    model::{FaultCode, Order, OrderId},
};
use partner_center_cart::{CreateCartOptions, OrderOptions};

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
const TEAMS: &str = "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ";
const RESERVED_VM: &str = "DZH318Z0BQ36:004G:DZH318Z08C0S";

fn two_group_cart() -> NewCart {
    NewCart::new()
        .line_item(CartLineItem::new(OFFICE, 3, BillingCycle::Monthly).term_duration("P1M"))
        .line_item(
            CartLineItem::new(TEAMS, 2, BillingCycle::Monthly)
                .term_duration("P1Y")
                .participant(ParticipantType::TransactionReseller, "5357564"),
        )
        .line_item(
            CartLineItem::new(RESERVED_VM, 1, BillingCycle::OneTime)
                .term_duration("P1Y")
                .friendly_name("build agents"),
        )
        .partner_on_record_attestation_accepted(true)
}

#[test]
fn create_cart_posts_the_cart_and_returns_the_services_view() {
    let fake = start();
    let cart = client(&fake)
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();

    let request = &fake.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/v1/customers/{CUSTOMER}/carts"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("content-length"),
        Some(request.body.len().to_string().as_str())
    );
    let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(sent["partnerOnRecordAttestationAccepted"], true);
    assert_eq!(sent["lineItems"][1]["catalogItemId"], TEAMS);
    assert_eq!(sent["lineItems"][1]["billingCycle"], "monthly");
    assert_eq!(
        sent["lineItems"][1]["participants"][0]["key"],
        "transaction_reseller"
    );
    assert_eq!(sent["lineItems"][2]["billingCycle"], "one_time");
    assert_eq!(sent["lineItems"][2]["id"], 2);

    assert!(cart.id.is_some());
    assert_eq!(cart.status, Some(CartStatus::Active));
    assert!(cart.expiration_timestamp.is_some());
    assert_eq!(cart.line_items.len(), 3);
    assert_eq!(cart.line_items[0].currency_code.as_deref(), Some("USD"));
    assert_eq!(
        cart.line_items[0].order_group,
        cart.line_items[1].order_group
    );
    assert_ne!(
        cart.line_items[0].order_group,
        cart.line_items[2].order_group
    );
    assert!(!cart.has_errors());
    assert_eq!(fake.cart(CUSTOMER, cart.id.unwrap()).as_ref(), Some(&cart));
}

#[test]
fn create_cart_retries_reuse_one_request_id() {
    let fake = start();
    fake.push_reply(Reply::status(503));
    client(&fake)
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].header("ms-requestid"),
        requests[1].header("ms-requestid")
    );
    assert_eq!(requests[0].body, requests[1].body);
}

#[test]
fn get_and_update_a_cart() {
    let fake = start();
    let client = client(&fake);
    let created = client
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();
    let cart_id = created.id.unwrap();

    let mut cart = client.get_cart(CUSTOMER, cart_id).unwrap();
    assert_eq!(cart, created);
    cart.line_items[0].quantity = 10;
    cart.line_items.remove(2);
    let updated = client.update_cart(CUSTOMER, cart_id, &cart).unwrap();

    let put = fake.requests().pop().unwrap();
    assert_eq!(put.method, "PUT");
    assert_eq!(
        put.path,
        format!("/v1/customers/{CUSTOMER}/carts/{cart_id}")
    );
    assert_eq!(updated.line_items.len(), 2);
    assert_eq!(updated.line_items[0].quantity, 10);
    assert_eq!(
        client.get_cart(CUSTOMER, cart_id).unwrap().line_items[0].quantity,
        10
    );
}

#[test]
fn an_unknown_cart_is_a_404_that_is_not_retried() {
    let fake = start();
    let error = client(&fake)
        .get_cart(CUSTOMER, "3655b1a0-b1c9-4268-9824-577fdbc4d0be")
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.service_error().unwrap().code_number(), Some(800_008));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_cart_with_line_item_errors_is_refused_before_checkout() {
    let fake = start();
    fake.inject_line_item_error(
        RESERVED_VM,
        CartError::new(
            CartErrorCode::SubscriptionIsNotEnabledForRI,
            "The subscription cannot buy reserved instances.",
        ),
    );
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();

    let errors = cart.line_item_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line_item_id, 2);
    assert_eq!(errors[0].catalog_item_id, RESERVED_VM);
    assert_eq!(
        errors[0].error.error_code,
        CartErrorCode::SubscriptionIsNotEnabledForRI
    );

    let before = fake.requests().len();
    let error = client.checkout(CUSTOMER, &cart).unwrap_err();
    assert!(
        matches!(&error, Error::CartHasErrors { errors, .. } if errors.len() == 1),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("line item 2"), "{text}");
    assert!(text.contains(RESERVED_VM), "{text}");
    assert!(text.contains("10008"), "{text}");
    assert!(text.contains("cannot buy reserved instances"), "{text}");
    assert_eq!(fake.requests().len(), before, "nothing was sent");

    // Checked out by ID anyway, the service refuses it too.
    let error = client.checkout(CUSTOMER, cart.id.unwrap()).unwrap_err();
    assert_eq!(error.service_error().unwrap().code_number(), Some(800_009));

    // Without the bad item, it goes through.
    let mut fixed = cart.clone();
    fixed.line_items.retain(|item| item.error.is_none());
    let fixed = client
        .update_cart(CUSTOMER, cart.id.unwrap(), &fixed)
        .unwrap();
    assert!(!fixed.has_errors());
    let result = client.checkout(CUSTOMER, &fixed).unwrap();
    assert_eq!(result.orders.len(), 1);
}

#[test]
fn a_cart_without_an_id_cannot_be_checked_out() {
    let fake = start();
    let error = client(&fake)
        .checkout(CUSTOMER, &Cart::default())
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidId {
                kind: "cart ID",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn checkout_makes_one_order_per_order_group_and_replays_when_repeated() {
    let fake = start();
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();

    assert_eq!(result.orders.len(), 2);
    assert!(!result.is_partial_failure());
    for order in &result.orders {
        assert_eq!(order.status, Some(OrderStatus::Pending));
        assert!(
            Uuid::try_parse(order.id.as_str()).is_err(),
            "order IDs are opaque"
        );
        assert_eq!(order.subscription_ids().count(), 0);
    }
    let monthly = result
        .orders
        .iter()
        .find(|o| o.billing_cycle == Some(BillingCycle::Monthly))
        .unwrap();
    assert_eq!(monthly.line_items.len(), 2);
    assert_eq!(monthly.line_items[1].offer_id.as_deref(), Some(TEAMS));
    assert_eq!(
        client.get_cart(CUSTOMER, cart.id.unwrap()).unwrap().status,
        Some(CartStatus::Ordered)
    );

    let again = client.checkout(CUSTOMER, cart.id.unwrap()).unwrap();
    assert_eq!(again, result);
    assert_eq!(fake.orders().len(), 2);
}

#[test]
fn a_failed_order_group_is_a_partial_failure() {
    let fake = start();
    fake.inject_order_error(RESERVED_VM, 800_067, "Seat limit reached.");
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    assert!(result.is_partial_failure());
    assert_eq!(result.orders.len(), 1);
    assert_eq!(
        result.order_errors[0].code,
        Some(FaultCode::Number(800_067))
    );
    assert_eq!(
        result.order_errors[0].order_group_id,
        cart.line_items[2].order_group
    );
}

#[test]
fn orders_and_their_provisioning_status_are_read() {
    let fake = start();
    fake.set_polls_until_complete(2);
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let order_id = &result.orders[0].id;

    let statuses = client
        .get_order_provisioning_status(CUSTOMER, order_id)
        .unwrap();
    let request = fake.requests().pop().unwrap();
    assert_eq!(
        request.path,
        format!("/v1/customers/{CUSTOMER}/orders/{order_id}/provisioningstatus")
    );
    assert_eq!(statuses.len(), result.orders[0].line_items.len());
    assert_eq!(
        statuses[0].status,
        Some(ProvisioningStatus::PrefulfillmentPending)
    );

    let first = client
        .get_order(CUSTOMER, order_id, &OrderOptions::new())
        .unwrap();
    assert_eq!(first.status, Some(OrderStatus::Pending));
    let second = client
        .get_order(CUSTOMER, order_id.as_str(), &OrderOptions::new())
        .unwrap();
    assert_eq!(second.status, Some(OrderStatus::Completed));
    assert_eq!(second.subscription_ids().count(), second.line_items.len());
    let statuses = client
        .get_order_provisioning_status(CUSTOMER, order_id.clone())
        .unwrap();
    assert_eq!(statuses[0].status, Some(ProvisioningStatus::Fulfilled));
    assert_eq!(
        statuses[0].quantity_provisioning_information[0].quantity,
        first.line_items[0].quantity
    );

    let listed = client.list_orders(CUSTOMER, &OrderOptions::new()).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        fake.requests().pop().unwrap().path,
        format!("/v1/customers/{CUSTOMER}/orders")
    );
}

#[test]
fn the_documented_order_bodies_decode() {
    let fake = start();
    for name in [
        "order-get-response.json",
        "order-create-response.json",
        "order-cancelled-sandbox-response.json",
    ] {
        let body = common::fixture(name);
        let id: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let id = id["id"].as_str().unwrap().to_owned();
        fake.push_reply(Reply::status(200).body(body));
        let order = client(&fake)
            .get_order(CUSTOMER, id.as_str(), &OrderOptions::new())
            .unwrap();
        assert_eq!(order.id.as_str(), id, "{name}");
        assert!(!order.line_items.is_empty(), "{name}");
    }
    fake.push_reply(Reply::status(200).body(common::fixture("orders-list-response.json")));
    assert_eq!(
        client(&fake)
            .list_orders(CUSTOMER, &OrderOptions::new())
            .unwrap()
            .len(),
        2
    );
    fake.push_reply(Reply::status(200).body(common::fixture("order-provisioning-status.json")));
    let statuses = client(&fake)
        .get_order_provisioning_status(CUSTOMER, "o1")
        .unwrap();
    assert_eq!(statuses[0].status, Some(ProvisioningStatus::Fulfilled));
    assert_eq!(statuses[0].order_line_item_id, Some(0));
    fake.push_reply(Reply::status(201).body(common::fixture("cart-create-response-mixed.json")));
    let cart = client(&fake)
        .get_cart(CUSTOMER, "3655b1a0-b1c9-4268-9824-577fdbc4d0be")
        .unwrap();
    assert_eq!(cart.line_items.len(), 6);
    assert_eq!(
        cart.line_items[5]
            .renews_to
            .as_ref()
            .and_then(|r| r.term_duration.as_deref()),
        Some("P1Y")
    );
    assert_eq!(cart.line_items[1].provisioning_context["scope"], "shared");
    assert_eq!(cart.line_items[5].billing_cycle, Some(BillingCycle::None));
}

#[test]
fn bad_order_ids_are_refused_before_any_traffic() {
    let fake = start();
    let client = client(&fake);
    for bad in [
        "", ".", "..", "a/b", "../carts", "a b", "a?b", "a#b", "%2e%2e", "ø",
    ] {
        let error = client
            .get_order(CUSTOMER, bad, &OrderOptions::new())
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidId {
                    kind: "order ID",
                    ..
                }
            ),
            "{bad:?}: {error:?}"
        );
        let error = client
            .get_order_provisioning_status(CUSTOMER, bad)
            .unwrap_err();
        assert!(matches!(error, Error::InvalidId { .. }), "{bad:?}");
    }
    let error = client
        .get_order(CUSTOMER, "a".repeat(129), &OrderOptions::new())
        .unwrap_err();
    assert!(matches!(error, Error::InvalidId { .. }));
    assert!(fake.requests().is_empty());
}

#[test]
fn an_unknown_order_is_a_404() {
    let fake = start();
    let error = client(&fake)
        .get_order(CUSTOMER, "nope", &OrderOptions::new())
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.service_error().unwrap().code_number(), Some(800_007));
}

#[test]
fn waiting_follows_pending_orders_until_they_complete() {
    let fake = start();
    fake.set_polls_until_complete(3);
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    fake.clear_requests();

    let seen: Arc<Mutex<Vec<usize>>> = Arc::default();
    let record = Arc::clone(&seen);
    let orders = client
        .wait_for_orders(
            CUSTOMER,
            &result,
            quick_wait().on_progress(move |progress| {
                assert_eq!(progress.total, 2);
                record.lock().unwrap().push(progress.pending.len());
            }),
        )
        .unwrap();

    assert_eq!(orders.len(), 2);
    for order in &orders {
        assert_eq!(order.status, Some(OrderStatus::Completed));
        assert_eq!(order.subscription_ids().count(), order.line_items.len());
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), 6, "3 reads of each of 2 orders");
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.path.contains("/orders/"))
    );
    assert_eq!(*seen.lock().unwrap(), [2, 2, 2]);
}

#[test]
fn waiting_keeps_under_the_request_rate() {
    let fake = start();
    fake.set_polls_until_complete(2);
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    fake.clear_requests();
    client
        .wait_for_orders(
            CUSTOMER,
            &result,
            quick_wait().max_requests_per_minute(10_000),
        )
        .unwrap();
    // Asked for 10,000 a minute, the wait still spaces requests for 250: one
    // each 240 ms. The fake notes a request when its thread reads it, which a
    // loaded machine can delay and so shorten the gap after it; the span of
    // the three gaps together is what the pacing guarantees.
    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    let span = requests[3].received_at - requests[0].received_at;
    assert!(span >= Duration::from_millis(700), "{span:?}");
    for pair in requests.windows(2) {
        let gap = pair[1].received_at - pair[0].received_at;
        assert!(gap >= Duration::from_millis(120), "no burst: {gap:?}");
    }
}

#[test]
fn waiting_gives_up_at_the_deadline_and_names_what_is_pending() {
    let fake = start();
    fake.set_polls_until_complete(u32::MAX);
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();

    let error = client
        .wait_for_orders(
            CUSTOMER,
            &result,
            quick_wait().timeout(Duration::from_millis(300)),
        )
        .unwrap_err();
    let Error::WaitTimedOut {
        pending, orders, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    let expected: Vec<&OrderId> = result.orders.iter().map(|o| &o.id).collect();
    assert_eq!(pending.iter().collect::<Vec<_>>(), expected);
    assert_eq!(orders.len(), 2);
    let text = error.to_string();
    assert!(text.starts_with("2 of 2 orders still pending"), "{text}");
    for id in expected {
        assert!(text.contains(id.as_str()), "{text}");
    }
}

#[test]
fn waiting_on_final_orders_sends_nothing() {
    let fake = start();
    let mut done: CartCheckoutResult =
        serde_json::from_slice(&common::fixture("checkout-doc-example.json")).unwrap();
    done.orders.retain(|o| !o.is_pending());
    let orders = client(&fake)
        .wait_for_orders(CUSTOMER, &done, quick_wait())
        .unwrap();
    assert_eq!(orders.len(), 1);
    assert!(fake.requests().is_empty());
}

#[test]
fn waiting_refuses_unusable_order_ids_before_any_traffic() {
    let fake = start();
    let result: CartCheckoutResult =
        serde_json::from_str(r#"{"orders": [{"id": "../../x", "status": "pending"}]}"#).unwrap();
    let error = client(&fake)
        .wait_for_orders(CUSTOMER, &result, quick_wait())
        .unwrap_err();
    assert!(matches!(error, Error::InvalidId { .. }), "{error:?}");
    assert!(fake.requests().is_empty());
}

#[test]
fn a_failed_read_ends_the_wait_with_its_error() {
    let fake = start();
    let result: CartCheckoutResult =
        serde_json::from_str(r#"{"orders": [{"id": "gone", "status": "pending"}]}"#).unwrap();
    let error = builder(&fake)
        .build()
        .unwrap()
        .wait_for_orders(CUSTOMER, &result, quick_wait())
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
}

#[test]
fn the_whole_flow_in_one_client() {
    let fake = start();
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &two_group_cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let orders: Vec<Order> = client
        .wait_for_orders(CUSTOMER, &result, quick_wait())
        .unwrap();
    let subscriptions: usize = orders.iter().map(|o| o.subscription_ids().count()).sum();
    assert_eq!(subscriptions, 3);
}

#[test]
fn clouds_name_their_hosts_and_authorities() {
    assert_eq!(Cloud::UsGov.api_base_url(), Cloud::Global.api_base_url());
    assert_eq!(Cloud::UsGov.authority(), "https://login.microsoftonline.us");
    assert_eq!(
        Cloud::China.authority(),
        "https://login.partner.microsoftonline.cn"
    );
    assert_eq!(
        Cloud::China.resource(),
        "https://partner.partnercenterapi.microsoftonline.cn"
    );
    assert_eq!(
        Cloud::Global.resource(),
        "https://api.partnercenter.microsoft.com"
    );
    let client = Client::builder(|| Ok::<_, std::io::Error>("t"))
        .cloud(Cloud::UsGov)
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://api.partnercenter.microsoft.com");
}

#[test]
fn bad_customer_ids_are_refused_for_every_call() {
    let fake = start();
    let client = client(&fake);
    assert!(matches!(
        client.create_cart("x", &two_group_cart(), &CreateCartOptions::new()),
        Err(Error::InvalidId { .. })
    ));
    assert!(matches!(
        client.get_cart("x", "y"),
        Err(Error::InvalidId { .. })
    ));
    assert!(matches!(
        client.list_orders("x", &OrderOptions::new()),
        Err(Error::InvalidId { .. })
    ));
    assert!(matches!(
        client.get_order("x", "o1", &OrderOptions::new()),
        Err(Error::InvalidId { .. })
    ));
    assert!(fake.requests().is_empty());
}
