//! How long opening a journal of 100,000 finished purchases takes, and how
//! much memory: see `benches/README.md`.
//!
//! ```sh
//! cargo bench --bench journal
//! ```
//!
//! The journals are written in the file format `FileStore` documents, each
//! record a snapshot of the size a real purchase's records have. Each open
//! runs in a fresh child process (this binary again), which reports the
//! time `FileStore::open` took and its peak resident set (`VmHWM`) against
//! the resident set before it (`VmRSS`), so that nothing else the bench
//! allocated is counted. `BENCH_PURCHASES` and `BENCH_RUNS` change the
//! sizes.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use partner_center_cart::journal::{FileStore, JournalStore};

const CHILD: &str = "PCC_JOURNAL_BENCH_OPEN";

fn main() {
    if let Ok(path) = std::env::var(CHILD) {
        return open_once(Path::new(&path));
    }
    let purchases: u32 = number("BENCH_PURCHASES", 100_000);
    let runs: usize = number("BENCH_RUNS", 5) as usize;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("journal-bench");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a folder for the journals");

    println!("{purchases} finished purchases, {runs} opens each, median time and highest peak:");
    for (name, stages) in [
        ("compacted (one record a purchase)", &["finished"][..]),
        (
            "at the compaction threshold (two records a purchase)",
            &["checkout_sent", "finished"][..],
        ),
        (
            "never compacted (four records a purchase; opening compacts it)",
            &["started", "created", "checkout_sent", "finished"][..],
        ),
    ] {
        let path = dir.join("purchases.journal");
        let mut times = Vec::new();
        let mut peaks = Vec::new();
        let mut size = 0;
        for _ in 0..runs {
            // Written afresh each time: opening may compact it.
            size = write_journal(&path, purchases, stages);
            let (millis, peak) = open_in_child(&path, purchases);
            times.push(millis);
            peaks.push(peak);
        }
        times.sort_by(f64::total_cmp);
        let after = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!(
            "  {name}: {:.1} MB file ({:.1} MB after): open {:.0} ms, peak +{:.1} MB",
            size as f64 / 1e6,
            after as f64 / 1e6,
            times[times.len() / 2],
            peaks.iter().copied().fold(0.0, f64::max),
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

fn number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Opens the journal in a child process: milliseconds, and the peak
/// resident set above the one before the open, in MB.
fn open_in_child(path: &Path, purchases: u32) -> (f64, f64) {
    let output = Command::new(std::env::current_exe().expect("this binary"))
        .env(CHILD, path)
        .output()
        .expect("the child runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fields: Vec<f64> = text
        .split_whitespace()
        .map(|field| field.parse().expect("a number"))
        .collect();
    assert_eq!(fields[3] as u32, purchases, "every purchase listed");
    (fields[0], (fields[2] - fields[1]) / 1024.0)
}

/// In the child: opens the journal and prints the milliseconds it took,
/// the resident set before (kB), the peak after (kB) and the purchases.
fn open_once(path: &Path) {
    let before = status_kb("VmRSS:");
    let started = Instant::now();
    let store = FileStore::open(path).expect("the journal opens");
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let peak = status_kb("VmHWM:");
    let listed = store.list(None).expect("a list");
    assert!(listed.iter().all(|listed| listed.ended));
    println!("{millis} {before} {peak} {}", listed.len());
}

fn status_kb(field: &str) -> f64 {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the field")
}

/// Writes a journal of `purchases` purchases, each with a record per
/// stage (the last one ending it), stage by stage as a batch writes them.
/// Returns its size.
fn write_journal(path: &Path, purchases: u32, stages: &[&str]) -> u64 {
    let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(path).expect("the journal"));
    writeln!(out, "{{\"partner_center_cart_journal\":1}}").expect("written");
    let mut line = String::new();
    for stage in stages {
        for n in 0..purchases {
            line.clear();
            let customer = format!("28045616-f6b9-462f-9701-{n:012x}");
            let ends = *stage == "finished";
            write!(
                line,
                "{{\"v\":1,\"purchase\":\"{customer}/{n:064x}\",\"ends\":{ends},\"record\":"
            )
            .expect("formatted");
            snapshot(&mut line, &customer, n, stage);
            line.push_str("}\n");
            out.write_all(line.as_bytes()).expect("written");
        }
    }
    out.flush().expect("written");
    fs::metadata(path).expect("the journal").len()
}

/// A purchase's state at `stage`, as large as the journal's own: the
/// cart asked for, the request IDs, the cart and, once checked out, its
/// order and subscriptions.
fn snapshot(line: &mut String, customer: &str, n: u32, stage: &str) {
    write!(
        line,
        "{{\"stage\":\"{stage}\",\"customer\":\"{customer}\",\"label\":\"2026-12 true-up\",\
         \"cart\":{{\"lineItems\":[{{\"id\":0,\"catalogItemId\":\"CFQ7TTC0LH18:0001:CFQ7TTC0K5DM\",\
         \"quantity\":25,\"billingCycle\":\"monthly\",\"termDuration\":\"P1M\"}},\
         {{\"id\":1,\"catalogItemId\":\"CFQ7TTC0LF8Q:0001:CFQ7TTC0KDLJ\",\"quantity\":{},\
         \"billingCycle\":\"annual\",\"termDuration\":\"P1Y\"}}],\
         \"partnerOnRecordAttestationAccepted\":true}},\
         \"createRequestId\":\"6f1c2d3e-4b5a-4c6d-8e7f-{n:012x}\"",
        n % 300 + 1
    )
    .expect("formatted");
    if stage != "started" {
        write!(line, ",\"cartId\":\"3655b1a0-b1c9-4268-9824-{n:012x}\"").expect("formatted");
    }
    if stage == "checkout_sent" || stage == "finished" {
        write!(
            line,
            ",\"checkoutRequestId\":\"9a8b7c6d-5e4f-4a3b-9c2d-{n:012x}\",\"orderGroups\":[\"0\",\"1\"]"
        )
        .expect("formatted");
    }
    if stage == "finished" {
        write!(
            line,
            ",\"outcome\":{{\"orders\":[{{\"id\":\"b1e1c4f2-{:04x}-4a7d-9e3b-{n:012x}\",\
             \"status\":\"completed\",\"lineItems\":[\
             {{\"lineItemNumber\":0,\"offerId\":\"CFQ7TTC0LH18:0001:CFQ7TTC0K5DM\",\"quantity\":25,\
             \"subscriptionId\":\"c0ffee00-1234-4abc-8def-{n:012x}\",\"status\":\"active\"}},\
             {{\"lineItemNumber\":1,\"offerId\":\"CFQ7TTC0LF8Q:0001:CFQ7TTC0KDLJ\",\"quantity\":{},\
             \"subscriptionId\":\"c0ffee01-1234-4abc-8def-{n:012x}\",\"status\":\"active\"}}]}}],\
             \"toBuyAgain\":[],\"ordersVisible\":true,\"finishedAt\":\"2026-12-06T13:30:00Z\"}}",
            n % 0xffff,
            n % 300 + 1
        )
        .expect("formatted");
    }
    line.push('}');
}
