//! Lists: follows a collection's `links.next` until there is none, through
//! the one send path, for every list call.
//!
//! A next link is relative to `{base}/v1` and may carry headers to replay:
//! only `MS-ContinuationToken` is, once; any other header of a link is
//! dropped with a debug record, so that a link cannot add a header nor
//! replace one the client sends. A link that would leave the base URL, a
//! link back to a page already read, and more than [`MAX_PAGES`] pages end
//! the list with [`Error::BadNextLink`] instead of a request.
//!
//! A list as a whole is bounded too. Its pages together are held to the
//! list's byte budget, and to 32 times it in decoded memory
//! ([`Error::ListTooLarge`]); joining the pages' items at the end takes at
//! most their size again. All its pages and retries are held to the list
//! timeout ([`Error::ListTimedOut`]), through the same deadline as any
//! bounded call.

use std::collections::HashSet;
use std::time::Instant;

use serde::de::DeserializeOwned;
use ureq::http::{HeaderName, HeaderValue};
use uuid::Uuid;

use super::{ApiRequest, Method, Reply, Transport, Unsent};
use crate::error::Error;
use crate::footprint::MEMORY_MULTIPLE;
use crate::logging::LOG_TARGET;
use crate::model::{Collection, Link, LinkHeader, LinkMethod};
use crate::retry::Bounds;
use crate::text::Escaped;
use crate::text::snippet;

/// The most pages one list call reads.
pub(crate) const MAX_PAGES: usize = 1_000;

/// The one header a next link may carry: the service's place in the list.
const CONTINUATION_TOKEN: &str = "ms-continuationtoken";

/// What a list has taken so far, against its budget.
#[derive(Debug, Default)]
struct Spent {
    pages: usize,
    bytes: u64,
    memory: u64,
}

impl Transport {
    /// Sends a list call and every next page it links to, and returns all
    /// their items in order. Each page is its own call, with its own
    /// request ID and retries, all within the list's timeout and budget.
    pub(crate) fn send_paged<T: DeserializeOwned>(
        &self,
        first: ApiRequest,
    ) -> Result<Vec<T>, Error> {
        let settings = self.settings();
        // A timeout too long to add to the clock means no deadline.
        let deadline = Instant::now().checked_add(settings.list_timeout);
        let bounds = Bounds {
            deadline,
            ..Bounds::default()
        };
        let mut pages = Vec::new();
        let mut request = first;
        let mut followed: HashSet<(String, Vec<(HeaderName, HeaderValue)>)> = HashSet::new();
        let mut spent = Spent::default();
        loop {
            let reply = self
                .send_within(&request, bounds)
                .map_err(|unsent| match unsent {
                    Unsent::Failed(error) => error,
                    Unsent::OutOfTime(error) => Error::ListTimedOut {
                        timeout: settings.list_timeout,
                        pages: spent.pages,
                        error: Box::new(error),
                    },
                })?;
            let page: Collection<T> = self.decode_page(&reply, &mut spent)?;
            pages.push(page.items);
            let Some(next) = page.links.and_then(|links| links.next) else {
                return Ok(join(pages));
            };
            let refuse = |reason: &'static str| Error::BadNextLink {
                uri: snippet(&next.uri, 200),
                reason,
                call: reply.call,
            };
            if spent.pages >= MAX_PAGES {
                return Err(refuse("the list has more than 1000 pages"));
            }
            request = next_request(&next, &self.settings().base_url).map_err(refuse)?;
            if !followed.insert((request.path.clone(), request.headers.clone())) {
                return Err(refuse("it leads back to a page already read"));
            }
        }
    }

    /// Decodes a page, after counting it against the list's budget: its
    /// bytes against the byte budget, and what it may take decoded against
    /// 32 times that.
    fn decode_page<T: DeserializeOwned>(
        &self,
        reply: &Reply,
        spent: &mut Spent,
    ) -> Result<Collection<T>, Error> {
        let budget = self.settings().max_list_bytes;
        let footprint = reply.footprint::<Collection<T>>();
        // A page over the limit of any response is refused as such.
        reply.check_footprint(footprint)?;
        spent.pages += 1;
        spent.bytes = spent.bytes.saturating_add(reply.body.len() as u64);
        spent.memory = spent.memory.saturating_add(footprint);
        if spent.bytes > budget || spent.memory > budget.saturating_mul(MEMORY_MULTIPLE) {
            return Err(Error::ListTooLarge {
                limit: budget,
                pages: spent.pages,
                call: reply.call,
            });
        }
        reply.decode_weighed(footprint)
    }
}

/// The items of every page, in order, in one vector of the exact size. A
/// single page is returned as it is; pages are joined one by one, each
/// freed once moved, so that joining takes at most the items' size again.
fn join<T>(mut pages: Vec<Vec<T>>) -> Vec<T> {
    if pages.len() == 1 {
        return pages.pop().unwrap_or_default();
    }
    let mut items = Vec::with_capacity(pages.iter().map(Vec::len).sum());
    for page in pages {
        items.extend(page);
    }
    items
}

/// The request for a next link, with its headers.
fn next_request(link: &Link, base_url: &str) -> Result<ApiRequest, &'static str> {
    if link
        .method
        .as_ref()
        .is_some_and(|method| *method != LinkMethod::Get)
    {
        return Err("its method is not GET");
    }
    let path = resolve(&link.uri, base_url)?;
    let mut request = ApiRequest::new(Method::Get, path, Uuid::new_v4());
    request.headers = link_headers(&link.headers)?;
    Ok(request)
}

/// The headers of a link to replay: its first `MS-ContinuationToken`, and
/// nothing else. Any other header, a second token among them, is dropped
/// with a debug record; a token that cannot go in a header refuses the link.
fn link_headers(headers: &[LinkHeader]) -> Result<Vec<(HeaderName, HeaderValue)>, &'static str> {
    let mut replay = Vec::new();
    for header in headers {
        let name = header.key.trim();
        if !name.eq_ignore_ascii_case(CONTINUATION_TOKEN) || !replay.is_empty() {
            log::debug!(
                target: LOG_TARGET,
                "a next-page link's {} header is dropped: a link may carry only one MS-ContinuationToken",
                Escaped(name),
            );
            continue;
        }
        let value = HeaderValue::from_str(&header.value)
            .map_err(|_| "its continuation token cannot go in a header")?;
        replay.push((HeaderName::from_static(CONTINUATION_TOKEN), value));
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
    fn pages_are_joined_in_order_into_the_exact_room() {
        let joined = join(vec![vec![1, 2], Vec::new(), vec![3]]);
        assert_eq!(joined, [1, 2, 3]);
        assert_eq!(joined.capacity(), 3);
        let mut single = Vec::with_capacity(8);
        single.push(1);
        assert_eq!(
            join(vec![single]).capacity(),
            8,
            "a single page is not copied"
        );
        assert!(join::<u8>(Vec::new()).is_empty());
    }

    #[test]
    fn links_may_carry_only_one_continuation_token() {
        let header = |key: &str, value: &str| LinkHeader {
            key: key.into(),
            value: value.into(),
        };
        let replay = link_headers(&[
            header("Authorization", "Bearer stolen"),
            header(" ms-continuationTOKEN ", "abc=="),
            header("X-HTTP-Method-Override", "POST"),
            header("User-Agent", "evil"),
            header("MS-Contract-Version", "v2"),
            header("ms-requestid", "x"),
            header("MS-ContinuationToken", "second"),
            header("bad name", "x"),
            header("X-Token", "a\r\nb"),
        ])
        .unwrap();
        assert_eq!(replay.len(), 1);
        assert_eq!(replay[0].0.as_str(), "ms-continuationtoken");
        assert_eq!(replay[0].1.as_bytes(), b"abc==");
        assert!(link_headers(&[header("MS-ContinuationToken", "a\r\nb")]).is_err());
        let post = Link {
            uri: "/customers/c/orders".into(),
            method: Some("POST".into()),
            headers: Vec::new(),
        };
        assert!(next_request(&post, BASE).is_err());
    }
}
