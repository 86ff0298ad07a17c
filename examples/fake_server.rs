//! Runs the fake Partner Center until stopped, to try the `checkout`
//! example (or any tool) against it without an account.
//!
//! ```text
//! cargo run --example fake_server --features fake
//! # in another terminal, with the URL it prints:
//! export PARTNER_CENTER_BASE_URL=http://127.0.0.1:PORT PARTNER_CENTER_TOKEN=anything
//! cargo run --example checkout -- products 28045616-f6b9-462f-9701-0d89b5e65c44
//! cargo run --example checkout -- buy 28045616-f6b9-462f-9701-0d89b5e65c44 --product CFQ7TTC0LH18 --sku 0001 --term P1Y --billing monthly --wait
//! ```

use partner_center_cart::fake::FakePartnerCenter;

fn main() -> std::io::Result<()> {
    let fake = FakePartnerCenter::start()?;
    println!("{}", fake.base_url());
    eprintln!("fake Partner Center listening; stop it with Ctrl-C");
    loop {
        std::thread::park();
    }
}
