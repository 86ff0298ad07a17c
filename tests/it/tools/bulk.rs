//! The bulk tool as an operator meets it: its CSV checked whole before
//! anything is bought, quotes, CRLF and a byte-order mark read, a line per
//! finished purchase and a table at the end, a closed standard output, and
//! `--parallel`. Its kill -9 tests are in `tools::crash`.

#![cfg(unix)]

use crate::common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::start;
use common::tools::{self, against_fake, bulk, exit_code, folder, orders_of, text, write_batch};
use partner_center_cart::fake::{FakePartnerCenter, RecordedRequest};

const HEADER: &str = "customer,product,sku,quantity,billing,term";

/// The customers of this file's tests.
fn customers(count: usize) -> Vec<String> {
    tools::customers("5f0c1b7e-2a6a-4c2f-9d1a", count)
}

/// Writes `text` as `batch.csv` in `dir`.
fn write_csv(dir: &Path, text: &str) -> String {
    std::fs::write(dir.join("batch.csv"), text).unwrap();
    "batch.csv".to_owned()
}

/// A CSV with one line for each customer.
fn one_line_each(dir: &Path, customers: &[String]) -> String {
    write_batch(dir, "batch.csv", customers, &["CFQ7TTC0LH0Z,0001,5,,"])
}

fn is_checkout(request: &RecordedRequest) -> bool {
    request.path.ends_with("/checkout")
}

/// The most checkouts that arrived within `window` of the first.
fn checkouts_at_once(fake: &FakePartnerCenter, window: Duration) -> usize {
    let checkouts: Vec<RecordedRequest> = fake.requests().into_iter().filter(is_checkout).collect();
    let first = checkouts[0].received_at;
    checkouts
        .iter()
        .filter(|request| request.received_at.duration_since(first) < window)
        .count()
}

#[test]
fn every_bad_row_is_named_with_its_line_and_nothing_is_bought() {
    let fake = start();
    let dir = folder();
    let good = &customers(1)[0];
    let file = write_csv(
        &dir,
        &format!(
            "{HEADER}\n\
             {good},CFQ7TTC0LH0Z,0001,5,,\n\
             not-a-guid,CFQ7TTC0LH0Z,0001,5,,\n\
             {good},CFQ7TTC0LH0Z,0001,0,,\n\
             \n\
             {good},CFQ7TTC0LH0Z,0001,1000001,,\n\
             {good},CFQ7TTC0LH0Z,0001,5,weekly,\n\
             {good},CFQ7TTC0LH0Z,0001\n\
             nope,CFQ7TTC0LH0Z,0001,x,fortnightly,P1Y\n\
             {good},DZH318Z0BQ36,004G,1000000,one_time,P1Y\n"
        ),
    );
    let output = bulk(&dir, &fake, &[&file]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    for expected in [
        "line 3: invalid customer ID \"not-a-guid\": it is not a GUID",
        "line 4: quantity \"0\" is not a whole number from 1 to 1000000",
        "line 6: quantity \"1000001\"",
        "line 7: billing cycle \"weekly\" is not monthly",
        "line 8: not the 6 columns of customer,product,sku,quantity,billing,term",
        "line 9: invalid customer ID \"nope\"",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    // Every reason of a row, not only the first.
    let line_9 = stderr
        .lines()
        .find(|line| line.contains("line 9:"))
        .unwrap();
    assert!(
        line_9.contains("\"x\"") && line_9.contains("\"fortnightly\""),
        "{line_9}"
    );
    assert!(
        !stderr.contains("line 2:") && !stderr.contains("line 10:"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing bought"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn quotes_crlf_and_a_byte_order_mark_are_read_and_a_customer_however_spelt_is_one_purchase() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let dir = folder();
    let [first, second] = [&customers(2)[0], &customers(2)[1]];
    let shouted = format!("{{{}}}", first.to_uppercase());
    let file = write_csv(
        &dir,
        &format!(
            "\u{feff}customer,product,sku,quantity,billing,term\r\n\
             \"{first}\",\"CFQ7TTC0LH0Z\",\"0001\",\"5\",\"\",\"\"\r\n\
             {second},CFQ7TTC0LH0Z,0001,3,monthly,P1M\r\n\
             \" {shouted} \",DZH318Z0BQ36,004G,2,One_Time,p1y\r\n"
        ),
    );
    let output = bulk(&dir, &fake, &[&file]);
    let stdout = text(&output.stdout);
    assert_eq!(
        exit_code(&output),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert_eq!(fake.carts(first).len(), 1, "one cart for both of its rows");
    assert_eq!(fake.carts(first)[0].line_items.len(), 2);
    assert_eq!(fake.carts(second).len(), 1);
    assert_eq!(
        orders_of(&fake, first).len(),
        2,
        "one order per billing group"
    );
    // One line each, in the order each customer first appears.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(stdout.contains(&format!("{first}: order ")), "{stdout}");
}

#[test]
fn a_line_per_finished_purchase_then_a_table_with_every_customer() {
    let fake = start();
    fake.set_polls_until_complete(0);
    fake.inject_order_error(
        "DZH318Z0BQ36:004G:DZH318Z08C0S",
        800_005,
        "Order creation did not succeed.",
    );
    let dir = folder();
    let customers = customers(3);
    let file = write_csv(
        &dir,
        &format!(
            "{HEADER}\n{},CFQ7TTC0LH0Z,0001,5,,\n{},CFQ7TTC0LH0Z,0001,5,,\n\
             {},CFQ7TTC0LH0Z,0001,5,,\n{},DZH318Z0BQ36,004G,2,one_time,P1Y\n",
            customers[0], customers[1], customers[2], customers[2]
        ),
    );
    let output = bulk(&dir, &fake, &[&file, "--parallel=2"]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(exit_code(&output), Some(3), "{stdout}{stderr}");
    // Not a terminal: a line per purchase on standard output, as each
    // finishes, and no progress line.
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    for customer in &customers {
        assert_eq!(
            stdout
                .lines()
                .filter(|line| line.starts_with(&format!("{customer}: order ")))
                .count(),
            1,
            "{stdout}"
        );
    }
    assert!(!stderr.contains('\r'), "{stderr:?}");
    // The table: a heading, a row per customer in the CSV's order, and the
    // verdict.
    let table: Vec<&str> = stderr
        .lines()
        .skip_while(|line| !line.starts_with("purchase "))
        .collect();
    assert!(table.len() >= 5, "{stderr}");
    for (heading, column) in [
        ("result", 1),
        ("orders", 2),
        ("subscriptions", 3),
        ("to do", 4),
    ] {
        assert!(
            table[0].contains(heading),
            "{heading} {column}: {}",
            table[0]
        );
    }
    for (row, customer) in table[1..4].iter().zip(&customers) {
        assert!(row.starts_with(customer.as_str()), "{row}");
    }
    let words = |row: &str| {
        row.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        words(table[1])[1..4],
        ["complete", "1", "1"],
        "{}",
        table[1]
    );
    assert_eq!(words(table[3])[1..4], ["part", "1", "1"], "{}", table[3]);
    assert!(
        table[3].contains("buy again: DZH318Z0BQ36:004G:DZH318Z08C0S x2"),
        "{}",
        table[3]
    );
    assert!(
        table[4].starts_with("part bought: 3 purchases: 2 complete, 1 part"),
        "{}",
        table[4]
    );
}

#[test]
fn a_closed_standard_output_ends_in_1_with_a_message_and_the_purchases_still_finish() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let dir = folder();
    let customers = customers(3);
    let file = one_line_each(&dir, &customers);
    let mut tool = against_fake("bulk", fake.base_url())
        .current_dir(&dir)
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody reads what it prints.
    drop(tool.stdout.take());
    let output = tool.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(stderr.contains("standard output was closed"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for customer in &customers {
        assert_eq!(orders_of(&fake, customer).len(), 1, "{customer}");
    }
}

#[test]
fn parallel_sets_how_many_customers_check_out_at_once() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let delay = Duration::from_secs(2);
    fake.delay_checkout_answers(delay);
    let dir = folder();
    let customers = customers(3);
    let file = one_line_each(&dir, &customers);
    let output = bulk(&dir, &fake, &[&file, "--parallel=1"]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert_eq!(checkouts_at_once(&fake, delay), 1);

    // Without it, as many as the batch's default: more than the tool's old 4.
    let fake = start();
    fake.set_polls_until_complete(0);
    fake.delay_checkout_answers(delay);
    let dir = folder();
    let customers = self::customers(8);
    let file = one_line_each(&dir, &customers);
    let output = bulk(&dir, &fake, &[&file]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert_eq!(checkouts_at_once(&fake, delay), 8);
}

#[test]
fn a_label_names_a_new_purchase_and_the_same_label_finds_it_finished() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let dir = folder();
    let customers = customers(2);
    let file = one_line_each(&dir, &customers);
    let output = bulk(&dir, &fake, &[&file, "--label=2026-12 true-up"]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    let sent = fake.requests().len();
    // Moved to another folder: the same purchases, finished.
    std::fs::create_dir_all(dir.join("done")).unwrap();
    std::fs::rename(dir.join(&file), dir.join("done/batch.csv")).unwrap();
    let output = bulk(&dir, &fake, &["done/batch.csv", "--label=2026-12 true-up"]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        fake.requests().len(),
        sent,
        "nothing sent for finished purchases"
    );
    // Another label within a week: refused as a likely mistake, naming
    // --again; with it, another purchase.
    let output = bulk(&dir, &fake, &["done/batch.csv", "--label=2027-01 true-up"]);
    let stdout = text(&output.stdout);
    assert_eq!(exit_code(&output), Some(1), "{stdout}");
    assert!(stdout.contains("--again"), "{stdout}");
    assert_eq!(
        fake.requests().len(),
        sent,
        "nothing sent for refused purchases"
    );
    let again = ["done/batch.csv", "--label=2027-01 true-up", "--again"];
    let output = bulk(&dir, &fake, &again);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    for customer in &customers {
        assert_eq!(orders_of(&fake, customer).len(), 2, "{customer}");
    }
}

#[test]
fn abandon_retires_purchases_that_bought_nothing_and_a_corrected_file_starts_afresh() {
    let fake = start();
    fake.set_polls_until_complete(0);
    // Every checkout refused for good: the purchases end unfinished, with a
    // cart that is not ordered.
    fake.push_replies((0..2).map(|_| {
        partner_center_cart::fake::Reply::fault(403, 900_121, "Credit limit too low.")
            .on("POST", "/v1/customers/*/carts/*/checkout")
    }));
    let dir = folder();
    let customers = customers(2);
    let file = one_line_each(&dir, &customers);
    let output = bulk(&dir, &fake, &[&file, "--parallel=1"]);
    assert_eq!(exit_code(&output), Some(1), "{}", text(&output.stdout));

    let output = bulk(&dir, &fake, &[&file, "--abandon"]);
    let stdout = text(&output.stdout);
    assert_eq!(
        exit_code(&output),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    for customer in &customers {
        assert!(
            stdout.contains(&format!("{customer}: abandoned")),
            "{stdout}"
        );
    }
    // The same file again: abandoned, nothing sent, and the way on named.
    let sent = fake.requests().len();
    let output = bulk(&dir, &fake, &[&file]);
    assert_eq!(exit_code(&output), Some(1));
    assert!(
        text(&output.stdout).contains("--label"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(fake.requests().len(), sent);
    // A corrected file is a purchase of its own: a new cart each, bought.
    let mut corrected = format!("{HEADER}\n");
    for customer in &customers {
        corrected.push_str(&format!("{customer},CFQ7TTC0LH0Z,0001,4,,\n"));
    }
    let file = write_csv(&dir, &corrected);
    let output = bulk(&dir, &fake, &[&file]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    for customer in &customers {
        assert_eq!(fake.carts(customer).len(), 2, "{customer}");
        assert_eq!(orders_of(&fake, customer).len(), 1, "{customer}");
    }
}
