//! The token providers against a fake token endpoint on loopback and a fake
//! `az` program.

use crate::common::child;
use crate::common::proxies;
use crate::common::records;
use crate::common::token_endpoint;

use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use partner_center_cart::auth::{
    AuthError, ClientCredentialsProvider, EntraBuilder, RefreshTokenProvider, StaticTokenProvider,
};
use partner_center_cart::{Client, Cloud, RetryPolicy, TokenProvider, error::TransportErrorKind};
use records::records;
use serde_json::json;
use token_endpoint::{Answer, FakeTokenEndpoint};

const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT_ID: &str = "4f1c0b2e-7d8a-4c1e-9b2f-3a6d5e8c7b10";
const CLIENT_SECRET: &str = "cs~Sup3r+S3cret/Value=";
const REFRESH_TOKEN: &str = "rt-0.AAAA-first-refresh-token";
const ROTATED_REFRESH_TOKEN: &str = "rt-0.BBBB-second-refresh-token";
const ACCESS_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOi.access.token";

/// Retries without real waits.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
}

fn app_only(endpoint: &FakeTokenEndpoint) -> EntraBuilder<ClientCredentialsProvider> {
    ClientCredentialsProvider::builder(TENANT, CLIENT_ID, CLIENT_SECRET)
        .authority(endpoint.authority())
        .retry_policy(fast_retries())
}

fn app_user(endpoint: &FakeTokenEndpoint) -> EntraBuilder<RefreshTokenProvider> {
    RefreshTokenProvider::builder(TENANT, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)
        .authority(endpoint.authority())
        .retry_policy(fast_retries())
}

fn assert_no_secret(text: &str) {
    for secret in [
        CLIENT_SECRET,
        "S3cret",
        REFRESH_TOKEN,
        ROTATED_REFRESH_TOKEN,
        ACCESS_TOKEN,
    ] {
        assert!(!text.contains(secret), "{secret:?} shows in {text}");
    }
}

/// The error's `Display`, its sources' and its `Debug`, all together.
fn everything_about(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = format!("{error} / {error:?}");
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(&format!(" / {inner} / {inner:?}"));
        source = inner.source();
    }
    text
}

#[test]
fn first_fetch_posts_the_client_credentials_form() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::token(ACCESS_TOKEN, 3599));
    let provider = app_only(&endpoint).build().unwrap();

    assert_eq!(provider.access_token().unwrap().secret(), ACCESS_TOKEN);

    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.field("grant_type"), Some("client_credentials"));
    assert_eq!(request.field("client_id"), Some(CLIENT_ID));
    assert_eq!(request.field("client_secret"), Some(CLIENT_SECRET));
    assert_eq!(
        request.field("scope"),
        Some("https://api.partnercenter.microsoft.com/.default")
    );
    // The secret's `+`, `/` and `=` were escaped, not sent raw.
    assert!(!request.body.contains(CLIENT_SECRET), "{}", request.body);
}

#[test]
fn the_cloud_and_resource_shape_the_scope() {
    let endpoint = FakeTokenEndpoint::start();
    let provider = app_only(&endpoint)
        .cloud(Cloud::China)
        .authority(endpoint.authority())
        .build()
        .unwrap();
    provider.access_token().unwrap();
    let provider = app_only(&endpoint)
        .resource("https://gateway.example/partner")
        .build()
        .unwrap();
    provider.access_token().unwrap();
    let requests = endpoint.requests();
    assert_eq!(
        requests[0].field("scope"),
        Some("https://partner.partnercenterapi.microsoftonline.cn/.default")
    );
    assert_eq!(
        requests[1].field("scope"),
        Some("https://gateway.example/partner/.default")
    );
}

#[test]
fn a_fresh_token_is_reused() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::token(ACCESS_TOKEN, 3600));
    let provider = app_only(&endpoint).build().unwrap();
    for _ in 0..5 {
        assert_eq!(provider.token().unwrap().secret(), ACCESS_TOKEN);
    }
    assert_eq!(endpoint.requests().len(), 1);
}

#[test]
fn a_token_near_its_expiry_is_refreshed() {
    let endpoint = FakeTokenEndpoint::start();
    // v1-style string lifetime, within the default 5-minute margin.
    endpoint.push(Answer::json(
        200,
        json!({"token_type": "Bearer", "expires_in": "240", "access_token": "first"}),
    ));
    endpoint.push(Answer::token("second", 3600));
    let provider = app_only(&endpoint).build().unwrap();
    assert_eq!(provider.access_token().unwrap().secret(), "first");
    assert_eq!(provider.access_token().unwrap().secret(), "second");
    assert_eq!(provider.access_token().unwrap().secret(), "second");
    assert_eq!(endpoint.requests().len(), 2);

    // With a shorter margin the same lifetime is long enough.
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::token("kept", 240));
    let provider = app_only(&endpoint)
        .refresh_margin(Duration::from_secs(60))
        .build()
        .unwrap();
    provider.access_token().unwrap();
    assert_eq!(provider.access_token().unwrap().secret(), "kept");
    assert_eq!(endpoint.requests().len(), 1);
}

#[test]
fn a_rotated_refresh_token_reaches_the_callback_and_is_used_next() {
    let endpoint = FakeTokenEndpoint::start();
    let rotated = Arc::new(Mutex::new(Vec::<String>::new()));
    let provider = {
        let rotated = rotated.clone();
        app_user(&endpoint)
            .refresh_margin(Duration::from_secs(3600))
            .on_refresh_token_rotated(move |new| rotated.lock().unwrap().push(new.to_owned()))
            .build()
            .unwrap()
    };
    let answer = |access: &str, refresh: Option<&str>| {
        let mut body = json!({
            "token_type": "Bearer",
            "scope": "https://api.partnercenter.microsoft.com/user_impersonation",
            "expires_in": 3599,
            "access_token": access,
        });
        if let Some(refresh) = refresh {
            body["refresh_token"] = json!(refresh);
        }
        Answer::json(200, body)
    };
    endpoint.push(answer("access-1", Some(ROTATED_REFRESH_TOKEN)));
    endpoint.push(answer("access-2", Some(ROTATED_REFRESH_TOKEN)));
    endpoint.push(answer("access-3", None));

    // The margin outlasts each token, so every call refreshes.
    for expected in ["access-1", "access-2", "access-3"] {
        assert_eq!(provider.access_token().unwrap().secret(), expected);
    }

    let requests = endpoint.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].field("grant_type"), Some("refresh_token"));
    assert_eq!(requests[0].field("refresh_token"), Some(REFRESH_TOKEN));
    assert_eq!(requests[0].field("client_id"), Some(CLIENT_ID));
    assert_eq!(requests[0].field("client_secret"), Some(CLIENT_SECRET));
    assert_eq!(
        requests[0].field("scope"),
        Some("https://api.partnercenter.microsoft.com/user_impersonation offline_access")
    );
    assert_eq!(
        requests[1].field("refresh_token"),
        Some(ROTATED_REFRESH_TOKEN)
    );
    assert_eq!(
        requests[2].field("refresh_token"),
        Some(ROTATED_REFRESH_TOKEN)
    );
    // Called once: the same token again, or none, is no rotation.
    assert_eq!(*rotated.lock().unwrap(), [ROTATED_REFRESH_TOKEN]);
}

#[test]
fn a_public_client_trades_its_refresh_token_without_a_secret() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::token("access-1", 3599));
    let builder: EntraBuilder<RefreshTokenProvider> =
        RefreshTokenProvider::public_client(TENANT, CLIENT_ID, REFRESH_TOKEN)
            .authority(endpoint.authority())
            .retry_policy(fast_retries());
    let provider = builder.build().unwrap();
    assert_eq!(provider.access_token().unwrap().secret(), "access-1");

    let request = &endpoint.requests()[0];
    assert_eq!(request.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert_eq!(request.field("grant_type"), Some("refresh_token"));
    assert_eq!(request.field("client_id"), Some(CLIENT_ID));
    assert_eq!(request.field("refresh_token"), Some(REFRESH_TOKEN));
    assert_eq!(
        request.field("scope"),
        Some("https://api.partnercenter.microsoft.com/user_impersonation offline_access")
    );
    assert_eq!(request.field("client_secret"), None);
    let names: Vec<&str> = request.form.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.len(), 4, "{names:?}");

    let debug = format!("{provider:?}");
    assert_no_secret(&debug);
    assert!(debug.contains(CLIENT_ID), "{debug}");
    // The builder's other settings and checks apply as to any client.
    let error = RefreshTokenProvider::public_client(TENANT, CLIENT_ID, " ")
        .build()
        .unwrap_err();
    assert!(matches!(error, AuthError::InvalidConfig(_)), "{error}");
}

#[test]
fn the_scope_can_be_set_whole() {
    let endpoint = FakeTokenEndpoint::start();
    let provider = app_user(&endpoint)
        .scope("https://api.partnercenter.microsoft.com/.default openid offline_access")
        .build()
        .unwrap();
    provider.access_token().unwrap();
    assert_eq!(
        endpoint.requests()[0].field("scope"),
        Some("https://api.partnercenter.microsoft.com/.default openid offline_access")
    );
}

#[test]
fn eight_threads_at_once_cause_one_token_request() {
    let endpoint = FakeTokenEndpoint::start();
    // A slow answer, so that every thread arrives while the fetch is on.
    endpoint.push(Answer::token(ACCESS_TOKEN, 3600).delay(Duration::from_millis(300)));
    let provider = Arc::new(app_only(&endpoint).build().unwrap());
    let start = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (provider, start) = (provider.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                provider.token().map(|token| token.secret().to_owned())
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap().unwrap(), ACCESS_TOKEN);
    }
    assert_eq!(endpoint.requests().len(), 1);
}

#[test]
fn threads_waiting_on_a_failed_fetch_share_its_error() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(
        Answer::json(
            400,
            json!({"error": "invalid_grant", "error_codes": [700082]}),
        )
        .delay(Duration::from_millis(300)),
    );
    let provider = Arc::new(app_user(&endpoint).build().unwrap());
    let start = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (provider, start) = (provider.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                provider.access_token()
            })
        })
        .collect();
    for thread in threads {
        let error = thread.join().unwrap().unwrap_err();
        assert_eq!(error.entra_error().unwrap().error(), Some("invalid_grant"));
    }
    assert_eq!(endpoint.requests().len(), 1);
    // The next call tries again.
    provider.access_token().unwrap();
    assert_eq!(endpoint.requests().len(), 2);
}

#[test]
fn entra_json_errors_say_what_to_fix_and_keep_their_ids() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::json(
        401,
        json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 5f0b1c2d-0000-4000-8000-00000000aaaa\r\nCorrelation ID: 7e6d5c4b-0000-4000-8000-00000000bbbb\r\nTimestamp: 2024-05-01 10:00:00Z",
            "error_codes": [7000215],
            "timestamp": "2024-05-01 10:00:00Z",
            "trace_id": "5f0b1c2d-0000-4000-8000-00000000aaaa",
            "correlation_id": "7e6d5c4b-0000-4000-8000-00000000bbbb",
            "error_uri": "https://login.microsoftonline.com/error?code=7000215"
        }),
    ));
    let provider = app_only(&endpoint).build().unwrap();
    let error = provider.access_token().unwrap_err();
    let entra = error.entra_error().expect("an Entra error");
    assert_eq!(entra.status(), 401);
    assert_eq!(entra.error(), Some("invalid_client"));
    assert_eq!(entra.error_codes(), [7_000_215]);
    assert_eq!(
        entra.trace_id(),
        Some("5f0b1c2d-0000-4000-8000-00000000aaaa")
    );
    assert_eq!(
        entra.correlation_id(),
        Some("7e6d5c4b-0000-4000-8000-00000000bbbb")
    );
    assert_eq!(entra.timestamp(), Some("2024-05-01 10:00:00Z"));
    assert_eq!(
        entra.error_uri(),
        Some("https://login.microsoftonline.com/error?code=7000215")
    );
    let text = error.to_string();
    assert!(text.starts_with("the token endpoint answered HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided."), "{text}");
    assert!(
        text.contains("to fix: the client secret is wrong"),
        "{text}"
    );
    assert!(
        text.contains("trace ID 5f0b1c2d-0000-4000-8000-00000000aaaa"),
        "{text}"
    );
    assert!(
        text.contains("correlation ID 7e6d5c4b-0000-4000-8000-00000000bbbb"),
        "{text}"
    );
    assert_no_secret(&everything_about(&error));
    // 401 is never retried.
    assert_eq!(endpoint.requests().len(), 1);
}

#[test]
fn invalid_grant_is_not_retried_and_says_to_consent_again() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::json(
        400,
        json!({
            "error": "invalid_grant",
            "error_description": "AADSTS700082: The refresh token has expired due to inactivity.",
            "error_codes": [700082],
            "trace_id": "t-1",
            "correlation_id": "c-1"
        }),
    ));
    let provider = app_user(&endpoint).build().unwrap();
    let error = provider.access_token().unwrap_err();
    assert!(matches!(error, AuthError::Rejected(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(text.contains("consent again"), "{text}");
    assert_eq!(endpoint.requests().len(), 1);
}

#[test]
fn an_mfa_sign_in_that_expired_says_to_sign_in_again_with_mfa() {
    for code in [50_078, 50_076, 50_079] {
        let endpoint = FakeTokenEndpoint::start();
        endpoint.push(Answer::json(
            400,
            json!({
                "error": "invalid_grant",
                "error_description": format!("AADSTS{code}: multi-factor authentication is needed."),
                "error_codes": [code],
            }),
        ));
        let provider = app_user(&endpoint).build().unwrap();
        let error = provider.access_token().unwrap_err();
        let hint = error.entra_error().and_then(|entra| entra.hint());
        assert!(
            hint.is_some_and(|hint| hint.contains("MFA") && hint.contains("sign")),
            "{code}: {hint:?}"
        );
        let text = error.to_string();
        assert!(
            text.contains(&format!("to fix: {}", hint.unwrap())),
            "{text}"
        );
        assert_eq!(endpoint.requests().len(), 1, "not retried");
    }
}

#[test]
fn bodies_that_are_not_entra_json_are_reported_too() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(
        Answer::status(400)
            .header("Content-Type", "text/html")
            .body("<html><head><title>Bad Request</title></head><body>no</body></html>"),
    );
    endpoint.push(Answer::status(401));
    endpoint.push(Answer::json(403, json!({"message": "blocked by policy"})));
    let provider = app_only(&endpoint).build().unwrap();

    let error = provider.access_token().unwrap_err();
    let entra = error.entra_error().unwrap();
    assert_eq!(
        (entra.status(), entra.error(), entra.description()),
        (400, None, Some("Bad Request"))
    );
    assert_eq!(
        error.to_string(),
        "the token endpoint answered HTTP 400: Bad Request"
    );

    let error = provider.access_token().unwrap_err();
    assert_eq!(
        error.to_string(),
        "the token endpoint answered HTTP 401 with no error body"
    );

    let error = provider.access_token().unwrap_err();
    assert_eq!(
        error.to_string(),
        "the token endpoint answered HTTP 403: blocked by policy"
    );
    assert_eq!(endpoint.requests().len(), 3);
}

#[test]
fn transient_failures_are_retried() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::json(
        503,
        json!({"error": "temporarily_unavailable", "error_codes": [90033]}),
    ));
    endpoint.push(Answer::status(429).header("Retry-After", "0"));
    endpoint.push(Answer::token(ACCESS_TOKEN, 3600));
    let provider = app_only(&endpoint).build().unwrap();
    assert_eq!(provider.access_token().unwrap().secret(), ACCESS_TOKEN);
    assert_eq!(endpoint.requests().len(), 3);
}

#[test]
fn retries_run_out() {
    let endpoint = FakeTokenEndpoint::start();
    for _ in 0..3 {
        endpoint.push(Answer::status(503));
    }
    let provider = app_only(&endpoint)
        .retry_policy(fast_retries().max_attempts(3))
        .build()
        .unwrap();
    let error = provider.access_token().unwrap_err();
    assert_eq!(error.entra_error().map(|e| e.status()), Some(503));
    assert_eq!(endpoint.requests().len(), 3);
}

#[test]
fn a_long_retry_after_ends_at_once() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::status(429).header("Retry-After", "3600"));
    let provider = app_only(&endpoint).build().unwrap();
    let error = provider.access_token().unwrap_err();
    let AuthError::RetryAfterTooLong {
        retry_after, cap, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*retry_after, Duration::from_secs(3600));
    assert_eq!(*cap, Duration::from_secs(60));
    assert_eq!(endpoint.requests().len(), 1);
}

#[test]
fn connection_failures_are_retried_then_reported() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let authority = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let provider = ClientCredentialsProvider::builder(TENANT, CLIENT_ID, CLIENT_SECRET)
        .authority(authority)
        .retry_policy(fast_retries().max_attempts(2))
        .build()
        .unwrap();
    let error = provider.access_token().unwrap_err();
    let AuthError::Transport { kind, url, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*kind, TransportErrorKind::Connect);
    assert!(url.ends_with("/oauth2/v2.0/token"), "{url}");
    assert!(std::error::Error::source(&error).is_some());
    assert_no_secret(&everything_about(&error));
}

#[test]
fn answers_that_are_not_tokens_are_refused() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::json(200, json!({"token_type": "Bearer"})));
    endpoint.push(Answer::json(
        200,
        json!({"token_type": "pop", "access_token": ACCESS_TOKEN}),
    ));
    endpoint.push(Answer::status(200).body("<html>sign in</html>"));
    let provider = app_only(&endpoint).build().unwrap();
    for expected in ["no access_token", "not Bearer", "not a token response"] {
        let error = provider.access_token().unwrap_err();
        assert!(
            matches!(error, AuthError::InvalidResponse { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains(expected), "{error}");
        assert_no_secret(&everything_about(&error));
    }
    assert_eq!(endpoint.requests().len(), 3);
}

#[test]
fn secrets_never_show_in_debug_display_errors_or_logs() {
    let records = records();
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::json(
        200,
        json!({
            "token_type": "Bearer",
            "expires_in": 1,
            "access_token": ACCESS_TOKEN,
            "refresh_token": ROTATED_REFRESH_TOKEN,
        }),
    ));
    endpoint.push(Answer::status(503));
    endpoint.push(Answer::json(
        400,
        json!({"error": "invalid_grant", "error_description": "AADSTS70008: expired"}),
    ));
    let builder = app_user(&endpoint);
    assert_no_secret(&format!("{builder:?}"));
    let provider = builder.build().unwrap();
    assert_no_secret(&format!("{provider:?}"));

    let token = provider.access_token().unwrap();
    assert_eq!(token.secret(), ACCESS_TOKEN);
    assert_no_secret(&format!("{token:?}"));
    assert_no_secret(&format!("{provider:?}"));

    // Through the client, the provider's error is the source of Error::Token.
    let client = Client::builder(provider)
        .base_url("http://127.0.0.1:9")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client
        .checkout(
            "28045616-f6b9-462f-9701-0d89b5e65c44",
            "3655b1a0-b1c9-4268-9824-577fdbc4d0be",
        )
        .unwrap_err();
    let text = everything_about(&error);
    assert!(text.contains("invalid_grant"), "{text}");
    assert_no_secret(&text);
    assert_no_secret(&format!("{client:?}"));

    let logged = records.all().join("\n");
    assert!(logged.contains("token request to"), "{logged}");
    assert_no_secret(&logged);

    let static_provider = StaticTokenProvider::new(ACCESS_TOKEN);
    assert_no_secret(&format!("{static_provider:?}"));
}

/// Runs in a child process whose environment names a dead proxy.
#[test]
fn proxy_variables_do_not_divert_a_loopback_authority() {
    if child::in_child() {
        let endpoint = FakeTokenEndpoint::start();
        let provider = app_only(&endpoint).build().unwrap();
        assert_eq!(provider.access_token().unwrap().secret(), "access-token-1");
        return;
    }
    child::run_in_proxied_child("auth::proxy_variables_do_not_divert_a_loopback_authority");
}

#[test]
fn plain_http_is_refused_beyond_loopback() {
    let error = ClientCredentialsProvider::builder(TENANT, CLIENT_ID, CLIENT_SECRET)
        .authority("http://login.microsoftonline.com")
        .build()
        .unwrap_err();
    assert!(matches!(error, AuthError::InvalidConfig(_)), "{error:?}");
    assert!(error.to_string().contains("authority"), "{error}");
}

#[test]
fn providers_serve_the_client_whole_boxed_or_shared() {
    let endpoint = FakeTokenEndpoint::start();
    let provider = app_only(&endpoint).build().unwrap();
    let boxed: Box<dyn TokenProvider> = Box::new(provider);
    assert!(boxed.token().is_ok());
    let shared = Arc::new(boxed);
    let _client = Client::new(shared.clone());
    assert!(shared.token().is_ok());
    assert_eq!(endpoint.requests().len(), 1);
}

#[test]
fn a_token_that_cannot_go_in_a_header_is_not_cached() {
    let endpoint = FakeTokenEndpoint::start();
    endpoint.push(Answer::token("eyJ0.first\r\nX-Injected: 1", 3600));
    let provider = app_only(&endpoint).build().unwrap();
    let error = provider.access_token().unwrap_err();
    assert!(
        matches!(error, AuthError::UnusableToken { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("eyJ0.first"), "{error}");
    // The bad token was not kept: the next call fetches a good one, which is.
    assert_eq!(provider.access_token().unwrap().secret(), "access-token-2");
    assert_eq!(provider.access_token().unwrap().secret(), "access-token-2");
    assert_eq!(endpoint.requests().len(), 2);
}

#[test]
fn token_requests_go_through_a_socks_proxy() {
    let endpoint = FakeTokenEndpoint::start();
    let socks = proxies::Socks5::start();
    let provider = app_only(&endpoint)
        .proxy(partner_center_cart::Proxy::url(&socks.url))
        .build()
        .unwrap();
    assert_eq!(provider.access_token().unwrap().secret(), "access-token-1");
    let port = endpoint.authority().rsplit(':').next().unwrap().to_owned();
    assert_eq!(socks.targets(), [format!("127.0.0.1:{port}")]);
}

#[cfg(unix)]
mod azure_cli {
    use super::*;
    use partner_center_cart::auth::{AzureCliProvider, EnvTokenProvider};
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};
    use std::time::{SystemTime, UNIX_EPOCH};

    /// Scripts are written and run one test at a time: a process forked by
    /// another test while a script is open for writing would make running
    /// it fail with "text file busy".
    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        static LOCK: Mutex<()> = Mutex::new(());
        LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh directory of its own for a test.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "partner-center-cart-auth-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Writes a fake `az` into `dir`: it appends its arguments to `calls`
    /// in `dir`, then runs `body`.
    fn fake_az(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("az");
        let calls = dir.join("calls");
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n{body}\n",
            calls.display()
        );
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn calls(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn epoch_in(seconds: u64) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + seconds
    }

    fn token_output(expires_on: Option<u64>) -> String {
        let mut output = json!({
            "accessToken": ACCESS_TOKEN,
            "expiresOn": "2030-01-01 10:00:00.000000",
            "subscription": "00000000-0000-0000-0000-000000000001",
            "tenant": "28045616-f6b9-462f-9701-0d89b5e65c44",
            "tokenType": "Bearer",
        });
        if let Some(expires_on) = expires_on {
            output["expires_on"] = json!(expires_on);
        }
        format!("cat <<'EOF'\n{output}\nEOF")
    }

    /// Runs in a child process whose `PATH` holds the fake `az`.
    #[test]
    fn the_azure_cli_provider_finds_az_on_path() {
        if super::child::in_child() {
            let provider = AzureCliProvider::builder().tenant(TENANT).build().unwrap();
            assert_eq!(provider.access_token().unwrap().secret(), ACCESS_TOKEN);
            assert_eq!(provider.token().unwrap().secret(), ACCESS_TOKEN);
            let default = AzureCliProvider::new();
            assert_eq!(default.access_token().unwrap().secret(), ACCESS_TOKEN);
            // The environment-variable provider reads the child's variable.
            let env = EnvTokenProvider::new("PCC_AUTH_TEST_TOKEN");
            assert_eq!(env.access_token().unwrap().secret(), "env-token-1");
            return;
        }
        let _guard = one_at_a_time();
        let dir = scratch_dir("path");
        fake_az(&dir, &token_output(Some(epoch_in(3600))));
        let path = format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        super::child::run_in_child(
            "auth::azure_cli::the_azure_cli_provider_finds_az_on_path",
            &[("PCC_AUTH_TEST_TOKEN", " env-token-1\n"), ("PATH", &path)],
            &[],
        );
        // Two providers ran az once each: the second call was cached.
        assert_eq!(
            calls(&dir),
            [
                format!(
                    "account get-access-token --resource https://api.partnercenter.microsoft.com --output json --tenant {TENANT}"
                ),
                "account get-access-token --resource https://api.partnercenter.microsoft.com --output json".to_owned(),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tokens_are_cached_until_near_their_epoch_expiry() {
        let _guard = one_at_a_time();
        let dir = scratch_dir("expiry");
        let soon = fake_az(&dir, &token_output(Some(epoch_in(120))));
        let provider = AzureCliProvider::builder()
            .program(&soon)
            .cloud(Cloud::China)
            .build()
            .unwrap();
        provider.access_token().unwrap();
        provider.access_token().unwrap();
        assert_eq!(
            calls(&dir).len(),
            2,
            "a 2-minute token is within the margin"
        );
        assert!(
            calls(&dir)[0]
                .contains("--resource https://partner.partnercenterapi.microsoftonline.cn")
        );

        let dir = scratch_dir("no-epoch");
        let old_cli = fake_az(&dir, &token_output(None));
        let provider = AzureCliProvider::builder()
            .program(&old_cli)
            .build()
            .unwrap();
        provider.access_token().unwrap();
        provider.access_token().unwrap();
        assert_eq!(calls(&dir).len(), 1, "held for a minute without expires_on");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn not_logged_in_says_run_az_login() {
        let _guard = one_at_a_time();
        let dir = scratch_dir("login");
        let az = fake_az(
            &dir,
            "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
        );
        let provider = AzureCliProvider::builder()
            .program(&az)
            .tenant(TENANT)
            .build()
            .unwrap();
        let error = provider.access_token().unwrap_err();
        assert!(
            matches!(error, AuthError::AzureCliNotLoggedIn { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "the Azure CLI is not logged in: run az login --tenant {TENANT} \
                 (az said: ERROR: Please run 'az login' to setup account.)"
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn other_failures_quote_stderr_but_never_the_token() {
        let _guard = one_at_a_time();
        let dir = scratch_dir("fail");
        let az = fake_az(
            &dir,
            &format!(
                "echo '{ACCESS_TOKEN}'\necho 'ERROR: AADSTS50076: multi-factor authentication required' >&2\nexit 2"
            ),
        );
        let provider = AzureCliProvider::builder().program(&az).build().unwrap();
        let error = provider.access_token().unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(error, AuthError::AzureCliFailed { .. }),
            "{error:?}"
        );
        assert!(text.contains("exit status: 2"), "{text}");
        assert!(text.contains("AADSTS50076"), "{text}");
        assert_no_secret(&everything_about(&error));

        let garbage = fake_az(&dir, &format!("echo 'token={ACCESS_TOKEN}'"));
        let provider = AzureCliProvider::builder()
            .program(&garbage)
            .build()
            .unwrap();
        let error = provider.access_token().unwrap_err();
        assert!(
            error.to_string().contains("printed no usable token"),
            "{error}"
        );
        assert_no_secret(&everything_about(&error));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_hung_cli_is_stopped() {
        let _guard = one_at_a_time();
        let dir = scratch_dir("hang");
        let az = fake_az(&dir, "exec sleep 30");
        let provider = AzureCliProvider::builder()
            .program(&az)
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let error = provider.access_token().unwrap_err();
        assert!(error.to_string().contains("did not finish"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Whether process `pid` has ended (or is a zombie), waiting up to 2 s.
    fn has_ended(pid: &str) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        loop {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit(')').next().unwrap_or_default().trim_start();
            if stat.is_empty() || state.starts_with('Z') {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn read_pid(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("pid"))
            .unwrap()
            .trim()
            .to_owned()
    }

    #[test]
    fn a_hung_cli_is_stopped_with_all_it_started() {
        let _guard = one_at_a_time();
        let dir = scratch_dir("hang-group");
        let az = fake_az(
            &dir,
            &format!(
                "sleep 30 &\necho $! > '{}'\nsleep 30",
                dir.join("pid").display()
            ),
        );
        let provider = AzureCliProvider::builder()
            .program(&az)
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let error = provider.access_token().unwrap_err();
        assert!(error.to_string().contains("did not finish"), "{error}");
        assert!(
            has_ended(&read_pid(&dir)),
            "the CLI's own child was left running"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_process_holding_the_output_does_not_stretch_the_timeout() {
        let _guard = one_at_a_time();
        let dir = scratch_dir("held-output");
        // az prints its token and exits, but leaves a process behind that
        // holds its standard output open for 6 s.
        let az = fake_az(
            &dir,
            &format!(
                "{}\nsleep 6 &\necho $! > '{}'",
                token_output(Some(epoch_in(3600))),
                dir.join("pid").display()
            ),
        );
        let provider = AzureCliProvider::builder()
            .program(&az)
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let token = provider.access_token();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(2500), "{took:?}");
        // What az printed before it exited is still its answer.
        assert_eq!(token.unwrap().secret(), ACCESS_TOKEN);
        assert!(
            has_ended(&read_pid(&dir)),
            "the process left behind still runs"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unusable_cli_token_is_not_cached() {
        let _guard = one_at_a_time();
        let dir = scratch_dir("bad-token");
        let count = dir.join("count");
        let good = token_output(Some(epoch_in(3600)));
        let bad = good.replace(ACCESS_TOKEN, "eyJ0.bad\\r\\nX-Injected: 1");
        let az = fake_az(
            &dir,
            &format!(
                "if [ -e '{count}' ]; then\n{good}\nelse\ntouch '{count}'\n{bad}\nfi",
                count = count.display()
            ),
        );
        let provider = AzureCliProvider::builder().program(&az).build().unwrap();
        let error = provider.access_token().unwrap_err();
        assert!(
            matches!(error, AuthError::UnusableToken { .. }),
            "{error:?}"
        );
        assert_eq!(provider.access_token().unwrap().secret(), ACCESS_TOKEN);
        assert_eq!(provider.access_token().unwrap().secret(), ACCESS_TOKEN);
        assert_eq!(calls(&dir).len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_cli_says_how_to_get_it() {
        let provider = AzureCliProvider::builder()
            .program("/nonexistent/partner-center-cart/az")
            .build()
            .unwrap();
        let error = provider.access_token().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the Azure CLI (/nonexistent/partner-center-cart/az) was not found: \
             install the Azure CLI or put az on PATH"
        );
    }
}
