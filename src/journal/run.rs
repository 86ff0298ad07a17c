//! Running a purchase, or resuming it where its journal says it stopped.

use std::collections::HashSet;

use uuid::Uuid;

use super::history;
use super::identity::difference;
use super::outcome::{PurchaseOutcome, ToBuyAgain};
use super::state::{self, Checkout, FORMAT, RECENTLY, Snapshot, Stage, millis};
use super::{Held, Journal, JournalError, Purchase, PurchaseKey, describe_snapshot};
use crate::client::Client;
use crate::client::{CheckoutOptions, CreateCartOptions, OrderOptions, WaitOptions};
use crate::error::Error;
use crate::ids::{CartId, OrderId};
use crate::logging::LOG_TARGET;
use crate::model::cart::with_addons;
use crate::model::{
    BillingCycle, Cart, CartCheckoutResult, CartLineItem, CartStatus, NewCart, Order, Segment,
};
use crate::text::Escaped;

/// The service's code for a checkout of a cart already checked out, which
/// older versions of the service sent instead of replaying the result.
const ALREADY_SUBMITTED: i64 = 800_065;

impl Journal {
    /// Runs a purchase, or resumes it where it stopped: creates the cart,
    /// drops the line items the service rejects, checks out, and waits for
    /// the orders with `wait`, recording each step; see the
    /// [module docs](crate::journal). A finished purchase returns its
    /// stored outcome, with [`finished_at`](PurchaseOutcome::finished_at),
    /// and sends nothing.
    ///
    /// The outcome is `Ok` whatever part was bought: look at
    /// [`PurchaseOutcome::is_complete`] and
    /// [`to_buy_again`](PurchaseOutcome::to_buy_again). When the wait runs
    /// out with orders still provisioning, or an older service's orders
    /// are not listed yet, the outcome says so and the purchase stays
    /// unfinished: running it again finishes it.
    ///
    /// # Errors
    ///
    /// - [`Error::Journal`], nothing sent, with
    ///   [`JournalError::Unfinished`], [`JournalError::Superseded`],
    ///   [`JournalError::BoughtRecently`] or
    ///   [`JournalError::OrderedRecently`] when a guard refuses the purchase
    ///   (at its start, or before its checkout), [`JournalError::Abandoned`]
    ///   for an abandoned one, [`JournalError::Held`] when another runner
    ///   has it; or with [`JournalError::Store`] or
    ///   [`JournalError::ClaimLost`] when a record cannot be stored (the
    ///   call it guarded was not sent).
    /// - The error of a call that fails, as the [`Client`] gives it. The
    ///   purchase is unfinished ([`Journal::unfinished`] names it), and
    ///   running it again finishes it.
    pub fn run(
        &self,
        client: &Client,
        purchase: &Purchase,
        wait: WaitOptions,
    ) -> Result<PurchaseOutcome, Error> {
        let mut held = self.claim(purchase.key())?;
        let snapshot = match self.snapshot(purchase.key())? {
            Some(snapshot) => match snapshot.stage {
                Stage::Finished {
                    mut outcome,
                    finished_at,
                    ..
                } => {
                    outcome.finished_at = Some(state::format_time(finished_at));
                    return Ok(outcome);
                }
                Stage::Abandoned {
                    reason,
                    abandoned_at,
                    ..
                } => {
                    return Err(JournalError::Abandoned {
                        purchase: purchase.to_string(),
                        at: state::format_time(abandoned_at),
                        reason,
                    }
                    .into());
                }
                _ => {
                    log::info!(target: LOG_TARGET, "resuming purchase {}", purchase.key());
                    snapshot
                }
            },
            None => {
                // Before the guards: another purchase that checks out from
                // here on may be what replaces this one.
                let started_at = state::now();
                self.guard(
                    purchase.key(),
                    purchase.contents(),
                    purchase.is_again(),
                    None,
                )?;
                self.guard_elsewhere(
                    client,
                    purchase.key(),
                    purchase.contents(),
                    purchase.is_again(),
                )?;
                if !purchase.is_again() {
                    history::refuse_if_ordered_recently(client, purchase)?;
                }
                let cart = with_availabilities(client, purchase)?;
                let snapshot = Snapshot {
                    format: FORMAT,
                    purchase: purchase.key().name(),
                    customer: purchase.customer(),
                    label: purchase.label_text().map(str::to_owned),
                    contents: purchase.contents().to_vec(),
                    cart,
                    started_at,
                    stage: Stage::Started {
                        create_request_id: Uuid::new_v4(),
                    },
                };
                held.append(&snapshot)?;
                snapshot
            }
        };
        Run {
            journal: self,
            client,
            held,
            snapshot,
            cart: None,
            key: purchase.key().clone(),
            again: purchase.is_again(),
            recorded_send: false,
        }
        .go(wait)
    }

    /// The guards against the user's other file journals on this machine
    /// (see [`Registry`](super::registry)): one of them holds a purchase of
    /// the customer whose checkout may have bought, or bought the same
    /// contents within 7 days (unless `again`).
    fn guard_elsewhere(
        &self,
        client: &Client,
        key: &PurchaseKey,
        contents: &[String],
        again: bool,
    ) -> Result<(), Error> {
        let Some(registry) = &self.registry else {
            return Ok(());
        };
        let customer = key.customer();
        let others = registry.others(client.base_url(), customer)?;
        for other in others {
            let words = format!(
                "{} (in the journal {})",
                other.purchase,
                other.journal.display()
            );
            match other.ended {
                None => {
                    return Err(JournalError::Unfinished {
                        customer: customer.to_string(),
                        other: words,
                        difference: difference(&other.contents, contents),
                    }
                    .into());
                }
                Some((at, true)) if !again && other.contents == contents => {
                    return Err(JournalError::BoughtRecently {
                        customer: customer.to_string(),
                        other: words,
                        finished_at: state::format_time(at),
                    }
                    .into());
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Drops this journal's note of `key` from the user's record, if kept.
    pub(super) fn forget_elsewhere(&self, key: &PurchaseKey) {
        if let Some(registry) = &self.registry
            && let Err(error) = registry.forget(key)
        {
            log::warn!(target: LOG_TARGET, "purchase {key}: {error}");
        }
    }

    /// Refuses a purchase that could buy twice by accident, when it starts
    /// and again before its checkout (`started_at` then says when it
    /// started): see the [module docs](crate::journal#guards-against-buying-twice-by-accident).
    fn guard(
        &self,
        key: &PurchaseKey,
        contents: &[String],
        again: bool,
        started_at: Option<u64>,
    ) -> Result<(), Error> {
        let now = state::now();
        let customer = key.customer().to_string();
        for (listed, other) in self.others(key)? {
            let difference = || difference(&other.contents, contents);
            if !listed.ended && other.stage.may_have_acted() {
                return Err(JournalError::Unfinished {
                    customer,
                    other: describe_snapshot(&other),
                    difference: difference(),
                }
                .into());
            }
            if !again
                && let Some(started_at) = started_at
                && replaced_since(&other.stage, started_at)
            {
                return Err(JournalError::Superseded {
                    customer,
                    other: describe_snapshot(&other),
                    difference: difference(),
                }
                .into());
            }
            if let Stage::Finished {
                outcome,
                finished_at,
                ..
            } = &other.stage
                && !again
                && other.contents == contents
                && outcome.bought_anything()
                && now.saturating_sub(*finished_at) < millis(RECENTLY)
            {
                return Err(JournalError::BoughtRecently {
                    customer,
                    other: describe_snapshot(&other),
                    finished_at: state::format_time(*finished_at),
                }
                .into());
            }
        }
        Ok(())
    }
}

/// How the service refused a checkout for good, taking nothing: an answer
/// of 4xx, with no attempt of the call in doubt or in progress.
fn refused_for_good(error: &Error) -> Option<String> {
    let status = error.status()?;
    ((400..500).contains(&status) && !error.should_repeat()).then(|| {
        let code = error
            .service_error()
            .and_then(|service| service.code_number())
            .map_or_else(String::new, |code| format!(", code {code}"));
        format!("HTTP {status}{code}")
    })
}

/// Whether a purchase at `stage` sent its checkout after `started_at` and
/// may have bought with it: it may have replaced a purchase started then.
fn replaced_since(stage: &Stage, started_at: u64) -> bool {
    let bought_nothing = match stage {
        Stage::Abandoned { .. } => true,
        Stage::Finished { outcome, .. } => !outcome.bought_anything(),
        _ => false,
    };
    !bought_nothing
        && stage
            .checkout()
            .is_some_and(|checkout| checkout.sent_at > started_at)
}

/// The cart a new purchase starts with: a line given by product and SKU
/// alone (`CFQ7TTC0LH18:0001`) is bought from the availability purchasable
/// now in the commercial segment, on the term and billing cycle it asks
/// for (or the first offered, when it names no term).
fn with_availabilities(client: &Client, purchase: &Purchase) -> Result<NewCart, Error> {
    purchase.cart().try_map_lines(|item| {
        let mut parts = item.catalog_item_id.split(':');
        let (Some(product), Some(sku), None) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(item.clone());
        };
        let offer =
            client.availability_to_buy(purchase.customer(), product, sku, &Segment::Commercial)?;
        let billing = item.billing_cycle.clone().unwrap_or(BillingCycle::Monthly);
        let term = item.term_duration.as_deref().unwrap_or_default();
        let chosen = offer.line_item(item.quantity, term, billing)?;
        Ok(CartLineItem {
            catalog_item_id: chosen.catalog_item_id,
            billing_cycle: chosen.billing_cycle,
            term_duration: chosen.term_duration,
            ..item.clone()
        })
    })
}

/// One purchase being run, with its last record.
struct Run<'a> {
    journal: &'a Journal,
    client: &'a Client,
    held: Held<'a>,
    snapshot: Snapshot,
    /// The cart as the create returned it, saving a read.
    cart: Option<Cart>,
    /// The purchase's key.
    key: PurchaseKey,
    /// Whether [`Purchase::again`] was said.
    again: bool,
    /// Whether this run recorded the checkout it sends.
    recorded_send: bool,
}

impl Run<'_> {
    /// Records a new stage, then moves to it.
    fn save(&mut self, stage: Stage) -> Result<(), Error> {
        let next = Snapshot {
            stage,
            ..self.snapshot.clone()
        };
        self.held.append(&next)?;
        self.snapshot = next;
        Ok(())
    }

    fn customer(&self) -> crate::ids::CustomerId {
        self.snapshot.customer
    }

    /// Takes the purchase from its stage to its end, or as far as it goes.
    fn go(mut self, wait: WaitOptions) -> Result<PurchaseOutcome, Error> {
        if let Stage::Started { create_request_id } = self.snapshot.stage {
            self.create(create_request_id)?;
        }
        if let Stage::Created { .. } = self.snapshot.stage
            && !self.prepare()?
        {
            return self.finished(&CartCheckoutResult::default(), Vec::new());
        }
        if let Stage::CheckoutSent { checkout } = &self.snapshot.stage
            && let Some(unknown) = self.checkout(checkout.clone())?
        {
            return Ok(unknown);
        }
        let Stage::CheckedOut { result, .. } = &self.snapshot.stage else {
            return Err(JournalError::Store(
                format!(
                    "purchase {} is at stage {}, not checked out",
                    self.snapshot.purchase,
                    self.snapshot.stage.name()
                )
                .into(),
            )
            .into());
        };
        let result = result.clone();
        if result.orders.is_empty() {
            return self.finished(&result, Vec::new());
        }
        match self.client.wait_for_orders(self.customer(), &result, wait) {
            Ok(orders) => self.finished(&result, orders),
            // Still provisioning: unfinished, so a run again waits again.
            Err(Error::WaitTimedOut { orders, .. }) => {
                Ok(self.snapshot.outcome(&result, orders, true))
            }
            Err(error) => Err(error),
        }
    }

    /// Records the outcome of a purchase that has nothing left to wait for.
    fn finished(
        &mut self,
        result: &CartCheckoutResult,
        orders: Vec<Order>,
    ) -> Result<PurchaseOutcome, Error> {
        let outcome = self.snapshot.outcome(result, orders, true);
        let finished_at = state::now();
        self.save(Stage::Finished {
            checkout: self.snapshot.stage.checkout().cloned(),
            outcome: outcome.clone(),
            finished_at,
        })?;
        // Finished whatever the record says: a failure to note it there
        // only keeps the user's other journals cautious.
        if let Err(error) = self.record_elsewhere(Some((finished_at, outcome.bought_anything()))) {
            log::warn!(target: LOG_TARGET, "purchase {}: {error}", self.snapshot.purchase);
        }
        Ok(outcome)
    }

    /// Notes in the user's record of file journals that this purchase may
    /// buy, or, with `ended`, that it ended.
    fn record_elsewhere(&self, ended: Option<(u64, bool)>) -> Result<(), JournalError> {
        let Some(registry) = &self.journal.registry else {
            return Ok(());
        };
        let words = describe_snapshot(&self.snapshot);
        registry.write(
            self.client.base_url(),
            &self.key,
            &self.snapshot.contents,
            &words,
            ended,
        )
    }

    /// Creates the cart with the request ID recorded at the start, so that
    /// a repeat after a crash returns the cart the first one made.
    fn create(&mut self, create_request_id: Uuid) -> Result<(), Error> {
        self.held.may_act()?;
        let created = self.client.create_cart(
            self.customer(),
            &self.snapshot.cart,
            &CreateCartOptions::new().request_id(create_request_id),
        )?;
        let Some(cart_id) = created.id else {
            return Err(Error::InvalidId {
                kind: "cart ID",
                value: String::new(),
                reason: "Partner Center answered the create with a cart that has none",
            });
        };
        self.save(Stage::Created {
            create_request_id,
            cart_id,
            dropped: Vec::new(),
        })?;
        self.cart = Some(created);
        Ok(())
    }

    /// Drops the line items the service rejects, then records the
    /// checkout about to be sent. False when no line item is left.
    fn prepare(&mut self) -> Result<bool, Error> {
        let Stage::Created {
            create_request_id,
            cart_id,
            mut dropped,
        } = self.snapshot.stage.clone()
        else {
            return Ok(true);
        };
        let mut cart = match self.cart.take() {
            Some(cart) => cart,
            None => self.read_cart(cart_id)?,
        };
        if cart.has_errors() {
            let items = cart.remove_items_in_error();
            for item in items {
                log::info!(target: LOG_TARGET, "purchase {}: dropping {item}", self.snapshot.purchase);
                // A resumed run drops again what a killed one recorded.
                if !dropped.contains(&item) {
                    dropped.push(item);
                }
            }
            self.save(Stage::Created {
                create_request_id,
                cart_id,
                dropped: dropped.clone(),
            })?;
            if !cart.line_items.is_empty() {
                cart = self.client.update_cart(self.customer(), cart_id, &cart)?;
            }
        }
        if cart.line_items.is_empty() {
            return Ok(false);
        }
        // The guards again, for a new purchase and a resumed one alike,
        // under the customer's lock until the checkout is recorded: of two
        // purchases started side by side, or one resumed after another
        // replaced it, only one checks out.
        let _customer = self.journal.lock_customer(self.customer())?;
        self.journal.guard(
            &self.key,
            &self.snapshot.contents,
            self.again,
            Some(self.snapshot.started_at),
        )?;
        // Recorded for the user's other journals first, then checked
        // against theirs: of two started at once, neither goes on.
        self.record_elsewhere(None)?;
        if let Err(error) = self.journal.guard_elsewhere(
            self.client,
            &self.key,
            &self.snapshot.contents,
            self.again,
        ) {
            self.journal.forget_elsewhere(&self.key);
            return Err(error);
        }
        self.save(Stage::CheckoutSent {
            checkout: Checkout {
                cart_id,
                dropped,
                request_id: Uuid::new_v4(),
                line_items: cart.line_items,
                sent_at: state::now(),
                resent_at: None,
                refused: None,
            },
        })?;
        self.recorded_send = true;
        Ok(true)
    }

    /// Checks the cart out with the request ID recorded before, which the
    /// service answers with the first result, and records it. An older
    /// service's 800065 is answered from the cart and the order list;
    /// `Some` when what was bought cannot be known yet.
    fn checkout(&mut self, mut checkout: Checkout) -> Result<Option<PurchaseOutcome>, Error> {
        // A resumed run records that it sends the checkout again, so that
        // an abandon, and the order list's lag, count from the last send
        // that may have acted.
        let earlier_send = checkout.resent_at;
        if !self.recorded_send {
            self.record_elsewhere(None)?;
            checkout.resent_at = Some(state::now());
            checkout.refused = None;
            self.save(Stage::CheckoutSent {
                checkout: checkout.clone(),
            })?;
        }
        self.held.may_act()?;
        let options = CheckoutOptions::new().request_id(checkout.request_id);
        let customer = self.customer();
        match self
            .client
            .checkout_with(customer, checkout.cart_id, &options)
        {
            Ok(result) => {
                self.save(Stage::CheckedOut {
                    checkout,
                    result,
                    unmatched: Vec::new(),
                    candidates: Vec::new(),
                })?;
                Ok(None)
            }
            Err(error)
                if error.service_error().and_then(|e| e.code_number())
                    == Some(ALREADY_SUBMITTED) =>
            {
                // This send found the cart submitted: unless an attempt of
                // it may have acted before the answer (in doubt, or in
                // progress), it took nothing, and the send before it is the
                // last that may have.
                if checkout.resent_at != earlier_send && !error.should_repeat() {
                    checkout.resent_at = earlier_send;
                    self.save(Stage::CheckoutSent {
                        checkout: checkout.clone(),
                    })?;
                }
                let cart = self.confirm_ordered(checkout.cart_id, error)?;
                self.already_submitted(&cart, checkout)
            }
            Err(error) => {
                if let Some(refusal) = refused_for_good(&error) {
                    checkout.refused = Some(refusal);
                    if let Err(record) = self.save(Stage::CheckoutSent { checkout }) {
                        log::warn!(target: LOG_TARGET, "purchase {}: the checkout's refusal could not be recorded: {record}", self.snapshot.purchase);
                    }
                }
                Err(error)
            }
        }
    }

    /// Reads a cart of the purchase.
    fn read_cart(&self, cart_id: CartId) -> Result<Cart, Error> {
        self.client.get_cart(self.customer(), cart_id)
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
            self.snapshot.purchase
        );
        Ok(cart)
    }

    /// What a cart found already submitted bought, from the customer's
    /// order list: the orders only this purchase can own are its own;
    /// those another purchase could own too are candidates, no one's.
    /// Inside the order list's lag, lines with no order (or orders shared)
    /// are not known yet: `Some` outcome, unfinished, nothing recorded.
    /// After it, lines with no order are to buy again.
    fn already_submitted(
        &mut self,
        cart: &Cart,
        checkout: Checkout,
    ) -> Result<Option<PurchaseOutcome>, Error> {
        let mut listed = self
            .client
            .list_orders(self.customer(), &OrderOptions::new())?;
        let key = super::PurchaseKey::from_name(&self.snapshot.purchase);
        let others = match &key {
            Some(key) => self.journal.others(key)?,
            None => Vec::new(),
        };
        let named: HashSet<OrderId> = others
            .iter()
            .flat_map(|(_, other)| other.stage.own_orders())
            .collect();
        listed.retain(|order| !named.contains(&order.id));
        let rivals: Vec<Vec<CartLineItem>> = others
            .iter()
            .filter(|(_, other)| other.stage.orders_unknown())
            .filter_map(|(_, other)| other.stage.checkout().map(|c| c.line_items.clone()))
            .collect();
        // An order another purchase could own as well is no one's: it is
        // listed apart, and covers a line only as far as not buying it
        // again goes.
        let ours: Vec<&CartLineItem> = with_addons(&checkout.line_items).collect();
        let (shared, rest): (Vec<Order>, Vec<Order>) = listed.into_iter().partition(|order| {
            matches_lines(order, ours.clone()).is_some()
                && rivals
                    .iter()
                    .any(|lines| matches_lines(order, with_addons(lines).collect()).is_some())
        });
        let (own, unmatched) = orders_of_cart(cart, &checkout.line_items, rest);
        let (shared, unmatched) = orders_of_cart_all(cart, &unmatched, shared);
        let lag = self.client.order_list_lag();
        let known_at = checkout.last_sent_at().saturating_add(millis(lag));
        let candidates: Vec<OrderId> = shared.iter().map(|order| order.id.clone()).collect();
        if state::now() < known_at && (!unmatched.is_empty() || !shared.is_empty()) {
            let probe = Snapshot {
                stage: Stage::CheckoutSent {
                    checkout: checkout.clone(),
                },
                ..self.snapshot.clone()
            };
            let mut outcome = probe.outcome(&CartCheckoutResult::default(), own, false);
            outcome.candidates = candidates;
            outcome.run_again_after = Some(state::format_time(known_at));
            return Ok(Some(outcome));
        }
        let lag_words = super::lag_words(lag);
        let unmatched = unmatched
            .into_iter()
            .map(|item| ToBuyAgain {
                catalog_item_id: item.catalog_item_id.clone(),
                quantity: item.quantity,
                reason: format!(
                    "the cart was already submitted and no order was listed for this line \
                     {lag_words} after the checkout (its order group failed, or was never \
                     made)"
                ),
            })
            .collect();
        if !candidates.is_empty() {
            log::warn!(
                target: LOG_TARGET,
                "purchase {}: orders {} could be this purchase's or another's; named as no one's",
                self.snapshot.purchase,
                Escaped(&candidates.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))
            );
        }
        let result = CartCheckoutResult {
            orders: own,
            ..CartCheckoutResult::default()
        };
        self.save(Stage::CheckedOut {
            checkout,
            result,
            unmatched,
            candidates,
        })?;
        Ok(None)
    }
}

/// Whether an order's lines are each one of `left` (by catalog item, in
/// any case, and quantity), each used once; what is left if so.
fn matches_lines<'a>(
    order: &Order,
    mut left: Vec<&'a CartLineItem>,
) -> Option<Vec<&'a CartLineItem>> {
    if order.line_items.is_empty() {
        return None;
    }
    for line in &order.line_items {
        let at = left.iter().position(|item| {
            item.quantity == line.quantity
                && line
                    .offer_id
                    .as_deref()
                    .is_some_and(|offer| offer.eq_ignore_ascii_case(&item.catalog_item_id))
        })?;
        left.swap_remove(at);
    }
    Some(left)
}

/// The orders that a cart's checkout made, among `listed`: made while the
/// cart lived (no earlier than its creation, before its expiry, to the
/// second), each line of them one of the cart's lines not yet matched, by
/// catalog item and quantity; the oldest first. Also the lines no order
/// matched. A cart with no readable creation time bounds nothing, so it
/// claims no order: an older order of the same items is not its own.
fn orders_of_cart(
    cart: &Cart,
    lines: &[CartLineItem],
    mut listed: Vec<Order>,
) -> (Vec<Order>, Vec<CartLineItem>) {
    let Some(from) = cart.creation_timestamp.as_deref().and_then(to_the_second) else {
        return (Vec::new(), with_addons(lines).cloned().collect());
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
        if let Some(left) = matches_lines(&order, unmatched.clone()) {
            unmatched = left;
            found.push(order);
        }
    }
    (found, unmatched.into_iter().cloned().collect())
}

/// Every order among `shared` made while the cart lived that matches one
/// of its lines, and the lines left with none.
fn orders_of_cart_all(
    cart: &Cart,
    lines: &[CartLineItem],
    shared: Vec<Order>,
) -> (Vec<Order>, Vec<CartLineItem>) {
    let (first, left) = orders_of_cart(cart, lines, shared.clone());
    let Some(from) = cart.creation_timestamp.as_deref().and_then(to_the_second) else {
        return (first, left);
    };
    let until = cart.expiration_timestamp.as_deref().and_then(to_the_second);
    let all: Vec<&CartLineItem> = with_addons(lines).collect();
    let in_window = shared
        .into_iter()
        .filter(|order| {
            order
                .creation_date
                .as_deref()
                .and_then(to_the_second)
                .is_some_and(|made| made >= from && until.is_none_or(|until| made <= until))
        })
        .filter(|order| matches_lines(order, all.clone()).is_some())
        .collect();
    (in_window, left)
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
        let (found, unmatched) = orders_of_cart(&cart, &lines, listed.clone());
        let ids: Vec<&OrderId> = found.iter().map(|order| &order.id).collect();
        assert_eq!(ids, [&listed[2].id, &listed[4].id]);
        assert!(unmatched.is_empty());

        let (found, unmatched) = orders_of_cart(&cart, &lines, listed[..3].to_vec());
        assert_eq!(found.len(), 1);
        assert_eq!(unmatched.len(), 1, "one line has no order yet");
        assert_eq!(orders_of_cart(&cart, &lines, Vec::new()).1.len(), 2);

        let timeless = Cart {
            creation_timestamp: None,
            ..cart.clone()
        };
        let (found, unmatched) = orders_of_cart(&timeless, &lines, listed);
        assert!(found.is_empty() && unmatched.len() == 2, "{found:?}");
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
