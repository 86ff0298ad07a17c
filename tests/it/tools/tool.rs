//! What a partner's own tool relies on: repeating a call whose outcome is
//! unknown, dropping rejected items, configuration from the environment,
//! order outcomes, and a fake that can be aimed at one call.

use crate::common;

use std::sync::mpsc;
use std::time::Duration;

use common::child::{in_child, run_in_child};
use common::{CUSTOMER, builder, checkouts, client, quick_wait, start};
use partner_center_cart::fake::Reply;
use partner_center_cart::model::{CartError, CartErrorCode, OrderStatus};
use partner_center_cart::{CreateCartOptions, OrderOptions};
// One import line serves the expressions of a cart and an order's outcome.
use partner_center_cart::{
    BillingCycle, CartLineItem, CheckoutOptions, Client, Error, NewCart, RetryPolicy, Uuid,
};

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
const TEAMS: &str = "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ";
const TEAMS_PHONE: &str = "CFQ7TTC0J1FV:0002:CFQ7TTC0HH4B";
const RESERVED_VM: &str = "DZH318Z0BQ36:004G:DZH318Z08C0S";
const CHECKOUT: &str = "/v1/customers/*/carts/*/checkout";

/// Every variable that [`Client::from_env`] reads.
const VARIABLES: [&str; 8] = [
    "PARTNER_CENTER_TOKEN",
    "PARTNER_CENTER_TENANT",
    "PARTNER_CENTER_CLIENT_ID",
    "PARTNER_CENTER_CLIENT_SECRET",
    "PARTNER_CENTER_REFRESH_TOKEN",
    "PARTNER_CENTER_AUTH",
    "PARTNER_CENTER_CLOUD",
    "PARTNER_CENTER_BASE_URL",
];

/// A line of 3 seats: the reserved VM paid once for a year, the others
/// monthly for a month, as the catalog offers them.
fn line(item: &str) -> CartLineItem {
    // A u32 count needs no cast.
    let seats: u32 = 3;
    if item == RESERVED_VM {
        CartLineItem::new(item, seats, BillingCycle::OneTime).term_duration("P1Y")
    } else {
        CartLineItem::new(item, seats, BillingCycle::Monthly).term_duration("P1M")
    }
}

fn cart_of(items: &[&str]) -> NewCart {
    items
        .iter()
        .fold(NewCart::new(), |cart, item| cart.line_item(line(item)))
        .partner_on_record_attestation_accepted(true)
}

#[test]
fn a_checkout_whose_answer_was_lost_is_repeated_and_buys_once() {
    let fake = start();
    fake.cut_checkout_answers(1);
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &cart_of(&[OFFICE]), &CreateCartOptions::new())
        .unwrap();
    let request_id = Uuid::new_v4();
    let options = CheckoutOptions::new().request_id(request_id);

    let error = client.checkout_with(CUSTOMER, &cart, &options).unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 201, .. }),
        "{error:?}"
    );
    assert!(
        !error.is_retryable(),
        "the client must not retry on its own"
    );
    assert!(error.should_repeat(), "{error}");
    assert_eq!(error.request_id(), Some(request_id));

    let result = client.checkout_with(CUSTOMER, &cart, &options).unwrap();
    assert_eq!(result.orders.len(), 1);
    assert_eq!(fake.orders().len(), 1, "the repeat bought nothing more");
    assert_eq!(fake.orders()[0].id, result.orders[0].id);
    let checkouts = checkouts(&fake);
    assert_eq!(checkouts.len(), 2);
    for checkout in &checkouts {
        assert_eq!(
            checkout.header("ms-requestid"),
            Some(request_id.to_string().as_str())
        );
    }
}

#[test]
fn checkout_with_a_cart_checks_it_then_sends_the_chosen_options() {
    let fake = start();
    fake.inject_line_item_error(
        RESERVED_VM,
        CartError::new(CartErrorCode::InventoryNotAvailable, "Out of inventory."),
    );
    let client = client(&fake);
    let mut cart = client
        .create_cart(
            CUSTOMER,
            &cart_of(&[OFFICE, RESERVED_VM]),
            &CreateCartOptions::new(),
        )
        .unwrap();
    let request_id = Uuid::new_v4();
    let options = CheckoutOptions::new()
        .request_id(request_id)
        .customer_user_upn("buyer@contoso.com");
    fake.clear_requests();

    let refused = client.checkout_with(CUSTOMER, &cart, &options);
    assert!(
        matches!(&refused, Err(Error::CartHasErrors { errors, .. }) if errors.len() == 1),
        "{refused:?}"
    );
    let mut without_id = cart.clone();
    without_id.id = None;
    without_id.remove_items_in_error();
    assert!(matches!(
        client.checkout_with(CUSTOMER, &without_id, &options),
        Err(Error::InvalidId { .. })
    ));
    assert!(fake.requests().is_empty(), "nothing was sent");

    cart.remove_items_in_error();
    let cart = client
        .update_cart(CUSTOMER, cart.id.unwrap(), &cart)
        .unwrap();
    fake.clear_requests();
    let result = client.checkout_with(CUSTOMER, &cart, &options).unwrap();
    assert_eq!(result.orders.len(), 1);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("ms-requestid"),
        Some(request_id.to_string().as_str())
    );
    assert_eq!(
        requests[0].header("x-ms-customeruser-upn"),
        Some("buyer@contoso.com")
    );
}

#[test]
fn repeating_is_advised_only_where_it_can_help() {
    let fake = start();
    let impatient = builder(&fake)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    let missing = impatient.checkout(CUSTOMER, Uuid::new_v4()).unwrap_err();
    assert_eq!(missing.status(), Some(404));
    assert!(!missing.should_repeat(), "{missing}");

    fake.push_reply(
        Reply::status(201)
            .delay(Duration::from_secs(2))
            .on("POST", CHECKOUT),
    );
    let timed_out = impatient.checkout(CUSTOMER, Uuid::new_v4()).unwrap_err();
    assert!(
        matches!(timed_out, Error::Transport { .. }),
        "{timed_out:?}"
    );
    assert!(timed_out.should_repeat(), "{timed_out}");

    fake.push_reply(Reply::fault(
        503,
        900_192,
        "Transient failure; try again later.",
    ));
    let busy = impatient.checkout(CUSTOMER, Uuid::new_v4()).unwrap_err();
    assert!(busy.should_repeat() && busy.is_retryable(), "{busy}");
}

#[test]
fn aimed_replies_wait_for_their_call() {
    let fake = start();
    fake.push_replies([
        Reply::fault(503, 900_192, "Transient failure; try again later.").on("POST", CHECKOUT),
        Reply::fault(503, 900_192, "Transient failure; try again later.").on("post", CHECKOUT),
    ]);
    let client = client(&fake);
    // Creating and reading the cart pass the checkout's replies by.
    let cart = client
        .create_cart(CUSTOMER, &cart_of(&[OFFICE]), &CreateCartOptions::new())
        .unwrap();
    let cart = client.get_cart(CUSTOMER, cart.id.unwrap()).unwrap();
    assert_eq!(fake.pending_replies(), 2);

    let result = client.checkout(CUSTOMER, &cart).unwrap();
    assert_eq!(result.orders.len(), 1);
    assert_eq!(fake.pending_replies(), 0);
    let checkouts = checkouts(&fake);
    assert_eq!(checkouts.len(), 3, "two 503s, then the fake's checkout");

    // A reply for any request still goes to the next one, whatever it is.
    fake.push_reply(Reply::status(418));
    let error = client
        .get_order(CUSTOMER, "whatever", &OrderOptions::new())
        .unwrap_err();
    assert_eq!(error.status(), Some(418));
}

#[test]
fn rejected_add_ons_are_dropped_with_their_items() {
    let fake = start();
    let out_of_stock = CartError::new(CartErrorCode::InventoryNotAvailable, "Out of inventory.");
    fake.inject_line_item_error(TEAMS_PHONE, out_of_stock.clone());
    fake.inject_line_item_error(RESERVED_VM, out_of_stock);
    let client = client(&fake);
    let new_cart = NewCart::new()
        .line_item(
            CartLineItem::new(TEAMS, 5, BillingCycle::Monthly)
                .term_duration("P1M")
                .addon(line(TEAMS_PHONE))
                .addon(line(OFFICE)),
        )
        .line_item(line(RESERVED_VM))
        .partner_on_record_attestation_accepted(true);

    let mut cart = client
        .create_cart(CUSTOMER, &new_cart, &CreateCartOptions::new())
        .unwrap();
    let ids: Vec<i64> = std::iter::once(&cart.line_items[0])
        .chain(&cart.line_items[0].addon_items)
        .chain(&cart.line_items[1..])
        .map(|item| item.id)
        .collect();
    assert_eq!(ids, [0, 1, 2, 3], "unique in the cart, add-ons included");
    let in_error: Vec<&str> = cart
        .items_in_error()
        .map(|(item, _)| item.catalog_item_id.as_str())
        .collect();
    assert_eq!(in_error, [TEAMS_PHONE, RESERVED_VM]);
    assert!(matches!(
        client.checkout(CUSTOMER, &cart),
        Err(Error::CartHasErrors { errors, .. }) if errors.len() == 2
    ));

    let removed = cart.remove_items_in_error();
    assert_eq!(removed.len(), 2);
    assert_eq!(removed[0].catalog_item_id, TEAMS_PHONE);
    assert_eq!(removed[0].line_item_id, 1);
    let cart = client
        .update_cart(CUSTOMER, cart.id.unwrap(), &cart)
        .unwrap();
    assert!(!cart.has_errors());
    assert_eq!(cart.line_items.len(), 1);
    assert_eq!(cart.line_items[0].addon_items.len(), 1);

    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let offers: Vec<_> = result.orders[0]
        .line_items
        .iter()
        .filter_map(|line| line.offer_id.as_deref())
        .collect();
    assert_eq!(
        offers,
        [TEAMS, OFFICE],
        "the kept add-on is ordered with its item"
    );
}

#[test]
fn cancelled_orders_come_back_in_ok_beside_completed_ones() {
    let fake = start();
    fake.cancel_orders_with(RESERVED_VM);
    let client = client(&fake);
    let cart = client
        .create_cart(
            CUSTOMER,
            &cart_of(&[OFFICE, RESERVED_VM]),
            &CreateCartOptions::new(),
        )
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    assert!(
        result
            .orders
            .iter()
            .all(|order| order.status == Some(OrderStatus::Pending))
    );

    let (progress, heard) = mpsc::channel();
    let mut checks = 0;
    let wait = quick_wait().on_progress(move |state| {
        // State of its own, with no Arc or Mutex: an FnMut.
        checks += 1;
        let _ = progress.send((checks, format!("{state:?}")));
    });
    let orders = client.wait_for_orders(CUSTOMER, &result, wait).unwrap();

    let (completed, cancelled): (Vec<_>, Vec<_>) =
        orders.iter().partition(|order| order.is_completed());
    assert_eq!((completed.len(), cancelled.len()), (1, 1));
    assert!(cancelled[0].is_cancelled() && !cancelled[0].is_completed());
    assert_eq!(cancelled[0].subscription_ids().count(), 0);
    assert!(!completed[0].is_cancelled());
    assert_eq!(completed[0].subscription_ids().count(), 1);

    let heard: Vec<(u32, String)> = heard.try_iter().collect();
    assert_eq!(heard.len(), 2, "polled twice by default: {heard:?}");
    assert_eq!(heard[1].0, 2);
    assert!(heard[0].1.starts_with("WaitProgress {") && heard[0].1.contains("pending"));
}

#[test]
fn orders_can_settle_at_checkout() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &cart_of(&[OFFICE]), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    assert!(result.orders[0].is_completed());
    fake.clear_requests();
    let orders = client
        .wait_for_orders(CUSTOMER, &result, quick_wait())
        .unwrap();
    assert_eq!(orders, result.orders);
    assert!(fake.requests().is_empty());
}

#[test]
fn from_env_reads_the_token_and_the_base_url() {
    if in_child() {
        let client = Client::from_env().expect("a client from the environment");
        client
            .create_cart(CUSTOMER, &cart_of(&[OFFICE]), &CreateCartOptions::new())
            .expect("a cart from the fake");
        return;
    }
    let fake = start();
    run_in_child(
        "tools::tool::from_env_reads_the_token_and_the_base_url",
        &[
            ("PARTNER_CENTER_TOKEN", "token-from-the-environment"),
            ("PARTNER_CENTER_BASE_URL", fake.base_url()),
        ],
        &VARIABLES[1..7],
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer token-from-the-environment")
    );
}

#[test]
fn from_env_with_nothing_set_names_the_variables() {
    if in_child() {
        let error = Client::from_env().unwrap_err();
        assert!(matches!(error, Error::Auth(_)), "{error:?}");
        let message = error.to_string();
        for name in &VARIABLES[..6] {
            assert!(message.contains(name), "{name}: {message}");
        }
        let error = partner_center_cart::auth::from_env().unwrap_err();
        assert_eq!(error.to_string(), message);
        return;
    }
    run_in_child(
        "tools::tool::from_env_with_nothing_set_names_the_variables",
        &[],
        &VARIABLES,
    );
}

#[test]
fn a_tool_main_needs_one_error_type() {
    fn setup() -> Result<Client, Error> {
        let provider = partner_center_cart::auth::ClientCredentialsProvider::builder(
            "contoso.onmicrosoft.com",
            "4f1c0b2e-7d8a-4c1e-9b2f-3a6d5e8c7b10",
            "",
        )
        .build()?; // an AuthError, turned into an Error by `?`
        Ok(Client::new(provider))
    }
    let error = setup().unwrap_err();
    assert!(matches!(error, Error::Auth(_)), "{error:?}");
    assert!(
        error.to_string().contains("client secret is empty"),
        "{error}"
    );
    assert!(!error.should_repeat());
}

#[test]
fn the_manual_snippets_return_one_error_type() {
    // The manual is the crate docs, with the quick start in the README too.
    let readme = include_str!("../../../README.md");
    let manual = [
        readme,
        include_str!("../../../src/lib.rs"),
        include_str!("../../../src/auth/mod.rs"),
    ];
    let mains: Vec<&str> = manual
        .iter()
        .flat_map(|text| text.lines())
        .filter(|line| line.contains("fn main() -> Result<"))
        .collect();
    assert!(mains.len() >= 8, "{mains:?}");
    for line in mains {
        assert!(
            line.contains("fn main() -> Result<(), partner_center_cart::Error>"),
            "{line}"
        );
    }
    // One recipe for safe repeats: the journal, which keeps the cart ID and
    // the create's request ID.
    let recipe = "journal.run(&client, &purchase, WaitOptions::default())?";
    assert!(readme.contains(recipe) && manual[1].contains(recipe));
}
