//! Client configuration: the builder, its checks and defaults.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::Uri;
use uuid::Uuid;

use crate::auth::env::Lookup;
use crate::client::Client;
use crate::cloud::Cloud;
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::token::TokenProvider;
use crate::transport::Transport;

/// The name this crate gives itself in `MS-PartnerCenter-Client`.
pub(crate) const CLIENT_NAME: &str = "partner-center-cart";

/// The `User-Agent` of every request.
const USER_AGENT: &str = concat!("partner-center-cart/", env!("CARGO_PKG_VERSION"));

/// The default per-attempt timeout: as long as the official SDK waits for a
/// checkout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(180);

/// The default timeout for opening a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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

/// The default cap on a response body: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// The default byte budget of one list call, all its pages together: 64 MiB,
/// four bodies at the default response cap, or tens of thousands of orders.
pub const DEFAULT_MAX_LIST_BYTES: u64 = 64 * 1024 * 1024;

/// Whether and how requests go through an HTTP proxy.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Proxy(ProxyKind);

#[derive(Clone, PartialEq, Eq, Default)]
enum ProxyKind {
    #[default]
    Environment,
    Off,
    Url(String),
}

impl Proxy {
    /// Use the proxy named by the first of `HTTPS_PROXY`, `ALL_PROXY` and
    /// `HTTP_PROXY` (each before its lowercase form) that is set, unless the
    /// host is in `NO_PROXY` (or `no_proxy`): the default. A variable that
    /// is not UTF-8 or whose URL cannot be used is skipped with a warning
    /// that names it. When a proxy is set but `NO_PROXY` is not UTF-8,
    /// [`ClientBuilder::build`] refuses rather than ignore the exemptions
    /// (and [`Client::new`] connects directly, with a warning). A loopback
    /// base URL never goes through a proxy from the environment.
    pub fn from_environment() -> Self {
        Proxy(ProxyKind::Environment)
    }

    /// Connect directly, whatever the environment says.
    pub fn none() -> Self {
        Proxy(ProxyKind::Off)
    }

    /// Use this proxy: `http://`, `https://`, `socks4://`, `socks4a://`,
    /// `socks5://` (the proxy gets the resolved address) or `socks5h://`
    /// (the proxy resolves the name), such as `http://proxy.example:3128`
    /// or `socks5://127.0.0.1:1080`. Credentials may go in the URL as
    /// `user:password@`, with any `/`, `?`, `#` or `@` in them
    /// percent-encoded; the URL has no path, query or fragment.
    pub fn url(url: impl Into<String>) -> Self {
        Proxy(ProxyKind::Url(url.into()))
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            ProxyKind::Environment => f.write_str("Proxy::FromEnvironment"),
            ProxyKind::Off => f.write_str("Proxy::None"),
            ProxyKind::Url(url) => write!(f, "Proxy::Url({:?})", redact_userinfo(url)),
        }
    }
}

/// Hides the credentials of a URL such as `http://user:secret@host`.
///
/// It errs on the side of hiding: when the authority (up to the first `/`,
/// `?` or `#`) has no `@` but the rest of the URL has one, as in
/// `http://user:pa/ss@host`, everything up to the last `@` is hidden too,
/// since a careless parser could read the part before it as credentials.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let rest_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[rest_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@').or_else(|| rest.rfind('@'));
    match at {
        Some(at) => format!("{}<redacted>@{}", &url[..rest_start], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Checks a proxy URL and makes the agent's proxy of it.
fn parse_proxy(url: &str) -> Result<ureq::Proxy, Error> {
    let invalid =
        |why: &str| Error::InvalidConfig(format!("proxy URL {:?} {why}", redact_userinfo(url)));
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    if rest.trim_end_matches('/').contains(['/', '?', '#']) {
        return Err(invalid(
            "must be scheme://[user:password@]host[:port], with any /, ?, # or @ in the credentials percent-encoded",
        ));
    }
    ureq::Proxy::new(url).map_err(|_| invalid("is not valid"))
}

/// The variables a proxy is read from, in this order; the first one set
/// to a usable URL wins.
const PROXY_VARIABLES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "HTTP_PROXY",
    "http_proxy",
];

/// The proxy the environment names for requests to `url`, if any, with the
/// variables read through `lookup`.
///
/// A proxy variable that is not UTF-8 or holds no usable URL is skipped
/// with a warning that names it. A `NO_PROXY` that is not UTF-8 is an
/// error when a proxy is set, since the hosts it exempts cannot be known.
fn proxy_from_env(lookup: Lookup<'_>, url: &str) -> Result<Option<ureq::Proxy>, Error> {
    let Some(host) = url
        .parse::<Uri>()
        .ok()
        .and_then(|uri| uri.host().map(str::to_owned))
    else {
        return Ok(None);
    };
    let no_proxy = no_proxy_list(lookup);
    if let Ok(Some(list)) = &no_proxy
        && no_proxy_covers(list, &host)
    {
        return Ok(None);
    }
    let Some(proxy) = PROXY_VARIABLES
        .into_iter()
        .find_map(|name| proxy_in(lookup, name))
    else {
        return Ok(None);
    };
    no_proxy?;
    Ok(Some(proxy))
}

/// The proxy the variable `name` names; `None` when it is unset or blank,
/// and, with a warning that names it, when it is not UTF-8 or not a usable
/// proxy URL.
fn proxy_in(lookup: Lookup<'_>, name: &str) -> Option<ureq::Proxy> {
    let value = lookup(name)?;
    let proxy = match value.to_str().map(str::trim) {
        Some("") => return None,
        Some(text) => parse_proxy(text).map_err(|error| error.to_string()),
        None => Err("it is not valid UTF-8".to_owned()),
    };
    proxy
        .map_err(|problem| {
            log::warn!(target: crate::logging::LOG_TARGET, "ignoring the environment variable {name}: {problem}");
        })
        .ok()
}

/// The value of the first of `NO_PROXY` and `no_proxy` that is set.
///
/// # Errors
///
/// [`Error::InvalidConfig`] naming the variable when it is not UTF-8.
fn no_proxy_list(lookup: Lookup<'_>) -> Result<Option<String>, Error> {
    let Some((name, value)) = ["NO_PROXY", "no_proxy"]
        .into_iter()
        .find_map(|name| lookup(name).map(|value| (name, value)))
    else {
        return Ok(None);
    };
    value.into_string().map(Some).map_err(|_| {
        Error::InvalidConfig(format!(
            "the environment variable {name} is not valid UTF-8, so the hosts it exempts from \
             the proxy cannot be known: fix or unset it, or choose Proxy::none() or Proxy::url"
        ))
    })
}

/// Whether a `NO_PROXY` list (comma-separated; `*` for every host; a name
/// covers itself and its subdomains, with or without a leading `.` or
/// `*.`; ports are ignored) covers `host`.
fn no_proxy_covers(list: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let name = match entry.strip_prefix('[') {
            Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
            None if entry.matches(':').count() == 1 => entry.split(':').next().unwrap_or_default(),
            None => entry,
        };
        let name = name
            .trim_start_matches("*.")
            .trim_start_matches('.')
            .to_ascii_lowercase();
        !name.is_empty()
            && (host == name
                || host
                    .strip_suffix(name.as_str())
                    .is_some_and(|start| start.ends_with('.')))
    })
}

/// What a built client sends and how; fixed once built.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `scheme://host[:port][/prefix]`, with no trailing slash.
    pub(crate) base_url: String,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) locale: String,
    pub(crate) application_name: Option<String>,
    pub(crate) correlation_id: Option<Uuid>,
    pub(crate) max_response_bytes: u64,
    /// The byte budget of one list call, all its pages together.
    pub(crate) max_list_bytes: u64,
    /// How long one list call may take, all its pages and retries together;
    /// `Duration::MAX`: no limit.
    pub(crate) list_timeout: Duration,
    pub(crate) proxy: Proxy,
    /// The proxy the agent was given for the base URL, credentials hidden.
    pub(crate) proxy_in_use: Option<String>,
}

impl Settings {
    /// The HTTP agent's configuration.
    fn agent_config(&self, proxy: Option<ureq::Proxy>) -> ureq::config::Config {
        agent_config(
            self.application_name.as_deref(),
            &self.base_url,
            self.connect_timeout,
            self.timeout,
            proxy,
        )
    }

    /// The proxy for the agent.
    fn agent_proxy(&self) -> Result<Option<ureq::Proxy>, Error> {
        agent_proxy(&self.proxy, &self.base_url)
    }
}

/// The configuration of an HTTP agent of this crate: no redirects, statuses
/// as responses rather than errors, JSON accepted.
///
/// Timeouts are set per phase (connect, then send and receive each bounded
/// by `timeout`) rather than as ureq's single global deadline, which costs
/// several times as much per call; see the README.
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

/// The proxy for an agent that sends to `url`: none from the environment
/// when `url` is on loopback.
pub(crate) fn agent_proxy(proxy: &Proxy, url: &str) -> Result<Option<ureq::Proxy>, Error> {
    match &proxy.0 {
        ProxyKind::Off => Ok(None),
        ProxyKind::Environment if is_loopback_url(url) => Ok(None),
        ProxyKind::Environment => proxy_from_env(&|name| std::env::var_os(name), url),
        ProxyKind::Url(url) => parse_proxy(url).map(Some),
    }
}

/// The proxy as `scheme://host:port`, credentials hidden. (`NO_PROXY` was
/// applied before: a base URL it covers gets no proxy at all.)
fn describe_proxy(proxy: &ureq::Proxy) -> String {
    let scheme = proxy.uri().scheme_str().unwrap_or("http");
    let credentials = if proxy.username().is_some() {
        "<redacted>@"
    } else {
        ""
    };
    format!("{scheme}://{credentials}{}:{}", proxy.host(), proxy.port())
}

/// Builds a [`Client`] with settings other than the defaults.
///
/// ```
/// use std::time::Duration;
/// use partner_center_cart::{Client, Cloud, RetryPolicy};
///
/// # fn main() -> Result<(), partner_center_cart::Error> {
/// let client = Client::builder(|| std::env::var("PARTNER_CENTER_TOKEN"))
///     .cloud(Cloud::Global)
///     .timeout(Duration::from_secs(120))
///     .retry_policy(RetryPolicy::default().max_attempts(5))
///     .application_name("contoso-sync")
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub struct ClientBuilder {
    provider: Arc<dyn TokenProvider>,
    settings: Settings,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    pub(crate) fn new(provider: Arc<dyn TokenProvider>) -> Self {
        ClientBuilder {
            provider,
            settings: Settings {
                base_url: Cloud::Global.api_base_url().to_owned(),
                timeout: DEFAULT_TIMEOUT,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                retry: RetryPolicy::default(),
                locale: "en-US".to_owned(),
                application_name: None,
                correlation_id: None,
                max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                max_list_bytes: DEFAULT_MAX_LIST_BYTES,
                list_timeout: Duration::MAX,
                proxy: Proxy::default(),
                proxy_in_use: None,
            },
        }
    }

    /// A builder set up from environment variables, as
    /// [`Client::from_env`] describes, read through `lookup`.
    pub(crate) fn from_lookup(lookup: crate::auth::env::Lookup<'_>) -> Result<Self, Error> {
        use crate::auth::env;
        let provider = env::provider_from(lookup)?;
        let mut builder = ClientBuilder::new(Arc::from(provider)).cloud(env::cloud(lookup)?);
        if let Some(url) = env::var(lookup, env::BASE_URL)? {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// Sets the API's base URL, without `/v1`. It must use `https`; plain
    /// `http` is accepted only for loopback hosts (`127.0.0.0/8`, `::1`,
    /// `localhost`), for tests. Defaults to the global cloud's.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.settings.base_url = url.into();
        self
    }

    /// Sets the base URL to a cloud's API.
    pub fn cloud(self, cloud: Cloud) -> Self {
        self.base_url(cloud.api_base_url())
    }

    /// Sets the timeout of each phase of an attempt: sending the request,
    /// waiting for the response, reading its body. Defaults to 3 minutes, as
    /// long as the official SDK waits for a checkout; at most a day, or
    /// `Duration::MAX` for none.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// Sets the timeout for looking up the host's name and, apart, for
    /// opening a connection (TCP, proxy and TLS set-up). Defaults to 10
    /// seconds; at most a day, or `Duration::MAX` for none.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Sets the retry policy. Defaults to [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// Sets `X-Locale`, the language of the service's messages. Defaults to
    /// `en-US`.
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.settings.locale = locale.into();
        self
    }

    /// Names the calling application in `MS-PartnerCenter-Application` and
    /// the `User-Agent`.
    pub fn application_name(mut self, name: impl Into<String>) -> Self {
        self.settings.application_name = Some(name.into());
        self
    }

    /// Sends this `MS-CorrelationId` with every call, to tie a whole job
    /// together in Microsoft's logs. By default each call gets a new one.
    pub fn correlation_id(mut self, id: uuid::Uuid) -> Self {
        self.settings.correlation_id = Some(id);
        self
    }

    /// Sets the largest response body the client reads, in bytes. A larger
    /// body is refused with [`Error::ResponseTooLarge`] without being read
    /// whole. Defaults to 16 MiB.
    ///
    /// It bounds memory too: a body within the cap that could take more
    /// than 32 times the cap once decoded (many empty objects, say) is
    /// refused with [`Error::ResponseTooDense`] before it is decoded. So a
    /// call holds at most about 17 times the cap: the body and what it
    /// becomes.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.settings.max_response_bytes = limit;
        self
    }

    /// Sets the byte budget of one list call, all its pages together: past
    /// it, or past 32 times it in decoded memory, the list ends with
    /// [`Error::ListTooLarge`]. Each page is also held to
    /// [`max_response_bytes`](Self::max_response_bytes), and a list reads
    /// at most 1000 pages. Defaults to [`DEFAULT_MAX_LIST_BYTES`] (64 MiB).
    pub fn max_list_bytes(mut self, limit: u64) -> Self {
        self.settings.max_list_bytes = limit;
        self
    }

    /// Sets how long one list call (such as
    /// [`Client::list_orders`](crate::Client::list_orders)) may take, all
    /// its pages and their retries together: no page or retry starts after
    /// it, no backoff runs past it, and a request under way gets only the
    /// time left. Past it, the list ends with [`Error::ListTimedOut`].
    /// Defaults to `Duration::MAX`: no limit but the per-request
    /// [`timeout`](Self::timeout)s.
    pub fn list_timeout(mut self, timeout: Duration) -> Self {
        self.settings.list_timeout = timeout;
        self
    }

    /// Sets whether and how to use an HTTP proxy. Defaults to
    /// [`Proxy::from_environment`].
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.settings.proxy = proxy;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] when the base URL is not `https` (or `http`
    /// to loopback), or is `https` in a build without a TLS feature, when the locale or application name cannot go in an HTTP
    /// header, when a timeout is zero or longer than a day (but not
    /// `Duration::MAX`, which means none), when the response cap or the
    /// list budget is zero, when the proxy URL is not valid, or when a
    /// proxy from the environment is set but `NO_PROXY` is not UTF-8.
    pub fn build(mut self) -> Result<Client, Error> {
        let settings = &mut self.settings;
        settings.base_url = check_base_url(&settings.base_url)?;
        check_tls_built_in(&settings.base_url)?;
        check_header_text("locale", &settings.locale)?;
        if let Some(name) = &settings.application_name {
            check_header_text("application name", name)?;
        }
        if ![
            settings.timeout,
            settings.connect_timeout,
            settings.list_timeout,
        ]
        .into_iter()
        .all(timeout_ok)
        {
            return Err(Error::InvalidConfig(TIMEOUT_RULE.into()));
        }
        if settings.max_response_bytes == 0 {
            return Err(Error::InvalidConfig(
                "the response cap must be at least one byte".into(),
            ));
        }
        if settings.max_list_bytes == 0 {
            return Err(Error::InvalidConfig(
                "the list budget must be at least one byte".into(),
            ));
        }
        let proxy = settings.agent_proxy()?;
        Ok(self.finish(proxy))
    }

    /// Builds the client from settings known to be valid.
    pub(crate) fn finish(mut self, proxy: Option<ureq::Proxy>) -> Client {
        self.settings.proxy_in_use = proxy.as_ref().map(describe_proxy);
        let agent = self.settings.agent_config(proxy).into();
        Client::from_transport(Transport::new(agent, self.settings, self.provider))
    }

    /// Builds the client with the default settings, which are valid. When
    /// the proxy from the environment cannot be used (`NO_PROXY` is not
    /// UTF-8), it connects directly, which honours every exemption, and
    /// says so in a warning.
    pub(crate) fn build_default(self) -> Client {
        let proxy = self.settings.agent_proxy().unwrap_or_else(|error| {
            log::warn!(target: crate::logging::LOG_TARGET, "connecting without a proxy: {error}");
            None
        });
        self.finish(proxy)
    }
}

/// Checks a base URL and returns it without a trailing slash.
pub(crate) fn check_base_url(url: &str) -> Result<String, Error> {
    check_url("base URL", url)
}

/// Refuses an `https` base URL in a build without a TLS stack, naming the
/// features that add one, instead of letting every call fail as a TLS error.
fn check_tls_built_in(url: &str) -> Result<(), Error> {
    let has_tls = cfg!(any(feature = "rustls", feature = "native-tls"));
    let is_https = url
        .get(..6)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https:"));
    if has_tls || !is_https {
        return Ok(());
    }
    Err(Error::InvalidConfig(format!(
        "base URL {url:?} uses https, but this build has no TLS: enable the \
         `rustls` (default) or `native-tls` feature of partner-center-cart"
    )))
}

/// Checks a URL to send to, called `what` in errors: `https`, or `http` to
/// loopback, with a host and no credentials, query or fragment. Returns it
/// without a trailing slash.
pub(crate) fn check_url(what: &str, url: &str) -> Result<String, Error> {
    let url = url.trim().trim_end_matches('/');
    let invalid = |why: &str| Error::InvalidConfig(format!("{what} {url:?} {why}"));
    let uri: Uri = url.parse().map_err(|_| invalid("is not a valid URL"))?;
    let host = uri
        .host()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| invalid("has no host"))?;
    if uri.query().is_some() || url.contains('#') {
        return Err(invalid("must not have a query or fragment"));
    }
    if uri
        .authority()
        .is_some_and(|authority| authority.as_str().contains('@'))
    {
        return Err(invalid("must not hold credentials"));
    }
    match uri.scheme_str() {
        Some("https") => Ok(url.to_owned()),
        Some("http") if is_loopback_host(host) => Ok(url.to_owned()),
        Some("http") => Err(invalid(
            "must use https; plain http is allowed only to loopback",
        )),
        _ => Err(invalid("must start with https://")),
    }
}

pub(crate) fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host_ip(host).is_some_and(|ip| ip.is_loopback())
}

/// The IP address a URL's host is, brackets of an IPv6 one removed; `None`
/// for a host name.
fn host_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Whether reaching `url` means looking up a name: its host is not an IP
/// address, or a proxy stands between.
fn looks_up_names(url: &str, through_proxy: bool) -> bool {
    through_proxy
        || url
            .parse::<Uri>()
            .ok()
            .and_then(|uri| uri.host().and_then(host_ip))
            .is_none()
}

pub(crate) fn is_loopback_url(url: &str) -> bool {
    url.parse::<Uri>()
        .ok()
        .and_then(|uri| uri.host().map(is_loopback_host))
        .unwrap_or(false)
}

/// Checks text that goes in a header: not empty, visible ASCII and spaces,
/// at most 256 bytes.
pub(crate) fn check_header_text(what: &str, value: &str) -> Result<(), Error> {
    let ok = !value.trim().is_empty() && value.len() <= 256 && crate::text::is_header_text(value);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidConfig(format!(
            "the {what} must be 1 to 256 characters of visible ASCII"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_https_or_loopback_http() {
        for good in [
            "https://api.partnercenter.microsoft.com",
            "https://api.partnercenter.microsoft.com/",
            "https://gateway.example/partner-center",
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://[::1]:9000/",
            "http://localhost:1234",
            "http://LOCALHOST",
        ] {
            let checked = check_base_url(good).unwrap_or_else(|e| panic!("{good}: {e}"));
            assert!(!checked.ends_with('/'), "{checked}");
        }
        for bad in [
            "",
            "api.partnercenter.microsoft.com",
            "http://api.partnercenter.microsoft.com",
            "http://10.0.0.1",
            "http://localhost.evil.example",
            "ftp://127.0.0.1",
            "https://user:pw@api.partnercenter.microsoft.com",
            "https://api.partnercenter.microsoft.com/?x=1",
            "https://api.partnercenter.microsoft.com/#x",
            "https://",
            "https://exa mple.com",
        ] {
            let err = check_base_url(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidConfig(_)), "{bad}");
        }
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_url("http://127.0.0.1:1"));
        assert!(is_loopback_url("http://[::1]:1"));
        assert!(is_loopback_url("http://localhost"));
        assert!(!is_loopback_url("https://api.partnercenter.microsoft.com"));
        assert!(!is_loopback_url("http://[::2]"));
    }

    #[test]
    fn proxy_debug_hides_credentials() {
        let proxy = Proxy::url("http://user:hunter2@proxy.example:3128/path@x");
        let text = format!("{proxy:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("proxy.example:3128"), "{text}");
        assert_eq!(
            redact_userinfo("socks5://127.0.0.1:1080"),
            "socks5://127.0.0.1:1080"
        );
    }

    // The clouds' URLs are https, which a build without TLS refuses.
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    #[test]
    fn the_environment_sets_provider_cloud_and_base_url() {
        use crate::auth::env::{BASE_URL, CLOUD, TOKEN, lookup_in};
        let built = |vars: &[(&str, &str)]| {
            ClientBuilder::from_lookup(&lookup_in(vars)).and_then(ClientBuilder::build)
        };
        let client = built(&[(TOKEN, "t")]).unwrap();
        assert_eq!(client.base_url(), Cloud::Global.api_base_url());
        let client = built(&[(TOKEN, "t"), (CLOUD, "china")]).unwrap();
        assert_eq!(client.base_url(), Cloud::China.api_base_url());
        let client = built(&[
            (TOKEN, "t"),
            (CLOUD, "china"),
            (BASE_URL, "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
        assert!(matches!(
            built(&[(TOKEN, "t"), (BASE_URL, "http://example.com")]),
            Err(Error::InvalidConfig(message)) if message.contains("https")
        ));
        match built(&[(BASE_URL, "http://127.0.0.1:9")]) {
            Err(error @ Error::Auth(_)) => assert!(error.to_string().contains(TOKEN), "{error}"),
            other => panic!("{other:?}"),
        }
    }

    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    #[test]
    fn a_build_without_tls_refuses_https_naming_the_features() {
        let builder = || Client::builder(|| Ok::<_, std::io::Error>("t"));
        match builder()
            .base_url("https://api.partnercenter.microsoft.com")
            .build()
        {
            Err(Error::InvalidConfig(message)) => assert!(
                message.contains("no TLS")
                    && message.contains("`rustls`")
                    && message.contains("`native-tls`"),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
        let client = builder().base_url("http://127.0.0.1:9").build().unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn proxy_credentials_stay_hidden_however_the_url_is_cut() {
        for (url, shown) in [
            (
                "http://user:PW/x@proxy:3128",
                "http://<redacted>@proxy:3128",
            ),
            (
                "http://user:PW?x@proxy:3128",
                "http://<redacted>@proxy:3128",
            ),
            (
                "http://user:PW#x@proxy:3128",
                "http://<redacted>@proxy:3128",
            ),
            (
                "socks5://user:PW@127.0.0.1:1080",
                "socks5://<redacted>@127.0.0.1:1080",
            ),
            ("user:PW@proxy:3128", "<redacted>@proxy:3128"),
        ] {
            assert_eq!(redact_userinfo(url), shown, "{url}");
            let proxy = Proxy::url(url);
            let builder =
                crate::Client::builder(|| Ok::<_, std::io::Error>("t")).proxy(proxy.clone());
            for text in [format!("{proxy:?}"), format!("{builder:?}")] {
                assert!(!text.contains("PW"), "{text}");
            }
        }
        // Such a URL is refused, and the refusal does not quote the secret.
        let error = crate::Client::builder(|| Ok::<_, std::io::Error>("t"))
            .proxy(Proxy::url("http://user:PW/x@proxy:3128"))
            .build()
            .unwrap_err();
        assert!(matches!(error, Error::InvalidConfig(_)), "{error}");
        assert!(!error.to_string().contains("PW"), "{error}");
        // Percent-encoded, the same credentials are fine.
        assert!(parse_proxy("http://user:P%2FW@proxy:3128").is_ok());
        assert!(parse_proxy("http://proxy:3128/").is_ok());
    }

    #[test]
    fn socks_proxies_are_accepted() {
        for url in [
            "socks4://127.0.0.1:1080",
            "socks4a://127.0.0.1:1080",
            "socks5://user:pw@127.0.0.1:1080",
            "socks5h://proxy.example:1080",
            "socks://127.0.0.1",
        ] {
            assert!(parse_proxy(url).is_ok(), "{url}");
        }
        assert!(parse_proxy("ftp://127.0.0.1:21").is_err());
    }

    #[test]
    fn no_proxy_lists_cover_hosts_and_their_subdomains() {
        let host = "api.partnercenter.microsoft.com";
        for list in [
            "*",
            "microsoft.com",
            ".microsoft.com",
            "*.microsoft.com",
            "example.com, API.PartnerCenter.Microsoft.com:443",
            "partnercenter.microsoft.com",
        ] {
            assert!(no_proxy_covers(list, host), "{list}");
        }
        for list in [
            "",
            "soft.com",
            "example.com,,",
            "api.partnercenter.microsoft.com.evil",
        ] {
            assert!(!no_proxy_covers(list, host), "{list}");
        }
        assert!(no_proxy_covers("[::1]:8080", "[::1]"));
        assert!(no_proxy_covers("10.1.2.3", "10.1.2.3"));
    }

    #[test]
    fn timeouts_of_duration_max_mean_none() {
        let config = agent_config(
            None,
            "https://api.partnercenter.microsoft.com",
            Duration::MAX,
            Duration::MAX,
            None,
        );
        let timeouts = config.timeouts();
        assert_eq!((timeouts.resolve, timeouts.connect), (None, None));
        assert_eq!((timeouts.recv_response, timeouts.recv_body), (None, None));
        let builder = || {
            crate::Client::builder(|| Ok::<_, std::io::Error>("t")).base_url("http://127.0.0.1:9")
        };
        assert!(
            builder()
                .timeout(Duration::MAX)
                .connect_timeout(Duration::MAX)
                .build()
                .is_ok()
        );
        for timeout in [Duration::ZERO, MAX_TIMEOUT + Duration::from_nanos(1)] {
            let error = builder().timeout(timeout).build().unwrap_err();
            assert!(
                error.to_string().contains("Duration::MAX for none"),
                "{error}"
            );
        }
    }

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

    #[test]
    fn header_text_checks() {
        assert!(check_header_text("locale", "en-US").is_ok());
        assert!(check_header_text("application name", "Contoso Sync 2.0").is_ok());
        for bad in ["", " ", "en\r\nX: y", "svenska-å", &"x".repeat(257)] {
            assert!(check_header_text("locale", bad).is_err(), "{bad:?}");
        }
    }

    /// A lookup in a table of variables that may not be UTF-8.
    fn table(
        vars: Vec<(&'static str, std::ffi::OsString)>,
    ) -> impl Fn(&str) -> Option<std::ffi::OsString> {
        move |name| {
            vars.iter()
                .find(|(set, _)| *set == name)
                .map(|(_, value)| value.clone())
        }
    }

    #[cfg(unix)]
    fn not_utf8() -> std::ffi::OsString {
        use std::os::unix::ffi::OsStringExt;
        std::ffi::OsString::from_vec(b"http://127.0.0.1:3128\xff".to_vec())
    }

    const REMOTE: &str = "https://api.partnercenter.microsoft.com";

    fn proxy_host(lookup: Lookup<'_>, url: &str) -> Result<Option<String>, Error> {
        proxy_from_env(lookup, url).map(|proxy| proxy.map(|proxy| describe_proxy(&proxy)))
    }

    #[cfg(unix)]
    #[test]
    fn a_proxy_variable_that_is_not_utf8_is_skipped_for_the_next() {
        let lookup = table(vec![
            ("HTTPS_PROXY", not_utf8()),
            ("ALL_PROXY", "socks5://127.0.0.1:1080".into()),
        ]);
        assert_eq!(
            proxy_host(&lookup, REMOTE).unwrap().as_deref(),
            Some("socks5://127.0.0.1:1080")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_no_proxy_that_is_not_utf8_refuses_rather_than_ignores_the_exemptions() {
        let lookup = table(vec![
            ("HTTPS_PROXY", "http://127.0.0.1:3128".into()),
            ("NO_PROXY", not_utf8()),
            ("no_proxy", "*".into()),
        ]);
        let error = proxy_host(&lookup, REMOTE).unwrap_err();
        assert!(matches!(error, Error::InvalidConfig(_)), "{error:?}");
        assert!(
            error.to_string().contains("NO_PROXY is not valid UTF-8"),
            "{error}"
        );
        // Without a proxy there is nothing to exempt from.
        let lookup = table(vec![("NO_PROXY", not_utf8())]);
        assert_eq!(proxy_host(&lookup, REMOTE).unwrap(), None);
        // A readable lowercase list is used when the uppercase one is unset.
        let lookup = table(vec![
            ("HTTPS_PROXY", "http://127.0.0.1:3128".into()),
            ("no_proxy", ".microsoft.com".into()),
        ]);
        assert_eq!(proxy_host(&lookup, REMOTE).unwrap(), None);
        assert_eq!(
            proxy_host(&lookup, "https://example.net")
                .unwrap()
                .as_deref(),
            Some("http://127.0.0.1:3128")
        );
    }
}
