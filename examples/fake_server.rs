//! Runs the fake Partner Center until stopped, to try a tool (the
//! `purchase` and `checkout` examples, or your own) against it without an
//! account, and to drive it through each of its outcomes with switches.
//!
//! It prints its base URL on the first line of standard output and, on the
//! second, an app+user token it accepts for a day (an unsigned JWT with
//! Partner Center's audience, from the tenant `fake::FAKE_TENANT_ID`); the
//! third sets both variables for a shell that copies it. Any opaque token
//! works too, but only a JWT shows the doctor's token checks. `--help`
//! prints the switches.
//!
//! ```text
//! cargo run --example fake_server --features fake -- [switches]
//! # in another terminal, the line it prints to copy:
//! export PARTNER_CENTER_BASE_URL=http://127.0.0.1:PORT PARTNER_CENTER_TOKEN=eyJ...
//! cargo run --example purchase -- 28045616-f6b9-462f-9701-0d89b5e65c44 CFQ7TTC0LH18:0001=5
//! cargo run --example checkout -- doctor 28045616-f6b9-462f-9701-0d89b5e65c44
//! cargo run --example checkout -- products 28045616-f6b9-462f-9701-0d89b5e65c44
//! cargo run --example checkout -- orders 28045616-f6b9-462f-9701-0d89b5e65c44
//! ```
//!
//! Switches (each may be given more than once where it names an item):
//!
//! - `--fail-checkout <N>[:<STATUS>]`: answer the first N checkout requests
//!   with STATUS (503 by default) and the service's error body for it. The
//!   client makes 4 attempts by default, so fewer failures are retried
//!   away, and 4 or more make a checkout call fail (8 for a tool that
//!   repeats it once).
//! - `--cut-checkout <N>`: the first N checkouts go through but their answer
//!   arrives cut short: an outcome the tool cannot read, to repeat.
//! - `--reject <CATALOG-ITEM>`: line items of this catalog item come back
//!   in error (10003, out of inventory), add-ons included: a rule for an item
//!   the fake's catalog sells (one it does not sell is in error anyway).
//! - `--fail-order-group <CATALOG-ITEM>`: at checkout, the order group
//!   holding this catalog item fails (an `orderErrors` entry).
//! - `--cancel-order-group <CATALOG-ITEM>`: the order made of the order
//!   group holding this catalog item ends cancelled.
//! - `--pending-polls <N>`: orders complete at the Nth read, and stay
//!   pending until then (2 by default; 0 for orders that checkout already
//!   returns completed).
//! - `--checkout-in-progress <N>`: the first N checkouts take effect (the
//!   orders are made) while answering 409 "in progress": 800060 the first
//!   time for a cart, 800064 for its repeats. The client keeps the request
//!   ID and retries; checking out the same cart again later returns the
//!   orders.
//! - `--require-mfa`: refuse app+user tokens whose `amr` claim lacks `mfa`
//!   with 401 and code 900421, as Partner Center does since April 2026; the
//!   token printed then lacks it, so a tool using it meets the refusal
//!   (app-only and opaque tokens are taken as before).
//!
//! Switches for crash tests, where the fake acts and the tool does not
//! learn of it:
//!
//! - `--checkout-answer-delay <MS>`: every checkout takes effect at once
//!   and answers MS milliseconds later, a window to kill a tool in.
//! - `--lose-create <N>`: the first N cart creations take effect and close
//!   the connection without an answer.
//! - `--repeated-checkout <replay|800065>`: a checkout of a cart already
//!   checked out replays the first result (the default, as the service
//!   does) or fails with 800065, as older versions of the service did.
//! - `--order-list-lag <MS>`: a new order stays out of order lists for MS
//!   milliseconds (the service's lists lag by up to 15 minutes).
//!
//! Switches for load, to see a tool meet the service's limits:
//!
//! - `--rate-limit <N>`: take at most N requests in any one second and
//!   answer the rest 429 with `Retry-After: 1`, as Partner Center throttles
//!   (it publishes 500 a minute for orders, customers and subscriptions).
//! - `--answer-delay <MS>`: every answer takes MS milliseconds, as from a
//!   service far away.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use partner_center_cart::fake::{FakeBuilder, FakePartnerCenter, FakeToken, Reply};
use partner_center_cart::model::{CartError, CartErrorCode};

const USAGE: &str = "usage: fake_server [--fail-checkout N[:STATUS]] [--cut-checkout N] \
                     [--reject ITEM] [--fail-order-group ITEM] [--cancel-order-group ITEM] \
                     [--pending-polls N] [--checkout-answer-delay MS] [--lose-create N] \
                     [--repeated-checkout replay|800065] [--order-list-lag MS] \
                     [--checkout-in-progress N] [--require-mfa] \
                     [--rate-limit N] [--answer-delay MS]
       fake_server -h | --help
Prints the base URL, a token the fake accepts, and a line to copy that exports
both; runs until stopped. The switches are described in examples/README.md.";

fn main() -> ExitCode {
    if std::env::args()
        .skip(1)
        .any(|arg| arg == "-h" || arg == "--help")
    {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let (builder, rest) = match builder_switches(std::env::args().skip(1)) {
        Ok(split) => split,
        Err(problem) => {
            eprintln!("error: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let fake = match builder.start() {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!("error: could not listen on loopback: {error}");
            return ExitCode::FAILURE;
        }
    };
    let switches = match apply_switches(&fake, rest) {
        Ok(switches) => switches,
        Err(problem) => {
            eprintln!("error: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut token = FakeToken::new().expires_at(SystemTime::now() + Duration::from_secs(24 * 3600));
    if switches.require_mfa {
        token = token.without_mfa();
    }
    let token = token.mint();
    println!("{}", fake.base_url());
    println!("{token}");
    println!(
        "export PARTNER_CENTER_BASE_URL={} PARTNER_CENTER_TOKEN={token}",
        fake.base_url()
    );
    eprintln!("fake Partner Center listening; stop it with Ctrl-C");
    loop {
        std::thread::park();
    }
}

/// Takes the switches that shape the fake as it starts (its rate limit and
/// answer delay) and returns the builder and the other switches.
fn builder_switches(
    args: impl IntoIterator<Item = String>,
) -> Result<(FakeBuilder, Vec<String>), String> {
    let mut builder = FakePartnerCenter::builder();
    let mut rest = Vec::new();
    let mut args = args.into_iter();
    while let Some(switch) = args.next() {
        if switch != "--rate-limit" && switch != "--answer-delay" {
            rest.push(switch);
            continue;
        }
        let value = args.next().ok_or(format!("{switch} needs a value"))?;
        let number = value
            .parse::<u32>()
            .map_err(|_| format!("{switch} {value:?}: not a count"))?;
        builder = if switch == "--rate-limit" {
            builder.rate_limit(number)
        } else {
            builder.answer_delay(Duration::from_millis(number.into()))
        };
    }
    Ok((builder, rest))
}

/// What the switches decided beyond the fake itself.
#[derive(Default)]
struct Switches {
    /// Print a token without MFA, for the fake that requires it.
    require_mfa: bool,
}

fn apply_switches(
    fake: &FakePartnerCenter,
    args: impl IntoIterator<Item = String>,
) -> Result<Switches, String> {
    let mut switches = Switches::default();
    let mut args = args.into_iter();
    while let Some(switch) = args.next() {
        if switch == "--require-mfa" {
            fake.require_mfa();
            switches.require_mfa = true;
            continue;
        }
        let value = args.next().ok_or(format!("{switch} needs a value"))?;
        let number = |text: &str| {
            text.parse::<u32>()
                .map_err(|_| format!("{switch} {value:?}: {text:?} is not a count"))
        };
        match switch.as_str() {
            "--fail-checkout" => {
                let (times, status) = value.split_once(':').unwrap_or((&value, "503"));
                let status = status
                    .parse::<u16>()
                    .ok()
                    .filter(|status| (400..600).contains(status))
                    .ok_or(format!(
                        "--fail-checkout {value:?}: the status must be 4xx or 5xx"
                    ))?;
                let reply = failure(status).on("POST", "/v1/customers/*/carts/*/checkout");
                let times = number(times)? as usize;
                fake.push_replies(std::iter::repeat_n(reply, times));
            }
            "--cut-checkout" => fake.cut_checkout_answers(number(&value)?),
            "--reject" => fake.inject_line_item_error(
                value,
                CartError::new(
                    CartErrorCode::InventoryNotAvailable,
                    "The offer is out of inventory.",
                ),
            ),
            "--fail-order-group" => {
                fake.inject_order_error(value, 800_005, "Order creation did not succeed.");
            }
            "--cancel-order-group" => fake.cancel_orders_with(value),
            "--pending-polls" => fake.set_polls_until_complete(number(&value)?),
            "--checkout-answer-delay" => {
                fake.delay_checkout_answers(Duration::from_millis(number(&value)?.into()));
            }
            "--lose-create" => fake.lose_create_answers(number(&value)?),
            "--repeated-checkout" => match value.as_str() {
                "replay" => {}
                "800065" => fake.refuse_repeated_checkouts(),
                _ => return Err(format!("--repeated-checkout {value:?}: replay or 800065")),
            },
            "--order-list-lag" => {
                fake.delay_order_lists(Duration::from_millis(number(&value)?.into()));
            }
            "--checkout-in-progress" => fake.checkouts_in_progress(number(&value)?),
            other => return Err(format!("unknown switch {other}")),
        }
    }
    Ok(switches)
}

/// The reply Partner Center gives with this status, with its error code.
fn failure(status: u16) -> Reply {
    let (code, description) = match status {
        400 => (800_002, "The request input is invalid."),
        401 => (800_001, "No partner token was found in the request."),
        404 => (800_008, "The cart could not be found."),
        409 => (800_064, "The cart is being processed by another request."),
        429 => return Reply::throttled(1),
        500 => (800_003, "Unexpected service failure."),
        501..=599 => (900_192, "Transient failure; try again later."),
        _ => (0, "The request was refused."),
    };
    Reply::fault(status, code, description)
}
