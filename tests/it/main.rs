//! The integration tests: one binary, a module for each public surface.
//! `tests/README.md` maps the modules and says where a new test goes.

mod common;

mod auth;
mod carts;
mod catalog;
mod checkout;
mod hostile;
mod journal;
mod orders_and_wait;
mod retries;
mod tools;
mod wire;
