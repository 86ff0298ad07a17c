//! The builder of a [`Client`]: its settings, their checks and defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::Client;
use crate::auth::env;
use crate::cloud::Cloud;
use crate::error::Error;
use crate::http::url::{check_base_url, check_header_text, check_tls_built_in};
use crate::http::{Lookup, Proxy, TIMEOUT_RULE, describe_proxy, timeout_ok};
use crate::logging::LOG_TARGET;
use crate::retry::RetryPolicy;
use crate::token::TokenProvider;
use crate::transport::{Settings, Transport};

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
    /// The default per-attempt timeout: as long as the official SDK waits for a
    /// checkout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(180);

    /// The default timeout for opening a connection.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The default cap on a response body: 16 MiB.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

    /// The default byte budget of one list call, all its pages together: 64 MiB,
    /// four bodies at the default response cap, or tens of thousands of orders.
    pub const DEFAULT_MAX_LIST_BYTES: u64 = 64 * 1024 * 1024;

    /// The default [order-list lag](Self::order_list_lag): 15 minutes, the
    /// longest Partner Center is reported to take to list a new order.
    pub const DEFAULT_ORDER_LIST_LAG: Duration = Duration::from_secs(15 * 60);

    /// The longest [order-list lag](Self::order_list_lag) a client takes: a
    /// day.
    pub const MAX_ORDER_LIST_LAG: Duration = Duration::from_secs(24 * 60 * 60);

    pub(crate) fn new(provider: Arc<dyn TokenProvider>) -> Self {
        ClientBuilder {
            provider,
            settings: Settings {
                base_url: Cloud::Global.api_base_url().to_owned(),
                timeout: Self::DEFAULT_TIMEOUT,
                connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
                retry: RetryPolicy::default(),
                locale: "en-US".to_owned(),
                application_name: None,
                correlation_id: None,
                max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
                max_list_bytes: Self::DEFAULT_MAX_LIST_BYTES,
                list_timeout: Duration::MAX,
                order_list_lag: Self::DEFAULT_ORDER_LIST_LAG,
                proxy: Proxy::default(),
                proxy_in_use: None,
                max_requests_per_minute: None,
            },
        }
    }

    /// A builder set up from environment variables, as
    /// [`Client::from_env`] describes, read through `lookup`.
    pub(crate) fn from_lookup(lookup: Lookup<'_>) -> Result<Self, Error> {
        let provider = env::provider_from(lookup)?;
        let mut builder = ClientBuilder::new(Arc::from(provider)).cloud(env::cloud(lookup)?);
        if let Some(url) = env::var(lookup, env::BASE_URL)? {
            builder = builder.base_url(url);
        }
        if let Some(text) = env::var(lookup, env::ORDER_LIST_LAG)? {
            let seconds = text.parse::<u64>().map_err(|_| {
                Error::InvalidConfig(format!(
                    "{} must be a whole number of seconds, not {:?}",
                    env::ORDER_LIST_LAG,
                    crate::text::Escaped(&text)
                ))
            })?;
            builder = builder.order_list_lag(Duration::from_secs(seconds));
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
    /// call holds at most about 33 times the cap: the body and what it
    /// becomes.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.settings.max_response_bytes = limit;
        self
    }

    /// Sets the byte budget of one list call, all its pages together: past
    /// it, or past 32 times it in decoded memory, the list ends with
    /// [`Error::ListTooLarge`]. Each page is also held to
    /// [`max_response_bytes`](Self::max_response_bytes), and a list reads
    /// at most 1000 pages. Defaults to [`Self::DEFAULT_MAX_LIST_BYTES`] (64 MiB).
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

    /// Sets how long Partner Center may take to list a new order: the
    /// service can leave an order out of the customer's order list for a
    /// while after the checkout that made it. The
    /// [journal](crate::journal) reads an empty list inside this time as
    /// "not yet known", and only after it as "no order was made". Defaults
    /// to [`DEFAULT_ORDER_LIST_LAG`](Self::DEFAULT_ORDER_LIST_LAG);
    /// [`Client::from_env`] reads it, in seconds, from
    /// `PARTNER_CENTER_ORDER_LIST_LAG_SECONDS`. A shorter lag ends such a
    /// purchase sooner, at the risk of calling "not bought" an order that
    /// is only late.
    pub fn order_list_lag(mut self, lag: Duration) -> Self {
        self.settings.order_list_lag = lag;
        self
    }

    /// Sets whether and how to use an HTTP proxy. Defaults to
    /// [`Proxy::from_environment`].
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.settings.proxy = proxy;
        self
    }

    /// Caps the requests the client and its clones send, all threads
    /// together, at `requests` a minute, spaced evenly (retries and the
    /// wait's polls included), for when you know the limit Partner Center
    /// holds your tenant to (it publishes 500 a minute for order, customer
    /// and subscription resources). Without it the client sends as fast as
    /// it is asked until the first 429, then learns the rate the service
    /// allows and paces itself just under it. Zero is refused by
    /// [`build`](Self::build).
    pub fn max_requests_per_minute(mut self, requests: u32) -> Self {
        self.settings.max_requests_per_minute = Some(requests);
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
    /// list budget is zero, when the order-list lag is longer than
    /// [`MAX_ORDER_LIST_LAG`](Self::MAX_ORDER_LIST_LAG), when
    /// [`max_requests_per_minute`](Self::max_requests_per_minute) is zero,
    /// when the proxy URL is not valid, or when a
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
        if settings.order_list_lag > Self::MAX_ORDER_LIST_LAG {
            return Err(Error::InvalidConfig(format!(
                "the order-list lag must be at most a day, not {}s",
                settings.order_list_lag.as_secs()
            )));
        }
        if settings.max_requests_per_minute == Some(0) {
            return Err(Error::InvalidConfig(
                "max_requests_per_minute must be at least 1; leave it unset for no cap".into(),
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
            log::warn!(target: LOG_TARGET, "connecting without a proxy: {error}");
            None
        });
        self.finish(proxy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::proxy::{parse_proxy, redact_userinfo};
    use crate::http::{MAX_TIMEOUT, agent_config};

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

    #[test]
    fn the_order_list_lag_defaults_comes_from_the_environment_and_is_bounded() {
        use crate::auth::env::{BASE_URL, ORDER_LIST_LAG, TOKEN, lookup_in};
        let built = |lag: Option<&str>| {
            let mut vars = vec![(TOKEN, "t"), (BASE_URL, "http://127.0.0.1:9")];
            vars.extend(lag.map(|lag| (ORDER_LIST_LAG, lag)));
            ClientBuilder::from_lookup(&lookup_in(&vars)).and_then(ClientBuilder::build)
        };
        let lag = |client: Client| client.order_list_lag();
        assert_eq!(
            lag(built(None).unwrap()),
            ClientBuilder::DEFAULT_ORDER_LIST_LAG
        );
        assert_eq!(lag(built(Some(" 90 ")).unwrap()), Duration::from_secs(90));
        assert_eq!(lag(built(Some("0")).unwrap()), Duration::ZERO);
        for bad in ["-5", "15m", "1e3", "99999999999999999999"] {
            match built(Some(bad)) {
                Err(Error::InvalidConfig(message)) => {
                    assert!(
                        message.contains(ORDER_LIST_LAG) && message.contains(bad),
                        "{message}"
                    )
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        match built(Some("86401")) {
            Err(Error::InvalidConfig(message)) => {
                assert!(message.contains("at most a day"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let client = Client::builder(|| Ok::<_, std::io::Error>("t"))
            .base_url("http://127.0.0.1:9")
            .order_list_lag(ClientBuilder::MAX_ORDER_LIST_LAG)
            .build()
            .unwrap();
        assert_eq!(client.order_list_lag(), ClientBuilder::MAX_ORDER_LIST_LAG);
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
}
