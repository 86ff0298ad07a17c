//! The purchase tool a partner writes on day one, as we would write it: copy
//! it and make it yours. It is crash-safe: killed at any point (kill -9,
//! a reboot) and run again with the same command, it finishes the purchase
//! and buys nothing twice.
//!
//! ```text
//! export PARTNER_CENTER_TOKEN=eyJ...   # or app credentials: see the `auth` module docs for the variables
//! cargo run --example purchase -- <customer> <product>:<sku>=<quantity>[,<billing>,<term>]... \
//!     [--journal=PATH] [--wait-seconds=N]
//! cargo run --example purchase -- 28045616-f6b9-462f-9701-0d89b5e65c44 \
//!     CFQ7TTC0LH18:0001=25 DZH318Z0BQ36:004G=2,one_time,P1Y
//! ```
//!
//! It looks up what to buy (the product and SKU of a price list, bought from
//! the availability that is purchasable now, monthly for a month unless the
//! item says otherwise), then hands the purchase to a journal
//! (`purchase.journal` in the current folder unless `--journal` says
//! otherwise), which creates the cart, drops the line items the service
//! rejects, checks out and waits until the orders are provisioned (30
//! minutes at most by default), recording each step before it acts. The
//! purchase is named by the command's customer and items: the same command
//! resumes it, or prints its outcome again once it is finished.
//!
//! Exit codes: 0 when everything was bought and provisioned; 3 when only
//! part of it was (items rejected, order groups failed, orders that need
//! action or are still provisioning); 1 when nothing was bought or a call
//! failed. When it stops early it names the unfinished purchase: running
//! the same command again finishes it.
//!
//! To try it without an account, start `cargo run --example fake_server
//! --features fake` (its switches make the fake reject an item, fail or
//! lose a checkout, answer late...) and set `PARTNER_CENTER_BASE_URL` to
//! the URL it prints.

use std::process::ExitCode;
use std::time::Duration;

use partner_center_cart::journal::{Journal, Purchase, PurchaseOutcome};
use partner_center_cart::model::Segment;
use partner_center_cart::{BillingCycle, Client, Error, NewCart, WaitOptions};

const USAGE: &str = "usage: purchase <customer> <product>:<sku>=<quantity>[,<billing>,<term>]... \
                     [--journal=PATH] [--wait-seconds=N]";

/// What to buy: product, SKU, quantity, billing cycle and term.
type Wanted = (String, String, u32, BillingCycle, String);

fn main() -> ExitCode {
    let Some((customer, wanted, key, path, wait)) = parse(std::env::args().skip(1).collect())
    else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let journal = match Journal::open(path) {
        Ok(journal) => journal,
        Err(error) => return fail(&error),
    };
    let code = match purchase(&journal, &customer, &wanted, &key, wait) {
        Ok(outcome) => {
            println!("{outcome}");
            let partly = if outcome.bought_anything() { 3 } else { 1 };
            ExitCode::from(if outcome.is_complete() { 0 } else { partly })
        }
        Err(error) => fail(&error),
    };
    if journal.unfinished().contains(&key) {
        eprintln!("purchase {key:?} is unfinished: run the same command again to finish it");
    }
    code
}

fn fail(error: &Error) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}

/// The customer, what to buy, the purchase's key, the journal's path and the wait.
fn parse(args: Vec<String>) -> Option<(String, Vec<Wanted>, String, String, WaitOptions)> {
    let customer = args.first()?.clone();
    let (mut key, mut wanted, mut journal) = (customer.clone(), Vec::new(), "purchase.journal");
    let mut wait = WaitOptions::default().on_progress(|progress| eprintln!("{progress}"));
    for arg in &args[1..] {
        if let Some(seconds) = arg.strip_prefix("--wait-seconds=") {
            wait = wait.timeout(Duration::from_secs(seconds.parse().ok()?));
        } else if let Some(path) = arg.strip_prefix("--journal=") {
            journal = path;
        } else {
            let (item, terms) = arg.split_once('=')?;
            let (product, sku) = item.split_once(':')?;
            let mut terms = terms.split(',');
            let quantity = terms.next()?.parse().ok()?;
            let billing = BillingCycle::from_wire(terms.next().unwrap_or("monthly"));
            let term = terms.next().unwrap_or("P1M");
            wanted.push((product.into(), sku.into(), quantity, billing, term.into()));
            key = format!("{key} {arg}"); // the purchase's name: the customer and items as asked
        }
    }
    (!wanted.is_empty()).then(|| (customer, wanted, key, journal.to_owned(), wait))
}

fn purchase(
    journal: &Journal,
    customer: &str,
    wanted: &[Wanted],
    key: &str,
    wait: WaitOptions,
) -> Result<PurchaseOutcome, Error> {
    let client = Client::from_env()?;
    // A purchase started before resumes with its cart as it was: availability
    // IDs are reissued from time to time, so a new one looks them up now.
    let cart = match journal.started_cart(key) {
        Some(cart) => cart,
        None => {
            let mut cart = NewCart::new().partner_on_record_attestation_accepted(true);
            for (product, sku, quantity, billing, term) in wanted {
                let offer =
                    client.availability_to_buy(customer, product, sku, &Segment::Commercial)?;
                cart = cart.line_item(offer.line_item(*quantity, term, billing.clone())?);
            }
            cart
        }
    };
    journal.run(&client, &Purchase::new(key, customer, cart)?, wait)
}
