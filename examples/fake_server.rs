//! Runs the fake Partner Center until stopped, to try the `checkout`
//! example (or any tool) against it without an account.
//!
//! It prints its base URL on the first line of standard output and, on the
//! second, an app+user token it accepts for a day (an unsigned JWT with
//! Partner Center's audience, from the tenant `fake::FAKE_TENANT_ID`). Any
//! opaque token works too, but only a JWT shows the doctor's token checks.
//!
//! ```text
//! cargo run --example fake_server --features fake
//! # in another terminal, with the URL and token it prints:
//! export PARTNER_CENTER_BASE_URL=http://127.0.0.1:PORT PARTNER_CENTER_TOKEN=eyJ...
//! cargo run --example checkout -- doctor 28045616-f6b9-462f-9701-0d89b5e65c44
//! cargo run --example checkout -- products 28045616-f6b9-462f-9701-0d89b5e65c44
//! cargo run --example checkout -- buy 28045616-f6b9-462f-9701-0d89b5e65c44 --product CFQ7TTC0LH18 --sku 0001 --term P1Y --billing monthly --wait
//! ```

use std::time::{Duration, SystemTime};

use partner_center_cart::fake::{FakePartnerCenter, FakeToken};

fn main() -> std::io::Result<()> {
    let fake = FakePartnerCenter::start()?;
    let token = FakeToken::new().expires_at(SystemTime::now() + Duration::from_secs(24 * 3600));
    println!("{}", fake.base_url());
    println!("{}", token.mint());
    eprintln!("fake Partner Center listening; stop it with Ctrl-C");
    loop {
        std::thread::park();
    }
}
