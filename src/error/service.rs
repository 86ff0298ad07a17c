//! [`ServiceError`]: Partner Center's refusal of a call.

use std::fmt;
use std::time::Duration;

use super::CallInfo;
use crate::model::{ApiFault, FaultCode};
use crate::text::Escaped;

/// A response from Partner Center whose status is not a success, or whose
/// success body is a fault.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceError {
    pub(crate) status: u16,
    pub(crate) reason: Option<&'static str>,
    pub(crate) fault: Option<ApiFault>,
    pub(crate) message: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) correlation_vector: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) call: CallInfo,
}

impl ServiceError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The documented error body, when the service sent one.
    pub fn fault(&self) -> Option<&ApiFault> {
        self.fault.as_ref()
    }

    /// The service's error code, such as `800060`.
    pub fn code(&self) -> Option<&FaultCode> {
        self.fault.as_ref()?.code.as_ref()
    }

    /// The service's error code as a number, when it is one.
    pub fn code_number(&self) -> Option<i64> {
        self.code().and_then(FaultCode::as_i64)
    }

    /// What to do about the error, when its code has a hint (see
    /// [`FaultCode::hint`]); the message ends with it too.
    pub fn hint(&self) -> Option<&'static str> {
        self.code().and_then(FaultCode::hint)
    }

    /// The service's description of the error, or the message of a throttling
    /// reply, or the start of a body that was not JSON.
    pub fn message(&self) -> Option<&str> {
        self.fault
            .as_ref()
            .and_then(|fault| fault.description.as_deref())
            .or(self.message.as_deref())
    }

    /// The wait the service asked for with `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The `MS-CV` correlation vector of the response.
    pub fn correlation_vector(&self) -> Option<&str> {
        self.correlation_vector.as_deref()
    }

    /// Where a redirect pointed. Redirects are never followed, so that the
    /// bearer token never reaches another origin.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The call.
    pub fn call(&self) -> &CallInfo {
        &self.call
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Partner Center answered HTTP {}", self.status)?;
        if let Some(reason) = self.reason {
            write!(f, " {reason}")?;
        }
        if let Some(code) = self.code() {
            write!(f, ", error {code}")?;
        }
        if let Some(message) = self.message() {
            write!(f, ": {}", Escaped(message))?;
        }
        if let Some(hint) = self.hint() {
            write!(f, "; to fix: {hint}")?;
        }
        if let Some(location) = &self.location {
            write!(f, " (redirect to {location:?} not followed)")?;
        }
        if let Some(wait) = self.retry_after {
            write!(f, " (retry after {}s)", wait.as_secs())?;
        }
        write!(f, " ({})", self.call)
    }
}

impl std::error::Error for ServiceError {}
