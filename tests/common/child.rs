//! Running a test again in a child process whose environment names a dead
//! proxy in every proxy variable, to show that loopback traffic ignores them
//! (the tests cannot change their own environment safely).

/// Set in the child's environment; the test does its real work when it sees it.
const CHILD_FLAG: &str = "PCC_PROXIED_CHILD";

/// Whether this process is the child.
pub fn in_proxied_child() -> bool {
    std::env::var_os(CHILD_FLAG).is_some()
}

/// Runs the test named `test` of this test binary in a child process with
/// the proxy variables set, and asserts that it ran and passed.
pub fn run_in_proxied_child(test: &str) {
    let dead_proxy = "http://127.0.0.1:9";
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--test-threads=1"])
        .env(CHILD_FLAG, "1")
        .env("HTTP_PROXY", dead_proxy)
        .env("HTTPS_PROXY", dead_proxy)
        .env("ALL_PROXY", dead_proxy)
        .env("http_proxy", dead_proxy)
        .env("https_proxy", dead_proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
