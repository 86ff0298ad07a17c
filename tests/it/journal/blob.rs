//! `journal::BlobStore` against a real Azure Blob Storage (Azurite, which
//! the tests install and start themselves), and against a loopback server
//! that answers what the storage never would.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use partner_center_cart::journal::{
    BlobStore, JournalError, JournalStore, Listed, PurchaseKey, StoredRecord,
};
use partner_center_cart::{Error, Proxy};

use common::azurite;

const CUSTOMER: &str = "28045616-f6b9-462f-9701-0d89b5e65c44";
const OTHER_CUSTOMER: &str = "6a1e0b8e-55b5-4b8a-9ad6-0f4e9fbd7cf1";

/// A new container's URL with its SAS, or `None` (with a message) when the
/// tests cannot run Azurite here.
fn container() -> Option<String> {
    let url = azurite::container();
    if url.is_none() {
        eprintln!("skipped: no Azurite (see the message above)");
    }
    url
}

fn key(customer: &str, digest: &str) -> PurchaseKey {
    PurchaseKey::from_name(&format!("{customer}/{digest}")).expect("a purchase key")
}

fn record(n: u32) -> StoredRecord {
    StoredRecord {
        json: format!(r#"{{"n":{n},"text":"ünïcode"}}"#),
        ends: false,
    }
}

fn last_record() -> StoredRecord {
    StoredRecord {
        json: r#"{"event":"finished"}"#.to_owned(),
        ends: true,
    }
}

fn store(url: &str) -> BlobStore {
    BlobStore::new(url).expect("a store on the container")
}

fn sorted(mut listed: Vec<Listed>) -> Vec<(String, bool)> {
    listed.sort_by(|a, b| a.key.cmp(&b.key));
    listed
        .into_iter()
        .map(|listed| (listed.key.name(), listed.ended))
        .collect()
}

#[test]
fn a_purchase_is_claimed_appended_read_released_and_listed() {
    let Some(url) = container() else { return };
    let store = store(&url);
    let purchase = key(CUSTOMER, "0a1b");
    assert_eq!(store.read(&purchase).unwrap(), Vec::<String>::new());

    let mut claim = store.claim(&purchase, "worker 1").unwrap();
    assert_eq!(claim.position(), 0);
    for n in 0..3 {
        store.append(&mut claim, &record(n)).unwrap();
    }
    // Stored before append returned: another store reads it at once.
    let other = self::store(&url);
    assert_eq!(other.read(&purchase).unwrap().len(), 3);
    assert_eq!(
        sorted(other.list(None).unwrap()),
        [(purchase.name(), false)]
    );
    store.append(&mut claim, &last_record()).unwrap();
    let length = claim.position();
    store.release(claim).unwrap();

    let records = other.read(&purchase).unwrap();
    let expected: Vec<String> = (0..3)
        .map(|n| record(n).json)
        .chain([last_record().json])
        .collect();
    assert_eq!(records, expected);
    assert_eq!(
        length,
        expected
            .iter()
            .map(|json| json.len() as u64 + 1)
            .sum::<u64>()
    );
    assert_eq!(sorted(other.list(None).unwrap()), [(purchase.name(), true)]);
    let customer = CUSTOMER.parse().unwrap();
    assert_eq!(
        sorted(other.list(Some(customer)).unwrap()),
        [(purchase.name(), true)]
    );
    let elsewhere = OTHER_CUSTOMER.parse().unwrap();
    assert_eq!(other.list(Some(elsewhere)).unwrap(), []);

    // Claimed again, it goes on where it ended, and stays ended.
    let mut claim = other.claim(&purchase, "worker 2").unwrap();
    assert_eq!(claim.position(), length);
    store.append(&mut claim, &record(9)).unwrap();
    other.release(claim).unwrap();
    assert_eq!(store.read(&purchase).unwrap().len(), 5);
    assert_eq!(sorted(store.list(None).unwrap()), [(purchase.name(), true)]);
}

#[test]
fn a_second_claim_is_refused_naming_the_holder_until_the_first_is_released() {
    let Some(url) = container() else { return };
    let (first, second) = (store(&url), store(&url));
    let purchase = key(CUSTOMER, "c1a1");
    let claim = first.claim(&purchase, "worker A on host-1").unwrap();
    for store in [&first, &second] {
        match store.claim(&purchase, "worker B") {
            Err(JournalError::Held {
                purchase: held,
                holder,
            }) => {
                assert_eq!(held, purchase.name());
                assert_eq!(holder, "worker A on host-1");
            }
            other => panic!("{other:?}"),
        }
    }
    first.release(claim).unwrap();

    // A claim on a blob that exists names its new holder too.
    let claim = second.claim(&purchase, "worker B\r\nforged").unwrap();
    match first.claim(&purchase, "worker A") {
        Err(error @ JournalError::Held { .. }) => {
            let JournalError::Held { holder, .. } = &error else {
                unreachable!()
            };
            assert_eq!(holder, "worker B\r\nforged");
            let shown = error.to_string();
            assert!(shown.contains(r"worker B\r\nforged"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
    second.release(claim).unwrap();
    first
        .release(first.claim(&purchase, "worker A").unwrap())
        .unwrap();
}

#[test]
fn a_renewed_lease_outlives_its_duration() {
    let Some(url) = container() else { return };
    let short = BlobStore::builder(&url)
        .lease_duration(Duration::from_secs(15))
        .build()
        .unwrap();
    let purchase = key(CUSTOMER, "4e4e");
    let mut claim = short.claim(&purchase, "slow worker").unwrap();
    thread::sleep(Duration::from_secs(18));
    assert!(matches!(
        store(&url).claim(&purchase, "eager worker"),
        Err(JournalError::Held { .. })
    ));
    short.append(&mut claim, &record(1)).unwrap();
    short.release(claim).unwrap();
}

#[test]
fn a_lapsed_lease_is_taken_over_and_its_old_holder_loses_the_claim() {
    let Some(url) = container() else { return };
    let short = || {
        BlobStore::builder(&url)
            .lease_duration(Duration::from_secs(15))
            .build()
            .unwrap()
    };
    let (dying, taker) = (short(), short());
    let purchase = key(CUSTOMER, "dead");
    let mut claim = dying.claim(&purchase, "dying worker").unwrap();
    dying.append(&mut claim, &record(1)).unwrap();
    // The worker stalls: its renewals stop (they live in the claim), but
    // it still has what it needs to append.
    let mut stalled =
        partner_center_cart::journal::Claim::new(purchase.clone(), claim.id(), claim.position());
    let stalled_at = Instant::now();
    drop(claim);

    let taken = loop {
        match taker.claim(&purchase, "taker") {
            Ok(claim) => break claim,
            Err(JournalError::Held { holder, .. }) => {
                assert_eq!(holder, "dying worker");
                assert!(
                    stalled_at.elapsed() < Duration::from_secs(30),
                    "the lease never lapsed"
                );
                thread::sleep(Duration::from_millis(500));
            }
            Err(other) => panic!("{other}"),
        }
    };
    assert!(
        stalled_at.elapsed() >= Duration::from_secs(13),
        "{:?}",
        stalled_at.elapsed()
    );
    let mut taken = taken;
    assert_eq!(taken.position(), stalled.position());
    taker.append(&mut taken, &record(2)).unwrap();

    match dying.append(&mut stalled, &record(3)) {
        Err(JournalError::ClaimLost {
            purchase: lost,
            reason,
        }) => {
            assert_eq!(lost, purchase.name());
            assert!(
                reason.contains("412") && reason.contains(&purchase.name()),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    taker.release(taken).unwrap();
    assert_eq!(
        taker.read(&purchase).unwrap(),
        [record(1).json, record(2).json]
    );
}

#[test]
fn an_append_at_the_wrong_position_or_without_the_lease_loses_the_claim() {
    let Some(url) = container() else { return };
    let store = store(&url);
    let purchase = key(CUSTOMER, "b0b0");
    let mut claim = store.claim(&purchase, "worker").unwrap();
    store.append(&mut claim, &record(1)).unwrap();
    let position = claim.position();
    for wrong in [0, position - 1, position + 1] {
        claim.set_position(wrong);
        match store.append(&mut claim, &record(2)) {
            Err(JournalError::ClaimLost { reason, .. }) => {
                assert!(reason.contains("AppendPositionConditionNotMet"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
    claim.set_position(position);
    let mut forged = partner_center_cart::journal::Claim::new(
        purchase.clone(),
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        position,
    );
    match store.append(&mut forged, &record(2)) {
        Err(JournalError::ClaimLost { reason, .. }) => {
            assert!(reason.contains("Lease"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    store.append(&mut claim, &record(2)).unwrap();
    store.release(claim).unwrap();
    assert_eq!(
        store.read(&purchase).unwrap(),
        [record(1).json, record(2).json]
    );
}

#[test]
fn every_worker_lists_ended_and_unfinished_purchases_alike() {
    let Some(url) = container() else { return };
    let (one, two) = (store(&url), store(&url));
    let ended = key(CUSTOMER, "e1");
    let released = key(CUSTOMER, "e2");
    let held = key(OTHER_CUSTOMER, "e3");

    let mut claim = one.claim(&ended, "one").unwrap();
    one.append(&mut claim, &record(1)).unwrap();
    one.append(&mut claim, &last_record()).unwrap();
    one.release(claim).unwrap();
    let mut claim = two.claim(&released, "two").unwrap();
    two.append(&mut claim, &record(1)).unwrap();
    two.release(claim).unwrap();
    let mut running = two.claim(&held, "two").unwrap();
    two.append(&mut running, &record(1)).unwrap();

    let expected = vec![
        (ended.name(), true),
        (released.name(), false),
        (held.name(), false),
    ];
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    let paged = BlobStore::builder(&url).list_page_size(1).build().unwrap();
    for store in [&one, &two, &paged] {
        assert_eq!(sorted(store.list(None).unwrap()), expected_sorted);
        assert_eq!(
            sorted(store.list(Some(CUSTOMER.parse().unwrap())).unwrap()),
            expected_sorted[..2]
        );
    }
    two.release(running).unwrap();
}

#[test]
fn the_signature_never_shows_in_debug_display_or_errors() {
    let Some(url) = container() else { return };
    let signature = url.split("sig=").nth(1).unwrap().to_owned();
    assert!(signature.len() > 20, "{signature}");
    let forged = url.replace(&signature, "AAAAsIgNaTuReAAAA%3D");
    let good = store(&url);
    let bad = store(&forged);
    let builder = BlobStore::builder(&url);
    let mut shown = vec![
        format!("{good:?}"),
        format!("{bad:?}"),
        format!("{builder:?}"),
    ];

    let purchase = key(CUSTOMER, "5a5a");
    let refused = bad.claim(&purchase, "worker").unwrap_err();
    let JournalError::Store(source) = &refused else {
        panic!("{refused:?}")
    };
    let blob_error = source
        .downcast_ref::<partner_center_cart::journal::BlobError>()
        .expect("a BlobError");
    assert_eq!(blob_error.status(), Some(403));
    // Azure says AuthenticationFailed; Azurite, AuthorizationFailure.
    let code = blob_error.code().unwrap_or_default();
    assert!(code.starts_with("Auth"), "{code}");
    assert!(
        blob_error.blob().ends_with(&purchase.name()),
        "{}",
        blob_error.blob()
    );
    let message = refused.to_string();
    assert!(
        message.contains(code) && message.contains("check the SAS"),
        "{message}"
    );
    shown.extend([
        message,
        format!("{refused:?}"),
        Error::from(refused).to_string(),
    ]);

    // A container that does not exist.
    let missing = url.replacen("/journal-", "/missing-", 1);
    let error = store(&missing).read(&purchase).unwrap_err();
    shown.extend([error.to_string(), format!("{error:?}")]);
    let error = store(&missing).list(None).unwrap_err().to_string();
    assert!(
        error.contains("403") || error.contains("ContainerNotFound"),
        "{error}"
    );
    shown.push(error);

    for text in &shown {
        assert!(!text.contains(&signature), "{text}");
        assert!(!text.contains("sIgNaTuRe"), "{text}");
    }
}

/// A loopback server that answers each request with what `answer` gives
/// for its request line, and closes the connection.
fn hostile(answer: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = Arc::new(answer);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let answer = Arc::clone(&answer);
            thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let _ = stream.write_all(&answer(&request_line));
            });
        }
    });
    format!(
        "http://127.0.0.1:{port}/devstoreaccount1/journal?sv=2021-08-06&sr=c&sp=racwl&sig=HoStIlE"
    )
}

fn response(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut answer = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body);
    answer
}

fn no_proxy(url: &str) -> partner_center_cart::journal::BlobStoreBuilder {
    BlobStore::builder(url).proxy(Proxy::none())
}

/// The message of a store error, checked to hide the signature.
fn store_error(result: Result<impl std::fmt::Debug, JournalError>) -> String {
    let error = result.expect_err("an error");
    assert!(matches!(error, JournalError::Store(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        !message.contains("HoStIlE") && !format!("{error:?}").contains("HoStIlE"),
        "{message}"
    );
    message
}

#[test]
fn hostile_answers_are_errors_not_panics() {
    let purchase = key(CUSTOMER, "f00d");
    let listing_of = |body: &'static str| {
        hostile(move |line| {
            if line.contains("comp=list") {
                response("200 OK", "", body.as_bytes())
            } else {
                response("500 Internal Server Error", "", b"")
            }
        })
    };

    // A listing larger than a page may be: 1 blob a page is 72 KiB.
    let url = hostile(|_| response("200 OK", "", &vec![b'<'; 200 * 1024]));
    let store = no_proxy(&url).list_page_size(1).build().unwrap();
    let message = store_error(store.list(None));
    assert!(
        message.contains("larger than") && message.contains("/devstoreaccount1/journal"),
        "{message}"
    );

    for (body, why) in [
        (
            "<!DOCTYPE x [<!ENTITY a 'b'>]><EnumerationResults/>",
            "document type",
        ),
        ("<EnumerationResults><Blobs><Blob>", "ends inside"),
        ("not xml at all", "outside its root"),
        ("", "no EnumerationResults"),
        (
            "<EnumerationResults><Blobs/><NextMarker>again</NextMarker></EnumerationResults>",
            "same next page twice",
        ),
    ] {
        let store = no_proxy(&listing_of(body)).build().unwrap();
        let message = store_error(store.list(None));
        assert!(message.contains(why), "{body}: {message}");
    }
    // Blobs that are not purchases' are left out.
    let store = no_proxy(&listing_of(
        "<EnumerationResults><Blobs><Blob><Name>notes.txt</Name></Blob></Blobs></EnumerationResults>",
    ))
    .build()
    .unwrap();
    assert_eq!(store.list(None).unwrap(), []);

    // A blob larger than the cap, declared or not.
    let url = hostile(|_| response("200 OK", "", &[b'x'; 4096]));
    let store = no_proxy(&url).max_blob_bytes(1024).build().unwrap();
    assert!(store_error(store.read(&purchase)).contains("larger than 1024 bytes"));
    let url = hostile(|_| {
        let mut answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
        answer.extend_from_slice(&[b'x'; 4096]);
        answer
    });
    let store = no_proxy(&url).max_blob_bytes(1024).build().unwrap();
    assert!(store_error(store.read(&purchase)).contains("1024"));

    // A blob whose last record has no line end, or that is not text.
    for (body, why) in [(&b"{}\n{"[..], "line end"), (b"\xff\n", "UTF-8")] {
        let url = hostile(move |_| response("200 OK", "", body));
        let message = store_error(no_proxy(&url).build().unwrap().read(&purchase));
        assert!(message.contains(why), "{message}");
    }

    // An error that quotes the request URL, signature and all, and
    // control characters.
    let url = hostile(|line| {
        let body = format!(
            "<?xml version=\"1.0\"?><Error><Code>Bad\r\nCode</Code><Message>you sent {line}</Message></Error>"
        );
        response(
            "500 Internal Server Error",
            "x-ms-error-code: InternalError\r\n",
            body.as_bytes(),
        )
    });
    let store = no_proxy(&url).build().unwrap();
    let message = store_error(store.claim(&purchase, "worker"));
    assert!(
        message.contains("500 InternalError") && message.contains("sig=<redacted>"),
        "{message}"
    );
    assert!(!message.contains(['\r', '\n']), "{message}");

    // A lease taken, whose holder metadata is hostile text.
    let url = hostile(|line| {
        if line.starts_with("HEAD") {
            response(
                "200 OK",
                "x-ms-blob-type: AppendBlob\r\nx-ms-meta-holder: evil%0D%0A%1B[2Jworker\r\n",
                b"",
            )
        } else if line.contains("comp=lease") {
            response(
                "409 Conflict",
                "x-ms-error-code: LeaseAlreadyPresent\r\n",
                b"",
            )
        } else {
            response("201 Created", "", b"")
        }
    });
    match no_proxy(&url).build().unwrap().claim(&purchase, "worker") {
        Err(error @ JournalError::Held { .. }) => {
            let shown = error.to_string();
            assert!(shown.contains(r"evil\r\n\u{1b}[2Jworker"), "{shown}");
        }
        other => panic!("{other:?}"),
    }

    // Garbage instead of HTTP, and nothing at all (each tried three times).
    for garbage in [&b"SMTP ready\r\n\r\n"[..], b""] {
        let url = hostile(move |_| garbage.to_vec());
        let store = no_proxy(&url).build().unwrap();
        store_error(store.read(&purchase));
    }
}

/// A loopback server that gives each request the answer of its turn
/// (counted from 0), and records the request lines.
fn scripted(
    answer: impl Fn(usize, &str) -> Vec<u8> + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&lines);
    let url = hostile(move |line| {
        let mut lines = seen.lock().unwrap();
        lines.push(line.trim_end().to_owned());
        answer(lines.len() - 1, line)
    });
    (url, lines)
}

#[test]
fn calls_that_fail_in_passing_are_sent_again() {
    let purchase = key(CUSTOMER, "7e7e");
    // 503, then no answer, then the blob.
    let (url, lines) = scripted(|turn, _| match turn {
        0 => response(
            "503 Service Unavailable",
            "x-ms-error-code: ServerBusy\r\n",
            b"",
        ),
        1 => Vec::new(),
        _ => response("200 OK", "", b"{}\n"),
    });
    let store = no_proxy(&url).build().unwrap();
    assert_eq!(store.read(&purchase).unwrap(), ["{}"]);
    assert_eq!(lines.lock().unwrap().len(), 3);

    // Busy three times: the error says so, with the code.
    let (url, lines) = scripted(|_, _| {
        response(
            "503 Service Unavailable",
            "x-ms-error-code: ServerBusy\r\n",
            b"",
        )
    });
    let message = store_error(no_proxy(&url).build().unwrap().read(&purchase));
    assert!(
        message.contains("503 ServerBusy") && message.contains("run again later"),
        "{message}"
    );
    assert_eq!(lines.lock().unwrap().len(), 3);

    // A refusal is final at once.
    let (url, lines) = scripted(|_, _| {
        response(
            "403 Forbidden",
            "x-ms-error-code: AuthorizationFailure\r\n",
            b"",
        )
    });
    store_error(no_proxy(&url).build().unwrap().read(&purchase));
    assert_eq!(lines.lock().unwrap().len(), 1);
}

#[test]
fn an_append_whose_answer_was_lost_is_stored_once() {
    let purchase = key(CUSTOMER, "1057");
    let line = format!("{}\n", record(1).json);
    // Claim (create, lease, length), then the append's answer is lost;
    // sent again, it is refused for its position, and the blob holds the
    // line there.
    let script = |holds: String| {
        scripted(move |turn, request| match turn {
            0 | 1 => response("201 Created", "", b""),
            2 => response("200 OK", "", b""),
            3 => Vec::new(),
            4 => response(
                "412 Precondition Failed",
                "x-ms-error-code: AppendPositionConditionNotMet\r\n",
                b"",
            ),
            _ if request.starts_with("GET") => {
                response("206 Partial Content", "", holds.as_bytes())
            }
            _ => response("200 OK", "", b""),
        })
    };
    let (url, lines) = script(line.clone());
    let store = no_proxy(&url).build().unwrap();
    let mut claim = store.claim(&purchase, "worker").unwrap();
    store.append(&mut claim, &record(1)).unwrap();
    assert_eq!(claim.position(), line.len() as u64);
    let lines = lines.lock().unwrap().clone();
    assert!(
        lines[3].contains("comp=appendblock") && lines[4].contains("comp=appendblock"),
        "{lines:?}"
    );
    assert!(lines[5].starts_with("GET"), "{lines:?}");

    // Another writer's line there: the claim is lost.
    let (url, _) = script("{\"other\":1}\n".to_owned());
    let store = no_proxy(&url).build().unwrap();
    let mut claim = store.claim(&purchase, "worker").unwrap();
    match store.append(&mut claim, &record(1)) {
        Err(JournalError::ClaimLost { reason, .. }) => {
            assert!(reason.contains("AppendPositionConditionNotMet"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(claim.position(), 0);
}

#[test]
fn a_new_purchase_costs_the_requests_the_docs_count() {
    // Acquire answers 201 and release 200 in Azure; the store takes 200
    // for both, and the request line does not show which it is.
    let (url, lines) = scripted(|_, request| {
        if request.starts_with("GET") {
            response("404 Not Found", "x-ms-error-code: BlobNotFound\r\n", b"")
        } else if request.starts_with("HEAD")
            || request.contains("comp=metadata")
            || request.contains("comp=lease")
        {
            response("200 OK", "", b"")
        } else {
            response("201 Created", "", b"")
        }
    });
    let store = no_proxy(&url).build().unwrap();
    let purchase = key(CUSTOMER, "c057");
    assert_eq!(store.read(&purchase).unwrap(), Vec::<String>::new());
    let mut claim = store.claim(&purchase, "worker").unwrap();
    for n in 0..4 {
        store.append(&mut claim, &record(n)).unwrap();
    }
    store.append(&mut claim, &last_record()).unwrap();
    store.release(claim).unwrap();
    let lines = lines.lock().unwrap().clone();
    let calls: Vec<&str> = lines
        .iter()
        .map(|line| {
            let comp = line
                .split("comp=")
                .nth(1)
                .map(|rest| rest.split(['&', ' ']).next().unwrap());
            match (line.split(' ').next().unwrap(), comp) {
                ("GET", None) => "read",
                ("HEAD", None) => "length",
                ("PUT", None) => "create",
                ("PUT", Some("lease")) => "lease",
                ("PUT", Some("appendblock")) => "append",
                ("PUT", Some("metadata")) => "metadata",
                _ => "other",
            }
        })
        .collect();
    assert_eq!(
        calls,
        [
            "read", "create", "lease", "length", "append", "append", "append", "append", "append",
            "metadata", "lease"
        ]
    );
}

/// Three seats bought from a fake, with a journal on the container at
/// `url`.
fn bought_on(
    url: &str,
) -> (
    partner_center_cart::fake::FakePartnerCenter,
    partner_center_cart::Client,
    partner_center_cart::journal::Purchase,
    partner_center_cart::journal::PurchaseOutcome,
) {
    use partner_center_cart::journal::{Journal, Purchase};
    use partner_center_cart::{BillingCycle, CartLineItem, NewCart};

    let fake = common::start();
    fake.set_polls_until_complete(1);
    let client = common::client(&fake);
    let cart = NewCart::new()
        .line_item(
            CartLineItem::new("CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", 3, BillingCycle::Monthly)
                .term_duration("P1M"),
        )
        .partner_on_record_attestation_accepted(true);
    let purchase = Purchase::new(CUSTOMER, cart).unwrap();
    let outcome = Journal::open(url)
        .unwrap()
        .run(&client, &purchase, common::quick_wait())
        .unwrap();
    assert!(outcome.is_complete(), "{outcome}");
    (fake, client, purchase, outcome)
}

#[test]
fn journal_open_takes_a_container_url_and_every_journal_on_it_sees_its_purchases() {
    use partner_center_cart::journal::Journal;

    let Some(url) = container() else { return };
    let (fake, client, purchase, outcome) = bought_on(&url);

    // Another journal on the container, its scheme typed in capitals, knows
    // the purchase finished and buys nothing more.
    let shouted = format!("HTTP{}", &url["http".len()..]);
    let other = Journal::open(shouted).unwrap();
    let stored = other.outcome(purchase.key()).unwrap().expect("finished");
    assert_eq!(stored.orders, outcome.orders);
    let sent = fake.requests().len();
    other.run(&client, &purchase, common::quick_wait()).unwrap();
    assert_eq!(fake.requests().len(), sent);
    assert_eq!(fake.orders().len(), 1);
    assert!(other.unfinished(None).unwrap().is_empty());
    let signature = url.split("sig=").nth(1).unwrap().split('&').next().unwrap();
    assert!(!format!("{other:?}").contains(signature));
}

#[test]
fn a_purchase_that_ended_before_its_blob_was_marked_is_not_unfinished() {
    use partner_center_cart::journal::Journal;

    let Some(url) = container() else { return };
    let (fake, client, purchase, _) = bought_on(&url);
    let journal = Journal::open(&url).unwrap();

    // The writer stored the last record and died before it marked the blob.
    azurite::clear_metadata(&url, &purchase.key().name());
    assert!(
        sorted(store(&url).list(None).unwrap()).contains(&(purchase.key().name(), false)),
        "the listing does not know it ended"
    );
    assert!(journal.unfinished(None).unwrap().is_empty());
    let customer = purchase.key().customer();
    assert!(journal.unfinished(Some(customer)).unwrap().is_empty());
    // Nor is it run again.
    let sent = fake.requests().len();
    journal
        .run(&client, &purchase, common::quick_wait())
        .unwrap();
    assert_eq!(fake.requests().len(), sent);
}

#[test]
fn a_blob_written_between_its_create_and_its_lease_is_claimed_at_its_end() {
    // This claim created the blob, but another worker leased it and wrote
    // two records before this one's lease: the claim starts at their end.
    let (url, lines) = scripted(|turn, _| match turn {
        0 | 1 => response("201 Created", "", b""),
        // A HEAD: the length, and no body.
        2 => b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\nConnection: close\r\n\r\n".to_vec(),
        _ => response("200 OK", "", b""),
    });
    let store = no_proxy(&url).build().unwrap();
    let claim = store.claim(&key(CUSTOMER, "5a1e"), "worker").unwrap();
    assert_eq!(claim.position(), 42);
    let lines = lines.lock().unwrap().clone();
    assert!(lines[2].starts_with("HEAD"), "{lines:?}");
    assert!(
        lines[3].contains("comp=metadata"),
        "the holder is named: {lines:?}"
    );
}
