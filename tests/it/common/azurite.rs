//! A real Azure Blob Storage for the tests: Azurite, the storage emulator,
//! found on PATH or in `target/azurite`, or installed there with npm once,
//! started on a free loopback port with a data folder of its own, and
//! stopped when the test process ends, however it ends.
//!
//! Where npm itself is missing, [`azurite`] says how to run the tests and
//! gives `None`, and the tests that need it return early; with
//! `REQUIRE_AZURITE=1` (as in `.ci/run`) that is a failure instead.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The version installed when none is found: the last that runs on Node 20.
pub const VERSION: &str = "3.35.0";

/// The development account, and its key, which Azurite's README publishes.
pub const ACCOUNT: &str = "devstoreaccount1";
const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The API version the SAS are signed for.
const SAS_VERSION: &str = "2021-08-06";

/// An Azurite that runs while the test process does.
pub struct Azurite {
    /// `http://127.0.0.1:PORT/devstoreaccount1`.
    pub account_url: String,
    /// Closing it (when the process ends) stops Azurite.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

/// The Azurite of this test process, started on first use; `None` when npm
/// is missing and `REQUIRE_AZURITE` is not set.
pub fn azurite() -> Option<&'static Azurite> {
    static AZURITE: OnceLock<Option<Azurite>> = OnceLock::new();
    AZURITE.get_or_init(start).as_ref()
}

/// A new, empty container of the test process's Azurite, as a container
/// URL with a SAS that grants `racwl`; `None` as for [`azurite`].
pub fn container() -> Option<String> {
    let azurite = azurite()?;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "journal-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    azurite.create_container(&name);
    Some(azurite.container_url(&name, "racwl"))
}

impl Azurite {
    /// Creates a container, with an account SAS.
    pub fn create_container(&self, name: &str) {
        let expiry = "2099-01-01T00:00:00Z";
        let (permissions, services, types) = ("rwlc", "b", "sco");
        let to_sign = format!(
            "{ACCOUNT}\n{permissions}\n{services}\n{types}\n\n{expiry}\n\n\n{SAS_VERSION}\n\n"
        );
        let sas = format!(
            "sv={SAS_VERSION}&ss={services}&srt={types}&sp={permissions}&se={}&sig={}",
            percent(expiry),
            percent(&sign(&to_sign))
        );
        let url = format!("{}/{name}?restype=container&{sas}", self.account_url);
        let (status, body) = put(&url);
        assert_eq!(status, 201, "creating container {name}: {body}");
    }

    /// A container SAS URL for `container` with `permissions`.
    pub fn container_url(&self, container: &str, permissions: &str) -> String {
        let expiry = "2099-01-01T00:00:00Z";
        let resource = format!("/blob/{ACCOUNT}/{container}");
        // sp, st, se, resource, si, sip, spr, sv, sr, snapshot, ses,
        // rscc, rscd, rsce, rscl, rsct.
        let to_sign =
            format!("{permissions}\n\n{expiry}\n{resource}\n\n\n\n{SAS_VERSION}\nc\n\n\n\n\n\n\n");
        format!(
            "{}/{container}?sv={SAS_VERSION}&se={}&sr=c&sp={permissions}&sig={}",
            self.account_url,
            percent(expiry),
            percent(&sign(&to_sign))
        )
    }
}

/// Finds or installs Azurite, and starts it.
fn start() -> Option<Azurite> {
    let required = std::env::var_os("REQUIRE_AZURITE").is_some_and(|value| value == "1");
    let Some(program) = find_or_install() else {
        let message = "npm is missing, so the tests that need Azure Storage (Azurite) \
                       did not run; install Node.js and npm (apt-get install nodejs npm) \
                       and run `cargo test --all-features` again";
        assert!(!required, "REQUIRE_AZURITE=1: {message}");
        say(&format!("SKIPPED: {message}"));
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port();
    let data = std::env::temp_dir().join(format!("pcc-azurite-{}-{port}", std::process::id()));
    fs::create_dir_all(&data).expect("Azurite's data folder");
    let log = data.with_extension("log");
    // The shell starts Azurite, waits for its own standard input to close
    // (when this process ends, killed or not), then stops it and removes
    // its data.
    let script = r#"
        "$0" --blobHost 127.0.0.1 --blobPort "$1" --location "$2" \
            --skipApiVersionCheck --disableTelemetry --silent >"$3" 2>&1 &
        pid=$!
        cat >/dev/null
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rm -rf "$2" "$3"
    "#;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(&program)
        .arg(port.to_string())
        .arg(&data)
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh to start Azurite");
    let stdin = child.stdin.take().expect("Azurite's standard input");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            let output = fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "Azurite ({}) did not listen on port {port} within 60 s:\n{output}",
                program.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Azurite {
        account_url: format!("http://127.0.0.1:{port}/{ACCOUNT}"),
        _stdin: Mutex::new(stdin),
        _child: Mutex::new(child),
    })
}

/// `azurite-blob` on PATH or under `target/azurite`, or installed there
/// with npm (once, under a lock, however many test processes ask); `None`
/// when npm is missing.
fn find_or_install() -> Option<PathBuf> {
    if let Some(found) = on_path("azurite-blob") {
        return Some(found);
    }
    let prefix = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("azurite");
    let installed = prefix
        .join("node_modules")
        .join(".bin")
        .join("azurite-blob");
    if installed.exists() {
        return Some(installed);
    }
    on_path("npm")?;
    fs::create_dir_all(&prefix).expect("target/azurite");
    let lock = File::create(prefix.with_extension("lock")).expect("target/azurite.lock");
    lock.lock().expect("the lock on target/azurite.lock");
    if !installed.exists() {
        eprintln!(
            "installing Azurite {VERSION} into {} with npm, once",
            prefix.display()
        );
        let output = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("azurite@{VERSION}"))
            .stdin(Stdio::null())
            .output()
            .expect("npm to run");
        assert!(
            output.status.success() && installed.exists(),
            "npm install azurite@{VERSION} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Some(installed)
}

/// Writes a line to standard error past the test harness's capture, so
/// that it shows even when the test passes.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A program on PATH.
fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Clears the metadata of blob `name` in the container at `container_url`
/// (with its SAS), as a writer that died before it set them leaves them.
pub fn clear_metadata(container_url: &str, name: &str) {
    let (container, sas) = container_url.split_once('?').expect("a SAS");
    let (status, answer) = put(&format!("{container}/{name}?comp=metadata&{sas}"));
    assert_eq!(status, 200, "{answer}");
}

/// A PUT with an empty body over a plain socket: its status and body.
fn put(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("a loopback URL");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = TcpStream::connect(host).expect("Azurite answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nx-ms-version: {SAS_VERSION}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// The base64 HMAC-SHA256 of `text` with the account key.
fn sign(text: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &base64_decode(ACCOUNT_KEY));
    base64_encode(ring::hmac::sign(&key, text.as_bytes()).as_ref())
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

fn base64_decode(text: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    let (mut n, mut bits) = (0u32, 0);
    for c in text.bytes().take_while(|c| *c != b'=') {
        let value = ALPHABET.iter().position(|a| *a == c).expect("base64") as u32;
        n = n << 6 | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((n >> bits) as u8);
        }
    }
    bytes
}

/// Percent-encodes a query value.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
