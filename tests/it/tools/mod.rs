//! The example tools and what a partner's own tool relies on: `purchase`,
//! `bulk` (killed and resumed, several workers on one batch), the doctor,
//! `fake_server`.

mod bulk;
mod crash;
mod doctor;
mod examples;
mod tool;
mod workers;
