//! Many purchases on one journal, several at once: [`Journal::run_batch`].

use std::any::Any;
use std::collections::HashSet;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::{Journal, JournalError, Purchase, PurchaseOutcome};
use crate::client::{Client, WaitOptions};
use crate::error::Error;
use crate::error::kind::TransportErrorKind;
use crate::ids::CustomerId;

/// How many purchases a batch sends for at once by default; see
/// [`BatchOptions::parallel`].
pub const DEFAULT_PARALLEL: usize = 16;

/// How many purchases a batch lets wait for provisioning at once by default;
/// see [`BatchOptions::max_waiting`].
pub const DEFAULT_MAX_WAITING: usize = 64;

/// The shortest time between two progress reports that only the numbers in
/// flight, waiting or throttled tell apart. A purchase finishing, or the
/// batch stopping, is always reported at once.
const MIN_REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// How often the batch looks at the clock and the client's throttling count
/// while nothing else happens, to report the time left.
const TICK: Duration = Duration::from_millis(250);

/// The longest a report of an unchanged batch is held back: the estimate of
/// the time left moves with the clock.
const MAX_SILENCE: Duration = Duration::from_secs(1);

/// The first pause before a purchase another runner holds is tried again;
/// each later one is half as long again, up to [`MAX_HELD_PAUSE`].
const FIRST_HELD_PAUSE: Duration = Duration::from_secs(2);

/// The longest pause between two tries of a purchase another runner holds:
/// the shortest lease a [`BlobStore`](super::BlobStore) takes.
const MAX_HELD_PAUSE: Duration = Duration::from_secs(15);

/// How long a batch comes back to a purchase another runner holds, beyond
/// its wait's timeout: the longest lease Azure grants, which a dead
/// holder's claim outlives it by at most.
const HELD_MARGIN: Duration = Duration::from_secs(60);

type ProgressFn = dyn Fn(&BatchProgress) + Send + Sync;
type FinishedFn = dyn Fn(usize, &Result<PurchaseOutcome, BatchError>) + Send + Sync;

/// How [`Journal::run_batch`] runs its purchases.
///
/// ```
/// use partner_center_cart::journal::BatchOptions;
/// use partner_center_cart::WaitOptions;
/// use std::time::Duration;
///
/// let options = BatchOptions::default()
///     .parallel(8)
///     .wait(WaitOptions::default().timeout(Duration::from_secs(600)))
///     .on_progress(|progress| eprintln!("{progress}"))
///     .on_finished(|index, result| match result {
///         Ok(outcome) => println!("{index}: {outcome}"),
///         Err(error) => println!("{index}: error: {error}"),
///     });
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct BatchOptions {
    parallel: usize,
    max_waiting: usize,
    wait: WaitOptions,
    held_timeout: Option<Duration>,
    progress: Option<Arc<ProgressFn>>,
    finished: Option<Arc<FinishedFn>>,
}

impl Default for BatchOptions {
    /// [`DEFAULT_PARALLEL`] purchases sending at once, up to
    /// [`DEFAULT_MAX_WAITING`] more waiting for provisioning, the default
    /// [`WaitOptions`], no callbacks.
    fn default() -> Self {
        BatchOptions {
            parallel: DEFAULT_PARALLEL,
            max_waiting: DEFAULT_MAX_WAITING,
            wait: WaitOptions::default(),
            held_timeout: None,
            progress: None,
            finished: None,
        }
    }
}

impl fmt::Debug for BatchOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchOptions")
            .field("parallel", &self.parallel)
            .field("max_waiting", &self.max_waiting)
            .field("wait", &self.wait)
            .field("held_timeout", &self.held_timeout)
            .field("progress", &self.progress.as_ref().map(|_| "<callback>"))
            .field("finished", &self.finished.as_ref().map(|_| "<callback>"))
            .finish()
    }
}

impl BatchOptions {
    /// The default options.
    pub fn new() -> Self {
        BatchOptions::default()
    }

    /// Sets how many purchases may be sending calls at once (at least 1;
    /// [`DEFAULT_PARALLEL`] by default): creating, updating and checking
    /// out their carts. A purchase waiting for its orders to be provisioned
    /// gives its place up to the next one (see
    /// [`max_waiting`](Self::max_waiting)).
    ///
    /// The default, 16, is meant to keep busy the request rate Partner
    /// Center allows, not to go past it. The only rate it publishes is 500
    /// requests a minute per partner for orders, about 8 a second; at a
    /// second or two per answer to a cart create or a checkout (an
    /// assumption: no latency is published), about 16 calls under way at
    /// once use that rate up, and more would only queue for it. Purchases
    /// waiting for provisioning do not count: a wait reads each pending
    /// order every few seconds to a minute, which costs little of the rate.
    pub fn parallel(mut self, purchases: usize) -> Self {
        self.parallel = purchases.max(1);
        self
    }

    /// Sets how many purchases may be waiting for their orders to be
    /// provisioned at once, besides the [`parallel`](Self::parallel) ones
    /// that send ([`DEFAULT_MAX_WAITING`] by default). Each waits on a
    /// thread of its own and reads its pending orders now and then (at the
    /// default [`WaitOptions`], once a minute at most after a few minutes);
    /// when this many wait, no new purchase starts until one of them ends.
    /// 0 makes a purchase keep its place while it waits.
    pub fn max_waiting(mut self, purchases: usize) -> Self {
        self.max_waiting = purchases;
        self
    }

    /// Sets how each purchase waits for its orders (see
    /// [`Journal::run`]). A progress callback set on them
    /// ([`WaitOptions::on_progress`]) hears the waits of every purchase of
    /// the batch.
    pub fn wait(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// Sets how long the batch keeps coming back to a purchase that another
    /// runner holds ([`JournalError::Held`]): another worker on a store
    /// they share, such as a [`BlobStore`](super::BlobStore) container, or
    /// the same purchase given twice in the batch. The batch goes on with
    /// the rest and tries it again now and then (after 2 s, then half as
    /// long again each time, up to 15 s): once the other runner has
    /// finished it, its stored outcome comes back, and once a dead runner's
    /// claim has lapsed, this batch takes it over. Past this time the
    /// purchase's result is the `Held` error.
    ///
    /// By default, the [`wait`](Self::wait)'s timeout and a minute more:
    /// as long as the other runner may wait for provisioning, and the
    /// longest lease Azure grants.
    pub fn held_timeout(mut self, timeout: Duration) -> Self {
        self.held_timeout = Some(timeout);
        self
    }

    /// Calls `callback` with the batch's progress whenever a purchase
    /// starts, starts waiting for provisioning or finishes, when the batch
    /// stops, when the client meets throttling, and about once a second
    /// with a new estimate of the time left. Changes that come faster than
    /// ten a second are folded into one call, but for a purchase finishing,
    /// which is always reported. Calls never overlap, and
    /// [`done`](BatchProgress::done) never goes down from one to the next;
    /// the last call has `done == total`.
    ///
    /// The callback runs on the batch's threads: a slow one slows the
    /// batch.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&BatchProgress) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// Calls `callback` with each purchase's position in the input and its
    /// result as soon as it has one, a purchase not started included, such
    /// as to print a line for each. Calls never overlap each other or a
    /// progress call.
    pub fn on_finished(
        mut self,
        callback: impl Fn(usize, &Result<PurchaseOutcome, BatchError>) + Send + Sync + 'static,
    ) -> Self {
        self.finished = Some(Arc::new(callback));
        self
    }
}

/// Where a batch is, as told to [`BatchOptions::on_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchProgress {
    /// The purchases that have their result: finished, failed, or not
    /// started because the batch stopped.
    pub done: usize,
    /// The purchases in the batch.
    pub total: usize,
    /// The purchases started and sending calls: not yet waiting for
    /// provisioning, and not done.
    pub in_flight: usize,
    /// The purchases waiting for their orders to be provisioned.
    pub waiting: usize,
    /// The purchases another runner holds, which the batch comes back to
    /// (see [`BatchOptions::held_timeout`]).
    pub held: usize,
    /// The throttling answers (HTTP 429) the client has met since the
    /// batch started.
    pub throttled: u64,
    /// How long the batch has run.
    pub elapsed: Duration,
    /// An estimate of the time left: the time the purchases done so far
    /// took each, on average at the batch's pace, times those left. `None`
    /// until a purchase has run to its end.
    pub time_left: Option<Duration>,
    /// Whether the batch stopped starting purchases (see
    /// [`BatchOutcome::stopped`]).
    pub stopped: bool,
}

impl fmt::Display for BatchProgress {
    /// `12/60 done, 16 in flight, 5 waiting for provisioning, 3 throttled,
    /// about 2m10s left`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} done, {} in flight, {} waiting for provisioning, {} throttled",
            self.done, self.total, self.in_flight, self.waiting, self.throttled
        )?;
        if self.held > 0 {
            write!(f, ", {} held by another runner", self.held)?;
        }
        match self.time_left {
            Some(left) => write!(f, ", about {} left", minutes_and_seconds(left))?,
            None => f.write_str(", time left unknown")?,
        }
        if self.stopped {
            f.write_str(" (stopped starting purchases)")?;
        }
        Ok(())
    }
}

/// `2m10s`, or `45s`, rounded up to the second.
fn minutes_and_seconds(duration: Duration) -> String {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    if seconds >= 60 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{seconds}s")
    }
}

/// Why a purchase of a batch has no outcome.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The purchase ran and failed, with the error [`Journal::run`] gave.
    /// It may have started its cart: [`Journal::unfinished`] names it, and
    /// running it again finishes it.
    #[error(transparent)]
    Failed(Error),
    /// The purchase was not started: another met an error that every
    /// purchase would meet. Nothing was sent or recorded for it.
    #[error("not started, because {0}")]
    NotStarted(BatchStop),
}

impl BatchError {
    /// The error of a purchase that ran and failed.
    pub fn error(&self) -> Option<&Error> {
        match self {
            BatchError::Failed(error) => Some(error),
            BatchError::NotStarted(_) => None,
        }
    }
}

/// Why a batch stopped starting purchases: the error one of them met, which
/// every other would meet alike.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchStop {
    /// The position, in the input, of the purchase that met it; its result
    /// holds the error itself.
    pub index: usize,
    /// What kind of error it is.
    pub cause: StopCause,
    /// The error's message.
    pub message: String,
}

impl fmt::Display for BatchStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the purchase at index {} of the batch met {}, which every purchase would meet: {}",
            self.index, self.cause, self.message
        )
    }
}

/// The kinds of error that stop a batch: those that do not depend on the
/// purchase, so that every purchase would meet them alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopCause {
    /// The token provider could not give a token.
    TokenProvider,
    /// Partner Center refused the token (HTTP 401): expired, for another
    /// audience, or not a token at all.
    TokenRefused,
    /// Partner Center refused an App+User token that lacks multi-factor
    /// authentication (HTTP 401, code 900421).
    MfaRequired,
    /// Partner Center refused the partner, not a customer (HTTP 403 with a
    /// code about the partner or its token: 900309 blocked by Conditional
    /// Access, 900329 an App+User token needed, 900124 the partner
    /// agreement not accepted).
    PartnerForbidden,
    /// Partner Center could not be reached: the host name did not resolve,
    /// the connection was refused, or TLS could not be set up.
    Unreachable,
    /// The journal's store could not read or write a record.
    JournalStore,
}

impl fmt::Display for StopCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopCause::TokenProvider => "a failed token provider",
            StopCause::TokenRefused => "a refused token",
            StopCause::MfaRequired => "a token without multi-factor authentication",
            StopCause::PartnerForbidden => "a refusal of the partner",
            StopCause::Unreachable => "an unreachable Partner Center",
            StopCause::JournalStore => "a failed journal store",
        })
    }
}

/// The 403 codes that refuse the partner or its token, whatever the
/// customer: blocked by Conditional Access, an App+User token needed, the
/// partner agreement not accepted.
const PARTNER_WIDE_403_CODES: [i64; 3] = [900_309, 900_329, 900_124];

/// The service code of a call without multi-factor authentication.
const MFA_REQUIRED: i64 = 900_421;

impl StopCause {
    /// The kind of an error that every purchase would meet alike; `None`
    /// for one that may be the purchase's own.
    ///
    /// A 403 stops a batch only with a code this crate knows to be about
    /// the partner: the others (no relationship with the customer, the
    /// customer's account under review, an offer not sold to it, a GDAP
    /// role missing for it) may hold for one customer only, and a batch
    /// that stopped on one would stop there again each time it is run.
    pub fn of(error: &Error) -> Option<StopCause> {
        match error {
            Error::Token { .. } | Error::Auth(_) => Some(StopCause::TokenProvider),
            Error::Journal(JournalError::Store(_)) => Some(StopCause::JournalStore),
            Error::Transport {
                kind: TransportErrorKind::Connect | TransportErrorKind::Tls,
                status: None,
                ..
            } => Some(StopCause::Unreachable),
            Error::Service(service) => {
                let code = service.code_number();
                match service.status() {
                    401 if code == Some(MFA_REQUIRED) => Some(StopCause::MfaRequired),
                    401 => Some(StopCause::TokenRefused),
                    403 if code.is_some_and(|code| PARTNER_WIDE_403_CODES.contains(&code)) => {
                        Some(StopCause::PartnerForbidden)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// What a batch came to, as [`Journal::run_batch`] returns it.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchOutcome {
    /// Each purchase's outcome or error, in the order they were given.
    pub results: Vec<Result<PurchaseOutcome, BatchError>>,
    /// How many came to what.
    pub totals: BatchTotals,
    /// Why the batch stopped starting purchases, if it did.
    pub stopped: Option<BatchStop>,
    /// The throttling answers (HTTP 429) the client met during the batch.
    pub throttled: u64,
    /// How long the batch took.
    pub elapsed: Duration,
}

/// How many purchases of a batch came to what. Each purchase counts in
/// exactly one of `complete`, `part`, `nothing`, `failed` and
/// `not_started`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct BatchTotals {
    /// The purchases in the batch.
    pub total: usize,
    /// Everything bought and provisioned ([`PurchaseOutcome::is_complete`]).
    pub complete: usize,
    /// Something bought, not everything, or not yet provisioned.
    pub part: usize,
    /// Nothing bought ([`PurchaseOutcome::bought_anything`] is false).
    pub nothing: usize,
    /// Ran and failed ([`BatchError::Failed`]).
    pub failed: usize,
    /// Not started ([`BatchError::NotStarted`]).
    pub not_started: usize,
    /// Of those with an outcome, the ones not finished
    /// ([`PurchaseOutcome::is_finished`]): orders still provisioning, which
    /// a run again waits for.
    pub unfinished: usize,
}

impl BatchTotals {
    pub(super) fn of<'a>(
        results: impl IntoIterator<Item = &'a Result<PurchaseOutcome, BatchError>>,
    ) -> BatchTotals {
        let mut totals = BatchTotals::default();
        for result in results {
            totals.total += 1;
            match result {
                Ok(outcome) => {
                    if outcome.is_complete() {
                        totals.complete += 1;
                    } else if outcome.bought_anything() {
                        totals.part += 1;
                    } else {
                        totals.nothing += 1;
                    }
                    if !outcome.is_finished() {
                        totals.unfinished += 1;
                    }
                }
                Err(BatchError::Failed(_)) => totals.failed += 1,
                Err(BatchError::NotStarted(_)) => totals.not_started += 1,
            }
        }
        totals
    }
}

impl BatchTotals {
    /// The verdict these totals come to, as [`BatchOutcome::verdict`]
    /// says.
    pub fn verdict(&self) -> BatchVerdict {
        if self.failed + self.not_started > 0 {
            BatchVerdict::Failed
        } else if self.total > 0 && self.complete == self.total {
            BatchVerdict::Complete
        } else if self.nothing == self.total {
            BatchVerdict::Nothing
        } else {
            BatchVerdict::Part
        }
    }
}

impl fmt::Display for BatchTotals {
    /// `60 purchases: 57 complete, 1 part, 1 nothing bought, 1 failed, 0
    /// not started`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} purchase{}: {} complete, {} part, {} nothing bought, {} failed, {} not started",
            self.total,
            if self.total == 1 { "" } else { "s" },
            self.complete,
            self.part,
            self.nothing,
            self.failed,
            self.not_started
        )?;
        if self.unfinished > 0 {
            write!(f, " ({} still provisioning)", self.unfinished)?;
        }
        Ok(())
    }
}

/// What a batch came to, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BatchVerdict {
    /// Every purchase bought everything it asked for, provisioned.
    Complete,
    /// Every purchase ran, and some of what was asked for was bought, not
    /// all (or not all provisioned yet).
    Part,
    /// Every purchase ran, and none bought anything; an empty batch too.
    Nothing,
    /// A purchase failed or was not started.
    Failed,
}

impl BatchVerdict {
    /// The exit code of the crate's tools for it: 0 for
    /// [`Complete`](Self::Complete), 3 for [`Part`](Self::Part), 1 for
    /// [`Nothing`](Self::Nothing) and [`Failed`](Self::Failed).
    pub fn exit_code(self) -> u8 {
        match self {
            BatchVerdict::Complete => 0,
            BatchVerdict::Part => 3,
            BatchVerdict::Nothing | BatchVerdict::Failed => 1,
        }
    }
}

impl fmt::Display for BatchVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BatchVerdict::Complete => "everything bought",
            BatchVerdict::Part => "part bought",
            BatchVerdict::Nothing => "nothing bought",
            BatchVerdict::Failed => "failed",
        })
    }
}

impl BatchOutcome {
    /// The batch in one word: [`Failed`](BatchVerdict::Failed) when any
    /// purchase failed or was not started, else
    /// [`Complete`](BatchVerdict::Complete) when every purchase is
    /// complete, [`Nothing`](BatchVerdict::Nothing) when none bought
    /// anything, and [`Part`](BatchVerdict::Part) otherwise.
    pub fn verdict(&self) -> BatchVerdict {
        self.totals.verdict()
    }

    /// The verdict's exit code: 0, 3 or 1 (see [`BatchVerdict::exit_code`]).
    pub fn exit_code(&self) -> u8 {
        self.verdict().exit_code()
    }
}

impl fmt::Display for BatchOutcome {
    /// `failed: 60 purchases: 0 complete, ... 57 not started; stopped: the
    /// purchase at index 2 of the batch met a refused token, ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.verdict(), self.totals)?;
        if let Some(stop) = &self.stopped {
            write!(f, "; stopped: {stop}")?;
        }
        Ok(())
    }
}

/// How many 429 answers the client (and its clones) has met so far.
fn throttled_now(client: &Client) -> u64 {
    client.throttling().throttled
}

/// Where one purchase of the batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Queued,
    Sending,
    Waiting,
    /// Held by another runner: to be tried again.
    Held,
    Done,
}

/// The batch's state, under one lock.
struct State {
    phases: Vec<Phase>,
    /// Each purchase's customer.
    customers: Vec<CustomerId>,
    /// The customers with a purchase sending or waiting: another of theirs
    /// waits its turn, as its guards would refuse it beside this one.
    busy: HashSet<CustomerId>,
    /// No purchase before this one is still to be tried.
    next: usize,
    /// The purchases another runner held, with when to try each again.
    held: Vec<(usize, Instant)>,
    /// For each purchase held once: until when to come back to it (`None`:
    /// no end), and the pause before the next try.
    patience: Vec<Option<(Option<Instant>, Duration)>>,
    results: Vec<Option<Result<PurchaseOutcome, BatchError>>>,
    sending: usize,
    waiting: usize,
    done: usize,
    /// The purchases that ran to their end (not those not started).
    ran: usize,
    stop: Option<BatchStop>,
    /// A callback panicked on a purchase's thread: start nothing more.
    panicked: bool,
}

impl State {
    /// Moves a purchase out of sending or waiting into `phase`.
    fn leave(&mut self, index: usize, phase: Phase) {
        match self.phases[index] {
            Phase::Sending => self.sending -= 1,
            Phase::Waiting => self.waiting -= 1,
            Phase::Queued | Phase::Held | Phase::Done => {}
        }
        self.busy.remove(&self.customers[index]);
        self.phases[index] = phase;
    }

    /// Marks a purchase started.
    fn start(&mut self, index: usize) {
        self.phases[index] = Phase::Sending;
        self.sending += 1;
        self.busy.insert(self.customers[index]);
    }

    /// The next purchase to start: the next not yet tried, else the held
    /// one due first, when it is due.
    /// Of the purchases whose customer has none under way: the first not
    /// yet tried, else the held one due first, when it is due.
    fn next_to_start(&mut self, now: Instant) -> Option<usize> {
        while self
            .phases
            .get(self.next)
            .is_some_and(|phase| !matches!(phase, Phase::Queued))
        {
            self.next += 1;
        }
        let free = |index: usize| !self.busy.contains(&self.customers[index]);
        if let Some(index) = (self.next..self.phases.len())
            .find(|&index| matches!(self.phases[index], Phase::Queued) && free(index))
        {
            return Some(index);
        }
        let (position, _) = self
            .held
            .iter()
            .enumerate()
            .filter(|(_, (index, due))| *due <= now && free(*index))
            .min_by_key(|(_, (_, due))| *due)?;
        Some(self.held.swap_remove(position).0)
    }

    /// Whether every purchase has its result or is under way, with none
    /// left to start or to try again.
    fn all_started(&self) -> bool {
        self.next >= self.phases.len() && self.held.is_empty()
    }
}

/// What the last progress report said, to hold back repeats.
struct Reported {
    counts: Option<(usize, usize, usize, usize, u64, bool)>,
    at: Option<Instant>,
}

/// What the batch's threads share.
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Held while a callback runs, so that calls never overlap and each
    /// reports a state no older than the one before.
    reporter: Mutex<Reported>,
    progress: Option<Arc<ProgressFn>>,
    finished: Option<Arc<FinishedFn>>,
    started: Instant,
    total: usize,
    held_timeout: Duration,
    throttled_at_start: u64,
    throttled: Box<dyn Fn() -> u64 + Send + Sync>,
    /// The first panic of a callback, raised again once the batch ends.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

/// Locks a mutex whether or not a thread panicked while holding it: every
/// update under these locks leaves them consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn throttled(&self) -> u64 {
        (self.throttled)().saturating_sub(self.throttled_at_start)
    }

    /// Tells the progress callback where the batch is, unless it was told
    /// the same a moment ago. `force` reports any change at once.
    fn report(&self, force: bool) {
        let Some(progress) = &self.progress else {
            return;
        };
        let mut reported = lock(&self.reporter);
        let throttled = self.throttled();
        let snapshot = {
            let state = self.state();
            let elapsed = self.started.elapsed();
            let left = self.total.saturating_sub(state.done);
            BatchProgress {
                done: state.done,
                total: self.total,
                in_flight: state.sending,
                waiting: state.waiting,
                held: state.held.len(),
                throttled,
                elapsed,
                time_left: time_left(elapsed, state.ran, left),
                stopped: state.stop.is_some(),
            }
        };
        let counts = (
            snapshot.done,
            snapshot.in_flight,
            snapshot.waiting,
            snapshot.held,
            snapshot.throttled,
            snapshot.stopped,
        );
        let since = reported.at.map(|at| at.elapsed());
        let changed = reported.counts != Some(counts);
        let due = match since {
            None => true,
            Some(since) if since >= MAX_SILENCE => true,
            Some(since) => changed && (force || since >= MIN_REPORT_INTERVAL),
        };
        if !due {
            return;
        }
        reported.counts = Some(counts);
        reported.at = Some(Instant::now());
        self.call_back(|| progress(&snapshot));
    }

    /// Calls a callback of the caller's. A panic in it is kept to be raised
    /// again when the batch ends, and no more purchases start, so that the
    /// batch's own books stay right and its threads never wait in vain.
    fn call_back(&self, callback: impl FnOnce()) {
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(callback)) {
            self.state().panicked = true;
            self.changed.notify_all();
            lock(&self.panic).get_or_insert(payload);
        }
    }

    /// Puts a purchase another runner holds aside, to be tried again after
    /// the others; false when the batch stopped or gave up on it.
    fn come_back_later(&self, index: usize, error: &Error) -> bool {
        if !matches!(error, Error::Journal(JournalError::Held { .. })) {
            return false;
        }
        let now = Instant::now();
        let pause = {
            let mut state = self.state();
            if state.stop.is_some() || state.panicked {
                return false;
            }
            // No deadline when the timeout runs past the clock's end.
            let (deadline, pause) = *state.patience[index]
                .get_or_insert((now.checked_add(self.held_timeout), FIRST_HELD_PAUSE));
            if deadline.is_some_and(|deadline| now >= deadline) {
                return false;
            }
            let due = match (now.checked_add(pause), deadline) {
                (Some(due), Some(deadline)) => due.min(deadline),
                (Some(due), None) => due,
                (None, deadline) => deadline.unwrap_or(now),
            };
            state.patience[index] = Some((deadline, pause.mul_f64(1.5).min(MAX_HELD_PAUSE)));
            state.leave(index, Phase::Held);
            state.held.push((index, due));
            pause
        };
        log::info!(
            target: crate::logging::LOG_TARGET,
            "batch: purchase {index} is held by another runner; trying it again in {}: {error}",
            minutes_and_seconds(pause)
        );
        self.changed.notify_all();
        self.report(true);
        true
    }

    /// Tells the finished callback a purchase's result.
    fn tell_finished(&self, index: usize, result: &Result<PurchaseOutcome, BatchError>) {
        if let Some(finished) = &self.finished {
            let _reporting = lock(&self.reporter);
            self.call_back(|| finished(index, result));
        }
    }

    /// A purchase began to wait for provisioning: it gives its place up.
    fn began_waiting(&self, index: usize) {
        {
            let mut state = self.state();
            if state.phases.get(index) != Some(&Phase::Sending) {
                return;
            }
            state.phases[index] = Phase::Waiting;
            state.sending -= 1;
            state.waiting += 1;
        }
        self.changed.notify_all();
        self.report(false);
    }

    /// A purchase ended: with its result, or without one when a callback
    /// panicked on its thread.
    fn ended(&self, index: usize, result: Option<Result<PurchaseOutcome, Error>>) {
        if let Some(Err(error)) = &result
            && self.come_back_later(index, error)
        {
            return;
        }
        let result = result.map(|result| result.map_err(BatchError::Failed));
        if let Some(result) = &result {
            self.tell_finished(index, result);
        }
        {
            let mut state = self.state();
            state.leave(index, Phase::Done);
            state.done += 1;
            match result {
                Some(result) => {
                    if let Err(BatchError::Failed(error)) = &result
                        && state.stop.is_none()
                        && let Some(cause) = StopCause::of(error)
                    {
                        log::warn!(
                            target: crate::logging::LOG_TARGET,
                            "batch: purchase {index} met {cause}; no more purchases are started: {error}"
                        );
                        state.stop = Some(BatchStop {
                            index,
                            cause,
                            message: error.to_string(),
                        });
                    }
                    state.ran += 1;
                    state.results[index] = Some(result);
                }
                None => state.panicked = true,
            }
        }
        self.changed.notify_all();
        self.report(true);
    }
}

/// Ends a purchase's turn however its thread leaves it, a panic included,
/// so that the batch never waits for it in vain.
struct Turn<'a> {
    shared: &'a Shared,
    index: usize,
    result: Option<Result<PurchaseOutcome, Error>>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.shared.ended(self.index, self.result.take());
    }
}

/// The time left, from the pace of the purchases done so far; `None`
/// before any ran to its end.
fn time_left(elapsed: Duration, ran: usize, left: usize) -> Option<Duration> {
    if left == 0 {
        return Some(Duration::ZERO);
    }
    if ran == 0 {
        return None;
    }
    Duration::try_from_secs_f64(elapsed.as_secs_f64() * left as f64 / ran as f64).ok()
}

/// Runs one purchase on the calling thread.
fn run_one(
    shared: &Arc<Shared>,
    journal: &Journal,
    client: &Client,
    purchase: &Purchase,
    index: usize,
    wait: &WaitOptions,
) {
    let mut turn = Turn {
        shared,
        index,
        result: None,
    };
    let hook = Arc::clone(shared);
    let wait = wait
        .clone()
        .also_on_progress(move |_| hook.began_waiting(index));
    turn.result = Some(journal.run(client, purchase, wait));
}

/// # Batches
impl Journal {
    /// Runs many purchases, several at once, each exactly once as
    /// [`run`](Self::run) does it, and returns each one's outcome or error
    /// in the order given, with totals and a verdict
    /// ([`BatchOutcome::verdict`], [`BatchOutcome::exit_code`]).
    ///
    /// Up to [`parallel`](BatchOptions::parallel) purchases send calls at
    /// once; one that has checked out and waits for its orders to be
    /// provisioned gives its place to the next, up to
    /// [`max_waiting`](BatchOptions::max_waiting) waiting at once. Each
    /// waits as [`wait`](BatchOptions::wait) says; one still provisioning
    /// when its wait ends has an unfinished outcome, which a run again
    /// finishes. A batch run again after a crash resumes each purchase
    /// where it stopped, and returns the outcomes of those finished. Two
    /// purchases of one customer never run side by side: the second starts
    /// once the first has ended, as the journal's guards would refuse it
    /// beside the first (see the [module docs](crate::journal#guards-against-buying-twice-by-accident)).
    ///
    /// An error that does not depend on the purchase (a failed token
    /// provider, a refused token, a token without multi-factor
    /// authentication, a 403 refusing the partner, a Partner Center that
    /// cannot be reached, a failed journal store: see [`StopCause::of`])
    /// stops the batch from starting more purchases: those under way end,
    /// and each not started gets [`BatchError::NotStarted`], which names
    /// the purchase that met the error and the error.
    /// [`BatchOutcome::stopped`] says so too. So at most as many purchases
    /// as run at once meet such an error, not hundreds.
    ///
    /// A purchase that another runner holds ([`JournalError::Held`]:
    /// another worker on a shared store, or the same purchase given twice
    /// in the batch) does not fail at once: the batch goes on with the
    /// rest and comes back to it, for up to
    /// [`held_timeout`](BatchOptions::held_timeout). Once the other runner
    /// has finished it, its stored outcome is its result; once a dead
    /// runner's claim has lapsed, this batch runs it. So several
    /// processes given the same purchases and one
    /// [`BlobStore`](super::BlobStore) container share the work, each
    /// purchase run by one of them at a time, and each one's outcome
    /// counts as failed only what it could not finish.
    ///
    /// # Panics
    ///
    /// When a callback of the options panics: no more purchases start, and
    /// the panic is raised again once those under way have ended.
    pub fn run_batch(
        &self,
        client: &Client,
        purchases: impl IntoIterator<Item = Purchase>,
        options: BatchOptions,
    ) -> BatchOutcome {
        let purchases: Vec<Purchase> = purchases.into_iter().collect();
        let total = purchases.len();
        let throttle_source = client.clone();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                phases: vec![Phase::Queued; total],
                customers: purchases.iter().map(Purchase::customer).collect(),
                busy: HashSet::new(),
                next: 0,
                held: Vec::new(),
                patience: vec![None; total],
                results: (0..total).map(|_| None).collect(),
                sending: 0,
                waiting: 0,
                done: 0,
                ran: 0,
                stop: None,
                panicked: false,
            }),
            changed: Condvar::new(),
            reporter: Mutex::new(Reported {
                counts: None,
                at: None,
            }),
            progress: options.progress.clone(),
            finished: options.finished.clone(),
            started: Instant::now(),
            total,
            held_timeout: options
                .held_timeout
                .unwrap_or_else(|| options.wait.total_timeout().saturating_add(HELD_MARGIN)),
            throttled_at_start: throttled_now(client),
            throttled: Box::new(move || throttled_now(&throttle_source)),
            panic: Mutex::new(None),
        });
        let (parallel, max_waiting) = (options.parallel.max(1), options.max_waiting);
        log::info!(
            target: crate::logging::LOG_TARGET,
            "batch: {total} purchases, {parallel} at once, up to {max_waiting} more waiting for provisioning"
        );

        thread::scope(|scope| {
            while let Some(index) = shared.next_turn(parallel, max_waiting) {
                shared.report(false);
                let purchase = &purchases[index];
                let (shared_ref, wait) = (&shared, &options.wait);
                let spawned = thread::Builder::new()
                    .name(format!("batch-{index}"))
                    .spawn_scoped(scope, move || {
                        run_one(shared_ref, self, client, purchase, index, wait);
                    });
                if let Err(error) = spawned {
                    // No thread to be had: run it here, one at a time.
                    log::warn!(
                        target: crate::logging::LOG_TARGET,
                        "batch: could not start a thread for purchase {index} ({error}); running it on the caller's"
                    );
                    run_one(&shared, self, client, purchase, index, &options.wait);
                }
            }
            shared.not_started();
            // Wait for those under way, reporting the time left meanwhile.
            let mut state = shared.state();
            while state.sending + state.waiting > 0 {
                state = shared
                    .changed
                    .wait_timeout(state, TICK)
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .0;
                drop(state);
                shared.report(false);
                state = shared.state();
            }
        });
        shared.report(true);
        if let Some(payload) = lock(&shared.panic).take() {
            panic::resume_unwind(payload);
        }

        let mut state = shared.state();
        let stopped = state.stop.clone();
        let results: Vec<Result<PurchaseOutcome, BatchError>> = state
            .results
            .iter_mut()
            .map(|result| {
                // Every purchase has its result here: a panic would have
                // been raised again above.
                result.take().unwrap_or_else(|| {
                    Err(BatchError::NotStarted(BatchStop {
                        index: 0,
                        cause: StopCause::JournalStore,
                        message: "the batch lost this purchase's result".into(),
                    }))
                })
            })
            .collect();
        drop(state);
        let totals = BatchTotals::of(&results);
        let outcome = BatchOutcome {
            results,
            totals,
            stopped,
            throttled: shared.throttled(),
            elapsed: shared.started.elapsed(),
        };
        log::info!(target: crate::logging::LOG_TARGET, "batch: {outcome}");
        outcome
    }
}

impl Shared {
    /// Waits until a purchase may start, and marks it started: the next
    /// not yet tried, else one another runner held, once its pause is over.
    /// `None` when the batch stopped, or when every purchase has ended.
    fn next_turn(&self, parallel: usize, max_waiting: usize) -> Option<usize> {
        let mut state = self.state();
        loop {
            if state.stop.is_some() || state.panicked {
                return None;
            }
            let now = Instant::now();
            if state.sending < parallel
                && state.sending + state.waiting < parallel.saturating_add(max_waiting)
                && let Some(index) = state.next_to_start(now)
            {
                state.start(index);
                return Some(index);
            }
            if state.all_started() && state.sending + state.waiting == 0 {
                return None;
            }
            let first_due = state.held.iter().map(|(_, due)| *due).min();
            let pause = first_due.map_or(TICK, |due| due.saturating_duration_since(now).min(TICK));
            state = self
                .changed
                .wait_timeout(state, pause)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
            drop(state);
            self.report(false);
            state = self.state();
        }
    }

    /// Gives each purchase not started, after a stop, its result.
    fn not_started(&self) {
        let (stop, left) = {
            let mut state = self.state();
            let Some(stop) = state.stop.clone() else {
                return;
            };
            state.held.clear();
            let left: Vec<usize> = (0..self.total)
                .filter(|&index| matches!(state.phases[index], Phase::Queued | Phase::Held))
                .collect();
            for &index in &left {
                state.phases[index] = Phase::Done;
                state.done += 1;
                state.results[index] = Some(Err(BatchError::NotStarted(stop.clone())));
            }
            (stop, left)
        };
        if left.is_empty() {
            return;
        }
        log::warn!(
            target: crate::logging::LOG_TARGET,
            "batch: {} purchases not started, because {stop}",
            left.len()
        );
        if self.finished.is_some() {
            let not_started = Err(BatchError::NotStarted(stop));
            for index in left {
                self.tell_finished(index, &not_started);
            }
        }
        self.report(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_follows_the_pace_so_far() {
        assert_eq!(time_left(Duration::from_secs(10), 0, 5), None);
        assert_eq!(
            time_left(Duration::from_secs(10), 2, 4),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            time_left(Duration::from_secs(10), 0, 0),
            Some(Duration::ZERO)
        );
        assert_eq!(time_left(Duration::MAX, 1, usize::MAX), None);
    }

    #[test]
    fn durations_read_in_minutes_and_seconds() {
        assert_eq!(minutes_and_seconds(Duration::from_millis(44_100)), "45s");
        assert_eq!(minutes_and_seconds(Duration::from_secs(130)), "2m10s");
        assert_eq!(minutes_and_seconds(Duration::ZERO), "0s");
    }

    #[test]
    fn verdicts_map_to_the_tools_exit_codes() {
        assert_eq!(BatchVerdict::Complete.exit_code(), 0);
        assert_eq!(BatchVerdict::Part.exit_code(), 3);
        assert_eq!(BatchVerdict::Nothing.exit_code(), 1);
        assert_eq!(BatchVerdict::Failed.exit_code(), 1);
    }
}
