//! [`ConcurrencyLimiter`]: a cap on concurrent things (realtime sessions) for one key +
//! base URL, FIFO within the process; with a shared [`PacingStore`] (Redis) every slot is
//! also a lease in the store, renewed in the background while held and given back when
//! the permit drops, so the cap holds across processes and a dead process's slots return
//! within the lease.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use super::store::PacingStore;

/// The slots of a limiter kept in a shared store.
#[derive(Clone)]
struct SharedSlots {
    store: Arc<dyn PacingStore>,
    key: String,
}

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
    shared: Option<SharedSlots>,
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
    /// Dropping it stops the lease's renewal and releases the slot in the store.
    _lease: Option<oneshot::Sender<()>>,
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
            .field("store", &self.shared.as_ref().map(|s| s.store.name()))
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
            shared: None,
        }
    }

    /// A limiter allowing `max` concurrent permits of `key` (a
    /// [`key_name`](crate::pacing::key_name)) across every process using `store`: when
    /// the store [is shared](PacingStore::is_shared), each permit is also a lease in it,
    /// renewed in the background while held and released when the permit drops. With an
    /// in-process store it is [`ConcurrencyLimiter::new`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::sync::Arc;
    /// use surefoot::pacing::{ConcurrencyLimiter, MemoryStore};
    /// let l = ConcurrencyLimiter::in_store(2, Arc::new(MemoryStore::new()), "{k}".into());
    /// let _p = l.acquire().await;
    /// assert_eq!(l.in_use_everywhere().await, 1);
    /// # }
    /// ```
    pub fn in_store(max: usize, store: Arc<dyn PacingStore>, key: String) -> Self {
        let mut l = ConcurrencyLimiter::new(max);
        if store.is_shared() {
            l.shared = Some(SharedSlots { store, key });
        }
        l
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
    ///
    /// With a shared store, after the process's own slot it waits (polling, 20 ms growing
    /// to 250 ms) for a lease in the store.
    pub async fn acquire(&self) -> ConcurrencyPermit {
        let permit = loop {
            // The semaphore is never closed, so this only loops in theory.
            if let Ok(p) = self.semaphore.clone().acquire_owned().await {
                break p;
            }
            tokio::task::yield_now().await;
        };
        let lease = match &self.shared {
            None => None,
            Some(shared) => Some(self.lease(shared).await),
        };
        ConcurrencyPermit {
            _permit: permit,
            _lease: lease,
        }
    }

    /// Take a lease in the shared store, and renew it in the background until the
    /// returned sender is dropped, then release it.
    async fn lease(&self, shared: &SharedSlots) -> oneshot::Sender<()> {
        let lease = shared.store.slot_lease();
        let mut delay = Duration::from_millis(20);
        let slot = loop {
            if let Some(slot) = shared
                .store
                .acquire_slot(&shared.key, self.max, lease)
                .await
            {
                break slot;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(250));
        };
        let (stop, mut stopped) = oneshot::channel::<()>();
        let SharedSlots { store, key } = shared.clone();
        let max = self.max;
        // On the shared runtime, so the lease outlives the caller's runtime and task.
        crate::runtime::handle().spawn(async move {
            let mut slot = slot;
            let mut warned = false;
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tokio::time::sleep(lease / 3) => {}
                }
                if store.renew_slot(&key, &slot, lease).await {
                    continue;
                }
                // The lease ran out (Redis away longer than it, or this process stalled):
                // take a slot again as soon as one is free.
                if !warned {
                    tracing::warn!(target: "surefoot::pacing", "surefoot: a concurrency slot's lease expired while held; taking one again");
                    warned = true;
                }
                if let Some(again) = store.acquire_slot(&key, max, lease).await {
                    slot = again;
                }
            }
            store.release_slot(&key, &slot).await;
        });
        stop
    }

    /// Take a free slot now, or `None` if all are in use. Only for a limiter without a
    /// shared store (a lease in one needs a round trip): with one it answers `None`; use
    /// [`acquire`](Self::acquire) there.
    ///
    /// ```
    /// let l = surefoot::pacing::ConcurrencyLimiter::new(1);
    /// let _p = l.try_acquire().unwrap();
    /// assert!(l.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<ConcurrencyPermit> {
        if self.shared.is_some() {
            return None;
        }
        self.semaphore
            .clone()
            .try_acquire_owned()
            .ok()
            .map(|p| ConcurrencyPermit {
                _permit: p,
                _lease: None,
            })
    }

    /// Slots currently held in this process.
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::ConcurrencyLimiter::new(4).in_use(), 0);
    /// ```
    pub fn in_use(&self) -> usize {
        self.max.saturating_sub(self.semaphore.available_permits())
    }

    /// Slots currently held by every process sharing the store (expired leases not
    /// counted); in this process only without a shared store.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// assert_eq!(surefoot::pacing::ConcurrencyLimiter::new(4).in_use_everywhere().await, 0);
    /// # }
    /// ```
    pub async fn in_use_everywhere(&self) -> usize {
        match &self.shared {
            Some(s) => s.store.slots_in_use(&s.key).await,
            None => self.in_use(),
        }
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
