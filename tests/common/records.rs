//! This crate's log records, captured for tests to read. A process has one
//! logger, so each test binary that uses this installs it once.

#![allow(dead_code)]

use std::sync::{Mutex, OnceLock};

/// The records of this crate's targets, each as `LEVEL message`.
pub struct Records(Mutex<Vec<String>>);

impl Records {
    /// Every record so far.
    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl log::Log for Records {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        if record.target().starts_with("partner_center_cart") {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("{} {}", record.level(), record.args()));
        }
    }

    fn flush(&self) {}
}

/// The process's logger, installed on first use at every level.
pub fn records() -> &'static Records {
    static RECORDS: OnceLock<&'static Records> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let records: &'static Records = Box::leak(Box::new(Records(Mutex::new(Vec::new()))));
        log::set_logger(records).expect("the only logger");
        log::set_max_level(log::LevelFilter::Trace);
        records
    })
}
