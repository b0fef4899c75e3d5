//! [`ConcurrencyLimiter`]: a cap on concurrent things (realtime sessions) for one key +
//! base URL, FIFO within the process.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A cap on concurrent things (realtime sessions) for one key + base URL; cheap to clone,
/// clones share the cap. A `max` of 0 is treated as 1.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let limiter = surefoot::pacing::ConcurrencyLimiter::new(2);
/// let a = limiter.acquire().await;
/// let _b = limiter.try_acquire().unwrap();
/// assert!(limiter.try_acquire().is_none());
/// drop(a);
/// assert_eq!(limiter.in_use(), 1);
/// # }
/// ```
#[derive(Clone)]
pub struct ConcurrencyLimiter {
    semaphore: Arc<Semaphore>,
    max: usize,
}

/// A slot in a [`ConcurrencyLimiter`], released when dropped.
///
/// ```
/// let limiter = surefoot::pacing::ConcurrencyLimiter::new(1);
/// let permit = limiter.try_acquire().unwrap();
/// drop(permit);
/// assert_eq!(limiter.in_use(), 0);
/// ```
pub struct ConcurrencyPermit {
    _permit: OwnedSemaphorePermit,
}

impl fmt::Debug for ConcurrencyPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConcurrencyPermit")
    }
}

impl fmt::Debug for ConcurrencyLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrencyLimiter")
            .field("max", &self.max)
            .field("in_use", &self.in_use())
            .finish()
    }
}

impl ConcurrencyLimiter {
    /// A limiter allowing `max` concurrent permits.
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::ConcurrencyLimiter::new(3).max(), 3);
    /// ```
    pub fn new(max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        ConcurrencyLimiter {
            semaphore: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// Wait for a free slot (FIFO). Cancel-safe: a dropped wait takes no slot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let l = surefoot::pacing::ConcurrencyLimiter::new(1);
    /// let p = l.acquire().await;
    /// assert_eq!(l.in_use(), 1);
    /// # drop(p);
    /// # }
    /// ```
    pub async fn acquire(&self) -> ConcurrencyPermit {
        loop {
            // The semaphore is never closed, so this only loops in theory.
            if let Ok(p) = self.semaphore.clone().acquire_owned().await {
                return ConcurrencyPermit { _permit: p };
            }
            tokio::task::yield_now().await;
        }
    }

    /// Take a free slot now, or `None` if all are in use.
    ///
    /// ```
    /// let l = surefoot::pacing::ConcurrencyLimiter::new(1);
    /// let _p = l.try_acquire().unwrap();
    /// assert!(l.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<ConcurrencyPermit> {
        self.semaphore
            .clone()
            .try_acquire_owned()
            .ok()
            .map(|p| ConcurrencyPermit { _permit: p })
    }

    /// Slots currently held.
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::ConcurrencyLimiter::new(4).in_use(), 0);
    /// ```
    pub fn in_use(&self) -> usize {
        self.max.saturating_sub(self.semaphore.available_permits())
    }

    /// The cap.
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::ConcurrencyLimiter::new(0).max(), 1);
    /// ```
    pub fn max(&self) -> usize {
        self.max
    }
}
