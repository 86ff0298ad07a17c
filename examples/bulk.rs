//! Buys for many customers at once from a CSV file, one cart per customer,
//! crash-safe: killed at any point and run again, it finishes every
//! purchase and buys nothing twice.
//!
//! ```text
//! cargo run --example bulk -- <csv> [--journal=PATH|URL] [--parallel=N] [--label=TEXT] [--again] [--abandon]
//! ```
//!
//! The CSV file starts with the header `customer,product,sku,quantity,billing,term`;
//! each row buys a quantity of a product's SKU for a customer. Billing and
//! term may be empty (monthly, `P1M`). Fields may be quoted; CRLF line ends
//! and a byte-order mark are fine:
//!
//! ```text
//! customer,product,sku,quantity,billing,term
//! 28045616-f6b9-462f-9701-0d89b5e65c44,CFQ7TTC0LH18,0001,25,,
//! 28045616-f6b9-462f-9701-0d89b5e65c44,DZH318Z0BQ36,004G,2,one_time,P1Y
//! 5f0c1b7e-2a6a-4c2f-9d1a-4b8a9ad60f4e,CFQ7TTC0LH18,0001,10,annual,P1Y
//! ```
//!
//! Every row is checked before anything is bought: a bad row (customer not
//! a GUID, quantity not from 1 to 1,000,000, unknown billing cycle, a
//! column missing) is named with its line and why, all of them at once, and
//! nothing is bought (exit 1).
//!
//! The rows of each customer become one purchase, kept in the journal
//! (`bulk.journal` in the current folder unless `--journal` names another
//! file or an Azure Blob Storage container's URL, which several `bulk`
//! workers on one CSV share)
//! and named by the customer, what it buys and the `--label` (none by
//! default): never by the CSV's name or folder. Each line's availability is
//! looked up when its purchase starts. The purchases run as one batch, as
//! fast as the service allows (`--parallel=N` sets how many send at once).
//! Each finished purchase gets one line on standard output; on a terminal,
//! one live progress line on standard error instead. Standard error ends
//! with a table of the purchases (orders, subscriptions, what to buy again).
//!
//! Run again, a finished purchase buys nothing and says when it finished;
//! `--again` buys it again on purpose (or give a new `--label`).
//! `--abandon` retires the purchases of the file where nothing was bought,
//! so that a corrected row can start afresh.
//!
//! `PARTNER_CENTER_POLL_MS=N` in the environment checks the orders every N
//! milliseconds (the wait's pacing still applies) instead of after 5 s and
//! then up to every minute.
//!
//! Exit codes: 0 when everything was bought and provisioned (or, with
//! `--abandon`, every purchase abandoned); 3 when only part of it was; 1
//! when nothing was bought or something failed, a closed standard output
//! included. Each unfinished purchase is named: running the same command
//! again finishes it.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use partner_center_cart::journal::{BatchError, BatchOptions, Journal, Purchase};
use partner_center_cart::model::{CustomerId, LineRequest};
use partner_center_cart::{Client, NewCart, WaitOptions};

const USAGE: &str =
    "usage: bulk <csv> [--journal=PATH|URL] [--parallel=N] [--label=TEXT] [--again] [--abandon]";
const COLUMNS: &str = "customer,product,sku,quantity,billing,term";

/// A row of the CSV file: a customer and a line to buy for it.
type Row = (CustomerId, LineRequest);

/// Writes a line to standard error; there is nowhere to tell if that fails.
macro_rules! say {
    ($($text:tt)*) => {{ let _ = writeln!(std::io::stderr(), $($text)*); }};
}

fn main() -> ExitCode {
    let code = run().unwrap_or_else(|problem| {
        say!("error: {problem}");
        1
    });
    match CLOSED.get() {
        Some(error) => say!("error: standard output was closed ({error}): run again to see it all"),
        None => return ExitCode::from(code),
    }
    ExitCode::FAILURE
}

fn run() -> Result<u8, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let csv = args.first().ok_or(format!("no CSV file given\n{USAGE}"))?;
    let (mut journal_path, mut options, mut label) = ("bulk.journal", BatchOptions::new(), "");
    let (mut again, mut abandon) = (false, false);
    for arg in &args[1..] {
        if let Some(path) = arg.strip_prefix("--journal=") {
            journal_path = path;
        } else if let Some(n) = arg.strip_prefix("--parallel=").and_then(|n| n.parse().ok()) {
            options = options.parallel(n);
        } else if let Some(text) = arg.strip_prefix("--label=") {
            label = text;
        } else if arg == "--again" || arg == "--abandon" {
            (again, abandon) = (again || arg == "--again", abandon || arg == "--abandon");
        } else {
            return Err(format!("unknown argument {arg:?}\n{USAGE}"));
        }
    }
    if let Ok(Ok(ms)) = std::env::var("PARTNER_CENTER_POLL_MS").map(|ms| ms.parse()) {
        let t = std::time::Duration::from_millis(ms);
        options = options.wait(WaitOptions::default().initial_interval(t).max_interval(t));
    }
    let bytes = std::fs::read(csv).map_err(|e| format!("{csv}: {e}\n{USAGE}"))?;
    let orders = read(&bytes).map_err(|problems| format!("{csv}: {problems}"))?;
    let client = Client::from_env().map_err(|e| e.to_string())?;
    let journal = Journal::open(journal_path).map_err(|e| e.to_string())?;
    // On a terminal, a live progress line; elsewhere a line per purchase.
    let live = std::io::stderr().is_terminal();
    let lines = !live || !std::io::stdout().is_terminal();
    let (mut purchases, mut names) = (Vec::new(), Vec::new());
    for (customer, requests) in orders {
        let cart = requests
            .iter()
            .map(LineRequest::catalog_item)
            .fold(NewCart::new(), NewCart::line_item);
        let purchase = Purchase::new(customer, cart.partner_on_record_attestation_accepted(true));
        let purchase = purchase.map_err(|e| e.to_string())?.label(label);
        purchases.push(if again { purchase.again() } else { purchase });
        names.push(customer.to_string());
    }
    if abandon {
        return Ok(abandon_all(&client, &journal, &purchases));
    }
    let names = Arc::new(names);
    let named = Arc::clone(&names);
    options = options.on_finished(move |index, result| print(lines, &named[index], result));
    if live {
        options = options.on_progress(|progress| {
            let _ = write!(std::io::stderr(), "\r{progress}\x1b[K");
        });
    }
    let batch = journal.run_batch(&client, purchases, options);
    let table = batch.table(names.iter());
    say!("{}{table}", if live { "\n" } else { "" });
    if let Some(stop) = &batch.stopped {
        say!("stopped: {stop}");
    }
    for key in journal.unfinished(None).unwrap_or_default() {
        let purchase = journal.describe(&key);
        say!("purchase {purchase} is unfinished: run the same command again, or --abandon it");
    }
    Ok(table.verdict().exit_code())
}

/// Why standard output could not be written, once it could not.
static CLOSED: OnceLock<std::io::Error> = OnceLock::new();

/// Prints a line for a finished purchase on standard output when `on`,
/// unless it was closed. Calls never overlap.
fn print(on: bool, name: &str, result: &Result<impl std::fmt::Display, BatchError>) {
    if on && CLOSED.get().is_none() {
        let written = match result {
            Ok(outcome) => writeln!(std::io::stdout().lock(), "{name}: {outcome}"),
            Err(error) => writeln!(std::io::stdout().lock(), "{name}: error: {error}"),
        };
        let _ = written.map_err(|error| CLOSED.set(error));
    }
}

/// The rows of the CSV file, checked and grouped by customer in the order
/// each first appears; or every bad row, named by its line, and why.
fn read(bytes: &[u8]) -> Result<Vec<(CustomerId, Vec<LineRequest>)>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = reader.headers().map_err(|e| e.to_string())?;
    if !header.iter().map(str::trim).eq(COLUMNS.split(',')) {
        return Err(format!("the first line must be {COLUMNS}"));
    }
    let (mut orders, mut index, mut problems) = (Vec::new(), HashMap::new(), Vec::new());
    for record in reader.records() {
        match row(record, bytes) {
            Ok((customer, line)) => {
                let at = *index.entry(customer).or_insert_with(|| {
                    orders.push((customer, Vec::new()));
                    orders.len() - 1
                });
                orders[at].1.push(line);
            }
            Err(problem) => problems.push(problem),
        }
    }
    let problems = problems.join("\n  ");
    match problems.is_empty() {
        true => Ok(orders),
        false => Err(format!(
            "nothing bought; correct these rows first:\n  {problems}"
        )),
    }
}

/// One row, checked: every reason it is bad, when it is.
fn row(record: csv::Result<csv::StringRecord>, text: &[u8]) -> Result<Row, String> {
    let record = record.map_err(|e| e.to_string())?;
    // A record's position is where the reader began it: at the blank lines before it.
    let position = record
        .position()
        .cloned()
        .unwrap_or_else(csv::Position::new);
    let after = &text[(position.byte() as usize).min(text.len())..];
    let blank = after.iter().take_while(|b| b.is_ascii_whitespace());
    let line = position.line() + blank.filter(|&&b| b == b'\n').count() as u64;
    let fields: Vec<&str> = record.iter().collect();
    let [customer, product, sku, quantity, billing, term] = fields[..] else {
        return Err(format!("line {line}: not the 6 columns of {COLUMNS}"));
    };
    LineRequest::parse_for(customer, product, sku, quantity, billing, term)
        .map_err(|problem| format!("line {line}: {problem}"))
}

/// Abandons each purchase where nothing was bought, with a line for each;
/// 0 when every one was abandoned.
fn abandon_all(client: &Client, journal: &Journal, purchases: &[Purchase]) -> u8 {
    let mut code = 0;
    for purchase in purchases {
        let result = journal.abandon(client, purchase).map(|()| "abandoned");
        let result = result.map_err(BatchError::Failed);
        code = code.max(u8::from(result.is_err()));
        print(true, &purchase.customer().to_string(), &result);
    }
    code
}
