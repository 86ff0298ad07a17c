//! A line item as an operator asks for it, checked before anything is
//! looked up or bought: [`LineRequest`].

use std::fmt;

use super::cart::CartLineItem;
use super::enums::BillingCycle;
use crate::ids::{CustomerId, check_path_segment};

/// A line item as an operator asks for it, by product and SKU: checked
/// whole, so that a tool can name every bad input before it buys anything.
/// Its [`catalog_item`](Self::catalog_item) goes into a
/// [`Purchase`](crate::journal::Purchase)'s cart, and the journal looks its
/// availability up when the purchase starts.
///
/// ```
/// use partner_center_cart::model::LineRequest;
/// use partner_center_cart::BillingCycle;
///
/// let line = LineRequest::parse("CFQ7TTC0LH18", "0001", "25", "", "").unwrap();
/// assert_eq!((line.quantity, &line.billing_cycle, line.term_duration.as_str()), (25, &BillingCycle::Monthly, "P1M"));
///
/// let bad = LineRequest::parse("CFQ7TTC0LH18", "0001", "0", "weekly", "").unwrap_err();
/// assert_eq!(bad.reasons.len(), 2, "{bad}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineRequest {
    /// The product, such as `CFQ7TTC0LH18`.
    pub product_id: String,
    /// The product's SKU, such as `0001`.
    pub sku_id: String,
    /// How many, from 1 to [`LineRequest::MAX_QUANTITY`].
    pub quantity: u32,
    /// The billing cycle: monthly unless asked otherwise.
    pub billing_cycle: BillingCycle,
    /// The term, such as `P1Y`: `P1M` unless asked otherwise.
    pub term_duration: String,
}

/// Why a [`LineRequest`] was refused: every reason at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", reasons.join("; "))]
#[non_exhaustive]
pub struct LineRequestError {
    /// Each reason, in words that name the input.
    pub reasons: Vec<String>,
}

impl LineRequest {
    /// The largest quantity a line may ask for.
    pub const MAX_QUANTITY: u32 = 1_000_000;

    /// Checks a line as typed (spaces around each part are ignored): a
    /// product and SKU ID each of letters, digits, `-`, `.`, `_` and `~`; a
    /// quantity from 1 to [`MAX_QUANTITY`](Self::MAX_QUANTITY); a billing
    /// cycle Partner Center knows (`monthly`, `annual`, `biennial`,
    /// `triennial`, `one_time` or `none`, however cased; monthly when
    /// empty); and a term such as `P1M` or `P3Y` (`P1M` when empty).
    ///
    /// # Errors
    ///
    /// [`LineRequestError`], with every reason the line is refused.
    pub fn parse(
        product: &str,
        sku: &str,
        quantity: &str,
        billing_cycle: &str,
        term: &str,
    ) -> Result<LineRequest, LineRequestError> {
        let (product, sku, quantity_text) = (product.trim(), sku.trim(), quantity.trim());
        let mut reasons = Vec::new();
        for (kind, id) in [("product ID", product), ("SKU ID", sku)] {
            if let Err(invalid) = check_path_segment(kind, id) {
                reasons.push(invalid.to_string());
            }
        }
        let quantity = quantity_text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=Self::MAX_QUANTITY).contains(n));
        if quantity.is_none() {
            reasons.push(format!(
                "quantity {quantity_text:?} is not a whole number from 1 to {}",
                Self::MAX_QUANTITY
            ));
        }
        let billing = match billing_cycle.trim() {
            "" => BillingCycle::Monthly,
            typed => BillingCycle::from_wire(typed),
        };
        if matches!(billing, BillingCycle::Other(_) | BillingCycle::Unknown) {
            reasons.push(format!(
                "billing cycle {:?} is not monthly, annual, biennial, triennial, one_time or none",
                billing_cycle.trim()
            ));
        }
        let term = match term.trim() {
            "" => "P1M".to_owned(),
            typed => typed.to_ascii_uppercase(),
        };
        if !is_term(&term) {
            reasons.push(format!(
                "term {:?} is not a duration such as P1M, P1Y or P3Y",
                term_text(term.as_str())
            ));
        }
        match quantity {
            Some(quantity) if reasons.is_empty() => Ok(LineRequest {
                product_id: product.to_owned(),
                sku_id: sku.to_owned(),
                quantity,
                billing_cycle: billing,
                term_duration: term,
            }),
            _ => Err(LineRequestError { reasons }),
        }
    }

    /// Checks a line to buy for a customer, as [`parse`](Self::parse)
    /// does, and the customer ID too (a GUID, in any of its usual
    /// spellings).
    ///
    /// # Errors
    ///
    /// [`LineRequestError`], with every reason the customer or the line is
    /// refused.
    pub fn parse_for(
        customer: &str,
        product: &str,
        sku: &str,
        quantity: &str,
        billing_cycle: &str,
        term: &str,
    ) -> Result<(CustomerId, LineRequest), LineRequestError> {
        let customer = customer.parse::<CustomerId>();
        let line = LineRequest::parse(product, sku, quantity, billing_cycle, term);
        match (customer, line) {
            (Ok(customer), Ok(line)) => Ok((customer, line)),
            (customer, line) => {
                let mut reasons: Vec<String> =
                    customer.err().map(|e| e.to_string()).into_iter().collect();
                reasons.extend(line.err().into_iter().flat_map(|e| e.reasons));
                Err(LineRequestError { reasons })
            }
        }
    }

    /// A cart line item for the product's SKU, with no availability
    /// (`PRODUCT:SKU`), as it was asked for: the journal looks the
    /// availability up when a purchase of it starts, in the commercial
    /// segment, on this term and billing cycle.
    pub fn catalog_item(&self) -> CartLineItem {
        CartLineItem::new(
            format!("{}:{}", self.product_id, self.sku_id),
            self.quantity,
            self.billing_cycle.clone(),
        )
        .term_duration(self.term_duration.clone())
    }
}

impl fmt::Display for LineRequest {
    /// `CFQ7TTC0LH18:0001 x25 monthly P1M`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} x{} {} {}",
            self.product_id, self.sku_id, self.quantity, self.billing_cycle, self.term_duration
        )
    }
}

/// `P`, digits, and one of `D`, `W`, `M` or `Y`.
fn is_term(term: &str) -> bool {
    let Some(rest) = term.strip_prefix('P') else {
        return false;
    };
    let digits = rest.trim_end_matches(['D', 'W', 'M', 'Y']);
    rest.len() == digits.len() + 1
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A term as it is quoted in an error: short.
fn term_text(term: &str) -> String {
    term.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_checked_whole_and_names_every_reason() {
        let line = LineRequest::parse(" DZH318Z0BQ36 ", "004G", "2", "One-Time", "p1y").unwrap();
        assert_eq!(line.billing_cycle, BillingCycle::OneTime);
        assert_eq!(line.term_duration, "P1Y");
        assert_eq!(line.catalog_item().catalog_item_id, "DZH318Z0BQ36:004G");
        assert_eq!(line.to_string(), "DZH318Z0BQ36:004G x2 one_time P1Y");

        let bad = LineRequest::parse("", "00/1", "1000001", "fortnightly", "1Y").unwrap_err();
        let text = bad.to_string();
        assert_eq!(bad.reasons.len(), 5, "{text}");
        for part in [
            "product ID",
            "SKU ID",
            "\"1000001\"",
            "\"fortnightly\"",
            "\"1Y\"",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
        for quantity in ["0", "-1", "2.5", "", "x"] {
            assert!(
                LineRequest::parse("P", "S", quantity, "", "").is_err(),
                "{quantity}"
            );
        }
        assert!(LineRequest::parse("P", "S", "1000000", "", "").is_ok());
        assert!(LineRequest::parse("P", "S", "1", "unknown", "").is_err());
        let bad = LineRequest::parse_for("{not-a-guid}", "P", "S", "0", "", "").unwrap_err();
        assert_eq!(bad.reasons.len(), 2, "{bad}");
        assert!(bad.to_string().starts_with("invalid customer ID"), "{bad}");
        let (customer, _) = LineRequest::parse_for(
            " {28045616-F6B9-462F-9701-0D89B5E65C44} ",
            "P",
            "S",
            "1",
            "",
            "",
        )
        .unwrap();
        assert_eq!(customer.to_string(), "28045616-f6b9-462f-9701-0d89b5e65c44");
        for term in ["P", "PY", "P1", "P1X", "P1YM", "X1Y"] {
            assert!(!is_term(term), "{term}");
        }
    }
}
