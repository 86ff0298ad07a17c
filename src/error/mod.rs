//! The crate's error type, [`Error`], and the details it
//! carries: the identity of the call ([`CallInfo`]), the service's refusal
//! ([`ServiceError`]), what failed below HTTP ([`TransportErrorKind`]), a
//! refused ID ([`InvalidId`]), and the boxed source errors of token
//! providers and stores ([`BoxError`]).
//!
//! `Error` is also at the crate root. The errors of token providers
//! ([`auth::AuthError`](crate::auth::AuthError)) live in
//! [`auth`](crate::auth), and those of the journal
//! ([`journal::JournalError`](crate::journal::JournalError)) in
//! [`journal`](crate::journal). The fault body the service sends is a
//! model type: [`model::ApiFault`](crate::model::ApiFault).

mod call;
pub(crate) mod kind;
mod service;

use std::time::Duration;

use uuid::Uuid;

pub use self::call::CallInfo;
use self::call::doubt_note;
pub(crate) use self::kind::InvalidConfig;
pub use self::kind::{BoxError, TransportErrorKind};
pub use self::service::ServiceError;
pub(crate) use crate::auth::error::{AuthError, EntraError};
pub use crate::ids::InvalidId;
pub(crate) use crate::journal::error::JournalError;
use crate::model::{ApiFault, TermNotOffered};
use crate::text::Escaped;

/// What an error whose success answer could not be read says first when
/// its call was a checkout: the purchase was made.
fn went_through(status: u16, call: &CallInfo) -> &'static str {
    if call.checkout && (200..300).contains(&status) {
        "the checkout went through (checking out the same cart again replays its result), but "
    } else {
        ""
    }
}

/// Everything that can go wrong in a call.
///
/// Every error raised after a call has started carries its [`CallInfo`]: the
/// request ID to repeat the call with (see
/// [`CreateCartOptions::request_id`](crate::CreateCartOptions::request_id)),
/// and the correlation ID to quote to support.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An ID was refused before any network traffic.
    #[error("invalid {kind} {value:?}: {reason}")]
    InvalidId {
        /// Which ID, such as `"cart ID"`.
        kind: &'static str,
        /// The value given, shortened when long.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// The client or a request could not be set up as asked.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// A cart has line items in error, so it was not checked out; nothing
    /// was sent. Fix or remove the items with
    /// [`Client::update_cart`](crate::Client::update_cart).
    #[error("{}", cart_errors_message(.errors))]
    CartHasErrors {
        /// The cart's ID.
        cart_id: Option<crate::ids::CartId>,
        /// Each line item in error, with its error.
        errors: Vec<crate::model::LineItemError>,
    },

    /// Orders were still pending when the wait's deadline passed. The orders
    /// that finished are in `orders` with the rest, as last seen. The
    /// message names each pending order's status, one this crate does not
    /// know (such as `none`) included.
    #[error("{} of {} order{} still pending after {}s: {}", .pending.len(), .orders.len(), if .orders.len() == 1 { "" } else { "s" }, .waited.as_secs(), crate::model::describe_pending(.pending, .orders))]
    WaitTimedOut {
        /// The orders still pending.
        pending: Vec<crate::ids::OrderId>,
        /// Every order waited for, as last seen.
        orders: Vec<crate::model::Order>,
        /// How long the wait lasted.
        waited: Duration,
    },

    /// Partner Center answered a read of one order with another order. The
    /// reply is not used: taking it for the order asked for would lose that
    /// order.
    #[error("asked for order {asked} but Partner Center answered with order {answered} ({call})")]
    OrderMismatch {
        /// The order asked for.
        asked: crate::ids::OrderId,
        /// The order the reply was about.
        answered: crate::ids::OrderId,
        /// The call.
        call: CallInfo,
    },

    /// An availability is not sold on the term and billing cycle asked for
    /// (see [`Availability::line_item`](crate::model::Availability::line_item));
    /// nothing was sent.
    #[error("catalog item {} is not offered as {requested}; it is offered as {}", Escaped(.catalog_item_id), crate::model::join_terms(.offered))]
    TermNotOffered {
        /// The catalog item.
        catalog_item_id: String,
        /// The term and billing cycle asked for.
        requested: crate::model::OfferedTerm,
        /// Those the availability offers.
        offered: Vec<crate::model::OfferedTerm>,
    },

    /// A SKU has no availability that can be bought in the segment asked
    /// for (see [`Client::availability_to_buy`](crate::Client::availability_to_buy)).
    #[error(
        "product {} SKU {} has no purchasable availability for the {segment} segment",
        Escaped(.product_id),
        Escaped(.sku_id)
    )]
    NoPurchasableAvailability {
        /// The product.
        product_id: String,
        /// The SKU.
        sku_id: String,
        /// The segment.
        segment: crate::model::Segment,
    },

    /// A list's next-page link was not followed: it leads away from the
    /// base URL, repeats a page already read, or goes past the page limit.
    /// The items read so far are dropped; the call's ID is that of the page
    /// that carried the link.
    #[error("refused to follow the next-page link {uri:?}: {reason} ({call})")]
    BadNextLink {
        /// The link's `uri`, as sent (shortened when long).
        uri: String,
        /// Why it was refused.
        reason: &'static str,
        /// The call that returned the link.
        call: CallInfo,
    },

    /// The token provider failed, so the attempt was not sent. When it
    /// failed before the first attempt, nothing reached Partner Center.
    #[error("{}", token_failure_message(.call))]
    Token {
        /// The call that needed the token.
        call: CallInfo,
        /// The provider's error.
        #[source]
        source: BoxError,
    },

    /// A token provider could not be set up or could not give a token
    /// outside a call, as when [`auth::from_env`](crate::auth::from_env)
    /// finds no credentials; nothing was sent to Partner Center. This is how
    /// `?` turns an [`AuthError`] into an `Error`.
    #[error(transparent)]
    Auth(#[from] crate::error::AuthError),

    /// A purchase [`Journal`](crate::journal::Journal) refused a purchase or could
    /// not record a step; when a record could not be stored, the call it
    /// guarded was not sent. A call of a purchase that fails gives that
    /// call's own error instead.
    #[error(transparent)]
    Journal(#[from] crate::error::JournalError),

    /// The request did not get a complete HTTP response.
    #[error("request to Partner Center failed: {kind}{} ({call})", after_status(*.status))]
    Transport {
        /// What kind of failure it was.
        kind: TransportErrorKind,
        /// The status of the response, if its headers had already arrived.
        status: Option<u16>,
        /// The call.
        call: CallInfo,
        /// The HTTP stack's error.
        #[source]
        source: BoxError,
    },

    /// Partner Center answered with a status that is not a success, or with
    /// a fault in place of the resource under a success status (the
    /// documented code 400072 comes with HTTP 200).
    #[error(transparent)]
    Service(Box<ServiceError>),

    /// Partner Center asked for a wait longer than
    /// [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after),
    /// so the call ended at once instead of blocking.
    #[error("Partner Center asked to retry after {}s, longer than the retry policy's {}s cap: {error}", .retry_after.as_secs(), .cap.as_secs())]
    RetryAfterTooLong {
        /// The wait the service asked for.
        retry_after: Duration,
        /// The policy's cap.
        cap: Duration,
        /// The response that asked for it.
        error: Box<ServiceError>,
    },

    /// The response body was larger than the client's cap; it was not read.
    ///
    /// After a checkout's success status the checkout went through:
    /// [`should_repeat`](Error::should_repeat) is true, and checking out the
    /// same cart again returns its result.
    #[error(
        "{}the HTTP {status} response is larger than the {limit}-byte cap; raise it with ClientBuilder::max_response_bytes ({call})",
        went_through(*.status, call)
    )]
    ResponseTooLarge {
        /// The response's status.
        status: u16,
        /// The cap, in bytes.
        limit: u64,
        /// The call.
        call: CallInfo,
    },

    /// The response body was within the byte cap, but decoded it could take
    /// more memory than the client allows: 32 times
    /// [`max_response_bytes`](crate::ClientBuilder::max_response_bytes),
    /// counted from its bytes before decoding (a body of many empty
    /// objects, say). It was not decoded. After a checkout's success status
    /// the checkout went through, as for
    /// [`ResponseTooLarge`](Error::ResponseTooLarge).
    #[error(
        "{}the HTTP {status} response could take more than {limit} bytes of memory decoded, over the client's limit of {} times the response cap; raise the cap with ClientBuilder::max_response_bytes ({call})",
        went_through(*.status, call),
        crate::footprint::MEMORY_MULTIPLE
    )]
    ResponseTooDense {
        /// The response's status.
        status: u16,
        /// The memory limit, in bytes.
        limit: u64,
        /// The call.
        call: CallInfo,
    },

    /// A list's pages together went past the list's byte budget, or could
    /// take more than 32 times that much memory decoded. The items read so
    /// far are dropped; the call's ID is that of the page that went past it.
    #[error("the list is larger than its {limit}-byte budget after {pages} page{}; raise it with ClientBuilder::max_list_bytes ({call})", if *.pages == 1 { "" } else { "s" })]
    ListTooLarge {
        /// The budget, in bytes.
        limit: u64,
        /// The pages read, the one that went past the budget included.
        pages: usize,
        /// The call that read the last page.
        call: CallInfo,
    },

    /// A list was not read whole within the list timeout: no page or retry
    /// starts after it, and none runs past it. The items read so far are
    /// dropped. Reading a list changes nothing, so it is safe to call again.
    /// The call's ID is that of the page under way.
    #[error("the list was not read within the {}s list timeout ({pages} page{} read); raise it with ClientBuilder::list_timeout: {error}", .timeout.as_secs(), if *.pages == 1 { "" } else { "s" })]
    ListTimedOut {
        /// The list timeout.
        timeout: Duration,
        /// The pages read whole before the timeout.
        pages: usize,
        /// The page's last error, or a timeout if no attempt could start.
        error: Box<Error>,
    },

    /// A response body could not be decoded. After a success status the call
    /// may have taken effect: repeat it with the same request ID to get its
    /// result again.
    #[error("could not decode the HTTP {status} response body ({call})")]
    Decode {
        /// The response's status.
        status: u16,
        /// The call.
        call: CallInfo,
        /// The decoder's error.
        #[source]
        source: BoxError,
    },
}

fn cart_errors_message(errors: &[crate::model::LineItemError]) -> String {
    let mut text = format!(
        "the cart has {} line item{} in error",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for (i, error) in errors.iter().enumerate() {
        text.push_str(if i == 0 { ": " } else { "; " });
        text.push_str(&error.to_string());
    }
    text
}

fn token_failure_message(call: &CallInfo) -> String {
    let ids = format!(
        "request ID {}, correlation ID {}{}",
        call.request_id,
        call.correlation_id,
        doubt_note(call)
    );
    match call.attempts {
        0 | 1 => {
            format!("the token provider failed, so nothing was sent to Partner Center ({ids})")
        }
        2 => format!(
            "the token provider failed before attempt 2, so only the first attempt reached Partner Center ({ids})"
        ),
        n => format!(
            "the token provider failed before attempt {n}, so only the first {} attempts reached Partner Center ({ids})",
            n - 1
        ),
    }
}

fn after_status(status: Option<u16>) -> String {
    match status {
        Some(status) => format!(" after an HTTP {status} status"),
        None => String::new(),
    }
}

impl From<InvalidConfig> for Error {
    fn from(error: InvalidConfig) -> Self {
        Error::InvalidConfig(error.0)
    }
}

impl From<InvalidId> for Error {
    fn from(error: InvalidId) -> Self {
        let InvalidId {
            kind,
            value,
            reason,
        } = error;
        Error::InvalidId {
            kind,
            value,
            reason,
        }
    }
}

impl From<TermNotOffered> for Error {
    fn from(error: TermNotOffered) -> Self {
        let TermNotOffered {
            catalog_item_id,
            requested,
            offered,
        } = error;
        Error::TermNotOffered {
            catalog_item_id,
            requested,
            offered,
        }
    }
}

impl Error {
    /// The call's identity, if the call got as far as starting.
    pub fn call(&self) -> Option<&CallInfo> {
        match self {
            Error::Token { call, .. }
            | Error::Transport { call, .. }
            | Error::ResponseTooLarge { call, .. }
            | Error::ResponseTooDense { call, .. }
            | Error::ListTooLarge { call, .. }
            | Error::Decode { call, .. }
            | Error::OrderMismatch { call, .. } => Some(call),
            Error::BadNextLink { call, .. } => Some(call),
            Error::ListTimedOut { error, .. } => error.call(),
            Error::Service(error) | Error::RetryAfterTooLong { error, .. } => Some(&error.call),
            Error::InvalidId { .. }
            | Error::InvalidConfig(_)
            | Error::Auth(_)
            | Error::Journal(_)
            | Error::CartHasErrors { .. }
            | Error::TermNotOffered { .. }
            | Error::NoPurchasableAvailability { .. }
            | Error::WaitTimedOut { .. } => None,
        }
    }

    /// The `MS-RequestId` to repeat the call with: the one under which the
    /// service may have acted. Once an attempt's outcome was unknown, or the
    /// service answered that the request is in progress (409 with 800060 or
    /// 800064), it is that attempt's, which every later attempt kept; a
    /// request ID the caller chose is never replaced; otherwise it is the
    /// last attempt's.
    /// Pass it to
    /// [`CreateCartOptions::request_id`](crate::CreateCartOptions::request_id)
    /// to repeat a create whose outcome is unknown without making a second
    /// cart, or to [`CheckoutOptions::request_id`](crate::CheckoutOptions::request_id)
    /// to repeat a checkout as the same request (a checkout is idempotent
    /// per cart ID anyway).
    pub fn request_id(&self) -> Option<Uuid> {
        self.call().map(CallInfo::request_id)
    }

    /// The `MS-CorrelationId` that was sent.
    pub fn correlation_id(&self) -> Option<Uuid> {
        self.call().map(CallInfo::correlation_id)
    }

    /// The HTTP status of the response, if one arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Service(error) | Error::RetryAfterTooLong { error, .. } => Some(error.status),
            Error::ResponseTooLarge { status, .. }
            | Error::ResponseTooDense { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            Error::Transport { status, .. } => *status,
            _ => None,
        }
    }

    /// The service's error, if the response carried a status that is not a
    /// success or a fault in a success's place.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(error) | Error::RetryAfterTooLong { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The service's error body, if it sent the documented fault.
    pub fn fault(&self) -> Option<&ApiFault> {
        self.service_error().and_then(ServiceError::fault)
    }

    /// The wait the service asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RetryAfterTooLong { retry_after, .. } => Some(*retry_after),
            Error::Service(error) => error.retry_after,
            _ => None,
        }
    }

    /// Marks the error as that of a checkout, whose unreadable success
    /// means the purchase was made.
    pub(crate) fn of_checkout(mut self) -> Error {
        if let Some(call) = self.call_mut() {
            call.checkout = true;
        }
        self
    }

    /// The call's identity, to mark what a later look at the call learnt.
    pub(crate) fn call_mut(&mut self) -> Option<&mut CallInfo> {
        match self {
            Error::Token { call, .. }
            | Error::Transport { call, .. }
            | Error::ResponseTooLarge { call, .. }
            | Error::ResponseTooDense { call, .. }
            | Error::ListTooLarge { call, .. }
            | Error::Decode { call, .. }
            | Error::OrderMismatch { call, .. }
            | Error::BadNextLink { call, .. } => Some(call),
            Error::ListTimedOut { error, .. } => error.call_mut(),
            Error::Service(error) | Error::RetryAfterTooLong { error, .. } => Some(&mut error.call),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FaultCode;

    fn call() -> CallInfo {
        CallInfo {
            request_id: Uuid::from_u128(1),
            correlation_id: Uuid::from_u128(2),
            attempts: 3,
            in_doubt: false,
            in_progress: false,
            checkout: false,
        }
    }

    fn service_error(status: u16, code: Option<i64>) -> ServiceError {
        ServiceError {
            status,
            reason: None,
            fault: code.map(|code| ApiFault {
                code: Some(FaultCode::Number(code)),
                ..ApiFault::default()
            }),
            message: None,
            retry_after: None,
            correlation_vector: None,
            location: None,
            call: call(),
        }
    }

    #[test]
    fn errors_are_send_sync_and_static() {
        fn check<T: Send + Sync + 'static + std::error::Error>() {}
        check::<Error>();
        check::<ServiceError>();
    }

    #[test]
    fn service_error_display_names_status_code_description_and_ids() {
        let mut not_found = service_error(404, Some(3000));
        not_found.reason = Some("Not Found");
        if let Some(fault) = &mut not_found.fault {
            fault.description = Some("Partner Organization could not be found".into());
        }
        let error = Error::Service(Box::new(not_found));
        let text = error.to_string();
        assert!(text.contains("HTTP 404 Not Found"), "{text}");
        assert!(text.contains("error 3000"), "{text}");
        assert!(
            text.contains("Partner Organization could not be found"),
            "{text}"
        );
        assert!(text.contains(&Uuid::from_u128(1).to_string()), "{text}");
        assert_eq!(error.status(), Some(404));
        assert_eq!(error.request_id(), Some(Uuid::from_u128(1)));
        assert_eq!(error.correlation_id(), Some(Uuid::from_u128(2)));
        assert!(!error.is_retryable());
    }

    fn service(status: u16, code: Option<i64>) -> Error {
        Error::Service(Box::new(service_error(status, code)))
    }

    fn transport(kind: TransportErrorKind, status: Option<u16>) -> Error {
        Error::Transport {
            kind,
            status,
            call: call(),
            source: "broken".into(),
        }
    }

    #[test]
    fn should_repeat_covers_the_retryable_and_the_lost_answers() {
        let repeat = [
            service(503, None),
            service(429, None),
            service(409, Some(800_064)),
            transport(TransportErrorKind::Timeout, None),
            transport(TransportErrorKind::Connect, None),
            // Headers of a success arrived, then the body broke or timed out.
            transport(TransportErrorKind::Timeout, Some(201)),
            transport(TransportErrorKind::Io, Some(200)),
            Error::Decode {
                status: 201,
                call: call(),
                source: "EOF while parsing".into(),
            },
        ];
        for error in &repeat {
            assert!(error.should_repeat(), "{error:?}");
        }
        let final_errors = [
            service(404, Some(800_008)),
            service(400, Some(800_002)),
            service(403, None),
            service(409, Some(800_065)),
            service(200, Some(400_072)),
            transport(TransportErrorKind::Tls, None),
            Error::InvalidConfig("bad".into()),
            Error::InvalidId {
                kind: "cart ID",
                value: "x".into(),
                reason: "not a GUID",
            },
            Error::ResponseTooLarge {
                status: 201,
                limit: 1,
                call: call(),
            },
            Error::Token {
                call: call(),
                source: "no token".into(),
            },
            Error::Auth(crate::error::AuthError::InvalidConfig("unset".into())),
        ];
        for error in &final_errors {
            assert!(!error.should_repeat(), "{error:?}");
        }
        // The lost answers are exactly what the client itself does not retry.
        assert!(repeat[5..].iter().all(|error| !error.is_retryable()));
    }

    #[test]
    fn an_earlier_attempt_in_doubt_makes_any_failure_worth_repeating() {
        let doubtful = CallInfo {
            in_doubt: true,
            ..call()
        };
        let mut refused = service_error(400, Some(800_002));
        refused.call = doubtful;
        let failures = [
            Error::Service(Box::new(refused)),
            Error::Token {
                call: doubtful,
                source: "no token".into(),
            },
            Error::ResponseTooLarge {
                status: 201,
                limit: 1,
                call: doubtful,
            },
        ];
        for error in &failures {
            assert!(error.should_repeat(), "{error:?}");
            let text = error.to_string();
            assert!(text.contains("an earlier attempt may have acted"), "{text}");
            assert!(text.contains(&Uuid::from_u128(1).to_string()), "{text}");
        }
        assert!(!failures[0].is_retryable());
    }

    #[test]
    fn a_request_in_progress_makes_any_later_failure_worth_repeating() {
        let in_progress = CallInfo {
            in_progress: true,
            ..call()
        };
        assert!(in_progress.request_in_progress());
        assert!(!call().request_in_progress());
        let failures =
            [(429, None), (401, Some(800_001)), (400, Some(800_002))].map(|(status, code)| {
                let mut error = service_error(status, code);
                error.call = in_progress;
                Error::Service(Box::new(error))
            });
        for error in &failures {
            assert!(error.should_repeat(), "{error:?}");
            let text = error.to_string();
            assert!(text.contains("an order may still be made"), "{text}");
            assert!(
                text.contains("checking out the same cart again later"),
                "{text}"
            );
            assert!(text.contains(&Uuid::from_u128(1).to_string()), "{text}");
            assert!(!text.contains("earlier attempt may have acted"), "{text}");
        }
        // Without the mark, the same refusals are final.
        assert!(!service(400, Some(800_002)).should_repeat());
        assert!(!service(401, Some(800_001)).should_repeat());
    }

    #[test]
    fn a_token_failure_says_what_reached_partner_center() {
        let token_error = |attempts| Error::Token {
            call: CallInfo { attempts, ..call() },
            source: "az is not logged in".into(),
        };
        let first = token_error(1).to_string();
        assert!(
            first.contains("nothing was sent to Partner Center"),
            "{first}"
        );
        assert!(first.contains(&Uuid::from_u128(1).to_string()), "{first}");
        assert!(!first.contains("attempt"), "{first}");
        let second = token_error(2).to_string();
        assert!(
            second.contains("only the first attempt reached"),
            "{second}"
        );
        let fourth = token_error(4).to_string();
        assert!(
            fourth.contains("only the first 3 attempts reached"),
            "{fourth}"
        );
    }

    #[test]
    fn an_auth_error_converts_for_one_question_mark() {
        fn setup() -> Result<(), Error> {
            Err(crate::error::AuthError::InvalidConfig(
                "set PARTNER_CENTER_TOKEN".into(),
            ))?;
            Ok(())
        }
        let error = setup().unwrap_err();
        assert!(matches!(error, Error::Auth(_)));
        assert_eq!(
            error.to_string(),
            "invalid token provider configuration: set PARTNER_CENTER_TOKEN"
        );
        assert_eq!(error.request_id(), None);
    }

    #[test]
    fn transport_error_keeps_its_source() {
        let error = Error::Transport {
            kind: TransportErrorKind::Timeout,
            status: None,
            call: call(),
            source: "deadline".into(),
        };
        assert!(error.is_retryable());
        assert_eq!(
            std::error::Error::source(&error).map(ToString::to_string),
            Some("deadline".to_owned())
        );
        assert_eq!(
            error.to_string(),
            "request to Partner Center failed: timed out (request ID 00000000-0000-0000-0000-000000000001, \
             correlation ID 00000000-0000-0000-0000-000000000002, 3 attempts)"
        );
    }

    /// Control characters, a line separator and bidirectional marks: what
    /// a hostile server would send to forge a log line or reorder a screen.
    const HOSTILE: &str = "a\r\nINFO paid\u{1b}[2K\u{2028}b\u{202e}c\u{200f}\u{2066}\u{85}";

    /// Checks that `shown` holds the hostile text only escaped: no character
    /// of it that could act on a terminal or a log is left.
    #[track_caller]
    fn assert_escaped(shown: &str) {
        assert!(!shown.contains(crate::text::is_unsafe), "{shown:?}");
        assert!(
            shown.contains(&crate::text::Escaped(HOSTILE).to_string()),
            "{shown:?}"
        );
    }

    #[test]
    fn every_error_shows_server_text_escaped() {
        use serde_json::json;

        use crate::model::{Availability, BillingCycle, Segment};

        // Every field of a term refusal comes from the catalog.
        let availability: Availability = serde_json::from_value(json!({
            "id": "1",
            "catalogItemId": HOSTILE,
            "terms": [{"duration": HOSTILE, "billingCycle": HOSTILE}],
        }))
        .unwrap();
        let refusal = availability
            .line_item(1, "P1Y", BillingCycle::Monthly)
            .map_err(Error::from)
            .unwrap_err();
        assert!(
            matches!(refusal, Error::TermNotOffered { .. }),
            "{refusal:?}"
        );
        let shown = refusal.to_string();
        assert_escaped(&shown);
        assert_eq!(
            shown.matches(&Escaped(HOSTILE).to_string()).count(),
            3,
            "{shown}"
        );

        let none = Error::NoPurchasableAvailability {
            product_id: HOSTILE.into(),
            sku_id: HOSTILE.into(),
            segment: Segment::from_wire(HOSTILE),
        };
        let shown = none.to_string();
        assert_escaped(&shown);
        assert_eq!(
            shown.matches(&Escaped(HOSTILE).to_string()).count(),
            3,
            "{shown}"
        );

        let mut fault = service_error(400, None);
        fault.fault = Some(ApiFault {
            code: Some(FaultCode::Text(HOSTILE.into())),
            description: Some(HOSTILE.into()),
            ..ApiFault::default()
        });
        assert_escaped(&Error::Service(Box::new(fault)).to_string());

        let item: crate::model::LineItemError = serde_json::from_value(json!({
            "lineItemId": 0,
            "catalogItemId": HOSTILE,
            "error": {"errorCode": HOSTILE, "errorDescription": HOSTILE},
        }))
        .unwrap();
        let shown = Error::CartHasErrors {
            cart_id: None,
            errors: vec![item],
        }
        .to_string();
        assert_escaped(&shown);
        assert_eq!(
            shown.matches(&Escaped(HOSTILE).to_string()).count(),
            3,
            "{shown}"
        );

        let order: crate::model::Order =
            serde_json::from_value(json!({"id": HOSTILE, "status": HOSTILE})).unwrap();
        let shown = Error::WaitTimedOut {
            pending: vec![order.id.clone()],
            orders: vec![order],
            waited: Duration::from_secs(1),
        }
        .to_string();
        assert_escaped(&shown);
        assert_eq!(
            shown.matches(&Escaped(HOSTILE).to_string()).count(),
            2,
            "{shown}"
        );
    }
}
