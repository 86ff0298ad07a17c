//! Waiting for the orders of a checkout to finish provisioning.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::Client;
use crate::error::Error;
use crate::ids::{CustomerId, IntoId, OrderId};
use crate::logging::LOG_TARGET;
use crate::model::{CartCheckoutResult, Order, OrderStatus, describe_pending};
use crate::retry::{Bounds, Pacer};
use crate::text::Escaped;
use crate::transport::Unsent;

type ProgressFn = dyn FnMut(&WaitProgress<'_>) + Send;

/// How [`Client::wait_for_orders`] polls.
///
/// ```
/// use std::time::Duration;
/// use partner_center_cart::WaitOptions;
///
/// let mut checks = 0;
/// let options = WaitOptions::default()
///     .timeout(Duration::from_secs(600))
///     .on_progress(move |progress| {
///         checks += 1;
///         eprintln!("check {checks}: {} of {} orders still pending", progress.pending.len(), progress.total);
///     });
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct WaitOptions {
    timeout: Duration,
    initial_interval: Duration,
    max_interval: Duration,
    max_requests_per_minute: u32,
    progress: Option<Arc<Mutex<ProgressFn>>>,
}

impl Default for WaitOptions {
    /// Up to 30 minutes; first check after 5 s, then every 1.5 times as
    /// long up to every minute; at most 60 requests a minute.
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(30 * 60),
            initial_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(60),
            max_requests_per_minute: 60,
            progress: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("initial_interval", &self.initial_interval)
            .field("max_interval", &self.max_interval)
            .field("max_requests_per_minute", &self.max_requests_per_minute)
            .field("progress", &self.progress.as_ref().map(|_| "<callback>"))
            .finish()
    }
}

impl WaitOptions {
    /// The most requests a wait sends in a minute, whatever it is told: half of
    /// the 500 a minute that Partner Center documents per tenant for orders.
    pub const MAX_REQUESTS_PER_MINUTE: u32 = 250;

    /// Sets how long to wait in all before giving up with
    /// [`Error::WaitTimedOut`]; `Duration::MAX` waits without a deadline.
    ///
    /// The deadline bounds everything the wait does: no sleep, pause for
    /// pacing or backoff runs past it, no request starts after it, and a
    /// request under way gets only the time left.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the wait before the first check; each later wait is 1.5 times
    /// the one before, up to [`max_interval`](Self::max_interval). Any
    /// duration is accepted; the deadline cuts a long one short.
    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    /// Sets the longest wait between two checks.
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// Sets how many requests the wait may send in a minute, from 1 to
    /// [`MAX_REQUESTS_PER_MINUTE`](Self::MAX_REQUESTS_PER_MINUTE); requests are spaced evenly to keep to it.
    /// Every request counts, retries included.
    pub fn max_requests_per_minute(mut self, requests: u32) -> Self {
        self.max_requests_per_minute = requests.clamp(1, Self::MAX_REQUESTS_PER_MINUTE);
        self
    }

    /// Calls `callback` before each wait, with what is still pending.
    ///
    /// The callback may keep state of its own (it is `FnMut`), such as a
    /// counter or a progress bar moved into it. Clones of these options
    /// share the one callback.
    pub fn on_progress(mut self, callback: impl FnMut(&WaitProgress<'_>) + Send + 'static) -> Self {
        self.progress = Some(Arc::new(Mutex::new(callback)));
        self
    }

    /// The least time between two requests.
    fn request_spacing(&self) -> Duration {
        Duration::from_secs(60) / self.max_requests_per_minute
    }
}

impl WaitOptions {
    /// How long the wait may take in all (`Duration::MAX`: no deadline).
    pub(crate) fn total_timeout(&self) -> Duration {
        self.timeout
    }

    /// These options with `callback` called before each wait too, before
    /// the caller's own callback, if any: how a batch learns that a
    /// purchase waits for provisioning without taking the caller's callback
    /// away.
    pub(crate) fn also_on_progress(
        mut self,
        mut callback: impl FnMut(&WaitProgress<'_>) + Send + 'static,
    ) -> Self {
        let first = self.progress.take();
        self.progress = Some(Arc::new(Mutex::new(move |progress: &WaitProgress<'_>| {
            callback(progress);
            if let Some(first) = &first {
                let mut first = first
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                first(progress);
            }
        })));
        self
    }
}

/// What a wait is waiting for, as told to its progress callback.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct WaitProgress<'a> {
    /// The orders still pending.
    pub pending: &'a [OrderId],
    /// How many orders are waited for in all.
    pub total: usize,
    /// How long the wait has lasted.
    pub elapsed: Duration,
    /// How long until the next check.
    pub next_check_in: Duration,
    /// Every order waited for, as last read: the status of each pending one
    /// among them, which may be one this crate does not know
    /// ([`OrderStatus::Other`]).
    pub orders: &'a [Order],
}

impl fmt::Display for WaitProgress<'_> {
    /// `1 of 2 orders pending: A (status "pending_review": under review,
    /// may take days); next check in 5.0s`, the service's text escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} order{} pending: {}; next check in {:.1?}",
            self.pending.len(),
            self.total,
            if self.total == 1 { "" } else { "s" },
            describe_pending(self.pending, self.orders),
            self.next_check_in,
        )
    }
}

/// # Waiting
impl Client {
    /// Waits until every order of a checkout is final or needs the
    /// partner's action ([`OrderStatus::is_final`],
    /// [`OrderStatus::needs_action`]), and returns them all as last read,
    /// with the subscription IDs of what was provisioned.
    ///
    /// Cancelled, failed and partly failed orders come back in `Ok` too,
    /// beside the completed ones, and so does an order waiting for a
    /// purchase order (`pending_po_upload`), which no amount of polling
    /// moves: check [`Order::is_completed`] and the status of each. Only a
    /// wait that runs out, or a read that fails, is an `Err`. Orders under
    /// review (`pending_review`, `po_upload_complete`) may stay so for days;
    /// the progress, the log and [`Error::WaitTimedOut`] say so.
    ///
    /// Orders that are already final are not read again. The pending ones
    /// are read as by [`get_order`](Self::get_order) at growing intervals,
    /// with every request, retries included, spaced to stay under
    /// [`max_requests_per_minute`](WaitOptions::max_requests_per_minute).
    /// The [`timeout`](WaitOptions::timeout) bounds all of it: the wait
    /// returns by its deadline, but for the time the token provider takes,
    /// which only the provider's own timeouts bound. Each check is logged at
    /// `info`, naming each pending order's status, and told to the progress
    /// callback.
    ///
    /// An order whose status this crate does not know (the service has been
    /// seen to send `none`) is not final: it is polled like a pending one
    /// until its status is final or the deadline passes. The first
    /// time a wait meets such a status it logs a warning; the progress
    /// records, [`WaitProgress::orders`] and [`Error::WaitTimedOut`] name
    /// it.
    ///
    /// ```no_run
    /// use partner_center_cart::{Client, WaitOptions};
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
    /// let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
    /// let result = client.checkout(customer, "3655b1a0-b1c9-4268-9824-577fdbc4d0be")?;
    /// for order in client.wait_for_orders(customer, &result, WaitOptions::default())? {
    ///     if order.is_cancelled() {
    ///         eprintln!("{} was cancelled", order.id);
    ///     } else {
    ///         println!("{}: {:?}", order.id, order.subscription_ids().collect::<Vec<_>>());
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::WaitTimedOut`] when orders are still pending at the
    ///   deadline, or when a read's retries could not finish by it; it names
    ///   the pending orders and holds every order as last read.
    /// - [`Error::OrderMismatch`] when a read of one order returns another.
    /// - [`Error::InvalidId`] when the customer ID or an order ID cannot be
    ///   used; nothing is sent.
    /// - Any error of [`get_order`](Self::get_order) that outlasts its
    ///   retries.
    pub fn wait_for_orders(
        &self,
        customer_id: impl IntoId<CustomerId>,
        result: &CartCheckoutResult,
        options: WaitOptions,
    ) -> Result<Vec<Order>, Error> {
        let customer_id = customer_id.into_id()?;
        let mut orders = result.orders.clone();
        for order in orders.iter().filter(|order| order.is_pending()) {
            order.id.check_path_safe()?;
        }
        let started = Instant::now();
        // A timeout too long to add to the clock means no deadline.
        let deadline = started.checked_add(options.timeout);
        let pacer = Pacer::new(options.request_spacing());
        let bounds = Bounds {
            deadline,
            pacer: Some(&pacer),
            gate: None,
        };
        let mut interval = options.initial_interval.min(options.max_interval);
        let mut unknown_statuses = HashSet::new();
        let timed_out = |orders: Vec<Order>| Error::WaitTimedOut {
            pending: pending_ids(&orders),
            orders,
            waited: started.elapsed(),
        };

        loop {
            warn_of_unknown_statuses(&orders, &mut unknown_statuses);
            let pending = pending_ids(&orders);
            if pending.is_empty() {
                log::info!(target: LOG_TARGET, "all {} orders are final after {:.0?}", orders.len(), started.elapsed());
                return Ok(orders);
            }
            let time_left =
                deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            if time_left.is_some_and(|left| left.is_zero()) {
                return Err(timed_out(orders));
            }
            let wait = time_left.map_or(interval, |left| interval.min(left));
            log::info!(
                target: LOG_TARGET,
                "waiting for {} pending order{} ({}); next check in {:.1?}",
                pending.len(),
                if pending.len() == 1 { "" } else { "s" },
                describe_pending(&pending, &orders),
                wait,
            );
            if let Some(progress) = &options.progress {
                // A callback that panicked before leaves its state usable.
                let mut callback = progress
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                callback(&WaitProgress {
                    pending: &pending,
                    total: orders.len(),
                    elapsed: started.elapsed(),
                    next_check_in: wait,
                    orders: &orders,
                });
            }
            thread::sleep(wait);

            for index in 0..orders.len() {
                if !orders[index].is_pending() {
                    continue;
                }
                match self.read_order(customer_id, &orders[index].id, "", bounds) {
                    Ok(order) => orders[index] = order,
                    Err(Unsent::Failed(error)) => return Err(error),
                    Err(Unsent::OutOfTime(error)) => {
                        log::info!(target: LOG_TARGET, "the wait's deadline came while reading order {}: {error}", orders[index].id);
                        return Err(timed_out(orders));
                    }
                }
            }
            interval = interval
                .saturating_add(interval / 2)
                .min(options.max_interval);
        }
    }
}

/// The IDs of the orders still pending.
fn pending_ids(orders: &[Order]) -> Vec<OrderId> {
    orders
        .iter()
        .filter(|order| order.is_pending())
        .map(|order| order.id.clone())
        .collect()
}

/// Logs a warning for each status this crate does not know, the first time
/// a wait meets it among its pending orders.
fn warn_of_unknown_statuses(orders: &[Order], warned: &mut HashSet<String>) {
    for order in orders.iter().filter(|order| order.is_pending()) {
        if let Some(OrderStatus::Other(status)) = &order.status
            && warned.insert(status.clone())
        {
            log::warn!(
                target: LOG_TARGET,
                "order {} has the status \"{}\", which this crate does not know; \
                 it is polled as pending until its status is final",
                order.id,
                Escaped(status),
            );
        }
    }
}
