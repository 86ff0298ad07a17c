//! One request budget per client: a 429 pauses every thread of the client
//! and its clones, the client learns the rate the service allows and paces
//! itself under it, a cap holds, and 429s do not use up a call's attempts.
//! All over real sockets, against the fake's rate limit or scripted 429s.

use crate::common;

use std::thread;
use std::time::{Duration, Instant};

use common::{CUSTOMER, builder, client, fast_retries, quick_wait};
use partner_center_cart::fake::{FakePartnerCenter, RecordedRequest, Reply};
use partner_center_cart::{BillingCycle, CartLineItem, Client, Error, NewCart, Uuid};
use partner_center_cart::{CreateCartOptions, OrderOptions};

const OTHER_CUSTOMER: &str = "8a4c1f3e-5b9d-4e2a-9c7f-1d3b5a7e9f20";
const ORDERS: &str = "/v1/customers/*/orders";
const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";

fn start_with(builder: partner_center_cart::fake::FakeBuilder) -> FakePartnerCenter {
    builder.start().expect("a fake Partner Center on loopback")
}

fn cart() -> NewCart {
    NewCart::new()
        .line_item(CartLineItem::new(OFFICE, 1, BillingCycle::Monthly).term_duration("P1M"))
}

/// Teaches a fresh client a fast rate: quick answers before its first 429
/// tell it that the service takes many requests a second.
fn warm_up(client: &Client) {
    for _ in 0..30 {
        client.list_orders(CUSTOMER, &OrderOptions::new()).unwrap();
    }
}

/// The most requests `requests` hold in any window of `window`.
fn most_in_any_window(requests: &[RecordedRequest], window: Duration) -> usize {
    let mut times: Vec<Instant> = requests.iter().map(|r| r.received_at).collect();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(times[i]) < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn a_429_pauses_every_clone_of_the_client_but_not_another_client() {
    let fake = FakePartnerCenter::start().unwrap();
    let client = client(&fake);
    fake.push_reply(Reply::throttled(1).on("GET", ORDERS));
    let first = {
        let client = client.clone();
        thread::spawn(move || client.list_orders(CUSTOMER, &OrderOptions::new()))
    };
    // Once the 429 is in, a clone on another thread and another client ask.
    let until = Instant::now() + Duration::from_secs(10);
    while client.throttling().throttled == 0 {
        assert!(Instant::now() < until, "no 429 was met");
        thread::sleep(Duration::from_millis(1));
    }
    let now = client.throttling();
    assert!(now.is_paused(), "{now:?}");
    assert!(now.paused_until.is_some());
    assert!(now.learned_per_minute.is_some(), "{now:?}");
    let clone = {
        let client = client.clone();
        thread::spawn(move || client.list_orders(OTHER_CUSTOMER, &OrderOptions::new()))
    };
    let other = common::client(&fake);
    other.get_cart(OTHER_CUSTOMER, common::CART).ok();
    first.join().unwrap().unwrap();
    clone.join().unwrap().unwrap();

    let requests = fake.requests();
    let throttled_at = requests[0].received_at;
    let pause_end = throttled_at + Duration::from_secs(1);
    let other_client: Vec<_> = requests
        .iter()
        .filter(|r| r.path.contains("/carts/"))
        .collect();
    assert_eq!(other_client.len(), 1);
    assert!(
        other_client[0].received_at < pause_end,
        "another client waited for this one's pause"
    );
    // Nothing else of this client was sent during the pause: neither the
    // retry nor the clone's call.
    let during: Vec<_> = requests[1..]
        .iter()
        .filter(|r| !r.path.contains("/carts/") && r.received_at < pause_end)
        .map(|r| &r.path)
        .collect();
    assert!(during.is_empty(), "sent during the pause: {during:?}");
    assert!(requests.iter().any(|r| r.path.contains(OTHER_CUSTOMER)));
    let after = client.throttling();
    assert_eq!(after.throttled, 1);
    assert_eq!(after.requests, 3, "{after:?}");
    assert!(!after.is_paused());
}

#[test]
fn a_long_run_against_the_rate_limit_meets_few_429s_and_learns_the_rate() {
    const RATE: u32 = 100;
    const THREADS: usize = 8;
    const CALLS: usize = 50;
    let fake = start_with(FakePartnerCenter::builder().rate_limit(RATE));
    let client = client(&fake);
    thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..CALLS {
                    client
                        .list_orders(CUSTOMER, &OrderOptions::new())
                        .expect("every call ends well");
                }
            });
        }
    });
    let requests = fake.requests();
    let throttled = fake.throttled_requests();
    assert_eq!(
        requests.iter().filter(|r| r.throttled).count() as u64,
        throttled
    );
    assert_eq!(requests.len() - throttled as usize, THREADS * CALLS);
    let share = throttled as f64 / requests.len() as f64;
    eprintln!("{throttled} of {} requests throttled", requests.len());
    assert!(
        share <= 0.10,
        "{throttled} of {} requests throttled",
        requests.len()
    );
    let now = client.throttling();
    assert_eq!(now.throttled, throttled);
    assert_eq!(now.requests, requests.len() as u64);
    let learned = now
        .learned_per_minute
        .expect("a rate learned from the 429s");
    let allowed = f64::from(RATE) * 60.0;
    assert!(
        learned > allowed * 0.4 && learned < allowed * 2.0,
        "learned {learned:.0} a minute of {allowed:.0}"
    );
}

#[test]
fn a_429_uses_up_no_attempt_until_the_throttled_retries_run_out() {
    let fake = FakePartnerCenter::start().unwrap();
    let client = builder(&fake)
        .retry_policy(fast_retries().max_attempts(2))
        .build()
        .unwrap();
    warm_up(&client);
    fake.clear_requests();
    fake.push_replies((0..5).map(|_| Reply::throttled(0).on("GET", ORDERS)));
    client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .expect("five 429s, more than the two attempts, and then an answer");
    assert_eq!(fake.requests().len(), 6);

    // The extra retries for 429s are bounded.
    let client = builder(&fake)
        .retry_policy(fast_retries().max_attempts(2).max_throttled_retries(2))
        .build()
        .unwrap();
    warm_up(&client);
    fake.clear_requests();
    fake.push_replies((0..10).map(|_| Reply::throttled(0).on("GET", ORDERS)));
    let error = client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    assert_eq!(error.status(), Some(429), "{error}");
    assert_eq!(fake.requests().len(), 4, "two free retries, two attempts");
}

#[test]
fn a_deadline_before_the_pause_ends_calls_at_once_without_sending() {
    let fake = FakePartnerCenter::start().unwrap();
    let client = builder(&fake)
        .list_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    fake.push_reply(Reply::throttled(30).on("GET", ORDERS));
    let started = Instant::now();
    let error = client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    assert!(matches!(error, Error::ListTimedOut { .. }), "{error}");
    // Another call during the pause, whose deadline comes first, does not
    // wait it out, and sends nothing.
    let error = client
        .clone()
        .list_orders(OTHER_CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    assert!(matches!(error, Error::ListTimedOut { .. }), "{error}");
    // The cause of the timeout says why no request could start.
    let Error::ListTimedOut { error: page, .. } = &error else {
        unreachable!()
    };
    let mut said = page.to_string();
    let mut cause = std::error::Error::source(page.as_ref());
    while let Some(inner) = cause {
        said = format!("{said}: {inner}");
        cause = inner.source();
    }
    assert!(said.contains("throttled"), "{said}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), 1);
    assert!(client.throttling().is_paused());
}

#[test]
fn max_requests_per_minute_caps_every_thread_together() {
    const CAP: u32 = 1200; // 20 a second, one every 50 ms
    let fake = FakePartnerCenter::start().unwrap();
    let client = builder(&fake).max_requests_per_minute(CAP).build().unwrap();
    thread::scope(|scope| {
        for _ in 0..6 {
            let client = client.clone();
            scope.spawn(move || {
                for _ in 0..6 {
                    client.list_orders(CUSTOMER, &OrderOptions::new()).unwrap();
                }
            });
        }
    });
    let requests = fake.requests();
    assert_eq!(requests.len(), 36);
    // Spaced at 50 ms: a second holds 20, one more at its edge, and a
    // request or two more where the loopback's delays bunch them.
    let most = most_in_any_window(&requests, Duration::from_secs(1));
    assert!(most <= 23, "{most} requests in one second");
    let throttling = client.throttling();
    assert_eq!(throttling.max_per_minute, Some(CAP));
    assert_eq!(throttling.pace_per_minute(), Some(f64::from(CAP)));

    let refused = builder(&fake).max_requests_per_minute(0).build();
    match refused {
        Err(Error::InvalidConfig(message)) => {
            assert!(message.contains("max_requests_per_minute"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_429_keeps_the_request_id_rule() {
    let fake = FakePartnerCenter::start().unwrap();
    let client = client(&fake);
    let carts = "/v1/customers/*/carts";
    // Nothing was taken: the retry gets a new request ID.
    fake.push_reply(Reply::throttled(0).on("POST", carts));
    client
        .create_cart(CUSTOMER, &cart(), &CreateCartOptions::new())
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_ne!(
        requests[0].header("ms-requestid"),
        requests[1].header("ms-requestid")
    );
    // The caller's request ID is kept.
    fake.clear_requests();
    fake.push_reply(Reply::throttled(0).on("POST", carts));
    let id = Uuid::new_v4();
    client
        .create_cart(CUSTOMER, &cart(), &CreateCartOptions::new().request_id(id))
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    common::assert_one_request_id(&requests);
    // A call in doubt keeps it too: its answer was lost, then throttled.
    fake.clear_requests();
    fake.push_replies([
        Reply::built_in().then_drop_connection().on("POST", carts),
        Reply::throttled(0).on("POST", carts),
    ]);
    client
        .create_cart(CUSTOMER, &cart(), &CreateCartOptions::new())
        .unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    common::assert_one_request_id(&requests);
}

#[test]
fn the_waits_polls_draw_on_the_budget() {
    let fake = FakePartnerCenter::start().unwrap();
    let client = client(&fake);
    let cart = client
        .create_cart(CUSTOMER, &cart(), &CreateCartOptions::new())
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    fake.push_reply(Reply::throttled(0).on("GET", "/v1/customers/*/orders/*"));
    client
        .wait_for_orders(CUSTOMER, &result, quick_wait())
        .unwrap();
    let now = client.throttling();
    assert_eq!(now.requests, fake.requests().len() as u64);
    assert_eq!(now.throttled, 1);
}

/// Measures, not tests: 60 purchases (a cart, its checkout, the wait for
/// its order) on 64 threads of one client, against a service that takes 10
/// requests a second and answers in 40 ms. Prints the share of 429s and the
/// wall time against the bound the rate sets (useful requests / rate).
///
/// `cargo test --release --features fake --test throttling -- --ignored --nocapture`
#[test]
#[ignore = "a measurement that takes tens of seconds; run it by hand"]
fn measure_sixty_purchases_on_64_threads_at_10_a_second() {
    const RATE: u32 = 10;
    const PURCHASES: usize = 60;
    let fake = start_with(
        FakePartnerCenter::builder()
            .rate_limit(RATE)
            .answer_delay(Duration::from_millis(40)),
    );
    let client = Client::builder(|| Ok::<_, std::io::Error>(common::TOKEN))
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    let failures = std::sync::atomic::AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..64 {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if index >= PURCHASES {
                        return;
                    }
                    let customer = format!("{:08x}-f6b9-462f-9701-0d89b5e65c44", index + 1);
                    let bought = client
                        .create_cart(&customer, &cart(), &CreateCartOptions::new())
                        .and_then(|cart| {
                            let result = client.checkout(&customer, &cart)?;
                            client.wait_for_orders(&customer, &result, Default::default())
                        });
                    if let Err(error) = bought {
                        eprintln!("purchase {index}: {error}");
                        failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let wall = started.elapsed();
    let requests = fake.requests();
    let throttled = fake.throttled_requests() as usize;
    let useful = requests.len() - throttled;
    let bound = Duration::from_secs_f64(useful as f64 / f64::from(RATE));
    eprintln!(
        "{} of {PURCHASES} bought; {throttled} of {} requests throttled ({:.1}%); \
         wall {wall:.1?} vs bound {bound:.1?} ({useful} useful requests at {RATE}/s): {:.2}x; \
         learned {:?} a minute",
        PURCHASES - failures.into_inner(),
        requests.len(),
        100.0 * throttled as f64 / requests.len() as f64,
        wall.as_secs_f64() / bound.as_secs_f64(),
        client
            .throttling()
            .learned_per_minute
            .map(|rate| rate.round()),
    );
}

/// Measures, not tests: the same sixty purchases through
/// `Journal::run_batch`, the library's batch runner, with `parallel(64)`
/// and with its default.
///
/// `cargo test --release --features fake --test throttling -- --ignored --nocapture`
#[test]
#[ignore = "a measurement that takes tens of seconds; run it by hand"]
fn measure_sixty_purchases_in_a_batch_at_10_a_second() {
    use partner_center_cart::journal::{BatchOptions, Journal, Purchase};
    const RATE: u32 = 10;
    const PURCHASES: usize = 60;
    for parallel in [Some(64), None] {
        let fake = start_with(
            FakePartnerCenter::builder()
                .rate_limit(RATE)
                .answer_delay(Duration::from_millis(40)),
        );
        let client = Client::builder(|| Ok::<_, std::io::Error>(common::TOKEN))
            .base_url(fake.base_url())
            .build()
            .unwrap();
        let path = std::env::temp_dir().join(format!("throttling-{}.journal", Uuid::new_v4()));
        let journal = Journal::open(&path).unwrap();
        let purchases = (0..PURCHASES).map(|index| {
            let customer = format!("{:08x}-f6b9-462f-9701-0d89b5e65c44", index + 1);
            Purchase::new(customer, cart()).unwrap()
        });
        let options = match parallel {
            Some(parallel) => BatchOptions::new().parallel(parallel),
            None => BatchOptions::new(),
        };
        let started = Instant::now();
        let outcome = journal.run_batch(&client, purchases, options);
        let wall = started.elapsed();
        let _ = std::fs::remove_file(&path);
        let requests = fake.requests().len();
        let throttled = fake.throttled_requests() as usize;
        let useful = requests - throttled;
        let bound = Duration::from_secs_f64(useful as f64 / f64::from(RATE));
        eprintln!(
            "batch, parallel {parallel:?}: {:?} (exit {}); {throttled} of {requests} requests throttled ({:.1}%); \
             wall {wall:.1?} vs bound {bound:.1?} ({useful} useful requests at {RATE}/s): {:.2}x",
            outcome.verdict(),
            outcome.exit_code(),
            100.0 * throttled as f64 / requests as f64,
            wall.as_secs_f64() / bound.as_secs_f64(),
        );
    }
}
