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
