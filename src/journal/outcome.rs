//! What a purchase came to, and what it leaves for the partner to do.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{CartId, OrderId};
use crate::model::{LineItemError, Order, OrderError, OrderStatus};
use crate::text::Escaped;

/// What a purchase came to: its orders as last read, and what needs the
/// partner's hand (line items to buy again, orders awaiting a purchase
/// order).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PurchaseOutcome {
    /// The purchase's key, as its name (`customer/digest`).
    #[serde(default)]
    pub key: String,
    /// The purchase's label, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The cart, once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_id: Option<CartId>,
    /// The orders made, as last read.
    #[serde(default)]
    pub orders: Vec<Order>,
    /// The order groups that did not become orders at checkout.
    #[serde(default)]
    pub failed_groups: Vec<OrderError>,
    /// The line items the service rejected, dropped before checkout.
    #[serde(default)]
    pub rejected: Vec<LineItemError>,
    /// What to buy again: the rejected items, the items of failed order
    /// groups, and those of orders that ended in error, partial success
    /// (the items with no subscription) or a rejected purchase-order review.
    #[serde(default)]
    pub to_buy_again: Vec<ToBuyAgain>,
    /// False when the cart was found already submitted (code 800065) and
    /// its orders are not all in the order list yet, inside the list's lag
    /// ([`Client::order_list_lag`](crate::Client::order_list_lag)): what
    /// was bought is not known yet. The purchase is unfinished; running it
    /// again after [`run_again_after`](Self::run_again_after) looks again,
    /// and never buys.
    #[serde(default)]
    pub orders_visible: bool,
    /// Orders of a cart found already submitted that this purchase or
    /// another one in the journal could own: bought, but not named as
    /// anyone's, and listed apart from [`orders`](Self::orders).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<OrderId>,
    /// When the purchase finished (`YYYY-MM-DDTHH:MM:SSZ`), on an outcome
    /// read back from the journal for a purchase run again: it bought
    /// nothing this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// When running the purchase again can tell more
    /// (`YYYY-MM-DDTHH:MM:SSZ`): the end of the order list's lag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_again_after: Option<String>,
}

impl PurchaseOutcome {
    /// Whether everything asked for was bought and provisioned.
    pub fn is_complete(&self) -> bool {
        self.orders_visible
            && self.to_buy_again.is_empty()
            && self.candidates.is_empty()
            && !self.orders.is_empty()
            && self.orders.iter().all(Order::is_completed)
    }

    /// Whether the purchase is finished: nothing left to wait for or to
    /// look for. An unfinished one (orders still provisioning, or not yet
    /// listed after 800065) finishes when run again.
    pub fn is_finished(&self) -> bool {
        self.orders_visible && self.still_provisioning().next().is_none()
    }

    /// Whether anything was bought: an order that did not fail or get
    /// cancelled, an order that may be this purchase's, or a cart found
    /// already submitted whose orders are not listed yet.
    pub fn bought_anything(&self) -> bool {
        !self.orders_visible
            || !self.candidates.is_empty()
            || self.orders.iter().any(|order| !is_failure(order))
    }

    /// The tools' exit code for the outcome: 0 when everything was bought
    /// and provisioned, 3 when only part of it was (or it is unfinished),
    /// 1 when nothing was bought.
    pub fn exit_code(&self) -> u8 {
        match (self.is_complete(), self.bought_anything()) {
            (true, _) => 0,
            (false, true) => 3,
            (false, false) => 1,
        }
    }

    /// The orders still in the service's hands: provisioning, or under a
    /// review that may take days.
    pub fn still_provisioning(&self) -> impl Iterator<Item = &Order> {
        self.orders.iter().filter(|order| order.is_pending())
    }

    /// The orders that wait for the partner to upload the customer's
    /// purchase order (`pending_po_upload`).
    pub fn awaiting_purchase_order(&self) -> impl Iterator<Item = &Order> {
        self.orders
            .iter()
            .filter(|order| order.status == Some(OrderStatus::PendingPoUpload))
    }
}

/// A line item that was not bought, and why, to buy again.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToBuyAgain {
    /// The catalog item (`product:sku:availability`); look its
    /// availability up again before buying, as it may have been reissued.
    #[serde(default)]
    pub catalog_item_id: String,
    /// How many.
    #[serde(default)]
    pub quantity: i64,
    /// Why it was not bought, in words (the service's text escaped).
    #[serde(default)]
    pub reason: String,
}

impl fmt::Display for ToBuyAgain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} x{} ({})",
            Escaped(&self.catalog_item_id),
            self.quantity,
            Escaped(&self.reason)
        )
    }
}

impl fmt::Display for PurchaseOutcome {
    /// One line: each order with its status and subscriptions, then what to
    /// buy again: `order 1ab… completed: 5c2… 9f1…; order 7de… pending_po_upload
    /// (awaits a purchase order); buy again: DZH…:004G:… x2 (rejected: …)`.
    /// The service's text is escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self.orders.iter().map(describe_order).collect();
        if !self.orders_visible {
            let mut text =
                String::from("bought: the cart is ordered, but not all its orders are listed yet");
            if let Some(after) = &self.run_again_after {
                text.push_str(&format!(
                    " (Partner Center lists orders late); run it again after {after}"
                ));
            }
            parts.push(text);
        } else if !self.candidates.is_empty() {
            let ids: Vec<String> = self.candidates.iter().map(ToString::to_string).collect();
            parts.push(format!(
                "bought, orders not yet identified: another purchase in the journal could own \
                 the same orders; candidates (not named as this purchase's): {}",
                ids.join(" ")
            ));
        } else if self.orders.is_empty() {
            parts.push("nothing bought".into());
        }
        parts.extend(
            self.to_buy_again
                .iter()
                .map(|item| format!("buy again: {item}")),
        );
        if let Some(at) = &self.finished_at {
            parts.push(format!(
                "this purchase finished at {at} and buys nothing more; to buy it again, \
                 give it a new label (--label=TEXT)"
            ));
        }
        f.write_str(&parts.join("; "))
    }
}

/// `order ID STATUS: SUBSCRIPTIONS`, or `order ID STATUS (NOTE)`.
fn describe_order(order: &Order) -> String {
    let status = order
        .status
        .as_ref()
        .map_or("no status", OrderStatus::as_str);
    let mut text = format!("order {} {}", order.id, Escaped(status));
    if let Some(note) = order.status.as_ref().and_then(note) {
        text.push_str(&format!(" ({note})"));
    }
    let subscriptions: Vec<String> = order
        .subscription_ids()
        .map(|id| Escaped(id).to_string())
        .collect();
    if !subscriptions.is_empty() {
        text.push_str(&format!(": {}", subscriptions.join(" ")));
    }
    text
}

/// What a status asks of the partner, when it asks anything.
fn note(status: &OrderStatus) -> Option<&'static str> {
    match status {
        OrderStatus::PendingPoUpload => Some("awaits a purchase order"),
        status if status.is_under_review() => Some("under review, may take days"),
        status if status.needs_buying_again() => Some("buy again"),
        OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Suspended => None,
        _ => Some("still provisioning"),
    }
}

/// Whether an order bought nothing: cancelled, failed, or refused review.
pub(super) fn is_failure(order: &Order) -> bool {
    matches!(
        order.status,
        Some(OrderStatus::Cancelled | OrderStatus::Error | OrderStatus::PoReviewRejected)
    )
}

/// The lines of an order to buy again: every line of a failed order, and
/// the lines with no subscription of one that succeeded in part.
pub(super) fn unfulfilled(order: &Order) -> Vec<ToBuyAgain> {
    let Some(status) = order.status.as_ref().filter(|s| s.needs_buying_again()) else {
        return Vec::new();
    };
    let partial = *status == OrderStatus::PartialSuccess;
    order
        .line_items
        .iter()
        .filter(|line| !partial || line.subscription_id.is_none())
        .map(|line| ToBuyAgain {
            catalog_item_id: line.offer_id.as_deref().unwrap_or_default().to_owned(),
            quantity: line.quantity,
            reason: format!("order {} is {}", order.id, status),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_to_buy_again_holds_the_service_s_text_escaped() {
        let order: Order = serde_json::from_value(serde_json::json!({
            "id": "ord1\r\nINFO forged\u{1b}[2J\u{202e}",
            "status": "error",
            "lineItems": [{"offerId": "A:B:C", "quantity": 2}],
        }))
        .unwrap();
        let again = unfulfilled(&order);
        let reason = &again[0].reason;
        assert!(!reason.contains(crate::text::is_unsafe), "{reason:?}");
        assert_eq!(
            reason,
            r"order ord1\r\nINFO forged\u{1b}[2J\u{202e} is error"
        );
    }
}
