//! The example tools as a user runs them: `purchase` against the fake
//! through each of its exit codes, `fake_server`'s switches, and the
//! `checkout` tool's hint to repeat a call.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use common::tools::{command, exit_code, folder, purchase, purchase_in, text};
use common::{CUSTOMER, checkouts, start};
use partner_center_cart::fake::{FakePartnerCenter, Reply};
use partner_center_cart::model::{CartError, CartErrorCode};

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
        stderr.contains(&format!("purchase \"{CUSTOMER} {OFFICE_LINE}\" is unfinished: run the same command again to finish it")),
        "{stderr}"
    );
    let output = purchase_in(&dir, fake.base_url(), &[OFFICE_LINE]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("unfinished"));
    assert_eq!(fake.orders().len(), 1);
    assert_eq!(fake.carts(CUSTOMER).len(), 1);
    let checkouts = checkouts(&fake);
    assert_eq!(checkouts.len(), 2);
    assert_eq!(
        checkouts[0].header("ms-requestid"),
        checkouts[1].header("ms-requestid")
    );
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
    let run = |args: &[&str]| {
        command(
            "checkout",
            &[
                ("PARTNER_CENTER_BASE_URL", fake.base_url()),
                ("PARTNER_CENTER_TOKEN", "test-token"),
            ],
        )
        .args(args)
        .output()
        .expect("checkout runs")
    };
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
