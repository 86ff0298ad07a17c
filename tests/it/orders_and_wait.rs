//! Order outcomes: a wait stops at every final status and at the ones that
//! wait for the partner, and names the reviews that may take days.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{CUSTOMER, client, quick_wait, start};
use partner_center_cart::CreateCartOptions;
use partner_center_cart::fake::Reply;
use partner_center_cart::model::{Order, OrderStatus};
use partner_center_cart::{BillingCycle, CartLineItem, NewCart};
use partner_center_cart::{CartCheckoutResult, Client, Error};

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";

fn checked_out(client: &Client) -> CartCheckoutResult {
    let new_cart = NewCart::new()
        .line_item(CartLineItem::new(OFFICE, 3, BillingCycle::Monthly).term_duration("P1M"));
    let cart = client
        .create_cart(CUSTOMER, &new_cart, &CreateCartOptions::new())
        .unwrap();
    client.checkout(CUSTOMER, cart.id.unwrap()).unwrap()
}

fn with_status(order: &Order, status: &str) -> serde_json::Value {
    let mut json = serde_json::to_value(order).unwrap();
    json["status"] = serde_json::json!(status);
    json
}

#[test]
fn a_wait_returns_at_a_status_that_needs_the_partner() {
    for status in [
        "pending_po_upload",
        "partial success",
        "Error",
        "po review rejected",
        "suspended",
    ] {
        let fake = start();
        let client = client(&fake);
        let result = checked_out(&client);
        let order = &result.orders[0];
        // One answer with the status, then a pending one that must not be read.
        fake.push_replies([
            Reply::json(200, &with_status(order, status)),
            Reply::json(200, &with_status(order, "pending")),
        ]);
        let orders = client
            .wait_for_orders(
                CUSTOMER,
                &result,
                quick_wait().timeout(Duration::from_secs(5)),
            )
            .unwrap_or_else(|error| panic!("{status}: {error}"));
        assert_eq!(orders[0].status, Some(OrderStatus::from_wire(status)));
        assert_eq!(fake.pending_replies(), 1, "{status}: polled past it");
    }
}

#[test]
fn a_review_that_may_take_days_is_named_in_progress_and_timeout() {
    let fake = start();
    let client = client(&fake);
    let result = checked_out(&client);
    let order = result.orders[0].clone();
    fake.push_replies((0..200).map(|_| Reply::json(200, &with_status(&order, "pending_review"))));
    let told = Arc::new(Mutex::new(Vec::new()));
    let options = {
        let told = Arc::clone(&told);
        quick_wait()
            .timeout(Duration::from_millis(200))
            .on_progress(move |progress| told.lock().unwrap().push(progress.to_string()))
    };
    let error = client
        .wait_for_orders(CUSTOMER, &result, options)
        .unwrap_err();
    assert!(matches!(error, Error::WaitTimedOut { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("under review, may take days"), "{text}");
    let told = told.lock().unwrap();
    assert!(
        told.iter()
            .any(|line| line.contains("\"pending_review\": under review, may take days")),
        "{told:?}"
    );
}
