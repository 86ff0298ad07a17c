//! What names a purchase: its customer, what it buys, and the caller's
//! label, however they were spelt.

use std::fmt;

use crate::encoding::sha256;
use crate::failure::Error;
use crate::ids::{CustomerId, IntoId};
use crate::model::{CartLineItem, NewCart};
use crate::text::Escaped;

use super::store::PurchaseKey;

/// One purchase: a customer, the cart to buy, and an optional label; see
/// the [module docs](super#a-purchase-and-its-name).
///
/// Its [key](Purchase::key) is a digest of the customer and the canonical
/// contents, so that two runs meaning the same purchase are the same
/// purchase: the customer however it is spelt (capitals, braces), each
/// line's product and SKU in any case but not its availability (reissued
/// from time to time), quantity, billing cycle and term, in any order,
/// and the label.
#[derive(Debug, Clone, PartialEq)]
pub struct Purchase {
    customer: CustomerId,
    cart: NewCart,
    label: Option<String>,
    again: bool,
    lines: Vec<String>,
    key: PurchaseKey,
}

impl Purchase {
    /// A purchase of `cart` for a customer, with no label.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID.
    pub fn new(customer: impl IntoId<CustomerId>, cart: NewCart) -> Result<Purchase, Error> {
        let customer = customer.into_id()?;
        let mut lines: Vec<String> = cart.line_items().iter().map(canonical_line).collect();
        lines.sort();
        let mut purchase = Purchase {
            customer,
            cart,
            label: None,
            again: false,
            lines,
            key: PurchaseKey::new(customer, String::new()),
        };
        purchase.key = purchase.compute_key();
        Ok(purchase)
    }

    /// Names the purchase apart from others of the same contents for the
    /// same customer, such as `2026-12 true-up`: a purchase bought again on
    /// purpose later takes a new label. Surrounding white space is not part
    /// of it; an empty label is none.
    #[must_use]
    pub fn label(mut self, text: impl AsRef<str>) -> Purchase {
        let text = text.as_ref().trim();
        self.label = (!text.is_empty()).then(|| text.to_owned());
        self.key = self.compute_key();
        self
    }

    /// Says the purchase is meant even though the same contents were
    /// bought for the customer under another label within the last 7
    /// days (the tools' `--again`). It lifts that guard only: an
    /// unfinished purchase whose checkout may have acted still blocks.
    #[must_use]
    pub fn again(mut self) -> Purchase {
        self.again = true;
        self
    }

    /// The key that names the purchase in the journal.
    pub fn key(&self) -> &PurchaseKey {
        &self.key
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The cart to buy.
    pub fn cart(&self) -> &NewCart {
        &self.cart
    }

    /// The label, if given.
    pub fn label_text(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// Whether [`again`](Purchase::again) was said.
    pub fn is_again(&self) -> bool {
        self.again
    }

    /// What the purchase buys, canonically, for messages: one entry a
    /// line, sorted, such as `CFQ7TTC0LH18:0001 x5 monthly P1M`.
    pub fn contents(&self) -> &[String] {
        &self.lines
    }

    fn compute_key(&self) -> PurchaseKey {
        let mut text = String::from("partner-center-cart purchase 1\n");
        text.push_str(&format!("customer {}\n", self.customer));
        if let Some(label) = &self.label {
            // JSON keeps a label with a line end from reading as a line.
            let quoted = serde_json::to_string(label).unwrap_or_default();
            text.push_str(&format!("label {quoted}\n"));
        }
        for line in &self.lines {
            text.push_str(&format!("line {line}\n"));
        }
        PurchaseKey::new(self.customer, sha256::hex_digest(text.as_bytes()))
    }
}

impl AsRef<PurchaseKey> for Purchase {
    fn as_ref(&self) -> &PurchaseKey {
        &self.key
    }
}

impl fmt::Display for Purchase {
    /// `customer C: LINE, LINE (label "L")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(self.customer, &self.lines, self.label.as_deref()))
    }
}

/// A purchase in words: its customer, contents and label.
pub(crate) fn describe(customer: CustomerId, lines: &[String], label: Option<&str>) -> String {
    let mut text = format!("customer {customer}: {}", lines.join(", "));
    if let Some(label) = label {
        text.push_str(&format!(" (label \"{}\")", Escaped(label)));
    }
    text
}

/// One line in canonical form: `PRODUCT:SKU xQUANTITY CYCLE TERM`, product
/// and SKU and term upper-cased, the billing cycle as the service spells
/// it, a missing one as `-`; add-ons after it in brackets, sorted. The
/// availability is left out, and so is every other text the service
/// ignores or fills in.
fn canonical_line(item: &CartLineItem) -> String {
    let mut parts = item.catalog_item_id.trim().splitn(3, ':');
    let product = parts.next().unwrap_or_default().to_ascii_uppercase();
    let sku = parts.next().unwrap_or_default().to_ascii_uppercase();
    let cycle = item
        .billing_cycle
        .as_ref()
        .map_or("-".to_owned(), |cycle| cycle.as_str().to_ascii_lowercase());
    let term = item
        .term_duration
        .as_deref()
        .map(str::trim)
        .filter(|term| !term.is_empty())
        .map_or("-".to_owned(), str::to_ascii_uppercase);
    let mut text = format!(
        "{}:{} x{} {} {}",
        Escaped(&product),
        Escaped(&sku),
        item.quantity,
        Escaped(&cycle),
        Escaped(&term)
    );
    if !item.addon_items.is_empty() {
        let mut addons: Vec<String> = item.addon_items.iter().map(canonical_line).collect();
        addons.sort();
        text.push_str(&format!(" [{}]", addons.join("; ")));
    }
    text
}

/// What differs between two purchases' contents, in words.
pub(crate) fn difference(old: &[String], new: &[String]) -> String {
    let only_old: Vec<&String> = old.iter().filter(|line| !new.contains(line)).collect();
    let only_new: Vec<&String> = new.iter().filter(|line| !old.contains(line)).collect();
    let list = |lines: Vec<&String>| {
        lines
            .into_iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (only_old.is_empty(), only_new.is_empty()) {
        (true, true) => "the same contents, another label".to_owned(),
        (false, true) => format!("it has {} and this one does not", list(only_old)),
        (true, false) => format!("this one has {} and it does not", list(only_new)),
        (false, false) => format!("it has {}, this one {}", list(only_old), list(only_new)),
    }
}
