//! The fake's memory of carts and orders, and the built-in behaviour of its
//! endpoints.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use percent_encoding::percent_decode_str;
use serde::Serialize;
use uuid::Uuid;

use super::catalog::Catalog;
use super::{RecordedRequest, Reply};
use crate::dates::civil_from_days;
use crate::ids::{CartId, OrderId};
use crate::model::FaultCode;
use crate::model::{
    Attributes, Cart, CartCheckoutResult, CartError, CartErrorCode, CartLineItem, CartLinks,
    CartStatus, Collection, CollectionLinks, LineItemTransactionType, Link, LinkHeader, Order,
    OrderError, OrderLineItem, OrderLineItemLinks, OrderLinks, OrderStatus, OrderTransactionType,
    ParticipantType, Pricing, from_body,
};

/// The line error of a new-commerce add-on whose base the customer has
/// neither in the cart nor already.
const ADDON_WITHOUT_BASE: i64 = 400_041;

/// How long a cart lives.
const CART_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// Carts and orders by customer, and what the tests asked the fake to do.
#[derive(Debug)]
pub(super) struct Store {
    /// Carts by (customer, cart ID), with the result of their checkout.
    carts: HashMap<(String, CartId), StoredCart>,
    /// Orders in the order they were made.
    orders: Vec<StoredOrder>,
    /// Carts as created, by (customer, `MS-RequestId` of the create), so
    /// that a repeated create returns the first cart instead of a second.
    created: HashMap<(String, String), Cart>,
    /// Errors to put on line items of these catalog items.
    line_item_errors: HashMap<String, CartError>,
    /// Failures for the order groups holding these catalog items.
    order_errors: HashMap<String, (i64, String)>,
    /// Faults, sent with HTTP 200, for checkouts of carts holding these
    /// catalog items.
    success_faults: HashMap<String, (i64, String)>,
    /// How many reads of a pending order it takes to complete it.
    pub(super) polls_until_complete: u32,
    /// Orders holding these catalog items end cancelled.
    cancelled_items: HashSet<String>,
    /// How many more checkouts answer with a body cut short.
    pub(super) cut_checkout_answers: u32,
    /// How long a checkout's answer takes to leave, after it took effect.
    pub(super) checkout_answer_delay: Option<Duration>,
    /// How many more creates take effect and lose their answer.
    pub(super) lost_create_answers: u32,
    /// Whether a repeated checkout is refused with 800065, as older
    /// versions of the service did, instead of replaying the first result.
    pub(super) refuse_repeated_checkouts: bool,
    /// How long a new order stays out of order lists.
    pub(super) order_list_lag: Duration,
    /// How many more checkouts take effect while answering 409 "in
    /// progress".
    pub(super) checkouts_in_progress: u32,
    /// The carts already answered 800060, whose repeats in progress get
    /// 800064.
    carts_in_progress: HashSet<(String, CartId)>,
    /// Whether app+user tokens without the MFA claim are refused (900421).
    pub(super) require_mfa: bool,
    /// What the fake sells.
    pub(super) catalog: Catalog,
    /// How many items a page of a collection holds.
    pub(super) page_size: usize,
    /// Continuation tokens handed out, with the path and query they
    /// continue and where the next page starts.
    continuations: HashMap<String, (String, usize)>,
}

/// How many items a page holds unless a test sets another size.
pub(super) const DEFAULT_PAGE_SIZE: usize = 100;

impl Default for Store {
    fn default() -> Self {
        Store {
            carts: HashMap::new(),
            orders: Vec::new(),
            created: HashMap::new(),
            line_item_errors: HashMap::new(),
            order_errors: HashMap::new(),
            success_faults: HashMap::new(),
            polls_until_complete: 2,
            cancelled_items: HashSet::new(),
            cut_checkout_answers: 0,
            checkout_answer_delay: None,
            lost_create_answers: 0,
            refuse_repeated_checkouts: false,
            order_list_lag: Duration::ZERO,
            checkouts_in_progress: 0,
            carts_in_progress: HashSet::new(),
            require_mfa: false,
            catalog: Catalog::default(),
            page_size: DEFAULT_PAGE_SIZE,
            continuations: HashMap::new(),
        }
    }
}

#[derive(Debug)]
struct StoredCart {
    cart: Cart,
    checkout: Option<CartCheckoutResult>,
}

#[derive(Debug)]
struct StoredOrder {
    customer: String,
    order: Order,
    /// For each line, the line of the base it is an add-on to, if any.
    bases: Vec<Option<usize>>,
    polls: u32,
    made_at: Instant,
}

impl Store {
    pub(super) fn inject_line_item_error(&mut self, catalog_item_id: String, error: CartError) {
        self.line_item_errors.insert(catalog_item_id, error);
    }

    pub(super) fn inject_order_error(
        &mut self,
        catalog_item_id: String,
        code: i64,
        description: String,
    ) {
        self.order_errors
            .insert(catalog_item_id, (code, description));
    }

    pub(super) fn cancel_orders_with(&mut self, catalog_item_id: String) {
        self.cancelled_items.insert(catalog_item_id);
    }

    pub(super) fn inject_success_fault(
        &mut self,
        catalog_item_id: String,
        code: i64,
        description: String,
    ) {
        self.success_faults
            .insert(catalog_item_id, (code, description));
    }

    pub(super) fn cart(&self, customer: &str, cart_id: CartId) -> Option<Cart> {
        let key = (customer.to_ascii_lowercase(), cart_id);
        self.carts.get(&key).map(|stored| stored.cart.clone())
    }

    pub(super) fn carts(&self, customer: &str) -> Vec<Cart> {
        let customer = customer.to_ascii_lowercase();
        self.carts
            .iter()
            .filter(|((owner, _), _)| *owner == customer)
            .map(|(_, stored)| stored.cart.clone())
            .collect()
    }

    pub(super) fn orders(&self) -> Vec<Order> {
        self.orders
            .iter()
            .map(|stored| stored.order.clone())
            .collect()
    }

    /// Answers a request that no scripted reply took.
    pub(super) fn route(&mut self, request: &RecordedRequest) -> Reply {
        let token = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
            .filter(|token| !token.trim().is_empty());
        let Some(token) = token else {
            return Reply::fault(401, 800_001, "No partner token was found in the request.");
        };
        if let Some(refusal) = super::token::refusal(token) {
            return refusal;
        }
        if self.require_mfa
            && let Some(refusal) = super::token::mfa_refusal(token)
        {
            return refusal;
        }
        let path = request
            .path
            .split_once('?')
            .map_or(request.path.as_str(), |(path, _)| path);
        let include_price = query_value(&request.path, "include_price")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (customer, rest) = match segments.as_slice() {
            ["v1", "customers", customer, rest @ ..] => (customer.to_ascii_lowercase(), rest),
            _ => return not_found("The requested resource does not exist."),
        };
        match (request.method.as_str(), rest) {
            ("POST", ["carts"]) => self.create_cart(customer, request),
            ("GET", ["carts", cart]) => match self.stored_cart(&customer, cart) {
                Some(stored) => Reply::json(200, &stored.cart),
                None => cart_not_found(cart),
            },
            ("PUT", ["carts", cart]) => self.update_cart(customer, cart, &request.body),
            ("POST", ["carts", cart, "checkout"]) => {
                let reply = if self.checkouts_in_progress > 0 {
                    self.checkouts_in_progress -= 1;
                    self.checkout_in_progress(customer, cart)
                } else {
                    self.checkout(customer, cart)
                };
                Reply {
                    delay: self.checkout_answer_delay,
                    ..reply
                }
            }
            ("GET", ["orders"]) => {
                let lag = self.order_list_lag;
                let items: Vec<Order> = self
                    .orders
                    .iter()
                    .filter(|stored| stored.customer == customer)
                    .filter(|stored| stored.made_at.elapsed() >= lag)
                    .map(|stored| priced(stored.order.clone(), include_price))
                    .collect();
                self.page(request, items)
            }
            ("GET", ["orders", order]) => match self.poll_order(&customer, order) {
                Some(order) => Reply::json(200, &priced(order, include_price)),
                None => order_not_found(order),
            },
            ("GET", ["orders", order, "provisioningstatus"]) => {
                if let Some(refusal) = super::token::app_only_refusal(token) {
                    return refusal;
                }
                match self.find_order(&customer, order) {
                    Some(stored) => {
                        let items = provisioning_status(&stored.order);
                        self.page(request, items)
                    }
                    None => order_not_found(order),
                }
            }
            ("GET", ["products", ..]) => self.catalog_route(request, rest),
            _ => not_found("The requested resource does not exist."),
        }
    }

    /// Answers the catalog's endpoints.
    fn catalog_route(&mut self, request: &RecordedRequest, rest: &[&str]) -> Reply {
        let segment = query_value(&request.path, "targetSegment");
        if let Some(segment) = &segment
            && !["commercial", "education", "government", "nonprofit"]
                .iter()
                .any(|known| known.eq_ignore_ascii_case(segment))
        {
            return bad_input(&format!("The target segment {segment:?} is not valid."));
        }
        let segment = segment.as_deref();
        let catalog = &self.catalog;
        match rest {
            ["products"] => {
                let Some(view) = query_value(&request.path, "targetView") else {
                    return bad_input("The targetView query parameter is required.");
                };
                if !TARGET_VIEWS
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(&view))
                {
                    return bad_input(&format!("The target view {view:?} is not valid."));
                }
                let products = catalog.products(&view, segment);
                self.page(request, products)
            }
            ["products", product] => match catalog.product(product) {
                Some(product) => Reply::json(200, &product),
                None => catalog_not_found("product", product),
            },
            ["products", product, "skus"] => match catalog.skus(product, segment) {
                Some(skus) => self.page(request, skus),
                None => catalog_not_found("product", product),
            },
            ["products", product, "skus", sku] => match catalog.sku(product, sku) {
                Some(sku) => Reply::json(200, &sku),
                None => catalog_not_found("SKU", sku),
            },
            ["products", product, "skus", sku, "availabilities"] => {
                match catalog.availabilities(product, sku, segment) {
                    Some(availabilities) => self.page(request, availabilities),
                    None => catalog_not_found("SKU", sku),
                }
            }
            [
                "products",
                product,
                "skus",
                sku,
                "availabilities",
                availability,
            ] => match catalog.availability(product, sku, availability) {
                Some(availability) => Reply::json(200, &availability),
                None => Reply::fault(
                    404,
                    super::catalog::AVAILABILITY_NOT_FOUND,
                    &format!("Availability {availability} was not found."),
                ),
            },
            _ => not_found("The requested resource does not exist."),
        }
    }

    /// Serves one page of a collection: the first, or the one a
    /// `MS-ContinuationToken` from an earlier page's next link points to.
    /// More items give a next link whose header carries a new token.
    fn page<T: Serialize>(&mut self, request: &RecordedRequest, items: Vec<T>) -> Reply {
        let start = match request.header("ms-continuationtoken") {
            None => 0,
            Some(token) => match self.continuations.get(token) {
                Some((path, start)) if *path == request.path => *start,
                _ => return bad_input("The continuation token is not valid for this request."),
            },
        };
        let total = items.len();
        let end = start.saturating_add(self.page_size.max(1)).min(total);
        let uri = request
            .path
            .strip_prefix("/v1")
            .unwrap_or(&request.path)
            .to_owned();
        let next = (end < total).then(|| {
            let token = opaque_id();
            self.continuations
                .insert(token.clone(), (request.path.clone(), end));
            Link {
                uri: uri.as_str().into(),
                method: Some("GET".into()),
                headers: vec![LinkHeader {
                    key: "MS-ContinuationToken".to_owned(),
                    value: token,
                }],
            }
        });
        let page = Collection {
            total_count: Some(total as i64),
            items: items
                .into_iter()
                .skip(start)
                .take(end.saturating_sub(start))
                .collect(),
            links: Some(CollectionLinks {
                self_link: Some(link(uri)),
                next,
                previous: None,
            }),
            attributes: Some(object_type("Collection")),
        };
        Reply::json(200, &page)
    }

    fn stored_cart(&mut self, customer: &str, cart: &str) -> Option<&mut StoredCart> {
        self.carts.get_mut(&cart_key(customer, cart)?)
    }

    /// Creates a cart, or returns the one created before with the same
    /// `MS-RequestId`: the service deduplicates creation by request ID.
    fn create_cart(&mut self, customer: String, request: &RecordedRequest) -> Reply {
        let request_id = request
            .header("ms-requestid")
            .map(|id| (customer.clone(), id.to_ascii_lowercase()));
        if let Some(cart) = request_id.as_ref().and_then(|key| self.created.get(key)) {
            return Reply::json(201, cart);
        }
        let mut cart: Cart = match from_body(&request.body) {
            Ok(cart) => cart,
            Err(error) => return bad_input(&format!("The cart could not be read: {error}")),
        };
        if let Err(problem) = self.accept_line_items(&customer, &mut cart.line_items) {
            return bad_input(&problem);
        }
        let id = CartId::from(Uuid::new_v4());
        let now = SystemTime::now();
        cart.id = Some(id);
        cart.creation_timestamp = Some(timestamp(now));
        cart.last_modified_timestamp = cart.creation_timestamp.clone();
        cart.expiration_timestamp = Some(timestamp(now + CART_LIFETIME));
        cart.last_modified_user = Some(Uuid::new_v4().to_string());
        cart.status = Some(CartStatus::Active);
        cart.links = Some(CartLinks {
            self_link: Some(link(format!("/customers/{customer}/carts/{id}"))),
        });
        cart.attributes = Some(object_type("Cart"));
        self.carts.insert(
            (customer, id),
            StoredCart {
                cart: cart.clone(),
                checkout: None,
            },
        );
        if let Some(key) = request_id {
            self.created.insert(key, cart.clone());
        }
        if self.lost_create_answers > 0 {
            // The cart is made; only its answer is lost on the way.
            self.lost_create_answers -= 1;
            return Reply::drop_connection();
        }
        Reply::json(201, &cart)
    }

    fn update_cart(&mut self, customer: String, cart_id: &str, body: &[u8]) -> Reply {
        let mut update: Cart = match from_body(body) {
            Ok(cart) => cart,
            Err(error) => return bad_input(&format!("The cart could not be read: {error}")),
        };
        if let Err(problem) = self.accept_line_items(&customer, &mut update.line_items) {
            return bad_input(&problem);
        }
        let Some(stored) = self.stored_cart(&customer, cart_id) else {
            return cart_not_found(cart_id);
        };
        if stored.checkout.is_some() {
            return Reply::fault(400, 800_065, "This cart has already been checked out.");
        }
        // The update replaces the cart's contents, the fields this fake does
        // not model included, and keeps them for later reads.
        stored.cart.line_items = update.line_items;
        stored.cart.extra = update.extra;
        stored.cart.last_modified_timestamp = Some(timestamp(SystemTime::now()));
        if update.partner_on_record_attestation_accepted.is_some() {
            stored.cart.partner_on_record_attestation_accepted =
                update.partner_on_record_attestation_accepted;
        }
        Reply::json(201, &stored.cart)
    }

    /// Checks line items and fills in what the service fills in: currency,
    /// order groups, and the errors the tests asked for. Line item IDs must
    /// be unique across the cart, add-ons included, as the service requires.
    fn accept_line_items(&self, customer: &str, items: &mut [CartLineItem]) -> Result<(), String> {
        if items.is_empty() {
            return Err("The cart must have at least one line item.".into());
        }
        let mut seen = HashSet::new();
        let mut groups: Vec<String> = Vec::new();
        for item in items.iter_mut() {
            let key = item
                .billing_cycle
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let group = match groups.iter().position(|existing| *existing == key) {
                Some(position) => position,
                None => {
                    groups.push(key);
                    groups.len() - 1
                }
            };
            self.accept_line_item(item, &group.to_string(), &mut seen)?;
        }
        self.place_new_commerce_addons(customer, items);
        Ok(())
    }

    /// Puts each new-commerce add-on in its base's order group, or in error
    /// with 400041 when its base is neither a top-level line item of the
    /// cart nor bought by the customer before. An add-on in `addonItems`
    /// has no top-level base: that form is for traditional offers only.
    fn place_new_commerce_addons(&self, customer: &str, items: &mut [CartLineItem]) {
        for index in 0..items.len() {
            let Some(prerequisites) = self.catalog.addon_prerequisites(&items[index]) else {
                continue;
            };
            let base = items
                .iter()
                .position(|item| is_one_of(&item.catalog_item_id, &prerequisites));
            match base {
                Some(base) => items[index].order_group = items[base].order_group.clone(),
                None if self.owns_one_of(customer, &prerequisites) => {}
                None => {
                    items[index].error.get_or_insert_with(addon_without_base);
                }
            }
        }
        for item in items.iter_mut() {
            for addon in &mut item.addon_items {
                if self.catalog.addon_prerequisites(addon).is_some() {
                    addon.error.get_or_insert_with(addon_without_base);
                }
            }
        }
    }

    /// Whether the customer bought one of these products and SKUs before,
    /// in an order that was not cancelled.
    fn owns_one_of(&self, customer: &str, prerequisites: &[String]) -> bool {
        self.orders
            .iter()
            .filter(|stored| stored.customer == customer && !stored.order.is_cancelled())
            .flat_map(|stored| &stored.order.line_items)
            .filter_map(|line| line.offer_id.as_deref())
            .any(|offer| is_one_of(offer, prerequisites))
    }

    /// Checks one line item and its add-ons, which join its order group.
    fn accept_line_item(
        &self,
        item: &mut CartLineItem,
        group: &str,
        seen: &mut HashSet<i64>,
    ) -> Result<(), String> {
        if !seen.insert(item.id) {
            return Err(format!(
                "Line item id {} appears more than once in the cart; line item ids must be unique.",
                item.id
            ));
        }
        if item.catalog_item_id.trim().is_empty()
            || item.quantity < 1
            || item.billing_cycle.is_none()
        {
            return Err(format!(
                "Line item {} needs a catalogItemId, a quantity of at least 1 and a billingCycle.",
                item.id
            ));
        }
        item.currency_code.get_or_insert_with(|| "USD".to_owned());
        item.order_group = Some(group.to_owned());
        item.error = self
            .line_item_errors
            .get(&item.catalog_item_id)
            .cloned()
            .or_else(|| self.catalog.check(item));
        for addon in &mut item.addon_items {
            self.accept_line_item(addon, group, seen)?;
        }
        Ok(())
    }

    fn checkout(&mut self, customer: String, cart_id: &str) -> Reply {
        let order_errors = self.order_errors.clone();
        let (polls_until_complete, cancelled_items) =
            (self.polls_until_complete, self.cancelled_items.clone());
        let success_faults = self.success_faults.clone();
        let refuse_repeats = self.refuse_repeated_checkouts;
        // The cart and the catalog, borrowed apart.
        let catalog = &self.catalog;
        let Some(stored) = cart_key(&customer, cart_id).and_then(|key| self.carts.get_mut(&key))
        else {
            return cart_not_found(cart_id);
        };
        // Checkout is idempotent per cart: a repeat replays the first result,
        // where older versions of the service refused it.
        if let Some(result) = &stored.checkout {
            if refuse_repeats {
                return Reply::fault(400, 800_065, "This cart has already been checked out.");
            }
            return Reply::json(201, result);
        }
        if stored.cart.has_errors() {
            return Reply::fault(400, 800_009, "One or more cart items are in error.");
        }
        if let Some((code, description)) = stored
            .cart
            .line_items
            .iter()
            .find_map(|item| success_faults.get(&item.catalog_item_id))
        {
            return Reply::fault(200, *code, description);
        }
        let lines = with_addons(&stored.cart.line_items);
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, (item, _)) in lines.iter().enumerate() {
            groups
                .entry(item.order_group.clone().unwrap_or_default())
                .or_default()
                .push(index);
        }
        let mut result = CartCheckoutResult {
            attributes: Some(object_type("CartCheckoutResult")),
            ..CartCheckoutResult::default()
        };
        let mut made = Vec::new();
        for (group, members) in groups {
            let items: Vec<&CartLineItem> = members.iter().map(|&index| lines[index].0).collect();
            if let Some((code, description)) = items
                .iter()
                .find_map(|item| order_errors.get(&item.catalog_item_id))
            {
                result.order_errors.push(OrderError {
                    order_group_id: Some(group),
                    code: Some(FaultCode::Number(*code)),
                    description: Some(description.clone()),
                    attributes: Some(object_type("OrderError")),
                });
                continue;
            }
            let bases = order_bases(catalog, &lines, &members);
            let mut order = new_order(&customer, &items);
            if polls_until_complete == 0 {
                settle(&mut order, &bases, &cancelled_items);
            }
            result.orders.push(order.clone());
            made.push((order, bases));
        }
        stored.cart.status = Some(CartStatus::Ordered);
        stored.checkout = Some(result.clone());
        self.orders
            .extend(made.into_iter().map(|(order, bases)| StoredOrder {
                customer: customer.clone(),
                order,
                bases,
                polls: 0,
                made_at: Instant::now(),
            }));
        let reply = Reply::json(201, &result);
        if self.cut_checkout_answers == 0 {
            return reply;
        }
        // The checkout happened; only its answer is lost on the way.
        self.cut_checkout_answers -= 1;
        match reply.body {
            super::Body::Bytes(mut bytes) => {
                bytes.truncate(bytes.len() / 2);
                Reply::status(201).body(bytes)
            }
            super::Body::Repeated { .. } => Reply::status(201),
        }
    }

    /// A checkout that takes effect (orders made, cart ordered) while the
    /// answer is 409 "in progress": 800060 the first time for a cart, 800064
    /// ("being processed by another request") for its repeats. Checking the
    /// cart out again once the count has run out returns the result. A
    /// checkout that fails is answered as ever.
    fn checkout_in_progress(&mut self, customer: String, cart_id: &str) -> Reply {
        let key = cart_key(&customer, cart_id);
        let reply = self.checkout(customer, cart_id);
        if reply.status != 201 {
            return reply;
        }
        let repeated = key.is_some_and(|key| !self.carts_in_progress.insert(key));
        if repeated {
            Reply::fault(
                409,
                800_064,
                &format!("Cart {cart_id} is being processed by another request."),
            )
        } else {
            Reply::fault(
                409,
                800_060,
                "Your order is in progress. Check your order history for recent orders in few minutes.",
            )
        }
    }

    fn find_order(&self, customer: &str, order_id: &str) -> Option<&StoredOrder> {
        self.orders
            .iter()
            .find(|stored| stored.customer == customer && stored.order.id.as_str() == order_id)
    }

    /// Reads an order; a pending one completes after enough reads.
    fn poll_order(&mut self, customer: &str, order_id: &str) -> Option<Order> {
        let polls_until_complete = self.polls_until_complete;
        let stored = self
            .orders
            .iter_mut()
            .find(|stored| stored.customer == customer && stored.order.id.as_str() == order_id)?;
        stored.polls = stored.polls.saturating_add(1);
        if stored.polls >= polls_until_complete {
            settle(&mut stored.order, &stored.bases, &self.cancelled_items);
        }
        Some(stored.order.clone())
    }
}

/// The key of a customer's cart in the store, when `cart` is a cart ID.
fn cart_key(customer: &str, cart: &str) -> Option<(String, CartId)> {
    let cart_id = Uuid::try_parse(cart).ok()?.into();
    Some((customer.to_owned(), cart_id))
}

/// Ends a pending order: completed with a subscription per line, each
/// add-on under its base's, or cancelled when it holds a catalog item in
/// `cancelled_items`.
fn settle(order: &mut Order, bases: &[Option<usize>], cancelled_items: &HashSet<String>) {
    if order.status != Some(OrderStatus::Pending) {
        return;
    }
    let cancelled = order.line_items.iter().any(|item| {
        item.offer_id
            .as_deref()
            .is_some_and(|offer| cancelled_items.contains(offer))
    });
    if cancelled {
        order.status = Some(OrderStatus::Cancelled);
        return;
    }
    order.status = Some(OrderStatus::Completed);
    let customer = order.reference_customer_id.clone().unwrap_or_default();
    for item in &mut order.line_items {
        let subscription = Uuid::new_v4().to_string();
        item.links.subscription = Some(link(format!(
            "/customers/{customer}/subscriptions/{subscription}"
        )));
        item.subscription_id = Some(subscription);
    }
    for (line, base) in bases.iter().enumerate() {
        let parent = base.and_then(|base| order.line_items.get(base)?.subscription_id.clone());
        if let (Some(parent), Some(item)) = (parent, order.line_items.get_mut(line)) {
            item.parent_subscription_id = Some(parent);
        }
    }
}

/// Line items and their add-ons, each base item followed by its add-ons,
/// with the index in the list of the base of each add-on in `addonItems`.
fn with_addons(items: &[CartLineItem]) -> Vec<(&CartLineItem, Option<usize>)> {
    fn walk<'a>(
        items: &'a [CartLineItem],
        base: Option<usize>,
        all: &mut Vec<(&'a CartLineItem, Option<usize>)>,
    ) {
        for item in items {
            let index = all.len();
            all.push((item, base));
            walk(&item.addon_items, Some(index), all);
        }
    }
    let mut all = Vec::new();
    walk(items, None, &mut all);
    all
}

/// For each line of an order (`members`, indices in `lines`), the line of
/// its base: the item it is in `addonItems` of, or for a new-commerce
/// add-on, the first line before it of a product and SKU it works with.
fn order_bases(
    catalog: &Catalog,
    lines: &[(&CartLineItem, Option<usize>)],
    members: &[usize],
) -> Vec<Option<usize>> {
    members
        .iter()
        .enumerate()
        .map(|(position, &index)| {
            let (item, nested_under) = lines[index];
            let base = nested_under.or_else(|| {
                let prerequisites = catalog.addon_prerequisites(item)?;
                members[..position]
                    .iter()
                    .copied()
                    .find(|&other| is_one_of(&lines[other].0.catalog_item_id, &prerequisites))
            })?;
            members.iter().position(|&member| member == base)
        })
        .collect()
}

/// Whether a catalog item (`product:sku:availability`) is of one of these
/// products and SKUs (`product:sku`).
fn is_one_of(catalog_item_id: &str, product_skus: &[String]) -> bool {
    product_skus.iter().any(|product_sku| {
        catalog_item_id
            .get(..product_sku.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(product_sku))
            && catalog_item_id[product_sku.len()..].starts_with(':')
    })
}

/// The line error of a new-commerce add-on whose base is missing.
fn addon_without_base() -> CartError {
    CartError::new(
        CartErrorCode::Other(FaultCode::Number(ADDON_WITHOUT_BASE)),
        "The add-on needs its base offer: put the base in the same cart as a line item of its own, \
         or buy the add-on for a customer who has the base.",
    )
}

/// The service's answer to a POST or PUT that does not say its body is
/// JSON: 415, whether or not there is a body (the body-less checkout too).
pub(super) fn refuse_media_type(request: &RecordedRequest) -> Option<Reply> {
    if !matches!(request.method.as_str(), "POST" | "PUT") {
        return None;
    }
    let json = request.header("content-type").is_some_and(|value| {
        value
            .split(';')
            .next()
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
    });
    (!json).then(|| {
        Reply::fault(
            415,
            0,
            "The request entity's media type is not supported; send Content-Type: application/json.",
        )
    })
}

/// The made-up price of one unit of anything the fake sells.
const UNIT_PRICE: f64 = 12.5;

/// An order as read: with its pre-tax total only when `include_price` asked
/// for it, as the service does.
fn priced(mut order: Order, include_price: bool) -> Order {
    order.total_price = include_price.then(|| {
        order
            .line_items
            .iter()
            .map(|item| item.quantity as f64 * UNIT_PRICE)
            .sum()
    });
    order
}

fn new_order(customer: &str, items: &[&CartLineItem]) -> Order {
    let id = OrderId::new_unchecked(opaque_id());
    let first = items.first();
    Order {
        alternate_id: Some(
            id.as_str()
                .chars()
                .take(12)
                .collect::<String>()
                .to_ascii_lowercase(),
        ),
        reference_customer_id: Some(customer.to_owned()),
        billing_cycle: first.and_then(|item| item.billing_cycle.clone()),
        transaction_type: Some(OrderTransactionType::UserPurchase),
        line_items: items
            .iter()
            .enumerate()
            .map(|(number, item)| order_line(number, item))
            .collect(),
        currency_code: first.and_then(|item| item.currency_code.clone()),
        currency_symbol: Some("$".into()),
        creation_date: Some(timestamp(SystemTime::now())),
        status: Some(OrderStatus::Pending),
        links: OrderLinks {
            self_link: Some(link(format!("/customers/{customer}/orders/{id}"))),
            provisioning_status: Some(link(format!(
                "/customers/{customer}/orders/{id}/provisioningstatus"
            ))),
            ..OrderLinks::default()
        },
        attributes: Some(object_type("Order")),
        id,
        ..Order::default()
    }
}

/// The order line a cart line becomes, with every field the documentation's
/// examples show: links to what was bought, the partners on record, the
/// provisioning context (`{}` when empty) and pre-tax prices. An add-on to
/// a subscription the customer has names it as its parent.
fn order_line(number: usize, item: &CartLineItem) -> OrderLineItem {
    let partners = |kind: ParticipantType| {
        item.participants
            .iter()
            .filter(move |participant| participant.key == kind)
            .map(|participant| participant.value.clone())
    };
    let catalog_link = |parts: usize| {
        let ids: Vec<&str> = item.catalog_item_id.split(':').collect();
        let path = match ids.get(..parts)? {
            [product] => format!("/products/{product}"),
            [product, sku] => format!("/products/{product}/skus/{sku}"),
            [product, sku, availability] => {
                format!("/products/{product}/skus/{sku}/availabilities/{availability}")
            }
            _ => return None,
        };
        Some(link(format!("{path}?country=US")))
    };
    OrderLineItem {
        line_item_number: number as i64,
        offer_id: Some(item.catalog_item_id.clone()),
        parent_subscription_id: item
            .provisioning_context
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("ParentSubscriptionId"))
            .map(|(_, value)| value.clone()),
        friendly_name: item.friendly_name.clone(),
        quantity: item.quantity,
        term_duration: item.term_duration.clone(),
        transaction_type: Some(LineItemTransactionType::New),
        partner_id_on_record: partners(ParticipantType::TransactionReseller).next(),
        additional_partner_ids_on_record: partners(ParticipantType::AdditionalTransactionReseller)
            .collect(),
        provisioning_context: item.provisioning_context.clone(),
        renews_to: item.renews_to.clone(),
        attestation_accepted: item.attestation_accepted,
        promotion_id: item.promotion_id.clone(),
        custom_term_end_date: item.custom_term_end_date.clone(),
        pricing: Some(Pricing {
            list_price: Some(UNIT_PRICE),
            discounted_price: Some(UNIT_PRICE),
            prorated_price: Some(UNIT_PRICE),
            price: Some(UNIT_PRICE),
            extended_price: Some(item.quantity as f64 * UNIT_PRICE),
        }),
        purchase_commitment: item.purchase_commitment.clone(),
        links: OrderLineItemLinks {
            product: catalog_link(1),
            sku: catalog_link(2),
            availability: catalog_link(3),
            ..OrderLineItemLinks::default()
        },
        ..OrderLineItem::default()
    }
}

fn provisioning_status(order: &Order) -> Vec<serde_json::Value> {
    let status = match order.status {
        Some(OrderStatus::Completed) => "fulfilled",
        Some(OrderStatus::Cancelled) => "unfulfilled",
        _ => "PrefulfillmentPending",
    };
    order
        .line_items
        .iter()
        .map(|item| {
            serde_json::json!({
                "orderLineItemId": item.line_item_number,
                "lineItemNumber": item.line_item_number,
                "status": status,
                "quantityProvisioningInformation": [{"quantity": item.quantity, "status": status}],
            })
        })
        .collect()
}

/// The views the catalog documents.
const TARGET_VIEWS: &[&str] = &[
    "Azure",
    "AzureReservations",
    "AzureReservationsVM",
    "AzureReservationsSQL",
    "AzureReservationsCosmosDb",
    "MicrosoftAzure",
    "OnlineServices",
    "Software",
    "SoftwareSUSELinux",
    "SoftwarePerpetual",
    "SoftwareSubscriptions",
    "SpecializedOffers",
    "MarketplaceSaaS",
];

/// A query parameter's value, percent-decoded; names compare ignoring case.
fn query_value(path: &str, name: &str) -> Option<String> {
    let query = path.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        key.eq_ignore_ascii_case(name)
            .then(|| percent_decode(value))
    })
}

/// A query value decoded as a form does it: `+` is a space, `%XX` a byte.
fn percent_decode(text: &str) -> String {
    // An encoded plus (`%2B`) has no `+` in it, so it stays a plus.
    percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn catalog_not_found(kind: &str, id: &str) -> Reply {
    Reply::fault(404, 0, &format!("The {kind} {id} was not found."))
}

fn link(uri: String) -> Link {
    Link {
        uri,
        method: Some("GET".into()),
        headers: Vec::new(),
    }
}

fn object_type(name: &str) -> Attributes {
    Attributes {
        etag: None,
        object_type: Some(name.to_owned()),
    }
}

fn bad_input(description: &str) -> Reply {
    Reply::fault(400, 800_002, description)
}

fn not_found(description: &str) -> Reply {
    Reply::fault(404, 0, description)
}

fn cart_not_found(cart: &str) -> Reply {
    Reply::fault(
        404,
        800_008,
        &format!("The cart id {cart} could not be found."),
    )
}

fn order_not_found(order: &str) -> Reply {
    Reply::fault(
        404,
        800_007,
        &format!("The order {order} could not be found."),
    )
}

/// An opaque order ID like the service's: 32 URL-safe base64 characters
/// and a trailing `1`.
fn opaque_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = Uuid::new_v4().as_u128() ^ (Uuid::new_v4().as_u128() << 64);
    let mut id = String::with_capacity(33);
    for _ in 0..21 {
        id.push(char::from(ALPHABET[(bits & 63) as usize]));
        bits >>= 6;
    }
    let mut more = Uuid::new_v4().as_u128();
    for _ in 21..32 {
        id.push(char::from(ALPHABET[(more & 63) as usize]));
        more >>= 6;
    }
    id.push('1');
    id
}

/// A timestamp the way the service writes them: `2021-08-18T17:29:52.3517492Z`.
fn timestamp(at: SystemTime) -> String {
    let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rest = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:07}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60,
        since_epoch.subsec_nanos() / 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_look_like_the_services() {
        let at = UNIX_EPOCH + Duration::new(1_629_307_792, 351_749_200);
        assert_eq!(timestamp(at), "2021-08-18T17:29:52.3517492Z");
    }

    #[test]
    fn order_ids_are_opaque_and_path_safe() {
        let id = opaque_id();
        assert_eq!(id.len(), 33);
        assert!(id.parse::<OrderId>().is_ok(), "{id}");
        assert!(Uuid::try_parse(&id).is_err());
    }
}
