//! The purchase journal against the fake: every step recorded, resumed
//! from each point a crash can leave it at, and nothing bought twice.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{CUSTOMER, assert_one_request_id, checkouts, client, quick_wait, start};
use partner_center_cart::fake::{FakePartnerCenter, Reply};
use partner_center_cart::journal::JournalError;
use partner_center_cart::journal::{Event, JournalStore, LegacyFileStore, Record};
use partner_center_cart::{
    BillingCycle, CartLineItem, NewCart,
    model::{CartError, CartErrorCode},
};
use partner_center_cart::{
    Error,
    error::BoxError,
    journal::{Journal, Purchase},
};

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
const RESERVED_VM: &str = "DZH318Z0BQ36:004G:DZH318Z08C0S";

fn two_groups() -> NewCart {
    NewCart::new()
        .line_item(CartLineItem::new(OFFICE, 5, BillingCycle::Monthly).term_duration("P1M"))
        .line_item(CartLineItem::new(RESERVED_VM, 2, BillingCycle::OneTime).term_duration("P1Y"))
        .partner_on_record_attestation_accepted(true)
}

fn purchase(key: &str) -> Purchase {
    Purchase::new(key, CUSTOMER, two_groups()).unwrap()
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

/// A store in memory, shared with the test, that can fail to store one
/// kind of record (the crash just before the record is durable), or store
/// it and fail (the crash after it is durable, before the call it guards).
#[derive(Clone, Default)]
struct MemoryStore {
    records: Arc<Mutex<Vec<Record>>>,
    refuse: Arc<Mutex<Option<&'static str>>>,
    keep_refused: Arc<Mutex<bool>>,
}

impl MemoryStore {
    fn refusing(&self, event: &'static str) -> MemoryStore {
        *self.refuse.lock().unwrap() = Some(event);
        self.clone()
    }

    fn storing_then_failing(&self, event: &'static str) -> MemoryStore {
        *self.keep_refused.lock().unwrap() = true;
        self.refusing(event)
    }

    fn kinds(&self) -> Vec<String> {
        self.records
            .lock()
            .unwrap()
            .iter()
            .map(|record| {
                serde_json::to_value(record).unwrap()["event"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
}

impl JournalStore for MemoryStore {
    fn load(&mut self) -> Result<Vec<Record>, BoxError> {
        Ok(self.records.lock().unwrap().clone())
    }

    fn append(&mut self, record: &Record) -> Result<(), BoxError> {
        let kind = serde_json::to_value(record)?["event"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Some(refused) = self
            .refuse
            .lock()
            .unwrap()
            .take_if(|refused| *refused == kind)
        {
            if *self.keep_refused.lock().unwrap() {
                self.records.lock().unwrap().push(record.clone());
            }
            return Err(format!("the disk is full ({refused})").into());
        }
        self.records.lock().unwrap().push(record.clone());
        Ok(())
    }
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
    drop(journal);

    let text = std::fs::read_to_string(&path).unwrap();
    let events: Vec<String> = text
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        events,
        [
            "started",
            "created",
            "checkout_sent",
            "checked_out",
            "finished"
        ]
    );

    fake.clear_requests();
    let journal = Journal::open(&path).unwrap();
    let again = journal
        .run(&client, &purchase("batch-1"), quick_wait())
        .unwrap();
    assert_eq!(again, outcome);
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert!(journal.unfinished().is_empty());
}

#[test]
fn a_crash_before_each_recorded_step_resumes_without_buying_twice() {
    // Each refusal stops the run where a kill would, after the call before
    // it acted; a new journal on the same records resumes.
    for stop_at in [
        "created",
        "dropped",
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
        let store = MemoryStore::default();
        let journal = Journal::with_store(store.refusing(stop_at)).unwrap();
        let error = journal
            .run(&client, &purchase("k"), quick_wait())
            .unwrap_err();
        assert!(
            matches!(error, Error::Journal(JournalError::Store(_))),
            "{stop_at}: {error}"
        );
        drop(journal);

        let journal = Journal::with_store(store.clone()).unwrap();
        assert_eq!(journal.unfinished(), ["k"], "{stop_at}");
        let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
        assert_eq!(fake.carts(CUSTOMER).len(), 1, "{stop_at}: one cart");
        assert_eq!(fake.orders().len(), 1, "{stop_at}: one order");
        assert_eq!(outcome.orders.len(), 1, "{stop_at}");
        assert!(!outcome.is_complete() && outcome.bought_anything());
        assert_eq!(outcome.to_buy_again.len(), 1, "{stop_at}: {outcome}");
        assert_eq!(outcome.to_buy_again[0].catalog_item_id, RESERVED_VM);
        assert_eq!(outcome.to_buy_again[0].quantity, 2);
        assert!(outcome.to_string().contains("10003"), "{outcome}");
        assert_eq!(store.kinds().last().map(String::as_str), Some("finished"));
        // Every checkout of the cart carried the one recorded request ID.
        assert_one_request_id(&checkouts(&fake));
    }
}

#[test]
fn a_crash_after_each_record_and_before_its_call_resumes_without_buying_twice() {
    for stop_after in [
        "started",
        "created",
        "dropped",
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
        let store = MemoryStore::default();
        let journal = Journal::with_store(store.storing_then_failing(stop_after)).unwrap();
        journal
            .run(&client, &purchase("k"), quick_wait())
            .unwrap_err();
        let sent_before = checkouts(&fake).len();
        drop(journal);

        let journal = Journal::with_store(store.clone()).unwrap();
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
            .kinds()
            .iter()
            .filter(|kind| *kind == "finished")
            .count();
        assert_eq!(finished, 1, "{stop_after}: finished once");
    }
}

#[test]
fn a_create_whose_answer_was_lost_is_repeated_with_its_request_id() {
    let fake = fake();
    fake.lose_create_answers(1);
    let client = client(&fake);
    let journal = Journal::with_store(MemoryStore::default()).unwrap();
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
    let client = client(&fake);
    let store = MemoryStore::default();
    // The checkout acts, then the process dies before recording its result.
    let journal = Journal::with_store(store.refusing("checked_out")).unwrap();
    journal
        .run(&client, &purchase("k"), quick_wait())
        .unwrap_err();

    // Run again at once: 800065, the cart is ordered, the list lags.
    let journal = Journal::with_store(store.clone()).unwrap();
    let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
    assert!(
        !outcome.orders_visible && outcome.bought_anything(),
        "{outcome}"
    );
    assert!(!outcome.is_complete());
    assert!(
        outcome
            .to_string()
            .contains("not all its orders are listed yet"),
        "{outcome}"
    );
    assert_eq!(journal.unfinished(), ["k"]);

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
    assert_eq!(checkouts(&fake).len(), 2, "sent twice, bought once");
}

#[test]
fn other_contents_under_a_started_key_are_refused_naming_key_and_difference() {
    let fake = fake();
    let client = client(&fake);
    let journal = Journal::with_store(MemoryStore::default()).unwrap();
    journal
        .run(&client, &purchase("contoso"), quick_wait())
        .unwrap();
    fake.clear_requests();

    let more = NewCart::new()
        .line_item(CartLineItem::new(OFFICE, 6, BillingCycle::Monthly).term_duration("P1M"))
        .line_item(CartLineItem::new(RESERVED_VM, 2, BillingCycle::OneTime).term_duration("P1Y"))
        .partner_on_record_attestation_accepted(true);
    let error = journal
        .run(
            &client,
            &Purchase::new("contoso", CUSTOMER, more).unwrap(),
            quick_wait(),
        )
        .unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(error, Error::Journal(JournalError::ContentDiffers { .. })),
        "{text}"
    );
    assert!(
        text.contains("contoso") && text.contains("x5") && text.contains("x6"),
        "{text}"
    );
    assert!(fake.requests().is_empty());

    // A reissued availability ID is the same purchase.
    let reissued = NewCart::new()
        .line_item(
            CartLineItem::new("CFQ7TTC0LH0Z:0001:NEWAVAIL", 5, BillingCycle::Monthly)
                .term_duration("P1M"),
        )
        .line_item(CartLineItem::new(RESERVED_VM, 2, BillingCycle::OneTime).term_duration("P1Y"))
        .partner_on_record_attestation_accepted(true);
    let same = Purchase::new("contoso", CUSTOMER, reissued).unwrap();
    assert!(
        journal
            .run(&client, &same, quick_wait())
            .unwrap()
            .is_complete()
    );
}

#[test]
fn a_second_opening_of_the_file_is_refused_and_a_torn_last_line_ignored() {
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

    // A crash in the middle of writing a checkout's record: the line is
    // torn, the checkout was never sent.
    let fake = fake();
    let client = client(&fake);
    let store = MemoryStore::default();
    let journal = Journal::with_store(store.refusing("checkout_sent")).unwrap();
    journal
        .run(&client, &purchase("k"), quick_wait())
        .unwrap_err();
    let mut file = std::fs::File::create(&path).unwrap();
    for record in store.records.lock().unwrap().iter() {
        writeln!(file, "{}", serde_json::to_string(record).unwrap()).unwrap();
    }
    file.write_all(br#"{"key":"k","event":"checkout_sent","requestId":"5f0c"#)
        .unwrap();
    drop(file);

    let journal = Journal::open(&path).unwrap();
    let outcome = journal.run(&client, &purchase("k"), quick_wait()).unwrap();
    assert!(outcome.is_complete(), "{outcome}");
    assert_eq!(fake.carts(CUSTOMER).len(), 1);
    assert_eq!(fake.orders().len(), 2);
    drop(journal);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.lines()
            .all(|line| serde_json::from_str::<Record>(line).is_ok()),
        "{text}"
    );
    assert!(matches!(
        serde_json::from_str::<Record>(text.lines().last().unwrap())
            .unwrap()
            .event,
        Event::Finished { .. }
    ));
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
    std::thread::scope(|scope| {
        for customer in &customers {
            let (journal, client) = (&journal, &client);
            scope.spawn(move || {
                let purchase =
                    Purchase::new(format!("batch {customer}"), customer.as_str(), two_groups())
                        .unwrap();
                let outcome = journal.run(client, &purchase, quick_wait()).unwrap();
                assert!(outcome.is_complete(), "{outcome}");
            });
        }
    });
    assert_eq!(fake.orders().len(), 16);
    drop(journal);
    let journal = Journal::open(&path).unwrap();
    for customer in &customers {
        assert!(
            journal
                .outcome(&format!("batch {customer}"))
                .is_some_and(|o| o.is_complete())
        );
        assert_eq!(fake.carts(customer).len(), 1);
    }
}

#[test]
fn an_outcome_says_which_orders_need_the_partner() {
    let fake = fake();
    let client = client(&fake);
    // The office order waits for a purchase order; the VM group fails.
    fake.inject_order_error(RESERVED_VM, 800_005, "Order creation did not succeed.");
    let journal = Journal::with_store(MemoryStore::default()).unwrap();
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
fn a_key_run_by_two_threads_at_once_is_bought_by_one_and_refused_to_the_other() {
    let fake = fake();
    let client = client(&fake);
    let journal = Journal::with_store(MemoryStore::default()).unwrap();
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
            matches!(&error, Error::Journal(JournalError::Busy { key }) if key == "same"),
            "{error:?}"
        );
        assert!(error.to_string().contains("purchase same "), "{error}");
        assert!(first.join().unwrap().unwrap().is_complete());
    });
    assert_eq!(checkouts(&fake).len(), 1);
    assert_eq!(fake.carts(CUSTOMER).len(), 1);
    assert_eq!(fake.orders().len(), 2);
    // Once the first is done, the key is free again: its stored outcome.
    let outcome = journal
        .run(client, &purchase("same"), quick_wait())
        .unwrap();
    assert!(outcome.is_complete());
    assert_eq!(checkouts(&fake).len(), 1);
}

#[test]
fn a_journal_line_that_cannot_be_read_is_reported_with_its_text_escaped() {
    let path = journal_path("hostile");
    // A complete line, so not torn: an unknown event named with a control
    // sequence that would clear the screen.
    std::fs::write(
        &path,
        "{\"key\":\"k\",\"event\":\"\\u001b[2J\\u001b[31mforged\"}\n",
    )
    .unwrap();
    let error = Journal::open(&path).unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(error, Error::Journal(JournalError::Store(_))),
        "{text}"
    );
    assert!(text.contains("line 1") && text.contains("forged"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

#[test]
fn a_cart_found_submitted_never_claims_the_orders_of_another_purchase() {
    let fake = fake();
    let client = client(&fake);
    let store = MemoryStore::default();
    let journal = Journal::with_store(store.clone()).unwrap();
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
    let lag = Duration::from_secs(3);
    fake.delay_order_lists(lag);
    std::thread::sleep(lag + Duration::from_millis(200));
    // "second" checks out, and dies before recording the result; its
    // repeat is answered 800065 while its orders are not listed yet.
    fake.refuse_repeated_checkouts();
    store.refusing("checked_out");
    journal
        .run(&client, &purchase("second"), quick_wait())
        .unwrap_err();
    let outcome = journal
        .run(&client, &purchase("second"), quick_wait())
        .unwrap();
    let first = journal.outcome("first").unwrap();
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
fn a_last_record_that_lost_its_line_end_is_kept_and_the_next_starts_a_line() {
    let path = journal_path("line-end");
    let line = |key: &str| {
        format!(
            r#"{{"key":"{key}","event":"created","cartId":"3655b1a0-b1c9-4268-9824-577fdbc4d0be"}}"#
        )
    };
    // The crash kept the record's bytes, not its line end.
    std::fs::write(&path, line("a")).unwrap();
    let mut store = LegacyFileStore::open(&path).unwrap();
    assert_eq!(store.load().unwrap().len(), 1);
    store
        .append(&serde_json::from_str(&line("b")).unwrap())
        .unwrap();
    drop(store);
    let records = LegacyFileStore::open(&path).unwrap().load().unwrap();
    let keys: Vec<&str> = records.iter().map(|record| record.key.as_str()).collect();
    assert_eq!(keys, ["a", "b"]);
}
