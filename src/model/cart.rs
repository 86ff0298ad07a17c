//! Carts: what a partner puts together before checkout.

use crate::text::Escaped;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::enums::loose_eq;
use super::{
    Attributes, BillingCycle, Link, Pricing, PurchaseCommitment, RenewsTo,
    integer_or_numeric_string, null_as_default, object_or_default, object_or_none,
    one_object_or_none, string_map,
};
use crate::ids::CartId;

wire_enum! {
    /// Where a cart stands.
    pub enum CartStatus {
        /// `Active`: the cart may still be changed or checked out.
        Active = "Active",
        /// `Ordered`: the cart has been checked out.
        Ordered = "Ordered",
    }
}

wire_enum! {
    /// The role of a partner on record in a line item.
    pub enum ParticipantType {
        /// `unknown`.
        Unknown = "unknown",
        /// `transaction_reseller`: the indirect reseller.
        TransactionReseller = "transaction_reseller",
        /// `additional_transaction_reseller`: a further reseller (EU/EFTA,
        /// at most 5).
        AdditionalTransactionReseller = "additional_transaction_reseller",
        /// `consumption_reseller`.
        ConsumptionReseller = "consumption_reseller",
    }
}

/// A cart, as Partner Center returns it.
///
/// To create one, build a [`NewCart`]; to change one, edit the cart that
/// [`Client::get_cart`](crate::Client::get_cart) returned and pass it to
/// [`Client::update_cart`](crate::Client::update_cart).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Cart {
    /// The cart's ID, assigned by the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CartId>,
    /// When the cart was made (ISO 8601). The documentation spells it
    /// `creationTimeStamp`; both spellings are read.
    #[serde(
        default,
        alias = "creationTimeStamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_timestamp: Option<String>,
    /// When the cart last changed (ISO 8601).
    #[serde(
        default,
        alias = "lastModifiedTimeStamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_modified_timestamp: Option<String>,
    /// When the cart expires (ISO 8601): 7 days after it was made.
    #[serde(
        default,
        alias = "expirationTimeStamp",
        alias = "ExpirationTimestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration_timestamp: Option<String>,
    /// The object ID of the user who last changed the cart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_user: Option<String>,
    /// The cart's line items.
    #[serde(default, alias = "LineItems", deserialize_with = "null_as_default")]
    pub line_items: Vec<CartLineItem>,
    /// Where the cart stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CartStatus>,
    /// Whether the partner-of-record attestation was accepted.
    #[serde(
        default,
        alias = "PartnerOnRecordAttestationAccepted",
        skip_serializing_if = "Option::is_none"
    )]
    pub partner_on_record_attestation_accepted: Option<bool>,
    /// A link to the cart itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<CartLinks>,
    /// The resource's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// The fields this crate does not model, as the service sent them: they
    /// go back unchanged with [`Client::update_cart`](crate::Client::update_cart),
    /// so that a read, a change and an update lose nothing the service adds.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Cart {
    /// Adds a line item and its add-ons, numbering them after the highest
    /// line item ID in the cart, add-ons included: IDs must be unique
    /// across the cart.
    pub fn add_line_item(&mut self, item: CartLineItem) {
        push_numbered(&mut self.line_items, item);
    }

    /// Adds a new-commerce base offer and its add-ons as top-level line
    /// items, each add-on in its base's order group; see
    /// [`NewCart::line_item_with_new_commerce_addons`].
    pub fn add_line_item_with_new_commerce_addons(
        &mut self,
        base: CartLineItem,
        addons: impl IntoIterator<Item = CartLineItem>,
    ) {
        push_with_new_commerce_addons(&mut self.line_items, base, addons);
    }

    /// Every line item in error, add-ons included, with its error, in cart
    /// order (an item before its add-ons). Borrows, so looking costs no
    /// copies.
    ///
    /// ```
    /// # let cart = partner_center_cart::Cart::default();
    /// for (item, error) in cart.items_in_error() {
    ///     eprintln!("{} x{} rejected: {error}", item.catalog_item_id, item.quantity);
    /// }
    /// ```
    pub fn items_in_error(&self) -> impl Iterator<Item = (&CartLineItem, &CartError)> {
        items_in_error(&self.line_items)
    }

    /// Every line item in error, add-ons included, with its error, as owned
    /// values (to keep, or to put in an error). See
    /// [`items_in_error`](Self::items_in_error) to only look.
    pub fn line_item_errors(&self) -> Vec<LineItemError> {
        self.items_in_error()
            .map(|(item, error)| LineItemError::new(item, error.clone()))
            .collect()
    }

    /// Whether any line item, add-ons included, is in error.
    pub fn has_errors(&self) -> bool {
        self.items_in_error().next().is_some()
    }

    /// Removes every line item in error, add-ons included, and returns what
    /// it removed, in cart order. Send the cart back with
    /// [`Client::update_cart`](crate::Client::update_cart) afterwards.
    ///
    /// An item's add-ons go with it, since they are bought against the
    /// subscription it creates; those of them in error are in the returned
    /// list too.
    ///
    /// The line items left keep their IDs: IDs only have to be unique in
    /// the cart, add-ons included, so the gaps left are fine. Take the IDs
    /// from the cart that `update_cart` returns.
    ///
    /// ```
    /// use partner_center_cart::Cart;
    ///
    /// let mut cart: Cart = serde_json::from_str(r#"{"lineItems": [
    ///     {"id": 0, "catalogItemId": "A", "error": {"errorCode": 10003}},
    ///     {"id": 1, "catalogItemId": "B", "addonItems": [
    ///         {"id": 2, "catalogItemId": "C", "error": {"errorCode": 10012}}
    ///     ]}
    /// ]}"#).unwrap();
    /// let removed = cart.remove_items_in_error();
    /// assert_eq!(removed.len(), 2);
    /// assert_eq!(cart.line_items.len(), 1);
    /// assert!(cart.line_items[0].addon_items.is_empty());
    /// ```
    pub fn remove_items_in_error(&mut self) -> Vec<LineItemError> {
        fn prune(items: &mut Vec<CartLineItem>, removed: &mut Vec<LineItemError>) {
            items.retain_mut(|item| match item.error.take() {
                Some(error) => {
                    removed.push(LineItemError {
                        line_item_id: item.id,
                        catalog_item_id: std::mem::take(&mut item.catalog_item_id),
                        error,
                    });
                    removed.extend(
                        items_in_error(&item.addon_items)
                            .map(|(addon, error)| LineItemError::new(addon, error.clone())),
                    );
                    false
                }
                None => {
                    prune(&mut item.addon_items, removed);
                    true
                }
            });
        }
        let mut removed = Vec::new();
        prune(&mut self.line_items, &mut removed);
        removed
    }
}

/// The line items in error among `items`, add-ons included, depth first.
fn items_in_error(items: &[CartLineItem]) -> impl Iterator<Item = (&CartLineItem, &CartError)> {
    with_addons(items).filter_map(|item| item.error.as_ref().map(|error| (item, error)))
}

/// Line items with their add-ons, depth first: each item before its
/// add-ons.
pub(crate) fn with_addons(items: &[CartLineItem]) -> impl Iterator<Item = &CartLineItem> {
    let mut stack: Vec<std::slice::Iter<'_, CartLineItem>> = vec![items.iter()];
    std::iter::from_fn(move || {
        loop {
            let Some(item) = stack.last_mut()?.next() else {
                stack.pop();
                continue;
            };
            if !item.addon_items.is_empty() {
                stack.push(item.addon_items.iter());
            }
            return Some(item);
        }
    })
}

/// A line item in error, as [`Cart::line_item_errors`] lists it and
/// [`Cart::remove_items_in_error`] returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LineItemError {
    /// The line item's ID within the cart.
    #[serde(default)]
    pub line_item_id: i64,
    /// What the line item buys.
    #[serde(default)]
    pub catalog_item_id: String,
    /// Why the service rejected it.
    #[serde(default)]
    pub error: CartError,
}

impl LineItemError {
    fn new(item: &CartLineItem, error: CartError) -> Self {
        LineItemError {
            line_item_id: item.id,
            catalog_item_id: item.catalog_item_id.clone(),
            error,
        }
    }
}

impl fmt::Display for LineItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line item {} ({}): {}",
            self.line_item_id,
            Escaped(&self.catalog_item_id),
            self.error
        )
    }
}

/// Links from a cart.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CartLinks {
    /// The cart itself.
    #[serde(default, rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Link>,
}

/// A cart to create: its line items and the partner-of-record attestation.
///
/// ```
/// use partner_center_cart::{BillingCycle, CartLineItem, NewCart, model::ParticipantType};
///
/// let cart = NewCart::new()
///     .line_item(CartLineItem::new("CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", 1, BillingCycle::Monthly).term_duration("P1M"))
///     .line_item(
///         CartLineItem::new("CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", 2, BillingCycle::Monthly)
///             .term_duration("P1Y")
///             .participant(ParticipantType::TransactionReseller, "5357564"),
///     )
///     .partner_on_record_attestation_accepted(true);
/// assert_eq!(cart.line_items()[1].id, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCart {
    #[serde(default, alias = "LineItems", deserialize_with = "null_as_default")]
    line_items: Vec<CartLineItem>,
    #[serde(
        default,
        alias = "PartnerOnRecordAttestationAccepted",
        skip_serializing_if = "Option::is_none"
    )]
    partner_on_record_attestation_accepted: Option<bool>,
}

impl NewCart {
    /// An empty cart.
    pub fn new() -> Self {
        NewCart::default()
    }

    /// Adds a line item and its add-ons, numbering them after the ones
    /// already there: base items and add-ons share one sequence (0, 1, 2,
    /// …), each base item followed by its add-ons, so that every ID is
    /// unique within the cart and a line item's error names one item.
    pub fn line_item(mut self, item: CartLineItem) -> Self {
        push_numbered(&mut self.line_items, item);
        self
    }

    /// Adds a new-commerce base offer and its add-ons, each add-on as a
    /// top-level line item right after its base, in the base's order group.
    ///
    /// Which form is for which offers: new-commerce add-ons are bought like
    /// base offers, as line items of their own; `addonItems`
    /// ([`CartLineItem::addon`]) is for traditional licence-based offers
    /// only. A new-commerce add-on needs its base (the SKU's
    /// `dynamicAttributes.prerequisiteSkus`) in the same cart or already
    /// owned by the customer; without it the service puts the add-on in
    /// error with code 400041. To add one to a base subscription the
    /// customer already has, add it with [`line_item`](Self::line_item).
    ///
    /// ```
    /// use partner_center_cart::{BillingCycle, CartLineItem, NewCart};
    ///
    /// let item = |id: &str| CartLineItem::new(id, 20, BillingCycle::Monthly).term_duration("P1M");
    /// let cart = NewCart::new().line_item_with_new_commerce_addons(
    ///     item("CFQ7TTC0LFLX:0001:CFQ7TTC0LB30"),
    ///     [item("CFQ7TTC0HDJX:0001:CFQ7TTC0K806")],
    /// );
    /// let ids: Vec<i64> = cart.line_items().iter().map(|item| item.id).collect();
    /// assert_eq!(ids, [0, 1]);
    /// assert!(cart.line_items()[0].addon_items.is_empty());
    /// ```
    pub fn line_item_with_new_commerce_addons(
        mut self,
        base: CartLineItem,
        addons: impl IntoIterator<Item = CartLineItem>,
    ) -> Self {
        push_with_new_commerce_addons(&mut self.line_items, base, addons);
        self
    }

    /// Records whether the partner-of-record attestation is accepted.
    ///
    /// Is it required? Partner Center's later request documentation marks
    /// `partnerOnRecordAttestationAccepted` required when a cart is
    /// created, so send `true` once the partner of record on the cart has
    /// been confirmed. Offers that enforce an attestation of their own also
    /// need [`CartLineItem::attestation_accepted`]; without it the service
    /// puts the line item in error with code 10012 (`AttestationNotAccepted`)
    /// or refuses the call with 900203.
    pub fn partner_on_record_attestation_accepted(mut self, accepted: bool) -> Self {
        self.partner_on_record_attestation_accepted = Some(accepted);
        self
    }

    /// The line items so far.
    pub fn line_items(&self) -> &[CartLineItem] {
        &self.line_items
    }

    /// The same cart with its top-level line items changed by `change`.
    pub(crate) fn try_map_lines<E>(
        &self,
        mut change: impl FnMut(&CartLineItem) -> Result<CartLineItem, E>,
    ) -> Result<NewCart, E> {
        let line_items = self
            .line_items
            .iter()
            .map(&mut change)
            .collect::<Result<_, E>>()?;
        Ok(NewCart {
            line_items,
            ..self.clone()
        })
    }
}

/// Pushes `item` onto a cart's line items, numbering it and its add-ons
/// after the highest ID there.
fn push_numbered(items: &mut Vec<CartLineItem>, mut item: CartLineItem) {
    fn highest(items: &[CartLineItem]) -> Option<i64> {
        items
            .iter()
            .flat_map(|item| std::iter::once(item.id).chain(highest(&item.addon_items)))
            .max()
    }
    fn number(item: &mut CartLineItem, next: &mut i64) {
        item.id = *next;
        *next = next.saturating_add(1);
        for addon in &mut item.addon_items {
            number(addon, next);
        }
    }
    let mut next = highest(items).map_or(0, |id| id.saturating_add(1));
    number(&mut item, &mut next);
    items.push(item);
}

/// Pushes a new-commerce base and its add-ons as top-level line items,
/// each add-on in the base's order group where the base has one.
fn push_with_new_commerce_addons(
    items: &mut Vec<CartLineItem>,
    base: CartLineItem,
    addons: impl IntoIterator<Item = CartLineItem>,
) {
    let group = base.order_group.clone();
    push_numbered(items, base);
    for mut addon in addons {
        if addon.order_group.is_none() {
            addon.order_group.clone_from(&group);
        }
        push_numbered(items, addon);
    }
}

/// One line of a cart: what to buy, how many, and on what terms.
///
/// Build one with [`CartLineItem::new`] and the setters:
///
/// ```
/// use partner_center_cart::{BillingCycle, CartLineItem};
///
/// let item = CartLineItem::new("DZH318Z0BQ36:004G:DZH318Z08C0S", 1, BillingCycle::OneTime)
///     .term_duration("P1Y")
///     .provisioning_context("subscriptionId", "1C461A25-F729-4FA5-AADB-280947DD05E8")
///     .provisioning_context("scope", "shared");
/// assert_eq!(item.provisioning_context["scope"], "shared");
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CartLineItem {
    /// The line's ID within the cart (0, 1, ...), unique in the cart, add-ons
    /// included. An update keeps the IDs it is sent and refuses repeats, so
    /// the gaps that removing lines leaves are fine; take the IDs from the
    /// cart that [`Client::create_cart`](crate::Client::create_cart) or
    /// [`Client::update_cart`](crate::Client::update_cart) returned.
    /// The documentation types it as a string and the examples send
    /// numbers: both `0` and `"0"` are read; it is written as a number.
    #[serde(default, deserialize_with = "integer_or_numeric_string")]
    pub id: i64,
    /// The catalog item to buy: `product:sku:availability`, or a legacy
    /// offer ID.
    #[serde(default, alias = "catalogId", alias = "CatalogItemId")]
    pub catalog_item_id: String,
    /// A label for the subscription (the service ignores it at checkout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// Licences or instances.
    #[serde(default)]
    pub quantity: i64,
    /// The currency, filled in by the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// How the line is billed. Required on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_cycle: Option<BillingCycle>,
    /// The term as an ISO 8601 duration: `P1M`, `P1Y`, `P3Y`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_duration: Option<String>,
    /// Partners on record (MPN IDs).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub participants: Vec<Participant>,
    /// Values the SKU's provisioning variables ask for, such as the
    /// subscription and scope of a reserved instance.
    #[serde(
        default,
        alias = "ProvisioningContext",
        deserialize_with = "string_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub provisioning_context: BTreeMap<String, String>,
    /// The order group, set by the service: items of one group become one
    /// order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group: Option<String>,
    /// Add-ons bought against the subscription this item creates, for
    /// traditional licence-based offers only: new-commerce add-ons are
    /// top-level line items (see [`NewCart::line_item_with_new_commerce_addons`]).
    #[serde(
        default,
        alias = "addOnItems",
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub addon_items: Vec<CartLineItem>,
    /// Why the service rejected this item, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CartError>,
    /// The term the subscription renews to. The documentation types it as
    /// an array and the service sends one object: both are read.
    #[serde(
        default,
        deserialize_with = "one_object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub renews_to: Option<RenewsTo>,
    /// Whether the offer's attestation is accepted; needed where the offer
    /// enforces attestation.
    #[serde(
        default,
        alias = "AttestationAccepted",
        skip_serializing_if = "Option::is_none"
    )]
    pub attestation_accepted: Option<bool>,
    /// A promotion to apply. The service may fill one in by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<String>,
    /// Pre-tax prices, filled in by the service.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub pricing: Option<Pricing>,
    /// What a savings plan commits to spend, such as 0.05 USD an hour.
    #[serde(
        default,
        deserialize_with = "object_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub purchase_commitment: Option<PurchaseCommitment>,
    /// The purchase system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_system: Option<String>,
    /// A custom end date of the term (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_term_end_date: Option<String>,
    /// The fields this crate does not model, such as
    /// `coterminousSubscriptionId`, as the service sent them; they go back
    /// unchanged with [`Client::update_cart`](crate::Client::update_cart).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl CartLineItem {
    /// A line item buying `quantity` of a catalog item, billed by
    /// `billing_cycle`. The quantity may be any integer type that converts
    /// to `i64` losslessly, such as a `u32` count; see the [`model`](super)
    /// docs on why quantities are `i64`.
    pub fn new(
        catalog_item_id: impl Into<String>,
        quantity: impl Into<i64>,
        billing_cycle: BillingCycle,
    ) -> Self {
        CartLineItem {
            catalog_item_id: catalog_item_id.into(),
            quantity: quantity.into(),
            billing_cycle: Some(billing_cycle),
            ..CartLineItem::default()
        }
    }

    /// Sets the term, such as `P1M` or `P1Y`.
    pub fn term_duration(mut self, term: impl Into<String>) -> Self {
        self.term_duration = Some(term.into());
        self
    }

    /// Sets the subscription's label.
    pub fn friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }

    /// Adds a partner on record.
    pub fn participant(mut self, kind: ParticipantType, mpn_id: impl Into<String>) -> Self {
        self.participants.push(Participant {
            key: kind,
            value: mpn_id.into(),
        });
        self
    }

    /// Adds a provisioning value.
    pub fn provisioning_context(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.provisioning_context.insert(key.into(), value.into());
        self
    }

    /// Sets the term the subscription renews to.
    pub fn renews_to(mut self, term: impl Into<String>) -> Self {
        self.renews_to = Some(RenewsTo::term(term));
        self
    }

    /// Records whether the offer's attestation is accepted.
    pub fn attestation_accepted(mut self, accepted: bool) -> Self {
        self.attestation_accepted = Some(accepted);
        self
    }

    /// Sets a promotion to apply.
    pub fn promotion_id(mut self, promotion: impl Into<String>) -> Self {
        self.promotion_id = Some(promotion.into());
        self
    }

    /// Sets what a savings plan commits to spend.
    pub fn purchase_commitment(mut self, commitment: PurchaseCommitment) -> Self {
        self.purchase_commitment = Some(commitment);
        self
    }

    /// Sets a custom end date of the term (ISO 8601).
    pub fn custom_term_end_date(mut self, date: impl Into<String>) -> Self {
        self.custom_term_end_date = Some(date.into());
        self
    }

    /// Sets a field this crate does not model, such as
    /// `coterminousSubscriptionId`, to send as it is.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }

    /// Adds an add-on of a traditional licence-based offer, bought against
    /// the subscription this item creates, in `addonItems`. New-commerce
    /// add-ons do not go there: add them with
    /// [`NewCart::line_item_with_new_commerce_addons`]. Its ID is set again when the item goes into a cart
    /// ([`NewCart::line_item`], [`Cart::add_line_item`]), in one sequence
    /// with the cart's other items.
    pub fn addon(mut self, mut item: CartLineItem) -> Self {
        item.id = self.addon_items.len() as i64;
        self.addon_items.push(item);
        self
    }
}

/// A partner on record of a line item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Participant {
    /// The partner's role.
    pub key: ParticipantType,
    /// The partner's MPN ID.
    #[serde(default)]
    pub value: String,
}

/// Why the service rejected a line item.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CartError {
    /// What kind of problem it is.
    #[serde(default)]
    pub error_code: CartErrorCode,
    /// What went wrong, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Further details, such as the quantities behind a quota error. A
    /// value that is not an object reads as empty.
    #[serde(
        default,
        deserialize_with = "object_or_default",
        skip_serializing_if = "CartErrorInformation::is_empty"
    )]
    pub additional_information: CartErrorInformation,
}

/// The details of a [`CartError`] (`additionalInformation`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CartErrorInformation {
    /// How many are still available to buy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_quantity: Option<i64>,
    /// How many have been bought already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchased_quantity: Option<i64>,
    /// The details this crate does not model, as the service sent them.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl CartErrorInformation {
    /// Whether there are no details at all.
    pub fn is_empty(&self) -> bool {
        *self == CartErrorInformation::default()
    }
}

impl CartError {
    /// An error with this code and description.
    pub fn new(code: CartErrorCode, description: impl Into<String>) -> Self {
        CartError {
            error_code: code,
            error_description: Some(description.into()),
            additional_information: CartErrorInformation::default(),
        }
    }
}

impl CartError {
    /// Whether the line item's catalog item is not known, or no longer:
    /// code 400019 (availability not found; availability IDs are reissued
    /// from time to time) or 10001 (catalog item ID not valid). Look the
    /// availability up again, as
    /// [`Client::availability_to_buy`](crate::Client::availability_to_buy)
    /// does, and replace the item.
    pub fn is_catalog_item_not_found(&self) -> bool {
        matches!(self.error_code.code(), Some(400_019 | 10_001))
    }
}

impl fmt::Display for CartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error_code)?;
        if let Some(description) = &self.error_description {
            write!(f, ": {}", Escaped(description))?;
        }
        if let Some(hint) = self.error_code.hint() {
            write!(f, "; to fix: {hint}")?;
        }
        Ok(())
    }
}

macro_rules! cart_error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )+) => {
        /// The kind of a line item's error (`CartErrorCode`).
        ///
        /// The service sends a number; some clients send the name in snake
        /// case. Both are read; a code this crate does not know is kept in
        /// [`Other`](Self::Other) and written back as it came.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
        #[non_exhaustive]
        pub enum CartErrorCode {
            $( $(#[$doc])* $variant, )+
            /// A code this version of the crate does not know.
            Other(crate::model::FaultCode),
        }

        impl CartErrorCode {
            /// The numeric code, when there is one.
            pub fn code(&self) -> Option<i64> {
                match self {
                    $( CartErrorCode::$variant => Some($code), )+
                    CartErrorCode::Other(code) => code.as_i64(),
                }
            }

            /// What to do about the error, for the codes whose fix is not
            /// obvious from their description, such as 400041 (a
            /// new-commerce add-on without its base); see
            /// [`FaultCode::hint`](super::FaultCode::hint).
            pub fn hint(&self) -> Option<&'static str> {
                crate::model::FaultCode::Number(self.code()?).hint()
            }

            /// The documented name, such as `CatalogItemIdIsNotValid`.
            pub fn name(&self) -> Option<&'static str> {
                match self {
                    $( CartErrorCode::$variant => Some(stringify!($variant)), )+
                    CartErrorCode::Other(_) => None,
                }
            }

            fn from_number(number: i64) -> Self {
                match number {
                    $( $code => CartErrorCode::$variant, )+
                    other => CartErrorCode::Other(crate::model::FaultCode::Number(other)),
                }
            }

            fn from_text(text: &str) -> Self {
                if let Ok(number) = text.trim().parse::<i64>() {
                    return Self::from_number(number);
                }
                $(
                    if loose_eq(text, stringify!($variant)) {
                        return CartErrorCode::$variant;
                    }
                )+
                CartErrorCode::Other(crate::model::FaultCode::Text(text.to_owned()))
            }
        }
    };
}

cart_error_codes! {
    /// 0: unknown or unrecognised.
    #[default]
    Unknown = 0,
    /// 10000: the currency is not offered in that market.
    CurrencyIsNotSupported = 10000,
    /// 10001: the catalog item ID is wrong.
    CatalogItemIdIsNotValid = 10001,
    /// 10002: not enough quota.
    QuotaNotAvailable = 10002,
    /// 10003: the offer is out of inventory.
    InventoryNotAvailable = 10003,
    /// 10004: this partner may not set participants.
    ParticipantsIsNotSupportedForPartner = 10004,
    /// 10006: the line item could not be processed.
    UnableToProcessCartLineItem = 10006,
    /// 10007: the referenced subscription is not valid.
    SubscriptionIsNotValid = 10007,
    /// 10008: the subscription cannot buy reserved instances.
    SubscriptionIsNotEnabledForRI = 10008,
    /// 10009: the integration sandbox's limit was hit.
    SandboxLimitExceeded = 10009,
    /// 10010: the input is not valid.
    InvalidInput = 10010,
    /// 10011: the subscription is not registered.
    SubscriptionNotRegistered = 10011,
    /// 10012: the item needs `attestationAccepted: true`.
    AttestationNotAccepted = 10012,
    /// 10013: the billing plan is not supported.
    BillingPlanNotSupported = 10013,
    /// 10014: the promotion ID is not valid.
    InvalidPromotionId = 10014,
    /// 10015: more seats than a subscription allows.
    MaxAllowedSeatsPerSubscriptionExceeded = 10015,
    /// 10016: the product does not take a custom term end date.
    InvalidCustomTermEndDateProduct = 10016,
    /// 10017: the custom term end date is not valid.
    InvalidCustomTermEndDate = 10017,
    /// 10018: the base offer has too few seats.
    BaseOfferSeatQuantityNotMet = 10018,
    /// 10019: too few add-on seats.
    MinimumAddOnSeatsNotMet = 10019,
    /// 500600: a legacy offer that can no longer be bought.
    LegacyOfferNotEligibleForPurchase = 500600,
}

impl fmt::Display for CartErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code(), self.name()) {
            (Some(code), Some(name)) => write!(f, "error {code} ({name})"),
            (_, _) => match self {
                CartErrorCode::Other(code) => write!(f, "error {code}"),
                _ => f.write_str("error"),
            },
        }
    }
}

impl Serialize for CartErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            CartErrorCode::Other(code) => code.serialize(serializer),
            known => serializer.serialize_i64(known.code().unwrap_or_default()),
        }
    }
}

impl<'de> Deserialize<'de> for CartErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;

        impl Visitor<'_> for CodeVisitor {
            type Value = CartErrorCode;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a cart error code as a number or a name")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CartErrorCode, E> {
                Ok(CartErrorCode::from_number(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CartErrorCode, E> {
                Ok(i64::try_from(v).map_or_else(
                    |_| CartErrorCode::Other(crate::model::FaultCode::Text(v.to_string())),
                    CartErrorCode::from_number,
                ))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<CartErrorCode, E> {
                Ok(CartErrorCode::from_text(v))
            }

            fn visit_unit<E: de::Error>(self) -> Result<CartErrorCode, E> {
                Ok(CartErrorCode::Unknown)
            }
        }

        deserializer.deserialize_any(CodeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FaultCode;

    #[test]
    fn cart_error_codes_read_numbers_and_names() {
        let read = |json: &str| serde_json::from_str::<CartErrorCode>(json).unwrap();
        assert_eq!(read("10001"), CartErrorCode::CatalogItemIdIsNotValid);
        assert_eq!(
            read("\"catalog_item_id_is_not_valid\""),
            CartErrorCode::CatalogItemIdIsNotValid
        );
        assert_eq!(
            read("\"AttestationNotAccepted\""),
            CartErrorCode::AttestationNotAccepted
        );
        assert_eq!(read("\"10012\""), CartErrorCode::AttestationNotAccepted);
        assert_eq!(
            read("500600"),
            CartErrorCode::LegacyOfferNotEligibleForPurchase
        );
        assert_eq!(read("null"), CartErrorCode::Unknown);
        assert_eq!(
            read("77777"),
            CartErrorCode::Other(FaultCode::Number(77777))
        );
        assert_eq!(
            read("\"brand_new\""),
            CartErrorCode::Other(FaultCode::Text("brand_new".into()))
        );
    }

    #[test]
    fn cart_error_codes_write_back_as_numbers_or_as_they_came() {
        let write = |code: &CartErrorCode| serde_json::to_string(code).unwrap();
        assert_eq!(write(&CartErrorCode::AttestationNotAccepted), "10012");
        assert_eq!(
            write(&CartErrorCode::Other(FaultCode::Number(77777))),
            "77777"
        );
        assert_eq!(
            write(&CartErrorCode::Other(FaultCode::Text("brand_new".into()))),
            "\"brand_new\""
        );
        assert_eq!(
            CartErrorCode::CatalogItemIdIsNotValid.to_string(),
            "error 10001 (CatalogItemIdIsNotValid)"
        );
    }

    #[test]
    fn both_timestamp_spellings_are_read() {
        let cart: Cart = serde_json::from_str(
            r#"{"creationTimeStamp": "a", "lastModifiedTimestamp": "b", "expirationTimeStamp": "c"}"#,
        )
        .unwrap();
        assert_eq!(cart.creation_timestamp.as_deref(), Some("a"));
        assert_eq!(cart.last_modified_timestamp.as_deref(), Some("b"));
        assert_eq!(cart.expiration_timestamp.as_deref(), Some("c"));
        let json = serde_json::to_value(&cart).unwrap();
        assert_eq!(json["creationTimestamp"], "a");
    }

    #[test]
    fn line_item_errors_include_add_ons() {
        let cart: Cart = serde_json::from_str(
            r#"{"lineItems": [
                {"id": 0, "catalogItemId": "A", "error": {"errorCode": 10001, "errorDescription": "bad id"}},
                {"id": 1, "catalogItemId": "B", "addonItems": [
                    {"id": 0, "catalogItemId": "C", "error": {"errorCode": "attestation_not_accepted"}}
                ]},
                {"id": 2, "catalogItemId": "D"}
            ]}"#,
        )
        .unwrap();
        let errors = cart.line_item_errors();
        assert!(cart.has_errors());
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[0].to_string(),
            "line item 0 (A): error 10001 (CatalogItemIdIsNotValid): bad id"
        );
        assert_eq!(errors[1].catalog_item_id, "C");
        assert_eq!(
            errors[1].error.error_code,
            CartErrorCode::AttestationNotAccepted
        );
    }

    fn cart_with_errors_in_add_ons() -> Cart {
        serde_json::from_str(
            r#"{"lineItems": [
                {"id": 0, "catalogItemId": "A", "error": {"errorCode": 10003}, "addonItems": [
                    {"id": 1, "catalogItemId": "A1", "error": {"errorCode": 10012}},
                    {"id": 2, "catalogItemId": "A2"}
                ]},
                {"id": 3, "catalogItemId": "B", "addonItems": [
                    {"id": 4, "catalogItemId": "B1", "error": {"errorCode": 10019}},
                    {"id": 5, "catalogItemId": "B2"}
                ]},
                {"id": 6, "catalogItemId": "C"}
            ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn items_in_error_are_borrowed_in_cart_order() {
        let cart = cart_with_errors_in_add_ons();
        let seen: Vec<(&str, Option<i64>)> = cart
            .items_in_error()
            .map(|(item, error)| (item.catalog_item_id.as_str(), error.error_code.code()))
            .collect();
        assert_eq!(
            seen,
            [("A", Some(10003)), ("A1", Some(10012)), ("B1", Some(10019))]
        );
        assert_eq!(cart.line_item_errors().len(), 3);
        assert!(!Cart::default().has_errors());
    }

    #[test]
    fn removing_items_in_error_takes_add_ons_too() {
        let mut cart = cart_with_errors_in_add_ons();
        let expected = cart.line_item_errors();
        let removed = cart.remove_items_in_error();
        assert_eq!(removed, expected);
        assert!(!cart.has_errors());
        let left: Vec<&str> = cart
            .line_items
            .iter()
            .map(|item| item.catalog_item_id.as_str())
            .collect();
        assert_eq!(left, ["B", "C"]);
        // A's add-ons went with it; B kept the add-on not in error.
        assert_eq!(cart.line_items[0].addon_items.len(), 1);
        assert_eq!(cart.line_items[0].addon_items[0].catalog_item_id, "B2");
        assert!(cart.remove_items_in_error().is_empty());
    }

    #[test]
    fn line_item_errors_serialize_as_camel_case_json() {
        let error = cart_with_errors_in_add_ons().line_item_errors().remove(1);
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "lineItemId": 1,
                "catalogItemId": "A1",
                "error": {"errorCode": 10012},
            })
        );
        let back: LineItemError = serde_json::from_value(json).unwrap();
        assert_eq!(back, error);
    }

    #[test]
    fn base_items_and_add_ons_share_one_sequence_of_ids() {
        let item = |id: &str| CartLineItem::new(id, 1, BillingCycle::Monthly);
        let cart = NewCart::new()
            .line_item(item("A").addon(item("A1")).addon(item("A2")))
            .line_item(item("B"))
            .line_item(item("C").addon(item("C1").addon(item("C1a"))));
        let ids: Vec<(i64, &str)> = cart
            .line_items()
            .iter()
            .flat_map(|base| {
                std::iter::once(base).chain(
                    base.addon_items
                        .iter()
                        .flat_map(|addon| std::iter::once(addon).chain(addon.addon_items.iter())),
                )
            })
            .map(|item| (item.id, item.catalog_item_id.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                (0, "A"),
                (1, "A1"),
                (2, "A2"),
                (3, "B"),
                (4, "C"),
                (5, "C1"),
                (6, "C1a")
            ]
        );

        // Adding to a cart that was read numbers after its highest ID.
        let mut read: Cart = serde_json::from_str(
            r#"{"lineItems": [{"id": 0, "addonItems": [{"id": 7}]}, {"id": 2}]}"#,
        )
        .unwrap();
        read.add_line_item(item("D").addon(item("D1")));
        assert_eq!(read.line_items[2].id, 8);
        assert_eq!(read.line_items[2].addon_items[0].id, 9);
        let mut empty = Cart::default();
        empty.add_line_item(item("E"));
        assert_eq!(empty.line_items[0].id, 0);
    }

    #[test]
    fn unknown_fields_of_carts_and_line_items_are_kept_and_written_back() {
        let body = r#"{
            "id": "3e22b548-647d-4223-9675-1fcb6cb57665",
            "status": "Active",
            "brandNewCartField": {"nested": [1, "two"]},
            "lineItems": [{
                "id": 0, "catalogItemId": "A", "quantity": 1,
                "coterminousSubscriptionId": "5c3e0f52-1b6a-4b38-9d8a-7a1f3e4c2d10",
                "addonItems": [{"id": 1, "catalogItemId": "B", "laterField": true}]
            }]
        }"#;
        let cart: Cart = serde_json::from_str(body).unwrap();
        assert_eq!(cart.status, Some(CartStatus::Active));
        assert_eq!(cart.extra["brandNewCartField"]["nested"][1], "two");
        let item = &cart.line_items[0];
        assert_eq!(
            item.extra["coterminousSubscriptionId"],
            "5c3e0f52-1b6a-4b38-9d8a-7a1f3e4c2d10"
        );
        assert_eq!(item.addon_items[0].extra["laterField"], true);
        assert!(!item.extra.contains_key("catalogItemId"));

        let written = serde_json::to_value(&cart).unwrap();
        let original: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(written["brandNewCartField"], original["brandNewCartField"]);
        assert_eq!(
            written["lineItems"][0]["coterminousSubscriptionId"],
            original["lineItems"][0]["coterminousSubscriptionId"]
        );
        assert_eq!(written["lineItems"][0]["addonItems"][0]["laterField"], true);
        assert_eq!(serde_json::from_value::<Cart>(written).unwrap(), cart);
    }

    #[test]
    fn the_create_request_fixture_reads_and_builds_alike() {
        let body = include_bytes!("../../tests/fixtures/cart-create-request.json");
        let read: NewCart = serde_json::from_slice(body).unwrap();
        let built = NewCart::new()
            .line_item(
                CartLineItem::new("CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", 1, BillingCycle::Monthly)
                    .term_duration("P1M")
                    .extra("coterminousSubscriptionId", serde_json::Value::Null),
            )
            .line_item(
                CartLineItem::new("CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", 2, BillingCycle::Monthly)
                    .term_duration("P1Y")
                    .participant(ParticipantType::TransactionReseller, "5357564")
                    .participant(ParticipantType::AdditionalTransactionReseller, "517285")
                    .participant(ParticipantType::AdditionalTransactionReseller, "5357563"),
            )
            .partner_on_record_attestation_accepted(true);
        assert_eq!(read, built);
    }
}
