//! Pieces shared by several resources: links and attributes.

use serde::{Deserialize, Serialize};

use super::{null_as_default, object_or_none, objects_or_empty, string_or_empty, string_or_none};

wire_enum! {
    /// The HTTP method of a [`Link`]. Links come by the thousand in a large
    /// result, so a method the crate knows takes no allocation.
    pub enum LinkMethod {
        /// `GET`.
        Get = "GET",
        /// `POST`.
        Post = "POST",
        /// `PUT`.
        Put = "PUT",
        /// `PATCH`, as an order's `patchOperation` link uses.
        Patch = "PATCH",
        /// `DELETE`.
        Delete = "DELETE",
    }
}

/// A link from one resource to a related one.
///
/// Every field may be missing or of another shape on the wire: a field that
/// is not what it should be reads as absent (an empty `uri`, no `method`, no
/// `headers`), so an odd link never fails a whole response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Link {
    /// The target, relative to the API root and without the `/v1` prefix,
    /// such as `/customers/{c}/orders/{o}/provisioningstatus`.
    #[serde(default, deserialize_with = "string_or_empty")]
    pub uri: String,
    /// The HTTP method to use, such as [`LinkMethod::Get`].
    #[serde(
        default,
        deserialize_with = "string_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub method: Option<LinkMethod>,
    /// Headers to send with the request; entries that are not objects are
    /// left out.
    #[serde(default, deserialize_with = "objects_or_empty")]
    pub headers: Vec<LinkHeader>,
}

impl Link {
    /// The link's path below the base URL: `uri` with the `/v1` prefix the
    /// service leaves off, unless it is already there.
    pub fn api_path(&self) -> String {
        let uri = self.uri.as_str();
        if uri.starts_with("/v1/") {
            uri.to_owned()
        } else if uri.starts_with('/') {
            format!("/v1{uri}")
        } else {
            format!("/v1/{uri}")
        }
    }
}

/// A header that goes with a [`Link`]. A field that is missing or not a
/// string reads as empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LinkHeader {
    /// The header's name.
    #[serde(default, deserialize_with = "string_or_empty")]
    pub key: String,
    /// The header's value.
    #[serde(default, deserialize_with = "string_or_empty")]
    pub value: String,
}

/// The `attributes` object most resources carry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Attributes {
    /// The resource's entity tag, for calls that check concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The resource's type, such as `Order` or `CartCheckoutResult`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
}

/// A page of resources, as list endpoints return them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Collection<T> {
    /// How many items there are in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// The items.
    #[serde(
        default = "Vec::new",
        deserialize_with = "null_as_default",
        bound(deserialize = "T: Deserialize<'de>")
    )]
    pub items: Vec<T>,
    /// Links to this page and its neighbours; links of another shape than
    /// an object read as absent.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub links: Option<CollectionLinks>,
    /// The resource's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

/// Links from a [`Collection`]. Each is optional; one that is not an object
/// reads as absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CollectionLinks {
    /// This page.
    #[serde(
        default,
        rename = "self",
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub self_link: Option<Link>,
    /// The next page.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next: Option<Link>,
    /// The previous page.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous: Option<Link>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_path_adds_v1_once() {
        let link = |uri: &str| Link {
            uri: uri.into(),
            ..Link::default()
        };
        assert_eq!(
            link("/customers/c/orders/o").api_path(),
            "/v1/customers/c/orders/o"
        );
        assert_eq!(
            link("/v1/customers/c/carts/k").api_path(),
            "/v1/customers/c/carts/k"
        );
        assert_eq!(link("customers/c").api_path(), "/v1/customers/c");
    }

    #[test]
    fn a_link_method_reads_in_any_case_and_keeps_what_it_does_not_know() {
        let method = |json: &str| {
            serde_json::from_str::<Link>(&format!(r#"{{"uri": "/x", "method": {json}}}"#))
                .unwrap()
                .method
        };
        assert_eq!(method(r#""GET""#), Some(LinkMethod::Get));
        assert_eq!(method(r#""patch""#), Some(LinkMethod::Patch));
        assert_eq!(
            method(r#""MERGE""#),
            Some(LinkMethod::Other("MERGE".into()))
        );
        assert_eq!(method("7"), None);
        let link: Link = serde_json::from_str(r#"{"uri": "/x", "method": "MERGE"}"#).unwrap();
        assert_eq!(serde_json::to_value(&link).unwrap()["method"], "MERGE");
    }
}
