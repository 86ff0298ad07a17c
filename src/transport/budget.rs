//! One request budget per client: every attempt of every call, the wait's
//! polls included, asks it for leave to send.
//!
//! It knows three things. A 429 pauses every thread of the client until the
//! `Retry-After` has passed, not only the thread that met it. From the 429s
//! it learns the rate the service allows (additive increase while none
//! comes, multiplicative decrease when one does) and spaces requests just
//! under it. And a cap the user set
//! ([`ClientBuilder::max_requests_per_minute`](crate::ClientBuilder::max_requests_per_minute))
//! spaces them at most that often. Until the first 429 and without a cap,
//! nothing is spaced: a single call is never slowed.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::retry::Gate;

/// The learned rate never goes below this many requests a minute.
pub(crate) const FLOOR_PER_MINUTE: f64 = 60.0;

/// The share of the learned rate the client paces itself at.
const PACE_SHARE: f64 = 0.9;

/// What a 429 leaves of the learned rate.
const DECREASE: f64 = 0.7;

/// How fast the learned rate grows back while no 429 comes: this share of
/// the rate set at the last decrease, every second (at least a tenth of
/// the floor).
const INCREASE_PER_SECOND: f64 = 0.01;

/// How far the learned rate grows back without a 429, as a multiple of the
/// rate set at the last decrease.
const MAX_GROWTH: f64 = 2.0;

/// How many attempts may be under way at once at first: few, so that many
/// threads starting together meet few 429s before the first teaches the
/// rate. Each answer that is not a 429 allows one more, up to
/// [`MAX_IN_FLIGHT`]; a 429 halves it, down to this again.
const FIRST_IN_FLIGHT: usize = 4;
const MAX_IN_FLIGHT: usize = 1024;

/// How far back the answers that teach the first rate are counted.
const WINDOW: Duration = Duration::from_secs(10);

/// The pause after a 429 without a readable `Retry-After`.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

/// The longest pause a 429 can set, whatever it asked.
const MAX_PAUSE: Duration = Duration::from_secs(24 * 3600);

/// How much a client is throttled: a snapshot from
/// [`Client::throttling`](crate::Client::throttling), for progress lines
/// and logs.
///
/// ```no_run
/// use partner_center_cart::Client;
///
/// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
/// // ... calls on many threads ...
/// let now = client.throttling();
/// println!(
///     "{} requests, {} throttled{}",
///     now.requests,
///     now.throttled,
///     if now.is_paused() { ", paused" } else { "" }
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Throttling {
    /// Requests the client and its clones have sent (attempts, retries
    /// included).
    pub requests: u64,
    /// Of them, those answered 429 (too many requests).
    pub throttled: u64,
    /// The rate the client has learned the service allows, in requests a
    /// minute; `None` before the first 429. The client paces itself at 90%
    /// of it.
    pub learned_per_minute: Option<f64>,
    /// The cap set with
    /// [`ClientBuilder::max_requests_per_minute`](crate::ClientBuilder::max_requests_per_minute),
    /// if any.
    pub max_per_minute: Option<u32>,
    /// Until when every call of the client waits, after a 429 asked it to;
    /// `None` when no 429 came yet.
    pub paused_until: Option<Instant>,
}

impl Throttling {
    /// Whether the client is waiting out a 429 now.
    pub fn is_paused(&self) -> bool {
        self.paused_until
            .is_some_and(|until| until > Instant::now())
    }

    /// The rate the client spaces its requests at now, in requests a
    /// minute: the cap, or 90% of the learned rate if lower; `None` while
    /// it does not space them.
    pub fn pace_per_minute(&self) -> Option<f64> {
        let learned = self.learned_per_minute.map(|rate| rate * PACE_SHARE);
        let cap = self.max_per_minute.map(f64::from);
        match (learned, cap) {
            (Some(learned), Some(cap)) => Some(learned.min(cap)),
            (learned, cap) => learned.or(cap),
        }
    }
}

/// The rate learned from 429s.
#[derive(Debug, Clone, Copy)]
struct Learned {
    /// Requests a minute, as set by the last decrease.
    at_decrease: f64,
    /// When that decrease was.
    decreased_at: Instant,
}

impl Learned {
    /// The rate at `now`: grown back since the last decrease.
    fn rate(&self, now: Instant) -> f64 {
        let grown = now
            .saturating_duration_since(self.decreased_at)
            .as_secs_f64();
        let step = (self.at_decrease * INCREASE_PER_SECOND).max(FLOOR_PER_MINUTE / 10.0);
        // Growing without a 429 says little after a quiet spell: at most
        // twice the rate set, so that a burst after it meets few 429s.
        (self.at_decrease + step * grown).min(self.at_decrease * MAX_GROWTH)
    }
}

#[derive(Debug)]
struct State {
    requests: u64,
    throttled: u64,
    learned: Option<Learned>,
    /// Until when every request waits, after a 429.
    paused_until: Option<Instant>,
    /// The earliest start of the next request while requests are spaced.
    next_slot: Option<Instant>,
    /// Counts the 429s that reset the slots, so that a thread waiting for
    /// a slot given out before one takes a new one.
    epoch: u64,
    /// When recent requests that were not throttled were answered, within
    /// [`WINDOW`].
    answered: VecDeque<Instant>,
    /// Attempts admitted and not yet ended.
    in_flight: usize,
    /// How many may be.
    flight_limit: usize,
}

/// A client's request budget, shared by its clones.
#[derive(Debug)]
pub(crate) struct Budget {
    cap: Option<u32>,
    state: Mutex<State>,
    changed: Condvar,
}

impl Budget {
    /// A budget spacing requests at most `cap` a minute, if set.
    pub(crate) fn new(cap: Option<u32>) -> Self {
        Budget {
            cap: cap.filter(|cap| *cap > 0),
            state: Mutex::new(State {
                requests: 0,
                throttled: 0,
                learned: None,
                paused_until: None,
                next_slot: None,
                epoch: 0,
                answered: VecDeque::new(),
                in_flight: 0,
                flight_limit: FIRST_IN_FLIGHT,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current snapshot.
    pub(crate) fn snapshot(&self) -> Throttling {
        let state = self.lock();
        let now = Instant::now();
        Throttling {
            requests: state.requests,
            throttled: state.throttled,
            learned_per_minute: state.learned.map(|learned| learned.rate(now)),
            max_per_minute: self.cap,
            paused_until: state.paused_until,
        }
    }

    /// The time between two requests now; zero while they are not spaced.
    fn spacing(&self, state: &State, now: Instant) -> Duration {
        let learned = state.learned.map(|learned| learned.rate(now) * PACE_SHARE);
        let cap = self.cap.map(f64::from);
        let per_minute = match (learned, cap) {
            (Some(learned), Some(cap)) => learned.min(cap),
            (learned, cap) => match learned.or(cap) {
                Some(rate) => rate,
                None => return Duration::ZERO,
            },
        };
        // A rate is at least a request a minute here (the cap is at least
        // 1, the learned rate at least the floor), so this is at most 60 s.
        Duration::try_from_secs_f64(60.0 / per_minute.max(1.0)).unwrap_or(Duration::from_secs(60))
    }

    /// Hears how an attempt that started at `sent_at` was answered: 429
    /// (`throttled`, with the `Retry-After` it asked for, capped at
    /// `max_pause`), or anything else.
    pub(crate) fn answered(
        &self,
        sent_at: Instant,
        throttled: bool,
        retry_after: Option<Duration>,
        max_pause: Duration,
    ) {
        let now = Instant::now();
        let mut state = self.lock();
        while state
            .answered
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) > WINDOW)
        {
            state.answered.pop_front();
        }
        if !throttled {
            state.answered.push_back(now);
            state.flight_limit = state.flight_limit.saturating_add(1).min(MAX_IN_FLIGHT);
            return;
        }
        state.throttled = state.throttled.saturating_add(1);
        let pause = retry_after
            .unwrap_or(DEFAULT_PAUSE)
            .min(max_pause)
            .min(MAX_PAUSE);
        let until = now.checked_add(pause).unwrap_or(now);
        state.paused_until = Some(state.paused_until.map_or(until, |old| old.max(until)));
        // What the service allowed lately: the answers of the last
        // seconds that were not 429s.
        let span = state
            .answered
            .front()
            .map_or(Duration::ZERO, |first| {
                now.saturating_duration_since(*first)
            })
            .clamp(Duration::from_secs(1), WINDOW)
            .as_secs_f64();
        let allowed = state.answered.len() as f64 * 60.0 / span;
        let learned = match state.learned {
            // One decrease for each burst of 429s: a request sent before
            // the last decrease was sent at the old rate, and says nothing
            // new.
            Some(learned) if sent_at < learned.decreased_at => None,
            Some(learned) => Some(learned.rate(now) * DECREASE),
            // The first 429: the service allowed about what it answered
            // lately.
            None => Some(allowed),
        };
        if let Some(rate) = learned {
            let rate = rate.max(FLOOR_PER_MINUTE);
            state.flight_limit = (state.flight_limit / 2).max(FIRST_IN_FLIGHT);
            log::info!(
                target: crate::logging::LOG_TARGET,
                "throttled (429): every call of this client waits {pause:?}, then sends at most {:.0} requests a minute",
                rate * PACE_SHARE,
            );
            state.learned = Some(Learned {
                at_decrease: rate,
                decreased_at: now,
            });
        }
        // The slots given out before are void: every waiting thread takes a
        // new one after the pause, at the new spacing.
        state.next_slot = Some(until);
        state.epoch = state.epoch.wrapping_add(1);
        self.changed.notify_all();
    }
}

impl Budget {
    /// Ends an attempt that [`Gate::admit`] let start, freeing its place.
    fn release(&self) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        self.changed.notify_all();
    }

    /// Marks an admitted attempt as under way until the guard is dropped.
    pub(crate) fn under_way(&self) -> UnderWay<'_> {
        UnderWay(self)
    }

    /// Waits for a place among the attempts under way; false when the
    /// deadline comes first.
    fn wait_for_room<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        deadline: Option<Instant>,
    ) -> Option<MutexGuard<'a, State>> {
        while state.in_flight >= state.flight_limit {
            state = match deadline {
                None => self
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.checked_duration_since(Instant::now())?;
                    if left.is_zero() {
                        return None;
                    }
                    self.changed
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        state.in_flight += 1;
        Some(state)
    }
}

/// An attempt under way: its place is freed when it is dropped, however
/// the attempt ends.
pub(crate) struct UnderWay<'a>(&'a Budget);

impl Drop for UnderWay<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

impl Gate for Budget {
    fn cancel(&self) {
        self.release();
    }

    fn admit(&self, deadline: Option<Instant>) -> bool {
        let Some(mut state) = self.wait_for_room(self.lock(), deadline) else {
            return false;
        };
        loop {
            let now = Instant::now();
            let spacing = self.spacing(&state, now);
            let mut start = now;
            if let Some(until) = state.paused_until {
                start = start.max(until);
            }
            if !spacing.is_zero()
                && let Some(slot) = state.next_slot
            {
                start = start.max(slot);
            }
            if deadline.is_some_and(|deadline| start >= deadline) {
                state.in_flight = state.in_flight.saturating_sub(1);
                self.changed.notify_all();
                return false;
            }
            if !spacing.is_zero() {
                state.next_slot = Some(start.checked_add(spacing).unwrap_or(start));
            }
            if start <= now {
                state.requests = state.requests.saturating_add(1);
                return true;
            }
            // Wait for the slot, or for a 429 that voids it.
            let epoch = state.epoch;
            let wait = start.saturating_duration_since(now);
            let (woken, _) = self
                .changed
                .wait_timeout_while(state, wait, |state| state.epoch == epoch)
                .unwrap_or_else(PoisonError::into_inner);
            state = woken;
            if state.epoch == epoch {
                // The slot came and was not voided: it is this thread's.
                let now = Instant::now();
                if state.paused_until.is_none_or(|until| until <= now) {
                    state.requests = state.requests.saturating_add(1);
                    return true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_spaced_before_a_429_or_a_cap() {
        let budget = Budget::new(None);
        let started = Instant::now();
        for _ in 0..100 {
            assert!(budget.admit(None));
            budget.release();
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        let now = budget.snapshot();
        assert_eq!((now.requests, now.throttled), (100, 0));
        assert_eq!(now.learned_per_minute, None);
        assert_eq!(now.pace_per_minute(), None);
        assert!(!now.is_paused());
    }

    #[test]
    fn a_429_pauses_learns_and_a_deadline_before_the_pause_refuses_at_once() {
        let budget = Budget::new(None);
        for _ in 0..5 {
            assert!(budget.admit(None));
            budget.answered(Instant::now(), false, None, Duration::MAX);
            budget.release();
        }
        budget.answered(
            Instant::now(),
            true,
            Some(Duration::from_secs(30)),
            Duration::MAX,
        );
        let now = budget.snapshot();
        assert!(now.is_paused());
        assert_eq!(now.throttled, 1);
        // Five answers in the first second: 300 a minute, paced at 270.
        let learned = now.learned_per_minute.unwrap();
        assert!((300.0..301.0).contains(&learned), "{learned}");
        let started = Instant::now();
        assert!(!budget.admit(Some(started + Duration::from_secs(10))));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn the_learned_rate_halves_once_a_burst_and_never_below_the_floor() {
        let budget = Budget::new(None);
        let sent = Instant::now();
        for _ in 0..3 {
            budget.answered(sent, true, Some(Duration::ZERO), Duration::MAX);
        }
        let first = budget.snapshot().learned_per_minute.unwrap();
        assert!((FLOOR_PER_MINUTE..FLOOR_PER_MINUTE + 1.0).contains(&first));
        // Requests sent before the decrease do not decrease it again.
        assert!(budget.snapshot().learned_per_minute.unwrap() >= first);
        budget.answered(Instant::now(), true, Some(Duration::ZERO), Duration::MAX);
        assert!(budget.snapshot().learned_per_minute.unwrap() >= FLOOR_PER_MINUTE);
    }

    #[test]
    fn few_attempts_are_under_way_at_first_and_answers_allow_more() {
        let budget = Budget::new(None);
        let soon = || Some(Instant::now() + Duration::from_millis(20));
        for _ in 0..FIRST_IN_FLIGHT {
            assert!(budget.admit(None));
        }
        assert!(
            !budget.admit(soon()),
            "a fifth attempt while four are under way"
        );
        drop(budget.under_way());
        assert!(budget.admit(soon()));
        budget.answered(Instant::now(), false, None, Duration::MAX);
        assert!(budget.admit(soon()), "an answer allows one more");
        assert!(!budget.admit(soon()));
    }

    #[test]
    fn the_learned_rate_grows_back_by_steps() {
        let at = Instant::now();
        let slow = Learned {
            at_decrease: FLOOR_PER_MINUTE,
            decreased_at: at,
        };
        // At least a tenth of the floor a second.
        assert!((slow.rate(at + Duration::from_secs(10)) - 2.0 * FLOOR_PER_MINUTE).abs() < 1e-9);
        let fast = Learned {
            at_decrease: 6000.0,
            decreased_at: at,
        };
        assert!((fast.rate(at + Duration::from_secs(10)) - 6600.0).abs() < 1e-9);
        assert_eq!(fast.rate(at - Duration::from_secs(1)), 6000.0);
        assert_eq!(fast.rate(at + Duration::from_secs(3600)), 12_000.0);
    }

    #[test]
    fn huge_retry_after_saturates() {
        let budget = Budget::new(Some(u32::MAX));
        budget.answered(Instant::now(), true, Some(Duration::MAX), Duration::MAX);
        assert!(budget.snapshot().is_paused());
        assert!(!budget.admit(Some(Instant::now() + Duration::from_secs(1))));
    }
}
