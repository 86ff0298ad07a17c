//! The contract between a [`Journal`](super::Journal) and where it keeps
//! its purchases ([`JournalStore`]), and what passes through it.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::JournalError;
use crate::ids::CustomerId;

/// A purchase's name in a store: its customer, and the digest of what it
/// buys (see [`Purchase`](super::Purchase)).
///
/// Its [`name`](PurchaseKey::name) is safe as a file name, a URL path and a
/// blob name: a lowercase GUID, a slash and lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PurchaseKey {
    customer: CustomerId,
    digest: String,
}

impl PurchaseKey {
    /// A key from a customer and a digest of lowercase hex digits.
    pub(crate) fn new(customer: CustomerId, digest: String) -> PurchaseKey {
        debug_assert!(
            digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        PurchaseKey { customer, digest }
    }

    /// The customer the purchase buys for.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The digest of the purchase's identity: lowercase hex digits.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// `customer/digest`, the name a store keeps the purchase under.
    pub fn name(&self) -> String {
        format!("{}/{}", self.customer, self.digest)
    }

    /// Reads a [`name`](PurchaseKey::name) back; `None` for anything else.
    pub fn from_name(name: &str) -> Option<PurchaseKey> {
        let (customer, digest) = name.split_once('/')?;
        let customer: CustomerId = customer.parse().ok()?;
        let hex = !digest.is_empty()
            && digest.len() <= 128
            && digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        // Only the canonical spelling: one purchase, one name.
        (hex && customer.to_string() == name[..name.len() - digest.len() - 1])
            .then(|| PurchaseKey::new(customer, digest.to_owned()))
    }
}

impl AsRef<PurchaseKey> for PurchaseKey {
    fn as_ref(&self) -> &PurchaseKey {
        self
    }
}

impl fmt::Display for PurchaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.customer, self.digest)
    }
}

/// One record as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The record: one line of JSON, without a line end.
    pub json: String,
    /// Whether the record ends its purchase (finished or abandoned): no
    /// record follows it, and [`JournalStore::list`] reports the purchase
    /// as ended.
    pub ends: bool,
}

/// A purchase a store holds, as [`JournalStore::list`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The purchase.
    pub key: PurchaseKey,
    /// Whether its last record ends it. A store may mark the end after
    /// storing the record, as [`BlobStore`](super::BlobStore) does, and
    /// report `false` for a purchase whose writer died in between; `true`
    /// is always right.
    pub ended: bool,
}

/// A holder's claim on one purchase, from [`JournalStore::claim`]: appends
/// go under it, and [`JournalStore::release`] gives it back.
///
/// The store that made it keeps what it needs in it: an ID (a lease's, a
/// lock's), the position the next record goes to, and anything that must
/// live as long as the claim (such as a thread that renews a lease), which
/// is dropped with it.
pub struct Claim {
    key: PurchaseKey,
    id: String,
    position: u64,
    keep_alive: Option<Box<dyn Send + Sync>>,
    /// For a claim that lapses on its own: until when its store last
    /// confirmed it, and how much of that must be left to act on it.
    lapse: Option<(Arc<Lapse>, Duration)>,
}

/// Until when a claim that lapses on its own (a lease) is sure to hold, as
/// its store last confirmed it: shared by the claim and what renews it.
#[derive(Debug)]
pub(crate) struct Lapse {
    until: Mutex<Instant>,
}

impl Lapse {
    /// A claim confirmed until `until`.
    pub(crate) fn new(until: Instant) -> Arc<Lapse> {
        Arc::new(Lapse {
            until: Mutex::new(until),
        })
    }

    /// The store confirmed the claim again, until `until`.
    pub(crate) fn confirm(&self, until: Instant) {
        let mut held = self
            .until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *held = (*held).max(until);
    }

    /// Whether the claim is sure to hold for `margin` more.
    fn holds_for(&self, margin: Duration) -> bool {
        let until = *self
            .until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Instant::now()
            .checked_add(margin)
            .is_some_and(|then| then < until)
    }
}

impl Claim {
    /// A claim on `key`, known to its store as `id`, whose next record goes
    /// at `position` (the store's own measure: bytes, or records).
    pub fn new(key: PurchaseKey, id: impl Into<String>, position: u64) -> Claim {
        Claim {
            key,
            id: id.into(),
            position,
            keep_alive: None,
            lapse: None,
        }
    }

    /// Says the claim lapses on its own unless confirmed (see [`Lapse`]),
    /// and that the purchase may act on it only while `margin` of it is
    /// left.
    pub(crate) fn lapses(mut self, lapse: Arc<Lapse>, margin: Duration) -> Claim {
        self.lapse = Some((lapse, margin));
        self
    }

    /// Whether a call that may buy can go under the claim: a claim that
    /// lapses on its own must have been confirmed recently enough. A
    /// process paused past its lease (a machine that slept) finds it has
    /// not been, and stops before the call.
    pub(crate) fn may_act(&self) -> bool {
        self.lapse
            .as_ref()
            .is_none_or(|(lapse, margin)| lapse.holds_for(*margin))
    }

    /// Keeps `value` alive as long as the claim, and drops it with it.
    pub fn keep_alive(mut self, value: impl Send + Sync + 'static) -> Claim {
        self.keep_alive = Some(Box::new(value));
        self
    }

    /// The purchase claimed.
    pub fn key(&self) -> &PurchaseKey {
        &self.key
    }

    /// The store's ID of the claim.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where the next record goes.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Moves the position on, after a record was stored.
    pub fn set_position(&mut self, position: u64) {
        self.position = position;
    }
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field("key", &self.key)
            .field("id", &self.id)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

/// Where a journal keeps its purchases: a file on this machine
/// ([`FileStore`](super::FileStore)), or anything that can keep records
/// durably and give one holder at a time a claim on a purchase.
///
/// A store keeps, for each purchase, the records the journal appends, in
/// order. A holder [claims](JournalStore::claim) a purchase before it
/// appends to it, and the claim keeps every other holder (another thread,
/// process or machine) from appending until it is
/// [released](JournalStore::release) or lapses because its holder died.
/// That is what lets several workers share one store without two of them
/// running the same purchase.
///
/// A store treats records as opaque lines of JSON: it keeps them whole and
/// in order, and knows only whether a record ends its purchase. Each
/// record the journal appends is a whole snapshot of its purchase, so the
/// last one alone says where the purchase stands: a store may keep only
/// the last record of each purchase (and a file store may compact itself
/// down to them).
///
/// [`MemoryStore`](super::MemoryStore) is a short, complete model of a
/// store.
///
/// Every method may be called from many threads at once.
pub trait JournalStore: Send + Sync + fmt::Debug {
    /// Claims `key` for `owner` (a name for the holder, for messages):
    /// until the claim is released, or lapses because its holder died, no
    /// other claim on `key` is given.
    ///
    /// # Errors
    ///
    /// [`JournalError::Held`] when another holder has it, or
    /// [`JournalError::Store`] when the store cannot be reached.
    fn claim(&self, key: &PurchaseKey, owner: &str) -> Result<Claim, JournalError>;

    /// The records of `key`, oldest first; none for a purchase never
    /// started. Needs no claim.
    ///
    /// Each record the journal appends is a full snapshot of the
    /// purchase's state, so a store may keep only the last record of a
    /// purchase, and return only that one.
    ///
    /// # Errors
    ///
    /// [`JournalError::Store`] when they cannot be read.
    fn read(&self, key: &PurchaseKey) -> Result<Vec<String>, JournalError>;

    /// Stores `record` after the others of its purchase, durably before it
    /// returns: the journal sends the call the record guards only after
    /// this returns `Ok`.
    ///
    /// # Errors
    ///
    /// [`JournalError::ClaimLost`] when the claim no longer holds (it
    /// lapsed, or another holder wrote since): the purchase must stop.
    /// [`JournalError::Store`] when the record could not be stored. Either
    /// way the call it guards is not sent.
    fn append(&self, claim: &mut Claim, record: &StoredRecord) -> Result<(), JournalError>;

    /// Gives the claim back, so that another holder can take the purchase
    /// at once rather than when the claim lapses.
    ///
    /// # Errors
    ///
    /// [`JournalError::Store`] when the store cannot be reached; the claim
    /// then lapses on its own.
    fn release(&self, claim: Claim) -> Result<(), JournalError>;

    /// The purchases kept for `customer`, or for every customer when
    /// `None`, in no particular order.
    ///
    /// # Errors
    ///
    /// [`JournalError::Store`] when they cannot be listed.
    fn list(&self, customer: Option<CustomerId>) -> Result<Vec<Listed>, JournalError>;
}

impl<S: JournalStore + ?Sized> JournalStore for std::sync::Arc<S> {
    fn claim(&self, key: &PurchaseKey, owner: &str) -> Result<Claim, JournalError> {
        (**self).claim(key, owner)
    }

    fn read(&self, key: &PurchaseKey) -> Result<Vec<String>, JournalError> {
        (**self).read(key)
    }

    fn append(&self, claim: &mut Claim, record: &StoredRecord) -> Result<(), JournalError> {
        (**self).append(claim, record)
    }

    fn release(&self, claim: Claim) -> Result<(), JournalError> {
        (**self).release(claim)
    }

    fn list(&self, customer: Option<CustomerId>) -> Result<Vec<Listed>, JournalError> {
        (**self).list(customer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_from_its_name_and_only_from_it() {
        let customer: CustomerId = "28045616-f6b9-462f-9701-0d89b5e65c44".parse().unwrap();
        let key = PurchaseKey::new(customer, "0a1b".to_owned());
        assert_eq!(PurchaseKey::from_name(&key.name()), Some(key.clone()));
        assert_eq!(key.to_string(), key.name());
        for other in [
            "28045616-F6B9-462F-9701-0D89B5E65C44/0a1b",
            "28045616-f6b9-462f-9701-0d89b5e65c44/0A1B",
            "28045616-f6b9-462f-9701-0d89b5e65c44/",
            "28045616-f6b9-462f-9701-0d89b5e65c44/0a1b/x",
            "28045616-f6b9-462f-9701-0d89b5e65c44",
            "../0a1b",
        ] {
            assert_eq!(PurchaseKey::from_name(other), None, "{other}");
        }
    }

    fn claim() -> Claim {
        let key = PurchaseKey::from_name("28045616-f6b9-462f-9701-0d89b5e65c44/ab").unwrap();
        Claim::new(key, "lease", 0)
    }

    #[test]
    fn a_claim_that_lapses_may_act_only_while_enough_of_it_is_confirmed() {
        assert!(claim().may_act(), "a claim that does not lapse");
        let margin = Duration::from_secs(5);
        let fresh = Lapse::new(Instant::now() + Duration::from_secs(15));
        let claim = claim().lapses(Arc::clone(&fresh), margin);
        assert!(claim.may_act());
        // Paused past its lease: last confirmed until a moment ago.
        let stale = Lapse::new(Instant::now() + Duration::from_secs(4));
        let paused = self::claim().lapses(Arc::clone(&stale), margin);
        assert!(!paused.may_act());
        // A renewal confirms it again; an older confirmation takes nothing.
        stale.confirm(Instant::now() + Duration::from_secs(15));
        stale.confirm(Instant::now());
        assert!(paused.may_act());
    }
}
