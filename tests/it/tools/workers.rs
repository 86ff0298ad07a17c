//! Many workers, one batch: several `bulk` processes on one CSV and one
//! Azure Blob Storage container (a real Azurite), each killed with SIGKILL
//! at a random moment and started again, and every customer bought exactly
//! once. Purchases a dead worker held are taken over once their 15 s leases
//! lapse, and every worker's last run exits 0.

#![cfg(unix)]

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::azurite;
use common::start;
use common::tools::{self, against_fake, exit_code, folder, lines_bought, text, write_batch};
use partner_center_cart::fake::FakePartnerCenter;
use partner_center_cart::journal::{Journal, LEASE_VARIABLE};

const OFFICE: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
const CUSTOMERS: usize = 24;
const WORKERS: usize = 3;

/// A small pseudo-random sequence (xorshift), seeded from the clock or
/// from `WORKERS_SEED`, printed so that a failing run can be repeated.
struct Random(u64);

impl Random {
    fn new() -> Random {
        let seed = std::env::var("WORKERS_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(1, |since| since.as_nanos() as u64)
            })
            .max(1);
        eprintln!("WORKERS_SEED={seed}");
        Random(seed)
    }

    /// A number from `low` to `high`, both included.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + self.0 % (high - low + 1)
    }
}

fn customers() -> Vec<String> {
    tools::customers("7c2e4a10-9b3d-4f5e-8a6b", CUSTOMERS)
}

/// A `bulk` worker on the container, in a folder of its own.
fn worker(fake: &FakePartnerCenter, container: &str, customers: &[String], n: usize) -> Command {
    let dir = folder();
    let name = format!("worker-{n}.csv");
    write_batch(&dir, &name, customers, &["CFQ7TTC0LH0Z,0001,3,,"]);
    let mut command = against_fake("bulk", fake.base_url());
    command.current_dir(&dir).env(LEASE_VARIABLE, "15").args([
        name,
        format!("--journal={container}"),
        "--parallel=2".into(),
    ]);
    command
}

fn spawn(mut command: Command) -> Child {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bulk starts")
}

fn checkouts_seen(fake: &FakePartnerCenter) -> usize {
    fake.requests()
        .iter()
        .filter(|request| request.path.ends_with("/checkout"))
        .count()
}

/// Each customer: one cart, one order, the seats bought once.
fn assert_each_bought_once(fake: &FakePartnerCenter, customers: &[String]) {
    for customer in customers {
        assert_eq!(fake.carts(customer).len(), 1, "one cart for {customer}");
        assert_eq!(
            lines_bought(fake, customer),
            [(OFFICE.to_owned(), 3)],
            "bought once for {customer}"
        );
    }
    assert_eq!(fake.orders().len(), customers.len());
}

#[test]
fn workers_sharing_a_container_and_killed_at_random_buy_every_customer_once() {
    let Some(container) = azurite::container() else {
        eprintln!("skipped: no Azurite (see the message above)");
        return;
    };
    let mut random = Random::new();
    let fake = start();
    fake.set_polls_until_complete(0);
    // Slow checkouts, so that a kill often lands while one is in doubt.
    fake.delay_checkout_answers(Duration::from_millis(400));
    let customers = customers();

    // Three workers at once, each killed at a random moment of the batch
    // (once the fake has seen a random number of checkouts, and a random
    // pause more: inside a checkout's answer or outside it) and started
    // again at once with the same command.
    let mut workers: Vec<Child> = (0..WORKERS)
        .map(|n| spawn(worker(&fake, &container, &customers, n)))
        .collect();
    let mut kills: Vec<(usize, usize, Duration)> = (0..WORKERS)
        .map(|n| {
            let checkouts = random.between(1, CUSTOMERS as u64 * 2 / 3) as usize;
            (n, checkouts, Duration::from_millis(random.between(0, 600)))
        })
        .collect();
    kills.sort_by_key(|(_, checkouts, _)| *checkouts);
    let deadline = Instant::now() + Duration::from_secs(120);
    for (n, checkouts, pause) in kills {
        while checkouts_seen(&fake) < checkouts {
            assert!(Instant::now() < deadline, "the batch stalled");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(pause);
        let running = workers[n].try_wait().unwrap().is_none();
        workers[n].kill().expect("SIGKILL");
        let status = workers[n].wait().unwrap();
        if running {
            assert_eq!(
                std::os::unix::process::ExitStatusExt::signal(&status),
                Some(9),
                "worker {n} killed by SIGKILL"
            );
        }
        eprintln!(
            "worker {n}: killed {pause:?} after checkout {checkouts} (still running: {running})"
        );
        workers[n] = spawn(worker(&fake, &container, &customers, n));
    }
    // The runs started again finish the batch between them: their own
    // purchases, those finished before the kills, and those the killed
    // runs held, once their leases lapse.
    for (n, child) in workers.into_iter().enumerate() {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            exit_code(&output),
            Some(0),
            "worker {n}, started again: {}",
            text(&output.stderr)
        );
    }
    assert_each_bought_once(&fake, &customers);

    // Two more runs at once: everything is finished, so both exit 0 and
    // nothing more is bought.
    let posts_before = fake
        .requests()
        .iter()
        .filter(|request| request.method == "POST")
        .count();
    let last: Vec<Child> = (0..2)
        .map(|n| spawn(worker(&fake, &container, &customers, WORKERS + n)))
        .collect();
    for (n, child) in last.into_iter().enumerate() {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            exit_code(&output),
            Some(0),
            "last run {n}: {}",
            text(&output.stderr)
        );
    }
    let posts_after = fake
        .requests()
        .iter()
        .filter(|request| request.method == "POST")
        .count();
    assert_eq!(
        posts_after, posts_before,
        "the last runs sent no create or checkout"
    );
    assert_each_bought_once(&fake, &customers);
    let journal = Journal::open(&container).unwrap();
    let unfinished = journal.unfinished(None).unwrap();
    assert!(unfinished.is_empty(), "{unfinished:#?}");
}
