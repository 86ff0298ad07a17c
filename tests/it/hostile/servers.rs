//! Promises kept under hostile settings and servers: SOCKS and environment
//! proxies, deadlines and request budgets of the wait, server text with
//! control characters, and replies about the wrong order.

use crate::common;

use std::time::{Duration, Instant};

use common::proxies::{HttpProxy, Socks5};
use common::records::{Records, records};
use common::{CART, CUSTOMER, TOKEN, builder, client, start};
use partner_center_cart::OrderOptions;
use partner_center_cart::fake::Reply;
use partner_center_cart::{CartCheckoutResult, Client, Error, Proxy, RetryPolicy, WaitOptions};
use serde_json::json;

/// A checkout result with these pending orders.
fn pending(ids: &[&str]) -> CartCheckoutResult {
    let orders: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "status": "pending"}))
        .collect();
    serde_json::from_value(json!({ "orders": orders })).unwrap()
}

/// The service's reply to a read of order `id`.
fn order(id: &str, status: &str) -> Reply {
    Reply::json(200, &json!({"id": id, "status": status, "lineItems": []}))
}

/// Checks often, paced at the default 60 requests a minute.
fn eager_wait(timeout: Duration) -> WaitOptions {
    WaitOptions::default()
        .initial_interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(10))
        .timeout(timeout)
}

fn is_printable(text: &str) -> bool {
    !text.contains(['\r', '\n', '\u{1b}', '\u{0}'])
}

// 1. SOCKS proxies ----------------------------------------------------------

#[test]
fn a_socks5_proxy_carries_every_call() {
    let fake = start();
    let socks = Socks5::start();
    let port = fake.base_url().rsplit(':').next().unwrap().to_owned();
    for proxy in [
        socks.url.clone(),
        socks.url.replace("socks5://", "socks5://user:pw@"),
        socks.url.replace("socks5://", "socks5h://"),
    ] {
        fake.push_reply(Reply::status(201).body(r#"{"orders": [], "orderErrors": []}"#));
        let client = builder(&fake).proxy(Proxy::url(proxy)).build().unwrap();
        client.checkout(CUSTOMER, CART).unwrap();
    }
    let targets = socks.targets();
    assert_eq!(targets.len(), 3, "{targets:?}");
    for target in targets {
        assert!(target.ends_with(&format!(":{port}")), "{target}");
    }
}

/// A client for a host that is not on loopback, so that proxy variables
/// apply; nothing ever reaches it (192.0.2.1 is reserved for
/// documentation), only the proxies on loopback are asked for it.
fn client_for_a_remote_host() -> Client {
    Client::builder(|| Ok::<_, std::io::Error>(TOKEN))
        .base_url("https://192.0.2.1")
        .retry_policy(RetryPolicy::none())
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

const PROXY_VARIABLES: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn without(names: &[&str]) -> Vec<&'static str> {
    PROXY_VARIABLES
        .into_iter()
        .filter(|name| !names.contains(name))
        .collect()
}

#[test]
fn a_socks_all_proxy_in_the_environment_is_honoured() {
    if common::child::in_child() {
        // The SOCKS server refuses the remote host: the call fails.
        assert!(client_for_a_remote_host().get_cart(CUSTOMER, CART).is_err());
        return;
    }
    let socks = Socks5::start();
    common::child::run_in_child(
        "hostile::servers::a_socks_all_proxy_in_the_environment_is_honoured",
        &[("ALL_PROXY", &socks.url)],
        &without(&["ALL_PROXY"]),
    );
    assert_eq!(socks.targets(), ["192.0.2.1:443"]);
}

/// The `warn` records of this crate kept so far, in a child process that
/// installed the tests' logger with [`records`] before acting.
fn warnings(records: &Records) -> Vec<String> {
    records
        .all()
        .into_iter()
        .filter(|record| record.starts_with("WARN "))
        .collect()
}

#[test]
fn https_proxy_comes_before_all_proxy_and_a_bad_variable_is_skipped() {
    if common::child::in_child() {
        let records = records();
        assert!(client_for_a_remote_host().get_cart(CUSTOMER, CART).is_err());
        let warnings = warnings(records);
        let bad = std::env::var("HTTPS_PROXY").unwrap().starts_with("ftp:");
        let named = warnings
            .iter()
            .any(|text| text.contains("environment variable HTTPS_PROXY"));
        assert_eq!(named, bad, "{warnings:?}");
        return;
    }
    let (socks, http) = (Socks5::start(), HttpProxy::start());
    common::child::run_in_child(
        "hostile::servers::https_proxy_comes_before_all_proxy_and_a_bad_variable_is_skipped",
        &[("HTTPS_PROXY", &http.url), ("ALL_PROXY", &socks.url)],
        &without(&["HTTPS_PROXY", "ALL_PROXY"]),
    );
    assert!(socks.targets().is_empty(), "{:?}", socks.targets());
    let lines = http.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("CONNECT 192.0.2.1:443 "), "{lines:?}");

    // A variable that holds no usable proxy URL gives way to the next.
    let socks = Socks5::start();
    common::child::run_in_child(
        "hostile::servers::https_proxy_comes_before_all_proxy_and_a_bad_variable_is_skipped",
        &[
            ("HTTPS_PROXY", "ftp://127.0.0.1:21"),
            ("ALL_PROXY", &socks.url),
        ],
        &without(&["HTTPS_PROXY", "ALL_PROXY"]),
    );
    assert_eq!(socks.targets(), ["192.0.2.1:443"]);
}

#[test]
fn a_token_variable_is_trimmed_and_refused_with_white_space_inside() {
    use partner_center_cart::auth::{AuthError, EnvTokenProvider};
    if common::child::in_child() {
        let token = EnvTokenProvider::default().access_token().unwrap();
        assert_eq!(token.secret(), "eyJ0.trailing-newline");
        let error = EnvTokenProvider::new("PCC_TEST_SPACED_TOKEN")
            .access_token()
            .unwrap_err();
        assert!(matches!(error, AuthError::EnvVar { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("PCC_TEST_SPACED_TOKEN"), "{message}");
        assert!(!message.contains("eyJ0"), "{message}");
        return;
    }
    common::child::run_in_child(
        "hostile::servers::a_token_variable_is_trimmed_and_refused_with_white_space_inside",
        &[
            ("PARTNER_CENTER_TOKEN", " eyJ0.trailing-newline\r\n"),
            ("PCC_TEST_SPACED_TOKEN", "eyJ0.first eyJ0.second"),
        ],
        &[],
    );
}

/// A proxy URL with a byte that is not UTF-8.
#[cfg(unix)]
fn not_utf8() -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(b"http://127.0.0.1:9\xff".to_vec())
}

#[cfg(unix)]
#[test]
fn a_proxy_variable_that_is_not_utf8_is_named_in_a_warning_and_skipped() {
    if common::child::in_child() {
        let records = records();
        assert!(client_for_a_remote_host().get_cart(CUSTOMER, CART).is_err());
        let warnings = warnings(records);
        assert!(
            warnings.iter().any(
                |text| text.contains("environment variable HTTPS_PROXY: it is not valid UTF-8")
            ),
            "{warnings:?}"
        );
        return;
    }
    let socks = Socks5::start();
    common::child::run_in_child_os(
        "hostile::servers::a_proxy_variable_that_is_not_utf8_is_named_in_a_warning_and_skipped",
        &[
            ("HTTPS_PROXY", &not_utf8()),
            ("ALL_PROXY", socks.url.as_ref()),
        ],
        &without(&["HTTPS_PROXY", "ALL_PROXY"]),
    );
    assert_eq!(socks.targets(), ["192.0.2.1:443"]);
}

#[cfg(unix)]
#[test]
fn a_no_proxy_that_is_not_utf8_stops_the_build_rather_than_ignore_it() {
    if common::child::in_child() {
        let error = Client::builder(|| Ok::<_, std::io::Error>(TOKEN))
            .base_url("https://192.0.2.1")
            .build()
            .unwrap_err();
        assert!(matches!(error, Error::InvalidConfig(_)), "{error:?}");
        assert!(error.to_string().contains("NO_PROXY"), "{error}");
        // The constructor that cannot fail goes direct, and says so.
        let records = records();
        let client = Client::new(|| Ok::<_, std::io::Error>(TOKEN));
        assert_eq!(client.proxy_url(), None);
        let warnings = warnings(records);
        assert!(
            warnings
                .iter()
                .any(|text| text.contains("without a proxy") && text.contains("NO_PROXY")),
            "{warnings:?}"
        );
        return;
    }
    let http = HttpProxy::start();
    common::child::run_in_child_os(
        "hostile::servers::a_no_proxy_that_is_not_utf8_stops_the_build_rather_than_ignore_it",
        &[
            ("HTTPS_PROXY", http.url.as_ref()),
            ("NO_PROXY", &not_utf8()),
        ],
        &without(&["HTTPS_PROXY", "NO_PROXY"]),
    );
    assert!(http.lines().is_empty(), "{:?}", http.lines());
}

#[cfg(unix)]
#[test]
fn a_no_proxy_that_is_not_utf8_is_named_in_a_warning_without_a_proxy() {
    if common::child::in_child() {
        let records = records();
        let client = Client::builder(|| Ok::<_, std::io::Error>(TOKEN))
            .base_url("https://192.0.2.1")
            .build()
            .unwrap();
        assert_eq!(client.proxy_url(), None);
        let warnings = warnings(records);
        assert!(
            warnings
                .iter()
                .any(|text| text.contains("environment variable NO_PROXY: it is not valid UTF-8")),
            "{warnings:?}"
        );
        return;
    }
    common::child::run_in_child_os(
        "hostile::servers::a_no_proxy_that_is_not_utf8_is_named_in_a_warning_without_a_proxy",
        &[("NO_PROXY", &not_utf8())],
        &without(&["NO_PROXY"]),
    );
}

// 2. The wait's deadline bounds every request, sleep and retry --------------

#[test]
fn a_wait_over_many_pending_orders_ends_at_its_deadline() {
    let fake = start();
    let ids: Vec<String> = (0..8).map(|i| format!("ord{i}")).collect();
    fake.push_replies(ids.iter().map(|id| order(id, "pending")));
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let started = Instant::now();
    let error = client(&fake)
        .wait_for_orders(CUSTOMER, &pending(&ids), eager_wait(Duration::from_secs(1)))
        .unwrap_err();
    let took = started.elapsed();
    let Error::WaitTimedOut { pending, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(pending.len(), 8);
    assert!(took < Duration::from_millis(1400), "{took:?}");
    // Paced at one a second, only the first read could start in time.
    assert_eq!(fake.requests().len(), 1);
}

/// Waits 700 ms for order `ord0` and checks that the wait gave up by then.
fn assert_times_out_by_the_deadline(client: &Client) {
    let started = Instant::now();
    let error = client
        .wait_for_orders(
            CUSTOMER,
            &pending(&["ord0"]),
            eager_wait(Duration::from_millis(700)),
        )
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, Error::WaitTimedOut { .. }), "{error:?}");
    assert!(took < Duration::from_millis(1100), "{took:?}");
}

#[test]
fn a_slow_read_is_cut_at_the_deadline() {
    let fake = start();
    fake.push_reply(order("ord0", "completed").delay(Duration::from_secs(4)));
    let client = builder(&fake).timeout(Duration::from_secs(30));
    assert_times_out_by_the_deadline(&client.build().unwrap());
}

#[test]
fn a_read_cut_at_the_deadline_on_its_last_attempt_is_the_deadline_s_doing() {
    // With one attempt allowed, the read the deadline cuts short is still a
    // timed-out wait, not a transport error.
    let fake = start();
    fake.push_reply(order("ord0", "completed").delay(Duration::from_secs(4)));
    let client = builder(&fake)
        .timeout(Duration::from_secs(30))
        .retry_policy(RetryPolicy::none());
    assert_times_out_by_the_deadline(&client.build().unwrap());
}

#[test]
fn no_backoff_runs_past_the_deadline() {
    let fake = start();
    fake.push_replies([Reply::throttled(20), order("ord0", "completed")]);
    let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(60));
    assert_times_out_by_the_deadline(&builder(&fake).retry_policy(policy).build().unwrap());
    assert_eq!(fake.requests().len(), 1);
}

// 3. Durations of any size (see also hostile::properties) -------------------

#[test]
fn endless_durations_mean_no_limit() {
    let fake = start();
    fake.push_reply(order("ord0", "completed"));
    let options = WaitOptions::default()
        .timeout(Duration::MAX)
        .initial_interval(Duration::from_millis(1))
        .max_interval(Duration::MAX);
    let orders = client(&fake)
        .wait_for_orders(CUSTOMER, &pending(&["ord0"]), options)
        .unwrap();
    assert_eq!(orders[0].id.as_str(), "ord0");

    // A huge interval ends at the deadline.
    let options = WaitOptions::default()
        .timeout(Duration::from_millis(50))
        .initial_interval(Duration::MAX)
        .max_interval(Duration::MAX);
    let error = client(&fake)
        .wait_for_orders(CUSTOMER, &pending(&["ord0"]), options)
        .unwrap_err();
    assert!(matches!(error, Error::WaitTimedOut { .. }), "{error:?}");
}

// 4. The request budget counts retries --------------------------------------

#[test]
fn retries_within_a_wait_are_paced_too() {
    let fake = start();
    let unavailable = || Reply::fault(503, 900_192, "Try again later.");
    fake.push_replies([
        unavailable(),
        order("ord0", "pending"),
        unavailable(),
        order("ord0", "completed"),
    ]);
    client(&fake)
        .wait_for_orders(
            CUSTOMER,
            &pending(&["ord0"]),
            eager_wait(Duration::from_secs(30)).max_requests_per_minute(250),
        )
        .unwrap();
    // Requests start 240 ms apart; they arrive within a few milliseconds of
    // their start (a new connection takes longer than a pooled one).
    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    for pair in requests.windows(2) {
        let gap = pair[1].received_at - pair[0].received_at;
        assert!(gap >= Duration::from_millis(200), "{gap:?}");
    }
    let span = requests[3].received_at - requests[0].received_at;
    assert!(span >= Duration::from_millis(3 * 240 - 40), "{span:?}");
}

// 5. Server text is escaped -------------------------------------------------

#[test]
fn server_text_is_escaped_before_it_is_shown() {
    let fake = start();
    let forged = "bad input\r\n2026-11-24 INFO partner_center_cart: paid\u{1b}[2K";
    fake.push_reply(Reply::json(
        400,
        &json!({"code": "800002\r\nINFO forged", "description": forged}),
    ));
    let error = client(&fake).get_cart(CUSTOMER, CART).unwrap_err();
    let text = error.to_string();
    assert!(is_printable(&text), "{text:?}");
    assert!(text.contains("bad input\\r\\n2026-11-24 INFO"), "{text}");
    assert!(text.contains("800002\\r\\nINFO forged"), "{text}");
    // The description itself is kept as it came.
    assert_eq!(error.service_error().unwrap().message(), Some(forged));

    let result: CartCheckoutResult = serde_json::from_value(json!({
        "orders": [],
        "orderErrors": [{"orderGroupId": "0\n1", "code": 800_005, "description": forged}],
    }))
    .unwrap();
    let text = result.order_errors[0].to_string();
    assert!(is_printable(&text), "{text:?}");
}

// 7. A reply about another order --------------------------------------------

#[test]
fn a_reply_about_another_order_is_an_error_naming_both() {
    let fake = start();
    fake.push_reply(order("ord1\r\nforged", "completed"));
    let error = client(&fake)
        .wait_for_orders(
            CUSTOMER,
            &pending(&["ord0"]),
            eager_wait(Duration::from_secs(30)),
        )
        .unwrap_err();
    let Error::OrderMismatch {
        asked,
        answered,
        call,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(asked.as_str(), "ord0");
    assert_eq!(answered.as_str(), "ord1\r\nforged");
    let text = error.to_string();
    assert!(
        text.contains("ord0") && text.contains("ord1\\r\\nforged"),
        "{text}"
    );
    assert!(text.contains(&call.request_id().to_string()), "{text}");
    assert_eq!(error.request_id(), Some(call.request_id()));

    fake.push_reply(order("ord1", "completed"));
    let error = client(&fake)
        .get_order(CUSTOMER, "ord0", &OrderOptions::new())
        .unwrap_err();
    assert!(matches!(error, Error::OrderMismatch { .. }), "{error:?}");
}
