//! A small command-line tool for the purchase flow: find what to buy, create
//! a cart, show it, check it out, follow its orders.
//!
//! ```text
//! export PARTNER_CENTER_TOKEN=eyJ...        # or --auth app|refresh|az, see below
//! cargo run --example checkout -- products <customer> [--view OnlineServices]
//! cargo run --example checkout -- skus <customer> <product>
//! cargo run --example checkout -- availabilities <customer> <product> <sku>
//! cargo run --example checkout -- create <customer> --offer CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P --quantity 5 --term P1M
//! cargo run --example checkout -- show <customer> <cart>
//! cargo run --example checkout -- checkout <customer> <cart> --wait
//! cargo run --example checkout -- order <customer> <order-id>
//! cargo run --example checkout -- wait <customer> <order-id>...
//! cargo run --example checkout -- orders <customer>
//! cargo run --example checkout -- doctor <customer>   # check the set-up; buys nothing
//! cargo run --example checkout -- <customer> <cart>              # same as `checkout`
//! ```
//!
//! To buy, use the `purchase` example: it keeps a journal, so that a run
//! again after a crash finishes the purchase rather than buying twice.
//!
//! Options go anywhere on the line. Every switch, the default of each, the
//! exit codes and what `doctor` checks are in examples/README.md, once;
//! `--help` prints the usage. The doctor is in `examples/support/doctor.rs`,
//! the choice of token provider in `examples/support/provider.rs`.

mod support;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use partner_center_cart::{
    BillingCycle,
    model::{Availability, CartStatus, Segment, TargetView},
};
use partner_center_cart::{
    CartCheckoutResult, CartLineItem, CheckoutOptions, Client, Error, NewCart, TokenProvider, Uuid,
    WaitOptions, model::Order,
};
use partner_center_cart::{CatalogOptions, CreateCartOptions, OrderOptions};
use support::doctor;
use support::provider::{ChosenAuth, SECRETS, USAGE as PROVIDER_USAGE, provider_from_args};

const USAGE: &str = "\
usage: checkout [options] products <customer> [--view VIEW]
       checkout [options] skus <customer> <product>
       checkout [options] availabilities <customer> <product> <sku>
       checkout [options] create <customer> --offer <ID> [--quantity N] [--billing CYCLE] [--term P1M]...
       checkout [options] create <customer> --product <ID> --sku <ID> [--quantity N] [--billing CYCLE] [--term P1Y]...
       checkout [options] show <customer> <cart>
       checkout [options] checkout <customer> <cart> [--wait]
       checkout [options] order <customer> <order-id>
       checkout [options] wait <customer> <order-id>...
       checkout [options] orders <customer>
       checkout [options] doctor <customer>
       checkout [options] <customer> <cart>
       checkout -h | --help
options: --json  --request-id <GUID>  --timeout <SECONDS>  --base-url <URL>  --segment <SEGMENT>";

/// The commands, as the first word of the command line.
const COMMANDS: [&str; 10] = [
    "products",
    "skus",
    "availabilities",
    "create",
    "show",
    "checkout",
    "order",
    "wait",
    "orders",
    "doctor",
];

/// What the command line asked for.
struct Options {
    command: String,
    operands: Vec<String>,
    items: Vec<CartLineItem>,
    /// Items given by product and SKU: their index in `items`, the product
    /// and the SKU, looked up before the cart is made.
    lookups: Vec<(usize, String, Option<String>)>,
    view: TargetView,
    segment: Option<Segment>,
    json: bool,
    wait: bool,
    timeout: Duration,
    request_id: Option<Uuid>,
    base_url: Option<String>,
}

/// How a run ended, for the exit code.
enum Outcome {
    Done,
    Partial,
    Failed,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        command: String::new(),
        operands: Vec::new(),
        items: Vec::new(),
        lookups: Vec::new(),
        view: TargetView::OnlineServices,
        segment: None,
        json: false,
        wait: false,
        timeout: Duration::from_secs(1800),
        request_id: None,
        base_url: std::env::var("PARTNER_CENTER_BASE_URL").ok(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--json" => options.json = true,
            "--wait" => options.wait = true,
            "--request-id" => {
                let text = value("--request-id")?;
                let id = Uuid::parse_str(&text)
                    .map_err(|_| format!("--request-id {text:?} is not a GUID"))?;
                options.request_id = Some(id);
            }
            "--timeout" => {
                let text = value("--timeout")?;
                let secs = text
                    .parse()
                    .map_err(|_| format!("--timeout {text:?} is not a number of seconds"))?;
                options.timeout = Duration::from_secs(secs);
            }
            "--base-url" => options.base_url = Some(value("--base-url")?),
            "--offer" => options.items.push(CartLineItem::new(
                value("--offer")?,
                1,
                BillingCycle::Monthly,
            )),
            "--product" => {
                let product = value("--product")?;
                options.lookups.push((options.items.len(), product, None));
                options
                    .items
                    .push(CartLineItem::new("", 1, BillingCycle::Monthly));
            }
            "--sku" => {
                let sku = value("--sku")?;
                let lookup = options
                    .lookups
                    .last_mut()
                    .filter(|(index, _, sku)| *index + 1 == options.items.len() && sku.is_none())
                    .ok_or("--sku must follow a --product")?;
                lookup.2 = Some(sku);
            }
            "--view" => {
                let view = value("--view")?;
                if view.eq_ignore_ascii_case("OnlineServicesNCE") {
                    return Err(
                        "there is no OnlineServicesNCE view: new commerce is in OnlineServices"
                            .into(),
                    );
                }
                options.view = TargetView::from_wire(&view);
            }
            "--segment" => options.segment = Some(Segment::from_wire(&value("--segment")?)),
            "--quantity" | "--billing" | "--term" => {
                let text = value(&arg)?;
                let item = options
                    .items
                    .last_mut()
                    .ok_or(format!("{arg} must follow an --offer or a --product"))?;
                match arg.as_str() {
                    "--quantity" => {
                        item.quantity = text
                            .parse()
                            .map_err(|_| format!("--quantity {text:?} is not a number"))?;
                    }
                    "--billing" => item.billing_cycle = Some(BillingCycle::from_wire(&text)),
                    _ => item.term_duration = Some(text),
                }
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ if options.command.is_empty() => options.command = arg,
            _ => options.operands.push(arg),
        }
    }
    // `checkout <customer> <cart>` may leave out the command: a customer ID
    // is a GUID, and any other word is a command this tool does not know.
    if options.command == "buy" {
        return Err("`buy` is gone: buy with the purchase example \
            (cargo run --example purchase -- <customer> <product>:<sku>=<quantity>), \
            which keeps a journal so that running it again never buys twice"
            .into());
    }
    if !options.command.is_empty() && !COMMANDS.contains(&options.command.as_str()) {
        if Uuid::try_parse(&options.command).is_err() {
            return Err(format!("unknown command {:?}", options.command));
        }
        options.operands.insert(
            0,
            std::mem::replace(&mut options.command, "checkout".into()),
        );
    }
    let wanted = match options.command.as_str() {
        "" => return Err("give a command".into()),
        "create" | "orders" | "products" | "doctor" => 1,
        "show" | "checkout" | "order" | "skus" => 2,
        "availabilities" => 3,
        _ => usize::MAX,
    };
    let count_ok = if wanted == usize::MAX {
        options.operands.len() >= 2
    } else {
        options.operands.len() == wanted
    };
    if !count_ok {
        return Err(format!("wrong number of IDs for {}", options.command));
    }
    if options.command == "create" && options.items.is_empty() {
        return Err("give at least one --offer or --product".into());
    }
    if let Some((_, product, _)) = options.lookups.iter().find(|(_, _, sku)| sku.is_none()) {
        return Err(format!("give the --sku of --product {product}"));
    }
    Ok(options)
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "-h" || arg == "--help") {
        println!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let parsed = provider_from_args(&mut args)
        .and_then(|auth| parse_args(args).map(|options| (auth, options)));
    let (auth, mut options) = match parsed {
        Ok(parsed) => parsed,
        Err(problem) => {
            eprintln!("error: {problem}\n{}", usage());
            return ExitCode::from(2);
        }
    };
    // Shared, so that the doctor can ask the client's own provider.
    let provider: Arc<dyn TokenProvider> = Arc::from(auth.provider);
    let mut builder = Client::builder(Arc::clone(&provider))
        .cloud(auth.cloud)
        .application_name("partner-center-cart checkout example");
    if let Some(url) = &options.base_url {
        builder = builder.base_url(url);
    }
    let auth = ChosenAuth {
        provider: Box::new(provider),
        ..auth
    };
    let result = builder.build().and_then(|client| {
        if options.command == "doctor" {
            return Ok(run_doctor(&client, &auth, &options.operands[0]));
        }
        look_up_items(&client, &mut options)?;
        run(&client, &options)
    });
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(3),
        Ok(Outcome::Failed) => ExitCode::FAILURE,
        Err(error) => {
            report(&error, &options);
            match error {
                Error::InvalidId { .. }
                | Error::InvalidConfig(_)
                | Error::TermNotOffered { .. } => ExitCode::from(2),
                Error::CartHasErrors { .. } | Error::WaitTimedOut { .. } => ExitCode::from(3),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

/// The usage text, with the ways to get a token.
fn usage() -> String {
    format!("{USAGE}\nauth:    {PROVIDER_USAGE}\n{SECRETS}")
}

/// The first term an availability offers on a billing cycle, for an item
/// given without `--term`; `""` when it offers none, which `line_item`
/// then refuses, listing what it does offer.
fn first_term(availability: &Availability, billing_cycle: &BillingCycle) -> String {
    availability
        .offered_terms()
        .into_iter()
        .find(|offered| &offered.billing_cycle == billing_cycle)
        .and_then(|offered| offered.term_duration)
        .unwrap_or_default()
}

/// Turns the items given by product and SKU into line items: the
/// purchasable availability in the segment, on the term and billing cycle
/// asked for.
fn look_up_items(client: &Client, options: &mut Options) -> Result<(), Error> {
    let customer = options.operands.first().cloned().unwrap_or_default();
    let segment = options.segment.clone().unwrap_or(Segment::Commercial);
    for (index, product, sku) in &options.lookups {
        let asked = &options.items[*index];
        let availability = client.availability_to_buy(
            customer.as_str(),
            product,
            sku.as_deref().unwrap_or_default(),
            &segment,
        )?;
        let billing_cycle = asked.billing_cycle.clone().unwrap_or(BillingCycle::Monthly);
        let term = match &asked.term_duration {
            Some(term) => term.clone(),
            None => first_term(&availability, &billing_cycle),
        };
        let item = availability.line_item(asked.quantity, &term, billing_cycle)?;
        eprintln!(
            "{product} SKU {} -> {}",
            sku.as_deref().unwrap_or_default(),
            support::clean(&item.catalog_item_id)
        );
        options.items[*index] = item;
    }
    options.lookups.clear();
    Ok(())
}

fn run(client: &Client, options: &Options) -> Result<Outcome, Error> {
    let customer = options.operands[0].as_str();
    let request_id = options.request_id.unwrap_or_else(Uuid::new_v4);
    let filter = match &options.segment {
        Some(segment) => CatalogOptions::new().segment(segment.clone()),
        None => CatalogOptions::new(),
    };
    match options.command.as_str() {
        "products" => {
            let products = client.list_products(customer, options.view.clone(), &filter)?;
            print(options, &products, || support::print_products(&products));
            Ok(Outcome::Done)
        }
        "skus" => {
            let skus = client.list_skus(customer, &options.operands[1], &filter)?;
            print(options, &skus, || support::print_skus(&skus));
            Ok(Outcome::Done)
        }
        "availabilities" => {
            let availabilities = client.list_availabilities(
                customer,
                &options.operands[1],
                &options.operands[2],
                &filter,
            )?;
            print(options, &availabilities, || {
                support::print_availabilities(&availabilities)
            });
            Ok(Outcome::Done)
        }
        "create" => {
            let cart = client.create_cart(
                customer,
                &new_cart(options),
                &CreateCartOptions::new().request_id(request_id),
            )?;
            print(options, &cart, || support::print_cart(&cart));
            Ok(if cart.has_errors() {
                Outcome::Partial
            } else {
                Outcome::Done
            })
        }
        "show" => {
            let cart = client.get_cart(customer, options.operands[1].as_str())?;
            print(options, &cart, || support::print_cart(&cart));
            Ok(if cart.has_errors() {
                Outcome::Partial
            } else {
                Outcome::Done
            })
        }
        "checkout" => {
            // A cart checked out before is not bought again: the service
            // answers with the first checkout's result. Only a note: when
            // the cart cannot be read, the checkout says why.
            let cart = client.get_cart(customer, options.operands[1].as_str());
            if cart.is_ok_and(|cart| cart.status == Some(CartStatus::Ordered)) {
                eprintln!(
                    "cart {} was checked out before: Partner Center replays the first \
                     checkout's result below, and buys nothing again",
                    support::clean(&options.operands[1])
                );
            }
            let result = client.checkout_with(
                customer,
                options.operands[1].as_str(),
                &CheckoutOptions::new().request_id(request_id),
            )?;
            finish_checkout(client, options, customer, result)
        }
        "orders" => {
            let orders = client.list_orders(customer, &OrderOptions::new())?;
            print(options, &orders, || support::print_orders(&orders));
            Ok(Outcome::Done)
        }
        "order" => {
            let order =
                client.get_order(customer, options.operands[1].as_str(), &OrderOptions::new())?;
            print(options, &order, || {
                support::print_orders(std::slice::from_ref(&order))
            });
            Ok(Outcome::Done)
        }
        _ => {
            // `wait`: follow orders by ID, whatever made them.
            let mut result = CartCheckoutResult::default();
            for id in &options.operands[1..] {
                result.orders.push(client.get_order(
                    customer,
                    id.as_str(),
                    &OrderOptions::new(),
                )?);
            }
            let orders = client.wait_for_orders(customer, &result, wait_options(options))?;
            print(options, &orders, || support::print_orders(&orders));
            Ok(Outcome::Done)
        }
    }
}

/// Checks the set-up; buys nothing.
fn run_doctor(client: &Client, auth: &ChosenAuth, customer: &str) -> Outcome {
    let setup = doctor::Setup {
        provider: auth.provider.as_ref(),
        provider_description: &auth.description,
        cloud: auth.cloud,
        expected_tenant: auth.tenant.as_deref(),
        client,
        customer,
    };
    let lines = doctor::examine(&setup);
    if doctor::report(&setup, &lines) {
        Outcome::Done
    } else {
        Outcome::Failed
    }
}

fn finish_checkout(
    client: &Client,
    options: &Options,
    customer: &str,
    result: CartCheckoutResult,
) -> Result<Outcome, Error> {
    let partial = result.is_partial_failure();
    let mut result = result;
    if options.wait {
        announce_orders(&result);
        let orders: Vec<Order> =
            client.wait_for_orders(customer, &result, wait_options(options))?;
        result.orders = orders;
    }
    print(options, &result, || support::print_checkout(&result));
    if partial {
        eprintln!(
            "\n{} order group(s) failed; the orders above stand.",
            result.order_errors.len()
        );
        return Ok(Outcome::Partial);
    }
    Ok(Outcome::Done)
}

/// Names the orders a checkout made on standard error, before a wait that
/// may take minutes, so that their IDs are known (for `order` or `wait`)
/// whatever happens to the wait.
fn announce_orders(result: &CartCheckoutResult) {
    eprintln!("Checked out: {} order(s).", result.orders.len());
    for order in &result.orders {
        let status = order
            .status
            .as_ref()
            .map_or_else(|| "-".to_owned(), ToString::to_string);
        eprintln!(
            "  order {}  status {}",
            support::clean(order.id.as_ref()),
            support::clean(&status)
        );
    }
}

fn new_cart(options: &Options) -> NewCart {
    options
        .items
        .iter()
        .cloned()
        .fold(NewCart::new(), NewCart::line_item)
        .partner_on_record_attestation_accepted(true)
}

/// How long to wait, with progress on standard error (under `--json` too,
/// as standard output holds only the JSON).
fn wait_options(options: &Options) -> WaitOptions {
    WaitOptions::default()
        .timeout(options.timeout)
        .on_progress(|progress| {
            eprintln!(
                "{} of {} order(s) pending; checking again in {:.0?}",
                progress.pending.len(),
                progress.total,
                progress.next_check_in
            );
        })
}

/// Prints `value` as JSON, or as tables with `tables`.
fn print(options: &Options, value: &impl serde::Serialize, tables: impl FnOnce()) {
    if !options.json {
        tables();
        return;
    }
    match serde_json::to_string_pretty(value) {
        Ok(json) => println!("{json}"),
        Err(error) => eprintln!("error: could not write JSON: {error}"),
    }
}

fn report(error: &Error, options: &Options) {
    eprintln!("error: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
    if let Error::WaitTimedOut { orders, .. } = error {
        print(options, orders, || support::print_orders(orders));
    }
    let Some(request_id) = error.request_id() else {
        return;
    };
    eprintln!();
    eprintln!("Request ID: {request_id}");
    if let Some(correlation_id) = error.correlation_id() {
        eprintln!("Correlation ID: {correlation_id}");
    }
    // Only where repeating may help: a 404 or a refused cart stays refused.
    if matches!(options.command.as_str(), "checkout" | "create") && error.should_repeat() {
        eprintln!(
            "To retry safely with the same request ID (Partner Center will not act twice), run:"
        );
        let mut line: Vec<String> = vec![
            "cargo run --example checkout --".into(),
            options.command.clone(),
        ];
        line.extend(options.operands.iter().cloned());
        for item in &options.items {
            // A catalog item ID looked up by product and SKU came from the server.
            line.push(format!(
                "--offer {} --quantity {}",
                support::clean(&item.catalog_item_id),
                item.quantity
            ));
            if let Some(cycle) = &item.billing_cycle {
                line.push(format!("--billing {cycle}"));
            }
            if let Some(term) = &item.term_duration {
                line.push(format!("--term {term}"));
            }
        }
        line.push(format!("--request-id {request_id}"));
        eprintln!("  {}", line.join(" "));
    }
}
