//! [`RedisStoreBuilder`]: a [`RedisStore`] from a URL plus options set in code, which
//! override the ones the URL's query gives.

use std::fmt;
use std::time::Duration;

use super::options::check_options;
use super::target::Backend;
use super::url::{parse_url, redact};
use super::RedisStore;
use crate::error::Result;

/// Builds a [`RedisStore`] with options beyond its URL; see [`RedisStore::builder`].
///
/// The URL may carry the same options as query parameters, so a binding or an
/// environment variable can pass one string: `prefix`, `timeout_ms` (decision timeout),
/// `fail` (`open` or `closed`), `lease_ms` (slot lease), `secret` (keys the names of Redis
/// keys; else `SUREFOOT_PACING_SECRET`), and with `rediss://` the TLS files `tls_ca`,
/// `tls_cert` and `tls_key`, e.g.
/// `redis://127.0.0.1:6379/0?prefix=myapp:&timeout_ms=100&fail=closed`.
///
/// ```
/// use std::time::Duration;
/// let store = surefoot::pacing::RedisStore::builder("redis://127.0.0.1:6379/0")
///     .prefix("myapp:")
///     .decision_timeout(Duration::from_millis(20))
///     .fail_closed(true)
///     .build()?;
/// assert_eq!(store.prefix(), "myapp:");
/// # Ok::<(), surefoot::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    prefix: Option<String>,
    decision_timeout: Option<Duration>,
    fail_closed: Option<bool>,
    slot_lease: Option<Duration>,
    secret: Option<String>,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("decision_timeout", &self.decision_timeout)
            .field("fail_closed", &self.fail_closed)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

impl RedisStoreBuilder {
    pub(super) fn new(url: String) -> Self {
        RedisStoreBuilder {
            url,
            prefix: None,
            decision_timeout: None,
            fail_closed: None,
            slot_lease: None,
            secret: None,
        }
    }

    /// The prefix of every Redis key the store writes (default `surefoot:`). It may be
    /// empty; it must not contain `{`, `}` or whitespace.
    ///
    /// ```
    /// let b = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0").prefix("app1:");
    /// assert_eq!(b.build()?.prefix(), "app1:");
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// How long one pacing decision waits for Redis before this process decides locally
    /// (default 50 ms; at least 1 ms).
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0")
    ///     .decision_timeout(Duration::from_millis(10));
    /// assert_eq!(b.build()?.decision_timeout(), Duration::from_millis(10));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn decision_timeout(mut self, timeout: Duration) -> Self {
        self.decision_timeout = Some(timeout);
        self
    }

    /// Fail closed: while Redis does not answer, wait for it (each call at most as long as
    /// its deadline and `max_retry_wait` allow, then refused with `retry_after`) instead
    /// of pacing locally at this process's fair share. Default: off (fail open).
    ///
    /// ```
    /// let b = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0").fail_closed(true);
    /// assert!(b.build()?.is_fail_closed());
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn fail_closed(mut self, fail_closed: bool) -> Self {
        self.fail_closed = Some(fail_closed);
        self
    }

    /// The lease of a concurrency slot (default 15 s; at least 100 ms): held slots are
    /// renewed about every third of it, and a process that dies holding slots frees them
    /// within it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use surefoot::pacing::PacingStore;
    /// let b = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0")
    ///     .slot_lease(Duration::from_secs(2));
    /// assert_eq!(b.build()?.slot_lease(), Duration::from_secs(2));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn slot_lease(mut self, lease: Duration) -> Self {
        self.slot_lease = Some(lease);
        self
    }

    /// A secret that keys the names of Redis keys (overrides the URL's `secret` and
    /// `SUREFOOT_PACING_SECRET`): each name's hash tag becomes an HMAC-SHA256 of the store
    /// id keyed by it, so someone with a dump of Redis and a guessed API key cannot
    /// confirm the guess. Every process sharing a budget needs the same secret. Never
    /// shown (`Debug`, errors, logs).
    ///
    /// ```
    /// let b = surefoot::pacing::RedisStore::builder("redis://127.0.0.1/0").secret("k3y-n4mes");
    /// assert!(!format!("{b:?} {:?}", b.clone().build()?).contains("k3y-n4mes"));
    /// # Ok::<(), surefoot::Error>(())
    /// ```
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Checks the URL and options and makes the store. Nothing is sent: the connection is
    /// made in the background, and a Redis that is not there yet only means local
    /// pacing until it is. Errors are `invalid_request`, naming the problem (never the
    /// password).
    ///
    /// ```
    /// let e = surefoot::pacing::RedisStore::builder("redis://:hunter2@127.0.0.1:99999/0")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(e.code(), "invalid_request");
    /// assert!(!e.message().contains("hunter2"));
    /// ```
    pub fn build(self) -> Result<RedisStore> {
        let (info, mut opts) = parse_url(&self.url)?;
        if let Some(p) = self.prefix {
            opts.prefix = p;
        }
        if let Some(t) = self.decision_timeout {
            opts.decision_timeout = t;
        }
        if let Some(f) = self.fail_closed {
            opts.fail_closed = f;
        }
        if let Some(l) = self.slot_lease {
            opts.slot_lease = l;
        }
        if let Some(s) = &self.secret {
            opts.secret = Some(super::secret::Secret::new(s)?);
        }
        check_options(&opts)?;
        RedisStore::from_parts(info, opts)
    }
}

/// Checks a Redis store URL (its parts, query options and TLS files): nothing connects,
/// nothing is registered. What a client option's rule calls.
pub(crate) fn check_url(url: &str) -> Result<()> {
    let (info, opts) = parse_url(url)?;
    check_options(&opts)?;
    Backend::new(&info)?;
    Ok(())
}
