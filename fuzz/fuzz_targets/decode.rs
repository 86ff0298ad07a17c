//! Decodes arbitrary bytes as every public model. A decode may fail but must
//! not panic, and whatever decodes must write back as JSON that decodes
//! again.
//!
//! ```text
//! cargo +nightly fuzz run decode fuzz/corpus/decode tests/fixtures
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;
use partner_center_cart::model::{Availability, Collection, Order, OrderLineItem, Product, Sku};
use partner_center_cart::{CartCheckoutResult, model::ApiFault};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn decode<T: DeserializeOwned + Serialize>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let json = serde_json::to_vec(&value).expect("a decoded value serializes");
        serde_json::from_slice::<T>(&json).expect("what it wrote decodes");
    }
}

fuzz_target!(|data: &[u8]| {
    // The service may start a body with a byte order mark; the client strips it.
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    decode::<CartCheckoutResult>(body);
    decode::<Order>(body);
    decode::<OrderLineItem>(body);
    decode::<ApiFault>(body);
    decode::<Product>(body);
    decode::<Sku>(body);
    decode::<Availability>(body);
    decode::<Collection<Availability>>(body);
});
