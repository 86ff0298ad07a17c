//! A store in memory: for tests, and a model for a store of one's own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::JournalError;
use super::store::{Claim, JournalStore, Listed, PurchaseKey, StoredRecord};
use crate::ids::CustomerId;

/// A [`JournalStore`] in this process's memory: gone when the process
/// ends, so for tests and tools that need no resume, and a short model of
/// what a store must do.
///
/// Clones share one store, so that several [`Journal`](super::Journal)s
/// (and the test that looks at them) see the same purchases. A claim is
/// held until released; as the store dies with its holders, no claim needs
/// to lapse.
///
/// ```
/// use partner_center_cart::journal::{Journal, MemoryStore};
///
/// let store = MemoryStore::new();
/// let first = Journal::with_store(store.clone());
/// let second = Journal::with_store(store.clone());
/// # let _ = (first, second);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    purchases: HashMap<PurchaseKey, Kept>,
    next_claim: u64,
}

#[derive(Debug, Default)]
struct Kept {
    records: Vec<String>,
    ended: bool,
    /// The claim's ID and its owner, while claimed.
    holder: Option<(String, String)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// How many records the store holds, all purchases together.
    pub fn records(&self) -> usize {
        self.lock()
            .purchases
            .values()
            .map(|kept| kept.records.len())
            .sum()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic under the lock leaves whole records: nothing half-done.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl JournalStore for MemoryStore {
    fn claim(&self, key: &PurchaseKey, owner: &str) -> Result<Claim, JournalError> {
        let mut inner = self.lock();
        inner.next_claim += 1;
        let id = inner.next_claim.to_string();
        let kept = inner.purchases.entry(key.clone()).or_default();
        if let Some((_, holder)) = &kept.holder {
            return Err(JournalError::Held {
                purchase: key.name(),
                holder: holder.clone(),
            });
        }
        kept.holder = Some((id.clone(), owner.to_owned()));
        let position = kept.records.len() as u64;
        Ok(Claim::new(key.clone(), id, position))
    }

    fn read(&self, key: &PurchaseKey) -> Result<Vec<String>, JournalError> {
        let inner = self.lock();
        Ok(inner
            .purchases
            .get(key)
            .map(|kept| kept.records.clone())
            .unwrap_or_default())
    }

    fn append(&self, claim: &mut Claim, record: &StoredRecord) -> Result<(), JournalError> {
        let mut inner = self.lock();
        let kept = inner.purchases.entry(claim.key().clone()).or_default();
        let holds = kept.holder.as_ref().is_some_and(|(id, _)| id == claim.id());
        if !holds || kept.records.len() as u64 != claim.position() || kept.ended {
            return Err(JournalError::ClaimLost {
                purchase: claim.key().name(),
                reason: "another holder claimed or wrote the purchase since".into(),
            });
        }
        kept.records.push(record.json.clone());
        kept.ended = record.ends;
        claim.set_position(kept.records.len() as u64);
        Ok(())
    }

    fn release(&self, claim: Claim) -> Result<(), JournalError> {
        let mut inner = self.lock();
        if let Some(kept) = inner.purchases.get_mut(claim.key()) {
            if kept.holder.as_ref().is_some_and(|(id, _)| id == claim.id()) {
                kept.holder = None;
            }
            if kept.records.is_empty() && kept.holder.is_none() {
                inner.purchases.remove(claim.key());
            }
        }
        Ok(())
    }

    fn list(&self, customer: Option<CustomerId>) -> Result<Vec<Listed>, JournalError> {
        let inner = self.lock();
        Ok(inner
            .purchases
            .iter()
            .filter(|(key, kept)| {
                !kept.records.is_empty() && customer.is_none_or(|c| key.customer() == c)
            })
            .map(|(key, kept)| Listed {
                key: key.clone(),
                ended: kept.ended,
            })
            .collect())
    }
}
