//! A reader of one page of a container listing (`comp=list`), which Azure
//! answers in XML: it takes out only the blobs' names, their `ended`
//! metadata and the marker of the next page, and refuses anything it
//! cannot read plainly rather than guess.
//!
//! It is bounded: the page is already held to a byte cap, elements nest at
//! most [`MAX_DEPTH`] deep, a text it keeps is at most [`MAX_TEXT`] bytes,
//! and a page names at most [`MAX_BLOBS`] blobs. Document types (and so
//! entity definitions), processing instructions past the declaration and
//! CDATA are refused, so nothing expands.

/// How deep elements may nest; a listing needs five.
const MAX_DEPTH: usize = 16;

/// The longest text kept: a blob name (Azure allows 1024 characters) or a
/// marker.
const MAX_TEXT: usize = 4096;

/// The most blobs one page may name; Azure sends at most 5000.
pub(crate) const MAX_BLOBS: usize = 5000;

/// One blob in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedBlob {
    /// Its name.
    pub(crate) name: String,
    /// Whether its metadata has `ended` set to `true`.
    pub(crate) ended: bool,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Page {
    /// The blobs it names, in order.
    pub(crate) blobs: Vec<ListedBlob>,
    /// The marker of the next page; `None` on the last.
    pub(crate) next_marker: Option<String>,
}

/// Reads a page, or says in a few words why it cannot.
pub(crate) fn read_page(body: &[u8]) -> Result<Page, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the listing is not UTF-8".to_owned())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader {
        rest: text,
        path: Vec::new(),
        page: Page::default(),
        blob: None,
        text: String::new(),
        seen_root: false,
    };
    reader.run()?;
    Ok(reader.page)
}

/// Where the reader is, and what it has kept.
struct Reader<'a> {
    rest: &'a str,
    /// The open elements, outermost first.
    path: Vec<&'a str>,
    page: Page,
    /// The blob being read: its name, and whether it ended.
    blob: Option<(Option<String>, bool)>,
    /// The text of the element being kept.
    text: String,
    seen_root: bool,
}

/// What an element on the path is, for the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    Name,
    Ended,
    NextMarker,
}

impl<'a> Reader<'a> {
    fn run(&mut self) -> Result<(), String> {
        while !self.rest.is_empty() {
            match self.rest.find('<') {
                None => {
                    self.take_text(self.rest)?;
                    self.rest = "";
                }
                Some(start) => {
                    let (text, markup) = self.rest.split_at(start);
                    self.take_text(text)?;
                    self.rest = markup;
                    self.markup()?;
                }
            }
        }
        if !self.path.is_empty() {
            return Err(format!(
                "the listing ends inside <{}>",
                self.path.join("><")
            ));
        }
        if !self.seen_root {
            return Err("the listing has no EnumerationResults".to_owned());
        }
        Ok(())
    }

    /// Reads the markup at the start of `rest`.
    fn markup(&mut self) -> Result<(), String> {
        let rest = self.rest;
        if let Some(after) = rest.strip_prefix("<?") {
            // Only the XML declaration, before anything else.
            let end = after.find("?>").ok_or("the listing has an unclosed <?")?;
            if self.seen_root || !after.starts_with("xml") {
                return Err("the listing has a processing instruction".to_owned());
            }
            self.rest = &after[end + 2..];
            return Ok(());
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after
                .find("-->")
                .ok_or("the listing has an unclosed comment")?;
            self.rest = &after[end + 3..];
            return Ok(());
        }
        if rest.starts_with("<!") {
            return Err(
                "the listing has a document type or CDATA, which a listing never has".to_owned(),
            );
        }
        let end = tag_end(rest).ok_or("the listing has an unclosed tag")?;
        let tag = &rest[1..end];
        self.rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            self.close(name.trim_end())
        } else if let Some(tag) = tag.strip_suffix('/') {
            self.open(element_name(tag)?)?;
            self.close(element_name(tag)?)
        } else {
            self.open(element_name(tag)?)
        }
    }

    fn open(&mut self, name: &'a str) -> Result<(), String> {
        if self.path.is_empty() {
            if self.seen_root {
                return Err("the listing has a second root element".to_owned());
            }
            if name != "EnumerationResults" {
                return Err(format!(
                    "the listing's root is <{}>, not <EnumerationResults>",
                    shorten(name)
                ));
            }
            self.seen_root = true;
        }
        if self.path.len() >= MAX_DEPTH {
            return Err(format!(
                "the listing nests deeper than {MAX_DEPTH} elements"
            ));
        }
        self.path.push(name);
        if self.path == ["EnumerationResults", "Blobs", "Blob"] {
            if self.page.blobs.len() >= MAX_BLOBS {
                return Err(format!(
                    "the listing names more than {MAX_BLOBS} blobs in one page"
                ));
            }
            self.blob = Some((None, false));
        }
        self.text.clear();
        Ok(())
    }

    fn close(&mut self, name: &str) -> Result<(), String> {
        match self.path.last() {
            Some(open) if *open == name => {}
            Some(open) => {
                return Err(format!(
                    "the listing closes <{}> inside <{}>",
                    shorten(name),
                    shorten(open)
                ));
            }
            None => {
                return Err(format!(
                    "the listing closes <{}> it never opened",
                    shorten(name)
                ));
            }
        }
        let text = std::mem::take(&mut self.text);
        match self.kept() {
            Some(Kept::Name) => {
                if let Some((kept, _)) = &mut self.blob {
                    if kept.is_some() {
                        return Err("a blob in the listing has two names".to_owned());
                    }
                    *kept = Some(text);
                }
            }
            Some(Kept::Ended) => {
                if let Some((_, ended)) = &mut self.blob {
                    *ended = text.trim().eq_ignore_ascii_case("true");
                }
            }
            Some(Kept::NextMarker) => {
                self.page.next_marker = Some(text).filter(|marker| !marker.is_empty());
            }
            None => {}
        }
        if self.path == ["EnumerationResults", "Blobs", "Blob"] {
            match self.blob.take() {
                Some((Some(name), ended)) => self.page.blobs.push(ListedBlob { name, ended }),
                _ => return Err("a blob in the listing has no name".to_owned()),
            }
        }
        self.path.pop();
        Ok(())
    }

    /// Whether the element open now is one whose text is kept.
    fn kept(&self) -> Option<Kept> {
        match self.path.as_slice() {
            ["EnumerationResults", "Blobs", "Blob", "Name"] => Some(Kept::Name),
            ["EnumerationResults", "Blobs", "Blob", "Metadata", name]
                if name.eq_ignore_ascii_case("ended") =>
            {
                Some(Kept::Ended)
            }
            ["EnumerationResults", "NextMarker"] => Some(Kept::NextMarker),
            _ => None,
        }
    }

    /// Keeps `raw` text, its references decoded, when the element open
    /// now is kept; other text is only checked to hold no markup.
    fn take_text(&mut self, raw: &str) -> Result<(), String> {
        if self.path.is_empty() {
            if raw.trim().is_empty() {
                return Ok(());
            }
            return Err("the listing has text outside its root element".to_owned());
        }
        if self.kept().is_none() {
            return Ok(());
        }
        let decoded = decode(raw)?;
        if self.text.len() + decoded.len() > MAX_TEXT {
            return Err(format!(
                "the listing has a name or marker longer than {MAX_TEXT} bytes"
            ));
        }
        self.text.push_str(&decoded);
        Ok(())
    }
}

/// Where the tag at the start of `markup` ends (its `>`), past any quoted
/// attribute value.
fn tag_end(markup: &str) -> Option<usize> {
    let mut quote = None;
    for (at, c) in markup.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            (None, '>') => return Some(at),
            (None, '<') if at > 0 => return None,
            _ => {}
        }
    }
    None
}

/// The element name of a start tag's inside (name, then attributes).
fn element_name(tag: &str) -> Result<&str, String> {
    let name = tag.split(|c: char| c.is_whitespace()).next().unwrap_or("");
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "the listing has a tag <{}> that is not XML",
            shorten(tag)
        ))
    }
}

/// Decodes the five predefined entities and character references.
fn decode(raw: &str) -> Result<String, String> {
    let mut decoded = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        decoded.push_str(&rest[..at]);
        let reference = &rest[at + 1..];
        let end = reference
            .find(';')
            .filter(|end| *end <= 10)
            .ok_or("the listing has an unterminated reference (&)")?;
        let name = &reference[..end];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| name.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32)
                .ok_or_else(|| {
                    format!("the listing has an unknown reference &{};", shorten(name))
                })?,
        };
        decoded.push(c);
        rest = &reference[end + 1..];
    }
    decoded.push_str(rest);
    Ok(decoded)
}

/// At most 40 characters of server text, for a message (which escapes it).
fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1" ContainerName="j">
  <Prefix>28045616-f6b9-462f-9701-0d89b5e65c44/</Prefix><MaxResults>2</MaxResults>
  <Blobs>
    <Blob><Name>28045616-f6b9-462f-9701-0d89b5e65c44/0a</Name>
      <Properties><Content-Length>120</Content-Length><BlobType>AppendBlob</BlobType><Content-MD5 /></Properties>
      <Metadata><holder>worker 1</holder><ended>true</ended></Metadata></Blob>
    <Blob><Name>a&amp;b&#47;c&#x41;</Name><Properties/><Metadata /></Blob>
  </Blobs>
  <NextMarker>2!84!MDAwMDE&gt;</NextMarker>
</EnumerationResults>"#;

    #[test]
    fn a_page_gives_its_names_ended_marks_and_marker() {
        let page = read_page(PAGE.as_bytes()).unwrap();
        assert_eq!(
            page.blobs,
            [
                ListedBlob {
                    name: "28045616-f6b9-462f-9701-0d89b5e65c44/0a".into(),
                    ended: true
                },
                ListedBlob {
                    name: "a&b/cA".into(),
                    ended: false
                },
            ]
        );
        assert_eq!(page.next_marker.as_deref(), Some("2!84!MDAwMDE>"));
        let last = read_page(
            b"\xEF\xBB\xBF<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>",
        )
        .unwrap();
        assert_eq!(last, Page::default());
    }

    #[test]
    fn hostile_pages_are_refused_without_a_panic() {
        let deep = format!(
            "<EnumerationResults>{}{}</EnumerationResults>",
            "<a>".repeat(100),
            "</a>".repeat(100)
        );
        let long = format!(
            "<EnumerationResults><NextMarker>{}</NextMarker></EnumerationResults>",
            "x".repeat(MAX_TEXT + 1)
        );
        let many = format!(
            "<EnumerationResults><Blobs>{}</Blobs></EnumerationResults>",
            "<Blob><Name>x</Name></Blob>".repeat(MAX_BLOBS + 1)
        );
        let cases: Vec<(&[u8], &str)> = vec![
            (b"", "no EnumerationResults"),
            (b"\xff\xfe", "not UTF-8"),
            (b"<Error><Code>x</Code></Error>", "root"),
            (b"<!DOCTYPE x [<!ENTITY a \"b\">]><EnumerationResults/>", "document type"),
            (b"<EnumerationResults><![CDATA[x]]></EnumerationResults>", "CDATA"),
            (b"<EnumerationResults><Blobs>", "ends inside"),
            (b"<EnumerationResults></Blobs>", "closes"),
            (b"<EnumerationResults/><EnumerationResults/>", "second root"),
            (b"<EnumerationResults/>text", "outside"),
            (b"<EnumerationResults", "unclosed tag"),
            (b"<EnumerationResults><Blobs><Blob></Blob></Blobs></EnumerationResults>", "no name"),
            (
                b"<EnumerationResults><Blobs><Blob><Name>a&bomb;</Name></Blob></Blobs></EnumerationResults>",
                "unknown reference",
            ),
            (
                b"<EnumerationResults><Blobs><Blob><Name>a&#xD800;</Name></Blob></Blobs></EnumerationResults>",
                "unknown reference",
            ),
            (b"<EnumerationResults><NextMarker>&amp</NextMarker></EnumerationResults>", "unterminated"),
            (b"<EnumerationResults><?php x?></EnumerationResults>", "processing instruction"),
            (b"<EnumerationResults>< ></EnumerationResults>", "not XML"),
            (deep.as_bytes(), "deeper"),
            (long.as_bytes(), "longer"),
            (many.as_bytes(), "more than"),
        ];
        for (body, why) in cases {
            let error = read_page(body).unwrap_err();
            assert!(
                error.contains(why),
                "{}: {error}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn any_cut_of_a_page_reads_or_fails_without_a_panic() {
        for end in 0..=PAGE.len() {
            if PAGE.is_char_boundary(end) {
                let _ = read_page(&PAGE.as_bytes()[..end]);
            }
        }
        for (at, _) in PAGE.char_indices() {
            let mut changed = PAGE.to_owned();
            changed.replace_range(at..=at, "<");
            let _ = read_page(changed.as_bytes());
        }
    }
}
