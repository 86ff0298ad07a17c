//! The catalog: products, SKUs and availabilities, the one to buy, and
//! what narrows a list ([`CatalogOptions`]).

use super::Client;
use crate::encoding::encode_query_value;
use crate::error::Error;
use crate::ids::{CustomerId, IntoId, check_path_segment};
use crate::model::{Availability, Product, Segment, Sku, TargetView};

/// # Catalog
impl Client {
    /// Lists the products a customer may buy in one view of the catalog:
    /// `GET /v1/customers/{c}/products?targetView={view}`, narrowed by
    /// `options`, such as to one segment. New-commerce licences are in
    /// [`TargetView::OnlineServices`]. Every page is read.
    ///
    /// ```no_run
    /// use partner_center_cart::model::TargetView;
    /// use partner_center_cart::{CatalogOptions, Client};
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
    /// let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
    /// for product in client.list_products(customer, TargetView::OnlineServices, &CatalogOptions::new())? {
    ///     println!("{} {}", product.id, product.title.as_deref().unwrap_or("-"));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID; otherwise as
    /// [`list_orders`](Self::list_orders). A view the partner may not use
    /// gives [`Error::Service`] with status 403 (code 400036).
    pub fn list_products(
        &self,
        customer_id: impl IntoId<CustomerId>,
        view: TargetView,
        options: &CatalogOptions,
    ) -> Result<Vec<Product>, Error> {
        let customer_id = customer_id.into_id()?;
        let view = encode_query_value(view.as_str());
        let filter = options.query();
        self.list(format!(
            "/v1/customers/{customer_id}/products?targetView={view}{filter}"
        ))
    }

    /// Reads one product.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] when the customer ID is not a GUID or the product
    /// ID is not path-safe (letters, digits, `-`, `.`, `_`, `~`); nothing is
    /// sent. Otherwise as [`get_order`](Self::get_order); an unknown product
    /// gives [`Error::Service`] with status 404.
    pub fn get_product(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
    ) -> Result<Product, Error> {
        let path = catalog_path(customer_id, &[("product ID", product_id)])?;
        self.get(path)
    }

    /// Lists the SKUs of a product, narrowed by `options`:
    /// `GET .../products/{p}/skus`.
    ///
    /// # Errors
    ///
    /// As [`get_product`](Self::get_product) and
    /// [`list_orders`](Self::list_orders).
    pub fn list_skus(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        options: &CatalogOptions,
    ) -> Result<Vec<Sku>, Error> {
        let path = catalog_path(customer_id, &[("product ID", product_id)])?;
        self.list(with_options(format!("{path}/skus"), options))
    }

    /// Reads one SKU of a product.
    ///
    /// # Errors
    ///
    /// As [`get_product`](Self::get_product), for the SKU ID too.
    pub fn get_sku(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
    ) -> Result<Sku, Error> {
        let path = catalog_path(
            customer_id,
            &[("product ID", product_id), ("SKU ID", sku_id)],
        )?;
        self.get(path)
    }

    /// Lists the availabilities of a SKU, narrowed by `options`: what goes
    /// into a cart line item. Nonprofit availabilities are listed only when
    /// asked for by segment. Availability IDs are reissued from time to
    /// time, so look them up when buying; pick one with
    /// [`Availability::find_purchasable`] and make the line item with
    /// [`Availability::line_item`].
    ///
    /// # Errors
    ///
    /// As [`get_sku`](Self::get_sku) and [`list_orders`](Self::list_orders).
    pub fn list_availabilities(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
        options: &CatalogOptions,
    ) -> Result<Vec<Availability>, Error> {
        let path = catalog_path(
            customer_id,
            &[("product ID", product_id), ("SKU ID", sku_id)],
        )?;
        self.list(with_options(format!("{path}/availabilities"), options))
    }

    /// The availability to buy a SKU from, looked up now: the first
    /// purchasable one in `segment` (nonprofit availabilities included when
    /// asked for). Look it up at purchase time, and again when a cart line
    /// item fails with code 400019: availability IDs are reissued from time
    /// to time.
    ///
    /// ```no_run
    /// use partner_center_cart::Client;
    /// use partner_center_cart::{BillingCycle, model::Segment};
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
    /// let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
    /// let item = client
    ///     .availability_to_buy(customer, "CFQ7TTC0LH18", "0001", &Segment::Commercial)?
    ///     .line_item(25, "P1Y", BillingCycle::Monthly)?;
    /// # let _ = item;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::NoPurchasableAvailability`] when the SKU has none in the
    /// segment; otherwise as
    /// [`list_availabilities`](Self::list_availabilities).
    pub fn availability_to_buy(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
        segment: &Segment,
    ) -> Result<Availability, Error> {
        let options = CatalogOptions::new().segment(segment.clone());
        let availabilities = self.list_availabilities(customer_id, product_id, sku_id, &options)?;
        Availability::find_purchasable(&availabilities, segment)
            .cloned()
            .ok_or_else(|| Error::NoPurchasableAvailability {
                product_id: product_id.to_owned(),
                sku_id: sku_id.to_owned(),
                segment: segment.clone(),
            })
    }

    /// Reads one availability. It may list more terms than the list does.
    ///
    /// # Errors
    ///
    /// As [`get_sku`](Self::get_sku), for the availability ID too. An
    /// availability ID that was reissued gives [`Error::Service`] with status
    /// 404: list the availabilities again.
    pub fn get_availability(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
        availability_id: &str,
    ) -> Result<Availability, Error> {
        let path = catalog_path(
            customer_id,
            &[
                ("product ID", product_id),
                ("SKU ID", sku_id),
                ("availability ID", availability_id),
            ],
        )?;
        self.get(path)
    }
}

/// The path of a catalog resource of a customer:
/// `/v1/customers/{c}/products/{p}[/skus/{s}[/availabilities/{a}]]`, after
/// checking each ID.
fn catalog_path(
    customer_id: impl IntoId<CustomerId>,
    ids: &[(&'static str, &str)],
) -> Result<String, Error> {
    let customer_id = customer_id.into_id()?;
    let mut path = format!("/v1/customers/{customer_id}");
    for ((kind, id), collection) in ids.iter().zip(["products", "skus", "availabilities"]) {
        check_path_segment(kind, id)?;
        path.push_str(&format!("/{collection}/{id}"));
    }
    Ok(path)
}

/// A list path with the query parameters of `options`.
fn with_options(path: String, options: &CatalogOptions) -> String {
    match options.query().strip_prefix('&') {
        Some(query) => format!("{path}?{query}"),
        None => path,
    }
}

/// What narrows a catalog list ([`Client::list_products`],
/// [`Client::list_skus`], [`Client::list_availabilities`]): the
/// `targetSegment` and `reservationScope` query parameters. The default
/// narrows nothing: every segment but nonprofit.
///
/// ```
/// use partner_center_cart::CatalogOptions;
/// use partner_center_cart::model::Segment;
///
/// let options = CatalogOptions::new().segment(Segment::Education);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "options do nothing until passed to a call"]
pub struct CatalogOptions {
    segment: Option<Segment>,
    reservation_scope: Option<String>,
}

impl CatalogOptions {
    /// No options: every segment but nonprofit.
    pub fn new() -> Self {
        CatalogOptions::default()
    }

    /// Lists only items for this segment (`targetSegment`).
    pub fn segment(mut self, segment: Segment) -> Self {
        self.segment = Some(segment);
        self
    }

    /// Sets the reservation scope (`reservationScope`), such as
    /// `AzurePlan`.
    pub fn reservation_scope(mut self, scope: impl Into<String>) -> Self {
        self.reservation_scope = Some(scope.into());
        self
    }

    /// The query parameters, percent-encoded, each preceded by `&`.
    fn query(&self) -> String {
        let mut query = String::new();
        if let Some(segment) = &self.segment {
            query.push_str("&targetSegment=");
            query.push_str(&encode_query_value(segment.as_str()));
        }
        if let Some(scope) = &self.reservation_scope {
            query.push_str("&reservationScope=");
            query.push_str(&encode_query_value(scope));
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_encode_their_query() {
        let options = CatalogOptions::new()
            .segment(Segment::Other("a b&c".into()))
            .reservation_scope("AzurePlan");
        assert_eq!(
            options.query(),
            "&targetSegment=a%20b%26c&reservationScope=AzurePlan"
        );
        assert_eq!(
            with_options("/p".into(), &options),
            "/p?targetSegment=a%20b%26c&reservationScope=AzurePlan"
        );
        assert_eq!(with_options("/p".into(), &CatalogOptions::new()), "/p");
    }
}
