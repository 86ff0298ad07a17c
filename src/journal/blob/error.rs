//! [`BlobError`]: what went wrong with one blob, in words that name the
//! blob and the storage's error code, and never the SAS signature.

use std::fmt;

use super::sas::redact;
use crate::text::{Escaped, snippet};

/// A call to Azure Blob Storage that failed, as
/// [`JournalError::Store`](super::super::JournalError::Store) carries it:
/// the blob (or container) it was about, what was being done, and what the
/// storage answered, with its error code (`x-ms-error-code`).
///
/// It never holds the SAS signature: URLs in it are given without their
/// SAS, and any text that might quote one has its `sig=` redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobError {
    blob: String,
    action: &'static str,
    failure: Failure,
}

/// What failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The storage answered with an error status.
    Status {
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    /// No answer, or a broken one.
    Transport(String),
    /// An answer larger than the cap, left unread.
    TooLarge { limit: u64 },
    /// An answer this store cannot read, or data it refuses to store.
    Invalid(String),
}

impl BlobError {
    /// An error about `blob` (a URL without SAS) while doing `action`.
    pub(crate) fn new(
        blob: impl Into<String>,
        action: &'static str,
        failure: Failure,
    ) -> BlobError {
        let failure = match failure {
            Failure::Status {
                status,
                code,
                message,
            } => Failure::Status {
                status,
                code: code.map(|code| redact(&code)),
                message: message.map(|message| redact(&message)),
            },
            Failure::Transport(text) => Failure::Transport(redact(&text)),
            Failure::Invalid(text) => Failure::Invalid(redact(&text)),
            too_large @ Failure::TooLarge { .. } => too_large,
        };
        BlobError {
            blob: redact(&blob.into()),
            action,
            failure,
        }
    }

    /// The blob's URL (or the container's, for a listing), without its
    /// SAS.
    pub fn blob(&self) -> &str {
        &self.blob
    }

    /// The HTTP status the storage answered, if it answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self.failure {
            Failure::Status { status, .. } => Some(status),
            _ => None,
        }
    }

    /// The storage's error code (`x-ms-error-code`, such as
    /// `AuthenticationFailed` or `LeaseAlreadyPresent`), if it gave one.
    pub fn code(&self) -> Option<&str> {
        match &self.failure {
            Failure::Status { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether no answer came, or a broken one.
    pub(crate) fn is_transport(&self) -> bool {
        matches!(self.failure, Failure::Transport(_))
    }

    /// What to do about it, by status and code.
    fn advice(&self) -> &'static str {
        match (&self.failure, self.code()) {
            (_, Some("ContainerNotFound")) => {
                "create the container first (az storage container create), or check its name in the URL"
            }
            (_, Some("AuthenticationFailed" | "AuthorizationFailure"))
            | (Failure::Status { status: 403, .. }, _) => {
                "check the SAS: it must be a container SAS (sr=c) for this container, unexpired, with the permissions racwl"
            }
            (_, Some("AuthorizationPermissionMismatch")) => {
                "the SAS lacks a permission: make one with --permissions racwl"
            }
            (
                Failure::Status {
                    status: 429 | 500..,
                    ..
                },
                _,
            )
            | (Failure::Transport(_), _) => {
                "the storage could not be reached or is busy; run again later, which resumes where this stopped"
            }
            (Failure::TooLarge { .. }, _) => {
                "raise BlobStoreBuilder::max_blob_bytes if this is a purchase's blob, or check what wrote it"
            }
            _ => "check that nothing but this crate writes to the container",
        }
    }
}

impl fmt::Display for BlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not {} {}: ", self.action, Escaped(&self.blob))?;
        match &self.failure {
            Failure::Status {
                status,
                code,
                message,
            } => {
                write!(f, "the storage answered {status}")?;
                if let Some(code) = code {
                    write!(f, " {}", Escaped(code))?;
                }
                if let Some(message) = message {
                    write!(f, " ({})", Escaped(message))?;
                }
            }
            Failure::Transport(text) => write!(f, "{}", Escaped(text))?,
            Failure::TooLarge { limit } => write!(f, "the answer is larger than {limit} bytes")?,
            Failure::Invalid(text) => write!(f, "{}", Escaped(text))?,
        }
        write!(f, "; {}", self.advice())
    }
}

impl std::error::Error for BlobError {}

/// The error code and message of an error answer: the `x-ms-error-code`
/// header, or else the `<Code>` of the body, and the body's `<Message>`.
pub(crate) fn code_and_message(
    header: Option<&str>,
    body: &[u8],
) -> (Option<String>, Option<String>) {
    let body = String::from_utf8_lossy(body);
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{name}>"))? + start;
        Some(snippet(&body[start..end], 200)).filter(|text| !text.is_empty())
    };
    let code = header
        .map(|code| snippet(code, 100))
        .filter(|code| !code.is_empty())
        .or_else(|| element("Code"));
    // Azure's messages end with a request ID and a time on lines of their
    // own; the first line says what happened.
    let message = element("Message").map(|message| {
        message
            .split(" RequestId:")
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_the_blob_and_code_and_hides_the_signature() {
        let error = BlobError::new(
            "http://127.0.0.1:1/a/c/x",
            "append to",
            Failure::Status {
                status: 403,
                code: Some("AuthenticationFailed".into()),
                message: Some("Server failed to authenticate sig=SeCrEt\r\nforged".into()),
            },
        );
        let shown = error.to_string();
        assert!(shown.contains("http://127.0.0.1:1/a/c/x"), "{shown}");
        assert!(shown.contains("403 AuthenticationFailed"), "{shown}");
        assert!(shown.contains("check the SAS"), "{shown}");
        assert!(!shown.contains('\n'), "{shown}");
        for text in [shown, format!("{error:?}")] {
            assert!(!text.contains("SeCrEt"), "{text}");
        }
        assert_eq!(error.code(), Some("AuthenticationFailed"));
        assert_eq!(error.status(), Some(403));
    }

    #[test]
    fn codes_come_from_the_header_or_the_body() {
        let body = b"\xEF\xBB\xBF<?xml version=\"1.0\"?><Error><Code>BlobNotFound</Code><Message>The specified blob does not exist.\nRequestId:1\nTime:2</Message></Error>";
        assert_eq!(
            code_and_message(None, body),
            (
                Some("BlobNotFound".into()),
                Some("The specified blob does not exist.".into())
            )
        );
        assert_eq!(
            code_and_message(Some("LeaseAlreadyPresent"), b"")
                .0
                .as_deref(),
            Some("LeaseAlreadyPresent")
        );
        assert_eq!(
            code_and_message(None, b"<Code></Code><Message>"),
            (None, None)
        );
    }
}
