//! The one place that sends requests: it adds the headers, retries by the
//! policy, caps what it reads and turns responses into results or errors.

use std::cell::Cell;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use ureq::http;
use uuid::Uuid;

use crate::dates::{parse_http_date, parse_retry_after};
use crate::error::kind::{BoxError, TransportErrorKind};
use crate::error::{CallInfo, Error, ServiceError};
use crate::footprint::{MEMORY_MULTIPLE, check_types, decoded_bound};
use crate::http::{CLIENT_NAME, ReadFailure, ReadResponse, exchange, header_str, transport_kind};
use crate::logging::LOG_TARGET;
use crate::model::{MFA_REQUIRED, from_body, parse_error_body};
use crate::retry::verdict::{Verdict, classify};
use crate::retry::{Bounds, Hint, Stop};
use crate::text::{SNIPPET_CHARS, snippet};
use crate::token::TokenProvider;
use fault_probe::{declares_fields, is_fault};

mod budget;
mod fault_probe;
mod paging;
mod settings;

use budget::Budget;
pub use budget::Throttling;
pub(crate) use settings::Settings;

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// One logical call: every attempt sends it as it is.
#[derive(Debug)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// The path below the base URL, starting with `/v1/`.
    pub(crate) path: String,
    /// A JSON body, or none (sent as `Content-Length: 0` on POST and PUT).
    pub(crate) body: Option<Vec<u8>>,
    /// The `MS-RequestId` of the first attempt.
    pub(crate) request_id: Uuid,
    /// Whether the caller chose the request ID: then every attempt sends it.
    pub(crate) keep_request_id: bool,
    /// Further headers, such as a next-page link's `MS-ContinuationToken`.
    pub(crate) headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

impl ApiRequest {
    pub(crate) fn new(method: Method, path: String, request_id: Uuid) -> Self {
        ApiRequest {
            method,
            path,
            body: None,
            request_id,
            keep_request_id: false,
            headers: Vec::new(),
        }
    }

    /// Marks the request ID as the caller's: every attempt sends it, even
    /// after an answer that the service took nothing.
    pub(crate) fn keep_request_id(mut self) -> Self {
        self.keep_request_id = true;
        self
    }

    /// Adds a header, refusing a name or value that cannot go in one.
    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Result<Self, Error> {
        let refused = || Error::InvalidConfig(format!("the {name} header cannot be sent"));
        let name = http::HeaderName::try_from(name).map_err(|_| refused())?;
        let value = http::HeaderValue::from_str(value).map_err(|_| refused())?;
        self.headers.push((name, value));
        Ok(self)
    }

    /// Adds a JSON body.
    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|error| {
            Error::InvalidConfig(format!(
                "the request body could not be written as JSON: {error}"
            ))
        })?;
        self.body = Some(bytes);
        Ok(self)
    }
}

/// A success response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) call: CallInfo,
    /// The most memory the decoded body may take, in bytes.
    pub(crate) memory_limit: u64,
}

impl Reply {
    /// Decodes the body. A failure keeps the call's IDs: the call itself
    /// went through, so it must not be retried blindly. A body that is a
    /// fault rather than a `T` (code 400072 comes with HTTP 200) is the
    /// service's error, as with any other status. A body that could take
    /// more than the memory limit decoded is refused before decoding.
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.decode_weighed(self.footprint::<T>())
    }

    /// An upper bound of the memory the body takes decoded as a `T`, in
    /// bytes: twice the body's bound when `T` may buffer the whole body in
    /// the decoder's tree first.
    pub(crate) fn footprint<T: DeserializeOwned>(&self) -> u64 {
        // Every type a `T` holds must fit what the bound charges for it.
        check_types::<T>();
        let bound = decoded_bound(&self.body);
        if declares_fields::<T>() {
            bound
        } else {
            bound.saturating_mul(2)
        }
    }

    /// [`decode`](Self::decode), for a body whose
    /// [`footprint`](Self::footprint) is known.
    pub(crate) fn decode_weighed<T: DeserializeOwned>(&self, footprint: u64) -> Result<T, Error> {
        self.check_footprint(footprint)?;
        if is_fault::<T>(&self.body) {
            return Err(Error::Service(Box::new(service_error(
                self.status,
                &self.headers,
                &self.body,
                self.call,
            ))));
        }
        from_body(&self.body).map_err(|source| self.undecodable(source))
    }

    /// Refuses a body whose footprint is over the memory limit.
    pub(crate) fn check_footprint(&self, footprint: u64) -> Result<(), Error> {
        if footprint > self.memory_limit {
            return Err(Error::ResponseTooDense {
                status: self.status,
                limit: self.memory_limit,
                call: self.call,
            });
        }
        Ok(())
    }

    /// The error for a body that is not the resource asked for. It keeps
    /// the call's IDs, so that the call can be repeated as the same request.
    pub(crate) fn undecodable(&self, source: impl Into<BoxError>) -> Error {
        Error::Decode {
            status: self.status,
            call: self.call,
            source: source.into(),
        }
    }
}

/// Partner Center's clock, as the `Date` header of a response told it.
///
/// Get it from [`Client::last_server_time`](crate::Client::last_server_time)
/// after any call, to see whether this machine's clock is off: a clock
/// minutes off makes fresh tokens look expired, or not yet valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTime {
    /// The response's `Date`: the server's clock, to the second.
    pub date: SystemTime,
    /// This machine's clock when the response arrived.
    pub received_at: SystemTime,
}

impl ServerTime {
    /// How far this machine's clock is ahead of the server's, in whole
    /// seconds; negative when it is behind. The `Date` header counts whole
    /// seconds and the response took a while to arrive, so a second or two
    /// either way means the clocks agree.
    pub fn skew_secs(&self) -> i64 {
        let secs = |at: SystemTime| match at.duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
        };
        secs(self.received_at).saturating_sub(secs(self.date))
    }
}

/// Sends requests for a client; shared by its clones.
pub(crate) struct Transport {
    agent: ureq::Agent,
    settings: Settings,
    tokens: Arc<dyn TokenProvider>,
    /// The `Date` of the latest response that had one.
    server_time: Mutex<Option<ServerTime>>,
    /// Every attempt asks it for leave to start.
    budget: Budget,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub(crate) fn new(
        agent: ureq::Agent,
        settings: Settings,
        tokens: Arc<dyn TokenProvider>,
    ) -> Self {
        Transport {
            agent,
            budget: Budget::new(settings.max_requests_per_minute),
            settings,
            tokens,
            server_time: Mutex::new(None),
        }
    }

    /// How much the client is throttled now.
    pub(crate) fn throttling(&self) -> Throttling {
        self.budget.snapshot()
    }

    /// The `Date` of the latest response that had one.
    pub(crate) fn server_time(&self) -> Option<ServerTime> {
        *self
            .server_time
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps a response's `Date`, if it has a readable one.
    fn note_date(&self, response: &ReadResponse) {
        let date = response
            .header("date")
            .and_then(parse_http_date)
            .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)));
        if let Some(date) = date {
            let time = ServerTime {
                date,
                received_at: SystemTime::now(),
            };
            *self
                .server_time
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(time);
        }
    }

    /// The TLS stack the agent uses, in words.
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    pub(crate) fn tls_backend(&self) -> &'static str {
        "none: this build has no TLS (enable the rustls or native-tls feature)"
    }

    /// The TLS stack the agent uses, in words.
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    pub(crate) fn tls_backend(&self) -> &'static str {
        use ureq::tls::{RootCerts, TlsProvider};
        let tls = self.agent.config().tls_config();
        match (tls.provider(), tls.root_certs()) {
            (TlsProvider::Rustls, RootCerts::PlatformVerifier) => {
                "rustls, with the platform's certificate verifier"
            }
            (TlsProvider::Rustls, RootCerts::WebPki) => "rustls, with the webpki root certificates",
            (TlsProvider::Rustls, _) => "rustls, with chosen root certificates",
            (TlsProvider::NativeTls, _) => "native-tls (the platform's TLS library)",
            _ => "another TLS provider",
        }
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Sends a call and decodes its success body.
    pub(crate) fn send_json<T: DeserializeOwned>(&self, request: &ApiRequest) -> Result<T, Error> {
        self.send(request)?.decode()
    }

    /// Sends a call, retrying by the policy, until it succeeds or fails for
    /// good. Errors carry the call's request ID (see [`send_within`](Self::send_within)).
    pub(crate) fn send(&self, request: &ApiRequest) -> Result<Reply, Error> {
        self.send_within(request, Bounds::default())
            .map_err(Unsent::into_error)
    }

    /// [`send`](Self::send) within `bounds`: every attempt, retries
    /// included, waits for the pacer; none starts after the deadline, no
    /// backoff runs past it, and each request may take only the time left.
    ///
    /// The call remembers its attempts. Once one has an unknown outcome
    /// ([`Verdict::SameRequest`]), the call is in doubt: every later attempt
    /// keeps its request ID, whatever the service answers, and the error
    /// says so. Once a write is answered that it is in progress
    /// ([`Verdict::InProgress`]), likewise, and the error says an order may
    /// still be made. Only a call neither in doubt nor in progress, whose
    /// request ID the caller did not choose, moves to a new ID after an
    /// answer that the service took nothing ([`Verdict::NewRequest`]). After
    /// a 401 the provider hears that its token was refused, and the call is
    /// repeated once, as an attempt like any other, with a fresh token and
    /// the same request ID; not after a 401 for want of MFA (900421), which
    /// is final.
    pub(crate) fn send_within(
        &self,
        request: &ApiRequest,
        bounds: Bounds<'_>,
    ) -> Result<Reply, Unsent> {
        let call = Cell::new(CallInfo {
            request_id: request.request_id,
            correlation_id: self.settings.correlation_id.unwrap_or_else(Uuid::new_v4),
            attempts: 0,
            in_doubt: false,
            in_progress: false,
            checkout: false,
        });
        let renew = Cell::new(false);
        let refreshed = Cell::new(false);
        let cut_short = Cell::new(false);
        let (method, path) = (request.method.as_str(), &request.path);
        // Every attempt, of every call, draws on the client's one budget.
        let bounds = Bounds {
            gate: Some(&self.budget),
            ..bounds
        };
        let max_pause = self.settings.retry.retry_after_cap();
        let outcome = self.settings.retry.run_within(
            bounds,
            |attempt, time_left| {
                // The budget admitted this attempt: its place is held until
                // it ends, however it ends.
                let _under_way = self.budget.under_way();
                let mut info = call.get();
                info.attempts = attempt;
                if renew.replace(false) {
                    info.request_id = Uuid::new_v4();
                }
                call.set(info);
                let started = Instant::now();
                let mut result = self.attempt(request, &info, time_left);
                cut_short.set(self.cut_short_by_deadline(&result, time_left, started.elapsed()));
                // Only an answer teaches the budget: a 429 pauses the
                // client, any other one counts as allowed.
                match &result {
                    Err(error) if is_throttled(error) => {
                        self.budget
                            .answered(started, true, error.retry_after(), max_pause);
                    }
                    Err(error) if error.status().is_none() => {}
                    _ => self.budget.answered(started, false, None, max_pause),
                }
                // A write answered "in progress" may yet be acted on: the
                // call, and this attempt's error, say so from now on.
                if let Err(error) = &mut result
                    && classify(error) == Verdict::InProgress
                    && request.method != Method::Get
                {
                    info.in_progress = true;
                    call.set(info);
                    if let Some(marked) = error.call_mut() {
                        marked.in_progress = true;
                    }
                }
                let status = match &result {
                    Ok(reply) => Some(reply.status),
                    Err(error) => error.status(),
                };
                log::debug!(
                    target: LOG_TARGET,
                    "{method} {path}: {} in {:.1?} (attempt {attempt}, request ID {}, correlation ID {})",
                    status.map_or_else(|| "failed".to_owned(), |status| format!("HTTP {status}")),
                    started.elapsed(),
                    info.request_id,
                    info.correlation_id,
                );
                result
            },
            |error| {
                // A refused token is repeated once, with a fresh one; a
                // `Retry-After` on a 401 asks for nothing.
                if is_refused_token(error) {
                    return Hint::from((!refreshed.get(), None));
                }
                Hint {
                    retryable: classify(error).is_retryable(),
                    retry_after: error.retry_after(),
                    throttled: is_throttled(error),
                }
            },
            |error, attempt, wait| {
                let verdict = classify(error);
                let mut info = call.get();
                // A read acts on nothing, so only a write can leave the
                // call in doubt.
                info.in_doubt |= verdict == Verdict::SameRequest && request.method != Method::Get;
                call.set(info);
                let new_request = verdict == Verdict::NewRequest
                    && !info.in_doubt
                    && !info.in_progress
                    && !request.keep_request_id;
                renew.set(new_request);
                let refusal = is_refused_token(error);
                refreshed.set(refreshed.get() || refusal);
                log::info!(
                    target: LOG_TARGET,
                    "{method} {path}: retrying in {wait:?} after attempt {attempt}: {} (request ID {}{})",
                    retry_reason(error),
                    info.request_id,
                    retry_note(verdict, new_request, refusal),
                );
            },
        );
        outcome.map_err(|stop| match stop {
            Stop::GiveUp(error) if cut_short.get() => Unsent::OutOfTime(error),
            Stop::GiveUp(error) => Unsent::Failed(error),
            Stop::RetryAfterTooLong { error, asked, cap } => {
                log::warn!(
                    target: LOG_TARGET,
                    "{method} {path}: Partner Center asked to wait {}s, over the {}s cap; giving up (request ID {})",
                    asked.as_secs(),
                    cap.as_secs(),
                    call.get().request_id,
                );
                Unsent::Failed(match error {
                    Error::Service(service) => Error::RetryAfterTooLong {
                        retry_after: asked,
                        cap,
                        error: service,
                    },
                    other => other,
                })
            }
            Stop::OutOfTime(error) => {
                let call = call.get();
                log::info!(
                    target: LOG_TARGET,
                    "{method} {path}: out of time after {} attempt{} (request ID {})",
                    call.attempts,
                    if call.attempts == 1 { "" } else { "s" },
                    call.request_id,
                );
                let source = if self.budget.snapshot().is_paused() {
                    "the deadline came before the request could start: Partner Center \
                     throttled this client (429) and asked every call to wait past it"
                } else {
                    "the deadline passed before the request could start"
                };
                Unsent::OutOfTime(error.unwrap_or_else(|| Error::Transport {
                    kind: TransportErrorKind::Timeout,
                    status: None,
                    call,
                    source: source.into(),
                }))
            }
        })
    }

    /// Whether an attempt that took `took` timed out because of the
    /// deadline: it left the attempt less time than the client's own
    /// timeouts, or the attempt ran to within a hair of it. Its failure is
    /// the deadline's, even when the socket's timer fired a little before
    /// the deadline did.
    fn cut_short_by_deadline(
        &self,
        result: &Result<Reply, Error>,
        time_left: Option<Duration>,
        took: Duration,
    ) -> bool {
        /// How early a socket's timer may fire.
        const HAIR: Duration = Duration::from_millis(50);
        let shortest = self.settings.timeout.min(self.settings.connect_timeout);
        time_left.is_some_and(|left| left < shortest || took.saturating_add(HAIR) >= left)
            && matches!(
                result,
                Err(Error::Transport {
                    kind: TransportErrorKind::Timeout,
                    ..
                })
            )
    }

    /// Makes one attempt, within `time_left` if there is a deadline.
    fn attempt(
        &self,
        request: &ApiRequest,
        call: &CallInfo,
        time_left: Option<Duration>,
    ) -> Result<Reply, Error> {
        let token = self
            .tokens
            .token()
            .and_then(|token| token.check_header_safe().map(|()| token))
            .map_err(|source| Error::Token {
                call: *call,
                source,
            })?;

        // Marked sensitive, so that no `Debug` of the request shows it.
        let mut authorization = http::HeaderValue::try_from(format!("Bearer {}", token.secret()))
            .map_err(|source| Error::Token {
            call: *call,
            source: source.into(),
        })?;
        authorization.set_sensitive(true);

        let settings = &self.settings;
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(format!("{}{}", settings.base_url, request.path))
            .header("Authorization", authorization)
            .header("Accept", "application/json")
            .header("MS-Contract-Version", "v1")
            .header("MS-RequestId", call.request_id.to_string())
            .header("MS-CorrelationId", call.correlation_id.to_string())
            .header("X-Locale", settings.locale.as_str())
            .header("MS-PartnerCenter-Client", CLIENT_NAME);
        if let Some(application) = &settings.application_name {
            builder = builder.header("MS-PartnerCenter-Application", application.as_str());
        }
        // Every POST and PUT says it is JSON, the body-less checkout too:
        // the service answers 415 to one that does not.
        if matches!(request.method, Method::Post | Method::Put) {
            builder = builder.header("Content-Type", "application/json");
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let head = builder.body(()).map_err(|source| Error::Transport {
            kind: TransportErrorKind::Other,
            status: None,
            call: *call,
            source: source.into(),
        })?;
        // A GET goes without a body; a POST or PUT always has one, if only an
        // empty one, so that it carries `Content-Length`.
        let limit = settings.max_response_bytes;
        let response = match request.method {
            Method::Get => exchange(&self.agent, head, time_left, limit),
            Method::Post | Method::Put => {
                let (parts, ()) = head.into_parts();
                let body: &[u8] = request.body.as_deref().unwrap_or_default();
                let request = http::Request::from_parts(parts, body);
                exchange(&self.agent, request, time_left, limit)
            }
        }
        .map_err(|failure| match failure {
            ReadFailure::Unanswered(error) => transport_error(error, None, call),
            ReadFailure::TooLarge { status } => Error::ResponseTooLarge {
                status,
                limit,
                call: *call,
            },
            ReadFailure::Broken { status, error } => transport_error(error, Some(status), call),
        })?;
        self.note_date(&response);
        if !response.is_success() {
            let error = Error::Service(Box::new(service_error(
                response.status,
                &response.headers,
                &response.body,
                *call,
            )));
            if is_refused_token(&error) {
                self.tokens.token_refused(&token);
            }
            return Err(error);
        }
        Ok(Reply {
            status: response.status,
            headers: response.headers,
            body: response.body,
            call: *call,
            memory_limit: settings.max_response_bytes.saturating_mul(MEMORY_MULTIPLE),
        })
    }
}

/// Why a bounded call gave no reply.
#[derive(Debug)]
pub(crate) enum Unsent {
    /// It failed for good: the error, as [`Transport::send`] reports it.
    Failed(Error),
    /// The deadline came first; the last attempt's error, or a timeout if
    /// no attempt could start.
    OutOfTime(Error),
}

impl Unsent {
    pub(crate) fn into_error(self) -> Error {
        match self {
            Unsent::Failed(error) | Unsent::OutOfTime(error) => error,
        }
    }
}

/// Whether the service answered 429: too many requests, nothing taken.
fn is_throttled(error: &Error) -> bool {
    error.status() == Some(429)
}

/// What a retry's log record adds about the next attempt.
fn retry_note(verdict: Verdict, new_request: bool, refusal: bool) -> &'static str {
    if refusal {
        "; the token was refused, so the next attempt asks the provider for a fresh one"
    } else if new_request {
        "; the service took nothing, so the next attempt gets a new one"
    } else if verdict == Verdict::InProgress {
        "; the service is still working on the request, so the next attempt keeps it"
    } else if verdict == Verdict::NewRequest {
        "; the next attempt keeps it, as an earlier attempt may have acted or the caller chose it"
    } else {
        ""
    }
}

/// Whether Partner Center refused the attempt's token (HTTP 401) in a way a
/// fresh token may cure: not for want of MFA (900421), which a token from the
/// same sign-in lacks alike.
fn is_refused_token(error: &Error) -> bool {
    matches!(error, Error::Service(service) if service.status == 401 && service.code_number() != Some(MFA_REQUIRED))
}

fn retry_reason(error: &Error) -> String {
    match error {
        Error::Transport { kind, .. } => kind.to_string(),
        Error::Service(service) => match service.code() {
            Some(code) => format!("HTTP {} (error {code})", service.status),
            None => format!("HTTP {}", service.status),
        },
        other => other.to_string(),
    }
}

/// Classifies an error of the HTTP stack.
fn transport_error(error: ureq::Error, status: Option<u16>, call: &CallInfo) -> Error {
    Error::Transport {
        kind: transport_kind(&error),
        status,
        call: *call,
        source: Box::new(error),
    }
}

/// Builds the error for a response whose status is not a success.
fn service_error(
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
    call: CallInfo,
) -> ServiceError {
    let (fault, message) = parse_error_body(body);
    ServiceError {
        status,
        reason: http::StatusCode::from_u16(status)
            .ok()
            .and_then(|code| code.canonical_reason()),
        fault,
        message,
        retry_after: header_str(headers, "retry-after")
            .and_then(|value| parse_retry_after(value, SystemTime::now())),
        correlation_vector: header_str(headers, "ms-cv").map(str::to_owned),
        location: (300..400)
            .contains(&status)
            .then(|| header_str(headers, "location").map(|value| snippet(value, SNIPPET_CHARS)))
            .flatten(),
        call,
    }
}
