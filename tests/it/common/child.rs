//! Running a test again in a child process with a changed environment (the
//! tests cannot change their own environment safely).

use std::ffi::OsStr;

/// Set in the child's environment; the test does its real work when it sees it.
const CHILD_FLAG: &str = "PCC_TEST_CHILD";

/// Whether this process is such a child.
pub fn in_child() -> bool {
    std::env::var_os(CHILD_FLAG).is_some()
}

/// Runs the test named `test` of this test binary in a child process with
/// `vars` set and `removed` unset, and asserts that it ran and passed.
pub fn run_in_child(test: &str, vars: &[(&str, &str)], removed: &[&str]) {
    let vars: Vec<(&str, &OsStr)> = vars
        .iter()
        .map(|(name, value)| (*name, OsStr::new(value)))
        .collect();
    run_in_child_os(test, &vars, removed);
}

/// [`run_in_child`] with values that need not be UTF-8.
pub fn run_in_child_os(test: &str, vars: &[(&str, &OsStr)], removed: &[&str]) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", test, "--test-threads=1"])
        .env(CHILD_FLAG, "1");
    for (name, value) in vars {
        command.env(name, value);
    }
    for name in removed {
        command.env_remove(name);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs the test named `test` in a child process whose environment names a
/// dead proxy in every proxy variable, to show that loopback traffic
/// ignores them.
pub fn run_in_proxied_child(test: &str) {
    let dead_proxy = "http://127.0.0.1:9";
    run_in_child(
        test,
        &[
            ("HTTP_PROXY", dead_proxy),
            ("HTTPS_PROXY", dead_proxy),
            ("ALL_PROXY", dead_proxy),
            ("http_proxy", dead_proxy),
            ("https_proxy", dead_proxy),
        ],
        &["NO_PROXY", "no_proxy"],
    );
}
