//! The fake's catalog: a few products, SKUs and availabilities like the
//! service's, and the checks `create_cart` makes against them.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::model::{
    Availability, BillingCycle, CartError, CartErrorCode, CartLineItem, Product, Segment, Sku,
};
use crate::model::{FaultCode, join_terms};

/// The error code of a line item whose availability does not exist (any
/// more): look it up again.
pub(super) const AVAILABILITY_NOT_FOUND: i64 = 400_019;

/// What the fake sells.
#[derive(Debug)]
pub(super) struct Catalog {
    products: Vec<(Product, &'static [&'static str])>,
    skus: Vec<Sku>,
    availabilities: Vec<Availability>,
}

/// New-commerce terms: a month billed monthly, a year billed yearly or
/// monthly.
fn nce_terms() -> Value {
    let refund =
        json!([{"refundOptions": [{"sequenceId": 0, "type": "Full", "expiresAfter": "P7D"}]}]);
    json!([
        {"id": "p1m-monthly", "duration": "P1M", "description": "One-Month commitment for monthly billing", "billingCycle": "Monthly", "cancellationPolicies": refund},
        {"id": "p1y-annual", "duration": "P1Y", "description": "One-Year commitment for yearly billing", "billingCycle": "Annual", "cancellationPolicies": refund},
        {"id": "p1y-monthly", "duration": "P1Y", "description": "One-Year commitment for monthly billing", "billingCycle": "Monthly", "cancellationPolicies": refund},
    ])
}

fn link(uri: String) -> Value {
    json!({"uri": uri, "method": "GET", "headers": []})
}

impl Default for Catalog {
    fn default() -> Self {
        let mut catalog = Catalog {
            products: Vec::new(),
            skus: Vec::new(),
            availabilities: Vec::new(),
        };
        let nce = json!({"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"});
        catalog.add(
            "CFQ7TTC0LH18",
            "Microsoft 365 Business Basic",
            nce.clone(),
            &["OnlineServices"],
            "0001",
            json!({"maximumQuantity": 300, "supportedBillingCycles": ["annual", "monthly"]}),
            // The same SKU for nonprofits has its own availability.
            &[
                ("CFQ7TTC0K971", "commercial", nce_terms()),
                ("CFQ7TTC0K9N0", "nonprofit", nce_terms()),
            ],
        );
        catalog.add(
            "CFQ7TTC0LH0Z",
            "Microsoft 365 Business Standard",
            nce.clone(),
            &["OnlineServices"],
            "0001",
            json!({"maximumQuantity": 300, "supportedBillingCycles": ["annual", "monthly"]}),
            &[("CFQ7TTC0K18P", "commercial", nce_terms())],
        );
        catalog.add(
            "CFQ7TTC0LFLS",
            "Microsoft 365 E3",
            nce,
            &["OnlineServices"],
            "0002",
            json!({"maximumQuantity": 2500, "supportedBillingCycles": ["annual", "monthly"]}),
            &[("CFQ7TTC0KDLJ", "commercial", nce_terms())],
        );
        catalog.add(
            "DG7GMGF0DWM3",
            "Windows Server 2022 Standard",
            json!({"id": "Software", "displayName": "Software", "subType": {"id": "Perpetual", "displayName": "Perpetual"}}),
            &["Software", "SoftwarePerpetual"],
            "0002",
            json!({"maximumQuantity": 1000, "supportedBillingCycles": ["one_time"]}),
            &[("DG7GMGF0DT1M", "commercial", json!([]))],
        );
        catalog.add(
            "DZH318Z0BQ36",
            "Reserved Virtual Machine Instance, Dv3 Series",
            json!({"id": "Azure", "displayName": "Azure", "subType": {"id": "ReservedInstance", "displayName": "Reserved Instance"}}),
            &["AzureReservations", "AzureReservationsVM"],
            "004G",
            json!({
                "maximumQuantity": 100,
                "supportedBillingCycles": ["one_time", "monthly"],
                "provisioningVariables": ["subscriptionId", "scope", "duration"],
            }),
            &[(
                "DZH318Z08C0S",
                "commercial",
                json!([{"duration": "P1Y", "description": "1 Year"}, {"duration": "P3Y", "description": "3 Years"}]),
            )],
        );
        catalog.add(
            "DZH318Z0BPS6",
            "Azure plan",
            json!({"id": "Azure", "displayName": "Azure"}),
            &["MicrosoftAzure"],
            "0001",
            json!({"maximumQuantity": 1, "supportedBillingCycles": ["one_time"]}),
            &[("DZH318Z0BPHC", "commercial", json!([]))],
        );
        // A new-commerce add-on: bought as a line item of its own, beside
        // one of its prerequisite SKUs.
        catalog.add(
            "CFQ7TTC0HDJX",
            "Microsoft Teams Audio Conferencing",
            json!({"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"}),
            &["OnlineServices"],
            "0001",
            json!({
                "maximumQuantity": 300,
                "supportedBillingCycles": ["annual", "monthly"],
                "dynamicAttributes": {
                    "isMicrosoftProduct": true,
                    "isAddon": true,
                    "prerequisiteSkus": ["CFQ7TTC0LFLS:0002", "CFQ7TTC0LH0Z:0001"],
                },
            }),
            &[("CFQ7TTC0K806", "commercial", nce_terms())],
        );
        let savings_plan = json!({"id": "Azure", "displayName": "Azure", "subType": {"id": "SavingsPlan", "displayName": "SavingsPlan"}});
        for (sku, term, availability) in [
            ("0001", "P1Y", "DZH318Z0BLD3"),
            ("0002", "P3Y", "DZH318Z0BLD4"),
        ] {
            catalog.add(
                "DZH318Z09V6F",
                "Azure savings plan",
                savings_plan.clone(),
                &["Azure"],
                sku,
                json!({"maximumQuantity": 1, "supportedBillingCycles": ["one_time", "monthly"]}),
                &[(
                    availability,
                    "commercial",
                    json!([{"duration": term, "description": term}]),
                )],
            );
        }
        catalog
    }
}

impl Catalog {
    /// Adds a SKU with its availabilities, and its product unless it is
    /// there already.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        product_id: &str,
        title: &str,
        product_type: Value,
        views: &'static [&'static str],
        sku_id: &str,
        sku_fields: Value,
        availabilities: &[(&str, &str, Value)],
    ) {
        if !self
            .products
            .iter()
            .any(|(product, _)| product.id == product_id)
        {
            let product = json!({
                "id": product_id,
                "title": title,
                "description": title,
                "productType": product_type,
                "isMicrosoftProduct": true,
                "publisherName": "Microsoft Corporation",
                "links": {
                    "skus": link(format!("/products/{product_id}/skus?country=US")),
                    "self": link(format!("/products/{product_id}?country=US")),
                },
            });
            self.products.push((decode(product), views));
        }
        let mut sku = json!({
            "id": sku_id,
            "productId": product_id,
            "title": title,
            "description": title,
            "minimumQuantity": 1,
            "isTrial": false,
            "purchasePrerequisites": ["MicrosoftCloudAgreement"],
            "inventoryVariables": [],
            "provisioningVariables": [],
            "actions": ["Refund"],
            "dynamicAttributes": {"isMicrosoftProduct": true, "internal": false},
            "links": {
                "availabilities": link(format!("/products/{product_id}/skus/{sku_id}/availabilities?country=US")),
                "self": link(format!("/products/{product_id}/skus/{sku_id}?country=US")),
            },
        });
        if let (Some(sku), Some(fields)) = (sku.as_object_mut(), sku_fields.as_object()) {
            sku.extend(fields.clone());
        }
        self.skus.push(decode(sku));
        for (id, segment, terms) in availabilities {
            let availability = json!({
                "id": id,
                "productId": product_id,
                "skuId": sku_id,
                "defaultCurrency": {"code": "USD", "symbol": "$"},
                "segment": segment,
                "country": "US",
                "isPurchasable": true,
                "isRenewable": terms.as_array().is_some_and(|terms| !terms.is_empty()),
                "renewalInstructions": [],
                "terms": terms,
            });
            let mut availability: Availability = decode(availability);
            set_availability_id(&mut availability, id);
            self.availabilities.push(availability);
        }
    }

    /// The products in a view, for a segment.
    pub(super) fn products(&self, view: &str, segment: Option<&str>) -> Vec<Product> {
        self.products
            .iter()
            .filter(|(_, views)| views.iter().any(|known| known.eq_ignore_ascii_case(view)))
            .filter(|(product, _)| {
                self.availabilities.iter().any(|availability| {
                    availability.product_id == product.id && in_segment(availability, segment)
                })
            })
            .map(|(product, _)| product.clone())
            .collect()
    }

    pub(super) fn product(&self, product_id: &str) -> Option<Product> {
        self.products
            .iter()
            .find(|(product, _)| product.id.eq_ignore_ascii_case(product_id))
            .map(|(product, _)| product.clone())
    }

    /// The SKUs of a product with an availability in the segment; `None`
    /// when the product is unknown.
    pub(super) fn skus(&self, product_id: &str, segment: Option<&str>) -> Option<Vec<Sku>> {
        let product = self.product(product_id)?;
        Some(
            self.skus
                .iter()
                .filter(|sku| sku.product_id == product.id)
                .filter(|sku| {
                    self.availabilities.iter().any(|availability| {
                        availability.product_id == product.id
                            && availability.sku_id == sku.id
                            && in_segment(availability, segment)
                    })
                })
                .cloned()
                .collect(),
        )
    }

    pub(super) fn sku(&self, product_id: &str, sku_id: &str) -> Option<Sku> {
        self.skus
            .iter()
            .find(|sku| {
                sku.product_id.eq_ignore_ascii_case(product_id)
                    && sku.id.eq_ignore_ascii_case(sku_id)
            })
            .cloned()
    }

    /// The availabilities of a SKU in the segment, with the product and SKU
    /// embedded as the service does; `None` when the SKU is unknown.
    pub(super) fn availabilities(
        &self,
        product_id: &str,
        sku_id: &str,
        segment: Option<&str>,
    ) -> Option<Vec<Availability>> {
        let sku = self.sku(product_id, sku_id)?;
        Some(
            self.availabilities
                .iter()
                .filter(|availability| {
                    availability.product_id == sku.product_id
                        && availability.sku_id == sku.id
                        && in_segment(availability, segment)
                })
                .map(|availability| self.embedded(availability))
                .collect(),
        )
    }

    pub(super) fn availability(
        &self,
        product_id: &str,
        sku_id: &str,
        availability_id: &str,
    ) -> Option<Availability> {
        self.find(product_id, sku_id, availability_id)
            .map(|availability| self.embedded(availability))
    }

    fn find(&self, product_id: &str, sku_id: &str, availability_id: &str) -> Option<&Availability> {
        self.availabilities.iter().find(|availability| {
            availability.product_id.eq_ignore_ascii_case(product_id)
                && availability.sku_id.eq_ignore_ascii_case(sku_id)
                && availability.id.eq_ignore_ascii_case(availability_id)
        })
    }

    fn embedded(&self, availability: &Availability) -> Availability {
        let mut availability = availability.clone();
        availability.product = self.product(&availability.product_id);
        availability.sku = self.sku(&availability.product_id, &availability.sku_id);
        availability
    }

    /// Gives every availability a new ID, as the service does from time to
    /// time; the old IDs are then unknown.
    pub(super) fn rotate_availability_ids(&mut self) {
        for availability in &mut self.availabilities {
            let prefix: String = availability.id.chars().take(8).collect();
            let new_id = loop {
                let suffix: String = Uuid::new_v4()
                    .simple()
                    .to_string()
                    .to_ascii_uppercase()
                    .chars()
                    .take(4)
                    .collect();
                let candidate = format!("{prefix}{suffix}");
                if candidate != availability.id {
                    break candidate;
                }
            };
            set_availability_id(availability, &new_id);
        }
    }

    /// The products and SKUs (`product:sku`) a line item's SKU needs beside
    /// it, when it is a new-commerce add-on.
    pub(super) fn addon_prerequisites(&self, item: &CartLineItem) -> Option<Vec<String>> {
        let mut parts = item.catalog_item_id.split(':');
        let sku = self.sku(parts.next()?, parts.next()?)?;
        sku.is_addon().then(|| {
            sku.prerequisite_skus()
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
    }

    /// The error the service puts on a line item whose catalog item does
    /// not exist, or is not sold on the item's term and billing cycle or in
    /// its quantity.
    pub(super) fn check(&self, item: &CartLineItem) -> Option<CartError> {
        let parts: Vec<&str> = item.catalog_item_id.split(':').collect();
        let [product_id, sku_id, availability_id] = parts.as_slice() else {
            return Some(CartError::new(
                CartErrorCode::CatalogItemIdIsNotValid,
                format!(
                    "The catalog item ID {:?} is not valid: it must be productId:skuId:availabilityId.",
                    item.catalog_item_id
                ),
            ));
        };
        let Some(sku) = self.sku(product_id, sku_id) else {
            return Some(CartError::new(
                CartErrorCode::CatalogItemIdIsNotValid,
                format!("The catalog item ID {} is not valid.", item.catalog_item_id),
            ));
        };
        let Some(availability) = self.availability(product_id, sku_id, availability_id) else {
            return Some(CartError::new(
                CartErrorCode::Other(FaultCode::Number(AVAILABILITY_NOT_FOUND)),
                format!(
                    "Availability {availability_id} of product {product_id} SKU {sku_id} was not found."
                ),
            ));
        };
        let cycle = item.billing_cycle.clone().unwrap_or(BillingCycle::Unknown);
        let term = item.term_duration.as_deref().unwrap_or_default();
        if let Err(crate::model::TermNotOffered { offered, .. }) =
            availability.line_item(item.quantity, term, cycle.clone())
        {
            return Some(CartError::new(
                CartErrorCode::BillingPlanNotSupported,
                format!(
                    "The term {:?} with billing cycle {cycle} is not offered for {}; offered: {}.",
                    term,
                    item.catalog_item_id,
                    join_terms(&offered)
                ),
            ));
        }
        if sku
            .maximum_quantity
            .is_some_and(|maximum| item.quantity > maximum)
        {
            return Some(CartError::new(
                CartErrorCode::MaxAllowedSeatsPerSubscriptionExceeded,
                format!(
                    "The quantity {} is over the most allowed, {}.",
                    item.quantity,
                    sku.maximum_quantity.unwrap_or_default()
                ),
            ));
        }
        None
    }
}

/// Whether an availability is listed for a `targetSegment`: without one,
/// every segment but nonprofit is.
fn in_segment(availability: &Availability, segment: Option<&str>) -> bool {
    match (segment, &availability.segment) {
        (Some(wanted), Some(segment)) => segment == &Segment::from_wire(wanted),
        (None, Some(Segment::Nonprofit)) => false,
        (None, _) => true,
        (Some(_), None) => false,
    }
}

fn set_availability_id(availability: &mut Availability, id: &str) {
    let (product, sku) = (&availability.product_id, &availability.sku_id);
    availability.catalog_item_id = format!("{product}:{sku}:{id}");
    availability.links = Some(decode(json!({
        "self": link(format!("/products/{product}/skus/{sku}/availabilities/{id}?country=US")),
    })));
    availability.id = id.to_owned();
}

/// Decodes the fake's own catalog data, which is well-formed; a mistake in
/// it shows up as empty fields in the tests.
fn decode<T: serde::de::DeserializeOwned + Default>(value: Value) -> T {
    serde_json::from_value(value).unwrap_or_default()
}
