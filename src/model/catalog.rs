//! The catalog: products, their SKUs, and the availabilities that name what a
//! cart line item buys.
//!
//! A line item's `catalogItemId` is `{productId}:{skuId}:{availabilityId}`.
//! Price lists give the product and SKU; the availability ID exists only in
//! the API and is reissued from time to time, so look it up when buying:
//! [`Client::list_availabilities`](crate::Client::list_availabilities), then
//! [`Availability::find_purchasable`] and [`Availability::line_item`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use super::enums::loose_eq;
use super::{
    BillingCycle, CartLineItem, Link, null_as_default, object_or_objects, string_or_none,
    text_or_none,
};
use crate::text::Escaped;

wire_enum! {
    /// Which part of the catalog to list (`targetView`).
    ///
    /// New-commerce licences are in [`OnlineServices`](Self::OnlineServices)
    /// together with the legacy ones: there is no `OnlineServicesNCE` view,
    /// although new-commerce products carry that
    /// [`ProductType`] ID.
    pub enum TargetView {
        /// `Azure`: Azure offers such as savings plans.
        Azure = "Azure",
        /// `AzureReservations`: Azure reservations of every kind.
        AzureReservations = "AzureReservations",
        /// `AzureReservationsVM`: reserved virtual machine instances.
        AzureReservationsVm = "AzureReservationsVM",
        /// `AzureReservationsSQL`: reserved SQL capacity.
        AzureReservationsSql = "AzureReservationsSQL",
        /// `AzureReservationsCosmosDb`: reserved Cosmos DB capacity.
        AzureReservationsCosmosDb = "AzureReservationsCosmosDb",
        /// `MicrosoftAzure`: the Azure plan.
        MicrosoftAzure = "MicrosoftAzure",
        /// `OnlineServices`: licence-based services, legacy and new commerce.
        OnlineServices = "OnlineServices",
        /// `Software`: all software.
        Software = "Software",
        /// `SoftwareSUSELinux`: SUSE Linux software.
        SoftwareSuseLinux = "SoftwareSUSELinux",
        /// `SoftwarePerpetual`: perpetual software licences.
        SoftwarePerpetual = "SoftwarePerpetual",
        /// `SoftwareSubscriptions`: software subscriptions.
        SoftwareSubscriptions = "SoftwareSubscriptions",
        /// `SpecializedOffers`: specialized offers.
        SpecializedOffers = "SpecializedOffers",
        /// `MarketplaceSaaS`: third-party software as a service.
        MarketplaceSaas = "MarketplaceSaaS",
    }
}

wire_enum! {
    /// A customer segment (`segment`, `targetSegment`). Unfiltered lists
    /// hold every segment but nonprofit.
    pub enum Segment {
        /// `commercial`.
        Commercial = "commercial",
        /// `education`.
        Education = "education",
        /// `government`.
        Government = "government",
        /// `nonprofit`.
        Nonprofit = "nonprofit",
    }
}

/// A product: what a price list calls an offer, such as Microsoft 365
/// Business Basic.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Product {
    /// The product's ID, such as `CFQ7TTC0LH18`.
    #[serde(default)]
    pub id: String,
    /// The product's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the product is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The product's type, such as `OnlineServicesNCE` or `Azure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<ProductType>,
    /// Whether Microsoft makes the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_microsoft_product: Option<bool>,
    /// Who publishes the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher_name: Option<String>,
    /// Links to the product and its SKUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<ProductLinks>,
    /// Specialized-offer terms, for products of the `SpecializedOffers`
    /// type. One object is read as a list of one.
    #[serde(
        default,
        deserialize_with = "object_or_objects",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub specialized_offer_properties: Vec<SpecializedOfferProperties>,
    /// Names and descriptions in other languages, as the service sent them
    /// (the documentation gives no shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localized_attributes: Option<serde_json::Value>,
}

/// A product's type, with an optional subtype of the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductType {
    /// The type's ID, such as `OnlineServicesNCE`.
    #[serde(default)]
    pub id: String,
    /// The type's name for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A subtype, such as `SavingsPlan` under `Azure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<Box<ProductType>>,
}

/// Links from a [`Product`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductLinks {
    /// The product's SKUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skus: Option<Link>,
    /// The product itself.
    #[serde(default, rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Link>,
}

/// A SKU: one variant of a product, such as its nonprofit edition or a
/// one-year reservation. SKU IDs are unique only within their product.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Sku {
    /// The SKU's ID within its product, such as `0001`.
    #[serde(default)]
    pub id: String,
    /// The product's ID.
    #[serde(default)]
    pub product_id: String,
    /// The SKU's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the SKU is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The fewest licences or instances a line item may buy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_quantity: Option<i64>,
    /// The most licences or instances a line item may buy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_quantity: Option<i64>,
    /// The least that must be bought, for savings plans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_purchase_commitment: Option<serde_json::Value>,
    /// Whether the SKU is a trial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_trial: Option<bool>,
    /// The billing cycles a line item of this SKU may use.
    #[serde(default, deserialize_with = "null_as_default")]
    pub supported_billing_cycles: Vec<BillingCycle>,
    /// What the customer needs first, such as `MicrosoftCloudAgreement`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub purchase_prerequisites: Vec<String>,
    /// Inventory checks the SKU needs.
    #[serde(default, deserialize_with = "null_as_default")]
    pub inventory_variables: Vec<String>,
    /// Values a line item's `provisioningContext` must give, such as
    /// `subscriptionId` and `scope` for reservations.
    #[serde(default, deserialize_with = "null_as_default")]
    pub provisioning_variables: Vec<String>,
    /// What may be done after purchase, such as `Refund`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub actions: Vec<String>,
    /// Further properties; new commerce uses `isAddon`, `prerequisiteSkus`,
    /// `upgradeTargetOffers` and `hasConstraints`.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub dynamic_attributes: BTreeMap<String, serde_json::Value>,
    /// Whether and how a purchase needs attestation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_properties: Option<serde_json::Value>,
    /// How usage is counted, for consumption SKUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumption_type: Option<String>,
    /// Links to the SKU and its availabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<SkuLinks>,
    /// Specialized-offer terms, for products of the `SpecializedOffers`
    /// type. One object is read as a list of one.
    #[serde(
        default,
        deserialize_with = "object_or_objects",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub specialized_offer_properties: Vec<SpecializedOfferProperties>,
    /// Names and descriptions in other languages, as the service sent them
    /// (the documentation gives no shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localized_attributes: Option<serde_json::Value>,
}

impl Sku {
    /// Whether the SKU is a new-commerce add-on (`dynamicAttributes.isAddon`),
    /// bought as a line item of its own beside a base from
    /// [`prerequisite_skus`](Self::prerequisite_skus).
    pub fn is_addon(&self) -> bool {
        self.dynamic_attributes
            .get("isAddon")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }

    /// The products and SKUs an add-on works with
    /// (`dynamicAttributes.prerequisiteSkus`), such as `CFQ7TTC0LFLS:0002`;
    /// entries that are not strings are left out.
    pub fn prerequisite_skus(&self) -> Vec<&str> {
        self.dynamic_attributes
            .get("prerequisiteSkus")
            .and_then(serde_json::Value::as_array)
            .map_or_else(Vec::new, |skus| {
                skus.iter().filter_map(serde_json::Value::as_str).collect()
            })
    }
}

/// The terms of a specialized offer (`specializedOfferProperties`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SpecializedOfferProperties {
    /// When the offer starts, as the service wrote it.
    #[serde(
        default,
        deserialize_with = "string_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date: Option<String>,
    /// When the offer ends, as the service wrote it.
    #[serde(
        default,
        deserialize_with = "string_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_date: Option<String>,
    /// The discounts the offer gives.
    #[serde(
        default,
        deserialize_with = "object_or_objects",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub pricing_policies: Vec<PricingPolicy>,
}

/// A discount of a specialized offer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PricingPolicy {
    /// Whether the discount is a percentage or a flat amount.
    #[serde(
        default,
        rename = "type",
        deserialize_with = "string_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<String>,
    /// The discount's amount, as text; a number is kept as its JSON text.
    #[serde(
        default,
        deserialize_with = "text_or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
}

/// Links from a [`Sku`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SkuLinks {
    /// The SKU's availabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availabilities: Option<Link>,
    /// The SKU itself.
    #[serde(default, rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Link>,
}

/// An availability: a SKU as it may be bought in one country and segment,
/// with the terms it is sold on. Its [`catalog_item_id`](Self::catalog_item_id)
/// goes into a cart line item.
///
/// ```
/// use partner_center_cart::{BillingCycle, model::{Availability, Segment}};
///
/// # fn main() -> Result<(), partner_center_cart::Error> {
/// let found: Vec<Availability> = serde_json::from_str(r#"[{
///     "id": "CFQ7TTC0K971", "productId": "CFQ7TTC0LH18", "skuId": "0001",
///     "catalogItemId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
///     "segment": "commercial", "country": "US", "isPurchasable": true,
///     "terms": [{"duration": "P1M", "billingCycle": "Monthly"},
///               {"duration": "P1Y", "billingCycle": "Annual"}]
/// }]"#).expect("an availability");
/// let availability = Availability::find_purchasable(&found, &Segment::Commercial)
///     .expect("a commercial availability");
/// let item = availability.line_item(25, "P1Y", BillingCycle::Annual)?;
/// assert_eq!(item.catalog_item_id, "CFQ7TTC0LH18:0001:CFQ7TTC0K971");
/// assert!(availability.line_item(25, "P1Y", BillingCycle::Monthly).is_err());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Availability {
    /// The availability's ID. Partner Center reissues it from time to time.
    #[serde(default)]
    pub id: String,
    /// The product's ID.
    #[serde(default)]
    pub product_id: String,
    /// The SKU's ID.
    #[serde(default)]
    pub sku_id: String,
    /// What a cart line item buys: `{productId}:{skuId}:{availabilityId}`.
    #[serde(default)]
    pub catalog_item_id: String,
    /// The currency prices are in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_currency: Option<Currency>,
    /// The customer segment this availability is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<Segment>,
    /// The country, as an ISO 3166 code such as `US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Whether it can be bought now.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_purchasable: bool,
    /// Whether a subscription bought from it renews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_renewable: Option<bool>,
    /// What each term renews to.
    #[serde(default, deserialize_with = "null_as_default")]
    pub renewal_instructions: Vec<RenewalInstruction>,
    /// The terms it is sold on: the `termDuration` and `billingCycle` pairs
    /// a line item may use.
    #[serde(default, deserialize_with = "null_as_default")]
    pub terms: Vec<AvailabilityTerm>,
    /// Quantities included, for SKUs sold in fixed packs.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub included_quantity_options: Vec<serde_json::Value>,
    /// The product, when the service embeds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Product>,
    /// The SKU, when the service embeds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// A link to the availability itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<AvailabilityLinks>,
}

/// Links from an [`Availability`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AvailabilityLinks {
    /// The availability itself.
    #[serde(default, rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Link>,
}

/// A currency: its ISO 4217 code and its symbol.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Currency {
    /// The code, such as `USD`.
    #[serde(default)]
    pub code: String,
    /// The symbol, such as `$`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
}

/// What some terms of an availability renew to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RenewalInstruction {
    /// The [`AvailabilityTerm::id`]s this applies to.
    #[serde(default, deserialize_with = "null_as_default")]
    pub applicable_term_ids: Vec<String>,
    /// Where they may renew to.
    #[serde(default, deserialize_with = "null_as_default")]
    pub renewal_options: Vec<RenewalOption>,
}

/// One way a term may renew.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RenewalOption {
    /// The product and SKU it renews to, such as `CFQ7TTC0LH18:0001`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_to_id: Option<String>,
    /// Whether it renews by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_auto_renewable: Option<bool>,
}

/// A term an availability is sold on: a duration, and the billing cycle
/// that goes with it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AvailabilityTerm {
    /// The term's ID, which [`RenewalInstruction`]s refer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The term as an ISO 8601 duration: `P1M`, `P1Y`, `P3Y`.
    #[serde(default)]
    pub duration: String,
    /// The term in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How this term is billed. The catalog spells it `Annual` where carts
    /// say `annual`; both read the same. Reservations leave it out: such a
    /// term takes any cycle its SKU supports.
    #[serde(
        default,
        serialize_with = "catalog_spelling",
        skip_serializing_if = "Option::is_none"
    )]
    pub billing_cycle: Option<BillingCycle>,
    /// What the term may renew to.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub renewal_options: Vec<RenewalOption>,
    /// When and how much is refunded on cancellation.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cancellation_policies: Vec<CancellationPolicy>,
}

/// Writes a term's billing cycle as the catalog spells it: `Annual`,
/// `Monthly`, `OneTime`.
fn catalog_spelling<S: Serializer>(
    cycle: &Option<BillingCycle>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let Some(cycle) = cycle else {
        return serializer.serialize_none();
    };
    let text = match cycle {
        BillingCycle::Unknown => "Unknown",
        BillingCycle::Monthly => "Monthly",
        BillingCycle::Annual => "Annual",
        BillingCycle::None => "None",
        BillingCycle::OneTime => "OneTime",
        BillingCycle::Triennial => "Triennial",
        BillingCycle::Biennial => "Biennial",
        other => other.as_str(),
    };
    serializer.serialize_str(text)
}

/// A cancellation policy of a term.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CancellationPolicy {
    /// The refunds on offer, in order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub refund_options: Vec<RefundOption>,
}

/// A refund on cancellation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundOption {
    /// Its place in the sequence of refunds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_id: Option<i64>,
    /// The kind of refund, such as `Full`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub refund_type: Option<String>,
    /// How long after purchase it stays open, as an ISO 8601 duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_after: Option<String>,
}

/// A term and billing cycle that a line item may use, as
/// [`Availability::offered_terms`] lists them. Displays as `P1Y/monthly`,
/// or just the cycle for purchases without a term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OfferedTerm {
    /// The `termDuration`, or `None` for purchases without a term, such as
    /// perpetual software.
    pub term_duration: Option<String>,
    /// The `billingCycle`.
    pub billing_cycle: BillingCycle,
}

impl OfferedTerm {
    fn matches(&self, term_duration: Option<&str>, billing_cycle: &BillingCycle) -> bool {
        let same_term = match (self.term_duration.as_deref(), term_duration) {
            (None, None) => true,
            (Some(offered), Some(asked)) => offered.eq_ignore_ascii_case(asked),
            _ => false,
        };
        same_term && loose_eq(self.billing_cycle.as_str(), billing_cycle.as_str())
    }
}

impl fmt::Display for OfferedTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.term_duration {
            Some(term) => write!(f, "{}/{}", Escaped(term), self.billing_cycle),
            None => write!(f, "{}", self.billing_cycle),
        }
    }
}

impl Availability {
    /// The catalog item ID to buy: [`catalog_item_id`](Self::catalog_item_id),
    /// or `{productId}:{skuId}:{id}` when the service left it out.
    pub fn catalog_item(&self) -> String {
        if self.catalog_item_id.is_empty() {
            format!("{}:{}:{}", self.product_id, self.sku_id, self.id)
        } else {
            self.catalog_item_id.clone()
        }
    }

    /// Every term and billing cycle a line item of this availability may
    /// use, in the order of its terms.
    ///
    /// A term with a billing cycle offers that pair. A term without one (as
    /// reservations have) offers each cycle its SKU supports, when the
    /// availability embeds the SKU, and `one_time` otherwise. An
    /// availability without terms (perpetual software, the Azure plan) is
    /// bought without a term, on the SKU's cycles or `one_time`.
    pub fn offered_terms(&self) -> Vec<OfferedTerm> {
        let sku_cycles: Vec<BillingCycle> = match &self.sku {
            Some(sku) if !sku.supported_billing_cycles.is_empty() => {
                sku.supported_billing_cycles.clone()
            }
            _ => vec![BillingCycle::OneTime],
        };
        let mut offered: Vec<OfferedTerm> = Vec::new();
        let mut add = |term_duration: Option<&str>, billing_cycle: &BillingCycle| {
            let term_duration = term_duration.filter(|term| !term.is_empty());
            if !offered
                .iter()
                .any(|known| known.matches(term_duration, billing_cycle))
            {
                offered.push(OfferedTerm {
                    term_duration: term_duration.map(str::to_owned),
                    billing_cycle: billing_cycle.clone(),
                });
            }
        };
        if self.terms.is_empty() {
            for cycle in &sku_cycles {
                add(None, cycle);
            }
        }
        for term in &self.terms {
            match &term.billing_cycle {
                Some(cycle) => add(Some(&term.duration), cycle),
                None => {
                    for cycle in &sku_cycles {
                        add(Some(&term.duration), cycle);
                    }
                }
            }
        }
        offered
    }

    /// A cart line item buying `quantity` of this availability for
    /// `term_duration` (such as `P1Y`; `""` for purchases without a term),
    /// billed by `billing_cycle`. The quantity may be any integer type that
    /// converts to `i64` losslessly, as for [`CartLineItem::new`].
    ///
    /// # Errors
    ///
    /// [`TermNotOffered`], listing the pairs that are offered, when
    /// none of [`offered_terms`](Self::offered_terms) is this term and
    /// billing cycle.
    pub fn line_item(
        &self,
        quantity: impl Into<i64>,
        term_duration: &str,
        billing_cycle: BillingCycle,
    ) -> Result<CartLineItem, TermNotOffered> {
        let term_duration = Some(term_duration.trim()).filter(|term| !term.is_empty());
        let offered = self.offered_terms();
        let Some(chosen) = offered
            .iter()
            .find(|offer| offer.matches(term_duration, &billing_cycle))
        else {
            return Err(TermNotOffered {
                catalog_item_id: self.catalog_item(),
                requested: OfferedTerm {
                    term_duration: term_duration.map(str::to_owned),
                    billing_cycle,
                },
                offered,
            });
        };
        let item = CartLineItem::new(self.catalog_item(), quantity, chosen.billing_cycle.clone());
        Ok(match &chosen.term_duration {
            Some(term) => item.term_duration(term.clone()),
            None => item,
        })
    }

    /// The availability to buy from a SKU's list: the first that is
    /// purchasable in `segment`.
    pub fn find_purchasable<'a>(
        availabilities: &'a [Availability],
        segment: &Segment,
    ) -> Option<&'a Availability> {
        availabilities.iter().find(|availability| {
            availability.is_purchasable && availability.segment.as_ref() == Some(segment)
        })
    }
}

/// An availability is not sold on the term and billing cycle asked for;
/// `?` turns it into [`Error::TermNotOffered`](crate::Error::TermNotOffered),
/// with the same fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog item {} is not offered as {requested}; it is offered as {}", Escaped(.catalog_item_id), join_terms(.offered))]
pub struct TermNotOffered {
    /// The catalog item.
    pub catalog_item_id: String,
    /// The term and billing cycle asked for.
    pub requested: OfferedTerm,
    /// Those the availability offers.
    pub offered: Vec<OfferedTerm>,
}

/// The terms an error lists, or "nothing".
pub(crate) fn join_terms(terms: &[OfferedTerm]) -> String {
    if terms.is_empty() {
        return "nothing".to_owned();
    }
    terms
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(duration: &str, cycle: Option<BillingCycle>) -> AvailabilityTerm {
        AvailabilityTerm {
            duration: duration.into(),
            billing_cycle: cycle,
            ..AvailabilityTerm::default()
        }
    }

    fn nce() -> Availability {
        Availability {
            id: "CFQ7TTC0K971".into(),
            product_id: "CFQ7TTC0LH18".into(),
            sku_id: "0001".into(),
            catalog_item_id: "CFQ7TTC0LH18:0001:CFQ7TTC0K971".into(),
            segment: Some(Segment::Commercial),
            is_purchasable: true,
            terms: vec![
                term("P1M", Some(BillingCycle::Monthly)),
                term("P1Y", Some(BillingCycle::Annual)),
                term("P1Y", Some(BillingCycle::Monthly)),
            ],
            ..Availability::default()
        }
    }

    #[test]
    fn line_items_take_only_offered_terms() {
        let availability = nce();
        let item = availability
            .line_item(25, "P1Y", BillingCycle::Monthly)
            .unwrap();
        assert_eq!(item.catalog_item_id, "CFQ7TTC0LH18:0001:CFQ7TTC0K971");
        assert_eq!(item.quantity, 25);
        assert_eq!(item.term_duration.as_deref(), Some("P1Y"));
        assert_eq!(item.billing_cycle, Some(BillingCycle::Monthly));
        // Case does not matter, on either side.
        let item = availability
            .line_item(1, "p1y", BillingCycle::from_wire("ANNUAL"))
            .unwrap();
        assert_eq!(item.term_duration.as_deref(), Some("P1Y"));
        assert_eq!(item.billing_cycle, Some(BillingCycle::Annual));

        let error = availability
            .line_item(1, "P1M", BillingCycle::Annual)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "catalog item CFQ7TTC0LH18:0001:CFQ7TTC0K971 is not offered as P1M/annual; \
             it is offered as P1M/monthly, P1Y/annual, P1Y/monthly"
        );
        assert!(matches!(error, TermNotOffered { ref offered, .. } if offered.len() == 3));
        assert!(
            availability
                .line_item(1, "", BillingCycle::OneTime)
                .is_err()
        );
        assert!(
            availability
                .line_item(1, "P3Y", BillingCycle::Annual)
                .is_err()
        );
    }

    #[test]
    fn terms_without_a_cycle_take_the_skus_cycles() {
        let mut reservation = Availability {
            id: "DZH318Z08C0S".into(),
            product_id: "DZH318Z0BQ36".into(),
            sku_id: "004G".into(),
            terms: vec![term("P1Y", None), term("P3Y", None)],
            ..Availability::default()
        };
        // Without the SKU: one-time only.
        assert_eq!(
            reservation
                .offered_terms()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["P1Y/one_time", "P3Y/one_time"]
        );
        reservation.sku = Some(Sku {
            supported_billing_cycles: vec![BillingCycle::OneTime, BillingCycle::Monthly],
            ..Sku::default()
        });
        let item = reservation
            .line_item(2, "P3Y", BillingCycle::Monthly)
            .unwrap();
        assert_eq!(item.catalog_item_id, "DZH318Z0BQ36:004G:DZH318Z08C0S");
        assert!(
            reservation
                .line_item(2, "P3Y", BillingCycle::Annual)
                .is_err()
        );
    }

    #[test]
    fn availabilities_without_terms_are_bought_without_a_term() {
        let perpetual = Availability {
            catalog_item_id: "DG7GMGF0DWM3:0002:DG7GMGF0DT1M".into(),
            ..Availability::default()
        };
        let item = perpetual.line_item(1, "", BillingCycle::OneTime).unwrap();
        assert_eq!(item.term_duration, None);
        assert_eq!(item.billing_cycle, Some(BillingCycle::OneTime));
        let error = perpetual
            .line_item(1, "P1Y", BillingCycle::OneTime)
            .unwrap_err();
        assert!(
            error.to_string().ends_with("it is offered as one_time"),
            "{error}"
        );
    }

    #[test]
    fn the_purchasable_availability_of_the_segment_is_picked() {
        let mut nonprofit = nce();
        nonprofit.id = "CFQ7TTC0K9NP".into();
        nonprofit.segment = Some(Segment::Nonprofit);
        let mut closed = nce();
        closed.id = "CFQ7TTC0K9XX".into();
        closed.is_purchasable = false;
        let list = [closed, nonprofit, nce()];
        assert_eq!(
            Availability::find_purchasable(&list, &Segment::Commercial).map(|a| a.id.as_str()),
            Some("CFQ7TTC0K971")
        );
        assert_eq!(
            Availability::find_purchasable(&list, &Segment::Nonprofit).map(|a| a.id.as_str()),
            Some("CFQ7TTC0K9NP")
        );
        assert_eq!(
            Availability::find_purchasable(&list, &Segment::Education),
            None
        );
    }

    #[test]
    fn views_and_segments_keep_unknown_values() {
        assert_eq!(
            TargetView::from_wire("azurereservationsvm"),
            TargetView::AzureReservationsVm
        );
        assert_eq!(
            TargetView::from_wire("OnlineServicesNCE"),
            TargetView::Other("OnlineServicesNCE".into())
        );
        assert_eq!(Segment::from_wire("Nonprofit"), Segment::Nonprofit);
    }
}
