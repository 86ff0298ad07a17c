//! The HTTP layer under the Partner Center transport and the token
//! providers: the agent and its TLS, the proxy, URL checks, and reading a
//! response within the crate's limits, error bodies included.

use std::io::Read;
use std::time::Duration;

use ureq::http;

use crate::error::kind::TransportErrorKind;

pub(crate) mod proxy;
pub(crate) mod url;

pub(crate) use proxy::{Lookup, Proxy, agent_proxy, describe_proxy};
use url::looks_up_names;
pub(crate) use url::{check_header_text, check_url};

/// The name this crate gives itself in `MS-PartnerCenter-Client`.
pub(crate) const CLIENT_NAME: &str = "partner-center-cart";

/// The `User-Agent` of every request.
const USER_AGENT: &str = concat!("partner-center-cart/", env!("CARGO_PKG_VERSION"));

/// The longest timeout accepted, short of `Duration::MAX` (no timeout); the
/// HTTP stack cannot count to much longer ones.
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a timeout is refused, for the builders' errors.
pub(crate) const TIMEOUT_RULE: &str =
    "timeouts must be longer than zero and at most a day, or Duration::MAX for none";

/// Whether a builder accepts a timeout: longer than zero, and at most
/// [`MAX_TIMEOUT`] or `Duration::MAX`, which means none.
pub(crate) fn timeout_ok(timeout: Duration) -> bool {
    !timeout.is_zero() && (timeout <= MAX_TIMEOUT || timeout == Duration::MAX)
}

/// A timeout as the HTTP stack takes it: `Duration::MAX` is none.
fn limit(timeout: Duration) -> Option<Duration> {
    (timeout != Duration::MAX).then_some(timeout)
}

/// The configuration of an HTTP agent of this crate: no redirects, statuses
/// as responses rather than errors, JSON accepted.
///
/// Timeouts are set per phase (connect, then send and receive each bounded
/// by `timeout`) rather than as ureq's single global deadline, which costs
/// several times as much per call; `benches/README.md` has the figures.
///
/// A name lookup is bounded by the connect timeout. ureq looks the host up
/// for every request, pooled connection or not, and bounds each lookup on
/// a thread of its own, so the bound is set only where a lookup happens: for
/// a host name, or through a proxy. An IP address, such as a fake's on
/// loopback, needs none, and gets no thread.
pub(crate) fn agent_config(
    application_name: Option<&str>,
    url: &str,
    connect_timeout: Duration,
    timeout: Duration,
    proxy: Option<ureq::Proxy>,
) -> ureq::config::Config {
    let user_agent = match application_name {
        Some(application) => format!("{USER_AGENT} ({application})"),
        None => USER_AGENT.to_owned(),
    };
    let builder = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(user_agent)
        .accept("application/json")
        .timeout_resolve(if looks_up_names(url, proxy.is_some()) {
            limit(connect_timeout)
        } else {
            None
        })
        .timeout_connect(limit(connect_timeout))
        .timeout_send_request(limit(timeout))
        .timeout_send_body(limit(timeout))
        .timeout_recv_response(limit(timeout))
        .timeout_recv_body(limit(timeout))
        .proxy(proxy);
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    let builder = builder.tls_config(tls_config());
    builder.build()
}

/// The TLS stack the features ask for. `native-tls` is never on by default,
/// so when it is on it was asked for, and it wins over the default rustls;
/// `platform-verifier`, which works through rustls, wins over both and
/// checks certificates against the operating system's store.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn tls_config() -> ureq::tls::TlsConfig {
    use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
    let (provider, roots) = if cfg!(feature = "platform-verifier") {
        (TlsProvider::Rustls, RootCerts::PlatformVerifier)
    } else if cfg!(feature = "native-tls") {
        (TlsProvider::NativeTls, RootCerts::WebPki)
    } else {
        (TlsProvider::Rustls, RootCerts::WebPki)
    };
    TlsConfig::builder()
        .provider(provider)
        .root_certs(roots)
        .build()
}

/// How much of an error body is read; the rest is left unread.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// A response read whole, within the crate's limits.
pub(crate) struct ReadResponse {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    /// A success's whole body, or the start of a failure's.
    pub(crate) body: Vec<u8>,
}

impl ReadResponse {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        header_str(&self.headers, name)
    }
}

/// Why an exchange gave no response to read whole.
pub(crate) enum ReadFailure {
    /// No response came: the request could not be sent, or the
    /// connection failed before the status line.
    Unanswered(ureq::Error),
    /// A success body over the limit; it was not read whole.
    TooLarge { status: u16 },
    /// The connection failed while the body was read.
    Broken { status: u16, error: ureq::Error },
}

/// Sends one request on `agent` and reads its response as
/// [`read_response`] does: the one exchange under both the Partner Center
/// transport and the token providers. Under a deadline (`time_left`), the
/// whole of it, from the name lookup to the last byte of the body, gets only
/// the time left.
pub(crate) fn exchange<B: ureq::AsSendBody>(
    agent: &ureq::Agent,
    request: http::Request<B>,
    time_left: Option<Duration>,
    limit: u64,
) -> Result<ReadResponse, ReadFailure> {
    let sent = match time_left {
        None => agent.run(request),
        Some(left) => agent.run(
            agent
                .configure_request(request)
                .timeout_global(Some(left))
                .build(),
        ),
    };
    read_response(sent.map_err(ReadFailure::Unanswered)?, limit)
}

/// Reads a response the one way this crate reads them: a success body up to
/// `limit` bytes, refusing a larger one (declared or not) without reading it
/// whole; of a failure, only the first [`ERROR_BODY_LIMIT`] bytes, which is
/// all an error reports, and whatever arrived if the body breaks off.
pub(crate) fn read_response(
    response: http::Response<ureq::Body>,
    limit: u64,
) -> Result<ReadResponse, ReadFailure> {
    let status = response.status().as_u16();
    let (parts, mut body) = response.into_parts();
    let mut read = ReadResponse {
        status,
        headers: parts.headers,
        body: Vec::new(),
    };
    if !read.is_success() {
        let _ = body
            .as_reader()
            .take(ERROR_BODY_LIMIT)
            .read_to_end(&mut read.body);
        return Ok(read);
    }
    let declared = read
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(ReadFailure::TooLarge { status });
    }
    read.body = body
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|error| match error {
            ureq::Error::BodyExceedsLimit(_) => ReadFailure::TooLarge { status },
            error => ReadFailure::Broken { status, error },
        })?;
    Ok(read)
}

pub(crate) fn header_str<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// What kind of failure an error of the HTTP stack is.
pub(crate) fn transport_kind(error: &ureq::Error) -> TransportErrorKind {
    match error {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                TransportErrorKind::Timeout
            }
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable => {
                TransportErrorKind::Connect
            }
            _ => TransportErrorKind::Io,
        },
        ureq::Error::Tls(_) | ureq::Error::TlsRequired => TransportErrorKind::Tls,
        _ => TransportErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_lookups_are_bounded_by_the_connect_timeout() {
        let connect = Duration::from_secs(7);
        let config = |url: &str, proxy: Option<&str>| {
            let proxy = proxy.map(|proxy| ureq::Proxy::new(proxy).unwrap());
            agent_config(None, url, connect, Duration::from_secs(60), proxy)
        };
        let by_name = config("https://api.partnercenter.microsoft.com", None);
        assert_eq!(by_name.timeouts().resolve, Some(connect));
        assert_eq!(by_name.timeouts().connect, Some(connect));
        // A proxy's name is looked up instead of the host's.
        let proxied = config("http://127.0.0.1:8080", Some("http://proxy.example:3128"));
        assert_eq!(proxied.timeouts().resolve, Some(connect));
        // An IP address needs no lookup, so none is bounded (on a thread of
        // ureq's for each request); connecting still is.
        for url in ["http://127.0.0.1:8080", "http://[::1]:8080"] {
            assert_eq!(config(url, None).timeouts().resolve, None, "{url}");
            assert_eq!(config(url, None).timeouts().connect, Some(connect));
        }
    }
}
