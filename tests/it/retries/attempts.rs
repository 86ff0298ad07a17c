//! A call remembers its attempts: once one is in doubt, or answered that
//! the request is in progress (409 with 800060 or 800064), the call keeps
//! its request ID and stays worth repeating whatever later attempts answer;
//! a caller's request ID is sent on every attempt; and a refused token is
//! dropped and the call repeated once with a fresh one, unless it was
//! refused for want of MFA (900421). Everything runs against the fake
//! Partner Center over loopback HTTP.

use crate::common;
use crate::common::token_endpoint;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{CART, CUSTOMER, builder, client, fast_retries, start};
use partner_center_cart::auth::ClientCredentialsProvider;
use partner_center_cart::fake::{FAKE_TENANT_ID, FakePartnerCenter, FakeToken, Reply};
use partner_center_cart::{
    AccessToken, CheckoutOptions, Client, Error, TokenProvider, Uuid, error::BoxError,
};
use partner_center_cart::{BillingCycle, CartLineItem, NewCart, RetryPolicy};
use partner_center_cart::{CreateCartOptions, OrderOptions};
use token_endpoint::FakeTokenEndpoint;

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";

/// What the error of a call with an attempt in doubt says.
const IN_DOUBT: &str = "an earlier attempt may have acted";

/// What the error of a call answered "in progress" says.
const IN_PROGRESS: [&str; 2] = [
    "an order may still be made",
    "checking out the same cart again later",
];

fn one_item_cart() -> NewCart {
    NewCart::new()
        .line_item(CartLineItem::new(OFFICE, 3, BillingCycle::Monthly).term_duration("P1M"))
}

/// The `MS-RequestId` of every request the fake received, oldest first.
fn request_ids(fake: &FakePartnerCenter) -> Vec<Uuid> {
    fake.requests()
        .iter()
        .map(|request| {
            let id = request.header("ms-requestid").expect("MS-RequestId sent");
            Uuid::parse_str(id).expect("MS-RequestId is a GUID")
        })
        .collect()
}

/// The `Authorization` header of every request the fake received.
fn authorizations(fake: &FakePartnerCenter) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|request| request.header("authorization").unwrap_or("").to_owned())
        .collect()
}

/// A client whose attempts time out after 300 ms, so that a reply delayed
/// by two seconds leaves the outcome unknown.
fn impatient(fake: &FakePartnerCenter) -> Client {
    builder(fake)
        .retry_policy(counting_429s())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

/// Fast retries where a 429 uses up an attempt like any other failure, for
/// tests of which request ID each attempt sends until the attempts run out
/// (by default 429s use up none; `retries::throttling` tests that).
fn counting_429s() -> RetryPolicy {
    fast_retries().max_throttled_retries(0)
}

/// A client with [`counting_429s`].
fn counting_client(fake: &FakePartnerCenter) -> Client {
    builder(fake).retry_policy(counting_429s()).build().unwrap()
}

/// A reply the client gives up waiting for: the outcome is unknown.
fn too_late() -> Reply {
    Reply::status(201).body("{}").delay(Duration::from_secs(2))
}

fn assert_in_doubt(error: &Error, first_id: Uuid) {
    assert!(error.should_repeat(), "{error}");
    assert_eq!(error.request_id(), Some(first_id), "{error}");
    assert!(error.call().unwrap().earlier_attempt_in_doubt(), "{error}");
    assert!(error.to_string().contains(IN_DOUBT), "{error}");
    assert!(error.to_string().contains(&first_id.to_string()), "{error}");
}

/// Hands out `token-1`, `token-2`, ... and remembers the tokens it was told
/// were refused.
#[derive(Default)]
struct CountingProvider {
    issued: AtomicUsize,
    refused: Mutex<Vec<String>>,
}

impl TokenProvider for CountingProvider {
    fn token(&self) -> Result<AccessToken, BoxError> {
        let number = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(AccessToken::new(format!("token-{number}")))
    }

    fn token_refused(&self, token: &AccessToken) {
        self.refused.lock().unwrap().push(token.secret().to_owned());
    }
}

// Issue 16, item 1: a call remembers its attempts.

#[test]
fn a_create_that_timed_out_then_was_throttled_keeps_its_request_id_and_makes_one_cart() {
    let fake = start();
    // The fake creates the cart but the answer comes too late; the repeat is
    // throttled; the third attempt gets the built-in answer.
    fake.push_replies([
        Reply::built_in().delay(Duration::from_secs(2)),
        Reply::throttled(0),
    ]);
    let cart = impatient(&fake)
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let ids = request_ids(&fake);
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(fake.carts(CUSTOMER).len(), 1, "one cart, not two");
    assert_eq!(fake.carts(CUSTOMER)[0].id, cart.id);
}

#[test]
fn busy_answers_after_a_timeout_keep_the_request_id_and_the_error_reports_it() {
    let fake = start();
    fake.push_replies([
        too_late(),
        Reply::throttled(0),
        Reply::fault(409, 800_064, "Another request is processing this cart."),
        Reply::fault(409, 800_060, "An order is already in progress."),
    ]);
    let error = impatient(&fake).checkout(CUSTOMER, CART).unwrap_err();
    let ids = request_ids(&fake);
    assert_eq!(ids.len(), 4);
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(error.status(), Some(409));
    assert_in_doubt(&error, ids[0]);
}

#[test]
fn a_token_failure_after_a_timeout_is_worth_repeating_with_the_first_id() {
    let fake = start();
    fake.push_reply(too_late());
    let calls = AtomicUsize::new(0);
    let client = Client::builder(move || {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            Ok("first-token")
        } else {
            Err("the token provider is down")
        }
    })
    .base_url(fake.base_url())
    .retry_policy(fast_retries())
    .timeout(Duration::from_millis(300))
    .build()
    .unwrap();
    let error = client.checkout(CUSTOMER, CART).unwrap_err();
    assert!(matches!(error, Error::Token { .. }), "{error:?}");
    let ids = request_ids(&fake);
    assert_eq!(ids.len(), 1);
    assert_in_doubt(&error, ids[0]);
    assert!(
        error.to_string().contains("only the first attempt reached"),
        "{error}"
    );
}

#[test]
fn a_401_after_a_timeout_keeps_the_request_id_and_is_worth_repeating() {
    let fake = start();
    fake.push_replies([
        too_late(),
        Reply::fault(401, 800_001, "Unauthorized"),
        Reply::fault(401, 800_001, "Unauthorized"),
    ]);
    let error = impatient(&fake).checkout(CUSTOMER, CART).unwrap_err();
    assert_eq!(error.status(), Some(401));
    let ids = request_ids(&fake);
    assert_eq!(ids.len(), 3, "the 401 is repeated once with a fresh token");
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_in_doubt(&error, ids[0]);
}

#[test]
fn a_400_after_a_timeout_is_worth_repeating_with_the_first_id() {
    let fake = start();
    fake.push_replies([
        too_late(),
        Reply::fault(400, 800_002, "The request is invalid."),
    ]);
    let error = impatient(&fake).checkout(CUSTOMER, CART).unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(
        !error.is_retryable(),
        "the client itself does not retry a 400"
    );
    let ids = request_ids(&fake);
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
    assert_in_doubt(&error, ids[0]);
}

#[test]
fn a_call_with_no_attempt_in_doubt_moves_to_a_new_id_after_throttling() {
    let fake = start();
    fake.push_replies([Reply::throttled(0), Reply::throttled(0)]);
    client(&fake)
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let ids = request_ids(&fake);
    assert_eq!(ids.len(), 3);
    assert_ne!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[2]);
    assert_ne!(ids[0], ids[2]);

    // Failing alike, it reports the last ID and says nothing of doubt.
    let fake = start();
    fake.push_replies([Reply::throttled(0), Reply::throttled(0)]);
    let error = builder(&fake)
        .retry_policy(counting_429s().max_attempts(2))
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    let ids = request_ids(&fake);
    assert_eq!(error.request_id(), Some(ids[1]));
    assert_ne!(ids[0], ids[1]);
    assert!(!error.call().unwrap().earlier_attempt_in_doubt());
    assert!(!error.to_string().contains(IN_DOUBT), "{error}");
}

#[test]
fn a_clean_401_or_400_is_not_worth_repeating() {
    for status in [400, 401] {
        let fake = start();
        fake.push_replies([
            Reply::fault(status, 800_001, "no"),
            Reply::fault(status, 800_001, "no"),
        ]);
        let error = client(&fake).checkout(CUSTOMER, CART).unwrap_err();
        assert!(!error.should_repeat(), "{error}");
        assert!(!error.to_string().contains(IN_DOUBT), "{error}");
    }
}

#[test]
fn a_chosen_request_id_is_sent_on_every_attempt_of_a_create() {
    let chosen = Uuid::from_u128(0x5eed);
    let fake = start();
    fake.push_replies([Reply::throttled(0), Reply::throttled(0)]);
    client(&fake)
        .create_cart(
            CUSTOMER,
            &one_item_cart(),
            &CreateCartOptions::new().request_id(chosen),
        )
        .unwrap();
    assert_eq!(request_ids(&fake), [chosen; 3]);

    let fake = start();
    fake.push_replies((0..4).map(|_| Reply::throttled(0)));
    let error = counting_client(&fake)
        .create_cart(
            CUSTOMER,
            &one_item_cart(),
            &CreateCartOptions::new().request_id(chosen),
        )
        .unwrap_err();
    assert_eq!(request_ids(&fake), [chosen; 4]);
    assert_eq!(error.request_id(), Some(chosen));
    assert!(fake.carts(CUSTOMER).is_empty());
}

#[test]
fn a_chosen_request_id_is_sent_on_every_attempt_of_a_checkout() {
    let chosen = Uuid::from_u128(0xc0ffee);
    let options = CheckoutOptions::new().request_id(chosen);
    let fake = start();
    fake.push_replies([
        Reply::throttled(0),
        Reply::fault(409, 800_064, "Another request is processing this cart."),
        Reply::status(201).body("{}"),
    ]);
    client(&fake)
        .checkout_with(CUSTOMER, CART, &options)
        .unwrap();
    assert_eq!(request_ids(&fake), [chosen; 3]);

    let fake = start();
    fake.push_replies((0..4).map(|_| Reply::throttled(0)));
    let error = counting_client(&fake)
        .checkout_with(CUSTOMER, CART, &options)
        .unwrap_err();
    assert_eq!(request_ids(&fake), [chosen; 4]);
    assert_eq!(error.request_id(), Some(chosen));
    assert!(error.should_repeat());
}

// Issue 18, item 3: a 401 refreshes once.

#[test]
fn a_401_tells_the_provider_and_repeats_once_with_a_fresh_token() {
    let fake = start();
    fake.push_reply(Reply::fault(401, 800_001, "Unauthorized"));
    let provider = std::sync::Arc::new(CountingProvider::default());
    let client = Client::builder(provider.clone())
        .base_url(fake.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    assert!(cart.id.is_some());
    assert_eq!(*provider.refused.lock().unwrap(), ["token-1"]);
    assert_eq!(authorizations(&fake), ["Bearer token-1", "Bearer token-2"]);
    let ids = request_ids(&fake);
    assert_eq!(ids[0], ids[1], "the repeat keeps the request ID");
}

#[test]
fn a_second_401_is_final() {
    let fake = start();
    fake.push_replies([
        Reply::fault(401, 800_001, "Unauthorized"),
        Reply::fault(401, 800_001, "Unauthorized"),
        Reply::status(201).body("{}"),
    ]);
    let provider = std::sync::Arc::new(CountingProvider::default());
    let error = Client::builder(provider.clone())
        .base_url(fake.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.call().unwrap().attempts(), 2);
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(fake.pending_replies(), 1, "the success was never asked for");
    assert_eq!(*provider.refused.lock().unwrap(), ["token-1", "token-2"]);
    assert!(!error.should_repeat(), "{error}");
}

#[test]
fn the_repeat_after_a_401_counts_as_an_attempt() {
    let fake = start();
    fake.push_replies([
        Reply::throttled(0),
        Reply::fault(401, 800_001, "Unauthorized"),
        Reply::status(201).body("{}"),
    ]);
    let provider = std::sync::Arc::new(CountingProvider::default());
    let error = Client::builder(provider.clone())
        .base_url(fake.base_url())
        .retry_policy(counting_429s().max_attempts(2))
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(fake.requests().len(), 2, "the attempts ran out");
    // The provider still hears of the refusal, for the next call's sake.
    assert_eq!(*provider.refused.lock().unwrap(), ["token-2"]);
}

#[test]
fn the_client_credentials_provider_drops_a_refused_token_and_fetches_another() {
    let endpoint = FakeTokenEndpoint::start();
    let provider = ClientCredentialsProvider::builder(FAKE_TENANT_ID, "app", "secret")
        .authority(endpoint.authority())
        .build()
        .unwrap();
    let fake = start();
    let client = Client::builder(provider)
        .base_url(fake.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    // The service revokes the cached token: the next call is refused once,
    // and the repeat carries a new token from the endpoint.
    fake.push_reply(Reply::fault(401, 800_001, "Unauthorized"));
    client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    assert_eq!(
        authorizations(&fake),
        [
            "Bearer access-token-1",
            "Bearer access-token-1",
            "Bearer access-token-2",
            "Bearer access-token-2",
        ]
    );
    assert_eq!(endpoint.requests().len(), 2, "the new token is cached");
}

#[test]
fn a_read_that_timed_out_leaves_nothing_in_doubt() {
    // A GET acts on nothing: its lost answer does not make a later refusal
    // worth repeating, nor may its error say that something may have acted.
    let fake = start();
    fake.push_replies([
        Reply::json(
            200,
            &serde_json::json!({"id": "ord0", "status": "completed"}),
        )
        .delay(Duration::from_secs(2)),
        Reply::fault(404, 20_000, "The order was not found."),
    ]);
    let error = impatient(&fake)
        .get_order(CUSTOMER, "ord0", &OrderOptions::new())
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(fake.requests().len(), 2, "the timed-out read was retried");
    assert!(!error.call().unwrap().earlier_attempt_in_doubt(), "{error}");
    assert!(!error.should_repeat(), "{error}");
    assert!(!error.to_string().contains(IN_DOUBT), "{error}");
}

// Issue 23, item 1: 409 with 800060 or 800064 means "in progress".

fn in_progress() -> Reply {
    Reply::fault(
        409,
        800_060,
        "Your order is in progress. Check your order history for recent orders in few minutes.",
    )
}

fn busy_cart() -> Reply {
    Reply::fault(409, 800_064, "Cart is being processed by another request.")
}

#[track_caller]
fn assert_in_progress(error: &Error, request_id: Uuid) {
    assert!(error.should_repeat(), "{error}");
    assert_eq!(error.request_id(), Some(request_id), "{error}");
    assert!(error.call().unwrap().request_in_progress(), "{error}");
    let text = error.to_string();
    for words in IN_PROGRESS {
        assert!(text.contains(words), "{text}");
    }
    assert!(text.contains(&request_id.to_string()), "{text}");
}

#[test]
fn a_409_in_progress_keeps_the_request_id_for_every_later_attempt() {
    let fake = start();
    // A throttled answer after the 409 would move a call that is not in
    // progress to a new ID; this one keeps its ID throughout.
    fake.push_replies([
        busy_cart(),
        in_progress(),
        Reply::throttled(0),
        Reply::status(201).body("{}"),
    ]);
    client(&fake).checkout(CUSTOMER, CART).unwrap();
    let ids = request_ids(&fake);
    assert_eq!(ids.len(), 4);
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

#[test]
fn an_id_renewed_by_throttling_is_kept_from_the_409_on() {
    let fake = start();
    fake.push_replies([Reply::throttled(0), busy_cart(), busy_cart(), busy_cart()]);
    let error = counting_client(&fake).checkout(CUSTOMER, CART).unwrap_err();
    let ids = request_ids(&fake);
    assert_eq!(ids.len(), 4);
    assert_ne!(ids[0], ids[1], "the 429 took nothing: a new ID");
    assert!(ids[1..].iter().all(|id| *id == ids[1]), "{ids:?}");
    // The attempts ran out on the 409: the error names the request in
    // progress, and the call is worth repeating.
    assert_eq!(error.status(), Some(409));
    assert_in_progress(&error, ids[1]);
    assert!(!error.call().unwrap().earlier_attempt_in_doubt());
}

#[test]
fn later_refusals_do_not_make_a_call_in_progress_final() {
    // The verdict on a call is the worst of its attempts: a 429, a 401 (and
    // its one repeat) or a 400 after the 409 leaves it worth repeating.
    let endings: [Vec<Reply>; 3] = [
        vec![
            Reply::throttled(0),
            Reply::throttled(0),
            Reply::throttled(0),
        ],
        vec![
            Reply::fault(401, 800_001, "Unauthorized"),
            Reply::fault(401, 800_001, "Unauthorized"),
        ],
        vec![Reply::fault(400, 800_002, "The request input is invalid.")],
    ];
    for ending in endings {
        let fake = start();
        let last = ending.len() + 1;
        fake.push_reply(in_progress());
        fake.push_replies(ending);
        let error = counting_client(&fake).checkout(CUSTOMER, CART).unwrap_err();
        let ids = request_ids(&fake);
        assert_eq!(ids.len(), last);
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        assert_ne!(error.status(), Some(409));
        assert_in_progress(&error, ids[0]);
    }
}

#[test]
fn a_retry_after_on_a_409_in_progress_is_honoured() {
    // A wait over the policy's cap ends the call at once: the wait the
    // service asked for is the one taken, not a quick backoff.
    let fake = start();
    fake.push_replies([
        in_progress().header("Retry-After", "120"),
        Reply::status(201),
    ]);
    let error = client(&fake).checkout(CUSTOMER, CART).unwrap_err();
    assert!(
        matches!(error, Error::RetryAfterTooLong { retry_after, .. } if retry_after.as_secs() == 120),
        "{error:?}"
    );
    assert_eq!(fake.requests().len(), 1);
    assert_in_progress(&error, request_ids(&fake)[0]);
}

#[test]
fn a_read_answered_in_progress_is_retried_but_marks_nothing() {
    let fake = start();
    fake.push_replies([busy_cart(), busy_cart(), busy_cart(), busy_cart()]);
    let error = client(&fake)
        .get_order(CUSTOMER, "ord0", &OrderOptions::new())
        .unwrap_err();
    assert_eq!(fake.requests().len(), 4);
    assert!(!error.call().unwrap().request_in_progress(), "{error}");
    assert!(!error.to_string().contains(IN_PROGRESS[0]), "{error}");
}

#[test]
fn the_fake_checks_out_while_answering_in_progress_and_a_later_checkout_returns_the_orders() {
    let fake = FakePartnerCenter::builder()
        .checkouts_in_progress(2)
        .start()
        .unwrap();
    let client = builder(&fake)
        .retry_policy(fast_retries().max_attempts(2))
        .build()
        .unwrap();
    let cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    let error = client.checkout(CUSTOMER, &cart).unwrap_err();
    let checkouts: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|request| request.path.ends_with("/checkout"))
        .collect();
    assert_eq!(checkouts.len(), 2);
    assert_eq!(
        error.service_error().and_then(|e| e.code_number()),
        Some(800_064),
        "the repeat finds the cart busy"
    );
    let id = Uuid::parse_str(checkouts[0].header("ms-requestid").unwrap()).unwrap();
    assert_in_progress(&error, id);
    // The order was made all the same.
    let made = fake.orders();
    assert_eq!(made.len(), 1);

    // Later, the same cart checked out again returns it, and buys nothing
    // more.
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let returned: Vec<_> = result.orders.iter().map(|order| order.id.clone()).collect();
    assert_eq!(returned, [made[0].id.clone()]);
    assert_eq!(fake.orders().len(), 1);
}

#[test]
fn the_fakes_switch_answers_800060_first_then_800064() {
    let fake = start();
    let client = builder(&fake)
        .retry_policy(fast_retries().max_attempts(1))
        .build()
        .unwrap();
    let cart = client
        .create_cart(CUSTOMER, &one_item_cart(), &CreateCartOptions::new())
        .unwrap();
    fake.checkouts_in_progress(2);
    let code = |error: Error| error.service_error().and_then(|e| e.code_number());
    assert_eq!(
        code(client.checkout(CUSTOMER, &cart).unwrap_err()),
        Some(800_060)
    );
    assert_eq!(
        code(client.checkout(CUSTOMER, &cart).unwrap_err()),
        Some(800_064)
    );
    assert_eq!(client.checkout(CUSTOMER, &cart).unwrap().orders.len(), 1);
}

// Issue 23, item 2: 900421, an App+User token without MFA, is final.

#[test]
fn a_401_for_want_of_mfa_is_final_without_a_refresh() {
    let fake = start();
    fake.push_replies([
        Reply::fault(
            401,
            900_421,
            "App+User calls require multi-factor authentication.",
        ),
        Reply::status(201).body("{}"),
    ]);
    let provider = std::sync::Arc::new(CountingProvider::default());
    let error = Client::builder(provider.clone())
        .base_url(fake.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap()
        .checkout(CUSTOMER, CART)
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(fake.requests().len(), 1, "no repeat");
    assert_eq!(fake.pending_replies(), 1);
    assert!(
        provider.refused.lock().unwrap().is_empty(),
        "a fresh token from the same sign-in lacks MFA alike"
    );
    assert!(!error.should_repeat(), "{error}");
    let text = error.to_string();
    assert!(text.contains("error 900421"), "{text}");
    assert!(text.contains("to fix:"), "{text}");
    assert!(text.contains("multi-factor authentication"), "{text}");
    assert!(text.contains("app-only tokens are not affected"), "{text}");
}

#[test]
fn the_fake_refuses_app_user_tokens_without_mfa_when_told_to() {
    let fake = FakePartnerCenter::builder().require_mfa().start().unwrap();
    let with = |token: String| {
        Client::builder(move || Ok::<_, std::io::Error>(token.clone()))
            .base_url(fake.base_url())
            .retry_policy(fast_retries())
            .build()
            .unwrap()
            .list_orders(CUSTOMER, &OrderOptions::new())
    };
    let error = with(FakeToken::new().without_mfa().mint()).unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(
        error.service_error().and_then(|e| e.code_number()),
        Some(900_421)
    );
    assert_eq!(fake.requests().len(), 1, "refused once, not refreshed");
    assert!(error.to_string().contains("MFA"), "{error}");
    // With MFA, or app-only, the same calls go through.
    with(FakeToken::new().mint()).unwrap();
    with(FakeToken::new().app_only().mint()).unwrap();

    // The switch on a running fake, too; off by default.
    let fake = start();
    let no_mfa = FakeToken::new().without_mfa().mint();
    let client = Client::builder(move || Ok::<_, std::io::Error>(no_mfa.clone()))
        .base_url(fake.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    client.list_orders(CUSTOMER, &OrderOptions::new()).unwrap();
    fake.require_mfa();
    assert_eq!(
        client
            .list_orders(CUSTOMER, &OrderOptions::new())
            .unwrap_err()
            .status(),
        Some(401)
    );
}
