//! The purchase tool a partner writes on day one, as we would write it: copy
//! it and make it yours. It is crash-safe: killed at any point (kill -9,
//! a reboot) and run again with the same command, it finishes the purchase
//! and buys nothing twice, however the command is spelt the second time.
//!
//! ```text
//! export PARTNER_CENTER_TOKEN=eyJ...   # or app credentials: see the `auth` module docs for the variables
//! cargo run --example purchase -- <customer> <product>:<sku>=<quantity>[,<billing>,<term>]... \
//!     [--journal=PATH|URL] [--wait-seconds=N] [--label=TEXT] [--again] [--abandon]
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
//! minutes at most by default), recording each step before it acts.
//!
//! The purchase is named by its customer, what it buys and its label
//! (`--label=TEXT`), not by how the command spells them: the GUID in
//! capitals or braces, the items in another order, `=5` or
//! `=5,monthly,P1M`, all name one purchase. Run again, a purchase started
//! before resumes with the cart it started with; a finished one says when
//! it finished and buys nothing. To buy the same items again on purpose,
//! give a new `--label`; within 7 days of buying them, add `--again`.
//! While a purchase of the customer's may have checked out and is not
//! finished, another one (a corrected quantity, say) is refused, naming
//! it: finish it as it was, or, if it bought nothing, retire it with
//! `--abandon` (the journal refuses when its cart is ordered).
//!
//! `PARTNER_CENTER_POLL_MS=N` in the environment checks the orders every N
//! milliseconds (the wait's pacing still applies) instead of after 5 s and
//! then up to every minute.
//!
//! Exit codes: 0 when everything was bought and provisioned; 3 when only
//! part of it was (items rejected, order groups failed, orders that need
//! action or are still provisioning); 1 when nothing was bought, a call
//! failed or the journal refused. When it stops early it names the
//! unfinished purchase: running the same command again finishes it.
//!
//! To try it without an account, start `cargo run --example fake_server
//! --features fake` (its switches make the fake reject an item, fail or
//! lose a checkout, answer late...) and set `PARTNER_CENTER_BASE_URL` to
//! the URL it prints.

use std::process::ExitCode;
use std::time::Duration;

use partner_center_cart::journal::{Journal, Purchase, PurchaseOutcome};
use partner_center_cart::{BillingCycle, CartLineItem, Client, Error, NewCart, WaitOptions};

const USAGE: &str = "usage: purchase <customer> <product>:<sku>=<quantity>[,<billing>,<term>]... \
                     [--journal=PATH|URL] [--wait-seconds=N] [--label=TEXT] [--again] [--abandon]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cart, wait)) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let journal = match Journal::open(option(&args, "--journal=").unwrap_or("purchase.journal")) {
        Ok(journal) => journal,
        Err(error) => return fail(&error),
    };
    let code = match run(&journal, cart, &args, wait) {
        Ok(outcome) => ExitCode::from(outcome.map_or(0, |outcome| outcome.exit_code())),
        Err(error) => fail(&error),
    };
    for key in journal.unfinished(None).unwrap_or_default() {
        let purchase = journal.describe(&key);
        eprintln!("purchase {purchase} is unfinished: run the same command again, or --abandon it");
    }
    code
}

fn fail(error: &Error) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}

fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().rev().find_map(|arg| arg.strip_prefix(name))
}

/// The cart (a line by product and SKU is bought from the availability
/// purchasable now, looked up when the purchase starts) and the wait.
fn parse(args: &[String]) -> Option<(NewCart, WaitOptions)> {
    let mut wait = WaitOptions::default().on_progress(|progress| eprintln!("{progress}"));
    if let Ok(Ok(ms)) = std::env::var("PARTNER_CENTER_POLL_MS").map(|ms| ms.parse()) {
        let t = Duration::from_millis(ms);
        wait = wait.initial_interval(t).max_interval(t);
    }
    let mut cart = NewCart::new().partner_on_record_attestation_accepted(true);
    for arg in args.get(1..)? {
        if let Some(seconds) = arg.strip_prefix("--wait-seconds=") {
            wait = wait.timeout(Duration::from_secs(seconds.parse().ok()?));
        } else if !["--journal=", "--label=", "--again", "--abandon"]
            .iter()
            .any(|o| arg.starts_with(o))
        {
            let (item, terms) = arg.split_once('=')?;
            let mut terms = terms.split(',');
            let quantity: u32 = terms.next()?.parse().ok()?;
            let billing = BillingCycle::from_wire(terms.next().unwrap_or("monthly"));
            let line = CartLineItem::new(item.split_once(':').map(|_| item)?, quantity, billing);
            cart = cart.line_item(line.term_duration(terms.next().unwrap_or("P1M")));
        }
    }
    (!cart.line_items().is_empty()).then_some((cart, wait))
}

/// Runs the purchase the command names, or abandons it (`None`).
fn run(
    journal: &Journal,
    cart: NewCart,
    args: &[String],
    wait: WaitOptions,
) -> Result<Option<PurchaseOutcome>, Error> {
    let client = Client::from_env()?;
    let mut purchase =
        Purchase::new(args[0].as_str(), cart)?.label(option(args, "--label=").unwrap_or(""));
    if args.iter().any(|arg| arg == "--again") {
        purchase = purchase.again();
    }
    if args.iter().any(|arg| arg == "--abandon") {
        journal.abandon(&client, &purchase)?;
        println!("abandoned: {purchase}");
        return Ok(None);
    }
    let outcome = journal.run(&client, &purchase, wait)?;
    println!("{outcome}");
    Ok(Some(outcome))
}
