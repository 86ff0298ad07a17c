//! This crate's log records, captured for tests to read. A process has one
//! logger, so the tests share this one, installed once.

#![allow(dead_code)]

use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;

/// A record: the thread that wrote it, its level, target and text.
type Record = (ThreadId, log::Level, String, String);

/// Every record of the process, whatever its target.
pub struct Records(Mutex<Vec<Record>>);

impl Records {
    /// The records of this crate's targets so far, from every thread, each
    /// as `LEVEL message`.
    pub fn all(&self) -> Vec<String> {
        let records = self.0.lock().unwrap_or_else(|e| e.into_inner());
        records
            .iter()
            .filter(|(_, _, target, _)| target.starts_with("partner_center_cart"))
            .map(|(_, level, _, text)| format!("{level} {text}"))
            .collect()
    }

    /// The records the calling thread wrote, of every target, as level,
    /// target and text: what a test's own calls logged, whatever the tests
    /// running beside it log.
    pub fn of_this_thread(&self) -> Vec<(log::Level, String, String)> {
        let this = std::thread::current().id();
        let records = self.0.lock().unwrap_or_else(|e| e.into_inner());
        records
            .iter()
            .filter(|(thread, ..)| *thread == this)
            .map(|(_, level, target, text)| (*level, target.clone(), text.clone()))
            .collect()
    }
}

impl log::Log for Records {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push((
            std::thread::current().id(),
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        ));
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
