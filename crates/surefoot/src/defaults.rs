//! Every default of surefoot in one place, the same on every surface (Rust, C, Python, the
//! CLI): what a client, a list walk and a bulk run do when the caller says nothing. The
//! values are defined where their rule lives (retry policy, client configuration, bulk
//! rules) and gathered here; docs/guide/defaults.md is their table, checked against this
//! module by the tests. The CLI differs only where that page gives the reason.

pub use crate::bulk::rules::{
    DEFAULT_CONCURRENCY as CREATE_MANY_CONCURRENCY,
    DEFAULT_EXPORT_CONCURRENCY as EXPORT_CONCURRENCY, DEFAULT_ROUNDS as BULK_ROUNDS,
    MAX_CONCURRENCY as BULK_MAX_CONCURRENCY,
};
pub use crate::client::{
    DEFAULT_MAX_RESPONSE_BYTES as MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRY_WAIT as MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT as TIMEOUT,
};
pub use crate::pagination::LIMIT_RANGE;
pub use crate::retry::DEFAULT_MAX_RETRIES as MAX_RETRIES;

/// The retry policy in force by default: [`MAX_RETRIES`], backoff from 1 s doubling up to
/// 20 s (jittered), waits above [`MAX_RETRY_WAIT`] failing at once.
pub fn retry_policy() -> crate::retry::RetryPolicy {
    crate::retry::RetryPolicy::default()
}
