//! What goes over the wire: the documented shapes, what the real service
//! does, and the log records of each attempt.

mod fidelity;
mod logging;
mod shapes;
