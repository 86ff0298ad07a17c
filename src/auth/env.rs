//! Choosing a token provider from environment variables, the ones the
//! `checkout` example reads too.

use super::{AzureCliProvider, ClientCredentialsProvider, RefreshTokenProvider};
use super::{StaticTokenProvider, TokenProvider};
use crate::cloud::Cloud;
use crate::error::AuthError;
pub(crate) use crate::http::Lookup;
use crate::logging::LOG_TARGET;

/// A bearer token, used as it is.
pub(crate) const TOKEN: &str = super::EnvTokenProvider::DEFAULT_VARIABLE;
/// The tenant (ID or domain) of the app's credentials.
pub(crate) const TENANT: &str = "PARTNER_CENTER_TENANT";
/// The app's client ID.
pub(crate) const CLIENT_ID: &str = "PARTNER_CENTER_CLIENT_ID";
/// The app's client secret.
pub(crate) const CLIENT_SECRET: &str = "PARTNER_CENTER_CLIENT_SECRET";
/// A refresh token of the secure application model.
pub(crate) const REFRESH_TOKEN: &str = "PARTNER_CENTER_REFRESH_TOKEN";
/// Names the provider when the others leave it open: `az`, `static`, `app`
/// or `refresh`.
pub(crate) const AUTH: &str = "PARTNER_CENTER_AUTH";
/// `global`, `usgov` or `china`.
pub(crate) const CLOUD: &str = "PARTNER_CENTER_CLOUD";
/// The API's base URL, over the cloud's.
pub(crate) const BASE_URL: &str = "PARTNER_CENTER_BASE_URL";
/// How long Partner Center may take to list a new order, in seconds.
pub(crate) const ORDER_LIST_LAG: &str = "PARTNER_CENTER_ORDER_LIST_LAG_SECONDS";

/// Picks a token provider from the environment variables that the
/// [`auth`](super#from-the-environment) module's table lists (all but
/// `PARTNER_CENTER_BASE_URL`, which only
/// [`Client::from_env`](crate::Client::from_env) reads). White space around
/// a value is dropped, and a token or secret with white space inside is
/// refused.
///
/// The app+user provider made here logs a warning when Entra ID rotates the
/// refresh token; to store the new one, build a [`RefreshTokenProvider`]
/// with [`on_refresh_token_rotated`](super::EntraBuilder::on_refresh_token_rotated).
///
/// ```no_run
/// use partner_center_cart::{Client, auth};
///
/// # fn main() -> Result<(), partner_center_cart::Error> {
/// let client = Client::new(auth::from_env()?);
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`AuthError::InvalidConfig`] that names the variables to set when none
/// of the table's rows is complete, when the token and app credentials are
/// both set without `PARTNER_CENTER_AUTH`, or when a variable holds a value
/// that cannot be used; [`AuthError::EnvVar`] naming the variable when it is
/// not valid Unicode or a token or secret holds white space inside; the
/// provider's own error when it refuses its settings. No error quotes a
/// secret.
pub fn from_env() -> Result<Box<dyn TokenProvider>, AuthError> {
    provider_from(&|name| std::env::var_os(name))
}

/// [`from_env`] over any lookup.
pub(crate) fn provider_from(lookup: Lookup<'_>) -> Result<Box<dyn TokenProvider>, AuthError> {
    Ok(match choose(lookup)? {
        Chosen::Static(provider) => Box::new(provider),
        Chosen::App(provider) => Box::new(provider),
        Chosen::User(provider) => Box::new(provider),
        Chosen::AzureCli(provider) => Box::new(provider),
    })
}

/// The provider the variables chose.
#[derive(Debug)]
enum Chosen {
    Static(StaticTokenProvider),
    App(ClientCredentialsProvider),
    User(RefreshTokenProvider),
    AzureCli(AzureCliProvider),
}

fn choose(lookup: Lookup<'_>) -> Result<Chosen, AuthError> {
    let token = secret_var(lookup, TOKEN)?;
    let secret = secret_var(lookup, CLIENT_SECRET)?;
    let refresh_token = secret_var(lookup, REFRESH_TOKEN)?;
    let app_set = secret.is_some() || refresh_token.is_some();
    let auth = match var(lookup, AUTH)? {
        Some(auth) => auth.trim().to_ascii_lowercase(),
        None if token.is_some() && app_set => {
            return Err(config(format!(
                "both {TOKEN} and app credentials ({CLIENT_SECRET} or {REFRESH_TOKEN}) are set: \
                 set {AUTH} to static or {} to choose",
                if refresh_token.is_some() {
                    "refresh"
                } else {
                    "app"
                }
            )));
        }
        None if token.is_some() => "static".to_owned(),
        None if refresh_token.is_some() => "refresh".to_owned(),
        None if secret.is_some() => "app".to_owned(),
        None => return Err(config(NOTHING_SET.to_owned())),
    };
    let cloud = cloud(lookup)?;
    let tenant = var(lookup, TENANT)?;
    let client_id = || var(lookup, CLIENT_ID)?.ok_or_else(|| missing(CLIENT_ID, &auth));
    let tenant_for = |auth: &str| tenant.clone().ok_or_else(|| missing(TENANT, auth));
    Ok(match auth.as_str() {
        "static" => Chosen::Static(StaticTokenProvider::new(
            token.ok_or_else(|| missing(TOKEN, "static"))?,
        )),
        "app" => {
            let tenant = tenant_for("app")?;
            let secret = secret.ok_or_else(|| missing(CLIENT_SECRET, "app"))?;
            Chosen::App(
                ClientCredentialsProvider::builder(tenant, client_id()?, secret)
                    .cloud(cloud)
                    .build()?,
            )
        }
        "refresh" => {
            let tenant = tenant_for("refresh")?;
            let refresh_token = refresh_token.ok_or_else(|| missing(REFRESH_TOKEN, "refresh"))?;
            let builder = match secret {
                Some(secret) => {
                    RefreshTokenProvider::builder(tenant, client_id()?, secret, refresh_token)
                }
                // A public (native) app registration has no secret.
                None => RefreshTokenProvider::public_client(tenant, client_id()?, refresh_token),
            };
            Chosen::User(
                builder
                    .cloud(cloud)
                    .on_refresh_token_rotated(|_| {
                        log::warn!(
                            target: LOG_TARGET,
                            "Entra ID rotated the refresh token from {REFRESH_TOKEN}; the new one \
                             is used until this process ends but not stored"
                        );
                    })
                    .build()?,
            )
        }
        "az" => {
            let mut builder = AzureCliProvider::builder().cloud(cloud);
            if let Some(tenant) = tenant {
                builder = builder.tenant(tenant);
            }
            Chosen::AzureCli(builder.build()?)
        }
        _ => {
            return Err(config(format!("{AUTH} must be az, static, app or refresh")));
        }
    })
}

/// What to set when nothing is.
const NOTHING_SET: &str = "no Partner Center credentials in the environment: set \
     PARTNER_CENTER_TOKEN to a token; or PARTNER_CENTER_TENANT, PARTNER_CENTER_CLIENT_ID and \
     PARTNER_CENTER_CLIENT_SECRET for app-only tokens, plus PARTNER_CENTER_REFRESH_TOKEN for \
     app+user tokens; or PARTNER_CENTER_AUTH=az for the Azure CLI's signed-in account";

/// The cloud `PARTNER_CENTER_CLOUD` names, `Global` when unset.
pub(crate) fn cloud(lookup: Lookup<'_>) -> Result<Cloud, AuthError> {
    match var(lookup, CLOUD)?
        .map(|name| name.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("global") => Ok(Cloud::Global),
        Some("usgov") => Ok(Cloud::UsGov),
        Some("china") => Ok(Cloud::China),
        Some(_) => Err(config(format!("{CLOUD} must be global, usgov or china"))),
    }
}

/// A variable's value, trimmed of surrounding white space; `None` when it
/// is unset or blank.
pub(crate) fn var(lookup: Lookup<'_>, name: &str) -> Result<Option<String>, AuthError> {
    match lookup(name) {
        None => Ok(None),
        Some(value) => match value.into_string() {
            Ok(text) if text.trim().is_empty() => Ok(None),
            Ok(text) => Ok(Some(text.trim().to_owned())),
            Err(_) => Err(AuthError::EnvVar {
                name: name.to_owned(),
                problem: "is not valid Unicode",
            }),
        },
    }
}

/// A token or secret held by a variable, as [`var`] reads it.
fn secret_var(lookup: Lookup<'_>, name: &str) -> Result<Option<String>, AuthError> {
    var(lookup, name)?
        .map(|text| secret_text(name, &text))
        .transpose()
}

/// A token or secret read from the variable `name`: trimmed of surrounding
/// white space (a newline left by a file or a shell is common), and refused
/// when white space remains inside, which no token holds and which would
/// fail every call. The error never quotes the value.
pub(crate) fn secret_text(name: &str, text: &str) -> Result<String, AuthError> {
    let text = text.trim();
    if text.contains(char::is_whitespace) {
        return Err(AuthError::EnvVar {
            name: name.to_owned(),
            problem: "holds white space inside its value, which no token or secret has",
        });
    }
    Ok(text.to_owned())
}

fn missing(name: &str, auth: &str) -> AuthError {
    config(format!(
        "{name} is not set, and the {} credentials need it",
        match auth {
            "static" => "token",
            "app" => "app-only",
            "refresh" => "app+user",
            _ => "chosen",
        }
    ))
}

fn config(message: String) -> AuthError {
    AuthError::InvalidConfig(message)
}

/// A lookup in a table of variables, for tests.
#[cfg(test)]
pub(crate) fn lookup_in(
    vars: &[(&str, &str)],
) -> impl Fn(&str) -> Option<std::ffi::OsString> + use<> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    move |name| {
        vars.iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| std::ffi::OsString::from(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(vars: &[(&str, &str)]) -> Result<String, AuthError> {
        choose(&lookup_in(vars)).map(|provider| format!("{provider:?}"))
    }

    fn refused(vars: &[(&str, &str)]) -> String {
        match choose(&lookup_in(vars)) {
            Ok(provider) => panic!("{vars:?} gave {provider:?}"),
            Err(error) => error.to_string(),
        }
    }

    const APP: [(&str, &str); 3] = [
        (TENANT, "contoso.onmicrosoft.com"),
        (CLIENT_ID, "4f1c0b2e-7d8a-4c1e-9b2f-3a6d5e8c7b10"),
        (CLIENT_SECRET, "s3cret-value"),
    ];

    #[test]
    fn each_set_of_variables_picks_its_provider() {
        let token = chosen(&[(TOKEN, "eyJ0eXAi")]).unwrap();
        assert!(token.starts_with("Static(StaticTokenProvider"), "{token}");
        assert!(!token.contains("eyJ0eXAi"), "{token}");

        let app = chosen(&APP).unwrap();
        assert!(app.starts_with("App(ClientCredentialsProvider"), "{app}");
        assert!(app.contains("login.microsoftonline.com"), "{app}");

        let mut user = APP.to_vec();
        user.push((REFRESH_TOKEN, "0.refresh"));
        let user = chosen(&user).unwrap();
        assert!(user.starts_with("User(RefreshTokenProvider"), "{user}");

        let az = chosen(&[(AUTH, "az"), (TENANT, "contoso.onmicrosoft.com")]).unwrap();
        assert!(az.starts_with("AzureCli(AzureCliProvider"), "{az}");

        let mut china = APP.to_vec();
        china.push((CLOUD, "China"));
        let china = chosen(&china).unwrap();
        assert!(
            china.contains("login.partner.microsoftonline.cn"),
            "{china}"
        );

        for secret in ["eyJ0eXAi", "s3cret-value", "0.refresh"] {
            assert!(!app.contains(secret) && !user.contains(secret), "{secret}");
        }
    }

    #[test]
    fn nothing_set_names_the_variables_to_set() {
        for vars in [&[][..], &[(TOKEN, "  "), (TENANT, "")][..]] {
            let message = refused(vars);
            for name in [TOKEN, TENANT, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, AUTH] {
                assert!(message.contains(name), "{name}: {message}");
            }
        }
    }

    #[test]
    fn incomplete_or_unclear_settings_say_what_is_missing() {
        let message = refused(&[(CLIENT_SECRET, "s3cret-value"), (TENANT, "contoso.com")]);
        assert!(message.contains(CLIENT_ID), "{message}");
        assert!(!message.contains("s3cret"), "{message}");

        let message = refused(&[(REFRESH_TOKEN, "0.refresh"), (CLIENT_ID, "c")]);
        assert!(message.contains(TENANT), "{message}");
        // Without a secret, the refresh token is a public client's.
        let public = chosen(&[
            (REFRESH_TOKEN, "0.refresh"),
            (TENANT, "contoso.onmicrosoft.com"),
            (CLIENT_ID, "4f1c0b2e-7d8a-4c1e-9b2f-3a6d5e8c7b10"),
        ])
        .unwrap();
        assert!(public.starts_with("User(RefreshTokenProvider"), "{public}");
        assert!(!public.contains("0.refresh"), "{public}");

        let mut both = APP.to_vec();
        both.push((TOKEN, "eyJ0eXAi"));
        let message = refused(&both);
        assert!(message.contains(AUTH), "{message}");
        both.push((AUTH, "app"));
        assert!(chosen(&both).unwrap().starts_with("App("));

        let message = refused(&[(AUTH, "eyJ-not-a-mode"), (TOKEN, "x")]);
        assert!(
            message.contains(AUTH) && !message.contains("eyJ"),
            "{message}"
        );

        let message = refused(&[(TOKEN, "x"), (CLOUD, "mars")]);
        assert!(message.contains(CLOUD), "{message}");
    }

    #[test]
    fn a_value_that_is_not_unicode_is_named() {
        #[cfg(unix)]
        {
            use std::ffi::OsString;
            use std::os::unix::ffi::OsStringExt;
            let lookup = |name: &str| (name == TOKEN).then(|| OsString::from_vec(vec![0xff, 0xfe]));
            let error = choose(&lookup).unwrap_err();
            assert!(error.to_string().contains(TOKEN), "{error}");
        }
    }

    #[test]
    fn tokens_are_trimmed_and_refused_with_white_space_inside() {
        let Chosen::Static(provider) = choose(&lookup_in(&[(TOKEN, " eyJ0eXAi\r\n")])).unwrap()
        else {
            panic!("not the static provider");
        };
        assert_eq!(provider.token().unwrap().secret(), "eyJ0eXAi");

        for (name, value) in [
            (TOKEN, "eyJ0 eXAi"),
            (TOKEN, "eyJ0\neXAi\n"),
            (CLIENT_SECRET, "s3cret\tvalue"),
            (REFRESH_TOKEN, "0.refresh\u{a0}token"),
        ] {
            let mut vars = APP.to_vec();
            vars.retain(|(set, _)| *set != name);
            vars.extend([(name, value), (AUTH, "static")]);
            let error = choose(&lookup_in(&vars)).unwrap_err();
            assert!(matches!(error, AuthError::EnvVar { .. }), "{error:?}");
            let message = error.to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains("white space inside"), "{message}");
            assert!(!message.contains(value.trim()), "{message}");
        }
    }
}
