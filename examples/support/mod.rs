//! Printing shared by the examples: checkout results as readable tables.

#![allow(dead_code)]

pub mod doctor;
pub mod provider;

use partner_center_cart::CartCheckoutResult;
use partner_center_cart::model::{Availability, Cart, Order, Product, Sku};

/// Prints a cart and its line items, with the errors of any in error.
pub fn print_cart(cart: &Cart) {
    println!(
        "Cart {}  status {}  expires {}",
        text(cart.id.as_ref()),
        text(cart.status.as_ref()),
        cart.expiration_timestamp.as_deref().unwrap_or("-"),
    );
    println!(
        "  {:>2}  {:<34} {:>4}  {:<9}  {:<5}  {:<5}  ERROR",
        "ID", "CATALOG ITEM", "QTY", "BILLING", "TERM", "GROUP"
    );
    for item in &cart.line_items {
        println!(
            "  {:>2}  {:<34} {:>4}  {:<9}  {:<5}  {:<5}  {}",
            item.id,
            item.catalog_item_id,
            item.quantity,
            text(item.billing_cycle.as_ref()),
            item.term_duration.as_deref().unwrap_or("-"),
            item.order_group.as_deref().unwrap_or("-"),
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
                error.order_group_id.as_deref().unwrap_or("-"),
                error
                    .code
                    .as_ref()
                    .map_or("-".to_owned(), ToString::to_string),
                error.description.as_deref().unwrap_or("-"),
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
            order.id,
            text(order.status.as_ref()),
            text(order.billing_cycle.as_ref()),
            order.currency_code.as_deref().unwrap_or("-"),
            order.creation_date.as_deref().unwrap_or("-"),
        );
        println!(
            "    {:>2}  {:<34} {:>4}  {:<5}  {:<38}  NAME",
            "#", "OFFER", "QTY", "TERM", "SUBSCRIPTION"
        );
        for item in &order.line_items {
            println!(
                "    {:>2}  {:<34} {:>4}  {:<5}  {:<38}  {}",
                item.line_item_number,
                item.offer_id.as_deref().unwrap_or("-"),
                item.quantity,
                item.term_duration
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .unwrap_or("-"),
                item.subscription_id
                    .as_deref()
                    .unwrap_or("(not yet provisioned)"),
                item.friendly_name.as_deref().unwrap_or(""),
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
            product.id,
            product
                .product_type
                .as_ref()
                .map_or("-", |kind| kind.id.as_str()),
            product.title.as_deref().unwrap_or("-"),
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
            .map(ToString::to_string)
            .collect();
        println!(
            "  {:<6} {:>9}  {:<22} {}",
            sku.id,
            format!(
                "{}-{}",
                text(sku.minimum_quantity.as_ref()),
                text(sku.maximum_quantity.as_ref())
            ),
            cycles.join(","),
            sku.title.as_deref().unwrap_or("-"),
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
            .map(ToString::to_string)
            .collect();
        println!(
            "  {:<34} {:<11} {:<11} {}",
            availability.catalog_item(),
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

fn text(value: Option<&impl std::fmt::Display>) -> String {
    value.map_or_else(|| "-".to_owned(), ToString::to_string)
}
