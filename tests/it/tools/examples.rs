//! The example tools as a user runs them: `purchase` against the fake
//! through each of its exit codes, `fake_server`'s switches and help, and
//! the `checkout` tool's usage, hint to repeat a call, wait and tables.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Output, Stdio};

use common::tools::{against_fake, command, exit_code, folder, purchase, purchase_in, text};
use common::{CART, CUSTOMER, assert_one_request_id, checkouts, client, start};
use partner_center_cart::CreateCartOptions;
use partner_center_cart::fake::{FakePartnerCenter, Reply};
use partner_center_cart::model::{CartError, CartErrorCode};
use partner_center_cart::text::Escaped;
use partner_center_cart::{BillingCycle, CartLineItem, NewCart};
use serde_json::{Value, json};

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
const RESERVED_VM: &str = "DZH318Z0BQ36:004G:DZH318Z08C0S";
const CHECKOUT: &str = "/v1/customers/*/carts/*/checkout";
/// `purchase` arguments, by product and SKU: 5 seats of `OFFICE` billed
/// monthly for a month, and 2 of `RESERVED_VM` paid once for a year
/// (another order group).
const OFFICE_LINE: &str = "CFQ7TTC0LH0Z:0001=5";
const VM_LINE: &str = "DZH318Z0BQ36:004G=2,one_time,P1Y";

/// A fake whose orders settle at once, so that no run waits.
fn quick_fake() -> FakePartnerCenter {
    let fake = start();
    fake.set_polls_until_complete(0);
    fake
}

#[test]
fn purchase_buys_everything_and_exits_0() {
    let fake = quick_fake();
    // The tool looks availabilities up when buying, so reissued IDs are no
    // trouble.
    fake.rotate_availability_ids();
    let output = purchase(fake.base_url(), &[OFFICE_LINE, VM_LINE]);
    let stdout = text(&output.stdout);
    assert_eq!(
        exit_code(&output),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    let orders = fake.orders();
    assert_eq!(orders.len(), 2, "one order per billing cycle");
    for subscription in orders.iter().flat_map(|order| order.subscription_ids()) {
        assert!(
            stdout.contains(subscription),
            "{subscription} missing:\n{stdout}"
        );
    }
}

#[test]
fn purchase_drops_a_rejected_item_and_exits_3() {
    let fake = quick_fake();
    fake.inject_line_item_error(
        RESERVED_VM,
        CartError::new(CartErrorCode::InventoryNotAvailable, "Out of inventory."),
    );
    let output = purchase(fake.base_url(), &[OFFICE_LINE, VM_LINE]);
    let stdout = text(&output.stdout);
    assert_eq!(exit_code(&output), Some(3), "{}", text(&output.stderr));
    assert!(
        stdout.contains(&format!("buy again: {RESERVED_VM} x2")) && stdout.contains("10003"),
        "{stdout}"
    );
    let orders = fake.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].line_items[0].offer_id.as_deref(), Some(OFFICE));
}

#[test]
fn purchase_exits_3_for_failed_groups_cancelled_and_pending_orders() {
    let fake = quick_fake();
    fake.inject_order_error(RESERVED_VM, 800_005, "Order creation did not succeed.");
    let output = purchase(fake.base_url(), &[OFFICE_LINE, VM_LINE]);
    assert_eq!(exit_code(&output), Some(3), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("800005"));

    let fake = quick_fake();
    fake.cancel_orders_with(RESERVED_VM);
    let output = purchase(fake.base_url(), &[OFFICE_LINE, VM_LINE]);
    assert_eq!(exit_code(&output), Some(3), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(" cancelled"));

    let fake = start();
    fake.set_polls_until_complete(u32::MAX);
    let output = purchase(fake.base_url(), &[OFFICE_LINE, "--wait-seconds=1"]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(3), "{stderr}");
    assert!(stderr.contains("1 of 1 order pending"), "{stderr}");
    assert!(
        stderr.contains("is unfinished: run the same command again"),
        "{stderr}"
    );
    let pending = &fake.orders()[0].id;
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!("order {pending} pending (still provisioning)")),
        "{stdout}"
    );
}

#[test]
fn purchase_run_again_after_a_lost_checkout_finishes_it_and_buys_once() {
    let fake = quick_fake();
    fake.cut_checkout_answers(1);
    let dir = folder();
    let output = purchase_in(&dir, fake.base_url(), &[OFFICE_LINE]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("purchase customer {CUSTOMER}: CFQ7TTC0LH0Z:0001 x5 monthly P1M [checkout_sent] is unfinished: run the same command again, or --abandon it")),
        "{stderr}"
    );
    let output = purchase_in(&dir, fake.base_url(), &[OFFICE_LINE]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("unfinished"));
    assert_eq!(fake.orders().len(), 1);
    assert_eq!(fake.carts(CUSTOMER).len(), 1);
    let checkouts = checkouts(&fake);
    assert_eq!(checkouts.len(), 2);
    assert_one_request_id(&checkouts);
}

#[test]
fn purchase_exits_1_when_nothing_is_bought() {
    // The checkout fails for good: a 503 to each of the client's 4 attempts.
    let fake = quick_fake();
    fake.push_replies(
        std::iter::repeat_n(Reply::fault(503, 900_192, "Transient failure."), 4)
            .map(|reply| reply.on("POST", CHECKOUT)),
    );
    let dir = folder();
    let output = purchase_in(&dir, fake.base_url(), &[OFFICE_LINE]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(
        stderr.contains("HTTP 503") && stderr.contains("request ID"),
        "{stderr}"
    );
    assert!(stderr.contains("is unfinished"), "{stderr}");
    assert!(fake.orders().is_empty());
    // The same command, once the service is back, finishes it.
    let output = purchase_in(&dir, fake.base_url(), &[OFFICE_LINE]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert_eq!(fake.orders().len(), 1);

    // A refusal is not repeated within the run: one checkout, reported.
    let fake = quick_fake();
    fake.push_reply(Reply::fault(403, 900_121, "Credit limit too low.").on("POST", CHECKOUT));
    let output = purchase(fake.base_url(), &[OFFICE_LINE]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(stderr.contains("900121"), "{stderr}");
    assert_eq!(checkouts(&fake).len(), 1);

    // Every item rejected.
    let fake = quick_fake();
    fake.inject_line_item_error(
        OFFICE,
        CartError::new(CartErrorCode::InventoryNotAvailable, "x"),
    );
    assert_eq!(
        exit_code(&purchase(fake.base_url(), &[OFFICE_LINE])),
        Some(1)
    );

    // No credentials: the message names the variables to set.
    let output = command("purchase", &[])
        .current_dir(folder())
        .args([CUSTOMER, "X:1=1"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), Some(1));
    assert!(text(&output.stderr).contains("PARTNER_CENTER_TOKEN"));

    // Wrong usage.
    let output = command("purchase", &[]).arg(CUSTOMER).output().unwrap();
    assert_eq!(exit_code(&output), Some(1));
    assert!(text(&output.stderr).contains("usage"));
}

/// A `fake_server` process, stopped when dropped (a failed test included).
struct FakeServer {
    child: Child,
    url: String,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `fake_server` with switches and reads the URL it prints.
fn fake_server(switches: &[&str]) -> FakeServer {
    let mut child = command("fake_server", &[])
        .args(switches)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fake_server starts");
    let mut url = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut url)
        .unwrap();
    FakeServer {
        child,
        url: url.trim().to_owned(),
    }
}

#[test]
fn fake_server_switches_drive_a_tool_through_its_exit_codes() {
    let runs: [(&[&str], i32); 6] = [
        (&["--pending-polls", "0"], 0),
        (&["--pending-polls", "0", "--fail-checkout", "2:503"], 0),
        (&["--pending-polls", "0", "--cut-checkout", "1"], 1),
        (&["--pending-polls", "0", "--fail-checkout", "8:500"], 1),
        (&["--pending-polls", "0", "--reject", RESERVED_VM], 3),
        (
            &["--pending-polls", "0", "--cancel-order-group", RESERVED_VM],
            3,
        ),
    ];
    for (switches, expected) in runs {
        let server = fake_server(switches);
        let output = purchase(&server.url, &[OFFICE_LINE, VM_LINE]);
        drop(server);
        assert_eq!(
            exit_code(&output),
            Some(expected),
            "{switches:?}:\n{}",
            text(&output.stderr)
        );
    }

    let server = fake_server(&["--pending-polls", "0", "--fail-order-group", OFFICE]);
    let output = purchase(&server.url, &[OFFICE_LINE, VM_LINE]);
    drop(server);
    assert_eq!(exit_code(&output), Some(3), "{}", text(&output.stderr));

    let output = command("fake_server", &[])
        .args(["--bogus", "1"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), Some(2));
    assert!(text(&output.stderr).contains("usage"));
    let output = command("fake_server", &[])
        .args(["--repeated-checkout", "twice"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), Some(2));
}

#[test]
fn fake_server_crash_switches_act_without_telling() {
    // A lost create's answer: the client repeats the create with its
    // request ID and gets the cart made.
    let server = fake_server(&["--pending-polls", "0", "--lose-create", "1"]);
    let output = purchase(&server.url, &[OFFICE_LINE]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));

    // A late answer: the checkout acted before it came.
    let server = fake_server(&["--pending-polls", "0", "--checkout-answer-delay", "300"]);
    let started = std::time::Instant::now();
    let output = purchase(&server.url, &[OFFICE_LINE]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    // An older service refuses the repeat of a checkout whose answer was
    // lost, and its order list lags: the run again reports it bought, with
    // its orders not listed yet, and buys nothing.
    let server = fake_server(&[
        "--pending-polls",
        "0",
        "--cut-checkout",
        "1",
        "--repeated-checkout",
        "800065",
        "--order-list-lag",
        "60000",
    ]);
    let dir = folder();
    let output = purchase_in(&dir, &server.url, &[OFFICE_LINE]);
    assert_eq!(exit_code(&output), Some(1), "{}", text(&output.stderr));
    let output = purchase_in(&dir, &server.url, &[OFFICE_LINE]);
    let stdout = text(&output.stdout);
    assert_eq!(
        exit_code(&output),
        Some(3),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("not all its orders are listed yet"),
        "{stdout}"
    );
    assert!(text(&output.stderr).contains("is unfinished"));
}

#[test]
fn the_checkout_tool_offers_a_repeat_only_where_it_can_help() {
    let fake = start();
    let run = |args: &[&str]| checkout_tool(&fake, args);
    let unknown_cart = "3655b1a0-b1c9-4268-9824-577fdbc4d0be";
    let output = run(&["checkout", CUSTOMER, unknown_cart]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(
        stderr.contains("HTTP 404") && stderr.contains("Request ID"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("--request-id"),
        "no repeat after a 404:\n{stderr}"
    );

    fake.push_replies(
        std::iter::repeat_n(Reply::fault(503, 900_192, "Transient failure."), 4)
            .map(|reply| reply.on("POST", CHECKOUT)),
    );
    let output = run(&["checkout", CUSTOMER, unknown_cart]);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("HTTP 503") && stderr.contains("--request-id"),
        "{stderr}"
    );
}

/// Runs the `checkout` tool against a fake with a token from the
/// environment.
fn checkout_tool(fake: &FakePartnerCenter, args: &[&str]) -> Output {
    against_fake("checkout", fake.base_url())
        .args(args)
        .output()
        .expect("checkout runs")
}

#[test]
fn the_checkout_tool_prints_usage_on_help_and_names_an_unknown_command() {
    for help in ["--help", "-h"] {
        let output = command("checkout", &[]).arg(help).output().unwrap();
        assert_eq!(exit_code(&output), Some(0), "{help}");
        assert!(
            text(&output.stdout).starts_with("usage: checkout"),
            "{help}"
        );
        assert!(text(&output.stdout).contains("--auth"), "{help}");
        assert!(output.stderr.is_empty(), "{help}: {}", text(&output.stderr));
    }

    let fake = start();
    let output = checkout_tool(&fake, &["chekout", CUSTOMER, CART]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: unknown command \"chekout\"\nusage:"),
        "{stderr}"
    );
    assert!(fake.requests().is_empty(), "nothing was sent");

    // A customer ID first still means `checkout <customer> <cart>`.
    let output = checkout_tool(&fake, &[CUSTOMER, CART]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    assert_eq!(checkouts(&fake).len(), 1);
}

#[test]
fn checkout_wait_names_the_orders_before_waiting_and_reports_progress_under_json() {
    let fake = start();
    fake.set_polls_until_complete(10);
    let cart = client(&fake)
        .create_cart(
            CUSTOMER,
            &NewCart::new()
                .line_item(CartLineItem::new(OFFICE, 2, BillingCycle::Monthly).term_duration("P1M"))
                .partner_on_record_attestation_accepted(true),
            &CreateCartOptions::new(),
        )
        .unwrap();
    let cart_id = cart.id.unwrap().to_string();

    // The wait runs out after a second, with the order still pending: its
    // ID must be known all the same.
    let output = checkout_tool(
        &fake,
        &[
            "checkout",
            CUSTOMER,
            &cart_id,
            "--wait",
            "--json",
            "--timeout",
            "1",
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(3), "{stderr}");
    let order_id = fake.orders()[0].id.to_string();
    let named = stderr
        .find(&format!("order {order_id}  status pending"))
        .unwrap_or_else(|| panic!("the order is not named:\n{stderr}"));
    let progress = stderr
        .find("1 of 1 order(s) pending")
        .unwrap_or_else(|| panic!("no progress under --json:\n{stderr}"));
    assert!(named < progress, "named after the wait began:\n{stderr}");
    let orders: Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON value");
    assert_eq!(orders[0]["id"], order_id.as_str());
    assert_eq!(orders[0]["status"], "pending");
}

#[test]
fn an_operator_audits_orders_and_a_checkout_again_says_it_replays() {
    let fake = quick_fake();
    // `buy` is gone: it points to the tool that keeps a journal.
    let output = checkout_tool(&fake, &["buy", CUSTOMER, "--offer", OFFICE]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(2), "{stderr}");
    assert!(stderr.contains("example purchase"), "{stderr}");
    assert!(fake.requests().is_empty(), "nothing was sent");

    let output = checkout_tool(
        &fake,
        &[
            "create", CUSTOMER, "--offer", OFFICE, "--term", "P1M", "--json",
        ],
    );
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    let cart: Value = serde_json::from_slice(&output.stdout).expect("the cart as JSON");
    let cart = cart["id"].as_str().expect("a cart ID").to_owned();
    let first = checkout_tool(&fake, &["checkout", CUSTOMER, &cart]);
    let first_err = text(&first.stderr);
    assert_eq!(exit_code(&first), Some(0), "{first_err}");
    assert!(!first_err.contains("checked out before"), "{first_err}");

    // Again: the same orders, said to be a replay, and nothing bought.
    let again = checkout_tool(&fake, &["checkout", CUSTOMER, &cart]);
    let again_err = text(&again.stderr);
    assert_eq!(exit_code(&again), Some(0), "{again_err}");
    assert!(
        again_err.contains(&format!("cart {cart} was checked out before"))
            && again_err.contains("replays the first checkout's result"),
        "{again_err}"
    );
    assert_eq!(text(&again.stdout), text(&first.stdout));
    assert_eq!(fake.orders().len(), 1);

    // `orders` lists what was bought, by ID, with its date and lines.
    let output = checkout_tool(&fake, &["orders", CUSTOMER]);
    let stdout = text(&output.stdout);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    let order = &fake.orders()[0];
    assert!(stdout.starts_with("Orders (1):"), "{stdout}");
    assert!(stdout.contains(&order.id.to_string()), "{stdout}");
    let created = order
        .creation_date
        .as_deref()
        .expect("the fake dates its orders");
    assert!(stdout.contains(created), "{stdout}");
    assert!(stdout.contains("CFQ7TTC0LH0Z"), "{stdout}");
}

#[test]
fn a_product_without_a_term_is_bought_on_the_first_term_it_offers() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let output = checkout_tool(
        &fake,
        &[
            "create",
            CUSTOMER,
            "--product",
            "CFQ7TTC0LH18",
            "--sku",
            "0001",
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(0), "{stderr}");
    let carts = fake.carts(CUSTOMER);
    let item = &carts[0].line_items[0];
    assert_eq!(item.term_duration.as_deref(), Some("P1M"), "{stderr}");
    assert_eq!(item.billing_cycle, Some(BillingCycle::Monthly));

    // A term given is kept, and one not offered is still refused.
    let output = checkout_tool(
        &fake,
        &[
            "create",
            CUSTOMER,
            "--product",
            "CFQ7TTC0LH18",
            "--sku",
            "0001",
            "--term",
            "P3Y",
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(2), "{stderr}");
    assert!(stderr.contains("is not offered as P3Y/monthly"), "{stderr}");
}

#[test]
fn fake_server_answers_checkouts_in_progress_and_a_run_again_finishes() {
    // The checkout is made while every attempt of the first run is answered
    // "in progress"; the run again checks the same cart out and gets it.
    let server = fake_server(&["--pending-polls", "0", "--checkout-in-progress", "4"]);
    let dir = folder();
    let output = purchase_in(&dir, &server.url, &[OFFICE_LINE]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(stderr.contains("error 800064"), "{stderr}");
    assert!(stderr.contains("an order may still be made"), "{stderr}");
    assert!(stderr.contains("run the same command again"), "{stderr}");
    let output = purchase_in(&dir, &server.url, &[OFFICE_LINE]);
    let stdout = text(&output.stdout);
    assert_eq!(
        exit_code(&output),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
}

#[test]
fn fake_server_can_require_mfa_and_prints_a_token_without_it() {
    let mut child = command("fake_server", &[])
        .arg("--require-mfa")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fake_server starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    let (url, token) = (next(), next());
    let server = FakeServer { child, url };
    let claims = partner_center_cart::AccessToken::new(token.clone())
        .claims()
        .unwrap();
    assert!(!claims.is_app_only() && !claims.has_mfa(), "{claims:?}");
    let output = command(
        "purchase",
        &[
            ("PARTNER_CENTER_BASE_URL", server.url.as_str()),
            ("PARTNER_CENTER_TOKEN", token.as_str()),
        ],
    )
    .current_dir(folder())
    .args([CUSTOMER, OFFICE_LINE])
    .output()
    .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert!(stderr.contains("error 900421"), "{stderr}");
    assert!(stderr.contains("multi-factor authentication"), "{stderr}");
}

#[test]
fn fake_server_prints_help_and_a_line_to_export() {
    for help in ["--help", "-h"] {
        let output = command("fake_server", &[]).arg(help).output().unwrap();
        assert_eq!(exit_code(&output), Some(0), "{help}");
        let stdout = text(&output.stdout);
        assert!(stdout.starts_with("usage: fake_server"), "{stdout}");
        assert!(stdout.contains("--fail-checkout"), "{stdout}");
    }

    let mut child = command("fake_server", &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fake_server starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    let (url, token, export) = (next(), next(), next());
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(token.starts_with("eyJ"), "{token}");
    assert_eq!(
        export,
        format!("export PARTNER_CENTER_BASE_URL={url} PARTNER_CENTER_TOKEN={token}")
    );
}

/// Text a hostile server sends: an escape sequence that clears the screen,
/// a line break that starts a forged line, a right-to-left override and a
/// line separator.
const HOSTILE: &str = "\u{1b}[2J\r\nFORGED\u{202e}x\u{2028}y";

/// Server text with [`HOSTILE`] after it.
fn hostile(text: &str) -> String {
    format!("{text}{HOSTILE}")
}

/// Asserts that `output` holds the hostile text escaped, and none of its
/// characters as they were sent.
fn assert_inert(what: &str, output: &str) {
    for c in ['\u{1b}', '\r', '\u{202e}', '\u{2028}'] {
        assert!(!output.contains(c), "{what} prints {c:?} raw:\n{output:?}");
    }
    assert!(
        !output.lines().any(|line| line.starts_with("FORGED")),
        "{what} prints a forged line:\n{output}"
    );
    // Shown as the crate shows it, through its one helper.
    let escaped = Escaped::new(HOSTILE).to_string();
    assert_eq!(escaped, r"\u{1b}[2J\r\nFORGED\u{202e}x\u{2028}y");
    assert!(
        output.contains(&escaped),
        "{what} does not show the text as sent:\n{output}"
    );
}

/// One page of a list.
fn page(items: Value) -> Value {
    json!({ "totalCount": items.as_array().map_or(0, Vec::len), "items": items })
}

/// An order with the hostile text in each of its text fields.
fn hostile_order() -> Value {
    json!({
        "id": "ORD-1",
        "status": "completed",
        "billingCycle": "monthly",
        "currencyCode": hostile("USD"),
        "creationDate": hostile("2023-10-01"),
        "lineItems": [{
            "lineItemNumber": 0,
            "offerId": hostile("OFFER"),
            "subscriptionId": hostile("SUB"),
            "friendlyName": hostile("Name"),
            "quantity": 1,
            "termDuration": hostile("P1M"),
        }],
    })
}

#[test]
fn the_checkout_tool_escapes_server_text_in_every_table() {
    const CUSTOMER_PATH: &str = "/v1/customers/*";
    let fake = start();
    let on = |method: &str, path: &str, body: Value| {
        fake.push_reply(Reply::json(200, &body).on(method, format!("{CUSTOMER_PATH}{path}")));
    };
    let checkout_result = json!({
        "orders": [hostile_order()],
        "orderErrors": [{
            "orderGroupId": hostile("1"),
            "code": 800_005,
            "description": hostile("Order creation did not succeed."),
        }],
    });
    let runs: [(&str, &str, &str, Value, &[&str]); 6] = [
        (
            "GET",
            "/products",
            "products",
            page(json!([{
                "id": hostile("CFQ7TTC0LH18"),
                "title": hostile("Microsoft 365"),
                "productType": { "id": hostile("OnlineServicesNCE") },
            }])),
            &["products", CUSTOMER],
        ),
        (
            "GET",
            "/products/*/skus",
            "skus",
            page(json!([{
                "id": hostile("0001"),
                "productId": "CFQ7TTC0LH18",
                "title": hostile("Business Basic"),
                "supportedBillingCycles": [hostile("monthly")],
            }])),
            &["skus", CUSTOMER, "CFQ7TTC0LH18"],
        ),
        (
            "GET",
            "/products/*/skus/*/availabilities",
            "availabilities",
            page(json!([{
                "id": "CFQ7TTC0K18P",
                "productId": "CFQ7TTC0LH18",
                "skuId": "0001",
                "catalogItemId": hostile("CFQ7TTC0LH18:0001:CFQ7TTC0K18P"),
                "segment": hostile("commercial"),
                "isPurchasable": true,
            }])),
            &["availabilities", CUSTOMER, "CFQ7TTC0LH18", "0001"],
        ),
        (
            "GET",
            "/orders/*",
            "order",
            hostile_order(),
            &["order", CUSTOMER, "ORD-1"],
        ),
        (
            "GET",
            "/carts/*",
            "show",
            json!({
                "id": CART,
                "status": hostile("Active"),
                "expirationTimestamp": hostile("2030-01-01"),
                "lineItems": [{
                    "id": 0,
                    "catalogItemId": hostile("CFQ7TTC0LH18:0001:CFQ7TTC0K18P"),
                    "quantity": 1,
                    "billingCycle": hostile("monthly"),
                    "termDuration": hostile("P1M"),
                    "orderGroup": hostile("0"),
                    "error": { "errorCode": 10003, "errorDescription": hostile("Out of stock.") },
                }],
            }),
            &["show", CUSTOMER, CART],
        ),
        (
            "POST",
            "/carts/*/checkout",
            "checkout",
            checkout_result.clone(),
            &["checkout", CUSTOMER, CART],
        ),
    ];
    for (method, path, what, body, args) in runs {
        on(method, path, body);
        let output = checkout_tool(&fake, args);
        assert!(
            matches!(exit_code(&output), Some(0 | 3)),
            "{what}: {}",
            text(&output.stderr)
        );
        assert_inert(what, &text(&output.stdout));
    }

    // `orders` lists the customer's orders.
    on("GET", "/orders", page(json!([hostile_order()])));
    let output = checkout_tool(&fake, &["orders", CUSTOMER]);
    assert_eq!(
        exit_code(&output),
        Some(0),
        "orders: {}",
        text(&output.stderr)
    );
    assert_inert("orders", &text(&output.stdout));
}
