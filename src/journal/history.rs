//! What the customer's order history says about a new purchase: the guard
//! that reaches past the journal, for a purchase bought by a run that kept
//! another journal (another folder, another machine, a journal lost).

use super::outcome::is_failure;
use super::state::{self, RECENTLY, millis};
use super::{JournalError, Purchase};
use crate::client::{Client, OrderOptions};
use crate::error::Error;
use crate::model::{CartLineItem, Order, OrderLineItem};

/// Refuses a new purchase whose every line the customer's orders of the
/// last 7 days hold, in its quantity, nothing failed: a run with another
/// journal may have bought it. Partner Center lists an order up to 15
/// minutes late, so an order newer than that may not be seen.
pub(super) fn refuse_if_ordered_recently(
    client: &Client,
    purchase: &Purchase,
) -> Result<(), Error> {
    let since = state::format_time(state::now().saturating_sub(millis(RECENTLY)));
    let orders = client.list_orders(purchase.customer(), &OrderOptions::new())?;
    let found = covering_orders(purchase.cart().line_items(), orders, &since[..19]);
    if found.is_empty() {
        return Ok(());
    }
    let orders = found
        .iter()
        .map(|order| {
            let made = order
                .creation_date
                .as_deref()
                .unwrap_or("at an unknown time");
            format!("{} ({made})", order.id)
        })
        .collect::<Vec<_>>()
        .join(", ");
    Err(JournalError::OrderedRecently {
        purchase: purchase.to_string(),
        orders,
    }
    .into())
}

/// The orders made since `since` (`YYYY-MM-DDTHH:MM:SS`, UTC), none of
/// them failed, whose lines together are each of `lines` once (see
/// [`same_item`]); empty unless they cover every line.
fn covering_orders(lines: &[CartLineItem], mut orders: Vec<Order>, since: &str) -> Vec<Order> {
    orders.retain(|order| {
        !is_failure(order)
            && order
                .creation_date
                .as_deref()
                .and_then(|made| made.get(..19))
                .is_some_and(|made| made >= since)
    });
    let mut left: Vec<&CartLineItem> = lines.iter().collect();
    let mut found = Vec::new();
    for order in orders {
        let mut rest = left.clone();
        let covered = !order.line_items.is_empty()
            && order.line_items.iter().all(|line| {
                rest.iter()
                    .position(|item| same_item(item, &order, line))
                    .map(|at| rest.swap_remove(at))
                    .is_some()
            });
        if covered {
            left = rest;
            found.push(order);
        }
    }
    if left.is_empty() { found } else { Vec::new() }
}

/// Whether a line of `order` is a cart line: its product and SKU (any
/// availability, any case) in its quantity, on its billing cycle and term
/// where both say them.
fn same_item(item: &CartLineItem, order: &Order, line: &OrderLineItem) -> bool {
    let product_sku = |id: &str| {
        let mut parts = id.split(':');
        (
            parts.next().map(str::to_ascii_uppercase),
            parts.next().map(str::to_ascii_uppercase),
        )
    };
    let agree = |ours: Option<&str>, theirs: Option<&str>| {
        ours.zip(theirs)
            .is_none_or(|(ours, theirs)| ours.trim().eq_ignore_ascii_case(theirs.trim()))
    };
    item.quantity == line.quantity
        && line
            .offer_id
            .as_deref()
            .is_some_and(|offer| product_sku(offer) == product_sku(&item.catalog_item_id))
        && agree(item.term_duration.as_deref(), line.term_duration.as_deref())
        && item
            .billing_cycle
            .as_ref()
            .zip(order.billing_cycle.as_ref())
            .is_none_or(|(ours, theirs)| ours == theirs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BillingCycle;

    fn order(made: &str, status: &str, lines: &[(&str, i64)]) -> Order {
        let lines: Vec<_> = lines
            .iter()
            .map(|(offer, quantity)| serde_json::json!({"offerId": offer, "quantity": quantity}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": format!("order-{made}"), "creationDate": made, "status": status, "lineItems": lines,
        }))
        .unwrap()
    }

    fn line(item: &str, quantity: i64) -> CartLineItem {
        CartLineItem::new(item, quantity, BillingCycle::Monthly)
    }

    const SINCE: &str = "2026-12-01T00:00:00";

    #[test]
    fn orders_that_hold_every_line_are_found_across_availabilities_and_cases() {
        let lines = [line("CFQ7TTC0LH0Z:0001", 5), line("dzh318z0bq36:004g:X", 2)];
        let orders = vec![
            order(
                "2026-12-05T10:00:00Z",
                "completed",
                &[("cfq7ttc0lh0z:0001:OLD", 5)],
            ),
            order(
                "2026-12-05T10:00:01Z",
                "pending",
                &[("DZH318Z0BQ36:004G:NEW", 2)],
            ),
        ];
        assert_eq!(covering_orders(&lines, orders, SINCE).len(), 2);
    }

    #[test]
    fn a_line_left_uncovered_or_an_old_or_failed_order_finds_nothing() {
        let lines = [line("CFQ7TTC0LH0Z:0001", 5), line("DZH318Z0BQ36:004G", 2)];
        let half = vec![order(
            "2026-12-05T10:00:00Z",
            "completed",
            &[("CFQ7TTC0LH0Z:0001:A", 5)],
        )];
        assert!(covering_orders(&lines, half, SINCE).is_empty());
        let one = [line("CFQ7TTC0LH0Z:0001", 5)];
        for other in [
            order(
                "2026-11-30T23:59:59Z",
                "completed",
                &[("CFQ7TTC0LH0Z:0001:A", 5)],
            ),
            order(
                "2026-12-05T10:00:00Z",
                "cancelled",
                &[("CFQ7TTC0LH0Z:0001:A", 5)],
            ),
            order(
                "2026-12-05T10:00:00Z",
                "completed",
                &[("CFQ7TTC0LH0Z:0001:A", 6)],
            ),
            order(
                "2026-12-05T10:00:00Z",
                "completed",
                &[("CFQ7TTC0LH0Z:0002:A", 5)],
            ),
            // An order with a line the purchase does not have is another's.
            order(
                "2026-12-05T10:00:00Z",
                "completed",
                &[("CFQ7TTC0LH0Z:0001:A", 5), ("OTHER:0001:A", 1)],
            ),
        ] {
            assert!(
                covering_orders(&one, vec![other.clone()], SINCE).is_empty(),
                "{other:?}"
            );
        }
    }

    #[test]
    fn another_billing_cycle_or_term_is_another_item() {
        let monthly = [line("CFQ7TTC0LH0Z:0001", 5).term_duration("P1M")];
        let with = |billing: &str, term: &str| {
            let mut order = order(
                "2026-12-05T10:00:00Z",
                "completed",
                &[("CFQ7TTC0LH0Z:0001:A", 5)],
            );
            order.billing_cycle = serde_json::from_value(serde_json::json!(billing)).unwrap();
            order.line_items[0].term_duration = Some(term.to_owned());
            vec![order]
        };
        assert_eq!(
            covering_orders(&monthly, with("monthly", "p1m"), SINCE).len(),
            1
        );
        assert!(covering_orders(&monthly, with("annual", "P1M"), SINCE).is_empty());
        assert!(covering_orders(&monthly, with("monthly", "P1Y"), SINCE).is_empty());
        // A line that names no term matches any.
        let any_term = [line("CFQ7TTC0LH0Z:0001", 5)];
        assert_eq!(
            covering_orders(&any_term, with("monthly", "P1Y"), SINCE).len(),
            1
        );
    }
}
