//! The `doctor` command: checks a partner's set-up before the first
//! purchase, without creating, changing or buying anything.
//!
//! Eight checks, each a line marked `✓` (passed), `!` (passed, with a
//! warning) or `✗` (failed), that says what to fix:
//!
//! 1. a token can be had from the chosen provider;
//! 2. its audience is Partner Center's for the chosen cloud;
//! 3. its tenant is the expected one (and not the customer's);
//! 4. it is app-only or app+user, and what that cannot do; an app+user
//!    token must carry multi-factor authentication (`mfa` in its `amr`
//!    claim), or Partner Center refuses it with 900421 since April 2026;
//! 5. how long until it expires;
//! 6. this machine's clock against Partner Center's `Date`;
//! 7. the proxy and TLS stack, and whether the route works;
//! 8. one harmless authenticated read: the customer's orders.
//!
//! The token itself is never printed; its claims are read without checking
//! the signature, which only Partner Center can do (line 8 is its verdict).

use std::fmt;
use std::time::{Duration, SystemTime};

use partner_center_cart::OrderOptions;
use partner_center_cart::auth::AuthError;
use partner_center_cart::{AccessToken, Client, Cloud, Error, TokenProvider, auth::TokenClaims};

use super::clean;

/// The audiences of the retired Azure AD Graph, which Partner Center stopped
/// taking on 31 August 2025.
const RETIRED_AUDIENCES: [&str; 3] = [
    "https://graph.windows.net",
    "https://graph.chinacloudapi.cn",
    "00000002-0000-0000-c000-000000000000",
];

/// The code of a 401 refusing an App+User token without MFA.
const MFA_REQUIRED: i64 = 900_421;

/// A token closer than this to its expiry gets a warning.
const EXPIRY_WARNING: Duration = Duration::from_secs(5 * 60);

/// Clocks further apart than this get a warning...
const SKEW_WARNING_SECS: u64 = 60;
/// ...and further than this fail: Entra ID and Partner Center allow five
/// minutes.
const SKEW_LIMIT_SECS: u64 = 5 * 60;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Passed.
    Pass,
    /// Passed, with something to look at.
    Warn,
    /// Failed.
    Fail,
}

impl Mark {
    fn symbol(self) -> &'static str {
        match self {
            Mark::Pass => "✓",
            Mark::Warn => "!",
            Mark::Fail => "✗",
        }
    }
}

/// One line of the checklist; its `Display` leaves out the mark and the
/// number, which [`report`] puts in front.
#[derive(Debug, Clone)]
pub struct Line {
    pub mark: Mark,
    /// What was checked, one word.
    pub topic: &'static str,
    /// What was found.
    pub text: String,
    /// What to do about it, when anything.
    pub fix: Option<String>,
}

impl Line {
    fn new(mark: Mark, topic: &'static str, text: impl Into<String>) -> Self {
        Line {
            mark,
            topic,
            text: text.into(),
            fix: None,
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<8} {}", self.topic, self.text)?;
        if let Some(fix) = &self.fix {
            write!(f, "; to fix: {fix}")?;
        }
        Ok(())
    }
}

/// What the doctor examines.
pub struct Setup<'a> {
    /// The provider the client was built with.
    pub provider: &'a dyn TokenProvider,
    /// What the provider is, in words, with no secret.
    pub provider_description: &'a str,
    /// The cloud chosen.
    pub cloud: Cloud,
    /// The partner tenant the token should come from, if given.
    pub expected_tenant: Option<&'a str>,
    /// The client to read with.
    pub client: &'a Client,
    /// The customer whose orders are read.
    pub customer: &'a str,
}

/// Runs the eight checks. Nothing is created, changed or bought: the only
/// call to Partner Center reads the customer's orders.
pub fn examine(setup: &Setup<'_>) -> Vec<Line> {
    let token = setup.provider.token();
    let claims = token.as_ref().ok().and_then(AccessToken::claims);
    let read = setup
        .client
        .list_orders(setup.customer, &OrderOptions::new());

    let mut lines = vec![token_line(setup, &token)];
    match (&token, &claims) {
        (Ok(_), Some(claims)) => {
            lines.push(audience_line(setup.cloud, claims));
            lines.push(tenant_line(setup, claims));
            lines.push(identity_line(setup.cloud, claims));
            lines.push(expiry_line(claims));
        }
        (Ok(_), None) => {
            lines.push(Line::new(
                Mark::Warn,
                "audience",
                "not checked: the token is not a JWT, so its claims cannot be read; line 8 shows whether Partner Center takes it",
            ));
            for topic in ["tenant", "identity", "expiry"] {
                lines.push(Line::new(
                    Mark::Warn,
                    topic,
                    "not checked: the token is not a JWT",
                ));
            }
        }
        (Err(_), _) => {
            for topic in ["audience", "tenant", "identity", "expiry"] {
                lines.push(Line::new(
                    Mark::Fail,
                    topic,
                    "not checked: no token (line 1)",
                ));
            }
        }
    }
    lines.push(clock_line(setup.client));
    lines.push(network_line(setup.client, read.as_ref().err()));
    lines.push(access_line(setup, &read));
    lines
}

/// Prints the checklist and a summary; `true` when no check failed.
pub fn report(setup: &Setup<'_>, lines: &[Line]) -> bool {
    println!(
        "Checking the set-up for customer {} at {} ({:?} cloud), with {}:",
        clean(setup.customer),
        setup.client.base_url(),
        setup.cloud,
        setup.provider_description,
    );
    for (number, line) in lines.iter().enumerate() {
        println!("{} {}. {line}", line.mark.symbol(), number + 1);
    }
    let count = |mark| lines.iter().filter(|line| line.mark == mark).count();
    let (failed, warnings) = (count(Mark::Fail), count(Mark::Warn));
    match (failed, warnings) {
        (0, 0) => println!("All {} checks passed.", lines.len()),
        (0, w) => println!("All {} checks passed, {w} with a warning.", lines.len()),
        (f, _) => println!("{f} of {} checks failed.", lines.len()),
    }
    failed == 0
}

fn token_line(
    setup: &Setup<'_>,
    token: &Result<AccessToken, partner_center_cart::error::BoxError>,
) -> Line {
    let error = match token {
        Ok(token) => {
            let shape = if token.claims().is_some() {
                "a JWT"
            } else {
                "an opaque token"
            };
            return Line::new(
                Mark::Pass,
                "token",
                format!(
                    "got {shape} of {} characters from {}",
                    token.secret().len(),
                    setup.provider_description
                ),
            );
        }
        Err(error) => error,
    };
    let auth = error.downcast_ref::<AuthError>();
    match auth.and_then(AuthError::entra_error) {
        Some(entra) => {
            let codes: Vec<String> = entra
                .error_codes()
                .iter()
                .map(|code| format!("AADSTS{code}"))
                .collect();
            let line = Line::new(
                Mark::Fail,
                "token",
                format!(
                    "Entra ID refused the token request: HTTP {} {} {}",
                    entra.status(),
                    clean(entra.error().unwrap_or("(no error name)")),
                    if codes.is_empty() {
                        "(no AADSTS code)".to_owned()
                    } else {
                        codes.join(", ")
                    },
                ),
            );
            match entra.hint() {
                Some(hint) => line.fix(hint),
                None => line.fix(format!(
                    "read Entra ID's description: {}",
                    clean(entra.description().unwrap_or("-"))
                )),
            }
        }
        None => Line::new(
            Mark::Fail,
            "token",
            format!("no token: {}", clean(&error.to_string())),
        )
        .fix("fix the provider's settings or credentials named in the message"),
    }
}

fn audience_line(cloud: Cloud, claims: &TokenClaims) -> Line {
    let expected = cloud.resource();
    let request = format!(
        "request a token for the resource {expected} (scope {expected}/.default, or {expected}/user_impersonation for app+user)"
    );
    let Some(audience) = claims.audience.as_deref() else {
        return Line::new(Mark::Fail, "audience", "the token names no audience").fix(request);
    };
    let bare = audience.trim_end_matches('/');
    if bare == expected {
        return Line::new(
            Mark::Pass,
            "audience",
            format!("{expected}, Partner Center's for the {cloud:?} cloud"),
        );
    }
    if RETIRED_AUDIENCES
        .iter()
        .any(|retired| bare.eq_ignore_ascii_case(retired))
    {
        return Line::new(
            Mark::Fail,
            "audience",
            format!(
                "{}, the retired Azure AD Graph audience, which Partner Center stopped taking on 31 August 2025",
                clean(audience)
            ),
        )
        .fix(request);
    }
    let other_cloud = [Cloud::Global, Cloud::China]
        .into_iter()
        .find(|other| other.resource() == bare);
    match other_cloud {
        Some(other) => Line::new(
            Mark::Fail,
            "audience",
            format!("{bare}, Partner Center's for the {other:?} cloud, not the {cloud:?} cloud's"),
        )
        .fix(format!("choose --cloud to match, or {request}")),
        None => Line::new(
            Mark::Fail,
            "audience",
            format!("{} is not Partner Center's audience", clean(audience)),
        )
        .fix(request),
    }
}

fn tenant_line(setup: &Setup<'_>, claims: &TokenClaims) -> Line {
    let Some(tenant) = claims.tenant_id.as_deref() else {
        return Line::new(
            Mark::Warn,
            "tenant",
            "the token names no tenant (no tid claim)",
        );
    };
    let tenant = clean(tenant);
    if tenant.eq_ignore_ascii_case(setup.customer) {
        return Line::new(
            Mark::Fail,
            "tenant",
            format!("{tenant} is the customer's tenant, not the partner's"),
        )
        .fix("get the token in the partner's own tenant: Partner Center acts for customers on the partner's token");
    }
    match setup.expected_tenant {
        None => Line::new(
            Mark::Warn,
            "tenant",
            format!("{tenant}, not compared with any"),
        )
        .fix("give --tenant (or PARTNER_CENTER_TENANT) with the partner's tenant ID to check it"),
        Some(expected) if expected.eq_ignore_ascii_case(&tenant) => {
            Line::new(Mark::Pass, "tenant", format!("{tenant}, as expected"))
        }
        Some(expected) if !looks_like_guid(expected) => Line::new(
            Mark::Warn,
            "tenant",
            format!(
                "{tenant}; the expected {} is a name, which a token does not carry",
                clean(expected)
            ),
        )
        .fix("give --tenant as the tenant ID (a GUID) to compare"),
        Some(expected) => Line::new(
            Mark::Fail,
            "tenant",
            format!("{tenant}, not the expected {}", clean(expected)),
        )
        .fix("get the token in the expected tenant, or correct --tenant"),
    }
}

fn identity_line(cloud: Cloud, claims: &TokenClaims) -> Line {
    let app = claims.app_id.as_deref().map_or_else(
        || "an unnamed app".to_owned(),
        |id| format!("app {}", clean(id)),
    );
    if claims.is_app_only() {
        return Line::new(
            Mark::Pass,
            "identity",
            format!(
                "app-only ({app}): it can create carts and check out, but cannot read an order's provisioning status or act as a user"
            ),
        );
    }
    if claims.scopes.is_empty() {
        return Line::new(
            Mark::Warn,
            "identity",
            format!("{app}, with no scopes, roles or idtyp: app-only by all signs"),
        )
        .fix("for app+user, trade a refresh token (secure application model, --auth refresh)");
    }
    let user = claims
        .user
        .as_deref()
        .map_or_else(|| "an unnamed user".to_owned(), clean);
    let scopes = clean(&claims.scopes.join(" "));
    let mut text = format!(
        "app+user: {user} through {app}, scopes {scopes}; it can do only what the user's Partner Center role allows (Admin agent to buy)"
    );
    let mut fixes = Vec::new();
    if !claims
        .scopes
        .iter()
        .any(|scope| scope == "user_impersonation")
    {
        fixes.push(format!(
            "request the scope {}/user_impersonation",
            cloud.resource()
        ));
    }
    // Since April 2026 Partner Center refuses App+User calls whose token
    // does not say the user signed in with MFA.
    if !claims.has_mfa() {
        let methods = if claims.auth_methods.is_empty() {
            "no amr claim".to_owned()
        } else {
            format!("amr {}", clean(&claims.auth_methods.join(" ")))
        };
        text.push_str(&format!(
            "; the sign-in carries no multi-factor authentication ({methods}, no mfa), and Partner Center refuses such App+User calls with 401, error 900421"
        ));
        fixes.push(
            "sign the user in again with multi-factor authentication (MFA) and use the new token (for a refresh token, consent again with MFA); app-only tokens need none"
                .to_owned(),
        );
    }
    if fixes.is_empty() {
        Line::new(Mark::Pass, "identity", text)
    } else {
        Line::new(Mark::Warn, "identity", text).fix(fixes.join("; and "))
    }
}

fn expiry_line(claims: &TokenClaims) -> Line {
    let Some(at) = claims.expires_at else {
        return Line::new(
            Mark::Warn,
            "expiry",
            "the token names no expiry (no exp claim)",
        );
    };
    match at.duration_since(SystemTime::now()) {
        Err(past) => Line::new(
            Mark::Fail,
            "expiry",
            format!("expired {} ago", span(past.duration())),
        )
        .fix("get a fresh token; if it looks fresh elsewhere, check this machine's clock (line 6)"),
        Ok(left) if left < EXPIRY_WARNING => {
            Line::new(Mark::Warn, "expiry", format!("expires in {}", span(left)))
                .fix("a fixed token must be replaced soon; the caching providers renew theirs")
        }
        Ok(left) => Line::new(Mark::Pass, "expiry", format!("expires in {}", span(left))),
    }
}

fn clock_line(client: &Client) -> Line {
    let Some(time) = client.last_server_time() else {
        return Line::new(
            Mark::Warn,
            "clock",
            "not checked: no response with a Date header came back",
        );
    };
    let skew = time.skew_secs();
    let apart = span(Duration::from_secs(skew.unsigned_abs()));
    let text = match skew {
        0 => "the same as Partner Center's".to_owned(),
        s if s > 0 => format!("{apart} ahead of Partner Center's"),
        _ => format!("{apart} behind Partner Center's"),
    };
    let fix = "set the clock right, for example by NTP";
    match skew.unsigned_abs() {
        s if s > SKEW_LIMIT_SECS => Line::new(
            Mark::Fail,
            "clock",
            format!("{text}: tokens look expired or not yet valid"),
        )
        .fix(fix),
        s if s > SKEW_WARNING_SECS => Line::new(Mark::Warn, "clock", text).fix(fix),
        _ => Line::new(Mark::Pass, "clock", text),
    }
}

fn network_line(client: &Client, error: Option<&Error>) -> Line {
    let route = match client.proxy_url() {
        Some(proxy) => format!("through the proxy {proxy}"),
        None => "direct, no proxy".to_owned(),
    };
    let tls = if client.base_url().starts_with("https:") {
        format!("TLS: {}", client.tls_backend())
    } else {
        "no TLS (plain http to loopback)".to_owned()
    };
    let text = format!("{route}; {tls}");
    match error {
        Some(Error::Transport { kind, .. }) => Line::new(
            Mark::Fail,
            "network",
            format!("{text}; Partner Center could not be reached: {kind}"),
        )
        .fix("check the proxy (HTTPS_PROXY, NO_PROXY), the firewall and the base URL"),
        Some(error) if matches!(error.status(), Some(407 | 300..=399)) => Line::new(
            Mark::Fail,
            "network",
            format!(
                "{text}; the route answered HTTP {}, not Partner Center",
                error.status().unwrap_or_default()
            ),
        )
        .fix("give the proxy its credentials, or let Partner Center's host through directly"),
        _ => Line::new(Mark::Pass, "network", text),
    }
}

fn access_line(
    setup: &Setup<'_>,
    read: &Result<Vec<partner_center_cart::model::Order>, Error>,
) -> Line {
    let customer = clean(setup.customer);
    let error = match read {
        Ok(orders) => {
            return Line::new(
                Mark::Pass,
                "access",
                format!(
                    "read {} order{} of customer {customer}",
                    orders.len(),
                    if orders.len() == 1 { "" } else { "s" }
                ),
            );
        }
        Err(error) => error,
    };
    let text = format!(
        "reading the orders of customer {customer} failed: {}",
        clean(&error.to_string())
    );
    let line = Line::new(Mark::Fail, "access", text);
    match error {
        Error::InvalidId { .. } => line.fix("give the customer's tenant ID, a GUID"),
        Error::Token { .. } => line.fix("see line 1"),
        Error::Transport { .. } => line.fix("see line 7"),
        _ => match error.status() {
            Some(401)
                if error.service_error().and_then(|e| e.code_number()) == Some(MFA_REQUIRED) =>
            {
                line.fix("Partner Center wants an App+User token signed in with MFA: see line 4")
            }
            Some(401) => line.fix("Partner Center refused the token: see lines 2 to 6"),
            Some(403) => line.fix(
                "the user needs the Admin agent role (or the app its consent in Partner Center), and the partner a reseller relationship with the customer",
            ),
            Some(404) => line.fix("check the customer ID, and the cloud or base URL"),
            _ => line.fix("quote the request ID above to Partner Center support if it persists"),
        },
    }
}

/// A span of time in words: `42 s`, `3 min 5 s`, `2 h 10 min`, `3 days`.
fn span(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3_600 => format!("{} min {} s", secs / 60, secs % 60),
        3_600..172_800 => format!("{} h {} min", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{} days", secs / 86_400),
    }
}

fn looks_like_guid(text: &str) -> bool {
    partner_center_cart::Uuid::try_parse(text).is_ok()
}
