//! When to try a call again, and how long to wait first.

pub(crate) mod verdict;

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::thread;
use std::time::{Duration, Instant};

/// How a client retries a call that failed on the way: how many attempts
/// in all, the exponential backoff with jitter between them, and how long a
/// `Retry-After` may ask the client to wait
/// ([`max_retry_after`](Self::max_retry_after); beyond it the call ends at
/// once with [`Error::RetryAfterTooLong`](crate::Error::RetryAfterTooLong)).
///
/// Which failures it retries, and with which `MS-RequestId`: see [retries
/// and idempotency](crate#retries-and-idempotency) in the crate docs.
///
/// Any duration is accepted: `Duration::MAX` as a backoff or cap means no
/// limit, and no arithmetic on them can overflow. Within
/// [`Client::wait_for_orders`](crate::Client::wait_for_orders), the wait's
/// deadline and pace apply to every attempt: a backoff that would end after
/// the deadline is not slept.
///
/// ```
/// use std::time::Duration;
/// use partner_center_cart::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_secs(1))
///     .max_backoff(Duration::from_secs(60))
///     .max_retry_after(Duration::from_secs(300));
/// # let _ = patient;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_throttled_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts in all and up to 10 retries after 429s besides,
    /// backoff from 500 ms doubling up to 30 s, and `Retry-After` honoured
    /// up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            max_throttled_retries: 10,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that makes one attempt and never retries, not even after a
    /// 429.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            max_throttled_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets how many attempts a call makes in all, the first included.
    /// Zero counts as one.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets how many retries after a 429 (too many requests) a call may
    /// make besides its [`max_attempts`](Self::max_attempts): a 429 means
    /// the service took nothing, so it does not use up an attempt until
    /// these run out. Defaults to 10; 0 counts 429s as attempts like any
    /// other failure. A call with a deadline (a list's timeout, a wait for
    /// orders) still ends at its deadline.
    pub fn max_throttled_retries(mut self, retries: u32) -> Self {
        self.max_throttled_retries = retries;
        self
    }

    /// Sets the wait before the first retry; each later retry waits twice as
    /// long, up to [`max_backoff`](Self::max_backoff), less up to half of it
    /// at random.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the longest backoff between two attempts.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Sets the longest `Retry-After` the client waits for. A longer one ends
    /// the call at once with an error that tells the wait.
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// How many attempts a call makes in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How many retries after a 429 a call makes besides its attempts.
    pub fn throttled_retries(&self) -> u32 {
        self.max_throttled_retries
    }

    /// The longest `Retry-After` the client waits for.
    pub(crate) fn retry_after_cap(&self) -> Duration {
        self.max_retry_after
    }

    /// The exponential backoff before retry number `retry` (1 for the first
    /// retry), before jitter.
    fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max_backoff)
    }

    /// Runs `attempt` (given its number, from 1) until it succeeds, fails in
    /// a way `hint` says is final, or the policy stops it. `hint` tells
    /// whether an error may be retried and the wait the service asked for;
    /// `before_retry` hears of each retry (the error, the attempt that made
    /// it, the wait) before the wait.
    ///
    /// This is the only retry loop of the crate: the Partner Center send
    /// path and the token endpoint both run through it.
    pub(crate) fn run<T, E, H: Into<Hint>>(
        &self,
        mut attempt: impl FnMut(u32) -> Result<T, E>,
        hint: impl Fn(&E) -> H,
        before_retry: impl FnMut(&E, u32, Duration),
    ) -> Result<T, Stop<E>> {
        self.run_within(
            Bounds::default(),
            |number, _| attempt(number),
            hint,
            before_retry,
        )
    }

    /// [`run`](Self::run) within `bounds`: every attempt, the first and each
    /// retry, waits for the pacer's next slot; none starts at or after the
    /// deadline, and no wait runs past it; each is given the time left
    /// (`None`: no limit) to bound its request. When the deadline comes
    /// first, the run ends with [`Stop::OutOfTime`] and the last error.
    ///
    /// An error that `hint` says was throttled (429) uses up no attempt
    /// while [`max_throttled_retries`](Self::max_throttled_retries) last.
    pub(crate) fn run_within<T, E, H: Into<Hint>>(
        &self,
        bounds: Bounds<'_>,
        mut attempt: impl FnMut(u32, Option<Duration>) -> Result<T, E>,
        hint: impl Fn(&E) -> H,
        mut before_retry: impl FnMut(&E, u32, Duration),
    ) -> Result<T, Stop<E>> {
        let mut number = 0u32;
        // The attempts that count against the policy's: all but the
        // throttled ones it lets off.
        let mut charged = 0u32;
        let mut throttled_retries = 0u32;
        let mut last_error = None;
        loop {
            let Some(time_left) = bounds.begin_attempt() else {
                return Err(Stop::OutOfTime(last_error));
            };
            number = number.saturating_add(1);
            let error = match attempt(number, time_left) {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let Hint {
                retryable,
                retry_after,
                throttled,
            } = hint(&error).into();
            if throttled && throttled_retries < self.max_throttled_retries {
                throttled_retries += 1;
            } else {
                charged = charged.saturating_add(1);
            }
            // A retryable failure once the deadline has come, such as a
            // request cut short by the time left, is the deadline's doing:
            // not a final answer, whatever attempts the policy had left.
            if retryable && !bounds.outlasts(Duration::ZERO) {
                return Err(Stop::OutOfTime(Some(error)));
            }
            match self.decide(charged, retryable, retry_after) {
                Decision::GiveUp => return Err(Stop::GiveUp(error)),
                Decision::RetryAfterTooLong { asked, cap } => {
                    return Err(Stop::RetryAfterTooLong { error, asked, cap });
                }
                Decision::Retry(wait) if !bounds.outlasts(wait) => {
                    return Err(Stop::OutOfTime(Some(error)));
                }
                Decision::Retry(wait) => {
                    before_retry(&error, number, wait);
                    thread::sleep(wait);
                    last_error = Some(error);
                }
            }
        }
    }

    /// Decides what to do after attempt number `attempt` (1 for the first)
    /// failed in a way that `retryable` says may be retried, with the wait
    /// the service asked for, if any.
    fn decide(&self, attempt: u32, retryable: bool, retry_after: Option<Duration>) -> Decision {
        if !retryable || attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        if let Some(asked) = retry_after
            && asked > self.max_retry_after
        {
            return Decision::RetryAfterTooLong {
                asked,
                cap: self.max_retry_after,
            };
        }
        let ceiling = self.backoff_ceiling(attempt);
        let backoff = ceiling.saturating_sub(ceiling.mul_f64(0.5 * random_fraction()));
        Decision::Retry(retry_after.map_or(backoff, |asked| asked.max(backoff)))
    }
}

/// What [`RetryPolicy::run`] hears of a failed attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Hint {
    /// Whether it may be tried again.
    pub(crate) retryable: bool,
    /// The wait the service asked for, if any.
    pub(crate) retry_after: Option<Duration>,
    /// Whether the service answered 429: it took nothing, and the retry
    /// uses up no attempt while the policy's throttled retries last.
    pub(crate) throttled: bool,
}

impl From<(bool, Option<Duration>)> for Hint {
    fn from((retryable, retry_after): (bool, Option<Duration>)) -> Self {
        Hint {
            retryable,
            retry_after,
            throttled: false,
        }
    }
}

/// Gives each attempt leave to start: the client's request budget.
pub(crate) trait Gate: std::fmt::Debug {
    /// Waits until an attempt may start and returns true, or returns false
    /// at once when it may not start before `deadline`.
    fn admit(&self, deadline: Option<Instant>) -> bool;

    /// Hears that an attempt it admitted will not start after all: the
    /// deadline came as it was admitted.
    fn cancel(&self);
}

/// Why [`RetryPolicy::run`] stopped without a success.
#[derive(Debug)]
pub(crate) enum Stop<E> {
    /// The last error: final, or the attempts ran out.
    GiveUp(E),
    /// The service asked for a longer wait than the policy allows.
    RetryAfterTooLong {
        error: E,
        asked: Duration,
        cap: Duration,
    },
    /// The deadline of [`Bounds`] came first: no attempt could start, or the
    /// wait before the next one would have run past it. Holds the last
    /// error, if an attempt was made.
    OutOfTime(Option<E>),
}

/// What a caller that makes many calls (the wait for orders) asks of each:
/// a deadline and a pace. The default bounds nothing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bounds<'a> {
    /// No attempt starts at or after it, and no wait runs past it. `None`:
    /// no deadline.
    pub(crate) deadline: Option<Instant>,
    /// Spaces the attempts, retries included.
    pub(crate) pacer: Option<&'a Pacer>,
    /// Gives each attempt leave to start after the pacer's slot.
    pub(crate) gate: Option<&'a dyn Gate>,
}

impl Bounds<'_> {
    /// Waits for the pacer's next slot and returns the time left before the
    /// deadline (`Some(None)`: no deadline), or `None` when the deadline
    /// comes first; then nothing was waited for.
    fn begin_attempt(&self) -> Option<Option<Duration>> {
        let now = Instant::now();
        let slot = self.pacer.map_or(now, |pacer| pacer.next_slot(now));
        if self.deadline.is_some_and(|deadline| slot >= deadline) {
            return None;
        }
        thread::sleep(slot.saturating_duration_since(now));
        if let Some(gate) = self.gate
            && !gate.admit(self.deadline)
        {
            return None;
        }
        let now = Instant::now();
        if let Some(pacer) = self.pacer {
            pacer.last.set(Some(now));
        }
        let time_left = match self.deadline {
            None => Some(None),
            Some(deadline) => deadline
                .checked_duration_since(now)
                .filter(|left| !left.is_zero())
                .map(Some),
        };
        if time_left.is_none()
            && let Some(gate) = self.gate
        {
            gate.cancel();
        }
        time_left
    }

    /// Whether a wait of `wait` from now ends before the deadline.
    fn outlasts(&self, wait: Duration) -> bool {
        match self.deadline {
            None => true,
            Some(deadline) => Instant::now()
                .checked_add(wait)
                .is_some_and(|end| end < deadline),
        }
    }
}

/// Spaces requests evenly: each starts at least `spacing` after the one
/// before. Used by one thread at a time.
#[derive(Debug)]
pub(crate) struct Pacer {
    spacing: Duration,
    last: Cell<Option<Instant>>,
}

impl Pacer {
    pub(crate) fn new(spacing: Duration) -> Self {
        Pacer {
            spacing,
            last: Cell::new(None),
        }
    }

    /// When the next request may start: now, or `spacing` after the last
    /// (a spacing is at most a minute, so the sum is always on the clock).
    fn next_slot(&self, now: Instant) -> Instant {
        self.last
            .get()
            .and_then(|last| last.checked_add(self.spacing))
            .map_or(now, |slot| slot.max(now))
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Stop and report the failure.
    GiveUp,
    /// Stop: the service asked for a longer wait than the policy allows.
    RetryAfterTooLong { asked: Duration, cap: Duration },
}

/// A number in `[0, 1)` for jitter, from the standard library's per-process
/// random hash keys.
fn random_fraction() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stays_under_the_cap() {
        let policy = RetryPolicy::default()
            .max_attempts(10)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(700));
        let expected = [100, 200, 400, 700, 700];
        for (retry, ceiling) in (1..).zip(expected) {
            let ceiling = Duration::from_millis(ceiling);
            for _ in 0..50 {
                let Decision::Retry(wait) = policy.decide(retry, true, None) else {
                    panic!("retry {retry} was not retried");
                };
                assert!(
                    wait <= ceiling && wait >= ceiling / 2,
                    "retry {retry}: {wait:?}"
                );
            }
        }
    }

    #[test]
    fn jitter_varies() {
        let policy = RetryPolicy::default().initial_backoff(Duration::from_secs(1));
        let waits: std::collections::HashSet<_> =
            (0..20).map(|_| policy.decide(1, true, None)).collect();
        assert!(waits.len() > 1);
    }

    #[test]
    fn attempts_run_out() {
        let policy = RetryPolicy::default().max_attempts(3);
        assert!(matches!(policy.decide(2, true, None), Decision::Retry(_)));
        assert_eq!(policy.decide(3, true, None), Decision::GiveUp);
        assert_eq!(RetryPolicy::none().decide(1, true, None), Decision::GiveUp);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
        assert_eq!(policy.decide(1, false, None), Decision::GiveUp);
    }

    #[test]
    fn retry_after_sets_the_wait_unless_it_passes_the_cap() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(1))
            .max_retry_after(Duration::from_secs(10));
        assert_eq!(
            policy.decide(1, true, Some(Duration::from_secs(7))),
            Decision::Retry(Duration::from_secs(7))
        );
        assert_eq!(
            policy.decide(1, true, Some(Duration::from_secs(11))),
            Decision::RetryAfterTooLong {
                asked: Duration::from_secs(11),
                cap: Duration::from_secs(10)
            }
        );
    }

    #[test]
    fn run_retries_until_success_and_reports_each_retry() {
        let policy = RetryPolicy::default().initial_backoff(Duration::from_millis(1));
        let mut retries = Vec::new();
        let result = policy.run(
            |n| if n < 3 { Err(n) } else { Ok("done") },
            |_| (true, None),
            |error, attempt, _| retries.push((*error, attempt)),
        );
        assert_eq!(result.unwrap(), "done");
        assert_eq!(retries, [(1, 1), (2, 2)]);
    }

    #[test]
    fn run_stops_on_final_errors_exhaustion_and_long_waits() {
        let policy = RetryPolicy::default()
            .max_attempts(2)
            .initial_backoff(Duration::from_millis(1))
            .max_retry_after(Duration::from_secs(5));
        let calls = std::cell::Cell::new(0);
        let final_error = policy.run(
            |n| {
                calls.set(n);
                Err::<(), _>("no")
            },
            |_| (false, None),
            |_, _, _| {},
        );
        assert!(matches!(final_error, Err(Stop::GiveUp("no"))));
        assert_eq!(calls.get(), 1);
        let exhausted = policy.run(Err::<(), _>, |_| (true, None), |_, _, _| {});
        assert!(matches!(exhausted, Err(Stop::GiveUp(2))));
        let too_long = policy.run(
            Err::<(), _>,
            |_| (true, Some(Duration::from_secs(6))),
            |_, _, _| {},
        );
        assert!(matches!(
            too_long,
            Err(Stop::RetryAfterTooLong { error: 1, asked, cap })
                if asked == Duration::from_secs(6) && cap == Duration::from_secs(5)
        ));
    }

    #[test]
    fn huge_settings_do_not_overflow() {
        let policy = RetryPolicy::default()
            .max_attempts(u32::MAX)
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX);
        assert!(matches!(
            policy.decide(u32::MAX - 1, true, None),
            Decision::Retry(_)
        ));
    }
}
