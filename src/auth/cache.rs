//! The token cache that every fetching provider uses: it keeps a token until
//! shortly before it expires, and when many threads find it stale at once,
//! one of them fetches a new token while the others wait for it.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::AccessToken;
use crate::error::AuthError;

/// How long before its expiry a cached token is replaced: 5 minutes.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How long a token whose lifetime is not known is reused: one minute.
pub(crate) const UNKNOWN_LIFETIME_REUSE: Duration = Duration::from_secs(60);

/// The longest lifetime believed; a longer one counts as this.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A token as a provider fetched it.
pub(crate) struct Fetched {
    pub(crate) token: AccessToken,
    /// How long the token is valid from now, if the issuer said.
    pub(crate) expires_in: Option<Duration>,
}

/// A cached token with single-flight refresh.
///
/// A fetched token is checked before it is kept: one that cannot go in an
/// `Authorization` header is an error for that fetch, and the next caller
/// fetches again.
///
/// A token is reused until `margin` before it expires (or for
/// [`UNKNOWN_LIFETIME_REUSE`] when its lifetime is not known). When it is
/// stale, the first caller fetches a new one without holding the lock; the
/// callers that come meanwhile wait, and then all get that fetch's outcome:
/// its token, or a clone of its error. A failed fetch is not retried for
/// them; the next caller after it starts a new fetch. A fetch that panics
/// lets one of the waiters fetch instead.
pub(crate) struct TokenCache {
    margin: Duration,
    state: Mutex<State>,
    fetched: Condvar,
}

#[derive(Default)]
struct State {
    /// The token and when to stop reusing it.
    token: Option<(AccessToken, Instant)>,
    /// Whether a caller is fetching now.
    fetching: bool,
    /// How many fetches have finished, so that a waiter knows when its one has.
    finished: u64,
    /// The error of the last finished fetch, if it failed.
    last_error: Option<AuthError>,
}

impl TokenCache {
    pub(crate) fn new(margin: Duration) -> Self {
        TokenCache {
            margin,
            state: Mutex::new(State::default()),
            fetched: Condvar::new(),
        }
    }

    pub(crate) fn margin(&self) -> Duration {
        self.margin
    }

    /// Nothing runs while the lock is held that could panic, but a poisoned
    /// lock still holds a consistent state.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached token if it is fresh; otherwise the outcome of `fetch`, run
    /// by this caller or by another that was already at it.
    pub(crate) fn get(
        &self,
        fetch: impl FnOnce() -> Result<Fetched, AuthError>,
    ) -> Result<AccessToken, AuthError> {
        let mut state = self.lock();
        let mut waited_for = None;
        loop {
            if let Some((token, stale_at)) = &state.token
                && Instant::now() < *stale_at
            {
                return Ok(token.clone());
            }
            if let Some(seen) = waited_for
                && state.finished != seen
            {
                // The fetch this caller waited for is done: share its outcome
                // even if the new token is already within the margin.
                if let Some(error) = &state.last_error {
                    return Err(error.clone());
                }
                if let Some((token, _)) = &state.token {
                    return Ok(token.clone());
                }
            }
            if !state.fetching {
                break;
            }
            waited_for.get_or_insert(state.finished);
            state = self
                .fetched
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.fetching = true;
        drop(state);

        let flight = Flight {
            cache: self,
            landed: false,
        };
        let outcome = fetch();
        flight.land(outcome)
    }

    /// Drops `token` if it is the one cached, so that the next caller
    /// fetches a new one; a token that another caller already replaced is
    /// left alone.
    pub(crate) fn forget(&self, token: &AccessToken) {
        let mut state = self.lock();
        if state
            .token
            .as_ref()
            .is_some_and(|(cached, _)| cached == token)
        {
            state.token = None;
        }
    }

    /// When a token fetched now with this lifetime turns stale.
    fn stale_at(&self, now: Instant, expires_in: Option<Duration>) -> Instant {
        let reuse = match expires_in {
            Some(lifetime) => lifetime.min(MAX_LIFETIME).saturating_sub(self.margin),
            None => UNKNOWN_LIFETIME_REUSE,
        };
        now.checked_add(reuse).unwrap_or(now)
    }
}

/// A fetch under way. Dropped without landing (the fetch panicked), it lets
/// the waiters go on so that one of them fetches.
struct Flight<'a> {
    cache: &'a TokenCache,
    landed: bool,
}

impl Flight<'_> {
    fn land(mut self, outcome: Result<Fetched, AuthError>) -> Result<AccessToken, AuthError> {
        self.landed = true;
        let cache = self.cache;
        let mut state = cache.lock();
        state.fetching = false;
        state.finished = state.finished.wrapping_add(1);
        // One check for every provider: a token that cannot go in a header
        // would fail every call for its whole life, so it is not kept.
        let outcome = outcome.and_then(|fetched| match fetched.token.check_header_safe() {
            Ok(()) => Ok(fetched),
            Err(problem) => Err(AuthError::UnusableToken {
                problem: problem.to_string(),
            }),
        });
        let result = match outcome {
            Ok(fetched) => {
                let stale_at = cache.stale_at(Instant::now(), fetched.expires_in);
                state.token = Some((fetched.token.clone(), stale_at));
                state.last_error = None;
                Ok(fetched.token)
            }
            Err(error) => {
                state.last_error = Some(error.clone());
                Err(error)
            }
        };
        drop(state);
        cache.fetched.notify_all();
        result
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        if !self.landed {
            self.cache.lock().fetching = false;
            self.cache.fetched.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;

    fn fetched(token: &str, expires_in: Option<Duration>) -> Result<Fetched, AuthError> {
        Ok(Fetched {
            token: AccessToken::new(token),
            expires_in,
        })
    }

    const HOUR: Option<Duration> = Some(Duration::from_secs(3600));

    #[test]
    fn a_fresh_token_is_reused() {
        let cache = TokenCache::new(DEFAULT_REFRESH_MARGIN);
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            let token = cache
                .get(|| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    fetched("a", HOUR)
                })
                .unwrap();
            assert_eq!(token.secret(), "a");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_token_within_the_margin_is_replaced() {
        let cache = TokenCache::new(Duration::from_secs(300));
        cache
            .get(|| fetched("short", Some(Duration::from_secs(299))))
            .unwrap();
        let token = cache.get(|| fetched("next", HOUR)).unwrap();
        assert_eq!(token.secret(), "next");
        let token = cache.get(|| fetched("unused", HOUR)).unwrap();
        assert_eq!(token.secret(), "next");
    }

    #[test]
    fn lifetimes_decide_when_tokens_turn_stale() {
        let cache = TokenCache::new(Duration::from_secs(300));
        let now = Instant::now();
        assert_eq!(cache.stale_at(now, HOUR), now + Duration::from_secs(3300));
        assert_eq!(cache.stale_at(now, Some(Duration::from_secs(10))), now);
        assert_eq!(cache.stale_at(now, None), now + UNKNOWN_LIFETIME_REUSE);
        assert_eq!(
            cache.stale_at(now, Some(Duration::MAX)),
            now + MAX_LIFETIME - Duration::from_secs(300)
        );
    }

    /// Has `threads` threads ask an empty cache at the same moment, each
    /// with a slow `fetch`; returns their outcomes and how many fetches ran.
    fn race(
        cache: &Arc<TokenCache>,
        threads: usize,
        fetch: fn() -> Result<Fetched, AuthError>,
    ) -> (Vec<Result<AccessToken, AuthError>>, usize) {
        let calls = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (cache, calls, start) = (cache.clone(), calls.clone(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    cache.get(|| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        thread::sleep(Duration::from_millis(200));
                        fetch()
                    })
                })
            })
            .collect();
        let outcomes = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (outcomes, calls.load(Ordering::SeqCst))
    }

    #[test]
    fn many_threads_share_one_fetch() {
        let cache = Arc::new(TokenCache::new(DEFAULT_REFRESH_MARGIN));
        let (outcomes, calls) = race(&cache, 8, || fetched("shared", HOUR));
        for outcome in outcomes {
            assert_eq!(outcome.unwrap().secret(), "shared");
        }
        assert_eq!(calls, 1);
    }

    #[test]
    fn waiters_get_the_error_of_the_fetch_they_waited_for() {
        let cache = Arc::new(TokenCache::new(DEFAULT_REFRESH_MARGIN));
        let (outcomes, calls) = race(&cache, 4, || Err(AuthError::invalid_config("broken")));
        for outcome in outcomes {
            let error = outcome.unwrap_err();
            assert!(error.to_string().contains("broken"), "{error}");
        }
        assert_eq!(calls, 1);
        // The next caller tries again.
        assert_eq!(
            cache.get(|| fetched("later", HOUR)).unwrap().secret(),
            "later"
        );
    }

    #[test]
    fn an_unusable_token_is_an_error_and_is_not_kept() {
        let cache = TokenCache::new(DEFAULT_REFRESH_MARGIN);
        for bad in ["", "line\r\nX-Injected: 1", "tab\tbed"] {
            let error = cache.get(|| fetched(bad, HOUR)).unwrap_err();
            assert!(matches!(error, AuthError::UnusableToken { .. }), "{error}");
            assert!(
                bad.is_empty() || !error.to_string().contains(bad),
                "{error}"
            );
        }
        assert_eq!(
            cache.get(|| fetched("good", HOUR)).unwrap().secret(),
            "good"
        );
    }

    #[test]
    fn a_refused_token_is_forgotten_only_while_it_is_cached() {
        let cache = TokenCache::new(DEFAULT_REFRESH_MARGIN);
        let first = cache.get(|| fetched("first", HOUR)).unwrap();
        cache.forget(&first);
        let second = cache.get(|| fetched("second", HOUR)).unwrap();
        assert_eq!(second.secret(), "second");
        // A late refusal of the first token leaves its successor alone.
        cache.forget(&first);
        assert_eq!(
            cache.get(|| fetched("unused", HOUR)).unwrap().secret(),
            "second"
        );
    }

    #[test]
    fn a_panicking_fetch_leaves_the_cache_usable() {
        let cache = TokenCache::new(DEFAULT_REFRESH_MARGIN);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cache.get(|| panic!("provider bug"))
        }));
        assert!(panicked.is_err());
        assert_eq!(cache.get(|| fetched("ok", HOUR)).unwrap().secret(), "ok");
    }
}
