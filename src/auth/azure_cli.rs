//! Tokens from the Azure CLI: `az account get-access-token`, for tools run
//! by a person who has signed in with `az login`.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::cache::{DEFAULT_REFRESH_MARGIN, Fetched, TokenCache};
use super::entra::seconds;
use super::{AccessToken, TokenProvider};
use crate::cloud::Cloud;
use crate::error::AuthError;
use crate::error::kind::BoxError;
use crate::model::strip_bom;
use crate::text::snippet;

/// The default time the CLI gets to answer.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The most of the CLI's standard output or error that is read.
const MAX_OUTPUT_BYTES: u64 = 1024 * 1024;

/// How much of the CLI's standard error an error quotes.
const STDERR_CHARS: usize = 300;

/// How often a running CLI is checked on.
const POLL: Duration = Duration::from_millis(20);

/// The program run by default: `az`, or `az.cmd` on Windows, found on `PATH`.
fn default_program() -> PathBuf {
    PathBuf::from(if cfg!(windows) { "az.cmd" } else { "az" })
}

/// Tokens from the Azure CLI of the signed-in user.
///
/// Each refresh runs
/// `az account get-access-token --resource <resource> --output json`
/// (with `--tenant <tenant>` when one is set) as a program with its
/// arguments, never through a shell. The token's expiry comes from the
/// output's `expires_on` (seconds since the Unix epoch, given by Azure CLI
/// 2.54 and later); older CLIs give only `expiresOn` in local time with no
/// zone, so their tokens are reused for one minute and then asked for again.
/// The token is cached until the [refresh margin](AzureCliBuilder::refresh_margin)
/// before it expires, and one thread runs the CLI while the others wait.
///
/// ```no_run
/// use partner_center_cart::Client;
/// use partner_center_cart::auth::AzureCliProvider;
///
/// let client = Client::new(AzureCliProvider::new());
/// # let _ = client;
/// ```
pub struct AzureCliProvider {
    program: PathBuf,
    resource: String,
    tenant: Option<String>,
    timeout: Duration,
    cache: TokenCache,
}

impl fmt::Debug for AzureCliProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCliProvider")
            .field("program", &self.program)
            .field("resource", &self.resource)
            .field("tenant", &self.tenant)
            .field("timeout", &self.timeout)
            .field("refresh_margin", &self.cache.margin())
            .finish_non_exhaustive()
    }
}

impl Default for AzureCliProvider {
    fn default() -> Self {
        AzureCliProvider::new()
    }
}

/// Builds an [`AzureCliProvider`].
///
/// Defaults: `az` from `PATH` (`az.cmd` on Windows), the global cloud's
/// resource, the CLI's default tenant, a 60-second timeout and a 5-minute
/// refresh margin.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until built"]
pub struct AzureCliBuilder {
    program: PathBuf,
    resource: String,
    tenant: Option<String>,
    timeout: Duration,
    margin: Duration,
}

impl Default for AzureCliBuilder {
    fn default() -> Self {
        AzureCliBuilder {
            program: default_program(),
            resource: Cloud::Global.resource().to_owned(),
            tenant: None,
            timeout: DEFAULT_TIMEOUT,
            margin: DEFAULT_REFRESH_MARGIN,
        }
    }
}

impl AzureCliBuilder {
    /// Sets the program to run: a path, or a name looked up on `PATH`.
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// Sets the resource to a cloud's. The CLI must be set to that cloud
    /// too (`az cloud set`).
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.resource = cloud.resource().to_owned();
        self
    }

    /// Sets the resource (`--resource`) the token is for.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = resource.into();
        self
    }

    /// Asks for a token of this tenant (`--tenant`), a tenant ID or domain
    /// name, instead of the CLI's default one.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Sets how long a run of the CLI may take, until its output is read
    /// whole, even when a process it started holds that output open. At the
    /// timeout the CLI is stopped with every process it started (its process
    /// group on Unix, its process tree on Windows). Defaults to 60 seconds;
    /// `Duration::MAX` means no timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how long before its expiry a token is replaced. Defaults to
    /// 5 minutes. A token the CLI hands out with less time left than the
    /// margin is asked for anew at every call.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Checks the settings and builds the provider. The CLI is not run yet.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidConfig`] when the resource or tenant is empty,
    /// holds anything but visible ASCII, or starts with `-` (which the CLI
    /// would take for an option), or when the timeout is zero.
    pub fn build(self) -> Result<AzureCliProvider, AuthError> {
        let arg_ok = |value: &str| {
            !value.is_empty()
                && !value.starts_with('-')
                && value.len() <= 512
                && value.bytes().all(|b| b.is_ascii_graphic())
        };
        if !arg_ok(&self.resource) {
            return Err(AuthError::invalid_config(
                "the resource must be visible ASCII with no spaces and must not start with -",
            ));
        }
        if self.tenant.as_deref().is_some_and(|tenant| !arg_ok(tenant)) {
            return Err(AuthError::invalid_config(
                "the tenant must be visible ASCII with no spaces and must not start with -",
            ));
        }
        if self.timeout.is_zero() {
            return Err(AuthError::invalid_config(
                "the timeout must be longer than zero",
            ));
        }
        Ok(self.into_provider())
    }

    /// The provider, from settings known to be valid.
    fn into_provider(self) -> AzureCliProvider {
        AzureCliProvider {
            program: self.program,
            resource: self.resource,
            tenant: self.tenant,
            timeout: self.timeout,
            cache: TokenCache::new(self.margin),
        }
    }
}

impl AzureCliProvider {
    /// A provider with the default settings: `az` from `PATH`, the global
    /// cloud's resource.
    pub fn new() -> Self {
        AzureCliBuilder::default().into_provider()
    }

    /// A builder for a provider with other settings.
    pub fn builder() -> AzureCliBuilder {
        AzureCliBuilder::default()
    }

    /// The cached token, or a new one from the CLI when it is stale.
    ///
    /// # Errors
    ///
    /// - [`AuthError::AzureCliNotFound`] when the program is not found:
    ///   install the Azure CLI or put `az` on `PATH`.
    /// - [`AuthError::AzureCliNotLoggedIn`] when the CLI asks for `az login`.
    /// - [`AuthError::AzureCliFailed`] when it cannot be started, exits with
    ///   an error, runs past the timeout, or prints no token.
    pub fn access_token(&self) -> Result<AccessToken, AuthError> {
        self.cache.get(|| self.fetch())
    }

    fn program_name(&self) -> String {
        self.program.display().to_string()
    }

    fn fetch(&self) -> Result<Fetched, AuthError> {
        let mut args: Vec<OsString> = ["account", "get-access-token", "--resource"]
            .into_iter()
            .map(OsString::from)
            .collect();
        args.push(self.resource.clone().into());
        args.extend(["--output", "json"].map(OsString::from));
        if let Some(tenant) = &self.tenant {
            args.push("--tenant".into());
            args.push(tenant.clone().into());
        }
        let (status, stdout, stderr) = self.run(&args)?;
        if !status.success() {
            let stderr = snippet(&String::from_utf8_lossy(&stderr), STDERR_CHARS);
            if stderr.to_ascii_lowercase().contains("az login") {
                let login = match &self.tenant {
                    Some(tenant) => format!("az login --tenant {tenant}"),
                    None => "az login".to_owned(),
                };
                return Err(AuthError::AzureCliNotLoggedIn { login, stderr });
            }
            let said = if stderr.is_empty() {
                "nothing".to_owned()
            } else {
                stderr
            };
            return Err(self.failed(format!("failed with {status}: it said {said}"), None));
        }
        parse_output(&stdout, SystemTime::now())
            .map_err(|problem| self.failed(format!("printed no usable token: {problem}"), None))
    }

    fn failed(&self, problem: String, source: Option<io::Error>) -> AuthError {
        AuthError::AzureCliFailed {
            program: self.program_name(),
            problem,
            source: source.map(|error| Arc::new(error) as _),
        }
    }

    /// Runs the CLI to its end or to the timeout, and returns its exit
    /// status, standard output and standard error.
    ///
    /// The timeout bounds everything: the CLI itself, and the reading of its
    /// output, which a process it started may hold open after it exits. On
    /// Unix the CLI runs in a process group of its own, and at the timeout
    /// the whole group is stopped (on Windows, the whole process tree), so
    /// that nothing it started is left running.
    fn run(&self, args: &[OsString]) -> Result<(ExitStatus, Vec<u8>, Vec<u8>), AuthError> {
        // A timeout too long to add to the clock means no deadline.
        let deadline = Instant::now().checked_add(self.timeout);
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => AuthError::AzureCliNotFound {
                program: self.program_name(),
            },
            _ => self.failed("could not be started".to_owned(), Some(error)),
        })?;
        let (sender, outputs) = mpsc::channel();
        read_in_background(child.stdout.take(), 0, sender.clone());
        read_in_background(child.stderr.take(), 1, sender);
        let status = self.wait(&mut child, deadline)?;

        let mut output: [Option<Vec<u8>>; 2] = [None, None];
        let mut stopped = false;
        while output.iter().any(Option::is_none) {
            let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            let received = match left {
                None => outputs.recv().ok(),
                Some(left) if !stopped => outputs.recv_timeout(left).ok(),
                // Once the group is stopped, its pipes close at once.
                Some(_) => outputs.recv_timeout(POLL * 10).ok(),
            };
            match received {
                Some((index, bytes)) => output[index] = Some(bytes),
                None if !stopped => {
                    log::warn!(
                        target: crate::logging::LOG_TARGET,
                        "{} exited, but what it started still held its output at the {:?} timeout; stopping them",
                        self.program_name(),
                        self.timeout,
                    );
                    stop_all(&mut child);
                    stopped = true;
                }
                None => {
                    return Err(self.failed(
                        format!(
                            "exited, but its output was still held open after {:?}",
                            self.timeout
                        ),
                        None,
                    ));
                }
            }
        }
        let [stdout, stderr] = output.map(Option::unwrap_or_default);
        Ok((status, stdout, stderr))
    }

    /// Waits for the CLI until `deadline`, then stops it and all it started.
    fn wait(&self, child: &mut Child, deadline: Option<Instant>) -> Result<ExitStatus, AuthError> {
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if deadline.is_some_and(|deadline| Instant::now() >= deadline) => {
                    stop_all(child);
                    let _ = child.wait();
                    return Err(self.failed(
                        format!("did not finish within {:?} and was stopped", self.timeout),
                        None,
                    ));
                }
                Ok(None) => thread::sleep(POLL),
                Err(error) => {
                    stop_all(child);
                    return Err(self.failed("could not be waited for".to_owned(), Some(error)));
                }
            }
        }
    }
}

/// Stops the CLI and every process it started: its process group on Unix
/// (it leads one, see `run`), its process tree on Windows. The standard
/// library can signal only the direct child, so the system's own tool
/// does it; the direct child is stopped in any case.
fn stop_all(child: &mut Child) {
    let id = child.id().to_string();
    let mut command = if cfg!(windows) {
        let mut command = Command::new("taskkill");
        command.args(["/PID", &id, "/T", "/F"]);
        command
    } else {
        let mut command = Command::new("kill");
        command.args(["-KILL", "--", &format!("-{id}")]);
        command
    };
    let _ = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
}

/// Reads a pipe on a thread of its own, so that neither pipe can fill up
/// and stall the CLI, and sends what it read, tagged with `index`; past the
/// cap the rest is read and dropped.
fn read_in_background(
    pipe: Option<impl Read + Send + 'static>,
    index: usize,
    done: mpsc::Sender<(usize, Vec<u8>)>,
) {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.by_ref().take(MAX_OUTPUT_BYTES).read_to_end(&mut bytes);
            let _ = io::copy(&mut pipe, &mut io::sink());
        }
        let _ = done.send((index, bytes));
    });
}

/// Reads the CLI's JSON output. The problem it returns never quotes the
/// output, which holds the token.
fn parse_output(stdout: &[u8], now: SystemTime) -> Result<Fetched, String> {
    let output: serde_json::Value = serde_json::from_slice(strip_bom(stdout))
        .map_err(|error| format!("its output is not JSON ({error})"))?;
    let token = output
        .get("accessToken")
        .and_then(serde_json::Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or("its output has no accessToken")?;
    if let Some(kind) = output
        .get("tokenType")
        .and_then(serde_json::Value::as_str)
        .filter(|kind| !kind.eq_ignore_ascii_case("bearer"))
    {
        return Err(format!(
            "its token type is {:?}, not Bearer",
            snippet(kind, 40)
        ));
    }
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let expires_in = output
        .get("expires_on")
        .and_then(seconds)
        .map(|expires_on| Duration::from_secs(expires_on.saturating_sub(now)));
    Ok(Fetched {
        token: AccessToken::new(token),
        expires_in,
    })
}

impl TokenProvider for AzureCliProvider {
    fn token(&self) -> Result<AccessToken, BoxError> {
        Ok(self.access_token()?)
    }

    /// Drops the refused token from the cache, if it is still there, so
    /// that the next call runs the CLI again.
    fn token_refused(&self, token: &AccessToken) {
        self.cache.forget(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn output_with_an_epoch_expiry() {
        let output = format!(
            r#"{{"accessToken":"eyJ0.abc","expiresOn":"2023-11-14 23:13:20.000000",
                "expires_on":{},"subscription":"s","tenant":"t","tokenType":"Bearer"}}"#,
            NOW + 3000
        );
        let fetched = parse_output(output.as_bytes(), at(NOW)).unwrap();
        assert_eq!(fetched.token.secret(), "eyJ0.abc");
        assert_eq!(fetched.expires_in, Some(Duration::from_secs(3000)));
        let output = format!(r#"{{"accessToken":"a","expires_on":"{}"}}"#, NOW - 5);
        let fetched = parse_output(output.as_bytes(), at(NOW)).unwrap();
        assert_eq!(fetched.expires_in, Some(Duration::ZERO));
    }

    #[test]
    fn output_without_an_epoch_expiry_has_no_known_lifetime() {
        let output = br#"{"accessToken":"a","expiresOn":"2023-11-14 23:13:20.000000"}"#;
        assert_eq!(parse_output(output, at(NOW)).unwrap().expires_in, None);
    }

    #[test]
    fn bad_output_is_described_without_quoting_it() {
        for (output, problem) in [
            (&b"not json eyJ0.secret"[..], "not JSON"),
            (br#"{"accessToken":""}"#, "no accessToken"),
            (br#"{"token":"eyJ0.secret"}"#, "no accessToken"),
            (
                br#"{"accessToken":"eyJ0.secret","tokenType":"pop"}"#,
                "not Bearer",
            ),
        ] {
            let error = parse_output(output, at(NOW)).err().unwrap();
            assert!(error.contains(problem), "{error}");
            assert!(!error.contains("secret"), "{error}");
        }
    }

    #[test]
    fn builds_check_their_settings() {
        assert!(
            AzureCliProvider::builder()
                .tenant("contoso.com")
                .build()
                .is_ok()
        );
        for builder in [
            AzureCliProvider::builder().tenant("--debug"),
            AzureCliProvider::builder().tenant(""),
            AzureCliProvider::builder().resource("a b"),
            AzureCliProvider::builder().timeout(Duration::ZERO),
        ] {
            assert!(matches!(builder.build(), Err(AuthError::InvalidConfig(_))));
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_timeout_is_no_deadline() {
        let provider = AzureCliProvider::builder()
            .program("true")
            .timeout(Duration::MAX)
            .build()
            .unwrap();
        let error = provider.access_token().unwrap_err();
        assert!(error.to_string().contains("not JSON"), "{error}");
    }

    #[test]
    fn a_missing_program_says_how_to_fix_it() {
        let provider = AzureCliProvider::builder()
            .program("/nonexistent/partner-center-cart-test/az")
            .build()
            .unwrap();
        let error = provider.access_token().unwrap_err();
        assert!(
            matches!(error, AuthError::AzureCliNotFound { .. }),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("install the Azure CLI or put az on PATH"),
            "{error}"
        );
    }
}
