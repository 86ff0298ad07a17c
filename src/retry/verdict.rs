//! The verdict on a failed attempt, which the send loop, the token endpoint
//! and [`Error`](crate::Error) share: whether there is a next attempt, and
//! whether it keeps the `MS-RequestId`.

use crate::error::Error;
use crate::error::kind::TransportErrorKind;

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

/// # Retrying and repeating
impl Error {
    /// Whether the failure is of a kind the retry policy retries: connection
    /// failures and timeouts before a response, and the transient statuses
    /// (408, 429, 500, 502, 503, 504, and 409 with service code 800060 or
    /// 800064, "in progress"). When the client gives up on such an error, trying again
    /// later is safe: for a checkout, with the same cart (checkout is
    /// idempotent per cart ID); for a create, with
    /// [`request_id`](Self::request_id). It looks at the last attempt only;
    /// [`should_repeat`](Self::should_repeat) weighs every attempt.
    pub fn is_retryable(&self) -> bool {
        classify(self).is_retryable()
    }

    /// Whether repeating the same call with the same request ID (see
    /// [`request_id`](Self::request_id)) may succeed or recover its result:
    /// the decision a tool makes after the client gave up. The verdict on a
    /// call is the worst of its attempts.
    ///
    /// True whatever the last attempt returned (a failed token provider, a
    /// 401, another 4xx) when an earlier attempt's outcome was unknown: the
    /// service may have acted on it, and the message says so (see
    /// [`CallInfo::earlier_attempt_in_doubt`](crate::error::CallInfo::earlier_attempt_in_doubt)). True alike once the service
    /// answered that the request is in progress (409 with 800060 or 800064,
    /// see [`CallInfo::request_in_progress`](crate::error::CallInfo::request_in_progress)): an order may still be made;
    /// wait a few minutes, then repeat, or check out the same cart again,
    /// which returns it. True as well for everything
    /// [`is_retryable`](Self::is_retryable) covers (the client's own retries
    /// ran out, or the service asked for a wait longer than the policy
    /// allows), and for the calls that may have taken effect though their
    /// answer was lost: a success status whose body broke off or could not
    /// be decoded, and a timeout after the request was sent. A checkout that
    /// fails this way may have bought; repeating it with the same request ID
    /// (see [`Client::checkout_with`](crate::Client::checkout_with))
    /// returns its result without buying twice.
    ///
    /// Otherwise false for what repeating cannot change: 4xx statuses other
    /// than the retryable ones, invalid IDs or settings, a cart with errors,
    /// a body over the size cap, a failed token provider, and a wait that
    /// timed out (call [`wait_for_orders`](crate::Client::wait_for_orders)
    /// again for that).
    ///
    /// ```no_run
    /// use partner_center_cart::{CheckoutOptions, Client, Uuid};
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::from_env()?;
    /// let (customer, cart) = ("28045616-f6b9-462f-9701-0d89b5e65c44", "3655b1a0-b1c9-4268-9824-577fdbc4d0be");
    /// let options = CheckoutOptions::new().request_id(Uuid::new_v4());
    /// let result = match client.checkout_with(customer, cart, &options) {
    ///     Err(error) if error.should_repeat() => client.checkout_with(customer, cart, &options)?,
    ///     other => other?,
    /// };
    /// # let _ = result;
    /// # Ok(())
    /// # }
    /// ```
    pub fn should_repeat(&self) -> bool {
        should_repeat(self)
    }
}

/// The verdict on a failed Partner Center call.
pub(crate) fn classify(error: &Error) -> Verdict {
    match error {
        // A status that arrived before the body broke off was a success's
        // (error bodies are read as far as they go): the call took effect.
        Error::Transport { kind, status, .. } => match status {
            None => classify_transport(*kind),
            Some(_) => Verdict::Final,
        },
        Error::Service(error) | Error::RetryAfterTooLong { error, .. } => {
            classify_status(error.status, error.code_number())
        }
        _ => Verdict::Final,
    }
}

/// Whether a failed call may succeed, or give back its result, when it is
/// repeated with the same request ID. The verdict on a call is the worst of
/// its attempts: a call one of whose earlier attempts was in doubt, or was
/// answered in progress, is repeated whatever the last one returned. Otherwise, what `classify`
/// lets the policy retry, and the calls that took effect though their
/// answer was lost (a success status whose body broke off or could not be
/// decoded), which the policy itself must not retry blindly.
///
/// This decides [`Error::should_repeat`](crate::Error::should_repeat).
/// Everything else cannot change by repeating: other 4xx statuses, a fault
/// under a 2xx, invalid input, a body over the cap (the repeat would be
/// refused alike), a failed token provider (nothing was sent, and the
/// provider already retried).
fn should_repeat(error: &Error) -> bool {
    if error
        .call()
        .is_some_and(|call| call.in_doubt || call.in_progress)
    {
        return true;
    }
    match error {
        Error::Decode { status, .. }
        | Error::Transport {
            status: Some(status),
            ..
        } => (200..300).contains(status),
        // A checkout answered with success whose answer could not be read
        // was made: checking out the cart again replays it.
        Error::ResponseTooLarge { status, call, .. }
        | Error::ResponseTooDense { status, call, .. } => {
            call.checkout && (200..300).contains(status)
        }
        other => classify(other).is_retryable(),
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
