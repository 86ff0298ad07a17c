//! Choosing a token provider from command-line options, for the examples.
//!
//! [`provider_from_args`] takes these options out of the argument list and
//! leaves the rest to the example:
//!
//! - `--auth static|env|app|refresh|az` (default `env`);
//! - `--tenant <tenant ID or domain>`: needed by `app` and `refresh`,
//!   optional for `az`; also read from `PARTNER_CENTER_TENANT`;
//! - `--client-id <app ID>`: needed by `app` and `refresh`; also read from
//!   `PARTNER_CENTER_CLIENT_ID`;
//! - `--cloud global|usgov|china` (default `global`).
//!
//! Secrets come from the environment only, never from the command line,
//! where other users of the machine could see them: see [`SECRETS`].

use partner_center_cart::auth::{
    AzureCliProvider, ClientCredentialsProvider, EnvTokenProvider, RefreshTokenProvider,
    StaticTokenProvider,
};
use partner_center_cart::{Cloud, TokenProvider};

/// The variable that holds a token for `--auth static` and `--auth env`.
pub const TOKEN_VARIABLE: &str = "PARTNER_CENTER_TOKEN";

/// The variable that holds the app's client secret.
pub const CLIENT_SECRET_VARIABLE: &str = "PARTNER_CENTER_CLIENT_SECRET";

/// The variable that holds the refresh token for `--auth refresh`.
pub const REFRESH_TOKEN_VARIABLE: &str = "PARTNER_CENTER_REFRESH_TOKEN";

/// The options, for an example's usage text.
pub const USAGE: &str = "[--auth static|env|app|refresh|az] [--tenant <tenant>] \
                         [--client-id <app ID>] [--cloud global|usgov|china]";

/// Where each kind of credential comes from, for an example's usage text.
pub const SECRETS: &str = "Credentials by --auth:
  env (default)  PARTNER_CENTER_TOKEN, read at every call
  static         PARTNER_CENTER_TOKEN, read once
  app            --tenant, --client-id and PARTNER_CENTER_CLIENT_SECRET
  refresh        --tenant, --client-id, PARTNER_CENTER_CLIENT_SECRET and PARTNER_CENTER_REFRESH_TOKEN
  az             the Azure CLI's signed-in account (az login), --tenant optional";

/// The provider the options chose, and the cloud, which also decides the
/// API's base URL.
pub struct ChosenAuth {
    pub provider: Box<dyn TokenProvider>,
    pub cloud: Cloud,
    /// What was chosen, in words, with no secret.
    pub description: String,
    /// The tenant given with `--tenant` or `PARTNER_CENTER_TENANT`.
    pub tenant: Option<String>,
}

/// Takes the provider options out of `args` and builds the provider.
///
/// # Errors
///
/// A message for the user when an option is unknown or lacks its value, or
/// when a credential the provider needs is missing.
pub fn provider_from_args(args: &mut Vec<String>) -> Result<ChosenAuth, String> {
    let auth = take_option(args, "--auth")?.unwrap_or_else(|| "env".to_owned());
    let tenant = take_option(args, "--tenant")?.or_else(|| env("PARTNER_CENTER_TENANT"));
    let client_id = take_option(args, "--client-id")?.or_else(|| env("PARTNER_CENTER_CLIENT_ID"));
    let cloud = match take_option(args, "--cloud")?.as_deref() {
        None | Some("global") => Cloud::Global,
        Some("usgov") => Cloud::UsGov,
        Some("china") => Cloud::China,
        Some(other) => {
            return Err(format!(
                "unknown cloud {other:?}: use global, usgov or china"
            ));
        }
    };
    let need = |value: Option<String>, what: &str| {
        value.ok_or_else(|| format!("--auth {auth} needs {what}"))
    };

    let (provider, description): (Box<dyn TokenProvider>, String) = match auth.as_str() {
        "env" => (
            Box::new(EnvTokenProvider::new(TOKEN_VARIABLE)),
            format!("the token in {TOKEN_VARIABLE}"),
        ),
        "static" => {
            let token = need(env(TOKEN_VARIABLE), TOKEN_VARIABLE)?;
            (
                Box::new(StaticTokenProvider::new(token)),
                format!("the token {TOKEN_VARIABLE} held at start"),
            )
        }
        "app" => {
            let tenant = need(tenant.clone(), "--tenant")?;
            let client_id = need(client_id, "--client-id")?;
            let secret = need(env(CLIENT_SECRET_VARIABLE), CLIENT_SECRET_VARIABLE)?;
            let provider = ClientCredentialsProvider::builder(&tenant, &client_id, secret)
                .cloud(cloud)
                .build()
                .map_err(|error| error.to_string())?;
            (
                Box::new(provider),
                format!("app-only tokens of app {client_id} in tenant {tenant}"),
            )
        }
        "refresh" => {
            let tenant = need(tenant.clone(), "--tenant")?;
            let client_id = need(client_id, "--client-id")?;
            let secret = need(env(CLIENT_SECRET_VARIABLE), CLIENT_SECRET_VARIABLE)?;
            let refresh_token = need(env(REFRESH_TOKEN_VARIABLE), REFRESH_TOKEN_VARIABLE)?;
            let provider =
                RefreshTokenProvider::builder(&tenant, &client_id, secret, refresh_token)
                    .cloud(cloud)
                    .on_refresh_token_rotated(|_| {
                        eprintln!(
                            "note: Entra ID rotated the refresh token; a real tool would store \
                             the new one now (it is not printed)"
                        );
                    })
                    .build()
                    .map_err(|error| error.to_string())?;
            (
                Box::new(provider),
                format!("app+user tokens of app {client_id} in tenant {tenant}"),
            )
        }
        "az" => {
            let mut builder = AzureCliProvider::builder().cloud(cloud);
            if let Some(tenant) = &tenant {
                builder = builder.tenant(tenant);
            }
            let provider = builder.build().map_err(|error| error.to_string())?;
            let description = match &tenant {
                Some(tenant) => format!("the Azure CLI's tokens for tenant {tenant}"),
                None => "the Azure CLI's tokens".to_owned(),
            };
            (Box::new(provider), description)
        }
        other => {
            return Err(format!(
                "unknown --auth {other:?}: use static, env, app, refresh or az"
            ));
        }
    };
    Ok(ChosenAuth {
        provider,
        cloud,
        description,
        tenant,
    })
}

/// A variable's value, if it is set and not blank.
fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Removes `--name value` or `--name=value` from `args` and returns the
/// value; the last one wins when the option is given twice.
fn take_option(args: &mut Vec<String>, name: &str) -> Result<Option<String>, String> {
    let mut value = None;
    let mut i = 0;
    while i < args.len() {
        if args[i] == name {
            if i + 1 >= args.len() {
                return Err(format!("{name} needs a value"));
            }
            value = Some(args.remove(i + 1));
            args.remove(i);
        } else if let Some(inline) = args[i]
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
        {
            value = Some(inline.to_owned());
            args.remove(i);
        } else {
            i += 1;
        }
    }
    Ok(value)
}
