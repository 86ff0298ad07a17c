//! A purchase journal: what each purchase has done, kept durably, so that a
//! tool killed at any point and run again finishes its purchases without
//! buying anything twice.
//!
//! A [`Purchase`] is named by a key of the caller's (such as one per
//! customer and batch) and holds the cart to buy. [`Journal::run`] runs it,
//! or resumes it where it stopped: create the cart, drop the line items the
//! service rejects, check out, wait for the orders. Before each call that
//! may act it records what makes a repeat safe, and after it what came
//! back:
//!
//! | step | recorded before | recorded after | on resume |
//! |---|---|---|---|
//! | create the cart | its request ID | the cart ID | the create is repeated with the same request ID, so the service returns the cart it made |
//! | drop rejected items | the items dropped | | the cart is read and the update sent again (a PUT: repeating it is harmless) |
//! | check out | its request ID | the result | the same cart is checked out again, so the service replays the first result; a second cart is never made |
//! | wait | | the outcome | a finished purchase returns its stored outcome and sends nothing |
//!
//! An older service answers a repeated checkout with 800065 ("already
//! submitted"); the journal then reads the cart, and reports it bought,
//! with its orders where the order list shows them (never those it holds
//! for another purchase), never buying again.
//!
//! The default store is a file ([`Journal::open`], [`FileStore`]); a
//! [`JournalStore`] keeps it anywhere else, such as a database. One journal
//! serves many threads, each running its own purchases.
//!
//! [`BlobStore`] keeps purchases in an Azure Blob Storage container
//! instead, where they outlive the machine and several workers share them,
//! one purchase per worker at a time; its docs say
//! [when to use a file and when a container](BlobStore#a-file-or-a-container),
//! how to make the container's SAS, what its lease time trades and what it
//! costs. It implements the per-purchase store contract,
//! [`PurchaseStore`].
//!
//! ```no_run
//! use partner_center_cart::journal::{Journal, Purchase};
//! use partner_center_cart::{BillingCycle, CartLineItem, NewCart};
//! use partner_center_cart::{Client, WaitOptions};
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let client = Client::from_env()?;
//! let journal = Journal::open("purchases.journal")?;
//! let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
//! let cart = NewCart::new()
//!     .line_item(CartLineItem::new("CFQ7TTC0LH18:0001:CFQ7TTC0K5DM", 25, BillingCycle::Monthly).term_duration("P1M"))
//!     .partner_on_record_attestation_accepted(true);
//! let purchase = Purchase::new("contoso-2026-12", customer, cart)?;
//! // Run it again after a crash: it finishes, and buys nothing twice.
//! let outcome = journal.run(&client, &purchase, WaitOptions::default())?;
//! println!("{outcome}");
//! # Ok(())
//! # }
//! ```
//!
//! # Batches
//!
//! [`Journal::run_batch`] runs many purchases on one journal, several at
//! once, each exactly once as [`Journal::run`] does, and returns each
//! one's outcome or error in the order given, with totals and a verdict
//! ([`BatchVerdict`]: everything bought, part, nothing, or failed) that
//! maps to the tools' exit codes (0, 3, 1). [`BatchOptions`] sets how many
//! purchases send at once ([`DEFAULT_PARALLEL`], and why that many, in
//! [`BatchOptions::parallel`]); a purchase waiting for its orders to be
//! provisioned gives its place to the next. A progress callback hears how
//! many are done, in flight, waiting for provisioning and throttled, and
//! an estimate of the time left ([`BatchProgress`]).
//!
//! An error that every purchase would meet alike ([`StopCause`]: a failed
//! token provider, a refused token, a token without multi-factor
//! authentication, a 403 that refuses the partner, a Partner Center that
//! cannot be reached, a failed journal store) stops the batch from
//! starting more: the purchases not started get
//! [`BatchError::NotStarted`], which names the error, and
//! [`BatchOutcome::stopped`] says so. Running the batch again resumes each
//! purchase where it stopped.
//!
//! ```no_run
//! use partner_center_cart::journal::{BatchOptions, Journal, Purchase};
//! use partner_center_cart::{BillingCycle, CartLineItem, Client, NewCart};
//!
//! # fn main() -> Result<(), partner_center_cart::Error> {
//! let client = Client::from_env()?;
//! let journal = Journal::open("purchases.journal")?;
//! let customers = ["28045616-f6b9-462f-9701-0d89b5e65c44", "5f0c1b7e-2a6a-4c2f-9d1a-4b8a9ad60f4e"];
//! let mut purchases = Vec::new();
//! for customer in customers {
//!     let cart = NewCart::new()
//!         .line_item(CartLineItem::new("CFQ7TTC0LH18:0001:CFQ7TTC0K5DM", 25, BillingCycle::Monthly).term_duration("P1M"))
//!         .partner_on_record_attestation_accepted(true);
//!     purchases.push(Purchase::new(format!("2026-12 {customer}"), customer, cart)?);
//! }
//! let options = BatchOptions::default()
//!     .on_progress(|progress| eprintln!("{progress}"))
//!     .on_finished(move |index, result| match result {
//!         Ok(outcome) => println!("{}: {outcome}", customers[index]),
//!         Err(error) => println!("{}: error: {error}", customers[index]),
//!     });
//! let batch = journal.run_batch(&client, purchases, options);
//! eprintln!("{batch}");
//! std::process::exit(i32::from(batch.exit_code()));
//! # }
//! ```

mod batch;
mod blob;
mod file;
mod outcome;
mod run;
mod store;

pub use crate::failure::journal::JournalError;
pub use batch::{
    BatchError, BatchOptions, BatchOutcome, BatchProgress, BatchStop, BatchTotals, BatchVerdict,
    DEFAULT_MAX_WAITING, DEFAULT_PARALLEL, StopCause,
};
pub use blob::{BlobError, BlobStore, BlobStoreBuilder};
pub use file::FileStore;
pub use outcome::{PurchaseOutcome, ToBuyAgain};
// Until the journal runs on the per-purchase store, its contract is
// exported under a name that does not clash with `JournalStore` above.
pub use store::{
    Claim as PurchaseClaim, JournalStore as PurchaseStore, Listed, PurchaseKey, StoredRecord,
};

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error_kind::BoxError;
use crate::failure::Error;
use crate::ids::{CartId, CustomerId, IntoId, OrderId};
use crate::model::{CartCheckoutResult, CartLineItem, LineItemError, NewCart};
use crate::text::Escaped;

/// One purchase: the key that names it in the journal, the customer, and
/// the cart to buy.
#[derive(Debug, Clone, PartialEq)]
pub struct Purchase {
    key: String,
    customer: CustomerId,
    cart: NewCart,
}

impl Purchase {
    /// A purchase of `cart` for a customer, named `key` in the journal.
    /// Running a key again resumes (or returns) the purchase it names, so
    /// choose one per purchase meant: a customer and a batch, say.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID.
    pub fn new(
        key: impl Into<String>,
        customer_id: impl IntoId<CustomerId>,
        cart: NewCart,
    ) -> Result<Purchase, Error> {
        Ok(Purchase {
            key: key.into(),
            customer: customer_id.into_id()?,
            cart,
        })
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The cart to buy.
    pub fn cart(&self) -> &NewCart {
        &self.cart
    }
}

/// One line of the journal: what a purchase did, or is about to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Record {
    /// The purchase's key.
    pub key: String,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// What a [`Record`] says a purchase did, or is about to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "event",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum Event {
    /// Before the create: what to buy, and the create's request ID.
    Started {
        /// The customer.
        customer: CustomerId,
        /// The cart to create.
        cart: NewCart,
        /// The `MS-RequestId` of the create, sent again on resume.
        create_request_id: Uuid,
    },
    /// After the create: the cart's ID.
    Created {
        /// The cart.
        cart_id: CartId,
    },
    /// Before the update that drops them: the line items the service
    /// rejected.
    Dropped {
        /// The items dropped.
        items: Vec<LineItemError>,
    },
    /// Before the checkout: its request ID, and the line items checked out.
    CheckoutSent {
        /// The `MS-RequestId` of the checkout, sent again on resume.
        request_id: Uuid,
        /// The cart's line items as checked out, with their order groups.
        line_items: Vec<CartLineItem>,
    },
    /// After the checkout: its result.
    CheckedOut {
        /// The result, or the orders found for a cart already submitted.
        result: CartCheckoutResult,
        /// False when the cart was already submitted (800065) and its
        /// orders were not yet in the order list.
        orders_visible: bool,
    },
    /// After the wait: the purchase's outcome. Nothing is sent for the
    /// purchase any more.
    Finished {
        /// The outcome.
        outcome: PurchaseOutcome,
    },
}

/// Where a journal keeps its records: a file by default ([`FileStore`]),
/// or anywhere a user's tool can write durably, such as its own database.
///
/// A store serves one journal, which calls it under a lock, one call at a
/// time.
pub trait JournalStore: Send {
    /// Every record stored, oldest first.
    ///
    /// # Errors
    ///
    /// Whatever kept the store from reading its records.
    fn load(&mut self) -> Result<Vec<Record>, BoxError>;

    /// Stores a record durably before returning: the journal sends the call
    /// the record guards only after this returns `Ok`.
    ///
    /// # Errors
    ///
    /// Whatever kept the record from being stored; the call it guards is
    /// not sent.
    fn append(&mut self, record: &Record) -> Result<(), BoxError>;
}

/// A durable record of purchases; see the [module docs](self).
pub struct Journal {
    inner: Mutex<Inner>,
}

struct Inner {
    store: Box<dyn JournalStore>,
    purchases: HashMap<String, Progress>,
    running: HashSet<String>,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("purchases", &self.lock().purchases.len())
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// Opens (or creates) the journal file at `path`, and locks it for as
    /// long as the journal lives; see [`FileStore`].
    ///
    /// # Errors
    ///
    /// [`Error::Journal`] with [`JournalError::Locked`] when another
    /// process has it open, or [`JournalError::Store`] when it cannot be
    /// opened or read, or a line other than a torn last one cannot be read.
    pub fn open(path: impl AsRef<Path>) -> Result<Journal, Error> {
        Journal::with_store(FileStore::open(path)?)
    }

    /// A journal kept in `store`, with the records it holds.
    ///
    /// # Errors
    ///
    /// [`Error::Journal`] with [`JournalError::Store`] when the store
    /// cannot load its records.
    pub fn with_store(store: impl JournalStore + 'static) -> Result<Journal, Error> {
        let mut store: Box<dyn JournalStore> = Box::new(store);
        let records = store.load().map_err(JournalError::Store)?;
        let mut purchases: HashMap<String, Progress> = HashMap::new();
        for record in records {
            purchases.entry(record.key).or_default().apply(record.event);
        }
        Ok(Journal {
            inner: Mutex::new(Inner {
                store,
                purchases,
                running: HashSet::new(),
            }),
        })
    }

    /// The stored outcome of a finished purchase.
    pub fn outcome(&self, key: &str) -> Option<PurchaseOutcome> {
        self.lock().purchases.get(key)?.outcome.clone()
    }

    /// The cart a purchase was started with, to resume it as it was: the
    /// availability IDs in it may have been reissued since.
    pub fn started_cart(&self, key: &str) -> Option<NewCart> {
        self.lock().purchases.get(key)?.cart.clone()
    }

    /// The keys of the purchases started and not finished, sorted.
    pub fn unfinished(&self) -> Vec<String> {
        let inner = self.lock();
        let mut keys: Vec<String> = inner
            .purchases
            .iter()
            .filter(|(_, progress)| progress.outcome.is_none())
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A thread that panicked mid-append left the store as it was.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores a record, then applies it: the call it guards may go.
    fn record(&self, key: &str, event: Event) -> Result<(), JournalError> {
        let record = Record {
            key: key.to_owned(),
            event,
        };
        let mut inner = self.lock();
        inner.store.append(&record).map_err(JournalError::Store)?;
        inner
            .purchases
            .entry(record.key)
            .or_default()
            .apply(record.event);
        Ok(())
    }

    /// The orders the journal holds for purchases other than `key`, which
    /// a cart of `key` found already submitted must not claim.
    fn orders_of_others(&self, key: &str) -> HashSet<OrderId> {
        let inner = self.lock();
        inner
            .purchases
            .iter()
            .filter(|(other, _)| other.as_str() != key)
            .flat_map(|(_, progress)| progress.orders())
            .cloned()
            .collect()
    }

    fn progress(&self, key: &str) -> Progress {
        self.lock().purchases.get(key).cloned().unwrap_or_default()
    }

    /// Marks a key as run by this thread until the guard drops.
    fn claim(&self, key: &str) -> Result<Claim<'_>, JournalError> {
        if !self.lock().running.insert(key.to_owned()) {
            return Err(JournalError::Busy {
                key: key.to_owned(),
            });
        }
        Ok(Claim {
            journal: self,
            key: key.to_owned(),
        })
    }
}

/// A key being run; released when dropped, a panic included.
struct Claim<'a> {
    journal: &'a Journal,
    key: String,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.journal.lock().running.remove(&self.key);
    }
}

/// What the records of one purchase say it has done.
#[derive(Debug, Clone, Default)]
struct Progress {
    customer: Option<CustomerId>,
    cart: Option<NewCart>,
    create_request_id: Option<Uuid>,
    cart_id: Option<CartId>,
    dropped: Vec<LineItemError>,
    checkout_request_id: Option<Uuid>,
    checkout_lines: Vec<CartLineItem>,
    checked_out: Option<(CartCheckoutResult, bool)>,
    outcome: Option<PurchaseOutcome>,
}

impl Progress {
    /// The IDs of the orders recorded for the purchase.
    fn orders(&self) -> impl Iterator<Item = &OrderId> {
        let checked_out = self
            .checked_out
            .iter()
            .flat_map(|(result, _)| &result.orders);
        let finished = self.outcome.iter().flat_map(|outcome| &outcome.orders);
        checked_out.chain(finished).map(|order| &order.id)
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Started {
                customer,
                cart,
                create_request_id,
            } => {
                self.customer = Some(customer);
                self.cart = Some(cart);
                self.create_request_id = Some(create_request_id);
            }
            Event::Created { cart_id } => self.cart_id = Some(cart_id),
            Event::Dropped { items } => {
                // A resumed run drops again what a killed one recorded.
                for item in items {
                    if !self.dropped.contains(&item) {
                        self.dropped.push(item);
                    }
                }
            }
            Event::CheckoutSent {
                request_id,
                line_items,
            } => {
                self.checkout_request_id = Some(request_id);
                self.checkout_lines = line_items;
            }
            Event::CheckedOut {
                result,
                orders_visible,
            } => self.checked_out = Some((result, orders_visible)),
            Event::Finished { outcome } => self.outcome = Some(outcome),
        }
    }
}

/// What differs between the purchase a key was started with and the one
/// run now, in words; `None` when they are the same. Availability IDs are
/// not compared: Partner Center reissues them, and a resumed purchase
/// keeps the cart it started with.
fn difference(
    stored_customer: CustomerId,
    stored: &NewCart,
    purchase: &Purchase,
) -> Option<String> {
    if stored_customer != purchase.customer {
        return Some(format!(
            "customer {stored_customer}, not {}",
            purchase.customer
        ));
    }
    let (old, new) = (stored.line_items(), purchase.cart.line_items());
    if old.len() != new.len() {
        return Some(format!("{} line items, not {}", old.len(), new.len()));
    }
    for (index, (old, new)) in old.iter().zip(new).enumerate() {
        if !same_line(old, new) {
            return Some(format!(
                "line item {index} was {}, not {}",
                describe_line(old),
                describe_line(new)
            ));
        }
    }
    (stored.attestation_accepted() != purchase.cart.attestation_accepted())
        .then(|| "the partner-of-record attestation differs".to_owned())
}

/// Whether two line items buy the same: the same product and SKU (any
/// availability), the same term in any case, and the same everything else.
fn same_line(old: &CartLineItem, new: &CartLineItem) -> bool {
    let product_and_sku = |item: &CartLineItem| {
        let mut parts = item.catalog_item_id.splitn(3, ':');
        (
            parts.next().unwrap_or_default().to_ascii_lowercase(),
            parts.next().unwrap_or_default().to_ascii_lowercase(),
        )
    };
    let rest = |item: &CartLineItem| CartLineItem {
        catalog_item_id: String::new(),
        term_duration: item.term_duration.as_deref().map(str::to_ascii_uppercase),
        addon_items: Vec::new(),
        ..item.clone()
    };
    product_and_sku(old) == product_and_sku(new)
        && rest(old) == rest(new)
        && old.addon_items.len() == new.addon_items.len()
        && old
            .addon_items
            .iter()
            .zip(&new.addon_items)
            .all(|(old, new)| same_line(old, new))
}

fn describe_line(item: &CartLineItem) -> String {
    format!(
        "{} x{} {} {}",
        Escaped(&item.catalog_item_id),
        item.quantity,
        item.billing_cycle
            .as_ref()
            .map_or("-", |cycle| cycle.as_str()),
        Escaped(item.term_duration.as_deref().unwrap_or("-")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BillingCycle;

    #[test]
    fn a_changed_attestation_is_another_purchase() {
        let cart = NewCart::new().line_item(CartLineItem::new("A:1:x", 1, BillingCycle::Monthly));
        let purchase = |cart: NewCart| {
            Purchase::new("k", "28045616-f6b9-462f-9701-0d89b5e65c44", cart).unwrap()
        };
        let accepted = cart.clone().partner_on_record_attestation_accepted(true);
        let stored = purchase(accepted.clone());
        assert_eq!(difference(stored.customer, &accepted, &stored), None);
        let declined = cart.clone().partner_on_record_attestation_accepted(false);
        for other in [cart, declined] {
            assert_eq!(
                difference(stored.customer, &accepted, &purchase(other)).as_deref(),
                Some("the partner-of-record attestation differs")
            );
        }
    }
}
