//! The fake's rate limit: a strict window of one second, as the service
//! counts, and the 429 it answers beyond it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long a window the rate is counted over.
const WINDOW: Duration = Duration::from_secs(1);

/// Admits at most `per_second` requests in any one second; the rest are
/// throttled.
#[derive(Debug, Clone)]
pub(super) struct Limiter {
    per_second: usize,
    /// When the requests admitted within the last second came.
    admitted: VecDeque<Instant>,
}

impl Limiter {
    pub(super) fn new(per_second: u32) -> Self {
        let per_second = usize::try_from(per_second).unwrap_or(usize::MAX);
        Limiter {
            per_second,
            admitted: VecDeque::with_capacity(per_second.min(1024)),
        }
    }

    /// Whether a request that came `at` is within the rate; if so, it
    /// counts against it. A throttled request does not count.
    pub(super) fn admit(&mut self, at: Instant) -> bool {
        while self
            .admitted
            .front()
            .is_some_and(|first| at.saturating_duration_since(*first) >= WINDOW)
        {
            self.admitted.pop_front();
        }
        if self.admitted.len() >= self.per_second {
            return false;
        }
        self.admitted.push_back(at);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_second_holds_more_than_the_rate() {
        let mut limiter = Limiter::new(3);
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let admitted: Vec<bool> = [0, 100, 200, 300, 999, 1000, 1001, 1100, 1200]
            .into_iter()
            .map(|ms| limiter.admit(at(ms)))
            .collect();
        assert_eq!(
            admitted,
            [true, true, true, false, false, true, false, true, true]
        );
    }
}
