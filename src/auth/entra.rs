//! Tokens from the Entra ID token endpoint (`{authority}/{tenant}/oauth2/v2.0/token`):
//! app-only by client credentials, and app+user by refresh token (the secure
//! application model). Both grants share one HTTP function.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use ureq::http;

use super::cache::{DEFAULT_REFRESH_MARGIN, Fetched, TokenCache};
use super::{AccessToken, TokenProvider};
use crate::cloud::Cloud;
use crate::dates::parse_retry_after;
use crate::encoding::push_percent_encoded;
use crate::error::kind::{BoxError, TransportErrorKind};
use crate::error::{AuthError, EntraError};
use crate::http::{
    Proxy, ReadFailure, TIMEOUT_RULE, agent_config, agent_proxy, check_header_text, check_url,
    exchange, timeout_ok, transport_kind,
};
use crate::logging::LOG_TARGET;
use crate::model::strip_bom;
use crate::retry::verdict::classify_transport;
use crate::retry::{RetryPolicy, Stop};
use crate::text::snippet;

/// The default timeout of each phase of a token request.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default timeout for opening a connection to the token endpoint.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest token response read: 1 MiB.
const MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// What a rotated refresh token is handed to.
type RotationCallback = Arc<dyn Fn(&str) + Send + Sync>;

/// A secret kept out of `Debug`.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// App-only tokens: the client credentials grant (tenant, client ID, client
/// secret) with the scope `{resource}/.default`.
///
/// The token is cached until [`refresh_margin`](EntraBuilder::refresh_margin)
/// before it expires; when many threads find it stale at once, one asks the
/// endpoint and the others wait for its answer (and share its error, if it
/// fails). Connection failures, timeouts, 408, 429 and 5xx are retried by the
/// [`RetryPolicy`]; 400 and 401 never are.
///
/// ```no_run
/// use partner_center_cart::Client;
/// use partner_center_cart::auth::ClientCredentialsProvider;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = ClientCredentialsProvider::builder(
///     "contoso.onmicrosoft.com",
///     "4f1c0b2e-7d8a-4c1e-9b2f-3a6d5e8c7b10",
///     std::env::var("PARTNER_CENTER_CLIENT_SECRET")?,
/// )
/// .build()?;
/// let client = Client::new(provider);
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub struct ClientCredentialsProvider {
    inner: EntraProvider,
}

/// App+user tokens by the secure application model: a refresh token, with
/// the app's client ID and secret, traded for access tokens. A public
/// client (a native app registration) has no secret: build it with
/// [`public_client`](Self::public_client).
///
/// The request is `grant_type=refresh_token` with the scope
/// `{resource}/user_impersonation offline_access`: the delegated
/// Partner Center permission (as the reference gives for v2 and as
/// Microsoft's PowerShell module asks for), plus `offline_access` so that
/// Entra ID returns the next refresh token. Use
/// [`scope`](EntraBuilder::scope) to ask for another, such as
/// `https://api.partnercenter.microsoft.com/.default offline_access`.
///
/// When Entra ID rotates the refresh token, the provider keeps the new one
/// and hands it to the [`on_refresh_token_rotated`](EntraBuilder::on_refresh_token_rotated)
/// callback, so that the tool can store it for its next run. Caching,
/// single-flight refresh and retries are as for [`ClientCredentialsProvider`].
///
/// ```no_run
/// use partner_center_cart::Client;
/// use partner_center_cart::auth::RefreshTokenProvider;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = RefreshTokenProvider::builder(
///     "contoso.onmicrosoft.com",
///     "4f1c0b2e-7d8a-4c1e-9b2f-3a6d5e8c7b10",
///     std::env::var("PARTNER_CENTER_CLIENT_SECRET")?,
///     std::fs::read_to_string("refresh-token")?.trim(),
/// )
/// .on_refresh_token_rotated(|new| {
///     if let Err(error) = std::fs::write("refresh-token", new) {
///         eprintln!("could not store the new refresh token: {error}");
///     }
/// })
/// .build()?;
/// let client = Client::new(provider);
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub struct RefreshTokenProvider {
    inner: EntraProvider,
}

/// Builds a [`ClientCredentialsProvider`] or a [`RefreshTokenProvider`]
/// (`P` is the one it builds).
///
/// Defaults: the global cloud's authority and resource, a 5-minute refresh
/// margin, [`RetryPolicy::default`], 30-second timeouts per phase (10 to
/// connect), and [`Proxy::from_environment`] (never for a loopback
/// authority).
#[must_use = "a builder does nothing until built"]
pub struct EntraBuilder<P> {
    tenant: String,
    client_id: String,
    /// `None` for a public client, which has no secret.
    client_secret: Option<Secret>,
    refresh_token: Option<Secret>,
    on_rotated: Option<RotationCallback>,
    authority: String,
    resource: String,
    scope: Option<String>,
    margin: Duration,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    proxy: Proxy,
    provider: PhantomData<fn() -> P>,
}

impl<P> fmt::Debug for EntraBuilder<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraBuilder")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("authority", &self.authority)
            .field("resource", &self.resource)
            .field("scope", &self.scope)
            .field("refresh_margin", &self.margin)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

impl<P> EntraBuilder<P> {
    fn new(
        tenant: String,
        client_id: String,
        client_secret: Option<String>,
        refresh_token: Option<String>,
    ) -> Self {
        EntraBuilder {
            tenant,
            client_id,
            client_secret: client_secret.map(Secret),
            refresh_token: refresh_token.map(Secret),
            on_rotated: None,
            authority: Cloud::Global.authority().to_owned(),
            resource: Cloud::Global.resource().to_owned(),
            scope: None,
            margin: DEFAULT_REFRESH_MARGIN,
            retry: RetryPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            proxy: Proxy::default(),
            provider: PhantomData,
        }
    }

    /// Sets the authority and the resource to a cloud's.
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.authority = cloud.authority().to_owned();
        self.resource = cloud.resource().to_owned();
        self
    }

    /// Sets the authority, such as `https://login.microsoftonline.us`. It
    /// must use `https`; plain `http` is accepted only for loopback hosts,
    /// for tests.
    pub fn authority(mut self, url: impl Into<String>) -> Self {
        self.authority = url.into();
        self
    }

    /// Sets the resource the token is for; the scope is built from it unless
    /// [`scope`](Self::scope) is set.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = resource.into();
        self
    }

    /// Sets the whole `scope` field, space-separated, instead of the one
    /// built from the resource.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Sets how long before its expiry a token is replaced. Defaults to
    /// 5 minutes. A token that lives less than the margin is fetched anew
    /// at every call.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Sets how the token request is retried. Defaults to
    /// [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the timeout of each phase of a token request: sending it,
    /// waiting for the response, reading its body. Defaults to 30 seconds;
    /// at most a day, or `Duration::MAX` for none.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the timeout for looking up the host's name and, apart, for
    /// opening a connection. Defaults to 10 seconds; at most a day, or
    /// `Duration::MAX` for none.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets whether and how to use an HTTP proxy. Defaults to
    /// [`Proxy::from_environment`], which a loopback authority never uses.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// Checks the settings and builds the provider's parts.
    fn build_inner(self, grant: Grant, default_scope: String) -> Result<EntraProvider, AuthError> {
        if !is_tenant(&self.tenant) {
            return Err(AuthError::invalid_config(format!(
                "the tenant {:?} is not a tenant ID or domain name",
                snippet(&self.tenant, 100)
            )));
        }
        check_header_text("client ID", &self.client_id).map_err(AuthError::from_config)?;
        if self
            .client_secret
            .as_ref()
            .is_some_and(|secret| secret.0.is_empty())
        {
            return Err(AuthError::invalid_config("the client secret is empty"));
        }
        if self.resource.is_empty() || !self.resource.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::invalid_config(
                "the resource must be visible ASCII with no spaces",
            ));
        }
        let scope = self.scope.unwrap_or(default_scope);
        check_header_text("scope", &scope).map_err(AuthError::from_config)?;
        if !timeout_ok(self.timeout) || !timeout_ok(self.connect_timeout) {
            return Err(AuthError::invalid_config(TIMEOUT_RULE));
        }
        let authority = check_url("authority", &self.authority).map_err(AuthError::from_config)?;
        let url = format!("{authority}/{}/oauth2/v2.0/token", self.tenant);
        let proxy = agent_proxy(&self.proxy, &url).map_err(AuthError::from_config)?;
        let agent = agent_config(None, &url, self.connect_timeout, self.timeout, proxy).into();
        Ok(EntraProvider {
            endpoint: TokenEndpoint {
                url,
                agent,
                retry: self.retry,
            },
            client_id: self.client_id,
            client_secret: self.client_secret,
            scope,
            grant,
            cache: TokenCache::new(self.margin),
        })
    }
}

impl EntraBuilder<ClientCredentialsProvider> {
    /// Checks the settings and builds the provider. Nothing is sent yet.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidConfig`] when the tenant is not a tenant ID or
    /// domain name, the client ID or scope is not visible ASCII, the secret
    /// is empty, a timeout is zero or longer than a day (but not
    /// `Duration::MAX`, which means none), the authority is
    /// not `https` (or `http` to loopback), or the proxy URL is not valid.
    pub fn build(self) -> Result<ClientCredentialsProvider, AuthError> {
        let scope = format!("{}/.default", self.resource.trim_end_matches('/'));
        let inner = self.build_inner(Grant::ClientCredentials, scope)?;
        Ok(ClientCredentialsProvider { inner })
    }
}

impl EntraBuilder<RefreshTokenProvider> {
    /// Hands each new refresh token to `callback` when Entra ID rotates it,
    /// so that the tool can store it. The callback runs on the thread that
    /// refreshed, while the threads that need a token wait; keep it short,
    /// and do not ask the same provider for a token inside it.
    pub fn on_refresh_token_rotated(
        mut self,
        callback: impl Fn(&str) + Send + Sync + 'static,
    ) -> Self {
        self.on_rotated = Some(Arc::new(callback));
        self
    }

    /// Checks the settings and builds the provider. Nothing is sent yet.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidConfig`] for the same settings as the client
    /// credentials builder, and when the refresh token is empty.
    pub fn build(mut self) -> Result<RefreshTokenProvider, AuthError> {
        let refresh_token = match self.refresh_token.take() {
            Some(token) if !token.0.trim().is_empty() => Secret(token.0.trim().to_owned()),
            _ => return Err(AuthError::invalid_config("the refresh token is empty")),
        };
        let scope = format!(
            "{}/user_impersonation offline_access",
            self.resource.trim_end_matches('/')
        );
        let grant = Grant::RefreshToken {
            current: Mutex::new(refresh_token),
            on_rotated: self.on_rotated.take(),
        };
        let inner = self.build_inner(grant, scope)?;
        Ok(RefreshTokenProvider { inner })
    }
}

/// Whether text can be a tenant in the endpoint's path: a GUID, a domain
/// name, or a word such as `organizations`.
fn is_tenant(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant.len() <= 256
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && !tenant.starts_with('.')
}

impl ClientCredentialsProvider {
    /// A builder for app-only tokens of the app `client_id` in `tenant` (a
    /// tenant ID or domain name), with its client secret.
    pub fn builder(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> EntraBuilder<ClientCredentialsProvider> {
        EntraBuilder::new(
            tenant.into(),
            client_id.into(),
            Some(client_secret.into()),
            None,
        )
    }

    /// The cached token, or a new one when it is stale.
    ///
    /// # Errors
    ///
    /// [`AuthError::Rejected`] when the endpoint refuses (its message says
    /// what to fix), [`AuthError::Transport`] when it cannot be reached after
    /// the retries, [`AuthError::RetryAfterTooLong`], or
    /// [`AuthError::InvalidResponse`] when the answer is not a token.
    pub fn access_token(&self) -> Result<AccessToken, AuthError> {
        self.inner.access_token()
    }
}

impl RefreshTokenProvider {
    /// A builder for app+user tokens of the app `client_id` in `tenant`,
    /// traded for `refresh_token`.
    pub fn builder(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> EntraBuilder<RefreshTokenProvider> {
        EntraBuilder::new(
            tenant.into(),
            client_id.into(),
            Some(client_secret.into()),
            Some(refresh_token.into()),
        )
    }

    /// A builder for app+user tokens of a public client: a native app
    /// registration, which has no client secret (the secure application
    /// model works with one too, and Microsoft's PowerShell module uses
    /// it). The token requests carry `client_id`, `refresh_token` and
    /// `scope`, and no `client_secret`.
    ///
    /// ```no_run
    /// use partner_center_cart::Client;
    /// use partner_center_cart::auth::RefreshTokenProvider;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let provider = RefreshTokenProvider::public_client(
    ///     "contoso.onmicrosoft.com",
    ///     "1950a258-227b-4e31-a9cf-717495945fc2",
    ///     std::fs::read_to_string("refresh-token")?.trim(),
    /// )
    /// .build()?;
    /// let client = Client::new(provider);
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn public_client(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> EntraBuilder<RefreshTokenProvider> {
        EntraBuilder::new(
            tenant.into(),
            client_id.into(),
            None,
            Some(refresh_token.into()),
        )
    }

    /// The cached token, or a new one when it is stale.
    ///
    /// # Errors
    ///
    /// As [`ClientCredentialsProvider::access_token`]; an expired or revoked
    /// refresh token comes back as [`AuthError::Rejected`] with
    /// `invalid_grant`.
    pub fn access_token(&self) -> Result<AccessToken, AuthError> {
        self.inner.access_token()
    }
}

impl TokenProvider for ClientCredentialsProvider {
    fn token(&self) -> Result<AccessToken, BoxError> {
        Ok(self.access_token()?)
    }

    /// Drops the refused token from the cache, if it is still there.
    fn token_refused(&self, token: &AccessToken) {
        self.inner.cache.forget(token);
    }
}

impl TokenProvider for RefreshTokenProvider {
    fn token(&self) -> Result<AccessToken, BoxError> {
        Ok(self.access_token()?)
    }

    /// Drops the refused token from the cache, if it is still there.
    fn token_refused(&self, token: &AccessToken) {
        self.inner.cache.forget(token);
    }
}

impl fmt::Debug for ClientCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug("ClientCredentialsProvider", f)
    }
}

impl fmt::Debug for RefreshTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug("RefreshTokenProvider", f)
    }
}

/// What both providers are made of.
struct EntraProvider {
    endpoint: TokenEndpoint,
    client_id: String,
    client_secret: Option<Secret>,
    scope: String,
    grant: Grant,
    cache: TokenCache,
}

enum Grant {
    ClientCredentials,
    RefreshToken {
        /// The refresh token to trade next.
        current: Mutex<Secret>,
        on_rotated: Option<RotationCallback>,
    },
}

impl EntraProvider {
    fn access_token(&self) -> Result<AccessToken, AuthError> {
        self.cache.get(|| self.fetch())
    }

    fn fetch(&self) -> Result<Fetched, AuthError> {
        let mut form = vec![("client_id", self.client_id.as_str())];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.0.as_str()));
        }
        form.push(("scope", self.scope.as_str()));
        let refresh_token;
        match &self.grant {
            Grant::ClientCredentials => form.push(("grant_type", "client_credentials")),
            Grant::RefreshToken { current, .. } => {
                refresh_token = current
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                form.push(("grant_type", "refresh_token"));
                form.push(("refresh_token", refresh_token.0.as_str()));
            }
        }
        let answer = self.endpoint.request(&form_encode(&form))?;
        if let (
            Grant::RefreshToken {
                current,
                on_rotated,
            },
            Some(new),
        ) = (&self.grant, answer.refresh_token)
        {
            let rotated = {
                let mut current = current.lock().unwrap_or_else(PoisonError::into_inner);
                let rotated = current.0 != new;
                current.0.clone_from(&new);
                rotated
            };
            if rotated {
                log::info!(target: LOG_TARGET, "the refresh token was rotated");
                if let Some(callback) = on_rotated {
                    callback(&new);
                }
            }
        }
        Ok(Fetched {
            token: answer.access_token,
            expires_in: answer.expires_in,
        })
    }

    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct(name);
        out.field("token_endpoint", &self.endpoint.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scope", &self.scope);
        if let Grant::RefreshToken { on_rotated, .. } = &self.grant {
            out.field("refresh_token", &"<redacted>")
                .field("on_refresh_token_rotated", &on_rotated.is_some());
        }
        out.field("refresh_margin", &self.cache.margin())
            .field("retry", &self.endpoint.retry)
            .finish_non_exhaustive()
    }
}

/// The form-encoded `application/x-www-form-urlencoded` body of `fields`.
fn form_encode(fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        if !body.is_empty() {
            body.push('&');
        }
        push_percent_encoded(&mut body, name);
        body.push('=');
        push_percent_encoded(&mut body, value);
    }
    body
}

/// The token endpoint and how to talk to it.
struct TokenEndpoint {
    url: String,
    agent: ureq::Agent,
    retry: RetryPolicy,
}

/// A token response, checked.
struct Answer {
    access_token: AccessToken,
    expires_in: Option<Duration>,
    refresh_token: Option<String>,
}

/// The token response's fields that matter here. `expires_in` comes as a
/// number from v2 and as a string from v1, so both are read.
#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
}

/// Seconds given as a JSON number or a string of digits.
pub(crate) fn seconds(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(number) => number.as_u64().or_else(|| {
            number
                .as_f64()
                .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                .map(|seconds| seconds as u64)
        }),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// How a failed token request ended, for the log.
fn describe(error: &AuthError) -> String {
    match error {
        AuthError::Rejected(rejected) => format!("HTTP {}", rejected.status()),
        _ => "failed".to_owned(),
    }
}

impl TokenEndpoint {
    /// Posts the form, retrying by the policy, until a token comes back or
    /// the request fails for good.
    fn request(&self, form: &str) -> Result<Answer, AuthError> {
        let url = &self.url;
        let outcome = self.retry.run(
            |attempt| {
                let started = Instant::now();
                let result = self.attempt(form);
                log::debug!(
                    target: LOG_TARGET,
                    "token request to {url}: {} in {:.1?} (attempt {attempt})",
                    result.as_ref().map_or_else(describe, |_| "a token".to_owned()),
                    started.elapsed(),
                );
                result
            },
            |error| match error {
                AuthError::Transport { kind, .. } => {
                    (classify_transport(*kind).is_retryable(), None)
                }
                AuthError::Rejected(rejected) => (rejected.is_retryable(), rejected.retry_after()),
                _ => (false, None),
            },
            |error, attempt, wait| {
                log::info!(
                    target: LOG_TARGET,
                    "token request to {url}: retrying in {wait:?} after attempt {attempt}: {}",
                    describe(error),
                );
            },
        );
        outcome.map_err(|stop| match stop {
            Stop::GiveUp(error) => error,
            Stop::RetryAfterTooLong {
                error: AuthError::Rejected(rejected),
                asked,
                cap,
            } => AuthError::RetryAfterTooLong {
                retry_after: asked,
                cap,
                error: rejected,
            },
            Stop::RetryAfterTooLong { error, .. } => error,
            // Token requests run without a deadline, so they always end
            // with an error of their own.
            Stop::OutOfTime(error) => error.unwrap_or_else(|| AuthError::Transport {
                url: url.to_owned(),
                kind: TransportErrorKind::Timeout,
                source: Arc::new(std::io::Error::from(std::io::ErrorKind::TimedOut)),
            }),
        })
    }

    /// Makes one attempt.
    fn attempt(&self, form: &str) -> Result<Answer, AuthError> {
        let transport = |error: ureq::Error| AuthError::Transport {
            url: self.url.clone(),
            kind: transport_kind(&error),
            source: Arc::new(error),
        };
        let request = http::Request::post(self.url.as_str())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.as_bytes())
            .map_err(|error| transport(ureq::Error::Http(error)))?;
        let response =
            exchange(&self.agent, request, None, MAX_RESPONSE_BYTES).map_err(|failure| {
                match failure {
                    ReadFailure::TooLarge { .. } => AuthError::InvalidResponse {
                        problem: format!("it is larger than {MAX_RESPONSE_BYTES} bytes"),
                        source: None,
                    },
                    ReadFailure::Unanswered(error) | ReadFailure::Broken { error, .. } => {
                        transport(error)
                    }
                }
            })?;
        if !response.is_success() {
            let retry_after = response
                .header("retry-after")
                .and_then(|value| parse_retry_after(value, SystemTime::now()));
            return Err(AuthError::Rejected(Box::new(EntraError::from_response(
                response.status,
                retry_after,
                &response.body,
            ))));
        }
        let (status, bytes) = (response.status, response.body);
        let invalid = |problem: String| AuthError::InvalidResponse {
            problem,
            source: None,
        };
        let body: TokenBody = serde_json::from_slice(strip_bom(&bytes)).map_err(|error| {
            AuthError::InvalidResponse {
                problem: format!("the HTTP {status} body is not a token response"),
                source: Some(Arc::new(error)),
            }
        })?;
        if let Some(kind) = body
            .token_type
            .as_deref()
            .filter(|kind| !kind.eq_ignore_ascii_case("bearer"))
        {
            return Err(invalid(format!(
                "its token type is {:?}, not Bearer",
                snippet(kind, 40)
            )));
        }
        let access_token = body
            .access_token
            .filter(|token| !token.is_empty())
            .ok_or_else(|| invalid("it has no access_token".to_owned()))?;
        Ok(Answer {
            access_token: AccessToken::new(access_token),
            expires_in: body
                .expires_in
                .as_ref()
                .and_then(seconds)
                .map(Duration::from_secs),
            refresh_token: body.refresh_token.filter(|token| !token.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_all_but_unreserved_characters() {
        assert_eq!(
            form_encode(&[
                ("grant_type", "client_credentials"),
                ("scope", "https://x.example/.default openid"),
                ("client_secret", "a+b/c=d&e~f_g-h.i%ü"),
            ]),
            "grant_type=client_credentials\
             &scope=https%3A%2F%2Fx.example%2F.default%20openid\
             &client_secret=a%2Bb%2Fc%3Dd%26e~f_g-h.i%25%C3%BC"
        );
        assert_eq!(form_encode(&[]), "");
    }

    #[test]
    fn seconds_read_numbers_and_strings() {
        use serde_json::json;
        assert_eq!(seconds(&json!(3599)), Some(3599));
        assert_eq!(seconds(&json!("3599")), Some(3599));
        assert_eq!(seconds(&json!(" 60 ")), Some(60));
        assert_eq!(seconds(&json!(12.7)), Some(12));
        for bad in [json!(-1), json!("soon"), json!(null), json!([1])] {
            assert_eq!(seconds(&bad), None, "{bad}");
        }
    }

    #[test]
    fn tenants_are_ids_or_domain_names() {
        for good in [
            "28045616-f6b9-462f-9701-0d89b5e65c44",
            "contoso.onmicrosoft.com",
            "organizations",
        ] {
            assert!(is_tenant(good), "{good}");
        }
        for bad in ["", "a/b", "a?b", "a b", "..", "x%2F", "ténant"] {
            assert!(!is_tenant(bad), "{bad}");
        }
    }

    #[test]
    fn builds_check_their_settings() {
        let builder = || ClientCredentialsProvider::builder("contoso.com", "app", "secret");
        assert!(builder().build().is_ok());
        // Duration::MAX means no timeout.
        assert!(builder().timeout(Duration::MAX).build().is_ok());
        assert!(builder().connect_timeout(Duration::MAX).build().is_ok());
        let bad = [
            builder().authority("http://login.example"),
            builder().authority("https://login.example/?x=1"),
            ClientCredentialsProvider::builder("a/b", "app", "secret"),
            ClientCredentialsProvider::builder("t", "", "secret"),
            ClientCredentialsProvider::builder("t", "app", ""),
            builder().resource("has space"),
            builder().timeout(Duration::ZERO),
            builder().timeout(Duration::from_secs(24 * 60 * 60 + 1)),
            builder().connect_timeout(Duration::MAX - Duration::from_secs(1)),
            builder().proxy(Proxy::url("::not a proxy::")),
        ];
        for builder in bad {
            let text = format!("{builder:?}");
            let error = builder.build().unwrap_err();
            assert!(
                matches!(error, AuthError::InvalidConfig(_)),
                "{text}: {error}"
            );
        }
        let error = RefreshTokenProvider::builder("t", "app", "secret", "  ")
            .build()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid token provider configuration: the refresh token is empty"
        );
    }

    #[test]
    fn scopes_follow_the_resource_and_the_grant() {
        let provider = ClientCredentialsProvider::builder("t", "app", "secret")
            .cloud(Cloud::China)
            .build()
            .unwrap();
        assert_eq!(
            provider.inner.scope,
            "https://partner.partnercenterapi.microsoftonline.cn/.default"
        );
        assert_eq!(
            provider.inner.endpoint.url,
            "https://login.partner.microsoftonline.cn/t/oauth2/v2.0/token"
        );
        let provider = RefreshTokenProvider::builder("t", "app", "secret", "rt")
            .cloud(Cloud::UsGov)
            .build()
            .unwrap();
        assert_eq!(
            provider.inner.scope,
            "https://api.partnercenter.microsoft.com/user_impersonation offline_access"
        );
        assert!(
            provider
                .inner
                .endpoint
                .url
                .starts_with("https://login.microsoftonline.us/t/")
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let builder = RefreshTokenProvider::builder("t", "app", "hunter2-secret", "rt-0.AXYZ");
        let text = format!("{builder:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("AXYZ"),
            "{text}"
        );
        let provider = builder.build().unwrap();
        let text = format!("{provider:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("AXYZ"),
            "{text}"
        );
        assert!(text.contains("app"), "{text}");
    }
}
