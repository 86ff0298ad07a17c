//! Shared set-up for the integration tests: a fake Partner Center and a
//! client pointed at it with fast retries.

#![allow(dead_code)]

pub mod azurite;
pub mod child;
pub mod proxies;
pub mod records;
pub mod round_trip;
pub mod token_endpoint;
pub mod tools;

use std::time::Duration;

use partner_center_cart::fake::{FakePartnerCenter, RecordedRequest};
use partner_center_cart::{Client, ClientBuilder, RetryPolicy, WaitOptions};

pub const TOKEN: &str = "test-token-4d2f9a";
pub const CUSTOMER: &str = "28045616-f6b9-462f-9701-0d89b5e65c44";
pub const CART: &str = "3655b1a0-b1c9-4268-9824-577fdbc4d0be";

/// Retries without real waits, so that tests stay quick.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
}

pub fn builder(fake: &FakePartnerCenter) -> ClientBuilder {
    Client::builder(|| Ok::<_, std::io::Error>(TOKEN))
        .base_url(fake.base_url())
        .retry_policy(fast_retries())
}

pub fn client(fake: &FakePartnerCenter) -> Client {
    builder(fake).build().expect("a client for the fake")
}

/// Waits quickly: the fastest pacing the crate allows.
pub fn quick_wait() -> WaitOptions {
    WaitOptions::default()
        .initial_interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(20))
        .max_requests_per_minute(250)
        .timeout(Duration::from_secs(30))
}

/// The checkout requests the fake received, oldest first.
pub fn checkouts(fake: &FakePartnerCenter) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|request| request.path.ends_with("/checkout"))
        .collect()
}

/// Asserts that `requests` are attempts of one call: each carried the same
/// `MS-RequestId`.
pub fn assert_one_request_id(requests: &[RecordedRequest]) {
    let ids: Vec<Option<&str>> = requests
        .iter()
        .map(|request| request.header("ms-requestid"))
        .collect();
    assert!(
        ids.first().is_some_and(Option::is_some) && ids.windows(2).all(|pair| pair[0] == pair[1]),
        "{ids:?}"
    );
}

pub fn start() -> FakePartnerCenter {
    FakePartnerCenter::start().expect("a fake Partner Center on loopback")
}

/// A fixture body from `tests/fixtures`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
