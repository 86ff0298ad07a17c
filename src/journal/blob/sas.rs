//! A container's address: its URL and the shared access signature (SAS)
//! that grants it, kept apart so that the signature is never shown.

use std::fmt;

use ureq::http::Uri;

use crate::error::kind::InvalidConfig;
use crate::http::check_url;

/// What a SAS must allow: read (`r`) blobs, write (`w`: create, append,
/// lease and set metadata) and list (`l`) the container. `a` and `c` are
/// parts of `w`, and recommended with it; `d` is never needed.
const NEEDED_PERMISSIONS: [char; 3] = ['r', 'w', 'l'];

/// A container SAS: the query string that authorises each call, without
/// its `?`. It shows as its fields with the signature hidden.
#[derive(Clone)]
pub(crate) struct Sas(String);

impl Sas {
    /// The query string, to append to a request's URL: the only place the
    /// signature goes.
    pub(crate) fn query(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sas({:?})", redact(&self.0))
    }
}

impl fmt::Display for Sas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// A container's URL, without a trailing slash or query, and its SAS.
#[derive(Clone)]
pub(crate) struct Container {
    url: String,
    sas: Sas,
}

impl Container {
    /// Reads a container URL with its SAS, such as
    /// `https://account.blob.core.windows.net/journal?sv=…&sp=racwl&sr=c&sig=…`.
    pub(crate) fn parse(location: &str) -> Result<Container, InvalidConfig> {
        let location = location.trim();
        let shown = redact(location);
        let invalid = |why: &str| InvalidConfig(format!("container URL {shown:?} {why}"));
        if location.contains('#') {
            return Err(invalid("must not have a fragment"));
        }
        let Some((url, query)) = location.split_once('?') else {
            return Err(invalid(
                "has no SAS: append the container's shared access signature \
                 (?sv=…&sp=racwl&sr=c&sig=…), as `az storage container generate-sas` prints it",
            ));
        };
        let url = check_url("container URL", url).map_err(|InvalidConfig(why)| {
            // check_url quotes the URL without its query: no signature.
            InvalidConfig(redact(&why))
        })?;
        let has_container = url
            .parse::<Uri>()
            .is_ok_and(|uri| !uri.path().trim_matches('/').is_empty());
        if !has_container {
            return Err(invalid(
                "names no container: give the container's URL, such as https://ACCOUNT.blob.core.windows.net/CONTAINER?SAS",
            ));
        }
        if !query.bytes().all(|b| b.is_ascii_graphic()) || query.contains('?') {
            return Err(invalid(
                "has a SAS with characters a URL cannot hold: give it percent-encoded, as Azure prints it",
            ));
        }
        let field = |name: &str| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value)
        };
        if field("sig").is_none_or(str::is_empty) {
            return Err(invalid(
                "has no signature (sig=) in its SAS: give the whole SAS Azure printed",
            ));
        }
        if let Some(resource) = field("sr")
            && resource != "c"
        {
            return Err(invalid(&format!(
                "has a SAS for sr={resource}, not for a container: make a container SAS (sr=c)"
            )));
        }
        if let Some(permissions) = field("sp") {
            let missing: String = NEEDED_PERMISSIONS
                .iter()
                .filter(|letter| !permissions.contains(**letter))
                .collect();
            if !missing.is_empty() {
                return Err(invalid(&format!(
                    "has a SAS whose permissions (sp={permissions}) lack {missing:?}: \
                     make one with --permissions racwl"
                )));
            }
        }
        Ok(Container {
            url,
            sas: Sas(query.to_owned()),
        })
    }

    /// The container's URL, without its SAS: safe to show.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The SAS.
    #[cfg(test)]
    pub(crate) fn sas(&self) -> &Sas {
        &self.sas
    }

    /// A blob's URL without the SAS, to name it in errors and logs.
    pub(crate) fn blob_url(&self, name: &str) -> String {
        format!("{}/{name}", self.url)
    }

    /// The URL to send a request about blob `name` (the container itself
    /// when `None`) to: `params` (already encoded, `&`-separated), then the
    /// SAS. Never to be shown.
    pub(crate) fn request_url(&self, name: Option<&str>, params: &str) -> String {
        let mut url = match name {
            Some(name) => self.blob_url(name),
            None => self.url.clone(),
        };
        url.push('?');
        if !params.is_empty() {
            url.push_str(params);
            url.push('&');
        }
        url.push_str(self.sas.query());
        url
    }
}

impl fmt::Debug for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Container")
            .field("url", &self.url)
            .field("sas", &self.sas)
            .finish()
    }
}

/// `text` with the value of every `sig=` (in any case) replaced by
/// `<redacted>`: for anything that might quote a URL with its SAS.
pub(crate) fn redact(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut shown = String::with_capacity(text.len());
    let mut rest = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find("sig=") {
        let value = from + found + 4;
        let end = text[value..]
            .find(|c: char| {
                c == '&' || c == '"' || c == '\'' || c == '<' || c == '>' || c.is_whitespace()
            })
            .map_or(text.len(), |length| value + length);
        shown.push_str(&text[rest..value]);
        shown.push_str("<redacted>");
        rest = end;
        from = end;
    }
    shown.push_str(&text[rest..]);
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAS: &str = "sv=2021-08-06&se=2030-01-01T00%3A00%3A00Z&sr=c&sp=racwl&sig=SeCrEt%2Bsig%3D";

    #[test]
    fn a_container_url_is_split_from_its_sas() {
        let container = Container::parse(&format!(
            "https://acct.blob.core.windows.net/journal/?{SAS}"
        ))
        .unwrap();
        assert_eq!(
            container.url(),
            "https://acct.blob.core.windows.net/journal"
        );
        assert_eq!(
            container.request_url(Some("a/b"), "comp=lease"),
            format!("https://acct.blob.core.windows.net/journal/a/b?comp=lease&{SAS}")
        );
        for shown in [
            format!("{container:?}"),
            format!("{:?}", container.sas()),
            container.sas().to_string(),
        ] {
            assert!(!shown.contains("SeCrEt"), "{shown}");
            assert!(shown.contains("sig=<redacted>"), "{shown}");
        }
        let azurite = Container::parse(&format!("http://127.0.0.1:10000/devstoreaccount1/j?{SAS}"));
        assert_eq!(
            azurite.unwrap().url(),
            "http://127.0.0.1:10000/devstoreaccount1/j"
        );
    }

    #[test]
    fn bad_container_urls_are_refused_without_showing_the_signature() {
        for (location, why) in [
            ("https://acct.blob.core.windows.net/journal", "has no SAS"),
            (
                &format!("http://acct.blob.core.windows.net/journal?{SAS}"),
                "https",
            ),
            (
                &format!("https://acct.blob.core.windows.net/?{SAS}"),
                "names no container",
            ),
            (
                &format!("https://acct.blob.core.windows.net/j?{SAS}#x"),
                "fragment",
            ),
            (
                "https://acct.blob.core.windows.net/j?sv=1&sp=racwl",
                "no signature",
            ),
            (
                "https://acct.blob.core.windows.net/j?sr=b&sig=SeCrEt",
                "sr=b",
            ),
            (
                "https://acct.blob.core.windows.net/j?sp=ra&sig=SeCrEt",
                "\"wl\"",
            ),
            (
                "https://acct.blob.core.windows.net/j?sp=racwl&sig=Se Cr",
                "characters",
            ),
            (
                &format!("https://user:pw@acct.blob.core.windows.net/j?{SAS}"),
                "credentials",
            ),
        ] {
            let InvalidConfig(message) = Container::parse(location).unwrap_err();
            assert!(message.contains(why), "{location}: {message}");
            assert!(!message.contains("SeCrEt"), "{message}");
        }
    }

    #[test]
    fn redaction_hides_every_signature_and_nothing_else() {
        assert_eq!(
            redact("GET https://a/b?sv=1&sig=abc%2B&sp=r and SIG=xyz \"sig=q\""),
            "GET https://a/b?sv=1&sig=<redacted>&sp=r and SIG=<redacted> \"sig=<redacted>\""
        );
        assert_eq!(redact("no secret: signature"), "no secret: signature");
        assert_eq!(redact("sig="), "sig=<redacted>");
        assert_eq!(redact("ünïcode sig=é€ rest"), "ünïcode sig=<redacted> rest");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            crate::encoding::encode_query_value("a/b c+d=e~"),
            "a%2Fb%20c%2Bd%3De~"
        );
        assert_eq!(crate::encoding::encode_query_value("é"), "%C3%A9");
    }
}
