//! What a token says about itself: the claims of a JWT's payload, read
//! without checking its signature.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::encoding::base64url;

/// The longest token whose claims are read, in bytes. Entra ID's tokens are
/// a few kilobytes; a longer string is refused before any decoding.
pub(crate) const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// The claims of an access token that tell whether it suits Partner Center:
/// who it is for, from which tenant and app, for whom, until when, and with
/// which rights.
///
/// Get them with [`AccessToken::claims`](crate::AccessToken::claims). They
/// are read from the token **without verifying its signature** (a client has
/// no keys to verify it with), so they say what the token claims, not what
/// Partner Center will accept: use them to diagnose a set-up, never to
/// decide whom to trust.
///
/// Claims are not secrets, and the token itself is never kept here, so the
/// `Debug` output shows them all (text escaped, the expiry in seconds since
/// the Unix epoch).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TokenClaims {
    /// `aud`: the resource the token is for, such as
    /// `https://api.partnercenter.microsoft.com`. Of a list, the first.
    pub audience: Option<String>,
    /// `tid`: the tenant that issued the token.
    pub tenant_id: Option<String>,
    /// `appid` (v1 tokens) or `azp` (v2 tokens): the app that asked for it.
    pub app_id: Option<String>,
    /// `upn` or `unique_name`: the signed-in user of an app+user token.
    pub user: Option<String>,
    /// `exp`: when the token expires.
    pub expires_at: Option<SystemTime>,
    /// `scp`, split on spaces: the delegated permissions of an app+user
    /// token, such as `user_impersonation`.
    pub scopes: Vec<String>,
    /// `roles`: the application permissions (or the user's app roles).
    pub roles: Vec<String>,
    /// `idtyp`: `app` or `user` when the token says so (an optional claim).
    pub identity_type: Option<String>,
    /// `amr`: how the user signed in, such as `pwd` and `mfa`; empty for
    /// app-only tokens. Since April 2026 Partner Center refuses App+User
    /// calls whose token lacks `mfa` here (401, code 900421).
    pub auth_methods: Vec<String>,
}

impl TokenClaims {
    /// Whether the token is app-only, with no signed-in user: its `idtyp`
    /// is `app`, or it carries `roles` and no `scp`.
    ///
    /// App-only tokens cannot do what Partner Center reserves for app+user
    /// tokens, such as reading an order's provisioning status.
    pub fn is_app_only(&self) -> bool {
        self.identity_type.as_deref() == Some("app")
            || (!self.roles.is_empty() && self.scopes.is_empty())
    }

    /// Whether the user signed in with multi-factor authentication: the
    /// `amr` claim holds `mfa`. Partner Center refuses an App+User token
    /// without it (401, code 900421) since April 2026; app-only tokens carry
    /// no `amr` and need none.
    pub fn has_mfa(&self) -> bool {
        self.auth_methods
            .iter()
            .any(|method| method.eq_ignore_ascii_case("mfa"))
    }

    /// Reads the claims of a compact JWS (`header.payload.signature`), or
    /// `None` when `token` is not one.
    pub(crate) fn from_jwt(token: &str) -> Option<TokenClaims> {
        if token.len() > MAX_TOKEN_BYTES {
            return None;
        }
        let mut segments = token.split('.');
        let (header, payload, _signature) = (segments.next()?, segments.next()?, segments.next()?);
        if segments.next().is_some() {
            return None;
        }
        // The header must be a JSON object too, or this is no JWT.
        serde_json::from_slice::<Map<String, Value>>(&base64url::decode(header)?).ok()?;
        let claims =
            serde_json::from_slice::<Map<String, Value>>(&base64url::decode(payload)?).ok()?;
        Some(TokenClaims::from_map(&claims))
    }

    fn from_map(claims: &Map<String, Value>) -> TokenClaims {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let audience = match claims.get("aud") {
            Some(Value::Array(list)) => list.first().and_then(Value::as_str).map(str::to_owned),
            _ => text("aud"),
        };
        let texts = |name: &str| match claims.get(name) {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        TokenClaims {
            audience,
            tenant_id: text("tid"),
            app_id: text("appid").or_else(|| text("azp")),
            user: text("upn").or_else(|| text("unique_name")),
            expires_at: claims.get("exp").and_then(numeric_date),
            scopes: text("scp")
                .map(|scp| {
                    scp.split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            roles: texts("roles"),
            identity_type: text("idtyp"),
            auth_methods: texts("amr"),
        }
    }
}

/// A JWT `NumericDate`: seconds since the Unix epoch, maybe with a fraction.
fn numeric_date(value: &Value) -> Option<SystemTime> {
    let since_epoch = match value.as_u64() {
        Some(secs) => Duration::from_secs(secs),
        None => Duration::try_from_secs_f64(value.as_f64()?).ok()?,
    };
    UNIX_EPOCH.checked_add(since_epoch)
}

impl fmt::Debug for TokenClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expires_at = self
            .expires_at
            .map(|at| match at.duration_since(UNIX_EPOCH) {
                Ok(since) => since.as_secs().to_string(),
                Err(_) => "before 1970".to_owned(),
            });
        f.debug_struct("TokenClaims")
            .field("audience", &self.audience)
            .field("tenant_id", &self.tenant_id)
            .field("app_id", &self.app_id)
            .field("user", &self.user)
            .field("expires_at", &expires_at)
            .field("scopes", &self.scopes)
            .field("roles", &self.roles)
            .field("identity_type", &self.identity_type)
            .field("auth_methods", &self.auth_methods)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccessToken;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJl",
            base64url::encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            base64url::encode(payload.as_bytes())
        )
    }

    #[test]
    fn v1_delegated_token() {
        let token = jwt(r#"{
            "aud": "https://api.partnercenter.microsoft.com",
            "iss": "https://sts.windows.net/6a1e0b8e-55b5-4b8a-9ad6-0f4e9fbd7cf1/",
            "exp": 1764000000, "ver": "1.0",
            "tid": "6a1e0b8e-55b5-4b8a-9ad6-0f4e9fbd7cf1",
            "appid": "0c4f2b9e-3c43-4f8e-a3d4-5b4c1f1a2e77",
            "unique_name": "admin@contoso.onmicrosoft.com",
            "scp": "user_impersonation  offline_access"
        }"#);
        let claims = AccessToken::new(token).claims().unwrap();
        assert_eq!(
            claims.audience.as_deref(),
            Some("https://api.partnercenter.microsoft.com")
        );
        assert_eq!(
            claims.tenant_id.as_deref(),
            Some("6a1e0b8e-55b5-4b8a-9ad6-0f4e9fbd7cf1")
        );
        assert_eq!(
            claims.app_id.as_deref(),
            Some("0c4f2b9e-3c43-4f8e-a3d4-5b4c1f1a2e77")
        );
        assert_eq!(
            claims.user.as_deref(),
            Some("admin@contoso.onmicrosoft.com")
        );
        assert_eq!(
            claims.expires_at,
            Some(UNIX_EPOCH + Duration::from_secs(1_764_000_000))
        );
        assert_eq!(claims.scopes, ["user_impersonation", "offline_access"]);
        assert!(claims.roles.is_empty());
        assert!(!claims.is_app_only());
        assert!(claims.auth_methods.is_empty());
        assert!(!claims.has_mfa());
    }

    #[test]
    fn the_amr_claim_tells_whether_the_user_signed_in_with_mfa() {
        let with_mfa = jwt(r#"{"scp":"user_impersonation","amr":["pwd","mfa"]}"#);
        let claims = AccessToken::new(with_mfa).claims().unwrap();
        assert_eq!(claims.auth_methods, ["pwd", "mfa"]);
        assert!(claims.has_mfa());
        for payload in [
            r#"{"scp":"user_impersonation","amr":["pwd"]}"#,
            r#"{"scp":"user_impersonation","amr":"mfa"}"#,
            r#"{"scp":"user_impersonation","amr":[1, null]}"#,
            r#"{"scp":"user_impersonation"}"#,
        ] {
            let claims = AccessToken::new(jwt(payload)).claims().unwrap();
            assert!(!claims.has_mfa(), "{payload}");
        }
    }

    #[test]
    fn v2_app_only_tokens() {
        let with_roles = jwt(
            r#"{"aud":"https://api.partnercenter.microsoft.com","ver":"2.0",
            "azp":"0c4f2b9e-3c43-4f8e-a3d4-5b4c1f1a2e77","roles":["Partner.Read", 7],"exp":1764000000.5}"#,
        );
        let claims = AccessToken::new(with_roles).claims().unwrap();
        assert_eq!(
            claims.app_id.as_deref(),
            Some("0c4f2b9e-3c43-4f8e-a3d4-5b4c1f1a2e77")
        );
        assert_eq!(claims.roles, ["Partner.Read"]);
        assert_eq!(claims.user, None);
        assert_eq!(
            claims.expires_at,
            Some(UNIX_EPOCH + Duration::from_millis(1_764_000_000_500))
        );
        assert!(claims.is_app_only());

        let by_idtyp =
            jwt(r#"{"aud":["https://api.partnercenter.microsoft.com"],"idtyp":"app","upn":"x@y"}"#);
        let claims = AccessToken::new(by_idtyp).claims().unwrap();
        assert_eq!(
            claims.audience.as_deref(),
            Some("https://api.partnercenter.microsoft.com")
        );
        assert!(claims.is_app_only());

        // Roles beside delegated scopes are a user's app roles.
        let user_roles = jwt(r#"{"roles":["Admin"],"scp":"user_impersonation","upn":"a@b"}"#);
        let claims = AccessToken::new(user_roles).claims().unwrap();
        assert_eq!(claims.user.as_deref(), Some("a@b"));
        assert!(!claims.is_app_only());
    }

    #[test]
    fn what_is_not_a_jwt_gives_none() {
        let header = base64url::encode(br#"{"alg":"none"}"#);
        let payload = base64url::encode(br#"{"aud":"x"}"#);
        let too_long = format!("{header}.{}.", "A".repeat(MAX_TOKEN_BYTES));
        for token in [
            "",
            "opaque-test-token",
            "a.b",
            "...",
            &format!("{header}.{payload}"),
            &format!("{header}.{payload}.s.t.u"),
            &format!("{header}.{payload}!.s"),
            &format!("{header}.{payload}A.s"),
            &format!("{header}.{}.s", base64url::encode(b"not json")),
            &format!("{header}.{}.s", base64url::encode(b"[1,2]")),
            &format!("{}.{payload}.s", base64url::encode(b"\"text\"")),
            &format!("{header}.{}.s", base64url::encode(b"{\"aud\":\xff}")),
            &too_long,
        ] {
            assert_eq!(AccessToken::new(token).claims(), None, "{token:.80}");
        }
        // Claims of the wrong type are left out, not fatal.
        let odd = jwt(r#"{"aud":5,"exp":-1,"scp":["a"],"roles":"r","tid":null}"#);
        assert_eq!(AccessToken::new(odd).claims(), Some(TokenClaims::default()));
        // An empty signature is still a JWT: nothing is verified.
        assert!(
            AccessToken::new(format!("{header}.{payload}."))
                .claims()
                .is_some()
        );
    }

    #[test]
    fn debug_shows_claims_escaped() {
        let claims = AccessToken::new(jwt(r#"{"upn":"a\u001b[31m@b","exp":10}"#))
            .claims()
            .unwrap();
        let text = format!("{claims:?}");
        assert!(text.contains(r#"user: Some("a\u{1b}[31m@b")"#), "{text}");
        assert!(text.contains(r#"expires_at: Some("10")"#), "{text}");
    }
}
