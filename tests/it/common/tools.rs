//! The example tools as child processes: built once per run with the
//! test's features, run with an environment that holds only what is given,
//! each in a folder of its own where it keeps its journal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use partner_center_cart::fake::FakePartnerCenter;
use partner_center_cart::model::Order;

use super::CUSTOMER;

/// The path of an example's binary, built once per run with this test's
/// features (a no-op after `cargo test`, which builds the examples).
pub fn example(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !built.iter().any(|done| done == name) {
        build_example(name);
        built.push(name.to_owned());
    }
    // This test runs from target/<profile>/deps; examples are beside it.
    let deps = std::env::current_exe().unwrap();
    let profile = deps.parent().and_then(|dir| dir.parent()).unwrap();
    profile
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn build_example(name: &str) {
    let features: Vec<&str> = [
        ("rustls", cfg!(feature = "rustls")),
        ("native-tls", cfg!(feature = "native-tls")),
        ("platform-verifier", cfg!(feature = "platform-verifier")),
        ("gzip", cfg!(feature = "gzip")),
        ("fake", cfg!(feature = "fake")),
    ]
    .into_iter()
    .filter_map(|(feature, on)| on.then_some(feature))
    .collect();
    let mut cargo = Command::new(env!("CARGO"));
    // What cargo sets for this test would reach build scripts that watch it
    // and make cargo rebuild their crates, here and in the next `cargo test`.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_for_this_crate = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || [
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ]
            .contains(&name.as_ref());
        if set_for_this_crate {
            cargo.env_remove(name.as_ref());
        }
    }
    let status = cargo
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--quiet",
            "--example",
            name,
            "--no-default-features",
        ])
        .args(["--features", &features.join(",")])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --example {name} failed");
}

/// A command for an example, with an environment that holds only the
/// variables given (and no proxy).
pub fn command(name: &str, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(example(name));
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    // The tools check orders every 50 ms here, not after 5 s and more.
    command.env("PARTNER_CENTER_POLL_MS", "50");
    command.envs(vars.iter().copied());
    command
}

/// A command for an example pointed at the fake at `fake_url`, with a
/// token from the environment.
pub fn against_fake(name: &str, fake_url: &str) -> Command {
    command(
        name,
        &[
            ("PARTNER_CENTER_BASE_URL", fake_url),
            ("PARTNER_CENTER_TOKEN", "test-token"),
        ],
    )
}

/// A new empty folder to run a tool in, where it keeps its journal.
pub fn folder() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "examples-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `purchase` against a fake with a token from the environment, in a
/// folder of its own.
pub fn purchase(fake_url: &str, args: &[&str]) -> Output {
    purchase_in(&folder(), fake_url, args)
}

/// Runs `purchase` in `dir`, with the journal a run before left there.
pub fn purchase_in(dir: &Path, fake_url: &str, args: &[&str]) -> Output {
    against_fake("purchase", fake_url)
        .current_dir(dir)
        .arg(CUSTOMER)
        .args(args)
        .output()
        .expect("purchase runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn exit_code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// `count` customer IDs: `prefix`, the first four groups of a GUID, then a
/// last group counting from zero. Each test file has a prefix of its own.
pub fn customers(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|n| format!("{prefix}-{n:012}")).collect()
}

/// Writes the batch `name` into `dir`: the header, then each of `lines`
/// (`product,sku,quantity,billing,term`) for each customer. Returns `name`.
pub fn write_batch(dir: &Path, name: &str, customers: &[String], lines: &[&str]) -> String {
    let mut text = "customer,product,sku,quantity,billing,term\n".to_owned();
    for customer in customers {
        for line in lines {
            text.push_str(&format!("{customer},{line}\n"));
        }
    }
    std::fs::write(dir.join(name), text).unwrap();
    name.to_owned()
}

/// Runs `bulk` in `dir` against the fake, with the journal a run before
/// left there.
pub fn bulk(dir: &Path, fake: &FakePartnerCenter, args: &[&str]) -> Output {
    against_fake("bulk", fake.base_url())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("bulk runs")
}

/// The orders the fake made for `customer`, however its ID is spelt.
pub fn orders_of(fake: &FakePartnerCenter, customer: &str) -> Vec<Order> {
    fake.orders()
        .into_iter()
        .filter(|order| {
            order
                .reference_customer_id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(customer))
        })
        .collect()
}

/// What the fake sold `customer`: the offer and quantity of each line of
/// each of its orders, sorted.
pub fn lines_bought(fake: &FakePartnerCenter, customer: &str) -> Vec<(String, i64)> {
    let mut lines: Vec<(String, i64)> = orders_of(fake, customer)
        .into_iter()
        .flat_map(|order| order.line_items)
        .map(|line| (line.offer_id.unwrap_or_default(), line.quantity))
        .collect();
    lines.sort();
    lines
}
