//! The kinds of failure below the error type: what failed below HTTP, a
//! setting that cannot be used, and the verdict on a failed attempt that the
//! send loop, the token endpoint and [`Error`](crate::Error) share.

use std::fmt;

/// A setting that cannot be used, in words that say which and why; `?`
/// turns it into [`Error::InvalidConfig`](crate::Error::InvalidConfig).
/// The HTTP layer's checks give it, below the error type that carries it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub(crate) struct InvalidConfig(pub(crate) String);

/// A boxed error from a token provider or another source beyond this crate.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The host could not be resolved or the connection was refused or reset
    /// before the request was sent.
    Connect,
    /// A connect or response timeout ran out.
    Timeout,
    /// The connection could not be made (a failed name lookup lands here)
    /// or broke while the request or response was in flight.
    Io,
    /// TLS could not be set up.
    Tls,
    /// Anything else the HTTP stack reported.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Io => "the connection failed",
            TransportErrorKind::Tls => "TLS failed",
            TransportErrorKind::Other => "HTTP error",
        })
    }
}

/// Service codes that come with 409 and mean "a request is still being
/// worked on": 800060 (your order is in progress; look in the order history
/// in a few minutes) and 800064 (the cart is being processed by another
/// request). The service may still act on it.
const IN_PROGRESS_CODES: [i64; 2] = [800_060, 800_064];

/// What a failed attempt says about the next one: whether there is one, and
/// whether it keeps the `MS-RequestId`.
///
/// This is the one place that decides what is retryable, for the Partner
/// Center send path, [`Error::is_retryable`](crate::Error::is_retryable) and the token endpoint; what a
/// caller may repeat after the client gave up ([`Error::should_repeat`](crate::Error::should_repeat))
/// builds on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Verdict {
    /// Final: trying again would fail alike, or could do harm.
    Final,
    /// The outcome is unknown (no answer, a timeout, 408, a 5xx): the
    /// service may have acted, so the next attempt sends the same request
    /// ID, by which the service recognises the repeat, and so does every
    /// later attempt of the call: the call is in doubt.
    SameRequest,
    /// The service answered that it took nothing (429): the next attempt is
    /// a new request with a new request ID, as the headers page asks ("reset
    /// upon receiving a response"), unless the call is in doubt or in
    /// progress, or the caller chose its ID.
    NewRequest,
    /// The service answered that a request is still being worked on (409
    /// with 800060 or 800064): it may yet act, so the call waits, keeps its
    /// request ID for every later attempt, and is worth repeating whatever
    /// later attempts answer.
    InProgress,
}

impl Verdict {
    /// Whether the failure may be retried at all.
    pub(crate) fn is_retryable(self) -> bool {
        self != Verdict::Final
    }
}

/// The verdict on a response whose status is not a success. `code` is the
/// service's error code, which decides for 409.
pub(crate) fn classify_status(status: u16, code: Option<i64>) -> Verdict {
    match status {
        408 | 500 | 502 | 503 | 504 => Verdict::SameRequest,
        429 => Verdict::NewRequest,
        409 if code.is_some_and(|code| IN_PROGRESS_CODES.contains(&code)) => Verdict::InProgress,
        _ => Verdict::Final,
    }
}

/// The verdict on a failure before any response.
pub(crate) fn classify_transport(kind: TransportErrorKind) -> Verdict {
    match kind {
        TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io => {
            Verdict::SameRequest
        }
        TransportErrorKind::Tls | TransportErrorKind::Other => Verdict::Final,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MFA_REQUIRED;

    #[test]
    fn statuses_follow_the_documented_rules() {
        for status in [408, 500, 502, 503, 504] {
            assert_eq!(
                classify_status(status, None),
                Verdict::SameRequest,
                "{status}"
            );
        }
        assert_eq!(classify_status(429, None), Verdict::NewRequest);
        for status in [
            400, 401, 403, 404, 405, 406, 412, 415, 417, 501, 505, 200, 201, 302,
        ] {
            assert_eq!(classify_status(status, None), Verdict::Final, "{status}");
        }
        // In progress, not "took nothing": the service may still act.
        assert_eq!(classify_status(409, Some(800_060)), Verdict::InProgress);
        assert_eq!(classify_status(409, Some(800_064)), Verdict::InProgress);
        assert!(Verdict::InProgress.is_retryable());
        assert_eq!(classify_status(401, Some(MFA_REQUIRED)), Verdict::Final);
        assert_eq!(classify_status(409, Some(800_065)), Verdict::Final);
        assert_eq!(classify_status(409, None), Verdict::Final);
        assert_eq!(classify_status(200, Some(400_072)), Verdict::Final);
    }

    #[test]
    fn failures_before_an_answer_keep_the_request() {
        use TransportErrorKind::*;
        for kind in [Connect, Timeout, Io] {
            assert_eq!(classify_transport(kind), Verdict::SameRequest, "{kind}");
        }
        for kind in [Tls, Other] {
            assert!(!classify_transport(kind).is_retryable(), "{kind}");
        }
    }
}
