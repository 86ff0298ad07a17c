//! The checkout example's `doctor`, line by line, against the fake Partner
//! Center and a fake token endpoint, with tokens minted for each fault; and
//! what the client tells it: the server's clock, the proxy, the TLS stack.

use crate::common;
#[path = "../../../examples/support/mod.rs"]
mod support;
use crate::common::token_endpoint;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::{CUSTOMER, fast_retries, start};
use partner_center_cart::BillingCycle;
use partner_center_cart::auth::ClientCredentialsProvider;
use partner_center_cart::fake::{FAKE_TENANT_ID, FakePartnerCenter, FakeToken, Reply};
use partner_center_cart::{
    CartLineItem, Client, Cloud, NewCart, Proxy, TokenProvider, model::Order,
};
use partner_center_cart::{CreateCartOptions, OrderOptions};
use support::doctor::{Line, Mark, Setup, examine, report};
use token_endpoint::{Answer, FakeTokenEndpoint};

const OTHER_TENANT: &str = "9f0b3a52-1c1d-4e0e-8a5b-2d7c0e4b6f10";

/// How one run of the doctor is set up.
struct Case {
    provider: Arc<dyn TokenProvider>,
    cloud: Cloud,
    tenant: Option<&'static str>,
    customer: &'static str,
    proxy: Proxy,
    base_url: Option<String>,
}

impl Case {
    fn token(token: String) -> Self {
        Case::provider(Arc::new(move || Ok::<_, std::io::Error>(token.clone())))
    }

    fn provider(provider: Arc<dyn TokenProvider>) -> Self {
        Case {
            provider,
            cloud: Cloud::Global,
            tenant: Some(FAKE_TENANT_ID),
            customer: CUSTOMER,
            proxy: Proxy::from_environment(),
            base_url: None,
        }
    }

    fn run(&self, fake: &FakePartnerCenter) -> Vec<Line> {
        let client = self.client(fake);
        let setup = self.setup(&client);
        let lines = examine(&setup);
        assert_eq!(lines.len(), 8, "{lines:#?}");
        lines
    }

    fn client(&self, fake: &FakePartnerCenter) -> Client {
        Client::builder(Arc::clone(&self.provider))
            .base_url(self.base_url.as_deref().unwrap_or(fake.base_url()))
            .retry_policy(fast_retries().max_attempts(2))
            .proxy(self.proxy.clone())
            .build()
            .unwrap()
    }

    fn setup<'a>(&'a self, client: &'a Client) -> Setup<'a> {
        Setup {
            provider: self.provider.as_ref(),
            provider_description: "a test provider",
            cloud: self.cloud,
            expected_tenant: self.tenant,
            client,
            customer: self.customer,
        }
    }
}

/// Asserts a line's mark and that its text and fix hold these words.
#[track_caller]
fn assert_line(line: &Line, mark: Mark, words: &[&str]) {
    assert_eq!(line.mark, mark, "{line}");
    let shown = line.to_string();
    for word in words {
        assert!(shown.contains(word), "{word:?} missing from: {shown}");
    }
}

fn minted(token: FakeToken) -> Vec<Line> {
    Case::token(token.mint()).run(&start())
}

/// Checks out a cart of one item at the fake, with an opaque token.
fn place_order(fake: &FakePartnerCenter) -> Order {
    let client = common::client(fake);
    let item = CartLineItem::new("CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", 1, BillingCycle::Monthly)
        .term_duration("P1M");
    let cart = client
        .create_cart(
            CUSTOMER,
            &NewCart::new().line_item(item),
            &CreateCartOptions::new(),
        )
        .unwrap();
    let mut result = client.checkout(CUSTOMER, &cart).unwrap();
    assert_eq!(result.orders.len(), 1);
    result.orders.remove(0)
}

fn ago(secs: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(secs)
}

fn from_now(secs: u64) -> SystemTime {
    SystemTime::now() + Duration::from_secs(secs)
}

#[test]
fn a_sound_setup_passes_all_eight_lines_and_buys_nothing() {
    let fake = start();
    let token = FakeToken::new().mint();
    let case = Case::token(token.clone());
    let client = case.client(&fake);
    let setup = case.setup(&client);
    let lines = examine(&setup);
    for line in &lines {
        assert_eq!(line.mark, Mark::Pass, "{line}");
        assert!(!line.to_string().contains(&token));
    }
    assert!(report(&setup, &lines));
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, format!("/v1/customers/{CUSTOMER}/orders"));
}

#[test]
fn warnings_pass_and_failures_fail_the_report() {
    let fake = start();
    let case = Case::token("an-opaque-token".to_owned());
    let client = case.client(&fake);
    let setup = case.setup(&client);
    let lines = examine(&setup);
    assert!(lines.iter().any(|line| line.mark == Mark::Warn));
    assert!(report(&setup, &lines));

    let expired = FakeToken::new().expires_at(ago(60)).mint();
    let case = Case::token(expired);
    let client = case.client(&fake);
    let setup = case.setup(&client);
    assert!(!report(&setup, &examine(&setup)));
}

#[test]
fn line_1_gives_the_aadsts_code_and_its_hint() {
    let endpoint = FakeTokenEndpoint::start();
    // Refused every time: once for line 1, once for the read of line 8.
    for _ in 0..2 {
        endpoint.push(Answer::json(
            401,
            serde_json::json!({
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
                "error_codes": [7000215],
            }),
        ));
    }
    let provider = ClientCredentialsProvider::builder(FAKE_TENANT_ID, "app", "wrong-secret")
        .authority(endpoint.authority())
        .build()
        .unwrap();
    let lines = Case::provider(Arc::new(provider)).run(&start());
    assert_line(
        &lines[0],
        Mark::Fail,
        &["AADSTS7000215", "invalid_client", "client secret is wrong"],
    );
    assert!(!lines[0].to_string().contains("wrong-secret"));
    for line in &lines[1..5] {
        assert_line(line, Mark::Fail, &["no token"]);
    }
    assert_line(&lines[7], Mark::Fail, &["see line 1"]);

    let failing = Case::provider(Arc::new(|| {
        Err::<String, _>("PARTNER_CENTER_TOKEN is not set")
    }));
    assert_line(
        &failing.run(&start())[0],
        Mark::Fail,
        &["no token: PARTNER_CENTER_TOKEN is not set"],
    );

    let good = minted(FakeToken::new());
    assert_line(&good[0], Mark::Pass, &["got a JWT", "from a test provider"]);
}

#[test]
fn line_2_names_the_retired_graph_audience() {
    for retired in [
        "https://graph.windows.net",
        "https://graph.windows.net/",
        "https://graph.chinacloudapi.cn",
    ] {
        let lines = minted(FakeToken::new().audience(retired));
        assert_line(
            &lines[1],
            Mark::Fail,
            &[
                "retired Azure AD Graph",
                "31 August 2025",
                "https://api.partnercenter.microsoft.com/.default",
            ],
        );
        // The fake, like the service, refuses it.
        assert_line(&lines[7], Mark::Fail, &["HTTP 401", "see lines 2 to 6"]);
    }
    assert_line(&minted(FakeToken::new())[1], Mark::Pass, &["Global cloud"]);
    let stranger = minted(FakeToken::new().audience("https://management.azure.com"));
    assert_line(
        &stranger[1],
        Mark::Fail,
        &["is not Partner Center's audience"],
    );

    // A global token for the 21Vianet cloud.
    let mut china = Case::token(FakeToken::new().mint());
    china.cloud = Cloud::China;
    assert_line(
        &china.run(&start())[1],
        Mark::Fail,
        &[
            "for the Global cloud, not the China cloud's",
            "partner.partnercenterapi.microsoftonline.cn",
        ],
    );
    let no_audience = minted(FakeToken::new().without("aud"));
    assert_line(&no_audience[1], Mark::Fail, &["names no audience"]);
}

#[test]
fn line_3_checks_the_tenant() {
    assert_line(
        &minted(FakeToken::new())[2],
        Mark::Pass,
        &[FAKE_TENANT_ID, "as expected"],
    );
    let other = minted(FakeToken::new().tenant_id(OTHER_TENANT));
    assert_line(&other[2], Mark::Fail, &[OTHER_TENANT, "not the expected"]);
    let customers = minted(FakeToken::new().tenant_id(CUSTOMER));
    assert_line(
        &customers[2],
        Mark::Fail,
        &["the customer's tenant, not the partner's"],
    );

    let mut unknown = Case::token(FakeToken::new().mint());
    unknown.tenant = None;
    assert_line(&unknown.run(&start())[2], Mark::Warn, &["give --tenant"]);
    let mut by_name = Case::token(FakeToken::new().mint());
    by_name.tenant = Some("contoso.onmicrosoft.com");
    assert_line(
        &by_name.run(&start())[2],
        Mark::Warn,
        &["tenant ID (a GUID)"],
    );
}

#[test]
fn line_4_tells_app_only_from_app_user() {
    let app = minted(FakeToken::new().app_only());
    assert_line(&app[3], Mark::Pass, &["app-only", "provisioning status"]);
    let user = minted(FakeToken::new());
    assert_line(
        &user[3],
        Mark::Pass,
        &[
            "app+user",
            "admin@fakepartner.onmicrosoft.com",
            "user_impersonation",
        ],
    );
    let odd_scope = minted(FakeToken::new().claim("scp", "Directory.Read"));
    assert_line(&odd_scope[3], Mark::Warn, &["/user_impersonation"]);
    let bare = minted(FakeToken::new().without("scp").without("idtyp"));
    assert_line(&bare[3], Mark::Warn, &["app-only by all signs"]);
}

#[test]
fn line_4_warns_of_an_app_user_token_without_mfa() {
    for token in [
        FakeToken::new().without_mfa(),
        FakeToken::new().without("amr"),
    ] {
        let lines = minted(token);
        assert_line(
            &lines[3],
            Mark::Warn,
            &[
                "app+user",
                "no multi-factor authentication",
                "900421",
                "sign the user in again with multi-factor authentication",
            ],
        );
    }
    // With MFA, or app-only (which needs none), nothing is said of it.
    for token in [FakeToken::new(), FakeToken::new().app_only()] {
        let line = &minted(token)[3];
        assert_eq!(line.mark, Mark::Pass, "{line}");
        let shown = line.to_string();
        assert!(
            !shown.contains("900421") && !shown.contains("MFA"),
            "{shown}"
        );
        assert!(!shown.contains("multi-factor"), "{shown}");
    }
    // A fake that requires MFA refuses the call, and line 8 points to line 4.
    let fake = FakePartnerCenter::builder().require_mfa().start().unwrap();
    let lines = Case::token(FakeToken::new().without_mfa().mint()).run(&fake);
    assert_line(&lines[7], Mark::Fail, &["HTTP 401", "900421", "see line 4"]);
}

#[test]
fn line_5_counts_down_to_expiry() {
    let expired = minted(FakeToken::new().expires_at(ago(600)));
    assert_line(&expired[4], Mark::Fail, &["expired 10 min", "line 6"]);
    assert_line(&expired[7], Mark::Fail, &["HTTP 401", "expired"]);
    let soon = minted(FakeToken::new().expires_at(from_now(120)));
    assert_line(&soon[4], Mark::Warn, &["expires in 1 min", "replaced soon"]);
    assert_line(
        &minted(FakeToken::new())[4],
        Mark::Pass,
        &["expires in 59 min"],
    );
}

#[test]
fn line_6_compares_the_clock_with_the_date_header() {
    let orders = || Reply::json(200, &serde_json::json!({"totalCount": 0, "items": []}));
    let run = |reply: Reply| {
        let fake = start();
        fake.push_reply(reply);
        Case::token(FakeToken::new().mint()).run(&fake)
    };
    assert_line(
        &run(orders().date(ago(600)))[5],
        Mark::Fail,
        // The Date header counts whole seconds, and a second may pass
        // between the answer and the doctor's look at the clock.
        &["10 min", "s ahead", "NTP"],
    );
    assert_line(
        &run(orders().date(from_now(600)))[5],
        Mark::Fail,
        &["behind", "expired or not yet valid"],
    );
    assert_line(
        &run(orders().date(ago(120)))[5],
        Mark::Warn,
        &["2 min", "s ahead"],
    );
    assert_line(&run(orders())[5], Mark::Pass, &["Partner Center's"]);
    // A failure's Date counts too.
    assert_line(
        &run(Reply::fault(403, 20002, "no relationship").date(ago(900)))[5],
        Mark::Fail,
        &["15 min"],
    );
    // No response, no Date.
    let mut unreachable = Case::token(FakeToken::new().mint());
    unreachable.base_url = Some("http://127.0.0.1:9".to_owned());
    assert_line(&unreachable.run(&start())[5], Mark::Warn, &["not checked"]);
}

#[test]
fn line_7_shows_the_proxy_without_its_password_and_the_tls_stack() {
    let mut proxied = Case::token(FakeToken::new().mint());
    proxied.proxy = Proxy::url("http://proxy-user:hunter2@127.0.0.1:9");
    let lines = proxied.run(&start());
    assert_line(
        &lines[6],
        Mark::Fail,
        &[
            "through the proxy http://<redacted>@127.0.0.1:9",
            "could not be reached",
            "HTTPS_PROXY",
        ],
    );
    assert_line(&lines[7], Mark::Fail, &["see line 7"]);
    assert!(
        lines
            .iter()
            .all(|line| !line.to_string().contains("hunter2"))
    );

    let mut tls = Case::token(FakeToken::new().mint());
    tls.base_url = Some("https://127.0.0.1:9".to_owned());
    tls.proxy = Proxy::none();
    assert_line(
        &tls.run(&start())[6],
        Mark::Fail,
        &["direct, no proxy", &format!("TLS: {}", expected_tls())],
    );

    let fake = start();
    fake.push_reply(Reply::status(407).header("Proxy-Authenticate", "Basic"));
    let lines = Case::token(FakeToken::new().mint()).run(&fake);
    assert_line(&lines[6], Mark::Fail, &["answered HTTP 407", "credentials"]);
    assert_line(
        &minted(FakeToken::new())[6],
        Mark::Pass,
        &["direct, no proxy", "plain http"],
    );
}

#[test]
fn line_8_reads_the_customers_orders() {
    let fake = start();
    place_order(&fake);
    let lines = Case::token(FakeToken::new().mint()).run(&fake);
    assert_line(&lines[7], Mark::Pass, &["read 1 order of customer"]);

    fake.push_reply(Reply::fault(
        403,
        20002,
        "The partner has no relationship with this customer.",
    ));
    let lines = Case::token(FakeToken::new().mint()).run(&fake);
    assert_line(
        &lines[7],
        Mark::Fail,
        &[
            "HTTP 403",
            "request ID",
            "Admin agent",
            "reseller relationship",
        ],
    );

    let mut not_a_guid = Case::token(FakeToken::new().mint());
    not_a_guid.customer = "contoso";
    assert_line(&not_a_guid.run(&start())[7], Mark::Fail, &["a GUID"]);
}

#[test]
fn the_client_keeps_the_servers_clock() {
    let fake = start();
    let client = common::client(&fake);
    assert_eq!(client.last_server_time(), None);
    client.list_orders(CUSTOMER, &OrderOptions::new()).unwrap();
    let time = client.last_server_time().unwrap();
    assert!(time.skew_secs().abs() <= 2, "{time:?}");
    fake.push_reply(Reply::status(404).date(ago(3600)));
    client
        .list_orders(CUSTOMER, &OrderOptions::new())
        .unwrap_err();
    let skew = client.clone().last_server_time().unwrap().skew_secs();
    assert!((3598..=3602).contains(&skew), "{skew}");
}

#[test]
fn the_client_tells_its_proxy_and_tls_stack() {
    let build = |proxy: Proxy, url: &str| {
        Client::builder(|| Ok::<_, std::io::Error>("t"))
            .base_url(url)
            .proxy(proxy)
            .build()
            .unwrap()
    };
    let secret = Proxy::url("http://me:hunter2@proxy.example:3128");
    assert_eq!(
        build(secret, "https://api.partnercenter.microsoft.com").proxy_url(),
        Some("http://<redacted>@proxy.example:3128")
    );
    let socks = Proxy::url("socks5://127.0.0.1:1080");
    assert_eq!(
        build(socks, "http://127.0.0.1:1").proxy_url(),
        Some("socks5://127.0.0.1:1080")
    );
    assert_eq!(
        build(Proxy::none(), "https://api.partnercenter.microsoft.com").proxy_url(),
        None
    );
    assert_eq!(
        build(Proxy::from_environment(), "http://127.0.0.1:1").proxy_url(),
        None
    );
    assert_eq!(
        build(Proxy::none(), "https://api.partnercenter.microsoft.com").tls_backend(),
        expected_tls()
    );
}

/// The TLS stack the features ask for: the platform's verifier wins, then
/// native-tls, then the default rustls with the webpki roots.
fn expected_tls() -> &'static str {
    if cfg!(feature = "platform-verifier") {
        "rustls, with the platform's certificate verifier"
    } else if cfg!(feature = "native-tls") {
        "native-tls (the platform's TLS library)"
    } else {
        "rustls, with the webpki root certificates"
    }
}

#[test]
fn app_only_tokens_cannot_read_provisioning_status() {
    let fake = start();
    let order = place_order(&fake);
    let as_token = |token: String| {
        Client::builder(move || Ok::<_, std::io::Error>(token.clone()))
            .base_url(fake.base_url())
            .build()
            .unwrap()
    };
    let app_only = as_token(FakeToken::new().app_only().mint());
    let error = app_only
        .get_order_provisioning_status(CUSTOMER, order.id.clone())
        .unwrap_err();
    assert_eq!(error.status(), Some(403), "{error}");
    // The same token may still read the order itself; app+user may do both.
    app_only
        .get_order(CUSTOMER, order.id.clone(), &OrderOptions::new())
        .unwrap();
    as_token(FakeToken::new().mint())
        .get_order_provisioning_status(CUSTOMER, order.id)
        .unwrap();
}
