//! Where this crate's log records go.

/// The `log` target of every record this crate writes.
pub(crate) const LOG_TARGET: &str = "partner_center_cart";
