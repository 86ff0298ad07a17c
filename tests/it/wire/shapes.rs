//! The shapes the 2023 documentation gives, read over real HTTP from the
//! fake: line item IDs as strings, `renewsTo` as an array, the fields the
//! crate used to drop (and that a decoded order writes back), new-commerce
//! add-ons as top-level line items with 400041 when their base is missing,
//! the fields the fake sends on order lines, and the hints for the new
//! error codes.

use crate::common;

use common::round_trip::round_trip_dropping;
use common::{CUSTOMER, client, fixture, quick_wait, start};
use partner_center_cart::fake::Reply;
use partner_center_cart::{
    BillingCycle, CartLineItem, NewCart,
    model::{ParticipantType, PurchaseCommitment, RenewsTo},
};
use partner_center_cart::{CreateCartOptions, OrderOptions};
use partner_center_cart::{Error, model::Order};
use serde_json::{Value, json};

const BUSINESS_STANDARD: &str = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P";
/// A new-commerce add-on whose prerequisites are Microsoft 365 E3 and
/// Business Standard.
const AUDIO_CONFERENCING: &str = "CFQ7TTC0HDJX:0001:CFQ7TTC0K806";
const CART_ID: &str = "3655b1a0-b1c9-4268-9824-577fdbc4d0be";

fn monthly(catalog_item_id: &str, quantity: u32) -> CartLineItem {
    CartLineItem::new(catalog_item_id, quantity, BillingCycle::Monthly).term_duration("P1M")
}

/// A cart as the service sends it, with `lines` as its line items.
fn cart_body(lines: Value) -> Value {
    json!({"id": CART_ID, "status": "Active", "lineItems": lines})
}

#[test]
fn line_item_ids_read_as_numbers_or_numeric_strings() {
    let fake = start();
    fake.push_reply(Reply::json(
        200,
        &cart_body(json!([
            {"id": "0", "catalogItemId": BUSINESS_STANDARD, "quantity": 1},
            {"id": 1, "catalogItemId": AUDIO_CONFERENCING, "quantity": 1},
            {"id": " 2 ", "catalogItemId": BUSINESS_STANDARD, "quantity": 1},
        ])),
    ));
    let cart = client(&fake).get_cart(CUSTOMER, CART_ID).unwrap();
    let ids: Vec<i64> = cart.line_items.iter().map(|item| item.id).collect();
    assert_eq!(ids, [0, 1, 2]);
    // Written back as numbers, as the examples send them.
    assert_eq!(
        serde_json::to_value(&cart).unwrap()["lineItems"][0]["id"],
        0
    );
}

#[test]
fn a_line_item_id_that_is_no_number_fails_clearly_with_the_request_id() {
    let fake = start();
    fake.push_reply(Reply::json(
        200,
        &cart_body(json!([{"id": "first\u{1b}[31m", "catalogItemId": BUSINESS_STANDARD}])),
    ));
    let error = client(&fake).get_cart(CUSTOMER, CART_ID).unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 200, .. }),
        "{error:?}"
    );
    let sent = fake.requests()[0]
        .header("ms-requestid")
        .unwrap()
        .to_owned();
    assert_eq!(error.request_id().unwrap().to_string(), sent);
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("not an integer"), "{source}");
    assert!(
        !source.contains('\u{1b}'),
        "server text is not echoed: {source}"
    );
}

#[test]
fn renews_to_reads_as_an_object_or_an_array() {
    let fake = start();
    fake.push_reply(Reply::json(
        200,
        &cart_body(json!([
            {"id": 0, "catalogItemId": BUSINESS_STANDARD, "renewsTo": [{"termDuration": "P1Y"}]},
            {"id": 1, "catalogItemId": BUSINESS_STANDARD, "renewsTo": {"termDuration": "P1M"}},
            {"id": 2, "catalogItemId": BUSINESS_STANDARD, "renewsTo": []},
            {"id": 3, "catalogItemId": BUSINESS_STANDARD, "renewsTo": "P1Y"},
        ])),
    ));
    let cart = client(&fake).get_cart(CUSTOMER, CART_ID).unwrap();
    let terms: Vec<Option<RenewsTo>> = cart
        .line_items
        .iter()
        .map(|item| item.renews_to.clone())
        .collect();
    assert_eq!(
        terms,
        [
            Some(RenewsTo::term("P1Y")),
            Some(RenewsTo::term("P1M")),
            None,
            None
        ]
    );
}

#[test]
fn cart_lines_keep_pricing_promotions_commitments_and_error_details() {
    let fake = start();
    let line = json!({
        "id": 0, "catalogItemId": "DZH318Z09V6F:0001:DZH318Z0BLD3", "quantity": 1,
        "promotionId": "39NFJQT1Q5KL:0001:39NFJQT1Q5KL",
        "pricing": {"listPrice": 10.5, "discountedPrice": 9.0, "proratedPrice": 4.5, "price": 9.0, "extendedPrice": 108.0},
        "purchaseCommitment": {"amount": 0.05, "currency": "usd", "grain": "hourly"},
        "error": {"errorCode": 10015, "errorDescription": "Too many seats.",
                  "additionalInformation": {"availableQuantity": 3, "purchasedQuantity": 297, "later": "kept"}},
    });
    fake.push_reply(Reply::json(200, &cart_body(json!([line]))));
    let cart = client(&fake).get_cart(CUSTOMER, CART_ID).unwrap();
    let item = &cart.line_items[0];
    assert_eq!(
        item.promotion_id.as_deref(),
        Some("39NFJQT1Q5KL:0001:39NFJQT1Q5KL")
    );
    let pricing = item.pricing.as_ref().unwrap();
    assert_eq!(
        (
            pricing.price,
            pricing.extended_price,
            pricing.prorated_price
        ),
        (Some(9.0), Some(108.0), Some(4.5))
    );
    assert_eq!(
        item.purchase_commitment,
        Some(PurchaseCommitment::new(0.05, "usd", "hourly"))
    );
    let details = &item.error.as_ref().unwrap().additional_information;
    assert_eq!(details.available_quantity, Some(3));
    assert_eq!(details.purchased_quantity, Some(297));
    assert_eq!(details.extra["later"], "kept");
    // Everything goes back with an update.
    assert_eq!(serde_json::to_value(&cart).unwrap()["lineItems"][0], line);
}

/// An order line with every field the 2023 documentation gives it.
fn documented_order() -> Value {
    let link = |uri: &str| json!({"uri": uri, "method": "GET", "headers": []});
    json!({
        "id": "2b912b3392fd", "alternateId": "2b912b3392fd", "referenceCustomerId": CUSTOMER,
        "billingCycle": "monthly", "currencyCode": "USD", "currencySymbol": "US$",
        "lineItems": [{
            "lineItemNumber": 0, "offerId": "DZH318Z09V6F:0001:DZH318Z0BLD3",
            "subscriptionId": "005a9b31-3ba0-4ead-b4fe-ad11e072f7e7",
            "parentSubscriptionId": "8e1d2a2f-53b4-4c3e-9d7a-2a4fa8c1e0b2",
            "termDuration": "P1Y", "transactionType": "New", "friendlyName": "Compute savings plan",
            "quantity": 1, "partnerIdOnRecord": "5357564",
            "additionalPartnerIdsOnRecord": ["517285"],
            "provisioningContext": {"scope": "single", "entitlementId": "cdd17cc7-14fe-4445-8650-1f52de705851"},
            "renewsTo": {"termDuration": "P1Y"}, "attestationAccepted": true,
            "promotionId": "39NFJQT1Q5KL", "customTermEndDate": "2024-05-31T00:00:00Z",
            "pricing": {"listPrice": 438.0, "discountedPrice": 438.0, "proratedPrice": 438.0, "price": 438.0, "extendedPrice": 438.0},
            "purchaseCommitment": {"amount": 0.05, "currency": "usd", "grain": "hourly"},
            "links": {"product": link("/products/DZH318Z09V6F?country=US"),
                      "sku": link("/products/DZH318Z09V6F/skus/0001?country=US")},
        }],
        "creationDate": "2023-05-18T05:16:33.1368156Z", "status": "completed",
        "transactionType": "UserPurchase",
        "links": {
            "self": link("/customers/c/orders/2b912b3392fd"),
            "next": link("/customers/c/orders?seek=2"),
            "previous": link("/customers/c/orders?seek=0"),
        },
        "totalPrice": 438.0,
        "attributes": {"objectType": "Order"},
    })
}

#[test]
fn a_decoded_order_encodes_back_with_every_documented_field() {
    let fake = start();
    let wire = documented_order();
    fake.push_reply(Reply::json(200, &wire));
    let order = client(&fake)
        .get_order(CUSTOMER, "2b912b3392fd", &OrderOptions::new())
        .unwrap();
    let line = &order.line_items[0];
    assert_eq!(
        line.purchase_commitment
            .as_ref()
            .and_then(|c| c.grain.as_deref()),
        Some("hourly")
    );
    assert_eq!(
        line.pricing.as_ref().and_then(|p| p.list_price),
        Some(438.0)
    );
    assert_eq!(line.promotion_id.as_deref(), Some("39NFJQT1Q5KL"));
    assert_eq!(
        order.links.next.as_ref().map(|link| link.uri.as_str()),
        Some("/customers/c/orders?seek=2")
    );
    assert!(order.links.previous.is_some());
    // Encoding gives the body back, field for field.
    assert_eq!(serde_json::to_value(&order).unwrap(), wire);
    let again: Order = serde_json::from_value(wire).unwrap();
    assert_eq!(again, order);
}

#[test]
fn the_checkout_result_keeps_its_additional_information() {
    let fake = start();
    let wire = json!({
        "orders": [documented_order()],
        "additionalInformation": [{"note": "kept as sent"}],
        "attributes": {"objectType": "CartCheckoutResult"},
    });
    fake.push_reply(Reply::json(201, &wire));
    let result = client(&fake).checkout(CUSTOMER, CART_ID).unwrap();
    assert_eq!(
        result.additional_information,
        Some(json!([{"note": "kept as sent"}]))
    );
    let written = serde_json::to_value(&result).unwrap();
    assert_eq!(
        written["additionalInformation"],
        wire["additionalInformation"]
    );
    assert_eq!(written["orders"][0], wire["orders"][0]);
}

#[test]
fn skus_and_products_keep_specialized_offer_properties_and_localized_attributes() {
    let fake = start();
    let properties = json!([{"startDate": "2023-01-01", "endDate": "2023-12-31",
        "pricingPolicies": [{"type": "Percentage", "value": "15"}, {"type": "Flat", "value": 2.5}]}]);
    let localized = json!([{"locale": "fr-FR", "title": "Offre"}]);
    let mut sku: Value = serde_json::from_slice(&fixture("catalog-sku-nce-example.json")).unwrap();
    sku["specializedOfferProperties"] = properties.clone();
    sku["localizedAttributes"] = localized.clone();
    let product = json!({"id": "CFQ7TTC0LH18", "specializedOfferProperties": properties[0],
        "localizedAttributes": localized});
    fake.push_replies([Reply::json(200, &sku), Reply::json(200, &product)]);
    let client = client(&fake);

    let read = client.get_sku(CUSTOMER, "CFQ7TTC0LH18", "0001").unwrap();
    let policies = &read.specialized_offer_properties[0].pricing_policies;
    assert_eq!(policies[0].kind.as_deref(), Some("Percentage"));
    assert_eq!(policies[1].value.as_deref(), Some("2.5"));
    assert_eq!(read.localized_attributes, Some(localized.clone()));
    let written = serde_json::to_value(&read).unwrap();
    assert_eq!(written["localizedAttributes"], localized);
    assert_eq!(
        written["specializedOfferProperties"][0]["endDate"],
        "2023-12-31"
    );

    // One object where the documentation says list reads as a list of one.
    let read = client.get_product(CUSTOMER, "CFQ7TTC0LH18").unwrap();
    assert_eq!(read.specialized_offer_properties.len(), 1);
    assert_eq!(read.localized_attributes, Some(localized));
}

#[test]
fn new_commerce_add_ons_go_beside_their_base_into_one_order() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let client = client(&fake);
    let new_cart = NewCart::new().line_item_with_new_commerce_addons(
        monthly(BUSINESS_STANDARD, 5),
        [monthly(AUDIO_CONFERENCING, 5)],
    );
    let cart = client
        .create_cart(CUSTOMER, &new_cart, &CreateCartOptions::new())
        .unwrap();
    assert!(!cart.has_errors(), "{:?}", cart.line_item_errors());
    assert_eq!(cart.line_items.len(), 2, "the add-on is a top-level line");
    assert!(cart.line_items[0].addon_items.is_empty());
    assert_eq!(
        cart.line_items[0].order_group,
        cart.line_items[1].order_group
    );

    let result = client.checkout(CUSTOMER, &cart).unwrap();
    assert_eq!(result.orders.len(), 1, "base and add-on are one order");
    let lines = &result.orders[0].line_items;
    assert_eq!(
        lines[1].parent_subscription_id, lines[0].subscription_id,
        "the add-on names its base's subscription"
    );
    assert!(lines[1].parent_subscription_id.is_some());

    // Once the customer has the base, the add-on alone is accepted.
    let later = client
        .create_cart(
            CUSTOMER,
            &NewCart::new().line_item(monthly(AUDIO_CONFERENCING, 2)),
            &CreateCartOptions::new(),
        )
        .unwrap();
    assert!(!later.has_errors(), "{:?}", later.line_item_errors());
}

#[test]
fn a_new_commerce_add_on_without_its_base_gets_400041_and_a_hint() {
    let fake = start();
    let client = client(&fake);
    let alone = NewCart::new().line_item(monthly(AUDIO_CONFERENCING, 5));
    // Nested in addonItems, the traditional form, the base does not count.
    let nested = NewCart::new()
        .line_item(monthly(BUSINESS_STANDARD, 5).addon(monthly(AUDIO_CONFERENCING, 5)));
    for new_cart in [alone, nested] {
        let cart = client
            .create_cart(CUSTOMER, &new_cart, &CreateCartOptions::new())
            .unwrap();
        let errors = cart.line_item_errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].catalog_item_id, AUDIO_CONFERENCING);
        assert_eq!(errors[0].error.error_code.code(), Some(400_041));
        let hint = errors[0].error.error_code.hint().unwrap();
        assert!(
            hint.contains("line_item_with_new_commerce_addons"),
            "{hint}"
        );
        assert!(errors[0].to_string().contains("to fix:"), "{}", errors[0]);
        let refused = client.checkout(CUSTOMER, &cart).unwrap_err();
        assert!(matches!(refused, Error::CartHasErrors { .. }));
    }
}

#[test]
fn the_fake_sends_every_field_the_examples_show_on_order_lines() {
    let fake = start();
    fake.set_polls_until_complete(0);
    let client = client(&fake);
    let cart = client
        .create_cart(
            CUSTOMER,
            &NewCart::new().line_item(
                monthly(BUSINESS_STANDARD, 3)
                    .participant(ParticipantType::TransactionReseller, "5357564")
                    .participant(ParticipantType::AdditionalTransactionReseller, "517285"),
            ),
            &CreateCartOptions::new(),
        )
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let orders = client
        .wait_for_orders(CUSTOMER, &result, quick_wait())
        .unwrap();
    let line = &orders[0].line_items[0];
    assert_eq!(line.partner_id_on_record.as_deref(), Some("5357564"));
    assert_eq!(line.additional_partner_ids_on_record, ["517285"]);
    let links = &line.links;
    for (name, link) in [
        ("product", &links.product),
        ("sku", &links.sku),
        ("availability", &links.availability),
        ("subscription", &links.subscription),
    ] {
        assert!(link.is_some(), "{name} link");
    }
    assert_eq!(
        links.sku.as_ref().unwrap().uri,
        "/products/CFQ7TTC0LH0Z/skus/0001?country=US"
    );
    assert_eq!(
        line.pricing.as_ref().and_then(|p| p.extended_price),
        Some(37.5)
    );
    // On the wire, as in every example, an empty context is `{}`.
    let wire = serde_json::to_value(&fake.orders()[0]).unwrap();
    assert_eq!(wire["lineItems"][0]["provisioningContext"], json!({}));
}

#[test]
fn new_error_codes_come_with_what_to_do() {
    let fake = start();
    let client = client(&fake);
    fake.push_reply(Reply::fault(403, 800_074, "The customer is under review."));
    let error = client.get_cart(CUSTOMER, CART_ID).unwrap_err();
    let service = error.service_error().unwrap();
    assert!(service.hint().unwrap().contains("days"));
    assert!(error.to_string().contains("to fix: "), "{error}");

    fake.push_reply(Reply::fault(
        403,
        900_329,
        "App-only tokens are not accepted.",
    ));
    let error = client.get_cart(CUSTOMER, CART_ID).unwrap_err();
    assert!(error.to_string().contains("App+User"), "{error}");

    // An order group that failed says what to do too.
    fake.inject_order_error(BUSINESS_STANDARD, 800_073, "The customer is under review.");
    let cart = client
        .create_cart(
            CUSTOMER,
            &NewCart::new().line_item(monthly(BUSINESS_STANDARD, 1)),
            &CreateCartOptions::new(),
        )
        .unwrap();
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let failed = result.order_errors[0].to_string();
    assert!(failed.contains("retry in a few days"), "{failed}");

    // A code with an obvious fix gets none.
    fake.push_reply(Reply::fault(400, 800_002, "Bad input."));
    let error = client.get_cart(CUSTOMER, CART_ID).unwrap_err();
    assert_eq!(error.service_error().unwrap().hint(), None);
}

/// What the order and cart models leave out on purpose: the undocumented
/// `client` object and empty objects (such as `"links": {}`), which carry
/// nothing.
fn undocumented_or_empty(name: &str, value: &Value) -> bool {
    name == "client" || value.as_object().is_some_and(|object| object.is_empty())
}

#[test]
fn the_documented_order_and_cart_examples_decode_and_encode_back() {
    use partner_center_cart::CartCheckoutResult;
    use partner_center_cart::{Cart, model::Collection};

    round_trip_dropping::<Order>("order-create-response.json", undocumented_or_empty);
    round_trip_dropping::<Order>("order-get-response.json", undocumented_or_empty);
    round_trip_dropping::<Order>(
        "order-cancelled-sandbox-response.json",
        undocumented_or_empty,
    );
    round_trip_dropping::<Collection<Order>>("orders-list-response.json", undocumented_or_empty);
    round_trip_dropping::<CartCheckoutResult>("checkout-doc-example.json", undocumented_or_empty);
    round_trip_dropping::<Cart>("cart-create-response.json", undocumented_or_empty);
    round_trip_dropping::<Cart>("cart-create-response-mixed.json", undocumented_or_empty);
}

#[test]
fn a_savings_plan_line_keeps_its_commitment_and_context_into_the_order() {
    let fake = start();
    let client = client(&fake);
    let plan = CartLineItem::new("DZH318Z09V6F:0001:DZH318Z0BLD3", 1, BillingCycle::Monthly)
        .term_duration("P1Y")
        .provisioning_context("scope", "single")
        .provisioning_context("entitlementId", "cdd17cc7-14fe-4445-8650-1f52de705851")
        .purchase_commitment(PurchaseCommitment::new(0.05, "usd", "hourly"))
        .promotion_id("39NFJQT1Q5KL");
    let cart = client
        .create_cart(
            CUSTOMER,
            &NewCart::new().line_item(plan),
            &CreateCartOptions::new(),
        )
        .unwrap();
    assert!(!cart.has_errors(), "{:?}", cart.line_item_errors());
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    let line = &result.orders[0].line_items[0];
    assert_eq!(
        line.purchase_commitment,
        Some(PurchaseCommitment::new(0.05, "usd", "hourly"))
    );
    assert_eq!(line.provisioning_context["scope"], "single");
    assert_eq!(line.promotion_id.as_deref(), Some("39NFJQT1Q5KL"));
    assert_eq!(line.term_duration.as_deref(), Some("P1Y"));
}
