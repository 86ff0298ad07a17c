//! Printing shared by the examples: checkout results as readable tables,
//! with every text from the server escaped by [`clean`] on the way.

#![allow(dead_code)]

pub mod doctor;
pub mod provider;

use partner_center_cart::CartCheckoutResult;
use partner_center_cart::text::Escaped;
use partner_center_cart::{
    Cart,
    model::{Availability, Order, Product, Sku},
};

/// Prints a cart and its line items, with the errors of any in error.
pub fn print_cart(cart: &Cart) {
    println!(
        "Cart {}  status {}  expires {}",
        text(cart.id.as_ref()),
        text(cart.status.as_ref()),
        or_dash(cart.expiration_timestamp.as_deref()),
    );
    println!(
        "  {:>2}  {:<34} {:>4}  {:<9}  {:<5}  {:<5}  ERROR",
        "ID", "CATALOG ITEM", "QTY", "BILLING", "TERM", "GROUP"
    );
    for item in &cart.line_items {
        println!(
            "  {:>2}  {:<34} {:>4}  {:<9}  {:<5}  {:<5}  {}",
            item.id,
            clean(&item.catalog_item_id),
            item.quantity,
            text(item.billing_cycle.as_ref()),
            or_dash(item.term_duration.as_deref()),
            or_dash(item.order_group.as_deref()),
            text(item.error.as_ref()),
        );
    }
    let errors = cart.items_in_error().count();
    if errors > 0 {
        println!();
        println!("{errors} line item(s) in error; fix or remove them before checkout.");
    }
}

/// Prints orders, their line items and the order errors of a checkout.
pub fn print_checkout(result: &CartCheckoutResult) {
    print_orders(&result.orders);
    if !result.order_errors.is_empty() {
        println!();
        println!("Order errors ({}):", result.order_errors.len());
        println!("  {:<12} {:<8} DESCRIPTION", "ORDER GROUP", "CODE");
        for error in &result.order_errors {
            println!(
                "  {:<12} {:<8} {}",
                or_dash(error.order_group_id.as_deref()),
                text(error.code.as_ref()),
                or_dash(error.description.as_deref()),
            );
        }
    }
}

/// Prints orders with their line items.
pub fn print_orders(orders: &[Order]) {
    println!("Orders ({}):", orders.len());
    for order in orders {
        println!();
        println!(
            "  {}  status {}  billing {}  currency {}  created {}",
            clean(order.id.as_ref()),
            text(order.status.as_ref()),
            text(order.billing_cycle.as_ref()),
            or_dash(order.currency_code.as_deref()),
            or_dash(order.creation_date.as_deref()),
        );
        println!(
            "    {:>2}  {:<34} {:>4}  {:<5}  {:<38}  NAME",
            "#", "OFFER", "QTY", "TERM", "SUBSCRIPTION"
        );
        for item in &order.line_items {
            println!(
                "    {:>2}  {:<34} {:>4}  {:<5}  {:<38}  {}",
                item.line_item_number,
                or_dash(item.offer_id.as_deref()),
                item.quantity,
                or_dash(item.term_duration.as_deref().filter(|t| !t.is_empty())),
                item.subscription_id
                    .as_deref()
                    .map_or_else(|| "(not yet provisioned)".to_owned(), clean),
                clean(item.friendly_name.as_deref().unwrap_or("")),
            );
        }
    }
}

/// Prints products: ID, type and title.
pub fn print_products(products: &[Product]) {
    println!("Products ({}):", products.len());
    println!("  {:<14} {:<20} TITLE", "PRODUCT", "TYPE");
    for product in products {
        println!(
            "  {:<14} {:<20} {}",
            clean(&product.id),
            or_dash(product.product_type.as_ref().map(|kind| kind.id.as_str())),
            or_dash(product.title.as_deref()),
        );
    }
}

/// Prints SKUs: ID, quantities, billing cycles and title.
pub fn print_skus(skus: &[Sku]) {
    println!("SKUs ({}):", skus.len());
    println!(
        "  {:<6} {:>9}  {:<22} TITLE",
        "SKU", "QUANTITY", "BILLING CYCLES"
    );
    for sku in skus {
        let cycles: Vec<String> = sku
            .supported_billing_cycles
            .iter()
            .map(|cycle| clean(&cycle.to_string()))
            .collect();
        println!(
            "  {:<6} {:>9}  {:<22} {}",
            clean(&sku.id),
            format!(
                "{}-{}",
                text(sku.minimum_quantity.as_ref()),
                text(sku.maximum_quantity.as_ref())
            ),
            cycles.join(","),
            or_dash(sku.title.as_deref()),
        );
    }
}

/// Prints availabilities: catalog item ID, segment, whether purchasable, and
/// the terms a line item may use, as `P1Y/monthly`.
pub fn print_availabilities(availabilities: &[Availability]) {
    println!("Availabilities ({}):", availabilities.len());
    println!(
        "  {:<34} {:<11} {:<11} TERMS",
        "CATALOG ITEM", "SEGMENT", "PURCHASABLE"
    );
    for availability in availabilities {
        let terms: Vec<String> = availability
            .offered_terms()
            .iter()
            .map(|term| clean(&term.to_string()))
            .collect();
        println!(
            "  {:<34} {:<11} {:<11} {}",
            clean(&availability.catalog_item()),
            text(availability.segment.as_ref()),
            if availability.is_purchasable {
                "yes"
            } else {
                "no"
            },
            terms.join(", "),
        );
    }
}

/// Text from a token or a server, escaped as the crate escapes server text
/// ([`Escaped`]), so that it stays on its line and reads as sent: an escape
/// sequence in a product's title cannot clear the screen, and a line break
/// in an order ID cannot forge a line of the table.
pub fn clean(text: &str) -> String {
    Escaped::new(text).to_string()
}

/// A value shown through its `Display`, escaped, or `-` when there is none.
fn text(value: Option<&impl std::fmt::Display>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| clean(&value.to_string()))
}

/// Server text, escaped, or `-` when there is none.
fn or_dash(value: Option<&str>) -> String {
    value.map_or_else(|| "-".to_owned(), clean)
}
