//! A purchase journal: what each purchase has done, kept durably, so that a
//! tool killed at any point and run again finishes its purchases without
//! buying anything twice, whatever the operator does next.
//!
//! # A purchase and its name
//!
//! A [`Purchase`] is a customer, a cart and an optional label. The journal
//! names it by its [`PurchaseKey`]: the customer and a SHA-256 digest of
//! its canonical contents, so that two runs that mean the same purchase
//! are the same purchase, however they were spelt:
//!
//! - the customer as a GUID, in any spelling (capitals, braces);
//! - each line's product and SKU, case folded, but not its availability,
//!   which Partner Center reissues from time to time (a resumed purchase
//!   buys the cart it was started with);
//! - each line's quantity, billing cycle and term (a tool fills in its
//!   defaults before it builds the cart, so that `=5` and
//!   `=5,monthly,P1M` are the same line);
//! - the lines in any order;
//! - the label the caller gives, such as `2026-12 true-up`.
//!
//! Nothing else enters it: not a file's path, not the order of the
//! arguments, not the partner-of-record attestation.
//! [`Purchase::contents`] gives the canonical lines for messages.
//!
//! A finished purchase run again buys nothing: it returns its stored
//! outcome, which says when it finished
//! ([`PurchaseOutcome::finished_at`]). To buy the same items again on
//! purpose (next month's true-up), give the purchase a new label.
//!
//! # Guards against buying twice by accident
//!
//! A purchase is refused, nothing sent, when it starts and again just
//! before its checkout is recorded (resumed or not), when:
//!
//! - the journal holds an **unfinished purchase for the same customer
//!   whose checkout may have acted**, whatever its label and contents
//!   ([`JournalError::Unfinished`]). This is what a quantity corrected after
//!   a crash meets: the error names the other purchase, what differs, and
//!   the two ways on: finish it as it was, or abandon it (below) where
//!   that is safe. An unfinished purchase that never sent its checkout
//!   does not block a start (a cart alone buys nothing); it stays listed
//!   by [`Journal::unfinished`] until it is run again or abandoned.
//! - **another purchase for the same customer checked out after this one
//!   started** and may have bought ([`JournalError::Superseded`]): this one
//!   may be what that one replaced, such as six seats stopped before their
//!   checkout and then bought as eight. Abandon it, or say both are meant
//!   with [`Purchase::again`] (the tools' `--again`).
//! - a purchase for the same customer with the **same contents under
//!   another label finished within the last 7 days** and bought something
//!   ([`JournalError::BoughtRecently`]); [`Purchase::again`] lifts this
//!   guard too.
//!
//!
//! A **file journal also keeps a record for the user's other file
//! journals** on this machine: a small file for each purchase whose
//! checkout may have bought, in a folder of the user's
//! ([`STATE_DIR_VARIABLE`], by default `partner-center-cart/purchases`
//! under `$XDG_STATE_HOME`, `~/.local/state` or `%LOCALAPPDATA%`, owner
//! only), marked when it ends and dropped 7 days later or when its journal
//! is gone. The first two guards above look at it too, for the same
//! Partner Center: the same command run from another folder, which opens
//! a new journal there, is refused while the first folder's purchase is
//! unfinished, and as bought for 7 days after, naming the other journal.
//! Without any of those variables (a bare environment) no record is kept.
//!
//! And a new purchase is refused when the **customer's orders of the last
//! 7 days already hold every item** of it, in its quantities (by product
//! and SKU, and by billing cycle and term where both say them), none of
//! them failed
//! ([`JournalError::OrderedRecently`]): a run that kept
//! another journal (started in another folder, on another machine, or
//! after the journal was lost) or someone in the portal may have bought
//! it. This costs one read of the customer's order list a new purchase.
//! Partner Center lists an order up to 15 minutes late, so it does not
//! see a purchase made in the last minutes: one journal per set of
//! customers, kept in one place, is still the guard that counts.
//! [`Purchase::again`] lifts it too.
//!
//! The check before the checkout runs under a lock on the customer's
//! checkouts (a claim on the key `CUSTOMER/0`, which never holds a record),
//! held until the checkout is recorded: of two purchases for one customer
//! run side by side, by threads, processes or machines sharing the
//! journal, one checks out and the other is refused. A runner waits for
//! the lock while another has it, up to 75 s (longer than a dead holder's
//! lease lasts), then gives up with [`JournalError::Held`].
//! [`Journal::run_batch`] runs a customer's purchases one after another
//! for the same reason. Two journals
//! that do not share a store know nothing of each other: keep one journal
//! per set of customers.
//!
//! # Abandon
//!
//! [`Journal::abandon`] retires a purchase for good when the journal or the
//! service proves it bought nothing: no checkout was sent; or one was,
//! the cart read back is not ordered, and either Partner Center refused
//! the last send for good (a 4xx answer, no attempt in doubt, recorded in
//! [`Checkout::refused`]) or the order list's lag
//! ([`Client::order_list_lag`](crate::Client::order_list_lag), 15 minutes
//! by default) has passed since the checkout was last sent. Inside that
//! window a cart that reads active proves nothing: the service may still
//! be working on the checkout (409 "in progress"). It is refused
//! ([`JournalError::AbandonRefused`], saying why and, inside the window,
//! from when) otherwise: a purchase that bought is finished by running it
//! again. An abandoned purchase is never run again
//! ([`JournalError::Abandoned`]); a new label buys its items.
//!
//! # Stages
//!
//! [`Journal::run`] runs a purchase, or resumes it where it stopped: create
//! the cart, drop the line items the service rejects, check out, wait for
//! the orders. Before each call that may act it records what makes a
//! repeat safe, and after it what came back. Each record is a whole
//! snapshot of the purchase ([`Stage`]):
//!
//! | stage | recorded | on resume |
//! |---|---|---|
//! | `started` | before the create, with its request ID | the create is repeated with the same request ID, so the service returns the cart it made |
//! | `created` | after the create, with the cart ID; again with the items dropped, before the update that drops them | the cart is read and the update sent again (a PUT: repeating it is harmless) |
//! | `checkout_sent` | before the checkout, with its request ID, its line items and the time | the same cart is checked out again, so the service replays the first result; a second cart is never made |
//! | `checked_out` | after the checkout, with its result | the orders are waited for |
//! | `finished` | when nothing is left to wait for, with the outcome | the stored outcome is returned and nothing is sent |
//! | `abandoned` | by [`Journal::abandon`] | refused: nothing is sent |
//!
//! Each run [claims](JournalStore::claim) its purchase in the store (the
//! owner named by host, process and thread) and releases it at the end, so
//! that two runners (threads, processes, machines sharing a store) never
//! run one purchase at once: the second meets [`JournalError::Held`].
//!
//! # An older service's "already submitted" (800065)
//!
//! An older service answers a repeated checkout with 800065. The journal
//! then reads the cart (not ordered: the refusal stands) and the
//! customer's orders, and takes as its own the orders made while the cart
//! lived that match its lines, never an order the journal names as another
//! purchase's. An order that another purchase for the customer, whose
//! orders are not known either, could own too is named as no one's: the
//! outcome says "bought, orders not yet identified" and lists it apart
//! ([`PurchaseOutcome::candidates`]).
//!
//! Partner Center lists a new order up to 15 minutes late
//! ([`Client::order_list_lag`](crate::Client::order_list_lag)). Inside the
//! lag, lines with no order yet mean "not known yet": the purchase stays
//! unfinished and says when to run it again
//! ([`PurchaseOutcome::run_again_after`]). After it, lines with no order
//! (an order group that failed, say) go to
//! [`to_buy_again`](PurchaseOutcome::to_buy_again), and a purchase none of
//! whose lines made an order finishes as "nothing bought".
//!
//! # The journal file
//!
//! [`Journal::open`] keeps the journal in a file ([`FileStore`]): a header
//! line naming the format version, then one line a record; its
//! [format](FileStore#format) (header, records, torn lines, compaction,
//! versions) is described there. Each record the journal writes is a
//! snapshot of its purchase: `format` (the record's version, 1; a newer
//! one is refused, named), `purchase` (the key's name), `customer`,
//! `label`, `contents` (the canonical lines), `cart` (as started),
//! `startedAt`, then `stage` and that stage's own fields (request IDs,
//! cart ID, dropped items, the checkout's line items and `sentAt`, its
//! result, the outcome and `finishedAt`; times in milliseconds since the
//! Unix epoch).
//!
//! # Stores
//!
//! The default store is a file ([`Journal::open`], [`FileStore`]).
//! [`MemoryStore`] keeps purchases in memory, for tests and as a model. A
//! [`JournalStore`] of one's own keeps them anywhere else, such as a
//! database or a blob store; its docs give the contract
//! (claim, read, append, release, list). One journal serves many threads,
//! and several journals (in several processes, on several machines) may
//! share a store that keeps its claims across them.
//!
//! [`BlobStore`] keeps purchases in an Azure Blob Storage container
//! instead ([`Journal::open`] of the container's URL with its SAS), where
//! they outlive the machine and several workers share them, one purchase
//! per worker at a time; a batch
//! ([`run_batch`](Journal::run_batch)) comes back to those another worker
//! holds; its docs say
//! [when to use a file and when a container](BlobStore#a-file-or-a-container),
//! how to make the container's SAS, what its lease time trades and what it
//! costs.
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
//! let purchase = Purchase::new(customer, cart)?.label("2026-12 true-up");
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
//!     purchases.push(Purchase::new(customer, cart)?.label("2026-12"));
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
pub(crate) mod error;
mod file;
mod history;
mod identity;
mod memory;
mod outcome;
mod registry;
mod run;
mod state;
mod store;
mod table;

pub use batch::{
    BatchError, BatchOptions, BatchOutcome, BatchProgress, BatchStop, BatchTotals, BatchVerdict,
    DEFAULT_MAX_WAITING, DEFAULT_PARALLEL, StopCause,
};
pub use blob::{BlobError, BlobStore, BlobStoreBuilder, LEASE_VARIABLE};
pub use error::JournalError;
pub use file::FileStore;
pub use identity::Purchase;
pub use memory::MemoryStore;
pub use outcome::{PurchaseOutcome, ToBuyAgain};
pub use registry::STATE_DIR_VARIABLE;
pub use state::{Checkout, Stage};
pub use store::{Claim, JournalStore, Listed, PurchaseKey, StoredRecord};
pub use table::BatchTable;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::error::Error;
use crate::ids::CustomerId;
use crate::logging::LOG_TARGET;
use crate::model::CartStatus;
use crate::text::Escaped;
use registry::Registry;
use state::Snapshot;

/// The digest of the claim that locks a customer's checkouts: no
/// purchase's (theirs have 64 digits), and never given a record.
const CUSTOMER_LOCK: &str = "0";

/// How long a purchase waits for its customer's lock: longer than the
/// longest lease a dead holder can leave behind.
const CUSTOMER_LOCK_WAIT: Duration = Duration::from_secs(75);

/// A durable record of purchases; see the [module docs](self).
#[derive(Clone)]
pub struct Journal {
    store: Arc<dyn JournalStore>,
    /// For a file journal: the user's record of the purchases of their
    /// other file journals on this machine.
    registry: Option<Registry>,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("store", &self.store)
            .finish()
    }
}

impl Journal {
    /// Opens the journal at `location`: an Azure Blob Storage container's
    /// URL with its SAS ([`BlobStore`]; see [`BlobStore::is_url`] for what
    /// counts as a URL), or else the path of a file, created if missing
    /// ([`FileStore`]). The tools' `--journal=` takes either. A file
    /// journal also keeps the user's record of purchases across their file
    /// journals (see [the guards](crate::journal#guards-against-buying-twice-by-accident));
    /// [`Journal::with_store`] keeps none.
    ///
    /// A container's leases last [`BlobStore::DEFAULT_LEASE`], or the
    /// whole seconds (15 to 60) that the environment variable
    /// [`LEASE_VARIABLE`] holds when it is set; a [`BlobStore`] of one's
    /// own ([`BlobStore::builder`], [`Journal::with_store`]) sets the rest.
    ///
    /// ```no_run
    /// use partner_center_cart::journal::Journal;
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let on_disk = Journal::open("purchases.journal")?;
    /// let shared = Journal::open(
    ///     "https://contoso.blob.core.windows.net/purchases?sv=2022-11-02&sr=c&sp=racwl&se=2027-01-01&sig=…",
    /// )?;
    /// # let _ = (on_disk, shared);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// For a file: [`Error::Journal`] with [`JournalError::Locked`] when
    /// another process has it open, or [`JournalError::Store`] when it
    /// cannot be opened or read. For a container: [`Error::InvalidConfig`]
    /// as [`BlobStoreBuilder::build`] says, or naming [`LEASE_VARIABLE`]
    /// when its value is not a whole number of seconds. Nothing is sent
    /// to the container before the first purchase.
    pub fn open(location: impl AsRef<Path>) -> Result<Journal, Error> {
        let location = location.as_ref();
        match location.to_str().filter(|text| BlobStore::is_url(text)) {
            Some(url) => Ok(Journal::with_store(blob::from_env(url)?)),
            None => Ok(Journal {
                store: Arc::new(FileStore::open(location)?),
                registry: Registry::for_journal(location),
            }),
        }
    }

    /// A journal kept in `store`. Journals over clones of one store (or
    /// over one `Arc`) share its purchases.
    pub fn with_store(store: impl JournalStore + 'static) -> Journal {
        Journal {
            store: Arc::new(store),
            registry: None,
        }
    }

    /// The stored outcome of a finished purchase, with when it finished;
    /// `None` for a purchase not finished (or not in the journal).
    ///
    /// # Errors
    ///
    /// [`Error::Journal`] when the store cannot be read.
    pub fn outcome(&self, key: &PurchaseKey) -> Result<Option<PurchaseOutcome>, Error> {
        Ok(self
            .snapshot(key)?
            .and_then(|snapshot| match snapshot.stage {
                Stage::Finished {
                    mut outcome,
                    finished_at,
                    ..
                } => {
                    outcome.finished_at = Some(state::format_time(finished_at));
                    Some(outcome)
                }
                _ => None,
            }))
    }

    /// Where a purchase stands; `None` for one not in the journal.
    ///
    /// # Errors
    ///
    /// [`Error::Journal`] when the store cannot be read.
    pub fn stage(&self, key: &PurchaseKey) -> Result<Option<Stage>, Error> {
        Ok(self.snapshot(key)?.map(|snapshot| snapshot.stage))
    }

    /// The purchases started and not ended (finished or abandoned), of one
    /// customer or of all, sorted.
    ///
    /// # Errors
    ///
    /// [`Error::Journal`] when the store cannot list them. A purchase whose
    /// last record cannot be read is listed, as unfinished.
    pub fn unfinished(&self, customer: Option<CustomerId>) -> Result<Vec<PurchaseKey>, Error> {
        let mut keys = Vec::new();
        for listed in self.store.list(customer)? {
            // A listing may not know yet that a purchase ended (its writer
            // died between the last record and the mark): the last record
            // has the last word.
            // A purchase with no record yet has sent nothing; one whose
            // last record cannot be read is named, as unfinished.
            if listed.ended
                || self
                    .snapshot(&listed.key)
                    .is_ok_and(|snapshot| snapshot.is_none_or(|s| s.stage.has_ended()))
            {
                continue;
            }
            keys.push(listed.key);
        }
        keys.sort();
        Ok(keys)
    }

    /// A purchase in words, for messages: its customer, contents, label and
    /// stage; its key when the journal cannot say more.
    pub fn describe(&self, key: &PurchaseKey) -> String {
        match self.snapshot(key) {
            Ok(Some(snapshot)) => format!(
                "{} [{}]",
                describe_snapshot(&snapshot),
                snapshot.stage.name()
            ),
            _ => key.name(),
        }
    }

    /// Retires a purchase that bought nothing, so that it no longer blocks
    /// its customer's other purchases: allowed when no checkout was sent,
    /// or the cart read back is not ordered and the checkout was refused
    /// for good or last sent longer ago than the order list's lag (see the
    /// [module docs](crate::journal#abandon)). An abandoned purchase is
    /// never run again. Abandoning one already abandoned does nothing.
    ///
    /// # Errors
    ///
    /// - [`Error::Journal`] with [`JournalError::AbandonRefused`] when a
    ///   checkout may have acted: the cart is ordered, the checkout was
    ///   answered with orders, or it was sent within the lag; or when the
    ///   purchase finished; [`JournalError::NotFound`] when it is not in the
    ///   journal; [`JournalError::Held`] when another runner has it.
    /// - The error of reading the cart, which leaves the purchase as it
    ///   was.
    pub fn abandon(&self, client: &Client, purchase: impl AsRef<PurchaseKey>) -> Result<(), Error> {
        let key = purchase.as_ref();
        let mut held = self.claim(key)?;
        let Some(snapshot) = self.snapshot(key)? else {
            return Err(JournalError::NotFound {
                purchase: key.name(),
            }
            .into());
        };
        let refuse = |reason: String| -> Error {
            JournalError::AbandonRefused {
                purchase: describe_snapshot(&snapshot),
                reason,
            }
            .into()
        };
        let reason = match &snapshot.stage {
            Stage::Abandoned { .. } => return Ok(()),
            Stage::Finished { finished_at, .. } => {
                return Err(refuse(format!(
                    "it finished at {}; there is nothing to abandon",
                    state::format_time(*finished_at)
                )));
            }
            Stage::Started { .. } | Stage::Created { .. } => "no checkout was sent".to_owned(),
            Stage::CheckedOut { result, .. } if !result.orders.is_empty() => {
                return Err(refuse(format!(
                    "its checkout was answered with {} order(s): it bought",
                    result.orders.len()
                )));
            }
            Stage::CheckoutSent { checkout } | Stage::CheckedOut { checkout, .. } => {
                let cart = client.get_cart(snapshot.customer, checkout.cart_id)?;
                let status = match cart.status {
                    Some(CartStatus::Ordered) => {
                        return Err(refuse(format!(
                            "a checkout was sent and cart {} is ordered: it bought",
                            checkout.cart_id
                        )));
                    }
                    status => {
                        status.map_or("without a status".to_owned(), |s| s.as_str().to_owned())
                    }
                };
                // A cart not ordered yet proves nothing while a checkout
                // may still be worked on (409 "in progress") or its order
                // not listed yet: only a refusal, or the lag, does.
                let quiet_from = checkout
                    .last_sent_at()
                    .saturating_add(state::millis(client.order_list_lag()));
                // A refusal proves nothing taken only for a checkout sent
                // once: a resumed send's refusal says nothing of the send
                // before it, which may still be worked on.
                match checkout
                    .refused
                    .as_ref()
                    .filter(|_| checkout.resent_at.is_none())
                {
                    Some(refusal) => format!(
                        "its checkout was refused for good ({refusal}) and cart {} read back is {status}, not ordered",
                        checkout.cart_id
                    ),
                    None if state::now() >= quiet_from => format!(
                        "cart {} read back is {status}, not ordered, {} after its checkout was last sent",
                        checkout.cart_id,
                        lag_words(client.order_list_lag())
                    ),
                    None => {
                        return Err(refuse(format!(
                            "a checkout was sent at {} and cart {} reads {status}, but Partner \
                             Center may still be working on it or not list its order yet; \
                             abandon it after {} if it is still not ordered",
                            state::format_time(checkout.last_sent_at()),
                            checkout.cart_id,
                            state::format_time(quiet_from)
                        )));
                    }
                }
            }
        };
        log::info!(target: LOG_TARGET, "abandoning purchase {key}: {}", Escaped(&reason));
        let abandoned = Snapshot {
            stage: Stage::Abandoned {
                cart_id: snapshot.stage.cart_id(),
                reason,
                abandoned_at: state::now(),
            },
            ..snapshot
        };
        held.append(&abandoned)?;
        self.forget_elsewhere(key);
        Ok(())
    }

    /// The last record of a purchase, read.
    fn snapshot(&self, key: &PurchaseKey) -> Result<Option<Snapshot>, JournalError> {
        let records = self.store.read(key)?;
        let Some(last) = records.last() else {
            return Ok(None);
        };
        let unreadable = |reason: String| {
            JournalError::Store(format!("the last record of purchase {key} {reason}").into())
        };
        let value: serde_json::Value = serde_json::from_str(last)
            .map_err(|error| unreadable(format!("cannot be read: {error}")))?;
        let format = value.get("format").and_then(serde_json::Value::as_u64);
        if format.is_none_or(|format| format > u64::from(state::FORMAT)) {
            return Err(unreadable(format!(
                "has format {}, which this version (format {}) cannot read; use a newer version",
                format.map_or("none".to_owned(), |f| f.to_string()),
                state::FORMAT
            )));
        }
        let snapshot: Snapshot = serde_json::from_value(value)
            .map_err(|error| unreadable(format!("cannot be read: {error}")))?;
        if snapshot.purchase != key.name() {
            return Err(unreadable(format!(
                "names purchase {}",
                Escaped(&snapshot.purchase)
            )));
        }
        Ok(Some(snapshot))
    }

    /// The other purchases of a customer, with their last records.
    fn others(&self, key: &PurchaseKey) -> Result<Vec<(Listed, Snapshot)>, JournalError> {
        let mut others = Vec::new();
        for listed in self.store.list(Some(key.customer()))? {
            if listed.key == *key {
                continue;
            }
            if let Some(snapshot) = self.snapshot(&listed.key)? {
                others.push((listed, snapshot));
            }
        }
        Ok(others)
    }

    /// Takes the lock on a customer's checkouts, a claim under the
    /// customer's name that no purchase has: held while a purchase checks
    /// its guards and records its checkout, so that two runners never both
    /// pass them. Waits while another holds it, for as long as a lapsed
    /// holder's lease can last.
    fn lock_customer(&self, customer: CustomerId) -> Result<Held<'_>, JournalError> {
        let key = PurchaseKey::new(customer, CUSTOMER_LOCK.to_owned());
        let started = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            match self.claim(&key) {
                Err(JournalError::Held { holder, .. }) => {
                    if started.elapsed() >= CUSTOMER_LOCK_WAIT {
                        return Err(JournalError::Held {
                            purchase: format!("the checkouts of customer {customer}"),
                            holder,
                        });
                    }
                    thread::sleep(pause);
                    pause = pause.saturating_mul(2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }

    /// Claims a purchase for this thread until the guard drops.
    fn claim(&self, key: &PurchaseKey) -> Result<Held<'_>, JournalError> {
        let claim = self.store.claim(key, &owner())?;
        Ok(Held {
            store: &*self.store,
            claim: Some(claim),
        })
    }
}

/// A lag in words: `15 minutes`, `90 seconds`.
pub(super) fn lag_words(lag: Duration) -> String {
    let seconds = lag.as_secs();
    if seconds.is_multiple_of(60) && seconds > 0 && lag.subsec_nanos() == 0 {
        format!("{} minutes", seconds / 60)
    } else {
        format!("{lag:.1?}")
    }
}

/// A purchase claimed; released when dropped, a panic included.
struct Held<'a> {
    store: &'a dyn JournalStore,
    claim: Option<Claim>,
}

impl Held<'_> {
    /// Refuses a call that may buy under a claim that may have lapsed:
    /// one not confirmed recently enough, as when the process was paused
    /// past its lease and another runner may have the purchase now.
    fn may_act(&self) -> Result<(), JournalError> {
        match &self.claim {
            Some(claim) if !claim.may_act() => Err(JournalError::ClaimLost {
                purchase: claim.key().name(),
                reason: "its lease was not confirmed recently enough (was this process paused?), \
                         and another runner may hold it now"
                    .to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// Stores a snapshot under the claim, durably, before the call it
    /// guards.
    fn append(&mut self, snapshot: &Snapshot) -> Result<(), JournalError> {
        let json = serde_json::to_string(snapshot)
            .map_err(|error| JournalError::Store(Box::new(error)))?;
        let record = StoredRecord {
            json,
            ends: snapshot.stage.has_ended(),
        };
        let claim = self.claim.as_mut().ok_or_else(|| JournalError::ClaimLost {
            purchase: snapshot.purchase.clone(),
            reason: "released".into(),
        })?;
        self.store.append(claim, &record)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(claim) = self.claim.take() {
            let key = claim.key().clone();
            if let Err(error) = self.store.release(claim) {
                log::warn!(target: LOG_TARGET, "purchase {key}: the claim could not be released ({error}); it lapses on its own");
            }
        }
    }
}

/// The holder's name for claims: host, process and thread.
fn owner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "this machine".to_owned());
    format!(
        "{} process {} thread {:?}",
        Escaped(&host),
        std::process::id(),
        std::thread::current().id()
    )
}

/// A purchase's last record in words.
fn describe_snapshot(snapshot: &Snapshot) -> String {
    identity::describe(
        snapshot.customer,
        &snapshot.contents,
        snapshot.label.as_deref(),
    )
}

#[cfg(all(test, feature = "fake"))]
mod tests {
    use std::time::{Duration, Instant};

    use super::store::Lapse;
    use super::*;
    use crate::fake::FakePartnerCenter;
    use crate::model::{BillingCycle, CartLineItem, NewCart};

    /// A memory store whose claims lapse on their own and were last
    /// confirmed until now: a process that slept past its lease.
    #[derive(Debug, Default)]
    struct Slept(MemoryStore);

    impl JournalStore for Slept {
        fn claim(&self, key: &PurchaseKey, owner: &str) -> Result<Claim, JournalError> {
            let lapse = Lapse::new(Instant::now());
            Ok(self
                .0
                .claim(key, owner)?
                .lapses(lapse, Duration::from_secs(5)))
        }
        fn read(&self, key: &PurchaseKey) -> Result<Vec<String>, JournalError> {
            self.0.read(key)
        }
        fn append(&self, claim: &mut Claim, record: &StoredRecord) -> Result<(), JournalError> {
            self.0.append(claim, record)
        }
        fn release(&self, claim: Claim) -> Result<(), JournalError> {
            self.0.release(claim)
        }
        fn list(&self, customer: Option<CustomerId>) -> Result<Vec<Listed>, JournalError> {
            self.0.list(customer)
        }
    }

    #[test]
    fn nothing_that_may_buy_is_sent_under_a_claim_that_may_have_lapsed() {
        let fake = FakePartnerCenter::start().unwrap();
        let client = Client::builder(|| Ok::<_, std::io::Error>("test-token"))
            .base_url(fake.base_url())
            .proxy(crate::Proxy::none())
            .build()
            .unwrap();
        let cart = NewCart::new()
            .line_item(
                CartLineItem::new("CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", 1, BillingCycle::Monthly)
                    .term_duration("P1M"),
            )
            .partner_on_record_attestation_accepted(true);
        let purchase = Purchase::new("28045616-f6b9-462f-9701-0d89b5e65c44", cart).unwrap();
        let journal = Journal::with_store(Slept::default());
        let error = journal
            .run(&client, &purchase, crate::WaitOptions::default())
            .unwrap_err();
        assert!(
            matches!(&error, Error::Journal(JournalError::ClaimLost { reason, .. }) if reason.contains("paused")),
            "{error:?}"
        );
        assert!(
            fake.requests()
                .iter()
                .all(|request| request.method == "GET"),
            "nothing that acts was sent"
        );
    }
}
