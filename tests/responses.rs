//! Responses that cannot hurt: faults in any shape under a success status,
//! successes that lack what they promise, next links that try to change the
//! request, and bodies that would take far more memory than bytes.

mod common;

use common::{CART, CUSTOMER, client, start};
use partner_center_cart::fake::Reply;
use partner_center_cart::{BillingCycle, CartLineItem, Error, NewCart};

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
    let error = client.create_cart(CUSTOMER, &one_seat()).unwrap_err();
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
        .create_cart_with_request_id(CUSTOMER, &one_seat(), request_id)
        .unwrap();
    assert!(cart.id.is_some());
    let again = client
        .create_cart_with_request_id(CUSTOMER, &one_seat(), request_id)
        .unwrap();
    assert_eq!(again.id, cart.id);
    assert_eq!(fake.carts(CUSTOMER).len(), 1);
}
