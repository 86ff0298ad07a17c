//! What names a purchase: its customer, what it buys, and the caller's
//! label, however they were spelt.

use std::fmt;

use crate::encoding::sha256;
use crate::error::Error;
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
    /// bought for the customer under another label, or are in its orders,
    /// within the last 7 days, or another purchase of the customer checked
    /// out after this one started (the tools' `--again`). It lifts those guards only: an
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BillingCycle;

    const CUSTOMER: &str = "28045616-f6b9-462f-9701-0d89b5e65c44";

    fn cart(lines: &[(&str, i64, BillingCycle, Option<&str>)]) -> NewCart {
        lines
            .iter()
            .fold(NewCart::new(), |cart, (item, quantity, cycle, term)| {
                let line = CartLineItem::new(*item, *quantity, cycle.clone());
                cart.line_item(match term {
                    Some(term) => line.term_duration(*term),
                    None => line,
                })
            })
    }

    fn key(customer: &str, cart: NewCart) -> PurchaseKey {
        Purchase::new(customer, cart).unwrap().key().clone()
    }

    #[test]
    fn the_same_purchase_however_spelt_has_one_key() {
        use BillingCycle::{Monthly, OneTime};
        let first = key(
            CUSTOMER,
            cart(&[
                ("CFQ7TTC0LH18:0001:CFQ7TTC0K5DM", 5, Monthly, Some("P1M")),
                ("DZH318Z0BQ36:004G:DZH318Z08C0S", 2, OneTime, Some("P1Y")),
            ])
            .partner_on_record_attestation_accepted(true),
        );
        let respelt = [
            // The GUID upper-cased and in braces.
            key(
                "{28045616-F6B9-462F-9701-0D89B5E65C44}",
                cart(&[
                    ("CFQ7TTC0LH18:0001:CFQ7TTC0K5DM", 5, Monthly, Some("P1M")),
                    ("DZH318Z0BQ36:004G:DZH318Z08C0S", 2, OneTime, Some("P1Y")),
                ]),
            ),
            // The lines the other way round, the product lower-cased, the
            // term in lower case, another availability.
            key(
                CUSTOMER,
                cart(&[
                    ("dzh318z0bq36:004g:OTHER", 2, OneTime, Some("p1y")),
                    ("cfq7ttc0lh18:0001:NEWAVAIL", 5, Monthly, Some(" P1M ")),
                ]),
            ),
        ];
        for other in respelt {
            assert_eq!(other, first);
        }
        assert_eq!(first.digest().len(), 64);
        assert_eq!(PurchaseKey::from_name(&first.name()), Some(first.clone()));
    }

    #[test]
    fn what_is_bought_and_the_label_make_another_purchase() {
        use BillingCycle::{Annual, Monthly};
        let base = cart(&[("A:1:x", 5, Monthly, Some("P1M"))]);
        let first = key(CUSTOMER, base.clone());
        let others = [
            key(CUSTOMER, cart(&[("A:1:x", 8, Monthly, Some("P1M"))])),
            key(CUSTOMER, cart(&[("A:2:x", 5, Monthly, Some("P1M"))])),
            key(CUSTOMER, cart(&[("A:1:x", 5, Annual, Some("P1M"))])),
            key(CUSTOMER, cart(&[("A:1:x", 5, Monthly, Some("P1Y"))])),
            key(CUSTOMER, cart(&[("A:1:x", 5, Monthly, None)])),
            key("5f0c1b7e-2a6a-4c2f-9d1a-4b8a9ad60f4e", base.clone()),
            Purchase::new(CUSTOMER, base.clone())
                .unwrap()
                .label("2026-12 true-up")
                .key()
                .clone(),
        ];
        for (index, other) in others.iter().enumerate() {
            assert_ne!(*other, first, "{index}");
        }
        // White space around a label is not part of it; `again` is not.
        let labelled = |label: &str| {
            Purchase::new(CUSTOMER, base.clone())
                .unwrap()
                .label(label)
                .again()
                .key()
                .clone()
        };
        assert_eq!(labelled(" 2026-12 true-up "), others[6]);
        assert_eq!(labelled(""), first);
    }

    #[test]
    fn contents_and_differences_read_as_words() {
        let purchase = Purchase::new(
            CUSTOMER,
            cart(&[("cfq7ttc0lh18:0001:x", 5, BillingCycle::Monthly, Some("p1m"))]),
        )
        .unwrap()
        .label("dec\n");
        assert_eq!(purchase.contents(), ["CFQ7TTC0LH18:0001 x5 monthly P1M"]);
        assert_eq!(
            purchase.to_string(),
            format!("customer {CUSTOMER}: CFQ7TTC0LH18:0001 x5 monthly P1M (label \"dec\")")
        );
        let old = [
            "A:1 x5 monthly P1M".to_owned(),
            "B:1 x1 monthly P1M".to_owned(),
        ];
        let new = [
            "A:1 x8 monthly P1M".to_owned(),
            "B:1 x1 monthly P1M".to_owned(),
        ];
        assert_eq!(
            difference(&old, &new),
            "it has A:1 x5 monthly P1M, this one A:1 x8 monthly P1M"
        );
    }
}
