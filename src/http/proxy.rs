//! Whether and how requests go through a proxy: [`Proxy`], the proxy
//! variables of the environment and `NO_PROXY`.
//!
//! ureq parses each proxy URL ([`ureq::Proxy::new`]); the environment is
//! read here, and every agent is given its proxy (or none) explicitly, so
//! that ureq's own reading, `ureq::Proxy::try_from_env` (3.5), is never
//! used: it differs from what the crate documents in every part that
//! matters. It takes `ALL_PROXY` before `HTTPS_PROXY`; skips a variable it
//! cannot use without a word; accepts a proxy URL with a path; reads
//! `no_proxy` when `NO_PROXY` is not UTF-8, where the crate refuses; and
//! matches `NO_PROXY` otherwise: `microsoft.com` does not cover its
//! subdomains, an entry with a port or a space after its comma covers
//! nothing, and `*soft.com` covers `microsoft.com`.

use std::ffi::OsString;
use std::fmt;

use ureq::http::Uri;

use super::url::is_loopback_url;
use crate::error::kind::InvalidConfig;
use crate::logging::LOG_TARGET;

/// Reads an environment variable: `std::env::var_os`, or a table in tests.
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<OsString>;

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
    /// [`ClientBuilder::build`](crate::ClientBuilder::build) refuses rather than ignore the exemptions
    /// (and [`Client::new`](crate::Client::new) connects directly, with a warning). A loopback
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
pub(crate) fn parse_proxy(url: &str) -> Result<ureq::Proxy, InvalidConfig> {
    let invalid = |why: &str| InvalidConfig(format!("proxy URL {:?} {why}", redact_userinfo(url)));
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
/// error when a proxy is set, since the hosts it exempts cannot be known,
/// and a warning that names it when none is.
fn proxy_from_env(lookup: Lookup<'_>, url: &str) -> Result<Option<ureq::Proxy>, InvalidConfig> {
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
        // With no proxy, the exemptions change nothing: name the variable
        // all the same, before a proxy is set.
        if let Err(name) = no_proxy {
            log::warn!(target: LOG_TARGET, "ignoring the environment variable {name}: it is not valid UTF-8");
        }
        return Ok(None);
    };
    match no_proxy {
        Ok(_) => Ok(Some(proxy)),
        Err(name) => Err(InvalidConfig(format!(
            "the environment variable {name} is not valid UTF-8, so the hosts it exempts from \
             the proxy cannot be known: fix or unset it, or choose Proxy::none() or Proxy::url"
        ))),
    }
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
            log::warn!(target: LOG_TARGET, "ignoring the environment variable {name}: {problem}");
        })
        .ok()
}

/// The value of the first of `NO_PROXY` and `no_proxy` that is set.
///
/// # Errors
///
/// The variable's name when it is not UTF-8.
fn no_proxy_list(lookup: Lookup<'_>) -> Result<Option<String>, &'static str> {
    let Some((name, value)) = ["NO_PROXY", "no_proxy"]
        .into_iter()
        .find_map(|name| lookup(name).map(|value| (name, value)))
    else {
        return Ok(None);
    };
    value.into_string().map(Some).map_err(|_| name)
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

/// The proxy for an agent that sends to `url`: none from the environment
/// when `url` is on loopback.
pub(crate) fn agent_proxy(proxy: &Proxy, url: &str) -> Result<Option<ureq::Proxy>, InvalidConfig> {
    match &proxy.0 {
        ProxyKind::Off => Ok(None),
        ProxyKind::Environment if is_loopback_url(url) => Ok(None),
        ProxyKind::Environment => proxy_from_env(&|name| std::env::var_os(name), url),
        ProxyKind::Url(url) => parse_proxy(url).map(Some),
    }
}

/// The proxy as `scheme://host:port`, credentials hidden. (`NO_PROXY` was
/// applied before: a base URL it covers gets no proxy at all.)
pub(crate) fn describe_proxy(proxy: &ureq::Proxy) -> String {
    let scheme = proxy.uri().scheme_str().unwrap_or("http");
    let credentials = if proxy.username().is_some() {
        "<redacted>@"
    } else {
        ""
    };
    format!("{scheme}://{credentials}{}:{}", proxy.host(), proxy.port())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "*soft.com",
            ".soft.com",
            "example.com,,",
            "api.partnercenter.microsoft.com.evil",
        ] {
            assert!(!no_proxy_covers(list, host), "{list}");
        }
        assert!(no_proxy_covers("[::1]:8080", "[::1]"));
        assert!(no_proxy_covers("10.1.2.3", "10.1.2.3"));
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

    fn proxy_host(lookup: Lookup<'_>, url: &str) -> Result<Option<String>, InvalidConfig> {
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
        assert!(matches!(error, InvalidConfig(_)), "{error:?}");
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
