//! [`MemoryStore`], the default [`PacingStore`]: every key's state in a mutex-protected
//! map inside the process, on a monotonic tokio clock (so tests can run on virtual time),
//! plus [`default_store`], the one instance every client of the process shares.

use std::collections::HashMap;
use std::fmt;
use std::future::{poll_fn, ready};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

use super::fleet_book::FleetBook;
use super::lock;
use super::store::{Episode, PacingStore, Pause, PauseCause, Reservation, StoreFuture};
use super::RateLimit;

#[derive(Debug, Default)]
struct KeyState {
    /// Theoretical arrival time of the next request, in ns since the store's origin.
    tat_ns: u64,
    paused_until_ns: u64,
    cause: Option<PauseCause>,
    learned: Option<(RateLimit, u64)>,
    /// Held concurrency slots: id → lease expiry (ns).
    slots: HashMap<String, u64>,
    /// Retry-budget tokens (`None`: never taken from, so full).
    retry_tokens: Option<u32>,
}

/// The default in-process store: a mutex-protected map, with a monotonic clock
/// (`tokio::time::Instant` relative to the store's creation, so virtual time works).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use surefoot::pacing::{MemoryStore, PacingStore};
/// let store = MemoryStore::new();
/// assert_eq!(store.paused("nobody").await, None);
/// # }
/// ```
pub struct MemoryStore {
    origin: Instant,
    keys: Mutex<HashMap<String, KeyState>>,
    next_slot: std::sync::atomic::AtomicU64,
    /// Set once any key's retry budget was drawn from: until then every bucket is full and
    /// a refund (made after every successful call) has nothing to do.
    drawn: std::sync::atomic::AtomicBool,
    /// With [`MemoryStore::learning_together`]: the fleet rules of learning.
    fleet: Option<Mutex<FleetBook>>,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl MemoryStore {
    /// An empty store whose clock starts now.
    ///
    /// ```
    /// let _store = std::sync::Arc::new(surefoot::pacing::MemoryStore::new());
    /// ```
    pub fn new() -> Self {
        MemoryStore {
            origin: Instant::now(),
            keys: Mutex::new(HashMap::new()),
            next_slot: std::sync::atomic::AtomicU64::new(1),
            drawn: std::sync::atomic::AtomicBool::new(false),
            fleet: None,
        }
    }

    /// A store whose pacers learn one limit per key together, as processes sharing a
    /// Redis store do: answers accepted and 429s are counted for every pacer on the key,
    /// one decrease per overload episode, one learning state they all take (see
    /// [`PacingStore::learns_together`]). For several pacers of one key in one process
    /// (each client builds its own with [`Pacer::new`](crate::pacing::Pacer::new)), and
    /// to check the fleet rules on a virtual clock.
    ///
    /// ```
    /// use surefoot::pacing::{MemoryStore, PacingStore};
    /// assert!(MemoryStore::learning_together().learns_together());
    /// assert!(!MemoryStore::new().learns_together());
    /// ```
    pub fn learning_together() -> Self {
        MemoryStore {
            fleet: Some(Mutex::new(FleetBook::default())),
            ..MemoryStore::new()
        }
    }

    fn now_ns(&self) -> u64 {
        nanos(Instant::now().saturating_duration_since(self.origin))
    }

    /// The decision [`PacingStore::reserve`] answers, made at once (no await).
    ///
    /// ```
    /// use std::time::Duration;
    /// use surefoot::{pacing::{MemoryStore, Reservation}, RateLimit};
    /// let s = MemoryStore::new();
    /// let l = RateLimit::per_second(1);
    /// assert_eq!(s.reserve_now("k", &l, None), Reservation::Go(Duration::ZERO));
    /// assert!(matches!(s.reserve_now("k", &l, Some(Duration::ZERO)), Reservation::TooLong(w) if w > Duration::from_millis(900)));
    /// ```
    pub fn reserve_now(
        &self,
        key: &str,
        limit: &RateLimit,
        max_wait: Option<Duration>,
    ) -> Reservation {
        let now = self.now_ns();
        let t = nanos(limit.emission_interval());
        let tau = t.saturating_mul(u64::from(limit.burst_size().saturating_sub(1)));
        let mut keys = lock(&self.keys);
        let state = keys.entry(key.to_owned()).or_default();
        if state.paused_until_ns > now {
            return Reservation::Paused(Pause {
                remaining: Duration::from_nanos(state.paused_until_ns - now),
                cause: state.cause.clone(),
            });
        }
        // A schedule that (re)starts from idle gets the limit's restart gap after it.
        let gap = if state.tat_ns <= now {
            nanos(limit.restart_gap())
        } else {
            0
        };
        let tat = state.tat_ns.max(now);
        let wait = Duration::from_nanos(tat.saturating_sub(tau).saturating_sub(now));
        if max_wait.is_some_and(|m| wait > m) {
            return Reservation::TooLong(wait);
        }
        state.tat_ns = tat.saturating_add(t).saturating_add(gap);
        Reservation::Go(wait)
    }

    /// Take away any burst credit `key` has under `limit`: the next request goes now,
    /// the one after waits a full interval. For a schedule that takes over from another
    /// store (which may have spent the server's burst already).
    pub(crate) fn spend_burst(&self, key: &str, limit: &RateLimit) {
        let now = self.now_ns();
        let t = nanos(limit.emission_interval());
        let tau = t.saturating_mul(u64::from(limit.burst_size().saturating_sub(1)));
        let mut keys = lock(&self.keys);
        let state = keys.entry(key.to_owned()).or_default();
        state.tat_ns = state.tat_ns.max(now.saturating_add(tau));
    }

    /// Move `key`'s schedule to at least `ahead` from now (a mirror of a schedule kept
    /// elsewhere, so this store can take over where it stands).
    pub(crate) fn follow(&self, key: &str, ahead: Duration) {
        let at = self.now_ns().saturating_add(nanos(ahead));
        let mut keys = lock(&self.keys);
        let state = keys.entry(key.to_owned()).or_default();
        state.tat_ns = state.tat_ns.max(at);
    }

    /// The pause in force on `key`, read at once (no await).
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::MemoryStore::new().paused_now("k"), None);
    /// ```
    pub fn paused_now(&self, key: &str) -> Option<Pause> {
        let now = self.now_ns();
        let keys = lock(&self.keys);
        let state = keys.get(key)?;
        (state.paused_until_ns > now).then(|| Pause {
            remaining: Duration::from_nanos(state.paused_until_ns - now),
            cause: state.cause.clone(),
        })
    }

    /// Pause `key` at once (no await); see [`PacingStore::pause`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = surefoot::pacing::MemoryStore::new();
    /// s.pause_now("k", Duration::from_secs(2), None);
    /// assert!(s.paused_now("k").is_some());
    /// ```
    pub fn pause_now(&self, key: &str, duration: Duration, cause: Option<PauseCause>) {
        let until = self.now_ns().saturating_add(nanos(duration));
        let mut keys = lock(&self.keys);
        let state = keys.entry(key.to_owned()).or_default();
        if until > state.paused_until_ns {
            state.paused_until_ns = until;
            state.cause = cause;
        }
    }

    /// Take `cost` tokens from the retry budget of `key` at once (no await); see
    /// [`PacingStore::take_retry_tokens`].
    ///
    /// ```
    /// let s = surefoot::pacing::MemoryStore::new();
    /// assert!(s.take_retry_tokens_now("k", 5, 10));
    /// assert!(s.take_retry_tokens_now("k", 5, 10));
    /// assert!(!s.take_retry_tokens_now("k", 5, 10));
    /// s.refund_retry_tokens_now("k", 1, 10);
    /// assert_eq!(s.retry_tokens_now("k", 10), 1);
    /// ```
    pub fn take_retry_tokens_now(&self, key: &str, cost: u32, capacity: u32) -> bool {
        let mut keys = lock(&self.keys);
        self.drawn.store(true, std::sync::atomic::Ordering::Release);
        let state = keys.entry(key.to_owned()).or_default();
        let have = state.retry_tokens.unwrap_or(capacity).min(capacity);
        if have < cost {
            state.retry_tokens = Some(have);
            return false;
        }
        state.retry_tokens = Some(have - cost);
        true
    }

    /// Give `n` tokens back to the retry budget of `key` at once (no await); see
    /// [`PacingStore::refund_retry_tokens`].
    ///
    /// ```
    /// let s = surefoot::pacing::MemoryStore::new();
    /// s.refund_retry_tokens_now("k", 7, 10);
    /// assert_eq!(s.retry_tokens_now("k", 10), 10);
    /// ```
    pub fn refund_retry_tokens_now(&self, key: &str, n: u32, capacity: u32) {
        // A refund racing the very first draw may be skipped: the bucket then holds a
        // token less, never more.
        if !self.drawn.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let mut keys = lock(&self.keys);
        if let Some(state) = keys.get_mut(key)
            && let Some(t) = state.retry_tokens
        {
            state.retry_tokens = Some(t.min(capacity).saturating_add(n).min(capacity));
        }
    }

    /// The tokens in the retry budget of `key`, read at once (no await).
    ///
    /// ```
    /// assert_eq!(surefoot::pacing::MemoryStore::new().retry_tokens_now("k", 500), 500);
    /// ```
    pub fn retry_tokens_now(&self, key: &str, capacity: u32) -> u32 {
        lock(&self.keys)
            .get(key)
            .and_then(|s| s.retry_tokens)
            .unwrap_or(capacity)
            .min(capacity)
    }

    /// Forget every key (what [`reset_all`](crate::pacing::reset_all) does to the default
    /// store).
    ///
    /// ```
    /// let s = surefoot::pacing::MemoryStore::new();
    /// s.pause_now("k", std::time::Duration::from_secs(2), None);
    /// s.clear();
    /// assert_eq!(s.paused_now("k"), None);
    /// ```
    pub fn clear(&self) {
        lock(&self.keys).clear();
        if let Some(f) = &self.fleet {
            lock(f).clear();
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &lock(&self.keys).len())
            .finish()
    }
}

/// A finished future of `()` that allocates nothing when boxed: zero-sized, where
/// `ready(())` holds an `Option<()>` (a byte, so an allocation on every call that
/// refunds retry tokens or records a pause).
fn done<'a>() -> StoreFuture<'a, ()> {
    Box::pin(poll_fn(|_| Poll::Ready(())))
}

impl PacingStore for MemoryStore {
    fn name(&self) -> String {
        "memory".to_owned()
    }

    fn learns_together(&self) -> bool {
        self.fleet.is_some()
    }

    fn note_accepted(&self, key: &str) {
        if let Some(f) = &self.fleet {
            lock(f).accepted(key, self.now_ns());
        }
    }

    fn throttled<'a>(
        &'a self,
        key: &'a str,
        duration: Duration,
        cause: Option<PauseCause>,
        episode: Duration,
    ) -> StoreFuture<'a, Episode> {
        self.pause_now(key, duration, cause);
        let answer = match &self.fleet {
            Some(f) => lock(f).throttled(key, self.now_ns(), episode),
            None => Episode::Local,
        };
        Box::pin(ready(answer))
    }

    fn fleet_learned<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<(String, Duration)>> {
        let answer = self
            .fleet
            .as_ref()
            .and_then(|f| lock(f).state(key, self.now_ns()));
        Box::pin(ready(answer))
    }

    fn set_fleet_learned<'a>(
        &'a self,
        key: &'a str,
        state: String,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        if let Some(f) = &self.fleet {
            lock(f).set_state(key, state, self.now_ns(), ttl);
        }
        done()
    }

    fn reserve<'a>(
        &'a self,
        key: &'a str,
        limit: &'a RateLimit,
        max_wait: Option<Duration>,
    ) -> StoreFuture<'a, Reservation> {
        Box::pin(ready(self.reserve_now(key, limit, max_wait)))
    }

    fn pause<'a>(
        &'a self,
        key: &'a str,
        duration: Duration,
        cause: Option<PauseCause>,
    ) -> StoreFuture<'a, ()> {
        self.pause_now(key, duration, cause);
        done()
    }

    fn paused<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Pause>> {
        Box::pin(ready(self.paused_now(key)))
    }

    fn reserve_unpaced<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Reservation> {
        let answer = match (self.paused_now(key), &self.fleet) {
            (Some(p), _) => Reservation::Paused(p),
            (None, Some(f)) => match lock(f).start(key, self.now_ns()) {
                Some(wait) => Reservation::TooLong(wait),
                None => Reservation::Go(Duration::ZERO),
            },
            (None, None) => Reservation::Go(Duration::ZERO),
        };
        match answer {
            // The answer of nearly every call: boxed without an allocation (as `done`).
            Reservation::Go(Duration::ZERO) => {
                Box::pin(poll_fn(|_| Poll::Ready(Reservation::Go(Duration::ZERO))))
            }
            answer => Box::pin(ready(answer)),
        }
    }

    fn learned<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<RateLimit>> {
        let now = self.now_ns();
        let mut keys = lock(&self.keys);
        let out = match keys.get_mut(key) {
            Some(state) => match state.learned {
                Some((l, until)) if until > now => Some(l),
                Some(_) => {
                    state.learned = None;
                    None
                }
                None => None,
            },
            None => None,
        };
        Box::pin(ready(out))
    }

    fn set_learned<'a>(
        &'a self,
        key: &'a str,
        limit: Option<RateLimit>,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let until = self.now_ns().saturating_add(nanos(ttl));
        lock(&self.keys).entry(key.to_owned()).or_default().learned = limit.map(|l| (l, until));
        done()
    }

    fn acquire_slot<'a>(
        &'a self,
        key: &'a str,
        max: usize,
        lease: Duration,
    ) -> StoreFuture<'a, Option<String>> {
        let now = self.now_ns();
        let mut keys = lock(&self.keys);
        let state = keys.entry(key.to_owned()).or_default();
        state.slots.retain(|_, expiry| *expiry > now);
        let out = (state.slots.len() < max).then(|| {
            let n = self
                .next_slot
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let id = format!("slot-{n}");
            state
                .slots
                .insert(id.clone(), now.saturating_add(nanos(lease)));
            id
        });
        Box::pin(ready(out))
    }

    fn renew_slot<'a>(
        &'a self,
        key: &'a str,
        slot: &'a str,
        lease: Duration,
    ) -> StoreFuture<'a, bool> {
        let now = self.now_ns();
        let mut keys = lock(&self.keys);
        let renewed = match keys.get_mut(key).and_then(|s| s.slots.get_mut(slot)) {
            Some(expiry) if *expiry > now => {
                *expiry = now.saturating_add(nanos(lease));
                true
            }
            _ => false,
        };
        Box::pin(ready(renewed))
    }

    fn release_slot<'a>(&'a self, key: &'a str, slot: &'a str) -> StoreFuture<'a, ()> {
        if let Some(state) = lock(&self.keys).get_mut(key) {
            state.slots.remove(slot);
        }
        done()
    }

    fn slots_in_use<'a>(&'a self, key: &'a str) -> StoreFuture<'a, usize> {
        let now = self.now_ns();
        let n = lock(&self.keys)
            .get(key)
            .map_or(0, |s| s.slots.values().filter(|e| **e > now).count());
        Box::pin(ready(n))
    }

    fn reset<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        lock(&self.keys).remove(key);
        if let Some(f) = &self.fleet {
            lock(f).forget(key);
        }
        done()
    }

    fn take_retry_tokens<'a>(
        &'a self,
        key: &'a str,
        cost: u32,
        capacity: u32,
    ) -> StoreFuture<'a, bool> {
        Box::pin(ready(self.take_retry_tokens_now(key, cost, capacity)))
    }

    fn refund_retry_tokens<'a>(
        &'a self,
        key: &'a str,
        n: u32,
        capacity: u32,
    ) -> StoreFuture<'a, ()> {
        self.refund_retry_tokens_now(key, n, capacity);
        done()
    }

    fn retry_tokens<'a>(&'a self, key: &'a str, capacity: u32) -> StoreFuture<'a, u32> {
        Box::pin(ready(self.retry_tokens_now(key, capacity)))
    }
}

/// The process-wide in-memory store every client uses unless given another.
///
/// ```
/// let a = surefoot::pacing::default_store();
/// let b = surefoot::pacing::default_store();
/// assert!(std::sync::Arc::ptr_eq(&a, &b));
/// ```
pub fn default_store() -> Arc<MemoryStore> {
    static STORE: OnceLock<Arc<MemoryStore>> = OnceLock::new();
    STORE.get_or_init(|| Arc::new(MemoryStore::new())).clone()
}
