//! The journal's own failures, which [`Error::Journal`](crate::Error::Journal)
//! carries.

use std::path::PathBuf;

use crate::error_kind::BoxError;
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

    /// A key was run again with other contents than those it was started
    /// with.
    #[error("purchase {} was started with other contents: {difference}; give it another key to buy this", Escaped(.key))]
    ContentDiffers {
        /// The key.
        key: String,
        /// What differs.
        difference: String,
    },

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

    /// The purchase is being run by another thread of this process.
    #[error("purchase {} is already running in this process", Escaped(.key))]
    Busy {
        /// The key.
        key: String,
    },
}
