//! [`BlobStore`]: purchases kept in an Azure Blob Storage container, one
//! append blob each, claimed with leases, so that they outlive the machine
//! and many workers can share them.

mod error;
mod lease;
mod listing;
mod sas;

pub use error::BlobError;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use ureq::http;
use uuid::Uuid;

use super::JournalError;
use super::store::{Claim, JournalStore, Lapse, Listed, PurchaseKey, StoredRecord};
use crate::encoding::encode_query_value;
use crate::error::Error;
use crate::error::kind::InvalidConfig;
use crate::http::url::check_tls_built_in;
use crate::http::{
    MAX_TIMEOUT, Proxy, ReadFailure, ReadResponse, TIMEOUT_RULE, agent_config, agent_proxy,
    exchange, timeout_ok,
};
use crate::ids::CustomerId;
use crate::logging::LOG_TARGET;
use crate::text::Escaped;
use error::{Failure, code_and_message};
use lease::{LeaseTime, Renewer};
use listing::read_page;
use sas::{Container, redact};

/// The environment variable from which [`Journal::open`](super::Journal::open)
/// takes a container's lease time, in whole seconds (15 to 60).
pub const LEASE_VARIABLE: &str = "PARTNER_CENTER_JOURNAL_LEASE_SECONDS";

/// A store on the container at `url`, with the lease time
/// [`LEASE_VARIABLE`] gives, if set, and the other defaults.
pub(super) fn from_env(url: &str) -> Result<BlobStore, Error> {
    let mut builder = BlobStore::builder(url);
    if let Some(value) = std::env::var_os(LEASE_VARIABLE) {
        let seconds = value
            .to_str()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .filter(|seconds| (15..=60).contains(seconds))
            .ok_or_else(|| {
                Error::InvalidConfig(format!(
                    "{LEASE_VARIABLE} must be a whole number of seconds (15 to 60), not {:?}",
                    Escaped(&value.to_string_lossy())
                ))
            })?;
        builder = builder.lease_duration(Duration::from_secs(seconds));
    }
    builder.build()
}

/// The storage API version every call names; the calls below have been
/// in it since 2019, and Azurite 3.35 serves it.
const API_VERSION: &str = "2021-08-06";

/// The metadata that names who claimed a purchase last.
const HOLDER: &str = "holder";

/// The metadata that marks a purchase ended.
const ENDED: &str = "ended";

/// How many bytes of a holder's name go into the blob's metadata.
const MAX_HOLDER_BYTES: usize = 200;

/// The most pages one [`JournalStore::list`] reads.
const MAX_PAGES: usize = 100_000;

/// The most purchases one [`JournalStore::list`] gives (some 100 MB).
const MAX_LISTED: usize = 1_000_000;

/// Room for one blob's entry in a listing page, properties and metadata
/// included, to bound a page's bytes by its number of blobs.
const LISTING_BYTES_PER_BLOB: u64 = 8 * 1024;

/// The pauses before the second and third attempts of a call that failed
/// in a way that may pass.
const RETRY_PAUSES: [Duration; 2] = [Duration::from_millis(500), Duration::from_secs(2)];

/// Purchases kept in an Azure Blob Storage container: one append blob a
/// purchase, claimed with a lease, so that the journal outlives the
/// machine and many workers can share it.
///
/// Made from the container's URL with a shared access signature (SAS):
///
/// ```no_run
/// use partner_center_cart::journal::BlobStore;
///
/// # fn main() -> Result<(), partner_center_cart::Error> {
/// let url = std::env::var("JOURNAL_CONTAINER_URL").expect("the container URL with its SAS");
/// let store = BlobStore::new(&url)?;
/// println!("{store:?}"); // the SAS shows with its signature redacted
/// # Ok(())
/// # }
/// ```
///
/// # A file or a container
///
/// A journal file ([`FileStore`](super::FileStore)) is the simplest and
/// the fastest: use it when one process on one machine whose disk lasts
/// runs the purchases. Use a container when the disk does not last (a
/// container image, an Azure Function, a pipeline agent, a scheduled job on
/// a machine made for it) or when several workers, on one machine or many,
/// share a batch: each purchase is run by one worker at a time, and a dead
/// worker's purchases are taken over once their leases lapse. Do not put a
/// journal file on a network share (SMB, NFS): its locks and `fsync` do
/// not hold there as they do on a local disk.
///
/// # Making the container and its SAS
///
/// The store needs a container of its own and a container SAS with the
/// permissions read, add, create, write and list (`racwl`; never delete),
/// for HTTPS only. With the Azure CLI:
///
/// ```text
/// az storage container create --account-name ACCOUNT --name journal --auth-mode login
/// az storage container generate-sas --account-name ACCOUNT --name journal \
///     --permissions racwl --expiry 2027-06-30T00:00Z --https-only \
///     --auth-mode key -o tsv
/// ```
///
/// and give the store `https://ACCOUNT.blob.core.windows.net/journal?` and
/// the SAS printed. (Without the account key, `--as-user --auth-mode login`
/// makes a user delegation SAS instead, valid for at most seven days.) The SAS grants that container and nothing else, until
/// it expires: choose an expiry past the longest batch, and keep the URL as
/// a secret (an environment variable, a key vault), never in a command
/// line others can read. A SAS tied to a stored access policy (`si=`) can
/// be revoked before it expires. `http://` is accepted for loopback only
/// (Azurite, the storage emulator); `https://` needs a TLS feature
/// (`rustls`, the default, or `native-tls`).
///
/// The SAS signature never shows: [`Debug`](fmt::Debug) gives the SAS
/// with `sig=<redacted>`, and errors and log records name blobs by their
/// URL without the SAS. (ureq's own trace-level log prints request URLs
/// whole; keep the `ureq` target below trace, as the crate docs say.)
///
/// # How it works
///
/// - A purchase is the append blob `CUSTOMER/DIGEST` (its
///   [`PurchaseKey::name`]), one record a line.
/// - [`claim`](JournalStore::claim) creates the blob if it is missing
///   (`If-None-Match: *`, so two workers never both create it) and takes a
///   lease on it. While the purchase runs, a thread of the claim renews the
///   lease three times a lease; releasing the claim stops the thread and
///   releases the lease. A lease held by another worker gives
///   [`JournalError::Held`], naming the holder from the blob's `holder`
///   metadata, which each claim sets.
/// - [`append`](JournalStore::append) sends the record with the lease ID
///   and the position it expects the blob to end at
///   (`x-ms-blob-condition-appendpos`); it returns once the storage has
///   stored it (201). A lease that lapsed or was taken, or a blob that
///   another writer changed, gives [`JournalError::ClaimLost`], and the
///   purchase stops before the call the record guards.
/// - A record that ends a purchase also sets the blob's `ended` metadata,
///   so that [`list`](JournalStore::list) tells ended purchases from
///   unfinished ones for every worker, from the listing alone. A worker
///   that dies between the two (or a mark that fails, which is logged as a
///   warning) leaves the purchase listed unfinished: [`Journal::unfinished`](super::Journal::unfinished)
///   reads its last record and leaves it out, and its next run sees it
///   ended and sends nothing.
///
/// # Listing: the container's own listing, read in part
///
/// [`list`](JournalStore::list) reads the container's listing (with the
/// blobs' metadata; by the customer's prefix when one is given), a page at
/// a time. The listing is XML; the store reads only the blob names, the
/// `ended` metadata and the next page's marker, with a small reader of its
/// own that bounds depth, text and the number of blobs, and refuses what a
/// listing never holds (document types, entities, CDATA). It keeps no
/// index blob of its own: an index would be one more blob every worker
/// writes for every purchase, under a lease or a condition of its own,
/// contended by every worker, and able to disagree with the blobs after a
/// crash; the listing is always the truth, and costs one request a page.
///
/// # The lease time, and what it trades
///
/// A lease lasts [`BlobStore::DEFAULT_LEASE`] (30 s) unless set with
/// [`BlobStoreBuilder::lease_duration`] (15 to 60 s, as Azure allows), and
/// is renewed every third of it. A worker that dies leaves its purchases
/// held for at most that long; then another worker, or the next run, takes
/// them over and resumes them. A shorter lease hands a dead worker's
/// purchases over sooner, but renews more often (more requests) and lets a
/// worker that stalls (a paused machine, a network cut) lose its claim
/// sooner; the purchase then stops with [`JournalError::ClaimLost`] and
/// is resumed by whoever holds it next, never bought twice. Before each
/// call that may buy (the create, the checkout) the journal checks that
/// the lease was confirmed recently enough, a third of it left at least:
/// a worker whose machine slept past its lease stops there rather than
/// send a checkout another worker may have taken over, or abandoned.
/// [`BlobStoreBuilder::infinite_lease`] needs no renewals, but a dead
/// worker's purchases then wait until someone breaks their leases
/// (`az storage blob lease break`).
///
/// # What it costs
///
/// In requests, for one purchase that runs from start to end with five
/// records (started, created, checkout sent, checked out, finished):
///
/// | what | requests |
/// |---|---|
/// | read its records before starting | 1 |
/// | claim a new purchase: create the blob, take the lease, read its length | 3 |
/// | claim one started before: create (refused), lease, properties, set the holder | 4 |
/// | each record | 1 (5 here) |
/// | the last record's `ended` mark | 1 |
/// | release | 1 |
/// | the customer's lock around the checkout record: claim (3 the first time, 4 after) and release | 4 to 5 |
/// | the guards, at the start and before the checkout: list the customer's purchases, read each other one's last record | 2, plus 2 a purchase of the customer |
/// | while it runs: renewals | 1 every lease/3 (10 s by default) |
/// | [`list`](JournalStore::list) | 1 a page of [`BlobStoreBuilder::list_page_size`] purchases |
///
/// So about 17 requests for a customer's first purchase, 13 of them write
/// operations (all but the reads and the listings), plus one renewal (a write) every 10 s while
/// it waits for its orders, and a blob of a few kilobytes. Azure bills
/// operations per 10,000: multiply by the account's price for write
/// operations; the storage itself is not worth counting.
///
/// # Limits
///
/// Every answer is read within a cap: a purchase's blob within
/// [`BlobStoreBuilder::max_blob_bytes`] (an append that would grow it past
/// that is refused before it is sent), a page of the listing within
/// 8 KiB a blob, an error within 64 KiB; a listing gives at most a
/// million purchases.
///
/// A call that gets no answer, or 408, 500, 502, 503 or 504, is sent again
/// after 0.5 s and then 2 s. Every call may be: an append repeated after
/// its answer was lost is refused for its position, and the store then
/// reads the blob there to see whether it holds the record (stored once)
/// or another (the claim is lost). A call that still fails is an error for
/// the purchase, which stops before the call the record guards; running it
/// again resumes it.
pub struct BlobStore {
    calls: Calls,
    lease: LeaseTime,
    page_size: u32,
}

impl BlobStore {
    /// The lease time unless set otherwise: 30 s.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

    /// The timeout of each request unless set otherwise: 10 s, well under a
    /// third of the shortest lease, so that a slow renewal is retried
    /// before the lease lapses.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The connect timeout unless set otherwise: 5 s.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

    /// The largest purchase blob read or written unless set otherwise:
    /// 4 MiB, some hundred times a purchase's records.
    pub const DEFAULT_MAX_BLOB_BYTES: u64 = 4 * 1024 * 1024;

    /// How many blobs a page of the listing asks for unless set otherwise.
    pub const DEFAULT_LIST_PAGE_SIZE: u32 = 1000;

    /// A store on the container at `url`, with its SAS, and the default
    /// settings. Such a URL is what `Journal::open` takes besides a path.
    ///
    /// # Errors
    ///
    /// As [`BlobStoreBuilder::build`].
    pub fn new(url: &str) -> Result<BlobStore, Error> {
        BlobStore::builder(url).build()
    }

    /// A builder of a store on the container at `url`, with its SAS.
    pub fn builder(url: impl Into<String>) -> BlobStoreBuilder {
        BlobStoreBuilder {
            url: url.into(),
            lease: Some(BlobStore::DEFAULT_LEASE),
            timeout: BlobStore::DEFAULT_TIMEOUT,
            connect_timeout: BlobStore::DEFAULT_CONNECT_TIMEOUT,
            max_blob_bytes: BlobStore::DEFAULT_MAX_BLOB_BYTES,
            page_size: BlobStore::DEFAULT_LIST_PAGE_SIZE,
            proxy: Proxy::from_environment(),
        }
    }

    /// Whether `location` is a URL (`http://` or `https://`, in any case)
    /// rather than a path: how a journal tells a container from a file.
    pub fn is_url(location: &str) -> bool {
        let scheme = |prefix: &str| {
            location
                .get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        };
        scheme("http://") || scheme("https://")
    }

    /// The container's URL, without its SAS.
    pub fn container_url(&self) -> &str {
        self.calls.container.url()
    }

    /// The error for a purchase whose lease another holder has, naming
    /// the holder when the blob's metadata does.
    fn held(&self, key: &PurchaseKey) -> JournalError {
        let name = key.name();
        let holder = match self.calls.properties(&name) {
            Ok(Some(properties)) => properties.holder,
            Ok(None) => None,
            Err(error) => {
                log::debug!(target: LOG_TARGET, "could not read who holds {}: {}", Escaped(&name), Escaped(&error.to_string()));
                None
            }
        };
        JournalError::Held {
            purchase: name.clone(),
            holder: holder.unwrap_or_else(|| {
                format!(
                    "another worker (the lease on {} is taken)",
                    self.calls.container.blob_url(&name)
                )
            }),
        }
    }
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStore")
            .field("container", &self.calls.container)
            .field("lease", &self.lease)
            .field("max_blob_bytes", &self.calls.max_blob_bytes)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

/// The settings of a [`BlobStore`]; [`build`](Self::build) checks them.
#[derive(Clone)]
pub struct BlobStoreBuilder {
    url: String,
    /// `None`: infinite.
    lease: Option<Duration>,
    timeout: Duration,
    connect_timeout: Duration,
    max_blob_bytes: u64,
    page_size: u32,
    proxy: Proxy,
}

impl BlobStoreBuilder {
    /// How long a claim's lease lasts: 15 to 60 whole seconds, as Azure
    /// allows. Defaults to [`BlobStore::DEFAULT_LEASE`]. See
    /// [what it trades](BlobStore#the-lease-time-and-what-it-trades).
    pub fn lease_duration(mut self, lease: Duration) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Leases that never lapse: no renewals, but a dead worker's purchases
    /// wait until someone breaks their leases.
    pub fn infinite_lease(mut self) -> Self {
        self.lease = None;
        self
    }

    /// The timeout of each request's sending and of its answer. Defaults to
    /// [`BlobStore::DEFAULT_TIMEOUT`]. A renewal gets at most a third of
    /// the lease whatever this is.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The timeout of connecting (the name lookup included). Defaults to
    /// [`BlobStore::DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest purchase blob read, and grown by an append. Defaults to
    /// [`BlobStore::DEFAULT_MAX_BLOB_BYTES`].
    pub fn max_blob_bytes(mut self, limit: u64) -> Self {
        self.max_blob_bytes = limit;
        self
    }

    /// How many blobs a page of the listing asks for: 1 to 5000. Defaults
    /// to [`BlobStore::DEFAULT_LIST_PAGE_SIZE`]. A page is read within
    /// 8 KiB a blob.
    pub fn list_page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// Whether and how to use an HTTP proxy, as for the client. Defaults to
    /// [`Proxy::from_environment`]; a loopback URL never goes through a
    /// proxy from the environment.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// Checks the settings and makes the store. It sends nothing: a
    /// container that does not exist, or a SAS it refuses, shows at the
    /// first call.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] when the URL is not a container's `https`
    /// URL (or `http` to loopback) with a container SAS (`sig=` present;
    /// `sr=c` and `sp` holding `r`, `w` and `l` where given), when it is
    /// `https` in a build without TLS, when the lease is not 15 to 60
    /// whole seconds, when a timeout is zero or longer than a day (but not
    /// `Duration::MAX`, which means none), when the blob cap is zero, when
    /// the page size is not 1 to 5000, or when the proxy cannot be used.
    /// The message never holds the SAS signature.
    pub fn build(self) -> Result<BlobStore, Error> {
        let container = Container::parse(&self.url)?;
        check_tls_built_in(container.url()).map_err(|InvalidConfig(why)| {
            InvalidConfig(why.replace("base URL", "container URL"))
        })?;
        let lease = match self.lease {
            None => LeaseTime::Infinite,
            Some(lease) => {
                let seconds = lease.as_secs();
                if lease.subsec_nanos() != 0 || !(15..=60).contains(&seconds) {
                    return Err(Error::InvalidConfig(format!(
                        "the lease duration must be 15 to 60 whole seconds, not {lease:?}"
                    )));
                }
                LeaseTime::Seconds(u8::try_from(seconds).unwrap_or(60))
            }
        };
        if ![self.timeout, self.connect_timeout]
            .into_iter()
            .all(timeout_ok)
        {
            return Err(Error::InvalidConfig(TIMEOUT_RULE.into()));
        }
        if self.max_blob_bytes == 0 {
            return Err(Error::InvalidConfig(
                "the blob cap must be at least one byte".into(),
            ));
        }
        if !(1..=listing::MAX_BLOBS as u32).contains(&self.page_size) {
            return Err(Error::InvalidConfig(format!(
                "the list page size must be 1 to {}, not {}",
                listing::MAX_BLOBS,
                self.page_size
            )));
        }
        let proxy = agent_proxy(&self.proxy, container.url())?;
        let agent = agent_config(
            None,
            container.url(),
            self.connect_timeout,
            self.timeout.min(MAX_TIMEOUT),
            proxy,
        )
        .into();
        Ok(BlobStore {
            calls: Calls {
                agent,
                container,
                max_blob_bytes: self.max_blob_bytes,
                page_bytes: u64::from(self.page_size) * LISTING_BYTES_PER_BLOB + 64 * 1024,
            },
            lease,
            page_size: self.page_size,
        })
    }
}

impl fmt::Debug for BlobStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStoreBuilder")
            .field("url", &redact(&self.url))
            .field("lease", &self.lease)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_blob_bytes", &self.max_blob_bytes)
            .field("page_size", &self.page_size)
            .field("proxy", &self.proxy)
            .finish()
    }
}

impl JournalStore for BlobStore {
    fn claim(&self, key: &PurchaseKey, owner: &str) -> Result<Claim, JournalError> {
        let name = key.name();
        let holder = encode_holder(owner);
        let created = self.calls.create(&name, &holder).map_err(store)?;
        let lease_id = Uuid::new_v4().to_string();
        let asked = Instant::now();
        if !self
            .calls
            .acquire(&name, &lease_id, self.lease)
            .map_err(store)?
        {
            return Err(self.held(key));
        }
        // The blob says how long it is, even one this claim created:
        // another worker may have leased it and written between the create
        // and the lease. One written to gets this holder's name.
        let named = self.calls.properties(&name).and_then(|properties| {
            let properties = properties.ok_or_else(|| {
                self.calls
                    .invalid(&name, "claim", "the blob vanished while leased")
            })?;
            if !created || properties.length > 0 {
                let mut metadata = vec![(HOLDER, holder.as_str())];
                if properties.ended {
                    metadata.push((ENDED, "true"));
                }
                self.calls.set_metadata(&name, &lease_id, &metadata)?;
            }
            Ok(properties.length)
        });
        let position = match named {
            Ok(length) => length,
            Err(error) => {
                let _ = self.calls.release(&name, &lease_id);
                return Err(store(error));
            }
        };
        let claim = Claim::new(key.clone(), lease_id.clone(), position);
        Ok(match self.lease.renew_every() {
            Some(every) => {
                // Held for a lease from when it was asked for, at least;
                // acted on only while a third of it is left.
                let lapse = Lapse::new(asked + every.saturating_mul(3));
                let renewer = Renewer::start(
                    self.calls.clone(),
                    name,
                    lease_id,
                    every,
                    Arc::clone(&lapse),
                );
                claim.keep_alive(renewer).lapses(lapse, every)
            }
            None => claim,
        })
    }

    fn read(&self, key: &PurchaseKey) -> Result<Vec<String>, JournalError> {
        let name = key.name();
        let Some(body) = self.calls.get(&name).map_err(store)? else {
            return Ok(Vec::new());
        };
        let text = String::from_utf8(body).map_err(|_| {
            store(
                self.calls
                    .invalid(&name, "read", "the blob is not UTF-8 text"),
            )
        })?;
        let Some(text) = text.strip_suffix('\n') else {
            if text.is_empty() {
                return Ok(Vec::new());
            }
            return Err(store(self.calls.invalid(
                &name,
                "read",
                "the blob's last record has no line end, which this store never writes",
            )));
        };
        Ok(text.split('\n').map(str::to_owned).collect())
    }

    fn append(&self, claim: &mut Claim, record: &StoredRecord) -> Result<(), JournalError> {
        let name = claim.key().name();
        if record.json.is_empty() || record.json.contains(['\n', '\r']) {
            return Err(store(self.calls.invalid(
                &name,
                "append to",
                "a record must be one line of JSON, without line ends",
            )));
        }
        let mut line = Vec::with_capacity(record.json.len() + 1);
        line.extend_from_slice(record.json.as_bytes());
        line.push(b'\n');
        let end = claim.position().saturating_add(line.len() as u64);
        if end > self.calls.max_blob_bytes {
            return Err(store(self.calls.invalid(
                &name,
                "append to",
                &format!(
                    "the record would grow the blob to {end} bytes, past the cap of {} (BlobStoreBuilder::max_blob_bytes)",
                    self.calls.max_blob_bytes
                ),
            )));
        }
        match self
            .calls
            .append(&name, claim.id(), claim.position(), &line)
            .map_err(store)?
        {
            Appended::Stored => claim.set_position(end),
            Appended::Refused(error) => {
                return Err(JournalError::ClaimLost {
                    purchase: name,
                    reason: error.to_string(),
                });
            }
        }
        // The record is stored, so the append succeeded whatever the mark
        // does: a purchase left unmarked is listed unfinished, and its next
        // run reads that it ended and sends nothing.
        if record.ends
            && let Err(error) = self
                .calls
                .set_metadata(&name, claim.id(), &[(ENDED, "true")])
        {
            log::warn!(
                target: LOG_TARGET,
                "purchase {} ended, but its blob could not be marked so, and is listed unfinished: {}",
                Escaped(&name),
                Escaped(&error.to_string())
            );
        }
        Ok(())
    }

    fn release(&self, claim: Claim) -> Result<(), JournalError> {
        let name = claim.key().name();
        let lease_id = claim.id().to_owned();
        // Stops the renewals first, so that none follows the release.
        drop(claim);
        self.calls.release(&name, &lease_id)
    }

    fn list(&self, customer: Option<CustomerId>) -> Result<Vec<Listed>, JournalError> {
        let prefix = customer.map(|customer| format!("{customer}/"));
        let mut listed = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .calls
                .list_page(prefix.as_deref(), marker.as_deref(), self.page_size)
                .map_err(store)?;
            for blob in page.blobs {
                match PurchaseKey::from_name(&blob.name) {
                    Some(key) => listed.push(Listed {
                        key,
                        ended: blob.ended,
                    }),
                    None => {
                        log::debug!(target: LOG_TARGET, "skipped blob {}: not a purchase's", Escaped(&blob.name));
                    }
                }
            }
            if listed.len() > MAX_LISTED {
                return Err(store(self.calls.invalid(
                    "",
                    "list",
                    &format!("the container holds more than {MAX_LISTED} purchases; give each batch a container of its own"),
                )));
            }
            match page.next_marker {
                None => return Ok(listed),
                Some(next) if marker.as_deref() == Some(next.as_str()) => {
                    return Err(store(self.calls.invalid(
                        "",
                        "list",
                        "the listing gave the same next page twice",
                    )));
                }
                next => marker = next,
            }
        }
        Err(store(self.calls.invalid(
            "",
            "list",
            &format!("the listing has more than {MAX_PAGES} pages"),
        )))
    }
}

/// A blob error as the journal carries it.
fn store(error: BlobError) -> JournalError {
    JournalError::Store(Box::new(error))
}

/// A holder's name as metadata takes it: visible ASCII, everything else
/// (`%` included) percent-encoded, at most [`MAX_HOLDER_BYTES`] of it.
fn encode_holder(owner: &str) -> String {
    let mut end = owner.len().min(MAX_HOLDER_BYTES);
    while !owner.is_char_boundary(end) {
        end -= 1;
    }
    // Everything but visible ASCII (non-ASCII always), and `%` itself.
    const ESCAPED: &AsciiSet = &CONTROLS.add(b' ').add(b'%');
    let mut encoded = utf8_percent_encode(&owner[..end], ESCAPED).to_string();
    if encoded.is_empty() {
        encoded.push_str("%3F");
    }
    encoded
}

/// A holder's name back from the metadata.
fn decode_holder(encoded: &str) -> String {
    percent_decode_str(encoded).decode_utf8_lossy().into_owned()
}

/// What an append came to, when the storage answered.
enum Appended {
    Stored,
    /// Refused for the lease or the position (409 or 412).
    Refused(BlobError),
}

/// A blob's properties, as far as the store uses them.
struct Properties {
    length: u64,
    ended: bool,
    holder: Option<String>,
}

/// The calls to the storage: one agent, one container, the caps.
#[derive(Clone)]
pub(crate) struct Calls {
    agent: ureq::Agent,
    container: Container,
    max_blob_bytes: u64,
    page_bytes: u64,
}

/// How a call is sent.
#[derive(Clone, Copy)]
struct Request<'a> {
    action: &'static str,
    /// The blob, or the container when `None`.
    name: Option<&'a str>,
    method: &'static str,
    params: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
    limit: u64,
    time_left: Option<Duration>,
    /// Whether it may be sent again after a failure that may pass.
    retry: bool,
}

impl Calls {
    /// Sends a call and reads its answer; an error only when none came
    /// whole.
    fn send(&self, request: Request<'_>) -> Result<ReadResponse, BlobError> {
        self.send_counted(request).map(|(answer, _)| answer)
    }

    /// Sends a call, again after a pause when it failed in a way that may
    /// pass (no answer, 408, 500, 502, 503, 504) and `request.retry` says
    /// it may be repeated; its last answer, and whether it was sent more
    /// than once.
    fn send_counted(&self, request: Request<'_>) -> Result<(ReadResponse, bool), BlobError> {
        let mut pauses = RETRY_PAUSES.iter().filter(|_| request.retry);
        let mut retried = false;
        loop {
            let sent = self.send_once(request);
            let transient = match &sent {
                Ok(answer) => matches!(answer.status, 408 | 500 | 502 | 503 | 504),
                Err(error) => error.is_transport(),
            };
            match pauses.next() {
                Some(pause) if transient => {
                    log::debug!(target: LOG_TARGET, "{} {}: trying again", request.action, Escaped(&self.shown(request.name)));
                    std::thread::sleep(*pause);
                    retried = true;
                }
                _ => return sent.map(|answer| (answer, retried)),
            }
        }
    }

    /// Sends a call once and reads its answer.
    fn send_once(&self, request: Request<'_>) -> Result<ReadResponse, BlobError> {
        let url = self.container.request_url(request.name, request.params);
        let mut builder = http::Request::builder()
            .method(request.method)
            .uri(url.as_str())
            .header("x-ms-version", API_VERSION)
            .header("accept", "application/xml");
        if request.method == "PUT" {
            builder = builder.header("content-length", request.body.len().to_string());
        }
        for (name, value) in request.headers {
            builder = builder.header(*name, *value);
        }
        let blob = self.shown(request.name);
        let built = builder.body(request.body).map_err(|error| {
            BlobError::new(&blob, request.action, Failure::Invalid(error.to_string()))
        })?;
        exchange(&self.agent, built, request.time_left, request.limit).map_err(|failure| {
            let failure = match failure {
                ReadFailure::Unanswered(error) | ReadFailure::Broken { error, .. } => {
                    Failure::Transport(error.to_string())
                }
                ReadFailure::TooLarge { .. } => Failure::TooLarge {
                    limit: request.limit,
                },
            };
            BlobError::new(&blob, request.action, failure)
        })
    }

    /// The URL of a blob (or the container) to show.
    fn shown(&self, name: Option<&str>) -> String {
        match name {
            Some(name) => self.container.blob_url(name),
            None => self.container.url().to_owned(),
        }
    }

    /// The error for an answer's status.
    fn refused(
        &self,
        name: Option<&str>,
        action: &'static str,
        answer: &ReadResponse,
    ) -> BlobError {
        let (code, message) = code_and_message(answer.header("x-ms-error-code"), &answer.body);
        BlobError::new(
            self.shown(name),
            action,
            Failure::Status {
                status: answer.status,
                code,
                message,
            },
        )
    }

    /// The error for what this store cannot read or refuses to do; an
    /// empty `name` names the container.
    fn invalid(&self, name: &str, action: &'static str, why: &str) -> BlobError {
        let name = Some(name).filter(|name| !name.is_empty());
        BlobError::new(self.shown(name), action, Failure::Invalid(why.to_owned()))
    }

    /// A small answer's cap: headers matter, bodies do not.
    const SMALL: u64 = 64 * 1024;

    /// Creates the append blob unless it exists; whether it did.
    fn create(&self, name: &str, holder: &str) -> Result<bool, BlobError> {
        let meta = format!("x-ms-meta-{HOLDER}");
        let answer = self.send(Request {
            action: "create",
            name: Some(name),
            method: "PUT",
            params: "",
            headers: &[
                ("x-ms-blob-type", "AppendBlob"),
                ("if-none-match", "*"),
                ("x-ms-blob-content-type", "application/x-ndjson"),
                (meta.as_str(), holder),
            ],
            body: &[],
            limit: Self::SMALL,
            time_left: None,
            retry: true,
        })?;
        match answer.status {
            201 => Ok(true),
            // It exists (and may be leased): the lease says who has it.
            409 | 412 => Ok(false),
            _ => Err(self.refused(Some(name), "create", &answer)),
        }
    }

    /// Takes a lease with `lease_id`; `false` when another holds one.
    fn acquire(&self, name: &str, lease_id: &str, lease: LeaseTime) -> Result<bool, BlobError> {
        let duration = lease.header();
        let answer = self.send(Request {
            action: "lease",
            name: Some(name),
            method: "PUT",
            params: "comp=lease",
            headers: &[
                ("x-ms-lease-action", "acquire"),
                ("x-ms-lease-duration", &duration),
                ("x-ms-proposed-lease-id", lease_id),
            ],
            body: &[],
            limit: Self::SMALL,
            time_left: None,
            retry: true,
        })?;
        match answer.status {
            201 | 200 => {
                let given = answer.header("x-ms-lease-id");
                if given.is_some_and(|given| !given.eq_ignore_ascii_case(lease_id)) {
                    return Err(self.invalid(
                        name,
                        "lease",
                        "the storage gave another lease ID than proposed",
                    ));
                }
                Ok(true)
            }
            409 => Ok(false),
            _ => Err(self.refused(Some(name), "lease", &answer)),
        }
    }

    /// Renews a lease, within `time_left`.
    pub(crate) fn renew(
        &self,
        name: &str,
        lease_id: &str,
        time_left: Duration,
    ) -> Result<(), BlobError> {
        let answer = self.send(Request {
            action: "renew the lease on",
            name: Some(name),
            method: "PUT",
            params: "comp=lease",
            headers: &[("x-ms-lease-action", "renew"), ("x-ms-lease-id", lease_id)],
            body: &[],
            limit: Self::SMALL,
            time_left: Some(time_left),
            // The renewing thread tries again at its next turn.
            retry: false,
        })?;
        match answer.status {
            200 => Ok(()),
            _ => Err(self.refused(Some(name), "renew the lease on", &answer)),
        }
    }

    /// Releases a lease.
    fn release(&self, name: &str, lease_id: &str) -> Result<(), JournalError> {
        let (answer, retried) = self
            .send_counted(Request {
                action: "release the lease on",
                name: Some(name),
                method: "PUT",
                params: "comp=lease",
                headers: &[
                    ("x-ms-lease-action", "release"),
                    ("x-ms-lease-id", lease_id),
                ],
                body: &[],
                limit: Self::SMALL,
                time_left: None,
                retry: true,
            })
            .map_err(store)?;
        match answer.status {
            200 => Ok(()),
            // The first attempt released it, and its answer was lost.
            409 if retried => Ok(()),
            _ => Err(store(self.refused(
                Some(name),
                "release the lease on",
                &answer,
            ))),
        }
    }

    /// A blob's properties; `None` when it does not exist.
    fn properties(&self, name: &str) -> Result<Option<Properties>, BlobError> {
        let answer = self.send(Request {
            action: "read the properties of",
            name: Some(name),
            method: "HEAD",
            params: "",
            headers: &[],
            body: &[],
            // A HEAD's Content-Length is the blob's, with no body.
            limit: u64::MAX,
            time_left: None,
            retry: true,
        })?;
        match answer.status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(self.refused(Some(name), "read the properties of", &answer)),
        }
        if answer
            .header("x-ms-blob-type")
            .is_some_and(|kind| kind != "AppendBlob")
        {
            return Err(self.invalid(
                name,
                "claim",
                "the blob is not an append blob, so this store did not make it",
            ));
        }
        let length = answer
            .header("content-length")
            .and_then(|length| length.parse::<u64>().ok())
            .ok_or_else(|| {
                self.invalid(name, "read the properties of", "the answer gives no length")
            })?;
        Ok(Some(Properties {
            length,
            ended: answer
                .header(&format!("x-ms-meta-{ENDED}"))
                .is_some_and(|ended| ended.eq_ignore_ascii_case("true")),
            holder: answer
                .header(&format!("x-ms-meta-{HOLDER}"))
                .map(decode_holder),
        }))
    }

    /// Replaces a leased blob's metadata.
    fn set_metadata(
        &self,
        name: &str,
        lease_id: &str,
        metadata: &[(&str, &str)],
    ) -> Result<(), BlobError> {
        let names: Vec<String> = metadata
            .iter()
            .map(|(key, _)| format!("x-ms-meta-{key}"))
            .collect();
        let mut headers: Vec<(&str, &str)> = vec![("x-ms-lease-id", lease_id)];
        headers.extend(
            names
                .iter()
                .zip(metadata)
                .map(|(name, (_, value))| (name.as_str(), *value)),
        );
        let answer = self.send(Request {
            action: "set the metadata of",
            name: Some(name),
            method: "PUT",
            params: "comp=metadata",
            headers: &headers,
            body: &[],
            limit: Self::SMALL,
            time_left: None,
            retry: true,
        })?;
        match answer.status {
            200 => Ok(()),
            _ => Err(self.refused(Some(name), "set the metadata of", &answer)),
        }
    }

    /// Appends `line` at `position` under the lease.
    fn append(
        &self,
        name: &str,
        lease_id: &str,
        position: u64,
        line: &[u8],
    ) -> Result<Appended, BlobError> {
        let at = position;
        let position = position.to_string();
        let (answer, retried) = self.send_counted(Request {
            action: "append to",
            name: Some(name),
            method: "PUT",
            params: "comp=appendblock",
            headers: &[
                ("x-ms-lease-id", lease_id),
                ("x-ms-blob-condition-appendpos", &position),
            ],
            body: line,
            limit: Self::SMALL,
            time_left: None,
            retry: true,
        })?;
        let moved_on = answer.header("x-ms-error-code") == Some("AppendPositionConditionNotMet");
        match answer.status {
            201 => Ok(Appended::Stored),
            // An attempt before stored it, and its answer was lost: the
            // blob holds this very line where it was to go.
            412 if retried && moved_on && self.holds_at(name, at, line)? => Ok(Appended::Stored),
            409 | 412 => Ok(Appended::Refused(self.refused(
                Some(name),
                "append to",
                &answer,
            ))),
            _ => Err(self.refused(Some(name), "append to", &answer)),
        }
    }

    /// Whether the blob holds `line` at `position`.
    fn holds_at(&self, name: &str, position: u64, line: &[u8]) -> Result<bool, BlobError> {
        let Some(last) = position.checked_add(line.len() as u64 - 1) else {
            return Ok(false);
        };
        let range = format!("bytes={position}-{last}");
        let answer = self.send(Request {
            action: "read",
            name: Some(name),
            method: "GET",
            params: "",
            headers: &[("x-ms-range", &range)],
            body: &[],
            limit: line.len() as u64,
            time_left: None,
            retry: true,
        })?;
        Ok(answer.status == 206 && answer.body == line)
    }

    /// A blob's contents; `None` when it does not exist.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let answer = self.send(Request {
            action: "read",
            name: Some(name),
            method: "GET",
            params: "",
            headers: &[],
            body: &[],
            limit: self.max_blob_bytes,
            time_left: None,
            retry: true,
        })?;
        match answer.status {
            200 => Ok(Some(answer.body)),
            404 => Ok(None),
            _ => Err(self.refused(Some(name), "read", &answer)),
        }
    }

    /// One page of the listing.
    fn list_page(
        &self,
        prefix: Option<&str>,
        marker: Option<&str>,
        page_size: u32,
    ) -> Result<listing::Page, BlobError> {
        let mut params =
            format!("restype=container&comp=list&include=metadata&maxresults={page_size}");
        if let Some(prefix) = prefix {
            params.push_str("&prefix=");
            params.push_str(&encode_query_value(prefix));
        }
        if let Some(marker) = marker {
            params.push_str("&marker=");
            params.push_str(&encode_query_value(marker));
        }
        let answer = self.send(Request {
            action: "list",
            name: None,
            method: "GET",
            params: &params,
            headers: &[],
            body: &[],
            limit: self.page_bytes,
            time_left: None,
            retry: true,
        })?;
        if answer.status != 200 {
            return Err(self.refused(None, "list", &answer));
        }
        read_page(&answer.body).map_err(|why| self.invalid("", "list", &why))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_go_into_metadata_and_back() {
        for owner in ["worker 1 on host-a", "100% ünïcode\r\n", ""] {
            let encoded = encode_holder(owner);
            assert!(encoded.bytes().all(|b| b.is_ascii_graphic()), "{encoded}");
            let expected = if owner.is_empty() { "?" } else { owner };
            assert_eq!(decode_holder(&encoded), expected);
        }
        assert_eq!(encode_holder(&"é".repeat(150)).len(), 100 * 6);
        assert_eq!(decode_holder("%zz%4"), "%zz%4");
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(BlobStore::is_url("https://a.blob.core.windows.net/j?sig=x"));
        assert!(BlobStore::is_url("HTTP://127.0.0.1:1/a/j"));
        for path in ["purchases.journal", "/var/https://x", "http:/x", "é"] {
            assert!(!BlobStore::is_url(path), "{path}");
        }
    }

    #[test]
    fn settings_are_checked_and_errors_hide_the_signature() {
        let url = "http://127.0.0.1:9/devstoreaccount1/j?sv=2021-08-06&sr=c&sp=racwl&sig=SeCrEt";
        let store = BlobStore::new(url).unwrap();
        assert_eq!(
            store.container_url(),
            "http://127.0.0.1:9/devstoreaccount1/j"
        );
        let builder = BlobStore::builder(url);
        for text in [format!("{store:?}"), format!("{builder:?}")] {
            assert!(
                !text.contains("SeCrEt") && text.contains("sig=<redacted>"),
                "{text}"
            );
        }
        let refused = |builder: BlobStoreBuilder, why: &str| match builder.build() {
            Err(Error::InvalidConfig(message)) => {
                assert!(message.contains(why), "{message}");
                assert!(!message.contains("SeCrEt"), "{message}");
            }
            other => panic!("{other:?}"),
        };
        refused(
            BlobStore::builder(url).lease_duration(Duration::from_secs(14)),
            "15 to 60",
        );
        refused(
            BlobStore::builder(url).lease_duration(Duration::from_secs(61)),
            "15 to 60",
        );
        refused(
            BlobStore::builder(url).lease_duration(Duration::from_millis(15_500)),
            "15 to 60",
        );
        refused(BlobStore::builder(url).timeout(Duration::ZERO), "timeouts");
        refused(BlobStore::builder(url).max_blob_bytes(0), "blob cap");
        refused(BlobStore::builder(url).list_page_size(0), "page size");
        refused(BlobStore::builder(url).list_page_size(5001), "page size");
        refused(
            BlobStore::builder("http://10.0.0.1/a/j?sig=SeCrEt"),
            "https",
        );
        refused(BlobStore::builder("https://a/j?sp=r&sig=SeCrEt"), "racwl");
        for ok in [
            BlobStore::builder(url).lease_duration(Duration::from_secs(15)),
            BlobStore::builder(url).lease_duration(Duration::from_secs(60)),
            BlobStore::builder(url).infinite_lease(),
            BlobStore::builder(url)
                .timeout(Duration::MAX)
                .list_page_size(5000),
        ] {
            ok.build().unwrap();
        }
    }

    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    #[test]
    fn a_build_without_tls_refuses_an_https_container() {
        match BlobStore::new("https://a.blob.core.windows.net/j?sr=c&sig=SeCrEt") {
            Err(Error::InvalidConfig(message)) => {
                assert!(
                    message.contains("container URL") && message.contains("no TLS"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
