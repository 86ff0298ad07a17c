//! The bulk tool against a service that throttles: 60 customers, one line
//! each, against the fake with a rate limit of 10 requests a second (the
//! rest answered 429 with `Retry-After: 1`), 40 ms an answer, and orders
//! pending at first. The built `bulk` example runs with `--parallel=64` and
//! with its defaults, each against a fresh fake in a fresh folder, and the
//! benchmark prints for each how many customers were bought (each exactly
//! once), the share of requests throttled, and the wall time against the
//! bound the rate sets: the useful (not throttled) requests divided by the
//! rate.
//!
//! ```text
//! cargo bench --bench bulk --features fake
//! ```
//!
//! Targets (issue 22): every customer bought once in one run with exit 0,
//! at most 10% of requests throttled, and a wall time within 1.25 times the
//! bound with `--parallel=64` and 1.5 times with the defaults. It exits 1
//! when a target is missed.
//!
//! Knobs, as environment variables: `BENCH_CUSTOMERS` (60), `BENCH_RATE`
//! (requests a second, 10), `BENCH_DELAY_MS` (per answer, 40).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use partner_center_cart::fake::FakePartnerCenter;

/// The arms: their switches, and the bound on wall time over the rate's.
const ARMS: [(&str, Option<&str>, f64); 2] = [
    ("--parallel=64", Some("--parallel=64"), 1.25),
    ("defaults", None, 1.5),
];

/// The most requests that may be throttled.
const MAX_THROTTLED_SHARE: f64 = 0.10;

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() -> ExitCode {
    let customers = usize::try_from(knob("BENCH_CUSTOMERS", 60)).unwrap_or(60);
    let rate = u32::try_from(knob("BENCH_RATE", 10)).unwrap_or(10).max(1);
    let delay = Duration::from_millis(knob("BENCH_DELAY_MS", 40));
    let tool = build_bulk();
    println!(
        "bulk: {customers} customers, one line each; the fake takes {rate} requests a second \
         (429 + Retry-After: 1 past it) and {} ms an answer; orders pending at first",
        delay.as_millis()
    );
    println!(
        "| arm | exit | bought once | requests (useful) | throttled | wall | bound | wall / bound | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut all_met = true;
    for (name, switch, target) in ARMS {
        let run = run(&tool, customers, rate, delay, switch);
        let share = run.throttled as f64 / run.requests.max(1) as f64;
        let bound = (run.requests - run.throttled) as f64 / f64::from(rate);
        let ratio = run.wall.as_secs_f64() / bound.max(f64::MIN_POSITIVE);
        let met = run.exit == Some(0)
            && run.bought_once == customers
            && share <= MAX_THROTTLED_SHARE
            && ratio <= target;
        all_met &= met;
        println!(
            "| {name} | {} | {}/{customers} | {} ({}) | {} ({:.1}%) | {:.1} s | {bound:.1} s | {ratio:.2}× | ≤ {target}× {} |",
            run.exit
                .map_or("signal".to_owned(), |code| code.to_string()),
            run.bought_once,
            run.requests,
            run.requests - run.throttled,
            run.throttled,
            share * 100.0,
            run.wall.as_secs_f64(),
            if met { "✓" } else { "✗" },
        );
    }
    if all_met {
        ExitCode::SUCCESS
    } else {
        println!("a target was missed");
        ExitCode::FAILURE
    }
}

/// What one run of the tool came to.
struct Run {
    exit: Option<i32>,
    /// The customers with exactly one order.
    bought_once: usize,
    /// The requests the fake received, throttled ones included.
    requests: usize,
    throttled: usize,
    wall: Duration,
}

fn run(tool: &Path, customers: usize, rate: u32, delay: Duration, switch: Option<&str>) -> Run {
    let fake = FakePartnerCenter::builder()
        .rate_limit(rate)
        .answer_delay(delay)
        .max_recorded_requests(1_000_000)
        .start()
        .expect("the fake starts");
    fake.set_polls_until_complete(1);
    let dir = std::env::temp_dir().join(format!("bulk-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a work folder");
    let ids: Vec<String> = (0..customers)
        .map(|n| format!("28045616-f6b9-462f-9701-{n:012}"))
        .collect();
    let mut csv = "customer,product,sku,quantity,billing,term\n".to_owned();
    for id in &ids {
        csv.push_str(&format!("{id},CFQ7TTC0LH0Z,0001,5,,\n"));
    }
    std::fs::write(dir.join("batch.csv"), csv).expect("the CSV is written");

    let mut command = Command::new(tool);
    command
        .current_dir(&dir)
        .env_clear()
        .env("PARTNER_CENTER_BASE_URL", fake.base_url())
        .env("PARTNER_CENTER_TOKEN", "bench-token")
        .arg("batch.csv")
        .args(switch)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let status = command.status().expect("bulk runs");
    let wall = started.elapsed();

    let orders = fake.orders();
    let bought_once = ids
        .iter()
        .filter(|id| {
            orders
                .iter()
                .filter(|order| {
                    order
                        .reference_customer_id
                        .as_deref()
                        .is_some_and(|customer| customer.eq_ignore_ascii_case(id))
                })
                .count()
                == 1
        })
        .count();
    let requests = fake.requests();
    let throttled = requests.iter().filter(|request| request.throttled).count();
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        exit: status.code(),
        bought_once,
        requests: requests.len(),
        throttled,
        wall,
    }
}

/// Builds the `bulk` example in this benchmark's profile and returns its
/// path.
fn build_bulk() -> PathBuf {
    let mut cargo = Command::new(env!("CARGO"));
    // What cargo sets for this benchmark would make it rebuild the crate.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        let ours = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&name.as_str());
        if ours {
            cargo.env_remove(&name);
        }
    }
    let status = cargo
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--release", "--example", "bulk"])
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "cargo build --release --example bulk failed"
    );
    // This benchmark runs from target/release/deps; examples are beside it.
    let exe = std::env::current_exe().expect("the benchmark's path");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    profile
        .join("examples")
        .join(format!("bulk{}", std::env::consts::EXE_SUFFIX))
}
