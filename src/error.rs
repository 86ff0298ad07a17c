//! The details an [`Error`](crate::Error) carries: the identity of the call
//! ([`CallInfo`]), the service's refusal ([`ServiceError`]), what failed
//! below HTTP ([`TransportErrorKind`]), a refused ID ([`InvalidId`]), and
//! the boxed source errors of token providers and stores ([`BoxError`]).
//!
//! `Error` itself is at the crate root. The fault body the service sends is a
//! model type: [`model::ApiFault`](crate::model::ApiFault).

pub use crate::error_kind::{BoxError, TransportErrorKind};
pub use crate::failure::{CallInfo, ServiceError};
pub use crate::ids::InvalidId;
