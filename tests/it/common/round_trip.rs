//! Fixtures decoded into the models and written back: what the models keep
//! of the documented JSON.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::fixture;

/// Whether a model may leave out the field `name` with this value when it
/// writes a fixture back.
pub type MayDrop = fn(name: &str, value: &Value) -> bool;

/// Decodes a fixture, checks that encoding it keeps every field with its
/// value (the encoding may add empty defaults), and that decoding the
/// encoding gives the same value.
pub fn round_trip<T>(name: &str) -> T
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    round_trip_dropping(name, |_, _| false)
}

/// Like [`round_trip`], with the fields `may_drop` names allowed to be lost.
pub fn round_trip_dropping<T>(name: &str, may_drop: MayDrop) -> T
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let body = fixture(name);
    let decoded: T = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
    let written = serde_json::to_value(&decoded).unwrap();
    let original: Value = serde_json::from_slice(&body).unwrap();
    assert_keeps(&original, &written, name, may_drop);
    assert_eq!(
        serde_json::from_value::<T>(written).unwrap(),
        decoded,
        "{name}"
    );
    decoded
}

/// Checks that every field of `original` is in `written` with the same
/// value, but those `may_drop` names.
fn assert_keeps(original: &Value, written: &Value, at: &str, may_drop: MayDrop) {
    match (original, written) {
        (Value::Object(fields), Value::Object(written_fields)) => {
            for (name, value) in fields {
                let inner = format!("{at}.{name}");
                match written_fields.get(name) {
                    Some(written_value) => assert_keeps(value, written_value, &inner, may_drop),
                    None => assert!(may_drop(name, value), "{inner} was lost"),
                }
            }
        }
        (Value::Array(items), Value::Array(written_items)) => {
            assert_eq!(items.len(), written_items.len(), "{at}");
            for (n, (item, written_item)) in items.iter().zip(written_items).enumerate() {
                assert_keeps(item, written_item, &format!("{at}[{n}]"), may_drop);
            }
        }
        _ => assert_eq!(original, written, "{at}"),
    }
}
