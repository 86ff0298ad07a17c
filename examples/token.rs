//! Gets a Partner Center token with the provider chosen by the options, and
//! says what came back without printing the token: a quick way to check
//! credentials before a real run.
//!
//! ```text
//! cargo run --example token -- --auth az
//! PARTNER_CENTER_CLIENT_SECRET=... cargo run --example token -- --auth app --tenant contoso.onmicrosoft.com --client-id <app ID>
//! ```

mod support;

use std::process::ExitCode;

use support::provider::{SECRETS, USAGE, provider_from_args};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let chosen = match provider_from_args(&mut args) {
        Ok(chosen) if args.is_empty() => chosen,
        Ok(_) => {
            eprintln!("error: unexpected arguments {args:?}\nusage: token {USAGE}\n{SECRETS}");
            return ExitCode::from(2);
        }
        Err(problem) => {
            eprintln!("error: {problem}\nusage: token {USAGE}\n{SECRETS}");
            return ExitCode::from(2);
        }
    };
    println!("Provider: {}", chosen.description);
    println!(
        "Cloud: {:?} ({})",
        chosen.cloud,
        chosen.cloud.api_base_url()
    );
    match chosen.provider.token() {
        Ok(token) => {
            println!("Got a token of {} characters.", token.secret().len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}
