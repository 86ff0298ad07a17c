//! Parses arbitrary text as every ID type and every open enumeration. An ID
//! may be refused but must not panic, and an accepted one must be safe in a
//! path and parse back to itself.
//!
//! ```text
//! cargo +nightly fuzz run ids
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;
use partner_center_cart::BillingCycle;
use partner_center_cart::model::OrderStatus;
use partner_center_cart::model::{CartId, CustomerId, OrderId};

fn path_safe(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = text.parse::<CustomerId>() {
        let shown = id.to_string();
        assert!(path_safe(&shown));
        assert_eq!(shown.parse::<CustomerId>().ok(), Some(id));
    }
    if let Ok(id) = text.parse::<CartId>() {
        let shown = id.to_string();
        assert!(path_safe(&shown));
        assert_eq!(shown.parse::<CartId>().ok(), Some(id));
    }
    if let Ok(id) = text.parse::<OrderId>() {
        assert_eq!(id.as_str(), text);
        assert!(path_safe(text) && text != "." && text != "..");
    }
    // Open enumerations keep any value and write it back unchanged.
    let cycle = BillingCycle::from_wire(text);
    if let BillingCycle::Other(kept) = &cycle {
        assert_eq!(kept, text);
        assert_eq!(cycle.as_str(), text);
    }
    let status = OrderStatus::from_wire(text);
    if let OrderStatus::Other(kept) = &status {
        assert_eq!(kept, text);
    }
});
