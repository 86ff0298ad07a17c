//! Checks of what goes on the wire from the caller's settings: URLs to send
//! to, and text for a header.

use std::net::IpAddr;

use ureq::http::Uri;

use crate::error::kind::InvalidConfig;
use crate::text::is_header_text;

/// Checks a base URL and returns it without a trailing slash.
pub(crate) fn check_base_url(url: &str) -> Result<String, InvalidConfig> {
    check_url("base URL", url)
}

/// Refuses an `https` base URL in a build without a TLS stack, naming the
/// features that add one, instead of letting every call fail as a TLS error.
pub(crate) fn check_tls_built_in(url: &str) -> Result<(), InvalidConfig> {
    let has_tls = cfg!(any(feature = "rustls", feature = "native-tls"));
    let is_https = url
        .get(..6)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https:"));
    if has_tls || !is_https {
        return Ok(());
    }
    Err(InvalidConfig(format!(
        "base URL {url:?} uses https, but this build has no TLS: enable the \
         `rustls` (default) or `native-tls` feature of partner-center-cart"
    )))
}

/// Checks a URL to send to, called `what` in errors: `https`, or `http` to
/// loopback, with a host and no credentials, query or fragment. Returns it
/// without a trailing slash.
pub(crate) fn check_url(what: &str, url: &str) -> Result<String, InvalidConfig> {
    let url = url.trim().trim_end_matches('/');
    let invalid = |why: &str| InvalidConfig(format!("{what} {url:?} {why}"));
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
pub(crate) fn looks_up_names(url: &str, through_proxy: bool) -> bool {
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
pub(crate) fn check_header_text(what: &str, value: &str) -> Result<(), InvalidConfig> {
    let ok = !value.trim().is_empty() && value.len() <= 256 && is_header_text(value);
    if ok {
        Ok(())
    } else {
        Err(InvalidConfig(format!(
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
            assert!(matches!(err, InvalidConfig(_)), "{bad}");
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
    fn header_text_checks() {
        assert!(check_header_text("locale", "en-US").is_ok());
        assert!(check_header_text("application name", "Contoso Sync 2.0").is_ok());
        for bad in ["", " ", "en\r\nX: y", "svenska-å", &"x".repeat(257)] {
            assert!(check_header_text("locale", bad).is_err(), "{bad:?}");
        }
    }
}
