//! Exactly once, shown with real processes and real signals: each tool is
//! killed with SIGKILL at a point of its purchase (the create acted, a
//! checkout's answer on its way, the wait), run again with the same
//! command, and the fake counts what was bought: every item exactly once.

#![cfg(unix)]

use crate::common;

use std::path::Path;
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use common::tools::{
    self, against_fake, bulk, exit_code, folder, lines_bought, purchase_in, text, write_batch,
};
use common::{CUSTOMER, assert_one_request_id, checkouts, start};
use partner_center_cart::fake::{FakePartnerCenter, RecordedRequest, Reply};
use partner_center_cart::journal::Journal;

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
const RESERVED_VM: &str = "DZH318Z0BQ36:004G:DZH318Z08C0S";
/// Two order groups: monthly and one-time billing.
const ITEMS: [&str; 2] = ["CFQ7TTC0LH0Z:0001=5", "DZH318Z0BQ36:004G=2,one_time,P1Y"];

/// Starts `purchase` in `dir`, to be killed.
fn spawn_purchase(dir: &Path, fake: &FakePartnerCenter) -> Child {
    against_fake("purchase", fake.base_url())
        .current_dir(dir)
        .arg(CUSTOMER)
        .args(ITEMS)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("purchase starts")
}

/// Waits until the fake has received a request that `point` picks, then
/// kills the tool with SIGKILL. The fake acts under the lock that records
/// the request, so a request seen has taken effect.
fn kill_at(tool: &mut Child, fake: &FakePartnerCenter, point: impl Fn(&RecordedRequest) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !fake.requests().iter().any(&point) {
        assert!(
            Instant::now() < deadline,
            "the tool never reached the point"
        );
        assert!(
            tool.try_wait().unwrap().is_none(),
            "the tool ended before the point"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    tool.kill().expect("SIGKILL");
    let status = tool.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "killed by SIGKILL"
    );
}

fn is_create(request: &RecordedRequest) -> bool {
    request.method == "POST" && request.path.ends_with("/carts")
}

fn is_checkout(request: &RecordedRequest) -> bool {
    request.path.ends_with("/checkout")
}

fn is_order_read(request: &RecordedRequest) -> bool {
    request.method == "GET" && request.path.contains("/orders/")
}

/// Every item bought once: one cart for the customer, one order per group,
/// each line bought in its quantity once.
fn assert_bought_once(fake: &FakePartnerCenter, customer: &str) {
    assert_eq!(fake.carts(customer).len(), 1, "one cart for {customer}");
    assert_eq!(
        lines_bought(fake, customer),
        [(OFFICE.to_owned(), 5), (RESERVED_VM.to_owned(), 2)],
        "each item once for {customer}"
    );
}

fn finish(dir: &Path, fake: &FakePartnerCenter) -> Output {
    let output = purchase_in(dir, fake.base_url(), &ITEMS);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    output
}

#[test]
fn purchase_killed_after_the_create_acted_finishes_with_one_cart() {
    let fake = start();
    fake.set_polls_until_complete(0);
    // The create acts at once and answers after a while: a kill then leaves
    // a cart the tool never heard of.
    fake.push_reply(
        Reply::built_in()
            .delay(Duration::from_secs(5))
            .on("POST", "/v1/customers/*/carts"),
    );
    let dir = folder();
    let mut tool = spawn_purchase(&dir, &fake);
    kill_at(&mut tool, &fake, is_create);
    assert_eq!(fake.carts(CUSTOMER).len(), 1);

    finish(&dir, &fake);
    assert_bought_once(&fake, CUSTOMER);
    let creates: Vec<RecordedRequest> = fake.requests().into_iter().filter(is_create).collect();
    assert_eq!(creates.len(), 2);
    assert_one_request_id(&creates);
}

#[test]
fn purchase_killed_while_a_checkouts_answer_is_on_its_way_buys_once() {
    for repeat in ["replay", "800065"] {
        let fake = start();
        fake.set_polls_until_complete(0);
        fake.delay_checkout_answers(Duration::from_secs(5));
        if repeat == "800065" {
            fake.refuse_repeated_checkouts();
        }
        let dir = folder();
        let mut tool = spawn_purchase(&dir, &fake);
        kill_at(&mut tool, &fake, is_checkout);
        assert_eq!(fake.orders().len(), 2, "{repeat}: the checkout acted");

        fake.delay_checkout_answers(Duration::ZERO);
        let output = finish(&dir, &fake);
        assert_bought_once(&fake, CUSTOMER);
        for order in fake.orders() {
            assert!(text(&output.stdout).contains(order.id.as_str()), "{repeat}");
        }
        let checkouts = checkouts(&fake);
        assert_eq!(checkouts.len(), 2, "{repeat}");
        assert_eq!(
            checkouts[0].path, checkouts[1].path,
            "{repeat}: the same cart"
        );
        assert_one_request_id(&checkouts);
    }
}

#[test]
fn purchase_killed_during_the_wait_resumes_the_wait_and_buys_nothing() {
    let fake = start();
    fake.set_polls_until_complete(2);
    let dir = folder();
    let mut tool = spawn_purchase(&dir, &fake);
    kill_at(&mut tool, &fake, is_order_read);
    fake.clear_requests();

    let output = finish(&dir, &fake);
    assert_bought_once(&fake, CUSTOMER);
    assert!(
        text(&output.stderr).contains("pending"),
        "{}",
        text(&output.stderr)
    );
    let requests = fake.requests();
    assert!(
        !requests.iter().any(|r| is_create(r) || is_checkout(r)),
        "{requests:?}"
    );

    // Finished: the same command prints the outcome again, says when it
    // finished and how to buy again, and sends nothing.
    fake.clear_requests();
    let again = text(&finish(&dir, &fake).stdout);
    assert!(
        again.starts_with(text(&output.stdout).trim_end()),
        "{again}"
    );
    assert!(
        again.contains("finished at") && again.contains("--label=TEXT"),
        "{again}"
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn a_second_process_on_the_same_journal_is_refused() {
    let fake = start();
    let dir = folder();
    let journal = Journal::open(dir.join("purchase.journal")).unwrap();
    let output = purchase_in(&dir, fake.base_url(), &ITEMS);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(stderr.contains("in use by another process"), "{stderr}");
    assert!(fake.requests().is_empty());
    drop(journal);
}

/// A CSV of `customers`, each buying both items.
fn csv(dir: &Path, customers: &[String]) -> String {
    let lines = ["CFQ7TTC0LH0Z,0001,5,,", "DZH318Z0BQ36,004G,2,one_time,P1Y"];
    write_batch(dir, "batch.csv", customers, &lines)
}

/// The customers of this file's tests.
fn customers(count: usize) -> Vec<String> {
    tools::customers("28045616-f6b9-462f-9701", count)
}

#[test]
fn bulk_buys_several_customers_at_once_one_line_each() {
    let fake = start();
    fake.set_polls_until_complete(0);
    // Long enough that four customers reach their checkout within it on a
    // busy machine.
    let delay = Duration::from_secs(2);
    fake.delay_checkout_answers(delay);
    let dir = folder();
    let customers = customers(8);
    let file = csv(&dir, &customers);
    let output = bulk(&dir, &fake, &[&file, "--parallel=4"]);
    let stdout = text(&output.stdout);
    assert_eq!(
        exit_code(&output),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    for customer in &customers {
        assert_bought_once(&fake, customer);
        assert_eq!(
            stdout
                .lines()
                .filter(|line| line.starts_with(customer.as_str()))
                .count(),
            1
        );
    }
    // Four customers at once: four checkouts arrive before the first is
    // answered, and no fifth.
    let checkouts = checkouts(&fake);
    let first = checkouts[0].received_at;
    let at_once = checkouts
        .iter()
        .filter(|request| request.received_at.duration_since(first) < delay)
        .count();
    assert_eq!(at_once, 4, "{checkouts:?}");
}

#[test]
fn bulk_killed_mid_batch_finishes_every_customer_once() {
    let fake = start();
    fake.set_polls_until_complete(0);
    fake.delay_checkout_answers(Duration::from_secs(5));
    let dir = folder();
    let customers = customers(3);
    let file = csv(&dir, &customers);
    let mut tool = against_fake("bulk", fake.base_url())
        .current_dir(&dir)
        .args([file.as_str(), "--parallel=2"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    kill_at(&mut tool, &fake, is_checkout);

    fake.delay_checkout_answers(Duration::ZERO);
    let output = bulk(&dir, &fake, &[&file]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    for customer in &customers {
        assert_bought_once(&fake, customer);
    }
}

#[test]
fn bulk_says_what_is_left_and_exits_as_purchase_does() {
    let fake = start();
    fake.set_polls_until_complete(0);
    fake.inject_order_error(RESERVED_VM, 800_005, "Order creation did not succeed.");
    let dir = folder();
    let file = csv(&dir, &customers(2));
    let output = bulk(&dir, &fake, &[&file]);
    let stdout = text(&output.stdout);
    assert_eq!(exit_code(&output), Some(3), "{stdout}");
    assert_eq!(
        stdout.matches("buy again: DZH318Z0BQ36:004G").count(),
        2,
        "{stdout}"
    );

    // A call that fails for good leaves the purchase unfinished, named.
    let fake = start();
    fake.push_replies(
        std::iter::repeat_n(Reply::fault(403, 900_121, "Credit limit too low."), 1)
            .map(|reply| reply.on("POST", "/v1/customers/*/carts/*/checkout")),
    );
    let dir = folder();
    let file = csv(&dir, &customers(1));
    let output = bulk(&dir, &fake, &[&file]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(
        stderr.contains("is unfinished: run the same command again"),
        "{stderr}"
    );

    let output = bulk(&dir, &fake, &["missing.csv"]);
    assert_eq!(exit_code(&output), Some(1));
    assert!(text(&output.stderr).contains("usage"));
    std::fs::write(dir.join("bad.csv"), "customer,sku\n").unwrap();
    let output = bulk(&dir, &fake, &["bad.csv"]);
    assert!(text(&output.stderr).contains("customer,product,sku,quantity,billing,term"));
}

#[test]
fn bulk_with_more_workers_than_customers_ends_once_they_are_done() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let dir = folder();
    let file = csv(&dir, &customers(1));
    // A careless --parallel starts no more workers than there are customers.
    let mut tool = against_fake("bulk", fake.base_url())
        .current_dir(&dir)
        .args([file.as_str(), &format!("--parallel={}", usize::MAX)])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = tool.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            tool.kill().unwrap();
            tool.wait().unwrap();
            panic!("bulk was still running 30 s after one customer");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    assert_bought_once(&fake, &customers(1)[0]);
}

#[test]
fn bulk_knows_a_batch_however_its_path_is_typed() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let dir = folder();
    let customers = customers(2);
    let file = csv(&dir, &customers);
    let output = bulk(&dir, &fake, &[&file]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    let sent = fake.requests().len();
    let absolute = dir.join(&file).display().to_string();
    for again in [format!("./{file}"), absolute] {
        let output = bulk(&dir, &fake, &[&again]);
        assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
        assert_eq!(
            fake.requests().len(),
            sent,
            "{again}: finished, nothing sent"
        );
    }
    for customer in &customers {
        assert_bought_once(&fake, customer);
    }
}

#[test]
fn bulk_killed_during_a_checkout_then_run_on_the_moved_csv_buys_every_customer_once() {
    let fake = start();
    fake.set_polls_until_complete(0);
    fake.delay_checkout_answers(Duration::from_secs(5));
    let dir = folder();
    let customers = customers(3);
    let file = csv(&dir, &customers);
    let mut tool = against_fake("bulk", fake.base_url())
        .current_dir(&dir)
        .args([file.as_str(), "--parallel=2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    kill_at(&mut tool, &fake, is_checkout);
    assert!(
        !fake.orders().is_empty(),
        "a checkout acted before the kill"
    );

    // The operator files the CSV away, and runs it from there.
    std::fs::create_dir_all(dir.join("done")).unwrap();
    std::fs::rename(dir.join(&file), dir.join("done").join(&file)).unwrap();
    fake.delay_checkout_answers(Duration::ZERO);
    let moved = format!("done/{file}");
    let output = bulk(&dir, &fake, &[&moved]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    for customer in &customers {
        assert_bought_once(&fake, customer);
    }
}

/// Runs `purchase` in `dir` with `args` (the customer first) and the
/// order list's lag set to `lag_seconds`.
fn purchase_with(dir: &Path, fake: &FakePartnerCenter, lag_seconds: &str, args: &[&str]) -> Output {
    against_fake("purchase", fake.base_url())
        .current_dir(dir)
        .env("PARTNER_CENTER_ORDER_LIST_LAG_SECONDS", lag_seconds)
        .args(args)
        .output()
        .expect("purchase runs")
}

/// Starts `purchase` in `dir` with `args` and kills it once its checkout
/// has acted, its answer still on the way.
fn kill_during_checkout(dir: &Path, fake: &FakePartnerCenter, args: &[&str]) {
    fake.delay_checkout_answers(Duration::from_secs(5));
    let mut tool = against_fake("purchase", fake.base_url())
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("purchase starts");
    kill_at(&mut tool, fake, is_checkout);
    fake.delay_checkout_answers(Duration::ZERO);
}

#[test]
fn purchase_killed_in_doubt_and_run_again_respelt_buys_once() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let dir = folder();
    kill_during_checkout(&dir, &fake, &[CUSTOMER, ITEMS[0], ITEMS[1]]);
    assert_eq!(fake.orders().len(), 2, "the checkout acted");
    // The GUID in capitals and braces, the items the other way round, the
    // defaults written out, a product in lower case.
    let respelt = format!("{{{}}}", CUSTOMER.to_uppercase());
    let items = [
        "dzh318z0bq36:004G=2,one_time,P1Y",
        "CFQ7TTC0LH0Z:0001=5,monthly,P1M",
    ];
    let output = purchase_with(&dir, &fake, "900", &[&respelt, items[0], items[1]]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert_bought_once(&fake, CUSTOMER);
    assert_one_request_id(&checkouts(&fake));
}

#[test]
fn purchase_killed_in_doubt_refuses_a_changed_quantity_until_it_is_finished() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let dir = folder();
    kill_during_checkout(&dir, &fake, &[CUSTOMER, ITEMS[0], ITEMS[1]]);
    fake.clear_requests();

    // 8 seats, not 5: refused, naming the other purchase and the ways on.
    let output = purchase_with(
        &dir,
        &fake,
        "900",
        &[CUSTOMER, "CFQ7TTC0LH0Z:0001=8", ITEMS[1]],
    );
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    for part in ["x5", "x8", "--abandon", "as it was"] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
    assert!(!text(&output.stdout).contains("completely"), "{stderr}");
    // Abandoning it is refused: its cart is ordered.
    let output = purchase_with(
        &dir,
        &fake,
        "900",
        &[CUSTOMER, ITEMS[0], ITEMS[1], "--abandon"],
    );
    assert_eq!(exit_code(&output), Some(1));
    assert!(
        text(&output.stderr).contains("cannot be abandoned"),
        "{}",
        text(&output.stderr)
    );
    assert!(checkouts(&fake).is_empty() && fake.carts(CUSTOMER).len() == 1);

    // Finished as it was: 5 seats, once.
    finish(&dir, &fake);
    assert_bought_once(&fake, CUSTOMER);
}

#[test]
fn purchase_killed_in_doubt_behind_800065_with_a_failed_group_buys_the_rest_once() {
    let fake = start();
    fake.set_polls_until_complete(0);
    fake.refuse_repeated_checkouts();
    fake.inject_order_error(RESERVED_VM, 800_005, "Order creation did not succeed.");
    let dir = folder();
    kill_during_checkout(&dir, &fake, &[CUSTOMER, ITEMS[0], ITEMS[1]]);
    assert_eq!(fake.orders().len(), 1, "the office group made its order");

    // Inside the order list's lag: the VM line is not known yet.
    let args = [CUSTOMER, ITEMS[0], ITEMS[1]];
    let output = purchase_with(&dir, &fake, "900", &args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(exit_code(&output), Some(3), "{stderr}");
    assert!(stdout.contains("run it again after"), "{stdout}");
    assert!(stderr.contains("is unfinished"), "{stderr}");

    // After it: the VM line made no order and is to buy again; finished.
    let output = purchase_with(&dir, &fake, "0", &args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(exit_code(&output), Some(3), "{stderr}");
    assert!(
        stdout.contains("buy again") && stdout.contains(RESERVED_VM),
        "{stdout}"
    );
    assert!(stdout.contains(fake.orders()[0].id.as_str()), "{stdout}");
    assert!(!stderr.contains("unfinished"), "{stderr}");
    assert_eq!(fake.orders().len(), 1, "nothing bought twice");
}

#[test]
fn two_purchases_of_the_same_item_for_one_customer_each_buy_once_and_own_their_orders() {
    let fake = start();
    fake.set_polls_until_complete(0);
    fake.refuse_repeated_checkouts();
    let dir = folder();
    let first = [CUSTOMER, ITEMS[0], "--label=first"];
    let second = [CUSTOMER, ITEMS[0], "--label=second"];
    kill_during_checkout(&dir, &fake, &first);
    // The second is refused while the first is in doubt: nothing sent.
    fake.clear_requests();
    let output = purchase_with(&dir, &fake, "0", &second);
    assert_eq!(exit_code(&output), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("label \"first\""),
        "{}",
        text(&output.stderr)
    );
    assert!(fake.requests().is_empty());

    // The first finishes behind 800065, naming its one order.
    let output = purchase_with(&dir, &fake, "0", &first);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    let first_order = fake.orders()[0].id.clone();
    assert!(text(&output.stdout).contains(first_order.as_str()));
    // The second, the same items within a week: only with --again.
    let output = purchase_with(&dir, &fake, "0", &second);
    assert_eq!(exit_code(&output), Some(1));
    assert!(
        text(&output.stderr).contains("--again"),
        "{}",
        text(&output.stderr)
    );
    let output = purchase_with(
        &dir,
        &fake,
        "0",
        &[second[0], second[1], second[2], "--again"],
    );
    let stdout = text(&output.stdout);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert_eq!(fake.orders().len(), 2, "each bought once");
    assert!(!stdout.contains(first_order.as_str()), "{stdout}");
    assert!(stdout.contains(fake.orders()[1].id.as_str()), "{stdout}");
}

#[test]
fn purchase_run_again_from_another_folder_finds_the_orders_and_buys_nothing() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let first = folder();
    let output = purchase_in(&first, fake.base_url(), &ITEMS);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    let posts = || {
        fake.requests()
            .iter()
            .filter(|request| request.method == "POST")
            .count()
    };
    let sent = posts();

    // The same command from another folder: a new journal, which knows
    // nothing of the first; the customer's orders do.
    let other = folder();
    let output = purchase_in(&other, fake.base_url(), &ITEMS);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    for part in ["orders of the last 7 days", "another journal", "--again"] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
    assert_eq!(posts(), sent, "nothing that acts was sent");
    assert_bought_once(&fake, CUSTOMER);

    // Meant: --again buys the items a second time.
    let mut again = ITEMS.to_vec();
    again.push("--again");
    let output = purchase_in(&other, fake.base_url(), &again);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    assert_eq!(fake.orders().len(), 4, "two orders a purchase");
}

#[test]
fn purchase_killed_in_its_checkout_then_run_from_another_folder_inside_the_lag_buys_nothing() {
    use partner_center_cart::journal::STATE_DIR_VARIABLE;

    // The order list lags, so the orders do not show the purchase yet;
    // the user's record of their journals does.
    let fake = start();
    fake.set_polls_until_complete(0);
    fake.delay_order_lists(Duration::from_secs(600));
    fake.delay_checkout_answers(Duration::from_secs(3));
    let state = folder();
    let state = state.to_str().unwrap();
    let run_in = |dir: &Path, extra: &[&str]| {
        against_fake("purchase", fake.base_url())
            .env(STATE_DIR_VARIABLE, state)
            .current_dir(dir)
            .arg(CUSTOMER)
            .args(ITEMS)
            .args(extra)
            .output()
            .expect("purchase runs")
    };
    let first = folder();
    let mut tool = against_fake("purchase", fake.base_url())
        .env(STATE_DIR_VARIABLE, state)
        .current_dir(&first)
        .arg(CUSTOMER)
        .args(ITEMS)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("purchase starts");
    kill_at(&mut tool, &fake, is_checkout);
    let posts = || {
        fake.requests()
            .iter()
            .filter(|request| request.method == "POST")
            .count()
    };
    let sent = posts();

    // From another folder, with the customer in capitals: refused, naming
    // the first folder's journal.
    let other = folder();
    let output = against_fake("purchase", fake.base_url())
        .env(STATE_DIR_VARIABLE, state)
        .current_dir(&other)
        .arg(CUSTOMER.to_uppercase())
        .args(ITEMS)
        .output()
        .expect("purchase runs");
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(
        stderr.contains("unfinished purchase") && stderr.contains("purchase.journal"),
        "{stderr}"
    );
    assert_eq!(posts(), sent, "nothing that acts was sent");

    // Finished where it was started; from the other folder, still inside
    // the lag, it is bought already.
    fake.delay_checkout_answers(Duration::ZERO);
    let output = run_in(&first, &[]);
    assert_eq!(exit_code(&output), Some(0), "{}", text(&output.stderr));
    let sent = posts();
    let output = run_in(&other, &[]);
    let stderr = text(&output.stderr);
    assert_eq!(exit_code(&output), Some(1), "{stderr}");
    assert!(stderr.contains("--again"), "{stderr}");
    assert_eq!(posts(), sent);
    assert_bought_once(&fake, CUSTOMER);
}
