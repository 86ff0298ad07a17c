//! Buys for many customers at once from a CSV file, one cart per customer,
//! crash-safe: killed at any point and run again with the same command, it
//! finishes every purchase and buys nothing twice.
//!
//! ```text
//! cargo run --example bulk -- <csv> [--journal=PATH] [--parallel=N]
//! ```
//!
//! The CSV file starts with the header `customer,product,sku,quantity,billing,term`;
//! each row buys a quantity of a product's SKU for a customer. Billing and
//! term may be empty (monthly, `P1M`). Fields hold no commas or quotes:
//!
//! ```text
//! customer,product,sku,quantity,billing,term
//! 28045616-f6b9-462f-9701-0d89b5e65c44,CFQ7TTC0LH18,0001,25,,
//! 28045616-f6b9-462f-9701-0d89b5e65c44,DZH318Z0BQ36,004G,2,one_time,P1Y
//! 5f0c1b7e-2a6a-4c2f-9d1a-4b8a9ad60f4e,CFQ7TTC0LH18,0001,10,annual,P1Y
//! ```
//!
//! The rows of each customer become one purchase, named in the journal
//! (`bulk.journal` in the current folder unless `--journal` says otherwise)
//! by the customer and what it buys, never by the CSV's path. N customers are bought at once (4 by
//! default), each from creating its cart to its orders being provisioned,
//! and each gets one line with its outcome on standard output. A purchase
//! started before resumes with the cart it started with; a row changed
//! after a crash is refused while the purchase it changes may have bought,
//! naming it and what differs.
//!
//! Exit codes: 0 when everything was bought and provisioned; 3 when only
//! part of it was; 1 when nothing was bought or a call failed. When it stops
//! early it names each unfinished purchase: running the same command again
//! finishes them.

use std::process::ExitCode;
use std::sync::Mutex;

use partner_center_cart::{
    BillingCycle, CartLineItem, Client, Error, NewCart,
    journal::{Journal, Purchase},
};
use partner_center_cart::{WaitOptions, journal::PurchaseOutcome};

const USAGE: &str = "usage: bulk <csv> [--journal=PATH] [--parallel=N]";
const HEADER: &str = "customer,product,sku,quantity,billing,term";

/// One row: product, SKU, quantity, billing cycle and term.
type Row = (String, String, u32, BillingCycle, String);

/// A customer and its rows, in the order of the file.
type Order = (String, Vec<Row>);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    // The purchases are named by the CSV's canonical path, however it is typed.
    let canonical =
        |csv: String| std::fs::canonicalize(&csv).map_or(csv, |p| p.display().to_string());
    let Some(csv) = args.next().map(canonical) else {
        return usage("no CSV file given");
    };
    let (mut journal_path, mut parallel) = ("bulk.journal".to_owned(), 4);
    for arg in args {
        if let Some(path) = arg.strip_prefix("--journal=") {
            journal_path = path.to_owned();
        } else if let Some(n) = arg.strip_prefix("--parallel=").and_then(|n| n.parse().ok()) {
            parallel = n;
        } else {
            return usage(&format!("unknown argument {arg:?}"));
        }
    }
    let orders = match std::fs::read_to_string(&csv)
        .map_err(|e| e.to_string())
        .and_then(|t| read(&t))
    {
        Ok(orders) => orders,
        Err(problem) => return usage(&format!("{csv}: {problem}")),
    };
    let opened = Client::from_env().and_then(|client| Ok((client, Journal::open(&journal_path)?)));
    let (client, journal) = match opened {
        Ok(opened) => opened,
        Err(error) => return fail(&error),
    };
    let codes = buy_all(&client, &journal, &orders, parallel);
    for key in journal.unfinished(None).unwrap_or_default() {
        let purchase = journal.describe(&key);
        eprintln!("purchase {purchase} is unfinished: run the same command again to finish it");
    }
    // A failed call (1) outweighs a part (3), which outweighs all complete (0).
    let worst = [1, 3, 0].into_iter().find(|code| codes.contains(code));
    ExitCode::from(worst.unwrap_or(1))
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("error: {problem}\n{USAGE}");
    ExitCode::FAILURE
}

fn fail(error: &Error) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}

/// The rows of the CSV text, grouped by customer.
fn read(text: &str) -> Result<Vec<Order>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    if lines.next().map(|(_, header)| header.trim()) != Some(HEADER) {
        return Err(format!("the first line must be {HEADER}"));
    }
    let mut orders: Vec<Order> = Vec::new();
    for (number, line) in lines {
        let bad = || format!("line {}: expected {HEADER}", number + 1);
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [customer, product, sku, quantity, billing, term] = fields[..] else {
            return Err(bad());
        };
        let quantity = quantity.parse().map_err(|_| bad())?;
        let billing = BillingCycle::from_wire(&or(billing, "monthly"));
        let row = (
            product.into(),
            sku.into(),
            quantity,
            billing,
            or(term, "P1M"),
        );
        match orders
            .iter_mut()
            .find(|(known, _)| known.eq_ignore_ascii_case(customer))
        {
            Some((_, rows)) => rows.push(row),
            None => orders.push((customer.to_owned(), vec![row])),
        }
    }
    Ok(orders)
}

/// A field's value, or `default` when it is empty.
fn or(value: &str, default: &str) -> String {
    if value.is_empty() { default } else { value }.to_owned()
}

/// Buys for every customer, `parallel` at once, printing a line for each;
/// returns each one's exit code.
fn buy_all(client: &Client, journal: &Journal, orders: &[Order], parallel: usize) -> Vec<u8> {
    let queue = Mutex::new(orders.iter());
    let codes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel.min(orders.len()).max(1) {
            scope.spawn(|| {
                loop {
                    // Taken on a line of its own, so that the lock is let go at once.
                    let next = queue.lock().unwrap().next();
                    let Some((customer, rows)) = next else { break };
                    let code = match buy(client, journal, customer, rows) {
                        Ok(outcome) => {
                            println!("{customer}: {outcome}");
                            let partly = if outcome.bought_anything() { 3 } else { 1 };
                            if outcome.is_complete() { 0 } else { partly }
                        }
                        Err(error) => {
                            println!("{customer}: error: {error}");
                            1
                        }
                    };
                    codes.lock().unwrap().push(code);
                }
            });
        }
    });
    codes.into_inner().unwrap()
}

/// Buys a customer's rows. A line by product and SKU is bought from the
/// availability purchasable when the purchase starts; a purchase started
/// before resumes with the cart it was started with.
fn buy(
    client: &Client,
    journal: &Journal,
    customer: &str,
    rows: &[Row],
) -> Result<PurchaseOutcome, Error> {
    let mut cart = NewCart::new().partner_on_record_attestation_accepted(true);
    for (product, sku, quantity, billing, term) in rows {
        let item = CartLineItem::new(format!("{product}:{sku}"), *quantity, billing.clone());
        cart = cart.line_item(item.term_duration(term));
    }
    let purchase = Purchase::new(customer, cart)?;
    journal.run(client, &purchase, WaitOptions::default())
}
