//! What can go wrong while getting a token, in words that say what to fix.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::error::kind::InvalidConfig;
use crate::error::kind::TransportErrorKind;
use crate::model::{parse_error_body, strip_bom};
use crate::retry::verdict::classify_status;
use crate::text::{Escaped, snippet};

/// An error shared behind an `Arc`, so that one failed refresh can be handed
/// to every thread that waited for it.
pub type SharedError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// How much of a description or body an error quotes.
const QUOTE_CHARS: usize = 400;

/// Why a token provider could not give a token.
///
/// Cloneable, so that the threads that waited for one failed refresh all get
/// its error. No variant holds a secret or a token.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The provider was set up with settings it cannot use.
    #[error("invalid token provider configuration: {0}")]
    InvalidConfig(String),

    /// The environment variable that should hold the token does not.
    #[error("environment variable {name} {problem}")]
    EnvVar {
        /// The variable's name.
        name: String,
        /// What is wrong with it, such as `"is not set"`.
        problem: &'static str,
    },

    /// The token endpoint could not be reached, or the connection broke,
    /// after the retries the policy allows.
    #[error("could not get a token from {url}: {kind}")]
    Transport {
        /// The token endpoint.
        url: String,
        /// What kind of failure it was.
        kind: TransportErrorKind,
        /// The HTTP stack's error.
        #[source]
        source: SharedError,
    },

    /// The token endpoint answered with a status that is not a success.
    #[error(transparent)]
    Rejected(Box<EntraError>),

    /// The token endpoint asked for a longer wait than the retry policy
    /// allows, so the provider gave up at once.
    #[error(
        "the token endpoint asked to retry after {}s, longer than the retry policy's {}s cap: {error}",
        .retry_after.as_secs(),
        .cap.as_secs()
    )]
    RetryAfterTooLong {
        /// The wait the endpoint asked for.
        retry_after: Duration,
        /// The policy's cap.
        cap: Duration,
        /// The response that asked for it.
        error: Box<EntraError>,
    },

    /// The token endpoint's success response was not a token.
    #[error("the token endpoint's response is not a usable token: {problem}")]
    InvalidResponse {
        /// What was wrong with it.
        problem: String,
        /// The decoder's error, if there was one.
        #[source]
        source: Option<SharedError>,
    },

    /// The provider fetched a token that cannot be used: empty, or holding
    /// characters that cannot go in an HTTP header. It was not cached; the
    /// next call fetches again.
    #[error("the fetched token cannot be used and was not kept: {problem}")]
    UnusableToken {
        /// What is wrong with it; never the token itself.
        problem: String,
    },

    /// The Azure CLI program could not be found.
    #[error("the Azure CLI ({program}) was not found: install the Azure CLI or put az on PATH")]
    AzureCliNotFound {
        /// The program that was looked for.
        program: String,
    },

    /// The Azure CLI has no signed-in account for the request.
    #[error("the Azure CLI is not logged in: run {login} (az said: {stderr})")]
    AzureCliNotLoggedIn {
        /// The command to run, such as `az login --tenant contoso.onmicrosoft.com`.
        login: String,
        /// The start of what the CLI wrote to standard error.
        stderr: String,
    },

    /// The Azure CLI failed, timed out, or wrote output that holds no token.
    #[error("the Azure CLI ({program}) {problem}")]
    AzureCliFailed {
        /// The program that was run.
        program: String,
        /// What went wrong, with the start of its standard error if any.
        problem: String,
        /// The I/O error, if there was one.
        #[source]
        source: Option<SharedError>,
    },
}

impl AuthError {
    /// The token endpoint's error, when it refused the request.
    pub fn entra_error(&self) -> Option<&EntraError> {
        match self {
            AuthError::Rejected(error) | AuthError::RetryAfterTooLong { error, .. } => Some(error),
            _ => None,
        }
    }

    pub(crate) fn invalid_config(message: impl Into<String>) -> Self {
        AuthError::InvalidConfig(message.into())
    }

    /// Keeps the message of one of the crate's configuration checks.
    pub(crate) fn from_config(error: InvalidConfig) -> Self {
        AuthError::InvalidConfig(error.0)
    }
}

/// A response of the Entra ID token endpoint whose status is not a success,
/// with what its error body said, if anything.
///
/// Its `Display` names the status, the OAuth error, the `AADSTS` codes, the
/// first line of the description, a hint at what to fix when the error is a
/// known one, and the trace and correlation IDs to quote to Microsoft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraError {
    status: u16,
    error: Option<String>,
    description: Option<String>,
    error_codes: Vec<i64>,
    timestamp: Option<String>,
    trace_id: Option<String>,
    correlation_id: Option<String>,
    error_uri: Option<String>,
    retry_after: Option<Duration>,
}

/// The error body Entra ID documents for its token endpoint.
#[derive(Deserialize)]
struct EntraBody {
    error: String,
    #[serde(default)]
    error_description: Option<serde_json::Value>,
    #[serde(default)]
    error_codes: Option<serde_json::Value>,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
    #[serde(default)]
    trace_id: Option<serde_json::Value>,
    #[serde(default)]
    correlation_id: Option<serde_json::Value>,
    #[serde(default)]
    error_uri: Option<serde_json::Value>,
}

/// A field that should be a string, shortened; anything else is dropped.
fn text(value: Option<serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(text) if !text.trim().is_empty() => {
            Some(snippet(&text, QUOTE_CHARS))
        }
        _ => None,
    }
}

impl EntraError {
    /// Reads an error response in whichever shape it came: Entra's JSON
    /// error, another JSON body, text or HTML, or nothing.
    pub(crate) fn from_response(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Self {
        let mut error = EntraError {
            status,
            error: None,
            description: None,
            error_codes: Vec::new(),
            timestamp: None,
            trace_id: None,
            correlation_id: None,
            error_uri: None,
            retry_after,
        };
        match serde_json::from_slice::<EntraBody>(strip_bom(body)) {
            Ok(body) => {
                error.error = Some(snippet(&body.error, QUOTE_CHARS)).filter(|e| !e.is_empty());
                // Entra's description runs on with the trace ID, correlation
                // ID and timestamp on later lines; those are kept apart.
                error.description = match body.error_description {
                    Some(serde_json::Value::String(text)) => text
                        .lines()
                        .map(|line| snippet(line, QUOTE_CHARS))
                        .find(|line| !line.is_empty()),
                    _ => None,
                };
                error.error_codes = match body.error_codes {
                    Some(serde_json::Value::Array(codes)) => {
                        codes.iter().filter_map(serde_json::Value::as_i64).collect()
                    }
                    _ => Vec::new(),
                };
                error.timestamp = text(body.timestamp);
                error.trace_id = text(body.trace_id);
                error.correlation_id = text(body.correlation_id);
                error.error_uri = text(body.error_uri);
            }
            Err(_) => {
                let (fault, message) = parse_error_body(body);
                error.description = message.or_else(|| fault.and_then(|fault| fault.description));
            }
        }
        error
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The OAuth error, such as `invalid_client` or `invalid_grant`.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The first line of `error_description`, or the start of a body that
    /// was not Entra's JSON error.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The `AADSTS` error codes, such as `7000215` for a wrong client secret.
    pub fn error_codes(&self) -> &[i64] {
        &self.error_codes
    }

    /// When Entra ID saw the error, as it wrote it.
    pub fn timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }

    /// Entra ID's trace ID, to quote to Microsoft support.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// Entra ID's correlation ID, to quote to Microsoft support.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// The page Entra ID points to for this error.
    pub fn error_uri(&self) -> Option<&str> {
        self.error_uri.as_deref()
    }

    /// The wait the endpoint asked for with `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether the status is a transient one that the provider retries:
    /// 408, 429, 500, 502, 503 and 504. A 400 or 401 never is.
    pub fn is_retryable(&self) -> bool {
        classify_status(self.status, None).is_retryable()
    }

    /// What to fix, for the errors whose cause is known.
    pub fn hint(&self) -> Option<&'static str> {
        self.error_codes
            .iter()
            .find_map(|code| code_hint(*code))
            .or_else(|| self.error.as_deref().and_then(error_hint))
            .or_else(|| status_hint(self.status))
    }
}

/// Hints for the `AADSTS` codes that partner tools meet most.
fn code_hint(code: i64) -> Option<&'static str> {
    Some(match code {
        7_000_215 => {
            "the client secret is wrong: use the secret's value (not its ID) from the app registration"
        }
        7_000_222 => "the client secret has expired: create a new one in the app registration",
        7_000_218 => "the request carried no client secret: give the app's client secret",
        700_016 => {
            "the client ID names no app in this tenant: check the client ID and the tenant, and that the app is consented there"
        }
        90_002 | 900_023 => "the tenant was not found: check the tenant ID or domain name",
        500_011 => {
            "the resource is not known in the tenant: check the resource and the cloud, and consent to Partner Center in the tenant"
        }
        70_011 => "the scope is not valid: check the resource and the scope",
        65_001 => "the app lacks consent: grant it consent to the Partner Center API in the tenant",
        700_082 | 70_008 => {
            "the refresh token has expired: consent again (secure application model) to get a new one"
        }
        50_173 | 50_135 => {
            "the refresh token was revoked, for example by a password change: consent again to get a new one"
        }
        50_076 | 50_079 => {
            "the user must sign in with multi-factor authentication (MFA): consent again, signing in with MFA"
        }
        50_078 => {
            "the user's multi-factor authentication (MFA) has expired: sign in again with MFA and consent again to get a new refresh token"
        }
        53_003 => "a conditional access policy blocked the sign-in: ask the tenant's administrator",
        700_024 | 50_058 => {
            "the sign-in is no longer valid: consent again to get a new refresh token"
        }
        _ => return None,
    })
}

/// Hints for the OAuth errors, when no code was recognised.
fn error_hint(error: &str) -> Option<&'static str> {
    Some(match error {
        "invalid_client" => "check the client ID and the client secret",
        "invalid_grant" => {
            "the grant was refused: a refresh token may have expired or been revoked; consent again to get a new one"
        }
        "unauthorized_client" => {
            "the app may not use this grant: check the app registration's settings"
        }
        "invalid_scope" => "check the resource and the scope",
        "invalid_request" => "check the tenant, the client ID and the scope",
        "interaction_required" | "consent_required" => {
            "the user must sign in again interactively and consent"
        }
        "temporarily_unavailable" => "Entra ID is busy: try again later",
        _ => return None,
    })
}

/// Hints for statuses without a known error.
fn status_hint(status: u16) -> Option<&'static str> {
    match status {
        300..=399 => Some(
            "the authority redirected elsewhere, which is never followed: check the authority URL",
        ),
        404 => Some("check the authority URL and the tenant"),
        _ => None,
    }
}

impl fmt::Display for EntraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the token endpoint answered HTTP {}", self.status)?;
        if let Some(error) = &self.error {
            write!(f, " {}", Escaped(error))?;
        }
        let description = self.description.as_deref().unwrap_or_default();
        if !self.error_codes.is_empty() && !description.starts_with("AADSTS") {
            let codes: Vec<String> = self
                .error_codes
                .iter()
                .map(|code| format!("AADSTS{code}"))
                .collect();
            write!(f, " ({})", codes.join(", "))?;
        }
        match &self.description {
            Some(description) => write!(f, ": {}", Escaped(description))?,
            None if self.error.is_none() => f.write_str(" with no error body")?,
            None => {}
        }
        if let Some(hint) = self.hint() {
            write!(f, "; to fix: {hint}")?;
        }
        if let Some(wait) = self.retry_after {
            write!(f, " (retry after {}s)", wait.as_secs())?;
        }
        let ids: Vec<String> = [
            ("trace ID", &self.trace_id),
            ("correlation ID", &self.correlation_id),
            ("timestamp", &self.timestamp),
        ]
        .into_iter()
        .filter_map(|(name, value)| {
            value
                .as_ref()
                .map(|value| format!("{name} {}", Escaped(value)))
        })
        .collect();
        if !ids.is_empty() {
            write!(f, " ({})", ids.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for EntraError {}

#[cfg(test)]
mod tests {
    use super::*;

    const INVALID_CLIENT: &str = r#"{
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0f2c\r\nCorrelation ID: 9a1b\r\nTimestamp: 2024-05-01 10:00:00Z",
        "error_codes": [7000215],
        "timestamp": "2024-05-01 10:00:00Z",
        "trace_id": "0f2c5b6e-0000-4000-8000-000000000001",
        "correlation_id": "9a1b7c3d-0000-4000-8000-000000000002",
        "error_uri": "https://login.microsoftonline.com/error?code=7000215"
    }"#;

    #[test]
    fn entra_json_errors_keep_every_field() {
        let error = EntraError::from_response(401, None, INVALID_CLIENT.as_bytes());
        assert_eq!(error.error(), Some("invalid_client"));
        assert_eq!(
            error.description(),
            Some("AADSTS7000215: Invalid client secret provided.")
        );
        assert_eq!(error.error_codes(), [7_000_215]);
        assert_eq!(
            error.trace_id(),
            Some("0f2c5b6e-0000-4000-8000-000000000001")
        );
        assert_eq!(
            error.correlation_id(),
            Some("9a1b7c3d-0000-4000-8000-000000000002")
        );
        assert_eq!(error.timestamp(), Some("2024-05-01 10:00:00Z"));
        assert!(error.error_uri().is_some());
        assert!(!error.is_retryable());
        let text = error.to_string();
        assert!(
            text.starts_with("the token endpoint answered HTTP 401 invalid_client: AADSTS7000215"),
            "{text}"
        );
        assert!(
            text.contains("to fix: the client secret is wrong"),
            "{text}"
        );
        assert!(text.contains("trace ID 0f2c5b6e"), "{text}");
        assert!(text.contains("correlation ID 9a1b7c3d"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }

    #[test]
    fn codes_show_when_the_description_does_not_name_them() {
        let body = br#"{"error":"invalid_grant","error_description":"refresh expired","error_codes":[700082, "x"]}"#;
        let error = EntraError::from_response(400, None, body);
        assert_eq!(error.error_codes(), [700_082]);
        let text = error.to_string();
        assert!(
            text.contains("invalid_grant (AADSTS700082): refresh expired"),
            "{text}"
        );
        assert!(text.contains("consent again"), "{text}");
    }

    #[test]
    fn other_bodies_are_quoted_briefly() {
        let error =
            EntraError::from_response(502, None, b"<html><title>Bad Gateway</title></html>");
        assert_eq!(error.description(), Some("Bad Gateway"));
        assert!(error.is_retryable());
        let error = EntraError::from_response(500, Some(Duration::from_secs(3)), b"");
        assert_eq!(
            error.to_string(),
            "the token endpoint answered HTTP 500 with no error body (retry after 3s)"
        );
        let error = EntraError::from_response(400, None, br#"{"error": 5, "message": "odd"}"#);
        assert_eq!(error.error(), None);
        assert_eq!(error.description(), Some("odd"));
        let long = format!(
            r#"{{"error":"invalid_request","error_description":"{}"}}"#,
            "x".repeat(5000)
        );
        let error = EntraError::from_response(400, None, long.as_bytes());
        assert!(error.to_string().len() < 1000);
    }

    #[test]
    fn hints_fall_back_from_codes_to_errors_to_statuses() {
        let error = EntraError::from_response(400, None, br#"{"error":"invalid_client"}"#);
        assert_eq!(
            error.hint(),
            Some("check the client ID and the client secret")
        );
        let error = EntraError::from_response(302, None, b"");
        assert!(error.hint().is_some_and(|hint| hint.contains("authority")));
        let error = EntraError::from_response(418, None, br#"{"error":"teapot"}"#);
        assert_eq!(error.hint(), None);
    }

    #[test]
    fn mfa_codes_have_hints_that_name_mfa() {
        for code in [50_076, 50_078, 50_079] {
            let body = format!(
                r#"{{"error":"invalid_grant","error_description":"AADSTS{code}: MFA.","error_codes":[{code}]}}"#
            );
            let error = EntraError::from_response(400, None, body.as_bytes());
            let hint = error.hint().unwrap_or_default();
            assert!(
                hint.contains("MFA") && hint.contains("multi-factor authentication"),
                "{code}: {hint}"
            );
            assert!(error.to_string().contains(hint), "{error}");
        }
        let expired = EntraError::from_response(
            400,
            None,
            br#"{"error":"invalid_grant","error_codes":[50078]}"#,
        );
        assert!(expired.hint().unwrap().contains("expired"));
    }

    #[test]
    fn auth_errors_are_send_sync_clone_and_static() {
        fn check<T: Send + Sync + Clone + 'static + std::error::Error>() {}
        check::<AuthError>();
        check::<EntraError>();
    }

    #[test]
    fn server_text_in_an_entra_error_shows_escaped() {
        let hostile = "a\r\nINFO signed in\u{1b}[2K\u{2028}b\u{202e}c\u{200f}";
        // Not Entra's shape: the fault's description is kept as it came.
        let body = serde_json::json!({"code": 1, "description": hostile}).to_string();
        let error = EntraError::from_response(400, None, body.as_bytes());
        assert_eq!(error.description(), Some(hostile));
        let shown = AuthError::Rejected(Box::new(error)).to_string();
        assert!(!shown.contains(crate::text::is_unsafe), "{shown:?}");
        assert!(shown.contains(&Escaped(hostile).to_string()), "{shown}");

        let body = serde_json::json!({"error": hostile, "error_description": hostile, "trace_id": hostile});
        let error = EntraError::from_response(400, None, body.to_string().as_bytes());
        let shown = error.to_string();
        assert!(!shown.contains(crate::text::is_unsafe), "{shown:?}");
        assert!(shown.contains("INFO signed in"), "{shown}");
    }
}
