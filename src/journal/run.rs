//! Running a purchase, or resuming it where its journal says it stopped.

use uuid::Uuid;

use super::outcome::PurchaseOutcome;
use super::{Event, Journal, JournalError, Progress, Purchase, difference};
use crate::client::Client;
use crate::client::{CheckoutOptions, WaitOptions};
use crate::failure::Error;
use crate::ids::CartId;
use crate::logging::LOG_TARGET;
use crate::model::cart::with_addons;
use crate::model::{Cart, CartCheckoutResult, CartLineItem, CartStatus, Order};
use crate::text::Escaped;

/// The service's code for a checkout of a cart already checked out, which
/// older versions of the service sent instead of replaying the result.
const ALREADY_SUBMITTED: i64 = 800_065;

impl Journal {
    /// Runs a purchase, or resumes it where it stopped: creates the cart,
    /// drops the line items the service rejects, checks out, and waits for
    /// the orders with `wait`, recording each step; see the
    /// [module docs](crate::journal). A purchase already finished returns its stored
    /// outcome and sends nothing.
    ///
    /// The outcome is `Ok` whatever part was bought: look at
    /// [`PurchaseOutcome::is_complete`] and
    /// [`to_buy_again`](PurchaseOutcome::to_buy_again). When the wait runs
    /// out with orders still provisioning, the outcome lists them and the
    /// purchase stays unfinished: running it again waits again.
    ///
    /// # Errors
    ///
    /// - [`Error::Journal`] with [`JournalError::ContentDiffers`] when the
    ///   key was started with another customer or cart (nothing is sent),
    ///   [`JournalError::Busy`] when another thread runs the same key, or
    ///   [`JournalError::Store`] when a record cannot be stored (the call it
    ///   guarded was not sent).
    /// - The error of a call that fails, as the [`Client`] gives it. The
    ///   purchase is unfinished ([`Journal::unfinished`] names it), and
    ///   running it again finishes it.
    pub fn run(
        &self,
        client: &Client,
        purchase: &Purchase,
        wait: WaitOptions,
    ) -> Result<PurchaseOutcome, Error> {
        let _claim = self.claim(&purchase.key)?;
        let progress = self.progress(&purchase.key);
        if let (Some(customer), Some(cart)) = (progress.customer, &progress.cart)
            && let Some(difference) = difference(customer, cart, purchase)
        {
            return Err(JournalError::ContentDiffers {
                key: purchase.key.clone(),
                difference,
            }
            .into());
        }
        if let Some(outcome) = &progress.outcome {
            return Ok(outcome.clone());
        }
        if progress.cart.is_some() {
            log::info!(target: LOG_TARGET, "resuming purchase {}", Escaped(&purchase.key));
        }
        let mut run = Run {
            journal: self,
            client,
            purchase,
            progress,
        };
        run.start()?;
        run.finish(wait)
    }
}

/// One purchase being run, with what its journal says it has done.
struct Run<'a> {
    journal: &'a Journal,
    client: &'a Client,
    purchase: &'a Purchase,
    progress: Progress,
}

impl Run<'_> {
    /// Records a step, then counts it done.
    fn record(&mut self, event: Event) -> Result<(), Error> {
        self.journal.record(&self.purchase.key, event.clone())?;
        self.progress.apply(event);
        Ok(())
    }

    /// Records the start of a new purchase: the cart and the create's
    /// request ID, before anything is sent.
    fn start(&mut self) -> Result<(), Error> {
        if self.progress.cart.is_some() {
            return Ok(());
        }
        self.record(Event::Started {
            customer: self.purchase.customer,
            cart: self.purchase.cart.clone(),
            create_request_id: Uuid::new_v4(),
        })
    }

    /// Checks out (unless done before) and waits for the orders.
    fn finish(mut self, wait: WaitOptions) -> Result<PurchaseOutcome, Error> {
        let (result, visible) = match self.progress.checked_out.clone() {
            Some((result, true)) => (result, true),
            // Submitted before, its orders not listed then: look again.
            Some((_, false)) => {
                let cart_id = self.cart_id()?;
                let cart = self.read_cart(cart_id)?;
                let found = self.orders_of_submitted(&cart)?;
                if found.1 {
                    self.record(Event::CheckedOut {
                        result: found.0.clone(),
                        orders_visible: true,
                    })?;
                }
                found
            }
            None => match self.checkout()? {
                Some(checked_out) => checked_out,
                None => return self.finished(&CartCheckoutResult::default(), Vec::new()),
            },
        };
        if !visible {
            return Ok(self.outcome(&result, result.orders.clone(), false));
        }
        let customer = self.purchase.customer;
        match self.client.wait_for_orders(customer, &result, wait) {
            Ok(orders) => self.finished(&result, orders),
            // Still provisioning: unfinished, so a run again waits again.
            Err(Error::WaitTimedOut { orders, .. }) => Ok(self.outcome(&result, orders, true)),
            Err(error) => Err(error),
        }
    }

    fn outcome(
        &self,
        result: &CartCheckoutResult,
        orders: Vec<Order>,
        visible: bool,
    ) -> PurchaseOutcome {
        PurchaseOutcome::new(&self.purchase.key, &self.progress, result, orders, visible)
    }

    /// Records the outcome of a purchase that has nothing left to wait for.
    fn finished(
        &mut self,
        result: &CartCheckoutResult,
        orders: Vec<Order>,
    ) -> Result<PurchaseOutcome, Error> {
        let outcome = self.outcome(result, orders, true);
        self.record(Event::Finished {
            outcome: outcome.clone(),
        })?;
        Ok(outcome)
    }

    /// The cart's ID, which the journal holds once the cart is created.
    fn cart_id(&self) -> Result<CartId, Error> {
        self.progress.cart_id.ok_or_else(|| {
            Error::from(JournalError::Store(
                format!(
                    "the journal records a checkout of purchase {} but no cart",
                    Escaped(&self.purchase.key)
                )
                .into(),
            ))
        })
    }

    /// Checks the cart out: the first time with a new request ID recorded
    /// before it is sent, after that the same cart with the same ID, which
    /// the service answers with the first result. `None` when no line item
    /// is left to buy.
    fn checkout(&mut self) -> Result<Option<(CartCheckoutResult, bool)>, Error> {
        let request_id = match self.progress.checkout_request_id {
            Some(request_id) => request_id,
            None => {
                let cart = self.prepared_cart()?;
                if cart.line_items.is_empty() {
                    return Ok(None);
                }
                let request_id = Uuid::new_v4();
                self.record(Event::CheckoutSent {
                    request_id,
                    line_items: cart.line_items,
                })?;
                request_id
            }
        };
        let cart_id = self.cart_id()?;
        let options = CheckoutOptions::new().request_id(request_id);
        let customer = self.purchase.customer;
        let (result, visible) = match self.client.checkout_with(customer, cart_id, &options) {
            Ok(result) => (result, true),
            Err(error)
                if error.service_error().and_then(|e| e.code_number())
                    == Some(ALREADY_SUBMITTED) =>
            {
                let cart = self.confirm_ordered(cart_id, error)?;
                self.orders_of_submitted(&cart)?
            }
            Err(error) => return Err(error),
        };
        self.record(Event::CheckedOut {
            result: result.clone(),
            orders_visible: visible,
        })?;
        Ok(Some((result, visible)))
    }

    /// The cart to check out: created (or the create repeated with its
    /// request ID), or read again, with the rejected line items dropped.
    fn prepared_cart(&mut self) -> Result<Cart, Error> {
        let customer = self.purchase.customer;
        let mut cart = match self.progress.cart_id {
            Some(cart_id) => self.read_cart(cart_id)?,
            None => self.create()?,
        };
        let cart_id = self.cart_id()?;
        if cart.has_errors() {
            let items = cart.remove_items_in_error();
            for item in &items {
                log::info!(target: LOG_TARGET, "purchase {}: dropping {item}", Escaped(&self.purchase.key));
            }
            self.record(Event::Dropped { items })?;
            if !cart.line_items.is_empty() {
                cart = self.client.update_cart(customer, cart_id, &cart)?;
            }
        }
        Ok(cart)
    }

    /// Creates the cart with the request ID recorded at the start, so that
    /// a repeat after a crash returns the cart the first one made.
    fn create(&mut self) -> Result<Cart, Error> {
        let (Some(cart), Some(request_id)) = (&self.progress.cart, self.progress.create_request_id)
        else {
            return Err(
                JournalError::Store("the journal lost the start of a purchase".into()).into(),
            );
        };
        let created =
            self.client
                .create_cart_with_request_id(self.purchase.customer, cart, request_id)?;
        let Some(cart_id) = created.id else {
            return Err(Error::InvalidId {
                kind: "cart ID",
                value: String::new(),
                reason: "Partner Center answered the create with a cart that has none",
            });
        };
        self.record(Event::Created { cart_id })?;
        Ok(created)
    }

    /// Reads a cart of the purchase.
    fn read_cart(&self, cart_id: CartId) -> Result<Cart, Error> {
        self.client.get_cart(self.purchase.customer, cart_id)
    }

    /// Reads the cart after a checkout answered 800065: ordered, it was
    /// bought; anything else leaves the refusal standing.
    fn confirm_ordered(&self, cart_id: CartId, refusal: Error) -> Result<Cart, Error> {
        let cart = self.read_cart(cart_id)?;
        if cart.status != Some(CartStatus::Ordered) {
            return Err(refusal);
        }
        log::info!(
            target: LOG_TARGET,
            "purchase {}: cart {cart_id} was already checked out; looking for its orders",
            Escaped(&self.purchase.key)
        );
        Ok(cart)
    }

    /// The orders of a cart checked out before, found in the customer's
    /// order list, and whether they cover every line checked out. Orders
    /// the journal holds for another purchase are never claimed.
    fn orders_of_submitted(&self, cart: &Cart) -> Result<(CartCheckoutResult, bool), Error> {
        let mut listed = self.client.list_orders(self.purchase.customer)?;
        let others = self.journal.orders_of_others(&self.purchase.key);
        listed.retain(|order| !others.contains(&order.id));
        let (orders, covered) = orders_of_cart(cart, &self.progress.checkout_lines, listed);
        let result = CartCheckoutResult {
            orders,
            ..CartCheckoutResult::default()
        };
        Ok((result, covered))
    }
}

/// The orders that a cart's checkout made, among `listed`: made while the
/// cart lived (no earlier than its creation, before its expiry, to the
/// second), each line of them one of the cart's lines not yet matched, by
/// catalog item and quantity; the oldest first. Also whether they match
/// every line. A cart with no readable creation time bounds nothing, so it
/// claims no order: an older order of the same items is not its own.
fn orders_of_cart(
    cart: &Cart,
    lines: &[CartLineItem],
    mut listed: Vec<Order>,
) -> (Vec<Order>, bool) {
    let Some(from) = cart.creation_timestamp.as_deref().and_then(to_the_second) else {
        return (Vec::new(), false);
    };
    let until = cart.expiration_timestamp.as_deref().and_then(to_the_second);
    let mut unmatched: Vec<&CartLineItem> = with_addons(lines).collect();
    listed.sort_by(|a, b| a.creation_date.cmp(&b.creation_date));
    let mut found = Vec::new();
    for order in listed {
        let Some(made) = order.creation_date.as_deref().and_then(to_the_second) else {
            continue;
        };
        if made < from || until.is_some_and(|until| made > until) {
            continue;
        }
        let mut left = unmatched.clone();
        let all_ours = !order.line_items.is_empty()
            && order.line_items.iter().all(|line| {
                let position = left.iter().position(|item| {
                    item.quantity == line.quantity
                        && line
                            .offer_id
                            .as_deref()
                            .is_some_and(|offer| offer.eq_ignore_ascii_case(&item.catalog_item_id))
                });
                position.map(|at| left.swap_remove(at)).is_some()
            });
        if all_ours {
            unmatched = left;
            found.push(order);
        }
    }
    let covered = !found.is_empty() && unmatched.is_empty();
    (found, covered)
}

/// The `YYYY-MM-DDTHH:MM:SS` start of a timestamp, which compares in time
/// order as text; `None` when it does not start so.
fn to_the_second(timestamp: &str) -> Option<&str> {
    let start = timestamp.get(..19)?;
    let shape = start.bytes().enumerate().all(|(at, byte)| match at {
        4 | 7 => byte == b'-',
        10 => byte == b'T' || byte == b't' || byte == b' ',
        13 | 16 => byte == b':',
        _ => byte.is_ascii_digit(),
    });
    shape.then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrderId;
    use crate::model::{BillingCycle, NewCart, OrderLineItem};

    fn cart_of(lines: &[(&str, i64)]) -> NewCart {
        lines.iter().fold(NewCart::new(), |cart, (item, quantity)| {
            cart.line_item(CartLineItem::new(*item, *quantity, BillingCycle::Monthly))
        })
    }

    fn order(id: &str, made: &str, lines: &[(&str, i64)]) -> Order {
        let mut order: Order =
            serde_json::from_value(serde_json::json!({"id": id, "creationDate": made})).unwrap();
        order.line_items = lines
            .iter()
            .map(|(offer, quantity)| OrderLineItem {
                offer_id: Some((*offer).into()),
                quantity: *quantity,
                ..OrderLineItem::default()
            })
            .collect();
        order
    }

    #[test]
    fn a_submitted_carts_orders_are_found_by_time_and_lines() {
        let cart: Cart = serde_json::from_value(serde_json::json!({
            "creationTimestamp": "2026-12-02T10:00:00.1234567Z",
            "expirationTimestamp": "2026-12-09T10:00:00.1234567Z",
        }))
        .unwrap();
        let lines = cart_of(&[("A:1:x", 5), ("B:1:y", 2)]).line_items().to_vec();
        let listed = vec![
            order("before", "2026-12-01T09:00:00Z", &[("A:1:x", 5)]),
            order("other-quantity", "2026-12-02T10:01:00Z", &[("A:1:x", 6)]),
            order("mine-a", "2026-12-02T10:02:00Z", &[("a:1:X", 5)]),
            order(
                "mixed",
                "2026-12-02T10:02:30Z",
                &[("B:1:y", 2), ("C:1:z", 1)],
            ),
            order("mine-b", "2026-12-02T10:03:00Z", &[("B:1:y", 2)]),
            order("after-expiry", "2026-12-10T10:00:00Z", &[("B:1:y", 2)]),
        ];
        let (found, covered) = orders_of_cart(&cart, &lines, listed.clone());
        let ids: Vec<&OrderId> = found.iter().map(|order| &order.id).collect();
        assert_eq!(ids, [&listed[2].id, &listed[4].id]);
        assert!(covered);

        let (found, covered) = orders_of_cart(&cart, &lines, listed[..3].to_vec());
        assert_eq!(found.len(), 1);
        assert!(!covered, "one line has no order yet");
        assert!(!orders_of_cart(&cart, &lines, Vec::new()).1);

        let timeless = Cart {
            creation_timestamp: None,
            ..cart.clone()
        };
        let (found, covered) = orders_of_cart(&timeless, &lines, listed);
        assert!(found.is_empty() && !covered, "{found:?}");
    }

    #[test]
    fn timestamps_compare_to_the_second_only_when_well_formed() {
        assert_eq!(
            to_the_second("2026-12-02T10:00:00.12Z"),
            Some("2026-12-02T10:00:00")
        );
        assert_eq!(to_the_second("2026-12-02"), None);
        assert_eq!(to_the_second("20261202T10:00:00.000000"), None);
    }
}
