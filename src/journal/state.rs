//! Where a purchase stands: one snapshot a record, the last one wins.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::outcome::{PurchaseOutcome, ToBuyAgain, unfulfilled};
use crate::ids::{CartId, CustomerId, OrderId};
use crate::model::cart::with_addons;
use crate::model::{CartCheckoutResult, CartLineItem, LineItemError, NewCart, Order};

/// The format of the records this version writes; a record of a newer
/// one is refused, never guessed at.
pub(crate) const FORMAT: u32 = 1;

/// One record of a purchase: everything known about it at that moment,
/// so that the last record alone says where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Snapshot {
    /// The record format ([`FORMAT`]).
    pub format: u32,
    /// The purchase's key, as its name (`customer/digest`).
    pub purchase: String,
    /// The customer.
    pub customer: CustomerId,
    /// The caller's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The canonical contents, for messages.
    pub contents: Vec<String>,
    /// The cart as started: a resumed purchase buys it, whatever the
    /// availability IDs are now.
    pub cart: NewCart,
    /// When the purchase started, in milliseconds since the Unix epoch.
    pub started_at: u64,
    /// Where it stands.
    #[serde(flatten)]
    pub stage: Stage,
}

/// Where a purchase stands, as its last record says: each stage holds
/// what the next step needs and nothing it cannot have yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "stage",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum Stage {
    /// Recorded before the create: its request ID, sent again on resume so
    /// that the service returns the cart it made.
    Started {
        /// The `MS-RequestId` of the create.
        create_request_id: Uuid,
    },
    /// The cart was created; line items the service rejected are dropped
    /// (recorded before the update that drops them).
    Created {
        /// The `MS-RequestId` of the create.
        create_request_id: Uuid,
        /// The cart.
        cart_id: CartId,
        /// The line items dropped.
        #[serde(default)]
        dropped: Vec<LineItemError>,
    },
    /// Recorded before the checkout is sent: from here on it may have
    /// acted, and the purchase is never created again.
    CheckoutSent {
        /// The checkout.
        checkout: Checkout,
    },
    /// The checkout's result is known: its orders are this purchase's.
    CheckedOut {
        /// The checkout.
        checkout: Checkout,
        /// The result, or the orders found for a cart already submitted.
        result: CartCheckoutResult,
        /// Lines of a cart already submitted that no order was listed for
        /// once the order list's lag had passed.
        #[serde(default)]
        unmatched: Vec<ToBuyAgain>,
        /// Orders of a cart already submitted that another purchase could
        /// own as well: named as no one's.
        #[serde(default)]
        candidates: Vec<OrderId>,
    },
    /// Nothing is sent for the purchase any more.
    Finished {
        /// The checkout, when one was sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkout: Option<Checkout>,
        /// The outcome.
        outcome: PurchaseOutcome,
        /// When it finished, in milliseconds since the Unix epoch.
        finished_at: u64,
    },
    /// Retired without buying anything: nothing is sent for it any more.
    Abandoned {
        /// The cart, if one was created.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cart_id: Option<CartId>,
        /// Why it was safe to abandon.
        reason: String,
        /// When, in milliseconds since the Unix epoch.
        abandoned_at: u64,
    },
}

/// A checkout sent: the cart, what was dropped from it, the request ID
/// and the line items as checked out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Checkout {
    /// The cart checked out.
    pub cart_id: CartId,
    /// The line items dropped before it.
    #[serde(default)]
    pub dropped: Vec<LineItemError>,
    /// The `MS-RequestId` of the checkout, sent again on resume.
    pub request_id: Uuid,
    /// The cart's line items as checked out, with their order groups.
    pub line_items: Vec<CartLineItem>,
    /// When it was first sent, in milliseconds since the Unix epoch.
    pub sent_at: u64,
    /// When a resumed run last sent it again and may have acted, in
    /// milliseconds since the Unix epoch; `None` when it was sent once. A
    /// send answered that the cart was already submitted (800065) took
    /// nothing and does not count. The order list's lag counts from the
    /// last send ([`last_sent_at`](Self::last_sent_at)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resent_at: Option<u64>,
    /// How Partner Center refused the last send for good, taking nothing
    /// (HTTP 4xx, no attempt in doubt or in progress); `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

impl Checkout {
    /// When it was last sent, in milliseconds since the Unix epoch.
    pub fn last_sent_at(&self) -> u64 {
        self.resent_at.unwrap_or(self.sent_at).max(self.sent_at)
    }
}

impl Stage {
    /// The stage's name as records spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Stage::Started { .. } => "started",
            Stage::Created { .. } => "created",
            Stage::CheckoutSent { .. } => "checkout_sent",
            Stage::CheckedOut { .. } => "checked_out",
            Stage::Finished { .. } => "finished",
            Stage::Abandoned { .. } => "abandoned",
        }
    }

    /// Whether the purchase has ended: finished or abandoned.
    pub fn has_ended(&self) -> bool {
        matches!(self, Stage::Finished { .. } | Stage::Abandoned { .. })
    }

    /// Whether a checkout was sent and the purchase has not ended: it may
    /// have bought, and what is not yet known.
    pub fn may_have_acted(&self) -> bool {
        matches!(self, Stage::CheckoutSent { .. } | Stage::CheckedOut { .. })
    }

    /// The cart, once created.
    pub fn cart_id(&self) -> Option<CartId> {
        match self {
            Stage::Started { .. } => None,
            Stage::Created { cart_id, .. } => Some(*cart_id),
            Stage::CheckoutSent { checkout } | Stage::CheckedOut { checkout, .. } => {
                Some(checkout.cart_id)
            }
            Stage::Finished {
                checkout, outcome, ..
            } => checkout.as_ref().map(|c| c.cart_id).or(outcome.cart_id),
            Stage::Abandoned { cart_id, .. } => *cart_id,
        }
    }

    /// The checkout, once sent.
    pub fn checkout(&self) -> Option<&Checkout> {
        match self {
            Stage::CheckoutSent { checkout } | Stage::CheckedOut { checkout, .. } => Some(checkout),
            Stage::Finished { checkout, .. } => checkout.as_ref(),
            _ => None,
        }
    }

    /// The orders known to be this purchase's.
    pub(crate) fn own_orders(&self) -> Vec<OrderId> {
        match self {
            Stage::CheckedOut { result, .. } => {
                result.orders.iter().map(|order| order.id.clone()).collect()
            }
            Stage::Finished { outcome, .. } => outcome
                .orders
                .iter()
                .map(|order| order.id.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the purchase's orders may be among those of the customer
    /// not yet named: its checkout was sent and its orders not all named.
    pub(crate) fn orders_unknown(&self) -> bool {
        match self {
            Stage::CheckoutSent { .. } => true,
            Stage::CheckedOut { candidates, .. } => !candidates.is_empty(),
            Stage::Finished {
                checkout: Some(_),
                outcome,
                ..
            } => !outcome.candidates.is_empty(),
            _ => false,
        }
    }
}

/// How long a purchase's contents, bought, keep another with the same
/// contents from starting without [`Purchase::again`](super::Purchase::again):
/// under another label in the journal, or in the customer's orders.
pub(crate) const RECENTLY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// A duration in milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// A time in milliseconds since the Unix epoch, as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn format_time(millis: u64) -> String {
    crate::dates::format_utc(millis / 1_000)
}

impl Snapshot {
    /// The outcome of the purchase this is the last record of, from the
    /// checkout's result and the orders as last read.
    pub(super) fn outcome(
        &self,
        result: &CartCheckoutResult,
        orders: Vec<Order>,
        orders_visible: bool,
    ) -> PurchaseOutcome {
        let checkout = self.stage.checkout();
        let dropped: &[LineItemError] = match (&self.stage, checkout) {
            (_, Some(checkout)) => &checkout.dropped,
            (Stage::Created { dropped, .. }, None) => dropped,
            _ => &[],
        };
        let lines: &[CartLineItem] = checkout.map_or(&[], |checkout| &checkout.line_items);
        let mut to_buy_again: Vec<ToBuyAgain> = dropped
            .iter()
            .map(|item| ToBuyAgain {
                catalog_item_id: item.catalog_item_id.clone(),
                quantity: quantity_of(&self.cart, item),
                reason: format!("rejected: {}", item.error),
            })
            .collect();
        for error in &result.order_errors {
            let group = error.order_group_id.as_deref();
            to_buy_again.extend(
                with_addons(lines)
                    .filter(|item| item.order_group.as_deref() == group)
                    .map(|item| ToBuyAgain {
                        catalog_item_id: item.catalog_item_id.clone(),
                        quantity: item.quantity,
                        reason: error.to_string(),
                    }),
            );
        }
        let mut candidates = Vec::new();
        if let Stage::CheckedOut {
            unmatched,
            candidates: shared,
            ..
        } = &self.stage
        {
            to_buy_again.extend(unmatched.iter().cloned());
            candidates = shared.clone();
        }
        for order in &orders {
            to_buy_again.extend(unfulfilled(order));
        }
        PurchaseOutcome {
            key: self.purchase.clone(),
            label: self.label.clone(),
            cart_id: self.stage.cart_id(),
            orders,
            failed_groups: result.order_errors.clone(),
            rejected: dropped.to_vec(),
            to_buy_again,
            orders_visible,
            candidates,
            finished_at: None,
            run_again_after: None,
        }
    }
}

/// The quantity of a rejected line item, from the cart as asked for.
fn quantity_of(cart: &NewCart, item: &LineItemError) -> i64 {
    let lines = cart.line_items();
    with_addons(lines)
        .find(|line| line.id == item.line_item_id)
        .or_else(|| with_addons(lines).find(|line| line.catalog_item_id == item.catalog_item_id))
        .map_or(0, |line| line.quantity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_back_with_its_stage_named() {
        let snapshot = Snapshot {
            format: FORMAT,
            purchase: "p".into(),
            customer: "28045616-f6b9-462f-9701-0d89b5e65c44".parse().unwrap(),
            label: None,
            contents: vec!["A:1 x1 monthly P1M".into()],
            cart: NewCart::new(),
            started_at: 1,
            stage: Stage::Started {
                create_request_id: Uuid::nil(),
            },
        };
        let json = serde_json::to_string(&snapshot).unwrap();
        assert!(json.contains(r#""stage":"started""#), "{json}");
        assert!(json.contains(r#""format":1"#), "{json}");
        assert_eq!(serde_json::from_str::<Snapshot>(&json).unwrap(), snapshot);
    }
}
