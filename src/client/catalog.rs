//! The catalog: products, SKUs and availabilities, and the one to buy.

use super::Client;
use crate::failure::Error;
use crate::ids::{CustomerId, IntoId, check_path_segment};
use crate::model::{
    Availability, CatalogFilter, Product, Segment, Sku, TargetView, encode_query_value,
};

/// # Catalog
impl Client {
    /// Lists the products a customer may buy in one view of the catalog:
    /// `GET /v1/customers/{c}/products?targetView={view}`. New-commerce
    /// licences are in [`TargetView::OnlineServices`]. Every page is read.
    ///
    /// ```no_run
    /// use partner_center_cart::Client;
    /// use partner_center_cart::model::TargetView;
    ///
    /// # fn main() -> Result<(), partner_center_cart::Error> {
    /// let client = Client::new(|| std::env::var("PARTNER_CENTER_TOKEN"));
    /// let customer = "28045616-f6b9-462f-9701-0d89b5e65c44";
    /// for product in client.list_products(customer, TargetView::OnlineServices)? {
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
    ) -> Result<Vec<Product>, Error> {
        self.list_products_filtered(customer_id, view, &CatalogFilter::new())
    }

    /// Lists products as [`list_products`](Self::list_products) does,
    /// narrowed by a [`CatalogFilter`], such as to one segment.
    ///
    /// # Errors
    ///
    /// As [`list_products`](Self::list_products).
    pub fn list_products_filtered(
        &self,
        customer_id: impl IntoId<CustomerId>,
        view: TargetView,
        filter: &CatalogFilter,
    ) -> Result<Vec<Product>, Error> {
        let customer_id = customer_id.into_id()?;
        let view = encode_query_value(view.as_str());
        let filter = filter.query();
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

    /// Lists the SKUs of a product: `GET .../products/{p}/skus`.
    ///
    /// # Errors
    ///
    /// As [`get_product`](Self::get_product) and
    /// [`list_orders`](Self::list_orders).
    pub fn list_skus(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
    ) -> Result<Vec<Sku>, Error> {
        self.list_skus_filtered(customer_id, product_id, &CatalogFilter::new())
    }

    /// Lists the SKUs of a product, narrowed by a [`CatalogFilter`].
    ///
    /// # Errors
    ///
    /// As [`list_skus`](Self::list_skus).
    pub fn list_skus_filtered(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        filter: &CatalogFilter,
    ) -> Result<Vec<Sku>, Error> {
        let path = catalog_path(customer_id, &[("product ID", product_id)])?;
        self.list(with_filter(format!("{path}/skus"), filter))
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

    /// Lists the availabilities of a SKU: what goes into a cart line item.
    /// Availability IDs are reissued from time to time, so look them up when
    /// buying; pick one with [`Availability::find_purchasable`] and make the
    /// line item with [`Availability::line_item`].
    ///
    /// # Errors
    ///
    /// As [`get_sku`](Self::get_sku) and [`list_orders`](Self::list_orders).
    pub fn list_availabilities(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
    ) -> Result<Vec<Availability>, Error> {
        self.list_availabilities_filtered(customer_id, product_id, sku_id, &CatalogFilter::new())
    }

    /// Lists the availabilities of a SKU, narrowed by a [`CatalogFilter`].
    /// Nonprofit availabilities are listed only when asked for by segment.
    ///
    /// # Errors
    ///
    /// As [`list_availabilities`](Self::list_availabilities).
    pub fn list_availabilities_filtered(
        &self,
        customer_id: impl IntoId<CustomerId>,
        product_id: &str,
        sku_id: &str,
        filter: &CatalogFilter,
    ) -> Result<Vec<Availability>, Error> {
        let path = catalog_path(
            customer_id,
            &[("product ID", product_id), ("SKU ID", sku_id)],
        )?;
        self.list(with_filter(format!("{path}/availabilities"), filter))
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
        let filter = CatalogFilter::new().segment(segment.clone());
        let availabilities =
            self.list_availabilities_filtered(customer_id, product_id, sku_id, &filter)?;
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

/// A list path with a filter's query parameters.
fn with_filter(path: String, filter: &CatalogFilter) -> String {
    match filter.query().strip_prefix('&') {
        Some(query) => format!("{path}?{query}"),
        None => path,
    }
}
