//! Log records: what each attempt and retry writes, and that no token leaks.
//! The tests share one logger, so this one reads only its own thread's
//! records.

use crate::common;

use common::{CART, CUSTOMER, TOKEN, client, start};
use log::Level;
use partner_center_cart::fake::Reply;

#[test]
fn attempts_and_retries_are_logged_without_secrets() {
    let logger = common::records::records();

    let fake = start();
    fake.push_replies([Reply::throttled(0), Reply::status(201).body("{}")]);
    client(&fake).checkout(CUSTOMER, CART).unwrap();
    // The service answered that it took nothing, so the retry is a new
    // request with a new ID; each attempt's record names its own.
    let request_ids: Vec<String> = fake
        .requests()
        .iter()
        .map(|request| request.header("ms-requestid").unwrap().to_owned())
        .collect();
    assert_ne!(request_ids[0], request_ids[1]);
    let request_id = request_ids[0].clone();
    let correlation_id = fake.requests()[0]
        .header("ms-correlationid")
        .unwrap()
        .to_owned();

    let records = logger.of_this_thread();
    let ours: Vec<_> = records
        .iter()
        .filter(|(_, target, _)| target == "partner_center_cart")
        .collect();
    let attempts: Vec<_> = ours
        .iter()
        .filter(|(level, _, _)| *level == Level::Debug)
        .collect();
    assert_eq!(attempts.len(), 2, "{ours:#?}");
    let path = format!("/v1/customers/{CUSTOMER}/carts/{CART}/checkout");
    for ((expected, id), (_, _, text)) in ["HTTP 429", "HTTP 201"]
        .iter()
        .zip(&request_ids)
        .zip(&attempts)
    {
        assert!(
            text.starts_with(&format!("POST {path}: {expected} in ")),
            "{text}"
        );
        assert!(text.contains(id.as_str()), "{text}");
        assert!(text.contains(&correlation_id), "{text}");
    }
    // The 429 paused the client's request budget, which says so.
    let (paused, retries): (Vec<&&(Level, String, String)>, Vec<_>) = ours
        .iter()
        .filter(|(level, _, _)| *level == Level::Info)
        .partition(|(_, _, text)| text.starts_with("throttled (429)"));
    assert_eq!(paused.len(), 1, "{ours:#?}");
    assert!(
        paused[0].2.contains("every call of this client waits"),
        "{ours:#?}"
    );
    assert_eq!(retries.len(), 1, "{ours:#?}");
    let retry = &retries[0].2;
    assert!(retry.contains("retrying in"), "{retry}");
    assert!(retry.contains("HTTP 429"), "{retry}");
    assert!(retry.contains(&request_id), "{retry}");
    assert!(retry.contains("gets a new one"), "{retry}");

    // A 409 in progress keeps the ID, and the record says why.
    fake.clear_requests();
    fake.push_replies([
        Reply::fault(409, 800_064, "Cart is being processed by another request."),
        Reply::status(201).body("{}"),
    ]);
    client(&fake).checkout(CUSTOMER, CART).unwrap();
    let kept = fake.requests()[0]
        .header("ms-requestid")
        .unwrap()
        .to_owned();
    assert_eq!(
        fake.requests()[1].header("ms-requestid"),
        Some(kept.as_str())
    );
    let records = logger.of_this_thread();
    let retry = records
        .iter()
        .find(|(level, _, text)| *level == Level::Info && text.contains("HTTP 409 (error 800064)"))
        .map(|(_, _, text)| text.clone())
        .expect("the retry after the 409 is logged");
    assert!(retry.contains(&kept), "{retry}");
    assert!(retry.contains("still working on the request"), "{retry}");

    // Server text reaches the log escaped: a 503 whose description tries to
    // forge a line, read by a wait whose deadline then ends it.
    let forged = "busy\r\n2026-11-24 INFO partner_center_cart: paid\u{1b}[2K";
    fake.push_reply(Reply::fault(503, 900_192, forged).header("Retry-After", "5"));
    let result: partner_center_cart::CartCheckoutResult =
        serde_json::from_str(
            r#"{"orders": [{"id": "ord0", "status": "pending"}, {"id": "ord1", "status": "none\r\nINFO forged\u001b[2K"}]}"#,
        )
        .unwrap();
    let error = client(&fake)
        .wait_for_orders(
            CUSTOMER,
            &result,
            partner_center_cart::WaitOptions::default()
                .initial_interval(std::time::Duration::ZERO)
                .timeout(std::time::Duration::from_secs(1)),
        )
        .unwrap_err();
    assert!(
        matches!(error, partner_center_cart::Error::WaitTimedOut { .. }),
        "{error:?}"
    );
    let records = logger.of_this_thread();
    let ours: Vec<_> = records
        .iter()
        .filter(|(_, target, _)| target == "partner_center_cart")
        .collect();
    assert!(
        ours.iter()
            .any(|(_, _, text)| text.contains("busy\\r\\n2026-11-24 INFO")),
        "{ours:#?}"
    );
    // So does a status the crate does not know, in the wait's warning.
    assert!(
        ours.iter()
            .any(|(level, _, text)| *level == Level::Warn && text.contains("none\\r\\nINFO forged")),
        "{ours:#?}"
    );
    for (_, _, text) in &ours {
        assert!(!text.contains(['\r', '\n', '\u{1b}']), "{text:?}");
    }

    // No record at debug level or above, ureq's included, shows the token.
    // (ureq's trace level dumps raw bytes in hex; the README warns of it.)
    assert!(
        records
            .iter()
            .any(|(_, target, _)| target.starts_with("ureq"))
    );
    for (level, target, text) in &records {
        if *level <= Level::Debug {
            assert!(!text.contains(TOKEN), "{target}: {text}");
        }
    }
}
