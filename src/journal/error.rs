//! The journal's own failures, which [`Error::Journal`](crate::Error::Journal)
//! carries.

use std::path::PathBuf;

use crate::error::kind::BoxError;
use crate::text::Escaped;

/// What went wrong in a journal, as [`Error::Journal`](crate::Error::Journal) carries it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Another process (or another journal in this one) holds the journal
    /// file: two runs at once could buy twice.
    #[error("the journal {} is in use by another process; wait for it to finish", .path.display())]
    Locked {
        /// The file.
        path: PathBuf,
    },

    /// The store could not read or write a record. When a write failed, the
    /// call it guarded was not sent. The store's message is escaped: it may
    /// quote a record, and so the service's text.
    #[error("the purchase journal failed: {}", Escaped(&.0.to_string()))]
    Store(#[source] BoxError),

    /// Another holder (a thread, process or machine) has claimed the
    /// purchase and may be running it now.
    #[error("purchase {} is being run by {}; it is left to that run", Escaped(.purchase), Escaped(.holder))]
    Held {
        /// The purchase.
        purchase: String,
        /// Who holds it, as far as the store knows.
        holder: String,
    },

    /// The claim on a purchase no longer holds (it lapsed, or another
    /// holder wrote since): this run stops, and the call the record guarded
    /// was not sent.
    #[error("the claim on purchase {} was lost: {}; nothing more is sent for it", Escaped(.purchase), Escaped(.reason))]
    ClaimLost {
        /// The purchase.
        purchase: String,
        /// What the store said.
        reason: String,
    },

    /// Another purchase for the same customer is unfinished and its
    /// checkout may have bought: starting this one could buy twice (a
    /// quantity corrected after a crash meets this). Nothing was sent.
    #[error(
        "customer {customer} has an unfinished purchase whose checkout may have bought: {other}; \
         this one differs: {difference}. Nothing was sent. Either finish that purchase as it was \
         (run it again with its items and label), or, if it bought nothing, abandon it (its \
         command with --abandon), then run this one"
    )]
    Unfinished {
        /// The customer.
        customer: String,
        /// The other purchase, in words.
        other: String,
        /// What differs between the two.
        difference: String,
    },

    /// The same contents were bought for the customer under another label
    /// within the last 7 days. Nothing was sent.
    #[error(
        "the same items were bought for customer {customer} at {finished_at}: {other}; nothing \
         was sent. To buy them again on purpose, run with --again"
    )]
    BoughtRecently {
        /// The customer.
        customer: String,
        /// The purchase that bought them, in words.
        other: String,
        /// When it finished (`YYYY-MM-DDTHH:MM:SSZ`).
        finished_at: String,
    },

    /// Another purchase for the same customer checked out after this one
    /// started: this one may be what that one replaced (a quantity
    /// corrected after a crash), so its checkout is not sent. Nothing was
    /// sent.
    #[error(
        "customer {customer}'s purchase {other} checked out after this one started; this one \
         differs: {difference}, and may be what that one replaced. Nothing was sent. If it is, \
         abandon this one (its command with --abandon); to buy both, run it with --again"
    )]
    Superseded {
        /// The customer.
        customer: String,
        /// The other purchase, in words.
        other: String,
        /// What differs between the two.
        difference: String,
    },

    /// The customer's orders of the last 7 days already hold every item of
    /// this new purchase, in its quantity: a run that kept another journal
    /// (another folder, another machine) or someone by hand may have
    /// bought it. Nothing was sent.
    #[error(
        "the customer's orders of the last 7 days already hold every item of purchase {purchase}: \
         {orders}. A run with another journal (another folder or machine) or someone by hand \
         may have bought it. Nothing was sent. To buy the items again on purpose, run with --again"
    )]
    OrderedRecently {
        /// The purchase, in words.
        purchase: String,
        /// The orders that hold its items, with when they were made.
        orders: String,
    },

    /// The purchase was abandoned: it is never run again. Nothing was sent.
    #[error(
        "purchase {purchase} was abandoned at {at} ({}); nothing was sent. To buy it, give it a \
         new label (--label=TEXT)",
        Escaped(.reason)
    )]
    Abandoned {
        /// The purchase, in words.
        purchase: String,
        /// When (`YYYY-MM-DDTHH:MM:SSZ`).
        at: String,
        /// Why it was safe to abandon.
        reason: String,
    },

    /// The purchase cannot be abandoned: it may have bought.
    #[error(
        "purchase {purchase} cannot be abandoned: {}. Run it again without --abandon to finish it",
        Escaped(.reason)
    )]
    AbandonRefused {
        /// The purchase, in words.
        purchase: String,
        /// Why not.
        reason: String,
    },

    /// The purchase to abandon is not in the journal.
    #[error("purchase {purchase} is not in the journal: there is nothing to abandon")]
    NotFound {
        /// The purchase, in words.
        purchase: String,
    },
}
