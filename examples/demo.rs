//! The whole thing in one command, with no account: starts the fake Partner
//! Center on loopback, checks out a cart through the real client over HTTP,
//! and prints the result.
//!
//! ```text
//! cargo run --example demo --features fake
//! ```
//!
//! The fake first answers 503, as a busy service does, so the run also shows
//! a retry with the same request ID.

mod support;

use std::time::Duration;

use partner_center_cart::fake::{FakePartnerCenter, Reply};
use partner_center_cart::{Client, RetryPolicy};

const CUSTOMER: &str = "28045616-f6b9-462f-9701-0d89b5e65c44";
const CART: &str = "3655b1a0-b1c9-4268-9824-577fdbc4d0be";
const RESULT: &str = include_str!("../tests/fixtures/checkout-doc-example.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakePartnerCenter::start()?;
    fake.push_replies([
        Reply::fault(503, 900_192, "Transient failure; try again later."),
        Reply::status(201).body(RESULT),
    ]);
    println!("Fake Partner Center listening on {}", fake.base_url());

    let client = Client::builder(|| Ok::<_, std::io::Error>("demo-token"))
        .base_url(fake.base_url())
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(200)))
        .application_name("partner-center-cart demo")
        .build()?;

    println!("Checking out cart {CART} of customer {CUSTOMER}...\n");
    let result = client.checkout(CUSTOMER, CART)?;
    support::print_checkout(&result);

    let requests = fake.requests();
    println!();
    println!("The fake saw {} requests:", requests.len());
    for request in &requests {
        println!(
            "  {} {}  MS-RequestId {}",
            request.method,
            request.path,
            request.header("ms-requestid").unwrap_or("-")
        );
    }
    Ok(())
}
