//! Finding what to buy: the catalog calls against the fake, paging, the
//! line-item builder, and the fake's checks of line items against its
//! catalog.

use crate::common;

use common::round_trip::round_trip;
use common::{CUSTOMER, client, start};
use partner_center_cart::fake::Reply;
use partner_center_cart::{
    BillingCycle,
    model::{Availability, CartErrorCode, Collection, Product, Segment, Sku, TargetView},
};
use partner_center_cart::{CartLineItem, Error, NewCart};
use partner_center_cart::{CatalogOptions, CreateCartOptions, OrderOptions};
use serde_json::{Value, json};

const BASIC: (&str, &str) = ("CFQ7TTC0LH18", "0001");

/// A cart of these line items.
fn cart_of(items: impl IntoIterator<Item = CartLineItem>) -> NewCart {
    items.into_iter().fold(NewCart::new(), NewCart::line_item)
}

/// A line item by catalog item ID; `term` may be `""` for none.
fn item(catalog_item_id: &str, quantity: i64, cycle: BillingCycle, term: &str) -> CartLineItem {
    let item = CartLineItem::new(catalog_item_id, quantity, cycle);
    if term.is_empty() {
        item
    } else {
        item.term_duration(term)
    }
}

fn terms(availability: &Availability) -> Vec<String> {
    availability
        .offered_terms()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn each_catalog_call_sends_its_path() {
    let fake = start();
    let client = client(&fake);
    let base = format!("/v1/customers/{CUSTOMER}");

    let products = client
        .list_products(CUSTOMER, TargetView::OnlineServices, &CatalogOptions::new())
        .unwrap();
    let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
    assert!(ids.contains(&"CFQ7TTC0LH18"), "{ids:?}");
    assert!(!ids.contains(&"DZH318Z0BPS6"), "{ids:?}");
    assert_eq!(
        products[0].product_type.as_ref().map(|t| t.id.as_str()),
        Some("OnlineServicesNCE")
    );
    let product = client.get_product(CUSTOMER, "CFQ7TTC0LH18").unwrap();
    assert_eq!(
        product.title.as_deref(),
        Some("Microsoft 365 Business Basic")
    );
    let skus = client
        .list_skus(CUSTOMER, "CFQ7TTC0LH18", &CatalogOptions::new())
        .unwrap();
    assert_eq!(skus.len(), 1);
    assert_eq!(
        skus[0].supported_billing_cycles,
        [BillingCycle::Annual, BillingCycle::Monthly]
    );
    let sku = client.get_sku(CUSTOMER, BASIC.0, BASIC.1).unwrap();
    assert_eq!(sku.maximum_quantity, Some(300));
    let availabilities = client
        .list_availabilities(CUSTOMER, BASIC.0, BASIC.1, &CatalogOptions::new())
        .unwrap();
    assert_eq!(availabilities.len(), 1, "nonprofit is left out unasked");
    let availability = &availabilities[0];
    assert_eq!(
        availability.catalog_item_id,
        "CFQ7TTC0LH18:0001:CFQ7TTC0K971"
    );
    assert_eq!(availability.segment, Some(Segment::Commercial));
    assert_eq!(availability.country.as_deref(), Some("US"));
    assert!(availability.is_purchasable);
    assert_eq!(
        terms(availability),
        ["P1M/monthly", "P1Y/annual", "P1Y/monthly"]
    );
    let one = client
        .get_availability(CUSTOMER, BASIC.0, BASIC.1, &availability.id)
        .unwrap();
    assert_eq!(&one, availability);
    client
        .list_products(
            CUSTOMER,
            TargetView::SoftwarePerpetual,
            &CatalogOptions::new().segment(Segment::Commercial),
        )
        .unwrap();

    let requests = fake.requests();
    let paths: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            (
                "GET",
                format!("{base}/products?targetView=OnlineServices").as_str()
            ),
            ("GET", format!("{base}/products/CFQ7TTC0LH18").as_str()),
            ("GET", format!("{base}/products/CFQ7TTC0LH18/skus").as_str()),
            (
                "GET",
                format!("{base}/products/CFQ7TTC0LH18/skus/0001").as_str()
            ),
            (
                "GET",
                format!("{base}/products/CFQ7TTC0LH18/skus/0001/availabilities").as_str()
            ),
            (
                "GET",
                format!("{base}/products/CFQ7TTC0LH18/skus/0001/availabilities/CFQ7TTC0K971")
                    .as_str()
            ),
            (
                "GET",
                format!("{base}/products?targetView=SoftwarePerpetual&targetSegment=commercial")
                    .as_str()
            ),
        ]
    );
    for request in &requests {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {}", common::TOKEN).as_str())
        );
        assert!(request.header("ms-requestid").is_some());
    }
}

#[test]
fn segments_filter_lists_and_nonprofit_is_listed_only_when_asked() {
    let fake = start();
    let client = client(&fake);
    let nonprofit = CatalogOptions::new().segment(Segment::Nonprofit);
    let listed = client
        .list_availabilities(CUSTOMER, BASIC.0, BASIC.1, &nonprofit)
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].segment, Some(Segment::Nonprofit));
    assert!(
        fake.requests()[0]
            .path
            .ends_with("/availabilities?targetSegment=nonprofit")
    );

    let picked = client
        .availability_to_buy(CUSTOMER, BASIC.0, BASIC.1, &Segment::Nonprofit)
        .unwrap();
    assert_eq!(picked.id, listed[0].id);
    let picked = client
        .availability_to_buy(CUSTOMER, BASIC.0, BASIC.1, &Segment::Commercial)
        .unwrap();
    assert_eq!(picked.id, "CFQ7TTC0K971");
    let error = client
        .availability_to_buy(CUSTOMER, BASIC.0, BASIC.1, &Segment::Education)
        .unwrap_err();
    assert!(
        matches!(error, Error::NoPurchasableAvailability { ref segment, .. } if *segment == Segment::Education),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "product CFQ7TTC0LH18 SKU 0001 has no purchasable availability for the education segment"
    );
}

#[test]
fn the_catalog_has_each_kind_of_purchase() {
    let fake = start();
    let client = client(&fake);
    let buy = |product: &str, sku: &str| {
        client
            .availability_to_buy(CUSTOMER, product, sku, &Segment::Commercial)
            .unwrap()
    };
    // Perpetual software: once, without a term.
    let software = buy("DG7GMGF0DWM3", "0002");
    assert_eq!(terms(&software), ["one_time"]);
    let item = software.line_item(1, "", BillingCycle::OneTime).unwrap();
    assert_eq!(item.term_duration, None);
    // The Azure plan: one-time only.
    let plan = buy("DZH318Z0BPS6", "0001");
    assert_eq!(terms(&plan), ["one_time"]);
    assert!(plan.line_item(1, "", BillingCycle::Monthly).is_err());
    // A reservation: terms without a cycle take the SKU's cycles.
    let reservation = buy("DZH318Z0BQ36", "004G");
    assert_eq!(
        terms(&reservation),
        ["P1Y/one_time", "P1Y/monthly", "P3Y/one_time", "P3Y/monthly"]
    );
    // Views hold what they should.
    let ids = |view: TargetView| -> Vec<String> {
        client
            .list_products(CUSTOMER, view, &CatalogOptions::new())
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect()
    };
    assert_eq!(ids(TargetView::MicrosoftAzure), ["DZH318Z0BPS6"]);
    assert_eq!(ids(TargetView::SoftwarePerpetual), ["DG7GMGF0DWM3"]);
    assert_eq!(ids(TargetView::AzureReservationsVm), ["DZH318Z0BQ36"]);
    assert!(ids(TargetView::MarketplaceSaas).is_empty());
}

#[test]
fn an_availability_embeds_its_product_and_sku_as_plain_models() {
    let fake = start();
    let client = client(&fake);
    let availability = client
        .availability_to_buy(CUSTOMER, "CFQ7TTC0LH18", "0001", &Segment::Commercial)
        .unwrap();
    let product = client.get_product(CUSTOMER, "CFQ7TTC0LH18").unwrap();
    let sku = client.get_sku(CUSTOMER, "CFQ7TTC0LH18", "0001").unwrap();
    // Plain `Option<Product>` and `Option<Sku>`, as every model field is.
    assert_eq!(availability.product, Some(product));
    assert_eq!(availability.sku, Some(sku));
}

#[test]
fn unknown_views_and_resources_are_the_services_errors() {
    let fake = start();
    let client = client(&fake);
    // There is no OnlineServicesNCE view: new commerce is OnlineServices.
    let error = client
        .list_products(
            CUSTOMER,
            TargetView::from_wire("OnlineServicesNCE"),
            &CatalogOptions::new(),
        )
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(
        fake.requests()[0]
            .path
            .ends_with("/products?targetView=OnlineServicesNCE")
    );
    let error = client.get_product(CUSTOMER, "NOPE00000000").unwrap_err();
    assert_eq!(error.status(), Some(404));
    let error = client
        .get_availability(CUSTOMER, BASIC.0, BASIC.1, "CFQ7TTC0XXXX")
        .unwrap_err();
    assert_eq!(error.service_error().unwrap().code_number(), Some(400_019));
    assert_eq!(fake.requests().len(), 3, "4xx are not retried");
}

#[test]
fn catalog_ids_are_refused_before_sending() {
    let fake = start();
    let client = client(&fake);
    let long = "A".repeat(129);
    for bad in [
        "", ".", "..", "a/b", "a?b", "a b", "a%2Fb", "ä", "a\r\nb", &long,
    ] {
        let kind = |error: Error| match error {
            Error::InvalidId { kind, .. } => kind,
            other => panic!("{bad:?}: {other:?}"),
        };
        assert_eq!(
            kind(client.get_product(CUSTOMER, bad).unwrap_err()),
            "product ID"
        );
        assert_eq!(
            kind(
                client
                    .list_skus(CUSTOMER, bad, &CatalogOptions::new())
                    .unwrap_err()
            ),
            "product ID"
        );
        assert_eq!(
            kind(
                client
                    .list_availabilities(CUSTOMER, "P", bad, &CatalogOptions::new())
                    .unwrap_err()
            ),
            "SKU ID"
        );
        assert_eq!(
            kind(client.get_sku(CUSTOMER, bad, "0001").unwrap_err()),
            "product ID"
        );
        assert_eq!(
            kind(
                client
                    .get_availability(CUSTOMER, "P", "S", bad)
                    .unwrap_err()
            ),
            "availability ID"
        );
    }
    assert!(matches!(
        client.list_products(
            "not-a-guid",
            TargetView::OnlineServices,
            &CatalogOptions::new()
        ),
        Err(Error::InvalidId {
            kind: "customer ID",
            ..
        })
    ));
    assert!(fake.requests().is_empty(), "nothing was sent");
}

#[test]
fn lists_follow_next_links_and_replay_their_headers() {
    let fake = start();
    fake.set_page_size(1);
    let client = client(&fake);
    let products = client
        .list_products(CUSTOMER, TargetView::OnlineServices, &CatalogOptions::new())
        .unwrap();
    assert_eq!(products.len(), 4);

    let requests = fake.requests();
    assert_eq!(requests.len(), 4, "one request per page");
    assert_eq!(requests[0].header("ms-continuationtoken"), None);
    let tokens: Vec<&str> = requests[1..]
        .iter()
        .map(|r| r.header("ms-continuationtoken").expect("the link's header"))
        .collect();
    assert_ne!(tokens[0], tokens[1]);
    for request in &requests {
        assert_eq!(request.path, requests[0].path);
        assert!(request.header("authorization").is_some());
        assert_eq!(request.header("x-locale"), Some("en-US"));
    }
    assert_ne!(
        requests[0].header("ms-requestid"),
        requests[1].header("ms-requestid"),
        "each page is its own call"
    );
    // The same without paging gives the same items.
    fake.set_page_size(100);
    assert_eq!(
        client
            .list_products(CUSTOMER, TargetView::OnlineServices, &CatalogOptions::new())
            .unwrap(),
        products
    );
}

#[test]
fn a_page_that_fails_is_retried_with_its_token() {
    let fake = start();
    let client = client(&fake);
    fake.push_replies([
        Reply::json(
            200,
            &json!({
                "totalCount": 2,
                "items": [{"id": "o1"}],
                "links": {"next": {
                    "uri": format!("/customers/{CUSTOMER}/orders"),
                    "method": "GET",
                    "headers": [{"key": "MS-ContinuationToken", "value": "scripted"}],
                }},
            }),
        ),
        Reply::status(503),
        Reply::json(200, &json!({"items": [{"id": "o2"}]})),
    ]);
    let orders = client.list_orders(CUSTOMER, &OrderOptions::new()).unwrap();
    assert_eq!(
        orders.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        ["o1", "o2"]
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].path, format!("/v1/customers/{CUSTOMER}/orders"));
    assert_eq!(requests[1].header("ms-continuationtoken"), Some("scripted"));
    assert_eq!(requests[2].header("ms-continuationtoken"), Some("scripted"));
    assert_eq!(
        requests[1].header("ms-requestid"),
        requests[2].header("ms-requestid"),
        "a retry of a page keeps its request ID"
    );
}

#[test]
fn list_orders_and_provisioning_status_read_every_page() {
    let fake = start();
    let client = client(&fake);
    let cart = client
        .create_cart(
            CUSTOMER,
            &cart_of([
                item(
                    "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P",
                    3,
                    BillingCycle::Monthly,
                    "P1M",
                ),
                item(
                    "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ",
                    2,
                    BillingCycle::Monthly,
                    "P1Y",
                ),
                item(
                    "DZH318Z0BQ36:004G:DZH318Z08C0S",
                    1,
                    BillingCycle::OneTime,
                    "P1Y",
                ),
            ]),
            &CreateCartOptions::new(),
        )
        .unwrap();
    assert!(!cart.has_errors(), "{:?}", cart.line_item_errors());
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    fake.set_page_size(1);
    fake.clear_requests();
    assert_eq!(
        client
            .list_orders(CUSTOMER, &OrderOptions::new())
            .unwrap()
            .len(),
        2
    );
    assert_eq!(fake.requests().len(), 2);
    let monthly = result
        .orders
        .iter()
        .find(|order| order.line_items.len() == 2)
        .unwrap();
    fake.clear_requests();
    let statuses = client
        .get_order_provisioning_status(CUSTOMER, monthly.id.clone())
        .unwrap();
    assert_eq!(statuses.len(), 2);
    assert_eq!(fake.requests().len(), 2);
}

/// A collection whose next link is `next`.
fn page_linking_to(next: Value) -> Reply {
    Reply::json(
        200,
        &json!({"totalCount": 9, "items": [{"id": "P1"}], "links": {"next": next}}),
    )
}

#[test]
fn next_links_that_leave_the_base_url_are_refused_unsent() {
    let fake = start();
    let client = client(&fake);
    let other_port = fake.base_url().replace(
        &fake.base_url()[fake.base_url().rfind(':').unwrap()..],
        ":9",
    );
    for uri in [
        "https://evil.example/v1/customers/c/products".to_owned(),
        "//evil.example/v1/customers/c/products".to_owned(),
        format!("{other_port}/v1/customers/c/products"),
        "/customers/c/../../../x".to_owned(),
        "/customers/c/%2e%2e/x".to_owned(),
        "/customers/c\\products".to_owned(),
    ] {
        fake.clear_requests();
        fake.push_reply(page_linking_to(
            json!({"uri": uri, "method": "GET", "headers": []}),
        ));
        let error = client
            .list_products(CUSTOMER, TargetView::OnlineServices, &CatalogOptions::new())
            .unwrap_err();
        match &error {
            Error::BadNextLink { call, .. } => {
                assert_eq!(
                    Some(call.request_id().to_string().as_str()),
                    fake.requests()[0].header("ms-requestid")
                );
            }
            other => panic!("{uri}: {other:?}"),
        }
        assert!(error.to_string().contains("next-page link"), "{error}");
        assert_eq!(fake.requests().len(), 1, "{uri}: nothing more was sent");
    }
    // An absolute link to the base URL itself is followed.
    fake.clear_requests();
    fake.push_reply(page_linking_to(json!({
        "uri": format!("{}/v1/customers/{CUSTOMER}/products?targetView=OnlineServices", fake.base_url()),
        "headers": [{"key": "MS-ContinuationToken", "value": "abc"}],
    })));
    fake.push_reply(Reply::json(200, &json!({"items": [{"id": "P2"}]})));
    let products = client
        .list_products(CUSTOMER, TargetView::OnlineServices, &CatalogOptions::new())
        .unwrap();
    assert_eq!(
        products.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["P1", "P2"]
    );
    assert_eq!(
        fake.requests()[1].header("ms-continuationtoken"),
        Some("abc")
    );
}

#[test]
fn a_link_may_not_replace_the_clients_own_headers() {
    let fake = start();
    let client = client(&fake);
    fake.push_reply(page_linking_to(json!({
        "uri": format!("/customers/{CUSTOMER}/products"),
        "headers": [
            {"key": "Authorization", "value": "Bearer someone-else"},
            {"key": "MS-RequestId", "value": "00000000-0000-0000-0000-000000000000"},
            {"key": "MS-ContinuationToken", "value": "t"},
        ],
    })));
    fake.push_reply(Reply::json(200, &json!({"items": []})));
    client
        .list_products(CUSTOMER, TargetView::OnlineServices, &CatalogOptions::new())
        .unwrap();
    let second = &fake.requests()[1];
    let values = |name: &str| -> Vec<&str> {
        second
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(
        values("authorization"),
        [format!("Bearer {}", common::TOKEN).as_str()]
    );
    assert_eq!(values("ms-requestid").len(), 1);
    assert_ne!(
        values("ms-requestid")[0],
        "00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(values("ms-continuationtoken"), ["t"]);
}

#[test]
fn paging_cannot_loop_forever() {
    let fake = start();
    let client = client(&fake);
    // A link back to a page already read.
    let same = json!({"uri": format!("/customers/{CUSTOMER}/orders"), "headers": [{"key": "MS-ContinuationToken", "value": "again"}]});
    fake.push_replies([page_linking_to(same.clone()), page_linking_to(same)]);
    let error = client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    assert!(
        matches!(error, Error::BadNextLink { reason, .. } if reason.contains("already read")),
        "{error:?}"
    );
    assert_eq!(fake.requests().len(), 2);

    // A server that always has one more page.
    fake.clear_requests();
    fake.push_replies((0..1_001).map(|n| {
        page_linking_to(json!({
            "uri": format!("/customers/{CUSTOMER}/orders"),
            "headers": [{"key": "MS-ContinuationToken", "value": format!("page-{n}")}],
        }))
    }));
    let error = client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    assert!(
        matches!(error, Error::BadNextLink { reason, .. } if reason.contains("1000 pages")),
        "{error:?}"
    );
    assert_eq!(fake.requests().len(), 1_000);
}

#[test]
fn line_items_built_from_the_catalog_go_through() {
    let fake = start();
    let client = client(&fake);
    let availability = client
        .availability_to_buy(CUSTOMER, BASIC.0, BASIC.1, &Segment::Commercial)
        .unwrap();
    let refused = availability
        .line_item(25, "P1M", BillingCycle::Annual)
        .map_err(Error::from);
    assert!(
        matches!(refused, Err(Error::TermNotOffered { ref offered, .. }) if offered.len() == 3),
        "{refused:?}"
    );
    let item = availability
        .line_item(25, "P1Y", BillingCycle::Monthly)
        .unwrap();
    let cart = client
        .create_cart(
            CUSTOMER,
            &NewCart::new().line_item(item),
            &CreateCartOptions::new(),
        )
        .unwrap();
    assert!(!cart.has_errors(), "{:?}", cart.line_item_errors());
    let sent: Value = serde_json::from_slice(&fake.requests().last().unwrap().body).unwrap();
    assert_eq!(
        sent["lineItems"][0],
        json!({"id": 0, "catalogItemId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971", "quantity": 25, "billingCycle": "monthly", "termDuration": "P1Y"})
    );
    let result = client.checkout(CUSTOMER, &cart).unwrap();
    assert_eq!(
        result.orders[0].line_items[0].offer_id.as_deref(),
        Some("CFQ7TTC0LH18:0001:CFQ7TTC0K971")
    );
}

#[test]
fn the_fake_puts_line_items_in_error_as_the_service_does() {
    let fake = start();
    let client = client(&fake);
    let cart = client
        .create_cart(
            CUSTOMER,
            &cart_of([
                item(
                    "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
                    1,
                    BillingCycle::Annual,
                    "P1M",
                ),
                item(
                    "NOPE0000NOPE:0001:NOPE0000NOPE",
                    1,
                    BillingCycle::Monthly,
                    "P1M",
                ),
                item("MS-AZR-0145P", 1, BillingCycle::Monthly, ""),
                item(
                    "CFQ7TTC0LH18:0001:CFQ7TTC0XXXX",
                    1,
                    BillingCycle::Monthly,
                    "P1M",
                ),
                item(
                    "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
                    301,
                    BillingCycle::Monthly,
                    "P1M",
                ),
                item(
                    "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
                    5,
                    BillingCycle::Monthly,
                    "P1M",
                ),
            ]),
            &CreateCartOptions::new(),
        )
        .unwrap();
    let errors = cart.line_item_errors();
    let codes: Vec<(i64, Option<i64>)> = errors
        .iter()
        .map(|e| (e.line_item_id, e.error.error_code.code()))
        .collect();
    assert_eq!(
        codes,
        [
            (0, Some(10_013)),
            (1, Some(10_001)),
            (2, Some(10_001)),
            (3, Some(400_019)),
            (4, Some(10_015)),
        ]
    );
    let offered = errors[0].error.error_description.as_deref().unwrap();
    assert!(
        offered.contains("P1M/monthly, P1Y/annual, P1Y/monthly"),
        "{offered}"
    );
    assert_eq!(
        errors[0].error.error_code,
        CartErrorCode::BillingPlanNotSupported
    );
    assert!(!errors[0].error.is_catalog_item_not_found());
    assert!(errors[1].error.is_catalog_item_not_found());
    assert!(errors[3].error.is_catalog_item_not_found());
    let error = client.checkout(CUSTOMER, cart.id.unwrap()).unwrap_err();
    assert_eq!(error.service_error().unwrap().code_number(), Some(800_009));
}

/// What the crate docs' "Finding what to buy" section shows: a line item whose
/// availability ID was reissued is looked up again and replaced.
#[test]
fn a_rotated_availability_id_is_looked_up_again() {
    let fake = start();
    let client = client(&fake);
    let old = client
        .availability_to_buy(CUSTOMER, BASIC.0, BASIC.1, &Segment::Commercial)
        .unwrap()
        .line_item(25, "P1Y", BillingCycle::Monthly)
        .unwrap();
    fake.rotate_availability_ids();

    let mut cart = client
        .create_cart(
            CUSTOMER,
            &NewCart::new().line_item(old.clone()),
            &CreateCartOptions::new(),
        )
        .unwrap();
    let errors = cart.line_item_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].error.error_code.code(), Some(400_019));
    assert!(errors[0].error.is_catalog_item_not_found());
    assert!(client.checkout(CUSTOMER, &cart).is_err());

    for item in &mut cart.line_items {
        if item
            .error
            .as_ref()
            .is_some_and(|error| error.is_catalog_item_not_found())
        {
            let (product, sku) = {
                let mut parts = item.catalog_item_id.split(':');
                (parts.next().unwrap(), parts.next().unwrap())
            };
            let fresh = client
                .availability_to_buy(CUSTOMER, product, sku, &Segment::Commercial)
                .unwrap();
            item.catalog_item_id = fresh.catalog_item_id.clone();
            item.error = None;
        }
    }
    let cart = client
        .update_cart(CUSTOMER, cart.id.unwrap(), &cart)
        .unwrap();
    assert!(!cart.has_errors(), "{:?}", cart.line_item_errors());
    assert_ne!(cart.line_items[0].catalog_item_id, old.catalog_item_id);
    assert!(
        cart.line_items[0]
            .catalog_item_id
            .starts_with("CFQ7TTC0LH18:0001:CFQ7TTC0")
    );
    assert_eq!(client.checkout(CUSTOMER, &cart).unwrap().orders.len(), 1);
}

/// The demo starts from product and SKU: after the fake reissues every
/// availability ID, the same resolution still finds what to buy.
#[test]
fn the_demo_resolves_catalog_items_from_product_and_sku() {
    let fake = start();
    let client = client(&fake);
    fake.rotate_availability_ids();
    let mut cart = NewCart::new();
    for (product, sku, quantity, term, cycle) in [
        ("CFQ7TTC0LH18", "0001", 25, "P1Y", BillingCycle::Monthly),
        ("CFQ7TTC0LFLS", "0002", 25, "P1M", BillingCycle::Monthly),
        ("DZH318Z0BQ36", "004G", 2, "P1Y", BillingCycle::OneTime),
        ("DG7GMGF0DWM3", "0002", 1, "", BillingCycle::OneTime),
    ] {
        let availability = client
            .availability_to_buy(CUSTOMER, product, sku, &Segment::Commercial)
            .unwrap();
        assert!(
            availability
                .catalog_item_id
                .starts_with(&format!("{product}:{sku}:"))
        );
        cart = cart.line_item(availability.line_item(quantity, term, cycle).unwrap());
    }
    let created = client
        .create_cart(CUSTOMER, &cart, &CreateCartOptions::new())
        .unwrap();
    assert!(!created.has_errors(), "{:?}", created.line_item_errors());
    for stale in [
        "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ",
        "DZH318Z0BQ36:004G:DZH318Z08C0S",
    ] {
        assert!(
            created
                .line_items
                .iter()
                .all(|item| item.catalog_item_id != stale)
        );
    }
}

#[test]
fn every_catalog_example_decodes_and_writes_back_its_fields() {
    let products: Collection<Product> = round_trip("catalog-products-example.json");
    assert_eq!(products.items[0].id, "CFQ7TTC0LH18");
    let product: Product = round_trip("catalog-product-nce-example.json");
    assert_eq!(
        product.links.unwrap().skus.unwrap().uri.as_str(),
        "/products/CFQ7TTC0LH18/skus?country=US"
    );
    let skus: Collection<Sku> = round_trip("catalog-skus-example.json");
    assert_eq!(skus.items.len(), 2);
    assert_eq!(
        skus.items[0].supported_billing_cycles,
        [BillingCycle::OneTime, BillingCycle::Monthly]
    );
    let sku: Sku = round_trip("catalog-sku-nce-example.json");
    assert_eq!(sku.dynamic_attributes["isAddon"], false);
    let availabilities: Collection<Availability> =
        round_trip("catalog-availabilities-example.json");
    let savings_plan = &availabilities.items[0];
    assert_eq!(
        terms(savings_plan),
        ["P1Y/one_time", "P1Y/monthly"],
        "a term without a cycle takes the embedded SKU's"
    );
    let by_id: Availability = round_trip("catalog-availability-by-id-example.json");
    assert_eq!(&by_id, savings_plan);
    let nce: Availability = round_trip("catalog-availability-nce-example.json");
    assert_eq!(nce.terms[0].billing_cycle, Some(BillingCycle::Annual));
    assert_eq!(nce.terms[0].id.as_deref(), Some("5aeco6mffyxo"));
    assert_eq!(
        nce.renewal_instructions[0].renewal_options[0]
            .renew_to_id
            .as_deref(),
        Some("CFQ7TTC0LH18:0001")
    );
    assert_eq!(
        nce.terms[0].cancellation_policies[0].refund_options[0]
            .expires_after
            .as_deref(),
        Some("P1D")
    );
    assert!(nce.line_item(1, "P1Y", BillingCycle::Annual).is_ok());
    assert!(nce.line_item(1, "P1Y", BillingCycle::Monthly).is_err());
}

#[test]
fn unknown_catalog_values_are_kept() {
    let availability: Availability = serde_json::from_value(json!({
        "id": "A", "segment": "military", "terms": [{"duration": "P5Y", "billingCycle": "Quinquennial"}],
        "isPurchasable": null, "renewalInstructions": null, "terms2": 5
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        availability.segment,
        Some(Segment::Other("military".into()))
    );
    assert_eq!(terms(&availability), ["P5Y/Quinquennial"]);
    let written = serde_json::to_value(&availability).unwrap();
    assert_eq!(written["segment"], "military");
    assert_eq!(written["terms"][0]["billingCycle"], "Quinquennial");
}
