//! What a purchase came to, and what it leaves for the partner to do.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::CartId;
use crate::model::cart::with_addons;
use crate::model::{CartCheckoutResult, LineItemError, NewCart, Order, OrderError, OrderStatus};
use crate::text::Escaped;

use super::Progress;

/// What a purchase came to: its orders as last read, and what needs the
/// partner's hand (line items to buy again, orders awaiting a purchase
/// order).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PurchaseOutcome {
    /// The purchase's key.
    #[serde(default)]
    pub key: String,
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
    /// its orders are not all in the order list yet (it lags by up to 15
    /// minutes): bought, but not all its orders can be named. Running the
    /// purchase again looks for them again, and never buys.
    #[serde(default)]
    pub orders_visible: bool,
}

impl PurchaseOutcome {
    /// Whether everything asked for was bought and provisioned.
    pub fn is_complete(&self) -> bool {
        self.orders_visible
            && self.to_buy_again.is_empty()
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
    /// cancelled, or a cart found already submitted.
    pub fn bought_anything(&self) -> bool {
        !self.orders_visible || self.orders.iter().any(|order| !is_failure(order))
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

    /// The outcome of a purchase from what its journal and the service
    /// say.
    pub(super) fn new(
        key: &str,
        progress: &Progress,
        result: &CartCheckoutResult,
        orders: Vec<Order>,
        orders_visible: bool,
    ) -> PurchaseOutcome {
        let mut to_buy_again: Vec<ToBuyAgain> = progress
            .dropped
            .iter()
            .map(|item| ToBuyAgain {
                catalog_item_id: item.catalog_item_id.clone(),
                quantity: quantity_of(progress.cart.as_ref(), item),
                reason: format!("rejected: {}", item.error),
            })
            .collect();
        for error in &result.order_errors {
            let group = error.order_group_id.as_deref();
            to_buy_again.extend(
                with_addons(&progress.checkout_lines)
                    .filter(|item| item.order_group.as_deref() == group)
                    .map(|item| ToBuyAgain {
                        catalog_item_id: item.catalog_item_id.clone(),
                        quantity: item.quantity,
                        reason: error.to_string(),
                    }),
            );
        }
        for order in &orders {
            to_buy_again.extend(unfulfilled(order));
        }
        PurchaseOutcome {
            key: key.to_owned(),
            cart_id: progress.cart_id,
            orders,
            failed_groups: result.order_errors.clone(),
            rejected: progress.dropped.clone(),
            to_buy_again,
            orders_visible,
        }
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
            parts.push("bought: the cart is ordered, but not all its orders are listed yet".into());
        } else if self.orders.is_empty() {
            parts.push("nothing bought".into());
        }
        parts.extend(
            self.to_buy_again
                .iter()
                .map(|item| format!("buy again: {item}")),
        );
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
fn is_failure(order: &Order) -> bool {
    matches!(
        order.status,
        Some(OrderStatus::Cancelled | OrderStatus::Error | OrderStatus::PoReviewRejected)
    )
}

/// The lines of an order to buy again: every line of a failed order, and
/// the lines with no subscription of one that succeeded in part.
fn unfulfilled(order: &Order) -> Vec<ToBuyAgain> {
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

/// The quantity of a rejected line item, from the cart as asked for.
fn quantity_of(cart: Option<&NewCart>, item: &LineItemError) -> i64 {
    let lines = cart.map_or(&[][..], NewCart::line_items);
    with_addons(lines)
        .find(|line| line.id == item.line_item_id)
        .or_else(|| with_addons(lines).find(|line| line.catalog_item_id == item.catalog_item_id))
        .map_or(0, |line| line.quantity)
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
        let outcome = PurchaseOutcome::new(
            "key",
            &Progress::default(),
            &CartCheckoutResult::default(),
            vec![order],
            true,
        );
        let reason = &outcome.to_buy_again[0].reason;
        assert!(!reason.contains(crate::text::is_unsafe), "{reason:?}");
        assert_eq!(
            reason,
            r"order ord1\r\nINFO forged\u{1b}[2J\u{202e} is error"
        );
    }
}
