//! Checks out a cart and prints what it became.
//!
//! ```text
//! PARTNER_CENTER_TOKEN=eyJ... cargo run --example checkout -- <customer-id> <cart-id>
//! ```
//!
//! Options:
//!
//! - `--json`: print the result as JSON instead of tables.
//! - `--request-id <GUID>`: repeat an earlier checkout whose outcome is not
//!   known, with the request ID it printed; Partner Center will not buy twice.
//! - `--base-url <URL>`: another API host (or a fake on loopback); also read
//!   from `PARTNER_CENTER_BASE_URL`.
//!
//! Exit codes: 0 when every order group was ordered, 1 when the checkout
//! failed, 2 for wrong usage, 3 when some order groups failed.

mod support;

use std::process::ExitCode;

use partner_center_cart::{Client, Error, Uuid};

const USAGE: &str =
    "usage: checkout <customer-id> <cart-id> [--json] [--request-id <GUID>] [--base-url <URL>]
The token is read from PARTNER_CENTER_TOKEN.";

struct Options {
    customer_id: String,
    cart_id: String,
    json: bool,
    request_id: Option<Uuid>,
    base_url: Option<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut positional = Vec::new();
    let mut options = Options {
        customer_id: String::new(),
        cart_id: String::new(),
        json: false,
        request_id: None,
        base_url: std::env::var("PARTNER_CENTER_BASE_URL").ok(),
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => options.json = true,
            "--request-id" => {
                let value = args.next().ok_or("--request-id needs a GUID")?;
                let id = Uuid::parse_str(&value)
                    .map_err(|_| format!("--request-id {value:?} is not a GUID"))?;
                options.request_id = Some(id);
            }
            "--base-url" => options.base_url = Some(args.next().ok_or("--base-url needs a URL")?),
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => positional.push(arg),
        }
    }
    let [customer_id, cart_id] = <[String; 2]>::try_from(positional)
        .map_err(|_| "give a customer ID and a cart ID".to_owned())?;
    options.customer_id = customer_id;
    options.cart_id = cart_id;
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("error: {problem}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };

    let mut builder = Client::builder(|| std::env::var("PARTNER_CENTER_TOKEN"))
        .application_name("partner-center-cart checkout example");
    if let Some(url) = &options.base_url {
        builder = builder.base_url(url);
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };

    let request_id = options.request_id.unwrap_or_else(Uuid::new_v4);
    match client.checkout_with_request_id(&options.customer_id, &options.cart_id, request_id) {
        Ok(result) => {
            if options.json {
                match serde_json::to_string_pretty(&result) {
                    Ok(json) => println!("{json}"),
                    Err(error) => eprintln!("error: could not write JSON: {error}"),
                }
            } else {
                support::print_checkout(&result);
            }
            if result.is_partial_failure() {
                eprintln!(
                    "\n{} order group(s) failed; the orders above stand.",
                    result.order_errors.len()
                );
                return ExitCode::from(3);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            report(&error, &options);
            if matches!(error, Error::InvalidId { .. }) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn report(error: &Error, options: &Options) {
    eprintln!("error: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
    if let Some(request_id) = error.request_id() {
        eprintln!();
        eprintln!("Request ID: {request_id}");
        if let Some(correlation_id) = error.correlation_id() {
            eprintln!("Correlation ID: {correlation_id}");
        }
        eprintln!("To retry this checkout safely (Partner Center will not buy twice), run:");
        eprintln!(
            "  cargo run --example checkout -- {} {} --request-id {request_id}",
            options.customer_id, options.cart_id
        );
    }
}
