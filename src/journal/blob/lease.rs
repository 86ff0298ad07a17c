//! The thread that keeps a claim's lease alive while its purchase runs.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::Calls;
use crate::journal::store::Lapse;
use crate::logging::LOG_TARGET;
use crate::text::Escaped;

/// How long a lease lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeaseTime {
    /// This many seconds, 15 to 60, renewed while the purchase runs.
    Seconds(u8),
    /// Until released or broken: a dead holder's purchases wait for a
    /// person to break their leases.
    Infinite,
}

impl LeaseTime {
    /// `x-ms-lease-duration`.
    pub(crate) fn header(self) -> String {
        match self {
            LeaseTime::Seconds(seconds) => seconds.to_string(),
            LeaseTime::Infinite => "-1".to_owned(),
        }
    }

    /// How often the lease is renewed: three times a lease, so that two
    /// renewals can fail before it lapses. `None` for an infinite lease.
    pub(crate) fn renew_every(self) -> Option<Duration> {
        match self {
            LeaseTime::Seconds(seconds) => Some(Duration::from_secs(u64::from(seconds)) / 3),
            LeaseTime::Infinite => None,
        }
    }
}

/// Renews a lease every so often on a thread of its own, until dropped;
/// dropping it stops the thread and waits for it, so that no renewal
/// follows a release.
pub(crate) struct Renewer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Renewer {
    /// Starts renewing lease `lease_id` of blob `name` every `every`, a
    /// third of the lease; each renewal confirms `lapse` for a lease from
    /// when it was asked.
    pub(crate) fn start(
        calls: Calls,
        name: String,
        lease_id: String,
        every: Duration,
        lapse: Arc<Lapse>,
    ) -> Renewer {
        let (stop, stopped) = mpsc::channel::<()>();
        let renew = move || {
            loop {
                match stopped.recv_timeout(every) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                let asked = Instant::now();
                match calls.renew(&name, &lease_id, every) {
                    Ok(()) => lapse.confirm(asked + every.saturating_mul(3)),
                    Err(error) if lease_is_gone(error.status()) => {
                        // The storage refused: the lease is gone, and the
                        // next append says so to the purchase.
                        log::warn!(target: LOG_TARGET, "stopped renewing a lease: {}", Escaped(&error.to_string()));
                        return;
                    }
                    Err(error) => {
                        log::warn!(target: LOG_TARGET, "could not renew a lease, trying again: {}", Escaped(&error.to_string()));
                    }
                }
            }
        };
        let thread = thread::Builder::new()
            .name("blob-lease".to_owned())
            .spawn(renew)
            .map_err(|error| {
                log::warn!(target: LOG_TARGET, "could not start the thread that renews a lease; it lapses unless the purchase ends first: {error}");
            })
            .ok();
        Renewer {
            stop: Some(stop),
            thread,
        }
    }
}

/// Whether a renewal's failure means the lease is gone for good: a
/// refusal (4xx), but not a timeout (408) or throttling (429), which, like
/// a busy storage (5xx) or no answer, pass.
fn lease_is_gone(status: Option<u16>) -> bool {
    status.is_some_and(|status| (400..500).contains(&status) && !matches!(status, 408 | 429))
}

impl Drop for Renewer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lease_is_gone;

    #[test]
    fn only_a_refusal_stops_the_renewals() {
        for gone in [400, 403, 404, 409, 412] {
            assert!(lease_is_gone(Some(gone)), "{gone}");
        }
        for passing in [None, Some(408), Some(429), Some(500), Some(503)] {
            assert!(!lease_is_gone(passing), "{passing:?}");
        }
    }
}
