//! Backoff: how long to wait before a retry when the server did not say. The
//! [`BackoffStrategy`] trait is the extension point
//! ([`ClientBuilder::backoff_strategy`](crate::ClientBuilder::backoff_strategy));
//! [`ExponentialBackoff`] is the default, `min(cap, base · 2^n)` scaled by a jitter
//! factor in [0.5, 1], so clients failing together do not retry together. A server's
//! `Retry-After` always overrides the strategy; the strategy's answer is still bounded by
//! `max_retry_wait` and the deadline.

use std::fmt;
use std::time::Duration;

use crate::error::Error;

/// How long to wait before retry number `retries_done` (0 for the first retry).
///
/// ```
/// use std::time::Duration;
/// use surefoot::retry::BackoffStrategy;
/// #[derive(Debug)]
/// struct Linear(Duration);
/// impl BackoffStrategy for Linear {
///     fn delay(&self, retries_done: u32, _error: &surefoot::Error, _jitter: f64) -> Duration {
///         self.0 * (retries_done + 1)
///     }
/// }
/// let e = surefoot::Error::timeout("t");
/// assert_eq!(Linear(Duration::from_millis(100)).delay(2, &e, 1.0), Duration::from_millis(300));
/// ```
pub trait BackoffStrategy: Send + Sync + fmt::Debug + 'static {
    /// The wait before the next attempt, given the retries already made, the attempt's
    /// error, and a random `jitter` factor in [0.5, 1] the strategy may use (fixed in
    /// tests and vectors so decisions are reproducible).
    fn delay(&self, retries_done: u32, error: &Error, jitter: f64) -> Duration;
}

/// Exponential backoff with jitter: `min(cap, base · 2^n) · jitter`, `jitter` clamped to
/// [0.5, 1] (NaN counts as 1). Default base 1 s, cap 20 s.
///
/// ```
/// use std::time::Duration;
/// use surefoot::retry::ExponentialBackoff;
/// let b = ExponentialBackoff::default();
/// assert_eq!(b.delay_for(0, 1.0), Duration::from_secs(1));
/// assert_eq!(b.delay_for(2, 0.5), Duration::from_secs(2));
/// assert_eq!(b.delay_for(30, 1.0), Duration::from_secs(20));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExponentialBackoff {
    /// The first retry's wait before jitter.
    pub base: Duration,
    /// The largest wait before jitter.
    pub cap: Duration,
}

impl Default for ExponentialBackoff {
    fn default() -> Self {
        ExponentialBackoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(20),
        }
    }
}

impl ExponentialBackoff {
    /// The wait before retry number `retry` (0-based) with this `jitter`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = surefoot::retry::ExponentialBackoff { base: Duration::from_millis(100), cap: Duration::from_secs(1) };
    /// assert_eq!(b.delay_for(3, 1.0), Duration::from_millis(800));
    /// assert_eq!(b.delay_for(4, 1.0), Duration::from_secs(1));
    /// ```
    pub fn delay_for(&self, retry: u32, jitter: f64) -> Duration {
        let jitter = if jitter.is_nan() {
            1.0
        } else {
            jitter.clamp(0.5, 1.0)
        };
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        let raw = self.base.checked_mul(factor).unwrap_or(Duration::MAX);
        // Clamp before the float multiply so absurd configurations cannot overflow it.
        raw.min(self.cap)
            .min(Duration::from_secs(u64::from(u32::MAX)))
            .mul_f64(jitter)
    }
}

impl BackoffStrategy for ExponentialBackoff {
    fn delay(&self, retries_done: u32, _error: &Error, jitter: f64) -> Duration {
        self.delay_for(retries_done, jitter)
    }
}

/// A random jitter factor in [0.5, 1.0].
///
/// ```
/// let j = surefoot::retry::jitter();
/// assert!((0.5..=1.0).contains(&j));
/// ```
pub fn jitter() -> f64 {
    0.5 + fastrand::f64() * 0.5
}
