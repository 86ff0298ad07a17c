//! The purchase tool a partner writes on day one, as we would write it: copy
//! it and make it yours.
//!
//! ```text
//! export PARTNER_CENTER_TOKEN=eyJ...   # or app credentials: see the README's table of variables
//! cargo run --example purchase -- <customer> <product>:<sku>=<quantity>[,<billing>,<term>]... [--wait-seconds=N]
//! cargo run --example purchase -- 28045616-f6b9-462f-9701-0d89b5e65c44 \
//!     CFQ7TTC0LH18:0001=25 DZH318Z0BQ36:004G=2,one_time,P1Y
//! ```
//!
//! It looks up what to buy (the product and SKU of a price list, bought from
//! the availability that is purchasable now, monthly for a month unless the
//! item says otherwise), creates a cart, drops the line items the service
//! rejects, checks out, repeats the checkout once with the same request ID
//! when its outcome is unknown, waits until the orders are provisioned (30
//! minutes at most by default) while telling its progress, and prints the
//! subscriptions.
//!
//! Exit codes: 0 when everything was bought and provisioned; 3 when only
//! part of it was (items rejected, order groups failed, orders cancelled or
//! still provisioning at the deadline); 1 when nothing was bought or a call
//! failed (the message gives the request ID to quote, or to resume with).
//!
//! To try it without an account, start `cargo run --example fake_server
//! --features fake` (its switches make the fake reject an item, fail or
//! lose a checkout, cancel an order...) and set `PARTNER_CENTER_BASE_URL`
//! to the URL it prints.

use std::process::ExitCode;

use partner_center_cart::model::Segment;
use partner_center_cart::{BillingCycle, CheckoutOptions, Client, Error};
use partner_center_cart::{NewCart, Uuid, WaitOptions};

const USAGE: &str = "usage: purchase <customer> <product>:<sku>=<quantity>[,<billing>,<term>]... [--wait-seconds=N]";

/// What to buy: product, SKU, quantity, billing cycle and term.
type Wanted = (String, String, u32, BillingCycle, String);

fn main() -> ExitCode {
    let Some((customer, wanted, wait)) = parse(std::env::args().skip(1)) else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    purchase(&customer, &wanted, wait).unwrap_or_else(|error| {
        eprintln!("error: {error}");
        ExitCode::FAILURE
    })
}

/// The customer, what to buy and how to wait, from the command line.
fn parse(mut args: impl Iterator<Item = String>) -> Option<(String, Vec<Wanted>, WaitOptions)> {
    let (customer, mut wanted) = (args.next()?, Vec::new());
    let mut wait = WaitOptions::default().on_progress(|progress| {
        eprintln!("{} order(s) pending", progress.pending.len());
    });
    for arg in args {
        if let Some(seconds) = arg.strip_prefix("--wait-seconds=") {
            wait = wait.timeout(std::time::Duration::from_secs(seconds.parse().ok()?));
            continue;
        }
        let (item, terms) = arg.split_once('=')?;
        let (product, sku) = item.split_once(':')?;
        let mut terms = terms.split(',');
        let quantity = terms.next()?.parse().ok()?;
        let billing = BillingCycle::from_wire(terms.next().unwrap_or("monthly"));
        let term = terms.next().unwrap_or("P1M");
        wanted.push((product.into(), sku.into(), quantity, billing, term.into()));
    }
    (!wanted.is_empty()).then_some((customer, wanted, wait))
}

fn purchase(customer: &str, wanted: &[Wanted], wait: WaitOptions) -> Result<ExitCode, Error> {
    let client = Client::from_env()?;
    // Availability IDs are reissued from time to time: look them up when buying.
    let mut new_cart = NewCart::new().partner_on_record_attestation_accepted(true);
    for (product, sku, quantity, billing, term) in wanted {
        let offer = client.availability_to_buy(customer, product, sku, &Segment::Commercial)?;
        new_cart = new_cart.line_item(offer.line_item(*quantity, term, billing.clone())?);
    }
    let mut cart = client.create_cart(customer, &new_cart)?;
    let rejected = cart.remove_items_in_error();
    for error in &rejected {
        eprintln!("dropped {error}");
    }
    if let (false, Some(cart_id)) = (rejected.is_empty(), cart.id) {
        cart = client.update_cart(customer, cart_id, &cart)?;
    }

    // Chosen before the first send: a tool that may crash stores it first, to resume with it.
    let options = CheckoutOptions::new().request_id(Uuid::new_v4());
    let result = match client.checkout_with(customer, &cart, &options) {
        Err(error) if error.should_repeat() => {
            eprintln!("outcome unknown ({error}); repeating once with the same request ID");
            client.checkout_with(customer, &cart, &options)?
        }
        other => other?,
    };
    for error in &result.order_errors {
        eprintln!("not ordered: {error}");
    }

    let orders = match client.wait_for_orders(customer, &result, wait) {
        Err(Error::WaitTimedOut { orders, .. }) => orders, // some still provisioning
        other => other?,
    };
    for order in &orders {
        let status = order.status.as_ref().map_or("unknown", |s| s.as_str());
        let subscriptions: Vec<&str> = order.subscription_ids().collect();
        println!("order {} {status}: {}", order.id, subscriptions.join(" "));
    }
    if orders.iter().all(|order| order.is_cancelled()) {
        return Ok(ExitCode::FAILURE); // nothing was bought
    }
    let completed = orders.iter().all(|order| order.is_completed());
    let all = completed && rejected.is_empty() && !result.is_partial_failure();
    Ok(ExitCode::from(if all { 0 } else { 3 }))
}
