//! The whole purchase flow in one command, with no account: starts the fake
//! Partner Center on loopback and, through the real client over HTTP, finds
//! what to buy from product and SKU, creates a cart, fixes a line item the
//! service rejected, checks the cart out, waits for the orders to be
//! provisioned, and prints them.
//!
//! ```text
//! cargo run --example demo --features fake
//! ```
//!
//! The fake answers the first checkout with 503, as a busy service does, so
//! the run also shows a retry that reuses the request ID.

mod support;

use std::time::Duration;

use partner_center_cart::CreateCartOptions;
use partner_center_cart::fake::{FakePartnerCenter, Reply};
use partner_center_cart::{
    BillingCycle,
    model::{CartError, CartErrorCode, Segment},
};
use partner_center_cart::{Client, NewCart, RetryPolicy, WaitOptions};

const CUSTOMER: &str = "28045616-f6b9-462f-9701-0d89b5e65c44";

/// What to buy, as a price list names it: product, SKU, quantity, term
/// (`""` for none) and billing cycle. The availability IDs that complete the
/// catalog item IDs are looked up at purchase time.
const SHOPPING_LIST: [(&str, &str, i64, &str, BillingCycle); 4] = [
    ("CFQ7TTC0LH18", "0001", 25, "P1Y", BillingCycle::Monthly), // Microsoft 365 Business Basic
    ("CFQ7TTC0LFLS", "0002", 25, "P1M", BillingCycle::Monthly), // Microsoft 365 E3
    ("DZH318Z0BQ36", "004G", 2, "P1Y", BillingCycle::OneTime),  // a reserved VM instance
    ("DG7GMGF0DWM3", "0002", 1, "", BillingCycle::OneTime),     // perpetual software
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakePartnerCenter::start()?;
    // Partner Center reissues availability IDs from time to time, so an ID
    // written down yesterday may be gone today; the fake does so at once.
    fake.rotate_availability_ids();
    println!("Fake Partner Center listening on {}\n", fake.base_url());

    let client = Client::builder(|| Ok::<_, std::io::Error>("demo-token"))
        .base_url(fake.base_url())
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(200)))
        .application_name("partner-center-cart demo")
        .build()?;

    println!("0. Find what to buy: the purchasable availability of each product and SKU");
    let mut new_cart = NewCart::new().partner_on_record_attestation_accepted(true);
    let mut found = Vec::new();
    for (product, sku, quantity, term, billing_cycle) in SHOPPING_LIST {
        let availability =
            client.availability_to_buy(CUSTOMER, product, sku, &Segment::Commercial)?;
        new_cart = new_cart.line_item(availability.line_item(quantity, term, billing_cycle)?);
        found.push(availability);
    }
    support::print_availabilities(&found);

    // The service rejects one line item, as it does for offers it no longer sells.
    if let Some(software) = found.last() {
        fake.inject_line_item_error(
            software.catalog_item(),
            CartError::new(
                CartErrorCode::LegacyOfferNotEligibleForPurchase,
                "This legacy offer can no longer be bought.",
            ),
        );
    }

    println!("\n1. Create a cart");
    let mut cart = client.create_cart(CUSTOMER, &new_cart, &CreateCartOptions::new())?;
    support::print_cart(&cart);

    println!("\n2. Checking out refuses the cart while an item is in error:");
    if let Err(error) = client.checkout(CUSTOMER, &cart) {
        println!("   {error}");
    }

    println!("\n3. Drop that item and update the cart");
    for error in cart.remove_items_in_error() {
        println!("   dropped {error}");
    }
    let cart_id = cart.id.ok_or("the service gave the cart no ID")?;
    let cart = client.update_cart(CUSTOMER, cart_id, &cart)?;
    support::print_cart(&cart);

    println!("\n4. Check out (the fake answers 503 first; the retry reuses the request ID)");
    fake.push_reply(Reply::fault(
        503,
        900_192,
        "Transient failure; try again later.",
    ));
    let result = client.checkout(CUSTOMER, &cart)?;
    for request in fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/checkout"))
    {
        println!(
            "   POST .../checkout  MS-RequestId {}",
            request.header("ms-requestid").unwrap_or("-")
        );
    }
    support::print_checkout(&result);

    println!("\n5. Wait until the orders are provisioned");
    let waiting = WaitOptions::default()
        .initial_interval(Duration::from_millis(300))
        .max_requests_per_minute(250)
        .on_progress(|progress| {
            println!(
                "   {} of {} order(s) pending; checking again in {:.1?}",
                progress.pending.len(),
                progress.total,
                progress.next_check_in
            );
        });
    let orders = client.wait_for_orders(CUSTOMER, &result, waiting)?;
    support::print_orders(&orders);

    println!("\nThe fake saw {} requests in all.", fake.requests().len());
    Ok(())
}
