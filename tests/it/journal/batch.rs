//! Many purchases on one journal at once (`Journal::run_batch`) against the
//! fake: results in input order, each purchase bought once, the verdict,
//! the stop on an error that every purchase would meet, and progress.

use crate::common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{client, fast_retries, quick_wait, start};
use partner_center_cart::fake::{FakePartnerCenter, FakeToken, Reply};
use partner_center_cart::journal::{
    BatchError, BatchOptions, BatchProgress, BatchVerdict, Claim, Journal, JournalError,
    JournalStore, Listed, MemoryStore, Purchase, PurchaseKey, StopCause, StoredRecord,
};
use partner_center_cart::model::CustomerId;
use partner_center_cart::model::{CartError, CartErrorCode};
use partner_center_cart::{BillingCycle, CartLineItem, Client, NewCart};

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
const RESERVED_VM: &str = "DZH318Z0BQ36:004G:DZH318Z08C0S";

/// A store that refuses every record: the disk is full.
#[derive(Debug, Default)]
struct FailingStore(MemoryStore);

impl JournalStore for FailingStore {
    fn claim(&self, key: &PurchaseKey, owner: &str) -> Result<Claim, JournalError> {
        self.0.claim(key, owner)
    }

    fn read(&self, key: &PurchaseKey) -> Result<Vec<String>, JournalError> {
        self.0.read(key)
    }

    fn append(&self, _: &mut Claim, _: &StoredRecord) -> Result<(), JournalError> {
        Err(JournalError::Store("the disk is full".into()))
    }

    fn release(&self, claim: Claim) -> Result<(), JournalError> {
        self.0.release(claim)
    }

    fn list(&self, customer: Option<CustomerId>) -> Result<Vec<Listed>, JournalError> {
        self.0.list(customer)
    }
}

fn journal() -> Journal {
    Journal::with_store(MemoryStore::new())
}

/// A customer of its own for each purchase.
fn customer(index: usize) -> String {
    format!("{:08x}-f6b9-462f-9701-0d89b5e65c44", index + 1)
}

fn office(quantity: i64) -> CartLineItem {
    CartLineItem::new(OFFICE, quantity, BillingCycle::Monthly).term_duration("P1M")
}

fn reserved_vm() -> CartLineItem {
    CartLineItem::new(RESERVED_VM, 2, BillingCycle::OneTime).term_duration("P1Y")
}

/// Purchase `index`: its own key and customer, and `index + 1` seats, so
/// that each outcome can be told from the others.
fn purchase(index: usize, items: &[CartLineItem]) -> Purchase {
    let cart = items
        .iter()
        .fold(NewCart::new(), |cart, item| cart.line_item(item.clone()))
        .partner_on_record_attestation_accepted(true);
    Purchase::new(customer(index), cart).unwrap()
}

fn offices(count: usize) -> Vec<Purchase> {
    (0..count)
        .map(|index| purchase(index, &[office(index as i64 + 1)]))
        .collect()
}

fn fake() -> FakePartnerCenter {
    let fake = start();
    fake.set_polls_until_complete(1);
    fake
}

fn reject_reserved_vm(fake: &FakePartnerCenter) {
    fake.inject_line_item_error(
        RESERVED_VM,
        CartError::new(CartErrorCode::InventoryNotAvailable, "Out of inventory."),
    );
}

/// Options that record every progress report and every finished purchase.
struct Recorder {
    progress: Arc<Mutex<Vec<BatchProgress>>>,
    finished: Arc<Mutex<Vec<usize>>>,
}

impl Recorder {
    fn options(parallel: usize) -> (BatchOptions, Recorder) {
        let recorder = Recorder {
            progress: Arc::default(),
            finished: Arc::default(),
        };
        let (progress, finished) = (
            Arc::clone(&recorder.progress),
            Arc::clone(&recorder.finished),
        );
        let options = BatchOptions::default()
            .parallel(parallel)
            .wait(quick_wait())
            .on_progress(move |report| progress.lock().unwrap().push(*report))
            .on_finished(move |index, _| finished.lock().unwrap().push(index));
        (options, recorder)
    }

    /// Asserts that the reports' done counts never went down and reached
    /// `total`, that no more than `parallel` purchases sent at once, and
    /// that each purchase was told finished once.
    fn assert_consistent(&self, total: usize, parallel: usize) {
        let progress = self.progress.lock().unwrap();
        assert!(!progress.is_empty());
        assert!(
            progress.windows(2).all(|pair| pair[0].done <= pair[1].done),
            "{progress:#?}"
        );
        let last = progress.last().unwrap();
        assert_eq!((last.done, last.total), (total, total), "{last:?}");
        assert_eq!((last.in_flight, last.waiting), (0, 0), "{last:?}");
        assert_eq!(last.time_left, Some(Duration::ZERO));
        assert!(
            progress
                .iter()
                .all(|report| report.total == total && report.in_flight <= parallel),
            "{progress:#?}"
        );
        let mut finished = self.finished.lock().unwrap().clone();
        finished.sort_unstable();
        assert_eq!(finished, (0..total).collect::<Vec<_>>());
    }
}

/// The customers the fake heard from: each purchase's own.
fn customers_heard(fake: &FakePartnerCenter) -> HashSet<String> {
    fake.requests()
        .iter()
        .filter_map(|request| {
            let mut parts = request.path.split('/');
            (parts.nth(2) == Some("customers")).then(|| parts.next().unwrap_or("").to_owned())
        })
        .collect()
}

#[test]
fn results_keep_the_input_order_and_each_purchase_is_bought_once() {
    let fake = fake();
    let client = client(&fake);
    let journal = journal();
    let (options, recorder) = Recorder::options(4);
    let outcome = journal.run_batch(&client, offices(20), options);

    assert_eq!(outcome.results.len(), 20);
    for (index, result) in outcome.results.iter().enumerate() {
        let purchase = result.as_ref().unwrap_or_else(|e| panic!("{index}: {e}"));
        let asked = self::purchase(index, &[office(index as i64 + 1)]);
        assert_eq!(purchase.key, asked.key().name());
        assert!(purchase.is_complete(), "{index}: {purchase}");
        let ordered: Vec<i64> = purchase.orders[0]
            .line_items
            .iter()
            .map(|line| line.quantity)
            .collect();
        assert_eq!(ordered, [index as i64 + 1]);
        assert_eq!(fake.carts(&customer(index)).len(), 1, "{index}");
    }
    assert_eq!(fake.orders().len(), 20);
    assert_eq!(outcome.totals.complete, 20);
    assert_eq!(outcome.verdict(), BatchVerdict::Complete);
    assert_eq!(outcome.exit_code(), 0);
    assert!(outcome.stopped.is_none());
    assert!(journal.unfinished(None).unwrap().is_empty());
    recorder.assert_consistent(20, 4);

    // Run again: every purchase is finished, so nothing is sent or bought.
    let sent = fake.requests().len();
    let again = journal.run_batch(&client, offices(20), BatchOptions::default());
    assert_eq!(again.verdict(), BatchVerdict::Complete);
    assert_eq!(fake.requests().len(), sent);
    assert_eq!(fake.orders().len(), 20);
}

#[test]
fn the_verdict_says_everything_part_nothing_or_failed() {
    // Part: one purchase loses a rejected line, another buys nothing.
    let fake = fake();
    reject_reserved_vm(&fake);
    let purchases = vec![
        purchase(0, &[office(1)]),
        purchase(1, &[office(2), reserved_vm()]),
        purchase(2, &[reserved_vm()]),
    ];
    let outcome = journal().run_batch(
        &client(&fake),
        purchases,
        BatchOptions::new().wait(quick_wait()),
    );
    let totals = outcome.totals;
    assert_eq!(
        (totals.complete, totals.part, totals.nothing, totals.failed),
        (1, 1, 1, 0),
        "{outcome}"
    );
    assert_eq!(outcome.verdict(), BatchVerdict::Part);
    assert_eq!(outcome.exit_code(), 3);
    assert!(
        outcome.to_string().starts_with("part bought: 3 purchases"),
        "{outcome}"
    );

    // Nothing: every line is rejected.
    let fake = self::fake();
    reject_reserved_vm(&fake);
    let purchases = (0..3).map(|index| purchase(index, &[reserved_vm()]));
    let outcome = journal().run_batch(
        &client(&fake),
        purchases,
        BatchOptions::new().wait(quick_wait()),
    );
    assert_eq!(outcome.totals.nothing, 3, "{outcome}");
    assert_eq!(outcome.verdict(), BatchVerdict::Nothing);
    assert_eq!(outcome.exit_code(), 1);
    assert!(fake.orders().is_empty());

    // Failed: one customer refuses the partner (a 403 of its own), which
    // does not stop the others.
    let fake = self::fake();
    fake.push_reply(
        Reply::fault(
            403,
            20_002,
            "The partner has no relationship with this customer.",
        )
        .on("POST", format!("/v1/customers/{}/carts", customer(1))),
    );
    let outcome = journal().run_batch(
        &client(&fake),
        offices(4),
        BatchOptions::new().parallel(1).wait(quick_wait()),
    );
    assert!(outcome.stopped.is_none(), "{outcome}");
    let error = outcome.results[1].as_ref().unwrap_err();
    assert_eq!(error.error().and_then(|e| e.status()), Some(403), "{error}");
    assert_eq!(StopCause::of(error.error().unwrap()), None);
    for index in [0, 2, 3] {
        assert!(outcome.results[index].as_ref().unwrap().is_complete());
    }
    assert_eq!((outcome.totals.complete, outcome.totals.failed), (3, 1));
    assert_eq!(outcome.verdict(), BatchVerdict::Failed);
    assert_eq!(outcome.exit_code(), 1);

    // An empty batch bought nothing.
    let outcome = journal().run_batch(&client(&fake), Vec::new(), BatchOptions::new());
    assert_eq!(outcome.verdict(), BatchVerdict::Nothing);
}

/// Runs 30 purchases, 4 at once, into an error that every one would meet,
/// and checks that at most 4 started and the rest say why they did not.
fn assert_stops(
    client: &Client,
    journal: &Journal,
    cause: StopCause,
    fake: Option<&FakePartnerCenter>,
) {
    const TOTAL: usize = 30;
    const PARALLEL: usize = 4;
    let (options, recorder) = Recorder::options(PARALLEL);
    let outcome = journal.run_batch(client, offices(TOTAL), options);

    let stop = outcome
        .stopped
        .clone()
        .unwrap_or_else(|| panic!("{cause}: {outcome}"));
    assert_eq!(stop.cause, cause, "{stop}");
    let failed: Vec<&partner_center_cart::Error> = outcome
        .results
        .iter()
        .filter_map(|result| result.as_ref().err().and_then(BatchError::error))
        .collect();
    assert!((1..=PARALLEL).contains(&failed.len()), "{cause}: {outcome}");
    assert!(matches!(
        &outcome.results[stop.index],
        Err(BatchError::Failed(_))
    ));
    for error in &failed {
        assert_eq!(StopCause::of(error), Some(cause), "{error}");
    }
    assert_eq!(
        outcome.totals.not_started,
        TOTAL - failed.len(),
        "{outcome}"
    );
    for result in &outcome.results {
        if let Err(BatchError::NotStarted(why)) = result {
            assert_eq!(why, &stop);
            let message = result.as_ref().unwrap_err().to_string();
            assert!(
                message.starts_with("not started, because the purchase at index"),
                "{message}"
            );
            assert!(message.contains(&cause.to_string()), "{message}");
        }
    }
    assert_eq!(outcome.verdict(), BatchVerdict::Failed);
    assert!(
        outcome
            .to_string()
            .contains("stopped: the purchase at index"),
        "{outcome}"
    );
    // Only the purchases started are in the journal, and only they were sent.
    assert!(
        journal.unfinished(None).unwrap().len() <= PARALLEL,
        "{:?}",
        journal.unfinished(None).unwrap()
    );
    if let Some(fake) = fake {
        assert!(
            customers_heard(fake).len() <= PARALLEL,
            "{:?}",
            customers_heard(fake)
        );
        assert!(fake.orders().is_empty());
    }
    recorder.assert_consistent(TOTAL, PARALLEL);
    assert!(recorder.progress.lock().unwrap().last().unwrap().stopped);
}

#[test]
fn a_refused_token_stops_the_batch() {
    let fake = fake();
    let token = FakeToken::new()
        .audience("https://graph.windows.net")
        .mint();
    let client = Client::builder(move || Ok::<_, std::io::Error>(token.clone()))
        .base_url(fake.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    assert_stops(&client, &journal(), StopCause::TokenRefused, Some(&fake));
}

#[test]
fn a_token_without_mfa_stops_the_batch() {
    let fake = fake();
    fake.push_replies((0..60).map(|_| {
        Reply::fault(401, 900_421, "Multi-factor authentication is required.")
            .on("POST", "/v1/customers/*/carts")
    }));
    assert_stops(
        &client(&fake),
        &journal(),
        StopCause::MfaRequired,
        Some(&fake),
    );
}

#[test]
fn a_failing_token_provider_stops_the_batch() {
    let fake = fake();
    let client = Client::builder(|| Err::<String, _>(std::io::Error::other("no credentials")))
        .base_url(fake.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    assert_stops(&client, &journal(), StopCause::TokenProvider, Some(&fake));
    assert!(fake.requests().is_empty());
}

#[test]
fn a_base_url_nothing_listens_on_stops_the_batch() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder(|| Ok::<_, std::io::Error>("test-token"))
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    assert_stops(&client, &journal(), StopCause::Unreachable, None);
}

#[test]
fn a_failing_journal_store_stops_the_batch() {
    let fake = fake();
    let journal = Journal::with_store(FailingStore::default());
    assert_stops(
        &client(&fake),
        &journal,
        StopCause::JournalStore,
        Some(&fake),
    );
    // Nothing that acts: the first record fails before any create, and a
    // new purchase's look at the order history is a read.
    let requests = fake.requests();
    assert!(
        requests.iter().all(|request| request.method == "GET"),
        "{requests:?}"
    );
}

#[test]
fn a_purchase_waiting_for_provisioning_gives_its_place_up() {
    // One purchase at a time sends. The first holds its wait until the
    // second has created its cart, which it can only if the waiting one
    // let it start, and until a progress report counts it waiting.
    let fake = Arc::new(fake());
    let (options, recorder) = Recorder::options(1);
    let (fake_in_wait, reports, once) = (
        Arc::clone(&fake),
        Arc::clone(&recorder.progress),
        Arc::new(AtomicBool::new(false)),
    );
    let seen = Arc::new(Mutex::new((false, false)));
    let seen_in_wait = Arc::clone(&seen);
    let wait = quick_wait().on_progress(move |_| {
        if once.swap(true, Ordering::SeqCst) {
            return;
        }
        // Not a timing assertion: a bound, so that a regression fails
        // rather than hangs.
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            let started = !fake_in_wait.carts(&customer(1)).is_empty();
            let counted = reports
                .lock()
                .unwrap()
                .iter()
                .any(|report| report.waiting >= 1);
            *seen_in_wait.lock().unwrap() = (started, counted);
            if started && counted {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let options = options.max_waiting(4).wait(wait);
    let outcome = journal().run_batch(&client(&fake), offices(2), options);
    assert_eq!(outcome.verdict(), BatchVerdict::Complete, "{outcome}");
    assert_eq!(
        *seen.lock().unwrap(),
        (true, true),
        "(the second purchase started, a report counted the first waiting)"
    );
    recorder.assert_consistent(2, 1);

    // With no room to wait, a waiting purchase keeps its place.
    let fake = self::fake();
    let (options, recorder) = Recorder::options(1);
    let outcome = journal().run_batch(&client(&fake), offices(3), options.max_waiting(0));
    assert_eq!(outcome.verdict(), BatchVerdict::Complete, "{outcome}");
    assert!(
        recorder
            .progress
            .lock()
            .unwrap()
            .iter()
            .all(|report| report.in_flight + report.waiting <= 1),
        "{:#?}",
        recorder.progress.lock().unwrap()
    );
}

#[test]
fn a_panicking_callback_is_raised_again_after_the_batch_ends() {
    let fake = fake();
    let client = client(&fake);
    let journal = journal();
    let options = BatchOptions::new()
        .parallel(2)
        .wait(quick_wait())
        .on_finished(|index, _| assert_ne!(index, 0, "the callback gave up"));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        journal.run_batch(&client, offices(6), options)
    }));
    assert!(caught.is_err());
    // What ran is in the journal, finished: nothing is left half done.
    assert!(
        journal.unfinished(None).unwrap().is_empty(),
        "{:?}",
        journal.unfinished(None).unwrap()
    );
    let first = purchase(0, &[office(1)]);
    assert!(journal.outcome(first.key()).unwrap().is_some());
}

#[test]
fn no_limit_at_all_on_purchases_at_once_runs_them_all() {
    let fake = fake();
    let options = BatchOptions::default()
        .parallel(usize::MAX)
        .max_waiting(usize::MAX)
        .wait(quick_wait());
    let batch = journal().run_batch(&client(&fake), offices(3), options);
    assert_eq!(batch.verdict(), BatchVerdict::Complete, "{batch}");
}

#[test]
fn a_purchase_another_runner_holds_is_tried_again_after_the_others() {
    let fake = fake();
    let client = client(&fake);
    let store = MemoryStore::new();
    let journal = Journal::with_store(store.clone());
    let purchases = offices(4);
    // Another worker holds the first purchase, and dies without a record:
    // its claim lapses after three seconds.
    let claim = store.claim(purchases[0].key(), "another worker").unwrap();
    let lapse = std::thread::spawn({
        let store = store.clone();
        move || {
            std::thread::sleep(Duration::from_secs(3));
            store.release(claim).unwrap();
        }
    });
    let (options, recorder) = Recorder::options(2);
    let outcome = journal.run_batch(&client, purchases, options);
    lapse.join().unwrap();

    assert_eq!(outcome.verdict(), BatchVerdict::Complete, "{outcome}");
    assert_eq!(fake.carts(&customer(0)).len(), 1);
    assert_eq!(fake.orders().len(), 4);
    // The others went on meanwhile: the held one was told finished last.
    assert_eq!(recorder.finished.lock().unwrap().last(), Some(&0));
    assert!(
        recorder
            .progress
            .lock()
            .unwrap()
            .iter()
            .any(|report| report.held == 1
                && report.to_string().contains("1 held by another runner")),
        "no report said a purchase was held"
    );
    recorder.assert_consistent(4, 2);
}

#[test]
fn a_purchase_held_past_the_held_timeout_fails_alone_and_nothing_is_sent_for_it() {
    let fake = fake();
    let client = client(&fake);
    let store = MemoryStore::new();
    let journal = Journal::with_store(store.clone());
    let purchases = offices(3);
    let _claim = store.claim(purchases[1].key(), "another worker").unwrap();
    let options = BatchOptions::new()
        .wait(quick_wait())
        .held_timeout(Duration::from_secs(1));
    let started = Instant::now();
    let outcome = journal.run_batch(&client, purchases, options);

    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        matches!(
            &outcome.results[1],
            Err(BatchError::Failed(partner_center_cart::Error::Journal(
                JournalError::Held { holder, .. }
            ))) if holder == "another worker"
        ),
        "{:?}",
        outcome.results[1]
    );
    assert!(outcome.results[0].is_ok() && outcome.results[2].is_ok());
    assert_eq!((outcome.totals.complete, outcome.totals.failed), (2, 1));
    assert_eq!(outcome.verdict(), BatchVerdict::Failed);
    assert!(fake.carts(&customer(1)).is_empty());
}

#[test]
fn a_purchase_given_twice_is_bought_once_and_both_get_its_outcome() {
    let fake = fake();
    let client = client(&fake);
    let journal = journal();
    let twice = vec![purchase(0, &[office(3)]), purchase(0, &[office(3)])];
    let options = BatchOptions::new().parallel(2).wait(quick_wait());
    let outcome = journal.run_batch(&client, twice, options);

    assert_eq!(outcome.verdict(), BatchVerdict::Complete, "{outcome}");
    let first = outcome.results[0].as_ref().unwrap();
    let second = outcome.results[1].as_ref().unwrap();
    assert_eq!(first.orders, second.orders);
    assert_eq!(fake.carts(&customer(0)).len(), 1);
    assert_eq!(fake.orders().len(), 1);
}

#[test]
fn two_purchases_for_one_customer_run_one_after_the_other() {
    let fake = fake();
    let client = client(&fake);
    let journal = journal();
    // Two purchases of one customer, between two of others: side by side,
    // the second to check out would be refused beside the first.
    let same = |seats| purchase(0, &[office(seats)]);
    let purchases = vec![
        same(3),
        purchase(1, &[office(1)]),
        same(7),
        purchase(2, &[office(2)]),
    ];
    let options = BatchOptions::new().parallel(4).wait(quick_wait());
    let outcome = journal.run_batch(&client, purchases, options);
    assert_eq!(
        outcome.totals.complete, 4,
        "{outcome}: {:?}",
        outcome.results
    );
    assert_eq!(fake.orders().len(), 4);
    // The second of the customer's started once the first had ended.
    let customer = customer(0).to_ascii_lowercase();
    let creates: Vec<Instant> = fake
        .requests()
        .iter()
        .filter(|request| {
            request.method == "POST"
                && request.path.ends_with("/carts")
                && request.path.to_ascii_lowercase().contains(&customer)
        })
        .map(|request| request.received_at)
        .collect();
    let checkouts: Vec<Instant> = fake
        .requests()
        .iter()
        .filter(|request| {
            request.path.ends_with("/checkout")
                && request.path.to_ascii_lowercase().contains(&customer)
        })
        .map(|request| request.received_at)
        .collect();
    assert_eq!((creates.len(), checkouts.len()), (2, 2));
    assert!(creates[1] > checkouts[0], "not side by side");
}
