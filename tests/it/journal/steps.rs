//! The purchase journal against the fake: every step recorded, resumed
//! from each point a crash can leave it at, nothing bought twice, and the
//! guards, abandon and the 800065 path as the module docs say.

use crate::common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{CUSTOMER, assert_one_request_id, builder, checkouts, client, quick_wait, start};
use partner_center_cart::fake::{FakePartnerCenter, Reply};
use partner_center_cart::journal::{
    Claim, JournalError, JournalStore, Listed, MemoryStore, PurchaseKey, Stage, StoredRecord,
};
use partner_center_cart::{
    BillingCycle, CartLineItem, Client, NewCart,
    model::{CartError, CartErrorCode, CustomerId},
};
use partner_center_cart::{
    Error,
    journal::{Journal, Purchase},
};

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
const RESERVED_VM: &str = "DZH318Z0BQ36:004G:DZH318Z08C0S";

fn two_groups() -> NewCart {
    office(5)
        .line_item(CartLineItem::new(RESERVED_VM, 2, BillingCycle::OneTime).term_duration("P1Y"))
}

fn office(quantity: i64) -> NewCart {
    NewCart::new()
        .line_item(CartLineItem::new(OFFICE, quantity, BillingCycle::Monthly).term_duration("P1M"))
        .partner_on_record_attestation_accepted(true)
}

fn purchase(label: &str) -> Purchase {
    Purchase::new(CUSTOMER, two_groups()).unwrap().label(label)
}

/// A fresh journal file in its own folder under the target directory.
fn journal_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("journal-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("purchases.journal")
}

fn fake() -> FakePartnerCenter {
    let fake = start();
    fake.set_polls_until_complete(1);
    fake
}

/// A client whose order list lags by `lag`.
fn lagging_client(fake: &FakePartnerCenter, lag: Duration) -> Client {
    builder(fake).order_list_lag(lag).build().unwrap()
}

fn stage_name(record: &str) -> String {
    serde_json::from_str::<serde_json::Value>(record).unwrap()["stage"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A memory store, shared with the test, that can fail to store one stage
/// (the crash just before the record is durable), or store it and fail
/// (the crash after it is durable, before the call it guards).
#[derive(Debug, Clone, Default)]
struct FailingStore {
    inner: MemoryStore,
    refuse: Arc<Mutex<Option<&'static str>>>,
    keep_refused: Arc<Mutex<bool>>,
    /// How long each listing takes: a slow store widens every race.
    list_delay: Arc<Mutex<Duration>>,
}

impl FailingStore {
    fn refusing(&self, stage: &'static str) -> FailingStore {
        *self.keep_refused.lock().unwrap() = false;
        *self.refuse.lock().unwrap() = Some(stage);
        self.clone()
    }

    fn storing_then_failing(&self, stage: &'static str) -> FailingStore {
        *self.refuse.lock().unwrap() = Some(stage);
        *self.keep_refused.lock().unwrap() = true;
        self.clone()
    }

    fn stages(&self, key: &PurchaseKey) -> Vec<String> {
        self.inner
            .read(key)
            .unwrap()
            .iter()
            .map(|record| stage_name(record))
            .collect()
    }
}

impl JournalStore for FailingStore {
    fn claim(&self, key: &PurchaseKey, owner: &str) -> Result<Claim, JournalError> {
        self.inner.claim(key, owner)
    }

    fn read(&self, key: &PurchaseKey) -> Result<Vec<String>, JournalError> {
        self.inner.read(key)
    }

    fn append(&self, claim: &mut Claim, record: &StoredRecord) -> Result<(), JournalError> {
        let stage = stage_name(&record.json);
        let refused = self
            .refuse
            .lock()
            .unwrap()
            .take_if(|refused| *refused == stage);
        if let Some(refused) = refused {
            if *self.keep_refused.lock().unwrap() {
                self.inner.append(claim, record)?;
            }
            return Err(JournalError::Store(
                format!("the disk is full ({refused})").into(),
            ));
        }
        self.inner.append(claim, record)
    }

    fn release(&self, claim: Claim) -> Result<(), JournalError> {
        self.inner.release(claim)
    }

    fn list(&self, customer: Option<CustomerId>) -> Result<Vec<Listed>, JournalError> {
        let delay = *self.list_delay.lock().unwrap();
        std::thread::sleep(delay);
        self.inner.list(customer)
    }
}

fn is_store_error(error: &Error) -> bool {
    matches!(error, Error::Journal(JournalError::Store(_)))
}

#[test]
fn a_purchase_is_recorded_step_by_step_and_a_finished_one_sends_nothing() {
    let fake = fake();
    let client = client(&fake);
    let path = journal_path("finished");
    let journal = Journal::open(&path).unwrap();
    let outcome = journal
        .run(&client, &purchase("batch-1"), quick_wait())
        .unwrap();
    assert!(outcome.is_complete(), "{outcome}");
    assert_eq!(outcome.orders.len(), 2);
    assert_eq!(outcome.finished_at, None);
    drop(journal);

    let text = std::fs::read_to_string(&path).unwrap();
    let stages: Vec<String> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|value| value["record"]["stage"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        stages,
        [
            "started",
            "created",
            "checkout_sent",
            "checked_out",
            "finished"
        ]
    );

    // Run again: it says when it finished and how to buy again, and buys
    // nothing.
    fake.clear_requests();
    let journal = Journal::open(&path).unwrap();
    let again = journal
        .run(&client, &purchase("batch-1"), quick_wait())
        .unwrap();
    assert_eq!(again.orders, outcome.orders);
    assert!(again.finished_at.is_some());
    let text = again.to_string();
    assert!(
        text.contains("finished at") && text.contains("--label=TEXT"),
        "{text}"
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert!(journal.unfinished(None).unwrap().is_empty());
    assert_eq!(
        journal
            .outcome(purchase("batch-1").key())
            .unwrap()
            .unwrap()
            .orders,
        outcome.orders
    );
}

#[test]
fn a_crash_before_each_recorded_step_resumes_without_buying_twice() {
    // Each refusal stops the run where a kill would, after the call before
    // it acted; a new journal on the same store resumes.
    for stop_at in ["created", "checkout_sent", "checked_out", "finished"] {
        let fake = fake();
        fake.inject_line_item_error(
            RESERVED_VM,
            CartError::new(CartErrorCode::InventoryNotAvailable, "Out of inventory."),
        );
        let client = client(&fake);
        let store = FailingStore::default();
        let journal = Journal::with_store(store.refusing(stop_at));
        let error = journal
            .run(&client, &purchase("k"), quick_wait())
            .unwrap_err();
        assert!(is_store_error(&error), "{stop_at}: {error}");
        drop(journal);

        let journal = Journal::with_store(store.clone());
        let key = purchase("k").key().clone();
        assert_eq!(
            journal.unfinished(None).unwrap(),
            std::slice::from_ref(&key),
            "{stop_at}"
        );
        let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
        assert_eq!(fake.carts(CUSTOMER).len(), 1, "{stop_at}: one cart");
        assert_eq!(fake.orders().len(), 1, "{stop_at}: one order");
        assert_eq!(outcome.orders.len(), 1, "{stop_at}");
        assert!(!outcome.is_complete() && outcome.bought_anything());
        assert_eq!(outcome.to_buy_again.len(), 1, "{stop_at}: {outcome}");
        assert_eq!(outcome.to_buy_again[0].catalog_item_id, RESERVED_VM);
        assert_eq!(outcome.to_buy_again[0].quantity, 2);
        assert!(outcome.to_string().contains("10003"), "{outcome}");
        assert_eq!(
            store.stages(&key).last().map(String::as_str),
            Some("finished")
        );
        // Every checkout of the cart carried the one recorded request ID.
        assert_one_request_id(&checkouts(&fake));
    }
}

#[test]
fn a_crash_after_each_record_and_before_its_call_resumes_without_buying_twice() {
    for stop_after in [
        "started",
        "created",
        "checkout_sent",
        "checked_out",
        "finished",
    ] {
        let fake = fake();
        fake.inject_line_item_error(
            RESERVED_VM,
            CartError::new(CartErrorCode::InventoryNotAvailable, "Out of inventory."),
        );
        let client = client(&fake);
        let store = FailingStore::default();
        let journal = Journal::with_store(store.storing_then_failing(stop_after));
        journal
            .run(&client, &purchase("k"), quick_wait())
            .unwrap_err();
        let sent_before = checkouts(&fake).len();
        drop(journal);

        let journal = Journal::with_store(store.clone());
        let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
        assert_eq!(fake.carts(CUSTOMER).len(), 1, "{stop_after}: one cart");
        assert_eq!(fake.orders().len(), 1, "{stop_after}: one order");
        assert_eq!(outcome.orders.len(), 1, "{stop_after}: {outcome}");
        assert_eq!(outcome.to_buy_again.len(), 1, "{stop_after}: {outcome}");
        // A checkout recorded but not sent is sent once, on resume.
        let sent = matches!(stop_after, "checked_out" | "finished");
        assert_eq!(sent_before, usize::from(sent), "{stop_after}");
        assert_one_request_id(&checkouts(&fake));
        let finished = store
            .stages(purchase("k").key())
            .iter()
            .filter(|stage| *stage == "finished")
            .count();
        assert_eq!(finished, 1, "{stop_after}: finished once");
    }
}

#[test]
fn a_create_whose_answer_was_lost_is_repeated_with_its_request_id() {
    let fake = fake();
    fake.lose_create_answers(1);
    let client = client(&fake);
    let journal = Journal::with_store(MemoryStore::new());
    let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
    assert!(outcome.is_complete(), "{outcome}");
    assert_eq!(fake.carts(CUSTOMER).len(), 1);
    let creates: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|request| request.method == "POST" && request.path.ends_with("/carts"))
        .collect();
    assert_eq!(creates.len(), 2);
    assert_one_request_id(&creates);
}

#[test]
fn an_older_services_800065_is_bought_and_its_orders_found_when_listed() {
    let fake = fake();
    fake.refuse_repeated_checkouts();
    fake.delay_order_lists(Duration::from_millis(400));
    let client = lagging_client(&fake, Duration::from_secs(30));
    let store = FailingStore::default();
    // The checkout acts, then the process dies before recording its result.
    let journal = Journal::with_store(store.refusing("checked_out"));
    journal
        .run(&client, &purchase("k"), quick_wait())
        .unwrap_err();

    // Run again at once: 800065, the cart is ordered, the list lags.
    let journal = Journal::with_store(store.clone());
    let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
    assert!(
        !outcome.orders_visible && outcome.bought_anything(),
        "{outcome}"
    );
    assert!(!outcome.is_complete());
    let text = outcome.to_string();
    assert!(
        text.contains("not all its orders are listed yet") && text.contains("run it again after"),
        "{text}"
    );
    assert!(outcome.run_again_after.is_some());
    assert_eq!(journal.unfinished(None).unwrap().len(), 1);

    // Later the list shows them: found, waited for, finished; one purchase.
    std::thread::sleep(Duration::from_millis(500));
    let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
    assert!(outcome.is_complete(), "{outcome}");
    let mut found: Vec<_> = outcome
        .orders
        .iter()
        .map(|order| order.id.clone())
        .collect();
    let mut made: Vec<_> = fake.orders().into_iter().map(|order| order.id).collect();
    found.sort();
    made.sort();
    assert_eq!(found, made);
    assert_eq!(made.len(), 2);
    // Each run checks the same cart out again, which the service refuses:
    // sent three times, bought once.
    assert_eq!(checkouts(&fake).len(), 3);
    assert_one_request_id(&checkouts(&fake));
}

#[test]
fn behind_800065_a_failed_order_group_is_unknown_inside_the_lag_and_to_buy_again_after() {
    let fake = fake();
    fake.refuse_repeated_checkouts();
    fake.inject_order_error(RESERVED_VM, 800_005, "Order creation did not succeed.");
    let lag = Duration::from_millis(1_500);
    let client = lagging_client(&fake, lag);
    let store = FailingStore::default();
    let journal = Journal::with_store(store.refusing("checked_out"));
    journal
        .run(&client, &purchase("k"), quick_wait())
        .unwrap_err();

    // Inside the lag: the office order is listed, the VM line not; that
    // is not known yet, so the purchase stays unfinished and says when.
    let journal = Journal::with_store(store.clone());
    let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
    assert!(!outcome.orders_visible, "{outcome}");
    assert!(outcome.to_buy_again.is_empty(), "{outcome}");
    assert!(outcome.run_again_after.is_some(), "{outcome}");
    assert_eq!(journal.unfinished(None).unwrap().len(), 1);

    // After it: the VM line made no order, and is to buy again.
    std::thread::sleep(lag);
    let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
    assert!(outcome.orders_visible, "{outcome}");
    assert_eq!(outcome.orders.len(), 1, "{outcome}");
    assert_eq!(outcome.to_buy_again.len(), 1, "{outcome}");
    assert_eq!(outcome.to_buy_again[0].catalog_item_id, RESERVED_VM);
    assert!(!outcome.is_complete() && outcome.bought_anything());
    assert!(journal.unfinished(None).unwrap().is_empty());
}

#[test]
fn behind_800065_a_purchase_whose_only_group_failed_bought_nothing_once_the_lag_passed() {
    let fake = fake();
    fake.refuse_repeated_checkouts();
    fake.inject_order_error(OFFICE, 800_005, "Order creation did not succeed.");
    let client = lagging_client(&fake, Duration::ZERO);
    let store = FailingStore::default();
    let purchase = Purchase::new(CUSTOMER, office(5)).unwrap();
    let journal = Journal::with_store(store.refusing("checked_out"));
    journal.run(&client, &purchase, quick_wait()).unwrap_err();
    let journal = Journal::with_store(store.clone());
    let outcome = journal.run(&client, &purchase, quick_wait()).unwrap();
    assert!(!outcome.bought_anything(), "{outcome}");
    assert!(outcome.to_string().contains("nothing bought"), "{outcome}");
    assert_eq!(outcome.to_buy_again.len(), 1, "{outcome}");
    assert!(
        journal.unfinished(None).unwrap().is_empty(),
        "finished, not unfinished"
    );
    assert!(fake.orders().is_empty());
}

#[test]
fn behind_800065_two_purchases_of_one_item_never_wait_on_it_side_by_side() {
    let fake = fake();
    let client = lagging_client(&fake, Duration::ZERO);
    let store = FailingStore::default();
    let journal = Journal::with_store(store.clone());
    let (first, second) = (
        Purchase::new(CUSTOMER, office(1)).unwrap().label("a"),
        Purchase::new(CUSTOMER, office(1)).unwrap().label("b"),
    );
    // The first makes its cart and stops before its checkout; the second
    // checks out and dies before recording the result.
    store.refusing("checkout_sent");
    journal.run(&client, &first, quick_wait()).unwrap_err();
    store.refusing("checked_out");
    journal.run(&client, &second, quick_wait()).unwrap_err();
    // The first, resumed, is stopped before its checkout while the second
    // may have bought: let through, with both answered 800065 and one item
    // in two orders, neither could tell its own.
    let error = journal.run(&client, &first, quick_wait()).unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::Unfinished { .. })),
        "{error:?}"
    );
    assert_eq!(fake.orders().len(), 1);

    fake.refuse_repeated_checkouts();
    let two = journal.run(&client, &second, quick_wait()).unwrap();
    assert_eq!(two.orders.len(), 1, "named as its own: {two}");
    assert!(two.is_complete(), "{two}");
    // Then the first may be what the second replaced: --again buys it.
    let error = journal.run(&client, &first, quick_wait()).unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::Superseded { .. })),
        "{error:?}"
    );
    let one = journal.run(&client, &first.again(), quick_wait()).unwrap();
    assert!(one.is_complete(), "{one}");
    assert_eq!(fake.orders().len(), 2, "each bought once");
}

#[test]
fn a_cart_found_submitted_never_claims_the_orders_of_another_purchase() {
    let fake = fake();
    let client = lagging_client(&fake, Duration::from_secs(60));
    let store = FailingStore::default();
    let journal = Journal::with_store(store.clone());
    // "second" creates its cart and stops before its checkout; "first"
    // then buys the same for the same customer, while that cart lives.
    store.refusing("checkout_sent");
    journal
        .run(&client, &purchase("second"), quick_wait())
        .unwrap_err();
    assert!(
        journal
            .run(&client, &purchase("first"), quick_wait())
            .unwrap()
            .is_complete()
    );
    // Lists lag: the orders of "first" are listed by now, new ones not.
    let lag = Duration::from_secs(2);
    fake.delay_order_lists(lag);
    std::thread::sleep(lag + Duration::from_millis(200));
    // "second" may be what "first" replaced, so it checks out only when
    // told both are meant (--again); it dies before recording the result,
    // and its repeat is answered 800065 while its orders are not listed yet.
    let error = journal
        .run(&client, &purchase("second"), quick_wait())
        .unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::Superseded { .. })),
        "{error:?}"
    );
    fake.refuse_repeated_checkouts();
    store.refusing("checked_out");
    journal
        .run(&client, &purchase("second").again(), quick_wait())
        .unwrap_err();
    let outcome = journal
        .run(&client, &purchase("second"), quick_wait())
        .unwrap();
    let first = journal.outcome(purchase("first").key()).unwrap().unwrap();
    assert!(
        outcome
            .orders
            .iter()
            .chain(&first.orders)
            .all(|order| !outcome.candidates.contains(&order.id)),
        "{outcome}"
    );
    assert!(
        outcome
            .orders
            .iter()
            .all(|order| first.orders.iter().all(|mine| mine.id != order.id)),
        "{outcome}"
    );
    assert!(
        !outcome.orders_visible && outcome.bought_anything(),
        "{outcome}"
    );
    assert_eq!(fake.orders().len(), 4, "each bought once");
}

#[test]
fn an_unfinished_purchase_whose_checkout_may_have_acted_blocks_the_customers_others() {
    let fake = fake();
    let client = client(&fake);
    let store = FailingStore::default();
    let journal = Journal::with_store(store.clone());
    let five = Purchase::new(CUSTOMER, office(5)).unwrap();
    // Killed during the checkout of 5 seats.
    store.refusing("checked_out");
    journal.run(&client, &five, quick_wait()).unwrap_err();
    fake.clear_requests();

    // The operator corrects the quantity to 8: refused, nothing sent,
    // naming the other purchase, what differs and the two ways on.
    let eight = Purchase::new(CUSTOMER, office(8)).unwrap();
    let error = journal.run(&client, &eight, quick_wait()).unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::Unfinished { .. })),
        "{error}"
    );
    let text = error.to_string();
    for part in ["x5", "x8", "--abandon", "finish that purchase as it was"] {
        assert!(text.contains(part), "{part}: {text}");
    }
    // Another label or other items are blocked alike.
    let other = Purchase::new(CUSTOMER, two_groups())
        .unwrap()
        .label("other");
    assert!(journal.run(&client, &other, quick_wait()).is_err());
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());

    // Abandon is refused: the cart is ordered.
    let error = journal.abandon(&client, &five).unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::AbandonRefused { .. })),
        "{error}"
    );
    assert!(error.to_string().contains("is ordered"), "{error}");

    // Finished as it was, the customer's next purchase goes: 13 seats in
    // all, each bought once, and "complete" only for what was bought.
    let outcome = journal.run(&client, &five, quick_wait()).unwrap();
    assert!(outcome.is_complete(), "{outcome}");
    assert!(
        journal
            .run(&client, &eight, quick_wait())
            .unwrap()
            .is_complete()
    );
    let seats: i64 = fake
        .orders()
        .iter()
        .flat_map(|order| &order.line_items)
        .map(|line| line.quantity)
        .sum();
    assert_eq!(seats, 13);
}

#[test]
fn a_purchase_that_never_sent_its_checkout_blocks_nothing_and_can_be_abandoned() {
    let fake = fake();
    let client = client(&fake);
    let store = FailingStore::default();
    let journal = Journal::with_store(store.clone());
    let five = Purchase::new(CUSTOMER, office(5)).unwrap();
    // The checkout record was stored, the checkout never sent.
    store.storing_then_failing("checkout_sent");
    journal.run(&client, &five, quick_wait()).unwrap_err();
    assert_eq!(
        journal.stage(five.key()).unwrap().map(|stage| stage.name()),
        Some("checkout_sent")
    );
    // Its cart reads not ordered, but the checkout may yet be worked on:
    // abandoning it waits for the order list's lag.
    let error = journal.abandon(&client, five.key()).unwrap_err();
    let Error::Journal(JournalError::AbandonRefused { reason, .. }) = &error else {
        panic!("{error:?}");
    };
    assert!(
        reason.contains("may still be working on it") && reason.contains("abandon it after"),
        "{reason}"
    );
    // Past the lag, still not ordered: abandoning it is safe.
    let past_lag = lagging_client(&fake, Duration::ZERO);
    journal.abandon(&past_lag, five.key()).unwrap();
    assert!(matches!(
        journal.stage(five.key()).unwrap(),
        Some(Stage::Abandoned { .. })
    ));
    assert!(journal.unfinished(None).unwrap().is_empty());
    let error = journal.run(&client, &five, quick_wait()).unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::Abandoned { .. })),
        "{error}"
    );
    assert!(error.to_string().contains("--label=TEXT"), "{error}");

    // One stopped before its checkout record: it does not block.
    let six = Purchase::new(CUSTOMER, office(6)).unwrap();
    store.refusing("checkout_sent");
    journal.run(&client, &six, quick_wait()).unwrap_err();
    let eight = Purchase::new(CUSTOMER, office(8)).unwrap();
    assert!(
        journal
            .run(&client, &eight, quick_wait())
            .unwrap()
            .is_complete()
    );
    journal.abandon(&client, &six).unwrap();
    assert_eq!(checkouts(&fake).len(), 1);

    // A purchase not in the journal, or finished, is not abandoned.
    let unknown = Purchase::new(CUSTOMER, office(9)).unwrap();
    let error = journal.abandon(&client, &unknown).unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::NotFound { .. })),
        "{error}"
    );
    let error = journal.abandon(&client, &eight).unwrap_err();
    assert!(error.to_string().contains("finished at"), "{error}");
}

#[test]
fn the_same_items_bought_under_another_label_within_a_week_need_again() {
    let fake = fake();
    let client = client(&fake);
    let journal = Journal::with_store(MemoryStore::new());
    journal
        .run(&client, &purchase("2026-11"), quick_wait())
        .unwrap();
    fake.clear_requests();
    let error = journal
        .run(&client, &purchase("2026-12"), quick_wait())
        .unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::BoughtRecently { .. })),
        "{error}"
    );
    let text = error.to_string();
    assert!(
        text.contains("--again") && text.contains("2026-11"),
        "{text}"
    );
    assert!(fake.requests().is_empty());
    // Other contents are not held back; said on purpose, the same go too.
    let outcome = journal
        .run(&client, &purchase("2026-12").again(), quick_wait())
        .unwrap();
    assert!(
        outcome.is_complete() && outcome.finished_at.is_none(),
        "{outcome}"
    );
    assert_eq!(fake.orders().len(), 4);
}

#[test]
fn a_respelt_purchase_is_the_same_purchase() {
    let fake = fake();
    let client = client(&fake);
    let journal = Journal::with_store(MemoryStore::new());
    journal.run(&client, &purchase(""), quick_wait()).unwrap();
    fake.clear_requests();
    // Braces, capitals, lines the other way round, a reissued availability.
    let respelt = NewCart::new()
        .line_item(CartLineItem::new(RESERVED_VM, 2, BillingCycle::OneTime).term_duration("p1y"))
        .line_item(
            CartLineItem::new("cfq7ttc0lh0z:0001:NEWAVAIL", 5, BillingCycle::Monthly)
                .term_duration("P1M"),
        );
    let same = Purchase::new(format!("{{{}}}", CUSTOMER.to_uppercase()), respelt).unwrap();
    let outcome = journal.run(&client, &same, quick_wait()).unwrap();
    assert!(outcome.finished_at.is_some(), "{outcome}");
    assert!(fake.requests().is_empty());
}

#[test]
fn a_second_opening_of_the_file_is_refused() {
    let path = journal_path("lock");
    let journal = Journal::open(&path).unwrap();
    let error = Journal::open(&path).unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::Locked { .. })),
        "{error}"
    );
    assert!(
        error.to_string().contains("in use by another process"),
        "{error}"
    );
    drop(journal);
}

#[test]
fn one_journal_serves_many_threads_each_buying_once() {
    let fake = fake();
    let client = client(&fake);
    let path = journal_path("threads");
    let journal = Journal::open(&path).unwrap();
    let customers: Vec<String> = (0..8)
        .map(|n| format!("28045616-f6b9-462f-9701-0d89b5e65c4{n}"))
        .collect();
    let purchase_of = |customer: &str| {
        Purchase::new(customer, two_groups())
            .unwrap()
            .label("batch")
    };
    std::thread::scope(|scope| {
        for customer in &customers {
            let (journal, client) = (&journal, &client);
            scope.spawn(move || {
                let outcome = journal
                    .run(client, &purchase_of(customer), quick_wait())
                    .unwrap();
                assert!(outcome.is_complete(), "{outcome}");
            });
        }
    });
    assert_eq!(fake.orders().len(), 16);
    drop(journal);
    let journal = Journal::open(&path).unwrap();
    for customer in &customers {
        let outcome = journal.outcome(purchase_of(customer).key()).unwrap();
        assert!(outcome.is_some_and(|o| o.is_complete()));
        assert_eq!(fake.carts(customer).len(), 1);
    }
}

#[test]
fn two_journals_over_one_store_from_many_threads_run_every_purchase_once() {
    let fake = fake();
    let client = client(&fake);
    let store = MemoryStore::new();
    let journals = [
        Journal::with_store(store.clone()),
        Journal::with_store(store.clone()),
    ];
    let purchases: Vec<Purchase> = (0..6)
        .map(|n| {
            let customer = format!("28045616-f6b9-462f-9701-0d89b5e65c4{n}");
            Purchase::new(customer.as_str(), two_groups()).unwrap()
        })
        .collect();
    std::thread::scope(|scope| {
        for thread in 0..6 {
            let (journal, client, purchases) = (&journals[thread % 2], &client, &purchases);
            scope.spawn(move || {
                for index in 0..purchases.len() {
                    let purchase = &purchases[(index + thread) % purchases.len()];
                    match journal.run(client, purchase, quick_wait()) {
                        Ok(outcome) => assert!(outcome.is_complete(), "{outcome}"),
                        Err(Error::Journal(JournalError::Held { .. })) => {}
                        Err(error) => panic!("{error}"),
                    }
                }
            });
        }
    });
    assert_eq!(checkouts(&fake).len(), purchases.len(), "one checkout each");
    assert_eq!(fake.orders().len(), 2 * purchases.len());
    for purchase in &purchases {
        let customer = purchase.customer().to_string();
        assert_eq!(fake.carts(&customer).len(), 1);
        assert!(journals[1].outcome(purchase.key()).unwrap().is_some());
    }
}

#[test]
fn an_outcome_says_which_orders_need_the_partner() {
    let fake = fake();
    let client = client(&fake);
    // The office order waits for a purchase order; the VM group fails.
    fake.inject_order_error(RESERVED_VM, 800_005, "Order creation did not succeed.");
    let journal = Journal::with_store(MemoryStore::new());
    let order_path = "/v1/customers/*/orders/*";
    let pending_po = |fake: &FakePartnerCenter| {
        let order = fake.orders().pop().unwrap();
        let mut json = serde_json::to_value(order).unwrap();
        json["status"] = "pending_po_upload".into();
        Reply::json(200, &json).on("GET", order_path)
    };
    // Script the first order read once the order exists: the journal's wait
    // is the first to read it.
    let fake_ref = &fake;
    let outcome = std::thread::scope(|scope| {
        let watcher = scope.spawn(move || {
            while fake_ref.orders().is_empty() {
                std::thread::sleep(Duration::from_millis(1));
            }
            fake_ref.push_reply(pending_po(fake_ref));
        });
        let outcome = journal
            .run(
                &client,
                &purchase("k"),
                quick_wait().initial_interval(Duration::from_millis(100)),
            )
            .unwrap();
        watcher.join().unwrap();
        outcome
    });
    assert_eq!(outcome.awaiting_purchase_order().count(), 1, "{outcome}");
    assert_eq!(outcome.failed_groups.len(), 1);
    assert_eq!(outcome.to_buy_again.len(), 1);
    assert_eq!(outcome.to_buy_again[0].catalog_item_id, RESERVED_VM);
    let text = outcome.to_string();
    assert!(
        text.contains("awaits a purchase order") && text.contains("800005"),
        "{text}"
    );
    assert!(!outcome.is_complete() && outcome.bought_anything());
}

#[test]
fn a_purchase_run_by_two_threads_at_once_is_bought_by_one_and_refused_to_the_other() {
    let fake = fake();
    let client = client(&fake);
    let journal = Journal::with_store(MemoryStore::new());
    fake.delay_checkout_answers(Duration::from_millis(500));
    let (journal, client, fake_ref) = (&journal, &client, &fake);
    std::thread::scope(|scope| {
        let first = scope.spawn(move || journal.run(client, &purchase("same"), quick_wait()));
        while checkouts(fake_ref).is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
        // The first thread's checkout is on its way: the second must not
        // start the purchase again.
        let error = journal
            .run(client, &purchase("same"), quick_wait())
            .unwrap_err();
        assert!(
            matches!(&error, Error::Journal(JournalError::Held { purchase: name, .. })
                if *name == purchase("same").key().name()),
            "{error:?}"
        );
        assert!(error.to_string().contains("is being run by"), "{error}");
        assert!(first.join().unwrap().unwrap().is_complete());
    });
    assert_eq!(checkouts(&fake).len(), 1);
    assert_eq!(fake.carts(CUSTOMER).len(), 1);
    assert_eq!(fake.orders().len(), 2);
    // Once the first is done, the purchase is free again: its outcome.
    let outcome = journal
        .run(client, &purchase("same"), quick_wait())
        .unwrap();
    assert!(outcome.is_complete());
    assert_eq!(checkouts(&fake).len(), 1);
}

#[test]
fn a_purchase_resumed_after_its_corrected_twin_bought_is_refused_before_its_checkout() {
    let fake = fake();
    let client = client(&fake);
    let store = FailingStore::default();
    let journal = Journal::with_store(store.clone());
    // Six seats stop before the checkout is recorded; the operator corrects
    // the quantity to eight, which buys.
    let six = Purchase::new(CUSTOMER, office(6)).unwrap();
    store.refusing("checkout_sent");
    journal.run(&client, &six, quick_wait()).unwrap_err();
    let eight = Purchase::new(CUSTOMER, office(8)).unwrap();
    assert!(
        journal
            .run(&client, &eight, quick_wait())
            .unwrap()
            .is_complete()
    );
    // The six run again (a second worker, a retry, a scheduled job): it
    // may be what the eight replaced, so it is stopped before its checkout.
    let error = journal.run(&client, &six, quick_wait()).unwrap_err();
    let Error::Journal(JournalError::Superseded { difference, .. }) = &error else {
        panic!("{error:?}");
    };
    assert!(
        difference.contains("x8") && difference.contains("x6"),
        "{difference}"
    );
    let message = error.to_string();
    assert!(
        message.contains("--abandon") && message.contains("--again"),
        "{message}"
    );
    assert_eq!(checkouts(&fake).len(), 1);
    assert_eq!(
        journal.stage(six.key()).unwrap().map(|stage| stage.name()),
        Some("created")
    );
    // Both meant: --again buys the six too.
    let outcome = journal.run(&client, &six.again(), quick_wait()).unwrap();
    assert!(outcome.is_complete(), "{outcome}");
    assert_eq!(checkouts(&fake).len(), 2);
}

#[test]
fn of_two_purchases_for_one_customer_resumed_at_once_one_checks_out() {
    for round in 0..4 {
        let fake = fake();
        let client = client(&fake);
        let store = FailingStore::default();
        let journal = Journal::with_store(store.clone());
        // Both made their carts and stopped before their checkouts: neither
        // blocked the other at its start.
        let purchases = [
            Purchase::new(CUSTOMER, office(6)).unwrap(),
            Purchase::new(CUSTOMER, office(8)).unwrap(),
        ];
        for purchase in &purchases {
            store.refusing("checkout_sent");
            journal.run(&client, purchase, quick_wait()).unwrap_err();
        }
        // Both read the other's stage before either records its checkout,
        // unless one waits for the other.
        *store.list_delay.lock().unwrap() = Duration::from_millis(100);
        let (journal, client) = (&journal, &client);
        let results: Vec<Result<_, Error>> = std::thread::scope(|scope| {
            let runs: Vec<_> = purchases
                .iter()
                .map(|purchase| scope.spawn(move || journal.run(client, purchase, quick_wait())))
                .collect();
            runs.into_iter().map(|run| run.join().unwrap()).collect()
        });
        let bought = results.iter().filter(|result| result.is_ok()).count();
        assert_eq!(bought, 1, "round {round}: {results:?}");
        for error in results.iter().filter_map(|result| result.as_ref().err()) {
            assert!(
                matches!(
                    error,
                    Error::Journal(
                        JournalError::Unfinished { .. } | JournalError::Superseded { .. }
                    )
                ),
                "round {round}: {error:?}"
            );
        }
        assert_eq!(checkouts(&fake).len(), 1, "round {round}");
    }
}

#[test]
fn an_abandon_waits_out_the_lag_after_the_last_send_unless_the_checkout_was_refused() {
    let fake = fake();
    let lag = Duration::from_millis(1500);
    let client = builder(&fake)
        .order_list_lag(lag)
        .retry_policy(partner_center_cart::RetryPolicy::none())
        .build()
        .unwrap();
    let store = FailingStore::default();
    let journal = Journal::with_store(store.clone());
    let five = Purchase::new(CUSTOMER, office(5)).unwrap();
    // The checkout was recorded and never sent; the lag passes.
    store.storing_then_failing("checkout_sent");
    journal.run(&client, &five, quick_wait()).unwrap_err();
    std::thread::sleep(lag + Duration::from_millis(200));
    // Resumed, it is sent again and fails with no answer about it: the
    // lag starts again from that send.
    fake.push_reply(Reply::status(503).on("POST", "/v1/customers/*/carts/*/checkout"));
    journal.run(&client, &five, quick_wait()).unwrap_err();
    let Some(Stage::CheckoutSent { checkout }) = journal.stage(five.key()).unwrap() else {
        panic!("checkout_sent");
    };
    assert!(checkout.resent_at.is_some() && checkout.refused.is_none());
    let error = journal.abandon(&client, five.key()).unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::AbandonRefused { .. })),
        "{error:?}"
    );
    std::thread::sleep(lag + Duration::from_millis(200));
    journal.abandon(&client, five.key()).unwrap();

    // A checkout refused for good took nothing: it is abandoned at once,
    // whatever the lag.
    let six = Purchase::new(CUSTOMER, office(6)).unwrap();
    fake.push_reply(
        Reply::fault(403, 900_121, "Credit limit too low.")
            .on("POST", "/v1/customers/*/carts/*/checkout"),
    );
    journal.run(&client, &six, quick_wait()).unwrap_err();
    let Some(Stage::CheckoutSent { checkout }) = journal.stage(six.key()).unwrap() else {
        panic!("checkout_sent");
    };
    assert_eq!(checkout.refused.as_deref(), Some("HTTP 403, code 900121"));
    let slow = lagging_client(&fake, Duration::from_secs(3600));
    journal.abandon(&slow, six.key()).unwrap();
    assert!(fake.orders().is_empty());

    // A resumed send refused says nothing of the send before it, which
    // may still be worked on: the lag it is.
    let seven = Purchase::new(CUSTOMER, office(7)).unwrap();
    store.storing_then_failing("checkout_sent");
    journal.run(&client, &seven, quick_wait()).unwrap_err();
    fake.push_reply(
        Reply::fault(403, 900_121, "Credit limit too low.")
            .on("POST", "/v1/customers/*/carts/*/checkout"),
    );
    journal.run(&client, &seven, quick_wait()).unwrap_err();
    let error = journal.abandon(&slow, seven.key()).unwrap_err();
    assert!(
        matches!(error, Error::Journal(JournalError::AbandonRefused { .. })),
        "{error:?}"
    );
}

/// The order list's lag of the 800065 tests below.
const LAG: Duration = Duration::from_millis(1500);

/// Five seats whose checkout was recorded and never sent, `LAG` ago, on a
/// fake whose order lists lag by `LAG`.
fn recorded_not_sent_past_the_lag() -> (FakePartnerCenter, Client, FailingStore, Journal, Purchase)
{
    let fake = fake();
    fake.delay_order_lists(LAG);
    let client = lagging_client(&fake, LAG);
    let store = FailingStore::default();
    let journal = Journal::with_store(store.clone());
    let five = Purchase::new(CUSTOMER, office(5)).unwrap();
    store.storing_then_failing("checkout_sent");
    journal.run(&client, &five, quick_wait()).unwrap_err();
    std::thread::sleep(LAG + Duration::from_millis(200));
    (fake, client, store, journal, five)
}

#[test]
fn behind_800065_the_lag_counts_from_the_last_send_that_may_have_acted() {
    let (fake, client, store, journal, five) = recorded_not_sent_past_the_lag();
    // Resumed, it is sent and buys, and the run dies before recording the
    // result.
    store.refusing("checked_out");
    journal.run(&client, &five, quick_wait()).unwrap_err();
    assert_eq!(fake.orders().len(), 1);

    // An older service answers the next send 800065, and its order is not
    // listed yet: not known, rather than "to buy again" by the first
    // send's clock.
    fake.refuse_repeated_checkouts();
    let outcome = journal.run(&client, &five, quick_wait()).unwrap();
    assert!(outcome.to_buy_again.is_empty(), "{outcome}");
    assert!(outcome.run_again_after.is_some(), "{outcome}");
    assert_eq!(journal.unfinished(None).unwrap().len(), 1);

    // Once it is listed, the order is the purchase's own; the sends
    // answered 800065 did not move the window on.
    std::thread::sleep(LAG + Duration::from_millis(200));
    let outcome = journal.run(&client, &five, quick_wait()).unwrap();
    assert_eq!(outcome.orders.len(), 1, "{outcome}");
    assert!(outcome.is_complete(), "{outcome}");
    assert_eq!(fake.orders().len(), 1, "bought once");
}

#[test]
fn behind_800065_a_send_whose_first_attempt_may_have_acted_keeps_the_window() {
    let (fake, client, _store, journal, five) = recorded_not_sent_past_the_lag();
    // Resumed: the send's first attempt buys and loses its answer; the
    // repeat, with the same request ID, is answered 800065. That send may
    // have acted, so the window counts from it: not known yet.
    fake.refuse_repeated_checkouts();
    fake.push_reply(
        Reply::built_in()
            .then_drop_connection()
            .on("POST", "/v1/customers/*/carts/*/checkout"),
    );
    let outcome = journal.run(&client, &five, quick_wait()).unwrap();
    assert_eq!(checkouts(&fake).len(), 2, "an attempt, and its repeat");
    assert_eq!(fake.orders().len(), 1);
    assert!(outcome.to_buy_again.is_empty(), "{outcome}");
    assert!(outcome.run_again_after.is_some(), "{outcome}");
}
