//! The options of a [`RedisStore`](super::RedisStore) beyond its address — key prefix,
//! decision timeout, failing open or closed, slot lease, the secret for key names — their
//! defaults, and the one check every way of setting them (URL query, builder) goes
//! through.

use std::time::Duration;

use crate::error::{Error, Result};

/// The default prefix of every Redis key the store writes.
///
/// ```
/// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?;
/// assert_eq!(s.prefix(), surefoot::pacing::DEFAULT_PREFIX);
/// # Ok::<(), surefoot::Error>(())
/// ```
pub const DEFAULT_PREFIX: &str = "surefoot:";
/// The default longest wait for Redis to answer one pacing decision before this process
/// decides locally.
///
/// ```
/// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?;
/// assert_eq!(s.decision_timeout(), surefoot::pacing::DEFAULT_DECISION_TIMEOUT);
/// # Ok::<(), surefoot::Error>(())
/// ```
pub const DEFAULT_DECISION_TIMEOUT: Duration = Duration::from_millis(50);
/// The default lease of a concurrency slot (renewed while held).
///
/// ```
/// use surefoot::pacing::PacingStore;
/// let s = surefoot::pacing::RedisStore::connect("redis://127.0.0.1/0")?;
/// assert_eq!(s.slot_lease(), surefoot::pacing::DEFAULT_SLOT_LEASE);
/// # Ok::<(), surefoot::Error>(())
/// ```
pub const DEFAULT_SLOT_LEASE: Duration = Duration::from_secs(15);

/// The options of a [`RedisStore`](super::RedisStore), parsed from its URL and set with
/// [`RedisStoreBuilder`](super::RedisStoreBuilder).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Options {
    pub(super) prefix: String,
    pub(super) decision_timeout: Duration,
    pub(super) fail_closed: bool,
    pub(super) slot_lease: Duration,
    /// Keys the names of Redis keys (`None`: the store ids as they are).
    pub(super) secret: Option<super::secret::Secret>,
}

pub(super) fn check_options(opts: &Options) -> Result<()> {
    if opts.prefix.contains(['{', '}']) || opts.prefix.chars().any(char::is_whitespace) {
        return Err(Error::invalid_request(
            "pacing store prefix must not contain `{`, `}` or whitespace",
        ));
    }
    if opts.prefix.len() > 64 {
        return Err(Error::invalid_request(
            "pacing store prefix must be at most 64 bytes",
        ));
    }
    if opts.decision_timeout < Duration::from_millis(1) {
        return Err(Error::invalid_request(
            "pacing store decision timeout must be at least 1 ms",
        ));
    }
    if opts.slot_lease < Duration::from_millis(100) {
        return Err(Error::invalid_request(
            "pacing store slot lease must be at least 100 ms",
        ));
    }
    Ok(())
}
