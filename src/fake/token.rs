//! Tokens for the fake: unsigned JWTs with the claims a test chooses, and the
//! fake's check of the bearer tokens it is sent.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use super::Reply;
use crate::cloud::Cloud;
use crate::encoding::base64url::encode as base64url_encode;
use crate::token::AccessToken;

/// The tenant of a [`FakeToken`] unless one is set.
pub const FAKE_TENANT_ID: &str = "6a1e0b8e-55b5-4b8a-9ad6-0f4e9fbd7cf1";

/// The app of a [`FakeToken`] unless one is set.
pub const FAKE_APP_ID: &str = "0c4f2b9e-3c43-4f8e-a3d4-5b4c1f1a2e77";

/// The user of an app+user [`FakeToken`] unless one is set.
pub const FAKE_USER: &str = "admin@fakepartner.onmicrosoft.com";

/// An unsigned JWT with chosen claims, shaped like the v1 access tokens
/// Entra ID issues for Partner Center.
///
/// By default it is an app+user token for the global cloud's Partner Center
/// audience, from [`FAKE_TENANT_ID`] and [`FAKE_APP_ID`] for [`FAKE_USER`]
/// with the scope `user_impersonation`, signed in with multi-factor
/// authentication (`amr` is `["pwd", "mfa"]`), valid for an hour. The fake
/// accepts it; a token with another audience, or expired, it refuses with
/// 401 (code 900420 for the retired `graph.windows.net` audience), as
/// Partner Center does, and one without MFA too when told to
/// ([`require_mfa`](super::FakePartnerCenter::require_mfa)).
/// [`mint`](Self::mint) gives the token to hand a client:
///
/// ```
/// use partner_center_cart::fake::FakeToken;
/// use partner_center_cart::AccessToken;
///
/// let token = FakeToken::new().app_only().audience("https://graph.windows.net").mint();
/// let claims = AccessToken::new(token).claims().unwrap();
/// assert!(claims.is_app_only());
/// assert_eq!(claims.audience.as_deref(), Some("https://graph.windows.net"));
/// ```
///
/// The signature is a placeholder: nothing in the fake checks it, and the
/// real service would refuse it.
#[derive(Clone, PartialEq)]
pub struct FakeToken {
    claims: Map<String, Value>,
}

impl fmt::Debug for FakeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeToken")
            .field("claims", &self.claims)
            .finish()
    }
}

impl Default for FakeToken {
    fn default() -> Self {
        FakeToken::new()
    }
}

impl FakeToken {
    /// An app+user token that the fake accepts, valid for an hour.
    pub fn new() -> Self {
        let now = SystemTime::now();
        FakeToken { claims: Map::new() }
            .claim("aud", Cloud::Global.resource())
            .claim("iat", unix_secs(now))
            .claim("nbf", unix_secs(now))
            .expires_at(now + Duration::from_secs(3600))
            .app_id(FAKE_APP_ID)
            .claim("idtyp", "user")
            .claim("scp", "user_impersonation")
            .tenant_id(FAKE_TENANT_ID)
            .user(FAKE_USER)
            .claim("amr", ["pwd", "mfa"])
            .claim("ver", "1.0")
    }

    /// Makes it app-only: `idtyp` is `app`, and there is no user, no `scp`
    /// and no `amr`.
    pub fn app_only(self) -> Self {
        self.claim("idtyp", "app")
            .without("scp")
            .without("upn")
            .without("unique_name")
            .without("amr")
    }

    /// Makes the user's sign-in one without multi-factor authentication:
    /// `amr` is `["pwd"]`. Partner Center refuses such an app+user token
    /// with 401 and code 900421 since April 2026.
    pub fn without_mfa(self) -> Self {
        self.claim("amr", ["pwd"])
    }

    /// Sets the audience, `aud`.
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.claim("aud", audience.into())
    }

    /// Sets the tenant, `tid` (and the issuer to match).
    pub fn tenant_id(self, tenant_id: impl Into<String>) -> Self {
        let tenant_id = tenant_id.into();
        self.claim("iss", format!("https://sts.windows.net/{tenant_id}/"))
            .claim("tid", tenant_id)
    }

    /// Sets the app, `appid`.
    pub fn app_id(self, app_id: impl Into<String>) -> Self {
        self.claim("appid", app_id.into())
    }

    /// Sets the user, `upn` and `unique_name`.
    pub fn user(self, user: impl Into<String>) -> Self {
        let user = user.into();
        self.claim("upn", user.clone()).claim("unique_name", user)
    }

    /// Sets when it expires, `exp`; a time in the past makes it expired.
    pub fn expires_at(self, at: SystemTime) -> Self {
        self.claim("exp", unix_secs(at))
    }

    /// Sets any claim to any value that serializes as JSON.
    pub fn claim(mut self, name: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Leaves a claim out.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// The token: `header.payload.signature`, each part base64url.
    pub fn mint(&self) -> String {
        let header = br#"{"typ":"JWT","alg":"RS256","kid":"fake-partner-center"}"#;
        let payload = serde_json::to_vec(&self.claims).unwrap_or_default();
        format!(
            "{}.{}.{}",
            base64url_encode(header),
            base64url_encode(&payload),
            base64url_encode(b"unsigned: minted by the fake Partner Center"),
        )
    }
}

fn unix_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// The 401 the fake answers to a bearer token that is a JWT for another
/// audience, or expired; `None` for a token it accepts. Tokens that are not
/// JWTs (the opaque test tokens) are accepted, as a fake cannot tell.
pub(super) fn refusal(token: &str) -> Option<Reply> {
    let claims = AccessToken::new(token).claims()?;
    let audience = Cloud::Global.resource();
    let stated = claims.audience.as_deref().unwrap_or_default();
    let (code, problem) = if RETIRED_AUDIENCES
        .iter()
        .any(|retired| stated.trim_end_matches('/').eq_ignore_ascii_case(retired))
    {
        (
            Some(900_420),
            format!("The token's audience {stated:?} was retired: request one for {audience}."),
        )
    } else if claims.audience.as_deref() != Some(audience) {
        (
            None,
            format!("The token's audience {stated:?} is not {audience}."),
        )
    } else if claims.expires_at.is_none_or(|at| at <= SystemTime::now()) {
        (None, "The token has expired.".to_owned())
    } else {
        return None;
    };
    let mut body = serde_json::json!({ "description": problem, "data": [], "source": "PartnerFD" });
    if let Some(code) = code {
        body["code"] = code.into();
    }
    Some(unauthorized(&body))
}

/// The audiences of the retired Azure AD Graph, refused with 900420.
const RETIRED_AUDIENCES: [&str; 2] = [
    "https://graph.windows.net",
    "https://graph.chinacloudapi.cn",
];

/// A 401 with this body and the service's `WWW-Authenticate`.
fn unauthorized(body: &serde_json::Value) -> Reply {
    Reply::json(401, body).header(
        "WWW-Authenticate",
        "OAuth realm=\"urn:cpsvc:cpid:fake-partner-center\", error=\"invalid_token\"",
    )
}

/// The 401 with code 900421 the fake answers, when it requires MFA, to an
/// app+user JWT whose `amr` claim lacks `mfa`; `None` for any other token
/// (app-only tokens need no MFA, and opaque ones cannot be read).
pub(super) fn mfa_refusal(token: &str) -> Option<Reply> {
    let claims = AccessToken::new(token).claims()?;
    if claims.is_app_only() || claims.has_mfa() {
        return None;
    }
    Some(unauthorized(&serde_json::json!({
        "code": crate::model::MFA_REQUIRED,
        "description": "App+User calls require multi-factor authentication; the token carries no MFA claim.",
        "data": [],
        "source": "PartnerFD",
    })))
}

/// The 403 the fake answers when an app-only JWT asks for what Partner
/// Center serves only to app+user tokens, such as provisioning status.
pub(super) fn app_only_refusal(token: &str) -> Option<Reply> {
    let claims = AccessToken::new(token).claims()?;
    claims.is_app_only().then(|| {
        Reply::json(
            403,
            &serde_json::json!({
                "description": "This operation needs an app+user token; app-only tokens are not accepted.",
                "data": [],
                "source": "PartnerFD",
            }),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_carry_their_claims() {
        let claims = AccessToken::new(FakeToken::new().mint()).claims().unwrap();
        assert_eq!(claims.audience.as_deref(), Some(Cloud::Global.resource()));
        assert_eq!(claims.user.as_deref(), Some(FAKE_USER));
        assert_eq!(claims.scopes, ["user_impersonation"]);
        assert!(!claims.is_app_only());
        assert!(refusal(&FakeToken::new().mint()).is_none());
        assert!(refusal("opaque-test-token").is_none());

        let app = AccessToken::new(FakeToken::new().app_only().tenant_id("t").mint())
            .claims()
            .unwrap();
        assert!(app.is_app_only());
        assert_eq!((app.user, app.tenant_id.as_deref()), (None, Some("t")));
    }

    #[test]
    fn the_wrong_audience_and_expired_tokens_are_refused() {
        let graph = FakeToken::new()
            .audience("https://graph.windows.net")
            .mint();
        let expired = FakeToken::new()
            .expires_at(SystemTime::now() - Duration::from_secs(60))
            .mint();
        let no_expiry = FakeToken::new().without("exp").mint();
        for token in [graph, expired, no_expiry] {
            assert_eq!(refusal(&token).map(|reply| reply.status), Some(401));
        }
    }

    /// The service error code of a reply's JSON body.
    fn code(reply: &Reply) -> Option<i64> {
        match &reply.body {
            super::super::Body::Bytes(bytes) => serde_json::from_slice::<Value>(bytes)
                .ok()?
                .get("code")?
                .as_i64(),
            super::super::Body::Repeated { .. } => None,
        }
    }

    #[test]
    fn the_graph_audience_is_refused_with_900420() {
        let graph = FakeToken::new()
            .audience("https://graph.windows.net/")
            .mint();
        assert_eq!(refusal(&graph).as_ref().and_then(code), Some(900_420));
        let other = FakeToken::new().audience("https://example.com").mint();
        assert_eq!(refusal(&other).as_ref().and_then(code), None);
    }

    #[test]
    fn only_app_user_tokens_without_mfa_are_refused_for_it() {
        let without = FakeToken::new().without_mfa().mint();
        let reply = mfa_refusal(&without).expect("refused");
        assert_eq!((reply.status, code(&reply)), (401, Some(900_421)));
        assert!(mfa_refusal(&FakeToken::new().without("amr").mint()).is_some());
        assert!(mfa_refusal(&FakeToken::new().mint()).is_none());
        assert!(mfa_refusal(&FakeToken::new().app_only().mint()).is_none());
        assert!(mfa_refusal("opaque-test-token").is_none());
    }
}
