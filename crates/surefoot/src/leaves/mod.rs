//! The leaves: what every other layer may use and which uses no other module of the crate —
//! response-header parsing (`Retry-After`, rate-limit headers, request ids), the tolerant
//! model helpers, secret masking and redaction, and the poison-tolerant lock.

pub mod headers;
pub mod model;
pub mod secret;
pub mod sync;
