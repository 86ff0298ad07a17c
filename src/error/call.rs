//! [`CallInfo`]: the identity of one logical call.

use std::fmt;

use uuid::Uuid;

/// The identity of one logical call: what to quote to Microsoft support, and
/// the request ID to pass back to retry the call safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallInfo {
    pub(crate) request_id: Uuid,
    pub(crate) correlation_id: Uuid,
    pub(crate) attempts: u32,
    pub(crate) in_doubt: bool,
    pub(crate) in_progress: bool,
    /// Whether the call is a checkout, so that an unreadable success can
    /// say that the checkout went through.
    pub(crate) checkout: bool,
}

impl CallInfo {
    /// The `MS-RequestId` of the call's last attempt: the service's
    /// idempotency key, and the ID to repeat the call with.
    ///
    /// Once an attempt's outcome is unknown (no answer, a timeout, 408, a
    /// 5xx), every later attempt keeps that attempt's ID, whatever the
    /// service answers them, so this is the ID under which the service may
    /// have acted. Once the service answered that the request is in
    /// progress (409 with 800060 or 800064), every later attempt keeps the
    /// ID too, so this names the request in progress. A request ID the
    /// caller chose is sent on every attempt. Only a call none of whose
    /// attempts was in doubt or in progress moves to a new ID after the
    /// service answered that it took nothing (429).
    pub fn request_id(&self) -> Uuid {
        self.request_id
    }

    /// Whether an attempt before the last one, of a call that writes (a
    /// `POST` or `PUT`), had an unknown outcome, so that the service may
    /// have acted on the call whatever the last attempt was answered. A read
    /// acts on nothing and is never in doubt. Such a call is worth repeating with
    /// [`request_id`](Self::request_id) (see [`Error::should_repeat`](crate::Error::should_repeat)).
    pub fn earlier_attempt_in_doubt(&self) -> bool {
        self.in_doubt
    }

    /// Whether Partner Center answered an attempt of this call (of a `POST`
    /// or `PUT`), the last one included, that the request is still in
    /// progress: HTTP 409 with code 800060 ("your order is in progress") or
    /// 800064 ("the cart is being processed by another request"). The
    /// service may still act on it: an order may yet appear, and checking
    /// out the same cart again later returns it. Such a call is worth
    /// repeating with [`request_id`](Self::request_id), after a wait (see
    /// [`Error::should_repeat`](crate::Error::should_repeat)).
    pub fn request_in_progress(&self) -> bool {
        self.in_progress
    }

    /// The `MS-CorrelationId` sent with the call.
    pub fn correlation_id(&self) -> Uuid {
        self.correlation_id
    }

    /// How many attempts were made, the first included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for CallInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "request ID {}, correlation ID {}, {} attempt{}",
            self.request_id,
            self.correlation_id,
            self.attempts,
            if self.attempts == 1 { "" } else { "s" }
        )?;
        f.write_str(doubt_note(self))
    }
}

/// What an error adds when an attempt of its call may have acted.
pub(super) fn doubt_note(call: &CallInfo) -> &'static str {
    match (call.in_doubt, call.in_progress) {
        (true, true) => {
            "; an earlier attempt may have acted (its outcome is unknown), and Partner Center answered that the request is still in progress: an order may still be made; checking out the same cart again later, or repeating the call with this request ID after a few minutes, returns it"
        }
        (true, false) => {
            "; an earlier attempt may have acted (its outcome is unknown): repeat the call with this request ID"
        }
        (false, true) => {
            "; Partner Center answered that the request is still in progress: an order may still be made; checking out the same cart again later, or repeating the call with this request ID after a few minutes, returns it"
        }
        (false, false) => "",
    }
}
