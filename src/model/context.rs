//! The provisioning context of an order line: a few named strings.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::string_entries;

/// The values a line item's provisioning variables asked for
/// (`provisioningContext`), such as `{"scope": "shared"}` for a reserved
/// instance: a small map of strings, in the order the service sent them.
///
/// Most lines have none and the rest one or two, so the entries are held in
/// one exactly sized block rather than a tree: an empty context allocates
/// nothing, and one entry costs its two strings and one 48-byte block.
///
/// Decoding is lenient: `null`, a string (one such field arrived as `""`) or
/// any other shape but an object reads as empty; `null` values are left out,
/// and numbers, booleans, arrays and objects are kept as their JSON text.
///
/// ```
/// use partner_center_cart::model::ProvisioningContext;
///
/// let context: ProvisioningContext =
///     serde_json::from_str(r#"{"scope": "shared", "duration": 3}"#)?;
/// assert_eq!(context.get("scope"), Some("shared"));
/// assert_eq!(context.get("duration"), Some("3"));
/// assert_eq!(context.len(), 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, Eq)]
pub struct ProvisioningContext {
    entries: Box<[(String, String)]>,
}

impl ProvisioningContext {
    /// An empty context.
    pub fn new() -> Self {
        ProvisioningContext::default()
    }

    /// The value of `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    /// Sets `key` to `value`, and gives back the value it replaces.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        let (key, value) = (key.into(), value.into());
        match self.entries.iter_mut().find(|(name, _)| *name == key) {
            Some((_, old)) => Some(std::mem::replace(old, value)),
            None => {
                let mut entries = Vec::from(std::mem::take(&mut self.entries));
                entries.push((key, value));
                self.entries = entries.into_boxed_slice();
                None
            }
        }
    }

    /// Removes `key`, and gives back its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let index = self.entries.iter().position(|(name, _)| name == key)?;
        let mut entries = Vec::from(std::mem::take(&mut self.entries));
        let (_, value) = entries.remove(index);
        self.entries = entries.into_boxed_slice();
        Some(value)
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Equal when they hold the same entries, in whatever order.
impl PartialEq for ProvisioningContext {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(key, value)| other.get(key) == Some(value))
    }
}

impl fmt::Debug for ProvisioningContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for ProvisioningContext {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut context = ProvisioningContext::new();
        for (key, value) in entries {
            context.insert(key, value);
        }
        context
    }
}

impl From<BTreeMap<String, String>> for ProvisioningContext {
    fn from(map: BTreeMap<String, String>) -> Self {
        ProvisioningContext {
            entries: map.into_iter().collect(),
        }
    }
}

impl From<ProvisioningContext> for BTreeMap<String, String> {
    fn from(context: ProvisioningContext) -> Self {
        context.entries.into_vec().into_iter().collect()
    }
}

impl Serialize for ProvisioningContext {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ProvisioningContext {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut entries = string_entries(deserializer)?;
        keep_last(&mut entries);
        Ok(ProvisioningContext {
            entries: entries.into_boxed_slice(),
        })
    }
}

/// Of entries with the same key, keeps the last, as a map would; in linear
/// time, whatever the number of keys a body sends.
fn keep_last(entries: &mut Vec<(String, String)>) {
    if entries.len() < 2 {
        return;
    }
    let mut seen = HashSet::with_capacity(entries.len());
    let keep: Vec<bool> = entries
        .iter()
        .rev()
        .map(|(key, _)| seen.insert(key.as_str()))
        .collect();
    drop(seen);
    let mut keep = keep.into_iter().rev();
    entries.retain(|_| keep.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_shapes_read_as_empty_and_values_as_text() {
        for odd in ["null", "\"\"", "\"shared\"", "[1, 2]", "7", "true"] {
            let context: ProvisioningContext = serde_json::from_str(odd).unwrap();
            assert!(context.is_empty(), "{odd}");
        }
        let context: ProvisioningContext = serde_json::from_str(
            r#"{"a": "x", "b": null, "c": 1.5, "d": false, "e": [1, "y"], "f": {"g": null}, "a": "z"}"#,
        )
        .unwrap();
        let entries: Vec<_> = context.iter().collect();
        assert_eq!(
            entries,
            [
                ("c", "1.5"),
                ("d", "false"),
                ("e", r#"[1,"y"]"#),
                ("f", r#"{"g":null}"#),
                ("a", "z")
            ]
        );
    }

    #[test]
    fn one_entry_is_held_in_one_exact_block() {
        let context: ProvisioningContext = serde_json::from_str(r#"{"scope": "shared"}"#).unwrap();
        assert_eq!(context.entries.len(), 1);
        assert_eq!(size_of::<ProvisioningContext>(), 16);
    }

    #[test]
    fn equality_ignores_order_and_round_trips() {
        let a: ProvisioningContext = [("x", "1"), ("y", "2")].into_iter().collect();
        let b: ProvisioningContext = [("y", "2"), ("x", "1")].into_iter().collect();
        assert_eq!(a, b);
        assert_ne!(a, [("x", "1")].into_iter().collect());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"x":"1","y":"2"}"#);
        assert_eq!(
            serde_json::from_str::<ProvisioningContext>(&json).unwrap(),
            a
        );
        let mut c = a.clone();
        assert_eq!(c.insert("x", "3").as_deref(), Some("1"));
        assert_eq!(c.remove("y").as_deref(), Some("2"));
        assert_eq!(
            BTreeMap::from(c),
            BTreeMap::from([("x".into(), "3".into())])
        );
    }
}
