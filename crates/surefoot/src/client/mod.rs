//! The generic client: the builder and its options (`handle`, `configure`), one call and its
//! send loop (`request`), raw calls of other HTTP libraries (`raw`), the answer (`response`), lazy pagination (`pagination`) and the
//! client's counters (`metrics`). Knows no API by name: an API profile plugs in from above.

pub mod builder;
pub mod configure;
pub mod exchange;
pub mod handle;
pub mod metrics;
pub mod pagination;
pub mod raw;
pub mod request;
pub mod response;
pub mod send;
