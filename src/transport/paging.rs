//! Lists: follows a collection's `links.next` until there is none, through
//! the one send path, for every list call.
//!
//! A next link is relative to `{base}/v1` and may carry headers to replay,
//! such as `MS-ContinuationToken`. A link that would leave the base URL, a
//! link back to a page already read, and more than [`MAX_PAGES`] pages end
//! the list with [`Error::BadNextLink`] instead of a request.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use ureq::http::{HeaderName, HeaderValue};
use uuid::Uuid;

use super::{ApiRequest, Method, Transport, snippet};
use crate::error::Error;
use crate::model::{Collection, Link, LinkHeader};

/// The most pages one list call reads.
pub(crate) const MAX_PAGES: usize = 1_000;

/// Headers the client sets itself, which a link may not replace.
const OWN_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "accept",
    "accept-encoding",
    "ms-requestid",
    "ms-correlationid",
    "x-locale",
    "ms-partnercenter-client",
    "ms-partnercenter-application",
    "proxy-authorization",
    "proxy-connection",
    "cookie",
    "te",
    "upgrade",
    "expect",
    "keep-alive",
];

impl Transport {
    /// Sends a list call and every next page it links to, and returns all
    /// their items in order. Each page is its own call, with its own
    /// request ID and retries.
    pub(crate) fn send_paged<T: DeserializeOwned>(
        &self,
        first: ApiRequest,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut request = first;
        let mut followed: HashSet<(String, Vec<(String, String)>)> = HashSet::new();
        let mut pages = 0_usize;
        loop {
            let reply = self.send(&request)?;
            let page: Collection<T> = reply.decode()?;
            pages += 1;
            items.extend(page.items);
            let Some(next) = page.links.and_then(|links| links.next) else {
                return Ok(items);
            };
            let refuse = |reason: &'static str| Error::BadNextLink {
                uri: snippet(&next.uri, 200),
                reason,
                call: reply.call,
            };
            if pages >= MAX_PAGES {
                return Err(refuse("the list has more than 1000 pages"));
            }
            request = next_request(&next, &self.settings().base_url).map_err(refuse)?;
            let key = (
                request.path.clone(),
                request
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                        (name.as_str().to_owned(), value)
                    })
                    .collect(),
            );
            if !followed.insert(key) {
                return Err(refuse("it leads back to a page already read"));
            }
        }
    }
}

/// The request for a next link, with its headers.
fn next_request(link: &Link, base_url: &str) -> Result<ApiRequest, &'static str> {
    if link
        .method
        .as_deref()
        .is_some_and(|method| !method.eq_ignore_ascii_case("GET"))
    {
        return Err("its method is not GET");
    }
    let path = resolve(&link.uri, base_url)?;
    let mut request = ApiRequest::new(Method::Get, path, Uuid::new_v4());
    request.headers = link_headers(&link.headers)?;
    Ok(request)
}

/// The headers of a link to replay: the client's own are left out, and a
/// name or value that cannot go in a header refuses the link.
fn link_headers(headers: &[LinkHeader]) -> Result<Vec<(HeaderName, HeaderValue)>, &'static str> {
    let mut replay = Vec::new();
    for header in headers {
        let name = HeaderName::from_bytes(header.key.trim().as_bytes())
            .map_err(|_| "one of its header names is not valid")?;
        if OWN_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value = HeaderValue::from_str(&header.value)
            .map_err(|_| "one of its header values is not valid")?;
        replay.push((name, value));
    }
    Ok(replay)
}

/// The path below the base URL that a link's `uri` names: `/v1` is put in
/// front unless it is there already. An absolute URL is taken only when it
/// starts with the base URL.
pub(crate) fn resolve(uri: &str, base_url: &str) -> Result<String, &'static str> {
    if uri.is_empty() {
        return Err("it is empty");
    }
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("it holds spaces, control or non-ASCII characters");
    }
    if uri.contains('\\') || uri.contains('#') {
        return Err("it holds a backslash or a fragment");
    }
    let relative = match uri.strip_prefix(base_url) {
        Some(rest) if rest.starts_with('/') => rest,
        _ if uri.starts_with("//") => return Err("it leaves the base URL"),
        _ => {
            let before_path = uri.split(['/', '?']).next().unwrap_or_default();
            if before_path.contains(':') {
                return Err("it leaves the base URL");
            }
            uri
        }
    };
    let path = if relative.starts_with("/v1/") {
        relative.to_owned()
    } else if relative.starts_with('/') {
        format!("/v1{relative}")
    } else {
        format!("/v1/{relative}")
    };
    let path_only = path.split('?').next().unwrap_or_default();
    let lower = path_only.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") {
        return Err("it hides a slash in its path");
    }
    let climbs = lower
        .split('/')
        .map(|segment| segment.replace("%2e", "."))
        .any(|segment| segment == "." || segment == "..");
    if climbs || path_only.contains("//") {
        return Err("it leaves the API's path");
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://api.partnercenter.microsoft.com";

    #[test]
    fn links_resolve_below_v1() {
        for (uri, path) in [
            ("/customers/c/products?x=1", "/v1/customers/c/products?x=1"),
            ("/v1/customers/c/orders", "/v1/customers/c/orders"),
            ("customers/c/orders", "/v1/customers/c/orders"),
            (
                "https://api.partnercenter.microsoft.com/v1/customers/c/orders",
                "/v1/customers/c/orders",
            ),
            (
                "/customers/c/products?at=a:b/c",
                "/v1/customers/c/products?at=a:b/c",
            ),
        ] {
            assert_eq!(resolve(uri, BASE).as_deref(), Ok(path), "{uri}");
        }
    }

    #[test]
    fn links_that_leave_the_base_url_are_refused() {
        for uri in [
            "",
            "https://evil.example/v1/customers",
            "https://api.partnercenter.microsoft.com.evil.example/v1/x",
            "http://api.partnercenter.microsoft.com/v1/x",
            "//evil.example/v1/customers",
            "javascript:alert(1)",
            "/../x",
            "/v1/../../x",
            "/customers/%2E%2E/x",
            "/customers/.%2e/x",
            "/customers/a%2Fb",
            "/customers\\x",
            "/customers/c#x",
            "/customers/c d",
            "/customers/c\r\nHost: evil",
            "/customers//c",
            "/customers/ä",
        ] {
            assert!(resolve(uri, BASE).is_err(), "{uri:?}");
        }
    }

    #[test]
    fn link_headers_keep_the_clients_own() {
        let header = |key: &str, value: &str| LinkHeader {
            key: key.into(),
            value: value.into(),
        };
        let replay = link_headers(&[
            header("MS-ContinuationToken", "abc=="),
            header("Authorization", "Bearer stolen"),
            header("ms-requestid", "x"),
        ])
        .unwrap();
        assert_eq!(replay.len(), 1);
        assert_eq!(replay[0].0.as_str(), "ms-continuationtoken");
        assert!(link_headers(&[header("bad name", "x")]).is_err());
        assert!(link_headers(&[header("X-Token", "a\r\nb")]).is_err());
        let post = Link {
            uri: "/customers/c/orders".into(),
            method: Some("POST".into()),
            headers: Vec::new(),
        };
        assert!(next_request(&post, BASE).is_err());
    }
}
